//! Interim simple exponential smoothing until the ETS family lands.

use super::{Fitted, Model};

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
