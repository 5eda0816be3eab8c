//! Rolling-origin backtest, per-series selection and the forecast distribution.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::Model;
use super::clean::{clip_outliers, first_demand, is_discontinued, median};
use super::prior::{Evidence, SelectionPrior};
use crate::demand::Pattern;
use crate::demand_process::{DemandProcess, SlowMoverDemand};
use crate::inventory_theory::{EmpiricalErrors, LeadTimeErrors};
use crate::stats::{negbin_quantile, norm_ppf};

/// Scaled error used to choose between candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Mean absolute scaled error (ranks like MAE: favours the median).
    #[default]
    Mase,
    /// Root mean squared scaled error (ranks like MSE: favours the mean).
    Rmsse,
}

/// How the forecast is chosen from the backtested candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Selection {
    /// The candidate with the lowest backtest score.
    Best,
    /// The median of the three lead candidates of the pattern, unless a single
    /// candidate's score beats it by more than the selection margin.
    #[default]
    BestWithCombination,
    /// Always the median of the three lead candidates.
    Combination,
}

/// Settings of the forecast of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastSettings {
    /// Buckets to forecast.
    pub horizon: usize,
    /// Buckets ahead evaluated at each backtest origin (lead time + review).
    pub backtest_horizon: usize,
    /// Buckets the reorder point protects (lead time + half a review, may be
    /// fractional): the horizon of the summed errors in
    /// [`SeriesForecast::horizon_errors`]; `None`: the backtest horizon.
    pub protection_buckets: Option<f64>,
    /// Buckets of lead time + a whole review period, which a base stock
    /// ordered at every review protects: the horizon of
    /// [`SeriesForecast::cycle_errors`]; `None`: the backtest horizon.
    pub cycle_buckets: Option<f64>,
    /// Backtest origins.
    pub origins: usize,
    /// Selection metric.
    pub metric: Metric,
    /// Season length in buckets (1 = none), for the MASE scale.
    pub season_length: usize,
    /// Trailing buckets without demand before an item can count as
    /// discontinued (0 = never): then only when a gap that long is
    /// improbable at its own rate ([`super::clean::trailing_gap`]).
    pub discontinued_after: usize,
    /// Chance of the current gap below which the item counts as discontinued.
    pub discontinued_probability: f64,
    /// Buckets per year (the same weeks of earlier years excuse a seasonal gap).
    pub buckets_per_year: usize,
    /// How a slow mover's lead-time demand is built; with
    /// [`SlowMoverDemand::Forecast`] no demand process is estimated.
    pub slow_mover_demand: SlowMoverDemand,
    /// Buckets of recent history the demand process is read from.
    pub process_window: usize,
    /// The demand process is estimated for intermittent and lumpy series and
    /// for those whose recent demand over the protection interval is below
    /// this many units (twice the policy's count-distribution threshold).
    pub process_below: f64,
    /// Outlier limit in robust standard deviations (0 = no cleaning).
    pub outlier_sigma: f64,
    /// How the forecast is chosen.
    pub selection: Selection,
    /// Relative score a single model must gain over the combination to be chosen.
    pub selection_margin: f64,
}

impl Default for ForecastSettings {
    /// Weekly buckets, 13 ahead, lead time + review of 5, 3 origins, MASE,
    /// yearly season, the median combination with a 10 % margin; items quiet
    /// for 13 buckets may be discontinued; slow movers get a compound
    /// demand process over two years.
    fn default() -> Self {
        ForecastSettings {
            horizon: 13,
            backtest_horizon: 5,
            protection_buckets: None,
            cycle_buckets: None,
            origins: 3,
            metric: Metric::Mase,
            season_length: 52,
            discontinued_after: 13,
            discontinued_probability: 0.01,
            buckets_per_year: 52,
            outlier_sigma: 6.0,
            selection: Selection::BestWithCombination,
            selection_margin: 0.1,
            slow_mover_demand: SlowMoverDemand::Compound,
            process_window: 104,
            process_below: 20.0,
        }
    }
}

/// Errors of one candidate over the rolling-origin backtest.
#[derive(Debug, Clone, PartialEq)]
pub struct Backtest {
    /// Model name.
    pub model: &'static str,
    /// Origins evaluated.
    pub origins: usize,
    /// Buckets ahead evaluated at each origin.
    pub horizon: usize,
    /// Mean absolute error per bucket.
    pub mae: f64,
    /// Root mean squared error per bucket.
    pub rmse: f64,
    /// MAE over the in-sample (seasonal) naive MAE.
    pub mase: f64,
    /// √(MSE over the mean squared one-step difference) (M5's RMSSE).
    pub rmsse: f64,
    /// Mean error (forecast − actual): positive means over-forecast.
    pub bias: f64,
}

impl Backtest {
    /// The value of `metric`.
    pub fn score(&self, metric: Metric) -> f64 {
        match metric {
            Metric::Mase => self.mase,
            Metric::Rmsse => self.rmsse,
        }
    }
}

/// Shape of the forecast distribution used for quantiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distribution {
    /// Normal around the mean with the backtest spread, cut at zero.
    Normal,
    /// Negative binomial with the mean and the backtest variance (Poisson when
    /// the variance does not exceed the mean): counts for intermittent demand.
    NegativeBinomial,
}

/// Name of the median of the three lead candidates.
pub const COMBINATION: &str = "median_combination";
/// Name of the mean of the local choice and the global model for a new item
/// (members: the local choice, the global model).
pub const NEW_ITEM_BLEND: &str = "new_item_blend";
/// Name of the all-zero forecast of items without (recent) demand.
pub const ZERO: &str = "zero";

/// The forecast of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesForecast {
    /// Chosen model (or [`COMBINATION`], or [`ZERO`]).
    pub model: &'static str,
    /// Members of the combination, when it was chosen.
    pub members: Vec<&'static str>,
    /// Mean per future bucket.
    pub mean: Vec<f64>,
    /// Standard deviation of the one-bucket forecast error.
    pub sigma: f64,
    /// Distribution shape for quantiles.
    pub distribution: Distribution,
    /// Backtest of every candidate evaluated, in candidate order (combination last).
    pub backtests: Vec<Backtest>,
    /// History indices (from the series' first bucket) clipped as outliers.
    pub outliers: Vec<usize>,
    /// No demand for the configured time: forecast zero.
    pub discontinued: bool,
    /// Errors (actual − forecast) of the latest backtest origin over the spread
    /// of the earlier origins' errors, for [`calibrate`].
    pub standardized_errors: Vec<f64>,
    /// Per backtest origin, (z, w): the error summed over the protection
    /// horizon T (`protection_buckets`, at most the backtest horizon; a
    /// fractional last bucket counts pro rata) against the demand as it was
    /// (outliers not clipped: the stock must serve them) over w, √T times the
    /// one-bucket spread of the other origins' errors — what the normal
    /// lead-time demand assumes to be standard normal (pooled by
    /// [`pool_horizon_errors`], weighted by w).
    pub horizon_errors: Vec<(f64, f64)>,
    /// The same over lead time + a whole review period
    /// ([`ForecastSettings::cycle_buckets`]), for a base stock ordered at
    /// every review.
    pub cycle_errors: Vec<(f64, f64)>,
    /// The pooled distributions of standardised horizon errors the policy
    /// uses for this series instead of the normal (`None`: the normal).
    pub lead_time_errors: LeadTimeErrors,
    /// Occurrence and sizes of the demand of a slow mover, from its recent
    /// history (the demand as it was, not clipped): the policy builds its
    /// lead-time demand from them. `None` for other series.
    pub process: Option<Arc<DemandProcess>>,
    /// The largest demand the item had over any run of buckets as long as
    /// the protection interval (rounded up), when its history since the
    /// first demand spans a year: the scale a reorder point is capped to.
    pub max_protection_demand: Option<f64>,
}

