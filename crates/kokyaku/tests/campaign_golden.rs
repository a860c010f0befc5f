//! The golden vectors of `tests/fixtures/campaign/` and `tests/fixtures/acquisition/`, read here
//! and by every binding.
//!
//! * `campaign_results`: `input` is `{csv, options, deliveries_csv, delivery_options}` (the
//!   order log as in `fixtures_core.rs`, the deliveries and their `DeliveryReadOptions`);
//!   params are `CampaignOptions`, plus optionally `segment_rules` (`{name: rule text}`, in
//!   name order: segments from rules at send time); result `{deliveries: DeliveryReport,
//!   results: CampaignResults}`.
//! * `compare_periods`: the same input; params are `PeriodOptions`; result `PeriodComparison`.
//! * `acquisition`: `input` is `{records: {timezone, customers, orders, refunds}}` (record
//!   types); params are `AcquisitionOptions`; result `AcquisitionReport`.
//!
//! `expected` is a subset of the result; numbers within `tolerance`; decimal strings compare as
//! decimals; an expected `{error: {code, message_contains}}` means the call must fail.

mod golden_common;

use std::path::{Path, PathBuf};

use kokyaku::acquisition::{AcquisitionOptions, acquisition};
use kokyaku::campaign::{
    CampaignOptions, DeliveryReadOptions, PeriodOptions, campaign_results, compare_periods,
    read_deliveries_csv, segments_from_rules,
};
use kokyaku::io::{ReadOptions, parse_tz, read_csv_str};
use kokyaku::model::{Customer, Order, OrderLog, Refund};
use kokyaku::segment::{RuleSource, SegmentOptions};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Records {
    timezone: String,
    #[serde(default)]
    customers: Vec<Customer>,
    #[serde(default)]
    orders: Vec<Order>,
    #[serde(default)]
    refunds: Vec<Refund>,
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

fn log_of(input: &Value) -> Result<OrderLog, kokyaku::Error> {
    if let Some(csv) = input.get("csv") {
        let o: ReadOptions =
            serde_json::from_value(input.get("options").cloned().unwrap_or_else(|| json!({})))
                .expect("options");
        return Ok(read_csv_str(csv.as_str().expect("csv"), &o)?.log);
    }
    let r: Records = serde_json::from_value(input["records"].clone()).expect("records");
    OrderLog::from_records(
        parse_tz(&r.timezone)?,
        &r.customers,
        &r.orders,
        &r.refunds,
        &[],
    )
}

fn run(function: &str, input: &Value, params: &Value) -> Result<Value, kokyaku::Error> {
    let log = log_of(input)?;
    let deliveries = || {
        let o: DeliveryReadOptions = serde_json::from_value(
            input
                .get("delivery_options")
                .cloned()
                .unwrap_or_else(|| json!({})),
        )
        .expect("delivery_options");
        read_deliveries_csv(
            input["deliveries_csv"]
                .as_str()
                .expect("deliveries_csv")
                .as_bytes(),
            &o,
        )
    };
    Ok(match function {
        "campaign_results" => {
            let mut d = deliveries()?;
            let mut params = params.clone();
            // `segment_rules`: {name: rule text}, evaluated at send time.
            if let Some(rules) = params
                .as_object_mut()
                .and_then(|m| m.remove("segment_rules"))
            {
                let rules: Vec<(String, RuleSource)> = rules
                    .as_object()
                    .expect("segment_rules object")
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            RuleSource::Text(v.as_str().expect("rule text").to_owned()),
                        )
                    })
                    .collect();
                d.deliveries =
                    segments_from_rules(&log, &d.deliveries, &rules, &SegmentOptions::default())?;
            }
            let o: CampaignOptions = serde_json::from_value(params).expect("params");
            json!({
                "deliveries": serde_json::to_value(&d.report).unwrap(),
                "results": serde_json::to_value(campaign_results(&log, &d.deliveries, &o)?).unwrap(),
            })
        }
        "compare_periods" => {
            let d = deliveries()?;
            let o: PeriodOptions = serde_json::from_value(params.clone()).expect("params");
            serde_json::to_value(compare_periods(&log, Some(&d.deliveries), &o)?).unwrap()
        }
        "acquisition" => {
            let o: AcquisitionOptions = serde_json::from_value(params.clone()).expect("params");
            serde_json::to_value(acquisition(&log, &o)?).unwrap()
        }
        other => panic!("unknown function '{other}'"),
    })
}

fn check_area(area: &str) {
    let files = fixtures(area);
    assert!(!files.is_empty(), "no vectors in tests/fixtures/{area}");
    let mut failures = Vec::new();
    for f in &files {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        for key in ["description", "source", "function", "input", "expected"] {
            assert!(v.get(key).is_some(), "{}: no '{key}'", f.display());
        }
        let tol = v["tolerance"].as_f64().unwrap_or(1e-12);
        let expected = &v["expected"];
        let mut errors = Vec::new();
        match (
            run(v["function"].as_str().unwrap(), &v["input"], &v["params"]),
            expected.get("error"),
        ) {
            (Ok(got), None) => {
                golden_common::compare(
                    "",
                    expected,
                    &got,
                    tol,
                    golden_common::Rules {
                        whole_maps: &[".rejections"],
                        decimal_strings: true,
                    },
                    &mut errors,
                );
                if !errors.is_empty() {
                    errors.push(format!("result: {got}"));
                }
            }
            (Err(e), Some(want)) => {
                if want["code"] != e.code() {
                    errors.push(format!(
                        "expected error code {}, got {} ({e})",
                        want["code"],
                        e.code()
                    ));
                }
                for s in want["message_contains"].as_array().into_iter().flatten() {
                    if !e.to_string().contains(s.as_str().unwrap()) {
                        errors.push(format!("message does not contain {s}: {e}"));
                    }
                }
            }
            (Ok(got), Some(_)) => errors.push(format!("expected an error, got {got}")),
            (Err(e), None) => errors.push(format!("unexpected error {}: {e}", e.code())),
        }
        if !errors.is_empty() {
            failures.push(format!("{}:\n  {}", f.display(), errors.join("\n  ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn campaign_vectors() {
    check_area("campaign");
}

#[test]
fn acquisition_vectors() {
    check_area("acquisition");
}
