//! Events from files: delimited text or JSON Lines with an event-type column (what
//! `kokyaku book` reads), and from JSON objects of the same shape (what the bindings take).
//!
//! Columns (any order; unknown columns are an error, so typos do not pass silently):
//!
//! | column | used by |
//! |---|---|
//! | `type` | every row: `order`, `refund`, `cancellation`, `subscription`, `customer`, `redemption`, `invitation` |
//! | `customer_id` | order, refund (or `order_id`), subscription, customer (or `id`), redemption, invitation |
//! | `order_id` | order, refund (optional), cancellation |
//! | `placed_at` / `refunded_at` / `cancelled_at` / `started_at` / `updated_at` / `redeemed_at` / `invited_at` / `at` | the event's time; `at` stands for the type's own |
//! | `amount`, `currency`, `kind`, `status` | order (`status`: order status; for a subscription: its status) |
//! | `refund_id` | refund |
//! | `subscription_id` (or `id`) , `cycles` | order, subscription |
//! | `birth_date`, `signed_up_at`, `attributes.<name>` (or an `attributes` object in JSON) | customer |
//! | `redemption_id`, `points` | redemption |
//! | `invitation_id`, `stage` | invitation |
//!
//! Times are parsed as by the order-log readers (ISO 8601 with or without a zone, dates, Unix
//! seconds); a time without a zone is read in the book's zone.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde_json::Value;

use super::{
    CancellationEvent, Event, InvitationEvent, RedemptionEvent, RefundEvent, SubscriptionEvent,
};
use crate::io::TimeParser;
use crate::model::{Customer, Order, OrderKind, OrderStatus, SubscriptionStatus, parse_date};
use crate::{Error, Location, Result};

/// The file formats of event files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventFormat {
    /// Delimited text with a header (comma; tab for `.tsv` with [`EventFormat::Tsv`]).
    Csv,
    /// Tab-separated text with a header.
    Tsv,
    /// One JSON object per line.
    Jsonl,
}

const KNOWN: &[&str] = &[
    "type",
    "customer_id",
    "order_id",
    "refund_id",
    "subscription_id",
    "id",
    "placed_at",
    "refunded_at",
    "cancelled_at",
    "started_at",
    "updated_at",
    "at",
    "amount",
    "currency",
    "kind",
    "status",
    "cycles",
    "birth_date",
    "signed_up_at",
    "attributes",
    "redemption_id",
    "redeemed_at",
    "points",
    "invitation_id",
    "invited_at",
    "stage",
];

/// One row's fields by name (blank values are absent).
struct Fields<'a> {
    row: u64,
    values: BTreeMap<&'a str, String>,
    attributes: BTreeMap<String, String>,
    times: &'a TimeParser,
}

impl Fields<'_> {
    fn get(&self, k: &str) -> Option<&str> {
        self.values
            .get(k)
            .map(String::as_str)
            .filter(|s| !s.trim().is_empty())
    }
    fn bad(&self, col: &str, value: &str, reason: impl Into<String>) -> Error {
        Error::InvalidValue {
            value: value.to_owned(),
            location: Location::cell(self.row, col),
            reason: reason.into(),
        }
    }
    fn need(&self, k: &str, what: &str) -> Result<&str> {
        self.get(k).ok_or_else(|| Error::InvalidValue {
            value: String::new(),
            location: Location::cell(self.row, k),
            reason: format!("{what} needs a '{k}'"),
        })
    }
    fn time_of(&self, k: &str) -> Result<Option<DateTime<Utc>>> {
        let Some(s) = self.get(k) else {
            return Ok(None);
        };
        let (secs, _) = self
            .times
            .parse_str(s.trim())
            .ok_or_else(|| self.bad(k, s, "expected a time (ISO 8601, a date, or Unix seconds)"))?;
        DateTime::from_timestamp(secs, 0)
            .map(Some)
            .ok_or_else(|| self.bad(k, s, "time out of range"))
    }
    /// The event's own time column, or `at`.
    fn time(&self, own: &str, what: &str) -> Result<DateTime<Utc>> {
        if let Some(t) = self.time_of(own)? {
            return Ok(t);
        }
        self.time_of("at")?.ok_or_else(|| Error::InvalidValue {
            value: String::new(),
            location: Location::cell(self.row, own),
            reason: format!("{what} needs a time in '{own}' or 'at'"),
        })
    }
    fn amount(&self, what: &str) -> Result<Decimal> {
        let s = self.need("amount", what)?;
        let t = s.trim().replace(',', "");
        Decimal::from_str(&t)
            .or_else(|_| Decimal::from_scientific(&t))
            .map_err(|_| {
                self.bad(
                    "amount",
                    s,
                    "expected a decimal amount such as 1980 or 12.50",
                )
            })
    }
}

