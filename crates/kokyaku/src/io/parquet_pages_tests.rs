//! The column chunks `parquet_pages` writes: the RLE / bit-packing hybrid against the
//! reader's decoder, and whole files read back by arrow-rs as the rows written, with the
//! chunk statistics arrow-rs writes for the same rows, the route taken where it should be.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::UInt16Type;
use arrow_array::{
    Array, ArrayRef, Date32Array, DictionaryArray, Int64Array, RecordBatch, StringArray,
    UInt16Array,
};
use arrow_schema::{Field, Schema};
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::properties::WriterProperties;
use proptest::prelude::*;

use super::parquet_dict::hybrid;
use super::parquet_pages::{MAX_RANGE, PAGE_ROWS, encode_hybrid};
use super::summary_out::write_parquet_groups;

/// A column of a test table: what it is and whether the pages should take it.
#[derive(Debug, Clone)]
enum Col {
    Ints(Vec<Option<i64>>),
    Dates(Vec<Option<i32>>),
    /// Keys into `values` (a key may be unused, values may repeat).
    Labels(Vec<Option<u16>>, Vec<String>),
}

impl Col {
    /// The array the writer is given (labels as an Arrow dictionary).
    fn array(&self) -> ArrayRef {
        match self {
            Self::Ints(v) => Arc::new(Int64Array::from(v.clone())),
            Self::Dates(v) => Arc::new(Date32Array::from(v.clone())),
            Self::Labels(k, values) => {
                let values: ArrayRef = Arc::new(StringArray::from(values.clone()));
                Arc::new(
                    DictionaryArray::<UInt16Type>::try_new(UInt16Array::from(k.clone()), values)
                        .expect("keys within the values"),
                )
            }
        }
    }

    /// The array as the schema types it (labels as text): what the file reads back as.
    fn plain(&self) -> ArrayRef {
        match self {
            Self::Labels(k, values) => Arc::new(StringArray::from(
                k.iter()
                    .map(|k| k.map(|k| values[usize::from(k)].clone()))
                    .collect::<Vec<_>>(),
            )),
            _ => self.array(),
        }
    }

    /// Whether `parquet_pages` should write this column's chunk of `rows`.
    fn taken(&self, rows: std::ops::Range<usize>) -> bool {
        let span = |v: &mut dyn Iterator<Item = i64>| {
            let v: Vec<i64> = v.collect();
            match (v.iter().min(), v.iter().max()) {
                (Some(&lo), Some(&hi)) => (i128::from(hi) - i128::from(lo)) < i128::from(MAX_RANGE),
                _ => false, // all null
            }
        };
        match self {
            Self::Ints(v) => span(&mut v[rows].iter().flatten().copied()),
            Self::Dates(v) => span(&mut v[rows].iter().flatten().map(|&d| i64::from(d))),
            Self::Labels(k, _) => k[rows].iter().any(Option::is_some),
        }
    }
}

/// The schema of `cols` (`c0`, `c1`, …; labels typed as text, as the summary's are).
fn schema(cols: &[Col]) -> Arc<Schema> {
    Arc::new(Schema::new(
        cols.iter()
            .enumerate()
            .map(|(k, c)| Field::new(format!("c{k}"), c.plain().data_type().clone(), true))
            .collect::<Vec<_>>(),
    ))
}

/// `cols` written by `write_parquet_groups` in groups of `group_rows`.
fn ours(cols: &[Col], rows: usize, group_rows: usize) -> Vec<u8> {
    let arrays: Vec<ArrayRef> = cols.iter().map(Col::array).collect();
    let column = |k: usize, r: std::ops::Range<usize>| -> crate::Result<ArrayRef> {
        Ok(arrays[k].slice(r.start, r.len()))
    };
    let order: Vec<usize> = (0..cols.len()).rev().collect();
    let mut out = Vec::new();
    write_parquet_groups(
        &schema(cols),
        rows,
        &order,
        &column,
        Some(group_rows),
        &mut out,
    )
    .expect("written");
    out
}

