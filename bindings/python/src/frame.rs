//! A frame imported through the Arrow `PyCapsule` interface and read when first needed
//! (mirrors `kokyaku::io::summarize_record_batches` and `kokyaku::io::read_record_batches`).
//!
//! `kokyaku.from_frame` keeps the frame's record batches (the Arrow buffers, not a copy) and the
//! read options. The per-customer tables (`summary`, `rfm`, `cpm`, `customers`) of a log not yet
//! read are streamed from the batches, the route of `kokyaku summary FILE`; every other call
//! reads the grouped log once ([`ArrowFrame::read`]).

use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::Schema;
use pyo3::prelude::*;

use crate::arrow::{self, ArrowTable};
use crate::errors::call_detached;
use crate::log::{OrderLog, parse, parts, text_layout};

/// The record batches of a frame and its read options.
#[pyclass(frozen, module = "kokyaku._kokyaku")]
pub struct ArrowFrame {
    schema: Arc<Schema>,
    batches: Vec<RecordBatch>,
    options: serde_json::Value,
}

/// Imports a frame (`__arrow_c_stream__`) and checks the read options and the columns, as
/// reading it would (the same errors as `read_arrow`, before any row is read).
#[pyfunction]
pub fn import_arrow(
    py: Python<'_>,
    frame: &Bound<'_, PyAny>,
    options: &str,
) -> PyResult<ArrowFrame> {
    let imported = arrow::import_stream(frame)?;
    call_detached(py, move || {
        let (schema, batches) = imported?;
        let options = parse(options)?;
        // No batches: the options and the column mapping are checked, no row is read.
        kokyaku_binding_core::arrow::read_batches(&schema, &[], options.clone())?;
        Ok(ArrowFrame {
            schema,
            batches,
            options,
        })
    })
}

#[pymethods]
impl ArrowFrame {
    /// Reads the grouped order log (`read_arrow`).
    fn read(&self, py: Python<'_>) -> PyResult<OrderLog> {
        call_detached(py, || {
            kokyaku_binding_core::arrow::read_batches(
                &self.schema,
                &self.batches,
                self.options.clone(),
            )
        })
        .map(OrderLog::from)
    }

    /// The per-customer table (`parts`: summary, rfm, cpm or all) as an Arrow table, streamed
    /// from the batches: the same table as `OrderLog.customers_arrow` of the read log, its
    /// text laid out as `text` names (`utf8`, `views`, `large`).
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
            kokyaku_binding_core::arrow::customers_batch(
                &self.schema,
                &self.batches,
                self.options.clone(),
                parse(options)?,
                parts(parts_name)?,
                layout,
            )
        })
        .map(ArrowTable::new)
    }

    /// Writes the per-customer table to `path`, streamed from the batches (Parquet for
    /// `.parquet` / `.pq`, else CSV: the bytes `kokyaku summary -o PATH` writes); returns the
    /// number of customers.
    fn write_customers(
        &self,
        py: Python<'_>,
        path: std::path::PathBuf,
        options: &str,
        parts_name: &str,
    ) -> PyResult<usize> {
        call_detached(py, || {
            kokyaku_binding_core::arrow::customers_of_batches(
                &self.schema,
                &self.batches,
                self.options.clone(),
                parse(options)?,
                parts(parts_name)?,
            )?
            .write_path(&path)
        })
    }

    /// Number of rows of the frame.
    #[getter]
    fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    fn __repr__(&self) -> String {
        format!("ArrowFrame(rows={})", self.num_rows())
    }
}
