//! Pooled service allocation (`policy.service_allocation = "pooled"`): the
//! per-series service levels that reach a fill-rate target in aggregate over
//! a group of series (an ABC class) with the least stock, instead of every
//! series at the target.
//!
//! Minimise Σ cᵢ·sᵢ (stock cost, units when no costs are known) subject to
//! the demand-weighted fill rate Σ dᵢ·βᵢ / Σ dᵢ = β, with βᵢ = 1 −
//! E[(Xᵢ − sᵢ)⁺]/Qᵢ. One more unit of reorder point raises βᵢ by
//! P(Xᵢ > sᵢ)/Qᵢ, so at the optimum (Lagrange multiplier λ)
//! cᵢ = λ·dᵢ·P(Xᵢ > sᵢ)/Qᵢ: the stock-out probability per cycle is
//! Pᵢ = cᵢ·Tᵢ/λ, with Tᵢ = Qᵢ/dᵢ the cycle length (Silver–Pyke–Peterson,
//! "allocation of a total safety stock"). Series whose stock is cheap or whose
//! cycles are short get a higher cycle-service level; with equal costs and
//! cycles every series gets the same cycle-service level, not the same fill
//! rate. λ is found by bisection on the fill rates the policy expects at a
//! grid of cycle-service levels ([`ServiceCurve`]), so the allocation holds
//! for every lead-time distribution the policy uses (normal, empirical,
//! Poisson, negative binomial).

use crate::policy::{LeadTimeDistribution, PolicyInput, ServiceTarget, expected_fill_rate, plan};

/// Stock-out probabilities per cycle of the grid (1 − cycle-service level):
/// 48 points spaced evenly in log between 10⁻⁵ and 0.95.
pub fn stockout_grid() -> Vec<f64> {
    const N: usize = 48;
    let (lo, hi) = (1e-5f64.ln(), 0.95f64.ln());
    (0..N)
        .map(|i| (lo + (hi - lo) * i as f64 / (N - 1) as f64).exp())
        .collect()
}

/// What the allocation needs to know of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceCurve {
    /// Expected fill rate at each stock-out probability of [`stockout_grid`].
    pub fill: Vec<f64>,
    /// Expected demand per day: the weight of the series' fill rate.
    pub demand: f64,
    /// Cost of a unit of stock times the cycle length Q/d in days: the price
    /// of stock-out probability in the Lagrangian (Pᵢ = cost_cycle / λ).
    pub cost_cycle: f64,
}

impl ServiceCurve {
    /// The curve of one series: `input` as planned (its service target is
    /// replaced), `unit_cost` the cost of one unit of stock (1 for units).
    pub fn new(input: &PolicyInput, unit_cost: f64) -> ServiceCurve {
        let mut input = input.clone();
        let fill = stockout_grid()
            .into_iter()
            .map(|p| {
                input.service = ServiceTarget::CycleService(1.0 - p);
                expected_fill_rate(&input)
            })
            .collect();
        input.service = ServiceTarget::CycleService(0.5);
        let out = plan(&input);
        let review = input.review_period_days.max(0.0);
        let demand = planned_demand(&input, &out);
        // A cycle lasts an order's demand, and at least one review period (a
        // base stock ordered up to at every review has a cycle per review).
        let cost_cycle = if demand > 0.0 {
            unit_cost.max(0.0) * (out.cycle_quantity / demand).max(review)
        } else {
            0.0
        };
        ServiceCurve {
            fill,
            demand: if demand.is_finite() { demand } else { 0.0 },
            cost_cycle: if cost_cycle.is_finite() {
                cost_cycle
            } else {
                0.0
            },
        }
    }

    /// Expected fill rate at stock-out probability `p` (linear between the
    /// grid's points, the end points beyond them).
    pub fn fill_at(&self, p: f64, grid: &[f64]) -> f64 {
        let n = grid.len().min(self.fill.len());
        if n == 0 {
            return 1.0;
        }
        if p <= grid[0] {
            return self.fill[0];
        }
        for i in 1..n {
            if p <= grid[i] {
                let x = (p - grid[i - 1]) / (grid[i] - grid[i - 1]);
                return self.fill[i - 1] + (self.fill[i] - self.fill[i - 1]) * x;
            }
        }
        self.fill[n - 1]
    }
}

/// Expected demand per day as the policy planned it: a slow mover's demand
/// process when its lead-time demand came from it (its forecast may be 0
/// while the process sees demand), else the forecast over the protection
/// interval (lead time + half a review).
fn planned_demand(input: &PolicyInput, out: &crate::policy::PolicyOutput) -> f64 {
    let from_process = matches!(
        out.distribution,
        LeadTimeDistribution::Compound | LeadTimeDistribution::Bootstrap
    );
    if let Some(process) = input.demand_process.as_deref().filter(|_| from_process)
        && input.bucket_days > 0.0
    {
        return process.mean() / input.bucket_days;
    }
    let protection = input.lead_time_days.max(0.0) + input.review_period_days.max(0.0) / 2.0;
    if protection > 0.0 {
        input.rate.between(0.0, protection) / protection
    } else {
        input.rate.at(0)
    }
}

