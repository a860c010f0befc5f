//! The customer book: per-customer state kept current as events arrive, change reports, and
//! snapshots.
//!
//! A [`Book`] takes orders, refunds, cancellations, subscription states and customer records in
//! any order ([`Event`], or [`Book::ingest_order`] on the hot path) and keeps each customer's
//! summary exactly as [`crate::summary::summarize`] would compute it over the same events as an
//! [`crate::model::OrderLog`] as of the book's date ([`Book::summaries`]; RFM and CPM follow from
//! it). [`Book::advance`] moves the date (customers cross the dormant or churn threshold,
//! subscriptions lapse); [`Book::changes`] reports what changed since the last report, with the
//! event that triggered it; [`Book::snapshot`] / [`Book::restore`] save and load everything.
//!
//! See `docs/book.md` for the event semantics and the snapshot format.

mod changes;
mod event;
mod loyalty;
mod read;
mod segments;
mod snapshot;

pub use changes::{Change, ChangeKind, ChangeReport, Trigger, TriggerEvent};
pub use event::{
    CancellationEvent, CustomerInfo, Event, InvitationEvent, OrderRef, RedemptionEvent,
    RefundEvent, SubscriptionEvent,
};
pub use read::{EventFormat, event_from_json, read_events};
pub use segments::MAX_SEGMENTS;
pub use snapshot::{SNAPSHOT_MAGIC, SNAPSHOT_VERSION, SnapshotProblem};

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::cpm::CpmOptions;
use crate::io::parse_tz;
use crate::model::{
    CustomerIds, Day, Interner, MoneyColumn, OrderIds, OrderKind, OrderStatus, StrColumn,
    SubscriptionStatus, date_to_day, day_in_tz, day_to_date, merge_currency,
};
use crate::summary::{
    CustomerSummaries, SubscriptionState, SummaryBuilder, SummaryOptions, SummaryRecord, Totals,
};
use crate::{Error, Location, Result};

const NONE: u32 = u32::MAX;
const NO_DAY: Day = Day::MIN;

/// Order flags.
const SUB: u8 = 1;
const CANCELLED: u8 = 2;
const COUNTED: u8 = 4;
/// The order's kind is `subscription` (`SUB` also covers a one-off kind with a subscription id).
const KIND_SUB: u8 = 8;

/// Options of a [`Book`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BookOptions {
    /// IANA time zone that defines calendar days (default `UTC`).
    pub timezone: String,
    /// The book's starting date (inclusive: events on or before it count). `None`: the book
    /// follows the data, its date being the day after the last order (as the bulk summary's
    /// default), never earlier than a date given to [`Book::advance`].
    pub as_of: Option<NaiveDate>,
    /// Days without an order after which a customer is dormant (default 120).
    pub dormant_days: u32,
    /// Days after the last subscription order after which a subscriber without a subscription
    /// record counts as lapsed (default 60).
    pub subscription_lapse_days: u32,
    /// CPM thresholds for the CPM class changes.
    pub cpm: CpmOptions,
}

impl Default for BookOptions {
    fn default() -> Self {
        let s = SummaryOptions::default();
        Self {
            timezone: "UTC".into(),
            as_of: None,
            dormant_days: s.dormant_days,
            subscription_lapse_days: s.subscription_lapse_days,
            cpm: CpmOptions::default(),
        }
    }
}

/// One customer's running totals (orders counted up to the book's date only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cust {
    pub(crate) first: Day,
    pub(crate) last: Day,
    pub(crate) last_sub: Day,
    pub(crate) orders: u32,
    pub(crate) purchase_days: u32,
    pub(crate) sub_orders: u32,
    pub(crate) cancelled: u32,
    /// Completed orders, in units of the order amounts' scale (saturating).
    pub(crate) gross: i64,
    /// Refunds, in units of the refund amounts' scale (saturating).
    pub(crate) refunded: i64,
    /// Last order in the customer's list (orders linked newest first).
    pub(crate) head: u32,
    /// Last subscription record in the customer's list.
    pub(crate) sub_head: u32,
    /// The derived state last reported (see [`changes`]).
    pub(crate) reported: u16,
    /// Kind of the last event that touched the customer since the last report (0: none).
    pub(crate) trig_kind: u8,
    /// What that event refers to (order, refund, subscription or customer index).
    pub(crate) trig_ref: u32,
}

