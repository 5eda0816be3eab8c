//! Report: the run's tables (CSV, written through Polars), charts and
//! `run.json` — and the simulation's tables, trade-off chart and
//! `simulation.json` — each written into a temporary folder that is renamed
//! into place only when complete, so a failed run never leaves a half-written
//! report.

mod backorders;
mod decisions;
mod index;
mod links;
mod orders_xlsx;
mod suppliers;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use rayon::prelude::*;
use serde::Serialize;

use crate::calendar::date_after;
use crate::charts::{self, FrontierChart, SeriesChart, StockPanel};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::exceptions;
use crate::forecast::{Calibration, PoolSummary};
use crate::ingest::SeriesKey;
use crate::output::RunOutput;
use crate::plan::{SeriesPlan, flag_names};
use crate::policy;
use crate::simulate::{self, SimulationOutput, Variant, engine::Outcome};

/// Round to 3 decimals for output, mapping −0 and non-finite values to 0.
fn r3(x: f64) -> f64 {
    let v = (x * 1000.0).round() / 1000.0;
    if v.is_finite() && v != 0.0 { v } else { 0.0 }
}

/// A text cell as a spreadsheet must not run it: one that starts with `=`,
/// `+`, `-`, `@`, a tab or a carriage return and is not a number gets a
/// leading apostrophe (the usual neutralising prefix against formula
/// injection from identifiers in the input).
fn neutralise(s: &str) -> std::borrow::Cow<'_, str> {
    if crate::schema::runs_in_a_spreadsheet(s) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// A text cell of a [`Table`]: as given, or given a neutralising prefix.
enum Cell<S> {
    Kept(S),
    Prefixed(String),
}

impl<S: AsRef<str>> AsRef<str> for Cell<S> {
    fn as_ref(&self) -> &str {
        match self {
            Cell::Kept(s) => s.as_ref(),
            Cell::Prefixed(s) => s,
        }
    }
}

/// A table being assembled column by column.
#[derive(Default)]
struct Table {
    columns: Vec<Column>,
}

impl Table {
    fn text<S: AsRef<str>>(
        &mut self,
        name: &str,
        values: impl IntoIterator<Item = S>,
    ) -> &mut Self {
        // Straight into the column: a cell is copied once, by Polars.
        let ca = StringChunked::from_iter_values(
            name.into(),
            values.into_iter().map(|s| match neutralise(s.as_ref()) {
                std::borrow::Cow::Borrowed(_) => Cell::Kept(s),
                std::borrow::Cow::Owned(prefixed) => Cell::Prefixed(prefixed),
            }),
        );
        self.columns.push(ca.into_column());
        self
    }

    fn opt_text(
        &mut self,
        name: &str,
        values: impl IntoIterator<Item = Option<String>>,
    ) -> &mut Self {
        let v: Vec<Option<String>> = values
            .into_iter()
            .map(|s| s.map(|s| neutralise(&s).into_owned()))
            .collect();
        self.columns.push(Column::new(name.into(), v));
        self
    }

    fn num(&mut self, name: &str, values: impl IntoIterator<Item = f64>) -> &mut Self {
        let v: Vec<f64> = values.into_iter().map(r3).collect();
        self.columns.push(Column::new(name.into(), v));
        self
    }

    fn opt_num(&mut self, name: &str, values: impl IntoIterator<Item = Option<f64>>) -> &mut Self {
        let v: Vec<Option<f64>> = values.into_iter().map(|x| x.map(r3)).collect();
        self.columns.push(Column::new(name.into(), v));
        self
    }

    fn int(&mut self, name: &str, values: impl IntoIterator<Item = u64>) -> &mut Self {
        let v: Vec<u64> = values.into_iter().collect();
        self.columns.push(Column::new(name.into(), v));
        self
    }

    fn write(&mut self, path: &Path) -> Result<()> {
        CsvChunks::create(path)?.put(self)
    }
}

/// A CSV file written a chunk of rows at a time, the header with the first:
/// a table of tens of millions of rows (the forecasts and backtests of a
/// million series) is never assembled whole.
struct CsvChunks {
    file: File,
    path: PathBuf,
    header_written: bool,
}

impl CsvChunks {
    fn create(path: &Path) -> Result<CsvChunks> {
        Ok(CsvChunks {
            file: File::create(path).map_err(|e| Error::io("cannot write", path, e))?,
            path: path.to_path_buf(),
            header_written: false,
        })
    }

    /// Append the rows of `t` (its columns are taken).
    fn put(&mut self, t: &mut Table) -> Result<()> {
        let path = self.path.display();
        let mut df = DataFrame::new_infer_height(std::mem::take(&mut t.columns))
            .map_err(|e| Error::Internal(format!("building {path}: {e}")))?;
        CsvWriter::new(&mut self.file)
            .include_header(!self.header_written)
            .with_float_scientific(Some(false))
            .finish(&mut df)
            .map_err(|e| Error::Internal(format!("writing {path}: {e}")))?;
        self.header_written = true;
        Ok(())
    }
}

/// Plans per chunk of plan.csv and of the tables with a row per plan and
/// step or backtest.
const PLANS_PER_CHUNK: usize = 20_000;

/// `plans` in chunks of [`PLANS_PER_CHUNK`]; one empty chunk when there
/// are none (the file still gets its header).
fn plan_chunks(plans: &[SeriesPlan]) -> Vec<&[SeriesPlan]> {
    if plans.is_empty() {
        vec![plans]
    } else {
        plans.chunks(PLANS_PER_CHUNK).collect()
    }
}

fn io_write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| Error::io("cannot write", path, e))
}

/// Write every output of the run into `out/<as-of>/`, atomically.
pub fn write(run: &RunOutput, config: &Config, out: &Path) -> Result<()> {
    write_atomically(out, &run.report_dir, |dir| write_all(run, config, out, dir))
}

