//! Suppliers as purchasing sees them, from the purchase-order lines alone:
//! a scorecard per supplier and location (on time, in full, days late, lead
//! time and its drift, open lines overdue), and the lead time of a
//! supplier's receipts for the items with too few receipts of their own.

use std::collections::BTreeMap;

use chrono::{Datelike, Weekday};

use crate::calendar::date_of_day;
use crate::ingest::{Dataset, PurchaseOrder, SupplierTerms};

/// Days of the recent window whose lead time is compared with the year's.
pub const RECENT_DAYS: i32 = 90;

/// One supplier at one location.
#[derive(Debug, Clone, PartialEq)]
pub struct Scorecard {
    /// Supplier.
    pub supplier: String,
    /// Location.
    pub location: String,
    /// Lines received in the window.
    pub lines: usize,
    /// Units received in the window.
    pub units: f64,
    /// Value received (units × unit cost).
    pub spend: f64,
    /// Share of the received lines received on or before their due date.
    pub on_time: f64,
    /// Share of the received lines received in full (no received quantity: in full).
    pub in_full: f64,
    /// Mean days late (early lines count 0).
    pub days_late_mean: f64,
    /// 90th percentile of the days late.
    pub days_late_p90: f64,
    /// Mean days from order to receipt.
    pub lead_time_mean: f64,
    /// Their standard deviation.
    pub lead_time_sd: f64,
    /// Their 90th percentile.
    pub lead_time_p90: f64,
    /// Mean lead time of the lines received in the last [`RECENT_DAYS`]
    /// minus the window's, when there were such lines.
    pub lead_time_change: Option<f64>,
    /// Lines still open.
    pub open_lines: usize,
    /// Open lines past their due date.
    pub overdue_lines: usize,
}

/// The supplier of a purchase-order line of series `id`: the line's own,
/// else the item master's.
fn supplier_of<'a>(data: &'a Dataset, id: usize, po: &'a PurchaseOrder) -> Option<&'a str> {
    line_supplier(data, id, data.po_supplier(po))
}

/// The supplier of a line of series `id` that names `supplier`: it, else
/// the item master's.
fn line_supplier<'a>(data: &'a Dataset, id: usize, supplier: Option<&'a str>) -> Option<&'a str> {
    supplier
        .or_else(|| data.items[id].as_ref()?.supplier.as_deref())
        .filter(|s| !s.trim().is_empty())
}

/// Received and open lines of one (supplier, location).
#[derive(Default)]
struct Lines<'a> {
    received: Vec<(&'a PurchaseOrder, f64)>,
    open: usize,
    overdue: usize,
}

/// The scorecard of every supplier and location with a line received in
/// the `days` before day `as_of_day` or open on it, by supplier then location.
pub fn scorecards(data: &Dataset, as_of_day: i32, days: f64) -> Vec<Scorecard> {
    let from = as_of_day - days.ceil() as i32;
    let mut by: BTreeMap<(&str, &str), Lines> = BTreeMap::new();
    for (id, lines) in data.purchase_orders.iter().enumerate() {
        let cost = data.items[id]
            .as_ref()
            .and_then(|i| i.unit_cost)
            .unwrap_or(0.0);
        for po in lines {
            let Some(supplier) = supplier_of(data, id, po) else {
                continue;
            };
            let key = (supplier, data.keys[id].location.as_str());
            match po.received_day() {
                Some(r) if r >= from && r < as_of_day => {
                    by.entry(key).or_default().received.push((po, cost))
                }
                Some(_) => {}
                None if po.open_qty() > 0.0 => {
                    let e = by.entry(key).or_default();
                    e.open += 1;
                    e.overdue += usize::from(po.due_day < as_of_day);
                }
                None => {}
            }
        }
    }
    by.into_iter()
        .map(|((supplier, location), l)| score(supplier, location, &l, as_of_day))
        .collect()
}

fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        0.0
    } else {
        x.iter().sum::<f64>() / x.len() as f64
    }
}

fn sd(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return 0.0;
    }
    let m = mean(x);
    (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
}

