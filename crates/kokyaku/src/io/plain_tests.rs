//! Plain batches (see `plain.rs`) change nothing: random Parquet logs summarised through tiny
//! batches, plain and not mixed, equal the summary of the grouped log, read row by row.

use std::cell::Cell;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, Date32Array, DictionaryArray, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMillisecondArray, TimestampSecondArray,
};
use arrow_schema::{Field, Schema};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::summarize::summarize_parquet_in_batches;
use super::{ReadOptions, read_path};
use crate::summary::{SummaryOptions, summarize};

thread_local! {
    /// Plain batches taken whole on this thread (counted by the summary sink).
    pub(crate) static PLAIN_TAKEN: Cell<usize> = const { Cell::new(0) };
    /// Set: readers on this thread send every row through the per-row path (the reference).
    pub(crate) static ROWS_ONLY: Cell<bool> = const { Cell::new(false) };
    /// Plain batches the grouped log's builder took whole on this thread.
    pub(crate) static GROUPED_TAKEN: Cell<usize> = const { Cell::new(0) };
}

/// This thread's hooks above (a reader that ingests on a thread of its own carries them there
/// and back).
pub(crate) fn hooks() -> (usize, bool, usize) {
    (
        PLAIN_TAKEN.with(Cell::get),
        ROWS_ONLY.with(Cell::get),
        GROUPED_TAKEN.with(Cell::get),
    )
}

/// Sets this thread's hooks to `h` (from [`hooks`]).
pub(crate) fn set_hooks(h: (usize, bool, usize)) {
    PLAIN_TAKEN.with(|c| c.set(h.0));
    ROWS_ONLY.with(|c| c.set(h.1));
    GROUPED_TAKEN.with(|c| c.set(h.2));
}

/// Everything a grouped log holds, as comparable JSON.
pub(super) fn log_json(log: &crate::model::OrderLog) -> Value {
    let n = log.n_orders();
    let lines = log.lines();
    json!({
        "tz": log.timezone().name(),
        "currency": log.currency(),
        "customers": (0..log.n_customers())
            .map(|c| json!([log.customer_id(c), log.order_range(c), log.refund_range(c)]))
            .collect::<Vec<_>>(),
        "order_ids": (0..n).map(|i| log.order_id(i)).collect::<Vec<_>>(),
        "placed_at": log.placed_at(),
        "days": log.days(),
        "units": log.amounts().units(),
        "scale": log.amounts().scale(),
        "kinds": format!("{:?}", log.kinds()),
        "statuses": format!("{:?}", log.statuses()),
        "subscriptions": (0..n)
            .map(|i| match log.subscription_index()[i] {
                u32::MAX => None,
                s => Some(log.subscription_id(s)),
            })
            .collect::<Vec<_>>(),
        "refunds": format!("{:?}", log.refunds()),
        "lines": format!("{:?} {:?} {:?} {:?}", lines.offsets, lines.sku, lines.quantity, lines.unit_price),
    })
}

/// `read` run with the per-row path only (`rows_only`: plain batches off, the reference) or not.
pub(super) fn with_rows_only<T>(rows_only: bool, read: impl FnOnce() -> T) -> T {
    ROWS_ONLY.with(|c| c.set(rows_only));
    let r = read();
    ROWS_ONLY.with(|c| c.set(false));
    r
}

/// A grouped read's outcome as comparable JSON: the whole log and the report, or the error.
pub(super) fn ingested_json(r: &crate::Result<super::Ingested>) -> Value {
    match r {
        Ok(ing) => {
            json!({"log": log_json(&ing.log), "report": serde_json::to_value(&ing.report).expect("report")})
        }
        Err(e) => json!({"error": e.code(), "message": e.to_string()}),
    }
}

/// Reads `path` into the grouped log in batches of `batch_rows`, plain batches taken (or,
/// with `rows_only`, row by row): the log and the report as JSON, or the error.
pub(super) fn grouped_json(
    path: &std::path::Path,
    read: &ReadOptions,
    batch_rows: usize,
    rows_only: bool,
) -> Value {
    ingested_json(&with_rows_only(rows_only, || {
        let f = std::fs::File::open(path).expect("open");
        let builder = crate::model::OrderLogBuilder::new(read.tz()?);
        Ok(super::parquet::parquet_file_into_batches(f, read, builder, batch_rows)?.finish())
    }))
}

static FILES: AtomicUsize = AtomicUsize::new(0);

