//! Ingest: finds the input files of the data contract in a folder, reads them
//! (CSV or Parquet) with Polars, validates every value and returns typed
//! records keyed by series. The only module that knows file formats.

mod others;
mod pieces;
mod purchase_orders;
mod readers;
mod subset;
mod table;

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;
pub use compact_str::CompactString;
use polars::prelude::StringChunked;

use crate::calendar::Bucket;
use crate::config::{BadRows, Config};
use crate::error::{Error, Result};
use crate::lifecycle::Lifecycle;
use crate::schema;
use crate::warnings::Warnings;
use others::{OtherFiles, Series};
use readers::Sink;
pub use subset::{KeptHistory, Subset, stable_hash};
pub use table::Format;
use table::{Columns, Table};

/// A series is one SKU at one location.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SeriesKey {
    /// Stock-keeping unit.
    pub sku: String,
    /// Location (warehouse, store); the configured default when the files have none.
    pub location: String,
}

/// Units shipped and backordered on one day (several rows may share a day).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemandRecord {
    /// Day number (0 = 1970-01-01).
    pub day: i32,
    /// Units shipped against that day's demand.
    pub shipped: f64,
    /// Units asked for that could not ship from stock.
    pub backordered: f64,
    /// The sale's unit price, negated when it was on promotion: two facts
    /// in one field, so that a record takes 24 bytes (a million series
    /// hold over a hundred million records while the sales are read).
    price_promo: f32,
}

impl DemandRecord {
    /// A record of `day`; a `price` that is not positive is unknown (0).
    pub fn new(day: i32, shipped: f64, backordered: f64, price: f32, promo: bool) -> DemandRecord {
        let price = if price > 0.0 { price } else { 0.0 };
        DemandRecord {
            day,
            shipped,
            backordered,
            price_promo: if promo { -price } else { price },
        }
    }

    /// Unit price of the sale (`sales.price`); 0 when unknown.
    pub fn price(&self) -> f32 {
        self.price_promo.abs()
    }

    /// The sale was on promotion (`sales.promo` = 1).
    pub fn promo(&self) -> bool {
        self.price_promo.is_sign_negative()
    }
}

/// Stock snapshot of one series.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct InventoryRecord {
    /// Units on hand.
    pub on_hand: f64,
    /// Units on order according to the inventory file, when it says.
    pub on_order: Option<f64>,
    /// Open customer backorders.
    pub backordered: f64,
    /// Units allocated to orders not yet shipped.
    pub allocated: f64,
}

/// Item-master attributes; `None` means "use the config default".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Item {
    /// Free-text description.
    pub description: Option<String>,
    /// Supplier code.
    pub supplier: Option<String>,
    /// Cost of one unit.
    pub unit_cost: Option<f64>,
    /// Supplier lead time, days.
    pub lead_time_days: Option<f64>,
    /// Spread of the lead time, days.
    pub lead_time_sd_days: Option<f64>,
    /// Minimum order quantity.
    pub moq: Option<f64>,
    /// Order multiple.
    pub pack_size: Option<f64>,
    /// Cycle-service target in (0, 1).
    pub service_level: Option<f64>,
    /// Days between reviews.
    pub review_period_days: Option<f64>,
    /// Cost of placing one order line.
    pub order_cost: Option<f64>,
    /// Yearly holding cost as a share of unit cost.
    pub holding_rate: Option<f64>,
    /// The ERP's reorder level (min of a min/max rule), for the simulation's baseline.
    pub min_qty: Option<f64>,
    /// The ERP's order-up-to level (max of a min/max rule).
    pub max_qty: Option<f64>,
    /// Lifecycle state, when the item master gives one.
    pub status: Option<Lifecycle>,
    /// The SKU that replaces this one, when given.
    pub successor_sku: Option<String>,
    /// Product category: items of one category are candidate substitutes
    /// for each other when no explicit substitute is given.
    pub category: Option<String>,
    /// Volume of one unit (in the unit of the supplier's container volume).
    pub unit_volume: Option<f64>,
    /// Weight of one unit (in the unit of the supplier's container weight).
    pub unit_weight: Option<f64>,
}