impl SeriesForecast {
    /// The chosen model for reports: `median_combination(a+b+c)` names its members.
    pub fn label(&self) -> String {
        if self.members.is_empty() {
            self.model.to_string()
        } else {
            format!("{}({})", self.model, self.members.join("+"))
        }
    }

    /// Mean forecast per bucket.
    pub fn level(&self) -> f64 {
        if self.mean.is_empty() {
            0.0
        } else {
            self.mean.iter().sum::<f64>() / self.mean.len() as f64
        }
    }

    /// Shrink the spread toward the pooled spread-to-level `ratio` (from
    /// [`pooled_spread_ratio`]): σ² ← (1 − p)·σ² + p·(ratio · level)², `p` the
    /// share taken from the peers. Three backtest origins make one series'
    /// spread noisy; its peers steady it.
    pub fn pool_spread(&mut self, ratio: &Calibration, share: f64) {
        let r = ratio.factor(self.distribution);
        let level = self.level();
        if share <= 0.0
            || !r.is_finite()
            || level.is_nan()
            || level <= 0.0
            || self.backtests.is_empty()
        {
            return;
        }
        let p = share.clamp(0.0, 1.0);
        let pooled = r * level;
        self.sigma = ((1.0 - p) * self.sigma * self.sigma + p * pooled * pooled).sqrt();
    }

    /// The chosen model's backtest, when there was one.
    pub fn chosen(&self) -> Option<&Backtest> {
        self.backtests.iter().find(|b| b.model == self.model)
    }

    /// Quantile `p` (0 < p < 1) of the demand in future bucket `step`.
    pub fn quantile(&self, step: usize, p: f64) -> f64 {
        let m = self.mean.get(step).copied().unwrap_or(0.0).max(0.0);
        let q = match self.distribution {
            Distribution::Normal => m + norm_ppf(p) * self.sigma,
            Distribution::NegativeBinomial => negbin_quantile(m, self.sigma * self.sigma, p),
        };
        if q.is_finite() { q.max(0.0) } else { m }
    }

    fn constant(model: &'static str, horizon: usize, discontinued: bool) -> SeriesForecast {
        SeriesForecast {
            model,
            members: Vec::new(),
            mean: vec![0.0; horizon],
            sigma: 0.0,
            distribution: Distribution::Normal,
            backtests: Vec::new(),
            outliers: Vec::new(),
            discontinued,
            standardized_errors: Vec::new(),
            horizon_errors: Vec::new(),
            cycle_errors: Vec::new(),
            lead_time_errors: LeadTimeErrors::default(),
            process: None,
            max_protection_demand: None,
        }
    }
}

/// Shortest training window a backtest origin leaves.
pub const MIN_TRAIN: usize = 4;

/// Backtest origins for a history of `n` buckets: `n − h`, `n − 2h`, … (at
/// most `origins`, each leaving at least [`MIN_TRAIN`] buckets); when the
/// history is too short for one full horizon, the horizon shrinks to what is left.
fn cuts(n: usize, horizon: usize, origins: usize) -> Option<(usize, Vec<usize>)> {
    if n < MIN_TRAIN + 1 {
        return None;
    }
    let h = horizon.clamp(1, n - MIN_TRAIN);
    let cuts: Vec<usize> = (1..=origins.max(1))
        .map_while(|k| n.checked_sub(k * h).filter(|&o| o >= MIN_TRAIN))
        .collect();
    (!cuts.is_empty()).then_some((h, cuts))
}

/// Scales of MASE (mean |y_t − y_{t−m}|, lag 1 when too short) and RMSSE
/// (mean squared one-step difference) of a training window; never zero.
fn scales(train: &[f64], season_length: usize) -> (f64, f64) {
    let fallback = {
        let mean = train.iter().map(|v| v.abs()).sum::<f64>() / train.len().max(1) as f64;
        if mean > 0.0 { mean } else { 1.0 }
    };
    let lag = if train.len() > season_length && season_length > 1 {
        season_length
    } else {
        1
    };
    let diffs = |lag: usize| -> (f64, f64) {
        let n = train.len().saturating_sub(lag);
        if n == 0 {
            return (0.0, 0.0);
        }
        let (mut a, mut s) = (0.0, 0.0);
        for t in lag..train.len() {
            let d = train[t] - train[t - lag];
            a += d.abs();
            s += d * d;
        }
        (a / n as f64, s / n as f64)
    };
    let mase = diffs(lag).0;
    let rmsse = diffs(1).1;
    (
        if mase > 0.0 { mase } else { fallback },
        if rmsse > 0.0 {
            rmsse
        } else {
            fallback * fallback
        },
    )
}

/// Forecasts of one candidate at every origin, or `None` if it cannot fit one.
fn run_origins(model: &dyn Model, y: &[f64], h: usize, cuts: &[usize]) -> Option<Vec<Vec<f64>>> {
    cuts.iter()
        .map(|&o| model.fit(&y[..o]).map(|f| sanitize(f.predict(h))))
        .collect()
}

fn sanitize(mut v: Vec<f64>) -> Vec<f64> {
    for x in &mut v {
        if !x.is_finite() || *x < 0.0 {
            *x = 0.0;
        }
    }
    v
}

fn score(
    model: &'static str,
    forecasts: &[Vec<f64>],
    y: &[f64],
    h: usize,
    cuts: &[usize],
    scale: (f64, f64),
) -> Backtest {
    let (mut abs, mut sq, mut sum, mut count) = (0.0, 0.0, 0.0, 0usize);
    for (f, &o) in forecasts.iter().zip(cuts) {
        for (p, a) in f.iter().zip(&y[o..o + h]) {
            let e = p - a;
            abs += e.abs();
            sq += e * e;
            sum += e;
            count += 1;
        }
    }
    let c = count.max(1) as f64;
    Backtest {
        model,
        origins: cuts.len(),
        horizon: h,
        mae: abs / c,
        rmse: (sq / c).sqrt(),
        mase: abs / c / scale.0,
        rmsse: (sq / c / scale.1).sqrt(),
        bias: sum / c,
    }
}

