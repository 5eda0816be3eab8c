//! Rolling-origin backtest, per-series selection and the forecast distribution.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use super::clean::{clip_outliers, history_start, is_discontinued};
use super::prior::Evidence;
use super::rules::{Group, SelectionRules, Trial};
use super::{Model, ModelId};
use crate::demand::Pattern;
use crate::demand_process::{DemandProcess, SlowMoverDemand};
use crate::dispersion::Dispersion;
use crate::inventory_theory::{EmpiricalErrors, LeadTimeErrors};
use crate::stats::{negbin_quantile, norm_ppf, same_bits};

pub use super::backtest::{
    Backtest, COMBINATION, ForecastSettings, LeadingZeros, MIN_TRAIN, Metric, Selection, backtest,
};
use super::backtest::{
    Combination, Combine, Evaluation, choose, evaluate, fit_members, members_label, sanitize,
};

/// Shape of the forecast distribution used for quantiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distribution {
    /// Normal around the mean with the backtest spread, cut at zero.
    Normal,
    /// Negative binomial with the mean and the backtest variance (Poisson when
    /// the variance does not exceed the mean): counts for intermittent demand.
    NegativeBinomial,
}

/// Name of the mean of the local choice and the global model for a new item
/// (members: the local choice, the global model).
pub const NEW_ITEM_BLEND: ModelId = ModelId::NewItemBlend;
/// Name of the all-zero forecast of items without (recent) demand.
pub const ZERO: ModelId = ModelId::Zero;

/// The forecast of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesForecast {
    /// Chosen model (or [`COMBINATION`], or [`ZERO`]).
    pub model: ModelId,
    /// Members of the combination, when it was chosen.
    pub members: Vec<ModelId>,
    /// The selection rules' group of the series (`None` for a constant
    /// forecast of an item without recent demand).
    pub group: Option<Group>,
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
    /// of the earlier origins' errors, for `calibrate`.
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
    /// Per step of the latest backtest origin, the chosen forecast and the
    /// demand as it was: what the interval calibration
    /// ([`super::intervals`]) sets each step's interval width by.
    pub latest_origin: Vec<(f64, f64)>,
    /// The spread of the chosen forecast's errors at the other origins over
    /// its spread at all of them (1 when unknown): the spread the latest
    /// origin's errors are judged against, as a share of `sigma`, so that
    /// they are out of sample.
    pub latest_origin_spread: f64,
    /// Per forecast step, the factor on `sigma` of its quantiles (empty:
    /// 1; beyond the last step, the last), from [`super::intervals`].
    pub interval_factors: Vec<f64>,
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
    /// The dispersion test of a regular series' recent demand (the demand
    /// as it was) against Poisson; `None` for slow movers (their demand
    /// process) and where it cannot be tested.
    pub dispersion: Option<Dispersion>,
}