fn event_of(f: &Fields<'_>) -> Result<Event> {
    let ty = f.need("type", "every row")?;
    let opt = |k: &str| f.get(k).map(|s| s.trim().to_owned());
    Ok(match ty.trim().to_ascii_lowercase().as_str() {
        "order" => {
            let kind = match f.get("kind") {
                Some(k) => OrderKind::parse(k)
                    .ok_or_else(|| f.bad("kind", k, "expected one_off or subscription"))?,
                None => OrderKind::OneOff,
            };
            let status = match f.get("status") {
                Some(s) => OrderStatus::parse(s)
                    .ok_or_else(|| f.bad("status", s, "expected completed or cancelled"))?,
                None => OrderStatus::Completed,
            };
            Event::Order(Order {
                order_id: f.need("order_id", "an order")?.trim().to_owned(),
                customer_id: f.need("customer_id", "an order")?.trim().to_owned(),
                placed_at: f.time("placed_at", "an order")?,
                amount: f.amount("an order")?,
                currency: opt("currency").unwrap_or_default(),
                kind,
                subscription_id: opt("subscription_id"),
                status,
                lines: Vec::new(),
            })
        }
        "refund" => Event::Refund(RefundEvent {
            refund_id: opt("refund_id"),
            customer_id: opt("customer_id"),
            order_id: opt("order_id"),
            refunded_at: f.time("refunded_at", "a refund")?,
            amount: f.amount("a refund")?,
        }),
        "cancellation" | "cancel" | "cancelled" => Event::Cancellation(CancellationEvent {
            order_id: f.need("order_id", "a cancellation")?.trim().to_owned(),
            cancelled_at: match f.time_of("cancelled_at")? {
                Some(t) => Some(t),
                None => f.time_of("at")?,
            },
        }),
        "subscription" => {
            let id = opt("subscription_id")
                .or_else(|| opt("id"))
                .ok_or_else(|| f.bad("subscription_id", "", "a subscription needs its id"))?;
            let st = f.need("status", "a subscription")?;
            let cycles = match f.get("cycles") {
                Some(c) => c
                    .trim()
                    .parse()
                    .map_err(|_| f.bad("cycles", c, "expected a whole number"))?,
                None => 0,
            };
            Event::Subscription(SubscriptionEvent {
                id,
                customer_id: f.need("customer_id", "a subscription")?.trim().to_owned(),
                started_at: f.time("started_at", "a subscription")?,
                cycles,
                status: SubscriptionStatus::parse(st)
                    .ok_or_else(|| f.bad("status", st, "expected active, paused or cancelled"))?,
                cancelled_at: f.time_of("cancelled_at")?,
                updated_at: match f.time_of("updated_at")? {
                    Some(t) => Some(t),
                    None => f.time_of("at")?,
                },
            })
        }
        "customer" => Event::Customer(Customer {
            id: opt("customer_id")
                .or_else(|| opt("id"))
                .ok_or_else(|| f.bad("customer_id", "", "a customer record needs its id"))?,
            birth_date: match f.get("birth_date") {
                Some(d) => Some(parse_date("birth_date", d)?),
                None => None,
            },
            signed_up_at: f.time_of("signed_up_at")?,
            attributes: f.attributes.clone(),
        }),
        "redemption" => {
            let p = f.need("points", "a redemption")?;
            Event::Redemption(RedemptionEvent {
                redemption_id: opt("redemption_id"),
                customer_id: f.need("customer_id", "a redemption")?.trim().to_owned(),
                redeemed_at: f.time("redeemed_at", "a redemption")?,
                points: p
                    .trim()
                    .parse()
                    .map_err(|_| f.bad("points", p, "expected a whole number of points"))?,
            })
        }
        "invitation" => Event::Invitation(InvitationEvent {
            invitation_id: opt("invitation_id"),
            customer_id: f.need("customer_id", "an invitation")?.trim().to_owned(),
            invited_at: f.time("invited_at", "an invitation")?,
            stage: f.need("stage", "an invitation")?.trim().to_owned(),
        }),
        other => {
            return Err(f.bad(
                "type",
                other,
                "expected order, refund, cancellation, subscription, customer, redemption or invitation",
            ));
        }
    })
}

