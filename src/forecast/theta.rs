//! The standard Theta method (Assimakopoulos & Nikolopoulos 2000) in the
//! state-space form of Fiorucci et al. (2016) used by statsforecast's
//! `Theta` (`AutoTheta(model="STM")`): simple exponential smoothing plus a
//! drift of half the slope of the linear trend (Hyndman & Billah 2003).
//!
//! With `A`, `B` the least-squares intercept and slope of the
//! (deseasonalised) series on `t = 1..n`, the one-step forecast made at time
//! `i` (0-based) from the level `l_{i-1}` is
//! `mu_i = l_{i-1} + (A (1-a)^i + B (1 - (1-a)^(i+1)) / a) / 2`, and the level
//! is `l_i = a y_i + (1 - a) l_{i-1}` with `l_0 = a y_0 + (1 - a) l_init`
//! (past the end `y_i` is replaced by `mu_i`). As in statsforecast, `a` in
//! `[0.1, 0.99]` and `l_init` minimise the sum of squared one-step errors from
//! `i = 3` on. Here `l_init` is solved exactly for each `a` (the errors are
//! linear in it) and `a` by a grid search refined to 1e-6, where
//! statsforecast runs Nelder–Mead on both; the optimum is the same up to the
//! optimiser's tolerance.
//!
//! Seasonality: when `season_length > 1`, the history holds at least two
//! seasons and the lag-`m` autocorrelation is significant at 90 %
//! (`|r_m| > 1.645 sqrt((1 + 2 sum_{k<m} r_k^2) / n)`, as statsforecast and
//! R's `forecast::thetaf`), the series is deseasonalised by classical
//! multiplicative decomposition (centred moving average; additive when the
//! history has values <= 0 or a seasonal index is below 0.01, as
//! statsforecast) and the forecasts are reseasonalised with the last season's
//! indices. statsforecast only tests `season_length >= 4`.
//!
//! Histories of 1–3 values (too short for the method) forecast their mean.
//! Forecasts are clipped at 0 and always finite.

use super::ModelId;
use super::{Fitted, Model};

/// Histories whose largest magnitude exceeds this are rescaled before fitting.
const HUGE: f64 = 1e100;
/// One-sided 95 % standard-normal quantile (two-sided 90 % test).
const Z_95: f64 = 1.644_853_626_951_472_2;
/// Bounds of the initial level (statsforecast's).
const LEVEL_BOUND: f64 = 1e10;
/// Coarse grid of the smoothing constant over statsforecast's bounds
/// `[0.1, 0.99]`, refined between the best point's neighbours (so the
/// result stays within the bounds).
const ALPHA_GRID: [f64; 10] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99];
/// Width of the smoothing-constant bracket at which the refinement stops.
const ALPHA_TOL: f64 = 1e-6;

/// Makes a forecast value finite and non-negative.
fn clean(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, f64::MAX)
    }
}

/// How the seasonal indices are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seasonality {
    None,
    Multiplicative,
    Additive,
}

/// Standard Theta method (statsforecast `Theta`, R `forecast::thetaf`), with
/// classical decomposition of seasonal series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theta {
    /// Number of buckets in one season (1 or 0 = no seasonality).
    pub season_length: usize,
}

impl Theta {
    /// Theta with the given season length.
    pub fn new(season_length: usize) -> Self {
        Self { season_length }
    }
}

impl Default for Theta {
    /// Non-seasonal Theta (`season_length = 1`).
    fn default() -> Self {
        Self::new(1)
    }
}

/// A fitted Theta model.
#[derive(Debug, Clone, PartialEq)]
struct ThetaFit {
    /// Level after the last observation.
    level: f64,
    /// The line the drift follows, after the last observation.
    trend: Trend,
    /// Smoothing constant.
    alpha: f64,
    /// Weight of the drift, 1 − 1/θ (½ for the standard θ = 2).
    drift: f64,
    /// History length.
    n: usize,
    /// `season[j % m]` is the index of forecast step `j` (empty: none).
    season: Vec<f64>,
    seasonality: Seasonality,
    /// Factor undoing the rescaling of huge histories.
    scale: f64,
}

