//! Per-customer summaries as of a date.
//!
//! See `docs/summary.md` for the exact definitions.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::model::{
    Day, OrderKind, OrderLog, OrderStatus, StrColumn, SubscriptionStatus, day_to_date,
};

/// Options of [`summarize`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SummaryOptions {
    /// Analysis date, inclusive (orders on or before it count). `None`: the day after the
    /// last order in the log.
    pub as_of: Option<NaiveDate>,
    /// A customer with no order for at least this many days is dormant (休眠). Default 120.
    pub dormant_days: u32,
    /// Without a subscription table, a subscriber whose last subscription order is at least
    /// this many days old counts as lapsed (`cancelled`). Default 60.
    pub subscription_lapse_days: u32,
}

impl Default for SummaryOptions {
    fn default() -> Self {
        Self {
            as_of: None,
            dormant_days: 120,
            subscription_lapse_days: 60,
        }
    }
}

/// A customer's subscription state in a summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionState {
    /// Never subscribed.
    None,
    /// At least one active subscription.
    Active,
    /// Subscriptions paused, none active.
    Paused,
    /// Every subscription ended (or lapsed, when inferred from orders).
    Cancelled,
}

impl SubscriptionState {
    /// The `snake_case` name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Active => "active",
            Self::Paused => "paused",
            Self::Cancelled => "cancelled",
        }
    }
}

/// One column per field, one row per customer (in the log's customer order).
#[derive(Debug, Clone)]
pub struct CustomerSummaries {
    /// The resolved analysis date.
    pub as_of: NaiveDate,
    /// Customer ids (shared with the log).
    pub customer_id: std::sync::Arc<StrColumn>,
    /// Day of the first completed order.
    pub first_order_day: Vec<Option<Day>>,
    /// Day of the last completed order.
    pub last_order_day: Vec<Option<Day>>,
    /// Completed orders.
    pub orders: Vec<u32>,
    /// Distinct days with a completed order.
    pub purchase_days: Vec<u32>,
    /// Completed subscription orders.
    pub subscription_orders: Vec<u32>,
    /// Cancelled orders.
    pub cancelled_orders: Vec<u32>,
    /// Days from the last order to as-of.
    pub recency_days: Vec<Option<u32>>,
    /// Days from the first to the last order.
    pub tenure_days: Vec<Option<u32>>,
    /// Days from the first order to as-of.
    pub age_days: Vec<Option<u32>>,
    /// Gross spend (completed orders). 128 bits: a customer's total of 64-bit order amounts
    /// never overflows (it did saturate in 64 bits), see [`decimal_units`].
    pub gross_units: Vec<i128>,
    /// Refunds and negative adjustments (positive magnitude).
    pub refund_units: Vec<i128>,
    /// Gross minus refunds, in units of `10^-money_scale`.
    pub net_units: Vec<i128>,
    /// Decimal places of the `*_units` columns (see [`CustomerSummaries::gross`]).
    pub money_scale: u32,
    /// Subscription state.
    pub subscription: Vec<SubscriptionState>,
    /// No order for at least `dormant_days`.
    pub dormant: Vec<bool>,
}

