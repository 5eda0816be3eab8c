//! replenish: demand forecasting and replenishment planning.
//!
//! A weekly batch that reads a company's history (sales, backorders, stock on
//! hand, purchase orders, item master), reconstructs true demand (shipped +
//! backordered), forecasts every SKU-location, turns the forecast's
//! uncertainty into safety stock, reorder point and order quantity for a
//! service target, and writes a plan, an order file and charts.
//!
//! Data flows one way (no module imports one above it; `tests/architecture.rs`
//! checks): [`ingest`] → [`demand`] → [`forecast`] (its one
//! [`forecast::stage`], fed by [`forecasting`]) → [`policy`] → [`plan`] →
//! [`availability`], [`backorders`], [`exceptions`] → [`output`] → [`report`]; on top,
//! [`pipeline`] runs the weekly batch and [`simulate`] replays it, both
//! forecasting through the same stage. [`config`], [`calendar`] and
//! [`error`] are leaves.

pub mod allocation;
pub mod availability;
pub mod backorders;
pub mod calendar;
pub mod charts;
pub mod config;
pub mod demand;
pub mod demand_process;
pub mod dispersion;
pub mod error;
pub mod exceptions;
pub mod forecast;
pub mod forecasting;
pub mod holdout;
pub mod html;
pub mod ingest;
pub mod inventory_theory;
pub mod lifecycle;
pub mod output;
pub mod pipeline;
pub mod plan;
pub mod policy;
pub mod purchasing;
pub mod report;
pub mod sample;
pub mod schema;
pub mod shard;
pub mod simulate;
pub mod stats;
pub mod suppliers;
pub mod threads;
pub mod warnings;

pub use error::{Error, Result};
