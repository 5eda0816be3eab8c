//! The demand process of a slow mover — how often it is asked for and in
//! what sizes — and the distribution of its demand over a lead time built
//! from that process instead of from a point forecast and a backtest spread.
//!
//! A part that sells once every five months has a point forecast near zero
//! and a backtest error that says little; what protects it is the chance that
//! a demand falls within the lead time and the size that demand usually has.
//! [`DemandProcess::estimate`] reads both from the item's own recent history
//! (occurrence per bucket, with its bucket-to-bucket persistence, and the
//! sizes seen); [`DemandProcess::pmfs`] builds the distributions of demand
//! over the lead time L and over L + R (R the review period) on a grid of
//! whole units (or of a coarser step for large sizes), by one of two methods:
//!
//! * **compound** (the default): independent buckets, each with demand with
//!   the observed probability and then a size drawn from the observed sizes;
//!   the sum over the (fractional) number of buckets by exact convolution;
//! * **bootstrap** (Willemain, Smart & Schwarz 2004): occurrence as a
//!   two-state Markov chain from the last bucket's state, sizes resampled
//!   from the observed ones with a √-size jitter, summed over each of a fixed
//!   number of seeded paths.
//!
//! A lead-time spread is mixed in over three points (compound) or drawn per
//! path (bootstrap). [`LeadTimePmfs`] then gives the reorder point of a
//! periodic-review policy for a fill-rate or cycle-service target: after a
//! review the inventory position y lies between s and S = s + Q (taken as
//! uniform on the grid), the units short in one review period are
//! E[(D(L+R) − y)⁺] − E[(D(L) − y)⁺], and the fill rate is one minus their
//! mean over the demand of one review period.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

pub use crate::config::SlowMoverDemand;

/// Most grid points of a lead-time distribution; larger sizes use a coarser step.
pub const MAX_GRID_POINTS: usize = 4096;
/// Paths of the bootstrap.
pub const BOOTSTRAP_PATHS: usize = 2000;
/// Most bytes of lead-time distributions kept for re-planning, over all
/// processes of the program. The sample's 100,000 series keep all of theirs
/// (about 0.2 GB); at a million series those beyond are built anew when
/// asked again (the same values: only the time differs) instead of the
/// merge holding 2.2 GB.
pub const KEPT_PMF_BYTES: usize = 256 << 20;

/// Bytes of lead-time distributions kept now (see [`KEPT_PMF_BYTES`]).
static KEPT_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Occurrence and sizes of one item's demand per bucket.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemandProcess {
    /// How the lead-time distributions are built.
    pub method: SlowMoverDemand,
    /// Buckets observed.
    pub buckets: usize,
    /// Distinct non-zero bucket demands seen and how often, by value.
    pub sizes: Vec<(f64, u32)>,
    /// Share of buckets with demand.
    pub occurrence: f64,
    /// Share of buckets with demand after a bucket with demand.
    pub after_demand: f64,
    /// Share of buckets with demand after a bucket without.
    pub after_none: f64,
    /// The last bucket observed had demand.
    pub last_had_demand: bool,
    /// The lead-time distributions of the last (L, R, σ_L, bucket) asked for.
    #[serde(skip)]
    cache: PmfCache,
}

impl PartialEq for DemandProcess {
    fn eq(&self, other: &Self) -> bool {
        self.method == other.method
            && self.buckets == other.buckets
            && self.sizes == other.sizes
            && self.occurrence == other.occurrence
            && self.after_demand == other.after_demand
            && self.after_none == other.after_none
            && self.last_had_demand == other.last_had_demand
    }
}

/// (lead time, review period, lead-time spread, bucket), days, as bits.
type PmfKey = [u64; 4];

/// The last lead-time distributions built, by their key.
type PmfCache = Arc<Mutex<Option<Kept>>>;

/// Lead-time distributions kept for their key, counted in `kept` while
/// they are kept.
#[derive(Debug)]
struct Kept {
    key: PmfKey,
    pmfs: Arc<LeadTimePmfs>,
    bytes: usize,
    kept: &'static AtomicUsize,
}

