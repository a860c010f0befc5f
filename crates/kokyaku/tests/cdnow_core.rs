//! Summary, RFM and CPM on the CDNOW master log (Fader, Hardie & Lee 2005 data, via lifetimes
//! 0.11.3), as of 1998-07-01, against numbers computed outside kokyaku:
//!
//! * the dollar total, exact to the cent, with awk (the file has CRLF line ends; awk's numeric
//!   conversion drops the `\r`):
//!   `awk 'NR>1 { split($4, p, "."); cents += p[1] * 100 + p[2] } END { print cents }' CDNOW_master.txt`
//!   → 250031563;
//! * the other totals, score distributions, segment and class counts with a short, separate
//!   Python script (datetime and Decimal arithmetic; NTILE as SQL defines it, ties in customer-id
//!   order; the segment map and CPM rules as written in docs/rfm.md and docs/cpm.md).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use kokyaku::cpm::{CpmOptions, classify};
use kokyaku::io::{Delimiter, ReadOptions, read_path};
use kokyaku::model::OrderLog;
use kokyaku::rfm::{Binning, RfmOptions, RfmScores, TieRule, score};
use kokyaku::summary::{CustomerSummaries, SummaryOptions, summarize};
use rust_decimal::Decimal;

const CDNOW: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/cdnow/CDNOW_master.txt"
);

fn log() -> OrderLog {
    let opts = ReadOptions {
        delimiter: Delimiter::Whitespace,
        ..ReadOptions::default()
    };
    let ing = read_path(Path::new(CDNOW), &opts).unwrap();
    let r = &ing.report;
    assert_eq!(
        (r.rows_read, r.rows_accepted, r.rows_rejected),
        (69_659, 69_659, 0),
        "{:?}",
        r.examples
    );
    ing.log
}

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(1998, 7, 1).unwrap()
}

fn summary(log: &OrderLog) -> CustomerSummaries {
    summarize(
        log,
        &SummaryOptions {
            as_of: Some(as_of()),
            ..SummaryOptions::default()
        },
    )
}

fn histogram(scores: &[u8]) -> BTreeMap<u8, usize> {
    let mut h = BTreeMap::new();
    for &s in scores {
        *h.entry(s).or_insert(0) += 1;
    }
    h
}

fn segment_counts(r: &RfmScores) -> Vec<(&str, u64)> {
    r.table
        .iter()
        .map(|row| (row.segment.as_str(), row.customers))
        .collect()
}

#[test]
fn summary_totals() {
    let log = log();
    let s = summary(&log);
    assert_eq!(s.len(), 23_570);
    assert_eq!(log.n_orders(), 69_659);
    // The default as-of is the day after the last order (1998-06-30): the same date.
    assert_eq!(summarize(&log, &SummaryOptions::default()).as_of, as_of());
    let sum = |f: fn(&kokyaku::summary::CustomerSummaries, usize) -> Decimal| {
        (0..s.len()).map(|i| f(&s, i)).sum::<Decimal>()
    };
    assert_eq!(
        sum(kokyaku::summary::CustomerSummaries::gross),
        Decimal::new(250_031_563, 2)
    );
    assert_eq!(s.total_gross().to_string(), "2500315.63");
    assert_eq!(
        sum(kokyaku::summary::CustomerSummaries::refunds),
        Decimal::ZERO
    );
    assert_eq!(s.total_net(), Decimal::new(250_031_563, 2));
    let total = |v: &[u32]| v.iter().map(|&x| u64::from(x)).sum::<u64>();
    assert_eq!(total(&s.orders), 69_659);
    assert_eq!(total(&s.purchase_days), 67_591);
    assert_eq!(total(&s.cancelled_orders), 0);
    let total_opt = |v: &[Option<u32>]| v.iter().map(|x| u64::from(x.unwrap())).sum::<u64>();
    assert_eq!(total_opt(&s.recency_days), 8_678_984);
    assert_eq!(total_opt(&s.tenure_days), 3_178_932);
    assert_eq!(s.dormant.iter().filter(|&&d| d).count(), 19_343);
    // Every customer has an order; one-timers have tenure 0.
    assert!(s.orders.iter().all(|&n| n > 0));
    assert_eq!(s.orders.iter().filter(|&&n| n == 1).count(), 11_908);
    // Customers in natural id order.
    assert_eq!(
        (s.customer_id.get(0), s.customer_id.get(23_569)),
        ("00001", "23570")
    );
}