/// Element-wise median of several forecasts of equal length.
fn median_of(forecasts: &[&Vec<f64>]) -> Vec<f64> {
    let h = forecasts.iter().map(|f| f.len()).min().unwrap_or(0);
    let mut buf = Vec::with_capacity(forecasts.len());
    (0..h)
        .map(|i| {
            buf.clear();
            buf.extend(forecasts.iter().map(|f| f[i]));
            median(&mut buf)
        })
        .collect()
}

/// Backtest one model alone (all origins), e.g. for diagnostics and tests.
pub fn backtest(
    model: &dyn Model,
    y: &[f64],
    horizon: usize,
    origins: usize,
    season_length: usize,
) -> Option<Backtest> {
    let (h, cuts) = cuts(y.len(), horizon, origins)?;
    let forecasts = run_origins(model, y, h, &cuts)?;
    let scale = scales(&y[..*cuts.last()?], season_length);
    Some(score(model.name(), &forecasts, y, h, &cuts, scale))
}

/// Forecast one series: trim leading zeros; forecast zero for an item without
/// recent demand; clip outliers (regular patterns only); backtest every
/// candidate and the median of the best three; keep the lowest score
/// (earlier candidates win ties) and refit it on the whole history.
pub fn forecast_series(
    models: &[Box<dyn Model>],
    y: &[f64],
    pattern: Pattern,
    s: &ForecastSettings,
) -> SeriesForecast {
    forecast_series_with(models, &[], y, pattern, s, None)
}

/// The candidates in backtest order: the pattern's own, with the first of
/// `extra` (the global model's) as the third of the lead three whose median is
/// the combination, the other extras last.
fn lineup<'a>(models: &'a [Box<dyn Model>], extra: &[&'a dyn Model]) -> Vec<&'a dyn Model> {
    let mut models: Vec<&dyn Model> = models.iter().map(|m| m.as_ref()).collect();
    if let Some((first, rest)) = extra.split_first() {
        models.insert(2.min(models.len()), *first);
        models.extend(rest.iter().copied());
    }
    models
}

/// A history ready to backtest: leading zeros trimmed, outliers clipped.
struct Prepared<'a> {
    /// The history to fit (clipped for regular patterns).
    y: Vec<f64>,
    /// The history as it was (from the first demand).
    raw: &'a [f64],
    /// History indices (from the series' first bucket) clipped as outliers.
    outliers: Vec<usize>,
    /// Intermittent or lumpy demand.
    intermittent: bool,
}

/// Trim and clean a history, or the constant forecast of an item without
/// (recent) demand.
fn prepare<'a>(
    y: &'a [f64],
    pattern: Pattern,
    s: &ForecastSettings,
) -> Result<Prepared<'a>, Box<SeriesForecast>> {
    let start = first_demand(y);
    if start == y.len() {
        return Err(Box::new(SeriesForecast::constant(ZERO, s.horizon, false)));
    }
    if is_discontinued(
        y,
        s.discontinued_after,
        s.discontinued_probability,
        s.buckets_per_year,
    ) {
        return Err(Box::new(SeriesForecast::constant(ZERO, s.horizon, true)));
    }
    let raw = &y[start..];
    let intermittent = matches!(pattern, Pattern::Intermittent | Pattern::Lumpy);
    let (y, outliers) = if intermittent {
        (raw.to_vec(), Vec::new())
    } else {
        let (c, idx) = clip_outliers(raw, s.outlier_sigma, 9, s.season_length);
        (c, idx.into_iter().map(|i| i + start).collect())
    };
    Ok(Prepared {
        y,
        raw,
        outliers,
        intermittent,
    })
}

/// Every candidate's backtest on one history (the combination last), with the
/// forecasts each made at every origin.
pub(crate) struct Evaluation {
    /// Backtests in candidate order, the combination last when there is one.
    pub(crate) backtests: Vec<Backtest>,
    /// (candidate index, forecast per origin), aligned with `backtests`.
    runs: Vec<(usize, Vec<Vec<f64>>)>,
    /// The combination's forecast per origin.
    combination_run: Vec<Vec<f64>>,
    /// Backtest horizon and origins.
    origins: Option<(usize, Vec<usize>)>,
    /// MASE and RMSSE scales.
    scale: (f64, f64),
}

impl Evaluation {
    /// Each backtest's `metric` per origin (aligned with `backtests`).
    pub(crate) fn origin_scores(&self, y: &[f64], metric: Metric) -> Vec<Vec<f64>> {
        let Some((h, cut)) = &self.origins else {
            return Vec::new();
        };
        let per_origin = |run: &[Vec<f64>]| -> Vec<f64> {
            run.iter()
                .zip(cut)
                .map(|(f, &o)| {
                    let b = score("", std::slice::from_ref(f), y, *h, &[o], self.scale);
                    b.score(metric)
                })
                .collect()
        };
        let mut out: Vec<Vec<f64>> = self.runs.iter().map(|(_, r)| per_origin(r)).collect();
        if self.backtests.len() > self.runs.len() {
            out.push(per_origin(&self.combination_run));
        }
        out
    }
}

/// Backtest every candidate and, unless the selection is `best`, the median
/// of the lead three.
fn evaluate(models: &[&dyn Model], y: &[f64], s: &ForecastSettings) -> Evaluation {
    let mut e = Evaluation {
        backtests: Vec::new(),
        runs: Vec::new(),
        combination_run: Vec::new(),
        origins: cuts(y.len(), s.backtest_horizon, s.origins),
        scale: (1.0, 1.0),
    };
    if let Some((h, cut)) = &e.origins {
        let (h, cut) = (*h, cut.as_slice());
        e.scale = scales(&y[..*cut.last().expect("cuts")], s.season_length);
        for (i, m) in models.iter().enumerate() {
            if let Some(f) = run_origins(*m, y, h, cut) {
                e.backtests.push(score(m.name(), &f, y, h, cut, e.scale));
                e.runs.push((i, f));
            }
        }
        if s.selection != Selection::Best && e.runs.len() >= 3 {
            let lead: Vec<usize> = (0..3).collect();
            e.combination_run = (0..cut.len())
                .map(|o| median_of(&lead.iter().map(|&b| &e.runs[b].1[o]).collect::<Vec<_>>()))
                .collect();
            e.backtests
                .push(score(COMBINATION, &e.combination_run, y, h, cut, e.scale));
        }
    }
    e
}

