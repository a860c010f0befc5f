//! The columnar order log.

use std::collections::BTreeMap;
use std::ops::Range;

use chrono::{DateTime, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use super::money::MoneyColumn;
use super::strings::{CustomerIds, Interner, OrderIds, StrColumn, natural_cmp};
use super::{
    Customer, Day, Order, OrderKind, OrderStatus, Refund, Subscription, SubscriptionStatus,
    date_to_day,
};
use crate::{Error, Location, Result};

const NONE: u32 = u32::MAX;

/// Refunds and negative adjustments, grouped by customer like the orders.
#[derive(Debug, Clone, Default)]
pub struct RefundTable {
    /// Customer index per refund.
    pub customer: Vec<u32>,
    /// Local day of the refund.
    pub day: Vec<Day>,
    /// Refunded amount as a positive magnitude.
    pub amount: MoneyColumn,
    /// Index of the refunded order in the log, or `u32::MAX` when unknown.
    pub order: Vec<u32>,
}

/// Subscription contracts known from a subscription table (not inferred from orders).
#[derive(Debug, Clone, Default)]
pub struct SubscriptionTable {
    /// Subscription ids.
    pub id: Vec<String>,
    /// Customer index per subscription.
    pub customer: Vec<u32>,
    /// Local start day.
    pub started: Vec<Day>,
    /// Cycles delivered.
    pub cycles: Vec<u32>,
    /// Status.
    pub status: Vec<SubscriptionStatus>,
    /// Local cancellation day.
    pub cancelled: Vec<Option<Day>>,
    /// Product subscribed to, if known.
    pub product: Vec<Option<String>>,
}

/// Columnar orders of many customers, grouped by customer (customers in natural id order) and
/// sorted by time within each customer.
///
/// Build it with [`OrderLogBuilder`] or the readers in [`crate::io`].
#[derive(Debug, Clone)]
pub struct OrderLog {
    tz: Tz,
    currency: Option<String>,
    customer_ids: std::sync::Arc<StrColumn>,
    offsets: Vec<u32>,
    birth_date: Vec<Option<NaiveDate>>,
    signed_up: Vec<Option<Day>>,
    attributes: Vec<BTreeMap<String, String>>,
    has_customer_table: bool,
    /// Order ids in input order; `order_source[i]` is the input position of sorted order `i`
    /// (empty when the input was already sorted), so the ids are never copied.
    order_ids: Option<StrColumn>,
    order_source: Vec<u32>,
    placed_at: Vec<i64>,
    day: Vec<Day>,
    amount: MoneyColumn,
    kind: Vec<OrderKind>,
    status: Vec<OrderStatus>,
    subscription: Vec<u32>,
    subscription_ids: StrColumn,
    refunds: RefundTable,
    refund_offsets: Vec<u32>,
    subscriptions: SubscriptionTable,
    lines: LineTable,
}

/// Order lines (SKU, quantity, unit price), columnar: the lines of sorted order `i` are
/// `offsets[i]..offsets[i + 1]`. Empty (no offsets) when no order has lines.
#[derive(Debug, Clone, Default)]
pub struct LineTable {
    /// Line range per order (`n_orders + 1` entries), or empty when the log has no lines.
    pub offsets: Vec<u32>,
    /// Interned SKU per line (text in [`LineTable::skus`]).
    pub sku: Vec<u32>,
    /// Quantity per line.
    pub quantity: Vec<Decimal>,
    /// Unit price per line.
    pub unit_price: Vec<Decimal>,
    /// The distinct SKUs, in first-seen order.
    pub skus: StrColumn,
}

impl LineTable {
    /// Whether no order has lines.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.sku.is_empty()
    }
    /// Number of lines.
    #[must_use]
    pub fn len(&self) -> usize {
        self.sku.len()
    }
    /// Lines of sorted order `i`.
    #[must_use]
    pub fn range(&self, i: usize) -> Range<usize> {
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => a as usize..b as usize,
            _ => 0..0,
        }
    }
    /// SKU text of line `k`.
    #[must_use]
    pub fn sku_of(&self, k: usize) -> &str {
        self.skus.get(self.sku[k] as usize)
    }
}

impl OrderLog {
    /// Builds a log from record types (orders, refunds, customers, subscriptions).
    pub fn from_records(
        tz: Tz,
        customers: &[Customer],
        orders: &[Order],
        refunds: &[Refund],
        subscriptions: &[Subscription],
    ) -> Result<Self> {
        let mut b = OrderLogBuilder::new(tz);
        for c in customers {
            b.add_customer(c)?;
        }
        for (i, o) in orders.iter().enumerate() {
            let row = i as u64 + 1;
            b.set_currency(&o.currency, || Location::cell(row, "currency"))?;
            let idx = b.push_order(
                &o.customer_id,
                Some(&o.order_id),
                o.placed_at.timestamp(),
                b.day_of(o.placed_at.timestamp()),
                o.amount,
                o.kind,
                o.status,
                o.subscription_id.as_deref(),
                || Location::cell(row, "amount"),
            )?;
            let Some(idx) = idx else {
                return Err(Error::DuplicateOrder {
                    order_id: o.order_id.clone(),
                    location: Location::cell(row, "order_id"),
                });
            };
            if !o.lines.is_empty() {
                let mut sum = Decimal::ZERO;
                for l in &o.lines {
                    sum = l
                        .quantity
                        .checked_mul(l.unit_price)
                        .and_then(|x| sum.checked_add(x))
                        .ok_or_else(|| Error::InvalidValue {
                            value: format!("{} x {}", l.quantity, l.unit_price),
                            location: Location::cell(row, "lines"),
                            reason: "line total overflows".into(),
                        })?;
                    b.push_line(idx, &l.sku, l.quantity, l.unit_price);
                }
                if sum != o.amount {
                    return Err(Error::InvalidValue {
                        value: o.amount.to_string(),
                        location: Location::cell(row, "amount"),
                        reason: format!(
                            "order '{}' has lines summing to {sum} (quantity x unit price), not its amount {} (lines_amount_mismatch); give lines that add up to the amount, or no lines",
                            o.order_id, o.amount
                        ),
                    });
                }
            }
        }
        for (i, r) in refunds.iter().enumerate() {
            let row = i as u64 + 1;
            let day = b.day_of(r.refunded_at.timestamp());
            b.push_refund(
                &r.customer_id,
                r.order_id.as_deref(),
                day,
                r.amount.abs(),
                || Location::cell(row, "amount"),
            )?;
        }
        for s in subscriptions {
            b.add_subscription(s);
        }
        Ok(b.finish())
    }

