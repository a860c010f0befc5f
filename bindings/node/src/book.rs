//! The customer book (mirrors `kokyaku::book` through `kokyaku_binding_core::book`): events are
//! plain objects, options one object (camelCase or `snake_case` keys), snapshots `Buffer`s.

use kokyaku_binding_core::book::BookHandle;
use napi::Either;
use napi::bindgen_prelude::{Buffer, Uint8Array};
use napi_derive::napi;
use serde_json::Value;

use crate::errors::{Result, call};

fn bytes(input: &Either<String, Buffer>) -> &[u8] {
    match input {
        Either::A(s) => s.as_bytes(),
        Either::B(b) => b,
    }
}

/// An incremental customer book: ingest events in any order, advance the date, read the changes
/// since the last call, save and restore it as bytes.
#[napi]
pub struct Book {
    inner: BookHandle,
}

#[napi]
impl Book {
    /// An empty book. Options: `timezone`, `asOf` (none: follow the data), `dormantDays`,
    /// `subscriptionLapseDays`, `cpm`, `program` (a loyalty programme, see `setProgram`).
    #[napi(constructor, ts_args_type = "options?: BookOptions")]
    pub fn new(options: Option<Value>) -> Result<Self> {
        call(|| {
            Ok(Self {
                inner: BookHandle::new(options.unwrap_or(Value::Null))?,
            })
        })
    }

    /// A book from `snapshot()` bytes; bad bytes throw with `.code` `snapshot_truncated`,
    /// `snapshot_corrupt`, `snapshot_foreign` or `snapshot_version`.
    #[napi(factory, ts_args_type = "data: Buffer | Uint8Array")]
    pub fn restore(data: Uint8Array) -> Result<Self> {
        call(|| {
            Ok(Self {
                inner: BookHandle::restore(&data)?,
            })
        })
    }

    /// The whole book as bytes.
    #[napi]
    #[must_use]
    pub fn snapshot(&self) -> Buffer {
        Buffer::from(self.inner.snapshot())
    }

    /// Applies events in order: `{type: 'order' | 'refund' | 'cancellation' | 'subscription' |
    /// 'customer', ...}`. Returns `{applied, duplicates, held}`.
    #[napi(
        ts_args_type = "events: Array<BookEvent>",
        ts_return_type = "IngestCounts"
    )]
    pub fn ingest(&mut self, events: Value) -> Result<Value> {
        call(|| self.inner.ingest(&events))
    }

    /// Applies the events of CSV text (a string or a UTF-8 `Buffer`) with a `type` column.
    #[napi(
        ts_args_type = "input: string | Buffer",
        ts_return_type = "IngestCounts"
    )]
    pub fn ingest_csv(&mut self, input: Either<String, Buffer>) -> Result<Value> {
        call(|| self.inner.ingest_text("csv", bytes(&input)))
    }

    /// Applies the events of JSON Lines text.
    #[napi(
        ts_args_type = "input: string | Buffer",
        ts_return_type = "IngestCounts"
    )]
    pub fn ingest_jsonl(&mut self, input: Either<String, Buffer>) -> Result<Value> {
        call(|| self.inner.ingest_text("jsonl", bytes(&input)))
    }

    /// Keeps these segments current: an object of name -> rule (text such as `'orders >= 2'`, or
    /// the JSON form). Rules on line items or subscription products are refused.
    #[napi(ts_args_type = "rules: Record<string, string | Record<string, unknown>>")]
    pub fn set_segments(&mut self, rules: Value) -> Result<()> {
        call(|| self.inner.set_segments(&rules))
    }

    /// The segments as `[name, canonical rule text]` pairs, sorted by name.
    #[napi(ts_return_type = "Array<[string, string]>")]
    pub fn segments(&self) -> Result<Value> {
        call(|| self.inner.segments())
    }

    /// A segment's members as last reported, sorted by customer id (`null` for an unknown name).
    #[napi(ts_return_type = "Array<string> | null")]
    pub fn segment_members(&self, name: String) -> Result<Value> {
        call(|| self.inner.segment_members(&name))
    }

    /// Keeps a loyalty programme current (an object or JSON text, docs/loyalty.md; `null`
    /// removes it): changes then report `stage_up` / `stage_down` and `points_expired`. A bad
    /// programme throws with `.code` `invalid_program`.
    #[napi(ts_args_type = "program: LoyaltyProgram | string | null")]
    pub fn set_program(&mut self, program: Value) -> Result<()> {
        call(|| self.inner.set_program(&program))
    }

    /// The loyalty programme as set, or `null`.
    #[napi(ts_return_type = "LoyaltyProgram | null")]
    pub fn program(&self) -> Result<Value> {
        call(|| self.inner.program())
    }

    /// Every customer's stage, points and progress as of the book's date (records sorted by
    /// customer id), or `null` without a programme.
    #[napi(ts_return_type = "Array<StageRow> | null")]
    pub fn stages(&self) -> Result<Value> {
        call(|| self.inner.stages())
    }

    /// One customer's loyalty card, or `null` (unknown customer, or no programme).
    #[napi(ts_return_type = "StageCard | null")]
    pub fn card(&self, customer_id: String) -> Result<Value> {
        call(|| self.inner.card(&customer_id))
    }

    /// Moves the book's date forward to `date` (`YYYY-MM-DD`).
    #[napi]
    pub fn advance(&mut self, date: String) -> Result<()> {
        call(|| self.inner.advance(&date))
    }

    /// The changes since the last call, sorted by customer id then kind.
    #[napi(ts_return_type = "ChangeReport")]
    pub fn changes(&mut self) -> Result<Value> {
        call(|| self.inner.changes())
    }

    /// Every customer's summary as of the book's date (sorted by customer id).
    #[napi(ts_return_type = "Array<CustomerSummary>")]
    pub fn summaries(&self) -> Result<Value> {
        call(|| self.inner.summaries())
    }

    /// One customer's summary, or `null` for an unknown id.
    #[napi(ts_return_type = "CustomerSummary | null")]
    pub fn summary(&self, customer_id: String) -> Result<Value> {
        call(|| self.inner.summary(&customer_id))
    }

    /// The book's date (`YYYY-MM-DD`).
    #[napi(getter)]
    #[must_use]
    pub fn as_of(&self) -> String {
        self.inner.book().as_of().to_string()
    }

    /// `{as_of, timezone, customers, orders, refunds, held, events}`.
    #[napi(ts_return_type = "BookInfo")]
    pub fn info(&self) -> Result<Value> {
        call(|| self.inner.info())
    }
}
