//! `replenish simulate`: replay the policy over held-back history and show
//! what it would have done.
//!
//! The history is cut at an origin (by default 26 weeks, 12 months or 90 days
//! before its end). Every series is forecast as of the origin, and the real
//! demand after it (shipped + backordered) is replayed day by day
//! ([`engine`]): orders are placed at every review, arrive after a lead time
//! drawn from the series' received purchase orders (those received before the
//! origin; the planned lead time without enough of them), demand is served
//! from stock and the rest backordered or lost. The forecasts are refitted at
//! every review that has a new complete bucket, with no row from after the
//! review day in the fit. Inventory history is not part of the data contract,
//! so every policy starts from its own order-up-to level with nothing on order,
//! and the measures count from the day the first order can have arrived (lead
//! time + review period after the origin): the starting stock flatters no policy.
//!
//! Compared on the same demand and the same lead-time draws (the k-th order of
//! every policy gets the k-th draw): replenish at the configured targets,
//! replenish at each fill-rate target of `simulate.targets` (the trade-off
//! curve), replenish on forecasts of shipments only (without the backorder
//! correction), the ERP min/max rule of the item master, and the spreadsheet
//! rule "order up to N weeks of average sales" ([`rules`]).

pub mod engine;
mod purchasing;
pub mod rules;

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use rand::SeedableRng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::allocation::{self, ServiceCurve};
use crate::calendar::{Bucket, date_of_day, day_number};
use crate::config::{
    CheckedConfig, Config, LeadTimeDemand, ServiceAllocation, ServiceType, SimulateConfig,
};
use crate::demand::{self, Panel, PricePromo, SeriesHistory};
use crate::error::{Error, Result};
use crate::forecast::rules::SelectionRules;
use crate::forecast::stage::{Stage, StageSeries, StageSettings};
use crate::forecast::{self, Calibration, ForecastSettings, HorizonErrorPools, SeriesForecast};
use crate::forecasting::{HistoryOf, StageInputs, candidates};
use crate::ingest::{self, Dataset, PurchaseOrder};
use crate::plan::{self, ClassTargets, SeriesSettings, StockState};
use crate::policy::ServiceTarget;
use crate::threads::thread_pool;

use engine::{OrderRule, Outcome, Replay, replay};
use rules::{MinMax, PoissonMean, Policy, RecordedSales, SalesCover};

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimulateOptions {
    /// Input folder.
    pub data: PathBuf,
    /// Folder under which `<as-of>-simulation/` is written.
    pub out: PathBuf,
    /// Planning date override (the end of the replay).
    pub as_of: Option<NaiveDate>,
    /// Origin override: the first day replayed (rounded up to a bucket start).
    pub origin: Option<NaiveDate>,
    /// Configuration.
    pub config: CheckedConfig,
    /// Worker threads (`None`: all cores).
    pub threads: Option<usize>,
}

/// A policy replayed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Variant {
    /// replenish at the configured targets (under the suppliers' terms and
    /// the budget when they apply).
    Replenish,
    /// replenish at the configured targets, each series on its own: without
    /// the suppliers' minimums and containers and the budget (replayed only
    /// when they apply).
    WithoutPurchasingRules,
    /// replenish with every series at this fill-rate target.
    Target(f64),
    /// replenish with every series at this fill-rate target, ordering at
    /// every review: one review period's demand per order (no EOQ, no
    /// `policy.order_cycle_days`), as often as the sales-cover rule orders.
    TargetEveryReview(f64),
    /// replenish on forecasts of shipments only.
    ShipmentsOnly,
    /// The item master's min/max rule.
    MinMax,
    /// Order up to N weeks of average sales.
    SalesCover,
    /// The plain rule for slow movers at this target: order up to the
    /// Poisson quantile of the last 12 buckets' mean sales over lead time +
    /// review ([`rules::PoissonMean`]); a point of its trade-off curve.
    PoissonMean(f64),
    /// The sales-cover rule at this many weeks: a point of its trade-off curve.
    SalesCoverCurve(f64),
}

/// Weeks of sales cover of the sales-cover rule's trade-off curve.
pub const COVER_CURVE_WEEKS: [f64; 12] = [
    1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 13.0, 17.0, 22.0, 26.0,
];

/// Buckets of recorded sales the Poisson rule averages.
pub const POISSON_RULE_BUCKETS: usize = 12;

impl Variant {
    /// Name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Replenish => "replenish",
            Variant::WithoutPurchasingRules => "replenish_without_purchasing_rules",
            Variant::Target(_) => "replenish_at_target",
            Variant::TargetEveryReview(_) => "replenish_at_target_every_review",
            Variant::ShipmentsOnly => "replenish_shipments_only",
            Variant::MinMax => "erp_min_max",
            Variant::SalesCover => "sales_cover",
            Variant::PoissonMean(_) => "poisson_mean_at_target",
            Variant::SalesCoverCurve(_) => "sales_cover_curve",
        }
    }

    /// The fill-rate target every series gets, for [`Variant::Target`] and
    /// [`Variant::TargetEveryReview`] (a point of a trade-off curve).
    pub fn target(self) -> Option<f64> {
        match self {
            Variant::Target(t) | Variant::TargetEveryReview(t) => Some(t),
            _ => None,
        }
    }

    /// A point of a plain rule's trade-off curve ([`Variant::PoissonMean`],
    /// [`Variant::SalesCoverCurve`]).
    pub fn on_rule_curve(self) -> bool {
        matches!(self, Variant::PoissonMean(_) | Variant::SalesCoverCurve(_))
    }

    /// Weeks of cover of a point of the sales-cover rule's curve.
    pub fn cover_weeks(self) -> Option<f64> {
        match self {
            Variant::SalesCoverCurve(w) => Some(w),
            _ => None,
        }
    }

    /// A point of the trade-off curve at the configured order quantities.
    pub fn on_curve(self) -> bool {
        matches!(self, Variant::Target(_))
    }

    /// A point of the trade-off curve that orders at every review.
    pub fn on_every_review_curve(self) -> bool {
        matches!(self, Variant::TargetEveryReview(_))
    }

    /// A baseline replenish is compared with.
    pub fn is_baseline(self) -> bool {
        matches!(
            self,
            Variant::ShipmentsOnly | Variant::MinMax | Variant::SalesCover
        )
    }
}

/// The replay of one series under every policy.
#[derive(Debug, Clone)]
pub struct SeriesResult {
    /// Series id.
    pub id: usize,
    /// ABC class at the origin.
    pub abc: char,
    /// Unit cost (0 when unknown).
    pub unit_cost: f64,
    /// The configured service target of the series.
    pub service: ServiceTarget,
    /// Where the replayed lead times came from: `purchase_orders` (draws) or `planned`.
    pub lead_times_from: &'static str,
    /// The forecast of demand the replay starts from: the model (its label)
    /// the forecast stage chose at the origin.
    pub origin_model: String,
    /// Its mean per bucket from the origin (before the spread calibration,
    /// which leaves means alone).
    pub origin_mean: Vec<f64>,
    /// (policy, its starting stock, what happened), for every policy that applies.
    pub outcomes: Vec<(Variant, f64, Outcome)>,
}

