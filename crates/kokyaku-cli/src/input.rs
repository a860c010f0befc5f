//! Input flags shared by every command, reading, and writing outputs.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, ValueEnum};
use kokyaku::io::{
    BadRows, ColumnMap, Delimiter, DuplicateOrder, Format, Ingested, MissingCustomer, ReadOptions,
    read_csv, read_path,
};
use kokyaku::io::{IngestReport, read_path_progress, summarize_path, summarize_path_progress};
use kokyaku::model::parse_date;
use kokyaku::simulate::{SimOptions, SimOrder, simulate_each};
use kokyaku::summary::{CustomerSummaries, SummaryOptions, summarize};
use kokyaku::table::Table;
use kokyaku::{Error, Result};

/// The bundled sample log: 1,500 simulated customers of a Japanese D2C shop (see
/// `data/README.md`).
pub const SAMPLE: &str = include_str!("../data/sample_orders.csv");

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum MissingCustomerArg {
    Reject,
    Anonymous,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DuplicateArg {
    SumLines,
    KeepFirst,
    Error,
    SumAcrossTimes,
}

/// Flags shared by every command that reads an order log.
#[derive(Debug, Args)]
#[allow(clippy::struct_excessive_bools)] // independent command-line switches
pub struct InputArgs {
    /// Order log (CSV/TSV/TXT, JSON Lines or Parquet, by extension).
    pub file: Option<PathBuf>,
    /// Customer id column (name, or 1-based position). On every `--*-col` flag, `-` means the
    /// input has no such column: one detected by its usual name is not read.
    #[arg(long)]
    pub customer_col: Option<String>,
    /// Order id column; without one each row is an order.
    #[arg(long)]
    pub order_col: Option<String>,
    /// Order time column.
    #[arg(long)]
    pub time_col: Option<String>,
    /// Amount column.
    #[arg(long)]
    pub amount_col: Option<String>,
    /// Quantity column (amount = quantity × unit price).
    #[arg(long)]
    pub quantity_col: Option<String>,
    /// Unit price column.
    #[arg(long)]
    pub unit_price_col: Option<String>,
    /// Currency column.
    #[arg(long)]
    pub currency_col: Option<String>,
    /// Status column (completed / cancelled).
    #[arg(long)]
    pub status_col: Option<String>,
    /// Kind column (`one_off` / subscription).
    #[arg(long)]
    pub kind_col: Option<String>,
    /// Subscription id column.
    #[arg(long)]
    pub subscription_col: Option<String>,
    /// Product / SKU column: each row is then an order line (products bought); `-` for none.
    #[arg(long)]
    pub sku_col: Option<String>,
    /// Time format: strftime (e.g. %Y%m%d), `epoch`, `epoch_ms`; default detects.
    #[arg(long)]
    pub time_format: Option<String>,
    /// IANA time zone for naive times and day boundaries (e.g. Asia/Tokyo).
    #[arg(long)]
    pub timezone: Option<String>,
    /// Field delimiter: ',', ';', 'tab', '|' or 'whitespace'.
    #[arg(long)]
    pub delimiter: Option<String>,
    /// The file has no header row (name columns by 1-based position).
    #[arg(long)]
    pub no_header: bool,
    /// Currency when the file has no currency column.
    #[arg(long)]
    pub currency: Option<String>,
    /// Analysis date, inclusive (YYYY-MM-DD); default the day after the last order.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Rows without a customer id.
    #[arg(long, value_enum, default_value = "reject")]
    pub missing_customer: MissingCustomerArg,
    /// Rows repeating an order id: `sum-lines` adds rows of one id and time (a repeat at
    /// another time is rejected as `duplicate_order`), `sum-across-times` adds them whatever
    /// their times.
    #[arg(long, value_enum, default_value = "sum-lines")]
    pub duplicate_order: DuplicateArg,
    /// Order ids with this prefix are cancellations, read as refunds (e.g. C).
    #[arg(long)]
    pub cancel_prefix: Option<String>,
    /// Reject negative amounts and quantities instead of reading them as refunds.
    #[arg(long)]
    pub no_negative_refunds: bool,
    /// Stop at the first bad row instead of rejecting it with a reason.
    #[arg(long)]
    pub strict: bool,
    /// Reject order rows (and lines) with an amount below this, e.g. 0.01 drops zero-value
    /// orders (counted as `below_min_order_amount`). Default: keep every amount.
    #[arg(long)]
    pub min_order_amount: Option<String>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

impl InputArgs {
    /// The read options these flags describe.
    pub fn options(&self) -> Result<ReadOptions> {
        let mut o = ReadOptions {
            columns: ColumnMap {
                customer: self.customer_col.clone(),
                order: self.order_col.clone(),
                time: self.time_col.clone(),
                amount: self.amount_col.clone(),
                quantity: self.quantity_col.clone(),
                unit_price: self.unit_price_col.clone(),
                currency: self.currency_col.clone(),
                status: self.status_col.clone(),
                kind: self.kind_col.clone(),
                subscription: self.subscription_col.clone(),
                sku: self.sku_col.clone(),
            },
            time_format: self.time_format.clone(),
            has_header: !self.no_header,
            currency: self.currency.clone(),
            missing_customer: match self.missing_customer {
                MissingCustomerArg::Reject => MissingCustomer::Reject,
                MissingCustomerArg::Anonymous => MissingCustomer::Anonymous,
            },
            duplicate_order: match self.duplicate_order {
                DuplicateArg::SumLines => DuplicateOrder::SumLines,
                DuplicateArg::KeepFirst => DuplicateOrder::KeepFirst,
                DuplicateArg::Error => DuplicateOrder::Error,
                DuplicateArg::SumAcrossTimes => DuplicateOrder::SumAcrossTimes,
            },
            cancel_prefix: self.cancel_prefix.clone(),
            negative_as_refund: !self.no_negative_refunds,
            bad_rows: if self.strict {
                BadRows::Error
            } else {
                BadRows::Reject
            },
            ..ReadOptions::default()
        };
        if let Some(d) = &self.delimiter {
            o.delimiter = Delimiter::parse(d)?;
        }
        if let Some(m) = &self.min_order_amount {
            o.min_order_amount = Some(m.trim().parse().map_err(|_| {
                Error::option(
                    "--min-order-amount",
                    m,
                    "give a decimal amount such as 0.01",
                )
            })?);
        }
        if let Some(tz) = &self.timezone {
            o.timezone.clone_from(tz);
        } else if self.file.is_none() {
            o.timezone = "Asia/Tokyo".into();
        }
        o.tz()?;
        Ok(o)
    }

    /// The analysis date.
    pub fn as_of(&self) -> Result<Option<NaiveDate>> {
        self.as_of
            .as_deref()
            .map(|s| parse_date("--as-of", s))
            .transpose()
    }

    /// What is being read, for headings.
    pub fn source_name(&self) -> String {
        self.file.as_ref().map_or_else(
            || "bundled sample (1,500 simulated customers, JPY, Asia/Tokyo)".to_owned(),
            |p| p.display().to_string(),
        )
    }

    /// Whether reading `path` shows a progress bar (a large CSV file, stderr a terminal).
    fn shows_progress(&self, path: &Path) -> Result<bool> {
        let meta = std::fs::metadata(path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        Ok(!self.quiet
            && meta.len() > 64 << 20
            && Format::from_path(path)? != Format::Parquet
            && std::io::IsTerminal::is_terminal(&std::io::stderr()))
    }

    /// The customer summary (as of `opts.as_of`) and the ingestion report, streamed from the
    /// file without building the grouped log (see `kokyaku::io::summarize_path`), with a
    /// progress bar for large text files on a terminal.
    pub fn summarize(&self, opts: &SummaryOptions) -> Result<(CustomerSummaries, IngestReport)> {
        if let Some(path) = &self.file {
            let read = self.options()?;
            let s = match self.progress_bar(path)? {
                Some(bar) => {
                    let s = summarize_path_progress(path, &read, opts, &|n| bar.set_position(n));
                    bar.finish_and_clear();
                    s?
                }
                None => summarize_path(path, &read, opts)?,
            };
            return Ok((s.summaries, s.report));
        }
        let ing = self.read()?;
        Ok((summarize(&ing.log, opts), ing.report))
    }

    /// Reads the file (or the bundled sample), with a progress bar for large text files on a
    /// terminal.
    pub fn read(&self) -> Result<Ingested> {
        let opts = self.options()?;
        let Some(path) = &self.file else {
            return read_csv(SAMPLE.as_bytes(), &opts);
        };
        match self.progress_bar(path)? {
            Some(bar) => {
                let r = read_path_progress(path, &opts, &|n| bar.set_position(n));
                bar.finish_and_clear();
                r
            }
            None => read_path(path, &opts),
        }
    }

    /// A progress bar over the file's bytes when [`Input::shows_progress`].
    fn progress_bar(&self, path: &Path) -> Result<Option<indicatif::ProgressBar>> {
        if !self.shows_progress(path)? {
            return Ok(None);
        }
        let len = std::fs::metadata(path).map_or(0, |m| m.len());
        Ok(Some(
            indicatif::ProgressBar::new(len).with_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} reading {bytes}/{total_bytes} {wide_bar} {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            ),
        ))
    }
}

fn create(path: &Path) -> Result<BufWriter<File>> {
    File::create(path)
        .map(|f| BufWriter::with_capacity(1 << 20, f))
        .map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })
}