impl Default for Cust {
    fn default() -> Self {
        Self {
            first: NO_DAY,
            last: NO_DAY,
            last_sub: NO_DAY,
            orders: 0,
            purchase_days: 0,
            sub_orders: 0,
            cancelled: 0,
            gross: 0,
            refunded: 0,
            head: NONE,
            sub_head: NONE,
            reported: 0,
            trig_kind: 0,
            trig_ref: NONE,
        }
    }
}

/// A subscription record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SubRow {
    pub(crate) customer: u32,
    pub(crate) started: Day,
    pub(crate) cancelled: Day,
    pub(crate) status: SubscriptionStatus,
    pub(crate) cycles: u32,
    /// Effective time of the state (Unix seconds), for last-writer-wins.
    pub(crate) at: i64,
}

/// A refund waiting for its order (it named no customer, and the order is unknown).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct HeldRefund {
    pub(crate) refund_id: Option<String>,
    pub(crate) day: Day,
    pub(crate) amount: Decimal,
}

/// The incremental customer book. See the [module docs](self).
#[derive(Debug)]
pub struct Book {
    pub(crate) opts: BookOptions,
    pub(crate) tz: Tz,
    /// The date: events on or before it count.
    pub(crate) as_of: Day,
    /// The lowest date the book may have (the starting date, or the last `advance`).
    pub(crate) floor: Day,
    /// Whether the date follows the data (`as_of = last order day + 1`).
    pub(crate) follow: bool,
    /// The last day of any order (any status).
    pub(crate) last_day: Day,
    pub(crate) currency: Option<String>,
    pub(crate) customers: CustomerIds,
    pub(crate) cust: Vec<Cust>,
    pub(crate) order_ids: OrderIds,
    pub(crate) o_customer: Vec<u32>,
    pub(crate) o_day: Vec<Day>,
    pub(crate) o_amount: MoneyColumn,
    pub(crate) o_flags: Vec<u8>,
    pub(crate) o_next: Vec<u32>,
    /// Orders after the date (not counted yet).
    pub(crate) future_orders: Vec<u32>,
    pub(crate) refund_ids: Interner,
    pub(crate) r_customer: Vec<u32>,
    pub(crate) r_day: Vec<Day>,
    pub(crate) r_amount: MoneyColumn,
    /// Refund id index per refund (`NONE` without an id).
    pub(crate) r_id: Vec<u32>,
    /// Refunds after the date (not counted yet).
    pub(crate) future_refunds: Vec<u32>,
    /// Refunds waiting for their order, by order id.
    pub(crate) held_refunds: BTreeMap<String, Vec<HeldRefund>>,
    /// Cancellations of orders not seen yet.
    pub(crate) held_cancels: BTreeSet<String>,
    pub(crate) sub_ids: Interner,
    pub(crate) subs: Vec<SubRow>,
    pub(crate) sub_next: Vec<u32>,
    pub(crate) info: BTreeMap<u32, CustomerInfo>,
    /// Events applied so far.
    pub(crate) seq: u64,
    /// Customers touched since the last report.
    pub(crate) dirty: Vec<u32>,
    /// The date of the last report.
    pub(crate) reported_as_of: Day,
    /// Segment rules kept current (see `segments.rs`).
    pub(crate) segments: Vec<segments::BookSegment>,
    /// Per customer, the segments it was last reported in (bit `k`: segment `k`).
    pub(crate) members: Vec<u64>,
    /// The rules changed since the last report.
    pub(crate) segments_changed: bool,
    /// Scratch for purchase-day recounts.
    scratch: Vec<Day>,
    /// Placement time of each order (Unix seconds): stages depend on the order of orders
    /// within a day.
    pub(crate) o_time: Vec<i64>,
    /// The order each refund names (`NONE`: none, or not seen yet).
    pub(crate) r_order: Vec<u32>,
    /// Per customer, the last refund in its list (refunds linked newest first).
    pub(crate) refund_head: Vec<u32>,
    pub(crate) r_next: Vec<u32>,
    /// Refunds that named a customer and an order not seen yet, by order id: linked when the
    /// order arrives.
    pub(crate) pending_links: BTreeMap<String, Vec<u32>>,
    /// The loyalty programme kept current (see `loyalty.rs`).
    pub(crate) program: Option<loyalty::BookProgram>,
    /// The programme changed since the last report.
    pub(crate) program_changed: bool,
    /// Per customer, the stage last reported (index in the programme).
    pub(crate) loy_stage: Vec<u16>,
    /// Per customer, the points expired as last reported.
    pub(crate) loy_expired: Vec<i64>,
    /// Points redemptions: customer, local day, points (> 0), id index (`NONE`: no id), in
    /// arrival order.
    pub(crate) redemptions: Vec<(u32, Day, i64, u32)>,
    /// Redemption ids seen (repeats change nothing).
    pub(crate) redemption_ids: Interner,
    /// Stage invitations: customer, local day, stage id, id index (`NONE`: no id), in arrival
    /// order.
    pub(crate) invitations: Vec<(u32, Day, String, u32)>,
    /// Invitation ids seen (repeats change nothing).
    pub(crate) invitation_ids: Interner,
}