impl CustomerSummaries {
    /// Number of customers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.orders.len()
    }
    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }
    /// Row `i` as a record.
    #[must_use]
    pub fn record(&self, i: usize) -> SummaryRecord {
        SummaryRecord {
            customer_id: self.customer_id.get(i).to_owned(),
            first_order: self.first_order_day[i].map(day_to_date),
            last_order: self.last_order_day[i].map(day_to_date),
            orders: self.orders[i],
            purchase_days: self.purchase_days[i],
            subscription_orders: self.subscription_orders[i],
            cancelled_orders: self.cancelled_orders[i],
            recency_days: self.recency_days[i],
            tenure_days: self.tenure_days[i],
            age_days: self.age_days[i],
            gross: self.gross(i),
            refunds: self.refunds(i),
            net: self.net(i),
            average_order_value: self.average_order_value(i),
            subscription: self.subscription[i],
            dormant: self.dormant[i],
        }
    }
    fn money(&self, v: &[i128], i: usize) -> Decimal {
        v.get(i)
            .map_or(Decimal::ZERO, |&u| decimal_units(u, self.money_scale))
    }
    /// Gross spend of customer `i` (completed orders).
    #[must_use]
    pub fn gross(&self, i: usize) -> Decimal {
        self.money(&self.gross_units, i)
    }
    /// Refunds of customer `i` (positive magnitude).
    #[must_use]
    pub fn refunds(&self, i: usize) -> Decimal {
        self.money(&self.refund_units, i)
    }
    /// Net spend of customer `i` as `f64`, for scoring.
    #[must_use]
    pub fn net_f64(&self, i: usize) -> f64 {
        self.net_units
            .get(i)
            .map_or(0.0, |&u| u as f64 / 10_f64.powi(self.money_scale as i32))
    }
    /// Net spend of customer `i` (gross minus refunds).
    #[must_use]
    pub fn net(&self, i: usize) -> Decimal {
        self.money(&self.net_units, i)
    }
    /// Net spend over completed orders at `max(money_scale, 2)` decimals, rounded half to
    /// even (`None` without orders).
    #[must_use]
    pub fn average_order_value(&self, i: usize) -> Option<Decimal> {
        average(
            *self.net_units.get(i)?,
            self.money_scale,
            *self.orders.get(i)?,
        )
    }
    fn total(&self, v: &[i128]) -> Decimal {
        // At most 2^32 orders in a log, each below 2^63 units, scaled up by at most 10^8:
        // below 2^122, so the sum fits an i128.
        decimal_units(v.iter().sum(), self.money_scale)
    }
    /// Sum of gross spend over all customers (exact).
    #[must_use]
    pub fn total_gross(&self) -> Decimal {
        self.total(&self.gross_units)
    }
    /// Sum of refunds over all customers (exact).
    #[must_use]
    pub fn total_refunds(&self) -> Decimal {
        self.total(&self.refund_units)
    }
    /// Sum of net spend over all customers (exact).
    #[must_use]
    pub fn total_net(&self) -> Decimal {
        self.total(&self.net_units)
    }
    /// All rows as records (for bindings and JSON).
    #[must_use]
    pub fn records(&self) -> Vec<SummaryRecord> {
        (0..self.len()).map(|i| self.record(i)).collect()
    }
}

/// One customer's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRecord {
    /// Customer id.
    pub customer_id: String,
    /// Date of the first completed order.
    pub first_order: Option<NaiveDate>,
    /// Date of the last completed order.
    pub last_order: Option<NaiveDate>,
    /// Completed orders.
    pub orders: u32,
    /// Distinct purchase days.
    pub purchase_days: u32,
    /// Completed subscription orders.
    pub subscription_orders: u32,
    /// Cancelled orders.
    pub cancelled_orders: u32,
    /// Days since the last order.
    pub recency_days: Option<u32>,
    /// First to last order, days.
    pub tenure_days: Option<u32>,
    /// First order to as-of, days.
    pub age_days: Option<u32>,
    /// Gross spend.
    pub gross: Decimal,
    /// Refunds.
    pub refunds: Decimal,
    /// Net spend.
    pub net: Decimal,
    /// Average order value (net / orders).
    pub average_order_value: Option<Decimal>,
    /// Subscription state.
    pub subscription: SubscriptionState,
    /// Dormant flag.
    pub dormant: bool,
}

/// One customer's totals before the as-of arithmetic: what the pass over the grouped log
/// ([`summarize`]) and the streamed pass ([`crate::io::summarize_path`]) both accumulate.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Totals {
    pub(crate) first: Option<Day>,
    pub(crate) last: Option<Day>,
    pub(crate) orders: u32,
    pub(crate) purchase_days: u32,
    pub(crate) subscription_orders: u32,
    pub(crate) cancelled: u32,
    /// Completed orders, in units of the order amounts' scale.
    pub(crate) gross: i128,
    /// Refunds, in units of the refund amounts' scale.
    pub(crate) refunded: i128,
    pub(crate) last_sub_day: Option<Day>,
}

/// Turns per-customer [`Totals`] into summary rows.
pub(crate) struct SummaryBuilder<'a> {
    s: CustomerSummaries,
    as_of: Day,
    opts: &'a SummaryOptions,
    order_scale_up: i128,
    refund_scale_up: i128,
}

