//! The backorder desk, for whoever answers customers: every open customer
//! order line (`open_orders.csv`) gets the date it can ship in full and what
//! brings it, from supply allocated in time order — free stock now, open
//! purchase-order lines by expected arrival, then the order recommended
//! today at its arrival — by one of three rules ([`AllocationRule`]). No unit
//! is allocated twice. Against the previous report, each line's date change;
//! for a line not ready now, substitutes whose free stock covers it; per
//! series, what a new order can still be promised and when (available to
//! promise).

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rayon::prelude::*;

use crate::availability::latest_report;
use crate::calendar::{date_after, day_number};
pub use crate::config::AllocationRule;
use crate::error::{Error, Result};
use crate::ingest::{Dataset, OrderLine, PurchaseOrder, Substitute};
use crate::plan::SeriesPlan;

/// Most substitutes offered for one line.
pub const MAX_SUBSTITUTES: usize = 3;
/// Most same-category items looked at (nearest in unit cost first) for one
/// line: keeps a large category from costing a scan per line.
pub const MAX_CATEGORY_SCAN: usize = 200;
/// Quantities closer than this are equal.
const EPS: f64 = 1e-9;

/// What brings a unit of supply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SupplySource {
    /// Free stock now (on hand − allocated).
    Stock,
    /// A purchase-order line past its due date, counted as arriving today.
    OverduePurchaseOrder,
    /// An open purchase-order line, at its due date.
    PurchaseOrder,
    /// The order recommended today, arriving after the lead time.
    RecommendedOrder,
}

impl SupplySource {
    /// Name for reports.
    pub fn name(self) -> &'static str {
        match self {
            SupplySource::Stock => "stock",
            SupplySource::OverduePurchaseOrder => "overdue_purchase_order",
            SupplySource::PurchaseOrder => "purchase_order",
            SupplySource::RecommendedOrder => "recommended_order",
        }
    }
}

/// One arrival of supply for a series.
#[derive(Debug, Clone, PartialEq)]
pub struct Supply {
    /// Days after the as-of date (0 = today).
    pub day: i64,
    /// Units.
    pub qty: f64,
    /// What brings it.
    pub source: SupplySource,
    /// The purchase order, for purchase-order lines that name one.
    pub po_id: Option<String>,
}

/// The supply of one series in time order: `free_stock` today, the open
/// purchase-order lines by due date (overdue ones today, after the stock),
/// and `recommended` (day, units) when an order is recommended.
pub fn supply_of(
    free_stock: f64,
    purchase_orders: &[PurchaseOrder],
    as_of_day: i32,
    recommended: Option<(i64, f64)>,
) -> Vec<Supply> {
    let mut supply = Vec::new();
    if free_stock > EPS {
        supply.push(Supply {
            day: 0,
            qty: free_stock,
            source: SupplySource::Stock,
            po_id: None,
        });
    }
    let mut lines: Vec<Supply> = purchase_orders
        .iter()
        .filter(|po| po.open_qty() > EPS)
        .map(|po| {
            let day = i64::from(po.due_day - as_of_day);
            Supply {
                day: day.max(0),
                qty: po.open_qty(),
                source: if day < 0 {
                    SupplySource::OverduePurchaseOrder
                } else {
                    SupplySource::PurchaseOrder
                },
                po_id: po.po_id.as_deref().map(str::to_string),
            }
        })
        .collect();
    // Stable: lines of one day and source keep their file order.
    lines.sort_by_key(|s| (s.day, s.source));
    supply.extend(lines);
    if let Some((day, qty)) = recommended.filter(|&(_, q)| q > EPS) {
        supply.push(Supply {
            day: day.max(0),
            qty,
            source: SupplySource::RecommendedOrder,
            po_id: None,
        });
    }
    supply
}

/// First in, first out: order date, then order id and line, then file line.
fn fifo(a: &OrderLine, b: &OrderLine) -> Ordering {
    (a.order_day, &a.order_id, a.line, a.file_line).cmp(&(
        b.order_day,
        &b.order_id,
        b.line,
        b.file_line,
    ))
}

/// The order in which `rule` serves lines (fair share splits each arrival
/// pro rata, its remainders first in, first out).
pub fn serve_order(a: &OrderLine, b: &OrderLine, rule: AllocationRule) -> Ordering {
    match rule {
        AllocationRule::Priority => b.priority.cmp(&a.priority).then_with(|| fifo(a, b)),
        AllocationRule::Fifo | AllocationRule::FairShare => fifo(a, b),
    }
}

