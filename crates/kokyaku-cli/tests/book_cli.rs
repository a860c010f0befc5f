//! `kokyaku book` end to end: the shared vector `tests/fixtures/book/basic_changes.json` run
//! step by step through the command (events as JSON Lines, the snapshot carried from run to run),
//! giving the vector's change reports; bad snapshots and bad event files fail with their code.

mod common;

use std::path::PathBuf;

use common::{err_code, json_ok as ok, kokyaku};
use serde_json::Value;

fn tmp(name: &str) -> PathBuf {
    common::scratch("book-cli", name)
}

#[test]
fn the_shared_vector_through_the_command() {
    run_vector("basic_changes.json");
}

#[test]
fn the_loyalty_vector_through_the_command() {
    // --program on the first run; the snapshot carries the programme to the next ones.
    let got = run_vector("loyalty_stage_points.json");
    let rows = got["stages"].as_array().expect("--stages rows");
    let c1 = rows.iter().find(|r| r["customer_id"] == "C1").unwrap();
    assert_eq!(
        (&c1["stage"], &c1["points_expired"]),
        (&Value::from("regular"), &Value::from(60))
    );
}

#[test]
fn the_redemption_vector_through_the_command() {
    // Redemption and invitation rows in the events files; the snapshot keeps them between runs.
    let got = run_vector("redemptions_invitations.json");
    let rows = got["stages"].as_array().expect("--stages rows");
    let c1 = rows.iter().find(|r| r["customer_id"] == "C1").unwrap();
    assert_eq!(
        (&c1["points_balance"], &c1["points_redeemed"]),
        (&Value::from(40), &Value::from(80))
    );
    let c2 = rows.iter().find(|r| r["customer_id"] == "C2").unwrap();
    assert_eq!(c2["stage"], "vip");
}

/// Runs a book vector through the command step by step; returns the last step's output.
fn run_vector(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/book")
        .join(name);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let opts = tmp(&format!("{name}.options.json"));
    std::fs::write(&opts, v["input"]["options"].to_string()).unwrap();
    let program = v["input"].get("program").map(|p| {
        let f = tmp(&format!("{name}.program.json"));
        std::fs::write(&f, p.to_string()).unwrap();
        f
    });
    let snap = tmp(&format!("{name}.snap"));
    let n = v["input"]["steps"].as_array().unwrap().len();
    let mut last = Value::Null;
    let snap_s = snap.to_str().unwrap();
    for (k, step) in v["input"]["steps"].as_array().unwrap().iter().enumerate() {
        let mut args: Vec<String> = vec!["book".into()];
        if let Some(events) = step.get("events") {
            let f = tmp(&format!("{name}.step{k}.jsonl"));
            let lines: Vec<String> = events
                .as_array()
                .unwrap()
                .iter()
                .map(Value::to_string)
                .collect();
            std::fs::write(&f, lines.join("\n")).unwrap();
            args.push(f.to_str().unwrap().into());
        }
        if k == 0 {
            args.extend(["--options".into(), opts.to_str().unwrap().into()]);
            if let Some(p) = &program {
                args.extend(["--program".into(), p.to_str().unwrap().into()]);
            }
        } else {
            args.extend(["--from".into(), snap_s.into()]);
        }
        if let Some(d) = step.get("advance").and_then(Value::as_str) {
            args.extend(["--advance".into(), d.into()]);
        }
        args.extend(["-o".into(), snap_s.into(), "--format".into(), "json".into()]);
        if program.is_some() && k + 1 == n {
            args.push("--stages".into());
        }
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let got = ok(&kokyaku(&a));
        let want = &v["expected"]["steps"][k];
        assert_eq!(got["changes"], want["changes"], "{name} step {k}");
        if let Some(c) = want.get("counts") {
            assert_eq!(&got["ingested"], c, "{name} step {k}");
        }
        last = got;
    }
    let text = kokyaku(&["book", "--from", snap_s]);
    assert!(text.status.success());
    let out = String::from_utf8_lossy(&text.stdout);
    let as_of = v["expected"]["as_of"].as_str().unwrap();
    assert!(out.starts_with(&format!("book at {as_of}")), "{out}");
    assert!(out.contains("no changes"), "{out}");
    last
}

#[test]
fn bad_inputs_fail_with_their_code() {
    let junk = tmp("junk.snap");
    std::fs::write(&junk, b"id,amount\n1,2\n").unwrap();
    assert_eq!(
        err_code(&kokyaku(&["book", "--from", junk.to_str().unwrap()])),
        "snapshot_foreign"
    );
    let empty = tmp("empty.snap");
    let o = kokyaku(&["book", "-o", empty.to_str().unwrap(), "--format", "json"]);
    ok(&o);
    let bytes = std::fs::read(&empty).unwrap();
    std::fs::write(&empty, &bytes[..bytes.len() - 3]).unwrap();
    assert_eq!(
        err_code(&kokyaku(&["book", "--from", empty.to_str().unwrap()])),
        "snapshot_truncated"
    );
    let ev = tmp("bad.csv");
    std::fs::write(
        &ev,
        "type,order_id,customer_id,at,amount\norder,O1,C1,yesterday,10\n",
    )
    .unwrap();
    let o = kokyaku(&["book", ev.to_str().unwrap()]);
    assert_eq!(err_code(&o), "invalid_value");
    assert!(String::from_utf8_lossy(&o.stderr).contains("yesterday"));
    let o = kokyaku(&[
        "book",
        "--from",
        junk.to_str().unwrap(),
        "--as-of",
        "2024-01-01",
    ]);
    assert_eq!(err_code(&o), "invalid_option");
}

#[test]
fn segments_from_a_rules_file() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/book/segments.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let opts = tmp("seg-options.json");
    std::fs::write(&opts, v["input"]["options"].to_string()).unwrap();
    let rules = tmp("seg-rules.json");
    std::fs::write(&rules, v["input"]["segments"].to_string()).unwrap();
    let events = tmp("seg-step0.jsonl");
    let lines: Vec<String> = v["input"]["steps"][0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(Value::to_string)
        .collect();
    std::fs::write(&events, lines.join("\n")).unwrap();
    let snap = tmp("seg.snap");
    let got = ok(&kokyaku(&[
        "book",
        events.to_str().unwrap(),
        "--options",
        opts.to_str().unwrap(),
        "--segments",
        rules.to_str().unwrap(),
        "-o",
        snap.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(got["changes"], v["expected"]["steps"][0]["changes"]);
    let text = kokyaku(&[
        "book",
        "--from",
        snap.to_str().unwrap(),
        "--advance",
        "2024-03-15",
    ]);
    let out = String::from_utf8_lossy(&text.stdout);
    assert!(out.contains("became_dormant"), "{out}");
    let bad = tmp("bad-rules.json");
    std::fs::write(&bad, r#"{"x": "orders >="}"#).unwrap();
    let o = kokyaku(&["book", "--segments", bad.to_str().unwrap()]);
    assert_eq!(err_code(&o), "rule_syntax");
}
