//! The backorder desk's files: `backorder_lines.csv` (every open customer
//! order line with its ship date), `customer_updates.csv` (what to tell
//! which customer this week, one sentence each) and `atp.csv` (what a new
//! order can be promised, by date), and the backorder section of
//! index.html. Written only when `open_orders.csv` was given.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;

use super::Table;
use crate::backorders::{DeskLine, LineStatus, Update};
use crate::calendar::{date_after, date_of_day};
use crate::error::Result;
use crate::html::{Cell, Table as HtmlTable, grouped};
use crate::output::RunOutput;

/// Write the three files into `dir` when the run read open order lines.
pub(super) fn write(run: &RunOutput, dir: &Path) -> Result<()> {
    if run.dataset.open_orders.is_none() {
        return Ok(());
    }
    write_lines(run, &dir.join("backorder_lines.csv"))?;
    write_updates(run, &dir.join("customer_updates.csv"))?;
    write_atp(run, &dir.join("atp.csv"))
}

/// The line's ship date.
pub(super) fn ship_date(run: &RunOutput, l: &DeskLine) -> Option<NaiveDate> {
    l.allocation
        .ship_day
        .map(|d| date_after(run.dataset.as_of, d))
}

/// A day number as an ISO date.
fn day_text(day: i32) -> String {
    date_of_day(day).map(|d| d.to_string()).unwrap_or_default()
}

/// Substitutes as `sku:free_qty` separated by `;`.
fn substitutes(l: &DeskLine) -> String {
    l.substitutes
        .iter()
        .map(|o| format!("{}:{}", o.sku, super::r3(o.free)))
        .collect::<Vec<_>>()
        .join(";")
}

fn write_lines(run: &RunOutput, path: &Path) -> Result<()> {
    let lines = &run.desk.lines;
    let key = |l: &DeskLine| &run.dataset.keys[l.id];
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string());
    let mut t = Table::default();
    t.text("order_id", lines.iter().map(|l| l.line.order_id.as_str()))
        .int("line", lines.iter().map(|l| l.line.line))
        .text("customer", lines.iter().map(|l| l.line.customer.as_str()))
        .text("sku", lines.iter().map(|l| key(l).sku.as_str()))
        .text("location", lines.iter().map(|l| key(l).location.as_str()))
        .num("qty", lines.iter().map(|l| l.line.qty))
        .text(
            "order_date",
            lines.iter().map(|l| day_text(l.line.order_day)),
        )
        .opt_text(
            "requested_date",
            lines.iter().map(|l| l.line.requested_day.map(day_text)),
        )
        .text(
            "priority",
            lines.iter().map(|l| l.line.priority.to_string()),
        )
        .num(
            "ready_now_qty",
            lines.iter().map(|l| l.allocation.ready_now),
        )
        .opt_text("ship_date", lines.iter().map(|l| date(ship_date(run, l))))
        .text(
            "ship_date_source",
            lines
                .iter()
                .map(|l| l.allocation.source.map_or("none", |s| s.name())),
        )
        .opt_text("po_id", lines.iter().map(|l| l.allocation.po_id.clone()))
        .opt_text(
            "previous_ship_date",
            lines.iter().map(|l| date(l.previous_ship_date)),
        )
        .opt_num(
            "delay_days",
            lines.iter().map(|l| l.delay_days.map(|d| d as f64)),
        )
        .text("status", lines.iter().map(|l| l.status.name()))
        .text("substitutes", lines.iter().map(substitutes));
    t.write(path)
}

/// One sentence customer service can paste.
pub(super) fn sentence(run: &RunOutput, l: &DeskLine, update: Update) -> String {
    let key = &run.dataset.keys[l.id];
    let what = format!(
        "Order {} line {}: {} × {} ({})",
        l.line.order_id,
        l.line.line,
        super::r3(l.line.qty),
        key.sku,
        key.location
    );
    let ship = ship_date(run, l).map(|d| d.to_string()).unwrap_or_default();
    let before = l
        .previous_ship_date
        .map(|d| d.to_string())
        .unwrap_or_default();
    let days = l.delay_days.unwrap_or(0).abs();
    let plural = if days == 1 { "" } else { "s" };
    let part = if l.allocation.ready_now > 0.0 && l.allocation.ready_now < l.line.qty {
        format!(" {} can ship now.", super::r3(l.allocation.ready_now))
    } else {
        String::new()
    };
    let mut text = match update {
        Update::Ready => format!("{what} is ready to ship now."),
        Update::Later if ship.is_empty() => format!(
            "{what} will not ship on {before} as we said: no supply is planned for it yet, so we cannot give a date.{part}"
        ),
        Update::Later => format!(
            "{what} ships on {ship}, {days} day{plural} later than the {before} we gave.{part}"
        ),
        Update::Earlier if before.is_empty() => {
            format!("{what} now has a ship date: {ship} (none could be given before).{part}")
        }
        Update::Earlier => format!(
            "{what} ships on {ship}, {days} day{plural} earlier than the {before} we gave.{part}"
        ),
        Update::NoSupplyPlanned => {
            format!("{what} has no supply planned yet: we cannot give a ship date.{part}")
        }
    };
    if update != Update::Ready && !l.substitutes.is_empty() {
        let offers: Vec<String> = l
            .substitutes
            .iter()
            .map(|o| {
                if (o.ratio - 1.0).abs() < 1e-9 {
                    o.sku.clone()
                } else {
                    format!("{} ({} per unit)", o.sku, super::r3(o.ratio))
                }
            })
            .collect();
        text.push_str(&format!(" In stock instead: {}.", offers.join(", ")));
    }
    text
}