/// One generated row.
#[derive(Debug, Clone)]
struct GenRow {
    /// 0-29: member `C0000`..; 30: another width; 31: text; 32: padded; 33: blank; 34: null.
    customer: u8,
    /// 0: the next id; 1: a skip; 2: the previous id (a line); 3: an early id; 4: a refund
    /// marker; 5: another prefix; 6: null.
    order: u8,
    hour: i64,
    amount: i64,
    /// Fraction of a float amount (0 for most).
    cents: i64,
    status: Option<&'static str>,
    kind: Option<&'static str>,
    subscription: Option<&'static str>,
    usd: bool,
}

fn gen_row() -> impl Strategy<Value = GenRow> {
    let customer = prop_oneof![20 => 0u8..30, 1 => 30u8..35];
    let order = prop_oneof![20 => Just(0u8), 3 => Just(1u8), 2 => 2u8..7];
    (
        customer,
        order,
        0i64..24 * 60,
        prop_oneof![10 => 0i64..50_000, 1 => -500i64..0],
        prop_oneof![10 => Just(0i64), 1 => 1i64..100],
        prop::sample::select(vec![
            Some("completed"),
            Some("completed"),
            Some("completed"),
            Some("cancelled"),
            Some("Paid"),
            Some(""),
            None,
            Some("lost"),
        ]),
        prop::sample::select(vec![
            None,
            Some(""),
            Some("subscription"),
            Some("one_off"),
            Some("x"),
        ]),
        prop::sample::select(vec![None, None, Some("S1"), Some(" ")]),
        prop::bool::weighted(0.02),
    )
        .prop_map(
            |(customer, order, hour, amount, cents, status, kind, subscription, usd)| GenRow {
                customer,
                order,
                hour,
                amount,
                cents,
                status,
                kind,
                subscription,
                usd,
            },
        )
}

/// Which columns a file has, and their types.
#[allow(clippy::struct_excessive_bools)] // independent yes/no choices of a test layout
#[derive(Debug, Clone)]
struct Layout {
    orders: bool,
    /// 0: timestamp (s, UTC); 1: naive timestamp (ms); 2: date; 3: text.
    time: u8,
    float_amounts: bool,
    dictionary_status: bool,
    kind: bool,
    subscription: bool,
    currency: bool,
    /// The first day: 0 2024-01-01; 1 2024-03-08 and 2 2024-10-31, two days before New York's
    /// daylight-saving changes (a skipped and a repeated local hour).
    start: u8,
}

fn layout() -> impl Strategy<Value = Layout> {
    (
        prop::bool::weighted(0.8),
        0u8..4,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0u8..3,
    )
        .prop_map(
            |(
                orders,
                time,
                float_amounts,
                dictionary_status,
                kind,
                subscription,
                currency,
                start,
            )| {
                Layout {
                    orders,
                    time,
                    float_amounts,
                    dictionary_status,
                    kind,
                    subscription,
                    currency,
                    start,
                }
            },
        )
}