impl<'a> SummaryBuilder<'a> {
    /// Rows for `ids` (in order), with order amounts at `order_scale` decimals and refunds at
    /// `refund_scale`.
    pub(crate) fn new(
        ids: std::sync::Arc<StrColumn>,
        as_of: Day,
        order_scale: u32,
        refund_scale: u32,
        opts: &'a SummaryOptions,
    ) -> Self {
        let n = ids.len();
        let s = CustomerSummaries {
            as_of: day_to_date(as_of),
            customer_id: ids,
            first_order_day: Vec::with_capacity(n),
            last_order_day: Vec::with_capacity(n),
            orders: Vec::with_capacity(n),
            purchase_days: Vec::with_capacity(n),
            subscription_orders: Vec::with_capacity(n),
            cancelled_orders: Vec::with_capacity(n),
            recency_days: Vec::with_capacity(n),
            tenure_days: Vec::with_capacity(n),
            age_days: Vec::with_capacity(n),
            gross_units: Vec::with_capacity(n),
            refund_units: Vec::with_capacity(n),
            net_units: Vec::with_capacity(n),
            money_scale: order_scale.max(refund_scale),
            subscription: Vec::with_capacity(n),
            dormant: Vec::with_capacity(n),
        };
        Self {
            s,
            as_of,
            opts,
            order_scale_up: 10_i128.pow(refund_scale.saturating_sub(order_scale)),
            refund_scale_up: 10_i128.pow(order_scale.saturating_sub(refund_scale)),
        }
    }

    /// Appends the next customer's row; `table_state` is its state from a subscription table.
    pub(crate) fn push(&mut self, t: &Totals, table_state: Option<SubscriptionState>) {
        push_counts(&mut self.s, self.as_of, t);
        let m = self.rules().money(t, table_state);
        let s = &mut self.s;
        s.gross_units.push(m.gross);
        s.refund_units.push(m.refunded);
        s.net_units.push(m.net);
        s.subscription.push(m.state);
        s.dormant.push(m.dormant);
    }

    /// Appends `n` rows, row `i` from `total(i)` (no subscription table): the day and count
    /// columns here and the money and state columns on a helper thread, each pass reading the
    /// totals itself (no column is shared, so the rows are those of `n` calls of
    /// [`Self::push`]).
    pub(crate) fn push_all(&mut self, n: usize, total: &(dyn Fn(usize) -> Totals + Sync)) {
        use std::mem::take;
        let rules = self.rules();
        let s = &mut self.s;
        // The helper fills the builder's own (reserved) money columns and hands them back.
        let mut cols = (
            take(&mut s.gross_units),
            take(&mut s.refund_units),
            take(&mut s.net_units),
            take(&mut s.subscription),
            take(&mut s.dormant),
        );
        let money = || {
            for i in 0..n {
                let m = rules.money(&total(i), None);
                cols.0.push(m.gross);
                cols.1.push(m.refunded);
                cols.2.push(m.net);
                cols.3.push(m.state);
                cols.4.push(m.dormant);
            }
            cols
        };
        let as_of = self.as_of;
        let (cols, ()) = crate::par::join_once(money, || {
            for i in 0..n {
                push_counts(s, as_of, &total(i));
            }
        });
        // `money` runs exactly once, so the columns come back.
        if let Some(cols) = cols {
            (
                s.gross_units,
                s.refund_units,
                s.net_units,
                s.subscription,
                s.dormant,
            ) = cols;
        }
    }

    fn rules(&self) -> MoneyRules {
        MoneyRules {
            as_of: self.as_of,
            order_scale_up: self.order_scale_up,
            refund_scale_up: self.refund_scale_up,
            lapse_days: self.opts.subscription_lapse_days,
            dormant_days: self.opts.dormant_days,
        }
    }

    /// The summaries.
    pub(crate) fn finish(self) -> CustomerSummaries {
        self.s
    }
}

/// Appends the day and count columns of a customer's row.
fn push_counts(s: &mut CustomerSummaries, as_of: Day, t: &Totals) {
    s.first_order_day.push(t.first);
    s.last_order_day.push(t.last);
    s.orders.push(t.orders);
    s.purchase_days.push(t.purchase_days);
    s.subscription_orders.push(t.subscription_orders);
    s.cancelled_orders.push(t.cancelled);
    s.recency_days.push(recency(as_of, t));
    s.tenure_days
        .push(t.first.zip(t.last).map(|(f, l)| (l - f) as u32));
    s.age_days.push(t.first.map(|f| (as_of - f).max(0) as u32));
}

/// Days from the last order to as-of.
fn recency(as_of: Day, t: &Totals) -> Option<u32> {
    t.last.map(|l| (as_of - l).max(0) as u32)
}

