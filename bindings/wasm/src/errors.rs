//! `BindingError` to a JavaScript `Error` whose `.code` is the core's error code.

use kokyaku_binding_core::{BindingError, catch};
use wasm_bindgen::prelude::*;

/// Converts a binding error to a JS `Error` with `.code` set.
#[must_use]
pub fn to_js(e: &BindingError) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&err, &"code".into(), &JsValue::from_str(&e.code));
    // A segment rule error also says where: `.position` (byte offset), `.caret`, `.hint`.
    if let Some(r) = &e.rule {
        let _ = js_sys::Reflect::set(&err, &"position".into(), &JsValue::from(r.position as u32));
        let _ = js_sys::Reflect::set(&err, &"caret".into(), &JsValue::from_str(&r.caret));
        let hint = r.hint.as_deref().map_or(JsValue::NULL, JsValue::from_str);
        let _ = js_sys::Reflect::set(&err, &"hint".into(), &hint);
    }
    err.into()
}

/// Runs a Rust call mapping every failure to a JS `Error` with `.code`. (This build aborts on
/// panic, so `catch` only matters for host builds; in the browser a panic traps.)
pub fn call<T>(f: impl FnOnce() -> Result<T, BindingError>) -> Result<T, JsValue> {
    catch(f).map_err(|e| to_js(&e))
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str);
}

/// A panic hook that writes the panic message to `console.error` (wasm32 only).
pub fn install_panic_hook() {
    if cfg!(target_arch = "wasm32") {
        std::panic::set_hook(Box::new(|info| {
            console_error(&format!(
                "kokyaku panicked (a bug, please report it): {info}"
            ));
        }));
    }
}

/// A JS value (options, records) as serde data; `undefined` / `null` are `null`.
pub fn from_js(v: &JsValue) -> Result<serde_json::Value, BindingError> {
    if v.is_undefined() || v.is_null() {
        return Ok(serde_json::Value::Null);
    }
    serde_wasm_bindgen::from_value(v.clone()).map_err(|e| BindingError::option("options", e))
}

/// A result as plain JS objects (not `Map`s), numbers as numbers.
pub fn to_js_value<T: serde::Serialize>(t: &T) -> Result<JsValue, BindingError> {
    t.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| BindingError::new("panic", format!("internal error converting a result: {e}")))
}
