//! Option structs from JSON-like data (Python keyword arguments, JS option objects).

use serde::de::DeserializeOwned;

use crate::BindingError;

/// Deserialises an options struct from a JSON value; `null` gives the defaults. Errors are
/// `invalid_option` and name the field that failed.
pub fn from_value<T: DeserializeOwned + Default>(
    what: &str,
    value: serde_json::Value,
) -> Result<T, BindingError> {
    if value.is_null() {
        return Ok(T::default());
    }
    serde_json::from_value(value).map_err(|e| BindingError::option(what, e))
}

/// Like [`from_value`], from JSON text (empty text gives the defaults).
pub fn from_json<T: DeserializeOwned + Default>(what: &str, json: &str) -> Result<T, BindingError> {
    if json.trim().is_empty() {
        return Ok(T::default());
    }
    serde_json::from_str(json).map_err(|e| BindingError::option(what, e))
}
