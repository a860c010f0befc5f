//! Dictionary-encoded Parquet column chunks written here, below arrow-rs' column writer, for
//! the output columns whose values span a small range (feature `parquet`).
//!
//! arrow-rs dictionary-encodes a column by hashing every value into an interner: for the
//! per-customer table that is most of the write (22 columns of millions of rows; counts,
//! days, dates, scores and labels). Here an integer column whose values span at most
//! [`MAX_RANGE`] finds each value's dictionary entry in a table indexed by the value, and a
//! label column (an Arrow dictionary of text: the labels, and the money columns keyed by
//! amount in `summary_out`) by its key: one array read per row, no hash of text.
//! The pages are what arrow-rs writes for such a column (a PLAIN dictionary page, then data
//! pages v1 of at most [`PAGE_ROWS`] rows: definition levels and `RLE_DICTIONARY` indices in
//! the RLE / bit-packing hybrid, each page zstd-compressed), with the column chunk's
//! statistics (minimum, maximum, null count) when the writer's properties ask for them and
//! an offset index (where each page is; no column index of per-page statistics). A
//! column that does not fit (a wide range, too many distinct values, another type, all
//! nulls, dictionary encoding turned off) is left to arrow-rs.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Int64Type, UInt16Type};
use arrow_array::{Array, ArrayRef};
use arrow_buffer::NullBuffer;
use arrow_schema::DataType;
use bytes::Bytes;
use parquet::basic::{Compression, Encoding, EncodingMask, PageType, Type as PhysicalType};
use parquet::column::page::{CompressedPage, Page, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::file::metadata::{ColumnChunkMetaData, PageEncodingStats};
use parquet::file::page_index::offset_index::{OffsetIndexMetaData, PageLocation};
use parquet::file::statistics::{Statistics, ValueStatistics};
use parquet::file::writer::{SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;

use super::parquet::malformed;
use crate::Result;

/// The widest span of an integer column (largest less smallest value) written here: the
/// value-indexed table is four bytes per value of the span.
pub(crate) const MAX_RANGE: u64 = 1 << 20;

/// The most distinct values of a column written here (arrow-rs gives up its dictionary at
/// 1 MiB of values: 131 072 of eight bytes).
const MAX_DISTINCT: usize = 1 << 16;

/// Rows per data page (arrow-rs' default limit).
pub(crate) const PAGE_ROWS: usize = 20_000;

/// The zstd level of the pages (the writer's `ZstdLevel::default()`).
const ZSTD_LEVEL: i32 = 1;

/// A column chunk written here: its bytes (pages from offset 0) and what the row group
/// writer needs to append them.
pub(crate) struct OwnChunk {
    pub(crate) bytes: Bytes,
    pub(crate) close: ColumnCloseResult,
}

/// A column's dictionary and each non-null row's index into it.
struct Keyed {
    /// The dictionary page's values, PLAIN-encoded.
    plain: Vec<u8>,
    /// Entries in the dictionary.
    entries: usize,
    /// The index of each non-null row's value, in row order.
    keys: Vec<u32>,
    /// Chunk statistics (when asked for).
    statistics: Option<Statistics>,
}

/// The column chunk of `a` as pages written here, when `a` is an `Int64`, `Date32` or
/// `Dictionary(UInt16, Utf8)` array that fits (see the module's notes); `None` leaves it to
/// arrow-rs. `statistics`: whether to record the chunk's minimum, maximum and null count.
///
/// # Errors
/// `malformed_input` when a page cannot be compressed or the chunk's metadata not built.
pub(crate) fn dictionary_chunk(
    a: &ArrayRef,
    descr: &ColumnDescPtr,
    statistics: bool,
) -> Result<Option<OwnChunk>> {
    // A flat column, optional (definition levels of one bit) or required (none, and no nulls).
    let optional = descr.max_def_level() == 1;
    if descr.max_rep_level() != 0
        || descr.max_def_level() > 1
        || a.null_count() == a.len()
        || (!optional && a.logical_null_count() > 0)
    {
        return Ok(None);
    }
    let nulls = a.logical_nulls();
    let nulls = nulls.as_ref().filter(|n| n.null_count() > 0);
    let null_count = Some(nulls.map_or(0, |n| n.null_count() as u64));
    let keyed = match (a.data_type(), descr.physical_type()) {
        (DataType::Int64, PhysicalType::INT64) => {
            let v = a.as_primitive::<Int64Type>().values();
            int_keys(v.iter().copied(), nulls, 8).map(|(k, lo, hi)| Keyed {
                statistics: statistics.then(|| {
                    Statistics::Int64(ValueStatistics::new(
                        Some(lo),
                        Some(hi),
                        None,
                        null_count,
                        false,
                    ))
                }),
                ..k
            })
        }
        (DataType::Date32, PhysicalType::INT32) => {
            let v = a.as_primitive::<Date32Type>().values();
            int_keys(v.iter().map(|&d| i64::from(d)), nulls, 4).map(|(k, lo, hi)| {
                // The values were `i32`: so are their bounds.
                let (lo, hi) = (i32::try_from(lo).ok(), i32::try_from(hi).ok());
                Keyed {
                    statistics: statistics.then(|| {
                        Statistics::Int32(ValueStatistics::new(lo, hi, None, null_count, false))
                    }),
                    ..k
                }
            })
        }
        (DataType::Dictionary(key, value), PhysicalType::BYTE_ARRAY)
            if **key == DataType::UInt16 && **value == DataType::Utf8 =>
        {
            label_keys(a, nulls, null_count, statistics)
        }
        _ => None,
    };
    // No value to put in a dictionary (every row null, as the dictionary's own nulls can
    // make a label column): left to arrow-rs.
    let Some(keyed) = keyed.filter(|k| k.entries > 0) else {
        return Ok(None);
    };
    let levels = if optional {
        Levels::Optional(nulls)
    } else {
        Levels::Required
    };
    write_chunk(&keyed, a.len(), levels, descr).map(Some)
}

/// The dictionary (first-seen order) and keys of integer values `values` (`width`: 8 or 4
/// bytes each in the dictionary page), with the smallest and largest non-null value; `None`
/// when they span [`MAX_RANGE`] or more, or have more than [`MAX_DISTINCT`] values.
fn int_keys(
    values: impl ExactSizeIterator<Item = i64> + Clone,
    nulls: Option<&NullBuffer>,
    width: usize,
) -> Option<(Keyed, i64, i64)> {
    let valid = |i: usize| nulls.is_none_or(|n| n.is_valid(i));
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    if nulls.is_none() {
        for v in values.clone() {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    } else {
        for (i, v) in values.clone().enumerate() {
            if valid(i) {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    let span = u64::try_from(i128::from(hi) - i128::from(lo)).ok()?;
    if span >= MAX_RANGE {
        return None;
    }
    let mut slot = vec![u32::MAX; usize::try_from(span).ok()? + 1];
    let mut plain: Vec<u8> = Vec::new();
    let mut entries = 0usize;
    let n_valid = values.len() - nulls.map_or(0, NullBuffer::null_count);
    let mut keys: Vec<u32> = Vec::with_capacity(n_valid);
    let mut key_of = |v: i64| -> Option<u32> {
        // `lo <= v <= hi`, `hi - lo < MAX_RANGE`: an index of `slot`.
        let s = slot.get_mut(v.abs_diff(lo) as usize)?;
        if *s == u32::MAX {
            if entries == MAX_DISTINCT {
                return None;
            }
            *s = entries as u32;
            plain.extend_from_slice(&v.to_le_bytes()[..width]);
            entries += 1;
        }
        Some(*s)
    };
    if nulls.is_none() {
        for v in values {
            keys.push(key_of(v)?);
        }
    } else {
        for (i, v) in values.enumerate() {
            if valid(i) {
                keys.push(key_of(v)?);
            }
        }
    }
    let keyed = Keyed {
        plain,
        entries,
        keys,
        statistics: None,
    };
    Some((keyed, lo, hi))
}

/// The dictionary (the values used, first-seen order) and keys of a `Dictionary(UInt16,
/// Utf8)` array, with the byte-wise smallest and largest value (and `null_count`) when
/// `statistics`.
fn label_keys(
    a: &ArrayRef,
    nulls: Option<&NullBuffer>,
    null_count: Option<u64>,
    statistics: bool,
) -> Option<Keyed> {
    let d = a.as_dictionary_opt::<UInt16Type>()?;
    let texts = d.values().as_string_opt::<i32>()?;
    let mut slot = vec![u32::MAX; texts.len()];
    let mut used: Vec<usize> = Vec::new();
    let mut keys: Vec<u32> = Vec::with_capacity(a.len());
    for (i, &k) in d.keys().values().iter().enumerate() {
        if nulls.is_some_and(|n| n.is_null(i)) {
            continue;
        }
        let k = usize::from(k);
        let s = slot.get_mut(k)?;
        if *s == u32::MAX {
            // A value that is itself null (its rows are logical nulls, skipped above; kept
            // as a guard so no null value is ever written as text): left to arrow-rs.
            if texts.is_null(k) {
                return None;
            }
            *s = used.len() as u32;
            used.push(k);
        }
        keys.push(*s);
    }
    let mut plain: Vec<u8> = Vec::new();
    for &k in &used {
        let t = texts.value(k).as_bytes();
        plain.extend_from_slice(&u32::try_from(t.len()).ok()?.to_le_bytes());
        plain.extend_from_slice(t);
    }
    let stats = statistics.then(|| {
        let values = used.iter().map(|&k| texts.value(k).as_bytes());
        let min = values.clone().min().map(|b| b.to_vec().into());
        let max = values.max().map(|b| b.to_vec().into());
        Statistics::ByteArray(ValueStatistics::new(min, max, None, null_count, false))
    });
    Some(Keyed {
        plain,
        entries: used.len(),
        keys,
        statistics: stats,
    })
}

/// Whether a column's data pages start with definition levels.
#[derive(Clone, Copy)]
enum Levels<'a> {
    /// A required column: no levels (and no nulls).
    Required,
    /// An optional column (one bit a row), with its nulls if it has any.
    Optional(Option<&'a NullBuffer>),
}

/// The pages of a keyed column of `rows` rows (a dictionary page, then data pages of
/// [`PAGE_ROWS`]) and its chunk metadata.
fn write_chunk(
    keyed: &Keyed,
    rows: usize,
    levels: Levels<'_>,
    descr: &ColumnDescPtr,
) -> Result<OwnChunk> {
    let mut zstd = zstd::bulk::Compressor::new(ZSTD_LEVEL).map_err(malformed)?;
    let mut sink = TrackedWrite::new(Vec::new());
    let mut pages = SerializedPageWriter::new(&mut sink);
    let mut compressed = 0u64;
    let mut uncompressed = 0u64;
    let too_many = || malformed("a column chunk of more than 4G values");
    let size = |v: u64| i64::try_from(v).map_err(|_| too_many());
    // The dictionary page.
    let buf = zstd.compress(&keyed.plain).map_err(malformed)?;
    let spec = pages
        .write_page(CompressedPage::new(
            Page::DictionaryPage {
                buf: Bytes::from(buf),
                num_values: u32::try_from(keyed.entries).map_err(|_| too_many())?,
                encoding: Encoding::PLAIN,
                is_sorted: false,
            },
            keyed.plain.len(),
        ))
        .map_err(malformed)?;
    compressed += spec.compressed_size as u64;
    uncompressed += spec.uncompressed_size as u64;
    // The data pages: definition levels, then the keys of the page's non-null rows.
    let width = bit_width(keyed.entries.saturating_sub(1) as u32);
    let mut n_pages = 0i32;
    // Where each data page is (for the offset index; the writer moves the offsets to the
    // chunk's place in the file).
    let mut locations: Vec<PageLocation> = Vec::new();
    let mut page: Vec<u8> = Vec::new();
    let mut defs: Vec<u32> = Vec::with_capacity(PAGE_ROWS);
    let mut key_at = 0usize;
    for start in (0..rows).step_by(PAGE_ROWS) {
        let end = (start + PAGE_ROWS).min(rows);
        page.clear();
        let valid = if let Levels::Optional(nulls) = levels {
            defs.clear();
            defs.extend((start..end).map(|i| u32::from(nulls.is_none_or(|n| n.is_valid(i)))));
            page.extend_from_slice(&[0; 4]);
            encode_hybrid(&defs, 1, &mut page);
            let level_bytes = u32::try_from(page.len() - 4).map_err(|_| too_many())?;
            page[..4].copy_from_slice(&level_bytes.to_le_bytes());
            defs.iter().filter(|&&l| l == 1).count()
        } else {
            end - start
        };
        page.push(width as u8);
        let keys = keyed
            .keys
            .get(key_at..key_at + valid)
            .ok_or_else(|| malformed("a column's keys and rows disagree"))?;
        encode_hybrid(keys, width, &mut page);
        key_at += valid;
        let buf = zstd.compress(&page).map_err(malformed)?;
        let spec = pages
            .write_page(CompressedPage::new(
                Page::DataPage {
                    buf: Bytes::from(buf),
                    num_values: u32::try_from(end - start).map_err(|_| too_many())?,
                    encoding: Encoding::RLE_DICTIONARY,
                    def_level_encoding: Encoding::RLE,
                    rep_level_encoding: Encoding::RLE,
                    statistics: None,
                },
                page.len(),
            ))
            .map_err(malformed)?;
        locations.push(PageLocation {
            offset: size(spec.offset)?,
            compressed_page_size: i32::try_from(spec.compressed_size).map_err(|_| too_many())?,
            first_row_index: size(start as u64)?,
        });
        compressed += spec.compressed_size as u64;
        uncompressed += spec.uncompressed_size as u64;
        n_pages += 1;
    }
    let bytes = Bytes::from(sink.into_inner().map_err(malformed)?);
    let mut meta = ColumnChunkMetaData::builder(Arc::clone(descr))
        .set_compression(Compression::ZSTD(
            parquet::basic::ZstdLevel::try_new(ZSTD_LEVEL).map_err(malformed)?,
        ))
        .set_encodings_mask(EncodingMask::new_from_encodings(
            [Encoding::PLAIN, Encoding::RLE, Encoding::RLE_DICTIONARY].iter(),
        ))
        .set_num_values(size(rows as u64)?)
        .set_total_compressed_size(size(compressed)?)
        .set_total_uncompressed_size(size(uncompressed)?)
        .set_dictionary_page_offset(Some(0))
        .set_data_page_offset(locations.first().map_or(0, |l| l.offset))
        .set_page_encoding_stats(vec![
            PageEncodingStats {
                page_type: PageType::DICTIONARY_PAGE,
                encoding: Encoding::PLAIN,
                count: 1,
            },
            PageEncodingStats {
                page_type: PageType::DATA_PAGE,
                encoding: Encoding::RLE_DICTIONARY,
                count: n_pages,
            },
        ]);
    if let Some(s) = &keyed.statistics {
        meta = meta.set_statistics(s.clone());
    }
    let close = ColumnCloseResult {
        bytes_written: bytes.len() as u64,
        rows_written: rows as u64,
        metadata: meta.build().map_err(malformed)?,
        bloom_filter: None,
        column_index: None,
        offset_index: Some(OffsetIndexMetaData {
            page_locations: locations,
            unencoded_byte_array_data_bytes: None,
        }),
    };
    Ok(OwnChunk { bytes, close })
}

/// The bits that hold `v` (0 for 0).
fn bit_width(v: u32) -> u32 {
    32 - v.leading_zeros()
}

/// Appends `values` (each below `1 << width`, `width <= 32`) in the RLE / bit-packing hybrid:
/// a value repeated 8 times or more from a group boundary as one run, the rest bit-packed in
/// groups of 8 (at most 63 groups a run; the last group padded with zeros, which the page's
/// value count makes a reader ignore).
pub(crate) fn encode_hybrid(values: &[u32], width: u32, out: &mut Vec<u8>) {
    let width = width.min(32);
    let value_bytes = width.div_ceil(8) as usize;
    // Whether 8 equal values start at `at`.
    let run_of_8 = |at: usize| {
        values
            .get(at..at + 8)
            .is_some_and(|w| w.iter().all(|&x| x == w[0]))
    };
    let mut at = 0;
    while let Some(&v) = values.get(at) {
        if run_of_8(at) {
            let run = 8 + values[at + 8..].iter().take_while(|&&x| x == v).count();
            varint(out, (run as u64) << 1);
            out.extend_from_slice(&v.to_le_bytes()[..value_bytes]);
            at += run;
            continue;
        }
        // Bit-packed groups until a run of 8 starts at a group boundary.
        let start = at;
        let mut groups = 0u64;
        loop {
            groups += 1;
            at = (at + 8).min(values.len());
            if at == values.len() || groups == 63 || run_of_8(at) {
                break;
            }
        }
        varint(out, (groups << 1) | 1);
        for group in values[start..at].chunks(8) {
            pack_8(group, width, out);
        }
    }
}

/// Appends up to 8 values (zeros after them) in `width` bits each, least significant bit
/// first: `width` bytes.
fn pack_8(group: &[u32], width: u32, out: &mut Vec<u8>) {
    if width <= 16 {
        // All 8 values in one 128-bit word (every dictionary of at most 65 536 entries).
        let mut acc = 0u128;
        for (j, &v) in group.iter().enumerate() {
            acc |= u128::from(v) << (j * width as usize);
        }
        out.extend_from_slice(&acc.to_le_bytes()[..width as usize]);
        return;
    }
    let mut words = [0u64; 5];
    for (j, &v) in group.iter().enumerate() {
        let bit = j * width as usize;
        let (w, off) = (bit / 64, bit % 64);
        let v = u64::from(v);
        words[w] |= v << off;
        if off + width as usize > 64 {
            words[w + 1] |= v >> (64 - off);
        }
    }
    let mut bytes = [0u8; 40];
    for (b, w) in bytes.chunks_exact_mut(8).zip(words) {
        b.copy_from_slice(&w.to_le_bytes());
    }
    out.extend_from_slice(&bytes[..width as usize]);
}

/// Appends `v` as a ULEB128 varint.
fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}