fn is_parquet(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq"))
}

/// Writes a table as CSV or Parquet by extension (`-` is CSV on stdout).
pub fn write_table(t: &Table, path: &Path) -> Result<()> {
    if path.as_os_str() == "-" {
        return t.write_csv(std::io::stdout().lock());
    }
    let w = create(path)?;
    if is_parquet(path) {
        kokyaku::io::write_table_parquet(t, w)
    } else {
        t.write_csv(w)
    }
}

/// Writes a record batch as CSV or Parquet by extension (`-` is CSV on stdout): the typed
/// route of `kokyaku summary`, with the same bytes as [`write_table`] of the same table.
pub fn write_batch(b: &kokyaku::io::RecordBatch, path: &Path) -> Result<()> {
    if path.as_os_str() == "-" {
        return kokyaku::io::write_batch_csv(b, BufWriter::new(std::io::stdout().lock()));
    }
    let w = create(path)?;
    if is_parquet(path) {
        kokyaku::io::write_batch_parquet(b, w)
    } else {
        kokyaku::io::write_batch_csv(b, w)
    }
}

/// Writes the per-customer table of `ca` (summary, RFM, CPM) as CSV (`-`: stdout) or
/// Parquet, built from its typed columns as it is written.
pub fn write_summary(
    ca: &kokyaku::report::CustomerAnalysis,
    opts: &kokyaku::report::AnalysisOptions,
    path: &Path,
) -> Result<()> {
    let (s, rfm, cpm) = (&ca.summary, Some(&ca.rfm), Some((&ca.cpm, &opts.cpm)));
    if path.as_os_str() == "-" {
        let mut out = BufWriter::new(std::io::stdout().lock());
        kokyaku::io::write_summary_csv(s, rfm, cpm, &mut out)?;
        return out.flush().map_err(|e| Error::Io {
            path: "<stdout>".into(),
            source: e,
        });
    }
    let mut w = create(path)?;
    if is_parquet(path) {
        kokyaku::io::write_summary_parquet(s, rfm, cpm, &mut w)?;
    } else {
        kokyaku::io::write_summary_csv(s, rfm, cpm, &mut w)?;
    }
    // The last buffered bytes: an error here (a full disk) is an error, not lost on drop.
    w.flush().map_err(|e| Error::Io {
        path: path.display().to_string(),
        source: e,
    })
}

