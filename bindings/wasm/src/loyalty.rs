//! Loyalty programmes (mirrors `kokyaku::loyalty`): the same calls as the Node addon. `program`
//! is a plain object or JSON text (see `docs/loyalty.md`); options are `asOf`, `redemptions`,
//! `invitations`.

use kokyaku_binding_core::{BindingError, loyalty};
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;

use crate::errors::{call, from_js, to_js_value};
use crate::log::OrderLog;

fn with_program(program: &JsValue, options: &JsValue) -> Result<Value, BindingError> {
    let mut m = match from_js(options)? {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    m.insert("program".into(), from_js(program)?);
    Ok(Value::Object(m))
}

#[wasm_bindgen]
impl OrderLog {
    /// Each customer's stage, points and progress to the next stage as of `asOf` (one plain
    /// object per customer, sorted by customer id).
    pub fn stages(&self, program: &JsValue, options: &JsValue) -> Result<JsValue, JsValue> {
        call(|| {
            to_js_value(
                &loyalty::stages_table(self.order_log(), with_program(program, options)?)?
                    .to_records(),
            )
        })
    }

    /// Every stage change: `{customer_id, date, from, to, reason, order_id}`.
    #[wasm_bindgen(js_name = "stageHistory")]
    pub fn stage_history(&self, program: &JsValue, options: &JsValue) -> Result<JsValue, JsValue> {
        call(|| {
            to_js_value(&loyalty::stage_history(
                self.order_log(),
                with_program(program, options)?,
            )?)
        })
    }

    /// Stage counts at every month end, upgrades / downgrades and the transition matrix.
    #[wasm_bindgen(js_name = "stageDistribution")]
    pub fn stage_distribution(
        &self,
        program: &JsValue,
        options: &JsValue,
    ) -> Result<JsValue, JsValue> {
        call(|| {
            to_js_value(&loyalty::stage_distribution(
                self.order_log(),
                with_program(program, options)?,
            )?)
        })
    }

    /// One customer's card: stage, points, next expiry, progress and history.
    #[wasm_bindgen(js_name = "stageCard")]
    pub fn stage_card(
        &self,
        program: &JsValue,
        customer: &str,
        options: &JsValue,
    ) -> Result<JsValue, JsValue> {
        call(|| {
            let mut o = with_program(program, options)?;
            if let Value::Object(m) = &mut o {
                m.insert("customer".into(), Value::String(customer.to_owned()));
            }
            to_js_value(&loyalty::card(self.order_log(), o)?)
        })
    }

    /// Everything at once: `{as_of, stages, customers: {id: row}, history, distribution}`.
    #[wasm_bindgen(js_name = "stagesReport")]
    pub fn stages_report(&self, program: &JsValue, options: &JsValue) -> Result<JsValue, JsValue> {
        call(|| {
            to_js_value(&loyalty::stages_report(
                self.order_log(),
                with_program(program, options)?,
            )?)
        })
    }
}

/// Reads and validates a loyalty programme; returns it with every default filled in. Throws an
/// `Error` with `.code = "invalid_program"` naming the bad field.
#[wasm_bindgen(js_name = "readProgram")]
pub fn read_program(program: &JsValue) -> Result<JsValue, JsValue> {
    call(|| to_js_value(&loyalty::program(from_js(program)?)?))
}
