//! Campaign results: per campaign, channel and segment, recipients and holdout, conversions in a
//! window, CVR, revenue and net revenue per recipient, and the uplift over the holdout with
//! intervals. Definitions: `docs/campaigns.md`.

use chrono::NaiveDate;
type HashMap<K, V> = hashbrown::HashMap<K, V, foldhash::fast::FixedState>;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::deliveries::Deliveries;
use super::stats::{Interval, Moments, check_confidence, newcombe, normal_quantile, welch, wilson};
use crate::model::{Day, OrderLog, OrderStatus, day_to_date};
use crate::{Error, Result};

/// Options of [`campaign_results`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CampaignOptions {
    /// Conversion window in local calendar days, the send day included: an order converts when
    /// it is placed at or after the send instant and on one of these days. Default 7.
    pub window_days: u32,
    /// Confidence level of every interval. Default 0.95.
    pub confidence: f64,
    /// Analysis day, inclusive: orders and refunds after it are left out, and a window that
    /// does not end by it is counted as open. Default: the day after the last order.
    pub as_of: Option<NaiveDate>,
}

impl Default for CampaignOptions {
    fn default() -> Self {
        Self {
            window_days: 7,
            confidence: 0.95,
            as_of: None,
        }
    }
}

/// Which customers a result row covers, by their history at send time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerType {
    /// Everyone.
    All,
    /// No completed order before the send instant.
    New,
    /// At least one completed order before the send instant.
    Existing,
}

impl CustomerType {
    /// The `snake_case` name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::New => "new",
            Self::Existing => "existing",
        }
    }
}

/// One group's outcome (the recipients, or the holdout).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupResult {
    /// Customers in the group.
    pub customers: u64,
    /// Customers with at least one completed order in their window.
    pub conversions: u64,
    /// `conversions / customers` (`None` without customers).
    pub cvr: Option<f64>,
    /// Wilson score interval of the CVR.
    pub cvr_interval: Option<Interval>,
    /// Completed orders in the windows.
    pub orders: u64,
    /// Gross amount of those orders (exact).
    pub revenue: Decimal,
    /// Gross minus the refunds linked to those orders dated on or before as-of (exact).
    pub net_revenue: Decimal,
    /// `revenue / customers`, rounded half to even at `max(scale, 2)` decimals.
    pub revenue_per_customer: Option<Decimal>,
    /// `net_revenue / customers`, rounded likewise.
    pub net_revenue_per_customer: Option<Decimal>,
    /// Customers whose window does not end by as-of (their results may still grow).
    pub open_windows: u64,
}

/// The difference recipients − holdout.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Uplift {
    /// CVR(recipients) − CVR(holdout).
    pub cvr_difference: f64,
    /// Newcombe's hybrid score interval of the CVR difference.
    pub cvr_difference_interval: Interval,
    /// CVR(recipients) / CVR(holdout) − 1 (`None` when the holdout CVR is 0).
    pub cvr_relative_lift: Option<f64>,
    /// Revenue per recipient − revenue per holdout customer.
    pub revenue_per_customer_difference: f64,
    /// Welch's t interval of that difference (`None` when a group has fewer than 2 customers
    /// or neither varies).
    pub revenue_per_customer_interval: Option<Interval>,
    /// Welch–Satterthwaite degrees of freedom of that interval.
    pub revenue_degrees_of_freedom: Option<f64>,
    /// Net revenue per recipient − net revenue per holdout customer.
    pub net_revenue_per_customer_difference: f64,
    /// Welch's t interval of that difference.
    pub net_revenue_per_customer_interval: Option<Interval>,
    /// Welch–Satterthwaite degrees of freedom of that interval.
    pub net_revenue_degrees_of_freedom: Option<f64>,
    /// `cvr_difference × recipients`: conversions the campaign added.
    pub incremental_conversions: f64,
    /// `revenue_per_customer_difference × recipients`.
    pub incremental_revenue: f64,
    /// `net_revenue_per_customer_difference × recipients`.
    pub incremental_net_revenue: f64,
}

