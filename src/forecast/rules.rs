//! Selection rules across series: per group of series (regular or
//! intermittent demand, full or short history) the combination to offer
//! (which members, mean or median, or none) and how a series chooses — by
//! its own backtest, by its backtest shrunk toward the prior, or by taking
//! the candidate that wins pooled over the group.
//!
//! Both are learnt on the selection prior's sample (`forecast.selection_rules`).
//! The baseline is the group's pooled winner: a short backtest is noisy,
//! and the candidate (or combination) that wins across the group's series is
//! the robust choice. Another option — each series by its backtest shrunk
//! toward the prior, offered the median of its lead three (the choice
//! without rules), or offered the group's combination, by its own scores, or
//! by the learned selection ([`super::learner`]) — replaces it only when it
//! scores better where it will be used: in each of two folds every option
//! decides on the backtest origins before the fold's origin and is scored
//! at it, and the option must have a lower mean, be better series by series
//! (a paired log-ratio test: a mean of scaled errors is led by the few
//! series with tiny scales), and gain at least [`MIN_GAIN`]. Short groups
//! (fewer origins than configured, or less than two seasons) take the
//! pooled winner unless the choice without rules beats it, and do not
//! choose per series otherwise; when most of their series have one origin
//! only, so that nothing can be validated, they take the default
//! combination (the median of the lead three; without one, the group's
//! best combination pooled on that origin): one period, shared by every
//! series, cannot rank the candidates. Other groups that cannot be
//! validated keep the choice without rules.

use std::collections::BTreeMap;

use super::ModelId;
use super::backtest::{
    Backtest, Combination, Combine, ForecastSettings, Metric, Selection, SelectionBase, choose,
    members_label,
};
use super::learner::{self, Learner, SERIES_FEATURES};
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
    /// Each series by the learned selection ([`super::learner`]): features
    /// of the series and of its backtest → expected scores → the least.
    Learned,
}

