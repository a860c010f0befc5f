//! The shared golden vectors of `tests/fixtures/{ingest,summary,rfm,cpm}/`: small logs with
//! hand-computed answers (see each file's `notes`), read here and by every binding.
//!
//! A vector is `{description, source, function, input, params, notes, expected, tolerance}`.
//!
//! * `input` is `{csv, options}` or `{jsonl, options}` (text and [`ReadOptions`] JSON), or
//!   `{records: {timezone, orders, refunds, subscriptions}}` (record types).
//! * `function` and `params`:
//!   - `ingest`: no params; result `{report, currency, customers}` (summary with defaults);
//!   - `summarize`: params are [`SummaryOptions`]; result `{as_of, customers}`;
//!   - `rfm`: params `{summary: SummaryOptions, rfm: RfmOptions}`; result `{customers, segments}`
//!     where `segments` is the per-segment table in map order;
//!   - `cpm`: params `{summary: SummaryOptions, cpm: CpmOptions}`; result `{customers, classes}`
//!     where `classes` is keyed by class id;
//!   - `cpm_transitions`: params `{as_of, cpm}`; result `{month_ends, counts, months}` where
//!     `counts` lists only the non-zero cells as `{from: {to: n}}` (row `new` included).
//! * `customers` is keyed by customer id and holds the columns of the summary table
//!   (`first_order`, `orders`, `gross`, … `r`, `f`, `m`, `rfm_segment`, `cpm_class`,
//!   `cpm_name`). It must name every customer of the log; within a customer, and everywhere
//!   else, `expected` is a subset of the result.
//! * Comparison: numbers within `tolerance` (relative above magnitude 1); strings that are both
//!   decimal numbers compare as decimals (`"9.00"` = `"9"`); `null` only matches `null`.
//! * An expected `{error: {code, message_contains}}` means the call must fail with that code.

mod golden_common;

use std::collections::BTreeMap;

use kokyaku::cpm::{CpmOptions, classify, transitions};
use kokyaku::io::{Ingested, ReadOptions, parse_tz, read_csv_str, read_jsonl_str};
use kokyaku::model::{Order, OrderLog, Refund, Subscription};
use kokyaku::rfm::{RfmOptions, score};
use kokyaku::summary::{SummaryOptions, summarize};
use kokyaku::table::summary_table;
use serde::Deserialize;
use serde_json::{Map, Value, json};

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

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RfmParams {
    summary: SummaryOptions,
    rfm: RfmOptions,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct CpmParams {
    summary: SummaryOptions,
    cpm: CpmOptions,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct TransitionParams {
    as_of: Option<chrono::NaiveDate>,
    cpm: CpmOptions,
}

fn read_input(input: &Value) -> Result<Ingested, kokyaku::Error> {
    let opts = || -> ReadOptions {
        serde_json::from_value(input.get("options").cloned().unwrap_or_else(|| json!({})))
            .expect("options")
    };
    if let Some(csv) = input.get("csv") {
        return read_csv_str(csv.as_str().expect("csv text"), &opts());
    }
    if let Some(jsonl) = input.get("jsonl") {
        return read_jsonl_str(jsonl.as_str().expect("jsonl text"), &opts());
    }
    let r: Records = serde_json::from_value(input["records"].clone()).expect("records");
    let log = OrderLog::from_records(
        parse_tz(&r.timezone)?,
        &[],
        &r.orders,
        &r.refunds,
        &r.subscriptions,
    )?;
    Ok(Ingested {
        log,
        report: kokyaku::io::IngestReport::default(),
    })
}

fn params<T: for<'de> Deserialize<'de> + Default>(v: &Value) -> T {
    if v.is_null() {
        T::default()
    } else {
        serde_json::from_value(v.clone()).expect("params")
    }
}

/// Summary-table rows keyed by customer id.
fn by_customer(records: Vec<Map<String, Value>>) -> Value {
    let mut out = Map::new();
    for mut r in records {
        let id = r
            .remove("customer_id")
            .and_then(|v| v.as_str().map(str::to_owned))
            .expect("customer_id");
        out.insert(id, Value::Object(r));
    }
    Value::Object(out)
}

fn run(function: &str, input: &Value, p: &Value) -> Result<Value, kokyaku::Error> {
    let ing = read_input(input)?;
    let log = &ing.log;
    Ok(match function {
        "ingest" => {
            let s = summarize(log, &SummaryOptions::default());
            json!({
                "report": serde_json::to_value(&ing.report).unwrap(),
                "currency": log.currency(),
                "customers": by_customer(summary_table(&s, None, None).to_records()),
            })
        }
        "summarize" => {
            let o: SummaryOptions = params(p);
            let s = summarize(log, &o);
            json!({"as_of": s.as_of.to_string(), "customers": by_customer(summary_table(&s, None, None).to_records())})
        }
        "rfm" => {
            let o: RfmParams = params(p);
            let s = summarize(log, &o.summary);
            let r = score(&s, &o.rfm)?;
            json!({
                "customers": by_customer(summary_table(&s, Some(&r), None).to_records()),
                "segments": serde_json::to_value(&r.table).unwrap(),
            })
        }
        "cpm" => {
            let o: CpmParams = params(p);
            let s = summarize(log, &o.summary);
            let c = classify(&s, &o.cpm)?;
            let classes: Map<String, Value> = c
                .table
                .iter()
                .map(|row| (row.class.clone(), serde_json::to_value(row).unwrap()))
                .collect();
            json!({
                "customers": by_customer(summary_table(&s, None, Some((&c, &o.cpm))).to_records()),
                "classes": classes,
            })
        }
        "cpm_transitions" => {
            let o: TransitionParams = params(p);
            let t = transitions(log, o.as_of, &o.cpm)?;
            let mut counts: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
            for (from, row) in t.classes.iter().zip(&t.counts) {
                for (to, &n) in t.classes.iter().zip(row) {
                    if n > 0 {
                        counts
                            .entry(from.clone())
                            .or_default()
                            .insert(to.clone(), n);
                    }
                }
            }
            json!({
                "month_ends": t.month_ends.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "counts": counts,
                "months": serde_json::to_value(&t.months).unwrap(),
            })
        }
        other => panic!("unknown function '{other}'"),
    })
}

fn check_area(area: &str) {
    golden_common::check_vectors(
        area,
        golden_common::Rules {
            whole_maps: &[".customers", ".counts"],
            decimal_strings: true,
        },
        1e-12,
        |v| run(v["function"].as_str().unwrap(), &v["input"], &v["params"]),
    );
}

#[test]
fn ingest_vectors() {
    check_area("ingest");
}

#[test]
fn summary_vectors() {
    check_area("summary");
}

#[test]
fn rfm_vectors() {
    check_area("rfm");
}

#[test]
fn cpm_vectors() {
    check_area("cpm");
}