/// Fill a temporary folder beside `final_dir` with `fill`, then rename it into
/// place (replacing an earlier folder of the same name); on failure nothing
/// but the earlier folder is left.
fn write_atomically(
    out: &Path,
    final_dir: &Path,
    fill: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| Error::io("cannot create", out, e))?;
    recover(out)?;
    let name = final_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = out.join(format!(".{name}.tmp-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| Error::io("cannot remove", &tmp, e))?;
    }
    std::fs::create_dir_all(&tmp).map_err(|e| Error::io("cannot create", &tmp, e))?;
    let result = fill(&tmp).and_then(|()| replace_dir(&tmp, final_dir));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

/// Whether process `pid` runs (Linux: `/proc/<pid>`; elsewhere assumed alive,
/// so nothing of another process is ever touched).
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

/// Clean up after runs that were killed while writing into `out`: a
/// `.<name>.tmp-<pid>` folder of a dead process is removed; a
/// `.<name>.old-<pid>` one (a previous report moved aside just before the new
/// one was renamed in) goes back to `<name>` when that is missing, else is
/// removed.
fn recover(out: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(out) else {
        return Ok(());
    };
    let mut found: Vec<(PathBuf, String, bool)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let file = e.file_name().to_string_lossy().into_owned();
            let rest = file.strip_prefix('.')?;
            let (name, kind_pid) = rest.rsplit_once('.')?;
            let (old, pid) = match kind_pid.split_once('-')? {
                ("tmp", pid) => (false, pid),
                ("old", pid) => (true, pid),
                _ => return None,
            };
            let pid: u32 = pid.parse().ok()?;
            (pid != std::process::id() && !process_alive(pid))
                .then(|| (e.path(), name.to_string(), old))
        })
        .collect();
    found.sort();
    for (path, name, old) in found {
        let target = out.join(&name);
        if old && !target.exists() {
            std::fs::rename(&path, &target).map_err(|e| Error::io("cannot restore", &path, e))?;
        } else {
            std::fs::remove_dir_all(&path).map_err(|e| Error::io("cannot remove", &path, e))?;
        }
    }
    Ok(())
}

/// Move `tmp` to `target`, replacing a previous report of the same date.
fn replace_dir(tmp: &Path, target: &Path) -> Result<()> {
    let old: Option<PathBuf> = if target.exists() {
        let parent = target.parent().unwrap_or(Path::new("."));
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        std::fs::rename(target, &old).map_err(|e| Error::io("cannot move aside", target, e))?;
        Some(old)
    } else {
        None
    };
    if let Err(e) = std::fs::rename(tmp, target) {
        if let Some(old) = &old {
            let _ = std::fs::rename(old, target);
        }
        return Err(Error::io("cannot rename the report into", target, e));
    }
    if let Some(old) = old {
        std::fs::remove_dir_all(&old).map_err(|e| Error::io("cannot remove", &old, e))?;
    }
    Ok(())
}

fn write_all(run: &RunOutput, config: &Config, out: &Path, dir: &Path) -> Result<()> {
    write_plan(run, &dir.join("plan.csv"))?;
    let lines = order_lines(run);
    write_orders(&lines, &dir.join("orders.csv"))?;
    orders_xlsx::write(run.dataset.as_of, &lines, &dir.join("orders.xlsx"))?;
    suppliers::write_orders(run, &lines, &dir.join("orders_by_supplier.csv"))?;
    suppliers::write_deferred(run, &dir.join("orders_deferred.csv"))?;
    write_forecast(run, config, &dir.join("forecast.csv"))?;
    write_accuracy(run, &dir.join("accuracy.csv"))?;
    write_availability(run, &dir.join("availability.csv"))?;
    backorders::write(run, dir)?;
    let cards = scorecards(run, config);
    if let Some(cards) = &cards {
        suppliers::write(cards, &dir.join("supplier_scorecard.csv"))?;
    }
    write_warnings(run, &dir.join("warnings.csv"))?;
    write_rejected(run, &dir.join("rejected_rows.csv"))?;
    let found = exceptions::find(run, config);
    write_exceptions(run, &found, &dir.join("exceptions.csv"))?;
    let ids = charted(run, config, &found);
    let stems = chart_stems(&run.dataset.keys);
    let svg = config.report.svg();
    let charts = write_charts(run, (&ids, &stems), &dir.join("charts"), svg)?;
    index::write(
        run,
        out,
        &found,
        &lines,
        (&ids, &stems, svg),
        cards.as_deref(),
        dir,
    )?;
    let mut by_kind: BTreeMap<&'static str, u64> = BTreeMap::new();
    for e in &found {
        *by_kind.entry(e.kind.name()).or_default() += 1;
    }
    write_run_json(run, config, &charts, &by_kind, &dir.join("run.json"))
}

/// The supplier scorecard, when the run read purchase orders.
fn scorecards(run: &RunOutput, config: &Config) -> Option<Vec<crate::suppliers::Scorecard>> {
    let d = &run.dataset;
    d.files
        .iter()
        .any(|f| f.name == "purchase_orders")
        .then(|| {
            crate::suppliers::scorecards(
                d,
                crate::calendar::day_number(d.as_of),
                config.purchasing.scorecard_days,
            )
        })
}

fn sku_loc(run: &RunOutput, plans: &[&SeriesPlan]) -> (Vec<String>, Vec<String>) {
    plans
        .iter()
        .map(|p| {
            let k = &run.dataset.keys[p.id];
            (k.sku.clone(), k.location.clone())
        })
        .unzip()
}

fn item_text(
    run: &RunOutput,
    plans: &[&SeriesPlan],
    f: impl Fn(&crate::ingest::Item) -> Option<String>,
) -> Vec<Option<String>> {
    plans
        .iter()
        .map(|p| run.dataset.items[p.id].as_ref().and_then(&f))
        .collect()
}

fn write_plan(run: &RunOutput, path: &Path) -> Result<()> {
    let mut csv = CsvChunks::create(path)?;
    for chunk in plan_chunks(&run.plans) {
        let plans: Vec<&SeriesPlan> = chunk.iter().collect();
        let mut t = Table::default();
        plan_classes(&mut t, run, &plans);
        plan_forecast(&mut t, &plans);
        plan_policy(&mut t, &plans);
        plan_stock_and_order(&mut t, &plans, run.dataset.as_of);
        csv.put(&mut t)?;
    }
    Ok(())
}

/// plan.csv: the series, its item data and its classes.
fn plan_classes(t: &mut Table, run: &RunOutput, plans: &[&SeriesPlan]) {
    let (sku, loc) = sku_loc(run, plans);
    t.text("sku", sku)
        .text("location", loc)
        .opt_text(
            "description",
            item_text(run, plans, |i| i.description.clone()),
        )
        .opt_text("supplier", item_text(run, plans, |i| i.supplier.clone()))
        .text("abc", plans.iter().map(|p| p.abc.to_string()))
        .text("xyz", plans.iter().map(|p| p.xyz.to_string()))
        .text("pattern", plans.iter().map(|p| p.pattern.name()))
        .text("lifecycle", plans.iter().map(|p| p.lifecycle.name()))
        .text(
            "lifecycle_reason",
            plans.iter().map(|p| p.lifecycle_reason.as_str()),
        )
        .opt_text(
            "successor_sku",
            item_text(run, plans, |i| i.successor_sku.clone()),
        );
}