/// One row: a campaign, a channel (or all), a segment (or all) and a customer type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignRow {
    /// Campaign.
    pub campaign: String,
    /// Channel, `None` for all channels.
    pub channel: Option<String>,
    /// Segment, `None` for all segments.
    pub segment: Option<String>,
    /// Which customers.
    pub customers: CustomerType,
    /// Recipients (deliveries not held out).
    pub recipients: GroupResult,
    /// The holdout.
    pub holdout: GroupResult,
    /// Recipients − holdout (`None` unless both groups have customers).
    pub uplift: Option<Uplift>,
}

/// Every campaign's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignResults {
    /// Analysis day used (inclusive).
    pub as_of: NaiveDate,
    /// Window in days.
    pub window_days: u32,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// Currency of the amounts, if known.
    pub currency: Option<String>,
    /// Where segments come from (`delivery column`, `segment rules at send time …`, or `none`
    /// when no delivery has one).
    pub segment_source: String,
    /// The interval methods, named.
    pub methods: Methods,
    /// Deliveries whose customer has no order in the log (kept: they count as not converted).
    pub deliveries_without_orders: u64,
    /// Rows sorted by campaign, channel (all first), segment (all first), customer type.
    pub rows: Vec<CampaignRow>,
}

/// The interval methods of [`CampaignResults`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Methods {
    /// Interval of one CVR.
    pub cvr: &'static str,
    /// Interval of a CVR difference.
    pub cvr_difference: &'static str,
    /// Interval of a difference of revenue per customer.
    pub revenue_difference: &'static str,
}

/// One delivery's outcome.
#[derive(Debug, Clone, Copy, Default)]
#[allow(clippy::struct_excessive_bools)] // independent facts of one delivery
pub(crate) struct Outcome {
    pub(crate) existing: bool,
    pub(crate) converted: bool,
    pub(crate) open: bool,
    pub(crate) orders: u32,
    pub(crate) gross: i128,
    pub(crate) net: i128,
    pub(crate) has_orders: bool,
}

/// Money of the log at one scale: order units and linked refund units (dated on or before
/// as-of), both at `scale`.
pub(crate) struct Money {
    pub(crate) scale: u32,
    order_factor: i128,
    refunds: HashMap<u32, i128>,
}

impl Money {
    pub(crate) fn new(log: &OrderLog, as_of: Day) -> Self {
        let so = log.amounts().scale();
        let r = log.refunds();
        let sr = r.amount.scale();
        let scale = so.max(sr);
        let rf = 10_i128.pow(scale - sr);
        let mut refunds: HashMap<u32, i128> = HashMap::default();
        for k in 0..r.order.len() {
            if r.order[k] != u32::MAX && r.day[k] <= as_of {
                *refunds.entry(r.order[k]).or_insert(0) += i128::from(r.amount.units()[k]) * rf;
            }
        }
        Self {
            scale,
            order_factor: 10_i128.pow(scale - so),
            refunds,
        }
    }
    /// Gross and net units of order `i`.
    pub(crate) fn order(&self, log: &OrderLog, i: usize) -> (i128, i128) {
        let g = i128::from(log.amounts().units()[i]) * self.order_factor;
        let r = self.refunds.get(&(i as u32)).copied().unwrap_or(0);
        (g, g - r)
    }
    pub(crate) fn decimal(&self, units: i128) -> Decimal {
        Decimal::try_from_i128_with_scale(units, self.scale).unwrap_or(if units < 0 {
            Decimal::MIN
        } else {
            Decimal::MAX
        })
    }
    pub(crate) fn per(&self, units: i128, n: u64) -> Option<Decimal> {
        if n == 0 {
            return None;
        }
        let out_scale = self.scale.max(2);
        let num = units * 10_i128.pow(out_scale - self.scale);
        let d = i128::from(n);
        let (q, r) = (num / d, num % d);
        let twice = 2 * r.abs();
        let q = if twice > d || (twice == d && q % 2 != 0) {
            q + num.signum()
        } else {
            q
        };
        Decimal::try_from_i128_with_scale(q, out_scale).ok()
    }
    pub(crate) fn to_f64(&self, units: f64) -> f64 {
        units / 10_f64.powi(self.scale as i32)
    }
}

