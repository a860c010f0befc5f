//! `BindingError` to a JavaScript `Error` whose `.code` is the core's error code.

use kokyaku_binding_core::{BindingError, catch};

/// A result whose error becomes a JS `Error` with `.code` = the string status.
pub type Result<T> = napi::Result<T, String>;

/// Converts a binding error to a napi error carrying the code.
#[must_use]
pub fn to_js(e: BindingError) -> napi::Error<String> {
    napi::Error::new(e.code, e.message)
}

/// Runs a Rust call with panics caught, mapping every failure to a JS `Error` with `.code`.
pub fn call<T>(f: impl FnOnce() -> std::result::Result<T, BindingError>) -> Result<T> {
    catch(f).map_err(to_js)
}
