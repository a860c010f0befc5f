//! Apache Parquet input and output (feature `parquet`, via arrow-rs).

use std::fs::File;
use std::io::Read;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rust_decimal::Decimal;

use super::columns::resolve;
use super::ingest::{Ingested, Ingestor, OrderSink, Row, Val};
use super::options::ReadOptions;
use crate::model::day_to_date;
use crate::table::{Column, Table};
use crate::{Error, Location, Result};

/// Rows whose customer lookups are warmed at once (see `Ingestor::warm_customers`).
const WARM: usize = 2048;

/// A `malformed_input` error for a Parquet decoding failure.
pub(crate) fn malformed(e: impl std::fmt::Display) -> Error {
    Error::Malformed {
        location: Location::default(),
        reason: format!("Parquet: {e}"),
    }
}

/// Reads an order log from a Parquet file. Only the mapped columns are decoded.
pub fn read_parquet<R: Read>(mut reader: R, opts: &ReadOptions) -> Result<Ingested> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(|e| Error::Io {
        path: "<parquet>".into(),
        source: e,
    })?;
    read_parquet_bytes(bytes::Bytes::from(bytes), opts)
}

/// Reads an order log from a Parquet file on disk (streamed, not loaded whole).
pub fn read_parquet_file(file: File, opts: &ReadOptions) -> Result<Ingested> {
    let builder = crate::model::OrderLogBuilder::new(opts.tz()?);
    Ok(parquet_file_into(file, opts, builder)?.finish())
}

/// Reads a Parquet file on disk into `sink` (stopping early if the sink gives up).
pub(crate) fn parquet_file_into<S: OrderSink>(
    file: File,
    opts: &ReadOptions,
    sink: S,
) -> Result<Ingestor<S>> {
    let b = ParquetRecordBatchReaderBuilder::try_new(file).map_err(malformed)?;
    read_with(b, opts, sink)
}

/// Reads an order log from Parquet bytes.
pub fn read_parquet_bytes(bytes: bytes::Bytes, opts: &ReadOptions) -> Result<Ingested> {
    let b = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(malformed)?;
    let builder = crate::model::OrderLogBuilder::new(opts.tz()?);
    Ok(read_with(b, opts, builder)?.finish())
}

fn read_with<T: parquet::file::reader::ChunkReader + 'static, S: OrderSink>(
    b: ParquetRecordBatchReaderBuilder<T>,
    opts: &ReadOptions,
    sink: S,
) -> Result<Ingestor<S>> {
    let schema = b.schema().clone();
    let header: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let r = resolve(&header, &opts.columns)?;
    let mut wanted: Vec<usize> = r.roles().iter().flatten().copied().collect();
    wanted.sort_unstable();
    wanted.dedup();
    let total = b.metadata().file_metadata().num_rows();
    let mask = ProjectionMask::roots(b.parquet_schema(), wanted.iter().copied());
    let reader = b
        .with_projection(mask)
        .with_batch_size(65_536)
        .build()
        .map_err(malformed)?;
    // Position of each role within the projected batch.
    let pos = |role: Option<usize>| role.and_then(|c| wanted.iter().position(|&w| w == c));
    let p = r.roles().map(pos);
    let total = usize::try_from(total).unwrap_or(0);
    ingest_batches(&schema, &r, p, total, opts, sink, |consume| {
        drive_reader(reader, consume)
    })
}

/// Feeds decoded batches to `consume` until it returns `false`, decoding on a second thread
/// while this one ingests.
#[cfg(not(target_arch = "wasm32"))]
fn drive_reader(
    reader: parquet::arrow::arrow_reader::ParquetRecordBatchReader,
    consume: &mut dyn FnMut(RecordBatch) -> Result<bool>,
) -> Result<()> {
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel(4);
        scope.spawn(move || {
            for batch in reader {
                if tx.send(batch).is_err() {
                    break; // the consumer stopped at an error
                }
            }
        });
        for batch in rx {
            if !consume(batch.map_err(malformed)?)? {
                break; // dropping `rx` stops the decoder
            }
        }
        Ok(())
    })
}