/// Writes a simulated log as CSV or Parquet (streamed in chunks of 1M orders).
pub fn write_simulation(opts: &SimOptions, path: &Path) -> Result<u64> {
    let tz: chrono_tz::Tz = kokyaku::io::parse_tz(&opts.timezone)?;
    let time = |secs: i64| {
        DateTime::<Utc>::from_timestamp(secs, 0)
            .unwrap_or_default()
            .with_timezone(&tz)
            .format("%Y-%m-%dT%H:%M:%S%:z")
    };
    if is_parquet(path) {
        let mut w = kokyaku::io::SimParquetWriter::new(create(path)?, &opts.currency)?;
        let n = simulate_each(opts, |o: &SimOrder| w.push(o))?;
        w.finish()?;
        return Ok(n);
    }
    let mut w = create(path)?;
    let io = |e| Error::Io {
        path: path.display().to_string(),
        source: e,
    };
    writeln!(
        w,
        "customer_id,order_id,placed_at,amount,currency,status,kind,subscription_id"
    )
    .map_err(io)?;
    let cur = opts.currency.clone();
    let n = simulate_each(opts, |o: &SimOrder| {
        let sub = if o.subscription > 0 {
            format!("S{:08}", o.subscription)
        } else {
            String::new()
        };
        writeln!(
            w,
            "{:08},O{:010},{},{},{},{},{},{}",
            o.customer,
            o.order,
            time(o.placed_at),
            o.amount,
            cur,
            o.status.as_str(),
            o.kind.as_str(),
            sub
        )
        .map_err(io)
    })?;
    w.flush().map_err(io)?;
    Ok(n)
}
