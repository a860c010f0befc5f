//! Customer ids of an Arrow dictionary type in several row groups, read through
//! `parquet_dict` (a dictionary repeated in every row group decoded once), summarise and load
//! exactly as the same ids written as plain text and read by arrow-rs: random logs with nulls
//! and padded ids, row groups whose dictionaries repeat or change, Parquet data pages v1 and
//! v2, several pages per row group, `Utf8` and `LargeUtf8` values; and the files pyarrow writes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{
    Array, ArrayRef, DictionaryArray, Float64Array, Int64Array, LargeStringArray, RecordBatch,
    StringArray, TimestampMillisecondArray,
};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::file::properties::{WriterProperties, WriterVersion};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::ReadOptions;
use super::parquet_dict::{Groups, hybrid, plan};
use super::plain_tests::{grouped_json, outcome, summary_json};
use super::summarize::summarize_parquet_in_batches;
use crate::summary::SummaryOptions;

static FILES: AtomicUsize = AtomicUsize::new(0);

fn temp_path() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kokyaku-dict-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(format!("{}.parquet", FILES.fetch_add(1, Ordering::Relaxed)))
}

/// Customer `c` as text: 0-11 distinct ids, 12 the id of 3 padded, 13 null.
fn id_text(c: u8) -> Option<String> {
    match c {
        0..12 => Some(format!("cust-{c:02}")),
        12 => Some("  cust-03 ".to_owned()),
        _ => None,
    }
}

/// One generated row: customer code, hour, cents.
type GenRow = (u8, i64, i64);

/// How a file is written.
#[derive(Debug, Clone, Copy)]
struct Layout {
    group_rows: usize,
    page_rows: usize,
    v2: bool,
    large: bool,
}

/// Writes `rows` with the customer ids as an Arrow dictionary (`dictionary`) or as plain text.
fn write(rows: &[GenRow], dictionary: bool, l: Layout) -> PathBuf {
    let n = rows.len();
    let texts: Vec<Option<String>> = rows.iter().map(|r| id_text(r.0)).collect();
    let values: ArrayRef = if l.large {
        Arc::new(texts.iter().cloned().collect::<LargeStringArray>())
    } else {
        Arc::new(texts.iter().cloned().collect::<StringArray>())
    };
    let customers: ArrayRef = if dictionary {
        let keys: arrow_array::Int32Array = (0..n)
            .map(|i| texts[i].as_ref().map(|_| i32::try_from(i).expect("row")))
            .collect();
        // One dictionary value per row (the writer keeps each row group's distinct values in
        // the order they first appear).
        Arc::new(DictionaryArray::<Int32Type>::try_new(keys, values).expect("dictionary"))
    } else {
        values
    };
    let cols: Vec<(&str, ArrayRef)> = vec![
        ("customer_id", customers),
        (
            "order_id",
            Arc::new(Int64Array::from_iter_values(
                (0..n).map(|i| 5_000 + i as i64),
            )),
        ),
        (
            "ts",
            Arc::new(TimestampMillisecondArray::from_iter_values(
                rows.iter().map(|r| 1_700_000_000_000 + r.1 * 3_600_000),
            )),
        ),
        (
            "amount",
            Arc::new(Float64Array::from_iter_values(
                rows.iter().map(|r| r.2 as f64 / 100.0),
            )),
        ),
    ];
    // A column without nulls is written `required` (no definition levels), with nulls
    // `optional`: both page layouts meet the reader.
    let batch = RecordBatch::try_from_iter(cols).expect("batch");
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(l.group_rows))
        .set_data_page_row_count_limit(l.page_rows)
        .set_write_batch_size(l.page_rows)
        .set_writer_version(if l.v2 {
            WriterVersion::PARQUET_2_0
        } else {
            WriterVersion::PARQUET_1_0
        })
        .build();
    let path = temp_path();
    let f = std::fs::File::create(&path).expect("create");
    let mut w = ArrowWriter::try_new(f, batch.schema(), Some(props)).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
    path
}

fn options(missing: &str) -> ReadOptions {
    serde_json::from_value(json!({
        "columns": {"customer": "customer_id", "order": "order_id", "time": "ts", "amount": "amount"},
        "currency": "USD",
        "missing_customer": missing,
    }))
    .expect("options")
}

