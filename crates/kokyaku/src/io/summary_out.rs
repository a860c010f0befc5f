//! The per-customer output table written straight from typed columns (feature `parquet`).
//!
//! [`crate::table::summary_table`] builds a [`crate::table::Table`] of one `String` per text or
//! money cell, which the Parquet and CSV writers then walk: for millions of customers that is
//! tens of millions of small allocations, more time than the summary itself. The functions
//! here build the same Arrow record batch from the summary, RFM scores and CPM classes
//! directly (money and ids written into the Arrow buffers, segment and class names looked up,
//! not formatted per row), and write the same CSV text from it. Tests check both against the
//! [`Table`](crate::table::Table) route, byte for byte.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Date32Builder, Int64Builder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use rust_decimal::Decimal;

use super::parquet::malformed;
use crate::cpm::{CpmClass, CpmOptions, CpmResult};
use crate::rfm::RfmScores;
use crate::summary::CustomerSummaries;
use crate::{Error, Result};

/// A date column (days since the epoch) of output.
pub(crate) fn date_array(v: &[Option<i32>]) -> ArrayRef {
    let mut b = Date32Builder::with_capacity(v.len());
    b.extend(v.iter().copied());
    Arc::new(b.finish())
}

/// An integer column of `n` output rows.
pub(crate) fn int_array(n: usize, v: &mut dyn Iterator<Item = Option<i64>>) -> ArrayRef {
    let mut b = Int64Builder::with_capacity(n);
    b.extend(v);
    Arc::new(b.finish())
}

/// The record batch [`crate::table::summary_table`] and [`super::table_to_record_batch`]
/// give, built without the intermediate table.
pub fn summary_record_batch(
    s: &CustomerSummaries,
    rfm: Option<&RfmScores>,
    cpm: Option<(&CpmResult, &CpmOptions)>,
) -> Result<RecordBatch> {
    let n = s.len();
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    let mut push = |name: &str, a: ArrayRef| {
        fields.push(Field::new(name, a.data_type().clone(), true));
        arrays.push(a);
    };
    let mut ids = StringBuilder::with_capacity(n, s.customer_id.get(0).len().max(8) * n);
    for i in 0..n {
        ids.append_value(s.customer_id.get(i));
    }
    push("customer_id", Arc::new(ids.finish()));
    let dates = date_array;
    push("first_order", dates(&s.first_order_day));
    push("last_order", dates(&s.last_order_day));
    let ints = |v: &mut dyn Iterator<Item = Option<i64>>| int_array(n, v);
    let counts = |v: &[u32]| ints(&mut v.iter().map(|&x| Some(i64::from(x))));
    let days = |v: &[Option<u32>]| ints(&mut v.iter().map(|x| x.map(i64::from)));
    push("orders", counts(&s.orders));
    push("purchase_days", counts(&s.purchase_days));
    push("subscription_orders", counts(&s.subscription_orders));
    push("cancelled_orders", counts(&s.cancelled_orders));
    push("recency_days", days(&s.recency_days));
    push("tenure_days", days(&s.tenure_days));
    push("age_days", days(&s.age_days));
    let money = |v: &[i128]| -> Result<ArrayRef> {
        let mut b = StringBuilder::with_capacity(n, 8 * n);
        let mut buf = [0u8; 48];
        for &u in v {
            // Totals fit i64 but for the rarest logs (issue 20 item 3 made them i128).
            if let Ok(x) = i64::try_from(u) {
                b.append_value(units_text(x, s.money_scale, &mut buf));
            } else {
                let d = Decimal::try_from_i128_with_scale(u, s.money_scale).map_err(malformed)?;
                write!(b, "{d}").map_err(malformed)?;
                b.append_value("");
            }
        }
        Ok(Arc::new(b.finish()))
    };
    push("gross", money(&s.gross_units)?);
    push("refunds", money(&s.refund_units)?);
    push("net", money(&s.net_units)?);
    let mut aov = StringBuilder::with_capacity(n, 8 * n);
    for i in 0..n {
        match s.average_order_value(i) {
            Some(d) => {
                write!(aov, "{d}").map_err(malformed)?;
                aov.append_value("");
            }
            None => aov.append_null(),
        }
    }
    push("average_order_value", Arc::new(aov.finish()));
    let mut sub = StringBuilder::with_capacity(n, 8 * n);
    for x in &s.subscription {
        sub.append_value(x.as_str());
    }
    push("subscription", Arc::new(sub.finish()));
    let mut dormant = BooleanBuilder::with_capacity(n);
    dormant.extend(s.dormant.iter().map(|&x| Some(x)));
    push("dormant", Arc::new(dormant.finish()));
    if let Some(r) = rfm {
        let sc = |v: &[u8]| ints(&mut v.iter().map(|&x| (x > 0).then_some(i64::from(x))));
        push("r", sc(&r.r));
        push("f", sc(&r.f));
        push("m", sc(&r.m));
        let mut seg = StringBuilder::with_capacity(n, 16 * n);
        for i in 0..n {
            seg.append_option(r.segment_name(i));
        }
        push("rfm_segment", Arc::new(seg.finish()));
    }
    if let Some((c, o)) = cpm {
        // A handful of classes: each id and display name made once.
        let mut names: Vec<(CpmClass, String, String)> = Vec::new();
        let mut ids = StringBuilder::with_capacity(n, 12 * n);
        let mut disp = StringBuilder::with_capacity(n, 24 * n);
        for x in &c.class {
            match x {
                None => {
                    ids.append_null();
                    disp.append_null();
                }
                Some(k) => {
                    let j = if let Some(j) = names.iter().position(|(c, _, _)| c == k) {
                        j
                    } else {
                        names.push((*k, k.id(), o.display(*k)));
                        names.len() - 1
                    };
                    ids.append_value(&names[j].1);
                    disp.append_value(&names[j].2);
                }
            }
        }
        push("cpm_class", Arc::new(ids.finish()));
        push("cpm_name", Arc::new(disp.finish()));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(malformed)
}

/// `Decimal::new(units, scale).to_string()` without the decimal (`-0.05`, `12.50`, `7`),
/// written into `buf`; `scale` at most 8 (the money columns' limit).
pub(crate) fn units_text(units: i64, scale: u32, buf: &mut [u8; 48]) -> &str {
    let mut digits = [0u8; 20];
    let d = super::plain::int_text(units, &mut digits);
    let (neg, d) = match d.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, d),
    };
    let scale = scale.min(8) as usize;
    let mut k = 0;
    let mut put = |b: u8| {
        buf[k] = b;
        k += 1;
    };
    if neg {
        put(b'-');
    }
    if scale == 0 {
        for &c in d {
            put(c);
        }
    } else {
        // At least one digit before the point: zeros in front of short numbers.
        let int_len = d.len().saturating_sub(scale);
        if int_len == 0 {
            put(b'0');
        } else {
            d[..int_len].iter().for_each(|&c| put(c));
        }
        put(b'.');
        (d.len()..scale).for_each(|_| put(b'0'));
        d[int_len..].iter().for_each(|&c| put(c));
    }
    // ASCII digits, sign and point.
    std::str::from_utf8(&buf[..k]).unwrap_or_default()
}

