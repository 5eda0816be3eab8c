//! Baseline forecasters: naive, seasonal naive, moving average, historic
//! average and the all-zero forecast.
//!
//! Definitions follow statsforecast's `Naive`, `SeasonalNaive`,
//! `WindowAverage` and `HistoricAverage`, with two deliberate differences:
//! `SeasonalNaive` falls back to the naive forecast when the history is
//! shorter than one season (statsforecast returns NaN for the missing season
//! positions) and `MovingAverage` averages the whole history when it is
//! shorter than the window (statsforecast returns NaN). Every forecast is
//! finite and non-negative: negative values are clipped to 0 and non-finite
//! ones are mapped to 0 (NaN) or `f64::MAX` (+inf).

use super::ModelId;
use super::{Fitted, Model};

/// Makes a forecast value finite and non-negative.
fn clean(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, f64::MAX)
    }
}

/// Mean of `x` without overflow for huge values (each term is scaled by
/// `1/n` before summing, so the running sum never exceeds `max(x)`).
fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    let s: f64 = x.iter().sum();
    let n = x.len() as f64;
    if s.is_finite() {
        s / n
    } else {
        let inv = 1.0 / n;
        x.iter().map(|v| v * inv).sum()
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

/// A fitted model repeating one season of (already cleaned) values, the
/// first for the bucket after the history.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SeasonFit(pub(super) Vec<f64>);

impl Fitted for SeasonFit {
    fn predict(&self, h: usize) -> Vec<f64> {
        self.0.iter().copied().cycle().take(h).collect()
    }
}

/// Naive forecast: the last observed value, repeated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Naive;

impl Model for Naive {
    fn id(&self) -> ModelId {
        ModelId::Naive
    }

    fn fit(&self, history: &[f64]) -> Option<Box<dyn Fitted>> {
        let last = *history.last()?;
        Some(Box::new(ConstantFit(clean(last))))
    }
}

/// Seasonal naive forecast: the value of the same position in the last
/// complete season, `y[n - m + (k mod m)]` for horizon step `k` (0-based).
///
/// Falls back to [`Naive`] when `season_length <= 1` or the history is
/// shorter than one season.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeasonalNaive {
    /// Number of buckets in one season (e.g. 52 for weekly data, 12 for monthly).
    pub season_length: usize,
}

impl SeasonalNaive {
    /// Seasonal naive with the given season length.
    pub fn new(season_length: usize) -> Self {
        Self { season_length }
    }
}

impl Model for SeasonalNaive {
    fn id(&self) -> ModelId {
        ModelId::SeasonalNaive
    }

    fn fit(&self, history: &[f64]) -> Option<Box<dyn Fitted>> {
        let n = history.len();
        let m = self.season_length;
        if m <= 1 || n < m {
            return Naive.fit(history);
        }
        let season = history[n - m..].iter().map(|&v| clean(v)).collect();
        Some(Box::new(SeasonFit(season)))
    }
}

/// Moving average: the mean of the last `window` values (of the whole
/// history when it is shorter than the window; a window of 0 counts as 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MovingAverage {
    /// Number of most recent buckets averaged.
    pub window: usize,
}

impl MovingAverage {
    /// Moving average over the given window.
    pub fn new(window: usize) -> Self {
        Self { window }
    }
}

impl Model for MovingAverage {
    fn id(&self) -> ModelId {
        ModelId::MovingAverage
    }

    fn fit(&self, history: &[f64]) -> Option<Box<dyn Fitted>> {
        if history.is_empty() {
            return None;
        }
        let w = self.window.clamp(1, history.len());
        let tail = &history[history.len() - w..];
        Some(Box::new(ConstantFit(clean(mean(tail)))))
    }
}

/// Historic average: the mean of the whole history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistoricAverage;

impl Model for HistoricAverage {
    fn id(&self) -> ModelId {
        ModelId::HistoricAverage
    }

    fn fit(&self, history: &[f64]) -> Option<Box<dyn Fitted>> {
        if history.is_empty() {
            return None;
        }
        Some(Box::new(ConstantFit(clean(mean(history)))))
    }
}

/// Always forecasts 0 (for discontinued items). Fits any history,
/// including an empty one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Zero;

impl Model for Zero {
    fn id(&self) -> ModelId {
        ModelId::Zero
    }

