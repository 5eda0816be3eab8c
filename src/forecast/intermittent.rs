//! Intermittent-demand forecasters: Croston (classic, SBA, optimised), TSB
//! (fixed and grid-optimised), ADIDA, IMAPA, and ADIDA at the season with
//! seasonal disaggregation.
//!
//! The definitions follow statsforecast (`models.py` `_croston_classic`,
//! `_croston_sba`, `_croston_optimized`, `_tsb`, `_adida`, `_imapa`, and the
//! C++ helpers `ses_forecast`, `ses_sse`, `golden_section_ses`,
//! `chunk_forecast`) operation for operation, so the point forecasts agree
//! with statsforecast to rounding:
//!
//! * SES is initialised with the first value: `f_0 = x_0`,
//!   `f_{t+1} = a x_t + (1 - a) f_t`; the forecast is `f_n` (`x_0` when
//!   there is a single value).
//! * Demand sizes are the values `> 0`; intervals are the gaps between
//!   non-zero values, the first one counted from one bucket before the start
//!   (a first demand at index `i` has interval `i + 1`).
//! * Optimised SES picks `a` in `[0.1, 0.3]` by golden-section search on the
//!   in-sample one-step SSE (stopping when the bracket is `< 1e-12` wide or the
//!   two inner values tie, returning the bracket midpoint).
//! * ADIDA/IMAPA drop the *oldest* `n mod k` values so that the last block
//!   ends with the last observation, sum non-overlapping blocks of `k`,
//!   forecast the block sums with optimised SES and divide by `k`; `k` is the
//!   mean inter-demand interval rounded half-to-even (Python's `round`).
//!
//! Every forecast is finite and non-negative (negative values clipped to 0,
//! NaN mapped to 0); histories with values above `1e100` are rescaled before
//! fitting so that block sums and squared errors cannot overflow.

use std::cell::RefCell;
use std::collections::VecDeque;

use super::ModelId;
use super::baseline::SeasonFit;
use super::{Fitted, Model};
use crate::stats::same_bits;

/// Smoothing constant of the classic Croston and SBA methods.
const CROSTON_ALPHA: f64 = 0.1;
/// SBA debiasing factor `1 - alpha / 2` for `alpha = 0.1`.
const SBA_FACTOR: f64 = 0.95;
/// Bounds of the golden-section search for the optimised SES.
const OPT_BOUNDS: (f64, f64) = (0.1, 0.3);
/// Smoothing constants tried by [`TsbOptimized`] (for demand and probability).
const TSB_GRID: [f64; 4] = [0.05, 0.1, 0.2, 0.3];
/// Histories whose largest magnitude exceeds this are rescaled before fitting.
const HUGE: f64 = 1e100;
/// Seasons of evenly spread demand (at the history's mean per season) that
/// [`SeasonalAdida`]'s profile is shrunk toward.
const PROFILE_PRIOR_SEASONS: f64 = 3.0;

/// Makes a forecast value finite and non-negative.
fn clean(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, f64::MAX)
    }
}

/// Runs `f` on `y`, or on `y / max|y|` (then scaling the result back) when
/// `y` holds huge values; returns a cleaned forecast.
fn fit_scaled(y: &[f64], f: impl FnOnce(&[f64]) -> f64) -> f64 {
    let max = y
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |m, v| m.max(v.abs()));
    if max > HUGE {
        let inv = 1.0 / max;
        let scaled: Vec<f64> = y.iter().map(|v| v * inv).collect();
        clean(f(&scaled) * max)
    } else {
        clean(f(y))
    }
}

/// Streaming simple exponential smoothing, identical to statsforecast's
/// `ses_forecast` (state initialised with the first value).
#[derive(Debug, Clone, Copy)]
struct Ses {
    alpha: f64,
    complement: f64,
    /// Fitted value for the last pushed observation.
    level: f64,
    /// Last pushed observation.
    prev: f64,
    count: usize,
}

impl Ses {
    fn new(alpha: f64) -> Self {
        Self {
            alpha,
            complement: 1.0 - alpha,
            level: 0.0,
            prev: 0.0,
            count: 0,
        }
    }

    #[inline]
    fn push(&mut self, x: f64) {
        if self.count == 0 {
            self.level = x;
        } else {
            self.level = self.alpha * self.prev + self.complement * self.level;
        }
        self.prev = x;
        self.count += 1;
    }

    /// One-step-ahead forecast after the pushed values (`None` before any).
    #[inline]
    fn forecast(&self) -> Option<f64> {
        match self.count {
            0 => None,
            1 => Some(self.level),
            _ => Some(self.alpha * self.prev + self.complement * self.level),
        }
    }
}

/// SES one-step forecast of a non-empty slice.
fn ses_forecast(x: &[f64], alpha: f64) -> f64 {
    let mut s = Ses::new(alpha);
    for &v in x {
        s.push(v);
    }
    s.forecast().unwrap_or(0.0)
}

/// In-sample one-step SSE of SES for `K` smoothing constants in one pass
/// (independent chains, so the CPU overlaps them); each is computed exactly
/// as statsforecast's `ses_sse` (0 for fewer than 2 values).
fn ses_sse_multi<const K: usize>(alphas: [f64; K], x: &[f64]) -> [f64; K] {
    let mut sse = [0.0; K];
    if x.len() < 2 {
        return sse;
    }
    let complement = alphas.map(|a| 1.0 - a);
    let mut forecast = [x[0]; K];
    for w in x.windows(2) {
        for k in 0..K {
            forecast[k] = alphas[k] * w[0] + complement[k] * forecast[k];
            let err = w[1] - forecast[k];
            sse[k] += err * err;
        }
    }
    sse
}

