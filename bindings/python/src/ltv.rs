//! Predictive LTV (mirrors `kokyaku::ltv` through `kokyaku_binding_core::ltv`): one JSON call
//! per function, run with the GIL released. The Python classes live in `python/kokyaku/_ltv.py`.

use kokyaku_binding_core::BindingError;
use kokyaku_binding_core::ltv;
use pyo3::prelude::*;

use crate::errors::call_detached;
use crate::log::OrderLog;

fn parse(json: &str) -> Result<serde_json::Value, BindingError> {
    if json.trim().is_empty() {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_str(json).map_err(|e| BindingError::option("arguments", e))
}

fn text(v: &serde_json::Value) -> Result<String, BindingError> {
    serde_json::to_string(v).map_err(|e| {
        BindingError::new("panic", format!("internal error serialising a result: {e}"))
    })
}

/// Runs one LTV function (`kokyaku_binding_core::ltv::FUNCTIONS`) on a JSON object of
/// arguments; the result as JSON.
#[pyfunction]
pub fn ltv_call(py: Python<'_>, function: &str, arguments: &str) -> PyResult<String> {
    call_detached(py, || text(&ltv::call(function, parse(arguments)?)?))
}

/// The calibration summary of an order log as JSON columns.
#[pyfunction]
pub fn ltv_calibration_summary(py: Python<'_>, log: &OrderLog, options: &str) -> PyResult<String> {
    call_detached(py, || {
        text(&ltv::calibration_summary(log.inner(), parse(options)?)?)
    })
}
