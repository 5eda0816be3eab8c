//! Forecasting: one trait for every model, a rolling-origin backtest of every
//! candidate on every series, the per-series choice by scaled error, and the
//! forecast's uncertainty.
//!
//! * [`Model`] holds a method's hyper-parameters; [`Model::fit`] returns a
//!   [`Fitted`] model that predicts `h` buckets ahead.
//! * [`select::forecast_series`] prepares the history (leading zeros trimmed,
//!   outliers clipped in a copy, discontinued items detected), backtests the
//!   candidates of the series' demand pattern plus a median combination of the
//!   best three, picks the lowest scaled error and refits it on all data.

pub mod backtest;
pub mod baseline;
pub mod clean;
pub mod ets;
pub mod global;
pub mod intermittent;
pub mod intervals;
pub mod learner;
pub mod model_id;
pub mod prior;
pub mod rules;
pub mod select;
mod sharing;
pub mod stage;
pub mod theta;

pub use baseline::{HistoricAverage, MovingAverage, Naive, SeasonalNaive, Zero};
pub use ets::{AutoEts, Holt, HoltWinters, Ses};
pub use intermittent::{
    Adida, Croston, CrostonOptimized, CrostonSba, Imapa, SeasonalAdida, Tsb, TsbOptimized,
};
pub use model_id::ModelId;
pub use prior::{Evidence, SelectionPrior};
pub use select::{
    Backtest, Calibration, Distribution, ForecastSettings, HorizonErrorPools, Metric, PoolSummary,
    Selection, SeriesForecast, backtest, calibration, forecast_series, forecast_series_with,
    pool_horizon_errors, pooled_spread_ratio,
};
pub use select::{Backtested, backtest_like, backtest_series, finish, refit_chosen};
pub use theta::{AutoTheta, OptimizedTheta, Theta};

use crate::demand::Pattern;

/// A forecasting method with its hyper-parameters (not yet fitted).
pub trait Model: Send + Sync {
    /// Which model this is.
    fn id(&self) -> ModelId;
    /// Its snake_case name in the reports.
    fn name(&self) -> &'static str {
        self.id().name()
    }
    /// Fit to a history (oldest first, one value per bucket, values ≥ 0);
    /// `None` when the history is too short or the method does not apply.
    fn fit(&self, history: &[f64]) -> Option<Box<dyn Fitted>>;
}

/// A model fitted to one history.
pub trait Fitted: Send {
    /// Mean forecast for the next `h` buckets: finite and non-negative.
    fn predict(&self, h: usize) -> Vec<f64>;
}

/// The candidate models per demand pattern.
pub struct Candidates {
    /// For smooth and erratic demand.
    pub regular: Vec<Box<dyn Model>>,
    /// For intermittent and lumpy demand.
    pub intermittent: Vec<Box<dyn Model>>,
}

