//! Ingest: finds the input files of the data contract in a folder, reads them
//! (CSV or Parquet) with Polars, validates every value and returns typed
//! records keyed by series. The only module that knows file formats.

mod table;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::StringChunked;

use crate::calendar::{date_of_day, day_number, parse_iso_date};
use crate::config::{BadRows, Config, FILE_COLUMNS};
use crate::error::{Error, Result};
use crate::lifecycle::Lifecycle;
use crate::warnings::{Warning, Warnings};
pub use table::Format;
use table::{Table, cells};

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
    /// Unit price of the sale (`sales.price`); 0 when unknown.
    pub price: f32,
    /// The sale was on promotion (`sales.promo` = 1).
    pub promo: bool,
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
}

/// One purchase-order line.
#[derive(Debug, Clone, PartialEq)]
pub struct PurchaseOrder {
    /// PO number, when given.
    pub po_id: Option<String>,
    /// Supplier, when given.
    pub supplier: Option<String>,
    /// Units ordered.
    pub qty: f64,
    /// Day ordered.
    pub order_day: i32,
    /// Day due.
    pub due_day: i32,
    /// Day received, for received lines.
    pub received_day: Option<i32>,
    /// Units received, for received lines.
    pub received_qty: Option<f64>,
}

impl PurchaseOrder {
    /// Units still to arrive: the whole quantity of a line not yet received.
    pub fn open_qty(&self) -> f64 {
        if self.received_day.is_some() {
            0.0
        } else {
            (self.qty - self.received_qty.unwrap_or(0.0)).max(0.0)
        }
    }
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
    /// Series keys, sorted; a series' id is its index here.
    pub keys: Vec<SeriesKey>,
    /// Demand records per series (any order).
    pub demand: Vec<Vec<DemandRecord>>,
    /// Units returned (negative sales) per series, kept apart from demand.
    pub returns: Vec<f64>,
    /// Stock snapshot per series, when the inventory file has one.
    pub inventory: Vec<Option<InventoryRecord>>,
    /// Purchase-order lines per series.
    pub purchase_orders: Vec<Vec<PurchaseOrder>>,
    /// Item master per series (location row over SKU row), when present.
    pub items: Vec<Option<Item>>,
    /// Events.
    pub events: Vec<Event>,
    /// Files read, in contract order.
    pub files: Vec<InputFile>,
    /// Recoverable oddities.
    pub warnings: Warnings,
    /// Rows set aside, in file order then line order.
    pub rejected: Vec<RejectedRow>,
}

impl Dataset {
    /// Unit cost per series from the item master (0 when unknown).
    pub fn unit_costs(&self) -> Vec<f64> {
        self.items
            .iter()
            .map(|i| i.as_ref().and_then(|i| i.unit_cost).unwrap_or(0.0))
            .collect()
    }
}

fn logical_columns(name: &str) -> &'static [&'static str] {
    FILE_COLUMNS
        .iter()
        .find(|(f, _)| *f == name)
        .map(|(_, c)| *c)
        .expect("known file")
}

/// The columns of each file read only as numbers, which Polars may parse
/// (see [`Table::read`]).
const NUMERIC_COLUMNS: &[(&str, &[&str])] = &[
    ("sales", &["qty", "price", "promo"]),
    ("backorders", &["qty"]),
    (
        "inventory",
        &["on_hand", "on_order", "backordered", "allocated"],
    ),
    (
        "items",
        &[
            "unit_cost",
            "lead_time_days",
            "lead_time_sd_days",
            "moq",
            "pack_size",
            "service_level",
            "review_period_days",
            "order_cost",
            "holding_rate",
            "min_qty",
            "max_qty",
        ],
    ),
    ("purchase_orders", &["qty", "received_qty"]),
];

