//! Recoverable oddities met during a run: counted by kind and listed in
//! `warnings.csv`, never silently dropped.

use std::collections::BTreeMap;

/// Most warnings listed one by one; beyond it they are only counted.
pub const MAX_LISTED: usize = 10_000;

/// One oddity that the run survived.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    /// Short machine-readable kind, e.g. `duplicate_inventory`.
    pub kind: &'static str,
    /// Input file concerned, or empty.
    pub file: String,
    /// CSV line (or Parquet row), when one row is concerned.
    pub line: Option<u64>,
    /// SKU concerned, or empty.
    pub sku: String,
    /// Location concerned, or empty.
    pub location: String,
    /// What happened and what the run did about it.
    pub message: String,
}

/// Warnings of a run, with counts per kind.
#[derive(Debug, Clone, Default)]
pub struct Warnings {
    listed: Vec<Warning>,
    counts: BTreeMap<&'static str, u64>,
}

impl Warnings {
    /// Record one warning (listed while fewer than [`MAX_LISTED`] are).
    pub fn push(&mut self, warning: Warning) {
        *self.counts.entry(warning.kind).or_default() += 1;
        if self.listed.len() < MAX_LISTED {
            self.listed.push(warning);
        }
    }

    /// Record `n` occurrences of a kind as one listed summary line.
    pub fn summary(&mut self, kind: &'static str, file: &str, n: u64, message: String) {
        if n == 0 {
            return;
        }
        *self.counts.entry(kind).or_default() += n;
        if self.listed.len() < MAX_LISTED {
            self.listed.push(Warning {
                kind,
                file: file.to_string(),
                line: None,
                sku: String::new(),
                location: String::new(),
                message,
            });
        }
    }

    /// Append all warnings of another collection.
    pub fn extend(&mut self, other: Warnings) {
        for (kind, n) in other.counts {
            *self.counts.entry(kind).or_default() += n;
        }
        let room = MAX_LISTED.saturating_sub(self.listed.len());
        self.listed.extend(other.listed.into_iter().take(room));
    }

    /// The listed warnings, in the order they were met.
    pub fn listed(&self) -> &[Warning] {
        &self.listed
    }

    /// Occurrences per kind.
    pub fn counts(&self) -> &BTreeMap<&'static str, u64> {
        &self.counts
    }

    /// Total occurrences.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }
}
