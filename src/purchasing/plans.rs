//! The weekly run's order lines as suppliers' orders: the plans grouped by
//! supplier and location, the purchasing rules applied, and each plan's
//! quantity, order-by day and flags set to the result.

use std::collections::{BTreeMap, HashMap};

use crate::calendar::day_number;
use crate::config::Config;
use crate::ingest::{Dataset, SupplierTerms};
use crate::plan::{Flag, SeriesPlan};
use crate::suppliers;

use super::{Change, ContainerAction, Line, MinimumAction, Reason, SupplierOrder, Terms, apply};

/// One supplier's order at one location, after the rules.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderSummary {
    /// Supplier ("" for items without one).
    pub supplier: String,
    /// Location the order is for.
    pub location: String,
    /// Lines ordered.
    pub lines: usize,
    /// Units ordered.
    pub units: f64,
    /// Value ordered.
    pub value: f64,
    /// Value as the policy planned it, before the rules.
    pub planned_value: f64,
    /// Days after the as-of date the order goes out.
    pub order_by_days: i64,
    /// Days after the as-of date of the supplier's next order day after it.
    pub next_order_days: i64,
    /// The supplier's minimum order value.
    pub min_order_value: Option<f64>,
    /// What was done about it.
    pub minimum: Option<MinimumAction>,
    /// Expected backorders until arrival if sent now and if deferred.
    pub minimum_backorders: Option<(f64, f64)>,
    /// Containers the order fills, when the supplier has a container size.
    pub containers: Option<f64>,
    /// What was done about them.
    pub container_action: Option<ContainerAction>,
    /// Why a constraint is not met, for the buyer.
    pub note: String,
}

/// What purchasing did to one run's orders.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Purchasing {
    /// One per supplier and location with a line planned, by supplier then location.
    pub orders: Vec<OrderSummary>,
    /// Every change to a line, in the order made.
    pub changes: Vec<Change>,
    /// The budget and the orders' value before it cut them, when one is set.
    pub budget: Option<(f64, f64)>,
}

/// The terms of `terms` as the rules read them, for an order going out on
/// day `day` (day number) with `review_days` between reviews.
pub fn terms_for(terms: Option<&SupplierTerms>, day: i32, review_days: f64) -> Terms {
    let next = match terms {
        Some(t) if !t.order_days.is_empty() => {
            1.0 + suppliers::days_to_order_day(day + 1, &t.order_days) as f64
        }
        _ => review_days.max(1.0),
    };
    Terms {
        min_order_value: terms.and_then(|t| t.min_order_value),
        container_volume: terms.and_then(|t| t.container_volume),
        container_weight: terms.and_then(|t| t.container_weight),
        max_containers: terms.and_then(|t| t.max_containers),
        next_order_in_days: next,
    }
}

/// Whether a supplier's order takes lines that are not ordered yet.
pub fn brings_forward(terms: &SupplierTerms) -> bool {
    terms.min_order_value.is_some()
        || terms.container_volume.is_some()
        || terms.container_weight.is_some()
}

/// Unit cost, volume and weight of series `id`.
pub fn units_of(data: &Dataset, id: usize, unit_cost: f64) -> (f64, f64, f64) {
    let item = data.items[id].as_ref();
    (
        unit_cost,
        item.and_then(|i| i.unit_volume).unwrap_or(0.0),
        item.and_then(|i| i.unit_weight).unwrap_or(0.0),
    )
}