/// Trigger kinds stored per customer.
pub(crate) const T_ORDER: u8 = 1;
pub(crate) const T_REFUND: u8 = 2;
pub(crate) const T_CANCEL: u8 = 3;
pub(crate) const T_SUB: u8 = 4;
pub(crate) const T_CUSTOMER: u8 = 5;
pub(crate) const T_REDEMPTION: u8 = 6;
pub(crate) const T_INVITATION: u8 = 7;

/// Counts of what [`Book::ingest`] did with a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestCounts {
    /// Events applied (including those held or dated after the book's date).
    pub applied: u64,
    /// Repeats that changed nothing (an order id or refund id seen before).
    pub duplicates: u64,
    /// Refunds and cancellations held until their order arrives.
    pub held: u64,
}

impl Book {
    /// An empty book.
    pub fn new(opts: BookOptions) -> Result<Self> {
        let tz = parse_tz(&opts.timezone)?;
        opts.cpm.validate()?;
        let (floor, follow) = match opts.as_of {
            Some(d) => (date_to_day(d), false),
            None => (0, true),
        };
        Ok(Self {
            opts,
            tz,
            as_of: floor,
            floor,
            follow,
            last_day: NO_DAY,
            currency: None,
            customers: CustomerIds::new(),
            cust: Vec::new(),
            order_ids: OrderIds::new(0),
            o_customer: Vec::new(),
            o_day: Vec::new(),
            o_amount: MoneyColumn::new(),
            o_flags: Vec::new(),
            o_next: Vec::new(),
            future_orders: Vec::new(),
            refund_ids: Interner::new(),
            r_customer: Vec::new(),
            r_day: Vec::new(),
            r_amount: MoneyColumn::new(),
            r_id: Vec::new(),
            future_refunds: Vec::new(),
            held_refunds: BTreeMap::new(),
            held_cancels: BTreeSet::new(),
            sub_ids: Interner::new(),
            subs: Vec::new(),
            sub_next: Vec::new(),
            info: BTreeMap::new(),
            seq: 0,
            dirty: Vec::new(),
            reported_as_of: floor,
            segments: Vec::new(),
            members: Vec::new(),
            segments_changed: false,
            scratch: Vec::new(),
            o_time: Vec::new(),
            r_order: Vec::new(),
            refund_head: Vec::new(),
            r_next: Vec::new(),
            pending_links: BTreeMap::new(),
            program: None,
            program_changed: false,
            loy_stage: Vec::new(),
            loy_expired: Vec::new(),
            redemptions: Vec::new(),
            redemption_ids: Interner::new(),
            invitations: Vec::new(),
            invitation_ids: Interner::new(),
        })
    }

    /// The options.
    #[must_use]
    pub fn options(&self) -> &BookOptions {
        &self.opts
    }
    /// The time zone of calendar days.
    #[must_use]
    pub fn timezone(&self) -> Tz {
        self.tz
    }
    /// The book's date: events on or before it count.
    #[must_use]
    pub fn as_of(&self) -> NaiveDate {
        day_to_date(self.as_of)
    }
    /// Customers known (from any event).
    #[must_use]
    pub fn n_customers(&self) -> usize {
        self.cust.len()
    }
    /// Orders known (any status, also those after the book's date).
    #[must_use]
    pub fn n_orders(&self) -> usize {
        self.o_day.len()
    }
    /// Refunds known (not counting held ones).
    #[must_use]
    pub fn n_refunds(&self) -> usize {
        self.r_day.len()
    }
    /// Refunds and cancellations waiting for their order.
    #[must_use]
    pub fn n_held(&self) -> usize {
        self.held_refunds.values().map(Vec::len).sum::<usize>() + self.held_cancels.len()
    }
    /// Events applied since the book was created.
    #[must_use]
    pub fn n_events(&self) -> u64 {
        self.seq
    }
    /// The currency of the amounts, once one was given.
    #[must_use]
    pub fn currency(&self) -> Option<&str> {
        self.currency.as_deref()
    }

