//! Run configuration: a TOML file (`--config FILE`) merged over built-in defaults.
//!
//! See `replenish.example.toml` at the top of the repository for every key with
//! its meaning. Unknown keys are rejected so that a typo never passes silently.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::calendar::{Bucket, BucketChoice};
use crate::error::{Error, Result};
use crate::schema;

/// Scaled error used to choose between candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Mean absolute scaled error (ranks like MAE: favours the median).
    #[default]
    Mase,
    /// Root mean squared scaled error (ranks like MSE: favours the mean).
    Rmsse,
    /// √(MASE × RMSSE): a forecast judged on both, the median's terms and
    /// the mean's (a log score is the mean of the two log scores).
    Balanced,
}

/// How the forecast is chosen from the backtested candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Selection {
    /// The candidate with the lowest backtest score.
    Best,
    /// The median of the three lead candidates of the pattern, unless a single
    /// candidate's score beats it by more than the selection margin.
    #[default]
    BestWithCombination,
    /// Always the median of the three lead candidates.
    Combination,
}

/// Where a series' history starts before it is forecast (`forecast.leading_zeros`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LeadingZeros {
    /// Every bucket as given: zeros before the first demand are weeks the
    /// item sold nothing.
    Keep,
    /// From the first demand when the zeros before it are improbable at the
    /// item's rate since then (a launch); else every bucket.
    #[default]
    Launch,
    /// Always from the first demand.
    Trim,
}

/// What the selection rules hold to unless another option validates
/// clearly better (`forecast.selection_base`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectionBase {
    /// The candidate (or combination) that wins pooled over the group's
    /// series, validated on two backtest folds: the default of `forecast`.
    Pooled,
    /// Each series by its own backtest shrunk toward the prior, validated
    /// at the latest origin: the default of `run` and `simulate`.
    PerSeries,
}

/// The theta model with a fitted θ that smooth and erratic series are
/// offered beside the standard theta (`forecast.theta`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ThetaModel {
    /// The optimised theta model (`theta_opt`, statsforecast's OTM).
    #[default]
    Optimised,
    /// The best in-sample of the standard, optimised, dynamic standard and
    /// dynamic optimised models (`auto_theta`, statsforecast's AutoTheta).
    Auto,
}

/// Which models of AutoETS have multiplicative errors
/// (`forecast.ets_multiplicative_error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum EtsMultiplicativeError {
    /// `Always` where ETS can model the season (2 to 24 buckets: months,
    /// quarters, days of the week), `Seasonal` elsewhere (weeks of a year,
    /// no season), where every ETS model is non-seasonal and the
    /// multiplicative-error ones cost half of the ETS time.
    #[default]
    Auto,
    /// Every trend and season, on strictly positive data: as R's `ets` and
    /// statsforecast's AutoETS.
    Always,
    /// Seasonal models only. A non-seasonal model with multiplicative errors
    /// forecasts by the same recursions as its additive-error twin (only
    /// the fit weighs relative errors), and its fit is the costliest:
    /// without them the forecasts of a weekly panel take about a third
    /// less time.
    Seasonal,
}

/// How the lead-time demand of a slow mover is built (`policy.slow_mover_demand`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SlowMoverDemand {
    /// Negative binomial (Poisson when not over-dispersed) with the
    /// forecast's mean and the backtest's spread.
    Forecast,
    /// Occurrence and sizes from the item's history, compounded exactly.
    #[default]
    Compound,
    /// Willemain's bootstrap of the item's history.
    Bootstrap,
}

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where to read, where to write, which calendar.
    pub run: RunConfig,
    /// What to do with bad rows in the input files.
    pub input: InputConfig,
    /// Forecasting settings.
    pub forecast: ForecastConfig,
    /// Inventory-policy defaults (used where the item master is silent).
    pub policy: PolicyConfig,
    /// Report settings.
    pub report: ReportConfig,
    /// Limits of the exception rules.
    pub exceptions: ExceptionsConfig,
    /// The replay of the policy over held-back history (`replenish simulate`).
    pub simulate: SimulateConfig,
    /// The backorder desk: how supply is allocated to open customer order lines.
    pub backorders: BackordersConfig,
    /// Purchasing: the supplier scorecard.
    pub purchasing: PurchasingConfig,
    /// Column-name mapping per input file: `[columns.sales] qty = "Units"`.
    pub columns: BTreeMap<String, BTreeMap<String, String>>,
}

/// Input, output and calendar settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// Folder holding the input files.
    pub data: String,
    /// Folder under which `<as-of date>/` is written.
    pub out: String,
    /// Time bucket for demand: "auto" (the grain of the sales dates: month
    /// when every date is the 1st or the last of its month, week when every
    /// date falls on one weekday, else week), day, week (ISO, Monday start)
    /// or month. Once the data is read, [`Config::planned_in`] fixes it.
    pub bucket: BucketChoice,
    /// Planning date `YYYY-MM-DD`; default: the day after the last sales date.
    pub as_of: Option<String>,
    /// Location name used when the files have no `location` column.
    pub default_location: String,
}

/// What a bad value in an input file does.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum BadRows {
    /// Stop the run with a message naming file, line and column.
    #[default]
    Error,
    /// History files (sales, backorders, events): set the row aside in
    /// `rejected_rows.csv` and go on; other files still stop the run.
    Quarantine,
}

