//! Option structs from JSON-like data (Python keyword arguments, JS option objects).
//!
//! Wrappers pass one flat object of options per call. Keys may be `snake_case` (Python) or
//! camelCase (JavaScript); they are normalised to the core's `snake_case` serde names. Each core
//! options struct then takes the keys it knows (found by serialising its `Default`), and a key no
//! struct takes is an `invalid_option` error that names it.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::BindingError;

/// `camelCase` → `snake_case` (`asOf` → `as_of`); `snake_case` input is unchanged.
#[must_use]
pub fn snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for ch in key.chars() {
        if ch.is_ascii_uppercase() {
            if !out.is_empty() {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// Normalises the keys of an options object (recursively) to `snake_case`. `null` becomes `{}`.
pub fn normalize(value: Value) -> Result<Map<String, Value>, BindingError> {
    fn keys(v: Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.into_iter()
                    .map(|(k, v)| (snake_case(&k), keys(v)))
                    .collect(),
            ),
            other => other,
        }
    }
    match keys(value) {
        Value::Null => Ok(Map::new()),
        Value::Object(m) => Ok(m),
        other => Err(BindingError::option(
            "options",
            format!("expected an object, got {other}"),
        )),
    }
}

/// The field names of `T`, from its serialised default.
fn field_names<T: Serialize + Default>() -> Vec<String> {
    match serde_json::to_value(T::default()) {
        Ok(Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// Moves the keys `T` knows out of `opts` and deserialises `T` from them (missing keys take
/// their defaults). Errors name the field.
pub fn take<T: Serialize + DeserializeOwned + Default>(
    opts: &mut Map<String, Value>,
) -> Result<T, BindingError> {
    let mut mine = Map::new();
    for name in field_names::<T>() {
        if let Some(v) = opts.remove(&name) {
            // `null` means "the default" for an optional field, as when it is left out.
            if !v.is_null() {
                mine.insert(name, v);
            }
        }
    }
    serde_json::from_value(Value::Object(mine)).map_err(|e| BindingError::option("options", e))
}

/// Fails with `invalid_option` when keys are left that no options struct took.
pub fn finish(opts: &Map<String, Value>) -> Result<(), BindingError> {
    match opts.keys().next() {
        None => Ok(()),
        Some(k) => Err(BindingError::option(
            k,
            "unknown option (see the binding's documentation for the accepted names)",
        )),
    }
}

/// A reader's options from a flat object: the flat column options (`customer_col`, …; each
/// pair is the flat name and the role it fills) go into the `columns` object, a `delimiter`
/// name (`tab`, `;`, …) is parsed, then `T` takes the rest; a key nothing takes is an error.
pub fn reader_options<T: Serialize + DeserializeOwned + Default>(
    value: Value,
    column_options: &[(&str, &str)],
) -> Result<T, BindingError> {
    let mut m = normalize(value)?;
    let mut columns = match m.remove("columns") {
        Some(Value::Object(c)) => c,
        None | Some(Value::Null) => Map::new(),
        Some(other) => {
            return Err(BindingError::option(
                "columns",
                format!("expected an object, got {other}"),
            ));
        }
    };
    for (flat, role) in column_options {
        if let Some(v) = m.remove(*flat) {
            if !v.is_null() {
                columns.insert((*role).to_owned(), v);
            }
        }
    }
    if let Some(Value::String(d)) = m.get("delimiter") {
        let parsed = kokyaku::io::Delimiter::parse(d)?;
        m.insert(
            "delimiter".into(),
            serde_json::to_value(parsed).map_err(|e| BindingError::option("delimiter", e))?,
        );
    }
    m.insert("columns".into(), Value::Object(columns));
    let t: T = take(&mut m)?;
    finish(&m)?;
    Ok(t)
}

/// Deserialises an options struct from a JSON value as a whole; `null` gives the defaults.
pub fn from_value<T: Serialize + DeserializeOwned + Default>(
    value: Value,
) -> Result<T, BindingError> {
    let mut m = normalize(value)?;
    let t = take(&mut m)?;
    finish(&m)?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kokyaku::summary::SummaryOptions;

    #[test]
    fn camel_and_snake_keys() {
        assert_eq!(snake_case("asOf"), "as_of");
        assert_eq!(snake_case("as_of"), "as_of");
        assert_eq!(snake_case("f2WindowDays"), "f2_window_days");
        let o: SummaryOptions =
            from_value(serde_json::json!({"asOf": "1998-07-01", "dormantDays": 30})).unwrap();
        assert_eq!(o.dormant_days, 30);
        assert_eq!(o.as_of.unwrap().to_string(), "1998-07-01");
    }

    #[test]
    fn unknown_and_bad_options_are_invalid_option() {
        let e = from_value::<SummaryOptions>(serde_json::json!({"dormant": 3})).unwrap_err();
        assert_eq!(e.code, "invalid_option");
        assert!(e.message.contains("dormant"), "{}", e.message);
        let e = from_value::<SummaryOptions>(serde_json::json!({"dormant_days": "x"})).unwrap_err();
        assert_eq!(e.code, "invalid_option");
        assert!(from_value::<SummaryOptions>(Value::Null).is_ok());
    }
}
