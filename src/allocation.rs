//! Pooled service allocation (`policy.service_allocation = "pooled"`): the
//! per-series service levels that reach a fill-rate target in aggregate over
//! a group of series (an ABC class) with the least stock, instead of every
//! series at the target.
//!
//! Minimise Σ cᵢ·sᵢ (stock value, units when no costs are known; sᵢ the
//! reorder point, which moves the mean stock one for one) subject to the
//! demand-weighted fill rate Σ dᵢ·βᵢ / Σ dᵢ ≥ β. Each series offers a grid
//! of cycle-service levels, and at each the reorder point and fill rate the
//! policy itself computes ([`ServiceCurve`]); for a multiplier μ every
//! series takes the point that maximises dᵢ·βᵢ − μ·cᵢ·sᵢ (Lagrangian
//! relaxation: the lower hull of its stock against its fill rate), and μ is
//! found by bisection so that the aggregate reaches β. Exact for whatever
//! the policy does — normal, empirical or count lead-time demand, a slow
//! mover's demand process, a base stock ordered up to at every review or a
//! larger order below s — where the closed form of Silver–Pyke–Peterson
//! ("allocation of a total safety stock": stock-out probability per cycle
//! in proportion to cost times cycle length) holds only for the normal
//! (s, Q) approximation, and gave the base stocks of slow movers far less
//! than their share. Cheap and steady series get a higher level, costly and
//! noisy ones a lower: with equal prices the units go where they add most
//! fill rate.

use rayon::prelude::*;

use crate::policy::{LeadTimeDistribution, PolicyInput, ServiceTarget, plan, service_points};

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
    /// Reorder point (units) at each stock-out probability of the grid.
    pub stock: Vec<f64>,
    /// Expected demand per day: the weight of the series' fill rate.
    pub demand: f64,
    /// Cost of a unit of stock.
    pub price: f64,
}

impl ServiceCurve {
    /// The curve of one series: `input` as planned (its service target is
    /// replaced), `unit_cost` the cost of one unit of stock (1 for units).
    pub fn new(input: &PolicyInput, unit_cost: f64) -> ServiceCurve {
        let levels: Vec<f64> = stockout_grid().into_iter().map(|p| 1.0 - p).collect();
        let (fill, stock) = service_points(input, &levels).into_iter().unzip();
        let mut input = input.clone();
        input.service = ServiceTarget::CycleService(0.5);
        let out = plan(&input);
        let demand = planned_demand(&input, &out);
        ServiceCurve {
            fill,
            stock,
            demand: if demand.is_finite() { demand } else { 0.0 },
            price: if unit_cost.is_finite() {
                unit_cost.max(0.0)
            } else {
                0.0
            },
        }
    }

    /// The curve without the grid points whose fill rate is below `floor`
    /// (`policy.pooled_min_fill_rate`): the allocation may not plan the
    /// series lower. The grid's first point (its highest level) stays
    /// when none reaches the floor.
    pub fn with_floor(mut self, floor: f64) -> ServiceCurve {
        let keep = self.fill.iter().take_while(|&&f| f >= floor).count().max(1);
        self.fill.truncate(keep);
        self.stock.truncate(keep);
        self
    }

    /// The grid point that maximises d·β − μ·c·s; of equal ones the one
    /// with the least stock.
    fn choose(&self, mu: f64) -> usize {
        let value = |k: usize| self.demand * self.fill[k] - mu * self.price * self.stock[k];
        let last = self.fill.len().min(self.stock.len()).saturating_sub(1);
        let (mut best, mut top) = (last, value(last));
        for k in (0..last).rev() {
            let v = value(k);
            if v > top {
                (best, top) = (k, v);
            }
        }
        best
    }