/// What one line gets.
#[derive(Debug, Clone, PartialEq)]
pub struct LineAllocation {
    /// Units it can ship now from stock.
    pub ready_now: f64,
    /// Day (after as-of) on which it is covered in full, `None` when the
    /// planned supply does not cover it.
    pub ship_day: Option<i64>,
    /// The arrival that completes it.
    pub source: Option<SupplySource>,
    /// Its purchase order, when that arrival is a purchase-order line with one.
    pub po_id: Option<String>,
    /// Units allocated to it in all (at most its quantity).
    pub allocated: f64,
}

/// The allocation of one series' supply to its open lines.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesAllocation {
    /// Per line, in the order of the lines given.
    pub lines: Vec<LineAllocation>,
    /// Units of each arrival (in supply order) left after every line is served.
    pub unallocated: Vec<f64>,
}

/// Allocate `supply` (in time order) to `lines` by `rule`. With
/// `allow_partial` a line ships what it has now; without, it ships only
/// when covered in full (`ready_now` is then all or nothing). Units are
/// held for a line as they arrive either way, so no later line jumps ahead
/// of it, and no unit is given twice.
pub fn allocate(
    lines: &[OrderLine],
    supply: &[Supply],
    rule: AllocationRule,
    allow_partial: bool,
) -> SeriesAllocation {
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by(|&a, &b| serve_order(&lines[a], &lines[b], rule));
    let mut remaining: Vec<f64> = lines.iter().map(|l| l.qty).collect();
    let mut out: Vec<LineAllocation> = lines
        .iter()
        .map(|_| LineAllocation {
            ready_now: 0.0,
            ship_day: None,
            source: None,
            po_id: None,
            allocated: 0.0,
        })
        .collect();
    let mut unallocated = Vec::with_capacity(supply.len());
    for s in supply {
        let given = match rule {
            AllocationRule::FairShare => fair_shares(&order, &remaining, s.qty),
            AllocationRule::Fifo | AllocationRule::Priority => in_turn(&order, &remaining, s.qty),
        };
        let mut left = s.qty;
        for (i, take) in given {
            remaining[i] -= take;
            left -= take;
            let a = &mut out[i];
            a.allocated += take;
            if s.source == SupplySource::Stock {
                a.ready_now += take;
            }
            if remaining[i] <= EPS && a.ship_day.is_none() {
                remaining[i] = 0.0;
                a.ship_day = Some(s.day);
                a.source = Some(s.source);
                a.po_id = s.po_id.clone();
            }
        }
        unallocated.push(left.max(0.0));
    }
    if !allow_partial {
        for (a, l) in out.iter_mut().zip(lines) {
            if a.source != Some(SupplySource::Stock) {
                a.ready_now = 0.0;
            } else {
                a.ready_now = l.qty;
            }
        }
    }
    SeriesAllocation {
        lines: out,
        unallocated,
    }
}

/// `qty` given to the lines in turn (`order`), each taking what it still needs.
fn in_turn(order: &[usize], remaining: &[f64], qty: f64) -> Vec<(usize, f64)> {
    let mut left = qty;
    let mut given = Vec::new();
    for &i in order {
        if left <= EPS {
            break;
        }
        let take = remaining[i].min(left);
        if take > EPS {
            given.push((i, take));
            left -= take;
        }
    }
    given
}

/// `qty` split over the lines still waiting pro rata to what each needs,
/// rounded down to whole units, the units left over one at a time first in,
/// first out (`order`): every line within one unit of its exact share.
fn fair_shares(order: &[usize], remaining: &[f64], qty: f64) -> Vec<(usize, f64)> {
    let waiting: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| remaining[i] > EPS)
        .collect();
    let need: f64 = waiting.iter().map(|&i| remaining[i]).sum();
    if need <= qty + EPS {
        return waiting.iter().map(|&i| (i, remaining[i])).collect();
    }
    let mut share: Vec<f64> = waiting
        .iter()
        .map(|&i| (qty * remaining[i] / need).floor().min(remaining[i]))
        .collect();
    let mut left = qty - share.iter().sum::<f64>();
    while left > EPS {
        let before = left;
        for (k, &i) in waiting.iter().enumerate() {
            let extra = left.min(1.0).min(remaining[i] - share[k]);
            if extra > EPS {
                share[k] += extra;
                left -= extra;
            }
            if left <= EPS {
                break;
            }
        }
        if left >= before - EPS {
            break;
        }
    }
    waiting
        .into_iter()
        .zip(share)
        .filter(|&(_, s)| s > EPS)
        .collect()
}

