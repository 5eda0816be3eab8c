//! Exponential smoothing (ETS) models: simple exponential smoothing, Holt's
//! linear (optionally damped) trend, Holt-Winters (additive or multiplicative
//! seasonality) and automatic ETS selection by AICc.
//!
//! The models follow the innovations state-space framework of Hyndman, Koehler,
//! Ord & Snyder, *Forecasting with Exponential Smoothing* (2008), as implemented
//! by R's `forecast::ets` and statsforecast's `AutoETS`:
//!
//! * the recursions (level, damped additive trend, additive or multiplicative
//!   season) are those of `etscalc` in R's `forecast` package;
//! * parameters and initial states are estimated by maximum likelihood (the
//!   concentrated Gaussian likelihood `n·ln(Σe²) + 2·Σ ln|ŷ|` for multiplicative
//!   errors, `n·ln(Σe²)` for additive ones, exactly as R and statsforecast
//!   compute it), starting from R's initial parameters and the heuristic initial
//!   states of Hyndman (2008) §2.6, refined by a bounded Nelder-Mead search;
//! * for non-seasonal additive-error models the errors are affine in the initial
//!   states, so those are concentrated out by least squares and only the
//!   smoothing parameters are searched; multiplicative-error fits start from the
//!   optimum of their additive-error twin, multiplicative-season fits from the
//!   additive-season one;
//! * the usual bounds `0 < α < 1`, `0 < β < α`, `0 < γ < 1 − α`,
//!   `0.8 ≤ φ ≤ 0.98` hold by construction: the optimiser works on unbounded
//!   coordinates mapped logistically onto α, β/α, γ/(1 − α) ∈ [1e-4, 0.9999]
//!   and φ ∈ [0.8, 0.98] (no eigenvalue admissibility test, as with R's
//!   `bounds = "usual"`);
//! * the automatic model is chosen by AICc among the admissible combinations.
//!
//! Series are divided by their largest absolute value before fitting (model
//! selection is invariant to this) so that huge values cannot overflow.
//! Forecasts are always finite and non-negative.

use super::ModelId;
use std::cell::RefCell;
use std::collections::VecDeque;

use super::{Fitted, Model};

/// Lower bound of the smoothing parameters α, β/α, γ/(1 − α).
const PAR_LOWER: f64 = 1e-4;
/// Upper bound of the smoothing parameters α, β/α, γ/(1 − α).
const PAR_UPPER: f64 = 0.9999;
/// Lower bound of the damping parameter φ.
const PHI_LOWER: f64 = 0.8;
/// Upper bound of the damping parameter φ.
const PHI_UPPER: f64 = 0.98;
/// Small number guarding divisions, as in R's `etscalc`.
const TOL: f64 = 1e-10;
/// Stand-in for an infinite ratio, as in R's `etscalc`.
const HUGE_N: f64 = 1e10;
/// Cap on objective evaluations of one non-seasonal fit (they converge well before).
const MAX_EVALS: usize = 2000;
/// Cap on objective evaluations of one seasonal fit (14–17 dimensions for m = 12):
/// more evaluations raise the likelihood but not the accuracy on M3.
const SEASONAL_MAX_EVALS: usize = 300;
/// Cap for a seasonal fit started from the optimum of a related model.
const WARM_SEASONAL_MAX_EVALS: usize = 150;
/// Convergence tolerance on the spread of the simplex's objective values.
const F_TOL: f64 = 1e-4;
/// Largest season length handled seasonally (R's `ets` ignores seasonality above it).
const MAX_SEASON: usize = 24;
/// Bound of the unconstrained (logit) coordinates of the smoothing parameters.
const FREE_MAX: f64 = 25.0;

/// Error component of an ETS model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorType {
    /// Additive errors: `y = ŷ + ε`.
    Additive,
    /// Multiplicative (relative) errors: `y = ŷ·(1 + ε)`.
    Multiplicative,
}

/// Trend component of an ETS model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TrendType {
    /// No trend.
    None,
    /// Additive (linear) trend.
    Additive,
    /// Additive trend damped by φ.
    Damped,
}

/// Seasonal component of an ETS model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SeasonType {
    /// No seasonality.
    None,
    /// Additive seasonality.
    Additive,
    /// Multiplicative seasonality.
    Multiplicative,
}

/// The three components of an ETS model, e.g. ETS(M,Ad,N).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EtsSpec {
    /// Error component.
    pub error: ErrorType,
    /// Trend component.
    pub trend: TrendType,
    /// Seasonal component.
    pub season: SeasonType,
}

impl EtsSpec {
    /// Builds a specification from its three components.
    pub fn new(error: ErrorType, trend: TrendType, season: SeasonType) -> Self {
        Self {
            error,
            trend,
            season,
        }
    }

    /// The usual label, e.g. `"ETS(M,Ad,N)"`.
    pub fn label(&self) -> String {
        let e = match self.error {
            ErrorType::Additive => "A",
            ErrorType::Multiplicative => "M",
        };
        let t = match self.trend {
            TrendType::None => "N",
            TrendType::Additive => "A",
            TrendType::Damped => "Ad",
        };
        let s = match self.season {
            SeasonType::None => "N",
            SeasonType::Additive => "A",
            SeasonType::Multiplicative => "M",
        };
        format!("ETS({e},{t},{s})")
    }

    fn has_trend(&self) -> bool {
        self.trend != TrendType::None
    }

    fn damped(&self) -> bool {
        self.trend == TrendType::Damped
    }

    fn seasonal(&self) -> bool {
        self.season != SeasonType::None
    }

    fn multiplicative(&self) -> bool {
        self.error == ErrorType::Multiplicative || self.season == SeasonType::Multiplicative
    }
}

/// An ETS model fitted to one history: parameters, final states and fit statistics.
#[derive(Clone, Debug)]
pub struct EtsFit {
    /// The model's label, e.g. `"ETS(M,Ad,N)"`.
    pub spec: String,
    /// The model's components.
    pub components: EtsSpec,
    /// Season length used (1 for non-seasonal models).
    pub season_length: usize,
    /// Corrected Akaike information criterion (infinite when the history is too short).
    pub aicc: f64,
    /// Maximised log-likelihood (up to the constant R and statsforecast also omit).
    pub loglik: f64,
    /// Number of estimated parameters, including initial states and the error variance.
    pub n_params: usize,
    /// Level smoothing parameter α.
    pub alpha: f64,
    /// Trend smoothing parameter β (0 without trend).
    pub beta: f64,
    /// Seasonal smoothing parameter γ (0 without season).
    pub gamma: f64,
    /// Damping parameter φ (1 without damping).
    pub phi: f64,
    /// Level at the end of the history.
    pub level: f64,
    /// Trend (slope per period) at the end of the history (0 without trend).
    pub slope: f64,
    /// Seasonal states for the next `season_length` periods, in forecast order
    /// (empty without season).
    pub season: Vec<f64>,
    /// Estimated initial states in R's order: `l0`, `b0` (with trend), then the
    /// `m` seasonal states from the most recent (lag `m`) to the oldest (lag 1)
    /// (with season); in the original units except multiplicative seasons.
    pub initial: Vec<f64>,
    /// Value used in place of a non-finite forecast (last observation, clipped at 0).
    fallback: f64,
}

impl EtsFit {
    /// A flat forecast at `level` (used for constant and one-point histories).
    fn constant(level: f64) -> Self {
        let level = if level.is_finite() {
            level.max(0.0)
        } else {
            0.0
        };
        Self {
            spec: EtsSpec::new(ErrorType::Additive, TrendType::None, SeasonType::None).label(),
            components: EtsSpec::new(ErrorType::Additive, TrendType::None, SeasonType::None),
            season_length: 1,
            aicc: f64::INFINITY,
            loglik: f64::NAN,
            n_params: 2,
            alpha: PAR_UPPER,
            beta: 0.0,
            gamma: 0.0,
            phi: 1.0,
            level,
            slope: 0.0,
            season: Vec::new(),
            initial: vec![level],
            fallback: level,
        }
    }
}