/// plan.csv: the forecast.
fn plan_forecast(t: &mut Table, plans: &[&SeriesPlan]) {
    t.text("model", plans.iter().map(|p| p.forecast.label()))
        .opt_num(
            "backtest_mase",
            plans.iter().map(|p| p.forecast.chosen().map(|b| b.mase)),
        )
        .num(
            "forecast_per_period",
            plans
                .iter()
                .map(|p| p.forecast.mean.first().copied().unwrap_or(0.0)),
        )
        .num("forecast_error_sd", plans.iter().map(|p| p.forecast.sigma));
}

/// plan.csv: lead time, lead-time demand, service and the policy's levels.
fn plan_policy(t: &mut Table, plans: &[&SeriesPlan]) {
    t.num("lead_time_days", plans.iter().map(|p| p.lead_time_days))
        .num(
            "lead_time_sd_days",
            plans.iter().map(|p| p.lead_time_sd_days),
        )
        .text(
            "lead_time_source",
            plans.iter().map(|p| p.lead_time_source.name()),
        )
        .num(
            "review_period_days",
            plans.iter().map(|p| p.review_period_days),
        )
        .num(
            "lead_time_demand",
            plans.iter().map(|p| p.policy.lead_time_demand),
        )
        .num(
            "lead_time_demand_sd",
            plans.iter().map(|p| p.policy.lead_time_demand_sd),
        )
        .text("service_type", plans.iter().map(|p| p.service.kind()))
        .num("service_target", plans.iter().map(|p| p.service.level()))
        .num(
            "planned_target",
            plans.iter().map(|p| p.policy_input.service.level()),
        )
        .num(
            "expected_fill_rate",
            plans.iter().map(|p| p.policy.expected_fill_rate),
        )
        .text(
            "demand_distribution",
            plans.iter().map(|p| p.policy.distribution.name()),
        )
        .num("safety_stock", plans.iter().map(|p| p.policy.safety_stock))
        .num(
            "reorder_point",
            plans.iter().map(|p| p.policy.reorder_point),
        )
        .num("order_up_to", plans.iter().map(|p| p.policy.order_up_to))
        .num(
            "cycle_order_qty",
            plans.iter().map(|p| p.policy.cycle_quantity),
        )
        .text(
            "cycle_order_source",
            plans
                .iter()
                .map(|p| if p.eoq.is_some() { "eoq" } else { "cover" }),
        );
}

/// plan.csv: stock, the order, its dates and the flags.
fn plan_stock_and_order(t: &mut Table, plans: &[&SeriesPlan], as_of: chrono::NaiveDate) {
    let date = |d: Option<i64>| d.map(|d| date_after(as_of, d).to_string());
    t.num("on_hand", plans.iter().map(|p| p.on_hand))
        .num("on_order", plans.iter().map(|p| p.on_order))
        .num("backordered", plans.iter().map(|p| p.backordered))
        .num("allocated", plans.iter().map(|p| p.allocated))
        .num(
            "inventory_position",
            plans.iter().map(|p| p.policy.inventory_position),
        )
        .num("order_qty", plans.iter().map(|p| p.policy.order_qty))
        .num(
            "uncovered_backorders",
            plans.iter().map(|p| p.policy.uncovered_backorders),
        )
        .num("moq", plans.iter().map(|p| p.moq))
        .num("pack_size", plans.iter().map(|p| p.pack_size))
        .num("unit_cost", plans.iter().map(|p| p.unit_cost))
        .num(
            "order_value",
            plans.iter().map(|p| p.policy.order_qty * p.unit_cost),
        )
        .opt_text(
            "order_by",
            plans.iter().map(|p| date(p.policy.order_by_days)),
        )
        .opt_text(
            "projected_stockout",
            plans.iter().map(|p| date(p.policy.stockout_days)),
        )
        .num(
            "stockout_risk",
            plans.iter().map(|p| p.policy.stockout_risk),
        )
        .opt_num(
            "days_of_cover",
            plans.iter().map(|p| p.policy.days_of_cover),
        )
        .num("annual_value", plans.iter().map(|p| p.annual_value))
        .text("flags", plans.iter().map(|p| flag_names(&p.flags, ";")));
}

/// One purchase-order line.
pub(crate) struct OrderLine<'a> {
    supplier: String,
    sku: &'a str,
    location: &'a str,
    description: String,
    qty: f64,
    unit_cost: f64,
    order_by: String,
    needed_by: String,
    plan: &'a SeriesPlan,
}

/// Days from the planning date to the day an order line goes out: today,
/// or the supplier's next order day.
fn order_day(p: &SeriesPlan) -> i64 {
    p.policy.order_by_days.unwrap_or(0).max(0)
}

/// One supplier's order lines and their totals.
pub(crate) struct SupplierLines<'a> {
    /// The supplier ("" when the item master names none).
    name: &'a str,
    /// Its lines, in series order.
    lines: Vec<&'a OrderLine<'a>>,
    /// Units ordered.
    units: f64,
    /// Value at unit cost.
    value: f64,
    /// The first order-by date of its lines.
    order_by: &'a str,
    /// The first needed-by date of its lines.
    needed_by: &'a str,
}

/// `lines` by supplier, in their order: lines grouped by supplier, as
/// [`order_lines`] gives them (a filter of them keeps that).
fn by_supplier<'a>(lines: impl IntoIterator<Item = &'a OrderLine<'a>>) -> Vec<SupplierLines<'a>> {
    let mut out: Vec<SupplierLines<'a>> = Vec::new();
    for l in lines {
        let s = match out.last_mut() {
            Some(s) if s.name == l.supplier => s,
            _ => {
                out.push(SupplierLines {
                    name: &l.supplier,
                    lines: Vec::new(),
                    units: 0.0,
                    value: 0.0,
                    order_by: &l.order_by,
                    needed_by: &l.needed_by,
                });
                out.last_mut().expect("just pushed")
            }
        };
        s.lines.push(l);
        s.units += l.qty;
        s.value += l.qty * l.unit_cost;
        s.order_by = s.order_by.min(l.order_by.as_str());
        s.needed_by = s.needed_by.min(l.needed_by.as_str());
    }
    out
}

/// The lines to order, grouped by supplier (then series order).
fn order_lines(run: &RunOutput) -> Vec<OrderLine<'_>> {
    let as_of = run.dataset.as_of;
    let mut lines: Vec<OrderLine<'_>> = run
        .plans
        .iter()
        .filter(|p| p.policy.order_qty > 0.0)
        .map(|p| {
            let item = run.dataset.items[p.id].as_ref();
            let key = &run.dataset.keys[p.id];
            OrderLine {
                supplier: crate::suppliers::series_supplier(&run.dataset, p.id)
                    .unwrap_or_default()
                    .to_string(),
                sku: &key.sku,
                location: &key.location,
                description: item.and_then(|i| i.description.clone()).unwrap_or_default(),
                qty: p.policy.order_qty,
                unit_cost: p.unit_cost,
                order_by: date_after(as_of, order_day(p)).to_string(),
                needed_by: date_after(as_of, order_day(p) + p.lead_time_days.ceil() as i64)
                    .to_string(),
                plan: p,
            }
        })
        .collect();
    lines.sort_by(|a, b| a.supplier.cmp(&b.supplier).then(a.plan.id.cmp(&b.plan.id)));
    lines
}

