//! Change reports: what changed for each customer since the last report, and why.

use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::loyalty::LoyaltyNow;
use super::{
    Book, NO_DAY, NONE, T_CANCEL, T_CUSTOMER, T_INVITATION, T_ORDER, T_REDEMPTION, T_REFUND, T_SUB,
};
use crate::cpm::CpmClass;
use crate::model::{day_to_date, natural_cmp};
use crate::summary::SubscriptionState;

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The CPM class changed (`from` / `to` are class ids such as `first_timer_active`; `from`
    /// is empty for a customer's first class).
    CpmClass,
    /// No order for `dormant_days` (the summary's `dormant` flag turned on).
    BecameDormant,
    /// A dormant customer ordered again (or the order that made them dormant was cancelled).
    Reactivated,
    /// The subscription state changed (`none`, `active`, `paused`, `cancelled`).
    Subscription,
    /// The customer entered a segment (`segment` names it).
    SegmentEntered,
    /// The customer left a segment (`segment` names it).
    SegmentLeft,
    /// The loyalty stage went up (`from` / `to` are stage ids).
    StageUp,
    /// The loyalty stage went down (`from` / `to` are stage ids).
    StageDown,
    /// Loyalty points expired (`points` says how many since the last report).
    PointsExpired,
}

impl ChangeKind {
    /// The `snake_case` name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CpmClass => "cpm_class",
            Self::BecameDormant => "became_dormant",
            Self::Reactivated => "reactivated",
            Self::Subscription => "subscription",
            Self::SegmentEntered => "segment_entered",
            Self::SegmentLeft => "segment_left",
            Self::StageUp => "stage_up",
            Self::StageDown => "stage_down",
            Self::PointsExpired => "points_expired",
        }
    }
}

/// The kind of event behind a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerEvent {
    /// An order (the id is the order id).
    Order,
    /// A refund (the id is the refund id, when it had one).
    Refund,
    /// A cancellation (the id is the cancelled order's id).
    Cancellation,
    /// A subscription state (the id is the subscription id).
    Subscription,
    /// A customer record (the id is the customer id).
    Customer,
    /// A points redemption (the id is the redemption id, when it had one).
    Redemption,
    /// A stage invitation (the id is the invitation id, when it had one).
    Invitation,
    /// The date moved (by [`Book::advance`], or by a later order when the book follows the
    /// data); no event of the customer's own.
    Advance,
}

impl TriggerEvent {
    /// The `snake_case` name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Order => "order",
            Self::Refund => "refund",
            Self::Cancellation => "cancellation",
            Self::Subscription => "subscription",
            Self::Customer => "customer",
            Self::Redemption => "redemption",
            Self::Invitation => "invitation",
            Self::Advance => "advance",
        }
    }
}

/// The event that triggered a change: the last event that touched the customer since the
/// previous report. Changes that only the passing of time causes (becoming dormant, CPM churn,
/// a subscription lapsing) name [`TriggerEvent::Advance`] unless a cancellation caused them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    /// What kind of event.
    pub event: TriggerEvent,
    /// Its id (order, refund, subscription or customer id), when it has one.
    pub id: Option<Arc<str>>,
}

/// One change of one customer. The texts are shared (`Arc<str>`): a customer's changes share its
/// id and trigger, and every change names one of a few segments, classes and stages, so a report
/// of millions of changes allocates no text per change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The customer.
    pub customer_id: Arc<str>,
    /// What changed.
    pub kind: ChangeKind,
    /// The segment entered or left (segment changes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<Arc<str>>,
    /// The value before (empty for none).
    pub from: Option<Arc<str>>,
    /// The value after.
    pub to: Option<Arc<str>>,
    /// Points (points-expired changes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<i64>,
    /// Why.
    pub trigger: Trigger,
}

/// The changes since the last report, sorted by customer id (natural order) then kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeReport {
    /// The date of the previous report (or the book's starting date).
    pub since: NaiveDate,
    /// The book's date now.
    pub as_of: NaiveDate,
    /// Events applied since the book was created.
    pub events: u64,
    /// The changes: net of the period (a value that changed and changed back is not reported).
    pub changes: Vec<Change>,
}

// The derived state, packed: bit 0 dormant, bits 1-4 CPM class index + 1 (0: none), bits 5-7
// subscription state.
const DORMANT: u16 = 1;

fn pack(dormant: bool, class: Option<CpmClass>, sub: SubscriptionState) -> u16 {
    let c = class.map_or(0, |c| c.index() as u16 + 1);
    let s = match sub {
        SubscriptionState::None => 0,
        SubscriptionState::Active => 1,
        SubscriptionState::Paused => 2,
        SubscriptionState::Cancelled => 3,
    };
    u16::from(dormant) | (c << 1) | (s << 5)
}

