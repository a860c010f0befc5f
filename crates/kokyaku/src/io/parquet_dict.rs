//! A dictionary-encoded text column whose row groups repeat one dictionary, decoded once.
//!
//! pyarrow writes an Arrow dictionary column (a pandas `category`, a Polars `Categorical`, an
//! array after `dictionary_encode()`) with the whole dictionary in every row group: an export
//! of 10M orders in 10 row groups carries all 3.8M customer ids ten times, 98 MB compressed
//! each. arrow-rs decompresses, copies and checks every row group's dictionary; on such a file
//! that was about half of the reading thread's time and most of the process's page faults.
//!
//! Here the customer column's pages are read directly: a row group whose dictionary page has
//! the same bytes as the dictionary already decoded skips it without decompressing, and its
//! rows' keys index that one dictionary. Batches of one dictionary for the whole file also
//! let the summary look each customer up once per value, not once per value and row group
//! (its cache of a dictionary's rows lives as long as the dictionary). The other columns
//! still come from arrow-rs, one reader per row group, so a batch never spans two.
//!
//! The route is taken only where the footer promises it fits (see [`plan`]); a page that
//! breaks the promise is a damaged file, reported as `malformed_input`.

use std::sync::Arc;

use arrow_array::types::UInt32Type;
use arrow_array::{
    ArrayRef, DictionaryArray, LargeStringArray, PrimitiveArray, RecordBatch, StringArray,
};
use arrow_buffer::{BooleanBufferBuilder, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use bytes::Bytes;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder,
};
use parquet::basic::Encoding;
use parquet::column::page::{Page, PageReader};
use parquet::file::metadata::{ColumnChunkMetaData, ParquetMetaData};
use parquet::file::reader::ChunkReader;
use parquet::file::serialized_reader::SerializedPageReader;

use super::parquet::{Strict, malformed};
use crate::Result;

/// Where the repeated-dictionary column is, and what it becomes.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// The column's leaf index in the Parquet schema.
    leaf: usize,
    /// Its position among the projected columns (`wanted`, sorted).
    at: usize,
    /// Its field in the batches: a dictionary of `u32` keys over the file's value type.
    field: Field,
    /// Whether the values are `LargeUtf8` (else `Utf8`).
    large: bool,
    /// Whether rows may be null (a definition level per row).
    nullable: bool,
}

/// The plan for column `root` (a root index of the file's Arrow `schema`, one of the sorted
/// `wanted`): `Some` when the file promises what this reader needs, in every row group a
/// dictionary page and only dictionary-encoded data pages (the footer's page encoding
/// statistics), a flat text column of Arrow dictionary type, and more than one row group (with
/// one, arrow-rs decodes the dictionary once too).
pub(crate) fn plan(
    meta: &ParquetMetaData,
    schema: &Schema,
    root: usize,
    wanted: &[usize],
    file_bytes: u64,
) -> Option<Plan> {
    let field = schema.fields().get(root)?;
    let large = match field.data_type() {
        DataType::Dictionary(_, v) => match **v {
            DataType::Utf8 => false,
            DataType::LargeUtf8 => true,
            _ => return None,
        },
        _ => return None,
    };
    let descr = meta.file_metadata().schema_descr();
    let mut leaves = (0..descr.num_columns()).filter(|&l| descr.get_column_root_idx(l) == root);
    let leaf = leaves.next()?;
    let column = descr.column(leaf);
    if leaves.next().is_some()
        || column.physical_type() != parquet::basic::Type::BYTE_ARRAY
        || column.max_rep_level() != 0
        || column.max_def_level() > 1
        || meta.num_row_groups() < 2
    {
        return None;
    }
    let all_dictionary = meta.row_groups().iter().all(|g| {
        let Some(c) = g.columns().get(leaf) else {
            return false;
        };
        dictionary_range(c).is_some()
            && c.page_encoding_stats_mask().is_some_and(|m| {
                m.is_only(Encoding::RLE_DICTIONARY) || m.is_only(Encoding::PLAIN_DICTIONARY)
            })
            // Keys are decoded a row group at a time: a footer claiming more rows than the
            // file could hold is left to arrow-rs, which decodes in batches.
            && u64::try_from(g.num_rows())
                .is_ok_and(|r| r <= file_bytes.saturating_mul(MAX_KEYS_PER_BYTE))
    });
    if !all_dictionary {
        return None;
    }
    Some(Plan {
        leaf,
        at: wanted.iter().position(|&w| w == root)?,
        field: Field::new(
            field.name(),
            DataType::Dictionary(
                Box::new(DataType::UInt32),
                Box::new(if large {
                    DataType::LargeUtf8
                } else {
                    DataType::Utf8
                }),
            ),
            true,
        ),
        large,
        nullable: column.max_def_level() == 1,
    })
}

