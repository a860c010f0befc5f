//! The book against the bulk API: random event streams (repeats, cancellations before their
//! order, refunds naming only an order, subscription states, customer records, amounts with
//! different decimals, two zones), shuffled and split into batches. After every batch the
//! book's summaries equal `summary::summarize` over an order log built from the same events, and
//! the classes, dormancy and subscription states carried by its change reports equal those of
//! the bulk summary. Snapshots taken mid-stream restore to a book that goes on the same way.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use kokyaku::book::{
    Book, BookOptions, CancellationEvent, ChangeKind, Event, InvitationEvent, RedemptionEvent,
    RefundEvent, SubscriptionEvent,
};
use kokyaku::cpm::{CpmOptions, classify};
use kokyaku::model::{
    Customer, Order, OrderKind, OrderLog, OrderStatus, Refund, Subscription, SubscriptionStatus,
};
use kokyaku::segment::{RuleSource, SegmentOptions, Segmenter};
use kokyaku::summary::{SummaryOptions, summarize};

/// Segments tracked in the property test: customer fields, order and subscription
/// quantifiers, a CPM class, a population-relative RFM score, and the loyalty programme's stage
/// and points.
const RULES: &[(&str, &str)] = &[
    ("multi", "orders >= 2"),
    ("dormant", "dormant = true"),
    ("big_recent", "net >= 10000 and days_since_last_order < 60"),
    ("big_order", "any order (amount >= 15000)"),
    ("sub_kind", r#"any order (kind = "subscription")"#),
    ("sub_active", r#"any subscription (status = "active")"#),
    ("first_timers", r#"cpm.class = "first_timer_active""#),
    ("rfm_top", "rfm.r >= 4"),
    // The programme's fields (both programmes' base stages are named here).
    ("upper_stage", r#"stage != "base" and stage != "regular""#),
    ("points_held", "points >= 100"),
];
use proptest::prelude::*;
use rust_decimal::Decimal;

/// Loyalty programmes tracked in the property test (one per run, by seed): a rolling window
/// with monthly reviews, upgrades on order, one-step downgrades with grace and points expiring
/// after two months; and a calendar-year window upgraded at period end, with full recompute and
/// points expiring at the end of the next year. Both take points back on refunds (as debt).
const PROGRAMS: [&str; 2] = [
    r#"{"stages": [{"id": "base"}, {"id": "silver", "spend": 15000, "multiplier": "1.5"},
                  {"id": "gold", "spend": 40000, "orders": 4, "match": "any", "multiplier": 2}],
        "window": {"kind": "rolling", "days": 90}, "review": "month", "upgrade": "on_order",
        "downgrade": "one_step", "grace_days": 10,
        "points": {"per": 100, "expiry": {"kind": "months", "months": 2}, "shortfall": "debt",
                   "bonuses": [{"kind": "first_order", "points": 50}, {"kind": "subscription", "multiplier": 2}]}}"#,
    r#"{"stages": [{"id": "regular"}, {"id": "vip", "spend": 20000}],
        "window": {"kind": "calendar_year"}, "review": "month", "upgrade": "period_end",
        "downgrade": "recompute",
        "points": {"per": 100, "expiry": {"kind": "end_of_next_year"}, "shortfall": "debt"}}"#,
];

/// splitmix64: a small deterministic generator for the streams.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, p: u64) -> bool {
        self.below(100) < p
    }
}

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

const BASE: i64 = 1_700_000_000; // 2023-11-14

const CUSTOMERS: &[&str] = &["c1", "c2", "c10", "7", "12", "x", "c3"];

