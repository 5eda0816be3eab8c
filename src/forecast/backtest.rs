//! The rolling-origin backtest: each candidate fitted at several origins of
//! one history and scored against what followed (MAE, RMSE, MASE, RMSSE,
//! bias), and the median combination of the lead three.

use super::clean::median;
use super::{Model, ModelId};
use crate::demand_process::SlowMoverDemand;

pub use crate::config::{LeadingZeros, Metric, Selection, SelectionBase};

/// Settings of the forecast of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastSettings {
    /// Buckets to forecast.
    pub horizon: usize,
    /// Buckets ahead evaluated at each backtest origin (lead time + review).
    pub backtest_horizon: usize,
    /// Buckets the reorder point protects (lead time + half a review, may be
    /// fractional): the horizon of the summed errors in
    /// [`super::SeriesForecast::horizon_errors`]; `None`: the backtest horizon.
    pub protection_buckets: Option<f64>,
    /// Buckets of lead time + a whole review period, which a base stock
    /// ordered at every review protects: the horizon of
    /// [`super::SeriesForecast::cycle_errors`]; `None`: the backtest horizon.
    pub cycle_buckets: Option<f64>,
    /// Backtest origins.
    pub origins: usize,
    /// Selection metric.
    pub metric: Metric,
    /// Season length in buckets (1 = none), for the MASE scale.
    pub season_length: usize,
    /// Trailing buckets without demand before an item can count as
    /// discontinued (0 = never): then only when a gap that long is
    /// improbable at its own rate ([`super::clean::trailing_gap`]).
    pub discontinued_after: usize,
    /// Chance of the current gap below which the item counts as discontinued.
    pub discontinued_probability: f64,
    /// Buckets per year (the same weeks of earlier years excuse a seasonal gap).
    pub buckets_per_year: usize,
    /// How a slow mover's lead-time demand is built; with
    /// [`SlowMoverDemand::Forecast`] no demand process is estimated.
    pub slow_mover_demand: SlowMoverDemand,
    /// Buckets of recent history the demand process is read from.
    pub process_window: usize,
    /// The demand process is estimated for intermittent and lumpy series and
    /// for those whose recent demand over the protection interval is below
    /// this many units (twice the policy's count-distribution threshold).
    pub process_below: f64,
    /// Outlier limit in robust standard deviations (0 = no cleaning).
    pub outlier_sigma: f64,
    /// Where the history starts (leading zeros kept or trimmed).
    pub leading_zeros: LeadingZeros,
    /// How the forecast is chosen.
    pub selection: Selection,
    /// Relative score a single model must gain over the combination to be chosen.
    pub selection_margin: f64,
    /// Offer each group of series the learned selection
    /// ([`super::learner`]) beside the other selection rules.
    pub selection_learner: bool,
    /// What a group of series holds to unless another choice validates
    /// clearly better ([`super::rules`]).
    pub selection_base: SelectionBase,
}

impl Default for ForecastSettings {
    /// Weekly buckets, 13 ahead, lead time + review of 5, 3 origins, MASE,
    /// yearly season, the median combination with a 10 % margin; items quiet
    /// for 13 buckets may be discontinued; slow movers get a compound
    /// demand process over two years.
    fn default() -> Self {
        ForecastSettings {
            horizon: 13,
            backtest_horizon: 5,
            protection_buckets: None,
            cycle_buckets: None,
            origins: 3,
            metric: Metric::Mase,
            season_length: 52,
            discontinued_after: 13,
            discontinued_probability: 0.01,
            buckets_per_year: 52,
            outlier_sigma: 6.0,
            leading_zeros: LeadingZeros::default(),
            selection: Selection::BestWithCombination,
            selection_margin: 0.1,
            selection_learner: false,
            selection_base: SelectionBase::PerSeries,
            slow_mover_demand: SlowMoverDemand::Compound,
            process_window: 104,
            process_below: 20.0,
        }
    }
}

/// Errors of one candidate over the rolling-origin backtest.
#[derive(Debug, Clone, PartialEq)]
pub struct Backtest {
    /// Model name.
    pub model: ModelId,
    /// Origins evaluated.
    pub origins: usize,
    /// Buckets ahead evaluated at each origin.
    pub horizon: usize,
    /// Mean absolute error per bucket.
    pub mae: f64,
    /// Root mean squared error per bucket.
    pub rmse: f64,
    /// MAE over the in-sample (seasonal) naive MAE.
    pub mase: f64,
    /// √(MSE over the mean squared one-step difference) (M5's RMSSE).
    pub rmsse: f64,
    /// Mean error (forecast − actual): positive means over-forecast.
    pub bias: f64,
}