impl Candidates {
    /// The standard candidate sets for a season length (buckets per year, or 1).
    /// Order matters: earlier candidates win ties, and the lead three make
    /// the default combination. Each pattern's own methods come first; the
    /// other pattern's cheap methods follow (not ETS, which costs ten times
    /// the rest together), so that the candidate winning across a group of
    /// series is within reach of every series in it.
    pub fn standard(season_length: usize, moving_average_window: usize) -> Candidates {
        let m = season_length.max(1);
        let seasonal_naive = || -> Option<Box<dyn Model>> {
            (m > 1).then(|| Box::new(SeasonalNaive::new(m)) as Box<dyn Model>)
        };
        // A profile of more positions than ETS models (52 weeks) is read
        // off too few seasons.
        let seasonal_adida = || -> Option<Box<dyn Model>> {
            ets::season_modelled(m).then(|| Box::new(SeasonalAdida::new(m)) as Box<dyn Model>)
        };
        let intermittent_methods = || -> Vec<Box<dyn Model>> {
            vec![
                Box::new(CrostonSba),
                Box::new(Tsb::default()),
                Box::new(Adida::default()),
                Box::new(Imapa),
                Box::new(CrostonOptimized),
                Box::new(Croston),
            ]
        };
        let mut regular: Vec<Box<dyn Model>> = vec![
            Box::new(AutoEts::new(m)),
            Box::new(Theta::new(m)),
            Box::new(Ses::new()),
            Box::new(Holt::new(true)),
            Box::new(MovingAverage::new(moving_average_window)),
            Box::new(HistoricAverage),
        ];
        regular.extend(seasonal_naive());
        regular.push(Box::new(OptimizedTheta::new(m)));
        regular.extend(intermittent_methods());
        regular.extend(seasonal_adida());
        let mut intermittent = intermittent_methods();
        intermittent.extend([
            Box::new(MovingAverage::new(moving_average_window)) as Box<dyn Model>,
            Box::new(Ses::new()),
            Box::new(HistoricAverage),
            Box::new(Theta::new(m)),
            Box::new(Holt::new(true)),
        ]);
        intermittent.extend(seasonal_naive());
        intermittent.extend(seasonal_adida());
        Candidates {
            regular,
            intermittent,
        }
    }

    /// The same candidates with `theta` as the fitted-θ theta model (the
    /// standard set holds the optimised one).
    pub fn with_theta(mut self, theta: crate::config::ThetaModel, season_length: usize) -> Self {
        if theta == crate::config::ThetaModel::Auto {
            for m in &mut self.regular {
                if m.id() == ModelId::OptimizedTheta {
                    *m = Box::new(AutoTheta::new(season_length.max(1)));
                }
            }
        }
        self
    }

    /// The same candidates with AutoETS's multiplicative errors as `errors`
    /// says for `season_length` (the standard set tries them always).
    pub fn with_ets_errors(
        mut self,
        errors: crate::config::EtsMultiplicativeError,
        season_length: usize,
    ) -> Self {
        use crate::config::EtsMultiplicativeError as E;
        let nonseasonal = match errors {
            E::Always => true,
            E::Seasonal => false,
            E::Auto => ets::season_modelled(season_length),
        };
        for m in self.regular.iter_mut().chain(&mut self.intermittent) {
            if m.id() == ModelId::AutoEts {
                let ets = AutoEts::new(season_length.max(1));
                *m = Box::new(ets.with_nonseasonal_multiplicative(nonseasonal));
            }
        }
        self
    }

    /// Candidates for a Syntetos–Boylan pattern.
    pub fn for_pattern(&self, pattern: Pattern) -> &[Box<dyn Model>] {
        match pattern {
            Pattern::Intermittent | Pattern::Lumpy => &self.intermittent,
            _ => &self.regular,
        }
    }
}

