//! Cohorts: monthly and weekly retention matrices, cumulative net revenue per customer by
//! cohort (historical LTV curves), and period churn.
//!
//! A customer's cohort is the period (calendar month, or ISO week starting Monday, in the log's
//! time zone) of its first completed order on or before as-of. Cells whose period is not fully
//! observed by as-of are unknown (`None`, JSON `null`), never zero. Exact definitions:
//! `docs/cohorts.md`.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::model::{Day, OrderLog, OrderStatus, date_to_day, day_to_date};

/// The length of a cohort / churn period.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, PartialOrd, Ord,
)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// Calendar months.
    #[default]
    Monthly,
    /// ISO weeks, Monday to Sunday.
    Weekly,
}

impl Period {
    /// The period index of a local day: months since 0000-01 (`year * 12 + month - 1`), or
    /// weeks since the Monday 1969-12-29.
    #[must_use]
    pub fn index(self, day: Day) -> i32 {
        match self {
            Self::Monthly => month_index(day),
            Self::Weekly => (day + 3).div_euclid(7),
        }
    }
    /// The first day of period `idx`.
    #[must_use]
    pub fn start_day(self, idx: i32) -> Day {
        match self {
            Self::Monthly => {
                let d =
                    NaiveDate::from_ymd_opt(idx.div_euclid(12), idx.rem_euclid(12) as u32 + 1, 1);
                d.map_or(Day::MAX, date_to_day)
            }
            Self::Weekly => idx * 7 - 3,
        }
    }
    /// The last day of period `idx`.
    #[must_use]
    pub fn end_day(self, idx: i32) -> Day {
        self.start_day(idx + 1) - 1
    }
    /// The label of period `idx`: `YYYY-MM`, or the ISO week `YYYY-Www`.
    #[must_use]
    pub fn label(self, idx: i32) -> String {
        let start = day_to_date(self.start_day(idx));
        match self {
            Self::Monthly => format!("{:04}-{:02}", start.year(), start.month()),
            Self::Weekly => {
                let w = start.iso_week();
                format!("{:04}-W{:02}", w.year(), w.week())
            }
        }
    }
    /// The last fully observed period when the analysis day (inclusive) is `as_of`.
    #[must_use]
    pub fn last_observed(self, as_of: Day) -> i32 {
        let p = self.index(as_of);
        if self.end_day(p) <= as_of { p } else { p - 1 }
    }
}

/// Month index (`year * 12 + month - 1`) of a day number, by Hinnant's civil-from-days.
fn month_index(day: Day) -> i32 {
    let z = i64::from(day) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y * 12 + m - 1) as i32
}

/// Parameters of [`retention`] and [`revenue_curves`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CohortOptions {
    /// Monthly (default) or weekly periods.
    pub period: Period,
    /// Analysis day, inclusive. Default: the day after the last order in the log.
    pub as_of: Option<NaiveDate>,
    /// Largest period offset `k` reported (columns `0..=max_periods`). Default: up to the
    /// period of as-of for the oldest cohort.
    pub max_periods: Option<u32>,
}

/// One cohort row of a [`RetentionMatrix`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetentionRow {
    /// Period label (`1997-01`, `1997-W01`).
    pub cohort: String,
    /// First day of the cohort period.
    pub start_date: NaiveDate,
    /// Whether the cohort period itself is fully observed (if not, the cohort is still growing).
    pub complete: bool,
    /// Customers whose first completed order falls in the cohort period.
    pub size: u64,
    /// Per offset `k`: cohort customers with a completed order in period `cohort + k`
    /// (`None` when that period is not fully observed; `k = 0` is always `size`).
    pub active_customers: Vec<Option<u64>>,
    /// Per offset `k`: `active_customers[k] / size` (`k = 0` is 1).
    pub retention: Vec<Option<f64>>,
}

/// A cohort retention matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetentionMatrix {
    /// Period length.
    pub period: Period,
    /// Analysis day used (inclusive).
    pub as_of: NaiveDate,
    /// The last fully observed period (label), if any.
    pub last_observed_period: String,
    /// Number of columns (`k = 0..periods`).
    pub periods: u32,
    /// Cohorts with at least one customer, oldest first.
    pub cohorts: Vec<RetentionRow>,
}

