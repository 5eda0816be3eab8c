//! Preparing a history for fitting: where it starts (leading zeros kept or
//! trimmed), outliers clipped in a copy (and reported), discontinued items
//! recognised.

use crate::config::LeadingZeros;

/// Index of the first non-zero value (the series' start), or `len` when all are zero.
pub fn first_demand(y: &[f64]) -> usize {
    y.iter().position(|&v| v > 0.0).unwrap_or(y.len())
}

/// The run of buckets without demand at the end of a history, judged
/// against the item's own rhythm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gap {
    /// Trailing buckets without demand.
    pub buckets: usize,
    /// Share of buckets with demand from the first demand to the gap.
    pub rate: f64,
    /// Chance of a run at least this long at the item's own occurrence rate
    /// (Beta-binomial predictive with a Jeffreys prior, so a rate read off a
    /// few buckets counts as uncertain); when earlier years had the same
    /// weeks, also at the rate of those weeks, and the larger of the two:
    /// a seasonal item quiet in its off season is not improbable.
    pub probability: f64,
}

/// ln B(a, b).
fn ln_beta(a: f64, b: f64) -> f64 {
    libm::lgamma(a) + libm::lgamma(b) - libm::lgamma(a + b)
}

/// Predictive chance of `gap` more buckets without demand after `hits` of
/// `trials` buckets had demand.
fn gap_chance(hits: usize, trials: usize, gap: usize) -> f64 {
    let a = hits as f64 + 0.5;
    let b = (trials - hits) as f64 + 0.5;
    (ln_beta(a, b + gap as f64) - ln_beta(a, b))
        .exp()
        .clamp(0.0, 1.0)
}

/// Chance below which the zeros before an item's first demand mean it was
/// not sold yet (a launch) rather than that it sold nothing by chance.
pub const LAUNCH_PROBABILITY: f64 = 0.01;

/// Where the history of `y` starts under `mode`; for
/// [`LeadingZeros::Launch`]: at its first demand when the zeros before it are improbable at the item's rate since then (their chance
/// below [`LAUNCH_PROBABILITY`]: the item was launched then), else at its
/// first bucket — an intermittent item's first demand is no launch, and
/// starting at a demand would overstate its rate. `y.len()` without demand.
pub fn history_start(y: &[f64], mode: LeadingZeros) -> usize {
    let Some(first) = y.iter().position(|&v| v > 0.0) else {
        return y.len();
    };
    match mode {
        _ if first == 0 => return 0,
        LeadingZeros::Keep => return 0,
        LeadingZeros::Trim => return first,
        LeadingZeros::Launch => {}
    }
    let active = &y[first..];
    let hits = active.iter().filter(|&&v| v > 0.0).count();
    if gap_chance(hits, active.len(), first) < LAUNCH_PROBABILITY {
        first
    } else {
        0
    }
}

/// The trailing gap of `y` (`None` without any demand); `year`: buckets per
/// year, for the same weeks of earlier years.
pub fn trailing_gap(y: &[f64], year: usize) -> Option<Gap> {
    let first = y.iter().position(|&v| v > 0.0)?;
    let last = y.iter().rposition(|&v| v > 0.0)?;
    let gap = y.len() - 1 - last;
    let active = &y[first..=last];
    let hits = active.iter().filter(|&&v| v > 0.0).count();
    let mut probability = gap_chance(hits, active.len(), gap);
    // The same buckets one, two, … years earlier, where they lie wholly
    // within the active history.
    let (mut season_hits, mut season_trials) = (0, 0);
    let mut back = year.max(1);
    while year > 0 && back >= gap && y.len() >= gap + back + first {
        let start = y.len() - gap - back;
        if start < first {
            break;
        }
        let window = &y[start..y.len() - back];
        season_hits += window.iter().filter(|&&v| v > 0.0).count();
        season_trials += window.len();
        back += year;
    }
    if season_trials > 0 {
        probability = probability.max(gap_chance(season_hits, season_trials, gap));
    }
    Some(Gap {
        buckets: gap,
        rate: hits as f64 / active.len() as f64,
        probability,
    })
}

/// True when the history had demand but none in its last `quiet` buckets
/// or more (`quiet` = 0: never), and a gap that long is improbable — its
/// chance below `threshold` — at the item's own rate (see [`Gap`]).
pub fn is_discontinued(y: &[f64], quiet: usize, threshold: f64, year: usize) -> bool {
    quiet > 0
        && trailing_gap(y, year).is_some_and(|g| g.buckets >= quiet && g.probability < threshold)
}