/// One purchase-order line. A run holds every line of the history (tens of
/// millions at a million series), so a line takes 56 bytes: the PO number
/// inline up to 24 bytes, the supplier as its place in
/// [`Dataset::po_suppliers`], the receipt without `Option`s.
#[derive(Debug, Clone)]
pub struct PurchaseOrder {
    /// PO number, when given.
    pub po_id: Option<CompactString>,
    /// Supplier, when given: its name is [`Dataset::po_supplier`].
    pub supplier: Option<PoSupplier>,
    /// Units ordered.
    pub qty: f64,
    /// Day ordered.
    pub order_day: i32,
    /// Day due.
    pub due_day: i32,
    /// Day received; [`NOT_RECEIVED`] for a line not received.
    received_day: i32,
    /// Units received; NaN when not given.
    received_qty: f64,
}

impl PartialEq for PurchaseOrder {
    fn eq(&self, other: &Self) -> bool {
        self.po_id == other.po_id
            && self.supplier == other.supplier
            && self.qty == other.qty
            && (self.order_day, self.due_day) == (other.order_day, other.due_day)
            && self.received_day() == other.received_day()
            && self.received_qty() == other.received_qty()
    }
}

/// `PurchaseOrder::received_day` of a line not received.
const NOT_RECEIVED: i32 = i32::MIN;

/// A supplier named by purchase-order lines: its place in
/// [`Dataset::po_suppliers`] (4 bytes on a line instead of its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PoSupplier(std::num::NonZeroU32);

impl PoSupplier {
    /// The supplier at place `i` of the names.
    pub fn at(i: usize) -> PoSupplier {
        let n = u32::try_from(i + 1).expect("fewer than 2^32 suppliers");
        PoSupplier(std::num::NonZeroU32::new(n).expect("i + 1 > 0"))
    }

    /// Its place in the names.
    pub fn index(self) -> usize {
        self.0.get() as usize - 1
    }
}

/// A received purchase-order line of a series whose history a shard did
/// not keep: what its supplier's lead time needs of it (a run at a million
/// series has tens of millions of lines; a shard holds its own in full).
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    /// The series.
    pub id: u32,
    /// The line's supplier, when given.
    pub supplier: Option<CompactString>,
    /// Day ordered.
    pub order_day: i32,
    /// Day received.
    pub received_day: i32,
}

impl PurchaseOrder {
    /// A line of `qty` units ordered on `order_day`, due on `due_day`;
    /// received on `received_day` when it was, `received_qty` units when
    /// given (a quantity that is not a number counts as not given).
    pub fn new(
        po_id: Option<CompactString>,
        supplier: Option<PoSupplier>,
        qty: f64,
        (order_day, due_day): (i32, i32),
        received_day: Option<i32>,
        received_qty: Option<f64>,
    ) -> PurchaseOrder {
        PurchaseOrder {
            po_id,
            supplier,
            qty,
            order_day,
            due_day,
            received_day: received_day.unwrap_or(NOT_RECEIVED),
            received_qty: received_qty.unwrap_or(f64::NAN),
        }
    }

    /// Day received, for received lines.
    pub fn received_day(&self) -> Option<i32> {
        (self.received_day != NOT_RECEIVED).then_some(self.received_day)
    }

    /// Units received, when given.
    pub fn received_qty(&self) -> Option<f64> {
        (!self.received_qty.is_nan()).then_some(self.received_qty)
    }

    /// Units still to arrive: the whole quantity of a line not yet received.
    pub fn open_qty(&self) -> f64 {
        if self.received_day().is_some() {
            0.0
        } else {
            (self.qty - self.received_qty().unwrap_or(0.0)).max(0.0)
        }
    }
}

/// One open customer order line (`open_orders.csv`): units ordered and not
/// yet shipped.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderLine {
    /// Customer order number.
    pub order_id: String,
    /// Line number within the order.
    pub line: u64,
    /// Customer.
    pub customer: String,
    /// Units still to ship.
    pub qty: f64,
    /// Day ordered.
    pub order_day: i32,
    /// Day the customer asked for, when given.
    pub requested_day: Option<i32>,
    /// Priority (higher first); 0 when not given.
    pub priority: i64,
    /// Line of the file (CSV line, Parquet row), the last tie-breaker.
    pub file_line: u64,
}

