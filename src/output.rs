//! What a run produces: every series' plan with the data it was made
//! from, the calibration, availability and timings — what the report
//! writes.

use std::path::PathBuf;
use std::time::Instant;

use crate::availability::Availability;
use crate::backorders::Desk;
use crate::demand::{HistoryFill, Panel};
use crate::forecast::{Calibration, HorizonErrorPools};
use crate::ingest::Dataset;
use crate::plan::{ClassTargets, Flag, SeriesPlan};
use crate::purchasing::plans::Purchasing;

/// Seconds spent per stage.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    /// (stage, seconds) in run order.
    pub stages: Vec<(&'static str, f64)>,
}

impl Timings {
    /// Record `stage` as the time since `since` and restart the clock.
    pub fn lap(&mut self, stage: &'static str, since: &mut Instant) {
        self.stages.push((stage, since.elapsed().as_secs_f64()));
        *since = Instant::now();
    }
}

/// The result of a run.
pub struct RunOutput {
    /// The data read, but the daily demand records: freed once the panel
    /// was built from them.
    pub dataset: Dataset,
    /// The demand panel.
    pub panel: Panel,
    /// The fill rate the daily history measured.
    pub history_fill: HistoryFill,
    /// One plan per series, in key order.
    pub plans: Vec<SeriesPlan>,
    /// Spread factors of the cross-series calibration.
    pub calibration: Calibration,
    /// Pooled standardised horizon errors the policy used (empty with
    /// `policy.lead_time_demand = "normal"`).
    pub lead_time_errors: HorizonErrorPools,
    /// Availability per series, in key order.
    pub availability: Vec<Availability>,
    /// Folder of the previous report the delays were measured against.
    pub previous_report: Option<PathBuf>,
    /// Open customer order lines with their ship dates, and available to
    /// promise (empty without `open_orders.csv`).
    pub desk: Desk,
    /// The suppliers' orders after their minimums, containers and the
    /// budget, and every change those rules made to a line.
    pub purchasing: Purchasing,
    /// The internal targets per ABC class `policy.auto_calibrate` planned
    /// with (empty when off).
    pub planned_targets: ClassTargets,
    /// Folder written.
    pub report_dir: PathBuf,
    /// Stage timings.
    pub timings: Timings,
}

impl RunOutput {
    /// Series with a recommended order.
    pub fn order_lines(&self) -> usize {
        self.plans
            .iter()
            .filter(|p| p.policy.order_qty > 0.0)
            .count()
    }

    /// Value of the recommended orders.
    pub fn order_value(&self) -> f64 {
        self.plans
            .iter()
            .map(|p| p.policy.order_qty * p.unit_cost)
            .sum()
    }

    /// Series in stock now whose stock runs out before an order placed now could arrive.
    pub fn at_risk(&self) -> usize {
        self.plans
            .iter()
            .filter(|p| p.flags.contains(&Flag::AtRisk) && p.policy.stockout_days != Some(0))
            .count()
    }

    /// Series with open customer backorders or no net stock now.
    pub fn out_of_stock(&self) -> usize {
        self.plans
            .iter()
            .filter(|p| p.policy.stockout_days == Some(0))
            .count()
    }
}
