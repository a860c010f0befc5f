//! Python bindings of kokyaku: conversions and error mapping only (the logic is in the core and
//! in `kokyaku-binding-core`). The Python package `kokyaku` (python/kokyaku/) wraps this
//! `kokyaku._kokyaku` module with keyword-only signatures and frame conversion.
//!
//! One file per concern: `io` (reading order logs), `log` (the order log and its analyses),
//! `arrow` (the Arrow `PyCapsule` interface), `errors` (exceptions).

mod arrow;
mod book;
mod campaign;
mod decimal;
mod errors;
mod frame;
mod io;
mod json;
mod log;
mod loyalty;
mod ltv;
mod segment;

use pyo3::prelude::*;

/// Panics on purpose, to test that a Rust panic arrives as `kokyaku.PanicError`.
#[pyfunction]
#[pyo3(name = "_debug_panic")]
fn debug_panic(message: &str) -> PyResult<()> {
    errors::call(|| kokyaku_binding_core::debug_panic(message))
}

/// The error code table: `[(code, python class name), ...]`, for tests and docs.
#[pyfunction]
#[pyo3(name = "_error_table")]
fn error_table() -> Vec<(&'static str, &'static str)> {
    kokyaku_binding_core::ERROR_TABLE
        .iter()
        .map(|(code, kind)| (*code, kind.python_class()))
        .collect()
}

/// The compiled module `kokyaku._kokyaku`.
#[pymodule]
fn _kokyaku(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", kokyaku_binding_core::VERSION)?;
    m.add_function(wrap_pyfunction!(debug_panic, m)?)?;
    m.add_function(wrap_pyfunction!(error_table, m)?)?;
    m.add_function(wrap_pyfunction!(io::read_csv_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(io::read_jsonl_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(io::read_csv_path, m)?)?;
    m.add_function(wrap_pyfunction!(io::read_jsonl_path, m)?)?;
    m.add_function(wrap_pyfunction!(io::read_records_json, m)?)?;
    m.add_function(wrap_pyfunction!(io::read_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(frame::import_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(decimal::decimal_column, m)?)?;
    m.add_class::<frame::ArrowFrame>()?;
    m.add_function(wrap_pyfunction!(io::read_record_set_json, m)?)?;
    m.add_function(wrap_pyfunction!(ltv::ltv_call, m)?)?;
    m.add_function(wrap_pyfunction!(ltv::ltv_call_columns, m)?)?;
    m.add_function(wrap_pyfunction!(ltv::ltv_call_arrays, m)?)?;
    m.add_function(wrap_pyfunction!(ltv::ltv_calibration_summary_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(ltv::ltv_calibration_summary_dict, m)?)?;
    m.add_class::<log::OrderLog>()?;
    segment::register(m)?;
    loyalty::register(m)?;
    m.add_class::<arrow::ArrowTable>()?;
    m.add_class::<campaign::Deliveries>()?;
    m.add_function(wrap_pyfunction!(campaign::read_deliveries_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(campaign::read_deliveries_path, m)?)?;
    m.add_function(wrap_pyfunction!(campaign::read_delivery_records_json, m)?)?;
    m.add_function(wrap_pyfunction!(campaign::campaign_results_json, m)?)?;
    m.add_function(wrap_pyfunction!(campaign::campaign_results_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(campaign::compare_periods_json, m)?)?;
    m.add_function(wrap_pyfunction!(campaign::acquisition_json, m)?)?;
    m.add_function(wrap_pyfunction!(campaign::acquisition_arrow, m)?)?;
    m.add_class::<book::Book>()?;
    Ok(())
}
