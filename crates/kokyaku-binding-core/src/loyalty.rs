//! Loyalty programmes for the wrappers: one flat options object per call,
//! `{program, as_of?, history?, distribution?, redemptions?, invitations?, customer?}`, where
//! `program` is the programme as an object or as JSON text (see `docs/loyalty.md`).

use kokyaku::loyalty::{self, LoyaltyEvents, Program, StageOptions, Stages};
use kokyaku::model::OrderLog;
use kokyaku::table::Table;
use serde_json::{Map, Value};

use crate::BindingError;
use crate::options::{finish, normalize, take};

/// A parsed call: the programme, its events and the evaluation options.
#[derive(Debug, Clone)]
pub struct StagesCall {
    /// The programme.
    pub program: Program,
    /// Redemptions and invitations.
    pub events: LoyaltyEvents,
    /// `as_of`, `history`, `distribution`.
    pub options: StageOptions,
    /// A customer id for [`card`].
    pub customer: Option<String>,
}

/// Reads a programme from an object or JSON text.
pub fn program(value: Value) -> Result<Program, BindingError> {
    Ok(match value {
        Value::String(s) => Program::from_json(&s)?,
        other => Program::from_value(other)?,
    })
}

/// Splits the flat options object of a stages call.
pub fn stages_call(options: Value) -> Result<StagesCall, BindingError> {
    let mut m = normalize(options)?;
    // The programme keeps its own keys (stage ids are values; field names are snake_case).
    let prog = match m.remove("program") {
        None | Some(Value::Null) => {
            return Err(BindingError::option(
                "program",
                "a loyalty programme is required (an object or JSON text; see docs/loyalty.md)",
            ));
        }
        Some(v) => program(v)?,
    };
    let customer = match m.remove("customer") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => {
            return Err(BindingError::option(
                "customer",
                format!("expected a customer id string, got {other}"),
            ));
        }
    };
    let mut ev = Map::new();
    for k in ["redemptions", "invitations"] {
        if let Some(v) = m.remove(k) {
            if !v.is_null() {
                ev.insert(k.to_owned(), v);
            }
        }
    }
    let events: LoyaltyEvents = serde_json::from_value(Value::Object(ev))
        .map_err(|e| BindingError::option("redemptions/invitations", e))?;
    let opts: StageOptions = take(&mut m)?;
    finish(&m)?;
    Ok(StagesCall {
        program: prog,
        events,
        options: opts,
        customer,
    })
}

/// Evaluates a stages call.
pub fn evaluate(log: &OrderLog, call: &StagesCall) -> Result<Stages, BindingError> {
    Ok(loyalty::evaluate(
        log,
        &call.program,
        &call.events,
        &call.options,
    )?)
}

/// `{as_of, stages, customers: {id: row}, history, distribution}` (the golden-vector shape).
pub fn stages_report(log: &OrderLog, options: Value) -> Result<Value, BindingError> {
    let call = stages_call(options)?;
    Ok(loyalty::report_value(&evaluate(log, &call)?))
}

/// The per-customer stage table.
pub fn stages_table(log: &OrderLog, options: Value) -> Result<Table, BindingError> {
    let call = stages_call(options)?;
    Ok(loyalty::stages_table(&evaluate(log, &call)?))
}

/// The per-customer stage table as typed Arrow columns (the table's values, no text per
/// cell): what the Python wrapper hands to pandas / Polars / pyarrow.
#[cfg(feature = "arrow")]
pub fn stages_batch(
    log: &OrderLog,
    options: Value,
) -> Result<kokyaku::io::RecordBatch, BindingError> {
    let call = stages_call(options)?;
    Ok(loyalty::stages_record_batch(&evaluate(log, &call)?)?)
}

/// The stage changes as records (history is always kept for this call).
pub fn stage_history(log: &OrderLog, options: Value) -> Result<Value, BindingError> {
    let mut call = stages_call(options)?;
    call.options.history = true;
    crate::api::to_value(&loyalty::history_rows(&evaluate(log, &call)?))
}

/// The month-end distribution and transition matrix.
pub fn stage_distribution(log: &OrderLog, options: Value) -> Result<Value, BindingError> {
    let mut call = stages_call(options)?;
    call.options.distribution = true;
    crate::api::to_value(&evaluate(log, &call)?.distribution)
}

/// One customer's card (`customer` option required).
pub fn card(log: &OrderLog, options: Value) -> Result<Value, BindingError> {
    let mut call = stages_call(options)?;
    call.options.history = true;
    let Some(id) = call.customer.clone() else {
        return Err(BindingError::option(
            "customer",
            "give the customer id of the card",
        ));
    };
    let Some(i) = log.find_customer(&id) else {
        return Err(kokyaku::Error::InvalidValue {
            value: id.clone(),
            location: kokyaku::Location::customer(&id),
            reason: "this customer is not in the order log".into(),
        }
        .into());
    };
    crate::api::to_value(&loyalty::card(&evaluate(log, &call)?, i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn programme_errors_name_the_field() {
        let log = crate::api::read_text(
            crate::api::TextFormat::Csv,
            "customer_id,order_id,placed_at,amount\na,1,2024-01-05,100\n",
            Value::Null,
        )
        .unwrap();
        let e = stages_report(
            &log.log,
            json!({"program": {"stages": [{"id": "base"}, {"id": "gold", "spend": "-1"}], "window": {"kind": "calendar_year"}}}),
        )
        .unwrap_err();
        assert_eq!(e.code, "invalid_program");
        assert!(e.message.contains("stages[1].spend"), "{}", e.message);
        let e = stages_report(&log.log, json!({})).unwrap_err();
        assert_eq!(e.code, "invalid_option");
        let ok = card(
            &log.log,
            json!({"program": "{\"stages\": [{\"id\": \"base\"}, {\"id\": \"gold\", \"spend\": 50}], \"window\": {\"kind\": \"calendar_year\"}}", "customer": "a", "asOf": "2024-01-31"}),
        )
        .unwrap();
        assert_eq!(ok["stage"], "gold");
    }
}
