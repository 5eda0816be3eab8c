//! `index.html` of a run: the page a planner opens on Monday — headline
//! figures, the portfolio (ABC × XYZ, demand patterns, models, forecast error,
//! service, inventory value, backorder risks, the simulation's trade-off when
//! one ran), and sortable tables of exceptions, orders and open customer
//! order lines linking to the series charts.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;

use crate::charts::{self, BarChart, COUNT, ORDER, STOCK};
use crate::error::{Error, Result};
use crate::exceptions::Exception;
use crate::html::{Cell, Figure, Page, Table, grouped, pct, render};
use crate::output::RunOutput;
use crate::plan::{SeriesPlan, flag_names};

use super::links::Links;
use super::{OrderLine, decisions};

/// Demand-weighted mean of `f` over `plans`, weight = forecast demand over the horizon.
fn weighted(plans: &[&SeriesPlan], f: impl Fn(&SeriesPlan) -> f64) -> Option<f64> {
    let (mut sum, mut w) = (0.0, 0.0);
    for p in plans {
        let weight: f64 = p.forecast.mean.iter().sum();
        if weight > 0.0 {
            sum += f(p) * weight;
            w += weight;
        }
    }
    (w > 0.0).then(|| sum / w)
}

/// Write the portfolio charts into `charts/` and `index.html` into `dir`.
pub fn write(
    run: &RunOutput,
    out: &Path,
    found: &[Exception],
    lines: &[OrderLine<'_>],
    charts: (&[usize], &[String], bool),
    scorecards: Option<&[crate::suppliers::Scorecard]>,
    dir: &Path,
) -> Result<()> {
    let (charted, stems, svg) = charts;
    let links = Links::new(run, charted, stems);
    let plans: Vec<&SeriesPlan> = run.plans.iter().collect();
    let in_value = run.plans.iter().any(|p| p.unit_cost > 0.0);
    let mut page = headline_page(run, &plans, found, out);
    page.decisions = vec![
        decisions::orders_this_week(run, lines),
        decisions::risk_table(&links, found, in_value),
    ];
    page.portfolio_tables = vec![
        abc_xyz_table(&plans),
        service_table(&plans),
        error_table(&plans),
    ];
    let charts_dir = dir.join("charts");
    std::fs::create_dir_all(&charts_dir).map_err(|e| Error::io("cannot create", &charts_dir, e))?;
    portfolio_charts(&mut page, &plans, in_value, &charts_dir, svg)?;
    simulation_section(&mut page, out, run.dataset.as_of, &charts_dir)?;
    page.tables = vec![orders_table(&links, lines)];
    page.tables
        .extend(decisions::exception_tables(&links, found, in_value));
    page.tables
        .extend(super::backorders::html_tables(run, |id, sku| {
            links.sku(id, sku)
        }));
    page.tables.extend(super::suppliers::orders_table(run));
    page.tables
        .extend(scorecards.map(super::suppliers::html_table));
    if let Some(cards) = scorecards.filter(|c| !c.is_empty()) {
        super::suppliers::chart(&mut page, cards, &charts_dir, svg)?;
    }
    page.files = report_files();
    if run.dataset.open_orders.is_some() {
        page.files.extend(backorder_files());
    }
    if scorecards.is_some() {
        page.files.push((
            "supplier_scorecard.csv".into(),
            "per supplier and location: on time, in full, days late, lead time and its change, open lines overdue".into(),
        ));
    }
    let html = render(&page);
    let path = dir.join("index.html");
    std::fs::write(&path, html).map_err(|e| Error::io("cannot write", &path, e))
}

/// The page with its title and headline figures.
fn headline_page(run: &RunOutput, plans: &[&SeriesPlan], found: &[Exception], out: &Path) -> Page {
    let as_of = run.dataset.as_of;
    let target = weighted(plans, |p| p.service.level());
    let mut page = Page {
        title: format!("Replenishment plan as of {as_of}"),
        subtitle: format!(
            "{} series in {} buckets · history before {} · replenish {}",
            run.plans.len(),
            run.panel.bucket,
            as_of,
            env!("CARGO_PKG_VERSION")
        ),
        notices: run.dataset.bucket_note.iter().cloned().collect(),
        ..Page::default()
    };
    page.headlines = vec![
        (
            "series planned".into(),
            grouped(run.plans.len() as f64, 0),
            "SKU-locations in the plan".into(),
        ),
        (
            format!("order lines, worth {}", grouped(run.order_value(), 0)),
            grouped(run.order_lines() as f64, 0),
            "lines in orders.csv and their value at unit cost".into(),
        ),
        (
            "out of stock now".into(),
            grouped(run.out_of_stock() as f64, 0),
            "open customer backorders or no net stock".into(),
        ),
        (
            "at risk before an order can arrive".into(),
            grouped(run.at_risk() as f64, 0),
            "in stock now, but projected to run out within the lead time".into(),
        ),
        (
            format!(
                "fill rate, last 13 weeks (target {})",
                target.map(pct).unwrap_or_default()
            ),
            run.history_fill
                .last_13_weeks
                .map(pct)
                .unwrap_or_else(|| "—".into()),
            "measured in the history: units shipped ÷ (shipped + backordered)".into(),
        ),
        (
            "fill rate, last 52 weeks".into(),
            run.history_fill
                .last_52_weeks
                .map(pct)
                .unwrap_or_else(|| "—".into()),
            "measured in the history: units shipped ÷ (shipped + backordered)".into(),
        ),
        (
            "exceptions".into(),
            grouped(found.len() as f64, 0),
            "rows of exceptions.csv, listed below".into(),
        ),
    ];
    if let Some(fill) = replayed_fill_rate(out, as_of) {
        page.headlines.push((
            "fill rate replayed (simulate)".into(),
            pct(fill),
            "the plan's policy replayed over held-back history at the configured targets (replenish simulate)".into(),
        ));
    }
    let rejected = run.dataset.rejected.len();
    if rejected > 0 {
        page.headlines.push((
            "input rows not used".into(),
            grouped(rejected as f64, 0),
            "listed with their values and the reason in rejected_rows.csv".into(),
        ));
    }

    page
}

/// ABC × XYZ: series and annual demand value per cell.
fn abc_xyz_table(plans: &[&SeriesPlan]) -> Table {
    let mut matrix: BTreeMap<(char, char), (u64, f64)> = BTreeMap::new();
    for p in plans {
        let e = matrix.entry((p.abc, p.xyz)).or_default();
        e.0 += 1;
        e.1 += p.annual_value;
    }
    Table {
        id: "abc-xyz".into(),
        caption: "ABC × XYZ: series (annual demand value)".into(),
        note: "ABC by share of annual demand value, XYZ by the coefficient of variation of the last year's demand.".into(),
        columns: vec!["class".into(), "#X".into(), "#Y".into(), "#Z".into()],
        rows: ['A', 'B', 'C']
            .iter()
            .map(|&a| {
                let mut row = vec![Cell::text(a.to_string())];
                for x in ['X', 'Y', 'Z'] {
                    let (n, v) = matrix.get(&(a, x)).copied().unwrap_or_default();
                    row.push(Cell::number(format!("{} ({})", n, grouped(v, 0)), n as f64));
                }
                row
            })
            .collect(),
        sortable: false,
        ..Default::default()
    }
}

/// Service target, expected fill rate and inventory value by class.
fn service_table(plans: &[&SeriesPlan]) -> Table {
    Table {
        id: "service".into(),
        caption: "Service target and expected fill rate by class".into(),
        note: "Demand-weighted; the expected fill rate is what the reorder points give under the forecast's uncertainty (replenish simulate measures what they achieved over history).".into(),
        columns: vec![
            "class".into(),
            "#series".into(),
            "#target".into(),
            "#expected fill rate".into(),
            "#inventory value now".into(),
            "#after the recommended orders".into(),
        ],
        rows: ['A', 'B', 'C']
            .iter()
            .map(|&a| {
                let members: Vec<&SeriesPlan> =
                    plans.iter().copied().filter(|p| p.abc == a).collect();
                let now: f64 = members.iter().map(|p| p.on_hand.max(0.0) * p.unit_cost).sum();
                let after: f64 = members
                    .iter()
                    .map(|p| (p.on_hand.max(0.0) + p.on_order + p.policy.order_qty) * p.unit_cost)
                    .sum();
                let t = weighted(&members, |p| p.service.level());
                let e = weighted(&members, |p| p.policy.expected_fill_rate);
                vec![
                    Cell::text(a.to_string()),
                    Cell::number(members.len().to_string(), members.len() as f64),
                    Cell::number(t.map(pct).unwrap_or_default(), t.unwrap_or(0.0)),
                    Cell::number(e.map(pct).unwrap_or_default(), e.unwrap_or(0.0)),
                    Cell::number(grouped(now, 0), now),
                    Cell::number(grouped(after, 0), after),
                ]
            })
            .collect(),
        sortable: false,
        ..Default::default()
    }
}

/// Mean backtest MASE by chosen model and class.
fn error_table(plans: &[&SeriesPlan]) -> Table {
    let mut error: BTreeMap<&'static str, [(f64, u32); 3]> = BTreeMap::new();
    for p in plans {
        if let Some(bt) = p.forecast.chosen()
            && bt.mase.is_finite()
        {
            let slot = &mut error.entry(p.forecast.model.name()).or_default()[match p.abc {
                'A' => 0,
                'B' => 1,
                _ => 2,
            }];
            slot.0 += bt.mase;
            slot.1 += 1;
        }
    }
    Table {
        id: "errors".into(),
        caption: "Forecast error by chosen model and class: mean backtest MASE (series)".into(),
        note: "MASE below 1 beats the naive forecast in the backtest.".into(),
        columns: vec!["model".into(), "#A".into(), "#B".into(), "#C".into()],
        rows: error
            .iter()
            .map(|(model, cells)| {
                let mut row = vec![Cell::text(*model)];
                for (sum, n) in cells {
                    row.push(if *n > 0 {
                        Cell::number(
                            format!("{:.2} ({n})", sum / f64::from(*n)),
                            sum / f64::from(*n),
                        )
                    } else {
                        Cell::text("")
                    });
                }
                row
            })
            .collect(),
        sortable: true,
        ..Default::default()
    }
}

/// The portfolio bar charts (patterns, models, inventory value by class)
/// drawn into `charts_dir` and added to the page.
fn portfolio_charts(
    page: &mut Page,
    plans: &[&SeriesPlan],
    in_value: bool,
    charts_dir: &Path,
    with_svg: bool,
) -> Result<()> {
    let mut bar = |stem: &str, caption: &str, chart: BarChart<'_>| -> Result<()> {
        for svg in [false, true].into_iter().filter(|&s| !s || with_svg) {
            let file = charts_dir.join(format!("{stem}.{}", if svg { "svg" } else { "png" }));
            charts::draw_bars(&chart, &file, svg).map_err(|e| Error::Internal(e.to_string()))?;
        }
        page.portfolio_figures.push(Figure {
            caption: caption.into(),
            png: format!("charts/{stem}.png"),
            svg: with_svg.then(|| format!("charts/{stem}.svg")),
        });
        Ok(())
    };
    let mut patterns: BTreeMap<&'static str, f64> = BTreeMap::new();
    for p in plans {
        *patterns.entry(p.pattern.name()).or_default() += 1.0;
    }
    let labels: Vec<String> = patterns.keys().map(|k| k.to_string()).collect();
    bar(
        "portfolio_patterns",
        "Demand patterns (Syntetos–Boylan): how many series of each",
        BarChart {
            title: "Demand patterns",
            x_label: "series",
            labels: &labels,
            series: &[("series", COUNT, patterns.values().copied().collect())],
        },
    )?;
    let mut models: BTreeMap<&'static str, f64> = BTreeMap::new();
    for p in plans {
        *models.entry(p.forecast.model.name()).or_default() += 1.0;
    }
    let mut by_count: Vec<(&str, f64)> = models.into_iter().collect();
    by_count.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let labels: Vec<String> = by_count.iter().map(|m| m.0.to_string()).collect();
    bar(
        "portfolio_models",
        "How often each model was chosen",
        BarChart {
            title: "Chosen forecast model",
            x_label: "series",
            labels: &labels,
            series: &[(
                "series",
                charts::FORECAST,
                by_count.iter().map(|m| m.1).collect(),
            )],
        },
    )?;
    if in_value {
        let classes = ["A".to_string(), "B".to_string(), "C".to_string()];
        let value = |after: bool| -> Vec<f64> {
            ['A', 'B', 'C']
                .iter()
                .map(|&c| {
                    plans
                        .iter()
                        .filter(|p| p.abc == c)
                        .map(|p| {
                            let units = p.on_hand.max(0.0)
                                + if after {
                                    p.on_order + p.policy.order_qty
                                } else {
                                    0.0
                                };
                            units * p.unit_cost
                        })
                        .sum()
                })
                .collect()
        };
        bar(
            "portfolio_inventory",
            "Inventory value by class: on hand now, and once the open and recommended orders are in",
            BarChart {
                title: "Inventory value by ABC class",
                x_label: "value at unit cost",
                labels: &classes,
                series: &[
                    ("on hand now", STOCK, value(false)),
                    ("with open and recommended orders", ORDER, value(true)),
                ],
            },
        )?;
    }
    Ok(())
}