/// Totals of one policy over a set of series.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    /// Series.
    pub series: usize,
    /// Units demanded.
    pub demand: f64,
    /// Units served from stock.
    pub served: f64,
    /// Demand-weighted target (for replenish policies).
    pub target: Option<f64>,
    /// Review cycles with demand, and those with a shortage.
    pub cycles: (u64, u64),
    /// Units short.
    pub short: f64,
    /// Units lost.
    pub lost: f64,
    /// Backorder unit-days.
    pub backorder_days: f64,
    /// Mean units on hand (summed over series).
    pub on_hand: f64,
    /// Mean value on hand (summed over series).
    pub on_hand_value: f64,
    /// Orders placed.
    pub orders: u64,
    /// Yearly cost of goods moved (units when there is no cost) over mean value on hand.
    pub turns: f64,
}

impl Totals {
    /// Share of demand served from stock.
    pub fn fill_rate(&self) -> f64 {
        if self.demand > 0.0 {
            self.served / self.demand
        } else {
            1.0
        }
    }

    /// Share of review cycles without a shortage.
    pub fn cycle_service(&self) -> f64 {
        if self.cycles.0 > 0 {
            1.0 - self.cycles.1 as f64 / self.cycles.0 as f64
        } else {
            1.0
        }
    }
}

/// The result of a simulation.
pub struct SimulationOutput {
    /// The data read.
    pub dataset: Dataset,
    /// The demand panel.
    pub panel: Panel,
    /// First day replayed.
    pub origin: NaiveDate,
    /// Days replayed.
    pub days: usize,
    /// Per series.
    pub series: Vec<SeriesResult>,
    /// Spread calibration at the origin (demand forecasts).
    pub calibration: Calibration,
    /// Pooled standardised horizon errors at the origin (demand forecasts;
    /// empty with `policy.lead_time_demand = "normal"`).
    pub lead_time_errors: HorizonErrorPools,
    /// Folder written.
    pub report_dir: PathBuf,
    /// Inventory is measured in value (some unit cost known) rather than units.
    pub in_value: bool,
    /// The sample replayed, when the panel had more than
    /// `simulate.max_series` series.
    pub sample: Option<Sample>,
}

/// A replay of some of the series (`simulate.max_series`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Series replayed.
    pub series: usize,
    /// Series in the data.
    pub of: usize,
    /// The purchasing rules were in force, so they were replayed scaled to
    /// the sample: each supplier's minimum order value and container sizes
    /// by the share of its series the sample holds, the budget by the
    /// share of all series.
    pub purchasing_rules_scaled: bool,
}

/// The flags (one per key) of the `max` series of smallest stable hash of
/// `keys` (chosen as the selection prior's sample is,
/// [`forecast::prior::sample`]); `None` when there are no more than `max`
/// or `max` is 0 (every series is replayed).
fn sample_of(keys: &[ingest::SeriesKey], max: usize) -> Option<Vec<bool>> {
    if max == 0 || keys.len() <= max {
        return None;
    }
    let mut keep = vec![false; keys.len()];
    for i in forecast::prior::sample(keys.iter().map(ingest::SeriesKey::stable_hash), max) {
        keep[i] = true;
    }
    Some(keep)
}

/// Keep `data`'s sample of at most `simulate.max_series` series
/// ([`sample_of`]) and scale the purchasing rules to it. The rules act on
/// the sum of a supplier's lines, of which the sample holds the share of
/// its series it holds: each supplier's minimum order value and container
/// sizes are scaled by that share (a random share of its series carries
/// about that share of its order value and volume), the budget by the
/// share of all series.
fn take_sample(data: &mut Dataset, config: &mut Config) -> Option<Sample> {
    let keep = sample_of(&data.keys, config.simulate.max_series)?;
    let of = data.keys.len();
    // Per supplier, its series and those of them kept.
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let suppliers = crate::suppliers::series_suppliers(data);
    for (&kept, supplier) in keep.iter().zip(suppliers) {
        if let Some(supplier) = supplier {
            let c = counts.entry(supplier.to_string()).or_default();
            c.0 += 1;
            c.1 += usize::from(kept);
        }
    }
    data.retain_series(&keep);
    let share = |part: usize, all: usize| part as f64 / all.max(1) as f64;
    for (name, terms) in &mut data.suppliers {
        if let Some(&(all, kept)) = counts.get(name) {
            let f = share(kept, all);
            for size in [
                &mut terms.min_order_value,
                &mut terms.container_volume,
                &mut terms.container_weight,
            ] {
                *size = size.map(|v| v * f);
            }
        }
    }
    let budget = &mut config.purchasing.budget;
    *budget = budget.map(|b| b * share(data.keys.len(), of));
    Some(Sample {
        series: data.keys.len(),
        of,
        purchasing_rules_scaled: purchasing::in_force(data, config),
    })
}

impl SimulationOutput {
    /// The policies replayed, in report order.
    pub fn variants(&self) -> Vec<Variant> {
        let mut v: Vec<Variant> = Vec::new();
        for s in &self.series {
            for (variant, _, _) in &s.outcomes {
                if !v.contains(variant) {
                    v.push(*variant);
                }
            }
        }
        v
    }

    /// Totals of `variant` over the series `keep` accepts.
    pub fn totals(&self, variant: Variant, keep: impl Fn(&SeriesResult) -> bool) -> Totals {
        let mut t = Totals::default();
        let mut weighted_target = 0.0;
        let mut moved_value = 0.0;
        for s in self.series.iter().filter(|s| keep(s)) {
            let Some((_, _, o)) = s.outcomes.iter().find(|(v, _, _)| *v == variant) else {
                continue;
            };
            let cost = if self.in_value { s.unit_cost } else { 1.0 };
            t.series += 1;
            t.demand += o.demand;
            t.served += o.served_from_stock;
            t.cycles.0 += u64::from(o.cycles);
            t.cycles.1 += u64::from(o.cycles_short);
            t.short += o.short;
            t.lost += o.lost;
            t.backorder_days += o.backorder_unit_days;
            t.on_hand += o.mean_on_hand();
            t.on_hand_value += o.mean_on_hand() * s.unit_cost;
            t.orders += u64::from(o.orders);
            moved_value += (o.demand - o.lost) * cost;
            let target = match variant {
                Variant::Target(x) | Variant::TargetEveryReview(x) | Variant::PoissonMean(x) => {
                    Some(x)
                }
                Variant::Replenish | Variant::WithoutPurchasingRules | Variant::ShipmentsOnly => {
                    Some(s.service.level())
                }
                _ => None,
            };
            if let Some(x) = target {
                weighted_target += x * o.demand;
            }
        }
        if matches!(
            variant,
            Variant::Target(_)
                | Variant::TargetEveryReview(_)
                | Variant::PoissonMean(_)
                | Variant::Replenish
                | Variant::WithoutPurchasingRules
                | Variant::ShipmentsOnly
        ) && t.demand > 0.0
        {
            t.target = Some(weighted_target / t.demand);
        }
        let held = if self.in_value {
            t.on_hand_value
        } else {
            t.on_hand
        };
        t.turns = if held > 0.0 {
            moved_value * 365.0 / self.days.max(1) as f64 / held
        } else {
            0.0
        };
        t
    }

