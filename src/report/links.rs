//! Links from the page's tables to the series charts.

use crate::html::Cell;
use crate::output::RunOutput;

/// Links from a SKU to its series chart, for the series that have one.
pub(super) struct Links<'a> {
    /// The run the page is of.
    pub(super) run: &'a RunOutput,
    has_chart: Vec<bool>,
    /// Every series' chart file stem.
    stems: &'a [String],
}

impl<'a> Links<'a> {
    /// Links to the charts of the series `charted`, whose files are named
    /// `stems` (one per series).
    pub(super) fn new(run: &'a RunOutput, charted: &[usize], stems: &'a [String]) -> Links<'a> {
        let mut has_chart = vec![false; run.plans.len()];
        for &i in charted {
            has_chart[i] = true;
        }
        Links {
            run,
            has_chart,
            stems,
        }
    }

    /// A cell with `sku`, linking to series `id`'s chart when it has one.
    pub(super) fn sku(&self, id: usize, sku: &str) -> Cell {
        let cell = Cell::text(sku);
        if self.has_chart[id] {
            cell.link(format!("charts/{}.png", self.stems[id]))
        } else {
            cell
        }
    }
}
