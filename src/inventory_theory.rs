//! Textbook inventory formulas the policy stands on: the normal loss functions,
//! the safety factor for a fill-rate target, reorder points under Poisson and
//! negative-binomial demand, the economic order quantity and the exact
//! cost-optimal continuous-review (r, Q) policy under normal lead-time demand.
//!
//! Conventions follow Snyder & Shen, *Fundamentals of Supply Chain Theory*, and
//! stockpyl (checked against its values in `tests/inventory_reference.rs`):
//! lead-time demand with mean μ and spread σ; fill rate β is the share of
//! demand served from stock; an order of Q units arrives per replenishment
//! cycle.

use crate::stats::{CountPmf, norm_cdf, norm_pdf, norm_ppf};

/// Standard normal loss G(k) = E[(Z − k)⁺] = φ(k) − k·(1 − Φ(k)).
pub fn normal_loss(k: f64) -> f64 {
    (norm_pdf(k) - k * norm_cdf(-k)).max(0.0)
}

/// Standard normal second-order loss G₂(k) = ½·E[((Z − k)⁺)²]
/// = ½·((k² + 1)·(1 − Φ(k)) − k·φ(k)); d/dk G₂ = −G.
pub fn normal_loss2(k: f64) -> f64 {
    (0.5 * ((k * k + 1.0) * norm_cdf(-k) - k * norm_pdf(k))).max(0.0)
}

/// The k with G(k) = `loss` (the standard normal loss is strictly decreasing
/// from +∞ to 0). Newton from the tail side, safeguarded by bisection.
pub fn inverse_normal_loss(loss: f64) -> f64 {
    if loss.is_nan() || loss <= 0.0 {
        return f64::INFINITY;
    }
    // Bracket: G(-x) = x + G(x) for the left side, so G(k) ≈ -k there.
    let (mut lo, mut hi) = (-(loss + 10.0), 40.0);
    let mut k = if loss > 0.4 { -loss } else { 0.0 };
    for _ in 0..200 {
        let f = normal_loss(k) - loss;
        if f > 0.0 {
            lo = k;
        } else {
            hi = k;
        }
        // G'(k) = Φ(k) − 1.
        let slope = -norm_cdf(-k);
        let mut next = if slope < -1e-300 { k - f / slope } else { k };
        if !(next > lo && next < hi) {
            next = 0.5 * (lo + hi);
        }
        if (next - k).abs() < 1e-14 * (1.0 + k.abs()) {
            return next;
        }
        k = next;
    }
    k
}

/// Safety factor k for fill rate `beta` with order quantity `q` and lead-time
/// demand spread `sigma` (Silver, Pyke & Peterson): G(k) = (1 − β)·Q / σ.
/// May be negative when Q is large against σ; +∞ when β ≥ 1.
pub fn fill_rate_factor(beta: f64, q: f64, sigma: f64) -> f64 {
    inverse_normal_loss((1.0 - beta) * q / sigma)
}

/// Safety factor for a cycle-service target α: k = Φ⁻¹(α).
pub fn cycle_service_factor(alpha: f64) -> f64 {
    norm_ppf(alpha)
}

/// Expected units short per cycle, E[(X − s)⁺], for normal lead-time demand.
pub fn normal_shortage(s: f64, mu: f64, sigma: f64) -> f64 {
    if sigma > 0.0 {
        sigma * normal_loss((s - mu) / sigma)
    } else {
        (mu - s).max(0.0)
    }
}

/// Reorder point of a count (Poisson / negative binomial) lead-time demand
/// with mean `mean` and variance `var`: the smallest whole s with
/// P(X ≤ s) ≥ `alpha`.
pub fn count_reorder_point_cycle(mean: f64, var: f64, alpha: f64) -> f64 {
    crate::stats::negbin_quantile(mean, var, alpha)
}