/// One cohort row of [`RevenueCurves`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevenueRow {
    /// Period label.
    pub cohort: String,
    /// First day of the cohort period.
    pub start_date: NaiveDate,
    /// Whether the cohort period itself is fully observed.
    pub complete: bool,
    /// Customers in the cohort.
    pub size: u64,
    /// Per offset `k`: net revenue of the cohort in period `cohort + k` (completed orders minus
    /// refunds dated in that period), exact; `None` when not fully observed.
    pub net_revenue: Vec<Option<Decimal>>,
    /// Per offset `k`: net revenue over periods `0..=k`, exact.
    pub cumulative_net_revenue: Vec<Option<Decimal>>,
    /// Per offset `k`: `cumulative_net_revenue[k] / size`.
    pub cumulative_net_revenue_per_customer: Vec<Option<f64>>,
}

/// Cumulative net revenue per customer by cohort.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevenueCurves {
    /// Period length.
    pub period: Period,
    /// Analysis day used (inclusive).
    pub as_of: NaiveDate,
    /// Currency of every amount, if known.
    pub currency: Option<String>,
    /// The last fully observed period (label).
    pub last_observed_period: String,
    /// Number of columns.
    pub periods: u32,
    /// Cohorts with at least one customer, oldest first.
    pub cohorts: Vec<RevenueRow>,
}

/// The cohort frame shared by retention and revenue: cohort per customer and the column range.
struct Frame {
    as_of: Day,
    /// Oldest cohort period.
    first: i32,
    /// Last fully observed period.
    last_observed: i32,
    /// Number of cohort slots (`current - first + 1`).
    n_cohorts: usize,
    /// Number of columns.
    width: usize,
}

impl Frame {
    /// `Ok(None)` without a completed order on or before as-of; `invalid_value` when the
    /// first order to as-of spans more than [`crate::span::MAX_SPAN_DAYS`].
    fn new(
        log: &OrderLog,
        period: Period,
        as_of: Option<NaiveDate>,
        max_periods: Option<u32>,
        what: &str,
    ) -> Result<Option<Self>> {
        let as_of = log.as_of_day(as_of);
        let (days, status) = (log.days(), log.statuses());
        // Oldest first completed order on or before as-of.
        let mut first_day: Option<Day> = None;
        for c in 0..log.n_customers() {
            for i in log.order_range(c) {
                if days[i] > as_of {
                    break;
                }
                if status[i] == OrderStatus::Completed {
                    first_day = Some(first_day.map_or(days[i], |f| f.min(days[i])));
                    break;
                }
            }
        }
        let Some(first_day) = first_day else {
            return Ok(None);
        };
        crate::span::check(log, first_day, as_of, what)?;
        let first = period.index(first_day);
        let current = period.index(as_of);
        let n_cohorts = (current - first + 1) as usize;
        let mut width = n_cohorts;
        if let Some(m) = max_periods {
            width = width.min(m as usize + 1);
        }
        Ok(Some(Self {
            as_of,
            first,
            last_observed: period.last_observed(as_of),
            n_cohorts,
            width,
        }))
    }
    /// Whether offset `k` of cohort slot `row` is fully observed.
    fn known(&self, row: usize, k: usize) -> bool {
        self.first + (row + k) as i32 <= self.last_observed
    }
}

