//! The weekly run: ingest → demand → forecast → policy → report, with stage
//! timings. Per-series work runs in parallel on rayon and is collected in
//! series order, so the output does not depend on the thread count.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::allocation;
use crate::availability;
use crate::backorders::{self, Desk};
use crate::calendar::{Bucket, day_number};
use crate::config::{CheckedConfig, Config, LeadTimeDemand, ServiceAllocation, ServiceType};
use crate::demand::{self, HistoryFill, Panel, PricePromo};
use crate::error::{Error, Result};
use crate::forecast::stage::Stage;
use crate::forecast::{self, Backtested, Calibration, HorizonErrorPools, SeriesForecast};
use crate::forecasting::{HistoryOf, StageInputs, candidates};
use crate::ingest::{self, Dataset};
use crate::lifecycle::Lifecycle;
use crate::output::{RunOutput, Timings};
use crate::plan::{
    ClassTargets, Flag, SeriesPlan, SeriesSettings, StockState, is_dead_stock, series_settings,
};
use crate::policy::{self, Replenishment, ServiceTarget};
use crate::purchasing;
use crate::report;
use crate::shard::{self, Shard};
use crate::suppliers;
use crate::threads::thread_pool;
use crate::warnings::Warning;

/// What to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Input folder.
    pub data: PathBuf,
    /// Folder under which `<as-of>/` is written.
    pub out: PathBuf,
    /// Planning date override.
    pub as_of: Option<NaiveDate>,
    /// Configuration (already merged with command-line overrides).
    pub config: CheckedConfig,
    /// Worker threads for the per-series work (`None`: all cores).
    pub threads: Option<usize>,
    /// Show a progress bar on stderr (only drawn when stderr is a terminal).
    pub progress: bool,
    /// Replays the policy before the plan and returns the internal target
    /// per ABC class that achieved the configured one, for
    /// `policy.auto_calibrate` (`simulate::tune`; passed in so that the
    /// replay, which builds on this module, is not imported by it).
    pub tuner: Option<Tuner>,
}

/// See [`RunOptions::tuner`]: (data, panel, config, first bucket after the
/// replayed window) → targets.
pub type Tuner = fn(&Dataset, &Panel, &Config, i64) -> Result<ClassTargets>;

/// Where a run's forecasts come from.
enum Forecasts {
    /// Fitted by this run.
    Fit,
    /// Read from the parts of a sharded run (`replenish merge`).
    Parts,
}

/// Run the whole batch and write the report folder.
pub fn run(options: &RunOptions) -> Result<RunOutput> {
    run_with(options, Forecasts::Fit)
}

/// Finish a sharded run: read the forecasts every `run --shard K/N` wrote
/// under `<out>/<as-of>-parts/` and write the report a single run writes.
pub fn merge(options: &RunOptions) -> Result<RunOutput> {
    run_with(options, Forecasts::Parts)
}

/// What a shard wrote.
#[derive(Debug, Clone)]
pub struct ShardOutput {
    /// The part's path.
    pub path: PathBuf,
    /// Series forecast into it.
    pub forecast: usize,
    /// Series whose history the shard read (its own and the prior's sample).
    pub read: usize,
    /// Series in the data.
    pub series: usize,
}

/// Forecast the series of one shard and write its part (see [`crate::shard`]).
pub fn forecast_shard(options: &RunOptions, shard: Shard) -> Result<ShardOutput> {
    let config = &options.config;
    let pool = thread_pool(options.threads)?;
    // The shard reads the history of its own series and of the selection
    // prior's sample, which every shard backtests alike; the global model
    // is fitted on every series, so with it on all history is read.
    let subset = (!config.forecast.global.enabled)
        .then(|| shard.subset(config.forecast.selection_prior_series));
    // The ingest's own parallel steps run on the run's threads too.
    let mut dataset = pool.install(|| load(options, subset))?;
    let config = &config.planned_in(dataset.bucket);
    let bucket = dataset.bucket;
    let panel = Panel::take(
        &mut dataset,
        bucket,
        PricePromo::when_global(config.forecast.global.enabled),
    );
    let candidates = candidates(config);
    let inputs = pool.install(|| StageInputs::of_run(&dataset, &panel, config));
    let series = inputs.series(&panel, HistoryOf::Demand);
    let mut stage = pool.install(|| {
        Stage::new(
            &series,
            &candidates,
            panel.bucket,
            panel.end,
            inputs.settings(),
        )
    });
    let work: Vec<(usize, Option<Box<Backtested>>)> = stage
        .take_backtested()
        .into_iter()
        .enumerate()
        .filter(|(id, _)| shard.owns(&dataset.keys[*id]))
        .collect();
    let pb = progress_bar(work.len(), options.progress);
    let forecasts: Vec<(usize, SeriesForecast)> = pool.install(|| {
        work.into_par_iter()
            .map(|(id, b)| {
                let f = stage.forecast(id, b);
                pb.inc(1);
                (id, f)
            })
            .collect()
    });
    pb.finish_and_clear();
    let path = shard::write_part(&options.out, &dataset, config, shard, &forecasts)?;
    Ok(ShardOutput {
        path,
        forecast: forecasts.len(),
        read: (0..dataset.keys.len())
            .filter(|&id| dataset.has_history(id))
            .count(),
        series: dataset.keys.len(),
    })
}

