//! Reading order logs: CSV / JSON Lines bytes, records, Arrow frames (mirrors `kokyaku::io`).

use kokyaku_binding_core::BindingError;
use kokyaku_binding_core::api::{self, TextFormat};
use pyo3::prelude::*;

use crate::arrow;
use crate::errors::call_detached;
use crate::log::OrderLog;

fn parse_options(json: &str) -> Result<serde_json::Value, BindingError> {
    if json.trim().is_empty() {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_str(json).map_err(|e| BindingError::option("options", e))
}

/// Reads delimited text (UTF-8 bytes). `options` is a JSON object of read options.
#[pyfunction]
pub fn read_csv_bytes(py: Python<'_>, data: Vec<u8>, options: &str) -> PyResult<OrderLog> {
    call_detached(py, || {
        api::read_bytes(TextFormat::Csv, &data, parse_options(options)?)
    })
    .map(OrderLog::from)
}

/// Reads delimited text from a file, streamed.
#[pyfunction]
pub fn read_csv_path(py: Python<'_>, path: String, options: &str) -> PyResult<OrderLog> {
    call_detached(py, || {
        api::read_file(TextFormat::Csv, &path, parse_options(options)?)
    })
    .map(OrderLog::from)
}

/// Reads JSON Lines from a file, streamed.
#[pyfunction]
pub fn read_jsonl_path(py: Python<'_>, path: String, options: &str) -> PyResult<OrderLog> {
    call_detached(py, || {
        api::read_file(TextFormat::Jsonl, &path, parse_options(options)?)
    })
    .map(OrderLog::from)
}

/// Reads JSON Lines (UTF-8 bytes).
#[pyfunction]
pub fn read_jsonl_bytes(py: Python<'_>, data: Vec<u8>, options: &str) -> PyResult<OrderLog> {
    call_detached(py, || {
        api::read_bytes(TextFormat::Jsonl, &data, parse_options(options)?)
    })
    .map(OrderLog::from)
}

/// Reads records given as a JSON array of objects.
#[pyfunction]
pub fn read_records_json(py: Python<'_>, records: &str, options: &str) -> PyResult<OrderLog> {
    call_detached(py, || {
        let recs: Vec<serde_json::Value> = serde_json::from_str(records).map_err(|e| {
            BindingError::new("malformed_input", format!("malformed input: records: {e}"))
        })?;
        api::read_records(&recs, parse_options(options)?)
    })
    .map(OrderLog::from)
}

/// Reads a frame through the Arrow `PyCapsule` interface (pandas, Polars, pyarrow, …).
///
/// The batches go to the core's Arrow reader (the one behind Parquet input), so column
/// detection, types and policies are the same as for a Parquet file.
#[pyfunction]
pub fn read_arrow(py: Python<'_>, frame: &Bound<'_, PyAny>, options: &str) -> PyResult<OrderLog> {
    let imported = arrow::import_stream(frame)?;
    call_detached(py, move || {
        let (schema, batches) = imported?;
        kokyaku_binding_core::arrow::read_batches(&schema, &batches, parse_options(options)?)
    })
    .map(OrderLog::from)
}

/// Builds a log from record types given as JSON: `{timezone, customers, orders, refunds,
/// subscriptions}` (the shapes of `kokyaku::model`).
#[pyfunction]
pub fn read_record_set_json(py: Python<'_>, records: &str) -> PyResult<OrderLog> {
    call_detached(py, || {
        let v: serde_json::Value = serde_json::from_str(records).map_err(|e| {
            BindingError::new(
                "malformed_input",
                format!("malformed input: order records: {e}"),
            )
        })?;
        api::read_record_set(v)
    })
    .map(OrderLog::from)
}
