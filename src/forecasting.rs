//! The forecast stage fed from a dataset: each series' forecast settings
//! from its item master and purchase orders, its covariates for the global
//! model and its stable hash, for [`crate::forecast::stage::Stage`] — the
//! same inputs for the weekly run, its shards and every refit of the replay.

use rayon::prelude::*;

use crate::config::Config;
use crate::demand::Panel;
use crate::forecast::global::{self, Covariates, GlobalSettings};
use crate::forecast::stage::{StageSeries, StageSettings};
use crate::forecast::{Candidates, ForecastSettings};
use crate::ingest::{Dataset, SeriesKey};
use crate::plan::{forecast_settings, series_settings};

/// The candidate models of the configured season length.
pub fn candidates(config: &Config) -> Candidates {
    Candidates::standard(
        config.season_length(),
        config.forecast.moving_average_window,
    )
    .with_theta(config.forecast.theta, config.season_length())
    .with_ets_errors(
        config.forecast.ets_multiplicative_error,
        config.season_length(),
    )
}

/// The forecast settings of series `id`.
pub fn series_spec(data: &Dataset, panel: &Panel, config: &Config, id: usize) -> ForecastSettings {
    // The service target (by ABC class, which needs every series) does not
    // enter the forecast: any class gives the same lead time and horizon.
    let settings = series_settings(
        data.items[id].as_ref(),
        &data.purchase_orders[id],
        crate::suppliers::facts(data, id),
        config,
        'C',
    );
    forecast_settings(config, panel.bucket, &settings)
}

/// Which recorded history of a series the forecast stage reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryOf {
    /// Demand: shipped + backordered.
    Demand,
    /// Shipments alone (what a plan on recorded sales would see).
    Shipments,
}

/// What the forecast stage reads of a panel besides the histories, owned:
/// each series' forecast settings, covariates (when the global model is
/// on) and stable hash, and the stage's settings from the config.
pub struct StageInputs {
    specs: Vec<ForecastSettings>,
    covariates: Vec<Covariates>,
    hashes: Vec<u64>,
    settings: StageSettings,
}

impl StageInputs {
    /// The inputs of `panel` (which may end before the dataset's history:
    /// a replay's refit) with each series' forecast settings `specs`.
    pub fn new(
        data: &Dataset,
        panel: &Panel,
        config: &Config,
        specs: Vec<ForecastSettings>,
    ) -> StageInputs {
        let g = &config.forecast.global;
        let n = panel.series.len();
        let global_on = g.enabled && n >= global::MIN_SERIES;
        let (covariates, n_events) = if global_on {
            let horizon = specs.iter().map(|s| s.horizon).max().unwrap_or(1);
            let (c, events) =
                global::panel_covariates(panel, &data.keys, &data.events, g.max_events, horizon);
            (c, events.0.len())
        } else {
            (vec![Covariates::default(); n], 0)
        };
        let settings = StageSettings {
            global: global_on.then(|| GlobalSettings::from_config(g, config.season_length())),
            n_events,
            prior_series: config.forecast.selection_prior_series,
            group_rules: config.forecast.selection_rules,
            metric: config.policy.forecast_metric,
        };
        StageInputs {
            specs,
            covariates,
            hashes: data.keys.iter().map(SeriesKey::stable_hash).collect(),
            settings,
        }
    }

    /// The forecast settings of every series of `panel` planned from the
    /// dataset's item master and purchase orders.
    pub fn of_run(data: &Dataset, panel: &Panel, config: &Config) -> StageInputs {
        let specs = (0..panel.series.len())
            .into_par_iter()
            .map(|id| series_spec(data, panel, config, id))
            .collect();
        StageInputs::new(data, panel, config, specs)
    }

    /// The stage's series: `history` of each series of `panel` (the panel
    /// these inputs were made for).
    pub fn series<'a>(&'a self, panel: &'a Panel, history: HistoryOf) -> Vec<StageSeries<'a>> {
        self.series_until(panel, history, panel.end)
    }

    /// The stage's series as they stood before bucket `end`: each history
    /// cut there, borrowed (a series not started yet: empty, a zero
    /// forecast as the one empty bucket [`Panel::until`] gives it).
    /// Without the global model this stands for `series` on
    /// `panel.until(end)` without copying the panel.
    pub fn series_until<'a>(
        &'a self,
        panel: &'a Panel,
        history: HistoryOf,
        end: i64,
    ) -> Vec<StageSeries<'a>> {
        panel
            .series
            .iter()
            .enumerate()
            .map(|(id, s)| StageSeries {
                start: s.start,
                history: {
                    let all = match history {
                        HistoryOf::Demand => &s.demand,
                        HistoryOf::Shipments => s.shipped(),
                    };
                    &all[..(end - s.start).clamp(0, all.len() as i64) as usize]
                },
                covariates: &self.covariates[id],
                calendar_shift: 0,
                hash: self.hashes[id],
                settings: self.specs[id].clone(),
            })
            .collect()
    }

    /// The stage's settings.
    pub fn settings(&self) -> &StageSettings {
        &self.settings
    }
}