impl Fitted for ThetaFit {
    fn predict(&self, h: usize) -> Vec<f64> {
        let alpha = self.alpha;
        let q = 1.0 - alpha;
        let mut level = self.level;
        let mut trend = self.trend;
        (0..h)
            .map(|j| {
                let i = (self.n + j) as f64;
                let mu = level
                    + self.drift
                        * (trend.a * q.powf(i) + trend.b * (1.0 - q.powf(i + 1.0)) / alpha);
                level = alpha * mu + q * level;
                trend.update(self.n + j, mu);
                let s = if self.season.is_empty() {
                    0.0
                } else {
                    self.season[j % self.season.len()]
                };
                let v = match self.seasonality {
                    Seasonality::None => mu,
                    Seasonality::Multiplicative => mu * s,
                    Seasonality::Additive => mu + s,
                };
                clean(v * self.scale)
            })
            .collect()
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

/// Mean of a non-empty slice.
fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Whether the lag-`m` autocorrelation is significant (90 % two-sided).
fn seasonality_test(y: &[f64], m: usize) -> bool {
    let n = y.len();
    let ybar = mean(y);
    let denom: f64 = y.iter().map(|v| (v - ybar) * (v - ybar)).sum();
    if !(denom > 0.0 && denom.is_finite()) {
        return false;
    }
    let acf = |k: usize| -> f64 {
        let s: f64 = y[..n - k]
            .iter()
            .zip(&y[k..])
            .map(|(a, b)| (a - ybar) * (b - ybar))
            .sum();
        s / denom
    };
    let mut sum_sq = 0.0;
    for k in 1..m {
        let r = acf(k);
        sum_sq += r * r;
    }
    let stat = ((1.0 + 2.0 * sum_sq) / n as f64).sqrt();
    acf(m).abs() / stat > Z_95
}

/// Classical decomposition seasonal indices (length `m`, index `i % m`):
/// centred moving-average trend, per-position means of the detrended values,
/// normalised to mean 1 (multiplicative) or 0 (additive). `None` when a
/// position has no detrended value or a multiplicative trend value is not
/// positive.
fn seasonal_indices(y: &[f64], m: usize, multiplicative: bool) -> Option<Vec<f64>> {
    let n = y.len();
    let half = m / 2;
    let even = m.is_multiple_of(2);
    let inv_m = 1.0 / m as f64;
    let mut sums = vec![0.0; m];
    let mut counts = vec![0usize; m];
    // running sum of y[i - half ..= i + half] (window m + 1 when m is even)
    let mut window: f64 = y[..=2 * half].iter().sum();
    for i in half..n - half {
        if i > half {
            window += y[i + half] - y[i - half - 1];
        }
        let trend = if even {
            (window - 0.5 * (y[i - half] + y[i + half])) * inv_m
        } else {
            window * inv_m
        };
        let d = if multiplicative {
            if trend <= 0.0 {
                return None;
            }
            y[i] / trend
        } else {
            y[i] - trend
        };
        sums[i % m] += d;
        counts[i % m] += 1;
    }
    if counts.contains(&0) {
        return None;
    }
    for (s, &c) in sums.iter_mut().zip(&counts) {
        *s /= c as f64;
    }
    let avg = mean(&sums);
    for s in sums.iter_mut() {
        if multiplicative {
            *s /= avg;
        } else {
            *s -= avg;
        }
    }
    Some(sums)
}

/// Deseasonalises `y` in place when seasonal; returns the indices and mode.
fn deseasonalise(y: &mut [f64], m: usize) -> (Vec<f64>, Seasonality) {
    let positive = y.iter().all(|&v| v > 0.0);
    let mut mode = Seasonality::Additive;
    let mut idx = None;
    if positive {
        idx = seasonal_indices(y, m, true).filter(|s| s.iter().all(|&v| v >= 0.01));
        if idx.is_some() {
            mode = Seasonality::Multiplicative;
        }
    }
    if idx.is_none() {
        idx = seasonal_indices(y, m, false);
    }
    let Some(idx) = idx else {
        return (Vec::new(), Seasonality::None);
    };
    for (i, v) in y.iter_mut().enumerate() {
        match mode {
            Seasonality::Multiplicative => *v /= idx[i % m],
            _ => *v -= idx[i % m],
        }
    }
    (idx, mode)
}

/// Linear trend (intercept, slope) of `y` on `t = 1..n`, statsforecast's
/// `init_state` formulas.
fn linear_trend(y: &[f64]) -> (f64, f64) {
    let n = y.len() as f64;
    let ybar = mean(y);
    let weighted: f64 = y
        .iter()
        .enumerate()
        .map(|(i, v)| v * (i + 1) as f64)
        .sum::<f64>()
        / n;
    let b = (6.0 * (2.0 * weighted - (n + 1.0) * ybar)) / (n * n - 1.0);
    let a = ybar - (n + 1.0) * b / 2.0;
    (a, b)
}

/// Profiled objective for `K` smoothing constants in one pass (independent
/// chains the CPU overlaps): for each, the initial level minimising the SSE
/// of the one-step errors `i >= 3` (clamped to statsforecast's bounds), and
/// that SSE.
fn profile_multi<const K: usize>(y: &[f64], a: f64, b: f64, alphas: [f64; K]) -> [(f64, f64); K] {
    let base = y[0];
    let q = alphas.map(|al| 1.0 - al);
    let half_a = 0.5 * a;
    let half_b = alphas.map(|al| 0.5 * b / al);
    // level with l_init = base; the error at i is c_i - q^i * delta
    let mut level = [0.0; K];
    for k in 0..K {
        level[k] = alphas[k] * base + q[k] * base;
    }
    let mut qi = q; // q^i
    let (mut scc, mut scg, mut sgg) = ([0.0; K], [0.0; K], [0.0; K]);
    for (i, &v) in y.iter().enumerate().skip(1) {
        for k in 0..K {
            let q_next = qi[k] * q[k];
            if i >= 3 {
                let mu = level[k] + half_a * qi[k] + half_b[k] * (1.0 - q_next);
                let c = v - mu;
                scc[k] += c * c;
                scg[k] += c * qi[k];
                sgg[k] += qi[k] * qi[k];
            }
            level[k] = alphas[k] * v + q[k] * level[k];
            qi[k] = q_next;
        }
    }
    let mut out = [(0.0, 0.0); K];
    for k in 0..K {
        let delta = if sgg[k] > 0.0 { scg[k] / sgg[k] } else { 0.0 };
        let init = (base + delta).clamp(-LEVEL_BOUND, LEVEL_BOUND);
        let delta = init - base;
        let sse = (scc[k] - 2.0 * delta * scg[k] + delta * delta * sgg[k]).max(0.0);
        out[k] = (init, sse);
    }
    out
}

/// Fits the standard theta model to a (deseasonalised) series of length >= 4.
/// Returns (level after the last value, intercept, slope, alpha).
fn fit_stm(y: &[f64]) -> (f64, f64, f64, f64) {
    let (a, b) = linear_trend(y);
    // coarse grid, then repeated 4-point refinement between the best point's
    // neighbours (each pass shrinks the bracket to 2/5)
    let grid = profile_multi(y, a, b, ALPHA_GRID);
    let mut best = 0;
    for k in 1..grid.len() {
        if grid[k].1 < grid[best].1 {
            best = k;
        }
    }
    let mut best_alpha = ALPHA_GRID[best];
    let mut best_sse = grid[best].1;
    let lo_k = best.saturating_sub(1);
    let hi_k = (best + 1).min(grid.len() - 1);
    let (mut lo, mut f_lo) = (ALPHA_GRID[lo_k], grid[lo_k].1);
    let (mut hi, mut f_hi) = (ALPHA_GRID[hi_k], grid[hi_k].1);
    while hi - lo > ALPHA_TOL {
        let w = hi - lo;
        let pts = [lo + 0.2 * w, lo + 0.4 * w, lo + 0.6 * w, lo + 0.8 * w];
        let vals = profile_multi(y, a, b, pts);
        let xs = [lo, pts[0], pts[1], pts[2], pts[3], hi];
        let fs = [f_lo, vals[0].1, vals[1].1, vals[2].1, vals[3].1, f_hi];
        let mut j = 0;
        for k in 1..fs.len() {
            if fs[k] < fs[j] {
                j = k;
            }
        }
        if fs[j] < best_sse {
            best_sse = fs[j];
            best_alpha = xs[j];
        }
        let (l, h) = (j.saturating_sub(1), (j + 1).min(xs.len() - 1));
        (lo, f_lo, hi, f_hi) = (xs[l], fs[l], xs[h], fs[h]);
    }
    let alpha = best_alpha;
    let [(init, _)] = profile_multi(y, a, b, [alpha]);
    let q = 1.0 - alpha;
    let mut level = alpha * y[0] + q * init;
    for &v in &y[1..] {
        level = alpha * v + q * level;
    }
    (level, a, b, alpha)
}

/// The optimised Theta model (statsforecast `AutoTheta(model="OTM")`,
/// Fiorucci et al. 2016): the standard model with θ ≥ 1 fitted too, so the
/// drift's weight 1 − 1/θ is the one that minimises the one-step errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptimizedTheta {
    /// Number of buckets in one season (1 or 0 = no seasonality).
    pub season_length: usize,
}

impl OptimizedTheta {
    /// Optimised Theta with the given season length.
    pub fn new(season_length: usize) -> Self {
        Self { season_length }
    }
}

/// The least drift weight (θ = 1: no drift) and the largest (θ = 100).
const DRIFT_BOUNDS: (f64, f64) = (0.0, 0.99);

/// The line a theta model's drift follows: the least-squares line of the
/// whole history (the standard and optimised models), or of the values so
/// far, re-fitted at every step (the dynamic models of Fiorucci et al.
/// 2016, statsforecast's DSTM and DOTM). Time counts from 1.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Trend {
    /// Intercept.
    a: f64,
    /// Slope.
    b: f64,
    /// Mean of the values so far (dynamic only).
    mean: f64,
    /// Re-fitted at every step.
    dynamic: bool,
}

