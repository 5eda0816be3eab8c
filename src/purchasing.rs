//! A supplier's order as purchasing sends it: the order lines of one
//! supplier and location brought up to the supplier's minimum order value
//! (or deferred to its next order day), rounded to whole containers, and
//! all orders cut to the budget by marginal analysis. The rules work on
//! [`Line`]s, so the weekly run (`purchasing::plans`) and the replay
//! (`simulate`) apply the same ones.

pub mod plans;

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::config::BudgetCut;
use crate::inventory_theory::{count_shortage, normal_shortage};
use crate::policy::{LeadTimeDistribution, PolicyInput, PolicyOutput, Replenishment, round_order};

/// Mean lead-time demand below which expected shortages are summed over a
/// count distribution (above it the normal is as good and much cheaper).
const COUNT_MEAN_LIMIT: f64 = 200.0;

/// Expected backorders (units) below which deferring an order costs nothing.
const NEGLIGIBLE: f64 = 0.01;

/// Demand over a line's protection interval (lead time + half a review),
/// for its expected backorders.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Exposure {
    /// Mean demand (units).
    pub mean: f64,
    /// Its spread.
    pub sd: f64,
    /// Days of the protection interval.
    pub days: f64,
    /// Demand comes in counts (Poisson / negative binomial), not normal.
    pub count: bool,
}

impl Exposure {
    /// Expected units short, E[(X − position)⁺].
    pub fn short(&self, position: f64) -> f64 {
        if self.mean <= 0.0 {
            return 0.0;
        }
        if self.count && self.mean < COUNT_MEAN_LIMIT {
            let var = (self.sd * self.sd).max(self.mean);
            if let Some(s) = count_shortage(position, self.mean, var) {
                return s;
            }
        }
        normal_shortage(position, self.mean, self.sd)
    }

    /// The exposure of an order placed `days` later: mean and variance grow
    /// with the longer interval.
    pub fn delayed(&self, days: f64) -> Exposure {
        if self.days <= 0.0 || days <= 0.0 {
            return *self;
        }
        let f = (self.days + days) / self.days;
        Exposure {
            mean: self.mean * f,
            sd: self.sd * f.sqrt(),
            days: self.days + days,
            count: self.count,
        }
    }
}

/// One series in a supplier's order: what it orders now, and what it would
/// order if brought forward.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Line {
    /// Series id.
    pub id: usize,
    /// Units ordered now (0: none).
    pub qty: f64,
    /// Units the line orders when brought forward (up to its order-up-to
    /// level, rounded); 0 when it may not be (ordered already, nothing to
    /// order, or not to be replenished).
    pub forward_qty: f64,
    /// Cost of one unit.
    pub unit_cost: f64,
    /// Volume of one unit (0: unknown).
    pub unit_volume: f64,
    /// Weight of one unit (0: unknown).
    pub unit_weight: f64,
    /// Minimum order quantity.
    pub moq: f64,
    /// Order multiple (0: none).
    pub pack_size: f64,
    /// Inventory position before the order.
    pub position: f64,
    /// Demand per day now.
    pub rate: f64,
    /// Units of the line that cover open customer backorders: never trimmed
    /// below, and cut by the budget only after every other line.
    pub protected: f64,
    /// Demand over the protection interval.
    pub exposure: Exposure,
}

impl Line {
    /// The line of series `id` from its policy's input and decision; unit
    /// cost, volume and weight from the item master.
    pub fn of_policy(
        id: usize,
        input: &PolicyInput,
        out: &PolicyOutput,
        unit: (f64, f64, f64),
    ) -> Line {
        let (unit_cost, unit_volume, unit_weight) = unit;
        let rate = input.rate.at(0);
        let may_order = input.replenishment == Replenishment::Replenish && rate > 0.0;
        let forward_qty = if out.order_qty <= 0.0 && may_order {
            round_order(
                out.order_up_to - out.inventory_position,
                input.moq,
                input.pack_size,
            )
        } else {
            0.0
        };
        Line {
            id,
            qty: out.order_qty,
            forward_qty,
            unit_cost,
            unit_volume,
            unit_weight,
            moq: input.moq,
            pack_size: input.pack_size,
            position: out.inventory_position,
            rate,
            protected: out.uncovered_backorders,
            exposure: Exposure {
                mean: out.lead_time_demand,
                sd: out.lead_time_demand_sd,
                days: input.lead_time_days + input.review_period_days / 2.0,
                count: !matches!(
                    out.distribution,
                    LeadTimeDistribution::Normal | LeadTimeDistribution::Empirical
                ),
            },
        }
    }

