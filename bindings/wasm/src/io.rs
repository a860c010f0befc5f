//! Reading order logs: CSV / JSON Lines text or bytes, plain-object records, typed records
//! (mirrors `kokyaku::io`).

use kokyaku_binding_core::BindingError;
use kokyaku_binding_core::api::{self, TextFormat};
use wasm_bindgen::prelude::*;

use crate::errors::{call, from_js};
use crate::log::OrderLog;

fn read(format: TextFormat, input: &JsValue, options: &JsValue) -> Result<OrderLog, JsValue> {
    call(|| {
        let options = from_js(options)?;
        if let Some(text) = input.as_string() {
            api::read_text(format, &text, options)
        } else if let Some(bytes) = input.dyn_ref::<js_sys::Uint8Array>() {
            api::read_bytes(format, &bytes.to_vec(), options)
        } else {
            Err(BindingError::option(
                "input",
                "expected a string or a Uint8Array",
            ))
        }
    })
    .map(OrderLog::from)
}

/// Reads delimited text (a string or UTF-8 bytes). Options: `customerCol`, `orderCol`,
/// `timeCol`, `amountCol`, …, `timeFormat`, `timezone`, `delimiter`, `currency`,
/// `missingCustomer`, `duplicateOrder`, `cancelPrefix`, `negativeAsRefund`, `badRows`.
#[wasm_bindgen(js_name = "readCsv")]
pub fn read_csv(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] input: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Record<string, unknown> | undefined")] options: &JsValue,
) -> Result<OrderLog, JsValue> {
    read(TextFormat::Csv, input, options)
}

/// Reads JSON Lines (a string or UTF-8 bytes).
#[wasm_bindgen(js_name = "readJsonl")]
pub fn read_jsonl(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] input: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Record<string, unknown> | undefined")] options: &JsValue,
) -> Result<OrderLog, JsValue> {
    read(TextFormat::Jsonl, input, options)
}

/// Reads an array of plain objects (column name → value), like JSON Lines.
#[wasm_bindgen(js_name = "fromRecords")]
pub fn from_records(
    #[wasm_bindgen(unchecked_param_type = "Array<Record<string, unknown>>")] records: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Record<string, unknown> | undefined")] options: &JsValue,
) -> Result<OrderLog, JsValue> {
    call(|| {
        let recs: Vec<serde_json::Value> = serde_wasm_bindgen::from_value(records.clone())
            .map_err(|e| {
                BindingError::new("malformed_input", format!("malformed input: records: {e}"))
            })?;
        api::read_records(&recs, from_js(options)?)
    })
    .map(OrderLog::from)
}

/// Builds a log from typed records `{timezone, customers, orders, refunds, subscriptions}`.
#[wasm_bindgen(js_name = "fromOrderRecords")]
pub fn from_order_records(
    #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] records: &JsValue,
) -> Result<OrderLog, JsValue> {
    call(|| api::read_record_set(from_js(records)?)).map(OrderLog::from)
}
