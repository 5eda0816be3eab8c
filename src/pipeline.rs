//! The weekly run: ingest → demand → forecast → policy → report, with stage
//! timings. Per-series work runs in parallel on rayon and is collected in
//! series order, so the output does not depend on the thread count.

use std::path::PathBuf;
use std::time::Instant;

use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::allocation;
use crate::availability::{self, Availability};
use crate::calendar::{Bucket, add_days, day_number};
use crate::config::Config;
use crate::config::{LeadTimeDemand, ServiceAllocation, ServiceType};
use crate::demand::{self, Panel, Pattern};
use crate::error::{Error, Result};
use crate::forecast::global::{self, Covariates, GlobalSettings};
use crate::forecast::stage::{Stage, StageSeries, StageSettings};
use crate::forecast::{
    self, Backtested, Calibration, Candidates, ForecastSettings, HorizonErrorPools, SeriesForecast,
};
use crate::ingest::{self, Dataset};
use crate::inventory_theory::{LeadTimeErrors, eoq};
use crate::lifecycle::Lifecycle;
use crate::policy::{self, DailyRate, PolicyInput, PolicyOutput, Replenishment, ServiceTarget};
use crate::report;
use crate::shard::{self, Shard};
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
    pub config: Config,
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

/// Internal fill-rate targets per ABC class that replace the configured
/// ones where the item master sets none (`policy.auto_calibrate`).
pub type ClassTargets = std::collections::BTreeMap<char, f64>;

/// See [`RunOptions::tuner`]: (data, panel, config, first bucket after the
/// replayed window) → targets.
pub type Tuner = fn(&Dataset, &Panel, &Config, i64) -> Result<ClassTargets>;

/// Mean and standard deviation of the days from order to receipt over the
/// received purchase-order lines, when there are at least `min_samples`.
pub fn observed_lead_time(
    lines: &[ingest::PurchaseOrder],
    min_samples: usize,
) -> Option<(f64, f64)> {
    let days: Vec<f64> = lines
        .iter()
        .filter_map(|po| po.received_day.map(|r| f64::from(r - po.order_day)))
        .collect();
    if days.len() < min_samples.max(1) {
        return None;
    }
    let n = days.len() as f64;
    let mean = days.iter().sum::<f64>() / n;
    let var = if days.len() > 1 {
        days.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    Some((mean, var.sqrt()))
}

/// Where a lead time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadTimeSource {
    /// Mean and spread of order-to-receipt days of received purchase orders.
    PurchaseOrders,
    /// The item master's `lead_time_days`.
    ItemMaster,
    /// `policy.lead_time_days` of the config.
    ConfigDefault,
}

impl LeadTimeSource {
    /// Name for reports.
    pub fn name(self) -> &'static str {
        match self {
            LeadTimeSource::PurchaseOrders => "purchase_orders",
            LeadTimeSource::ItemMaster => "item_master",
            LeadTimeSource::ConfigDefault => "config_default",
        }
    }
}

/// Everything decided for one series.
#[derive(Debug, Clone)]
pub struct SeriesPlan {
    /// Series id (index into the dataset's keys).
    pub id: usize,
    /// ABC class by annual demand value.
    pub abc: char,
    /// XYZ class by demand variability.
    pub xyz: char,
    /// Syntetos–Boylan pattern.
    pub pattern: Pattern,
    /// Annual demand value (last year's demand × unit cost).
    pub annual_value: f64,
    /// The forecast.
    pub forecast: SeriesForecast,
    /// Lead time used, days.
    pub lead_time_days: f64,
    /// Lead-time spread used, days.
    pub lead_time_sd_days: f64,
    /// Where the lead time came from.
    pub lead_time_source: LeadTimeSource,
    /// Review period, days.
    pub review_period_days: f64,
    /// Service target.
    pub service: ServiceTarget,
    /// Economic order quantity, when order cost, holding rate and unit cost are known.
    pub eoq: Option<f64>,
    /// Minimum order quantity.
    pub moq: f64,
    /// Order multiple.
    pub pack_size: f64,
    /// Unit cost (0 when unknown).
    pub unit_cost: f64,
    /// Stock inputs.
    pub on_hand: f64,
    /// Units on order.
    pub on_order: f64,
    /// Open customer backorders.
    pub backordered: f64,
    /// Units allocated.
    pub allocated: f64,
    /// The decision.
    pub policy: PolicyOutput,
    /// What the policy was given.
    pub policy_input: PolicyInput,
    /// Lifecycle state (item master, or a gap in demand improbable at the
    /// item's own rate).
    pub lifecycle: Lifecycle,
    /// Why, for the planner.
    pub lifecycle_reason: String,
    /// Flags for the planner.
    pub flags: Vec<&'static str>,
}