/// What the money and state columns of a row need besides its totals.
#[derive(Clone, Copy)]
struct MoneyRules {
    as_of: Day,
    order_scale_up: i128,
    refund_scale_up: i128,
    lapse_days: u32,
    dormant_days: u32,
}

/// The money and state columns of a row.
struct MoneyRow {
    gross: i128,
    refunded: i128,
    net: i128,
    state: SubscriptionState,
    dormant: bool,
}

impl MoneyRules {
    fn money(self, t: &Totals, table_state: Option<SubscriptionState>) -> MoneyRow {
        let gross = t.gross * self.order_scale_up;
        let refunded = t.refunded * self.refund_scale_up;
        let state = match table_state {
            Some(st) => st,
            None => match t.last_sub_day {
                None => SubscriptionState::None,
                Some(d) if self.as_of - d < self.lapse_days as Day => SubscriptionState::Active,
                Some(_) => SubscriptionState::Cancelled,
            },
        };
        MoneyRow {
            gross,
            refunded,
            net: gross - refunded,
            state,
            dormant: recency(self.as_of, t).is_some_and(|r| r >= self.dormant_days),
        }
    }
}

/// Summarises every customer of `log` as of `opts.as_of`.
#[must_use]
pub fn summarize(log: &OrderLog, opts: &SummaryOptions) -> CustomerSummaries {
    let as_of = log.as_of_day(opts.as_of);
    let n = log.n_customers();
    let days = log.days();
    let status = log.statuses();
    let kinds = log.kinds();
    let subs = log.subscription_index();
    let amounts = log.amounts();
    let units = amounts.units();
    let refunds = log.refunds();
    let r_units = refunds.amount.units();
    let table_state = subscription_states(log, as_of);
    let mut out = SummaryBuilder::new(
        log.customer_ids().clone(),
        as_of,
        amounts.scale(),
        refunds.amount.scale(),
        opts,
    );
    for c in 0..n {
        let mut t = Totals::default();
        for i in log.order_range(c) {
            let d = days[i];
            if d > as_of {
                break; // sorted by time: the rest are later
            }
            if status[i] == OrderStatus::Cancelled {
                t.cancelled += 1;
                continue;
            }
            t.orders += 1;
            if t.last != Some(d) {
                t.purchase_days += 1;
            }
            if t.first.is_none() {
                t.first = Some(d);
            }
            t.last = Some(d);
            t.gross += i128::from(units[i]);
            if kinds[i] == OrderKind::Subscription || subs[i] != u32::MAX {
                t.subscription_orders += 1;
                t.last_sub_day = Some(d);
            }
        }
        for k in log.refund_range(c) {
            if refunds.day[k] <= as_of {
                t.refunded += i128::from(r_units[k]);
            }
        }
        out.push(&t, table_state.get(c).copied().flatten());
    }
    out.finish()
}

/// `units / 10^scale` as a [`Decimal`], exactly whenever it has at most 28 significant digits
/// (`Decimal` holds 96 bits): every per-customer total up to 7.9e28 minor units. A larger one
/// (more than 2^32 orders of the largest storable amount) loses its last digits, rounded half
/// to even, never clamped.
#[must_use]
pub fn decimal_units(units: i128, scale: u32) -> Decimal {
    let (mut u, mut sc) = (units, scale);
    loop {
        if let Ok(d) = Decimal::try_from_i128_with_scale(u, sc) {
            return d;
        }
        if sc == 0 {
            // Unreachable: summary totals are below 2^122 units at a scale of at most 8 (2^32
            // orders below 2^63 units, scaled up by at most 10^8), i.e. below 5.4e28 < 2^96
            // whole units, which fit at scale 0.
            return if u < 0 { Decimal::MIN } else { Decimal::MAX };
        }
        // One decimal less, rounded half to even.
        let (q, r) = (u / 10, u % 10);
        let up = r.abs() > 5 || (r.abs() == 5 && q % 2 != 0);
        u = if up { q + u.signum() } else { q };
        sc -= 1;
    }
}

/// `net / orders` at `max(scale, 2)` decimals, rounded half to even, in integer arithmetic
/// (the same value as `Decimal` division with `round_dp`, at a fraction of the cost).
fn average(net_units: i128, scale: u32, orders: u32) -> Option<Decimal> {
    let (q, scale) = average_units(net_units, scale, orders)?;
    Some(decimal_units(q, scale))
}