/// Status of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LineStatus {
    /// Covered in full by stock now.
    Ready,
    /// Covered by planned supply, later.
    Waiting,
    /// Nothing planned covers it.
    NoSupplyPlanned,
}

impl LineStatus {
    /// Name for reports.
    pub fn name(self) -> &'static str {
        match self {
            LineStatus::Ready => "ready",
            LineStatus::Waiting => "waiting",
            LineStatus::NoSupplyPlanned => "no_supply_planned",
        }
    }

    fn parse(text: &str) -> Option<LineStatus> {
        [
            LineStatus::Ready,
            LineStatus::Waiting,
            LineStatus::NoSupplyPlanned,
        ]
        .into_iter()
        .find(|s| s.name() == text)
    }
}

/// Why a line is news for its customer this week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Update {
    /// Ready to ship now, and was not at the previous report.
    Ready,
    /// Its ship date moved later.
    Later,
    /// No supply is planned for it, newly so.
    NoSupplyPlanned,
    /// Its ship date moved earlier, or it has one now and had none.
    Earlier,
}

impl Update {
    /// Name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Update::Ready => "ready",
            Update::Later => "later",
            Update::NoSupplyPlanned => "no_supply_planned",
            Update::Earlier => "earlier",
        }
    }
}

/// A substitute offered for a line.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    /// Its SKU.
    pub sku: String,
    /// Its free stock at the line's location, after the lines before.
    pub free: f64,
    /// Units of it per unit ordered.
    pub ratio: f64,
}

/// One open order line with its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct DeskLine {
    /// Series id.
    pub id: usize,
    /// The line as read.
    pub line: OrderLine,
    /// What it gets.
    pub allocation: LineAllocation,
    /// Its status.
    pub status: LineStatus,
    /// The previous report's ship date for it, when there was one.
    pub previous_ship_date: Option<NaiveDate>,
    /// Days its ship date moved (later positive) since the previous report.
    pub delay_days: Option<i64>,
    /// Why the customer should hear from us, when they should.
    pub update: Option<Update>,
    /// Substitutes with the stock to cover it, best first.
    pub substitutes: Vec<Offer>,
}

/// One row of available to promise.
#[derive(Debug, Clone, PartialEq)]
pub struct Atp {
    /// Series id.
    pub id: usize,
    /// Days after as-of.
    pub day: i64,
    /// Units a new order can be promised by that day (cumulative).
    pub qty: f64,
    /// What arrives that day.
    pub source: SupplySource,
}

/// The backorder desk's answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Desk {
    /// Every open line, sorted by order id and line.
    pub lines: Vec<DeskLine>,
    /// Available to promise per series, by day.
    pub atp: Vec<Atp>,
    /// Folder of the previous report the changes were measured against.
    pub previous_report: Option<PathBuf>,
}

/// The previous report's lines: (order id, line) → (ship date, status).
pub type PreviousLines = HashMap<(String, u64), (Option<NaiveDate>, Option<LineStatus>)>;

/// Serve every series' open lines (none without `open_orders.csv`).
pub fn serve(
    data: &Dataset,
    plans: &[SeriesPlan],
    rule: AllocationRule,
    allow_partial: bool,
    previous: Option<(PathBuf, PreviousLines)>,
) -> Desk {
    let Some(open) = &data.open_orders else {
        return Desk::default();
    };
    let as_of_day = day_number(data.as_of);
    let per_series: Vec<SeriesDesk> = plans
        .par_iter()
        .map(|p| serve_series(data, p, &open[p.id], (as_of_day, rule, allow_partial)))
        .collect();
    let mut lines = Vec::new();
    let mut atp = Vec::new();
    let mut free_now = vec![0.0; plans.len()];
    for (p, s) in plans.iter().zip(per_series) {
        lines.extend(s.lines);
        atp.extend(s.atp);
        free_now[p.id] = s.free_now;
    }
    offer_substitutes(data, plans, &mut lines, &free_now, rule);
    let projection_end = |p: &SeriesPlan| p.policy_input.projection_days as i64;
    let ends: Vec<i64> = plans.iter().map(projection_end).collect();
    let previous_report = previous.map(|(dir, prev)| {
        for l in &mut lines {
            compare(l, &prev, data.as_of, ends[l.id]);
        }
        dir
    });
    if previous_report.is_none() {
        for l in &mut lines {
            l.update = first_news(l.status);
        }
    }
    lines.sort_by(|a, b| {
        (&a.line.order_id, a.line.line, a.line.file_line).cmp(&(
            &b.line.order_id,
            b.line.line,
            b.line.file_line,
        ))
    });
    Desk {
        lines,
        atp,
        previous_report,
    }
}

