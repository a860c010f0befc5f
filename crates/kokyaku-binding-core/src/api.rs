//! The calls every wrapper exposes, over serde data. A wrapper converts its native inputs to
//! these arguments and the results to native values; nothing else. Options arrive as one flat
//! JSON object per call (see [`crate::options`]).

use kokyaku::cpm::{self, CpmOptions, CpmRow};
use kokyaku::io::{self, IngestReport, ReadOptions};
use kokyaku::model::OrderLog;
use kokyaku::repeat::{self, RepeatOptions, RepeatReport};
use kokyaku::rfm::{self, RfmOptions, SegmentRow};
use kokyaku::summary::{self, CustomerSummaries, SummaryOptions};
use kokyaku::table::{Table, summary_table};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::BindingError;
use crate::options::{finish, normalize, take};

/// An order log read by a binding, with the accounting of the read.
#[derive(Debug, Clone)]
pub struct Log {
    /// The columnar log.
    pub log: OrderLog,
    /// Rows read, accepted, rejected (by reason), orders, refunds …
    pub report: IngestReport,
}

impl From<io::Ingested> for Log {
    fn from(i: io::Ingested) -> Self {
        Self {
            log: i.log,
            report: i.report,
        }
    }
}

/// Input formats a binding reads from text or bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFormat {
    /// Delimited text (the `delimiter` option).
    Csv,
    /// JSON Lines.
    Jsonl,
}

/// The flat column options (`customer_col` …) and the role each fills in `ReadOptions.columns`.
pub const COLUMN_OPTIONS: &[(&str, &str)] = &[
    ("customer_col", "customer"),
    ("order_col", "order"),
    ("time_col", "time"),
    ("amount_col", "amount"),
    ("quantity_col", "quantity"),
    ("unit_price_col", "unit_price"),
    ("currency_col", "currency"),
    ("status_col", "status"),
    ("kind_col", "kind"),
    ("subscription_col", "subscription"),
    ("sku_col", "sku"),
];

/// Read options from a flat options object: the `ReadOptions` fields, plus `customer_col` …
/// (the CLI's `--customer-col` …) for the column mapping, and a delimiter written as the CLI
/// takes it (`","`, `"tab"`, `"whitespace"` …).
pub fn read_options(value: Value) -> Result<ReadOptions, BindingError> {
    crate::options::reader_options(value, COLUMN_OPTIONS)
}

/// Reads an order log from text.
pub fn read_text(format: TextFormat, text: &str, options: Value) -> Result<Log, BindingError> {
    let opts = read_options(options)?;
    Ok(match format {
        TextFormat::Csv => io::read_csv_str(text, &opts)?,
        TextFormat::Jsonl => io::read_jsonl_str(text, &opts)?,
    }
    .into())
}

/// Reads an order log from bytes (UTF-8 text).
pub fn read_bytes(format: TextFormat, bytes: &[u8], options: Value) -> Result<Log, BindingError> {
    let opts = read_options(options)?;
    Ok(match format {
        TextFormat::Csv => io::read_csv(bytes, &opts)?,
        TextFormat::Jsonl => io::read_jsonl(bytes, &opts)?,
    }
    .into())
}

/// JavaScript has only f64 numbers: a whole number arrives as `100.0`. Writes such values as
/// integers so that `100` reads as the decimal `100` (as from Python or CSV), not `100.0`.
fn integral_numbers(v: &Value) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    match v {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < EXACT => Value::from(f as i64),
            _ => v.clone(),
        },
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), integral_numbers(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(integral_numbers).collect()),
        other => other.clone(),
    }
}

/// Reads an order log from a file, streamed (not loaded whole); a `.gz` file is decompressed.
pub fn read_file(format: TextFormat, path: &str, options: Value) -> Result<Log, BindingError> {
    let opts = read_options(options)?;
    // `.gz` is decompressed, as `kokyaku::io::read_path` does.
    let file = io::open_path(std::path::Path::new(path))?;
    let reader = std::io::BufReader::with_capacity(1 << 16, file);
    Ok(match format {
        TextFormat::Csv => io::read_csv(reader, &opts)?,
        TextFormat::Jsonl => io::read_jsonl(reader, &opts)?,
    }
    .into())
}