/// Handling of bad rows in the input files.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct InputConfig {
    /// `error` (default) or `quarantine`.
    pub bad_rows: BadRows,
    /// With `quarantine`, the run still stops when more than this share of a
    /// file's rows are bad: the file is then wrong, not dirty.
    pub max_rejected_share: f64,
    /// Sales and backorders older than this many years before the as-of date
    /// are left out (counted in `warnings.csv`): a stray old date would
    /// otherwise stretch a series over centuries of empty buckets.
    pub max_history_years: f64,
    /// Numbers are written with a decimal comma (`2,5`, `1.234,5`): the
    /// export of a spreadsheet in many languages.
    pub decimal_comma: bool,
}

impl Default for InputConfig {
    fn default() -> Self {
        InputConfig {
            bad_rows: BadRows::Error,
            max_rejected_share: 0.01,
            max_history_years: 10.0,
            decimal_comma: false,
        }
    }
}

/// Forecasting settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ForecastConfig {
    /// Buckets forecast ahead (extended to cover lead time + review period).
    pub horizon: usize,
    /// Window of the moving-average model, in buckets.
    pub moving_average_window: usize,
    /// Rolling-origin backtest origins per series.
    pub backtest_origins: usize,
    /// Scaled error that picks the model of `replenish forecast`: "mase",
    /// "rmsse" or "balanced" (√(MASE × RMSSE)); a plan's forecast is chosen
    /// by `policy.forecast_metric`.
    pub metric: Metric,
    /// Season length in buckets; default from the bucket (52 weekly, 12 monthly, 7 daily).
    pub season_length: Option<usize>,
    /// Days without demand before an item can be flagged discontinued and
    /// forecast zero (0 = never): then only when a gap that long is
    /// improbable at the item's own demand rate (`discontinued_probability`).
    pub discontinued_after_days: f64,
    /// Chance of the current gap without demand, at the item's own rate (or
    /// at its rate in the same weeks of earlier years, whichever is larger),
    /// below which it is flagged discontinued.
    pub discontinued_probability: f64,
    /// Outliers beyond this many robust standard deviations are clipped before fitting (0 = off).
    pub outlier_sigma: f64,
    /// How the forecast is chosen: "best", "best_with_combination" (the median of the
    /// three best competes as one more candidate) or "combination" (always that median).
    pub selection: Selection,
    /// Relative score a single model must gain over the combination to be chosen (0.1 = 10 %).
    pub selection_margin: f64,
    /// Series sampled (by a stable hash of their key) to learn how each
    /// candidate scores across series; every series' backtest scores are
    /// shrunk toward it before choosing (0 = each series alone).
    pub selection_prior_series: usize,
    /// Learn selection rules per group of series on the prior's sample
    /// (the combination offered and whether series choose alone or take the
    /// group's pooled winner; `src/forecast/rules.rs`). On by default; off,
    /// each series chooses by its shrunk backtest, offered the median of its
    /// lead three.
    pub selection_rules: bool,
    /// With the selection rules, also offer each group of series the
    /// learned selection: an elastic net per candidate (linfa) from the
    /// series' features and backtest to its expected score, trained on the
    /// sample's earlier origins; a group takes it only when it scores
    /// clearly better at the latest origin (`src/forecast/learner.rs`).
    pub selection_learner: bool,
    /// The theta model with a fitted θ among the regular candidates:
    /// "optimised" (`theta_opt`) or "auto" (`auto_theta`, the best in-sample
    /// of the four theta models, as statsforecast's AutoTheta).
    pub theta: ThetaModel,
    /// Which AutoETS models have multiplicative errors: "always" (as R's
    /// `ets` and statsforecast's AutoETS), "seasonal" (seasonal models
    /// only: about a third less forecasting time on non-seasonal data such
    /// as weekly series, see docs/scale.md) or "auto" (the default:
    /// "always" where ETS can model the season, 2 to 24 buckets, else
    /// "seasonal").
    pub ets_multiplicative_error: EtsMultiplicativeError,
    /// What a group of series holds to unless another choice validates
    /// clearly better: "pooled" (the group's pooled winner, validated on two
    /// folds; the default of `forecast`, which is judged by forecast error)
    /// or "per_series" (each series by its shrunk backtest, validated at
    /// the latest origin; the default of `run` and `simulate`, where the
    /// replayed policy needed up to 11 % less stock with it).
    pub selection_base: Option<SelectionBase>,
    /// Where a series' history starts for its forecast: "launch" (at its
    /// first demand when the zeros before it are improbable at its rate
    /// since; the default of `run` and `simulate`), "keep" (every bucket as
    /// given; the default of `forecast`, whose long files hold zeros as
    /// observations) or "trim" (always at the first demand). The slow
    /// movers' demand process always starts at a launch.
    pub leading_zeros: Option<LeadingZeros>,
    /// Widen or narrow all forecast spreads so that p10–p90 holds 80 % of the
    /// latest backtest origin's errors, pooled over series (split conformal).
    pub calibrate: bool,
    /// Share of each spread's variance taken from its peers: σ² ← (1 − p)·σ²
    /// + p·(pooled spread-to-level ratio × level)² (0 = each series alone).
    pub spread_pooling: f64,
    /// Quantile levels written to forecast.csv besides p10, p50 and p90.
    pub quantiles: Vec<f64>,
    /// The global model fitted across all series (`[forecast.global]`).
    pub global: GlobalConfig,
}