/// Writes a record batch of text, integer, float, boolean and date columns as RFC 4180 CSV
/// with a header: the same text [`crate::table::Table::write_csv`] writes for the same table.
pub fn write_batch_csv<W: Write>(batch: &RecordBatch, mut w: W) -> Result<()> {
    let io = |source| Error::Io {
        path: "<output>".into(),
        source,
    };
    let schema = batch.schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    writeln!(w, "{}", names.join(",")).map_err(io)?;
    let cols = batch.columns();
    let mut line = String::with_capacity(256);
    for i in 0..batch.num_rows() {
        line.clear();
        for (k, c) in cols.iter().enumerate() {
            if k > 0 {
                line.push(',');
            }
            cell(c, i, &mut line)?;
        }
        line.push('\n');
        w.write_all(line.as_bytes()).map_err(io)?;
    }
    Ok(())
}

/// Appends CSV cell `i` of `c` (nothing for a null) as `Table::write_csv` writes it.
fn cell(c: &ArrayRef, i: usize, out: &mut String) -> Result<()> {
    if c.is_null(i) {
        return Ok(());
    }
    match c.data_type() {
        DataType::Utf8 => {
            let s = c.as_string::<i32>().value(i);
            if s.contains([',', '"', '\n', '\r']) {
                out.push('"');
                out.push_str(&s.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(s);
            }
        }
        DataType::Int64 => {
            let _ = write!(out, "{}", c.as_primitive::<Int64Type>().value(i));
        }
        DataType::Float64 => {
            let _ = write!(out, "{}", c.as_primitive::<Float64Type>().value(i));
        }
        DataType::Boolean => out.push_str(if c.as_boolean().value(i) {
            "true"
        } else {
            "false"
        }),
        DataType::Date32 => {
            let d = crate::model::day_to_date(c.as_primitive::<Date32Type>().value(i));
            let _ = write!(out, "{d}");
        }
        other => {
            return Err(Error::Unsupported(format!(
                "CSV output of a {other} column"
            )));
        }
    }
    Ok(())
}

/// Writes a record batch as Parquet (zstd), as [`super::write_table_parquet`] writes a table.
/// Each row group's columns are encoded in two groups of about equal work, one on a helper
/// thread ([`crate::par::join`]), and appended in column order: the same file as one
/// `ArrowWriter::write` of the batch gives, in about half the time on two cores.
pub fn write_batch_parquet<W: Write + Send>(batch: &RecordBatch, w: W) -> Result<()> {
    use parquet::arrow::arrow_writer::{ArrowColumnChunk, ArrowColumnWriter, compute_leaves};
    // A customer id is unique per row: a dictionary would only cost time (it is dropped for
    // being too large, after every id was hashed into it).
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(
            parquet::basic::ZstdLevel::default(),
        ))
        .set_column_dictionary_enabled(
            parquet::schema::types::ColumnPath::from("customer_id"),
            false,
        )
        .build();
    let group_rows = props
        .max_row_group_row_count()
        .unwrap_or(parquet::file::properties::DEFAULT_MAX_ROW_GROUP_ROW_COUNT)
        .max(1);
    let schema = batch.schema();
    let (mut file, factory) = parquet::arrow::ArrowWriter::try_new(w, schema.clone(), Some(props))
        .and_then(parquet::arrow::ArrowWriter::into_serialized_writer)
        .map_err(malformed)?;
    // Text columns cost about three times the others to encode.
    let weight = |k: usize| match schema.field(k).data_type() {
        DataType::Utf8 => 3,
        _ => 1,
    };
    let (mut left, mut right) = (Vec::new(), Vec::new());
    let (mut wl, mut wr) = (0, 0);
    for k in 0..schema.fields().len() {
        if wl <= wr {
            left.push(k);
            wl += weight(k);
        } else {
            right.push(k);
            wr += weight(k);
        }
    }
    let (mut start, mut group) = (0, 0);
    while start < batch.num_rows() {
        let len = group_rows.min(batch.num_rows() - start);
        let part = batch.slice(start, len);
        let mut writers: Vec<Option<ArrowColumnWriter>> = factory
            .create_column_writers(group)
            .map_err(malformed)?
            .into_iter()
            .map(Some)
            .collect();
        // One leaf per column (the columns are flat).
        if writers.len() != schema.fields().len() {
            return Err(malformed("a nested column in the summary batch"));
        }
        let encode = |cols: &[usize], ws: Vec<ArrowColumnWriter>| {
            cols.iter()
                .zip(ws)
                .map(|(&k, mut cw)| {
                    for leaf in compute_leaves(schema.field(k), part.column(k))? {
                        cw.write(&leaf)?;
                    }
                    cw.close()
                })
                .collect::<parquet::errors::Result<Vec<ArrowColumnChunk>>>()
        };
        let mut take = |cols: &[usize]| -> Vec<ArrowColumnWriter> {
            cols.iter().filter_map(|&k| writers[k].take()).collect()
        };
        let helper = std::sync::Mutex::new(Some(take(&left)));
        let here = take(&right);
        let (a, b) = crate::par::join(
            &|| {
                let ws = helper.lock().ok().and_then(|mut g| g.take());
                encode(&left, ws.unwrap_or_default())
            },
            || encode(&right, here),
        );
        let mut chunks: Vec<Option<ArrowColumnChunk>> =
            (0..schema.fields().len()).map(|_| None).collect();
        for (&k, c) in left.iter().zip(a.map_err(malformed)?) {
            chunks[k] = Some(c);
        }
        for (&k, c) in right.iter().zip(b.map_err(malformed)?) {
            chunks[k] = Some(c);
        }
        let mut rg = file.next_row_group().map_err(malformed)?;
        for c in chunks.into_iter().flatten() {
            c.append_to_row_group(&mut rg).map_err(malformed)?;
        }
        rg.close().map_err(malformed)?;
        start += len;
        group += 1;
    }
    file.close().map_err(malformed)?;
    Ok(())
}