/// Reads an order log from records (objects of column name → value), with the same column
/// detection, time parsing and policies as JSON Lines.
pub fn read_records(records: &[Value], options: Value) -> Result<Log, BindingError> {
    let mut text = String::new();
    for (i, r) in records.iter().enumerate() {
        if !r.is_object() {
            return Err(BindingError::new(
                "malformed_input",
                format!(
                    "malformed input at row {}: expected an object (column name → value), got {r}",
                    i + 1
                ),
            ));
        }
        text.push_str(&integral_numbers(r).to_string());
        text.push('\n');
    }
    if records.is_empty() {
        return Err(kokyaku::Error::EmptyInput("no records".into()).into());
    }
    read_text(TextFormat::Jsonl, &text, options)
}

/// Record types (`kokyaku::model::{Customer, Order, Refund, Subscription}`) as one object:
/// `{timezone, customers?, orders, refunds?, subscriptions?}` — for logs with a subscription
/// table or typed records. The report counts every record (order, refund, customer,
/// subscription) as read and accepted, with `customer_records` and `subscription_records`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordSet {
    /// IANA time zone for day boundaries (default `UTC`).
    #[serde(default)]
    pub timezone: Option<String>,
    /// Customers.
    #[serde(default)]
    pub customers: Vec<kokyaku::model::Customer>,
    /// Orders.
    #[serde(default)]
    pub orders: Vec<kokyaku::model::Order>,
    /// Refunds.
    #[serde(default)]
    pub refunds: Vec<kokyaku::model::Refund>,
    /// Subscriptions.
    #[serde(default)]
    pub subscriptions: Vec<kokyaku::model::Subscription>,
}

/// Builds a log from [`RecordSet`] data.
pub fn read_record_set(value: Value) -> Result<Log, BindingError> {
    let r: RecordSet = serde_json::from_value(value).map_err(|e| {
        BindingError::new(
            "malformed_input",
            format!("malformed input: order records: {e}"),
        )
    })?;
    let tz = io::parse_tz(r.timezone.as_deref().unwrap_or("UTC"))?;
    let log = OrderLog::from_records(tz, &r.customers, &r.orders, &r.refunds, &r.subscriptions)?;
    let mut report = IngestReport::default();
    // Every record is a row: orders, refunds, customers and subscriptions alike.
    let n = (r.orders.len() + r.refunds.len() + r.customers.len() + r.subscriptions.len()) as u64;
    report.rows_read = n;
    report.rows_accepted = n;
    report.orders = r.orders.len() as u64;
    report.refunds = r.refunds.len() as u64;
    report.customer_records = r.customers.len() as u64;
    report.subscription_records = r.subscriptions.len() as u64;
    report.customers = log.n_customers() as u64;
    Ok(Log { log, report })
}

/// The analyses [`analyze`] runs by name (the `function` of the golden vectors).
pub const ANALYSES: &[&str] = &[
    "repeat_metrics",
    "subscription_continuation",
    "retention",
    "revenue_curves",
    "period_churn",
    "rfm_segments",
    "cpm_classes",
    "cpm_transitions",
    "stages",
];

/// Runs one analysis by name with its options; the result as serde data.
pub fn analyze(log: &OrderLog, function: &str, options: Value) -> Result<Value, BindingError> {
    use crate::options::from_value;
    use kokyaku::cohort;
    match function {
        "repeat_metrics" => to_value(&repeat(log, options)?),
        "subscription_continuation" => to_value(&repeat::subscription_continuation(
            log,
            &from_value(options)?,
        )?),
        "retention" => to_value(&cohort::retention(log, &from_value(options)?)?),
        "revenue_curves" => to_value(&cohort::revenue_curves(log, &from_value(options)?)?),
        "period_churn" => to_value(&cohort::period_churn(log, &from_value(options)?)?),
        "rfm_segments" => to_value(&rfm_segments(log, options)?),
        "cpm_classes" => to_value(&cpm_classes(log, options)?),
        "cpm_transitions" => {
            let mut m = normalize(options)?;
            let as_of = match m.remove("as_of") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(kokyaku::model::parse_date("as_of", &s)?),
                Some(other) => {
                    return Err(BindingError::option(
                        "as_of",
                        format!("expected a date string, got {other}"),
                    ));
                }
            };
            let o: CpmOptions = take(&mut m)?;
            finish(&m)?;
            to_value(&cpm::transitions(log, as_of, &o)?)
        }
        "stages" => crate::loyalty::stages_report(log, options),
        other => Err(BindingError::option(
            "function",
            format!(
                "unknown analysis '{other}': use one of {}",
                ANALYSES.join(", ")
            ),
        )),
    }
}