/// Reorder point of a count lead-time demand for fill rate `beta`: the
/// smallest whole s whose expected shortage E[(X − s)⁺] is at most
/// (1 − β)·Q — the discrete form of the loss-function rule. `None` when the
/// distribution cannot be evaluated term by term (use the normal then).
pub fn count_reorder_point_fill(mean: f64, var: f64, beta: f64, q: f64) -> Option<f64> {
    let target = (1.0 - beta).max(0.0) * q.max(0.0);
    if mean <= 0.0 {
        return Some(0.0);
    }
    let pmf = CountPmf::new(mean, var)?;
    // L(0) = μ and L(s + 1) = L(s) − P(X > s).
    let mut loss = mean;
    let mut cdf = 0.0;
    let limit = (mean + 60.0 * var.max(mean).sqrt() + 100.0) as usize;
    for (s, p) in pmf.enumerate().take(limit) {
        if loss <= target + 1e-12 {
            return Some(s as f64);
        }
        cdf += p;
        loss -= (1.0 - cdf).max(0.0);
    }
    Some(limit as f64)
}

/// Expected units short per cycle, E[(X − s)⁺], for a count lead-time demand
/// (`None` when it cannot be evaluated term by term).
pub fn count_shortage(s: f64, mean: f64, var: f64) -> Option<f64> {
    if mean <= 0.0 {
        return Some(0.0);
    }
    let mut pmf = CountPmf::new(mean, var)?;
    let whole = s.max(0.0).floor() as usize;
    let (mut loss, mut cdf) = (mean, 0.0);
    for p in pmf.by_ref().take(whole) {
        cdf += p;
        loss -= (1.0 - cdf).max(0.0);
    }
    // Fractional s: the loss is linear between whole numbers with slope −P(X > ⌊s⌋).
    let frac = s.max(0.0) - whole as f64;
    let next = cdf + pmf.next().unwrap_or(0.0);
    Some((loss - frac * (1.0 - next).max(0.0)).max(0.0))
}

/// Economic order quantity √(2·K·λ / h) for fixed cost `fixed_cost` per
/// order, demand rate `demand_rate` and holding cost `holding_cost` per unit
/// per the same time unit; `None` when it is undefined (h ≤ 0, K or λ not
/// positive).
pub fn eoq(fixed_cost: f64, holding_cost: f64, demand_rate: f64) -> Option<f64> {
    (fixed_cost > 0.0 && holding_cost > 0.0 && demand_rate > 0.0)
        .then(|| (2.0 * fixed_cost * demand_rate / holding_cost).sqrt())
        .filter(|q| q.is_finite())
}

/// Costs and demand of a continuous-review (r, Q) system with normal
/// lead-time demand (all per the same time unit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RqSystem {
    /// Holding cost per unit per time unit.
    pub holding_cost: f64,
    /// Backorder cost per unit per time unit.
    pub stockout_cost: f64,
    /// Fixed cost per order.
    pub fixed_cost: f64,
    /// Mean demand per time unit.
    pub demand_rate: f64,
    /// Mean lead-time demand.
    pub mu: f64,
    /// Spread of lead-time demand.
    pub sigma: f64,
}

impl RqSystem {
    /// Newsvendor cost of inventory position `y`: h·E[(y − D)⁺] + p·E[(D − y)⁺].
    fn level_cost(&self, y: f64) -> f64 {
        let short = normal_shortage(y, self.mu, self.sigma);
        self.holding_cost * (y - self.mu + short) + self.stockout_cost * short
    }

    /// Exact expected cost per time unit of (r, Q): (K·λ + ∫ᵣ^{r+Q} g(y) dy) / Q,
    /// with the integral in closed form through the second-order loss.
    pub fn cost(&self, r: f64, q: f64) -> f64 {
        let (h, p, s) = (self.holding_cost, self.stockout_cost, self.sigma);
        let integral_short = if s > 0.0 {
            s * s * (normal_loss2((r - self.mu) / s) - normal_loss2((r + q - self.mu) / s))
        } else {
            // ∫ (μ − y)⁺ dy over [r, r + Q].
            let a = (self.mu - r).max(0.0);
            let b = (self.mu - r - q).max(0.0);
            0.5 * (a * a - b * b)
        };
        let integral_holding = 0.5 * ((r + q - self.mu).powi(2) - (r - self.mu).powi(2));
        (self.fixed_cost * self.demand_rate + h * integral_holding + (h + p) * integral_short) / q
    }