/// Read the input folder, with each series' supplier lead time: every
/// series' history, or `subset`'s only ([`ingest::load_subset`]).
fn load(options: &RunOptions, subset: Option<ingest::Subset>) -> Result<Dataset> {
    let config = &options.config;
    let mut dataset = ingest::load_subset(&options.data, config, options.as_of, subset)?;
    dataset.supplier_lead_times = suppliers::lead_times(
        &dataset,
        day_number(dataset.as_of),
        config.policy.min_lead_time_samples,
    );
    dataset.forget_other_series();
    Ok(dataset)
}

fn run_with(options: &RunOptions, source: Forecasts) -> Result<RunOutput> {
    let config = &options.config;
    let pool = thread_pool(options.threads)?;
    let mut timings = Timings::default();
    let mut clock = Instant::now();

    // The ingest's own parallel steps run on the run's threads too.
    let mut dataset = pool.install(|| load(options, None))?;
    timings.lap("ingest", &mut clock);
    let config = &config.planned_in(dataset.bucket);

    let bucket = dataset.bucket;
    // The daily records give the history's fill rate and then the panel,
    // which takes them: the plans need the panel only (at a million series
    // the records are gigabytes).
    let history_fill = HistoryFill::of(&dataset);
    let panel = Panel::take(
        &mut dataset,
        bucket,
        PricePromo::when_global(config.forecast.global.enabled),
    );
    let as_of_day = day_number(dataset.as_of);
    // The last history bucket ends on or after the as-of date; warn when more
    // than a seventh of it lies ahead (a Sunday missing from a week is normal).
    let missing_days = bucket.start_day(panel.end) - as_of_day;
    if f64::from(missing_days) > f64::from(bucket.days_in(panel.end - 1)) / 7.0 {
        dataset.warnings.summary(
            "partial_last_bucket",
            "",
            1,
            format!(
                "the history ends {} day(s) before the end of its last {bucket} (from {}): that {bucket}'s demand is understated; plan on a date that starts a {bucket} or pass --as-of",
                missing_days,
                bucket.start(panel.end - 1)
            ),
        );
    }
    timings.lap("demand", &mut clock);

    let planned_targets = pool.install(|| tuned_targets(options, &dataset, &panel, config))?;
    // A merge reads the forecasts only now: with the daily records freed
    // (at a million series they and the parts together made its peak).
    let given = match source {
        Forecasts::Fit => None,
        Forecasts::Parts => Some(shard::read_parts(&options.out, &dataset, config)?),
    };
    let mut plans = pool.install(|| plan_all(&dataset, &panel, config, given, options.progress));
    let (calibration, lead_time_errors) = pool.install(|| {
        calibrate_plans(
            &mut plans,
            config.forecast.calibrate,
            config.forecast.spread_pooling,
            config.policy.lead_time_demand == LeadTimeDemand::Empirical,
        )
    });
    let class_target = |class: char| {
        planned_targets
            .get(&class)
            .copied()
            .unwrap_or_else(|| config.service_for_class(class))
    };
    if config.policy.service_allocation == ServiceAllocation::Pooled {
        pool.install(|| allocate_service(&mut plans, &dataset, config, class_target));
    } else if !planned_targets.is_empty() && config.policy.service_type == ServiceType::FillRate {
        plans
            .par_iter_mut()
            .filter(|p| without_own_target(&dataset, p.id))
            .for_each(|p| p.set_service(ServiceTarget::FillRate(class_target(p.abc))));
    }
    // Orders go out on the supplier's order days: after every re-plan above.
    for p in &mut plans {
        p.policy.order_by_days = on_order_day(&dataset, p.id, p.policy.order_by_days);
    }
    // Then the suppliers' minimums and containers, and the budget.
    let purchasing = purchasing::plans::apply_to_plans(&dataset, &mut plans, config);
    forget_lead_time_pmfs(&plans);
    warn_about_item_data(&mut dataset, &plans, config);
    timings.lap("forecast_policy", &mut clock);

    let previous = match availability::read_previous(&options.out, dataset.as_of) {
        Ok(previous) => previous,
        Err(e) => {
            dataset.warnings.summary(
                "previous_report_unreadable",
                "",
                1,
                format!("{e}; back-in-stock delays are not listed this time"),
            );
            None
        }
    };
    let availability =
        availability::assess(&plans, &dataset.keys, dataset.as_of, previous.as_ref());
    timings.lap("availability", &mut clock);
    let desk = serve_backorders(&mut dataset, &plans, config, &options.out);
    timings.lap("backorders", &mut clock);

    let report_dir = options.out.join(dataset.as_of.to_string());
    let mut output = RunOutput {
        dataset,
        panel,
        history_fill,
        plans,
        calibration,
        lead_time_errors,
        availability,
        previous_report: previous.map(|p| p.dir),
        desk,
        purchasing,
        planned_targets,
        report_dir,
        timings,
    };
    pool.install(|| report::write(&output, config, &options.out))?;
    output.timings.lap("report", &mut clock);
    Ok(output)
}

