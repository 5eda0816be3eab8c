//! The forecast stage: every series' chosen forecast from one code path —
//! the global model fitted across series, the selection prior estimated on
//! a stable sample of them, each series' rolling-origin backtest and the
//! choice. `replenish run`, `run --shard`, `forecast` and `simulate` (at
//! each refit of its replay) all forecast through [`Stage`], so the replay
//! proves the forecasts the weekly run makes.
//!
//! The spread calibration across series ([`super::calibration`],
//! [`super::pooled_spread_ratio`], [`super::pool_horizon_errors`]) follows
//! the stage; it needs every series' forecast.

use rayon::prelude::*;

use super::global::{self, Covariates, GlobalCandidate, GlobalModel, GlobalSettings, SeriesInput};
use super::prior::{self, SelectionPrior};
use super::rules::{SelectionRules, Trial};
use super::select::{Backtested, ForecastSettings, Metric, SeriesForecast};
use super::{Candidates, Model};
use crate::calendar::Bucket;
use crate::demand;

/// One series as the forecast stage reads it.
#[derive(Debug, Clone)]
pub struct StageSeries<'a> {
    /// Bucket index of the first value of `history`.
    pub start: i64,
    /// Demand per bucket up to the forecast origin (the stage's `end`).
    pub history: &'a [f64],
    /// Known inputs from `start` for the global model (may run past the
    /// history; empty when the global model is off).
    pub covariates: &'a Covariates,
    /// Added to a bucket index for its calendar features (0 on one calendar;
    /// see [`SeriesInput::calendar_shift`]).
    pub calendar_shift: i64,
    /// Stable hash of the series' identity: the selection prior's sample is
    /// the series with the smallest hashes, the same in every shard.
    pub hash: u64,
    /// The series' forecast settings.
    pub settings: ForecastSettings,
}

/// Settings of the stage as a whole.
#[derive(Debug, Clone, PartialEq)]
pub struct StageSettings {
    /// The global model's settings; `None` switches it off.
    pub global: Option<GlobalSettings>,
    /// Global events with an indicator among the covariates.
    pub n_events: usize,
    /// Series in the selection prior's sample (0: no prior).
    pub prior_series: usize,
    /// The metric the prior's evidence is scored by.
    pub metric: Metric,
    /// Learn each group's rule (else the prior alone, as without rules).
    pub group_rules: bool,
}

/// The stage prepared for a panel: the global model and the selection prior
/// fitted across every series; each series is then forecast on its own
/// ([`Stage::forecast`]), so a sharded run forecasts its share alone.
pub struct Stage<'a> {
    series: &'a [StageSeries<'a>],
    candidates: &'a Candidates,
    /// The global model (`None` when off or with fewer than
    /// [`global::MIN_SERIES`] series).
    pub global: Option<GlobalModel>,
    /// The selection rules across series: the shrinkage prior and each
    /// group's combination and strategy (`None` when off or no series
    /// backtested).
    pub rules: Option<SelectionRules>,
    /// Per series, its backtest when it was in the prior's sample: its
    /// forecast finishes it instead of backtesting the series again.
    backtested: Vec<Option<Box<Backtested<'a>>>>,
}

