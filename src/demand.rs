//! Demand: the panel of series on one bucket calendar, with demand
//! reconstructed as shipped + backordered, and the classifications that drive
//! model and policy choices (ABC by value, XYZ by variability, Syntetos–Boylan
//! demand pattern).

use std::borrow::Cow;

use crate::calendar::{Bucket, day_number};
use crate::ingest::{Dataset, DemandRecord};

/// History of one series on the bucket calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesHistory {
    /// Bucket index of the first value (the series' first activity).
    pub start: i64,
    /// Units shipped per bucket; empty when they are the demand bit for bit
    /// (no backorders): read it with [`SeriesHistory::shipped`].
    shipped: Vec<f64>,
    /// Units backordered per bucket (demand that found the shelf empty);
    /// empty when all are zero: read it with [`SeriesHistory::backordered`].
    backordered: Vec<f64>,
    /// Demand per bucket: shipped + backordered.
    pub demand: Vec<f64>,
    /// Mean sales price per bucket (0 where no sale had one); empty when no
    /// record of the series has a price.
    pub price: Vec<f32>,
    /// 1 where a sale of the bucket was on promotion; empty when none was.
    pub promo: Vec<f32>,
}

impl SeriesHistory {
    /// Units shipped per bucket.
    pub fn shipped(&self) -> &[f64] {
        if self.shipped.is_empty() {
            &self.demand
        } else {
            &self.shipped
        }
    }

    /// Units backordered per bucket (demand that found the shelf empty).
    pub fn backordered(&self) -> Cow<'_, [f64]> {
        if self.backordered.is_empty() {
            Cow::Owned(vec![0.0; self.demand.len()])
        } else {
            Cow::Borrowed(&self.backordered)
        }
    }

    /// True where backorders show the item was short in that bucket.
    pub fn short(&self, i: usize) -> bool {
        self.backordered.get(i).is_some_and(|&b| b > 0.0)
    }

    /// Number of buckets with a shortage.
    pub fn short_buckets(&self) -> usize {
        self.backordered.iter().filter(|&&b| b > 0.0).count()
    }

    /// The history from bucket `start` of its shipments and backorders
    /// (demand: their sum), its prices and promotions.
    fn of(
        start: i64,
        shipped: Vec<f64>,
        backordered: Vec<f64>,
        price: Vec<f32>,
        promo: Vec<f32>,
    ) -> SeriesHistory {
        let demand = shipped
            .iter()
            .zip(&backordered)
            .map(|(s, b)| s + b)
            .collect();
        SeriesHistory {
            start,
            shipped,
            backordered,
            demand,
            price,
            promo,
        }
        .compact()
    }

    /// Without the copies a series without backorders does not need (most
    /// series; at a million series each copy is 1.2 GB): backorders that are
    /// all zero, and shipments that are the demand bit for bit.
    fn compact(mut self) -> SeriesHistory {
        if self.backordered.iter().all(|b| b.to_bits() == 0) {
            self.backordered = Vec::new();
        }
        if crate::stats::same_bits(&self.shipped, &self.demand) {
            self.shipped = Vec::new();
        }
        self
    }
}

/// The fill rate the daily history measured before the as-of date: units
/// shipped ÷ units asked for (shipped + backordered); `None` without
/// demand in the window.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HistoryFill {
    /// Over the last 13 weeks (91 days).
    pub last_13_weeks: Option<f64>,
    /// Over the last 52 weeks (364 days).
    pub last_52_weeks: Option<f64>,
}

impl HistoryFill {
    /// Measure it on `data`'s daily records.
    pub fn of(data: &Dataset) -> HistoryFill {
        HistoryFill {
            last_13_weeks: fill_rate(data, 91),
            last_52_weeks: fill_rate(data, 364),
        }
    }
}

/// The fill rate over the `days` before the as-of date.
fn fill_rate(data: &Dataset, days: i32) -> Option<f64> {
    let end = day_number(data.as_of);
    let start = end - days;
    let (mut shipped, mut asked) = (0.0, 0.0);
    for r in data.demand.iter().flatten() {
        if (start..end).contains(&r.day) {
            shipped += r.shipped;
            asked += r.shipped + r.backordered;
        }
    }
    (asked > 0.0).then(|| shipped / asked)
}

