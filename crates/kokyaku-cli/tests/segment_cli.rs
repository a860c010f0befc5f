//! `kokyaku segment` end to end: rules, presets, a rules file, --count, --explain, a customers
//! file with never-ordered members, errors with a caret.

use std::path::PathBuf;
use std::process::{Command, Output};

fn kokyaku(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kokyaku"))
        .args(args)
        .output()
        .expect("run kokyaku")
}

fn tmp(name: &str, text: &str) -> String {
    let d: PathBuf = std::env::temp_dir().join(format!("kokyaku-seg-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn out(o: &Output) -> String {
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
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
