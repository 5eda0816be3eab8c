//! One reader per input file (the purchase orders' is in
//! [`super::purchase_orders`]), each counting what it sets aside and warns
//! about into a [`Sink`]; the sinks join in file order.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::NaiveDate;

use super::table::Table;
use super::{
    DemandBuilder, DemandRecord, Event, InputFile, InventoryRecord, Item, KeptHistory, RejectedRow,
    SeriesKey, Subset, collect_rejected, fill_records, locations, open_history, stable_hash,
};
use crate::calendar::{Bucket, date_of_day, day_after_period, day_number, grain, parse_iso_date};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::lifecycle::Lifecycle;
use crate::warnings::{Warning, Warnings};

/// What the readers count: the files read, the warnings and the rows set aside.
#[derive(Default)]
pub(super) struct Sink {
    /// The files read, in order.
    pub files: Vec<InputFile>,
    /// Warnings.
    pub warnings: Warnings,
    /// Rows set aside.
    pub rejected: Vec<RejectedRow>,
}

impl Sink {
    /// Set row `row` of `t` aside (its record filled in later by
    /// [`fill_records`]) and warn about it, for series `key`.
    fn set_aside(
        &mut self,
        t: &Table,
        row: usize,
        reason: &'static str,
        message: &str,
        key: SeriesKey,
    ) {
        self.rejected.push(RejectedRow {
            file: t.display.clone(),
            line: t.line(row),
            column: String::new(),
            reason,
            message: message.into(),
            record: String::new(),
        });
        self.warnings.push(Warning {
            kind: reason,
            file: t.display.clone(),
            line: Some(t.line(row)),
            sku: key.sku,
            location: key.location,
            message: message.into(),
        });
    }

    /// Add what another sink counted after what this one did.
    pub fn append(&mut self, other: Sink) {
        self.files.extend(other.files);
        self.warnings.extend(other.warnings);
        self.rejected.extend(other.rejected);
    }

    /// Record a file as read.
    pub(super) fn record(&mut self, t: &Table) {
        self.files.push(InputFile {
            name: t.name,
            path: t.display.clone(),
            format: match t.format {
                super::Format::Csv => "csv",
                super::Format::Parquet => "parquet",
            },
            sha256: t.sha256.clone(),
            rows: t.height(),
        })
    }
}

/// The planning window the sales fix.
#[derive(Debug, Clone)]
pub(super) struct Window {
    /// The planning date.
    pub as_of: NaiveDate,
    /// Its day number: history is the days before it.
    pub as_of_day: i32,
    /// First day of history kept (`input.max_history_years` back).
    pub first_day: i32,
    /// The grain of the sales dates ([`crate::calendar::grain`]).
    pub grain: Option<Bucket>,
    /// The bucket the run plans in: `run.bucket`, or the grain for `auto`.
    pub bucket: Bucket,
    /// Set when `run.bucket` is finer than the grain ([`bucket_note`]).
    pub bucket_note: Option<String>,
}

