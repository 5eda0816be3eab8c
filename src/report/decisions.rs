//! What index.html leads with and how it lists exceptions: this week's
//! orders by supplier, the series at risk of a backorder and why, the fill
//! rate the history measured, and the exceptions grouped by kind with what
//! each puts at stake.

use crate::calendar::date_after;
use crate::exceptions::{Exception, ExceptionKind};
use crate::html::{Cell, Table, grouped, pct};
use crate::output::RunOutput;
use crate::plan::SeriesPlan;

use super::links::Links;
use super::{OrderLine, by_supplier};

/// Rows each exception kind lists on the page; the rest are in exceptions.csv.
pub const ROWS_PER_KIND: usize = 100;

/// Series the risk table lists.
const RISKS_LISTED: usize = 20;

/// Days of "this week": orders whose order-by date falls in them.
const WEEK_DAYS: i64 = 7;

/// Orders to place this week, by supplier: lines, units, value, the first
/// order-by and needed-by dates.
pub(super) fn orders_this_week(run: &RunOutput, lines: &[OrderLine<'_>]) -> Table {
    let last = date_after(run.dataset.as_of, WEEK_DAYS - 1).to_string();
    let mut rows = by_supplier(lines.iter().filter(|l| l.order_by <= last));
    let later = lines.len() - rows.iter().map(|s| s.lines.len()).sum::<usize>();
    rows.sort_by(|x, y| {
        x.order_by
            .cmp(y.order_by)
            .then(y.value.total_cmp(&x.value))
            .then(x.name.cmp(y.name))
    });
    Table {
        id: "orders-this-week".into(),
        caption: format!("Orders to place by {last}, by supplier"),
        note: format!(
            "From orders.csv (a draft purchase order per supplier in orders.xlsx); first to go out first.{}",
            if later > 0 {
                format!(" {later} more line(s) go out later, on their suppliers' order days.")
            } else {
                String::new()
            }
        ),
        columns: vec![
            "supplier".into(),
            "#lines".into(),
            "#units".into(),
            "#value".into(),
            "order by".into(),
            "first needed by".into(),
        ],
        rows: rows
            .iter()
            .map(|s| {
                let n = s.lines.len() as f64;
                vec![
                    Cell::text(if s.name.is_empty() {
                        "(no supplier)"
                    } else {
                        s.name
                    }),
                    Cell::number(grouped(n, 0), n),
                    Cell::number(grouped(s.units, 0), s.units),
                    Cell::number(grouped(s.value, 2), s.value),
                    Cell::text(s.order_by),
                    Cell::text(s.needed_by),
                ]
            })
            .collect(),
        sortable: true,
        ..Default::default()
    }
}

/// Kinds that say why a series may backorder, in the order a reason is told.
const SHORTAGE_KINDS: [ExceptionKind; 4] = [
    ExceptionKind::BackorderedNow,
    ExceptionKind::OverduePurchaseOrder,
    ExceptionKind::StockoutWithinLeadTime,
    ExceptionKind::BackInStockDelayed,
];

/// The series most at risk of a backorder before an order placed today can
/// arrive, ranked by the chance times lead-time demand (times unit cost
/// when costs are known), each with the reasons its exceptions give.
pub(super) fn risk_table(links: &Links<'_>, found: &[Exception], in_value: bool) -> Table {
    let run = links.run;
    let as_of = run.dataset.as_of;
    let key = |id: usize| &run.dataset.keys[id];
    let mut risks: Vec<&SeriesPlan> = run
        .plans
        .iter()
        .filter(|p| p.policy.stockout_risk > 0.0)
        .collect();
    let exposure = |p: &SeriesPlan| {
        p.policy.stockout_risk
            * p.policy.lead_time_demand
            * p.unit_cost.max(if in_value { 0.0 } else { 1.0 })
    };
    risks.sort_by(|a, b| exposure(b).total_cmp(&exposure(a)).then(a.id.cmp(&b.id)));
    risks.truncate(RISKS_LISTED);
    let why = |id: usize| -> String {
        let mut reasons: Vec<&Exception> = found
            .iter()
            .filter(|e| e.id == id && SHORTAGE_KINDS.contains(&e.kind))
            .collect();
        reasons.sort_by_key(|e| SHORTAGE_KINDS.iter().position(|k| *k == e.kind));
        let text: Vec<&str> = reasons.iter().map(|e| e.detail.as_str()).collect();
        if text.is_empty() {
            "demand over the lead time may outrun the stock and open orders".into()
        } else {
            text.join("; ")
        }
    };
    Table {
        id: "risks".into(),
        caption: format!("The {RISKS_LISTED} largest backorder risks, and why"),
        note: format!(
            "Ranked by the chance of a stock-out before an order placed today can arrive × lead-time demand{}.",
            if in_value { " × unit cost" } else { "" }
        ),
        columns: vec![
            "sku".into(),
            "location".into(),
            "#risk".into(),
            format!("#exposure ({})", if in_value { "value" } else { "units" }),
            "stock-out".into(),
            "#order".into(),
            "why".into(),
        ],
        rows: risks
            .iter()
            .map(|p| {
                let e = exposure(p);
                vec![
                    links.sku(p.id, &key(p.id).sku),
                    Cell::text(key(p.id).location.clone()),
                    Cell::number(pct(p.policy.stockout_risk), p.policy.stockout_risk),
                    Cell::number(grouped(e, 0), e),
                    Cell::text(
                        p.policy
                            .stockout_days
                            .map(|d| date_after(as_of, d).to_string())
                            .unwrap_or_default(),
                    ),
                    Cell::number(grouped(p.policy.order_qty, 0), p.policy.order_qty),
                    Cell::text(why(p.id)),
                ]
            })
            .collect(),
        sortable: true,
        ..Default::default()
    }
}

/// Kinds folded away below the others: many rows, each rarely an action.
fn noisy(kind: ExceptionKind) -> bool {
    matches!(kind, ExceptionKind::ForecastBias | ExceptionKind::Outliers)
}

/// What an exception puts at stake, in value (units without costs): the
/// units short or stuck for the kinds that count units, a lead time's
/// demand for a coming stock-out, the stock above the order-up-to level
/// for excess, and a year's demand for the rest.
fn stake(run: &RunOutput, e: &Exception, in_value: bool) -> f64 {
    let p = &run.plans[e.id];
    let price = if in_value { p.unit_cost.max(0.0) } else { 1.0 };
    let units = match e.kind {
        ExceptionKind::BackorderedNow
        | ExceptionKind::OverduePurchaseOrder
        | ExceptionKind::DeadStock => e.value.max(0.0),
        ExceptionKind::StockoutWithinLeadTime | ExceptionKind::BackInStockDelayed => {
            p.policy.lead_time_demand.max(0.0)
        }
        ExceptionKind::Excess => (p.on_hand - p.policy.order_up_to).max(0.0),
        ExceptionKind::LeadTimeOutlier | ExceptionKind::ForecastBias | ExceptionKind::Outliers => {
            return if in_value {
                p.annual_value.max(0.0)
            } else {
                p.forecast.mean.iter().sum::<f64>().max(0.0)
            };
        }
    };
    units * price
}

/// The exceptions by kind: a summary (count and what is at stake per kind)
/// and a table per kind, most at stake first, at most [`ROWS_PER_KIND`]
/// rows; forecast bias and clipped outliers folded away below.
pub(super) fn exception_tables(
    links: &Links<'_>,
    found: &[Exception],
    in_value: bool,
) -> Vec<Table> {
    let run = links.run;
    let unit = if in_value { "value" } else { "units" };
    let mut kinds: Vec<(ExceptionKind, Vec<(&Exception, f64)>)> = ExceptionKind::ALL
        .iter()
        .map(|&k| {
            let mut rows: Vec<(&Exception, f64)> = found
                .iter()
                .filter(|e| e.kind == k)
                .map(|e| (e, stake(run, e, in_value)))
                .collect();
            rows.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.id.cmp(&b.0.id)));
            (k, rows)
        })
        .filter(|(_, rows)| !rows.is_empty())
        .collect();
    kinds.sort_by_key(|(k, _)| noisy(*k));
    let summary = Table {
        id: "exceptions".into(),
        caption: format!("Exceptions ({}) by kind", found.len()),
        note: format!(
            "What each kind puts at stake ({unit}): units short, overdue or stuck at unit cost; a lead time's demand for a coming stock-out; stock above the order-up-to level for excess; a year's demand for the rest. Every row is in exceptions.csv."
        ),
        columns: vec![
            "kind".into(),
            "#series".into(),
            format!("#at stake ({unit})"),
        ],
        rows: kinds
            .iter()
            .map(|(k, rows)| {
                let total: f64 = rows.iter().map(|r| r.1).sum();
                vec![
                    Cell::text(k.name()).link(format!("#exceptions-{}", k.name())),
                    Cell::number(grouped(rows.len() as f64, 0), rows.len() as f64),
                    Cell::number(grouped(total, 0), total),
                ]
            })
            .collect(),
        sortable: false,
        ..Default::default()
    };
    let key = |id: usize| &run.dataset.keys[id];
    let mut out = vec![summary];
    for (kind, rows) in kinds {
        let more = rows.len().saturating_sub(ROWS_PER_KIND);
        out.push(Table {
            id: format!("exceptions-{}", kind.name()),
            caption: format!("{} ({})", kind.name(), rows.len()),
            note: if more > 0 {
                format!("The {ROWS_PER_KIND} with most at stake; {more} more in exceptions.csv.")
            } else {
                String::new()
            },
            columns: vec![
                "sku".into(),
                "location".into(),
                "class".into(),
                format!("#at stake ({unit})"),
                "detail".into(),
            ],
            rows: rows
                .iter()
                .take(ROWS_PER_KIND)
                .map(|(e, s)| {
                    vec![
                        links.sku(e.id, &key(e.id).sku),
                        Cell::text(key(e.id).location.clone()),
                        Cell::text(format!("{}{}", run.plans[e.id].abc, run.plans[e.id].xyz)),
                        Cell::number(grouped(*s, 0), *s),
                        Cell::text(e.detail.clone()),
                    ]
                })
                .collect(),
            sortable: true,
            collapsed: noisy(kind),
            hide_from_nav: true,
        });
    }
    out
}
