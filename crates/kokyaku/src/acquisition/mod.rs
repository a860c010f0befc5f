//! Acquisition economics: does a customer acquired through a channel, an ad code, a first
//! product or a first order kind pay back what it cost?
//!
//! - cohort LTV curves per split: cumulative net revenue per acquired customer by month since
//!   the first order (calendar months in the log's time zone, as `cohort`), over the customers
//!   whose month is fully observed;
//! - the payback month per split given a CPA (one for all, or one per split): the first month
//!   whose cumulative net revenue per customer reaches the CPA, compared exactly;
//! - a predicted LTV per split from a buy-till-you-die model fitted on that split's customers
//!   ([`crate::ltv`]: a purchase model for repeat purchases, Gamma-Gamma for their value).
//!
//! Definitions: `docs/acquisition.md`.

mod curves;

pub use curves::{
    AcquisitionOptions, AcquisitionReport, AcquisitionRow, Cpa, CurvePoint, Prediction, SplitBy,
    acquisition,
};