/// The class targets tuned on the replay when `policy.auto_calibrate` is on
/// (none otherwise).
fn tuned_targets(
    options: &RunOptions,
    dataset: &Dataset,
    panel: &Panel,
    config: &Config,
) -> Result<ClassTargets> {
    match (config.policy.auto_calibrate, options.tuner) {
        (true, Some(tune)) => tune(dataset, panel, config, panel.end),
        (true, None) => Err(Error::Config(
            "policy.auto_calibrate needs the replay of `replenish run` (library callers: set RunOptions::tuner)".into(),
        )),
        (false, _) => Ok(ClassTargets::new()),
    }
}

/// The plans are final: the slow movers' lead-time distributions kept for
/// re-planning are freed before the report (which builds the few it reads
/// again).
fn forget_lead_time_pmfs(plans: &[SeriesPlan]) {
    plans.par_iter().for_each(|p| {
        if let Some(process) = &p.policy_input.demand_process {
            process.forget();
        }
    });
}

/// The backorder desk (when open order lines were given), measured against
/// the previous report under `out` when one can be read.
fn serve_backorders(
    dataset: &mut Dataset,
    plans: &[SeriesPlan],
    config: &Config,
    out: &Path,
) -> Desk {
    if dataset.open_orders.is_none() {
        return Desk::default();
    }
    let previous = match backorders::read_previous(out, dataset.as_of) {
        Ok(previous) => previous,
        Err(e) => {
            dataset.warnings.summary(
                "previous_report_unreadable",
                "",
                1,
                format!("{e}; changes of ship dates are not listed this time"),
            );
            None
        }
    };
    let b = &config.backorders;
    backorders::serve(dataset, plans, b.allocation, b.allow_partial, previous)
}