/// The 90th percentile, interpolated between order statistics (0 when empty).
fn p90(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n => {
            let h = 0.9 * (n - 1) as f64;
            let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
            v[lo] + (h - lo as f64) * (v[hi] - v[lo])
        }
    }
}

fn score(supplier: &str, location: &str, l: &Lines, as_of_day: i32) -> Scorecard {
    let n = l.received.len();
    let share = |f: &dyn Fn(&PurchaseOrder) -> bool| {
        if n == 0 {
            0.0
        } else {
            l.received.iter().filter(|(po, _)| f(po)).count() as f64 / n as f64
        }
    };
    let received = |po: &PurchaseOrder| po.received_day().unwrap_or(po.due_day);
    let late: Vec<f64> = l
        .received
        .iter()
        .map(|(po, _)| f64::from((received(po) - po.due_day).max(0)))
        .collect();
    let lead: Vec<f64> = l
        .received
        .iter()
        .map(|(po, _)| f64::from(received(po) - po.order_day))
        .collect();
    let recent: Vec<f64> = l
        .received
        .iter()
        .filter(|(po, _)| received(po) >= as_of_day - RECENT_DAYS)
        .map(|(po, _)| f64::from(received(po) - po.order_day))
        .collect();
    let units = |po: &PurchaseOrder| po.received_qty().unwrap_or(po.qty);
    Scorecard {
        supplier: supplier.to_string(),
        location: location.to_string(),
        lines: n,
        units: l.received.iter().map(|(po, _)| units(po)).sum(),
        spend: l.received.iter().map(|(po, c)| units(po) * c).sum(),
        on_time: share(&|po| received(po) <= po.due_day),
        in_full: share(&|po| po.received_qty().is_none_or(|q| q >= po.qty)),
        days_late_mean: mean(&late),
        days_late_p90: p90(&late),
        lead_time_mean: mean(&lead),
        lead_time_sd: sd(&lead),
        lead_time_p90: p90(&lead),
        lead_time_change: (!recent.is_empty() && n > 0).then(|| mean(&recent) - mean(&lead)),
        open_lines: l.open,
        overdue_lines: l.overdue,
    }
}

/// Every series' supplier ([`series_supplier`]); a series whose history a
/// subset load left out (its purchase-order lines are not kept) takes the
/// supplier of its latest received line, kept for the suppliers' lead times.
pub fn series_suppliers(data: &Dataset) -> Vec<Option<&str>> {
    let mut received: Vec<Option<(i32, &str)>> = vec![None; data.keys.len()];
    for r in &data.receipts_of_others {
        let supplier = r.supplier.as_deref().filter(|s| !s.trim().is_empty());
        if let (Some(s), Some(slot)) = (supplier, received.get_mut(r.id as usize))
            && slot.is_none_or(|(day, _)| r.order_day >= day)
        {
            *slot = Some((r.order_day, s));
        }
    }
    (0..data.keys.len())
        .map(|id| series_supplier(data, id).or_else(|| received[id].map(|(_, s)| s)))
        .collect()
}

/// The supplier of series `id`: the item master's, else the one on its
/// latest purchase-order line that names one.
pub fn series_supplier(data: &Dataset, id: usize) -> Option<&str> {
    data.items[id]
        .as_ref()
        .and_then(|i| i.supplier.as_deref())
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            data.purchase_orders[id]
                .iter()
                .filter(|po| data.po_supplier(po).is_some_and(|s| !s.trim().is_empty()))
                .max_by_key(|po| po.order_day)
                .and_then(|po| data.po_supplier(po))
        })
}

/// What a series' supplier tells its plan.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SupplierFacts {
    /// Mean and spread (days) of the supplier's observed lead times, when
    /// there are enough receipts ([`lead_times`]).
    pub lead_time: Option<(f64, f64)>,
    /// The longest gap between the supplier's order days, when it has them:
    /// the review period of its items unless the item master sets one.
    pub review_period_days: Option<f64>,
}