/// Feeds decoded batches to `consume` until it returns `false` (wasm32 has no threads).
#[cfg(target_arch = "wasm32")]
fn drive_reader(
    reader: parquet::arrow::arrow_reader::ParquetRecordBatchReader,
    consume: &mut dyn FnMut(RecordBatch) -> Result<bool>,
) -> Result<()> {
    for batch in reader {
        if !consume(batch.map_err(malformed)?)? {
            break;
        }
    }
    Ok(())
}

/// Reads an order log from Arrow record batches (pandas / Polars / pyarrow frames through the
/// Arrow C interfaces, Arrow IPC), with the same column detection, types and policies as a
/// Parquet file. No copy of the data is made.
pub fn read_record_batches(
    schema: &Schema,
    batches: &[RecordBatch],
    opts: &ReadOptions,
) -> Result<Ingested> {
    let header: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let r = resolve(&header, &opts.columns)?;
    let p = r.roles();
    let total = batches.iter().map(RecordBatch::num_rows).sum();
    let builder = crate::model::OrderLogBuilder::new(opts.tz()?);
    Ok(
        ingest_batches(schema, &r, p, total, opts, builder, |consume| {
            for b in batches {
                if !consume(b.clone())? {
                    break;
                }
            }
            Ok(())
        })?
        .finish(),
    )
}

/// Runs every batch `drive` feeds through one ingestor into `sink`. `p` gives each role's
/// column position within the batches. `drive` stops when its consumer returns `false` (the
/// sink gave up).
fn ingest_batches<S: OrderSink>(
    schema: &Schema,
    r: &super::columns::Resolved,
    p: [Option<usize>; 10],
    total: usize,
    opts: &ReadOptions,
    sink: S,
    drive: impl FnOnce(&mut dyn FnMut(RecordBatch) -> Result<bool>) -> Result<()>,
) -> Result<Ingestor<S>> {
    let mut ing = Ingestor::with_sink(opts, r.names.clone(), sink)?;
    ing.reserve(total);
    // An Arrow timestamp without a time zone is a wall-clock time (pandas writes naive
    // datetimes so): read it as local time in `opts.timezone`, like a naive text time.
    let naive_time = r
        .time
        .is_some_and(|c| matches!(schema.field(c).data_type(), DataType::Timestamp(_, None)));
    let tz = opts.tz()?;
    let mut naive_buf = String::new();
    let mut row_no: u64 = 0;
    let mut itoa_buf = String::new();
    let mut consume = |batch: RecordBatch| -> Result<bool> {
        let mut cols: Vec<Option<Col<'_>>> = Vec::with_capacity(p.len());
        for x in &p {
            let c = x.map(|i| Col::new(batch.column(i)));
            // An unreadable type must not become one text value for every row (all rows one
            // customer, or one order): stop and name the column.
            if let (Some(i), Some(Col::Unsupported(t))) = (x, &c) {
                return Err(Error::Unsupported(format!(
                    "Parquet column '{}' has type {t}; cast it to text, a number, a date or a timestamp",
                    batch.schema().field(*i).name()
                )));
            }
            cols.push(c);
        }
        for i in 0..batch.num_rows() {
            if i % WARM == 0 {
                if let Some(Col::Str(_, f)) = cols[0].as_ref() {
                    let end = (i + WARM).min(batch.num_rows());
                    ing.warm_customers((i..end).map(|k| f(k).trim()));
                }
            }
            row_no += 1;
            let g = |k: usize| cols[k].as_ref().map_or(Val::Null, |c| c.get(i));
            let mut row = Row {
                customer: g(0),
                order: g(1),
                time: g(2),
                amount: g(3),
                quantity: g(4),
                unit_price: g(5),
                currency: g(6),
                status: g(7),
                kind: g(8),
                subscription: g(9),
            };
            // Integer order ids become text without a per-row allocation.
            if let Val::Int(v) = row.order {
                itoa_buf.clear();
                std::fmt::Write::write_fmt(&mut itoa_buf, format_args!("{v}")).ok();
                row.order = Val::Str(&itoa_buf);
            }
            if let (true, Val::Unix(wall)) = (naive_time, row.time) {
                row.time = match chrono::DateTime::from_timestamp(wall, 0).map(|t| t.naive_utc()) {
                    Some(local) => match chrono::TimeZone::from_local_datetime(&tz, &local) {
                        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
                            Val::Unix(t.timestamp())
                        }
                        // Skipped by a daylight-saving change: passed on as text, rejected as invalid_time.
                        chrono::LocalResult::None => {
                            naive_buf = local.format("%Y-%m-%d %H:%M:%S").to_string();
                            Val::Str(&naive_buf)
                        }
                    },
                    None => Val::Null,
                };
            }
            ing.row(row_no, &row)?;
        }
        Ok(!ing.abandoned())
    };
    drive(&mut consume)?;
    Ok(ing)
}