/// The global model: one regression on the pooled rows of every series, with
/// lags, calendar, price, promotions and events as features; two more
/// candidates (`global_linear`, `global_poisson`) of every series' selection.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct GlobalConfig {
    /// Fit it and let every series' backtest consider it.
    pub enabled: bool,
    /// Most pooled rows one fit uses; above it a fixed sample (the same at
    /// any thread count).
    pub training_rows: usize,
    /// Penalty of the elastic net on standardised features (the Poisson fit
    /// takes a hundredth of it as a ridge penalty).
    pub penalty: f64,
    /// Share of the elastic-net penalty that is L1 (0 = ridge, 1 = lasso).
    pub l1_ratio: f64,
    /// Cut-offs fitted for the backtest and the forecast (the end of history
    /// and earlier ones covering the earliest backtest origin).
    pub fits: usize,
    /// Global events (no sku) with an indicator of their own: the most frequent names.
    pub max_events: usize,
}

impl Default for GlobalConfig {
    fn default() -> Self {
        GlobalConfig {
            enabled: false,
            training_rows: 200_000,
            penalty: 1e-3,
            l1_ratio: 0.5,
            fits: 4,
            max_events: 12,
        }
    }
}

/// Inventory-policy defaults.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// Supplier lead time in days when the item master has none.
    pub lead_time_days: f64,
    /// Standard deviation of the lead time in days when the item master has none.
    pub lead_time_sd_days: f64,
    /// Received purchase-order lines needed before their lead times replace the item master's.
    pub min_lead_time_samples: usize,
    /// Days between two order reviews (the weekly batch: 7; 0 = continuous review).
    pub review_period_days: f64,
    /// Demand cover, in days, that one order adds above the reorder point
    /// when the EOQ cannot be computed.
    pub order_cycle_days: f64,
    /// Cost of placing one order line, when the item master has none; with
    /// `holding_rate` and a unit cost it sets the order quantity to the EOQ.
    pub order_cost: Option<f64>,
    /// Yearly holding cost as a share of unit cost (e.g. 0.25), when the item master has none.
    pub holding_rate: Option<f64>,
    /// What the service targets mean: "fill_rate" (share of demand served
    /// from stock) or "cycle_service" (chance of no stock-out per cycle).
    pub service_type: ServiceType,
    /// Expected demand over lead time + half a review period, in units, below which a
    /// Poisson / negative-binomial distribution replaces the normal (0 = never;
    /// intermittent items always use it).
    pub count_distribution_below: f64,
    /// Minimum order quantity when the item master has none.
    pub moq: f64,
    /// Pack size (order multiple) when the item master has none.
    pub pack_size: f64,
    /// Service target per ABC class, used when the item master has none.
    pub service_level: ServiceLevels,
    /// Cumulative value shares closing classes A and B (e.g. 0.8 and 0.95).
    pub abc_thresholds: [f64; 2],
    /// Coefficient-of-variation limits closing classes X and Y.
    pub xyz_thresholds: [f64; 2],
    /// Shape of the forecast-error term of lead-time demand for regular
    /// (non-count) demand: "empirical" (the backtest's standardised errors
    /// over the protection horizon, pooled per ABC class) or "normal".
    pub lead_time_demand: LeadTimeDemand,
    /// How a class's fill-rate target is shared out: "per_series" (every
    /// series at the target) or "pooled" (the class's demand-weighted fill
    /// rate at the target with the least stock value, units without costs:
    /// per-series cycle-service levels from a Lagrangian allocation).
    pub service_allocation: ServiceAllocation,
    /// With `service_allocation = "pooled"`: no series is planned below
    /// this expected fill rate (0 = no floor), whatever it would save.
    pub pooled_min_fill_rate: f64,
    /// Lead-time demand of a regular count series (whole units, too many
    /// for a slow mover) whose recent demand passes as Poisson around its
    /// moving level ([`crate::dispersion`]): "off" (the forecast's backtest
    /// spread), "poisson" (Poisson around the forecast when the test does
    /// not reject it) or "dispersion" (that, and negative binomial at the
    /// measured dispersion when it does).
    pub count_test: CountTest,
    /// Lead-time demand of slow movers (intermittent or lumpy items, and
    /// those with fewer than `count_distribution_below` units over lead time
    /// and half a review): "compound" (occurrence and sizes from the item's
    /// recent history, compounded exactly), "bootstrap" (Willemain's
    /// bootstrap of that history) or "forecast" (negative binomial on the
    /// forecast's mean and backtest spread).
    pub slow_mover_demand: SlowMoverDemand,
    /// Days of recent history the demand process of a slow mover is read from.
    pub slow_mover_history_days: f64,
    /// The score that chooses the forecast a plan is made on (`run`,
    /// `simulate`): "rmsse" (squared error: its optimum is the mean, which
    /// the reorder point is set around, and the least squared error is the
    /// least spread to protect against) or "mase". `forecast.metric`
    /// chooses for `replenish forecast` (held-out accuracy).
    pub forecast_metric: Metric,
    /// A reorder point above this many times the largest demand the item
    /// ever had over lead time + half a review (with a year of history) is
    /// cut to it and flagged `reorder_point_capped` (0 = no cap).
    pub reorder_point_cap: f64,
    /// Replay the policy over the window before the plan (as `simulate`
    /// does, `simulate.origin_buckets` long) at the targets of
    /// `simulate.targets`, and plan each ABC class at the target whose
    /// replay achieved the configured one (items with their own
    /// `service_level` keep it). Costs about one `simulate` per run.
    pub auto_calibrate: bool,
}

