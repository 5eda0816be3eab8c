//! The global model: one regression fitted on the pooled rows of every series,
//! so that items share what they have in common — the response to price,
//! promotions and holidays, the shape of the year, how demand follows its own
//! recent level — which a local model fitted to one short history cannot see.
//!
//! * Rows are series × bucket. Every feature is known at the bucket's start:
//!   lags (1, 2 and one season), rolling means and spread, the share of empty
//!   buckets, the demand pattern, the calendar (two Fourier pairs of the day of
//!   the year), the price relative to the item's usual price, the promotion
//!   flag (from `sales.promo` or an event naming the SKU), and one indicator per
//!   frequent global event (holidays). Quantities are divided by the series'
//!   level (its mean over the season before the bucket): one model serves
//!   items of every size, and the target is demand in units of that level.
//! * Two fits on the same rows, both candidates of the per-series selection:
//!   [`GLOBAL_LINEAR`], an elastic net (linfa-elasticnet) on the scaled target,
//!   and [`GLOBAL_POISSON`], a Poisson GLM with log link fitted here by
//!   penalised Newton steps (bounded, with step halving): linfa-linear
//!   0.8.1's `TweedieRegressor` with power 1 did not return on count data
//!   (../shared/DEPENDENCIES.md), and a fit that can stall has no place in a
//!   batch.
//! * Multi-step forecasts are recursive: one model predicts the next bucket,
//!   the prediction becomes the lag of the following one, and the covariates
//!   of future buckets come from the input (events, known prices) or from the
//!   item's own past (a planned promotion is priced as its past promotions
//!   were). Recursive, not direct: one fit per cut-off instead of one per step,
//!   which keeps a 100,000-series fit within a minute.
//! * No leakage: the model a backtest origin uses was fitted at a cut-off on or
//!   before that origin, on rows whose target lies before the cut-off; the
//!   features of a row only look back. Fitted at a few cut-offs
//!   ([`GlobalSettings::fits`]): the end of history (the forecast) and steps
//!   back that cover the earliest backtest origin.
//! * The pooled rows are sampled (a hash of series and bucket, so the sample is
//!   the same at any thread count) down to [`GlobalSettings::training_rows`]:
//!   a model of a few dozen coefficients needs no more, and memory stays flat.
//!
//! The only bridge to linfa is `design` → `fit_elastic_net`: features go
//! from the panel straight into one ndarray 0.16 matrix.

use std::collections::{BTreeMap, HashMap};

use linfa::prelude::*;
use linfa_elasticnet::ElasticNet;
use ndarray::{Array1, Array2};
use rayon::prelude::*;

use super::clean::first_demand;
use super::{Fitted, Model, ModelId};
use crate::calendar::{Bucket, date_of_day};
use crate::demand::{self, Panel, Pattern};
use crate::ingest::{Event, SeriesKey};

/// Name of the elastic-net global model.
pub const GLOBAL_LINEAR: ModelId = ModelId::GlobalLinear;
/// Name of the Poisson global model.
pub const GLOBAL_POISSON: ModelId = ModelId::GlobalPoisson;
/// Fewest series the global model is fitted on: below it there is no panel to
/// learn across (and the selection prior, too, needs as many), so it stays off.
pub const MIN_SERIES: usize = super::prior::MIN_PRIOR_SERIES;

/// Features besides the event indicators.
const BASE_FEATURES: usize = 16;
/// The first features are demand over the level (lags, means, spread).
const DEMAND_FEATURES: usize = 6;

/// The Poisson fit sees demand features on a log scale, ln(0.1 + x): with a
/// log link, demand enters as a power of its lags (a multiplicative model), and
/// a bucket at 20 times the level cannot blow the forecast up.
fn log_demand_features(x: &mut [f64]) {
    for v in &mut x[..DEMAND_FEATURES] {
        *v = (0.1 + v.max(0.0)).ln();
    }
}
/// Scaled targets are capped here: one wild bucket must not steer the fit.
const MAX_SCALED: f64 = 30.0;
/// Poisson linear predictor limits (exp(±20) is far beyond any scaled demand).
const MAX_ETA: f64 = 20.0;

/// Settings of the global model.
#[derive(Debug, Clone, PartialEq)]
pub struct GlobalSettings {
    /// Season length in buckets (1 = none).
    pub season_length: usize,
    /// Most pooled rows one fit uses (a deterministic sample above it).
    pub training_rows: usize,
    /// Overall penalty of the elastic net (on standardised features); also
    /// the ridge penalty of the Poisson fit, per row.
    pub penalty: f64,
    /// Share of the elastic-net penalty that is L1.
    pub l1_ratio: f64,
    /// Cut-offs fitted: the end of history and `fits − 1` earlier ones.
    pub fits: usize,
    /// Most global event names with an indicator of their own (the most frequent).
    pub max_events: usize,
}

impl GlobalSettings {
    /// The settings of `[forecast.global]` for a season of `season_length` buckets.
    pub fn from_config(g: &crate::config::GlobalConfig, season_length: usize) -> GlobalSettings {
        GlobalSettings {
            season_length,
            training_rows: g.training_rows,
            penalty: g.penalty,
            l1_ratio: g.l1_ratio,
            fits: g.fits,
            max_events: g.max_events,
        }
    }
}