impl Fitted for EtsFit {
    fn predict(&self, h: usize) -> Vec<f64> {
        let mut out = Vec::with_capacity(h);
        let mut damp = 0.0; // Σ_{j=1..i} φ^j
        let mut phi_pow = 1.0;
        for i in 0..h {
            let mut f = self.level;
            if self.components.has_trend() {
                phi_pow *= self.phi;
                damp += phi_pow;
                f += damp * self.slope;
            }
            if !self.season.is_empty() {
                let s = self.season[i % self.season.len()];
                match self.components.season {
                    SeasonType::Additive => f += s,
                    SeasonType::Multiplicative => f *= s,
                    SeasonType::None => {}
                }
            }
            let f = if f.is_finite() { f } else { self.fallback };
            out.push(f.max(0.0));
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Public models
// ---------------------------------------------------------------------------

/// Simple exponential smoothing, ETS(A,N,N), with α and the initial level by
/// maximum likelihood.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ses;

impl Ses {
    /// Creates the model.
    pub fn new() -> Self {
        Self
    }

    /// Fits the model and returns the concrete fit (`None` for an empty or non-finite history).
    pub fn fit_ets(&self, history: &[f64]) -> Option<EtsFit> {
        let spec = EtsSpec::new(ErrorType::Additive, TrendType::None, SeasonType::None);
        fit_fixed(history, 1, spec, 1)
    }
}

impl Model for Ses {
    fn id(&self) -> ModelId {
        ModelId::Ses
    }

    fn fit(&self, history: &[f64]) -> Option<Box<dyn Fitted>> {
        boxed(self.fit_ets(history))
    }
}

/// Holt's linear trend method, ETS(A,A,N), or ETS(A,Ad,N) when `damped`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Holt {
    /// Damp the trend with φ ∈ [0.8, 0.98].
    pub damped: bool,
}

impl Holt {
    /// Creates the model.
    pub fn new(damped: bool) -> Self {
        Self { damped }
    }

    /// Fits the model and returns the concrete fit (`None` with fewer than 3 points).
    pub fn fit_ets(&self, history: &[f64]) -> Option<EtsFit> {
        let trend = if self.damped {
            TrendType::Damped
        } else {
            TrendType::Additive
        };
        let spec = EtsSpec::new(ErrorType::Additive, trend, SeasonType::None);
        fit_fixed(history, 1, spec, 3)
    }
}

impl Model for Holt {
    fn id(&self) -> ModelId {
        if self.damped {
            ModelId::HoltDamped
        } else {
            ModelId::Holt
        }
    }

    fn fit(&self, history: &[f64]) -> Option<Box<dyn Fitted>> {
        boxed(self.fit_ets(history))
    }
}

/// Holt-Winters: additive trend (damped if `damped`) with additive seasonality,
/// ETS(A,A,A), or multiplicative seasonality, ETS(M,A,M).
///
/// The multiplicative variant falls back to additive seasonality when the
/// history has zero or negative values. `fit` returns `None` when
/// `season_length < 2`, `season_length > 24`, or the history is shorter than
/// two seasons plus three points.
#[derive(Clone, Copy, Debug)]
pub struct HoltWinters {
    /// Number of periods in a season (12 for monthly data).
    pub season_length: usize,
    /// Multiplicative instead of additive seasonality.
    pub multiplicative: bool,
    /// Damp the trend with φ ∈ [0.8, 0.98].
    pub damped: bool,
}

impl HoltWinters {
    /// Additive seasonality, undamped trend: ETS(A,A,A).
    pub fn additive(season_length: usize) -> Self {
        Self {
            season_length,
            multiplicative: false,
            damped: false,
        }
    }

    /// Multiplicative seasonality, undamped trend: ETS(M,A,M).
    pub fn multiplicative(season_length: usize) -> Self {
        Self {
            season_length,
            multiplicative: true,
            damped: false,
        }
    }

    /// The same model with the trend damped (or not).
    pub fn with_damped(self, damped: bool) -> Self {
        Self { damped, ..self }
    }

    /// Fits the model and returns the concrete fit.
    pub fn fit_ets(&self, history: &[f64]) -> Option<EtsFit> {
        let m = self.season_length;
        if !season_modelled(m) || history.len() < min_seasonal_len(m) {
            return None;
        }
        let trend = if self.damped {
            TrendType::Damped
        } else {
            TrendType::Additive
        };
        let positive = history.iter().all(|&v| v > 0.0);
        let spec = if self.multiplicative && positive {
            EtsSpec::new(ErrorType::Multiplicative, trend, SeasonType::Multiplicative)
        } else {
            EtsSpec::new(ErrorType::Additive, trend, SeasonType::Additive)
        };
        fit_fixed(history, m, spec, min_seasonal_len(m))
    }
}

impl Model for HoltWinters {
    fn id(&self) -> ModelId {
        match (self.multiplicative, self.damped) {
            (false, false) => ModelId::HoltWintersAdditive,
            (false, true) => ModelId::HoltWintersAdditiveDamped,
            (true, false) => ModelId::HoltWintersMultiplicative,
            (true, true) => ModelId::HoltWintersMultiplicativeDamped,
        }
    }

    fn fit(&self, history: &[f64]) -> Option<Box<dyn Fitted>> {
        boxed(self.fit_ets(history))
    }
}

/// Automatic ETS: fits every admissible combination of error {A, M}, trend
/// {N, A, Ad} and season {N, A, M} by maximum likelihood and keeps the one with
/// the smallest AICc, as R's `forecast::ets` and statsforecast's `AutoETS` do.
///
/// Seasonal models are tried only when `2 ≤ season_length ≤ 24` and the history
/// has at least two seasons plus three points; multiplicative error or season
/// only when every value is strictly positive; additive error is never combined
/// with multiplicative season.
///
/// Leading zeros (before an item's launch or first stocking) carry no
/// information about trend or seasonality, so the data-sufficiency rules (two
/// seasons plus three points for seasonal models, and R's `n > npar + 4` rule
/// for every model) count only the observations from the first non-zero one
/// on. The models are still fitted to the whole history. Without this a run of
/// exact zeros followed by a couple of launch values let a trend model fit the
/// zeros perfectly and extrapolate the launch jump (α = β ≈ 1).
#[derive(Clone, Copy, Debug)]
pub struct AutoEts {
    /// Number of periods in a season (12 for monthly data, 52 for weekly, 1 for none).
    pub season_length: usize,
    /// Also try multiplicative errors without a season (R's `ets` does).
    /// Such a model forecasts by the same recursions as its additive-error
    /// twin, fitted on relative errors; its fit is the costliest of all.
    pub nonseasonal_multiplicative: bool,
}

impl AutoEts {
    /// Creates the model (every model R's `ets` tries).
    pub fn new(season_length: usize) -> Self {
        Self {
            season_length,
            nonseasonal_multiplicative: true,
        }
    }

    /// The same, without multiplicative errors in non-seasonal models when
    /// `on` is false.
    pub fn with_nonseasonal_multiplicative(mut self, on: bool) -> Self {
        self.nonseasonal_multiplicative = on;
        self
    }

    /// The candidate specifications tried on `history`.
    pub fn candidates(&self, history: &[f64]) -> Vec<EtsSpec> {
        // observations from the first non-zero one on (see the type's docs)
        let n = history.len() - launch_index(history);
        let m = self.season_length;
        let positive = !history.is_empty() && history.iter().all(|&v| v > 0.0);
        let seasonal_ok = season_modelled(m) && n >= min_seasonal_len(m);
        let mut out = Vec::new();
        let errors: &[ErrorType] = if positive {
            &[ErrorType::Additive, ErrorType::Multiplicative]
        } else {
            &[ErrorType::Additive]
        };
        for &error in errors {
            for trend in [TrendType::None, TrendType::Additive, TrendType::Damped] {
                for season in [
                    SeasonType::None,
                    SeasonType::Additive,
                    SeasonType::Multiplicative,
                ] {
                    if season != SeasonType::None && !seasonal_ok {
                        continue;
                    }
                    if season == SeasonType::Multiplicative
                        && (!positive || error == ErrorType::Additive)
                    {
                        continue;
                    }
                    if error == ErrorType::Multiplicative
                        && season == SeasonType::None
                        && !self.nonseasonal_multiplicative
                    {
                        continue;
                    }
                    let spec = EtsSpec::new(error, trend, season);
                    // R's rule: no optimisation on tiny data sets.
                    if n <= r_npars(spec) + 4 {
                        continue;
                    }
                    out.push(spec);
                }
            }
        }
        out
    }

    /// Fits all candidates and returns the best by AICc. `None` only for an
    /// empty or non-finite history; tiny histories get a flat forecast.
    pub fn fit_auto(&self, history: &[f64]) -> Option<EtsFit> {
        let n = history.len();
        if n == 0 || history.iter().any(|v| !v.is_finite()) {
            return None;
        }
        if is_constant(history) {
            return Some(EtsFit::constant(history[n - 1]));
        }
        let scale = scale_of(history);
        let ys: Vec<f64> = history.iter().map(|v| v / scale).collect();
        let m = self.season_length.max(1);
        let mut best: Option<EtsFit> = None;
        // optima of the additive-error fits, to start the multiplicative-error ones
        let mut optima: Vec<(EtsSpec, Vec<f64>)> = Vec::new();
        for spec in self.candidates(history) {
            let ms = if spec.seasonal() { m } else { 1 };
            // same trend; same season, or additive for a multiplicative one
            let base_season = if spec.season == SeasonType::Multiplicative {
                SeasonType::Additive
            } else {
                spec.season
            };
            let warm: Option<Vec<f64>> = optima
                .iter()
                .find(|(s, _)| s.trend == spec.trend && s.season == base_season)
                .map(|(s, x)| {
                    if s.season == spec.season {
                        x.clone()
                    } else {
                        additive_to_multiplicative_season(*s, x)
                    }
                });
            let fitted = match warm.as_deref() {
                Some(w) => fit_scaled(&ys, ms, spec, scale, history[n - 1], Some(w)),
                None => fit_shared(&ys, ms, spec, scale, history[n - 1]),
            };
            if let Some((fit, x)) = fitted {
                if spec.error == ErrorType::Additive {
                    optima.push((spec, x));
                }
                let better = match &best {
                    None => fit.aicc.is_finite(),
                    Some(b) => fit.aicc < b.aicc,
                };
                if better {
                    best = Some(fit);
                }
            }
        }
        if best.is_none() {
            // Too short for any model by R's rules: plain SES, or a flat forecast.
            let spec = EtsSpec::new(ErrorType::Additive, TrendType::None, SeasonType::None);
            best = if n >= 3 {
                fit_scaled(&ys, 1, spec, scale, history[n - 1], None).map(|(f, _)| f)
            } else {
                None
            };
            if best.is_none() {
                best = Some(EtsFit::constant(history[n - 1]));
            }
        }
        best
    }
}

impl Model for AutoEts {
    fn id(&self) -> ModelId {
        ModelId::AutoEts
    }

    fn fit(&self, history: &[f64]) -> Option<Box<dyn Fitted>> {
        boxed(self.fit_auto(history))
    }
}

/// Fits one ETS specification to `history` (`season_length` is ignored for
/// non-seasonal specifications). `None` for an empty or non-finite history, a
/// seasonal spec whose season length is outside 2..=24 or whose history is
/// shorter than two seasons plus three points, or a multiplicative spec on
/// data that are not strictly positive.
pub fn fit_ets(history: &[f64], season_length: usize, spec: EtsSpec) -> Option<EtsFit> {
    let m = if spec.seasonal() { season_length } else { 1 };
    if spec.seasonal() && (!season_modelled(m) || history.len() < min_seasonal_len(m)) {
        return None;
    }
    if spec.multiplicative() && !history.iter().all(|&v| v > 0.0) {
        return None;
    }
    fit_fixed(history, m, spec, 1)
}

// ---------------------------------------------------------------------------
// Fitting
// ---------------------------------------------------------------------------

fn boxed(fit: Option<EtsFit>) -> Option<Box<dyn Fitted>> {
    fit.map(|f| Box::new(f) as Box<dyn Fitted>)
}

/// Whether seasonal models are tried for a season of `season_length`
/// buckets (2 to 24; a longer one, such as 52 weeks, is left to the other
/// candidates).
pub fn season_modelled(season_length: usize) -> bool {
    (2..=MAX_SEASON).contains(&season_length)
}

/// Shortest history on which seasonal models are tried.
fn min_seasonal_len(m: usize) -> usize {
    2 * m + 3
}

/// R's rough parameter count used by its "tiny data" rule.
fn r_npars(spec: EtsSpec) -> usize {
    2 + 2 * usize::from(spec.has_trend())
        + 2 * usize::from(spec.seasonal())
        + usize::from(spec.damped())
}

/// Index of the first non-zero value (`y.len()` when all are zero).
fn launch_index(y: &[f64]) -> usize {
    y.iter().position(|&v| v != 0.0).unwrap_or(y.len())
}

fn is_constant(y: &[f64]) -> bool {
    y.iter().all(|&v| v == y[0])
}

/// Largest absolute value (1 when all are zero).
fn scale_of(y: &[f64]) -> f64 {
    let s = y.iter().fold(0.0f64, |a, &v| a.max(v.abs()));
    if s > 0.0 && s.is_finite() { s } else { 1.0 }
}

/// Fits a fixed specification: validates, handles trivial histories, scales.
fn fit_fixed(history: &[f64], m: usize, spec: EtsSpec, min_len: usize) -> Option<EtsFit> {
    let n = history.len();
    if n == 0 || n < min_len || history.iter().any(|v| !v.is_finite()) {
        return None;
    }
    if n == 1 || is_constant(history) {
        return Some(EtsFit::constant(history[n - 1]));
    }
    let scale = scale_of(history);
    let ys: Vec<f64> = history.iter().map(|v| v / scale).collect();
    fit_shared(&ys, m, spec, scale, history[n - 1])
        .map(|(f, _)| f)
        .or_else(|| Some(EtsFit::constant(history[n - 1])))
}

/// Smoothing parameters in their natural form.
#[derive(Clone, Copy, Debug)]
struct Smooth {
    alpha: f64,
    beta: f64,
    gamma: f64,
    phi: f64,
}

/// Result of running the recursions over the history.
#[derive(Clone, Copy, Debug)]
struct Filtered {
    sse: f64,
    log_f: f64,
    level: f64,
    slope: f64,
    /// Phase (index into the seasonal ring) of the next period.
    phase: usize,
}

/// The ETS recursions of R's `etscalc` for one combination of components,
/// monomorphised so the inner loop has no component branches.
///
/// `E`: 0 additive, 1 multiplicative error. `T`: 0 none, 1 additive trend
/// (damped through `phi`). `S`: 0 none, 1 additive, 2 multiplicative season.
/// `seas[j]` holds the seasonal state of phase `j` (period `t` uses
/// `seas[t % m]`) and is updated in place.
#[inline(always)]
fn filter<const E: u8, const T: u8, const S: u8>(
    y: &[f64],
    sm: Smooth,
    l0: f64,
    b0: f64,
    seas: &mut [f64],
) -> Filtered {
    let Smooth {
        alpha,
        beta,
        gamma,
        phi,
    } = sm;
    let mut l = l0;
    let mut b = b0;
    let mut sse = 0.0;
    let mut prod = 1.0;
    let mut log_f = 0.0;
    let (a1, a2, b1) = (1.0 - alpha, (1.0 - alpha) * phi, phi * (1.0 - beta));
    let mut step = |yt: f64, s: &mut f64| {
        let phib = if T == 1 { phi * b } else { 0.0 };
        let q = l + phib;
        let sv = *s;
        let f = match S {
            1 => q + sv,
            2 => q * sv,
            _ => q,
        };
        // one-step error e, seasonally adjusted observation p, detrended t
        let (e, p, t);
        if E == 1 && S == 2 && f.abs() >= TOL && sv.abs() >= TOL && q.abs() >= TOL {
            // two divisions instead of three, none on the level's dependency chain
            let (rq, rs) = (1.0 / q, 1.0 / sv);
            p = yt * rs;
            t = yt * rq;
            e = p * rq - 1.0;
        } else {
            e = if E == 0 {
                yt - f
            } else {
                let f0 = if f.abs() < TOL { f + TOL } else { f };
                (yt - f) / f0
            };
            p = if S == 0 { yt } else { deseason::<S>(yt, sv) };
            t = if S == 0 { 0.0 } else { deseason::<S>(yt, q) };
        }
        sse += e * e;
        if E == 1 {
            // Σ ln|f| accumulated as a product, renormalised when it drifts.
            prod *= f.abs().max(1e-8);
            if !(1e-100..=1e100).contains(&prod) {
                log_f += prod.ln();
                prod = 1.0;
            }
        }
        // l' = q + α(p − q) and R's b' = φb + (β/α)(l' − l − φb) = φb + β(p − q),
        // expanded so that the l/b dependency chains are one multiply-add long.
        if T == 1 {
            let (l_old, b_old) = (l, b);
            l = a1 * l_old + (a2 * b_old + alpha * p);
            b = b1 * b_old + beta * (p - l_old);
        } else {
            l = a1 * l + alpha * p;
        }
        if S != 0 {
            *s = sv + gamma * (t - sv);
        }
    };
    let mut phase = 0;
    if S == 0 {
        let mut dummy = 0.0;
        for &yt in y {
            step(yt, &mut dummy);
        }
    } else {
        // period t uses seas[t % m]: walk the history one season at a time
        for chunk in y.chunks(seas.len()) {
            for (&yt, s) in chunk.iter().zip(seas.iter_mut()) {
                step(yt, s);
            }
            phase = chunk.len() % seas.len();
        }
    }
    if E == 1 {
        log_f += prod.ln();
    }
    Filtered {
        sse,
        log_f,
        level: l,
        slope: b,
        phase,
    }
}

/// Dispatches to the monomorphised recursion for `spec`.
fn run_filter(
    spec: EtsSpec,
    y: &[f64],
    sm: Smooth,
    l0: f64,
    b0: f64,
    seas: &mut [f64],
) -> Filtered {
    let e = spec.error == ErrorType::Multiplicative;
    let t = spec.has_trend();
    match (e, t, spec.season) {
        (false, false, SeasonType::None) => filter::<0, 0, 0>(y, sm, l0, b0, seas),
        (false, false, SeasonType::Additive) => filter::<0, 0, 1>(y, sm, l0, b0, seas),
        (false, false, SeasonType::Multiplicative) => filter::<0, 0, 2>(y, sm, l0, b0, seas),
        (false, true, SeasonType::None) => filter::<0, 1, 0>(y, sm, l0, b0, seas),
        (false, true, SeasonType::Additive) => filter::<0, 1, 1>(y, sm, l0, b0, seas),
        (false, true, SeasonType::Multiplicative) => filter::<0, 1, 2>(y, sm, l0, b0, seas),
        (true, false, SeasonType::None) => filter::<1, 0, 0>(y, sm, l0, b0, seas),
        (true, false, SeasonType::Additive) => filter::<1, 0, 1>(y, sm, l0, b0, seas),
        (true, false, SeasonType::Multiplicative) => filter::<1, 0, 2>(y, sm, l0, b0, seas),
        (true, true, SeasonType::None) => filter::<1, 1, 0>(y, sm, l0, b0, seas),
        (true, true, SeasonType::Additive) => filter::<1, 1, 1>(y, sm, l0, b0, seas),
        (true, true, SeasonType::Multiplicative) => filter::<1, 1, 2>(y, sm, l0, b0, seas),
    }
}

/// The likelihood criterion (−2 log-likelihood up to a constant) of one parameter
/// vector, with the seasonal ring as reusable workspace.
///
/// Vector layout: `[uα, uβ?, uγ?, uφ?, l0, b0?, s_1 .. s_{m-1}?]` where
/// `α = L(uα)`, `β = α·L(uβ)`, `γ = (1 − α)·L(uγ)`, `φ = Lφ(uφ)` with `L`, `Lφ`
/// logistic maps onto the parameter bounds (see [`from_free`]), `s_j` is the
/// initial seasonal state of phase `j` and `s_0` makes them sum to 0
/// (additive) or `m` (multiplicative).
struct Problem<'a> {
    y: &'a [f64],
    spec: EtsSpec,
    seas: Vec<f64>,
}

impl Problem<'_> {
    fn n_smooth(&self) -> usize {
        1 + usize::from(self.spec.has_trend())
            + usize::from(self.spec.seasonal())
            + usize::from(self.spec.damped())
    }

