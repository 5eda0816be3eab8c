//! Replenishment policy: inventory position, lead-time demand, safety stock for
//! a cycle-service target, reorder point, order-up-to level and the
//! recommended order rounded to MOQ and pack size, with the dates a buyer needs.
//!
//! Periodic review (the weekly batch): an order placed now arrives after the
//! lead time L, and the next chance to order comes after the review period R,
//! so stock must cover demand over L + R:
//!
//! * μ = forecast demand over L + R days;
//! * σ² = (L + R)/b · σ_d² + (μ/(L + R))² · σ_L², with σ_d the one-bucket
//!   forecast error, b the bucket length in days and σ_L the lead-time spread;
//! * safety stock = z·σ for the cycle-service target (z = Φ⁻¹(target));
//! * reorder point s = μ + safety stock; order-up-to S = s + demand over the
//!   order cycle that follows;
//! * order S − IP when the inventory position IP is below s, rounded up to the
//!   MOQ and to a multiple of the pack size.

use crate::stats::{norm_cdf, norm_ppf};

/// Expected demand per day from the as-of date on.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyRate {
    rates: Vec<f64>,
}

impl DailyRate {
    /// Daily rates `rates[i]` for day as-of + i; beyond the end the last rate holds.
    pub fn new(rates: Vec<f64>) -> Self {
        let rates = rates
            .into_iter()
            .map(|r| if r.is_finite() { r.max(0.0) } else { 0.0 })
            .collect();
        DailyRate { rates }
    }

    /// Rate on day `i` after the as-of date.
    pub fn at(&self, i: usize) -> f64 {
        self.rates
            .get(i)
            .or(self.rates.last())
            .copied()
            .unwrap_or(0.0)
    }

    /// Expected demand between `from` and `to` days after the as-of date
    /// (fractional days count pro rata).
    pub fn between(&self, from: f64, to: f64) -> f64 {
        if to.is_nan() || from.is_nan() || to <= from {
            return 0.0;
        }
        let mut total = 0.0;
        let mut day = from.floor() as usize;
        while (day as f64) < to {
            let lo = from.max(day as f64);
            let hi = to.min(day as f64 + 1.0);
            total += self.at(day) * (hi - lo);
            day += 1;
        }
        total
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
    /// Cycle-service target in (0, 1).
    pub service_level: f64,
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
}

/// The policy's decision for one series. Quantities are units, dates are days after as-of.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyOutput {
    /// Expected demand over lead time + review period.
    pub lead_time_demand: f64,
    /// Spread of demand over lead time + review period.
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

/// Apply the policy to one series.
pub fn plan(input: &PolicyInput) -> PolicyOutput {
    let l = input.lead_time_days.max(0.0);
    let protection = l + input.review_period_days.max(0.0);
    let mu = input.rate.between(0.0, protection);
    let daily = if protection > 0.0 {
        mu / protection
    } else {
        input.rate.at(0)
    };
    let var = protection / input.bucket_days * input.sigma_bucket.powi(2)
        + (daily * input.lead_time_sd_days).powi(2);
    let sd = var.max(0.0).sqrt();
    let z = norm_ppf(input.service_level.clamp(1e-6, 1.0 - 1e-6));
    let safety_stock = (z * sd).max(0.0);
    let reorder_point = mu + safety_stock;
    let order_up_to = reorder_point
        + input
            .rate
            .between(protection, protection + input.order_cycle_days.max(0.0));
    let inventory_position = input.on_hand + input.on_order - input.backordered - input.allocated;
    let order_qty = if inventory_position < reorder_point - 1e-9 {
        round_order(order_up_to - inventory_position, input.moq, input.pack_size)
    } else {
        0.0
    };

    let horizon = input.projection_days;
    // Order-by: the first day the position, drawn down by demand, falls below s.
    let order_by_days = if order_qty > 0.0 {
        Some(0)
    } else {
        let mut position = inventory_position;
        (0..horizon).find_map(|d| {
            position -= input.rate.at(d);
            (position < reorder_point - 1e-9).then_some(d as i64 + 1)
        })
    };
    // Stock-out: net stock plus arrivals, drawn down by demand, falls below zero.
    let net = input.on_hand - input.backordered - input.allocated;
    let arriving = |d: i64| -> f64 {
        input
            .arrivals
            .iter()
            .filter(|(day, _)| (*day).max(0) == d)
            .map(|(_, q)| q)
            .sum()
    };
    let stockout_days = if net < -1e-9 {
        Some(0)
    } else {
        let mut stock = net;
        (0..horizon as i64).find(|&d| {
            stock += arriving(d) - input.rate.at(d as usize);
            stock < -1e-9
        })
    };
    // Risk: at some point before an order placed now can arrive (just before
    // each open PO arrival, and at the lead time), demand so far exceeds the net
    // stock plus what has arrived by then.
    let spread = |t: f64| -> f64 {
        let mu = input.rate.between(0.0, t);
        let daily = if t > 0.0 { mu / t } else { 0.0 };
        (t / input.bucket_days * input.sigma_bucket.powi(2)
            + (daily * input.lead_time_sd_days).powi(2))
        .sqrt()
    };
    let exceed = |t: f64, available: f64| -> f64 {
        let mu = input.rate.between(0.0, t);
        let sd = spread(t);
        if sd > 1e-12 {
            1.0 - norm_cdf((available - mu) / sd)
        } else if mu > available + 1e-9 {
            1.0
        } else {
            0.0
        }
    };
    let stockout_risk = if net < -1e-9 {
        1.0
    } else {
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
    };
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
        stockout_risk: stockout_risk.clamp(0.0, 1.0),
        days_of_cover,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(rate_per_day: f64) -> PolicyInput {
        PolicyInput {
            rate: DailyRate::new(vec![rate_per_day]),
            sigma_bucket: 0.0,
            bucket_days: 7.0,
            lead_time_days: 14.0,
            lead_time_sd_days: 0.0,
            review_period_days: 7.0,
            order_cycle_days: 28.0,
            service_level: 0.95,
            moq: 0.0,
            pack_size: 1.0,
            on_hand: 0.0,
            on_order: 0.0,
            backordered: 0.0,
            allocated: 0.0,
            arrivals: vec![],
            projection_days: 365,
        }
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
        // 10 units a week; L + R = 21 days = 3 weeks.
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
}
