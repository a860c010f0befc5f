//! Predictive LTV (mirrors `kokyaku::ltv` through `kokyaku_binding_core::ltv`): one call per
//! function name with a plain object of arguments, plain objects and number arrays back.

use kokyaku_binding_core::ltv;
use wasm_bindgen::prelude::*;

use crate::errors::{call, from_js, to_js_value};
use crate::log::OrderLog;

/// Runs one LTV function by name (`fit`, `load`, `predict`, `p_alive`, `p_alive_at`,
/// `conditional_expected_purchases`, `expected_purchases`, `prob_purchases`, `log_likelihood`,
/// `expected_spend`, `clv`, `evaluate_holdout`, `tracking`, `survival`, `churn_probability`,
/// `retention_rate`, `expected_residual_lifetime`) on an object of arguments (the Node
/// binding's `ltv`).
#[wasm_bindgen]
pub fn ltv(function: &str, args: &JsValue) -> Result<JsValue, JsValue> {
    call(|| to_js_value(&ltv::call(function, from_js(args)?)?))
}

/// The calibration summary of an order log (`kokyaku ltv summary`).
#[wasm_bindgen(js_name = "ltvCalibrationSummary")]
pub fn ltv_calibration_summary(log: &OrderLog, options: &JsValue) -> Result<JsValue, JsValue> {
    call(|| to_js_value(&ltv::calibration_summary(log.inner(), from_js(options)?)?))
}
