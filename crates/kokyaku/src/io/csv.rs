//! Delimited text (CSV, TSV, `;`, `|`, runs of whitespace).

use std::io::{BufRead, BufReader, Read};

use super::columns::{Resolved, resolve};
use super::ingest::{Ingested, Ingestor, OrderSink, Row, Val};
use super::options::ReadOptions;
use crate::{Error, Location, Result};

fn to_row<'a>(r: &Resolved, get: impl Fn(usize) -> Option<&'a str>) -> Row<'a> {
    let f = |i: Option<usize>| i.and_then(&get).map_or(Val::Null, Val::Str);
    Row {
        customer: f(r.customer),
        order: f(r.order),
        time: f(r.time),
        amount: f(r.amount),
        quantity: f(r.quantity),
        unit_price: f(r.unit_price),
        currency: f(r.currency),
        status: f(r.status),
        kind: f(r.kind),
        subscription: f(r.subscription),
        sku: f(r.sku),
    }
}

fn positional(n: usize) -> Vec<String> {
    (1..=n).map(|i| i.to_string()).collect()
}

/// Reads delimited text from any reader.
pub fn read_csv<R: Read>(reader: R, opts: &ReadOptions) -> Result<Ingested> {
    let builder = crate::model::OrderLogBuilder::new(opts.tz()?);
    Ok(csv_into(reader, opts, builder)?.finish())
}

/// Reads delimited text into `sink` (stopping early if the sink gives up).
pub(crate) fn csv_into<R: Read, S: OrderSink>(
    reader: R,
    opts: &ReadOptions,
    sink: S,
) -> Result<Ingestor<S>> {
    match opts.delimiter.byte() {
        Some(b) => read_delimited(reader, b, opts, sink),
        None => read_whitespace(BufReader::with_capacity(1 << 16, reader), opts, sink),
    }
}

/// Reads delimited text from a string.
pub fn read_csv_str(text: &str, opts: &ReadOptions) -> Result<Ingested> {
    read_csv(text.as_bytes(), opts)
}

fn malformed(row: u64, e: &dyn std::fmt::Display) -> Error {
    Error::Malformed {
        location: Location {
            row: Some(row),
            ..Location::default()
        },
        reason: e.to_string(),
    }
}

fn read_delimited<R: Read, S: OrderSink>(
    reader: R,
    delim: u8,
    opts: &ReadOptions,
    sink: S,
) -> Result<Ingestor<S>> {
    let mut rdr = ::csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(reader);
    let mut rec = ::csv::StringRecord::new();
    let mut row_no: u64 = 0;
    let first = rdr.read_record(&mut rec).map_err(|e| malformed(1, &e))?;
    if !first {
        return Err(Error::EmptyInput("the order log has no rows".into()));
    }
    let (resolved, pending_first) = if opts.has_header {
        let header: Vec<String> = rec.iter().map(str::to_owned).collect();
        (resolve(&header, &opts.columns)?, false)
    } else {
        (resolve(&positional(rec.len()), &opts.columns)?, true)
    };
    let mut ing = Ingestor::with_sink(opts, resolved.names.clone(), sink)?;
    let process = |rec: &::csv::StringRecord, row_no: u64, ing: &mut Ingestor<S>| -> Result<()> {
        if rec.len() != resolved.width && !(rec.len() == 1 && rec.get(0).is_some_and(str::is_empty))
        {
            let joined: Vec<&str> = rec.iter().collect();
            return ing.malformed(row_no, &joined.join(&char::from(delim).to_string()));
        }
        if rec.len() == 1 && resolved.width > 1 {
            return Ok(()); // a blank line is not a row
        }
        ing.row(row_no, &to_row(&resolved, |i| rec.get(i)))
    };
    if pending_first {
        row_no += 1;
        process(&rec, row_no, &mut ing)?;
    }
    while !ing.abandoned() {
        match rdr.read_record(&mut rec) {
            Ok(true) => {
                row_no += 1;
                process(&rec, row_no, &mut ing)?;
            }
            Ok(false) => break,
            Err(e) => return Err(malformed(row_no + 1, &e)),
        }
    }
    Ok(ing)
}

fn read_whitespace<R: BufRead, S: OrderSink>(
    mut reader: R,
    opts: &ReadOptions,
    sink: S,
) -> Result<Ingestor<S>> {
    let mut line = String::new();
    let mut row_no: u64 = 0;
    let mut sink = Some(sink);
    let mut ing: Option<(Ingestor<S>, Resolved)> = None;
    let mut spans: Vec<(usize, usize)> = Vec::new();
    while !ing.as_ref().is_some_and(|(i, _)| i.abandoned()) {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .map_err(|e| malformed(row_no + 1, &e))?;
        if n == 0 {
            break;
        }
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        if ing.is_none() {
            let first: Vec<String> = text.split_ascii_whitespace().map(str::to_owned).collect();
            let header = if opts.has_header {
                first
            } else {
                positional(first.len())
            };
            let resolved = resolve(&header, &opts.columns)?;
            let Some(sink) = sink.take() else { break };
            ing = Some((
                Ingestor::with_sink(opts, resolved.names.clone(), sink)?,
                resolved,
            ));
            if opts.has_header {
                continue;
            }
        }
        let Some((ingestor, resolved)) = ing.as_mut() else {
            continue;
        };
        row_no += 1;
        spans.clear();
        let base = text.as_ptr() as usize;
        spans.extend(text.split_ascii_whitespace().map(|f| {
            let start = f.as_ptr() as usize - base;
            (start, start + f.len())
        }));
        if spans.len() == resolved.width {
            ingestor.row(
                row_no,
                &to_row(resolved, |i| {
                    spans.get(i).and_then(|&(a, b)| text.get(a..b))
                }),
            )?;
        } else {
            ingestor.malformed(row_no, text)?;
        }
    }
    match ing {
        Some((i, _)) => Ok(i),
        None => Err(Error::EmptyInput("the order log has no rows".into())),
    }
}
