//! The shared golden vectors of `tests/fixtures/repeat/` and `tests/fixtures/cohort/`: small
//! logs with hand-computed answers (see each file's `notes`), read here and by every binding.
//!
//! A vector is `{function, input, params, expected, tolerance}`. `input` is either
//! `{csv, options}` (CSV text and [`ReadOptions`]) or `{records: {timezone, orders, refunds,
//! subscriptions}}` (record types, for logs with a subscription table). `expected` is a subset
//! of the serialised result: every key it names must match (numbers within `tolerance`,
//! relative to the expected magnitude when that exceeds 1; `null` only matches `null`).

mod golden_common;

use std::path::{Path, PathBuf};

use kokyaku::cohort::{ChurnOptions, CohortOptions, period_churn, retention, revenue_curves};
use kokyaku::io::{ReadOptions, parse_tz, read_csv_str};
use kokyaku::model::{Order, OrderLog, Refund, Subscription};
use kokyaku::repeat::{
    RepeatOptions, SubscriptionOptions, repeat_metrics, subscription_continuation,
};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Records {
    timezone: String,
    #[serde(default)]
    orders: Vec<Order>,
    #[serde(default)]
    refunds: Vec<Refund>,
    #[serde(default)]
    subscriptions: Vec<Subscription>,
}

fn fixtures(area: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(area);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn build_log(input: &Value) -> OrderLog {
    if let Some(csv) = input.get("csv") {
        let opts: ReadOptions =
            serde_json::from_value(input.get("options").cloned().unwrap_or(Value::Null)).unwrap();
        let ing = read_csv_str(csv.as_str().unwrap(), &opts).unwrap();
        assert_eq!(ing.report.rows_rejected, 0, "{:?}", ing.report.examples);
        return ing.log;
    }
    let r: Records = serde_json::from_value(input["records"].clone()).unwrap();
    OrderLog::from_records(
        parse_tz(&r.timezone).unwrap(),
        &[],
        &r.orders,
        &r.refunds,
        &r.subscriptions,
    )
    .unwrap()
}

fn run(function: &str, log: &OrderLog, params: Value) -> Value {
    let p = |v: Value| {
        if v.is_null() {
            Value::Object(serde_json::Map::new())
        } else {
            v
        }
    };
    let params = p(params);
    match function {
        "repeat_metrics" => {
            let o: RepeatOptions = serde_json::from_value(params).unwrap();
            serde_json::to_value(repeat_metrics(log, &o).unwrap()).unwrap()
        }
        "subscription_continuation" => {
            let o: SubscriptionOptions = serde_json::from_value(params).unwrap();
            serde_json::to_value(subscription_continuation(log, &o).unwrap()).unwrap()
        }
        "retention" => {
            let o: CohortOptions = serde_json::from_value(params).unwrap();
            serde_json::to_value(retention(log, &o).unwrap()).unwrap()
        }
        "revenue_curves" => {
            let o: CohortOptions = serde_json::from_value(params).unwrap();
            serde_json::to_value(revenue_curves(log, &o).unwrap()).unwrap()
        }
        "period_churn" => {
            let o: ChurnOptions = serde_json::from_value(params).unwrap();
            serde_json::to_value(period_churn(log, &o).unwrap()).unwrap()
        }
        other => panic!("unknown function '{other}'"),
    }
}

fn check_area(area: &str) {
    let files = fixtures(area);
    assert!(!files.is_empty(), "no vectors in tests/fixtures/{area}");
    let mut failures = Vec::new();
    for f in &files {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        let log = build_log(&v["input"]);
        let got = run(v["function"].as_str().unwrap(), &log, v["params"].clone());
        let tol = v["tolerance"].as_f64().unwrap_or(1e-12);
        let mut errors = Vec::new();
        golden_common::compare(
            "",
            &v["expected"],
            &got,
            tol,
            golden_common::Rules::default(),
            &mut errors,
        );
        if !errors.is_empty() {
            failures.push(format!(
                "{}:\n  {}\n  result: {got}",
                f.display(),
                errors.join("\n  ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn repeat_vectors() {
    check_area("repeat");
}

#[test]
fn cohort_vectors() {
    check_area("cohort");
}
