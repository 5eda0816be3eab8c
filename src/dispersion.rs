//! Does a regular series' recent demand pass as Poisson counts around its
//! moving level? The Pearson dispersion test: over the last [`WINDOW`]
//! buckets, each bucket's demand against the mean of the [`LEVEL_BUCKETS`]
//! before it, Σ (y − m)² / m over the variance Poisson demand would give
//! (m(1 + 1/8): the demand's own and the moving mean's), is chi-square
//! with one degree of freedom fewer than the buckets when the demand is
//! Poisson. A low-volume item that passes is planned on Poisson lead-time
//! demand around its forecast (`policy.count_test`), whose spread a short
//! backtest over-states.

use crate::stats::chi2_sf;

/// Buckets of recent history the test reads.
pub const WINDOW: usize = 26;
/// Buckets of the moving mean each bucket is judged against.
pub const LEVEL_BUCKETS: usize = 8;
/// Fewest buckets with a positive moving mean for a test.
const MIN_BUCKETS: usize = 8;
/// Significance level below which Poisson is rejected.
pub const SIGNIFICANCE: f64 = 0.05;

/// The outcome of the dispersion test on one series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dispersion {
    /// Variance over the Poisson variance (1: Poisson), at least 1.
    pub index: f64,
    /// Chance of a dispersion this large or larger if the demand is Poisson.
    pub p_value: f64,
}

impl Dispersion {
    /// Test `history` (the demand per bucket, oldest first): `None` when
    /// fewer than `MIN_BUCKETS` buckets have a positive moving mean, or
    /// when a demand in the window is not a whole number (not counts).
    pub fn test(history: &[f64]) -> Option<Dispersion> {
        let h = &history[history.len().saturating_sub(WINDOW + LEVEL_BUCKETS)..];
        if h.len() <= LEVEL_BUCKETS || h.iter().any(|v| !v.is_finite() || v.fract() != 0.0) {
            return None;
        }
        let (mut stat, mut n) = (0.0, 0usize);
        for j in LEVEL_BUCKETS..h.len() {
            let m = h[j - LEVEL_BUCKETS..j]
                .iter()
                .map(|v| v.max(0.0))
                .sum::<f64>()
                / LEVEL_BUCKETS as f64;
            if m > 0.0 {
                stat += (h[j].max(0.0) - m).powi(2) / m;
                n += 1;
            }
        }
        if n < MIN_BUCKETS {
            return None;
        }
        let stat = stat / (1.0 + 1.0 / LEVEL_BUCKETS as f64);
        let dof = (n - 1) as f64;
        Some(Dispersion {
            index: (stat / dof).max(1.0),
            p_value: chi2_sf(stat, dof),
        })
    }

    /// Poisson is not rejected at [`SIGNIFICANCE`].
    pub fn poisson(&self) -> bool {
        self.p_value >= SIGNIFICANCE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Poisson};

    fn draws(mean: f64, n: usize, seed: u64) -> Vec<f64> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let d = Poisson::new(mean).unwrap();
        (0..n).map(|_| d.sample(&mut rng)).collect()
    }

    #[test]
    fn poisson_demand_passes_and_lumpy_demand_does_not() {
        // Poisson at 6 a bucket: rejected in about 5 % of seeds.
        let passed = (0..200)
            .filter(|&s| Dispersion::test(&draws(6.0, 60, s)).unwrap().poisson())
            .count();
        assert!((175..=199).contains(&passed), "{passed}");
        // The same mean in lumps of 6: variance 6 times Poisson's.
        let lumpy: Vec<f64> = draws(1.0, 60, 7).into_iter().map(|v| 6.0 * v).collect();
        let d = Dispersion::test(&lumpy).unwrap();
        assert!(!d.poisson() && d.index > 3.0, "{d:?}");
    }

    #[test]
    fn short_fractional_or_empty_history_is_not_tested() {
        assert!(Dispersion::test(&[3.0; 10]).is_none());
        assert!(Dispersion::test(&[2.5; 40]).is_none());
        assert!(Dispersion::test(&[0.0; 40]).is_none());
        // Steady demand is under-dispersed: index 1, Poisson not rejected.
        let d = Dispersion::test(&[5.0; 40]).unwrap();
        assert_eq!(d.index, 1.0);
        assert!(d.poisson());
    }
}