/// Typed access to one Arrow column.
enum Col<'a> {
    Str(&'a dyn Array, Box<dyn Fn(usize) -> &'a str + 'a>),
    Int(&'a dyn Array, Box<dyn Fn(usize) -> i64 + 'a>),
    Float(&'a dyn Array, Box<dyn Fn(usize) -> f64 + 'a>),
    Dec(&'a dyn Array, Box<dyn Fn(usize) -> i128 + 'a>, u32),
    Unix(&'a dyn Array, Box<dyn Fn(usize) -> i64 + 'a>),
    Date(&'a dyn Array, Box<dyn Fn(usize) -> i32 + 'a>),
    /// Dictionary-encoded values (pandas and Polars categoricals): the values column and the
    /// value index of each row.
    Dict(&'a dyn Array, Box<Col<'a>>, Vec<usize>),
    Unsupported(String),
}

impl<'a> Col<'a> {
    fn new(a: &'a ArrayRef) -> Self {
        let arr: &'a dyn Array = a.as_ref();
        match a.data_type() {
            DataType::Utf8 => {
                let s = a.as_string::<i32>();
                Col::Str(arr, Box::new(move |i| s.value(i)))
            }
            DataType::LargeUtf8 => {
                let s = a.as_string::<i64>();
                Col::Str(arr, Box::new(move |i| s.value(i)))
            }
            DataType::Utf8View => {
                let s = a.as_string_view();
                Col::Str(arr, Box::new(move |i| s.value(i)))
            }
            DataType::Int64 => {
                let s = a.as_primitive::<Int64Type>();
                Col::Int(arr, Box::new(move |i| s.value(i)))
            }
            DataType::Int32 => {
                let s = a.as_primitive::<Int32Type>();
                Col::Int(arr, Box::new(move |i| i64::from(s.value(i))))
            }
            DataType::Int16 => {
                let s = a.as_primitive::<Int16Type>();
                Col::Int(arr, Box::new(move |i| i64::from(s.value(i))))
            }
            DataType::Int8 => {
                let s = a.as_primitive::<Int8Type>();
                Col::Int(arr, Box::new(move |i| i64::from(s.value(i))))
            }
            DataType::UInt32 => {
                let s = a.as_primitive::<UInt32Type>();
                Col::Int(arr, Box::new(move |i| i64::from(s.value(i))))
            }
            DataType::UInt64 => {
                let s = a.as_primitive::<UInt64Type>();
                Col::Int(
                    arr,
                    Box::new(move |i| i64::try_from(s.value(i)).unwrap_or(i64::MAX)),
                )
            }
            DataType::Float64 => {
                let s = a.as_primitive::<Float64Type>();
                Col::Float(arr, Box::new(move |i| s.value(i)))
            }
            DataType::Float32 => {
                let s = a.as_primitive::<Float32Type>();
                Col::Float(arr, Box::new(move |i| f64::from(s.value(i))))
            }
            DataType::Decimal128(_, scale) if *scale >= 0 => {
                let s = a.as_primitive::<arrow_array::types::Decimal128Type>();
                Col::Dec(arr, Box::new(move |i| s.value(i)), *scale as u32)
            }
            DataType::Date32 => {
                let s = a.as_primitive::<Date32Type>();
                Col::Date(arr, Box::new(move |i| s.value(i)))
            }
            DataType::Timestamp(unit, _) => match unit {
                TimeUnit::Second => {
                    let s = a.as_primitive::<TimestampSecondType>();
                    Col::Unix(arr, Box::new(move |i| s.value(i)))
                }
                TimeUnit::Millisecond => {
                    let s = a.as_primitive::<TimestampMillisecondType>();
                    Col::Unix(arr, Box::new(move |i| s.value(i).div_euclid(1_000)))
                }
                TimeUnit::Microsecond => {
                    let s = a.as_primitive::<TimestampMicrosecondType>();
                    Col::Unix(arr, Box::new(move |i| s.value(i).div_euclid(1_000_000)))
                }
                TimeUnit::Nanosecond => {
                    let s = a.as_primitive::<TimestampNanosecondType>();
                    Col::Unix(arr, Box::new(move |i| s.value(i).div_euclid(1_000_000_000)))
                }
            },
            DataType::Dictionary(_, _) => {
                let d = a.as_any_dictionary();
                Col::Dict(arr, Box::new(Col::new(d.values())), d.normalized_keys())
            }
            other => Col::Unsupported(other.to_string()),
        }
    }

