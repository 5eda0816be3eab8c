//! Exceptions: the series a planner should look at first, each with the rule
//! that raised it and the number behind it.

use chrono::NaiveDate;

use crate::calendar::date_after;
use crate::config::{Config, ExceptionsConfig};
use crate::ingest::PurchaseOrder;
use crate::output::RunOutput;
use crate::plan::{Flag, SeriesPlan, is_dead_stock};

/// The rule that raised an exception, in the order the rules run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExceptionKind {
    /// Open customer backorders now.
    BackorderedNow,
    /// Stock runs out before an order placed today arrives.
    StockoutWithinLeadTime,
    /// Back in stock later than the previous run said.
    BackInStockDelayed,
    /// Open purchase-order lines past their due date.
    OverduePurchaseOrder,
    /// A recent receipt took far longer than the item's typical lead time.
    LeadTimeOutlier,
    /// Stock above the order-up-to level lasting beyond the limit.
    Excess,
    /// Stock and no demand for the dead-stock time.
    DeadStock,
    /// Backtest bias beyond the threshold.
    ForecastBias,
    /// Buckets clipped as outliers before fitting.
    Outliers,
}

impl ExceptionKind {
    /// Every rule, in the order they run.
    pub const ALL: [ExceptionKind; 9] = [
        ExceptionKind::BackorderedNow,
        ExceptionKind::StockoutWithinLeadTime,
        ExceptionKind::BackInStockDelayed,
        ExceptionKind::OverduePurchaseOrder,
        ExceptionKind::LeadTimeOutlier,
        ExceptionKind::Excess,
        ExceptionKind::DeadStock,
        ExceptionKind::ForecastBias,
        ExceptionKind::Outliers,
    ];

    /// The spelling in exceptions.csv, run.json and the page.
    pub fn name(self) -> &'static str {
        match self {
            ExceptionKind::BackorderedNow => "backordered_now",
            ExceptionKind::StockoutWithinLeadTime => "stockout_within_lead_time",
            ExceptionKind::BackInStockDelayed => "back_in_stock_delayed",
            ExceptionKind::OverduePurchaseOrder => "overdue_purchase_order",
            ExceptionKind::LeadTimeOutlier => "lead_time_outlier",
            ExceptionKind::Excess => "excess",
            ExceptionKind::DeadStock => "dead_stock",
            ExceptionKind::ForecastBias => "forecast_bias",
            ExceptionKind::Outliers => "outliers",
        }
    }

    /// A service problem now or soon (what the charts show first).
    pub fn is_service(self) -> bool {
        matches!(
            self,
            ExceptionKind::BackorderedNow
                | ExceptionKind::StockoutWithinLeadTime
                | ExceptionKind::BackInStockDelayed
                | ExceptionKind::OverduePurchaseOrder
        )
    }

    /// The rule on one series: the number it looked at and what happened.
    fn check(self, c: &Context, p: &SeriesPlan) -> Option<(f64, String)> {
        match self {
            ExceptionKind::BackorderedNow => backordered_now(p),
            ExceptionKind::StockoutWithinLeadTime => stockout_within_lead_time(c, p),
            ExceptionKind::BackInStockDelayed => back_in_stock_delayed(c, p),
            ExceptionKind::OverduePurchaseOrder => overdue_purchase_order(c, p),
            ExceptionKind::LeadTimeOutlier => lead_time_outlier_rule(c, p),
            ExceptionKind::Excess => excess(c, p),
            ExceptionKind::DeadStock => dead_stock(c, p),
            ExceptionKind::ForecastBias => forecast_bias(c, p),
            ExceptionKind::Outliers => outliers(p),
        }
    }
}

/// One exception on one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Exception {
    /// Series id.
    pub id: usize,
    /// The rule.
    pub kind: ExceptionKind,
    /// The number the rule looked at (units, days, share or count, as the detail says).
    pub value: f64,
    /// What happened, in words.
    pub detail: String,
}

/// What the rules look at besides the series' plan.
struct Context<'a> {
    run: &'a RunOutput,
    limits: &'a ExceptionsConfig,
    as_of: NaiveDate,
    as_of_day: i32,
}

/// Every exception of a run, in series order, rules in the order of
/// [`ExceptionKind::ALL`].
pub fn find(run: &RunOutput, config: &Config) -> Vec<Exception> {
    let as_of = run.dataset.as_of;
    let c = Context {
        run,
        limits: &config.exceptions,
        as_of,
        as_of_day: crate::calendar::day_number(as_of),
    };
    run.plans
        .iter()
        .flat_map(|p| {
            let c = &c;
            ExceptionKind::ALL.into_iter().filter_map(move |kind| {
                kind.check(c, p).map(|(value, detail)| Exception {
                    id: p.id,
                    kind,
                    value,
                    detail,
                })
            })
        })
        .collect()
}