impl Strategy {
    /// Its description in the console.
    pub fn describe(self) -> String {
        match self {
            Strategy::Pooled(m) => format!("pooled {m}"),
            Strategy::Shrunk => "per series, shrunk".into(),
            Strategy::Own => "per series".into(),
            Strategy::Learned => "per series, learned".into(),
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
    /// The learner of [`Strategy::Learned`], trained with every origin.
    pub learner: Option<Learner>,
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
    /// The series' features before its latest origin (for the learner).
    features: [f64; SERIES_FEATURES],
}

impl Trial {
    /// A trial of each candidate's forecasts per origin (`runs`, aligned
    /// with `models`) against the `actual` demand per origin.
    /// `features` are the history's before the latest origin.
    pub fn new(
        group: Group,
        models: Vec<ModelId>,
        runs: Vec<Vec<Vec<f64>>>,
        actual: Vec<Vec<f64>>,
        scale: (f64, f64),
        metric: Metric,
        features: [f64; SERIES_FEATURES],
    ) -> Trial {
        let mut t = Trial {
            group,
            models,
            runs,
            actual,
            scores: Vec::new(),
            scale,
            metric,
            features,
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

    /// The series as the learner reads it: each candidate and, when the
    /// series can forecast it, combination `c`, with its scores per origin;
    /// and its features.
    fn learner_input(&self, c: Option<&Combination>) -> learner::Series {
        let mut options: Vec<(ModelId, Vec<f64>)> = self
            .models
            .iter()
            .copied()
            .zip(self.scores.iter().cloned())
            .collect();
        if let Some((c, sc)) = c.and_then(|c| Some((c.id(), self.scores_of(c.id(), Some(c))?))) {
            options.push((c, sc));
        }
        learner::Series {
            options,
            features: self.features,
        }
    }

    /// The score of `forecast` at origin `o`.
    fn score(&self, forecast: &[f64], o: usize) -> f64 {
        let a = &self.actual[o];
        let n = a.len().max(1) as f64;
        let mean_of = |loss: fn(f64) -> f64| {
            forecast
                .iter()
                .zip(a)
                .map(|(f, y)| loss(f - y))
                .sum::<f64>()
                / n
        };
        let mase = || mean_of(f64::abs) / self.scale.0;
        let rmsse = || (mean_of(|e| e * e) / self.scale.1).sqrt();
        match self.metric {
            Metric::Mase => mase(),
            Metric::Rmsse => rmsse(),
            Metric::Balanced => (mase() * rmsse()).sqrt(),
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

/// The least share of the mean validation score an option must gain over
/// the base: smaller gains did not carry over to the held-out periods or
/// the replayed policy (BENCHMARKS.md, "The held-out battery").
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
/// three best by pooled score over origins `from..`, and the greedy mean
/// ([`greedy_mean`]).
fn combinations_of(trials: &[&Trial], ranked: &[ModelId], from: usize) -> Vec<Combination> {
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
    if let Some(g) = greedy_mean(trials, ranked, from) {
        offer(&g.members, Combine::Mean);
    }
    offers
}

/// Most members of the greedy mean, repeats counted.
const GREEDY_MEMBERS: usize = 4;

/// Ensemble selection (Caruana et al., 2004) over origins `from..`: from
/// the best single candidate, add — repeats allowed, so a member taken
/// twice weighs double — the candidate whose joining most lowers the
/// pooled mean score of the members' mean, while it does so clearly
/// ([`clearly_better`]) and up to [`GREEDY_MEMBERS`]; the members are then
/// listed in `ranked`'s order. Unlike the mean of the best two, it takes a
/// member for what it adds: a candidate whose errors differ from the others'.
/// `None` when no candidate improves on the best alone.
fn greedy_mean(trials: &[&Trial], ranked: &[ModelId], from: usize) -> Option<Combination> {
    let mut members = vec![*ranked.first()?];
    let mut scores = per_trial(trials, members[0], None, from);
    while members.len() < GREEDY_MEMBERS {
        let next = ranked
            .iter()
            .map(|&m| {
                let mut with = members.clone();
                with.push(m);
                let c = Combination {
                    members: with,
                    combine: Combine::Mean,
                };
                (per_trial(trials, c.id(), Some(&c), from), c)
            })
            .min_by(|a, b| mean(&a.0).total_cmp(&mean(&b.0)));
        match next {
            Some((v, c)) if clearly_better(&v, &scores) => {
                scores = v;
                members = c.members;
            }
            _ => break,
        }
    }
    members.sort_by_key(|m| ranked.iter().position(|r| r == m));
    (members.len() >= 2).then_some(Combination {
        members,
        combine: Combine::Mean,
    })
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
        combinations_of(trials, &top, from)
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

/// The candidate a series would choose by `strategy` over origins `at + 1..`,
/// and its score at origin `at`.
fn validate_one(
    t: &Trial,
    at: usize,
    c: Option<&Combination>,
    strategy: Strategy,
    prior: Option<&SelectionPrior>,
    learner: Option<&Learner>,
    s: &ForecastSettings,
) -> f64 {
    let from = at + 1;
    let origins = t.origins().saturating_sub(from);
    let mut backtests: Vec<Backtest> = t
        .models
        .iter()
        .zip(&t.scores)
        .filter_map(|(&m, sc)| Some(standing(m, Trial::mean_from(sc, from)?, origins)))
        .collect();
    let combined = c.and_then(|c| Some((c.id(), t.scores_of(c.id(), Some(c))?)));
    if let Some(v) = combined.and_then(|(id, sc)| Some((id, Trial::mean_from(&sc, from)?))) {
        backtests.push(standing(v.0, v.1, origins));
    }
    let chosen = match strategy {
        Strategy::Pooled(m) => Some(m),
        Strategy::Shrunk => prior
            .and_then(|p| p.choose(&backtests, t.group.intermittent, s))
            .or_else(|| choose(&backtests, s))
            .map(|i| backtests[i].model),
        Strategy::Own => choose(&backtests, s).map(|i| backtests[i].model),
        Strategy::Learned => learner.and_then(|l| l.choose(&t.learner_input(c), from)),
    };
    let lead = t.lead_three();
    let score = chosen
        .and_then(|m| t.scores_of(m, c).or_else(|| t.scores_of(m, lead.as_ref())))
        .and_then(|sc| sc.get(at).copied());
    // A choice the series cannot forecast scores as its worst candidate.
    score.unwrap_or_else(|| {
        t.scores
            .iter()
            .filter_map(|s| s.get(at).copied())
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
                    let one_origin = g.short && mostly_one_origin(&ts);
                    validate(&ts, p, s, &full, !g.short, one_origin)
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
                // The learner that won learns again, from the latest origin.
                let learner = (strategy == Strategy::Learned)
                    .then(|| fit_learner(&ts, combination.as_ref(), 0))
                    .flatten();
                let strategy = match (strategy, &learner) {
                    (Strategy::Learned, None) => Strategy::Shrunk,
                    (st, _) => st,
                };
                Some((
                    g,
                    GroupRule {
                        combination,
                        strategy,
                        series: ts.len(),
                        validation,
                        learner,
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
    /// its own raw scores must choose. `trial` gives the series' backtest
    /// as the learner reads it (asked for only when its group learns).
    pub fn choose(
        &self,
        backtests: &[Backtest],
        group: Group,
        s: &ForecastSettings,
        trial: impl FnOnce() -> Option<Trial>,
    ) -> Option<usize> {
        let prior = (!self.prior.is_empty()).then_some(&self.prior);
        let shrunk = || prior.and_then(|p| p.choose(backtests, group.intermittent, s));
        let rule = self.groups.get(&group);
        match rule.map(|r| r.strategy) {
            Some(Strategy::Pooled(m)) => {
                backtests.iter().position(|b| b.model == m).or_else(shrunk)
            }
            Some(Strategy::Own) => None,
            Some(Strategy::Learned) => rule
                .and_then(|r| {
                    let input = trial()?.learner_input(r.combination.as_ref());
                    let m = r.learner.as_ref()?.choose(&input, 0)?;
                    backtests.iter().position(|b| b.model == m)
                })
                .or_else(shrunk),
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
                    format!("{}({})", c.id(), members_label(&c.members))
                });
                let tried: Vec<String> = r
                    .validation
                    .iter()
                    .map(|(s, v)| format!("{} {v:.3}", s.describe()))
                    .collect();
                let tried = if tried.is_empty() {
                    String::new()
                } else {
                    format!("; validated: {}", tried.join(", "))
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

/// Whether most of a group's sampled series have one backtest origin only
/// (their own backtests are then one period's scores, too).
fn mostly_one_origin(trials: &[&Trial]) -> bool {
    2 * trials.iter().filter(|t| t.origins() <= 1).count() > trials.len()
}

/// How a short group decides when its series have one origin and no lead
/// three (see [`validate`]): by the best combination pooled (a mean of
/// members scores steadier from one period to the next than the single
/// candidate that happened to lead it), unless combinations are off.
fn one_origin_selection(selection: Selection) -> Selection {
    match selection {
        Selection::Best => Selection::Best,
        Selection::BestWithCombination | Selection::Combination => Selection::Combination,
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

/// The learner of `trials`, each offered combination `c`, trained with
/// origin `target` as the target and the origins after it as evidence.
fn fit_learner(trials: &[&Trial], c: Option<&Combination>, target: usize) -> Option<Learner> {
    let inputs: Vec<learner::Series> = trials.iter().map(|t| t.learner_input(c)).collect();
    Learner::fit(&inputs, target)
}

/// Validation folds at most: fold `k` decides on origins `k + 1..` and is
/// scored at origin `k`. With the pooled base two folds halve the noise of
/// one period's scores; with the per-series base one fold (the latest
/// origin) did better on the held-out battery (BENCHMARKS.md).
fn validation_folds(base: SelectionBase) -> usize {
    match base {
        SelectionBase::Pooled => 2,
        SelectionBase::PerSeries => 1,
    }
}

/// An option of the validation, made concrete in each fold by what that
/// fold's earlier origins decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tried {
    /// The choice without rules: shrunk, offered the lead three's median.
    Without,
    /// The group's pooled winner.
    Pooled,
    /// Shrunk, offered the group's combination.
    Shrunk,
    /// By its own scores, offered the group's combination.
    Own,
    /// The learned selection, offered the group's combination.
    Learned,
}

/// One validation fold: its origin, what the origins before it decide, and
/// its learner when one was fitted. It holds the series with an origin
/// before its own.
struct Fold {
    at: usize,
    decision: Decision,
    learner: Option<Learner>,
}

impl Fold {
    /// The strategy and combination `tried` stands for in this fold.
    fn option(&self, tried: Tried, lead: &Option<Combination>) -> (Strategy, Option<Combination>) {
        let c = self.decision.combination.clone();
        match tried {
            Tried::Without => (Strategy::Shrunk, lead.clone()),
            Tried::Pooled => (Strategy::Pooled(self.decision.winner), c),
            Tried::Shrunk => (Strategy::Shrunk, c),
            Tried::Own => (Strategy::Own, c),
            Tried::Learned => (Strategy::Learned, c),
        }
    }
}

/// The rule of a group whose series have two or more origins. In each of up
/// to [`validation_folds`] folds every option decides on the origins before
/// the fold's and is scored at it; a series' score is its mean over the
/// folds it has. The base is the group's pooled winner; the other options
/// are the choice without rules (each series by its backtest shrunk toward
/// the prior, offered the median of its lead three) and, for a full group,
/// the per-series choices offered the group's combination (and the learned
/// selection, when every fold could fit one). An option replaces the base
/// only when it scores clearly better (lower mean, better series by series,
/// by [`MIN_GAIN`]); it then takes what is decided on every origin
/// (`full`). `one_origin`: a short group most of whose series have one
/// origin, which nothing can validate.
fn validate(
    trials: &[&Trial],
    prior: Option<&SelectionPrior>,
    s: &ForecastSettings,
    full: &Decision,
    per_series: bool,
    one_origin: bool,
) -> (Strategy, Option<Combination>, Vec<(Strategy, f64)>) {
    let lead_of = |trials: &[&Trial]| {
        trials
            .first()
            .and_then(|t| t.lead_three())
            .filter(|_| s.selection != Selection::Best)
    };
    let every = trials;
    let trials: Vec<&Trial> = trials.iter().copied().filter(|t| t.origins() > 1).collect();
    let lead = lead_of(&trials);
    let folds: Vec<Fold> = (0..validation_folds(s.selection_base))
        .map_while(|at| {
            let ts: Vec<&Trial> = trials
                .iter()
                .copied()
                .filter(|t| t.origins() > at + 1)
                .collect();
            if ts.len() < MIN_RULE_SERIES {
                return None;
            }
            let decision = decide(&ts, at + 1, s.selection)?;
            let learner = (per_series && s.selection_learner)
                .then(|| fit_learner(&ts, decision.combination.as_ref(), at + 1))
                .flatten();
            Some(Fold {
                at,
                decision,
                learner,
            })
        })
        .collect();
    let Some(first) = folds.first() else {
        // No fold to validate on: a short group whose series mostly have
        // one origin takes what that origin decides pooled (`one_origin`:
        // one period is too noisy for a series to choose by); any other
        // group keeps the choice without rules.
        return if per_series {
            (Strategy::Shrunk, lead, Vec::new())
        } else {
            // One period cannot rank the candidates (the series share its
            // calendar): the default combination, which no period chose;
            // without one, what that origin decides pooled.
            let decided = || decide(every, 0, one_origin_selection(s.selection));
            match (one_origin, lead_of(every)) {
                (true, Some(default)) => {
                    (Strategy::Pooled(default.id()), Some(default), Vec::new())
                }
                (true, None) => match decided() {
                    Some(d) => (Strategy::Pooled(d.winner), d.combination, Vec::new()),
                    None => (Strategy::Shrunk, lead, Vec::new()),
                },
                (false, _) => (Strategy::Shrunk, lead, Vec::new()),
            }
        };
    };
    let mut kinds = vec![Tried::Pooled, Tried::Without];
    if per_series && folds.iter().any(|f| f.decision.combination != lead) {
        kinds.extend([Tried::Shrunk, Tried::Own]);
    }
    if folds.iter().all(|f| f.learner.is_some()) {
        kinds.push(Tried::Learned);
    }
    // Per option, per series, the mean over the folds it is in.
    let tried: Vec<(Tried, Vec<f64>)> = kinds
        .iter()
        .map(|&k| {
            let mut sum = vec![0.0; trials.len()];
            let mut n = vec![0usize; trials.len()];
            for f in &folds {
                let (st, c) = f.option(k, &lead);
                for (i, t) in trials.iter().enumerate() {
                    if t.origins() > f.at + 1 {
                        sum[i] +=
                            validate_one(t, f.at, c.as_ref(), st, prior, f.learner.as_ref(), s);
                        n[i] += 1;
                    }
                }
            }
            let v = sum
                .iter()
                .zip(&n)
                .map(|(s, &n)| s / n.max(1) as f64)
                .collect();
            (k, v)
        })
        .collect();
    // Another option replaces the base only on clear evidence.
    let base_kind = match s.selection_base {
        SelectionBase::Pooled => Tried::Pooled,
        SelectionBase::PerSeries => Tried::Without,
    };
    let base = tried.iter().find(|t| t.0 == base_kind).unwrap_or(&tried[0]);
    let worth = (1.0 - MIN_GAIN) * mean(&base.1);
    let best = tried
        .iter()
        .filter(|(k, v)| *k != base.0 && clearly_better(v, &base.1) && mean(v) <= worth)
        .min_by(|a, b| mean(&a.1).total_cmp(&mean(&b.1)))
        .unwrap_or(base);
    let summary = tried
        .iter()
        .map(|(k, v)| (first.option(*k, &lead).0, mean(v)))
        .collect();
    match best.0 {
        Tried::Without => (Strategy::Shrunk, lead, summary),
        Tried::Pooled => (
            Strategy::Pooled(full.winner),
            full.combination.clone(),
            summary,
        ),
        k => (first.option(k, &lead).0, full.combination.clone(), summary),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: ModelId = ModelId::CrostonSba;
    const B: ModelId = ModelId::Tsb;
    const C: ModelId = ModelId::Adida;

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
            [0.0; SERIES_FEATURES],
        )
    }

    fn settings() -> ForecastSettings {
        ForecastSettings {
            selection: Selection::Best,
            ..ForecastSettings::default()
        }
    }

    fn rule(trials: &[Trial]) -> GroupRule {
        rule_with(trials, SelectionBase::PerSeries)
    }

    fn rule_with(trials: &[Trial], base: SelectionBase) -> GroupRule {
        let s = ForecastSettings {
            selection_base: base,
            ..settings()
        };
        let rules = SelectionRules::estimate(SelectionPrior::default(), trials, &s);
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

    /// 40 series on which B is better by 1 at every origin.
    fn plain() -> Vec<Trial> {
        (0..40)
            .map(|i| {
                let a = 2.0 + (i % 3) as f64;
                trial([a; 3], [a - 1.0; 3])
            })
            .collect()
    }

    #[test]
    fn a_pooled_winner_replaces_the_choice_without_rules_only_when_it_does_better() {
        assert_eq!(rule(&misled()).strategy, Strategy::Pooled(B));
        // B better everywhere: each series finds it alone; no rule needed.
        assert_eq!(rule(&plain()).strategy, Strategy::Shrunk);
    }

    #[test]
    fn the_pooled_base_stays_unless_series_choosing_alone_do_clearly_better() {
        let pooled = |t: &[Trial]| rule_with(t, SelectionBase::Pooled);
        assert_eq!(pooled(&misled()).strategy, Strategy::Pooled(B));
        // The series would find B alone, but the pooled winner is as good.
        assert_eq!(pooled(&plain()).strategy, Strategy::Pooled(B));
        // Half the series forecast well by A and half by B, at every origin:
        // choosing alone halves the error of any one winner.
        let split: Vec<Trial> = (0..40)
            .map(|i| {
                if i % 2 == 0 {
                    trial([1.0; 3], [3.0; 3])
                } else {
                    trial([3.0; 3], [1.0; 3])
                }
            })
            .collect();
        let r = pooled(&split);
        assert_eq!(r.strategy, Strategy::Shrunk, "{:?}", r.validation);
        // Two folds were scored: the summary holds each option once.
        assert_eq!(r.validation.len(), 2, "{:?}", r.validation);
    }

    /// 200 series of four origins whose trend feature says which of A and
    /// B forecasts them well (errors 1–5 against 2–6), while their own
    /// backtests mislead some of them.
    fn told_by_a_feature() -> Vec<Trial> {
        let mut rnd = crate::forecast::uniform(11);
        (0..200)
            .map(|i| {
                let good: Vec<Vec<f64>> = (0..4).map(|_| vec![11.0 + 4.0 * rnd(); 2]).collect();
                let bad: Vec<Vec<f64>> = (0..4).map(|_| vec![12.0 + 4.0 * rnd(); 2]).collect();
                let (a, b) = if i % 2 == 0 { (good, bad) } else { (bad, good) };
                let mut features = [0.0; SERIES_FEATURES];
                features[5] = if i % 2 == 0 { 0.8 } else { -0.8 };
                Trial::new(
                    Group {
                        intermittent: false,
                        short: false,
                    },
                    vec![A, B],
                    vec![a, b],
                    vec![vec![10.0; 2]; 4],
                    (1.0, 1.0),
                    Metric::Mase,
                    features,
                )
            })
            .collect()
    }

    #[test]
    fn a_group_takes_the_learner_only_when_it_validates_and_is_on() {
        let on = ForecastSettings {
            selection_learner: true,
            origins: 4,
            ..settings()
        };
        let estimate = |s: &ForecastSettings| {
            let rules =
                SelectionRules::estimate(SelectionPrior::default(), &told_by_a_feature(), s);
            rules.groups.values().next().expect("a rule").clone()
        };
        for base in [SelectionBase::PerSeries, SelectionBase::Pooled] {
            let s = ForecastSettings {
                selection_base: base,
                ..on.clone()
            };
            let r = estimate(&s);
            assert_eq!(
                r.strategy,
                Strategy::Learned,
                "{base:?}: {:?}",
                r.validation
            );
            assert!(r.learner.is_some());
        }
        let off = ForecastSettings {
            selection_learner: false,
            ..on
        };
        let r = estimate(&off);
        assert_ne!(r.strategy, Strategy::Learned);
        assert!(r.learner.is_none());
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
        assert_eq!(
            rules.choose(&backtests, group, &settings(), || None),
            Some(1)
        );
        assert_eq!(rules.pooled_winner(group), Some(B));
    }

    #[test]
    fn a_short_group_of_one_origin_takes_its_pooled_combination_unless_most_have_more() {
        // One origin each; A over-forecasts by 1 and B under-forecasts by
        // 1 + i % 3: the series' own scores lean to A, their mean is best.
        let one: Vec<Trial> = (0..40)
            .map(|i| {
                let b = -1.0 - (i % 3) as f64;
                let mut t = trial([1.0, 0.0, 0.0], [b, 0.0, 0.0]);
                t.group.short = true;
                t.runs.iter_mut().for_each(|r| r.truncate(1));
                t.scores.iter_mut().for_each(|r| r.truncate(1));
                t.actual.truncate(1);
                t
            })
            .collect();
        let s = ForecastSettings {
            selection: Selection::BestWithCombination,
            ..settings()
        };
        let rules = SelectionRules::estimate(SelectionPrior::default(), &one, &s);
        let r = rules.groups.values().next().expect("a rule");
        let c = r.combination.as_ref().expect("a combination");
        assert_eq!(r.strategy, Strategy::Pooled(c.id()));
        assert!(c.members.contains(&A) && c.members.contains(&B), "{c:?}");
        // Without combinations, the group's best single candidate.
        let best = SelectionRules::estimate(SelectionPrior::default(), &one, &settings());
        let r = best.groups.values().next().expect("a rule");
        assert_eq!(r.strategy, Strategy::Pooled(A));
        // Too few series with two origins for a fold, but most have three:
        // each chooses by its own backtest, as without rules.
        let mut few: Vec<Trial> = (0..MIN_RULE_SERIES - 1)
            .map(|_| {
                let mut t = trial([1.0; 3], [-2.0; 3]);
                t.group.short = true;
                t
            })
            .collect();
        few.push(one[0].clone());
        let rules = SelectionRules::estimate(SelectionPrior::default(), &few, &s);
        let r = rules.groups.values().next().expect("a rule");
        assert_eq!(r.strategy, Strategy::Shrunk);
    }

    #[test]
    fn a_short_group_of_one_origin_with_a_lead_three_takes_their_median() {
        // As above with a third candidate far off: the one origin's best
        // combination is A and B's mean, but one period cannot rank them,
        // so the group takes the default, the median of its lead three.
        let one: Vec<Trial> = (0..40)
            .map(|i| {
                let run = |e: f64| vec![vec![10.0 + e; 2]];
                let mut t = Trial::new(
                    Group {
                        intermittent: true,
                        short: true,
                    },
                    vec![A, B, C],
                    vec![run(1.0), run(-1.0 - (i % 3) as f64), run(5.0)],
                    vec![vec![10.0; 2]],
                    (1.0, 1.0),
                    Metric::Mase,
                    [0.0; SERIES_FEATURES],
                );
                t.group.short = true;
                t
            })
            .collect();
        let s = ForecastSettings {
            selection: Selection::BestWithCombination,
            ..settings()
        };
        let refs: Vec<&Trial> = one.iter().collect();
        let pooled = decide(&refs, 0, Selection::Combination).expect("a decision");
        assert_ne!(pooled.combination, one[0].lead_three());
        let rules = SelectionRules::estimate(SelectionPrior::default(), &one, &s);
        let r = rules.groups.values().next().expect("a rule");
        assert_eq!(r.strategy, Strategy::Pooled(ModelId::MedianCombination));
        assert_eq!(r.combination, one[0].lead_three());
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

    #[test]
    fn the_greedy_mean_weighs_members_by_what_they_add_on_clear_evidence() {
        // A over-forecasts by e and B under by 2e: two parts of A to one of
        // B is exact.
        let trials: Vec<Trial> = (0..40)
            .map(|i| {
                let e = 1.0 + (i % 4) as f64;
                trial([e; 3], [-2.0 * e; 3])
            })
            .collect();
        let refs: Vec<&Trial> = trials.iter().collect();
        let g = greedy_mean(&refs, &[A, B], 0).expect("a mean");
        assert_eq!(g.members, vec![A, A, B]);
        assert_eq!(members_label(&g.members), "croston_sba*2+tsb");
        // A lower mean led by two series: no member joins.
        let led: Vec<Trial> = (0..40)
            .map(|i| {
                if i < 2 {
                    trial([10.0; 3], [-10.0; 3])
                } else {
                    trial([1.0; 3], [1.2; 3])
                }
            })
            .collect();
        let refs: Vec<&Trial> = led.iter().collect();
        assert_eq!(greedy_mean(&refs, &[A, B], 0), None);
    }
}
