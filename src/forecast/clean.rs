//! Preparing a history for fitting: leading zeros trimmed, outliers clipped in
//! a copy (and reported), discontinued items recognised.

/// Index of the first non-zero value (the series' start), or `len` when all are zero.
pub fn first_demand(y: &[f64]) -> usize {
    y.iter().position(|&v| v > 0.0).unwrap_or(y.len())
}

/// True when the history had demand but none in its last `quiet` buckets.
pub fn is_discontinued(y: &[f64], quiet: usize) -> bool {
    quiet > 0
        && y.len() > quiet
        && y[y.len() - quiet..].iter().all(|&v| v <= 0.0)
        && y.iter().any(|&v| v > 0.0)
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
    fn trimming_and_discontinuation() {
        assert_eq!(first_demand(&[0.0, 0.0, 3.0, 0.0]), 2);
        assert_eq!(first_demand(&[0.0, 0.0]), 2);
        assert!(is_discontinued(&[5.0, 4.0, 0.0, 0.0, 0.0], 3));
        assert!(!is_discontinued(&[5.0, 4.0, 0.0, 0.0, 1.0], 3));
        assert!(!is_discontinued(&[0.0, 0.0, 0.0], 2));
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
