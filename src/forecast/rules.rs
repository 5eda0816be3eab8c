//! Selection rules across series: per group of series (regular or
//! intermittent demand, full or short history) the combination to offer
//! (which members, mean or median, or none) and how a series chooses — by
//! its own backtest, by its backtest shrunk toward the prior, or by taking
//! the candidate that wins pooled over the group.
//!
//! Both are learnt on the selection prior's sample (`forecast.selection_rules`).
//! The baseline is the choice without rules: each series by its backtest
//! shrunk toward the prior, offered the median of its lead three. An option
//! replaces it only when it scores better where it will be used — each
//! option decides on the earlier backtest origins and is scored at the
//! latest — with a lower mean, better series by series (a paired log-ratio
//! test: a mean of scaled errors is led by the few series with tiny
//! scales), and by at least [`MIN_GAIN`]. Groups whose series lack two
//! origins keep the baseline; short groups (fewer origins than configured,
//! or less than two seasons) may take a pooled winner but do not choose
//! per series.

use std::collections::BTreeMap;

use super::ModelId;
use super::backtest::{
    Backtest, Combination, Combine, ForecastSettings, Metric, Selection, choose,
};
use super::prior::SelectionPrior;

/// Fewest sampled series of a group for a rule; below it the group's series
/// choose as without rules (the prior, or their own backtests).
pub const MIN_RULE_SERIES: usize = 10;

/// Which series share a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Group {
    /// Intermittent or lumpy demand.
    pub intermittent: bool,
    /// Fewer backtest origins than configured (or than two), or less than
    /// two seasons of history.
    pub short: bool,
}

impl Group {
    /// The group of a history of `n` buckets (from its first demand)
    /// backtested over `origins` origins.
    pub fn of(intermittent: bool, n: usize, origins: usize, s: &ForecastSettings) -> Group {
        let seasons = s.season_length > 1 && n < 2 * s.season_length;
        Group {
            intermittent,
            short: origins < s.origins.max(2) || seasons,
        }
    }

    /// Its name in the console and run.json.
    pub fn name(self) -> &'static str {
        match (self.intermittent, self.short) {
            (false, false) => "regular",
            (false, true) => "regular, short",
            (true, false) => "intermittent",
            (true, true) => "intermittent, short",
        }
    }
}

/// How the series of a group choose their forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Every series takes the candidate (or combination) that wins pooled
    /// over the group.
    Pooled(ModelId),
    /// Each series by its backtest shrunk toward the prior.
    Shrunk,
    /// Each series by its own backtest.
    Own,
}

impl Strategy {
    /// Its description in the console.
    pub fn describe(self) -> String {
        match self {
            Strategy::Pooled(m) => format!("pooled {m}"),
            Strategy::Shrunk => "per series, shrunk".into(),
            Strategy::Own => "per series".into(),
        }
    }
}

/// The rule of one group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRule {
    /// The combination offered to the group's series (`None`: none).
    pub combination: Option<Combination>,
    /// How they choose.
    pub strategy: Strategy,
    /// Sampled series it was learnt from.
    pub series: usize,
    /// Each strategy tried and its mean score at the latest origin, decided
    /// on the earlier ones (empty for a short group).
    pub validation: Vec<(Strategy, f64)>,
}

/// One sampled series' backtest as the rules read it.
#[derive(Debug, Clone)]
pub struct Trial {
    group: Group,
    models: Vec<ModelId>,
    /// Per candidate, its forecast per origin (origin 0 is the latest).
    runs: Vec<Vec<Vec<f64>>>,
    /// Per origin, the demand that followed.
    actual: Vec<Vec<f64>>,
    /// Per candidate, its score per origin.
    scores: Vec<Vec<f64>>,
    scale: (f64, f64),
    metric: Metric,
}

impl Trial {
    /// A trial of each candidate's forecasts per origin (`runs`, aligned
    /// with `models`) against the `actual` demand per origin.
    pub fn new(
        group: Group,
        models: Vec<ModelId>,
        runs: Vec<Vec<Vec<f64>>>,
        actual: Vec<Vec<f64>>,
        scale: (f64, f64),
        metric: Metric,
    ) -> Trial {
        let mut t = Trial {
            group,
            models,
            runs,
            actual,
            scores: Vec::new(),
            scale,
            metric,
        };
        t.scores = t
            .runs
            .iter()
            .map(|run| (0..run.len()).map(|o| t.score(&run[o], o)).collect())
            .collect();
        t
    }