    fn customer(&mut self, id: &str) -> Result<u32> {
        if id.trim().is_empty() {
            return Err(Error::InvalidValue {
                value: id.to_owned(),
                location: Location::column("customer_id"),
                reason: "customer id is empty; give every event a customer id".into(),
            });
        }
        let c = self.customers.intern(id);
        if c as usize == self.cust.len() {
            self.cust.push(Cust::default());
            self.members.push(0);
            self.refund_head.push(NONE);
            self.loy_stage.push(0);
            self.loy_expired.push(0);
        }
        Ok(c)
    }

    fn touch(&mut self, c: u32, kind: u8, r: u32) {
        let cu = &mut self.cust[c as usize];
        if cu.trig_kind == 0 {
            self.dirty.push(c);
        }
        cu.trig_kind = kind;
        cu.trig_ref = r;
    }

    /// Applies a batch of events in order. On an error the events before the failing one stay
    /// applied; the error names the failing event's position (1-based row) in the batch.
    pub fn ingest(&mut self, events: &[Event]) -> Result<IngestCounts> {
        let mut n = IngestCounts::default();
        for (i, e) in events.iter().enumerate() {
            match self.apply(e) {
                Ok(Applied::Applied) => n.applied += 1,
                Ok(Applied::Duplicate) => n.duplicates += 1,
                Ok(Applied::Held) => {
                    n.applied += 1;
                    n.held += 1;
                }
                Err(e) => return Err(at_row(e, i as u64 + 1)),
            }
        }
        Ok(n)
    }

    /// Applies one event.
    pub fn apply(&mut self, e: &Event) -> Result<Applied> {
        match e {
            Event::Order(o) => self.ingest_order(OrderRef::of(o)),
            Event::Refund(r) => self.ingest_refund(r),
            Event::Cancellation(c) => self.ingest_cancellation(&c.order_id),
            Event::Subscription(s) => self.ingest_subscription(s),
            Event::Customer(c) => self.ingest_customer(c),
            Event::Redemption(r) => self.ingest_redemption(r),
            Event::Invitation(i) => self.ingest_invitation(i),
        }
    }

    /// Applies one order (the hot path: nothing is allocated per order beyond the book's own
    /// growing columns).
    pub fn ingest_order(&mut self, o: OrderRef<'_>) -> Result<Applied> {
        if o.order_id.is_empty() {
            return Err(Error::InvalidValue {
                value: String::new(),
                location: Location::column("order_id"),
                reason: "the book needs an order id on every order (to recognise repeats)".into(),
            });
        }
        if o.customer_id.trim().is_empty() {
            return Err(Error::InvalidValue {
                value: o.customer_id.to_owned(),
                location: Location::column("customer_id"),
                reason: format!("order '{}' has no customer id", o.order_id),
            });
        }
        if self.order_ids.lookup(o.order_id).is_some() {
            return Ok(Applied::Duplicate);
        }
        merge_currency(&mut self.currency, o.currency, || {
            Location::column("currency")
        })?;
        // Units at the (possibly grown) order scale; a grown scale rescales the totals.
        let before = self.o_amount.scale();
        let units = self
            .o_amount
            .to_units(o.amount, || Location::column("amount"))?;
        let grown = self.o_amount.scale() - before;
        if grown > 0 {
            let k = 10_i64.pow(grown);
            for c in &mut self.cust {
                c.gross = c.gross.saturating_mul(k);
            }
        }
        self.seq += 1;
        self.order_ids.insert(o.order_id);
        let c = self.customer(o.customer_id)?;
        let i = self.o_day.len() as u32;
        let day = day_in_tz(self.tz, o.placed_at);
        let mut flags = 0;
        if o.kind == OrderKind::Subscription || o.subscription_id.is_some_and(|s| !s.is_empty()) {
            flags |= SUB;
        }
        if o.kind == OrderKind::Subscription {
            flags |= KIND_SUB;
        }
        if o.status == OrderStatus::Cancelled {
            flags |= CANCELLED;
        }
        if !self.held_cancels.is_empty() && self.held_cancels.remove(o.order_id) {
            flags |= CANCELLED;
        }
        self.o_customer.push(c);
        self.o_day.push(day);
        self.o_time.push(o.placed_at);
        self.o_amount.push_units(units);
        self.o_flags.push(flags);
        let cu = &mut self.cust[c as usize];
        self.o_next.push(cu.head);
        cu.head = i;
        self.touch(c, T_ORDER, i);
        if day > self.last_day {
            self.last_day = day;
            if self.follow {
                self.set_as_of(self.as_of.max(day.saturating_add(1)));
            }
        }
        if day <= self.as_of {
            self.count_order(i);
        } else {
            self.future_orders.push(i);
        }
        if !self.pending_links.is_empty() {
            if let Some(refunds) = self.pending_links.remove(o.order_id) {
                for k in refunds {
                    self.r_order[k as usize] = i;
                    // a refund of another customer's order changes neither customer's stage
                    let rc = self.r_customer[k as usize];
                    if rc == c {
                        self.touch(c, T_ORDER, i);
                    }
                }
            }
        }
        if !self.held_refunds.is_empty() {
            if let Some(held) = self.held_refunds.remove(o.order_id) {
                // The order is the trigger of what its held refunds change.
                for h in held {
                    self.add_refund(c, h.refund_id.as_deref(), h.day, h.amount, false, i)?;
                }
            }
        }
        Ok(Applied::Applied)
    }