    fn decode(&self, x: &[f64]) -> (Smooth, usize) {
        let g = from_free;
        let alpha = g(x[0], PAR_LOWER, PAR_UPPER);
        let mut i = 1;
        let mut beta = 0.0;
        let mut gamma = 0.0;
        let mut phi = 1.0;
        if self.spec.has_trend() {
            beta = alpha * g(x[i], PAR_LOWER, PAR_UPPER);
            i += 1;
        }
        if self.spec.seasonal() {
            gamma = (1.0 - alpha) * g(x[i], PAR_LOWER, PAR_UPPER);
            i += 1;
        }
        if self.spec.damped() {
            phi = g(x[i], PHI_LOWER, PHI_UPPER);
            i += 1;
        }
        (
            Smooth {
                alpha,
                beta,
                gamma,
                phi,
            },
            i,
        )
    }

    /// Loads the initial seasonal states into the ring; false if inadmissible.
    fn load_seasons(&mut self, x: &[f64], start: usize) -> bool {
        if !self.spec.seasonal() {
            return true;
        }
        let m = self.seas.len();
        let free = &x[start..start + m - 1];
        let target = if self.spec.season == SeasonType::Multiplicative {
            m as f64
        } else {
            0.0
        };
        let s0 = target - free.iter().sum::<f64>();
        if self.spec.season == SeasonType::Multiplicative && s0 < 0.0 {
            return false;
        }
        self.seas[0] = s0;
        self.seas[1..].copy_from_slice(free);
        true
    }

    fn run(&mut self, x: &[f64]) -> Option<Filtered> {
        let (sm, i) = self.decode(x);
        let l0 = x[i];
        let (b0, s_start) = if self.spec.has_trend() {
            (x[i + 1], i + 2)
        } else {
            (0.0, i + 1)
        };
        if !self.load_seasons(x, s_start) {
            return None;
        }
        Some(run_filter(self.spec, self.y, sm, l0, b0, &mut self.seas))
    }

    /// `n·ln(SSE) (+ 2·Σ ln|ŷ|)`, or +∞ when inadmissible or non-finite.
    fn objective(&mut self, x: &[f64]) -> f64 {
        match self.run(x) {
            Some(r) => lik_of(self.y.len(), self.spec, r),
            None => f64::INFINITY,
        }
    }
}

fn lik_of(n: usize, spec: EtsSpec, r: Filtered) -> f64 {
    let mut lik = lik_of_sse(n, r.sse);
    if spec.error == ErrorType::Multiplicative {
        lik += 2.0 * r.log_f;
    }
    if lik.is_nan() { f64::INFINITY } else { lik }
}

