//! Order logs from Arrow data (feature `arrow`): record batches (Python's `PyCapsule` frames) and
//! Arrow IPC bytes (Node). The batches go to the core's Arrow reader, the one behind Parquet
//! input, so column detection, types and policies are those of a Parquet file.
//! The batches are read in place (`kokyaku::io::read_record_batches`): no copy of the data.
//!
//! LTV summaries cross the same way: [`ltv_columns`] reads the summary columns of record batches
//! (any numeric type) for [`crate::ltv::call_columns`], and [`ltv_batches`] builds its
//! per-customer result as record batches, the caller's id column passed through untouched.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, Float64Array, RecordBatch};
use arrow_buffer::{NullBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Schema};
use serde_json::Value;

use crate::BindingError;
use crate::api::{Log, Parts, customer_options, read_options};
use crate::ltv::{Columns, Roles, SpendColumns, is_spend_fit, spend_fit_in_place};

fn malformed(what: &str, e: impl std::fmt::Display) -> BindingError {
    BindingError::new("malformed_input", format!("malformed input: {what}: {e}"))
}

/// Reads an order log from record batches.
pub fn read_batches(
    schema: &Arc<Schema>,
    batches: &[RecordBatch],
    options: Value,
) -> Result<Log, BindingError> {
    let opts = read_options(options)?;
    Ok(kokyaku::io::read_record_batches(schema, batches, &opts)?.into())
}

/// The per-customer table (`parts`: summary, RFM, CPM or all) of an order log given as record
/// batches, as one record batch: the same table as [`crate::api::customers`] over
/// [`read_batches`], but streamed (`kokyaku::io::summarize_record_batches`, the route of
/// `kokyaku summary FILE`): no grouped log is built, and the typed columns are written straight
/// into Arrow buffers (`kokyaku::io::summary_record_batch_with`), their text laid out as
/// `text` says. `read` holds the read options, `options` the analysis options.
pub fn customers_batch(
    schema: &Arc<Schema>,
    batches: &[RecordBatch],
    read: Value,
    options: Value,
    parts: Parts,
    text: kokyaku::io::TextLayout,
) -> Result<RecordBatch, BindingError> {
    customers_of_batches(schema, batches, read, options, parts)?.record_batch_with(text)
}

/// The per-customer analyses of a frame, streamed from its batches as [`customers_batch`]
/// does: for its table, or to write it to a file ([`crate::api::CustomerTable::write_path`]).
pub fn customers_of_batches(
    schema: &Arc<Schema>,
    batches: &[RecordBatch],
    read: Value,
    options: Value,
    parts: Parts,
) -> Result<crate::api::CustomerTable, BindingError> {
    let read = read_options(read)?;
    let o = customer_options(options, parts)?;
    let s = kokyaku::io::summarize_record_batches(schema, batches, &read, &o.summary)?.summaries;
    crate::api::CustomerTable::of_summary(s, o, parts)
}

/// Reads an order log from Arrow IPC bytes, stream or file format (`ARROW1` magic).
pub fn read_ipc(data: &[u8], options: Value) -> Result<Log, BindingError> {
    let (schema, batches) = if data.starts_with(b"ARROW1") {
        let r = arrow_ipc::reader::FileReader::try_new(std::io::Cursor::new(data), None)
            .map_err(|e| malformed("Arrow IPC file", e))?;
        let schema = r.schema();
        let batches = r
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| malformed("Arrow IPC file", e))?;
        (schema, batches)
    } else {
        let r = arrow_ipc::reader::StreamReader::try_new(data, None)
            .map_err(|e| malformed("Arrow IPC stream", e))?;
        let schema = r.schema();
        let batches = r
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| malformed("Arrow IPC stream", e))?;
        (schema, batches)
    };
    read_batches(&schema, &batches, options)
}

/// LTV summary columns read from record batches.
#[derive(Debug)]
pub struct LtvInput {
    /// The typed columns for [`crate::ltv::call_columns`].
    pub columns: Columns,
    /// The customer id column (when the roles name one): its field and its arrays, one per
    /// batch, shared with the caller (no copy).
    pub ids: Option<(Field, Vec<ArrayRef>)>,
    /// Rows per batch; [`ltv_batches`] cuts its output the same way.
    pub batch_rows: Vec<usize>,
}

fn extend<T: ArrowPrimitiveType>(out: &mut Vec<f64>, a: &dyn Array, f: impl Fn(T::Native) -> f64) {
    let p = a.as_primitive::<T>();
    match p.nulls().filter(|n| n.null_count() > 0) {
        None => out.extend(p.values().iter().map(|&v| f(v))),
        Some(n) => out.extend(
            p.values()
                .iter()
                .zip(n.iter())
                .map(|(&v, valid)| if valid { f(v) } else { f64::NAN }),
        ),
    }
}