    /// Adds order `i` (on or before the date) to its customer's totals.
    fn count_order(&mut self, i: u32) {
        let iu = i as usize;
        self.o_flags[iu] |= COUNTED;
        let flags = self.o_flags[iu];
        let c = self.o_customer[iu] as usize;
        let d = self.o_day[iu];
        if flags & CANCELLED != 0 {
            self.cust[c].cancelled += 1;
            return;
        }
        let cu = self.cust[c];
        let new_day = if cu.orders == 0 || d > cu.last || d < cu.first {
            true
        } else if d == cu.last || d == cu.first {
            false
        } else {
            !self.has_other_on_day(cu.head, d, i)
        };
        let units = self.o_amount.units()[iu];
        let cu = &mut self.cust[c];
        cu.orders += 1;
        cu.gross = cu.gross.saturating_add(units);
        if new_day {
            cu.purchase_days += 1;
        }
        if cu.first == NO_DAY || d < cu.first {
            cu.first = d;
        }
        if d > cu.last {
            cu.last = d;
        }
        if flags & SUB != 0 {
            cu.sub_orders += 1;
            cu.last_sub = cu.last_sub.max(d);
        }
    }

    /// Whether a counted completed order other than `skip` in the list from `head` is on `d`.
    fn has_other_on_day(&self, head: u32, d: Day, skip: u32) -> bool {
        let mut k = head;
        while k != NONE {
            let ku = k as usize;
            if k != skip
                && self.o_day[ku] == d
                && self.o_flags[ku] & (COUNTED | CANCELLED) == COUNTED
            {
                return true;
            }
            k = self.o_next[ku];
        }
        false
    }

    /// Recounts a customer's order totals from its list (after a cancellation).
    fn recount(&mut self, c: usize) {
        let mut cu = self.cust[c];
        cu.first = NO_DAY;
        cu.last = NO_DAY;
        cu.last_sub = NO_DAY;
        cu.orders = 0;
        cu.sub_orders = 0;
        cu.cancelled = 0;
        cu.gross = 0;
        self.scratch.clear();
        let units = self.o_amount.units();
        let mut k = cu.head;
        while k != NONE {
            let ku = k as usize;
            let f = self.o_flags[ku];
            if f & COUNTED != 0 {
                if f & CANCELLED != 0 {
                    cu.cancelled += 1;
                } else {
                    let d = self.o_day[ku];
                    cu.orders += 1;
                    cu.gross = cu.gross.saturating_add(units[ku]);
                    if cu.first == NO_DAY || d < cu.first {
                        cu.first = d;
                    }
                    cu.last = cu.last.max(d);
                    if f & SUB != 0 {
                        cu.sub_orders += 1;
                        cu.last_sub = cu.last_sub.max(d);
                    }
                    self.scratch.push(d);
                }
            }
            k = self.o_next[ku];
        }
        self.scratch.sort_unstable();
        self.scratch.dedup();
        cu.purchase_days = self.scratch.len() as u32;
        self.cust[c] = cu;
    }