/// One substitute (`substitutes.csv`): `substitute` may be offered for `sku`.
#[derive(Debug, Clone, PartialEq)]
pub struct Substitute {
    /// The SKU ordered.
    pub sku: String,
    /// The SKU that may be offered instead.
    pub substitute: String,
    /// Location it holds at; every location when `None`.
    pub location: Option<String>,
    /// Preference (lower first); 0 when not given.
    pub priority: i64,
    /// Units of the substitute per unit ordered.
    pub ratio: f64,
    /// Also offered the other way round (`sku` for `substitute`).
    pub two_way: bool,
}

/// A supplier's terms (`suppliers.csv`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SupplierTerms {
    /// Weekdays it takes orders, Monday first; empty: any day.
    pub order_days: Vec<chrono::Weekday>,
    /// Least value of one order.
    pub min_order_value: Option<f64>,
    /// Volume of one container.
    pub container_volume: Option<f64>,
    /// Weight one container carries.
    pub container_weight: Option<f64>,
    /// Most containers in one order.
    pub max_containers: Option<f64>,
    /// Currency of its prices (informational).
    pub currency: Option<String>,
}

/// A calendar event (holiday, promotion).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Day number.
    pub day: i32,
    /// Name.
    pub name: String,
    /// SKU it applies to, or all.
    pub sku: Option<String>,
    /// Location it applies to, or all.
    pub location: Option<String>,
}

/// One input file that was read.
#[derive(Debug, Clone, PartialEq)]
pub struct InputFile {
    /// Logical name (`sales`, ...).
    pub name: &'static str,
    /// Path as given.
    pub path: String,
    /// CSV or Parquet.
    pub format: &'static str,
    /// SHA-256 of the bytes.
    pub sha256: String,
    /// Data rows.
    pub rows: usize,
}

/// An input row the run did not use, kept for whoever fixes the data
/// (`rejected_rows.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedRow {
    /// Input file.
    pub file: String,
    /// CSV line (header = 1) or Parquet row (first = 1).
    pub line: u64,
    /// Column at fault, when one is.
    pub column: String,
    /// Machine-readable reason: `bad_value`, `inventory_without_history`,
    /// `po_without_history`, `po_received_before_order`, `duplicate_item`.
    pub reason: &'static str,
    /// What was wrong.
    pub message: String,
    /// The row's values, every column of the file, as one CSV record.
    pub record: String,
}

/// Everything read from the input folder, keyed by series.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Planning date: history is the data strictly before it.
    pub as_of: NaiveDate,
    /// The bucket the run plans in: `run.bucket`, or for `auto` the grain
    /// of the sales dates (weeks for daily dates).
    pub bucket: Bucket,
    /// The grain of the sales dates ([`crate::calendar::grain`]).
    pub grain: Option<Bucket>,
    /// Set when `run.bucket` is finer than the grain of the sales dates:
    /// what the console and index.html tell.
    pub bucket_note: Option<String>,
    /// Series keys, sorted; a series' id is its index here.
    pub keys: Vec<SeriesKey>,
    /// Demand records per series (any order); a run frees them once its
    /// panel is built (see `RunOutput::dataset`).
    pub demand: Vec<Vec<DemandRecord>>,
    /// Units returned (negative sales) per series, kept apart from demand.
    pub returns: Vec<f64>,
    /// Stock snapshot per series, when the inventory file has one.
    pub inventory: Vec<Option<InventoryRecord>>,
    /// Purchase-order lines per series (none for a series whose history
    /// was not kept: its receipts are in `receipts_of_others`).
    pub purchase_orders: Vec<Vec<PurchaseOrder>>,
    /// The suppliers the purchase-order lines name, each once
    /// ([`PurchaseOrder::supplier`]).
    pub po_suppliers: Vec<CompactString>,
    /// The received lines of the series whose history was not kept
    /// ([`load_subset`]): what their suppliers' lead times need of them,
    /// until [`Dataset::forget_other_series`].
    pub receipts_of_others: Vec<Receipt>,
    /// Item master per series (location row over SKU row), when present.
    pub items: Vec<Option<Item>>,
    /// Events.
    pub events: Vec<Event>,
    /// Open customer order lines per series; `None` without `open_orders.csv`.
    pub open_orders: Option<Vec<Vec<OrderLine>>>,
    /// Substitutes, in file order.
    pub substitutes: Vec<Substitute>,
    /// Supplier terms by supplier (`suppliers.csv`).
    pub suppliers: std::collections::BTreeMap<String, SupplierTerms>,
    /// Per series, the lead time (mean, spread in days) of its supplier's
    /// receipts, for series with too few of their own; empty until a caller
    /// fills it (`suppliers::lead_times`).
    pub supplier_lead_times: Vec<Option<(f64, f64)>>,
    /// Files read, in contract order.
    pub files: Vec<InputFile>,
    /// Recoverable oddities.
    pub warnings: Warnings,
    /// Rows set aside, in file order then line order.
    pub rejected: Vec<RejectedRow>,
    /// The series whose history was kept, when only some were
    /// ([`load_subset`]): the others have no demand records.
    pub kept: Option<KeptHistory>,
}

