//! The purchase-order file, the largest after the sales: its numbers and
//! dates are converted ahead, on the thread that opened it while the sales
//! are read; its lines are keyed to the series once the series are known.

use std::collections::HashMap;

use super::readers::{Sink, Window, slices};
use super::table::{Table, cells};
use super::{
    CompactString, KeyCache, NOT_RECEIVED, PoSupplier, PurchaseOrder, Receipt, RejectedRow,
    SeriesKey, fill_records, locations,
};
use crate::config::Config;
use crate::error::Result;
use crate::warnings::Warning;

/// The purchase orders' numbers and dates, one per row; the receipts
/// without `Option`s (tens of millions of rows at a million series).
pub(super) struct PoColumns {
    qty: Vec<f64>,
    order: Vec<i32>,
    due: Vec<i32>,
    /// Day received; [`NOT_RECEIVED`] for none.
    received: Option<Vec<i32>>,
    /// Units received; NaN for none.
    received_qty: Option<Vec<f64>>,
}

impl PoColumns {
    /// The columns (logical names) converted here.
    pub const NAMES: [&'static str; 5] = [
        "qty",
        "order_date",
        "due_date",
        "received_date",
        "received_qty",
    ];

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
            received: po
                .dates("received_date")?
                .map(|v| without_options(&v, NOT_RECEIVED)),
            received_qty: po
                .optional_numbers("received_qty", Some(0.0))?
                .map(|v| without_options(&v, f64::NAN)),
        };
        po.strings("po_id")?;
        po.strings("supplier")?;
        Ok(columns)
    }

    /// Row `row`'s receipt day, when it has one.
    fn received(&self, row: usize) -> Option<i32> {
        let day = self.received.as_ref()?[row];
        (day != NOT_RECEIVED).then_some(day)
    }

    /// Row `row`'s units received, when given.
    fn received_qty(&self, row: usize) -> Option<f64> {
        let qty = self.received_qty.as_ref()?[row];
        (!qty.is_nan()).then_some(qty)
    }

    /// Row `row`'s receipt day, when it was received before `as_of_day`.
    fn received_by(&self, row: usize, as_of_day: i32) -> Option<i32> {
        self.received(row).filter(|&r| r <= as_of_day)
    }
}

/// `values` with `none` for a missing one, in an allocation of their
/// number (not reusing the larger one of the `Option`s).
fn without_options<T: Copy>(values: &[Option<T>], none: T) -> Vec<T> {
    let mut out = Vec::with_capacity(values.len());
    out.extend(values.iter().map(|v| v.unwrap_or(none)));
    out
}

/// The series the lines are keyed to.
pub(super) struct Keyed<'a> {
    /// The keys, by id.
    pub keys: &'a [SeriesKey],
    /// Each key's id.
    pub ids: &'a HashMap<SeriesKey, usize>,
    /// The series whose lines are kept whole, when not all: the others'
    /// received lines are kept as [`Receipt`]s.
    pub lines_of: Option<&'a [bool]>,
}

/// What the purchase-order file gives.
pub(super) struct PoLines {
    /// The lines of each planned series, as they stood on the as-of date.
    pub lines: Vec<Vec<PurchaseOrder>>,
    /// The received lines of the series whose lines are not kept whole.
    pub receipts: Vec<Receipt>,
    /// The suppliers the lines name ([`PurchaseOrder::supplier`]).
    pub suppliers: Vec<CompactString>,
}