    /// Inventory measure of the trade-off: mean value on hand, or units when
    /// no unit cost is known.
    pub fn inventory(&self, t: &Totals) -> f64 {
        if self.in_value {
            t.on_hand_value
        } else {
            t.on_hand
        }
    }

    /// Per ABC class: the configured target (demand-weighted), the fill rate
    /// replenish achieved at it, and the uniform target whose replay achieved
    /// the configured one (interpolated on the class's own trade-off curve;
    /// `None` outside it) — the target to configure so that the class gets
    /// what it asks for, as far as this history tells.
    pub fn tuned_targets(&self) -> Vec<TunedTarget> {
        let targets: Vec<Variant> = self
            .variants()
            .into_iter()
            .filter(|v| v.on_curve())
            .collect();
        ['A', 'B', 'C']
            .into_iter()
            .filter_map(|class| {
                let in_class = |s: &SeriesResult| s.abc == class;
                let configured = self.totals(Variant::Replenish, in_class);
                let want = configured.target?;
                let mut curve: Vec<(f64, f64)> = targets
                    .iter()
                    .filter_map(|v| {
                        let t = self.totals(*v, in_class);
                        v.target().map(|x| (t.fill_rate(), x))
                    })
                    .collect();
                curve.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
                let suggested = curve.windows(2).find_map(|w| {
                    let ((f0, t0), (f1, t1)) = (w[0], w[1]);
                    (f0 <= want && want <= f1).then(|| {
                        if f1 > f0 {
                            t0 + (t1 - t0) * (want - f0) / (f1 - f0)
                        } else {
                            t0.min(t1)
                        }
                    })
                });
                Some(TunedTarget {
                    class,
                    target: want,
                    achieved: configured.fill_rate(),
                    suggested,
                })
            })
            .collect()
    }

    /// For each baseline: its fill rate, inventory and orders over the series
    /// it ran on, and the inventory and orders replenish's trade-off curves
    /// need for the same fill rate on those series (interpolated between
    /// targets; `None` when the baseline's fill rate is outside the curve):
    /// the curve at the configured order quantities and the one that orders
    /// at every review. Inventory is only comparable at a like number of
    /// orders: fewer, larger orders carry more cycle stock.
    pub fn comparisons(&self) -> Vec<Comparison> {
        let variants = self.variants();
        self.variants()
            .into_iter()
            .filter(|v| v.is_baseline())
            .map(|baseline| {
                let on = |s: &SeriesResult| s.outcomes.iter().any(|(v, _, _)| *v == baseline);
                let b = self.totals(baseline, on);
                let curve = |keep: fn(Variant) -> bool| -> Vec<(f64, f64, f64)> {
                    variants
                        .iter()
                        .filter(|v| keep(**v))
                        .map(|v| {
                            let t = self.totals(*v, on);
                            (t.fill_rate(), self.inventory(&t), t.orders as f64)
                        })
                        .collect()
                };
                let f = b.fill_rate();
                Comparison {
                    baseline,
                    series: b.series,
                    fill_rate: f,
                    inventory: self.inventory(&b),
                    orders: b.orders,
                    replenish: at_fill_rate(curve(Variant::on_curve), f),
                    every_review: at_fill_rate(curve(Variant::on_every_review_curve), f),
                }
            })
            .collect()
    }
}

/// Inventory and orders on a trade-off curve of (fill rate, inventory,
/// orders) points at fill rate `f`, interpolated linearly between the two
/// points around it (sorted by fill rate); `None` outside the curve.
pub fn at_fill_rate(mut curve: Vec<(f64, f64, f64)>, f: f64) -> Option<(f64, f64)> {
    curve.sort_by(|a, b| a.0.total_cmp(&b.0));
    curve.windows(2).find_map(|w| {
        let ((f0, i0, o0), (f1, i1, o1)) = (w[0], w[1]);
        (f0 <= f && f <= f1).then(|| {
            if f1 > f0 {
                let x = (f - f0) / (f1 - f0);
                (i0 + (i1 - i0) * x, o0 + (o1 - o0) * x)
            } else if i0 <= i1 {
                (i0, o0)
            } else {
                (i1, o1)
            }
        })
    })
}

/// What a class asked for, got, and the target that would have given it.
#[derive(Debug, Clone, PartialEq)]
pub struct TunedTarget {
    /// ABC class.
    pub class: char,
    /// Configured target (demand-weighted over the class).
    pub target: f64,
    /// Fill rate achieved at the configured targets.
    pub achieved: f64,
    /// Uniform fill-rate target whose replay achieved `target`, when within the curve.
    pub suggested: Option<f64>,
}

/// A baseline beside replenish's trade-off curve.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The baseline.
    pub baseline: Variant,
    /// Series it ran on.
    pub series: usize,
    /// Its achieved fill rate.
    pub fill_rate: f64,
    /// Its mean inventory (value, or units).
    pub inventory: f64,
    /// Orders it placed (counted days, all its series).
    pub orders: u64,
    /// replenish's (inventory, orders) at the same fill rate on the curve at
    /// the configured order quantities, when within it.
    pub replenish: Option<(f64, f64)>,
    /// The same on the curve that orders at every review.
    pub every_review: Option<(f64, f64)>,
}

/// `policy.auto_calibrate`: per ABC class, the uniform fill-rate target
/// whose replay over the window before bucket `before` (`simulate.
/// origin_buckets` long, by default 26 weeks, 12 months or 90 days; history
/// after `before` unused) achieved the class's configured target —
/// interpolated on the replayed targets of `simulate.targets`, the highest
/// when even it fell short, the lowest when even it overshot. Empty when
/// the history before the window is too short to forecast from (fewer than
/// a window's buckets before it).
pub fn tune(data: &Dataset, panel: &Panel, config: &Config, before: i64) -> Result<ClassTargets> {
    let window_buckets = config
        .simulate
        .origin_buckets
        .unwrap_or_else(|| default_origin_buckets(panel.bucket)) as i64;
    let first = panel.series.iter().map(|s| s.start).min().unwrap_or(before);
    let origin = before - window_buckets;
    if origin - first < window_buckets.min(8) {
        return Ok(ClassTargets::new());
    }
    let window = Window {
        origin,
        end: before,
        tuning: true,
    };
    let (series, _, _) = simulate_all(data, panel, config, window, &ClassTargets::new())?;
    let mut tuned = ClassTargets::new();
    for class in ['A', 'B', 'C'] {
        let want = config.service_for_class(class);
        let mut curve: Vec<(f64, f64)> = config
            .simulate
            .targets
            .iter()
            .filter_map(|&t| {
                let (mut demand, mut served) = (0.0, 0.0);
                for s in series.iter().filter(|s| s.abc == class) {
                    if let Some((_, _, o)) =
                        s.outcomes.iter().find(|(v, _, _)| *v == Variant::Target(t))
                    {
                        demand += o.demand;
                        served += o.served_from_stock;
                    }
                }
                (demand > 0.0).then(|| (served / demand, t))
            })
            .collect();
        if curve.is_empty() {
            continue;
        }
        curve.sort_by(|a, b| a.1.total_cmp(&b.1));
        tuned.insert(class, target_achieving(&curve, want));
    }
    Ok(tuned)
}

