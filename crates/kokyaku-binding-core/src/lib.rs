//! What the Python, Node and WASM wrappers of kokyaku would otherwise each write, without any FFI:
//!
//! - [`ErrorKind`]: the one table that maps every core error code to the family of native error a
//!   wrapper raises (Python class names included), and [`BindingError`], which every wrapper
//!   converts to its native error with `.code` set;
//! - [`catch`]: runs a call and turns a Rust panic into a [`BindingError`] with code `panic`;
//! - [`options`]: option structs from JSON-like data, with errors that name the bad field;
//! - [`api`]: the calls the wrappers expose, over serde data, so all three return the same JSON;
//! - [`book`]: the customer book (ingest, advance, changes, snapshot / restore) for the wrappers;
//! - [`ltv`]: buy-till-you-die fits, saved fits and predictions over serde data;
//! - `arrow` (feature `arrow`): order logs from Arrow record batches or Arrow IPC bytes.
//!
//! Plain `cargo test` covers all of it.

pub mod api;
#[cfg(feature = "arrow")]
pub mod arrow;
pub mod book;
pub mod campaign;
mod error;
pub mod loyalty;
pub mod ltv;
pub mod options;
pub mod segment;

pub use error::{BindingError, ERROR_TABLE, ErrorKind, RuleErrorInfo, catch, debug_panic};

/// The version of the kokyaku packages (the workspace version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