    fn fit(&self, _history: &[f64]) -> Option<Box<dyn Fitted>> {
        Some(Box::new(ConstantFit(0.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fc(model: &dyn Model, y: &[f64], h: usize) -> Vec<f64> {
        model.fit(y).expect("fits").predict(h)
    }

    fn all_models() -> Vec<Box<dyn Model>> {
        vec![
            Box::new(Naive),
            Box::new(SeasonalNaive::new(4)),
            Box::new(MovingAverage::new(3)),
            Box::new(HistoricAverage),
            Box::new(Zero),
        ]
    }

    #[test]
    fn names() {
        let names: Vec<_> = all_models().iter().map(|m| m.name()).collect();
        assert_eq!(
            names,
            [
                "naive",
                "seasonal_naive",
                "moving_average",
                "historic_average",
                "zero"
            ]
        );
    }

    #[test]
    fn naive_repeats_last_value() {
        assert_eq!(fc(&Naive, &[1.0, 5.0, 2.0], 3), vec![2.0; 3]);
        assert_eq!(fc(&Naive, &[7.0], 2), vec![7.0; 2]);
    }

    #[test]
    fn seasonal_naive_reproduces_last_season() {
        let y = [1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 30.0, 40.0, 50.0];
        // last season (m = 4) is [20, 30, 40, 50]
        assert_eq!(
            fc(&SeasonalNaive::new(4), &y, 6),
            vec![20.0, 30.0, 40.0, 50.0, 20.0, 30.0]
        );
        // exactly one season
        assert_eq!(
            fc(&SeasonalNaive::new(3), &[1.0, 2.0, 3.0], 4),
            vec![1.0, 2.0, 3.0, 1.0]
        );
    }

    #[test]
    fn seasonal_naive_falls_back_to_naive() {
        assert_eq!(
            fc(&SeasonalNaive::new(12), &[1.0, 2.0, 3.0], 2),
            vec![3.0; 2]
        );
        assert_eq!(fc(&SeasonalNaive::new(1), &[1.0, 2.0], 2), vec![2.0; 2]);
        assert_eq!(fc(&SeasonalNaive::new(0), &[1.0, 2.0], 2), vec![2.0; 2]);
    }

    #[test]
    fn averages() {
        let y = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(fc(&MovingAverage::new(3), &y, 2), vec![5.0; 2]);
        assert_eq!(fc(&MovingAverage::new(100), &y, 1), vec![3.5]);
        assert_eq!(fc(&MovingAverage::new(0), &y, 1), vec![6.0]);
        assert_eq!(fc(&HistoricAverage, &y, 2), vec![3.5; 2]);
    }

    #[test]
    fn zero_is_zero() {
        assert_eq!(fc(&Zero, &[5.0, 6.0], 3), vec![0.0; 3]);
        assert_eq!(fc(&Zero, &[], 2), vec![0.0; 2]);
    }

    #[test]
    fn empty_history_is_none() {
        for m in all_models().iter().filter(|m| m.name() != "zero") {
            assert!(m.fit(&[]).is_none(), "{}", m.name());
        }
    }

    #[test]
    fn edge_inputs_give_finite_non_negative() {
        let big = f64::MAX / 2.0;
        let cases: Vec<Vec<f64>> = vec![
            vec![0.0],
            vec![3.0],
            vec![0.0, 0.0, 0.0],
            vec![5.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            vec![0.0, 0.0, 0.0, 0.0, 0.0, 5.0],
            vec![big; 10],
            vec![f64::MAX; 10],
            vec![-1.0, -2.0, -3.0, -4.0, -5.0],
            vec![f64::NAN, 1.0, f64::INFINITY],
        ];
        for model in all_models() {
            for y in &cases {
                let f = fc(model.as_ref(), y, 7);
                assert_eq!(f.len(), 7);
                for v in f {
                    assert!(v.is_finite() && v >= 0.0, "{} {y:?} -> {v}", model.name());
                }
            }
        }
        assert_eq!(fc(&HistoricAverage, &[f64::MAX; 10], 1)[0], f64::MAX);
    }

    #[test]
    fn horizon_zero_is_empty_and_deterministic() {
        let y = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        for model in all_models() {
            assert!(fc(model.as_ref(), &y, 0).is_empty());
            assert_eq!(fc(model.as_ref(), &y, 9), fc(model.as_ref(), &y, 9));
        }
    }
}