/// The simulation's trade-off chart and table, when one ran for this date.
fn simulation_section(
    page: &mut Page,
    out: &Path,
    as_of: NaiveDate,
    charts_dir: &Path,
) -> Result<()> {
    let sim = out.join(format!("{as_of}-simulation"));
    if sim.join("frontier.png").is_file() {
        for ext in ["png", "svg"] {
            let from = sim.join(format!("frontier.{ext}"));
            let to = charts_dir.join(format!("simulation_frontier.{ext}"));
            if from.is_file() {
                std::fs::copy(&from, &to).map_err(|e| Error::io("cannot copy", &from, e))?;
            }
        }
        let folder = format!("{as_of}-simulation");
        page.portfolio_figures.push(Figure {
            caption: format!(
                "Fill rate against inventory when the policy is replayed over held-back history (replenish simulate; its tables are in {folder}/ beside this report)"
            ),
            png: "charts/simulation_frontier.png".into(),
            svg: charts_dir
                .join("simulation_frontier.svg")
                .is_file()
                .then(|| "charts/simulation_frontier.svg".into()),
        });
        if let Some(table) = simulation_table(&sim.join("simulation.json")) {
            page.portfolio_tables.push(table);
        }
    }

    Ok(())
}

/// Order lines the page lists at most: a large batch's lines are all in
/// orders.csv and orders.xlsx.
const ORDER_LINES_SHOWN: usize = 500;

