//! The JSON comparison shared by the golden-vector runners (`fixtures_core.rs`,
//! `repeat_golden.rs`): expected values against a result, numbers within a relative tolerance.
#![allow(dead_code, missing_docs)]

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