impl Backtest {
    /// The value of `metric`.
    pub fn score(&self, metric: Metric) -> f64 {
        match metric {
            Metric::Mase => self.mase,
            Metric::Rmsse => self.rmsse,
            Metric::Balanced => (self.mase * self.rmsse).sqrt(),
        }
    }
}

/// Name of the median of the three lead candidates.
pub const COMBINATION: ModelId = ModelId::MedianCombination;
/// Shortest training window a backtest origin leaves.
pub const MIN_TRAIN: usize = 4;

/// Backtest origins for a history of `n` buckets: `n − h`, `n − 2h`, … (at
/// most `origins`, each leaving at least [`MIN_TRAIN`] buckets); when the
/// history is too short for one full horizon, the horizon shrinks to what is left.
pub(crate) fn cuts(n: usize, horizon: usize, origins: usize) -> Option<(usize, Vec<usize>)> {
    if n < MIN_TRAIN + 1 {
        return None;
    }
    let h = horizon.clamp(1, n - MIN_TRAIN);
    let cuts: Vec<usize> = (1..=origins.max(1))
        .map_while(|k| n.checked_sub(k * h).filter(|&o| o >= MIN_TRAIN))
        .collect();
    (!cuts.is_empty()).then_some((h, cuts))
}

/// Scales of MASE (mean |y_t − y_{t−m}|, lag 1 when too short) and RMSSE
/// (mean squared one-step difference) of a training window; never zero.
pub(crate) fn scales(train: &[f64], season_length: usize) -> (f64, f64) {
    let fallback = {
        let mean = train.iter().map(|v| v.abs()).sum::<f64>() / train.len().max(1) as f64;
        if mean > 0.0 { mean } else { 1.0 }
    };
    let lag = if train.len() > season_length && season_length > 1 {
        season_length
    } else {
        1
    };
    let diffs = |lag: usize| -> (f64, f64) {
        let n = train.len().saturating_sub(lag);
        if n == 0 {
            return (0.0, 0.0);
        }
        let (mut a, mut s) = (0.0, 0.0);
        for t in lag..train.len() {
            let d = train[t] - train[t - lag];
            a += d.abs();
            s += d * d;
        }
        (a / n as f64, s / n as f64)
    };
    let mase = diffs(lag).0;
    let rmsse = diffs(1).1;
    (
        if mase > 0.0 { mase } else { fallback },
        if rmsse > 0.0 {
            rmsse
        } else {
            fallback * fallback
        },
    )
}

/// Forecasts of one candidate at every origin, or `None` if it cannot fit one.
pub(crate) fn run_origins(
    model: &dyn Model,
    y: &[f64],
    h: usize,
    cuts: &[usize],
) -> Option<Vec<Vec<f64>>> {
    cuts.iter()
        .map(|&o| model.fit(&y[..o]).map(|f| sanitize(f.predict(h))))
        .collect()
}

pub(crate) fn sanitize(mut v: Vec<f64>) -> Vec<f64> {
    for x in &mut v {
        if !x.is_finite() || *x < 0.0 {
            *x = 0.0;
        }
    }
    v
}

pub(crate) fn score(
    model: ModelId,
    forecasts: &[Vec<f64>],
    y: &[f64],
    h: usize,
    cuts: &[usize],
    scale: (f64, f64),
) -> Backtest {
    let (mut abs, mut sq, mut sum, mut count) = (0.0, 0.0, 0.0, 0usize);
    for (f, &o) in forecasts.iter().zip(cuts) {
        for (p, a) in f.iter().zip(&y[o..o + h]) {
            let e = p - a;
            abs += e.abs();
            sq += e * e;
            sum += e;
            count += 1;
        }
    }
    let c = count.max(1) as f64;
    Backtest {
        model,
        origins: cuts.len(),
        horizon: h,
        mae: abs / c,
        rmse: (sq / c).sqrt(),
        mase: abs / c / scale.0,
        rmsse: (sq / c / scale.1).sqrt(),
        bias: sum / c,
    }
}

/// Element-wise median of several forecasts of equal length.
pub(crate) fn median_of(forecasts: &[&Vec<f64>]) -> Vec<f64> {
    let h = forecasts.iter().map(|f| f.len()).min().unwrap_or(0);
    let mut buf = Vec::with_capacity(forecasts.len());
    (0..h)
        .map(|i| {
            buf.clear();
            buf.extend(forecasts.iter().map(|f| f[i]));
            median(&mut buf)
        })
        .collect()
}

