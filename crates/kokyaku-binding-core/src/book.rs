//! The customer book for the wrappers (mirrors `kokyaku::book`): options and events from
//! JSON-like data, results as serde data, snapshots as bytes. Python, Node and WASM each hold a
//! [`BookHandle`] in their native class and convert arguments and results; nothing else.

use kokyaku::book::{Book, BookOptions, EventFormat, event_from_json, read_events};
use kokyaku::io::TimeParser;
use kokyaku::model::parse_date;
use kokyaku::segment::RuleSource;
use serde_json::{Map, Value};

use crate::BindingError;
use crate::api::to_value;

/// A book held by a wrapper.
#[derive(Debug)]
pub struct BookHandle {
    book: Book,
}

/// Book options from a flat object (`timezone`, `as_of`, `dormant_days`,
/// `subscription_lapse_days`, `cpm`; camelCase accepted). `null` gives the defaults.
pub fn book_options(options: Value) -> Result<BookOptions, BindingError> {
    crate::options::from_value(options)
}

impl BookHandle {
    /// An empty book. A `program` key (a loyalty programme) is set with [`Self::set_program`].
    pub fn new(options: Value) -> Result<Self, BindingError> {
        let mut options = options;
        let program = match &mut options {
            Value::Object(m) => m.remove("program"),
            _ => None,
        };
        let mut h = Self {
            book: Book::new(book_options(options)?)?,
        };
        if let Some(p) = program {
            h.set_program(&p)?;
        }
        Ok(h)
    }

    /// A book from a snapshot (errors `snapshot_truncated`, `snapshot_corrupt`,
    /// `snapshot_foreign`, `snapshot_version`).
    pub fn restore(bytes: &[u8]) -> Result<Self, BindingError> {
        Ok(Self {
            book: Book::restore(bytes)?,
        })
    }

    /// The whole book as bytes.
    #[must_use]
    pub fn snapshot(&self) -> Vec<u8> {
        self.book.snapshot()
    }

    /// The core book.
    #[must_use]
    pub fn book(&self) -> &Book {
        &self.book
    }

    /// Applies events given as an array of objects with the columns of an events file
    /// (`type`, `order_id`, `customer_id`, `placed_at` / `at`, `amount` …; see `docs/book.md`).
    /// Returns the counts `{applied, duplicates, held}`.
    pub fn ingest(&mut self, events: &Value) -> Result<Value, BindingError> {
        let Value::Array(items) = events else {
            return Err(BindingError::new(
                "malformed_input",
                format!("malformed input: expected an array of event objects, got {events}"),
            ));
        };
        let times = TimeParser::new(None, self.book.timezone());
        let mut parsed = Vec::with_capacity(items.len());
        for (i, v) in items.iter().enumerate() {
            parsed.push(event_from_json(v, &times, i as u64 + 1)?);
        }
        to_value(&self.book.ingest(&parsed)?)
    }

    /// Applies the events of a CSV, TSV or JSON Lines text (`format`: `csv`, `tsv`, `jsonl`).
    pub fn ingest_text(&mut self, format: &str, text: &[u8]) -> Result<Value, BindingError> {
        let f = match format {
            "csv" => EventFormat::Csv,
            "tsv" => EventFormat::Tsv,
            "jsonl" => EventFormat::Jsonl,
            other => {
                return Err(BindingError::option(
                    "format",
                    format!("'{other}': use csv, tsv or jsonl"),
                ));
            }
        };
        let events = read_events(text, f, self.book.timezone())?;
        to_value(&self.book.ingest(&events)?)
    }

    /// Sets the segments the book keeps current: an object of name → rule (the rule's text, or
    /// its JSON form), or an array of `[name, rule]` pairs.
    pub fn set_segments(&mut self, rules: &Value) -> Result<(), BindingError> {
        let pairs: Vec<(String, Value)> = match rules {
            Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Value::Array(a) => a
                .iter()
                .map(|p| match p {
                    Value::Array(x) if x.len() == 2 && x[0].is_string() => {
                        Ok((x[0].as_str().unwrap_or_default().to_owned(), x[1].clone()))
                    }
                    other => Err(BindingError::option(
                        "segments",
                        format!("expected [name, rule] pairs, got {other}"),
                    )),
                })
                .collect::<Result<_, _>>()?,
            Value::Null => Vec::new(),
            other => {
                return Err(BindingError::option(
                    "segments",
                    format!("expected an object of name -> rule, got {other}"),
                ));
            }
        };
        let mut rules = Vec::with_capacity(pairs.len());
        for (name, v) in pairs {
            let src: RuleSource = serde_json::from_value(v).map_err(|e| {
                BindingError::option("segments", format!("segment '{name}': not a rule: {e}"))
            })?;
            rules.push((name, src));
        }
        Ok(self.book.set_segments(&rules)?)
    }