    /// Its group.
    pub fn group(&self) -> Group {
        self.group
    }

    fn origins(&self) -> usize {
        self.actual.len()
    }

    /// The score of `forecast` at origin `o`.
    fn score(&self, forecast: &[f64], o: usize) -> f64 {
        let a = &self.actual[o];
        let n = a.len().max(1) as f64;
        match self.metric {
            Metric::Mase => {
                let mae = forecast
                    .iter()
                    .zip(a)
                    .map(|(f, y)| (f - y).abs())
                    .sum::<f64>()
                    / n;
                mae / self.scale.0
            }
            Metric::Rmsse => {
                let mse = forecast
                    .iter()
                    .zip(a)
                    .map(|(f, y)| (f - y).powi(2))
                    .sum::<f64>()
                    / n;
                (mse / self.scale.1).sqrt()
            }
        }
    }

    /// Scores per origin of a model or of `combination` (by its identity);
    /// `None` when the series has no such forecast.
    fn scores_of(&self, model: ModelId, combination: Option<&Combination>) -> Option<Vec<f64>> {
        if let Some(i) = self.models.iter().position(|m| *m == model) {
            return Some(self.scores[i].clone());
        }
        let c = combination.filter(|c| c.id() == model)?;
        let members: Vec<&Vec<Vec<f64>>> = c
            .members
            .iter()
            .map(|m| {
                self.models
                    .iter()
                    .position(|x| x == m)
                    .map(|i| &self.runs[i])
            })
            .collect::<Option<_>>()?;
        (0..self.origins())
            .map(|o| {
                let f = c.join(&members.iter().map(|r| &r[o]).collect::<Vec<_>>())?;
                Some(self.score(&f, o))
            })
            .collect()
    }

    /// The median of its lead three candidates (the default combination).
    fn lead_three(&self) -> Option<Combination> {
        Combination::lead_three(self.models.iter().copied())
    }

    /// The mean of `scores` over origins `from..` (`None` when it has none).
    fn mean_from(scores: &[f64], from: usize) -> Option<f64> {
        let s = scores.get(from..).filter(|s| !s.is_empty())?;
        Some(s.iter().sum::<f64>() / s.len() as f64)
    }

    /// The worst mean score of the series' candidates over origins `from..`:
    /// what a model the series cannot fit scores there.
    fn worst_from(&self, from: usize) -> f64 {
        self.scores
            .iter()
            .filter_map(|s| Trial::mean_from(s, from))
            .fold(0.0, f64::max)
    }

    /// The mean score over origins `from..` of a model or combination.
    fn mean_of(&self, model: ModelId, combination: Option<&Combination>, from: usize) -> f64 {
        self.scores_of(model, combination)
            .and_then(|s| Trial::mean_from(&s, from))
            .unwrap_or_else(|| self.worst_from(from))
    }
}

/// Per trial with origins past `from`, the mean score over origins `from..`
/// of a model or of `combination` (a model or combination the series cannot
/// forecast scores as its worst candidate).
fn per_trial(
    trials: &[&Trial],
    model: ModelId,
    combination: Option<&Combination>,
    from: usize,
) -> Vec<f64> {
    trials
        .iter()
        .filter(|t| t.origins() > from)
        .map(|t| {
            let v = t.mean_of(model, combination, from);
            if v.is_finite() { v } else { t.worst_from(from) }
        })
        .collect()
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        f64::INFINITY
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// The least share of the mean score at the latest origin a rule must gain
/// over the choice without rules: smaller gains did not carry over to the
/// replayed policy (BENCHMARKS.md, "The held-out battery").
pub const MIN_GAIN: f64 = 0.03;

/// A paired difference counts when its mean is this many standard errors
/// below zero (one-sided 5 %).
const SIGNIFICANT: f64 = 1.645;

/// True when `a` scores lower than `b` on the mean and series by series by
/// more than noise: the paired log ratio of the scores is [`SIGNIFICANT`]
/// standard errors below zero. The log ratio weighs each series alike (a
/// mean of scaled errors is led by the few series with tiny scales).
fn clearly_better(a: &[f64], b: &[f64]) -> bool {
    if a.len() < 2 || mean(a) >= mean(b) {
        return false;
    }
    let d: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x.max(0.0) + LOG_FLOOR).ln() - (y.max(0.0) + LOG_FLOOR).ln())
        .collect();
    let n = d.len() as f64;
    let m = d.iter().sum::<f64>() / n;
    let sd = (d.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    if sd == 0.0 {
        return m < 0.0;
    }
    m / (sd / n.sqrt()) < -SIGNIFICANT
}