/// Which parts the per-customer table has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parts {
    /// Summary columns only.
    Summary,
    /// Summary and RFM scores with segment.
    Rfm,
    /// Summary and CPM class.
    Cpm,
    /// Summary, RFM and CPM (what `kokyaku summary` writes).
    All,
}

/// Options of the per-customer calls, split from one flat object.
#[derive(Debug, Clone, Default)]
pub struct CustomerOptions {
    /// Summary options (`as_of`, `dormant_days` …).
    pub summary: SummaryOptions,
    /// RFM options (`recency`, `frequency`, `monetary`, `frequency_basis`, `segments`).
    pub rfm: RfmOptions,
    /// CPM options.
    pub cpm: CpmOptions,
}

/// Splits a flat options object into the summary, RFM and CPM options the parts need.
pub fn customer_options(value: Value, parts: Parts) -> Result<CustomerOptions, BindingError> {
    let mut m = normalize(value)?;
    let mut o = CustomerOptions {
        summary: take(&mut m)?,
        ..CustomerOptions::default()
    };
    if matches!(parts, Parts::Rfm | Parts::All) {
        o.rfm = take(&mut m)?;
    }
    if matches!(parts, Parts::Cpm | Parts::All) {
        o.cpm = take(&mut m)?;
    }
    finish(&m)?;
    Ok(o)
}

/// The per-customer table (one row per customer, sorted by customer id).
pub fn customers(log: &OrderLog, options: Value, parts: Parts) -> Result<Table, BindingError> {
    Ok(CustomerTable::of_log(log, options, parts)?.table())
}

/// The per-customer analyses behind a table: the summary and, as `parts` asks, RFM scores and
/// CPM classes (on two cores when both, as `kokyaku summary`).
pub struct CustomerTable {
    /// The summaries, in customer-id order.
    pub summary: CustomerSummaries,
    /// RFM scores (parts `rfm`, `all`).
    pub rfm: Option<rfm::RfmScores>,
    /// CPM classes (parts `cpm`, `all`).
    pub cpm: Option<cpm::CpmResult>,
    /// The CPM options (class names).
    pub cpm_options: CpmOptions,
}

/// The file format of a written customers table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// Comma-separated text with a header row.
    Csv,
    /// Apache Parquet (zstd); not in the WASM build.
    Parquet,
}

impl TableFormat {
    /// The format of `path` as `kokyaku summary -o PATH` picks it: Parquet for `.parquet` and
    /// `.pq`, CSV otherwise.
    #[must_use]
    pub fn of_path(path: &std::path::Path) -> Self {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext.eq_ignore_ascii_case("parquet") || ext.eq_ignore_ascii_case("pq") {
            Self::Parquet
        } else {
            Self::Csv
        }
    }
}

impl CustomerTable {
    /// Summarises, scores and classifies the customers of `log`.
    pub fn of_log(log: &OrderLog, options: Value, parts: Parts) -> Result<Self, BindingError> {
        let o = customer_options(options, parts)?;
        let s = summary::summarize(log, &o.summary);
        Self::of_summary(s, o, parts)
    }

    /// Scores and classifies summarised customers, as `parts` asks.
    pub fn of_summary(
        summary: CustomerSummaries,
        o: CustomerOptions,
        parts: Parts,
    ) -> Result<Self, BindingError> {
        let rfm = matches!(parts, Parts::Rfm | Parts::All).then_some(&o.rfm);
        let cpm = matches!(parts, Parts::Cpm | Parts::All).then_some(&o.cpm);
        let (rfm, cpm) = kokyaku::report::score_and_classify(&summary, rfm, cpm)?;
        Ok(Self {
            summary,
            rfm,
            cpm,
            cpm_options: o.cpm,
        })
    }

