//! The streamed summary (`io::summarize_path`) equals the summary of the grouped log
//! (`summary::summarize` over `io::read_path`): on every golden-vector input, on CDNOW, on a
//! simulated Parquet log, and on random logs (in and out of time order, with line items,
//! refunds, duplicates, bad rows and growing decimal scales), including the errors.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use kokyaku::io::{ReadOptions, SummarizedLog, read_path, summarize_path};
use kokyaku::summary::{SummaryOptions, summarize};
use proptest::prelude::*;
use serde_json::{Value, json};

static FILES: AtomicUsize = AtomicUsize::new(0);

/// A fresh temporary file with this extension and text.
fn temp_file(ext: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kokyaku-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(format!("{}.{ext}", FILES.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&p, text).expect("write temp file");
    p
}

/// Both routes' outcome as comparable JSON (errors as their code and message).
fn outcome(r: Result<(Value, Value), kokyaku::Error>) -> Value {
    match r {
        Ok((s, rep)) => json!({"summary": s, "report": rep}),
        Err(e) => json!({"error": e.code(), "message": e.to_string()}),
    }
}

fn summary_json(s: &kokyaku::summary::CustomerSummaries) -> Value {
    json!({
        "as_of": s.as_of,
        "money_scale": s.money_scale,
        "records": serde_json::to_value(s.records()).expect("records"),
    })
}

/// Runs both routes on `path`; returns whether the streamed route ran (None on error).
fn check_same(path: &Path, read: &ReadOptions, opts: &SummaryOptions) -> Option<bool> {
    let mut streamed = None;
    let stream = summarize_path(path, read, opts).map(|s: SummarizedLog| {
        streamed = Some(s.streamed);
        (
            summary_json(&s.summaries),
            serde_json::to_value(&s.report).expect("report"),
        )
    });
    let grouped = read_path(path, read).map(|ing| {
        (
            summary_json(&summarize(&ing.log, opts)),
            serde_json::to_value(&ing.report).expect("report"),
        )
    });
    let (a, b) = (outcome(stream), outcome(grouped));
    assert_eq!(a, b, "streamed vs grouped differ for {}", path.display());
    streamed
}

fn fixture_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut out = Vec::new();
    for area in ["ingest", "summary", "repeat", "cohort", "cpm", "rfm"] {
        for e in std::fs::read_dir(root.join(area)).expect("fixture dir") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn golden_inputs_summarise_the_same_streamed_or_grouped() {
    let mut checked = 0;
    for f in fixture_files() {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&f).expect("read"))
            .expect("fixture json");
        let input = &v["input"];
        let (ext, text) = match (input.get("csv"), input.get("jsonl")) {
            (Some(c), _) => ("csv", c.as_str().expect("csv")),
            (_, Some(j)) => ("jsonl", j.as_str().expect("jsonl")),
            _ => continue, // record-built inputs have no file form
        };
        let read: ReadOptions =
            serde_json::from_value(input.get("options").cloned().unwrap_or(json!({})))
                .expect("options");
        let as_of = v["params"].get("as_of").cloned().unwrap_or(Value::Null);
        let opts = SummaryOptions {
            as_of: serde_json::from_value(as_of).expect("as_of"),
            ..SummaryOptions::default()
        };
        let path = temp_file(ext, text);
        check_same(&path, &read, &opts);
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} fixture inputs");
}

#[test]
fn cdnow_streams_and_matches() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cdnow/CDNOW_master.txt");
    let read = ReadOptions {
        delimiter: kokyaku::io::Delimiter::Whitespace,
        has_header: false,
        time_format: Some("%Y%m%d".into()),
        currency: Some("USD".into()),
        columns: kokyaku::io::ColumnMap {
            customer: Some("1".into()),
            time: Some("2".into()),
            amount: Some("4".into()),
            quantity: Some("-".into()),
            ..kokyaku::io::ColumnMap::default()
        },
        ..ReadOptions::default()
    };
    let opts = SummaryOptions {
        as_of: chrono::NaiveDate::from_ymd_opt(1998, 7, 1),
        ..SummaryOptions::default()
    };
    // CDNOW is grouped by customer and in date order within: the streamed route runs.
    assert_eq!(check_same(&path, &read, &opts), Some(true));
}

