//! The customer book (mirrors `kokyaku::book` through `kokyaku_binding_core::book`): events and
//! options cross as JSON text, snapshots as bytes; batch calls run with the GIL released.

use std::borrow::Cow;

use kokyaku_binding_core::BindingError;
use kokyaku_binding_core::book::BookHandle;
use pyo3::prelude::*;

use crate::errors::{call, call_detached};

fn parse(json: &str) -> Result<serde_json::Value, BindingError> {
    if json.trim().is_empty() {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_str(json).map_err(|e| BindingError::option("options", e))
}

fn text(v: &serde_json::Value) -> String {
    v.to_string()
}

/// An incremental customer book.
#[pyclass(module = "kokyaku._kokyaku")]
pub struct Book {
    inner: BookHandle,
}

#[pymethods]
impl Book {
    /// An empty book; `options` is a JSON object of book options.
    #[new]
    fn new(options: &str) -> PyResult<Self> {
        call(|| {
            Ok(Self {
                inner: BookHandle::new(parse(options)?)?,
            })
        })
    }

    /// A book from snapshot bytes.
    #[staticmethod]
    fn restore(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        call_detached(py, || {
            Ok(Self {
                inner: BookHandle::restore(data)?,
            })
        })
    }

    /// The whole book as bytes.
    fn snapshot(&self, py: Python<'_>) -> PyResult<Cow<'static, [u8]>> {
        call_detached(py, || Ok(Cow::Owned(self.inner.snapshot())))
    }

    /// Applies a JSON array of event objects; the counts as JSON.
    fn ingest_json(&mut self, py: Python<'_>, events: &str) -> PyResult<String> {
        let inner = &mut self.inner;
        call_detached(py, || {
            let v: serde_json::Value = serde_json::from_str(events).map_err(|e| {
                BindingError::new("malformed_input", format!("malformed input: events: {e}"))
            })?;
            Ok(text(&inner.ingest(&v)?))
        })
    }

    /// Applies the events of CSV / TSV / JSON Lines bytes (`format`: csv, tsv, jsonl).
    fn ingest_text(&mut self, py: Python<'_>, format: &str, data: &[u8]) -> PyResult<String> {
        let inner = &mut self.inner;
        call_detached(py, || Ok(text(&inner.ingest_text(format, data)?)))
    }

    /// Sets the tracked segments from a JSON object of name -> rule (text or JSON form).
    fn set_segments_json(&mut self, rules: &str) -> PyResult<()> {
        call(|| self.inner.set_segments(&parse(rules)?))
    }

    /// The segments as JSON `[[name, rule text], ...]`.
    fn segments_json(&self) -> PyResult<String> {
        call(|| Ok(text(&self.inner.segments()?)))
    }

    /// A segment's members as JSON (`null` for an unknown name).
    fn segment_members_json(&self, name: &str) -> PyResult<String> {
        call(|| Ok(text(&self.inner.segment_members(name)?)))
    }

    /// Moves the book's date forward (`YYYY-MM-DD`).
    fn advance(&mut self, py: Python<'_>, date: &str) -> PyResult<()> {
        let inner = &mut self.inner;
        call_detached(py, || inner.advance(date))
    }

    /// The changes since the last call, as JSON.
    fn changes_json(&mut self, py: Python<'_>) -> PyResult<String> {
        let inner = &mut self.inner;
        call_detached(py, || Ok(text(&inner.changes()?)))
    }

    /// Every customer's summary as JSON records.
    fn summaries_json(&self, py: Python<'_>) -> PyResult<String> {
        call_detached(py, || Ok(text(&self.inner.summaries()?)))
    }

    /// One customer's summary as JSON (`null` when unknown).
    fn summary_json(&self, customer_id: &str) -> PyResult<String> {
        call(|| Ok(text(&self.inner.summary(customer_id)?)))
    }

    /// Sets the loyalty programme from its JSON text (`null` removes it).
    fn set_program_json(&mut self, program: &str) -> PyResult<()> {
        call(|| self.inner.set_program(&parse(program)?))
    }

    /// The programme as JSON (`null` without one).
    fn program_json(&self) -> PyResult<String> {
        call(|| Ok(text(&self.inner.program()?)))
    }

    /// Every customer's stage and points as JSON records (`null` without a programme).
    fn stages_json(&self, py: Python<'_>) -> PyResult<String> {
        call_detached(py, || Ok(text(&self.inner.stages()?)))
    }

    /// One customer's loyalty card as JSON (`null` when unknown or without a programme).
    fn card_json(&self, py: Python<'_>, customer_id: &str) -> PyResult<String> {
        call_detached(py, || Ok(text(&self.inner.card(customer_id)?)))
    }

    /// Counts and the date as JSON.
    fn info_json(&self) -> PyResult<String> {
        call(|| Ok(text(&self.inner.info()?)))
    }

    fn __repr__(&self) -> String {
        let b = self.inner.book();
        format!(
            "Book(as_of={}, customers={}, orders={})",
            b.as_of(),
            b.n_customers(),
            b.n_orders()
        )
    }
}