fn check_column(name: &str, row: u64) -> Result<()> {
    if KNOWN.contains(&name) || name.starts_with("attributes.") {
        Ok(())
    } else {
        Err(Error::InvalidValue {
            value: name.to_owned(),
            location: Location::cell(row, name),
            reason: format!(
                "unknown column in an events file; use {} or attributes.<name>",
                KNOWN.join(", ")
            ),
        })
    }
}

/// Reads every event of a file (see the [module docs](self) for the columns).
pub fn read_events<R: Read>(reader: R, format: EventFormat, tz: Tz) -> Result<Vec<Event>> {
    let times = TimeParser::new(None, tz);
    match format {
        EventFormat::Csv | EventFormat::Tsv => {
            let mut r = csv::ReaderBuilder::new()
                .delimiter(if format == EventFormat::Tsv {
                    b'\t'
                } else {
                    b','
                })
                .flexible(false)
                .from_reader(reader);
            let header: Vec<String> = r
                .headers()
                .map_err(|e| malformed(0, &e.to_string()))?
                .iter()
                .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
                .collect();
            for h in &header {
                check_column(h, 0)?;
            }
            let mut out = Vec::new();
            for (i, rec) in r.records().enumerate() {
                let row = i as u64 + 1;
                let rec = rec.map_err(|e| malformed(row, &e.to_string()))?;
                let mut f = Fields {
                    row,
                    values: BTreeMap::new(),
                    attributes: BTreeMap::new(),
                    times: &times,
                };
                for (h, v) in header.iter().zip(rec.iter()) {
                    if let Some(a) = h.strip_prefix("attributes.") {
                        if !v.is_empty() {
                            f.attributes.insert(a.to_owned(), v.to_owned());
                        }
                    } else {
                        f.values.insert(h.as_str(), v.to_owned());
                    }
                }
                out.push(event_of(&f)?);
            }
            Ok(out)
        }
        EventFormat::Jsonl => {
            let mut out = Vec::new();
            for (i, line) in BufReader::new(reader).lines().enumerate() {
                let row = i as u64 + 1;
                let line = line.map_err(|e| malformed(row, &e.to_string()))?;
                if line.trim().is_empty() {
                    continue;
                }
                let v: Value =
                    serde_json::from_str(&line).map_err(|e| malformed(row, &e.to_string()))?;
                out.push(event_from_json(&v, &times, row)?);
            }
            Ok(out)
        }
    }
}

/// An event from a JSON object with the columns of an events file (numbers may be JSON
/// numbers; `attributes` may be an object).
pub fn event_from_json(v: &Value, times: &TimeParser, row: u64) -> Result<Event> {
    let Value::Object(m) = v else {
        return Err(malformed(row, &format!("expected an object, got {v}")));
    };
    let mut f = Fields {
        row,
        values: BTreeMap::new(),
        attributes: BTreeMap::new(),
        times,
    };
    for (k, x) in m {
        let key = k.as_str();
        if let Some(a) = key.strip_prefix("attributes.") {
            f.attributes.insert(a.to_owned(), scalar(x, row, key)?);
            continue;
        }
        check_column(key, row)?;
        if key == "attributes" {
            match x {
                Value::Object(a) => {
                    for (ak, av) in a {
                        f.attributes.insert(ak.clone(), scalar(av, row, key)?);
                    }
                }
                Value::Null => {}
                other => {
                    return Err(f.bad(key, &other.to_string(), "expected an object of attributes"));
                }
            }
            continue;
        }
        let s = scalar(x, row, key)?;
        let name = KNOWN.iter().find(|n| **n == key).copied().unwrap_or("type");
        f.values.insert(name, s);
    }
    event_of(&f)
}

