//! Forecasting: one trait for every model, a rolling-origin backtest, and the
//! per-series choice of the model with the lowest scaled error.
//!
//! This first engine has two local models — a moving average and simple
//! exponential smoothing with its smoothing weight fitted by least squares —
//! and takes the forecast spread from the chosen model's backtest errors.

/// A forecasting method with its hyper-parameters (not yet fitted).
pub trait Model: Send + Sync {
    /// Short name used in reports.
    fn name(&self) -> &'static str;
    /// Fit to a history (oldest first); `None` when it is too short.
    fn fit(&self, history: &[f64]) -> Option<Box<dyn Fitted>>;
}

/// A model fitted to one history.
pub trait Fitted {
    /// Mean forecast for the next `h` buckets: finite and non-negative.
    fn predict(&self, h: usize) -> Vec<f64>;
}

/// Flat forecast at one level (what both first models produce).
struct Level(f64);

impl Fitted for Level {
    fn predict(&self, h: usize) -> Vec<f64> {
        let level = if self.0.is_finite() {
            self.0.max(0.0)
        } else {
            0.0
        };
        vec![level; h]
    }
}

/// Mean of the last `window` buckets.
#[derive(Debug, Clone, Copy)]
pub struct MovingAverage {
    /// Buckets averaged.
    pub window: usize,
}

impl Model for MovingAverage {
    fn name(&self) -> &'static str {
        "moving_average"
    }

    fn fit(&self, history: &[f64]) -> Option<Box<dyn Fitted>> {
        if history.is_empty() {
            return None;
        }
        let tail = &history[history.len().saturating_sub(self.window.max(1))..];
        Some(Box::new(Level(
            tail.iter().sum::<f64>() / tail.len() as f64,
        )))
    }
}

/// Simple exponential smoothing; the weight α minimises the one-step squared
/// error over the history (grid search, then golden-section refinement).
#[derive(Debug, Clone, Copy, Default)]
pub struct Ses;

/// Final level and one-step sum of squared errors of SES with weight `alpha`.
fn ses_run(y: &[f64], alpha: f64) -> (f64, f64) {
    let mut level = y[0];
    let mut sse = 0.0;
    for &v in &y[1..] {
        let e = v - level;
        sse += e * e;
        level += alpha * e;
    }
    (level, sse)
}

impl Ses {
    /// The fitted smoothing weight for a history of at least two values.
    pub fn fit_alpha(y: &[f64]) -> f64 {
        let sse = |a: f64| ses_run(y, a).1;
        let mut best = (0.1, sse(0.1));
        for i in 1..20 {
            let a = i as f64 * 0.05;
            let s = sse(a);
            if s < best.1 - 1e-12 {
                best = (a, s);
            }
        }
        // Golden-section search in the grid cell around the best point.
        let (mut lo, mut hi) = ((best.0 - 0.05).max(0.01), (best.0 + 0.05).min(0.99));
        let g = (5f64.sqrt() - 1.0) / 2.0;
        for _ in 0..20 {
            let a = hi - g * (hi - lo);
            let b = lo + g * (hi - lo);
            if sse(a) <= sse(b) {
                hi = b;
            } else {
                lo = a;
            }
        }
        let refined = (lo + hi) / 2.0;
        if sse(refined) < best.1 {
            refined
        } else {
            best.0
        }
    }
}

impl Model for Ses {
    fn name(&self) -> &'static str {
        "ses"
    }

    fn fit(&self, history: &[f64]) -> Option<Box<dyn Fitted>> {
        match history.len() {
            0 => None,
            1 => Some(Box::new(Level(history[0]))),
            _ => {
                let alpha = Self::fit_alpha(history);
                Some(Box::new(Level(ses_run(history, alpha).0)))
            }
        }
    }
}

/// Errors of one model over a rolling-origin backtest.
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
    /// Mean absolute scaled error (MAE over the in-sample naive MAE).
    pub mase: f64,
    /// Mean error (forecast − actual) per bucket: positive means over-forecast.
    pub bias: f64,
}

/// Shortest training window a backtest origin leaves.
pub const MIN_TRAIN: usize = 4;

/// Rolling-origin backtest: origins `n − h`, `n − 2h`, … (at most `origins`,
/// each leaving at least [`MIN_TRAIN`] buckets to fit on). When the history is
/// too short for one full horizon, the horizon shrinks to what is left.
/// `None` when not even that is possible.
pub fn backtest(model: &dyn Model, y: &[f64], horizon: usize, origins: usize) -> Option<Backtest> {
    let n = y.len();
    if n < MIN_TRAIN + 1 {
        return None;
    }
    let h = horizon.clamp(1, n - MIN_TRAIN);
    let cuts: Vec<usize> = (1..=origins.max(1))
        .map_while(|k| n.checked_sub(k * h).filter(|&o| o >= MIN_TRAIN))
        .collect();
    let first = *cuts.last()?;
    let scale = {
        let train = &y[..first];
        let diffs: f64 = train.windows(2).map(|w| (w[1] - w[0]).abs()).sum();
        let naive = diffs / (train.len() - 1) as f64;
        if naive > 0.0 {
            naive
        } else {
            let mean = train.iter().map(|v| v.abs()).sum::<f64>() / train.len() as f64;
            if mean > 0.0 { mean } else { 1.0 }
        }
    };
    let (mut abs, mut sq, mut sum, mut count) = (0.0, 0.0, 0.0, 0usize);
    for &o in &cuts {
        let fitted = model.fit(&y[..o])?;
        for (f, a) in fitted.predict(h).iter().zip(&y[o..o + h]) {
            let e = f - a;
            abs += e.abs();
            sq += e * e;
            sum += e;
            count += 1;
        }
    }
    let c = count as f64;
    Some(Backtest {
        model: model.name(),
        origins: cuts.len(),
        horizon: h,
        mae: abs / c,
        rmse: (sq / c).sqrt(),
        mase: abs / c / scale,
        bias: sum / c,
    })
}