    /// Applies a refund event.
    pub fn ingest_refund(&mut self, r: &RefundEvent) -> Result<Applied> {
        if let Some(id) = r.refund_id.as_deref().filter(|s| !s.is_empty()) {
            if self.refund_ids.lookup(id).is_some()
                || self
                    .held_refunds
                    .values()
                    .flatten()
                    .any(|h| h.refund_id.as_deref() == Some(id))
            {
                return Ok(Applied::Duplicate);
            }
        }
        let day = day_in_tz(self.tz, r.refunded_at.timestamp());
        let customer = r.customer_id.as_deref().filter(|s| !s.trim().is_empty());
        let order = r.order_id.as_deref().filter(|s| !s.is_empty());
        let mut link = NONE;
        let c = match (customer, order) {
            (Some(c), _) => self.customer(c)?,
            (None, Some(o)) => {
                let Some(i) = self.order_ids.lookup(o) else {
                    self.seq += 1;
                    self.held_refunds
                        .entry(o.to_owned())
                        .or_default()
                        .push(HeldRefund {
                            refund_id: r.refund_id.clone().filter(|s| !s.is_empty()),
                            day,
                            amount: r.amount,
                        });
                    return Ok(Applied::Held);
                };
                link = i;
                self.o_customer[i as usize]
            }
            (None, None) => {
                return Err(Error::InvalidValue {
                    value: r.amount.to_string(),
                    location: Location::column("customer_id"),
                    reason: "a refund needs a customer id or an order id".into(),
                });
            }
        };
        self.seq += 1;
        // A refund naming its customer and an order not seen yet is linked when it arrives.
        let mut pending = None;
        if let (Some(_), Some(o)) = (customer, order) {
            match self.order_ids.lookup(o) {
                Some(i) => link = i,
                None => pending = Some(o),
            }
        }
        let k = self.r_day.len() as u32;
        self.add_refund(c, r.refund_id.as_deref(), day, r.amount, true, link)?;
        if let Some(o) = pending {
            self.pending_links.entry(o.to_owned()).or_default().push(k);
        }
        Ok(Applied::Applied)
    }

    fn add_refund(
        &mut self,
        c: u32,
        id: Option<&str>,
        day: Day,
        amount: Decimal,
        touch: bool,
        order: u32,
    ) -> Result<()> {
        let before = self.r_amount.scale();
        let units = self.r_amount.to_units(amount.abs(), || {
            Location::customer(self.customers.values().get(c as usize))
        })?;
        let grown = self.r_amount.scale() - before;
        if grown > 0 {
            let k = 10_i64.pow(grown);
            for cu in &mut self.cust {
                cu.refunded = cu.refunded.saturating_mul(k);
            }
        }
        let k = self.r_day.len() as u32;
        self.r_customer.push(c);
        self.r_day.push(day);
        self.r_amount.push_units(units);
        let rid = match id.filter(|s| !s.is_empty()) {
            Some(s) => self.refund_ids.intern(s),
            None => NONE,
        };
        self.r_id.push(rid);
        self.r_order.push(order);
        self.r_next.push(self.refund_head[c as usize]);
        self.refund_head[c as usize] = k;
        if touch {
            self.touch(c, T_REFUND, k);
        }
        if day <= self.as_of {
            let cu = &mut self.cust[c as usize];
            cu.refunded = cu.refunded.saturating_add(units);
        } else {
            self.future_refunds.push(k);
        }
        Ok(())
    }

    /// Marks an order cancelled (held until the order arrives when it is unknown).
    pub fn ingest_cancellation(&mut self, order_id: &str) -> Result<Applied> {
        if order_id.is_empty() {
            return Err(Error::InvalidValue {
                value: String::new(),
                location: Location::column("order_id"),
                reason: "a cancellation needs the id of the cancelled order".into(),
            });
        }
        let Some(i) = self.order_ids.lookup(order_id) else {
            if self.held_cancels.contains(order_id) {
                return Ok(Applied::Duplicate);
            }
            self.seq += 1;
            self.held_cancels.insert(order_id.to_owned());
            return Ok(Applied::Held);
        };
        let iu = i as usize;
        if self.o_flags[iu] & CANCELLED != 0 {
            return Ok(Applied::Duplicate);
        }
        self.seq += 1;
        self.o_flags[iu] |= CANCELLED;
        let c = self.o_customer[iu];
        self.touch(c, T_CANCEL, i);
        if self.o_flags[iu] & COUNTED != 0 {
            self.recount(c as usize);
        }
        Ok(Applied::Applied)
    }