    fn value(&self) -> f64 {
        self.qty * self.unit_cost
    }

    /// Days the position lasts after ordering `qty` (infinite without demand).
    fn cover(&self, qty: f64) -> f64 {
        if self.rate > 0.0 {
            (self.position + qty) / self.rate
        } else {
            f64::INFINITY
        }
    }

    /// Expected backorders with `qty` ordered.
    fn short(&self, qty: f64) -> f64 {
        self.exposure.short(self.position + qty)
    }

    /// The least the line may be cut to while its backorders are protected:
    /// what covers them, rounded to MOQ and pack.
    fn floor(&self) -> f64 {
        round_order(self.protected, self.moq, self.pack_size).min(self.qty)
    }

    /// `qty` less `units` or more, in whole packs; 0 when that leaves less
    /// than the MOQ; never below `floor`.
    fn less(&self, qty: f64, units: f64, floor: f64) -> f64 {
        let pack = if self.pack_size > 0.0 {
            self.pack_size
        } else {
            1.0
        };
        let cut = ((units / pack) - 1e-9).ceil().max(1.0) * pack;
        let left = qty - cut;
        let left = if left < self.moq - 1e-9 || left <= 1e-9 {
            0.0
        } else {
            left
        };
        left.max(floor).min(qty)
    }

    /// Up to `units` of the line's forward quantity in whole packs, or 0 when
    /// that is below the MOQ.
    fn forward_within(&self, units: f64) -> f64 {
        if units >= self.forward_qty {
            return self.forward_qty;
        }
        let pack = if self.pack_size > 0.0 {
            self.pack_size
        } else {
            1.0
        };
        let q = (units / pack + 1e-6).floor() * pack;
        if q < self.moq - 1e-9 { 0.0 } else { q }
    }
}

/// What a supplier's terms ask of its orders (`suppliers.csv`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Terms {
    /// Least value of one order.
    pub min_order_value: Option<f64>,
    /// Volume of one container.
    pub container_volume: Option<f64>,
    /// Weight one container carries.
    pub container_weight: Option<f64>,
    /// Most containers per order.
    pub max_containers: Option<f64>,
    /// Days from this order to the supplier's next order day.
    pub next_order_in_days: f64,
}

/// Why a line's quantity changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// Brought forward to reach the supplier's minimum order value.
    MinimumTopUp,
    /// Deferred to the next order day with the rest of an order below the minimum.
    MinimumDeferred,
    /// Brought forward to fill the last container.
    ContainerFillUp,
    /// Trimmed to leave whole containers.
    ContainerTrim,
    /// Trimmed to the supplier's most containers.
    ContainerCap,
    /// Cut to the budget.
    Budget,
}

impl Reason {
    /// Its spelling in the reports.
    pub fn name(self) -> &'static str {
        match self {
            Reason::MinimumTopUp => "minimum_top_up",
            Reason::MinimumDeferred => "below_minimum",
            Reason::ContainerFillUp => "container_fill_up",
            Reason::ContainerTrim => "container_trim",
            Reason::ContainerCap => "max_containers",
            Reason::Budget => "budget",
        }
    }
}

/// One change to one line.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Series id.
    pub id: usize,
    /// Units before.
    pub before: f64,
    /// Units after.
    pub after: f64,
    /// Why.
    pub reason: Reason,
    /// Expected backorder units the change adds (negative: saves).
    pub backorders: f64,
}

/// What was done about a supplier's minimum order value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinimumAction {
    /// The order was at or above it.
    Met,
    /// Lines were brought forward to reach it.
    ToppedUp,
    /// The order waits for the next order day.
    Deferred,
    /// Neither topped up nor deferred: the order covers open customer
    /// backorders and its items cannot reach the minimum.
    NotMet,
}

impl MinimumAction {
    /// Its spelling in the reports.
    pub fn name(self) -> &'static str {
        match self {
            MinimumAction::Met => "met",
            MinimumAction::ToppedUp => "topped_up",
            MinimumAction::Deferred => "deferred",
            MinimumAction::NotMet => "not_met",
        }
    }
}

/// What was done about a supplier's containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerAction {
    /// The order filled its containers as it was (or had no load).
    AsIs,
    /// Lines were brought forward to fill the last container.
    RoundedUp,
    /// Lines were trimmed to leave whole containers.
    RoundedDown,
    /// Lines were trimmed to the most containers.
    Capped,
}