impl Trend {
    /// The fixed line of `y` (length >= 2).
    fn fixed(y: &[f64]) -> Trend {
        let (a, b) = linear_trend(y);
        Trend {
            a,
            b,
            mean: 0.0,
            dynamic: false,
        }
    }

    /// The dynamic line after the first value `y0` (statsforecast's initial
    /// state: intercept `y0`, slope 0).
    fn dynamic(y0: f64) -> Trend {
        Trend {
            a: y0,
            b: 0.0,
            mean: y0,
            dynamic: true,
        }
    }

    /// Takes the value `v` at step `i >= 1` (0-based): a dynamic line is
    /// re-fitted on the values through `i` by the recursive least-squares
    /// update; a fixed one stays.
    fn update(&mut self, i: usize, v: f64) {
        if !self.dynamic {
            return;
        }
        let fi = i as f64;
        let mean = (fi * self.mean + v) / (fi + 1.0);
        self.b = ((fi - 1.0) * self.b + 6.0 * (v - self.mean) / (fi + 1.0)) / (fi + 2.0);
        self.mean = mean;
        self.a = mean - self.b * (fi + 2.0) / 2.0;
    }

    /// The drift term of the one-step forecast at step `i` before its
    /// weight: `A q^i + B (1 - q^(i+1)) / alpha`, with `qi = q^i`.
    fn drift_term(&self, qi: f64, q: f64, alpha: f64) -> f64 {
        self.a * qi + self.b * (1.0 - qi * q) / alpha
    }
}