/// State of statsforecast's golden-section search: bracket `[a, b]`, inner
/// points `c < d` and their SSEs.
#[derive(Debug, Clone, Copy)]
struct Golden {
    a: f64,
    b: f64,
    c: f64,
    d: f64,
    fc: f64,
    fd: f64,
}

impl Golden {
    const GR: f64 = 1.618_033_988_749_895; // (sqrt(5) + 1) / 2

    /// Direction of the next step (`true`: keep the left part), or `None`
    /// when the search stops (bracket below 1e-12, or a tie).
    fn direction(&self) -> Option<bool> {
        let width = (self.b - self.a).abs();
        if width.is_nan() || width < 1e-12 {
            None
        } else if self.fc < self.fd {
            Some(true)
        } else if self.fd < self.fc {
            Some(false)
        } else {
            None
        }
    }

    /// The state after one step in direction `left` and its new inner point,
    /// whose SSE is still to be set with [`Golden::set_new`].
    fn step(&self, left: bool) -> (Golden, f64) {
        let mut g = *self;
        if left {
            g.b = self.d;
            g.d = self.c;
            g.fd = self.fc;
            g.c = g.b - (g.b - g.a) / Self::GR;
            (g, g.c)
        } else {
            g.a = self.c;
            g.c = self.d;
            g.fc = self.fd;
            g.d = g.a + (g.b - g.a) / Self::GR;
            (g, g.d)
        }
    }

    fn set_new(&mut self, left: bool, sse: f64) {
        if left {
            self.fc = sse;
        } else {
            self.fd = sse;
        }
    }
}

/// Golden-section search of the SES SSE over `[lower, upper]`: the same
/// sequence of points, comparisons and result as statsforecast's
/// `golden_section_ses`, but each pass evaluates the next point together
/// with both possible points after it, so two steps cost about one.
fn golden_section_ses(x: &[f64], lower: f64, upper: f64) -> f64 {
    let (a, b) = (lower, upper);
    let c = b - (b - a) / Golden::GR;
    let d = a + (b - a) / Golden::GR;
    let [fc, fd] = ses_sse_multi([c, d], x);
    let mut g = Golden { a, b, c, d, fc, fd };
    while let Some(left) = g.direction() {
        let (mut next, p) = g.step(left);
        let (_, p_left) = next.step(true);
        let (_, p_right) = next.step(false);
        let [f, f_left, f_right] = ses_sse_multi([p, p_left, p_right], x);
        next.set_new(left, f);
        g = next;
        let Some(left2) = g.direction() else { break };
        let (mut next2, _) = g.step(left2);
        next2.set_new(left2, if left2 { f_left } else { f_right });
        g = next2;
    }
    (g.b + g.a) / 2.0
}

/// SES forecast with `alpha` optimised on `[0.1, 0.3]` (non-empty slice),
/// shared inside [`sharing_ses`].
fn optimized_ses_forecast(x: &[f64]) -> f64 {
    let kept = SES_KEPT.with_borrow(|kept| {
        kept.as_ref()
            .map(|kept| kept.iter().find(|k| same_bits(&k.0, x)).map(|k| k.1))
    });
    match kept {
        None => fresh_optimized_ses_forecast(x),
        Some(Some(forecast)) => forecast,
        Some(None) => {
            let forecast = fresh_optimized_ses_forecast(x);
            super::sharing::keep(&SES_KEPT, SHARED_SES, (x.to_vec(), forecast));
            forecast
        }
    }
}

/// [`optimized_ses_forecast`] worked out.
fn fresh_optimized_ses_forecast(x: &[f64]) -> f64 {
    let alpha = golden_section_ses(x, OPT_BOUNDS.0, OPT_BOUNDS.1);
    ses_forecast(x, alpha)
}

/// Optimised-SES forecasts kept per thread inside [`sharing_ses`].
const SHARED_SES: usize = 8;

/// A forecast kept for reuse: the values and their optimised-SES forecast.
type KeptSes = (Vec<f64>, f64);

thread_local! {
    /// The forecasts of the current [`sharing_ses`] scope on this thread
    /// (`None` outside one).
    static SES_KEPT: RefCell<Option<VecDeque<KeptSes>>> = const { RefCell::new(None) };
}

/// Run `f` with optimised-SES forecasts shared on this thread: on a series
/// without zeros IMAPA's first level, ADIDA at level 1 and optimised
/// Croston's demand sizes all smooth the series itself, and ADIDA's level
/// is IMAPA's last; inside `f` the later ones take the first's forecast,
/// which is exactly what a new search gives (a pure function of the
/// values). Outside such a scope each is its own (what a model's own cost
/// is measured on).
pub fn sharing_ses<R>(f: impl FnOnce() -> R) -> R {
    super::sharing::keeping(&SES_KEPT, f)
}

/// Sums of consecutive blocks of `k` values of `y`, dropping the oldest
/// `len mod k` values, written into `out` (cleared first).
fn block_sums(y: &[f64], k: usize, out: &mut Vec<f64>) {
    out.clear();
    let lost = y.len() % k;
    out.extend(y[lost..].chunks_exact(k).map(|c| c.iter().sum::<f64>()));
}