/// On a curve of (achieved fill rate, target) points in target order, the
/// smallest target whose (linearly interpolated) achieved fill rate reaches
/// `want`: the last target when none does, the first when all do.
fn target_achieving(curve: &[(f64, f64)], want: f64) -> f64 {
    if curve[0].0 >= want {
        return curve[0].1;
    }
    for w in curve.windows(2) {
        let ((f0, t0), (f1, t1)) = (w[0], w[1]);
        if f1 >= want {
            return if f1 > f0 {
                t0 + (t1 - t0) * (want - f0) / (f1 - f0)
            } else {
                t1
            };
        }
    }
    curve[curve.len() - 1].1
}

/// Buckets held back by default: 26 weeks, 12 months or 90 days.
pub fn default_origin_buckets(bucket: Bucket) -> usize {
    match bucket {
        Bucket::Day => 90,
        Bucket::Week => 26,
        Bucket::Month => 12,
    }
}

/// Run the simulation; [`crate::report::write_simulation`] writes its folder.
pub fn run(options: &SimulateOptions) -> Result<SimulationOutput> {
    let config = &options.config;
    let pool = thread_pool(options.threads)?;
    // With a sample, only its series' history is kept (every row is still
    // read and checked), as a shard keeps its own.
    let subset = (config.simulate.max_series > 0)
        .then(|| ingest::Subset::sample_only(config.simulate.max_series));
    let mut dataset = ingest::load_subset(&options.data, config, options.as_of, subset)?;
    let mut planned = config.planned_in(dataset.bucket);
    let sample = take_sample(&mut dataset, &mut planned);
    let config = &planned;
    let bucket = dataset.bucket;
    let panel = Panel::take(
        &mut dataset,
        bucket,
        PricePromo::when_global(config.forecast.global.enabled),
    );
    let first = panel
        .series
        .iter()
        .map(|s| s.start)
        .min()
        .unwrap_or(panel.end);
    let origin_bucket = match options.origin {
        Some(d) => {
            let day = day_number(d);
            let b = bucket.index(day);
            if bucket.start_day(b) < day { b + 1 } else { b }
        }
        None => {
            panel.end
                - config
                    .simulate
                    .origin_buckets
                    .unwrap_or_else(|| default_origin_buckets(bucket)) as i64
        }
    };
    if origin_bucket <= first || origin_bucket >= panel.end {
        return Err(Error::Config(format!(
            "simulate: the origin {} leaves no history before it or nothing to replay after it (history {} to {}, {} buckets)",
            bucket.start(origin_bucket),
            bucket.start(first),
            bucket.start(panel.end),
            panel.end - first
        )));
    }
    let origin_day = bucket.start_day(origin_bucket);
    let origin = date_of_day(origin_day)
        .ok_or_else(|| Error::Internal(format!("origin day {origin_day} out of range")))?;
    let in_value = dataset.unit_costs().iter().any(|&c| c > 0.0);

    let planned = if config.policy.auto_calibrate {
        pool.install(|| tune(&dataset, &panel, config, origin_bucket))?
    } else {
        ClassTargets::new()
    };
    let window = Window {
        origin: origin_bucket,
        end: panel.end,
        tuning: false,
    };
    let series = pool.install(|| simulate_all(&dataset, &panel, config, window, &planned))?;
    let days = (bucket.start_day(panel.end) - origin_day) as usize;
    let report_dir = options.out.join(format!("{}-simulation", dataset.as_of));
    let (series, calibration, lead_time_errors) = series;
    let output = SimulationOutput {
        dataset,
        panel,
        origin,
        days,
        series,
        calibration,
        lead_time_errors,
        report_dir,
        in_value,
        sample,
    };
    Ok(output)
}

/// Forecasts of one series from its origin on: (first forecast bucket, forecast).
struct Prepared {
    /// The settings planned with (the service target tuned by
    /// `policy.auto_calibrate` where it applies).
    settings: SeriesSettings,
    /// The configured service target, as reported.
    configured: ServiceTarget,
    abc: char,
    unit_cost: f64,
    demand: Vec<(i64, SeriesForecast)>,
    shipments: Vec<(i64, SeriesForecast)>,
    lead_times: Vec<usize>,
    lead_times_from: &'static str,
}

impl Prepared {
    /// Drop the lead-time distributions its forecasts keep (a replay of the
    /// series has passed them).
    fn forget_pmfs(&self) {
        for (_, fc) in self.demand.iter().chain(&self.shipments) {
            if let Some(p) = &fc.process {
                p.forget();
            }
        }
    }
}

/// The buckets a replay covers and the policies it runs.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Window {
    /// First bucket replayed.
    origin: i64,
    /// First bucket after the replay.
    end: i64,
    /// Only the uniform targets of `simulate.targets` (tuning the service
    /// targets), or every policy.
    tuning: bool,
}

fn simulate_all(
    data: &Dataset,
    panel: &Panel,
    config: &Config,
    window: Window,
    planned: &ClassTargets,
) -> Result<(Vec<SeriesResult>, Calibration, HorizonErrorPools)> {
    let Window {
        origin: origin_bucket,
        end,
        tuning,
    } = window;
    let bucket = panel.bucket;
    let origin_day = bucket.start_day(origin_bucket);
    let sim = &config.simulate;
    let unit_costs = data.unit_costs();
    // Classes from the year before the origin.
    let abc = demand::abc_of_panel(
        panel,
        &unit_costs,
        origin_bucket,
        config.policy.abc_thresholds,
    );
    let refits: Vec<i64> = if sim.refit {
        (origin_bucket..end).collect()
    } else {
        vec![origin_bucket]
    };
    let replay_days = (bucket.start_day(end) - origin_day) as usize;

    let supplier_lead_times =
        crate::suppliers::lead_times(data, origin_day + 1, config.policy.min_lead_time_samples);
    let ctx = PrepareContext {
        abc: &abc,
        unit_costs: &unit_costs,
        replay_days,
        origin_day,
        planned,
        supplier_lead_times: &supplier_lead_times,
    };
    let mut prepared: Vec<Prepared> = (0..panel.series.len())
        .into_par_iter()
        .map(|id| prepare_series(data, config, &ctx, id))
        .collect();
    let specs: Vec<ForecastSettings> = prepared
        .iter()
        .map(|p| plan::forecast_settings(config, bucket, &p.settings))
        .collect();
    let (demand, shipments) = forecasts_at(data, panel, config, &specs, &refits, !tuning);
    for (p, fcs) in prepared.iter_mut().zip(demand) {
        p.demand = fcs;
    }
    for (p, fcs) in prepared.iter_mut().zip(shipments.into_iter().flatten()) {
        p.shipments = fcs;
    }

    let (calibration, demand_pools) = calibrate_forecasts(&mut prepared, config, false);
    calibrate_forecasts(&mut prepared, config, true);

    // The every-review curve: the configured policy with one review period's
    // demand (at least a day's) per order.
    let mut every_review = config.clone();
    every_review.policy.order_cycle_days = 1.0;
    every_review.policy.order_cost = None;
    let configs = (config, &every_review);

    let pooled = (config.policy.service_allocation == ServiceAllocation::Pooled
        && config.policy.service_type == ServiceType::FillRate)
        .then(|| pooled_levels(data, &prepared, configs, bucket));

    let mut results: Vec<SeriesResult> = prepared
        .par_iter()
        .enumerate()
        .map(|(id, p)| {
            let levels = pooled.as_ref().map(|l| &l[id]);
            let result = replay_series(data, panel, configs, window, id, p, levels);
            p.forget_pmfs();
            result
        })
        .collect();
    if !tuning && purchasing::in_force(data, config) {
        let under_rules =
            purchasing::replay_all(data, panel, config, window, &prepared, pooled.as_deref());
        for (r, (start, o)) in results.iter_mut().zip(under_rules) {
            if let Some(k) = r.outcomes.iter().position(|v| v.0 == Variant::Replenish) {
                r.outcomes[k].0 = Variant::WithoutPurchasingRules;
                r.outcomes.insert(k, (Variant::Replenish, start, o));
            }
        }
    }
    Ok((results, calibration, demand_pools))
}

