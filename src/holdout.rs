//! Hold-out evaluation on a long file (`unique_id, ds, y`), the format of the
//! forecasting benchmarks in `../shared/peers`: the last `h` points of every
//! series are hidden, forecast from the rest by the per-series selection and
//! by every candidate alone, and written as `unique_id, ds, replenish, <model>…`
//! so the peers' scorer can compare them with statsforecast and R.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use crate::calendar::{Bucket, date_of_day};
use crate::config::{CheckedConfig, Config, GlobalConfig, LeadingZeros, SelectionBase};
use crate::demand::{Panel, PricePromo};
use crate::demand_process::SlowMoverDemand;
use crate::error::{Error, Result};
use crate::forecast::Model;
use crate::forecast::global::{
    self, Covariates, EventNames, FitSummary, GLOBAL_LINEAR, GLOBAL_POISSON, GlobalCandidate,
    GlobalSettings,
};
use crate::forecast::rules::SelectionRules;
use crate::forecast::stage::{Stage, StageSeries, StageSettings};
use crate::forecast::{
    Calibration, Candidates, ForecastSettings, Metric, Selection, SeriesForecast, calibration,
    prior,
};
use crate::ingest::{LongSeries, read_long};

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct HoldoutOptions {
    /// Long file (CSV or Parquet).
    pub input: PathBuf,
    /// Forecasts CSV to write; quantiles go beside it (`…_quantiles.csv`).
    pub out: PathBuf,
    /// Points held out per series.
    pub h: usize,
    /// Season length in periods (1 = none).
    pub season_length: usize,
    /// Column names: identifier, date, value.
    pub columns: [String; 3],
    /// Backtest origins per series.
    pub origins: usize,
    /// Selection metric.
    pub metric: Metric,
    /// Moving-average window.
    pub moving_average_window: usize,
    /// Outlier limit (robust σ; 0 = off).
    pub outlier_sigma: f64,
    /// How the forecast is chosen.
    pub selection: Selection,
    /// Margin a single model needs over the combination.
    pub selection_margin: f64,
    /// Series sampled for the selection prior (0 = none; see
    /// [`crate::forecast::prior`]).
    pub selection_prior_series: usize,
    /// Learn selection rules per group of series (`forecast.selection_rules`).
    pub selection_rules: bool,
    /// Days without demand before an item can be forecast zero (0 = never),
    /// then only when the gap is improbable at its own rate.
    pub discontinued_after_days: f64,
    /// Chance of the current gap below which an item is forecast zero.
    pub discontinued_probability: f64,
    /// Calibrate the interval width across series (see [`calibration`]).
    pub calibrate: bool,
    /// Share of each spread's variance taken from its peers (`forecast.spread_pooling`).
    pub spread_pooling: f64,
    /// Worker threads (`None`: all cores).
    pub threads: Option<usize>,
    /// The global model's settings (`None`: off). Fitted on the training
    /// parts only: the held-out points never reach it.
    pub global: Option<GlobalConfig>,
    /// The whole config, for an input folder (column names, bucket, location).
    pub config: CheckedConfig,
}

/// What the evaluation found.
#[derive(Debug, Clone)]
pub struct HoldoutSummary {
    /// Series evaluated.
    pub series: usize,
    /// Series too short for the hold-out (fewer than h + 2 points), left out.
    pub skipped: usize,
    /// Wall seconds of fitting and forecasting all series (loading excluded).
    pub seconds: f64,
    /// Share of held-out values inside the forecast's p10–p90 interval.
    pub coverage_80: f64,
    /// Spread factors applied by the calibration.
    pub calibration: Calibration,
    /// How often each model was chosen.
    pub chosen: BTreeMap<&'static str, usize>,
    /// Model columns written after `replenish`.
    pub models: Vec<&'static str>,
    /// Seconds spent fitting each model of `models` (same order) to every
    /// series and forecasting `h` ahead, summed over series: the model's own
    /// cost, without the selection's backtests. With one thread this is the
    /// model's single-core wall time on the whole file.
    pub model_seconds: Vec<f64>,
    /// The global model's fits (empty when off).
    pub global: Vec<FitSummary>,
    /// The selection rules: the prior and each group's rule (`None`: off,
    /// or too few series).
    pub rules: Option<SelectionRules>,
}