fn summarised(path: &Path, read: &ReadOptions, batch_rows: usize) -> Value {
    outcome(
        summarize_parquet_in_batches(path, read, &SummaryOptions::default(), batch_rows).map(|s| {
            (
                summary_json(&s.summaries),
                serde_json::to_value(&s.report).expect("report"),
            )
        }),
    )
}

/// `dict` (read through the route) summarises as `plain` (its ids as plain text, read by
/// arrow-rs), and loads as `plain` read row by row.
fn same_outcomes(dict: &Path, plain: &Path, read: &ReadOptions, batch_rows: usize, what: &str) {
    assert_eq!(
        summarised(dict, read, batch_rows),
        summarised(plain, read, batch_rows),
        "summary, {what}"
    );
    assert_eq!(
        grouped_json(dict, read, batch_rows, false),
        grouped_json(plain, read, batch_rows, true),
        "grouped log, {what}"
    );
}

/// Whether the file's customer column takes the repeated-dictionary route.
fn planned(path: &Path) -> bool {
    let f = std::fs::File::open(path).expect("open");
    let meta = ArrowReaderMetadata::load(&f, ArrowReaderOptions::default()).expect("metadata");
    let bytes = f.metadata().expect("size").len();
    plan(meta.metadata(), meta.schema(), 0, &[0, 1, 2, 3], bytes).is_some()
}

/// The batches of the repeated-dictionary route, read directly.
fn groups(path: &Path, batch_rows: usize) -> Vec<RecordBatch> {
    let f = std::fs::File::open(path).expect("open");
    let bytes = f.metadata().expect("size").len();
    let meta = ArrowReaderMetadata::load(&f, ArrowReaderOptions::default()).expect("metadata");
    let wanted = [0, 1, 2, 3];
    let p = plan(meta.metadata(), meta.schema(), 0, &wanted, bytes).expect("planned");
    Groups::new(Arc::new(f), meta, &wanted, p, batch_rows)
        .collect::<crate::Result<Vec<_>>>()
        .expect("batches")
}

/// The customer ids of batches as text, row by row.
fn ids(batches: &[RecordBatch]) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for b in batches {
        let d = b.column(0).as_any_dictionary();
        let keys = d.normalized_keys();
        let values = d.values();
        for (i, &k) in keys.iter().enumerate() {
            out.push(d.keys().is_valid(i).then(|| match values.data_type() {
                DataType::LargeUtf8 => values.as_string::<i64>().value(k).to_owned(),
                _ => values.as_string::<i32>().value(k).to_owned(),
            }));
        }
    }
    out
}

fn run(rows: &[GenRow], l: Layout, batch_rows: usize, missing: &str) {
    let dict = write(rows, true, l);
    let plain = write(rows, false, l);
    let read = options(missing);
    // Every row group holds a customer id (else the writer may leave out its dictionary).
    let groups_with_ids = rows
        .chunks(l.group_rows)
        .all(|g| g.iter().any(|r| id_text(r.0).is_some()));
    if rows.len() > l.group_rows && groups_with_ids {
        assert!(planned(&dict), "{l:?}");
        let want: Vec<Option<String>> = rows.iter().map(|r| id_text(r.0)).collect();
        assert_eq!(ids(&groups(&dict, batch_rows)), want, "{l:?}");
    }
    same_outcomes(&dict, &plain, &read, batch_rows, &format!("{l:?}"));
    for p in [dict, plain] {
        std::fs::remove_file(p).ok();
    }
}