/// Rows a row group may claim per byte of the file to be read here (a key takes at least a
/// bit unless every key is the same).
const MAX_KEYS_PER_BYTE: u64 = 8;

/// The byte range of a column chunk's dictionary page (header and body): from its offset to
/// the first data page.
fn dictionary_range(c: &ColumnChunkMetaData) -> Option<(u64, u64)> {
    let start = u64::try_from(c.dictionary_page_offset()?).ok()?;
    let end = u64::try_from(c.data_page_offset()).ok()?;
    // A footer may put the data before the dictionary: no range (and no subtraction).
    end.checked_sub(start)
        .filter(|&len| len > 0)
        .map(|len| (start, len))
}

/// The batches of a Parquet file, the planned column read here and the others by arrow-rs
/// (one reader per row group).
pub(crate) struct Groups<C: ChunkReader + 'static> {
    chunks: Arc<C>,
    meta: ArrowReaderMetadata,
    /// The projection without the planned column.
    mask: ProjectionMask,
    batch_rows: usize,
    plan: Plan,
    /// The schema of the batches handed out (set at the first batch).
    schema: Option<SchemaRef>,
    next_group: usize,
    reader: Option<ParquetRecordBatchReader>,
    /// The current row group's keys and nulls, and the next row to hand out.
    keys: ScalarBuffer<u32>,
    nulls: Option<NullBuffer>,
    pos: usize,
    /// The decoded dictionary and the byte range of the page it came from.
    dictionary: Option<((u64, u64), ArrayRef)>,
    /// Buffers reused from page to page.
    levels: Vec<u32>,
    values: Vec<u32>,
}

