//! Evaluating a programme over an order log: one pass per customer over its orders (grouped and
//! sorted by time in the log), its refunds, redemptions and invitations, visiting only the days
//! where something can change. See `docs/loyalty.md` for the rules in words.

use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use super::calendar::{
    add_months, anniversary_end, anniversary_start, month_end, month_of, year_end, year_start,
};
use super::program::{
    BonusWhen, Downgrade, Expiry, Match, Program, Review, Shortfall, SpendBasis, Upgrade, Window,
};
use crate::model::{Day, OrderKind, OrderLog, OrderStatus, StrColumn, date_to_day, day_to_date};
use crate::{Error, Location, Result};

const NONE: u32 = u32::MAX;

/// Options of [`evaluate`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StageOptions {
    /// Evaluation date, inclusive (orders on it count). `None`: the day after the last order.
    pub as_of: Option<NaiveDate>,
    /// Keep every stage change ([`Stages::history`]).
    pub history: bool,
    /// Count stages at every month end ([`Stages::distribution`]).
    pub distribution: bool,
}

/// A points redemption (from a redemption file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redemption {
    /// The customer.
    pub customer_id: String,
    /// Local date of the redemption (processed after that day's orders and refunds).
    pub date: NaiveDate,
    /// Points redeemed (> 0).
    pub points: i64,
}

/// A customer invited into a stage (for invitation-only stages, or any stage).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invitation {
    /// The customer.
    pub customer_id: String,
    /// Local date from which the stage holds.
    pub date: NaiveDate,
    /// Stage id.
    pub stage: String,
}

/// Events that are not in the order log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoyaltyEvents {
    /// Points redemptions.
    pub redemptions: Vec<Redemption>,
    /// Stage invitations.
    pub invitations: Vec<Invitation>,
}

/// Why a stage changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeReason {
    /// An order met the thresholds (upgrade on order); the change is dated that day.
    Order,
    /// A review at a period end; dated the day after.
    Review,
    /// The end of a grace period; dated the day after.
    GraceEnd,
    /// An invitation.
    Invitation,
}

impl ChangeReason {
    /// The `snake_case` name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Order => "order",
            Self::Review => "review",
            Self::GraceEnd => "grace_end",
            Self::Invitation => "invitation",
        }
    }
}

/// One stage change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageChange {
    /// Customer index in the log.
    pub customer: u32,
    /// First day in the new stage.
    pub day: Day,
    /// Stage index before.
    pub from: u16,
    /// Stage index after.
    pub to: u16,
    /// Why.
    pub reason: ChangeReason,
    /// The order that triggered it (index in the log), or `u32::MAX`.
    pub order: u32,
}

/// Stage counts at month ends and the movements between them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Distribution {
    /// Month ends (stage as held on that day), oldest first, up to the evaluation date.
    pub month_ends: Vec<NaiveDate>,
    /// Stage ids: the column order of `counts` and `transitions`; `transitions` has one more
    /// row, `new`, for members who joined in the month.
    pub stages: Vec<String>,
    /// `counts[month][stage]`: members in each stage at each month end.
    pub counts: Vec<Vec<u64>>,
    /// Members moving up a stage between the previous month end and this one, per month.
    pub upgrades: Vec<u64>,
    /// Members moving down, per month.
    pub downgrades: Vec<u64>,
    /// New members, per month.
    pub new_members: Vec<u64>,
    /// `transitions[from][to]` summed over consecutive month ends (row `stages.len()` = new).
    pub transitions: Vec<Vec<u64>>,
}

/// The evaluation of a programme: one row per customer (log order), plus history and
/// distribution when asked.
#[derive(Debug, Clone)]
pub struct Stages {
    /// The evaluation date.
    pub as_of: NaiveDate,
    /// Stage ids, lowest first.
    pub stage_ids: Vec<String>,
    /// Stage display names.
    pub stage_names: Vec<String>,
    /// Whether the programme has points.
    pub has_points: bool,
    /// Customer ids (shared with the log).
    pub customer_id: Arc<StrColumn>,
    /// First day as a member (first completed order or invitation), if any.
    pub member_since: Vec<Option<Day>>,
    /// Stage index as of the date.
    pub stage: Vec<u16>,
    /// First day of the current stage (the join day for the base stage).
    pub stage_since: Vec<Option<Day>>,
    /// Decimal places of `*_units`.
    pub money_scale: u32,
    /// Qualifying spend in the window as of the date, units.
    pub window_spend_units: Vec<i64>,
    /// Qualifying orders in the window.
    pub window_orders: Vec<u32>,
    /// Points earned (net of reversals) in the window.
    pub window_points: Vec<i64>,
    /// Points earned.
    pub points_earned: Vec<i64>,
    /// Points expired.
    pub points_expired: Vec<i64>,
    /// Points redeemed.
    pub points_redeemed: Vec<i64>,
    /// Points taken back by refunds.
    pub points_reversed: Vec<i64>,
    /// earned − expired − redeemed − reversed (negative only under the `debt` policy).
    pub points_balance: Vec<i64>,
    /// Points in the earliest-expiring lot still held (0 when none).
    pub next_expiring_points: Vec<i64>,
    /// Last day those points can be used.
    pub next_expiring_date: Vec<Option<Day>>,
    /// The next stage reachable by thresholds, if any.
    pub next_stage: Vec<Option<u16>>,
    /// Spend still needed for it by `needed_by` (units; `None` when it has no spend threshold).
    pub spend_needed_units: Vec<Option<i64>>,
    /// Orders still needed.
    pub orders_needed: Vec<Option<u32>>,
    /// Points still needed.
    pub points_needed: Vec<Option<i64>>,
    /// The review day by which those amounts must be in the window.
    pub needed_by: Vec<Option<Day>>,
    /// Every stage change, by customer then day (when asked).
    pub history: Vec<StageChange>,
    /// Order ids of `history[k].order` (`None` when the log has no order ids).
    pub history_order_ids: Vec<Option<String>>,
    /// Month-end distribution (when asked).
    pub distribution: Option<Distribution>,
}

impl Stages {
    /// Number of customers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.stage.len()
    }
    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.stage.is_empty()
    }
    /// A units value at the money scale as a decimal.
    #[must_use]
    pub fn money(&self, units: i64) -> Decimal {
        Decimal::new(units, self.money_scale)
    }
    /// Stage id of customer `i`.
    #[must_use]
    pub fn stage_id(&self, i: usize) -> &str {
        &self.stage_ids[self.stage[i] as usize]
    }
    /// The columns a segment rule can use: stage id and points balance per customer.
    #[must_use]
    pub fn segment_columns(&self) -> (Vec<&str>, &[i64]) {
        (
            (0..self.len()).map(|i| self.stage_id(i)).collect(),
            &self.points_balance,
        )
    }
}

/// Per-customer scratch, reused across customers (no allocation per order).
#[derive(Default)]
struct Scratch {
    /// Qualifying spend of each order of the customer (units at the common scale).
    spend: Vec<i128>,
    /// Whether each order counts as an order.
    counted: Vec<bool>,
    /// Points of each order, net of reversals.
    pts: Vec<i64>,
    /// Refunded so far (units at the common scale).
    refunded: Vec<i128>,
    /// Points multiplier (exact, see [`Mult`]) and flat points each order earned with.
    mult: Vec<Mult>,
    flat: Vec<i64>,
    /// Lots: (expires on, remaining, order position).
    lots: Vec<(Day, i64, u32)>,
    /// Stage changes of this customer: (day, from, to, reason, order).
    changes: Vec<(Day, u16, u16, ChangeReason, u32)>,
}

struct Ctx<'a> {
    p: &'a Program,
    as_of: Day,
    order_up: i128,
    refund_up: i128,
    /// Thresholds in units at the common scale.
    spend_thr: Vec<Option<i128>>,
    /// Base points: floor(x * num / den) * earn.
    pts_num: i128,
    pts_den: i128,
    earn: i64,
    base: u16,
    fiscal_start: u32,
    /// Per-day tables over `table_from ..` (the log's days and a margin), so that no order,
    /// review or expiry needs chrono date arithmetic: `month_end(d)`.
    table_from: Day,
    month_ends: Vec<Day>,
    /// `add_months(d, expiry months)` (empty without month expiry).
    expiries: Vec<Day>,
    /// `year_start(d, 1)` and `year_end(d, 1)` (calendar years).
    cal_starts: Vec<Day>,
    cal_ends: Vec<Day>,
    /// `year_start(d, fiscal_start)` and `year_end(d, fiscal_start)` (empty when the fiscal
    /// year is the calendar year).
    fy_starts: Vec<Day>,
    fy_ends: Vec<Day>,
    /// `month_of(d)` (empty without a birthday bonus).
    months: Vec<u8>,
    /// Campaign bonus windows as days (`Day::MAX..Day::MIN` for other bonuses).
    campaign_days: Vec<(Day, Day)>,
    /// `mults[stage << bonuses | mask]`: the stage multiplier times the multipliers of the
    /// bonuses in `mask`, multiplied in programme order exactly as `Decimal` does it, and the
    /// flat points of those bonuses (empty with more than [`MAX_TABLE_BONUSES`] bonuses).
    mults: Vec<(Mult, i64)>,
    /// Whether a stage above the base has a points threshold.
    points_thresholds: bool,
    /// Tables, integer multipliers and skipped reviews (false: the reference path).
    fast: bool,
    /// `pts_num` and `pts_den` as `u64` when both fit (and the divisor is not 0).
    pts_u64: Option<(u64, u64)>,
    /// The bits of `mults`' bonus mask each kind of bonus sets.
    masks: BonusMasks,
    /// The thresholds of the stages reachable by thresholds, for [`Ctx::target`].
    reqs: Reqs,
    /// Window start and the first day still counting on the progress day (`needed_by`) as of
    /// the evaluation date, when neither depends on the customer (not anniversary-based).
    fixed_starts: Option<(Day, Day)>,
    /// The next stage reachable by thresholds above each stage.
    next_stage: Vec<Option<u16>>,
    /// Spend and orders below which no stage above the base is reachable (see
    /// [`Reqs::below`]).
    below: Option<(i128, i64)>,
}

