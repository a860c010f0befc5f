//! Node bindings of kokyaku: conversions and error mapping only (the logic is in the core and in
//! `kokyaku-binding-core`). Arrays of plain objects in, plain objects out; errors are thrown as
//! `Error`s whose `.code` is the core's code (see `docs/errors.md`).
//!
//! One file per concern: `io` (reading order logs), `log` (the order log and its analyses),
//! `errors` (error mapping).

pub mod book;
pub mod campaign;
mod errors;
pub mod io;
pub mod log;
pub mod loyalty;
pub mod ltv;
pub mod segment;

use napi_derive::napi;

/// The version of this package.
#[napi]
#[must_use]
pub fn version() -> &'static str {
    kokyaku_binding_core::VERSION
}

/// Panics on purpose, to test that a Rust panic arrives as an `Error` with `.code = "panic"`.
#[napi(js_name = "_debugPanic")]
pub fn debug_panic(message: String) -> errors::Result<()> {
    errors::call(|| kokyaku_binding_core::debug_panic(&message))
}

/// Every error code a call can throw (see `docs/errors.md`), for tests and docs.
#[napi(js_name = "_errorCodes")]
#[must_use]
pub fn error_codes() -> Vec<String> {
    kokyaku_binding_core::ERROR_TABLE
        .iter()
        .map(|(code, _)| (*code).to_owned())
        .collect()
}