    fn cpm(&self) -> Option<(&cpm::CpmResult, &CpmOptions)> {
        self.cpm.as_ref().map(|c| (c, &self.cpm_options))
    }

    /// The table.
    #[must_use]
    pub fn table(&self) -> Table {
        summary_table(&self.summary, self.rfm.as_ref(), self.cpm())
    }

    /// The table as Arrow columns (the same table as [`Self::table`]).
    ///
    /// # Errors
    /// A malformed summary (never for one built here).
    #[cfg(feature = "arrow")]
    pub fn record_batch(&self) -> Result<arrow_array::RecordBatch, BindingError> {
        self.record_batch_with(io::TextLayout::Utf8)
    }

    /// The table as Arrow columns with its text laid out as `text` says (string views for
    /// Polars): the same values as [`Self::record_batch`].
    ///
    /// # Errors
    /// A malformed summary (never for one built here).
    #[cfg(feature = "arrow")]
    pub fn record_batch_with(
        &self,
        text: io::TextLayout,
    ) -> Result<arrow_array::RecordBatch, BindingError> {
        Ok(io::summary_record_batch_with(
            &self.summary,
            self.rfm.as_ref(),
            self.cpm(),
            text,
        )?)
    }

    /// Writes the table to `w` as `format`: the bytes `kokyaku summary -o customers.csv` (or
    /// `.parquet`) writes, from typed columns a block at a time.
    ///
    /// # Errors
    /// A failed write; Parquet in a build without it (the WASM build) is `unsupported`.
    pub fn write<W: std::io::Write + Send>(
        &self,
        format: TableFormat,
        w: W,
    ) -> Result<(), BindingError> {
        let (s, rfm, cpm) = (&self.summary, self.rfm.as_ref(), self.cpm());
        match format {
            #[cfg(feature = "arrow")]
            TableFormat::Csv => io::write_summary_csv(s, rfm, cpm, w)?,
            #[cfg(feature = "arrow")]
            TableFormat::Parquet => io::write_summary_parquet(s, rfm, cpm, w)?,
            // Without Arrow (the browser build): the same text from the table (the core tests
            // that both routes write the same bytes).
            #[cfg(not(feature = "arrow"))]
            TableFormat::Csv => summary_table(s, rfm, cpm).write_csv(w)?,
            #[cfg(not(feature = "arrow"))]
            TableFormat::Parquet => {
                return Err(kokyaku::Error::Unsupported(
                    "writing Parquet is not in this build (the browser one): write CSV".into(),
                )
                .into());
            }
        }
        Ok(())
    }

    /// The table as CSV text (the bytes of `kokyaku summary -o customers.csv`).
    ///
    /// # Errors
    /// As [`Self::write`].
    pub fn csv(&self) -> Result<String, BindingError> {
        let mut out = Vec::new();
        self.write(TableFormat::Csv, &mut out)?;
        String::from_utf8(out).map_err(|e| {
            BindingError::from(kokyaku::Error::Unsupported(format!(
                "the customers table is not UTF-8 text: {e}"
            )))
        })
    }

    /// Writes the table to the file at `path` ([`TableFormat::of_path`]); returns the number
    /// of customers written.
    ///
    /// # Errors
    /// The file cannot be created or written (`io_error` naming the path); as [`Self::write`].
    pub fn write_path(&self, path: &std::path::Path) -> Result<usize, BindingError> {
        use std::io::Write as _;
        let io_error = |e: std::io::Error| {
            BindingError::from(kokyaku::Error::Io {
                path: path.display().to_string(),
                source: e,
            })
        };
        let file = std::fs::File::create(path).map_err(io_error)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        self.write(TableFormat::of_path(path), &mut w)?;
        // The last buffered bytes: a failure here (a full disk) is an error, not lost on drop.
        w.flush().map_err(io_error)?;
        Ok(self.summary.len())
    }
}

fn summaries(
    log: &OrderLog,
    options: Value,
    parts: Parts,
) -> Result<(CustomerSummaries, CustomerOptions), BindingError> {
    let o = customer_options(options, parts)?;
    Ok((summary::summarize(log, &o.summary), o))
}

/// The RFM segment table (one row per segment, in segment-map order).
pub fn rfm_segments(log: &OrderLog, options: Value) -> Result<Vec<SegmentRow>, BindingError> {
    let (s, o) = summaries(log, options, Parts::Rfm)?;
    Ok(rfm::score(&s, &o.rfm)?.table)
}