/// One series' part of the desk.
struct SeriesDesk {
    lines: Vec<DeskLine>,
    atp: Vec<Atp>,
    /// Stock now left after its own lines.
    free_now: f64,
}

/// Allocate series `p`'s supply to its open `lines` (as-of day, rule, and
/// whether lines ship in parts).
fn serve_series(
    data: &Dataset,
    p: &SeriesPlan,
    lines: &[OrderLine],
    (as_of_day, rule, allow_partial): (i32, AllocationRule, bool),
) -> SeriesDesk {
    let inv = data.inventory[p.id].unwrap_or_default();
    // The recommended order goes out on its order-by day (the supplier's
    // next order day) and arrives a lead time later.
    let order = (p.policy.order_qty > EPS).then(|| {
        let out = p.policy.order_by_days.unwrap_or(0).max(0);
        (
            out + p.lead_time_days.max(0.0).ceil() as i64,
            p.policy.order_qty,
        )
    });
    let supply = supply_of(
        (inv.on_hand - inv.allocated).max(0.0),
        &data.purchase_orders[p.id],
        as_of_day,
        order,
    );
    let alloc = allocate(lines, &supply, rule, allow_partial);
    let free_now = supply
        .iter()
        .zip(&alloc.unallocated)
        .filter(|(s, _)| s.source == SupplySource::Stock)
        .map(|(_, u)| u)
        .sum();
    let atp = atp_rows(p.id, &supply, &alloc.unallocated);
    let lines = lines
        .iter()
        .zip(alloc.lines)
        .map(|(line, a)| DeskLine {
            id: p.id,
            line: line.clone(),
            status: match a.source {
                Some(SupplySource::Stock) => LineStatus::Ready,
                Some(_) => LineStatus::Waiting,
                None => LineStatus::NoSupplyPlanned,
            },
            allocation: a,
            previous_ship_date: None,
            delay_days: None,
            update: None,
            substitutes: Vec::new(),
        })
        .collect();
    SeriesDesk {
        lines,
        atp,
        free_now,
    }
}

/// Available to promise of one series: a row today and one on each later
/// day the units left after every open line grow.
fn atp_rows(id: usize, supply: &[Supply], unallocated: &[f64]) -> Vec<Atp> {
    let mut rows: Vec<Atp> = vec![Atp {
        id,
        day: 0,
        qty: 0.0,
        source: SupplySource::Stock,
    }];
    let mut total = 0.0;
    for (s, &u) in supply.iter().zip(unallocated) {
        if u <= EPS {
            continue;
        }
        total += u;
        let last = rows.last_mut().expect("a row for today");
        if last.day == s.day {
            last.qty = total;
            last.source = s.source;
        } else {
            rows.push(Atp {
                id,
                day: s.day,
                qty: total,
                source: s.source,
            });
        }
    }
    rows
}

/// The news of a line no earlier report listed: ready, or no supply planned;
/// a first ship date is not news.
fn first_news(status: LineStatus) -> Option<Update> {
    match status {
        LineStatus::Ready => Some(Update::Ready),
        LineStatus::NoSupplyPlanned => Some(Update::NoSupplyPlanned),
        LineStatus::Waiting => None,
    }
}

/// The line against the previous report: date change and the news.
fn compare(l: &mut DeskLine, prev: &PreviousLines, as_of: NaiveDate, projection_end: i64) {
    let key = (l.line.order_id.clone(), l.line.line);
    let Some(&(before, before_status)) = prev.get(&key) else {
        l.update = first_news(l.status);
        return;
    };
    l.previous_ship_date = before;
    let now = l.allocation.ship_day.map(|d| date_after(as_of, d));
    // A line ready now is not late for the customer, whatever we said.
    l.delay_days = match (now, before) {
        _ if l.status == LineStatus::Ready => None,
        (Some(now), Some(before)) => Some((now - before).num_days()),
        // No date now: at least as late as the end of the projection.
        (None, Some(before)) => {
            Some((date_after(as_of, projection_end) - before).num_days()).filter(|&d| d > 0)
        }
        _ => None,
    };
    let was = |s: LineStatus| before_status == Some(s);
    l.update = if l.status == LineStatus::Ready && !was(LineStatus::Ready) {
        Some(Update::Ready)
    } else if l.delay_days.is_some_and(|d| d > 0) {
        Some(Update::Later)
    } else if l.status == LineStatus::NoSupplyPlanned && !was(LineStatus::NoSupplyPlanned) {
        Some(Update::NoSupplyPlanned)
    } else if l.delay_days.is_some_and(|d| d < 0)
        || (was(LineStatus::NoSupplyPlanned) && l.status == LineStatus::Waiting)
    {
        // Earlier, or a date at last for a line that had none.
        Some(Update::Earlier)
    } else {
        None
    };
}