/// A repeatable stream of uniform numbers in [0, 1) from `seed` (a 64-bit
/// linear congruential generator) for the forecast tests.
#[cfg(test)]
pub(crate) fn uniform(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed;
    move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::select::{ForecastSettings, Metric, Selection, forecast_series};

    /// Awkward histories: empty-ish, constant, zeros, spikes, huge, tiny, trending to zero.
    fn histories() -> Vec<Vec<f64>> {
        let mut rnd = uniform(7);
        let mut out = vec![
            vec![],
            vec![3.0],
            vec![0.0, 0.0],
            vec![5.0; 40],
            vec![0.0; 60],
            (0..60).map(|i| if i == 59 { 1e6 } else { 0.0 }).collect(),
            (0..60).map(|i| if i == 0 { 50.0 } else { 0.0 }).collect(),
            (0..80).map(|i| 1e12 * (1.0 + (i % 12) as f64)).collect(),
            (0..80).map(|i| 1e-9 * (i % 3) as f64).collect(),
            (0..60).map(|i| (60 - i) as f64).collect(),
        ];
        for n in [7, 30, 104, 156] {
            out.push(
                (0..n)
                    .map(|_| {
                        if rnd() < 0.3 {
                            (rnd() * 20.0).floor()
                        } else {
                            0.0
                        }
                    })
                    .collect(),
            );
            out.push(
                (0..n)
                    .map(|i| 100.0 + 40.0 * (i as f64 / 8.0).sin() + 30.0 * rnd())
                    .collect(),
            );
        }
        out
    }

    #[test]
    fn every_model_forecasts_finite_non_negative_values() {
        let c = Candidates::standard(12, 8);
        for y in histories() {
            for m in c.regular.iter().chain(&c.intermittent) {
                if let Some(f) = m.fit(&y) {
                    let p = f.predict(14);
                    assert_eq!(p.len(), 14, "{}", m.name());
                    assert!(
                        p.iter().all(|v| v.is_finite() && *v >= 0.0),
                        "{} on {y:?}: {p:?}",
                        m.name()
                    );
                }
            }
        }
    }

    #[test]
    fn the_ets_errors_setting_reaches_the_candidates() {
        use crate::config::EtsMultiplicativeError;
        // positive, with noise proportional to a rising level: a
        // multiplicative-error model fits it best
        let mut rnd = uniform(3);
        let y: Vec<f64> = (0..80)
            .map(|i| (20.0 + 2.0 * i as f64) * (0.7 + 0.6 * rnd()))
            .collect();
        let direct = |on: bool| {
            ets::AutoEts::new(1)
                .with_nonseasonal_multiplicative(on)
                .fit(&y)
                .unwrap()
                .predict(3)
        };
        assert_ne!(direct(true), direct(false));
        let fit = |errors: EtsMultiplicativeError| {
            let c = Candidates::standard(1, 8).with_ets_errors(errors, 1);
            let ets = c.regular.iter().find(|m| m.id() == ModelId::AutoEts);
            ets.unwrap().fit(&y).unwrap().predict(3)
        };
        assert_eq!(fit(EtsMultiplicativeError::Always), direct(true));
        assert_eq!(fit(EtsMultiplicativeError::Seasonal), direct(false));
        // auto: no season ETS can model (here 1), so additive errors only
        assert_eq!(fit(EtsMultiplicativeError::Auto), direct(false));
        let monthly = |errors: EtsMultiplicativeError| {
            let c = Candidates::standard(12, 8).with_ets_errors(errors, 12);
            let ets = c.regular.iter().find(|m| m.id() == ModelId::AutoEts);
            ets.unwrap().fit(&y).unwrap().predict(3)
        };
        // months: a season ETS models, so every model R's ets tries
        assert_ne!(
            monthly(EtsMultiplicativeError::Always),
            monthly(EtsMultiplicativeError::Seasonal)
        );
        assert_eq!(
            monthly(EtsMultiplicativeError::Auto),
            monthly(EtsMultiplicativeError::Always)
        );
    }

    #[test]
    fn selection_gives_ordered_quantiles_for_any_history() {
        let c = Candidates::standard(12, 8);
        let s = ForecastSettings {
            horizon: 6,
            backtest_horizon: 5,
            protection_buckets: None,
            origins: 3,
            metric: Metric::Mase,
            season_length: 12,
            discontinued_after: 26,
            outlier_sigma: 4.0,
            selection: Selection::BestWithCombination,
            selection_margin: 0.1,
            ..ForecastSettings::default()
        };
        for y in histories() {
            let pattern = crate::demand::pattern(&y);
            let fc = forecast_series(c.for_pattern(pattern), &y, pattern, &s);
            assert_eq!(fc.mean.len(), 6);
            assert!(fc.sigma.is_finite() && fc.sigma >= 0.0);
            for k in 0..6 {
                let q: Vec<f64> = [0.1, 0.5, 0.9].iter().map(|&p| fc.quantile(k, p)).collect();
                assert!(q.iter().all(|v| v.is_finite() && *v >= 0.0), "{q:?}");
                assert!(q[0] <= q[1] && q[1] <= q[2], "{} {q:?}", fc.model);
            }
        }
    }
}
