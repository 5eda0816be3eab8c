//! The selection prior: how each candidate scores across series, learnt from
//! a sample of series, so that one series' short backtest is read against it.
//!
//! Three backtest origins make one series' scores noisy, and the candidate
//! with the lowest noisy score is often lucky rather than good. Each
//! candidate's log score relative to the series' other candidates is shrunk
//! toward its mean over the sample, as far as the sample says the noise
//! warrants (empirical Bayes, one normal prior per candidate and pattern
//! group):
//!
//! r̂ = μ + w·(r − μ),  w = τ² / (τ² + σ²/n)
//!
//! with r the series' centred log score over its n origins, μ and τ² the mean
//! and the between-series variance of r over the sample (its total variance
//! less the noise), and σ² the variance of one origin's centred log score.
//! A candidate that is good everywhere keeps its lead; one whose wins are
//! noise is chosen only where a series' evidence is strong.

use std::collections::BTreeMap;

use super::ModelId;
use super::backtest::{Backtest, Evaluation, ForecastSettings, Metric, Selection};

/// Added to scaled errors before taking logs: a perfect backtest scores 0.
const LOG_FLOOR: f64 = 0.01;

/// Fewest sampled series with a candidate for its prior; below it no series
/// of the group is shrunk.
pub const MIN_PRIOR_SERIES: usize = 30;

fn log_score(s: f64) -> f64 {
    (s.max(0.0) + LOG_FLOOR).ln()
}

/// One candidate's evidence in one series.
#[derive(Debug, Clone)]
struct Scores {
    model: ModelId,
    /// Log score less the mean log score of the series' candidates.
    centred: f64,
    /// Per origin, the log score less that origin's mean over the candidates.
    origins: Vec<f64>,
}

/// The backtest scores of one series' candidates: what a [`SelectionPrior`]
/// is estimated from.
#[derive(Debug, Clone)]
pub struct Evidence {
    intermittent: bool,
    candidates: Vec<Scores>,
}

impl Evidence {
    /// Evidence of an evaluation (`None` with fewer than two candidates).
    pub(crate) fn new(
        e: &Evaluation,
        y: &[f64],
        intermittent: bool,
        metric: Metric,
    ) -> Option<Evidence> {
        let per_origin = e.origin_scores(y, metric);
        let scores: Vec<(ModelId, f64, &[f64])> = e
            .backtests
            .iter()
            .zip(&per_origin)
            .map(|(b, p)| (b.model, b.score(metric), p.as_slice()))
            .collect();
        Evidence::from_scores(intermittent, &scores)
    }

    /// Evidence from each candidate's (name, score, score per origin).
    fn from_scores(intermittent: bool, scores: &[(ModelId, f64, &[f64])]) -> Option<Evidence> {
        if scores.len() < 2 {
            return None;
        }
        let n = scores.len() as f64;
        let centre = scores.iter().map(|s| log_score(s.1)).sum::<f64>() / n;
        let origins = scores.iter().map(|s| s.2.len()).min().unwrap_or(0);
        let origin_centres: Vec<f64> = (0..origins)
            .map(|o| scores.iter().map(|s| log_score(s.2[o])).sum::<f64>() / n)
            .collect();
        let candidates = scores
            .iter()
            .map(|&(model, score, per_origin)| Scores {
                model,
                centred: log_score(score) - centre,
                origins: per_origin
                    .iter()
                    .zip(&origin_centres)
                    .map(|(&s, c)| log_score(s) - c)
                    .collect(),
            })
            .collect();
        Some(Evidence {
            intermittent,
            candidates,
        })
    }
}

/// The prior of one candidate in one pattern group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shrinkage {
    /// Mean centred log score over the sample (μ; lower is better).
    pub mean: f64,
    /// Variance of the true centred log score between series (τ²).
    pub between: f64,
    /// Variance of one origin's centred log score (σ²).
    pub within: f64,
    /// Sampled series it was estimated from.
    pub series: usize,
}

