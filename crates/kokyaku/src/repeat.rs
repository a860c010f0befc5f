//! Repeat metrics: repeat rate, F2 / Fn conversion, time between orders, subscription
//! continuation by cycle.
//!
//! Every metric counts **completed** orders placed on or before the analysis day (`as_of`,
//! inclusive; default the day after the last order in the log, never the wall clock). Cancelled
//! orders are ignored; refunds do not undo a purchase (a refunded order still counts as a
//! purchase occasion). Exact definitions, parameters and sources: `docs/repeat.md`.
//!
//! One pass over the log computes everything in [`RepeatReport`]: per customer a tight loop over
//! its order range, with two scratch buffers reused across customers (no per-row allocation).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::{Day, OrderLog, OrderStatus, SubscriptionStatus, day_to_date};
use crate::{Error, Result};

/// Parameters of [`repeat_metrics`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RepeatOptions {
    /// Analysis day, inclusive (orders on or before it count). Default: the day after the last
    /// order in the log.
    pub as_of: Option<NaiveDate>,
    /// The F2 / Fn window in days (default 90): a conversion counts when the next purchase is at
    /// most this many days after the previous one (`gap_days <= f2_window_days`).
    pub f2_window_days: u32,
    /// The largest `n` of the Fn steps (default 5: F2, F3, F4, F5). At least 2.
    pub max_n: u32,
}

impl Default for RepeatOptions {
    fn default() -> Self {
        Self {
            as_of: None,
            f2_window_days: 90,
            max_n: 5,
        }
    }
}

/// A share with its numerator and denominator. `rate` is `None` when the denominator is 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rate {
    /// Customers counted in the numerator.
    pub numerator: u64,
    /// Customers counted in the denominator.
    pub denominator: u64,
    /// `numerator / denominator`.
    pub rate: Option<f64>,
}

impl Rate {
    /// A rate from counts.
    #[must_use]
    pub fn new(numerator: u64, denominator: u64) -> Self {
        Self {
            numerator,
            denominator,
            rate: ratio(numerator, denominator),
        }
    }
}

fn ratio(num: u64, den: u64) -> Option<f64> {
    if den == 0 {
        None
    } else {
        Some(num as f64 / den as f64)
    }
}

/// A conversion step counted two ways: by orders (two orders on one day are two purchases) and
/// by distinct purchase days (they are one).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Conversion {
    /// Purchases are completed orders.
    pub by_orders: Rate,
    /// Purchases are distinct local calendar days with a completed order.
    pub by_days: Rate,
}

/// One Fn step: conversion from the `(n-1)`-th to the `n`-th purchase within the window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FnStep {
    /// The purchase number reached (2 = F2).
    pub n: u32,
    /// Eligible: customers whose `(n-1)`-th purchase is at least `window_days` before as-of.
    /// Converted: those whose `n`-th purchase is at most `window_days` after the `(n-1)`-th.
    #[serde(flatten)]
    pub conversion: Conversion,
}

/// Summary statistics of gaps in whole days. Percentiles interpolate linearly between the
/// closest ranks of the sorted gaps (Hyndman & Fan type 7, the default of R, `NumPy` and Excel
/// `PERCENTILE.INC`): with `n` sorted values `x[0..n]`, `h = (n - 1) p`,
/// `q = x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h])`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GapStats {
    /// Number of gaps.
    pub count: u64,
    /// Mean gap.
    pub mean_days: Option<f64>,
    /// Shortest gap.
    pub min_days: Option<u32>,
    /// 25th percentile.
    pub p25_days: Option<f64>,
    /// Median (50th percentile).
    pub median_days: Option<f64>,
    /// 75th percentile.
    pub p75_days: Option<f64>,
    /// 90th percentile.
    pub p90_days: Option<f64>,
    /// Longest gap.
    pub max_days: Option<u32>,
}

impl GapStats {
    /// Statistics of gaps in days; sorts `gaps` in place.
    #[must_use]
    pub fn from_gaps(gaps: &mut [u32]) -> Self {
        gaps.sort_unstable();
        let n = gaps.len();
        let sum: u64 = gaps.iter().map(|&g| u64::from(g)).sum();
        Self {
            count: n as u64,
            mean_days: ratio(sum, n as u64),
            min_days: gaps.first().copied(),
            p25_days: percentile_sorted(gaps, 0.25),
            median_days: percentile_sorted(gaps, 0.5),
            p75_days: percentile_sorted(gaps, 0.75),
            p90_days: percentile_sorted(gaps, 0.9),
            max_days: gaps.last().copied(),
        }
    }
}