/// Writes the rows as a Parquet file of this layout.
fn write_parquet(rows: &[GenRow], l: &Layout) -> PathBuf {
    let customer: StringArray = rows
        .iter()
        .map(|r| match r.customer {
            n @ 0..30 => Some(format!("C{n:04}")),
            30 => Some("C01".to_owned()),
            31 => Some("mail@example.jp".to_owned()),
            32 => Some(" C0003".to_owned()),
            33 => Some(String::new()),
            _ => None,
        })
        .collect();
    let mut next = 0u32;
    let order: StringArray = rows
        .iter()
        .map(|r| {
            let prev = next;
            match r.order {
                0 | 1 => {
                    next += 1 + u32::from(r.order) * 5;
                    Some(format!("O{next:05}"))
                }
                2 => Some(format!("O{prev:05}")),
                3 => Some(format!("O{:05}", prev / 2)),
                4 => Some(format!("XO{prev:05}")),
                5 => Some(format!("P{prev:05}")),
                _ => None,
            }
        })
        .collect();
    let base = match l.start {
        1 => 1_709_856_000_i64, // 2024-03-08T00:00:00Z
        2 => 1_730_332_800,     // 2024-10-31T00:00:00Z
        _ => 1_704_067_200,     // 2024-01-01T00:00:00Z
    };
    let time: ArrayRef = match l.time {
        0 => Arc::new(
            TimestampSecondArray::from_iter_values(rows.iter().map(|r| base + r.hour * 3600))
                .with_timezone("UTC"),
        ),
        1 => Arc::new(TimestampMillisecondArray::from_iter_values(
            rows.iter().map(|r| (base + r.hour * 3600) * 1000),
        )),
        2 => Arc::new(Date32Array::from_iter_values(
            rows.iter().map(|r| (base / 86_400 + r.hour / 24) as i32),
        )),
        _ => Arc::new(StringArray::from_iter_values(rows.iter().map(|r| {
            chrono::DateTime::from_timestamp(base + r.hour * 3600, 0)
                .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_default()
        }))),
    };
    let amount: ArrayRef = if l.float_amounts {
        Arc::new(Float64Array::from_iter_values(
            rows.iter()
                .map(|r| r.amount as f64 + r.cents as f64 / 100.0),
        ))
    } else {
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.amount)))
    };
    let status: ArrayRef = if l.dictionary_status {
        Arc::new(
            rows.iter()
                .map(|r| r.status)
                .collect::<DictionaryArray<Int32Type>>(),
        )
    } else {
        Arc::new(rows.iter().map(|r| r.status).collect::<StringArray>())
    };
    let mut cols: Vec<(&str, ArrayRef)> = vec![
        ("customer_id", Arc::new(customer)),
        ("placed_at", time),
        ("amount", amount),
        ("status", status),
    ];
    if l.orders {
        cols.push(("order_id", Arc::new(order)));
    }
    if l.kind {
        cols.push((
            "kind",
            Arc::new(rows.iter().map(|r| r.kind).collect::<StringArray>()),
        ));
    }
    if l.subscription {
        cols.push((
            "subscription_id",
            Arc::new(rows.iter().map(|r| r.subscription).collect::<StringArray>()),
        ));
    }
    if l.currency {
        cols.push((
            "currency",
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| if r.usd { "USD" } else { "JPY" }),
            )),
        ));
    }
    let fields: Vec<Field> = cols
        .iter()
        .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
        .collect();
    let batch = RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        cols.into_iter().map(|(_, a)| a).collect(),
    )
    .expect("batch");
    let dir = std::env::temp_dir().join(format!("kokyaku-plain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{}.parquet", FILES.fetch_add(1, Ordering::Relaxed)));
    let f = std::fs::File::create(&path).expect("create");
    let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), None).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
    path
}

/// The outcome as comparable JSON (errors as their code and message).
pub(super) fn outcome(r: crate::Result<(Value, Value)>) -> Value {
    match r {
        Ok((s, rep)) => json!({"summary": s, "report": rep}),
        Err(e) => json!({"error": e.code(), "message": e.to_string()}),
    }
}

pub(super) fn summary_json(s: &crate::summary::CustomerSummaries) -> Value {
    json!({
        "as_of": s.as_of,
        "money_scale": s.money_scale,
        "records": serde_json::to_value(s.records()).expect("records"),
    })
}

/// Streams `path` in batches of `batch_rows` and reads it row by row into the grouped log;
/// asserts the same outcome; returns the plain batches taken.
pub(super) fn check(
    path: &std::path::Path,
    read: &ReadOptions,
    opts: &SummaryOptions,
    batch_rows: usize,
) -> usize {
    check_route(path, read, opts, batch_rows).0
}

/// [`check`], and whether the summary was streamed (`false`: it fell back to the grouped log,
/// or failed).
pub(super) fn check_route(
    path: &std::path::Path,
    read: &ReadOptions,
    opts: &SummaryOptions,
    batch_rows: usize,
) -> (usize, bool) {
    let before = PLAIN_TAKEN.with(Cell::get);
    let mut streamed = false;
    let stream = summarize_parquet_in_batches(path, read, opts, batch_rows).map(|s| {
        streamed = s.streamed;
        (
            summary_json(&s.summaries),
            serde_json::to_value(&s.report).expect("report"),
        )
    });
    let taken = PLAIN_TAKEN.with(Cell::get) - before;
    // The grouped log read in the same batches through plain batches equals the one read
    // row by row, whole (every column, the report, or the same error).
    assert_eq!(
        grouped_json(path, read, batch_rows, false),
        grouped_json(path, read, batch_rows, true),
        "grouped log, plain batches vs row by row: {}",
        path.display()
    );
    let grouped = with_rows_only(true, || read_path(path, read)).map(|ing| {
        (
            summary_json(&summarize(&ing.log, opts)),
            serde_json::to_value(&ing.report).expect("report"),
        )
    });
    assert_eq!(outcome(stream), outcome(grouped), "{}", path.display());
    (taken, streamed)
}