/// Cohort retention: for each cohort and offset `k`, the share of cohort customers with a
/// completed order in period `cohort + k`. See the module docs for the unknown rule.
pub fn retention(log: &OrderLog, opts: &CohortOptions) -> Result<RetentionMatrix> {
    let period = opts.period;
    let Some(f) = Frame::new(
        log,
        period,
        opts.as_of,
        opts.max_periods,
        "cohort retention",
    )?
    else {
        let as_of = log.as_of_day(opts.as_of);
        return Ok(RetentionMatrix {
            period,
            as_of: day_to_date(as_of),
            last_observed_period: period.label(period.last_observed(as_of)),
            periods: 0,
            cohorts: Vec::new(),
        });
    };
    let (days, status) = (log.days(), log.statuses());
    let w = f.width;
    let mut size = vec![0u64; f.n_cohorts];
    let mut active = vec![0u64; f.n_cohorts * w];
    for c in 0..log.n_customers() {
        let mut cohort: Option<i32> = None;
        let mut prev_p = i32::MIN;
        for i in log.order_range(c) {
            let d = days[i];
            if d > f.as_of {
                break;
            }
            if status[i] != OrderStatus::Completed {
                continue;
            }
            let p = period.index(d);
            if p == prev_p {
                continue;
            }
            prev_p = p;
            let co = *cohort.get_or_insert(p);
            let row = (co - f.first) as usize;
            if p == co {
                size[row] += 1;
            }
            let k = (p - co) as usize;
            if k < w {
                active[row * w + k] += 1;
            }
        }
    }
    let cohorts = (0..f.n_cohorts)
        .filter(|&r| size[r] > 0)
        .map(|r| {
            let p = f.first + r as i32;
            let n = size[r];
            let cells: Vec<Option<u64>> = (0..w)
                .map(|k| (k == 0 || f.known(r, k)).then(|| active[r * w + k]))
                .collect();
            RetentionRow {
                cohort: period.label(p),
                start_date: day_to_date(period.start_day(p)),
                complete: p <= f.last_observed,
                size: n,
                retention: cells
                    .iter()
                    .map(|c| c.map(|a| a as f64 / n as f64))
                    .collect(),
                active_customers: cells,
            }
        })
        .collect();
    Ok(RetentionMatrix {
        period,
        as_of: day_to_date(f.as_of),
        last_observed_period: period.label(f.last_observed),
        periods: w as u32,
        cohorts,
    })
}

/// Cumulative net revenue per customer by cohort (historical LTV curves).
///
/// Revenue in period `cohort + k` is the cohort customers' completed orders placed in it minus
/// their refunds dated in it (a refund dated before the customer's cohort period counts in
/// `k = 0`); everything after as-of is left out. A cell is known only when its period is fully
/// observed (also `k = 0`: a cohort still growing has no known cells).
pub fn revenue_curves(log: &OrderLog, opts: &CohortOptions) -> Result<RevenueCurves> {
    let period = opts.period;
    let currency = log.currency().map(str::to_owned);
    let Some(f) = Frame::new(log, period, opts.as_of, opts.max_periods, "revenue curves")? else {
        let as_of = log.as_of_day(opts.as_of);
        return Ok(RevenueCurves {
            period,
            as_of: day_to_date(as_of),
            currency,
            last_observed_period: period.label(period.last_observed(as_of)),
            periods: 0,
            cohorts: Vec::new(),
        });
    };
    let (days, status) = (log.days(), log.statuses());
    let units = log.amounts().units();
    let refunds = log.refunds();
    let r_units = refunds.amount.units();
    let w = f.width;
    let mut size = vec![0u64; f.n_cohorts];
    let mut gross = vec![0i128; f.n_cohorts * w];
    let mut refunded = vec![0i128; f.n_cohorts * w];
    for c in 0..log.n_customers() {
        let mut cohort: Option<i32> = None;
        for i in log.order_range(c) {
            let d = days[i];
            if d > f.as_of {
                break;
            }
            if status[i] != OrderStatus::Completed {
                continue;
            }
            let p = period.index(d);
            let co = *cohort.get_or_insert_with(|| {
                size[(p - f.first) as usize] += 1;
                p
            });
            let k = (p - co) as usize;
            if k < w {
                gross[(co - f.first) as usize * w + k] += i128::from(units[i]);
            }
        }
        let Some(co) = cohort else { continue };
        let row = (co - f.first) as usize;
        for j in log.refund_range(c) {
            let d = refunds.day[j];
            if d > f.as_of {
                continue;
            }
            let k = (period.index(d) - co).max(0) as usize;
            if k < w {
                refunded[row * w + k] += i128::from(r_units[j]);
            }
        }
    }
    let amounts = log.amounts();
    let cohorts = (0..f.n_cohorts)
        .filter(|&r| size[r] > 0)
        .map(|r| {
            let p = f.first + r as i32;
            let n = size[r];
            let mut cum = Decimal::ZERO;
            let mut net_revenue = Vec::with_capacity(w);
            let mut cumulative = Vec::with_capacity(w);
            let mut per_customer = Vec::with_capacity(w);
            for k in 0..w {
                if !f.known(r, k) {
                    net_revenue.push(None);
                    cumulative.push(None);
                    per_customer.push(None);
                    continue;
                }
                let net = amounts.units_to_decimal(gross[r * w + k])
                    - refunds.amount.units_to_decimal(refunded[r * w + k]);
                cum += net;
                net_revenue.push(Some(net.normalize()));
                cumulative.push(Some(cum.normalize()));
                per_customer.push(cum.to_f64().map(|v| v / n as f64));
            }
            RevenueRow {
                cohort: period.label(p),
                start_date: day_to_date(period.start_day(p)),
                complete: p <= f.last_observed,
                size: n,
                net_revenue,
                cumulative_net_revenue: cumulative,
                cumulative_net_revenue_per_customer: per_customer,
            }
        })
        .collect();
    Ok(RevenueCurves {
        period,
        as_of: day_to_date(f.as_of),
        currency,
        last_observed_period: period.label(f.last_observed),
        periods: w as u32,
        cohorts,
    })
}

