//! Random logs checked against deliberately naive reference implementations (per customer
//! vectors and sets, chrono calendar arithmetic): repeat metrics, retention, revenue, churn.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use kokyaku::cohort::{
    ChurnOptions, CohortOptions, Period, period_churn, retention, revenue_curves,
};
use kokyaku::model::{Order, OrderKind, OrderLog, OrderStatus, Refund};
use kokyaku::repeat::{RepeatOptions, repeat_metrics};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// (customer, day offset, hour, completed, amount in cents)
type Row = (u8, u16, u8, bool, u16);

fn base() -> NaiveDate {
    NaiveDate::from_ymd_opt(2023, 11, 27).unwrap() // a Monday
}

fn build(rows: &[Row], refunds: &[(u8, u16, u16)]) -> OrderLog {
    let orders: Vec<Order> = rows
        .iter()
        .enumerate()
        .map(|(i, &(c, d, h, ok, cents))| Order {
            order_id: format!("o{i}"),
            customer_id: format!("c{c}"),
            placed_at: at(d, h),
            amount: Decimal::new(i64::from(cents), 2),
            currency: "EUR".into(),
            kind: OrderKind::OneOff,
            subscription_id: None,
            status: if ok {
                OrderStatus::Completed
            } else {
                OrderStatus::Cancelled
            },
            lines: Vec::new(),
        })
        .collect();
    let refunds: Vec<Refund> = refunds
        .iter()
        .map(|&(c, d, cents)| Refund {
            customer_id: format!("c{c}"),
            order_id: None,
            refunded_at: at(d, 12),
            amount: Decimal::new(-i64::from(cents), 2),
        })
        .collect();
    OrderLog::from_records(Tz::UTC, &[], &orders, &refunds, &[]).unwrap()
}

fn at(d: u16, h: u8) -> DateTime<Utc> {
    (base() + Duration::days(i64::from(d)))
        .and_hms_opt(u32::from(h), 0, 0)
        .unwrap()
        .and_utc()
}

fn date(d: u16) -> NaiveDate {
    base() + Duration::days(i64::from(d))
}

/// Completed purchase dates per customer on or before `as_of`, sorted (with repeats).
fn purchases(rows: &[Row], as_of: NaiveDate) -> BTreeMap<u8, Vec<NaiveDate>> {
    let mut m: BTreeMap<u8, Vec<(NaiveDate, u8, usize)>> = BTreeMap::new();
    for (i, &(c, d, h, ok, _)) in rows.iter().enumerate() {
        if ok && date(d) <= as_of {
            m.entry(c).or_default().push((date(d), h, i));
        }
    }
    m.into_iter()
        .map(|(c, mut v)| {
            v.sort();
            (c, v.into_iter().map(|x| x.0).collect())
        })
        .collect()
}

fn rows() -> impl Strategy<Value = Vec<Row>> {
    prop::collection::vec(
        (
            0u8..12,
            0u16..200,
            0u8..24,
            prop::bool::weighted(0.85),
            1u16..5000,
        ),
        0..80,
    )
}

fn quantile7(sorted: &[i64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] as f64 + (h - lo as f64) * (sorted[hi] - sorted[lo]) as f64
}

fn month_end(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .unwrap()
        .pred_opt()
        .unwrap()
}

