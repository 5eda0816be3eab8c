//! Interval calibration per forecast step and distribution shape: the
//! factor on each series' spread that makes its p10–p90 interval hold 80 %
//! of the demand at the latest backtest origin, pooled over series.
//!
//! A count interval is discrete (its ends are whole units, and a zero
//! demand lies inside whenever p10 is zero), and errors grow with the step
//! ahead; so the factor is found by bisection on the coverage itself, step by
//! step, rather than read off standardised errors. A normal interval widens
//! with its spread, so its factor scales the spread; a count interval does
//! not (a larger variance puts more mass on zero), so its factor scales the
//! quantile levels' distance from the median, which widens it steadily. Each series' spread is
//! scaled to what it was without the latest origin, so that the errors it
//! is judged against are out of sample. Only the reported
//! quantiles (forecast.csv, the charts, `replenish forecast`) use it: the
//! policy's spread is calibrated on its own ([`super::calibration`]).

use super::select::{Distribution, MIN_CALIBRATION_ERRORS, SeriesForecast, calibrated_quantile};

/// The coverage the p10–p90 interval is calibrated to.
const TARGET: f64 = 0.8;
/// Factors are kept within [1/LIMIT, LIMIT] (for counts, whose factor
/// scales the quantile levels' distance from the median, within
/// [1/LIMIT, COUNT_LIMIT]: p90 then stays below 1).
const LIMIT: f64 = 4.0;
/// The largest factor of a count interval: p90 at 0.5 + 0.4 × 1.24 = 0.996.
const COUNT_LIMIT: f64 = 1.24;
/// Fewest series of a shape with a latest origin for its calibration: the
/// errors of fewer series at one origin share too much of one period.
const MIN_SERIES: usize = 30;
/// At most this many (series, step) pairs per step are read (evenly spaced):
/// enough for the coverage, bounded at any panel size.
const MAX_PAIRS: usize = 4000;

/// One step's evidence: the forecast at the latest origin, the demand, the
/// series' spread.
#[derive(Debug, Clone, Copy)]
struct Pair {
    mean: f64,
    actual: f64,
    sigma: f64,
}

/// The factor per forecast step for each distribution shape (empty: none).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IntervalCalibration {
    /// Normal (regular-demand) spreads.
    pub normal: Vec<f64>,
    /// Negative-binomial (intermittent-demand) spreads.
    pub counts: Vec<f64>,
}

impl IntervalCalibration {
    /// Give `f` the factors of its distribution shape.
    pub fn apply(&self, f: &mut SeriesForecast) {
        f.interval_factors = match f.distribution {
            Distribution::Normal => self.normal.clone(),
            Distribution::NegativeBinomial => self.counts.clone(),
        };
    }
}

/// The calibration of the forecasts' intervals (their spreads final).
pub fn interval_calibration<'a>(
    forecasts: impl IntoIterator<Item = &'a SeriesForecast>,
) -> IntervalCalibration {
    // Per shape, per step, the pairs.
    let mut by_shape: [Vec<Vec<Pair>>; 2] = [Vec::new(), Vec::new()];
    let mut series = [0usize; 2];
    for f in forecasts {
        if !(f.sigma.is_finite() && f.sigma > 0.0 && f.latest_origin_spread > 0.0) {
            continue;
        }
        let shape = usize::from(f.distribution == Distribution::NegativeBinomial);
        series[shape] += usize::from(!f.latest_origin.is_empty());
        let steps = &mut by_shape[shape];
        for (k, &(mean, actual)) in f.latest_origin.iter().enumerate() {
            if k >= steps.len() {
                steps.resize_with(k + 1, Vec::new);
            }
            if mean.is_finite() && actual.is_finite() {
                steps[k].push(Pair {
                    mean: mean.max(0.0),
                    actual,
                    sigma: f.sigma * f.latest_origin_spread,
                });
            }
        }
    }
    let [normal, counts] = by_shape;
    let calibrate = |steps: &[Vec<Pair>], i: usize, shape: Distribution| {
        if series[i] >= MIN_SERIES {
            factors(steps, shape)
        } else {
            Vec::new()
        }
    };
    IntervalCalibration {
        normal: calibrate(&normal, 0, Distribution::Normal),
        counts: calibrate(&counts, 1, Distribution::NegativeBinomial),
    }
}

/// The factor of each step; a step with too few pairs takes the factor of
/// all steps together (none at all: no calibration).
fn factors(steps: &[Vec<Pair>], shape: Distribution) -> Vec<f64> {
    let all: Vec<Pair> = steps.iter().flatten().copied().collect();
    if all.len() < MIN_CALIBRATION_ERRORS {
        return Vec::new();
    }
    let pooled = factor(&thin(&all), shape);
    steps
        .iter()
        .map(|p| {
            if p.len() < MIN_CALIBRATION_ERRORS {
                pooled
            } else {
                factor(&thin(p), shape)
            }
        })
        .collect()
}