impl Dataset {
    /// Whether series `id` has its demand history (every series but those a
    /// [`load_subset`] left out).
    pub fn has_history(&self, id: usize) -> bool {
        self.kept
            .is_none_or(|k| k.keeps(self.keys[id].stable_hash()))
    }

    /// Drop the receipts and open-order lines of the series without their
    /// history, once what needs every series' lines (the suppliers' lead
    /// times) is known.
    pub fn forget_other_series(&mut self) {
        self.receipts_of_others = Vec::new();
        for id in 0..self.keys.len() {
            if !self.has_history(id)
                && let Some(lines) = &mut self.open_orders
            {
                lines[id] = Vec::new();
            }
        }
    }

    /// Keep only the series whose `keep` is true (one flag per series, in
    /// key order), renumbered in the same order; every per-series record
    /// of the others is dropped. The files' records, warnings and rejected
    /// rows stay as read.
    pub fn retain_series(&mut self, keep: &[bool]) {
        let mut next = 0u32;
        let new_id: Vec<u32> = keep
            .iter()
            .map(|&k| {
                next += u32::from(k);
                if k { next - 1 } else { u32::MAX }
            })
            .collect();
        retain_by(&mut self.keys, keep);
        retain_by(&mut self.demand, keep);
        retain_by(&mut self.returns, keep);
        retain_by(&mut self.inventory, keep);
        retain_by(&mut self.purchase_orders, keep);
        retain_by(&mut self.items, keep);
        retain_by(&mut self.supplier_lead_times, keep);
        if let Some(lines) = &mut self.open_orders {
            retain_by(lines, keep);
        }
        self.receipts_of_others.retain_mut(|r| {
            r.id = new_id.get(r.id as usize).copied().unwrap_or(u32::MAX);
            r.id != u32::MAX
        });
    }

    /// The supplier purchase-order line `po` names, when it names one.
    pub fn po_supplier(&self, po: &PurchaseOrder) -> Option<&str> {
        po.supplier.map(|s| self.po_suppliers[s.index()].as_str())
    }

    /// The lead time of series `id`'s supplier's receipts, when known.
    pub fn supplier_lead_time(&self, id: usize) -> Option<(f64, f64)> {
        self.supplier_lead_times.get(id).copied().flatten()
    }

    /// Open customer backorders of series `id`: the sum of its open order
    /// lines when `open_orders.csv` was given, else the inventory's
    /// `backordered`.
    pub fn backordered(&self, id: usize) -> f64 {
        match &self.open_orders {
            Some(lines) => lines[id].iter().map(|l| l.qty).sum(),
            None => self.inventory[id].map(|i| i.backordered).unwrap_or(0.0),
        }
    }

    /// Unit cost per series from the item master (0 when unknown).
    pub fn unit_costs(&self) -> Vec<f64> {
        self.items
            .iter()
            .map(|i| i.as_ref().and_then(|i| i.unit_cost).unwrap_or(0.0))
            .collect()
    }
}

fn open(dir: &Path, name: &'static str, config: &Config) -> Result<Option<Table>> {
    open_in_pieces(dir, name, config, None)
}

