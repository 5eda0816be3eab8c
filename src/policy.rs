//! Replenishment policy: inventory position, lead-time demand, safety stock for
//! a service target, reorder point, order-up-to level and the recommended
//! order rounded to MOQ and pack size, with the dates a buyer needs.
//!
//! Periodic review (the weekly batch): an order placed now arrives after the
//! lead time L; the next chance to order comes after the review period R
//! (R = 0 is continuous review). The position falls below the reorder point
//! between two reviews and the order goes out at the next one, on average R/2
//! later, so the reorder point covers demand over L + R/2 (the lead time and
//! the average undershoot; a replay of i.i.d. demand under this policy meets
//! fill-rate targets from 50 to 99 % within about a point, where L + R
//! overshoots by up to 15 points; see the tests of `simulate::engine`):
//!
//! * μ = forecast demand over L + R/2 days;
//! * σ² = (L + R/2)/b · σ_d² + d² · σ_L² + (d · R)²/12, with σ_d the one-bucket
//!   forecast error, b the bucket length in days, d = μ/(L + R/2) the daily
//!   demand, σ_L the lead-time spread and the last term the undershoot's;
//! * the order quantity Q of one replenishment cycle is the EOQ when order and
//!   holding costs are known, else the demand over the order cycle, and at
//!   least one review period's demand;
//! * reorder point s for the target: a cycle-service target α gives
//!   s = μ + Φ⁻¹(α)·σ; a fill-rate target β gives s = μ + k·σ with
//!   G(k) = (1 − β)·Q / σ (the normal loss function, Silver–Pyke–Peterson),
//!   Q rounded up to MOQ and pack as the order will be. Slow movers (few
//!   units over L + R/2, or an intermittent pattern) use a Poisson or, when
//!   over-dispersed, negative-binomial lead-time demand instead: the smallest
//!   whole s with P(X ≤ s) ≥ α, or with E[(X − s)⁺] ≤ (1 − β)·Q;
//! * with pooled forecast errors (`policy.lead_time_demand = "empirical"`),
//!   regular demand is X = μ + σ_F·Z + σ_O·N instead: σ_F² the forecast term
//!   above, Z drawn from the backtest's standardised errors summed over the
//!   protection horizon (bias, fat tails and errors that persist from bucket
//!   to bucket included), σ_O² the lead-time and undershoot terms with N
//!   standard normal; s = μ + t with E[(X − μ − t)⁺] = (1 − β)·Q, or
//!   P(X ≤ μ + t) = α;
//! * safety stock = s − μ; it is negative when the order quantity alone gives
//!   more than a fill-rate target (the reorder point never goes below zero);
//! * order-up-to S = s + Q;
//! * order S − IP when the inventory position IP is below s, rounded up to the
//!   MOQ and to a multiple of the pack size;
//! * open customer backorders that neither the stock on hand nor the purchase
//!   orders due within the lead time cover always get a line that covers them.

use std::sync::Arc;

use crate::demand_process::{DemandProcess, LeadTimePmfs, SlowMoverDemand};
use crate::inventory_theory::{
    LeadTimeErrors, count_reorder_point_cycle, count_reorder_point_fill, count_shortage,
    cycle_service_factor, fill_rate_factor, normal_shortage,
};
use crate::stats::CountPmf;
use crate::stats::norm_cdf;

/// A service target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ServiceTarget {
    /// Probability of no stock-out in a replenishment cycle, in (0, 1).
    CycleService(f64),
    /// Share of demand served from stock, in (0, 1).
    FillRate(f64),
}

impl ServiceTarget {
    /// The target level.
    pub fn level(self) -> f64 {
        match self {
            ServiceTarget::CycleService(x) | ServiceTarget::FillRate(x) => x,
        }
    }

    /// Name for reports: `cycle_service` or `fill_rate`.
    pub fn kind(self) -> &'static str {
        match self {
            ServiceTarget::CycleService(_) => "cycle_service",
            ServiceTarget::FillRate(_) => "fill_rate",
        }
    }
}

/// The distribution of demand over lead time + half a review period (the protection interval).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadTimeDistribution {
    /// Normal with the forecast-error and lead-time spread.
    Normal,
    /// Poisson (variance not above the mean).
    Poisson,
    /// Negative binomial (over-dispersed counts).
    NegativeBinomial,
    /// The pooled empirical distribution of standardised forecast errors over
    /// the protection interval, plus normal lead-time and undershoot terms.
    Empirical,
    /// A slow mover's demand process (occurrence and sizes from its history)
    /// compounded over the lead time and the review period.
    Compound,
    /// A slow mover's history resampled over the lead time and the review
    /// period (Willemain's bootstrap).
    Bootstrap,
}

impl LeadTimeDistribution {
    /// Name for reports.
    pub fn name(self) -> &'static str {
        match self {
            LeadTimeDistribution::Normal => "normal",
            LeadTimeDistribution::Poisson => "poisson",
            LeadTimeDistribution::NegativeBinomial => "negative_binomial",
            LeadTimeDistribution::Empirical => "empirical",
            LeadTimeDistribution::Compound => "compound",
            LeadTimeDistribution::Bootstrap => "bootstrap",
        }
    }
}

/// Expected demand per day from the as-of date on.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyRate {
    /// (first day, rate) of each run of days at one rate, by day, the first
    /// from day 0: a forecast per bucket holds a rate for a bucket's days,
    /// kept once (not once per day).
    runs: Vec<(usize, f64)>,
}

impl DailyRate {
    /// Daily rates `rates[i]` for day as-of + i; beyond the end the last rate holds.
    pub fn new(rates: Vec<f64>) -> Self {
        let clean = |r: f64| if r.is_finite() { r.max(0.0) } else { 0.0 };
        let mut runs: Vec<(usize, f64)> = Vec::new();
        for (day, rate) in rates.into_iter().map(clean).enumerate() {
            if runs.last().is_none_or(|r| r.1.to_bits() != rate.to_bits()) {
                runs.push((day, rate));
            }
        }
        // Copied at its length: an allocator may keep a shrunk block whole.
        DailyRate {
            runs: runs.as_slice().to_vec(),
        }
    }

    /// Rate on day `i` after the as-of date.
    pub fn at(&self, i: usize) -> f64 {
        self.from_day(i).next().unwrap_or(0.0)
    }

    /// Expected demand between `from` and `to` days after the as-of date
    /// (fractional days count pro rata).
    pub fn between(&self, from: f64, to: f64) -> f64 {
        if to.is_nan() || from.is_nan() || to <= from {
            return 0.0;
        }
        let mut total = 0.0;
        let first = from.floor() as usize;
        for (day, rate) in (first..).zip(self.from_day(first)) {
            if day as f64 >= to {
                break;
            }
            let lo = from.max(day as f64);
            let hi = to.min(day as f64 + 1.0);
            total += rate * (hi - lo);
        }
        total
    }