/// `cols` written by arrow-rs alone, in the same row groups and compression.
fn theirs(cols: &[Col], group_rows: usize) -> Vec<u8> {
    let batch =
        RecordBatch::try_new(schema(cols), cols.iter().map(Col::plain).collect()).expect("batch");
    let props = WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(
            parquet::basic::ZstdLevel::default(),
        ))
        .set_max_row_group_row_count(Some(group_rows))
        .build();
    let mut out = Vec::new();
    let mut w = ArrowWriter::try_new(&mut out, batch.schema(), Some(props)).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
    out
}

/// The rows and metadata arrow-rs reads from `file`.
fn read(file: &[u8]) -> (Vec<RecordBatch>, Arc<ParquetMetaData>) {
    let options = parquet::arrow::arrow_reader::ArrowReaderOptions::new()
        .with_page_index_policy(parquet::file::metadata::PageIndexPolicy::Required);
    let r =
        ParquetRecordBatchReaderBuilder::try_new_with_options(Bytes::from(file.to_vec()), options)
            .expect("a Parquet file");
    let meta = r.metadata().clone();
    let batches = r
        .build()
        .expect("reader")
        .map(|b| b.expect("batch"))
        .collect();
    (batches, meta)
}

/// Writes `cols` both ways and checks: the same rows, row groups and chunk statistics, and
/// each chunk written by the pages exactly where they should take it (their chunks have no
/// column index; arrow-rs writes one for every chunk of these columns, whose statistics are
/// on), and an offset index for every chunk whose pages arrow-rs reads back by it.
fn check(cols: &[Col], rows: usize, group_rows: usize) {
    let (got, got_meta) = read(&ours(cols, rows, group_rows));
    let (want, want_meta) = read(&theirs(cols, group_rows));
    // Read the same way from the same row groups: the same batches.
    assert_eq!(got, want, "rows");
    assert_eq!(got_meta.num_row_groups(), want_meta.num_row_groups());
    for (g, (a, b)) in got_meta
        .row_groups()
        .iter()
        .zip(want_meta.row_groups())
        .enumerate()
    {
        assert_eq!(a.num_rows(), b.num_rows());
        let start = g * group_rows;
        let range = start..start + usize::try_from(a.num_rows()).expect("rows");
        for (k, (ca, cb)) in a.columns().iter().zip(b.columns()).enumerate() {
            let stats = |c: &parquet::file::metadata::ColumnChunkMetaData| {
                c.statistics().map(|s| {
                    (
                        s.min_bytes_opt().map(<[u8]>::to_vec),
                        s.max_bytes_opt().map(<[u8]>::to_vec),
                        s.null_count_opt(),
                    )
                })
            };
            assert_eq!(stats(ca), stats(cb), "statistics of c{k}, group {g}");
            assert_eq!(
                ca.num_values(),
                cb.num_values(),
                "values of c{k}, group {g}"
            );
            let taken = ca.column_index_offset().is_none();
            assert!(
                ca.offset_index_offset().is_some(),
                "offset index of c{k}, group {g}"
            );
            assert_eq!(
                taken,
                cols[k].taken(range.clone()),
                "route of c{k}, group {g}"
            );
        }
    }
}

/// Values of `width` bits in runs of 1-40 (long runs, short runs, bit-packed stretches).
fn runs() -> impl Strategy<Value = (u32, Vec<u32>)> {
    (
        0u32..=32,
        prop::collection::vec((any::<u32>(), 1usize..40), 0..60),
    )
        .prop_map(|(width, runs)| {
            let mask = if width == 32 {
                u32::MAX
            } else {
                (1u32 << width) - 1
            };
            let v = runs
                .iter()
                .flat_map(|&(v, n)| std::iter::repeat_n(v & mask, n))
                .collect();
            (width, v)
        })
}