/// What a unit of stock costs each series in the allocation: its unit cost;
/// without one, the mean of the known unit costs (1 when none is known:
/// stock in units).
pub fn unit_prices(unit_costs: &[f64]) -> Vec<f64> {
    let known: Vec<f64> = unit_costs
        .iter()
        .copied()
        .filter(|c| c.is_finite() && *c > 0.0)
        .collect();
    let fallback = if known.is_empty() {
        1.0
    } else {
        known.iter().sum::<f64>() / known.len() as f64
    };
    unit_costs
        .iter()
        .map(|&c| {
            if c.is_finite() && c > 0.0 {
                c
            } else {
                fallback
            }
        })
        .collect()
}

/// Cycle-service levels, one per curve, that reach the demand-weighted fill
/// rate `target` over the curves with the least stock cost (Pᵢ = cᵢ·Tᵢ/λ,
/// kept within the grid). When even the grid's highest levels fall short of
/// the target they are returned; series without demand get the grid's
/// lowest level (no weight in the fill rate: nothing to hold stock for).
pub fn allocate(curves: &[ServiceCurve], target: f64) -> Vec<f64> {
    let grid = stockout_grid();
    let (p_lo, p_hi) = (grid[0], grid[grid.len() - 1]);
    let total: f64 = curves.iter().map(|c| c.demand).sum();
    let probabilities = |lambda: f64| -> Vec<f64> {
        curves
            .iter()
            .map(|c| {
                if c.demand > 0.0 {
                    (c.cost_cycle / lambda).clamp(p_lo, p_hi)
                } else {
                    p_hi
                }
            })
            .collect()
    };
    let fill = |p: &[f64]| -> f64 {
        curves
            .iter()
            .zip(p)
            .map(|(c, &p)| c.demand * c.fill_at(p, &grid))
            .sum::<f64>()
            / total
    };
    let levels = |p: Vec<f64>| p.into_iter().map(|p| 1.0 - p).collect();
    if total <= 0.0 || !total.is_finite() {
        return levels(vec![p_lo; curves.len()]);
    }
    // λ over which every P moves from the grid's top to its bottom.
    let priced: Vec<f64> = curves
        .iter()
        .filter(|c| c.demand > 0.0 && c.cost_cycle > 0.0)
        .map(|c| c.cost_cycle)
        .collect();
    if priced.is_empty() {
        return levels(vec![p_lo; curves.len()]);
    }
    let lo = (priced.iter().copied().fold(f64::INFINITY, f64::min) / p_hi).ln();
    let hi = (priced.iter().copied().fold(0.0, f64::max) / p_lo).ln();
    if fill(&probabilities(hi.exp())) <= target {
        return levels(probabilities(hi.exp()));
    }
    if fill(&probabilities(lo.exp())) >= target {
        return levels(probabilities(lo.exp()));
    }
    let (mut a, mut b) = (lo, hi);
    for _ in 0..60 {
        let m = 0.5 * (a + b);
        if fill(&probabilities(m.exp())) < target {
            a = m;
        } else {
            b = m;
        }
    }
    levels(probabilities(b.exp()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::DailyRate;

    /// A curve whose fill rate at stock-out probability p is 1 − p.
    fn linear(demand: f64, cost_cycle: f64) -> ServiceCurve {
        ServiceCurve {
            fill: stockout_grid().into_iter().map(|p| 1.0 - p).collect(),
            demand,
            cost_cycle,
        }
    }

    #[test]
    fn unknown_costs_take_the_mean_of_the_known() {
        assert_eq!(unit_prices(&[0.0, 0.0]), vec![1.0, 1.0]);
        assert_eq!(unit_prices(&[2.0, 0.0, 4.0]), vec![2.0, 3.0, 4.0]);
    }

    #[test]
    fn grid_and_interpolation() {
        let g = stockout_grid();
        assert_eq!(g.len(), 48);
        assert!((g[0] - 1e-5).abs() < 1e-12 && (g[47] - 0.95).abs() < 1e-12);
        let c = linear(1.0, 1.0);
        // Linear in p between the grid's points: exact for 1 − p.
        assert!((c.fill_at(0.02, &g) - 0.98).abs() < 1e-12);
        assert_eq!(c.fill_at(0.0, &g), 1.0 - 1e-5);
        assert!((c.fill_at(1.0, &g) - 0.05).abs() < 1e-12);
    }

    #[test]
    fn stockout_probability_in_proportion_to_cost_times_cycle() {
        // Equal demand; the second series' stock costs twice as much per
        // cycle: P₂ = 2·P₁. Aggregate fill 1 − (P₁ + P₂)/2 = 0.97 gives
        // P₁ = 0.02, P₂ = 0.04.
        let a = allocate(&[linear(1.0, 1.0), linear(1.0, 2.0)], 0.97);
        assert!((a[0] - 0.98).abs() < 1e-9, "{a:?}");
        assert!((a[1] - 0.96).abs() < 1e-9, "{a:?}");
        // Demand weights: 3 units a day on the first, 1 on the second, equal
        // prices: the same P for both, 0.03.
        let a = allocate(&[linear(3.0, 1.0), linear(1.0, 1.0)], 0.97);
        assert!((a[0] - 0.97).abs() < 1e-9 && (a[1] - 0.97).abs() < 1e-9);
        // Beyond the grid: the highest levels; no demand: the lowest level.
        let a = allocate(&[linear(1.0, 1.0), linear(0.0, 1.0)], 1.0);
        assert!((a[0] - (1.0 - 1e-5)).abs() < 1e-12, "{a:?}");
        assert!((a[1] - 0.05).abs() < 1e-12, "{a:?}");
    }

    fn normal_series(weekly: f64, weekly_sd: f64) -> PolicyInput {
        PolicyInput {
            rate: DailyRate::new(vec![weekly / 7.0]),
            sigma_bucket: weekly_sd,
            lead_time_days: 28.0,
            review_period_days: 7.0,
            order_cycle_days: 28.0,
            service: ServiceTarget::FillRate(0.95),
            pack_size: 1e-6,
            projection_days: 60,
            ..PolicyInput::default()
        }
    }

    #[test]
    fn a_slow_mover_forecast_at_zero_weighs_its_demand_process() {
        use crate::demand_process::{DemandProcess, SlowMoverDemand};
        // Two units every fifth week: 0.4 a week, though the forecast says 0.
        let y: Vec<f64> = (0..100)
            .map(|t| if t % 5 == 4 { 2.0 } else { 0.0 })
            .collect();
        let process = DemandProcess::estimate(&y, 100, SlowMoverDemand::Compound).unwrap();
        let input = PolicyInput {
            count_below: 10.0,
            demand_process: Some(std::sync::Arc::new(process)),
            ..normal_series(0.0, 0.0)
        };
        let curve = ServiceCurve::new(&input, 1.0);
        assert!((curve.demand - 0.4 / 7.0).abs() < 1e-9, "{}", curve.demand);
        assert!(curve.cost_cycle > 0.0);
        // Beside a fast mover it is allocated a level from its own price,
        // not the grid's highest.
        let levels = allocate(
            &[curve, ServiceCurve::new(&normal_series(100.0, 40.0), 1.0)],
            0.95,
        );
        assert!(levels[0] < 1.0 - 1e-5, "{levels:?}");
    }

    #[test]
    fn pooled_target_is_met_with_less_safety_stock_than_uniform() {
        // Three series, the same demand, noisy to steady, one 4-week cycle
        // each: a uniform 95 % fill rate protects the noisy one most; the
        // pooled allocation gives all the same cycle-service level.
        let inputs = [
            normal_series(100.0, 10.0),
            normal_series(100.0, 40.0),
            normal_series(100.0, 120.0),
        ];
        let curves: Vec<ServiceCurve> = inputs.iter().map(|i| ServiceCurve::new(i, 1.0)).collect();
        // 4 weeks of 100/7 a day: T = 28 days for each.
        for c in &curves {
            assert!((c.demand - 100.0 / 7.0).abs() < 1e-9);
            assert!((c.cost_cycle - 28.0).abs() < 1e-6);
        }
        let levels = allocate(&curves, 0.95);
        assert!((levels[0] - levels[1]).abs() < 1e-12 && (levels[1] - levels[2]).abs() < 1e-12);
        let (mut pooled_fill, mut pooled_ss, mut uniform_ss) = (0.0, 0.0, 0.0);
        for (input, &alpha) in inputs.iter().zip(&levels) {
            let mut i = input.clone();
            i.service = ServiceTarget::CycleService(alpha);
            let out = plan(&i);
            pooled_fill += out.expected_fill_rate / 3.0;
            pooled_ss += out.safety_stock;
            uniform_ss += plan(input).safety_stock;
        }
        assert!((pooled_fill - 0.95).abs() < 1e-3, "{pooled_fill}");
        assert!(pooled_ss < uniform_ss, "{pooled_ss} vs {uniform_ss}");
    }
}
