//! Calendar days as compact integers (days since 1970-01-01 in the log's time zone).

use chrono::{Datelike, NaiveDate};

use crate::{Error, Result};

/// A calendar day: days since 1970-01-01, counted in the log's time zone.
pub type Day = i32;

const UNIX_EPOCH_CE_DAYS: i32 = 719_163;

/// Converts a date to its day number.
#[must_use]
pub fn date_to_day(d: NaiveDate) -> Day {
    d.num_days_from_ce() - UNIX_EPOCH_CE_DAYS
}

/// Converts a day number back to a date (saturating at chrono's range).
#[must_use]
pub fn day_to_date(day: Day) -> NaiveDate {
    checked_day_to_date(day).unwrap_or(if day < 0 {
        NaiveDate::MIN
    } else {
        NaiveDate::MAX
    })
}

/// The date of a day number, `None` beyond chrono's range (for days read from input, where
/// saturating would change the data).
#[must_use]
pub fn checked_day_to_date(day: Day) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(day.checked_add(UNIX_EPOCH_CE_DAYS)?)
}

/// Parses `YYYY-MM-DD` or `YYYYMMDD` as given in options such as `--as-of`.
pub fn parse_date(name: &str, s: &str) -> Result<NaiveDate> {
    let t = s.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%Y%m%d"))
        .map_err(|_| Error::option(name, s, "expected a date as YYYY-MM-DD or YYYYMMDD"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let d = NaiveDate::from_ymd_opt(1998, 7, 1).unwrap();
        assert_eq!(day_to_date(date_to_day(d)), d);
        assert_eq!(date_to_day(NaiveDate::from_ymd_opt(1970, 1, 2).unwrap()), 1);
    }
}