/// A column of `rows` rows: integers of a small, medium or huge span (near the ends of
/// `i64` too), dates, or labels (values repeated, unused or empty), each with some nulls.
fn col(rows: usize) -> impl Strategy<Value = Col> {
    let nulls = prop::collection::vec(prop::bool::weighted(0.2), rows);
    (
        0u8..6,
        any::<i64>(),
        nulls,
        prop::collection::vec(any::<u64>(), rows),
    )
        .prop_map(move |(kind, base, nulls, r)| {
            let pick = |i: usize, v: i64| (!nulls[i]).then_some(v);
            match kind {
                0 => Col::Ints((0..rows).map(|i| pick(i, (r[i] % 6) as i64)).collect()),
                1 => Col::Ints(
                    (0..rows)
                        .map(|i| pick(i, base.saturating_add((r[i] % 5_000) as i64)))
                        .collect(),
                ),
                2 => Col::Ints((0..rows).map(|i| pick(i, r[i] as i64)).collect()),
                3 => Col::Ints(
                    (0..rows)
                        .map(|i| pick(i, i64::MAX - (r[i] % 3) as i64 * (i64::MAX / 2)))
                        .collect(),
                ),
                4 => Col::Dates(
                    (0..rows)
                        .map(|i| pick(i, 19_000 + (r[i] % 900) as i64).map(|d| d as i32))
                        .collect(),
                ),
                _ => Col::Labels(
                    (0..rows)
                        .map(|i| pick(i, (r[i] % 5) as i64).map(|k| k as u16))
                        .collect(),
                    ["loyal", "", "new", "loyal", "at risk", "unused"]
                        .map(String::from)
                        .to_vec(),
                ),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The encoder's output decodes (by the reader's decoder) to the values encoded.
    #[test]
    fn hybrid_round_trips((width, values) in runs()) {
        let mut enc = Vec::new();
        encode_hybrid(&values, width, &mut enc);
        let mut out = vec![0u32; values.len()];
        prop_assert!(hybrid(&enc, width, &mut out));
        prop_assert_eq!(out, values);
    }

    /// Random tables of the column kinds read back as arrow-rs writes them.
    #[test]
    fn chunks_read_back_as_arrow_rs_writes_them(
        (rows, cols) in (1usize..400).prop_flat_map(|n| (Just(n), prop::collection::vec(col(n), 1..5))),
        group_rows in 1usize..500,
    ) {
        check(&cols, rows, group_rows);
    }
}

/// `a` written by `write_parquet_groups` as the one column `c0` of type `t`.
fn one_column(a: &ArrayRef, t: arrow_schema::DataType, nullable: bool) -> Vec<u8> {
    let schema = Arc::new(Schema::new(vec![Field::new("c0", t, nullable)]));
    let column = |_: usize, r: std::ops::Range<usize>| -> crate::Result<ArrayRef> {
        Ok(a.slice(r.start, r.len()))
    };
    let mut out = Vec::new();
    write_parquet_groups(&schema, a.len(), &[0], &column, None, &mut out).expect("written");
    out
}

/// A label column whose rows all point at a null value is all null: left to arrow-rs,
/// read back as nulls.
#[test]
fn labels_of_null_values_are_nulls() {
    let values: ArrayRef = Arc::new(StringArray::from(vec![None, Some("x")]));
    let labels: ArrayRef = Arc::new(
        DictionaryArray::<UInt16Type>::try_new(UInt16Array::from(vec![0, 0, 0]), values)
            .expect("keys within the values"),
    );
    let (batches, meta) = read(&one_column(&labels, arrow_schema::DataType::Utf8, true));
    assert_eq!(batches[0].column(0).null_count(), 3);
    assert!(
        meta.row_group(0).column(0).column_index_offset().is_some(),
        "arrow-rs' chunk"
    );
}

/// A required (non-nullable) column: pages without definition levels, read back whole.
#[test]
fn required_columns_have_no_levels() {
    let ints: ArrayRef = Arc::new(Int64Array::from_iter_values((0..30_000).map(|i| i % 11)));
    let (batches, meta) = read(&one_column(&ints, arrow_schema::DataType::Int64, false));
    let got: Vec<i64> = batches
        .iter()
        .flat_map(|b| {
            b.column(0)
                .as_primitive::<arrow_array::types::Int64Type>()
                .values()
                .to_vec()
        })
        .collect();
    assert_eq!(got, (0..30_000).map(|i| i % 11).collect::<Vec<i64>>());
    assert!(
        meta.row_group(0).column(0).column_index_offset().is_none(),
        "the pages' chunk"
    );
}

/// More rows than a page holds, and more distinct values than a dictionary of the pages
/// (left to arrow-rs), an all-null column (too), and one value alone (a zero-bit key).
#[test]
fn pages_of_a_large_chunk() {
    let rows = 3 * PAGE_ROWS + 10_000;
    let cols = vec![
        Col::Ints(
            (0..rows)
                .map(|i| (i % 7 != 3).then_some((i % 250) as i64))
                .collect(),
        ),
        Col::Ints((0..rows).map(|i| Some(i as i64 * 3)).collect()),
        Col::Ints(vec![None; rows]),
        Col::Dates(vec![Some(20_000); rows]),
        Col::Labels(
            (0..rows).map(|i| Some((i / 1000 % 3) as u16)).collect(),
            vec!["a".into(), "b".into(), "c".into()],
        ),
    ];
    // The second column: as many distinct values as rows, over a span under `MAX_RANGE`:
    // within the distinct-value limit in groups of 50 000 rows, over it as one group of
    // 70 000.
    check(&cols, rows, 50_000);
    let (_, meta) = read(&ours(&cols, rows, rows));
    // The pages' offset index: back to back from the first data page to the chunk's end, a
    // page every `PAGE_ROWS` rows.
    let (_, meta50) = read(&ours(&cols, rows, 50_000));
    for (g, group) in meta50.row_groups().iter().enumerate() {
        let index = meta50.page_index_for_row_group(g);
        for (k, c) in group.columns().iter().enumerate() {
            if c.column_index_offset().is_some() {
                continue; // arrow-rs' chunk
            }
            let pages = index
                .offset_index(k)
                .expect("an offset index")
                .page_locations();
            let rows_in = usize::try_from(group.num_rows()).expect("rows");
            assert_eq!(
                pages.len(),
                rows_in.div_ceil(PAGE_ROWS),
                "pages of c{k}, group {g}"
            );
            assert_eq!(pages[0].offset, c.data_page_offset(), "c{k}, group {g}");
            let start = c.dictionary_page_offset().expect("a dictionary page");
            let end = start + c.compressed_size();
            for (p, w) in pages.iter().enumerate() {
                assert_eq!(w.first_row_index, (p * PAGE_ROWS) as i64);
                let next = pages.get(p + 1).map_or(end, |n| n.offset);
                assert_eq!(
                    w.offset + i64::from(w.compressed_page_size),
                    next,
                    "page {p} of c{k}"
                );
            }
        }
    }
    // Rows read through the offset index (whole pages skipped): the rows asked for.
    let file = Bytes::from(ours(&cols, rows, 50_000));
    let options = parquet::arrow::arrow_reader::ArrowReaderOptions::new()
        .with_page_index_policy(parquet::file::metadata::PageIndexPolicy::Required);
    let pick = [(PAGE_ROWS + 5, 10), (2 * PAGE_ROWS + 3_000, 7), (55_000, 3)];
    let mut selectors = Vec::new();
    let mut at = 0;
    for &(from, n) in &pick {
        selectors.push(parquet::arrow::arrow_reader::RowSelector::skip(from - at));
        selectors.push(parquet::arrow::arrow_reader::RowSelector::select(n));
        at = from + n;
    }
    let picked: Vec<RecordBatch> =
        ParquetRecordBatchReaderBuilder::try_new_with_options(file, options)
            .expect("a Parquet file")
            .with_row_selection(selectors.into())
            .build()
            .expect("reader")
            .map(|b| b.expect("batch"))
            .collect();
    let want: Vec<String> = pick
        .iter()
        .flat_map(|&(from, n)| from..from + n)
        .map(|i| format!("{:?}", (i % 7 != 3).then_some((i % 250) as i64)))
        .collect();
    let got: Vec<String> = picked
        .iter()
        .flat_map(|b| {
            let c = b.column(0).as_primitive::<arrow_array::types::Int64Type>();
            (0..c.len())
                .map(|i| format!("{:?}", (!c.is_null(i)).then(|| c.value(i))))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(got, want);
    let second = meta.row_group(0).column(1);
    assert!(
        second.column_index_offset().is_some(),
        "over the distinct-value limit"
    );
}