/// The bucket a median spacing in days stands for.
fn bucket_of_spacing(days: f64) -> Bucket {
    if days >= 27.0 {
        Bucket::Month
    } else if days >= 6.0 {
        Bucket::Week
    } else {
        Bucket::Day
    }
}

/// Global covariates of a folder's series and the event names with an indicator.
type Known = (Vec<Covariates>, EventNames);

/// The series of an input folder (the `replenish run` contract) on the
/// config's bucket, as long series (`unique_id` = sku, or sku@location when
/// there are several locations), with their covariates over the whole
/// history: prices, promotions and events of the held-out buckets are known,
/// as planned prices and promotions are; their demand is not.
fn read_folder(dir: &Path, config: &Config) -> Result<(Vec<LongSeries>, Known)> {
    let mut data = crate::ingest::load(dir, config, None)?;
    let config = &config.planned_in(data.bucket);
    let bucket = data.bucket;
    let panel = Panel::take(&mut data, bucket, PricePromo::Kept);
    let (covariates, names) = global::panel_covariates(
        &panel,
        &data.keys,
        &data.events,
        config.forecast.global.max_events,
        0,
    );
    let one_location = data
        .keys
        .iter()
        .all(|k| k.location == data.keys[0].location);
    let series = panel
        .series
        .iter()
        .zip(&data.keys)
        .map(|(s, k)| LongSeries {
            id: if one_location {
                k.sku.clone()
            } else {
                format!("{}@{}", k.sku, k.location)
            },
            days: (0..s.demand.len() as i64)
                .map(|i| panel.bucket.start_day(s.start + i))
                .collect(),
            values: s.demand.clone(),
        })
        .collect();
    Ok((series, (covariates, names)))
}

struct SeriesResult {
    selected: Vec<f64>,
    p10: Vec<f64>,
    p50: Vec<f64>,
    p90: Vec<f64>,
    each: Vec<Vec<f64>>,
    chosen: &'static str,
    label: String,
    group: &'static str,
}

