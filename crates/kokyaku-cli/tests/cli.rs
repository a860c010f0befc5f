//! The `kokyaku` command end to end: the README's commands, JSON output with ingestion counts,
//! one-line errors with a non-zero exit.

mod common;

use std::path::PathBuf;
use std::process::Output;

use common::kokyaku;

fn cdnow() -> String {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/cdnow/CDNOW_master.txt"
    )
    .to_owned()
}

fn tmp(name: &str) -> PathBuf {
    common::scratch("cli", name)
}

fn json(o: &Output) -> serde_json::Value {
    common::json_ok(o)
}

#[test]
fn report_on_bundled_sample() {
    let o = kokyaku(&["report"]);
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    for part in [
        "customers",
        "repeat rate",
        "F2 within 90 d",
        "Champions",
        "優良客",
        "cohort retention",
    ] {
        assert!(text.contains(part), "missing {part} in\n{text}");
    }
    let j = json(&kokyaku(&["report", "--format", "json"]));
    let i = &j["ingestion"];
    assert_eq!(i["rows_read"], 4649);
    assert_eq!(
        i["rows_accepted"].as_u64().unwrap() + i["rows_rejected"].as_u64().unwrap(),
        4649
    );
    assert_eq!(j["totals"]["customers"], 1500);
    assert_eq!(j["totals"]["currency"], "JPY");
}

#[test]
fn report_on_cdnow_reaches_the_published_repeat_numbers() {
    let j = json(&kokyaku(&[
        "report",
        &cdnow(),
        "--delimiter",
        "whitespace",
        "--as-of",
        "1998-07-01",
        "--format",
        "json",
    ]));
    assert_eq!(j["totals"]["customers"], 23_570);
    assert_eq!(j["totals"]["orders"], 69_659);
    let rate = |v: &serde_json::Value| v["rate"].as_f64().unwrap();
    assert!((rate(&j["repeat"]["repeat_rate"]["by_orders"]) - 0.4948).abs() < 5e-5);
    assert!((rate(&j["repeat"]["f2"]["by_orders"]) - 0.3003).abs() < 5e-5);
    assert!((rate(&j["repeat"]["f2"]["by_days"]) - 0.2922).abs() < 5e-5);
}

#[test]
fn summary_writes_csv_and_parquet() {
    let csv = tmp("summary.csv");
    let o = kokyaku(&[
        "summary",
        &cdnow(),
        "--delimiter",
        "whitespace",
        "--as-of",
        "1998-07-01",
        "-o",
        csv.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let j = json(&o);
    assert_eq!(j["customers"], 23_570);
    assert_eq!(j["ingestion"]["rows_read"], 69_659);
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    for col in [
        "customer_id",
        "recency_days",
        "net",
        "r",
        "f",
        "m",
        "rfm_segment",
        "cpm_class",
    ] {
        assert!(header.split(',').any(|h| h == col), "{col} not in {header}");
    }
    assert_eq!(lines.count(), 23_570);
    let pq = tmp("summary.parquet");
    json(&kokyaku(&[
        "summary",
        &cdnow(),
        "--delimiter",
        "whitespace",
        "-o",
        pq.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert!(std::fs::metadata(&pq).unwrap().len() > 1000);
}

#[test]
fn simulate_then_read_back() {
    let out = tmp("sim.parquet");
    let j = json(&kokyaku(&[
        "simulate",
        "--customers",
        "300",
        "--seed",
        "3",
        "-o",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]));
    let orders = j["orders"].as_u64().unwrap();
    let r = json(&kokyaku(&[
        "repeat",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(r["ingestion"]["rows_read"].as_u64().unwrap(), orders);
    assert_eq!(r["ingestion"]["rows_rejected"], 0);
    let c = json(&kokyaku(&[
        "cohorts",
        out.to_str().unwrap(),
        "--period",
        "weekly",
        "--format",
        "json",
    ]));
    assert!(c["retention"]["cohorts"].as_array().unwrap().len() > 10);
}

#[test]
fn errors_are_one_line_with_a_code_and_nonzero_exit() {
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["report", "/no/such/file.csv"], "io_error"),
        (
            vec!["report", "--timezone", "Mars/Olympus"],
            "invalid_option",
        ),
        (vec!["report", "--as-of", "yesterday"], "invalid_option"),
        (vec!["report", "--customer-col", "member"], "missing_column"),
    ];
    for (args, code) in cases {
        let o = kokyaku(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(o.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(&format!("[{code}]")), "{args:?}: {err}");
        assert!(!err.contains("panicked") && !err.contains("backtrace"));
    }
    // A bad row is rejected with its reason by default, and stops the run with --strict.
    let bad = tmp("bad.csv");
    std::fs::write(
        &bad,
        "customer_id,placed_at,amount\n1,2024-01-01,100\n2,2024-13-45,50\n",
    )
    .unwrap();
    let j = json(&kokyaku(&[
        "repeat",
        bad.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(j["ingestion"]["rejections"]["invalid_time"], 1);
    let o = kokyaku(&["repeat", bad.to_str().unwrap(), "--strict"]);
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains("2024-13-45") && err.contains("row 2") && err.contains("placed_at"),
        "{err}"
    );
}