/// Added to scores before their log ratio: two perfect scores tie.
const LOG_FLOOR: f64 = 0.01;

/// What a group's trials decide over origins `from..`: the combination
/// offered (`None` when none wins pooled over the best single candidate)
/// and the pooled winner.
struct Decision {
    combination: Option<Combination>,
    winner: ModelId,
}

/// One option of a group: a candidate or a combination, and its score per trial.
struct Choice {
    model: ModelId,
    combination: Option<Combination>,
    scores: Vec<f64>,
}

/// The combinations offered to a group: the median of the lead three
/// (the default), the mean of the two best and the median and mean of the
/// three best by pooled score.
fn combinations_of(trials: &[&Trial], ranked: &[ModelId]) -> Vec<Combination> {
    let mut offers: Vec<Combination> = Vec::new();
    let mut offer = |members: &[ModelId], combine: Combine| {
        let c = Combination {
            members: members.to_vec(),
            combine,
        };
        if members.len() >= 2 && !offers.contains(&c) {
            offers.push(c);
        }
    };
    if let Some(lead) = trials.first().and_then(|t| t.lead_three()) {
        offer(&lead.members, Combine::Median);
    }
    offer(&ranked[..ranked.len().min(2)], Combine::Mean);
    offer(&ranked[..ranked.len().min(3)], Combine::Median);
    offer(&ranked[..ranked.len().min(3)], Combine::Mean);
    offers
}

/// The group's decision over origins `from..`, each step away from the
/// default only on clear evidence (lower scores series by series, not a
/// mean led by a few series):
///
/// * the default is the median of the lead three (the first candidate
///   under `best`): robust, and what a series takes without rules;
/// * the combination offered is the best by mean score when it beats the
///   default clearly, else the default's; none when the best single
///   candidate beats it clearly (and always under `best`);
/// * the pooled winner is the best option by mean score when it beats the
///   default clearly, else the default.
fn decide(trials: &[&Trial], from: usize, selection: Selection) -> Option<Decision> {
    let mut models: Vec<ModelId> = Vec::new();
    for t in trials {
        for m in &t.models {
            if !models.contains(m) {
                models.push(*m);
            }
        }
    }
    let singles: Vec<Choice> = models
        .iter()
        .map(|&m| Choice {
            model: m,
            combination: None,
            scores: per_trial(trials, m, None, from),
        })
        .collect();
    let by_mean = |a: &&Choice, b: &&Choice| mean(&a.scores).total_cmp(&mean(&b.scores));
    let best_single = singles.iter().min_by(by_mean)?;
    let mut ranked: Vec<&Choice> = singles.iter().collect();
    ranked.sort_by(by_mean);
    let top: Vec<ModelId> = ranked.iter().map(|o| o.model).collect();
    let combinations: Vec<Choice> = if selection == Selection::Best {
        Vec::new()
    } else {
        combinations_of(trials, &top)
            .into_iter()
            .map(|c| Choice {
                model: c.id(),
                scores: per_trial(trials, c.id(), Some(&c), from),
                combination: Some(c),
            })
            .collect()
    };
    // The lead three's median is offered first when there is one.
    let lead = combinations
        .first()
        .filter(|o| o.combination.as_ref().is_some_and(|c| c.members.len() == 3));
    let default = lead.unwrap_or(&singles[0]);
    let step = |best: &Choice, base: &Choice| -> bool {
        best.combination != base.combination || best.model != base.model
    };
    let combination = combinations
        .iter()
        .min_by(by_mean)
        .map(|best| match lead {
            Some(l) if step(best, l) && !clearly_better(&best.scores, &l.scores) => l,
            _ => best,
        })
        .filter(|c| {
            selection == Selection::Combination || !clearly_better(&best_single.scores, &c.scores)
        });
    if selection == Selection::Combination {
        let winner = combination.map_or(singles[0].model, |c| c.model);
        return Some(Decision {
            combination: combination.and_then(|c| c.combination.clone()),
            winner,
        });
    }
    let best = [Some(best_single), combination]
        .into_iter()
        .flatten()
        .min_by(by_mean)?;
    let winner = if step(best, default) && clearly_better(&best.scores, &default.scores) {
        best.model
    } else {
        default.model
    };
    Some(Decision {
        combination: combination.and_then(|c| c.combination.clone()),
        winner,
    })
}

