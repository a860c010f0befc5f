//! Predictive LTV (mirrors `kokyaku::ltv` through `kokyaku_binding_core::ltv`), run with the GIL
//! released. The Python classes live in `python/kokyaku/_ltv.py`.
//!
//! Small calls (saved fits, parameters, `expected_purchases(t)`, …) cross as JSON
//! ([`ltv_call`]). Per-customer data does not: [`ltv_call_columns`] reads the summary columns of a
//! frame through the Arrow `PyCapsule` interface (or a dict of float lists) and returns numbers
//! as a Python list or an Arrow table with the caller's id column passed through, and the
//! calibration summary comes back as an Arrow table ([`ltv_calibration_summary_arrow`]) or a dict
//! of lists ([`ltv_calibration_summary_dict`]).

use kokyaku::table::{Column, Table};
use kokyaku_binding_core::BindingError;
use std::collections::BTreeMap;

use kokyaku_binding_core::arrow::{
    LtvInput, float_column, ltv_batches, ltv_columns, ltv_fit_in_place,
};
use kokyaku_binding_core::ltv::{self, Output, Roles};
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::arrow::{ArrowTable, import_stream, table_batch};
use crate::errors::{call, call_detached, to_py};
use crate::json::text;
use crate::log::OrderLog;

fn parse(json: &str) -> Result<serde_json::Value, BindingError> {
    crate::json::parse(json, "arguments")
}

/// Runs one LTV function (`kokyaku_binding_core::ltv::FUNCTIONS`) on a JSON object of
/// arguments; the result as JSON.
#[pyfunction]
pub fn ltv_call(py: Python<'_>, function: &str, arguments: &str) -> PyResult<String> {
    call_detached(py, || text(&ltv::call(function, parse(arguments)?)?))
}

/// Finite numbers, and `None` for the rest (as the JSON results give them).
fn finite(v: &[f64]) -> Vec<Option<f64>> {
    v.iter().map(|x| x.is_finite().then_some(*x)).collect()
}

/// The columns named by `roles` from a dict of float lists (`None` is NaN).
fn dict_columns(d: &Bound<'_, PyDict>, roles: &Roles) -> PyResult<Result<LtvInput, BindingError>> {
    let mut failed: Option<PyErr> = None;
    let got = roles.columns(|name| {
        let Some(col) = d.get_item(name).ok().flatten() else {
            return Err(BindingError::from(kokyaku::Error::MissingColumn {
                column: name.to_owned(),
                hint: "not in the dict of columns".into(),
            }));
        };
        match col.extract::<Vec<Option<f64>>>() {
            Ok(v) => Ok(v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect()),
            Err(e) => {
                failed = Some(e);
                Err(BindingError::option(name, "expected a list of numbers"))
            }
        }
    });
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(got.map(|columns| LtvInput {
        columns,
        ids: None,
        batch_rows: Vec::new(),
    }))
}

/// Runs one LTV function on per-customer data: `data` is a frame with the Arrow `PyCapsule`
/// interface (pandas, Polars, pyarrow; read in place) or a dict of float lists; `columns` (JSON)
/// names the column of each role (`kokyaku_binding_core::ltv::Roles`). The result: a fit as JSON
/// text, per-row numbers as a list (`None` where not finite), or a table (`predict`) as an
/// `ArrowTable` with the id column passed through when `arrow`, else a dict of lists.
#[pyfunction]
pub fn ltv_call_columns(
    py: Python<'_>,
    function: &str,
    arguments: &str,
    data: &Bound<'_, PyAny>,
    columns: &str,
    arrow: bool,
) -> PyResult<Py<PyAny>> {
    let roles = call(|| Roles::from_value(parse(columns)?))?;
    let input = if let Ok(d) = data.cast::<PyDict>() {
        dict_columns(d, &roles)?
    } else {
        let imported = import_stream(data)?;
        let in_place = py
            .detach(|| {
                kokyaku_binding_core::catch(|| {
                    let (schema, batches) = imported?;
                    // A Gamma-Gamma fit on float64 columns reads the frame's buffers in place.
                    let args = parse(arguments)?;
                    match ltv_fit_in_place(function, &args, &schema, &batches, &roles)? {
                        Some(out) => Ok(Err(out)),
                        None => ltv_columns(&schema, &batches, &roles).map(Ok),
                    }
                })
            })
            .map_err(|e| to_py(py, &e))?;
        match in_place {
            Ok(input) => Ok(input),
            Err(fit) => return call(|| text(&fit))?.into_py_any(py),
        }
    }
    .map_err(|e| to_py(py, &e))?;
    let LtvInput {
        columns,
        ids,
        batch_rows,
    } = input;
    let out = call_detached(py, || {
        ltv::call_columns(function, parse(arguments)?, columns)
    })?;
    match out {
        Output::Json(v) => call(|| text(&v))?.into_py_any(py),
        Output::Floats(v) => PyList::new(py, finite(&v))?.into_py_any(py),
        Output::Table { columns, .. } if arrow => {
            let (schema, batches) = call_detached(py, || ltv_batches(columns, ids, &batch_rows))?;
            ArrowTable::from_batches(schema, batches).into_py_any(py)
        }
        Output::Table { columns, .. } => {
            let d = PyDict::new(py);
            for (name, v) in columns {
                d.set_item(name, PyList::new(py, finite(&v))?)?;
            }
            d.into_py_any(py)
        }
    }
}