/// The order lines by supplier: all of them, or the [`ORDER_LINES_SHOWN`]
/// of highest value.
fn orders_table(links: &Links<'_>, lines: &[OrderLine<'_>]) -> Table {
    let run = links.run;
    let total = lines.len();
    let values: Vec<f64> = lines.iter().map(|l| l.qty * l.unit_cost).collect();
    let shown = highest(&values, ORDER_LINES_SHOWN);
    let lines: Vec<&OrderLine<'_>> = shown.iter().map(|&i| &lines[i]).collect();
    let left_out = if shown.len() < total {
        format!(
            "; the {} of highest value shown, all in orders.csv",
            shown.len()
        )
    } else {
        String::new()
    };
    Table {
        id: "orders".into(),
        caption: format!(
            "Orders ({total} lines, worth {}{left_out})",
            grouped(run.order_value(), 2)
        ),
        note: "The lines of orders.csv, by supplier.".into(),
        columns: vec![
            "supplier".into(),
            "sku".into(),
            "location".into(),
            "description".into(),
            "#qty".into(),
            "#value".into(),
            "needed by".into(),
            "flags".into(),
        ],
        rows: lines
            .iter()
            .map(|l| {
                let sku = links.sku(l.plan.id, l.sku);
                vec![
                    Cell::text(l.supplier.clone()),
                    sku,
                    Cell::text(l.location),
                    Cell::text(l.description.clone()),
                    Cell::number(grouped(l.qty, 0), l.qty),
                    Cell::number(grouped(l.qty * l.unit_cost, 2), l.qty * l.unit_cost),
                    Cell::text(l.needed_by.clone()),
                    Cell::text(flag_names(&l.plan.flags, " ")),
                ]
            })
            .collect(),
        sortable: true,
        ..Default::default()
    }
}

