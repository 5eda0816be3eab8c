//! The order rules the simulation compares: replenish's policy on its
//! forecasts, the ERP's min/max rule, and the spreadsheet rule "order up to N
//! weeks of average sales".

use crate::calendar::Bucket;
use crate::config::Config;
use crate::forecast::SeriesForecast;
use crate::plan::{SeriesSettings, StockState, is_dead_stock};
use crate::policy::{self, PolicyInput, PolicyOutput, Replenishment, ServiceTarget, round_order};

use super::engine::{OrderRule, Stock};

fn state(day: usize, stock: &Stock) -> StockState {
    StockState {
        on_hand: stock.on_hand,
        on_order: stock.on_order(),
        backordered: stock.backlog,
        allocated: 0.0,
        arrivals: stock.arrivals_after(day),
    }
}

/// replenish's policy: at each review, the latest forecast made from complete
/// buckets before the review day, applied to the simulated stock.
pub struct Policy<'a> {
    /// Series settings (lead time, review period, service target, MOQ, pack).
    pub settings: SeriesSettings,
    /// Forecasts, each with the first bucket it forecasts (the history ends
    /// just before it), in increasing bucket order.
    pub forecasts: &'a [(i64, SeriesForecast)],
    /// The service to plan for with each forecast, when it is not the
    /// settings' target (`None` or missing: the settings'; the pooled
    /// allocation's cycle-service levels).
    pub services: &'a [Option<ServiceTarget>],
    /// Unit cost (for the EOQ).
    pub unit_cost: f64,
    /// The config (order cycle, count-distribution threshold).
    pub config: &'a Config,
    /// Bucket of the history.
    pub bucket: Bucket,
    /// Day number of the origin.
    pub origin_day: i32,
    /// Demand per bucket of the series (shipped + backordered), the first
    /// at bucket `start`: the dead-stock rule looks at the complete buckets
    /// before a review.
    pub demand: &'a [f64],
    /// Bucket index of `demand[0]`.
    pub start: i64,
}

impl Policy<'_> {
    /// Index of the forecast in use on `day` (days after the origin).
    fn forecast_on(&self, day: usize) -> Option<usize> {
        let today = self.origin_day + day as i32;
        self.forecasts
            .iter()
            .rposition(|(b, _)| self.bucket.start_day(*b) <= today)
            .or((!self.forecasts.is_empty()).then_some(0))
    }

    /// The settings to plan with forecast `k`.
    fn settings_for(&self, k: usize) -> SeriesSettings {
        let mut settings = self.settings;
        if let Some(Some(service)) = self.services.get(k) {
            settings.service = *service;
        }
        settings
    }

    /// The order-up-to level at the origin with no stock (the starting stock).
    pub fn order_up_to_at_origin(&self) -> f64 {
        let Some((first, fc)) = self.forecasts.first() else {
            return 0.0;
        };
        let input = self.settings_for(0).policy_input(
            self.config,
            fc,
            self.unit_cost,
            (self.bucket, *first, self.origin_day),
            StockState::default(),
        );
        policy::plan(&input).order_up_to
    }
}

impl Policy<'_> {
    /// The policy's input and decision on `day` (days after the origin)
    /// for the stock; `None` before there is a forecast.
    pub fn decide(&self, day: usize, stock: &Stock) -> Option<(PolicyInput, PolicyOutput)> {
        let k = self.forecast_on(day)?;
        let (first, fc) = &self.forecasts[k];
        let today = self.origin_day + day as i32;
        let mut input = self.settings_for(k).policy_input(
            self.config,
            fc,
            self.unit_cost,
            (self.bucket, *first, today),
            state(day, stock),
        );
        // The weekly run's dead-stock rule, on the buckets complete by today.
        let before = (self.bucket.index(today) - self.start).clamp(0, self.demand.len() as i64);
        if input.replenishment == Replenishment::Replenish
            && is_dead_stock(
                &self.demand[..before as usize],
                self.bucket,
                self.config.exceptions.dead_stock_days,
                stock.on_hand,
            )
        {
            input.replenishment = Replenishment::BackordersOnly;
        }
        let out = policy::plan(&input);
        Some((input, out))
    }
}

impl OrderRule for Policy<'_> {
    fn order(&mut self, day: usize, stock: &Stock) -> f64 {
        self.decide(day, stock)
            .map_or(0.0, |(_, out)| out.order_qty)
    }
}