/// Optimised-SES forecast of the block sums of size `k` (statsforecast's
/// `chunk_forecast`); the last value when the history is shorter than `k`.
fn chunk_forecast(y: &[f64], k: usize, buf: &mut Vec<f64>) -> f64 {
    if y.len() < k {
        return y[y.len() - 1];
    }
    block_sums(y, k, buf);
    if buf.len() == 1 {
        return buf[0];
    }
    optimized_ses_forecast(buf)
}

/// Mean inter-demand interval rounded half-to-even (at least 1), or `None`
/// when every value is zero.
fn mean_interval_level(y: &[f64]) -> Option<usize> {
    let mut count = 0usize;
    let mut last = 0usize;
    for (i, &v) in y.iter().enumerate() {
        if v != 0.0 {
            count += 1;
            last = i;
        }
    }
    if count == 0 {
        return None;
    }
    let mean = (last + 1) as f64 / count as f64;
    Some((mean.round_ties_even() as usize).max(1))
}

/// Classic Croston mean (before any debiasing) with smoothing `alpha`;
/// the last value when there is no positive demand.
fn croston_classic(y: &[f64], alpha: f64) -> f64 {
    let mut demand = Ses::new(alpha);
    let mut interval = Ses::new(alpha);
    let mut since = 0usize;
    for (i, &v) in y.iter().enumerate() {
        if v > 0.0 {
            demand.push(v);
        }
        if v != 0.0 {
            interval.push((i + 1 - since) as f64);
            since = i + 1;
        }
    }
    let Some(d) = demand.forecast() else {
        return y[y.len() - 1];
    };
    match interval.forecast() {
        Some(p) if p != 0.0 => d / p,
        _ => d,
    }
}

/// A fitted model whose forecast is the same value at every horizon.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ConstantFit(f64);

impl Fitted for ConstantFit {
    fn predict(&self, h: usize) -> Vec<f64> {
        vec![self.0; h]
    }
}

/// Boxes a cleaned constant forecast, `None` for an empty history.
fn constant(y: &[f64], f: impl FnOnce(&[f64]) -> f64) -> Option<Box<dyn Fitted>> {
    if y.is_empty() {
        return None;
    }
    Some(Box::new(ConstantFit(fit_scaled(y, f))))
}

/// Croston's method (statsforecast `CrostonClassic`): SES with `alpha = 0.1`
/// of the demand sizes divided by SES with `alpha = 0.1` of the intervals.
/// A history without positive demand forecasts its last value (0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Croston;

impl Model for Croston {
    fn id(&self) -> ModelId {
        ModelId::Croston
    }

    fn fit(&self, history: &[f64]) -> Option<Box<dyn Fitted>> {
        constant(history, |y| croston_classic(y, CROSTON_ALPHA))
    }
}

/// Syntetos–Boylan approximation (statsforecast `CrostonSBA`): the classic
/// Croston forecast times `1 - alpha / 2 = 0.95`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CrostonSba;

impl Model for CrostonSba {
    fn id(&self) -> ModelId {
        ModelId::CrostonSba
    }

    fn fit(&self, history: &[f64]) -> Option<Box<dyn Fitted>> {
        constant(history, |y| SBA_FACTOR * croston_classic(y, CROSTON_ALPHA))
    }
}

/// Croston with optimised smoothing (statsforecast `CrostonOptimized`): the
/// SES constants of the demand sizes and of the intervals are chosen
/// separately in `[0.1, 0.3]`, each minimising its own in-sample one-step SSE.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CrostonOptimized;

impl Model for CrostonOptimized {
    fn id(&self) -> ModelId {
        ModelId::CrostonOpt
    }

    fn fit(&self, history: &[f64]) -> Option<Box<dyn Fitted>> {
        constant(history, |y| {
            let n_demand = y.iter().filter(|&&v| v > 0.0).count();
            if n_demand == 0 {
                return y[y.len() - 1];
            }
            let n_nonzero = y.iter().filter(|&&v| v != 0.0).count();
            let mut buf = Vec::with_capacity(n_demand + n_nonzero);
            buf.extend(y.iter().copied().filter(|&v| v > 0.0));
            let mut since = 0usize;
            for (i, &v) in y.iter().enumerate() {
                if v != 0.0 {
                    buf.push((i + 1 - since) as f64);
                    since = i + 1;
                }
            }
            let (demand, intervals) = buf.split_at(n_demand);
            let d = optimized_ses_forecast(demand);
            let p = optimized_ses_forecast(intervals);
            if p != 0.0 { d / p } else { d }
        })
    }
}

/// TSB, Teunter–Syntetos–Babai (statsforecast `TSB`): SES (`alpha_d`) of the
/// demand sizes times SES (`alpha_p`) of the demand indicator `y_t != 0`,
/// the latter updated every bucket. All-zero histories forecast 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tsb {
    /// Smoothing constant of the demand sizes, in `[0, 1]`.
    pub alpha_d: f64,
    /// Smoothing constant of the demand probability, in `[0, 1]`.
    pub alpha_p: f64,
}

impl Tsb {
    /// TSB with the given smoothing constants (clamped to `[0, 1]` when
    /// fitting; NaN counts as 0.1).
    pub fn new(alpha_d: f64, alpha_p: f64) -> Self {
        Self { alpha_d, alpha_p }
    }
}

