//! The order log and its analyses (mirrors `kokyaku::summary`, `rfm`, `cpm`, `repeat`).
//!
//! Every analysis takes its options as one JSON object (built by the Python wrapper from
//! keyword arguments) and runs with the GIL released.

use kokyaku_binding_core::BindingError;
use kokyaku_binding_core::api::{self, Log, Parts};
use pyo3::prelude::*;

use crate::arrow::ArrowTable;
use crate::errors::{call, call_detached};

pub(crate) fn parse(json: &str) -> Result<serde_json::Value, BindingError> {
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

/// The text layout named `name`: `utf8`, `views` (Polars' `Utf8View`) or `large` (`LargeUtf8`,
/// pandas' Arrow-backed strings).
pub(crate) fn text_layout(name: &str) -> Result<kokyaku::io::TextLayout, BindingError> {
    Ok(match name {
        "utf8" => kokyaku::io::TextLayout::Utf8,
        "views" => kokyaku::io::TextLayout::Views,
        "large" => kokyaku::io::TextLayout::LargeUtf8,
        other => {
            return Err(BindingError::option(
                "text",
                format!("'{other}': use utf8, views or large"),
            ));
        }
    })
}

pub(crate) fn parts(name: &str) -> Result<Parts, BindingError> {
    Ok(match name {
        "summary" => Parts::Summary,
        "rfm" => Parts::Rfm,
        "cpm" => Parts::Cpm,
        "all" => Parts::All,
        other => {
            return Err(BindingError::option(
                "parts",
                format!("'{other}': use summary, rfm, cpm or all"),
            ));
        }
    })
}

/// A columnar order log, with the accounting of how it was read.
#[pyclass(frozen, module = "kokyaku._kokyaku")]
pub struct OrderLog {
    pub(crate) inner: Log,
}

impl OrderLog {
    /// The core log (for the other modules' calls).
    pub(crate) fn order_log(&self) -> &kokyaku::model::OrderLog {
        &self.inner.log
    }
}

impl OrderLog {
    /// The log and its ingestion report.
    pub(crate) fn inner(&self) -> &Log {
        &self.inner
    }
}

impl From<Log> for OrderLog {
    fn from(inner: Log) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl OrderLog {
    /// Number of customers.
    #[getter]
    fn n_customers(&self) -> usize {
        self.inner.log.n_customers()
    }

    /// Number of orders (completed and cancelled).
    #[getter]
    fn n_orders(&self) -> usize {
        self.inner.log.n_orders()
    }

    /// The ingestion report as JSON.
    fn ingestion_json(&self) -> PyResult<String> {
        call(|| json(&self.inner.report))
    }

    /// The one-shot report (`kokyaku report --format json`) as JSON.
    fn report_json(&self, py: Python<'_>, options: &str) -> PyResult<String> {
        call_detached(py, || json(&api::report(&self.inner, parse(options)?)?))
    }

    /// The per-customer table (`parts`: summary, rfm, cpm or all) as an Arrow table, written
    /// from the typed columns, its text laid out as `text` names ([`text_layout`]).
    #[pyo3(signature = (options, parts_name, text="utf8"))]
    fn customers_arrow(
        &self,
        py: Python<'_>,
        options: &str,
        parts_name: &str,
        text: &str,
    ) -> PyResult<ArrowTable> {
        call_detached(py, || {
            let layout = text_layout(text)?;
            api::CustomerTable::of_log(&self.inner.log, parse(options)?, parts(parts_name)?)?
                .record_batch_with(layout)
        })
        .map(ArrowTable::new)
    }

    /// Writes the per-customer table to `path` (Parquet for `.parquet` / `.pq`, else CSV: the
    /// bytes `kokyaku summary -o PATH` writes); returns the number of customers.
    fn write_customers(
        &self,
        py: Python<'_>,
        path: std::path::PathBuf,
        options: &str,
        parts_name: &str,
    ) -> PyResult<usize> {
        call_detached(py, || {
            api::CustomerTable::of_log(&self.inner.log, parse(options)?, parts(parts_name)?)?
                .write_path(&path)
        })
    }

    /// The per-customer table as JSON columns (`{"columns", "types", "data"}`).
    fn customers_json(&self, py: Python<'_>, options: &str, parts_name: &str) -> PyResult<String> {
        call_detached(py, || {
            let t = api::customers(&self.inner.log, parse(options)?, parts(parts_name)?)?;
            json(&api::table_columns(&t))
        })
    }

    /// The RFM segment table as JSON records.
    fn rfm_segments_json(&self, py: Python<'_>, options: &str) -> PyResult<String> {
        call_detached(py, || {
            json(&api::rfm_segments(&self.inner.log, parse(options)?)?)
        })
    }

    /// The CPM class table as JSON records.
    fn cpm_classes_json(&self, py: Python<'_>, options: &str) -> PyResult<String> {
        call_detached(py, || {
            json(&api::cpm_classes(&self.inner.log, parse(options)?)?)
        })
    }

    /// Repeat metrics as JSON.
    fn repeat_json(&self, py: Python<'_>, options: &str) -> PyResult<String> {
        call_detached(py, || json(&api::repeat(&self.inner.log, parse(options)?)?))
    }

    /// Runs one analysis by name (`kokyaku_binding_core::api::ANALYSES`), result as JSON.
    fn analyze_json(&self, py: Python<'_>, function: &str, options: &str) -> PyResult<String> {
        call_detached(py, || {
            json(&api::analyze(&self.inner.log, function, parse(options)?)?)
        })
    }

    /// Everything at once (the parity test's object) as JSON.
    fn overview_json(&self, py: Python<'_>, options: &str) -> PyResult<String> {
        call_detached(py, || json(&api::overview(&self.inner, parse(options)?)?))
    }

    fn __repr__(&self) -> String {
        format!(
            "OrderLog(customers={}, orders={})",
            self.inner.log.n_customers(),
            self.inner.log.n_orders()
        )
    }
}