    /// The time zone that defines calendar days.
    #[must_use]
    pub fn timezone(&self) -> Tz {
        self.tz
    }
    /// The currency of every amount, if one was given.
    #[must_use]
    pub fn currency(&self) -> Option<&str> {
        self.currency.as_deref()
    }
    /// Number of customers (including customers with no orders from a customer table).
    #[must_use]
    pub fn n_customers(&self) -> usize {
        self.customer_ids.len()
    }
    /// Number of orders (completed and cancelled).
    #[must_use]
    pub fn n_orders(&self) -> usize {
        self.day.len()
    }
    /// Id of customer `c`.
    #[must_use]
    pub fn customer_id(&self, c: usize) -> &str {
        self.customer_ids.get(c)
    }
    /// Every customer id, in customer order (shared, not copied, by summaries).
    #[must_use]
    pub fn customer_ids(&self) -> &std::sync::Arc<StrColumn> {
        &self.customer_ids
    }
    /// Index of a customer id.
    #[must_use]
    pub fn find_customer(&self, id: &str) -> Option<usize> {
        let mut lo = 0;
        let mut hi = self.n_customers();
        while lo < hi {
            let mid = usize::midpoint(lo, hi);
            match natural_cmp(self.customer_id(mid), id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }
    /// Orders of customer `c`, as a range of order indices (sorted by time).
    #[must_use]
    pub fn order_range(&self, c: usize) -> Range<usize> {
        match (self.offsets.get(c), self.offsets.get(c + 1)) {
            (Some(&a), Some(&b)) => a as usize..b as usize,
            _ => 0..0,
        }
    }
    /// Refunds of customer `c`, as a range into [`OrderLog::refunds`].
    #[must_use]
    pub fn refund_range(&self, c: usize) -> Range<usize> {
        match (self.refund_offsets.get(c), self.refund_offsets.get(c + 1)) {
            (Some(&a), Some(&b)) => a as usize..b as usize,
            _ => 0..0,
        }
    }
    /// Order placement times, Unix seconds (UTC).
    #[must_use]
    pub fn placed_at(&self) -> &[i64] {
        &self.placed_at
    }
    /// Local calendar day of each order (days since 1970-01-01 in [`OrderLog::timezone`]).
    #[must_use]
    pub fn days(&self) -> &[Day] {
        &self.day
    }
    /// Gross order amounts.
    #[must_use]
    pub fn amounts(&self) -> &MoneyColumn {
        &self.amount
    }
    /// Order kinds.
    #[must_use]
    pub fn kinds(&self) -> &[OrderKind] {
        &self.kind
    }
    /// Order statuses.
    #[must_use]
    pub fn statuses(&self) -> &[OrderStatus] {
        &self.status
    }
    /// Subscription index per order (`u32::MAX` when none); ids in [`OrderLog::subscription_id`].
    #[must_use]
    pub fn subscription_index(&self) -> &[u32] {
        &self.subscription
    }
    /// Id of subscription `s` as seen on orders.
    #[must_use]
    pub fn subscription_id(&self, s: u32) -> &str {
        self.subscription_ids.get(s as usize)
    }
    /// Number of distinct subscription ids seen on orders.
    #[must_use]
    pub fn n_subscription_ids(&self) -> usize {
        self.subscription_ids.len()
    }
    /// Frees the orders' ids (afterwards [`OrderLog::order_id`] gives `None`), for work that
    /// never names an order once the log is read: the report, cohorts and repeat metrics.
    /// Ids were checked while reading (duplicates, lines of one order), so nothing else
    /// changes. On the benchmark's 1e7-order `base` log this lowered `kokyaku report`'s peak
    /// memory from 986 to 818 MiB.
    pub fn drop_order_ids(&mut self) {
        self.order_ids = None;
        self.order_source = Vec::new();
    }
    /// Order id of order `i`, when order ids were given.
    #[must_use]
    pub fn order_id(&self, i: usize) -> Option<&str> {
        let src = self.order_source.get(i).map_or(i, |&p| p as usize);
        self.order_ids.as_ref().map(|c| c.get(src))
    }
    /// Refunds and adjustments.
    #[must_use]
    pub fn refunds(&self) -> &RefundTable {
        &self.refunds
    }
    /// Subscription contracts from a subscription table.
    #[must_use]
    pub fn subscriptions(&self) -> &SubscriptionTable {
        &self.subscriptions
    }
    /// Order lines (empty when the input had none).
    #[must_use]
    pub fn lines(&self) -> &LineTable {
        &self.lines
    }
    /// Birth date of customer `c`.
    #[must_use]
    pub fn birth_date(&self, c: usize) -> Option<NaiveDate> {
        self.birth_date.get(c).copied().flatten()
    }
    /// Sign-up day of customer `c`.
    #[must_use]
    pub fn signed_up(&self, c: usize) -> Option<Day> {
        self.signed_up.get(c).copied().flatten()
    }
    /// Attributes of customer `c`.
    #[must_use]
    pub fn attributes(&self, c: usize) -> Option<&BTreeMap<String, String>> {
        self.attributes.get(c)
    }
    /// Whether a customer table was attached.
    #[must_use]
    pub fn has_customer_table(&self) -> bool {
        self.has_customer_table
    }
    /// Net amount (gross minus refunds linked to it) of every order, as `f64`.
    ///
    /// Refunds not linked to an order are not included; see the customer summary for totals.
    #[must_use]
    pub fn net_amounts_f64(&self) -> Vec<f64> {
        let scale = 10_f64.powi(self.amount.scale() as i32);
        let mut net: Vec<f64> = self
            .amount
            .units()
            .iter()
            .map(|&u| u as f64 / scale)
            .collect();
        let rs = 10_f64.powi(self.refunds.amount.scale() as i32);
        for (k, &o) in self.refunds.order.iter().enumerate() {
            if let Some(v) = net.get_mut(o as usize) {
                *v -= self.refunds.amount.units()[k] as f64 / rs;
            }
        }
        net
    }
    /// The last local day with an order (any status), if any.
    #[must_use]
    pub fn last_day(&self) -> Option<Day> {
        self.day.iter().copied().max()
    }
    /// The first local day with an order (any status), if any.
    #[must_use]
    pub fn first_day(&self) -> Option<Day> {
        self.day.iter().copied().min()
    }
    /// Resolves an analysis date: `as_of` itself (inclusive: orders on or before it count),
    /// or, when `None`, the day after the last order in the log (never the wall clock).
    #[must_use]
    pub fn as_of_day(&self, as_of: Option<NaiveDate>) -> Day {
        match as_of {
            Some(d) => date_to_day(d),
            None => self.last_day().map_or(0, |d| d + 1),
        }
    }
    /// The local day of a UTC instant in this log's time zone.
    #[must_use]
    pub fn day_of(&self, unix_seconds: i64) -> Day {
        day_in_tz(self.tz, unix_seconds)
    }
    /// The log with a customer table merged in: customers new to the log join with zero
    /// orders (in natural id order, like every customer); known ones get their birth date,
    /// sign-up and attributes.
    ///
    /// # Errors
    /// `invalid_value` for a blank customer id.
    pub fn with_customers(self, customers: &[Customer]) -> Result<OrderLog> {
        if customers.is_empty() {
            return Ok(self);
        }
        let n_old = self.n_customers();
        // Every id, old then new, and its rank in natural order.
        let mut ids = CustomerIds::new();
        for c in 0..n_old {
            ids.intern(self.customer_id(c));
        }
        for c in customers {
            if c.id.trim().is_empty() {
                return Err(Error::InvalidValue {
                    value: c.id.clone(),
                    location: Location::column("id"),
                    reason: "customer id is empty".into(),
                });
            }
            ids.intern(&c.id);
        }
        let n = ids.len();
        let by_id = ids.natural_order();
        let mut rank = vec![0u32; n];
        for (r, &c) in by_id.iter().enumerate() {
            rank[c as usize] = r as u32;
        }
        let mut offsets = vec![0u32; n + 1];
        let mut refund_offsets = vec![0u32; n + 1];
        for (old, &r) in rank.iter().enumerate().take(n_old) {
            let r = r as usize;
            offsets[r + 1] = self.order_range(old).len() as u32;
            refund_offsets[r + 1] = self.refund_range(old).len() as u32;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
            refund_offsets[i + 1] += refund_offsets[i];
        }
        // Old customers keep their relative order (new ids only slot in between), so orders and
        // refunds stay where they are.
        let mut birth_date = vec![None; n];
        let mut signed_up = vec![None; n];
        let mut attributes = vec![BTreeMap::new(); n];
        for (old, &r) in rank
            .iter()
            .enumerate()
            .take(n_old.min(self.birth_date.len()))
        {
            let r = r as usize;
            birth_date[r] = self.birth_date[old];
            signed_up[r] = self.signed_up.get(old).copied().flatten();
            attributes[r] = self.attributes.get(old).cloned().unwrap_or_default();
        }
        for c in customers {
            let r = ids.lookup(&c.id).map_or(0, |i| rank[i as usize] as usize);
            birth_date[r] = c.birth_date.or(birth_date[r]);
            if let Some(t) = c.signed_up_at {
                signed_up[r] = Some(day_in_tz(self.tz, t.timestamp()));
            }
            for (k, v) in &c.attributes {
                attributes[r].insert(k.clone(), v.clone());
            }
        }
        let mut refunds = self.refunds;
        for c in &mut refunds.customer {
            *c = rank[*c as usize];
        }
        let mut subscriptions = self.subscriptions;
        for c in &mut subscriptions.customer {
            *c = rank[*c as usize];
        }
        Ok(OrderLog {
            customer_ids: std::sync::Arc::new(ids.into_values().permuted(&by_id)),
            offsets,
            birth_date,
            signed_up,
            attributes,
            has_customer_table: true,
            refunds,
            refund_offsets,
            subscriptions,
            ..self
        })
    }

    /// Approximate heap bytes held by the log.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.customer_ids.heap_bytes()
            + self.offsets.capacity() * 4
            + self.order_ids.as_ref().map_or(0, StrColumn::heap_bytes)
            + self.placed_at.capacity() * 8
            + self.day.capacity() * 4
            + self.amount.len() * 8
            + self.kind.capacity()
            + self.status.capacity()
            + self.subscription.capacity() * 4
    }
}

/// Local calendar day of a UTC instant in a time zone.
#[must_use]
pub fn day_in_tz(tz: Tz, unix_seconds: i64) -> Day {
    // The zone's offset at that instant, added to the seconds: no local date-time is built,
    // so an instant at the edge of chrono's range cannot overflow one.
    let offset = match DateTime::<Utc>::from_timestamp(unix_seconds, 0) {
        Some(t) if tz != Tz::UTC => i64::from(
            tz.offset_from_utc_datetime(&t.naive_utc())
                .fix()
                .local_minus_utc(),
        ),
        _ => 0,
    };
    unix_seconds.saturating_add(offset).div_euclid(86_400) as Day
}

/// Builds an [`OrderLog`] row by row, without per-row allocation.
#[derive(Debug)]
pub struct OrderLogBuilder {
    tz: Tz,
    currency: Option<String>,
    customers: CustomerIds,
    birth_date: Vec<Option<NaiveDate>>,
    signed_up: Vec<Option<Day>>,
    attributes: Vec<BTreeMap<String, String>>,
    has_customer_table: bool,
    order_ids: Option<OrderIds>,
    customer: Vec<u32>,
    placed_at: Vec<i64>,
    day: Vec<Day>,
    amount: MoneyColumn,
    kind: Vec<OrderKind>,
    status: Vec<OrderStatus>,
    subscription: Vec<u32>,
    subscription_ids: Interner,
    refunds: RefundTable,
    pending_refund_orders: Vec<Option<String>>,
    subscriptions: SubscriptionTable,
    last_customer: Option<u32>,
    last_customer_id: String,
    reserve_hint: usize,
    /// Lines by pushed (unsorted) order index; sorted into [`LineTable`] by `finish`.
    line_order: Vec<u32>,
    line_sku: Vec<u32>,
    line_quantity: Vec<Decimal>,
    line_unit_price: Vec<Decimal>,
    skus: Interner,
}

impl OrderLogBuilder {
    /// A builder counting days in `tz`.
    #[must_use]
    pub fn new(tz: Tz) -> Self {
        Self {
            tz,
            currency: None,
            customers: CustomerIds::new(),
            birth_date: Vec::new(),
            signed_up: Vec::new(),
            attributes: Vec::new(),
            has_customer_table: false,
            order_ids: None,
            customer: Vec::new(),
            placed_at: Vec::new(),
            day: Vec::new(),
            amount: MoneyColumn::new(),
            kind: Vec::new(),
            status: Vec::new(),
            subscription: Vec::new(),
            subscription_ids: Interner::new(),
            refunds: RefundTable::default(),
            pending_refund_orders: Vec::new(),
            subscriptions: SubscriptionTable::default(),
            last_customer: None,
            last_customer_id: String::new(),
            reserve_hint: 0,
            line_order: Vec::new(),
            line_sku: Vec::new(),
            line_quantity: Vec::new(),
            line_unit_price: Vec::new(),
            skus: Interner::new(),
        }
    }