    fn get(&self, i: usize) -> Val<'_> {
        let null = |a: &dyn Array| a.is_null(i);
        match self {
            Col::Str(a, f) => {
                if null(*a) {
                    Val::Null
                } else {
                    Val::Str(f(i))
                }
            }
            Col::Int(a, f) => {
                if null(*a) {
                    Val::Null
                } else {
                    Val::Int(f(i))
                }
            }
            Col::Float(a, f) => {
                if null(*a) {
                    Val::Null
                } else {
                    Val::Float(f(i))
                }
            }
            Col::Dec(a, f, s) => {
                if null(*a) {
                    Val::Null
                } else {
                    Decimal::try_from_i128_with_scale(f(i), *s)
                        .map_or(Val::Str("<decimal out of range>"), Val::Dec)
                }
            }
            Col::Unix(a, f) => {
                if null(*a) {
                    Val::Null
                } else {
                    Val::Unix(f(i))
                }
            }
            Col::Date(a, f) => {
                if null(*a) {
                    Val::Null
                } else {
                    Val::Date(day_to_date(f(i)))
                }
            }
            Col::Dict(a, values, keys) => {
                if null(*a) {
                    Val::Null
                } else {
                    values.get(keys[i])
                }
            }
            Col::Unsupported(s) => Val::Str(s),
        }
    }
}

/// A [`Table`] as one Arrow record batch (money stays exact, as decimal strings; dates as
/// `Date32`). What the Parquet writer and the Python binding's frames are made of.
pub fn table_to_record_batch(t: &Table) -> Result<RecordBatch> {
    use arrow_array::{BooleanArray, Date32Array, Float64Array, Int64Array, StringArray};
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (name, c) in t.names.iter().zip(&t.columns) {
        let (dt, a): (DataType, ArrayRef) = match c {
            Column::Str(v) => (
                DataType::Utf8,
                Arc::new(v.iter().map(Option::as_deref).collect::<StringArray>()),
            ),
            Column::Int(v) => (
                DataType::Int64,
                Arc::new(v.iter().copied().collect::<Int64Array>()),
            ),
            Column::Float(v) => (
                DataType::Float64,
                Arc::new(v.iter().copied().collect::<Float64Array>()),
            ),
            Column::Bool(v) => (
                DataType::Boolean,
                Arc::new(v.iter().copied().collect::<BooleanArray>()),
            ),
            Column::Date(v) => (
                DataType::Date32,
                Arc::new(
                    v.iter()
                        .map(|d| d.map(crate::model::date_to_day))
                        .collect::<Date32Array>(),
                ),
            ),
        };
        fields.push(Field::new(name, dt, true));
        arrays.push(a);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(malformed)
}

/// Writes a [`Table`] as Parquet (zstd).
pub fn write_table_parquet<W: std::io::Write + Send>(t: &Table, w: W) -> Result<()> {
    let batch = table_to_record_batch(t)?;
    let schema = batch.schema();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(
            parquet::basic::ZstdLevel::default(),
        ))
        .build();
    let mut wr = parquet::arrow::ArrowWriter::try_new(w, schema, Some(props)).map_err(malformed)?;
    wr.write(&batch).map_err(malformed)?;
    wr.close().map_err(malformed)?;
    Ok(())
}