/// `n·ln(SSE)`, with SSE floored: below the floor the fit is exact to rounding
/// and comparisons would be noise.
fn lik_of_sse(n: usize, sse: f64) -> f64 {
    let nf = n as f64;
    let lik = nf * sse.max(nf * 1e-24).ln();
    if lik.is_nan() { f64::INFINITY } else { lik }
}

/// Fits kept per thread for [`fit_shared`].
const SHARED_FITS: usize = 16;

/// A fit kept for reuse: specification, scale, last value, scaled history, result.
type SharedFit = (EtsSpec, u64, u64, Vec<f64>, Option<(EtsFit, Vec<f64>)>);

thread_local! {
    /// The fits shared inside [`sharing_fits`] (`None` outside it).
    static SHARED: RefCell<Option<VecDeque<SharedFit>>> = const { RefCell::new(None) };
}

/// Run `f` with ETS fits shared between candidates on this thread:
/// [`AutoEts`], [`Ses`] and [`Holt`] all fit ETS(A,N,N) and ETS(A,Ad,N) to
/// the same histories in one series' backtest, and inside `f` the later ones
/// take the first's result. A fit is a pure function of its inputs, so a
/// shared fit is exactly the one a new fit would give. Outside such a scope
/// every fit is its own (what a model's own cost is measured on).
pub fn sharing_fits<R>(f: impl FnOnce() -> R) -> R {
    super::sharing::keeping(&SHARED, f)
}

/// [`fit_scaled`] without a warm start, shared inside [`sharing_fits`] when
/// the specification is non-seasonal with additive errors.
fn fit_shared(
    ys: &[f64],
    m: usize,
    spec: EtsSpec,
    scale: f64,
    last: f64,
) -> Option<(EtsFit, Vec<f64>)> {
    if spec.seasonal() || spec.error != ErrorType::Additive {
        return fit_scaled(ys, m, spec, scale, last, None);
    }
    let key = (spec, scale.to_bits(), last.to_bits());
    let hit = SHARED.with_borrow(|cache| {
        cache.as_ref().map(|cache| {
            cache
                .iter()
                .find(|e| (e.0, e.1, e.2) == key && e.3 == ys)
                .map(|e| e.4.clone())
        })
    });
    match hit {
        None => fit_scaled(ys, m, spec, scale, last, None),
        Some(Some(fit)) => fit,
        Some(None) => {
            let fit = fit_scaled(ys, m, spec, scale, last, None);
            let kept = (spec, key.1, key.2, ys.to_vec(), fit.clone());
            super::sharing::keep(&SHARED, SHARED_FITS, kept);
            fit
        }
    }
}

/// Starting values (R's `initparam`, heuristic states), steps and box
/// bounds of the optimiser, in free coordinates: smoothing parameters, then
/// the initial states.
struct Start {
    x0: Vec<f64>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    step: Vec<f64>,
}

impl Start {
    fn new(ys: &[f64], m: usize, spec: EtsSpec, init: &[f64]) -> Start {
        let dim = init.len() + 4;
        let mut x0 = Vec::with_capacity(dim);
        let mut lo = Vec::with_capacity(dim);
        let mut hi = Vec::with_capacity(dim);
        let mut step = Vec::with_capacity(dim);
        let mut push = |v: f64, st: f64, l: f64, h: f64| {
            x0.push(v);
            step.push(st);
            lo.push(l);
            hi.push(h);
        };
        let alpha0 = PAR_LOWER + 0.2 * (PAR_UPPER - PAR_LOWER) / m as f64;
        push(
            to_free(alpha0, PAR_LOWER, PAR_UPPER),
            1.0,
            -FREE_MAX,
            FREE_MAX,
        );
        if spec.has_trend() {
            push(to_free(0.1, PAR_LOWER, PAR_UPPER), 1.0, -FREE_MAX, FREE_MAX);
        }
        if spec.seasonal() {
            push(
                to_free(0.05, PAR_LOWER, PAR_UPPER),
                1.0,
                -FREE_MAX,
                FREE_MAX,
            );
        }
        if spec.damped() {
            let phi0 = PHI_LOWER + 0.99 * (PHI_UPPER - PHI_LOWER);
            push(
                to_free(phi0, PHI_LOWER, PHI_UPPER),
                1.0,
                -FREE_MAX,
                FREE_MAX,
            );
        }
        let sd = spread(ys).max(1e-6);
        push(init[0], (0.1 * init[0].abs()).max(0.1 * sd), -10.0, 10.0);
        let mut j = 1;
        if spec.has_trend() {
            push(init[1], (0.1 * init[1].abs()).max(0.01 * sd), -1.0, 1.0);
            j = 2;
        }
        for &v in &init[j..] {
            if spec.season == SeasonType::Multiplicative {
                push(v, (0.1 * v.abs()).max(0.02), 1e-3, m as f64);
            } else {
                push(v, (0.1 * v.abs()).max(0.1 * sd), -2.0, 2.0);
            }
        }
        Start { x0, lo, hi, step }
    }
}

/// Fits `spec` to the scaled series `ys` (max |ys| = 1) and unscales the result.
/// `warm` is an optimum of a model with the same trend and season (another
/// error type) used as starting point. Also returns the optimiser's vector.
fn fit_scaled(
    ys: &[f64],
    m: usize,
    spec: EtsSpec,
    scale: f64,
    last: f64,
    warm: Option<&[f64]>,
) -> Option<(EtsFit, Vec<f64>)> {
    let m = if spec.seasonal() { m } else { 1 };
    let init = initial_states(ys, m, spec)?;
    let mut prob = Problem {
        y: ys,
        spec,
        seas: vec![0.0; m],
    };
    let ns = prob.n_smooth();
    let dim = ns + init.len();

    let Start {
        mut x0,
        lo,
        hi,
        step,
    } = Start::new(ys, m, spec, &init);
    debug_assert_eq!(x0.len(), dim);
    // Start from the warm point only if it beats the heuristic one.
    let mut warm_used = false;
    if let Some(w) = warm.filter(|w| w.len() == dim) {
        let xw: Vec<f64> = w
            .iter()
            .zip(lo.iter().zip(&hi))
            .map(|(v, (l, h))| v.clamp(*l, *h))
            .collect();
        if prob.objective(&xw) <= prob.objective(&x0) {
            x0 = xw;
            warm_used = true;
        }
    }

    let max_evals = match (spec.seasonal(), warm_used) {
        (true, false) => SEASONAL_MAX_EVALS,
        (true, true) => WARM_SEASONAL_MAX_EVALS,
        (false, _) => MAX_EVALS,
    };
    let x = if !spec.seasonal() && spec.error == ErrorType::Additive && !warm_used {
        // Linear model: the initial states are concentrated out by least squares
        // and only the smoothing parameters are searched.
        let mut work = ConcWork::new(ys.len());
        let (xs, f) = nelder_mead(
            &mut |u: &[f64]| {
                let (sm, _) = prob.decode(u);
                let (sse, _, _) = conc_run(spec, ys, sm, &mut work);
                lik_of_sse(ys.len(), sse)
            },
            &x0[..ns],
            &lo[..ns],
            &hi[..ns],
            &step[..ns],
            max_evals,
        );
        if !f.is_finite() {
            return None;
        }
        let (sm, _) = prob.decode(&xs);
        let (_, l0, b0) = conc_run(spec, ys, sm, &mut work);
        let mut x = xs;
        x.push(l0.clamp(lo[ns], hi[ns]));
        if spec.has_trend() {
            x.push(b0.clamp(lo[ns + 1], hi[ns + 1]));
        }
        x
    } else {
        let budget = max_evals;
        let (x, f) = nelder_mead(&mut |x| prob.objective(x), &x0, &lo, &hi, &step, budget);
        if !f.is_finite() {
            return None;
        }
        x
    };
    let fit = finish(&mut prob, &x, scale, last)?;
    Some((fit, x))
}

/// Converts the optimiser vector of a model with additive season into a
/// starting point for the same model with multiplicative season:
/// `s_mult = 1 + s_add / l0`.
fn additive_to_multiplicative_season(spec: EtsSpec, x: &[f64]) -> Vec<f64> {
    let i_l = 1 + usize::from(spec.has_trend()) + 1 + usize::from(spec.damped());
    let i_s = i_l + 1 + usize::from(spec.has_trend());
    let l0 = x[i_l];
    let mut out = x.to_vec();
    if l0 > 0.0 {
        for v in &mut out[i_s..] {
            *v = 1.0 + *v / l0;
        }
    } else {
        out[i_s..].fill(1.0);
    }
    out
}

/// Builds the fitted model from an optimum `x` of `prob`.
fn finish(prob: &mut Problem, x: &[f64], scale: f64, last: f64) -> Option<EtsFit> {
    let spec = prob.spec;
    let n = prob.y.len();
    let m = prob.seas.len();
    let (sm, i_state) = prob.decode(x);
    let mut initial: Vec<f64> = x[i_state..i_state + 1 + usize::from(spec.has_trend())]
        .iter()
        .map(|v| v * scale)
        .collect();
    if spec.seasonal() && prob.load_seasons(x, i_state + initial.len()) {
        let k = if spec.season == SeasonType::Multiplicative {
            1.0
        } else {
            scale
        };
        initial.extend(prob.seas.iter().rev().map(|s| s * k));
    }
    let r = prob.run(x)?;
    let lik = lik_of(n, spec, r);
    if !lik.is_finite() {
        return None;
    }
    // Log-likelihood in the original units: scaling shifts -2logL by 2n·ln(scale).
    let lik_orig = lik + 2.0 * n as f64 * scale.ln();
    let n_params = x.len() + 1;
    let aicc = if n > n_params + 1 {
        lik_orig
            + 2.0 * n_params as f64
            + 2.0 * (n_params * (n_params + 1)) as f64 / (n - n_params - 1) as f64
    } else {
        f64::INFINITY
    };
    let season: Vec<f64> = if spec.seasonal() {
        let mult = spec.season == SeasonType::Multiplicative;
        (0..m)
            .map(|i| {
                let s = prob.seas[(r.phase + i) % m];
                if mult { s } else { s * scale }
            })
            .collect()
    } else {
        Vec::new()
    };
    Some(EtsFit {
        spec: spec.label(),
        components: spec,
        season_length: m,
        aicc,
        loglik: -0.5 * lik_orig,
        n_params,
        alpha: sm.alpha,
        beta: sm.beta,
        gamma: sm.gamma,
        phi: sm.phi,
        level: r.level * scale,
        slope: r.slope * scale,
        season,
        initial,
        fallback: if last.is_finite() { last.max(0.0) } else { 0.0 },
    })
}