/// [`open`], a large CSV kept as pieces of `piece_rows` records (see
/// [`Table::read`]).
fn open_in_pieces(
    dir: &Path,
    name: &'static str,
    config: &Config,
    piece_rows: Option<usize>,
) -> Result<Option<Table>> {
    let Some((path, format)) = table::find(dir, name)? else {
        return Ok(None);
    };
    let schema = schema::file(name)
        .ok_or_else(|| Error::Internal(format!("no schema for input file {name}")))?;
    // Numbers with a decimal comma are read as text and parsed here.
    let decimal_comma = config.input.decimal_comma;
    let numeric = if decimal_comma {
        Vec::new()
    } else {
        schema.numeric()
    };
    let columns = Columns {
        logical: &schema.names(),
        required: &schema.required(),
        numeric: &numeric,
    };
    let mut table = Table::read(
        name,
        &path,
        format,
        columns,
        |c| config.column_name(name, c).to_string(),
        piece_rows,
    )?;
    table.decimal_comma = decimal_comma;
    Ok(Some(table))
}

/// Open a history file (sales, backorders, events), in pieces as
/// [`open_in_pieces`]: with `input.bad_rows = "quarantine"` its bad rows are
/// set aside instead of stopping the run.
fn open_history(
    dir: &Path,
    name: &'static str,
    config: &Config,
    piece_rows: Option<usize>,
) -> Result<Option<Table>> {
    let mut table = open_in_pieces(dir, name, config, piece_rows)?;
    if config.input.bad_rows == BadRows::Quarantine
        && let Some(t) = &mut table
    {
        t.quarantine_bad_rows();
    }
    Ok(table)
}

/// Move the rows a history table set aside to `rejected` (failing when there
/// are too many) and count them as one warning.
fn collect_rejected(
    t: &Table,
    config: &Config,
    rejected: &mut Vec<RejectedRow>,
    warnings: &mut Warnings,
) -> Result<()> {
    t.check_rejected_share(config.input.max_rejected_share)?;
    let rows = t.rejected();
    warnings.summary(
        "rejected_rows",
        &t.display,
        rows.len() as u64,
        format!(
            "{} rows with bad values set aside (input.bad_rows = \"quarantine\"); see rejected_rows.csv",
            rows.len()
        ),
    );
    let records = t.record_texts(&rows.iter().map(|r| r.0).collect::<Vec<_>>())?;
    for ((row, column, message), record) in rows.into_iter().zip(records) {
        rejected.push(RejectedRow {
            file: t.display.clone(),
            line: t.line(row),
            column: column.unwrap_or_default(),
            reason: "bad_value",
            message,
            record,
        });
    }
    Ok(())
}

/// Fill in the records of the rows of `t` set aside into `rejected` (pushed
/// with an empty record), `rows[k]` the data row of `rejected[k]`: one read
/// for all of them (see [`Table::record_texts`]).
fn fill_records(t: &Table, rejected: &mut [RejectedRow], rows: &[usize]) -> Result<()> {
    for (r, record) in rejected.iter_mut().zip(t.record_texts(rows)?) {
        r.record = record;
    }
    Ok(())
}

/// Location column of a table (`strings`, as [`Table::strings`] returned
/// it), or the default location for every row.
fn locations<'a>(
    t: &Table,
    strings: Option<&'a StringChunked>,
    config: &'a Config,
) -> Result<Vec<&'a str>> {
    if t.has("location") {
        t.required_strs("location", strings)
    } else {
        Ok(vec![config.run.default_location.as_str(); t.height()])
    }
}

/// Finds series ids by SKU and location, remembering the last key looked up:
/// files sorted by series then ask for the same key row after row, and only a
/// new key costs a hash lookup and copies of its strings.
struct KeyCache<'a> {
    last: Option<(&'a str, &'a str, Option<usize>)>,
}

impl<'a> KeyCache<'a> {
    fn new() -> Self {
        KeyCache { last: None }
    }

    /// The id of (`sku`, `location`): `find` looks up a key not seen last time.
    fn get(
        &mut self,
        sku: &'a str,
        location: &'a str,
        find: impl FnOnce(SeriesKey) -> Option<usize>,
    ) -> Option<usize> {
        if let Some((s, l, id)) = self.last
            && s == sku
            && l == location
        {
            return id;
        }
        let id = find(SeriesKey {
            sku: sku.to_string(),
            location: location.to_string(),
        });
        self.last = Some((sku, location, id));
        id
    }
}