#[cfg(feature = "parquet")]
#[test]
fn simulated_parquet_streams_in_time_order_and_backwards() {
    use kokyaku::simulate::{SimOptions, simulate_each};
    let sim = SimOptions {
        customers: 3_000,
        seed: 7,
        ..SimOptions::default()
    };
    let mut orders = Vec::new();
    simulate_each(&sim, |o| {
        orders.push(*o);
        Ok(())
    })
    .expect("simulate");
    let dir = std::env::temp_dir().join(format!("kokyaku-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let write = |orders: &[kokyaku::simulate::SimOrder], name: &str| {
        let p = dir.join(name);
        let f = std::fs::File::create(&p).expect("create");
        let mut w = kokyaku::io::SimParquetWriter::new(f, "JPY").expect("writer");
        for o in orders {
            w.push(o).expect("push");
        }
        w.finish().expect("finish");
        p
    };
    let read = ReadOptions::default();
    let opts = SummaryOptions::default();
    orders.sort_by_key(|o| o.placed_at);
    for (i, o) in orders.iter_mut().enumerate() {
        o.order = i as u64 + 1; // shops number orders as they come in
    }
    let by_time = write(&orders, "by_time.parquet");
    assert_eq!(check_same(&by_time, &read, &opts), Some(true));
    // Newest first: each customer's orders arrive backwards; the streamed summary keeps first
    // and last days as min / max and counts purchase days from a final sort, so it still
    // streams (it fell back to the grouped log before issue 16) and equals it.
    orders.reverse();
    let backwards = write(&orders, "backwards.parquet");
    assert_eq!(check_same(&backwards, &read, &opts), Some(true));
}

#[test]
fn a_sum_beyond_i64_falls_back_to_the_grouped_log() {
    // Each amount fits the 64-bit units; their sum does not (the grouped log sums in i128).
    let csv = "customer_id,order_id,placed_at,amount\n\
               C1,O1,2024-01-01,9000000000000000000\n\
               C1,O2,2024-01-02,9000000000000000000\n\
               C2,O3,2024-01-03,5\n";
    let path = temp_file("csv", csv);
    let streamed = check_same(&path, &ReadOptions::default(), &SummaryOptions::default());
    assert_eq!(streamed, Some(false));
    std::fs::remove_file(&path).ok();
}

/// One generated order: its lines share id, customer and time.
#[derive(Debug, Clone)]
struct GenOrder {
    customer: u8,
    hour: u32,
    lines: Vec<(i64, u32)>, // amount mantissa, scale
    status: &'static str,
    kind: &'static str,
    other_customer_line: bool,
}

fn gen_order() -> impl Strategy<Value = GenOrder> {
    (
        0u8..6,
        0u32..24 * 40,
        prop::collection::vec((-300i64..5_000, 0u32..4), 1..4),
        prop::sample::select(vec![
            "completed",
            "completed",
            "completed",
            "cancelled",
            "lost",
        ]),
        prop::sample::select(vec!["", "", "subscription", "one_off"]),
        prop::bool::weighted(0.05),
    )
        .prop_map(
            |(customer, hour, lines, status, kind, other_customer_line)| GenOrder {
                customer,
                hour,
                lines,
                status,
                kind,
                other_customer_line,
            },
        )
}

fn amount_text(m: i64, scale: u32) -> String {
    rust_decimal::Decimal::new(m, scale).to_string()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn random_logs_summarise_the_same(
        orders in prop::collection::vec(gen_order(), 0..40),
        sorted in any::<bool>(),
        numbered in any::<bool>(),
        repeat_id in prop::option::weighted(0.15, 0usize..40),
        duplicate in prop::sample::select(vec!["sum_lines", "keep_first", "error"]),
        negative_as_refund in any::<bool>(),
        as_of_day in prop::option::of(0u32..45),
        blank_customer in prop::bool::weighted(0.1),
    ) {
        let mut orders = orders;
        if sorted {
            orders.sort_by_key(|o| o.hour);
        }
        let mut csv = String::from("customer_id,order_id,placed_at,amount,status,kind\n");
        for (k, o) in orders.iter().enumerate() {
            // Numbered ids rise with the row (the streamed fast case); others are text.
            let mut id = if numbered { format!("O{:05}", k + 1) } else { format!("x{}", (k * 7919) % 101) };
            if repeat_id.is_some_and(|r| r < k) {
                id = format!("O{:05}", repeat_id.unwrap_or(0) + 1); // an id seen before
            }
            let t = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("date")
                .and_hms_opt(0, 0, 0).expect("time")
                + chrono::Duration::hours(i64::from(o.hour));
            for (j, &(m, scale)) in o.lines.iter().enumerate() {
                let c = if blank_customer && k % 5 == 0 {
                    String::new()
                } else if o.other_customer_line && j > 0 {
                    "Z9".to_owned()
                } else {
                    format!("C{}", o.customer)
                };
                writeln!(
                    csv,
                    "{c},{id},{},{},{},{}",
                    t.format("%Y-%m-%dT%H:%M:%SZ"),
                    amount_text(m, scale),
                    o.status,
                    o.kind
                ).expect("write to a String");
            }
        }
        let read: ReadOptions = serde_json::from_value(json!({
            "duplicate_order": duplicate,
            "negative_as_refund": negative_as_refund,
            "missing_customer": "anonymous",
            "timezone": "Asia/Tokyo",
        })).expect("options");
        let opts = SummaryOptions {
            as_of: as_of_day.map(|d| chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("date")
                + chrono::Duration::days(i64::from(d))),
            ..SummaryOptions::default()
        };
        let path = temp_file("csv", &csv);
        check_same(&path, &read, &opts);
        std::fs::remove_file(&path).ok();
    }
}
