//! Campaign results, sale-period comparison and acquisition economics (mirrors
//! `kokyaku::campaign` and `kokyaku::acquisition` through `kokyaku_binding_core::campaign`).
//! Options are one JSON object per call; work runs with the GIL released.

use kokyaku_binding_core::BindingError;
use kokyaku_binding_core::api::TextFormat;
use kokyaku_binding_core::campaign as core;
use kokyaku_binding_core::campaign::Deliveries as DeliveriesRead;
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

fn format(name: &str) -> Result<TextFormat, BindingError> {
    match name {
        "csv" => Ok(TextFormat::Csv),
        "jsonl" => Ok(TextFormat::Jsonl),
        other => Err(BindingError::option(
            "format",
            format!("'{other}': use csv or jsonl"),
        )),
    }
}

/// Deliveries (customer, campaign, channel, sent-at, holdout, segment), with the accounting.
#[pyclass(frozen, module = "kokyaku._kokyaku")]
pub struct Deliveries {
    inner: DeliveriesRead,
}

#[pymethods]
impl Deliveries {
    /// Number of deliveries (distinct campaign, channel, customer).
    #[getter]
    fn n_deliveries(&self) -> usize {
        self.inner.deliveries.len()
    }

    /// How the deliveries were read, as JSON.
    fn ingestion_json(&self) -> PyResult<String> {
        call(|| json(&self.inner.report))
    }

    fn __repr__(&self) -> String {
        format!("Deliveries(deliveries={})", self.inner.deliveries.len())
    }
}

/// Reads deliveries from bytes (`fmt`: csv or jsonl).
#[pyfunction]
pub fn read_deliveries_bytes(
    py: Python<'_>,
    data: Vec<u8>,
    fmt: &str,
    options: &str,
) -> PyResult<Deliveries> {
    call_detached(py, || {
        core::read_deliveries(format(fmt)?, &data, parse(options)?)
    })
    .map(|inner| Deliveries { inner })
}

/// Reads deliveries from a file (JSON Lines by extension, else CSV).
#[pyfunction]
pub fn read_deliveries_path(py: Python<'_>, path: String, options: &str) -> PyResult<Deliveries> {
    call_detached(py, || core::read_deliveries_file(&path, parse(options)?))
        .map(|inner| Deliveries { inner })
}

/// Reads deliveries from a JSON array of objects.
#[pyfunction]
pub fn read_delivery_records_json(
    py: Python<'_>,
    records: &str,
    options: &str,
) -> PyResult<Deliveries> {
    call_detached(py, || {
        let recs: Vec<serde_json::Value> = serde_json::from_str(records).map_err(|e| {
            BindingError::new(
                "malformed_input",
                format!("malformed input: delivery records: {e}"),
            )
        })?;
        core::read_delivery_records(&recs, parse(options)?)
    })
    .map(|inner| Deliveries { inner })
}

/// Campaign results as JSON.
#[pyfunction]
pub fn campaign_results_json(
    py: Python<'_>,
    log: &OrderLog,
    deliveries: &Deliveries,
    options: &str,
) -> PyResult<String> {
    call_detached(py, || {
        json(&core::campaign_results(
            &log.inner.log,
            &deliveries.inner,
            parse(options)?,
        )?)
    })
}

/// Campaign results as one flat Arrow table.
#[pyfunction]
pub fn campaign_results_arrow(
    py: Python<'_>,
    log: &OrderLog,
    deliveries: &Deliveries,
    options: &str,
) -> PyResult<ArrowTable> {
    call_detached(py, || {
        let r = core::campaign_results(&log.inner.log, &deliveries.inner, parse(options)?)?;
        table_batch(&core::campaign_table(&r))
    })
    .map(ArrowTable::new)
}

/// A sale period against a reference period, as JSON.
#[pyfunction]
#[pyo3(signature = (log, deliveries, options))]
pub fn compare_periods_json(
    py: Python<'_>,
    log: &OrderLog,
    deliveries: Option<&Deliveries>,
    options: &str,
) -> PyResult<String> {
    call_detached(py, || {
        json(&core::compare_periods(
            &log.inner.log,
            deliveries.map(|d| &d.inner),
            parse(options)?,
        )?)
    })
}

/// Acquisition economics as JSON.
#[pyfunction]
pub fn acquisition_json(py: Python<'_>, log: &OrderLog, options: &str) -> PyResult<String> {
    call_detached(py, || {
        json(&core::acquisition(&log.inner.log, parse(options)?)?)
    })
}

/// The acquisition LTV curves as one long Arrow table.
#[pyfunction]
pub fn acquisition_arrow(py: Python<'_>, log: &OrderLog, options: &str) -> PyResult<ArrowTable> {
    call_detached(py, || {
        let r = core::acquisition(&log.inner.log, parse(options)?)?;
        table_batch(&core::acquisition_table(&r))
    })
    .map(ArrowTable::new)
}
