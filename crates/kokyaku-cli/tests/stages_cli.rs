//! `kokyaku stages` end to end on the JP EC preset vector: the table, a card, the history, the
//! distribution, a redemptions file, and a programme error naming its field.

mod common;

use std::process::Output;

use common::stdout_ok as out;

/// `kokyaku stages ARGS`.
fn kokyaku(args: &[&str]) -> Output {
    let mut all = vec!["stages"];
    all.extend_from_slice(args);
    common::kokyaku(&all)
}

fn tmp(name: &str, text: &str) -> String {
    common::scratch_file("stages", name, text)
        .display()
        .to_string()
}

/// The preset's orders and programme, in files named after `test` (tests run in parallel in
/// one scratch directory: a shared name could be read while another test rewrites it).
fn preset(test: &str) -> (String, String) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            root.join("tests/fixtures/loyalty/21_preset_jp_ec_rank_rolling_12_months.json"),
        )
        .unwrap(),
    )
    .unwrap();
    (
        tmp(
            &format!("{test}-orders.csv"),
            v["input"]["csv"].as_str().unwrap(),
        ),
        tmp(
            &format!("{test}-program.json"),
            &v["params"]["program"].to_string(),
        ),
    )
}

#[test]
fn table_card_history_distribution() {
    let (orders, program) = preset("table");
    let base = [
        orders.as_str(),
        "--program",
        &program,
        "--timezone",
        "Asia/Tokyo",
        "--as-of",
        "2024-05-15",
    ];
    let t = out(&kokyaku(&base));
    assert!(t.contains("\nM,gold,ゴールド,2024-05-01,2024-01-15,105000,4,1050,1050,1250,0,0,200,200,2025-01-14,platinum,195000,,,2024-05-31\n"), "{t}");
    let mut a = base.to_vec();
    a.extend(["--customer", "M", "--format", "json"]);
    let card: serde_json::Value = serde_json::from_str(&out(&kokyaku(&a))).unwrap();
    assert_eq!(card["spend_needed"], "195000");
    assert_eq!(card["history"].as_array().unwrap().len(), 2);
    let mut a = base.to_vec();
    a.push("--history");
    assert!(out(&kokyaku(&a)).contains("N,2024-05-01,gold,regular,review,\n"));
    let mut a = base.to_vec();
    a.extend(["--distribution", "monthly"]);
    assert!(out(&kokyaku(&a)).contains("gold,0,0,11,0\n"));
    let red = tmp("red.csv", "customer_id,date,points\nM,2024-05-10,1000\n");
    let mut a = base.to_vec();
    a.extend(["--redemptions", &red, "--customer", "M", "--format", "json"]);
    let card: serde_json::Value = serde_json::from_str(&out(&kokyaku(&a))).unwrap();
    assert_eq!(card["points_balance"], 50);
}

#[test]
fn programme_error_names_the_field() {
    let (orders, _) = preset("error");
    let bad = tmp(
        "bad.json",
        r#"{"stages": [{"id": "r"}, {"id": "g", "spend": 10, "colour": "x"}], "window": {"kind": "calendar_year"}}"#,
    );
    let o = kokyaku(&[&orders, "--program", &bad]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("stages[1].colour"), "{err}");
}

#[test]
fn table_and_history_to_files() {
    let (orders, program) = preset("files");
    let base = [
        orders.as_str(),
        "--program",
        &program,
        "--timezone",
        "Asia/Tokyo",
        "--as-of",
        "2024-05-15",
    ];
    let dir = common::scratch("stages", "files");
    std::fs::create_dir_all(&dir).unwrap();
    for history in [false, true] {
        let mut a = base.to_vec();
        if history {
            a.push("--history");
        }
        let stdout = out(&kokyaku(&a));
        let csv = dir.join(format!("t{history}.csv"));
        let pq = dir.join(format!("t{history}.parquet"));
        let mut b = a.clone();
        b.extend(["-o", csv.to_str().unwrap(), "--format", "json"]);
        let msg: serde_json::Value = serde_json::from_str(&out(&kokyaku(&b))).unwrap();
        assert_eq!(msg["as_of"], "2024-05-15");
        // The file holds what stdout shows: every row of the table.
        assert_eq!(std::fs::read_to_string(&csv).unwrap(), stdout);
        let rows = stdout.lines().count() - 1;
        let key = if history { "changes" } else { "customers" };
        assert_eq!(msg[key], rows, "{msg}");
        let mut b = a.clone();
        b.extend(["-o", pq.to_str().unwrap(), "--quiet"]);
        out(&kokyaku(&b));
        let bytes = std::fs::read(&pq).unwrap();
        assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"));
    }
    // A card or the distribution goes to stdout only.
    let mut a = base.to_vec();
    a.extend(["--customer", "M", "-o", "x.csv"]);
    assert!(!kokyaku(&a).status.success());
}
