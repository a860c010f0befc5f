//! Segment rules (mirrors `kokyaku::segment`): evaluation of named rules (text or JSON objects),
//! explain, parse / print, presets and the customers table. A rule error is an `Error` with
//! `.code` (`rule_syntax`, `rule_type`), `.position` (byte offset), `.caret` and `.hint`.

use kokyaku_binding_core::segment as core;
use wasm_bindgen::prelude::*;

use crate::errors::{call, from_js, to_js_value};
use crate::log::OrderLog;

#[wasm_bindgen(typescript_custom_section)]
const SEGMENT_TYPES: &str = r#"
/** A segment rule: its text, or its JSON form (see docs/segments.md). */
export type SegmentRule = string | Record<string, unknown>;
/** Options of `segment` / `explainSegment` (camelCase or snake_case keys). */
export interface SegmentOptions {
  asOf?: string;
  dormantDays?: number;
  subscriptionLapseDays?: number;
  rfm?: Record<string, unknown>;
  cpm?: Record<string, unknown>;
  /** A saved purchase-model fit (`kokyaku ltv fit -o`; object or JSON text): adds `p_alive`, `expected_orders`. */
  fit?: Record<string, unknown> | string;
  /** A saved Gamma-Gamma fit: adds `clv`. */
  spendFit?: Record<string, unknown> | string;
  /** Horizon of `expected_orders` and `clv`, in the fit's time unit (default 52). */
  horizon?: number;
  discountRate?: number;
  discountPeriod?: number;
  margin?: number;
  /** A loyalty programme (object or JSON text): adds `stage`, `points`. */
  program?: Record<string, unknown> | string;
  redemptions?: Array<{ customer_id: string; date: string; points: number }>;
  invitations?: Array<{ customer_id: string; date: string; stage: string }>;
}
/** Members of one rule, ids in the log's customer order. */
export interface SegmentMembers {
  name: string;
  rule: string;
  count: number;
  customer_ids: Array<string>;
}
"#;

/// Members of each rule: `[{name, rule, count, customer_ids}]`, ids in the log's customer order.
/// `rules`: a rule (text or JSON object), an object `{name: rule}`, or an array. Options: `asOf`,
/// `dormantDays`, `rfm`, `cpm`; `fit`, `spendFit`, `horizon` … for predictions, `program` for
/// loyalty stages (see `SegmentOptions`).
#[wasm_bindgen(unchecked_return_type = "Array<SegmentMembers>")]
pub fn segment(
    log: &OrderLog,
    #[wasm_bindgen(
        unchecked_param_type = "SegmentRule | Record<string, SegmentRule> | Array<SegmentRule>"
    )]
    rules: JsValue,
    #[wasm_bindgen(unchecked_param_type = "SegmentOptions | undefined")] options: JsValue,
) -> Result<JsValue, JsValue> {
    call(|| {
        to_js_value(&core::evaluate(
            &log.inner,
            from_js(&rules)?,
            from_js(&options)?,
        )?)
    })
}

/// Why one customer is in a segment or not.
#[wasm_bindgen(js_name = "explainSegment")]
pub fn explain_segment(
    log: &OrderLog,
    #[wasm_bindgen(unchecked_param_type = "SegmentRule")] rule: JsValue,
    customer_id: &str,
    #[wasm_bindgen(unchecked_param_type = "SegmentOptions | undefined")] options: JsValue,
) -> Result<JsValue, JsValue> {
    call(|| {
        to_js_value(&core::explain(
            &log.inner,
            from_js(&rule)?,
            customer_id,
            from_js(&options)?,
        )?)
    })
}

/// A rule's text, parsed and type-checked, as its JSON form.
#[wasm_bindgen(js_name = "parseRule")]
pub fn parse_rule(text: &str) -> Result<JsValue, JsValue> {
    call(|| to_js_value(&core::parse(text)?))
}

/// A rule's canonical text.
#[wasm_bindgen(js_name = "ruleText")]
pub fn rule_text(rule: JsValue) -> Result<String, JsValue> {
    call(|| core::to_text(from_js(&rule)?))
}

/// The preset rules `[{name, rule, purpose}]`.
#[wasm_bindgen(js_name = "segmentPresets")]
pub fn segment_presets() -> Result<JsValue, JsValue> {
    call(|| to_js_value(&core::presets()?))
}

/// The fields a rule can read, per scope.
#[wasm_bindgen(js_name = "segmentFields")]
pub fn segment_fields() -> Result<JsValue, JsValue> {
    call(|| to_js_value(&core::fields()?))
}

/// The log with a customers table (array of plain objects) merged in.
#[wasm_bindgen(js_name = "withCustomers")]
pub fn with_customers(
    log: &OrderLog,
    customers: JsValue,
    timezone: Option<String>,
) -> Result<OrderLog, JsValue> {
    call(|| {
        let v = from_js(&customers)?;
        let list = v.as_array().cloned().unwrap_or_default();
        core::with_customers(&log.inner, &list, timezone.as_deref()).map(|(l, _)| OrderLog::from(l))
    })
}

/// The log with a customers CSV merged in.
#[wasm_bindgen(js_name = "withCustomersCsv")]
pub fn with_customers_csv(
    log: &OrderLog,
    csv: &str,
    delimiter: Option<String>,
) -> Result<OrderLog, JsValue> {
    call(|| {
        core::with_customers_csv(&log.inner, csv, delimiter.as_deref())
            .map(|(l, _)| OrderLog::from(l))
    })
}

/// How a customers table reads (`rows_read = rows_accepted + rows_rejected`, rejections by reason).
#[wasm_bindgen(js_name = "customersReport")]
pub fn customers_report(customers: JsValue, timezone: Option<String>) -> Result<JsValue, JsValue> {
    call(|| {
        let v = from_js(&customers)?;
        let list = v.as_array().cloned().unwrap_or_default();
        to_js_value(&core::customers_report(&list, timezone.as_deref())?)
    })
}
