//! The learned selection: a meta-learner in the spirit of FFORMS and FFORMA
//! (Talagala et al. 2018; Montero-Manso et al. 2020, second in M4). Features
//! of each series (length, share of zeros, variation, autocorrelation,
//! season, trend, spectral entropy) and of its candidates' backtests (each
//! candidate's score beside the series' median candidate) are mapped to each
//! candidate's expected score at the next origin by one elastic net per
//! candidate (linfa), fitted across the sampled series of a group; a series
//! takes the candidate with the least expected score.
//!
//! It is trained on backtest origins only: scores at origin `o` are the
//! target, the origins after it (earlier in time) the evidence, so a learner
//! validated at the latest origin never saw it (see [`super::rules`]).

use ndarray::{Array1, Array2};

use super::ModelId;
use super::global::{Coefficients, fit_elastic_net};

/// One series as the learner reads it: each option (candidate, or the
/// combination it is offered) with its score per backtest origin (origin 0
/// the latest), and the series' features before its latest origin
/// ([`series_features`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Each option and its scores per origin.
    pub options: Vec<(ModelId, Vec<f64>)>,
    /// The history's features.
    pub features: [f64; SERIES_FEATURES],
}

/// Features of a history the learner reads beside the backtest scores.
pub const SERIES_FEATURES: usize = 7;

/// Fewest training rows (sampled series) a candidate needs to be predicted.
const MIN_ROWS: usize = 30;
/// The elastic net's penalty and L1 share (on standardised features).
const PENALTY: f64 = 0.01;
const L1_RATIO: f64 = 0.5;
/// Added to scores before their log: two perfect scores tie.
const LOG_FLOOR: f64 = 0.01;
/// Frequencies of the periodogram behind the spectral entropy, at most.
const ENTROPY_FREQUENCIES: usize = 32;

/// The features of a history `y` with season length `m`: ln of its length,
/// its share of zeros, ln(1 + coefficient of variation), lag-1 and lag-`m`
/// autocorrelation (0 without two seasons), the correlation of the values
/// with time, and the normalised spectral entropy (1: white noise). All
/// finite.
pub fn series_features(y: &[f64], m: usize) -> [f64; SERIES_FEATURES] {
    let n = y.len();
    if n == 0 {
        return [0.0; SERIES_FEATURES];
    }
    let nf = n as f64;
    let mean = y.iter().sum::<f64>() / nf;
    let var = y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / nf;
    let zeros = y.iter().filter(|v| **v <= 0.0).count() as f64 / nf;
    let cv = if mean > 0.0 { var.sqrt() / mean } else { 0.0 };
    let acf = |lag: usize| -> f64 {
        if lag == 0 || lag >= n || var <= 0.0 {
            return 0.0;
        }
        let c: f64 = (lag..n).map(|t| (y[t] - mean) * (y[t - lag] - mean)).sum();
        c / (nf * var)
    };
    let seasonal = if m > 1 && n >= 2 * m { acf(m) } else { 0.0 };
    let t_mean = (nf - 1.0) / 2.0;
    let t_var = (nf * nf - 1.0) / 12.0;
    let cov: f64 = y
        .iter()
        .enumerate()
        .map(|(t, v)| (t as f64 - t_mean) * (v - mean))
        .sum::<f64>()
        / nf;
    let trend = if var > 0.0 && t_var > 0.0 {
        cov / (var * t_var).sqrt()
    } else {
        0.0
    };
    let f = [
        nf.ln(),
        zeros,
        cv.ln_1p(),
        acf(1),
        seasonal,
        trend,
        spectral_entropy(y, mean),
    ];
    f.map(|v| if v.is_finite() { v } else { 0.0 })
}