/// The log index of each delivery's customer (`None`: not in the log, or without orders).
///
/// One pass over the log's customers against a hash map of the deliveries' distinct ids: no
/// binary search with natural-order comparisons per delivery.
fn log_customers(log: &OrderLog, deliveries: &Deliveries) -> Vec<Option<usize>> {
    let mut slot: HashMap<&str, u32> = HashMap::default();
    let mut slot_of = Vec::with_capacity(deliveries.len());
    for id in &deliveries.customer {
        let next = slot.len() as u32;
        slot_of.push(*slot.entry(id.as_str()).or_insert(next));
    }
    let mut index: Vec<Option<usize>> = vec![None; slot.len()];
    for c in 0..log.n_customers() {
        if let Some(&s) = slot.get(log.customer_id(c)) {
            if !log.order_range(c).is_empty() {
                index[s as usize] = Some(c);
            }
        }
    }
    slot_of.into_iter().map(|s| index[s as usize]).collect()
}

/// The outcome of a customer `c` (log index, if any) sent at `sent_at` (local day `day`).
pub(crate) fn outcome(
    log: &OrderLog,
    money: &Money,
    c: Option<usize>,
    sent_at: i64,
    day: Day,
    window_days: u32,
    as_of: Day,
) -> Outcome {
    let last = day.saturating_add(window_days as i32 - 1);
    let mut o = Outcome {
        open: last > as_of,
        ..Outcome::default()
    };
    let Some(c) = c else { return o };
    o.has_orders = true;
    let range = log.order_range(c);
    let placed = &log.placed_at()[range.clone()];
    let status = log.statuses();
    let days = log.days();
    let start = range.start + placed.partition_point(|&t| t < sent_at);
    o.existing =
        (range.start..start).any(|i| status[i] == OrderStatus::Completed && days[i] <= as_of);
    let end_day = last.min(as_of);
    for i in start..range.end {
        if days[i] > end_day {
            // Orders are sorted by instant; local days follow (one zone).
            break;
        }
        if status[i] != OrderStatus::Completed {
            continue;
        }
        let (g, n) = money.order(log, i);
        o.converted = true;
        o.orders += 1;
        o.gross += g;
        o.net += n;
    }
    o
}

#[derive(Debug, Clone, Default)]
struct Agg {
    customers: u64,
    conversions: u64,
    orders: u64,
    open: u64,
    gross: Option<Moments>,
    net: Option<Moments>,
}

impl Agg {
    fn add(&mut self, o: &Outcome) {
        self.customers += 1;
        self.conversions += u64::from(o.converted);
        self.orders += u64::from(o.orders);
        self.open += u64::from(o.open);
        self.gross.get_or_insert_with(Moments::new).push(o.gross);
        self.net.get_or_insert_with(Moments::new).push(o.net);
    }
    fn result(&self, money: &Money, z: f64) -> GroupResult {
        let g = self.gross.unwrap_or_default();
        let n = self.net.unwrap_or_default();
        GroupResult {
            customers: self.customers,
            conversions: self.conversions,
            cvr: (self.customers > 0).then(|| self.conversions as f64 / self.customers as f64),
            cvr_interval: wilson(self.conversions, self.customers, z),
            orders: self.orders,
            revenue: money.decimal(g.sum),
            net_revenue: money.decimal(n.sum),
            revenue_per_customer: money.per(g.sum, self.customers),
            net_revenue_per_customer: money.per(n.sum, self.customers),
            open_windows: self.open,
        }
    }
}