/// Flag: the position is below the reorder point, an order is recommended.
pub const FLAG_ORDER: &str = "below_reorder_point";
/// Flag: the order line covers open backorders that nothing on the way covers in time.
pub const FLAG_COVERS_BACKORDERS: &str = "covers_backorders";
/// Flag: discontinued (item master, or a gap in demand improbable at its own rate).
pub const FLAG_DISCONTINUED: &str = "discontinued";
/// Flag: being phased out (item master): ordered only to cover open backorders.
pub const FLAG_PHASE_OUT: &str = "phase_out";
/// Flag: dead stock (stock and no demand for `exceptions.dead_stock_days`):
/// not added to unless open backorders need it.
pub const FLAG_DEAD_STOCK_HELD: &str = "dead_stock_not_reordered";
/// Flag: the reorder point was cut to `policy.reorder_point_cap` times the
/// largest demand the item ever had over lead time + half a review.
pub const FLAG_CAPPED: &str = "reorder_point_capped";

impl SeriesPlan {
    /// Multiply the forecast spread by `factor` and apply the policy again.
    pub fn rescale_spread(&mut self, factor: f64) {
        if factor == 1.0 {
            return;
        }
        self.forecast.sigma *= factor;
        self.policy_input.sigma_bucket = self.forecast.sigma;
        self.policy = policy::plan(&self.policy_input);
        self.flag_policy();
    }

    /// Use the pooled standardised errors `errors` (or the normal, `None`) for
    /// the forecast-error term of lead-time demand and apply the policy again.
    pub fn use_lead_time_errors(&mut self, errors: LeadTimeErrors) {
        if self.forecast.lead_time_errors == errors {
            return;
        }
        self.forecast.lead_time_errors = errors.clone();
        self.policy_input.forecast_errors = errors;
        self.policy = policy::plan(&self.policy_input);
        self.flag_policy();
    }

    /// Plan the reorder point for `service` instead of the series' target
    /// (which reports keep showing) and apply the policy again.
    pub fn set_service(&mut self, service: ServiceTarget) {
        self.policy_input.service = service;
        self.policy = policy::plan(&self.policy_input);
        self.flag_policy();
    }

    /// Set the flags that follow from the policy's decision.
    fn flag_policy(&mut self) {
        self.flags.retain(|f| {
            ![
                FLAG_ORDER,
                FLAG_AT_RISK,
                FLAG_COVERS_BACKORDERS,
                FLAG_CAPPED,
            ]
            .contains(f)
        });
        if self.policy.reorder_point_capped {
            self.flags.push(FLAG_CAPPED);
        }
        if self.policy.order_qty > 0.0 && self.policy.inventory_position < self.policy.reorder_point
        {
            self.flags.push(FLAG_ORDER);
        }
        if self.policy.uncovered_backorders > 0.0 {
            self.flags.push(FLAG_COVERS_BACKORDERS);
        }
        if self
            .policy
            .stockout_days
            .is_some_and(|d| (d as f64) < self.lead_time_days)
        {
            self.flags.push(FLAG_AT_RISK);
        }
    }
}

/// Seconds spent per stage.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    /// (stage, seconds) in run order.
    pub stages: Vec<(&'static str, f64)>,
}

impl Timings {
    fn lap(&mut self, stage: &'static str, since: &mut Instant) {
        self.stages.push((stage, since.elapsed().as_secs_f64()));
        *since = Instant::now();
    }
}

/// The result of a run.
pub struct RunOutput {
    /// The data read.
    pub dataset: Dataset,
    /// The demand panel.
    pub panel: Panel,
    /// One plan per series, in key order.
    pub plans: Vec<SeriesPlan>,
    /// Spread factors of the cross-series calibration.
    pub calibration: Calibration,
    /// Pooled standardised horizon errors the policy used (empty with
    /// `policy.lead_time_demand = "normal"`).
    pub lead_time_errors: HorizonErrorPools,
    /// Availability per series, in key order.
    pub availability: Vec<Availability>,
    /// Folder of the previous report the delays were measured against.
    pub previous_report: Option<PathBuf>,
    /// The internal targets per ABC class `policy.auto_calibrate` planned
    /// with (empty when off).
    pub planned_targets: ClassTargets,
    /// Folder written.
    pub report_dir: PathBuf,
    /// Stage timings.
    pub timings: Timings,
}