/// The thresholds of the stages above the base that thresholds can reach (not
/// invitation-only), highest first, as plain values (what [`Ctx::meets`] reads from the
/// programme).
#[derive(Default)]
struct Reqs(Vec<Req>);

struct Req {
    stage: u16,
    spend: Option<i128>,
    orders: Option<i64>,
    points: Option<i64>,
    any: bool,
}

impl Reqs {
    fn of(p: &Program, spend_thr: &[Option<i128>]) -> Self {
        Self(
            (1..p.stages.len())
                .rev()
                .filter(|&k| !p.stages[k].invitation_only)
                .map(|k| Req {
                    stage: k as u16,
                    spend: spend_thr[k],
                    orders: p.stages[k].orders.map(i64::from),
                    points: p.stages[k].points,
                    any: p.stages[k].combine == Match::Any,
                })
                .collect(),
        )
    }
    /// `(spend, orders)` such that sums below both meet no stage, with any points when
    /// `any_points` (else none), if there are such bounds: each stage fails on a spend or
    /// orders threshold it has (all-of), or on all it has (any-of, without a points threshold).
    fn below(&self, any_points: bool) -> Option<(i128, i64)> {
        let (mut s, mut o) = (i128::MAX, i64::MAX);
        for r in &self.0 {
            let (rs, ro) = if r.any {
                if r.points.is_some_and(|t| any_points || t <= 0) {
                    return None;
                }
                (r.spend.unwrap_or(i128::MAX), r.orders.unwrap_or(i64::MAX))
            } else if let Some(t) = r.spend {
                (t, i64::MAX)
            } else if let Some(t) = r.orders {
                (i128::MAX, t)
            } else {
                return None;
            };
            s = s.min(rs);
            o = o.min(ro);
        }
        Some((s, o))
    }
    /// The highest stage the sums meet, or `base`.
    #[inline]
    fn target(&self, spend: i128, orders: i64, points: i64, base: u16) -> u16 {
        for r in &self.0 {
            // all-of holds when no given threshold fails, any-of when one holds
            let (mut all, mut any) = (true, false);
            if let Some(t) = r.spend {
                all &= spend >= t;
                any |= spend >= t;
            }
            if let Some(t) = r.orders {
                all &= orders >= t;
                any |= orders >= t;
            }
            if let Some(t) = r.points {
                all &= points >= t;
                any |= points >= t;
            }
            if (r.any && any) || (!r.any && all) {
                return r.stage;
            }
        }
        base
    }
}

/// Which bits of the bonus mask (bonus `k` is bit `k`) each kind of bonus sets, so that an
/// order's mask is a few tests instead of a match per bonus.
#[derive(Default)]
struct BonusMasks {
    first_order: usize,
    subscription: usize,
    birthday_month: usize,
    /// (bit, first day, last day) of each campaign.
    campaigns: Vec<(usize, Day, Day)>,
}

/// Up to this many bonuses, every stage × bonus combination is tabulated per run.
const MAX_TABLE_BONUSES: usize = 8;

/// A points multiplier as an exact decimal: `mantissa / 10^scale` (what `Decimal` holds), so
/// that base points × multiplier is integer arithmetic in the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mult {
    mantissa: i128,
    scale: u32,
}

impl Mult {
    const ONE: Mult = Mult {
        mantissa: 1,
        scale: 0,
    };
    fn of(d: Decimal) -> Self {
        Self {
            mantissa: d.mantissa(),
            scale: d.scale(),
        }
    }
    fn decimal(self) -> Decimal {
        // mantissa and scale came from a Decimal: always representable
        Decimal::try_from_i128_with_scale(self.mantissa, self.scale).unwrap_or(Decimal::MAX)
    }
}

/// The stage multiplier times the multipliers of the bonuses `hit` selects, in programme order,
/// and their flat points (saturating; a product beyond `Decimal` saturates).
fn bonus_product(p: &Program, stage: u16, mut hit: impl FnMut(usize) -> bool) -> (Mult, i64) {
    let mut mult = p.stages[usize::from(stage)].multiplier;
    let mut flat = 0_i64;
    if let Some(pt) = &p.points {
        for (k, b) in pt.bonuses.iter().enumerate() {
            if hit(k) {
                mult = mult.checked_mul(b.multiplier).unwrap_or(Decimal::MAX);
                flat = flat.saturating_add(b.points);
            }
        }
    }
    (Mult::of(mult), flat)
}

/// Powers of ten that fit a `u64`.
const POW10_U64: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut k = 1;
    while k < 20 {
        t[k] = t[k - 1] * 10;
        k += 1;
    }
    t
};

/// The largest magnitude a `Decimal` holds exactly (2^96 − 1).
const DECIMAL_MAX_MANTISSA: i128 = (1_i128 << 96) - 1;

/// `floor(base × mult)` as `Decimal` computes it, saturated to `i64`: exact integer arithmetic
/// while the product fits a `Decimal` mantissa (then `Decimal` is exact too), else `Decimal`.
// (always: with a plain `inline`, callgrind showed a call per order, ~25 instructions more)
#[allow(clippy::inline_always)]
#[inline(always)]
fn scaled_points(base: i64, mult: Mult) -> i64 {
    if mult.mantissa == 1 && mult.scale == 0 {
        return base;
    }
    // 64-bit when it fits (a product below 2^64 is below a Decimal's 2^96 too)
    if let (Ok(b), Ok(m), Some(&p10)) = (
        u64::try_from(base),
        u64::try_from(mult.mantissa),
        POW10_U64.get(mult.scale as usize),
    ) {
        if let Some(x) = b.checked_mul(m) {
            return i64::try_from(x / p10).unwrap_or(i64::MAX);
        }
    }
    match i128::from(base).checked_mul(mult.mantissa) {
        Some(p) if p.abs() <= DECIMAL_MAX_MANTISSA => {
            let q = p.div_euclid(10_i128.pow(mult.scale));
            i64::try_from(q).unwrap_or(i64::MAX)
        }
        _ => scaled_points_decimal(base, mult),
    }
}

/// The reference: `floor(Decimal(base) × mult)` (the arithmetic of the programme's decimals).
fn scaled_points_decimal(base: i64, mult: Mult) -> i64 {
    let m = mult.decimal();
    if m == Decimal::ONE {
        return base;
    }
    // multipliers are never negative: a product beyond `Decimal` is beyond `i64` too
    Decimal::from(base)
        .checked_mul(m)
        .map_or(i64::MAX, |x| x.floor().to_i64().unwrap_or(i64::MAX))
}

fn threshold_units(d: Decimal, scale: u32) -> i128 {
    let s = d.scale();
    let m = d.mantissa();
    if s <= scale {
        m * 10_i128.pow(scale - s)
    } else {
        let div = 10_i128.pow(s - scale);
        // ceiling: amounts are whole units, so spend >= d means units >= ceil(d * 10^scale)
        (m + div - 1).div_euclid(div)
    }
}

/// One customer's evaluation state.
struct Sim {
    cur: u16,
    since: Option<Day>,
    joined: Option<Day>,
    anchor: Option<Day>,
    lo: usize,
    lo_floor: usize,
    hi: usize,
    win_spend: i128,
    win_orders: i64,
    win_points: i64,
    dirty: Option<Day>,
    grace_until: Option<Day>,
    lot_head: usize,
    lots_total: i64,
    debt: i64,
    earned: i64,
    expired: i64,
    redeemed: i64,
    reversed: i64,
    completed_seen: bool,
    /// Never leaves the base stage (no review to visit, see `run_customer`).
    stays_base: bool,
    /// Set by [`run_base_only`].
    tail: Option<Tail>,
}

impl Sim {
    fn new(base: u16) -> Self {
        Self {
            cur: base,
            since: None,
            joined: None,
            anchor: None,
            lo: 0,
            lo_floor: 0,
            hi: 0,
            win_spend: 0,
            win_orders: 0,
            win_points: 0,
            dirty: None,
            grace_until: None,
            lot_head: 0,
            lots_total: 0,
            debt: 0,
            earned: 0,
            expired: 0,
            redeemed: 0,
            reversed: 0,
            completed_seen: false,
            stays_base: false,
            tail: None,
        }
    }
}