    /// The rates of day `start` and every day after it, in order ([`DailyRate::at`]
    /// of each, without a search per day).
    pub fn from_day(&self, start: usize) -> impl Iterator<Item = f64> + '_ {
        let mut next = self.runs.partition_point(|r| r.0 <= start);
        (start..).map(move |day| {
            while next < self.runs.len() && self.runs[next].0 <= day {
                next += 1;
            }
            next.checked_sub(1).map_or(0.0, |k| self.runs[k].1)
        })
    }
}

/// What the policy needs to know about one series.
#[derive(Debug, Clone)]
pub struct PolicyInput {
    /// Expected demand per day.
    pub rate: DailyRate,
    /// One-bucket forecast error spread (units).
    pub sigma_bucket: f64,
    /// Bucket length, days.
    pub bucket_days: f64,
    /// Lead time, days.
    pub lead_time_days: f64,
    /// Lead-time spread, days.
    pub lead_time_sd_days: f64,
    /// Review period, days.
    pub review_period_days: f64,
    /// Demand cover one order adds above the reorder point, days.
    pub order_cycle_days: f64,
    /// Service target.
    pub service: ServiceTarget,
    /// Units one replenishment cycle orders (the EOQ), when known; else the
    /// demand over `order_cycle_days`.
    pub order_quantity: Option<f64>,
    /// Demand comes in counts (intermittent pattern): use a Poisson /
    /// negative-binomial lead-time demand.
    pub count_demand: bool,
    /// Expected demand over the protection interval (lead time + half a review period) below which a count
    /// distribution replaces the normal (0 = never).
    pub count_below: f64,
    /// Minimum order quantity.
    pub moq: f64,
    /// Order multiple.
    pub pack_size: f64,
    /// Units on hand.
    pub on_hand: f64,
    /// Units on order.
    pub on_order: f64,
    /// Open customer backorders.
    pub backordered: f64,
    /// Units allocated.
    pub allocated: f64,
    /// Open purchase-order arrivals: (days after as-of, units); overdue lines count as day 0.
    pub arrivals: Vec<(i64, f64)>,
    /// Days ahead searched for the order-by and stock-out dates.
    pub projection_days: usize,
    /// Standardised forecast errors over the protection interval (and over
    /// lead time + a whole review, for a base stock), pooled across series:
    /// when given, they replace the normal shape of the forecast-error term
    /// for non-count demand.
    pub forecast_errors: LeadTimeErrors,
    /// The demand process of a slow mover: when given, count demand (see
    /// `count_demand`, `count_below`) takes its lead-time demand from it.
    pub demand_process: Option<Arc<DemandProcess>>,
    /// What may be ordered at all (lifecycle, dead stock).
    pub replenishment: Replenishment,
    /// Largest sensible reorder point (a margin over the largest demand the
    /// item ever had over the protection interval); `None`: no cap.
    pub reorder_point_cap: Option<f64>,
    /// Demand in counts whose forecast-error variance over any horizon is
    /// this many times its mean (1: Poisson), instead of `sigma_bucket` and
    /// `forecast_errors`: a regular series that passed the dispersion test
    /// (`policy.count_test`).
    pub count_variance_ratio: Option<f64>,
}

impl Default for PolicyInput {
    /// No demand, weekly buckets, no lead time, continuous review, a 95 %
    /// cycle-service target, single units, nothing in stock or on order, a
    /// year projected; tests and benches set what they need over it.
    fn default() -> Self {
        PolicyInput {
            rate: DailyRate::new(vec![0.0]),
            sigma_bucket: 0.0,
            bucket_days: 7.0,
            lead_time_days: 0.0,
            lead_time_sd_days: 0.0,
            review_period_days: 0.0,
            order_cycle_days: 0.0,
            service: ServiceTarget::CycleService(0.95),
            order_quantity: None,
            count_demand: false,
            count_below: 0.0,
            moq: 0.0,
            pack_size: 1.0,
            on_hand: 0.0,
            on_order: 0.0,
            backordered: 0.0,
            allocated: 0.0,
            arrivals: Vec::new(),
            projection_days: 365,
            forecast_errors: LeadTimeErrors::default(),
            demand_process: None,
            replenishment: Replenishment::Replenish,
            reorder_point_cap: None,
            count_variance_ratio: None,
        }
    }
}

impl PolicyInput {
    /// Variance of the forecast-error term of demand over `days` whose mean
    /// demand is `mu`.
    fn forecast_variance(&self, days: f64, mu: f64) -> f64 {
        match self.count_variance_ratio {
            Some(r) => r * mu.max(0.0),
            None => (days / self.bucket_days).max(0.0) * self.sigma_bucket.powi(2),
        }
    }
}

/// What the policy may order for a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Replenishment {
    /// Up to the order-up-to level, as the policy says.
    #[default]
    Replenish,
    /// Only what covers open customer backorders (an item being phased out,
    /// found discontinued by a gap in its demand, or dead stock): reorder
    /// point and order-up-to level 0.
    BackordersOnly,
    /// Nothing (discontinued in the item master).
    Nothing,
}

/// The policy's decision for one series. Quantities are units, dates are days after as-of.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyOutput {
    /// Expected demand over the protection interval (lead time + half a review period).
    pub lead_time_demand: f64,
    /// Spread of demand over the protection interval.
    pub lead_time_demand_sd: f64,
    /// Safety stock.
    pub safety_stock: f64,
    /// Reorder point s.
    pub reorder_point: f64,
    /// Order-up-to level S.
    pub order_up_to: f64,
    /// On hand + on order − backordered − allocated.
    pub inventory_position: f64,
    /// Recommended order quantity (0 when none).
    pub order_qty: f64,
    /// Days until the order must be placed (0 = now), if within the projection.
    pub order_by_days: Option<i64>,
    /// Days until stock runs out if nothing is ordered, if within the projection.
    pub stockout_days: Option<i64>,
    /// Probability that demand before an order placed now can arrive exceeds the stock.
    pub stockout_risk: f64,
    /// Days the available stock lasts at the current rate (`None` without demand).
    pub days_of_cover: Option<f64>,
    /// Distribution the reorder point was set on.
    pub distribution: LeadTimeDistribution,
    /// Order quantity of one replenishment cycle (S − s).
    pub cycle_quantity: f64,
    /// Fill rate the reorder point gives: 1 − E[(X − s)⁺] / Q, Q at least
    /// one review period's demand (1 without demand).
    pub expected_fill_rate: f64,
    /// Open backorders not covered by stock on hand or by purchase orders due
    /// within the lead time (the order line covers at least these).
    pub uncovered_backorders: f64,
    /// The reorder point was cut to [`PolicyInput::reorder_point_cap`].
    pub reorder_point_capped: bool,
}

/// Round a wanted quantity up to the MOQ and then to a multiple of the pack size.
pub fn round_order(wanted: f64, moq: f64, pack_size: f64) -> f64 {
    if wanted.is_nan() || wanted <= 1e-9 {
        return 0.0;
    }
    let pack = if pack_size > 0.0 { pack_size } else { 1.0 };
    let q = wanted.max(moq);
    (q / pack - 1e-9).ceil() * pack
}

