//! The Arrow `PyCapsule` interface: frames in (`__arrow_c_stream__` of pandas, Polars, pyarrow …)
//! and tables out (an object with `__arrow_c_stream__` that pyarrow and Polars consume).

use std::ffi::CStr;
use std::sync::Arc;

use arrow_array::ffi_stream::{FFI_ArrowArrayStream, RecordBatchStreamReader};
use arrow_array::{RecordBatch, RecordBatchIterator};
use arrow_schema::{ArrowError, Schema, SchemaRef};
use kokyaku::table::Table;
use kokyaku_binding_core::BindingError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

const STREAM: &CStr = c"arrow_array_stream";

fn malformed(e: impl std::fmt::Display) -> BindingError {
    BindingError::new(
        "malformed_input",
        format!("malformed input: Arrow stream: {e}"),
    )
}

/// A schema and its record batches.
type Batches = (Arc<Schema>, Vec<RecordBatch>);

/// Reads every record batch of an object that implements `__arrow_c_stream__`.
pub fn import_stream(obj: &Bound<'_, PyAny>) -> PyResult<Result<Batches, BindingError>> {
    if !obj.hasattr("__arrow_c_stream__")? {
        return Ok(Err(BindingError::new(
            "unsupported",
            format!(
                "unsupported: {} does not implement the Arrow PyCapsule interface (__arrow_c_stream__); pass a pandas (>= 2.2), Polars or pyarrow frame",
                obj.get_type().name()?
            ),
        )));
    }
    let capsule = obj.call_method0("__arrow_c_stream__")?;
    let capsule = capsule.cast::<PyCapsule>()?;
    let ptr = capsule.pointer_checked(Some(STREAM))?;
    // SAFETY: the capsule is named "arrow_array_stream", so by the Arrow PyCapsule protocol it
    // points to a valid FFI_ArrowArrayStream; `from_raw` moves the stream out and marks the
    // capsule's copy released, so the capsule's destructor will not release it again.
    let stream = unsafe { FFI_ArrowArrayStream::from_raw(ptr.as_ptr().cast()) };
    let reader = match RecordBatchStreamReader::try_new(stream) {
        Ok(r) => r,
        Err(e) => return Ok(Err(malformed(e))),
    };
    let schema = arrow_array::RecordBatchReader::schema(&reader);
    Ok(reader
        .collect::<Result<Vec<_>, ArrowError>>()
        .map(|b| (schema, b))
        .map_err(malformed))
}

/// A kokyaku table as one Arrow record batch (money stays exact, as decimal strings).
pub fn table_batch(t: &Table) -> Result<RecordBatch, BindingError> {
    kokyaku::io::table_to_record_batch(t).map_err(|e| {
        BindingError::new(
            "panic",
            format!("internal error building an Arrow table: {e}"),
        )
    })
}

/// A table that crosses to Python through the Arrow `PyCapsule` interface: `pyarrow.table(t)`,
/// `polars.DataFrame(t)`. Each `__arrow_c_stream__` call exports the same batches again (the
/// buffers are shared, not copied).
#[pyclass(frozen, module = "kokyaku._kokyaku")]
pub struct ArrowTable {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

impl ArrowTable {
    /// Wraps a batch.
    pub fn new(batch: RecordBatch) -> Self {
        Self {
            schema: batch.schema(),
            batches: vec![batch],
        }
    }

    /// Wraps batches of one schema.
    pub fn from_batches(schema: SchemaRef, batches: Vec<RecordBatch>) -> Self {
        Self { schema, batches }
    }
}

#[pymethods]
impl ArrowTable {
    /// The Arrow C stream of this table, in a capsule named `arrow_array_stream`.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema; // we export our own schema; consumers cast if they asked otherwise
        let reader = RecordBatchIterator::new(
            self.batches.clone().into_iter().map(Ok::<_, ArrowError>),
            self.schema.clone(),
        );
        PyCapsule::new_with_value(py, FFI_ArrowArrayStream::new(Box::new(reader)), STREAM)
    }

    /// Number of rows.
    #[getter]
    fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// Column names.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }
}
