//! Loyalty properties: evaluating day by day up to a date equals recomputing from scratch at
//! that date (the state carried is exactly what a fresh run builds), and the points identity
//! balance = earned − expired − redeemed − reversed holds for every customer. Also the segment
//! extension: `stage` and `points` as rule fields.

use std::fmt::Write as _;

use chrono::NaiveDate;
use kokyaku::io::{ReadOptions, read_csv_str};
use kokyaku::loyalty::{
    LoyaltyEvents, Program, Redemption, StageOptions, evaluate, history_rows, segment_fields,
};
use kokyaku::model::OrderLog;
use proptest::prelude::*;

fn program(window: &str, upgrade: &str, downgrade: &str, grace: u32, expiry: &str) -> Program {
    let text = format!(
        r#"{{"stages": [{{"id": "base"}}, {{"id": "silver", "spend": 300, "multiplier": "1.5"}},
             {{"id": "gold", "spend": 900, "orders": 3, "match": "any", "multiplier": 2}},
             {{"id": "top", "points": 40}}],
            "window": {window}, "upgrade": "{upgrade}", "downgrade": "{downgrade}", "grace_days": {grace},
            "points": {{"per": 10, "expiry": {expiry}, "shortfall": "debt",
                        "bonuses": [{{"kind": "first_order", "points": 5}}, {{"kind": "subscription", "multiplier": 2}}]}}}}"#
    );
    Program::from_json(&text).unwrap()
}

const WINDOWS: [&str; 4] = [
    r#"{"kind": "rolling", "days": 60}"#,
    r#"{"kind": "calendar_year"}"#,
    r#"{"kind": "fiscal_year", "start_month": 4}"#,
    r#"{"kind": "anniversary"}"#,
];
const EXPIRIES: [&str; 3] = [
    r#"{"kind": "months", "months": 3}"#,
    r#"{"kind": "end_of_next_year"}"#,
    r#"{"kind": "never"}"#,
];

#[derive(Debug, Clone)]
struct Row {
    customer: u8,
    day: u16,
    amount: u16,
    refund: Option<(u16, u16)>,
    cancelled: bool,
    sub: bool,
}

fn rows() -> impl Strategy<Value = Vec<Row>> {
    prop::collection::vec(
        (
            0u8..4,
            0u16..900,
            1u16..700,
            prop::option::of((0u16..60, 1u16..700)),
            prop::bool::weighted(0.1),
            any::<bool>(),
        )
            .prop_map(|(customer, day, amount, refund, cancelled, sub)| Row {
                customer,
                day,
                amount,
                refund,
                cancelled,
                sub,
            }),
        1..25,
    )
}