/// The terms of series `id`'s supplier, when `suppliers.csv` has them.
pub fn terms_of(data: &Dataset, id: usize) -> Option<&SupplierTerms> {
    data.suppliers.get(series_supplier(data, id)?)
}

/// What series `id`'s supplier tells its plan (its lead time as of the
/// dataset's `supplier_lead_times`).
pub fn facts(data: &Dataset, id: usize) -> SupplierFacts {
    SupplierFacts {
        lead_time: data.supplier_lead_time(id),
        review_period_days: terms_of(data, id).and_then(|t| longest_gap(&t.order_days)),
    }
}

/// The longest gap in days between consecutive order days of a week (7 for
/// one order day); `None` for none (any day).
pub fn longest_gap(days: &[Weekday]) -> Option<f64> {
    let mut d: Vec<u32> = days.iter().map(|w| w.num_days_from_monday()).collect();
    d.sort_unstable();
    d.dedup();
    let first = *d.first()?;
    let gaps = d.windows(2).map(|w| w[1] - w[0]);
    let wrap = first + 7 - d[d.len() - 1];
    Some(f64::from(
        gaps.chain(std::iter::once(wrap)).max().unwrap_or(7),
    ))
}

/// Days from day number `day` to the first order day on or after it (0 when
/// `days` is empty or `day` is one).
pub fn days_to_order_day(day: i32, days: &[Weekday]) -> i64 {
    if days.is_empty() {
        return 0;
    }
    let Some(date) = date_of_day(day) else {
        return 0;
    };
    let today = date.weekday().num_days_from_monday();
    days.iter()
        .map(|w| i64::from((w.num_days_from_monday() + 7 - today) % 7))
        .min()
        .unwrap_or(0)
}

/// Per series, the mean and spread of the order-to-receipt days of its
/// supplier's lines received before day `up_to` (every SKU of the supplier
/// at the series' location, else at every location), when there are at
/// least `min_samples` of them: the lead time of a series with too few
/// receipts of its own.
pub fn lead_times<'a>(
    data: &'a Dataset,
    up_to: i32,
    min_samples: usize,
) -> Vec<Option<(f64, f64)>> {
    let mut at: BTreeMap<(&str, &str), Vec<f64>> = BTreeMap::new();
    let mut anywhere: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut add = |id: usize, supplier: Option<&'a str>, order_day: i32, received: Option<i32>| {
        let (Some(supplier), Some(r)) = (line_supplier(data, id, supplier), received) else {
            return;
        };
        if r < up_to {
            let days = f64::from(r - order_day);
            at.entry((supplier, data.keys[id].location.as_str()))
                .or_default()
                .push(days);
            anywhere.entry(supplier).or_default().push(days);
        }
    };
    // Series by series, each's lines in file order: the receipts of the
    // series a shard did not keep whole (by series, in file order) where
    // their lines would be, so that the sums are the same as a single run's.
    let mut others = data.receipts_of_others.iter().peekable();
    for (id, lines) in data.purchase_orders.iter().enumerate() {
        for po in lines {
            add(id, data.po_supplier(po), po.order_day, po.received_day());
        }
        while let Some(r) = others.next_if(|r| r.id as usize == id) {
            add(id, r.supplier.as_deref(), r.order_day, Some(r.received_day));
        }
    }
    // Each supplier's figures once (a supplier serves many series).
    let stats = |v: &Vec<f64>| (v.len() >= min_samples.max(1)).then(|| (mean(v), sd(v)));
    let at: BTreeMap<(&str, &str), Option<(f64, f64)>> =
        at.iter().map(|(k, v)| (*k, stats(v))).collect();
    let anywhere: BTreeMap<&str, Option<(f64, f64)>> =
        anywhere.iter().map(|(k, v)| (*k, stats(v))).collect();
    (0..data.keys.len())
        .map(|id| {
            let supplier = series_supplier(data, id)?;
            at.get(&(supplier, data.keys[id].location.as_str()))
                .copied()
                .flatten()
                .or_else(|| anywhere.get(supplier).copied().flatten())
        })
        .collect()
}

#[cfg(test)]
mod tests;
