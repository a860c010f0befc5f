//! The typed output table (`summary_out.rs`) equals the `Table` route: the same record batch,
//! the same CSV bytes, the same Parquet rows and statistics, on random logs.

use std::fmt::Write as _;

use proptest::prelude::*;

use super::summary_out::{
    TextLayout, summary_record_batch, summary_record_batch_with, write_batch_csv,
    write_batch_parquet, write_batch_parquet_in_groups, write_summary_csv,
    write_summary_csv_in_blocks, write_summary_parquet, write_summary_parquet_in_groups,
};
use super::{ReadOptions, read_csv_str, table_to_record_batch, write_table_parquet};
use crate::report::{AnalysisOptions, CustomerAnalysis};

/// A CSV log of `rows` (customer, day, amount in cents, cancelled) with awkward ids.
fn log_text(rows: &[(u8, u16, i64, bool)], scale: u32) -> String {
    let mut t = String::from("customer_id,placed_at,amount,status\n");
    for &(c, day, cents, cancelled) in rows {
        let id = match c % 8 {
            0 => format!("\"q\"\"{c}\""), // a quote inside
            1 => format!("\"a,{c}\""),    // a comma inside
            _ => format!("C{c:03}"),
        };
        let date = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("date")
            + chrono::Duration::days(i64::from(day));
        let amount = rust_decimal::Decimal::new(cents, scale);
        let status = if cancelled { "cancelled" } else { "completed" };
        let _ = writeln!(t, "{id},{date},{amount},{status}");
    }
    t
}