/// Calibrate every series' forecasts of demand (or of shipments) across
/// series at the origin, as the weekly run does: spreads pooled toward
/// their peers' (`forecast.spread_pooling`) and scaled by the split-conformal
/// factor, and the standardised horizon errors pooled per ABC class (in
/// units of the calibrated spread) for the regular-demand series. Returns
/// the factors and the pools.
fn calibrate_forecasts(
    prepared: &mut [Prepared],
    config: &Config,
    shipments: bool,
) -> (Calibration, HorizonErrorPools) {
    fn first(p: &Prepared, shipments: bool) -> Option<&SeriesForecast> {
        let fcs = if shipments { &p.shipments } else { &p.demand };
        fcs.first().map(|f| &f.1)
    }
    let of = |p| first(p, shipments);
    let calibration = if config.forecast.calibrate {
        forecast::calibration(prepared.iter().filter_map(of))
    } else {
        Calibration::NONE
    };
    let ratio = forecast::pooled_spread_ratio(prepared.iter().filter_map(of));
    let pools = if config.policy.lead_time_demand == LeadTimeDemand::Empirical {
        forecast::pool_horizon_errors(
            prepared.iter().filter_map(|p| of(p).map(|f| (f, p.abc))),
            calibration.normal,
        )
    } else {
        HorizonErrorPools::default()
    };
    let share = config.forecast.spread_pooling;
    prepared.par_iter_mut().for_each(|p| {
        let errors = pools.for_class(p.abc);
        let fcs = if shipments {
            &mut p.shipments
        } else {
            &mut p.demand
        };
        for (_, fc) in fcs {
            fc.pool_spread(&ratio, share);
            fc.sigma *= calibration.factor(fc.distribution);
            if fc.distribution == forecast::Distribution::Normal {
                fc.lead_time_errors = errors.clone();
            }
        }
    });
    (calibration, pools)
}

/// Per series, (refit, forecast) in refit order, of one history.
type AtRefits = Vec<Vec<(i64, SeriesForecast)>>;

/// The forecasts and rules of a full selection, kept for the refits up to
/// the next one.
type Selected = (Vec<SeriesForecast>, Option<SelectionRules>);

/// Every series' forecasts of its demand and, with `shipments`, of its
/// shipments at each refit (the first forecast bucket of each), made by the
/// forecast stage on the panel as it stood then, as the weekly run on that
/// date makes them — or, at the refits between two full selections of
/// `simulate.reselect_every`, with each series' choice kept and refitted
/// ([`Stage::refit`]). A series whose shipments are its demand up to a
/// refit is backtested once there ([`Stage::forecast_all_twins`]).
fn forecasts_at(
    data: &Dataset,
    panel: &Panel,
    config: &Config,
    specs: &[ForecastSettings],
    refits: &[i64],
    shipments: bool,
) -> (AtRefits, Option<AtRefits>) {
    let candidates = candidates(config);
    let streams: &[HistoryOf] = if shipments {
        &[HistoryOf::Demand, HistoryOf::Shipments]
    } else {
        &[HistoryOf::Demand]
    };
    let mut out: Vec<AtRefits> = streams
        .iter()
        .map(|_| {
            (0..panel.series.len())
                .map(|_| Vec::with_capacity(refits.len()))
                .collect()
        })
        .collect();
    let every = config.simulate.reselect_every.max(1);
    // Per history, the forecasts and rules of the latest full selection.
    let mut selected: Vec<Selected> = Vec::new();
    for (k, &b) in refits.iter().enumerate() {
        // The global model reads the covariates of the panel as it stood;
        // the local models only the histories, borrowed up to the refit.
        let cut = config.forecast.global.enabled.then(|| panel.until(b));
        let inputs = StageInputs::new(data, cut.as_ref().unwrap_or(panel), config, specs.to_vec());
        let series: Vec<Vec<StageSeries>> = streams
            .iter()
            .map(|&history| match &cut {
                Some(cut) => inputs.series(cut, history),
                None => inputs.series_until(panel, history, b),
            })
            .collect();
        let fcs: Vec<Vec<SeriesForecast>> = if k % every != 0 && !selected.is_empty() {
            // No prior: only the global model, when on, is fitted.
            let settings = StageSettings {
                prior_series: 0,
                ..inputs.settings().clone()
            };
            series
                .iter()
                .zip(&selected)
                .map(|(series, (chosen, rules))| {
                    let stage = Stage::new(series, &candidates, panel.bucket, b, &settings);
                    (0..series.len())
                        .into_par_iter()
                        .map(|id| stage.refit(id, &chosen[id], rules.as_ref()))
                        .collect()
                })
                .collect()
        } else {
            let settings = inputs.settings();
            let first = Stage::new(&series[0], &candidates, panel.bucket, b, settings);
            let twin = series
                .get(1)
                .map(|s| Stage::beside(s, &candidates, panel.bucket, b, settings, Some(&first)));
            let rules: Vec<Option<SelectionRules>> = std::iter::once(&first)
                .chain(&twin)
                .map(|s| s.rules.clone())
                .collect();
            let fcs = match twin {
                Some(twin) => {
                    let (a, b) = first.forecast_all_twins(twin);
                    vec![a, b]
                }
                None => vec![first.forecast_all(|| {})],
            };
            if every > 1 {
                selected = fcs.iter().cloned().zip(rules).collect();
            }
            fcs
        };
        for (out, fcs) in out.iter_mut().zip(fcs) {
            for (out, mut fc) in out.iter_mut().zip(fcs) {
                if k > 0 {
                    slim(&mut fc);
                }
                out.push((b, fc));
            }
        }
    }
    let demand = out.remove(0);
    (demand, out.pop())
}

/// Drop from a forecast at a refit after the first what the replay does not
/// read (the calibration reads the first refit's): the backtests but the
/// chosen one, the backtest origins' errors, the outliers. A replay holds a
/// forecast per series and refit.
fn slim(fc: &mut SeriesForecast) {
    let model = fc.model;
    fc.backtests.retain(|b| b.model == model);
    fc.backtests.shrink_to_fit();
    fc.outliers = Vec::new();
    fc.standardized_errors = Vec::new();
    fc.horizon_errors = Vec::new();
    fc.cycle_errors = Vec::new();
    fc.latest_origin = Vec::new();
}