/// The four theta models of Fiorucci et al. (2016), as statsforecast's
/// `AutoTheta` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// Standard: fixed line, θ = 2.
    Stm,
    /// Optimised: fixed line, θ ≥ 1 fitted.
    Otm,
    /// Dynamic standard: the line re-fitted at every step, θ = 2.
    Dstm,
    /// Dynamic optimised: the line re-fitted at every step, θ ≥ 1 fitted.
    Dotm,
}

impl Variant {
    /// The line it starts from on `y`.
    fn trend(self, y: &[f64]) -> Trend {
        match self {
            Variant::Stm | Variant::Otm => Trend::fixed(y),
            Variant::Dstm | Variant::Dotm => Trend::dynamic(y[0]),
        }
    }

    /// Its fixed drift weight (`None`: fitted).
    fn drift(self) -> Option<f64> {
        match self {
            Variant::Stm | Variant::Dstm => Some(0.5),
            Variant::Otm | Variant::Dotm => None,
        }
    }
}

/// For one smoothing constant: the initial level and drift weight (`drift`,
/// or fitted when `None`) that minimise the SSE of the one-step errors
/// `i >= 3` (both enter the errors linearly: a least-squares problem in one
/// or two unknowns), and that SSE.
fn profile(y: &[f64], trend: Trend, alpha: f64, drift: Option<f64>) -> (f64, f64, f64) {
    let base = y[0];
    let q = 1.0 - alpha;
    let mut level = base;
    let mut qi = q;
    let mut trend = trend;
    // Sums over i >= 3 of r = y - level(base), d = trend term, g = q^i.
    let (mut rr, mut rd, mut rg, mut dd, mut dg, mut gg) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for (i, &v) in y.iter().enumerate().skip(1) {
        if i >= 3 {
            let d = trend.drift_term(qi, q, alpha);
            let r = v - level;
            (rr, rd, rg) = (rr + r * r, rd + r * d, rg + r * qi);
            (dd, dg, gg) = (dd + d * d, dg + d * qi, gg + qi * qi);
        }
        level = alpha * v + q * level;
        trend.update(i, v);
        qi *= q;
    }
    let det = dd * gg - dg * dg;
    let c = drift
        .unwrap_or_else(|| {
            if det.abs() > 1e-12 * (dd * gg).max(1e-300) {
                (rd * gg - rg * dg) / det
            } else {
                0.5
            }
        })
        .clamp(DRIFT_BOUNDS.0, DRIFT_BOUNDS.1);
    let delta = if gg > 0.0 { (rg - c * dg) / gg } else { 0.0 };
    let init = (base + delta).clamp(-LEVEL_BOUND, LEVEL_BOUND);
    let delta = init - base;
    let sse = rr + c * c * dd + delta * delta * gg - 2.0 * c * rd - 2.0 * delta * rg
        + 2.0 * c * delta * dg;
    (init, c, sse.max(0.0))
}

