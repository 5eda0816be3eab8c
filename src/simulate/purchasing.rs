//! The replay of the configured policy under the purchasing rules: every
//! series stepped together, a day at a time, so that on each review day the
//! orders of one supplier and location are brought up to its minimum order
//! value or deferred and rounded to whole containers, and the day's orders
//! are cut to `purchasing.budget`, as the weekly run does
//! ([`crate::purchasing`]).

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::engine::{Outcome, Replay, Stepper};
use super::rules::Policy;
use super::{Prepared, SeriesLevels, Window, daily_demand, replay_of};
use crate::config::Config;
use crate::demand::Panel;
use crate::ingest::Dataset;
use crate::purchasing::plans::{brings_forward, terms_for, units_of};
use crate::purchasing::{self, Line, SupplierOrder};
use crate::suppliers;

/// Whether the purchasing rules can change an order: a supplier with a
/// minimum order value or a container size, or a budget.
pub(super) fn in_force(data: &Dataset, config: &Config) -> bool {
    config.purchasing.budget.is_some() || data.suppliers.values().any(brings_forward)
}

/// The supplier and location group of every series, and each group's supplier.
fn groups(data: &Dataset, n: usize) -> (Vec<usize>, Vec<&str>) {
    let mut index: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut suppliers_of = Vec::new();
    let of: Vec<usize> = (0..n)
        .map(|id| {
            let supplier = suppliers::series_supplier(data, id).unwrap_or("");
            let key = (supplier, data.keys[id].location.as_str());
            let next = index.len();
            *index.entry(key).or_insert_with(|| {
                suppliers_of.push(supplier);
                next
            })
        })
        .collect();
    (of, suppliers_of)
}

/// Start on hand and outcome of the configured policy for every series,
/// replayed under the purchasing rules (`levels`: the pooled allocation's
/// service levels, when on).
pub(super) fn replay_all(
    data: &Dataset,
    panel: &Panel,
    config: &Config,
    window: Window,
    prepared: &[Prepared],
    levels: Option<&[SeriesLevels]>,
) -> Vec<(f64, Outcome)> {
    let bucket = panel.bucket;
    let origin_day = bucket.start_day(window.origin);
    let rules: Vec<Policy<'_>> = prepared
        .iter()
        .enumerate()
        .map(|(id, p)| Policy {
            settings: p.settings,
            forecasts: &p.demand,
            services: levels.map_or(&[][..], |l| &l[id].configured),
            unit_cost: p.unit_cost,
            config,
            bucket,
            origin_day,
            demand: &panel.series[id].demand,
            start: panel.series[id].start,
        })
        .collect();
    let starts: Vec<f64> = rules
        .par_iter()
        .map(Policy::order_up_to_at_origin)
        .collect();
    let dailies: Vec<Vec<f64>> = (0..prepared.len())
        .map(|id| daily_demand(panel, window, id))
        .collect();
    let replays: Vec<Replay<'_>> = prepared
        .iter()
        .enumerate()
        .map(|(id, p)| replay_of(&dailies[id], p, &config.simulate, starts[id]))
        .collect();
    let mut steppers: Vec<Stepper<'_>> = replays.iter().map(Stepper::new).collect();
    let (group_of, supplier_of) = groups(data, prepared.len());
    let days = dailies.iter().map(Vec::len).max().unwrap_or(0);
    for day in 0..days {
        steppers.par_iter_mut().for_each(|s| s.receive(day));
        let lines: Vec<Option<Line>> = steppers
            .par_iter_mut()
            .zip(rules.par_iter())
            .enumerate()
            .map(|(id, (st, rule))| {
                if !st.is_review(day) {
                    return None;
                }
                st.start_cycle(day);
                let (input, out) = rule.decide(day, &st.stock)?;
                let units = units_of(data, id, prepared[id].unit_cost);
                Some(Line::of_policy(id, &input, &out, units))
            })
            .collect();
        let mut orders = orders_of(data, lines, &group_of, &supplier_of);
        for (g, order) in &mut orders {
            let review = order
                .lines
                .iter()
                .map(|l| prepared[l.id].settings.review_period_days)
                .fold(1.0, f64::max);
            let terms = data.suppliers.get(supplier_of[*g]);
            order.terms = terms_for(terms, origin_day + day as i32, review);
        }
        let mut orders: Vec<SupplierOrder> = orders.into_iter().map(|(_, o)| o).collect();
        let p = &config.purchasing;
        purchasing::apply(&mut orders, p.container_fill_up, p.budget, p.budget_cut);
        for l in orders.iter().flat_map(|o| &o.lines) {
            steppers[l.id].place(day, l.qty);
        }
        steppers.par_iter_mut().for_each(|s| s.serve(day));
    }
    starts
        .into_iter()
        .zip(steppers.into_iter().map(Stepper::finish))
        .collect()
}

/// A review day's lines as orders per supplier and location: the ordered
/// ones, and those that may be brought forward where the supplier's terms
/// bring lines forward; by group.
fn orders_of(
    data: &Dataset,
    lines: Vec<Option<Line>>,
    group_of: &[usize],
    supplier_of: &[&str],
) -> Vec<(usize, SupplierOrder)> {
    let mut by: BTreeMap<usize, SupplierOrder> = BTreeMap::new();
    for l in lines.into_iter().flatten() {
        let g = group_of[l.id];
        let forward = data
            .suppliers
            .get(supplier_of[g])
            .is_some_and(brings_forward);
        if l.qty > 0.0 || (forward && l.forward_qty > 0.0) {
            by.entry(g).or_default().lines.push(l);
        }
    }
    by.into_iter()
        .filter(|(_, o)| o.lines.iter().any(|l| l.qty > 0.0))
        .collect()
}