/// The CPM class table (one row per class, in class order).
pub fn cpm_classes(log: &OrderLog, options: Value) -> Result<Vec<CpmRow>, BindingError> {
    let (s, o) = summaries(log, options, Parts::Cpm)?;
    Ok(cpm::classify(&s, &o.cpm)?.table)
}

/// Repeat rate, F2 / Fn conversion and time between orders.
pub fn repeat(log: &OrderLog, options: Value) -> Result<RepeatReport, BindingError> {
    let o: RepeatOptions = crate::options::from_value(options)?;
    Ok(repeat::repeat_metrics(log, &o)?)
}

/// The one-shot report of `kokyaku::report` (what `kokyaku report --format json` prints).
/// Options: `as_of`, and per analysis `summary`, `rfm`, `cpm`, `repeat`, `cohort` objects.
pub fn report(log: &Log, options: Value) -> Result<kokyaku::report::Report, BindingError> {
    let o: kokyaku::report::AnalysisOptions = crate::options::from_value(options)?;
    Ok(kokyaku::report::Report::build(
        &log.log,
        Some(&log.report),
        &o,
    )?)
}

/// Everything the bindings compute on one log, as one serialisable object: what the parity test
/// compares across Rust, Python, Node and WASM.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    /// The ingestion accounting.
    pub ingest: IngestReport,
    /// Repeat metrics.
    pub repeat: RepeatReport,
    /// RFM segment table.
    pub rfm_segments: Vec<SegmentRow>,
    /// CPM class table.
    pub cpm_classes: Vec<CpmRow>,
    /// The per-customer table (summary, RFM, CPM), as records.
    pub customers: Vec<Map<String, Value>>,
}

/// Computes the [`Overview`] of a log. Options: `as_of` (applies to every part) and each part's
/// own options (`dormant_days`, RFM and CPM options, `f2_window_days`, `max_n`).
pub fn overview(log: &Log, options: Value) -> Result<Overview, BindingError> {
    let mut m = normalize(options)?;
    let repeat_opts: RepeatOptions = {
        let mut r = Map::new();
        for k in ["as_of", "f2_window_days", "max_n"] {
            let v = if k == "as_of" {
                m.get(k).cloned()
            } else {
                m.remove(k)
            };
            if let Some(v) = v {
                r.insert(k.to_owned(), v);
            }
        }
        take(&mut r)?
    };
    let o = {
        let mut c = CustomerOptions {
            summary: take(&mut m)?,
            rfm: take(&mut m)?,
            cpm: take(&mut m)?,
        };
        finish(&m)?;
        // keep the summary's as_of in step with the repeat metrics'
        c.summary.as_of = c.summary.as_of.or(repeat_opts.as_of);
        c
    };
    let s = summary::summarize(&log.log, &o.summary);
    let r = rfm::score(&s, &o.rfm)?;
    let c = cpm::classify(&s, &o.cpm)?;
    let table = summary_table(&s, Some(&r), Some((&c, &o.cpm)));
    Ok(Overview {
        ingest: log.report.clone(),
        repeat: repeat::repeat_metrics(&log.log, &repeat_opts)?,
        rfm_segments: r.table.clone(),
        cpm_classes: c.table.clone(),
        customers: table.to_records(),
    })
}

/// A table as columns: `{"columns": [names], "types": {name: type}, "data": {name: [values]}}`
/// with types `str`, `int`, `float`, `bool`, `date` (dates as ISO strings). Wrappers build their
/// native frames from it.
#[must_use]
pub fn table_columns(t: &Table) -> Value {
    use kokyaku::table::Column;
    let mut data = Map::new();
    let mut types = Map::new();
    for (name, col) in t.names.iter().zip(&t.columns) {
        let (ty, v) = match col {
            Column::Str(v) => ("str", serde_json::to_value(v)),
            Column::Int(v) => ("int", serde_json::to_value(v)),
            Column::Float(v) => ("float", serde_json::to_value(v)),
            Column::Bool(v) => ("bool", serde_json::to_value(v)),
            Column::Date(v) => (
                "date",
                serde_json::to_value(
                    v.iter()
                        .map(|d| d.map(|d| d.to_string()))
                        .collect::<Vec<_>>(),
                ),
            ),
        };
        data.insert(name.clone(), v.unwrap_or(Value::Null));
        types.insert(name.clone(), Value::from(ty));
    }
    serde_json::json!({ "columns": t.names, "types": types, "data": data })
}