/// How a fill-rate target is shared out over the series of a class
/// (`policy.service_allocation`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ServiceAllocation {
    /// Every series at the target: what each item's planner was promised.
    PerSeries,
    /// The target met by the class's demand-weighted fill rate, with the
    /// least stock value ([`crate::allocation`]), no series below
    /// `policy.pooled_min_fill_rate`; items with their own `service_level`
    /// keep it. The default: the only setting that met issue 17's targets.
    #[default]
    Pooled,
}

/// Lead-time demand of regular count series by the dispersion test
/// (`policy.count_test`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum CountTest {
    /// The forecast's backtest spread, as for every regular series.
    Off,
    /// Poisson around the forecast where the test does not reject it.
    Poisson,
    /// Poisson where the test does not reject it, else negative binomial
    /// with the measured dispersion (variance = index × mean). The default.
    #[default]
    Dispersion,
}

impl CountTest {
    /// The variance-to-mean ratio of lead-time demand for a series with
    /// `dispersion` (`None`: plan with the forecast's spread).
    pub fn variance_ratio(self, dispersion: Option<&crate::dispersion::Dispersion>) -> Option<f64> {
        let d = dispersion?;
        match self {
            CountTest::Off => None,
            CountTest::Poisson => d.poisson().then_some(1.0),
            CountTest::Dispersion => Some(if d.poisson() { 1.0 } else { d.index }),
        }
    }
}

/// Shape of the forecast-error term of lead-time demand (`policy.lead_time_demand`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum LeadTimeDemand {
    /// The empirical distribution of the backtest's errors summed over the
    /// protection horizon, standardised and pooled across series (per ABC
    /// class, else all classes, else the normal when there are too few).
    #[default]
    Empirical,
    /// The normal distribution.
    Normal,
}

/// What a service target measures.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ServiceType {
    /// Share of demand served from stock.
    FillRate,
    /// Probability of no stock-out in a replenishment cycle.
    CycleService,
}

/// Service targets per ABC class; a class the config leaves out keeps its
/// default (A 98 %, B 95 %, C 90 %).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceLevels {
    /// Class A target.
    #[serde(rename = "A")]
    pub a: f64,
    /// Class B target.
    #[serde(rename = "B")]
    pub b: f64,
    /// Class C target.
    #[serde(rename = "C")]
    pub c: f64,
}

impl Default for ServiceLevels {
    fn default() -> Self {
        ServiceLevels {
            a: 0.98,
            b: 0.95,
            c: 0.90,
        }
    }
}

/// Limits of the exception rules (exceptions.csv).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ExceptionsConfig {
    /// Days of cover above which stock is excess.
    pub excess_cover_days: f64,
    /// Days without demand, with stock on hand, that make stock dead.
    pub dead_stock_days: f64,
    /// Backtest bias, as a share of mean demand, beyond which the forecast is biased.
    pub bias_threshold: f64,
    /// Received purchase-order lines of the last this many days are checked
    /// for lead-time outliers.
    pub lead_time_outlier_days: f64,
}

impl Default for ExceptionsConfig {
    fn default() -> Self {
        ExceptionsConfig {
            excess_cover_days: 180.0,
            dead_stock_days: 182.0,
            bias_threshold: 0.3,
            lead_time_outlier_days: 91.0,
        }
    }
}

/// Which open customer order lines supply serves first (`backorders.allocation`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum AllocationRule {
    /// First ordered, first served: order date, then order id and line.
    #[default]
    Fifo,
    /// Higher `priority` first, then first in, first out.
    Priority,
    /// Each arrival split over the waiting lines pro rata to what they
    /// still need, in whole units, remainders first in, first out.
    FairShare,
}

/// Settings of the backorder desk (`[backorders]`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BackordersConfig {
    /// Which lines supply serves first.
    pub allocation: AllocationRule,
    /// A line may ship in parts as supply arrives; when false it waits
    /// until it can ship whole (the units held for it stay held).
    pub allow_partial: bool,
}

impl Default for BackordersConfig {
    fn default() -> Self {
        BackordersConfig {
            allocation: AllocationRule::Fifo,
            allow_partial: true,
        }
    }
}

/// How orders over `purchasing.budget` are cut (`purchasing.budget_cut`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum BudgetCut {
    /// The units whose removal adds the fewest expected backorder units
    /// per unit of money first; lines covering open customer backorders last.
    #[default]
    Marginal,
    /// Every line by the same share (the plain rule, for comparison).
    Proportional,
}

/// Settings of purchasing (`[purchasing]`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PurchasingConfig {
    /// Days of received purchase-order lines the supplier scorecard reads.
    pub scorecard_days: f64,
    /// Cap on the value of one run's orders (in the replay: of one day's
    /// orders); none by default.
    pub budget: Option<f64>,
    /// How orders over the budget are cut.
    pub budget_cut: BudgetCut,
    /// A supplier's last container at least this full is filled up by
    /// bringing lines forward; a less full one is trimmed away.
    pub container_fill_up: f64,
}