/// The `p`-quantile (0 ≤ p ≤ 1) of sorted values by linear interpolation between closest ranks
/// (Hyndman & Fan type 7). `None` for an empty slice.
#[must_use]
pub fn percentile_sorted(sorted: &[u32], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let a = f64::from(sorted[lo]);
    let b = f64::from(sorted[hi]);
    Some(a + (h - lo as f64) * (b - a))
}

/// Everything [`repeat_metrics`] computes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RepeatReport {
    /// The analysis day used (inclusive).
    pub as_of: NaiveDate,
    /// The F2 / Fn window.
    pub window_days: u32,
    /// Customers with at least one completed order on or before as-of.
    pub customers: u64,
    /// Completed orders on or before as-of.
    pub orders: u64,
    /// Share of `customers` with 2+ completed orders (`by_orders`) or 2+ distinct purchase
    /// days (`by_days`).
    pub repeat_rate: Conversion,
    /// F2 conversion within the window (the `n = 2` step of `fn_steps`).
    pub f2: Conversion,
    /// Fn conversion for `n = 2..=max_n`, by `n`.
    pub fn_steps: Vec<FnStep>,
    /// Gaps between consecutive distinct purchase days of each customer, pooled.
    pub time_between_orders: GapStats,
    /// Gap from the first to the second distinct purchase day, one per repeat customer.
    pub first_to_second: GapStats,
}

/// Computes repeat rate, F2 and Fn conversion and time between orders in one pass.
///
/// # Errors
/// [`Error::InvalidOption`] when `max_n < 2` or `max_n > 1000`.
pub fn repeat_metrics(log: &OrderLog, opts: &RepeatOptions) -> Result<RepeatReport> {
    if opts.max_n < 2 || opts.max_n > 1000 {
        return Err(Error::option(
            "max_n",
            opts.max_n,
            "give the largest n of Fn as an integer from 2 to 1000",
        ));
    }
    let as_of = log.as_of_day(opts.as_of);
    let window = i64::from(opts.f2_window_days);
    let k = opts.max_n as usize;
    let days = log.days();
    let status = log.statuses();

    // Index n - 2 holds step n.
    let mut elig_o = vec![0u64; k - 1];
    let mut conv_o = vec![0u64; k - 1];
    let mut elig_d = vec![0u64; k - 1];
    let mut conv_d = vec![0u64; k - 1];
    let mut first_o: Vec<Day> = Vec::with_capacity(k);
    let mut first_d: Vec<Day> = Vec::with_capacity(k);
    let mut gaps: Vec<u32> = Vec::new();
    let mut first_gaps: Vec<u32> = Vec::new();
    let (mut customers, mut orders, mut repeat_o, mut repeat_d) = (0u64, 0u64, 0u64, 0u64);

    for c in 0..log.n_customers() {
        first_o.clear();
        first_d.clear();
        let mut n_orders = 0u64;
        let mut n_days = 0u64;
        let mut prev: Option<Day> = None;
        for i in log.order_range(c) {
            let d = days[i];
            if d > as_of {
                break; // orders are sorted by time, so local days never decrease
            }
            if status[i] != OrderStatus::Completed {
                continue;
            }
            n_orders += 1;
            if first_o.len() < k {
                first_o.push(d);
            }
            if prev != Some(d) {
                n_days += 1;
                if first_d.len() < k {
                    first_d.push(d);
                }
                if let Some(p) = prev {
                    let g = (d - p) as u32;
                    gaps.push(g);
                    if n_days == 2 {
                        first_gaps.push(g);
                    }
                }
                prev = Some(d);
            }
        }
        if n_orders == 0 {
            continue;
        }
        customers += 1;
        orders += n_orders;
        repeat_o += u64::from(n_orders >= 2);
        repeat_d += u64::from(n_days >= 2);
        fn_steps(&first_o, as_of, window, &mut elig_o, &mut conv_o);
        fn_steps(&first_d, as_of, window, &mut elig_d, &mut conv_d);
    }

    let fn_steps: Vec<FnStep> = (0..k - 1)
        .map(|j| FnStep {
            n: j as u32 + 2,
            conversion: Conversion {
                by_orders: Rate::new(conv_o[j], elig_o[j]),
                by_days: Rate::new(conv_d[j], elig_d[j]),
            },
        })
        .collect();
    Ok(RepeatReport {
        as_of: day_to_date(as_of),
        window_days: opts.f2_window_days,
        customers,
        orders,
        repeat_rate: Conversion {
            by_orders: Rate::new(repeat_o, customers),
            by_days: Rate::new(repeat_d, customers),
        },
        f2: fn_steps[0].conversion,
        fn_steps,
        time_between_orders: GapStats::from_gaps(&mut gaps),
        first_to_second: GapStats::from_gaps(&mut first_gaps),
    })
}