/// Per (location, category): (unit cost, sku, series id) of the series with free stock.
type ByCategory<'a> = BTreeMap<(&'a str, &'a str), Vec<(f64, &'a str, usize)>>;

/// The explicit substitutes of one SKU at one location: (priority, sku, ratio).
type Explicit<'a> = Vec<(i64, &'a str, f64)>;

/// Up to [`MAX_SUBSTITUTES`] substitutes for every line not ready now, at its
/// location, whose free stock (after its own lines and the lines before
/// that took it as their first offer) covers what the line still needs
/// times the ratio: explicit ones by priority, then items of the same
/// category nearest in unit cost (of the [`MAX_CATEGORY_SCAN`] nearest with
/// stock).
fn offer_substitutes(
    data: &Dataset,
    plans: &[SeriesPlan],
    lines: &mut [DeskLine],
    free_now: &[f64],
    rule: AllocationRule,
) {
    let ids: HashMap<(&str, &str), usize> = data
        .keys
        .iter()
        .enumerate()
        .map(|(i, k)| ((k.sku.as_str(), k.location.as_str()), i))
        .collect();
    let costs: Vec<f64> = plans.iter().map(|p| p.unit_cost).collect();
    let category = |id: usize| data.items[id].as_ref().and_then(|i| i.category.as_deref());
    // Per (location, category): the series with free stock, by unit cost.
    let mut by_category: ByCategory = BTreeMap::new();
    for (id, key) in data.keys.iter().enumerate() {
        if let Some(c) = category(id)
            && free_now[id] > EPS
        {
            by_category
                .entry((key.location.as_str(), c))
                .or_default()
                .push((costs[id], key.sku.as_str(), id));
        }
    }
    for v in by_category.values_mut() {
        v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
    }
    let mut free = free_now.to_vec();
    let mut order: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].status != LineStatus::Ready)
        .collect();
    order.sort_by(|&a, &b| {
        serve_order(&lines[a].line, &lines[b].line, rule)
            .then_with(|| lines[a].id.cmp(&lines[b].id))
    });
    let by_sku = substitutes_by_sku(data);
    let mut explicit_cache: HashMap<usize, Explicit> = HashMap::new();
    for i in order {
        let id = lines[i].id;
        let key = &data.keys[id];
        let need = lines[i].line.qty - lines[i].allocation.ready_now;
        if need <= EPS {
            continue;
        }
        let explicit = explicit_cache
            .entry(id)
            .or_insert_with(|| explicit_candidates(&by_sku, &key.sku, &key.location));
        let mut offers: Vec<(usize, Offer)> = Vec::new();
        for &(_, sku, ratio) in explicit.iter() {
            if offers.len() == MAX_SUBSTITUTES {
                break;
            }
            if let Some(&sid) = ids.get(&(sku, key.location.as_str()))
                && free[sid] + EPS >= need * ratio
            {
                offers.push((sid, offer(sku, free[sid], ratio)));
            }
        }
        if let Some(c) = category(id)
            && let Some(same) = by_category.get(&(key.location.as_str(), c))
        {
            for (sid, sku) in nearest_in_cost(same, costs[id]).take(MAX_CATEGORY_SCAN) {
                if offers.len() == MAX_SUBSTITUTES {
                    break;
                }
                if sid != id
                    && free[sid] + EPS >= need
                    && !offers.iter().any(|(o, _)| *o == sid)
                    && !explicit.iter().any(|e| e.1 == sku)
                {
                    offers.push((sid, offer(sku, free[sid], 1.0)));
                }
            }
        }
        if let Some((sid, first)) = offers.first() {
            free[*sid] -= need * first.ratio;
        }
        lines[i].substitutes = offers.into_iter().map(|(_, o)| o).collect();
    }
}

fn offer(sku: &str, free: f64, ratio: f64) -> Offer {
    Offer {
        sku: sku.to_string(),
        free,
        ratio,
    }
}