fn write_orders(lines: &[OrderLine<'_>], path: &Path) -> Result<()> {
    let mut t = Table::default();
    t.text("supplier", lines.iter().map(|l| l.supplier.as_str()))
        .text("sku", lines.iter().map(|l| l.sku))
        .text("location", lines.iter().map(|l| l.location))
        .text("description", lines.iter().map(|l| l.description.as_str()))
        .num("qty", lines.iter().map(|l| l.qty))
        .num("unit_cost", lines.iter().map(|l| l.unit_cost))
        .num("extended_cost", lines.iter().map(|l| l.qty * l.unit_cost))
        .text("order_by", lines.iter().map(|l| l.order_by.as_str()))
        .text("needed_by", lines.iter().map(|l| l.needed_by.as_str()))
        .num("moq", lines.iter().map(|l| l.plan.moq))
        .num("pack_size", lines.iter().map(|l| l.plan.pack_size))
        .text(
            "flags",
            lines.iter().map(|l| flag_names(&l.plan.flags, ";")),
        );
    t.write(path)
}

/// Column name of a quantile level: 0.1 → "p10", 0.975 → "p97.5".
fn quantile_name(level: f64) -> String {
    let pct = (level * 1000.0).round() / 10.0;
    format!("p{pct}")
}

fn write_forecast(run: &RunOutput, config: &Config, path: &Path) -> Result<()> {
    let bucket = run.panel.bucket;
    let levels = config.quantile_levels();
    let horizon = run.plans.iter().map(|p| p.forecast.mean.len()).max();
    let starts: Vec<String> = (0..horizon.unwrap_or(0))
        .map(|h| bucket.start(run.panel.end + h as i64).to_string())
        .collect();
    let mut csv = CsvChunks::create(path)?;
    for plans in plan_chunks(&run.plans) {
        csv.put(&mut forecast_rows(run, plans, &levels, &starts))?;
    }
    Ok(())
}

/// The rows of forecast.csv of `plans`: one per step.
fn forecast_rows(
    run: &RunOutput,
    plans: &[SeriesPlan],
    levels: &[f64],
    starts: &[String],
) -> Table {
    let (mut sku, mut loc, mut start, mut mean) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut quantiles: Vec<Vec<f64>> = vec![Vec::new(); levels.len()];
    for p in plans {
        let k = &run.dataset.keys[p.id];
        for (h, &m) in p.forecast.mean.iter().enumerate() {
            sku.push(k.sku.as_str());
            loc.push(k.location.as_str());
            start.push(starts[h].as_str());
            mean.push(m);
            for (q, &level) in quantiles.iter_mut().zip(levels) {
                q.push(p.forecast.quantile(h, level));
            }
        }
    }
    let mut t = Table::default();
    t.text("sku", sku)
        .text("location", loc)
        .text("period_start", start)
        .num("mean", mean);
    for (q, &level) in quantiles.into_iter().zip(levels) {
        t.num(&quantile_name(level), q);
    }
    t
}

fn write_accuracy(run: &RunOutput, path: &Path) -> Result<()> {
    let mut csv = CsvChunks::create(path)?;
    for plans in plan_chunks(&run.plans) {
        csv.put(&mut accuracy_rows(run, plans))?;
    }
    Ok(())
}

/// The rows of accuracy.csv of `plans`: one per candidate backtested.
fn accuracy_rows(run: &RunOutput, plans: &[SeriesPlan]) -> Table {
    let mut rows = Vec::new();
    for p in plans {
        for b in &p.forecast.backtests {
            rows.push((p.id, b, b.model == p.forecast.model));
        }
    }
    let mut t = Table::default();
    t.text(
        "sku",
        rows.iter().map(|r| run.dataset.keys[r.0].sku.as_str()),
    )
    .text(
        "location",
        rows.iter().map(|r| run.dataset.keys[r.0].location.as_str()),
    )
    .text("model", rows.iter().map(|r| r.1.model.name()))
    .int("origins", rows.iter().map(|r| r.1.origins as u64))
    .int("horizon", rows.iter().map(|r| r.1.horizon as u64))
    .num("mae", rows.iter().map(|r| r.1.mae))
    .num("rmse", rows.iter().map(|r| r.1.rmse))
    .num("mase", rows.iter().map(|r| r.1.mase))
    .num("bias", rows.iter().map(|r| r.1.bias))
    .text(
        "chosen",
        rows.iter().map(|r| if r.2 { "true" } else { "false" }),
    );
    t
}

fn write_exceptions(run: &RunOutput, found: &[exceptions::Exception], path: &Path) -> Result<()> {
    let keys = |e: &exceptions::Exception| &run.dataset.keys[e.id];
    let supplier = |e: &exceptions::Exception| {
        run.dataset.items[e.id]
            .as_ref()
            .and_then(|i| i.supplier.clone())
    };
    let mut t = Table::default();
    t.text("sku", found.iter().map(|e| keys(e).sku.as_str()))
        .text("location", found.iter().map(|e| keys(e).location.as_str()))
        .opt_text("supplier", found.iter().map(supplier))
        .text("exception", found.iter().map(|e| e.kind.name()))
        .num("value", found.iter().map(|e| e.value))
        .text("detail", found.iter().map(|e| e.detail.as_str()));
    t.write(path)
}

fn write_availability(run: &RunOutput, path: &Path) -> Result<()> {
    let rows = &run.availability;
    let as_of = run.dataset.as_of;
    let key = |id: usize| &run.dataset.keys[id];
    let day = |d: Option<i64>| d.map(|d| date_after(as_of, d).to_string());
    let mut t = Table::default();
    t.text("sku", rows.iter().map(|a| key(a.id).sku.as_str()))
        .text("location", rows.iter().map(|a| key(a.id).location.as_str()))
        .text("status", rows.iter().map(|a| a.status.name()))
        .num(
            "available_to_promise",
            rows.iter().map(|a| a.available_to_promise),
        )
        .num("backordered", rows.iter().map(|a| a.backordered))
        .opt_text(
            "expected_stockout",
            rows.iter().map(|a| day(a.stockout_days)),
        )
        .opt_text(
            "back_in_stock",
            rows.iter().map(|a| day(a.back_in_stock.map(|b| b.0))),
        )
        .opt_text(
            "back_in_stock_by",
            rows.iter()
                .map(|a| a.back_in_stock.map(|b| b.1.name().to_string())),
        )
        .opt_text(
            "previous_back_in_stock",
            rows.iter()
                .map(|a| a.previous_back_in_stock.map(|d| d.to_string())),
        )
        .opt_num(
            "delay_days",
            rows.iter().map(|a| a.delay_days.map(|d| d as f64)),
        );
    t.write(path)
}

fn write_warnings(run: &RunOutput, path: &Path) -> Result<()> {
    let w = run.dataset.warnings.listed();
    let mut t = Table::default();
    t.text("kind", w.iter().map(|w| w.kind))
        .text("file", w.iter().map(|w| w.file.as_str()))
        .opt_text("line", w.iter().map(|w| w.line.map(|l| l.to_string())))
        .text("sku", w.iter().map(|w| w.sku.as_str()))
        .text("location", w.iter().map(|w| w.location.as_str()))
        .text("message", w.iter().map(|w| w.message.as_str()));
    t.write(path)
}

/// Input rows the run did not use, with their values, for whoever fixes the data.
fn write_rejected(run: &RunOutput, path: &Path) -> Result<()> {
    let r = &run.dataset.rejected;
    let mut t = Table::default();
    t.text("file", r.iter().map(|r| r.file.as_str()))
        .text("line", r.iter().map(|r| r.line.to_string()))
        .text("column", r.iter().map(|r| r.column.as_str()))
        .text("reason", r.iter().map(|r| r.reason))
        .text("message", r.iter().map(|r| r.message.as_str()))
        .text("record", r.iter().map(|r| r.record.as_str()));
    t.write(path)
}

/// File-name-safe version of a key part.
fn safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Draw the charts of the highest-value series; returns the files written.
/// Series that get a chart, in series order: those with an order line, then
/// those with an exception about service (backordered now, stock-out within
/// the lead time, back-in-stock delay, overdue PO), then the `report.charts`
/// highest by annual value, then those with any other exception — each group
/// by value — up to `report.max_series_charts`.
fn charted(run: &RunOutput, config: &Config, found: &[exceptions::Exception]) -> Vec<usize> {
    let n = run.plans.len();
    let mut by_value: Vec<usize> = (0..n).collect();
    by_value.sort_by(|&a, &b| {
        run.plans[b]
            .annual_value
            .total_cmp(&run.plans[a].annual_value)
            .then(a.cmp(&b))
    });
    // Lower rank = drawn first.
    let mut rank = vec![u8::MAX; n];
    for &id in by_value.iter().take(config.report.charts) {
        rank[id] = 2;
    }
    for e in found {
        let r = if e.kind.is_service() { 1 } else { 3 };
        rank[e.id] = rank[e.id].min(r);
    }
    for p in run.plans.iter().filter(|p| p.policy.order_qty > 0.0) {
        rank[p.id] = 0;
    }
    let mut chosen: Vec<usize> = by_value
        .into_iter()
        .filter(|&i| rank[i] < u8::MAX)
        .collect();
    chosen.sort_by_key(|&i| rank[i]); // stable: by value within a rank
    chosen.truncate(config.report.max_series_charts);
    chosen.sort_unstable();
    chosen
}

/// Longest chart file stem before its hash (file systems allow 255 bytes).
const MAX_CHART_STEM: usize = 80;

/// File stem of each series' charts inside `charts/` (key order): SKU and
/// location with every character but ASCII letters, digits, `-` and `_`
/// replaced by `_`. Where that changed the name, cut it (at
/// [`MAX_CHART_STEM`]) or made it collide with another series' stem — also
/// ignoring case, for case-insensitive file systems — an 8-digit stable
/// hash of the exact key follows: one file per series, of bounded length.
pub(crate) fn chart_stems(keys: &[SeriesKey]) -> Vec<String> {
    let base: Vec<String> = keys
        .iter()
        .map(|k| format!("{}__{}", safe(&k.sku), safe(&k.location)))
        .collect();
    let mut uses: HashMap<String, usize> = HashMap::new();
    for b in &base {
        *uses.entry(b.to_ascii_lowercase()).or_default() += 1;
    }
    keys.iter()
        .zip(base)
        .map(|(k, b)| {
            let exact = b.len() == k.sku.len() + 2 + k.location.len()
                && b == format!("{}__{}", k.sku, k.location);
            if exact && b.len() <= MAX_CHART_STEM && uses[&b.to_ascii_lowercase()] == 1 {
                b
            } else {
                let mut stem = b;
                stem.truncate(MAX_CHART_STEM);
                format!("{stem}_{:08x}", k.stable_hash() as u32)
            }
        })
        .collect()
}

/// Draw the charts of the `ids` series (PNG, and SVG beside it) in parallel;
/// returns the PNG paths relative to the report folder.
/// Per series, the units of open customer order lines that can ship in
/// full on each day (the backorder desk), for the charts.
fn served_backorders(run: &RunOutput) -> HashMap<usize, Vec<(i64, f64)>> {
    let mut by: BTreeMap<(usize, i64), f64> = BTreeMap::new();
    for l in &run.desk.lines {
        if let Some(d) = l.allocation.ship_day {
            *by.entry((l.id, d)).or_default() += l.line.qty;
        }
    }
    let mut out: HashMap<usize, Vec<(i64, f64)>> = HashMap::new();
    for ((id, d), units) in by {
        out.entry(id).or_default().push((d, units));
    }
    out
}

fn write_charts(
    run: &RunOutput,
    (ids, stems): (&[usize], &[String]),
    dir: &Path,
    svg: bool,
) -> Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
    let bucket = run.panel.bucket;
    let served = served_backorders(run);
    ids.par_iter()
        .map(|&id| {
            let p = &run.plans[id];
            let key = &run.dataset.keys[p.id];
            let h = &run.panel.series[p.id];
            let history_start: Vec<_> = (0..h.demand.len())
                .map(|i| bucket.start(h.start + i as i64))
                .collect();
            let forecast_start: Vec<_> = (0..p.forecast.mean.len())
                .map(|i| bucket.start(run.panel.end + i as i64))
                .collect();
            let steps = 0..p.forecast.mean.len();
            let p10: Vec<f64> = steps.clone().map(|k| p.forecast.quantile(k, 0.1)).collect();
            let p90: Vec<f64> = steps.map(|k| p.forecast.quantile(k, 0.9)).collect();
            let description = run.dataset.items[p.id]
                .as_ref()
                .and_then(|i| i.description.clone())
                .unwrap_or_default();
            let title = format!("{} @ {} — {}", key.sku, key.location, description);
            let subtitle = format!(
                "as of {} · model {} · lead time {:.1} d · service {:.0} % · class {}{} · reorder point {:.0} · order-up-to {:.0} · position {:.0} · order {}",
                run.dataset.as_of,
                p.forecast.model,
                p.lead_time_days,
                p.service.level() * 100.0,
                p.abc,
                p.xyz,
                p.policy.reorder_point,
                p.policy.order_up_to,
                p.policy.inventory_position,
                r3(p.policy.order_qty)
            );
            let unit_label = format!("units / {}", bucket.name());
            let projection = policy::project(&p.policy_input, p.policy.order_qty);
            let backordered = h.backordered();
            let chart = SeriesChart {
                title: &title,
                subtitle: &subtitle,
                unit_label: &unit_label,
                history_start: &history_start,
                shipped: h.shipped(),
                backordered: &backordered,
                forecast_start: &forecast_start,
                forecast_mean: &p.forecast.mean,
                forecast_p10: &p10,
                forecast_p90: &p90,
                // Stock levels are drawn in the stock panel below; on this
                // demand-per-bucket axis they would dwarf the history.
                reorder_point: 0.0,
                order_up_to: 0.0,
                bucket_days: bucket.mean_days().round() as i64,
                stock: Some(StockPanel {
                    start: run.dataset.as_of,
                    on_hand: &projection.on_hand,
                    with_order: &projection.with_order,
                    position: &projection.position,
                    reorder_point: p.policy.reorder_point,
                    order_up_to: p.policy.order_up_to,
                    arrivals: &p.policy_input.arrivals,
                    order: (p.policy.order_qty > 0.0)
                        .then_some((projection.order_arrival, p.policy.order_qty)),
                    stockout_day: p.policy.stockout_days,
                    served: served.get(&id).map_or(&[], Vec::as_slice),
                }),
            };
            let stem = &stems[id];
            charts::draw_series_png(&chart, &dir.join(format!("{stem}.png")))
                .map_err(|e| Error::Internal(e.to_string()))?;
            if svg {
                charts::draw_series_svg(&chart, &dir.join(format!("{stem}.svg")))
                    .map_err(|e| Error::Internal(e.to_string()))?;
            }
            Ok(format!("charts/{stem}.png"))
        })
        .collect()
}