fn class_of(packed: u16) -> Option<CpmClass> {
    let k = ((packed >> 1) & 0xF) as usize;
    (k > 0).then(|| CpmClass::all()[k - 1])
}

fn sub_of(packed: u16) -> SubscriptionState {
    match (packed >> 5) & 0x7 {
        1 => SubscriptionState::Active,
        2 => SubscriptionState::Paused,
        3 => SubscriptionState::Cancelled,
        _ => SubscriptionState::None,
    }
}

impl Book {
    /// The derived state of customer `c` now (packed).
    pub(crate) fn derived(&self, c: usize) -> u16 {
        let cu = &self.cust[c];
        let as_of = self.as_of;
        let recency = (cu.last != NO_DAY).then(|| (as_of - cu.last).max(0) as u32);
        let dormant = recency.is_some_and(|r| r >= self.opts.dormant_days);
        let sub = match self.table_state(c) {
            Some(s) => s,
            None if cu.last_sub == NO_DAY => SubscriptionState::None,
            None if as_of - cu.last_sub < self.opts.subscription_lapse_days as i32 => {
                SubscriptionState::Active
            }
            None => SubscriptionState::Cancelled,
        };
        let purchases = match self.opts.cpm.frequency_basis {
            crate::rfm::FrequencyBasis::Orders => cu.orders,
            crate::rfm::FrequencyBasis::PurchaseDays => cu.purchase_days,
        };
        let class = self.opts.cpm.classify(
            purchases,
            if cu.orders > 0 {
                (cu.last - cu.first) as u32
            } else {
                0
            },
            self.net_f64(c),
            recency.unwrap_or(0),
        );
        pack(dormant, class, sub)
    }

    /// Net spend of customer `c` as the summary's `net_f64` gives it.
    pub(crate) fn net_f64(&self, c: usize) -> f64 {
        let cu = &self.cust[c];
        let (os, rs) = (self.o_amount.scale(), self.r_amount.scale());
        let scale = os.max(rs);
        let g = i128::from(cu.gross) * 10_i128.pow(scale - os);
        let r = i128::from(cu.refunded) * 10_i128.pow(scale - rs);
        let net = i64::try_from(g - r).unwrap_or(if g < r { i64::MIN } else { i64::MAX });
        net as f64 / 10_f64.powi(scale as i32)
    }

    fn trigger_of(&self, c: usize) -> Trigger {
        let cu = &self.cust[c];
        let r = cu.trig_ref as usize;
        let text = |s: &str| Some(Arc::<str>::from(s));
        match cu.trig_kind {
            T_ORDER | T_CANCEL => Trigger {
                event: if cu.trig_kind == T_ORDER {
                    TriggerEvent::Order
                } else {
                    TriggerEvent::Cancellation
                },
                id: text(self.order_ids.values().get(r)),
            },
            T_REFUND => Trigger {
                event: TriggerEvent::Refund,
                id: match self.r_id.get(r) {
                    Some(&k) if k != NONE => text(self.refund_ids.values().get(k as usize)),
                    _ => None,
                },
            },
            T_SUB => Trigger {
                event: TriggerEvent::Subscription,
                id: text(self.sub_ids.values().get(r)),
            },
            T_CUSTOMER => Trigger {
                event: TriggerEvent::Customer,
                id: text(self.customers.values().get(r)),
            },
            T_REDEMPTION => Trigger {
                event: TriggerEvent::Redemption,
                id: match self.redemptions.get(r) {
                    Some(&(.., k)) if k != NONE => {
                        text(self.redemption_ids.values().get(k as usize))
                    }
                    _ => None,
                },
            },
            T_INVITATION => Trigger {
                event: TriggerEvent::Invitation,
                id: match self.invitations.get(r) {
                    Some(&(.., k)) if k != NONE => {
                        text(self.invitation_ids.values().get(k as usize))
                    }
                    _ => None,
                },
            },
            _ => Trigger {
                event: TriggerEvent::Advance,
                id: None,
            },
        }
    }