/// Appends an Arrow column's values as `f64` (nulls as NaN). Floats, integers, decimals and
/// booleans are read; other types are an `unsupported` error naming the column.
#[allow(clippy::cast_precision_loss)]
fn push_floats(out: &mut Vec<f64>, a: &dyn Array, name: &str) -> Result<(), BindingError> {
    match a.data_type() {
        DataType::Float64 => extend::<Float64Type>(out, a, |v| v),
        DataType::Float32 => extend::<Float32Type>(out, a, f64::from),
        DataType::Int64 => extend::<Int64Type>(out, a, |v| v as f64),
        DataType::Int32 => extend::<Int32Type>(out, a, f64::from),
        DataType::Int16 => extend::<Int16Type>(out, a, f64::from),
        DataType::Int8 => extend::<Int8Type>(out, a, f64::from),
        DataType::UInt64 => extend::<UInt64Type>(out, a, |v| v as f64),
        DataType::UInt32 => extend::<UInt32Type>(out, a, f64::from),
        DataType::UInt16 => extend::<UInt16Type>(out, a, f64::from),
        DataType::UInt8 => extend::<UInt8Type>(out, a, f64::from),
        DataType::Decimal128(_, scale) => {
            let div = 10f64.powi(i32::from(*scale));
            extend::<Decimal128Type>(out, a, |v| v as f64 / div);
        }
        DataType::Boolean => {
            let b = a.as_boolean();
            out.extend((0..b.len()).map(|i| {
                if b.is_null(i) {
                    f64::NAN
                } else {
                    f64::from(u8::from(b.value(i)))
                }
            }));
        }
        DataType::Null => out.extend(std::iter::repeat_n(f64::NAN, a.len())),
        other => {
            return Err(BindingError::new(
                "unsupported",
                format!("unsupported: column {name} has type {other}; LTV columns take numbers"),
            ));
        }
    }
    Ok(())
}

fn floats_at(
    batches: &[RecordBatch],
    i: usize,
    name: &str,
    rows: usize,
) -> Result<Vec<f64>, BindingError> {
    let mut v = Vec::with_capacity(rows);
    for b in batches {
        push_floats(&mut v, b.column(i).as_ref(), name)?;
    }
    Ok(v)
}

/// The first column of record batches as numbers (any numeric type, nulls as NaN): one list
/// argument of [`crate::ltv::call_arrays`]; `name` names it in errors.
pub fn float_column(
    schema: &Schema,
    batches: &[RecordBatch],
    name: &str,
) -> Result<Vec<f64>, BindingError> {
    if schema.fields().is_empty() {
        return Err(BindingError::option(
            name,
            "expected one column of numbers, got none",
        ));
    }
    floats_at(
        batches,
        0,
        name,
        batches.iter().map(RecordBatch::num_rows).sum(),
    )
}

