//! Day arithmetic for windows and reviews (days are local days, see [`crate::model::Day`]).

use chrono::{Datelike, Months, NaiveDate};

use crate::model::{Day, date_to_day, day_to_date};

/// The last day of `d`'s month.
pub(crate) fn month_end(d: Day) -> Day {
    let x = day_to_date(d);
    let first = NaiveDate::from_ymd_opt(x.year(), x.month(), 1).unwrap_or(x);
    first
        .checked_add_months(Months::new(1))
        .map_or(Day::MAX, |n| date_to_day(n) - 1)
}

/// The first day of the year (starting in `start_month`) that contains `d`.
pub(crate) fn year_start(d: Day, start_month: u32) -> Day {
    let x = day_to_date(d);
    let y = if x.month() >= start_month {
        x.year()
    } else {
        x.year() - 1
    };
    NaiveDate::from_ymd_opt(y, start_month, 1).map_or(Day::MIN, date_to_day)
}

/// The last day of the year (starting in `start_month`) that contains `d`.
pub(crate) fn year_end(d: Day, start_month: u32) -> Day {
    day_to_date(year_start(d, start_month))
        .checked_add_months(Months::new(12))
        .map_or(Day::MAX, |n| date_to_day(n) - 1)
}

/// `anchor` plus `k` years (29 February becomes 28 February in other years).
pub(crate) fn add_years(anchor: Day, k: i32) -> Day {
    let a = day_to_date(anchor);
    let r = if k >= 0 {
        a.checked_add_months(Months::new(12 * k as u32))
    } else {
        a.checked_sub_months(Months::new(12 * k.unsigned_abs()))
    };
    r.map_or(Day::MAX, date_to_day)
}

/// The first day of the anniversary year (from `anchor`) that contains `d >= anchor`.
pub(crate) fn anniversary_start(anchor: Day, d: Day) -> Day {
    let (a, x) = (day_to_date(anchor), day_to_date(d));
    let mut k = (x.year() - a.year()).max(0);
    while k > 0 && add_years(anchor, k) > d {
        k -= 1;
    }
    add_years(anchor, k)
}

/// The last day of the anniversary year (from `anchor`) that contains `d >= anchor`.
pub(crate) fn anniversary_end(anchor: Day, d: Day) -> Day {
    let (a, x) = (day_to_date(anchor), day_to_date(d));
    let mut k = (x.year() - a.year()).max(0) + 1;
    while add_years(anchor, k - 1) > d {
        k -= 1;
    }
    while add_years(anchor, k) <= d {
        k += 1;
    }
    add_years(anchor, k) - 1
}

/// `d` plus `months` months (clamped to the month's last day).
pub(crate) fn add_months(d: Day, months: u32) -> Day {
    day_to_date(d)
        .checked_add_months(Months::new(months))
        .map_or(Day::MAX, date_to_day)
}

/// The month (1–12) of `d`.
pub(crate) fn month_of(d: Day) -> u32 {
    day_to_date(d).month()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        date_to_day(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
    }

    #[test]
    fn ends_and_anniversaries() {
        assert_eq!(month_end(day("2024-02-10")), day("2024-02-29"));
        assert_eq!(month_end(day("2023-12-31")), day("2023-12-31"));
        assert_eq!(year_end(day("2024-03-31"), 4), day("2024-03-31"));
        assert_eq!(year_end(day("2024-04-01"), 4), day("2025-03-31"));
        assert_eq!(year_start(day("2024-03-31"), 4), day("2023-04-01"));
        let a = day("2024-02-29");
        assert_eq!(add_years(a, 1), day("2025-02-28"));
        assert_eq!(anniversary_end(a, a), day("2025-02-27"));
        assert_eq!(anniversary_end(a, day("2025-02-28")), day("2026-02-27"));
        assert_eq!(anniversary_start(a, day("2025-02-28")), day("2025-02-28"));
        assert_eq!(anniversary_start(a, day("2028-03-01")), day("2028-02-29"));
        assert_eq!(add_months(day("2024-01-31"), 1), day("2024-02-29"));
    }
}