    /// The reorder point minimising [`cost`](Self::cost) for a given Q:
    /// the r with g(r) = g(r + Q) (g is convex, so the difference is increasing).
    pub fn optimal_r(&self, q: f64) -> f64 {
        let diff = |r: f64| self.level_cost(r + q) - self.level_cost(r);
        let width = self.sigma.max(1e-9) * 20.0 + q + self.mu.abs();
        let (mut lo, mut hi) = (self.mu - width, self.mu + width);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if diff(mid) > 0.0 {
                hi = mid;
            } else {
                lo = mid;
            }
            if hi - lo < 1e-10 * (1.0 + mid.abs()) {
                break;
            }
        }
        0.5 * (lo + hi)
    }

    /// The cost-optimal (r, Q): golden-section search over Q of the cost at
    /// the optimal r for that Q. Returns (r, Q, cost).
    pub fn optimum(&self) -> (f64, f64, f64) {
        let at = |q: f64| self.cost(self.optimal_r(q), q);
        let start = eoq(self.fixed_cost, self.holding_cost, self.demand_rate)
            .unwrap_or(self.sigma.max(1.0));
        let (mut a, mut b) = (start * 1e-3, start * 10.0 + 10.0 * self.sigma);
        let g = 0.5 * (5f64.sqrt() - 1.0);
        let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
        let (mut fc, mut fd) = (at(c), at(d));
        for _ in 0..200 {
            if fc < fd {
                b = d;
                d = c;
                fd = fc;
                c = b - g * (b - a);
                fc = at(c);
            } else {
                a = c;
                c = d;
                fc = fd;
                d = a + g * (b - a);
                fd = at(d);
            }
            if b - a < 1e-9 * (1.0 + a) {
                break;
            }
        }
        let q = 0.5 * (a + b);
        let r = self.optimal_r(q);
        (r, q, self.cost(r, q))
    }
}

/// Fill rate a continuous-review (r, Q) system achieves under normal
/// lead-time demand: 1 − σ·(G(k) − G(k + Q/σ)) / Q, k = (r − μ)/σ.
pub fn normal_fill_rate(r: f64, q: f64, mu: f64, sigma: f64) -> f64 {
    if q <= 0.0 {
        return 0.0;
    }
    let short = normal_shortage(r, mu, sigma) - normal_shortage(r + q, mu, sigma);
    (1.0 - short / q).clamp(0.0, 1.0)
}

/// Most points an [`EmpiricalErrors`] keeps: larger pools are summarised by
/// the means of equal-count bins of the sorted errors (the mean, and the loss
/// function between bins, are kept).
pub const MAX_EMPIRICAL_POINTS: usize = 100;

/// Pooled standardised forecast errors for the two horizons a policy can
/// protect (see `forecast::pool_horizon_errors`); `None`: the normal.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeadTimeErrors {
    /// Over lead time + half a review period (a reorder point with an
    /// order of more than one review's demand).
    pub protection: Option<std::sync::Arc<EmpiricalErrors>>,
    /// Over lead time + a whole review period (a base stock ordered up to
    /// at every review).
    pub cycle: Option<std::sync::Arc<EmpiricalErrors>>,
}

/// An empirical distribution of standardised forecast errors (actual −
/// forecast over the protection horizon, in units of the forecast's spread),
/// pooled across series: its loss function E[(Z − k)⁺] replaces the normal's
/// when the errors have fatter tails or a bias the normal does not know.
#[derive(Debug, Clone, PartialEq)]
pub struct EmpiricalErrors {
    /// (value, weight), sorted by value; the weights sum to 1.
    points: Vec<(f64, f64)>,
    /// Errors pooled.
    count: usize,
}

impl EmpiricalErrors {
    /// The distribution of the finite values of `z`, equally weighted;
    /// `None` with fewer than `min_count` (at least 1) of them.
    pub fn new(z: Vec<f64>, min_count: usize) -> Option<EmpiricalErrors> {
        Self::weighted(z.into_iter().map(|v| (v, 1.0)).collect(), min_count)
    }

