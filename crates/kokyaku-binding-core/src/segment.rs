//! Segment rules for the wrappers (mirrors `kokyaku::segment`): evaluation of named rules
//! (text or JSON), explain, presets, parse / print, and the customers table.

use kokyaku::segment::{self, Catalog, EXTRA_KEYS, RuleSource, SegmentExtras, SegmentOptions};
use serde_json::{Map, Value};

use crate::BindingError;
use crate::api::{Log, to_value};
use crate::options::{normalize, snake_case};

/// Segment options: `{summary, rfm, cpm}`, or flat `as_of` / `dormant_days` /
/// `subscription_lapse_days` (camelCase too) for the summary; and the extras
/// ([`SegmentExtras::take_from`]): `fit`, `spend_fit`, `horizon`, `discount_rate`,
/// `discount_period`, `margin` for `p_alive`, `expected_orders`, `clv`; `program`,
/// `redemptions`, `invitations` for `stage`, `points`. A saved fit and a programme keep their
/// own keys (they are not case-converted).
fn options(v: Value) -> Result<(SegmentOptions, SegmentExtras), BindingError> {
    let (mut raw, rest) = match v {
        Value::Object(m) => m.into_iter().partition::<Map<String, Value>, _>(|(k, _)| {
            EXTRA_KEYS.contains(&snake_case(k).as_str())
        }),
        other => (
            Map::new(),
            match other {
                Value::Null => Map::new(),
                o => {
                    return Err(BindingError::option(
                        "options",
                        format!("expected an object, got {o}"),
                    ));
                }
            },
        ),
    };
    raw = raw.into_iter().map(|(k, v)| (snake_case(&k), v)).collect();
    let extras = SegmentExtras::take_from(&mut raw)?;
    let mut m = normalize(Value::Object(rest))?;
    let mut summary = match m.remove("summary") {
        Some(Value::Object(s)) => s,
        _ => Map::new(),
    };
    for k in ["as_of", "dormant_days", "subscription_lapse_days"] {
        if let Some(v) = m.remove(k) {
            if !v.is_null() {
                summary.insert(k.to_owned(), v);
            }
        }
    }
    m.insert("summary".into(), Value::Object(summary));
    let opts = serde_json::from_value(Value::Object(m))
        .map_err(|e| BindingError::option("segment options", e))?;
    Ok((opts, extras))
}

fn source(v: Value) -> Result<RuleSource, BindingError> {
    match v {
        Value::String(s) => Ok(RuleSource::Text(s)),
        Value::Object(_) => {
            let text = v.to_string();
            Ok(RuleSource::Json(segment::from_json(&text)?))
        }
        other => Err(BindingError::option(
            "rule",
            format!("expected a rule text or a rule object, got {other}"),
        )),
    }
}

/// Named rules: an object `{name: rule}`, a list of rules (named `0`, `1` …), or one rule
/// (named `rule`).
fn named(rules: Value) -> Result<Vec<(String, RuleSource)>, BindingError> {
    match rules {
        Value::Object(m) if !m.contains_key("op") => {
            m.into_iter().map(|(k, v)| Ok((k, source(v)?))).collect()
        }
        Value::Array(a) => a
            .into_iter()
            .enumerate()
            .map(|(i, v)| Ok((i.to_string(), source(v)?)))
            .collect(),
        one => Ok(vec![("rule".to_owned(), source(one)?)]),
    }
}

/// Members of each rule: `[{name, rule, count, customer_ids}]` (ids in the log's customer order).
pub fn evaluate(log: &Log, rules: Value, opts: Value) -> Result<Value, BindingError> {
    let rules = named(rules)?;
    let (opts, extras) = options(opts)?;
    to_value(&segment::evaluate_with(&log.log, &rules, &opts, &extras)?)
}

/// Why one customer is in a segment or not: the clause tree with values and fields read.
pub fn explain(
    log: &Log,
    rule: Value,
    customer_id: &str,
    opts: Value,
) -> Result<Value, BindingError> {
    let (opts, extras) = options(opts)?;
    to_value(&segment::explain_with(
        &log.log,
        &source(rule)?,
        customer_id,
        &opts,
        &extras,
    )?)
}

