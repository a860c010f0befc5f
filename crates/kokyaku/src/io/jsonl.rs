//! JSON Lines: one JSON object per line.

use std::io::{BufRead, BufReader, Read};

use serde_json::{Map, Value};

use super::columns::{Resolved, detect, resolve};
use super::ingest::{Ingested, Ingestor, OrderSink, Row, Val};
use super::options::ReadOptions;
use crate::{Error, Location, Result};

fn val(v: Option<&Value>) -> Val<'_> {
    match v {
        None | Some(Value::Null) => Val::Null,
        Some(Value::String(s)) => Val::Str(s),
        Some(Value::Number(n)) => n
            .as_i64()
            .map_or_else(|| n.as_f64().map_or(Val::Null, Val::Float), Val::Int),
        Some(Value::Bool(b)) => Val::Str(if *b { "true" } else { "false" }),
        Some(_) => Val::Str("<nested>"),
    }
}

/// Reads JSON Lines. Columns are resolved from the keys of the first object; a role whose key
/// first appears on a later line is picked up there.
pub fn read_jsonl<R: Read>(reader: R, opts: &ReadOptions) -> Result<Ingested> {
    let builder = crate::model::OrderLogBuilder::new(opts.tz()?);
    Ok(jsonl_into(reader, opts, builder)?.finish())
}

/// Reads JSON Lines into `sink` (stopping early if the sink gives up).
pub(crate) fn jsonl_into<R: Read, S: OrderSink>(
    reader: R,
    opts: &ReadOptions,
    sink: S,
) -> Result<Ingestor<S>> {
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    let mut line = String::new();
    let mut row_no: u64 = 0;
    let mut sink = Some(sink);
    let mut state: Option<(Ingestor<S>, Resolved, Vec<String>)> = None;
    while !state.as_ref().is_some_and(|(i, _, _)| i.abandoned()) {
        line.clear();
        let n = reader.read_line(&mut line).map_err(|e| Error::Malformed {
            location: Location {
                row: Some(row_no + 1),
                ..Location::default()
            },
            reason: e.to_string(),
        })?;
        if n == 0 {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        row_no += 1;
        let parsed: std::result::Result<Map<String, Value>, _> = serde_json::from_str(&line);
        if state.is_none() {
            let obj = parsed.as_ref().map_err(|e| Error::Malformed {
                location: Location {
                    row: Some(row_no),
                    ..Location::default()
                },
                reason: format!("the first line must be a JSON object: {e}"),
            })?;
            let keys: Vec<String> = obj.keys().cloned().collect();
            let resolved = resolve(&keys, &opts.columns)?;
            let Some(sink) = sink.take() else { break };
            state = Some((
                Ingestor::with_sink(opts, resolved.names.clone(), sink)?,
                resolved,
                keys,
            ));
        }
        let Some((ing, r, keys)) = state.as_mut() else {
            continue;
        };
        match parsed {
            Ok(obj) => {
                // Writers often omit null keys: a role whose key first appears on a later line
                // is detected then (roles already found keep their key).
                if obj.keys().any(|k| !keys.contains(k)) {
                    keys.extend(
                        obj.keys()
                            .filter(|k| !keys.contains(k))
                            .cloned()
                            .collect::<Vec<_>>(),
                    );
                    let d = detect(keys, &opts.columns);
                    for (role, found) in [
                        (&mut r.customer, d.customer),
                        (&mut r.order, d.order),
                        (&mut r.time, d.time),
                        (&mut r.amount, d.amount),
                        (&mut r.quantity, d.quantity),
                        (&mut r.unit_price, d.unit_price),
                        (&mut r.currency, d.currency),
                        (&mut r.status, d.status),
                        (&mut r.kind, d.kind),
                        (&mut r.subscription, d.subscription),
                        (&mut r.sku, d.sku),
                    ] {
                        *role = role.or(found);
                    }
                }
                let field = |i: Option<usize>| i.and_then(|i| keys.get(i)).and_then(|k| obj.get(k));
                // A nested object or array where a value belongs would read as the same text on
                // every row (all rows one customer): the row is malformed.
                let roles = [
                    r.customer,
                    r.order,
                    r.time,
                    r.amount,
                    r.quantity,
                    r.unit_price,
                    r.currency,
                    r.status,
                    r.kind,
                    r.subscription,
                    r.sku,
                ];
                if roles
                    .iter()
                    .any(|&i| matches!(field(i), Some(Value::Object(_) | Value::Array(_))))
                {
                    ing.malformed(row_no, line.trim())?;
                    continue;
                }
                let g = |i: Option<usize>| val(field(i));
                let row = Row {
                    customer: g(r.customer),
                    order: g(r.order),
                    time: g(r.time),
                    amount: g(r.amount),
                    quantity: g(r.quantity),
                    unit_price: g(r.unit_price),
                    currency: g(r.currency),
                    status: g(r.status),
                    kind: g(r.kind),
                    subscription: g(r.subscription),
                    sku: g(r.sku),
                };
                ing.row(row_no, &row)?;
            }
            Err(_) => ing.malformed(row_no, line.trim())?,
        }
    }
    match state {
        Some((i, _, _)) => Ok(i),
        None => Err(Error::EmptyInput("the order log has no rows".into())),
    }
}

/// Reads JSON Lines from a string.
pub fn read_jsonl_str(text: &str, opts: &ReadOptions) -> Result<Ingested> {
    read_jsonl(text.as_bytes(), opts)
}

/// Reads a `.json` file: one JSON array of records (objects), or JSON Lines when the first
/// non-blank byte is not `[`. An array is read whole; its elements are the rows (1-based), with
/// exactly the column detection and policies of JSON Lines.
pub(crate) fn json_into<R: Read, S: OrderSink>(
    mut reader: R,
    opts: &ReadOptions,
    sink: S,
) -> Result<Ingestor<S>> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Malformed {
            location: Location::default(),
            reason: e.to_string(),
        })?;
    let first = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .and_then(|i| bytes.get(i).copied());
    if first != Some(b'[') {
        return jsonl_into(bytes.as_slice(), opts, sink);
    }
    let rows: Vec<Value> = serde_json::from_slice(&bytes).map_err(|e| Error::Malformed {
        location: Location::default(),
        reason: format!(
            "a .json file holds JSON Lines or one JSON array of records; this array is not valid JSON: {e}"
        ),
    })?;
    drop(bytes);
    let mut text = String::new();
    for r in &rows {
        // Compact JSON has no raw line breaks: one element, one line.
        text.push_str(&r.to_string());
        text.push('\n');
    }
    if rows.is_empty() {
        return Err(Error::EmptyInput("the JSON array has no records".into()));
    }
    jsonl_into(text.as_bytes(), opts, sink)
}