/// Demand over the protection interval and the reorder point set on it.
struct Protection {
    /// Mean demand over lead time + half a review.
    mu: f64,
    /// Its spread.
    sd: f64,
    distribution: LeadTimeDistribution,
    reorder_point: f64,
    /// Order quantity of one cycle (S − s).
    cycle_quantity: f64,
    expected_fill_rate: f64,
    /// The reorder point was cut to the input's cap.
    capped: bool,
}

/// The reorder point `s` cut to the input's cap, and whether it was cut.
fn cap(input: &PolicyInput, s: f64) -> (f64, bool) {
    match input.reorder_point_cap {
        Some(cap) if cap.is_finite() && s > cap => (cap.max(0.0), true),
        _ => (s, false),
    }
}

/// Apply the policy to one series.
/// The fill rate [`plan`] expects of `input` and its reorder point, without
/// the order and its dates: what the pooled allocation asks at every point
/// of its grid.
pub fn service_point(input: &PolicyInput) -> (f64, f64) {
    let p = allowed_protection(input);
    (p.expected_fill_rate, p.reorder_point)
}

/// [`service_point`] at each cycle-service level of `levels` (the service
/// target of `input` is replaced): the same answers, with a slow mover's
/// lead-time distributions and order positions worked out once.
pub fn service_points(input: &PolicyInput, levels: &[f64]) -> Vec<(f64, f64)> {
    // The cycle does not depend on the service target: worked out once.
    let c = Cycle::new(input);
    let prepared = (input.replenishment == Replenishment::Replenish)
        .then(|| ProcessDemand::new(input, &c))
        .flatten();
    if let Some(d) = prepared {
        return levels
            .iter()
            .map(|&a| {
                let p = d.protection(input, ServiceTarget::CycleService(a));
                (p.expected_fill_rate, p.reorder_point)
            })
            .collect();
    }
    let mut input = input.clone();
    levels
        .iter()
        .map(|&a| {
            input.service = ServiceTarget::CycleService(a);
            let p = allowed_protection_with(&input, &c);
            (p.expected_fill_rate, p.reorder_point)
        })
        .collect()
}

/// [`protect_with`] within what may be ordered: an item that orders only for
/// its backorders, or nothing, holds no reorder point and no cycle, and
/// expects to fill none of its demand.
fn allowed_protection(input: &PolicyInput) -> Protection {
    allowed_protection_with(input, &Cycle::new(input))
}

/// [`allowed_protection`] with the cycle `c` of `input` worked out already.
fn allowed_protection_with(input: &PolicyInput, c: &Cycle) -> Protection {
    let p = protect_with(input, c);
    match input.replenishment {
        Replenishment::Replenish => p,
        Replenishment::BackordersOnly | Replenishment::Nothing => Protection {
            reorder_point: 0.0,
            cycle_quantity: 0.0,
            expected_fill_rate: if p.mu > 0.0 { 0.0 } else { 1.0 },
            ..p
        },
    }
}

pub fn plan(input: &PolicyInput) -> PolicyOutput {
    let l = input.lead_time_days.max(0.0);
    let Protection {
        mu,
        sd,
        distribution,
        reorder_point,
        cycle_quantity,
        expected_fill_rate,
        capped,
    } = allowed_protection(input);
    let safety_stock = reorder_point - mu;
    let order_up_to = reorder_point + cycle_quantity;
    let inventory_position = input.on_hand + input.on_order - input.backordered - input.allocated;
    let mut order_qty = if inventory_position < reorder_point - 1e-9
        && input.replenishment != Replenishment::Nothing
    {
        round_order(order_up_to - inventory_position, input.moq, input.pack_size)
    } else {
        0.0
    };
    // Backorders that nothing already on the way before a new order covers.
    let due_in_time: f64 = input
        .arrivals
        .iter()
        .filter(|(day, _)| (*day as f64) <= l)
        .map(|(_, q)| q)
        .sum();
    let uncovered_backorders =
        (input.backordered - (input.on_hand - input.allocated).max(0.0) - due_in_time).max(0.0);
    if uncovered_backorders > 1e-9
        && order_qty < uncovered_backorders
        && input.replenishment != Replenishment::Nothing
    {
        order_qty = round_order(uncovered_backorders, input.moq, input.pack_size);
    }

    let order_by_days = order_by(input, order_qty, inventory_position, reorder_point);
    let net = input.on_hand - input.backordered - input.allocated;
    let stockout_days = stockout_day(input, net);
    let stockout_risk = stockout_risk(input, net);
    let rate_now = input.rate.at(0);
    let days_of_cover = (rate_now > 0.0).then(|| net.max(0.0) / rate_now);

    PolicyOutput {
        lead_time_demand: mu,
        lead_time_demand_sd: sd,
        safety_stock,
        reorder_point,
        order_up_to,
        inventory_position,
        order_qty,
        order_by_days,
        stockout_days,
        stockout_risk,
        days_of_cover,
        distribution,
        cycle_quantity,
        expected_fill_rate,
        uncovered_backorders,
        reorder_point_capped: capped && input.replenishment == Replenishment::Replenish,
    }
}

/// What one cycle of the policy looks like: the protection interval's
/// demand and spread, and the order of one cycle.
struct Cycle {
    /// Mean demand over L + R/2.
    mu: f64,
    /// Its variance: the forecast term plus the lead-time and undershoot terms.
    var: f64,
    /// The spread of the forecast-error term alone (σ_F).
    scale_f: f64,
    /// The spread of the lead-time and undershoot terms (σ_O).
    sd_other: f64,
    /// Units one cycle orders (at least one review's demand).
    cycle_quantity: f64,
    /// The same rounded up to the MOQ and pack size, as it will be placed.
    fill_quantity: f64,
    /// Order up to a base stock at every review (see [`protect_with`]).
    base_stock: bool,
    /// A slow mover: count demand, or below the count threshold.
    slow: bool,
}

impl Cycle {
    fn new(input: &PolicyInput) -> Cycle {
        let l = input.lead_time_days.max(0.0);
        let review = input.review_period_days.max(0.0);
        // An order goes out at the first review after the position falls below s,
        // on average half a review period later: the reorder point covers the lead
        // time plus that half period (the undershoot).
        let protection = l + review / 2.0;
        let mu = input.rate.between(0.0, protection);
        let daily = if protection > 0.0 {
            mu / protection
        } else {
            input.rate.at(0)
        };
        // The undershoot is about uniform over one review period's demand: its
        // variance (d·R)²/12 adds to the forecast and lead-time terms.
        let forecast_var = input.forecast_variance(protection, mu);
        let other_var = (daily * input.lead_time_sd_days).powi(2) + (daily * review).powi(2) / 12.0;
        // One order covers at least one review period's demand.
        let review_demand = input.rate.between(protection, protection + review);
        let cycle_quantity = match input.order_quantity {
            Some(q) if q.is_finite() && q > 0.0 => q.max(review_demand),
            _ => input.rate.between(
                protection,
                protection + input.order_cycle_days.max(review).max(0.0),
            ),
        };
        Cycle {
            mu,
            var: forecast_var + other_var,
            scale_f: forecast_var.max(0.0).sqrt(),
            sd_other: other_var.max(0.0).sqrt(),
            cycle_quantity,
            // Units short per cycle are measured against what one cycle orders,
            // rounded up to the MOQ and pack size as the order will be.
            fill_quantity: round_order(cycle_quantity, input.moq, input.pack_size),
            // An order of no more than one review's demand, in whole units:
            // order up to S at every review (periodic base stock), the policy
            // without a fixed order cost. Ordering only below a reorder point
            // a review's demand lower would order every other review and
            // carry twice the cycle stock.
            base_stock: review > 0.0
                && cycle_quantity <= review_demand * (1.0 + 1e-9)
                && input.moq <= 1.0
                && input.pack_size <= 1.0,
            slow: input.count_demand
                || input.count_variance_ratio.is_some()
                || mu < input.count_below,
        }
    }
}