/// The chosen backtest by the raw scores: the lowest, except that under
/// `best_with_combination` a single model must beat the combination by the
/// selection margin.
fn choose(backtests: &[Backtest], s: &ForecastSettings) -> Option<usize> {
    let best_single = backtests
        .iter()
        .enumerate()
        .filter(|(_, b)| b.model != COMBINATION)
        .min_by(|(i, a), (j, b)| {
            a.score(s.metric)
                .total_cmp(&b.score(s.metric))
                .then(i.cmp(j))
        })
        .map(|(i, _)| i);
    let combination = backtests
        .last()
        .filter(|b| b.model == COMBINATION)
        .map(|_| backtests.len() - 1);
    match (s.selection, combination, best_single) {
        (Selection::Combination, Some(c), _) => Some(c),
        (Selection::BestWithCombination, Some(c), Some(b)) => {
            // A single model must beat the combination clearly: short backtests
            // are noisy, and a lucky winner forecasts worse than the combination.
            let bar = backtests[c].score(s.metric) * (1.0 - s.selection_margin);
            Some(if backtests[b].score(s.metric) < bar {
                b
            } else {
                c
            })
        }
        _ => best_single,
    }
}

/// One series backtested, not yet chosen: what [`forecast_series_with`] does
/// before the choice, kept so that a series of the prior's sample is not
/// backtested twice.
pub struct Backtested<'a> {
    prepared: Prepared<'a>,
    evaluation: Evaluation,
}

impl Backtested<'_> {
    /// The evidence for a [`SelectionPrior`] (`None` with fewer than two
    /// backtested candidates).
    pub fn evidence(&self, metric: Metric) -> Option<Evidence> {
        Evidence::new(
            &self.evaluation,
            &self.prepared.y,
            self.prepared.intermittent,
            metric,
        )
    }
}

/// Backtest one series' candidates (see [`forecast_series_with`]); `Err` is
/// the finished forecast of an item without (recent) demand.
pub fn backtest_series<'a>(
    models: &[Box<dyn Model>],
    extra: &[&dyn Model],
    y: &'a [f64],
    pattern: Pattern,
    s: &ForecastSettings,
) -> Result<Backtested<'a>, Box<SeriesForecast>> {
    let models = lineup(models, extra);
    let prepared = prepare(y, pattern, s)?;
    let evaluation = super::ets::sharing_fits(|| evaluate(&models, &prepared.y, s));
    Ok(Backtested {
        prepared,
        evaluation,
    })
}

/// [`forecast_series`] with `extra` candidates (the global model's, which
/// belong to one series): the first becomes the third of the lead three whose
/// median is the combination, the others follow the pattern's own; all
/// compete in the backtest like the others. With a `prior`, each candidate's
/// backtest score is shrunk toward its score across series before choosing.
pub fn forecast_series_with(
    models: &[Box<dyn Model>],
    extra: &[&dyn Model],
    y: &[f64],
    pattern: Pattern,
    s: &ForecastSettings,
    prior: Option<&SelectionPrior>,
) -> SeriesForecast {
    match backtest_series(models, extra, y, pattern, s) {
        Ok(b) => finish(b, models, extra, s, prior),
        Err(constant) => *constant,
    }
}

/// Choose among the backtested candidates of `b` (with the `models` and
/// `extra` it was backtested with) and refit the choice on the whole history.
pub fn finish(
    b: Backtested<'_>,
    models: &[Box<dyn Model>],
    extra: &[&dyn Model],
    s: &ForecastSettings,
    prior: Option<&SelectionPrior>,
) -> SeriesForecast {
    super::ets::sharing_fits(|| choose_and_refit(b, models, extra, s, prior))
}

fn choose_and_refit(
    b: Backtested<'_>,
    models: &[Box<dyn Model>],
    extra: &[&dyn Model],
    s: &ForecastSettings,
    prior: Option<&SelectionPrior>,
) -> SeriesForecast {
    let models = lineup(models, extra);
    let Backtested {
        prepared:
            Prepared {
                y,
                raw,
                outliers,
                intermittent,
            },
        evaluation:
            Evaluation {
                backtests,
                runs,
                combination_run,
                origins,
                ..
            },
    } = b;
    let distribution = if intermittent {
        Distribution::NegativeBinomial
    } else {
        Distribution::Normal
    };
    let chosen = prior
        .and_then(|p| p.choose(&backtests, intermittent, s))
        .or_else(|| choose(&backtests, s));

    let refit = |m: &dyn Model| m.fit(&y).map(|f| sanitize(f.predict(s.horizon)));
    let (model, members, mean, sigma) = match chosen {
        Some(c) if backtests[c].model == COMBINATION => {
            let lead: Vec<usize> = (0..3).collect();
            let members: Vec<&'static str> = lead.iter().map(|&b| backtests[b].model).collect();
            let fits: Vec<Vec<f64>> = lead
                .iter()
                .map(|&b| refit(models[runs[b].0]).unwrap_or_else(|| vec![0.0; s.horizon]))
                .collect();
            let mean = median_of(&fits.iter().collect::<Vec<_>>());
            (COMBINATION, members, mean, backtests[c].rmse)
        }
        Some(c) => {
            let m = models[runs[c].0];
            (
                m.name(),
                Vec::new(),
                refit(m).unwrap_or_else(|| vec![0.0; s.horizon]),
                backtests[c].rmse,
            )
        }
        None => {
            // Too short to backtest: the first candidate that fits, and a spread
            // from the data (the larger of the standard deviation and √mean).
            let n = y.len() as f64;
            let avg = y.iter().sum::<f64>() / n;
            let sd = (y.iter().map(|v| (v - avg).powi(2)).sum::<f64>() / n).sqrt();
            let fitted = models.iter().find_map(|m| refit(*m).map(|f| (m.name(), f)));
            let (name, mean) = fitted.unwrap_or((ZERO, vec![0.0; s.horizon]));
            (name, Vec::new(), mean, sd.max(avg.sqrt()))
        }
    };
    // A new item — less history since its first demand than one full backtest
    // horizon over the shortest training window — is judged on too short a
    // backtest: its forecast is the mean of the local choice and the first
    // extra candidate (the global model, which learnt from every series'
    // history, launches included) when there is one.
    let new_item = y.len() < s.backtest_horizon + MIN_TRAIN;
    let global = extra
        .first()
        .filter(|_| new_item)
        .and_then(|m| refit(*m).map(|f| (m.name(), f)));
    let (model, members, mean) = match global {
        Some((name, g)) => (
            NEW_ITEM_BLEND,
            vec![model, name],
            mean.iter().zip(&g).map(|(a, b)| 0.5 * (a + b)).collect(),
        ),
        None => (model, members, mean),
    };
    // Errors of the latest origin, standardised by the spread of the others:
    // pooled over series they show how wide the intervals must be (calibrate).
    let standardized_errors = match (chosen, &origins) {
        (Some(c), Some((h, cut))) if cut.len() >= 2 => {
            let run = if backtests[c].model == COMBINATION {
                &combination_run
            } else {
                &runs[c].1
            };
            let y = &y;
            let errors = |o: usize| (0..*h).map(move |k| y[cut[o] + k] - run[o][k]);
            let rest: Vec<f64> = (1..cut.len()).flat_map(errors).collect();
            let sd = (rest.iter().map(|e| e * e).sum::<f64>() / rest.len() as f64).sqrt();
            if sd > 0.0 {
                errors(0).map(|e| e / sd).collect()
            } else {
                Vec::new()
            }
        }
        _ => Vec::new(),
    };
    // Errors summed over each origin's horizon, against the unclipped demand,
    // standardised by the one-bucket spread of the other origins (leave one
    // out: the policy, too, meets errors its spread was not estimated on).
    let run = chosen.map(|c| {
        if backtests[c].model == COMBINATION {
            &combination_run
        } else {
            &runs[c].1
        }
    });
    let process = demand_process(raw, intermittent, &mean, s);
    let horizon_errors = summed_errors(&y, raw, run, &origins, s.protection_buckets);
    let cycle_errors = summed_errors(&y, raw, run, &origins, s.cycle_buckets);
    SeriesForecast {
        model,
        members,
        mean,
        sigma: if sigma.is_finite() { sigma } else { 0.0 },
        distribution,
        backtests,
        outliers,
        discontinued: false,
        standardized_errors,
        horizon_errors,
        cycle_errors,
        lead_time_errors: LeadTimeErrors::default(),
        process,
        max_protection_demand: max_protection_demand(raw, s),
    }
}