impl SeriesForecast {
    /// The chosen model for reports: `median_combination(a+b+c)` names its members.
    pub fn label(&self) -> String {
        if self.members.is_empty() {
            self.model.to_string()
        } else {
            format!("{}({})", self.model, members_label(&self.members))
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
        let f = self
            .interval_factors
            .get(step)
            .or(self.interval_factors.last())
            .copied()
            .unwrap_or(1.0);
        calibrated_quantile(m, self.sigma, self.distribution, f, p)
    }

    fn constant(model: ModelId, horizon: usize, discontinued: bool) -> SeriesForecast {
        SeriesForecast {
            model,
            members: Vec::new(),
            group: None,
            mean: vec![0.0; horizon],
            sigma: 0.0,
            distribution: Distribution::Normal,
            backtests: Vec::new(),
            outliers: Vec::new(),
            discontinued,
            standardized_errors: Vec::new(),
            horizon_errors: Vec::new(),
            cycle_errors: Vec::new(),
            latest_origin: Vec::new(),
            latest_origin_spread: 1.0,
            interval_factors: Vec::new(),
            lead_time_errors: LeadTimeErrors::default(),
            process: None,
            max_protection_demand: None,
            dispersion: None,
        }
    }
}

/// Quantile `p` of demand with mean `m` (≥ 0) and spread `sigma` in a
/// distribution shape: never negative, `m` where it is not finite.
pub fn quantile_of(m: f64, sigma: f64, shape: Distribution, p: f64) -> f64 {
    let q = match shape {
        Distribution::Normal => m + norm_ppf(p) * sigma,
        Distribution::NegativeBinomial => negbin_quantile(m, sigma * sigma, p),
    };
    if q.is_finite() { q.max(0.0) } else { m }
}

/// [`quantile_of`] under an interval factor `f` ([`super::intervals`]):
/// a normal spread is multiplied by it; a count distribution, whose
/// quantiles do not widen steadily with its spread, has the distance of `p`
/// from the median multiplied by it instead.
pub fn calibrated_quantile(m: f64, sigma: f64, shape: Distribution, f: f64, p: f64) -> f64 {
    match shape {
        Distribution::Normal => quantile_of(m, sigma * f, shape, p),
        Distribution::NegativeBinomial => {
            let p = (0.5 + (p - 0.5) * f).clamp(1e-6, 1.0 - 1e-6);
            quantile_of(m, sigma, shape, p)
        }
    }
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

/// A history ready to backtest: leading zeros trimmed when they mark a launch
/// ([`history_start`]), outliers clipped.
struct Prepared<'a> {
    /// The history to fit (clipped for regular patterns).
    y: Vec<f64>,
    /// The history as it was (from its start, [`history_start`]).
    raw: &'a [f64],
    /// The history as it was since the item's launch (zeros before a
    /// launch trimmed whatever `leading_zeros` says): what the slow movers'
    /// demand process and the largest demand over the protection interval
    /// are read from, so that pre-launch zeros never thin the policy's
    /// picture of demand.
    since_launch: &'a [f64],
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
    let start = history_start(y, s.leading_zeros);
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
    let since_launch = &y[history_start(y, LeadingZeros::Launch).max(start)..];
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
        since_launch,
        outliers,
        intermittent,
    })
}

/// One series backtested, not yet chosen: what [`forecast_series_with`] does
/// before the choice, kept so that a series of the prior's sample is not
/// backtested twice.
pub struct Backtested<'a> {
    prepared: Prepared<'a>,
    evaluation: Evaluation,
}

impl Backtested<'_> {
    /// The rules' group of the series.
    pub fn group(&self, s: &ForecastSettings) -> Group {
        let origins = self.evaluation.origins.as_ref().map_or(0, |o| o.1.len());
        Group::of(
            self.prepared.intermittent,
            self.prepared.y.len(),
            origins,
            s,
        )
    }

    /// The series' candidates per origin as the selection rules read them
    /// (`None` when it could not be backtested).
    pub fn trial(&self, s: &ForecastSettings, metric: Metric) -> Option<Trial> {
        let e = &self.evaluation;
        let (h, cut) = e.origins.as_ref()?;
        let y = &self.prepared.y;
        Some(Trial::new(
            self.group(s),
            e.backtests
                .iter()
                .take(e.runs.len())
                .map(|b| b.model)
                .collect(),
            e.runs.iter().map(|(_, r)| r.clone()).collect(),
            cut.iter().map(|&o| y[o..o + h].to_vec()).collect(),
            e.scale,
            metric,
            // Only the learner reads the features.
            if s.selection_learner {
                super::learner::series_features(&y[..cut[0]], s.season_length)
            } else {
                [0.0; super::learner::SERIES_FEATURES]
            },
        ))
    }

    /// Offer combination `c` instead of the default (`None`: none).
    pub fn set_combination(&mut self, c: Option<&Combination>) {
        self.evaluation.set_combination(&self.prepared.y, c);
    }

    /// The evidence for a [`super::SelectionPrior`] (`None` with fewer than two
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
    let evaluation = sharing_fits(|| evaluate(&models, &prepared.y, s));
    Ok(Backtested {
        prepared,
        evaluation,
    })
}

/// Series `y`'s backtest made of `other`'s evaluation: what
/// [`backtest_series`] gives when `y` holds the same values, bit for bit,
/// as the history `other` was backtested on, with the same candidates and
/// settings (the backtest reads nothing else) — without fitting again.
pub fn backtest_like<'a>(
    other: &Backtested<'_>,
    y: &'a [f64],
    pattern: Pattern,
    s: &ForecastSettings,
) -> Result<Backtested<'a>, Box<SeriesForecast>> {
    Ok(Backtested {
        prepared: prepare(y, pattern, s)?,
        evaluation: other.evaluation.clone(),
    })
}