fn check(rows: &[(u8, u16, i64, bool)], scale: u32) {
    let ing = read_csv_str(&log_text(rows, scale), &ReadOptions::default()).expect("read");
    let opts = AnalysisOptions::default();
    let Ok(ca) = CustomerAnalysis::build(&ing.log, &opts) else {
        return; // an empty log: nothing to write
    };
    let table = ca.table(&opts);
    let want = table_to_record_batch(&table).expect("table batch");
    let got = summary_record_batch(&ca.summary, Some(&ca.rfm), Some((&ca.cpm, &opts.cpm)))
        .expect("typed batch");
    assert_eq!(got, want);
    for layout in [TextLayout::Views, TextLayout::LargeUtf8] {
        let (rfm, cpm) = (Some(&ca.rfm), Some((&ca.cpm, &opts.cpm)));
        let other = summary_record_batch_with(&ca.summary, rfm, cpm, layout).expect("laid out");
        same_as_views(&got, &other);
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    table.write_csv(&mut a).expect("csv");
    write_batch_csv(&got, &mut b).expect("csv");
    assert_eq!(
        String::from_utf8(b).expect("utf8"),
        String::from_utf8(a).expect("utf8")
    );
    let (mut a, mut b) = (Vec::new(), Vec::new());
    write_table_parquet(&table, &mut a).expect("parquet");
    write_batch_parquet(&got, &mut b).expect("parquet");
    assert_eq!(a, b);
    // Built block by block from the summary: the same CSV text and the same Parquet file.
    let rfm = Some(&ca.rfm);
    let cpm = Some((&ca.cpm, &opts.cpm));
    let mut c = Vec::new();
    write_summary_parquet(&ca.summary, rfm, cpm, &mut c).expect("parquet");
    same_parquet(&c, &b, "write_summary_parquet");
    let mut c = Vec::new();
    write_summary_csv(&ca.summary, rfm, cpm, &mut c).expect("csv");
    assert_eq!(c, a_csv(&table), "write_summary_csv");
    let n = ca.summary.len();
    for rows in [1, 2, 7, n.max(1)] {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        write_batch_parquet_in_groups(&got, &mut a, Some(rows)).expect("parquet");
        write_summary_parquet_in_groups(&ca.summary, rfm, cpm, &mut b, Some(rows))
            .expect("parquet");
        same_parquet(&a, &b, &format!("row groups of {rows}"));
        let mut c = Vec::new();
        write_summary_csv_in_blocks(&ca.summary, rfm, cpm, &mut c, rows).expect("csv");
        assert_eq!(c, a_csv(&table), "blocks of {rows}");
    }
    // Without RFM and CPM columns too.
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let plain = summary_record_batch(&ca.summary, None, None).expect("batch");
    write_batch_parquet_in_groups(&plain, &mut a, Some(3)).expect("parquet");
    write_summary_parquet_in_groups(&ca.summary, None, None, &mut b, Some(3)).expect("parquet");
    same_parquet(&a, &b, "no RFM / CPM");
}

/// `views` is `utf8` with each text column as valid string views (or `LargeUtf8`) of the same
/// values (and nulls); every other column the same.
fn same_as_views(utf8: &arrow_array::RecordBatch, views: &arrow_array::RecordBatch) {
    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    use arrow_schema::DataType;
    assert_eq!(utf8.num_rows(), views.num_rows());
    assert_eq!(utf8.num_columns(), views.num_columns());
    for (k, (a, b)) in utf8.columns().iter().zip(views.columns()).enumerate() {
        let name = utf8.schema().field(k).name().clone();
        assert_eq!(views.schema().field(k).name(), &name);
        if a.data_type() == &DataType::Utf8 {
            b.to_data().validate_full().expect("valid text");
            let want: Vec<Option<&str>> = a.as_string::<i32>().iter().collect();
            let got: Vec<Option<&str>> = match b.data_type() {
                DataType::Utf8View => b.as_string_view().iter().collect(),
                DataType::LargeUtf8 => b.as_string::<i64>().iter().collect(),
                other => panic!("{name}: {other}"),
            };
            assert_eq!(got, want, "{name}");
        } else {
            assert_eq!(a, b, "{name}");
        }
    }
}

/// The views and `LargeUtf8` layouts over what their shortcuts cannot take: ids and money texts longer than a
/// view (12 bytes), more distinct amounts than u16 keys (u32 keys), amounts spanning more than
/// the indexed table (the hash map), and beyond `i64` (text per row).
#[test]
fn string_views_hold_long_ids_and_many_amounts() {
    let mut t = String::from("customer_id,placed_at,amount\n");
    for i in 0..70_000_i64 {
        let id = if i % 3 == 0 {
            format!("customer-with-a-long-id-{i}")
        } else {
            format!("c{i}")
        };
        // Distinct amounts for most customers; a few beyond 12 characters of text.
        let cents = if i % 1_000 == 0 {
            123_456_789_012_345 + i
        } else {
            i * 7 + 1
        };
        let amount = rust_decimal::Decimal::new(cents, 2);
        let _ = writeln!(t, "{id},2024-01-{:02},{amount}", 1 + i % 28);
    }
    let ing = read_csv_str(&t, &ReadOptions::default()).expect("read");
    let opts = AnalysisOptions::default();
    let ca = CustomerAnalysis::build(&ing.log, &opts).expect("analysis");
    let (rfm, cpm) = (Some(&ca.rfm), Some((&ca.cpm, &opts.cpm)));
    // Units beyond i64: the money columns' text per row.
    let mut wide = ca.summary.clone();
    wide.gross_units[0] = i128::from(i64::MAX) * 4;
    for layout in [TextLayout::Views, TextLayout::LargeUtf8] {
        let utf8 = summary_record_batch(&ca.summary, rfm, cpm).expect("batch");
        let other = summary_record_batch_with(&ca.summary, rfm, cpm, layout).expect("laid out");
        same_as_views(&utf8, &other);
        let utf8 = summary_record_batch(&wide, None, None).expect("batch");
        let other = summary_record_batch_with(&wide, None, None, layout).expect("laid out");
        same_as_views(&utf8, &other);
    }
}

/// `a` and `b` are Parquet files of the same rows in the same row groups, with the same
/// chunk statistics: the summary's writer dictionary-encodes label columns itself
/// (`parquet_pages`), where a record batch's text labels go through arrow-rs, so their
/// bytes differ.
pub(crate) fn same_parquet(a: &[u8], b: &[u8], what: &str) {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let read = |f: &[u8]| {
        let r = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(f.to_vec()))
            .expect("a Parquet file");
        let meta = r.metadata().clone();
        let batches: Vec<_> = r
            .build()
            .expect("reader")
            .map(|b| b.expect("batch"))
            .collect();
        (meta, batches)
    };
    let ((ma, ba), (mb, bb)) = (read(a), read(b));
    assert_eq!(ba, bb, "{what}: rows");
    assert_eq!(
        ma.num_row_groups(),
        mb.num_row_groups(),
        "{what}: row groups"
    );
    for (ga, gb) in ma.row_groups().iter().zip(mb.row_groups()) {
        assert_eq!(ga.num_rows(), gb.num_rows(), "{what}: rows of a group");
        for (ca, cb) in ga.columns().iter().zip(gb.columns()) {
            let stats = |c: &parquet::file::metadata::ColumnChunkMetaData| {
                c.statistics().map(|s| {
                    (
                        s.min_bytes_opt().map(<[u8]>::to_vec),
                        s.max_bytes_opt().map(<[u8]>::to_vec),
                        s.null_count_opt(),
                    )
                })
            };
            assert_eq!(
                stats(ca),
                stats(cb),
                "{what}: statistics of {}",
                ca.column_path()
            );
        }
    }
}