impl Ctx<'_> {
    fn window_start(&self, s: &Sim, d: Day) -> Day {
        match self.p.window {
            Window::Rolling { days } => d - days as Day + 1,
            Window::CalendarYear => self.year_start(d, 1),
            Window::FiscalYear { start_month } => self.year_start(d, start_month),
            Window::Anniversary => s.anchor.map_or(d + 1, |a| anniversary_start(a, d.max(a))),
        }
    }
    /// The first day an order of day `d` no longer counts.
    fn exit_day(&self, s: &Sim, d: Day) -> Day {
        match self.p.window {
            Window::Rolling { days } => d + days as Day,
            Window::CalendarYear => self.year_end(d, 1) + 1,
            Window::FiscalYear { start_month } => self.year_end(d, start_month) + 1,
            Window::Anniversary => s
                .anchor
                .map_or(Day::MAX, |a| anniversary_end(a, d.max(a)) + 1),
        }
    }
    /// The review day (period end) of the period containing `d`.
    fn review_day(&self, s: &Sim, d: Day) -> Day {
        match self.p.review {
            Review::Month => self.month_end(d),
            Review::Year => self.year_end(d, self.fiscal_start),
            Review::Anniversary => s.anchor.map_or(Day::MAX, |a| anniversary_end(a, d.max(a))),
        }
    }
    fn month_end(&self, d: Day) -> Day {
        self.table(&self.month_ends, d, || month_end(d))
    }
    fn expiry_day(&self, d: Day, months: u32) -> Day {
        self.table(&self.expiries, d, || add_months(d, months))
    }
    fn meets(&self, k: usize, spend: i128, orders: i64, points: i64) -> bool {
        let st = &self.p.stages[k];
        // all-of holds when no given threshold fails, any-of when one holds
        let (mut all, mut any) = (true, false);
        let mut test = |b: bool| {
            all &= b;
            any |= b;
        };
        if let Some(t) = self.spend_thr[k] {
            test(spend >= t);
        }
        if let Some(t) = st.orders {
            test(orders >= i64::from(t));
        }
        if let Some(t) = st.points {
            test(points >= t);
        }
        match st.combine {
            Match::All => all,
            Match::Any => any,
        }
    }
    /// The highest stage the window supports (invitation-only stages excluded).
    #[inline]
    fn target(&self, spend: i128, orders: i64, points: i64) -> u16 {
        if self.fast {
            return self.reqs.target(spend, orders, points, self.base);
        }
        for k in (1..self.p.stages.len()).rev() {
            if !self.p.stages[k].invitation_only && self.meets(k, spend, orders, points) {
                return k as u16;
            }
        }
        self.base
    }
    fn invitation_only(&self, k: u16) -> bool {
        self.p.stages[k as usize].invitation_only
    }
    /// The next lower stage reachable by thresholds.
    fn one_below(&self, k: u16) -> u16 {
        (0..k)
            .rev()
            .find(|&j| !self.invitation_only(j))
            .unwrap_or(self.base)
    }
    #[allow(clippy::inline_always)] // per order, see `scaled_points`
    #[inline(always)]
    fn base_points(&self, units: i128) -> i64 {
        if units <= 0 {
            return 0;
        }
        // 64-bit division when everything fits (every realistic amount): the same quotient
        if let (Some((n, d)), Ok(u)) = (self.pts_u64, u64::try_from(units)) {
            if let Some(x) = u.checked_mul(n) {
                return i64::try_from(x / d)
                    .unwrap_or(i64::MAX)
                    .saturating_mul(self.earn);
            }
        }
        let steps = (units * self.pts_num).div_euclid(self.pts_den);
        i64::try_from(steps)
            .unwrap_or(i64::MAX)
            .saturating_mul(self.earn)
    }
    #[allow(clippy::inline_always)] // per order, see `scaled_points`
    #[inline(always)]
    fn points_for(&self, units: i128, mult: Mult, flat: i64) -> i64 {
        if units <= 0 {
            return 0;
        }
        let b = self.base_points(units);
        let scaled = if self.fast {
            scaled_points(b, mult)
        } else {
            scaled_points_decimal(b, mult)
        };
        scaled.saturating_add(flat)
    }
    /// The multiplier and flat points of an order in `stage` that hits the bonuses for which
    /// `hit` holds: a table lookup, or (many bonuses) the product computed here.
    fn multiplier(
        &self,
        stage: u16,
        mut hit: impl FnMut(usize, &BonusWhen) -> bool,
    ) -> (Mult, i64) {
        let Some(pt) = &self.p.points else {
            return (Mult::ONE, 0);
        };
        if self.mults.is_empty() {
            return bonus_product(self.p, stage, |k| hit(k, &pt.bonuses[k].when));
        }
        let mut mask = 0usize;
        for (k, b) in pt.bonuses.iter().enumerate() {
            if hit(k, &b.when) {
                mask |= 1 << k;
            }
        }
        self.mults[(usize::from(stage) << pt.bonuses.len()) | mask]
    }
    /// The bonus mask of an order of day `d` (see [`BonusMasks`]; only with the `mults` table):
    /// `first` for the customer's first completed order, `sub` for a subscription order.
    #[inline]
    fn bonus_mask(
        &self,
        first: bool,
        sub: impl FnOnce() -> bool,
        birth: Option<u32>,
        d: Day,
    ) -> usize {
        let m = &self.masks;
        let mut mask = if first { m.first_order } else { 0 };
        if m.subscription != 0 && sub() {
            mask |= m.subscription;
        }
        if m.birthday_month != 0 && birth == Some(self.month_of(d)) {
            mask |= m.birthday_month;
        }
        for &(bit, a, b) in &m.campaigns {
            if a <= d && d <= b {
                mask |= bit;
            }
        }
        mask
    }
    /// The day a lot earned on day `d` expires (it is gone from that day on).
    fn lot_expiry(&self, expiry: Expiry, d: Day) -> Day {
        match expiry {
            Expiry::Never => Day::MAX,
            Expiry::Months { months } => self.expiry_day(d, months),
            Expiry::EndOfNextYear => self.year_end(self.year_end(d, 1) + 1, 1) + 1,
        }
    }
    /// Table lookups with chrono as the fallback outside the table.
    fn table(&self, t: &[Day], d: Day, f: impl FnOnce() -> Day) -> Day {
        usize::try_from(d - self.table_from)
            .ok()
            .and_then(|i| t.get(i).copied())
            .unwrap_or_else(f)
    }
    fn year_start(&self, d: Day, start_month: u32) -> Day {
        let t = if start_month == 1 {
            &self.cal_starts
        } else if start_month == self.fiscal_start {
            &self.fy_starts
        } else {
            &[][..]
        };
        self.table(t, d, || year_start(d, start_month))
    }
    fn year_end(&self, d: Day, start_month: u32) -> Day {
        let t = if start_month == 1 {
            &self.cal_ends
        } else if start_month == self.fiscal_start {
            &self.fy_ends
        } else {
            &[][..]
        };
        self.table(t, d, || year_end(d, start_month))
    }
    fn month_of(&self, d: Day) -> u32 {
        usize::try_from(d - self.table_from)
            .ok()
            .and_then(|i| self.months.get(i).copied())
            .map_or_else(|| month_of(d), u32::from)
    }
    /// Whether some stage above the base can be reached with at most this spend and these
    /// orders in the window (points unbounded when a stage has a points threshold).
    fn reachable(&self, spend: i128, orders: i64) -> bool {
        if let Some((s, o)) = self.below {
            if spend < s && orders < o {
                return false;
            }
        }
        let pts = if self.points_thresholds { i64::MAX } else { 0 };
        self.target(spend, orders, pts) > self.base
    }
}

/// Sorted per-customer event lists (redemptions, invitations) with a cursor.
struct PerCustomer<I> {
    items: I,
    next: usize,
}

impl<T: Copy> PerCustomer<Vec<(u32, Day, T)>> {
    fn new(mut items: Vec<(u32, Day, T)>) -> Self {
        items.sort_by_key(|&(c, d, _)| (c, d));
        Self { items, next: 0 }
    }
}

impl<T: Copy> PerCustomer<&[(u32, Day, T)]> {
    /// Skips to customer `c`; returns the range of its items.
    fn range(&mut self, c: u32) -> std::ops::Range<usize> {
        while self.next < self.items.len() && self.items[self.next].0 < c {
            self.next += 1;
        }
        let a = self.next;
        while self.next < self.items.len() && self.items[self.next].0 == c {
            self.next += 1;
        }
        a..self.next
    }
}

fn customer_index(log: &OrderLog, id: &str, what: &str, k: usize) -> Result<u32> {
    log.find_customer(id)
        .map(|c| c as u32)
        .ok_or_else(|| Error::InvalidValue {
            value: id.to_owned(),
            location: Location {
                row: Some(k as u64 + 1),
                column: Some(format!("{what}.customer_id")),
                customer_id: Some(id.to_owned()),
            },
            reason: "this customer is not in the order log; check the id or the log".into(),
        })
}

/// Evaluates `program` over `log` (with redemptions and invitations from `events`).
pub fn evaluate(
    log: &OrderLog,
    program: &Program,
    events: &LoyaltyEvents,
    opts: &StageOptions,
) -> Result<Stages> {
    evaluate_with(log, program, events, opts, true, PARALLEL_FROM)
}