impl<'a> Stage<'a> {
    /// Fit the global model (its cut-offs stepping back far enough to serve
    /// the earliest backtest origin of any series) and estimate the
    /// selection prior, for forecasts from bucket `end` of `bucket`s.
    pub fn new(
        series: &'a [StageSeries<'a>],
        candidates: &'a Candidates,
        bucket: Bucket,
        end: i64,
        settings: &StageSettings,
    ) -> Stage<'a> {
        Stage::beside(series, candidates, bucket, end, settings, None)
    }

    /// [`Stage::new`] beside `first`, a stage of the same series on another
    /// history (a replay's demand beside its shipments): a sampled series
    /// that reads the same in both (`Stage::twins`) takes `first`'s
    /// backtest of it.
    pub fn beside(
        series: &'a [StageSeries<'a>],
        candidates: &'a Candidates,
        bucket: Bucket,
        end: i64,
        settings: &StageSettings,
        first: Option<&Stage<'a>>,
    ) -> Stage<'a> {
        let global = settings
            .global
            .as_ref()
            .filter(|_| series.len() >= global::MIN_SERIES)
            .map(|g| fit_global(series, bucket, end, g, settings.n_events));
        let mut stage = Stage {
            series,
            candidates,
            global,
            rules: None,
            backtested: (0..series.len()).map(|_| None).collect(),
        };
        stage.estimate_prior(settings, first);
        stage
    }

    /// Backtest the prior's sample and learn the selection rules from it:
    /// the shrinkage prior on the series' evidence (each offered the median
    /// of its lead three, as without rules), then each group's combination
    /// and strategy.
    fn estimate_prior(&mut self, settings: &StageSettings, first: Option<&Stage<'a>>) {
        let (metric, group_rules) = (settings.metric, settings.group_rules);
        let ids = prior::sample(self.series.iter().map(|s| s.hash), settings.prior_series);
        let sampled: Vec<(usize, Backtested<'a>)> = ids
            .par_iter()
            .filter_map(|&id| {
                let theirs = first
                    .filter(|f| self.twins(f, id))
                    .and_then(|f| f.backtested[id].as_deref())
                    .and_then(|b| self.backtest_like(id, b));
                theirs.or_else(|| self.backtest(id)).map(|b| (id, b))
            })
            .collect();
        let Some(first) = sampled.first() else {
            return;
        };
        let settings = ForecastSettings {
            metric,
            ..self.series[first.0].settings.clone()
        };
        let trials: Vec<Trial> = sampled
            .iter()
            .filter(|_| group_rules)
            .filter_map(|(id, b)| b.trial(&self.series[*id].settings, metric))
            .collect();
        let evidence: Vec<super::Evidence> = sampled
            .iter()
            .filter_map(|(_, b)| b.evidence(metric))
            .collect();
        let prior = SelectionPrior::estimate(&evidence);
        let rules = SelectionRules::estimate(prior, &trials, &settings);
        self.rules = Some(rules).filter(|r| !r.prior.is_empty() || !r.groups.is_empty());
        for (id, b) in sampled {
            self.backtested[id] = Some(Box::new(b));
        }
    }

    /// The global model's two candidates for series `id`, when it is on.
    pub fn extras(&self, id: usize) -> Option<[GlobalCandidate<'_>; 2]> {
        let s = &self.series[id];
        self.global
            .as_ref()
            .map(|g| g.candidates(&input_of(s), s.settings.horizon))
    }

    /// Call `f` with series `id`'s candidates, the global model's as extras.
    fn with_models<R>(
        &self,
        id: usize,
        f: impl FnOnce(&[Box<dyn Model>], &[&dyn Model], demand::Pattern) -> R,
    ) -> R {
        let pattern = demand::pattern(self.series[id].history);
        let models = self.candidates.for_pattern(pattern);
        match self.extras(id) {
            Some([poisson, linear]) => f(models, &[&poisson, &linear], pattern),
            None => f(models, &[], pattern),
        }
    }

    /// Whether series `id` reads the same here as in `other`: the same
    /// candidates, history bit for bit and settings, with no global model
    /// in either (its candidates are fitted across series). Its backtest is
    /// then the same: a backtest reads nothing else.
    fn twins(&self, other: &Stage<'_>, id: usize) -> bool {
        let (a, b) = (&self.series[id], &other.series[id]);
        std::ptr::eq(self.candidates, other.candidates)
            && self.global.is_none()
            && other.global.is_none()
            && a.settings == b.settings
            && crate::stats::same_bits(a.history, b.history)
    }

    /// Series `id`'s backtest made of `other`'s (its twin's; see
    /// [`Stage::twins`]) without fitting again; `None` for a constant
    /// forecast.
    fn backtest_like(&self, id: usize, other: &Backtested<'_>) -> Option<Backtested<'a>> {
        let s = &self.series[id];
        super::backtest_like(other, s.history, demand::pattern(s.history), &s.settings).ok()
    }

    fn backtest(&self, id: usize) -> Option<Backtested<'a>> {
        let s = &self.series[id];
        let y: &'a [f64] = s.history;
        self.with_models(id, |m, e, p| {
            super::backtest_series(m, e, y, p, &s.settings).ok()
        })
    }

    /// Take the backtests of the prior's sample (panel order), to hand each
    /// to [`Stage::forecast`] of its series.
    pub fn take_backtested(&mut self) -> Vec<Option<Box<Backtested<'a>>>> {
        std::mem::take(&mut self.backtested)
    }

    /// Forecast series `id`; `backtested`: its backtest from the prior's
    /// sample, if it was in it. Depends on no other series but through the
    /// global model and the prior.
    pub fn forecast(&self, id: usize, backtested: Option<Box<Backtested<'a>>>) -> SeriesForecast {
        let s = &self.series[id];
        let rules = self.rules.as_ref();
        self.with_models(id, |m, e, p| match backtested {
            Some(b) => super::finish(*b, m, e, &s.settings, rules),
            None => super::forecast_series_with(m, e, s.history, p, &s.settings, rules),
        })
    }

    /// Series `id`'s forecast keeping `chosen`'s choice (its forecast at an
    /// earlier selection; see [`super::refit_chosen`]), or selected afresh
    /// under `rules` (that selection's) where the choice cannot be kept.
    pub fn refit(
        &self,
        id: usize,
        chosen: &SeriesForecast,
        rules: Option<&SelectionRules>,
    ) -> SeriesForecast {
        let s = &self.series[id];
        self.with_models(id, |m, e, p| {
            super::refit_chosen(chosen, m, e, s.history, p, &s.settings).unwrap_or_else(|| {
                super::forecast_series_with(m, e, s.history, p, &s.settings, rules)
            })
        })
    }

    /// Series `id`'s forecasts by this stage and by `twin`, a stage of the
    /// same series on another history (a replay's shipments beside its
    /// demand); each takes its backtest from its prior's sample when there.
    /// Where the series reads the same in both ([`Stage::twins`]) it is
    /// backtested once: each forecast is what its stage alone makes.
    fn forecast_twin(
        &self,
        twin: &Stage<'a>,
        id: usize,
        mine: Option<Box<Backtested<'a>>>,
        theirs: Option<Box<Backtested<'a>>>,
    ) -> (SeriesForecast, SeriesForecast) {
        if !self.twins(twin, id) {
            return (self.forecast(id, mine), twin.forecast(id, theirs));
        }
        let Some(backtested) = mine.map(|m| *m).or_else(|| self.backtest(id)) else {
            // No backtest: a constant forecast, made as cheaply twice.
            return (self.forecast(id, None), twin.forecast(id, theirs));
        };
        let theirs = theirs.or_else(|| twin.backtest_like(id, &backtested).map(Box::new));
        // One scope of shared fits and refits: the twin's refit of a choice
        // the first made too takes the first's.
        super::select::sharing_refits(|| {
            super::select::sharing_fits(|| {
                (
                    self.forecast(id, Some(Box::new(backtested))),
                    twin.forecast(id, theirs),
                )
            })
        })
    }

    /// Every series' forecasts by this stage and by `twin` (see
    /// `Stage::forecast_twin`), in series order (in parallel).
    pub fn forecast_all_twins(
        mut self,
        mut twin: Stage<'a>,
    ) -> (Vec<SeriesForecast>, Vec<SeriesForecast>) {
        let mine = self.take_backtested();
        let theirs = twin.take_backtested();
        mine.into_par_iter()
            .zip(theirs)
            .enumerate()
            .map(|(id, (m, t))| self.forecast_twin(&twin, id, m, t))
            .unzip()
    }

    /// Every series' forecast, in series order (in parallel); `done` is
    /// called after each (a progress bar).
    pub fn forecast_all(mut self, done: impl Fn() + Sync) -> Vec<SeriesForecast> {
        let backtested = self.take_backtested();
        backtested
            .into_par_iter()
            .enumerate()
            .map(|(id, b)| {
                let fc = self.forecast(id, b);
                done();
                fc
            })
            .collect()
    }
}