#[test]
fn rfm_ntile_sizes_and_segments() {
    let log = log();
    let s = summary(&log);
    let r = score(&s, &RfmOptions::default()).unwrap();
    // NTILE(5) of 23,570 customers: 23,570 = 5 × 4,714, every bin holds exactly 4,714,
    // whatever the ties (11,908 customers have one order).
    let five: BTreeMap<u8, usize> = (1..=5).map(|k| (k, 4_714)).collect();
    assert_eq!(histogram(&r.r), five);
    assert_eq!(histogram(&r.f), five);
    assert_eq!(histogram(&r.m), five);
    let counts = segment_counts(&r);
    assert_eq!(
        counts,
        vec![
            ("Champions", 4_427),
            ("Loyal customers", 4_801),
            ("Potential loyalists", 1_178),
            ("New customers", 0),
            ("Promising", 0),
            ("Need attention", 2_858),
            ("About to sleep", 878),
            ("At risk", 861),
            ("Cannot lose them", 17),
            ("Hibernating", 8_550),
        ]
    );
    assert_eq!(
        counts.iter().map(|c| c.1).sum::<u64>(),
        23_570,
        "every buyer in exactly one segment"
    );
    assert!(r.segment.iter().all(Option::is_some));
    let share: f64 = r.table.iter().map(|t| t.share).sum();
    assert!((share - 1.0).abs() < 1e-12);
}

#[test]
fn rfm_ntile_sizes_when_bins_do_not_divide() {
    // SQL NTILE(k) over n rows: the first n mod k bins hold ⌈n/k⌉, the rest ⌊n/k⌋.
    // 23,570 = 4 × 5,892 + 2 and = 7 × 3,367 + 1.
    let log = log();
    let s = summary(&log);
    for (k, expected) in [
        (4u8, vec![5_893, 5_893, 5_892, 5_892]),
        (7, vec![3_368, 3_367, 3_367, 3_367, 3_367, 3_367, 3_367]),
    ] {
        let b = Binning::Quantile {
            bins: k,
            ties: TieRule::Ntile,
        };
        let map = kokyaku::rfm::SegmentMap {
            name: "all".into(),
            rules: vec![kokyaku::rfm::SegmentRule {
                segment: "all".into(),
                r: kokyaku::rfm::ScoreRange { min: 1, max: k },
                f: kokyaku::rfm::ScoreRange { min: 1, max: k },
                m: None,
            }],
        };
        let o = RfmOptions {
            recency: b.clone(),
            frequency: b.clone(),
            monetary: b,
            segments: Some(map),
            ..RfmOptions::default()
        };
        let r = score(&s, &o).unwrap();
        for scores in [&r.r, &r.f, &r.m] {
            let got: Vec<usize> = histogram(scores).into_values().collect();
            assert_eq!(got, expected, "k = {k}");
        }
        assert_eq!(r.table[0].customers, 23_570);
    }
}

#[test]
fn rfm_shared_ties() {
    let log = log();
    let s = summary(&log);
    let shared = Binning::Quantile {
        bins: 5,
        ties: TieRule::Shared,
    };
    let o = RfmOptions {
        recency: shared.clone(),
        frequency: shared.clone(),
        monetary: shared,
        ..RfmOptions::default()
    };
    let r = score(&s, &o).unwrap();
    // Frequency: the 11,908 one-order customers all score 1; 2 orders start at 11,908 worse
    // → 1 + ⌊5 × 11,908 / 23,570⌋ = 3, so score 2 is never given.
    assert_eq!(
        histogram(&r.f),
        BTreeMap::from([(1, 11_908), (3, 4_079), (4, 3_658), (5, 3_925)])
    );
    assert_eq!(
        histogram(&r.r),
        BTreeMap::from([(1, 4_735), (2, 4_712), (3, 4_702), (4, 4_720), (5, 4_701)])
    );
    assert_eq!(
        histogram(&r.m),
        BTreeMap::from([(1, 4_817), (2, 4_615), (3, 4_710), (4, 4_715), (5, 4_713)])
    );
    let counts = segment_counts(&r);
    assert_eq!(
        counts,
        vec![
            ("Champions", 4_135),
            ("Loyal customers", 3_322),
            ("Potential loyalists", 2_367),
            ("New customers", 0),
            ("Promising", 0),
            ("Need attention", 960),
            ("About to sleep", 3_339),
            ("At risk", 867),
            ("Cannot lose them", 11),
            ("Hibernating", 8_569),
        ]
    );
    assert_eq!(counts.iter().map(|c| c.1).sum::<u64>(), 23_570);
}

