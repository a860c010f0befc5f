//! WebAssembly bindings of kokyaku: CSV / JSON Lines text or bytes and plain objects in, plain
//! objects out; conversions and error mapping only (the logic is in the core and in
//! `kokyaku-binding-core`). Errors are thrown as `Error`s whose `.code` is the core's code.
//!
//! One file per concern: `io` (reading order logs), `log` (the order log and its analyses),
//! `errors` (error mapping, panic hook).

mod book;
mod campaign;
mod errors;
mod io;
mod log;
mod loyalty;
mod ltv;
mod segment;

use wasm_bindgen::prelude::*;

/// The version of this package.
#[wasm_bindgen]
#[must_use]
pub fn version() -> String {
    kokyaku_binding_core::VERSION.to_owned()
}

/// Panics on purpose, to test that a Rust panic arrives as an exception (a
/// `WebAssembly.RuntimeError`: this build aborts on panic).
#[wasm_bindgen(js_name = "_debugPanic")]
pub fn debug_panic(message: &str) -> Result<(), JsValue> {
    errors::call(|| kokyaku_binding_core::debug_panic(message))
}

/// Every error code a call can throw (see `docs/errors.md`), for tests and docs.
#[wasm_bindgen(js_name = "_errorCodes")]
#[must_use]
pub fn error_codes() -> Vec<String> {
    kokyaku_binding_core::ERROR_TABLE
        .iter()
        .map(|(code, _)| (*code).to_owned())
        .collect()
}

/// Writes Rust panic messages to `console.error` before the module traps.
#[wasm_bindgen(start)]
pub fn start() {
    errors::install_panic_hook();
}
