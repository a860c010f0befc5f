//! Loyalty programmes (会員ランク / tiers): stages with thresholds on spend, orders and points
//! over a qualification window, reviews with downgrade rules, and points with bonuses, expiry,
//! refund reversal and redemptions.
//!
//! A [`Program`] is plain JSON data ([`Program::from_json`]); [`evaluate`] runs it over an
//! [`crate::model::OrderLog`] and returns [`Stages`]: each customer's stage, points and progress
//! as of a date, and on request the history of stage changes and the month-end distribution.
//! `docs/loyalty.md` states every rule and three presets with worked examples.

#[cfg(feature = "parquet")]
mod arrow_out;
mod calendar;
mod evaluate;
mod output;
mod program;

#[cfg(feature = "parquet")]
pub use arrow_out::stages_record_batch;
pub use evaluate::{
    ChangeReason, Distribution, Invitation, LoyaltyEvents, MAX_POINTS, Redemption, StageChange,
    StageOptions, Stages, evaluate,
};
pub use output::{
    Card, HistoryRow, card, history_rows, report_value, segment_fields, stages_table,
};
pub use program::{
    Bonus, BonusWhen, Downgrade, Expiry, Match, Points, Program, Review, Shortfall, SpendBasis,
    Stage, Upgrade, Window,
};