#[derive(Serialize)]
struct RunJson<'a> {
    tool: &'static str,
    version: &'static str,
    as_of: String,
    bucket: &'static str,
    first_forecast_period: String,
    config: &'a Config,
    inputs: Vec<InputJson<'a>>,
    counts: BTreeMap<&'static str, u64>,
    warnings: &'a BTreeMap<&'static str, u64>,
    exceptions: &'a BTreeMap<&'static str, u64>,
    charts: &'a [String],
    /// Folder name (date) of the previous report the delays were measured against.
    previous_report: Option<String>,
    forecast_spread_calibration: Calibration,
    /// `policy.auto_calibrate`: per ABC class, the target planned with for
    /// the configured one (empty when off).
    service_calibration: BTreeMap<String, ServiceCalibrationJson>,
    /// Pooled standardised forecast errors over lead time + review, per pool
    /// (ABC class, `all`), when `policy.lead_time_demand = "empirical"`.
    lead_time_demand_errors: BTreeMap<String, PoolSummary>,
    /// The same over lead time + a whole review period (a base stock
    /// ordered up to at every review).
    lead_time_and_review_demand_errors: BTreeMap<String, PoolSummary>,
    timings_seconds: BTreeMap<&'static str, f64>,
}

/// The input files as `run.json` and `simulation.json` list them.
fn inputs(dataset: &crate::ingest::Dataset) -> Vec<InputJson<'_>> {
    dataset
        .files
        .iter()
        .map(|f| InputJson {
            file: f.name,
            path: &f.path,
            format: f.format,
            sha256: &f.sha256,
            rows: f.rows,
        })
        .collect()
}