/// The CSV text the `Table` route writes.
fn a_csv(t: &crate::table::Table) -> Vec<u8> {
    let mut a = Vec::new();
    t.write_csv(&mut a).expect("csv");
    a
}

#[test]
fn a_small_log_writes_the_same() {
    check(
        &[
            (0, 3, 1250, false),
            (1, 5, -300, false),
            (2, 5, 99, true),
            (2, 9, 1, false),
            (9, 0, 0, false),
        ],
        2,
    );
}

#[test]
fn push_units_writes_like_decimal() {
    let text = |u: i64, s: u32| {
        let mut out = b"x".to_vec();
        super::summary_out::push_units_i64(&mut out, u, s);
        String::from_utf8(out[1..].to_vec()).unwrap()
    };
    for u in [
        0,
        1,
        -1,
        5,
        -5,
        99,
        100,
        -100,
        12_345,
        i64::MAX,
        i64::MIN + 1,
        -999_999_999,
        1_000_000,
        -100_000_000,
    ] {
        for s in 0..=8 {
            let want = rust_decimal::Decimal::new(u, s).to_string();
            assert_eq!(text(u, s), want, "{u} {s}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn push_units_writes_like_decimal_at_random(u in any::<i64>().prop_filter("i64::MIN", |&u| u != i64::MIN), s in 0u32..=8) {
        let mut out = Vec::new();
        super::summary_out::push_units_i64(&mut out, u, s);
        prop_assert_eq!(String::from_utf8(out).unwrap(), rust_decimal::Decimal::new(u, s).to_string());
    }

    #[test]
    fn random_logs_write_the_same(
        rows in prop::collection::vec((0u8..40, 0u16..400, -2_000i64..2_000_000, prop::bool::weighted(0.1)), 1..120),
        scale in 0u32..4,
    ) {
        check(&rows, scale);
    }
}

/// A summary built by hand with a short column (its fields are public) is an error naming the
/// problem, never an index panic, on every output route.
#[test]
fn a_summary_with_a_short_column_is_an_error() {
    let text = log_text(&[(2, 3, 1250, false), (3, 5, 99, false)], 2);
    let ing = read_csv_str(&text, &ReadOptions::default()).expect("read");
    let opts = AnalysisOptions::default();
    let ca = CustomerAnalysis::build(&ing.log, &opts).expect("analysis");
    let mut s = ca.summary.clone();
    s.dormant.pop();
    let (rfm, cpm) = (Some(&ca.rfm), Some((&ca.cpm, &opts.cpm)));
    let e = summary_record_batch(&s, rfm, cpm).expect_err("short column");
    assert_eq!(e.code(), "malformed_input");
    assert!(e.to_string().contains("one value per customer"), "{e}");
    assert!(write_summary_parquet(&s, rfm, cpm, Vec::new()).is_err());
    assert!(write_summary_csv(&s, rfm, cpm, Vec::new()).is_err());
    let mut r = ca.rfm.clone();
    r.m.pop();
    assert!(summary_record_batch(&ca.summary, Some(&r), cpm).is_err());
}

/// A column that fails to build, in any row group, makes the write return that error (the
/// other thread stops taking columns; nothing hangs or panics); with every column built, the
/// row groups come out whole and in order, whatever thread encoded which column.
#[test]
fn a_column_failing_mid_write_is_the_error() {
    use arrow_array::{ArrayRef, Int64Array};
    use arrow_schema::{DataType, Field, Schema};
    use parquet::record::RowAccessor;
    use std::sync::Arc;
    let schema = Arc::new(Schema::new(
        (0..3)
            .map(|k| Field::new(format!("c{k}"), DataType::Int64, true))
            .collect::<Vec<_>>(),
    ));
    let value = |k: usize, r: usize| (r * 10 + k) as i64;
    for (bad_group, bad_col) in [(None, 0), (Some(0), 0), (Some(2), 1), (Some(3), 2)] {
        let column = |k: usize, rows: std::ops::Range<usize>| -> crate::Result<ArrayRef> {
            if bad_group == Some(rows.start / 3) && k == bad_col {
                return Err(crate::io::parquet::malformed(format!("boom in {k}")));
            }
            Ok(Arc::new(Int64Array::from_iter_values(
                rows.map(|r| value(k, r)),
            )))
        };
        let mut out = Vec::new();
        let r = super::summary_out::write_parquet_groups(
            &schema,
            10,
            &[2, 0, 1],
            &column,
            Some(3),
            &mut out,
        );
        if bad_group.is_some() {
            let e = r.expect_err("a failing column");
            assert!(e.to_string().contains(&format!("boom in {bad_col}")), "{e}");
        } else {
            r.expect("written");
            let f = parquet::file::reader::SerializedFileReader::new(bytes::Bytes::from(out))
                .expect("a Parquet file");
            let rows: Vec<Vec<i64>> = parquet::file::reader::FileReader::get_row_iter(&f, None)
                .expect("rows")
                .map(|row| {
                    let row = row.expect("row");
                    (0..3).map(|k| row.get_long(k).expect("int")).collect()
                })
                .collect();
            let want: Vec<Vec<i64>> = (0..10)
                .map(|r| (0..3).map(|k| value(k, r)).collect())
                .collect();
            assert_eq!(rows, want);
            assert_eq!(
                parquet::file::reader::FileReader::metadata(&f).num_row_groups(),
                4
            );
        }
    }
}

/// The rows of a money dictionary as text (`None` a null), and whether its entries are
/// distinct.
fn dictionary_rows(a: &arrow_array::ArrayRef) -> (Vec<Option<String>>, bool) {
    use arrow_array::Array as _;
    use arrow_array::cast::AsArray as _;
    let d = a.as_dictionary::<arrow_array::types::UInt16Type>();
    let texts = d.values().as_string::<i32>();
    let rows = (0..d.len())
        .map(|i| {
            d.is_valid(i)
                .then(|| texts.value(usize::from(d.keys().value(i))).to_owned())
        })
        .collect();
    let mut entries: Vec<&str> = texts.iter().map(|t| t.expect("an entry")).collect();
    let n = entries.len();
    entries.sort_unstable();
    entries.dedup();
    (rows, entries.len() == n)
}

#[test]
fn money_dictionaries_hold_each_rows_text() {
    use super::summary_out::amount_dictionary;
    let money_dictionary = |units: std::vec::IntoIter<Option<i128>>, n: usize, scale: u32| {
        amount_dictionary::<arrow_array::types::UInt16Type>(units, n, scale)
            .map(|d| d.map(|d| std::sync::Arc::new(d) as arrow_array::ArrayRef))
    };
    let text = |u: i128, s: u32| rust_decimal::Decimal::from_i128_with_scale(u, s).to_string();
    // Amounts of a narrow span (the table indexed by amount), of a wide one (the hash map),
    // negative ones, both ends of i64, repeats, and nulls first, between and last.
    let narrow: Vec<Option<i128>> = (0..5_000)
        .map(|i| Some(i128::from(i * 37 % 1_000)))
        .collect();
    let wide: Vec<Option<i128>> = (0..5_000)
        .map(|i| Some(i128::from(i % 300) * 1_000_000_007 - 40_000_000_000))
        .collect();
    let ends = vec![
        None,
        Some(i128::from(i64::MAX)),
        Some(i128::from(i64::MIN + 1)),
        None,
        Some(0),
        Some(-5),
        Some(i128::from(i64::MAX)),
        None,
    ];
    for (units, what) in [(narrow, "narrow"), (wide, "wide"), (ends, "ends")] {
        for scale in [0, 2, 4] {
            let a = money_dictionary(units.clone().into_iter(), units.len(), scale)
                .expect("built")
                .expect("a dictionary");
            let (rows, distinct) = dictionary_rows(&a);
            let want: Vec<Option<String>> =
                units.iter().map(|u| u.map(|u| text(u, scale))).collect();
            assert_eq!(rows, want, "{what} at scale {scale}");
            assert!(distinct, "{what}: an amount entered twice");
        }
    }
    // Left to the text column: more distinct amounts than u16 keys, one beyond i64, none.
    let many: Vec<Option<i128>> = (0..70_000).map(|i| Some(i * 3)).collect();
    let many_wide: Vec<Option<i128>> = (0..70_000).map(|i| Some(i * 1_000_003)).collect();
    let huge = vec![Some(1), Some(i128::from(i64::MAX) + 1)];
    let nulls = vec![None, None];
    for units in [many, many_wide, huge, nulls] {
        let n = units.len();
        let got = money_dictionary(units.into_iter(), n, 2).expect("ok");
        assert!(got.is_none(), "{n} amounts: a dictionary");
    }
    // Exactly 65 536 distinct amounts still fit.
    let full: Vec<Option<i128>> = (0..65_536).map(|i| Some(i * 7)).collect();
    let a = money_dictionary(full.clone().into_iter(), full.len(), 0)
        .expect("ok")
        .expect("fits");
    assert_eq!(dictionary_rows(&a).0.len(), 65_536);
}