/// `fast = false` is the straightforward reference the tests compare against: chrono for every
/// date, the bonus product in `Decimal` per order, and every review visited. From `split_from`
/// customers the work is split in two halves (tests split the smallest logs).
fn evaluate_with(
    log: &OrderLog,
    program: &Program,
    events: &LoyaltyEvents,
    opts: &StageOptions,
    fast: bool,
    split_from: usize,
) -> Result<Stages> {
    let as_of = log.as_of_day(opts.as_of);
    let amounts = log.amounts();
    let refunds = log.refunds();
    let scale = amounts.scale().max(refunds.amount.scale());
    let (pts_num, pts_den, earn) = match &program.points {
        Some(pt) => (
            10_i128.pow(pt.per.scale()),
            pt.per.mantissa() * 10_i128.pow(scale),
            pt.earn,
        ),
        None => (0, 1, 0),
    };
    let ctx = Ctx {
        p: program,
        as_of,
        order_up: 10_i128.pow(scale - amounts.scale()),
        refund_up: 10_i128.pow(scale - refunds.amount.scale()),
        spend_thr: program
            .stages
            .iter()
            .map(|s| s.spend.map(|d| threshold_units(d, scale)))
            .collect(),
        pts_num,
        pts_den,
        earn,
        base: 0,
        fiscal_start: match program.window {
            Window::FiscalYear { start_month } => start_month,
            _ => 1,
        },
        table_from: 0,
        month_ends: Vec::new(),
        expiries: Vec::new(),
        cal_starts: Vec::new(),
        cal_ends: Vec::new(),
        fy_starts: Vec::new(),
        fy_ends: Vec::new(),
        months: Vec::new(),
        campaign_days: Vec::new(),
        mults: Vec::new(),
        fast,
        pts_u64: match (u64::try_from(pts_num), u64::try_from(pts_den)) {
            (Ok(n), Ok(d)) if d > 0 => Some((n, d)),
            _ => None,
        },
        masks: BonusMasks::default(),
        reqs: Reqs::default(),
        fixed_starts: None,
        below: None,
        next_stage: (0..program.stages.len())
            .map(|k| {
                ((k + 1)..program.stages.len())
                    .find(|&j| !program.stages[j].invitation_only)
                    .map(|j| j as u16)
            })
            .collect(),
        points_thresholds: program
            .stages
            .iter()
            .skip(1)
            .any(|s| s.points.is_some() && !s.invitation_only),
    };
    let mut ctx = ctx;
    fill_tables(&mut ctx, log.first_day(), log.last_day());
    ctx.reqs = Reqs::of(program, &ctx.spend_thr);
    if ctx.fast {
        ctx.below = ctx.reqs.below(ctx.points_thresholds);
    }
    if ctx.fast && program.window != Window::Anniversary && program.review != Review::Anniversary {
        let no_anchor = Sim::new(ctx.base);
        let ws = ctx.window_start(&no_anchor, as_of);
        let by = ctx.review_day(&no_anchor, as_of);
        let ws_by = match program.window {
            Window::Rolling { days } if by != Day::MAX => ws.max(by - days as Day + 1),
            _ => ws,
        };
        ctx.fixed_starts = Some((ws, ws_by));
    }
    let ctx = ctx;
    let mut redemptions = Vec::with_capacity(events.redemptions.len());
    for (k, r) in events.redemptions.iter().enumerate() {
        if r.points <= 0 {
            return Err(Error::InvalidValue {
                value: r.points.to_string(),
                location: Location {
                    row: Some(k as u64 + 1),
                    column: Some("redemptions.points".into()),
                    customer_id: Some(r.customer_id.clone()),
                },
                reason: "a redemption must be a positive number of points".into(),
            });
        }
        if program.points.is_none() {
            return Err(Error::InvalidProgram {
                field: "points".into(),
                value: "(missing)".into(),
                reason: "redemptions need a programme with a points section".into(),
            });
        }
        let c = customer_index(log, &r.customer_id, "redemptions", k)?;
        redemptions.push((c, date_to_day(r.date), r.points));
    }
    let mut invitations = Vec::with_capacity(events.invitations.len());
    for (k, inv) in events.invitations.iter().enumerate() {
        let c = customer_index(log, &inv.customer_id, "invitations", k)?;
        let s = program
            .stage_index(&inv.stage)
            .ok_or_else(|| Error::InvalidValue {
                value: inv.stage.clone(),
                location: Location {
                    row: Some(k as u64 + 1),
                    column: Some("invitations.stage".into()),
                    customer_id: Some(inv.customer_id.clone()),
                },
                reason: format!(
                    "no such stage; the programme has {}",
                    program
                        .stages
                        .iter()
                        .map(|s| s.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })?;
        invitations.push((c, date_to_day(inv.date), s as u16));
    }
    let redemptions = PerCustomer::new(redemptions);
    let invitations = PerCustomer::new(invitations);
    let n = log.n_customers();
    let month_ends = if opts.distribution {
        distribution_months(log, as_of)
    } else {
        Vec::new()
    };
    let run = Run {
        ctx: &ctx,
        scale,
        log,
        opts,
        month_ends: &month_ends,
        redemptions: &redemptions.items,
        invitations: &invitations.items,
    };
    // Customers are independent: two halves of about equal orders, the first on a helper
    // thread where there is one (`crate::par`), appended in customer order. The split and
    // the result do not depend on whether the thread ran.
    let mid = if n >= split_from.max(1) {
        // The first customer whose orders start at half the log or later.
        let half = log.order_range(n - 1).end / 2;
        let (mut lo, mut hi) = (0, n);
        while lo < hi {
            let m = usize::midpoint(lo, hi);
            if log.order_range(m).start < half {
                lo = m + 1;
            } else {
                hi = m;
            }
        }
        lo
    } else {
        n
    };
    // The first half's columns have room for every row: the second's are appended in place.
    let (first, second) = crate::par::join(&|| run.customers(0..mid, n), || {
        run.customers(mid..n, n - mid)
    });
    let mut out = first?;
    out.append(second?);
    if !opts.distribution {
        out.distribution = None;
    }
    Ok(out)
}

/// From this many customers, [`evaluate`] splits them between two threads.
const PARALLEL_FROM: usize = 20_000;

/// What every customer's evaluation reads.
struct Run<'a> {
    ctx: &'a Ctx<'a>,
    /// Decimal places of the money columns.
    scale: u32,
    log: &'a OrderLog,
    opts: &'a StageOptions,
    month_ends: &'a [Day],
    /// Sorted by customer then day.
    redemptions: &'a [(u32, Day, i64)],
    invitations: &'a [(u32, Day, u16)],
}

impl Run<'_> {
    /// The rows (history, distribution) of customers `range`, in columns with room for `n`.
    fn customers(&self, range: std::ops::Range<usize>, n: usize) -> Result<Stages> {
        let (ctx, log, opts) = (self.ctx, self.log, self.opts);
        let program = ctx.p;
        let mut out = Stages {
            as_of: day_to_date(ctx.as_of),
            stage_ids: program.stages.iter().map(|s| s.id.clone()).collect(),
            stage_names: program.stages.iter().map(|s| s.name.clone()).collect(),
            has_points: program.points.is_some(),
            customer_id: log.customer_ids().clone(),
            member_since: Vec::with_capacity(n),
            stage: Vec::with_capacity(n),
            stage_since: Vec::with_capacity(n),
            money_scale: self.scale,
            window_spend_units: Vec::with_capacity(n),
            window_orders: Vec::with_capacity(n),
            window_points: Vec::with_capacity(n),
            points_earned: Vec::with_capacity(n),
            points_expired: Vec::with_capacity(n),
            points_redeemed: Vec::with_capacity(n),
            points_reversed: Vec::with_capacity(n),
            points_balance: Vec::with_capacity(n),
            next_expiring_points: Vec::with_capacity(n),
            next_expiring_date: Vec::with_capacity(n),
            next_stage: Vec::with_capacity(n),
            spend_needed_units: Vec::with_capacity(n),
            orders_needed: Vec::with_capacity(n),
            points_needed: Vec::with_capacity(n),
            needed_by: Vec::with_capacity(n),
            history: Vec::new(),
            history_order_ids: Vec::new(),
            distribution: None,
        };
        let month_ends = self.month_ends;
        let ns = program.stages.len();
        let mut dist = Distribution {
            month_ends: month_ends.iter().map(|&d| day_to_date(d)).collect(),
            stages: out.stage_ids.clone(),
            counts: vec![vec![0; ns]; month_ends.len()],
            upgrades: vec![0; month_ends.len()],
            downgrades: vec![0; month_ends.len()],
            new_members: vec![0; month_ends.len()],
            transitions: vec![vec![0; ns]; ns + 1],
        };
        let first = range.start as u32;
        let mut redemptions = PerCustomer {
            next: self.redemptions.partition_point(|r| r.0 < first),
            items: self.redemptions,
        };
        let mut invitations = PerCustomer {
            next: self.invitations.partition_point(|r| r.0 < first),
            items: self.invitations,
        };
        let mut sc = Scratch::default();
        for c in range {
            let r = redemptions.range(c as u32);
            let iv = invitations.range(c as u32);
            let s = run_customer(
                ctx,
                log,
                c,
                &redemptions.items[r],
                &invitations.items[iv],
                &mut sc,
            )?;
            check_points(log, c, &s)?;
            push_row(ctx, log, c, &s, &sc, &mut out);
            if opts.history {
                let base = log.order_range(c).start;
                for &(day, from, to, reason, pos) in &sc.changes {
                    let order = if pos == NONE {
                        NONE
                    } else {
                        (base + pos as usize) as u32
                    };
                    out.history.push(StageChange {
                        customer: c as u32,
                        day,
                        from,
                        to,
                        reason,
                        order,
                    });
                    out.history_order_ids.push(if order == NONE {
                        None
                    } else {
                        log.order_id(order as usize).map(str::to_owned)
                    });
                }
            }
            if opts.distribution {
                if let Some(j) = s.joined {
                    tally(month_ends, j, ctx.base, &sc.changes, &mut dist);
                }
            }
        }
        out.distribution = Some(dist);
        Ok(out)
    }
}

impl Stages {
    /// Appends the rows (history, distribution counts) of the customers after these.
    fn append(&mut self, b: Stages) {
        self.member_since.extend(b.member_since);
        self.stage.extend(b.stage);
        self.stage_since.extend(b.stage_since);
        self.window_spend_units.extend(b.window_spend_units);
        self.window_orders.extend(b.window_orders);
        self.window_points.extend(b.window_points);
        self.points_earned.extend(b.points_earned);
        self.points_expired.extend(b.points_expired);
        self.points_redeemed.extend(b.points_redeemed);
        self.points_reversed.extend(b.points_reversed);
        self.points_balance.extend(b.points_balance);
        self.next_expiring_points.extend(b.next_expiring_points);
        self.next_expiring_date.extend(b.next_expiring_date);
        self.next_stage.extend(b.next_stage);
        self.spend_needed_units.extend(b.spend_needed_units);
        self.orders_needed.extend(b.orders_needed);
        self.points_needed.extend(b.points_needed);
        self.needed_by.extend(b.needed_by);
        self.history.extend(b.history);
        self.history_order_ids.extend(b.history_order_ids);
        if let (Some(a), Some(b)) = (&mut self.distribution, b.distribution) {
            let add = |x: &mut [u64], y: &[u64]| x.iter_mut().zip(y).for_each(|(x, y)| *x += y);
            for (x, y) in a.counts.iter_mut().zip(&b.counts) {
                add(x, y);
            }
            add(&mut a.upgrades, &b.upgrades);
            add(&mut a.downgrades, &b.downgrades);
            add(&mut a.new_members, &b.new_members);
            for (x, y) in a.transitions.iter_mut().zip(&b.transitions) {
                add(x, y);
            }
        }
    }
}