/// Serialises a result to a JSON value (the wrappers' one path to native values).
pub fn to_value<T: Serialize>(t: &T) -> Result<Value, BindingError> {
    serde_json::to_value(t).map_err(|e| {
        BindingError::new("panic", format!("internal error serialising a result: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CSV: &str = "customer_id,order_id,placed_at,amount\n\
        a,1,2024-01-05,100\n\
        a,2,2024-02-10,50\n\
        b,3,2024-03-01,80\n\
        c,4,2024-03-02,x\n";

    #[test]
    fn reads_csv_with_flat_options_and_accounts_for_rows() {
        let log = read_text(
            TextFormat::Csv,
            CSV,
            json!({"customerCol": "customer_id", "delimiter": ","}),
        )
        .unwrap();
        assert_eq!(log.report.rows_read, 4);
        assert_eq!(log.report.rows_accepted + log.report.rows_rejected, 4);
        assert_eq!(log.log.n_customers(), 2);
    }

    #[test]
    fn records_read_like_jsonl() {
        let recs: Vec<Value> = vec![
            json!({"customer_id": "a", "order_id": "1", "placed_at": "2024-01-05", "amount": 100}),
            json!({"customer_id": "b", "order_id": "2", "placed_at": "2024-01-06", "amount": 20.5}),
        ];
        let log = read_records(&recs, Value::Null).unwrap();
        assert_eq!(log.log.n_orders(), 2);
        assert_eq!(
            read_records(&[], Value::Null).unwrap_err().code,
            "empty_input"
        );
        assert_eq!(
            read_records(&[json!(3)], Value::Null).unwrap_err().code,
            "malformed_input"
        );
    }

    #[test]
    fn customer_table_and_option_errors() {
        let log = read_text(TextFormat::Csv, CSV, Value::Null).unwrap();
        let t = customers(&log.log, json!({"as_of": "2024-04-01"}), Parts::All).unwrap();
        assert_eq!(t.n_rows(), 2);
        assert!(t.names.iter().any(|n| n == "rfm_segment"));
        let e = customers(
            &log.log,
            json!({"as_of": "2024-04-01", "bogus": 1}),
            Parts::Summary,
        )
        .unwrap_err();
        assert_eq!(e.code, "invalid_option");
        let e = read_text(TextFormat::Csv, CSV, json!({"delimiter": "?"})).unwrap_err();
        assert_eq!(e.code, "invalid_option");
    }

    #[test]
    fn report_serialises() {
        let log = read_text(TextFormat::Csv, CSV, Value::Null).unwrap();
        let r = to_value(
            &report(
                &log,
                json!({"asOf": "2024-04-01", "repeat": {"f2WindowDays": 30}}),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(r["ingestion"]["rows_read"], 4);
        assert_eq!(r["repeat"]["window_days"], 30);
        assert_eq!(
            report(&log, json!({"bogus": 1})).unwrap_err().code,
            "invalid_option"
        );
    }

    #[test]
    fn overview_serialises() {
        let log = read_text(TextFormat::Csv, CSV, Value::Null).unwrap();
        let o = overview(&log, json!({"as_of": "2024-04-01"})).unwrap();
        let v = to_value(&o).unwrap();
        assert_eq!(v["ingest"]["rows_read"], 4);
        assert_eq!(v["customers"].as_array().unwrap().len(), 2);
    }
}

#[cfg(test)]
mod js_number_tests {
    use super::*;

    #[test]
    fn whole_floats_read_as_integers() {
        let recs = vec![
            serde_json::json!({"customer_id": "a", "order_id": "1", "placed_at": "2024-01-05", "amount": 100.0}),
        ];
        let log = read_records(&recs, Value::Null).unwrap();
        let t = customers(&log.log, Value::Null, Parts::Summary).unwrap();
        assert_eq!(t.to_records()[0]["net"], "100");
    }
}