impl Default for Tsb {
    /// `alpha_d = alpha_p = 0.1`.
    fn default() -> Self {
        Self::new(0.1, 0.1)
    }
}

/// Clamps a smoothing constant to `[0, 1]` (NaN becomes 0.1).
fn unit_alpha(a: f64) -> f64 {
    if a.is_nan() { 0.1 } else { a.clamp(0.0, 1.0) }
}

/// TSB forecast `p * z`; 0 for an all-zero history or one without positive
/// demand.
fn tsb_forecast(y: &[f64], alpha_d: f64, alpha_p: f64) -> f64 {
    let mut demand = Ses::new(alpha_d);
    let mut prob = Ses::new(alpha_p);
    for &v in y {
        if v > 0.0 {
            demand.push(v);
        }
        prob.push(if v != 0.0 { 1.0 } else { 0.0 });
    }
    match (demand.forecast(), prob.forecast()) {
        (Some(z), Some(p)) => p * z,
        _ => 0.0,
    }
}

/// In-sample one-step SSE of TSB for every `(alpha_d, alpha_p)` pair of
/// [`TSB_GRID`] in one pass (`[d][p]`). The forecast for bucket `t >= 1` is
/// `p_t * z_t`, both smoothed from the values before `t` (each started at its
/// first value), with `z_t = 0` before the first demand.
fn tsb_grid_sse(y: &[f64]) -> [[f64; TSB_GRID.len()]; TSB_GRID.len()] {
    const G: usize = TSB_GRID.len();
    let mut sse = [[0.0; G]; G];
    let Some(&first) = y.first() else {
        return sse;
    };
    let mut p = [if first != 0.0 { 1.0 } else { 0.0 }; G];
    let mut z = [0.0; G];
    let mut seen = false;
    for (t, &v) in y.iter().enumerate() {
        if t > 0 {
            for (row, &zd) in sse.iter_mut().zip(&z) {
                for (acc, &pp) in row.iter_mut().zip(&p) {
                    let e = v - pp * zd;
                    *acc += e * e;
                }
            }
        }
        let ind = if v != 0.0 { 1.0 } else { 0.0 };
        for (pp, &a) in p.iter_mut().zip(&TSB_GRID) {
            *pp = a * ind + (1.0 - a) * *pp;
        }
        if v > 0.0 {
            if !seen {
                z = [v; G];
                seen = true;
            }
            for (zd, &a) in z.iter_mut().zip(&TSB_GRID) {
                *zd = a * v + (1.0 - a) * *zd;
            }
        }
    }
    sse
}

impl Model for Tsb {
    fn id(&self) -> ModelId {
        ModelId::Tsb
    }

    fn fit(&self, history: &[f64]) -> Option<Box<dyn Fitted>> {
        let (ad, ap) = (unit_alpha(self.alpha_d), unit_alpha(self.alpha_p));
        constant(history, |y| tsb_forecast(y, ad, ap))
    }
}

/// TSB with both smoothing constants picked from `{0.05, 0.1, 0.2, 0.3}`
/// by in-sample one-step MSE (ties go to the smaller constants).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TsbOptimized;

impl TsbOptimized {
    /// The `(alpha_d, alpha_p)` pair chosen for `history`.
    pub fn select(history: &[f64]) -> (f64, f64) {
        let sse = tsb_grid_sse(history);
        let mut best = (TSB_GRID[0], TSB_GRID[0]);
        let mut best_sse = f64::INFINITY;
        for (row, &ad) in sse.iter().zip(&TSB_GRID) {
            for (&v, &ap) in row.iter().zip(&TSB_GRID) {
                if v < best_sse {
                    best_sse = v;
                    best = (ad, ap);
                }
            }
        }
        best
    }
}

impl Model for TsbOptimized {
    fn id(&self) -> ModelId {
        ModelId::TsbOpt
    }

    fn fit(&self, history: &[f64]) -> Option<Box<dyn Fitted>> {
        constant(history, |y| {
            let (ad, ap) = Self::select(y);
            tsb_forecast(y, ad, ap)
        })
    }
}

/// ADIDA (statsforecast `ADIDA`): temporal aggregation into non-overlapping
/// blocks of `k` buckets, optimised SES on the block sums, disaggregated
/// evenly (`/ k`). `k` is `aggregation` when given (0 counts as 1), else the
/// mean inter-demand interval rounded half-to-even. All-zero histories
/// forecast 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Adida {
    /// Fixed block size; `None` = mean inter-demand interval (statsforecast).
    pub aggregation: Option<usize>,
}

impl Adida {
    /// ADIDA with an optional fixed aggregation level.
    pub fn new(aggregation: Option<usize>) -> Self {
        Self { aggregation }
    }
}

impl Model for Adida {
    fn id(&self) -> ModelId {
        ModelId::Adida
    }

    fn fit(&self, history: &[f64]) -> Option<Box<dyn Fitted>> {
        let fixed = self.aggregation;
        constant(history, |y| {
            let Some(auto) = mean_interval_level(y) else {
                return 0.0;
            };
            let k = fixed.map_or(auto, |k| k.max(1));
            let mut buf = Vec::with_capacity(y.len() / k);
            chunk_forecast(y, k, &mut buf) / k as f64
        })
    }
}