/// The substitute rows that may offer something for a SKU: its own rows and
/// the two-way rows that name it as the substitute, by that SKU.
fn substitutes_by_sku(data: &Dataset) -> HashMap<&str, Vec<&Substitute>> {
    let mut by: HashMap<&str, Vec<&Substitute>> = HashMap::new();
    for s in &data.substitutes {
        by.entry(s.sku.as_str()).or_default().push(s);
        if s.two_way {
            by.entry(s.substitute.as_str()).or_default().push(s);
        }
    }
    by
}

/// The explicit substitutes of `sku` at `location` (`by_sku` from
/// [`substitutes_by_sku`]): its own rows, and the two-way rows that name it
/// as the substitute (ratio inverted), by priority then SKU.
fn explicit_candidates<'a>(
    by_sku: &HashMap<&str, Vec<&'a Substitute>>,
    sku: &str,
    location: &str,
) -> Explicit<'a> {
    let mut explicit: Vec<(i64, &str, f64)> = by_sku
        .get(sku)
        .into_iter()
        .flatten()
        .filter(|s| s.location.as_deref().is_none_or(|l| l == location))
        .filter_map(|s| {
            if s.sku == sku {
                Some((s.priority, s.substitute.as_str(), s.ratio))
            } else if s.two_way && s.substitute == sku {
                Some((s.priority, s.sku.as_str(), 1.0 / s.ratio))
            } else {
                None
            }
        })
        .collect();
    explicit.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    explicit.dedup_by(|a, b| a.1 == b.1);
    explicit
}

/// The series of `same` (sorted by cost) from the nearest in cost to `cost`
/// outwards; ties go to the cheaper one.
fn nearest_in_cost<'a>(
    same: &'a [(f64, &'a str, usize)],
    cost: f64,
) -> impl Iterator<Item = (usize, &'a str)> + 'a {
    let start = same.partition_point(|c| c.0 < cost);
    let (mut lo, mut hi) = (start, start);
    std::iter::from_fn(move || {
        let below = (lo > 0).then(|| &same[lo - 1]);
        let above = same.get(hi);
        let pick = match (below, above) {
            (Some(b), Some(a)) => {
                if cost - b.0 <= a.0 - cost {
                    lo -= 1;
                    b
                } else {
                    hi += 1;
                    a
                }
            }
            (Some(b), None) => {
                lo -= 1;
                b
            }
            (None, Some(a)) => {
                hi += 1;
                a
            }
            (None, None) => return None,
        };
        Some((pick.2, pick.1))
    })
}

/// The lines of the latest earlier report under `out` (its
/// `backorder_lines.csv`): `Ok(None)` when there is none; an error names
/// the file and line of an unreadable one.
pub fn read_previous(out: &Path, as_of: NaiveDate) -> Result<Option<(PathBuf, PreviousLines)>> {
    let Some(dir) = latest_report(out, as_of, "backorder_lines.csv") else {
        return Ok(None);
    };
    let file = dir.join("backorder_lines.csv");
    let bad = |e: String| Error::Internal(format!("previous report {}: {e}", file.display()));
    let mut reader = csv::Reader::from_path(&file).map_err(|e| bad(e.to_string()))?;
    let headers = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| bad(format!("no column {name}")))
    };
    let (order, line, date, status) = (
        col("order_id")?,
        col("line")?,
        col("ship_date")?,
        col("status")?,
    );
    let mut lines = PreviousLines::new();
    for record in reader.records() {
        let record = record.map_err(|e| bad(e.to_string()))?;
        let at = record.position().map(|p| p.line()).unwrap_or(0);
        let field = |i: usize| record.get(i).unwrap_or("");
        let number: u64 = field(line)
            .parse()
            .map_err(|_| bad(format!("line {at}: line {:?} is not a number", field(line))))?;
        let ship = match field(date) {
            "" => None,
            text => Some(
                NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map_err(|_| bad(format!("line {at}: ship_date {text:?} is not a date")))?,
            ),
        };
        // An order id written with the neutralising apostrophe reads back bare.
        let id = field(order);
        let id = match id.strip_prefix('\'') {
            Some(bare) if crate::schema::runs_in_a_spreadsheet(bare) => bare,
            _ => id,
        };
        let id = id.to_string();
        lines.insert((id, number), (ship, LineStatus::parse(field(status))));
    }
    Ok(Some((dir, lines)))
}

#[cfg(test)]
mod tests;