fn stream(rng: &mut Rng, n: usize, stages: &[String]) -> Vec<Event> {
    let mut ev = Vec::new();
    let mut orders: Vec<Order> = Vec::new();
    let mut subs_seen = 0;
    for k in 0..n {
        let cust = CUSTOMERS[rng.below(CUSTOMERS.len() as u64) as usize].to_owned();
        let at = BASE + rng.below(400 * 86_400) as i64;
        match rng.below(100) {
            0..=54 => {
                let scale = [0, 0, 0, 1, 2][rng.below(5) as usize];
                let amount = Decimal::new(rng.below(20_000) as i64 + 1, scale);
                let sub = rng.chance(20);
                let o = Order {
                    order_id: format!("o{k}"),
                    customer_id: cust,
                    placed_at: t(at),
                    amount,
                    currency: "JPY".into(),
                    kind: if sub && rng.chance(50) {
                        OrderKind::Subscription
                    } else {
                        OrderKind::OneOff
                    },
                    subscription_id: (sub && rng.chance(50)).then(|| "s1".to_owned()),
                    status: if rng.chance(10) {
                        OrderStatus::Cancelled
                    } else {
                        OrderStatus::Completed
                    },
                    lines: Vec::new(),
                };
                orders.push(o.clone());
                ev.push(Event::Order(o.clone()));
                if rng.chance(10) {
                    ev.push(Event::Order(o)); // a repeat
                }
            }
            55..=69 => {
                let linked = (!orders.is_empty() && rng.chance(60))
                    .then(|| orders[rng.below(orders.len() as u64) as usize].clone());
                // Some refunds name only an order (possibly one arriving later in the shuffle).
                let only_order = linked.is_some() && rng.chance(50);
                let r = RefundEvent {
                    refund_id: rng.chance(50).then(|| format!("r{k}")),
                    customer_id: if only_order {
                        None
                    } else {
                        Some(linked.as_ref().map_or(cust, |o| o.customer_id.clone()))
                    },
                    order_id: linked.map(|o| o.order_id),
                    refunded_at: t(at),
                    amount: Decimal::new(
                        rng.below(5_000) as i64 + 1,
                        [0, 1][rng.below(2) as usize],
                    ),
                };
                ev.push(Event::Refund(r.clone()));
                if r.refund_id.is_some() && rng.chance(20) {
                    ev.push(Event::Refund(r));
                }
            }
            70..=79 => {
                if !orders.is_empty() {
                    let o = &orders[rng.below(orders.len() as u64) as usize];
                    ev.push(Event::Cancellation(CancellationEvent {
                        order_id: o.order_id.clone(),
                        cancelled_at: Some(t(at)),
                    }));
                }
            }
            80..=89 => {
                // Three subscriptions, each of one customer.
                let s = rng.below(3);
                subs_seen += 1;
                let status = [
                    SubscriptionStatus::Active,
                    SubscriptionStatus::Paused,
                    SubscriptionStatus::Cancelled,
                ][rng.below(3) as usize];
                let started = BASE + (s as i64) * 40 * 86_400;
                ev.push(Event::Subscription(SubscriptionEvent {
                    id: format!("s{s}"),
                    customer_id: CUSTOMERS[s as usize].to_owned(),
                    started_at: t(started),
                    cycles: rng.below(5) as u32,
                    status,
                    cancelled_at: (status == SubscriptionStatus::Cancelled)
                        .then(|| t(started + rng.below(300 * 86_400) as i64)),
                    updated_at: Some(t(BASE + (k as i64) * 1000 + subs_seen)),
                }));
            }
            90..=94 => ev.push(Event::Customer(Customer {
                id: format!("n{}", rng.below(4)),
                ..Customer::default()
            })),
            95..=97 => {
                let r = RedemptionEvent {
                    redemption_id: rng.chance(50).then(|| format!("rd{k}")),
                    customer_id: cust,
                    redeemed_at: t(at),
                    points: rng.below(300) as i64 + 1,
                };
                ev.push(Event::Redemption(r.clone()));
                if r.redemption_id.is_some() && rng.chance(20) {
                    ev.push(Event::Redemption(r)); // a repeat
                }
            }
            _ => ev.push(Event::Invitation(InvitationEvent {
                invitation_id: rng.chance(50).then(|| format!("inv{k}")),
                customer_id: cust,
                invited_at: t(at),
                stage: stages[rng.below(stages.len() as u64) as usize].clone(),
            })),
        }
    }
    ev
}

fn shuffle(rng: &mut Rng, v: &mut [Event]) {
    for i in (1..v.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        v.swap(i, j);
    }
}

fn sub_key(s: &SubscriptionEvent) -> (i64, u8, u32, i64, Option<i64>) {
    let rank = match s.status {
        SubscriptionStatus::Active => 0,
        SubscriptionStatus::Paused => 1,
        SubscriptionStatus::Cancelled => 2,
    };
    (
        s.updated_at
            .or(s.cancelled_at)
            .unwrap_or(s.started_at)
            .timestamp(),
        rank,
        s.cycles,
        s.started_at.timestamp(),
        s.cancelled_at.map(|c| c.timestamp()),
    )
}