/// Whether a panel keeps each bucket's mean price and promotion flag
/// beside the demand. Only the global model reads them, and at a million
/// weekly series they take 1.2 GB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PricePromo {
    /// Prices and promotions are kept (the global model is on).
    Kept,
    /// Left out: every history's `price` and `promo` are empty.
    Dropped,
}

impl PricePromo {
    /// Kept when the global model is on.
    pub fn when_global(enabled: bool) -> PricePromo {
        if enabled {
            PricePromo::Kept
        } else {
            PricePromo::Dropped
        }
    }
}

/// All series on one calendar.
#[derive(Debug, Clone)]
pub struct Panel {
    /// The bucket length.
    pub bucket: Bucket,
    /// Index of the first bucket after history (the first forecast bucket).
    pub end: i64,
    /// One history per dataset series, in the dataset's key order.
    pub series: Vec<SeriesHistory>,
}

impl Panel {
    /// Each series' demand over the year (`bucket.per_year()` buckets) before
    /// bucket `before`, times its unit cost: what ABC classes are made of.
    pub fn annual_values(&self, unit_costs: &[f64], before: i64) -> Vec<f64> {
        let per_year = self.bucket.per_year();
        self.series
            .iter()
            .zip(unit_costs)
            .map(|(s, c)| {
                let n = (before - s.start).clamp(0, s.demand.len() as i64) as usize;
                s.demand[n.saturating_sub(per_year)..n].iter().sum::<f64>() * c
            })
            .collect()
    }

    /// The panel as it stood before bucket `end` (≤ the panel's end): each
    /// series cut there, as [`Panel::build`] makes it with an as-of date
    /// that starts bucket `end` (a series not started yet: one empty bucket).
    pub fn until(&self, end: i64) -> Panel {
        let series = self
            .series
            .iter()
            .map(|s| {
                let start = s.start.min(end - 1);
                let n = (end - s.start).clamp(0, s.demand.len() as i64) as usize;
                let cut = |v: &[f64]| {
                    if v.is_empty() {
                        Vec::new()
                    } else {
                        let mut v = v[..n].to_vec();
                        v.resize((end - start) as usize, 0.0);
                        v
                    }
                };
                let cut32 = |v: &[f32]| {
                    if v.is_empty() {
                        Vec::new()
                    } else {
                        let mut v = v[..n].to_vec();
                        v.resize((end - start) as usize, 0.0);
                        v
                    }
                };
                SeriesHistory {
                    start,
                    shipped: cut(&s.shipped),
                    backordered: cut(&s.backordered),
                    demand: cut(&s.demand),
                    price: cut32(&s.price),
                    promo: cut32(&s.promo),
                }
                .compact()
            })
            .collect();
        Panel {
            bucket: self.bucket,
            end: end.min(self.end),
            series,
        }
    }

    /// Aggregate the dataset's daily records to buckets. Every series runs from
    /// the bucket of its first record to the bucket holding the day before the
    /// as-of date, with missing buckets filled with zero; prices and
    /// promotions as `covariates` says.
    pub fn build(data: &Dataset, bucket: Bucket, covariates: PricePromo) -> Panel {
        let end = Panel::end_of(data, bucket);
        let series = data
            .demand
            .iter()
            .map(|records| SeriesHistory::aggregate(records, bucket, end, covariates))
            .collect();
        Panel {
            bucket,
            end,
            series,
        }
    }

    /// [`Panel::build`] taking the dataset's daily records: each series'
    /// records are freed once aggregated, so that the records and the panel
    /// are not both held whole (at a million series each is gigabytes).
    /// `data.demand` is left empty.
    pub fn take(data: &mut Dataset, bucket: Bucket, covariates: PricePromo) -> Panel {
        let end = Panel::end_of(data, bucket);
        let series = std::mem::take(&mut data.demand)
            .into_iter()
            .map(|records| SeriesHistory::aggregate(&records, bucket, end, covariates))
            .collect();
        Panel {
            bucket,
            end,
            series,
        }
    }

    /// The first bucket after the history of `data` (the as-of date's).
    fn end_of(data: &Dataset, bucket: Bucket) -> i64 {
        bucket.index(day_number(data.as_of) - 1) + 1
    }
}