impl RunOutput {
    /// Series with a recommended order.
    pub fn order_lines(&self) -> usize {
        self.plans
            .iter()
            .filter(|p| p.policy.order_qty > 0.0)
            .count()
    }

    /// Value of the recommended orders.
    pub fn order_value(&self) -> f64 {
        self.plans
            .iter()
            .map(|p| p.policy.order_qty * p.unit_cost)
            .sum()
    }

    /// Series in stock now whose stock runs out before an order placed now could arrive.
    pub fn at_risk(&self) -> usize {
        self.plans
            .iter()
            .filter(|p| p.flags.contains(&FLAG_AT_RISK) && p.policy.stockout_days != Some(0))
            .count()
    }

    /// Series with open customer backorders or no net stock now.
    pub fn out_of_stock(&self) -> usize {
        self.plans
            .iter()
            .filter(|p| p.policy.stockout_days == Some(0))
            .count()
    }
}

/// Flag: stock runs out within the lead time.
pub const FLAG_AT_RISK: &str = "stockout_within_lead_time";

/// The candidate models of the configured season length.
fn candidates(config: &Config) -> Candidates {
    Candidates::standard(
        config.season_length(),
        config.forecast.moving_average_window,
    )
}

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

/// Forecast the series of one shard and write its part (see [`crate::shard`]).
/// Returns the part's path and the number of series in it.
pub fn forecast_shard(options: &RunOptions, shard: Shard) -> Result<(PathBuf, usize)> {
    let config = &options.config;
    config.validate()?;
    let pool = thread_pool(options.threads)?;
    // The ingest's own parallel steps run on the run's threads too.
    let dataset = pool.install(|| ingest::load(&options.data, config, options.as_of))?;
    let panel = Panel::build(&dataset, config.run.bucket);
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
    Ok((path, forecasts.len()))
}

fn run_with(options: &RunOptions, source: Forecasts) -> Result<RunOutput> {
    let config = &options.config;
    config.validate()?;
    let pool = thread_pool(options.threads)?;
    let mut timings = Timings::default();
    let mut clock = Instant::now();

    // The ingest's own parallel steps run on the run's threads too.
    let mut dataset = pool.install(|| ingest::load(&options.data, config, options.as_of))?;
    timings.lap("ingest", &mut clock);

    let bucket = config.run.bucket;
    let panel = Panel::build(&dataset, bucket);
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

    let given = match source {
        Forecasts::Fit => None,
        Forecasts::Parts => {
            let candidates = candidates(config);
            Some(shard::read_parts(
                &options.out,
                &dataset,
                config,
                &candidates,
            )?)
        }
    };
    let planned_targets = match (config.policy.auto_calibrate, options.tuner) {
        (true, Some(tune)) => pool.install(|| tune(&dataset, &panel, config, panel.end))?,
        (true, None) => {
            return Err(Error::Config(
                "policy.auto_calibrate needs the replay of `replenish run` (library callers: set RunOptions::tuner)".into(),
            ));
        }
        (false, _) => ClassTargets::new(),
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

    let report_dir = options.out.join(dataset.as_of.to_string());
    let mut output = RunOutput {
        dataset,
        panel,
        plans,
        calibration,
        lead_time_errors,
        availability,
        previous_report: previous.map(|p| p.dir),
        planned_targets,
        report_dir,
        timings,
    };
    pool.install(|| report::write(&output, config, &options.out))?;
    output.timings.lap("report", &mut clock);
    Ok(output)
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

/// A rayon pool of `threads` workers (`None`: one per core).
pub fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        builder = builder.num_threads(n.max(1));
    }
    builder
        .build()
        .map_err(|e| Error::Internal(format!("thread pool: {e}")))
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
            .map(|(&i, &c)| allocation::ServiceCurve::new(&plans[i].policy_input, c))
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

/// Per-series policy settings: item master values over config defaults, the
/// lead time from received purchase orders when there are enough of them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesSettings {
    /// Lead time, days.
    pub lead_time_days: f64,
    /// Lead-time spread, days.
    pub lead_time_sd_days: f64,
    /// Where the lead time came from.
    pub lead_time_source: LeadTimeSource,
    /// Review period, days.
    pub review_period_days: f64,
    /// Service target.
    pub service: ServiceTarget,
    /// Minimum order quantity.
    pub moq: f64,
    /// Order multiple.
    pub pack_size: f64,
    /// Cost of one order line, when known.
    pub order_cost: Option<f64>,
    /// Yearly holding cost as a share of unit cost, when known.
    pub holding_rate: Option<f64>,
    /// Lifecycle state from the item master, when it gives one.
    pub status: Option<Lifecycle>,
}

