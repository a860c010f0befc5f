//! Campaign results, sale-period comparison and acquisition economics (mirrors
//! `kokyaku::campaign` and `kokyaku::acquisition`). Plain objects out, money as exact decimal
//! strings; options as one plain object (camelCase or `snake_case` keys).

use kokyaku_binding_core::api::TextFormat;
use kokyaku_binding_core::campaign as core;
use napi::Either;
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use serde_json::Value;

use crate::errors::{Result, call};
use crate::log::OrderLog;

/// Deliveries (one per distinct campaign, channel and customer), with how they were read.
#[napi]
pub struct Deliveries {
    inner: core::Deliveries,
}

#[napi]
impl Deliveries {
    /// Number of deliveries.
    #[napi(getter)]
    #[must_use]
    pub fn n_deliveries(&self) -> u32 {
        self.inner.deliveries.len() as u32
    }

    /// How the deliveries were read: `rows_read` = `rows_accepted` + `rows_rejected`,
    /// rejections by reason, examples, deliveries, repeats merged, holdout.
    #[napi(getter, ts_return_type = "Record<string, any>")]
    pub fn ingestion(&self) -> Result<Value> {
        call(|| kokyaku_binding_core::api::to_value(&self.inner.report))
    }
}

fn read(
    format: TextFormat,
    input: Either<String, Buffer>,
    options: Option<Value>,
) -> Result<Deliveries> {
    let options = options.unwrap_or(Value::Null);
    call(|| match &input {
        Either::A(text) => core::read_deliveries(format, text.as_bytes(), options),
        Either::B(bytes) => core::read_deliveries(format, bytes, options),
    })
    .map(|inner| Deliveries { inner })
}

/// Reads deliveries from CSV (a string or a UTF-8 `Buffer`). Options: `timezone` (the order
/// log's), `timeFormat`, `delimiter`, `hasHeader`, `strict`, `customerCol`, `campaignCol`,
/// `channelCol`, `timeCol`, `holdoutCol`, `segmentCol`.
#[napi(ts_args_type = "input: string | Buffer, options?: Record<string, unknown>")]
pub fn read_deliveries_csv(
    input: Either<String, Buffer>,
    options: Option<Value>,
) -> Result<Deliveries> {
    read(TextFormat::Csv, input, options)
}

/// Reads deliveries from JSON Lines.
#[napi(ts_args_type = "input: string | Buffer, options?: Record<string, unknown>")]
pub fn read_deliveries_jsonl(
    input: Either<String, Buffer>,
    options: Option<Value>,
) -> Result<Deliveries> {
    read(TextFormat::Jsonl, input, options)
}

/// Reads deliveries from plain objects (column name → value).
#[napi(ts_args_type = "records: Array<Record<string, unknown>>, options?: Record<string, unknown>")]
pub fn deliveries_from_records(records: Vec<Value>, options: Option<Value>) -> Result<Deliveries> {
    call(|| core::read_delivery_records(&records, options.unwrap_or(Value::Null)))
        .map(|inner| Deliveries { inner })
}

/// Campaign results: `rows` per campaign, channel, segment and customer type with
/// `recipients`, `holdout` and `uplift` (Newcombe and Welch intervals). Options: `windowDays`
/// (7), `confidence` (0.95), `asOf`, `segmentRules` (`{name: rule}`: segments from the rules at
/// send time instead of the deliveries' segment column).
#[napi(
    ts_args_type = "log: OrderLog, deliveries: Deliveries, options?: Record<string, unknown>",
    ts_return_type = "Record<string, any>"
)]
pub fn campaign_results(
    log: &OrderLog,
    deliveries: &Deliveries,
    options: Option<Value>,
) -> Result<Value> {
    call(|| {
        kokyaku_binding_core::api::to_value(&core::campaign_results(
            &log.inner.log,
            &deliveries.inner,
            options.unwrap_or(Value::Null),
        )?)
    })
}

/// A sale period against a reference period. Options: `saleStart`, `saleEnd`,
/// `referenceStart`, `referenceEnd`. The CVR needs deliveries (`null` for none).
#[napi(
    ts_args_type = "log: OrderLog, deliveries: Deliveries | null | undefined, options: Record<string, unknown>",
    ts_return_type = "Record<string, any>"
)]
pub fn compare_periods(
    log: &OrderLog,
    deliveries: Option<&Deliveries>,
    options: Option<Value>,
) -> Result<Value> {
    call(|| {
        kokyaku_binding_core::api::to_value(&core::compare_periods(
            &log.inner.log,
            deliveries.map(|d| &d.inner),
            options.unwrap_or(Value::Null),
        )?)
    })
}

/// Acquisition economics per split: LTV curve, CPA, payback month, model prediction. Options:
/// `by`, `asOf`, `maxMonths`, `cpa` (number or `{split: amount}`), `predict`, `model`,
/// `horizonMonths`, `minCustomersToFit`.
#[napi(
    ts_args_type = "log: OrderLog, options?: Record<string, unknown>",
    ts_return_type = "Record<string, any>"
)]
pub fn acquisition(log: &OrderLog, options: Option<Value>) -> Result<Value> {
    call(|| {
        kokyaku_binding_core::api::to_value(&core::acquisition(
            &log.inner.log,
            options.unwrap_or(Value::Null),
        )?)
    })
}

/// The same calls as methods of the log (as in the Python package).
#[napi]
impl OrderLog {
    /// Campaign results of `deliveries` against this log (as `campaignResults(log, …)`).
    #[napi(
        js_name = "campaignResults",
        ts_args_type = "deliveries: Deliveries, options?: Record<string, unknown>",
        ts_return_type = "Record<string, any>"
    )]
    pub fn campaign_results_method(
        &self,
        deliveries: &Deliveries,
        options: Option<Value>,
    ) -> Result<Value> {
        campaign_results(self, deliveries, options)
    }

    /// A sale period against a reference period (as `comparePeriods(log, …)`).
    #[napi(
        js_name = "comparePeriods",
        ts_args_type = "deliveries: Deliveries | null | undefined, options: Record<string, unknown>",
        ts_return_type = "Record<string, any>"
    )]
    pub fn compare_periods_method(
        &self,
        deliveries: Option<&Deliveries>,
        options: Option<Value>,
    ) -> Result<Value> {
        compare_periods(self, deliveries, options)
    }

    /// Acquisition economics per split (as `acquisition(log, …)`).
    #[napi(
        js_name = "acquisition",
        ts_args_type = "options?: Record<string, unknown>",
        ts_return_type = "Record<string, any>"
    )]
    pub fn acquisition_method(&self, options: Option<Value>) -> Result<Value> {
        acquisition(self, options)
    }
}
