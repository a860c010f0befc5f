//! Edge cases of repeat metrics and cohorts: empty logs, as-of before the data, bad
//! parameters (typed `invalid_option` errors), options as plain JSON data.

use chrono::NaiveDate;
use chrono_tz::Tz;
use kokyaku::cohort::{
    ChurnOptions, CohortOptions, Period, period_churn, retention, revenue_curves,
};
use kokyaku::io::{ReadOptions, read_csv_str};
use kokyaku::model::{OrderLog, OrderLogBuilder};
use kokyaku::repeat::{
    RepeatOptions, SubscriptionOptions, repeat_metrics, subscription_continuation,
};

fn small() -> OrderLog {
    let csv = "customer_id,date,amount\nA,2024-01-10,10\nA,2024-02-01,12\nB,2024-01-15,30\n";
    read_csv_str(csv, &ReadOptions::default()).unwrap().log
}

#[test]
fn empty_log_gives_empty_results() {
    let log = OrderLogBuilder::new(Tz::UTC).finish();
    let r = repeat_metrics(&log, &RepeatOptions::default()).unwrap();
    assert_eq!((r.customers, r.orders), (0, 0));
    assert_eq!(r.f2.by_orders.rate, None);
    assert_eq!(r.time_between_orders.median_days, None);
    assert!(
        retention(&log, &CohortOptions::default())
            .unwrap()
            .cohorts
            .is_empty()
    );
    assert!(
        revenue_curves(&log, &CohortOptions::default())
            .unwrap()
            .cohorts
            .is_empty()
    );
    assert!(
        period_churn(&log, &ChurnOptions::default())
            .unwrap()
            .periods
            .is_empty()
    );
    let s = subscription_continuation(&log, &SubscriptionOptions::default()).unwrap();
    assert_eq!(s.subscriptions, 0);
    assert_eq!(s.cycles[0].survival, None);
}

#[test]
fn as_of_before_the_data_sees_nothing() {
    let log = small();
    let as_of = NaiveDate::from_ymd_opt(2023, 12, 31);
    let r = repeat_metrics(
        &log,
        &RepeatOptions {
            as_of,
            ..RepeatOptions::default()
        },
    )
    .unwrap();
    assert_eq!(r.customers, 0);
    assert_eq!(r.as_of, as_of.unwrap());
    let m = retention(
        &log,
        &CohortOptions {
            as_of,
            ..CohortOptions::default()
        },
    )
    .unwrap();
    assert!(m.cohorts.is_empty());
    assert_eq!(m.last_observed_period, "2023-12");
    assert!(
        period_churn(
            &log,
            &ChurnOptions {
                as_of,
                ..ChurnOptions::default()
            }
        )
        .unwrap()
        .periods
        .is_empty()
    );
}

#[test]
fn default_as_of_is_the_day_after_the_last_order() {
    let log = small();
    let r = repeat_metrics(&log, &RepeatOptions::default()).unwrap();
    assert_eq!(r.as_of, NaiveDate::from_ymd_opt(2024, 2, 2).unwrap());
    let m = retention(&log, &CohortOptions::default()).unwrap();
    // February is not over on 2024-02-02: January's k = 1 is unknown.
    assert_eq!(m.cohorts[0].retention, vec![Some(1.0), None]);
}

#[test]
fn bad_parameters_are_invalid_option_errors() {
    let log = small();
    for max_n in [0, 1, 1001] {
        let e = repeat_metrics(
            &log,
            &RepeatOptions {
                max_n,
                ..RepeatOptions::default()
            },
        )
        .unwrap_err();
        assert_eq!(e.code(), "invalid_option");
        assert!(e.to_string().contains("max_n"), "{e}");
    }
    let e = subscription_continuation(
        &log,
        &SubscriptionOptions {
            max_cycles: 0,
            ..SubscriptionOptions::default()
        },
    )
    .unwrap_err();
    assert_eq!(e.code(), "invalid_option");
}

#[test]
fn options_are_plain_json_data() {
    let o: RepeatOptions = serde_json::from_str("{}").unwrap();
    assert_eq!(
        o,
        RepeatOptions {
            as_of: None,
            f2_window_days: 90,
            max_n: 5
        }
    );
    let o: CohortOptions =
        serde_json::from_str(r#"{"period": "weekly", "as_of": "1998-07-01", "max_periods": 12}"#)
            .unwrap();
    assert_eq!(o.period, Period::Weekly);
    assert_eq!(o.max_periods, Some(12));
    assert!(serde_json::from_str::<RepeatOptions>(r#"{"window": 90}"#).is_err());
    assert!(serde_json::from_str::<CohortOptions>(r#"{"period": "daily"}"#).is_err());
    let s: SubscriptionOptions = serde_json::from_str("{}").unwrap();
    assert_eq!((s.lapse_days, s.max_cycles), (60, 12));
    assert_eq!(
        serde_json::to_string(&Period::Monthly).unwrap(),
        "\"monthly\""
    );
}

#[test]
fn weekly_churn_and_max_periods() {
    // 2024-01-01 is a Monday.
    let csv = "customer_id,date,amount\n\
               A,2024-01-01,1\nA,2024-01-08,1\nA,2024-01-22,1\n\
               B,2024-01-02,1\nB,2024-01-09,1\nB,2024-01-16,1\n";
    let log = read_csv_str(csv, &ReadOptions::default()).unwrap().log;
    let as_of = NaiveDate::from_ymd_opt(2024, 1, 28); // a Sunday: W04 is observed
    let ch = period_churn(
        &log,
        &ChurnOptions {
            period: Period::Weekly,
            as_of,
        },
    )
    .unwrap();
    let rows: Vec<(&str, u64, u64, u64)> = ch
        .periods
        .iter()
        .map(|r| {
            (
                r.period.as_str(),
                r.purchasers_previous,
                r.churned,
                r.purchasers,
            )
        })
        .collect();
    // W02: A,B both back. W03: only B (A churned). W04: A returns, B churned.
    assert_eq!(
        rows,
        [
            ("2024-W02", 2, 0, 2),
            ("2024-W03", 2, 1, 1),
            ("2024-W04", 1, 1, 1)
        ]
    );
    assert_eq!(ch.periods[0].subscription_cancellations, None);
    let m = retention(
        &log,
        &CohortOptions {
            period: Period::Weekly,
            as_of,
            max_periods: Some(1),
        },
    )
    .unwrap();
    assert_eq!(m.periods, 2);
    assert_eq!(m.cohorts[0].active_customers, vec![Some(2), Some(2)]);
    let m = retention(
        &log,
        &CohortOptions {
            period: Period::Weekly,
            as_of,
            max_periods: None,
        },
    )
    .unwrap();
    assert_eq!(
        m.cohorts[0].active_customers,
        vec![Some(2), Some(2), Some(1), Some(1)]
    );
}