impl Kept {
    /// `pmfs` kept for `key` and counted in `kept`, or `None` when they
    /// would take the count over `budget` bytes.
    fn within(
        key: PmfKey,
        pmfs: &Arc<LeadTimePmfs>,
        kept: &'static AtomicUsize,
        budget: usize,
    ) -> Option<Kept> {
        let bytes = pmfs.bytes();
        let before = kept.fetch_add(bytes, Ordering::Relaxed);
        if before + bytes > budget {
            kept.fetch_sub(bytes, Ordering::Relaxed);
            return None;
        }
        Some(Kept {
            key,
            pmfs: Arc::clone(pmfs),
            bytes,
            kept,
        })
    }
}

impl Drop for Kept {
    fn drop(&mut self) {
        self.kept.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

impl DemandProcess {
    /// A process from its parts: `rates` = (occurrence, after a bucket with
    /// demand, after one without); `sizes` by value.
    pub fn new(
        method: SlowMoverDemand,
        buckets: usize,
        sizes: Vec<(f64, u32)>,
        rates: [f64; 3],
        last_had_demand: bool,
    ) -> DemandProcess {
        let [occurrence, after_demand, after_none] = rates;
        DemandProcess {
            method,
            buckets,
            sizes,
            occurrence,
            after_demand,
            after_none,
            last_had_demand,
            cache: Arc::default(),
        }
    }

    /// The process of the demand per bucket `y` (oldest first, from the
    /// item's first demand) over its last `window` buckets, or over all of
    /// `y` when the window holds no demand; `None` when `y` has none.
    pub fn estimate(y: &[f64], window: usize, method: SlowMoverDemand) -> Option<DemandProcess> {
        let clean = |v: f64| if v.is_finite() && v > 0.0 { v } else { 0.0 };
        let recent = &y[y.len().saturating_sub(window.max(1))..];
        let w = if recent.iter().any(|&v| clean(v) > 0.0) {
            recent
        } else {
            y
        };
        let mut values: Vec<f64> = w.iter().map(|&v| clean(v)).filter(|&v| v > 0.0).collect();
        if values.is_empty() {
            return None;
        }
        let occurrence = values.len() as f64 / w.len() as f64;
        values.sort_by(f64::total_cmp);
        let mut sizes: Vec<(f64, u32)> = Vec::new();
        for v in values {
            match sizes.last_mut() {
                Some((x, n)) if *x == v => *n += 1,
                _ => sizes.push((v, 1)),
            }
        }
        // Transitions, with one pseudo-observation at the overall rate so
        // that a state seen once or never gets a sensible probability.
        let (mut dd, mut d_, mut nd, mut n_) = (0.0, 0.0, 0.0, 0.0);
        for pair in w.windows(2) {
            let (a, b) = (clean(pair[0]) > 0.0, clean(pair[1]) > 0.0);
            if a {
                d_ += 1.0;
                dd += f64::from(u8::from(b));
            } else {
                n_ += 1.0;
                nd += f64::from(u8::from(b));
            }
        }
        Some(DemandProcess {
            method,
            buckets: w.len(),
            sizes,
            occurrence,
            after_demand: (dd + occurrence) / (d_ + 1.0),
            after_none: (nd + occurrence) / (n_ + 1.0),
            last_had_demand: w.last().is_some_and(|&v| clean(v) > 0.0),
            cache: Arc::default(),
        })
    }

    /// The same process at mean `level` per bucket: fewer demands of the
    /// same sizes when the level is lower (a fading item), more demands and
    /// then larger ones when higher (a growing one). Unchanged when either
    /// mean is not positive.
    pub fn at_level(mut self, level: f64) -> DemandProcess {
        let now = self.mean();
        if !(level.is_finite() && level > 0.0 && now > 0.0) {
            return self;
        }
        let ratio = level / now;
        let occurrence = (self.occurrence * ratio).min(1.0);
        let scale = occurrence / self.occurrence;
        self.after_demand = (self.after_demand * scale).min(1.0);
        self.after_none = (self.after_none * scale).min(1.0);
        self.occurrence = occurrence;
        let sizes = ratio / scale;
        if sizes > 1.0 + 1e-12 {
            for (v, _) in &mut self.sizes {
                *v *= sizes;
            }
        }
        self.cache = Arc::default();
        self
    }

    /// Drop the kept lead-time distributions (see [`DemandProcess::pmfs`]):
    /// a replay that has passed this forecast frees them.
    pub fn forget(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            *cache = None;
        }
    }

    /// Mean demand per bucket.
    pub fn mean(&self) -> f64 {
        let n: u32 = self.sizes.iter().map(|s| s.1).sum();
        if n == 0 {
            return 0.0;
        }
        let total: f64 = self.sizes.iter().map(|(v, k)| v * f64::from(*k)).sum();
        self.occurrence * total / f64::from(n)
    }

    /// The distributions of demand over the lead time and over the lead
    /// time plus the review period (days), for a lead-time spread
    /// `lead_time_sd_days` and buckets of `bucket_days`. The last one asked
    /// for is kept while the kept bytes stay within [`KEPT_PMF_BYTES`]: a
    /// replay asks for the same one at every review.
    pub fn pmfs(
        &self,
        lead_time_days: f64,
        review_days: f64,
        lead_time_sd_days: f64,
        bucket_days: f64,
    ) -> Arc<LeadTimePmfs> {
        let key = [
            lead_time_days.to_bits(),
            review_days.to_bits(),
            lead_time_sd_days.to_bits(),
            bucket_days.to_bits(),
        ];
        if let Ok(cache) = self.cache.lock()
            && let Some(kept) = cache.as_ref()
            && kept.key == key
        {
            return Arc::clone(&kept.pmfs);
        }
        let pmfs = Arc::new(self.build(
            lead_time_days.max(0.0),
            review_days.max(0.0),
            if lead_time_sd_days.is_finite() {
                lead_time_sd_days.max(0.0)
            } else {
                0.0
            },
            if bucket_days > 0.0 { bucket_days } else { 1.0 },
        ));
        if let Ok(mut cache) = self.cache.lock() {
            // The distributions kept before are let go first, so that their
            // bytes count for the new ones.
            *cache = None;
            *cache = Kept::within(key, &pmfs, &KEPT_BYTES, KEPT_PMF_BYTES);
        }
        pmfs
    }

    fn build(&self, lead: f64, review: f64, lead_sd: f64, bucket_days: f64) -> LeadTimePmfs {
        let max_size = self.sizes.last().map_or(1.0, |s| s.0);
        let longest = (lead + 3.0 * lead_sd + review) / bucket_days;
        let integer = self.sizes.iter().all(|(v, _)| (v - v.round()).abs() < 1e-9);
        let span = (longest.ceil() + 1.0) * max_size;
        let step = if integer && span < MAX_GRID_POINTS as f64 {
            1.0
        } else {
            span / (MAX_GRID_POINTS - 1) as f64
        };
        let grid = Grid {
            step,
            len: (span / step).ceil() as usize + 2,
        };
        let (lead_pmf, cycle_pmf, protection_pmf, review_pmf) = match self.method {
            SlowMoverDemand::Bootstrap => self.bootstrap(&grid, lead, review, lead_sd, bucket_days),
            _ => {
                let mix = |extra: f64| {
                    let points: Vec<(f64, f64)> = if lead_sd > 0.0 {
                        let d = 3f64.sqrt() * lead_sd;
                        vec![
                            ((lead - d).max(0.0), 1.0 / 6.0),
                            (lead, 2.0 / 3.0),
                            (lead + d, 1.0 / 6.0),
                        ]
                    } else {
                        vec![(lead, 1.0)]
                    };
                    let mut out = vec![0.0; grid.len];
                    for (l, w) in points {
                        let pmf = self.compound(&grid, (l + extra) / bucket_days);
                        for (o, p) in out.iter_mut().zip(pmf) {
                            *o += w * p;
                        }
                    }
                    out
                };
                (
                    mix(0.0),
                    mix(review),
                    mix(review / 2.0),
                    self.compound(&grid, review / bucket_days),
                )
            }
        };
        LeadTimePmfs::new(step, lead_pmf, cycle_pmf, protection_pmf, review_pmf)
    }

    /// Demand per bucket on the grid: (grid index, probability), zero included.
    fn bucket_atoms(&self, grid: &Grid, occurrence: f64) -> Vec<(usize, f64)> {
        let n: u32 = self.sizes.iter().map(|s| s.1).sum();
        let mut atoms = vec![0.0; grid.len];
        atoms[0] = 1.0 - occurrence;
        for &(v, k) in &self.sizes {
            grid.spread(
                v,
                occurrence * f64::from(k) / f64::from(n.max(1)),
                &mut atoms,
            );
        }
        atoms
            .into_iter()
            .enumerate()
            .filter(|(_, p)| *p > 0.0)
            .collect()
    }

    /// Demand over `t` buckets (fractional: the last bucket's demand occurs
    /// with the fraction of its probability), independent buckets.
    fn compound(&self, grid: &Grid, t: f64) -> Vec<f64> {
        let mut pmf = vec![0.0; grid.len];
        pmf[0] = 1.0;
        if t.is_nan() || t <= 0.0 {
            return pmf;
        }
        let whole = t.floor() as usize;
        let frac = t - whole as f64;
        let full = self.bucket_atoms(grid, self.occurrence.clamp(0.0, 1.0));
        let mut convolve = |atoms: &[(usize, f64)]| {
            let mut next = vec![0.0; grid.len];
            for (i, &p) in pmf.iter().enumerate().filter(|(_, p)| **p > 0.0) {
                for &(j, a) in atoms {
                    next[(i + j).min(grid.len - 1)] += p * a;
                }
            }
            pmf = next;
        };
        for _ in 0..whole {
            convolve(&full);
        }
        if frac > 1e-9 {
            convolve(&self.bucket_atoms(grid, (self.occurrence * frac).clamp(0.0, 1.0)));
        }
        pmf
    }

    /// Willemain's bootstrap: per path a lead time (normal around `lead`
    /// with spread `lead_sd`), Markov occurrence from the last bucket's
    /// state, jittered sizes; the demand over L, L + R/2 and L + R.
    fn bootstrap(
        &self,
        grid: &Grid,
        lead: f64,
        review: f64,
        lead_sd: f64,
        bucket_days: f64,
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(0x005E_ED17);
        let pool: Vec<f64> = self
            .sizes
            .iter()
            .flat_map(|&(v, k)| std::iter::repeat_n(v, k as usize))
            .collect();
        let integer = grid.step == 1.0;
        let mut out = [
            vec![0.0; grid.len],
            vec![0.0; grid.len],
            vec![0.0; grid.len],
            vec![0.0; grid.len],
        ];
        let weight = 1.0 / BOOTSTRAP_PATHS as f64;
        for _ in 0..BOOTSTRAP_PATHS {
            let z: f64 = rng.sample(StandardNormal);
            let l = (lead + lead_sd * z).max(0.0);
            let ends = [l, l + review / 2.0, l + review].map(|d| d / bucket_days);
            let buckets = ends[2].ceil() as usize;
            let mut state = self.last_had_demand;
            let mut totals = [0.0; 3];
            for b in 0..buckets {
                let p = if state {
                    self.after_demand
                } else {
                    self.after_none
                };
                state = rng.random::<f64>() < p;
                if !state {
                    continue;
                }
                let mut size = pool[rng.random_range(0..pool.len())];
                if integer {
                    let z: f64 = rng.sample(StandardNormal);
                    let jittered = 1.0 + (size + z * size.sqrt()).floor();
                    if jittered > 0.0 {
                        size = jittered;
                    }
                }
                // The demand falls at a uniform moment of its bucket.
                let at = b as f64 + rng.random::<f64>();
                for (total, &end) in totals.iter_mut().zip(&ends) {
                    if at < end {
                        *total += size;
                    }
                }
            }
            let [at_lead, at_half, at_cycle] = totals;
            for (pmf, total) in out
                .iter_mut()
                .zip([at_lead, at_half, at_cycle, at_cycle - at_lead])
            {
                grid.spread(total, weight, pmf);
            }
        }
        let [lead_pmf, protection_pmf, cycle_pmf, review_pmf] = out;
        (lead_pmf, cycle_pmf, protection_pmf, review_pmf)
    }
}

/// Equally spaced values 0, step, 2·step, … (the last one collects the tail).
struct Grid {
    step: f64,
    len: usize,
}

impl Grid {
    /// Add probability `p` at value `v`, split between the two grid points
    /// around it so that the mean is kept.
    fn spread(&self, v: f64, p: f64, pmf: &mut [f64]) {
        let x = (v / self.step).max(0.0);
        let lo = (x.floor() as usize).min(self.len - 1);
        let hi = (lo + 1).min(self.len - 1);
        let up = (x - lo as f64).clamp(0.0, 1.0);
        pmf[lo] += p * (1.0 - up);
        pmf[hi] += p * up;
    }
}

/// Demand over the lead time, the protection interval (L + R/2) and L + R
/// on a grid of `step` units, with the loss functions a policy needs.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadTimePmfs {
    step: f64,
    /// E[(D(L) − k·step)⁺] per grid point k.
    lead_loss: Vec<f64>,
    /// E[(D(L+R) − k·step)⁺] per grid point k.
    cycle_loss: Vec<f64>,
    /// P(D(L+R) ≤ k·step) per grid point k.
    cycle_cdf: Vec<f64>,
    /// P(D(R) = k·step): the demand of one review period.
    review: Vec<f64>,
    /// Mean and spread of D(L + R/2).
    protection: (f64, f64),
    /// The positions of the order quantity asked for last.
    last_positions: LastPositions,
}

