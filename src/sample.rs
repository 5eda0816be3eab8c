//! Deterministic generator of realistic synthetic company history.
//!
//! [`generate`] simulates, week by week, a small distribution company: demand
//! per SKU and location (smooth, seasonal, trending, intermittent, lumpy, new
//! and discontinued items, with promotions and holiday effects), an imperfect
//! reorder-point replenishment policy, purchase orders with noisy and
//! sometimes late supplier lead times, stock-outs with customer backorders,
//! and a stock snapshot at the end. It writes the six input files of the data
//! contract (`items.csv`, `sales.csv`, `backorders.csv`, `inventory.csv`,
//! `purchase_orders.csv`, `events.csv`) into a folder.
//!
//! Conventions of the written data:
//! - one `sales` row per series (SKU × location) and ISO week (Monday start)
//!   with shipments, dated on a random day Monday–Saturday of that week
//!   (never after `end_date`); `qty` is what shipped against that week's
//!   demand, the shortfall is the `backorders` row of the same date, so
//!   demand = sales + backorders. Later shipments that fill a backorder are
//!   not written as sales. Rare extra rows with negative `qty` are returns.
//! - purchase orders still in transit at the end have empty `received_date`
//!   and `received_qty`; their quantities add up to `inventory.on_order`.
//! - holidays are listed for the history and the 52 weeks after it (a known
//!   calendar usable as a forecast feature); promotions only for the history.
//!
//! Every series (SKU × location) draws from its own random stream seeded from
//! `(seed, sku index, location index)`, and item attributes from a stream
//! seeded from `(seed, sku index)`, so a series' data does not depend on how
//! many SKUs are generated. Output is byte-identical for the same options.
//! Rows are streamed through buffered writers: memory use is per series,
//! apart from the small list of promotion events, which is sorted by date.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, Poisson, StandardNormal};

/// Header of `items.csv`.
pub const ITEMS_HEADER: &str = "sku,description,supplier,unit_cost,lead_time_days,lead_time_sd_days,moq,pack_size,service_level,review_period_days,min_qty,max_qty,category,unit_volume,unit_weight";
/// Header of `sales.csv`.
pub const SALES_HEADER: &str = "sku,location,date,qty,price,promo";
/// Header of `backorders.csv`.
pub const BACKORDERS_HEADER: &str = "sku,location,date,qty";
/// Header of `inventory.csv`.
pub const INVENTORY_HEADER: &str = "sku,location,on_hand,on_order,backordered,allocated";
/// Header of `purchase_orders.csv`.
pub const PURCHASE_ORDERS_HEADER: &str =
    "po_id,supplier,sku,location,qty,order_date,due_date,received_date,received_qty";
/// Header of `open_orders.csv`.
pub const OPEN_ORDERS_HEADER: &str =
    "order_id,line,customer,sku,location,qty,order_date,requested_date,priority";
/// Header of `substitutes.csv`.
pub const SUBSTITUTES_HEADER: &str = "sku,substitute,location,priority,ratio,two_way";
/// Header of `suppliers.csv`.
pub const SUPPLIERS_HEADER: &str =
    "supplier,order_days,min_order_value,container_volume,container_weight,max_containers,currency";
/// Header of `events.csv`.
pub const EVENTS_HEADER: &str = "date,name,sku,location";

/// Number of suppliers in the generated item master (`SUP-01` ..).
const SUPPLIERS: usize = 12;
/// Probability that a series suffers a supplier disruption at the end of the
/// history (its last orders arrive after the end date).
const CRISIS_P: f64 = 0.2;
/// Share of series with sensible reorder points; the rest are planned thinly.
const WELL_RUN_P: f64 = 0.9;
/// Probability that a week with shipments also has a customer return.
const RETURN_P: f64 = 0.002;
/// Probability that a purchase order is delivered short.
const SHORT_DELIVERY_P: f64 = 0.04;

/// Options for the synthetic data generator.
#[derive(Debug, Clone)]
pub struct SampleOptions {
    /// Number of SKUs (default 200).
    pub skus: usize,
    /// Number of locations, named "DC1", "DC2", ... (default 2, at most 99).
    pub locations: usize,
    /// Years of weekly history, 52 weeks each (default 3, at most 20).
    pub years: u32,
    /// Seed of all random draws (default 42).
    pub seed: u64,
    /// Last sales date (default 2026-11-22, a Sunday); the history ends with
    /// the ISO week that contains it.
    pub end_date: NaiveDate,
}