// ---------------------------------------------------------------------------------------------
// Period churn
// ---------------------------------------------------------------------------------------------

/// Parameters of [`period_churn`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChurnOptions {
    /// Monthly (default) or weekly periods.
    pub period: Period,
    /// Analysis day, inclusive. Default: the day after the last order in the log.
    pub as_of: Option<NaiveDate>,
}

/// Churn in one period `p`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChurnRow {
    /// Period label.
    pub period: String,
    /// First day of the period.
    pub start_date: NaiveDate,
    /// Customers with a completed order in `p - 1`.
    pub purchasers_previous: u64,
    /// Customers with a completed order in `p`.
    pub purchasers: u64,
    /// Of `purchasers_previous`, those who also purchased in `p`.
    pub retained: u64,
    /// Of `purchasers_previous`, those who did not purchase in `p`.
    pub churned: u64,
    /// `churned / purchasers_previous`.
    pub churn_rate: Option<f64>,
    /// With a subscription table: subscriptions started before `p` and not cancelled before it.
    pub subscriptions_active_at_start: Option<u64>,
    /// With a subscription table: subscriptions whose cancellation day falls in `p`.
    pub subscription_cancellations: Option<u64>,
    /// With a subscription table: cancellations in `p` of subscriptions active at its start,
    /// over `subscriptions_active_at_start`.
    pub subscription_churn_rate: Option<f64>,
}

/// Period churn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodChurn {
    /// Period length.
    pub period: Period,
    /// Analysis day used (inclusive).
    pub as_of: NaiveDate,
    /// Whether a subscription table fed the subscription columns.
    pub has_subscription_table: bool,
    /// One row per fully observed period after the first period with an order, oldest first.
    pub periods: Vec<ChurnRow>,
}