/// What every series' preparation for a replay shares.
struct PrepareContext<'a> {
    abc: &'a [char],
    unit_costs: &'a [f64],
    replay_days: usize,
    origin_day: i32,
    planned: &'a ClassTargets,
    /// Each series' supplier lead time as known at the origin.
    supplier_lead_times: &'a [Option<(f64, f64)>],
}

/// Series `id`'s settings as of the origin and its lead-time draws (its
/// forecasts come after, from [`forecasts_at`]).
fn prepare_series(data: &Dataset, config: &Config, ctx: &PrepareContext, id: usize) -> Prepared {
    let abc = ctx.abc[id];
    // Lead times known at the origin: lines received by then, as `run --as-of` sees them.
    let received: Vec<PurchaseOrder> = data.purchase_orders[id]
        .iter()
        .filter(|po| po.received_day().is_some_and(|r| r <= ctx.origin_day))
        .cloned()
        .collect();
    let mut settings = plan::series_settings(
        data.items[id].as_ref(),
        &received,
        crate::suppliers::SupplierFacts {
            lead_time: ctx.supplier_lead_times[id],
            ..crate::suppliers::facts(data, id)
        },
        config,
        abc,
    );
    // Today's lifecycle status may not have held over the replayed past: the
    // replay judges items by their demand alone.
    settings.status = None;
    let (lead_times, lead_times_from) =
        lead_time_draws(&received, &settings, config, id, ctx.replay_days);
    let configured = settings.service;
    let own = data.items[id]
        .as_ref()
        .is_some_and(|item| item.service_level.is_some());
    if let (Some(&t), false) = (ctx.planned.get(&abc), own) {
        settings.service = ServiceTarget::FillRate(t);
    }
    Prepared {
        settings,
        configured,
        abc,
        unit_cost: ctx.unit_costs[id],
        demand: Vec::new(),
        shipments: Vec::new(),
        lead_times,
        lead_times_from,
    }
}