/// The per-run tables of `ctx` (see [`Ctx`]) for the days from `first` to `last` and the
/// evaluation date, with a few years of margin for reviews and expiries (outside: chrono).
fn fill_tables(ctx: &mut Ctx<'_>, first: Option<Day>, last: Option<Day>) {
    let p = ctx.p;
    if let Some(pt) = &p.points {
        ctx.campaign_days = pt
            .bonuses
            .iter()
            .map(|b| match b.when {
                BonusWhen::Campaign { from, to } => (date_to_day(from), date_to_day(to)),
                _ => (Day::MAX, Day::MIN),
            })
            .collect();
        let nb = pt.bonuses.len();
        if nb <= MAX_TABLE_BONUSES && ctx.fast {
            ctx.mults = (0..p.stages.len() << nb)
                .map(|k| bonus_product(p, (k >> nb) as u16, |b| (k >> b) & 1 == 1))
                .collect();
            for (k, b) in pt.bonuses.iter().enumerate() {
                let bit = 1 << k;
                match b.when {
                    BonusWhen::FirstOrder => ctx.masks.first_order |= bit,
                    BonusWhen::Subscription => ctx.masks.subscription |= bit,
                    BonusWhen::BirthdayMonth => ctx.masks.birthday_month |= bit,
                    BonusWhen::Campaign { from, to } => {
                        ctx.masks
                            .campaigns
                            .push((bit, date_to_day(from), date_to_day(to)));
                    }
                }
            }
        }
    }
    let (Some(first), Some(last)) = (first, last) else {
        return;
    };
    if !ctx.fast {
        return;
    }
    let from = first.min(ctx.as_of) - 400;
    let to = last.max(ctx.as_of) + 800;
    if to - from >= 200_000 {
        return;
    }
    ctx.table_from = from;
    ctx.month_ends = month_end_table(from, to);
    if let Some(Expiry::Months { months }) = p.points.as_ref().map(|p| p.expiry) {
        ctx.expiries = (from..to).map(|d| add_months(d, months)).collect();
    }
    let years = |start_month: u32| {
        let (mut starts, mut ends) = (Vec::new(), Vec::new());
        let mut d = from;
        while d < to {
            let (s, e) = (year_start(d, start_month), year_end(d, start_month));
            let upto = e.min(to - 1);
            starts.extend(std::iter::repeat_n(s, (upto - d + 1) as usize));
            ends.extend(std::iter::repeat_n(e, (upto - d + 1) as usize));
            d = upto + 1;
        }
        (starts, ends)
    };
    let uses_calendar = p.window == Window::CalendarYear
        || (p.review == Review::Year && ctx.fiscal_start == 1)
        || p.points
            .as_ref()
            .is_some_and(|pt| pt.expiry == Expiry::EndOfNextYear);
    if uses_calendar {
        (ctx.cal_starts, ctx.cal_ends) = years(1);
    }
    if ctx.fiscal_start != 1 {
        (ctx.fy_starts, ctx.fy_ends) = years(ctx.fiscal_start);
    }
    let birthday = p.points.as_ref().is_some_and(|pt| {
        pt.bonuses
            .iter()
            .any(|b| b.when == BonusWhen::BirthdayMonth)
    });
    if birthday {
        ctx.months = (from..to).map(|d| month_of(d) as u8).collect();
    }
}

/// `month_end(d)` for every `d` in `from..to`, computed once per month.
fn month_end_table(from: Day, to: Day) -> Vec<Day> {
    let mut v = Vec::with_capacity((to - from).max(0) as usize);
    let mut d = from;
    while d < to {
        let e = month_end(d);
        let upto = e.min(to - 1);
        v.extend(std::iter::repeat_n(e, (upto - d + 1) as usize));
        d = upto + 1;
    }
    v
}

fn distribution_months(log: &OrderLog, as_of: Day) -> Vec<Day> {
    let mut v = Vec::new();
    if let Some(first) = log.first_day() {
        let mut e = month_end(first);
        while e <= as_of && v.len() < 1200 {
            v.push(e);
            e = month_end(e + 1);
        }
    }
    v
}

fn tally(
    ends: &[Day],
    joined: Day,
    base: u16,
    changes: &[(Day, u16, u16, ChangeReason, u32)],
    d: &mut Distribution,
) {
    let ns = d.stages.len();
    let start = ends.partition_point(|&e| e < joined);
    let mut k = 0;
    let mut stage = base;
    let mut prev: Option<u16> = None;
    for (m, &e) in ends.iter().enumerate().skip(start) {
        while k < changes.len() && changes[k].0 <= e {
            stage = changes[k].2;
            k += 1;
        }
        d.counts[m][stage as usize] += 1;
        match prev {
            None => {
                d.new_members[m] += 1;
                d.transitions[ns][stage as usize] += 1;
            }
            Some(p) => {
                d.transitions[p as usize][stage as usize] += 1;
                if stage > p {
                    d.upgrades[m] += 1;
                } else if stage < p {
                    d.downgrades[m] += 1;
                }
            }
        }
        prev = Some(stage);
    }
}

/// The order columns of one customer, and what booking an order reads besides.
struct OrderCols<'a> {
    units: &'a [i64],
    kinds: &'a [OrderKind],
    subs: &'a [u32],
    birth_month: Option<u32>,
    /// Keep each order's multiplier and flat points (a refund may recompute its points).
    keep_mult: bool,
}

/// Whether bonus `k` applies to order `i` of day `d` (`first`: the customer's first completed
/// order).
#[inline]
fn bonus_hit(
    ctx: &Ctx<'_>,
    o: &OrderCols<'_>,
    i: usize,
    d: Day,
    first: bool,
    k: usize,
    when: &BonusWhen,
) -> bool {
    match when {
        BonusWhen::FirstOrder => first,
        BonusWhen::BirthdayMonth => o.birth_month == Some(ctx.month_of(d)),
        BonusWhen::Subscription => o.kinds[i] == OrderKind::Subscription || o.subs[i] != NONE,
        BonusWhen::Campaign { .. } => {
            let (a, b) = ctx.campaign_days[k];
            (a..=b).contains(&d)
        }
    }
}

/// Books completed order `i` of day `d`: its spend, points (with the stage multiplier and
/// bonuses) and lot, and the window sums.
fn book_order(ctx: &Ctx<'_>, s: &mut Sim, sc: &mut Scratch, o: &OrderCols<'_>, i: usize, d: Day) {
    let amount = i128::from(o.units[i]) * ctx.order_up;
    sc.spend[i] = amount;
    sc.counted[i] = true;
    if s.joined.is_none() {
        s.joined = Some(d);
        s.since = Some(d);
    }
    if s.anchor.is_none() {
        s.anchor = Some(d);
    }
    if let Some(pt) = &ctx.p.points {
        let first = !s.completed_seen;
        let (mult, flat) = if ctx.mults.is_empty() {
            ctx.multiplier(s.cur, |k, when| bonus_hit(ctx, o, i, d, first, k, when))
        } else {
            // the tabulated product of the stage and the bonuses hit (at most 8)
            let sub = || o.kinds[i] == OrderKind::Subscription || o.subs[i] != NONE;
            let mask = ctx.bonus_mask(first, sub, o.birth_month, d);
            ctx.mults[(usize::from(s.cur) << pt.bonuses.len()) | mask]
        };
        let earned = ctx.points_for(amount, mult, flat);
        if o.keep_mult {
            sc.mult[i] = mult;
            sc.flat[i] = flat;
        }
        sc.pts[i] = earned;
        earn(ctx, s, sc, pt.expiry, d, earned, i as u32);
    }
    s.completed_seen = true;
    s.win_spend += sc.spend[i];
    s.win_orders += 1;
    s.win_points = s.win_points.saturating_add(sc.pts[i]);
}

/// Upper bounds of the qualifying spend (units at the order scale, each order counted at
/// least 0) and orders any window can hold on or before the evaluation date: the most over any
/// span of the window's length for a rolling window, else the total.
fn max_window(ctx: &Ctx<'_>, days: &[Day], units: &[i64], status: &[OrderStatus]) -> (i128, i64) {
    let n = days.partition_point(|&d| d <= ctx.as_of);
    let live = |k: usize| status[k] != OrderStatus::Cancelled;
    let (mut total, mut orders) = (0_i128, 0_i64);
    for (&u, &st) in units[..n].iter().zip(&status[..n]) {
        if st != OrderStatus::Cancelled {
            total += i128::from(u.max(0));
            orders += 1;
        }
    }
    // (the total is a bound too: most customers are below the first stage with it)
    if let (Window::Rolling { days: len }, true) =
        (ctx.p.window, ctx.reachable(total * ctx.order_up, orders))
    {
        let len = len as Day;
        let (mut sum, mut cnt, mut best_sum, mut best_cnt) = (0_i128, 0_i64, 0_i128, 0_i64);
        let mut j = 0;
        for k in 0..n {
            if !live(k) {
                continue;
            }
            sum += i128::from(units[k].max(0));
            cnt += 1;
            // orders more than `len - 1` days before this one are never in a window with it
            while days[j] <= days[k] - len {
                if live(j) {
                    sum -= i128::from(units[j].max(0));
                    cnt -= 1;
                }
                j += 1;
            }
            best_sum = best_sum.max(sum);
            best_cnt = best_cnt.max(cnt);
        }
        return (best_sum, best_cnt);
    }
    (total, orders)
}

/// What `push_row` reads from the lots and the per-order scratch, computed by
/// [`run_base_only`] instead.
#[derive(Clone, Copy)]
struct Tail {
    /// The expiry day of the first lot still held that expires (`Day::MAX`: none).
    next_expiry: Day,
    /// The points of the lots held that expire that day.
    next_expiring_points: i64,
    /// Window spend, orders and points still counting on the progress day (`needed_by`).
    at_needed_by: (i128, i64, i64),
}