/// Known inputs of one series besides its demand, on the panel calendar from
/// the series' first bucket, possibly running past the end of its history
/// (the future buckets the input knows about).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Covariates {
    /// Price over the item's usual price per bucket (1 where unknown).
    pub price_ratio: Vec<f32>,
    /// Promotion flag per bucket (0 or 1; 0 where unknown).
    pub promo: Vec<f32>,
    /// Global events per bucket: bit `k` = the `k`-th of [`EventNames`].
    pub events: Vec<u32>,
}

impl Covariates {
    fn price(&self, i: usize) -> f64 {
        self.price_ratio
            .get(i)
            .map_or(1.0, |&r| if r > 0.0 { f64::from(r) } else { 1.0 })
    }
    fn promo(&self, i: usize) -> f64 {
        self.promo.get(i).map_or(0.0, |&p| f64::from(p))
    }
    fn events(&self, i: usize) -> u32 {
        self.events.get(i).copied().unwrap_or(0)
    }

    /// Covariates from per-bucket mean prices (0 = no price that bucket) and
    /// promotion flags over `len` buckets (history and known future). The
    /// usual price is the median of the non-promotion prices (of all prices
    /// when every bucket was a promotion); a bucket without a price takes 1,
    /// or, when flagged as a promotion, the median ratio of the item's priced
    /// promotions: a planned promotion is priced as past ones were.
    /// Vectors with nothing known (no price, no promotion, no event) stay
    /// empty.
    pub fn from_prices(prices: &[f32], promo: &[f32], events: Vec<u32>, len: usize) -> Covariates {
        let promo_at = |i: usize| promo.get(i).copied().unwrap_or(0.0) > 0.0;
        let events = if events.iter().any(|&e| e != 0) {
            events
        } else {
            Vec::new()
        };
        if !prices.iter().any(|p| *p > 0.0) && !promo.iter().any(|p| *p > 0.0) {
            return Covariates {
                events,
                ..Covariates::default()
            };
        }
        let mut regular: Vec<f32> = (0..prices.len())
            .filter(|&i| prices[i] > 0.0 && !promo_at(i))
            .map(|i| prices[i])
            .collect();
        if regular.is_empty() {
            regular = prices.iter().copied().filter(|p| *p > 0.0).collect();
        }
        let usual = median_f32(&mut regular);
        let mut promo_ratios: Vec<f32> = (0..prices.len())
            .filter(|&i| prices[i] > 0.0 && promo_at(i))
            .filter_map(|i| usual.map(|u| prices[i] / u))
            .collect();
        let promo_ratio = median_f32(&mut promo_ratios).unwrap_or(1.0);
        let price_ratio = (0..len)
            .map(|i| match (prices.get(i), usual) {
                (Some(&p), Some(u)) if p > 0.0 => (p / u).clamp(0.05, 20.0),
                _ if promo_at(i) => promo_ratio,
                _ => 1.0,
            })
            .collect();
        Covariates {
            price_ratio,
            promo: (0..len)
                .map(|i| if promo_at(i) { 1.0 } else { 0.0 })
                .collect(),
            events,
        }
    }
}

fn median_f32(v: &mut [f32]) -> Option<f32> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    Some(v[v.len() / 2])
}

/// The global event names that get an indicator: the `max` most frequent
/// (ties by name), in that order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventNames(pub Vec<String>);

impl EventNames {
    /// The `max` most frequent names of `names` (at most 32).
    pub fn most_frequent<'a>(names: impl IntoIterator<Item = &'a str>, max: usize) -> EventNames {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for n in names {
            *counts.entry(n).or_default() += 1;
        }
        let mut v: Vec<(&str, usize)> = counts.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        EventNames(
            v.into_iter()
                .take(max.min(32))
                .map(|(n, _)| n.to_string())
                .collect(),
        )
    }

    /// The bit of `name`, when it has one.
    pub fn bit(&self, name: &str) -> Option<u32> {
        self.0.iter().position(|n| n == name).map(|k| 1 << k)
    }
}

/// Covariates of every panel series, running `future` buckets past the end
/// of history: prices and promotion flags from its sales, promotions from
/// events naming its SKU (and its location, or none), and the global events
/// (no SKU; for its location or all) among the `max_events` most frequent
/// names. Returns them with the names that got an indicator.
pub fn panel_covariates(
    panel: &Panel,
    keys: &[SeriesKey],
    events: &[Event],
    max_events: usize,
    future: usize,
) -> (Vec<Covariates>, EventNames) {
    let bucket = panel.bucket;
    let names = EventNames::most_frequent(
        events
            .iter()
            .filter(|e| e.sku.is_none())
            .map(|e| e.name.as_str()),
        max_events,
    );
    let global: Vec<(i64, Option<&str>, u32)> = events
        .iter()
        .filter(|e| e.sku.is_none())
        .filter_map(|e| {
            Some((
                bucket.index(e.day),
                e.location.as_deref(),
                names.bit(&e.name)?,
            ))
        })
        .collect();
    let mut by_sku: HashMap<&str, Vec<(i64, Option<&str>)>> = HashMap::new();
    for e in events {
        if let Some(sku) = &e.sku {
            by_sku
                .entry(sku.as_str())
                .or_default()
                .push((bucket.index(e.day), e.location.as_deref()));
        }
    }
    let covariates = panel
        .series
        .par_iter()
        .zip(keys)
        .map(|(s, key)| {
            let len = s.demand.len() + future;
            let index = |b: i64| usize::try_from(b - s.start).ok().filter(|&i| i < len);
            let applies = |loc: Option<&str>| loc.is_none_or(|l| l == key.location);
            let mut promo = s.promo.clone();
            if let Some(list) = by_sku.get(key.sku.as_str()) {
                for &(b, loc) in list {
                    if let Some(i) = index(b).filter(|_| applies(loc)) {
                        if promo.len() < len {
                            promo.resize(len, 0.0);
                        }
                        promo[i] = 1.0;
                    }
                }
            }
            let mut mask = Vec::new();
            for &(b, loc, bit) in &global {
                if let Some(i) = index(b).filter(|_| applies(loc)) {
                    if mask.len() < len {
                        mask.resize(len, 0u32);
                    }
                    mask[i] |= bit;
                }
            }
            Covariates::from_prices(&s.price, &promo, mask, len)
        })
        .collect();
    (covariates, names)
}