/// The demand the reorder point protects against and the reorder point
/// itself, for `input` and its cycle `c`: from a slow mover's demand process
/// when it has one; else, as a base stock ordered at every review or as a
/// reorder point with a larger order, count, empirical or normal demand
/// around the forecast.
fn protect_with(input: &PolicyInput, c: &Cycle) -> Protection {
    if let Some(p) = process_protection(input, c) {
        return p;
    }
    if c.base_stock {
        return periodic_base_stock(input, c.slow);
    }
    reorder_point_protection(input, c)
}

/// The reorder point of an (s, S) policy whose order is more than one
/// review's demand, on count, empirical or normal demand over L + R/2.
fn reorder_point_protection(input: &PolicyInput, c: &Cycle) -> Protection {
    let Cycle {
        mu,
        var,
        scale_f,
        sd_other,
        cycle_quantity,
        fill_quantity,
        slow,
        ..
    } = *c;
    let sd = var.max(0.0).sqrt();
    let discrete = mu > 0.0 && slow;
    let empirical = input
        .forecast_errors
        .protection
        .as_deref()
        .filter(|_| !discrete && mu > 0.0);
    let distribution = if empirical.is_some() {
        LeadTimeDistribution::Empirical
    } else if !discrete {
        LeadTimeDistribution::Normal
    } else if var > mu * (1.0 + 1e-9) {
        LeadTimeDistribution::NegativeBinomial
    } else {
        LeadTimeDistribution::Poisson
    };
    let normal_point = |k: f64| {
        if sd > 0.0 && k.is_finite() {
            mu + k.min(8.0) * sd
        } else {
            mu
        }
    };
    let point = match (distribution, input.service) {
        (LeadTimeDistribution::Empirical, service) => {
            let e = empirical.expect("empirical distribution");
            let cap = scale_f * e.max() + 8.0 * sd_other;
            let offset = match service {
                ServiceTarget::CycleService(a) => {
                    e.offset_for_probability(a.clamp(1e-6, 1.0 - 1e-6), scale_f, sd_other)
                }
                ServiceTarget::FillRate(b) if fill_quantity > 0.0 => e.offset_for_shortage(
                    (1.0 - b.clamp(0.0, 1.0)) * fill_quantity,
                    scale_f,
                    sd_other,
                ),
                ServiceTarget::FillRate(_) => 0.0,
            };
            mu + if offset.is_finite() {
                offset.min(cap)
            } else {
                0.0
            }
        }
        (LeadTimeDistribution::Normal, ServiceTarget::CycleService(a)) => {
            normal_point(cycle_service_factor(a.clamp(1e-6, 1.0 - 1e-6)))
        }
        (LeadTimeDistribution::Normal, ServiceTarget::FillRate(b)) => {
            if fill_quantity > 0.0 {
                normal_point(fill_rate_factor(
                    b.clamp(0.0, 1.0 - 1e-9),
                    fill_quantity,
                    sd,
                ))
            } else {
                mu
            }
        }
        (_, ServiceTarget::CycleService(a)) => count_reorder_point_cycle(mu, var, a),
        (_, ServiceTarget::FillRate(b)) => count_reorder_point_fill(mu, var, b, fill_quantity)
            .unwrap_or_else(|| {
                normal_point(fill_rate_factor(
                    b.clamp(0.0, 1.0 - 1e-9),
                    fill_quantity,
                    sd,
                ))
            }),
    };
    let (reorder_point, capped) = cap(input, point.max(0.0));
    let shortage = match distribution {
        LeadTimeDistribution::Normal => normal_shortage(reorder_point, mu, sd),
        LeadTimeDistribution::Empirical => empirical
            .map(|e| e.shortage(reorder_point - mu, scale_f, sd_other))
            .unwrap_or_else(|| normal_shortage(reorder_point, mu, sd)),
        _ => count_shortage(reorder_point, mu, var)
            .unwrap_or_else(|| normal_shortage(reorder_point, mu, sd)),
    };
    let expected_fill_rate = if fill_quantity > 0.0 {
        (1.0 - shortage / fill_quantity).clamp(0.0, 1.0)
    } else {
        1.0
    };
    Protection {
        mu,
        sd,
        distribution,
        reorder_point,
        cycle_quantity,
        expected_fill_rate,
        capped,
    }
}

/// Demand over `days` from the as-of date: its mean, the spread of the
/// forecast-error term and the spread of the lead-time term.
fn horizon(input: &PolicyInput, days: f64) -> (f64, f64, f64) {
    let mu = input.rate.between(0.0, days);
    let daily = if days > 0.0 { mu / days } else { 0.0 };
    let forecast = input.forecast_variance(days, mu).sqrt();
    (mu, forecast, daily * input.lead_time_sd_days)
}

