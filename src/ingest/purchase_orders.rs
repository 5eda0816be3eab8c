//! The purchase-order file, the largest after the sales: its numbers and
//! dates are converted ahead, on the thread that opened it while the sales
//! are read; its lines are keyed to the series once the series are known.

use std::collections::HashMap;

use super::readers::{Sink, Window};
use super::table::{Table, cells};
use super::{KeyCache, PurchaseOrder, RejectedRow, SeriesKey, fill_records, locations};
use crate::config::Config;
use crate::error::Result;
use crate::warnings::Warning;

/// The purchase orders' numbers and dates, one per row.
pub(super) struct PoColumns {
    qty: Vec<f64>,
    order: Vec<i32>,
    due: Vec<i32>,
    received: Option<Vec<Option<i32>>>,
    received_qty: Option<Vec<Option<f64>>>,
}

impl PoColumns {
    /// Check every column of `po` in the order the lines are read (so that
    /// the first error is the one they would meet) and keep the numbers and
    /// dates.
    pub fn read(po: &Table, config: &Config) -> Result<PoColumns> {
        let sku_strings = po.strings("sku")?;
        po.required_strs("sku", sku_strings.as_ref())?;
        let loc_strings = po.strings("location")?;
        locations(po, loc_strings.as_ref(), config)?;
        let columns = PoColumns {
            qty: po.required_numbers("qty", Some(0.0))?,
            order: po.required_dates("order_date")?,
            due: po.required_dates("due_date")?,
            received: po.dates("received_date")?,
            received_qty: po.optional_numbers("received_qty", Some(0.0))?,
        };
        po.strings("po_id")?;
        po.strings("supplier")?;
        Ok(columns)
    }

    /// Row `row`'s receipt day, when it was received before `as_of_day`.
    fn received_by(&self, row: usize, as_of_day: i32) -> Option<i32> {
        self.received
            .as_ref()
            .and_then(|v| v[row])
            .filter(|&r| r <= as_of_day)
    }
}

/// The purchase-order lines of the planned series (`n`, numbered by
/// `ids`), as they stood on the as-of date, from `po` and its `columns`.
pub(super) fn purchase_orders(
    po: &Table,
    columns: &PoColumns,
    config: &Config,
    ids: &HashMap<SeriesKey, usize>,
    n: usize,
    window: &Window,
    sink: &mut Sink,
) -> Result<Vec<Vec<PurchaseOrder>>> {
    let Window {
        as_of, as_of_day, ..
    } = *window;
    sink.record(po);
    let sku_strings = po.strings("sku")?;
    let skus = po.required_strs("sku", sku_strings.as_ref())?;
    let loc_strings = po.strings("location")?;
    let locs = locations(po, loc_strings.as_ref(), config)?;
    let po_id_strings = po.strings("po_id")?;
    let supplier_strings = po.strings("supplier")?;
    let c = columns;
    // Each line's series first (the purchase orders as they stood on the
    // as-of date: a line ordered after it did not exist yet, one received
    // after it was still open), so that each series' lines are allocated
    // once, at their number.
    let mut cache = KeyCache::new();
    let found: Vec<Option<usize>> = (0..skus.len())
        .map(|row| {
            (c.order[row] <= as_of_day)
                .then(|| cache.get(skus[row], locs[row], |key| ids.get(&key).copied()))
                .flatten()
        })
        .collect();
    let mut counts = vec![0usize; n];
    for (row, id) in found.iter().enumerate() {
        if let Some(id) = id
            && c.received_by(row, as_of_day)
                .is_none_or(|r| r >= c.order[row])
        {
            counts[*id] += 1;
        }
    }
    let mut lines = Lines {
        po,
        purchase_orders: counts.into_iter().map(Vec::with_capacity).collect(),
        po_id: po_id_strings.as_ref().map(cells),
        supplier: supplier_strings.as_ref().map(cells),
        start: sink.rejected.len(),
        rejected_rows: Vec::new(),
        sink,
    };
    let mut ordered_after = 0u64;
    for row in 0..skus.len() {
        if c.order[row] > as_of_day {
            ordered_after += 1;
            continue;
        }
        lines.add(row, found[row], (skus[row], locs[row]), c, as_of_day);
    }
    let Lines {
        purchase_orders,
        start,
        rejected_rows,
        sink,
        ..
    } = lines;
    fill_records(po, &mut sink.rejected[start..], &rejected_rows)?;
    sink.warnings.summary(
        "after_as_of",
        &po.display,
        ordered_after,
        format!("{ordered_after} purchase-order lines ordered after the as-of date {as_of} were left out (lines received after it count as open)"),
    );
    Ok(purchase_orders)
}

/// The lines being read, per series, and what was set aside.
struct Lines<'a, 's> {
    po: &'a Table,
    purchase_orders: Vec<Vec<PurchaseOrder>>,
    po_id: Option<Vec<Option<&'a str>>>,
    supplier: Option<Vec<Option<&'a str>>>,
    /// The first of the rows this file set aside in `sink.rejected`.
    start: usize,
    rejected_rows: Vec<usize>,
    sink: &'s mut Sink,
}

impl Lines<'_, '_> {
    /// Add row `row` (ordered by the as-of date) to series `found`, or set
    /// it aside, warning as it goes.
    fn add(
        &mut self,
        row: usize,
        found: Option<usize>,
        (sku, location): (&str, &str),
        c: &PoColumns,
        as_of_day: i32,
    ) {
        let key = (sku, location);
        let Some(id) = found else {
            let message =
                "purchase-order line for a SKU-location with no sales or backorders; not planned";
            self.set_aside(row, "po_without_history", message, key);
            return;
        };
        let received_day = c.received_by(row, as_of_day);
        let received_after = c
            .received
            .as_ref()
            .and_then(|v| v[row])
            .is_some_and(|r| r > as_of_day);
        if c.due[row] < c.order[row] {
            let message = "due date before order date; kept as given";
            self.warn(row, "po_due_before_order", message, key);
        }
        if received_day.is_some_and(|r| r < c.order[row]) {
            let message = "received before it was ordered; the line is ignored";
            self.set_aside(row, "po_received_before_order", message, key);
            return;
        }
        self.purchase_orders[id].push(PurchaseOrder {
            po_id: self.po_id.as_ref().and_then(|v| v[row]).map(str::to_string),
            supplier: self
                .supplier
                .as_ref()
                .and_then(|v| v[row])
                .map(str::to_string),
            qty: c.qty[row],
            order_day: c.order[row],
            due_day: c.due[row],
            received_day,
            received_qty: c
                .received_qty
                .as_ref()
                .and_then(|v| v[row])
                .filter(|_| !received_after),
        });
    }

    /// Warn about row `row` of series `(sku, location)`.
    fn warn(
        &mut self,
        row: usize,
        kind: &'static str,
        message: &str,
        (sku, location): (&str, &str),
    ) {
        self.sink.warnings.push(Warning {
            kind,
            file: self.po.display.clone(),
            line: Some(self.po.line(row)),
            sku: sku.to_string(),
            location: location.to_string(),
            message: message.into(),
        });
    }

    /// Set row `row` of series `key` aside, and warn about it.
    fn set_aside(&mut self, row: usize, reason: &'static str, message: &str, key: (&str, &str)) {
        self.sink.rejected.push(RejectedRow {
            file: self.po.display.clone(),
            line: self.po.line(row),
            column: String::new(),
            reason,
            message: message.into(),
            record: String::new(),
        });
        self.rejected_rows.push(row);
        self.warn(row, reason, message, key);
    }
}
