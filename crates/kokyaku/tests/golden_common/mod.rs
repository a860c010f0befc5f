//! The JSON comparison shared by the golden-vector runners (`fixtures_core.rs`,
//! `repeat_golden.rs`): expected values against a result, numbers within a relative tolerance.
#![allow(dead_code, missing_docs)]

use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde_json::Value;

/// What a comparison accepts beyond equal values.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rules<'a> {
    /// Objects at paths ending in one of these are compared whole (same key set), not only on
    /// the expected keys.
    pub whole_maps: &'a [&'a str],
    /// Strings that are equal decimals (`"1.50"` and `"1.5"`) match.
    pub decimal_strings: bool,
}

/// Appends to `errors` every difference between `expected` and `got` under `path`.
pub fn compare(
    path: &str,
    expected: &Value,
    got: &Value,
    tol: f64,
    rules: Rules<'_>,
    errors: &mut Vec<String>,
) {
    match (expected, got) {
        (Value::Object(e), Value::Object(g)) => {
            if rules.whole_maps.iter().any(|m| path.ends_with(m)) {
                let (ek, gk): (Vec<&String>, Vec<&String>) =
                    (e.keys().collect(), g.keys().collect());
                if ek != gk {
                    errors.push(format!("{path}: expected keys {ek:?}, got {gk:?}"));
                }
            }
            for (k, ev) in e {
                match g.get(k) {
                    Some(gv) => compare(&format!("{path}.{k}"), ev, gv, tol, rules, errors),
                    None => errors.push(format!("{path}.{k}: missing in result")),
                }
            }
        }
        (Value::Array(e), Value::Array(g)) => {
            if e.len() == g.len() {
                for (i, (ev, gv)) in e.iter().zip(g).enumerate() {
                    compare(&format!("{path}[{i}]"), ev, gv, tol, rules, errors);
                }
            } else {
                errors.push(format!(
                    "{path}: expected {} items, got {}",
                    e.len(),
                    g.len()
                ));
            }
        }
        (Value::Number(e), Value::Number(g)) => {
            let (e, g) = (e.as_f64().unwrap(), g.as_f64().unwrap());
            if (e - g).abs() > tol * e.abs().max(1.0) {
                errors.push(format!("{path}: expected {e}, got {g}"));
            }
        }
        (Value::String(e), Value::String(g)) if rules.decimal_strings && e != g => {
            match (e.parse::<Decimal>(), g.parse::<Decimal>()) {
                (Ok(a), Ok(b)) if a == b => {}
                _ => errors.push(format!("{path}: expected {e:?}, got {g:?}")),
            }
        }
        (e, g) if e == g => {}
        (e, g) => errors.push(format!("{path}: expected {e}, got {g}")),
    }
}

/// The vector files of `tests/fixtures/<area>/`, sorted by name.
pub fn vector_files(area: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(area);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// Runs every vector of `area` through `run` (given the whole vector) and checks its
/// `expected`: a result compared under `rules` within the vector's `tolerance` (or
/// `default_tol`), or an `error` with its `code` and the `message_contains` strings. Panics with
/// every failure of every file at once.
pub fn check_vectors(
    area: &str,
    rules: Rules<'_>,
    default_tol: f64,
    run: impl Fn(&Value) -> Result<Value, kokyaku::Error>,
) {
    let files = vector_files(area);
    assert!(!files.is_empty(), "no vectors in tests/fixtures/{area}");
    let mut failures = Vec::new();
    for f in &files {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        for key in ["description", "source", "function", "input", "expected"] {
            assert!(v.get(key).is_some(), "{}: no '{key}'", f.display());
        }
        let tol = v["tolerance"].as_f64().unwrap_or(default_tol);
        let expected = &v["expected"];
        let mut errors = Vec::new();
        match (run(&v), expected.get("error")) {
            (Ok(got), None) => {
                compare("", expected, &got, tol, rules, &mut errors);
                if !errors.is_empty() {
                    errors.push(format!("result: {got}"));
                }
            }
            (Err(e), Some(want)) => {
                if want["code"] != e.code() {
                    errors.push(format!(
                        "expected error code {}, got {} ({e})",
                        want["code"],
                        e.code()
                    ));
                }
                for s in want["message_contains"].as_array().into_iter().flatten() {
                    if !e.to_string().contains(s.as_str().unwrap()) {
                        errors.push(format!("message does not contain {s}: {e}"));
                    }
                }
            }
            (Ok(got), Some(_)) => errors.push(format!("expected an error, got {got}")),
            (Err(e), None) => errors.push(format!("unexpected error {}: {e}", e.code())),
        }
        if !errors.is_empty() {
            failures.push(format!("{}:\n  {}", f.display(), errors.join("\n  ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