fn input_of<'a>(s: &StageSeries<'a>) -> SeriesInput<'a> {
    SeriesInput {
        start: s.start,
        demand: s.history,
        covariates: s.covariates,
        calendar_shift: s.calendar_shift,
    }
}

/// The global model on every series; cut-offs spaced so that the earliest
/// backtest origin of any series finds a fit at or before it.
fn fit_global(
    series: &[StageSeries<'_>],
    bucket: Bucket,
    end: i64,
    settings: &GlobalSettings,
    n_events: usize,
) -> GlobalModel {
    let reach = series
        .iter()
        .map(|s| s.settings.origins * s.settings.backtest_horizon)
        .max()
        .unwrap_or(1);
    let step = if settings.fits > 1 {
        reach.div_ceil(settings.fits - 1)
    } else {
        1
    };
    let inputs: Vec<SeriesInput> = series.iter().map(input_of).collect();
    GlobalModel::fit(&inputs, bucket, end, step, settings, n_events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::Metric;

    /// Two years of weekly demand for 40 series (every third sporadic),
    /// and their shipments: the same for even series, short of demand in
    /// four weeks for odd ones.
    fn histories() -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let mut rnd = crate::forecast::uniform(5);
        let demand: Vec<Vec<f64>> = (0..40)
            .map(|i| {
                let base = 5.0 + (i % 7) as f64;
                (0..104)
                    .map(|_| {
                        let v = (base + 4.0 * rnd()).round();
                        if i % 3 == 0 && rnd() < 0.7 { 0.0 } else { v }
                    })
                    .collect()
            })
            .collect();
        let shipped = demand
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let mut s = d.clone();
                if i % 2 == 1 {
                    s[90..94].iter_mut().for_each(|v| *v = (*v - 3.0).max(0.0));
                }
                s
            })
            .collect();
        (demand, shipped)
    }

    fn of<'a>(histories: &'a [Vec<f64>], covariates: &'a Covariates) -> Vec<StageSeries<'a>> {
        histories
            .iter()
            .enumerate()
            .map(|(i, y)| StageSeries {
                start: 0,
                history: y,
                covariates,
                calendar_shift: 0,
                hash: prior::fnv1a(format!("s{i}").as_bytes()),
                settings: ForecastSettings::default(),
            })
            .collect()
    }

    #[test]
    fn twins_backtested_once_forecast_as_each_stage_alone() {
        let (demand, shipped) = histories();
        let covariates = Covariates::default();
        let (d, s) = (of(&demand, &covariates), of(&shipped, &covariates));
        let candidates = Candidates::standard(52, 4);
        let settings = StageSettings {
            global: None,
            n_events: 0,
            prior_series: 20,
            metric: Metric::Mase,
            group_rules: true,
        };
        let stage = |series| Stage::new(series, &candidates, Bucket::Week, 104, &settings);
        let alone_d = stage(&d).forecast_all(|| {});
        let alone_s = stage(&s).forecast_all(|| {});
        let first = stage(&d);
        let twin = Stage::beside(&s, &candidates, Bucket::Week, 104, &settings, Some(&first));
        // The sampled twins' backtests taken from the first stage learn the
        // same rules.
        assert_eq!(twin.rules, stage(&s).rules);
        let (twin_d, twin_s) = first.forecast_all_twins(twin);
        assert_eq!(twin_d, alone_d);
        assert_eq!(twin_s, alone_s);
        // The shipments' forecasts differ where their history does.
        assert!(alone_d.iter().zip(&alone_s).any(|(a, b)| a != b));
    }
}
