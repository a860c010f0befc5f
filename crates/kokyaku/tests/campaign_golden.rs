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
    golden_common::check_vectors(
        area,
        golden_common::Rules {
            whole_maps: &[".rejections"],
            decimal_strings: true,
        },
        1e-12,
        |v| run(v["function"].as_str().unwrap(), &v["input"], &v["params"]),
    );
}

#[test]
fn campaign_vectors() {
    check_area("campaign");
}

#[test]
fn acquisition_vectors() {
    check_area("acquisition");
}