/// A backtest standing for a mean score (the rules compare scores only).
fn standing(model: ModelId, score: f64, origins: usize) -> Backtest {
    Backtest {
        model,
        origins,
        horizon: 0,
        mae: score,
        rmse: score,
        mase: score,
        rmsse: score,
        bias: 0.0,
    }
}

/// The candidate a series would choose by `strategy` over origins `from..`,
/// and its score at origin 0.
fn validate_one(
    t: &Trial,
    c: Option<&Combination>,
    strategy: Strategy,
    prior: Option<&SelectionPrior>,
    s: &ForecastSettings,
) -> f64 {
    let mut backtests: Vec<Backtest> = t
        .models
        .iter()
        .zip(&t.scores)
        .filter_map(|(&m, sc)| Some(standing(m, Trial::mean_from(sc, 1)?, t.origins() - 1)))
        .collect();
    let combined = c.and_then(|c| Some((c.id(), t.scores_of(c.id(), Some(c))?)));
    if let Some(v) = combined.and_then(|(id, sc)| Some((id, Trial::mean_from(&sc, 1)?))) {
        backtests.push(standing(v.0, v.1, t.origins() - 1));
    }
    let chosen = match strategy {
        Strategy::Pooled(m) => Some(m),
        Strategy::Shrunk => prior
            .and_then(|p| p.choose(&backtests, t.group.intermittent, s))
            .or_else(|| choose(&backtests, s))
            .map(|i| backtests[i].model),
        Strategy::Own => choose(&backtests, s).map(|i| backtests[i].model),
    };
    let lead = t.lead_three();
    let score_0 = chosen
        .and_then(|m| t.scores_of(m, c).or_else(|| t.scores_of(m, lead.as_ref())))
        .and_then(|sc| sc.first().copied());
    // A choice the series cannot forecast scores as its worst candidate.
    score_0.unwrap_or_else(|| {
        t.scores
            .iter()
            .filter_map(|s| s.first().copied())
            .fold(0.0, f64::max)
    })
}

/// Selection rules across series: the shrinkage prior and one rule per group.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SelectionRules {
    /// The shrinkage prior (empty when the sample was too small).
    pub prior: SelectionPrior,
    /// The rule of each group with enough sampled series.
    pub groups: BTreeMap<Group, GroupRule>,
}

impl SelectionRules {
    /// The rules of every group with enough sampled series, beside the
    /// shrinkage `prior` (estimated on the sample with each series offered
    /// the median of its lead three, as without rules).
    pub fn estimate(
        prior: SelectionPrior,
        trials: &[Trial],
        s: &ForecastSettings,
    ) -> SelectionRules {
        let p = (!prior.is_empty()).then_some(&prior);
        let groups = by_group(trials)
            .into_iter()
            .filter_map(|(g, ts)| {
                let full = decide(&ts, 0, s.selection)?;
                let (strategy, combination, validation) = if s.selection == Selection::Combination {
                    (
                        Strategy::Pooled(full.winner),
                        full.combination.clone(),
                        Vec::new(),
                    )
                } else {
                    validate(&ts, p, s, &full, !g.short)
                };
                // A group that takes the default combination is offered it.
                let combination = match strategy {
                    Strategy::Pooled(m)
                        if m.is_combination()
                            && combination.as_ref().map(|c| c.id()) != Some(m) =>
                    {
                        ts[0].lead_three()
                    }
                    _ => combination,
                };
                Some((
                    g,
                    GroupRule {
                        combination,
                        strategy,
                        series: ts.len(),
                        validation,
                    },
                ))
            })
            .collect();
        SelectionRules { prior, groups }
    }

    /// The combination a series of `group` is offered: `Some(None)` for none;
    /// `None` when the group has no rule.
    pub fn combination(&self, group: Group) -> Option<Option<&Combination>> {
        self.groups.get(&group).map(|r| r.combination.as_ref())
    }

    /// The chosen backtest (index) of a series of `group`, or `None` when
    /// its own raw scores must choose.
    pub fn choose(
        &self,
        backtests: &[Backtest],
        group: Group,
        s: &ForecastSettings,
    ) -> Option<usize> {
        let prior = (!self.prior.is_empty()).then_some(&self.prior);
        let shrunk = || prior.and_then(|p| p.choose(backtests, group.intermittent, s));
        match self.groups.get(&group).map(|r| r.strategy) {
            Some(Strategy::Pooled(m)) => {
                backtests.iter().position(|b| b.model == m).or_else(shrunk)
            }
            Some(Strategy::Own) => None,
            Some(Strategy::Shrunk) | None => shrunk(),
        }
    }