impl ContainerAction {
    /// Its spelling in the reports.
    pub fn name(self) -> &'static str {
        match self {
            ContainerAction::AsIs => "as_is",
            ContainerAction::RoundedUp => "rounded_up",
            ContainerAction::RoundedDown => "rounded_down",
            ContainerAction::Capped => "capped",
        }
    }
}

/// The order of one supplier at one location, and what the rules did to it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SupplierOrder {
    /// The lines: ordered ones and the supplier's other items, which may be
    /// brought forward.
    pub lines: Vec<Line>,
    /// The supplier's terms.
    pub terms: Terms,
    /// Value of the order as planned.
    pub planned_value: f64,
    /// The minimum order value's outcome, when there is one.
    pub minimum: Option<MinimumAction>,
    /// Expected backorders of the ordered lines until their order arrives,
    /// if sent now (topped up) and if deferred, when the order was below
    /// the minimum.
    pub minimum_backorders: Option<(f64, f64)>,
    /// The containers' outcome, when the supplier has a container size.
    pub containers: Option<ContainerAction>,
    /// Why a constraint is not met, for the buyer.
    pub notes: Vec<String>,
}

impl SupplierOrder {
    /// Value of the lines ordered now.
    pub fn value(&self) -> f64 {
        self.lines.iter().map(Line::value).sum()
    }

    /// Lines ordered now.
    pub fn ordered(&self) -> usize {
        self.lines.iter().filter(|l| l.qty > 0.0).count()
    }

    /// Volume or weight (`unit`) of the lines ordered now.
    fn used(&self, unit: fn(&Line) -> f64) -> f64 {
        self.lines.iter().map(|l| l.qty * unit(l)).sum()
    }

    /// Containers the order fills, and whether weight (not volume) binds.
    pub fn load(&self) -> Option<(f64, bool)> {
        Used::of(self).load(&self.terms)
    }
}

/// Apply the supplier rules to every order, then the budget to all:
/// returns every change made.
pub fn apply(
    orders: &mut [SupplierOrder],
    fill_up: f64,
    budget: Option<f64>,
    cut: BudgetCut,
) -> Vec<Change> {
    let mut changes = Vec::new();
    for order in orders.iter_mut() {
        order.planned_value = order.value();
        meet_minimum(order, &mut changes);
        fill_containers(order, fill_up, &mut changes);
    }
    if let Some(budget) = budget {
        match cut {
            BudgetCut::Marginal => cut_marginal(orders, budget, &mut changes),
            BudgetCut::Proportional => cut_proportional(orders, budget, &mut changes),
        }
    }
    changes
}

/// Set line `i` of `order` to `qty`, recording the change.
fn set(order: &mut SupplierOrder, i: usize, qty: f64, reason: Reason, changes: &mut Vec<Change>) {
    let l = &mut order.lines[i];
    if (qty - l.qty).abs() < 1e-9 {
        return;
    }
    let backorders = l.short(qty) - l.short(l.qty);
    changes.push(Change {
        id: l.id,
        before: l.qty,
        after: qty,
        reason,
        backorders,
    });
    l.qty = qty;
}

/// The lines that may be brought forward, fewest days of cover first.
fn forward_candidates(order: &SupplierOrder) -> Vec<usize> {
    let mut c: Vec<usize> = (0..order.lines.len())
        .filter(|&i| order.lines[i].qty <= 0.0 && order.lines[i].forward_qty > 0.0)
        .collect();
    c.sort_by(|&a, &b| {
        let (la, lb) = (&order.lines[a], &order.lines[b]);
        la.cover(0.0)
            .total_cmp(&lb.cover(0.0))
            .then(la.id.cmp(&lb.id))
    });
    c
}