#[derive(Serialize)]
struct InputJson<'a> {
    file: &'static str,
    path: &'a str,
    format: &'static str,
    sha256: &'a str,
    rows: usize,
}

fn write_run_json(
    run: &RunOutput,
    config: &Config,
    charts: &[String],
    exceptions: &BTreeMap<&'static str, u64>,
    path: &Path,
) -> Result<()> {
    let mut counts = BTreeMap::new();
    counts.insert("series", run.plans.len() as u64);
    counts.insert("order_lines", run.order_lines() as u64);
    counts.insert("at_risk", run.at_risk() as u64);
    counts.insert("out_of_stock", run.out_of_stock() as u64);
    counts.insert(
        "back_in_stock_delays",
        run.availability
            .iter()
            .filter(|a| a.delay_days.is_some())
            .count() as u64,
    );
    counts.insert("rejected_rows", run.dataset.rejected.len() as u64);
    counts.insert(
        "forecast_periods",
        run.plans.iter().map(|p| p.forecast.mean.len() as u64).sum(),
    );
    let doc = RunJson {
        tool: "replenish",
        version: env!("CARGO_PKG_VERSION"),
        as_of: run.dataset.as_of.to_string(),
        bucket: run.panel.bucket.name(),
        first_forecast_period: run.panel.bucket.start(run.panel.end).to_string(),
        config,
        inputs: inputs(&run.dataset),
        counts,
        warnings: run.dataset.warnings.counts(),
        exceptions,
        charts,
        previous_report: run
            .previous_report
            .as_ref()
            .and_then(|d| d.file_name())
            .map(|n| n.to_string_lossy().into_owned()),
        forecast_spread_calibration: run.calibration,
        service_calibration: run
            .planned_targets
            .iter()
            .map(|(&class, &planned)| {
                (
                    class.to_string(),
                    ServiceCalibrationJson {
                        configured: config.service_for_class(class),
                        planned: r3(planned),
                    },
                )
            })
            .collect(),
        lead_time_demand_errors: run.lead_time_errors.summary(),
        lead_time_and_review_demand_errors: run.lead_time_errors.cycle_summary(),
        timings_seconds: run
            .timings
            .stages
            .iter()
            .map(|(s, t)| (*s, (t * 1000.0).round() / 1000.0))
            .collect(),
    };
    let text = serde_json::to_string_pretty(&doc).map_err(|e| Error::Internal(e.to_string()))?;
    io_write(path, format!("{text}\n").as_bytes())
}

/// Write the simulation's folder `out/<as-of>-simulation/`, atomically:
/// `simulation.csv` (per series and policy), `simulation_summary.csv` (per
/// policy and ABC class), `frontier.png` / `.svg` and `simulation.json`.
pub fn write_simulation(sim: &SimulationOutput, config: &Config, out: &Path) -> Result<()> {
    write_atomically(out, &sim.report_dir, |dir| {
        write_simulation_series(sim, &dir.join("simulation.csv"))?;
        let summary = simulate::summary(sim);
        write_simulation_summary(sim, &summary, &dir.join("simulation_summary.csv"))?;
        write_frontier(sim, dir, config.report.svg())?;
        write_simulation_json(sim, config, &summary, &dir.join("simulation.json"))
    })
}