/// Median of a slice (NaN-free input); 0 for an empty slice.
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Clip outliers: a value further than `k` robust standard deviations
/// (1.4826 · MAD of the residuals) from the centred running median of
/// `window` buckets is pulled back to that limit (never below zero).
/// With a season length `season` > 1 and a value one season before or after,
/// a value is only an outlier if it also lies that far from those (so recurring
/// seasonal peaks stay). Returns the cleaned copy and the indices changed.
/// `k <= 0` disables it, and so does a zero MAD (intermittent series, where
/// every demand would stand out).
pub fn clip_outliers(y: &[f64], k: f64, window: usize, season: usize) -> (Vec<f64>, Vec<usize>) {
    let n = y.len();
    let mut cleaned = y.to_vec();
    if k <= 0.0 || n < window.max(5) {
        return (cleaned, Vec::new());
    }
    let half = window / 2;
    let mut buf = Vec::with_capacity(window + 1);
    let centre: Vec<f64> = (0..n)
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(n);
            buf.clear();
            buf.extend_from_slice(&y[lo..hi]);
            median(&mut buf)
        })
        .collect();
    let mut abs_resid: Vec<f64> = y.iter().zip(&centre).map(|(v, c)| (v - c).abs()).collect();
    let scale = 1.4826 * median(&mut abs_resid);
    if scale <= 0.0 {
        return (cleaned, Vec::new());
    }
    let mut changed = Vec::new();
    for i in 0..n {
        let limit = k * scale;
        let r = y[i] - centre[i];
        let seasonal_twin = season > 1
            && [i.checked_sub(season), Some(i + season).filter(|&j| j < n)]
                .into_iter()
                .flatten()
                .any(|j| (y[i] - y[j]).abs() <= limit);
        if r.abs() > limit && !seasonal_twin {
            cleaned[i] = (centre[i] + limit * r.signum()).max(0.0);
            changed.push(i);
        }
    }
    (cleaned, changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_starts_at_a_launch_but_keeps_an_intermittent_items_quiet_start() {
        // 20 quiet weeks, then demand every week: a launch.
        let mut launched = vec![0.0; 20];
        launched.extend(vec![4.0; 30]);
        assert_eq!(history_start(&launched, LeadingZeros::Launch), 20);
        assert_eq!(history_start(&launched, LeadingZeros::Keep), 0);
        // 3 quiet weeks before an item that sells one week in four: no launch.
        let sparse: Vec<f64> = (0..40)
            .map(|i| if i % 4 == 3 { 2.0 } else { 0.0 })
            .collect();
        assert_eq!(history_start(&sparse, LeadingZeros::Launch), 0);
        assert_eq!(history_start(&sparse, LeadingZeros::Trim), 3);
        assert_eq!(history_start(&[0.0; 5], LeadingZeros::Keep), 5);
    }

    #[test]
    fn trimming_and_discontinuation() {
        assert_eq!(first_demand(&[0.0, 0.0, 3.0, 0.0]), 2);
        assert_eq!(first_demand(&[0.0, 0.0]), 2);
        // Every bucket sold for two years, then nothing for 39 (9 months).
        let mut weekly = vec![5.0; 104];
        weekly.extend(vec![0.0; 39]);
        assert!(is_discontinued(&weekly, 13, 0.01, 52));
        // Not before the minimum quiet time, nor with a sale at the end.
        assert!(!is_discontinued(&weekly[..110], 13, 0.01, 52));
        let mut sold = weekly.clone();
        sold.push(1.0);
        assert!(!is_discontinued(&sold, 13, 0.01, 52));
        assert!(!is_discontinued(&[0.0, 0.0, 0.0], 2, 0.01, 52));
        assert!(!is_discontinued(&weekly, 0, 0.01, 52));
        // A part sold once every 5 months, now 6 months quiet: a normal gap.
        let mut part: Vec<f64> = (0..40)
            .map(|i| if i % 5 == 0 { 1.0 } else { 0.0 })
            .collect();
        part.truncate(36);
        part.extend(vec![0.0; 6]);
        let gap = trailing_gap(&part, 12).unwrap();
        assert_eq!(gap.buckets, 6);
        assert!(gap.probability > 0.05, "{gap:?}");
        assert!(!is_discontinued(&part, 3, 0.01, 12));
        // A summer item quiet in winter, as in every earlier winter.
        let season: Vec<f64> = (0..52 * 3 + 45)
            .map(|i| if i % 52 < 26 { 10.0 } else { 0.0 })
            .collect();
        assert!(!is_discontinued(&season, 13, 0.01, 52));
        // The same item quiet through what used to be its summer.
        let mut stopped: Vec<f64> = (0..52 * 3)
            .map(|i| if i % 52 < 26 { 10.0 } else { 0.0 })
            .collect();
        stopped.extend(vec![0.0; 20]);
        assert!(is_discontinued(&stopped, 13, 0.01, 52));
    }

    #[test]
    fn one_spike_is_clipped_and_reported() {
        let mut y: Vec<f64> = (0..30).map(|i| 10.0 + (i % 3) as f64).collect();
        y[12] = 200.0;
        let (c, idx) = clip_outliers(&y, 4.0, 9, 1);
        assert_eq!(idx, vec![12]);
        assert!(c[12] < 20.0 && c[12] > 10.0, "{}", c[12]);
        assert_eq!(c[11], y[11]);
    }

    #[test]
    fn recurring_seasonal_peaks_are_kept() {
        let y: Vec<f64> = (0..36)
            .map(|i| {
                if i % 12 == 11 {
                    100.0
                } else {
                    10.0 + ((i * 7) % 5) as f64
                }
            })
            .collect();
        let (_, idx) = clip_outliers(&y, 4.0, 9, 1);
        assert_eq!(
            idx,
            vec![11, 23, 35],
            "without the season, the peaks look like outliers"
        );
        let (c, idx) = clip_outliers(&y, 4.0, 9, 12);
        assert!(idx.is_empty());
        assert_eq!(c, y);
    }

    #[test]
    fn intermittent_series_are_left_alone() {
        let y = [0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 7.0, 0.0, 0.0, 0.0, 1.0, 0.0];
        let (c, idx) = clip_outliers(&y, 3.0, 9, 1);
        assert!(idx.is_empty());
        assert_eq!(c, y);
    }
}