impl<C: ChunkReader + 'static> Groups<C> {
    /// The reader over every row group of the file behind `meta`.
    pub(crate) fn new(
        chunks: Arc<C>,
        meta: ArrowReaderMetadata,
        wanted: &[usize],
        plan: Plan,
        batch_rows: usize,
    ) -> Self {
        let root = wanted.get(plan.at).copied();
        let mask = ProjectionMask::roots(
            meta.parquet_schema(),
            wanted.iter().copied().filter(|&w| Some(w) != root),
        );
        Self {
            chunks,
            meta,
            mask,
            batch_rows: batch_rows.max(1),
            plan,
            schema: None,
            next_group: 0,
            reader: None,
            keys: ScalarBuffer::from(Vec::new()),
            nulls: None,
            pos: 0,
            dictionary: None,
            levels: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Opens row group `g`: its keys decoded, its other columns' reader built.
    fn open(&mut self, g: usize) -> Result<()> {
        let meta = Arc::clone(self.meta.metadata());
        let group = meta.row_group(g);
        let chunk = group
            .columns()
            .get(self.plan.leaf)
            .ok_or_else(|| malformed(format_args!("row group {g} lacks a column")))?;
        let rows = usize::try_from(group.num_rows()).map_err(malformed)?;
        let name = chunk.column_path().string();
        let damaged = |what: &str| {
            malformed(format_args!(
                "column '{name}' in row group {g}: {what}; the file is damaged (write it again)"
            ))
        };
        let mut pages = SerializedPageReader::new(
            Arc::new(Strict(Arc::clone(&self.chunks))),
            chunk,
            rows,
            None,
        )
        .map_err(malformed)?;
        let range = dictionary_range(chunk).ok_or_else(|| damaged("no dictionary page"))?;
        let same = match &self.dictionary {
            Some((decoded, _)) => same_bytes(&*self.chunks, *decoded, range)?,
            None => false,
        };
        if same {
            match pages.peek_next_page().map_err(malformed)? {
                Some(m) if m.is_dict => pages.skip_next_page().map_err(malformed)?,
                _ => return Err(damaged("the first page is not the dictionary")),
            }
        } else {
            match pages.get_next_page().map_err(malformed)? {
                Some(Page::DictionaryPage {
                    buf,
                    num_values,
                    encoding,
                    ..
                }) => {
                    if !matches!(encoding, Encoding::PLAIN | Encoding::PLAIN_DICTIONARY) {
                        return Err(damaged("the dictionary page is not PLAIN-encoded"));
                    }
                    let values = decode_dictionary(&buf, num_values, self.plan.large)
                        .map_err(|e| damaged(&e))?;
                    self.dictionary = Some((range, values));
                }
                _ => return Err(damaged("the first page is not the dictionary")),
            }
        }
        let mut keys: Vec<u32> = Vec::new();
        let mut valid: Option<BooleanBufferBuilder> = None;
        while let Some(page) = pages.get_next_page().map_err(malformed)? {
            let (buf, n, encoding, levels) = match page {
                Page::DataPage {
                    buf,
                    num_values,
                    encoding,
                    def_level_encoding,
                    ..
                } => {
                    if !self.plan.nullable {
                        (buf, num_values, encoding, None)
                    } else if def_level_encoding != Encoding::RLE {
                        return Err(damaged("definition levels are not RLE-encoded"));
                    } else {
                        let len = buf
                            .get(..4)
                            .and_then(|b| <[u8; 4]>::try_from(b).ok())
                            .map(u32::from_le_bytes)
                            .and_then(|l| usize::try_from(l).ok())
                            .filter(|&l| l <= buf.len() - 4)
                            .ok_or_else(|| damaged("a data page ends in its levels"))?;
                        let levels = buf.slice(4..4 + len);
                        (buf.slice(4 + len..), num_values, encoding, Some(levels))
                    }
                }
                Page::DataPageV2 {
                    buf,
                    num_values,
                    encoding,
                    num_nulls,
                    def_levels_byte_len,
                    rep_levels_byte_len,
                    ..
                } => {
                    let (rep, def) = (rep_levels_byte_len as usize, def_levels_byte_len as usize);
                    if rep != 0 || def > buf.len() {
                        return Err(damaged("a data page's level lengths do not fit it"));
                    }
                    // Without nulls every level is 1: not decoded.
                    let levels = (self.plan.nullable && num_nulls > 0).then(|| buf.slice(..def));
                    (buf.slice(def..), num_values, encoding, levels)
                }
                Page::DictionaryPage { .. } => {
                    return Err(damaged("a second dictionary page"));
                }
            };
            if !matches!(
                encoding,
                Encoding::RLE_DICTIONARY | Encoding::PLAIN_DICTIONARY
            ) {
                return Err(damaged("a data page is not dictionary-encoded"));
            }
            let n = n as usize;
            if n > rows - keys.len() {
                return Err(damaged("its pages hold more rows than the row group"));
            }
            // Definition levels (1: a value, 0: null), when the page may hold nulls.
            let present = match levels {
                None => n,
                Some(levels) => {
                    self.levels.clear();
                    self.levels.resize(n, 0);
                    if !hybrid(&levels, 1, &mut self.levels) {
                        return Err(damaged("a data page ends in its levels"));
                    }
                    self.levels.iter().filter(|&&l| l != 0).count()
                }
            };
            self.values.clear();
            self.values.resize(present, 0);
            if present > 0 {
                let (&width, rest) = buf
                    .split_first()
                    .ok_or_else(|| damaged("a data page ends before its keys"))?;
                if width > 32 {
                    return Err(damaged("a key width over 32 bits"));
                }
                if !hybrid(rest, u32::from(width), &mut self.values) {
                    return Err(damaged("a data page ends in its keys"));
                }
            }
            if present == n && valid.is_none() {
                keys.extend_from_slice(&self.values);
                continue;
            }
            let v = valid.get_or_insert_with(|| {
                let mut b = BooleanBufferBuilder::new(rows);
                b.append_n(keys.len(), true);
                b
            });
            if present == n {
                keys.extend_from_slice(&self.values);
                v.append_n(n, true);
                continue;
            }
            let mut next = self.values.iter();
            for &l in &self.levels {
                keys.push(if l != 0 {
                    next.next().copied().unwrap_or(0)
                } else {
                    0
                });
                v.append(l != 0);
            }
        }
        if keys.len() != rows {
            return Err(damaged("its pages hold fewer rows than the row group"));
        }
        self.nulls = valid.map(|mut b| NullBuffer::new(b.finish()));
        self.keys = ScalarBuffer::from(keys);
        self.pos = 0;
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(
            Strict(Arc::clone(&self.chunks)),
            self.meta.clone(),
        )
        .with_projection(self.mask.clone())
        .with_batch_size(self.batch_rows)
        .with_row_groups(vec![g])
        .build()
        .map_err(malformed)?;
        self.reader = Some(reader);
        Ok(())
    }

    /// Batch `b` of arrow-rs with the planned column's next rows put in their place.
    fn attach(&mut self, b: &RecordBatch) -> Result<RecordBatch> {
        let n = b.num_rows();
        if self.pos + n > self.keys.len() {
            return Err(malformed(
                "the customer column has fewer rows than the others",
            ));
        }
        let keys = self.keys.slice(self.pos, n);
        let nulls = self.nulls.as_ref().map(|x| x.slice(self.pos, n));
        self.pos += n;
        let values = self
            .dictionary
            .as_ref()
            .map(|(_, v)| Arc::clone(v))
            .ok_or_else(|| malformed("no dictionary decoded"))?;
        let column =
            DictionaryArray::<UInt32Type>::try_new(PrimitiveArray::new(keys, nulls), values)
                .map_err(malformed)?;
        let mut columns = b.columns().to_vec();
        columns.insert(self.plan.at.min(columns.len()), Arc::new(column));
        let schema = if let Some(s) = &self.schema {
            Arc::clone(s)
        } else {
            let mut fields: Vec<Field> = b
                .schema()
                .fields()
                .iter()
                .map(|f| f.as_ref().clone())
                .collect();
            fields.insert(self.plan.at.min(fields.len()), self.plan.field.clone());
            let s = Arc::new(Schema::new(fields));
            self.schema = Some(Arc::clone(&s));
            s
        };
        RecordBatch::try_new(schema, columns).map_err(malformed)
    }
}

impl<C: ChunkReader + 'static> Iterator for Groups<C> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Result<RecordBatch>> {
        loop {
            if let Some(r) = &mut self.reader {
                match r.next() {
                    Some(Ok(b)) => return Some(self.attach(&b)),
                    Some(Err(e)) => return Some(Err(malformed(e))),
                    None => {
                        self.reader = None;
                        if self.pos != self.keys.len() {
                            return Some(Err(malformed(
                                "the customer column has more rows than the others",
                            )));
                        }
                    }
                }
            }
            let g = self.next_group;
            if g >= self.meta.metadata().num_row_groups() {
                return None;
            }
            self.next_group += 1;
            if let Err(e) = self.open(g) {
                self.next_group = usize::MAX; // nothing after an error
                return Some(Err(e));
            }
        }
    }
}