/// The k-th order's lead time: a seeded draw from the received lines (one
/// per review of the replay), else the plan's; and where they came from.
fn lead_time_draws(
    received: &[PurchaseOrder],
    settings: &SeriesSettings,
    config: &Config,
    id: usize,
    replay_days: usize,
) -> (Vec<usize>, &'static str) {
    let observed: Vec<usize> = received
        .iter()
        .filter_map(|po| {
            po.received_day()
                .map(|r| (r - po.order_day).max(1) as usize)
        })
        .collect();
    if observed.len() < config.policy.min_lead_time_samples.max(1) {
        return (
            vec![settings.lead_time_days.round().max(1.0) as usize],
            "planned",
        );
    }
    let draws = replay_days / (settings.review_period_days.round().max(1.0) as usize) + 1;
    let mut rng = ChaCha8Rng::seed_from_u64(
        config.simulate.seed ^ (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    (
        (0..draws)
            .map(|_| *observed.choose(&mut rng).unwrap_or(&1))
            .collect(),
        "purchase_orders",
    )
}

/// The service of one series at each refit under `policy.service_allocation
/// = "pooled"`: cycle-service levels from [`allocation::allocate`], each
/// group (an ABC class at its target, or every series at a target of the
/// curve) reaching its fill rate in aggregate at every refit; `None` keeps
/// the series' own target.
#[derive(Debug, Clone, Default)]
struct SeriesLevels {
    /// At the configured targets, per refit.
    configured: Vec<Option<ServiceTarget>>,
    /// The same on forecasts of shipments.
    shipments: Vec<Option<ServiceTarget>>,
    /// Per target of `simulate.targets`, per refit.
    targets: Vec<Vec<Option<ServiceTarget>>>,
    /// The same for the curve that orders at every review.
    every_review: Vec<Vec<Option<ServiceTarget>>>,
}

/// [`SeriesLevels`] of every series: the fill rate each series' policy
/// expects at a grid of cycle-service levels (per refit, planned on the
/// first day of the refit's bucket with no stock), then one allocation per
/// group, target and refit. One refit's curves at a time: they are the
/// largest thing a replay holds.
fn pooled_levels(
    data: &Dataset,
    prepared: &[Prepared],
    configs: (&Config, &Config),
    bucket: Bucket,
) -> Vec<SeriesLevels> {
    let (config, every_review) = configs;
    let prices = allocation::unit_prices(&prepared.iter().map(|p| p.unit_cost).collect::<Vec<_>>());
    let refits = prepared.first().map_or(0, |p| p.demand.len());
    let targets = config.simulate.targets.len();
    let mut out: Vec<SeriesLevels> = (0..prepared.len())
        .map(|_| SeriesLevels {
            configured: vec![None; refits],
            shipments: vec![None; refits],
            targets: vec![vec![None; refits]; targets],
            every_review: vec![vec![None; refits]; targets],
        })
        .collect();
    // The configured targets: per ABC class, the series without their own
    // (none when tuning: only the curve is replayed then).
    let tuning = prepared.first().is_some_and(|p| p.shipments.is_empty());
    let classes: Vec<(f64, Vec<usize>)> = ['A', 'B', 'C']
        .into_iter()
        .filter(|_| !tuning)
        .map(|class| {
            let members = (0..prepared.len())
                .filter(|&i| {
                    prepared[i].abc == class
                        && data.items[i]
                            .as_ref()
                            .is_none_or(|item| item.service_level.is_none())
                })
                .collect();
            (config.service_for_class(class), members)
        })
        .collect();
    let level = |alpha: f64| Some(ServiceTarget::CycleService(alpha));
    for k in 0..refits {
        let at = |shipments: bool, config: &Config, every: bool| {
            curves_at(prepared, &prices, k, (shipments, every), config, bucket)
        };
        for (every, c) in [
            (false, at(false, config, false)),
            (true, at(false, every_review, true)),
        ] {
            let levels: Vec<Vec<f64>> = config
                .simulate
                .targets
                .par_iter()
                .map(|&target| allocation::allocate(&c, target))
                .collect();
            for (t, row) in levels.iter().enumerate() {
                for (i, &alpha) in row.iter().enumerate() {
                    let slot = if every {
                        &mut out[i].every_review[t][k]
                    } else {
                        &mut out[i].targets[t][k]
                    };
                    *slot = level(alpha);
                }
            }
            if every || tuning {
                continue;
            }
            let streams = [(false, c), (true, at(true, config, false))];
            let groups: Vec<(bool, &Vec<usize>, Vec<f64>)> = streams
                .iter()
                .flat_map(|s| {
                    classes
                        .iter()
                        .filter(|g| !g.1.is_empty())
                        .map(move |g| (s, g))
                })
                .collect::<Vec<_>>()
                .into_par_iter()
                .map(|((on_shipments, c), (target, members))| {
                    let group: Vec<ServiceCurve> = members.iter().map(|&i| c[i].clone()).collect();
                    (
                        *on_shipments,
                        members,
                        allocation::allocate(&group, *target),
                    )
                })
                .collect();
            for (on_shipments, members, alphas) in groups {
                for (&i, alpha) in members.iter().zip(alphas) {
                    let slot = if on_shipments {
                        &mut out[i].shipments[k]
                    } else {
                        &mut out[i].configured[k]
                    };
                    *slot = level(alpha);
                }
            }
        }
        forget_pmfs(prepared, k);
    }
    out
}

/// Drop the lead-time distributions the forecasts at refit `k` keep (the
/// service curves have been drawn; a replay builds them again).
fn forget_pmfs(prepared: &[Prepared], k: usize) {
    prepared.par_iter().for_each(|p| {
        for fcs in [&p.demand, &p.shipments] {
            if let Some(process) = fcs.get(k).and_then(|f| f.1.process.as_ref()) {
                process.forget();
            }
        }
    });
}

/// Every series' service curve at refit `k`, planned on its forecast of
/// demand (or of shipments) under `config`; `every`: the curve that orders
/// at every review (no order cost).
fn curves_at(
    prepared: &[Prepared],
    prices: &[f64],
    k: usize,
    (shipments, every): (bool, bool),
    config: &Config,
    bucket: Bucket,
) -> Vec<ServiceCurve> {
    prepared
        .par_iter()
        .zip(prices)
        .map(|(p, &price)| {
            let mut settings = p.settings;
            if every {
                settings.order_cost = None;
            }
            let fcs = if shipments { &p.shipments } else { &p.demand };
            let (first, fc) = &fcs[k];
            let input = settings.policy_input(
                config,
                fc,
                p.unit_cost,
                (bucket, *first, bucket.start_day(*first)),
                StockState::default(),
            );
            ServiceCurve::new(&input, price).with_floor(config.policy.pooled_min_fill_rate)
        })
        .collect()
}

/// Replay series `id` under every policy; `configs` = (the config, the same
/// with one review period's demand per order).
fn replay_series(
    data: &Dataset,
    panel: &Panel,
    configs: (&Config, &Config),
    window: Window,
    id: usize,
    p: &Prepared,
    levels: Option<&SeriesLevels>,
) -> SeriesResult {
    let (config, every_review) = configs;
    let bucket = panel.bucket;
    let s = &panel.series[id];
    let origin_day = bucket.start_day(window.origin);
    let daily = daily_demand(panel, window, id);
    let sim = &config.simulate;
    let replay_with = |rule: &mut dyn OrderRule, start: f64| -> Outcome {
        replay(&replay_of(&daily, p, sim, start), rule)
    };
    let policy_on = |settings: SeriesSettings,
                     forecasts: &[(i64, SeriesForecast)],
                     config: &Config,
                     services: &[Option<ServiceTarget>]| {
        let mut rule = Policy {
            settings,
            forecasts,
            services,
            unit_cost: p.unit_cost,
            config,
            bucket,
            origin_day,
            demand: &s.demand,
            start: s.start,
        };
        let start = rule.order_up_to_at_origin();
        (start, replay_with(&mut rule, start))
    };
    let mut outcomes = Vec::new();
    let none = SeriesLevels::default();
    let levels = levels.unwrap_or(&none);
    let at = |v: &[Vec<Option<ServiceTarget>>], t: usize| v.get(t).cloned().unwrap_or_default();
    if !window.tuning {
        let (start, o) = policy_on(p.settings, &p.demand, config, &levels.configured);
        outcomes.push((Variant::Replenish, start, o));
    }
    for (i, &t) in sim.targets.iter().enumerate() {
        let mut settings = p.settings;
        settings.service = ServiceTarget::FillRate(t);
        let (start, o) = policy_on(settings, &p.demand, config, &at(&levels.targets, i));
        outcomes.push((Variant::Target(t), start, o));
    }
    let result = |outcomes| SeriesResult {
        id,
        abc: p.abc,
        unit_cost: p.unit_cost,
        service: p.configured,
        lead_times_from: p.lead_times_from,
        origin_model: p.demand.first().map(|f| f.1.label()).unwrap_or_default(),
        origin_mean: p
            .demand
            .first()
            .map(|f| f.1.mean.clone())
            .unwrap_or_default(),
        outcomes,
    };
    if window.tuning {
        return result(outcomes);
    }
    for (i, &t) in sim.targets.iter().enumerate() {
        let mut settings = p.settings;
        settings.service = ServiceTarget::FillRate(t);
        settings.order_cost = None;
        let services = at(&levels.every_review, i);
        let (start, o) = policy_on(settings, &p.demand, every_review, &services);
        outcomes.push((Variant::TargetEveryReview(t), start, o));
    }
    let (start, o) = policy_on(p.settings, &p.shipments, config, &levels.shipments);
    outcomes.push((Variant::ShipmentsOnly, start, o));
    outcomes.extend(plain_rules(
        data,
        id,
        p,
        s,
        (bucket, origin_day),
        sim,
        &replay_with,
    ));
    result(outcomes)
}

/// Real demand of series `id` after the window's origin, spread evenly
/// over each bucket's days.
fn daily_demand(panel: &Panel, window: Window, id: usize) -> Vec<f64> {
    let bucket = panel.bucket;
    let s = &panel.series[id];
    let mut daily = Vec::new();
    for b in window.origin..window.end {
        let days = bucket.days_in(b);
        let k = b - s.start;
        let d = if k >= 0 {
            s.demand.get(k as usize).copied().unwrap_or(0.0)
        } else {
            0.0
        };
        daily.extend(std::iter::repeat_n(d / f64::from(days), days as usize));
    }
    daily
}

/// The replay of `daily` demand with the series' lead times and review
/// period, from `start` units on hand, counted after one lead time and review.
fn replay_of<'a>(
    daily: &'a [f64],
    p: &'a Prepared,
    sim: &crate::config::SimulateConfig,
    start: f64,
) -> Replay<'a> {
    Replay {
        demand: daily,
        review_days: p.settings.review_period_days.round().max(1.0) as usize,
        lead_times: &p.lead_times,
        start_on_hand: start,
        lost_sales: sim.lost_sales,
        measure_from: (p.settings.lead_time_days + p.settings.review_period_days)
            .ceil()
            .max(0.0) as usize,
    }
}

/// The plain rules replayed on series `id`: the item master's min/max, the
/// sales-cover rule (and its curve), the Poisson rule at each target.
fn plain_rules(
    data: &Dataset,
    id: usize,
    p: &Prepared,
    s: &SeriesHistory,
    (bucket, origin_day): (Bucket, i32),
    sim: &SimulateConfig,
    replay_with: &dyn Fn(&mut dyn OrderRule, f64) -> Outcome,
) -> Vec<(Variant, f64, Outcome)> {
    let mut outcomes = Vec::new();
    if let Some(item) = data.items[id].as_ref()
        && let (Some(min), Some(max)) = (item.min_qty, item.max_qty)
    {
        let mut rule = MinMax {
            min,
            max,
            moq: p.settings.moq,
            pack_size: p.settings.pack_size,
        };
        outcomes.push((Variant::MinMax, max, replay_with(&mut rule, max)));
    }
    let recorded = RecordedSales {
        sales: s.shipped(),
        start: s.start,
        bucket,
        origin_day,
        moq: p.settings.moq,
        pack_size: p.settings.pack_size,
    };
    let mut cover = SalesCover {
        weeks: sim.cover_weeks,
        history_days: sim.cover_history_days,
        recorded,
    };
    let start = cover.level(0);
    outcomes.push((Variant::SalesCover, start, replay_with(&mut cover, start)));
    for weeks in COVER_CURVE_WEEKS {
        cover.weeks = weeks;
        let start = cover.level(0);
        let o = replay_with(&mut cover, start);
        outcomes.push((Variant::SalesCoverCurve(weeks), start, o));
    }
    for &t in &sim.targets {
        let mut rule = PoissonMean {
            target: t,
            history_buckets: POISSON_RULE_BUCKETS,
            protection_days: p.settings.lead_time_days + p.settings.review_period_days,
            recorded,
        };
        let start = rule.level(0);
        outcomes.push((
            Variant::PoissonMean(t),
            start,
            replay_with(&mut rule, start),
        ));
    }
    outcomes
}