/// The order log of the events applied so far, as the bulk API would be given it.
fn bulk_log(tz: chrono_tz::Tz, applied: &[Event]) -> OrderLog {
    let mut orders: Vec<Order> = Vec::new();
    let mut seen = HashMap::new();
    let mut cancelled = std::collections::HashSet::new();
    let mut refunds = Vec::new();
    let mut refund_ids = std::collections::HashSet::new();
    let mut subs: BTreeMap<String, SubscriptionEvent> = BTreeMap::new();
    let mut customers = Vec::new();
    for e in applied {
        match e {
            Event::Order(o) => {
                if !seen.contains_key(&o.order_id) {
                    seen.insert(o.order_id.clone(), orders.len());
                    orders.push(o.clone());
                }
            }
            Event::Cancellation(c) => {
                cancelled.insert(c.order_id.clone());
            }
            Event::Subscription(s) => {
                let better = subs.get(&s.id).is_none_or(|old| sub_key(s) > sub_key(old));
                if better {
                    subs.insert(s.id.clone(), s.clone());
                }
            }
            Event::Customer(c) => customers.push(c.clone()),
            // The book knows the customer of a redemption or an invitation.
            Event::Redemption(r) => customers.push(Customer {
                id: r.customer_id.clone(),
                ..Customer::default()
            }),
            Event::Invitation(i) => customers.push(Customer {
                id: i.customer_id.clone(),
                ..Customer::default()
            }),
            Event::Refund(_) => {}
        }
    }
    for e in applied {
        if let Event::Refund(r) = e {
            if let Some(id) = &r.refund_id {
                if !refund_ids.insert(id.clone()) {
                    continue;
                }
            }
            let customer = match (&r.customer_id, &r.order_id) {
                (Some(c), _) => c.clone(),
                (None, Some(o)) => match seen.get(o) {
                    Some(&i) => orders[i].customer_id.clone(),
                    None => continue, // held
                },
                (None, None) => unreachable!(),
            };
            refunds.push(Refund {
                customer_id: customer,
                order_id: r.order_id.clone(),
                refunded_at: r.refunded_at,
                amount: r.amount,
            });
        }
    }
    for o in &mut orders {
        if cancelled.contains(&o.order_id) {
            o.status = OrderStatus::Cancelled;
        }
    }
    let subs: Vec<Subscription> = subs
        .into_values()
        .map(|s| Subscription {
            id: s.id,
            customer_id: s.customer_id,
            started_at: s.started_at,
            cycles: s.cycles,
            status: s.status,
            cancelled_at: s.cancelled_at,
            product: None,
        })
        .collect();
    OrderLog::from_records(tz, &customers, &orders, &refunds, &subs).unwrap()
}

/// The redemptions and invitations applied so far (repeats of an id once), as the bulk
/// evaluation takes them.
fn loyalty_events(tz: chrono_tz::Tz, applied: &[Event]) -> kokyaku::loyalty::LoyaltyEvents {
    let mut out = kokyaku::loyalty::LoyaltyEvents::default();
    let mut ids = std::collections::HashSet::new();
    let day = |at: DateTime<Utc>| at.with_timezone(&tz).date_naive();
    for e in applied {
        match e {
            Event::Redemption(r)
                if r.redemption_id
                    .as_ref()
                    .is_none_or(|id| ids.insert(id.clone())) =>
            {
                out.redemptions.push(kokyaku::loyalty::Redemption {
                    customer_id: r.customer_id.clone(),
                    date: day(r.redeemed_at),
                    points: r.points,
                });
            }
            Event::Invitation(i)
                if i.invitation_id
                    .as_ref()
                    .is_none_or(|id| ids.insert(id.clone())) =>
            {
                out.invitations.push(kokyaku::loyalty::Invitation {
                    customer_id: i.customer_id.clone(),
                    date: day(i.invited_at),
                    stage: i.stage.clone(),
                });
            }
            _ => {}
        }
    }
    out
}

/// What the change reports say each customer is now: CPM class, dormant, subscription state.
#[derive(Default, Debug, Clone, PartialEq)]
struct Seen {
    class: Option<String>,
    dormant: bool,
    sub: String,
}