/// The smoothing constant in `[0.1, 0.99]` minimising `sse`: the coarse
/// grid, then repeated refinement between the best point's neighbours.
fn minimise_alpha(sse: impl Fn(f64) -> f64) -> f64 {
    let grid: Vec<f64> = ALPHA_GRID.iter().map(|&a| sse(a)).collect();
    let best = (0..grid.len())
        .min_by(|&i, &j| grid[i].total_cmp(&grid[j]))
        .unwrap_or(0);
    let (mut best_alpha, mut best_sse) = (ALPHA_GRID[best], grid[best]);
    let (lo_k, hi_k) = (best.saturating_sub(1), (best + 1).min(grid.len() - 1));
    let (mut lo, mut f_lo, mut hi, mut f_hi) =
        (ALPHA_GRID[lo_k], grid[lo_k], ALPHA_GRID[hi_k], grid[hi_k]);
    while hi - lo > ALPHA_TOL {
        let w = hi - lo;
        let xs = [
            lo,
            lo + 0.2 * w,
            lo + 0.4 * w,
            lo + 0.6 * w,
            lo + 0.8 * w,
            hi,
        ];
        let fs = [f_lo, sse(xs[1]), sse(xs[2]), sse(xs[3]), sse(xs[4]), f_hi];
        let j = (0..fs.len())
            .min_by(|&i, &k| fs[i].total_cmp(&fs[k]))
            .unwrap_or(0);
        if fs[j] < best_sse {
            (best_sse, best_alpha) = (fs[j], xs[j]);
        }
        let (l, h) = (j.saturating_sub(1), (j + 1).min(xs.len() - 1));
        (lo, f_lo, hi, f_hi) = (xs[l], fs[l], xs[h], fs[h]);
    }
    best_alpha
}

/// A theta model fitted to a (deseasonalised) series: its state after the
/// last value, its parameters and its in-sample SSE.
struct ThetaState {
    level: f64,
    trend: Trend,
    alpha: f64,
    drift: f64,
    sse: f64,
}

/// Fits `variant` to a (deseasonalised) series of length >= 4.
fn fit_variant(y: &[f64], variant: Variant) -> ThetaState {
    let start = variant.trend(y);
    let drift = variant.drift();
    let alpha = minimise_alpha(|al| profile(y, start, al, drift).2);
    let (init, drift, sse) = profile(y, start, alpha, drift);
    let q = 1.0 - alpha;
    let mut level = alpha * y[0] + q * init;
    let mut trend = start;
    for (i, &v) in y.iter().enumerate().skip(1) {
        level = alpha * v + q * level;
        trend.update(i, v);
    }
    ThetaState {
        level,
        trend,
        alpha,
        drift,
        sse,
    }
}

/// `Model` for a theta model type: its identity and the fit it takes.
macro_rules! theta_model {
    ($model:ty, $id:expr, $fit:expr) => {
        impl Model for $model {
            fn id(&self) -> ModelId {
                $id
            }

            fn fit(&self, history: &[f64]) -> Option<Box<dyn Fitted>> {
                fit_theta(history, self.season_length, $fit)
            }
        }
    };
}

theta_model!(Theta, ModelId::Theta, Fit::Standard);
theta_model!(OptimizedTheta, ModelId::OptimizedTheta, Fit::Optimised);
theta_model!(AutoTheta, ModelId::AutoTheta, Fit::Auto);

/// statsforecast's `AutoTheta`: the standard, optimised, dynamic standard
/// and dynamic optimised theta models (Fiorucci et al. 2016) fitted to the
/// (deseasonalised) series, the one with the least in-sample SSE of the
/// one-step errors kept. The seasonal test and decomposition are the other
/// theta models'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoTheta {
    /// Number of buckets in one season (1 or 0 = no seasonality).
    pub season_length: usize,
}

impl AutoTheta {
    /// AutoTheta with the given season length.
    pub fn new(season_length: usize) -> Self {
        Self { season_length }
    }
}

/// Which theta model a fit takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fit {
    /// The standard model (θ = 2, fixed line).
    Standard,
    /// The optimised model (θ fitted, fixed line).
    Optimised,
    /// The best in-sample of the four.
    Auto,
}