    /// Reserves room for `n` orders.
    pub fn reserve(&mut self, n: usize) {
        self.reserve_hint = n;
        self.customers.expect_rows(n);
        self.customer.reserve(n);
        self.amount.reserve(n);
        self.placed_at.reserve(n);
        self.day.reserve(n);
        self.kind.reserve(n);
        self.status.reserve(n);
        self.subscription.reserve(n);
    }

    /// The time zone.
    #[must_use]
    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// The local day of a UTC instant.
    #[must_use]
    pub fn day_of(&self, unix_seconds: i64) -> Day {
        day_in_tz(self.tz, unix_seconds)
    }

    /// Records the currency of an amount; a second, different currency is an error.
    pub fn set_currency(&mut self, code: &str, location: impl FnOnce() -> Location) -> Result<()> {
        merge_currency(&mut self.currency, code, location)
    }

    fn customer_index(&mut self, id: &str) -> u32 {
        self.customers.intern(id)
    }

    /// Adds (or completes) a customer record.
    pub fn add_customer(&mut self, c: &Customer) -> Result<()> {
        if c.id.trim().is_empty() {
            return Err(Error::InvalidValue {
                value: c.id.clone(),
                location: Location::column("id"),
                reason: "customer id is empty".into(),
            });
        }
        self.has_customer_table = true;
        let i = self.customer_index(&c.id) as usize;
        let n = self.customers.len();
        self.birth_date.resize(n, None);
        self.signed_up.resize(n, None);
        self.attributes.resize(n, BTreeMap::new());
        self.birth_date[i] = c.birth_date.or(self.birth_date[i]);
        if let Some(t) = c.signed_up_at {
            self.signed_up[i] = Some(day_in_tz(self.tz, t.timestamp()));
        }
        for (k, v) in &c.attributes {
            self.attributes[i].insert(k.clone(), v.clone());
        }
        Ok(())
    }

