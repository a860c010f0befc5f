//! The events a [`super::Book`] takes, as owned records (serde) and as a borrowed order for the
//! hot path.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::model::{Customer, Order, OrderKind, OrderStatus, SubscriptionStatus};

/// One event for the book. Events may arrive in any order; see `docs/book.md` for what each
/// does and how repeats are treated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// An order. The same order id twice changes nothing (the first one stays).
    Order(Order),
    /// A refund or negative adjustment.
    Refund(RefundEvent),
    /// An order was cancelled (before or after the order itself arrives).
    Cancellation(CancellationEvent),
    /// The current state of a subscription contract.
    Subscription(SubscriptionEvent),
    /// A customer record (sign-up, birth date, attributes): merged into what the book knows.
    Customer(Customer),
    /// Points a customer spent (loyalty programme).
    Redemption(RedemptionEvent),
    /// A customer invited into a loyalty stage.
    Invitation(InvitationEvent),
}

impl Event {
    /// The event type's name (`order`, `refund`, `cancellation`, `subscription`, `customer`,
    /// `redemption`, `invitation`).
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::Order(_) => "order",
            Event::Refund(_) => "refund",
            Event::Cancellation(_) => "cancellation",
            Event::Subscription(_) => "subscription",
            Event::Customer(_) => "customer",
            Event::Redemption(_) => "redemption",
            Event::Invitation(_) => "invitation",
        }
    }
}

/// A refund. Either `customer_id` or `order_id` must be given: a refund that names only an
/// order the book has not seen yet is held until that order arrives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefundEvent {
    /// An id for the refund itself: a repeat of a refund id changes nothing.
    #[serde(default)]
    pub refund_id: Option<String>,
    /// The customer refunded (when omitted, the customer of `order_id`).
    #[serde(default)]
    pub customer_id: Option<String>,
    /// The refunded order, if known.
    #[serde(default)]
    pub order_id: Option<String>,
    /// When the refund was made.
    pub refunded_at: DateTime<Utc>,
    /// The refunded amount (its sign is ignored: refunds count as a positive magnitude).
    pub amount: Decimal,
}

/// Points a customer spent (at checkout, or exchanged for a reward). With a loyalty programme
/// set, a redemption beyond the points the customer holds on its day is refused at once
/// (`points_shortfall`) under the programme's `error` shortfall policy, and makes a debt under
/// `debt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedemptionEvent {
    /// An id for the redemption: a repeat of a redemption id changes nothing.
    #[serde(default)]
    pub redemption_id: Option<String>,
    /// The customer.
    pub customer_id: String,
    /// When the points were spent (its local day counts: after that day's orders and refunds).
    pub redeemed_at: DateTime<Utc>,
    /// Points spent (> 0).
    pub points: i64,
}

/// A customer invited into a stage (an invitation-only stage, or any stage): the stage holds
/// from the invitation's local day, as with `kokyaku stages --invitations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationEvent {
    /// An id for the invitation: a repeat of an invitation id changes nothing.
    #[serde(default)]
    pub invitation_id: Option<String>,
    /// The customer.
    pub customer_id: String,
    /// When the invitation was made.
    pub invited_at: DateTime<Utc>,
    /// The stage id (one of the programme's stages).
    pub stage: String,
}

/// An order cancellation. The order counts as cancelled from the day it was placed (as a
/// cancelled row in an order log does), whenever the cancellation arrives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CancellationEvent {
    /// The cancelled order.
    pub order_id: String,
    /// When it was cancelled (kept for the change report only).
    #[serde(default)]
    pub cancelled_at: Option<DateTime<Utc>>,
}

/// The state of a subscription contract at `updated_at`. For one subscription id the event
/// with the latest `updated_at` wins, whatever the arrival order (ties: the higher status in
/// `active < paused < cancelled`, then more cycles).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionEvent {
    /// Subscription id.
    pub id: String,
    /// The subscribing customer.
    pub customer_id: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Deliveries made so far.
    #[serde(default)]
    pub cycles: u32,
    /// Current status.
    pub status: SubscriptionStatus,
    /// When it was cancelled, if it was.
    #[serde(default)]
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When this state was observed (default: `cancelled_at`, else `started_at`).
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// An order borrowed from the caller's buffers: what [`super::Book::ingest_order`] takes, so
/// that the hot path allocates nothing per order.
#[derive(Debug, Clone, Copy)]
pub struct OrderRef<'a> {
    /// Order id.
    pub order_id: &'a str,
    /// Customer id.
    pub customer_id: &'a str,
    /// Placement time, Unix seconds (UTC).
    pub placed_at: i64,
    /// Gross amount.
    pub amount: Decimal,
    /// Currency code (blank: not given).
    pub currency: &'a str,
    /// One-off or subscription.
    pub kind: OrderKind,
    /// Completed or cancelled.
    pub status: OrderStatus,
    /// The subscription delivered, if any.
    pub subscription_id: Option<&'a str>,
}

impl<'a> OrderRef<'a> {
    /// Borrows an owned [`Order`].
    #[must_use]
    pub fn of(o: &'a Order) -> Self {
        Self {
            order_id: &o.order_id,
            customer_id: &o.customer_id,
            placed_at: o.placed_at.timestamp(),
            amount: o.amount,
            currency: &o.currency,
            kind: o.kind,
            status: o.status,
            subscription_id: o.subscription_id.as_deref(),
        }
    }
}

/// Attributes of a customer record, as kept by the book.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CustomerInfo {
    /// Date of birth.
    pub birth_date: Option<NaiveDate>,
    /// Sign-up day (in the book's zone).
    pub signed_up: Option<NaiveDate>,
    /// Free attributes.
    pub attributes: BTreeMap<String, String>,
}