/// The global model's candidates of a series as models.
fn model_refs<'a>(extra: &'a Option<[GlobalCandidate<'a>; 2]>) -> Vec<&'a dyn Model> {
    extra
        .iter()
        .flat_map(|c| c.iter().map(|m| m as &dyn Model))
        .collect()
}

/// Median spacing of the dates, in days (1 when unknown).
fn median_spacing(series: &[LongSeries]) -> f64 {
    let mut gaps: Vec<i32> = series
        .iter()
        .flat_map(|s| s.days.windows(2).map(|w| w[1] - w[0]))
        .take(100_000)
        .collect();
    if gaps.is_empty() {
        return 1.0;
    }
    gaps.sort_unstable();
    f64::from(gaps[gaps.len() / 2].max(1))
}

/// The series of the input with their covariates (none from a long file),
/// the number of global events and how many series were too short (fewer
/// than h + 2 points) to evaluate.
fn read_input(o: &HoldoutOptions) -> Result<(Vec<LongSeries>, Vec<Covariates>, usize, usize)> {
    let (all, known) = if o.input.is_dir() {
        let (all, known) = read_folder(&o.input, &o.config)?;
        (all, Some(known))
    } else {
        let all = read_long(&o.input, &o.columns[0], &o.columns[1], &o.columns[2])?;
        (all, None)
    };
    let n_events = known.as_ref().map_or(0, |k| k.1.0.len());
    let skipped = all.iter().filter(|s| s.values.len() < o.h + 2).count();
    let covariates = match known {
        Some((c, _)) => c,
        None => vec![Covariates::default(); all.len()],
    };
    let (series, covariates): (Vec<LongSeries>, Vec<Covariates>) = all
        .into_iter()
        .zip(covariates)
        .filter(|(s, _)| s.values.len() >= o.h + 2)
        .unzip();
    Ok((series, covariates, n_events, skipped))
}

/// The forecast settings of every series: h ahead, the given selection,
/// no policy (so no demand process).
fn series_settings(o: &HoldoutOptions, spacing: f64) -> ForecastSettings {
    ForecastSettings {
        horizon: o.h,
        backtest_horizon: o.h,
        protection_buckets: None,
        cycle_buckets: None,
        origins: o.origins,
        metric: o.metric,
        season_length: o.season_length,
        discontinued_after: (o.discontinued_after_days / spacing).ceil() as usize,
        discontinued_probability: o.discontinued_probability,
        buckets_per_year: (365.25 / spacing).round().max(1.0) as usize,
        outlier_sigma: o.outlier_sigma,
        // A long file's zeros are observations: kept unless configured.
        leading_zeros: o
            .config
            .forecast
            .leading_zeros
            .unwrap_or(LeadingZeros::Keep),
        selection: o.selection,
        selection_margin: o.selection_margin,
        selection_learner: o.config.forecast.selection_learner,
        // Judged by forecast error: the robust pooled choice unless configured.
        selection_base: o
            .config
            .forecast
            .selection_base
            .unwrap_or(SelectionBase::Pooled),
        // No policy here: no demand process.
        slow_mover_demand: SlowMoverDemand::Forecast,
        process_window: 0,
        process_below: 0.0,
    }
}

/// The series as the forecast stage reads them: their training parts,
/// aligned to end at bucket `end` with their own calendars.
fn stage_series<'a>(
    series: &'a [LongSeries],
    covariates: &'a [Covariates],
    h: usize,
    bucket: Bucket,
    end: i64,
    settings: &ForecastSettings,
) -> Vec<StageSeries<'a>> {
    series
        .iter()
        .zip(covariates)
        .map(|(s, c)| {
            let n = s.values.len() - h;
            let start = end - n as i64;
            StageSeries {
                start,
                history: &s.values[..n],
                covariates: c,
                calendar_shift: bucket.index(s.days[0]) - start,
                hash: prior::fnv1a(s.id.as_bytes()),
                settings: settings.clone(),
            }
        })
        .collect()
}

/// Every candidate of either pattern once, for the per-model columns.
fn every_candidate(candidates: &Candidates) -> Vec<&dyn Model> {
    let mut every: Vec<&dyn Model> = Vec::new();
    for m in candidates.regular.iter().chain(&candidates.intermittent) {
        if !every.iter().any(|e| e.id() == m.id()) {
            every.push(m.as_ref());
        }
    }
    every
}

/// Each model's forecast of `h` after `train` (NaN where it does not fit)
/// and the seconds each took.
fn each_model<'a>(
    models: impl Iterator<Item = &'a dyn Model>,
    train: &[f64],
    h: usize,
) -> (Vec<Vec<f64>>, Vec<f64>) {
    models
        .map(|m| {
            let t = Instant::now();
            let f = m
                .fit(train)
                .map(|f| f.predict(h))
                .unwrap_or_else(|| vec![f64::NAN; h]);
            (f, t.elapsed().as_secs_f64())
        })
        .unzip()
}

/// The share of held-out points inside the 80 % interval, and how often
/// each model was chosen.
fn coverage_and_choices(
    series: &[LongSeries],
    results: &[SeriesResult],
    h: usize,
) -> (f64, BTreeMap<&'static str, usize>) {
    let mut inside = 0usize;
    let mut total = 0usize;
    let mut chosen = BTreeMap::new();
    for (s, r) in series.iter().zip(results) {
        *chosen.entry(r.chosen).or_insert(0) += 1;
        for (k, actual) in s.values[s.values.len() - h..].iter().enumerate() {
            total += 1;
            if *actual >= r.p10[k] && *actual <= r.p90[k] {
                inside += 1;
            }
        }
    }
    (inside as f64 / total.max(1) as f64, chosen)
}