    /// Fill-rate gained per unit of money between neighbouring grid points
    /// with different stock: the multipliers at which the choice moves.
    fn slopes(&self) -> impl Iterator<Item = f64> + '_ {
        let n = self.fill.len().min(self.stock.len());
        (1..n).filter_map(move |k| {
            let ds = (self.stock[k - 1] - self.stock[k]) * self.price;
            let df = (self.fill[k - 1] - self.fill[k]) * self.demand;
            (ds > 1e-12 && df > 0.0).then(|| df / ds)
        })
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
/// rate `target` over the curves with the least stock value (see the
/// module). When even every series' highest fill rate falls short of the
/// target, each series gets the level of its highest; series without
/// demand get the grid's lowest level (no weight in the fill rate: nothing
/// to hold stock for).
pub fn allocate(curves: &[ServiceCurve], target: f64) -> Vec<f64> {
    let grid = stockout_grid();
    let p_hi = grid[grid.len() - 1];
    let total: f64 = curves.iter().map(|c| c.demand.max(0.0)).sum();
    // Each curve's choice on its own (in parallel: a bisection step reads
    // every grid point of every curve); the fill rate sums them in order.
    let choices = |mu: f64| -> Vec<Option<usize>> {
        curves
            .par_iter()
            .map(|c| (c.demand > 0.0 && !c.fill.is_empty()).then(|| c.choose(mu)))
            .collect()
    };
    let fill = |k: &[Option<usize>]| -> f64 {
        curves
            .iter()
            .zip(k)
            .filter_map(|(c, k)| k.map(|k| c.demand * c.fill[k]))
            .sum::<f64>()
            / total
    };
    let levels = |k: Vec<Option<usize>>| -> Vec<f64> {
        k.into_iter()
            .map(|k| 1.0 - k.map_or(p_hi, |k| grid[k]))
            .collect()
    };
    let (lo, hi) = curves
        .iter()
        .flat_map(ServiceCurve::slopes)
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), s| {
            (lo.min(s), hi.max(s))
        });
    if total <= 0.0 || !total.is_finite() || hi <= 0.0 {
        return levels(choices(0.0));
    }
    // Below lo every series takes its highest fill rate; above hi its least stock.
    let (mut a, mut b) = ((lo / 2.0).ln(), (hi * 2.0).ln());
    if fill(&choices(b.exp())) >= target {
        return levels(choices(b.exp()));
    }
    if fill(&choices(a.exp())) < target {
        return levels(choices(a.exp()));
    }
    // Invariant: the aggregate reaches the target at a, not at b.
    for _ in 0..60 {
        let m = 0.5 * (a + b);
        if fill(&choices(m.exp())) >= target {
            a = m;
        } else {
            b = m;
        }
    }
    levels(choices(a.exp()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::DailyRate;

    /// A curve of the grid's length from its first points (fill rate,
    /// stock); the rest repeat the last.
    fn steps(demand: f64, price: f64, points: &[(f64, f64)]) -> ServiceCurve {
        let n = stockout_grid().len();
        let at = |k: usize| points[k.min(points.len() - 1)];
        ServiceCurve {
            fill: (0..n).map(|k| at(k).0).collect(),
            stock: (0..n).map(|k| at(k).1).collect(),
            demand,
            price,
        }
    }

    #[test]
    fn a_floor_keeps_every_series_at_or_above_it() {
        // Alone against a 50 % target A would take its 0.5 point (no stock,
        // the grid's lowest level); with a 0.8 floor it may not go below
        // its 0.9 point.
        let a = steps(1.0, 1.0, &[(1.0, 10.0), (0.9, 5.0), (0.5, 0.0)]);
        let level = allocate(std::slice::from_ref(&a), 0.5)[0];
        assert!((level - 0.05).abs() < 1e-12, "{level}");
        let floored = a.with_floor(0.8);
        assert_eq!(floored.fill, vec![1.0, 0.9]);
        let level = allocate(&[floored], 0.5)[0];
        assert!(
            (level - (1.0 - stockout_grid()[1])).abs() < 1e-12,
            "{level}"
        );
        // No point reaches the floor: the highest stays.
        let low = steps(1.0, 1.0, &[(0.4, 3.0), (0.3, 0.0)]).with_floor(0.8);
        assert_eq!(low.fill, vec![0.4]);
    }

    #[test]
    fn unknown_costs_take_the_mean_of_the_known() {
        assert_eq!(unit_prices(&[0.0, 0.0]), vec![1.0, 1.0]);
        assert_eq!(unit_prices(&[2.0, 0.0, 4.0]), vec![2.0, 3.0, 4.0]);
    }

    #[test]
    fn the_grid() {
        let g = stockout_grid();
        assert_eq!(g.len(), 48);
        assert!((g[0] - 1e-5).abs() < 1e-12 && (g[47] - 0.95).abs() < 1e-12);
    }

    #[test]
    fn the_units_go_where_they_add_most_fill_rate() {
        // Equal demand and price. A: fill 1.0 / 0.9 / 0.5 at stock 10 / 5 /
        // 0; B: the same fill rates at stock 4 / 2 / 0. For 95 % together
        // the choices are (1.0, 0.9) at 12 units, (0.9, 1.0) at 9 or
        // (1.0, 1.0) at 14: A at its second point, B at its first.
        let g = stockout_grid();
        let a = steps(1.0, 1.0, &[(1.0, 10.0), (0.9, 5.0), (0.5, 0.0)]);
        let b = steps(1.0, 1.0, &[(1.0, 4.0), (0.9, 2.0), (0.5, 0.0)]);
        let levels = allocate(&[a.clone(), b.clone()], 0.95);
        assert_eq!(levels, vec![1.0 - g[1], 1.0 - g[0]]);
        // B's stock four times dearer (16 for its first point): A at its
        // first, B at its second (10 + 8 against 5 + 16).
        let dear = ServiceCurve {
            price: 4.0,
            ..b.clone()
        };
        assert_eq!(
            allocate(&[a.clone(), dear], 0.95),
            vec![1.0 - g[0], 1.0 - g[1]]
        );
        // For 80 % with equal demand, both at their second points (0.9, 7
        // units); with three times A's demand A's fill rate weighs 3/4, and
        // A at its second with B at its last is enough (0.8, 5 units).
        assert_eq!(
            allocate(&[a.clone(), b.clone()], 0.8),
            vec![1.0 - g[1], 1.0 - g[1]]
        );
        let heavy = ServiceCurve {
            demand: 3.0,
            ..a.clone()
        };
        assert_eq!(
            allocate(&[heavy, b.clone()], 0.8),
            vec![1.0 - g[1], 1.0 - g[47]]
        );
        // Out of reach: every series at its highest fill rate, with the
        // least stock that gives it; no demand: the grid's lowest level.
        let idle = ServiceCurve { demand: 0.0, ..b };
        assert_eq!(allocate(&[a, idle], 1.0), vec![1.0 - g[0], 1.0 - g[47]]);
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
        // The curve's shortcut (the process worked out once) answers as the
        // policy does at each level, with and without an order larger than
        // a review's demand.
        for moq in [0.0, 9.0] {
            let input = PolicyInput {
                moq,
                ..input.clone()
            };
            let fast = ServiceCurve::new(&input, 1.0);
            for (k, p) in stockout_grid().into_iter().enumerate() {
                let one = PolicyInput {
                    service: ServiceTarget::CycleService(1.0 - p),
                    ..input.clone()
                };
                let (fill, stock) = crate::policy::service_point(&one);
                assert_eq!(
                    (fast.fill[k], fast.stock[k]),
                    (fill, stock),
                    "moq {moq} point {k}"
                );
            }
        }
        assert!((curve.demand - 0.4 / 7.0).abs() < 1e-9, "{}", curve.demand);
        assert!(curve.stock[0] > curve.stock[47] && curve.fill[0] > curve.fill[47]);
        // Beside a fast mover it is allocated a level from its own curve,
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
        // pooled allocation reaches 95 % together with less.
        let inputs = [
            normal_series(100.0, 10.0),
            normal_series(100.0, 40.0),
            normal_series(100.0, 120.0),
        ];
        let curves: Vec<ServiceCurve> = inputs.iter().map(|i| ServiceCurve::new(i, 1.0)).collect();
        for c in &curves {
            assert!((c.demand - 100.0 / 7.0).abs() < 1e-9);
        }
        let levels = allocate(&curves, 0.95);
        let (mut pooled_fill, mut pooled_ss, mut uniform_ss) = (0.0, 0.0, 0.0);
        for (input, &alpha) in inputs.iter().zip(&levels) {
            let mut i = input.clone();
            i.service = ServiceTarget::CycleService(alpha);
            let out = plan(&i);
            pooled_fill += out.expected_fill_rate / 3.0;
            pooled_ss += out.safety_stock;
            uniform_ss += plan(input).safety_stock;
        }
        // At or above the target, by no more than a grid step.
        assert!((0.95..0.96).contains(&pooled_fill), "{pooled_fill}");
        assert!(pooled_ss < uniform_ss, "{pooled_ss} vs {uniform_ss}");
    }
}