fn write_simulation_series(sim: &SimulationOutput, path: &Path) -> Result<()> {
    let rows: Vec<(&simulate::SeriesResult, Variant, f64, &Outcome)> = sim
        .series
        .iter()
        .flat_map(|s| {
            s.outcomes
                .iter()
                .map(move |(v, start, o)| (s, *v, *start, o))
        })
        .collect();
    let key = |s: &simulate::SeriesResult| &sim.dataset.keys[s.id];
    let mut t = Table::default();
    t.text("sku", rows.iter().map(|r| key(r.0).sku.as_str()))
        .text("location", rows.iter().map(|r| key(r.0).location.as_str()))
        .text("abc", rows.iter().map(|r| r.0.abc.to_string()))
        .text("policy", rows.iter().map(|r| r.1.name()))
        .opt_num("target", rows.iter().map(|r| target_of(r.0, r.1)))
        .num("start_on_hand", rows.iter().map(|r| r.2))
        .text("lead_times_from", rows.iter().map(|r| r.0.lead_times_from))
        .text(
            "origin_model",
            rows.iter().map(|r| r.0.origin_model.as_str()),
        )
        .num("demand", rows.iter().map(|r| r.3.demand))
        .num(
            "served_from_stock",
            rows.iter().map(|r| r.3.served_from_stock),
        )
        .num("fill_rate", rows.iter().map(|r| r.3.fill_rate()))
        .num("cycle_service", rows.iter().map(|r| r.3.cycle_service()))
        .num("short_units", rows.iter().map(|r| r.3.short))
        .num("lost_units", rows.iter().map(|r| r.3.lost))
        .num(
            "backorder_unit_days",
            rows.iter().map(|r| r.3.backorder_unit_days),
        )
        .num("mean_on_hand", rows.iter().map(|r| r.3.mean_on_hand()))
        .num(
            "mean_on_hand_value",
            rows.iter().map(|r| r.3.mean_on_hand() * r.0.unit_cost),
        )
        .int("orders", rows.iter().map(|r| u64::from(r.3.orders)))
        .num("ordered_units", rows.iter().map(|r| r.3.ordered));
    t.write(path)
}

/// The fill-rate (or cycle-service) target of a replenish policy for a series.
fn target_of(s: &simulate::SeriesResult, v: Variant) -> Option<f64> {
    match v {
        Variant::Target(t) | Variant::TargetEveryReview(t) | Variant::PoissonMean(t) => Some(t),
        Variant::Replenish | Variant::WithoutPurchasingRules | Variant::ShipmentsOnly => {
            Some(s.service.level())
        }
        _ => None,
    }
}

fn write_simulation_summary(
    sim: &SimulationOutput,
    rows: &[(Variant, String, simulate::Totals)],
    path: &Path,
) -> Result<()> {
    let mut t = Table::default();
    t.text("policy", rows.iter().map(|r| r.0.name()))
        .opt_num("target", rows.iter().map(|r| r.2.target))
        .opt_num("cover_weeks", rows.iter().map(|r| r.0.cover_weeks()))
        .text("abc", rows.iter().map(|r| r.1.as_str()))
        .int("series", rows.iter().map(|r| r.2.series as u64))
        .num("demand", rows.iter().map(|r| r.2.demand))
        .num("fill_rate", rows.iter().map(|r| r.2.fill_rate()))
        .num("cycle_service", rows.iter().map(|r| r.2.cycle_service()))
        .num("short_units", rows.iter().map(|r| r.2.short))
        .num("lost_units", rows.iter().map(|r| r.2.lost))
        .num(
            "backorder_unit_days",
            rows.iter().map(|r| r.2.backorder_days),
        )
        .num("mean_on_hand", rows.iter().map(|r| r.2.on_hand))
        .num("mean_on_hand_value", rows.iter().map(|r| r.2.on_hand_value))
        .int("orders", rows.iter().map(|r| r.2.orders))
        .num("turns", rows.iter().map(|r| r.2.turns));
    let _ = sim;
    t.write(path)
}

fn write_frontier(sim: &SimulationOutput, dir: &Path, svg: bool) -> Result<()> {
    let all = |_: &simulate::SeriesResult| true;
    let curve_of = |keep: fn(Variant) -> bool| -> Vec<(f64, f64, f64)> {
        sim.variants()
            .into_iter()
            .filter(|v| keep(*v))
            .filter_map(|v| {
                v.target().map(|t| {
                    let tot = sim.totals(v, all);
                    (t, sim.inventory(&tot), tot.fill_rate())
                })
            })
            .collect()
    };
    let curve = curve_of(Variant::on_curve);
    let every_review = curve_of(Variant::on_every_review_curve);
    let points: Vec<(String, f64, f64)> = sim
        .variants()
        .into_iter()
        .filter(|v| v.target().is_none() && !v.on_rule_curve())
        .map(|v| {
            let tot = sim.totals(v, all);
            let label = match v {
                Variant::Replenish => "replenish at the configured targets".to_string(),
                Variant::WithoutPurchasingRules => {
                    "replenish without the suppliers' terms and budget".to_string()
                }
                Variant::ShipmentsOnly => "replenish on shipments only".to_string(),
                Variant::MinMax => format!("ERP min/max ({} series)", tot.series),
                Variant::SalesCover => "order up to N weeks of average sales".to_string(),
                Variant::Target(_)
                | Variant::TargetEveryReview(_)
                | Variant::PoissonMean(_)
                | Variant::SalesCoverCurve(_) => String::new(),
            };
            (label, sim.inventory(&tot), tot.fill_rate())
        })
        .collect();
    let title = format!(
        "Fill rate vs inventory, replayed {} to {} ({} series)",
        sim.origin,
        sim.dataset.as_of,
        sim.series.len()
    );
    let chart = FrontierChart {
        title: &title,
        x_label: if sim.in_value {
            "Mean inventory on hand (value)"
        } else {
            "Mean inventory on hand (units)"
        },
        curve: &curve,
        every_review: &every_review,
        points: &points,
    };
    charts::draw_frontier_png(&chart, &dir.join("frontier.png"))
        .map_err(|e| Error::Internal(e.to_string()))?;
    if svg {
        charts::draw_frontier_svg(&chart, &dir.join("frontier.svg"))
            .map_err(|e| Error::Internal(e.to_string()))?;
    }
    Ok(())
}

