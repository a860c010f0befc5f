//! Campaign results, sale-period comparison and acquisition economics (mirrors
//! `kokyaku::campaign` and `kokyaku::acquisition`). Plain objects out; options as one plain
//! object (camelCase or `snake_case` keys).

use kokyaku_binding_core::BindingError;
use kokyaku_binding_core::api::TextFormat;
use kokyaku_binding_core::campaign as core;
use wasm_bindgen::prelude::*;

use crate::errors::{call, from_js, to_js_value};
use crate::log::OrderLog;

/// Deliveries (one per distinct campaign, channel and customer), with how they were read.
#[wasm_bindgen]
pub struct Deliveries {
    inner: core::Deliveries,
}

#[wasm_bindgen]
impl Deliveries {
    /// Number of deliveries.
    #[wasm_bindgen(getter, js_name = "nDeliveries")]
    #[must_use]
    pub fn n_deliveries(&self) -> u32 {
        self.inner.deliveries.len() as u32
    }

    /// How the deliveries were read (`rows_read` = `rows_accepted` + `rows_rejected` …).
    #[wasm_bindgen(getter)]
    pub fn ingestion(&self) -> Result<JsValue, JsValue> {
        call(|| to_js_value(&self.inner.report))
    }
}

fn read(format: TextFormat, input: &JsValue, options: &JsValue) -> Result<Deliveries, JsValue> {
    call(|| {
        let options = from_js(options)?;
        if let Some(text) = input.as_string() {
            core::read_deliveries(format, text.as_bytes(), options)
        } else if let Some(bytes) = input.dyn_ref::<js_sys::Uint8Array>() {
            core::read_deliveries(format, &bytes.to_vec(), options)
        } else {
            Err(BindingError::option(
                "input",
                "expected a string or a Uint8Array",
            ))
        }
    })
    .map(|inner| Deliveries { inner })
}

/// Reads deliveries from CSV (a string or UTF-8 bytes). Options as in the Node package.
#[wasm_bindgen(js_name = "readDeliveriesCsv")]
pub fn read_deliveries_csv(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] input: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Record<string, unknown> | undefined")] options: &JsValue,
) -> Result<Deliveries, JsValue> {
    read(TextFormat::Csv, input, options)
}

/// Reads deliveries from JSON Lines.
#[wasm_bindgen(js_name = "readDeliveriesJsonl")]
pub fn read_deliveries_jsonl(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] input: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Record<string, unknown> | undefined")] options: &JsValue,
) -> Result<Deliveries, JsValue> {
    read(TextFormat::Jsonl, input, options)
}

/// Reads deliveries from plain objects (column name → value).
#[wasm_bindgen(js_name = "deliveriesFromRecords")]
pub fn deliveries_from_records(
    #[wasm_bindgen(unchecked_param_type = "Array<Record<string, unknown>>")] records: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Record<string, unknown> | undefined")] options: &JsValue,
) -> Result<Deliveries, JsValue> {
    call(|| {
        let recs: Vec<serde_json::Value> = serde_wasm_bindgen::from_value(records.clone())
            .map_err(|e| {
                BindingError::new(
                    "malformed_input",
                    format!("malformed input: delivery records: {e}"),
                )
            })?;
        core::read_delivery_records(&recs, from_js(options)?)
    })
    .map(|inner| Deliveries { inner })
}

/// Campaign results (as in the Node package). Options: `windowDays`, `confidence`, `asOf`,
/// `segmentRules`.
#[wasm_bindgen(js_name = "campaignResults")]
pub fn campaign_results(
    log: &OrderLog,
    deliveries: &Deliveries,
    #[wasm_bindgen(unchecked_param_type = "Record<string, unknown> | undefined")] options: &JsValue,
) -> Result<JsValue, JsValue> {
    call(|| {
        to_js_value(&core::campaign_results(
            &log.inner.log,
            &deliveries.inner,
            from_js(options)?,
        )?)
    })
}

/// A sale period against a reference period, with the CVR of the customers the deliveries
/// reached. Options: `saleStart`, `saleEnd`, `referenceStart`, `referenceEnd`. (Unlike the
/// Node package, `deliveries` cannot be `null` here: wasm-bindgen has no optional borrowed
/// class argument; use `comparePeriodsWithoutDeliveries`.)
#[wasm_bindgen(js_name = "comparePeriods")]
pub fn compare_periods(
    log: &OrderLog,
    deliveries: &Deliveries,
    #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] options: &JsValue,
) -> Result<JsValue, JsValue> {
    call(|| {
        to_js_value(&core::compare_periods(
            &log.inner.log,
            Some(&deliveries.inner),
            from_js(options)?,
        )?)
    })
}

/// A sale period against a reference period without deliveries (no CVR).
#[wasm_bindgen(js_name = "comparePeriodsWithoutDeliveries")]
pub fn compare_periods_without_deliveries(
    log: &OrderLog,
    #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] options: &JsValue,
) -> Result<JsValue, JsValue> {
    call(|| {
        to_js_value(&core::compare_periods(
            &log.inner.log,
            None,
            from_js(options)?,
        )?)
    })
}

/// Acquisition economics per split. Options: `by`, `asOf`, `maxMonths`, `cpa`, `predict`,
/// `model`, `horizonMonths`, `minCustomersToFit`.
#[wasm_bindgen]
pub fn acquisition(
    log: &OrderLog,
    #[wasm_bindgen(unchecked_param_type = "Record<string, unknown> | undefined")] options: &JsValue,
) -> Result<JsValue, JsValue> {
    call(|| to_js_value(&core::acquisition(&log.inner.log, from_js(options)?)?))
}

/// The same calls as methods of the log (as in the Python and Node packages).
#[wasm_bindgen]
impl OrderLog {
    /// Campaign results of `deliveries` against this log (as `campaignResults(log, …)`).
    #[wasm_bindgen(js_name = "campaignResults")]
    pub fn campaign_results_method(
        &self,
        deliveries: &Deliveries,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown> | undefined")]
        options: &JsValue,
    ) -> Result<JsValue, JsValue> {
        campaign_results(self, deliveries, options)
    }

    /// A sale period against a reference period with the deliveries' CVR (as
    /// `comparePeriods(log, …)`).
    #[wasm_bindgen(js_name = "comparePeriods")]
    pub fn compare_periods_method(
        &self,
        deliveries: &Deliveries,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] options: &JsValue,
    ) -> Result<JsValue, JsValue> {
        compare_periods(self, deliveries, options)
    }

    /// Acquisition economics per split (as `acquisition(log, …)`).
    #[wasm_bindgen(js_name = "acquisition")]
    pub fn acquisition_method(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown> | undefined")]
        options: &JsValue,
    ) -> Result<JsValue, JsValue> {
        acquisition(self, options)
    }
}