    /// Applies the state of a subscription contract (the latest `updated_at` wins).
    pub fn ingest_subscription(&mut self, s: &SubscriptionEvent) -> Result<Applied> {
        if s.id.is_empty() {
            return Err(Error::InvalidValue {
                value: String::new(),
                location: Location::column("subscription_id"),
                reason: "a subscription event needs the subscription id".into(),
            });
        }
        let c = self.customer(&s.customer_id)?;
        let at = s
            .updated_at
            .or(s.cancelled_at)
            .unwrap_or(s.started_at)
            .timestamp();
        let row = SubRow {
            customer: c,
            started: day_in_tz(self.tz, s.started_at.timestamp()),
            cancelled: s
                .cancelled_at
                .map_or(NO_DAY, |t| day_in_tz(self.tz, t.timestamp())),
            status: s.status,
            cycles: s.cycles,
            at,
        };
        let (k, new) = self.sub_ids.intern_new(&s.id);
        self.seq += 1;
        if new {
            self.subs.push(row);
            let cu = &mut self.cust[c as usize];
            self.sub_next.push(cu.sub_head);
            cu.sub_head = k;
        } else {
            let old = self.subs[k as usize];
            let key = |r: &SubRow| {
                (
                    r.at,
                    status_rank(r.status),
                    r.cycles,
                    r.started,
                    r.cancelled,
                )
            };
            if key(&row) <= key(&old) {
                return Ok(Applied::Duplicate);
            }
            // The contract stays with the customer it was first seen with.
            self.subs[k as usize] = SubRow {
                customer: old.customer,
                ..row
            };
        }
        let owner = self.subs[k as usize].customer;
        self.touch(owner, T_SUB, k);
        Ok(Applied::Applied)
    }

    /// Merges a customer record (later records overwrite the fields they give).
    pub fn ingest_customer(&mut self, c: &crate::model::Customer) -> Result<Applied> {
        let i = self.customer(&c.id)?;
        self.seq += 1;
        let tz = self.tz;
        let info = self.info.entry(i).or_default();
        info.birth_date = c.birth_date.or(info.birth_date);
        if let Some(t) = c.signed_up_at {
            info.signed_up = Some(day_to_date(day_in_tz(tz, t.timestamp())));
        }
        for (k, v) in &c.attributes {
            info.attributes.insert(k.clone(), v.clone());
        }
        self.touch(i, T_CUSTOMER, i);
        Ok(Applied::Applied)
    }

    /// Moves the book's date to `date` (inclusive). Orders and refunds dated up to it start to
    /// count; recency, dormancy, CPM churn and subscription lapses move with it. Going back is
    /// an error.
    pub fn advance(&mut self, date: NaiveDate) -> Result<()> {
        let d = date_to_day(date);
        if d < self.as_of {
            return Err(Error::option(
                "as_of",
                date,
                format!(
                    "the book is already at {}; a book only moves forward (restore an older snapshot to go back)",
                    day_to_date(self.as_of)
                ),
            ));
        }
        self.floor = d;
        self.set_as_of(d);
        Ok(())
    }

    fn set_as_of(&mut self, d: Day) {
        if d <= self.as_of {
            return;
        }
        self.as_of = d;
        if !self.future_orders.is_empty() {
            let mut fut = std::mem::take(&mut self.future_orders);
            fut.retain(|&i| {
                if self.o_day[i as usize] <= d {
                    self.count_order(i);
                    false
                } else {
                    true
                }
            });
            self.future_orders = fut;
        }
        if !self.future_refunds.is_empty() {
            let units = self.r_amount.units();
            let (days, cust, rc) = (&self.r_day, &mut self.cust, &self.r_customer);
            self.future_refunds.retain(|&k| {
                let ku = k as usize;
                if days[ku] <= d {
                    let cu = &mut cust[rc[ku] as usize];
                    cu.refunded = cu.refunded.saturating_add(units[ku]);
                    false
                } else {
                    true
                }
            });
        }
    }

    /// The summary options equivalent to the book's (its date included).
    #[must_use]
    pub fn summary_options(&self) -> SummaryOptions {
        SummaryOptions {
            as_of: Some(day_to_date(self.as_of)),
            dormant_days: self.opts.dormant_days,
            subscription_lapse_days: self.opts.subscription_lapse_days,
        }
    }