/// Push `r` onto `v`, growing it by a quarter when full instead of doubling
/// it: while the sales are read, a million series' records would otherwise
/// hold up to twice their size (on average about half again).
fn push_sparingly(v: &mut Vec<DemandRecord>, r: DemandRecord) {
    if v.len() == v.capacity() {
        v.reserve_exact((v.len() / 4).max(4));
    }
    v.push(r);
}

/// `v` in an allocation of its length: a vector grown push by push holds up
/// to twice what it uses, and an allocator may keep a shrunk block whole.
fn fitted<T: Clone>(v: Vec<T>) -> Vec<T> {
    if v.capacity() == v.len() {
        return v;
    }
    let mut exact = Vec::with_capacity(v.len());
    exact.extend_from_slice(&v);
    exact
}

/// Collects demand records per series while sales and backorders are read.
#[derive(Default)]
struct DemandBuilder {
    /// Rows dated before this day are left out.
    first_day: i32,
    ids: HashMap<SeriesKey, usize>,
    keys: Vec<SeriesKey>,
    demand: Vec<Vec<DemandRecord>>,
    returns: Vec<f64>,
    /// The series whose records are kept (`None`: all).
    kept: Option<KeptHistory>,
    /// Per series, whether its records are kept.
    keeps: Vec<bool>,
}

impl DemandBuilder {
    /// The id of (`sku`, `location`), a new one for a key not seen before.
    fn id(&mut self, sku: &str, location: &str) -> usize {
        let key = SeriesKey {
            sku: sku.to_string(),
            location: location.to_string(),
        };
        match self.ids.get(&key) {
            Some(&id) => id,
            None => {
                let id = self.keys.len();
                self.ids.insert(key.clone(), id);
                self.keys.push(key);
                self.demand.push(Vec::new());
                self.returns.push(0.0);
                self.keeps.push(
                    self.kept
                        .is_none_or(|k| k.keeps(stable_hash(sku, location))),
                );
                id
            }
        }
    }

    /// Add a table's rows (columns `skus`, `locations`, `days`, `qtys`) that
    /// `keeps` and that are dated in `[first_day, as_of_day)`; returns how
    /// many were dated before and on or after that window. `record(row, day,
    /// qty)` turns a quantity into a demand record, or `None` for a return.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        skus: &[&str],
        locations: &[&str],
        days: &[i32],
        qtys: &[f64],
        keeps: impl Fn(usize) -> bool,
        as_of_day: i32,
        record: impl Fn(usize, i32, f64) -> Option<DemandRecord>,
    ) -> (u64, u64) {
        use rayon::prelude::*;
        // Whether a row is of the series of the row before it, found in
        // parallel: in files sorted by series, a new series starts rarely,
        // and only then is its key looked up.
        let continues: Vec<bool> = (0..skus.len())
            .into_par_iter()
            .with_min_len(1 << 16)
            .map(|row| {
                row > 0 && skus[row] == skus[row - 1] && locations[row] == locations[row - 1]
            })
            .collect();
        let (mut before, mut after) = (0, 0);
        // The id of the series of the rows since the last new one, once a
        // row of it is added.
        let mut current: Option<usize> = None;
        for (row, &continued) in continues.iter().enumerate() {
            if !continued {
                current = None;
            }
            if !keeps(row) {
                continue;
            }
            let (day, qty) = (days[row], qtys[row]);
            if day >= as_of_day {
                after += 1;
                continue;
            }
            if day < self.first_day {
                before += 1;
                continue;
            }
            let id = match current {
                Some(id) => id,
                None => *current.insert(self.id(skus[row], locations[row])),
            };
            match record(row, day, qty) {
                Some(r) if self.keeps[id] => push_sparingly(&mut self.demand[id], r),
                Some(_) => {}
                None => self.returns[id] += -qty,
            }
        }
        (before, after)
    }

    /// Keys sorted, with demand and returns in the same order.
    fn finish(self) -> (Vec<SeriesKey>, Vec<Vec<DemandRecord>>, Vec<f64>) {
        let mut order: Vec<usize> = (0..self.keys.len()).collect();
        order.sort_by(|&a, &b| self.keys[a].cmp(&self.keys[b]));
        let mut demand: Vec<Option<Vec<DemandRecord>>> =
            self.demand.into_iter().map(Some).collect();
        (
            order.iter().map(|&i| self.keys[i].clone()).collect(),
            order
                .iter()
                .map(|&i| fitted(demand[i].take().unwrap_or_default()))
                .collect(),
            order.iter().map(|&i| self.returns[i]).collect(),
        )
    }
}

