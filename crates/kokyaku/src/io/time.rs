//! Parsing order times: ISO 8601 (with or without zone), `YYYYMMDD`, epochs, strftime.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use crate::model::{Day, date_to_day, day_in_tz, local_midnight};

/// A parsed instant: Unix seconds and the local calendar day.
pub type Instant = (i64, Day);

#[derive(Debug, Clone)]
enum Format {
    Auto,
    Epoch,
    EpochMs,
    Pattern {
        pattern: String,
        has_time: bool,
        has_zone: bool,
    },
}

/// Parses time values with a configured format and time zone.
#[derive(Debug, Clone)]
pub struct TimeParser {
    tz: Tz,
    format: Format,
}

/// Fallback patterns tried by the detector after the fast paths, in order.
const AUTO_PATTERNS: &[(&str, bool)] = &[
    ("%Y/%m/%d %H:%M:%S", true),
    ("%Y/%m/%d %H:%M", true),
    ("%Y/%m/%d", false),
    ("%m/%d/%Y %H:%M:%S", true),
    ("%m/%d/%Y %H:%M", true),
    ("%m/%d/%Y", false),
    ("%Y.%m.%d", false),
];

impl TimeParser {
    /// A parser for `format` (see [`super::ReadOptions::time_format`]) in `tz`.
    #[must_use]
    pub fn new(format: Option<&str>, tz: Tz) -> Self {
        let format = match format.map(str::trim) {
            None | Some("" | "auto") => Format::Auto,
            Some("epoch" | "epoch_s" | "unix") => Format::Epoch,
            Some("epoch_ms" | "unix_ms") => Format::EpochMs,
            Some(p) => Format::Pattern {
                pattern: p.to_owned(),
                has_time: ["%H", "%I", "%M", "%S", "%T", "%R", "%s", "%+", "%c"]
                    .iter()
                    .any(|t| p.contains(t)),
                has_zone: ["%z", "%:z", "%Z", "%#z", "%+", "%s"]
                    .iter()
                    .any(|t| p.contains(t)),
            },
        };
        Self { tz, format }
    }

    fn naive(&self, t: NaiveDateTime) -> Option<Instant> {
        // UTC (the default for files): the local time is the instant, without the zone's
        // transition search.
        if self.tz == Tz::UTC {
            return Some((t.and_utc().timestamp(), date_to_day(t.date())));
        }
        let secs = match self.tz.from_local_datetime(&t) {
            chrono::LocalResult::Single(x) | chrono::LocalResult::Ambiguous(x, _) => x.timestamp(),
            chrono::LocalResult::None => return None, // a local time skipped by a DST change
        };
        Some((secs, date_to_day(t.date())))
    }

    fn date(&self, d: NaiveDate) -> Instant {
        if self.tz == Tz::UTC {
            let midnight = d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp();
            return (midnight, date_to_day(d));
        }
        (local_midnight(self.tz, d), date_to_day(d))
    }

    fn epoch(&self, secs: i64) -> Option<Instant> {
        // The instants chrono can represent (checked without building a date per row).
        let range = DateTime::<chrono::Utc>::MIN_UTC.timestamp()
            ..=DateTime::<chrono::Utc>::MAX_UTC.timestamp();
        if !range.contains(&secs) {
            return None;
        }
        let day = day_in_tz(self.tz, secs);
        // The local date must exist too (an instant at the edge, in a zone east of UTC).
        let days = date_to_day(NaiveDate::MIN)..=date_to_day(NaiveDate::MAX);
        days.contains(&day).then_some((secs, day))
    }

    /// Parses an integer time: `YYYYMMDD` when it looks like one, else epoch seconds
    /// (milliseconds when beyond year 5138 as seconds).
    #[must_use]
    pub fn parse_int(&self, v: i64) -> Option<Instant> {
        match &self.format {
            Format::Epoch => self.epoch(v),
            Format::EpochMs => self.epoch(v.div_euclid(1000)),
            Format::Pattern { .. } => self.parse_str(&v.to_string()),
            Format::Auto => {
                if (10_000_101..=29_991_231).contains(&v) {
                    let d = NaiveDate::from_ymd_opt(
                        (v / 10_000) as i32,
                        (v / 100 % 100) as u32,
                        (v % 100) as u32,
                    )?;
                    Some(self.date(d))
                } else if v.unsigned_abs() >= 100_000_000_000 {
                    self.epoch(v.div_euclid(1000))
                } else {
                    self.epoch(v)
                }
            }
        }
    }

    /// Parses a UTC timestamp in seconds.
    #[must_use]
    pub fn from_unix(&self, secs: i64) -> Option<Instant> {
        self.epoch(secs)
    }

    /// Parses a calendar date.
    #[must_use]
    pub fn from_date(&self, d: NaiveDate) -> Instant {
        self.date(d)
    }