impl Default for SampleOptions {
    fn default() -> Self {
        Self {
            skus: 200,
            locations: 2,
            years: 3,
            seed: 42,
            end_date: NaiveDate::from_ymd_opt(2026, 11, 22).expect("valid default date"),
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct SampleSummary {
    /// Rows of `items.csv` (one per SKU).
    pub items: usize,
    /// Series (SKU × location) simulated.
    pub series: usize,
    /// Rows of `sales.csv`, returns included.
    pub sales_rows: usize,
    /// Rows of `backorders.csv`.
    pub backorder_rows: usize,
    /// Rows of `purchase_orders.csv`.
    pub purchase_order_rows: usize,
    /// Purchase orders still open (in transit) at the end date.
    pub open_purchase_orders: usize,
    /// Rows of `events.csv`.
    pub event_rows: usize,
    /// Rows of `inventory.csv` (one per series).
    pub inventory_rows: usize,
    /// Rows of `open_orders.csv`: the open backorders at the end, as
    /// customer order lines.
    pub open_order_rows: usize,
    /// Rows of `substitutes.csv`.
    pub substitute_rows: usize,
}

/// Error writing the sample.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    /// A file or folder could not be created or written.
    #[error("cannot write {path}: {cause}")]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error, said in the message (not chained too).
        cause: std::io::Error,
    },
    /// The options are out of range.
    #[error("invalid sample options: {0}")]
    Options(String),
}

fn io_err(path: &Path, source: std::io::Error) -> SampleError {
    SampleError::Io {
        path: path.to_path_buf(),
        cause: source,
    }
}

/// Generate the files into `out` (created if missing).
///
/// Writes `items.csv`, `sales.csv`, `backorders.csv`, `inventory.csv`,
/// `purchase_orders.csv` and `events.csv` (existing files are replaced) and
/// returns the row counts. Options out of range give
/// [`SampleError::Options`] before anything is written.
pub fn generate(opts: &SampleOptions, out: &Path) -> Result<SampleSummary, SampleError> {
    validate(opts)?;
    let cal = Calendar::new(opts)?;
    std::fs::create_dir_all(out).map_err(|e| io_err(out, e))?;

    let mut items_out = Sink::create(out, "items.csv", ITEMS_HEADER)?;
    let mut sales_out = Sink::create(out, "sales.csv", SALES_HEADER)?;
    let mut bo_out = Sink::create(out, "backorders.csv", BACKORDERS_HEADER)?;
    let mut inv_out = Sink::create(out, "inventory.csv", INVENTORY_HEADER)?;
    let mut po_out = Sink::create(out, "purchase_orders.csv", PURCHASE_ORDERS_HEADER)?;
    let mut ev_out = Sink::create(out, "events.csv", EVENTS_HEADER)?;
    let mut oo_out = Sink::create(out, "open_orders.csv", OPEN_ORDERS_HEADER)?;
    let mut sub_out = Sink::create(out, "substitutes.csv", SUBSTITUTES_HEADER)?;
    let mut sup_out = Sink::create(out, "suppliers.csv", SUPPLIERS_HEADER)?;

    let suppliers = make_suppliers(opts.seed);
    let loc_names: Vec<Vec<u8>> = (1..=opts.locations)
        .map(|i| format!("DC{i}").into_bytes())
        .collect();
    let sku_width = opts.skus.to_string().len().max(5);
    let ctx = Ctx {
        seed: opts.seed,
        cal: &cal,
        suppliers: &suppliers,
    };

    let mut summary = SampleSummary::default();
    let mut events = cal.holidays.clone();
    let mut bufs = Buffers::default();
    let mut next_po: u64 = 1;
    let mut next_order: u64 = 1;
    // (category, sku index) of every item, for the substitutes.
    let mut categories: Vec<(&'static str, usize)> = Vec::with_capacity(opts.skus);

    for sku_idx in 0..opts.skus {
        let item = make_item(&ctx, sku_idx, sku_width);
        categories.push((item.category, sku_idx));
        bufs.items.clear();
        write_item_row(&mut bufs.items, &item);
        items_out.put(&bufs.items)?;
        summary.items += 1;
        let sku_key = u32::try_from(sku_idx).unwrap_or(u32::MAX);
        for (w, p) in item.promo.iter().enumerate() {
            if p.promo {
                events.push((week_monday(w), EV_PROMO, sku_key));
            }
        }
        for (loc_idx, loc) in loc_names.iter().enumerate() {
            bufs.clear_series();
            simulate_series(
                &ctx,
                &item,
                SeriesKey {
                    sku_idx,
                    loc_idx,
                    loc,
                },
                &mut bufs,
                (&mut next_po, &mut next_order),
                &mut summary,
            );
            sales_out.put(&bufs.sales)?;
            bo_out.put(&bufs.backorders)?;
            po_out.put(&bufs.purchase_orders)?;
            inv_out.put(&bufs.inventory)?;
            oo_out.put(&bufs.open_orders)?;
            summary.series += 1;
            summary.inventory_rows += 1;
        }
    }

    events.sort_unstable();
    let mut line = Vec::with_capacity(64);
    for &(day, name, sku) in &events {
        line.clear();
        push_date(&mut line, &cal, day);
        line.push(b',');
        line.extend_from_slice(EVENT_NAMES[usize::from(name)].as_bytes());
        line.push(b',');
        if sku != NO_SKU {
            push_sku(&mut line, sku as usize, sku_width);
        }
        line.extend_from_slice(b",\n");
        ev_out.put(&line)?;
        summary.event_rows += 1;
    }

    write_substitutes(&mut categories, sku_width, &mut sub_out, &mut summary)?;
    write_supplier_terms(&mut sup_out)?;
    for sink in [
        items_out, sales_out, bo_out, inv_out, po_out, ev_out, oo_out, sub_out, sup_out,
    ] {
        sink.finish()?;
    }
    Ok(summary)
}

fn validate(opts: &SampleOptions) -> Result<(), SampleError> {
    if opts.skus == 0 {
        return Err(SampleError::Options("skus must be at least 1".into()));
    }
    if !(1..=99).contains(&opts.locations) {
        return Err(SampleError::Options(format!(
            "locations must be 1..=99, got {}",
            opts.locations
        )));
    }
    if !(1..=20).contains(&opts.years) {
        return Err(SampleError::Options(format!(
            "years must be 1..=20, got {}",
            opts.years
        )));
    }
    if !(1900..=9000).contains(&opts.end_date.year()) {
        return Err(SampleError::Options(format!(
            "end_date must be in the years 1900..=9000, got {}",
            opts.end_date
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Output plumbing
// ---------------------------------------------------------------------------

/// One output file behind a large buffer.
struct Sink {
    path: PathBuf,
    w: BufWriter<File>,
}

impl Sink {
    fn create(dir: &Path, name: &str, header: &str) -> Result<Self, SampleError> {
        let path = dir.join(name);
        let file = File::create(&path).map_err(|e| io_err(&path, e))?;
        let mut sink = Sink {
            w: BufWriter::with_capacity(1 << 20, file),
            path,
        };
        sink.put(header.as_bytes())?;
        sink.put(b"\n")?;
        Ok(sink)
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), SampleError> {
        self.w.write_all(bytes).map_err(|e| io_err(&self.path, e))
    }

    fn finish(mut self) -> Result<(), SampleError> {
        self.w.flush().map_err(|e| io_err(&self.path, e))
    }
}

/// Per-series row buffers, reused across series.
#[derive(Default)]
struct Buffers {
    items: Vec<u8>,
    sales: Vec<u8>,
    backorders: Vec<u8>,
    purchase_orders: Vec<u8>,
    inventory: Vec<u8>,
    open_orders: Vec<u8>,
}

impl Buffers {
    fn clear_series(&mut self) {
        self.open_orders.clear();
        self.sales.clear();
        self.backorders.clear();
        self.purchase_orders.clear();
        self.inventory.clear();
    }
}

fn push_uint(buf: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

fn push_int(buf: &mut Vec<u8>, n: i64) {
    if n < 0 {
        buf.push(b'-');
    }
    push_uint(buf, n.unsigned_abs());
}

fn push_padded(buf: &mut Vec<u8>, n: u64, width: usize) {
    let digits = n.checked_ilog10().map_or(1, |d| d as usize + 1);
    for _ in digits..width {
        buf.push(b'0');
    }
    push_uint(buf, n);
}

/// Writes non-negative cents as `units.cc`.
fn push_cents(buf: &mut Vec<u8>, cents: i64) {
    let c = cents.max(0).unsigned_abs();
    push_uint(buf, c / 100);
    buf.push(b'.');
    buf.push(b'0' + (c / 10 % 10) as u8);
    buf.push(b'0' + (c % 10) as u8);
}

/// Writes a non-negative number of tenths as `units.t`.
fn push_tenths(buf: &mut Vec<u8>, tenths: u64) {
    push_uint(buf, tenths / 10);
    buf.push(b'.');
    buf.push(b'0' + (tenths % 10) as u8);
}

fn push_sku(buf: &mut Vec<u8>, sku_idx: usize, width: usize) {
    buf.extend_from_slice(b"SKU-");
    push_padded(buf, sku_idx as u64 + 1, width);
}

fn push_date(buf: &mut Vec<u8>, cal: &Calendar, day: i64) {
    match usize::try_from(day).ok().and_then(|d| cal.date_text.get(d)) {
        Some(text) => buf.extend_from_slice(text),
        None => buf.extend_from_slice(&date_bytes(cal.day_date(day))),
    }
}

fn date_bytes(d: NaiveDate) -> [u8; 10] {
    let mut out = *b"0000-00-00";
    let y = d.year().clamp(0, 9999) as u32;
    let (m, day) = (d.month(), d.day());
    for (i, v) in [
        (0, y / 1000),
        (1, y / 100 % 10),
        (2, y / 10 % 10),
        (3, y % 10),
    ] {
        out[i] = b'0' + v as u8;
    }
    out[5] = b'0' + (m / 10) as u8;
    out[6] = b'0' + (m % 10) as u8;
    out[8] = b'0' + (day / 10) as u8;
    out[9] = b'0' + (day % 10) as u8;
    out
}

// ---------------------------------------------------------------------------
// Calendar and holidays
// ---------------------------------------------------------------------------

/// Event names, in the sort order of their text (events sort by date, name, sku).
const EVENT_NAMES: [&str; 5] = ["Black Friday", "Christmas", "Easter", "New Year", "promo"];
const EV_BLACK_FRIDAY: u8 = 0;
const EV_CHRISTMAS: u8 = 1;
const EV_EASTER: u8 = 2;
const EV_NEW_YEAR: u8 = 3;
const EV_PROMO: u8 = 4;
const NO_SKU: u32 = u32::MAX;

/// Event sort key: (day index, name index, sku index or `NO_SKU`).
type EventKey = (i64, u8, u32);

/// Calendar facts of one simulated week.
#[derive(Clone, Copy, Default)]
struct WeekInfo {
    /// Position in the year (0..1) of the week's Thursday, for seasonality.
    year_pos: f64,
    /// Holiday weight: uplift scale for holiday-sensitive items.
    holiday: f64,
    /// Demand factor for all continuous items (Christmas / New Year closure).
    closure: f64,
}

/// Day indices are days since the Monday of the first simulated week.
struct Calendar {
    first: NaiveDate,
    /// Day index of `end_date`.
    last_day: i64,
    weeks: usize,
    info: Vec<WeekInfo>,
    /// `YYYY-MM-DD` of day indices `0..len`.
    date_text: Vec<[u8; 10]>,
    /// Holiday events within the history and the 52 weeks after it.
    holidays: Vec<EventKey>,
}

fn week_monday(w: usize) -> i64 {
    w as i64 * 7
}

fn easter_sunday(year: i32) -> Option<NaiveDate> {
    // Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32)
}

fn black_friday(year: i32) -> Option<NaiveDate> {
    // Day after the fourth Thursday of November.
    NaiveDate::from_weekday_of_month_opt(year, 11, Weekday::Thu, 4).and_then(|d| d.succ_opt())
}

impl Calendar {
    fn new(opts: &SampleOptions) -> Result<Self, SampleError> {
        let weeks = opts.years as usize * 52;
        let end = opts.end_date;
        let bad = || SampleError::Options(format!("end_date {end} is out of range"));
        let last_monday = end
            .checked_sub_days(Days::new(u64::from(end.weekday().num_days_from_monday())))
            .ok_or_else(bad)?;
        let first = last_monday
            .checked_sub_days(Days::new(7 * (weeks as u64 - 1)))
            .ok_or_else(bad)?;
        let last_day = (end - first).num_days();
        let horizon_end = end.checked_add_days(Days::new(364)).ok_or_else(bad)?;
        let table_len = (horizon_end - first).num_days() + 1;

        let mut date_text = Vec::with_capacity(table_len as usize);
        let mut d = first;
        for _ in 0..table_len {
            date_text.push(date_bytes(d));
            d = d.succ_opt().ok_or_else(bad)?;
        }

        let mut info = vec![
            WeekInfo {
                year_pos: 0.0,
                holiday: 0.0,
                closure: 1.0
            };
            weeks
        ];
        for (w, wi) in info.iter_mut().enumerate() {
            let thursday = first + Days::new(w as u64 * 7 + 3);
            wi.year_pos = f64::from(thursday.ordinal0()) / 365.25;
        }
        let mut cal = Calendar {
            first,
            last_day,
            weeks,
            info,
            date_text,
            holidays: Vec::new(),
        };

        let mut holidays = Vec::new();
        for year in first.year()..=horizon_end.year() {
            let dates = [
                (EV_NEW_YEAR, NaiveDate::from_ymd_opt(year, 1, 1)),
                (EV_EASTER, easter_sunday(year)),
                (EV_BLACK_FRIDAY, black_friday(year)),
                (EV_CHRISTMAS, NaiveDate::from_ymd_opt(year, 12, 25)),
            ];
            for (name, date) in dates {
                let Some(date) = date else { continue };
                let day = (date - first).num_days();
                if date >= first && date <= horizon_end {
                    holidays.push((day, name, NO_SKU));
                }
                // Demand effects on the simulated weeks.
                let effects: &[(i64, f64, f64)] = match name {
                    // (day offset from the holiday, holiday weight, closure factor)
                    EV_BLACK_FRIDAY => &[(0, 1.0, 1.0)],
                    EV_CHRISTMAS => &[(-14, 0.4, 1.0), (-7, 0.8, 1.0), (0, 0.0, 0.7)],
                    EV_EASTER => &[(-3, 0.4, 1.0)],
                    _ => &[(0, 0.0, 0.85)],
                };
                for &(offset, weight, closure) in effects {
                    if let Some(w) = cal.week_of(day + offset) {
                        cal.info[w].holiday += weight;
                        cal.info[w].closure *= closure;
                    }
                }
            }
        }
        cal.holidays = holidays;
        Ok(cal)
    }

    fn week_of(&self, day: i64) -> Option<usize> {
        if day < 0 {
            return None;
        }
        let w = (day / 7) as usize;
        (w < self.weeks).then_some(w)
    }

    fn day_date(&self, day: i64) -> NaiveDate {
        if day >= 0 {
            self.first + Days::new(day as u64)
        } else {
            self.first - Days::new(day.unsigned_abs())
        }
    }
}

// ---------------------------------------------------------------------------
// Random streams
// ---------------------------------------------------------------------------

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Independent stream for a key: series use `sku * 1000 + location`, items
/// `sku * 1000 + 999`, the supplier table `u64::MAX`.
fn stream(seed: u64, key: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ splitmix64(key))
}

fn log_uniform<R: Rng>(rng: &mut R, lo: f64, hi: f64) -> f64 {
    (rng.random_range(lo.ln()..hi.ln())).exp()
}

/// Negative binomial (gamma–Poisson mixture) with mean `mu` and shape `k`
/// (`k` infinite: Poisson).
fn sample_count<R: Rng>(rng: &mut R, mu: f64, k: f64) -> i64 {
    if mu.is_nan() || mu <= 0.0 {
        return 0;
    }
    let lambda = if k.is_finite() {
        match Gamma::new(k, mu / k) {
            Ok(g) => g.sample(rng),
            Err(_) => mu,
        }
    } else {
        mu
    };
    if lambda.is_nan() || lambda <= 0.0 {
        return 0;
    }
    match Poisson::new(lambda) {
        Ok(p) => {
            let x: f64 = p.sample(rng);
            x as i64
        }
        Err(_) => lambda.round() as i64,
    }
}

// ---------------------------------------------------------------------------
// Item master and demand patterns
// ---------------------------------------------------------------------------

struct Supplier {
    lead_time: u32,
    late_p: f64,
    sd_frac: f64,
}

fn make_suppliers(seed: u64) -> Vec<Supplier> {
    const BASE: [u32; 11] = [7, 10, 14, 21, 28, 35, 42, 49, 56, 63, 70];
    let mut rng = stream(seed, u64::MAX);
    (0..SUPPLIERS)
        .map(|_| Supplier {
            lead_time: BASE[rng.random_range(0..BASE.len())],
            late_p: rng.random_range(0.01..0.08),
            sd_frac: rng.random_range(0.04..0.2),
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pattern {
    Smooth,
    Seasonal,
    Trending,
    Intermittent,
    Lumpy,
    New,
    Discontinued,
}

#[derive(Clone, Copy)]
enum Season {
    None,
    /// `1 + amp * sin(2π pos + phase)`.
    Sine {
        amp: f64,
        phase: f64,
    },
    /// A yearly bump around `peak` (year position) of width `width` (years).
    Peak {
        amp: f64,
        peak: f64,
        width: f64,
    },
}

impl Season {
    fn factor(self, pos: f64) -> f64 {
        match self {
            Season::None => 1.0,
            Season::Sine { amp, phase } => 1.0 + amp * (std::f64::consts::TAU * pos + phase).sin(),
            Season::Peak { amp, peak, width } => {
                let d = (pos - peak).abs();
                let d = d.min(1.0 - d);
                (1.0 - amp) + 3.0 * amp * (-0.5 * (d / width).powi(2)).exp()
            }
        }
    }
}

struct Demand {
    pattern: Pattern,
    /// Weekly mean at DC1 (for trending items: at the end of the history).
    level: f64,
    /// Negative-binomial shape; infinite for Poisson.
    dispersion: f64,
    season: Season,
    /// Growth per year (0.2 = +20 %/year).
    trend: f64,
    /// Weeks of ramp-up after a launch.
    ramp: f64,
    /// Active weeks: `start..stop`.
    start: usize,
    stop: usize,
    /// Intermittent / lumpy: probability of demand in a week.
    occurrence: f64,
    /// Lumpy: order sizes are log-uniform in `size_lo..size_hi`.
    size_lo: f64,
    size_hi: f64,
    /// Uplift scale in holiday weeks.
    holiday_sens: f64,
}

impl Demand {
    fn sporadic(&self) -> bool {
        matches!(self.pattern, Pattern::Intermittent | Pattern::Lumpy)
    }

    /// Mean weekly demand at DC1 for continuous patterns, before promotions.
    fn mean(&self, w: usize, cal: &Calendar) -> f64 {
        if w < self.start || w >= self.stop {
            return 0.0;
        }
        let info = cal.info[w];
        let mut m = self.level * self.season.factor(info.year_pos);
        if self.trend != 0.0 {
            let years = (w as f64 - (cal.weeks - 1) as f64) / 52.0;
            m *= (1.0 + self.trend).powf(years).clamp(0.05, 8.0);
        }
        if self.pattern == Pattern::New {
            m *= ((w - self.start + 1) as f64 / self.ramp).min(1.0);
        }
        m * (1.0 + self.holiday_sens * info.holiday) * info.closure
    }

    /// Mean size of a demand occurrence at a location of scale `scale`.
    fn mean_size(&self, scale: f64) -> f64 {
        match self.pattern {
            Pattern::Intermittent => 1.9,
            _ => scale * (self.size_hi - self.size_lo) / (self.size_hi / self.size_lo).ln(),
        }
    }

    fn occurrence_at(&self, scale: f64) -> f64 {
        match self.pattern {
            Pattern::Intermittent => (self.occurrence * scale).min(0.95),
            _ => (self.occurrence * scale.sqrt()).min(0.95),
        }
    }
}

/// Promotion state of one week.
#[derive(Clone, Copy)]
struct PromoWeek {
    promo: bool,
    lift: f64,
    price_cents: i64,
}

struct Item {
    sku: Vec<u8>,
    description: String,
    /// Product category: the noun of the description.
    category: &'static str,
    /// Nominal size (mm): the unit's volume and weight follow from it.
    size_mm: u32,
    supplier: usize,
    cost_cents: i64,
    lead_time: u32,
    /// Lead-time standard deviation of the supplier process (days).
    lead_time_sd: f64,
    /// What the item master records (tenths of days), if anything.
    lead_time_sd_field: Option<u64>,
    moq: i64,
    pack: i64,
    service_level: Option<&'static str>,
    review_weeks: usize,
    demand: Demand,
    promo: Vec<PromoWeek>,
}

const NOUNS: [&str; 20] = [
    "Widget",
    "Bracket",
    "Bolt",
    "Hinge",
    "Valve",
    "Gasket",
    "Cable",
    "Filter",
    "Bearing",
    "Clamp",
    "Connector",
    "Pump",
    "Sensor",
    "Switch",
    "Fitting",
    "Panel",
    "Spring",
    "Nozzle",
    "Seal",
    "Coupling",
];
const SIZES: [u32; 16] = [3, 4, 5, 6, 8, 10, 12, 16, 20, 25, 32, 40, 50, 63, 75, 100];
const MATERIALS: [&str; 10] = [
    "steel",
    "brass",
    "nylon",
    "aluminium",
    "copper",
    "rubber",
    "PVC",
    "titanium",
    "zinc",
    "ceramic",
];

fn pick<'a, R: Rng, T>(rng: &mut R, xs: &'a [T]) -> &'a T {
    &xs[rng.random_range(0..xs.len())]
}

/// A SKU's demand pattern and its parameters over `n` weeks.
fn draw_demand<R: Rng>(rng: &mut R, n: usize) -> Demand {
    let u: f64 = rng.random();
    let pattern = match u {
        x if x < 0.35 => Pattern::Smooth,
        x if x < 0.50 => Pattern::Seasonal,
        x if x < 0.65 => Pattern::Trending,
        x if x < 0.80 => Pattern::Intermittent,
        x if x < 0.88 => Pattern::Lumpy,
        x if x < 0.95 => Pattern::New,
        _ => Pattern::Discontinued,
    };
    let mut demand = Demand {
        pattern,
        level: log_uniform(rng, 5.0, 300.0),
        dispersion: if rng.random::<f64>() < 0.4 {
            f64::INFINITY
        } else {
            rng.random_range(3.0..40.0)
        },
        season: Season::None,
        trend: 0.0,
        ramp: 1.0,
        start: 0,
        stop: n,
        occurrence: 0.0,
        size_lo: 1.0,
        size_hi: 5.0,
        holiday_sens: if rng.random::<f64>() < 0.4 {
            rng.random_range(0.1..0.6)
        } else {
            0.0
        },
    };
    match pattern {
        Pattern::Smooth => {}
        Pattern::Seasonal => {
            demand.level = log_uniform(rng, 5.0, 200.0);
            let amp = rng.random_range(0.3..0.8);
            demand.season = if rng.random::<f64>() < 0.6 {
                Season::Sine {
                    amp,
                    phase: rng.random_range(0.0..std::f64::consts::TAU),
                }
            } else {
                Season::Peak {
                    amp,
                    peak: rng.random(),
                    width: rng.random_range(0.04..0.12),
                }
            };
        }
        Pattern::Trending => {
            let g = rng.random_range(0.2..0.6);
            demand.trend = if rng.random::<f64>() < 0.6 { g } else { -g };
        }
        Pattern::Intermittent => {
            demand.occurrence = rng.random_range(0.1..0.4);
            demand.holiday_sens = 0.0;
        }
        Pattern::Lumpy => {
            demand.occurrence = rng.random_range(0.03..0.12);
            demand.size_lo = 5.0;
            demand.size_hi = rng.random_range(20.0..200.0);
            demand.holiday_sens = 0.0;
        }
        Pattern::New => {
            let back = rng.random_range(26..=78usize).min(n * 3 / 4).max(4);
            demand.start = n - back;
            demand.ramp = rng.random_range(4.0..12.0);
        }
        Pattern::Discontinued => {
            let back = rng.random_range(13..=52usize).min(n * 3 / 4).max(4);
            demand.stop = n - back;
            demand.trend = -rng.random_range(0.1..0.4);
        }
    }

    demand
}

/// A SKU's weekly prices and promotions: on about 30 % of all SKUs, a few
/// per year, 1–2 weeks each, followed by a small pull-forward dip.
fn draw_promotions<R: Rng>(
    rng: &mut R,
    demand: &Demand,
    n: usize,
    price_cents: i64,
) -> Vec<PromoWeek> {
    let mut promo = vec![
        PromoWeek {
            promo: false,
            lift: 1.0,
            price_cents,
        };
        n
    ];
    if !demand.sporadic() && rng.random::<f64>() < 0.39 {
        let active = demand.stop.saturating_sub(demand.start);
        let per_year = rng.random_range(2.0..5.0);
        let count = (per_year * active as f64 / 52.0).round() as usize;
        for _ in 0..count {
            let len = rng.random_range(1..=2usize);
            if active < len + 2 {
                break;
            }
            let s = demand.start + rng.random_range(0..=active - len - 1);
            let lo = s.saturating_sub(1);
            let hi = (s + len + 1).min(n);
            if promo[lo..hi].iter().any(|p| p.promo || p.lift != 1.0) {
                continue;
            }
            let disc: f64 = rng.random_range(0.10..0.30);
            let lift = (1.0 + disc * rng.random_range(5.0..8.0)).clamp(1.5, 3.0);
            let promo_price = (price_cents as f64 * (1.0 - disc)).round() as i64;
            for p in &mut promo[s..s + len] {
                *p = PromoWeek {
                    promo: true,
                    lift,
                    price_cents: promo_price,
                };
            }
            if s + len < demand.stop {
                promo[s + len].lift = 0.85;
            }
        }
    }

    promo
}

fn make_item(ctx: &Ctx, sku_idx: usize, sku_width: usize) -> Item {
    let cal = ctx.cal;
    let n = cal.weeks;
    let mut rng = stream(
        ctx.seed,
        (sku_idx as u64).wrapping_mul(1000).wrapping_add(999),
    );

    let mut sku = Vec::with_capacity(12);
    push_sku(&mut sku, sku_idx, sku_width);
    let category: &'static str = pick::<_, &str>(&mut rng, &NOUNS);
    let size_mm = *pick(&mut rng, &SIZES);
    let description = format!("{} {}mm {}", category, size_mm, pick(&mut rng, &MATERIALS));
    let supplier = rng.random_range(0..SUPPLIERS);
    let sup = &ctx.suppliers[supplier];
    let cost_cents = ((log_uniform(&mut rng, 0.5, 400.0) * 100.0).round() as i64).clamp(50, 40_000);
    let price_cents = (cost_cents as f64 * rng.random_range(1.3..2.5)).round() as i64;
    let lead_time = (sup.lead_time as i64 + rng.random_range(-2..=5)).clamp(7, 70) as u32;
    let sd = (f64::from(lead_time) * sup.sd_frac * rng.random_range(0.5..1.5)).clamp(0.0, 10.0);
    let lead_time_sd_field = (rng.random::<f64>() >= 0.25).then(|| (sd * 10.0).round() as u64);
    let moq = match rng.random::<f64>() {
        x if x < 0.45 => 0,
        x if x < 0.82 => 1,
        _ => *pick(&mut rng, &[10, 24, 50, 100]),
    };
    let pack = if rng.random::<f64>() < 0.8 {
        1
    } else {
        *pick(&mut rng, &[6, 12, 24])
    };
    let service_level = match rng.random::<f64>() {
        x if x < 0.05 => Some("0.99"),
        x if x < 0.10 => Some("0.9"),
        _ => None,
    };
    let review_weeks = if rng.random::<f64>() < 0.08 { 2 } else { 1 };

    let demand = draw_demand(&mut rng, n);
    let promo = draw_promotions(&mut rng, &demand, n, price_cents);

    Item {
        sku,
        description,
        category,
        size_mm,
        supplier,
        cost_cents,
        lead_time,
        lead_time_sd: if lead_time_sd_field.is_some() {
            sd
        } else {
            f64::from(lead_time) * sup.sd_frac
        },
        lead_time_sd_field,
        moq,
        pack,
        service_level,
        review_weeks,
        demand,
        promo,
    }
}

fn push_supplier(buf: &mut Vec<u8>, supplier: usize) {
    buf.extend_from_slice(b"SUP-");
    push_padded(buf, supplier as u64 + 1, 2);
}

fn write_item_row(buf: &mut Vec<u8>, item: &Item) {
    buf.extend_from_slice(&item.sku);
    buf.push(b',');
    buf.extend_from_slice(item.description.as_bytes());
    buf.push(b',');
    push_supplier(buf, item.supplier);
    buf.push(b',');
    push_cents(buf, item.cost_cents);
    buf.push(b',');
    push_uint(buf, u64::from(item.lead_time));
    buf.push(b',');
    if let Some(t) = item.lead_time_sd_field {
        push_tenths(buf, t);
    }
    buf.push(b',');
    push_int(buf, item.moq);
    buf.push(b',');
    push_int(buf, item.pack);
    buf.push(b',');
    if let Some(s) = item.service_level {
        buf.extend_from_slice(s.as_bytes());
    }
    buf.push(b',');
    if item.review_weeks > 1 {
        push_uint(buf, item.review_weeks as u64 * 7);
    }
    // The ERP's min/max, set once the usual way: min = demand over the lead
    // time plus a week, max = min + four weeks (weekly mean at the first location).
    let d = &item.demand;
    let weekly = if d.sporadic() {
        d.occurrence_at(1.0) * d.mean_size(1.0)
    } else {
        d.level
    };
    let min = (weekly * (f64::from(item.lead_time) / 7.0 + 1.0)).ceil();
    buf.push(b',');
    push_uint(buf, min as u64);
    buf.push(b',');
    push_uint(buf, (min + (4.0 * weekly).ceil()) as u64);
    buf.push(b',');
    buf.extend_from_slice(item.category.as_bytes());
    // Volume (m³, tenths of litres) and weight (kg, tenths) of one unit,
    // packed: 0.5 litres plus 2 ml per square millimetre of its size; 0.4 kg per litre.
    let decilitres = 5 + u64::from(item.size_mm).pow(2) / 50;
    buf.push(b',');
    push_volume(buf, decilitres);
    buf.push(b',');
    push_tenths(buf, decilitres * 4 / 10);
    buf.push(b'\n');
}

/// `decilitres` as cubic metres (4 decimals).
fn push_volume(buf: &mut Vec<u8>, decilitres: u64) {
    push_uint(buf, decilitres / 10_000);
    buf.push(b'.');
    push_padded(buf, decilitres % 10_000, 4);
}

// ---------------------------------------------------------------------------
// Series simulation
// ---------------------------------------------------------------------------

struct Ctx<'a> {
    seed: u64,
    cal: &'a Calendar,
    suppliers: &'a [Supplier],
}

struct SeriesKey<'a> {
    sku_idx: usize,
    loc_idx: usize,
    loc: &'a [u8],
}

impl SeriesKey<'_> {
    /// The series' own random stream.
    fn rng(&self, seed: u64) -> ChaCha8Rng {
        stream(
            seed,
            (self.sku_idx as u64)
                .wrapping_mul(1000)
                .wrapping_add(self.loc_idx as u64),
        )
    }

    /// Location scale: DC1 carries the item's level, other sites less.
    fn scale<R: Rng>(&self, rng: &mut R) -> f64 {
        if self.loc_idx == 0 {
            1.0
        } else {
            rng.random_range(0.4..0.8)
        }
    }
}

/// A purchase order not yet received.
struct Pending {
    arrival: i64,
    qty: i64,
    received: i64,
}

fn row_start(buf: &mut Vec<u8>, item: &Item, loc: &[u8]) {
    buf.extend_from_slice(&item.sku);
    buf.push(b',');
    buf.extend_from_slice(loc);
    buf.push(b',');
}

fn write_sales_row(
    buf: &mut Vec<u8>,
    cal: &Calendar,
    prefix: (&Item, &[u8]),
    day: i64,
    qty: i64,
    promo: &PromoWeek,
) {
    row_start(buf, prefix.0, prefix.1);
    push_date(buf, cal, day);
    buf.push(b',');
    push_int(buf, qty);
    buf.push(b',');
    push_cents(buf, promo.price_cents);
    buf.extend_from_slice(if promo.promo { b",1\n" } else { b",0\n" });
}

fn round_order(q: i64, moq: i64, pack: i64) -> i64 {
    let q = q.max(moq).max(1);
    let pack = pack.max(1);
    (q + pack - 1) / pack * pack
}

/// A series' stock during the simulation.
#[derive(Default)]
struct Stock {
    on_hand: i64,
    on_order: i64,
    pending: Vec<Pending>,
    /// Open customer backorders: (week, units).
    backlog: VecDeque<(usize, i64)>,
    backlog_total: i64,
}

impl Stock {
    /// Receive the orders arriving by `cutoff`.
    fn receive(&mut self, cutoff: i64) {
        let mut i = 0;
        while i < self.pending.len() {
            if self.pending[i].arrival <= cutoff {
                let p = self.pending.swap_remove(i);
                self.on_hand += p.received;
                self.on_order -= p.qty;
            } else {
                i += 1;
            }
        }
    }

    /// Fill open customer backorders first (not written as sales).
    fn fill_backlog(&mut self) {
        while self.on_hand > 0 {
            let Some(front) = self.backlog.front_mut() else {
                break;
            };
            let fill = front.1.min(self.on_hand);
            front.1 -= fill;
            self.on_hand -= fill;
            self.backlog_total -= fill;
            if front.1 == 0 {
                self.backlog.pop_front();
            }
        }
    }

    /// Customers cancel backorders that waited `cancel_after` weeks by week `w`.
    fn cancel_backorders(&mut self, w: usize, cancel_after: usize) {
        while let Some(&(bw, q)) = self.backlog.front() {
            if w < bw + cancel_after {
                break;
            }
            self.backlog.pop_front();
            self.backlog_total -= q;
        }
    }
}

/// Week `w`'s demand of a series (`at`: its occurrence and location scale).
fn week_demand<R: Rng>(
    rng: &mut R,
    d: &Demand,
    w: usize,
    at: (f64, f64),
    pw: &PromoWeek,
    cal: &Calendar,
) -> i64 {
    let (occurrence, scale) = at;
    if w < d.start || w >= d.stop {
        0
    } else if d.sporadic() {
        if rng.random::<f64>() < occurrence {
            if d.pattern == Pattern::Intermittent {
                1 + (5.0 * rng.random::<f64>().powi(2)) as i64
            } else {
                ((log_uniform(rng, d.size_lo, d.size_hi) * scale).round() as i64).max(1)
            }
        } else {
            0
        }
    } else {
        sample_count(rng, d.mean(w, cal) * scale * pw.lift, d.dispersion)
    }
}

/// One shipment of a week.
struct Sale<'a> {
    day: i64,
    qty: i64,
    promo: &'a PromoWeek,
}

/// Write a shipment's sales row and, now and then, a return on another day
/// of its week (`week`: Monday, the shipment's offset, the last offset);
/// returns the units returned.
fn ship_with_return<R: Rng>(
    rng: &mut R,
    bufs: &mut Buffers,
    cal: &Calendar,
    prefix: (&Item, &[u8]),
    week: (i64, i64, i64),
    sale: Sale<'_>,
    summary: &mut SampleSummary,
) -> i64 {
    let (monday, off, max_off) = week;
    let Sale { day, qty, promo } = sale;
    let ret = if max_off >= 1 && rng.random::<f64>() < RETURN_P {
        let mut other = rng.random_range(0..max_off);
        if other >= off {
            other += 1;
        }
        Some((monday + other, rng.random_range(1..=qty.min(3))))
    } else {
        None
    };
    match ret {
        Some((rday, rq)) if rday < day => {
            write_sales_row(&mut bufs.sales, cal, prefix, rday, -rq, promo);
            write_sales_row(&mut bufs.sales, cal, prefix, day, qty, promo);
        }
        Some((rday, rq)) => {
            write_sales_row(&mut bufs.sales, cal, prefix, day, qty, promo);
            write_sales_row(&mut bufs.sales, cal, prefix, rday, -rq, promo);
        }
        None => write_sales_row(&mut bufs.sales, cal, prefix, day, qty, promo),
    }
    summary.sales_rows += 1;
    match ret {
        Some((_, rq)) => {
            summary.sales_rows += 1;
            rq
        }
        None => 0,
    }
}

fn write_backorder_row(
    buf: &mut Vec<u8>,
    cal: &Calendar,
    prefix: (&Item, &[u8]),
    day: i64,
    qty: i64,
) {
    row_start(buf, prefix.0, prefix.1);
    push_date(buf, cal, day);
    buf.push(b',');
    push_int(buf, qty);
    buf.push(b'\n');
}

/// One purchase-order line as placed and as it went.
struct PoLine {
    qty: i64,
    order_day: i64,
    due: i64,
    arrival: i64,
    received: i64,
}

/// Write a purchase-order line (received when it arrived by the end of
/// history, else open).
fn write_po_row(
    bufs: &mut Buffers,
    next_po: &mut u64,
    prefix: (&Item, &[u8]),
    cal: &Calendar,
    line: &PoLine,
    summary: &mut SampleSummary,
) {
    let (item, loc) = prefix;
    let PoLine {
        qty,
        order_day,
        due,
        arrival,
        received,
    } = *line;
    let last_day = cal.last_day;
    let buf = &mut bufs.purchase_orders;
    buf.extend_from_slice(b"PO-");
    push_padded(buf, *next_po, 7);
    *next_po += 1;
    buf.push(b',');
    push_supplier(buf, item.supplier);
    buf.push(b',');
    row_start(buf, item, loc);
    push_int(buf, qty);
    buf.push(b',');
    push_date(buf, cal, order_day);
    buf.push(b',');
    push_date(buf, cal, due);
    buf.push(b',');
    if arrival <= last_day {
        push_date(buf, cal, arrival);
        buf.push(b',');
        push_int(buf, received);
    } else {
        buf.push(b',');
        summary.open_purchase_orders += 1;
    }
    buf.push(b'\n');
    summary.purchase_order_rows += 1;
}

/// A series' deliberately imperfect planning: its reorder-point rule, its
/// learning rate, its customers' patience and its supplier's troubles.
struct Policy {
    /// Lead time + review, weeks.
    protection: f64,
    rop_factor: f64,
    safety_z: f64,
    /// Weeks of demand one order covers.
    q_weeks: f64,
    /// EWMA weight of the planner's demand estimate.
    alpha: f64,
    review_offset: usize,
    /// Weeks customers wait before cancelling a backorder.
    cancel_after: usize,
    /// Supplier disruption: every delivery due from `crisis_day` on slips
    /// past the end.
    crisis: bool,
    crisis_day: i64,
    /// Weeks the item is ordered in.
    order_from: usize,
    order_until: usize,
}

impl Policy {
    /// Draw a series' planning (the draws in the generator's fixed order).
    fn draw<R: Rng>(rng: &mut R, item: &Item, n: usize) -> Policy {
        let d = &item.demand;
        let lt_weeks = f64::from(item.lead_time) / 7.0;
        // Most series are planned sensibly, some sloppily (thin reorder points).
        let (rop_factor, safety_z) = if rng.random::<f64>() < WELL_RUN_P {
            (rng.random_range(1.1..1.5), rng.random_range(1.5..2.5))
        } else {
            (rng.random_range(0.5..1.1), rng.random_range(0.0..1.0))
        };
        let q_weeks = rng.random_range(2.0..8.0);
        let alpha = rng.random_range(0.08..0.3);
        let review_offset = rng.random_range(0..item.review_weeks);
        let cancel_after = rng.random_range(3..=5usize);
        let crisis = rng.random::<f64>() < CRISIS_P;
        let crisis_day = week_monday(n.saturating_sub(rng.random_range(6..=16usize)));
        let order_from = if d.pattern == Pattern::New {
            d.start.saturating_sub(lt_weeks.ceil() as usize + 1)
        } else {
            0
        };
        let order_until = if d.pattern == Pattern::Discontinued {
            d.stop.saturating_sub(rng.random_range(0..=6usize))
        } else {
            n
        };
        Policy {
            protection: lt_weeks + item.review_weeks as f64,
            rop_factor,
            safety_z,
            q_weeks,
            alpha,
            review_offset,
            cancel_after,
            crisis,
            crisis_day,
            order_from,
            order_until,
        }
    }

    /// The reorder point for the planner's demand estimate.
    fn reorder_point(&self, rate: f64, var: f64) -> f64 {
        self.rop_factor * (rate * self.protection + self.safety_z * (var * self.protection).sqrt())
    }

    /// One order's quantity, rounded to MOQ and pack.
    fn order_qty(&self, rate: f64, item: &Item) -> i64 {
        round_order((self.q_weeks * rate).ceil() as i64, item.moq, item.pack)
    }

    /// The order placed at a review below the reorder point (`at`: the
    /// position and the planner's rate and variance; `week`: Monday and the
    /// last day offset), with its real lead time and delivery.
    fn order<R: Rng>(
        &self,
        rng: &mut R,
        from: (&Item, &Supplier),
        at: (i64, f64, f64),
        week: (i64, i64),
        last_day: i64,
    ) -> PoLine {
        let (item, sup) = from;
        let (position, rate, var) = at;
        let (monday, max_off) = week;
        let rop = self.reorder_point(rate, var);
        let q = self.order_qty(rate, item);
        let lots = ((rop - position as f64) / q as f64).floor() as i64 + 1;
        let qty = q * lots.max(1);
        let order_day = monday + rng.random_range(0..=max_off.min(4));
        let due = order_day + i64::from(item.lead_time);
        let z: f64 = rng.sample(StandardNormal);
        let mut lt = (f64::from(item.lead_time) + z * item.lead_time_sd).round() as i64;
        if rng.random::<f64>() < sup.late_p {
            lt += rng.random_range(14..=28);
        }
        let mut arrival = order_day + lt.max(1);
        if self.crisis && arrival >= self.crisis_day {
            arrival = arrival.max(last_day + rng.random_range(1..=21));
        }
        let received = if rng.random::<f64>() < SHORT_DELIVERY_P {
            ((qty as f64 * rng.random_range(0.80..0.95)).floor() as i64).max(1)
        } else {
            qty
        };
        PoLine {
            qty,
            order_day,
            due,
            arrival,
            received,
        }
    }
}

/// The planner's first estimate of a series' weekly demand and its
/// variance: the true rate off by a random factor (more for a new item).
fn first_estimate<R: Rng>(rng: &mut R, d: &Demand, scale: f64, cal: &Calendar) -> (f64, f64) {
    let true_rate = if d.sporadic() {
        d.occurrence_at(scale) * d.mean_size(scale)
    } else if d.pattern == Pattern::New {
        d.level * scale
    } else {
        d.mean(d.start, cal) * scale
    };
    let guess = if d.pattern == Pattern::New {
        rng.random_range(0.5..1.5)
    } else {
        rng.random_range(0.8..1.2)
    };
    let rate = (true_rate * guess).max(0.01);
    let var = if d.sporadic() {
        rate * d.mean_size(scale).max(1.0)
    } else {
        rate * (1.0 + rate / 5.0)
    };
    (rate, var)
}

fn simulate_series(
    ctx: &Ctx,
    item: &Item,
    key: SeriesKey,
    bufs: &mut Buffers,
    (next_po, next_order): (&mut u64, &mut u64),
    summary: &mut SampleSummary,
) {
    let cal = ctx.cal;
    let n = cal.weeks;
    let last_day = cal.last_day;
    let d = &item.demand;
    let sup = &ctx.suppliers[item.supplier];
    let loc = key.loc;
    let mut rng = key.rng(ctx.seed);
    let scale = key.scale(&mut rng);

    let policy = Policy::draw(&mut rng, item, n);

    // The planner's view of demand: EWMA of mean and variance.
    let occurrence = d.occurrence_at(scale);
    let (mut rate, mut var) = first_estimate(&mut rng, d, scale, cal);
    let on_hand: i64 = if d.pattern == Pattern::New {
        0
    } else {
        (policy.reorder_point(rate, var)
            + rng.random::<f64>() * policy.order_qty(rate, item) as f64)
            .round() as i64
    };
    let mut stock = Stock {
        on_hand,
        ..Stock::default()
    };

    for w in 0..n {
        let monday = week_monday(w);
        let max_off = (last_day - monday).min(5);
        let cutoff = (monday + 6).min(last_day);

        stock.receive(cutoff);
        stock.fill_backlog();
        stock.cancel_backorders(w, policy.cancel_after);

        let pw = &item.promo[w];
        let demand = week_demand(&mut rng, d, w, (occurrence, scale), pw, cal);

        let off = rng.random_range(0..=max_off);
        let day = monday + off;
        let ship = demand.min(stock.on_hand.max(0));
        stock.on_hand -= ship;
        let short = demand - ship;
        if ship > 0 {
            let week = (monday, off, max_off);
            let sale = Sale {
                day,
                qty: ship,
                promo: pw,
            };
            stock.on_hand +=
                ship_with_return(&mut rng, bufs, cal, (item, loc), week, sale, summary);
        }
        if short > 0 {
            stock.backlog.push_back((w, short));
            stock.backlog_total += short;
            write_backorder_row(&mut bufs.backorders, cal, (item, loc), day, short);
            summary.backorder_rows += 1;
        }

        // The planner learns from orders received (shipped + backordered).
        if w >= d.start && w < d.stop {
            let err = demand as f64 - rate;
            rate = (rate + policy.alpha * err).max(0.01);
            var = 0.9 * var + 0.1 * err * err;
        }

        // Reorder-point review.
        let due = w >= policy.order_from
            && w < policy.order_until
            && (w + policy.review_offset).is_multiple_of(item.review_weeks);
        let position = stock.on_hand + stock.on_order - stock.backlog_total;
        if due && (position as f64) <= policy.reorder_point(rate, var) {
            let week = (monday, max_off);
            let line = policy.order(&mut rng, (item, sup), (position, rate, var), week, last_day);
            write_po_row(bufs, next_po, (item, loc), cal, &line, summary);
            stock.on_order += line.qty;
            stock.pending.push(Pending {
                arrival: line.arrival,
                qty: line.qty,
                received: line.received,
            });
        }
    }

    write_open_orders(ctx, (item, &key), &stock, bufs, next_order, summary);
    // End-of-history snapshot.
    let on_hand = stock.on_hand.max(0);
    let allocated = if on_hand > 0 && rng.random::<f64>() < 0.1 {
        rng.random_range(1..=on_hand.min(5))
    } else {
        0
    };
    let buf = &mut bufs.inventory;
    row_start(buf, item, loc);
    for (k, v) in [on_hand, stock.on_order, stock.backlog_total, allocated]
        .into_iter()
        .enumerate()
    {
        if k > 0 {
            buf.push(b',');
        }
        push_int(buf, v);
    }
    buf.push(b'\n');
}

/// Customers of the sample's order lines (`CUST-001` ..).
const CUSTOMERS: u64 = 40;

/// The backlog left at the end of history as open customer order lines:
/// each week's backorders one or two lines (of different customers),
/// dated in that week, some with a requested date and a priority. Drawn
/// from a stream of their own, so the other files do not change with them.
fn write_open_orders(
    ctx: &Ctx,
    (item, key): (&Item, &SeriesKey),
    stock: &Stock,
    bufs: &mut Buffers,
    next_order: &mut u64,
    summary: &mut SampleSummary,
) {
    let mut rng = stream(
        ctx.seed ^ 0x0005_EED0_0DE5,
        (key.sku_idx as u64)
            .wrapping_mul(1000)
            .wrapping_add(key.loc_idx as u64),
    );
    for &(w, qty) in &stock.backlog {
        let monday = week_monday(w);
        let max_off = (ctx.cal.last_day - monday).clamp(0, 5);
        let parts = if qty >= 2 && rng.random::<f64>() < 0.4 {
            let first = rng.random_range(1..qty);
            vec![first, qty - first]
        } else {
            vec![qty]
        };
        for part in parts {
            let day = monday + rng.random_range(0..=max_off);
            let buf = &mut bufs.open_orders;
            buf.extend_from_slice(b"SO-");
            push_padded(buf, *next_order, 7);
            *next_order += 1;
            buf.extend_from_slice(b",1,CUST-");
            push_padded(buf, rng.random_range(1..=CUSTOMERS), 3);
            buf.push(b',');
            row_start(buf, item, key.loc);
            push_int(buf, part);
            buf.push(b',');
            push_date(buf, ctx.cal, day);
            buf.push(b',');
            if rng.random::<f64>() < 0.3 {
                push_date(buf, ctx.cal, day + 7);
            }
            buf.push(b',');
            let priority = match rng.random::<f64>() {
                x if x < 0.05 => 2,
                x if x < 0.25 => 1,
                _ => 0,
            };
            push_int(buf, priority);
            buf.push(b'\n');
            summary.open_order_rows += 1;
        }
    }
}

/// Order days of the suppliers (`SUP-01` ..): most take orders any day, a
/// few on one or two weekdays.
const ORDER_DAYS: [&str; SUPPLIERS] = [
    "Mon;Thu",
    "",
    "Tue",
    "",
    "",
    "Wed",
    "",
    "Mon;Wed;Fri",
    "",
    "Thu",
    "",
    "",
];

/// Terms of the suppliers besides order days: minimum order value,
/// container volume (m³) and weight (kg), most containers; "" for none.
const TERMS: [&str; SUPPLIERS] = [
    "500,,,",
    ",2.5,1200,",
    "",
    "",
    "",
    "5000,,,",
    "",
    ",12,6000,2",
    "",
    "10000,,,",
    "",
    "1000,,,",
];

/// `suppliers.csv`: every supplier with its order days and terms.
fn write_supplier_terms(out: &mut Sink) -> Result<(), SampleError> {
    let mut line = Vec::with_capacity(32);
    for (i, (days, terms)) in ORDER_DAYS.iter().zip(TERMS).enumerate() {
        line.clear();
        push_supplier(&mut line, i);
        line.push(b',');
        line.extend_from_slice(days.as_bytes());
        line.push(b',');
        line.extend_from_slice(if terms.is_empty() { ",,," } else { terms }.as_bytes());
        line.extend_from_slice(b",EUR\n");
        out.put(&line)?;
    }
    Ok(())
}

/// Explicit substitutes: within each category (by SKU), every fourth item
/// names the next one, every other such pair both ways.
fn write_substitutes(
    categories: &mut [(&'static str, usize)],
    sku_width: usize,
    out: &mut Sink,
    summary: &mut SampleSummary,
) -> Result<(), SampleError> {
    categories.sort_unstable();
    let mut line = Vec::with_capacity(64);
    for pair in categories.windows(2) {
        let ((c0, a), (c1, b)) = (pair[0], pair[1]);
        if c0 != c1 || a % 4 != 0 {
            continue;
        }
        line.clear();
        push_sku(&mut line, a, sku_width);
        line.push(b',');
        push_sku(&mut line, b, sku_width);
        line.extend_from_slice(if a % 8 == 0 {
            b",,1,1,true\n"
        } else {
            b",,1,1,false\n"
        });
        out.put(&line)?;
        summary.substitute_rows += 1;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet, HashMap};

    const FILES: [&str; 9] = [
        "items.csv",
        "sales.csv",
        "backorders.csv",
        "inventory.csv",
        "purchase_orders.csv",
        "events.csv",
        "open_orders.csv",
        "substitutes.csv",
        "suppliers.csv",
    ];

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let p = std::env::temp_dir().join(format!(
                "replenish-sample-test-{}-{name}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&p);
            TempDir(p)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn small() -> SampleOptions {
        SampleOptions {
            skus: 20,
            locations: 2,
            years: 1,
            ..SampleOptions::default()
        }
    }

    fn read(dir: &Path, name: &str) -> String {
        std::fs::read_to_string(dir.join(name)).expect("read output file")
    }

    /// Data rows of a file, split into fields.
    fn rows(dir: &Path, name: &str) -> Vec<Vec<String>> {
        read(dir, name)
            .lines()
            .skip(1)
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect()
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("bad date {s}: {e}"))
    }

    #[test]
    fn open_order_lines_are_the_inventory_backorders() {
        let dir = TempDir::new("open-orders");
        let opts = SampleOptions {
            skus: 60,
            ..small()
        };
        let s = generate(&opts, &dir.0).expect("generate");
        let mut backordered: BTreeMap<(String, String), i64> = BTreeMap::new();
        for r in rows(&dir.0, "inventory.csv") {
            let units: i64 = r[4].parse().expect("backordered");
            if units > 0 {
                backordered.insert((r[0].clone(), r[1].clone()), units);
            }
        }
        let mut lines: BTreeMap<(String, String), i64> = BTreeMap::new();
        let mut ids = BTreeSet::new();
        for r in rows(&dir.0, "open_orders.csv") {
            *lines.entry((r[3].clone(), r[4].clone())).or_default() +=
                r[5].parse::<i64>().expect("qty");
            assert!(date(&r[6]) <= opts.end_date, "{r:?}");
            assert!(ids.insert(r[0].clone()), "order ids are unique");
        }
        assert!(!lines.is_empty());
        assert_eq!(lines, backordered);
        assert_eq!(s.open_order_rows, ids.len());
        // Substitutes name two SKUs of the item master, never one twice.
        let items: BTreeSet<String> = rows(&dir.0, "items.csv")
            .into_iter()
            .map(|r| r[0].clone())
            .collect();
        for r in rows(&dir.0, "substitutes.csv") {
            assert!(
                items.contains(&r[0]) && items.contains(&r[1]) && r[0] != r[1],
                "{r:?}"
            );
        }
    }

    fn first_monday(opts: &SampleOptions) -> NaiveDate {
        let end = opts.end_date;
        end - Days::new(u64::from(end.weekday().num_days_from_monday()))
            - Days::new(7 * (opts.years as u64 * 52 - 1))
    }

    fn gen_into(opts: &SampleOptions, name: &str) -> (TempDir, SampleSummary) {
        let dir = TempDir::new(name);
        let summary = generate(opts, &dir.0).expect("generate");
        (dir, summary)
    }

    #[test]
    fn deterministic_and_seed_dependent() {
        let opts = small();
        let (a, _) = gen_into(&opts, "det-a");
        let (b, _) = gen_into(&opts, "det-b");
        for f in FILES {
            assert_eq!(read(&a.0, f), read(&b.0, f), "{f} differs between runs");
        }
        let other = SampleOptions { seed: 7, ..opts };
        let (c, _) = gen_into(&other, "det-c");
        for f in ["items.csv", "sales.csv", "purchase_orders.csv"] {
            assert_ne!(read(&a.0, f), read(&c.0, f), "{f} ignores the seed");
        }
    }

    #[test]
    fn series_do_not_depend_on_sku_count() {
        let few = SampleOptions { skus: 5, ..small() };
        let (a, _) = gen_into(&few, "indep-a");
        let (b, _) = gen_into(&small(), "indep-b");
        for f in [
            "items.csv",
            "sales.csv",
            "backorders.csv",
            "inventory.csv",
            "purchase_orders.csv",
        ] {
            let few_text = read(&a.0, f);
            let many_text = read(&b.0, f);
            assert!(many_text.starts_with(&few_text), "{f}: first SKUs changed");
        }
    }

    #[test]
    fn headers_exact() {
        let (dir, _) = gen_into(&small(), "headers");
        let expect = [
            ("items.csv", ITEMS_HEADER),
            ("sales.csv", "sku,location,date,qty,price,promo"),
            ("backorders.csv", "sku,location,date,qty"),
            (
                "inventory.csv",
                "sku,location,on_hand,on_order,backordered,allocated",
            ),
            (
                "purchase_orders.csv",
                "po_id,supplier,sku,location,qty,order_date,due_date,received_date,received_qty",
            ),
            ("events.csv", "date,name,sku,location"),
            (
                "open_orders.csv",
                "order_id,line,customer,sku,location,qty,order_date,requested_date,priority",
            ),
            (
                "substitutes.csv",
                "sku,substitute,location,priority,ratio,two_way",
            ),
            (
                "suppliers.csv",
                "supplier,order_days,min_order_value,container_volume,container_weight,max_containers,currency",
            ),
        ];
        assert_eq!(
            ITEMS_HEADER,
            "sku,description,supplier,unit_cost,lead_time_days,lead_time_sd_days,moq,pack_size,service_level,review_period_days,min_qty,max_qty,category,unit_volume,unit_weight"
        );
        for (f, h) in expect {
            let text = read(&dir.0, f);
            assert_eq!(text.lines().next(), Some(h), "{f}");
            assert!(text.ends_with('\n') && !text.contains('\r') && !text.contains('"'));
            let cols = h.split(',').count();
            for line in text.lines() {
                assert_eq!(line.split(',').count(), cols, "{f}: {line}");
            }
        }
    }

    #[test]
    fn summary_matches_files() {
        let (dir, s) = gen_into(&small(), "summary");
        assert_eq!(s.items, 20);
        assert_eq!(s.series, 40);
        assert_eq!(s.inventory_rows, 40);
        assert_eq!(rows(&dir.0, "items.csv").len(), s.items);
        assert_eq!(rows(&dir.0, "inventory.csv").len(), s.inventory_rows);
        assert_eq!(rows(&dir.0, "sales.csv").len(), s.sales_rows);
        assert_eq!(rows(&dir.0, "backorders.csv").len(), s.backorder_rows);
        assert_eq!(rows(&dir.0, "events.csv").len(), s.event_rows);
        let po = rows(&dir.0, "purchase_orders.csv");
        assert_eq!(po.len(), s.purchase_order_rows);
        assert_eq!(
            po.iter().filter(|r| r[7].is_empty()).count(),
            s.open_purchase_orders
        );
    }

    #[test]
    fn sales_quantities_and_dates() {
        let opts = small();
        let (dir, _) = gen_into(&opts, "sales");
        let first = first_monday(&opts);
        let sales = rows(&dir.0, "sales.csv");
        assert!(!sales.is_empty());
        let mut positive_weeks: HashMap<(String, String, i64), usize> = HashMap::new();
        let mut returns = Vec::new();
        for r in &sales {
            let qty: i64 = r[3].parse().expect("integer qty");
            assert_ne!(qty, 0);
            let d = date(&r[2]);
            assert!(
                d >= first && d <= opts.end_date,
                "sales date {d} out of range"
            );
            assert_ne!(d.weekday(), Weekday::Sun);
            let price: f64 = r[4].parse().expect("price");
            assert!(price > 0.0);
            assert_eq!(r[4].split('.').nth(1).map(str::len), Some(2));
            assert!(r[5] == "0" || r[5] == "1");
            let week = (d - first).num_days() / 7;
            let key = (r[0].clone(), r[1].clone(), week);
            if qty > 0 {
                *positive_weeks.entry(key).or_default() += 1;
            } else {
                returns.push(key);
            }
        }
        assert!(positive_weeks.values().all(|&c| c == 1), "one row per week");
        assert!(returns.len() * 100 < sales.len(), "too many returns");
        for k in returns {
            assert!(positive_weeks.contains_key(&k), "return without sale {k:?}");
        }
        for r in rows(&dir.0, "backorders.csv") {
            let q: i64 = r[3].parse().expect("integer backorder qty");
            assert!(q > 0);
            let d = date(&r[2]);
            assert!(d >= first && d <= opts.end_date);
        }
    }

    #[test]
    fn non_sunday_end_date_is_respected() {
        let opts = SampleOptions {
            end_date: NaiveDate::from_ymd_opt(2025, 3, 4).expect("date"),
            ..small()
        };
        let (dir, _) = gen_into(&opts, "tuesday");
        for f in ["sales.csv", "backorders.csv"] {
            for r in rows(&dir.0, f) {
                assert!(date(&r[2]) <= opts.end_date);
            }
        }
        for r in rows(&dir.0, "purchase_orders.csv") {
            assert!(date(&r[5]) <= opts.end_date);
            if !r[7].is_empty() {
                assert!(date(&r[7]) <= opts.end_date);
            }
        }
    }

    #[test]
    fn files_are_sorted() {
        let (dir, _) = gen_into(&small(), "sorted");
        let keyed = |f: &str, cols: &[usize]| -> Vec<Vec<String>> {
            rows(&dir.0, f)
                .into_iter()
                .map(|r| cols.iter().map(|&c| r[c].clone()).collect())
                .collect()
        };
        for (f, cols) in [
            ("items.csv", vec![0]),
            ("sales.csv", vec![0, 1, 2]),
            ("backorders.csv", vec![0, 1, 2]),
            ("inventory.csv", vec![0, 1]),
            ("purchase_orders.csv", vec![2, 3, 5]),
            ("events.csv", vec![0, 1, 2]),
        ] {
            let k = keyed(f, &cols);
            assert!(k.windows(2).all(|p| p[0] <= p[1]), "{f} not sorted");
        }
        let po_ids = keyed("purchase_orders.csv", &[0]);
        assert!(
            po_ids.windows(2).all(|p| p[0] < p[1]),
            "po ids not increasing"
        );
    }

    #[test]
    fn purchase_orders_match_inventory() {
        let opts = small();
        let (dir, _) = gen_into(&opts, "po");
        let first = first_monday(&opts);
        let lead: HashMap<String, i64> = rows(&dir.0, "items.csv")
            .into_iter()
            .map(|r| (r[0].clone(), r[4].parse().expect("lead time")))
            .collect();
        let mut open: BTreeMap<(String, String), i64> = BTreeMap::new();
        let mut open_count = 0;
        for r in rows(&dir.0, "purchase_orders.csv") {
            assert!(r[0].starts_with("PO-") && r[0].len() == 10);
            assert!(r[1].starts_with("SUP-"));
            let qty: i64 = r[4].parse().expect("qty");
            assert!(qty > 0);
            let ordered = date(&r[5]);
            assert!(ordered >= first && ordered <= opts.end_date);
            assert_eq!((date(&r[6]) - ordered).num_days(), lead[&r[2]]);
            if r[7].is_empty() {
                assert!(r[8].is_empty());
                *open.entry((r[2].clone(), r[3].clone())).or_default() += qty;
                open_count += 1;
            } else {
                let received = date(&r[7]);
                assert!(received > ordered, "received before order");
                assert!(received <= opts.end_date);
                let rq: i64 = r[8].parse().expect("received qty");
                assert!(rq > 0 && rq <= qty && rq * 100 >= qty * 79);
            }
        }
        assert!(open_count > 0, "no open purchase orders");
        let inv = rows(&dir.0, "inventory.csv");
        assert_eq!(inv.len(), 40);
        for r in &inv {
            let key = (r[0].clone(), r[1].clone());
            let on_order: i64 = r[3].parse().expect("on_order");
            assert_eq!(on_order, open.get(&key).copied().unwrap_or(0), "{key:?}");
            let on_hand: i64 = r[2].parse().expect("on_hand");
            let allocated: i64 = r[5].parse().expect("allocated");
            assert!(on_hand >= 0 && allocated >= 0 && allocated <= on_hand);
            assert!(r[4].parse::<i64>().expect("backordered") >= 0);
        }
    }

    #[test]
    fn backorders_exist() {
        let (dir, s) = gen_into(&small(), "backorders");
        assert!(s.backorder_rows > 0);
        let series: BTreeSet<(String, String)> = rows(&dir.0, "backorders.csv")
            .into_iter()
            .map(|r| (r[0].clone(), r[1].clone()))
            .collect();
        assert!(series.len() >= 2, "stock-outs in too few series");
    }

    #[test]
    fn items_and_events_are_plausible() {
        let opts = small();
        let (dir, _) = gen_into(&opts, "items");
        let items = rows(&dir.0, "items.csv");
        assert_eq!(items[0][0], "SKU-00001");
        assert_eq!(items[19][0], "SKU-00020");
        for r in &items {
            let cost: f64 = r[3].parse().expect("cost");
            assert!((0.5..=400.0).contains(&cost));
            let lt: u32 = r[4].parse().expect("lead time");
            assert!((7..=70).contains(&lt));
            if !r[5].is_empty() {
                let sd: f64 = r[5].parse().expect("sd");
                assert!((0.0..=10.0).contains(&sd));
            }
            r[6].parse::<u32>().expect("moq");
            assert!(r[7].parse::<u32>().expect("pack") >= 1);
            assert!(["", "0.99", "0.9"].contains(&r[8].as_str()));
            assert!(["", "14"].contains(&r[9].as_str()));
        }
        let first = first_monday(&opts);
        let events = rows(&dir.0, "events.csv");
        let mut names = BTreeSet::new();
        for r in &events {
            let d = date(&r[0]);
            assert!(d >= first && d <= opts.end_date + Days::new(365));
            names.insert(r[1].clone());
            if r[1] == "promo" {
                assert!(d <= opts.end_date && !r[2].is_empty());
            } else {
                assert!(r[2].is_empty());
            }
            assert!(r[3].is_empty());
        }
        for n in ["Christmas", "Black Friday", "Easter", "New Year"] {
            assert!(names.contains(n), "missing holiday {n}");
        }
        // Each promo event week has promo=1 sales rows only, with lower prices.
        let promo_weeks: BTreeSet<(String, i64)> = events
            .iter()
            .filter(|r| r[1] == "promo")
            .map(|r| (r[2].clone(), (date(&r[0]) - first).num_days() / 7))
            .collect();
        for r in rows(&dir.0, "sales.csv") {
            let week = (date(&r[2]) - first).num_days() / 7;
            let in_promo = promo_weeks.contains(&(r[0].clone(), week));
            assert_eq!(in_promo, r[5] == "1", "{r:?}");
        }
    }

    #[test]
    fn invalid_options_rejected() {
        let dir = TempDir::new("invalid");
        let bad = [
            SampleOptions { skus: 0, ..small() },
            SampleOptions {
                locations: 0,
                ..small()
            },
            SampleOptions {
                locations: 100,
                ..small()
            },
            SampleOptions {
                years: 0,
                ..small()
            },
            SampleOptions {
                years: 21,
                ..small()
            },
        ];
        for opts in bad {
            let err = generate(&opts, &dir.0).expect_err("must reject");
            assert!(matches!(err, SampleError::Options(_)), "{err}");
        }
        assert!(!dir.0.exists(), "nothing may be written for bad options");
    }

    #[test]
    fn extreme_options_work() {
        let cases = [
            SampleOptions {
                skus: 1,
                locations: 1,
                years: 1,
                end_date: NaiveDate::from_ymd_opt(2024, 2, 26).expect("a Monday"),
                ..SampleOptions::default()
            },
            SampleOptions {
                skus: 2,
                locations: 99,
                years: 20,
                ..SampleOptions::default()
            },
        ];
        for (i, opts) in cases.into_iter().enumerate() {
            let (dir, s) = gen_into(&opts, &format!("extreme-{i}"));
            assert_eq!(s.series, opts.skus * opts.locations);
            let first = first_monday(&opts);
            for r in rows(&dir.0, "sales.csv") {
                let d = date(&r[2]);
                assert!(d >= first && d <= opts.end_date);
            }
            let inv = rows(&dir.0, "inventory.csv");
            assert_eq!(inv.len(), s.series);
            assert_eq!(
                inv.last().map(|r| r[1].as_str()),
                Some(if i == 0 { "DC1" } else { "DC99" })
            );
        }
    }

    #[test]
    fn unwritable_output_is_an_io_error() {
        let dir = TempDir::new("io");
        std::fs::create_dir_all(&dir.0).expect("mkdir");
        let file = dir.0.join("not-a-dir");
        std::fs::write(&file, b"x").expect("write");
        let err = generate(&small(), &file.join("out")).expect_err("must fail");
        assert!(matches!(err, SampleError::Io { .. }), "{err}");
    }

    #[test]
    fn default_options_fit_the_size_budget() {
        let (dir, s) = gen_into(&SampleOptions::default(), "default");
        let total: u64 = FILES
            .iter()
            .map(|f| std::fs::metadata(dir.0.join(f)).expect("metadata").len())
            .sum();
        assert!(total <= 3_200_000, "default sample is {total} bytes");
        assert_eq!(s.series, 400);
        assert!(s.open_purchase_orders > 0);
    }
}