impl SeriesHistory {
    /// The history of one series' daily `records` on buckets up to `end`
    /// (from the bucket of its first record; without records, one empty
    /// bucket).
    fn aggregate(
        records: &[DemandRecord],
        bucket: Bucket,
        end: i64,
        covariates: PricePromo,
    ) -> SeriesHistory {
        let start = records
            .iter()
            .map(|r| bucket.index(r.day))
            .min()
            .unwrap_or(end - 1)
            .min(end - 1);
        let len = (end - start) as usize;
        let mut shipped = vec![0.0; len];
        let mut backordered = vec![0.0; len];
        let kept = covariates == PricePromo::Kept;
        let priced = kept && records.iter().any(|r| r.price() > 0.0);
        let promoted = kept && records.iter().any(DemandRecord::promo);
        let mut price_sum = vec![0.0f64; if priced { len } else { 0 }];
        let mut price_n = vec![0u32; price_sum.len()];
        let mut promo = vec![0.0f32; if promoted { len } else { 0 }];
        for r in records {
            let i = (bucket.index(r.day) - start) as usize;
            shipped[i] += r.shipped;
            backordered[i] += r.backordered;
            if priced && r.price() > 0.0 {
                price_sum[i] += f64::from(r.price());
                price_n[i] += 1;
            }
            if promoted && r.promo() {
                promo[i] = 1.0;
            }
        }
        let price = price_sum
            .iter()
            .zip(&price_n)
            .map(|(s, &n)| {
                if n > 0 {
                    (s / f64::from(n)) as f32
                } else {
                    0.0
                }
            })
            .collect();
        SeriesHistory::of(start, shipped, backordered, price, promo)
    }
}

/// Syntetos–Boylan demand pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// Regular demand, low size variability.
    Smooth,
    /// Regular demand, high size variability.
    Erratic,
    /// Infrequent demand, low size variability.
    Intermittent,
    /// Infrequent demand, high size variability.
    Lumpy,
    /// No demand at all in the history.
    NoDemand,
}

impl Pattern {
    /// Lower-case name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Pattern::Smooth => "smooth",
            Pattern::Erratic => "erratic",
            Pattern::Intermittent => "intermittent",
            Pattern::Lumpy => "lumpy",
            Pattern::NoDemand => "none",
        }
    }
}

/// Average inter-demand interval (ADI) limit of Syntetos–Boylan.
pub const ADI_LIMIT: f64 = 1.32;
/// Squared coefficient of variation (CV²) limit of Syntetos–Boylan.
pub const CV2_LIMIT: f64 = 0.49;

/// Classify a demand history by ADI (buckets per non-zero bucket) and CV² of
/// the non-zero sizes.
pub fn pattern(demand: &[f64]) -> Pattern {
    let sizes: Vec<f64> = demand.iter().copied().filter(|&d| d > 0.0).collect();
    if sizes.is_empty() {
        return Pattern::NoDemand;
    }
    let adi = demand.len() as f64 / sizes.len() as f64;
    let mean = sizes.iter().sum::<f64>() / sizes.len() as f64;
    let var = sizes.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / sizes.len() as f64;
    let cv2 = var / (mean * mean);
    match (adi < ADI_LIMIT, cv2 < CV2_LIMIT) {
        (true, true) => Pattern::Smooth,
        (true, false) => Pattern::Erratic,
        (false, true) => Pattern::Intermittent,
        (false, false) => Pattern::Lumpy,
    }
}

/// Coefficient of variation of the demand per bucket (0 when the mean is 0).
pub fn coefficient_of_variation(demand: &[f64]) -> f64 {
    if demand.is_empty() {
        return 0.0;
    }
    let n = demand.len() as f64;
    let mean = demand.iter().sum::<f64>() / n;
    if mean <= 0.0 {
        return 0.0;
    }
    let var = demand.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / n;
    var.sqrt() / mean
}

/// XYZ class from the coefficient of variation and the two limits.
pub fn xyz_class(cv: f64, limits: [f64; 2]) -> char {
    if cv < limits[0] {
        'X'
    } else if cv < limits[1] {
        'Y'
    } else {
        'Z'
    }
}

/// ABC classes of the panel's series by their last year's demand (before
/// bucket `before`) valued at `unit_costs` — or in units when no unit cost
/// is known at all, so that a file without costs still tells its fast
/// movers from its slow ones.
pub fn abc_of_panel(
    panel: &Panel,
    unit_costs: &[f64],
    before: i64,
    thresholds: [f64; 2],
) -> Vec<char> {
    let weights: Vec<f64> = if unit_costs.iter().any(|&c| c > 0.0) {
        unit_costs.to_vec()
    } else {
        vec![1.0; unit_costs.len()]
    };
    abc_classes(&panel.annual_values(&weights, before), thresholds)
}