/// See [`SeriesForecast::max_protection_demand`].
fn max_protection_demand(raw: &[f64], s: &ForecastSettings) -> Option<f64> {
    let t = s
        .protection_buckets
        .filter(|t| t.is_finite() && *t > 0.0)
        .unwrap_or(s.backtest_horizon as f64)
        .ceil()
        .max(1.0) as usize;
    if raw.len() < s.buckets_per_year.max(t) {
        return None;
    }
    let mut sum: f64 = raw[..t].iter().map(|v| v.max(0.0)).sum();
    let mut best = sum;
    for i in t..raw.len() {
        sum += raw[i].max(0.0) - raw[i - t].max(0.0);
        best = best.max(sum);
    }
    Some(best.max(0.0))
}

/// Per backtest origin, the error of `run` (the chosen forecast per origin)
/// summed over `horizon` buckets (at most the backtest horizon; a fractional
/// last bucket pro rata) against the demand as it was (`raw`), over w, √T
/// times the one-bucket spread of the other origins' errors (leave one out:
/// the policy, too, meets errors its spread was not estimated on): (z, w).
fn summed_errors(
    y: &[f64],
    raw: &[f64],
    run: Option<&Vec<Vec<f64>>>,
    origins: &Option<(usize, Vec<usize>)>,
    horizon: Option<f64>,
) -> Vec<(f64, f64)> {
    let (Some(run), Some((h, cut))) = (run, origins) else {
        return Vec::new();
    };
    if cut.len() < 2 {
        return Vec::new();
    }
    let horizon = horizon
        .filter(|t| t.is_finite() && *t > 0.0)
        .map_or(*h as f64, |t| t.min(*h as f64));
    (0..cut.len())
        .filter_map(|o| {
            let (mut sq, mut n) = (0.0, 0usize);
            for (p, &at) in cut.iter().enumerate().filter(|&(p, _)| p != o) {
                for k in 0..*h {
                    sq += (y[at + k] - run[p][k]).powi(2);
                    n += 1;
                }
            }
            let spread = (sq / n.max(1) as f64).sqrt() * horizon.sqrt();
            let total: f64 = (0..*h)
                .map(|k| (horizon - k as f64).clamp(0.0, 1.0) * (raw[cut[o] + k] - run[o][k]))
                .sum();
            let z = total / spread;
            (spread > 0.0 && z.is_finite()).then_some((z, spread))
        })
        .collect()
}

/// The demand process of a slow mover (see [`ForecastSettings::process_below`]).
fn demand_process(
    raw: &[f64],
    intermittent: bool,
    forecast: &[f64],
    s: &ForecastSettings,
) -> Option<Arc<DemandProcess>> {
    if s.slow_mover_demand == SlowMoverDemand::Forecast || s.process_window == 0 {
        return None;
    }
    let recent = &raw[raw.len().saturating_sub(s.process_window)..];
    let mean = recent.iter().map(|v| v.max(0.0)).sum::<f64>() / recent.len().max(1) as f64;
    let protection = s
        .protection_buckets
        .filter(|t| t.is_finite() && *t > 0.0)
        .unwrap_or(s.backtest_horizon as f64);
    if !intermittent && mean * protection >= s.process_below {
        return None;
    }
    let process = DemandProcess::estimate(raw, s.process_window, s.slow_mover_demand)?;
    // Regular demand (a low-volume smooth or erratic item) is forecast well:
    // its level is the forecast's over the protection interval, so that a
    // trend or a launch is followed; an intermittent item's level is its
    // history's, which a short backtest cannot judge.
    let buckets = (protection.ceil() as usize).clamp(1, forecast.len().max(1));
    let level = forecast.iter().take(buckets).sum::<f64>() / buckets as f64;
    Some(Arc::new(if intermittent || forecast.is_empty() {
        process
    } else {
        process.at_level(level)
    }))
}

/// Fewest pooled errors for a calibration factor; below it the factor is 1.
pub const MIN_CALIBRATION_ERRORS: usize = 50;

/// Fewest standardised horizon errors (effective number, (Σw)²/Σw², of the
/// weighted errors) for an empirical lead-time demand pool; below it the pool
/// falls back to the wider one, then to the normal.
pub const MIN_HORIZON_ERRORS: usize = 50;

/// Empirical distributions of standardised horizon errors of regular-demand
/// series (normal forecast shape), pooled per ABC class and over all classes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HorizonErrorPools {
    /// Per ABC class, when it has at least [`MIN_HORIZON_ERRORS`] errors.
    pub by_class: BTreeMap<char, Arc<EmpiricalErrors>>,
    /// All classes together, when they have at least [`MIN_HORIZON_ERRORS`].
    pub all: Option<Arc<EmpiricalErrors>>,
    /// The same over lead time + a whole review period (base stock).
    pub cycle_by_class: BTreeMap<char, Arc<EmpiricalErrors>>,
    /// All classes together over lead time + a whole review period.
    pub cycle_all: Option<Arc<EmpiricalErrors>>,
}

impl HorizonErrorPools {
    /// The pools for a series of class `abc`: its class's, else all
    /// classes', else none (the normal).
    pub fn for_class(&self, abc: char) -> LeadTimeErrors {
        LeadTimeErrors {
            protection: self.by_class.get(&abc).or(self.all.as_ref()).cloned(),
            cycle: self
                .cycle_by_class
                .get(&abc)
                .or(self.cycle_all.as_ref())
                .cloned(),
        }
    }