/// Warnings about the item data the plans had to do without: series
/// without an item-master row (or no items file at all), and order costs
/// given without a unit cost (no EOQ then).
fn warn_about_item_data(dataset: &mut Dataset, plans: &[SeriesPlan], config: &Config) {
    if dataset.files.iter().any(|f| f.name == "items") {
        for plan in plans.iter().filter(|p| dataset.items[p.id].is_none()) {
            let key = &dataset.keys[plan.id];
            dataset.warnings.push(Warning {
                kind: "no_item_record",
                file: String::new(),
                line: None,
                sku: key.sku.clone(),
                location: key.location.clone(),
                message: "no item-master row: config defaults used for lead time, MOQ, pack size; unit cost 0".into(),
            });
        }
    } else {
        dataset.warnings.summary(
            "no_item_master",
            "",
            plans.len() as u64,
            "no items file: config defaults used for lead time, MOQ and pack size of every series; unit costs 0 (ABC classes by units)".into(),
        );
    }
    let no_eoq = plans
        .iter()
        .filter(|p| {
            let item = dataset.items[p.id].as_ref();
            p.eoq.is_none()
                && p.unit_cost <= 0.0
                && item
                    .and_then(|i| i.order_cost)
                    .or(config.policy.order_cost)
                    .is_some()
                && item
                    .and_then(|i| i.holding_rate)
                    .or(config.policy.holding_rate)
                    .is_some()
        })
        .count();
    dataset.warnings.summary(
        "eoq_without_unit_cost",
        "",
        no_eoq as u64,
        "order cost and holding rate given but no unit cost: the order quantity is policy.order_cycle_days of demand instead of the EOQ".into(),
    );
}