impl Default for PurchasingConfig {
    fn default() -> Self {
        PurchasingConfig {
            scorecard_days: 365.0,
            budget: None,
            budget_cut: BudgetCut::Marginal,
            container_fill_up: 0.7,
        }
    }
}

/// Settings of `replenish simulate`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SimulateConfig {
    /// Buckets of history held back and replayed; default 26 weekly, 12 monthly, 90 daily.
    pub origin_buckets: Option<usize>,
    /// Refit the forecasts at every review that has a new complete bucket
    /// (as the weekly batch does); false: keep the forecast made at the origin.
    pub refit: bool,
    /// Refits from one full selection of the forecasts to the next (every
    /// candidate backtested and the choice made afresh, as the weekly run
    /// does); at the refits between, each series' chosen model is refitted
    /// to the history as it stands. 1: a full selection at every refit.
    pub reselect_every: usize,
    /// Series replayed at most: a panel with more replays a stable sample of
    /// this many (those of smallest stable hash of sku and location, as the
    /// selection prior's sample is chosen), and says so; 0 replays every
    /// series. The replay costs about one forecast stage per refit, so a
    /// large panel's full replay takes hours; its totals per class come
    /// within sampling error from a few thousand series.
    pub max_series: usize,
    /// Demand that cannot be served is lost instead of backordered.
    pub lost_sales: bool,
    /// Seed of the lead-time draws.
    pub seed: u64,
    /// Fill-rate targets of the trade-off curve (every series at the same target).
    pub targets: Vec<f64>,
    /// The spreadsheet baseline orders up to this many weeks of average sales.
    pub cover_weeks: f64,
    /// Days of recorded sales the spreadsheet baseline averages.
    pub cover_history_days: f64,
}

impl Default for SimulateConfig {
    fn default() -> Self {
        SimulateConfig {
            origin_buckets: None,
            refit: true,
            reselect_every: 1,
            max_series: 5000,
            lost_sales: false,
            seed: 42,
            targets: vec![
                0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999,
            ],
            cover_weeks: 8.0,
            cover_history_days: 91.0,
        }
    }
}

/// Report settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ReportConfig {
    /// Number of highest-value series that get a chart (besides those with an
    /// order or an exception).
    pub charts: usize,
    /// At most this many series charts (orders and service exceptions first).
    pub max_series_charts: usize,
    /// Formats every chart is written in: "png" (what index.html shows;
    /// always) and optionally "svg" (about as large again per chart).
    pub chart_formats: Vec<ChartFormat>,
}

/// A chart file format (`report.chart_formats`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ChartFormat {
    /// PNG: what index.html shows.
    Png,
    /// SVG: a vector copy beside each PNG.
    Svg,
}

impl ReportConfig {
    /// Every chart is also written as SVG.
    pub fn svg(&self) -> bool {
        self.chart_formats.contains(&ChartFormat::Svg)
    }
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            data: "data/sample".into(),
            out: "reports".into(),
            bucket: BucketChoice::Auto,
            as_of: None,
            default_location: "main".into(),
        }
    }
}

impl Default for ForecastConfig {
    fn default() -> Self {
        ForecastConfig {
            horizon: 13,
            moving_average_window: 8,
            backtest_origins: 3,
            metric: Metric::Mase,
            season_length: None,
            discontinued_after_days: 91.0,
            discontinued_probability: 0.01,
            outlier_sigma: 6.0,
            selection: Selection::BestWithCombination,
            selection_margin: 0.1,
            selection_prior_series: 2000,
            selection_rules: true,
            selection_learner: false,
            theta: ThetaModel::default(),
            ets_multiplicative_error: EtsMultiplicativeError::default(),
            selection_base: None,
            leading_zeros: None,
            calibrate: true,
            spread_pooling: 0.5,
            quantiles: vec![0.1, 0.5, 0.9],
            global: GlobalConfig::default(),
        }
    }
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            lead_time_days: 28.0,
            lead_time_sd_days: 0.0,
            min_lead_time_samples: 3,
            review_period_days: 7.0,
            order_cycle_days: 28.0,
            order_cost: None,
            holding_rate: None,
            service_type: ServiceType::FillRate,
            count_distribution_below: 10.0,
            moq: 0.0,
            pack_size: 1.0,
            service_level: ServiceLevels::default(),
            abc_thresholds: [0.8, 0.95],
            xyz_thresholds: [0.5, 1.0],
            lead_time_demand: LeadTimeDemand::default(),
            service_allocation: ServiceAllocation::default(),
            pooled_min_fill_rate: 0.5,
            count_test: CountTest::default(),
            slow_mover_demand: SlowMoverDemand::default(),
            slow_mover_history_days: 730.0,
            forecast_metric: Metric::Rmsse,
            reorder_point_cap: 2.0,
            auto_calibrate: false,
        }
    }
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            charts: 200,
            max_series_charts: 1000,
            chart_formats: vec![ChartFormat::Png],
        }
    }
}

/// A config whose ranges and column mapping were checked once
/// ([`Config::check`], in the manner of linfa's `ParamGuard`): the commands
/// take it, so none checks the config again. It reads as a [`Config`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CheckedConfig(Config);

impl std::ops::Deref for CheckedConfig {
    type Target = Config;

    fn deref(&self) -> &Config {
        &self.0
    }
}