/// The positions after a review of the order quantity (in grid steps)
/// asked for last: a replay asks for the same ones at every review and
/// target. Not part of the distributions: a clone starts empty, and any
/// two compare equal.
#[derive(Debug, Default)]
struct LastPositions(Mutex<Option<(usize, Vec<f64>)>>);

impl Clone for LastPositions {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl PartialEq for LastPositions {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Loss E[(X − k·step)⁺] at every grid point, and P(X ≤ k·step).
fn loss_and_cdf(pmf: &[f64], step: f64) -> (Vec<f64>, Vec<f64>) {
    let total: f64 = pmf.iter().sum();
    let norm = if total > 0.0 { total } else { 1.0 };
    let mean: f64 = pmf
        .iter()
        .enumerate()
        .map(|(k, p)| k as f64 * step * p / norm)
        .sum();
    let mut loss = Vec::with_capacity(pmf.len());
    let mut cdf = Vec::with_capacity(pmf.len());
    let (mut l, mut c) = (mean, 0.0);
    for p in pmf {
        loss.push(l.max(0.0));
        c += p / norm;
        cdf.push(c.min(1.0));
        l -= step * (1.0 - c).max(0.0);
    }
    (loss, cdf)
}

impl LeadTimePmfs {
    fn new(
        step: f64,
        lead: Vec<f64>,
        cycle: Vec<f64>,
        protection: Vec<f64>,
        review: Vec<f64>,
    ) -> LeadTimePmfs {
        let (lead_loss, _) = loss_and_cdf(&lead, step);
        let (cycle_loss, cycle_cdf) = loss_and_cdf(&cycle, step);
        let total: f64 = protection.iter().sum::<f64>().max(1e-300);
        let mean: f64 = protection
            .iter()
            .enumerate()
            .map(|(k, p)| k as f64 * step * p / total)
            .sum();
        let var: f64 = protection
            .iter()
            .enumerate()
            .map(|(k, p)| (k as f64 * step - mean).powi(2) * p / total)
            .sum();
        LeadTimePmfs {
            step,
            lead_loss,
            cycle_loss,
            cycle_cdf,
            review,
            protection: (mean, var.max(0.0).sqrt()),
            last_positions: LastPositions::default(),
        }
    }

