//! Reading order logs: CSV / JSON Lines text or bytes, plain-object records, typed records,
//! Arrow IPC bytes (mirrors `kokyaku::io`).

use kokyaku_binding_core::api::{self, TextFormat};
use napi::Either;
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use serde_json::Value;

use crate::errors::{Result, call};
use crate::log::OrderLog;

fn read(
    format: TextFormat,
    input: Either<String, Buffer>,
    options: Option<Value>,
) -> Result<OrderLog> {
    let options = options.unwrap_or(Value::Null);
    call(|| match &input {
        Either::A(text) => api::read_text(format, text, options),
        Either::B(bytes) => api::read_bytes(format, bytes, options),
    })
    .map(OrderLog::from)
}

/// Reads delimited text (a string or a UTF-8 `Buffer`). Options: `customerCol`, `orderCol`,
/// `timeCol`, `amountCol`, …, `timeFormat`, `timezone`, `delimiter`, `currency`,
/// `missingCustomer`, `duplicateOrder`, `cancelPrefix`, `negativeAsRefund`, `badRows`.
#[napi(ts_args_type = "input: string | Buffer, options?: ReadOptions")]
pub fn read_csv(input: Either<String, Buffer>, options: Option<Value>) -> Result<OrderLog> {
    read(TextFormat::Csv, input, options)
}

/// Reads JSON Lines (a string or a UTF-8 `Buffer`).
#[napi(ts_args_type = "input: string | Buffer, options?: ReadOptions")]
pub fn read_jsonl(input: Either<String, Buffer>, options: Option<Value>) -> Result<OrderLog> {
    read(TextFormat::Jsonl, input, options)
}

/// Reads an array of plain objects (column name → value), like JSON Lines. Times are ISO 8601
/// strings or epoch numbers (convert `Date`s with `toISOString()`).
#[napi(ts_args_type = "records: Array<Record<string, unknown>>, options?: ReadOptions")]
pub fn from_records(records: Vec<Value>, options: Option<Value>) -> Result<OrderLog> {
    call(|| api::read_records(&records, options.unwrap_or(Value::Null))).map(OrderLog::from)
}

/// Builds a log from typed records `{timezone, customers, orders, refunds, subscriptions}`
/// (the shapes of the Rust model; use this for a subscription table).
#[napi(ts_args_type = "records: OrderRecords")]
pub fn from_order_records(records: Value) -> Result<OrderLog> {
    call(|| api::read_record_set(records)).map(OrderLog::from)
}

/// Reads Arrow IPC bytes (stream or file format), e.g. from apache-arrow's `tableToIPC(table)`
/// or a `.arrow` file: the columnar way in for large logs.
#[napi(ts_args_type = "data: Buffer | Uint8Array, options?: ReadOptions")]
pub fn from_arrow_ipc(
    data: napi::bindgen_prelude::Uint8Array,
    options: Option<Value>,
) -> Result<OrderLog> {
    call(|| kokyaku_binding_core::arrow::read_ipc(&data, options.unwrap_or(Value::Null)))
        .map(OrderLog::from)
}
