//! Repeat metrics and cohorts on the CDNOW master log (23,570 customers, 69,659 orders,
//! 1997-01-01 to 1998-06-30), as of 1998-07-01. The expected numbers are the issue's
//! independently computed ones; they are never adjusted to the code.

use chrono::NaiveDate;
use kokyaku::cohort::{CohortOptions, Period, retention, revenue_curves};
use kokyaku::io::{Delimiter, ReadOptions, read_path};
use kokyaku::model::OrderLog;
use kokyaku::repeat::{RepeatOptions, repeat_metrics};

const CDNOW: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/cdnow/CDNOW_master.txt"
);

fn cdnow() -> OrderLog {
    let opts = ReadOptions {
        delimiter: Delimiter::Whitespace,
        ..ReadOptions::default()
    };
    read_path(std::path::Path::new(CDNOW), &opts).unwrap().log
}

fn as_of() -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1998, 7, 1)
}

fn close(got: Option<f64>, want: f64) {
    let g = got.unwrap();
    assert!((g - want).abs() < 5e-5, "got {g}, want {want}");
}

#[test]
fn cdnow_repeat_rate_and_f2() {
    let log = cdnow();
    let r = repeat_metrics(
        &log,
        &RepeatOptions {
            as_of: as_of(),
            ..RepeatOptions::default()
        },
    )
    .unwrap();
    assert_eq!(r.customers, 23_570);
    assert_eq!(r.orders, 69_659);
    // Published: repeat rate 0.4948 by orders.
    close(r.repeat_rate.by_orders.rate, 0.4948);
    assert_eq!(r.repeat_rate.by_orders.numerator, 11_662);
    // Published: F2 within 90 days 0.3003 by orders, 0.2922 by distinct purchase days. The
    // window is inclusive (gap <= 90 days): with gap < 90 the numbers are 0.2994 and 0.2913.
    close(r.f2.by_orders.rate, 0.3003);
    close(r.f2.by_days.rate, 0.2922);
    assert_eq!(
        (r.f2.by_orders.numerator, r.f2.by_orders.denominator),
        (7_079, 23_570)
    );
    assert_eq!(
        (r.f2.by_days.numerator, r.f2.by_days.denominator),
        (6_887, 23_570)
    );
    assert_eq!(r.fn_steps[0].n, 2);
    assert_eq!(r.fn_steps[0].conversion, r.f2);
    assert_eq!(r.fn_steps.len(), 4);
    // Secondary checks, computed from the raw file by a separate throwaway script (plain
    // Python over sorted date lists), not by this crate: Fn steps (converted, eligible) and
    // the gap statistics.
    let steps: Vec<(u64, u64, u64, u64)> = r
        .fn_steps
        .iter()
        .map(|s| {
            (
                s.conversion.by_orders.numerator,
                s.conversion.by_orders.denominator,
                s.conversion.by_days.numerator,
                s.conversion.by_days.denominator,
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (7_079, 23_570, 6_887, 23_570),
            (4_889, 11_300, 4_770, 11_149),
            (3_703, 7_051, 3_613, 6_944),
            (2_882, 4_793, 2_781, 4_696)
        ]
    );
    let g = r.time_between_orders;
    assert_eq!(
        (g.count, g.min_days, g.max_days),
        (44_021, Some(1), Some(533))
    );
    assert_eq!(
        (g.p25_days, g.median_days, g.p75_days, g.p90_days),
        (Some(12.0), Some(34.0), Some(94.0), Some(200.0))
    );
    close(g.mean_days, 72.2140);
    let f = r.first_to_second;
    assert_eq!(f.count, r.repeat_rate.by_days.numerator);
    assert_eq!(
        (f.count, f.min_days, f.max_days),
        (11_516, Some(1), Some(533))
    );
    assert_eq!(
        (f.p25_days, f.median_days, f.p75_days, f.p90_days),
        (Some(18.0), Some(57.0), Some(171.0), Some(307.0))
    );
    close(f.mean_days, 110.9958);
}

#[test]
fn cdnow_cohorts() {
    let log = cdnow();
    let m = retention(
        &log,
        &CohortOptions {
            period: Period::Monthly,
            as_of: as_of(),
            max_periods: None,
        },
    )
    .unwrap();
    // CDNOW's customers all made their first purchase in 1997-Q1.
    let labels: Vec<&str> = m.cohorts.iter().map(|c| c.cohort.as_str()).collect();
    assert_eq!(labels, ["1997-01", "1997-02", "1997-03"]);
    assert_eq!(m.cohorts.iter().map(|c| c.size).sum::<u64>(), 23_570);
    assert_eq!(m.last_observed_period, "1998-06");
    assert_eq!(m.periods, 19); // 1997-01 .. 1998-07
    // First cells, from the same separate script: (size, active in k = 1, 2, 3).
    let firsts: Vec<(u64, Vec<Option<u64>>)> = m
        .cohorts
        .iter()
        .map(|c| (c.size, c.active_customers[1..4].to_vec()))
        .collect();
    assert_eq!(
        firsts,
        [
            (7_846, vec![Some(1_157), Some(964), Some(810)]),
            (8_476, vec![Some(1_312), Some(980), Some(783)]),
            (7_248, vec![Some(1_032), Some(752), Some(756)]),
        ]
    );
    for (r, row) in m.cohorts.iter().enumerate() {
        assert_eq!(row.retention[0], Some(1.0));
        // 1997-01 + k is observed up to k = 17 (1998-06); 1998-07 is unknown.
        for k in 0..19 {
            assert_eq!(
                row.retention[k].is_some(),
                r + k <= 17,
                "cohort {} k {k}",
                row.cohort
            );
        }
    }
    let v = revenue_curves(
        &log,
        &CohortOptions {
            period: Period::Monthly,
            as_of: as_of(),
            max_periods: Some(17),
        },
    )
    .unwrap();
    assert_eq!(v.periods, 18);
    // The cumulative curves never fall (no refunds in CDNOW) and the known totals add up to the
    // whole log's revenue.
    let mut total = rust_decimal::Decimal::ZERO;
    for row in &v.cohorts {
        let known: Vec<f64> = row
            .cumulative_net_revenue_per_customer
            .iter()
            .flatten()
            .copied()
            .collect();
        assert!(known.windows(2).all(|w| w[0] <= w[1]));
        total += row
            .cumulative_net_revenue
            .iter()
            .flatten()
            .last()
            .copied()
            .unwrap();
    }
    let all: i128 = log.amounts().units().iter().map(|&u| i128::from(u)).sum();
    assert_eq!(total, log.amounts().units_to_decimal(all));
    let w = retention(
        &log,
        &CohortOptions {
            period: Period::Weekly,
            as_of: as_of(),
            max_periods: Some(10),
        },
    )
    .unwrap();
    assert_eq!(w.cohorts.first().unwrap().cohort, "1997-W01");
    assert_eq!(w.periods, 11);
    assert_eq!(w.cohorts.iter().map(|c| c.size).sum::<u64>(), 23_570);
}
