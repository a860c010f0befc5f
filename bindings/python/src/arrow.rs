//! The Arrow `PyCapsule` interface: frames in (`__arrow_c_stream__` of pandas, Polars, pyarrow …)
//! and tables out (an object with `__arrow_c_stream__` that pyarrow and Polars consume).

use std::ffi::CStr;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::ffi_stream::{FFI_ArrowArrayStream, RecordBatchStreamReader};
use arrow_array::{
    Array, ArrayRef, RecordBatch, RecordBatchIterator, StringArray, StringViewArray,
};
use arrow_buffer::Buffer;
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
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

/// `f` of each item, the items split in two halves by count, the first on a helper thread
/// (`kokyaku::par::join`: both here when no thread starts).
fn in_two<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let (a, b) = items.split_at(items.len().div_ceil(2));
    let (mut out, rest) = kokyaku::par::join(&|| a.iter().map(&f).collect::<Vec<_>>(), || {
        b.iter().map(&f).collect::<Vec<_>>()
    });
    out.extend(rest);
    out
}

/// `text` as string views: a value of up to 12 bytes inside its view, a longer one as its
/// length, first 4 bytes and place in `text`'s own value buffer (shared, not copied).
fn views_of(text: &StringArray) -> ArrayRef {
    let bytes = text.values().as_slice();
    if u32::try_from(bytes.len()).is_err() {
        return Arc::new(StringViewArray::from(text)); // offsets beyond a view's u32
    }
    let mut long = false;
    let views: Vec<u128> = text
        .value_offsets()
        .windows(2)
        .map(|w| {
            let (start, end) = (w[0] as usize, w[1] as usize);
            let len = end - start;
            // The 16 bytes from the value's start as one number (one load; the last values of
            // the buffer through a zero-padded copy).
            let word = if let Some(b) = bytes.get(start..start + 16) {
                u128::from_le_bytes(b.try_into().unwrap_or([0; 16]))
            } else {
                let mut b = [0_u8; 16];
                let tail = &bytes[start..];
                b[..tail.len()].copy_from_slice(tail);
                u128::from_le_bytes(b)
            };
            if len <= 12 {
                // length, then the value's bytes, zeros after them
                let kept = (word << 32) & (u128::MAX >> (96 - 8 * len));
                kept | len as u128
            } else {
                long = true;
                // length, first 4 bytes, buffer 0, offset
                let prefix = word & 0xffff_ffff;
                len as u128 | (prefix << 32) | ((start as u128) << 96)
            }
        })
        .collect();
    let buffers: Vec<Buffer> = if long {
        vec![text.values().clone()]
    } else {
        Vec::new()
    };
    // SAFETY: what `StringViewArray::try_new` checks holds by construction: each value is a
    // slice of a valid `StringArray` between two of its offsets (so UTF-8, on char boundaries);
    // an inline value is zero-padded; a long one's prefix is its first 4 bytes and its buffer 0
    // / offset / length lie inside `text`'s value buffer, whose length fits u32 (checked above).
    // The nulls are the array's own, one per view.
    Arc::new(unsafe {
        StringViewArray::new_unchecked(views.into(), buffers.into(), text.nulls().cloned())
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

    /// The same table with its text columns as Arrow string views (`Utf8View`), the layout
    /// Polars keeps text in: `polars.DataFrame(t.string_views())` takes them as they are (from
    /// `Utf8` it builds a view per value itself, one column at a time: 15-25 % of a 1e6-order
    /// `customers(frame="polars")` call). Views are built here on two threads, pointing into
    /// each column's existing text (no text is copied); other columns are shared.
    fn string_views(&self, py: Python<'_>) -> ArrowTable {
        py.detach(|| {
            let fields: Vec<Field> = self
                .schema
                .fields()
                .iter()
                .map(|f| match f.data_type() {
                    DataType::Utf8 => f.as_ref().clone().with_data_type(DataType::Utf8View),
                    _ => f.as_ref().clone(),
                })
                .collect();
            let schema = Arc::new(Schema::new_with_metadata(
                fields,
                self.schema.metadata().clone(),
            ));
            let columns: Vec<&ArrayRef> =
                self.batches.iter().flat_map(RecordBatch::columns).collect();
            // The text columns are the work: halved among themselves, not with the others.
            let text: Vec<usize> = (0..columns.len())
                .filter(|&i| columns[i].as_string_opt::<i32>().is_some())
                .collect();
            let mut viewed: Vec<ArrayRef> = columns.iter().map(|&c| Arc::clone(c)).collect();
            let views = in_two(&text, |&i| columns[i].as_string_opt::<i32>().map(views_of));
            for (&i, v) in text.iter().zip(views) {
                if let Some(v) = v {
                    viewed[i] = v;
                }
            }
            // One batch's columns after another, each batch as wide as the schema.
            let width = self.schema.fields().len();
            let batches = self
                .batches
                .iter()
                .enumerate()
                .map(|(k, b)| {
                    let cols = viewed.get(k * width..(k + 1) * width).unwrap_or_default();
                    if width == 0 {
                        return Ok(b.clone()); // no columns: the batch as it is, rows and all
                    }
                    RecordBatch::try_new(schema.clone(), cols.to_vec())
                })
                .collect::<Result<Vec<_>, ArrowError>>();
            match batches {
                Ok(batches) => ArrowTable { schema, batches },
                // Not reached (a column and its views have one length and the schema's type);
                // the table as it was is still the same data.
                Err(_) => ArrowTable {
                    schema: self.schema.clone(),
                    batches: self.batches.clone(),
                },
            }
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `views_of` gives the values, nulls and a layout Arrow's full validation accepts, as
    /// arrow-rs' own conversion does: inline and long values, empty ones, multi-byte text,
    /// values ending at the buffer's last bytes, and slices (offsets not from 0).
    fn check(values: &[Option<String>], from: usize) {
        let whole = StringArray::from(values.to_vec());
        let text = whole.slice(
            from.min(values.len()),
            values.len() - from.min(values.len()),
        );
        let views = views_of(&text);
        views.to_data().validate_full().unwrap();
        let got = views.as_string_view();
        let want = StringViewArray::from(&text);
        assert_eq!(
            got.iter().collect::<Vec<_>>(),
            want.iter().collect::<Vec<_>>()
        );
        assert_eq!(got.nulls(), text.nulls());
    }

    #[test]
    fn string_views_hold_each_value() {
        let s = |v: &str| Some(v.to_string());
        check(&[], 0);
        check(&[s("")], 0);
        check(
            &[
                s("a"),
                None,
                s("twelve bytes"),
                s("thirteen byte"),
                s("顧客 12345 ¥"),
                s(""),
            ],
            0,
        );
        check(
            &[s("0123456789abcdefghij"), s("x"), None, s("last twelve!")],
            1,
        );
    }

    proptest! {
        #[test]
        fn string_views_equal_arrows_conversion(
            values in prop::collection::vec(prop::option::of("[a-z0-9.顧¥-]{0,20}"), 0..40),
            from in 0_usize..5,
        ) {
            check(&values, from);
        }
    }
}