    /// The pooled winner of `group` when it takes one: for a series too
    /// short to backtest.
    pub fn pooled_winner(&self, group: Group) -> Option<ModelId> {
        match self.groups.get(&group)?.strategy {
            Strategy::Pooled(m) => Some(m),
            _ => None,
        }
    }

    /// One line per group for the console: its strategy, combination and
    /// the validation behind them.
    pub fn describe(&self) -> Vec<String> {
        self.groups
            .iter()
            .map(|(g, r)| {
                let combination = r.combination.as_ref().map_or("none".to_string(), |c| {
                    let m: Vec<&str> = c.members.iter().map(|m| m.name()).collect();
                    format!("{}({})", c.id(), m.join("+"))
                });
                let tried: Vec<String> = r
                    .validation
                    .iter()
                    .map(|(s, v)| format!("{} {v:.3}", s.describe()))
                    .collect();
                let tried = if tried.is_empty() {
                    String::new()
                } else {
                    format!("; latest origin: {}", tried.join(", "))
                };
                format!(
                    "{} ({} series): {}, combination {combination}{tried}",
                    g.name(),
                    r.series,
                    r.strategy.describe()
                )
            })
            .collect()
    }
}

/// The trials of each group with at least [`MIN_RULE_SERIES`] of them.
fn by_group(trials: &[Trial]) -> BTreeMap<Group, Vec<&Trial>> {
    let mut groups: BTreeMap<Group, Vec<&Trial>> = BTreeMap::new();
    for t in trials.iter().filter(|t| t.origins() > 0) {
        groups.entry(t.group).or_default().push(t);
    }
    groups.retain(|_, ts| ts.len() >= MIN_RULE_SERIES);
    groups
}