/// Pool and calibrate every forecast's spread, then calibrate its
/// intervals per step, as a run does; the spread calibration.
fn finish_spreads(forecasts: &mut [SeriesForecast], o: &HoldoutOptions) -> Calibration {
    let calibration = if o.calibrate {
        calibration(forecasts.iter())
    } else {
        Calibration::NONE
    };
    let ratio = crate::forecast::pooled_spread_ratio(forecasts.iter());
    for f in forecasts.iter_mut() {
        f.pool_spread(&ratio, o.spread_pooling);
        f.sigma *= calibration.factor(f.distribution);
    }
    if o.calibrate {
        let intervals = crate::forecast::intervals::interval_calibration(forecasts.iter());
        for f in forecasts.iter_mut() {
            intervals.apply(f);
        }
    }
    calibration
}

/// Run the hold-out evaluation and write the forecasts.
pub fn run(o: &HoldoutOptions) -> Result<HoldoutSummary> {
    if o.h == 0 {
        return Err(Error::Config("--h: expected at least 1".into()));
    }
    if o.season_length == 0 {
        return Err(Error::Config("--season-length: expected at least 1".into()));
    }
    let (series, covariates, n_events, skipped) = read_input(o)?;
    let spacing = median_spacing(&series);
    let settings = series_settings(o, spacing);
    let candidates = Candidates::standard(o.season_length, o.moving_average_window)
        .with_theta(o.config.forecast.theta, o.season_length)
        .with_ets_errors(o.config.forecast.ets_multiplicative_error, o.season_length);
    let every = every_candidate(&candidates);
    let mut models: Vec<&'static str> = every.iter().map(|m| m.name()).collect();
    let pool = crate::threads::thread_pool(o.threads)?;
    let clock = Instant::now();
    let bucket = bucket_of_spacing(spacing);
    let end = series
        .iter()
        .map(|s| bucket.index(s.days[s.days.len() - o.h - 1]) + 1)
        .max()
        .unwrap_or(0);
    let stage_series = stage_series(&series, &covariates, o.h, bucket, end, &settings);
    let stage_settings = StageSettings {
        global: o
            .global
            .as_ref()
            .filter(|g| g.enabled)
            .map(|g| GlobalSettings::from_config(g, o.season_length)),
        n_events,
        prior_series: o.selection_prior_series,
        group_rules: o.selection_rules,
        metric: o.metric,
    };
    // The global model on the training parts, every series aligned to end
    // at bucket `end` (its calendar shifted back to its own dates); the
    // selection prior from the sample of series a run would take; then each
    // series chosen and refitted.
    let mut stage =
        pool.install(|| Stage::new(&stage_series, &candidates, bucket, end, &stage_settings));
    if stage.global.is_some() {
        models.extend([GLOBAL_POISSON.name(), GLOBAL_LINEAR.name()]);
    }
    let backtested = stage.take_backtested();
    let mut forecasts: Vec<SeriesForecast> = pool.install(|| {
        backtested
            .into_par_iter()
            .enumerate()
            .map(|(i, b)| stage.forecast(i, b))
            .collect()
    });
    let calibration = finish_spreads(&mut forecasts, o);
    // The selection's time ends here; every candidate alone on every
    // series (the per-model columns) is timed model by model.
    let seconds = clock.elapsed().as_secs_f64();
    type Each = (Vec<Vec<f64>>, Vec<f64>);
    let each: Vec<Each> = pool.install(|| {
        (0..stage_series.len())
            .into_par_iter()
            .map(|i| {
                let extra = stage.extras(i);
                let models = every.iter().copied().chain(model_refs(&extra));
                each_model(models, stage_series[i].history, o.h)
            })
            .collect()
    });
    let selection_rules = stage.rules.take();
    let global = stage.global.take();
    let mut model_seconds = vec![0.0; models.len()];
    for (_, secs) in &each {
        for (total, s) in model_seconds.iter_mut().zip(secs) {
            *total += s;
        }
    }
    let results: Vec<SeriesResult> = forecasts
        .into_iter()
        .zip(each)
        .map(|(fc, (each, _))| {
            let q = |p: f64| (0..o.h).map(|k| fc.quantile(k, p)).collect::<Vec<f64>>();
            SeriesResult {
                p10: q(0.1),
                p50: q(0.5),
                p90: q(0.9),
                chosen: fc.model.name(),
                label: fc.label(),
                group: fc.group.map_or("none", |g| g.name()),
                selected: fc.mean,
                each,
            }
        })
        .collect();

    let (coverage_80, chosen) = coverage_and_choices(&series, &results, o.h);
    write_csv(&o.out, &series, &results, o.h, &models)?;
    Ok(HoldoutSummary {
        series: series.len(),
        skipped,
        global: global.map(|g| g.summaries).unwrap_or_default(),
        seconds,
        coverage_80,
        calibration,
        chosen,
        models,
        model_seconds,
        rules: selection_rules,
    })
}