fn progress_bar(n: usize, enabled: bool) -> ProgressBar {
    use std::io::IsTerminal;
    let pb = ProgressBar::with_draw_target(
        Some(n as u64),
        if enabled && std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    if let Ok(style) =
        ProgressStyle::with_template("{prefix} {bar:40} {pos}/{len} series ({eta} left)")
    {
        pb.set_style(style);
    }
    pb.set_prefix("forecast + policy");
    pb
}

/// Forecast and plan every series (in parallel, collected in key order);
/// `given` forecasts (from a sharded run's parts) are used instead of fitting.
fn plan_all(
    data: &Dataset,
    panel: &Panel,
    config: &Config,
    given: Option<Vec<SeriesForecast>>,
    progress: bool,
) -> Vec<SeriesPlan> {
    // Classes need every series' annual value first.
    let unit_costs = data.unit_costs();
    let annual_values = panel.annual_values(&unit_costs, panel.end);
    let abc = demand::abc_of_panel(panel, &unit_costs, panel.end, config.policy.abc_thresholds);
    let pb = progress_bar(panel.series.len(), progress);
    let forecasts = match given {
        Some(given) => given,
        None => {
            let candidates = candidates(config);
            let inputs = StageInputs::of_run(data, panel, config);
            let series = inputs.series(panel, HistoryOf::Demand);
            let stage = Stage::new(
                &series,
                &candidates,
                panel.bucket,
                panel.end,
                inputs.settings(),
            );
            stage.forecast_all(|| pb.inc(1))
        }
    };
    let plans = forecasts
        .into_par_iter()
        .enumerate()
        .map(|(id, fc)| {
            plan_series(
                data,
                panel,
                config,
                fc,
                id,
                abc[id],
                annual_values[id],
                unit_costs[id],
            )
        })
        .collect();
    pb.finish_and_clear();
    plans
}

/// Calibrate every plan's forecast spread across series and re-apply the policy.
/// First, when `pooling` > 0, shrink every spread toward the pooled
/// spread-to-level ratio of its distribution shape. With `empirical`, the
/// regular-demand series then take the pooled standardised horizon errors of
/// their ABC class (in units of the calibrated spread) for their lead-time
/// demand; the pools are returned (empty otherwise).
fn calibrate_plans(
    plans: &mut [SeriesPlan],
    enabled: bool,
    pooling: f64,
    empirical: bool,
) -> (Calibration, HorizonErrorPools) {
    let c = if enabled {
        forecast::calibration(plans.iter().map(|p| &p.forecast))
    } else {
        Calibration::NONE
    };
    let pools = if empirical {
        forecast::pool_horizon_errors(plans.iter().map(|p| (&p.forecast, p.abc)), c.normal)
    } else {
        HorizonErrorPools::default()
    };
    let ratio = forecast::pooled_spread_ratio(plans.iter().map(|p| &p.forecast));
    plans.par_iter_mut().for_each(|p| {
        let before = p.forecast.sigma;
        p.forecast.pool_spread(&ratio, pooling);
        let factor = c.factor(p.forecast.distribution) * p.forecast.sigma / before;
        p.forecast.sigma = before;
        p.rescale_spread(if factor.is_finite() { factor } else { 1.0 });
        if p.forecast.distribution == forecast::Distribution::Normal {
            p.use_lead_time_errors(pools.for_class(p.abc));
        }
    });
    if enabled {
        let intervals =
            forecast::intervals::interval_calibration(plans.iter().map(|p| &p.forecast));
        plans
            .par_iter_mut()
            .for_each(|p| intervals.apply(&mut p.forecast));
    }
    (c, pools)
}

/// `policy.service_allocation = "pooled"`: per ABC class, the series at the
/// class's fill-rate target (not those with their own `service_level`) get
/// the cycle-service levels that reach it in aggregate with the least stock
/// ([`allocation::allocate`]); their plans keep the class target as their
/// service target and show their own expected fill rate.
fn allocate_service(
    plans: &mut [SeriesPlan],
    data: &Dataset,
    config: &Config,
    class_target: impl Fn(char) -> f64,
) {
    if config.policy.service_type != ServiceType::FillRate {
        return;
    }
    let floor = config.policy.pooled_min_fill_rate;
    for class in ['A', 'B', 'C'] {
        let members: Vec<usize> = (0..plans.len())
            .filter(|&i| plans[i].abc == class && without_own_target(data, plans[i].id))
            .collect();
        if members.is_empty() {
            continue;
        }
        let prices = allocation::unit_prices(
            &members
                .iter()
                .map(|&i| plans[i].unit_cost)
                .collect::<Vec<_>>(),
        );
        let curves: Vec<allocation::ServiceCurve> = members
            .par_iter()
            .zip(&prices)
            .map(|(&i, &c)| {
                allocation::ServiceCurve::new(&plans[i].policy_input, c).with_floor(floor)
            })
            .collect();
        let levels = allocation::allocate(&curves, class_target(class));
        for (&i, alpha) in members.iter().zip(levels) {
            plans[i].set_service(ServiceTarget::CycleService(alpha));
        }
    }
}

/// Series `id` takes its class's target: the item master sets none of its own.
fn without_own_target(data: &Dataset, id: usize) -> bool {
    data.items[id]
        .as_ref()
        .is_none_or(|item| item.service_level.is_none())
}

#[allow(clippy::too_many_arguments)]
fn plan_series(
    data: &Dataset,
    panel: &Panel,
    config: &Config,
    fc: SeriesForecast,
    id: usize,
    abc: char,
    annual_value: f64,
    unit_cost: f64,
) -> SeriesPlan {
    let bucket = panel.bucket;
    let history = &panel.series[id];
    let p = &config.policy;
    let settings = series_settings(
        data.items[id].as_ref(),
        &data.purchase_orders[id],
        suppliers::facts(data, id),
        config,
        abc,
    );
    let SeriesSettings {
        lead_time_days,
        lead_time_sd_days,
        lead_time_source,
        review_period_days,
        service,
        moq,
        pack_size,
        ..
    } = settings;

    let y = &history.demand;
    let recent = &y[y.len().saturating_sub(bucket.per_year())..];
    let xyz = demand::xyz_class(demand::coefficient_of_variation(recent), p.xyz_thresholds);
    let pattern = demand::pattern(y);

    let as_of_day = day_number(data.as_of);
    let inv = data.inventory[id];
    let inv_rec = inv.unwrap_or_default();
    let stock = stock_of(data, id, lead_time_days);
    let on_order = stock.on_order;

    let mut input = settings.policy_input(
        config,
        &fc,
        unit_cost,
        (bucket, panel.end, as_of_day),
        stock,
    );
    // Stock that has not moved for the dead-stock time is not added to.
    let dead = is_dead_stock(
        y,
        bucket,
        config.exceptions.dead_stock_days,
        inv_rec.on_hand,
    );
    if dead && input.replenishment == Replenishment::Replenish {
        input.replenishment = Replenishment::BackordersOnly;
    }
    let out = policy::plan(&input);
    let (lifecycle, lifecycle_reason) = lifecycle_of(&settings, &fc, y, bucket);

    let mut flags = Vec::new();
    let backordered = data.backordered(id);
    if backordered > 0.0 {
        flags.push(Flag::Backordered);
    }
    if inv.is_none() {
        flags.push(Flag::NoInventoryRecord);
    }
    if data.items[id].is_none() {
        flags.push(Flag::NoItemRecord);
    }
    if fc.backtests.is_empty() {
        flags.push(Flag::ShortHistory);
    }
    if history.short_buckets() > 0 {
        flags.push(Flag::HadBackorders);
    }
    match lifecycle {
        Lifecycle::Discontinued => flags.push(Flag::Discontinued),
        Lifecycle::PhaseOut => flags.push(Flag::PhaseOut),
        Lifecycle::Active if dead => flags.push(Flag::DeadStockHeld),
        Lifecycle::Active => {}
    }
    if !fc.outliers.is_empty() {
        flags.push(Flag::OutliersClipped);
    }
    let mut plan = SeriesPlan {
        id,
        abc,
        xyz,
        pattern,
        annual_value,
        forecast: fc,
        lead_time_days,
        lead_time_sd_days,
        lead_time_source,
        review_period_days,
        service,
        eoq: input.order_quantity,
        moq,
        pack_size,
        unit_cost,
        on_hand: inv_rec.on_hand,
        on_order,
        backordered,
        allocated: inv_rec.allocated,
        policy: out,
        policy_input: input,
        lifecycle,
        lifecycle_reason,
        flags,
    };
    plan.flag_policy();
    plan
}

/// An order-by day (after the as-of date) moved to the next order day of
/// series `id`'s supplier, when `suppliers.csv` gives it order days.
fn on_order_day(data: &Dataset, id: usize, order_by: Option<i64>) -> Option<i64> {
    let as_of_day = day_number(data.as_of);
    match suppliers::terms_of(data, id) {
        Some(terms) => order_by
            .map(|d| d + suppliers::days_to_order_day(as_of_day + d as i32, &terms.order_days)),
        None => order_by,
    }
}

/// Series `id`'s stock at the as-of date: on hand and allocated from the
/// inventory file, backordered from the open order lines when given, else
/// from the inventory file; on order and its arrivals from the
/// open purchase-order lines when the purchase-order file exists, else the
/// inventory's `on_order`, assumed to arrive after the lead time.
fn stock_of(data: &Dataset, id: usize, lead_time_days: f64) -> StockState {
    let as_of_day = day_number(data.as_of);
    let inv = data.inventory[id].unwrap_or_default();
    let has_po_file = data.files.iter().any(|f| f.name == "purchase_orders");
    let (on_order, arrivals) = if has_po_file {
        let open: Vec<(i64, f64)> = data.purchase_orders[id]
            .iter()
            .filter(|po| po.open_qty() > 0.0)
            .map(|po| (i64::from(po.due_day - as_of_day), po.open_qty()))
            .collect();
        (open.iter().map(|(_, q)| q).sum(), open)
    } else {
        let q = data.inventory[id].and_then(|i| i.on_order).unwrap_or(0.0);
        let arrivals = if q > 0.0 {
            vec![(lead_time_days.ceil() as i64, q)]
        } else {
            vec![]
        };
        (q, arrivals)
    };
    StockState {
        on_hand: inv.on_hand,
        on_order,
        backordered: data.backordered(id),
        allocated: inv.allocated,
        arrivals,
    }
}

/// The lifecycle of a series and why: the item master's status when it
/// gives one, else discontinued when the forecast found the current gap in
/// demand improbable at the item's own rate.
fn lifecycle_of(
    settings: &SeriesSettings,
    fc: &SeriesForecast,
    demand: &[f64],
    bucket: Bucket,
) -> (Lifecycle, String) {
    let gap = forecast::clean::trailing_gap(demand, bucket.per_year());
    let quiet = gap.filter(|g| g.buckets > 0).map(|g| {
        let chance = if g.probability < 1e-4 {
            "less than a 0.01 %".to_string()
        } else {
            format!("a {:.2} %", 100.0 * g.probability)
        };
        format!(
            "no demand for {} {bucket}(s): a gap that long had {chance} chance at its own rate ({:.0} % of {bucket}s with demand)",
            g.buckets,
            100.0 * g.rate
        )
    });
    match (settings.status, fc.discontinued) {
        (Some(status), _) => (
            status,
            match quiet {
                Some(q) if fc.discontinued || status != Lifecycle::Active => {
                    format!("item master; {q}")
                }
                _ => "item master".to_string(),
            },
        ),
        (None, true) => (Lifecycle::Discontinued, quiet.unwrap_or_default()),
        (None, false) => (Lifecycle::Active, String::new()),
    }
}
