//! The shared golden vectors of `tests/fixtures/loyalty/`: small logs with hand-computed stages,
//! points and histories (see each file's `notes`), read here and by every binding.
//!
//! A vector is `{description, source, function: "stages", input, params, notes, expected}`.
//! `input` is `{csv, options}` or `{records: {timezone, customers?, orders, refunds?}}`;
//! `params` is `{program, as_of?, history?, distribution?, redemptions?, invitations?}`.
//! The result is `kokyaku::loyalty::report_value`: `{as_of, stages, customers: {id: row},
//! history: [...], distribution}`; `expected` is a subset of it (`customers` compared whole),
//! or `{error: {code, message_contains}}`.

mod golden_common;

use kokyaku::io::{ReadOptions, parse_tz, read_csv_str};
use kokyaku::loyalty::{LoyaltyEvents, Program, StageOptions, evaluate, report_value};
use kokyaku::model::{Customer, Order, OrderLog, Refund};
use serde::Deserialize;
use serde_json::{Map, Value};

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

fn build_log(input: &Value) -> Result<OrderLog, kokyaku::Error> {
    if let Some(csv) = input.get("csv") {
        let opts: ReadOptions =
            serde_json::from_value(input.get("options").cloned().unwrap_or(Value::Null)).unwrap();
        let ing = read_csv_str(csv.as_str().unwrap(), &opts)?;
        assert_eq!(ing.report.rows_rejected, 0, "{:?}", ing.report.examples);
        return Ok(ing.log);
    }
    let r: Records = serde_json::from_value(input["records"].clone()).unwrap();
    OrderLog::from_records(
        parse_tz(&r.timezone)?,
        &r.customers,
        &r.orders,
        &r.refunds,
        &[],
    )
}

fn run(input: &Value, params: &Value) -> Result<Value, kokyaku::Error> {
    let log = build_log(input)?;
    let mut p: Map<String, Value> = params.as_object().cloned().unwrap_or_default();
    let program = Program::from_value(p.remove("program").unwrap_or(Value::Null))?;
    let mut ev = Map::new();
    for k in ["redemptions", "invitations"] {
        if let Some(v) = p.remove(k) {
            ev.insert(k.to_owned(), v);
        }
    }
    let events: LoyaltyEvents = serde_json::from_value(Value::Object(ev)).unwrap();
    let opts: StageOptions = serde_json::from_value(Value::Object(p)).unwrap();
    Ok(report_value(&evaluate(&log, &program, &events, &opts)?))
}

#[test]
fn loyalty_vectors() {
    assert!(
        golden_common::vector_files("loyalty").len() >= 10,
        "expected the loyalty vectors"
    );
    golden_common::check_vectors(
        "loyalty",
        golden_common::Rules {
            whole_maps: &[".customers"],
            decimal_strings: true,
        },
        0.0,
        |v| {
            assert_eq!(v["function"], "stages");
            run(&v["input"], &v["params"])
        },
    );
}