/// An order below the supplier's minimum value: topped up by bringing
/// lines forward when that is possible and deferring would cost expected
/// backorders; else deferred to the next order day (kept when it covers
/// open customer backorders and cannot be topped up).
fn meet_minimum(order: &mut SupplierOrder, changes: &mut Vec<Change>) {
    let Some(minimum) = order.terms.min_order_value else {
        return;
    };
    let value = order.value();
    if value <= 0.0 {
        return;
    }
    if value >= minimum - 1e-9 {
        order.minimum = Some(MinimumAction::Met);
        return;
    }
    let gap = order.terms.next_order_in_days;
    let ordered: Vec<usize> = (0..order.lines.len())
        .filter(|&i| order.lines[i].qty > 0.0)
        .collect();
    // Until the order arrives, only the position before it serves demand.
    let until_arrival = |l: &Line| l.exposure.short(l.position);
    let until_later = |l: &Line| l.exposure.delayed(gap).short(l.position);
    let now: f64 = ordered
        .iter()
        .map(|&i| until_arrival(&order.lines[i]))
        .sum();
    let deferred: f64 = ordered.iter().map(|&i| until_later(&order.lines[i])).sum();
    order.minimum_backorders = Some((now, deferred));
    let mut topped = order.clone();
    let mut top_changes = Vec::new();
    for i in forward_candidates(&topped) {
        if topped.value() >= minimum - 1e-9 {
            break;
        }
        let l = &topped.lines[i];
        let missing = (minimum - topped.value()) / l.unit_cost.max(1e-9);
        let q = l.forward_qty.min(round_order(missing, l.moq, l.pack_size));
        set(&mut topped, i, q, Reason::MinimumTopUp, &mut top_changes);
    }
    let can_top_up = topped.value() >= minimum - 1e-9;
    let covers_backorders = ordered.iter().any(|&i| order.lines[i].protected > 0.0);
    if can_top_up && deferred - now > NEGLIGIBLE {
        *order = topped;
        order.minimum = Some(MinimumAction::ToppedUp);
        changes.extend(top_changes);
    } else if !can_top_up && covers_backorders {
        order.minimum = Some(MinimumAction::NotMet);
        order.notes.push(format!(
            "below the minimum order value {minimum:.2}: its items bring only {:.2}, and the order covers open customer backorders",
            topped.value()
        ));
    } else {
        for i in ordered {
            set(order, i, 0.0, Reason::MinimumDeferred, changes);
            let l = &order.lines[i];
            if let Some(c) = changes.last_mut() {
                c.backorders = until_later(l) - until_arrival(l);
            }
        }
        order.minimum = Some(MinimumAction::Deferred);
        order.notes.push(if can_top_up {
            format!("below the minimum order value {minimum:.2}: deferring {gap:.0} days costs no expected backorder, so nothing is brought forward")
        } else {
            format!("below the minimum order value {minimum:.2}: its items bring only {:.2}", topped.value())
        });
    }
}

/// Round a supplier's order to whole containers: up by bringing lines
/// forward when the last container is at least `fill_up` full (or the
/// order is under one container), else down by trimming the lines with the
/// most cover; then down to the most containers. Lines covering open
/// customer backorders are not trimmed below them, and rounding down never
/// takes an order below the minimum value.
fn fill_containers(order: &mut SupplierOrder, fill_up: f64, changes: &mut Vec<Change>) {
    let Some((load, _)) = order.load() else {
        return;
    };
    if load <= 1e-9 {
        return;
    }
    let has_units = order
        .lines
        .iter()
        .any(|l| l.qty > 0.0 && (l.unit_volume > 0.0 || l.unit_weight > 0.0));
    if !has_units {
        order.containers = Some(ContainerAction::AsIs);
        order
            .notes
            .push("no unit volume or weight: containers not counted".into());
        return;
    }
    let whole = (load - 1e-6).floor();
    let last = load - whole;
    order.containers = Some(ContainerAction::AsIs);
    let mut target = load;
    if last > 1e-6 && last < 1.0 - 1e-6 {
        let below_minimum = |o: &SupplierOrder, target: f64| {
            let mut trimmed = o.clone();
            trim_to(&mut trimmed, target, Reason::ContainerTrim, &mut Vec::new());
            o.terms
                .min_order_value
                .is_some_and(|m| trimmed.value() < m - 1e-9)
        };
        if whole < 1.0 && last < fill_up {
            order.notes.push(format!(
                "less than one container ({:.0} % full): ships as a part load",
                100.0 * last
            ));
        } else if last >= fill_up || below_minimum(order, whole) {
            target = whole + 1.0;
            fill_to(order, target, changes);
            order.containers = Some(ContainerAction::RoundedUp);
        } else {
            target = whole;
            trim_to(order, target, Reason::ContainerTrim, changes);
            order.containers = Some(ContainerAction::RoundedDown);
        }
    }
    if let Some(most) = order.terms.max_containers
        && order.load().is_some_and(|(n, _)| n > most + 1e-6)
    {
        target = most;
        trim_to(order, target, Reason::ContainerCap, changes);
        order.containers = Some(ContainerAction::Capped);
    }
    note_containers(order, target);
}