#[derive(Serialize)]
struct SimulationJson<'a> {
    tool: &'static str,
    version: &'static str,
    as_of: String,
    origin: String,
    days: usize,
    bucket: &'static str,
    series: usize,
    /// The sample replayed (`simulate.max_series`), when not every series.
    #[serde(skip_serializing_if = "Option::is_none")]
    sample: Option<SampleJson>,
    start_stock: &'static str,
    lead_times_from: BTreeMap<&'static str, usize>,
    inventory_measure: &'static str,
    summary: Vec<SummaryJson>,
    comparisons: Vec<ComparisonJson>,
    tuned_targets: Vec<TunedJson>,
    /// Pooled standardised forecast errors over lead time + review at the
    /// origin (demand forecasts), as in run.json.
    lead_time_demand_errors: BTreeMap<String, PoolSummary>,
    /// The same over lead time + a whole review period (a base stock
    /// ordered up to at every review).
    lead_time_and_review_demand_errors: BTreeMap<String, PoolSummary>,
    config: &'a Config,
    inputs: Vec<InputJson<'a>>,
}

#[derive(Serialize)]
struct SampleJson {
    series: usize,
    of: usize,
    chosen_by: &'static str,
    purchasing_rules_scaled_to_the_sample: bool,
}

#[derive(Serialize)]
struct ServiceCalibrationJson {
    configured: f64,
    planned: f64,
}

#[derive(Serialize)]
struct SummaryJson {
    policy: &'static str,
    target: Option<f64>,
    abc: String,
    series: usize,
    fill_rate: f64,
    cycle_service: f64,
    mean_inventory: f64,
}

#[derive(Serialize)]
struct TunedJson {
    abc: char,
    target: f64,
    achieved: f64,
    target_that_achieves_it: Option<f64>,
}

#[derive(Serialize)]
struct ComparisonJson {
    baseline: &'static str,
    series: usize,
    fill_rate: f64,
    inventory: f64,
    orders: u64,
    replenish_inventory_at_same_fill_rate: Option<f64>,
    replenish_orders_at_same_fill_rate: Option<f64>,
    saving: Option<f64>,
    /// The same on the curve that orders at every review.
    every_review_inventory_at_same_fill_rate: Option<f64>,
    every_review_orders_at_same_fill_rate: Option<f64>,
    every_review_saving: Option<f64>,
}

fn write_simulation_json(
    sim: &SimulationOutput,
    config: &Config,
    summary: &[(Variant, String, simulate::Totals)],
    path: &Path,
) -> Result<()> {
    let doc = SimulationJson {
        tool: "replenish",
        version: env!("CARGO_PKG_VERSION"),
        as_of: sim.dataset.as_of.to_string(),
        origin: sim.origin.to_string(),
        days: sim.days,
        bucket: sim.panel.bucket.name(),
        series: sim.series.len(),
        sample: sim.sample.map(|s| SampleJson {
            series: s.series,
            of: s.of,
            chosen_by: "the smallest stable hashes (FNV-1a) of sku and location",
            purchasing_rules_scaled_to_the_sample: s.purchasing_rules_scaled,
        }),
        start_stock: "each policy's order-up-to level at the origin, nothing on order (inventory history is not in the data contract)",
        lead_times_from: simulate::lead_time_sources(sim),
        inventory_measure: if sim.in_value { "value" } else { "units" },
        summary: summary
            .iter()
            .map(|(v, class, t)| SummaryJson {
                policy: v.name(),
                target: t.target.map(r3),
                abc: class.clone(),
                series: t.series,
                fill_rate: r3(t.fill_rate()),
                cycle_service: r3(t.cycle_service()),
                mean_inventory: r3(sim.inventory(t)),
            })
            .collect(),
        comparisons: sim
            .comparisons()
            .into_iter()
            .map(|c| ComparisonJson {
                baseline: c.baseline.name(),
                series: c.series,
                fill_rate: r3(c.fill_rate),
                inventory: r3(c.inventory),
                orders: c.orders,
                replenish_inventory_at_same_fill_rate: c.replenish.map(|r| r3(r.0)),
                replenish_orders_at_same_fill_rate: c.replenish.map(|r| r3(r.1)),
                saving: c
                    .replenish
                    .filter(|_| c.inventory > 0.0)
                    .map(|r| r3(1.0 - r.0 / c.inventory)),
                every_review_inventory_at_same_fill_rate: c.every_review.map(|r| r3(r.0)),
                every_review_orders_at_same_fill_rate: c.every_review.map(|r| r3(r.1)),
                every_review_saving: c
                    .every_review
                    .filter(|_| c.inventory > 0.0)
                    .map(|r| r3(1.0 - r.0 / c.inventory)),
            })
            .collect(),
        tuned_targets: sim
            .tuned_targets()
            .into_iter()
            .map(|t| TunedJson {
                abc: t.class,
                target: r3(t.target),
                achieved: r3(t.achieved),
                target_that_achieves_it: t.suggested.map(r3),
            })
            .collect(),
        lead_time_demand_errors: sim.lead_time_errors.summary(),
        lead_time_and_review_demand_errors: sim.lead_time_errors.cycle_summary(),
        config,
        inputs: inputs(&sim.dataset),
    };
    let text = serde_json::to_string_pretty(&doc).map_err(|e| Error::Internal(e.to_string()))?;
    io_write(path, format!("{text}\n").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_written_in_chunks_is_the_table_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let rows = |range: std::ops::Range<usize>| {
            let mut t = Table::default();
            t.text("sku", range.clone().map(|i| format!("S{i}")))
                .num("mean", range.clone().map(|i| i as f64 / 3.0))
                .opt_text(
                    "note",
                    range.map(|i| (i % 2 == 0).then(|| "a,b".to_string())),
                );
            t
        };
        let whole = dir.path().join("whole.csv");
        rows(0..5).write(&whole).unwrap();
        let chunked = dir.path().join("chunked.csv");
        let mut csv = CsvChunks::create(&chunked).unwrap();
        for range in [0..2, 2..2, 2..5] {
            csv.put(&mut rows(range)).unwrap();
        }
        let text = std::fs::read_to_string(&whole).unwrap();
        assert_eq!(text.lines().count(), 6);
        assert_eq!(std::fs::read_to_string(&chunked).unwrap(), text);
        // No plans: the header alone.
        assert_eq!(plan_chunks(&[]).len(), 1);
    }

    #[test]
    fn cells_a_spreadsheet_would_run_get_an_apostrophe_numbers_do_not() {
        for (cell, written) in [
            ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
            ("+cmd|calc", "'+cmd|calc"),
            ("@SUM(1)", "'@SUM(1)"),
            ("\tx", "'\tx"),
            ("-5", "-5"),
            ("+1.5", "+1.5"),
            ("A-1", "A-1"),
            ("", ""),
        ] {
            assert_eq!(neutralise(cell), written);
        }
    }
}
