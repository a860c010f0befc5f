//! The shared golden vectors of `tests/fixtures/book/` (also run by the Python, Node and WASM
//! harnesses): a book built from `input.options`, then `input.steps` one after another, each
//! `{events: [...]}` (ingested; the step's result holds the `counts`) or `{advance: date}`,
//! followed by a change report (the step's `changes`) and a snapshot / restore round trip.
//! With `input.segments` (name → rule) the book tracks those segments and the result adds
//! `segments` (name → members). With `input.program` (a loyalty programme) the book keeps it
//! current and the result adds `stages` (customer id → the stages table's row).
//! The result is `{as_of, steps: [{counts?, changes}], customers, segments}` where `customers` holds the
//! final summaries keyed by customer id (compared whole). An expected `{error: {code,
//! message_contains}}` means a step must fail with that code.

mod golden_common;

use std::path::PathBuf;

use golden_common::{Rules, compare};
use kokyaku::book::{Book, BookOptions, Event};
use kokyaku::segment::RuleSource;
use serde_json::{Map, Value, json};

fn run(input: &Value) -> kokyaku::Result<Value> {
    let opts: BookOptions = serde_json::from_value(input["options"].clone()).unwrap();
    let mut book = Book::new(opts)?;
    let names: Vec<String> = input
        .get("segments")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    if let Some(Value::Object(m)) = input.get("segments") {
        let rules: Vec<(String, RuleSource)> = m
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::from_value(v.clone()).unwrap()))
            .collect();
        book.set_segments(&rules)?;
    }
    if let Some(p) = input.get("program").filter(|p| !p.is_null()) {
        book.set_program(Some(&p.to_string()))?;
    }
    let mut steps = Vec::new();
    for step in input["steps"].as_array().unwrap() {
        let mut out = Map::new();
        if let Some(events) = step.get("events") {
            let events: Vec<Event> = serde_json::from_value(events.clone()).unwrap();
            out.insert(
                "counts".into(),
                serde_json::to_value(book.ingest(&events)?).unwrap(),
            );
        }
        if let Some(d) = step.get("advance").and_then(Value::as_str) {
            book.advance(kokyaku::model::parse_date("advance", d)?)?;
        }
        let rep = book.changes()?;
        out.insert(
            "changes".into(),
            serde_json::to_value(&rep.changes).unwrap(),
        );
        steps.push(Value::Object(out));
        book = Book::restore(&book.snapshot())?;
    }
    let mut customers = Map::new();
    for r in book.summaries().records() {
        let mut v = serde_json::to_value(&r).unwrap();
        let id = v["customer_id"].as_str().unwrap().to_owned();
        v.as_object_mut().unwrap().remove("customer_id");
        customers.insert(id, v);
    }
    let segments: Map<String, Value> = names
        .iter()
        .map(|n| (n.clone(), json!(book.segment_members(n))))
        .collect();
    let mut stages = Map::new();
    if let Some(st) = book.stages(false)? {
        for mut r in kokyaku::loyalty::stages_table(&st).to_records() {
            if let Some(Value::String(id)) = r.remove("customer_id") {
                stages.insert(id, Value::Object(r));
            }
        }
    }
    Ok(
        json!({"as_of": book.as_of().to_string(), "steps": steps, "customers": customers, "segments": segments, "stages": stages}),
    )
}

#[test]
fn book_vectors() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/book");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 3,
        "book vectors missing in {}",
        dir.display()
    );
    for f in files {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        assert_eq!(v["function"], "book");
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        match (run(&v["input"]), v["expected"].get("error")) {
            (Ok(got), None) => {
                let mut errors = Vec::new();
                let rules = Rules {
                    whole_maps: &[".customers"],
                    decimal_strings: true,
                };
                compare("", &v["expected"], &got, 0.0, rules, &mut errors);
                assert!(
                    errors.is_empty(),
                    "{name}:\n{}\nresult: {got}",
                    errors.join("\n")
                );
            }
            (Err(e), Some(want)) => {
                assert_eq!(e.code(), want["code"], "{name}: {e}");
                for s in want["message_contains"].as_array().into_iter().flatten() {
                    assert!(e.to_string().contains(s.as_str().unwrap()), "{name}: {e}");
                }
            }
            (Ok(got), Some(want)) => panic!("{name}: expected error {want}, got {got}"),
            (Err(e), None) => panic!("{name}: unexpected error {e}"),
        }
    }
}
