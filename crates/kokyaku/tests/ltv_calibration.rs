//! Building the CDNOW sample summary from the raw sample order file: Fader, Hardie & Lee (2005),
//! "Counting your customers the easy way", Marketing Science 24(2), use the 2,357-customer 1/10
//! sample with a 39-week calibration period 1997-01-01..1997-09-30. Our summary must give the
//! published `cdnow_customers_summary.csv` `x`, `t_x` and `T` (weeks, printed to 2 decimals) and the
//! Gamma-Gamma input `zbar` of `cdnow_customers_summary_with_transactions.csv`.

// Counts and sizes are compared exactly on purpose.
#![allow(clippy::float_cmp)]

mod ltv_common;

use chrono::{NaiveDate, TimeZone, Utc};
use kokyaku::ltv::{CalibrationOptions, TimeUnit, calibration_from_log};
use kokyaku::model::{Order, OrderKind, OrderLog, OrderStatus};
use ltv_common::{column, data_dir, read_csv};
use rust_decimal::Decimal;

fn sample_log() -> OrderLog {
    // Columns: master id, sample id, date YYYYMMDD, number of CDs, dollar value; no header.
    let text = std::fs::read_to_string(data_dir().join("cdnow/CDNOW_sample.txt")).unwrap();
    let orders: Vec<Order> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let date = NaiveDate::parse_from_str(f[2], "%Y%m%d").unwrap();
            Order {
                order_id: i.to_string(),
                customer_id: f[1].trim_start_matches('0').to_owned(),
                placed_at: Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap()),
                amount: f[4].parse::<Decimal>().unwrap(),
                currency: "USD".into(),
                kind: OrderKind::OneOff,
                subscription_id: None,
                status: OrderStatus::Completed,
                lines: Vec::new(),
            }
        })
        .collect();
    assert_eq!(orders.len(), 6919);
    OrderLog::from_records(chrono_tz::UTC, &[], &orders, &[], &[]).unwrap()
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[test]
fn cdnow_sample_summary_matches_published_file() {
    let log = sample_log();
    let opts = CalibrationOptions {
        calibration_end: NaiveDate::from_ymd_opt(1997, 9, 30).unwrap(),
        holdout_end: Some(NaiveDate::from_ymd_opt(1998, 6, 30).unwrap()),
        time_unit: TimeUnit::Weeks,
    };
    let s = calibration_from_log(&log, &opts).unwrap();
    let (h, rows) = read_csv("cdnow/cdnow_customers_summary.csv");
    let ids = column(&h, &rows, "ID");
    let (x, tx, t) = (
        column(&h, &rows, "frequency"),
        column(&h, &rows, "recency"),
        column(&h, &rows, "T"),
    );
    assert_eq!(s.customer_id.len(), 2357);
    for i in 0..2357 {
        assert_eq!(s.customer_id[i], format!("{}", ids[i] as u64), "row {i}");
        assert_eq!(s.data.x[i], x[i], "x of customer {}", ids[i]);
        assert_eq!(round2(s.data.t_x[i]), tx[i], "t_x of customer {}", ids[i]);
        assert_eq!(round2(s.data.t[i]), t[i], "T of customer {}", ids[i]);
    }
    let (h2, rows2) = read_csv("cdnow/cdnow_customers_summary_with_transactions.csv");
    let zbar = column(&h2, &rows2, "zbar");
    let m = s.data.monetary.as_ref().unwrap();
    for i in 0..2357 {
        assert!(
            (m[i] - zbar[i]).abs() <= 0.005 + 1e-9,
            "zbar of customer {}: {} vs {}",
            ids[i],
            m[i],
            zbar[i]
        );
    }
    // Holdout: 1997-10-01..1998-06-30 is 273 days = 39 weeks.
    assert_eq!(s.holdout_length, Some(39.0));
    let hx = s.holdout_purchases.as_ref().unwrap();
    assert!(hx.iter().all(|&v| v >= 0.0 && v.fract() == 0.0));
    // Customer 1 (master id 4): purchases on 1997-01-01, 01-18, 08-02 and 1997-12-12.
    assert_eq!(hx[0], 1.0);
    assert!((s.holdout_spend.as_ref().unwrap()[0] - 26.48).abs() < 1e-9);
}

#[test]
fn holdout_purchase_days_are_the_counted_holdout_purchases() {
    let log = sample_log();
    let opts = CalibrationOptions {
        calibration_end: NaiveDate::from_ymd_opt(1997, 9, 30).unwrap(),
        holdout_end: Some(NaiveDate::from_ymd_opt(1998, 6, 30).unwrap()),
        time_unit: TimeUnit::Weeks,
    };
    let s = calibration_from_log(&log, &opts).unwrap();
    let days = kokyaku::ltv::holdout_purchase_days(&log, &opts).unwrap();
    let total: f64 = s.holdout_purchases.as_ref().unwrap().iter().sum();
    assert_eq!(days.len() as f64, total);
    assert!(days.windows(2).all(|w| w[0] <= w[1]));
    let (e, h) = (
        kokyaku::model::date_to_day(opts.calibration_end),
        kokyaku::model::date_to_day(opts.holdout_end.unwrap()),
    );
    assert!(days.iter().all(|&d| d > e && d <= h));
    // Without a holdout end there is nothing to list.
    let no_holdout = CalibrationOptions {
        holdout_end: None,
        ..opts
    };
    assert_eq!(
        kokyaku::ltv::holdout_purchase_days(&log, &no_holdout)
            .unwrap_err()
            .code(),
        "invalid_option"
    );
}