/// One series as the global model sees it.
#[derive(Debug, Clone, Copy)]
pub struct SeriesInput<'a> {
    /// Bucket index of the first value.
    pub start: i64,
    /// Demand per bucket of the history.
    pub demand: &'a [f64],
    /// Covariates from `start` (may run past the history).
    pub covariates: &'a Covariates,
    /// Added to a bucket index for its calendar features: series aligned on a
    /// common end (a hold-out of series with different dates) keep their own
    /// calendar. 0 on one calendar.
    pub calendar_shift: i64,
}

/// Fitted coefficients of one loss, on the raw (unstandardised) features.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Coefficients {
    /// One weight per feature.
    pub(super) weights: Vec<f64>,
    /// The intercept.
    pub(super) intercept: f64,
}

impl Coefficients {
    /// The linear predictor of features `x`.
    pub(super) fn eta(&self, x: &[f64]) -> f64 {
        self.intercept + self.weights.iter().zip(x).map(|(w, v)| w * v).sum::<f64>()
    }
}

/// The two fits at one cut-off.
#[derive(Debug, Clone, PartialEq)]
struct CutoffFit {
    /// First bucket not used for training (targets are before it).
    cutoff: i64,
    linear: Option<Coefficients>,
    poisson: Option<Coefficients>,
}

/// What one fit did, for run.json and the tests.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FitSummary {
    /// Cut-off bucket's first day (ISO date).
    pub cutoff: String,
    /// Rows eligible before sampling.
    pub rows_available: usize,
    /// Rows fitted.
    pub rows_used: usize,
    /// Whether the elastic net fitted.
    pub linear: bool,
    /// Whether the Poisson fit converged.
    pub poisson: bool,
    /// Newton iterations of the Poisson fit.
    pub poisson_iterations: usize,
}

/// The global model fitted at every cut-off.
#[derive(Debug, Clone)]
pub struct GlobalModel {
    settings: GlobalSettings,
    bucket: Bucket,
    events: usize,
    fits: Vec<CutoffFit>,
    /// One summary per cut-off, latest first.
    pub summaries: Vec<FitSummary>,
}

#[allow(clippy::too_many_arguments)]
/// Rolling statistics and features of a target bucket `t` (index into
/// `y`, which holds at least the values before `t`).
fn features(
    y: &[f64],
    t: usize,
    scale: f64,
    season: usize,
    pattern: Pattern,
    calendar: (f64, f64),
    cov: &Covariates,
    cov_index: usize,
    n_events: usize,
    out: &mut Vec<f64>,
) {
    out.clear();
    let lag = |k: usize| if t >= k { y[t - k] / scale } else { 0.0 };
    let window = |w: usize| &y[t.saturating_sub(w)..t];
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let w13 = window(13);
    let m13 = mean(w13);
    let sd13 =
        (w13.iter().map(|v| (v - m13).powi(2)).sum::<f64>() / w13.len().max(1) as f64).sqrt();
    out.push(lag(1));
    out.push(lag(2));
    out.push(if season > 1 && t >= season {
        lag(season)
    } else {
        m13 / scale
    });
    out.push(mean(window(4)) / scale);
    out.push(m13 / scale);
    out.push(sd13 / scale);
    out.push(w13.iter().filter(|v| **v <= 0.0).count() as f64 / w13.len().max(1) as f64);
    let (s, c) = calendar;
    out.push(s);
    out.push(c);
    out.push(2.0 * s * c);
    out.push(c * c - s * s);
    out.push(cov.price(cov_index).ln().clamp(-3.0, 3.0));
    out.push(cov.promo(cov_index));
    out.push(f64::from(u8::from(pattern == Pattern::Erratic)));
    out.push(f64::from(u8::from(pattern == Pattern::Intermittent)));
    out.push(f64::from(u8::from(pattern == Pattern::Lumpy)));
    let ev = cov.events(cov_index);
    for k in 0..n_events {
        out.push(f64::from((ev >> k) & 1));
    }
}

/// The series' level before `t`: mean demand over the last `window` buckets
/// (fewer at the start).
fn level(y: &[f64], t: usize, window: usize) -> f64 {
    let w = &y[t.saturating_sub(window)..t];
    if w.is_empty() {
        0.0
    } else {
        w.iter().sum::<f64>() / w.len() as f64
    }
}