impl SeriesSettings {
    /// Economic order quantity on the forecast's mean daily demand (`mean` per
    /// bucket), when order cost, holding rate and unit cost are known.
    pub fn eoq(&self, unit_cost: f64, mean: &[f64], bucket: Bucket) -> Option<f64> {
        let mean_daily = mean.iter().sum::<f64>() / (mean.len().max(1) as f64 * bucket.mean_days());
        match (self.order_cost, self.holding_rate) {
            (Some(k), Some(h)) => eoq(k, h * unit_cost / 365.0, mean_daily),
            _ => None,
        }
    }

    /// What may be ordered: nothing for an item the master discontinued,
    /// only open backorders for one being phased out or found discontinued
    /// by a gap in its demand.
    pub fn replenishment(&self, fc: &SeriesForecast) -> Replenishment {
        match (self.status, fc.discontinued) {
            (Some(Lifecycle::Discontinued), _) => Replenishment::Nothing,
            (Some(Lifecycle::PhaseOut), _) | (_, true) => Replenishment::BackordersOnly,
            _ => Replenishment::Replenish,
        }
    }

    /// What the policy needs for this series, given its forecast and stock on
    /// a planning day: `at` = (bucket, first forecast bucket, planning day number).
    pub fn policy_input(
        &self,
        config: &Config,
        fc: &SeriesForecast,
        unit_cost: f64,
        at: (Bucket, i64, i32),
        stock: StockState,
    ) -> PolicyInput {
        let (bucket, first_bucket, day) = at;
        let p = &config.policy;
        let protection = self.lead_time_days + self.review_period_days;
        let projection_days =
            (fc.mean.len() as f64 * bucket.mean_days()).max(protection + 1.0) as usize;
        PolicyInput {
            rate: daily_rate(bucket, first_bucket, day, &fc.mean, projection_days),
            sigma_bucket: fc.sigma,
            bucket_days: bucket.mean_days(),
            lead_time_days: self.lead_time_days,
            lead_time_sd_days: self.lead_time_sd_days,
            review_period_days: self.review_period_days,
            order_cycle_days: p.order_cycle_days,
            service: self.service,
            order_quantity: self.eoq(unit_cost, &fc.mean, bucket),
            count_demand: fc.distribution == forecast::Distribution::NegativeBinomial,
            count_below: p.count_distribution_below,
            moq: self.moq,
            pack_size: self.pack_size,
            on_hand: stock.on_hand,
            on_order: stock.on_order,
            backordered: stock.backordered,
            allocated: stock.allocated,
            arrivals: stock.arrivals,
            projection_days,
            forecast_errors: fc.lead_time_errors.clone(),
            demand_process: fc.process.clone(),
            replenishment: self.replenishment(fc),
            reorder_point_cap: fc
                .max_protection_demand
                .filter(|_| p.reorder_point_cap > 0.0)
                .map(|m| m * p.reorder_point_cap),
        }
    }
}

/// Stock of one series at the planning date.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StockState {
    /// Units on hand.
    pub on_hand: f64,
    /// Units on order.
    pub on_order: f64,
    /// Open customer backorders.
    pub backordered: f64,
    /// Units allocated.
    pub allocated: f64,
    /// Open arrivals: (days after the planning date, units).
    pub arrivals: Vec<(i64, f64)>,
}