/// Runs `evaluate_holdout` or `tracking` (`kokyaku_binding_core::ltv::call_arrays`) with its
/// list arguments in `arrays`: name → a list of numbers (`None` is NaN) or a one-column frame
/// with the Arrow `PyCapsule` interface (numpy, pandas, Polars and pyarrow arrays, read in
/// place). `tracking` gives a list, `evaluate_holdout` a dict (`error` per customer and the
/// aggregates; `None` where not finite).
#[pyfunction]
pub fn ltv_call_arrays(
    py: Python<'_>,
    function: &str,
    arguments: &str,
    arrays: &Bound<'_, PyDict>,
) -> PyResult<Py<PyAny>> {
    let mut typed = BTreeMap::new();
    for (k, v) in arrays.iter() {
        let name: String = k.extract()?;
        let values = if v.cast::<PyList>().is_ok() {
            v.extract::<Vec<Option<f64>>>()?
                .into_iter()
                .map(|x| x.unwrap_or(f64::NAN))
                .collect()
        } else {
            let imported = import_stream(&v)?;
            call_detached(py, || {
                let (schema, batches) = imported?;
                float_column(&schema, &batches, &name)
            })?
        };
        typed.insert(name, values);
    }
    let out = call_detached(py, || ltv::call_arrays(function, parse(arguments)?, typed))?;
    match out {
        Output::Floats(v) => PyList::new(py, finite(&v))?.into_py_any(py),
        Output::Table { meta, columns } => {
            let d = PyDict::new(py);
            d.set_item("meta", call(|| text(&meta))?)?;
            for (name, v) in columns {
                d.set_item(name, PyList::new(py, finite(&v))?)?;
            }
            d.into_py_any(py)
        }
        Output::Json(v) => call(|| text(&v))?.into_py_any(py),
    }
}

/// The calibration summary of an order log as an Arrow table.
#[pyfunction]
pub fn ltv_calibration_summary_arrow(
    py: Python<'_>,
    log: &OrderLog,
    options: &str,
) -> PyResult<ArrowTable> {
    call_detached(py, || {
        table_batch(&ltv::calibration_summary_table(
            log.inner(),
            parse(options)?,
        )?)
    })
    .map(ArrowTable::new)
}

/// A table as a dict of lists (dates as `YYYY-MM-DD` text, as the JSON results give them).
fn table_dict<'py>(py: Python<'py>, t: &Table) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (name, c) in t.names.iter().zip(&t.columns) {
        let list = match c {
            Column::Str(v) => PyList::new(py, v)?,
            Column::Int(v) => PyList::new(py, v)?,
            Column::Float(v) => PyList::new(py, v)?,
            Column::Bool(v) => PyList::new(py, v)?,
            Column::Date(v) => PyList::new(py, v.iter().map(|d| d.map(|d| d.to_string())))?,
        };
        d.set_item(name, list)?;
    }
    Ok(d)
}

/// The calibration summary of an order log as a dict of lists.
#[pyfunction]
pub fn ltv_calibration_summary_dict<'py>(
    py: Python<'py>,
    log: &OrderLog,
    options: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let t = call_detached(py, || {
        ltv::calibration_summary_table(log.inner(), parse(options)?)
    })?;
    table_dict(py, &t)
}