    /// Bytes these distributions hold.
    fn bytes(&self) -> usize {
        let values = self.lead_loss.capacity()
            + self.cycle_loss.capacity()
            + self.cycle_cdf.capacity()
            + self.review.capacity();
        std::mem::size_of::<Self>() + values * std::mem::size_of::<f64>()
    }

    /// Mean and standard deviation of the demand over L + R/2.
    pub fn protection(&self) -> (f64, f64) {
        self.protection
    }

    /// Mean demand of one review period, E[D(L+R)] − E[D(L)].
    pub fn review_demand(&self) -> f64 {
        (self.cycle_loss[0] - self.lead_loss[0]).max(0.0)
    }

    /// Grid points of an order quantity `q` (0 for none: order up to S
    /// at every review, so the position after a review is S itself).
    fn steps(&self, q: f64) -> usize {
        if q.is_finite() && q > 0.0 {
            ((q / self.step) - 1e-9).ceil().max(1.0) as usize
        } else {
            0
        }
    }

    /// Where the position stands after a review of an (R, s, S) policy
    /// with S − s = `q` grid steps: P(S − y = j), j = 0 … q, proportional
    /// to the renewal function of one review's demand (each order brings
    /// the position back to S; it falls by a review's demand until it is
    /// below s again) — exact for independent review periods, and a single
    /// point at S for a base stock (q = 0).
    fn positions(&self, q: usize) -> Vec<f64> {
        let p = |i: usize| self.review.get(i).copied().unwrap_or(0.0);
        let moving = 1.0 - p(0);
        if moving <= 1e-12 {
            return vec![1.0 / (q + 1) as f64; q + 1];
        }
        let mut m = vec![0.0; q + 1];
        // p(i) is 0 beyond one review's largest demand: the sum stops there.
        let widest = self.review.len().saturating_sub(1);
        for j in 0..=q {
            let earlier: f64 = (1..=j.min(widest)).map(|i| p(i) * m[j - i]).sum();
            m[j] = (f64::from(u8::from(j == 0)) + earlier) / moving;
        }
        let total: f64 = m.iter().sum();
        m.iter().map(|v| v / total).collect()
    }