/// One series of a long file (`unique_id, ds, y`), sorted by date.
#[derive(Debug, Clone, PartialEq)]
pub struct LongSeries {
    /// Series identifier.
    pub id: String,
    /// Dates, ascending (day numbers).
    pub days: Vec<i32>,
    /// Values.
    pub values: Vec<f64>,
}

/// Read a long file of series (CSV or Parquet) with the given column names for
/// the identifier, the date and the value, as the forecasting benchmarks use.
/// Series come in first-appearance order; a repeated (id, date) is an error.
pub fn read_long(path: &Path, id: &str, date: &str, value: &str) -> Result<Vec<LongSeries>> {
    let format = match path.extension().and_then(|e| e.to_str()) {
        Some("parquet") => Format::Parquet,
        _ => Format::Csv,
    };
    if !path.is_file() {
        return Err(Error::file(path.display().to_string(), "file not found"));
    }
    let names = [id.to_string(), date.to_string(), value.to_string()];
    let columns = Columns {
        logical: &["sku", "date", "qty"],
        required: &["sku", "date", "qty"],
        numeric: &["qty"],
    };
    let t = Table::read(
        "series",
        path,
        format,
        columns,
        |c| match c {
            "sku" => names[0].clone(),
            "date" => names[1].clone(),
            _ => names[2].clone(),
        },
        None,
    )?;
    let ids = t.required_text("sku")?;
    let days = t.required_dates("date")?;
    let values = t.required_numbers("qty", None)?;
    let mut index: HashMap<String, usize> = HashMap::new();
    /// (day, value, row) of one series.
    type Points = Vec<(i32, f64, usize)>;
    let mut rows: Vec<(String, Points)> = Vec::new();
    for (row, (id, (day, v))) in ids
        .into_iter()
        .zip(days.into_iter().zip(values))
        .enumerate()
    {
        let i = match index.get(&id) {
            Some(&i) => i,
            None => {
                index.insert(id.clone(), rows.len());
                rows.push((id, Vec::new()));
                rows.len() - 1
            }
        };
        rows[i].1.push((day, v, row));
    }
    rows.into_iter()
        .map(|(id, mut points)| {
            points.sort_by_key(|p| p.0);
            if let Some(w) = points.windows(2).find(|w| w[0].0 == w[1].0) {
                return Err(Error::input(
                    t.location(w[1].2, Some("date")),
                    format!("second value for series \"{id}\" on the same date"),
                ));
            }
            Ok(LongSeries {
                id,
                days: points.iter().map(|p| p.0).collect(),
                values: points.iter().map(|p| p.1).collect(),
            })
        })
        .collect()
}

/// Read and validate the input folder.
///
/// `as_of` overrides the configured planning date; without either, it is the
/// day after the last sales date.
pub fn load(dir: &Path, config: &Config, as_of: Option<NaiveDate>) -> Result<Dataset> {
    load_subset(dir, config, as_of, None)
}

/// Keep the items of `v` whose flag in `keep` (one per item) is true.
fn retain_by<T>(v: &mut Vec<T>, keep: &[bool]) {
    let mut flags = keep.iter();
    v.retain(|_| flags.next().copied().unwrap_or(false));
}