/// Read the sales (required) into a demand builder, and the planning
/// window they fix.
pub(super) fn sales(
    dir: &Path,
    config: &Config,
    as_of: Option<NaiveDate>,
    subset: Option<Subset>,
    sink: &mut Sink,
) -> Result<(DemandBuilder, Window)> {
    let mut sales = open_sales(dir, config)?;
    sink.record(&sales);
    // The columns are read a slice of rows at a time, twice: first to find
    // the bad rows and the dates (the planning window needs them all), then
    // into the builder.
    let slices = slices(sales.height());
    let (days, runs) = check_sales(&sales, &slices, config, subset.is_some())?;
    collect_rejected(&sales, config, &mut sink.rejected, &mut sink.warnings)?;
    // Every date is in `days` and every set-aside record taken.
    sales.forget_column("date");
    if (0..sales.height()).all(|row| !sales.keeps(row)) {
        return Err(Error::file(
            sales.display.clone(),
            "no usable data rows: every row was set aside (see the first above)",
        ));
    }
    let window = planning_window(&sales, &days, as_of, config)?;
    let Window {
        as_of,
        as_of_day,
        first_day,
        ..
    } = window;
    if let Some(note) = &window.bucket_note {
        sink.warnings
            .summary("bucket_finer_than_data", &sales.display, 1, note.clone());
    }

    // The series of the runs with a row that makes demand.
    let kept = subset.map(|subset| {
        let ends = runs.iter().skip(1).map(|r| r.0).chain([sales.height()]);
        let makes_demand =
            |row: usize| sales.keeps(row) && (first_day..as_of_day).contains(&days[row]);
        let hashes = runs
            .iter()
            .zip(ends)
            .filter(|((first, _), end)| (*first..*end).any(makes_demand))
            .map(|((_, h), _)| *h);
        KeptHistory::new(subset, hashes)
    });
    drop(runs);
    let mut builder = DemandBuilder {
        first_day,
        kept,
        ..DemandBuilder::default()
    };
    let (mut before, mut after, mut n_returns) = (0, 0, 0);
    for &(start, len) in &slices {
        let part = sales.rows(start, len)?;
        let day = &days[start..start + len];
        let keeps = |row: usize| sales.keeps(start + row);
        sales_slice(&part, config, false, |c| {
            n_returns += c
                .qty
                .iter()
                .zip(day)
                .enumerate()
                .filter(|(row, (q, d))| {
                    **q < 0.0 && **d < as_of_day && **d >= first_day && keeps(*row)
                })
                .count() as u64;
            let (b, a) = builder.add(
                &c.sku,
                &c.location,
                day,
                &c.qty,
                keeps,
                as_of_day,
                |row, day, qty| {
                    (qty >= 0.0).then(|| {
                        DemandRecord::new(
                            day,
                            qty,
                            0.0,
                            c.price.as_ref().and_then(|p| p[row]).unwrap_or(0.0) as f32,
                            c.promo.as_ref().and_then(|p| p[row]) == Some(1.0),
                        )
                    })
                },
            );
            before += b;
            after += a;
        })?;
    }
    sink.warnings.summary(
        "before_history_window",
        &sales.display,
        before,
        format!("{before} sales rows dated more than input.max_history_years ({}) before the as-of date were left out", config.input.max_history_years),
    );
    sink.warnings.summary(
        "after_as_of",
        &sales.display,
        after,
        format!("{after} sales rows dated on or after the as-of date {as_of} were left out"),
    );
    sink.warnings.summary(
        "returns",
        &sales.display,
        n_returns,
        format!("{n_returns} sales rows with a negative quantity were counted as returns, apart from demand"),
    );
    Ok((builder, window))
}

/// The sales file, in pieces of a slice of rows when large ([`Table::read`]):
/// it must be there and hold rows.
fn open_sales(dir: &Path, config: &Config) -> Result<Table> {
    let sales = open_history(dir, "sales", config, Some(SALES_SLICE_ROWS))?.ok_or_else(|| {
        Error::file(
            dir.join("sales.csv").display().to_string(),
            "required file missing: expected sales.csv or sales.parquet",
        )
    })?;
    if sales.height() == 0 {
        return Err(Error::file(
            sales.display.clone(),
            "no data rows: sales history is required",
        ));
    }
    Ok(sales)
}

/// A run of rows of one series: (its first row, the series' stable hash).
type SeriesRun = (usize, u64);

/// The first pass over the sales' `slices`: set the bad rows aside and
/// return each row's day, and `with_hashes` the stable hash of each run of
/// rows of one series, by its first row (a shard's subset needs every
/// series'; which rows make series is known once the window is).
fn check_sales(
    sales: &Table,
    slices: &[(usize, usize)],
    config: &Config,
    with_hashes: bool,
) -> Result<(Vec<i32>, Vec<SeriesRun>)> {
    let mut days = Vec::with_capacity(sales.height());
    let mut runs = Vec::new();
    for &(start, len) in slices {
        let part = sales.rows(start, len)?;
        sales_slice(&part, config, true, |c| {
            days.extend_from_slice(&c.day);
            if with_hashes {
                series_runs(start, &c.sku, &c.location, &mut runs);
            }
        })?;
        sales.absorb(&part);
    }
    Ok((days, runs))
}

/// Append (first row, stable hash) of each run of rows of one series in
/// `skus` and `locations` (rows from `start`) to `runs`: one per series in a
/// file sorted by series.
fn series_runs(start: usize, skus: &[&str], locations: &[&str], runs: &mut Vec<SeriesRun>) {
    for (row, (&sku, &location)) in skus.iter().zip(locations).enumerate() {
        if row == 0 || sku != skus[row - 1] || location != locations[row - 1] {
            runs.push((start + row, stable_hash(sku, location)));
        }
    }
}