/// The customers who never leave the base stage and have only orders (no refund, redemption
/// or invitation): what the event loop of [`run_customer`] computes, in one pass over the
/// orders and without per-order scratch (window membership, expiry and progress are decided
/// per order from the days they depend on).
fn run_base_only(
    ctx: &Ctx<'_>,
    s: &mut Sim,
    days: &[Day],
    status: &[OrderStatus],
    o: &OrderCols<'_>,
) {
    let as_of = ctx.as_of;
    // first day in the window as of the date, and on the progress day (set with the first
    // completed order when they depend on it)
    let (mut ws, mut ws_by) = ctx.fixed_starts.unwrap_or((Day::MAX, Day::MAX));
    let expiry = ctx.p.points.as_ref().map(|pt| pt.expiry);
    let nb = ctx.p.points.as_ref().map_or(0, |pt| pt.bonuses.len());
    let row = usize::from(s.cur) << nb;
    // sums kept in locals (registers), written to `s` at the end
    let (mut win_spend, mut win_orders, mut win_points) = (0_i128, 0_i64, 0_i64);
    let (mut by_spend, mut by_orders, mut by_points) = (0_i128, 0_i64, 0_i64);
    let (mut earned, mut expired) = (0_i64, 0_i64);
    let (mut next_expiry, mut next_points) = (Day::MAX, 0_i64);
    let mut first = true;
    // lots expire in the order they were earned: the first ones expired, then the held ones
    let mut expiring = true;
    for (i, &d) in days.iter().enumerate() {
        if d > as_of {
            break;
        }
        if status[i] == OrderStatus::Cancelled {
            continue;
        }
        let amount = i128::from(o.units[i]) * ctx.order_up;
        if first {
            s.joined = Some(d);
            s.since = Some(d);
            s.anchor = Some(d);
            s.completed_seen = true;
            if ctx.fixed_starts.is_none() {
                ws = ctx.window_start(s, as_of);
                let by = ctx.review_day(s, as_of);
                ws_by = match ctx.p.window {
                    Window::Rolling { days: len } if by != Day::MAX => ws.max(by - len as Day + 1),
                    _ => ws,
                };
            }
        }
        let mut pts = 0;
        if let Some(expiry) = expiry {
            let (mult, flat) = if ctx.mults.is_empty() {
                ctx.multiplier(s.cur, |k, when| bonus_hit(ctx, o, i, d, first, k, when))
            } else {
                let sub = || o.kinds[i] == OrderKind::Subscription || o.subs[i] != NONE;
                ctx.mults[row | ctx.bonus_mask(first, sub, o.birth_month, d)]
            };
            pts = ctx.points_for(amount, mult, flat);
            if pts > 0 {
                // (saturating: a sum beyond `MAX_POINTS` is refused after the customer)
                earned = earned.saturating_add(pts);
                let e = ctx.lot_expiry(expiry, d);
                if expiring && e <= as_of {
                    expired = expired.saturating_add(pts);
                } else {
                    expiring = false;
                    if next_expiry == Day::MAX {
                        next_expiry = e;
                    }
                    if e == next_expiry && e != Day::MAX {
                        next_points = next_points.saturating_add(pts);
                    }
                }
            }
        }
        first = false;
        if d >= ws {
            win_spend += amount;
            win_orders += 1;
            win_points = win_points.saturating_add(pts);
        }
        if d >= ws_by {
            by_spend += amount;
            by_orders += 1;
            by_points = by_points.saturating_add(pts);
        }
    }
    s.win_spend = win_spend;
    s.win_orders = win_orders;
    s.win_points = win_points;
    s.earned = earned;
    s.expired = expired;
    s.lots_total = earned - expired;
    s.tail = Some(Tail {
        next_expiry,
        next_expiring_points: next_points,
        at_needed_by: (by_spend, by_orders, by_points),
    });
}

#[allow(clippy::too_many_lines)]
fn run_customer(
    ctx: &Ctx<'_>,
    log: &OrderLog,
    c: usize,
    redemptions: &[(u32, Day, i64)],
    invitations: &[(u32, Day, u16)],
    sc: &mut Scratch,
) -> Result<Sim> {
    let p = ctx.p;
    let range = log.order_range(c);
    let start = range.start;
    let days = &log.days()[range.clone()];
    let units = &log.amounts().units()[range.clone()];
    let status = &log.statuses()[range.clone()];
    let kinds = &log.kinds()[range.clone()];
    let subs = &log.subscription_index()[range.clone()];
    let refunds = log.refunds();
    let rr = log.refund_range(c);
    let r_day = &refunds.day[rr.clone()];
    let r_units = &refunds.amount.units()[rr.clone()];
    let r_order = &refunds.order[rr];
    let m = days.len();
    let has_refunds = !r_day.is_empty();
    sc.changes.clear();
    let cols = OrderCols {
        units,
        kinds,
        subs,
        birth_month: log.birth_date(c).map(|b| chrono::Datelike::month(&b)),
        keep_mult: has_refunds && p.points.is_some(),
    };
    let mut s = Sim::new(ctx.base);
    // A customer whose completed orders cannot reach the first stage above the base in any
    // window (and who is invited nowhere) never leaves the base stage: its reviews change
    // nothing, so none is visited. Refunds only lower the window, expiry does not depend on
    // reviews, and the progress columns are computed from the final state.
    if invitations.is_empty() && ctx.fast {
        let (spend, orders) = max_window(ctx, days, units, status);
        s.stays_base = !ctx.reachable(spend * ctx.order_up, orders);
    }
    if s.stays_base && !has_refunds && redemptions.is_empty() {
        // Only orders, and the stage stays: no review, refund, redemption or invitation can
        // change anything between them, so they are booked in one pass (what the event loop
        // below would do, day by day), without the per-order scratch.
        run_base_only(ctx, &mut s, days, status, &cols);
        return Ok(s);
    }
    sc.spend.clear();
    sc.spend.resize(m, 0);
    sc.counted.clear();
    sc.counted.resize(m, false);
    sc.pts.clear();
    sc.pts.resize(m, 0);
    // What only a linked refund reads (kept per order only when the customer has refunds).
    if has_refunds {
        sc.refunded.clear();
        sc.refunded.resize(m, 0);
        if p.points.is_some() {
            sc.mult.clear();
            sc.mult.resize(m, Mult::ONE);
            sc.flat.clear();
            sc.flat.resize(m, 0);
        }
    }
    sc.lots.clear();
    let (mut ri, mut di, mut ii) = (0usize, 0usize, 0usize);
    let as_of = ctx.as_of;
    let upgrade_on_order = p.upgrade == Upgrade::OnOrder;
    let net = p.spend == SpendBasis::Net;
    loop {
        // The next day where anything can change.
        let mut d = Day::MAX;
        if s.hi < m {
            d = d.min(days[s.hi]);
        }
        if ri < r_day.len() {
            d = d.min(r_day[ri]);
        }
        if di < redemptions.len() {
            d = d.min(redemptions[di].1);
        }
        if ii < invitations.len() {
            d = d.min(invitations[ii].1);
        }
        let review = next_review(ctx, &s, days);
        d = d.min(review);
        if let Some(g) = s.grace_until {
            d = d.min(g);
        }
        if d > as_of || d == Day::MAX {
            break;
        }
        expire(&mut s, sc, d);
        // The window sums are read by thresholds only (an upgrade on order, a review): a
        // customer who stays in the base stage moves its window once, at the end (the sums
        // stay the sums over `lo..hi` whatever `lo` is, refunds included). In the base stage
        // (no grace pending, upgrades at period end) nothing reads them before the next review,
        // and `next_review` does not read `lo` there: the window moves on review days only
        // (or at the end of the day, if an invitation leaves the base stage).
        let defer = ctx.fast
            && !upgrade_on_order
            && p.window != Window::Anniversary
            && s.cur == ctx.base
            && s.grace_until.is_none()
            && d != review;
        if !s.stays_base && !defer {
            advance_window(ctx, &mut s, sc, days, d);
        }
        // Orders of the day, in time order.
        while s.hi < m && days[s.hi] == d {
            let i = s.hi;
            s.hi += 1;
            if status[i] == OrderStatus::Cancelled {
                continue;
            }
            book_order(ctx, &mut s, sc, &cols, i, d);
            s.dirty = Some(s.dirty.map_or(d, |x| x.min(d)));
            // (a customer who stays in the base stage keeps stale window sums, see above)
            if upgrade_on_order && !s.stays_base {
                let t = ctx.target(s.win_spend, s.win_orders, s.win_points);
                if t > s.cur {
                    change(ctx, &mut s, sc, d, t, ChangeReason::Order, i as u32);
                    if p.window == Window::Anniversary {
                        s.anchor = Some(d);
                        s.lo_floor = s.hi;
                        advance_window(ctx, &mut s, sc, days, d);
                    }
                }
            }
        }
        // Refunds of the day (after its orders).
        while ri < r_day.len() && r_day[ri] == d {
            let k = ri;
            ri += 1;
            let o = r_order[k];
            if o == NONE || (o as usize) < start || (o as usize) >= start + m {
                continue; // not linked to an order of this customer: no loyalty effect
            }
            let pos = o as usize - start;
            if pos >= s.hi || status[pos] == OrderStatus::Cancelled {
                continue; // a refund dated before its order, or of a cancelled order
            }
            let amt = i128::from(r_units[k]) * ctx.refund_up;
            sc.refunded[pos] += amt;
            let gross = i128::from(units[pos]) * ctx.order_up;
            let left = (gross - sc.refunded[pos]).max(0);
            let in_window = pos >= s.lo && pos < s.hi;
            if net {
                let new_spend = left;
                let new_counted = left > 0;
                if in_window {
                    s.win_spend += new_spend - sc.spend[pos];
                    s.win_orders += i64::from(new_counted) - i64::from(sc.counted[pos]);
                }
                sc.spend[pos] = new_spend;
                sc.counted[pos] = new_counted;
            }
            if let Some(pt) = &p.points {
                if pt.reverse_on_refund {
                    let new_pts = ctx.points_for(left, sc.mult[pos], sc.flat[pos]);
                    let back = sc.pts[pos] - new_pts;
                    if back > 0 {
                        if in_window {
                            s.win_points -= back;
                        }
                        sc.pts[pos] = new_pts;
                        s.reversed += back;
                        take(
                            ctx,
                            log,
                            c,
                            &mut s,
                            sc,
                            back,
                            Some(pos as u32),
                            d,
                            pt.shortfall,
                            start + pos,
                        )?;
                    }
                }
            }
            s.dirty = Some(s.dirty.map_or(d, |x| x.min(d)));
        }
        while di < redemptions.len() && redemptions[di].1 == d {
            let pts = redemptions[di].2;
            di += 1;
            let policy = p.points.as_ref().map_or(Shortfall::Error, |x| x.shortfall);
            s.redeemed = s.redeemed.saturating_add(pts);
            take(ctx, log, c, &mut s, sc, pts, None, d, policy, usize::MAX)?;
        }
        while ii < invitations.len() && invitations[ii].1 == d {
            let to = invitations[ii].2;
            ii += 1;
            if s.joined.is_none() {
                s.joined = Some(d);
                s.since = Some(d);
            }
            if to != s.cur {
                change(ctx, &mut s, sc, d, to, ChangeReason::Invitation, NONE);
                if p.window == Window::Anniversary {
                    s.anchor = Some(d);
                    s.lo_floor = s.hi;
                    advance_window(ctx, &mut s, sc, days, d);
                }
            }
            s.grace_until = None;
            s.dirty = Some(d);
        }
        if defer && !s.stays_base && (s.cur != ctx.base || s.grace_until.is_some()) {
            advance_window(ctx, &mut s, sc, days, d);
        }
        if d == as_of {
            break; // a review or grace end on the evaluation day takes effect the day after
        }
        if d == review {
            do_review(ctx, &mut s, sc, days, d, false);
        }
        if s.grace_until == Some(d) {
            do_review(ctx, &mut s, sc, days, d, true);
        }
    }
    expire(&mut s, sc, as_of);
    // The window as of the date.
    advance_window(ctx, &mut s, sc, days, as_of);
    Ok(s)
}

