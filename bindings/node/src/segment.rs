//! Segment rules (mirrors `kokyaku::segment`): evaluation of named rules (text or JSON),
//! explain, parse / print, presets and the customers table. A rule error is thrown as an `Error`
//! with `.code` (`rule_syntax`, `rule_type`), `.position` (byte offset), `.caret` and `.hint`.

use kokyaku_binding_core::segment as core;
use kokyaku_binding_core::{BindingError, catch};
use napi::bindgen_prelude::JsObjectValue;
use napi::{Env, Status};
use napi_derive::napi;
use serde_json::Value;

use crate::errors::Result;
use crate::log::OrderLog;

/// Throws `e` as a JS `Error` carrying the rule position when there is one.
fn throw(env: Env, e: BindingError) -> napi::Error<String> {
    if let Some(r) = &e.rule {
        if let Ok(mut obj) =
            env.create_error(napi::Error::new(Status::GenericFailure, e.message.clone()))
        {
            let set = obj
                .set_named_property("code", e.code.as_str())
                .and_then(|()| obj.set_named_property("position", r.position as u32))
                .and_then(|()| obj.set_named_property("caret", r.caret.as_str()))
                .and_then(|()| obj.set_named_property("hint", r.hint.clone()));
            if set.is_ok() && env.throw(obj).is_ok() {
                return napi::Error::new(
                    Status::PendingException.as_ref().to_owned(),
                    String::new(),
                );
            }
        }
    }
    crate::errors::to_js(e)
}

fn run<T>(env: Env, f: impl FnOnce() -> std::result::Result<T, BindingError>) -> Result<T> {
    catch(f).map_err(|e| throw(env, e))
}

/// Members of each rule: `[{name, rule, count, customer_ids}]`, ids in the log's customer order.
/// `rules`: one rule (text or JSON object), an object `{name: rule}`, or an array. Options:
/// `asOf`, `dormantDays`, `rfm`, `cpm`.
#[napi(
    ts_args_type = "log: OrderLog, rules: Rule | Record<string, Rule> | Array<Rule>, options?: SegmentOptions",
    ts_return_type = "Array<SegmentMembers>"
)]
pub fn segment(env: Env, log: &OrderLog, rules: Value, options: Option<Value>) -> Result<Value> {
    run(env, || {
        core::evaluate(&log.inner, rules, options.unwrap_or(Value::Null))
    })
}

/// Why one customer is in a segment or not: the clause tree with each value and the fields read.
#[napi(
    ts_args_type = "log: OrderLog, rule: Rule, customerId: string, options?: SegmentOptions",
    ts_return_type = "Explanation"
)]
pub fn explain_segment(
    env: Env,
    log: &OrderLog,
    rule: Value,
    customer_id: String,
    options: Option<Value>,
) -> Result<Value> {
    run(env, || {
        core::explain(
            &log.inner,
            rule,
            &customer_id,
            options.unwrap_or(Value::Null),
        )
    })
}

/// A rule's text, parsed and type-checked, as its JSON form.
#[napi(ts_return_type = "RuleJson")]
pub fn parse_rule(env: Env, text: String) -> Result<Value> {
    run(env, || core::parse(&text))
}

/// A rule's canonical text (from its JSON form, or normalised text).
#[napi(ts_args_type = "rule: Rule")]
pub fn rule_text(env: Env, rule: Value) -> Result<String> {
    run(env, || core::to_text(rule))
}

/// The preset rules `[{name, rule, purpose}]`.
#[napi(ts_return_type = "Array<{ name: string; rule: string; purpose: string }>")]
pub fn segment_presets(env: Env) -> Result<Value> {
    run(env, core::presets)
}

/// The fields a rule can read, per scope `{customer, order, line, subscription}`.
#[napi(
    ts_return_type = "Record<'customer' | 'order' | 'line' | 'subscription', Array<{ name: string; type: string; meaning: string }>>"
)]
pub fn segment_fields(env: Env) -> Result<Value> {
    run(env, core::fields)
}

/// The log with a customers table merged in (records: id, birth date, sign-up time, further
/// keys as attributes; members who never ordered join with zero orders). See
/// [`customers_report`] for the accounting of the read.
#[napi(
    ts_args_type = "log: OrderLog, customers: Array<Record<string, unknown>>, timezone?: string"
)]
pub fn with_customers(
    env: Env,
    log: &OrderLog,
    customers: Vec<Value>,
    timezone: Option<String>,
) -> Result<OrderLog> {
    run(env, || {
        core::with_customers(&log.inner, &customers, timezone.as_deref())
            .map(|(l, _)| OrderLog::from(l))
    })
}

/// As [`with_customers`] from CSV text.
#[napi(ts_args_type = "log: OrderLog, csv: string, delimiter?: string")]
pub fn with_customers_csv(
    env: Env,
    log: &OrderLog,
    csv: String,
    delimiter: Option<String>,
) -> Result<OrderLog> {
    run(env, || {
        core::with_customers_csv(&log.inner, &csv, delimiter.as_deref())
            .map(|(l, _)| OrderLog::from(l))
    })
}

/// How a customers table reads: `rows_read = rows_accepted + rows_rejected`, rejections by reason.
#[napi(
    ts_args_type = "customers: Array<Record<string, unknown>>, timezone?: string",
    ts_return_type = "CustomersReport"
)]
pub fn customers_report(
    env: Env,
    customers: Vec<Value>,
    timezone: Option<String>,
) -> Result<Value> {
    run(env, || {
        core::customers_report(&customers, timezone.as_deref())
    })
}