/// The indices of the `cap` highest `values` (ties: the first), in their
/// order; all of them when there are no more than `cap`.
fn highest(values: &[f64], cap: usize) -> Vec<usize> {
    let mut shown: Vec<usize> = (0..values.len()).collect();
    if values.len() > cap {
        shown.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
        shown.truncate(cap);
        shown.sort_unstable();
    }
    shown
}

/// The files of the report folder and what each holds.
fn report_files() -> Vec<(String, String)> {
    [
        (
            "plan.csv",
            "every series: classes, forecast, policy, stock, order, dates, flags",
        ),
        ("orders.csv", "the order lines, ready to import"),
        (
            "orders.xlsx",
            "the order lines for buyers, with supplier totals",
        ),
        (
            "orders_by_supplier.csv",
            "per supplier and location: lines, units and value, and what its minimum, containers and the budget did",
        ),
        (
            "orders_deferred.csv",
            "order lines cut, trimmed or deferred, and the expected backorders it costs",
        ),
        (
            "availability.csv",
            "status, available to promise, back-in-stock dates, delays",
        ),
        ("exceptions.csv", "the exceptions above"),
        (
            "forecast.csv",
            "forecast mean and quantiles per series and period",
        ),
        ("accuracy.csv", "backtest errors of every candidate model"),
        ("warnings.csv", "what the run survived in the input"),
        (
            "rejected_rows.csv",
            "input rows the run did not use, and why",
        ),
        ("run.json", "config, input hashes, counts, timings"),
    ]
    .iter()
    .map(|(f, w)| (f.to_string(), w.to_string()))
    .collect()
}

