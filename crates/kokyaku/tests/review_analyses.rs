//! Issue 20 (and issue 19 item 5): analyses that sized tables from a date span, float money in
//! CPM transitions, saturated totals. Each test here failed (or aborted) before its fix.

use chrono::NaiveDate;
use kokyaku::cohort::{self, ChurnOptions, CohortOptions, Period};
use kokyaku::cpm::{self, CpmOptions};
use kokyaku::io::{ReadOptions, read_csv_str};
use kokyaku::summary::{SummaryOptions, summarize};

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

const FAR: &str = "customer_id,order_id,placed_at,amount\n\
                   A,1,2024-01-05,100\n\
                   A,2,2024-03-01,50\n\
                   B,3,2024-02-10,80\n\
                   C,4,9999-12-31,10\n";

/// 20.1: one order dated 9999-12-31 among 2024 orders aborted the process (a 73 GB
/// allocation in the cohort tables). Every analysis that builds a row or column per period
/// now fails with `invalid_value` naming that order, and works with an as-of date.
#[test]
fn a_far_future_date_is_an_error_naming_the_order_not_an_abort() {
    let log = read_csv_str(FAR, &ReadOptions::default()).unwrap().log;
    let check = |r: kokyaku::Result<()>, what: &str| {
        let e = r.expect_err(what);
        assert_eq!(e.code(), "invalid_value", "{what}: {e}");
        let m = e.to_string();
        for s in ["9999-12-31", "customer 'C'", "order '4'", "as_of"] {
            assert!(m.contains(s), "{what}: {m}");
        }
    };
    for period in [Period::Monthly, Period::Weekly] {
        let o = CohortOptions {
            period,
            ..CohortOptions::default()
        };
        check(cohort::retention(&log, &o).map(|_| ()), "retention");
        check(cohort::revenue_curves(&log, &o).map(|_| ()), "revenue");
        let c = ChurnOptions {
            period,
            ..ChurnOptions::default()
        };
        check(cohort::period_churn(&log, &c).map(|_| ()), "churn");
    }
    check(
        cpm::transitions(&log, None, &CpmOptions::default()).map(|_| ()),
        "cpm transitions",
    );
    // The summary, RFM and CPM classes have no per-period table: they answer.
    let s = summarize(&log, &SummaryOptions::default());
    assert_eq!(s.as_of, NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap());
    cpm::classify(&s, &CpmOptions::default()).unwrap();
    // With an as-of date the far order is simply after it.
    let o = CohortOptions {
        as_of: Some(date("2024-06-30")),
        ..CohortOptions::default()
    };
    let m = cohort::retention(&log, &o).unwrap();
    assert_eq!(m.cohorts.len(), 2);
    cpm::transitions(&log, Some(date("2024-06-30")), &CpmOptions::default()).unwrap();
    // A far-past date is named the same way.
    let past = "customer_id,order_id,placed_at,amount\nA,1,2024-01-05,100\nB,2,2024-02-01,5\nZ,9,0001-01-01,1\n";
    let log = read_csv_str(past, &ReadOptions::default()).unwrap().log;
    let e = cohort::retention(&log, &CohortOptions::default()).unwrap_err();
    assert!(
        e.to_string().contains("0001-01-01") && e.to_string().contains("'Z'"),
        "{e}"
    );
}

/// 19.5: CPM transitions stopped silently after 1,201 month ends; 100 years (1,201 month ends)
/// is the documented limit, and one day more is an error, not a cut.
#[test]
fn cpm_transitions_cover_100_years_and_refuse_more() {
    let text = "customer_id,order_id,placed_at,amount\nA,1,1925-01-01,100\nA,2,2024-12-31,100\n";
    let log = read_csv_str(text, &ReadOptions::default()).unwrap().log;
    let t = cpm::transitions(&log, Some(date("2024-12-31")), &CpmOptions::default()).unwrap();
    assert_eq!(t.month_ends.len(), 1200);
    assert_eq!(t.month_ends.last().copied(), Some(date("2024-12-31")));
    // 1925-01-01 + 36,524 days = 2024-12-31; one day later is over the limit.
    let e = cpm::transitions(&log, Some(date("2025-01-01")), &CpmOptions::default()).unwrap_err();
    assert_eq!(e.code(), "invalid_value");
    assert!(e.to_string().contains("100 years"), "{e}");
}

/// 20.2: orders of 21,409.08 + 44,239.88 + 4,351.04 = 70,000.00 with a tenure of 106 days are
/// 流行客 (trendy) in `classify`; the transitions summed floats (69,999.99999999999) and said
/// steady at the same month end.
#[test]
fn cpm_transitions_use_the_exact_sums_of_the_summary() {
    let text = "customer_id,order_id,placed_at,amount\n\
                A,1,2024-01-01,21409.08\n\
                A,2,2024-02-15,44239.88\n\
                A,3,2024-04-16,4351.04\n";
    let log = read_csv_str(text, &ReadOptions::default()).unwrap().log;
    let as_of = date("2024-04-30");
    let s = summarize(
        &log,
        &SummaryOptions {
            as_of: Some(as_of),
            ..SummaryOptions::default()
        },
    );
    assert_eq!(s.tenure_days[0], Some(106));
    let c = cpm::classify(&s, &CpmOptions::default()).unwrap();
    assert_eq!(c.class[0].unwrap().id(), "trendy_active");
    let t = cpm::transitions(&log, Some(as_of), &CpmOptions::default()).unwrap();
    let idx = |id: &str| t.classes.iter().position(|c| c == id).unwrap();
    // March end: two orders, tenure 45 days: fledgling. April end: trendy.
    assert_eq!(t.counts[idx("fledgling_active")][idx("trendy_active")], 1);
    assert_eq!(t.counts[idx("fledgling_active")][idx("steady_active")], 0);
}

/// 20.3: with an 8-decimal amount in the log, a customer with 2 × 50,000,000,000 had gross
/// `92233720368.54775807` (`i64::MAX` units): per-customer totals are 128-bit now, exact.
#[test]
fn per_customer_money_does_not_saturate() {
    let text = "customer_id,order_id,placed_at,amount\n\
                A,1,2024-01-01,50000000000\n\
                A,2,2024-01-02,50000000000\n\
                B,3,2024-01-03,0.00000001\n";
    let log = read_csv_str(text, &ReadOptions::default()).unwrap().log;
    let s = summarize(&log, &SummaryOptions::default());
    let a = s.record(0);
    assert_eq!(a.gross.to_string(), "100000000000.00000000");
    assert_eq!(a.net.normalize().to_string(), "100000000000");
    assert_eq!(
        a.average_order_value.unwrap().normalize().to_string(),
        "50000000000"
    );
    assert_eq!(
        s.total_gross().normalize().to_string(),
        "100000000000.00000001"
    );
    assert!((s.net_f64(0) - 1e11).abs() < 1.0);
    // RFM monetary and CPM spend read the same exact total.
    let c = cpm::classify(&s, &CpmOptions::default()).unwrap();
    assert!((c.table.iter().map(|r| r.total_spend).sum::<f64>() - 1e11).abs() < 1.0);
}