    /// Adds a subscription contract.
    pub fn add_subscription(&mut self, s: &Subscription) {
        let c = self.customer_index(&s.customer_id);
        let t = &mut self.subscriptions;
        t.id.push(s.id.clone());
        t.customer.push(c);
        t.started.push(day_in_tz(self.tz, s.started_at.timestamp()));
        t.cycles.push(s.cycles);
        t.status.push(s.status);
        t.cancelled
            .push(s.cancelled_at.map(|x| day_in_tz(self.tz, x.timestamp())));
        t.product.push(s.product.clone());
    }

    /// Warms the customer lookup for the ids about to be pushed (see [`CustomerIds::warm`]).
    pub fn warm_customers<'a>(&self, ids: impl Iterator<Item = &'a str>) {
        self.customers.warm(ids);
    }

    /// Warms the customer lookup for integer ids about to be pushed as their decimal text
    /// (see [`CustomerIds::warm_numbers`]).
    pub fn warm_customer_numbers(&self, ids: impl Iterator<Item = i64>) {
        self.customers.warm_numbers(ids);
    }

    /// Finds an order already pushed by its id.
    #[must_use]
    pub fn find_order(&self, order_id: &str) -> Option<usize> {
        self.order_ids
            .as_ref()
            .and_then(|o| o.lookup(order_id))
            .map(|i| i as usize)
    }

    /// Customer id of a pushed order.
    #[must_use]
    pub fn order_customer(&self, i: usize) -> &str {
        self.customer
            .get(i)
            .map_or("", |&c| self.customers.values().get(c as usize))
    }

    /// Appends an order. Returns `Ok(None)` when `order_id` was already pushed (the caller
    /// applies its duplicate policy, e.g. with [`OrderLogBuilder::add_line`]).
    #[allow(clippy::too_many_arguments)]
    pub fn push_order(
        &mut self,
        customer_id: &str,
        order_id: Option<&str>,
        placed_at: i64,
        day: Day,
        amount: Decimal,
        kind: OrderKind,
        status: OrderStatus,
        subscription_id: Option<&str>,
        location: impl Fn() -> Location,
    ) -> Result<Option<usize>> {
        let n = self.day.len();
        if register_order_id(&mut self.order_ids, n, order_id, self.reserve_hint)? {
            return Ok(None);
        }
        // Logs are often grouped by customer: skip the hash lookup on a repeat of the last id.
        let c = match self.last_customer {
            Some(c) if self.last_customer_id == customer_id => c,
            _ => {
                let c = self.customer_index(customer_id);
                self.last_customer_id.clear();
                self.last_customer_id.push_str(customer_id);
                c
            }
        };
        self.last_customer = Some(c);
        self.amount.push(amount, location)?;
        self.customer.push(c);
        self.placed_at.push(placed_at);
        self.day.push(day);
        self.kind.push(kind);
        self.status.push(status);
        self.subscription.push(
            subscription_id
                .filter(|s| !s.is_empty())
                .map_or(NONE, |s| self.subscription_ids.intern(s)),
        );
        Ok(Some(n))
    }

