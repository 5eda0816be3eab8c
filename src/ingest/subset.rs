//! The series a shard keeps whole. A shard (`run --shard K/N`) forecasts
//! its own series and backtests the selection prior's sample like every
//! other shard; the history of the rest is read, checked and left out, so
//! that a shard holds about its share of the data, not all of it.

use super::SeriesKey;

/// Stable 64-bit FNV-1a hash of (sku, location): the same on every machine,
/// platform and version, unlike the standard library's hasher.
pub fn stable_hash(sku: &str, location: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in sku
        .as_bytes()
        .iter()
        .chain(&[0x1f])
        .chain(location.as_bytes())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl SeriesKey {
    /// [`stable_hash`] of the key: what shards and the prior's sample go by.
    pub fn stable_hash(&self) -> u64 {
        stable_hash(&self.sku, &self.location)
    }
}

/// Which series' history to keep: those whose stable hash modulo `count`
/// is `index` (a shard's own), and the `sample` of smallest hash (the
/// selection prior's, `crate::forecast::prior::sample`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subset {
    /// The shard's number, from 0.
    pub index: u64,
    /// The number of shards (at least 1).
    pub count: u64,
    /// How many series of smallest hash are kept besides.
    pub sample: usize,
}

impl Subset {
    /// The `sample` series of smallest hash and no shard's own: what a
    /// replay of a sample (`simulate.max_series`) reads the history of.
    /// (Shard 1 of 1 owns no series: no hash modulo 1 is 1.)
    pub fn sample_only(sample: usize) -> Subset {
        Subset {
            index: 1,
            count: 1,
            sample,
        }
    }
}

/// A [`Subset`] made definite on the data: the sample is every series whose
/// hash is at most `bound`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeptHistory {
    subset: Subset,
    /// `None`: no sample.
    bound: Option<u64>,
}

impl KeptHistory {
    /// The subset of the series whose stable hashes are `hashes` (one per
    /// row or per series, repeats allowed). The bound is the `sample`-th
    /// smallest distinct hash, so every series of the sample is kept even
    /// where more series turn up later (a backorder-only series can only
    /// push the true bound down).
    pub fn new(subset: Subset, hashes: impl IntoIterator<Item = u64>) -> KeptHistory {
        let bound = (subset.sample > 0).then(|| {
            let mut distinct: Vec<u64> = Vec::new();
            for h in hashes {
                if distinct.last() != Some(&h) {
                    distinct.push(h);
                }
            }
            distinct.sort_unstable();
            distinct.dedup();
            distinct
                .get(subset.sample - 1)
                .copied()
                .filter(|_| distinct.len() > subset.sample)
                .unwrap_or(u64::MAX)
        });
        KeptHistory { subset, bound }
    }

    /// Whether the series of stable hash `hash` keeps its history.
    pub fn keeps(&self, hash: u64) -> bool {
        hash % self.subset.count.max(1) == self.subset.index
            || self.bound.is_some_and(|b| hash <= b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subset(sample: usize) -> Subset {
        Subset {
            index: 1,
            count: 2,
            sample,
        }
    }

    #[test]
    fn the_bound_keeps_the_smallest_distinct_hashes_and_the_own_series() {
        // Repeats (rows of one series) count once.
        let kept = KeptHistory::new(subset(2), [40, 40, 10, 30, 10, 20, 20]);
        let keeps: Vec<u64> = (0..=41).filter(|&h| kept.keeps(h)).collect();
        // 10 and 20 are the sample; the odd ones are shard 1's own.
        let mut expected: Vec<u64> = (0..=20).filter(|h| h % 2 == 0).collect();
        expected.extend((0..=41).filter(|h| h % 2 == 1));
        expected.sort_unstable();
        assert_eq!(keeps, expected);
    }

    #[test]
    fn a_sample_only_keeps_no_shards_own_series() {
        let kept = KeptHistory::new(Subset::sample_only(2), [40, 10, 30, 20]);
        let keeps: Vec<u64> = (0..=41).filter(|&h| kept.keeps(h)).collect();
        assert_eq!(keeps, (0..=20).collect::<Vec<u64>>());
    }

    #[test]
    fn a_sample_as_large_as_the_series_keeps_everything_and_none_keeps_the_own() {
        let all = KeptHistory::new(subset(3), [4, 2, 6]);
        assert!((0..100).all(|h| all.keeps(h)));
        let own = KeptHistory::new(subset(0), [4, 2, 6]);
        assert!((0..100).all(|h| own.keeps(h) == (h % 2 == 1)));
    }
}