/// The values of a PLAIN dictionary page of byte arrays (each a 4-byte little-endian length
/// and its bytes) as a string array; `Err` says what is wrong.
fn decode_dictionary(
    buf: &Bytes,
    count: u32,
    large: bool,
) -> std::result::Result<ArrayRef, String> {
    let count = count as usize;
    let mut offsets: Vec<i64> = Vec::with_capacity(count.min(buf.len() / 4) + 1);
    let mut data: Vec<u8> = Vec::with_capacity(buf.len().saturating_sub(count.saturating_mul(4)));
    offsets.push(0);
    let mut at = 0usize;
    for _ in 0..count {
        let len = buf
            .get(at..at + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_le_bytes)
            .ok_or("the dictionary page ends in a value's length")? as usize;
        at += 4;
        let value = buf
            .get(at..at.saturating_add(len))
            .ok_or("the dictionary page ends in a value")?;
        data.extend_from_slice(value);
        at += len;
        offsets.push(i64::try_from(data.len()).map_err(|e| e.to_string())?);
    }
    let not_text =
        |e: arrow_schema::ArrowError| format!("a dictionary value is not UTF-8 text ({e})");
    if large {
        let a = LargeStringArray::try_new(OffsetBuffer::new(offsets.into()), data.into(), None)
            .map_err(not_text)?;
        Ok(Arc::new(a))
    } else {
        let offsets = offsets
            .into_iter()
            .map(i32::try_from)
            .collect::<std::result::Result<Vec<i32>, _>>()
            .map_err(
                |_| "the dictionary's values exceed 2 GiB (write the column as large_string)",
            )?;
        let a = StringArray::try_new(OffsetBuffer::new(offsets.into()), data.into(), None)
            .map_err(not_text)?;
        Ok(Arc::new(a))
    }
}