/// Order up to `max` when the position is at or below `min` (the ERP min/max rule).
#[derive(Debug, Clone, Copy)]
pub struct MinMax {
    /// Reorder level.
    pub min: f64,
    /// Order-up-to level.
    pub max: f64,
    /// Minimum order quantity.
    pub moq: f64,
    /// Order multiple.
    pub pack_size: f64,
}

impl OrderRule for MinMax {
    fn order(&mut self, _day: usize, stock: &Stock) -> f64 {
        let ip = stock.position();
        if ip <= self.min {
            round_order(self.max - ip, self.moq, self.pack_size)
        } else {
            0.0
        }
    }
}

/// Recorded sales of one series as the plain rules see them, and the order
/// that brings the position up to a level.
#[derive(Debug, Clone, Copy)]
pub struct RecordedSales<'a> {
    /// Recorded sales (shipments) per bucket, the first at bucket `start`.
    pub sales: &'a [f64],
    /// Bucket index of `sales[0]`.
    pub start: i64,
    /// Bucket of the history.
    pub bucket: Bucket,
    /// Day number of the origin.
    pub origin_day: i32,
    /// Minimum order quantity.
    pub moq: f64,
    /// Order multiple.
    pub pack_size: f64,
}

impl RecordedSales<'_> {
    /// Average recorded sales per day over the last `buckets` complete
    /// buckets before `day` (days after the origin; returns count as 0);
    /// `None` without any of them.
    pub fn daily_mean(&self, day: usize, buckets: i64) -> Option<f64> {
        let current = self.bucket.index(self.origin_day + day as i32);
        let (mut units, mut days) = (0.0, 0.0);
        for b in (current - buckets.max(1)).max(self.start)..current {
            units += self.sales[(b - self.start) as usize].max(0.0);
            days += f64::from(self.bucket.days_in(b));
        }
        (days > 0.0).then(|| units / days)
    }

    /// Units to order to bring the position up to `level` (0 when at or above it).
    pub fn order_up_to(&self, level: f64, stock: &Stock) -> f64 {
        let ip = stock.position();
        if ip < level {
            round_order(level - ip, self.moq, self.pack_size)
        } else {
            0.0
        }
    }
}

/// The spreadsheet rule: at every review, order up to `weeks` of the average
/// daily sales recorded over the complete buckets of the last `history_days`.
pub struct SalesCover<'a> {
    /// Weeks of cover.
    pub weeks: f64,
    /// Days of recorded sales averaged.
    pub history_days: f64,
    /// The series' recorded sales.
    pub recorded: RecordedSales<'a>,
}

impl SalesCover<'_> {
    /// The order-up-to level on `day` (days after the origin).
    pub fn level(&self, day: usize) -> f64 {
        let n = (self.history_days / self.recorded.bucket.mean_days())
            .round()
            .max(1.0) as i64;
        self.recorded
            .daily_mean(day, n)
            .map_or(0.0, |d| self.weeks * 7.0 * d)
    }
}

impl OrderRule for SalesCover<'_> {
    fn order(&mut self, day: usize, stock: &Stock) -> f64 {
        self.recorded.order_up_to(self.level(day), stock)
    }
}

/// The plain rule for slow movers: at every review, order up to the
/// smallest whole S with P(X ≤ S) ≥ `target`, X Poisson with the average
/// recorded sales per day of the last `history_buckets` complete buckets
/// times the lead time plus the review period.
pub struct PoissonMean<'a> {
    /// Probability the order-up-to level covers the demand over L + R.
    pub target: f64,
    /// Complete buckets of recorded sales averaged.
    pub history_buckets: usize,
    /// Lead time plus review period, days.
    pub protection_days: f64,
    /// The series' recorded sales.
    pub recorded: RecordedSales<'a>,
}

impl PoissonMean<'_> {
    /// The order-up-to level on `day` (days after the origin).
    pub fn level(&self, day: usize) -> f64 {
        match self.recorded.daily_mean(day, self.history_buckets as i64) {
            Some(d) if d > 0.0 => {
                let mean = d * self.protection_days;
                crate::stats::negbin_quantile(mean, mean, self.target)
            }
            _ => 0.0,
        }
    }
}

impl OrderRule for PoissonMean<'_> {
    fn order(&mut self, day: usize, stock: &Stock) -> f64 {
        self.recorded.order_up_to(self.level(day), stock)
    }
}