/// Rows of the sales read at once: a large file's columns are held a slice
/// at a time beside its frame, not whole.
const SALES_SLICE_ROWS: usize = 1 << 20;

/// (first row, rows) of each slice of a table of `height` rows.
pub(super) fn slices(height: usize) -> Vec<(usize, usize)> {
    (0..height)
        .step_by(SALES_SLICE_ROWS)
        .map(|start| (start, SALES_SLICE_ROWS.min(height - start)))
        .collect()
}

/// The checked columns of (a slice of) the sales.
struct SalesColumns<'a> {
    sku: Vec<&'a str>,
    location: Vec<&'a str>,
    /// Empty unless asked for.
    day: Vec<i32>,
    qty: Vec<f64>,
    price: Option<Vec<Option<f64>>>,
    promo: Option<Vec<Option<f64>>>,
}

/// Check the columns of `part` (a slice of the sales; its bad rows set
/// aside in it, or the first an error) and hand them to `use_columns`; the
/// dates only `with_days`.
fn sales_slice(
    part: &Table,
    config: &Config,
    with_days: bool,
    use_columns: impl FnOnce(SalesColumns<'_>),
) -> Result<()> {
    let sku_strings = part.strings("sku")?;
    let sku = part.required_strs("sku", sku_strings.as_ref())?;
    let loc_strings = part.strings("location")?;
    let location = locations(part, loc_strings.as_ref(), config)?;
    let day = if with_days {
        part.required_dates("date")?
    } else {
        Vec::new()
    };
    let qty = part.required_numbers("qty", None)?;
    let price = if part.has("price") {
        part.optional_numbers("price", Some(0.0))?
    } else {
        None
    };
    let promo = part.numbers("promo")?;
    if let Some(promo) = &promo {
        for (row, p) in promo.iter().enumerate() {
            if let Some(p) = p
                && *p != 0.0
                && *p != 1.0
            {
                part.reject(row, Some("promo"), format!("expected 0 or 1, found {p}"))?;
            }
        }
    }
    use_columns(SalesColumns {
        sku,
        location,
        day,
        qty,
        price,
        promo,
    });
    Ok(())
}

/// What to tell when `run.bucket` is finer than the grain of the sales
/// dates: monthly sales read in weeks leave three weeks of four empty, and
/// every item looks intermittent.
fn bucket_note(grain: Option<Bucket>, config: &Config) -> Option<String> {
    let (set, grain) = (config.run.bucket.fixed()?, grain?);
    (set < grain).then(|| {
        format!(
            "the sales are dated once a {grain} but run.bucket = \"{set}\": most {set}s show no demand and items look intermittent; set bucket = \"{grain}\" or \"auto\" (the default)"
        )
    })
}

/// The planning window: the as-of date (given, configured, or the start of
/// the period after the last usable sale, [`day_after_period`]) and the
/// first day of history kept.
fn planning_window(
    sales: &Table,
    s_day: &[i32],
    as_of: Option<NaiveDate>,
    config: &Config,
) -> Result<Window> {
    let last_sale = s_day
        .iter()
        .enumerate()
        .filter(|(row, _)| sales.keeps(*row))
        .map(|(_, d)| *d)
        .max()
        .expect("sales has usable rows");
    let grain = grain(
        s_day
            .iter()
            .enumerate()
            .filter(|(row, _)| sales.keeps(*row))
            .map(|(_, d)| *d),
    );
    let as_of = match as_of {
        Some(d) => d,
        None => match &config.run.as_of {
            Some(text) => parse_iso_date(text).ok_or_else(|| {
                Error::Config(format!(
                    "run.as_of = \"{text}\": expected a date YYYY-MM-DD"
                ))
            })?,
            None => date_of_day(day_after_period(last_sale, grain))
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
    Ok(Window {
        as_of,
        as_of_day,
        first_day,
        grain,
        bucket: config.run.bucket.resolve(grain),
        bucket_note: bucket_note(grain, config),
    })
}

/// Add the backorders to the demand builder.
pub(super) fn backorders(
    bo: &Table,
    config: &Config,
    window: &Window,
    builder: &mut DemandBuilder,
    sink: &mut Sink,
) -> Result<()> {
    let Window {
        as_of, as_of_day, ..
    } = *window;
    sink.record(bo);
    let sku_strings = bo.strings("sku")?;
    let skus = bo.required_strs("sku", sku_strings.as_ref())?;
    let loc_strings = bo.strings("location")?;
    let locs = locations(bo, loc_strings.as_ref(), config)?;
    let days = bo.required_dates("date")?;
    let qtys = bo.required_numbers("qty", Some(0.0))?;
    collect_rejected(bo, config, &mut sink.rejected, &mut sink.warnings)?;
    let (before, after) = builder.add(
        &skus,
        &locs,
        &days,
        &qtys,
        |row| bo.keeps(row),
        as_of_day,
        |_, day, qty| Some(DemandRecord::new(day, 0.0, qty, 0.0, false)),
    );
    sink.warnings.summary(
        "before_history_window",
        &bo.display,
        before,
        format!("{before} backorder rows dated more than input.max_history_years ({}) before the as-of date were left out", config.input.max_history_years),
    );
    sink.warnings.summary(
        "after_as_of",
        &bo.display,
        after,
        format!("{after} backorder rows dated on or after the as-of date {as_of} were left out"),
    );
    Ok(())
}

/// The stock records of the planned series (`n`, numbered by `ids`).
pub(super) fn inventory(
    inv: &Table,
    config: &Config,
    ids: &HashMap<SeriesKey, usize>,
    n: usize,
    sink: &mut Sink,
) -> Result<Vec<Option<InventoryRecord>>> {
    let mut inventory: Vec<Option<InventoryRecord>> = vec![None; n];
    sink.record(inv);
    let sku_strings = inv.strings("sku")?;
    let skus = inv.required_strs("sku", sku_strings.as_ref())?;
    let loc_strings = inv.strings("location")?;
    let locs = locations(inv, loc_strings.as_ref(), config)?;
    let on_hand = inv.required_numbers("on_hand", Some(0.0))?;
    let on_order = inv.optional_numbers("on_order", Some(0.0))?;
    let backordered = inv.optional_numbers("backordered", Some(0.0))?;
    let allocated = inv.optional_numbers("allocated", Some(0.0))?;
    let get = |v: &Option<Vec<Option<f64>>>, row: usize| v.as_ref().and_then(|v| v[row]);
    let (start, mut rejected_rows) = (sink.rejected.len(), Vec::new());
    for (row, (sku, loc)) in skus.into_iter().zip(locs).enumerate() {
        let key = SeriesKey {
            sku: sku.to_string(),
            location: loc.to_string(),
        };
        let Some(&id) = ids.get(&key) else {
            let message = "stock record for a SKU-location with no sales or backorders before the as-of date; not planned";
            sink.set_aside(inv, row, "inventory_without_history", message, key);
            rejected_rows.push(row);
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
                sink.warnings.push(Warning {
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
    fill_records(inv, &mut sink.rejected[start..], &rejected_rows)?;
    Ok(inventory)
}

/// The calendar events.
pub(super) fn events(ev: &Table, config: &Config, sink: &mut Sink) -> Result<Vec<Event>> {
    let mut events = Vec::new();
    sink.record(ev);
    let days = ev.required_dates("date")?;
    let names = ev.required_text("name")?;
    let skus = ev.text("sku")?;
    let locs = ev.text("location")?;
    collect_rejected(ev, config, &mut sink.rejected, &mut sink.warnings)?;
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
    Ok(events)
}

/// The item master's columns, parsed and checked.
struct ItemColumns {
    skus: Vec<String>,
    locs: Texts,
    description: Texts,
    supplier: Texts,
    unit_cost: Numbers,
    lead: Numbers,
    lead_sd: Numbers,
    moq: Numbers,
    pack: Numbers,
    service: Numbers,
    review: Numbers,
    order_cost: Numbers,
    holding_rate: Numbers,
    min_qty: Numbers,
    max_qty: Numbers,
    successor: Texts,
    category: Texts,
    unit_volume: Numbers,
    unit_weight: Numbers,
    status: Option<Vec<Option<Lifecycle>>>,
}

/// An optional text column.
type Texts = Option<Vec<Option<String>>>;
/// An optional number column.
type Numbers = Option<Vec<Option<f64>>>;

impl ItemColumns {
    /// Parse the columns of `it`; a value out of its range is an error
    /// naming its row and column.
    fn read(it: &Table) -> Result<ItemColumns> {
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
        let category = it.text("category")?;
        let unit_volume = it.optional_numbers("unit_volume", Some(0.0))?;
        let unit_weight = it.optional_numbers("unit_weight", Some(0.0))?;
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
        Ok(ItemColumns {
            skus,
            locs,
            description,
            supplier,
            unit_cost,
            lead,
            lead_sd,
            moq,
            pack,
            service,
            review,
            order_cost,
            holding_rate,
            min_qty,
            max_qty,
            successor,
            category,
            unit_volume,
            unit_weight,
            status,
        })
    }

    /// The item of row `row`.
    fn item(&self, row: usize) -> Item {
        let txt = |v: &Texts| v.as_ref().and_then(|v| v[row].clone());
        let num = |v: &Numbers| v.as_ref().and_then(|v| v[row]);
        Item {
            description: txt(&self.description),
            supplier: txt(&self.supplier),
            unit_cost: num(&self.unit_cost),
            lead_time_days: num(&self.lead),
            lead_time_sd_days: num(&self.lead_sd),
            moq: num(&self.moq),
            pack_size: num(&self.pack),
            service_level: num(&self.service),
            review_period_days: num(&self.review),
            order_cost: num(&self.order_cost),
            holding_rate: num(&self.holding_rate),
            min_qty: num(&self.min_qty),
            max_qty: num(&self.max_qty),
            status: self.status.as_ref().and_then(|v| v[row]),
            successor_sku: txt(&self.successor).filter(|s| !s.trim().is_empty()),
            category: txt(&self.category).filter(|s| !s.trim().is_empty()),
            unit_volume: num(&self.unit_volume),
            unit_weight: num(&self.unit_weight),
        }
    }
}

/// Item-master rows by SKU-location and by SKU (rows without a location),
/// with their row; a later row for the same key supersedes an earlier one.
type ItemsByKey = (
    BTreeMap<String, (Item, usize)>,
    BTreeMap<SeriesKey, (Item, usize)>,
);

fn items_by_key(it: &Table, columns: &ItemColumns, sink: &mut Sink) -> Result<ItemsByKey> {
    let mut by_sku: BTreeMap<String, (Item, usize)> = BTreeMap::new();
    let mut by_key: BTreeMap<SeriesKey, (Item, usize)> = BTreeMap::new();
    let (start, mut rejected_rows) = (sink.rejected.len(), Vec::new());
    for (row, sku) in columns.skus.iter().cloned().enumerate() {
        let item = columns.item(row);
        let line = it.line(row);
        let duplicate = match columns.locs.as_ref().and_then(|v| v[row].clone()) {
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
            sink.rejected.push(RejectedRow {
                file: it.display.clone(),
                line: it.line(earlier),
                column: String::new(),
                reason: "duplicate_item",
                message: format!("superseded by line {line}, a later row for the same key"),
                record: String::new(),
            });
            rejected_rows.push(earlier);
            sink.warnings.push(Warning {
                kind: "duplicate_item",
                file: it.display.clone(),
                line: Some(line),
                sku: key.sku,
                location: key.location,
                message: "second item-master row for the same key; the last one is used".into(),
            });
        }
    }
    fill_records(it, &mut sink.rejected[start..], &rejected_rows)?;
    Ok((by_sku, by_key))
}

/// A pack size or MOQ that is not a whole number makes order quantities
/// that are not either (a pack of 2.5 orders 67.5): allowed, for goods sold
/// by weight or length, but listed, since it is more often a unit mix-up.
fn warn_about_fractional_units(it: &Table, columns: &ItemColumns, sink: &mut Sink) {
    for (name, values) in [("pack_size", &columns.pack), ("moq", &columns.moq)] {
        let Some(values) = values else { continue };
        for (row, v) in values.iter().enumerate() {
            let Some(x) = v.filter(|x| x.fract() != 0.0) else {
                continue;
            };
            let text = |v: &Texts| v.as_ref().and_then(|v| v[row].clone());
            sink.warnings.push(Warning {
                kind: "fractional_pack_or_moq",
                file: it.display.clone(),
                line: Some(it.line(row)),
                sku: columns.skus[row].clone(),
                location: text(&columns.locs).unwrap_or_default(),
                message: format!(
                    "{name} {x} is not a whole number: order quantities are multiples of it (check the unit)"
                ),
            });
        }
    }
}

/// The item-master row of every planned series (its SKU-location's, else
/// its SKU's).
pub(super) fn items(
    it: &Table,
    keys: &[SeriesKey],
    ids: &HashMap<SeriesKey, usize>,
    sink: &mut Sink,
) -> Result<Vec<Option<Item>>> {
    sink.record(it);
    let columns = ItemColumns::read(it)?;
    warn_about_fractional_units(it, &columns, sink);
    let (by_sku, by_key) = items_by_key(it, &columns, sink)?;
    let mut items: Vec<Option<Item>> = vec![None; keys.len()];
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
    sink.warnings.summary(
        "items_without_history",
        &it.display,
        unused as u64,
        format!("{unused} item-master rows for SKUs or SKU-locations with no sales or backorders before the as-of date; not planned"),
    );
    Ok(items)
}

/// A number of `col` in `row` that must be a whole number: an error naming
/// the row and column otherwise.
fn whole(t: &Table, row: usize, col: &str, x: f64) -> Result<i64> {
    if x.fract() != 0.0 || !x.is_finite() || x.abs() > 9.0e15 {
        return Err(Error::input(
            t.location(row, Some(col)),
            format!("expected a whole number, found {x}"),
        ));
    }
    Ok(x as i64)
}

/// The open customer order lines of the planned series, as they stood on
/// the as-of date (lines ordered after it are left out).
pub(super) fn open_orders(
    oo: &Table,
    config: &Config,
    ids: &HashMap<SeriesKey, usize>,
    n: usize,
    window: &Window,
    sink: &mut Sink,
) -> Result<Vec<Vec<super::OrderLine>>> {
    sink.record(oo);
    let order_ids = oo.required_text("order_id")?;
    let lines = oo.required_numbers("line", Some(0.0))?;
    let customers = oo.required_text("customer")?;
    let sku_strings = oo.strings("sku")?;
    let skus = oo.required_strs("sku", sku_strings.as_ref())?;
    let loc_strings = oo.strings("location")?;
    let locs = locations(oo, loc_strings.as_ref(), config)?;
    let qty = oo.required_numbers("qty", Some(0.0))?;
    let order = oo.required_dates("order_date")?;
    let requested = oo.dates("requested_date")?;
    let priority = oo.numbers("priority")?;
    let mut out: Vec<Vec<super::OrderLine>> = vec![Vec::new(); n];
    let (start, mut rejected_rows) = (sink.rejected.len(), Vec::new());
    let (mut ordered_after, mut zero) = (0u64, 0u64);
    let mut seen: HashMap<(&str, u64), u64> = HashMap::new();
    for (row, (sku, loc)) in skus.into_iter().zip(locs).enumerate() {
        let line = whole(oo, row, "line", lines[row])? as u64;
        let prio = match priority.as_ref().and_then(|p| p[row]) {
            Some(p) => whole(oo, row, "priority", p)?,
            None => 0,
        };
        if order[row] >= window.as_of_day {
            ordered_after += 1;
            continue;
        }
        if qty[row] == 0.0 {
            zero += 1;
            continue;
        }
        let key = SeriesKey {
            sku: sku.to_string(),
            location: loc.to_string(),
        };
        let Some(&id) = ids.get(&key) else {
            let message = "open order line for a SKU-location with no sales or backorders before the as-of date; no ship date given";
            sink.set_aside(oo, row, "order_without_history", message, key.clone());
            rejected_rows.push(row);
            continue;
        };
        if let Some(first) = seen.insert((order_ids[row].as_str(), line), oo.line(row)) {
            sink.warnings.push(Warning {
                kind: "duplicate_order_line",
                file: oo.display.clone(),
                line: Some(oo.line(row)),
                sku: key.sku.clone(),
                location: key.location.clone(),
                message: format!(
                    "order {} line {line} also on line {first}; both kept as separate lines",
                    order_ids[row]
                ),
            });
        }
        out[id].push(super::OrderLine {
            order_id: order_ids[row].clone(),
            line,
            customer: customers[row].clone(),
            qty: qty[row],
            order_day: order[row],
            requested_day: requested.as_ref().and_then(|r| r[row]),
            priority: prio,
            file_line: oo.line(row),
        });
    }
    fill_records(oo, &mut sink.rejected[start..], &rejected_rows)?;
    sink.warnings.summary(
        "after_as_of",
        &oo.display,
        ordered_after,
        format!(
            "{ordered_after} open order lines dated on or after the as-of date {} were left out",
            window.as_of
        ),
    );
    sink.warnings.summary(
        "zero_qty_order_line",
        &oo.display,
        zero,
        format!("{zero} open order lines with nothing left to ship (qty 0) were left out"),
    );
    Ok(out)
}

/// Warn about every series whose open order lines add up to other than the
/// inventory's `backordered` (call it when the inventory has that column):
/// the lines are used.
pub(super) fn reconcile_backorders(
    lines: &[Vec<super::OrderLine>],
    inventory: &[Option<InventoryRecord>],
    keys: &[SeriesKey],
    file: &str,
    sink: &mut Sink,
) {
    for (id, (lines, inv)) in lines.iter().zip(inventory).enumerate() {
        let of_lines: f64 = lines.iter().map(|l| l.qty).sum();
        let of_inventory = inv.map(|i| i.backordered).unwrap_or(0.0);
        if (of_lines - of_inventory).abs() > 1e-6 * of_lines.abs().max(1.0) {
            sink.warnings.push(Warning {
                kind: "backorders_disagree",
                file: file.to_string(),
                line: None,
                sku: keys[id].sku.clone(),
                location: keys[id].location.clone(),
                message: format!(
                    "open order lines add up to {of_lines} units, inventory backordered says {of_inventory}; the lines are used"
                ),
            });
        }
    }
}

/// Parse a yes/no cell of `col`: true, false, yes, no, 1, 0 (any case);
/// empty is false.
fn yes_no(t: &Table, row: usize, col: &str, cell: Option<&str>) -> Result<bool> {
    match cell.map(|c| c.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("false") | Some("no") | Some("0") => Ok(false),
        Some("true") | Some("yes") | Some("1") => Ok(true),
        Some(other) => Err(Error::input(
            t.location(row, Some(col)),
            format!("expected true or false, found {other:?}"),
        )),
    }
}

/// The substitutes between SKUs that are planned. A SKU given as its own
/// substitute, a ratio that is not positive or a `two_way` that is not
/// yes/no is an error; a SKU with no history, a repeated pair and a pair
/// of one-way substitutes pointing at each other are warnings.
pub(super) fn substitutes(
    st: &Table,
    keys: &[SeriesKey],
    sink: &mut Sink,
) -> Result<Vec<super::Substitute>> {
    sink.record(st);
    let skus = st.required_text("sku")?;
    let subs = st.required_text("substitute")?;
    let locs = st.text("location")?;
    let priority = st.numbers("priority")?;
    let ratio = st.numbers("ratio")?;
    let two_way = st.text("two_way")?;
    let planned: std::collections::HashSet<&str> = keys.iter().map(|k| k.sku.as_str()).collect();
    let mut out: Vec<super::Substitute> = Vec::new();
    let mut seen: HashMap<(String, String, Option<String>), u64> = HashMap::new();
    let mut unknown = 0u64;
    for (row, (sku, sub)) in skus.into_iter().zip(subs).enumerate() {
        if sku == sub {
            return Err(Error::input(
                st.location(row, Some("substitute")),
                format!("SKU {sku:?} given as its own substitute"),
            ));
        }
        let ratio = ratio.as_ref().and_then(|r| r[row]).unwrap_or(1.0);
        if !(ratio > 0.0 && ratio.is_finite()) {
            return Err(Error::input(
                st.location(row, Some("ratio")),
                format!("expected a ratio above 0, found {ratio}"),
            ));
        }
        let priority = match priority.as_ref().and_then(|p| p[row]) {
            Some(p) => whole(st, row, "priority", p)?,
            None => 0,
        };
        let cell = two_way.as_ref().and_then(|v| v[row].as_deref());
        let two_way = yes_no(st, row, "two_way", cell)?;
        let location = locs
            .as_ref()
            .and_then(|l| l[row].clone())
            .filter(|l| !l.trim().is_empty());
        if !planned.contains(sku.as_str()) || !planned.contains(sub.as_str()) {
            unknown += 1;
            continue;
        }
        let pair = (sku.clone(), sub.clone(), location.clone());
        if let Some(first) = seen.insert(pair, st.line(row)) {
            sink.warnings.push(Warning {
                kind: "duplicate_substitute",
                file: st.display.clone(),
                line: Some(st.line(row)),
                sku,
                location: location.unwrap_or_default(),
                message: format!(
                    "{sub} already given as a substitute on line {first}; this line is ignored"
                ),
            });
            continue;
        }
        out.push(super::Substitute {
            sku,
            substitute: sub,
            location,
            priority,
            ratio,
            two_way,
        });
    }
    sink.warnings.summary(
        "substitute_without_history",
        &st.display,
        unknown,
        format!("{unknown} substitute rows name a SKU with no sales or backorders before the as-of date; ignored"),
    );
    warn_about_substitute_cycles(&out, st, sink);
    Ok(out)
}

/// A one-way substitute A → B next to a one-way B → A (same location) makes
/// a cycle: probably meant as one two-way pair. Both are kept, each offered
/// in its own direction.
fn warn_about_substitute_cycles(subs: &[super::Substitute], st: &Table, sink: &mut Sink) {
    let one_way: std::collections::HashSet<(&str, &str, Option<&str>)> = subs
        .iter()
        .filter(|s| !s.two_way)
        .map(|s| (s.sku.as_str(), s.substitute.as_str(), s.location.as_deref()))
        .collect();
    for s in subs.iter().filter(|s| !s.two_way && s.sku < s.substitute) {
        if one_way.contains(&(s.substitute.as_str(), s.sku.as_str(), s.location.as_deref())) {
            sink.warnings.push(Warning {
                kind: "substitute_cycle",
                file: st.display.clone(),
                line: None,
                sku: s.sku.clone(),
                location: s.location.clone().unwrap_or_default(),
                message: format!(
                    "{} and {} are one-way substitutes of each other (a cycle): offered both ways; say two_way = true on one row instead",
                    s.sku, s.substitute
                ),
            });
        }
    }
}

/// The supplier terms, by supplier: order days as weekday names or their
/// first three letters (any case), separated by `;`, spaces or `/`. A name
/// that is not a weekday is an error naming its row; a supplier given twice
/// is a warning (the later row wins).
pub(super) fn suppliers(
    st: &Table,
    sink: &mut Sink,
) -> Result<std::collections::BTreeMap<String, super::SupplierTerms>> {
    sink.record(st);
    let names = st.required_text("supplier")?;
    let days = st.text("order_days")?;
    let currency = st.text("currency")?;
    let min_value = st.optional_numbers("min_order_value", Some(0.0))?;
    let volume = st.optional_numbers("container_volume", Some(0.0))?;
    let weight = st.optional_numbers("container_weight", Some(0.0))?;
    let max_containers = st.optional_numbers("max_containers", Some(0.0))?;
    let num = |v: &Option<Vec<Option<f64>>>, row: usize| v.as_ref().and_then(|v| v[row]);
    let mut out = std::collections::BTreeMap::new();
    for (row, name) in names.into_iter().enumerate() {
        let cell = days
            .as_ref()
            .and_then(|d| d[row].clone())
            .unwrap_or_default();
        let mut order_days: Vec<chrono::Weekday> = Vec::new();
        for token in cell.split([';', ' ', '/']).filter(|t| !t.trim().is_empty()) {
            let day = token.trim().parse::<chrono::Weekday>().map_err(|_| {
                Error::input(
                    st.location(row, Some("order_days")),
                    format!("{token:?} is not a weekday (expected e.g. Mon;Thu)"),
                )
            })?;
            if !order_days.contains(&day) {
                order_days.push(day);
            }
        }
        order_days.sort_by_key(|d| d.num_days_from_monday());
        for (col, v) in [("container_volume", &volume), ("container_weight", &weight)] {
            if num(v, row) == Some(0.0) {
                return Err(Error::input(
                    st.location(row, Some(col)),
                    "expected a positive container size, found 0 (leave the cell empty for none)",
                ));
            }
        }
        if let Some(n) = num(&max_containers, row)
            && (n < 1.0 || n.fract() != 0.0)
        {
            return Err(Error::input(
                st.location(row, Some("max_containers")),
                format!("expected a whole number of containers, at least 1, found {n}"),
            ));
        }
        let terms = super::SupplierTerms {
            order_days,
            min_order_value: num(&min_value, row).filter(|v| *v > 0.0),
            container_volume: num(&volume, row),
            container_weight: num(&weight, row),
            max_containers: num(&max_containers, row),
            currency: currency
                .as_ref()
                .and_then(|c| c[row].clone())
                .filter(|c| !c.trim().is_empty()),
        };
        if out.insert(name.clone(), terms).is_some() {
            sink.warnings.push(Warning {
                kind: "duplicate_supplier",
                file: st.display.clone(),
                line: Some(st.line(row)),
                sku: String::new(),
                location: String::new(),
                message: format!("supplier {name} given again; this row wins"),
            });
        }
    }
    Ok(out)
}