/// Decodes `out.len()` values of `width` bits (at most 32) from `data` in Parquet's
/// RLE / bit-packing hybrid (the encoding of definition levels and dictionary keys: runs each
/// headed by a ULEB128 varint, odd for `header >> 1` groups of 8 bit-packed values, least
/// significant bit first, even for one value repeated `header >> 1` times, stored in
/// `ceil(width / 8)` little-endian bytes). `false` when `data` ends first or a run is damaged.
///
/// (arrow-rs has this decoder, but public only behind its `experimental` feature, which also
/// builds its Variant crates and the whole `arrow` crate: 18 more crates for 40 lines.)
pub(crate) fn hybrid(data: &[u8], width: u32, out: &mut [u32]) -> bool {
    if width > 32 {
        return false;
    }
    let mask = (1u64 << width) - 1;
    let mut at = 0usize;
    let mut filled = 0usize;
    while filled < out.len() {
        let mut header: u64 = 0;
        let mut shift = 0;
        loop {
            let Some(&b) = data.get(at) else {
                return false;
            };
            at += 1;
            header |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 35 {
                return false;
            }
        }
        let count = usize::try_from(header >> 1).unwrap_or(usize::MAX);
        let rest = out.len() - filled;
        if header & 1 == 1 {
            // `count` groups of 8 values, `width` bytes a group; the last may be padding.
            let values = count.saturating_mul(8);
            let bytes = count.saturating_mul(width as usize);
            let Some(packed) = data.get(at..at.saturating_add(bytes)) else {
                return false;
            };
            at += bytes;
            let take = values.min(rest);
            let (mut acc, mut bits, mut next) = (0u64, 0u32, packed.iter());
            for o in &mut out[filled..filled + take] {
                while bits < width {
                    let Some(&b) = next.next() else {
                        return false;
                    };
                    acc |= u64::from(b) << bits;
                    bits += 8;
                }
                *o = (acc & mask) as u32;
                acc >>= width;
                bits -= width;
            }
            filled += take;
        } else {
            let bytes = width.div_ceil(8) as usize;
            let Some(v) = data.get(at..at + bytes) else {
                return false;
            };
            at += bytes;
            let value = v.iter().rev().fold(0u64, |a, &b| a << 8 | u64::from(b));
            if value > mask || count == 0 {
                return false;
            }
            let take = count.min(rest);
            out[filled..filled + take].fill(value as u32);
            filled += take;
        }
    }
    true
}

/// Whether the byte ranges `a` and `b` (start, length) of the file hold the same bytes, read
/// a piece at a time. (Through `get_bytes`: two readers of `get_read` on one file share its
/// position.)
fn same_bytes<C: ChunkReader>(chunks: &C, a: (u64, u64), b: (u64, u64)) -> Result<bool> {
    const PIECE: u64 = 1 << 20;
    if a.1 != b.1 {
        return Ok(false);
    }
    let mut at = 0;
    while at < a.1 && a.0 != b.0 {
        let n = usize::try_from((a.1 - at).min(PIECE)).map_err(malformed)?;
        let x = chunks.get_bytes(a.0 + at, n).map_err(malformed)?;
        let y = chunks.get_bytes(b.0 + at, n).map_err(malformed)?;
        if x != y {
            return Ok(false);
        }
        at += n as u64;
    }
    Ok(true)
}