    /// Units short per review period at reorder-point grid index `k`, the
    /// positions after a review weighted by `weights` (from [`Self::positions`]):
    /// y = k + q − j with weight `weights[j]`.
    fn short_at(&self, k: usize, weights: &[f64]) -> f64 {
        let last = self.cycle_loss.len() - 1;
        let q = weights.len() - 1;
        weights
            .iter()
            .enumerate()
            .map(|(j, w)| {
                let y = (k + q - j).min(last);
                w * (self.cycle_loss[y] - self.lead_loss[y]).max(0.0)
            })
            .sum()
    }

    /// Expected fill rate of reorder point `s` with order quantity `q`.
    pub fn fill_rate(&self, s: f64, q: f64) -> f64 {
        self.fill_rate_at(s, &self.order_positions(q))
    }

    /// Where the position stands after a review with order quantity `q`
    /// (see `positions`): what [`Self::fill_rate_at`] and
    /// [`Self::reorder_point_cycle_at`] take, worked out once for many
    /// service levels.
    pub fn order_positions(&self, q: f64) -> Vec<f64> {
        let steps = self.steps(q);
        if let Ok(last) = self.last_positions.0.lock()
            && let Some((kept, positions)) = last.as_ref()
            && *kept == steps
        {
            return positions.clone();
        }
        let positions = self.positions(steps);
        if let Ok(mut last) = self.last_positions.0.lock() {
            *last = Some((steps, positions.clone()));
        }
        positions
    }