fn run(seed: u64, n: usize, batches: usize, follow: bool, tokyo: bool) {
    let mut rng = Rng(seed);
    let program_text = PROGRAMS[(seed % 2) as usize];
    let program = kokyaku::loyalty::Program::from_json(program_text).unwrap();
    let stage_ids: Vec<String> = program.stages.iter().map(|s| s.id.clone()).collect();
    let mut events = stream(&mut rng, n, &stage_ids);
    shuffle(&mut rng, &mut events);
    let tz_name = if tokyo { "Asia/Tokyo" } else { "UTC" };
    let tz = kokyaku::io::parse_tz(tz_name).unwrap();
    let start = NaiveDate::from_ymd_opt(2023, 11, 1).unwrap();
    let cpm = CpmOptions {
        fledgling_tenure_days: 30,
        excellent_tenure_days: 90,
        spend_threshold: 15_000.0,
        churn_days: 60,
        frequency_basis: if seed % 2 == 0 {
            kokyaku::rfm::FrequencyBasis::Orders
        } else {
            kokyaku::rfm::FrequencyBasis::PurchaseDays
        },
        ..CpmOptions::default()
    };
    let opts = BookOptions {
        timezone: tz_name.into(),
        as_of: (!follow).then_some(start),
        dormant_days: 45,
        subscription_lapse_days: 30,
        cpm: cpm.clone(),
    };
    let mut book = Book::new(opts).unwrap();
    let rules: Vec<(String, RuleSource)> = RULES
        .iter()
        .map(|(n, r)| ((*n).to_owned(), RuleSource::Text((*r).to_owned())))
        .collect();
    book.set_segments(&rules).unwrap();
    book.set_program(Some(program_text)).unwrap();
    let mut stage_seen: BTreeMap<String, String> = BTreeMap::new();
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    let mut in_segment: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    let size = events.len().div_ceil(batches.max(1)).max(1);
    let mut done = 0;
    for (b, chunk) in events.chunks(size).enumerate() {
        book.ingest(chunk).unwrap();
        done += chunk.len();
        if !follow && rng.chance(70) {
            let d = book.as_of() + chrono::Days::new(rng.below(90));
            book.advance(d).unwrap();
        }
        if b % 2 == 1 {
            let bytes = book.snapshot();
            book = Book::restore(&bytes).unwrap();
        }
        let log = bulk_log(tz, &events[..done]);
        let loyalty_events = loyalty_events(tz, &events[..done]);
        // `stage` and `points` of the bulk evaluator: the programme over the bulk log.
        let extras = kokyaku::segment::SegmentExtras {
            loyalty: Some(kokyaku::segment::LoyaltyFields {
                program: program.clone(),
                events: loyalty_events.clone(),
            }),
            ..kokyaku::segment::SegmentExtras::default()
        };
        let s_opts = SummaryOptions {
            as_of: if follow { None } else { Some(book.as_of()) },
            dormant_days: 45,
            subscription_lapse_days: 30,
        };
        let bulk = summarize(&log, &s_opts);
        let mine = book.summaries();
        assert_eq!(mine.as_of, bulk.as_of, "as_of after batch {b}");
        assert_eq!(mine.money_scale, bulk.money_scale);
        let a = serde_json::to_value(mine.records()).unwrap();
        let e = serde_json::to_value(bulk.records()).unwrap();
        assert_eq!(a, e, "summaries after batch {b} (seed {seed})");
        // Stages and points: the book's equal the bulk evaluation at the book's date.
        let bulk_stages = kokyaku::loyalty::evaluate(
            &log,
            &program,
            &loyalty_events,
            &kokyaku::loyalty::StageOptions {
                as_of: Some(book.as_of()),
                ..kokyaku::loyalty::StageOptions::default()
            },
        )
        .unwrap();
        let mine_stages = book.stages(false).unwrap().unwrap();
        assert_eq!(
            serde_json::to_value(kokyaku::loyalty::stages_table(&mine_stages).to_records())
                .unwrap(),
            serde_json::to_value(kokyaku::loyalty::stages_table(&bulk_stages).to_records())
                .unwrap(),
            "stages after batch {b} (seed {seed})"
        );
        // Change reports, folded, give the current classes and states.
        let rep = book.changes().unwrap();
        // In natural customer-id order, then kind, then segment.
        assert!(
            rep.changes.is_sorted_by(|a, b| {
                kokyaku::model::natural_cmp(&a.customer_id, &b.customer_id)
                    .then_with(|| a.kind.cmp(&b.kind))
                    .then_with(|| a.segment.cmp(&b.segment))
                    .is_le()
            }),
            "report order after batch {b} (seed {seed})"
        );
        for c in &rep.changes {
            let s = seen
                .entry(c.customer_id.to_string())
                .or_insert_with(|| Seen {
                    sub: "none".into(),
                    ..Seen::default()
                });
            match c.kind {
                ChangeKind::CpmClass => {
                    assert_eq!(s.class.as_deref(), c.from.as_deref(), "{c:?}");
                    s.class = c.to.as_deref().map(str::to_owned);
                }
                ChangeKind::BecameDormant => {
                    assert!(!s.dormant);
                    s.dormant = true;
                }
                ChangeKind::Reactivated => {
                    assert!(s.dormant);
                    s.dormant = false;
                }
                ChangeKind::Subscription => {
                    assert_eq!(Some(s.sub.as_str()), c.from.as_deref());
                    c.to.as_deref().unwrap().clone_into(&mut s.sub);
                }
                ChangeKind::SegmentEntered => {
                    let m = in_segment
                        .entry(c.segment.as_deref().unwrap().to_owned())
                        .or_default();
                    assert!(m.insert(c.customer_id.to_string()), "{c:?}");
                }
                ChangeKind::SegmentLeft => {
                    let m = in_segment
                        .entry(c.segment.as_deref().unwrap().to_owned())
                        .or_default();
                    assert!(m.remove(&*c.customer_id), "{c:?}");
                }
                ChangeKind::StageUp | ChangeKind::StageDown => {
                    let was = stage_seen
                        .entry(c.customer_id.to_string())
                        .or_insert_with(|| program.stages[0].id.clone());
                    assert_eq!(Some(was.as_str()), c.from.as_deref(), "{c:?}");
                    let (from, to) = (
                        program.stage_index(c.from.as_deref().unwrap()).unwrap(),
                        program.stage_index(c.to.as_deref().unwrap()).unwrap(),
                    );
                    assert_eq!(c.kind == ChangeKind::StageUp, to > from, "{c:?}");
                    c.to.as_deref().unwrap().clone_into(was);
                }
                ChangeKind::PointsExpired => assert!(c.points.unwrap() > 0, "{c:?}"),
            }
        }
        let classes = classify(&bulk, &cpm).unwrap();
        for i in 0..bulk.len() {
            let id = bulk.customer_id.get(i);
            let want = Seen {
                class: classes.class[i].map(kokyaku::cpm::CpmClass::id),
                dormant: bulk.dormant[i],
                sub: bulk.subscription[i].as_str().to_owned(),
            };
            let got = seen.get(id).cloned().unwrap_or(Seen {
                sub: "none".into(),
                ..Seen::default()
            });
            assert_eq!(got, want, "reported state of {id} after batch {b}");
            let stage = stage_seen
                .get(id)
                .cloned()
                .unwrap_or_else(|| program.stages[0].id.clone());
            assert_eq!(
                stage,
                bulk_stages.stage_id(i),
                "reported stage of {id} after batch {b} (seed {seed})"
            );
        }
        // Segment members: the book's, the reports' and the bulk evaluator's agree.
        let mut seg = Segmenter::new(
            &log,
            &bulk,
            SegmentOptions {
                summary: s_opts.clone(),
                cpm: cpm.clone(),
                ..SegmentOptions::default()
            },
        );
        // As in the book: subscription events seen so far are all the contracts there are.
        seg.subscriptions_complete();
        seg.with_extras(&extras);
        for (name, src) in &rules {
            let rule = src.rule(seg.catalog()).unwrap();
            let want: Vec<String> = seg
                .members(&rule)
                .unwrap()
                .into_iter()
                .map(|i| bulk.customer_id.get(i).to_owned())
                .collect();
            let mine = book.segment_members(name).unwrap();
            assert_eq!(mine, want, "segment {name} after batch {b} (seed {seed})");
            let reported: Vec<String> = in_segment.get(name).map_or_else(Vec::new, |m| {
                let mut v: Vec<String> = m.iter().cloned().collect();
                v.sort_by(|a, b| kokyaku::model::natural_cmp(a, b));
                v
            });
            assert_eq!(reported, want, "reported members of {name} after batch {b}");
        }
        // A second report right away is empty.
        assert!(book.changes().unwrap().changes.is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]
    #[test]
    fn book_equals_bulk(seed in any::<u64>(), n in 1usize..120, batches in 1usize..8,
                        follow in any::<bool>(), tokyo in any::<bool>()) {
        run(seed, n, batches, follow, tokyo);
    }
}

#[test]
fn long_streams() {
    for seed in 0..6 {
        run(seed, 600, 9, seed % 2 == 0, seed % 3 == 0);
    }
}

#[test]
fn decimal_text_is_exact() {
    // The amounts' decimals decide the money scale of the summaries, as in the bulk API.
    let mut book = Book::new(BookOptions::default()).unwrap();
    let o = |id: &str, amount: &str| {
        Event::Order(Order {
            order_id: id.into(),
            customer_id: "a".into(),
            placed_at: t(BASE),
            amount: Decimal::from_str(amount).unwrap(),
            currency: "JPY".into(),
            kind: OrderKind::OneOff,
            subscription_id: None,
            status: OrderStatus::Completed,
            lines: Vec::new(),
        })
    };
    book.ingest(&[o("1", "100"), o("2", "0.25"), o("3", "12.50")])
        .unwrap();
    let s = book.summaries();
    assert_eq!(s.money_scale, 2);
    assert_eq!(s.gross(0).to_string(), "112.75");
}
