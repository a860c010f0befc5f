//! Loyalty programmes (mirrors `kokyaku::loyalty`): stages, points, progress, history and the
//! month-end distribution. `program` is a plain object or JSON text (see `docs/loyalty.md`);
//! options are `asOf`, `redemptions`, `invitations` (camelCase or `snake_case` keys).

use kokyaku_binding_core::{api, loyalty};
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::errors::{Result, call};
use crate::log::OrderLog;

fn with_program(program: Value, options: Option<Value>) -> Value {
    let mut m = match options {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    m.insert("program".into(), program);
    Value::Object(m)
}

#[napi]
impl OrderLog {
    /// Each customer's stage, points and progress to the next stage as of `asOf`: one plain
    /// object per customer, sorted by customer id (exact decimal strings for money).
    #[napi(
        ts_args_type = "program: LoyaltyProgram | string, options?: StageOptions",
        ts_return_type = "Array<StageRow>"
    )]
    pub fn stages(
        &self,
        program: Value,
        options: Option<Value>,
    ) -> Result<Vec<Map<String, Value>>> {
        call(|| {
            Ok(
                loyalty::stages_table(self.order_log(), with_program(program, options))?
                    .to_records(),
            )
        })
    }

    /// Every stage change: `{customer_id, date, from, to, reason, order_id}`.
    #[napi(
        ts_args_type = "program: LoyaltyProgram | string, options?: StageOptions",
        ts_return_type = "Array<StageChange>"
    )]
    pub fn stage_history(&self, program: Value, options: Option<Value>) -> Result<Value> {
        call(|| loyalty::stage_history(self.order_log(), with_program(program, options)))
    }

    /// Stage counts at every month end, upgrades / downgrades and the transition matrix.
    #[napi(
        ts_args_type = "program: LoyaltyProgram | string, options?: StageOptions",
        ts_return_type = "StageDistribution"
    )]
    pub fn stage_distribution(&self, program: Value, options: Option<Value>) -> Result<Value> {
        call(|| loyalty::stage_distribution(self.order_log(), with_program(program, options)))
    }

    /// One customer's card: stage, points, next expiry, progress and history.
    #[napi(
        ts_args_type = "program: LoyaltyProgram | string, customer: string, options?: StageOptions",
        ts_return_type = "StageCard"
    )]
    pub fn stage_card(
        &self,
        program: Value,
        customer: String,
        options: Option<Value>,
    ) -> Result<Value> {
        let mut o = with_program(program, options);
        if let Value::Object(m) = &mut o {
            m.insert("customer".into(), Value::String(customer));
        }
        call(|| loyalty::card(self.order_log(), o))
    }

    /// Everything at once: `{as_of, stages, customers: {id: row}, history, distribution}`
    /// (options `history: true`, `distribution: true`).
    #[napi(
        ts_args_type = "program: LoyaltyProgram | string, options?: StageOptions & { history?: boolean, distribution?: boolean }",
        ts_return_type = "Record<string, any>"
    )]
    pub fn stages_report(&self, program: Value, options: Option<Value>) -> Result<Value> {
        call(|| loyalty::stages_report(self.order_log(), with_program(program, options)))
    }
}

/// Reads and validates a loyalty programme; returns it with every default filled in. Throws an
/// `Error` with `.code = "invalid_program"` naming the bad field.
#[napi(
    ts_args_type = "program: LoyaltyProgram | string",
    ts_return_type = "LoyaltyProgram"
)]
pub fn read_program(program: Value) -> Result<Value> {
    call(|| api::to_value(&loyalty::program(program)?))
}