    /// The distribution of the finite values `z` with positive finite
    /// weights `w` of the pairs `(z, w)`; `None` when their effective number
    /// (Σw)² / Σw² is below `min_count` (at least 1). Sorted first (by value,
    /// then weight), so the result does not depend on the order of the pairs.
    pub fn weighted(mut zw: Vec<(f64, f64)>, min_count: usize) -> Option<EmpiricalErrors> {
        zw.retain(|(z, w)| z.is_finite() && w.is_finite() && *w > 0.0);
        let total: f64 = zw.iter().map(|p| p.1).sum();
        let squares: f64 = zw.iter().map(|p| p.1 * p.1).sum();
        if zw.is_empty() || total * total / squares < min_count.max(1) as f64 - 1e-9 {
            return None;
        }
        zw.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let n = zw.len();
        // Bins of about equal weight; a bin's point is its weighted mean.
        let m = n.min(MAX_EMPIRICAL_POINTS);
        let mut points = Vec::with_capacity(m);
        let (mut sum_w, mut sum_zw, mut done) = (0.0, 0.0, 0.0);
        for (i, &(z, w)) in zw.iter().enumerate() {
            sum_w += w;
            sum_zw += z * w;
            let closes = n <= MAX_EMPIRICAL_POINTS
                || (done + sum_w) / total * m as f64 >= (points.len() + 1) as f64 - 1e-9;
            if closes || i + 1 == n {
                points.push((sum_zw / sum_w, sum_w / total));
                done += sum_w;
                (sum_w, sum_zw) = (0.0, 0.0);
            }
        }
        Some(EmpiricalErrors { points, count: n })
    }

    /// Errors pooled.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Mean error.
    pub fn mean(&self) -> f64 {
        self.points.iter().map(|(z, w)| z * w).sum()
    }

    /// Standard deviation of the errors (of the bin means for large pools).
    pub fn sd(&self) -> f64 {
        let m = self.mean();
        self.points
            .iter()
            .map(|(z, w)| w * (z - m).powi(2))
            .sum::<f64>()
            .sqrt()
    }

    /// Largest error (largest bin mean).
    pub fn max(&self) -> f64 {
        self.points.last().map_or(0.0, |p| p.0)
    }

    /// Empirical loss G(k) = E[(Z − k)⁺].
    pub fn loss(&self, k: f64) -> f64 {
        self.points
            .iter()
            .rev()
            .take_while(|(z, _)| *z > k)
            .map(|(z, w)| w * (z - k))
            .sum()
    }

    /// The smallest k with G(k) = `loss` (G is piecewise linear, decreasing
    /// until the largest error, where it reaches 0): exact, between breakpoints.
    /// `loss` ≤ 0 gives the largest error.
    pub fn inverse_loss(&self, loss: f64) -> f64 {
        if loss.is_nan() || loss <= 0.0 {
            return self.max();
        }
        // Walk down the breakpoints: on [z_{j−1}, z_j] the slope is −P(Z > z_{j−1}).
        let mut tail = 0.0; // P(Z ≥ z_j)
        let mut g = 0.0; // G(z_j)
        for j in (0..self.points.len()).rev() {
            let (z, w) = self.points[j];
            tail += w;
            let below = if j > 0 {
                self.points[j - 1].0
            } else {
                f64::NEG_INFINITY
            };
            let g_below = g + tail * (z - below);
            if g_below >= loss || j == 0 {
                return z - (loss - g) / tail;
            }
            g = g_below;
        }
        self.mean() - loss
    }

    /// The smallest error with P(Z ≤ z) ≥ `p` (the empirical quantile).
    pub fn quantile(&self, p: f64) -> f64 {
        let mut cum = 0.0;
        for &(z, w) in &self.points {
            cum += w;
            if cum >= p - 1e-12 {
                return z;
            }
        }
        self.max()
    }

    /// Expected units short E[(X − t)⁺] for X = `scale`·Z + `sd`·N, N standard
    /// normal and independent of Z: the forecast error of the pool plus normal
    /// terms (lead-time spread, undershoot); the mean is left out (t is
    /// measured from it).
    pub fn shortage(&self, t: f64, scale: f64, sd: f64) -> f64 {
        self.shortage_and_tail(t, scale, sd).0
    }