/// The Shannon entropy of the normalised periodogram of `y` (centred on
/// `mean`) at up to [`ENTROPY_FREQUENCIES`] frequencies in (0, π], over its
/// largest value: near 1 for noise, near 0 for one dominant cycle or trend;
/// 0 for a constant or a history too short.
fn spectral_entropy(y: &[f64], mean: f64) -> f64 {
    let k = (y.len() / 2).min(ENTROPY_FREQUENCIES);
    if k < 2 {
        return 0.0;
    }
    let power: Vec<f64> = (1..=k)
        .map(|j| {
            let w = std::f64::consts::PI * j as f64 / k as f64;
            let (step_c, step_s) = (w.cos(), w.sin());
            let (mut c, mut s) = (1.0, 0.0);
            let (mut re, mut im) = (0.0, 0.0);
            for v in y {
                re += (v - mean) * c;
                im -= (v - mean) * s;
                (c, s) = (c * step_c - s * step_s, s * step_c + c * step_s);
            }
            re * re + im * im
        })
        .collect();
    let total: f64 = power.iter().sum();
    if total <= 0.0 || !total.is_finite() {
        return 0.0;
    }
    let h: f64 = power
        .iter()
        .filter(|p| **p > 0.0)
        .map(|p| {
            let q = p / total;
            -q * q.ln()
        })
        .sum();
    h / (k as f64).ln()
}

/// The log of a score, floored.
fn ln_score(x: f64) -> f64 {
    (x.max(0.0) + LOG_FLOOR).ln()
}

/// The median of a non-empty slice.
fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

/// One series' options (candidates and the offered combination) as the
/// learner reads them at evidence origins `from..`: each option's log mean
/// score there, beside the series' features.
struct Evidence {
    models: Vec<ModelId>,
    /// Per option, ln of its mean score over the evidence origins.
    ln_mean: Vec<f64>,
    /// Per option, its score per origin.
    scores: Vec<Vec<f64>>,
    /// The median of `ln_mean`.
    level: f64,
    features: [f64; SERIES_FEATURES],
}

impl Evidence {
    /// The evidence of series `t` at origins `from..` (`None` with fewer
    /// than two options scored there).
    fn of(t: &Series, from: usize) -> Option<Evidence> {
        let (mut models, mut ln_mean, mut scores) = (Vec::new(), Vec::new(), Vec::new());
        for (m, s) in &t.options {
            let Some(ev) = s.get(from..).filter(|e| !e.is_empty()) else {
                continue;
            };
            let mean = ev.iter().sum::<f64>() / ev.len() as f64;
            if mean.is_finite() && s.iter().all(|v| v.is_finite()) {
                models.push(*m);
                ln_mean.push(ln_score(mean));
                scores.push(s.clone());
            }
        }
        if models.len() < 2 {
            return None;
        }
        let level = median(&ln_mean);
        Some(Evidence {
            models,
            ln_mean,
            scores,
            level,
            features: t.features,
        })
    }

    /// The learner's input row of option `k`.
    fn row(&self, k: usize) -> Vec<f64> {
        let mut r = vec![self.ln_mean[k] - self.level, self.level];
        r.extend_from_slice(&self.features);
        r
    }
}

/// A fitted learner: per candidate (or combination), the elastic net of its
/// log score beside the series' median option at the next origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Learner {
    models: Vec<(ModelId, Coefficients)>,
}

impl Learner {
    /// The learner trained on `series` with origin `target` as the target
    /// and the origins after it as evidence; `None` when no option has
    /// `MIN_ROWS` rows.
    pub fn fit(series: &[Series], target: usize) -> Option<Learner> {
        let mut rows: Vec<(ModelId, Vec<Vec<f64>>, Vec<f64>)> = Vec::new();
        for t in series {
            let Some(e) = Evidence::of(t, target + 1) else {
                continue;
            };
            let targets: Vec<f64> = e.scores.iter().map(|s| ln_score(s[target])).collect();
            let centre = median(&targets);
            for (k, &m) in e.models.iter().enumerate() {
                let i = match rows.iter().position(|r| r.0 == m) {
                    Some(i) => i,
                    None => {
                        rows.push((m, Vec::new(), Vec::new()));
                        rows.len() - 1
                    }
                };
                rows[i].1.push(e.row(k));
                rows[i].2.push(targets[k] - centre);
            }
        }
        let models: Vec<(ModelId, Coefficients)> = rows
            .into_iter()
            .filter(|(_, x, _)| x.len() >= MIN_ROWS)
            .filter_map(|(m, x, y)| {
                let width = x[0].len();
                let flat: Vec<f64> = x.into_iter().flatten().collect();
                let x = Array2::from_shape_vec((y.len(), width), flat).ok()?;
                let coef = fit_elastic_net(&x, &Array1::from_vec(y), PENALTY, L1_RATIO)?;
                Some((m, coef))
            })
            .collect();
        (!models.is_empty()).then_some(Learner { models })
    }