fn write_updates(run: &RunOutput, path: &Path) -> Result<()> {
    let mut rows: Vec<(&DeskLine, Update)> = run
        .desk
        .lines
        .iter()
        .filter_map(|l| l.update.map(|u| (l, u)))
        .collect();
    rows.sort_by(|a, b| {
        (a.1, &a.0.line.customer, &a.0.line.order_id, a.0.line.line).cmp(&(
            b.1,
            &b.0.line.customer,
            &b.0.line.order_id,
            b.0.line.line,
        ))
    });
    let key = |l: &DeskLine| &run.dataset.keys[l.id];
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string());
    let mut t = Table::default();
    t.text("update", rows.iter().map(|r| r.1.name()))
        .text("customer", rows.iter().map(|r| r.0.line.customer.as_str()))
        .text("order_id", rows.iter().map(|r| r.0.line.order_id.as_str()))
        .int("line", rows.iter().map(|r| r.0.line.line))
        .text("sku", rows.iter().map(|r| key(r.0).sku.as_str()))
        .text("location", rows.iter().map(|r| key(r.0).location.as_str()))
        .num("qty", rows.iter().map(|r| r.0.line.qty))
        .num(
            "ready_now_qty",
            rows.iter().map(|r| r.0.allocation.ready_now),
        )
        .opt_text("ship_date", rows.iter().map(|r| date(ship_date(run, r.0))))
        .opt_text(
            "previous_ship_date",
            rows.iter().map(|r| date(r.0.previous_ship_date)),
        )
        .opt_num(
            "delay_days",
            rows.iter().map(|r| r.0.delay_days.map(|d| d as f64)),
        )
        .text("substitutes", rows.iter().map(|r| substitutes(r.0)))
        .text("message", rows.iter().map(|r| sentence(run, r.0, r.1)));
    t.write(path)
}

fn write_atp(run: &RunOutput, path: &Path) -> Result<()> {
    let rows = &run.desk.atp;
    let key = |id: usize| &run.dataset.keys[id];
    let mut t = Table::default();
    t.text("sku", rows.iter().map(|r| key(r.id).sku.as_str()))
        .text("location", rows.iter().map(|r| key(r.id).location.as_str()))
        .text(
            "date",
            rows.iter()
                .map(|r| date_after(run.dataset.as_of, r.day).to_string()),
        )
        .num("available_to_promise", rows.iter().map(|r| r.qty))
        .text("arriving", rows.iter().map(|r| r.source.name()));
    t.write(path)
}

/// The backorder section of index.html: lines and units by status, by
/// customer (the 30 with the most units waiting), and the 20 longest waits
/// (days from order date to ship date; lines without a date first), each
/// SKU a cell from `sku_cell(series id, sku)` (a link to its chart).
pub(super) fn html_tables(
    run: &RunOutput,
    sku_cell: impl Fn(usize, &str) -> Cell,
) -> Vec<HtmlTable> {
    let lines = &run.desk.lines;
    if run.dataset.open_orders.is_none() {
        return Vec::new();
    }
    vec![
        status_table(lines),
        customer_table(lines),
        waits_table(run, lines, sku_cell),
    ]
}

fn count_cell(x: f64, decimals: usize) -> Cell {
    Cell::number(grouped(x, decimals), x)
}