/// The periodic base-stock policy: order up to S at every review, S the
/// smallest level whose units short per review period,
/// E[(D(L+R) − S)⁺] − E[(D(L) − S)⁺], stay within (1 − β) of one review's
/// demand (or with P(D(L+R) ≤ S) ≥ α) — exact for this policy, so no
/// undershoot term. D is count (`slow`), empirical or normal demand around
/// the forecast, as in [`protect_with`]. The reorder point is S itself.
fn periodic_base_stock(input: &PolicyInput, slow: bool) -> Protection {
    let l = input.lead_time_days.max(0.0);
    let review = input.review_period_days.max(0.0);
    let lead = horizon(input, l);
    let cycle = horizon(input, l + review);
    let demand = cycle.0 - lead.0;
    let var = |h: (f64, f64, f64)| h.1 * h.1 + h.2 * h.2;
    let count = slow && cycle.0 > 0.0 && CountPmf::new(cycle.0, var(cycle)).is_some();
    let empirical = input
        .forecast_errors
        .cycle
        .as_deref()
        .filter(|_| !count && cycle.0 > 0.0);
    let distribution = if count {
        if var(cycle) > cycle.0 * (1.0 + 1e-9) {
            LeadTimeDistribution::NegativeBinomial
        } else {
            LeadTimeDistribution::Poisson
        }
    } else if empirical.is_some() {
        LeadTimeDistribution::Empirical
    } else {
        LeadTimeDistribution::Normal
    };
    // E[(D − s)⁺] and P(D ≤ s) over one horizon.
    let loss = |h: (f64, f64, f64), s: f64| -> f64 {
        let (mu, f, o) = h;
        match (distribution, empirical) {
            (LeadTimeDistribution::Empirical, Some(e)) => e.shortage(s - mu, f, o),
            (LeadTimeDistribution::Poisson | LeadTimeDistribution::NegativeBinomial, _) => {
                count_shortage(s, mu, var(h))
                    .unwrap_or_else(|| normal_shortage(s, mu, var(h).sqrt()))
            }
            _ => normal_shortage(s, mu, var(h).sqrt()),
        }
    };
    let short = |s: f64| (loss(cycle, s) - loss(lead, s)).max(0.0);
    let spread = var(cycle).sqrt();
    let top = cycle.0 + 12.0 * spread + 1.0;
    let level = match input.service {
        ServiceTarget::FillRate(b) => {
            let allowed = (1.0 - b.clamp(0.0, 1.0)) * demand;
            smallest(0.0, top, count, |s| short(s) <= allowed + 1e-12)
        }
        ServiceTarget::CycleService(a) => {
            let a = a.clamp(1e-6, 1.0 - 1e-6);
            match (distribution, empirical) {
                (LeadTimeDistribution::Empirical, Some(e)) => {
                    cycle.0 + e.offset_for_probability(a, cycle.1, cycle.2)
                }
                _ if count => count_reorder_point_cycle(cycle.0, var(cycle), a),
                _ => cycle.0 + cycle_service_factor(a) * spread,
            }
        }
    };
    let (reorder_point, capped) = cap(input, level.max(0.0));
    let (mu, sd) = (cycle.0, spread);
    Protection {
        mu,
        sd,
        distribution,
        reorder_point,
        cycle_quantity: 0.0,
        expected_fill_rate: if demand > 0.0 {
            (1.0 - short(reorder_point) / demand).clamp(0.0, 1.0)
        } else {
            1.0
        },
        capped,
    }
}

/// The smallest s in [lo, hi] (whole when `whole`) for which `ok` holds,
/// `ok` monotone (false below, true above); `hi` when none.
fn smallest(lo: f64, hi: f64, whole: bool, ok: impl Fn(f64) -> bool) -> f64 {
    let (mut lo, mut hi) = if whole {
        (lo.floor(), hi.ceil())
    } else {
        (lo, hi)
    };
    if ok(lo) {
        return lo;
    }
    if !ok(hi) {
        return hi;
    }
    // Invariant: ok(hi), not ok(lo).
    for _ in 0..200 {
        let done = if whole {
            hi - lo <= 1.0
        } else {
            hi - lo <= 1e-9 * (1.0 + hi.abs())
        };
        if done {
            break;
        }
        let mid = if whole {
            (0.5 * (lo + hi)).floor()
        } else {
            0.5 * (lo + hi)
        };
        if ok(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// Days until the order must be placed: 0 when one is recommended now, else
/// the first day the position, drawn down by demand, falls below s.
fn order_by(input: &PolicyInput, order_qty: f64, position: f64, reorder_point: f64) -> Option<i64> {
    if order_qty > 0.0 {
        return Some(0);
    }
    let mut position = position;
    (0..input.projection_days)
        .zip(input.rate.from_day(0))
        .find_map(|(d, rate)| {
            position -= rate;
            (position < reorder_point - 1e-9).then_some(d as i64 + 1)
        })
}

/// Days until net stock plus open arrivals, drawn down by demand, falls
/// below zero (0 when it is below now).
fn stockout_day(input: &PolicyInput, net: f64) -> Option<i64> {
    if net < -1e-9 {
        return Some(0);
    }
    let arriving = |d: i64| -> f64 {
        input
            .arrivals
            .iter()
            .filter(|(day, _)| (*day).max(0) == d)
            .map(|(_, q)| q)
            .sum()
    };
    let mut stock = net;
    (0..input.projection_days as i64)
        .zip(input.rate.from_day(0))
        .find(|&(d, rate)| {
            stock += arriving(d) - rate;
            stock < -1e-9
        })
        .map(|(d, _)| d)
}

/// The chance that at some point before an order placed now can arrive
/// (just before each open PO arrival, and at the lead time), demand so far
/// exceeds the net stock plus what has arrived by then.
fn stockout_risk(input: &PolicyInput, net: f64) -> f64 {
    if net < -1e-9 {
        return 1.0;
    }
    let l = input.lead_time_days.max(0.0);
    let exceed = |t: f64, available: f64| -> f64 {
        let mu = input.rate.between(0.0, t);
        let daily = if t > 0.0 { mu / t } else { 0.0 };
        let sd =
            (input.forecast_variance(t, mu) + (daily * input.lead_time_sd_days).powi(2)).sqrt();
        if sd > 1e-12 {
            1.0 - norm_cdf((available - mu) / sd)
        } else if mu > available + 1e-9 {
            1.0
        } else {
            0.0
        }
    };
    let mut checkpoints: Vec<f64> = input
        .arrivals
        .iter()
        .map(|(day, _)| (*day).max(0) as f64)
        .filter(|&d| d < l)
        .collect();
    checkpoints.push(l);
    checkpoints
        .into_iter()
        .map(|t| {
            let arrived: f64 = input
                .arrivals
                .iter()
                .filter(|(day, _)| ((*day).max(0) as f64) < t)
                .map(|(_, q)| q)
                .sum();
            exceed(t, net + arrived)
        })
        .fold(0.0, f64::max)
        .clamp(0.0, 1.0)
}

/// A slow mover's lead-time demand from its demand process, ready for
/// any service target: the distributions over the lead time and the cycle,
/// and where the position stands after a review with the order as placed.
struct ProcessDemand {
    pmfs: std::sync::Arc<LeadTimePmfs>,
    positions: Vec<f64>,
    method: SlowMoverDemand,
    cycle_quantity: f64,
    base_stock: bool,
}

impl ProcessDemand {
    /// `None` unless `input` is a slow mover with a demand process that
    /// expects demand in a review period.
    fn new(input: &PolicyInput, c: &Cycle) -> Option<ProcessDemand> {
        let process = input.demand_process.as_deref().filter(|_| c.slow)?;
        let pmfs = process.pmfs(
            input.lead_time_days.max(0.0),
            input.review_period_days.max(0.0),
            input.lead_time_sd_days,
            input.bucket_days,
        );
        if pmfs.review_demand() <= 0.0 {
            return None;
        }
        let q = if c.base_stock { 0.0 } else { c.fill_quantity };
        Some(ProcessDemand {
            positions: pmfs.order_positions(q),
            pmfs,
            method: process.method,
            cycle_quantity: c.cycle_quantity,
            base_stock: c.base_stock,
        })
    }

    /// [`Protection`] at `service`: the reorder point of the periodic-review
    /// fill rate (or cycle service), within the cap, and its fill rate.
    fn protection(&self, input: &PolicyInput, service: ServiceTarget) -> Protection {
        let (mu, sd) = self.pmfs.protection();
        let uncapped = match service {
            ServiceTarget::FillRate(b) => self.pmfs.reorder_point_fill_at(b, &self.positions),
            ServiceTarget::CycleService(a) => self.pmfs.reorder_point_cycle_at(a, &self.positions),
        };
        let (reorder_point, capped) = cap(input, uncapped);
        Protection {
            mu,
            sd,
            distribution: if self.method == SlowMoverDemand::Bootstrap {
                LeadTimeDistribution::Bootstrap
            } else {
                LeadTimeDistribution::Compound
            },
            reorder_point,
            cycle_quantity: if self.base_stock {
                0.0
            } else {
                self.cycle_quantity
            },
            expected_fill_rate: self.pmfs.fill_rate_at(reorder_point, &self.positions),
            capped,
        }
    }
}

/// [`Protection`] of a slow mover from its demand process, when it has one.
fn process_protection(input: &PolicyInput, c: &Cycle) -> Option<Protection> {
    ProcessDemand::new(input, c).map(|d| d.protection(input, input.service))
}

/// What brings a series that is out of stock back in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restock {
    /// Net stock is positive now (backorders are being served from it).
    OnHand,
    /// An open purchase-order line.
    PurchaseOrder,
    /// A purchase-order line already past its due date, counted as arriving
    /// today: the date is only as good as the supplier's next promise.
    OverduePurchaseOrder,
    /// The recommended order, arriving a lead time after it goes out.
    RecommendedOrder,
}

impl Restock {
    /// Name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Restock::OnHand => "on_hand",
            Restock::PurchaseOrder => "purchase_order",
            Restock::OverduePurchaseOrder => "overdue_purchase_order",
            Restock::RecommendedOrder => "recommended_order",
        }
    }
}