/// Counts the Fn steps of one customer from its first purchase days (`firsts[m]` = day of
/// purchase `m + 1`). Step `n` (index `n - 2`): eligible when purchase `n - 1` exists and
/// `as_of - day(n - 1) >= window`; converted when also purchase `n` exists and
/// `day(n) - day(n - 1) <= window` (both ends inclusive, so the whole window is observed).
#[inline]
fn fn_steps(firsts: &[Day], as_of: Day, window: i64, elig: &mut [u64], conv: &mut [u64]) {
    for (j, (e, cv)) in elig.iter_mut().zip(conv.iter_mut()).enumerate() {
        let Some(&prev) = firsts.get(j) else { break };
        if i64::from(as_of) - i64::from(prev) < window {
            // Later purchases are later still: none of them is eligible either.
            break;
        }
        *e += 1;
        if let Some(&next) = firsts.get(j + 1) {
            if i64::from(next) - i64::from(prev) <= window {
                *cv += 1;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Subscription continuation by cycle
// ---------------------------------------------------------------------------------------------

/// Parameters of [`subscription_continuation`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SubscriptionOptions {
    /// Analysis day, inclusive. Default: the day after the last order in the log.
    pub as_of: Option<NaiveDate>,
    /// For subscriptions known only from orders: one whose last completed delivery is `lapse_days`
    /// or more days before as-of has lapsed (ended); a more recent one is still running
    /// (censored). Default 60, about twice a monthly delivery interval; the same rule and default
    /// as `SummaryOptions::subscription_lapse_days`.
    pub lapse_days: u32,
    /// Cycles reported: `1..=max_cycles` (default 12). At least 1.
    pub max_cycles: u32,
}

impl Default for SubscriptionOptions {
    fn default() -> Self {
        Self {
            as_of: None,
            lapse_days: 60,
            max_cycles: 12,
        }
    }
}

/// One cycle of [`SubscriptionContinuation`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CycleRow {
    /// Cycle number `k` (1 = first delivery).
    pub cycle: u32,
    /// Subscriptions with at least `k` deliveries.
    pub reached: u64,
    /// Subscriptions with exactly `k` deliveries that have ended.
    pub ended_after: u64,
    /// Subscriptions with exactly `k` deliveries still running at as-of (censored: they may
    /// still reach `k + 1`).
    pub censored_after: u64,
    /// `reached[k] / reached[1]`: the naive share reaching cycle `k` (biased low by censoring).
    pub share_reaching: Option<f64>,
    /// Cycle-over-cycle continuation for `k >= 2`:
    /// `reached[k] / (reached[k-1] - censored_after[k-1])`.
    pub continuation: Option<f64>,
    /// Kaplan-Meier estimate of the share reaching cycle `k`: the product of `continuation`
    /// over `2..=k` (1 at `k = 1`).
    pub survival: Option<f64>,
}

/// Subscription continuation by delivery cycle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubscriptionContinuation {
    /// The analysis day used (inclusive).
    pub as_of: NaiveDate,
    /// The lapse rule used for subscriptions known only from orders.
    pub lapse_days: u32,
    /// Subscriptions counted (started on or before as-of).
    pub subscriptions: u64,
    /// Of which taken from the attached subscription table.
    pub from_table: u64,
    /// Of which known only from subscription ids on orders.
    pub from_orders: u64,
    /// Still running at as-of (censored).
    pub ongoing: u64,
    /// Ended by as-of.
    pub ended: u64,
    /// Cycles `1..=max_cycles`.
    pub cycles: Vec<CycleRow>,
}

/// Continuation of subscriptions by cycle.
///
/// Cycle `k` of a subscription is its `k`-th completed order carrying that subscription id on or
/// before as-of. When a subscription table is attached to the log, its rows take precedence:
/// cycles are the table's `cycles`, a subscription has ended when its status is `cancelled`
/// and its cancellation day (if given) is on or before as-of, and rows started after as-of are
/// left out. Subscription ids seen on orders but absent from the table (or every id, without a
/// table) have ended when their last delivery is `lapse_days` or more days before as-of.
///
/// # Errors
/// [`Error::InvalidOption`] when `max_cycles` is 0 or above 10,000.
pub fn subscription_continuation(
    log: &OrderLog,
    opts: &SubscriptionOptions,
) -> Result<SubscriptionContinuation> {
    if opts.max_cycles == 0 || opts.max_cycles > 10_000 {
        return Err(Error::option(
            "max_cycles",
            opts.max_cycles,
            "give the number of cycles to report as an integer from 1 to 10000",
        ));
    }
    let as_of = log.as_of_day(opts.as_of);
    let m = opts.max_cycles as usize;
    // Per cycle k (index k, 0 unused beyond bookkeeping): counts with exactly k cycles.
    let mut ended_exact = vec![0u64; m + 1];
    let mut censored_exact = vec![0u64; m + 1];
    let mut reached = vec![0u64; m + 2];
    let (mut from_table, mut from_orders, mut ongoing, mut ended) = (0u64, 0u64, 0u64, 0u64);
    let mut record = |cycles: u32, is_ended: bool| {
        let c = (cycles as usize).min(m + 1);
        reached[c] += 1; // turned into "at least" by a suffix sum below
        if is_ended {
            ended += 1;
        } else {
            ongoing += 1;
        }
        if (1..=m).contains(&c) {
            if is_ended {
                ended_exact[c] += 1;
            } else {
                censored_exact[c] += 1;
            }
        }
    };

    let table = log.subscriptions();
    let mut in_table = vec![false; log.n_subscription_ids()];
    if !table.id.is_empty() {
        // Ids on orders that the table covers (sorted lookup, no hashing into output).
        let mut ids: Vec<(&str, u32)> = (0..log.n_subscription_ids() as u32)
            .map(|s| (log.subscription_id(s), s))
            .collect();
        ids.sort_unstable();
        for j in 0..table.id.len() {
            if let Ok(p) = ids.binary_search_by(|(id, _)| (*id).cmp(table.id[j].as_str())) {
                in_table[ids[p].1 as usize] = true;
            }
            if table.started[j] > as_of {
                continue;
            }
            from_table += 1;
            let is_ended = table.status[j] == SubscriptionStatus::Cancelled
                && table.cancelled[j].is_none_or(|d| d <= as_of);
            record(table.cycles[j], is_ended);
        }
    }

    let n_sub = log.n_subscription_ids();
    if n_sub > 0 {
        let mut cycles = vec![0u32; n_sub];
        let mut last = vec![Day::MIN; n_sub];
        let (days, status, sub) = (log.days(), log.statuses(), log.subscription_index());
        for i in 0..log.n_orders() {
            let s = sub[i];
            if s == u32::MAX || status[i] != OrderStatus::Completed || days[i] > as_of {
                continue;
            }
            cycles[s as usize] += 1;
            last[s as usize] = last[s as usize].max(days[i]);
        }
        let lapse = i64::from(opts.lapse_days);
        for s in 0..n_sub {
            if in_table[s] || cycles[s] == 0 {
                continue;
            }
            from_orders += 1;
            let is_ended = i64::from(as_of) - i64::from(last[s]) >= lapse;
            record(cycles[s], is_ended);
        }
    }

    // Suffix sums: reached[k] = subscriptions with at least k cycles.
    for k in (0..=m).rev() {
        reached[k] += reached[k + 1];
    }
    let base = reached[1];
    let mut rows = Vec::with_capacity(m);
    let mut survival = if base > 0 { Some(1.0) } else { None };
    for k in 1..=m {
        let continuation = if k == 1 {
            None
        } else {
            let at_risk = reached[k - 1] - censored_exact[k - 1];
            ratio(reached[k], at_risk)
        };
        if k > 1 {
            survival = match (survival, continuation) {
                (Some(s), Some(c)) => Some(s * c),
                _ => None,
            };
        }
        rows.push(CycleRow {
            cycle: k as u32,
            reached: reached[k],
            ended_after: ended_exact[k],
            censored_after: censored_exact[k],
            share_reaching: ratio(reached[k], base),
            continuation,
            survival,
        });
    }
    Ok(SubscriptionContinuation {
        as_of: day_to_date(as_of),
        lapse_days: opts.lapse_days,
        subscriptions: from_table + from_orders,
        from_table,
        from_orders,
        ongoing,
        ended,
        cycles: rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_type_7() {
        let v = [1, 2, 3, 4];
        assert_eq!(percentile_sorted(&v, 0.5), Some(2.5));
        assert_eq!(percentile_sorted(&v, 0.25), Some(1.75));
        assert!((percentile_sorted(&v, 0.9).unwrap() - 3.7).abs() < 1e-12);
        assert_eq!(percentile_sorted(&[7], 0.9), Some(7.0));
        assert_eq!(percentile_sorted(&[], 0.5), None);
    }

    #[test]
    fn rejects_bad_max_n() {
        let log = crate::model::OrderLogBuilder::new(chrono_tz::Tz::UTC).finish();
        let e = repeat_metrics(
            &log,
            &RepeatOptions {
                max_n: 1,
                ..RepeatOptions::default()
            },
        )
        .unwrap_err();
        assert_eq!(e.code(), "invalid_option");
        let r = repeat_metrics(&log, &RepeatOptions::default()).unwrap();
        assert_eq!(r.customers, 0);
        assert_eq!(r.repeat_rate.by_orders.rate, None);
    }
}
