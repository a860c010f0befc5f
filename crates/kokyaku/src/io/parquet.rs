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
use arrow_array::{
    Array, ArrayRef, BooleanArray, LargeStringArray, RecordBatch, StringArray, StringViewArray,
};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use rust_decimal::Decimal;

use super::columns::resolve;
use super::ingest::{Ingested, Ingestor, OrderSink, Row, Val};
use super::options::DuplicateOrder;
use super::options::ReadOptions;
use super::plain::{
    CANCELLED, Customers, DictSource, Join, KIND_SUBSCRIPTION, NumberedIds, OrderRun, PlainBatch,
    SUBSCRIPTION, digits_value, same,
};
use super::time::TimeParser;
use crate::model::{Day, OrderKind, OrderStatus, day_in_tz, day_to_date};
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

/// A [`ChunkReader`](parquet::file::reader::ChunkReader) whose readers fail at the end of the
/// data instead of reading 0 bytes.
///
/// arrow-rs reads page headers through `get_read`, and its Thrift reader skips unknown fields
/// with `io::copy`, which takes a short read as success: a damaged header declaring a list of
/// 2^31 skipped fields at the end of the file then loops for hours, one `read` call per field
/// (found by the `parquet` fuzz target; see `tests/parquet_damaged.rs`). Every read the decoder
/// makes through `get_read` has a known length (a header, a page), so running out of data there
/// is damage, reported as `malformed_input`.
pub(crate) struct Strict<C>(pub std::sync::Arc<C>);

impl<C: parquet::file::reader::Length> parquet::file::reader::Length for Strict<C> {
    fn len(&self) -> u64 {
        self.0.len()
    }
}

impl<C: parquet::file::reader::ChunkReader> parquet::file::reader::ChunkReader for Strict<C> {
    type T = StrictRead<C::T>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(StrictRead(self.0.get_read(start)?))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<bytes::Bytes> {
        self.0.get_bytes(start, length)
    }
}

/// The reader of [`Strict`]: end of data is an `UnexpectedEof` error.
pub(crate) struct StrictRead<R>(R);

impl<R: Read> Read for StrictRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        if n == 0 && !buf.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the file ends inside a page header",
            ));
        }
        Ok(n)
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

/// The number of rows to reserve room for: the footer's row count, which is only a claim (a
/// damaged or hostile footer may claim billions of rows in a few bytes), bounded by
/// [`MAX_ROWS_PER_BYTE`] rows per byte of the file. The bound only limits what is reserved
/// up front; a file with more rows than it still reads them all.
fn rows_hint(claimed_rows: i64, file_bytes: u64) -> usize {
    let claimed = u64::try_from(claimed_rows).unwrap_or(0);
    let bound = file_bytes.saturating_mul(MAX_ROWS_PER_BYTE);
    usize::try_from(claimed.min(bound)).unwrap_or(usize::MAX)
}

/// Rows per byte of a Parquet file that [`rows_hint`] believes. Order logs take 15-30 bytes a
/// row compressed (the benchmark files take 18-117), so four rows a byte is far above any real
/// log and still keeps what one byte can make the reader reserve small.
const MAX_ROWS_PER_BYTE: u64 = 4;