/// The rule of a group whose series have two or more origins, against the
/// choice without rules — each series by its backtest shrunk toward the
/// prior, offered the median of its lead three. Each option decides on
/// origins `1..` and is scored at origin 0: the group's pooled winner and,
/// for a full group, the per-series choices offered the group's
/// combination. An option replaces the choice without rules only when it
/// scores clearly better (lower mean, and better series by series); it then
/// takes what is decided on every origin (`full`).
fn validate(
    trials: &[&Trial],
    prior: Option<&SelectionPrior>,
    s: &ForecastSettings,
    full: &Decision,
    per_series: bool,
) -> (Strategy, Option<Combination>, Vec<(Strategy, f64)>) {
    let trials: Vec<&Trial> = trials.iter().copied().filter(|t| t.origins() > 1).collect();
    let lead = trials
        .first()
        .and_then(|t| t.lead_three())
        .filter(|_| s.selection != Selection::Best);
    let without = (Strategy::Shrunk, lead.clone());
    let Some(d) = decide(&trials, 1, s.selection).filter(|_| trials.len() >= MIN_RULE_SERIES)
    else {
        return (without.0, without.1, Vec::new());
    };
    let mut options = vec![
        without.clone(),
        (Strategy::Pooled(d.winner), d.combination.clone()),
    ];
    if per_series && d.combination != lead {
        options.extend([
            (Strategy::Shrunk, d.combination.clone()),
            (Strategy::Own, d.combination.clone()),
        ]);
    }
    let tried: Vec<(Strategy, Vec<f64>)> = options
        .iter()
        .map(|(st, c)| {
            let v = trials
                .iter()
                .map(|t| validate_one(t, c.as_ref(), *st, prior, s))
                .collect();
            (*st, v)
        })
        .collect();
    let base = &tried[0].1;
    let worth = (1.0 - MIN_GAIN) * mean(base);
    let best = tried[1..]
        .iter()
        .filter(|(_, v)| clearly_better(v, base) && mean(v) <= worth)
        .min_by(|a, b| mean(&a.1).total_cmp(&mean(&b.1)));
    let summary = tried.iter().map(|(st, v)| (*st, mean(v))).collect();
    match best {
        None => (without.0, without.1, summary),
        Some((Strategy::Pooled(_), _)) => (
            Strategy::Pooled(full.winner),
            full.combination.clone(),
            summary,
        ),
        Some((st, _)) => (*st, full.combination.clone(), summary),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: ModelId = ModelId::CrostonSba;
    const B: ModelId = ModelId::Tsb;

    /// A series whose demand is 10 at every step of three origins; A
    /// forecasts `10 + a` and B `10 + b`, per origin.
    fn trial(a: [f64; 3], b: [f64; 3]) -> Trial {
        let run = |e: [f64; 3]| e.iter().map(|x| vec![10.0 + x; 2]).collect::<Vec<_>>();
        Trial::new(
            Group {
                intermittent: true,
                short: false,
            },
            vec![A, B],
            vec![run(a), run(b)],
            vec![vec![10.0; 2]; 3],
            (1.0, 1.0),
            Metric::Mase,
        )
    }

    fn settings() -> ForecastSettings {
        ForecastSettings {
            selection: Selection::Best,
            ..ForecastSettings::default()
        }
    }

    fn rule(trials: &[Trial]) -> GroupRule {
        let rules = SelectionRules::estimate(SelectionPrior::default(), trials, &settings());
        rules.groups.values().next().expect("a rule").clone()
    }

    /// 40 series on which B wins pooled while each series' own earlier
    /// origins mislead half of them: on the even ones A looked better
    /// before the latest origin, where it is worse.
    fn misled() -> Vec<Trial> {
        (0..40)
            .map(|i| {
                if i % 2 == 0 {
                    trial([2.0, 1.0, 1.0], [1.0, 1.5, 1.5])
                } else {
                    trial([2.0, 3.0, 3.0], [1.0; 3])
                }
            })
            .collect()
    }

    #[test]
    fn a_pooled_winner_replaces_the_choice_without_rules_only_when_it_does_better() {
        assert_eq!(rule(&misled()).strategy, Strategy::Pooled(B));
        // B better everywhere: each series finds it alone; no rule needed.
        let plain: Vec<Trial> = (0..40)
            .map(|i| {
                let a = 2.0 + (i % 3) as f64;
                trial([a; 3], [a - 1.0; 3])
            })
            .collect();
        assert_eq!(rule(&plain).strategy, Strategy::Shrunk);
    }

    #[test]
    fn a_lower_mean_led_by_one_series_does_not_displace_the_default() {
        // B is a little worse on 39 series and far better on one: its mean
        // is lower, but not series by series.
        let mut trials: Vec<Trial> = (0..39).map(|_| trial([2.0; 3], [2.2; 3])).collect();
        trials.push(trial([50.0; 3], [0.0; 3]));
        let b_mean = trials.iter().map(|t| t.mean_of(B, None, 0)).sum::<f64>();
        let a_mean = trials.iter().map(|t| t.mean_of(A, None, 0)).sum::<f64>();
        assert!(b_mean < a_mean);
        let refs: Vec<&Trial> = trials.iter().collect();
        let d = decide(&refs, 0, Selection::Best).expect("a decision");
        assert_eq!(d.winner, A);
    }

    #[test]
    fn too_few_series_make_no_rule_and_a_pooled_series_takes_the_winner() {
        let few: Vec<Trial> = misled().into_iter().take(MIN_RULE_SERIES - 1).collect();
        let rules = SelectionRules::estimate(SelectionPrior::default(), &few, &settings());
        assert!(rules.groups.is_empty());

        let many = misled();
        let rules = SelectionRules::estimate(SelectionPrior::default(), &many, &settings());
        let group = many[0].group();
        let standing = |m, v| standing(m, v, 3);
        // The series' own backtest prefers A; the group's winner is B.
        let backtests = [standing(A, 1.0), standing(B, 2.0)];
        assert_eq!(rules.choose(&backtests, group, &settings()), Some(1));
        assert_eq!(rules.pooled_winner(group), Some(B));
    }

    #[test]
    fn the_combination_is_offered_only_when_it_wins_pooled() {
        // A over-forecasts and B under-forecasts by the same amount: their
        // mean is exact, and it is the group's combination.
        let trials: Vec<Trial> = (0..40)
            .map(|i| {
                let e = 1.0 + (i % 4) as f64;
                trial([e; 3], [-e; 3])
            })
            .collect();
        let offered = |trials: &[Trial]| {
            let refs: Vec<&Trial> = trials.iter().collect();
            decide(&refs, 0, Selection::BestWithCombination)
                .expect("a decision")
                .combination
        };
        assert_eq!(
            offered(&trials).map(|c| (c.combine, c.members.len())),
            Some((Combine::Mean, 2))
        );
        // Both over-forecast: no mean of them beats the better one.
        let trials: Vec<Trial> = (0..40).map(|_| trial([1.0; 3], [3.0; 3])).collect();
        assert_eq!(offered(&trials), None);
    }
}
