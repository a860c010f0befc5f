//! Campaign results: what a mail, LINE message or coupon did.
//!
//! - [`deliveries`](read_deliveries_csv): who was sent which campaign on which channel, when,
//!   and whether they were held out, read from CSV or JSON Lines with the accounting of the
//!   order readers;
//! - [`campaign_results`]: per campaign, channel and segment, conversions in a window, CVR,
//!   revenue and net revenue per customer, and the uplift of the recipients over the holdout
//!   with Newcombe (CVR) and Welch (revenue) intervals, split new vs existing customers;
//! - [`compare_periods`]: a sale period against a reference period.
//!
//! Segments come from the deliveries' `segment` column (the segment at send time as the
//! sending tool recorded it), or from named segment rules ([`crate::segment`]) evaluated at
//! each send day with [`segments_from_rules`]. Definitions and references: `docs/campaigns.md`.

mod deliveries;
mod period;
mod results;
mod segments;
pub mod stats;

pub use deliveries::{
    Deliveries, DeliveriesRead, Delivery, DeliveryColumns, DeliveryReadOptions,
    DeliveryRejectReason, DeliveryReport, read_deliveries_csv, read_deliveries_jsonl,
    read_deliveries_path,
};
pub use period::{PeriodComparison, PeriodOptions, PeriodStats, compare_periods};
pub use results::{
    CampaignOptions, CampaignResults, CampaignRow, CustomerType, GroupResult, Methods, Uplift,
    campaign_results,
};
pub use segments::{NO_SEGMENT, segments_from_rules};
pub use stats::Interval;
