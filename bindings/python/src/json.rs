//! JSON in and out of the compiled module: option objects arrive as JSON text (built by the
//! Python layer from keyword arguments), small results leave as JSON text.

use kokyaku_binding_core::BindingError;

/// Parses a JSON options object; empty text is `null` (every option at its default).
pub fn parse(json: &str, what: &str) -> Result<serde_json::Value, BindingError> {
    if json.trim().is_empty() {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_str(json).map_err(|e| BindingError::option(what, e))
}

/// Serialises a result.
pub fn text<T: serde::Serialize + ?Sized>(t: &T) -> Result<String, BindingError> {
    serde_json::to_string(t).map_err(|e| {
        BindingError::new("panic", format!("internal error serialising a result: {e}"))
    })
}