/// Workspace of [`conc_run`]: errors with zero initial states and the
/// sensitivities of the one-step forecasts to `l0` and `b0`.
struct ConcWork {
    e: Vec<f64>,
    cl: Vec<f64>,
    cb: Vec<f64>,
}

impl ConcWork {
    fn new(n: usize) -> Self {
        Self {
            e: vec![0.0; n],
            cl: vec![0.0; n],
            cb: vec![0.0; n],
        }
    }
}

/// Additive-error, non-seasonal model: the errors are affine in the initial
/// states, `e = ẽ − c_l·l0 − c_b·b0`, so the SSE-minimising states solve a
/// 2×2 least-squares problem. Returns `(SSE, l0, b0)`.
fn conc_run(spec: EtsSpec, y: &[f64], sm: Smooth, w: &mut ConcWork) -> (f64, f64, f64) {
    if spec.has_trend() {
        conc_filter::<1>(y, sm, w)
    } else {
        conc_filter::<0>(y, sm, w)
    }
}

#[inline(always)]
fn conc_filter<const T: u8>(y: &[f64], sm: Smooth, w: &mut ConcWork) -> (f64, f64, f64) {
    let Smooth {
        alpha, beta, phi, ..
    } = sm;
    let a1 = 1.0 - alpha;
    // main recursion from zero states, and the two homogeneous ones (y = 0)
    let (mut l, mut b) = (0.0, 0.0);
    let (mut ll, mut lb) = (1.0, 0.0);
    let (mut bl, mut bb) = (0.0, 1.0);
    let (mut sll, mut slb, mut sbb, mut sle, mut sbe) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let n = y.len();
    let (we, wl, wb) = (&mut w.e[..n], &mut w.cl[..n], &mut w.cb[..n]);
    for t in 0..n {
        let yt = y[t];
        if T == 1 {
            let phib = phi * b;
            let q = l + phib;
            let e = yt - q;
            l = q + alpha * e;
            b = phib + beta * e;
            let pl = phi * lb;
            let ql = ll + pl;
            ll = a1 * ql;
            lb = pl - beta * ql;
            let pb = phi * bb;
            let qb = bl + pb;
            bl = a1 * qb;
            bb = pb - beta * qb;
            we[t] = e;
            wl[t] = ql;
            wb[t] = qb;
            sll += ql * ql;
            slb += ql * qb;
            sbb += qb * qb;
            sle += ql * e;
            sbe += qb * e;
        } else {
            let e = yt - l;
            l += alpha * e;
            let ql = ll;
            ll *= a1;
            we[t] = e;
            wl[t] = ql;
            sll += ql * ql;
            sle += ql * e;
        }
    }
    let (l0, b0) = if T == 1 {
        let ridge = 1e-12 * (sll + sbb);
        let (a, d) = (sll + ridge, sbb + ridge);
        let det = a * d - slb * slb;
        if det > 0.0 && det.is_finite() {
            ((d * sle - slb * sbe) / det, (a * sbe - slb * sle) / det)
        } else {
            (sle / a, 0.0)
        }
    } else {
        (sle / sll, 0.0)
    };
    let mut sse = 0.0;
    if T == 1 {
        for t in 0..n {
            let r = we[t] - wl[t] * l0 - wb[t] * b0;
            sse += r * r;
        }
    } else {
        for t in 0..n {
            let r = we[t] - wl[t] * l0;
            sse += r * r;
        }
    }
    (sse, l0, b0)
}

/// Maps an unbounded value into `(lo, hi)` (logistic).
fn from_free(u: f64, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) / (1.0 + (-u).exp())
}

/// Inverse of [`from_free`].
fn to_free(v: f64, lo: f64, hi: f64) -> f64 {
    let p = ((v - lo) / (hi - lo)).clamp(1e-9, 1.0 - 1e-9);
    (p / (1.0 - p)).ln()
}

/// Mean absolute first difference (falls back to the mean absolute value).
fn spread(y: &[f64]) -> f64 {
    if y.len() < 2 {
        return y.first().map_or(0.0, |v| v.abs());
    }
    let d = y.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f64>() / (y.len() - 1) as f64;
    if d > 0.0 {
        d
    } else {
        y.iter().map(|v| v.abs()).sum::<f64>() / y.len() as f64
    }
}

// ---------------------------------------------------------------------------
// Initial states (Hyndman et al. 2008, §2.6.1, as in R's `initstate`)
// ---------------------------------------------------------------------------

/// `[l0, b0?, s_1 .. s_{m-1}?]` with `s_j` the seasonal state of phase `j`.
fn initial_states(y: &[f64], m: usize, spec: EtsSpec) -> Option<Vec<f64>> {
    let n = y.len();
    let mut out = Vec::with_capacity(m + 1);
    let mut seas_free: Vec<f64> = Vec::new();
    let y_sa: Vec<f64>;
    if spec.seasonal() {
        if n < 4 || m < 2 {
            return None;
        }
        let mult = spec.season == SeasonType::Multiplicative;
        let seasonal: Vec<f64> = if n < 3 * m {
            fourier_detrend(y, m, mult)?
        } else {
            let fig = decompose(y, m, mult)?;
            (0..n).map(|t| fig[t % m]).collect()
        };
        seas_free = seasonal[1..m].to_vec();
        if mult {
            for s in seas_free.iter_mut() {
                *s = s.max(1e-2);
            }
            let sum: f64 = seas_free.iter().sum();
            if sum > m as f64 {
                let d: f64 = seas_free.iter().map(|s| s + 1e-2).sum();
                for s in seas_free.iter_mut() {
                    *s /= d;
                }
            }
            y_sa = y
                .iter()
                .zip(&seasonal)
                .map(|(v, s)| v / s.max(1e-2))
                .collect();
        } else {
            y_sa = y.iter().zip(&seasonal).map(|(v, s)| v - s).collect();
        }
    } else {
        y_sa = y.to_vec();
    }
    let maxn = (10usize.max(2 * m)).min(n);
    let head = &y_sa[..maxn];
    if spec.has_trend() {
        // least squares of y_sa[t-1] on t = 1..maxn
        let (l, b) = if maxn >= 2 {
            let k = maxn as f64;
            let tm = (k + 1.0) / 2.0;
            let ym = head.iter().sum::<f64>() / k;
            let mut sxy = 0.0;
            let mut sxx = 0.0;
            for (i, v) in head.iter().enumerate() {
                let dt = (i + 1) as f64 - tm;
                sxy += dt * (v - ym);
                sxx += dt * dt;
            }
            let b = sxy / sxx;
            (ym - b * tm, b)
        } else {
            (head[0], 0.0)
        };
        let (mut l0, mut b0) = (l, b);
        if (l0 + b0).abs() < 1e-8 {
            l0 *= 1.0 + 1e-3;
            b0 *= 1.0 - 1e-3;
        }
        out.push(l0);
        out.push(b0);
    } else {
        out.push(head.iter().sum::<f64>() / maxn as f64);
    }
    out.extend_from_slice(&seas_free);
    if out.iter().all(|v| v.is_finite()) {
        Some(out)
    } else {
        None
    }
}

/// Classical decomposition (statsmodels' `seasonal_decompose` / R's
/// `decompose`): the seasonal figure of each phase, normalised.
fn decompose(y: &[f64], m: usize, mult: bool) -> Option<Vec<f64>> {
    let n = y.len();
    // centred moving average: 2×m for even m, m for odd m
    let (weights, half): (Vec<f64>, usize) = if m.is_multiple_of(2) {
        let mut w = vec![1.0 / m as f64; m + 1];
        w[0] = 0.5 / m as f64;
        w[m] = 0.5 / m as f64;
        (w, m / 2)
    } else {
        (vec![1.0 / m as f64; m], m / 2)
    };
    if n < 2 * half + 1 {
        return None;
    }
    let mut sums = vec![0.0; m];
    let mut counts = vec![0usize; m];
    for t in half..n - half {
        let trend: f64 = weights
            .iter()
            .enumerate()
            .map(|(k, w)| w * y[t + k - half])
            .sum();
        let d = if mult {
            if trend == 0.0 {
                continue;
            }
            y[t] / trend
        } else {
            y[t] - trend
        };
        sums[t % m] += d;
        counts[t % m] += 1;
    }
    if counts.contains(&0) {
        return None;
    }
    let mut fig: Vec<f64> = sums
        .iter()
        .zip(&counts)
        .map(|(s, &c)| s / c as f64)
        .collect();
    let mean = fig.iter().sum::<f64>() / m as f64;
    for f in fig.iter_mut() {
        if mult {
            *f /= mean;
        } else {
            *f -= mean;
        }
    }
    Some(fig)
}

/// For short series (n < 3m): regress on `1, t, sin(2πt/m), cos(2πt/m)` and
/// return the series with the fitted linear trend removed (R's `initstate`).
fn fourier_detrend(y: &[f64], m: usize, mult: bool) -> Option<Vec<f64>> {
    let p = if m == 2 { 3 } else { 4 };
    let mut xtx = [[0.0f64; 4]; 4];
    let mut xty = [0.0f64; 4];
    for (i, &v) in y.iter().enumerate() {
        let t = (i + 1) as f64;
        let w = 2.0 * std::f64::consts::PI * t / m as f64;
        let row = [1.0, t, w.cos(), w.sin()];
        for a in 0..p {
            xty[a] += row[a] * v;
            for b in 0..p {
                xtx[a][b] += row[a] * row[b];
            }
        }
    }
    let coef = solve(xtx, xty, p)?;
    let out: Vec<f64> = y
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let tr = coef[0] + coef[1] * (i + 1) as f64;
            if mult { v / tr } else { v - tr }
        })
        .collect();
    if mult && out.iter().any(|v| !v.is_finite()) {
        return None;
    }
    Some(out)
}