/// [`forecast_series`] with `extra` candidates (the global model's, which
/// belong to one series): the first becomes the third of the lead three whose
/// median is the combination, the others follow the pattern's own; all
/// compete in the backtest like the others. With `rules` (learnt across
/// series), the series' group decides its combination and how it chooses
/// (see [`super::rules`]).
pub fn forecast_series_with(
    models: &[Box<dyn Model>],
    extra: &[&dyn Model],
    y: &[f64],
    pattern: Pattern,
    s: &ForecastSettings,
    rules: Option<&SelectionRules>,
) -> SeriesForecast {
    match backtest_series(models, extra, y, pattern, s) {
        Ok(b) => finish(b, models, extra, s, rules),
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
    rules: Option<&SelectionRules>,
) -> SeriesForecast {
    sharing_fits(|| choose_and_refit(b, models, extra, s, rules))
}

/// Series `y`'s forecast with the choice made earlier (`chosen`, its forecast
/// at the last selection) instead of a new selection: the chosen model, or
/// the chosen combination's members, refitted to `y`; the mean and what is
/// read off the history as it stands now (outliers, the demand process, the
/// largest demand over the protection interval, the dispersion test) new;
/// the spread and the backtest's errors carried over. `None` when the
/// choice cannot be kept: it was not a backtested choice (a constant, a
/// series too short to backtest, a new item's blend), the pattern moved
/// between regular and intermittent, or the model no longer fits — the
/// series is then selected afresh.
pub fn refit_chosen(
    chosen: &SeriesForecast,
    models: &[Box<dyn Model>],
    extra: &[&dyn Model],
    y: &[f64],
    pattern: Pattern,
    s: &ForecastSettings,
) -> Option<SeriesForecast> {
    chosen.chosen()?;
    let prepared = match prepare(y, pattern, s) {
        Ok(p) => p,
        Err(constant) => return Some(*constant),
    };
    let was_intermittent = chosen.distribution == Distribution::NegativeBinomial;
    if prepared.intermittent != was_intermittent {
        return None;
    }
    let models = lineup(models, extra);
    let fit = |id: ModelId| {
        let m = models.iter().find(|m| m.id() == id)?;
        refit(*m, &prepared.y, s.horizon)
    };
    let mean = sharing_fits(|| refit_mean(chosen, fit))?;
    let Prepared {
        since_launch,
        outliers,
        intermittent,
        ..
    } = prepared;
    let (process, dispersion, max_protection_demand) =
        read_off_history(since_launch, intermittent, &mean, s);
    Some(SeriesForecast {
        mean,
        outliers,
        dispersion,
        process,
        max_protection_demand,
        ..chosen.clone()
    })
}

/// What the policy reads off a series' history (since its launch) beside
/// its forecast `mean`: a slow mover's demand process, the dispersion test
/// of other regular demand, and the largest demand over the protection
/// interval.
fn read_off_history(
    since_launch: &[f64],
    intermittent: bool,
    mean: &[f64],
    s: &ForecastSettings,
) -> (Option<Arc<DemandProcess>>, Option<Dispersion>, Option<f64>) {
    let process = demand_process(since_launch, intermittent, mean, s);
    let dispersion = if process.is_none() && !intermittent {
        Dispersion::test(since_launch)
    } else {
        None
    };
    (process, dispersion, max_protection_demand(since_launch, s))
}

/// The mean forecast of `chosen`'s model (its combination's members joined)
/// with each model fitted by `fit`; `None` when one does not fit.
fn refit_mean(
    chosen: &SeriesForecast,
    fit: impl Fn(ModelId) -> Option<Vec<f64>>,
) -> Option<Vec<f64>> {
    if chosen.model.is_combination() {
        let combination = Combination {
            members: chosen.members.clone(),
            combine: if chosen.model == ModelId::MeanCombination {
                Combine::Mean
            } else {
                Combine::Median
            },
        };
        let fits = fit_members(&chosen.members, &fit)
            .into_iter()
            .collect::<Option<Vec<_>>>()?;
        combination.join(&fits.iter().collect::<Vec<_>>())
    } else {
        fit(chosen.model)
    }
}

/// The root mean squared error of `run` at every origin but the latest
/// (`None` with fewer than two origins).
fn spread_without_latest(
    y: &[f64],
    run: Option<&Vec<Vec<f64>>>,
    origins: &Option<(usize, Vec<usize>)>,
) -> Option<f64> {
    let (Some(run), Some((h, cut))) = (run, origins) else {
        return None;
    };
    let rest: Vec<f64> = (1..cut.len())
        .flat_map(|o| (0..*h).map(move |k| y[cut[o] + k] - run[o][k]))
        .collect();
    (!rest.is_empty()).then(|| (rest.iter().map(|e| e * e).sum::<f64>() / rest.len() as f64).sqrt())
}

/// Errors of the latest origin, standardised by the spread of the others:
/// pooled over series they show how wide the intervals must be (calibrate).
/// Empty with fewer than two origins or no spread.
fn latest_origin_errors(
    y: &[f64],
    run: Option<&Vec<Vec<f64>>>,
    origins: &Option<(usize, Vec<usize>)>,
) -> Vec<f64> {
    let (Some(r), Some((h, cut))) = (run, origins) else {
        return Vec::new();
    };
    match spread_without_latest(y, run, origins) {
        Some(sd) if sd > 0.0 => (0..*h).map(|k| (y[cut[0] + k] - r[0][k]) / sd).collect(),
        _ => Vec::new(),
    }
}

/// The combination of a series of `group` under `rules`: the group's, or
/// the default (the lead three's median) when the group has none or the
/// selection always combines.
fn offer_combination(b: &mut Backtested<'_>, rules: Option<&SelectionRules>, s: &ForecastSettings) {
    if s.selection == Selection::Best {
        return;
    }
    let group = b.group(s);
    match rules.and_then(|r| r.combination(group)) {
        Some(Some(c)) => b.set_combination(Some(c)),
        Some(None) if s.selection != Selection::Combination => b.set_combination(None),
        _ => {}
    }
}

/// Run `f` with ETS fits and optimised-SES forecasts shared on this
/// thread ([`super::ets::sharing_fits`], [`super::intermittent::sharing_ses`]).
pub(crate) fn sharing_fits<R>(f: impl FnOnce() -> R) -> R {
    super::ets::sharing_fits(|| super::intermittent::sharing_ses(f))
}

/// A refit kept inside [`sharing_refits`]: the model, the horizon, the
/// history and the forecast.
type KeptRefit = (ModelId, usize, Vec<f64>, Option<Vec<f64>>);

thread_local! {
    /// The refits of the current [`sharing_refits`] scope on this thread.
    static REFITS: RefCell<Option<Vec<KeptRefit>>> = const { RefCell::new(None) };
}

/// Ends a [`sharing_refits`] scope, also when it unwinds.
struct RefitScope;

impl Drop for RefitScope {
    fn drop(&mut self) {
        REFITS.with_borrow_mut(|kept| *kept = None);
    }
}

/// Run `f` — the forecasts of one series by twin stages, whose candidates
/// are the same models — with its refits kept: a model refitted to a
/// history it was refitted to before in `f` takes that forecast, which is
/// the one a new fit gives (a fit is a pure function of the history).
pub(crate) fn sharing_refits<R>(f: impl FnOnce() -> R) -> R {
    REFITS.with_borrow_mut(|kept| *kept = Some(Vec::new()));
    let _scope = RefitScope;
    f()
}

/// `m` fitted to `y` and forecast `h` ahead (`None` when it cannot fit);
/// kept inside [`sharing_refits`].
fn refit(m: &dyn Model, y: &[f64], h: usize) -> Option<Vec<f64>> {
    let id = m.id();
    let kept = REFITS.with_borrow(|kept| {
        kept.as_ref()?
            .iter()
            .find(|k| k.0 == id && k.1 == h && same_bits(&k.2, y))
            .map(|k| k.3.clone())
    });
    if let Some(forecast) = kept {
        return forecast;
    }
    let forecast = m.fit(y).map(|f| sanitize(f.predict(h)));
    REFITS.with_borrow_mut(|kept| {
        if let Some(kept) = kept {
            kept.push((id, h, y.to_vec(), forecast.clone()));
        }
    });
    forecast
}

/// The mean forecast of backtest `c` refitted on the whole history (the
/// members' forecasts joined for a combination), its members and spread.
fn refit_choice(
    c: usize,
    e: &Evaluation,
    models: &[&dyn Model],
    y: &[f64],
    s: &ForecastSettings,
) -> (ModelId, Vec<ModelId>, Vec<f64>, f64) {
    let zero = || vec![0.0; s.horizon];
    match (&e.combination, e.backtests[c].model.is_combination()) {
        (Some(comb), true) => {
            let fits: Vec<Vec<f64>> = fit_members(&comb.members, |id| {
                models
                    .iter()
                    .find(|m| m.id() == id)
                    .and_then(|m| refit(*m, y, s.horizon))
                    .unwrap_or_else(zero)
            });
            let mean = comb
                .join(&fits.iter().collect::<Vec<_>>())
                .unwrap_or_else(zero);
            (comb.id(), comb.members.clone(), mean, e.backtests[c].rmse)
        }
        _ => {
            let m = models[e.runs[c].0];
            let mean = refit(m, y, s.horizon).unwrap_or_else(zero);
            (m.id(), Vec::new(), mean, e.backtests[c].rmse)
        }
    }
}

/// The forecast of a series too short to backtest: the group's pooled
/// winner when it fits, else the first candidate that fits, with a spread
/// from the data (the larger of the standard deviation and √mean).
fn unbacktested(
    models: &[&dyn Model],
    y: &[f64],
    pooled: Option<ModelId>,
    s: &ForecastSettings,
) -> (ModelId, Vec<ModelId>, Vec<f64>, f64) {
    let n = y.len() as f64;
    let avg = y.iter().sum::<f64>() / n;
    let sd = (y.iter().map(|v| (v - avg).powi(2)).sum::<f64>() / n).sqrt();
    let first = models.iter().find(|m| Some(m.id()) == pooled);
    let fitted = first
        .and_then(|m| refit(*m, y, s.horizon).map(|f| (m.id(), f)))
        .or_else(|| {
            models
                .iter()
                .find_map(|m| refit(*m, y, s.horizon).map(|f| (m.id(), f)))
        });
    let (name, mean) = fitted.unwrap_or((ZERO, vec![0.0; s.horizon]));
    (name, Vec::new(), mean, sd.max(avg.sqrt()))
}

fn choose_and_refit(
    mut b: Backtested<'_>,
    models: &[Box<dyn Model>],
    extra: &[&dyn Model],
    s: &ForecastSettings,
    rules: Option<&SelectionRules>,
) -> SeriesForecast {
    let models = lineup(models, extra);
    offer_combination(&mut b, rules, s);
    let group = b.group(s);
    let chosen = rules
        .and_then(|r| r.choose(&b.evaluation.backtests, group, s, || b.trial(s, s.metric)))
        .or_else(|| choose(&b.evaluation.backtests, s));
    let (model, members, mean, sigma) = match chosen {
        Some(c) => refit_choice(c, &b.evaluation, &models, &b.prepared.y, s),
        None => unbacktested(
            &models,
            &b.prepared.y,
            rules.and_then(|r| r.pooled_winner(group)),
            s,
        ),
    };
    let Backtested {
        prepared:
            Prepared {
                y,
                raw,
                since_launch,
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
    let refit = |m: &dyn Model| refit(m, &y, s.horizon);
    // A new item — less history since its launch than one full backtest
    // horizon over the shortest training window — is judged on too short a
    // backtest: its forecast is the mean of the local choice and the first
    // extra candidate (the global model, which learnt from every series'
    // history, launches included) when there is one.
    let new_item = since_launch.len() < s.backtest_horizon + MIN_TRAIN;
    let global = extra
        .first()
        .filter(|_| new_item)
        .and_then(|m| refit(*m).map(|f| (m.id(), f)));
    let (model, members, mean) = match global {
        Some((name, g)) => (
            NEW_ITEM_BLEND,
            vec![model, name],
            mean.iter().zip(&g).map(|(a, b)| 0.5 * (a + b)).collect(),
        ),
        None => (model, members, mean),
    };
    // The chosen forecast's run over the backtest origins.
    let run = chosen.map(|c| {
        if backtests[c].model.is_combination() {
            &combination_run
        } else {
            &runs[c].1
        }
    });
    let standardized_errors = latest_origin_errors(&y, run, &origins);
    let latest_origin = match (run, &origins) {
        (Some(r), Some((h, cut))) if !cut.is_empty() && !r.is_empty() => {
            (0..*h).map(|k| (r[0][k], raw[cut[0] + k])).collect()
        }
        _ => Vec::new(),
    };
    // Errors summed over each origin's horizon, against the unclipped demand,
    // standardised by the one-bucket spread of the other origins (leave one
    // out: the policy, too, meets errors its spread was not estimated on).
    let (process, dispersion, max_protection_demand) =
        read_off_history(since_launch, intermittent, &mean, s);
    let horizon_errors = summed_errors(&y, raw, run, &origins, s.protection_buckets);
    let cycle_errors = summed_errors(&y, raw, run, &origins, s.cycle_buckets);
    SeriesForecast {
        model,
        members,
        group: Some(group),
        mean,
        sigma: if sigma.is_finite() { sigma } else { 0.0 },
        distribution,
        backtests,
        outliers,
        discontinued: false,
        standardized_errors,
        horizon_errors,
        cycle_errors,
        latest_origin_spread: spread_without_latest(&y, run, &origins)
            .map(|sd| sd / sigma)
            .filter(|r| r.is_finite() && *r > 0.0)
            .unwrap_or(1.0),
        latest_origin,
        interval_factors: Vec::new(),
        lead_time_errors: LeadTimeErrors::default(),
        dispersion,
        process,
        max_protection_demand,
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

    /// A step up from 5 to 50 after 30 buckets, and two candidates: SES
    /// adapts, an 8-bucket moving average lags.
    fn step_up() -> (Vec<f64>, Vec<Box<dyn Model>>) {
        let mut y = vec![5.0; 30];
        y.extend(vec![50.0; 12]);
        let models: Vec<Box<dyn Model>> =
            vec![Box::new(MovingAverage::new(8)), Box::new(Ses::new())];
        (y, models)
    }

    #[test]
    fn selection_prefers_the_lower_scaled_error() {
        let (y, models) = step_up();
        let fc = forecast_series(&models, &y, Pattern::Smooth, &settings(2, 2));
        assert_eq!(fc.model, ModelId::Ses);
        assert_eq!(fc.backtests.len(), 2);
        assert!(fc.mean[0] > 45.0);
    }

    #[test]
    fn a_kept_choice_is_refitted_with_its_spread_kept() {
        // Chosen at week 42: SES after a step up. A week later the same
        // model is refitted (its mean the model's own fit of the longer
        // history), the spread and the backtests are the selection's.
        let (mut y, models) = step_up();
        let s = settings(2, 2);
        let chosen = forecast_series(&models, &y, Pattern::Smooth, &s);
        y.push(80.0);
        let kept = refit_chosen(&chosen, &models, &[], &y, Pattern::Smooth, &s).unwrap();
        let own = Ses::new().fit(&y).unwrap().predict(2);
        assert_eq!((kept.model, kept.mean.clone()), (ModelId::Ses, own));
        assert!(kept.mean[0] > chosen.mean[0]);
        assert_eq!(
            (kept.sigma, &kept.backtests),
            (chosen.sigma, &chosen.backtests)
        );
        // A choice that cannot be kept: demand turned intermittent, or no
        // backtested choice (a dead item's zero).
        let sparse: Vec<f64> = (0..43)
            .map(|i| if i % 5 == 0 { 3.0 } else { 0.0 })
            .collect();
        assert!(refit_chosen(&chosen, &models, &[], &sparse, Pattern::Intermittent, &s).is_none());
        let zero = forecast_series(&models, &[0.0; 10], Pattern::NoDemand, &s);
        assert!(refit_chosen(&zero, &models, &[], &y, Pattern::Smooth, &s).is_none());
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

    /// The fake models' identities, in lineup order.
    const LEAD_THREE: [ModelId; 3] = [
        ModelId::Naive,
        ModelId::SeasonalNaive,
        ModelId::MovingAverage,
    ];

    struct Fixed(ModelId, f64);
    struct FixedFit(f64);
    impl Fitted for FixedFit {
        fn predict(&self, h: usize) -> Vec<f64> {
            vec![self.0; h]
        }
    }
    impl Model for Fixed {
        fn id(&self) -> ModelId {
            self.0
        }
        fn fit(&self, _: &[f64]) -> Option<Box<dyn Fitted>> {
            Some(Box::new(FixedFit(self.1)))
        }
    }

    #[test]
    fn a_new_item_is_the_mean_of_its_local_choice_and_the_global_model() {
        let models: Vec<Box<dyn Model>> = vec![Box::new(Fixed(ModelId::Naive, 6.0))];
        let global = Fixed(ModelId::GlobalPoisson, 2.0);
        let mut s = settings(3, 4);
        s.selection = Selection::Best;
        // Leading zeros too long for the rate since (a launch), then 7
        // buckets of demand: fewer than 4 + MIN_TRAIN.
        let launch = [0.0, 0.0, 0.0, 0.0, 5.0, 7.0, 6.0, 6.0, 5.0, 6.0, 7.0];
        let fc = forecast_series_with(&models, &[&global], &launch, Pattern::Smooth, &s, None);
        assert_eq!(fc.model, NEW_ITEM_BLEND);
        assert_eq!(fc.members.len(), 2);
        assert_eq!(fc.members[1], ModelId::GlobalPoisson);
        assert_eq!(fc.mean, vec![4.0; 3]);
        assert_eq!(
            fc.label(),
            format!("{NEW_ITEM_BLEND}({}+global_poisson)", fc.members[0])
        );
        // Without the global model the local choice stands.
        let local = forecast_series_with(&models, &[], &launch, Pattern::Smooth, &s, None);
        assert_eq!(local.mean, vec![6.0; 3]);
        // An established item is chosen on its backtest as before.
        let y: Vec<f64> = (0..24).map(|i| 6.0 + (i % 2) as f64).collect();
        let fc = forecast_series_with(&models, &[&global], &y, Pattern::Smooth, &s, None);
        assert_ne!(fc.model, NEW_ITEM_BLEND);
        assert_eq!(fc.model, ModelId::Naive);
    }

    #[test]
    fn a_single_model_must_beat_the_combination_clearly() {
        // Actuals …8, 12 at each origin. Lead three a (7), b (13), c (10.5):
        // their median is 10.5, MAE 2, the same as c alone: the combination stays.
        let y: Vec<f64> = (0..24)
            .map(|i| if i % 2 == 0 { 8.0 } else { 12.0 })
            .collect();
        let mut models: Vec<Box<dyn Model>> = vec![
            Box::new(Fixed(ModelId::Naive, 7.0)),
            Box::new(Fixed(ModelId::SeasonalNaive, 13.0)),
            Box::new(Fixed(ModelId::MovingAverage, 10.5)),
            Box::new(Fixed(ModelId::HistoricAverage, 100.0)),
        ];
        let mut s = settings(2, 2);
        s.selection = Selection::BestWithCombination;
        let fc = forecast_series(&models, &y, Pattern::Smooth, &s);
        assert_eq!(fc.backtests.len(), 5);
        assert_eq!(fc.backtests[4].model, COMBINATION);
        assert_eq!(fc.backtests[4].mae, 2.0);
        assert_eq!(fc.model, COMBINATION);
        assert_eq!(fc.members, LEAD_THREE);
        assert_eq!(fc.mean, vec![10.5, 10.5]);
        // Lead three 7, 13, 20: median 13, MAE 3; e (10) has MAE 2 < 3 · 0.9 and wins.
        models[2] = Box::new(Fixed(ModelId::MovingAverage, 20.0));
        models[3] = Box::new(Fixed(ModelId::Ses, 10.0));
        let fc = forecast_series(&models, &y, Pattern::Smooth, &s);
        assert_eq!(fc.model, ModelId::Ses);
        s.selection = Selection::Combination;
        let fc = forecast_series(&models, &y, Pattern::Smooth, &s);
        assert_eq!(fc.model, COMBINATION);
    }

    #[test]
    fn combination_wins_when_its_members_are_right_at_different_origins() {
        /// Forecasts 10 + offset[parity of the history length].
        struct Flip(ModelId, [f64; 2]);
        impl Model for Flip {
            fn id(&self) -> ModelId {
                self.0
            }
            fn fit(&self, y: &[f64]) -> Option<Box<dyn Fitted>> {
                Some(Box::new(FixedFit(10.0 + self.1[y.len() % 2])))
            }
        }
        // Even lengths: 10, 6, 14 → median 10; odd: 14, 10, 6 → median 10.
        let models: Vec<Box<dyn Model>> = vec![
            Box::new(Flip(ModelId::Naive, [0.0, 4.0])),
            Box::new(Flip(ModelId::SeasonalNaive, [-4.0, 0.0])),
            Box::new(Flip(ModelId::MovingAverage, [4.0, -4.0])),
        ];
        let mut s = settings(1, 1);
        s.selection = Selection::BestWithCombination;
        let fc = forecast_series(&models, &[10.0; 20], Pattern::Smooth, &s);
        assert_eq!(fc.model, COMBINATION);
        assert_eq!(fc.members, LEAD_THREE);
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
        let models: Vec<Box<dyn Model>> = vec![Box::new(Fixed(ModelId::Naive, 9.0))];
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
