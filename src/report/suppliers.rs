//! The suppliers' files and sections of index.html: the orders per
//! supplier and location with what its terms and the budget did to them
//! (`orders_by_supplier.csv`, `orders_deferred.csv`), and the scorecard
//! (`supplier_scorecard.csv`: how each supplier delivers, from the
//! purchase-order lines; written only when the run read purchase orders).

use std::collections::BTreeMap;
use std::path::Path;

use super::{OrderLine, Table, date_after};
use crate::charts::{SupplierChart, draw_suppliers};
use crate::error::Error;
use crate::html::{Cell, Figure, Page, Table as HtmlTable, grouped};
use crate::output::RunOutput;
use crate::purchasing::Change;
use crate::suppliers::Scorecard;

/// One row per supplier and location with an order planned: lines, units
/// and value to order, earliest need date, and what the supplier's minimum,
/// containers and the budget did to the order.
pub(super) fn write_orders(
    run: &RunOutput,
    lines: &[OrderLine<'_>],
    path: &Path,
) -> Result<(), Error> {
    let mut needed: BTreeMap<(&str, &str), &str> = BTreeMap::new();
    for l in lines {
        let e = needed
            .entry((l.supplier.as_str(), l.location))
            .or_insert(&l.needed_by);
        *e = (*e).min(l.needed_by.as_str());
    }
    let orders = &run.purchasing.orders;
    let as_of = run.dataset.as_of;
    let date = |d: i64| date_after(as_of, d).to_string();
    let mut t = Table::default();
    t.text("supplier", orders.iter().map(|o| o.supplier.as_str()))
        .text("location", orders.iter().map(|o| o.location.as_str()))
        .int("lines", orders.iter().map(|o| o.lines as u64))
        .num("units", orders.iter().map(|o| o.units))
        .num("value", orders.iter().map(|o| o.value))
        .text("order_by", orders.iter().map(|o| date(o.order_by_days)))
        .opt_text(
            "first_needed_by",
            orders.iter().map(|o| {
                needed
                    .get(&(o.supplier.as_str(), o.location.as_str()))
                    .map(|d| d.to_string())
            }),
        )
        .num("planned_value", orders.iter().map(|o| o.planned_value))
        .opt_num("min_order_value", orders.iter().map(|o| o.min_order_value))
        .opt_text(
            "minimum",
            orders
                .iter()
                .map(|o| o.minimum.map(|m| m.name().to_string())),
        )
        .opt_num(
            "backorders_if_sent",
            orders.iter().map(|o| o.minimum_backorders.map(|b| b.0)),
        )
        .opt_num(
            "backorders_if_deferred",
            orders.iter().map(|o| o.minimum_backorders.map(|b| b.1)),
        )
        .text(
            "next_order_day",
            orders.iter().map(|o| date(o.next_order_days)),
        )
        .opt_num("containers", orders.iter().map(|o| o.containers))
        .opt_text(
            "container_action",
            orders
                .iter()
                .map(|o| o.container_action.map(|a| a.name().to_string())),
        )
        .opt_text(
            "note",
            orders
                .iter()
                .map(|o| (!o.note.is_empty()).then(|| o.note.clone())),
        );
    t.write(path)
}

/// Every cut, trim or deferral of an order line, with the expected
/// backorder units it adds.
pub(super) fn write_deferred(run: &RunOutput, path: &Path) -> Result<(), Error> {
    let cuts: Vec<&Change> = run
        .purchasing
        .changes
        .iter()
        .filter(|c| c.after < c.before)
        .collect();
    let key = |c: &Change| &run.dataset.keys[c.id];
    let cost = |c: &Change| {
        run.dataset.items[c.id]
            .as_ref()
            .and_then(|i| i.unit_cost)
            .unwrap_or(0.0)
    };
    let mut t = Table::default();
    t.text(
        "supplier",
        cuts.iter()
            .map(|c| crate::suppliers::series_supplier(&run.dataset, c.id).unwrap_or("")),
    )
    .text("sku", cuts.iter().map(|c| key(c).sku.as_str()))
    .text("location", cuts.iter().map(|c| key(c).location.as_str()))
    .num("planned_qty", cuts.iter().map(|c| c.before))
    .num("ordered_qty", cuts.iter().map(|c| c.after))
    .num("deferred_qty", cuts.iter().map(|c| c.before - c.after))
    .num(
        "deferred_value",
        cuts.iter().map(|c| (c.before - c.after) * cost(c)),
    )
    .text("reason", cuts.iter().map(|c| c.reason.name()))
    .num(
        "expected_backorders",
        cuts.iter().map(|c| c.backorders.max(0.0)),
    );
    t.write(path)
}

/// The suppliers' orders on the page, when a supplier's terms or the
/// budget apply: the 30 of most value (all in orders_by_supplier.csv).
pub(super) fn orders_table(run: &RunOutput) -> Option<HtmlTable> {
    const SHOWN: usize = 30;
    let p = &run.purchasing;
    let ruled = |o: &&crate::purchasing::plans::OrderSummary| {
        o.minimum.is_some() || o.container_action.is_some() || p.budget.is_some()
    };
    let mut rows: Vec<&crate::purchasing::plans::OrderSummary> =
        p.orders.iter().filter(ruled).collect();
    if rows.is_empty() {
        return None;
    }
    let total = rows.len();
    rows.sort_by(|a, b| b.planned_value.total_cmp(&a.planned_value));
    rows.truncate(SHOWN);
    let num = |x: f64, d: usize| Cell::number(grouped(x, d), x);
    let budget = match p.budget {
        Some((budget, before)) => format!(
            " Budget {}: orders worth {} before it, {} after (the cut lines in orders_deferred.csv).",
            grouped(budget, 2),
            grouped(before, 2),
            grouped(run.order_value(), 2)
        ),
        None => String::new(),
    };
    Some(HtmlTable {
        id: "supplier-orders".into(),
        caption: format!("Orders by supplier ({} shown of {total})", rows.len()),
        note: format!(
            "What each supplier's minimum order value and containers did to its order (suppliers.csv).{budget}"
        ),
        columns: vec![
            "supplier".into(),
            "location".into(),
            "#lines".into(),
            "#planned value".into(),
            "#value".into(),
            "minimum".into(),
            "#containers".into(),
            "containers".into(),
            "note".into(),
        ],
        rows: rows
            .into_iter()
            .map(|o| {
                vec![
                    Cell::text(o.supplier.clone()),
                    Cell::text(o.location.clone()),
                    num(o.lines as f64, 0),
                    num(o.planned_value, 2),
                    num(o.value, 2),
                    Cell::text(o.minimum.map(|m| m.name()).unwrap_or("")),
                    o.containers
                        .map(|n| num(n, 2))
                        .unwrap_or_else(|| Cell::text("")),
                    Cell::text(o.container_action.map(|a| a.name()).unwrap_or("")),
                    Cell::text(o.note.clone()),
                ]
            })
            .collect(),
        sortable: true,
        ..Default::default()
    })
}

/// Write the scorecard.
pub(super) fn write(cards: &[Scorecard], path: &Path) -> Result<(), Error> {
    let mut t = Table::default();
    t.text("supplier", cards.iter().map(|c| c.supplier.as_str()))
        .text("location", cards.iter().map(|c| c.location.as_str()))
        .int("lines_received", cards.iter().map(|c| c.lines as u64))
        .num("units_received", cards.iter().map(|c| c.units))
        .num("spend", cards.iter().map(|c| c.spend))
        .num("on_time_share", cards.iter().map(|c| c.on_time))
        .num("in_full_share", cards.iter().map(|c| c.in_full))
        .num("days_late_mean", cards.iter().map(|c| c.days_late_mean))
        .num("days_late_p90", cards.iter().map(|c| c.days_late_p90))
        .num("lead_time_mean", cards.iter().map(|c| c.lead_time_mean))
        .num("lead_time_sd", cards.iter().map(|c| c.lead_time_sd))
        .num("lead_time_p90", cards.iter().map(|c| c.lead_time_p90))
        .opt_num(
            "lead_time_change_90d",
            cards.iter().map(|c| c.lead_time_change),
        )
        .int("open_lines", cards.iter().map(|c| c.open_lines as u64))
        .int(
            "open_lines_overdue",
            cards.iter().map(|c| c.overdue_lines as u64),
        );
    t.write(path)
}

/// The scorecard on the page: the 30 suppliers and locations with the most
/// spend (all of them in the file).
pub(super) fn html_table(cards: &[Scorecard]) -> HtmlTable {
    const SHOWN: usize = 30;
    let mut rows: Vec<&Scorecard> = cards.iter().collect();
    rows.sort_by(|a, b| b.spend.total_cmp(&a.spend).then(b.lines.cmp(&a.lines)));
    rows.truncate(SHOWN);
    let pct = |x: f64| Cell::number(format!("{:.0} %", 100.0 * x), x);
    let num = |x: f64, d: usize| Cell::number(grouped(x, d), x);
    HtmlTable {
        id: "suppliers".into(),
        caption: format!("Supplier scorecard ({} shown of {})", rows.len(), cards.len()),
        note: "Received purchase-order lines of the last `purchasing.scorecard_days`; lead time from order to receipt, its change over the last 90 days against the whole window. All rows in supplier_scorecard.csv.".into(),
        columns: vec![
            "supplier".into(),
            "location".into(),
            "#lines".into(),
            "#spend".into(),
            "#on time".into(),
            "#in full".into(),
            "#days late (mean)".into(),
            "#lead time (mean)".into(),
            "#lead time (sd)".into(),
            "#change 90 d".into(),
            "#open overdue".into(),
        ],
        rows: rows
            .into_iter()
            .map(|c| {
                vec![
                    Cell::text(c.supplier.clone()),
                    Cell::text(c.location.clone()),
                    num(c.lines as f64, 0),
                    num(c.spend, 0),
                    pct(c.on_time),
                    pct(c.in_full),
                    num(c.days_late_mean, 1),
                    num(c.lead_time_mean, 1),
                    num(c.lead_time_sd, 1),
                    c.lead_time_change
                        .map(|x| num(x, 1))
                        .unwrap_or_else(|| Cell::text("")),
                    num(c.overdue_lines as f64, 0),
                ]
            })
            .collect(),
        sortable: true,
        ..Default::default()
    }
}

/// The supplier chart (on-time share against lead-time spread, sized by
/// spend) of the 30 with the most spend, into `charts_dir` and onto the page.
pub(super) fn chart(
    page: &mut Page,
    cards: &[Scorecard],
    charts_dir: &Path,
    with_svg: bool,
) -> Result<(), Error> {
    const SHOWN: usize = 30;
    let mut rows: Vec<&Scorecard> = cards.iter().filter(|c| c.lines > 0).collect();
    rows.sort_by(|a, b| b.spend.total_cmp(&a.spend).then(b.lines.cmp(&a.lines)));
    rows.truncate(SHOWN);
    if rows.is_empty() {
        return Ok(());
    }
    let locations = cards
        .iter()
        .map(|c| &c.location)
        .collect::<std::collections::BTreeSet<_>>();
    let points: Vec<(String, f64, f64, f64)> = rows
        .iter()
        .map(|c| {
            let label = if locations.len() > 1 {
                format!("{} {}", c.supplier, c.location)
            } else {
                c.supplier.clone()
            };
            (label, c.lead_time_sd, c.on_time, c.spend)
        })
        .collect();
    let chart = SupplierChart {
        title: "Suppliers: on time against lead-time spread (circle: spend)",
        points: &points,
    };
    for (ext, svg) in [("png", false), ("svg", true)]
        .into_iter()
        .filter(|&(_, svg)| !svg || with_svg)
    {
        let file = charts_dir.join(format!("suppliers.{ext}"));
        draw_suppliers(&chart, &file, svg).map_err(|e| Error::Internal(e.to_string()))?;
    }
    page.portfolio_figures.push(Figure {
        caption: format!(
            "Suppliers ({} with the most spend): share of lines received on time against the spread of their lead times; top left is reliable, bottom right needs safety stock",
            rows.len()
        ),
        png: "charts/suppliers.png".into(),
        svg: with_svg.then(|| "charts/suppliers.svg".into()),
    });
    Ok(())
}
