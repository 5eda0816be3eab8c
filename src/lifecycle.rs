//! Where an item stands in its life: still sold, being phased out, or
//! discontinued — from the item master's `status` column, or read from a gap
//! in demand that is improbable at the item's own rhythm
//! ([`crate::forecast::clean::trailing_gap`]). A leaf: used by the ingest
//! (the item master's vocabulary) and by the plan.

use std::fmt;
use std::str::FromStr;

/// An item's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lifecycle {
    /// Sold and replenished.
    #[default]
    Active,
    /// Being run down: ordered only to cover open customer backorders.
    PhaseOut,
    /// No longer replenished: no order line.
    Discontinued,
}

impl Lifecycle {
    /// The spelling in `items.csv` and `plan.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Lifecycle::Active => "active",
            Lifecycle::PhaseOut => "phase_out",
            Lifecycle::Discontinued => "discontinued",
        }
    }
}

impl fmt::Display for Lifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Lifecycle {
    type Err = String;

    /// `active`, `phase_out` or `discontinued`, in any case, with `-` or a
    /// space for `_`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String = s
            .trim()
            .chars()
            .map(|c| match c {
                '-' | ' ' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect();
        match norm.as_str() {
            "active" => Ok(Lifecycle::Active),
            "phase_out" | "phaseout" => Ok(Lifecycle::PhaseOut),
            "discontinued" => Ok(Lifecycle::Discontinued),
            _ => Err(format!(
                "expected active, phase_out or discontinued, found {s:?}"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spellings_people_write() {
        assert_eq!("active".parse(), Ok(Lifecycle::Active));
        assert_eq!(" Phase-Out ".parse(), Ok(Lifecycle::PhaseOut));
        assert_eq!("phase out".parse(), Ok(Lifecycle::PhaseOut));
        assert_eq!("DISCONTINUED".parse(), Ok(Lifecycle::Discontinued));
        assert!(
            "obsolete"
                .parse::<Lifecycle>()
                .unwrap_err()
                .contains("obsolete")
        );
        assert_eq!(Lifecycle::PhaseOut.to_string(), "phase_out");
    }
}