/// The forecast of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesForecast {
    /// Chosen model.
    pub model: &'static str,
    /// Mean per future bucket.
    pub mean: Vec<f64>,
    /// Spread (standard deviation) of the one-bucket forecast error.
    pub sigma: f64,
    /// Backtest of every candidate that could be evaluated, in candidate order.
    pub backtests: Vec<Backtest>,
}

impl SeriesForecast {
    /// The chosen model's backtest, when there was one.
    pub fn chosen(&self) -> Option<&Backtest> {
        self.backtests.iter().find(|b| b.model == self.model)
    }
}

/// Forecast settings for one series.
#[derive(Debug, Clone, Copy)]
pub struct ForecastSpec {
    /// Buckets to forecast.
    pub horizon: usize,
    /// Buckets ahead that matter for the policy (lead time + review), for the backtest.
    pub backtest_horizon: usize,
    /// Backtest origins.
    pub origins: usize,
}

/// Forecast one series with the candidate models: backtest each, keep the one
/// with the lowest MASE (earlier candidates win ties), refit it on the whole
/// history. The spread is the chosen model's backtest RMSE; without a backtest,
/// the larger of the history's standard deviation and the Poisson spread √mean.
pub fn forecast_series(models: &[Box<dyn Model>], y: &[f64], spec: ForecastSpec) -> SeriesForecast {
    let backtests: Vec<Backtest> = models
        .iter()
        .filter_map(|m| backtest(m.as_ref(), y, spec.backtest_horizon, spec.origins))
        .collect();
    let best = backtests
        .iter()
        .enumerate()
        .min_by(|(i, a), (j, b)| a.mase.total_cmp(&b.mase).then(i.cmp(j)))
        .map(|(_, b)| b);
    let (model, sigma) = match best {
        Some(b) => (
            models
                .iter()
                .find(|m| m.name() == b.model)
                .expect("candidate"),
            b.rmse,
        ),
        None => {
            let n = y.len().max(1) as f64;
            let mean = y.iter().sum::<f64>() / n;
            let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
            (&models[0], sd.max(mean.max(0.0).sqrt()))
        }
    };
    let mean = model
        .fit(y)
        .map(|f| f.predict(spec.horizon))
        .unwrap_or_else(|| vec![0.0; spec.horizon]);
    SeriesForecast {
        model: model.name(),
        mean,
        sigma: if sigma.is_finite() { sigma } else { 0.0 },
        backtests,
    }
}

/// The candidate models of this engine, in tie-break order.
pub fn candidates(moving_average_window: usize) -> Vec<Box<dyn Model>> {
    vec![
        Box::new(Ses),
        Box::new(MovingAverage {
            window: moving_average_window,
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_average_of_the_tail() {
        let f = MovingAverage { window: 3 }
            .fit(&[100.0, 1.0, 2.0, 3.0])
            .unwrap();
        assert_eq!(f.predict(2), vec![2.0, 2.0]);
        assert!(MovingAverage { window: 3 }.fit(&[]).is_none());
    }

    #[test]
    fn ses_tracks_a_level_shift() {
        let mut y = vec![10.0; 20];
        y.extend(vec![20.0; 20]);
        let alpha = Ses::fit_alpha(&y);
        assert!(alpha > 0.5, "alpha {alpha}");
        let f = Ses.fit(&y).unwrap().predict(1)[0];
        assert!((f - 20.0).abs() < 0.01, "forecast {f}");
    }

    #[test]
    fn constant_series_has_zero_error() {
        let y = vec![7.0; 30];
        let fc = forecast_series(
            &candidates(8),
            &y,
            ForecastSpec {
                horizon: 5,
                backtest_horizon: 4,
                origins: 3,
            },
        );
        assert_eq!(fc.mean, vec![7.0; 5]);
        assert_eq!(fc.sigma, 0.0);
        let bt = fc.chosen().unwrap();
        assert_eq!((bt.origins, bt.horizon), (3, 4));
        assert_eq!(bt.mase, 0.0);
    }

    #[test]
    fn backtest_shrinks_for_short_history() {
        let y = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let bt = backtest(&Ses, &y, 10, 3).unwrap();
        assert_eq!((bt.origins, bt.horizon), (1, 2));
        assert!(backtest(&Ses, &y[..4], 2, 3).is_none());
    }

    #[test]
    fn short_history_falls_back_to_poisson_spread() {
        let fc = forecast_series(
            &candidates(8),
            &[4.0, 4.0],
            ForecastSpec {
                horizon: 3,
                backtest_horizon: 2,
                origins: 3,
            },
        );
        assert!(fc.backtests.is_empty());
        assert_eq!(fc.mean, vec![4.0; 3]);
        assert_eq!(fc.sigma, 2.0);
    }

    #[test]
    fn selection_prefers_the_lower_scaled_error() {
        // A step up: SES adapts, an 8-bucket moving average lags.
        let mut y = vec![5.0; 30];
        y.extend(vec![50.0; 12]);
        let fc = forecast_series(
            &candidates(8),
            &y,
            ForecastSpec {
                horizon: 2,
                backtest_horizon: 2,
                origins: 3,
            },
        );
        assert_eq!(fc.model, "ses");
        assert_eq!(fc.backtests.len(), 2);
        assert!(fc.mean[0] > 45.0);
    }
}