impl Shrinkage {
    /// Weight of a series' own score measured over `origins` origins.
    pub fn weight(&self, origins: usize) -> f64 {
        let noise = self.within / origins.max(1) as f64;
        if self.between + noise > 0.0 {
            self.between / (self.between + noise)
        } else {
            1.0
        }
    }
}

/// How each candidate scores across series, per pattern group (regular, and
/// intermittent or lumpy).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SelectionPrior {
    /// Candidates of regular (smooth, erratic) series.
    pub regular: BTreeMap<&'static str, Shrinkage>,
    /// Candidates of intermittent and lumpy series.
    pub intermittent: BTreeMap<&'static str, Shrinkage>,
}

impl SelectionPrior {
    /// Estimate from the evidence of a sample of series.
    pub fn estimate<'a>(evidence: impl IntoIterator<Item = &'a Evidence>) -> SelectionPrior {
        // Per group and candidate: (centred score, origin variance, origins).
        type Seen = BTreeMap<&'static str, Vec<(f64, Option<f64>, usize)>>;
        let mut seen: [Seen; 2] = [BTreeMap::new(), BTreeMap::new()];
        for e in evidence {
            for c in &e.candidates {
                let n = c.origins.len();
                let var = (n >= 2).then(|| {
                    let m = c.origins.iter().sum::<f64>() / n as f64;
                    c.origins.iter().map(|d| (d - m).powi(2)).sum::<f64>() / (n - 1) as f64
                });
                seen[usize::from(e.intermittent)]
                    .entry(c.model.name())
                    .or_default()
                    .push((c.centred, var, n));
            }
        }
        let [regular, intermittent] = seen.map(|group| {
            group
                .into_iter()
                .filter(|(_, v)| v.len() >= MIN_PRIOR_SERIES)
                .filter_map(|(model, v)| {
                    let k = v.len() as f64;
                    let mean = v.iter().map(|x| x.0).sum::<f64>() / k;
                    let total = v.iter().map(|x| (x.0 - mean).powi(2)).sum::<f64>() / (k - 1.0);
                    let with_var: Vec<(f64, usize)> =
                        v.iter().filter_map(|x| x.1.map(|var| (var, x.2))).collect();
                    if with_var.is_empty() {
                        return None;
                    }
                    let m = with_var.len() as f64;
                    let within = with_var.iter().map(|x| x.0).sum::<f64>() / m;
                    let noise = v.iter().map(|x| within / x.2.max(1) as f64).sum::<f64>() / k;
                    let s = Shrinkage {
                        mean,
                        between: (total - noise).max(0.0),
                        within,
                        series: v.len(),
                    };
                    [s.mean, s.between, s.within]
                        .iter()
                        .all(|x| x.is_finite())
                        .then_some((model, s))
                })
                .collect()
        });
        SelectionPrior {
            regular,
            intermittent,
        }
    }

    /// One line per group: the candidates from the best on average (their mean
    /// centred log score), and the weight a series' own score gets over
    /// `origins` backtest origins.
    pub fn describe(&self, origins: usize) -> Vec<String> {
        [
            ("regular", &self.regular),
            ("intermittent", &self.intermittent),
        ]
        .into_iter()
        .filter(|(_, g)| !g.is_empty())
        .map(|(name, g)| {
            let mut models: Vec<(&&str, &Shrinkage)> = g.iter().collect();
            models.sort_by(|a, b| a.1.mean.total_cmp(&b.1.mean).then(a.0.cmp(b.0)));
            let list: Vec<String> = models
                .iter()
                .map(|(m, p)| format!("{m} {:+.3} (w {:.2})", p.mean, p.weight(origins)))
                .collect();
            let series = models.iter().map(|m| m.1.series).max().unwrap_or(0);
            format!("{name} ({series} series): {}", list.join(", "))
        })
        .collect()
    }

    /// True when no group has a prior.
    pub fn is_empty(&self) -> bool {
        self.regular.is_empty() && self.intermittent.is_empty()
    }

    /// The chosen backtest (index) by shrunk scores, or `None` when the prior
    /// does not know every candidate of the series (then the raw scores choose).
    pub(crate) fn choose(
        &self,
        backtests: &[Backtest],
        intermittent: bool,
        s: &ForecastSettings,
    ) -> Option<usize> {
        if s.selection == Selection::Combination || backtests.len() < 2 {
            return None;
        }
        let group = if intermittent {
            &self.intermittent
        } else {
            &self.regular
        };
        let centre = backtests
            .iter()
            .map(|b| log_score(b.score(s.metric)))
            .sum::<f64>()
            / backtests.len() as f64;
        let shrunk: Vec<f64> = backtests
            .iter()
            .map(|b| {
                // A combination other than the default one (the rules may
                // offer another) is read as the combination the prior knows.
                let p = group.get(b.model.name()).or_else(|| {
                    b.model
                        .is_combination()
                        .then(|| group.get(super::backtest::COMBINATION.name()))
                        .flatten()
                })?;
                let r = log_score(b.score(s.metric)) - centre;
                Some(p.mean + p.weight(b.origins) * (r - p.mean))
            })
            .collect::<Option<_>>()?;
        let best_single = backtests
            .iter()
            .enumerate()
            .filter(|(_, b)| !b.model.is_combination())
            .min_by(|(i, _), (j, _)| shrunk[*i].total_cmp(&shrunk[*j]).then(i.cmp(j)))
            .map(|(i, _)| i)?;
        let combination = backtests
            .last()
            .filter(|b| b.model.is_combination())
            .map(|_| backtests.len() - 1);
        Some(match (s.selection, combination) {
            (Selection::BestWithCombination, Some(c)) => {
                let bar = shrunk[c] + (1.0 - s.selection_margin).max(1e-12).ln();
                if shrunk[best_single] < bar {
                    best_single
                } else {
                    c
                }
            }
            _ => best_single,
        })
    }
}