    /// The segments: `[[name, canonical rule text], ...]`.
    pub fn segments(&self) -> Result<Value, BindingError> {
        to_value(&self.book.segments())
    }

    /// The members of a segment as last reported (`null` for an unknown name).
    pub fn segment_members(&self, name: &str) -> Result<Value, BindingError> {
        to_value(&self.book.segment_members(name))
    }

    /// Moves the book's date forward to `date` (`YYYY-MM-DD`).
    pub fn advance(&mut self, date: &str) -> Result<(), BindingError> {
        Ok(self.book.advance(parse_date("date", date)?)?)
    }

    /// The changes since the last call: `{since, as_of, events, changes: [...]}`.
    pub fn changes(&mut self) -> Result<Value, BindingError> {
        to_value(&self.book.changes()?)
    }

    /// Every customer's summary as records, in customer-id order.
    pub fn summaries(&self) -> Result<Value, BindingError> {
        to_value(&self.book.summaries().records())
    }

    /// One customer's summary (`null` for an unknown id).
    pub fn summary(&self, customer_id: &str) -> Result<Value, BindingError> {
        to_value(&self.book.summary(customer_id))
    }

    /// Sets the loyalty programme the book keeps current (an object, or its JSON text, as in
    /// `docs/loyalty.md`); `null` removes it. Errors: `invalid_program`.
    pub fn set_program(&mut self, program: &Value) -> Result<(), BindingError> {
        let text = match program {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            Value::Object(_) => Some(program.to_string()),
            other => {
                return Err(BindingError::option(
                    "program",
                    format!("expected a loyalty programme object or JSON text, got {other}"),
                ));
            }
        };
        Ok(self.book.set_program(text.as_deref())?)
    }

    /// The programme as set (an object), or `null`.
    pub fn program(&self) -> Result<Value, BindingError> {
        match self.book.program_json() {
            None => Ok(Value::Null),
            Some(t) => serde_json::from_str(t)
                .map_err(|e| BindingError::new("invalid_program", format!("programme: {e}"))),
        }
    }

    /// Every customer's stage and points as of the book's date, as the stages table's records
    /// in customer-id order (`null` without a programme).
    pub fn stages(&self) -> Result<Value, BindingError> {
        match self.book.stages(false)? {
            None => Ok(Value::Null),
            Some(st) => to_value(&kokyaku::loyalty::stages_table(&st).to_records()),
        }
    }

    /// One customer's loyalty card (stage, points, progress, stage history); `null` for an
    /// unknown customer or without a programme.
    pub fn card(&self, customer_id: &str) -> Result<Value, BindingError> {
        let Some(st) = self.book.stages(true)? else {
            return Ok(Value::Null);
        };
        match (0..st.len()).find(|&i| st.customer_id.get(i) == customer_id) {
            Some(i) => to_value(&kokyaku::loyalty::card(&st, i)),
            None => Ok(Value::Null),
        }
    }