/// The backorder desk's files.
fn backorder_files() -> Vec<(String, String)> {
    [
        (
            "backorder_lines.csv",
            "every open customer order line: ship date, what brings it, delay, substitutes",
        ),
        (
            "customer_updates.csv",
            "the lines to tell a customer about this week, one sentence each",
        ),
        ("atp.csv", "available to promise to new orders, by date"),
    ]
    .iter()
    .map(|(f, w)| (f.to_string(), w.to_string()))
    .collect()
}

/// The fill rate `replenish simulate` achieved at the configured targets
/// (all classes) for the same as-of date, when it ran into `out`.
fn replayed_fill_rate(out: &Path, as_of: NaiveDate) -> Option<f64> {
    let path = out
        .join(format!("{as_of}-simulation"))
        .join("simulation.json");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    doc["summary"]
        .as_array()?
        .iter()
        .find(|r| r["abc"] == "all" && r["policy"] == "replenish")?["fill_rate"]
        .as_f64()
}

/// The simulation's totals per policy (all classes), from its `simulation.json`;
/// `None` when the file is missing or not as expected.
fn simulation_table(path: &Path) -> Option<Table> {
    let text = std::fs::read_to_string(path).ok()?;
    let doc: serde_json::Value = serde_json::from_str(&text).ok()?;
    let measure = doc["inventory_measure"].as_str().unwrap_or("units");
    // The configured policy and the baselines first, visible without
    // scrolling; then the curves (a point per target or weeks of cover).
    let mut summary: Vec<&serde_json::Value> = doc["summary"]
        .as_array()?
        .iter()
        .filter(|r| r["abc"] == "all")
        .collect();
    summary.sort_by_key(|r| {
        let p = r["policy"].as_str().unwrap_or("");
        p.contains("at_target") || p.ends_with("_curve")
    });
    let rows = summary
        .into_iter()
        .map(|r| {
            let num = |k: &str| r[k].as_f64().unwrap_or(0.0);
            let target = r["target"].as_f64();
            vec![
                Cell::text(r["policy"].as_str().unwrap_or("")),
                Cell::number(target.map(pct).unwrap_or_default(), target.unwrap_or(-1.0)),
                Cell::number(pct(num("fill_rate")), num("fill_rate")),
                Cell::number(pct(num("cycle_service")), num("cycle_service")),
                Cell::number(grouped(num("mean_inventory"), 0), num("mean_inventory")),
            ]
        })
        .collect();
    let comparisons: Vec<String> = doc["comparisons"]
        .as_array()?
        .iter()
        .filter_map(|c| {
            let saving = c["saving"].as_f64()?;
            let every_review = c["every_review_saving"]
                .as_f64()
                .map(|s| {
                    format!(
                        " ({:.0} % {} ordering at every review)",
                        s.abs() * 100.0,
                        if s >= 0.0 { "less" } else { "more" }
                    )
                })
                .unwrap_or_default();
            Some(format!(
                "{:.0} % {} than {} at its {:.1} % fill rate{every_review}",
                saving.abs() * 100.0,
                if saving >= 0.0 { "less" } else { "more" },
                c["baseline"].as_str().unwrap_or(""),
                c["fill_rate"].as_f64().unwrap_or(0.0) * 100.0
            ))
        })
        .collect();
    Some(Table {
        id: "simulation".into(),
        caption: format!(
            "Replayed from {} to {}: achieved service and mean inventory ({measure})",
            doc["origin"].as_str().unwrap_or(""),
            doc["as_of"].as_str().unwrap_or("")
        ),
        note: if comparisons.is_empty() {
            "replenish at each fill-rate target, at the configured targets, and the baselines on the same demand and lead times.".into()
        } else {
            format!(
                "Inventory replenish needs for a baseline's fill rate: {}.",
                comparisons.join("; ")
            )
        },
        columns: vec![
            "policy".into(),
            "#target".into(),
            "#fill rate".into(),
            "#cycle service".into(),
            "#mean inventory".into(),
        ],
        rows,
        sortable: true,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::highest;

    #[test]
    fn the_page_lists_the_lines_of_highest_value_in_their_order() {
        let values = [5.0, 1.0, 9.0, 5.0, 0.0, 7.0];
        assert_eq!(highest(&values, 3), [0, 2, 5]);
        assert_eq!(highest(&values, 4), [0, 2, 3, 5]);
        assert_eq!(highest(&values, 6), [0, 1, 2, 3, 4, 5]);
        assert_eq!(highest(&values, 10), [0, 1, 2, 3, 4, 5]);
        assert!(highest(&[], 2).is_empty());
    }
}
