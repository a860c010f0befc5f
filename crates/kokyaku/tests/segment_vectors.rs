//! The golden vectors of `tests/fixtures/segment/` (also run by the Python, Node and WASM
//! harnesses): `{input: {records}, params: SegmentOptions + extras, cases: [{rule, expected |
//! error}]}`. The extras (`fit`, `spend_fit`, `horizon` …, `program`) are read by
//! `SegmentExtras::take_from`, as the bindings read them.
//! A rule is text or its JSON form; `expected` lists member ids in customer order; `error` is
//! `{code, position, message_contains}`.

use std::path::Path;

use kokyaku::model::{Customer, Order, OrderLog, Refund, Subscription};
use kokyaku::segment::{Rule, RuleSource, SegmentExtras, SegmentOptions, evaluate_with};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Records {
    timezone: String,
    #[serde(default)]
    customers: Vec<Customer>,
    #[serde(default)]
    orders: Vec<Order>,
    #[serde(default)]
    refunds: Vec<Refund>,
    #[serde(default)]
    subscriptions: Vec<Subscription>,
}

#[test]
fn segment_vectors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/segment");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 4);
    let mut n = 0;
    for f in files {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let r: Records = serde_json::from_value(v["input"]["records"].clone()).unwrap();
        let tz = kokyaku::io::parse_tz(&r.timezone).unwrap();
        let log = OrderLog::from_records(tz, &r.customers, &r.orders, &r.refunds, &r.subscriptions)
            .unwrap();
        let mut params = v["params"].as_object().cloned().unwrap_or_default();
        let extras = SegmentExtras::take_from(&mut params).unwrap();
        let opts: SegmentOptions = serde_json::from_value(Value::Object(params)).unwrap();
        for case in v["cases"].as_array().unwrap() {
            n += 1;
            let src: RuleSource = serde_json::from_value(case["rule"].clone()).unwrap();
            let got = evaluate_with(&log, &[("r".into(), src.clone())], &opts, &extras);
            if let Some(e) = case.get("error") {
                let err = got.expect_err(&format!("{}: {src:?} should fail", f.display()));
                assert_eq!(err.code(), e["code"].as_str().unwrap(), "{err}");
                let re = err.rule_error().expect("a rule error");
                assert_eq!(re.position as u64, e["position"].as_u64().unwrap(), "{err}");
                let m = e["message_contains"].as_str().unwrap();
                assert!(err.to_string().contains(m), "{err} lacks {m}");
                assert!(err.to_string().contains('^'), "caret line in {err}");
                continue;
            }
            let got = got.unwrap_or_else(|e| panic!("{}: {src:?}: {e}", f.display()));
            let want: Vec<String> = serde_json::from_value(case["expected"].clone()).unwrap();
            assert_eq!(got[0].customer_ids, want, "{}: {src:?}", f.display());
            assert_eq!(got[0].count, want.len());
            if let Some(t) = case.get("text") {
                let RuleSource::Json(rule) = &src else {
                    panic!("text only for JSON rules")
                };
                assert_eq!(rule.to_string(), t.as_str().unwrap());
                assert_eq!(&kokyaku::segment::parse(t.as_str().unwrap()).unwrap(), rule);
            }
            if let RuleSource::Text(t) = &src {
                // Text -> JSON -> text is the identity on canonical text.
                let rule = kokyaku::segment::parse(t).unwrap();
                let back: Rule = serde_json::from_str(&rule.to_json().unwrap()).unwrap();
                assert_eq!(back, rule);
                assert_eq!(&back.to_string(), t);
            }
        }
    }
    assert!(n >= 30);
}