fn uplift(t: &Agg, h: &Agg, money: &Money, z: f64, confidence: f64) -> Option<Uplift> {
    if t.customers == 0 || h.customers == 0 {
        return None;
    }
    let interval = newcombe(t.conversions, t.customers, h.conversions, h.customers, z)?;
    let p1 = t.conversions as f64 / t.customers as f64;
    let p2 = h.conversions as f64 / h.customers as f64;
    let (tg, hg) = (t.gross.unwrap_or_default(), h.gross.unwrap_or_default());
    let (tn, hn) = (t.net.unwrap_or_default(), h.net.unwrap_or_default());
    let s = 10_f64.powi(money.scale as i32);
    let w = |a: &Moments, b: &Moments| {
        welch(
            a.n,
            a.mean() / s,
            a.variance() / (s * s),
            b.n,
            b.mean() / s,
            b.variance() / (s * s),
            confidence,
        )
    };
    let wg = w(&tg, &hg);
    let wn = w(&tn, &hn);
    let dg = money.to_f64(tg.mean()) - money.to_f64(hg.mean());
    let dn = money.to_f64(tn.mean()) - money.to_f64(hn.mean());
    let n = t.customers as f64;
    Some(Uplift {
        cvr_difference: p1 - p2,
        cvr_difference_interval: interval,
        cvr_relative_lift: (p2 > 0.0).then(|| p1 / p2 - 1.0),
        revenue_per_customer_difference: dg,
        revenue_per_customer_interval: wg.map(|r| r.interval),
        revenue_degrees_of_freedom: wg.map(|r| r.degrees_of_freedom),
        net_revenue_per_customer_difference: dn,
        net_revenue_per_customer_interval: wn.map(|r| r.interval),
        net_revenue_degrees_of_freedom: wn.map(|r| r.degrees_of_freedom),
        incremental_conversions: (p1 - p2) * n,
        incremental_revenue: dg * n,
        incremental_net_revenue: dn * n,
    })
}

const ALL: u32 = u32::MAX;