/// Indices of the (at most) `n` series with the smallest stable hashes, in
/// index order: the same sample in every shard and at any thread count.
pub fn sample(hashes: impl IntoIterator<Item = u64>, n: usize) -> Vec<usize> {
    let mut order: Vec<(u64, usize)> = hashes.into_iter().zip(0..).collect();
    if order.len() > n {
        order.select_nth_unstable(n);
        order.truncate(n);
    }
    let mut ids: Vec<usize> = order.into_iter().map(|(_, i)| i).collect();
    ids.sort_unstable();
    ids
}

/// Stable 64-bit FNV-1a hash of bytes (the same on every machine).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::backtest::COMBINATION;

    fn settings(selection: Selection) -> ForecastSettings {
        ForecastSettings {
            horizon: 4,
            backtest_horizon: 4,
            protection_buckets: None,
            origins: 3,
            metric: Metric::Mase,
            season_length: 1,
            discontinued_after: 0,
            outlier_sigma: 0.0,
            selection,
            selection_margin: 0.1,
            ..ForecastSettings::default()
        }
    }

    fn backtest(model: ModelId, mase: f64) -> Backtest {
        Backtest {
            model,
            origins: 3,
            horizon: 4,
            mae: mase,
            rmse: mase,
            mase,
            rmsse: mase,
            bias: 0.0,
        }
    }

    /// Deterministic standard normal draws (Box–Muller on a fixed LCG).
    fn normals(seed: u64) -> impl FnMut() -> f64 {
        let mut state = seed;
        let mut uniform = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        move || (-2.0 * uniform().ln()).sqrt() * (std::f64::consts::TAU * uniform()).cos()
    }

    /// 400 series of two candidates: "steady" (naive) scores e^−0.2 everywhere,
    /// "noisy" (ses) scores 1 on average but with log noise of sd `noise` per
    /// origin (three origins); the true difference is the same in every
    /// series (τ² = 0).
    fn evidence(noise: f64) -> Vec<Evidence> {
        let mut z = normals(3);
        (0..400)
            .map(|_| {
                let steady = [(-0.2f64).exp(); 3];
                let noisy: Vec<f64> = (0..3).map(|_| (noise * z()).exp()).collect();
                let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
                Evidence::from_scores(
                    false,
                    &[
                        (ModelId::Naive, mean(&steady), &steady),
                        (ModelId::Ses, mean(&noisy), &noisy),
                    ],
                )
                .expect("two candidates")
            })
            .collect()
    }

    #[test]
    fn a_lucky_backtest_gives_way_to_the_candidate_good_everywhere() {
        let prior = SelectionPrior::estimate(&evidence(0.5));
        let steady = prior.regular["naive"];
        let noisy = prior.regular["ses"];
        assert!(steady.mean < noisy.mean, "{steady:?} {noisy:?}");
        // No true variation between series: the noise explains the spread.
        assert!(noisy.weight(3) < 0.35, "{noisy:?}");
        let s = settings(Selection::Best);
        // The noisy candidate wins this series' backtest by a little: the raw
        // scores pick it, the prior does not.
        let close = [backtest(ModelId::Naive, 0.82), backtest(ModelId::Ses, 0.75)];
        assert_eq!(prior.choose(&close, false, &s), Some(0));
        // A win far beyond the noise still counts.
        let clear = [backtest(ModelId::Naive, 0.82), backtest(ModelId::Ses, 0.05)];
        assert_eq!(prior.choose(&clear, false, &s), Some(1));
        // No prior for intermittent series: the raw scores choose.
        assert_eq!(prior.choose(&close, true, &s), None);
    }

    #[test]
    fn without_noise_each_series_keeps_its_own_score() {
        let prior = SelectionPrior::estimate(&evidence(0.0));
        for p in prior.regular.values() {
            assert!(p.within.abs() < 1e-12, "{p:?}");
            assert_eq!(p.weight(3), 1.0);
        }
        let s = settings(Selection::Best);
        let close = [backtest(ModelId::Naive, 0.82), backtest(ModelId::Ses, 0.81)];
        assert_eq!(prior.choose(&close, false, &s), Some(1));
    }

    #[test]
    fn the_combination_keeps_its_margin_under_the_prior() {
        let mut prior = SelectionPrior::default();
        let flat = Shrinkage {
            mean: 0.0,
            between: 1.0,
            within: 0.0,
            series: 100,
        };
        for m in [ModelId::Naive, ModelId::SeasonalNaive, COMBINATION] {
            prior.regular.insert(m.name(), flat);
        }
        let s = settings(Selection::BestWithCombination);
        // 5 % better than the combination is inside the 10 % margin.
        let small = [
            backtest(ModelId::Naive, 0.95),
            backtest(ModelId::SeasonalNaive, 1.2),
            backtest(COMBINATION, 1.0),
        ];
        assert_eq!(prior.choose(&small, false, &s), Some(2));
        let large = [
            backtest(ModelId::Naive, 0.5),
            backtest(ModelId::SeasonalNaive, 1.2),
            backtest(COMBINATION, 1.0),
        ];
        assert_eq!(prior.choose(&large, false, &s), Some(0));
        // A candidate the prior does not know: the raw scores choose.
        let unknown = [
            backtest(ModelId::Naive, 0.5),
            backtest(ModelId::MovingAverage, 1.2),
        ];
        assert_eq!(prior.choose(&unknown, false, &s), None);
        assert_eq!(
            prior.choose(&large, false, &settings(Selection::Combination)),
            None
        );
    }

    #[test]
    fn too_few_series_give_no_prior() {
        let few: Vec<Evidence> = evidence(0.5)
            .into_iter()
            .take(MIN_PRIOR_SERIES - 1)
            .collect();
        assert!(SelectionPrior::estimate(&few).is_empty());
    }

    #[test]
    fn the_sample_is_the_smallest_hashes_in_index_order() {
        let hashes = [50u64, 10, 40, 20, 30];
        assert_eq!(sample(hashes, 2), vec![1, 3]);
        assert_eq!(sample(hashes, 9), vec![0, 1, 2, 3, 4]);
        assert!(sample(hashes, 0).is_empty());
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