/// `num / d` for a positive `d`, rounded half to even, in the integer type of `num` and `d`.
macro_rules! div_half_even {
    ($num:expr, $d:expr) => {{
        let (num, d) = ($num, $d);
        let (q, r) = (num / d, num % d);
        let twice = 2 * r.abs();
        if twice > d || (twice == d && q % 2 != 0) {
            q + num.signum()
        } else {
            q
        }
    }};
}

/// [`average`] as units and their scale (`max(scale, 2)`), before the `Decimal`.
pub(crate) fn average_units(net_units: i128, scale: u32, orders: u32) -> Option<(i128, u32)> {
    if orders == 0 {
        return None;
    }
    let out_scale = scale.max(2);
    let num = net_units * 10_i128.pow(out_scale - scale);
    // In 64 bits where the total fits (every real one): a 128-bit division is a library call,
    // several times slower. (`|r| < orders <= u32::MAX`, so `2 * r` fits either way.)
    if let Ok(num) = i64::try_from(num) {
        return Some((
            i128::from(div_half_even!(num, i64::from(orders))),
            out_scale,
        ));
    }
    Some((div_half_even!(num, i128::from(orders)), out_scale))
}

/// Per customer, the state from an attached subscription table (as of `as_of`).
fn subscription_states(log: &OrderLog, as_of: Day) -> Vec<Option<SubscriptionState>> {
    let t = log.subscriptions();
    if t.id.is_empty() {
        return Vec::new();
    }
    let mut out = vec![None; log.n_customers()];
    for k in 0..t.id.len() {
        if t.started[k] > as_of {
            continue;
        }
        let st = match (t.status[k], t.cancelled[k]) {
            (SubscriptionStatus::Cancelled, Some(d)) if d > as_of => SubscriptionState::Active,
            (SubscriptionStatus::Cancelled, _) => SubscriptionState::Cancelled,
            (SubscriptionStatus::Paused, _) => SubscriptionState::Paused,
            (SubscriptionStatus::Active, _) => SubscriptionState::Active,
        };
        let slot = &mut out[t.customer[k] as usize];
        // Active beats paused beats cancelled.
        let rank = |s: SubscriptionState| match s {
            SubscriptionState::Active => 3,
            SubscriptionState::Paused => 2,
            SubscriptionState::Cancelled => 1,
            SubscriptionState::None => 0,
        };
        if slot.is_none_or(|old| rank(st) > rank(old)) {
            *slot = Some(st);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_rounds_half_even_like_decimal() {
        use std::str::FromStr;
        for (net, scale, n) in [
            (1000_i128, 0_u32, 3_u32),
            (1001, 2, 2),
            (-1001, 2, 2),
            (1003, 2, 2),
            (5, 0, 2),
            (15, 0, 2),
            (-15, 0, 2),
            (123_456, 3, 7),
        ] {
            let want = (Decimal::try_from_i128_with_scale(net, scale).unwrap() / Decimal::from(n))
                .round_dp(scale.max(2));
            assert_eq!(average(net, scale, n), Some(want), "{net} {scale} {n}");
        }
        assert_eq!(average(10, 0, 0), None);
        assert_eq!(
            average(1, 0, 8).unwrap(),
            Decimal::from_str("0.12").unwrap()
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        /// The 64-bit route of `average_units` (totals that fit) and the 128-bit one (the rest,
        /// and the edges of `i64`) both round as `Decimal` division does (below 2^70 units:
        /// within `Decimal`'s 28 digits, where its division is exact before rounding).
        #[test]
        fn average_units_like_decimal_at_random(
            net in proptest::prop_oneof![
                -1_000_000_i128..1_000_000,
                i128::from(i64::MIN) / 100 - 1_000..i128::from(i64::MIN) / 100 + 1_000,
                i128::from(i64::MAX) / 100 - 1_000..i128::from(i64::MAX) / 100 + 1_000,
                -(1_i128 << 70)..(1_i128 << 70),
            ],
            scale in 0_u32..=4,
            n in proptest::prop_oneof![1_u32..20, proptest::prelude::any::<u32>()],
        ) {
            let n = n.max(1);
            let (q, sc) = average_units(net, scale, n).unwrap();
            let want = (Decimal::try_from_i128_with_scale(net, scale).unwrap() / Decimal::from(n))
                .round_dp(scale.max(2));
            proptest::prop_assert_eq!(Decimal::try_from_i128_with_scale(q, sc).unwrap(), want);
        }
    }
}
