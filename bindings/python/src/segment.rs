//! Segment rules (mirrors `kokyaku::segment`): evaluation, explain, parse / print, presets and
//! the customers table. JSON in and out; the Python wrapper (`kokyaku/_segment.py`) converts.

use kokyaku_binding_core::BindingError;
use kokyaku_binding_core::segment as core;
use pyo3::prelude::*;

use crate::errors::{call, call_detached};
use crate::log::OrderLog;

fn parse(json: &str) -> Result<serde_json::Value, BindingError> {
    if json.trim().is_empty() {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_str(json).map_err(|e| BindingError::option("options", e))
}

fn json(v: &serde_json::Value) -> String {
    v.to_string()
}

/// Members of named rules (`rules`: JSON of `{name: rule}`, a list, or one rule) as JSON.
#[pyfunction]
fn segment_json(py: Python<'_>, log: &OrderLog, rules: &str, options: &str) -> PyResult<String> {
    call_detached(py, || {
        Ok(json(&core::evaluate(
            &log.inner,
            parse(rules)?,
            parse(options)?,
        )?))
    })
}

/// The explanation of one rule for one customer, as JSON.
#[pyfunction]
fn segment_explain_json(
    py: Python<'_>,
    log: &OrderLog,
    rule: &str,
    customer_id: &str,
    options: &str,
) -> PyResult<String> {
    call_detached(py, || {
        Ok(json(&core::explain(
            &log.inner,
            parse(rule)?,
            customer_id,
            parse(options)?,
        )?))
    })
}

/// A rule's text parsed and checked, as its JSON form.
#[pyfunction]
fn segment_parse_json(text: &str) -> PyResult<String> {
    call(|| Ok(json(&core::parse(text)?)))
}

/// A rule (JSON) as its canonical text.
#[pyfunction]
fn segment_to_text(rule: &str) -> PyResult<String> {
    call(|| core::to_text(parse(rule)?))
}

/// The presets as JSON.
#[pyfunction]
fn segment_presets_json() -> PyResult<String> {
    call(|| Ok(json(&core::presets()?)))
}

/// The fields rules can read, as JSON.
#[pyfunction]
fn segment_fields_json() -> PyResult<String> {
    call(|| Ok(json(&core::fields()?)))
}

/// The log with customers (JSON records) merged in, and the customers report as JSON.
#[pyfunction]
#[pyo3(signature = (log, records, timezone=None))]
fn with_customers_json(
    py: Python<'_>,
    log: &OrderLog,
    records: &str,
    timezone: Option<&str>,
) -> PyResult<(OrderLog, String)> {
    call_detached(py, || {
        let v = parse(records)?;
        let list = v.as_array().cloned().unwrap_or_default();
        let (l, r) = core::with_customers(&log.inner, &list, timezone)?;
        Ok((OrderLog::from(l), json(&r)))
    })
}

/// The log with a customers CSV merged in, and the customers report as JSON.
#[pyfunction]
#[pyo3(signature = (log, text, delimiter=None))]
fn with_customers_csv(
    py: Python<'_>,
    log: &OrderLog,
    text: &str,
    delimiter: Option<&str>,
) -> PyResult<(OrderLog, String)> {
    call_detached(py, || {
        let (l, r) = core::with_customers_csv(&log.inner, text, delimiter)?;
        Ok((OrderLog::from(l), json(&r)))
    })
}

/// Adds the segment functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(segment_json, m)?)?;
    m.add_function(wrap_pyfunction!(segment_explain_json, m)?)?;
    m.add_function(wrap_pyfunction!(segment_parse_json, m)?)?;
    m.add_function(wrap_pyfunction!(segment_to_text, m)?)?;
    m.add_function(wrap_pyfunction!(segment_presets_json, m)?)?;
    m.add_function(wrap_pyfunction!(segment_fields_json, m)?)?;
    m.add_function(wrap_pyfunction!(with_customers_json, m)?)?;
    m.add_function(wrap_pyfunction!(with_customers_csv, m)?)?;
    Ok(())
}