    /// The changes since the last call (or since the book was created or restored), and marks
    /// them reported. Only customers touched by an event are looked at, or every customer when
    /// the date moved (segments: see [`Book::set_segments`] for when every customer is
    /// evaluated).
    pub fn changes(&mut self) -> crate::Result<ChangeReport> {
        let time_moved = self.as_of != self.reported_as_of;
        let all = time_moved
            || (self.program.is_some() && self.program_changed)
            || (!self.segments.is_empty() && self.segments_need_all(time_moved));
        let cands: Vec<u32> = if all {
            (0..self.cust.len() as u32).collect()
        } else {
            self.dirty.clone()
        };
        // Evaluate before changing anything: an error leaves the report for the next call.
        // Loyalty first: segment rules may read `stage` and `points`.
        // One order log of the customers looked at serves the programme and the rules.
        let log = if self.program.is_some() || !self.segments.is_empty() {
            Some(self.cands_log(&cands, !self.segments.is_empty())?)
        } else {
            None
        };
        let (loyalty_now, seg_now) = match &log {
            Some(log) => {
                let l = self.evaluate_loyalty(log, &cands)?;
                let s = if self.segments.is_empty() {
                    Vec::new()
                } else {
                    self.evaluate_segments(log, &cands, &l)?
                };
                (l, s)
            }
            None => (Vec::new(), Vec::new()),
        };
        // Changes come out in natural customer-id order, each customer's by kind then segment:
        // walk the customers in that order and sort each one's few changes (no sort of the
        // whole report by id text).
        let walk: Vec<usize> = if all {
            // `cands` is every customer, so position = customer index.
            self.natural_order()
                .into_iter()
                .map(|c| c as usize)
                .collect()
        } else {
            let ids = self.customers.values();
            let mut js: Vec<usize> = (0..cands.len()).collect();
            js.sort_by(|&a, &b| {
                natural_cmp(ids.get(cands[a] as usize), ids.get(cands[b] as usize))
            });
            js
        };
        let names = Names::new(self);
        let mut out = Vec::new();
        for j in walk {
            let c = cands[j] as usize;
            let start = out.len();
            // The customer's id and trigger, made once and only when a change needs them.
            let mut who = Who::default();
            let now = self.derived(c);
            let was = self.cust[c].reported;
            if now != was {
                self.diff(c, was, now, &names, &mut who, &mut out);
                self.cust[c].reported = now;
            }
            if let Some(&w) = seg_now.get(j) {
                let old = self.members[c];
                if w != old {
                    for (k, name) in names.segments.iter().enumerate() {
                        let (a, b) = (old >> k & 1, w >> k & 1);
                        if a != b {
                            out.push(Change {
                                customer_id: who.id(self, c),
                                kind: if b == 1 {
                                    ChangeKind::SegmentEntered
                                } else {
                                    ChangeKind::SegmentLeft
                                },
                                segment: Some(name.clone()),
                                from: None,
                                to: None,
                                points: None,
                                trigger: who.trigger(self, c),
                            });
                        }
                    }
                    self.members[c] = w;
                }
            }
            if let Some(&l) = loyalty_now.get(j) {
                self.loyalty_diff(c, l, &names, &mut who, &mut out);
            }
            out[start..].sort_by(|a: &Change, b: &Change| {
                a.kind.cmp(&b.kind).then_with(|| a.segment.cmp(&b.segment))
            });
        }
        for &c in &self.dirty {
            let cu = &mut self.cust[c as usize];
            cu.trig_kind = 0;
            cu.trig_ref = NONE;
        }
        self.dirty.clear();
        self.segments_changed = false;
        self.program_changed = false;
        let since = day_to_date(self.reported_as_of);
        self.reported_as_of = self.as_of;
        Ok(ChangeReport {
            since,
            as_of: day_to_date(self.as_of),
            events: self.seq,
            changes: out,
        })
    }

    /// Stage and expired-points changes of customer `c` (and marks them reported).
    fn loyalty_diff(
        &mut self,
        c: usize,
        now: LoyaltyNow,
        names: &Names,
        who: &mut Who,
        out: &mut Vec<Change>,
    ) {
        if self.program.is_none() {
            return;
        }
        let was = self.loy_stage[c];
        if now.stage != was {
            let stage_id = |k: u16| names.stages.get(usize::from(k)).cloned();
            // An upgrade on an order of this period names the order; otherwise the customer's
            // own event since the last report (a refund or cancellation that undid
            // qualification), or the passing of time (a review, a grace period's end).
            let trigger = match now.by_order {
                Some((o, day)) if day >= self.reported_as_of && now.stage > was => Trigger {
                    event: TriggerEvent::Order,
                    id: Some(Arc::from(self.order_ids.values().get(o as usize))),
                },
                _ if self.cust[c].trig_kind != 0 => who.trigger(self, c),
                _ => Trigger {
                    event: TriggerEvent::Advance,
                    id: None,
                },
            };
            out.push(Change {
                customer_id: who.id(self, c),
                kind: if now.stage > was {
                    ChangeKind::StageUp
                } else {
                    ChangeKind::StageDown
                },
                segment: None,
                from: stage_id(was),
                to: stage_id(now.stage),
                points: None,
                trigger,
            });
            self.loy_stage[c] = now.stage;
        }
        if now.expired > self.loy_expired[c] {
            out.push(Change {
                customer_id: who.id(self, c),
                kind: ChangeKind::PointsExpired,
                segment: None,
                from: None,
                to: None,
                points: Some(now.expired - self.loy_expired[c]),
                trigger: Trigger {
                    event: TriggerEvent::Advance,
                    id: None,
                },
            });
        }
        self.loy_expired[c] = now.expired;
    }

