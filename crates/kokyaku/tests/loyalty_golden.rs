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

/// One point beyond the limit of vector 19 is refused, on the one-pass path (vector 19's
/// customer never leaves the base stage) and on the event-by-event path (a refund).
#[test]
fn points_one_beyond_the_limit_is_refused() {
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(
            golden_common::vector_files("loyalty")
                .into_iter()
                .find(|p| p.ends_with("19_points_at_limit.json"))
                .expect("vector 19"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut params = v["params"].clone();
    // 10000 × 900719925474.0992 = 9007199254740992 = MAX_POINTS + 1
    params["program"]["points"]["bonuses"][0]["multiplier"] = "900719925474.0992".into();
    let refund = format!(
        "{}B,b1,2024-03-01,-1,completed\n",
        v["input"]["csv"].as_str().unwrap()
    );
    let mut with_refund = v["input"].clone();
    with_refund["csv"] = refund.into();
    for input in [&v["input"], &with_refund] {
        let e = run(input, &params).expect_err("one point beyond the limit");
        assert_eq!(e.code(), "invalid_value");
        let msg = e.to_string();
        assert!(
            msg.contains("9007199254740992") && msg.contains("customer 'B'"),
            "{msg}"
        );
    }
    assert_eq!(kokyaku::loyalty::MAX_POINTS, 9_007_199_254_740_991);
}

/// The programme the `loyalty_program` fuzz target found overflowing the points sum
/// (`attempt to add with overflow` in `earn`): now a typed error naming the customer.
#[test]
fn fuzz_find_points_overflow_is_a_typed_error() {
    let program = Program::from_json(
        r#"{"stages": [{"id": "membr"}], "window": {"kind": "calendar_year"}, "points": {"per": "2.1", "bonuses": [{"kind": "first_order", "multiplier": "5550000000124388556122037361"}, {"kind": "campaign", "from": "0433-11-01", "to": "2024-12-30", "multiplier": 5, "points": 10}]}}"#,
    )
    .unwrap();
    let csv = "customer_id,order_id,placed_at,amount,status\n\
        A,a1,2023-03-01T10:00:00+09:00,12000,completed\n\
        A,a2,2024-02-29T23:59:59+09:00,50000,completed\n\
        A,a2,2024-03-10,-20000,completed\n\
        B,b1,2024-12-31T00:00:00+09:00,3000,completed\n";
    let opts = ReadOptions {
        timezone: "Asia/Tokyo".into(),
        ..ReadOptions::default()
    };
    let log = read_csv_str(csv, &opts).unwrap().log;
    let e = evaluate(
        &log,
        &program,
        &LoyaltyEvents::default(),
        &StageOptions::default(),
    )
    .expect_err("beyond the points limit");
    assert_eq!(e.code(), "invalid_value", "{e}");
    assert!(e.to_string().contains("customer 'A'"), "{e}");
}