#[test]
fn a_plain_log_is_taken_in_plain_batches() {
    let rows: Vec<GenRow> = (0..40)
        .map(|k| GenRow {
            customer: (k * 7 % 30) as u8,
            order: 0,
            hour: i64::from(k) * 5,
            amount: 1000 + i64::from(k),
            cents: 0,
            status: Some("completed"),
            kind: None,
            subscription: (k % 3 == 0).then_some("S1"),
            usd: false,
        })
        .collect();
    for time in 0..3 {
        let l = Layout {
            orders: true,
            time,
            float_amounts: time == 1,
            dictionary_status: time == 2,
            kind: true,
            subscription: true,
            currency: true,
            start: 0,
        };
        let path = write_parquet(&rows, &l);
        let read = ReadOptions::default();
        let taken = check(&path, &read, &SummaryOptions::default(), 8);
        // Every batch of 8 rows is plain.
        assert_eq!(taken, 5, "layout {l:?}");
        // In Tokyo too: naive times are wall-clock times there, converted on the plain path.
        let tokyo = ReadOptions {
            timezone: "Asia/Tokyo".into(),
            ..ReadOptions::default()
        };
        let taken = check(&path, &tokyo, &SummaryOptions::default(), 8);
        assert_eq!(taken, 5, "layout {l:?}");
        std::fs::remove_file(&path).ok();
    }
}

/// Naive times across New York's daylight-saving changes: the repeated hour is its earlier
/// instant on the plain path as row by row; a batch holding the skipped hour goes row by row
/// (which rejects that row as `invalid_time`), the others stay plain.
#[test]
fn naive_times_across_daylight_saving_changes_read_as_row_by_row() {
    for (start, gap) in [(1u8, true), (2, false)] {
        // Hours 48-55 from the start: 2024-03-10 00:00-07:00 (02:00 skipped) or 2024-11-02
        // 00:00-07:00; then hours 72-79 (2024-03-11 / 2024-11-03, 01:00 repeated).
        let rows: Vec<GenRow> = (48..56)
            .chain(72..80)
            .map(|hour| GenRow {
                customer: (hour % 5) as u8,
                order: 0,
                hour,
                amount: 1000 + hour,
                cents: 0,
                status: Some("completed"),
                kind: None,
                subscription: None,
                usd: false,
            })
            .collect();
        let l = Layout {
            orders: true,
            time: 1,
            float_amounts: false,
            dictionary_status: false,
            kind: false,
            subscription: false,
            currency: false,
            start,
        };
        let path = write_parquet(&rows, &l);
        let ny = ReadOptions {
            timezone: "America/New_York".into(),
            ..ReadOptions::default()
        };
        let taken = check(&path, &ny, &SummaryOptions::default(), 8);
        assert_eq!(taken, if gap { 1 } else { 2 }, "start {start}");
        std::fs::remove_file(&path).ok();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn random_parquet_logs_summarise_the_same_in_plain_batches(
        rows in prop::collection::vec(gen_row(), 0..80),
        l in layout(),
        sorted in prop::bool::weighted(0.7),
        batch_rows in prop::sample::select(vec![1usize, 2, 3, 5, 8, 64]),
        duplicate in prop::sample::select(vec!["sum_lines", "keep_first", "error"]),
        negative_as_refund in any::<bool>(),
        missing_customer in prop::sample::select(vec!["anonymous", "reject"]),
        zone in prop::sample::select(vec!["UTC", "Asia/Tokyo", "America/New_York"]),
        as_of_day in prop::option::of(0u32..70),
        regular in any::<bool>(),
    ) {
        let mut rows = rows;
        if regular {
            // Mostly plain rows: plain batches and the rows between them mix.
            for (k, r) in rows.iter_mut().enumerate() {
                if k % 17 != 16 {
                    r.customer %= 30;
                    // New ids, and repeats of the previous one (lines of an order).
                    r.order = if r.order == 2 { 2 } else { r.order.min(1) };
                    r.amount = r.amount.abs();
                    r.cents = 0;
                    r.status = r.status.filter(|s| *s != "lost");
                    r.kind = r.kind.filter(|k| *k != "x");
                }
            }
        }
        if sorted {
            rows.sort_by_key(|r| r.hour);
        }
        let path = write_parquet(&rows, &l);
        let read: ReadOptions = serde_json::from_value(json!({
            "duplicate_order": duplicate,
            "negative_as_refund": negative_as_refund,
            "missing_customer": missing_customer,
            "cancel_prefix": "X",
            "timezone": zone,
        })).expect("options");
        let opts = SummaryOptions {
            as_of: as_of_day.map(|d| chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("date")
                + chrono::Duration::days(i64::from(d))),
            ..SummaryOptions::default()
        };
        check(&path, &read, &opts, batch_rows);
        std::fs::remove_file(&path).ok();
    }
}