/// A rule's text parsed and checked, as its JSON form.
pub fn parse(text: &str) -> Result<Value, BindingError> {
    // Every field a run can have: predictions and the loyalty fields included.
    let mut catalog = Catalog {
        predicted: true,
        ..Catalog::default()
    };
    catalog
        .extra
        .insert("stage".into(), segment::FieldType::Text);
    catalog
        .extra
        .insert("points".into(), segment::FieldType::Number);
    to_value(&segment::parse_checked(text, &catalog)?)
}

/// A rule's JSON form as its canonical text.
pub fn to_text(rule: Value) -> Result<String, BindingError> {
    match source(rule)? {
        RuleSource::Json(r) => Ok(r.to_string()),
        RuleSource::Text(t) => Ok(segment::parse(&t)
            .map_err(kokyaku::Error::from)?
            .to_string()),
    }
}

/// The presets: `[{name, rule, purpose}]`.
pub fn presets() -> Result<Value, BindingError> {
    to_value(&segment::PRESETS)
}

/// The log with a customers table merged in (members without orders join with zero orders),
/// and the report of the customers read. `customers` is a list of records.
pub fn with_customers(
    log: &Log,
    customers: &[Value],
    timezone: Option<&str>,
) -> Result<(Log, Value), BindingError> {
    let tz = match timezone {
        Some(t) => kokyaku::io::parse_tz(t)?,
        None => log.log.timezone(),
    };
    let table = segment::read_customers_records(customers, tz)?;
    finish(log, &table)
}

/// The report of reading a customers table (records), without merging it.
pub fn customers_report(
    customers: &[Value],
    timezone: Option<&str>,
) -> Result<Value, BindingError> {
    let tz = kokyaku::io::parse_tz(timezone.unwrap_or("UTC"))?;
    to_value(&segment::read_customers_records(customers, tz)?.report)
}

/// As [`with_customers`], from CSV text.
pub fn with_customers_csv(
    log: &Log,
    text: &str,
    delimiter: Option<&str>,
) -> Result<(Log, Value), BindingError> {
    let d = kokyaku::io::Delimiter::parse(delimiter.unwrap_or(","))?
        .byte()
        .ok_or_else(|| {
            BindingError::option("delimiter", "a customers file uses one delimiter character")
        })?;
    let table = segment::read_customers_csv(text.as_bytes(), d, log.log.timezone())?;
    finish(log, &table)
}

fn finish(log: &Log, table: &segment::CustomerTable) -> Result<(Log, Value), BindingError> {
    let merged = log.log.clone().with_customers(&table.customers)?;
    let mut report = log.report.clone();
    report.customers = merged.n_customers() as u64;
    let r = to_value(&table.report)?;
    Ok((
        Log {
            log: merged,
            report,
        },
        r,
    ))
}

/// The fields a rule can read: `{customer: [{name, type, meaning}], order: …, line: …,
/// subscription: …}`.
pub fn fields() -> Result<Value, BindingError> {
    let list = |t: &[(&str, segment::FieldType, &str)]| {
        Value::Array(
            t.iter()
                .map(|(n, ty, m)| {
                    let mut o = Map::new();
                    o.insert("name".into(), Value::String((*n).into()));
                    o.insert(
                        "type".into(),
                        serde_json::to_value(ty).unwrap_or(Value::Null),
                    );
                    o.insert("meaning".into(), Value::String((*m).into()));
                    Value::Object(o)
                })
                .collect(),
        )
    };
    let mut m = Map::new();
    m.insert("customer".into(), list(segment::CUSTOMER_FIELDS));
    m.insert("order".into(), list(segment::ORDER_FIELDS));
    m.insert("line".into(), list(segment::LINE_FIELDS));
    m.insert("subscription".into(), list(segment::SUBSCRIPTION_FIELDS));
    Ok(Value::Object(m))
}