fn backordered_now(p: &SeriesPlan) -> Option<(f64, String)> {
    (p.backordered > 0.0).then(|| {
        (
            p.backordered,
            format!("{} units on open customer backorder", p.backordered),
        )
    })
}

fn stockout_within_lead_time(c: &Context, p: &SeriesPlan) -> Option<(f64, String)> {
    if !p.flags.contains(&Flag::AtRisk) || p.backordered > 0.0 {
        return None;
    }
    let d = p.policy.stockout_days?;
    Some((
        d as f64,
        format!(
            "stock runs out on {}, before an order placed today arrives ({})",
            date_after(c.as_of, d),
            date_after(c.as_of, p.lead_time_days.ceil() as i64)
        ),
    ))
}

fn back_in_stock_delayed(c: &Context, p: &SeriesPlan) -> Option<(f64, String)> {
    let a = c.run.availability.get(p.id)?;
    let days = a.delay_days?;
    let before = a
        .previous_back_in_stock
        .map(|d| d.to_string())
        .unwrap_or_default();
    let detail = match a.back_in_stock {
        Some((d, by)) => format!(
            "back in stock {} ({}), {days} day(s) later than the previous run's {before}",
            date_after(c.as_of, d),
            by.name().replace('_', " ")
        ),
        None => format!(
            "no back-in-stock date within the projection now; the previous run said {before} (at least {days} day(s) later)"
        ),
    };
    Some((days as f64, detail))
}

fn overdue_purchase_order(c: &Context, p: &SeriesPlan) -> Option<(f64, String)> {
    let overdue: Vec<_> = c.run.dataset.purchase_orders[p.id]
        .iter()
        .filter(|po| po.open_qty() > 0.0 && po.due_day < c.as_of_day)
        .collect();
    if overdue.is_empty() {
        return None;
    }
    let units: f64 = overdue.iter().map(|po| po.open_qty()).sum();
    let oldest = overdue
        .iter()
        .map(|po| po.due_day)
        .min()
        .unwrap_or(c.as_of_day);
    Some((
        units,
        format!(
            "{units} units on {} open PO line(s) past due (oldest due {})",
            overdue.len(),
            crate::calendar::date_of_day(oldest)
                .map(|d| d.to_string())
                .unwrap_or_default()
        ),
    ))
}

fn lead_time_outlier_rule(c: &Context, p: &SeriesPlan) -> Option<(f64, String)> {
    let recent = c.as_of_day - c.limits.lead_time_outlier_days.max(0.0).ceil() as i32;
    let (days, typical, po) = lead_time_outlier(&c.run.dataset.purchase_orders[p.id], recent)?;
    Some((
        days,
        format!(
            "{}received {days:.0} days after ordering against a typical {typical:.0}",
            po.map(|id| format!("PO {id} ")).unwrap_or_default()
        ),
    ))
}

/// Stock beyond the order-up-to level that also lasts longer than the limit:
/// a slow mover whose reorder point alone covers a year is not excess, and
/// an item below its reorder point never is.
fn excess(c: &Context, p: &SeriesPlan) -> Option<(f64, String)> {
    let net = p.on_hand - p.backordered - p.allocated;
    let cover = p.policy.days_of_cover?;
    (cover > c.limits.excess_cover_days && net > p.policy.order_up_to + 1e-9).then(|| {
        (
            cover,
            format!(
                "{cover:.0} days of cover at the forecast rate (limit {})",
                c.limits.excess_cover_days
            ),
        )
    })
}

fn dead_stock(c: &Context, p: &SeriesPlan) -> Option<(f64, String)> {
    let demand = &c.run.panel.series[p.id].demand;
    is_dead_stock(
        demand,
        c.run.panel.bucket,
        c.limits.dead_stock_days,
        p.on_hand,
    )
    .then(|| {
        (
            p.on_hand,
            format!(
                "{} units on hand and no demand for {} days",
                p.on_hand, c.limits.dead_stock_days
            ),
        )
    })
}

fn forecast_bias(c: &Context, p: &SeriesPlan) -> Option<(f64, String)> {
    let bt = p.forecast.chosen()?;
    let demand = &c.run.panel.series[p.id].demand;
    let mean = demand.iter().sum::<f64>() / demand.len().max(1) as f64;
    let share = if mean > 0.0 { bt.bias / mean } else { 0.0 };
    (share.abs() > c.limits.bias_threshold).then(|| {
        (
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
        )
    })
}

fn outliers(p: &SeriesPlan) -> Option<(f64, String)> {
    let n = p.forecast.outliers.len();
    (n > 0).then(|| {
        (
            n as f64,
            format!("{n} bucket(s) clipped as outliers before fitting"),
        )
    })
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
            po.received_day()
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
