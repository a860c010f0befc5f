//! Loyalty programmes (mirrors `kokyaku::loyalty`): every call takes the order log and one
//! options object `{program, as_of, redemptions, invitations, customer}` as JSON (built by
//! `kokyaku/_loyalty.py`) and runs with the GIL released.

use kokyaku_binding_core::{BindingError, loyalty};
use pyo3::prelude::*;

use crate::arrow::{ArrowTable, table_batch};
use crate::errors::{call, call_detached};
use crate::log::OrderLog;

fn parse(json: &str) -> Result<serde_json::Value, BindingError> {
    if json.trim().is_empty() {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_str(json).map_err(|e| BindingError::option("options", e))
}

fn json<T: serde::Serialize>(t: &T) -> Result<String, BindingError> {
    serde_json::to_string(t).map_err(|e| {
        BindingError::new("panic", format!("internal error serialising a result: {e}"))
    })
}

/// `{as_of, stages, customers: {id: row}, history, distribution}` as JSON.
#[pyfunction]
pub fn stages_report_json(
    py: Python<'_>,
    log: &Bound<'_, OrderLog>,
    options: &str,
) -> PyResult<String> {
    let l = log.get().order_log();
    call_detached(py, || json(&loyalty::stages_report(l, parse(options)?)?))
}

/// The per-customer stage table as an Arrow table.
#[pyfunction]
pub fn stages_arrow(
    py: Python<'_>,
    log: &Bound<'_, OrderLog>,
    options: &str,
) -> PyResult<ArrowTable> {
    let l = log.get().order_log();
    call_detached(py, || {
        table_batch(&loyalty::stages_table(l, parse(options)?)?)
    })
    .map(ArrowTable::new)
}

/// The per-customer stage table as JSON columns (`{"columns", "types", "data"}`).
#[pyfunction]
pub fn stages_columns_json(
    py: Python<'_>,
    log: &Bound<'_, OrderLog>,
    options: &str,
) -> PyResult<String> {
    let l = log.get().order_log();
    call_detached(py, || {
        json(&kokyaku_binding_core::api::table_columns(
            &loyalty::stages_table(l, parse(options)?)?,
        ))
    })
}

/// Stage changes as JSON records.
#[pyfunction]
pub fn stage_history_json(
    py: Python<'_>,
    log: &Bound<'_, OrderLog>,
    options: &str,
) -> PyResult<String> {
    let l = log.get().order_log();
    call_detached(py, || json(&loyalty::stage_history(l, parse(options)?)?))
}

/// The month-end distribution as JSON.
#[pyfunction]
pub fn stage_distribution_json(
    py: Python<'_>,
    log: &Bound<'_, OrderLog>,
    options: &str,
) -> PyResult<String> {
    let l = log.get().order_log();
    call_detached(py, || {
        json(&loyalty::stage_distribution(l, parse(options)?)?)
    })
}

/// One customer's card as JSON.
#[pyfunction]
pub fn stage_card_json(
    py: Python<'_>,
    log: &Bound<'_, OrderLog>,
    options: &str,
) -> PyResult<String> {
    let l = log.get().order_log();
    call_detached(py, || json(&loyalty::card(l, parse(options)?)?))
}

/// A programme read and validated, as its normalised JSON.
#[pyfunction]
pub fn loyalty_program_json(program: &str) -> PyResult<String> {
    call(|| json(&loyalty::program(parse(program)?)?))
}