    /// (E[(X − t)⁺], P(X > t)) for X = `scale`·Z + `sd`·N in one pass; points
    /// more than 9 `sd` from t take their limits (error below 1e-18).
    fn shortage_and_tail(&self, t: f64, scale: f64, sd: f64) -> (f64, f64) {
        let (mut short, mut tail) = (0.0, 0.0);
        for &(z, w) in &self.points {
            let gap = t - scale * z;
            if sd > 0.0 {
                let x = gap / sd;
                if x > 9.0 {
                    continue;
                }
                if x < -9.0 {
                    short -= w * gap;
                    tail += w;
                    continue;
                }
                let above = norm_cdf(-x);
                short += w * sd * (norm_pdf(x) - x * above).max(0.0);
                tail += w * above;
            } else if gap < 0.0 {
                short -= w * gap;
                tail += w;
            }
        }
        (short, tail)
    }

    /// (P(X ≤ t), its density at t) for X = `scale`·Z + `sd`·N, `sd` > 0, in
    /// one pass; points more than 9 `sd` from t take their limits (error
    /// below 1e-18).
    fn cdf_and_density(&self, t: f64, scale: f64, sd: f64) -> (f64, f64) {
        let (mut cdf, mut density) = (0.0, 0.0);
        for &(z, w) in &self.points {
            let x = (t - scale * z) / sd;
            if x > 9.0 {
                cdf += w;
            } else if x >= -9.0 {
                cdf += w * norm_cdf(x);
                density += w * norm_pdf(x) / sd;
            }
        }
        (cdf, density)
    }

    /// The offset t above the mean with E[(X − t)⁺] = `short` for X =
    /// `scale`·Z + `sd`·N (the fill-rate reorder point is μ + t). `short` ≤ 0
    /// gives the largest error plus 8 `sd`. Newton from the left, where the
    /// convex decreasing shortage makes it monotone, safeguarded by bisection.
    pub fn offset_for_shortage(&self, short: f64, scale: f64, sd: f64) -> f64 {
        let scale = scale.max(0.0);
        let sd = sd.max(0.0);
        let top = scale * self.max() + 8.0 * sd;
        if sd == 0.0 {
            return if scale > 0.0 {
                scale * self.inverse_loss(short / scale)
            } else {
                0.0
            };
        }
        if short.is_nan() || short <= 0.0 {
            return top;
        }
        // shortage(t) ≥ scale·mean − t: at t = scale·mean − short it is ≥ short.
        let (mut lo, mut hi) = (scale * self.mean() - short, top);
        if self.shortage(hi, scale, sd) >= short {
            return hi;
        }
        // Start at the normal answer with the same mean and spread: close, and
        // Newton's first step from anywhere lands left of the root (convexity).
        let spread = (scale * scale * self.sd().powi(2) + sd * sd).sqrt();
        let guess = scale * self.mean() + spread * inverse_normal_loss(short / spread);
        let mut t = if guess > lo && guess < hi { guess } else { lo };
        for _ in 0..100 {
            let (at, tail) = self.shortage_and_tail(t, scale, sd);
            let f = at - short;
            if f > 0.0 {
                lo = t;
            } else {
                hi = t;
            }
            let slope = -tail;
            let mut next = if slope < -1e-300 { t - f / slope } else { t };
            if !(next > lo && next < hi) {
                next = 0.5 * (lo + hi);
            }
            if (next - t).abs() <= 1e-10 * (1.0 + t.abs()) || hi - lo <= 1e-12 * (1.0 + t.abs()) {
                return next;
            }
            t = next;
        }
        t
    }