/// IMAPA (statsforecast `IMAPA`): the mean of the ADIDA-style forecasts
/// (block sums, optimised SES, `/ k`) over every aggregation level
/// `k = 1..=K`, `K` the mean inter-demand interval rounded half-to-even.
/// All-zero histories forecast 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Imapa;

impl Model for Imapa {
    fn id(&self) -> ModelId {
        ModelId::Imapa
    }

    fn fit(&self, history: &[f64]) -> Option<Box<dyn Fitted>> {
        constant(history, |y| {
            let Some(max_k) = mean_interval_level(y) else {
                return 0.0;
            };
            let mut buf = Vec::with_capacity(y.len());
            let mut total = 0.0;
            for k in 1..=max_k {
                let f = if k == 1 {
                    optimized_ses_forecast(y)
                } else {
                    block_sums(y, k, &mut buf);
                    optimized_ses_forecast(&buf)
                };
                total += f / k as f64;
            }
            total / max_k as f64
        })
    }
}

/// ADIDA at the season with seasonal disaggregation: the history's whole
/// seasons (blocks of `season_length` buckets, the last ending with the last
/// observation) summed, the sums forecast by optimised SES (ADIDA with
/// `k = season_length`), and the forecast season total spread over its
/// buckets by the seasonal profile (`seasonal_profile`) where the
/// positions differ significantly, evenly elsewhere. The other
/// intermittent methods spread demand evenly; daily demand with a weekday
/// pattern (shops closed or busy on some days) is not even. A history
/// shorter than one season, or a season length of 1, forecasts its mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeasonalAdida {
    /// Buckets in one season (7 for days in a week).
    pub season_length: usize,
}

impl SeasonalAdida {
    /// Seasonal ADIDA with the given season length.
    pub fn new(season_length: usize) -> Self {
        Self { season_length }
    }
}

impl Model for SeasonalAdida {
    fn id(&self) -> ModelId {
        ModelId::SeasonalAdida
    }

    fn fit(&self, history: &[f64]) -> Option<Box<dyn Fitted>> {
        let m = self.season_length.max(1);
        let seasons = history.len() / m;
        if m == 1 || seasons == 0 {
            return constant(history, |y| y.iter().sum::<f64>() / y.len() as f64);
        }
        let whole = &history[history.len() - seasons * m..];
        let total = fit_scaled(whole, |y| {
            let mut buf = Vec::with_capacity(seasons);
            chunk_forecast(y, m, &mut buf)
        });
        let season = seasonal_profile(whole, m)
            .into_iter()
            .map(|share| clean(total * share))
            .collect();
        Some(Box::new(SeasonFit(season)))
    }
}

/// Whether the positions of a season differ in mean over the whole seasons
/// of `y` (each value times `inv`), their sums `sums`: a one-way analysis
/// of variance with the seasons as replicates, significant at 5 %.
fn positions_differ(y: &[f64], sums: &[f64], inv: f64) -> bool {
    let m = sums.len();
    let seasons = y.len() / m;
    if m < 2 || seasons < 2 {
        return false;
    }
    let means: Vec<f64> = sums.iter().map(|sum| sum / seasons as f64).collect();
    let grand = means.iter().sum::<f64>() / m as f64;
    let between = seasons as f64 * means.iter().map(|a| (a - grand).powi(2)).sum::<f64>();
    let within: f64 = y
        .chunks_exact(m)
        .flat_map(|season| {
            season
                .iter()
                .zip(&means)
                .map(|(v, a)| (v * inv - a).powi(2))
        })
        .sum();
    let (d1, d2) = ((m - 1) as f64, (y.len() - m) as f64);
    if within <= 0.0 {
        return between > 0.0;
    }
    crate::stats::f_sf((between / d1) / (within / d2), d1, d2) < 0.05
}