fn log_of(rows: &[Row]) -> OrderLog {
    let start = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
    let mut csv = String::from("customer_id,order_id,placed_at,amount,status,kind\n");
    for (k, r) in rows.iter().enumerate() {
        let d = start + chrono::Days::new(u64::from(r.day));
        let _ = writeln!(
            csv,
            "c{},o{k},{d}T12:00:00Z,{},{},{}",
            r.customer,
            r.amount,
            if r.cancelled {
                "cancelled"
            } else {
                "completed"
            },
            if r.sub { "subscription" } else { "one_off" }
        );
        if let Some((after, amt)) = r.refund {
            let rd = d + chrono::Days::new(u64::from(after));
            let _ = writeln!(csv, "c{},o{k},{rd},-{amt},completed,one_off", r.customer);
        }
    }
    read_csv_str(&csv, &ReadOptions::default()).unwrap().log
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// For every date D: the stage, points and window at D from one run up to D equal the
    /// stage history of a single run to the end replayed up to D (incremental = from scratch).
    #[test]
    fn incremental_equals_recompute(rows in rows(), w in 0usize..4, up in 0usize..2, down in 0usize..3,
                                    grace in prop::sample::select(vec![0u32, 10]), e in 0usize..3,
                                    cut in 0u16..1000, redeem in 0i64..30) {
        let p = program(WINDOWS[w], ["on_order", "period_end"][up], ["never", "one_step", "recompute"][down], grace, EXPIRIES[e]);
        let log = log_of(&rows);
        let start = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
        let events = LoyaltyEvents {
            redemptions: if redeem > 0 {
                vec![Redemption { customer_id: log.customer_id(0).to_owned(), date: start + chrono::Days::new(300), points: redeem }]
            } else { vec![] },
            invitations: vec![],
        };
        let end = start + chrono::Days::new(1000);
        let full = evaluate(&log, &p, &events, &StageOptions { as_of: Some(end), history: true, distribution: false }).unwrap();
        let hist = history_rows(&full);
        let cut_date = start + chrono::Days::new(u64::from(cut));
        let part = evaluate(&log, &p, &events, &StageOptions { as_of: Some(cut_date), history: true, distribution: false }).unwrap();
        // the history up to the cut (a change dated after the cut has not happened yet)
        let upto: Vec<_> = hist.iter().filter(|h| h.date <= cut_date).cloned().collect();
        prop_assert_eq!(history_rows(&part), upto);
        for i in 0..log.n_customers() {
            let id = log.customer_id(i);
            let stage_at_cut = hist.iter().rfind(|h| h.customer_id == id && h.date <= cut_date).map(|h| h.to.clone());
            prop_assert_eq!(Some(part.stage_id(i).to_owned()), Some(stage_at_cut.unwrap_or_else(|| "base".into())));
        }
        // order by order: evaluating at each order day in turn gives each day's state, and the
        // final state equals the single run
        let mut days: Vec<NaiveDate> = log.days().iter().map(|&d| kokyaku::model::day_to_date(d)).collect();
        days.sort();
        days.dedup();
        for d in days.iter().chain(std::iter::once(&end)) {
            let s = evaluate(&log, &p, &events, &StageOptions { as_of: Some(*d), history: false, distribution: false }).unwrap();
            for i in 0..log.n_customers() {
                prop_assert_eq!(
                    s.points_balance[i],
                    s.points_earned[i] - s.points_expired[i] - s.points_redeemed[i] - s.points_reversed[i]
                );
                prop_assert!(s.points_expired[i] >= 0 && s.points_reversed[i] >= 0 && s.points_earned[i] >= 0);
            }
            if *d == end {
                prop_assert_eq!(&s.stage, &full.stage);
                prop_assert_eq!(&s.points_balance, &full.points_balance);
                prop_assert_eq!(&s.window_spend_units, &full.window_spend_units);
            }
        }
    }
}

#[test]
fn stage_and_points_are_segment_fields() {
    use kokyaku::segment::{SegmentOptions, Segmenter, parse};
    use kokyaku::summary::{SummaryOptions, summarize};
    let csv = "customer_id,order_id,placed_at,amount\n\
        a,1,2024-01-05,60000\n\
        b,2,2024-01-06,2000\n\
        c,3,2024-01-07,70000\n";
    let log = read_csv_str(csv, &ReadOptions::default()).unwrap().log;
    let p = Program::from_json(
        r#"{"stages": [{"id": "regular"}, {"id": "gold", "spend": 50000}],
            "window": {"kind": "calendar_year"}, "points": {"per": 100}}"#,
    )
    .unwrap();
    let as_of = NaiveDate::from_ymd_opt(2024, 1, 31);
    let events = LoyaltyEvents {
        redemptions: vec![Redemption {
            customer_id: "c".into(),
            date: as_of.unwrap(),
            points: 300,
        }],
        invitations: vec![],
    };
    let st = evaluate(
        &log,
        &p,
        &events,
        &StageOptions {
            as_of,
            ..StageOptions::default()
        },
    )
    .unwrap();
    let s = summarize(
        &log,
        &SummaryOptions {
            as_of,
            ..SummaryOptions::default()
        },
    );
    let mut seg = Segmenter::new(&log, &s, SegmentOptions::default());
    for (name, col) in segment_fields(&st) {
        seg.add_field(&name, col).unwrap();
    }
    // a: gold, 600 points; b: regular, 20; c: gold, 700 - 300 = 400
    let rule = parse(r#"stage = "gold" and points >= 500"#).unwrap();
    let ids: Vec<&str> = seg
        .members(&rule)
        .unwrap()
        .into_iter()
        .map(|i| log.customer_id(i))
        .collect();
    assert_eq!(ids, ["a"]);
}