/// `<stem>_<suffix>.csv` beside `path`.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    path.with_file_name(format!(
        "{}_{suffix}.csv",
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    ))
}

/// Each series' chosen model (a combination with its members) and its
/// selection group.
fn write_models(path: &Path, series: &[LongSeries], results: &[SeriesResult]) -> Result<()> {
    let err = |e: csv::Error| Error::Internal(format!("writing {}: {e}", path.display()));
    let mut w = csv::Writer::from_path(path).map_err(err)?;
    w.write_record(["unique_id", "model", "group"])
        .map_err(err)?;
    for (s, r) in series.iter().zip(results) {
        w.write_record([s.id.as_str(), r.label.as_str(), r.group])
            .map_err(err)?;
    }
    w.flush().map_err(|e| Error::io("cannot write", path, e))
}

fn write_csv(
    path: &Path,
    series: &[LongSeries],
    results: &[SeriesResult],
    h: usize,
    models: &[&str],
) -> Result<()> {
    let err = |e: csv::Error| Error::Internal(format!("writing {}: {e}", path.display()));
    let quantiles = beside(path, "quantiles");
    write_models(&beside(path, "models"), series, results)?;
    let mut w = csv::Writer::from_path(path).map_err(err)?;
    let mut wq = csv::Writer::from_path(&quantiles).map_err(err)?;
    let mut header = vec!["unique_id", "ds", "replenish"];
    header.extend(models.iter().copied());
    w.write_record(&header).map_err(err)?;
    wq.write_record(["unique_id", "ds", "p10", "p50", "p90"])
        .map_err(err)?;
    for (s, r) in series.iter().zip(results) {
        let n = s.days.len();
        for k in 0..h {
            let ds = date_of_day(s.days[n - h + k])
                .map(|d| d.to_string())
                .unwrap_or_default();
            let mut row = vec![s.id.clone(), ds.clone(), r.selected[k].to_string()];
            row.extend(r.each.iter().map(|f| f[k].to_string()));
            w.write_record(&row).map_err(err)?;
            wq.write_record([
                s.id.clone(),
                ds,
                r.p10[k].to_string(),
                r.p50[k].to_string(),
                r.p90[k].to_string(),
            ])
            .map_err(err)?;
        }
    }
    w.flush().map_err(|e| Error::io("cannot write", path, e))?;
    wq.flush()
        .map_err(|e| Error::io("cannot write", &quantiles, e))?;
    Ok(())
}