/// A JSON scalar as text (numbers as written; `null` as blank).
fn scalar(x: &Value, row: u64, col: &str) -> Result<String> {
    Ok(match x {
        Value::String(s) => s.clone(),
        Value::Number(n) => {
            // JavaScript sends whole numbers as floats (`100.0`): read them as integers.
            match n.as_f64() {
                Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.007e15 => {
                    format!("{}", f as i64)
                }
                _ => n.to_string(),
            }
        }
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        other => {
            return Err(Error::InvalidValue {
                value: other.to_string(),
                location: Location::cell(row, col),
                reason: "expected a string or a number".into(),
            });
        }
    })
}

fn malformed(row: u64, reason: &str) -> Error {
    Error::Malformed {
        location: Location {
            row: (row > 0).then_some(row),
            column: None,
            customer_id: None,
        },
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_jsonl_read_the_same_events() {
        let csv = "type,order_id,customer_id,at,amount,currency,kind,status,attributes.channel\n\
            order,O1,C1,2024-01-05T10:00:00Z,1980,JPY,subscription,,\n\
            refund,,C1,2024-01-06,-200,,,,\n\
            cancellation,O1,,,,,,,\n\
            customer,,C2,,,,,,line\n";
        let jsonl = r#"{"type":"order","order_id":"O1","customer_id":"C1","placed_at":"2024-01-05T10:00:00Z","amount":1980,"currency":"JPY","kind":"subscription"}
{"type":"refund","customer_id":"C1","refunded_at":"2024-01-06","amount":-200}
{"type":"cancellation","order_id":"O1"}
{"type":"customer","id":"C2","attributes":{"channel":"line"}}
"#;
        let a = read_events(csv.as_bytes(), EventFormat::Csv, Tz::UTC).unwrap();
        let b = read_events(jsonl.as_bytes(), EventFormat::Jsonl, Tz::UTC).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 4);
        match &a[0] {
            Event::Order(o) => {
                assert_eq!(o.amount, Decimal::from(1980));
                assert_eq!(o.kind, OrderKind::Subscription);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn redemptions_and_invitations_read_from_csv_and_jsonl() {
        let csv = "type,customer_id,at,points,redemption_id,stage,invitation_id\n\
            redemption,C1,2024-02-01T09:00:00Z,300,RD1,,\n\
            invitation,C2,2024-02-02,,,gold,INV1\n";
        let jsonl = r#"{"type":"redemption","customer_id":"C1","redeemed_at":"2024-02-01T09:00:00Z","points":300,"redemption_id":"RD1"}
{"type":"invitation","customer_id":"C2","invited_at":"2024-02-02","stage":"gold","invitation_id":"INV1"}
"#;
        let a = read_events(csv.as_bytes(), EventFormat::Csv, Tz::UTC).unwrap();
        let b = read_events(jsonl.as_bytes(), EventFormat::Jsonl, Tz::UTC).unwrap();
        assert_eq!(a, b);
        match &a[0] {
            Event::Redemption(r) => {
                assert_eq!((r.points, r.redemption_id.as_deref()), (300, Some("RD1")));
            }
            other => panic!("{other:?}"),
        }
        match &a[1] {
            Event::Invitation(i) => assert_eq!(i.stage, "gold"),
            other => panic!("{other:?}"),
        }
        let e = read_events(
            "type,customer_id,at,points\nredemption,C1,2024-02-01,1.5\n".as_bytes(),
            EventFormat::Csv,
            Tz::UTC,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("points") && e.to_string().contains("1.5"),
            "{e}"
        );
    }

    #[test]
    fn errors_name_row_and_column() {
        let e = read_events(
            "type,customer_id,at,amount\norder,C1,2024-01-05,10\n".as_bytes(),
            EventFormat::Csv,
            Tz::UTC,
        )
        .unwrap_err();
        assert_eq!(e.code(), "invalid_value");
        assert!(
            e.to_string().contains("order_id") && e.to_string().contains("row 1"),
            "{e}"
        );
        let e = read_events(
            "type,bogus\norder,1\n".as_bytes(),
            EventFormat::Csv,
            Tz::UTC,
        )
        .unwrap_err();
        assert!(e.to_string().contains("bogus"), "{e}");
        let e = read_events("{not json\n".as_bytes(), EventFormat::Jsonl, Tz::UTC).unwrap_err();
        assert_eq!(e.code(), "malformed_input");
        let e = read_events(
            "type,order_id\nreturn,1\n".as_bytes(),
            EventFormat::Csv,
            Tz::UTC,
        )
        .unwrap_err();
        assert!(e.to_string().contains("return"), "{e}");
    }
}