/// Campaign results of `deliveries` against the orders of `log` (see the module docs).
///
/// Each delivery is one customer of one campaign and channel (repeats were merged by the
/// reader). Rows: per campaign all channels and segments, per channel, per segment and per
/// channel and segment (the last two only when deliveries carry segments), each for all, new
/// and existing customers. A row over all channels counts a customer reached on several
/// channels once, from the earliest send (ties: the first channel by name); its segment is that
/// delivery's.
#[allow(clippy::needless_range_loop)] // k indexes every delivery column
pub fn campaign_results(
    log: &OrderLog,
    deliveries: &Deliveries,
    opts: &CampaignOptions,
) -> Result<CampaignResults> {
    check_confidence(opts.confidence)?;
    if opts.window_days == 0 {
        return Err(Error::option(
            "window_days",
            0,
            "the window must be at least 1 day (the send day)",
        ));
    }
    if deliveries.is_empty() {
        return Err(Error::EmptyInput("no deliveries to measure".into()));
    }
    if deliveries.timezone != log.timezone().name() {
        return Err(Error::option(
            "deliveries timezone",
            &deliveries.timezone,
            format!(
                "read the deliveries in the order log's time zone ({}) so that days agree",
                log.timezone().name()
            ),
        ));
    }
    let as_of = log.as_of_day(opts.as_of);
    let money = Money::new(log, as_of);
    let z = normal_quantile(opts.confidence);
    let has_segments = !deliveries.segments.is_empty();
    let unknown_segment = deliveries.segments.len() as u32;
    // (campaign, channel, segment, type, holdout) -> aggregate.
    let mut groups: HashMap<(u32, u32, u32, CustomerType, bool), Agg> = HashMap::default();
    let mut without_orders = 0u64;
    // The rows over all channels count a customer once per campaign, at the earliest send.
    let mut earliest: HashMap<(u32, &str), usize> = HashMap::default();
    for k in 0..deliveries.len() {
        let e = earliest
            .entry((deliveries.campaign[k], deliveries.customer[k].as_str()))
            .or_insert(k);
        let (a, b) = (&deliveries, *e);
        if (a.sent_at[k], &a.channels[a.channel[k] as usize])
            < (a.sent_at[b], &a.channels[a.channel[b] as usize])
        {
            *e = k;
        }
    }
    let mut first = vec![false; deliveries.len()];
    for &k in earliest.values() {
        first[k] = true;
    }
    drop(earliest);
    let customer_of = log_customers(log, deliveries);
    for k in 0..deliveries.len() {
        let c = customer_of[k];
        let o = outcome(
            log,
            &money,
            c,
            deliveries.sent_at[k],
            deliveries.day[k],
            opts.window_days,
            as_of,
        );
        without_orders += u64::from(!o.has_orders);
        let ca = deliveries.campaign[k];
        let ch = deliveries.channel[k];
        let sg = if deliveries.segment[k] == u32::MAX {
            unknown_segment
        } else {
            deliveries.segment[k]
        };
        let ty = if o.existing {
            CustomerType::Existing
        } else {
            CustomerType::New
        };
        let h = deliveries.holdout[k];
        // The row levels this delivery counts in: (channel, segment) with ALL for "every".
        let mut levels = [(0u32, 0u32); 4];
        let mut n_levels = 0;
        let mut level = |l: (u32, u32)| {
            levels[n_levels] = l;
            n_levels += 1;
        };
        level((ch, ALL));
        if first[k] {
            level((ALL, ALL));
        }
        if has_segments {
            level((ch, sg));
            if first[k] {
                level((ALL, sg));
            }
        }
        for &(lch, lsg) in &levels[..n_levels] {
            for t in [CustomerType::All, ty] {
                groups.entry((ca, lch, lsg, t, h)).or_default().add(&o);
            }
        }
    }
    let seg_name = |s: u32| -> Option<String> {
        if s == ALL {
            None
        } else {
            Some(
                deliveries
                    .segments
                    .get(s as usize)
                    .cloned()
                    .unwrap_or_else(|| "unknown".to_owned()),
            )
        }
    };
    let mut keys: Vec<(u32, u32, u32, CustomerType)> =
        groups.keys().map(|&(a, b, c, d, _)| (a, b, c, d)).collect();
    keys.sort_unstable();
    keys.dedup();
    let empty = Agg::default();
    let mut rows: Vec<CampaignRow> = keys
        .into_iter()
        .map(|(ca, ch, sg, ty)| {
            let t = groups.get(&(ca, ch, sg, ty, false)).unwrap_or(&empty);
            let h = groups.get(&(ca, ch, sg, ty, true)).unwrap_or(&empty);
            CampaignRow {
                campaign: deliveries.campaigns[ca as usize].clone(),
                channel: (ch != ALL).then(|| deliveries.channels[ch as usize].clone()),
                segment: seg_name(sg),
                customers: ty,
                recipients: t.result(&money, z),
                holdout: h.result(&money, z),
                uplift: uplift(t, h, &money, z, opts.confidence),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (&a.campaign, &a.channel, &a.segment, a.customers).cmp(&(
            &b.campaign,
            &b.channel,
            &b.segment,
            b.customers,
        ))
    });
    Ok(CampaignResults {
        as_of: day_to_date(as_of),
        window_days: opts.window_days,
        confidence: opts.confidence,
        currency: log.currency().map(str::to_owned),
        segment_source: if has_segments {
            deliveries.segment_source.clone()
        } else {
            "none".into()
        },
        methods: Methods {
            cvr: "Wilson score interval (Wilson 1927)",
            cvr_difference: "Newcombe hybrid score interval, method 10 (Newcombe 1998)",
            revenue_difference: "Welch t interval with Welch-Satterthwaite degrees of freedom (Welch 1947)",
        },
        deliveries_without_orders: without_orders,
        rows,
    })
}