/// The next review day to visit, or `Day::MAX`.
fn next_review(ctx: &Ctx<'_>, s: &Sim, days: &[Day]) -> Day {
    if s.joined.is_none() || (s.stays_base && s.cur == ctx.base && s.grace_until.is_none()) {
        return Day::MAX;
    }
    let mut r = Day::MAX;
    if let Some(x) = s.dirty {
        r = r.min(ctx.review_day(s, x));
    }
    // Orders leaving the window only lower the sums: that matters to a review only when there
    // is a stage to lose. In the base stage (no grace pending) the sums cannot rise between
    // events, so after the review that follows the last event nothing can change until the
    // next one (the reference path visits those reviews anyway).
    if ctx.fast && s.cur == ctx.base && s.grace_until.is_none() {
        return r;
    }
    let lo = s.lo.max(s.lo_floor);
    if lo < s.hi {
        r = r.min(ctx.review_day(s, ctx.exit_day(s, days[lo])));
    }
    r
}

fn do_review(ctx: &Ctx<'_>, s: &mut Sim, sc: &mut Scratch, days: &[Day], d: Day, grace_end: bool) {
    let p = ctx.p;
    let t = ctx.target(s.win_spend, s.win_orders, s.win_points);
    let reason = if grace_end {
        ChangeReason::GraceEnd
    } else {
        ChangeReason::Review
    };
    s.dirty = None;
    if grace_end {
        s.grace_until = None;
    } else if s.grace_until.is_some() {
        // a downgrade is pending: only an upgrade (or re-qualifying) changes anything now
        if t >= s.cur {
            s.grace_until = None;
        }
        if t > s.cur {
            change(ctx, s, sc, d + 1, t, reason, NONE);
            reset_anniversary(ctx, s, sc, days, d + 1);
        }
        return;
    }
    if t > s.cur {
        change(ctx, s, sc, d + 1, t, reason, NONE);
        reset_anniversary(ctx, s, sc, days, d + 1);
    } else if t < s.cur && !ctx.invitation_only(s.cur) {
        if p.grace_days > 0 && !grace_end && p.downgrade != Downgrade::Never {
            s.grace_until = Some(d + p.grace_days as Day);
            return;
        }
        let to = match p.downgrade {
            Downgrade::Never => s.cur,
            Downgrade::OneStep => ctx.one_below(s.cur),
            Downgrade::Recompute => t,
        };
        if to != s.cur {
            change(ctx, s, sc, d + 1, to, reason, NONE);
            reset_anniversary(ctx, s, sc, days, d + 1);
        }
        if to != t && p.downgrade == Downgrade::OneStep {
            s.dirty = Some(d + 1);
        }
    }
}

fn reset_anniversary(ctx: &Ctx<'_>, s: &mut Sim, sc: &mut Scratch, days: &[Day], from: Day) {
    if ctx.p.window == Window::Anniversary {
        s.anchor = Some(from);
        s.lo_floor = s.hi;
        advance_window(ctx, s, sc, days, from);
    }
}

fn change(
    _ctx: &Ctx<'_>,
    s: &mut Sim,
    sc: &mut Scratch,
    day: Day,
    to: u16,
    reason: ChangeReason,
    pos: u32,
) {
    sc.changes.push((day, s.cur, to, reason, pos));
    if to > s.cur {
        s.grace_until = None;
    }
    s.cur = to;
    s.since = Some(day);
}

/// Drops orders that no longer count on day `d` from the window sums.
fn advance_window(ctx: &Ctx<'_>, s: &mut Sim, sc: &Scratch, days: &[Day], d: Day) {
    let ws = ctx.window_start(s, d);
    while s.lo < s.hi && (s.lo < s.lo_floor || days[s.lo] < ws) {
        let i = s.lo;
        s.win_spend -= sc.spend[i];
        s.win_orders -= i64::from(sc.counted[i]);
        s.win_points -= sc.pts[i];
        s.lo += 1;
    }
}

fn expire(s: &mut Sim, sc: &mut Scratch, d: Day) {
    while s.lot_head < sc.lots.len() && sc.lots[s.lot_head].0 <= d {
        let left = sc.lots[s.lot_head].1;
        s.expired = s.expired.saturating_add(left);
        s.lots_total -= left;
        sc.lots[s.lot_head].1 = 0;
        s.lot_head += 1;
    }
}

/// The most points any counter of a customer may hold: 2^53 − 1, the largest integer exact in
/// a JavaScript number (and in a float64 column), so that every binding reports it exactly.
pub const MAX_POINTS: i64 = (1 << 53) - 1;

/// Refuses a customer whose points earned, redeemed or owed exceed [`MAX_POINTS`] (the sums
/// saturate while the customer is evaluated; every other points counter is at most one of
/// these), instead of reporting a wrong or wrapped count.
fn check_points(log: &OrderLog, c: usize, s: &Sim) -> Result<()> {
    for (what, v) in [
        ("earned", s.earned),
        ("redeemed", s.redeemed),
        ("owed", s.debt),
    ] {
        if v > MAX_POINTS {
            return Err(Error::InvalidValue {
                value: v.to_string(),
                location: Location::customer(log.customer_id(c)),
                reason: format!(
                    "the points {what} exceed {MAX_POINTS} (2^53 − 1, the most a points count \
                     may hold so that every language reports it exactly); lower the points rate \
                     (points.earn per points.per), the multipliers or flat points, or the \
                     redemption amounts"
                ),
            });
        }
    }
    Ok(())
}

fn earn(ctx: &Ctx<'_>, s: &mut Sim, sc: &mut Scratch, expiry: Expiry, d: Day, pts: i64, pos: u32) {
    if pts <= 0 {
        return;
    }
    // (saturating: a sum beyond `MAX_POINTS` is refused after the customer)
    s.earned = s.earned.saturating_add(pts);
    let repay = pts.min(s.debt);
    s.debt -= repay;
    let left = pts - repay;
    let expires = ctx.lot_expiry(expiry, d);
    sc.lots.push((expires, left, pos));
    s.lots_total = s.lots_total.saturating_add(left);
}

#[allow(clippy::too_many_arguments)]
fn take(
    _ctx: &Ctx<'_>,
    log: &OrderLog,
    c: usize,
    s: &mut Sim,
    sc: &mut Scratch,
    mut n: i64,
    prefer: Option<u32>,
    d: Day,
    policy: Shortfall,
    order: usize,
) -> Result<()> {
    let balance = s.lots_total - s.debt;
    if n > balance.max(0) && policy == Shortfall::Error {
        return Err(Error::PointsShortfall {
            customer_id: log.customer_id(c).to_owned(),
            date: day_to_date(d),
            what: if order == usize::MAX {
                "a redemption".into()
            } else {
                format!(
                    "the refund reversal of order '{}'",
                    log.order_id(order).unwrap_or("?")
                )
            },
            needed: n,
            balance,
        });
    }
    if let Some(pos) = prefer {
        if let Some(l) = sc.lots[s.lot_head..].iter_mut().find(|l| l.2 == pos) {
            let k = n.min(l.1);
            l.1 -= k;
            s.lots_total -= k;
            n -= k;
        }
    }
    for l in &mut sc.lots[s.lot_head..] {
        if n == 0 {
            break;
        }
        let k = n.min(l.1);
        l.1 -= k;
        s.lots_total -= k;
        n -= k;
    }
    s.debt = s.debt.saturating_add(n);
    Ok(())
}