    /// Summary for run.json: per pool (`A`, `B`, `C`, `all`) the errors
    /// pooled, their mean and spread, and the 90, 95 and 99 % quantiles.
    pub fn summary(&self) -> BTreeMap<String, PoolSummary> {
        summarize(&self.by_class, self.all.as_ref())
    }

    /// [`HorizonErrorPools::summary`] over lead time + a whole review period.
    pub fn cycle_summary(&self) -> BTreeMap<String, PoolSummary> {
        summarize(&self.cycle_by_class, self.cycle_all.as_ref())
    }
}

fn summarize(
    by_class: &BTreeMap<char, Arc<EmpiricalErrors>>,
    all: Option<&Arc<EmpiricalErrors>>,
) -> BTreeMap<String, PoolSummary> {
    let all = all.into_iter().map(|p| ("all".to_string(), p));
    by_class
        .iter()
        .map(|(c, p)| (c.to_string(), p))
        .chain(all)
        .map(|(name, p)| {
            let r = |x: f64| (x * 1e4).round() / 1e4;
            (
                name,
                PoolSummary {
                    errors: p.count(),
                    mean: r(p.mean()),
                    sd: r(p.sd()),
                    p90: r(p.quantile(0.9)),
                    p95: r(p.quantile(0.95)),
                    p99: r(p.quantile(0.99)),
                },
            )
        })
        .collect()
}

/// One pool of standardised horizon errors, for run.json.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PoolSummary {
    /// Errors pooled.
    pub errors: usize,
    /// Their mean (> 0: demand above the forecast).
    pub mean: f64,
    /// Their standard deviation (1 if the normal assumption held).
    pub sd: f64,
    /// 90 % quantile (normal: 1.28).
    pub p90: f64,
    /// 95 % quantile (normal: 1.64).
    pub p95: f64,
    /// 99 % quantile (normal: 2.33).
    pub p99: f64,
}

/// Pool the standardised horizon errors of the regular-demand forecasts
/// (`(forecast, ABC class)`) per class and over all, dividing each by
/// `factor` (the spread calibration the policy's σ will carry, so that the
/// errors are in units of that σ). Each error weighs its spread in units:
/// the pooled loss G(k) = Σ (e − k·w)⁺ / Σ w is the units short per unit of
/// spread held when every series holds k spreads — what a demand-weighted
/// fill rate adds up — and an error standardised by a spread that happened
/// to be tiny cannot swamp the pool. Sorted before pooling: the same pools
/// whatever the order of the forecasts.
pub fn pool_horizon_errors<'a>(
    forecasts: impl IntoIterator<Item = (&'a SeriesForecast, char)>,
    factor: f64,
) -> HorizonErrorPools {
    let factor = if factor.is_finite() && factor > 0.0 {
        factor
    } else {
        1.0
    };
    let mut by_class: BTreeMap<char, Vec<(f64, f64)>> = BTreeMap::new();
    let mut cycle: BTreeMap<char, Vec<(f64, f64)>> = BTreeMap::new();
    for (f, abc) in forecasts {
        if f.distribution != Distribution::Normal {
            continue;
        }
        let scaled = |e: &[(f64, f64)]| e.iter().map(|&(z, w)| (z / factor, w)).collect::<Vec<_>>();
        by_class
            .entry(abc)
            .or_default()
            .extend(scaled(&f.horizon_errors));
        cycle
            .entry(abc)
            .or_default()
            .extend(scaled(&f.cycle_errors));
    }
    let (by_class, all) = pools(by_class);
    let (cycle_by_class, cycle_all) = pools(cycle);
    HorizonErrorPools {
        by_class,
        all,
        cycle_by_class,
        cycle_all,
    }
}

/// Per class and over all classes, the pools with enough errors.
#[allow(clippy::type_complexity)]
fn pools(
    by_class: BTreeMap<char, Vec<(f64, f64)>>,
) -> (
    BTreeMap<char, Arc<EmpiricalErrors>>,
    Option<Arc<EmpiricalErrors>>,
) {
    let all: Vec<(f64, f64)> = by_class.values().flatten().copied().collect();
    (
        by_class
            .into_iter()
            .filter_map(|(c, z)| {
                Some((
                    c,
                    Arc::new(EmpiricalErrors::weighted(z, MIN_HORIZON_ERRORS)?),
                ))
            })
            .collect(),
        EmpiricalErrors::weighted(all, MIN_HORIZON_ERRORS).map(Arc::new),
    )
}

/// Spread factors from [`calibration`], one per distribution shape.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Calibration {
    /// Factor for normal (regular-demand) spreads.
    pub normal: f64,
    /// Factor for negative-binomial (intermittent-demand) spreads.
    pub counts: f64,
}

impl Calibration {
    /// No change.
    pub const NONE: Calibration = Calibration {
        normal: 1.0,
        counts: 1.0,
    };

    /// The factor for a distribution shape.
    pub fn factor(&self, d: Distribution) -> f64 {
        match d {
            Distribution::Normal => self.normal,
            Distribution::NegativeBinomial => self.counts,
        }
    }
}