    /// [`Self::fill_rate`] with the positions of its order quantity.
    pub fn fill_rate_at(&self, s: f64, positions: &[f64]) -> f64 {
        let demand = self.review_demand();
        if demand <= 0.0 {
            return 1.0;
        }
        let k = ((s.max(0.0) / self.step) + 1e-9).floor() as usize;
        (1.0 - self.short_at(k, positions) / demand).clamp(0.0, 1.0)
    }

    /// The smallest reorder point on the grid whose fill rate with order
    /// quantity `q` reaches `beta`.
    pub fn reorder_point_fill(&self, beta: f64, q: f64) -> f64 {
        self.reorder_point_fill_at(beta, &self.order_positions(q))
    }

    /// [`Self::reorder_point_fill`] with the positions of its order quantity.
    pub fn reorder_point_fill_at(&self, beta: f64, positions: &[f64]) -> f64 {
        let demand = self.review_demand();
        if demand <= 0.0 {
            return 0.0;
        }
        let allowed = (1.0 - beta.clamp(0.0, 1.0)) * demand;
        let k = (0..self.cycle_loss.len())
            .find(|&k| self.short_at(k, positions) <= allowed + 1e-12)
            .unwrap_or(self.cycle_loss.len() - 1);
        k as f64 * self.step
    }