    /// The option series `t` takes with evidence origins `from..`: the
    /// least expected score among the options the learner knows (`None`:
    /// none).
    pub fn choose(&self, t: &Series, from: usize) -> Option<ModelId> {
        let e = Evidence::of(t, from)?;
        e.models
            .iter()
            .enumerate()
            .filter_map(|(k, m)| {
                let (_, coef) = self.models.iter().find(|(x, _)| x == m)?;
                let p = coef.eta(&e.row(k));
                p.is_finite().then_some((*m, p))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(m, _)| m)
    }

    /// The candidates it predicts.
    pub fn len(&self) -> usize {
        self.models.len()
    }

    /// True when it predicts no candidate (never for a fitted learner).
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: ModelId = ModelId::Theta;
    const B: ModelId = ModelId::Ses;

    /// 200 series whose trend feature says which of A and B forecasts them
    /// well (scores from 1–5 against 2–6 at each of four origins), while
    /// their own backtests are noisy enough to mislead some at any origin.
    fn two_kinds() -> Vec<Series> {
        let mut rnd = crate::forecast::uniform(11);
        (0..200)
            .map(|i| {
                let up = i % 2 == 0;
                let good: Vec<f64> = (0..4).map(|_| 1.0 + 4.0 * rnd()).collect();
                let bad: Vec<f64> = (0..4).map(|_| 2.0 + 4.0 * rnd()).collect();
                let (a, b) = if up { (good, bad) } else { (bad, good) };
                let mut features = [0.0; SERIES_FEATURES];
                features[0] = 4.0;
                features[5] = if up { 0.8 } else { -0.8 };
                Series {
                    options: vec![(A, a), (B, b)],
                    features,
                }
            })
            .collect()
    }

    #[test]
    fn the_learner_reads_the_features_the_backtest_cannot() {
        let series = two_kinds();
        let learner = Learner::fit(&series, 1).expect("fits");
        assert_eq!(learner.len(), 2);
        let (mut learned, mut own) = (0, 0);
        for (i, t) in series.iter().enumerate() {
            let want = if i % 2 == 0 { A } else { B };
            learned += usize::from(learner.choose(t, 1) == Some(want));
            let e = Evidence::of(t, 1).expect("two options");
            let by_own = if e.ln_mean[0] <= e.ln_mean[1] { A } else { B };
            own += usize::from(by_own == want);
        }
        assert!(learned >= 180, "{learned} of 200 right");
        assert!(own + 10 < learned, "own backtests {own}, learned {learned}");
        // Too few series: no learner.
        assert!(Learner::fit(&series[..20], 1).is_none());
    }

    #[test]
    fn features_are_finite_and_read_what_they_say() {
        for y in [
            vec![],
            vec![0.0; 10],
            vec![5.0],
            vec![f64::MAX, 0.0, f64::MAX],
        ] {
            assert!(
                series_features(&y, 12).iter().all(|v| v.is_finite()),
                "{y:?}"
            );
        }
        let line: Vec<f64> = (0..40).map(|t| 1.0 + t as f64).collect();
        let f = series_features(&line, 4);
        assert!((f[0] - 40f64.ln()).abs() < 1e-12);
        assert_eq!(f[1], 0.0);
        assert!((f[5] - 1.0).abs() < 1e-9, "trend {}", f[5]);
        let sparse: Vec<f64> = (0..40)
            .map(|t| if t % 4 == 0 { 3.0 } else { 0.0 })
            .collect();
        let f = series_features(&sparse, 4);
        assert!((f[1] - 0.75).abs() < 1e-12);
        assert!(f[4] > 0.85, "a cycle of 4 at lag 4: {}", f[4]);
        // One cycle concentrates the spectrum; noise spreads it.
        let mut rnd = crate::forecast::uniform(3);
        let noise: Vec<f64> = (0..64).map(|_| rnd()).collect();
        let wave: Vec<f64> = (0..64).map(|t| (t as f64 * 0.8).sin() + 2.0).collect();
        let (hn, hw) = (series_features(&noise, 1)[6], series_features(&wave, 1)[6]);
        assert!(hn > 0.7 && hw < 0.3, "noise {hn}, wave {hw}");
    }
}