/// At most [`MAX_PAIRS`] pairs, evenly spaced (the same at any thread count).
fn thin(pairs: &[Pair]) -> Vec<Pair> {
    if pairs.len() <= MAX_PAIRS {
        return pairs.to_vec();
    }
    (0..MAX_PAIRS)
        .map(|i| pairs[i * pairs.len() / MAX_PAIRS])
        .collect()
}

/// Share of the pairs inside their p10–p90 interval at spread factor `f`.
fn coverage(pairs: &[Pair], shape: Distribution, f: f64) -> f64 {
    let probe = |p: &Pair| {
        let lo = calibrated_quantile(p.mean, p.sigma, shape, f, 0.1);
        let hi = calibrated_quantile(p.mean, p.sigma, shape, f, 0.9);
        p.actual >= lo && p.actual <= hi
    };
    pairs.iter().filter(|p| probe(p)).count() as f64 / pairs.len().max(1) as f64
}

/// The factor whose coverage is nearest [`TARGET`], by bisection on its log
/// (coverage grows with the factor): the least factor reaching the target,
/// or the largest below it when that one is nearer — a count interval's
/// coverage moves in steps, and the step above the target can overshoot it
/// by more than the one below misses it.
fn factor(pairs: &[Pair], shape: Distribution) -> f64 {
    let top = match shape {
        Distribution::Normal => LIMIT,
        Distribution::NegativeBinomial => COUNT_LIMIT,
    };
    let (mut lo, mut hi) = (-LIMIT.ln(), top.ln());
    if coverage(pairs, shape, top) < TARGET {
        return top;
    }
    if coverage(pairs, shape, lo.exp()) >= TARGET {
        return 1.0 / LIMIT;
    }
    let (mut c_lo, mut c_hi) = (0.0, 1.0);
    for _ in 0..24 {
        let mid = 0.5 * (lo + hi);
        let c = coverage(pairs, shape, mid.exp());
        if c >= TARGET {
            (hi, c_hi) = (mid, c);
        } else {
            (lo, c_lo) = (mid, c);
        }
    }
    if TARGET - c_lo < c_hi - TARGET {
        lo.exp()
    } else {
        hi.exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(shape: Distribution, sigma: f64, pairs: Vec<(f64, f64)>) -> SeriesForecast {
        let mut s = crate::forecast::forecast_series(
            &[Box::new(crate::forecast::HistoricAverage) as Box<dyn crate::forecast::Model>],
            &[10.0; 12],
            crate::demand::Pattern::Smooth,
            &crate::forecast::ForecastSettings {
                horizon: pairs.len(),
                ..Default::default()
            },
        );
        s.sigma = sigma;
        s.distribution = shape;
        s.latest_origin = pairs;
        s
    }

    #[test]
    fn too_wide_intervals_are_narrowed_and_too_narrow_ones_widened() {
        // Errors of ±2 around 10 at step 0 and ±8 at step 1, spread 4.
        let pairs = |e: f64| -> Vec<(f64, f64)> {
            (0..100)
                .map(|i| {
                    (
                        10.0,
                        10.0 + if i % 2 == 0 { e } else { -e } * (i % 10) as f64 / 9.0,
                    )
                })
                .collect()
        };
        let forecasts: Vec<SeriesForecast> = (0..100)
            .map(|i| {
                let p = pairs(2.0)[i];
                let q = pairs(8.0)[i];
                series(Distribution::Normal, 4.0, vec![p, q])
            })
            .collect();
        let c = interval_calibration(&forecasts);
        assert_eq!(c.normal.len(), 2);
        assert!(c.normal[0] < 1.0 && c.normal[1] > 1.0, "{:?}", c.normal);
        assert!(c.counts.is_empty());
        // Calibrated, each step holds about 80 % of its pairs.
        for (k, f) in c.normal.iter().enumerate() {
            let inside = forecasts
                .iter()
                .filter(|s| {
                    let mut s = (*s).clone();
                    c.apply(&mut s);
                    let a = s.latest_origin[k].1;
                    a >= s.quantile(k, 0.1) && a <= s.quantile(k, 0.9)
                })
                .count();
            assert!((75..=85).contains(&inside), "step {k} factor {f}: {inside}");
        }
    }

    #[test]
    fn too_few_pairs_leave_the_intervals_alone() {
        let few = vec![series(
            Distribution::NegativeBinomial,
            2.0,
            vec![(1.0, 0.0); 3],
        )];
        assert_eq!(interval_calibration(&few), IntervalCalibration::default());
    }
}