/// Rows whose row groups each start with `head` (so their dictionaries, in order of first
/// appearance, are the same) when `repeat`, else any customers.
fn shaped(rows: Vec<GenRow>, head: &[u8], group_rows: usize, repeat: &[bool]) -> Vec<GenRow> {
    let mut out = rows;
    for (g, chunk) in out.chunks_mut(group_rows).enumerate() {
        if !repeat.get(g).copied().unwrap_or(false) {
            continue;
        }
        for (i, r) in chunk.iter_mut().enumerate() {
            r.0 = match head.get(i) {
                Some(&c) => c,
                // Later rows: customers of the head only (nulls too).
                None if r.0 == 13 => 13,
                None => head
                    .get(usize::from(r.0) % head.len().max(1))
                    .copied()
                    .unwrap_or(13),
            };
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(120))]
    #[test]
    fn repeated_dictionaries_summarise_as_plain_text(
        rows in prop::collection::vec((prop_oneof![10 => 0u8..12, 1 => 12u8..14], 0i64..3_000, 1i64..90_000), 0..90),
        head in prop::collection::vec(0u8..13, 1..6).prop_map(|mut h| { h.sort_unstable(); h.dedup(); h }),
        repeat in prop::collection::vec(any::<bool>(), 8),
        group_rows in 5usize..30,
        page_rows in 1usize..12,
        v2 in any::<bool>(),
        large in any::<bool>(),
        batch_rows in 1usize..40,
        missing in prop::sample::select(vec!["anonymous", "reject"]),
    ) {
        let rows = shaped(rows, &head, group_rows, &repeat);
        run(&rows, Layout { group_rows, page_rows, v2, large }, batch_rows, missing);
    }
}

/// Row groups with the same dictionary share one decoded dictionary (the same array), and the
/// batches hold every row.
#[test]
fn a_repeated_dictionary_is_decoded_once() {
    let rows: Vec<GenRow> = (0..60).map(|k| ((k % 4) as u8, k, 100 + k)).collect();
    let l = Layout {
        group_rows: 20,
        page_rows: 7,
        v2: false,
        large: false,
    };
    let path = write(&rows, true, l);
    let batches = groups(&path, 6);
    let first = batches[0].column(0).as_any_dictionary().values().clone();
    for b in &batches {
        assert!(Arc::ptr_eq(
            b.column(0).as_any_dictionary().values(),
            &first
        ));
    }
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 60);
    run(&rows, l, 6, "reject");
    std::fs::remove_file(path).ok();
}

/// The files pyarrow writes from a dictionary column (`tests/data/make_repeated_dictionary.py`:
/// the dictionary in every row group, another in the last; values no row uses, nulls, a padded
/// id; data pages v1 and v2): read through the route, they load and summarise as the same ids
/// in plain text.
#[test]
fn pyarrow_repeated_dictionaries_read_as_plain_text() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    for name in [
        "parquet_repeated_dictionary.parquet",
        "parquet_repeated_dictionary_v2.parquet",
    ] {
        let path = data.join(name);
        assert!(planned(&path), "{name}");
        // Row groups 0 and 1 carry the same dictionary page: one array.
        let batches = groups(&path, 1_000);
        assert_eq!(batches.len(), 3, "{name}");
        let d = |b: &RecordBatch| b.column(0).as_any_dictionary().values().clone();
        assert!(Arc::ptr_eq(&d(&batches[0]), &d(&batches[1])), "{name}");
        // The same rows with the ids as plain text, read by arrow-rs.
        let f = std::fs::File::open(&path).expect("open");
        let plain: Vec<RecordBatch> = ParquetRecordBatchReaderBuilder::try_new(f)
            .expect("reader")
            .build()
            .expect("reader")
            .map(|b| {
                let b = b.expect("batch");
                let d = b.column(0).as_any_dictionary();
                let text: StringArray = (0..b.num_rows())
                    .map(|i| {
                        d.keys().is_valid(i).then(|| {
                            d.values()
                                .as_string::<i32>()
                                .value(d.normalized_keys()[i])
                                .to_owned()
                        })
                    })
                    .collect();
                let mut cols = b.columns().to_vec();
                cols[0] = Arc::new(text);
                let fields: Vec<Field> = b
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| Field::new(f.name(), cols[0].data_type().clone(), true))
                    .collect();
                let mut fields = fields;
                for (i, f) in b.schema().fields().iter().enumerate().skip(1) {
                    fields[i] = f.as_ref().clone();
                }
                RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).expect("batch")
            })
            .collect();
        assert_eq!(
            ids(&batches),
            plain
                .iter()
                .flat_map(|b| {
                    let s = b.column(0).as_string::<i32>();
                    (0..s.len())
                        .map(|i| s.is_valid(i).then(|| s.value(i).to_owned()))
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>(),
            "{name}"
        );
        let copy = temp_path();
        let f = std::fs::File::create(&copy).expect("create");
        let mut w = ArrowWriter::try_new(f, plain[0].schema(), None).expect("writer");
        for b in &plain {
            w.write(b).expect("write");
        }
        w.close().expect("close");
        for missing in ["anonymous", "reject"] {
            let read = options(missing);
            for batch_rows in [7, 1_000] {
                same_outcomes(&path, &copy, &read, batch_rows, name);
            }
        }
        std::fs::remove_file(copy).ok();
    }
}