/// [`load`], keeping the demand history and purchase-order lines of the
/// series of `subset` only (every row is still read and checked, and every
/// series has its key, stock, item and supplier data; of the others' lines,
/// the receipts their suppliers' lead times need); see
/// [`Dataset::forget_other_series`].
pub fn load_subset(
    dir: &Path,
    config: &Config,
    as_of: Option<NaiveDate>,
    subset: Option<Subset>,
) -> Result<Dataset> {
    if !dir.is_dir() {
        return Err(Error::file(
            dir.display().to_string(),
            "input folder not found (give another with --data)",
        ));
    }
    // The other files are read on a second thread while the sales are
    // processed (whose serial steps leave a core free); their errors still
    // come in the order of the files, each where it is used.
    std::thread::scope(|scope| {
        let others = scope.spawn(|| OtherFiles::open(dir, config));
        load_files(dir, config, as_of, subset, || {
            others
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    })
}

/// [`load`] once the folder is known to exist; `others` waits for the other
/// files. Each file has its reader in [`readers`], their counts joining one
/// sink in file order.
fn load_files(
    dir: &Path,
    config: &Config,
    as_of: Option<NaiveDate>,
    subset: Option<Subset>,
    others: impl FnOnce() -> OtherFiles,
) -> Result<Dataset> {
    let mut sink = Sink::default();
    let (mut builder, window) = readers::sales(dir, config, as_of, subset, &mut sink)?;
    let kept = builder.kept;
    let mut others = others();
    if let Some(bo) = others.take_backorders()? {
        readers::backorders(&bo, config, &window, &mut builder, &mut sink)?;
    }
    let (keys, demand, returns) = builder.finish();
    let ids: HashMap<SeriesKey, usize> = keys
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, k)| (k, i))
        .collect();
    let formula_like = keys
        .iter()
        .filter(|k| {
            schema::runs_in_a_spreadsheet(&k.sku) || schema::runs_in_a_spreadsheet(&k.location)
        })
        .count();
    sink.warnings.summary(
        "formula_like_identifier",
        "",
        formula_like as u64,
        format!("{formula_like} SKU-locations start with =, +, -, @, a tab or a carriage return: the CSV reports write them with a leading apostrophe so that no spreadsheet runs them"),
    );
    // The series whose purchase-order lines are kept whole.
    let lines_of: Option<Vec<bool>> =
        kept.map(|k| keys.iter().map(|key| k.keeps(key.stable_hash())).collect());
    let other = others.read(
        config,
        &Series {
            keys: &keys,
            ids: &ids,
            lines_of: lines_of.as_deref(),
        },
        &window,
        &mut sink,
    )?;
    let Sink {
        files,
        warnings,
        mut rejected,
    } = sink;
    // In file order, then by line (duplicate item rows are found out of order).
    rejected.sort_by_key(|r| (files.iter().position(|f| f.path == r.file), r.line));
    Ok(Dataset {
        as_of: window.as_of,
        bucket: window.bucket,
        grain: window.grain,
        bucket_note: window.bucket_note.clone(),
        keys,
        demand,
        returns,
        inventory: other.inventory,
        purchase_orders: other.purchase_orders,
        po_suppliers: other.po_suppliers,
        receipts_of_others: other.receipts_of_others,
        items: other.items,
        events: other.events,
        open_orders: other.open_orders,
        substitutes: other.substitutes,
        suppliers: other.suppliers,
        supplier_lead_times: Vec::new(),
        files,
        warnings,
        rejected,
        kept,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purchase_order_line_takes_56_bytes_and_reads_back_as_given() {
        assert_eq!(std::mem::size_of::<PurchaseOrder>(), 56);
        let s = PoSupplier::at(6);
        assert_eq!(s.index(), 6);
        let open = PurchaseOrder::new(Some("P1".into()), Some(s), 10.0, (1, 8), None, Some(4.0));
        assert_eq!(
            (open.received_day(), open.received_qty()),
            (None, Some(4.0))
        );
        assert_eq!(open.open_qty(), 6.0);
        let received = PurchaseOrder::new(None, None, 10.0, (1, 8), Some(0), None);
        assert_eq!(
            (received.received_day(), received.received_qty()),
            (Some(0), None)
        );
        assert_eq!(received.open_qty(), 0.0);
        assert_eq!(received, received.clone());
        assert_ne!(received, open);
    }

    #[test]
    fn a_record_holds_its_price_and_promotion_in_24_bytes() {
        assert_eq!(std::mem::size_of::<DemandRecord>(), 24);
        for (price, promo, read) in [
            (2.5, true, 2.5),
            (0.0, true, 0.0),
            (7.0, false, 7.0),
            (0.0, false, 0.0),
            (-4.0, false, 0.0),
            (-4.0, true, 0.0),
        ] {
            let r = DemandRecord::new(3, 1.0, 0.5, price, promo);
            assert_eq!((r.price(), r.promo()), (read, promo), "{price} {promo}");
            assert_eq!((r.day, r.shipped, r.backordered), (3, 1.0, 0.5));
        }
    }
}