    /// Counts and the date: `{as_of, customers, orders, refunds, held, events, timezone}`.
    pub fn info(&self) -> Result<Value, BindingError> {
        let b = &self.book;
        let mut m = Map::new();
        m.insert("as_of".into(), Value::from(b.as_of().to_string()));
        m.insert("timezone".into(), Value::from(b.options().timezone.clone()));
        m.insert("customers".into(), Value::from(b.n_customers()));
        m.insert("orders".into(), Value::from(b.n_orders()));
        m.insert("refunds".into(), Value::from(b.n_refunds()));
        m.insert("held".into(), Value::from(b.n_held()));
        m.insert("events".into(), Value::from(b.n_events()));
        Ok(Value::Object(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ingest_advance_changes_snapshot() {
        let mut b = BookHandle::new(json!({"asOf": "2024-01-31", "dormantDays": 30})).unwrap();
        let n = b
            .ingest(&json!([
                {"type": "order", "order_id": "O1", "customer_id": "C1", "at": "2024-01-05", "amount": 4000.0},
                {"type": "order", "order_id": "O1", "customer_id": "C1", "at": "2024-01-05", "amount": 4000},
                {"type": "refund", "order_id": "O9", "at": "2024-01-06", "amount": 5}
            ]))
            .unwrap();
        assert_eq!(n, json!({"applied": 2, "duplicates": 1, "held": 1}));
        let c = b.changes().unwrap();
        assert_eq!(c["changes"][0]["to"], "first_timer_active");
        b.advance("2024-03-01").unwrap();
        let c = b.changes().unwrap();
        assert_eq!(c["changes"][0]["kind"], "became_dormant");
        let s = b.summaries().unwrap();
        assert_eq!(s[0]["gross"], "4000");
        let again = BookHandle::restore(&b.snapshot()).unwrap();
        assert_eq!(again.summaries().unwrap(), s);
        assert_eq!(again.info().unwrap()["held"], 1);
        assert_eq!(b.summary("nobody").unwrap(), Value::Null);
    }

    #[test]
    fn loyalty_stage_points_and_changes() {
        let mut b = BookHandle::new(json!({"asOf": "2024-01-31"})).unwrap();
        b.set_program(&json!({
            "stages": [{"id": "regular"}, {"id": "gold", "spend": 10000}],
            "window": {"kind": "calendar_year"},
            "points": {"per": 100}
        }))
        .unwrap();
        b.ingest(&json!([
            {"type": "order", "order_id": "O1", "customer_id": "C1", "at": "2024-01-05", "amount": 6000},
            {"type": "order", "order_id": "O2", "customer_id": "C1", "at": "2024-01-09", "amount": 5000}
        ]))
        .unwrap();
        let c = b.changes().unwrap();
        let up: Vec<_> = c["changes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["kind"] == "stage_up")
            .collect();
        // by hand: 6000 + 5000 = 11000 >= 10000 on 9 January, the order O2
        assert_eq!(up.len(), 1);
        assert_eq!(
            (&up[0]["from"], &up[0]["to"]),
            (&json!("regular"), &json!("gold"))
        );
        assert_eq!(up[0]["trigger"], json!({"event": "order", "id": "O2"}));
        let s = b.stages().unwrap();
        assert_eq!(s[0]["stage"], "gold");
        assert_eq!(s[0]["points_balance"], 110);
        assert_eq!(b.card("C1").unwrap()["stage"], "gold");
        assert_eq!(b.card("nobody").unwrap(), Value::Null);
        let again = BookHandle::restore(&b.snapshot()).unwrap();
        assert_eq!(again.stages().unwrap(), s);
        assert_eq!(again.program().unwrap()["stages"][1]["id"], "gold");
        let e = b.set_program(&json!({"stages": []})).unwrap_err();
        assert_eq!(e.code, "invalid_program");
    }

    #[test]
    fn errors_have_codes() {
        assert_eq!(
            BookHandle::new(json!({"bogus": 1})).unwrap_err().code,
            "invalid_option"
        );
        assert_eq!(
            BookHandle::new(json!({"timezone": "Mars/Olympus"}))
                .unwrap_err()
                .code,
            "invalid_option"
        );
        let mut b = BookHandle::new(Value::Null).unwrap();
        assert_eq!(b.ingest(&json!({})).unwrap_err().code, "malformed_input");
        assert_eq!(
            b.ingest(&json!([{"type": "order"}])).unwrap_err().code,
            "invalid_value"
        );
        assert_eq!(b.advance("someday").unwrap_err().code, "invalid_option");
        assert_eq!(
            b.ingest_text("xml", b"").unwrap_err().code,
            "invalid_option"
        );
        let e = BookHandle::restore(b"nope").unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.kind),
            ("snapshot_foreign", crate::ErrorKind::InvalidInput)
        );
        let mut snap = b.snapshot();
        snap[8] = 9;
        assert_eq!(
            BookHandle::restore(&snap).unwrap_err().kind,
            crate::ErrorKind::Unsupported
        );
    }
}
