//! Availability, for whoever answers customers: each series' status, the
//! quantity that can be promised without overselling, open backorders and
//! when stock is expected back — and, against the previous run's report,
//! the items whose back-in-stock date moved later (delays).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::calendar::date_after;
use crate::error::{Error, Result};
use crate::ingest::SeriesKey;
use crate::plan::{Flag, SeriesPlan};
use crate::policy::{self, Restock};

/// Stock status of one series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Stock on hand and not expected to run out before an order placed now arrives.
    InStock,
    /// In stock now, but expected to run out before an order placed now arrives.
    AtRisk,
    /// Nothing available now, no customer waiting.
    OutOfStock,
    /// Customers waiting: open backorders.
    Backordered,
}

impl Status {
    /// Name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Status::InStock => "in_stock",
            Status::AtRisk => "at_risk",
            Status::OutOfStock => "out_of_stock",
            Status::Backordered => "backordered",
        }
    }
}

/// Availability of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Availability {
    /// Series id.
    pub id: usize,
    /// Status now.
    pub status: Status,
    /// On hand − allocated − open backorders, never below zero.
    pub available_to_promise: f64,
    /// Open customer backorders.
    pub backordered: f64,
    /// Expected stock-out (days after as-of) if nothing is ordered, for series in stock.
    pub stockout_days: Option<i64>,
    /// Expected back-in-stock day (after as-of) and what brings it, for series out of stock.
    pub back_in_stock: Option<(i64, Restock)>,
    /// The previous run's back-in-stock date, when that run listed one.
    pub previous_back_in_stock: Option<NaiveDate>,
    /// Days the back-in-stock date moved later since the previous run (a
    /// lower bound, up to the end of the projection, when there is no date now).
    pub delay_days: Option<i64>,
}

/// The previous run's availability: its folder and back-in-stock date per series.
#[derive(Debug, Clone, Default)]
pub struct Previous {
    /// Folder of the previous report.
    pub dir: PathBuf,
    /// Back-in-stock date per (sku, location), for the series that had one.
    pub back_in_stock: BTreeMap<(String, String), NaiveDate>,
}

/// Assess every series. `previous` (from [`read_previous`]) adds the delays;
/// `as_of` dates the back-in-stock days.
pub fn assess(
    plans: &[SeriesPlan],
    keys: &[SeriesKey],
    as_of: NaiveDate,
    previous: Option<&Previous>,
) -> Vec<Availability> {
    plans
        .iter()
        .map(|p| {
            let net = p.on_hand - p.allocated - p.backordered;
            let status = if p.backordered > 0.0 {
                Status::Backordered
            } else if p.on_hand - p.allocated <= 0.0 {
                Status::OutOfStock
            } else if p.flags.contains(&Flag::AtRisk) {
                Status::AtRisk
            } else {
                Status::InStock
            };
            let out = matches!(status, Status::Backordered | Status::OutOfStock);
            let back_in_stock = if out {
                policy::back_in_stock(
                    &p.policy_input,
                    p.policy.order_qty,
                    p.policy.order_by_days.unwrap_or(0),
                )
            } else {
                None
            };
            let key = &keys[p.id];
            let previous_back_in_stock = previous.and_then(|prev| {
                prev.back_in_stock
                    .get(&(key.sku.clone(), key.location.clone()))
                    .copied()
            });
            let delay_days = match (out, previous_back_in_stock) {
                (true, Some(before)) => {
                    let now = match back_in_stock {
                        Some((d, _)) => date_after(as_of, d),
                        None => date_after(as_of, p.policy_input.projection_days as i64),
                    };
                    let days = (now - before).num_days();
                    (days > 0).then_some(days)
                }
                _ => None,
            };
            Availability {
                id: p.id,
                status,
                available_to_promise: net.max(0.0),
                backordered: p.backordered,
                stockout_days: if out { None } else { p.policy.stockout_days },
                back_in_stock,
                previous_back_in_stock,
                delay_days,
            }
        })
        .collect()
}

/// The latest earlier report under `out` that holds `file`: the folder named
/// by the latest date before `as_of` with that file.
pub fn latest_report(out: &Path, as_of: NaiveDate, file: &str) -> Option<PathBuf> {
    let entries = std::fs::read_dir(out).ok()?;
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let date = NaiveDate::parse_from_str(&name, "%Y-%m-%d").ok()?;
            (date < as_of && e.path().join(file).is_file()).then_some((date, e.path()))
        })
        .max()
        .map(|(_, dir)| dir)
}

/// Read the back-in-stock dates of the latest earlier report under `out`: the
/// folder named by the latest date before `as_of` that holds an
/// `availability.csv`. `Ok(None)` when there is none; an error names the file
/// and line of an unreadable one (the run then goes on without delays).
pub fn read_previous(out: &Path, as_of: NaiveDate) -> Result<Option<Previous>> {
    let Some(dir) = latest_report(out, as_of, "availability.csv") else {
        return Ok(None);
    };
    let file = dir.join("availability.csv");
    let mut reader = csv::Reader::from_path(&file).map_err(|e| {
        Error::Internal(format!(
            "previous report {}: cannot read: {e}",
            file.display()
        ))
    })?;
    let headers = reader
        .headers()
        .map_err(|e| Error::Internal(format!("previous report {}: {e}", file.display())))?
        .clone();
    let col = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            Error::Internal(format!(
                "previous report {}: no column {name}",
                file.display()
            ))
        })
    };
    let (sku, location, date) = (col("sku")?, col("location")?, col("back_in_stock")?);
    let mut back_in_stock = BTreeMap::new();
    for record in reader.records() {
        let record = record
            .map_err(|e| Error::Internal(format!("previous report {}: {e}", file.display())))?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let text = record.get(date).unwrap_or("");
        if text.is_empty() {
            continue;
        }
        let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
            Error::Internal(format!(
                "previous report {} line {line}: back_in_stock {text:?} is not a date",
                file.display()
            ))
        })?;
        back_in_stock.insert(
            (
                record.get(sku).unwrap_or("").to_string(),
                record.get(location).unwrap_or("").to_string(),
            ),
            day,
        );
    }
    Ok(Some(Previous { dir, back_in_stock }))
}