/// The examples of Parquet's encoding spec (`Encodings.md`, "Run Length Encoding / Bit-Packing
/// Hybrid"): 0-7 bit-packed in 3 bits is `10001000 11000110 11111010` after a header of one
/// group; a run of 100 values 5 in 3 bits is header 200, then one byte.
#[test]
fn the_hybrid_decoder_reads_the_spec_examples() {
    let mut out = [0u32; 8];
    assert!(hybrid(
        &[0x03, 0b1000_1000, 0b1100_0110, 0b1111_1010],
        3,
        &mut out
    ));
    assert_eq!(out, [0, 1, 2, 3, 4, 5, 6, 7]);
    let mut out = vec![0u32; 100];
    assert!(hybrid(&[200, 1, 5], 3, &mut out));
    assert!(out.iter().all(|&v| v == 5));
    // Fewer values wanted than a group holds: the group's padding is not read as values.
    let mut out = [0u32; 5];
    assert!(hybrid(
        &[0x03, 0b1000_1000, 0b1100_0110, 0b1111_1010],
        3,
        &mut out
    ));
    assert_eq!(out, [0, 1, 2, 3, 4]);
    // Data ending early, a value wider than the width, a width over 32: not decoded.
    assert!(!hybrid(&[0x03, 0b1000_1000], 3, &mut [0u32; 8]));
    assert!(!hybrid(&[4, 9], 3, &mut [0u32; 2]));
    assert!(!hybrid(&[200, 1, 5], 33, &mut [0u32; 2]));
    assert!(!hybrid(&[], 1, &mut [0u32; 1]));
    // Width 0: every value 0, from a run header alone.
    let mut out = [7u32; 4];
    assert!(hybrid(&[8], 0, &mut out));
    assert_eq!(out, [0; 4]);
}

/// Runs encoded as the spec says (`runs`: repeated or not, and the values), back to values.
fn encode(runs: &[(bool, Vec<u32>)], width: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let varint = |out: &mut Vec<u8>, mut v: u64| loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    };
    for (repeat, values) in runs {
        if *repeat {
            varint(&mut out, (values.len() as u64) << 1);
            let v = values.first().copied().unwrap_or(0);
            out.extend_from_slice(&v.to_le_bytes()[..width.div_ceil(8) as usize]);
        } else {
            let groups = values.len().div_ceil(8);
            varint(&mut out, (groups as u64) << 1 | 1);
            let (mut acc, mut bits) = (0u128, 0u32);
            for k in 0..groups * 8 {
                acc |= u128::from(values.get(k).copied().unwrap_or(0)) << bits;
                bits += width;
                while bits >= 8 {
                    out.push(acc as u8);
                    acc >>= 8;
                    bits -= 8;
                }
            }
        }
    }
    out
}

proptest! {
    #[test]
    fn the_hybrid_decoder_reads_what_the_spec_writes(
        width in 0u32..=32,
        runs in prop::collection::vec((any::<bool>(), 1usize..40, any::<u32>(), any::<u64>()), 1..8),
    ) {
        let mask = if width == 32 { u32::MAX } else { (1u32 << width) - 1 };
        let last = runs.len() - 1;
        let runs: Vec<(bool, Vec<u32>)> = runs
            .into_iter()
            .enumerate()
            .map(|(i, (repeat, n, v, seed))| {
                // Bit-packed runs hold groups of 8 values; only the last may end in padding.
                let n = if repeat || i == last { n } else { n.div_ceil(8) * 8 };
                let values = (0..n)
                    .map(|k| if repeat { v & mask } else {
                        (seed.rotate_left(k as u32 * 7) as u32 ^ v.wrapping_mul(k as u32 + 1)) & mask
                    })
                    .collect();
                (repeat, values)
            })
            .collect();
        let data = encode(&runs, width);
        let want: Vec<u32> = runs.iter().flat_map(|(_, v)| v.iter().copied()).collect();
        let mut got = vec![u32::MAX; want.len()];
        prop_assert!(hybrid(&data, width, &mut got));
        prop_assert_eq!(got, want);
    }
}
