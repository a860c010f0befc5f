//! `BindingError` to the classes of `kokyaku.exceptions`.

use kokyaku_binding_core::{BindingError, catch};
use pyo3::prelude::*;

/// Converts a binding error to an instance of its `kokyaku.exceptions` class, with `.code` set.
pub fn to_py(py: Python<'_>, e: &BindingError) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let cls = py
            .import("kokyaku.exceptions")?
            .getattr(e.kind.python_class())?;
        let value = cls.call1((e.message.as_str(), e.code.as_str()))?;
        // A segment rule error also says where: `.position` (byte offset), `.caret`, `.hint`.
        if let Some(r) = &e.rule {
            value.setattr("position", r.position)?;
            value.setattr("caret", r.caret.as_str())?;
            value.setattr("hint", r.hint.as_deref())?;
        }
        Ok(PyErr::from_value(value))
    };
    build().unwrap_or_else(|import_failed| import_failed)
}

/// Runs a Rust call with panics caught, mapping every failure to a Python exception.
pub fn call<T>(f: impl FnOnce() -> Result<T, BindingError>) -> PyResult<T> {
    catch(f).map_err(|e| Python::attach(|py| to_py(py, &e)))
}

/// Like [`call`], with the GIL released while Rust works (batch calls).
pub fn call_detached<T: Send>(
    py: Python<'_>,
    f: impl FnOnce() -> Result<T, BindingError> + Send,
) -> PyResult<T> {
    py.detach(|| catch(f)).map_err(|e| to_py(py, &e))
}
