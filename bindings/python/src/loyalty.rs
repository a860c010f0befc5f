//! Loyalty programmes (mirrors `kokyaku::loyalty`): every call takes the order log and one
//! options object `{program, as_of, redemptions, invitations, customer}` as JSON (built by
//! `kokyaku/_loyalty.py`) and runs with the GIL released.
//!
//! The calls differ only in the `kokyaku_binding_core::loyalty` function they run and in how
//! the result leaves (JSON text or an Arrow table), so one macro writes them.

use kokyaku::model::OrderLog as CoreLog;
use kokyaku_binding_core::{BindingError, loyalty};
use pyo3::prelude::*;
use serde_json::Value;

use crate::arrow::ArrowTable;
use crate::errors::{call, call_detached};
use crate::json::{parse, text};
use crate::log::OrderLog;

/// Runs `f` on the log and the parsed options with the GIL released.
fn detached<T: Send>(
    py: Python<'_>,
    log: &Bound<'_, OrderLog>,
    options: &str,
    f: impl FnOnce(&CoreLog, Value) -> Result<T, BindingError> + Send,
) -> PyResult<T> {
    let l = log.get().order_log();
    call_detached(py, || f(l, parse(options, "options")?))
}

/// `loyalty_call!(doc, name -> Ret, |log, options| body)`: one `#[pyfunction]` taking
/// `(log, options)`, with `body` run detached.
macro_rules! loyalty_call {
    ($(#[doc = $doc:expr])* $name:ident -> $ret:ty, |$l:ident, $o:ident| $body:expr) => {
        $(#[doc = $doc])*
        #[pyfunction]
        pub fn $name(py: Python<'_>, log: &Bound<'_, OrderLog>, options: &str) -> PyResult<$ret> {
            detached(py, log, options, |$l, $o| $body)
        }
    };
}

loyalty_call!(
    /// `{as_of, stages, customers: {id: row}, history, distribution}` as JSON.
    stages_report_json -> String, |l, o| text(&loyalty::stages_report(l, o)?)
);
loyalty_call!(
    /// The per-customer stage table as an Arrow table.
    stages_arrow -> ArrowTable,
    |l, o| loyalty::stages_batch(l, o).map(ArrowTable::new)
);
loyalty_call!(
    /// The per-customer stage table as JSON columns (`{"columns", "types", "data"}`).
    stages_columns_json -> String,
    |l, o| text(&kokyaku_binding_core::api::table_columns(&loyalty::stages_table(l, o)?))
);
loyalty_call!(
    /// Stage changes as JSON records.
    stage_history_json -> String, |l, o| text(&loyalty::stage_history(l, o)?)
);
loyalty_call!(
    /// The month-end distribution as JSON.
    stage_distribution_json -> String, |l, o| text(&loyalty::stage_distribution(l, o)?)
);
loyalty_call!(
    /// One customer's card as JSON.
    stage_card_json -> String, |l, o| text(&loyalty::card(l, o)?)
);

/// A programme read and validated, as its normalised JSON.
#[pyfunction]
pub fn loyalty_program_json(program: &str) -> PyResult<String> {
    call(|| text(&loyalty::program(parse(program, "options")?)?))
}

/// Adds the loyalty functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(stages_report_json, m)?)?;
    m.add_function(wrap_pyfunction!(stages_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(stages_columns_json, m)?)?;
    m.add_function(wrap_pyfunction!(stage_history_json, m)?)?;
    m.add_function(wrap_pyfunction!(stage_distribution_json, m)?)?;
    m.add_function(wrap_pyfunction!(stage_card_json, m)?)?;
    m.add_function(wrap_pyfunction!(loyalty_program_json, m)?)?;
    Ok(())
}