/// Each position's share of a season's demand over the whole seasons of `y`
/// (its length a multiple of `m`), shrunk toward `1 / m` by
/// [`PROFILE_PRIOR_SEASONS`] seasons of evenly spread demand: a profile read
/// off a few seasons of sparse sales moves halfway at most. Even when there
/// is no demand, or when the positions do not differ significantly
/// ([`positions_differ`]): then the forecast is ADIDA's at the season. The
/// shares sum to 1.
fn seasonal_profile(y: &[f64], m: usize) -> Vec<f64> {
    let max = y.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let inv = if max > HUGE { 1.0 / max } else { 1.0 };
    let mut sums = vec![0.0; m];
    for season in y.chunks_exact(m) {
        for (sum, v) in sums.iter_mut().zip(season) {
            *sum += v.max(0.0) * inv;
        }
    }
    let total: f64 = sums.iter().sum();
    let even = 1.0 / m as f64;
    if !(total > 0.0 && total.is_finite() && positions_differ(y, &sums, inv)) {
        return vec![even; m];
    }
    let prior = PROFILE_PRIOR_SEASONS * total / (y.len() / m) as f64;
    sums.iter()
        .map(|sum| (sum + prior * even) / (total + prior))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fc(model: &dyn Model, y: &[f64]) -> f64 {
        let f = model.fit(y).expect("fits").predict(3);
        assert_eq!(f.len(), 3);
        assert!(f.iter().all(|&v| v == f[0]), "constant forecast");
        f[0]
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0)
    }

    #[test]
    fn seasonal_adida_spreads_the_season_total_by_the_shrunk_profile() {
        // Eight weeks selling 10 on each of the last two days only, after
        // three older days that are not a whole week (dropped).
        let week = [0.0, 0.0, 0.0, 0.0, 0.0, 10.0, 10.0];
        let mut y = vec![4.0, 4.0, 4.0];
        for _ in 0..8 {
            y.extend(week);
        }
        let f = SeasonalAdida::new(7).fit(&y).expect("fits").predict(9);
        // Season sums are all 20: SES forecasts 20. Each busy day holds 80
        // of 160 units; the prior adds 3 × 160 / 8 = 60 units spread evenly.
        let busy = 20.0 * (80.0 + 60.0 / 7.0) / 220.0;
        let quiet = 20.0 * (60.0 / 7.0) / 220.0;
        let want = [quiet, quiet, quiet, quiet, quiet, busy, busy, quiet, quiet];
        for (got, want) in f.iter().zip(want) {
            assert!((got - want).abs() < 1e-9, "{f:?}");
        }
        assert!((f[..7].iter().sum::<f64>() - 20.0).abs() < 1e-9);
    }

    #[test]
    fn seasonal_adida_without_a_whole_season_or_demand() {
        let model = SeasonalAdida::new(7);
        let f = model.fit(&[1.0, 2.0, 6.0]).expect("fits").predict(4);
        assert_eq!(f, vec![3.0; 4], "the mean of a part season");
        let f = model.fit(&[0.0; 30]).expect("fits").predict(10);
        assert_eq!(f, vec![0.0; 10]);
        assert!(model.fit(&[]).is_none());
        let huge: Vec<f64> = (0..21)
            .map(|i| if i % 7 == 6 { 1e300 } else { 0.0 })
            .collect();
        let f = model.fit(&huge).expect("fits").predict(7);
        assert!(f.iter().all(|v| v.is_finite() && *v >= 0.0), "{f:?}");
        assert!(f[6] > f[0], "{f:?}");
        let f = SeasonalAdida::new(1)
            .fit(&[2.0, 4.0])
            .expect("fits")
            .predict(2);
        assert_eq!(f, vec![3.0; 2]);
    }

    #[test]
    fn seasonal_adida_spreads_evenly_where_positions_do_not_differ() {
        // Seven weeks, each day holding 0..=6 once: every weekday's mean is 3.
        let y: Vec<f64> = (0..49).map(|i| ((i % 7 + i / 7) % 7) as f64).collect();
        let f = SeasonalAdida::new(7).fit(&y).expect("fits").predict(7);
        for v in &f {
            assert!((v - 3.0).abs() < 1e-12, "{f:?}");
        }
    }

    #[test]
    fn shared_ses_forecasts_are_the_ones_a_new_search_gives() {
        let y: Vec<f64> = (0..60).map(|i| 10.0 + ((i * 7) % 11) as f64).collect();
        let models: [&dyn Model; 3] = [&Imapa, &Adida::default(), &CrostonOptimized];
        let alone: Vec<f64> = models.iter().map(|m| fc(*m, &y)).collect();
        let shared: Vec<f64> = sharing_ses(|| {
            let out = models.iter().map(|m| fc(*m, &y)).collect();
            // the series itself, and the intervals of 1 between its demands
            SES_KEPT.with_borrow(|kept| assert_eq!(kept.as_ref().map(|k| k.len()), Some(2)));
            out
        });
        assert_eq!(alone, shared);
        assert!(SES_KEPT.with_borrow(|kept| kept.is_none()));
    }

    fn all_models() -> Vec<Box<dyn Model>> {
        vec![
            Box::new(Croston),
            Box::new(CrostonSba),
            Box::new(CrostonOptimized),
            Box::new(Tsb::default()),
            Box::new(TsbOptimized),
            Box::new(Adida::default()),
            Box::new(Adida::new(Some(4))),
            Box::new(Imapa),
        ]
    }

    #[test]
    fn names() {
        let names: Vec<_> = all_models().iter().map(|m| m.name()).collect();
        assert_eq!(
            names,
            [
                "croston",
                "croston_sba",
                "croston_opt",
                "tsb",
                "tsb_opt",
                "adida",
                "adida",
                "imapa"
            ]
        );
    }

    /// statsforecast's `ses_sse`, one constant at a time.
    fn ses_sse(alpha: f64, x: &[f64]) -> f64 {
        if x.len() < 2 {
            return 0.0;
        }
        let complement = 1.0 - alpha;
        let mut forecast = x[0];
        let mut sse = 0.0;
        for w in x.windows(2) {
            forecast = alpha * w[0] + complement * forecast;
            let err = w[1] - forecast;
            sse += err * err;
        }
        sse
    }

    /// statsforecast's `golden_section_ses`, sequential.
    fn golden_reference(x: &[f64], lower: f64, upper: f64) -> f64 {
        let gr = (5.0f64.sqrt() + 1.0) / 2.0;
        let (mut a, mut b) = (lower, upper);
        let mut c = b - (b - a) / gr;
        let mut d = a + (b - a) / gr;
        let mut fc = ses_sse(c, x);
        let mut fd = ses_sse(d, x);
        while (b - a).abs() >= 1e-12 {
            if fc < fd {
                b = d;
                d = c;
                fd = fc;
                c = b - (b - a) / gr;
                fc = ses_sse(c, x);
            } else if fd < fc {
                a = c;
                c = d;
                fc = fd;
                d = a + (b - a) / gr;
                fd = ses_sse(d, x);
            } else {
                break;
            }
        }
        (b + a) / 2.0
    }

    #[test]
    fn speculative_golden_equals_sequential() {
        assert_eq!(Golden::GR, (5.0f64.sqrt() + 1.0) / 2.0);
        // a deterministic pseudo-random walk plus edge cases
        let mut state = 12345u64;
        let mut walk = Vec::new();
        for _ in 0..200 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            walk.push((state >> 40) as f64 / 1e5);
        }
        let cases: Vec<Vec<f64>> = vec![
            walk.clone(),
            walk[..7].to_vec(),
            vec![3.0, 3.0],
            vec![1.0],
            vec![1.0, 5.0, 2.0, 8.0, 0.0, 4.0],
            (1..50).map(|t| t as f64).collect(),
        ];
        for x in &cases {
            for (lo, hi) in [(0.1, 0.3), (0.01, 0.99)] {
                assert_eq!(golden_section_ses(x, lo, hi), golden_reference(x, lo, hi));
            }
            assert_eq!(ses_sse_multi([0.2], x)[0], ses_sse(0.2, x));
        }
    }

    #[test]
    fn ses_matches_definition() {
        // f0 = 1, f1 = 0.5*1 + 0.5*1 = 1, f2 = 0.5*2 + 0.5*1 = 1.5,
        // forecast = 0.5*4 + 0.5*1.5 = 2.75
        assert_eq!(ses_forecast(&[1.0, 2.0, 4.0], 0.5), 2.75);
        assert_eq!(ses_forecast(&[7.0], 0.3), 7.0);
        // errors: 2 - 1 = 1, 4 - 1.5 = 2.5
        assert_eq!(ses_sse_multi([0.5], &[1.0, 2.0, 4.0]), [1.0 + 6.25]);
        assert_eq!(ses_sse_multi([0.5, 0.1], &[1.0]), [0.0, 0.0]);
    }

    #[test]
    fn croston_regular_pattern() {
        // sizes [3, 3], intervals [3, 3] -> 3 / 3
        let y = [0.0, 0.0, 3.0, 0.0, 0.0, 3.0];
        assert!(close(fc(&Croston, &y), 1.0, 1e-12));
        assert!(close(fc(&CrostonSba, &y), 0.95, 1e-12));
        assert!(close(fc(&CrostonOptimized, &y), 1.0, 1e-12));
        // ADIDA: k = 3, block sums [3, 3] -> 3 / 3
        assert!(close(fc(&Adida::default(), &y), 1.0, 1e-12));
    }

    #[test]
    fn croston_by_hand() {
        // sizes [2, 4]: 0.1*4 + 0.9*2 = 2.2; intervals [2, 3]: 0.1*3 + 0.9*2 = 2.1
        let y = [0.0, 2.0, 0.0, 0.0, 4.0];
        assert!(close(fc(&Croston, &y), 2.2 / 2.1, 1e-12));
        assert!(close(fc(&CrostonSba, &y), 0.95 * 2.2 / 2.1, 1e-12));
        // TSB: probability SES of [0,1,0,0,1]: 0, 0, 0.1, 0.09, 0.081 -> 0.1729
        assert!(close(fc(&Tsb::default(), &y), 0.1729 * 2.2, 1e-12));
    }

    #[test]
    fn reference_values_from_statsforecast() {
        // statsforecast 2.1.1: `CrostonClassic().forecast(y, h=1)["mean"]` etc.
        let y = [
            0.0, 3.0, 0.0, 0.0, 1.0, 0.0, 5.0, 0.0, 0.0, 0.0, 2.0, 0.0, 4.0, 0.0, 0.0, 1.0,
        ];
        let cases: [(&dyn Model, f64); 6] = [
            (&Croston, 1.213_081_229_243_730_5),
            (&CrostonSba, 1.152_427_167_781_543_9),
            (&CrostonOptimized, 1.091_583_846_578_219_3),
            (&Tsb::default(), 0.917_519_217_783_821_5),
            (&Adida::default(), 1.015_233_333_333_329_7),
            (&Imapa, 1.013_549_288_269_2),
        ];
        for (m, want) in cases {
            let got = fc(m, &y);
            assert!(close(got, want, 1e-9), "{}: {got} vs {want}", m.name());
        }
    }

    #[test]
    fn no_demand_and_all_zero() {
        for m in all_models() {
            assert_eq!(fc(m.as_ref(), &[0.0; 10]), 0.0, "{}", m.name());
            assert_eq!(fc(m.as_ref(), &[0.0]), 0.0, "{}", m.name());
        }
    }

    #[test]
    fn single_demand_at_start_or_end() {
        let mut start = [0.0; 20];
        start[0] = 8.0;
        let mut end = [0.0; 20];
        end[19] = 8.0;
        // Croston: one size (8), one interval (1 or 20)
        assert!(close(fc(&Croston, &start), 8.0, 1e-12));
        assert!(close(fc(&Croston, &end), 8.0 / 20.0, 1e-12));
        // ADIDA at the end: k = 20, one block summing to 8
        assert!(close(fc(&Adida::default(), &end), 8.0 / 20.0, 1e-12));
        for m in all_models() {
            for y in [&start[..], &end[..]] {
                let f = fc(m.as_ref(), y);
                assert!(
                    f.is_finite() && (0.0..=8.0).contains(&f),
                    "{} {f}",
                    m.name()
                );
            }
        }
    }

    #[test]
    fn adida_fixed_level_and_partial_block() {
        // k = 2 drops the oldest value: blocks [1+2, 3+4] -> SES forecast / 2
        let y = [100.0, 1.0, 2.0, 3.0, 4.0];
        let f = fc(&Adida::new(Some(2)), &y);
        let alpha = golden_section_ses(&[3.0, 7.0], 0.1, 0.3);
        assert!(close(f, ses_forecast(&[3.0, 7.0], alpha) / 2.0, 1e-12));
        // k longer than the history: last value / k
        assert!(close(fc(&Adida::new(Some(10)), &[1.0, 6.0]), 0.6, 1e-12));
        // k = 0 behaves as k = 1
        assert_eq!(
            fc(&Adida::new(Some(0)), &[1.0, 2.0, 3.0]),
            fc(&Adida::new(Some(1)), &[1.0, 2.0, 3.0])
        );
    }

    #[test]
    fn mean_interval_rounds_half_to_even() {
        // nonzero at 0 and 4: intervals [1, 4], mean 2.5 -> 2
        assert_eq!(mean_interval_level(&[1.0, 0.0, 0.0, 0.0, 1.0]), Some(2));
        // nonzero at 2 and 6: intervals [3, 4], mean 3.5 -> 4
        assert_eq!(
            mean_interval_level(&[0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]),
            Some(4)
        );
        assert_eq!(mean_interval_level(&[0.0, 0.0]), None);
    }

    #[test]
    fn constant_series_forecasts_its_level() {
        let y = [5.0; 12];
        for m in all_models() {
            let want = if m.name() == "croston_sba" { 4.75 } else { 5.0 };
            let f = fc(m.as_ref(), &y);
            assert!(close(f, want, 1e-9), "{} {f}", m.name());
        }
    }

    #[test]
    fn tsb_alphas_and_selection() {
        let y = [0.0, 2.0, 0.0, 0.0, 4.0, 0.0, 1.0, 0.0, 0.0, 3.0];
        let (ad, ap) = TsbOptimized::select(&y);
        assert!(TSB_GRID.contains(&ad) && TSB_GRID.contains(&ap));
        // scalar reference of the in-sample SSE
        let tsb_sse = |alpha_d: f64, alpha_p: f64| {
            let (mut p, mut z, mut sse) = (if y[0] != 0.0 { 1.0 } else { 0.0 }, 0.0, 0.0);
            let mut seen = false;
            for (t, &v) in y.iter().enumerate() {
                if t > 0 {
                    sse += (v - p * z) * (v - p * z);
                }
                p = alpha_p * f64::from(v != 0.0) + (1.0 - alpha_p) * p;
                if v > 0.0 {
                    if !seen {
                        z = v;
                        seen = true;
                    }
                    z = alpha_d * v + (1.0 - alpha_d) * z;
                }
            }
            sse
        };
        let grid = tsb_grid_sse(&y);
        let best = tsb_sse(ad, ap);
        for (i, a) in TSB_GRID.into_iter().enumerate() {
            for (j, b) in TSB_GRID.into_iter().enumerate() {
                assert!(close(grid[i][j], tsb_sse(a, b), 1e-12));
                assert!(best <= tsb_sse(a, b));
            }
        }
        assert_eq!(fc(&TsbOptimized, &y), fc(&Tsb::new(ad, ap), &y));
        // out-of-range alphas are clamped, NaN -> 0.1
        assert_eq!(fc(&Tsb::new(5.0, -1.0), &y), fc(&Tsb::new(1.0, 0.0), &y));
        assert_eq!(fc(&Tsb::new(f64::NAN, 0.1), &y), fc(&Tsb::default(), &y));
    }

    #[test]
    fn edge_inputs_give_finite_non_negative() {
        let cases: Vec<Vec<f64>> = vec![
            vec![0.0],
            vec![4.0],
            vec![0.0, 3.0],
            vec![3.0, 0.0, 1.0],
            vec![1e300, 0.0, 1e300, 1e300],
            vec![f64::MAX; 30],
            vec![-1.0, -3.0, -2.0],
            vec![-1.0, 2.0, 0.0, -5.0, 1.0],
            vec![f64::NAN, 1.0, f64::INFINITY, 0.0],
        ];
        for m in all_models() {
            assert!(m.fit(&[]).is_none(), "{}", m.name());
            for y in &cases {
                let f = fc(m.as_ref(), y);
                assert!(f.is_finite() && f >= 0.0, "{} {y:?} -> {f}", m.name());
            }
        }
        // huge values are rescaled, not overflowed
        let f = fc(&Imapa, &[1e300, 0.0, 1e300, 1e300]);
        assert!(f > 1e299 && f < 1e301, "{f}");
        let f = fc(&Adida::default(), &[f64::MAX; 30]);
        assert!(f > 1e307, "{f}");
    }

    #[test]
    fn deterministic() {
        let y = [
            0.0, 1.0, 0.0, 7.0, 0.0, 0.0, 2.0, 0.0, 1.0, 0.0, 0.0, 0.0, 4.0,
        ];
        for m in all_models() {
            let a = m.fit(&y).unwrap().predict(5);
            let b = m.fit(&y).unwrap().predict(5);
            assert_eq!(a, b, "{}", m.name());
        }
    }
}