    fn diff(
        &self,
        c: usize,
        was: u16,
        now: u16,
        names: &Names,
        who: &mut Who,
        out: &mut Vec<Change>,
    ) {
        let trig = who.trigger(self, c);
        let time_trig = if self.cust[c].trig_kind == T_CANCEL {
            trig.clone()
        } else {
            Trigger {
                event: TriggerEvent::Advance,
                id: None,
            }
        };
        let id = who.id(self, c);
        let push = |out: &mut Vec<Change>, kind, from, to, t: &Trigger| {
            out.push(Change {
                customer_id: id.clone(),
                kind,
                segment: None,
                from,
                to,
                points: None,
                trigger: t.clone(),
            });
        };
        let (cw, cn) = (class_of(was), class_of(now));
        if cw != cn {
            // Churn alone (same stage, active → churned) is the passing of time.
            let by_time = matches!((cw, cn), (Some(a), Some(b)) if a.stage == b.stage && !a.churned && b.churned);
            push(
                out,
                ChangeKind::CpmClass,
                names.class(was),
                names.class(now),
                if by_time { &time_trig } else { &trig },
            );
        }
        let (dw, dn) = (was & DORMANT != 0, now & DORMANT != 0);
        if !dw && dn {
            push(out, ChangeKind::BecameDormant, None, None, &time_trig);
        } else if dw && !dn {
            push(out, ChangeKind::Reactivated, None, None, &trig);
        }
        let (sw, sn) = (sub_of(was), sub_of(now));
        if sw != sn {
            let by_time = self.cust[c].trig_kind == 0;
            push(
                out,
                ChangeKind::Subscription,
                Some(names.sub(sw)),
                Some(names.sub(sn)),
                if by_time { &time_trig } else { &trig },
            );
        }
    }
}

/// The texts a report's changes name, made once per report: CPM class ids, subscription
/// states, the programme's stage ids, the segment names.
struct Names {
    classes: Vec<Arc<str>>,
    subs: [Arc<str>; 4],
    stages: Vec<Arc<str>>,
    segments: Vec<Arc<str>>,
}

impl Names {
    fn new(book: &Book) -> Self {
        let subs = [
            SubscriptionState::None,
            SubscriptionState::Active,
            SubscriptionState::Paused,
            SubscriptionState::Cancelled,
        ]
        .map(|s| Arc::from(s.as_str()));
        Self {
            classes: CpmClass::all()
                .into_iter()
                .map(|k| Arc::from(k.id()))
                .collect(),
            subs,
            stages: book.program.as_ref().map_or_else(Vec::new, |p| {
                p.program
                    .stages
                    .iter()
                    .map(|s| Arc::from(s.id.as_str()))
                    .collect()
            }),
            segments: book
                .segments
                .iter()
                .map(|s| Arc::from(s.name.as_str()))
                .collect(),
        }
    }

    /// The CPM class id of a packed derived state (`None`: no class yet).
    fn class(&self, packed: u16) -> Option<Arc<str>> {
        let k = ((packed >> 1) & 0xF) as usize;
        k.checked_sub(1).and_then(|k| self.classes.get(k)).cloned()
    }

    fn sub(&self, s: SubscriptionState) -> Arc<str> {
        self.subs[match s {
            SubscriptionState::None => 0,
            SubscriptionState::Active => 1,
            SubscriptionState::Paused => 2,
            SubscriptionState::Cancelled => 3,
        }]
        .clone()
    }
}

/// One customer's id and trigger in a report, made on first use and shared by its changes.
#[derive(Default)]
struct Who {
    id: Option<Arc<str>>,
    trigger: Option<Trigger>,
}

impl Who {
    fn id(&mut self, book: &Book, c: usize) -> Arc<str> {
        self.id
            .get_or_insert_with(|| Arc::from(book.customers.values().get(c)))
            .clone()
    }

    fn trigger(&mut self, book: &Book, c: usize) -> Trigger {
        self.trigger
            .get_or_insert_with(|| book.trigger_of(c))
            .clone()
    }
}