/// Gaussian elimination with partial pivoting on the leading `p`×`p` block.
fn solve(mut a: [[f64; 4]; 4], mut b: [f64; 4], p: usize) -> Option<[f64; 4]> {
    for c in 0..p {
        let piv = (c..p).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[piv][c].abs() < 1e-12 {
            return None;
        }
        a.swap(c, piv);
        b.swap(c, piv);
        for r in c + 1..p {
            let f = a[r][c] / a[c][c];
            let row_c = a[c];
            for (ark, ack) in a[r][c..p].iter_mut().zip(&row_c[c..p]) {
                *ark -= f * ack;
            }
            b[r] -= f * b[c];
        }
    }
    let mut x = [0.0; 4];
    for c in (0..p).rev() {
        let mut s = b[c];
        for k in c + 1..p {
            s -= a[c][k] * x[k];
        }
        x[c] = s / a[c][c];
    }
    Some(x)
}

// ---------------------------------------------------------------------------
// Nelder-Mead
// ---------------------------------------------------------------------------

/// Bounded (by clamping), deterministic Nelder-Mead with adaptive coefficients
/// (Gao & Han 2012). Stops when the simplex's objective values span at most
/// `F_TOL` or after `max_evals` evaluations. Returns the best point and value.
fn nelder_mead<F: FnMut(&[f64]) -> f64>(
    f: &mut F,
    x0: &[f64],
    lo: &[f64],
    hi: &[f64],
    step: &[f64],
    max_evals: usize,
) -> (Vec<f64>, f64) {
    let n = x0.len();
    let mut best: Vec<f64> = x0
        .iter()
        .zip(lo.iter().zip(hi))
        .map(|(&v, (&l, &h))| v.clamp(l, h))
        .collect();
    let f0 = f(&best);
    let mut ws = NmWork::new(n);
    let (fbest, _) = nm_run(
        f,
        &mut best,
        f0,
        lo,
        hi,
        step,
        max_evals.saturating_sub(1),
        &mut ws,
    );
    (best, fbest)
}

struct NmWork {
    simplex: Vec<f64>,
    fv: Vec<f64>,
    c: Vec<f64>,
    xr: Vec<f64>,
    xe: Vec<f64>,
}

impl NmWork {
    fn new(n: usize) -> Self {
        Self {
            simplex: vec![0.0; (n + 1) * n],
            fv: vec![0.0; n + 1],
            c: vec![0.0; n],
            xr: vec![0.0; n],
            xe: vec![0.0; n],
        }
    }
}

/// The simplex's best, worst and second-worst vertices by value (the first
/// index wins ties: deterministic).
fn ranks(fv: &[f64]) -> (usize, usize, usize) {
    let n = fv.len() - 1;
    let mut b = 0;
    let mut w = 0;
    for i in 1..=n {
        if fv[i] < fv[b] {
            b = i;
        }
        if fv[i] > fv[w] {
            w = i;
        }
    }
    if w == b {
        w = if b == 0 { 1 } else { 0 };
    }
    let mut sw = b;
    for i in 0..=n {
        if i != w && fv[i] > fv[sw] {
            sw = i;
        }
    }
    (b, w, sw)
}

/// The centroid `c` of the simplex's vertices (`n` coordinates each) but the worst, `w`.
fn centroid(c: &mut [f64], simplex: &[f64], w: usize, n: usize) {
    c.fill(0.0);
    for i in 0..=n {
        if i != w {
            for (cj, sj) in c.iter_mut().zip(&simplex[i * n..(i + 1) * n]) {
                *cj += sj;
            }
        }
    }
    for cj in c.iter_mut() {
        *cj /= n as f64;
    }
}

/// One Nelder-Mead run from `x` (value `fx`); on return `x` holds the best
/// vertex. Returns its value and the evaluations used.
#[allow(clippy::too_many_arguments)]
fn nm_run<F: FnMut(&[f64]) -> f64>(
    f: &mut F,
    x: &mut [f64],
    fx: f64,
    lo: &[f64],
    hi: &[f64],
    step: &[f64],
    budget: usize,
    ws: &mut NmWork,
) -> (f64, usize) {
    let n = x.len();
    let nf = n as f64;
    let (ra, rg, rc, rs) = if n >= 2 {
        (1.0, 1.0 + 2.0 / nf, 0.75 - 0.5 / nf, 1.0 - 1.0 / nf)
    } else {
        (1.0, 2.0, 0.5, 0.5)
    };
    let clamp = |v: &mut [f64]| {
        for i in 0..v.len() {
            v[i] = v[i].clamp(lo[i], hi[i]);
        }
    };
    let NmWork {
        simplex,
        fv,
        c,
        xr,
        xe,
    } = ws;
    let mut evals = 0usize;
    simplex[..n].copy_from_slice(x);
    fv[0] = fx;
    for i in 0..n {
        let row = &mut simplex[(i + 1) * n..(i + 2) * n];
        row.copy_from_slice(x);
        let mut v = x[i] + step[i];
        if v > hi[i] {
            v = x[i] - step[i];
        }
        row[i] = v.clamp(lo[i], hi[i]);
        fv[i + 1] = f(row);
        evals += 1;
    }
    loop {
        let (b, w, sw) = ranks(&fv[..=n]);
        let spread = fv[w] - fv[b];
        if !fv[b].is_finite() || spread <= F_TOL || evals >= budget {
            if fv[b] < fx || !fx.is_finite() {
                x.copy_from_slice(&simplex[b * n..(b + 1) * n]);
                return (fv[b], evals);
            }
            return (fx, evals);
        }
        centroid(c, simplex, w, n);
        let xw = &simplex[w * n..(w + 1) * n];
        for j in 0..n {
            xr[j] = c[j] + ra * (c[j] - xw[j]);
        }
        clamp(xr);
        let fr = f(xr);
        evals += 1;
        if fr < fv[b] {
            for j in 0..n {
                xe[j] = c[j] + rg * (xr[j] - c[j]);
            }
            clamp(xe);
            let fe = f(xe);
            evals += 1;
            let row = &mut simplex[w * n..(w + 1) * n];
            if fe < fr {
                row.copy_from_slice(xe);
                fv[w] = fe;
            } else {
                row.copy_from_slice(xr);
                fv[w] = fr;
            }
            continue;
        }
        if fr < fv[sw] {
            simplex[w * n..(w + 1) * n].copy_from_slice(xr);
            fv[w] = fr;
            continue;
        }
        // contraction (outside if the reflection beats the worst, else inside)
        let outside = fr < fv[w];
        for j in 0..n {
            xe[j] = if outside {
                c[j] + rc * (xr[j] - c[j])
            } else {
                c[j] + rc * (simplex[w * n + j] - c[j])
            };
        }
        clamp(xe);
        let fc = f(xe);
        evals += 1;
        if (outside && fc <= fr) || (!outside && fc < fv[w]) {
            simplex[w * n..(w + 1) * n].copy_from_slice(xe);
            fv[w] = fc;
            continue;
        }
        // shrink towards the best
        for i in 0..=n {
            if i == b {
                continue;
            }
            for j in 0..n {
                let bj = simplex[b * n + j];
                let v = bj + rs * (simplex[i * n + j] - bj);
                simplex[i * n + j] = v.clamp(lo[j], hi[j]);
            }
            fv[i] = f(&simplex[i * n..(i + 1) * n]);
            evals += 1;
        }
    }
}