impl CheckedConfig {
    /// The config with `change` applied (command-line overrides), checked again.
    pub fn with(self, change: impl FnOnce(&mut Config)) -> Result<CheckedConfig> {
        let mut config = self.0;
        change(&mut config);
        config.check()
    }
}

impl Config {
    /// Check ranges and the column mapping: the only way to a [`CheckedConfig`].
    pub fn check(self) -> Result<CheckedConfig> {
        self.validate()?;
        Ok(CheckedConfig(self))
    }

    /// Read a TOML file over the defaults and check it.
    pub fn from_file(path: &Path) -> Result<CheckedConfig> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Config(format!(
                "cannot read the config file {}: {e}",
                path.display()
            ))
        })?;
        Self::from_toml(&text).map_err(|e| match e {
            Error::Config(m) => Error::Config(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    /// Parse TOML text over the defaults and check it.
    pub fn from_toml(text: &str) -> Result<CheckedConfig> {
        let config: Config = toml::from_str(text).map_err(|e| Error::Config(e.to_string()))?;
        config.check()
    }

    /// Check ranges and the column mapping.
    fn validate(&self) -> Result<()> {
        self.check_input()?;
        self.check_policy()?;
        self.check_simulate()?;
        self.check_forecast()?;
        self.check_exceptions_and_columns()?;
        Ok(())
    }

    /// Check the `[input]` section.
    fn check_input(&self) -> Result<()> {
        let share = self.input.max_rejected_share;
        if !(0.0..=1.0).contains(&share) {
            return Err(Error::Config(format!(
                "input.max_rejected_share = {share}: expected a share between 0 and 1"
            )));
        }
        let years = self.input.max_history_years;
        if !(1.0..=100.0).contains(&years) {
            return Err(Error::Config(format!(
                "input.max_history_years = {years}: expected a number of years from 1 to 100"
            )));
        }
        Ok(())
    }

    /// Check the `[policy]` section.
    fn check_policy(&self) -> Result<()> {
        let p = &self.policy;
        let positive = |name: &str, v: f64, allow_zero: bool| {
            if !v.is_finite() || v < 0.0 || (!allow_zero && v == 0.0) {
                Err(Error::Config(format!(
                    "policy.{name} = {v}: expected a {} number",
                    if allow_zero {
                        "non-negative"
                    } else {
                        "positive"
                    }
                )))
            } else {
                Ok(())
            }
        };
        positive("lead_time_days", p.lead_time_days, true)?;
        positive("lead_time_sd_days", p.lead_time_sd_days, true)?;
        positive("review_period_days", p.review_period_days, true)?;
        positive("count_distribution_below", p.count_distribution_below, true)?;
        if let Some(k) = p.order_cost {
            positive("order_cost", k, true)?;
        }
        if let Some(h) = p.holding_rate {
            positive("holding_rate", h, false)?;
        }
        positive("order_cycle_days", p.order_cycle_days, true)?;
        positive("moq", p.moq, true)?;
        positive("pack_size", p.pack_size, false)?;
        for (class, v) in [
            ("A", p.service_level.a),
            ("B", p.service_level.b),
            ("C", p.service_level.c),
        ] {
            if !(v > 0.0 && v < 1.0) {
                return Err(Error::Config(format!(
                    "policy.service_level.{class} = {v}: expected a value strictly between 0 and 1"
                )));
            }
        }
        for (name, t) in [
            ("abc_thresholds", p.abc_thresholds),
            ("xyz_thresholds", p.xyz_thresholds),
        ] {
            if !(t[0].is_finite() && t[1].is_finite() && 0.0 < t[0] && t[0] <= t[1]) {
                return Err(Error::Config(format!(
                    "policy.{name} = [{}, {}]: expected two increasing positive numbers",
                    t[0], t[1]
                )));
            }
        }
        if !(0.0..1.0).contains(&p.pooled_min_fill_rate) {
            return Err(Error::Config(format!(
                "policy.pooled_min_fill_rate = {}: expected a fill rate from 0 (no floor) up to below 1",
                p.pooled_min_fill_rate
            )));
        }
        Ok(())
    }

    /// Check the `[simulate]` section.
    fn check_simulate(&self) -> Result<()> {
        let sim = &self.simulate;
        if sim.targets.is_empty() || sim.targets.iter().any(|t| !(*t > 0.0 && *t < 1.0)) {
            return Err(Error::Config(
                "simulate.targets: expected one or more values strictly between 0 and 1".into(),
            ));
        }
        if sim.origin_buckets == Some(0) {
            return Err(Error::Config(
                "simulate.origin_buckets: expected at least 1".into(),
            ));
        }
        if sim.reselect_every == 0 {
            return Err(Error::Config(
                "simulate.reselect_every: expected at least 1 (1: a full selection at every refit)"
                    .into(),
            ));
        }
        for (name, v) in [
            ("cover_weeks", sim.cover_weeks),
            ("cover_history_days", sim.cover_history_days),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::Config(format!(
                    "simulate.{name} = {v}: expected a positive number"
                )));
            }
        }
        Ok(())
    }

    /// Check the `[forecast]` section (and the slow movers' history window).
    fn check_forecast(&self) -> Result<()> {
        if self.forecast.horizon == 0 || self.forecast.horizon > 1000 {
            return Err(Error::Config(
                "forecast.horizon: expected 1 to 1000 buckets".into(),
            ));
        }
        if self.forecast.moving_average_window == 0 {
            return Err(Error::Config(
                "forecast.moving_average_window: expected at least 1".into(),
            ));
        }
        if self.forecast.backtest_origins == 0 || self.forecast.backtest_origins > 100 {
            return Err(Error::Config(
                "forecast.backtest_origins: expected 1 to 100".into(),
            ));
        }
        let f = &self.forecast;
        let g = &f.global;
        if g.training_rows < 100 {
            return Err(Error::Config(
                "forecast.global.training_rows: expected at least 100".into(),
            ));
        }
        if !(g.penalty.is_finite() && g.penalty >= 0.0) {
            return Err(Error::Config(format!(
                "forecast.global.penalty = {}: expected a non-negative number",
                g.penalty
            )));
        }
        if !(0.0..=1.0).contains(&g.l1_ratio) {
            return Err(Error::Config(format!(
                "forecast.global.l1_ratio = {}: expected a share between 0 and 1",
                g.l1_ratio
            )));
        }
        if !(1..=20).contains(&g.fits) {
            return Err(Error::Config(
                "forecast.global.fits: expected 1 to 20".into(),
            ));
        }
        if g.max_events > 32 {
            return Err(Error::Config(
                "forecast.global.max_events: expected at most 32".into(),
            ));
        }
        if !(f.discontinued_after_days.is_finite() && f.discontinued_after_days >= 0.0) {
            return Err(Error::Config(
                "forecast.discontinued_after_days: expected a non-negative number".into(),
            ));
        }
        if !(f.discontinued_probability > 0.0 && f.discontinued_probability < 1.0) {
            return Err(Error::Config(format!(
                "forecast.discontinued_probability = {}: expected a value strictly between 0 and 1",
                f.discontinued_probability
            )));
        }
        if !(self.policy.reorder_point_cap.is_finite() && self.policy.reorder_point_cap >= 0.0) {
            return Err(Error::Config(format!(
                "policy.reorder_point_cap = {}: expected a non-negative number (0 = no cap)",
                self.policy.reorder_point_cap
            )));
        }
        if !(self.purchasing.scorecard_days.is_finite() && self.purchasing.scorecard_days >= 1.0) {
            return Err(Error::Config(format!(
                "purchasing.scorecard_days = {}: expected at least 1",
                self.purchasing.scorecard_days
            )));
        }
        if let Some(b) = self.purchasing.budget
            && !(b.is_finite() && b >= 0.0)
        {
            return Err(Error::Config(format!(
                "purchasing.budget = {b}: expected a value of at least 0"
            )));
        }
        if !self.report.chart_formats.contains(&ChartFormat::Png) {
            return Err(Error::Config(
                "report.chart_formats: expected \"png\" among them (index.html shows the PNG charts)"
                    .into(),
            ));
        }
        if !(0.0..=1.0).contains(&self.purchasing.container_fill_up) {
            return Err(Error::Config(format!(
                "purchasing.container_fill_up = {}: expected a share between 0 and 1",
                self.purchasing.container_fill_up
            )));
        }
        if !(self.policy.slow_mover_history_days.is_finite()
            && self.policy.slow_mover_history_days >= 1.0)
        {
            return Err(Error::Config(format!(
                "policy.slow_mover_history_days = {}: expected at least 1",
                self.policy.slow_mover_history_days
            )));
        }
        if !(f.outlier_sigma.is_finite() && f.outlier_sigma >= 0.0) {
            return Err(Error::Config(
                "forecast.outlier_sigma: expected a non-negative number".into(),
            ));
        }
        if let Some(q) = f.quantiles.iter().find(|q| !(**q > 0.0 && **q < 1.0)) {
            return Err(Error::Config(format!(
                "forecast.quantiles: {q} is not strictly between 0 and 1"
            )));
        }
        if !(f.selection_margin.is_finite() && (0.0..1.0).contains(&f.selection_margin)) {
            return Err(Error::Config(
                "forecast.selection_margin: expected a value from 0 up to 1".into(),
            ));
        }
        if f.season_length == Some(0) {
            return Err(Error::Config(
                "forecast.season_length: expected at least 1".into(),
            ));
        }
        Ok(())
    }

    /// Check the `[exceptions]`, `[run]` and `[columns.*]` sections.
    fn check_exceptions_and_columns(&self) -> Result<()> {
        let x = &self.exceptions;
        for (name, v) in [
            ("excess_cover_days", x.excess_cover_days),
            ("dead_stock_days", x.dead_stock_days),
            ("bias_threshold", x.bias_threshold),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::Config(format!(
                    "exceptions.{name} = {v}: expected a positive number"
                )));
            }
        }
        if self.run.default_location.trim().is_empty() {
            return Err(Error::Config(
                "run.default_location must not be empty".into(),
            ));
        }
        for (file, map) in &self.columns {
            let Some(known) = schema::file(file).map(|f| f.names()) else {
                return Err(Error::Config(format!(
                    "[columns.{file}]: unknown input file; expected one of {}",
                    schema::FILES
                        .iter()
                        .map(|f| f.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            };
            for (logical, actual) in map {
                if !known.contains(&logical.as_str()) {
                    return Err(Error::Config(format!(
                        "[columns.{file}] {logical} = \"{actual}\": unknown column; expected one of {}",
                        known.join(", ")
                    )));
                }
            }
        }
        Ok(())
    }

    /// The column name in file `file` that holds logical column `logical`.
    pub fn column_name<'a>(&'a self, file: &str, logical: &'a str) -> &'a str {
        self.columns
            .get(file)
            .and_then(|m| m.get(logical))
            .map(String::as_str)
            .unwrap_or(logical)
    }

    /// Quantile levels for forecast.csv: p10, p50, p90 and the configured ones, sorted.
    pub fn quantile_levels(&self) -> Vec<f64> {
        let mut levels = vec![0.1, 0.5, 0.9];
        for &q in &self.forecast.quantiles {
            if !levels.iter().any(|l| (l - q).abs() < 1e-9) {
                levels.push(q);
            }
        }
        levels.sort_by(f64::total_cmp);
        levels
    }

    /// This config with the bucket the data is planned in
    /// ([`crate::ingest::Dataset::bucket`]) in place of `auto`.
    pub fn planned_in(&self, bucket: Bucket) -> Config {
        let mut c = self.clone();
        c.run.bucket = bucket.into();
        c
    }

    /// Season length in buckets: the configured one, else one year of
    /// buckets (of weeks while the bucket is still `auto`).
    pub fn season_length(&self) -> usize {
        self.forecast
            .season_length
            .unwrap_or(match self.run.bucket.resolve(None) {
                Bucket::Day => 7,
                Bucket::Week => 52,
                Bucket::Month => 12,
            })
    }

    /// Default service target for an ABC class.
    pub fn service_for_class(&self, class: char) -> f64 {
        match class {
            'A' => self.policy.service_level.a,
            'B' => self.policy.service_level.b,
            _ => self.policy.service_level.c,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        Config::default().validate().unwrap();
        assert_eq!(*Config::from_toml("").unwrap(), Config::default());
    }

    #[test]
    fn the_example_config_states_the_defaults() {
        let example = include_str!("../replenish.example.toml");
        assert_eq!(*Config::from_toml(example).unwrap(), Config::default());
    }

    #[test]
    fn chart_formats_need_png() {
        assert!(!Config::default().report.svg());
        let c: Config = toml::from_str("[report]\nchart_formats = [\"png\", \"svg\"]").unwrap();
        assert!(c.report.svg() && c.check().is_ok());
        let c: Config = toml::from_str("[report]\nchart_formats = [\"svg\"]").unwrap();
        assert!(c.check().is_err());
        assert!(toml::from_str::<Config>("[report]\nchart_formats = [\"gif\"]").is_err());
    }

    #[test]
    fn the_count_test_decides_the_variance_ratio() {
        use crate::dispersion::Dispersion;
        let passed = Dispersion {
            index: 1.3,
            p_value: 0.2,
        };
        let rejected = Dispersion {
            index: 2.5,
            p_value: 0.01,
        };
        assert_eq!(CountTest::Off.variance_ratio(Some(&passed)), None);
        assert_eq!(CountTest::Poisson.variance_ratio(Some(&passed)), Some(1.0));
        assert_eq!(CountTest::Poisson.variance_ratio(Some(&rejected)), None);
        assert_eq!(
            CountTest::Dispersion.variance_ratio(Some(&passed)),
            Some(1.0)
        );
        assert_eq!(
            CountTest::Dispersion.variance_ratio(Some(&rejected)),
            Some(2.5)
        );
        assert_eq!(CountTest::Dispersion.variance_ratio(None), None);
        let c: Config = toml::from_str("[policy]\ncount_test = \"dispersion\"").unwrap();
        assert_eq!(c.policy.count_test, CountTest::Dispersion);
    }

    #[test]
    fn mapping_and_overrides() {
        let c = Config::from_toml(
            "[run]\nbucket = \"month\"\n[policy]\nlead_time_days = 14\n[columns.sales]\nqty = \"Units\"\n",
        )
        .unwrap();
        assert_eq!(c.run.bucket, BucketChoice::Month);
        assert_eq!(c.policy.lead_time_days, 14.0);
        assert_eq!(c.column_name("sales", "qty"), "Units");
        assert_eq!(c.column_name("sales", "sku"), "sku");
    }

    #[test]
    fn typos_and_bad_values_are_rejected() {
        let partial = Config::from_toml("[policy.service_level]\nA = 0.97\n").unwrap();
        assert_eq!(
            (
                partial.policy.service_level.a,
                partial.policy.service_level.b,
                partial.policy.service_level.c
            ),
            (0.97, 0.95, 0.90)
        );
        assert!(Config::from_toml("[policy]\nlead_time = 3\n").is_err());
        assert!(Config::from_toml("[columns.sale]\nqty = \"x\"\n").is_err());
        assert!(Config::from_toml("[columns.sales]\nquantity = \"x\"\n").is_err());
        assert!(Config::from_toml("[policy.service_level]\nA = 1.0\nB = 0.9\nC = 0.9\n").is_err());
        assert!(Config::from_toml("[policy]\npack_size = 0\n").is_err());
        assert!(Config::from_toml("[policy]\nholding_rate = 0\n").is_err());
        assert!(Config::from_toml("[policy]\norder_cost = -1\n").is_err());
        assert!(Config::from_toml("[policy]\nservice_type = \"fill\"\n").is_err());
        assert!(Config::from_toml("[run]\nbucket = \"year\"\n").is_err());
    }
}