/// Day (after as-of) on which stock is expected back: the first arrival after
/// which net stock (on hand − allocated − backordered, drawn down by the
/// forecast, new demand joining the backorders while out) is positive again;
/// `(0, OnHand)` when net stock is positive now. The earlier of: the open PO
/// lines alone, and the lines plus the recommended order `order_qty` arriving
/// after the lead time from `order_day` (the day it goes out: today, or the
/// supplier's next order day). `None` when nothing brings it back within
/// the projection.
pub fn back_in_stock(
    input: &PolicyInput,
    order_qty: f64,
    order_day: i64,
) -> Option<(i64, Restock)> {
    let net = input.on_hand - input.allocated - input.backordered;
    if net > 1e-9 {
        return Some((0, Restock::OnHand));
    }
    let project = |extra: Option<(i64, f64)>| -> Option<i64> {
        let mut stock = net;
        let mut arrivals: Vec<(i64, f64)> = input
            .arrivals
            .iter()
            .map(|&(d, q)| (d.max(0), q))
            .chain(extra)
            .collect();
        arrivals.sort_by_key(|&(d, _)| d);
        (0..input.projection_days as i64).find(|&d| {
            let arrived: f64 = arrivals
                .iter()
                .filter(|(day, _)| *day == d)
                .map(|(_, q)| q)
                .sum();
            stock += arrived;
            let back = arrived > 0.0 && stock > 1e-9;
            stock -= input.rate.at(d as usize);
            back
        })
    };
    let by_purchase_orders = project(None).map(|d| {
        let overdue = d == 0 && input.arrivals.iter().any(|&(day, _)| day < 0);
        (
            d,
            if overdue {
                Restock::OverduePurchaseOrder
            } else {
                Restock::PurchaseOrder
            },
        )
    });
    let by_order = (order_qty > 0.0)
        .then(|| {
            let arrival = order_day.max(0) + input.lead_time_days.max(0.0).ceil() as i64;
            project(Some((arrival, order_qty)))
        })
        .flatten()
        .map(|d| (d, Restock::RecommendedOrder));
    match (by_purchase_orders, by_order) {
        (Some(po), Some(order)) if order.0 < po.0 => Some(order),
        (Some(po), _) => Some(po),
        (None, order) => order,
    }
}

/// Projected stock per day after the as-of date (end of day), for charts.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// Net stock (on hand − allocated − backordered) plus open PO arrivals,
    /// minus forecast demand, without a new order.
    pub on_hand: Vec<f64>,
    /// The same with the recommended order arriving after the lead time.
    pub with_order: Vec<f64>,
    /// Inventory position minus forecast demand, without a new order.
    pub position: Vec<f64>,
    /// Day the recommended order arrives.
    pub order_arrival: i64,
}