/// Period churn: for each fully observed period `p` after the first, the customers who
/// purchased in `p - 1` but not in `p`, over the purchasers of `p - 1`; plus subscription
/// cancellations per period from an attached subscription table.
pub fn period_churn(log: &OrderLog, opts: &ChurnOptions) -> Result<PeriodChurn> {
    let period = opts.period;
    let as_of = log.as_of_day(opts.as_of);
    let table = log.subscriptions();
    let has_table = !table.id.is_empty();
    let empty = |as_of| PeriodChurn {
        period,
        as_of: day_to_date(as_of),
        has_subscription_table: has_table,
        periods: Vec::new(),
    };
    let Some(f) = Frame::new(log, period, opts.as_of, None, "period churn")? else {
        return Ok(empty(as_of));
    };
    let last = f.last_observed;
    if last < f.first + 1 {
        return Ok(empty(f.as_of));
    }
    let n = (last - f.first + 1) as usize;
    let (days, status) = (log.days(), log.statuses());
    let mut purchasers = vec![0u64; n];
    let mut churned = vec![0u64; n];
    for c in 0..log.n_customers() {
        let mut prev_p = i32::MIN;
        for i in log.order_range(c) {
            let d = days[i];
            if d > f.as_of {
                break;
            }
            if status[i] != OrderStatus::Completed {
                continue;
            }
            let p = period.index(d);
            if p == prev_p || p > last {
                continue;
            }
            if prev_p != i32::MIN && p != prev_p + 1 {
                churned[(prev_p + 1 - f.first) as usize] += 1;
            }
            purchasers[(p - f.first) as usize] += 1;
            prev_p = p;
        }
        if prev_p != i32::MIN && prev_p < last {
            churned[(prev_p + 1 - f.first) as usize] += 1;
        }
    }
    let rows = (1..n)
        .map(|j| {
            let p = f.first + j as i32;
            let (start, end) = (period.start_day(p), period.end_day(p));
            let (mut active, mut cancels, mut cancels_active) = (0u64, 0u64, 0u64);
            if has_table {
                for s in 0..table.id.len() {
                    let cancelled = table.cancelled[s];
                    let was_active =
                        table.started[s] < start && cancelled.is_none_or(|d| d >= start);
                    active += u64::from(was_active);
                    if let Some(d) = cancelled {
                        if (start..=end).contains(&d) {
                            cancels += 1;
                            cancels_active += u64::from(was_active);
                        }
                    }
                }
            }
            let prev = purchasers[j - 1];
            ChurnRow {
                period: period.label(p),
                start_date: day_to_date(start),
                purchasers_previous: prev,
                purchasers: purchasers[j],
                retained: prev - churned[j],
                churned: churned[j],
                churn_rate: if prev == 0 {
                    None
                } else {
                    Some(churned[j] as f64 / prev as f64)
                },
                subscriptions_active_at_start: has_table.then_some(active),
                subscription_cancellations: has_table.then_some(cancels),
                subscription_churn_rate: if has_table && active > 0 {
                    Some(cancels_active as f64 / active as f64)
                } else {
                    None
                },
            }
        })
        .collect();
    Ok(PeriodChurn {
        period,
        as_of: day_to_date(f.as_of),
        has_subscription_table: has_table,
        periods: rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_index_matches_chrono() {
        for day in (-800_000..800_000).step_by(97) {
            let d = day_to_date(day);
            assert_eq!(month_index(day), d.year() * 12 + d.month0() as i32, "{d}");
        }
    }

    #[test]
    fn weeks_start_on_monday() {
        let monday = date_to_day(NaiveDate::from_ymd_opt(1997, 1, 6).unwrap());
        let p = Period::Weekly;
        assert_eq!(p.start_day(p.index(monday)), monday);
        assert_eq!(p.start_day(p.index(monday + 6)), monday);
        assert_eq!(p.index(monday + 7), p.index(monday) + 1);
        assert_eq!(p.label(p.index(monday)), "1997-W02");
        // ISO week-year: the week of Monday 2024-12-30 is 2025-W01.
        assert_eq!(
            p.label(p.index(date_to_day(NaiveDate::from_ymd_opt(2024, 12, 31).unwrap()))),
            "2025-W01"
        );
        assert_eq!(
            Period::Monthly.label(Period::Monthly.index(monday)),
            "1997-01"
        );
        // 1997-01-31 ends January: January is observed as of that day.
        let jan31 = date_to_day(NaiveDate::from_ymd_opt(1997, 1, 31).unwrap());
        assert_eq!(
            Period::Monthly.last_observed(jan31),
            Period::Monthly.index(jan31)
        );
        assert_eq!(
            Period::Monthly.last_observed(jan31 - 1),
            Period::Monthly.index(jan31) - 1
        );
    }
}