/// Backtest one model alone (all origins), e.g. for diagnostics and tests.
pub fn backtest(
    model: &dyn Model,
    y: &[f64],
    horizon: usize,
    origins: usize,
    season_length: usize,
) -> Option<Backtest> {
    let (h, cuts) = cuts(y.len(), horizon, origins)?;
    let forecasts = run_origins(model, y, h, &cuts)?;
    let scale = scales(&y[..*cuts.last()?], season_length);
    Some(score(model.id(), &forecasts, y, h, &cuts, scale))
}

/// How a combination joins its members' forecasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// The element-wise mean.
    Mean,
    /// The element-wise median.
    Median,
}

/// A combination of candidates: which members and how they are joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Combination {
    /// Member candidates.
    pub members: Vec<ModelId>,
    /// Mean or median.
    pub combine: Combine,
}

impl Combination {
    /// The median of the first three of `models` (`None` with fewer).
    pub fn lead_three(models: impl IntoIterator<Item = ModelId>) -> Option<Combination> {
        let members: Vec<ModelId> = models.into_iter().take(3).collect();
        (members.len() == 3).then_some(Combination {
            members,
            combine: Combine::Median,
        })
    }

    /// Its identity in the reports.
    pub fn id(&self) -> ModelId {
        match self.combine {
            Combine::Mean => ModelId::MeanCombination,
            Combine::Median => ModelId::MedianCombination,
        }
    }

    /// The members' forecasts joined (`None` with no forecasts).
    pub fn join(&self, forecasts: &[&Vec<f64>]) -> Option<Vec<f64>> {
        if forecasts.is_empty() {
            return None;
        }
        Some(match self.combine {
            Combine::Median => median_of(forecasts),
            Combine::Mean => {
                let h = forecasts.iter().map(|f| f.len()).min().unwrap_or(0);
                let n = forecasts.len() as f64;
                (0..h)
                    .map(|i| forecasts.iter().map(|f| f[i]).sum::<f64>() / n)
                    .collect()
            }
        })
    }
}

/// `fit` of each member of `members`, in order, each distinct member fitted
/// once (a member repeated for weight is not fitted again).
pub fn fit_members<T: Clone>(members: &[ModelId], mut fit: impl FnMut(ModelId) -> T) -> Vec<T> {
    let mut done: Vec<(ModelId, T)> = Vec::new();
    members
        .iter()
        .map(|&m| match done.iter().find(|d| d.0 == m) {
            Some(d) => d.1.clone(),
            None => {
                let f = fit(m);
                done.push((m, f.clone()));
                f
            }
        })
        .collect()
}

/// Members as the reports name them, joined by `+`; a member repeated `k`
/// times in a row (weight `k` in a mean) reads `name*k`.
pub fn members_label(members: &[ModelId]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < members.len() {
        let k = members[i..]
            .iter()
            .take_while(|m| **m == members[i])
            .count();
        parts.push(match k {
            1 => members[i].name().to_string(),
            _ => format!("{}*{k}", members[i].name()),
        });
        i += k;
    }
    parts.join("+")
}

/// Every candidate's backtest on one history (the combination last), with the
/// forecasts each made at every origin.
#[derive(Clone)]
pub(crate) struct Evaluation {
    /// Backtests in candidate order, the combination last when there is one.
    pub(crate) backtests: Vec<Backtest>,
    /// (candidate index, forecast per origin), aligned with `backtests`.
    pub(crate) runs: Vec<(usize, Vec<Vec<f64>>)>,
    /// The combination backtested last, when there is one.
    pub(crate) combination: Option<Combination>,
    /// The combination's forecast per origin.
    pub(crate) combination_run: Vec<Vec<f64>>,
    /// Backtest horizon and origins.
    pub(crate) origins: Option<(usize, Vec<usize>)>,
    /// MASE and RMSSE scales.
    pub(crate) scale: (f64, f64),
}

impl Evaluation {
    /// Each backtest's `metric` per origin (aligned with `backtests`).
    pub(crate) fn origin_scores(&self, y: &[f64], metric: Metric) -> Vec<Vec<f64>> {
        let Some((h, cut)) = &self.origins else {
            return Vec::new();
        };
        let per_origin = |run: &[Vec<f64>]| -> Vec<f64> {
            run.iter()
                .zip(cut)
                .map(|(f, &o)| {
                    // The score alone is kept: any identity does.
                    let b = score(
                        COMBINATION,
                        std::slice::from_ref(f),
                        y,
                        *h,
                        &[o],
                        self.scale,
                    );
                    b.score(metric)
                })
                .collect()
        };
        let mut out: Vec<Vec<f64>> = self.runs.iter().map(|(_, r)| per_origin(r)).collect();
        if self.backtests.len() > self.runs.len() {
            out.push(per_origin(&self.combination_run));
        }
        out
    }