/// The state of the `fit` model on a deseasonalised series of length >= 4.
fn fit_kind(y: &[f64], fit: Fit) -> ThetaState {
    match fit {
        Fit::Standard => {
            let (level, a, b, alpha) = fit_stm(y);
            ThetaState {
                level,
                trend: Trend {
                    a,
                    b,
                    mean: 0.0,
                    dynamic: false,
                },
                alpha,
                drift: 0.5,
                sse: f64::NAN,
            }
        }
        Fit::Optimised => fit_variant(y, Variant::Otm),
        Fit::Auto => [Variant::Stm, Variant::Otm, Variant::Dstm, Variant::Dotm]
            .into_iter()
            .map(|v| fit_variant(y, v))
            .reduce(|best, f| if f.sse < best.sse { f } else { best })
            .expect("four variants"),
    }
}

/// Fit the `fit` theta model to a history with season length `m`.
fn fit_theta(history: &[f64], m: usize, fit: Fit) -> Option<Box<dyn Fitted>> {
    let n = history.len();
    if n == 0 {
        return None;
    }
    let max = history
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |m, v| m.max(v.abs()));
    let scale = if max > HUGE { max } else { 1.0 };
    if n <= 3 {
        let inv = 1.0 / scale;
        let mu = history.iter().map(|v| v * inv).sum::<f64>() / n as f64;
        return Some(Box::new(ConstantFit(clean(mu * scale))));
    }
    let seasonal = m > 1 && n >= 2 * m;
    let mut owned: Vec<f64>;
    let mut y: &[f64] = history;
    if scale != 1.0 {
        let inv = 1.0 / scale;
        owned = history.iter().map(|v| v * inv).collect();
        y = &owned;
    }
    let (mut season, mut seasonality) = (Vec::new(), Seasonality::None);
    if seasonal && seasonality_test(y, m) {
        owned = y.to_vec();
        let (idx, mode) = deseasonalise(&mut owned, m);
        if mode != Seasonality::None {
            season = (0..m).map(|k| idx[(n + k) % m]).collect();
            seasonality = mode;
        }
        y = &owned;
    }
    let state = fit_kind(y, fit);
    Some(Box::new(ThetaFit {
        level: state.level,
        trend: state.trend,
        alpha: state.alpha,
        drift: state.drift,
        n,
        season,
        seasonality,
        scale,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fc(model: &dyn Model, y: &[f64], h: usize) -> Vec<f64> {
        model.fit(y).expect("fits").predict(h)
    }

    #[test]
    fn name_and_empty() {
        assert_eq!(Theta::default().name(), "theta");
        assert!(Theta::default().fit(&[]).is_none());
    }

    #[test]
    fn straight_line_grows_by_half_slope() {
        // y = 10 + 2 t: trend slope 2, theta drift 1 per step; alpha -> 0.99
        // so the level tracks the last value.
        let y: Vec<f64> = (0..40).map(|t| 10.0 + 2.0 * t as f64).collect();
        let f = fc(&Theta::default(), &y, 5);
        for w in f.windows(2) {
            assert!((w[1] - w[0] - 1.0).abs() < 0.02, "{f:?}");
        }
        assert!(f[0] > y[39] && f[0] < y[39] + 2.0, "{f:?}");
    }

    /// AirPassengers, 1949-01 .. 1954-12.
    const AIR: [f64; 72] = [
        112.0, 118.0, 132.0, 129.0, 121.0, 135.0, 148.0, 148.0, 136.0, 119.0, 104.0, 118.0, 115.0,
        126.0, 141.0, 135.0, 125.0, 149.0, 170.0, 170.0, 158.0, 133.0, 114.0, 140.0, 145.0, 150.0,
        178.0, 163.0, 172.0, 178.0, 199.0, 199.0, 184.0, 162.0, 146.0, 166.0, 171.0, 180.0, 193.0,
        181.0, 183.0, 218.0, 230.0, 242.0, 209.0, 191.0, 172.0, 194.0, 196.0, 196.0, 236.0, 235.0,
        229.0, 243.0, 264.0, 272.0, 237.0, 211.0, 180.0, 201.0, 204.0, 188.0, 235.0, 227.0, 234.0,
        264.0, 302.0, 293.0, 259.0, 229.0, 203.0, 229.0,
    ];

    #[test]
    fn matches_statsforecast_theta() {
        // statsforecast 2.1.1 `Theta(season_length=12).forecast(y, h=3)["mean"]`
        // (48 months: not seasonal by the test; 72 months: multiplicative)
        let cases: [(&[f64], [f64; 3]); 2] = [
            (&AIR[..48], [194.766_635_23, 195.741_504_97, 196.716_374_7]),
            (&AIR, [230.192_178_01, 232.667_564_52, 268.345_854_18]),
        ];
        for (y, want) in cases {
            let got = fc(&Theta::new(12), y, 3);
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() < 1e-4 * w, "{got:?} vs {want:?}");
            }
        }
    }

    #[test]
    fn constant_series() {
        let f = fc(&Theta::new(4), &[7.0; 30], 6);
        for v in f {
            assert!((v - 7.0).abs() < 1e-9, "{v}");
        }
    }

    #[test]
    fn short_histories_use_mean() {
        assert_eq!(fc(&Theta::default(), &[4.0], 2), vec![4.0; 2]);
        assert_eq!(fc(&Theta::default(), &[1.0, 2.0, 6.0], 2), vec![3.0; 2]);
    }

    #[test]
    fn seasonal_series_is_reseasonalised() {
        // multiplicative pattern of period 4 on a flat level
        let pattern = [0.5, 1.0, 1.5, 1.0];
        let y: Vec<f64> = (0..32).map(|t| 100.0 * pattern[t % 4]).collect();
        assert!(seasonality_test(&y, 4));
        let f = fc(&Theta::new(4), &y, 8);
        for (j, v) in f.iter().enumerate() {
            let want = 100.0 * pattern[(32 + j) % 4];
            assert!((v - want).abs() < 1e-6 * want, "{f:?}");
        }
        // the same data without a season length is smoothed, not seasonal
        let flat = fc(&Theta::new(1), &y, 4);
        assert!(flat.iter().all(|&v| v > 40.0 && v < 160.0));
        assert!(!seasonality_test(
            &[1.0, 2.0, 1.5, 1.2, 0.9, 1.1, 1.3, 1.0],
            4
        ));
    }

    #[test]
    fn seasonal_indices_by_hand() {
        // period 2, y = 1, 3, 1, 3, 1, 3: trend 2 in the middle, detrended
        // additive -1 / +1
        let y = [1.0, 3.0, 1.0, 3.0, 1.0, 3.0];
        let s = seasonal_indices(&y, 2, false).unwrap();
        assert!(
            (s[0] + 1.0).abs() < 1e-12 && (s[1] - 1.0).abs() < 1e-12,
            "{s:?}"
        );
        let s = seasonal_indices(&y, 2, true).unwrap();
        assert!(
            (s[0] - 0.5).abs() < 1e-12 && (s[1] - 1.5).abs() < 1e-12,
            "{s:?}"
        );
    }

    #[test]
    fn edge_inputs_give_finite_non_negative() {
        let mut start = vec![0.0; 30];
        start[0] = 9.0;
        let mut end = vec![0.0; 30];
        end[29] = 9.0;
        let cases: Vec<Vec<f64>> = vec![
            vec![0.0],
            vec![0.0, 0.0],
            vec![2.0, 0.0, 5.0],
            vec![0.0; 40],
            start,
            end,
            vec![1e300, 0.0, 1e300, 5e299, 1e300, 0.0, 1e300, 1e300],
            vec![f64::MAX; 30],
            (0..30).map(|t| 100.0 - 10.0 * t as f64).collect(),
            vec![f64::NAN, 1.0, f64::INFINITY, 0.0, 2.0],
        ];
        for m in [1, 4, 12] {
            for y in &cases {
                let f = fc(&Theta::new(m), y, 18);
                assert_eq!(f.len(), 18);
                for v in &f {
                    assert!(v.is_finite() && *v >= 0.0, "m={m} {y:?} -> {f:?}");
                }
            }
        }
        let f = fc(&Theta::default(), &[f64::MAX; 30], 3);
        assert!(f.iter().all(|&v| v > 1e307), "{f:?}");
    }

    #[test]
    fn deterministic() {
        let y: Vec<f64> = (0..50)
            .map(|t| 20.0 + (t as f64 * 0.7).sin() * 5.0 + t as f64 * 0.1)
            .collect();
        let a = fc(&Theta::new(12), &y, 12);
        let b = fc(&Theta::new(12), &y, 12);
        assert_eq!(a, b);
    }

    #[test]
    fn the_optimised_theta_follows_a_trend_the_standard_one_halves() {
        // A clean line 10 + 2t: the standard theta's drift is half the slope,
        // the optimised one fits the weight that tracks the line.
        let y: Vec<f64> = (0..40).map(|t| 10.0 + 2.0 * t as f64).collect();
        let truth: Vec<f64> = (40..46).map(|t| 10.0 + 2.0 * t as f64).collect();
        let err = |f: &[f64]| {
            f.iter()
                .zip(&truth)
                .map(|(a, b)| (a - b).abs())
                .sum::<f64>()
        };
        let opt = fc(&OptimizedTheta::new(1), &y, 6);
        let std = fc(&Theta::new(1), &y, 6);
        assert!(err(&opt) < err(&std), "{opt:?} against {std:?}");
        assert!(err(&opt) < 6.0 * 0.5, "{opt:?}");
    }

    #[test]
    fn the_optimised_theta_is_finite_and_non_negative_on_awkward_histories() {
        let histories: Vec<Vec<f64>> = vec![
            vec![5.0; 4],
            vec![0.0, 0.0, 0.0, 7.0, 0.0, 0.0],
            (0..30).map(|t| (30 - t) as f64).collect(),
            (0..50).map(|t| 1e120 * (1.0 + (t % 3) as f64)).collect(),
        ];
        for y in histories {
            let f = fc(&OptimizedTheta::new(12), &y, 8);
            assert!(f.iter().all(|v| v.is_finite() && *v >= 0.0), "{y:?}: {f:?}");
        }
        assert_eq!(OptimizedTheta::new(1).name(), "theta_opt");
    }

    /// A level that climbs for 20 steps, then flattens, with a small
    /// repeating wobble.
    fn climb_then_flat() -> Vec<f64> {
        (0..40)
            .map(|t| {
                let line = if t < 20 {
                    10.0 + 3.0 * t as f64
                } else {
                    70.0 + 0.2 * (t - 20) as f64
                };
                line + ((t * 7) % 5) as f64 - 2.0
            })
            .collect()
    }

    /// The forecast of one variant fitted alone (no seasonality) and its
    /// in-sample SSE divided by the mean absolute value (statsforecast's
    /// `mse`).
    fn variant_forecast(y: &[f64], v: Variant, h: usize) -> (Vec<f64>, f64) {
        let st = fit_variant(y, v);
        let mse = st.sse / (y.iter().map(|x| x.abs()).sum::<f64>() / y.len() as f64);
        let fit = ThetaFit {
            level: st.level,
            trend: st.trend,
            alpha: st.alpha,
            drift: st.drift,
            n: y.len(),
            season: Vec::new(),
            seasonality: Seasonality::None,
            scale: 1.0,
        };
        (fit.predict(h), mse)
    }

    #[test]
    fn the_four_variants_match_statsforecast() {
        // statsforecast 2.1.1 `AutoTheta(season_length=1, model=V)`: forecast
        // and `mse` (Nelder–Mead; the exact optimum here fits at least as
        // well, so forecasts agree to the optimiser's tolerance).
        let y = climb_then_flat();
        let cases = [
            (
                Variant::Stm,
                [75.523_260_92, 76.353_279_68, 77.183_298_44],
                5.205_018_8,
            ),
            (
                Variant::Otm,
                [76.360_780_78, 77.915_134_65, 79.469_488_51],
                4.745_384_95,
            ),
            (
                Variant::Dstm,
                [75.488_347_89, 76.287_904_3, 77.065_951_09],
                4.453_389_48,
            ),
            (
                Variant::Dotm,
                [75.684_306_1, 76.629_284_88, 77.549_590_93],
                4.379_464_89,
            ),
        ];
        for (v, want, sf_mse) in cases {
            let (got, mse) = variant_forecast(&y, v, 3);
            assert!(mse <= sf_mse + 1e-6, "{v:?}: mse {mse} against {sf_mse}");
            assert!(mse >= sf_mse * 0.97, "{v:?}: mse {mse} against {sf_mse}");
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() < 5e-3 * w, "{v:?}: {got:?} vs {want:?}");
            }
        }
    }

    #[test]
    fn auto_theta_keeps_the_best_fitting_variant() {
        // On the climb that flattens the dynamic optimised model fits best
        // (statsforecast's AutoTheta picks DOTM too); on a straight line the
        // fixed line fits exactly.
        let y = climb_then_flat();
        let (dotm, _) = variant_forecast(&y, Variant::Dotm, 4);
        assert_eq!(fc(&AutoTheta::new(1), &y, 4), dotm);
        let line: Vec<f64> = (0..40).map(|t| 10.0 + 2.0 * t as f64).collect();
        let f = fc(&AutoTheta::new(1), &line, 3);
        for (k, v) in f.iter().enumerate() {
            let want = 10.0 + 2.0 * (40 + k) as f64;
            assert!((v - want).abs() < 0.05 * 2.0, "{f:?}");
        }
        assert_eq!(AutoTheta::new(12).name(), "auto_theta");
        for y in [vec![3.0; 5], vec![0.0, 0.0, 0.0, 9.0, 0.0], vec![1e200; 30]] {
            let f = fc(&AutoTheta::new(4), &y, 6);
            assert!(f.iter().all(|v| v.is_finite() && *v >= 0.0), "{y:?}: {f:?}");
        }
    }
}
