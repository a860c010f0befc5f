//! The customer book (mirrors `kokyaku::book` through `kokyaku_binding_core::book`): events are
//! plain objects, options one object (camelCase or `snake_case` keys), snapshots `Uint8Array`s.

use kokyaku_binding_core::BindingError;
use kokyaku_binding_core::book::BookHandle;
use wasm_bindgen::prelude::*;

use crate::errors::{call, from_js, to_js_value};

fn text_bytes(input: &JsValue) -> Result<Vec<u8>, BindingError> {
    if let Some(text) = input.as_string() {
        Ok(text.into_bytes())
    } else if let Some(bytes) = input.dyn_ref::<js_sys::Uint8Array>() {
        Ok(bytes.to_vec())
    } else {
        Err(BindingError::option(
            "input",
            "expected a string or a Uint8Array",
        ))
    }
}

/// An incremental customer book: ingest events in any order, advance the date, read the changes
/// since the last call, save and restore it as bytes.
#[wasm_bindgen]
pub struct Book {
    inner: BookHandle,
}

#[wasm_bindgen]
impl Book {
    /// An empty book. Options: `timezone`, `asOf` (none: follow the data), `dormantDays`,
    /// `subscriptionLapseDays`, `cpm`, `program` (a loyalty programme, see `setProgram`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown> | undefined")]
        options: &JsValue,
    ) -> Result<Book, JsValue> {
        call(|| {
            Ok(Self {
                inner: BookHandle::new(from_js(options)?)?,
            })
        })
    }

    /// A book from `snapshot()` bytes; bad bytes throw with `.code` `snapshot_truncated`,
    /// `snapshot_corrupt`, `snapshot_foreign` or `snapshot_version`.
    pub fn restore(data: &[u8]) -> Result<Book, JsValue> {
        call(|| {
            Ok(Self {
                inner: BookHandle::restore(data)?,
            })
        })
    }

    /// The whole book as bytes.
    #[must_use]
    pub fn snapshot(&self) -> Vec<u8> {
        self.inner.snapshot()
    }

    /// Applies events in order (`{type: 'order' | 'refund' | 'cancellation' | 'subscription' |
    /// 'customer' | 'redemption' | 'invitation', ...}`); returns `{applied, duplicates, held}`.
    pub fn ingest(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Array<Record<string, unknown>>")] events: &JsValue,
    ) -> Result<JsValue, JsValue> {
        call(|| to_js_value(&self.inner.ingest(&from_js(events)?)?))
    }

    /// Applies the events of CSV text (a string or UTF-8 bytes) with a `type` column.
    #[wasm_bindgen(js_name = "ingestCsv")]
    pub fn ingest_csv(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] input: &JsValue,
    ) -> Result<JsValue, JsValue> {
        call(|| to_js_value(&self.inner.ingest_text("csv", &text_bytes(input)?)?))
    }

    /// Applies the events of JSON Lines text.
    #[wasm_bindgen(js_name = "ingestJsonl")]
    pub fn ingest_jsonl(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] input: &JsValue,
    ) -> Result<JsValue, JsValue> {
        call(|| to_js_value(&self.inner.ingest_text("jsonl", &text_bytes(input)?)?))
    }

    /// Keeps these segments current: an object of name -> rule (text such as `'orders >= 2'`, or
    /// the JSON form). Rules on line items or subscription products are refused.
    #[wasm_bindgen(js_name = "setSegments")]
    pub fn set_segments(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] rules: &JsValue,
    ) -> Result<(), JsValue> {
        call(|| self.inner.set_segments(&from_js(rules)?))
    }

    /// The segments as `[name, canonical rule text]` pairs, sorted by name.
    pub fn segments(&self) -> Result<JsValue, JsValue> {
        call(|| to_js_value(&self.inner.segments()?))
    }

    /// A segment's members as last reported, sorted by customer id (`null` for an unknown name).
    #[wasm_bindgen(js_name = "segmentMembers")]
    pub fn segment_members(&self, name: &str) -> Result<JsValue, JsValue> {
        call(|| to_js_value(&self.inner.segment_members(name)?))
    }

    /// Keeps a loyalty programme current (an object or JSON text, docs/loyalty.md; `null`
    /// removes it): changes then report `stage_up` / `stage_down` and `points_expired`. A bad
    /// programme throws with `.code` `invalid_program`.
    #[wasm_bindgen(js_name = "setProgram")]
    pub fn set_program(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown> | string | null")]
        program: &JsValue,
    ) -> Result<(), JsValue> {
        call(|| self.inner.set_program(&from_js(program)?))
    }

    /// The loyalty programme as set, or `null`.
    pub fn program(&self) -> Result<JsValue, JsValue> {
        call(|| to_js_value(&self.inner.program()?))
    }

    /// Every customer's stage, points and progress as of the book's date (records sorted by
    /// customer id), or `null` without a programme.
    pub fn stages(&self) -> Result<JsValue, JsValue> {
        call(|| to_js_value(&self.inner.stages()?))
    }

    /// One customer's loyalty card, or `null` (unknown customer, or no programme).
    pub fn card(&self, customer_id: &str) -> Result<JsValue, JsValue> {
        call(|| to_js_value(&self.inner.card(customer_id)?))
    }

    /// Moves the book's date forward to `date` (`YYYY-MM-DD`).
    pub fn advance(&mut self, date: &str) -> Result<(), JsValue> {
        call(|| self.inner.advance(date))
    }

    /// The changes since the last call, sorted by customer id then kind.
    pub fn changes(&mut self) -> Result<JsValue, JsValue> {
        call(|| to_js_value(&self.inner.changes()?))
    }

    /// Every customer's summary as of the book's date (sorted by customer id).
    pub fn summaries(&self) -> Result<JsValue, JsValue> {
        call(|| to_js_value(&self.inner.summaries()?))
    }

    /// One customer's summary, or `null` for an unknown id.
    pub fn summary(&self, customer_id: &str) -> Result<JsValue, JsValue> {
        call(|| to_js_value(&self.inner.summary(customer_id)?))
    }

    /// The book's date (`YYYY-MM-DD`).
    #[wasm_bindgen(getter, js_name = "asOf")]
    #[must_use]
    pub fn as_of(&self) -> String {
        self.inner.book().as_of().to_string()
    }

    /// `{as_of, timezone, customers, orders, refunds, held, events}`.
    pub fn info(&self) -> Result<JsValue, JsValue> {
        call(|| to_js_value(&self.inner.info()?))
    }
}
