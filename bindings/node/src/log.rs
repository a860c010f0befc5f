//! The order log and its analyses (mirrors `kokyaku::summary`, `rfm`, `cpm`, `repeat`,
//! `cohort`). Options are one plain object per call (camelCase or `snake_case` keys).

use kokyaku_binding_core::BindingError;
use kokyaku_binding_core::api::{self, Log, Parts};
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::errors::{Result, call};

fn opts(o: Option<Value>) -> Value {
    o.unwrap_or(Value::Null)
}

fn json<T: serde::Serialize>(t: &T) -> std::result::Result<String, BindingError> {
    serde_json::to_string(t).map_err(|e| {
        BindingError::new("panic", format!("internal error serialising a result: {e}"))
    })
}

/// A columnar order log, with the accounting of how it was read.
#[napi]
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

    fn table(&self, options: Option<Value>, parts: Parts) -> Result<Vec<Map<String, Value>>> {
        call(|| Ok(api::customers(&self.inner.log, opts(options), parts)?.to_records()))
    }
}

#[napi]
impl OrderLog {
    /// Number of customers.
    #[napi(getter)]
    #[must_use]
    pub fn n_customers(&self) -> u32 {
        self.inner.log.n_customers() as u32
    }

    /// Number of orders (completed and cancelled).
    #[napi(getter)]
    #[must_use]
    pub fn n_orders(&self) -> u32 {
        self.inner.log.n_orders() as u32
    }

    /// How the log was read: `rows_read` = `rows_accepted` + `rows_rejected`, rejections by reason,
    /// examples … (`snake_case` keys).
    #[napi(getter, ts_return_type = "IngestReport")]
    pub fn ingestion(&self) -> Result<Value> {
        call(|| api::to_value(&self.inner.report))
    }

    /// The one-shot report (what `kokyaku report --format json` prints): ingestion, totals,
    /// repeat metrics, RFM segments, CPM classes, cohort retention. Options: `asOf`, and per
    /// analysis an object: `summary`, `rfm`, `cpm`, `repeat`, `cohort`.
    #[napi(
        ts_args_type = "options?: ReportOptions",
        ts_return_type = "Record<string, any>"
    )]
    pub fn report(&self, options: Option<Value>) -> Result<Value> {
        call(|| api::to_value(&api::report(&self.inner, opts(options))?))
    }

    /// [`report`](Self::report) as the JSON text Rust wrote (what the parity test compares).
    #[napi(ts_args_type = "options?: ReportOptions")]
    pub fn report_json(&self, options: Option<Value>) -> Result<String> {
        call(|| json(&api::report(&self.inner, opts(options))?))
    }

    /// One object per customer: first/last order, orders, purchase days, recency, tenure,
    /// gross / refunds / net (exact decimal strings), average order value, subscription, dormant.
    /// Options: `asOf` (YYYY-MM-DD), `dormantDays`, `subscriptionLapseDays`.
    #[napi(
        ts_args_type = "options?: SummaryOptions",
        ts_return_type = "Array<CustomerRow>"
    )]
    pub fn summary(&self, options: Option<Value>) -> Result<Vec<Map<String, Value>>> {
        self.table(options, Parts::Summary)
    }

    /// The summary plus RFM scores `r`, `f`, `m` and `rfm_segment`.
    #[napi(
        ts_args_type = "options?: SummaryOptions & RfmOptions",
        ts_return_type = "Array<CustomerRow>"
    )]
    pub fn rfm(&self, options: Option<Value>) -> Result<Vec<Map<String, Value>>> {
        self.table(options, Parts::Rfm)
    }

    /// The summary plus the CPM class (`cpm_class`, `cpm_name`).
    #[napi(
        ts_args_type = "options?: SummaryOptions & CpmOptions",
        ts_return_type = "Array<CustomerRow>"
    )]
    pub fn cpm(&self, options: Option<Value>) -> Result<Vec<Map<String, Value>>> {
        self.table(options, Parts::Cpm)
    }

    /// Summary, RFM and CPM in one table.
    #[napi(
        ts_args_type = "options?: SummaryOptions & RfmOptions & CpmOptions",
        ts_return_type = "Array<CustomerRow>"
    )]
    pub fn customers(&self, options: Option<Value>) -> Result<Vec<Map<String, Value>>> {
        self.table(options, Parts::All)
    }

    /// Writes the customers table (what `customers` returns) to `path`: Parquet for `.parquet` /
    /// `.pq`, CSV otherwise, the bytes `kokyaku summary -o PATH` writes, from typed columns.
    /// Returns the number of customers.
    #[napi(ts_args_type = "path: string, options?: SummaryOptions & RfmOptions & CpmOptions")]
    pub fn write_customers(&self, path: String, options: Option<Value>) -> Result<u32> {
        call(|| {
            let n = api::CustomerTable::of_log(&self.inner.log, opts(options), Parts::All)?
                .write_path(std::path::Path::new(&path))?;
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        })
    }

    /// The customers table as CSV text: the bytes `kokyaku summary -o customers.csv` writes.
    #[napi(ts_args_type = "options?: SummaryOptions & RfmOptions & CpmOptions")]
    pub fn customers_csv(&self, options: Option<Value>) -> Result<String> {
        call(|| api::CustomerTable::of_log(&self.inner.log, opts(options), Parts::All)?.csv())
    }

    /// Repeat rate, F2 / Fn conversion, time between orders. Options: `asOf`, `f2WindowDays`, `maxN`.
    #[napi(
        ts_args_type = "options?: RepeatOptions",
        ts_return_type = "RepeatReport"
    )]
    pub fn repeat(&self, options: Option<Value>) -> Result<Value> {
        call(|| api::analyze(&self.inner.log, "repeat_metrics", opts(options)))
    }

    /// One row per RFM segment.
    #[napi(
        ts_args_type = "options?: SummaryOptions & RfmOptions",
        ts_return_type = "Array<Record<string, any>>"
    )]
    pub fn rfm_segments(&self, options: Option<Value>) -> Result<Value> {
        call(|| api::analyze(&self.inner.log, "rfm_segments", opts(options)))
    }

    /// One row per CPM class.
    #[napi(
        ts_args_type = "options?: SummaryOptions & CpmOptions",
        ts_return_type = "Array<Record<string, any>>"
    )]
    pub fn cpm_classes(&self, options: Option<Value>) -> Result<Value> {
        call(|| api::analyze(&self.inner.log, "cpm_classes", opts(options)))
    }

    /// Runs one analysis by name: `repeat_metrics`, `subscription_continuation`, `retention`,
    /// `revenue_curves`, `period_churn`, `rfm_segments`, `cpm_classes`, `cpm_transitions`.
    #[napi(
        ts_args_type = "analysis: Analysis, options?: Record<string, unknown>",
        ts_return_type = "any"
    )]
    pub fn analyze(&self, analysis: String, options: Option<Value>) -> Result<Value> {
        call(|| api::analyze(&self.inner.log, &analysis, opts(options)))
    }

    /// Ingestion report, repeat metrics, RFM segments, CPM classes and the customer table, as
    /// the JSON text Rust wrote (what the parity test compares).
    #[napi(ts_args_type = "options?: Record<string, unknown>")]
    pub fn overview_json(&self, options: Option<Value>) -> Result<String> {
        call(|| json(&api::overview(&self.inner, opts(options))?))
    }
}
