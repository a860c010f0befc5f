//! `kokyaku acquisition`: LTV curves, payback month and predicted LTV per acquisition split.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use kokyaku::acquisition::{AcquisitionOptions, AcquisitionReport, Cpa, acquisition};
use kokyaku::ltv::ModelKind;
use kokyaku::{Error, Location, Result};
use rust_decimal::Decimal;

use crate::input::InputArgs;
use crate::{OutFormat, print_json};

/// `kokyaku acquisition`.
#[derive(Debug, Args)]
pub struct AcquisitionArgs {
    /// Order log flags (FILE is the order log).
    #[command(flatten)]
    pub input: InputArgs,
    /// Customers file (CSV: id, birth date, sign-up time, further columns as attributes such as
    /// channel or ad code; read as `kokyaku segment --customers` reads it).
    #[arg(long)]
    pub customers: Option<PathBuf>,
    /// The split: an attribute column of --customers (e.g. channel), `attr.NAME`, or
    /// `first_order_kind`.
    #[arg(long, default_value = "channel")]
    pub by: String,
    /// CPA: one amount for every split, or a CSV file of split,cpa rows.
    #[arg(long)]
    pub cpa: Option<String>,
    /// Largest month reported.
    #[arg(long)]
    pub max_months: Option<u32>,
    /// Do not fit a model per split.
    #[arg(long)]
    pub no_predict: bool,
    /// Purchase model of the prediction (bg-nbd, mbg-nbd, pareto-nbd, ggompertz-nbd).
    #[arg(long, default_value = "bg-nbd")]
    pub model: String,
    /// Prediction horizon in months.
    #[arg(long, default_value_t = 12)]
    pub horizon_months: u32,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutFormat,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.display().to_string(),
        source,
    }
}

fn csv_err(path: &Path, e: &csv::Error) -> Error {
    Error::Malformed {
        location: Location {
            row: e.position().map(csv::Position::line),
            ..Location::default()
        },
        reason: format!("{}: {e}", path.display()),
    }
}

/// The CPA: a number, or a CSV file of `split,cpa` rows (a header row is skipped).
fn read_cpa(s: &str) -> Result<Cpa> {
    if let Ok(d) = s.trim().parse::<Decimal>() {
        return Ok(Cpa::Single(d));
    }
    let path = Path::new(s);
    if !path.exists() {
        return Err(Error::option(
            "--cpa",
            s,
            "give an amount (e.g. 3000) or a CSV file of split,cpa rows",
        ));
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(std::fs::File::open(path).map_err(io_err(path))?);
    let mut map = BTreeMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| csv_err(path, &e))?;
        let (Some(k), Some(v)) = (rec.get(0), rec.get(1)) else {
            continue;
        };
        match v.trim().parse::<Decimal>() {
            Ok(d) => {
                map.insert(k.trim().to_owned(), d);
            }
            Err(_) if i == 0 => {} // header
            Err(_) => {
                return Err(Error::InvalidValue {
                    value: v.to_owned(),
                    location: Location::cell(i as u64 + 1, "cpa"),
                    reason: format!("in {}: the CPA must be a number", path.display()),
                });
            }
        }
    }
    Ok(Cpa::PerSplit(map))
}

/// Runs `kokyaku acquisition`.
pub fn run(a: &AcquisitionArgs) -> Result<()> {
    let ing = a.input.read()?;
    let mut log = ing.log;
    let mut customers_report = None;
    if let Some(path) = &a.customers {
        let f = std::fs::File::open(path).map_err(io_err(path))?;
        let table =
            kokyaku::segment::read_customers_csv(std::io::BufReader::new(f), b',', log.timezone())?;
        log = log.with_customers(&table.customers)?;
        customers_report = Some(table.report);
    }
    let opts = AcquisitionOptions {
        by: a.by.clone(),
        as_of: a.input.as_of()?,
        max_months: a.max_months,
        cpa: a.cpa.as_deref().map(read_cpa).transpose()?,
        predict: !a.no_predict,
        model: ModelKind::parse(&a.model)?,
        horizon_months: a.horizon_months,
        ..AcquisitionOptions::default()
    };
    let report = acquisition(&log, &opts)?;
    match a.format {
        OutFormat::Json => print_json(
            &serde_json::json!({"ingestion": ing.report, "customers_file": customers_report, "acquisition": report}),
        ),
        OutFormat::Text => text(&mut std::io::stdout().lock(), &report).map_err(|e| Error::Io {
            path: "<stdout>".into(),
            source: e,
        }),
    }
}

fn text(out: &mut impl Write, r: &AcquisitionReport) -> std::io::Result<()> {
    writeln!(
        out,
        "acquisition by {} (as of {}, last observed month {})",
        r.by, r.as_of, r.last_observed_month
    )?;
    for row in &r.rows {
        let cpa = row.cpa.map_or("-".into(), |c| c.to_string());
        let pay = row
            .payback_month
            .map_or("not yet".into(), |m| format!("month {m}"));
        writeln!(
            out,
            "\n{} ({} customers), CPA {cpa}, payback {pay}",
            row.split, row.customers
        )?;
        let curve: Vec<String> = row
            .curve
            .iter()
            .map(|p| {
                format!(
                    "m{}: {}",
                    p.month,
                    p.cumulative_net_revenue_per_customer
                        .map_or("-".into(), |d| d.round_dp(0).to_string())
                )
            })
            .collect();
        writeln!(
            out,
            "  cumulative net revenue per customer: {}",
            curve.join("  ")
        )?;
        match (&row.prediction, &row.prediction_error) {
            (Some(p), _) => writeln!(
                out,
                "  predicted ({}): LTV at 12 months {:.0}; model payback {}",
                p.model,
                p.ltv.get(11).or(p.ltv.last()).copied().unwrap_or(f64::NAN),
                p.payback_month
                    .map_or("beyond the horizon".into(), |m| format!("month {m}"))
            )?,
            (None, Some(e)) => writeln!(out, "  no prediction: {e}")?,
            _ => {}
        }
    }
    Ok(())
}