    /// Replace the combination by `c` (`None`: no combination). It is
    /// backtested when each of its members was.
    pub(crate) fn set_combination(&mut self, y: &[f64], c: Option<&Combination>) {
        self.backtests.truncate(self.runs.len());
        self.combination = None;
        self.combination_run = Vec::new();
        let (Some(c), Some((h, cut))) = (c, &self.origins) else {
            return;
        };
        let members: Option<Vec<&Vec<Vec<f64>>>> = c
            .members
            .iter()
            .map(|m| {
                let i = self.backtests.iter().position(|b| b.model == *m)?;
                Some(&self.runs[i].1)
            })
            .collect();
        let Some(members) = members.filter(|m| !m.is_empty()) else {
            return;
        };
        let run: Option<Vec<Vec<f64>>> = (0..cut.len())
            .map(|o| c.join(&members.iter().map(|r| &r[o]).collect::<Vec<_>>()))
            .collect();
        let Some(run) = run else { return };
        self.backtests
            .push(score(c.id(), &run, y, *h, cut, self.scale));
        self.combination = Some(c.clone());
        self.combination_run = run;
    }
}

/// The median of the lead three candidates of a line-up, the combination
/// a series takes when no rule across series says otherwise.
pub(crate) fn lead_three(backtests: &[Backtest]) -> Option<Combination> {
    Combination::lead_three(backtests.iter().map(|b| b.model))
}

/// Backtest every candidate and, unless the selection is `best`, the median
/// of the lead three.
pub(crate) fn evaluate(models: &[&dyn Model], y: &[f64], s: &ForecastSettings) -> Evaluation {
    let mut e = Evaluation {
        backtests: Vec::new(),
        runs: Vec::new(),
        combination: None,
        combination_run: Vec::new(),
        origins: cuts(y.len(), s.backtest_horizon, s.origins),
        scale: (1.0, 1.0),
    };
    if let Some((h, cut)) = &e.origins {
        let (h, cut) = (*h, cut.as_slice());
        e.scale = scales(&y[..*cut.last().expect("cuts")], s.season_length);
        for (i, m) in models.iter().enumerate() {
            if let Some(f) = run_origins(*m, y, h, cut) {
                e.backtests.push(score(m.id(), &f, y, h, cut, e.scale));
                e.runs.push((i, f));
            }
        }
        if s.selection != Selection::Best {
            let lead = lead_three(&e.backtests);
            e.set_combination(y, lead.as_ref());
        }
    }
    e
}

/// The chosen backtest by the raw scores: the lowest, except that under
/// `best_with_combination` a single model must beat the combination by the
/// selection margin.
pub(crate) fn choose(backtests: &[Backtest], s: &ForecastSettings) -> Option<usize> {
    let best_single = backtests
        .iter()
        .enumerate()
        .filter(|(_, b)| !b.model.is_combination())
        .min_by(|(i, a), (j, b)| {
            a.score(s.metric)
                .total_cmp(&b.score(s.metric))
                .then(i.cmp(j))
        })
        .map(|(i, _)| i);
    let combination = backtests
        .last()
        .filter(|b| b.model.is_combination())
        .map(|_| backtests.len() - 1);
    match (s.selection, combination, best_single) {
        (Selection::Combination, Some(c), _) => Some(c),
        (Selection::BestWithCombination, Some(c), Some(b)) => {
            // A single model must beat the combination clearly: short backtests
            // are noisy, and a lucky winner forecasts worse than the combination.
            let bar = backtests[c].score(s.metric) * (1.0 - s.selection_margin);
            Some(if backtests[b].score(s.metric) < bar {
                b
            } else {
                c
            })
        }
        _ => best_single,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_repeated_for_weight_is_fitted_once() {
        let mut calls = 0;
        let members = [ModelId::Ses, ModelId::Ses, ModelId::Theta];
        let fits = fit_members(&members, |m| {
            calls += 1;
            m.name().len()
        });
        assert_eq!(calls, 2);
        assert_eq!(fits, vec![3, 3, 5]);
        assert_eq!(members_label(&members), "ses*2+theta");
    }

    #[test]
    fn the_balanced_score_is_the_geometric_mean_of_mase_and_rmsse() {
        let b = Backtest {
            model: ModelId::Ses,
            origins: 3,
            horizon: 2,
            mae: 1.0,
            rmse: 1.0,
            mase: 0.5,
            rmsse: 2.0,
            bias: 0.0,
        };
        assert_eq!(b.score(Metric::Balanced), 1.0);
        let m: Metric = serde_json::from_str("\"balanced\"").expect("parses");
        assert_eq!(m, Metric::Balanced);
    }
}