    /// Parses a text time.
    #[must_use]
    pub fn parse_str(&self, s: &str) -> Option<Instant> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        match &self.format {
            Format::Epoch | Format::EpochMs => {
                s.parse::<i64>().ok().and_then(|v| self.parse_int(v))
            }
            Format::Pattern {
                pattern,
                has_time,
                has_zone,
            } => {
                if *has_zone {
                    DateTime::parse_from_str(s, pattern)
                        .ok()
                        .and_then(|t| self.epoch(t.timestamp()))
                } else if *has_time {
                    NaiveDateTime::parse_from_str(s, pattern)
                        .ok()
                        .and_then(|t| self.naive(t))
                } else {
                    NaiveDate::parse_from_str(s, pattern)
                        .ok()
                        .map(|d| self.date(d))
                }
            }
            Format::Auto => self.auto(s),
        }
    }

    fn auto(&self, s: &str) -> Option<Instant> {
        let b = s.as_bytes();
        if b.iter().all(u8::is_ascii_digit) {
            return s.parse::<i64>().ok().and_then(|v| self.parse_int(v));
        }
        // ISO 8601: YYYY-MM-DD, optionally [T ]HH:MM[:SS[.frac]] and Z / ±HH[:MM].
        if b.len() >= 10 && b[4] == b'-' && b[7] == b'-' {
            let d =
                NaiveDate::from_ymd_opt(num(&b[0..4])? as i32, num(&b[5..7])?, num(&b[8..10])?)?;
            if b.len() == 10 {
                return Some(self.date(d));
            }
            // The two layouts of most exports, read without chrono's format machinery (the
            // same instants as the general path below; leap seconds take that path).
            if let Some(t) = hms(b) {
                match (b.len(), b[10]) {
                    (19, b' ' | b'T') => return self.naive(d.and_time(t)),
                    (20, b'T') if b[19] == b'Z' => {
                        return self.epoch(d.and_time(t).and_utc().timestamp());
                    }
                    _ => {}
                }
            }
            if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                return self.epoch(t.timestamp());
            }
            if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%:z") {
                return self.epoch(t.timestamp());
            }
            if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z") {
                return self.epoch(t.timestamp());
            }
            // Minutes only, with a zone (`2024-03-15T23:30Z`, `…T23:30+09:00`).
            if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M%#z") {
                return self.epoch(t.timestamp());
            }
            // Byte 10 is an ASCII separator, so byte 11 starts a character (a multi-byte
            // character there, as in `2024-09-01Þ`, is no time: fuzzing found the slice panic).
            if !matches!(b.get(10), Some(b'T' | b' ')) {
                return None;
            }
            let rest = s.get(11..).unwrap_or("");
            for pat in ["%H:%M:%S%.f", "%H:%M"] {
                if let Ok(t) = chrono::NaiveTime::parse_from_str(rest, pat) {
                    return self.naive(d.and_time(t));
                }
            }
            return None;
        }
        for (pat, has_time) in AUTO_PATTERNS {
            if *has_time {
                if let Ok(t) = NaiveDateTime::parse_from_str(s, pat) {
                    return self.naive(t);
                }
            } else if let Ok(d) = NaiveDate::parse_from_str(s, pat) {
                return Some(self.date(d));
            }
        }
        None
    }
}

/// `HH:MM:SS` at bytes 11..19 of an ISO time (seconds below 60).
fn hms(b: &[u8]) -> Option<chrono::NaiveTime> {
    let t = b.get(11..19)?;
    if t[2] != b':' || t[5] != b':' {
        return None;
    }
    chrono::NaiveTime::from_hms_opt(num(&t[0..2])?, num(&t[3..5])?, num(&t[6..8])?)
        .filter(|_| num(&t[6..8]).is_some_and(|s| s < 60))
}