/// The settings of one series from its item-master row, its purchase-order
/// lines and the config; `abc` picks the default service target.
pub fn series_settings(
    item: Option<&ingest::Item>,
    purchase_orders: &[ingest::PurchaseOrder],
    config: &Config,
    abc: char,
) -> SeriesSettings {
    let default_item = ingest::Item::default();
    let item = item.unwrap_or(&default_item);
    let p = &config.policy;
    let observed = observed_lead_time(purchase_orders, p.min_lead_time_samples);
    let (lead_time_days, lead_time_sd_days, lead_time_source) =
        match (observed, item.lead_time_days) {
            (Some((mean, sd)), _) => (mean, sd, LeadTimeSource::PurchaseOrders),
            (None, Some(l)) => (
                l,
                item.lead_time_sd_days.unwrap_or(p.lead_time_sd_days),
                LeadTimeSource::ItemMaster,
            ),
            (None, None) => (
                p.lead_time_days,
                item.lead_time_sd_days.unwrap_or(p.lead_time_sd_days),
                LeadTimeSource::ConfigDefault,
            ),
        };
    let level = item
        .service_level
        .unwrap_or_else(|| config.service_for_class(abc));
    SeriesSettings {
        lead_time_days,
        lead_time_sd_days,
        lead_time_source,
        review_period_days: item.review_period_days.unwrap_or(p.review_period_days),
        service: match p.service_type {
            ServiceType::FillRate => ServiceTarget::FillRate(level),
            ServiceType::CycleService => ServiceTarget::CycleService(level),
        },
        moq: item.moq.unwrap_or(p.moq),
        pack_size: item.pack_size.unwrap_or(p.pack_size),
        order_cost: item.order_cost.or(p.order_cost),
        holding_rate: item.holding_rate.or(p.holding_rate),
        status: item.status,
    }
}

/// Forecast settings for a series of `settings`, whose stock must cover
/// lead time + review period. An item the master calls `active` is never
/// found discontinued by a gap in its demand.
pub fn forecast_settings(
    config: &Config,
    bucket: Bucket,
    settings: &SeriesSettings,
) -> ForecastSettings {
    let (lead_time_days, review_period_days) =
        (settings.lead_time_days, settings.review_period_days);
    let quiet = if settings.status == Some(Lifecycle::Active) {
        0.0
    } else {
        config.forecast.discontinued_after_days
    };
    let protection_buckets = (lead_time_days + review_period_days) / bucket.mean_days();
    let f = &config.forecast;
    ForecastSettings {
        horizon: f.horizon.max(protection_buckets.ceil() as usize + 1),
        backtest_horizon: (protection_buckets.ceil() as usize).max(1),
        protection_buckets: Some((lead_time_days + review_period_days / 2.0) / bucket.mean_days()),
        cycle_buckets: Some(protection_buckets),
        origins: f.backtest_origins,
        metric: config.policy.forecast_metric,
        season_length: config.season_length(),
        discontinued_after: (quiet / bucket.mean_days()).ceil() as usize,
        discontinued_probability: f.discontinued_probability,
        buckets_per_year: bucket.per_year(),
        outlier_sigma: f.outlier_sigma,
        selection: f.selection,
        selection_margin: f.selection_margin,
        slow_mover_demand: config.policy.slow_mover_demand,
        process_window: (config.policy.slow_mover_history_days / bucket.mean_days()).ceil()
            as usize,
        process_below: 2.0 * config.policy.count_distribution_below,
    }
}

/// The forecast settings of series `id`.
fn series_spec(data: &Dataset, panel: &Panel, config: &Config, id: usize) -> ForecastSettings {
    // The service target (by ABC class, which needs every series) does not
    // enter the forecast: any class gives the same lead time and horizon.
    let settings = series_settings(
        data.items[id].as_ref(),
        &data.purchase_orders[id],
        config,
        'C',
    );
    forecast_settings(config, panel.bucket, &settings)
}

/// Which recorded history of a series the forecast stage reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryOf {
    /// Demand: shipped + backordered.
    Demand,
    /// Shipments alone (what a plan on recorded sales would see).
    Shipments,
}

/// What the forecast stage reads of a panel besides the histories, owned:
/// each series' forecast settings, covariates (when the global model is
/// on) and stable hash, and the stage's settings from the config.
pub struct StageInputs {
    specs: Vec<ForecastSettings>,
    covariates: Vec<Covariates>,
    hashes: Vec<u64>,
    settings: StageSettings,
}

