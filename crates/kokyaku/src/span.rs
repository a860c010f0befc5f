//! The longest stretch of time an analysis that builds one row or column per period covers.
//!
//! Cohort tables, period churn and CPM transitions allocate per month (or week) from the first
//! order to as-of. One mistyped date (`9999-12-31` among 2024 orders) would make that tens of
//! thousands of periods squared: gigabytes, and an aborted host process inside Python, Node or
//! a browser. So these analyses cover at most [`MAX_SPAN_DAYS`] (100 years: 1,200 months,
//! 5,218 weeks) and otherwise fail with `invalid_value` naming the order whose date is out of
//! line, before allocating anything. See `docs/cohorts.md` and `docs/cpm.md`.

use crate::model::{Day, OrderLog, day_to_date};
use crate::{Error, Location, Result};

/// 100 years of days (36,524: 100 × 365.2425, rounded down).
pub const MAX_SPAN_DAYS: i64 = 36_524;

/// Checks that `first..=as_of` (days) spans at most [`MAX_SPAN_DAYS`]; `what` names the
/// analysis for the message.
pub(crate) fn check(log: &OrderLog, first: Day, as_of: Day, what: &str) -> Result<()> {
    let span = i64::from(as_of) - i64::from(first);
    if span <= MAX_SPAN_DAYS {
        return Ok(());
    }
    // The order farthest from the median order day is the one out of line (a far-future date
    // when as-of defaults to the day after the last order; a far-past one otherwise).
    let days = log.days();
    let mut sorted = days.to_vec();
    let mid = sorted.len() / 2;
    let median = if sorted.is_empty() {
        first
    } else {
        *sorted.select_nth_unstable(mid).1
    };
    let far = (0..days.len()).max_by_key(|&i| (i64::from(days[i]) - i64::from(median)).abs());
    let (customer, order, day) = match far {
        Some(i) => {
            let c = (0..log.n_customers())
                .find(|&c| log.order_range(c).contains(&i))
                .map(|c| log.customer_id(c).to_owned());
            (c, log.order_id(i).map(str::to_owned), days[i])
        }
        None => (None, None, as_of),
    };
    let order_text = order.map_or_else(String::new, |o| format!(" (order '{o}')"));
    Err(Error::InvalidValue {
        value: day_to_date(day).to_string(),
        location: Location {
            row: None,
            column: Some("order time".into()),
            customer_id: customer,
        },
        reason: format!(
            "{what} would span {span} days from {} to {}, more than the 100 years ({MAX_SPAN_DAYS} days) an analysis covers; this order's date{order_text} is far from the others: correct or drop it, or pass as_of (--as-of) to analyse up to a date",
            day_to_date(first),
            day_to_date(as_of),
        ),
    })
}
