//! Exceptions: the series a planner should look at first, each with the rule
//! that raised it and the number behind it.

use crate::config::Config;
use crate::ingest::PurchaseOrder;
use crate::pipeline::{FLAG_AT_RISK, RunOutput, date_after};

/// One exception on one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Exception {
    /// Series id.
    pub id: usize,
    /// Rule: `backordered_now`, `stockout_within_lead_time`, `back_in_stock_delayed`,
    /// `overdue_purchase_order`, `lead_time_outlier`, `excess`, `dead_stock`,
    /// `forecast_bias`, `outliers`.
    pub kind: &'static str,
    /// The number the rule looked at (units, days, share or count, as the detail says).
    pub value: f64,
    /// What happened, in words.
    pub detail: String,
}

/// Every exception of a run, in series order, rules in the order above.
pub fn find(run: &RunOutput, config: &Config) -> Vec<Exception> {
    let e = &config.exceptions;
    let as_of = run.dataset.as_of;
    let as_of_day = crate::calendar::day_number(as_of);
    let mut out = Vec::new();
    for p in &run.plans {
        let mut add = |kind: &'static str, value: f64, detail: String| {
            out.push(Exception {
                id: p.id,
                kind,
                value,
                detail,
            })
        };
        if p.backordered > 0.0 {
            add(
                "backordered_now",
                p.backordered,
                format!("{} units on open customer backorder", p.backordered),
            );
        }
        if p.flags.contains(&FLAG_AT_RISK)
            && p.backordered <= 0.0
            && let Some(d) = p.policy.stockout_days
        {
            add(
                "stockout_within_lead_time",
                d as f64,
                format!(
                    "stock runs out on {}, before an order placed today arrives ({})",
                    date_after(as_of, d),
                    date_after(as_of, p.lead_time_days.ceil() as i64)
                ),
            );
        }
        if let Some(a) = run.availability.get(p.id)
            && let Some(days) = a.delay_days
        {
            let before = a
                .previous_back_in_stock
                .map(|d| d.to_string())
                .unwrap_or_default();
            let detail = match a.back_in_stock {
                Some((d, by)) => format!(
                    "back in stock {} ({}), {days} day(s) later than the previous run's {before}",
                    date_after(as_of, d),
                    by.name().replace('_', " ")
                ),
                None => format!(
                    "no back-in-stock date within the projection now; the previous run said {before} (at least {days} day(s) later)"
                ),
            };
            add("back_in_stock_delayed", days as f64, detail);
        }
        let overdue: Vec<_> = run.dataset.purchase_orders[p.id]
            .iter()
            .filter(|po| po.open_qty() > 0.0 && po.due_day < as_of_day)
            .collect();
        if !overdue.is_empty() {
            let units: f64 = overdue.iter().map(|po| po.open_qty()).sum();
            let oldest = overdue
                .iter()
                .map(|po| po.due_day)
                .min()
                .unwrap_or(as_of_day);
            add(
                "overdue_purchase_order",
                units,
                format!(
                    "{units} units on {} open PO line(s) past due (oldest due {})",
                    overdue.len(),
                    crate::calendar::date_of_day(oldest)
                        .map(|d| d.to_string())
                        .unwrap_or_default()
                ),
            );
        }
        let recent = as_of_day - e.lead_time_outlier_days.max(0.0).ceil() as i32;
        if let Some((days, typical, po)) =
            lead_time_outlier(&run.dataset.purchase_orders[p.id], recent)
        {
            add(
                "lead_time_outlier",
                days,
                format!(
                    "{}received {days:.0} days after ordering against a typical {typical:.0}",
                    po.map(|id| format!("PO {id} ")).unwrap_or_default()
                ),
            );
        }
        // Stock beyond the order-up-to level that also lasts longer than the
        // limit: a slow mover whose reorder point alone covers a year is not
        // excess, and an item below its reorder point never is.
        let net = p.on_hand - p.backordered - p.allocated;
        if let Some(cover) = p.policy.days_of_cover
            && cover > e.excess_cover_days
            && net > p.policy.order_up_to + 1e-9
        {
            add(
                "excess",
                cover,
                format!(
                    "{cover:.0} days of cover at the forecast rate (limit {})",
                    e.excess_cover_days
                ),
            );
        }
        let demand = &run.panel.series[p.id].demand;
        if crate::pipeline::is_dead_stock(demand, run.panel.bucket, e.dead_stock_days, p.on_hand) {
            add(
                "dead_stock",
                p.on_hand,
                format!(
                    "{} units on hand and no demand for {} days",
                    p.on_hand, e.dead_stock_days
                ),
            );
        }
        if let Some(bt) = p.forecast.chosen() {
            let mean = demand.iter().sum::<f64>() / demand.len().max(1) as f64;
            let share = if mean > 0.0 { bt.bias / mean } else { 0.0 };
            if share.abs() > e.bias_threshold {
                add(
                    "forecast_bias",
                    share,
                    format!(
                        "backtest {} by {:.0} % of mean demand",
                        if share > 0.0 {
                            "over-forecast"
                        } else {
                            "under-forecast"
                        },
                        share.abs() * 100.0
                    ),
                );
            }
        }
        if !p.forecast.outliers.is_empty() {
            let n = p.forecast.outliers.len();
            add(
                "outliers",
                n as f64,
                format!("{n} bucket(s) clipped as outliers before fitting"),
            );
        }
    }
    out
}

/// The latest purchase-order line received on or after day `since` whose lead
/// time is far beyond the item's typical one: more than the median +
/// max(3 robust σ, half the median), robust σ = 1.4826 · median absolute
/// deviation, over at least 4 received lines. Returns (its lead time, the
/// median, its PO id).
fn lead_time_outlier(lines: &[PurchaseOrder], since: i32) -> Option<(f64, f64, Option<&str>)> {
    let received: Vec<(i32, f64, Option<&str>)> = lines
        .iter()
        .filter_map(|po| {
            po.received_day
                .map(|r| (r, f64::from(r - po.order_day), po.po_id.as_deref()))
        })
        .collect();
    if received.len() < 4 {
        return None;
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            0.5 * (v[n / 2 - 1] + v[n / 2])
        }
    };
    let typical = median(received.iter().map(|r| r.1).collect());
    let mad = median(received.iter().map(|r| (r.1 - typical).abs()).collect());
    let limit = typical + (3.0 * 1.4826 * mad).max(0.5 * typical);
    received
        .iter()
        .filter(|r| r.1 > limit && r.0 >= since)
        .max_by_key(|r| r.0)
        .map(|r| (r.1, typical, r.2))
}