/// Say why an order rounded to `target` containers does not fill them exactly.
fn note_containers(order: &mut SupplierOrder, target: f64) {
    let Some((n, _)) = order.load() else { return };
    let note = match order.containers {
        Some(ContainerAction::RoundedUp) if n < target - 0.005 => "no more lines to bring forward",
        Some(ContainerAction::RoundedDown | ContainerAction::Capped) if n > target + 1e-6 => {
            "lines covering open customer backorders are not trimmed"
        }
        _ => return,
    };
    order
        .notes
        .push(format!("{n:.2} containers against {target}: {note}"));
}

/// Volume and weight of the lines an order holds now, kept up to date as
/// lines change, so that rounding to containers reads the load of an order
/// of any size without summing its lines again.
#[derive(Debug, Clone, Copy)]
struct Used {
    volume: f64,
    weight: f64,
}

impl Used {
    fn of(order: &SupplierOrder) -> Used {
        Used {
            volume: order.used(|x| x.unit_volume),
            weight: order.used(|x| x.unit_weight),
        }
    }

    /// Set line `i` of `order` to `qty` (see [`set`]) and follow its load.
    fn set(
        &mut self,
        order: &mut SupplierOrder,
        (i, qty): (usize, f64),
        reason: Reason,
        changes: &mut Vec<Change>,
    ) {
        let before = order.lines[i].qty;
        set(order, i, qty, reason, changes);
        let l = &order.lines[i];
        self.volume += (l.qty - before) * l.unit_volume;
        self.weight += (l.qty - before) * l.unit_weight;
    }

    /// Containers filled and whether weight (not volume) binds; `None`
    /// when the supplier has no container size.
    fn load(&self, t: &Terms) -> Option<(f64, bool)> {
        if t.container_volume.is_none() && t.container_weight.is_none() {
            return None;
        }
        let by = |size: Option<f64>, used: f64| size.map_or(0.0, |c| used / c);
        let (v, w) = (
            by(t.container_volume, self.volume),
            by(t.container_weight, self.weight),
        );
        Some((v.max(w), w > v))
    }

    /// Containers filled (0 without a container size).
    fn containers(&self, t: &Terms) -> f64 {
        self.load(t).map_or(0.0, |(n, _)| n)
    }

    /// Units of `l` that still fit below `target` containers.
    fn room_for(&self, t: &Terms, l: &Line, target: f64) -> f64 {
        let mut fit = f64::INFINITY;
        for (size, unit, used) in [
            (t.container_volume, l.unit_volume, self.volume),
            (t.container_weight, l.unit_weight, self.weight),
        ] {
            if let Some(size) = size
                && unit > 0.0
            {
                fit = fit.min(((target * size - used) / unit).max(0.0));
            }
        }
        fit
    }

    /// Units of `l` to take off to come down to `target` containers.
    fn excess_in(&self, t: &Terms, l: &Line, target: f64) -> f64 {
        let over = |size: Option<f64>, unit: f64, used: f64| match size {
            Some(size) if unit > 0.0 => ((used - target * size) / unit).max(0.0),
            _ => 0.0,
        };
        over(t.container_volume, l.unit_volume, self.volume).max(over(
            t.container_weight,
            l.unit_weight,
            self.weight,
        ))
    }
}

/// Bring lines forward, fewest days of cover first, each as much of its
/// forward quantity as fits below `target` containers.
fn fill_to(order: &mut SupplierOrder, target: f64, changes: &mut Vec<Change>) {
    let mut used = Used::of(order);
    for i in forward_candidates(order) {
        let l = &order.lines[i];
        if l.unit_volume <= 0.0 && l.unit_weight <= 0.0 {
            continue;
        }
        let q = l.forward_within(used.room_for(&order.terms, l, target));
        if q > 0.0 {
            used.set(order, (i, q), Reason::ContainerFillUp, changes);
        }
        if used.containers(&order.terms) >= target - 1e-6 {
            break;
        }
    }
}