/// Streams simulated orders into a Parquet file in row groups of 1M orders.
pub struct SimParquetWriter<W: std::io::Write + Send> {
    writer: parquet::arrow::ArrowWriter<W>,
    schema: Arc<Schema>,
    currency: String,
    customer: Vec<String>,
    order: Vec<String>,
    placed_at: Vec<i64>,
    amount: Vec<i64>,
    status: Vec<&'static str>,
    kind: Vec<&'static str>,
    subscription: Vec<Option<String>>,
}

impl<W: std::io::Write + Send> SimParquetWriter<W> {
    const CHUNK: usize = 1 << 20;

    /// A writer with the simulator's schema.
    pub fn new(w: W, currency: &str) -> Result<Self> {
        let schema = Arc::new(Schema::new(vec![
            Field::new("customer_id", DataType::Utf8, false),
            Field::new("order_id", DataType::Utf8, false),
            Field::new(
                "placed_at",
                DataType::Timestamp(TimeUnit::Second, Some("UTC".into())),
                false,
            ),
            Field::new("amount", DataType::Int64, false),
            Field::new("currency", DataType::Utf8, false),
            Field::new("status", DataType::Utf8, false),
            Field::new("kind", DataType::Utf8, false),
            Field::new("subscription_id", DataType::Utf8, true),
        ]));
        let props = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .build();
        let writer = parquet::arrow::ArrowWriter::try_new(w, schema.clone(), Some(props))
            .map_err(malformed)?;
        Ok(Self {
            writer,
            schema,
            currency: currency.to_owned(),
            customer: Vec::new(),
            order: Vec::new(),
            placed_at: Vec::new(),
            amount: Vec::new(),
            status: Vec::new(),
            kind: Vec::new(),
            subscription: Vec::new(),
        })
    }

    /// Adds one order.
    pub fn push(&mut self, o: &crate::simulate::SimOrder) -> Result<()> {
        self.customer.push(format!("{:08}", o.customer));
        self.order.push(format!("O{:010}", o.order));
        self.placed_at.push(o.placed_at);
        self.amount.push(o.amount);
        self.status.push(o.status.as_str());
        self.kind.push(o.kind.as_str());
        self.subscription
            .push((o.subscription > 0).then(|| format!("S{:08}", o.subscription)));
        if self.customer.len() >= Self::CHUNK {
            self.flush()
        } else {
            Ok(())
        }
    }

    fn flush(&mut self) -> Result<()> {
        use arrow_array::{Int64Array, StringArray, TimestampSecondArray};
        if self.customer.is_empty() {
            return Ok(());
        }
        let n = self.customer.len();
        let cols: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(self.customer.drain(..))),
            Arc::new(StringArray::from_iter_values(self.order.drain(..))),
            Arc::new(
                TimestampSecondArray::from(std::mem::take(&mut self.placed_at))
                    .with_timezone("UTC"),
            ),
            Arc::new(Int64Array::from(std::mem::take(&mut self.amount))),
            Arc::new(StringArray::from_iter_values(std::iter::repeat_n(
                self.currency.as_str(),
                n,
            ))),
            Arc::new(StringArray::from_iter_values(self.status.drain(..))),
            Arc::new(StringArray::from_iter_values(self.kind.drain(..))),
            Arc::new(self.subscription.drain(..).collect::<StringArray>()),
        ];
        let batch = RecordBatch::try_new(self.schema.clone(), cols).map_err(malformed)?;
        self.writer.write(&batch).map_err(malformed)
    }

    /// Writes the last rows and the footer.
    pub fn finish(mut self) -> Result<()> {
        self.flush()?;
        self.writer.close().map_err(malformed)?;
        Ok(())
    }
}