fn num(b: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Offset;

    fn day(y: i32, m: u32, d: u32) -> Day {
        date_to_day(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    /// A multi-byte character right after the date is no time, and no panic (fuzz find of
    /// 2026-12-04: the time was sliced from byte 11, inside `Þ`).
    #[test]
    fn a_multibyte_character_after_the_date_is_no_time() {
        let utc = TimeParser::new(None, Tz::UTC);
        assert!(utc.parse_str("2024-09-01Þ").is_none());
        assert!(utc.parse_str("2024-05-01T\u{e9}").is_none());
    }

    /// The smallest integer time is no time, and no overflow (jsonl fuzz find of 2026-12-04:
    /// `i64::MIN.abs()` overflowed while telling epoch seconds from milliseconds).
    #[test]
    fn the_smallest_integer_time_is_no_time() {
        let utc = TimeParser::new(None, Tz::UTC);
        assert!(utc.parse_int(i64::MIN).is_none());
        assert!(utc.parse_int(i64::MAX).is_none());
        assert!(utc.parse_int(i64::MIN + 1).is_none());
        // Milliseconds still read as such on both sides of the epoch.
        assert_eq!(utc.parse_int(-864_000_000_000).map(|t| t.1), Some(-10_000));
    }

    proptest::proptest! {
        /// UTC's shortcut gives what the zone's own conversion gives, over chrono's whole
        /// range of local times and dates.
        #[test]
        fn utc_shortcut_equals_the_zone_conversion(
            secs in DateTime::<chrono::Utc>::MIN_UTC.timestamp()
                ..=DateTime::<chrono::Utc>::MAX_UTC.timestamp(),
        ) {
            let utc = TimeParser::new(None, Tz::UTC);
            let t = DateTime::from_timestamp(secs, 0).unwrap().naive_utc();
            let general = match Tz::UTC.from_local_datetime(&t) {
                chrono::LocalResult::Single(x) => Some((x.timestamp(), date_to_day(t.date()))),
                _ => None,
            };
            proptest::prop_assert_eq!(utc.naive(t), general);
            let d = t.date();
            proptest::prop_assert_eq!(utc.date(d), (local_midnight(Tz::UTC, d), date_to_day(d)));
        }
    }

    #[test]
    fn formats() {
        let utc = TimeParser::new(None, Tz::UTC);
        assert_eq!(utc.parse_str("19970101").unwrap().1, day(1997, 1, 1));
        assert_eq!(utc.parse_str("1997-01-01").unwrap().1, day(1997, 1, 1));
        assert_eq!(
            utc.parse_str("1997-01-01T23:30:00Z").unwrap().1,
            day(1997, 1, 1)
        );
        assert_eq!(utc.parse_str("12/1/2010 8:26").unwrap().1, day(2010, 12, 1));
        assert_eq!(utc.parse_str("0").unwrap().0, 0);
        assert!(utc.parse_str("yesterday").is_none());
        assert!(utc.parse_str("1997-02-30").is_none());
    }

    #[test]
    fn epoch_range_is_chronos() {
        let utc = TimeParser::new(None, Tz::UTC);
        let tokyo = TimeParser::new(None, Tz::Asia__Tokyo);
        let (lo, hi) = (
            DateTime::<chrono::Utc>::MIN_UTC.timestamp(),
            DateTime::<chrono::Utc>::MAX_UTC.timestamp(),
        );
        for secs in [
            lo - 1,
            lo,
            lo + 1,
            -1,
            0,
            1,
            hi - 1,
            hi,
            hi + 1,
            i64::MIN,
            i64::MAX,
        ] {
            // Valid when chrono has the instant and its local date-time in the zone.
            let local = |tz: Tz| {
                DateTime::from_timestamp(secs, 0)
                    .and_then(|t| {
                        t.naive_utc()
                            .checked_add_offset(tz.offset_from_utc_datetime(&t.naive_utc()).fix())
                    })
                    .map(|t| date_to_day(t.date()))
            };
            assert_eq!(utc.from_unix(secs).map(|x| x.1), local(Tz::UTC), "{secs}");
            assert_eq!(
                tokyo.from_unix(secs).map(|x| x.1),
                local(Tz::Asia__Tokyo),
                "{secs}"
            );
        }
    }

    #[test]
    fn tokyo_day_boundary() {
        let tokyo = TimeParser::new(None, Tz::Asia__Tokyo);
        // 2024-01-01T16:00Z is 2024-01-02 01:00 in Tokyo.
        assert_eq!(
            tokyo.parse_str("2024-01-01T16:00:00Z").unwrap().1,
            day(2024, 1, 2)
        );
        // A naive time is read as Tokyo local time.
        let (secs, d) = tokyo.parse_str("2024-01-02 01:00:00").unwrap();
        assert_eq!(d, day(2024, 1, 2));
        assert_eq!(secs, 1_704_124_800);
        let p = TimeParser::new(Some("%Y%m%d"), Tz::Asia__Tokyo);
        assert_eq!(p.parse_str("20240102").unwrap().1, day(2024, 1, 2));
    }

    #[test]
    fn the_fast_iso_layouts_read_as_the_general_path() {
        // The general path: the text with a suffix the fast path does not take, where that
        // keeps the instant (a zero offset, or a fraction of zero).
        for tz in [Tz::UTC, Tz::Asia__Tokyo, Tz::America__New_York] {
            let p = TimeParser::new(None, tz);
            for t in [
                "2024-03-10 02:30:00",
                "2024-03-10T02:30:00",
                "2024-11-03 01:30:00",
                "2024-01-01 00:00:00",
                "2024-02-29 23:59:59",
                "2023-02-29 10:00:00",
                "2024-01-01 24:00:00",
                "2024-01-01 12:60:00",
                "2024-01-01 12:00:60",
                "2024-01-01 1a:00:00",
            ] {
                assert_eq!(p.auto(t), p.auto(&format!("{t}.0")), "{t} {tz}");
            }
            for t in [
                "2024-03-10T02:30:00Z",
                "1999-12-31T23:59:59Z",
                "2024-02-30T10:00:00Z",
                "2016-12-31T23:59:60Z",
            ] {
                let general = t.replace('Z', "+00:00");
                assert_eq!(p.auto(t), p.auto(&general), "{t} {tz}");
            }
        }
    }
}