fn months(a: NaiveDate, b: NaiveDate) -> i32 {
    (b.year() - a.year()) * 12 + b.month() as i32 - a.month() as i32
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn repeat_matches_reference(rows in rows(), as_of_off in 0u16..220, window in 0u32..60, max_n in 2u32..6) {
        let log = build(&rows, &[]);
        let as_of = date(as_of_off);
        let r = repeat_metrics(&log, &RepeatOptions { as_of: Some(as_of), f2_window_days: window, max_n }).unwrap();
        let p = purchases(&rows, as_of);
        prop_assert_eq!(r.customers, p.len() as u64);
        prop_assert_eq!(r.orders, p.values().map(|v| v.len() as u64).sum::<u64>());
        let distinct: Vec<Vec<NaiveDate>> = p.values().map(|v| { let mut d = v.clone(); d.dedup(); d }).collect();
        prop_assert_eq!(r.repeat_rate.by_orders.numerator, p.values().filter(|v| v.len() >= 2).count() as u64);
        prop_assert_eq!(r.repeat_rate.by_days.numerator, distinct.iter().filter(|v| v.len() >= 2).count() as u64);
        let w = i64::from(window);
        for (by_days, seqs) in [(false, p.values().cloned().collect::<Vec<_>>()), (true, distinct.clone())] {
            for n in 2..=max_n as usize {
                let elig: Vec<&Vec<NaiveDate>> = seqs.iter().filter(|v| v.len() >= n - 1 && (as_of - v[n - 2]).num_days() >= w).collect();
                let conv = elig.iter().filter(|v| v.len() >= n && (v[n - 1] - v[n - 2]).num_days() <= w).count();
                let step = &r.fn_steps[n - 2];
                prop_assert_eq!(step.n as usize, n);
                let got = if by_days { step.conversion.by_days } else { step.conversion.by_orders };
                prop_assert_eq!((got.numerator, got.denominator), (conv as u64, elig.len() as u64), "n {} by_days {}", n, by_days);
            }
        }
        prop_assert!(r.f2.by_days.numerator <= r.f2.by_orders.numerator);
        let mut gaps: Vec<i64> = distinct.iter().flat_map(|v| v.windows(2).map(|w| (w[1] - w[0]).num_days()).collect::<Vec<_>>()).collect();
        gaps.sort_unstable();
        prop_assert_eq!(r.time_between_orders.count, gaps.len() as u64);
        if !gaps.is_empty() {
            for (p, got) in [(0.25, r.time_between_orders.p25_days), (0.5, r.time_between_orders.median_days), (0.9, r.time_between_orders.p90_days)] {
                prop_assert!((got.unwrap() - quantile7(&gaps, p)).abs() < 1e-9);
            }
            let mean = gaps.iter().sum::<i64>() as f64 / gaps.len() as f64;
            prop_assert!((r.time_between_orders.mean_days.unwrap() - mean).abs() < 1e-9);
        }
    }

    #[test]
    fn monthly_cohorts_match_reference(rows in rows(), refunds in prop::collection::vec((0u8..12, 0u16..200, 1u16..3000), 0..10), as_of_off in 0u16..220) {
        let log = build(&rows, &refunds);
        let as_of = date(as_of_off);
        let opts = CohortOptions { period: Period::Monthly, as_of: Some(as_of), max_periods: None };
        let m = retention(&log, &opts).unwrap();
        let v = revenue_curves(&log, &opts).unwrap();
        let p = purchases(&rows, as_of);
        // Reference cohorts: first completed purchase month.
        let mut cohorts: BTreeMap<NaiveDate, Vec<u8>> = BTreeMap::new();
        for (&c, v) in &p {
            cohorts.entry(v[0].with_day(1).unwrap()).or_default().push(c);
        }
        prop_assert_eq!(m.cohorts.len(), cohorts.len());
        prop_assert_eq!(v.cohorts.len(), cohorts.len());
        for ((start, members), (row, rev)) in cohorts.iter().zip(m.cohorts.iter().zip(&v.cohorts)) {
            prop_assert_eq!(row.start_date, *start);
            prop_assert_eq!(row.size, members.len() as u64);
            prop_assert_eq!(row.complete, month_end(*start) <= as_of);
            let mut cum = Decimal::ZERO;
            for k in 0..row.retention.len() {
                let period_start = start.checked_add_months(chrono::Months::new(k as u32)).unwrap();
                let known = month_end(period_start) <= as_of;
                let active = members.iter().filter(|c| p[c].iter().any(|d| d.with_day(1).unwrap() == period_start)).count() as u64;
                let want = if k == 0 { Some(members.len() as u64) } else if known { Some(active) } else { None };
                prop_assert_eq!(row.active_customers[k], want, "cohort {} k {}", row.cohort, k);
                // Revenue: completed orders in the month minus refunds dated in it (before the
                // cohort month: in k = 0).
                let mut net = Decimal::ZERO;
                for &(c, d, _, ok, cents) in &rows {
                    if ok && members.contains(&c) && date(d) <= as_of && date(d).with_day(1).unwrap() == period_start {
                        net += Decimal::new(i64::from(cents), 2);
                    }
                }
                for &(c, d, cents) in &refunds {
                    let rm = date(d).with_day(1).unwrap();
                    let in_k = if k == 0 { rm <= period_start } else { rm == period_start };
                    if members.contains(&c) && date(d) <= as_of && in_k {
                        net -= Decimal::new(i64::from(cents), 2);
                    }
                }
                cum += net;
                if known {
                    prop_assert_eq!(rev.net_revenue[k], Some(net.normalize()));
                    prop_assert_eq!(rev.cumulative_net_revenue[k], Some(cum.normalize()));
                } else {
                    prop_assert_eq!(rev.net_revenue[k], None);
                }
            }
        }
    }

    #[test]
    fn monthly_churn_matches_reference(rows in rows(), as_of_off in 0u16..220) {
        let log = build(&rows, &[]);
        let as_of = date(as_of_off);
        let ch = period_churn(&log, &ChurnOptions { period: Period::Monthly, as_of: Some(as_of) }).unwrap();
        let p = purchases(&rows, as_of);
        let sets: Vec<BTreeSet<NaiveDate>> = p.values().map(|v| v.iter().map(|d| d.with_day(1).unwrap()).collect()).collect();
        for row in &ch.periods {
            prop_assert!(month_end(row.start_date) <= as_of);
            let prev = row.start_date.checked_sub_months(chrono::Months::new(1)).unwrap();
            let bought_prev = sets.iter().filter(|s| s.contains(&prev)).count() as u64;
            let churned = sets.iter().filter(|s| s.contains(&prev) && !s.contains(&row.start_date)).count() as u64;
            prop_assert_eq!(row.purchasers_previous, bought_prev);
            prop_assert_eq!(row.churned, churned);
            prop_assert_eq!(row.purchasers, sets.iter().filter(|s| s.contains(&row.start_date)).count() as u64);
        }
        // One row per observed month after the first purchase month.
        if let Some(first) = p.values().map(|v| v[0]).min() {
            let last_observed = if month_end(as_of) == as_of { as_of.with_day(1).unwrap() } else { as_of.with_day(1).unwrap().checked_sub_months(chrono::Months::new(1)).unwrap() };
            let want = months(first.with_day(1).unwrap(), last_observed).max(0);
            prop_assert_eq!(ch.periods.len() as i32, want);
        } else {
            prop_assert!(ch.periods.is_empty());
        }
    }
}
