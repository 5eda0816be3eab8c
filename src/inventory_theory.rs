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
    let pmf = CountPmf::new(mean, var)?;
    let whole = s.max(0.0).floor() as usize;
    let (mut loss, mut cdf) = (mean, 0.0);
    for p in pmf.take(whole) {
        cdf += p;
        loss -= (1.0 - cdf).max(0.0);
    }
    // Fractional s: the loss is linear between whole numbers with slope −P(X > ⌊s⌋).
    let frac = s.max(0.0) - whole as f64;
    let next = CountPmf::new(mean, var)?.take(whole + 1).sum::<f64>();
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
    fn eoq_edge_cases() {
        assert!((eoq(8.0, 0.225, 1300.0).unwrap() - 304.046_780_026_436_8).abs() < 1e-9);
        assert_eq!(eoq(8.0, 0.0, 1300.0), None);
        assert_eq!(eoq(0.0, 1.0, 1300.0), None);
        assert_eq!(eoq(8.0, 1.0, 0.0), None);
    }
}
