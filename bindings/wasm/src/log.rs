//! The order log and its analyses (mirrors `kokyaku::summary`, `rfm`, `cpm`, `repeat`,
//! `cohort`). Options are one plain object per call (camelCase or `snake_case` keys).

use kokyaku_binding_core::BindingError;
use kokyaku_binding_core::api::{self, Log, Parts};
use wasm_bindgen::prelude::*;

use crate::errors::{call, from_js, to_js_value};

/// A columnar order log, with the accounting of how it was read.
#[wasm_bindgen]
pub struct OrderLog {
    pub(crate) inner: Log,
}

impl OrderLog {
    /// The log and its ingestion report.
    pub(crate) fn inner(&self) -> &Log {
        &self.inner
    }
}

impl From<Log> for OrderLog {
    fn from(inner: Log) -> Self {
        Self { inner }
    }
}

impl OrderLog {
    /// The core log (for the other modules' calls).
    pub(crate) fn order_log(&self) -> &kokyaku::model::OrderLog {
        &self.inner.log
    }

    fn table(&self, options: &JsValue, parts: Parts) -> Result<JsValue, JsValue> {
        call(|| {
            to_js_value(&api::customers(&self.inner.log, from_js(options)?, parts)?.to_records())
        })
    }
    fn run(&self, analysis: &str, options: &JsValue) -> Result<JsValue, JsValue> {
        call(|| to_js_value(&api::analyze(&self.inner.log, analysis, from_js(options)?)?))
    }
}

#[wasm_bindgen]
impl OrderLog {
    /// Number of customers.
    #[wasm_bindgen(getter, js_name = "nCustomers")]
    #[must_use]
    pub fn n_customers(&self) -> u32 {
        self.inner.log.n_customers() as u32
    }

    /// Number of orders (completed and cancelled).
    #[wasm_bindgen(getter, js_name = "nOrders")]
    #[must_use]
    pub fn n_orders(&self) -> u32 {
        self.inner.log.n_orders() as u32
    }

    /// How the log was read: `rows_read` = `rows_accepted` + `rows_rejected`, rejections by reason,
    /// examples …
    #[wasm_bindgen(getter)]
    pub fn ingestion(&self) -> Result<JsValue, JsValue> {
        call(|| to_js_value(&self.inner.report))
    }

    /// The one-shot report (what `kokyaku report --format json` prints). Options: `asOf`, and
    /// per analysis an object: `summary`, `rfm`, `cpm`, `repeat`, `cohort`.
    pub fn report(&self, options: &JsValue) -> Result<JsValue, JsValue> {
        call(|| to_js_value(&api::report(&self.inner, from_js(options)?)?))
    }

    /// `report` as the JSON text Rust wrote (what the parity test compares).
    #[wasm_bindgen(js_name = "reportJson")]
    pub fn report_json(&self, options: &JsValue) -> Result<String, JsValue> {
        call(|| {
            let r = api::report(&self.inner, from_js(options)?)?;
            serde_json::to_string(&r).map_err(|e| {
                BindingError::new("panic", format!("internal error serialising a result: {e}"))
            })
        })
    }

    /// One object per customer (summary). Options: `asOf`, `dormantDays`, `subscriptionLapseDays`.
    pub fn summary(&self, options: &JsValue) -> Result<JsValue, JsValue> {
        self.table(options, Parts::Summary)
    }

    /// The summary plus RFM scores `r`, `f`, `m` and `rfm_segment`.
    pub fn rfm(&self, options: &JsValue) -> Result<JsValue, JsValue> {
        self.table(options, Parts::Rfm)
    }

    /// The summary plus the CPM class (`cpm_class`, `cpm_name`).
    pub fn cpm(&self, options: &JsValue) -> Result<JsValue, JsValue> {
        self.table(options, Parts::Cpm)
    }

    /// Summary, RFM and CPM in one table.
    pub fn customers(&self, options: &JsValue) -> Result<JsValue, JsValue> {
        self.table(options, Parts::All)
    }

    /// The customers table as CSV text: the bytes `kokyaku summary -o customers.csv` writes
    /// (e.g. for a download link).
    #[wasm_bindgen(js_name = "customersCsv")]
    pub fn customers_csv(&self, options: &JsValue) -> Result<String, JsValue> {
        call(|| api::CustomerTable::of_log(&self.inner.log, from_js(options)?, Parts::All)?.csv())
    }

    /// Repeat rate, F2 / Fn conversion, time between orders.
    pub fn repeat(&self, options: &JsValue) -> Result<JsValue, JsValue> {
        self.run("repeat_metrics", options)
    }

    /// One row per RFM segment.
    #[wasm_bindgen(js_name = "rfmSegments")]
    pub fn rfm_segments(&self, options: &JsValue) -> Result<JsValue, JsValue> {
        self.run("rfm_segments", options)
    }

    /// One row per CPM class.
    #[wasm_bindgen(js_name = "cpmClasses")]
    pub fn cpm_classes(&self, options: &JsValue) -> Result<JsValue, JsValue> {
        self.run("cpm_classes", options)
    }

    /// Runs one analysis by name: `repeat_metrics`, `subscription_continuation`, `retention`,
    /// `revenue_curves`, `period_churn`, `rfm_segments`, `cpm_classes`, `cpm_transitions`.
    pub fn analyze(&self, analysis: &str, options: &JsValue) -> Result<JsValue, JsValue> {
        self.run(analysis, options)
    }

    /// Everything at once, as the JSON text Rust wrote (what the parity test compares).
    #[wasm_bindgen(js_name = "overviewJson")]
    pub fn overview_json(&self, options: &JsValue) -> Result<String, JsValue> {
        call(|| {
            let o = api::overview(&self.inner, from_js(options)?)?;
            serde_json::to_string(&o).map_err(|e| {
                BindingError::new("panic", format!("internal error serialising a result: {e}"))
            })
        })
    }
}