/// `y` with component `x` taken out: `y − x` (additive, S = 1) or `y / x`
/// (multiplicative, S = 2; a huge value when `x` is about zero).
#[inline(always)]
fn deseason<const S: u8>(y: f64, x: f64) -> f64 {
    if S == 1 {
        y - x
    } else if x.abs() < TOL {
        HUGE_N
    } else {
        y / x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_fit_is_the_fit_a_new_fit_gives() {
        let y: Vec<f64> = (0..40)
            .map(|t| 10.0 + (t as f64 * 0.7).sin() * 3.0 + t as f64 * 0.1)
            .collect();
        let forecasts = |y: &[f64]| {
            (
                Ses::new().fit(y).expect("fits").predict(5),
                Holt::new(true).fit(y).expect("fits").predict(5),
            )
        };
        let ann = EtsSpec::new(ErrorType::Additive, TrendType::None, SeasonType::None);
        let kept = |spec| {
            SHARED.with_borrow(|c| c.as_ref().is_some_and(|c| c.iter().any(|e| e.0 == spec)))
        };
        // AutoEts fits ETS(A,N,N) and ETS(A,Ad,N) first; Ses and Holt reuse them.
        let shared = sharing_fits(|| {
            let _ = AutoEts::new(1).fit_auto(&y);
            assert!(kept(ann));
            forecasts(&y)
        });
        // Outside the scope nothing is kept.
        assert!(SHARED.with_borrow(|c| c.is_none()));
        assert_eq!(shared, forecasts(&y));
        assert!(!kept(ann));
    }

    fn check(f: &[f64]) {
        assert!(f.iter().all(|v| v.is_finite() && *v >= 0.0), "{f:?}");
    }

    fn seasonal_series(n: usize, noise: f64) -> Vec<f64> {
        let pat = [
            10.0, 14.0, 20.0, 26.0, 30.0, 28.0, 22.0, 16.0, 12.0, 8.0, 6.0, 7.0,
        ];
        let mut state = 12345u64;
        (0..n)
            .map(|t| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let u = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                100.0 + 0.5 * t as f64 + pat[t % 12] + noise * u
            })
            .collect()
    }

    fn white_noise(n: usize) -> Vec<f64> {
        let mut state = 987654321u64;
        (0..n)
            .map(|_| {
                let mut s = 0.0;
                for _ in 0..4 {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    s += (state >> 11) as f64 / (1u64 << 53) as f64;
                }
                50.0 + 10.0 * (s - 2.0)
            })
            .collect()
    }

    #[test]
    fn ses_tracks_level_shift() {
        let mut y = vec![10.0; 30];
        y.extend(vec![50.0; 30]);
        // a little noise so the fit is not degenerate
        for (i, v) in y.iter_mut().enumerate() {
            *v += if i % 2 == 0 { 0.3 } else { -0.3 };
        }
        let fit = Ses::new().fit_ets(&y).unwrap();
        let f = fit.predict(3);
        check(&f);
        assert!((f[0] - 50.0).abs() < 1.0, "{f:?} alpha {}", fit.alpha);
        assert!(fit.alpha > 0.5);
    }

    #[test]
    fn holt_extrapolates_line() {
        let y: Vec<f64> = (0..40).map(|t| 5.0 + 2.0 * t as f64).collect();
        let fit = Holt::new(false).fit_ets(&y).unwrap();
        let f = fit.predict(5);
        for (i, v) in f.iter().enumerate() {
            let want = 5.0 + 2.0 * (40 + i) as f64;
            assert!((v - want).abs() < 1e-6 * want, "{f:?}");
        }
        let fd = Holt::new(true).fit_ets(&y).unwrap().predict(5);
        check(&fd);
        assert!(fd[0] > 84.0 && fd[0] < 86.0, "{fd:?}");
    }

    #[test]
    fn holt_winters_reproduces_additive_pattern() {
        let y = seasonal_series(72, 0.0);
        let fit = HoltWinters::additive(12).fit_ets(&y).unwrap();
        let want = seasonal_series(84, 0.0);
        let f = fit.predict(12);
        for i in 0..12 {
            assert!(
                (f[i] - want[72 + i]).abs() < 0.05,
                "{i}: {} vs {}",
                f[i],
                want[72 + i]
            );
        }
        let fm = HoltWinters::multiplicative(12)
            .fit_ets(&y)
            .unwrap()
            .predict(12);
        for i in 0..12 {
            // an additive pattern is only approximated by a multiplicative season
            let rel = (fm[i] - want[72 + i]).abs() / want[72 + i];
            assert!(rel < 0.03, "{i}: {} vs {}", fm[i], want[72 + i]);
        }
        assert!(HoltWinters::additive(12).fit_ets(&y[..20]).is_none());
        assert_eq!(
            HoltWinters::multiplicative(12).name(),
            "holt_winters_multiplicative"
        );
    }

    #[test]
    fn auto_picks_seasonal_on_seasonal_and_plain_on_noise() {
        let y = seasonal_series(96, 3.0);
        let fit = AutoEts::new(12).fit_auto(&y).unwrap();
        assert!(fit.components.season != SeasonType::None, "{}", fit.spec);
        assert!(fit.aicc.is_finite());
        let wn = white_noise(96);
        let fit = AutoEts::new(12).fit_auto(&wn).unwrap();
        assert_eq!(fit.components.season, SeasonType::None, "{}", fit.spec);
        assert_eq!(fit.components.trend, TrendType::None, "{}", fit.spec);
        check(&fit.predict(12));
    }

    #[test]
    fn multiplicative_errors_can_be_kept_to_seasonal_models() {
        let y = seasonal_series(96, 3.0);
        assert!(y.iter().all(|&v| v > 0.0));
        let all = AutoEts::new(12).candidates(&y);
        let lean = AutoEts::new(12)
            .with_nonseasonal_multiplicative(false)
            .candidates(&y);
        let dropped: Vec<EtsSpec> = all.iter().copied().filter(|s| !lean.contains(s)).collect();
        // exactly the three non-seasonal multiplicative-error models go
        assert_eq!(dropped.len(), 3, "{dropped:?}");
        assert!(
            dropped
                .iter()
                .all(|s| s.error == ErrorType::Multiplicative && !s.seasonal())
        );
        assert!(
            lean.iter()
                .any(|s| s.error == ErrorType::Multiplicative && s.seasonal())
        );
        // a non-seasonal panel (weekly, season 52) keeps additive errors only
        let weekly = AutoEts::new(52).with_nonseasonal_multiplicative(false);
        assert!(
            weekly
                .candidates(&y)
                .iter()
                .all(|s| s.error == ErrorType::Additive)
        );
        assert!(weekly.fit_auto(&y).is_some());
    }

    #[test]
    fn weekly_season_52_falls_back_to_non_seasonal() {
        let y: Vec<f64> = (0..156)
            .map(|t| 20.0 + 5.0 * ((t as f64) * 0.12).sin())
            .collect();
        let auto = AutoEts::new(52);
        assert!(auto.candidates(&y).iter().all(|s| !s.seasonal()));
        let fit = auto.fit_auto(&y).unwrap();
        check(&fit.predict(13));
    }

    #[test]
    fn edge_inputs_give_finite_non_negative() {
        let cases: Vec<Vec<f64>> = vec![
            vec![0.0; 20],
            vec![7.0; 30],
            vec![3.0],
            vec![3.0, 5.0],
            vec![3.0, 0.0, 5.0],
            vec![1e300, 1e300 * 0.5, 1e300, 1e300 * 0.9, 1e300 * 0.1, 1e300],
            (0..60).map(|t| 1e200 * (1.0 + (t % 12) as f64)).collect(),
            (0..40)
                .map(|t| if t % 3 == 0 { 0.0 } else { 4.0 })
                .collect(),
            (0..40)
                .map(|t| 100.0 - 3.0 * t as f64)
                .map(|v: f64| v.max(0.0))
                .collect(),
            vec![0.0, 0.0, 0.0, 1.0],
            (0..30).map(|t| 1e-300 * (1 + t % 5) as f64).collect(),
        ];
        let models: Vec<Box<dyn Model>> = vec![
            Box::new(Ses::new()),
            Box::new(Holt::new(false)),
            Box::new(Holt::new(true)),
            Box::new(HoltWinters::additive(4)),
            Box::new(HoltWinters::multiplicative(4).with_damped(true)),
            Box::new(AutoEts::new(12)),
            Box::new(AutoEts::new(4)),
            Box::new(AutoEts::new(1)),
        ];
        for y in &cases {
            for model in &models {
                if let Some(fit) = model.fit(y) {
                    let f = fit.predict(24);
                    assert_eq!(f.len(), 24);
                    assert!(
                        f.iter().all(|v| v.is_finite() && *v >= 0.0),
                        "{} on {:?}: {:?}",
                        model.name(),
                        &y[..y.len().min(5)],
                        f
                    );
                }
            }
            assert!(AutoEts::new(12).fit(y).is_some());
            assert!(Ses::new().fit(y).is_some());
        }
        assert!(AutoEts::new(12).fit(&[]).is_none());
        assert!(AutoEts::new(12).fit(&[1.0, f64::NAN, 2.0]).is_none());
        let zero = AutoEts::new(12).fit_auto(&[0.0; 20]).unwrap().predict(3);
        assert_eq!(zero, vec![0.0; 3]);
        let flat = AutoEts::new(12).fit_auto(&[7.0; 30]).unwrap().predict(3);
        assert_eq!(flat, vec![7.0; 3]);
    }

    #[test]
    fn leading_zeros_do_not_count_as_history() {
        // 46 months before launch, then two sales: no trend or season may be fitted.
        let mut y = vec![0.0; 46];
        y.extend([3.42, 8.47]);
        let auto = AutoEts::new(12);
        assert!(auto.candidates(&y).is_empty());
        let fit = auto.fit_auto(&y).unwrap();
        assert_eq!(fit.components.trend, TrendType::None);
        assert_eq!(fit.components.season, SeasonType::None);
        let f = fit.predict(12);
        assert!(
            f.iter()
                .all(|v| v.is_finite() && *v >= 0.0 && *v <= 8.47 + 1e-9)
        );
        // a long post-launch history keeps every additive model
        let mut z = vec![0.0; 10];
        z.extend(seasonal_series(40, 1.0));
        let c = auto.candidates(&z);
        assert!(
            c.iter()
                .any(|s| s.season == SeasonType::Additive && s.damped())
        );
        assert!(c.iter().all(|s| !s.multiplicative()));
        assert_eq!(auto.candidates(&[0.0; 20]), Vec::<EtsSpec>::new());
    }

    #[test]
    fn deterministic() {
        let y = seasonal_series(60, 5.0);
        let a = AutoEts::new(12).fit_auto(&y).unwrap();
        let b = AutoEts::new(12).fit_auto(&y).unwrap();
        assert_eq!(a.spec, b.spec);
        let fa: Vec<u64> = a.predict(18).iter().map(|v| v.to_bits()).collect();
        let fb: Vec<u64> = b.predict(18).iter().map(|v| v.to_bits()).collect();
        assert_eq!(fa, fb);
        assert_eq!(a.aicc.to_bits(), b.aicc.to_bits());
    }

    // Training parts (the first n_train = 50 months) of three M3 monthly series,
    // as in ../shared/datasets/M3_monthly.csv (R package Mcomp).
    /// M3 monthly N1402 (MICRO, shipments), months 1–50.
    const N1402: [f64; 50] = [
        2640.0, 2640.0, 2160.0, 4200.0, 3360.0, 2400.0, 3600.0, 1920.0, 4200.0, 4560.0, 480.0,
        3720.0, 5640.0, 2880.0, 1800.0, 3120.0, 2400.0, 2520.0, 9000.0, 2640.0, 3120.0, 2880.0,
        8760.0, 5160.0, 2160.0, 8280.0, 4920.0, 3120.0, 6600.0, 4080.0, 5880.0, 1680.0, 6720.0,
        2040.0, 6480.0, 1920.0, 3600.0, 2040.0, 2760.0, 3840.0, 960.0, 2280.0, 1320.0, 2160.0,
        4800.0, 3000.0, 3120.0, 5880.0, 2640.0, 2400.0,
    ];
    /// M3 monthly N1406 (MICRO, shipments), months 1–50.
    const N1406: [f64; 50] = [
        2000.0, 1550.0, 4450.0, 3050.0, 3050.0, 2250.0, 2200.0, 2450.0, 4900.0, 5300.0, 600.0,
        12050.0, 4050.0, 1900.0, 3200.0, 7400.0, 10650.0, 9850.0, 4000.0, 11500.0, 2750.0, 5700.0,
        3900.0, 9200.0, 3000.0, 5550.0, 3300.0, 4700.0, 6250.0, 4550.0, 8550.0, 4400.0, 5200.0,
        3800.0, 3750.0, 11100.0, 6800.0, 6600.0, 5100.0, 5400.0, 11400.0, 9400.0, 4150.0, 7500.0,
        11150.0, 7250.0, 5650.0, 12000.0, 11550.0, 7450.0,
    ];
    /// M3 monthly N1412 (MICRO, shipments), months 1–50.
    const N1412: [f64; 50] = [
        2180.0, 3540.0, 3260.0, 3460.0, 3000.0, 2140.0, 2100.0, 3220.0, 3860.0, 3460.0, 3980.0,
        1780.0, 4980.0, 3120.0, 2840.0, 4320.0, 3200.0, 3320.0, 1660.0, 2300.0, 3280.0, 3940.0,
        3180.0, 3680.0, 6100.0, 4300.0, 2160.0, 1880.0, 3700.0, 2280.0, 2020.0, 1800.0, 2480.0,
        2120.0, 5580.0, 3180.0, 3340.0, 2700.0, 3640.0, 3440.0, 2720.0, 1440.0, 1260.0, 2980.0,
        3480.0, 3720.0, 3460.0, 2020.0, 4980.0, 3380.0,
    ];

    /// statsforecast 2.1.1 reference: the AICc and 6-step mean forecast of
    /// `AutoETS(season_length=12, model=MODEL, damped=DAMPED).fit(y)` then
    /// `.predict(h=6)["mean"]` (AICc from `.model_["aicc"]`), y one of the
    /// series above as float64; MODEL "ANN", "AAN" (damped=True), "AAA" or
    /// "MAM" (damped=False).
    struct Reference {
        y: &'static [f64],
        spec: EtsSpec,
        aicc: f64,
        mean: [f64; 6],
    }

    fn spec(error: ErrorType, trend: TrendType, season: SeasonType) -> EtsSpec {
        EtsSpec::new(error, trend, season)
    }

    fn ann() -> EtsSpec {
        spec(ErrorType::Additive, TrendType::None, SeasonType::None)
    }

    fn aadn() -> EtsSpec {
        spec(ErrorType::Additive, TrendType::Damped, SeasonType::None)
    }

    fn aaa() -> EtsSpec {
        spec(
            ErrorType::Additive,
            TrendType::Additive,
            SeasonType::Additive,
        )
    }

    fn mam() -> EtsSpec {
        spec(
            ErrorType::Multiplicative,
            TrendType::Additive,
            SeasonType::Multiplicative,
        )
    }

    /// Largest relative difference between two forecasts.
    fn max_rel(got: &[f64], want: &[f64]) -> f64 {
        got.iter()
            .zip(want)
            .map(|(g, w)| (g - w).abs() / w.abs())
            .fold(0.0, f64::max)
    }

    #[test]
    fn non_seasonal_specs_match_statsforecast() {
        let refs = [
            Reference {
                y: &N1402,
                spec: ann(),
                aicc: 958.6941,
                mean: [3611.0086; 6],
            },
            Reference {
                y: &N1406,
                spec: ann(),
                aicc: 1001.3202,
                mean: [8373.8148; 6],
            },
            Reference {
                y: &N1412,
                spec: ann(),
                aicc: 894.7250,
                mean: [3120.0024; 6],
            },
            Reference {
                y: &N1402,
                spec: aadn(),
                aicc: 964.8525,
                mean: [
                    3782.5707, 3782.3067, 3782.0853, 3781.8995, 3781.7436, 3781.6128,
                ],
            },
            Reference {
                y: &N1406,
                spec: aadn(),
                aicc: 1000.9587,
                mean: [
                    8139.1197, 8200.6004, 8260.7854, 8319.7020, 8377.3770, 8433.8365,
                ],
            },
            Reference {
                y: &N1412,
                spec: aadn(),
                aicc: 902.1764,
                mean: [
                    3099.3770, 3098.9427, 3098.5212, 3098.1122, 3097.7151, 3097.3298,
                ],
            },
        ];
        for r in &refs {
            let fit = fit_ets(r.y, 12, r.spec).unwrap();
            let f = fit.predict(6);
            let (d_aicc, rel) = (fit.aicc - r.aicc, max_rel(&f, &r.mean));
            if r.spec == ann() {
                // One smoothing parameter and the initial level: both
                // optimisers find the same optimum (α at its 1e-4 bound on
                // N1402 and N1412); they differ only by statsforecast's
                // Nelder–Mead stopping tolerance (measured: AICc to 1e-3,
                // forecasts to 6e-4).
                assert!(
                    d_aicc.abs() < 0.01,
                    "{}: AICc {} vs {}",
                    fit.spec,
                    fit.aicc,
                    r.aicc
                );
                assert!(rel < 1e-3, "{}: {f:?} vs {:?}", fit.spec, r.mean);
            } else {
                // The damped-trend likelihood is flat in φ: on N1402 replenish
                // stops at φ = 0.98 (its bound), statsforecast at φ = 0.84,
                // 1.2 AICc apart (replenish worse; on N1406 and N1412 it is
                // 0.2 and 0.03 better), forecasts 1.3 % apart. R's `ets`
                // differs from statsforecast by up to 5 % here.
                assert!(
                    d_aicc < 1.5,
                    "{}: AICc {} vs {}",
                    fit.spec,
                    fit.aicc,
                    r.aicc
                );
                assert!(rel < 0.02, "{}: {f:?} vs {:?}", fit.spec, r.mean);
            }
        }
    }

    #[test]
    fn seasonal_specs_match_statsforecast() {
        let refs = [
            Reference {
                y: &N1402,
                spec: aaa(),
                aicc: 997.6771,
                mean: [
                    2849.0553, 3273.8689, 3214.8853, 2733.0237, 5215.8123, 2118.0496,
                ],
            },
            Reference {
                y: &N1406,
                spec: aaa(),
                aicc: 1011.3270,
                mean: [
                    7150.6208, 8036.9404, 11089.2204, 9778.5304, 7807.0382, 10236.4107,
                ],
            },
            Reference {
                y: &N1412,
                spec: aaa(),
                aicc: 911.6378,
                mean: [
                    2936.9724, 3260.5865, 3210.6642, 2268.6843, 1724.3669, 2507.7432,
                ],
            },
            Reference {
                y: &N1402,
                spec: mam(),
                aicc: 980.0316,
                mean: [
                    2890.8143, 3093.3311, 3742.6778, 2538.5520, 5392.0438, 1852.5082,
                ],
            },
            Reference {
                y: &N1406,
                spec: mam(),
                aicc: 1011.2279,
                mean: [
                    7129.7543, 8570.8737, 12461.4385, 10942.6769, 7480.2272, 11798.0634,
                ],
            },
            Reference {
                y: &N1412,
                spec: mam(),
                aicc: 902.9236,
                mean: [
                    2760.9090, 3111.9389, 2872.5717, 2226.3353, 1615.1134, 2380.1732,
                ],
            },
        ];
        for r in &refs {
            let fit = fit_ets(r.y, 12, r.spec).unwrap();
            let f = fit.predict(6);
            // 16 parameters from 50 points: the likelihood is flat and each
            // optimiser stops at its own point of it. Measured: replenish's
            // AICc is within 0.4 above and 1.1 below statsforecast's (R's
            // forecast 8.20 `ets` is up to 4.1 above it), so the optimum is as
            // good to within 1.1.
            assert!(
                (fit.aicc - r.aicc).abs() < 1.1,
                "{}: AICc {} vs {}",
                fit.spec,
                fit.aicc,
                r.aicc
            );
            // Where the season is well determined (N1406, N1412) the forecasts
            // agree to 5.8 % (R's to statsforecast's: 6–18 %). On the noisy
            // N1402 they differ by up to 36 % (R's by 26 %) at equal AICc,
            // so only the AICc is pinned there.
            if r.y != N1402.as_slice() {
                let rel = max_rel(&f, &r.mean);
                assert!(rel < 0.06, "{}: {f:?} vs {:?}", fit.spec, r.mean);
            }
        }
    }

    #[test]
    fn automatic_choice_beside_statsforecast() {
        // statsforecast 2.1.1 `AutoETS(season_length=12).fit(y)`:
        // `.model_["components"]`, `.model_["aicc"]`, `.predict(h=6)["mean"]`.
        // R forecast 8.20 `ets(ts(y, frequency = 12))` picks ETS(M,N,N) on
        // N1402 (AICc 958.698), ETS(M,Ad,N) on N1406, ETS(M,N,A) on N1412.
        let auto = AutoEts::new(12);

        // N1402: the same model, ETS(A,N,N).
        let fit = auto.fit_auto(&N1402).unwrap();
        assert_eq!(fit.spec, "ETS(A,N,N)");
        assert!((fit.aicc - 958.6941).abs() < 0.01, "{}", fit.aicc);
        assert!(max_rel(&fit.predict(6), &[3611.0086; 6]) < 1e-3);

        // N1412: statsforecast picks ETS(M,N,M) (AICc 893.638); replenish,
        // like R, ETS(M,N,A), 0.12 above it. The forecasts agree to 1 %.
        let fit = auto.fit_auto(&N1412).unwrap();
        assert_eq!(fit.spec, "ETS(M,N,A)");
        assert!((fit.aicc - 893.6378).abs() < 0.2, "{}", fit.aicc);
        let sf = [
            2929.9229, 3334.8397, 3047.5058, 2361.5740, 1733.4741, 2561.9333,
        ];
        assert!(max_rel(&fit.predict(6), &sf) < 0.01, "{:?}", fit.predict(6));

        // N1406: statsforecast and R pick ETS(M,Ad,N) (AICc 997.751); so
        // would replenish's own ETS(M,Ad,N) fit on its own, which reaches
        // 997.750. Inside `fit_auto` that fit starts from the ETS(A,Ad,N)
        // optimum and stops higher, so ETS(A,A,N) (998.093) wins and the
        // forecast trends up where statsforecast's is nearly flat (up to
        // 34 % apart at step 6). A known discrepancy, pinned here.
        let fit = auto.fit_auto(&N1406).unwrap();
        assert_eq!(fit.spec, "ETS(A,A,N)");
        let alone = fit_ets(
            &N1406,
            12,
            spec(
                ErrorType::Multiplicative,
                TrendType::Damped,
                SeasonType::None,
            ),
        )
        .unwrap();
        assert!((alone.aicc - 997.7506).abs() < 0.01, "{}", alone.aicc);
        assert!(
            alone.aicc < fit.aicc - 0.3,
            "{} vs {}",
            alone.aicc,
            fit.aicc
        );
        let sf = [
            6901.0531, 6905.3870, 6909.2986, 6912.8289, 6916.0152, 6918.8910,
        ];
        assert!(max_rel(&alone.predict(6), &sf) < 0.002);
        assert!(max_rel(&fit.predict(6), &sf) > 0.25);
    }

    #[test]
    fn spec_labels() {
        let s = EtsSpec::new(
            ErrorType::Multiplicative,
            TrendType::Damped,
            SeasonType::None,
        );
        assert_eq!(s.label(), "ETS(M,Ad,N)");
        assert_eq!(AutoEts::new(12).name(), "auto_ets");
    }
}