/// Project stock over `input.projection_days` with and without `order_qty`.
pub fn project(input: &PolicyInput, order_qty: f64) -> Projection {
    let days = input.projection_days.max(1);
    let arrival = input.lead_time_days.max(0.0).ceil() as i64;
    let mut stock = input.on_hand - input.allocated - input.backordered;
    let mut position = stock + input.on_order;
    let mut out = Projection {
        on_hand: Vec::with_capacity(days),
        with_order: Vec::with_capacity(days),
        position: Vec::with_capacity(days),
        order_arrival: arrival,
    };
    let mut ordered = 0.0;
    for d in 0..days as i64 {
        stock += input
            .arrivals
            .iter()
            .filter(|(day, _)| (*day).max(0) == d)
            .map(|(_, q)| q)
            .sum::<f64>();
        if d == arrival {
            ordered = order_qty.max(0.0);
        }
        let demand = input.rate.at(d as usize);
        stock -= demand;
        position -= demand;
        out.on_hand.push(stock);
        out.with_order.push(stock + ordered);
        out.position.push(position);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_kept_by_runs_reads_as_the_daily_rates() {
        // The daily rates as given: a week at each rate, odd values among them.
        let mut u = crate::forecast::uniform(7);
        let mut daily: Vec<f64> = (0..20)
            .flat_map(|w| {
                let r = if w % 5 == 3 { 0.25 } else { u() * 3.0 };
                vec![r; 7]
            })
            .collect();
        daily[40] = f64::NAN;
        daily[41] = -1.0;
        daily[42] = f64::INFINITY;
        let rate = DailyRate::new(daily.clone());
        let reference = |i: usize| {
            let r = *daily.get(i).or(daily.last()).expect("rates");
            if r.is_finite() { r.max(0.0) } else { 0.0 }
        };
        for i in 0..200 {
            assert_eq!(rate.at(i).to_bits(), reference(i).to_bits(), "day {i}");
        }
        let walked: Vec<f64> = rate.from_day(13).take(180).collect();
        assert!(
            walked
                .iter()
                .zip(13..)
                .all(|(r, i)| r.to_bits() == reference(i).to_bits())
        );
        for (from, to) in [(0.0f64, 7.0f64), (2.5, 30.25), (38.5, 44.0), (130.0, 199.5)] {
            let mut total = 0.0;
            let mut day = from as usize;
            while (day as f64) < to {
                total += reference(day) * (to.min(day as f64 + 1.0) - from.max(day as f64));
                day += 1;
            }
            assert_eq!(
                rate.between(from, to).to_bits(),
                total.to_bits(),
                "{from}..{to}"
            );
        }
        assert_eq!(DailyRate::new(Vec::new()).at(3), 0.0);
    }
    use crate::inventory_theory::EmpiricalErrors;

    /// Lead time 21 days (3 weeks), continuous review: no undershoot.
    fn input(rate_per_day: f64) -> PolicyInput {
        PolicyInput {
            rate: DailyRate::new(vec![rate_per_day]),
            lead_time_days: 21.0,
            order_cycle_days: 28.0,
            service: ServiceTarget::CycleService(0.95),
            ..PolicyInput::default()
        }
    }

    #[test]
    fn a_series_that_passed_the_dispersion_test_is_planned_on_counts() {
        // 2 a day over 21 days: 42 units, a backtest spread of 10 a week
        // (σ² = 300 over three weeks) against Poisson's 42.
        let mut i = input(2.0);
        i.sigma_bucket = 10.0;
        let normal = plan(&i);
        assert_eq!(normal.distribution, LeadTimeDistribution::Normal);
        assert!((normal.lead_time_demand_sd - 300f64.sqrt()).abs() < 1e-9);
        i.count_variance_ratio = Some(1.0);
        let poisson = plan(&i);
        assert_eq!(poisson.distribution, LeadTimeDistribution::Poisson);
        assert!((poisson.lead_time_demand_sd - 42f64.sqrt()).abs() < 1e-9);
        // P(Poisson(42) ≤ 53) ≥ 0.95 > P(≤ 52).
        assert_eq!(poisson.reorder_point, 53.0);
        // Twice Poisson's variance: negative binomial, a higher point.
        i.count_variance_ratio = Some(2.0);
        let nb = plan(&i);
        assert_eq!(nb.distribution, LeadTimeDistribution::NegativeBinomial);
        assert!((nb.lead_time_demand_sd - 84f64.sqrt()).abs() < 1e-9);
        assert!(
            nb.reorder_point > poisson.reorder_point && nb.reorder_point < normal.reorder_point
        );
    }

    #[test]
    fn rounding_to_moq_and_pack() {
        assert_eq!(round_order(0.0, 10.0, 6.0), 0.0);
        assert_eq!(round_order(-3.0, 10.0, 6.0), 0.0);
        assert_eq!(round_order(3.0, 10.0, 6.0), 12.0);
        assert_eq!(round_order(13.0, 10.0, 6.0), 18.0);
        assert_eq!(round_order(12.0, 10.0, 6.0), 12.0);
        assert_eq!(round_order(2.2, 0.0, 1.0), 3.0);
    }

    #[test]
    fn constant_demand_has_no_safety_stock() {
        // 10 units a week; L = 21 days = 3 weeks.
        let mut i = input(10.0 / 7.0);
        i.on_hand = 50.0;
        let out = plan(&i);
        assert!((out.lead_time_demand - 30.0).abs() < 1e-9);
        assert_eq!(out.safety_stock, 0.0);
        assert!((out.reorder_point - 30.0).abs() < 1e-9);
        assert!((out.order_up_to - 70.0).abs() < 1e-9);
        assert_eq!(out.order_qty, 0.0);
        // 50 − 30 = 20 units above s: 14 days of demand, below s on day 15.
        assert_eq!(out.order_by_days, Some(15));
        assert_eq!(out.stockout_days, Some(35));
        assert!((out.days_of_cover.unwrap() - 35.0).abs() < 1e-9);
    }

    #[test]
    fn periodic_review_covers_half_the_review_and_its_undershoot() {
        // Lead time 14 days, review every 14 days, 10 a week, no forecast error:
        // the reorder point covers 14 + 7 = 21 days = 30 units, and the
        // undershoot (uniform over one review's 20 units) has σ = 20/√12.
        let mut i = input(10.0 / 7.0);
        i.lead_time_days = 14.0;
        i.review_period_days = 14.0;
        let out = plan(&i);
        assert!((out.lead_time_demand - 30.0).abs() < 1e-9);
        assert!((out.lead_time_demand_sd - 20.0 / 12f64.sqrt()).abs() < 1e-9);
        // 95 % cycle service: s = 30 + 1.645 σ; one order is 28 days = 40.
        let s = 30.0 + 1.644_853_626_951_472 * 20.0 / 12f64.sqrt();
        assert!((out.reorder_point - s).abs() < 1e-9);
        assert!((out.order_up_to - s - 40.0).abs() < 1e-9);
        // An order covers at least one review: with a 14-day cycle, 20 units.
        i.order_cycle_days = 14.0;
        i.pack_size = 5.0;
        assert!((plan(&i).cycle_quantity - 20.0).abs() < 1e-9);
        // In whole units, an order of no more than a review's demand is a
        // base stock ordered up to at every review: s = S over L + R = 40
        // units without forecast error or lead-time spread.
        i.pack_size = 1.0;
        let base = plan(&i);
        assert_eq!(base.cycle_quantity, 0.0);
        assert!((base.reorder_point - 40.0).abs() < 1e-6, "{base:?}");
        assert_eq!(base.order_up_to, base.reorder_point);
    }

    #[test]
    fn safety_stock_from_forecast_and_lead_time_spread() {
        let mut i = input(2.0);
        i.sigma_bucket = 7.0;
        i.lead_time_sd_days = 3.0;
        let out = plan(&i);
        // σ² = 3 weeks · 49 + (2·3)² = 147 + 36.
        let sd = (147.0f64 + 36.0).sqrt();
        assert!((out.lead_time_demand_sd - sd).abs() < 1e-9);
        assert!((out.safety_stock - 1.644_853_626_951_472 * sd).abs() < 1e-9);
    }

    #[test]
    fn backorders_reduce_the_position_and_trigger_an_order() {
        let mut i = input(1.0);
        i.on_hand = 5.0;
        i.on_order = 10.0;
        i.backordered = 8.0;
        i.allocated = 1.0;
        i.moq = 20.0;
        i.pack_size = 12.0;
        let out = plan(&i);
        assert_eq!(out.inventory_position, 6.0);
        // S = 21 + 28 = 49; 49 − 6 = 43 → 48 (4 packs of 12).
        assert_eq!(out.order_qty, 48.0);
        assert_eq!(out.order_by_days, Some(0));
        // Net stock 5 − 8 − 1 < 0: already out.
        assert_eq!(out.stockout_days, Some(0));
        assert_eq!(out.stockout_risk, 1.0);
    }

    #[test]
    fn arrivals_push_the_stockout_out() {
        let mut i = input(1.0);
        i.on_hand = 3.0;
        i.arrivals = vec![(2, 10.0)];
        let out = plan(&i);
        // Days 0..2 take 3 units; 10 arrive on day 2; out after day 12.
        assert_eq!(out.stockout_days, Some(13));
        assert!(out.stockout_risk > 0.99);
        // Enough arrives in time, but only after the shelf is empty: still a risk.
        i.arrivals = vec![(5, 100.0)];
        assert_eq!(plan(&i).stockout_days, Some(3));
        assert_eq!(plan(&i).stockout_risk, 1.0);
        i.arrivals = vec![(1, 100.0)];
        assert_eq!(plan(&i).stockout_days, Some(103));
        assert_eq!(plan(&i).stockout_risk, 0.0);
    }

    #[test]
    fn no_demand_means_no_order() {
        let out = plan(&input(0.0));
        assert_eq!(out.order_qty, 0.0);
        assert_eq!(out.order_by_days, None);
        assert_eq!(out.stockout_days, None);
        assert_eq!(out.days_of_cover, None);
    }

    #[test]
    fn poisson_slow_mover_by_hand() {
        // One unit a week, L = 21 days: Poisson(3) lead-time demand.
        let mut i = input(1.0 / 7.0);
        i.count_below = 10.0;
        let out = plan(&i);
        assert_eq!(out.distribution, LeadTimeDistribution::Poisson);
        // P(X ≤ 5) = 0.9161, P(X ≤ 6) = 0.9665: s = 6 for 95 % cycle service.
        assert!((out.reorder_point - 6.0).abs() < 1e-9);
        assert!((out.safety_stock - 3.0).abs() < 1e-9);
        // Fill rate 95 % with Q = 4 (28 days): E[(X − s)⁺] ≤ 0.2:
        // L(4) = 0.3193, L(5) = 0.1346, so s = 5.
        i.service = ServiceTarget::FillRate(0.95);
        let out = plan(&i);
        assert!((out.reorder_point - 5.0).abs() < 1e-9);
        assert!((out.cycle_quantity - 4.0).abs() < 1e-9);
        assert!((out.expected_fill_rate - (1.0 - 0.134_6 / 4.0)).abs() < 1e-3);
        // Over-dispersed: negative binomial, a higher point for the same target.
        i.sigma_bucket = 3.0;
        let nb = plan(&i);
        assert_eq!(nb.distribution, LeadTimeDistribution::NegativeBinomial);
        assert!(nb.reorder_point > 5.0);
        assert_eq!(nb.reorder_point, nb.reorder_point.round());
    }

    #[test]
    fn fill_rate_uses_the_loss_function() {
        let mut i = input(10.0);
        i.sigma_bucket = 14.0;
        i.service = ServiceTarget::FillRate(0.98);
        let out = plan(&i);
        // σ = 14·√3, Q = 280: G(k) = 0.02·280/σ.
        let sigma = 14.0 * 3f64.sqrt();
        let k = crate::inventory_theory::inverse_normal_loss(0.02 * 280.0 / sigma);
        assert!((out.safety_stock - k * sigma).abs() < 1e-6);
        assert!((out.expected_fill_rate - 0.98).abs() < 1e-9);
        assert_eq!(out.distribution, LeadTimeDistribution::Normal);
        // A fixed order quantity (EOQ) replaces the cover: a bigger Q, less safety stock.
        i.order_quantity = Some(1000.0);
        let eoq = plan(&i);
        assert!((eoq.order_up_to - eoq.reorder_point - 1000.0).abs() < 1e-9);
        assert!(eoq.safety_stock < out.safety_stock);
    }

    #[test]
    fn empirical_errors_replace_the_normal_shape() {
        // As above (σ_F = 14·√3, Q = 280, fill rate 98 %) with pooled errors
        // Z ∈ {−1, 0, 1, 2}: G(k) = 5.6/σ_F on [1, 2], where G(k) = ¼·(2 − k).
        let mut i = input(10.0);
        i.sigma_bucket = 14.0;
        i.service = ServiceTarget::FillRate(0.98);
        i.forecast_errors.protection = Some(Arc::new(
            EmpiricalErrors::new(vec![-1.0, 0.0, 1.0, 2.0], 1).unwrap(),
        ));
        let out = plan(&i);
        let sigma = 14.0 * 3f64.sqrt();
        let k = 2.0 - 4.0 * 0.02 * 280.0 / sigma;
        assert_eq!(out.distribution, LeadTimeDistribution::Empirical);
        assert!((out.safety_stock - k * sigma).abs() < 1e-9);
        assert!((out.expected_fill_rate - 0.98).abs() < 1e-9);
        // Cycle service 80 %: the 80 % quantile, 2.
        i.service = ServiceTarget::CycleService(0.8);
        assert!((plan(&i).safety_stock - 2.0 * sigma).abs() < 1e-9);
        // Count demand keeps its Poisson / negative binomial.
        i.count_demand = true;
        assert_ne!(plan(&i).distribution, LeadTimeDistribution::Empirical);
    }

    #[test]
    fn uncovered_backorders_always_get_a_line() {
        let mut i = input(1.0 / 7.0);
        i.backordered = 5.0;
        i.on_order = 100.0;
        i.arrivals = vec![(60, 100.0)];
        i.pack_size = 2.0;
        let out = plan(&i);
        // IP = 95 is far above s, but the PO lands after the lead time.
        assert!(out.inventory_position > out.reorder_point);
        assert_eq!(out.uncovered_backorders, 5.0);
        assert_eq!(out.order_qty, 6.0);
        // A PO due within the lead time covers them: no line.
        i.arrivals = vec![(10, 100.0)];
        let out = plan(&i);
        assert_eq!(out.uncovered_backorders, 0.0);
        assert_eq!(out.order_qty, 0.0);
    }

    #[test]
    fn projection_by_hand() {
        // 3 on hand, 1 a day, 10 arriving on day 2, lead time 21, order 5.
        let mut i = input(1.0);
        i.on_hand = 3.0;
        i.on_order = 10.0;
        i.arrivals = vec![(2, 10.0)];
        i.projection_days = 25;
        let p = project(&i, 5.0);
        assert_eq!(&p.on_hand[..4], &[2.0, 1.0, 10.0, 9.0]);
        assert_eq!(&p.position[..2], &[12.0, 11.0]);
        assert_eq!(p.order_arrival, 21);
        assert_eq!(p.on_hand[21], 13.0 - 22.0);
        assert_eq!(p.with_order[21], 13.0 - 22.0 + 5.0);
        assert_eq!(p.with_order[20], p.on_hand[20]);
    }

    #[test]
    fn back_in_stock_dates() {
        let mut i = input(0.0);
        i.on_hand = 2.0;
        assert_eq!(back_in_stock(&i, 0.0, 0), Some((0, Restock::OnHand)));
        i.backordered = 5.0;
        i.arrivals = vec![(20, 4.0), (10, 4.0)];
        // −3 + 4 on day 10 = 1 > 0.
        assert_eq!(
            back_in_stock(&i, 0.0, 0),
            Some((10, Restock::PurchaseOrder))
        );
        // One a day: −3 − 10 + 4 < 0 on day 10, −9 − 10 + 4 < 0 on day 20;
        // the recommended 40 arrive on day 21 (lead time): −3 − 21 + 4 + 40 > 0.
        i.rate = DailyRate::new(vec![1.0]);
        assert_eq!(back_in_stock(&i, 0.0, 0), None);
        assert_eq!(
            back_in_stock(&i, 40.0, 0),
            Some((21, Restock::RecommendedOrder))
        );
        // Going out on the supplier's order day 3 days on, it lands on day 24.
        assert_eq!(
            back_in_stock(&i, 40.0, 3),
            Some((24, Restock::RecommendedOrder))
        );
        i.arrivals = vec![(-3, 10.0)];
        assert_eq!(
            back_in_stock(&i, 0.0, 0),
            Some((0, Restock::OverduePurchaseOrder))
        );
    }
}