/// (sin, cos) of the day of the year of bucket `b`'s first day.
fn calendar(bucket: Bucket, b: i64) -> (f64, f64) {
    use chrono::Datelike;
    let doy = date_of_day(bucket.start_day(b)).map_or(0, |d| d.ordinal0());
    let phase = std::f64::consts::TAU * f64::from(doy) / 365.25;
    (phase.sin(), phase.cos())
}

/// A deterministic 64-bit mix of (series, bucket) for sampling rows.
fn row_hash(series: usize, bucket: i64) -> u64 {
    let mut x = (series as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (bucket as u64);
    x ^= x >> 30;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Buckets of level window for a season length.
fn level_window(season: usize) -> usize {
    season.max(13)
}

/// Buckets of history a row needs before its target.
const MIN_CONTEXT: usize = 3;

impl GlobalModel {
    /// Fit at the end of history (`end`, first bucket after it) and at
    /// `settings.fits − 1` earlier cut-offs spaced `step` buckets apart
    /// (`step` ≥ 1: the backtest horizon, so each origin finds a model fitted
    /// at or just before it).
    pub fn fit(
        series: &[SeriesInput<'_>],
        bucket: Bucket,
        end: i64,
        step: usize,
        settings: &GlobalSettings,
        n_events: usize,
    ) -> GlobalModel {
        let cutoffs: Vec<i64> = (0..settings.fits.max(1))
            .map(|j| end - (j * step.max(1)) as i64)
            .collect();
        let results: Vec<(CutoffFit, FitSummary)> = cutoffs
            .par_iter()
            .map(|&c| fit_cutoff(series, bucket, c, settings, n_events))
            .collect();
        let (fits, summaries) = results.into_iter().unzip();
        GlobalModel {
            settings: settings.clone(),
            bucket,
            events: n_events,
            fits,
            summaries,
        }
    }

    /// The fit to use for an origin: the latest cut-off on or before it.
    fn fit_for(&self, origin: i64) -> Option<&CutoffFit> {
        self.fits
            .iter()
            .filter(|f| f.cutoff <= origin)
            .max_by_key(|f| f.cutoff)
    }

    /// Recursive forecast of `h` buckets after `history` (a prefix of the
    /// series from bucket `history_start`), with `loss`'s coefficients of the
    /// latest cut-off on or before the origin. `None` when no fit applies.
    #[allow(clippy::too_many_arguments)]
    fn forecast(
        &self,
        history: &[f64],
        history_start: i64,
        covariates: &Covariates,
        covariate_start: i64,
        calendar_shift: i64,
        h: usize,
        poisson: bool,
    ) -> Option<Vec<f64>> {
        let n = history.len();
        let origin = history_start + n as i64;
        let fit = self.fit_for(origin)?;
        let coef = if poisson { &fit.poisson } else { &fit.linear }.as_ref()?;
        if n < MIN_CONTEXT {
            return None;
        }
        let season = self.settings.season_length;
        let scale = level(history, n, level_window(season));
        if scale <= 0.0 {
            return Some(vec![0.0; h]);
        }
        let pattern = demand::pattern(history);
        let mut y = history.to_vec();
        let mut x = Vec::with_capacity(BASE_FEATURES + self.events);
        for k in 0..h {
            let t = n + k;
            let b = history_start + t as i64;
            let ci = usize::try_from(b - covariate_start).unwrap_or(usize::MAX);
            features(
                &y,
                t,
                scale,
                season,
                pattern,
                calendar(self.bucket, b + calendar_shift),
                covariates,
                ci,
                self.events,
                &mut x,
            );
            if poisson {
                log_demand_features(&mut x);
            }
            let eta = coef.eta(&x);
            let v = if poisson {
                eta.clamp(-MAX_ETA, MAX_ETA).exp()
            } else {
                eta
            };
            let v = (v.min(MAX_SCALED) * scale).max(0.0);
            y.push(if v.is_finite() { v } else { 0.0 });
        }
        Some(y.split_off(n))
    }

    /// The two per-series candidates of one series, the Poisson one first
    /// (see [`super::forecast_series_with`]: the first extra candidate joins
    /// the lead three of the combination).
    pub fn candidates<'a>(
        &'a self,
        series: &SeriesInput<'a>,
        horizon: usize,
    ) -> [GlobalCandidate<'a>; 2] {
        let make = |poisson| GlobalCandidate {
            model: self,
            calendar_shift: series.calendar_shift,
            start: series.start + first_demand(series.demand) as i64,
            covariate_start: series.start,
            covariates: series.covariates,
            horizon,
            poisson,
        };
        [make(true), make(false)]
    }

    /// Whether both losses fitted at the end of history.
    pub fn fitted(&self) -> bool {
        self.fits
            .first()
            .is_some_and(|f| f.linear.is_some() || f.poisson.is_some())
    }
}

/// Rows of one cut-off: (series, target index) pairs, sampled.
fn rows(series: &[SeriesInput<'_>], cutoff: i64, max_rows: usize) -> (Vec<(usize, usize)>, usize) {
    let eligible = |s: &SeriesInput<'_>| -> (usize, usize) {
        let first = first_demand(s.demand);
        let n = (cutoff - s.start).clamp(0, s.demand.len() as i64) as usize;
        (first + MIN_CONTEXT, n)
    };
    let available: usize = series
        .iter()
        .map(|s| {
            let (a, b) = eligible(s);
            b.saturating_sub(a)
        })
        .sum();
    let keep = if available <= max_rows {
        u64::MAX
    } else {
        ((max_rows as f64 / available as f64) * u64::MAX as f64) as u64
    };
    let mut out = Vec::new();
    for (i, s) in series.iter().enumerate() {
        let (a, b) = eligible(s);
        for t in a..b {
            if keep == u64::MAX || row_hash(i, s.start + t as i64) <= keep {
                out.push((i, t));
            }
        }
    }
    (out, available)
}

/// The design matrix and scaled targets of the rows: the one place the
/// panel's values become an ndarray for linfa. Rows whose level is zero are
/// left out.
pub fn design(
    series: &[SeriesInput<'_>],
    bucket: Bucket,
    cutoff: i64,
    settings: &GlobalSettings,
    n_events: usize,
) -> (Array2<f64>, Array1<f64>, usize) {
    let (rows, available) = rows(series, cutoff, settings.training_rows);
    let season = settings.season_length;
    // Pattern of each series from its history before the cut-off.
    let patterns: Vec<Pattern> = series
        .iter()
        .map(|s| {
            let n = (cutoff - s.start).clamp(0, s.demand.len() as i64) as usize;
            demand::pattern(&s.demand[..n])
        })
        .collect();
    let p = BASE_FEATURES + n_events;
    let mut x = Vec::with_capacity(rows.len() * p);
    let mut y = Vec::with_capacity(rows.len());
    let mut buf = Vec::with_capacity(p);
    for &(i, t) in &rows {
        let s = &series[i];
        let scale = level(s.demand, t, level_window(season));
        if scale <= 0.0 {
            continue;
        }
        let b = s.start + t as i64;
        features(
            s.demand,
            t,
            scale,
            season,
            patterns[i],
            calendar(bucket, b + s.calendar_shift),
            s.covariates,
            t,
            n_events,
            &mut buf,
        );
        x.extend_from_slice(&buf);
        y.push((s.demand[t] / scale).min(MAX_SCALED));
    }
    let n = y.len();
    (
        Array2::from_shape_vec((n, p), x).expect("rows × features"),
        Array1::from_vec(y),
        available,
    )
}

/// Column means and standard deviations (1 for constant columns).
fn standardise(x: &Array2<f64>) -> (Vec<f64>, Vec<f64>) {
    let n = x.nrows().max(1) as f64;
    let mut mean = vec![0.0; x.ncols()];
    let mut sd = vec![0.0; x.ncols()];
    for row in x.rows() {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v;
        }
    }
    for m in &mut mean {
        *m /= n;
    }
    for row in x.rows() {
        for ((s, v), m) in sd.iter_mut().zip(row).zip(&mean) {
            *s += (v - m).powi(2);
        }
    }
    for s in &mut sd {
        *s = (*s / n).sqrt();
        if s.is_nan() || *s <= 1e-12 {
            *s = 1.0;
        }
    }
    (mean, sd)
}

fn standardised(x: &Array2<f64>, mean: &[f64], sd: &[f64]) -> Array2<f64> {
    let mut z = x.clone();
    for mut row in z.rows_mut() {
        for ((v, m), s) in row.iter_mut().zip(mean).zip(sd) {
            *v = (*v - m) / s;
        }
    }
    z
}

/// Coefficients on standardised features back to raw ones.
fn unstandardise(w: &[f64], b: f64, mean: &[f64], sd: &[f64]) -> Option<Coefficients> {
    let weights: Vec<f64> = w.iter().zip(sd).map(|(w, s)| w / s).collect();
    let intercept = b - weights.iter().zip(mean).map(|(w, m)| w * m).sum::<f64>();
    (intercept.is_finite() && weights.iter().all(|w| w.is_finite()))
        .then_some(Coefficients { weights, intercept })
}

/// Elastic net (linfa) on standardised features, with linfa's `penalty`
/// and `l1_ratio`; `None` with fewer than two rows per feature or when the
/// fit fails.
pub(super) fn fit_elastic_net(
    x: &Array2<f64>,
    y: &Array1<f64>,
    penalty: f64,
    l1_ratio: f64,
) -> Option<Coefficients> {
    if x.nrows() < 2 * x.ncols() {
        return None;
    }
    let (mean, sd) = standardise(x);
    let z = standardised(x, &mean, &sd);
    let data = Dataset::new(z, y.clone());
    let model = ElasticNet::params()
        .penalty(penalty)
        .l1_ratio(l1_ratio.clamp(0.0, 1.0))
        .max_iterations(1000)
        .tolerance(1e-4)
        .fit(&data)
        .ok()?;
    let w: Vec<f64> = model.hyperplane().to_vec();
    unstandardise(&w, model.intercept(), &mean, &sd)
}

/// Newton iterations of the Poisson fit at most.
pub const POISSON_MAX_ITERATIONS: usize = 50;

/// Poisson GLM with log link and a ridge penalty `lambda` per row on the
/// standardised weights (not the intercept), fitted by Newton steps with step
/// halving on the penalised deviance; at most [`POISSON_MAX_ITERATIONS`]
/// steps. Returns the coefficients and the steps taken, or `None` when it
/// did not converge.
pub fn fit_poisson(
    x: &Array2<f64>,
    y: &Array1<f64>,
    lambda: f64,
) -> Option<(Vec<f64>, f64, usize)> {
    let (n, p) = x.dim();
    if n < 2 * p || y.iter().any(|v| !v.is_finite() || *v < 0.0) {
        return None;
    }
    let (mean, sd) = standardise(x);
    let z = standardised(x, &mean, &sd);
    let ybar = y.mean().unwrap_or(0.0);
    if ybar <= 0.0 {
        return None;
    }
    let k = p + 1;
    let lam = lambda.max(0.0) * n as f64;
    // beta[0] intercept, beta[1..] weights.
    let mut beta = vec![0.0; k];
    beta[0] = ybar.ln();
    let objective = |beta: &[f64]| -> f64 {
        let mut obj = 0.0;
        for (row, &yi) in z.rows().into_iter().zip(y) {
            let eta = (beta[0] + row.iter().zip(&beta[1..]).map(|(a, b)| a * b).sum::<f64>())
                .clamp(-MAX_ETA, MAX_ETA);
            obj += eta.exp() - yi * eta;
        }
        obj + 0.5 * lam * beta[1..].iter().map(|b| b * b).sum::<f64>()
    };
    let mut current = objective(&beta);
    for iteration in 1..=POISSON_MAX_ITERATIONS {
        let mut grad = vec![0.0; k];
        let mut hess = vec![0.0; k * k];
        let mut xi = vec![0.0; k];
        for (row, &yi) in z.rows().into_iter().zip(y) {
            xi[0] = 1.0;
            for (d, v) in xi[1..].iter_mut().zip(row) {
                *d = *v;
            }
            let eta = xi
                .iter()
                .zip(&beta)
                .map(|(a, b)| a * b)
                .sum::<f64>()
                .clamp(-MAX_ETA, MAX_ETA);
            let mu = eta.exp();
            let r = mu - yi;
            for a in 0..k {
                grad[a] += r * xi[a];
                let wa = mu * xi[a];
                for b in a..k {
                    hess[a * k + b] += wa * xi[b];
                }
            }
        }
        for a in 1..k {
            grad[a] += lam * beta[a];
            hess[a * k + a] += lam;
        }
        for a in 0..k {
            for b in 0..a {
                hess[a * k + b] = hess[b * k + a];
            }
            hess[a * k + a] += 1e-9 * n as f64;
        }
        let step = cholesky_solve(&hess, &grad, k)?;
        let mut t = 1.0;
        let mut accepted = false;
        for _ in 0..30 {
            let trial: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b - t * s).collect();
            let value = objective(&trial);
            if value.is_finite() && value <= current {
                let gain = current - value;
                beta = trial;
                current = value;
                accepted = true;
                if gain <= 1e-10 * current.abs().max(1.0) {
                    let w = beta[1..].to_vec();
                    return unstandardise(&w, beta[0], &mean, &sd)
                        .map(|c| (c.weights, c.intercept, iteration));
                }
                break;
            }
            t *= 0.5;
        }
        if !accepted {
            // No descent along the Newton direction: at the optimum to rounding.
            let w = beta[1..].to_vec();
            return unstandardise(&w, beta[0], &mean, &sd)
                .map(|c| (c.weights, c.intercept, iteration));
        }
    }
    None
}

/// Solve `a · x = b` for a symmetric positive definite `k × k` matrix.
fn cholesky_solve(a: &[f64], b: &[f64], k: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            let mut s = a[i * k + j];
            for m in 0..j {
                s -= l[i * k + m] * l[j * k + m];
            }
            if i == j {
                if s.is_nan() || s <= 0.0 {
                    return None;
                }
                l[i * k + i] = s.sqrt();
            } else {
                l[i * k + j] = s / l[j * k + j];
            }
        }
    }
    let mut y = vec![0.0; k];
    for i in 0..k {
        let s: f64 = (0..i).map(|m| l[i * k + m] * y[m]).sum();
        y[i] = (b[i] - s) / l[i * k + i];
    }
    let mut x = vec![0.0; k];
    for i in (0..k).rev() {
        let s: f64 = (i + 1..k).map(|m| l[m * k + i] * x[m]).sum();
        x[i] = (y[i] - s) / l[i * k + i];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

fn fit_cutoff(
    series: &[SeriesInput<'_>],
    bucket: Bucket,
    cutoff: i64,
    settings: &GlobalSettings,
    n_events: usize,
) -> (CutoffFit, FitSummary) {
    let (x, y, available) = design(series, bucket, cutoff, settings, n_events);
    let linear = fit_elastic_net(&x, &y, settings.penalty, settings.l1_ratio);
    let mut x = x;
    for mut row in x.rows_mut() {
        if let Some(row) = row.as_slice_mut() {
            log_demand_features(row);
        }
    }
    let poisson = fit_poisson(&x, &y, settings.penalty * 1e-2);
    let summary = FitSummary {
        cutoff: date_of_day(bucket.start_day(cutoff)).map_or_else(String::new, |d| d.to_string()),
        rows_available: available,
        rows_used: y.len(),
        linear: linear.is_some(),
        poisson: poisson.is_some(),
        poisson_iterations: poisson.as_ref().map_or(0, |p| p.2),
    };
    (
        CutoffFit {
            cutoff,
            linear,
            poisson: poisson.map(|(weights, intercept, _)| Coefficients { weights, intercept }),
        },
        summary,
    )
}

/// The global model as a per-series candidate: [`Model::fit`] on a prefix of
/// the series' (trimmed) history forecasts from that prefix's end with the
/// fit of the latest cut-off on or before it.
#[derive(Debug, Clone)]
pub struct GlobalCandidate<'a> {
    model: &'a GlobalModel,
    calendar_shift: i64,
    /// Bucket of the series' first demand.
    start: i64,
    /// Bucket of the series' (and its covariates') first value.
    covariate_start: i64,
    covariates: &'a Covariates,
    /// Buckets forecast at each fit (at least any `h` asked of it).
    horizon: usize,
    poisson: bool,
}

struct Forecast(Vec<f64>);

impl Fitted for Forecast {
    fn predict(&self, h: usize) -> Vec<f64> {
        let last = self.0.last().copied().unwrap_or(0.0);
        (0..h)
            .map(|k| self.0.get(k).copied().unwrap_or(last))
            .collect()
    }
}

impl Model for GlobalCandidate<'_> {
    fn id(&self) -> ModelId {
        if self.poisson {
            GLOBAL_POISSON
        } else {
            GLOBAL_LINEAR
        }
    }

    fn fit(&self, history: &[f64]) -> Option<Box<dyn Fitted>> {
        // The model learnt from every history with its leading zeros (they
        // tell a launch from an established item). The selection hands it the
        // history from the first demand on: put the zeros back. A history
        // that still starts with them (a zero where the first demand is)
        // starts at the series' first bucket.
        let lead = usize::try_from(self.start - self.covariate_start).unwrap_or(0);
        let padded: Vec<f64>;
        let history = if lead > 0 && history.first().is_some_and(|&v| v != 0.0) {
            padded = std::iter::repeat_n(0.0, lead)
                .chain(history.iter().copied())
                .collect();
            &padded[..]
        } else {
            history
        };
        let f = self.model.forecast(
            history,
            self.covariate_start,
            self.covariates,
            self.covariate_start,
            self.calendar_shift,
            self.horizon,
            self.poisson,
        )?;
        Some(Box::new(Forecast(f)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> GlobalSettings {
        GlobalSettings {
            season_length: 1,
            training_rows: 100_000,
            penalty: 1e-4,
            l1_ratio: 0.5,
            fits: 3,
            max_events: 8,
        }
    }

    /// y ~ Poisson(exp(0.5 + 0.8·x1 − 0.4·x2)) on a deterministic grid of
    /// x, drawn with a fixed generator: the fit recovers the coefficients.
    #[test]
    fn poisson_fit_recovers_known_coefficients() {
        use rand::SeedableRng;
        use rand_distr::{Distribution, Poisson};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let n = 20_000;
        let mut x = Array2::zeros((n, 2));
        let mut y = Array1::zeros(n);
        for i in 0..n {
            let x1 = (i % 100) as f64 / 100.0;
            let x2 = ((i / 100) % 7) as f64 / 3.0;
            x[[i, 0]] = x1;
            x[[i, 1]] = x2;
            let mu: f64 = (0.5 + 0.8 * x1 - 0.4 * x2).exp();
            y[i] = Poisson::new(mu).unwrap().sample(&mut rng);
        }
        let (w, b, iterations) = fit_poisson(&x, &y, 0.0).expect("converges");
        assert!((b - 0.5).abs() < 0.05, "intercept {b}");
        assert!((w[0] - 0.8).abs() < 0.05, "x1 {}", w[0]);
        assert!((w[1] + 0.4).abs() < 0.03, "x2 {}", w[1]);
        assert!(iterations <= 10, "{iterations} Newton steps");
    }

    #[test]
    fn poisson_fit_refuses_what_it_cannot_fit() {
        let x = Array2::from_shape_fn((10, 2), |(i, j)| (i + j) as f64);
        assert!(
            fit_poisson(&x, &Array1::zeros(10), 0.0).is_none(),
            "all zero"
        );
        assert!(
            fit_poisson(
                &x.slice(ndarray::s![..3, ..]).to_owned(),
                &Array1::ones(3),
                0.0
            )
            .is_none()
        );
    }

    #[test]
    fn elastic_net_recovers_a_linear_relation() {
        let n = 2_000;
        let x = Array2::from_shape_fn((n, 2), |(i, j)| ((i * (j + 3)) % 17) as f64);
        let y = Array1::from_shape_fn(n, |i| 2.0 + 0.5 * x[[i, 0]] - 0.25 * x[[i, 1]]);
        let mut s = settings();
        s.penalty = 1e-6;
        let c = fit_elastic_net(&x, &y, s.penalty, s.l1_ratio).expect("fits");
        assert!((c.intercept - 2.0).abs() < 1e-2, "{c:?}");
        assert!(
            (c.weights[0] - 0.5).abs() < 1e-3 && (c.weights[1] + 0.25).abs() < 1e-3,
            "{c:?}"
        );
    }

    fn panel(n_series: usize, len: usize) -> (Vec<Vec<f64>>, Vec<Covariates>) {
        // Level 10·(1 + i % 5), doubled in promotion buckets (every 6th).
        let mut demand = Vec::new();
        let mut covs = Vec::new();
        for i in 0..n_series {
            let base = 10.0 * (1 + i % 5) as f64;
            let promo: Vec<f32> = (0..len + 8)
                .map(|t| if (t + i) % 6 == 0 { 1.0 } else { 0.0 })
                .collect();
            demand.push(
                (0..len)
                    .map(|t| {
                        base * if promo[t] > 0.0 { 2.0 } else { 1.0 } + ((t * 7 + i) % 3) as f64
                    })
                    .collect(),
            );
            let prices: Vec<f32> = (0..len)
                .map(|t| if promo[t] > 0.0 { 8.0 } else { 10.0 })
                .collect();
            covs.push(Covariates::from_prices(
                &prices,
                &promo,
                Vec::new(),
                len + 8,
            ));
        }
        (demand, covs)
    }

    /// The series of a test panel, all starting at bucket 100.
    fn inputs<'a>(demand: &'a [Vec<f64>], covs: &'a [Covariates]) -> Vec<SeriesInput<'a>> {
        demand
            .iter()
            .zip(covs)
            .map(|(d, c)| SeriesInput {
                start: 100,
                demand: d,
                covariates: c,
                calendar_shift: 0,
            })
            .collect()
    }

    #[test]
    fn a_history_from_the_first_demand_is_put_back_on_its_leading_zeros() {
        let (mut demand, covs) = panel(40, 60);
        // Series 0 launches at bucket 20: zeros before.
        demand[0][..20].fill(0.0);
        let inputs = inputs(&demand, &covs);
        let model = GlobalModel::fit(&inputs, Bucket::Week, 160, 4, &settings(), 0);
        let [poisson, linear] = model.candidates(&inputs[0], 8);
        for c in [&poisson as &dyn Model, &linear] {
            // The selection hands over the history from the first demand on;
            // the hold-out's per-model column the whole of it: the same forecast,
            // at the same origin, with the zeros the model was trained with.
            let trimmed = c.fit(&demand[0][20..]).unwrap().predict(8);
            let whole = c.fit(&demand[0]).unwrap().predict(8);
            assert_eq!(trimmed, whole, "{}", c.name());
            // A backtest origin (a cut-off 4 buckets earlier).
            let trimmed = c.fit(&demand[0][20..56]).unwrap().predict(8);
            let whole = c.fit(&demand[0][..56]).unwrap().predict(8);
            assert_eq!(trimmed, whole, "{}", c.name());
        }
    }

    #[test]
    fn learns_the_promotion_lift_across_series_and_forecasts_it() {
        let (demand, covs) = panel(40, 60);
        let inputs = inputs(&demand, &covs);
        let model = GlobalModel::fit(&inputs, Bucket::Week, 160, 4, &settings(), 0);
        assert!(model.fitted());
        // Series 0: promotions at t % 6 == 0: buckets 60 and 66 of the future.
        let [poisson, linear] = model.candidates(&inputs[0], 8);
        for c in [&linear as &dyn Model, &poisson] {
            let f = c.fit(&demand[0]).unwrap().predict(8);
            let promo = f[0];
            let normal = f[1..6].iter().sum::<f64>() / 5.0;
            assert!(promo > 1.6 * normal, "{}: {f:?}", c.name());
            assert!((normal - 11.0).abs() < 2.0, "{}: {f:?}", c.name());
        }
    }

    #[test]
    fn backtest_forecasts_do_not_see_demand_after_their_cutoff() {
        // Fit, then change every value on or after bucket 150 (index 50): the
        // forecasts from origins up to 150 must not move.
        let (demand, covs) = panel(30, 60);
        let fit = |demand: &[Vec<f64>]| {
            let inputs = inputs(demand, &covs);
            let s = GlobalSettings {
                fits: 4,
                ..settings()
            };
            let model = GlobalModel::fit(&inputs, Bucket::Week, 160, 5, &s, 0);
            let [poisson, linear] = model.candidates(&inputs[3], 5);
            [45usize, 50]
                .iter()
                .flat_map(|&o| {
                    [&linear as &dyn Model, &poisson]
                        .map(|c| c.fit(&demand[3][..o]).unwrap().predict(5))
                })
                .collect::<Vec<_>>()
        };
        let before = fit(&demand);
        let mut changed = demand.clone();
        for d in &mut changed {
            for v in &mut d[50..] {
                *v *= 3.0;
            }
        }
        let after = fit(&changed);
        assert_eq!(before, after);
        // While the fit at the end does see it.
        let inputs = inputs(&changed, &covs);
        let model = GlobalModel::fit(&inputs, Bucket::Week, 160, 5, &settings(), 0);
        assert_eq!(model.summaries.len(), 3);
        assert!(model.summaries[0].rows_used > model.summaries[1].rows_used);
    }

    #[test]
    fn covariates_fill_unknown_prices_from_past_promotions() {
        let prices = [10.0, 10.0, 7.0, 10.0, 0.0, 0.0];
        let promo = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0];
        let c = Covariates::from_prices(&prices, &promo, Vec::new(), 8);
        assert_eq!(c.price_ratio, vec![1.0, 1.0, 0.7, 1.0, 1.0, 0.7, 1.0, 0.7]);
        assert_eq!(c.promo, promo.to_vec());
    }

    #[test]
    fn event_names_by_frequency_then_name() {
        let e = EventNames::most_frequent(["b", "a", "c", "a", "b", "d"], 2);
        assert_eq!(e.0, vec!["a", "b"]);
        assert_eq!(e.bit("b"), Some(2));
        assert_eq!(e.bit("c"), None);
    }
}
