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

pub mod baseline;
pub mod clean;
pub mod ets;
pub mod intermittent;
pub mod select;
pub mod theta;

pub use baseline::{HistoricAverage, MovingAverage, Naive, SeasonalNaive, Zero};
pub use ets::{AutoEts, Holt, HoltWinters, Ses};
pub use intermittent::{Adida, Croston, CrostonOptimized, CrostonSba, Imapa, Tsb, TsbOptimized};
pub use select::{
    Backtest, Distribution, ForecastSettings, Metric, Selection, SeriesForecast, backtest,
    forecast_series,
};
pub use theta::Theta;

use crate::demand::Pattern;

/// A forecasting method with its hyper-parameters (not yet fitted).
pub trait Model: Send + Sync {
    /// Short snake_case name used in reports.
    fn name(&self) -> &'static str;
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
    /// Order matters: earlier candidates win ties.
    pub fn standard(season_length: usize, moving_average_window: usize) -> Candidates {
        let m = season_length.max(1);
        let mut regular: Vec<Box<dyn Model>> = vec![
            Box::new(AutoEts::new(m)),
            Box::new(Theta::new(m)),
            Box::new(Ses::new()),
            Box::new(Holt::new(true)),
            Box::new(MovingAverage::new(moving_average_window)),
            Box::new(HistoricAverage),
        ];
        if m > 1 {
            regular.push(Box::new(SeasonalNaive::new(m)));
        }
        Candidates {
            regular,
            intermittent: vec![
                Box::new(CrostonSba),
                Box::new(Tsb::default()),
                Box::new(Adida::default()),
                Box::new(Imapa),
                Box::new(CrostonOptimized),
                Box::new(Croston),
                Box::new(MovingAverage::new(moving_average_window)),
                Box::new(Ses::new()),
            ],
        }
    }

    /// Candidates for a Syntetos–Boylan pattern.
    pub fn for_pattern(&self, pattern: Pattern) -> &[Box<dyn Model>] {
        match pattern {
            Pattern::Intermittent | Pattern::Lumpy => &self.intermittent,
            _ => &self.regular,
        }
    }
}