/// Trim lines, most days of cover after the order first, until the order
/// fills at most `target` containers; never below what covers open
/// customer backorders.
fn trim_to(order: &mut SupplierOrder, target: f64, reason: Reason, changes: &mut Vec<Change>) {
    if order.load().is_none() {
        return;
    }
    let mut by_cover: Vec<usize> = (0..order.lines.len())
        .filter(|&i| order.lines[i].qty > 0.0)
        .collect();
    by_cover.sort_by(|&a, &b| {
        let (la, lb) = (&order.lines[a], &order.lines[b]);
        lb.cover(lb.qty)
            .total_cmp(&la.cover(la.qty))
            .then(la.id.cmp(&lb.id))
    });
    let mut used = Used::of(order);
    for i in by_cover {
        if used.containers(&order.terms) <= target + 1e-6 {
            return;
        }
        let l = &order.lines[i];
        let units = used.excess_in(&order.terms, l, target);
        if units <= 0.0 {
            continue;
        }
        let q = l.less(l.qty, units, l.floor());
        used.set(order, (i, q), reason, changes);
    }
}

/// A step of the marginal cut: expected backorders added per unit of money
/// saved by cutting line `line` of order `order` to `to`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Step {
    ratio: f64,
    order: usize,
    line: usize,
    to: f64,
}

impl Eq for Step {}

impl Ord for Step {
    /// The cheapest step is the greatest (for the max-heap).
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .ratio
            .total_cmp(&self.ratio)
            .then(other.order.cmp(&self.order))
            .then(other.line.cmp(&self.line))
    }
}

impl PartialOrd for Step {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The next cut of a line: one pack (or to 0 below the MOQ), not below
/// `floor`; `None` when it cannot be cut or saves no money.
fn next_step(orders: &[SupplierOrder], o: usize, i: usize, protect: bool) -> Option<Step> {
    let l = &orders[o].lines[i];
    if l.qty <= 0.0 || l.unit_cost <= 0.0 {
        return None;
    }
    let floor = if protect { l.floor() } else { 0.0 };
    let to = l.less(l.qty, 1e-9, floor);
    (to < l.qty - 1e-9).then(|| Step {
        ratio: (l.short(to) - l.short(l.qty)) / ((l.qty - to) * l.unit_cost),
        order: o,
        line: i,
        to,
    })
}

/// Cut the orders to `budget`: the step adding the fewest expected
/// backorders per unit of money first (marginal analysis); lines covering
/// open customer backorders are cut below what covers them only when
/// everything else is gone.
fn cut_marginal(orders: &mut [SupplierOrder], budget: f64, changes: &mut Vec<Change>) {
    let mut total: f64 = orders.iter().map(SupplierOrder::value).sum();
    for protect in [true, false] {
        let mut heap: BinaryHeap<Step> = (0..orders.len())
            .flat_map(|o| (0..orders[o].lines.len()).map(move |i| (o, i)))
            .filter_map(|(o, i)| next_step(orders, o, i, protect))
            .collect();
        while total > budget + 1e-9 {
            let Some(step) = heap.pop() else { break };
            let before = orders[step.order].lines[step.line].value();
            set(
                &mut orders[step.order],
                step.line,
                step.to,
                Reason::Budget,
                changes,
            );
            total += orders[step.order].lines[step.line].value() - before;
            heap.extend(next_step(orders, step.order, step.line, protect));
        }
    }
    merge_budget_changes(changes);
}

/// One budget change per line (the marginal cut records each step).
fn merge_budget_changes(changes: &mut Vec<Change>) {
    let mut merged: Vec<Change> = Vec::with_capacity(changes.len());
    let mut at: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    for c in changes.drain(..) {
        match (c.reason, at.get(&c.id)) {
            (Reason::Budget, Some(&k)) if merged[k].reason == Reason::Budget => {
                merged[k].after = c.after;
                merged[k].backorders += c.backorders;
            }
            _ => {
                if c.reason == Reason::Budget {
                    at.insert(c.id, merged.len());
                }
                merged.push(c);
            }
        }
    }
    *changes = merged;
}

/// Cut every line by the same share to `budget`, rounded down to packs (0
/// below the MOQ): the plain rule the marginal cut is compared with.
fn cut_proportional(orders: &mut [SupplierOrder], budget: f64, changes: &mut Vec<Change>) {
    let total: f64 = orders.iter().map(SupplierOrder::value).sum();
    if total <= budget + 1e-9 {
        return;
    }
    let share = budget / total;
    for order in orders.iter_mut() {
        for i in 0..order.lines.len() {
            let l = &order.lines[i];
            if l.qty <= 0.0 || l.unit_cost <= 0.0 {
                continue;
            }
            let q = l.less(l.qty, l.qty * (1.0 - share), 0.0);
            set(order, i, q, Reason::Budget, changes);
        }
    }
}

#[cfg(test)]
mod tests;