    /// Takes a batch of plain new orders at once, exactly as pushing each order (and adding
    /// the joined first one's amount as a line) would: `Some(joined)`, or `None`, with nothing
    /// changed, when it cannot (an order id seen before, an amount the per-row path would
    /// refuse); the caller then pushes the rows one by one.
    #[cfg(feature = "parquet")]
    #[allow(clippy::match_wildcard_for_single_variants)]
    pub(crate) fn push_plain(&mut self, b: &crate::io::PlainBatch) -> Option<bool> {
        use crate::io::plain::{CANCELLED, Join, KIND_SUBSCRIPTION};
        let rows = b.rows;
        if rows == 0 {
            return None;
        }
        let n = self.day.len();
        let mut buf = String::new();
        // Every order has an id, or none has (the per-row path reports the first that differs).
        let joined = match (&b.orders, &self.order_ids) {
            (None, None) => None,
            (Some(_), None) if n == 0 => None,
            (Some(run), Some(ids)) => match ids.lookup(run.id_at(0, &mut buf)) {
                None => None,
                // The first order repeats an order read before: further lines of it (with its
                // customer, and its time under `sum_lines`), else the per-row path decides.
                Some(i) => {
                    let i = i as usize;
                    let oc = self.customer[i] as usize;
                    let same_customer =
                        self.customers.values().get(oc) == b.customers.id_at(0, &mut buf);
                    let same_time = b.join != Join::SameTime || self.placed_at[i] == b.secs[0];
                    if b.join == Join::No || !same_customer || !same_time {
                        return None;
                    }
                    Some(i)
                }
            },
            _ => return None,
        };
        let skip = usize::from(joined.is_some());
        let plan =
            self.amount
                .plan_extend(b.scale, b.max_units, joined.map(|i| (i, b.units[0])))?;
        // Order ids: new ones only, none repeating (within the batch too).
        if let Some(run) = &b.orders {
            let ids = self
                .order_ids
                .get_or_insert_with(|| OrderIds::new(self.reserve_hint));
            let (mut text, mut ends) = (String::new(), Vec::with_capacity(rows - skip));
            for i in skip..rows {
                text.push_str(run.id_at(i, &mut buf));
                ends.push(u32::try_from(text.len()).ok()?);
            }
            let at =
                |k: usize| &text[if k == 0 { 0 } else { ends[k - 1] as usize }..ends[k] as usize];
            let first = run.numbers.get(skip).copied().unwrap_or(0);
            let fast = rows > skip
                && (run.rising && ids.extend_rising(&run.prefix, first, run.last, &text, &ends)
                    || run.same_width
                        && ids.extend_dense(
                            &run.prefix,
                            run.width,
                            &run.numbers[skip..],
                            &text,
                            &ends,
                        ));
            if !fast && rows > skip {
                let mut repeats = false;
                if !run.rising {
                    // Of one width: equal numbers are equal ids.
                    let mut sorted = run.numbers[skip..].to_vec();
                    sorted.sort_unstable();
                    repeats = sorted.windows(2).any(|w| w[0] == w[1]);
                }
                if repeats || (0..ends.len()).any(|k| ids.lookup(at(k)).is_some()) {
                    if n == 0 && ids.is_empty() {
                        self.order_ids = None;
                    }
                    return None;
                }
                for k in 0..ends.len() {
                    ids.insert(at(k));
                }
            }
        }
        self.amount.extend_planned(
            plan,
            b.scale,
            joined.map(|i| (i, b.units[0])),
            &b.units[skip..],
        );
        // Customers in row order, as pushing each order interns them.
        let new = rows - skip;
        self.customer.reserve(new);
        match &b.customers {
            crate::io::plain::Customers::Ints(v) => {
                self.customers
                    .intern_numbers(&v[skip..], &mut self.customer);
            }
            crate::io::plain::Customers::Numbered(m) => {
                self.customers.intern_member_numbers(
                    &m.prefix,
                    m.width,
                    &m.numbers[skip..],
                    &mut self.customer,
                );
            }
            // Dictionary ids: each distinct value once, in the order of its first row (the
            // order row by row interns them; a joined first row's customer exists already).
            crate::io::plain::Customers::Dict(d) => {
                let mut of_value = Vec::with_capacity(d.ends.len());
                self.customers
                    .intern_text(&d.text, &d.ends, &d.hashes, None, 0, &mut of_value);
                self.customer
                    .extend(d.keys[skip..].iter().map(|&k| of_value[k as usize]));
            }
            crate::io::plain::Customers::Text {
                text,
                ends,
                hashes,
                hex,
            } => {
                self.customers.intern_text(
                    text,
                    ends,
                    hashes,
                    hex.as_ref(),
                    skip,
                    &mut self.customer,
                );
            }
        }
        self.last_customer = None;
        self.last_customer_id.clear();
        self.placed_at.extend_from_slice(&b.secs[skip..]);
        self.day.extend_from_slice(&b.days[skip..]);
        let flags = &b.flags[skip..];
        self.kind.extend(flags.iter().map(|&f| {
            if f & KIND_SUBSCRIPTION != 0 {
                OrderKind::Subscription
            } else {
                OrderKind::OneOff
            }
        }));
        self.status.extend(flags.iter().map(|&f| {
            if f & CANCELLED != 0 {
                OrderStatus::Cancelled
            } else {
                OrderStatus::Completed
            }
        }));
        match &b.subscriptions {
            None => self
                .subscription
                .resize(self.subscription.len() + new, NONE),
            Some((text, ends)) => {
                let mut start = if skip == 0 {
                    0
                } else {
                    ends[skip - 1] as usize
                };
                for &end in &ends[skip..] {
                    let id = text.get(start..end as usize).unwrap_or_default();
                    self.subscription.push(if id.is_empty() {
                        NONE
                    } else {
                        self.subscription_ids.intern(id)
                    });
                    start = end as usize;
                }
            }
        }
        Some(joined.is_some())
    }

    /// Whether `customer_id` is the customer of the latest pushed order.
    #[must_use]
    pub(crate) fn last_customer_is(&self, customer_id: &str) -> bool {
        self.last_customer.is_some()
            && self.customer.last() == self.last_customer.as_ref()
            && self.last_customer_id == customer_id
    }

