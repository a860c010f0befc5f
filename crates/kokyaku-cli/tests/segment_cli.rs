//! `kokyaku segment` end to end: rules, presets, a rules file, --count, --explain, a customers
//! file with never-ordered members, errors with a caret.

use std::fmt::Write as _;
mod common;

use common::{kokyaku, stdout_ok as out};

fn tmp(name: &str, text: &str) -> String {
    common::scratch_file("seg", name, text)
        .display()
        .to_string()
}

const ORDERS: &str = "order_id,customer_id,placed_at,amount\n\
o1,A,2024-01-10,3000\no2,A,2024-02-10,2000\no3,B,2024-06-01,12000\no4,C,2024-05-01,5000\n";
const CUSTOMERS: &str = "customer_id,birth_date,signed_up_at,prefecture,channel\n\
A,1996-02-29,2023-12-01,東京都,ad\nB,1990-07-15,,大阪府,\nF,1985-01-01,2024-05-01,東京都,line\n\
,1990-01-01,,x,\nG,1990-13-01,,x,\nA,1996-02-29,,dup,\n";

#[test]
fn rule_ids_count_and_customers_file() {
    let orders = tmp("orders.csv", ORDERS);
    let customers = tmp("customers.csv", CUSTOMERS);
    let o = kokyaku(&[
        "segment",
        &orders,
        "--as-of",
        "2024-06-30",
        "--rule",
        "orders >= 2",
    ]);
    assert_eq!(out(&o), "A\n");
    let o = kokyaku(&[
        "segment",
        &orders,
        "--as-of",
        "2024-06-30",
        "--customers",
        &customers,
        "--rule",
        "orders = 0",
        "--count",
    ]);
    assert_eq!(out(&o), "1\n"); // F, a member who never ordered
    let o = kokyaku(&[
        "segment",
        &orders,
        "--as-of",
        "2024-06-30",
        "--customers",
        &customers,
        "--rule",
        "attr.prefecture = \"東京都\"",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(
        v["segments"][0]["customer_ids"],
        serde_json::json!(["A", "F"])
    );
    let r = &v["customers_file"];
    assert_eq!(
        (
            r["rows_read"].as_u64(),
            r["rows_accepted"].as_u64(),
            r["rows_rejected"].as_u64()
        ),
        (Some(6), Some(3), Some(3))
    );
    assert_eq!(
        r["rejections"],
        serde_json::json!({"duplicate_customer": 1, "invalid_birth_date": 1, "missing_customer": 1})
    );
}

#[test]
fn rules_file_gives_one_membership_table() {
    let orders = tmp("orders2.csv", ORDERS);
    let rules = tmp(
        "rules.json",
        r#"{"repeat": "orders >= 2", "big": {"op": "compare", "left": {"field": "gross"}, "cmp": ">=", "right": {"number": 5000}}}"#,
    );
    let o = kokyaku(&[
        "segment",
        &orders,
        "--as-of",
        "2024-06-30",
        "--rules",
        &rules,
    ]);
    assert_eq!(out(&o), "customer_id,big,repeat\nA,1,1\nB,1,0\nC,1,0\n");
}

#[test]
fn preset_and_explain() {
    let orders = tmp("orders3.csv", ORDERS);
    let o = kokyaku(&[
        "segment",
        &orders,
        "--as-of",
        "2024-06-30",
        "--preset",
        "dormant_winback",
    ]);
    assert_eq!(out(&o), "A\n");
    let o = kokyaku(&[
        "segment",
        &orders,
        "--as-of",
        "2024-06-30",
        "--rule",
        "orders >= 2 and days_since_last_order > 120",
        "--explain",
        "A",
    ]);
    let text = out(&o);
    assert!(text.contains("yes orders >= 2   [orders = 2]"), "{text}");
    assert!(text.contains("days_since_last_order = 141"), "{text}");
}

#[test]
fn rule_errors_show_a_caret_and_exit_2() {
    let orders = tmp("orders4.csv", ORDERS);
    let o = kokyaku(&["segment", &orders, "--rule", "orders >= \"two\""]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("[rule_type]") && e.contains("at byte 10") && e.contains("          ^^^^^"),
        "{e}"
    );
    let o = kokyaku(&["segment", &orders, "--preset", "nope"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("f2_nurture"));
}

/// The golden vectors with a saved fit and a programme (tests/fixtures/segment/03, 04) through
/// the CLI: orders as CSV, the fit, spend fit and programme as files, each case with --rule.
#[test]
fn predicted_and_stage_fields_from_saved_fits_and_a_programme() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/segment");
    for file in [
        "03_predicted_and_stages.json",
        "04_subscription_orders_no_table.json",
    ] {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
        let rec = &v["input"]["records"];
        let mut csv = String::from("order_id,customer_id,placed_at,amount,kind,subscription_id\n");
        for o in rec["orders"].as_array().unwrap() {
            writeln!(
                csv,
                "{},{},{},{},{},{}",
                o["order_id"].as_str().unwrap(),
                o["customer_id"].as_str().unwrap(),
                o["placed_at"].as_str().unwrap(),
                o["amount"].as_str().unwrap(),
                o["kind"].as_str().unwrap(),
                o["subscription_id"].as_str().unwrap_or("")
            )
            .unwrap();
        }
        let orders = tmp(&format!("{file}.orders.csv"), &csv);
        let p = &v["params"];
        let mut args: Vec<String> = vec![
            "segment".into(),
            orders,
            "--timezone".into(),
            rec["timezone"].as_str().unwrap().into(),
            "--as-of".into(),
            p["summary"]["as_of"].as_str().unwrap().into(),
        ];
        if let Some(c) = rec["customers"].as_array() {
            let mut t = String::from("customer_id\n");
            for x in c {
                writeln!(t, "{}", x["id"].as_str().unwrap()).unwrap();
            }
            args.extend([
                "--customers".into(),
                tmp(&format!("{file}.customers.csv"), &t),
            ]);
        }
        for (key, flag) in [
            ("fit", "--params"),
            ("spend_fit", "--spend-params"),
            ("program", "--program"),
        ] {
            if !p[key].is_null() {
                args.extend([
                    flag.into(),
                    tmp(&format!("{file}.{key}.json"), &p[key].to_string()),
                ]);
            }
        }
        for (key, flag) in [
            ("horizon", "--horizon"),
            ("discount_period", "--discount-period"),
            ("discount_rate", "--discount-rate"),
            ("margin", "--margin"),
        ] {
            if let Some(x) = p[key].as_f64() {
                args.extend([flag.into(), x.to_string()]);
            }
        }
        for case in v["cases"].as_array().unwrap() {
            let rule = case["rule"].as_str().unwrap();
            let mut a = args.clone();
            a.extend(["--rule".into(), rule.into()]);
            let refs: Vec<&str> = a.iter().map(String::as_str).collect();
            let o = kokyaku(&refs);
            if let Some(e) = case.get("error") {
                let err = String::from_utf8_lossy(&o.stderr);
                assert!(!o.status.success(), "{rule} should fail");
                assert!(err.contains(e["code"].as_str().unwrap()), "{rule}: {err}");
                assert!(
                    err.contains(e["message_contains"].as_str().unwrap()),
                    "{rule}: {err}"
                );
                continue;
            }
            let want: Vec<&str> = case["expected"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap())
                .collect();
            let got = out(&o);
            let got: Vec<&str> = got.lines().collect();
            assert_eq!(got, want, "{file}: {rule}");
        }
    }
}

/// Customers as Parquet and as gzipped CSV read like the CSV (same accounting).
#[test]
fn customers_file_in_parquet_and_gzip() {
    use kokyaku::table::{Column, Table};
    let orders = tmp("orders-pq.csv", ORDERS);
    let mut t = Table::default();
    t.push(
        "customer_id",
        Column::Str(
            ["A", "B", "F", "", "G"]
                .iter()
                .map(|s| Some((*s).to_owned()))
                .collect(),
        ),
    );
    t.push(
        "birth_date",
        Column::Date(vec![
            chrono::NaiveDate::from_ymd_opt(1996, 2, 29),
            chrono::NaiveDate::from_ymd_opt(1990, 7, 15),
            None,
            None,
            None,
        ]),
    );
    t.push(
        "prefecture",
        Column::Str(
            ["東京都", "大阪府", "東京都", "x", "y"]
                .iter()
                .map(|s| Some((*s).to_owned()))
                .collect(),
        ),
    );
    let d = std::env::temp_dir().join(format!("kokyaku-seg-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let pq = d.join("customers.parquet");
    kokyaku::io::write_table_parquet(&t, std::fs::File::create(&pq).unwrap()).unwrap();
    let pq = pq.display().to_string();
    let run = |customers: &str, rule: &str| {
        out(&kokyaku(&[
            "segment",
            &orders,
            "--as-of",
            "2024-06-30",
            "--customers",
            customers,
            "--rule",
            rule,
            "--format",
            "json",
        ]))
    };
    let v: serde_json::Value = serde_json::from_str(&run(&pq, "orders = 0")).unwrap();
    assert_eq!(
        v["segments"][0]["customer_ids"],
        serde_json::json!(["F", "G"])
    );
    let r = &v["customers_file"];
    assert_eq!(
        (
            r["rows_read"].as_u64(),
            r["rows_accepted"].as_u64(),
            r["rows_rejected"].as_u64()
        ),
        (Some(5), Some(4), Some(1))
    );
    assert_eq!(r["rejections"]["missing_customer"], 1);
    let v: serde_json::Value =
        serde_json::from_str(&run(&pq, "attr.prefecture = \"東京都\" and age = 28")).unwrap();
    assert_eq!(v["segments"][0]["customer_ids"], serde_json::json!(["A"]));
    // The same customers as gzipped CSV.
    let csv = tmp("customers-gz.csv", CUSTOMERS);
    let status = std::process::Command::new("gzip")
        .args(["-kf", &csv])
        .status()
        .unwrap();
    assert!(status.success());
    let gz = format!("{csv}.gz");
    let a: serde_json::Value = serde_json::from_str(&run(&csv, "orders = 0")).unwrap();
    let b: serde_json::Value = serde_json::from_str(&run(&gz, "orders = 0")).unwrap();
    assert_eq!(a["segments"], b["segments"]);
    assert_eq!(a["customers_file"], b["customers_file"]);
}