fn push_row(ctx: &Ctx<'_>, log: &OrderLog, c: usize, s: &Sim, sc: &Scratch, out: &mut Stages) {
    let _ = (log, c);
    let clamp = |v: i128| i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX });
    out.member_since.push(s.joined);
    out.stage.push(s.cur);
    out.stage_since.push(s.since);
    out.window_spend_units.push(clamp(s.win_spend));
    out.window_orders.push(s.win_orders.max(0) as u32);
    out.window_points.push(s.win_points);
    out.points_earned.push(s.earned);
    out.points_expired.push(s.expired);
    out.points_redeemed.push(s.redeemed);
    out.points_reversed.push(s.reversed);
    out.points_balance.push(s.lots_total - s.debt);
    // The points of every lot that expires first (lots are in expiry order).
    let first = if let Some(t) = s.tail {
        (t.next_expiry != Day::MAX).then_some((t.next_expiry, t.next_expiring_points))
    } else {
        let live = &sc.lots[s.lot_head..];
        live.iter()
            .find(|l| l.1 > 0 && l.0 != Day::MAX)
            .map(|l| (l.0, live.iter().filter(|m| m.0 == l.0).map(|m| m.1).sum()))
    };
    out.next_expiring_points.push(first.map_or(0, |f| f.1));
    out.next_expiring_date.push(first.map(|f| f.0 - 1));
    // Progress to the next stage reachable by thresholds.
    let next = ctx.next_stage[usize::from(s.cur)];
    out.next_stage.push(next);
    let by = if next.is_some() && s.joined.is_some() {
        ctx.review_day(s, ctx.as_of)
    } else {
        Day::MAX
    };
    match (next, s.joined) {
        (Some(k), Some(_)) if by != Day::MAX => {
            // What still counts at `by` if nothing else is bought: rolling windows lose the
            // orders that leave before then.
            let (mut sp, mut or, mut pt) = (s.win_spend, s.win_orders, s.win_points);
            if let Some(t) = s.tail {
                (sp, or, pt) = t.at_needed_by;
            } else if let Window::Rolling { days } = ctx.p.window {
                let ws = by - days as Day + 1;
                let ds = &log.days()[log.order_range(c)];
                let lo = s.lo.max(s.lo_floor);
                for (i, &d) in ds.iter().enumerate().take(s.hi).skip(lo) {
                    if d >= ws {
                        break;
                    }
                    sp -= sc.spend[i];
                    or -= i64::from(sc.counted[i]);
                    pt -= sc.pts[i];
                }
            }
            let st = &ctx.p.stages[k as usize];
            out.spend_needed_units
                .push(ctx.spend_thr[k as usize].map(|t| clamp((t - sp).max(0))));
            out.orders_needed
                .push(st.orders.map(|t| (i64::from(t) - or).max(0) as u32));
            out.points_needed.push(st.points.map(|t| (t - pt).max(0)));
            out.needed_by.push(Some(by));
        }
        _ => {
            out.spend_needed_units.push(None);
            out.orders_needed.push(None);
            out.points_needed.push(None);
            out.needed_by.push(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use proptest::prelude::*;

    use super::*;
    use crate::io::{ReadOptions, read_csv_str};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// Integer base points × multiplier equals the `Decimal` product, floored.
        #[test]
        fn integer_multiplier_equals_decimal(base in prop_oneof![0i64..100_000, any::<i64>().prop_map(i64::abs)],
                                             m in 0i64..10_000_000, scale in 0u32..12, k in 0usize..3) {
            let d = Decimal::new(m, scale);
            let mult = Mult::of(match k { 0 => d, 1 => d * d, _ => d * Decimal::new(15, 1) });
            prop_assert_eq!(scaled_points(base, mult), scaled_points_decimal(base, mult));
        }
    }

    const WINDOWS: [&str; 4] = [
        r#"{"kind": "rolling", "days": 90}"#,
        r#"{"kind": "calendar_year"}"#,
        r#"{"kind": "fiscal_year", "start_month": 4}"#,
        r#"{"kind": "anniversary"}"#,
    ];
    const EXPIRIES: [&str; 3] = [
        r#"{"kind": "months", "months": 3}"#,
        r#"{"kind": "end_of_next_year"}"#,
        r#"{"kind": "never"}"#,
    ];

    fn program(
        w: usize,
        review: &str,
        upgrade: &str,
        downgrade: &str,
        e: usize,
        pts: bool,
    ) -> Program {
        let top = if pts {
            r#"{"id": "top", "points": 60}"#
        } else {
            r#"{"id": "top", "spend": 5000}"#
        };
        Program::from_json(&format!(
            r#"{{"stages": [{{"id": "base", "multiplier": "1.25"}}, {{"id": "silver", "spend": 900, "multiplier": "1.5"}},
                 {{"id": "gold", "spend": 2500, "orders": 4, "match": "any", "multiplier": 2}}, {top}],
                "window": {w}, "review": "{review}", "upgrade": "{upgrade}", "downgrade": "{downgrade}", "grace_days": 7,
                "points": {{"per": 10, "expiry": {e}, "shortfall": "debt",
                            "bonuses": [{{"kind": "first_order", "points": 5, "multiplier": "1.1"}},
                                        {{"kind": "subscription", "multiplier": 2}},
                                        {{"kind": "birthday_month", "multiplier": "3"}},
                                        {{"kind": "campaign", "from": "2023-06-01", "to": "2023-06-30", "multiplier": "1.05"}}]}}}}"#,
            w = WINDOWS[w],
            e = EXPIRIES[e],
        ))
        .unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(150))]

        /// The optimised evaluation (day tables, tabulated integer multipliers, reviews skipped
        /// for customers who cannot leave the base stage) equals the straightforward one.
        #[test]
        fn fast_path_equals_reference(
            rows in prop::collection::vec((0u8..6, 0u16..1000, 1u16..1500, prop::option::of((0u16..40, 1u16..1500)), prop::bool::weighted(0.1), any::<bool>()), 1..40),
            w in 0usize..4, review in 0usize..3, up in 0usize..2, down in 0usize..3, e in 0usize..3, pts in any::<bool>(),
            cut in 0u16..1100, refunds in any::<bool>(), small in any::<bool>(),
            edge in prop::option::of(-1i64..=1), with_events in any::<bool>(),
        ) {
            let review = match (review, w) {
                (2, 3) => "anniversary",
                (1, _) => "year",
                _ => "month",
            };
            let p = program(w, review, ["on_order", "period_end"][up], ["never", "one_step", "recompute"][down], e, pts);
            let start = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
            let mut csv = String::from("customer_id,order_id,placed_at,amount,status,kind\n");
            for (k, (c, day, amount, refund, cancelled, sub)) in rows.iter().enumerate() {
                let d = start + chrono::Days::new(u64::from(*day));
                // small amounts: most customers never leave the base stage (the one-pass path)
                let amount = if small { amount / 8 } else { *amount };
                let _ = writeln!(csv, "c{c},o{k},{d}T12:00:00Z,{amount},{},{}",
                    if *cancelled { "cancelled" } else { "completed" },
                    if *sub { "subscription" } else { "one_off" });
                if let (true, Some((after, amt))) = (refunds, refund) {
                    let rd = d + chrono::Days::new(u64::from(*after));
                    let _ = writeln!(csv, "c{c},o{k},{rd},-{amt},completed,one_off");
                }
            }
            let log = read_csv_str(&csv, &ReadOptions::default()).unwrap().log;
            let births: Vec<_> = (0..log.n_customers()).map(|i| crate::model::Customer {
                id: log.customer_id(i).to_owned(),
                birth_date: NaiveDate::from_ymd_opt(1990, 1 + (i as u32 * 5) % 12, 3),
                signed_up_at: None,
                attributes: std::collections::BTreeMap::new(),
            }).collect();
            let log = log.with_customers(&births).unwrap();
            // `edge`: the evaluation date next to the day the first order's points expire (with
            // 3-month expiry), or the window's edge (90 days) for other programmes
            let as_of = match edge {
                Some(off) => {
                    let d0 = start + chrono::Days::new(u64::from(rows[0].1));
                    let e = if e == 0 { d0 + chrono::Months::new(3) } else { d0 + chrono::Days::new(90) };
                    e + chrono::TimeDelta::days(off)
                }
                None => start + chrono::Days::new(u64::from(cut)),
            };
            let opts = StageOptions { as_of: Some(as_of), history: true, distribution: true };
            // Redemptions (under the `debt` policy) and invitations on some customers.
            let mut events = LoyaltyEvents::default();
            if with_events {
                for (k, r) in rows.iter().enumerate().filter(|(k, _)| k % 3 == 0) {
                    let id = format!("c{}", r.0);
                    let date = start + chrono::Days::new(u64::from(r.1) + 5);
                    events.redemptions.push(Redemption { customer_id: id.clone(), date, points: 7 });
                    if k % 2 == 0 {
                        events.invitations.push(Invitation { customer_id: id, date, stage: "gold".into() });
                    }
                }
            }
            // The fast path, split in two halves (from one customer) and whole, against the
            // reference in one piece.
            let fast = evaluate_with(&log, &p, &events, &opts, true, 1).unwrap();
            let whole = evaluate_with(&log, &p, &events, &opts, true, usize::MAX).unwrap();
            let slow = evaluate_with(&log, &p, &events, &opts, false, usize::MAX).unwrap();
            prop_assert_eq!(&whole.stage, &fast.stage);
            prop_assert_eq!(&whole.points_balance, &fast.points_balance);
            prop_assert_eq!(&whole.history, &fast.history);
            prop_assert_eq!(&whole.history_order_ids, &fast.history_order_ids);
            prop_assert_eq!(&whole.distribution, &fast.distribution);
            prop_assert_eq!(&fast.stage, &slow.stage);
            prop_assert_eq!(&fast.stage_since, &slow.stage_since);
            prop_assert_eq!(&fast.points_balance, &slow.points_balance);
            prop_assert_eq!(&fast.points_earned, &slow.points_earned);
            prop_assert_eq!(&fast.points_expired, &slow.points_expired);
            prop_assert_eq!(&fast.points_reversed, &slow.points_reversed);
            prop_assert_eq!(&fast.window_spend_units, &slow.window_spend_units);
            prop_assert_eq!(&fast.window_points, &slow.window_points);
            prop_assert_eq!(&fast.next_expiring_points, &slow.next_expiring_points);
            prop_assert_eq!(&fast.next_expiring_date, &slow.next_expiring_date);
            prop_assert_eq!(&fast.spend_needed_units, &slow.spend_needed_units);
            prop_assert_eq!(&fast.needed_by, &slow.needed_by);
            prop_assert_eq!(&fast.member_since, &slow.member_since);
            prop_assert_eq!(&fast.window_orders, &slow.window_orders);
            prop_assert_eq!(&fast.points_redeemed, &slow.points_redeemed);
            prop_assert_eq!(&fast.next_stage, &slow.next_stage);
            prop_assert_eq!(&fast.orders_needed, &slow.orders_needed);
            prop_assert_eq!(&fast.points_needed, &slow.points_needed);
            prop_assert_eq!(&fast.history, &slow.history);
            prop_assert_eq!(&fast.distribution, &slow.distribution);
        }
    }
}