    /// The offset t above the mean with P(X ≤ t) = `alpha` for X =
    /// `scale`·Z + `sd`·N (the cycle-service reorder point is μ + t).
    pub fn offset_for_probability(&self, alpha: f64, scale: f64, sd: f64) -> f64 {
        let scale = scale.max(0.0);
        let sd = sd.max(0.0);
        if sd == 0.0 {
            return scale * self.quantile(alpha);
        }
        let first = self.points.first().map_or(0.0, |p| p.0);
        let (mut lo, mut hi) = (scale * first - 9.0 * sd, scale * self.max() + 9.0 * sd);
        // Newton from the normal answer with the same mean and spread,
        // safeguarded by bisection on the bracket [lo, hi].
        let spread = (scale * scale * self.sd().powi(2) + sd * sd).sqrt();
        let guess = scale * self.mean() + spread * norm_ppf(alpha);
        let mut t = if guess > lo && guess < hi {
            guess
        } else {
            0.5 * (lo + hi)
        };
        for _ in 0..100 {
            let (f, density) = self.cdf_and_density(t, scale, sd);
            if f < alpha {
                lo = t;
            } else {
                hi = t;
            }
            let mut next = if density > 1e-300 {
                t - (f - alpha) / density
            } else {
                t
            };
            if !(next > lo && next < hi) {
                next = 0.5 * (lo + hi);
            }
            if (next - t).abs() <= 1e-10 * (1.0 + t.abs()) || hi - lo <= 1e-12 * (1.0 + t.abs()) {
                return next;
            }
            t = next;
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_function_values() {
        // stockpyl.loss_functions.standard_normal_loss(1.3) = (0.045527962086514, 1.345527962086514)
        assert!((normal_loss(1.3) - 0.045_527_962_086_513_97).abs() < 1e-14);
        assert!((normal_loss(-1.3) - 1.345_527_962_086_514).abs() < 1e-14);
        assert!((normal_loss(0.0) - 1.0 / (2.0 * std::f64::consts::PI).sqrt()).abs() < 1e-15);
        // G₂(0) = 1/4.
        assert!((normal_loss2(0.0) - 0.25).abs() < 1e-15);
        for k in [-3.0, -1.0, 0.0, 0.7, 2.5] {
            let h = 1e-5;
            let slope = (normal_loss2(k + h) - normal_loss2(k - h)) / (2.0 * h);
            assert!((slope + normal_loss(k)).abs() < 1e-8, "G2' = -G at {k}");
        }
    }

    #[test]
    fn inverse_loss_round_trips() {
        for k in [-4.0, -1.5, -0.2, 0.0, 0.1, 0.71, 1.5, 3.0, 5.0] {
            let back = inverse_normal_loss(normal_loss(k));
            assert!((back - k).abs() < 1e-9, "{k} -> {back}");
        }
        assert_eq!(inverse_normal_loss(0.0), f64::INFINITY);
    }

    #[test]
    fn count_fill_reorder_point_by_hand() {
        // Poisson(1): P(0) = P(1) = 0.3679, P(2) = 0.1839.
        // L(0) = 1, L(1) = 1 − 0.6321 = 0.3679, L(2) = 0.3679 − 0.2642 = 0.1036.
        let s = |beta: f64, q: f64| count_reorder_point_fill(1.0, 1.0, beta, q).unwrap();
        assert_eq!(s(0.5, 2.0), 0.0); // target 1.0 ≥ L(0)
        assert_eq!(s(0.8, 2.0), 1.0); // target 0.4
        assert_eq!(s(0.9, 2.0), 2.0); // target 0.2
        let short = count_shortage(1.0, 1.0, 1.0).unwrap();
        assert!((short - (-1f64).exp()).abs() < 1e-12);
        let half = count_shortage(1.5, 1.0, 1.0).unwrap();
        assert!((half - 0.5 * ((-1f64).exp() + 0.103_638_323_514_327)).abs() < 1e-9);
        assert_eq!(count_reorder_point_fill(0.0, 0.0, 0.9, 5.0), Some(0.0));
    }

    #[test]
    fn empirical_loss_by_hand() {
        // Z ∈ {−1, 0, 1, 2}, a quarter each (given unsorted: the order does not matter).
        let e = EmpiricalErrors::new(vec![1.0, -1.0, 2.0, 0.0], 4).unwrap();
        assert_eq!((e.count(), e.mean(), e.max()), (4, 0.5, 2.0));
        // G(2) = 0; G(1) = ¼·1; G(0) = ¼·(1 + 2); G(−1) = ¼·(1 + 2 + 3); left of −1: 0.5 − k.
        assert_eq!(e.loss(2.0), 0.0);
        assert_eq!(e.loss(1.0), 0.25);
        assert_eq!(e.loss(0.0), 0.75);
        assert_eq!(e.loss(-1.0), 1.5);
        assert_eq!(e.loss(-3.0), 3.5);
        // Inverse, exact between breakpoints: G(1.6) = ¼·0.4 = 0.1, G(0.5) = ¼·(0.5 + 1.5).
        assert!((e.inverse_loss(0.1) - 1.6).abs() < 1e-12);
        assert!((e.inverse_loss(0.25) - 1.0).abs() < 1e-12);
        assert!((e.inverse_loss(0.5) - 0.5).abs() < 1e-12);
        assert!((e.inverse_loss(2.0) + 1.5).abs() < 1e-12);
        assert_eq!(e.inverse_loss(0.0), 2.0);
        // Quantiles: the smallest z with P(Z ≤ z) ≥ p.
        assert_eq!(e.quantile(0.5), 0.0);
        assert_eq!(e.quantile(0.51), 1.0);
        assert_eq!(e.quantile(0.9), 2.0);
        // Without a normal term the offset is σ_F times the standardised solution:
        // fill rate 95 % with Q = 20 and σ_F = 10: G(k) = 0.05·20/10 = 0.1 → k = 1.6.
        assert!((e.offset_for_shortage(0.05 * 20.0, 10.0, 0.0) - 16.0).abs() < 1e-9);
        assert!((e.shortage(16.0, 10.0, 0.0) - 1.0).abs() < 1e-12);
        assert_eq!(e.offset_for_probability(0.9, 10.0, 0.0), 20.0);
    }

    #[test]
    fn empirical_loss_needs_enough_errors_and_mixes_with_the_normal() {
        assert!(EmpiricalErrors::new(vec![0.5; 49], 50).is_none());
        // Weighted: −1 with weight 1, 3 with weight 3: mean 2, G(0) = ¾·3;
        // effective number (1 + 3)² / (1 + 9) = 1.6.
        let w = EmpiricalErrors::weighted(vec![(3.0, 3.0), (-1.0, 1.0)], 1).unwrap();
        assert_eq!((w.mean(), w.loss(0.0), w.quantile(0.25)), (2.0, 2.25, -1.0));
        assert!(EmpiricalErrors::weighted(vec![(3.0, 3.0), (-1.0, 1.0)], 2).is_none());
        assert!(EmpiricalErrors::new(vec![0.5, f64::NAN, f64::INFINITY], 2).is_none());
        // One error at 0: X = σ_O·N, the normal loss function again.
        let zero = EmpiricalErrors::new(vec![0.0; 3], 1).unwrap();
        for short in [0.01, 0.3, 2.0] {
            let t = zero.offset_for_shortage(short, 5.0, 4.0);
            assert!(
                (t - 4.0 * inverse_normal_loss(short / 4.0)).abs() < 1e-7,
                "{short}"
            );
            assert!((zero.shortage(t, 5.0, 4.0) - short).abs() < 1e-10);
        }
        let p = zero.offset_for_probability(0.95, 5.0, 4.0);
        assert!((p - 4.0 * norm_ppf(0.95)).abs() < 1e-7);
        // A large pool is summarised by bin means: mean and order kept, at most 100 points.
        let z: Vec<f64> = (0..1000).map(|i| f64::from(i) / 100.0).collect();
        let big = EmpiricalErrors::new(z, 50).unwrap();
        assert_eq!(big.count(), 1000);
        assert!((big.mean() - 4.995).abs() < 1e-9);
        assert!((big.max() - 9.945).abs() < 1e-9);
        // Fat tail: a pool with the normal's spread but heavier right tail needs more.
        let t = big.offset_for_shortage(0.02, 1.0, 1.0);
        assert!(t.is_finite() && (big.shortage(t, 1.0, 1.0) - 0.02).abs() < 1e-9);
        // The cycle-service offset solves P(X ≤ t) = α, the normal term
        // narrow or wide against the pool's spread.
        for (alpha, sd) in [
            (0.5, 0.05),
            (0.9, 0.3),
            (0.99, 3.0),
            (1e-6, 0.3),
            (0.999_999, 0.05),
        ] {
            let t = big.offset_for_probability(alpha, 2.0, sd);
            let (p, _) = big.cdf_and_density(t, 2.0, sd);
            assert!((p - alpha).abs() < 1e-9, "{alpha} {sd}: {p}");
        }
    }

    #[test]
    fn eoq_edge_cases() {
        assert!((eoq(8.0, 0.225, 1300.0).unwrap() - 304.046_780_026_436_8).abs() < 1e-9);
        assert_eq!(eoq(8.0, 0.0, 1300.0), None);
        assert_eq!(eoq(0.0, 1.0, 1300.0), None);
        assert_eq!(eoq(8.0, 1.0, 0.0), None);
    }
}