/// Checks the first page header of each wanted column chunk: a dictionary page of a
/// fixed-width type must hold the values it claims.
///
/// arrow-rs sizes a primitive column's dictionary from the page header's value count before it
/// decodes a value (`DictDecoder::set_dict`), so a damaged header claiming 2^31 values in a
/// page of a few bytes made it allocate and fill gigabytes before it failed (the `parquet` fuzz
/// target's out-of-memory input, `tests/data/parquet_dictionary_claim_oom.parquet`). A plain
/// dictionary of a fixed-width type takes exactly `width` bytes a value, so the check rejects
/// only damaged files. A header this reader does not follow is left to arrow-rs.
pub(crate) fn check_dictionary_pages<T: parquet::file::reader::ChunkReader>(
    chunks: &T,
    meta: &parquet::file::metadata::ParquetMetaData,
    wanted: &[usize],
) -> Result<()> {
    use parquet::basic::Type;
    for (g, group) in meta.row_groups().iter().enumerate() {
        for &c in wanted {
            let Some(col) = group.columns().get(c) else {
                continue;
            };
            let width: u64 = match col.column_type() {
                Type::INT32 | Type::FLOAT => 4,
                Type::INT64 | Type::DOUBLE => 8,
                Type::INT96 => 12,
                Type::FIXED_LEN_BYTE_ARRAY => {
                    u64::try_from(col.column_descr().type_length()).unwrap_or(0)
                }
                Type::BOOLEAN | Type::BYTE_ARRAY => continue,
            };
            let start = col
                .dictionary_page_offset()
                .unwrap_or_else(|| col.data_page_offset());
            let (Ok(start), Ok(len)) = (u64::try_from(start), u64::try_from(col.compressed_size()))
            else {
                continue;
            };
            let len = len.min(chunks.len().saturating_sub(start)).min(HEADER_PEEK);
            let Ok(head) = chunks.get_bytes(start, usize::try_from(len).unwrap_or(0)) else {
                continue;
            };
            if let Some((values, bytes)) = dictionary_page_claim(&head) {
                if values.saturating_mul(width) > bytes {
                    return Err(malformed(format_args!(
                        "the dictionary page of column '{}' in row group {g} claims \
                             {values} values of {width} bytes in a page of {bytes} bytes; the file \
                             is damaged (write it again)",
                        col.column_path().string()
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Checks that the row groups' row counts are counts: arrow-rs adds them up as `usize` when
/// it builds a reader, so a damaged footer's negative or huge count overflowed there (a panic
/// with overflow checks, as in debug builds; fuzz find of 2026-12-06).
fn check_row_counts(meta: &parquet::file::metadata::ParquetMetaData) -> Result<()> {
    let mut total: usize = 0;
    for (g, group) in meta.row_groups().iter().enumerate() {
        let n = usize::try_from(group.num_rows()).map_err(|_| {
            malformed(format_args!(
                "row group {g} claims {} rows; the file is damaged (write it again)",
                group.num_rows()
            ))
        })?;
        total = total.checked_add(n).ok_or_else(|| {
            malformed("the row groups claim more rows than can be counted; the file is damaged (write it again)")
        })?;
    }
    Ok(())
}

/// Bytes of a column chunk's start read for its first page header.
const HEADER_PEEK: u64 = 256;

/// The value count and uncompressed byte size a page header claims, if it heads a dictionary
/// page: the fields `type` (1), `uncompressed_page_size` (2) and
/// `dictionary_page_header.num_values` (7.1) of Parquet's `PageHeader`, in Thrift's compact
/// protocol. `None` for any other page, or a header this short reader does not follow (a field
/// it does not expect before the dictionary header).
fn dictionary_page_claim(head: &[u8]) -> Option<(u64, u64)> {
    const I32: u8 = 5;
    const STRUCT: u8 = 12;
    const DICTIONARY_PAGE: i64 = 2;
    let mut at = 0usize;
    let varint = |at: &mut usize| -> Option<i64> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = *head.get(*at)?;
            *at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                let signed = (v >> 1) as i64 ^ -((v & 1) as i64);
                return Some(signed);
            }
        }
        None
    };
    let (mut kind, mut size) = (None, None);
    let mut field: i64 = 0;
    loop {
        let b = *head.get(at)?;
        at += 1;
        if b == 0 {
            return None;
        }
        let delta = i64::from(b >> 4);
        field = if delta == 0 {
            varint(&mut at)?
        } else {
            field + delta
        };
        match (field, b & 0x0f) {
            (1..=4, I32) => {
                let v = varint(&mut at)?;
                match field {
                    1 => kind = Some(v),
                    2 => size = Some(v),
                    _ => {}
                }
            }
            (7, STRUCT) => {
                if kind != Some(DICTIONARY_PAGE) {
                    return None;
                }
                let f = *head.get(at)?;
                at += 1;
                // Field 1 (`num_values`), whatever type the header gives it: arrow-rs reads its
                // varint as the count even when the type is damaged (a fuzz find declared it a
                // set and claimed 10^17 values).
                if f >> 4 != 1 {
                    return None;
                }
                let values = u64::try_from(varint(&mut at)?).ok()?;
                return Some((values, u64::try_from(size?).ok()?));
            }
            _ => return None,
        }
    }
}

/// Rows per decoded batch.
const BATCH_ROWS: usize = 65_536;

/// Reads a Parquet file on disk into `sink` (stopping early if the sink gives up).
pub(crate) fn parquet_file_into<S: OrderSink>(
    file: File,
    opts: &ReadOptions,
    sink: S,
) -> Result<Ingestor<S>> {
    parquet_file_into_batches(file, opts, sink, BATCH_ROWS)
}

/// [`parquet_file_into`] in batches of `batch_rows` rows (tests use tiny ones).
pub(crate) fn parquet_file_into_batches<S: OrderSink>(
    file: File,
    opts: &ReadOptions,
    sink: S,
    batch_rows: usize,
) -> Result<Ingestor<S>> {
    read_with(&std::sync::Arc::new(file), opts, sink, batch_rows)
}

/// Reads an order log from Parquet bytes.
pub fn read_parquet_bytes(bytes: bytes::Bytes, opts: &ReadOptions) -> Result<Ingested> {
    let builder = crate::model::OrderLogBuilder::new(opts.tz()?);
    Ok(read_with(&std::sync::Arc::new(bytes), opts, builder, BATCH_ROWS)?.finish())
}

fn read_with<T: parquet::file::reader::ChunkReader + 'static, S: OrderSink>(
    chunks: &std::sync::Arc<T>,
    opts: &ReadOptions,
    sink: S,
    batch_rows: usize,
) -> Result<Ingestor<S>> {
    let file_bytes = chunks.len();
    let meta = ArrowReaderMetadata::load(&Strict(chunks.clone()), ArrowReaderOptions::default())
        .map_err(malformed)?;
    let schema = meta.schema().clone();
    let header: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let r = resolve(&header, &opts.columns)?;
    let mut wanted: Vec<usize> = r.roles().iter().flatten().copied().collect();
    wanted.sort_unstable();
    wanted.dedup();
    let total = meta.metadata().file_metadata().num_rows();
    check_row_counts(meta.metadata())?;
    check_dictionary_pages(&**chunks, meta.metadata(), &wanted)?;
    // Position of each role within the projected batch.
    let pos = |role: Option<usize>| role.and_then(|c| wanted.iter().position(|&w| w == c));
    let p = r.roles().map(pos);
    let total = rows_hint(total, file_bytes);
    // Customer ids of an Arrow dictionary type whose row groups each carry the dictionary:
    // read so that a dictionary repeated in every row group is decoded once.
    let repeated = r
        .customer
        .and_then(|c| super::parquet_dict::plan(meta.metadata(), &schema, c, &wanted, file_bytes));
    let batches: Batches = if let Some(plan) = repeated {
        Box::new(super::parquet_dict::Groups::new(
            chunks.clone(),
            meta,
            &wanted,
            plan,
            batch_rows,
        ))
    } else {
        let mask = ProjectionMask::roots(meta.parquet_schema(), wanted.iter().copied());
        let reader =
            ParquetRecordBatchReaderBuilder::new_with_metadata(Strict(chunks.clone()), meta)
                .with_projection(mask)
                .with_batch_size(batch_rows.max(1))
                .build()
                .map_err(malformed)?;
        Box::new(reader.map(|b| b.map_err(malformed)))
    };
    ingest_batches(&schema, &r, p, total, opts, sink, |prepare, consume| {
        drive_reader(batches, prepare, consume)
    })
}

/// Decoded batches of a Parquet file, in file order.
type Batches = Box<dyn Iterator<Item = Result<RecordBatch>> + Send>;

/// The `malformed_input` error for a Parquet file whose decoder panicked.
#[cfg(not(target_arch = "wasm32"))]
fn decoder_panic(panic: &(dyn std::any::Any + Send)) -> Error {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "the decoder stopped".to_owned());
    malformed(format!(
        "the Parquet decoder failed on this file ({what}): the file is damaged or not Parquet; write it again"
    ))
}

/// Runs `prepare` on each decoded batch and feeds both to `consume` until it returns
/// `false`: decoding on a second thread while this one ingests. Each batch is prepared by
/// whichever thread has room: by the decoder while batches wait for this thread (it is
/// behind), else here, when it would otherwise wait for the decoder (a dictionary of
/// millions of ids in every row group, or UUIDs to parse, make decoding the slow side).
/// `prepare` is a function of the batch alone, so where it ran does not change a result.
#[cfg(not(target_arch = "wasm32"))]
fn drive_reader(
    reader: Batches,
    prepare: &(dyn Fn(&RecordBatch) -> Option<PlainBatch> + Sync),
    consume: &mut dyn FnMut(RecordBatch, Option<PlainBatch>) -> Result<bool>,
) -> Result<()> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    // Batches sent and not yet taken.
    let waiting = AtomicUsize::new(0);
    std::thread::scope(|scope| -> Result<()> {
        // Up to 8 decoded batches wait (512K rows): the two threads take turns being the slow
        // one (the decoder at a row group's start, decoding its dictionary; the ingester just
        // after, meeting that dictionary's values), and each runs ahead while the other is.
        let (tx, rx) = std::sync::mpsc::sync_channel(8);
        let waiting = &waiting;
        scope.spawn(move || {
            let mut reader = reader;
            loop {
                // arrow-rs panics on some damaged files (found by the parquet fuzz target, e.g.
                // a page header that lies about its size): a bad file is a typed error, never a
                // panic that reaches Python, Node or the CLI.
                let next = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| reader.next()));
                let prepared = match next {
                    Ok(None) => break,
                    Ok(Some(batch)) => batch.map(|b| {
                        // `None`: not prepared (the ingesting thread waits; it prepares).
                        let plain = (waiting.load(Ordering::Relaxed) >= PREPARE_WAITING)
                            .then(|| prepare(&b));
                        (b, plain)
                    }),
                    Err(panic) => Err(decoder_panic(&*panic)),
                };
                let stop = prepared.is_err();
                waiting.fetch_add(1, Ordering::Relaxed);
                if tx.send(prepared).is_err() || stop {
                    break; // the consumer stopped at an error, or the decoder cannot go on
                }
            }
        });
        for batch in rx {
            waiting.fetch_sub(1, Ordering::Relaxed);
            let (b, plain) = batch?;
            let plain = plain.unwrap_or_else(|| prepare(&b));
            if !consume(b, plain)? {
                break; // dropping `rx` stops the decoder
            }
        }
        Ok(())
    })
}