    /// Placement time (Unix seconds) of a pushed order.
    #[must_use]
    pub fn order_placed_at(&self, i: usize) -> Option<i64> {
        self.placed_at.get(i).copied()
    }

    /// Adds a line's amount to order `i` (line items of one order roll up).
    pub fn add_line(
        &mut self,
        i: usize,
        amount: Decimal,
        location: impl Fn() -> Location,
    ) -> Result<()> {
        self.amount.add_to(i, amount, location)
    }

    /// Records a line (SKU, quantity, unit price) of pushed order `i`. The caller keeps the
    /// order's amount equal to the sum of its lines (readers add each line's amount with
    /// [`OrderLogBuilder::add_line`]; [`OrderLog::from_records`] checks it).
    pub fn push_line(&mut self, i: usize, sku: &str, quantity: Decimal, unit_price: Decimal) {
        self.line_order.push(i as u32);
        self.line_sku.push(self.skus.intern(sku));
        self.line_quantity.push(quantity);
        self.line_unit_price.push(unit_price);
    }

    /// Appends a refund (positive magnitude), linked to `order_id` when that order exists
    /// (also when it is pushed later).
    pub fn push_refund(
        &mut self,
        customer_id: &str,
        order_id: Option<&str>,
        day: Day,
        amount: Decimal,
        location: impl Fn() -> Location,
    ) -> Result<()> {
        let c = self.customer_index(customer_id);
        self.refunds.amount.push(amount.abs(), location)?;
        self.refunds.customer.push(c);
        self.refunds.day.push(day);
        self.refunds.order.push(NONE);
        self.pending_refund_orders.push(order_id.map(str::to_owned));
        Ok(())
    }

    /// Number of orders pushed.
    #[must_use]
    pub fn n_orders(&self) -> usize {
        self.day.len()
    }

    /// Number of customers seen.
    #[must_use]
    pub fn n_customers(&self) -> usize {
        self.customers.len()
    }

    /// Sorts and freezes the log: customers in natural id order, orders by time within each.
    #[must_use]
    pub fn finish(mut self) -> OrderLog {
        // Link refunds to orders now that every order is known.
        for (k, oid) in self.pending_refund_orders.iter().enumerate() {
            if let Some(oid) = oid {
                if let Some(i) = self.order_ids.as_ref().and_then(|o| o.lookup(oid)) {
                    self.refunds.order[k] = i;
                }
            }
        }
        let n_cust = self.customers.len();
        // Rank customers by natural id order (skip the sort when already in order).
        let by_id = self.customers.natural_order();
        // The ids in natural order are written on a second core while the orders are sorted
        // and reordered (the string copies wait on memory, the column gathers on bandwidth).
        let values = std::mem::take(&mut self.customers).into_values();
        let (customer_ids, sorted) = crate::par::join(&|| values.permuted(&by_id), || {
            let mut rank = vec![0u32; n_cust];
            for (r, &c) in by_id.iter().enumerate() {
                rank[c as usize] = r as u32;
            }
            // Counting sort of orders by customer rank, then by time within a customer.
            let n = self.day.len();
            // Each order's customer becomes its rank in place (one random read per order,
            // not one per pass; the column is dropped below).
            for c in &mut self.customer {
                *c = rank[*c as usize];
            }
            let (offsets, mut perm) = group_rows(&self.customer, n_cust);
            let placed = &self.placed_at;
            // Input in time order (as exports are): the stable counting sort kept it within each
            // customer, nothing to check per customer.
            let time_ordered = placed.windows(2).all(|w| w[0] <= w[1]);
            if !time_ordered {
                // The customers in two runs of about half the orders each, one per core (their
                // rows in `perm` do not overlap).
                let half = offsets
                    .partition_point(|&o| (o as usize) < n / 2)
                    .min(n_cust);
                let cut = offsets[half] as usize;
                let (lo, hi) = perm.split_at_mut(cut);
                crate::par::join_once(
                    || sort_by_time(lo, &offsets[..=half], 0, placed),
                    || sort_by_time(hi, &offsets[half..], cut, placed),
                );
            }
            let identity = perm.iter().enumerate().all(|(k, &p)| k as u32 == p);
            let lines = self.sorted_lines(&perm, identity, n);
            let mut inverse = Vec::new();
            if !identity && self.refunds.order.iter().any(|&o| o != NONE) {
                inverse = vec![0u32; n];
                for (k, &p) in perm.iter().enumerate() {
                    inverse[p as usize] = k as u32;
                }
            }
            // Reorder column by column, freeing each old column at once (the peak is the log plus
            // a column, not two logs).
            drop(std::mem::take(&mut self.customer));
            let cols = Columns {
                placed_at: std::mem::take(&mut self.placed_at),
                day: std::mem::take(&mut self.day),
                kind: std::mem::take(&mut self.kind),
                status: std::mem::take(&mut self.status),
                subscription: std::mem::take(&mut self.subscription),
                amount: std::mem::take(&mut self.amount),
            };
            let cols = if identity {
                cols
            } else {
                cols.reordered(&perm)
            };
            (rank, offsets, identity, lines, inverse, cols, perm)
        });
        drop(values);
        let (rank, offsets, identity, lines, inverse, cols, perm) = sorted;
        let Columns {
            placed_at,
            day,
            kind,
            status,
            subscription,
            amount,
        } = cols;
        let order_ids = self.order_ids.map(OrderIds::into_values);
        // Refunds: grouped by customer rank, by day within.
        let nr = self.refunds.customer.len();
        let mut rperm: Vec<u32> = (0..nr as u32).collect();
        let rc = &self.refunds.customer;
        let rd = &self.refunds.day;
        rperm.sort_by_key(|&k| (rank[rc[k as usize] as usize], rd[k as usize]));
        let mut refund_offsets = vec![0u32; n_cust + 1];
        for &c in rc {
            refund_offsets[rank[c as usize] as usize + 1] += 1;
        }
        for i in 0..n_cust {
            refund_offsets[i + 1] += refund_offsets[i];
        }
        let refunds = RefundTable {
            customer: rperm
                .iter()
                .map(|&k| rank[rc[k as usize] as usize])
                .collect(),
            day: permute(rd, &rperm),
            amount: self.refunds.amount.permuted(&rperm),
            order: rperm
                .iter()
                .map(|&k| {
                    let o = self.refunds.order[k as usize];
                    if o == NONE || identity {
                        o
                    } else {
                        inverse[o as usize]
                    }
                })
                .collect(),
        };
        let mut subscriptions = self.subscriptions;
        for c in &mut subscriptions.customer {
            *c = rank[*c as usize];
        }
        if self.has_customer_table {
            self.birth_date.resize(n_cust, None);
            self.signed_up.resize(n_cust, None);
        }
        OrderLog {
            tz: self.tz,
            currency: self.currency,
            customer_ids: std::sync::Arc::new(customer_ids),
            offsets,
            birth_date: if self.has_customer_table {
                permute(&self.birth_date, &by_id)
            } else {
                Vec::new()
            },
            signed_up: if self.has_customer_table {
                permute(&self.signed_up, &by_id)
            } else {
                Vec::new()
            },
            attributes: if self.has_customer_table {
                self.attributes.resize(n_cust, BTreeMap::new());
                by_id
                    .iter()
                    .map(|&c| std::mem::take(&mut self.attributes[c as usize]))
                    .collect()
            } else {
                Vec::new()
            },
            has_customer_table: self.has_customer_table,
            order_source: if identity || order_ids.is_none() {
                Vec::new()
            } else {
                perm
            },
            order_ids,
            placed_at,
            day,
            amount,
            kind,
            status,
            subscription,
            subscription_ids: self.subscription_ids.into_values(),
            refunds,
            refund_offsets,
            subscriptions,
            lines,
        }
    }