impl StageInputs {
    /// The inputs of `panel` (which may end before the dataset's history:
    /// a replay's refit) with each series' forecast settings `specs`.
    pub fn new(
        data: &Dataset,
        panel: &Panel,
        config: &Config,
        specs: Vec<ForecastSettings>,
    ) -> StageInputs {
        let g = &config.forecast.global;
        let n = panel.series.len();
        let global_on = g.enabled && n >= global::MIN_SERIES;
        let (covariates, n_events) = if global_on {
            let horizon = specs.iter().map(|s| s.horizon).max().unwrap_or(1);
            let (c, events) =
                global::panel_covariates(panel, &data.keys, &data.events, g.max_events, horizon);
            (c, events.0.len())
        } else {
            (vec![Covariates::default(); n], 0)
        };
        let settings = StageSettings {
            global: global_on.then(|| GlobalSettings {
                season_length: config.season_length(),
                training_rows: g.training_rows,
                penalty: g.penalty,
                l1_ratio: g.l1_ratio,
                fits: g.fits,
                max_events: g.max_events,
            }),
            n_events,
            prior_series: config.forecast.selection_prior_series,
            metric: config.policy.forecast_metric,
        };
        StageInputs {
            specs,
            covariates,
            hashes: data.keys.iter().map(shard::series_hash).collect(),
            settings,
        }
    }

    /// The forecast settings of every series of `panel` planned from the
    /// dataset's item master and purchase orders.
    pub fn of_run(data: &Dataset, panel: &Panel, config: &Config) -> StageInputs {
        let specs = (0..panel.series.len())
            .into_par_iter()
            .map(|id| series_spec(data, panel, config, id))
            .collect();
        StageInputs::new(data, panel, config, specs)
    }

    /// The stage's series: `history` of each series of `panel` (the panel
    /// these inputs were made for).
    pub fn series<'a>(&'a self, panel: &'a Panel, history: HistoryOf) -> Vec<StageSeries<'a>> {
        panel
            .series
            .iter()
            .enumerate()
            .map(|(id, s)| StageSeries {
                start: s.start,
                history: match history {
                    HistoryOf::Demand => &s.demand,
                    HistoryOf::Shipments => &s.shipped,
                },
                covariates: &self.covariates[id],
                calendar_shift: 0,
                hash: self.hashes[id],
                settings: self.specs[id].clone(),
            })
            .collect()
    }

    /// The stage's settings.
    pub fn settings(&self) -> &StageSettings {
        &self.settings
    }
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
    if inv_rec.backordered > 0.0 {
        flags.push("backordered");
    }
    if inv.is_none() {
        flags.push("no_inventory_record");
    }
    if data.items[id].is_none() {
        flags.push("no_item_record");
    }
    if fc.backtests.is_empty() {
        flags.push("short_history");
    }
    if history.short_buckets() > 0 {
        flags.push("had_backorders");
    }
    match lifecycle {
        Lifecycle::Discontinued => flags.push(FLAG_DISCONTINUED),
        Lifecycle::PhaseOut => flags.push(FLAG_PHASE_OUT),
        Lifecycle::Active if dead => flags.push(FLAG_DEAD_STOCK_HELD),
        Lifecycle::Active => {}
    }
    if !fc.outliers.is_empty() {
        flags.push("outliers_clipped");
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
        backordered: inv_rec.backordered,
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

/// Series `id`'s stock at the as-of date: on hand, backordered and
/// allocated from the inventory file; on order and its arrivals from the
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
        backordered: inv.backordered,
        allocated: inv.allocated,
        arrivals,
    }
}

/// Stock on hand and no demand in the last `days` (the `dead_stock` exception).
pub fn is_dead_stock(demand: &[f64], bucket: Bucket, days: f64, on_hand: f64) -> bool {
    let n = (days / bucket.mean_days()).ceil() as usize;
    on_hand > 0.0
        && n > 0
        && demand.len() >= n
        && demand[demand.len() - n..].iter().all(|&d| d <= 0.0)
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

/// Spread bucket forecasts over days: day `d` after as-of gets its bucket's
/// mean divided by the bucket's length (days before the first forecast bucket
/// use the first bucket's rate; days beyond the forecast the last one's).
pub fn daily_rate(
    bucket: Bucket,
    first_bucket: i64,
    as_of_day: i32,
    mean: &[f64],
    days: usize,
) -> DailyRate {
    let rates = (0..days.max(1))
        .map(|d| {
            let day = as_of_day + d as i32;
            let b = bucket.index(day);
            let k = ((b - first_bucket).max(0) as usize).min(mean.len().saturating_sub(1));
            mean.get(k).copied().unwrap_or(0.0) / f64::from(bucket.days_in(b))
        })
        .collect();
    DailyRate::new(rates)
}

/// Date `days` after the as-of date.
pub fn date_after(as_of: NaiveDate, days: i64) -> NaiveDate {
    add_days(as_of, days as f64)
}