    /// The smallest reorder point on the grid whose chance of no stock-out
    /// in a review period, averaged over `positions` (where the position
    /// stands after a review, [`Self::order_positions`]), reaches `alpha`.
    pub fn reorder_point_cycle_at(&self, alpha: f64, positions: &[f64]) -> f64 {
        let q = positions.len() - 1;
        let last = self.cycle_cdf.len() - 1;
        let reaches = |k: usize| {
            let p: f64 = positions
                .iter()
                .enumerate()
                .map(|(j, w)| w * self.cycle_cdf[(k + q - j).min(last)])
                .sum();
            p >= alpha - 1e-12
        };
        // The chance never falls as k grows (each term is a weight times a
        // cumulative probability, summed in the same order, and rounding
        // keeps that order): the first k that reaches it by bisection.
        let (mut lo, mut hi) = (0, last);
        if !reaches(hi) {
            return last as f64 * self.step;
        }
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if reaches(mid) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo as f64 * self.step
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_fifth() -> Vec<f64> {
        (0..40)
            .map(|i| if i % 5 == 4 { 2.0 } else { 0.0 })
            .collect()
    }

    #[test]
    fn estimate_reads_occurrence_sizes_and_persistence() {
        let p = DemandProcess::estimate(&every_fifth(), 100, SlowMoverDemand::Compound).unwrap();
        assert_eq!(p.buckets, 40);
        assert_eq!(p.sizes, vec![(2.0, 8)]);
        assert!((p.occurrence - 0.2).abs() < 1e-12);
        assert!((p.mean() - 0.4).abs() < 1e-12);
        // Never two demands in a row: after a demand only the pseudo-count.
        assert!(p.after_demand < 0.05);
        assert!(p.last_had_demand);
        assert!(DemandProcess::estimate(&[0.0, 0.0], 10, SlowMoverDemand::Compound).is_none());
        // A window without demand falls back to the whole history.
        let mut y = vec![3.0, 0.0];
        y.extend(vec![0.0; 10]);
        let p = DemandProcess::estimate(&y, 5, SlowMoverDemand::Compound).unwrap();
        assert_eq!(p.buckets, 12);
    }

    #[test]
    fn a_process_at_another_level_keeps_its_shape() {
        let p = DemandProcess::estimate(&every_fifth(), 100, SlowMoverDemand::Compound).unwrap();
        // Half the level: half as many demands of 2.
        let half = p.clone().at_level(0.2);
        assert!((half.occurrence - 0.1).abs() < 1e-12);
        assert_eq!(half.sizes, vec![(2.0, 8)]);
        // Four times the level: four times as many demands.
        let more = p.clone().at_level(1.6);
        assert!((more.occurrence - 0.8).abs() < 1e-12);
        assert_eq!(more.sizes, vec![(2.0, 8)]);
        // 7.5 times: demand in every bucket (5 × 0.2 = 1), then sizes × 1.5.
        let grown = p.at_level(3.0);
        assert!((grown.occurrence - 1.0).abs() < 1e-12);
        assert!((grown.mean() - 3.0).abs() < 1e-12);
        assert!((grown.sizes[0].0 - 3.0).abs() < 1e-12);
    }

    #[test]
    fn distributions_are_kept_within_the_byte_budget_and_counted_out() {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let p = DemandProcess::estimate(&every_fifth(), 100, SlowMoverDemand::Compound).unwrap();
        let pmfs = p.pmfs(14.0, 7.0, 0.0, 7.0);
        let bytes = pmfs.bytes();
        assert!(bytes > 4 * std::mem::size_of::<f64>());
        let key = [0; 4];
        let first = Kept::within(key, &pmfs, &COUNT, 2 * bytes).unwrap();
        let second = Kept::within(key, &pmfs, &COUNT, 2 * bytes).unwrap();
        assert_eq!(COUNT.load(Ordering::Relaxed), 2 * bytes);
        assert!(Kept::within(key, &pmfs, &COUNT, 2 * bytes).is_none());
        assert_eq!(COUNT.load(Ordering::Relaxed), 2 * bytes);
        drop(first);
        assert_eq!(COUNT.load(Ordering::Relaxed), bytes);
        drop(second);
        assert_eq!(COUNT.load(Ordering::Relaxed), 0);
        // Asked again, the same distributions whether kept or built anew.
        p.forget();
        assert_eq!(*p.pmfs(14.0, 7.0, 0.0, 7.0), *pmfs);
    }

    #[test]
    fn compound_over_whole_buckets_is_exact() {
        let p = DemandProcess::estimate(&every_fifth(), 100, SlowMoverDemand::Compound).unwrap();
        // Two buckets: 0 w.p. 0.64, 2 w.p. 0.32, 4 w.p. 0.04.
        let grid = Grid { step: 1.0, len: 10 };
        let pmf = p.compound(&grid, 2.0);
        assert!((pmf[0] - 0.64).abs() < 1e-12);
        assert!((pmf[2] - 0.32).abs() < 1e-12);
        assert!((pmf[4] - 0.04).abs() < 1e-12);
        // Half a bucket: demand with half the probability.
        let pmf = p.compound(&grid, 0.5);
        assert!((pmf[2] - 0.1).abs() < 1e-12);
    }

    #[test]
    fn fill_rate_reorder_point_by_hand() {
        // One bucket of lead time and review: D(L) and D(R) independent,
        // each 0 w.p. 0.8 and 2 w.p. 0.2.
        let p = DemandProcess::estimate(&every_fifth(), 100, SlowMoverDemand::Compound).unwrap();
        let pmfs = p.pmfs(7.0, 7.0, 0.0, 7.0);
        assert!((pmfs.review_demand() - 0.4).abs() < 1e-12);
        // y = 2: short in a period = E[(D2 − 2)⁺] − E[(D1 − 2)⁺] = 0.04·2 − 0 = 0.08.
        // With q = 1 the positions are y = s and s + 1.
        let short = |y: f64| {
            let two = [(0.0, 0.64), (2.0, 0.32), (4.0, 0.04)];
            let one = [(0.0, 0.8), (2.0, 0.2)];
            let l = |d: &[(f64, f64)]| d.iter().map(|(v, p)| (v - y).max(0.0) * p).sum::<f64>();
            l(&two) - l(&one)
        };
        // With Q = 1 and demands of 2, every demand takes the position below
        // s and an order brings it back to S = s + 1: after a review it is
        // always at S (the renewal weights), so y = 3.
        let want = 1.0 - short(3.0) / 0.4;
        assert!((pmfs.fill_rate(2.0, 1.0) - want).abs() < 1e-12);
        // Units of 1, Q = 3: positions S, S − 1, S − 2, S − 3 after a review,
        // in proportion to the renewal function 1/p, … of Bernoulli(p) demand:
        // equally likely.
        let ones: Vec<f64> = (0..40).map(|i| f64::from(u8::from(i % 4 == 0))).collect();
        let p1 = DemandProcess::estimate(&ones, 100, SlowMoverDemand::Compound).unwrap();
        let w = p1.pmfs(7.0, 7.0, 0.0, 7.0).positions(3);
        assert!(w.iter().all(|x| (x - 0.25).abs() < 1e-12), "{w:?}");
        let s = pmfs.reorder_point_fill(0.9, 1.0);
        assert!(pmfs.fill_rate(s, 1.0) >= 0.9);
        assert!(pmfs.fill_rate(s - 1.0, 1.0) < 0.9);
        assert!(s > 0.0);
    }

    #[test]
    fn the_cycle_reorder_point_by_bisection_is_the_first_that_reaches() {
        let p = DemandProcess::estimate(&every_fifth(), 100, SlowMoverDemand::Compound).unwrap();
        let pmfs = p.pmfs(35.0, 7.0, 3.0, 7.0);
        for q in [0.0, 1.0, 6.0] {
            let w = pmfs.order_positions(q);
            let n = w.len() - 1;
            let last = pmfs.cycle_cdf.len() - 1;
            let chance = |k: usize| -> f64 {
                w.iter()
                    .enumerate()
                    .map(|(j, x)| x * pmfs.cycle_cdf[(k + n - j).min(last)])
                    .sum()
            };
            for alpha in [0.05, 0.5, 0.9, 0.99, 0.99999, 1.0] {
                let linear = (0..=last)
                    .find(|&k| chance(k) >= alpha - 1e-12)
                    .unwrap_or(last);
                let got = pmfs.reorder_point_cycle_at(alpha, &w);
                assert_eq!(got, linear as f64 * pmfs.step, "q {q} alpha {alpha}");
            }
        }
    }

    #[test]
    fn bootstrap_mean_matches_the_process() {
        let y: Vec<f64> = (0..60)
            .map(|i| if i % 3 == 0 { 4.0 } else { 0.0 })
            .collect();
        let p = DemandProcess::estimate(&y, 100, SlowMoverDemand::Bootstrap).unwrap();
        let pmfs = p.pmfs(21.0, 7.0, 0.0, 7.0);
        // Three buckets of review demand per 1/3 occurrence: mean ≈ 4/3 a bucket.
        assert!(
            (pmfs.review_demand() - 4.0 / 3.0).abs() < 0.25,
            "{}",
            pmfs.review_demand()
        );
        let again = p.pmfs(21.0, 7.0, 0.0, 7.0);
        assert_eq!(*pmfs, *again);
    }

    #[test]
    fn large_sizes_use_a_coarser_grid() {
        let y: Vec<f64> = (0..30)
            .map(|i| if i % 4 == 0 { 1e6 + i as f64 } else { 0.0 })
            .collect();
        let p = DemandProcess::estimate(&y, 100, SlowMoverDemand::Compound).unwrap();
        let pmfs = p.pmfs(30.0, 30.0, 5.0, 30.0);
        let (mean, sd) = pmfs.protection();
        assert!((mean / (1.5 * p.mean()) - 1.0).abs() < 0.05, "{mean}");
        assert!(sd > 0.0);
        let s = pmfs.reorder_point_fill(0.95, 1.0);
        assert!(s.is_finite() && s > 0.0);
    }
}