fn class_counts(s: &CustomerSummaries, o: &CpmOptions) -> BTreeMap<String, u64> {
    let c = classify(s, o).unwrap();
    assert_eq!(c.table.len(), 10);
    assert_eq!(
        c.table.iter().map(|r| r.customers).sum::<u64>(),
        23_570,
        "every buyer in exactly one class"
    );
    assert!(c.class.iter().all(Option::is_some));
    // The table agrees with the per-customer classes.
    let mut per: BTreeMap<String, u64> = BTreeMap::new();
    for k in c.class.iter().flatten() {
        *per.entry(k.id()).or_insert(0) += 1;
    }
    let table: BTreeMap<String, u64> = c
        .table
        .iter()
        .filter(|r| r.customers > 0)
        .map(|r| (r.class.clone(), r.customers))
        .collect();
    assert_eq!(per, table);
    table
}

#[test]
fn cpm_classes() {
    let log = log();
    let s = summary(&log);
    let m = |v: &[(&str, u64)]| {
        v.iter()
            .map(|&(k, n)| (k.to_owned(), n))
            .collect::<BTreeMap<String, u64>>()
    };
    // Default thresholds are in yen: no CDNOW customer reaches 70,000 dollars.
    assert_eq!(
        class_counts(&s, &CpmOptions::default()),
        m(&[
            ("first_timer_churned", 11_908),
            ("fledgling_churned", 2_603),
            ("steady_active", 6_566),
            ("steady_churned", 2_493)
        ])
    );
    // A dollar-scale threshold of 100 separates 流行 and 優良.
    let o = CpmOptions {
        spend_threshold: 100.0,
        ..CpmOptions::default()
    };
    assert_eq!(
        class_counts(&s, &o),
        m(&[
            ("excellent_active", 4_336),
            ("excellent_churned", 298),
            ("first_timer_churned", 11_908),
            ("fledgling_churned", 2_603),
            ("steady_active", 2_230),
            ("steady_churned", 1_521),
            ("trendy_churned", 674),
        ])
    );
}

#[test]
fn cpm_transitions_account_for_every_customer() {
    let log = log();
    let o = CpmOptions {
        spend_threshold: 100.0,
        ..CpmOptions::default()
    };
    let t = kokyaku::cpm::transitions(&log, Some(as_of()), &o).unwrap();
    // Month ends 1997-01-31 .. 1998-06-30: 18.
    assert_eq!(t.month_ends.len(), 18);
    assert_eq!(
        t.month_ends[17],
        NaiveDate::from_ymd_opt(1998, 6, 30).unwrap()
    );
    // CDNOW's cohort was acquired in 1997-01..03: new customers only in February and March
    // (January's are already classified at the first month end).
    let new: Vec<u64> = t.months.iter().map(|m| m.new_customers).collect();
    let first_orders_jan = {
        let s = summarize(
            &log,
            &SummaryOptions {
                as_of: Some(NaiveDate::from_ymd_opt(1997, 1, 31).unwrap()),
                ..SummaryOptions::default()
            },
        );
        s.orders.iter().filter(|&&n| n > 0).count() as u64
    };
    assert_eq!(first_orders_jan + new.iter().sum::<u64>(), 23_570);
    assert!(new[2..].iter().all(|&n| n == 0), "{new:?}");
    // Every classified customer at an earlier month end is counted once in the next pair.
    let moves: u64 = t.counts[..10].iter().flatten().sum();
    let classified_before: u64 = t
        .months
        .iter()
        .map(|m| m.active_before + m.churned_before)
        .sum();
    assert_eq!(moves, classified_before);
}
