//! Issues 19 and 20 at the command line: a far date is an error, not an abort (exit 134);
//! analysis options have flags and an options file; the CPM currency warning; the new read
//! policies have flags.

mod common;

use std::path::PathBuf;

use common::{json_ok as json, kokyaku};

fn tmp(name: &str, text: &str) -> PathBuf {
    common::scratch_file("cli-review", name, text)
}

/// 20.1: `report` and `cohorts` exited 134 ("memory allocation of 73287826952 bytes failed").
#[test]
fn far_future_date_is_a_one_line_error() {
    let p = tmp(
        "far.csv",
        "customer_id,order_id,placed_at,amount\nA,1,2024-01-05,100\nB,2,2024-02-01,80\nC,3,9999-12-31,10\n",
    );
    let f = p.to_str().unwrap();
    for cmd in ["report", "cohorts"] {
        let o = kokyaku(&[cmd, f]);
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("[invalid_value]") && err.contains("9999-12-31"),
            "{err}"
        );
    }
    let o = kokyaku(&["report", f, "--as-of", "2024-06-30", "--format", "json"]);
    assert_eq!(json(&o)["totals"]["customers"], 3);
}

const LOG: &str = "customer_id,order_id,placed_at,amount,currency\n\
                   A,1,2024-01-01,30000,USD\n\
                   A,2,2024-01-01,30000,USD\n\
                   A,3,2024-05-01,20000,USD\n\
                   B,4,2024-02-01,100,USD\n\
                   C,5,2024-03-01,100,USD\n\
                   D,6,2024-04-01,100,USD\n";

fn cpm_counts(v: &serde_json::Value) -> Vec<(String, u64)> {
    v["cpm"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["customers"].as_u64().unwrap() > 0)
        .map(|r| {
            (
                r["class"].as_str().unwrap().to_owned(),
                r["customers"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// 20.4: CPM thresholds, basis and the currency warning; RFM ties; an options file.
#[test]
fn analysis_flags_and_options_file() {
    let p = tmp("usd.csv", LOG);
    let f = p.to_str().unwrap();
    let asof = ["--as-of", "2024-05-31", "--format", "json"];
    // Defaults: A has 3 orders over 121 days and 80,000 net: 流行 (trendy) in any currency,
    // with a warning that 70,000 was given in yen.
    let o = kokyaku(&[&["report", f][..], &asof[..]].concat());
    let v = json(&o);
    assert!(cpm_counts(&v).contains(&("trendy_active".into(), 1)), "{v}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("warning") && err.contains("JPY") && err.contains("USD"),
        "{err}"
    );
    // A threshold in dollars: no warning; A below it is steady.
    let o = kokyaku(
        &[
            &[
                "report",
                f,
                "--cpm-spend-threshold",
                "100000",
                "--cpm-spend-currency",
                "usd",
            ][..],
            &asof[..],
        ]
        .concat(),
    );
    assert!(cpm_counts(&json(&o)).contains(&("steady_active".into(), 1)));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("warning"));
    // Purchase days: A's two orders on 2024-01-01 are one purchase day, A is still a repeat
    // buyer (2 days); tenure threshold 200 days makes A fledgling.
    let o = kokyaku(
        &[
            &[
                "report",
                f,
                "--cpm-basis",
                "purchase-days",
                "--cpm-fledgling-days",
                "150",
            ][..],
            &asof[..],
        ]
        .concat(),
    );
    assert!(cpm_counts(&json(&o)).contains(&("fledgling_active".into(), 1)));
    // Churn days.
    let o = kokyaku(&[&["report", f, "--cpm-churn-days", "30"][..], &asof[..]].concat());
    assert!(cpm_counts(&json(&o)).contains(&("first_timer_churned".into(), 3)));
    // RFM ties: B, C, D are tied on F (1 order each) and M (100): shared gives them one score.
    let summary = |extra: &[&str]| {
        let out = tmp("out.csv", "");
        let o = kokyaku(
            &[
                &[
                    "summary",
                    f,
                    "-o",
                    out.to_str().unwrap(),
                    "--as-of",
                    "2024-05-31",
                ][..],
                extra,
            ]
            .concat(),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(out).unwrap()
    };
    let col = |csv: &str, name: &str| -> Vec<String> {
        let mut lines = csv.lines();
        let h: Vec<&str> = lines.next().unwrap().split(',').collect();
        let i = h.iter().position(|c| *c == name).unwrap();
        lines
            .map(|l| l.split(',').nth(i).unwrap().to_owned())
            .collect()
    };
    let ntile = summary(&[]);
    let shared = summary(&["--rfm-ties", "shared"]);
    assert_eq!(col(&ntile, "m")[1..], ["1", "2", "3"]); // B, C, D split by id
    assert_eq!(col(&shared, "m")[1..], ["1", "1", "1"]);
    // Dormant days.
    let d = summary(&["--dormant-days", "60"]);
    assert_eq!(col(&d, "dormant"), ["false", "true", "true", "true"]); // 30, 120, 91, 60 days
    // The same through an options file; a flag overrides the file.
    let opts = tmp(
        "opts.json",
        r#"{"rfm": {"monetary": {"method": "quantile", "bins": 5, "ties": "shared"}}, "summary": {"dormant_days": 60}}"#,
    );
    let via_file = summary(&["--options", opts.to_str().unwrap()]);
    assert_eq!(col(&via_file, "m")[1..], ["1", "1", "1"]);
    assert_eq!(col(&via_file, "dormant"), col(&d, "dormant"));
    let bad = tmp("bad.json", r#"{"rfm": {"tie": 1}}"#);
    let o = kokyaku(&["report", f, "--options", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--options"));
}

/// 19.2 and 20.6 flags.
#[test]
fn read_policy_flags() {
    let p = tmp(
        "dup.csv",
        "customer_id,order_id,placed_at,amount\nA,1,2024-01-01,100\nA,1,2024-01-03,100\nB,2,2024-01-02,0\n",
    );
    let f = p.to_str().unwrap();
    let v = json(&kokyaku(&["report", f, "--format", "json"]));
    assert_eq!(v["ingestion"]["rejections"]["duplicate_order"], 1);
    assert_eq!(v["totals"]["customers"], 2);
    let v = json(&kokyaku(&[
        "report",
        f,
        "--format",
        "json",
        "--duplicate-order",
        "sum-across-times",
        "--min-order-amount",
        "0.01",
    ]));
    assert_eq!(v["ingestion"]["lines_merged"], 1);
    assert_eq!(v["ingestion"]["rejections"]["below_min_order_amount"], 1);
    assert_eq!(v["totals"]["customers"], 1);
}