/// Group the plans into suppliers' orders, apply the purchasing rules, and
/// set the plans to the result. Without supplier terms that ask for them
/// and without a budget, nothing changes.
pub fn apply_to_plans(data: &Dataset, plans: &mut [SeriesPlan], config: &Config) -> Purchasing {
    let as_of = day_number(data.as_of);
    let mut groups: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for (k, p) in plans.iter().enumerate() {
        let supplier = suppliers::series_supplier(data, p.id).unwrap_or("");
        let forward = data.suppliers.get(supplier).is_some_and(brings_forward);
        if p.policy.order_qty > 0.0 || forward {
            groups
                .entry((supplier, data.keys[p.id].location.as_str()))
                .or_default()
                .push(k);
        }
    }
    let mut keys = Vec::new();
    let mut orders = Vec::new();
    for ((supplier, location), ks) in groups {
        let ordered = ks.iter().filter(|&&k| plans[k].policy.order_qty > 0.0);
        let Some(order_by) = ordered
            .map(|&k| plans[k].policy.order_by_days.unwrap_or(0))
            .min()
        else {
            continue;
        };
        let review = ks
            .iter()
            .map(|&k| plans[k].review_period_days)
            .fold(1.0, f64::max);
        let terms = terms_for(
            data.suppliers.get(supplier),
            as_of + order_by as i32,
            review,
        );
        let lines = ks
            .iter()
            .map(|&k| {
                let p = &plans[k];
                let unit = units_of(data, p.id, p.unit_cost);
                Line::of_policy(p.id, &p.policy_input, &p.policy, unit)
            })
            .collect();
        keys.push((supplier.to_string(), location.to_string(), order_by));
        orders.push(SupplierOrder {
            lines,
            terms,
            ..SupplierOrder::default()
        });
    }
    let before: f64 = orders.iter().map(SupplierOrder::value).sum();
    let p = &config.purchasing;
    let changes = apply(&mut orders, p.container_fill_up, p.budget, p.budget_cut);
    let summaries: Vec<OrderSummary> = keys
        .into_iter()
        .zip(&orders)
        .map(|((supplier, location, order_by), o)| summary(supplier, location, order_by, o))
        .collect();
    let order_by_of: HashMap<usize, (i64, i64)> = summaries
        .iter()
        .zip(&orders)
        .flat_map(|(s, o)| {
            let days = (s.order_by_days, s.next_order_days);
            o.lines.iter().map(move |l| (l.id, days))
        })
        .collect();
    let at: HashMap<usize, usize> = plans.iter().enumerate().map(|(k, p)| (p.id, k)).collect();
    for c in &changes {
        let plan = &mut plans[at[&c.id]];
        let (order_by, next) = order_by_of[&c.id];
        set_plan(plan, c, order_by, next);
    }
    Purchasing {
        orders: summaries,
        changes,
        budget: p.budget.map(|b| (b, before)),
    }
}

/// Plan `plan` after change `c` of an order going out `order_by` days
/// after the as-of date (the supplier's next order day `next`).
fn set_plan(plan: &mut SeriesPlan, c: &Change, order_by: i64, next: i64) {
    plan.policy.order_qty = c.after;
    let flag = match c.reason {
        Reason::MinimumTopUp | Reason::ContainerFillUp => Flag::BroughtForward,
        Reason::MinimumDeferred => Flag::Deferred,
        Reason::ContainerTrim | Reason::ContainerCap => Flag::Trimmed,
        Reason::Budget => Flag::BudgetCut,
    };
    if !plan.flags.contains(&flag) {
        plan.flags.push(flag);
    }
    if c.before <= 0.0 && c.after > 0.0 {
        plan.policy.order_by_days = Some(order_by);
    }
    if c.reason == Reason::MinimumDeferred {
        plan.policy.order_by_days = Some(next);
    }
}

fn summary(supplier: String, location: String, order_by: i64, o: &SupplierOrder) -> OrderSummary {
    let ordered = o.lines.iter().filter(|l| l.qty > 0.0);
    OrderSummary {
        supplier,
        location,
        lines: o.ordered(),
        units: ordered.map(|l| l.qty).sum(),
        value: o.value(),
        planned_value: o.planned_value,
        order_by_days: order_by,
        next_order_days: order_by + o.terms.next_order_in_days as i64,
        min_order_value: o.terms.min_order_value,
        minimum: o.minimum,
        minimum_backorders: o.minimum_backorders,
        containers: o.containers.and(o.load().map(|(n, _)| n)),
        container_action: o.containers,
        note: o.notes.join("; "),
    }
}