/// Spread relative to level, pooled across series: the median, per
/// distribution shape, of σ / (mean forecast per bucket) over the series that
/// were backtested and have demand. Used by [`SeriesForecast::pool_spread`].
pub fn pooled_spread_ratio<'a>(
    forecasts: impl IntoIterator<Item = &'a SeriesForecast>,
) -> Calibration {
    let (mut normal, mut counts) = (Vec::new(), Vec::new());
    for f in forecasts {
        let level = f.level();
        if f.backtests.is_empty() || level.is_nan() || level <= 0.0 || !f.sigma.is_finite() {
            continue;
        }
        match f.distribution {
            Distribution::Normal => normal.push(f.sigma / level),
            Distribution::NegativeBinomial => counts.push(f.sigma / level),
        }
    }
    let median = |mut v: Vec<f64>| -> f64 {
        if v.is_empty() {
            return f64::NAN;
        }
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    Calibration {
        normal: median(normal),
        counts: median(counts),
    }
}

/// Split-conformal calibration across series: the factor, per distribution
/// shape, that makes the p10–p90 interval hold 80 % of the pooled standardised
/// errors of the latest backtest origin (kept within 0.5–3; 1 with fewer than
/// [`MIN_CALIBRATION_ERRORS`] errors). Multiply each spread by it.
pub fn calibration<'a>(forecasts: impl IntoIterator<Item = &'a SeriesForecast>) -> Calibration {
    let (mut normal, mut counts) = (Vec::new(), Vec::new());
    for f in forecasts {
        let pool = match f.distribution {
            Distribution::Normal => &mut normal,
            Distribution::NegativeBinomial => &mut counts,
        };
        pool.extend(
            f.standardized_errors
                .iter()
                .copied()
                .filter(|v| v.is_finite()),
        );
    }
    let factor = |mut z: Vec<f64>| -> f64 {
        if z.len() < MIN_CALIBRATION_ERRORS {
            return 1.0;
        }
        z.sort_by(f64::total_cmp);
        let q = |p: f64| z[((z.len() - 1) as f64 * p).round() as usize];
        ((q(0.9) - q(0.1)) / (2.0 * norm_ppf(0.9))).clamp(0.5, 3.0)
    };
    Calibration {
        normal: factor(normal),
        counts: factor(counts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::{Candidates, Fitted, MovingAverage, Ses};

    fn settings(horizon: usize, backtest_horizon: usize) -> ForecastSettings {
        ForecastSettings {
            horizon,
            backtest_horizon,
            protection_buckets: None,
            origins: 3,
            metric: Metric::Mase,
            season_length: 1,
            discontinued_after: 0,
            outlier_sigma: 0.0,
            selection: Selection::Best,
            selection_margin: 0.1,
            slow_mover_demand: SlowMoverDemand::Forecast,
            ..ForecastSettings::default()
        }
    }

    fn standard() -> Vec<Box<dyn Model>> {
        Candidates::standard(1, 8).regular
    }

    #[test]
    fn constant_series_has_zero_error() {
        let fc = forecast_series(&standard(), &[7.0; 30], Pattern::Smooth, &settings(5, 4));
        assert_eq!(fc.mean, vec![7.0; 5]);
        assert_eq!(fc.sigma, 0.0);
        let bt = fc.chosen().unwrap();
        assert_eq!((bt.origins, bt.horizon), (3, 4));
        assert_eq!(bt.mase, 0.0);
    }

    #[test]
    fn backtest_shrinks_for_short_history() {
        let y = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let bt = backtest(&Ses::new(), &y, 10, 3, 1).unwrap();
        assert_eq!((bt.origins, bt.horizon), (1, 2));
        assert!(backtest(&Ses::new(), &y[..4], 2, 3, 1).is_none());
    }

    #[test]
    fn short_history_falls_back_to_poisson_spread() {
        let fc = forecast_series(&standard(), &[4.0, 4.0], Pattern::Smooth, &settings(3, 2));
        assert!(fc.backtests.is_empty());
        assert_eq!(fc.mean, vec![4.0; 3]);
        assert_eq!(fc.sigma, 2.0);
    }

    #[test]
    fn selection_prefers_the_lower_scaled_error() {
        // A step up: SES adapts, an 8-bucket moving average lags.
        let mut y = vec![5.0; 30];
        y.extend(vec![50.0; 12]);
        let models: Vec<Box<dyn Model>> =
            vec![Box::new(MovingAverage::new(8)), Box::new(Ses::new())];
        let fc = forecast_series(&models, &y, Pattern::Smooth, &settings(2, 2));
        assert_eq!(fc.model, "ses");
        assert_eq!(fc.backtests.len(), 2);
        assert!(fc.mean[0] > 45.0);
    }

    #[test]
    fn leading_zeros_are_trimmed_and_dead_items_forecast_zero() {
        let mut y = vec![0.0; 20];
        y.extend(vec![6.0; 10]);
        let fc = forecast_series(&standard(), &y, Pattern::Smooth, &settings(3, 2));
        assert_eq!(
            fc.mean,
            vec![6.0; 3],
            "zeros before the first demand must not count"
        );
        let mut s = settings(3, 2);
        s.discontinued_after = 5;
        let mut dead = vec![6.0; 10];
        dead.extend(vec![0.0; 6]);
        let fc = forecast_series(&standard(), &dead, Pattern::Smooth, &s);
        assert!(fc.discontinued);
        assert_eq!((fc.model, fc.mean.clone()), (ZERO, vec![0.0; 3]));
        let none = forecast_series(&standard(), &[0.0; 8], Pattern::NoDemand, &s);
        assert!(!none.discontinued);
        assert_eq!(none.model, ZERO);
    }

    struct Fixed(&'static str, f64);
    struct FixedFit(f64);
    impl Fitted for FixedFit {
        fn predict(&self, h: usize) -> Vec<f64> {
            vec![self.0; h]
        }
    }
    impl Model for Fixed {
        fn name(&self) -> &'static str {
            self.0
        }
        fn fit(&self, _: &[f64]) -> Option<Box<dyn Fitted>> {
            Some(Box::new(FixedFit(self.1)))
        }
    }

    #[test]
    fn a_new_item_is_the_mean_of_its_local_choice_and_the_global_model() {
        let models: Vec<Box<dyn Model>> = vec![Box::new(Fixed("a", 6.0))];
        let global = Fixed("g", 2.0);
        let mut s = settings(3, 4);
        s.selection = Selection::Best;
        // Leading zeros, then 7 buckets of demand: fewer than 4 + MIN_TRAIN.
        let launch = [0.0, 0.0, 5.0, 7.0, 6.0, 6.0, 5.0, 6.0, 7.0];
        let fc = forecast_series_with(&models, &[&global], &launch, Pattern::Smooth, &s, None);
        assert_eq!(fc.model, NEW_ITEM_BLEND);
        assert_eq!(fc.members.len(), 2);
        assert_eq!(fc.members[1], "g");
        assert_eq!(fc.mean, vec![4.0; 3]);
        assert_eq!(fc.label(), format!("{NEW_ITEM_BLEND}({}+g)", fc.members[0]));
        // Without the global model the local choice stands.
        let local = forecast_series_with(&models, &[], &launch, Pattern::Smooth, &s, None);
        assert_eq!(local.mean, vec![6.0; 3]);
        // An established item is chosen on its backtest as before.
        let y: Vec<f64> = (0..24).map(|i| 6.0 + (i % 2) as f64).collect();
        let fc = forecast_series_with(&models, &[&global], &y, Pattern::Smooth, &s, None);
        assert_ne!(fc.model, NEW_ITEM_BLEND);
        assert_eq!(fc.model, "a");
    }

    #[test]
    fn a_single_model_must_beat_the_combination_clearly() {
        // Actuals …8, 12 at each origin. Lead three a (7), b (13), c (10.5):
        // their median is 10.5, MAE 2, the same as c alone: the combination stays.
        let y: Vec<f64> = (0..24)
            .map(|i| if i % 2 == 0 { 8.0 } else { 12.0 })
            .collect();
        let mut models: Vec<Box<dyn Model>> = vec![
            Box::new(Fixed("a", 7.0)),
            Box::new(Fixed("b", 13.0)),
            Box::new(Fixed("c", 10.5)),
            Box::new(Fixed("d", 100.0)),
        ];
        let mut s = settings(2, 2);
        s.selection = Selection::BestWithCombination;
        let fc = forecast_series(&models, &y, Pattern::Smooth, &s);
        assert_eq!(fc.backtests.len(), 5);
        assert_eq!(fc.backtests[4].model, COMBINATION);
        assert_eq!(fc.backtests[4].mae, 2.0);
        assert_eq!(fc.model, COMBINATION);
        assert_eq!(fc.members, vec!["a", "b", "c"]);
        assert_eq!(fc.mean, vec![10.5, 10.5]);
        // Lead three 7, 13, 20: median 13, MAE 3; e (10) has MAE 2 < 3 · 0.9 and wins.
        models[2] = Box::new(Fixed("c", 20.0));
        models[3] = Box::new(Fixed("e", 10.0));
        let fc = forecast_series(&models, &y, Pattern::Smooth, &s);
        assert_eq!(fc.model, "e");
        s.selection = Selection::Combination;
        let fc = forecast_series(&models, &y, Pattern::Smooth, &s);
        assert_eq!(fc.model, COMBINATION);
    }

    #[test]
    fn combination_wins_when_its_members_are_right_at_different_origins() {
        /// Forecasts 10 + offset[parity of the history length].
        struct Flip(&'static str, [f64; 2]);
        impl Model for Flip {
            fn name(&self) -> &'static str {
                self.0
            }
            fn fit(&self, y: &[f64]) -> Option<Box<dyn Fitted>> {
                Some(Box::new(FixedFit(10.0 + self.1[y.len() % 2])))
            }
        }
        // Even lengths: 10, 6, 14 → median 10; odd: 14, 10, 6 → median 10.
        let models: Vec<Box<dyn Model>> = vec![
            Box::new(Flip("a", [0.0, 4.0])),
            Box::new(Flip("b", [-4.0, 0.0])),
            Box::new(Flip("c", [4.0, -4.0])),
        ];
        let mut s = settings(1, 1);
        s.selection = Selection::BestWithCombination;
        let fc = forecast_series(&models, &[10.0; 20], Pattern::Smooth, &s);
        assert_eq!(fc.model, COMBINATION);
        assert_eq!(fc.members, vec!["a", "b", "c"]);
        assert_eq!(fc.chosen().unwrap().mae, 0.0);
        assert_eq!(fc.mean, vec![10.0]);
    }

    #[test]
    fn calibration_matches_the_spread_of_the_pooled_errors() {
        let mut fc = forecast_series(&standard(), &[7.0; 30], Pattern::Smooth, &settings(2, 2));
        fc.sigma = 3.0;
        // Standardised errors twice as wide as a standard normal: factor 2.
        let n = 201;
        fc.standardized_errors = (0..n)
            .map(|i| 2.0 * norm_ppf((i as f64 + 0.5) / n as f64))
            .collect();
        let mut counts = fc.clone();
        counts.distribution = Distribution::NegativeBinomial;
        counts.standardized_errors.truncate(10);
        let c = calibration([&fc, &counts]);
        assert!((c.normal - 2.0).abs() < 0.05, "{c:?}");
        assert_eq!(c.counts, 1.0, "too few errors to calibrate");
        assert_eq!(c.factor(Distribution::Normal), c.normal);
        assert_eq!(calibration([]), Calibration::NONE);
    }

    #[test]
    fn horizon_errors_by_hand_and_pooled_per_class() {
        // Actuals 8, 12 at each origin, forecast 9: bucket errors −1, +3 (mean
        // square 5 at the other origins), summed over the horizon 2:
        // z = 2 / (√5·√2) at each of the 3 origins.
        let y: Vec<f64> = (0..24)
            .map(|i| if i % 2 == 0 { 8.0 } else { 12.0 })
            .collect();
        let models: Vec<Box<dyn Model>> = vec![Box::new(Fixed("nine", 9.0))];
        let fc = forecast_series(&models, &y, Pattern::Smooth, &settings(2, 2));
        let z = 2.0 / (5f64.sqrt() * 2f64.sqrt());
        assert_eq!(fc.horizon_errors.len(), 3);
        for &(e, w) in &fc.horizon_errors {
            assert!((e - z).abs() < 1e-12, "{e}");
            assert!((w - 10f64.sqrt()).abs() < 1e-12, "spread √5·√2: {w}");
        }
        // 3 errors per series: 20 series of class A (60 errors) make a pool of
        // their own; 10 of class B (30) too few: B takes the pool of all (90).
        let mut counts = fc.clone();
        counts.distribution = Distribution::NegativeBinomial;
        let mut list: Vec<(&SeriesForecast, char)> = vec![(&fc, 'A'); 20];
        list.extend(vec![(&fc, 'B'); 10]);
        list.push((&counts, 'C'));
        let pools = pool_horizon_errors(list, 2.0);
        assert_eq!(pools.by_class.len(), 1);
        let a = pools.for_class('A').protection.unwrap();
        assert_eq!(a.count(), 60);
        assert!((a.mean() - z / 2.0).abs() < 1e-12, "divided by the factor");
        assert_eq!(pools.for_class('B').protection.unwrap().count(), 90);
        assert_eq!(pools.for_class('C').protection.unwrap().count(), 90);
        assert_eq!(pools.summary().keys().collect::<Vec<_>>(), ["A", "all"]);
        // Without a cycle horizon the cycle errors are the backtest horizon's: the same here.
        assert_eq!(fc.cycle_errors, fc.horizon_errors);
        assert_eq!(pools.for_class('A').cycle.unwrap().count(), 60);
        // Protecting 1.5 buckets: −1 + ½·3 over √5·√1.5.
        let mut s = settings(2, 2);
        s.protection_buckets = Some(1.5);
        let fc = forecast_series(&models, &y, Pattern::Smooth, &s);
        let z = 0.5 / (5f64.sqrt() * 1.5f64.sqrt());
        assert!((fc.horizon_errors[0].0 - z).abs() < 1e-12);
        // Too few anywhere: no pool, the normal.
        let few = pool_horizon_errors(vec![(&fc, 'A'); 5], 1.0);
        assert_eq!(few.for_class('A'), LeadTimeErrors::default());
        assert!(few.all.is_none() && few.cycle_all.is_none());
    }

    #[test]
    fn quantiles_are_ordered_and_non_negative() {
        let mut fc = forecast_series(
            &[Box::new(MovingAverage { window: 4 }) as Box<dyn Model>],
            &[3.0, 0.0, 5.0, 1.0, 0.0, 2.0, 4.0, 0.0, 1.0],
            Pattern::Lumpy,
            &settings(3, 2),
        );
        assert_eq!(fc.distribution, Distribution::NegativeBinomial);
        for d in [Distribution::Normal, Distribution::NegativeBinomial] {
            fc.distribution = d;
            let q: Vec<f64> = [0.1, 0.5, 0.9].iter().map(|&p| fc.quantile(0, p)).collect();
            assert!(q[0] >= 0.0 && q[0] <= q[1] && q[1] <= q[2], "{d:?} {q:?}");
        }
    }
}