/// Decoded batches waiting for the ingesting thread from which the decoder prepares the next
/// one itself (see `drive_reader`).
#[cfg(not(target_arch = "wasm32"))]
const PREPARE_WAITING: usize = 1;

/// Runs `prepare` on each decoded batch and feeds both to `consume` until it returns `false`
/// (wasm32 has no threads).
#[cfg(target_arch = "wasm32")]
fn drive_reader(
    reader: Batches,
    prepare: &(dyn Fn(&RecordBatch) -> Option<PlainBatch> + Sync),
    consume: &mut dyn FnMut(RecordBatch, Option<PlainBatch>) -> Result<bool>,
) -> Result<()> {
    for batch in reader {
        let b = batch?;
        let plain = prepare(&b);
        if !consume(b, plain)? {
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
    // In slices, each prepared on a second thread while this one adds the previous to the log.
    let builder = crate::model::OrderLogBuilder::new(opts.tz()?);
    Ok(super::batches::batches_into(schema, batches, opts, builder)?.finish())
}

/// What `ingest_batches` hands its driver: the preparation of each batch (the plain batch, if
/// the sink takes them; run on the decoding thread), and the consumer of each batch.
type Prepare<'a> = &'a (dyn Fn(&RecordBatch) -> Option<PlainBatch> + Sync);
type Consume<'a> = &'a mut dyn FnMut(RecordBatch, Option<PlainBatch>) -> Result<bool>;

/// Runs every batch `drive` feeds through one ingestor into `sink`. `p` gives each role's
/// column position within the batches. `drive` stops when its consumer returns `false` (the
/// sink gave up).
pub(crate) fn ingest_batches<S: OrderSink>(
    schema: &Schema,
    r: &super::columns::Resolved,
    p: [Option<usize>; 11],
    total: usize,
    opts: &ReadOptions,
    sink: S,
    drive: impl FnOnce(Prepare<'_>, Consume<'_>) -> Result<()>,
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
    let takes_plain = ing.takes_plain();
    let prepare = |batch: &RecordBatch| -> Option<PlainBatch> {
        if !takes_plain {
            return None;
        }
        let cols: Vec<Option<Col<'_>>> = p
            .iter()
            .enumerate()
            .map(|(role, x)| x.map(|i| Col::for_role(batch.column(i), role)))
            .collect();
        plain_batch(&cols, batch.num_rows(), opts, tz, naive_time)
    };
    let mut consume = |batch: RecordBatch, plain: Option<PlainBatch>| -> Result<bool> {
        if let Some(b) = plain {
            if ing.plain_batch(row_no + 1, &b)? {
                row_no += b.source_rows as u64;
                return Ok(!ing.abandoned());
            }
        }
        let mut cols: Vec<Option<Col<'_>>> = Vec::with_capacity(p.len());
        for (role, x) in p.iter().enumerate() {
            let c = x.map(|i| Col::for_role(batch.column(i), role));
            // An unreadable type must not become one text value for every row (all rows one
            // customer, or one order): stop and name the column.
            if let (
                Some(i),
                Some(Col {
                    data: Data::Unsupported(t),
                    ..
                }),
            ) = (x, &c)
            {
                let name = batch.schema().field(*i).name().clone();
                return Err(Error::Unsupported(if t == "Boolean" {
                    format!(
                        "column '{name}' has type Boolean, which is read only as the order kind \
                         (true: subscription); name it as the kind column, or cast it to text"
                    )
                } else {
                    format!(
                        "column '{name}' has type {t}; cast it to text, a number, a date or a timestamp"
                    )
                }));
            }
            cols.push(c);
        }
        for i in 0..batch.num_rows() {
            if i % WARM == 0 {
                let end = (i + WARM).min(batch.num_rows());
                match cols[0].as_ref() {
                    Some(c) if c.is_text() => {
                        ing.warm_customers((i..end).filter_map(|k| c.text(k)).map(str::trim));
                    }
                    Some(c) => ing.warm_customer_numbers((i..end).filter_map(|k| match c.get(k) {
                        Val::Int(v) => Some(v),
                        _ => None,
                    })),
                    None => {}
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
                sku: g(10),
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
    drive(&prepare, &mut consume)?;
    Ok(ing)
}

/// Role positions in [`Row`] order (see `ingest_batches`).
mod role {
    pub(super) const CUSTOMER: usize = 0;
    pub(super) const ORDER: usize = 1;
    pub(super) const TIME: usize = 2;
    pub(super) const AMOUNT: usize = 3;
    pub(super) const QUANTITY: usize = 4;
    pub(super) const UNIT_PRICE: usize = 5;
    pub(super) const CURRENCY: usize = 6;
    pub(super) const STATUS: usize = 7;
    pub(super) const KIND: usize = 8;
    pub(super) const SUBSCRIPTION: usize = 9;
    pub(super) const SKU: usize = 10;
}

/// Text columns of delimited text (one per role in [`Row`] order, each without nulls) as a
/// [`PlainBatch`] when every row is a plain new order, read as the per-row path reads text.
pub(crate) fn plain_text_batch(
    arrays: &[Option<ArrayRef>; 11],
    rows: usize,
    opts: &ReadOptions,
) -> Result<Option<PlainBatch>> {
    let tz = opts.tz()?;
    let cols: Vec<Option<Col<'_>>> = arrays.iter().map(|a| a.as_ref().map(Col::new)).collect();
    Ok(plain_batch(&cols, rows, opts, tz, false))
}

/// The batch as a [`PlainBatch`] when every row is a plain new order (see [`super::plain`]):
/// `None` when any row is not, or a column has a type the plain path does not read.
fn plain_batch(
    cols: &[Option<Col<'_>>],
    rows: usize,
    opts: &ReadOptions,
    tz: chrono_tz::Tz,
    naive_time: bool,
) -> Option<PlainBatch> {
    // An unreadable column type is an error of the per-row path, which names it.
    let unsupported = |c: &Col<'_>| matches!(c.data, Data::Unsupported(_));
    if rows == 0 || cols.iter().flatten().any(unsupported) {
        return None;
    }
    let ids = cols[role::CUSTOMER].as_ref()?;
    let customers = if let Some(v) = ids.ints(rows) {
        Customers::Ints(v)
    } else if let Data::Dict(values, keys) = &ids.data {
        dict_customers(ids, values, keys, rows)?
    } else {
        match NumberedIds::read(rows, IdBytes::of(ids)?) {
            Some(n) => Customers::Numbered(n),
            None => Customers::text(rows, IdBytes::of(ids)?)?,
        }
    };
    let orders = match &cols[role::ORDER] {
        None => None,
        Some(c) => {
            if let Some(v) = c.ints(rows) {
                Some(OrderRun::ints(&v, opts.cancel_prefix.as_deref())?)
            } else {
                let mut run = OrderRun::check(IdBytes::of(c)?, opts.cancel_prefix.as_deref())?;
                if !run.same_width {
                    (run.text, run.ends) = IdBytes::of(c)?.block()?;
                }
                Some(run)
            }
        }
    };
    let (days, secs, max_day) = plain_days(cols[role::TIME].as_ref()?, rows, tz, naive_time, opts)?;
    let currency = match &cols[role::CURRENCY] {
        None => None,
        Some(c) => {
            let first = c.text_at(0)?;
            for i in 1..rows {
                if c.text_at(i)? != first {
                    return None;
                }
            }
            first.map(str::to_owned)
        }
    };
    // Float amounts are in the currency's minor units, as row by row.
    let minor = match currency.as_deref() {
        Some(c) if !c.trim().is_empty() => Some(crate::model::minor_units(c)),
        _ => opts.currency.as_deref().map(crate::model::minor_units),
    };
    // Rows with a SKU are lines the per-row path checks (a blank SKU, an amount that is not
    // quantity x unit price): never plain. Without an amount, quantity x unit price.
    if cols[role::SKU].is_some() {
        return None;
    }
    let (units, max_units, scale) = match &cols[role::AMOUNT] {
        Some(a) => plain_units(a, rows, minor)?,
        None => line_units(
            cols[role::QUANTITY].as_ref()?,
            cols[role::UNIT_PRICE].as_ref()?,
            rows,
            minor,
        )?,
    };
    // Flags: status, kind and subscription id, each text (or absent).
    let mut flags = vec![0u8; rows];
    let mut cancelled = 0;
    if let Some(c) = &cols[role::STATUS] {
        let status = parse_rows(c, rows, |s| match s {
            None => Some(OrderStatus::Completed),
            Some(s) => OrderStatus::parse(s),
        })?;
        for (f, st) in flags.iter_mut().zip(status) {
            if st == OrderStatus::Cancelled {
                *f |= CANCELLED;
                cancelled += 1;
            }
        }
    }
    // Subscription ids (trimmed, as row by row; the grouped log keeps them) and the flag.
    let mut subscriptions = None;
    if let Some(c) = &cols[role::SUBSCRIPTION] {
        let mut text = String::new();
        let mut ends = Vec::with_capacity(rows);
        for (i, f) in flags.iter_mut().enumerate() {
            let id = c.text_at(i)?.map_or("", str::trim);
            if !id.is_empty() {
                *f |= SUBSCRIPTION | KIND_SUBSCRIPTION;
            }
            text.push_str(id);
            ends.push(u32::try_from(text.len()).ok()?);
        }
        subscriptions = Some((text, ends));
    }
    if let Some(c) = &cols[role::KIND] {
        // A blank kind follows the subscription id (already in the flag).
        let kind = parse_rows(c, rows, |s| match s {
            Some(s) if !s.trim().is_empty() => OrderKind::parse(s).map(Some),
            _ => Some(None),
        })?;
        for (f, k) in flags.iter_mut().zip(kind) {
            match k {
                Some(OrderKind::Subscription) => *f |= SUBSCRIPTION | KIND_SUBSCRIPTION,
                Some(OrderKind::OneOff) => *f &= !KIND_SUBSCRIPTION,
                None => {}
            }
        }
    }
    let join = match opts.duplicate_order {
        DuplicateOrder::SumLines => Join::SameTime,
        DuplicateOrder::SumAcrossTimes => Join::AnyTime,
        DuplicateOrder::KeepFirst | DuplicateOrder::Error => Join::No,
    };
    PlainBatch {
        rows,
        source_rows: rows,
        join,
        customers,
        orders,
        days,
        secs,
        max_day,
        units,
        max_units,
        scale,
        flags,
        cancelled,
        currency,
        subscriptions,
    }
    .fold_lines()
}

/// The customer ids of a dictionary-encoded column without nulls: integer values row by row
/// (as the per-row path reads them), text values each once ([`Customers::dict`]).
fn dict_customers(
    ids: &Col<'_>,
    values: &Col<'_>,
    keys: &[usize],
    rows: usize,
) -> Option<Customers> {
    if ids.nulls.is_some_and(|n| n.null_count() > 0) {
        return None;
    }
    let keys = keys.get(..rows)?;
    if let Some(v) = values.ints(values.len) {
        return keys
            .iter()
            .map(|&k| v.get(k).copied())
            .collect::<Option<Vec<i64>>>()
            .map(Customers::Ints);
    }
    let source = values.array.map(|a| {
        let d = a.to_data();
        let mut key = vec![
            std::hash::BuildHasher::hash_one(&foldhash::fast::FixedState::default(), d.data_type()),
            d.offset() as u64,
            d.len() as u64,
        ];
        for b in d.buffers() {
            key.extend([b.as_ptr() as u64, b.len() as u64]);
        }
        if let Some(n) = d.nulls() {
            key.extend([n.buffer().as_ptr() as u64, n.offset() as u64]);
        }
        DictSource {
            key: key.into(),
            hold: std::sync::Arc::new(std::sync::Arc::clone(a)),
            same_values: Some(same_text_values),
        }
    });
    Customers::dict(keys, values.len, |k| values.text_at(k).flatten(), source)
}

/// Whether two dictionaries' handles (each an [`ArrayRef`]) hold the same text values, null for
/// null (`Utf8` or `LargeUtf8` of one type; any other type: `false`).
fn same_text_values(
    a: &(dyn std::any::Any + Send + Sync),
    b: &(dyn std::any::Any + Send + Sync),
) -> bool {
    fn same<O: arrow_array::OffsetSizeTrait>(
        a: &arrow_array::GenericStringArray<O>,
        b: &arrow_array::GenericStringArray<O>,
    ) -> bool {
        let (oa, ob) = (a.value_offsets(), b.value_offsets());
        let (Some(&a0), Some(&b0), Some(&a1), Some(&b1)) =
            (oa.first(), ob.first(), oa.last(), ob.last())
        else {
            return false;
        };
        oa.len() == ob.len()
            && a.nulls() == b.nulls()
            && oa.iter().zip(ob).all(|(&x, &y)| x - a0 == y - b0)
            && a.value_data().get(a0.as_usize()..a1.as_usize())
                == b.value_data().get(b0.as_usize()..b1.as_usize())
    }
    let (Some(a), Some(b)) = (a.downcast_ref::<ArrayRef>(), b.downcast_ref::<ArrayRef>()) else {
        return false;
    };
    match (a.data_type(), b.data_type()) {
        (DataType::Utf8, DataType::Utf8) => same(a.as_string::<i32>(), b.as_string::<i32>()),
        (DataType::LargeUtf8, DataType::LargeUtf8) => {
            same(a.as_string::<i64>(), b.as_string::<i64>())
        }
        _ => false,
    }
}

/// Each row of a text column (dictionary-encoded or not; `None` for a null) through `parse`,
/// which runs once per dictionary value, or once per run of equal texts: `None` when a row does
/// not parse or the column is not text.
fn parse_rows<T: Copy>(
    c: &Col<'_>,
    rows: usize,
    parse: impl Fn(Option<&str>) -> Option<T>,
) -> Option<Vec<T>> {
    let null = |i: usize| c.nulls.is_some_and(|n| n.is_null(i));
    if let Data::Dict(values, keys) = &c.data {
        let table: Vec<Option<T>> = (0..values.len)
            .map(|v| values.text_at(v).and_then(&parse))
            .collect();
        return (0..rows)
            .map(|i| {
                if null(i) {
                    parse(None)
                } else {
                    *table.get(keys[i])?
                }
            })
            .collect();
    }
    let mut last: Option<(&[u8], T)> = None;
    (0..rows)
        .map(|i| match c.text_at(i)? {
            None => parse(None),
            Some(s) => match last {
                Some((t, v)) if same(t, s.as_bytes()) => Some(v),
                _ => {
                    let v = parse(Some(s))?;
                    last = Some((s.as_bytes(), v));
                    Some(v)
                }
            },
        })
        .collect()
}

/// The bytes of each row of a text column without nulls, straight from the Arrow buffers.
enum IdBytes<'a> {
    /// Values, offsets, next row.
    Offsets32(&'a [u8], &'a [i32], usize),
    Offsets64(&'a [u8], &'a [i64], usize),
    View(&'a StringViewArray, std::ops::Range<usize>),
    /// Dictionary values, their offsets, each row's value index, next row.
    Dict(&'a [u8], &'a [i32], &'a [usize], usize),
}

impl<'a> IdBytes<'a> {
    /// `None` unless the column is text without nulls.
    fn of(c: &'a Col<'a>) -> Option<Self> {
        if c.nulls.is_some_and(|n| n.null_count() > 0) {
            return None;
        }
        Some(match &c.data {
            Data::Utf8(a) => Self::Offsets32(a.value_data(), a.value_offsets(), 0),
            Data::LargeUtf8(a) => Self::Offsets64(a.value_data(), a.value_offsets(), 0),
            Data::Utf8View(a) => Self::View(a, 0..a.len()),
            // Dictionary-encoded text (pandas / Polars categoricals): each row's value.
            Data::Dict(values, keys) => match &values.data {
                Data::Utf8(a) if values.nulls.is_none_or(|n| n.null_count() == 0) => {
                    Self::Dict(a.value_data(), a.value_offsets(), keys, 0)
                }
                _ => return None,
            },
            _ => return None,
        })
    }

    /// All the texts as one string, and where each ends.
    fn block(self) -> Option<(String, Vec<u32>)> {
        fn copy<O: Copy + TryInto<usize>>(
            data: &[u8],
            offsets: &[O],
        ) -> Option<(String, Vec<u32>)> {
            let at = |o: O| o.try_into().ok();
            let base = at(*offsets.first()?)?;
            let end = at(*offsets.last()?)?;
            let text = String::from_utf8(data.get(base..end)?.to_vec()).ok()?;
            let ends = offsets[1..]
                .iter()
                .map(|&o| at(o).and_then(|o| u32::try_from(o - base).ok()))
                .collect::<Option<Vec<u32>>>()?;
            Some((text, ends))
        }
        match self {
            Self::Offsets32(d, o, _) => copy(d, o),
            Self::Offsets64(d, o, _) => copy(d, o),
            other => {
                let mut text = String::new();
                let mut ends = Vec::new();
                for s in other {
                    text.push_str(std::str::from_utf8(s).ok()?);
                    ends.push(u32::try_from(text.len()).ok()?);
                }
                Some((text, ends))
            }
        }
    }
}

impl<'a> Iterator for IdBytes<'a> {
    type Item = &'a [u8];
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        match self {
            Self::Offsets32(d, o, i) => {
                let s = d.get(*o.get(*i)? as usize..*o.get(*i + 1)? as usize);
                *i += 1;
                s
            }
            Self::Offsets64(d, o, i) => {
                let s = d.get(*o.get(*i)? as usize..*o.get(*i + 1)? as usize);
                *i += 1;
                s
            }
            Self::View(a, r) => r.next().map(|i| a.value(i).as_bytes()),
            Self::Dict(d, o, keys, i) => {
                let k = *keys.get(*i)?;
                *i += 1;
                d.get(*o.get(k)? as usize..*o.get(k + 1)? as usize)
            }
        }
    }
}

/// Plain times lie within ±2^40 seconds of 1970 (about 34,800 years): every such instant, and
/// its local date in any zone, is one chrono represents.
const LIMIT: i64 = 1 << 40;

/// The first `rows` values of `v`, through `f`.
fn ints<T: Copy>(v: &[T], rows: usize, f: impl Fn(T) -> i64) -> Option<Vec<i64>> {
    Some(v.get(..rows)?.iter().map(|&x| f(x)).collect())
}

/// Local days and times (Unix seconds) of a time column without nulls: timestamps (naive ones
/// as wall-clock times in `tz`) and dates, within [`LIMIT`]; integers and text
/// through the per-row path's own [`TimeParser`] (here, on the decoding thread), all of them or
/// none.
fn plain_days(
    c: &Col<'_>,
    rows: usize,
    tz: chrono_tz::Tz,
    naive_time: bool,
    opts: &ReadOptions,
) -> Option<(Vec<Day>, Vec<i64>, Day)> {
    if c.nulls.is_some_and(|n| n.null_count() > 0) {
        return None;
    }
    let parser = || TimeParser::new(opts.time_format.as_deref(), tz);
    let mut secs: Vec<i64> = Vec::with_capacity(rows);
    let days: Vec<Day> = match &c.data {
        Data::Unix(v, per_second) if !naive_time || tz == chrono_tz::Tz::UTC => {
            let v = v.get(..rows)?;
            let mut ok = true;
            secs.extend(v.iter().map(|&t| {
                let s = t.div_euclid(*per_second);
                ok &= s.unsigned_abs() < LIMIT.unsigned_abs();
                s
            }));
            if !ok {
                return None;
            }
            if tz == chrono_tz::Tz::UTC {
                secs.iter().map(|&s| s.div_euclid(86_400) as Day).collect()
            } else {
                secs.iter().map(|&s| day_in_tz(tz, s)).collect()
            }
        }
        Data::Unix(v, per_second) => {
            // Wall-clock times in another zone: each local time's instant as the per-row path
            // takes it (the earlier of an ambiguous pair); a local time that a daylight-saving
            // change skipped declines the batch (the per-row path rejects it, naming the row).
            // The day is the local date. Equal times in a row convert once.
            let v = v.get(..rows)?;
            let mut days = Vec::with_capacity(rows);
            let mut last: Option<(i64, i64)> = None;
            for &t in v {
                let wall = t.div_euclid(*per_second);
                if wall.unsigned_abs() >= LIMIT.unsigned_abs() {
                    return None;
                }
                let s = match last {
                    Some((w, s)) if w == wall => s,
                    _ => {
                        let local = chrono::DateTime::from_timestamp(wall, 0)?.naive_utc();
                        match chrono::TimeZone::from_local_datetime(&tz, &local) {
                            chrono::LocalResult::Single(x)
                            | chrono::LocalResult::Ambiguous(x, _) => x.timestamp(),
                            chrono::LocalResult::None => return None,
                        }
                    }
                };
                last = Some((wall, s));
                secs.push(s);
                days.push(wall.div_euclid(86_400) as Day);
            }
            days
        }
        Data::Date(v) => {
            let v = v.get(..rows)?;
            let lim = (LIMIT / 86_400) as Day;
            if !v.iter().all(|d| d.unsigned_abs() < lim.unsigned_abs()) {
                return None;
            }
            let p = parser();
            secs.extend(v.iter().map(|&d| p.from_date(day_to_date(d)).0));
            v.to_vec()
        }
        Data::I64(_) | Data::I32(_) | Data::I16(_) | Data::I8(_) | Data::U32(_) | Data::U64(_) => {
            let p = parser();
            c.ints(rows)?
                .into_iter()
                .map(|v| {
                    p.parse_int(v).map(|(s, d)| {
                        secs.push(s);
                        d
                    })
                })
                .collect::<Option<Vec<Day>>>()?
        }
        Data::Utf8(_) | Data::LargeUtf8(_) | Data::Utf8View(_) | Data::Dict(..) => {
            let p = parser();
            // A run of equal texts (orders of one second, a date column) parses once.
            let mut last: Option<(&str, i64, Day)> = None;
            let mut days = Vec::with_capacity(rows);
            for i in 0..rows {
                let t = c.text_at(i)??;
                let (s, d) = match last {
                    Some((l, s, d)) if l == t => (s, d),
                    _ => p.parse_str(t)?,
                };
                last = Some((t, s, d));
                days.push(d);
                secs.push(s);
            }
            days
        }
        _ => return None,
    };
    let max = days.iter().copied().max()?;
    Some((days, secs, max))
}

/// Non-negative amounts of an amount column without nulls, as units of `10^-scale`, and the
/// scale: integers; floats whose shortest text has at most two decimals, below 10^13 (what
/// the per-row path reads from them: see `float_money`), unless the currency's `minor` units
/// are fewer; decimals of scale up to 8.
/// The scale is the most decimals any amount has without trailing zeros, as row by row.
fn plain_units(c: &Col<'_>, rows: usize, minor: Option<u32>) -> Option<(Vec<i64>, i64, u32)> {
    if c.nulls.is_some_and(|n| n.null_count() > 0) {
        return None;
    }
    let (units, from) = match &c.data {
        Data::I64(v) => (ints(v, rows, |x| x)?, 0),
        Data::I32(v) => (ints(v, rows, i64::from)?, 0),
        Data::I16(v) => (ints(v, rows, i64::from)?, 0),
        Data::I8(v) => (ints(v, rows, i64::from)?, 0),
        Data::U32(v) => (ints(v, rows, i64::from)?, 0),
        Data::U64(v) => (ints(v, rows, |x| i64::try_from(x).unwrap_or(-1))?, 0),
        Data::F64(v) => (ints(v, rows, float_cents)?, 2),
        Data::F32(v) => (ints(v, rows, |x| float_cents(f64::from(x)))?, 2),
        Data::Dec(v, s) if *s <= 8 => {
            let v = v.get(..rows)?;
            (
                v.iter().map(|&x| i64::try_from(x).unwrap_or(-1)).collect(),
                *s,
            )
        }
        Data::Utf8(_) | Data::LargeUtf8(_) | Data::Utf8View(_) => text_units(c, rows)?,
        _ => return None,
    };
    // A float with more decimals than the currency has is the per-row path's to refuse.
    let float = matches!(c.data, Data::F64(_) | Data::F32(_));
    normal_units(units, from, float.then_some(minor).flatten())
}

/// Line amounts, quantity x unit price, as [`plain_units`] gives amounts: integer quantities
/// (an integer column, or text of ASCII digits), non-negative, times a unit price read as
/// [`plain_units`] reads an amount (a float price in the currency's minor units); the product
/// is exact in `i64` or the batch is not plain. The per-row path multiplies the same decimals.
fn line_units(
    quantity: &Col<'_>,
    price: &Col<'_>,
    rows: usize,
    minor: Option<u32>,
) -> Option<(Vec<i64>, i64, u32)> {
    let q: Vec<i64> = if let Some(v) = quantity.ints(rows) {
        v
    } else {
        if quantity.nulls.is_some_and(|n| n.null_count() > 0) {
            return None;
        }
        (0..rows)
            .map(|i| {
                let t = quantity.text_at(i)??;
                i64::try_from(digits_value(t.as_bytes())?).ok()
            })
            .collect::<Option<Vec<i64>>>()?
    };
    let (p, _, p_scale) = plain_units(price, rows, minor)?;
    let lines = q
        .iter()
        .zip(&p)
        .map(|(&q, &p)| (q >= 0).then(|| q.checked_mul(p)).flatten())
        .collect::<Option<Vec<i64>>>()?;
    normal_units(lines, p_scale, None)
}

/// Units of `10^-from`, all `>= 0`, at the scale of the most decimals any has without trailing
/// zeros (as the per-row path grows its scale), with their maximum; `None` when one is
/// negative, or `minor` is given (a float amount) and the scale exceeds it.
fn normal_units(units: Vec<i64>, from: u32, minor: Option<u32>) -> Option<(Vec<i64>, i64, u32)> {
    // Decimals of an amount in units of 10^-from, without trailing zeros (0 for zero).
    let decimals = |u: i64, from: u32| {
        let mut k = 0;
        let mut u = u;
        while k < from && u % 10 == 0 {
            u /= 10;
            k += 1;
        }
        from - k
    };
    let min = units.iter().copied().min()?;
    if min < 0 {
        return None;
    }
    let scale = units.iter().map(|&u| decimals(u, from)).max()?;
    if minor.is_some_and(|m| scale > m) {
        return None;
    }
    let div = 10_i64.pow(from - scale);
    let units: Vec<i64> = if div == 1 {
        units
    } else {
        units.into_iter().map(|u| u / div).collect()
    };
    let max = units.iter().copied().max()?;
    Some((units, max, scale))
}

/// Text decimals (`1234`, `12.5`, `0.99`: ASCII digits, then at most one `.` followed by 1 to 8
/// digits; no sign, no space, no exponent), as units of `10^-scale` where `scale` is the most
/// decimals written: exactly the decimals the per-row path reads from such text. `None` when
/// any row is written otherwise (the per-row path reads or rejects it) or beyond `i64`.
fn text_units(c: &Col<'_>, rows: usize) -> Option<(Vec<i64>, u32)> {
    let mut parsed: Vec<(u64, u32)> = Vec::with_capacity(rows);
    let mut scale = 0;
    for i in 0..rows {
        let t = c.text_at(i)??.as_bytes();
        let (int, frac) = match t.iter().position(|&b| b == b'.') {
            Some(p) => (&t[..p], &t[p + 1..]),
            None => (t, &t[..0]),
        };
        if int.is_empty() || (frac.is_empty() && int.len() != t.len()) || frac.len() > 8 {
            return None;
        }
        let m = digits_value(int)?;
        let f = if frac.is_empty() {
            0
        } else {
            digits_value(frac)?
        };
        let k = frac.len() as u32;
        let m = m.checked_mul(10_u64.pow(k))?.checked_add(f)?;
        scale = scale.max(k);
        parsed.push((m, k));
    }
    let units = parsed
        .into_iter()
        .map(|(m, k)| {
            m.checked_mul(10_u64.pow(scale - k))
                .and_then(|u| i64::try_from(u).ok())
        })
        .collect::<Option<Vec<i64>>>()?;
    Some((units, scale))
}

/// A float amount in cents when its shortest round-trip text has at most two decimals and it
/// lies in `[0, 10^13)`; `-1` (not plain) otherwise. Below 10^13 a float's neighbours are
/// less than a cent apart, so the one multiple of 0.01 that rounds to it is its shortest text.
fn float_cents(f: f64) -> i64 {
    if !(0.0..1e13).contains(&f) {
        return -1;
    }
    let c = (f * 100.0).round();
    // `c / 100` is correctly rounded: it equals `f` exactly when the decimal `c / 100`
    // reads back as `f`.
    #[allow(clippy::float_cmp)] // exact equality is the point
    let same = c / 100.0 == f;
    if same { c as i64 } else { -1 }
}

/// Typed access to one Arrow column: the null bits and the values, read per row with no
/// dynamic dispatch (a `match` on the column's type, the same every row, so well predicted).
struct Col<'a> {
    /// The array (kept for dictionary values: their identity across batches).
    array: Option<&'a ArrayRef>,
    len: usize,
    nulls: Option<&'a NullBuffer>,
    data: Data<'a>,
}

/// The values of a [`Col`], by Arrow type.
enum Data<'a> {
    Utf8(&'a StringArray),
    LargeUtf8(&'a LargeStringArray),
    Utf8View(&'a StringViewArray),
    I64(&'a [i64]),
    I32(&'a [i32]),
    I16(&'a [i16]),
    I8(&'a [i8]),
    U32(&'a [u32]),
    U64(&'a [u64]),
    F64(&'a [f64]),
    F32(&'a [f32]),
    Dec(&'a [i128], u32),
    /// Timestamps and the ticks per second of their unit.
    Unix(&'a [i64], i64),
    Date(&'a [i32]),
    /// Dictionary-encoded values (pandas and Polars categoricals): the values column and the
    /// value index of each row.
    Dict(Box<Col<'a>>, Vec<usize>),
    /// Booleans, read as the text `true` / `false` (an `is_subscription` column as the kind).
    Bool(&'a BooleanArray),
    /// Arrow's null type (a frame column of only missing values): every row is null.
    Null,
    Unsupported(String),
}

/// A boolean as the text the per-row path parses (see [`OrderKind::parse`]).
fn bool_text(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

impl<'a> Col<'a> {
    /// The column read in `role` (a [`role`] constant): booleans are read as the order kind
    /// only; as an id, a time or an amount they are an unsupported type.
    fn for_role(a: &'a ArrayRef, role: usize) -> Self {
        let mut c = Self::new(a);
        if role != role::KIND && matches!(c.data, Data::Bool(_)) {
            c.data = Data::Unsupported(a.data_type().to_string());
        }
        c
    }

    fn new(a: &'a ArrayRef) -> Self {
        let data = match a.data_type() {
            DataType::Utf8 => Data::Utf8(a.as_string::<i32>()),
            DataType::LargeUtf8 => Data::LargeUtf8(a.as_string::<i64>()),
            DataType::Utf8View => Data::Utf8View(a.as_string_view()),
            DataType::Int64 => Data::I64(a.as_primitive::<Int64Type>().values()),
            DataType::Int32 => Data::I32(a.as_primitive::<Int32Type>().values()),
            DataType::Int16 => Data::I16(a.as_primitive::<Int16Type>().values()),
            DataType::Int8 => Data::I8(a.as_primitive::<Int8Type>().values()),
            DataType::UInt32 => Data::U32(a.as_primitive::<UInt32Type>().values()),
            DataType::UInt64 => Data::U64(a.as_primitive::<UInt64Type>().values()),
            DataType::Float64 => Data::F64(a.as_primitive::<Float64Type>().values()),
            DataType::Float32 => Data::F32(a.as_primitive::<Float32Type>().values()),
            DataType::Decimal128(_, scale) if *scale >= 0 => Data::Dec(
                a.as_primitive::<arrow_array::types::Decimal128Type>()
                    .values(),
                *scale as u32,
            ),
            DataType::Date32 => Data::Date(a.as_primitive::<Date32Type>().values()),
            DataType::Timestamp(unit, _) => match unit {
                TimeUnit::Second => Data::Unix(a.as_primitive::<TimestampSecondType>().values(), 1),
                TimeUnit::Millisecond => {
                    Data::Unix(a.as_primitive::<TimestampMillisecondType>().values(), 1_000)
                }
                TimeUnit::Microsecond => Data::Unix(
                    a.as_primitive::<TimestampMicrosecondType>().values(),
                    1_000_000,
                ),
                TimeUnit::Nanosecond => Data::Unix(
                    a.as_primitive::<TimestampNanosecondType>().values(),
                    1_000_000_000,
                ),
            },
            DataType::Dictionary(_, _) => {
                let d = a.as_any_dictionary();
                if !d.values().is_empty() {
                    Data::Dict(Box::new(Col::new(d.values())), d.normalized_keys())
                } else if a.null_count() == a.len() {
                    // No values (arrow-rs' `normalized_keys` asserts on this): every row is
                    // null, and every read of a row checks the nulls before its key.
                    Data::Dict(Box::new(Col::new(d.values())), vec![0; a.len()])
                } else {
                    Data::Unsupported(format!(
                        "{} with rows but no dictionary values",
                        a.data_type()
                    ))
                }
            }
            DataType::Boolean => Data::Bool(a.as_boolean()),
            DataType::Null => Data::Null,
            other => Data::Unsupported(other.to_string()),
        };
        Col {
            array: matches!(data, Data::Utf8(_) | Data::LargeUtf8(_) | Data::Utf8View(_))
                .then_some(a),
            len: a.len(),
            nulls: a.nulls(),
            data,
        }
    }

    #[inline]
    fn get(&self, i: usize) -> Val<'_> {
        if self.nulls.is_some_and(|n| n.is_null(i)) {
            return Val::Null;
        }
        match &self.data {
            Data::Utf8(s) => Val::Str(s.value(i)),
            Data::LargeUtf8(s) => Val::Str(s.value(i)),
            Data::Utf8View(s) => Val::Str(s.value(i)),
            Data::I64(v) => Val::Int(v[i]),
            Data::I32(v) => Val::Int(i64::from(v[i])),
            Data::I16(v) => Val::Int(i64::from(v[i])),
            Data::I8(v) => Val::Int(i64::from(v[i])),
            Data::U32(v) => Val::Int(i64::from(v[i])),
            // Beyond `i64`: exact as a decimal (an amount; as an id, its digits).
            Data::U64(v) => {
                i64::try_from(v[i]).map_or_else(|_| Val::Dec(Decimal::from(v[i])), Val::Int)
            }
            Data::F64(v) => Val::Float(v[i]),
            Data::F32(v) => Val::Float(f64::from(v[i])),
            Data::Dec(v, s) => Decimal::try_from_i128_with_scale(v[i], *s)
                .map_or(Val::Str("<decimal out of range>"), Val::Dec),
            Data::Unix(v, per_second) => Val::Unix(v[i].div_euclid(*per_second)),
            // A date beyond chrono's range is that many days as Unix seconds, which the time
            // parser rejects (`invalid_time`) instead of saturating to the last date.
            Data::Date(v) => crate::model::checked_day_to_date(v[i])
                .map_or(Val::Unix(i64::from(v[i]) * 86_400), Val::Date),
            Data::Dict(values, keys) => values.get(keys[i]),
            Data::Bool(b) => Val::Str(bool_text(b.value(i))),
            Data::Null => Val::Null,
            Data::Unsupported(s) => Val::Str(s),
        }
    }

    /// The first `rows` values of an integer column without nulls, as `i64` (what the per-row
    /// path reads as `Val::Int`); `None` for any other column.
    fn ints(&self, rows: usize) -> Option<Vec<i64>> {
        if self.nulls.is_some_and(|n| n.null_count() > 0) {
            return None;
        }
        match &self.data {
            Data::I64(v) => ints(v, rows, |x| x),
            Data::I32(v) => ints(v, rows, i64::from),
            Data::I16(v) => ints(v, rows, i64::from),
            Data::I8(v) => ints(v, rows, i64::from),
            Data::U32(v) => ints(v, rows, i64::from),
            Data::U64(v) => v
                .get(..rows)?
                .iter()
                .map(|&x| i64::try_from(x).ok())
                .collect(),
            _ => None,
        }
    }

    fn is_text(&self) -> bool {
        matches!(
            self.data,
            Data::Utf8(_) | Data::LargeUtf8(_) | Data::Utf8View(_)
        )
    }

    /// Row `i` of a text column (dictionary-encoded or not): `None` when the column is not
    /// text, `Some(None)` for a null.
    #[allow(clippy::option_option)] // not text / null / a value: read with `?` by the caller
    fn text_at(&self, i: usize) -> Option<Option<&'a str>> {
        if self.nulls.is_some_and(|n| n.is_null(i)) {
            return Some(None);
        }
        match &self.data {
            Data::Utf8(s) => Some(Some(s.value(i))),
            Data::LargeUtf8(s) => Some(Some(s.value(i))),
            Data::Utf8View(s) => Some(Some(s.value(i))),
            Data::Dict(values, keys) => values.text_at(keys[i]),
            Data::Bool(b) => Some(Some(bool_text(b.value(i)))),
            Data::Null => Some(None),
            _ => None,
        }
    }

    /// The text of row `i` when the column is text (for warming customer lookups).
    fn text(&self, i: usize) -> Option<&'a str> {
        match &self.data {
            Data::Utf8(s) => Some(s.value(i)),
            Data::LargeUtf8(s) => Some(s.value(i)),
            Data::Utf8View(s) => Some(s.value(i)),
            _ => None,
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
    super::summary_out::write_batch_parquet(&table_to_record_batch(t)?, w)
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

#[cfg(test)]
mod tests {
    use super::{dictionary_page_claim, rows_hint, same_text_values};

    #[test]
    fn dictionary_page_claim_reads_a_compact_thrift_page_header() {
        // PageHeader { type: DICTIONARY_PAGE (2), uncompressed_page_size: 16,
        // compressed_page_size: 16, dictionary_page_header: { num_values: 3, encoding: PLAIN } }
        // in Thrift's compact protocol: field headers (delta << 4 | type), zigzag varints.
        let dict = [0x15, 4, 0x15, 32, 0x15, 32, 0x4c, 0x15, 6, 0x15, 0, 0, 0];
        assert_eq!(dictionary_page_claim(&dict), Some((3, 16)));
        // The same with a CRC (field 4) before the dictionary header.
        let crc = [
            0x15, 4, 0x15, 32, 0x15, 32, 0x15, 0x81, 0x01, 0x3c, 0x15, 6, 0,
        ];
        assert_eq!(dictionary_page_claim(&crc), Some((3, 16)));
        // A data page (type 0) with its header (field 5) is not a dictionary page.
        let data = [0x15, 0, 0x15, 32, 0x15, 32, 0x2c, 0x15, 6, 0, 0];
        assert_eq!(dictionary_page_claim(&data), None);
        // Cut short: no claim.
        assert_eq!(dictionary_page_claim(&dict[..7]), None);
        assert_eq!(dictionary_page_claim(&[]), None);
    }

    /// The extreme times of typed columns (`i64::MIN` seconds, `i32::MIN` days) are rows the
    /// per-row path rejects, not an overflow in the plain-batch check (`abs` of the minimum).
    #[test]
    fn extreme_typed_times_are_rejected_rows() {
        use arrow_array::{
            ArrayRef, Date32Array, Float64Array, RecordBatch, StringArray, TimestampSecondArray,
        };
        use std::sync::Arc;
        let times: [ArrayRef; 2] = [
            Arc::new(TimestampSecondArray::from(vec![i64::MIN, 0]).with_timezone("UTC")),
            Arc::new(Date32Array::from(vec![i32::MIN, 0])),
        ];
        for ts in times {
            let batch = RecordBatch::try_from_iter([
                (
                    "customer_id",
                    Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef,
                ),
                ("ordered_at", ts),
                ("amount", Arc::new(Float64Array::from(vec![1.0, 2.0]))),
            ])
            .expect("batch");
            let opts = crate::io::ReadOptions {
                currency: Some("USD".into()),
                ..crate::io::ReadOptions::default()
            };
            let ing =
                super::read_record_batches(&batch.schema(), std::slice::from_ref(&batch), &opts)
                    .expect("read");
            assert_eq!(ing.report.rows_read, 2);
            assert_eq!(ing.report.rows_accepted, 1, "{:?}", ing.report);
            assert_eq!(ing.report.rows_rejected, 1);
        }
    }

    /// Dictionaries compare by their values: a copy in other buffers, or a slice at another
    /// offset, is the same; another value, a null, another length or type is not.
    #[test]
    fn dictionary_values_compare_by_value() {
        use arrow_array::{ArrayRef, Int64Array, LargeStringArray, StringArray};
        use std::sync::Arc;
        let a: ArrayRef = Arc::new(StringArray::from(vec!["a", "bc", "", "d"]));
        let same = |x: &ArrayRef, y: &ArrayRef| same_text_values(x, y);
        let copy: ArrayRef = Arc::new(StringArray::from(vec!["a", "bc", "", "d"]));
        assert!(same(&a, &copy));
        let longer: ArrayRef = Arc::new(StringArray::from(vec!["z", "a", "bc", "", "d"]));
        assert!(same(&a, &longer.slice(1, 4)));
        let moved: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "c", "d"]));
        assert!(!same(&a, &moved));
        let null: ArrayRef = Arc::new(StringArray::from(vec![
            Some("a"),
            Some("bc"),
            None,
            Some("d"),
        ]));
        assert!(!same(&a, &null));
        assert!(!same(&a, &a.slice(0, 3)));
        let large: ArrayRef = Arc::new(LargeStringArray::from(vec!["a", "bc", "", "d"]));
        assert!(!same(&a, &large));
        let large_copy: ArrayRef = Arc::new(LargeStringArray::from(vec!["a", "bc", "", "d"]));
        assert!(same(&large, &large_copy));
        let ints: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 3, 4]));
        assert!(!same(&ints, &ints));
    }

    #[test]
    fn rows_hint_believes_a_real_footer() {
        // The benchmark's 10M-order log: 175 MB.
        assert_eq!(rows_hint(10_000_000, 175_198_091), 10_000_000);
        assert_eq!(rows_hint(0, 1000), 0);
    }

    #[test]
    fn rows_hint_bounds_a_footer_claiming_more_rows_than_bytes_can_hold() {
        // The parquet fuzz target's out-of-memory input: a 1840-byte file whose footer claims
        // billions of rows made the reader reserve (and fill) 6.6 GB.
        assert_eq!(rows_hint(1 << 40, 1840), 4 * 1840);
        assert_eq!(
            rows_hint(i64::MAX, u64::MAX),
            usize::try_from(i64::MAX).unwrap_or(usize::MAX)
        );
        assert_eq!(rows_hint(-5, 1840), 0);
    }
}