fn open(
    dir: &Path,
    name: &'static str,
    required: &[&'static str],
    config: &Config,
) -> Result<Option<Table>> {
    let Some((path, format)) = table::find(dir, name)? else {
        return Ok(None);
    };
    let numeric = NUMERIC_COLUMNS
        .iter()
        .find(|(f, _)| *f == name)
        .map_or(&[][..], |(_, c)| *c);
    Table::read(
        name,
        &path,
        format,
        logical_columns(name),
        required,
        numeric,
        |c| config.column_name(name, c).to_string(),
    )
    .map(Some)
}

/// Open a history file (sales, backorders, events): with
/// `input.bad_rows = "quarantine"` its bad rows are set aside instead of
/// stopping the run.
fn open_history(
    dir: &Path,
    name: &'static str,
    required: &[&'static str],
    config: &Config,
) -> Result<Option<Table>> {
    let mut table = open(dir, name, required, config)?;
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

/// Collects demand records per series while sales and backorders are read.
#[derive(Default)]
struct DemandBuilder {
    /// Rows dated before this day are left out.
    first_day: i32,
    ids: HashMap<SeriesKey, usize>,
    keys: Vec<SeriesKey>,
    demand: Vec<Vec<DemandRecord>>,
    returns: Vec<f64>,
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
                Some(r) => self.demand[id].push(r),
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
                .map(|&i| demand[i].take().unwrap_or_default())
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
    let t = Table::read(
        "series",
        path,
        format,
        &["sku", "date", "qty"],
        &["sku", "date", "qty"],
        &["qty"],
        |c| match c {
            "sku" => names[0].clone(),
            "date" => names[1].clone(),
            _ => names[2].clone(),
        },
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
        load_files(dir, config, as_of, || {
            others
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    })
}

/// The files after the sales, opened (checked, hashed, parsed) on a thread
/// of their own; each result is used where the file was opened before.
struct OtherFiles {
    backorders: Result<Option<Table>>,
    inventory: Result<Option<Table>>,
    items: Result<Option<Table>>,
    purchase_orders: Result<Option<Table>>,
    events: Result<Option<Table>>,
}

impl OtherFiles {
    fn open(dir: &Path, config: &Config) -> OtherFiles {
        OtherFiles {
            backorders: open_history(dir, "backorders", &["sku", "date", "qty"], config),
            inventory: open(dir, "inventory", &["sku", "on_hand"], config),
            items: open(dir, "items", &["sku"], config),
            purchase_orders: open(
                dir,
                "purchase_orders",
                &["sku", "qty", "order_date", "due_date"],
                config,
            ),
            events: open_history(dir, "events", &["date", "name"], config),
        }
    }
}

/// [`load`] once the folder is known to exist; `others` waits for the other
/// files.
fn load_files(
    dir: &Path,
    config: &Config,
    as_of: Option<NaiveDate>,
    others: impl FnOnce() -> OtherFiles,
) -> Result<Dataset> {
    let mut warnings = Warnings::default();
    let mut rejected = Vec::new();
    let mut files = Vec::new();
    let mut record = |t: &Table| {
        files.push(InputFile {
            name: t.name,
            path: t.display.clone(),
            format: match t.format {
                Format::Csv => "csv",
                Format::Parquet => "parquet",
            },
            sha256: t.sha256.clone(),
            rows: t.height(),
        })
    };

    // --- sales (required) ---------------------------------------------------
    let sales = open_history(dir, "sales", &["sku", "date", "qty"], config)?.ok_or_else(|| {
        Error::file(
            dir.join("sales.csv").display().to_string(),
            "required file missing: expected sales.csv or sales.parquet",
        )
    })?;
    record(&sales);
    if sales.height() == 0 {
        return Err(Error::file(
            sales.display.clone(),
            "no data rows: sales history is required",
        ));
    }
    let s_sku_strings = sales.strings("sku")?;
    let s_sku = sales.required_strs("sku", s_sku_strings.as_ref())?;
    let s_loc_strings = sales.strings("location")?;
    let s_loc = locations(&sales, s_loc_strings.as_ref(), config)?;
    let s_day = sales.required_dates("date")?;
    let s_qty = sales.required_numbers("qty", None)?;
    let s_price = if sales.has("price") {
        sales.optional_numbers("price", Some(0.0))?
    } else {
        None
    };
    let s_promo = sales.numbers("promo")?;
    if let Some(promo) = &s_promo {
        for (row, p) in promo.iter().enumerate() {
            if let Some(p) = p
                && *p != 0.0
                && *p != 1.0
            {
                sales.reject(row, Some("promo"), format!("expected 0 or 1, found {p}"))?;
            }
        }
    }
    collect_rejected(&sales, config, &mut rejected, &mut warnings)?;
    if (0..sales.height()).all(|row| !sales.keeps(row)) {
        return Err(Error::file(
            sales.display.clone(),
            "no usable data rows: every row was set aside (see the first above)",
        ));
    }
    let last_sale = s_day
        .iter()
        .enumerate()
        .filter(|(row, _)| sales.keeps(*row))
        .map(|(_, d)| *d)
        .max()
        .expect("sales has usable rows");
    let as_of = match as_of {
        Some(d) => d,
        None => match &config.run.as_of {
            Some(text) => parse_iso_date(text).ok_or_else(|| {
                Error::Config(format!(
                    "run.as_of = \"{text}\": expected a date YYYY-MM-DD"
                ))
            })?,
            None => date_of_day(last_sale + 1)
                .ok_or_else(|| Error::Internal("date out of range".into()))?,
        },
    };
    let as_of_day = day_number(as_of);
    let window_days = (config.input.max_history_years * 365.25).round() as i32;
    if as_of_day - last_sale > window_days {
        return Err(Error::Config(format!(
            "the as-of date {as_of} is more than input.max_history_years ({}) after the last sale ({}); check --as-of or run.as_of",
            config.input.max_history_years,
            date_of_day(last_sale).map_or_else(String::new, |d| d.to_string())
        )));
    }
    let first_day = as_of_day - window_days;

    let mut builder = DemandBuilder {
        first_day,
        ..DemandBuilder::default()
    };
    let n_returns = s_qty
        .iter()
        .zip(&s_day)
        .enumerate()
        .filter(|(row, (q, d))| {
            **q < 0.0 && **d < as_of_day && **d >= first_day && sales.keeps(*row)
        })
        .count() as u64;
    let (before, after) = builder.add(
        &s_sku,
        &s_loc,
        &s_day,
        &s_qty,
        |row| sales.keeps(row),
        as_of_day,
        |row, day, qty| {
            (qty >= 0.0).then_some(DemandRecord {
                day,
                shipped: qty,
                backordered: 0.0,
                price: s_price.as_ref().and_then(|p| p[row]).unwrap_or(0.0) as f32,
                promo: s_promo.as_ref().and_then(|p| p[row]) == Some(1.0),
            })
        },
    );
    warnings.summary(
        "before_history_window",
        &sales.display,
        before,
        format!("{before} sales rows dated more than input.max_history_years ({}) before the as-of date were left out", config.input.max_history_years),
    );
    warnings.summary(
        "after_as_of",
        &sales.display,
        after,
        format!("{after} sales rows dated on or after the as-of date {as_of} were left out"),
    );
    warnings.summary(
        "returns",
        &sales.display,
        n_returns,
        format!("{n_returns} sales rows with a negative quantity were counted as returns, apart from demand"),
    );
    // The sales are in the builder: free the table and its columns before
    // the other files are processed.
    drop((s_sku, s_loc, s_day, s_qty, s_price, s_promo));
    drop((s_sku_strings, s_loc_strings, sales));

    // --- backorders ------------------------------------------------------------
    let others = others();
    if let Some(bo) = others.backorders? {
        record(&bo);
        let sku_strings = bo.strings("sku")?;
        let skus = bo.required_strs("sku", sku_strings.as_ref())?;
        let loc_strings = bo.strings("location")?;
        let locs = locations(&bo, loc_strings.as_ref(), config)?;
        let days = bo.required_dates("date")?;
        let qtys = bo.required_numbers("qty", Some(0.0))?;
        collect_rejected(&bo, config, &mut rejected, &mut warnings)?;
        let (before, after) = builder.add(
            &skus,
            &locs,
            &days,
            &qtys,
            |row| bo.keeps(row),
            as_of_day,
            |_, day, qty| {
                Some(DemandRecord {
                    day,
                    shipped: 0.0,
                    backordered: qty,
                    price: 0.0,
                    promo: false,
                })
            },
        );
        warnings.summary(
            "before_history_window",
            &bo.display,
            before,
            format!("{before} backorder rows dated more than input.max_history_years ({}) before the as-of date were left out", config.input.max_history_years),
        );
        warnings.summary(
            "after_as_of",
            &bo.display,
            after,
            format!(
                "{after} backorder rows dated on or after the as-of date {as_of} were left out"
            ),
        );
    }

    let (keys, demand, returns) = builder.finish();
    let n = keys.len();
    let ids: HashMap<SeriesKey, usize> = keys
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, k)| (k, i))
        .collect();

    // --- inventory ---------------------------------------------------------------
    let mut inventory: Vec<Option<InventoryRecord>> = vec![None; n];
    if let Some(inv) = others.inventory? {
        record(&inv);
        let sku_strings = inv.strings("sku")?;
        let skus = inv.required_strs("sku", sku_strings.as_ref())?;
        let loc_strings = inv.strings("location")?;
        let locs = locations(&inv, loc_strings.as_ref(), config)?;
        let on_hand = inv.required_numbers("on_hand", Some(0.0))?;
        let on_order = inv.optional_numbers("on_order", Some(0.0))?;
        let backordered = inv.optional_numbers("backordered", Some(0.0))?;
        let allocated = inv.optional_numbers("allocated", Some(0.0))?;
        let get = |v: &Option<Vec<Option<f64>>>, row: usize| v.as_ref().and_then(|v| v[row]);
        let (start, mut rejected_rows) = (rejected.len(), Vec::new());
        for (row, (sku, loc)) in skus.into_iter().zip(locs).enumerate() {
            let key = SeriesKey {
                sku: sku.to_string(),
                location: loc.to_string(),
            };
            let Some(&id) = ids.get(&key) else {
                let message = "stock record for a SKU-location with no sales or backorders before the as-of date; not planned";
                rejected.push(RejectedRow {
                    file: inv.display.clone(),
                    line: inv.line(row),
                    column: String::new(),
                    reason: "inventory_without_history",
                    message: message.into(),
                    record: String::new(),
                });
                rejected_rows.push(row);
                warnings.push(Warning {
                    kind: "inventory_without_history",
                    file: inv.display.clone(),
                    line: Some(inv.line(row)),
                    sku: key.sku,
                    location: key.location,
                    message: message.into(),
                });
                continue;
            };
            let rec = InventoryRecord {
                on_hand: on_hand[row],
                on_order: get(&on_order, row),
                backordered: get(&backordered, row).unwrap_or(0.0),
                allocated: get(&allocated, row).unwrap_or(0.0),
            };
            match &mut inventory[id] {
                Some(prev) => {
                    warnings.push(Warning {
                        kind: "duplicate_inventory",
                        file: inv.display.clone(),
                        line: Some(inv.line(row)),
                        sku: key.sku,
                        location: key.location,
                        message: "second stock record for the same SKU-location; quantities added"
                            .into(),
                    });
                    prev.on_hand += rec.on_hand;
                    prev.on_order = match (prev.on_order, rec.on_order) {
                        (None, None) => None,
                        (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
                    };
                    prev.backordered += rec.backordered;
                    prev.allocated += rec.allocated;
                }
                slot => *slot = Some(rec),
            }
        }
        fill_records(&inv, &mut rejected[start..], &rejected_rows)?;
    }

    // --- items -------------------------------------------------------------------
    let mut items: Vec<Option<Item>> = vec![None; n];
    if let Some(it) = others.items? {
        record(&it);
        let skus = it.required_text("sku")?;
        let locs = it.text("location")?;
        let description = it.text("description")?;
        let supplier = it.text("supplier")?;
        let unit_cost = it.optional_numbers("unit_cost", Some(0.0))?;
        let lead = it.optional_numbers("lead_time_days", Some(0.0))?;
        let lead_sd = it.optional_numbers("lead_time_sd_days", Some(0.0))?;
        let moq = it.optional_numbers("moq", Some(0.0))?;
        let pack = it.optional_numbers("pack_size", None)?;
        let service = it.optional_numbers("service_level", None)?;
        let review = it.optional_numbers("review_period_days", None)?;
        let order_cost = it.optional_numbers("order_cost", Some(0.0))?;
        let holding_rate = it.optional_numbers("holding_rate", None)?;
        let min_qty = it.optional_numbers("min_qty", Some(0.0))?;
        let max_qty = it.optional_numbers("max_qty", Some(0.0))?;
        let successor = it.text("successor_sku")?;
        let status: Option<Vec<Option<Lifecycle>>> = match it.text("status")? {
            None => None,
            Some(cells) => Some(
                cells
                    .into_iter()
                    .enumerate()
                    .map(|(row, cell)| match cell.filter(|c| !c.trim().is_empty()) {
                        None => Ok(None),
                        Some(c) => c
                            .parse::<Lifecycle>()
                            .map(Some)
                            .map_err(|m| Error::input(it.location(row, Some("status")), m)),
                    })
                    .collect::<Result<_>>()?,
            ),
        };
        if let (Some(lo), Some(hi)) = (&min_qty, &max_qty) {
            for (row, (lo, hi)) in lo.iter().zip(hi).enumerate() {
                if let (Some(lo), Some(hi)) = (lo, hi)
                    && hi < lo
                {
                    return Err(Error::input(
                        it.location(row, Some("max_qty")),
                        format!("expected max_qty at least min_qty ({lo}), found {hi}"),
                    ));
                }
            }
        }
        for (name, values, upper) in [
            ("pack_size", &pack, f64::INFINITY),
            ("holding_rate", &holding_rate, f64::INFINITY),
            ("service_level", &service, 1.0),
            ("review_period_days", &review, f64::INFINITY),
        ] {
            let Some(values) = values else { continue };
            for (row, v) in values.iter().enumerate() {
                if let Some(x) = v
                    && !(*x > 0.0 && *x < upper)
                {
                    let expected = if upper == 1.0 {
                        "a value strictly between 0 and 1 (e.g. 0.95)"
                    } else {
                        "a positive number"
                    };
                    return Err(Error::input(
                        it.location(row, Some(name)),
                        format!("expected {expected}, found {x}"),
                    ));
                }
            }
        }
        let txt =
            |v: &Option<Vec<Option<String>>>, row: usize| v.as_ref().and_then(|v| v[row].clone());
        let num = |v: &Option<Vec<Option<f64>>>, row: usize| v.as_ref().and_then(|v| v[row]);
        let mut by_sku: BTreeMap<String, (Item, usize)> = BTreeMap::new();
        let mut by_key: BTreeMap<SeriesKey, (Item, usize)> = BTreeMap::new();
        let (start, mut rejected_rows) = (rejected.len(), Vec::new());
        for (row, sku) in skus.into_iter().enumerate() {
            let item = Item {
                description: txt(&description, row),
                supplier: txt(&supplier, row),
                unit_cost: num(&unit_cost, row),
                lead_time_days: num(&lead, row),
                lead_time_sd_days: num(&lead_sd, row),
                moq: num(&moq, row),
                pack_size: num(&pack, row),
                service_level: num(&service, row),
                review_period_days: num(&review, row),
                order_cost: num(&order_cost, row),
                holding_rate: num(&holding_rate, row),
                min_qty: num(&min_qty, row),
                max_qty: num(&max_qty, row),
                status: status.as_ref().and_then(|v| v[row]),
                successor_sku: txt(&successor, row).filter(|s| !s.trim().is_empty()),
            };
            let line = it.line(row);
            let duplicate = match txt(&locs, row) {
                Some(location) => {
                    let key = SeriesKey {
                        sku: sku.clone(),
                        location,
                    };
                    by_key
                        .insert(key.clone(), (item, row))
                        .map(|(_, earlier)| (key, earlier))
                }
                None => by_sku.insert(sku.clone(), (item, row)).map(|(_, earlier)| {
                    (
                        SeriesKey {
                            sku,
                            location: String::new(),
                        },
                        earlier,
                    )
                }),
            };
            if let Some((key, earlier)) = duplicate {
                rejected.push(RejectedRow {
                    file: it.display.clone(),
                    line: it.line(earlier),
                    column: String::new(),
                    reason: "duplicate_item",
                    message: format!("superseded by line {line}, a later row for the same key"),
                    record: String::new(),
                });
                rejected_rows.push(earlier);
                warnings.push(Warning {
                    kind: "duplicate_item",
                    file: it.display.clone(),
                    line: Some(line),
                    sku: key.sku,
                    location: key.location,
                    message: "second item-master row for the same key; the last one is used".into(),
                });
            }
        }
        fill_records(&it, &mut rejected[start..], &rejected_rows)?;
        for (id, key) in keys.iter().enumerate() {
            items[id] = by_key
                .get(key)
                .or_else(|| by_sku.get(&key.sku))
                .map(|(item, _)| item.clone());
        }
        let planned_skus: std::collections::HashSet<&str> =
            keys.iter().map(|k| k.sku.as_str()).collect();
        let unused = by_sku
            .keys()
            .filter(|sku| !planned_skus.contains(sku.as_str()))
            .count()
            + by_key.keys().filter(|k| !ids.contains_key(*k)).count();
        warnings.summary(
            "items_without_history",
            &it.display,
            unused as u64,
            format!("{unused} item-master rows for SKUs or SKU-locations with no sales or backorders before the as-of date; not planned"),
        );
    }

    // --- purchase orders ---------------------------------------------------------------
    let mut purchase_orders: Vec<Vec<PurchaseOrder>> = vec![Vec::new(); n];
    if let Some(po) = others.purchase_orders? {
        record(&po);
        let sku_strings = po.strings("sku")?;
        let skus = po.required_strs("sku", sku_strings.as_ref())?;
        let loc_strings = po.strings("location")?;
        let locs = locations(&po, loc_strings.as_ref(), config)?;
        let qty = po.required_numbers("qty", Some(0.0))?;
        let order = po.required_dates("order_date")?;
        let due = po.required_dates("due_date")?;
        let received = po.dates("received_date")?;
        let received_qty = po.optional_numbers("received_qty", Some(0.0))?;
        let po_id_strings = po.strings("po_id")?;
        let po_id = po_id_strings.as_ref().map(cells);
        let supplier_strings = po.strings("supplier")?;
        let supplier = supplier_strings.as_ref().map(cells);
        let mut cache = KeyCache::new();
        let (start, mut rejected_rows) = (rejected.len(), Vec::new());
        let mut ordered_after = 0u64;
        for (row, (sku, loc)) in skus.into_iter().zip(locs).enumerate() {
            // The purchase orders as they stood on the as-of date: a line
            // ordered after it did not exist yet, one received after it was
            // still open.
            if order[row] > as_of_day {
                ordered_after += 1;
                continue;
            }
            let found = cache.get(sku, loc, |key| ids.get(&key).copied());
            let key = || SeriesKey {
                sku: sku.to_string(),
                location: loc.to_string(),
            };
            let line = po.line(row);
            let mut line_warning = |kind: &'static str, message: &str, key: &SeriesKey| {
                warnings.push(Warning {
                    kind,
                    file: po.display.clone(),
                    line: Some(line),
                    sku: key.sku.clone(),
                    location: key.location.clone(),
                    message: message.into(),
                })
            };
            let mut reject = |reason: &'static str, message: &str| {
                rejected.push(RejectedRow {
                    file: po.display.clone(),
                    line,
                    column: String::new(),
                    reason,
                    message: message.into(),
                    record: String::new(),
                });
                rejected_rows.push(row);
            };
            let Some(id) = found else {
                let message = "purchase-order line for a SKU-location with no sales or backorders; not planned";
                reject("po_without_history", message);
                line_warning("po_without_history", message, &key());
                continue;
            };
            let received_day = received.as_ref().and_then(|v| v[row]);
            let received_after = received_day.is_some_and(|r| r > as_of_day);
            let received_day = received_day.filter(|_| !received_after);
            if due[row] < order[row] {
                line_warning(
                    "po_due_before_order",
                    "due date before order date; kept as given",
                    &key(),
                );
            }
            if let Some(r) = received_day
                && r < order[row]
            {
                let message = "received before it was ordered; the line is ignored";
                reject("po_received_before_order", message);
                line_warning("po_received_before_order", message, &key());
                continue;
            }
            purchase_orders[id].push(PurchaseOrder {
                po_id: po_id.as_ref().and_then(|v| v[row]).map(str::to_string),
                supplier: supplier.as_ref().and_then(|v| v[row]).map(str::to_string),
                qty: qty[row],
                order_day: order[row],
                due_day: due[row],
                received_day,
                received_qty: received_qty
                    .as_ref()
                    .and_then(|v| v[row])
                    .filter(|_| !received_after),
            });
        }
        fill_records(&po, &mut rejected[start..], &rejected_rows)?;
        warnings.summary(
            "after_as_of",
            &po.display,
            ordered_after,
            format!("{ordered_after} purchase-order lines ordered after the as-of date {as_of} were left out (lines received after it count as open)"),
        );
    }

    // --- events --------------------------------------------------------------------------
    let mut events = Vec::new();
    if let Some(ev) = others.events? {
        record(&ev);
        let days = ev.required_dates("date")?;
        let names = ev.required_text("name")?;
        let skus = ev.text("sku")?;
        let locs = ev.text("location")?;
        collect_rejected(&ev, config, &mut rejected, &mut warnings)?;
        for (row, (day, name)) in days.into_iter().zip(names).enumerate() {
            if !ev.keeps(row) {
                continue;
            }
            events.push(Event {
                day,
                name,
                sku: skus.as_ref().and_then(|v| v[row].clone()),
                location: locs.as_ref().and_then(|v| v[row].clone()),
            });
        }
    }

    // In file order, then by line (duplicate item rows are found out of order).
    rejected.sort_by_key(|r| (files.iter().position(|f| f.path == r.file), r.line));
    Ok(Dataset {
        as_of,
        keys,
        demand,
        returns,
        inventory,
        purchase_orders,
        items,
        events,
        files,
        warnings,
        rejected,
    })
}
