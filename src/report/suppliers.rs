//! `supplier_scorecard.csv` and its section of index.html: how each
//! supplier delivers, from the purchase-order lines. Written only when the
//! run read purchase orders.

use std::path::Path;

use super::Table;
use crate::charts::{SupplierChart, draw_suppliers};
use crate::error::Error;
use crate::html::{Cell, Figure, Page, Table as HtmlTable, grouped};
use crate::suppliers::Scorecard;

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
    }
}

/// The supplier chart (on-time share against lead-time spread, sized by
/// spend) of the 30 with the most spend, into `charts_dir` and onto the page.
pub(super) fn chart(page: &mut Page, cards: &[Scorecard], charts_dir: &Path) -> Result<(), Error> {
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
    for (ext, svg) in [("png", false), ("svg", true)] {
        let file = charts_dir.join(format!("suppliers.{ext}"));
        draw_suppliers(&chart, &file, svg).map_err(|e| Error::Internal(e.to_string()))?;
    }
    page.portfolio_figures.push(Figure {
        caption: format!(
            "Suppliers ({} with the most spend): share of lines received on time against the spread of their lead times; top left is reliable, bottom right needs safety stock",
            rows.len()
        ),
        png: "charts/suppliers.png".into(),
        svg: Some("charts/suppliers.svg".into()),
    });
    Ok(())
}