/// ABC classes from annual values: A while the cumulative share of the total
/// (largest first) is within the first threshold, B within the second, C after.
/// Ties in value are broken by position so the result is deterministic.
pub fn abc_classes(values: &[f64], thresholds: [f64; 2]) -> Vec<char> {
    let total: f64 = values.iter().map(|v| v.max(0.0)).sum();
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    let mut classes = vec!['C'; values.len()];
    let mut cumulative = 0.0;
    for i in order {
        if total <= 0.0 {
            break;
        }
        // The class is decided by the share *before* this item is added, so the
        // item that crosses a threshold still belongs to the higher class.
        let share = cumulative / total;
        classes[i] = if share < thresholds[0] {
            'A'
        } else if share < thresholds[1] {
            'B'
        } else {
            'C'
        };
        cumulative += values[i].max(0.0);
    }
    classes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(shipped: Vec<f64>, backordered: Vec<f64>) -> SeriesHistory {
        SeriesHistory::of(0, shipped, backordered, Vec::new(), Vec::new())
    }

    #[test]
    fn a_series_without_backorders_keeps_one_copy_and_reads_the_same() {
        let none = history(vec![1.0, 0.0, 2.5], vec![0.0; 3]);
        assert!(none.shipped.is_empty() && none.backordered.is_empty());
        assert_eq!(none.shipped(), &[1.0, 0.0, 2.5]);
        assert_eq!(&*none.backordered(), &[0.0; 3]);
        assert_eq!(none.short_buckets(), 0);
        assert!(!none.short(1));
        // A shortage keeps both; a negative zero is kept as it was.
        let short = history(vec![1.0, 0.0, 2.0], vec![0.0, 3.0, 0.0]);
        assert_eq!(short.shipped(), &[1.0, 0.0, 2.0]);
        assert_eq!(&*short.backordered(), &[0.0, 3.0, 0.0]);
        assert!(short.short(1) && !short.short(0));
        let signed = history(vec![-0.0, 1.0], vec![0.0, 0.0]);
        assert_eq!(signed.shipped()[0].to_bits(), (-0.0f64).to_bits());
        // Cut before the shortage, a series is compact as built there.
        let panel = Panel {
            bucket: Bucket::Week,
            end: 3,
            series: vec![short],
        };
        let cut = &panel.until(1).series[0];
        assert!(cut.shipped.is_empty() && cut.backordered.is_empty());
        assert_eq!(cut.shipped(), &[1.0]);
    }

    #[test]
    fn syntetos_boylan_quadrants() {
        assert_eq!(pattern(&[5.0, 5.0, 6.0, 5.0]), Pattern::Smooth);
        assert_eq!(pattern(&[1.0, 20.0, 1.0, 30.0]), Pattern::Erratic);
        assert_eq!(
            pattern(&[0.0, 5.0, 0.0, 0.0, 5.0, 0.0]),
            Pattern::Intermittent
        );
        assert_eq!(pattern(&[0.0, 1.0, 0.0, 0.0, 40.0, 0.0]), Pattern::Lumpy);
        assert_eq!(pattern(&[0.0, 0.0]), Pattern::NoDemand);
    }

    #[test]
    fn abc_by_cumulative_value() {
        // Shares: 70 %, 20 %, 6 %, 4 %.
        let classes = abc_classes(&[20.0, 70.0, 4.0, 6.0], [0.8, 0.95]);
        assert_eq!(classes, vec!['A', 'A', 'C', 'B']);
        assert_eq!(abc_classes(&[0.0, 0.0], [0.8, 0.95]), vec!['C', 'C']);
    }

    #[test]
    fn xyz_and_cv() {
        assert_eq!(coefficient_of_variation(&[3.0, 3.0, 3.0]), 0.0);
        assert!((coefficient_of_variation(&[0.0, 2.0]) - 1.0).abs() < 1e-12);
        assert_eq!(xyz_class(0.2, [0.5, 1.0]), 'X');
        assert_eq!(xyz_class(0.7, [0.5, 1.0]), 'Y');
        assert_eq!(xyz_class(1.0, [0.5, 1.0]), 'Z');
    }
}