    /// The lines grouped by sorted order (a counting sort; input order kept within an order).
    fn sorted_lines(&mut self, perm: &[u32], identity: bool, n: usize) -> LineTable {
        if self.line_order.is_empty() {
            return LineTable::default();
        }
        let mut pos = Vec::new();
        if !identity {
            pos = vec![0u32; n];
            for (k, &p) in perm.iter().enumerate() {
                pos[p as usize] = k as u32;
            }
        }
        let sorted = |o: u32| if identity { o } else { pos[o as usize] };
        let mut offsets = vec![0u32; n + 1];
        for &o in &self.line_order {
            offsets[sorted(o) as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut cursor = offsets.clone();
        let mut lperm = vec![0u32; self.line_order.len()];
        for (k, &o) in self.line_order.iter().enumerate() {
            let s = sorted(o) as usize;
            lperm[cursor[s] as usize] = k as u32;
            cursor[s] += 1;
        }
        LineTable {
            offsets,
            sku: permute(&self.line_sku, &lperm),
            quantity: permute(&self.line_quantity, &lperm),
            unit_price: permute(&self.line_unit_price, &lperm),
            skus: std::mem::take(&mut self.skus).into_values(),
        }
    }
}

/// Records the currency `code` of an amount in `currency` (the first one seen); a second,
/// different currency is an error. Blank codes are ignored.
pub(crate) fn merge_currency(
    currency: &mut Option<String>,
    code: &str,
    location: impl FnOnce() -> Location,
) -> Result<()> {
    let code = code.trim();
    if code.is_empty() {
        return Ok(());
    }
    match currency {
        None => {
            *currency = Some(code.to_ascii_uppercase());
            Ok(())
        }
        Some(c) if c.eq_ignore_ascii_case(code) => Ok(()),
        Some(c) => Err(Error::MixedCurrency {
            first: c.clone(),
            second: code.to_owned(),
            location: location(),
        }),
    }
}

/// A set of order ids in insertion order ([`OrderIds`], or the summary's
/// [`super::strings::OrderIdSet`]).
pub(crate) trait IdSet {
    /// Empty, expecting about `n` ids.
    fn with_room(n: usize) -> Self;
    /// Inserts `id`; the index of an equal id inserted before, if any.
    fn insert_id(&mut self, id: &str) -> Option<u32>;
}

impl IdSet for OrderIds {
    fn with_room(n: usize) -> Self {
        OrderIds::new(n)
    }
    fn insert_id(&mut self, id: &str) -> Option<u32> {
        self.insert(id)
    }
}

impl IdSet for super::strings::OrderIdSet {
    fn with_room(n: usize) -> Self {
        Self::new(n)
    }
    fn insert_id(&mut self, id: &str) -> Option<u32> {
        self.insert(id)
    }
}

/// Registers `order_id` as the id of the `n`-th order (0-based): `Ok(true)` when it was seen
/// before. Every order has an id, or none has.
pub(crate) fn register_order_id<T: IdSet>(
    ids: &mut Option<T>,
    n: usize,
    order_id: Option<&str>,
    reserve_hint: usize,
) -> Result<bool> {
    match (order_id, ids.as_mut()) {
        (Some(oid), Some(ids)) => Ok(ids.insert_id(oid).is_some()),
        (Some(oid), None) => {
            if n > 0 {
                return Err(Error::option(
                    "order id",
                    oid,
                    "give an order id for every order or for none",
                ));
            }
            let mut fresh = T::with_room(reserve_hint);
            fresh.insert_id(oid);
            *ids = Some(fresh);
            Ok(false)
        }
        (None, Some(_)) => Err(Error::option(
            "order id",
            "(missing)",
            "give an order id for every order or for none",
        )),
        (None, None) => Ok(false),
    }
}

/// The per-order columns the builder reorders.
struct Columns {
    placed_at: Vec<i64>,
    day: Vec<Day>,
    kind: Vec<OrderKind>,
    status: Vec<OrderStatus>,
    subscription: Vec<u32>,
    amount: MoneyColumn,
}

impl Columns {
    fn reordered(self, perm: &[u32]) -> Self {
        let Columns {
            placed_at,
            day,
            kind,
            status,
            subscription,
            amount,
        } = self;
        // Two runs of columns, one per core, each old column freed as soon as its copy exists
        // (the peak is the log plus two columns; `report`'s peak, which comes later, did not
        // move). An earlier try found no gain; measured again with the ids' copy (the other
        // side of `finish`'s join) mostly done by this point: 0.45-0.50 → 0.28-0.33 s at 10M
        // orders.
        let (times, rest) = crate::par::join_once(
            || {
                let placed_at = permute_owned(placed_at, perm);
                let kind = permute_owned(kind, perm);
                let status = permute_owned(status, perm);
                (placed_at, kind, status)
            },
            || {
                let day = permute_owned(day, perm);
                let subscription = permute_owned(subscription, perm);
                let amount = amount.permuted(perm);
                (day, subscription, amount)
            },
        );
        // `None` cannot come back: a panic on the helper resumes here first (`join_once`).
        let (placed_at, kind, status) = times.unwrap_or_default();
        let (day, subscription, amount) = rest;
        Columns {
            placed_at,
            day,
            kind,
            status,
            subscription,
            amount,
        }
    }
}

/// Takes the column by value so that it is freed as soon as its permuted copy exists. A
/// constant column (no kinds, no subscriptions in the input) is returned as it is.
fn permute_owned<T: Copy + PartialEq>(v: Vec<T>, perm: &[u32]) -> Vec<T> {
    if v.first().is_none_or(|f| v.iter().all(|x| x == f)) {
        return v;
    }
    permute(&v, perm)
}

/// Sorts each customer's rows by placement time (stable: equal times keep input order), where
/// they are not in order already: `rows` holds the rows of the customers whose bounds are
/// `offsets` (positions in the whole grouping, `rows` starting at `start`).
fn sort_by_time(rows: &mut [u32], offsets: &[u32], start: usize, placed: &[i64]) {
    for w in offsets.windows(2) {
        let s = &mut rows[w[0] as usize - start..w[1] as usize - start];
        if s.len() > 1
            && !s
                .windows(2)
                .all(|p| placed[p[0] as usize] <= placed[p[1] as usize])
        {
            s.sort_by_key(|&i| placed[i as usize]);
        }
    }
}

/// Rows grouped by their key (a stable counting sort): `offsets` (`n_keys + 1`, group `k` is
/// `rows[offsets[k]..offsets[k + 1]]`) and the row indices, in input order within a group.
/// Every key is below `n_keys`. Above [`GROUP_ON_TWO`] rows the two halves of the rows are
/// counted and placed on two cores: each key's rows of the first half go before those of the
/// second, so the result is the same.
pub(crate) fn group_rows(keys: &[u32], n_keys: usize) -> (Vec<u32>, Vec<u32>) {
    if keys.len() < GROUP_ON_TWO {
        group_rows_here(keys, n_keys)
    } else {
        group_rows_in_halves(keys, n_keys)
    }
}

/// [`group_rows`] on this thread.
fn group_rows_here(keys: &[u32], n_keys: usize) -> (Vec<u32>, Vec<u32>) {
    let mut offsets = vec![0u32; n_keys + 1];
    for &k in keys {
        offsets[k as usize + 1] += 1;
    }
    for i in 0..n_keys {
        offsets[i + 1] += offsets[i];
    }
    let mut cursor = offsets.clone();
    let mut rows = vec![0u32; keys.len()];
    for (i, &k) in keys.iter().enumerate() {
        rows[cursor[k as usize] as usize] = i as u32;
        cursor[k as usize] += 1;
    }
    (offsets, rows)
}

/// [`group_rows`] with each half of the rows counted and placed on its own core.
fn group_rows_in_halves(keys: &[u32], n_keys: usize) -> (Vec<u32>, Vec<u32>) {
    use std::sync::atomic::{AtomicU32, Ordering};
    let (a, b) = keys.split_at(keys.len() / 2);
    let count = |half: &[u32]| {
        let mut n = vec![0u32; n_keys];
        for &k in half {
            n[k as usize] += 1;
        }
        n
    };
    let (mut next_a, mut next_b) = crate::par::join(&|| count(a), || count(b));
    // Each key's first place for its rows of the first half, and of the second after them.
    let mut offsets = vec![0u32; n_keys + 1];
    for k in 0..n_keys {
        let start = offsets[k];
        offsets[k + 1] = start + next_a[k] + next_b[k];
        next_b[k] = start + next_a[k];
        next_a[k] = start;
    }
    // The halves write disjoint places of one column: relaxed atomic stores (plain stores on
    // the usual targets) instead of unsafe code, the column unwrapped in place after.
    let rows: Vec<AtomicU32> = (0..keys.len()).map(|_| AtomicU32::new(0)).collect();
    let place = |half: &[u32], first_row: usize, next: &mut [u32]| {
        for (i, &k) in half.iter().enumerate() {
            let at = &mut next[k as usize];
            rows[*at as usize].store((first_row + i) as u32, Ordering::Relaxed);
            *at += 1;
        }
    };
    crate::par::join_once(
        || place(a, 0, &mut next_a),
        || place(b, a.len(), &mut next_b),
    );
    let rows = rows.into_iter().map(AtomicU32::into_inner).collect();
    (offsets, rows)
}

/// Rows from which [`group_rows`] counts and places on two cores.
const GROUP_ON_TWO: usize = 1 << 16;

fn permute<T: Copy>(v: &[T], perm: &[u32]) -> Vec<T> {
    perm.iter().map(|&p| v[p as usize]).collect()
}

/// Midnight at the start of a local date, as Unix seconds (the earliest instant of that day).
#[must_use]
pub fn local_midnight(tz: Tz, date: NaiveDate) -> i64 {
    let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => t.timestamp(),
        chrono::LocalResult::None => naive.and_utc().timestamp(),
    }
}

#[cfg(test)]
mod group_tests {
    use proptest::prelude::*;

    use super::{group_rows_here, group_rows_in_halves};

    proptest! {
        /// On two cores, the same grouping as on one: each key's rows in input order.
        #[test]
        fn grouping_in_halves_equals_grouping_here(
            (n_keys, keys) in (1usize..60).prop_flat_map(|n| {
                (Just(n), prop::collection::vec(0..n as u32, 0..500))
            }),
        ) {
            let here = group_rows_here(&keys, n_keys);
            prop_assert_eq!(group_rows_in_halves(&keys, n_keys), here.clone());
            let (offsets, rows) = here;
            for k in 0..n_keys {
                let group = &rows[offsets[k] as usize..offsets[k + 1] as usize];
                prop_assert!(group.windows(2).all(|w| w[0] < w[1]));
                prop_assert!(group.iter().all(|&r| keys[r as usize] == k as u32));
            }
        }
    }
}