fn status_table(lines: &[DeskLine]) -> HtmlTable {
    let mut by: BTreeMap<LineStatus, (f64, f64, f64)> = BTreeMap::new();
    for l in lines {
        let e = by.entry(l.status).or_default();
        e.0 += 1.0;
        e.1 += l.line.qty;
        e.2 += l.allocation.ready_now;
    }
    let updates = lines.iter().filter(|l| l.update.is_some()).count();
    HtmlTable {
        id: "backorders".into(),
        caption: format!(
            "Open customer order lines ({}, {} to tell the customer this week)",
            grouped(lines.len() as f64, 0),
            grouped(updates as f64, 0)
        ),
        note: "Every line's ship date, source and substitutes are in backorder_lines.csv; what to tell whom in customer_updates.csv; what new orders can be promised in atp.csv.".into(),
        columns: vec![
            "status".into(),
            "#lines".into(),
            "#units".into(),
            "#ready now".into(),
        ],
        rows: by
            .into_iter()
            .map(|(s, (n, units, ready))| {
                vec![
                    Cell::text(s.name()),
                    count_cell(n, 0),
                    count_cell(units, 0),
                    count_cell(ready, 0),
                ]
            })
            .collect(),
        sortable: false,
        ..Default::default()
    }
}

fn customer_table(lines: &[DeskLine]) -> HtmlTable {
    const SHOWN: usize = 30;
    let mut by: BTreeMap<&str, (f64, f64, f64)> = BTreeMap::new();
    for l in lines.iter().filter(|l| l.status != LineStatus::Ready) {
        let e = by.entry(l.line.customer.as_str()).or_default();
        e.0 += 1.0;
        e.1 += l.line.qty - l.allocation.ready_now;
        e.2 += f64::from(u8::from(l.status == LineStatus::NoSupplyPlanned));
    }
    let total = by.len();
    let mut rows: Vec<(&str, (f64, f64, f64))> = by.into_iter().collect();
    rows.sort_by(|a, b| b.1.1.total_cmp(&a.1.1).then(a.0.cmp(b.0)));
    rows.truncate(SHOWN);
    HtmlTable {
        id: "backorders-by-customer".into(),
        caption: format!(
            "Customers waiting ({} shown of {})",
            rows.len(),
            grouped(total as f64, 0)
        ),
        note: "Units not ready now, most first.".into(),
        columns: vec![
            "customer".into(),
            "#lines waiting".into(),
            "#units waiting".into(),
            "#lines with no supply planned".into(),
        ],
        rows: rows
            .into_iter()
            .map(|(c, (n, units, none))| {
                vec![
                    Cell::text(c),
                    count_cell(n, 0),
                    count_cell(units, 0),
                    count_cell(none, 0),
                ]
            })
            .collect(),
        sortable: true,
        ..Default::default()
    }
}

fn waits_table(
    run: &RunOutput,
    lines: &[DeskLine],
    sku_cell: impl Fn(usize, &str) -> Cell,
) -> HtmlTable {
    const SHOWN: usize = 20;
    let as_of_day = i64::from(crate::calendar::day_number(run.dataset.as_of));
    // Days from order to ship date; no date: longer than any.
    let wait = |l: &DeskLine| {
        l.allocation
            .ship_day
            .map(|d| as_of_day + d - i64::from(l.line.order_day))
    };
    let mut waiting: Vec<&DeskLine> = lines
        .iter()
        .filter(|l| l.status != LineStatus::Ready)
        .collect();
    waiting.sort_by_key(|l| {
        (
            std::cmp::Reverse(wait(l).unwrap_or(i64::MAX)),
            l.line.order_day,
        )
    });
    waiting.truncate(SHOWN);
    let key = |l: &DeskLine| &run.dataset.keys[l.id];
    HtmlTable {
        id: "backorders-longest".into(),
        caption: format!("The {} longest waits", waiting.len()),
        note: "Days from the order date to the ship date; lines with no supply planned first. The SKU opens its chart.".into(),
        columns: vec![
            "order".into(),
            "customer".into(),
            "sku".into(),
            "location".into(),
            "#qty".into(),
            "order date".into(),
            "ship date".into(),
            "#days".into(),
            "#moved (days)".into(),
            "substitutes".into(),
        ],
        rows: waiting
            .into_iter()
            .map(|l| {
                let days = wait(l);
                vec![
                    Cell::text(format!("{}/{}", l.line.order_id, l.line.line)),
                    Cell::text(l.line.customer.clone()),
                    sku_cell(l.id, &key(l).sku),
                    Cell::text(key(l).location.clone()),
                    count_cell(l.line.qty, 0),
                    Cell::text(day_text(l.line.order_day)),
                    Cell::text(
                        ship_date(run, l)
                            .map(|d| d.to_string())
                            .unwrap_or_else(|| "none planned".into()),
                    ),
                    days.map(|d| count_cell(d as f64, 0))
                        .unwrap_or_else(|| Cell::text("—")),
                    l.delay_days
                        .map(|d| count_cell(d as f64, 0))
                        .unwrap_or_else(|| Cell::text("")),
                    Cell::text(substitutes(l)),
                ]
            })
            .collect(),
        sortable: true,
        ..Default::default()
    }
}