/// The LTV summary columns named by `roles`, read from record batches (one pass per column,
/// into the `Vec<f64>` the core's models take).
pub fn ltv_columns(
    schema: &Schema,
    batches: &[RecordBatch],
    roles: &Roles,
) -> Result<LtvInput, BindingError> {
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let index = |name: &str| -> Result<usize, BindingError> {
        schema.index_of(name).map_err(|_| {
            BindingError::from(kokyaku::Error::MissingColumn {
                column: name.to_owned(),
                hint: format!(
                    "the frame has columns {}",
                    schema
                        .fields()
                        .iter()
                        .map(|f| f.name().as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
        })
    };
    let columns = roles.columns(|name| floats_at(batches, index(name)?, name, rows))?;
    let ids = match &roles.customer_id {
        None => None,
        Some(name) => {
            let i = index(name)?;
            Some((
                schema.field(i).clone(),
                batches.iter().map(|b| b.column(i).clone()).collect(),
            ))
        }
    };
    Ok(LtvInput {
        columns,
        ids,
        batch_rows: batches.iter().map(RecordBatch::num_rows).collect(),
    })
}

/// A column as the `f64` buffer of the batches themselves: one batch whose column `name` is a
/// `Float64` array without nulls (a pandas or Polars float column). `None` otherwise.
fn f64_in_place<'a>(schema: &Schema, batches: &'a [RecordBatch], name: &str) -> Option<&'a [f64]> {
    let i = schema.index_of(name).ok()?;
    let [b] = batches else { return None };
    let a = b.column(i);
    if a.data_type() != &DataType::Float64 || a.null_count() > 0 {
        return None;
    }
    Some(a.as_primitive::<Float64Type>().values())
}

/// [`crate::ltv::call_columns`] of a Gamma-Gamma fit ([`is_spend_fit`]) on the frame's own
/// buffers, when `x`, `monetary` (and `weights`) are `Float64` columns without nulls in one
/// batch: the same fit JSON, with no column copied. `None`: not such a call or such columns
/// (read them with [`ltv_columns`]).
pub fn ltv_fit_in_place(
    function: &str,
    arguments: &Value,
    schema: &Schema,
    batches: &[RecordBatch],
    roles: &Roles,
) -> Result<Option<Value>, BindingError> {
    if !is_spend_fit(function, arguments, roles) {
        return Ok(None);
    }
    let column = |name: &Option<String>| match name {
        None => Some(None),
        Some(n) => f64_in_place(schema, batches, n).map(Some),
    };
    let (Some(x), Some(Some(monetary)), Some(weights)) = (
        f64_in_place(schema, batches, &roles.x),
        column(&roles.monetary),
        column(&roles.weights),
    ) else {
        return Ok(None);
    };
    let cols = SpendColumns {
        x,
        monetary: Some(monetary),
        weights,
        time_unit: roles.time_unit.as_deref(),
    };
    spend_fit_in_place(arguments.clone(), &cols).map(Some)
}

/// A float column with non-finite values as nulls (as JSON gives them), no copy of `v`.
fn float_array(v: Vec<f64>) -> Float64Array {
    let nulls = v
        .iter()
        .any(|x| !x.is_finite())
        .then(|| NullBuffer::from(v.iter().map(|x| x.is_finite()).collect::<Vec<bool>>()));
    Float64Array::new(ScalarBuffer::from(v), nulls)
}

/// A per-customer result ([`crate::ltv::Output::Table`] columns) as record batches: the id
/// column first when given, cut like the input batches.
pub fn ltv_batches(
    columns: Vec<(String, Vec<f64>)>,
    ids: Option<(Field, Vec<ArrayRef>)>,
    batch_rows: &[usize],
) -> Result<(Arc<Schema>, Vec<RecordBatch>), BindingError> {
    let internal = |e: arrow_schema::ArrowError| {
        BindingError::new(
            "panic",
            format!("internal error building an Arrow table: {e}"),
        )
    };
    let mut fields: Vec<Field> = Vec::with_capacity(columns.len() + 1);
    if let Some((f, _)) = &ids {
        fields.push(f.clone());
    }
    let mut arrays: Vec<Float64Array> = Vec::with_capacity(columns.len());
    for (name, v) in columns {
        fields.push(Field::new(name, DataType::Float64, true));
        arrays.push(float_array(v));
    }
    let schema = Arc::new(Schema::new(fields));
    let Some((_, id_arrays)) = ids else {
        let cols = arrays
            .into_iter()
            .map(|a| Arc::new(a) as ArrayRef)
            .collect();
        return Ok((
            schema.clone(),
            vec![RecordBatch::try_new(schema, cols).map_err(internal)?],
        ));
    };
    let mut out = Vec::with_capacity(batch_rows.len());
    let mut offset = 0;
    for (id, &n) in id_arrays.into_iter().zip(batch_rows) {
        let mut cols: Vec<ArrayRef> = vec![id];
        cols.extend(
            arrays
                .iter()
                .map(|a| Arc::new(a.slice(offset, n)) as ArrayRef),
        );
        out.push(RecordBatch::try_new(schema.clone(), cols).map_err(internal)?);
        offset += n;
    }
    Ok((schema, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Float64Array, StringArray};
    use arrow_schema::{DataType, Field};

    fn batch() -> (Arc<Schema>, RecordBatch) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("customer_id", DataType::Utf8, false),
            Field::new("placed_at", DataType::Utf8, false),
            Field::new("amount", DataType::Float64, true),
        ]));
        let b = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec!["a", "a", "b"])),
                Arc::new(StringArray::from(vec![
                    "2024-01-01",
                    "2024-02-01",
                    "2024-01-15",
                ])),
                Arc::new(Float64Array::from(vec![Some(10.0), None, Some(5.5)])),
            ],
        )
        .unwrap();
        (schema, b)
    }

    #[test]
    fn ipc_stream_and_file_read_like_batches() {
        let (schema, b) = batch();
        let mut stream = Vec::new();
        {
            let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut stream, &schema).unwrap();
            w.write(&b).unwrap();
            w.finish().unwrap();
        }
        let mut file = Vec::new();
        {
            let mut w = arrow_ipc::writer::FileWriter::try_new(&mut file, &schema).unwrap();
            w.write(&b).unwrap();
            w.finish().unwrap();
        }
        for data in [&stream, &file] {
            let log = read_ipc(data, Value::Null).unwrap();
            assert_eq!((log.report.rows_read, log.report.rows_rejected), (3, 1));
            assert_eq!(log.log.n_customers(), 2);
        }
        assert_eq!(
            read_ipc(b"nonsense", Value::Null).unwrap_err().code,
            "malformed_input"
        );
    }

    #[test]
    fn ltv_columns_read_any_numbers_and_pass_ids_through() {
        use arrow_array::{Int64Array, StringArray};
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("frequency", DataType::Int64, true),
            Field::new("recency", DataType::Float64, false),
            Field::new("T", DataType::Float32, false),
        ]));
        let batch = |ids: Vec<&str>, x: Vec<Option<i64>>, tx: Vec<f64>, t: Vec<f32>| {
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(StringArray::from(ids)),
                    Arc::new(Int64Array::from(x)),
                    Arc::new(Float64Array::from(tx)),
                    Arc::new(arrow_array::Float32Array::from(t)),
                ],
            )
            .unwrap()
        };
        let b = vec![
            batch(
                vec!["a", "b"],
                vec![Some(2), Some(0)],
                vec![5.0, 0.0],
                vec![10.0, 8.0],
            ),
            batch(vec!["c"], vec![None], vec![1.0], vec![3.0]),
        ];
        let roles = Roles::from_value(serde_json::json!(
            {"x": "frequency", "t_x": "recency", "T": "T", "customer_id": "id"}
        ))
        .unwrap();
        let got = ltv_columns(&schema, &b, &roles).unwrap();
        assert_eq!(got.columns.x[..2], [2.0, 0.0]);
        assert!(got.columns.x[2].is_nan());
        assert_eq!(got.columns.t, Some(vec![10.0, 8.0, 3.0]));
        assert_eq!(got.batch_rows, vec![2, 1]);
        let (schema_out, out) = ltv_batches(
            vec![("p".into(), vec![0.5, f64::NAN, 1.0])],
            got.ids,
            &got.batch_rows,
        )
        .unwrap();
        assert_eq!(schema_out.field(0).name(), "id");
        assert_eq!((out.len(), out[1].num_rows()), (2, 1));
        assert!(out[0].column(1).is_null(1));
        let missing = Roles::from_value(serde_json::json!({"x": "nope"})).unwrap();
        assert_eq!(
            ltv_columns(&schema, &b, &missing).unwrap_err().code,
            "missing_column"
        );
    }

    #[test]
    fn a_gamma_gamma_fit_reads_float64_columns_in_place_with_the_copied_result() {
        use arrow_array::Int64Array;
        let x = vec![0.0, 1.0, 2.0, 5.0, 0.0, 3.0, 1.0];
        let m = vec![f64::NAN, 12.0, 30.0, 8.5, 0.0, 20.0, 14.25];
        let schema = Arc::new(Schema::new(vec![
            Field::new("frequency", DataType::Float64, false),
            Field::new("monetary_value", DataType::Float64, true),
            Field::new("xi", DataType::Int64, false),
        ]));
        let b = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Float64Array::from(x.clone())),
                Arc::new(Float64Array::from(m.clone())),
                Arc::new(Int64Array::from(vec![0, 1, 2, 5, 0, 3, 1])),
            ],
        )
        .unwrap();
        let batches = [b];
        let roles = |x: &str| {
            Roles::from_value(serde_json::json!({"x": x, "monetary": "monetary_value"})).unwrap()
        };
        let args = serde_json::json!({"model": "gamma-gamma", "options": {"l2_penalty": 0.0}});
        let got = ltv_fit_in_place("fit", &args, &schema, &batches, &roles("frequency"))
            .unwrap()
            .expect("float64 columns are read in place");
        let copied = ltv_columns(&schema, &batches, &roles("frequency")).unwrap();
        let want = crate::ltv::call_columns("fit", args.clone(), copied.columns).unwrap();
        assert_eq!(crate::ltv::Output::Json(got), want);
        // Not in place: an integer column, two batches, another function or model.
        let none = |f: &str, a: &Value, r: &Roles, bs: &[RecordBatch]| {
            ltv_fit_in_place(f, a, &schema, bs, r).unwrap().is_none()
        };
        assert!(none("fit", &args, &roles("xi"), &batches));
        let two = [batches[0].clone(), batches[0].clone()];
        assert!(none("fit", &args, &roles("frequency"), &two));
        assert!(none("p_alive", &args, &roles("frequency"), &batches));
        let bg = serde_json::json!({"model": "bg-nbd"});
        assert!(none("fit", &bg, &roles("frequency"), &batches));
        // Errors are the copied path's.
        let bad = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Float64Array::from(x)),
                Arc::new(Float64Array::from(vec![1.0, -2.0, 1.0, 1.0, 1.0, 1.0, 1.0])),
                Arc::new(Int64Array::from(vec![0; 7])),
            ],
        )
        .unwrap();
        let bad = [bad];
        let e = ltv_fit_in_place("fit", &args, &schema, &bad, &roles("frequency")).unwrap_err();
        let copied = ltv_columns(&schema, &bad, &roles("frequency")).unwrap();
        let e2 = crate::ltv::call_columns("fit", args, copied.columns).unwrap_err();
        assert_eq!((e.code, e.message), (e2.code, e2.message));
    }
}
