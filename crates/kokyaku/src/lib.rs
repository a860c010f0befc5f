//! # kokyaku (顧客)
//!
//! Customer analytics for e-commerce, D2C and subscription businesses over order logs:
//! ingestion, per-customer summaries, RFM, CPM (顧客ポートフォリオ), repeat metrics, cohorts,
//! simulation and predictive lifetime value (buy-till-you-die models).
//!
//! The crate is pure Rust (no FFI) and builds for `wasm32-unknown-unknown`.

pub mod acquisition;
pub mod book;
pub mod campaign;
pub mod cohort;
pub mod cpm;
pub mod error;
pub mod io;
pub mod loyalty;
pub mod ltv;
pub mod model;
pub mod par;
pub mod repeat;
pub mod report;
pub mod rfm;
pub mod segment;
pub mod simulate;
pub mod span;
pub mod summary;
pub mod table;

pub use error::{Error, Location, Result};