    fn totals(&self, c: usize) -> Totals {
        let cu = &self.cust[c];
        let opt = |d: Day| (d != NO_DAY).then_some(d);
        Totals {
            first: opt(cu.first),
            last: opt(cu.last),
            orders: cu.orders,
            purchase_days: cu.purchase_days,
            subscription_orders: cu.sub_orders,
            cancelled: cu.cancelled,
            gross: i128::from(cu.gross),
            refunded: i128::from(cu.refunded),
            last_sub_day: opt(cu.last_sub),
        }
    }

    /// The state from the subscription records of customer `c` as of the date (`None`
    /// without a record started by then), as the bulk summary computes it.
    pub(crate) fn table_state(&self, c: usize) -> Option<SubscriptionState> {
        let mut best: Option<SubscriptionState> = None;
        let mut k = self.cust[c].sub_head;
        while k != NONE {
            let r = &self.subs[k as usize];
            k = self.sub_next[k as usize];
            if r.started > self.as_of {
                continue;
            }
            let st = match r.status {
                SubscriptionStatus::Cancelled
                    if r.cancelled != NO_DAY && r.cancelled > self.as_of =>
                {
                    SubscriptionState::Active
                }
                SubscriptionStatus::Cancelled => SubscriptionState::Cancelled,
                SubscriptionStatus::Paused => SubscriptionState::Paused,
                SubscriptionStatus::Active => SubscriptionState::Active,
            };
            if best.is_none_or(|b| state_rank(st) > state_rank(b)) {
                best = Some(st);
            }
        }
        best
    }

    /// Customer indices in natural id order (the order of every output).
    pub(crate) fn natural_order(&self) -> Vec<u32> {
        self.customers.natural_order()
    }

    /// Every customer's summary as of the book's date, in natural customer-id order: equal to
    /// [`crate::summary::summarize`] over the same events as an order log with
    /// [`Book::summary_options`].
    #[must_use]
    pub fn summaries(&self) -> CustomerSummaries {
        let order = self.natural_order();
        let ids = self.customers.values().permuted(&order);
        let opts = self.summary_options();
        let mut b = SummaryBuilder::new(
            std::sync::Arc::new(ids),
            self.as_of,
            self.o_amount.scale(),
            self.r_amount.scale(),
            &opts,
        );
        for &c in &order {
            b.push(&self.totals(c as usize), self.table_state(c as usize));
        }
        b.finish()
    }

    /// One customer's summary (`None` for an unknown id).
    #[must_use]
    pub fn summary(&self, customer_id: &str) -> Option<SummaryRecord> {
        let c = self.customers.lookup(customer_id)? as usize;
        let mut ids = StrColumn::new();
        ids.push(customer_id);
        let opts = self.summary_options();
        let mut b = SummaryBuilder::new(
            std::sync::Arc::new(ids),
            self.as_of,
            self.o_amount.scale(),
            self.r_amount.scale(),
            &opts,
        );
        b.push(&self.totals(c), self.table_state(c));
        Some(b.finish().record(0))
    }

    /// What the book knows from customer records about a customer.
    #[must_use]
    pub fn customer_info(&self, customer_id: &str) -> Option<&CustomerInfo> {
        let c = self.customers.lookup(customer_id)?;
        self.info.get(&c)
    }
}

/// What one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Applied (or, for an event dated after the book's date, stored until the date reaches it).
    Applied,
    /// A repeat that changed nothing.
    Duplicate,
    /// A refund or cancellation kept until its order arrives.
    Held,
}

fn status_rank(s: SubscriptionStatus) -> u8 {
    match s {
        SubscriptionStatus::Active => 0,
        SubscriptionStatus::Paused => 1,
        SubscriptionStatus::Cancelled => 2,
    }
}

fn state_rank(s: SubscriptionState) -> u8 {
    match s {
        SubscriptionState::Active => 3,
        SubscriptionState::Paused => 2,
        SubscriptionState::Cancelled => 1,
        SubscriptionState::None => 0,
    }
}

/// Puts a batch row number into an error's location.
fn at_row(e: Error, row: u64) -> Error {
    match e {
        Error::InvalidValue {
            value,
            mut location,
            reason,
        } => {
            location.row = Some(row);
            Error::InvalidValue {
                value,
                location,
                reason,
            }
        }
        Error::MixedCurrency {
            first,
            second,
            mut location,
        } => {
            location.row = Some(row);
            Error::MixedCurrency {
                first,
                second,
                location,
            }
        }
        other => other,
    }
}
