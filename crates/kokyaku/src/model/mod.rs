//! The data model: customers, orders, refunds, subscriptions, and the columnar [`OrderLog`].
//!
//! Record types ([`Customer`], [`Order`], [`Refund`], [`Subscription`]) are for ergonomics and
//! serde; bulk work goes through [`OrderLog`], which stores one column per field, with orders
//! grouped by customer and sorted by time.

mod day;
mod huge;
mod log;
mod money;
mod strings;

pub use day::{Day, checked_day_to_date, date_to_day, day_to_date, parse_date};
pub(crate) use huge::HugeVec;
pub use log::{
    LineTable, OrderLog, OrderLogBuilder, RefundTable, SubscriptionTable, day_in_tz, local_midnight,
};
pub(crate) use log::{group_rows, merge_currency, register_order_id};
pub(crate) use money::UnitScale;
pub(crate) use money::{FloatMoneyError, float_money};
pub use money::{MoneyColumn, minor_units};
pub use strings::{CustomerIds, Interner, OrderIds, StrColumn, natural_cmp, natural_order};
pub(crate) use strings::{
    HexForm, HexRows, IntRows, KeyRows, KeyText, OrderIdSet, RowKey, expected_customers,
    hex_natural_rows, id_hash, member_number, sorted_apart,
};

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Whether an order is a one-off purchase or a delivery of a subscription (定期).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// A single purchase.
    #[default]
    OneOff,
    /// A delivery of a subscription.
    Subscription,
}

impl OrderKind {
    /// Parses the usual spellings: `one_off`, `one-off`, `oneoff`, `single`, `normal`, `通常`;
    /// `subscription`, `sub`, `recurring`, `定期`; and a yes/no flag (an `is_subscription`
    /// column, a boolean in Parquet and frames): `true` / `yes` a subscription order,
    /// `false` / `no` a one-off.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let t = s.trim();
        let is = |names: &[&str]| names.iter().any(|n| t.eq_ignore_ascii_case(n));
        if is(&[
            "one_off", "one-off", "oneoff", "single", "normal", "onetime", "one_time", "通常", "",
            "false", "no",
        ]) {
            Some(Self::OneOff)
        } else if is(&[
            "subscription",
            "sub",
            "recurring",
            "定期",
            "teiki",
            "true",
            "yes",
        ]) {
            Some(Self::Subscription)
        } else {
            None
        }
    }
    /// The `snake_case` name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OneOff => "one_off",
            Self::Subscription => "subscription",
        }
    }
}

/// Whether an order stands or was cancelled. Cancelled orders are kept in the log (nothing is
/// dropped) but every analysis counts completed orders only.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Paid / shipped / delivered.
    #[default]
    Completed,
    /// Cancelled or voided before fulfilment.
    Cancelled,
}

impl OrderStatus {
    /// Parses the usual spellings (`completed`, `complete`, `paid`, `shipped`, `delivered`,
    /// `fulfilled`, `ok`; `cancelled`, `canceled`, `void`, `voided`, `キャンセル`).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let t = s.trim();
        let is = |names: &[&str]| names.iter().any(|n| t.eq_ignore_ascii_case(n));
        if is(&[
            "completed",
            "complete",
            "paid",
            "shipped",
            "delivered",
            "fulfilled",
            "ok",
            "success",
            "",
        ]) {
            Some(Self::Completed)
        } else if is(&[
            "cancelled",
            "canceled",
            "cancel",
            "void",
            "voided",
            "キャンセル",
        ]) {
            Some(Self::Cancelled)
        } else {
            None
        }
    }
    /// The `snake_case` name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// Status of a subscription contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    /// Deliveries continue.
    Active,
    /// Temporarily suspended (スキップ / 休止).
    Paused,
    /// Ended (解約).
    Cancelled,
}

impl SubscriptionStatus {
    /// Parses `active`, `paused`, `cancelled`/`canceled`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "active" | "continuing" | "継続" => Some(Self::Active),
            "paused" | "pause" | "suspended" | "skipped" | "休止" => Some(Self::Paused),
            "cancelled" | "canceled" | "churned" | "ended" | "解約" => Some(Self::Cancelled),
            _ => None,
        }
    }
    /// The `snake_case` name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
            Self::Cancelled => "cancelled",
        }
    }
}

/// A customer record.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Customer {
    /// Customer id as the shop spells it.
    pub id: String,
    /// Date of birth, if known.
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    /// Sign-up (member registration) time.
    #[serde(default)]
    pub signed_up_at: Option<DateTime<Utc>>,
    /// Free attributes (channel, prefecture, gender …), sorted by key.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// One line item of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    /// Product / SKU id.
    pub sku: String,
    /// Quantity (may be fractional for weights).
    pub quantity: Decimal,
    /// Price per unit.
    pub unit_price: Decimal,
}

/// An order record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// Order id (unique within the log).
    pub order_id: String,
    /// The buying customer.
    pub customer_id: String,
    /// When the order was placed.
    pub placed_at: DateTime<Utc>,
    /// Gross amount (sum of lines when lines are given).
    pub amount: Decimal,
    /// ISO 4217 currency code.
    pub currency: String,
    /// One-off or subscription.
    #[serde(default)]
    pub kind: OrderKind,
    /// The subscription this order delivers, if any.
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// Completed or cancelled.
    #[serde(default)]
    pub status: OrderStatus,
    /// Line items, if known.
    #[serde(default)]
    pub lines: Vec<OrderLine>,
}

/// A refund or negative adjustment, linked to an order where the link is known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refund {
    /// The customer refunded.
    pub customer_id: String,
    /// The refunded order, if known.
    #[serde(default)]
    pub order_id: Option<String>,
    /// When the refund was made.
    pub refunded_at: DateTime<Utc>,
    /// Refunded amount, negative (e.g. `-1200`). A positive value is read as its negation.
    pub amount: Decimal,
}

/// A subscription contract (定期購入).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    /// Subscription id.
    pub id: String,
    /// The subscribing customer.
    pub customer_id: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Deliveries made so far (cycles completed).
    pub cycles: u32,
    /// Current status.
    pub status: SubscriptionStatus,
    /// When it was cancelled, if it was.
    #[serde(default)]
    pub cancelled_at: Option<DateTime<Utc>>,
    /// The product subscribed to, if known (segment rules: `any subscription (product = "A")`).
    #[serde(default)]
    pub product: Option<String>,
}