/// Rows of `simulation_summary.csv`: every policy (targets in order) by ABC
/// class and in total.
pub fn summary(out: &SimulationOutput) -> Vec<(Variant, String, Totals)> {
    let mut rows = Vec::new();
    for v in out.variants() {
        for class in ["A", "B", "C", "all"] {
            let t = out.totals(v, |s| class == "all" || s.abc.to_string() == class);
            if t.series > 0 {
                rows.push((v, class.to_string(), t));
            }
        }
    }
    rows
}

/// Counts of the series by where their replayed lead times came from.
pub fn lead_time_sources(out: &SimulationOutput) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for s in &out.series {
        *m.entry(s.lead_times_from).or_default() += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::{at_fill_rate, sample_of, take_sample, target_achieving};
    use crate::ingest::SeriesKey;

    #[test]
    fn a_sample_scales_each_suppliers_rules_by_the_share_of_its_series() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut sales = String::from("sku,location,date,qty\n");
        let mut items = String::from("sku,supplier,unit_cost\n");
        for i in 0..8 {
            for d in 1..=28 {
                sales.push_str(&format!("S{i},DC,2024-02-{d:02},1\n"));
            }
            // S7's supplier is known from its purchase order only, and S7
            // is not in the sample (its history is not read).
            let supplier = match i {
                0..4 => "ONE",
                7 => "",
                _ => "TWO",
            };
            items.push_str(&format!("S{i},{supplier},2\n"));
        }
        std::fs::write(dir.path().join("sales.csv"), sales).unwrap();
        std::fs::write(dir.path().join("items.csv"), items).unwrap();
        std::fs::write(
            dir.path().join("purchase_orders.csv"),
            "po_id,supplier,sku,location,qty,order_date,due_date,received_date,received_qty\n\
             PO-1,TWO,S7,DC,5,2024-01-02,2024-01-09,2024-01-10,5\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("suppliers.csv"),
            "supplier,min_order_value,container_volume,container_weight,max_containers\n\
             ONE,400,2,1000,3\nTWO,100,,,\n",
        )
        .unwrap();
        let mut config = crate::config::Config::default();
        config.simulate.max_series = 3;
        config.purchasing.budget = Some(800.0);
        let subset = Some(crate::ingest::Subset::sample_only(3));
        let mut data = crate::ingest::load_subset(dir.path(), &config, None, subset).expect("load");
        let keep = sample_of(&data.keys, 3).expect("a sample");
        assert!(!keep[7]);
        let kept = |supplier: &str| {
            (0..8)
                .filter(|&i| keep[i] && ((i < 4) == (supplier == "ONE")))
                .count() as f64
        };
        let sample = take_sample(&mut data, &mut config).expect("a sample");
        assert_eq!((sample.series, sample.of), (3, 8));
        assert!(sample.purchasing_rules_scaled);
        assert_eq!(data.keys.len(), 3);
        assert_eq!(data.items.len(), 3);
        let one = &data.suppliers["ONE"];
        let f = kept("ONE") / 4.0;
        assert_eq!(one.min_order_value, Some(400.0 * f));
        assert_eq!(one.container_volume, Some(2.0 * f));
        assert_eq!(one.container_weight, Some(1000.0 * f));
        assert_eq!(one.max_containers, Some(3.0));
        assert_eq!(
            data.suppliers["TWO"].min_order_value,
            Some(100.0 * kept("TWO") / 4.0)
        );
        assert_eq!(config.purchasing.budget, Some(800.0 * 3.0 / 8.0));
    }

    #[test]
    fn a_sample_is_the_series_of_smallest_stable_hash() {
        let keys: Vec<SeriesKey> = (0..50)
            .map(|i| SeriesKey {
                sku: format!("SKU-{i}"),
                location: "DC".into(),
            })
            .collect();
        assert_eq!(sample_of(&keys, 0), None);
        assert_eq!(sample_of(&keys, 50), None);
        let keep = sample_of(&keys, 7).expect("a sample of 7");
        assert_eq!(keep.iter().filter(|k| **k).count(), 7);
        let mut hashes: Vec<u64> = keys.iter().map(|k| k.stable_hash()).collect();
        hashes.sort_unstable();
        for (k, key) in keep.iter().zip(&keys) {
            assert_eq!(*k, key.stable_hash() <= hashes[6], "{key:?}");
        }
        // The same series in another key order.
        let mut shuffled = keys.clone();
        shuffled.reverse();
        let again = sample_of(&shuffled, 7).expect("a sample of 7");
        let kept = |keys: &[SeriesKey], keep: &[bool]| -> Vec<String> {
            let mut v: Vec<String> = keys
                .iter()
                .zip(keep)
                .filter(|(_, k)| **k)
                .map(|(key, _)| key.sku.clone())
                .collect();
            v.sort();
            v
        };
        assert_eq!(kept(&keys, &keep), kept(&shuffled, &again));
    }

    #[test]
    fn the_target_that_achieved_a_fill_rate() {
        // (achieved, target): 90 % needed a 93.5 % target.
        let curve = [(0.85, 0.9), (0.88, 0.93), (0.92, 0.95), (0.97, 0.98)];
        assert!((target_achieving(&curve, 0.9) - 0.94).abs() < 1e-12);
        assert_eq!(target_achieving(&curve, 0.8), 0.9);
        assert_eq!(target_achieving(&curve, 0.99), 0.98);
        // A flat stretch: the first target that reaches it.
        let flat = [(0.9, 0.9), (0.9, 0.95), (0.95, 0.98)];
        assert_eq!(target_achieving(&flat, 0.9), 0.9);
    }

    #[test]
    fn inventory_and_orders_interpolated_at_a_fill_rate() {
        // (fill rate, inventory, orders), out of order.
        let curve = vec![(0.99, 300.0, 10.0), (0.9, 100.0, 30.0), (0.95, 200.0, 20.0)];
        // Between 95 % and 99 %, a quarter of the way: 200 + 25, 20 − 2.5.
        let (i, o) = at_fill_rate(curve.clone(), 0.96).unwrap();
        assert!((i - 225.0).abs() < 1e-9 && (o - 17.5).abs() < 1e-9);
        assert_eq!(at_fill_rate(curve.clone(), 0.9), Some((100.0, 30.0)));
        assert_eq!(at_fill_rate(curve.clone(), 0.995), None);
        assert_eq!(at_fill_rate(curve, 0.5), None);
        // Two points at one fill rate: the smaller inventory.
        let flat = vec![(0.9, 120.0, 5.0), (0.9, 100.0, 6.0)];
        assert_eq!(at_fill_rate(flat, 0.9), Some((100.0, 6.0)));
    }
}
