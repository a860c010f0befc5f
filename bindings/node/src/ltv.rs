//! Predictive LTV (mirrors `kokyaku::ltv` through `kokyaku_binding_core::ltv`): one call per
//! function name with a plain object of arguments, plain objects and number arrays back.

use kokyaku_binding_core::ltv;
use napi_derive::napi;
use serde_json::Value;

use crate::errors::{Result, call};
use crate::log::OrderLog;

/// Runs one LTV function by name (`fit`, `load`, `predict`, `p_alive`, `p_alive_at`,
/// `conditional_expected_purchases`, `expected_purchases`, `prob_purchases`, `log_likelihood`,
/// `expected_spend`, `clv`, `evaluate_holdout`, `tracking`, `survival`, `churn_probability`,
/// `retention_rate`, `expected_residual_lifetime`) on an object of arguments: `fit` (the JSON
/// of `kokyaku ltv fit --format json`), `data` (columns `x`, `t_x`, `T`, `monetary`, `weights`,
/// `time_unit`), `horizon` … See `docs/ltv.md`.
#[napi(
    ts_args_type = "fn: LtvFunction, args: Record<string, unknown>",
    ts_return_type = "any"
)]
pub fn ltv(function: String, args: Value) -> Result<Value> {
    call(|| ltv::call(&function, args))
}

/// The calibration summary of an order log (`kokyaku ltv summary`): options `calibrationEnd`,
/// `holdoutEnd` (YYYY-MM-DD), `timeUnit`; result `{columns, data, time_unit, …}`.
#[napi(
    ts_args_type = "log: OrderLog, options?: Record<string, unknown>",
    ts_return_type = "any"
)]
pub fn ltv_calibration_summary(log: &OrderLog, options: Option<Value>) -> Result<Value> {
    call(|| ltv::calibration_summary(log.inner(), options.unwrap_or(Value::Null)))
}