/// The purchase-order lines of the planned `series`, as they stood on the
/// as-of date, from `po` and its `columns`; and the receipts of the series
/// whose lines are not kept whole.
pub(super) fn purchase_orders(
    po: &mut Table,
    columns: &PoColumns,
    config: &Config,
    series: &Keyed<'_>,
    window: &Window,
    sink: &mut Sink,
) -> Result<PoLines> {
    let &Keyed {
        keys,
        ids,
        lines_of,
    } = series;
    let n = keys.len();
    let whole = |id: usize| lines_of.is_none_or(|w| w[id]);
    let Window {
        as_of, as_of_day, ..
    } = *window;
    sink.record(po);
    let c = columns;
    let slices = slices(po.height());
    let (found, unkeyed) = series_of_lines(po, c, config, ids, as_of_day)?;
    // The file's SKUs and locations are not read again (a set-aside line's
    // record is read from the file when it can be).
    if po.reads_records_from_file() {
        po.forget_column("sku");
        po.forget_column("location");
    }
    let found = |row: usize| (found[row] != NO_SERIES).then_some(found[row] as usize);
    let mut counts = vec![0usize; n];
    for row in 0..po.height() {
        if let Some(id) = found(row)
            && whole(id)
            && c.received_by(row, as_of_day)
                .is_none_or(|r| r >= c.order[row])
        {
            counts[id] += 1;
        }
    }
    let mut lines = Lines {
        po,
        purchase_orders: counts.into_iter().map(Vec::with_capacity).collect(),
        lines_of,
        receipts: Vec::new(),
        suppliers: Suppliers::default(),
        start: sink.rejected.len(),
        rejected_rows: Vec::new(),
        sink,
    };
    let mut ordered_after = 0u64;
    for &(start, len) in &slices {
        let part = po.rows(start, len)?;
        let po_id_strings = part.strings("po_id")?;
        let supplier_strings = part.strings("supplier")?;
        let po_ids = po_id_strings.as_ref().map(cells);
        let suppliers = supplier_strings.as_ref().map(cells);
        for r in 0..len {
            let row = start + r;
            if c.order[row] > as_of_day {
                ordered_after += 1;
                continue;
            }
            let key = match found(row) {
                Some(id) => &keys[id],
                None => &unkeyed[&row],
            };
            let named = Named {
                key: (&key.sku, &key.location),
                po_id: po_ids.as_ref().and_then(|v| v[r]),
                supplier: suppliers.as_ref().and_then(|v| v[r]),
            };
            lines.add(row, found(row), &named, c, as_of_day);
        }
    }
    let Lines {
        purchase_orders,
        receipts,
        suppliers,
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
    // By series, each's in file order (as its lines would be).
    let mut receipts = receipts;
    receipts.sort_by_key(|r| r.id);
    Ok(PoLines {
        lines: purchase_orders,
        receipts,
        suppliers: suppliers.names,
    })
}

/// The suppliers named so far, each once, in the order first named.
#[derive(Default)]
struct Suppliers {
    names: Vec<CompactString>,
    places: HashMap<CompactString, PoSupplier>,
}

impl Suppliers {
    /// Supplier `name`'s place, named now if it was not before.
    fn of(&mut self, name: &str) -> PoSupplier {
        if let Some(&s) = self.places.get(name) {
            return s;
        }
        let s = PoSupplier::at(self.names.len());
        self.names.push(name.into());
        self.places.insert(name.into(), s);
        s
    }
}

/// Each line's series (`NO_SERIES` for none), the purchase orders as they
/// stood on the as-of date: a line ordered after it did not exist yet, one
/// received after it was still open. Found first, so that each series'
/// lines are allocated once, at their number; the text columns are read a
/// slice of rows at a time. The keys of lines ordered by then without a
/// series are noted for their warnings (the others' are their series' keys).
fn series_of_lines(
    po: &Table,
    c: &PoColumns,
    config: &Config,
    ids: &HashMap<SeriesKey, usize>,
    as_of_day: i32,
) -> Result<(Vec<u32>, HashMap<usize, SeriesKey>)> {
    let mut found: Vec<u32> = Vec::with_capacity(po.height());
    let mut unkeyed: HashMap<usize, SeriesKey> = HashMap::new();
    for (start, len) in slices(po.height()) {
        let part = po.rows(start, len)?;
        with_keys(&part, config, |skus, locs| {
            let mut cache = KeyCache::new();
            for row in 0..len {
                if c.order[start + row] > as_of_day {
                    found.push(NO_SERIES);
                    continue;
                }
                let id = cache.get(skus[row], locs[row], |key| ids.get(&key).copied());
                if id.is_none() {
                    let key = SeriesKey {
                        sku: skus[row].to_string(),
                        location: locs[row].to_string(),
                    };
                    unkeyed.insert(start + row, key);
                }
                found.push(id.map_or(NO_SERIES, |id| id as u32));
            }
        })?;
    }
    Ok((found, unkeyed))
}

/// No series: a line's in `found`.
const NO_SERIES: u32 = u32::MAX;

/// Hand the SKU and location of every row of `part` to `use_keys`.
fn with_keys(part: &Table, config: &Config, use_keys: impl FnOnce(&[&str], &[&str])) -> Result<()> {
    let sku_strings = part.strings("sku")?;
    let skus = part.required_strs("sku", sku_strings.as_ref())?;
    let loc_strings = part.strings("location")?;
    let locs = locations(part, loc_strings.as_ref(), config)?;
    use_keys(&skus, &locs);
    Ok(())
}

/// What a line names: its series' key, PO number and supplier.
struct Named<'a> {
    key: (&'a str, &'a str),
    po_id: Option<&'a str>,
    supplier: Option<&'a str>,
}

/// The lines being read, per series, and what was set aside.
struct Lines<'a, 's> {
    po: &'a Table,
    purchase_orders: Vec<Vec<PurchaseOrder>>,
    /// See [`Keyed::lines_of`].
    lines_of: Option<&'a [bool]>,
    receipts: Vec<Receipt>,
    suppliers: Suppliers,
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
        named: &Named<'_>,
        c: &PoColumns,
        as_of_day: i32,
    ) {
        let key = named.key;
        let Some(id) = found else {
            let message =
                "purchase-order line for a SKU-location with no sales or backorders; not planned";
            self.set_aside(row, "po_without_history", message, key);
            return;
        };
        let received_day = c.received_by(row, as_of_day);
        let received_after = c.received(row).is_some_and(|r| r > as_of_day);
        if c.due[row] < c.order[row] {
            let message = "due date before order date; kept as given";
            self.warn(row, "po_due_before_order", message, key);
        }
        if received_day.is_some_and(|r| r < c.order[row]) {
            let message = "received before it was ordered; the line is ignored";
            self.set_aside(row, "po_received_before_order", message, key);
            return;
        }
        // Named before the lines are told apart by series, so that a shard
        // numbers the suppliers as a single run does.
        let supplier = named.supplier.map(|s| self.suppliers.of(s));
        if self.lines_of.is_some_and(|w| !w[id]) {
            if let Some(received_day) = received_day {
                self.receipts.push(Receipt {
                    id: id as u32,
                    supplier: named.supplier.map(Into::into),
                    order_day: c.order[row],
                    received_day,
                });
            }
            return;
        }
        self.purchase_orders[id].push(PurchaseOrder::new(
            named.po_id.map(Into::into),
            supplier,
            c.qty[row],
            (c.order[row], c.due[row]),
            received_day,
            c.received_qty(row).filter(|_| !received_after),
        ));
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
