//! The plan of one series and what it is made from: the settings from the
//! item master, the purchase orders and the config; the stock at the
//! planning date; the decision with its flags. Below the pipeline, the
//! replay and the reports, which all read it.

use crate::calendar::Bucket;
use crate::config::{Config, LeadingZeros, SelectionBase, ServiceType};
use crate::demand::Pattern;
use crate::forecast::{self, ForecastSettings, SeriesForecast};
use crate::ingest;
use crate::inventory_theory::{LeadTimeErrors, eoq};
use crate::lifecycle::Lifecycle;
use crate::policy::{self, DailyRate, PolicyInput, PolicyOutput, Replenishment, ServiceTarget};
use crate::suppliers::SupplierFacts;

/// Internal fill-rate targets per ABC class that replace the configured
/// ones where the item master sets none (`policy.auto_calibrate`).
pub type ClassTargets = std::collections::BTreeMap<char, f64>;

/// Mean and standard deviation of the days from order to receipt over the
/// received purchase-order lines, when there are at least `min_samples`.
pub fn observed_lead_time(
    lines: &[ingest::PurchaseOrder],
    min_samples: usize,
) -> Option<(f64, f64)> {
    let days: Vec<f64> = lines
        .iter()
        .filter_map(|po| po.received_day().map(|r| f64::from(r - po.order_day)))
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
    /// The same over every item of its supplier (too few receipts of its own).
    Supplier,
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
            LeadTimeSource::Supplier => "supplier",
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
    pub flags: Vec<Flag>,
}

/// A flag for the planner on a series (`flags` in plan.csv and orders.csv).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// Open customer backorders now.
    Backordered,
    /// No inventory record: stock taken as zero.
    NoInventoryRecord,
    /// No item-master row: config defaults used.
    NoItemRecord,
    /// Too little history to backtest any candidate.
    ShortHistory,
    /// Backorders in the history (demand was short at some point).
    HadBackorders,
    /// Discontinued (item master, or a gap in demand improbable at its own rate).
    Discontinued,
    /// Being phased out (item master): ordered only to cover open backorders.
    PhaseOut,
    /// Dead stock (stock and no demand for `exceptions.dead_stock_days`):
    /// not added to unless open backorders need it.
    DeadStockHeld,
    /// Outliers were clipped before fitting.
    OutliersClipped,
    /// The reorder point was cut to `policy.reorder_point_cap` times the
    /// largest demand the item ever had over lead time + half a review.
    Capped,
    /// The position is below the reorder point, an order is recommended.
    Order,
    /// The order line covers open backorders that nothing on the way covers in time.
    CoversBackorders,
    /// Stock runs out within the lead time.
    AtRisk,
    /// Ordered before its reorder point to meet the supplier's minimum
    /// order value or fill a container.
    BroughtForward,
    /// Deferred to the supplier's next order day (an order below its minimum value).
    Deferred,
    /// Trimmed to whole containers or the supplier's most containers.
    Trimmed,
    /// Cut to the budget.
    BudgetCut,
}

impl Flag {
    /// Its spelling in the reports.
    pub fn name(self) -> &'static str {
        match self {
            Flag::Backordered => "backordered",
            Flag::NoInventoryRecord => "no_inventory_record",
            Flag::NoItemRecord => "no_item_record",
            Flag::ShortHistory => "short_history",
            Flag::HadBackorders => "had_backorders",
            Flag::Discontinued => "discontinued",
            Flag::PhaseOut => "phase_out",
            Flag::DeadStockHeld => "dead_stock_not_reordered",
            Flag::OutliersClipped => "outliers_clipped",
            Flag::Capped => "reorder_point_capped",
            Flag::Order => "below_reorder_point",
            Flag::CoversBackorders => "covers_backorders",
            Flag::AtRisk => "stockout_within_lead_time",
            Flag::BroughtForward => "brought_forward",
            Flag::Deferred => "deferred",
            Flag::Trimmed => "trimmed",
            Flag::BudgetCut => "budget_cut",
        }
    }

    /// Whether the flag follows from the policy's decision (set again
    /// whenever the policy is).
    fn set_by_policy(self) -> bool {
        matches!(
            self,
            Flag::Order | Flag::AtRisk | Flag::CoversBackorders | Flag::Capped
        )
    }
}

/// `flags` spelt for a report, joined by `separator`.
pub fn flag_names(flags: &[Flag], separator: &str) -> String {
    flags
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(separator)
}

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
    pub fn flag_policy(&mut self) {
        self.flags.retain(|f| !f.set_by_policy());
        if self.policy.reorder_point_capped {
            self.flags.push(Flag::Capped);
        }
        if self.policy.order_qty > 0.0 && self.policy.inventory_position < self.policy.reorder_point
        {
            self.flags.push(Flag::Order);
        }
        if self.policy.uncovered_backorders > 0.0 {
            self.flags.push(Flag::CoversBackorders);
        }
        if self
            .policy
            .stockout_days
            .is_some_and(|d| (d as f64) < self.lead_time_days)
        {
            self.flags.push(Flag::AtRisk);
        }
    }
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
            count_variance_ratio: p.count_test.variance_ratio(fc.dispersion.as_ref()),
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
/// lines, what its supplier tells (observed lead time, the gap between its
/// order days as the review period; see [`crate::suppliers::facts`]) and the
/// config; `abc` picks the default service target.
pub fn series_settings(
    item: Option<&ingest::Item>,
    purchase_orders: &[ingest::PurchaseOrder],
    supplier: SupplierFacts,
    config: &Config,
    abc: char,
) -> SeriesSettings {
    let default_item = ingest::Item::default();
    let item = item.unwrap_or(&default_item);
    let p = &config.policy;
    let observed = observed_lead_time(purchase_orders, p.min_lead_time_samples)
        .map(|o| (o, LeadTimeSource::PurchaseOrders))
        .or(supplier.lead_time.map(|o| (o, LeadTimeSource::Supplier)));
    let (lead_time_days, lead_time_sd_days, lead_time_source) =
        match (observed, item.lead_time_days) {
            (Some(((mean, sd), source)), _) => (mean, sd, source),
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
        review_period_days: item
            .review_period_days
            .or(supplier.review_period_days)
            .unwrap_or(p.review_period_days),
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
        leading_zeros: f.leading_zeros.unwrap_or(LeadingZeros::Launch),
        selection: f.selection,
        selection_margin: f.selection_margin,
        selection_learner: f.selection_learner,
        selection_base: f.selection_base.unwrap_or(SelectionBase::PerSeries),
        slow_mover_demand: config.policy.slow_mover_demand,
        process_window: (config.policy.slow_mover_history_days / bucket.mean_days()).ceil()
            as usize,
        process_below: 2.0 * config.policy.count_distribution_below,
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
