//! `kokyaku ltv fit|predict|summary|evaluate`: buy-till-you-die models on a summary file or an
//! order log, saved fits (`fit -o`, `predict --params`) and covariates from summary columns.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, Subcommand, ValueEnum};
use kokyaku::ltv::{
    BgNbdWithCovariates, CalibrationData, CalibrationOptions, CalibrationSummary, ClvOptions,
    Cohort, Covariates, FitOptions, FitReport, GammaGamma, ModelKind, ParetoNbdWithCovariates,
    PurchaseModel, ShiftedBetaGeometric, SummaryColumns, TimeUnit, calibration_from_log, clv,
    clv_batch, fit_purchase_model, fit_summary, purchase_model_from_params, read_covariates_csv,
    read_covariates_parquet, read_summary_csv, read_summary_parquet,
};
use kokyaku::model::parse_date;
use kokyaku::table::{Column, Table};
use kokyaku::{Error, Result};

use crate::input::{InputArgs, write_table};

/// Predictive lifetime value: fit buy-till-you-die models and predict per customer.
#[derive(Debug, Args)]
pub struct LtvArgs {
    #[command(subcommand)]
    pub command: LtvCommand,
}

/// The `ltv` subcommands.
#[derive(Debug, Subcommand)]
pub enum LtvCommand {
    /// Fit a model by maximum likelihood and print its parameters.
    Fit(FitArgs),
    /// Fit a model (or read a saved fit with --params) and write one row of predictions per
    /// customer.
    Predict(PredictArgs),
    /// Holdout test on an order log: fit on the calibration period, predict each customer's
    /// holdout purchases, compare with what they did (per customer, in total, and period by
    /// period).
    Evaluate(crate::ltv_evaluate::EvaluateArgs),
    /// Write the calibration summary of an order log (frequency, recency, T, `monetary_value`,
    /// and holdout actuals with --holdout-end), ready for `ltv fit --summary`.
    Summary(SummaryArgs),
}

/// `kokyaku ltv summary`.
#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// Order log flags.
    #[command(flatten)]
    pub input: InputArgs,
    /// Last day of the calibration period (inclusive, YYYY-MM-DD); default the last order day.
    #[arg(long)]
    pub calibration_end: Option<String>,
    /// Last day of the holdout period (inclusive, YYYY-MM-DD).
    #[arg(long)]
    pub holdout_end: Option<String>,
    /// Time unit of recency, T and the holdout length.
    #[arg(long, value_enum, default_value = "weeks")]
    pub time_unit: UnitArg,
    /// Output file (`.csv` or `.parquet`); `-` for CSV on stdout.
    #[arg(short, long, default_value = "-")]
    pub output: PathBuf,
}

/// Model names as on the command line.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ModelArg {
    BgNbd,
    MbgNbd,
    ParetoNbd,
    GgompertzNbd,
    GammaGamma,
    BgBb,
    Sbg,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum UnitArg {
    Days,
    Weeks,
    Months,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FormatArg {
    Text,
    Json,
}

/// Covariates (bg-nbd, pareto-nbd; columns of a CSV --summary).
// Doc comments here are `--help` text, where backticks would show literally.
#[allow(clippy::doc_markdown)]
#[derive(Debug, Args, Default)]
pub struct CovariateArgs {
    /// Summary columns that scale the purchase rate, comma-separated: alpha_i = alpha0 *
    /// exp(-g . z_i), so a positive coefficient g means more purchases. Coefficients are
    /// reported as purchase[column].
    #[arg(long, value_delimiter = ',')]
    pub purchase_covariates: Vec<String>,
    /// Summary columns that shift drop-out, comma-separated. pareto-nbd: beta_i = beta0 *
    /// exp(-g . z_i) (positive = earlier drop-out), reported as dropout[column]; bg-nbd:
    /// a_i = a0 exp(g_a . z_i), b_i = b0 exp(g_b . z_i), reported as dropout_a[column],
    /// dropout_b[column].
    #[arg(long, value_delimiter = ',')]
    pub dropout_covariates: Vec<String>,
}

impl CovariateArgs {
    fn any(&self) -> bool {
        !self.purchase_covariates.is_empty() || !self.dropout_covariates.is_empty()
    }
}

/// Where the calibration data comes from: a summary file or an order log.
// Doc comments here are `--help` text, where backticks would show literally.
#[allow(clippy::doc_markdown)]
#[derive(Debug, Args)]
pub struct DataArgs {
    /// Ready summary (CSV or Parquet, by extension): one row per customer or pattern. Columns are recognised by their
    /// usual names (frequency/x, recency/t_x, T/periods/n, monetary_value/zbar, weights,
    /// customer_id) or named with the --*-col flags. For sbg: recency = churn period, T = periods
    /// observed + 1 (rows with recency >= T are still active), optional cohort column.
    #[arg(long)]
    pub summary: Option<PathBuf>,
    /// Order log flags (used when --summary is not given).
    #[command(flatten)]
    pub input: InputArgs,
    /// Last day of the calibration period (inclusive, YYYY-MM-DD) for an order log; default the
    /// last order day.
    #[arg(long)]
    pub calibration_end: Option<String>,
    /// Time unit of t_x, T and horizons.
    #[arg(long, value_enum, default_value = "weeks")]
    pub time_unit: UnitArg,
    /// Column holding x (summary files).
    #[arg(long)]
    pub x_col: Option<String>,
    /// Column holding t_x.
    #[arg(long)]
    pub t_x_col: Option<String>,
    /// Column holding T (or n for bg-bb).
    #[arg(long = "t-col")]
    pub t_col: Option<String>,
    /// Column holding the mean repeat-purchase value.
    #[arg(long)]
    pub monetary_col: Option<String>,
    /// Column holding row weights.
    #[arg(long)]
    pub weights_col: Option<String>,
    /// Column holding customer ids.
    #[arg(long)]
    pub id_col: Option<String>,
    /// sbg: survivor counts of one cohort, comma-separated, starting with the cohort size
    /// (repeat the flag for several cohorts).
    #[arg(long, value_delimiter = ';')]
    pub survivors: Vec<String>,
}

/// `kokyaku ltv fit`.
// Doc comments here are `--help` text, where backticks would show literally.
#[allow(clippy::doc_markdown)]
#[derive(Debug, Args)]
pub struct FitArgs {
    /// Model.
    #[arg(long, value_enum)]
    pub model: ModelArg,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub covariates: CovariateArgs,
    /// L2 penalty on the parameters (0 = maximum likelihood).
    #[arg(long, default_value_t = 0.0)]
    pub l2_penalty: f64,
    /// Most quasi-Newton iterations.
    #[arg(long, default_value_t = 1000)]
    pub max_iterations: usize,
    /// Fit this many times and report the fastest `fit_seconds` (for benchmarks: the later
    /// fits run warm, as a library call in a long-lived process does).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: FormatArg,
    /// Also save the fit as JSON (what --format json prints) to this file, for
    /// `ltv predict --params` / `ltv evaluate --params`.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

/// `kokyaku ltv predict`.
// Doc comments here are `--help` text, where backticks would show literally.
#[allow(clippy::doc_markdown)]
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// Purchase model (bg-nbd, mbg-nbd, pareto-nbd, ggompertz-nbd; default bg-nbd, or the
    /// model of --params); spend uses Gamma-Gamma when the data has monetary values.
    #[arg(long, value_enum)]
    pub model: Option<ModelArg>,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub covariates: CovariateArgs,
    /// Predict from a saved fit (the JSON of `ltv fit --format json` or `ltv fit -o FILE`)
    /// instead of fitting; its "model" is the model, and its "time_unit" must be --time-unit.
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// Saved Gamma-Gamma fit (`ltv fit --model gamma-gamma -o FILE`) for expected spend and CLV;
    /// without it, Gamma-Gamma is fitted on the data's monetary values.
    #[arg(long)]
    pub spend_params: Option<PathBuf>,
    /// Prediction horizon in --time-unit.
    #[arg(long, default_value_t = 52.0)]
    pub horizon: f64,
    /// Discount rate per --discount-period (0.01 = 1%).
    #[arg(long, default_value_t = 0.01)]
    pub discount_rate: f64,
    /// Length of the period of the discount rate, in --time-unit (default: one month).
    #[arg(long)]
    pub discount_period: Option<f64>,
    /// Profit margin applied to spend.
    #[arg(long, default_value_t = 1.0)]
    pub margin: f64,
    /// Output file (`.csv` or `.parquet`); `-` for CSV on stdout.
    #[arg(short, long, default_value = "-")]
    pub output: PathBuf,
}

pub(crate) fn unit(u: UnitArg) -> TimeUnit {
    match u {
        UnitArg::Days => TimeUnit::Days,
        UnitArg::Weeks => TimeUnit::Weeks,
        UnitArg::Months => TimeUnit::Months,
    }
}

pub(crate) struct Loaded {
    pub(crate) ids: Vec<String>,
    pub(crate) data: CalibrationData,
    /// The last calibration day, when the data came from an order log (a summary file has no
    /// dates).
    pub(crate) calibration_end_day: Option<kokyaku::model::Day>,
}

/// The covariate matrices named by `purchase` and `dropout`, read from the CSV summary of `d`.
fn load_covariates(
    d: &DataArgs,
    purchase: &[String],
    dropout: &[String],
) -> Result<(Covariates, Covariates)> {
    let Some(path) = &d.summary else {
        return Err(Error::option(
            "--purchase-covariates",
            purchase
                .iter()
                .chain(dropout)
                .cloned()
                .collect::<Vec<_>>()
                .join(","),
            "covariates are columns of a --summary file; write one with `kokyaku ltv summary` and add the columns",
        ));
    };
    let parquet = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq"));
    let read = |names: &[String]| -> Result<Covariates> {
        let f = File::open(path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        if parquet {
            read_covariates_parquet(f, names)
        } else {
            read_covariates_csv(std::io::BufReader::new(f), names)
        }
    };
    Ok((read(purchase)?, read(dropout)?))
}

fn load(d: &DataArgs) -> Result<Loaded> {
    let tu = unit(d.time_unit);
    if let Some(path) = &d.summary {
        let f = File::open(path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        let cols = SummaryColumns {
            id: d.id_col.clone(),
            x: d.x_col.clone(),
            t_x: d.t_x_col.clone(),
            t: d.t_col.clone(),
            monetary: d.monetary_col.clone(),
            weights: d.weights_col.clone(),
        };
        let s = if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq"))
        {
            read_summary_parquet(f, &cols, tu)?
        } else {
            read_summary_csv(std::io::BufReader::new(f), &cols, tu)?
        };
        return Ok(Loaded {
            ids: s.customer_id,
            data: s.data,
            calibration_end_day: None,
        });
    }
    let s = summary_from_log(&d.input, d.calibration_end.as_deref(), None, tu)?;
    Ok(Loaded {
        ids: s.customer_id,
        data: s.data,
        calibration_end_day: Some(s.calibration_end_day),
    })
}

pub(crate) fn summary_from_log(
    input: &InputArgs,
    end: Option<&str>,
    holdout: Option<&str>,
    tu: TimeUnit,
) -> Result<CalibrationSummary> {
    let ing = input.read()?;
    let end = match end {
        Some(s) => parse_date("--calibration-end", s)?,
        None => kokyaku::model::day_to_date(
            ing.log
                .last_day()
                .ok_or_else(|| Error::EmptyInput("the log has no orders".into()))?,
        ),
    };
    let holdout_end = holdout
        .map(|s| parse_date("--holdout-end", s))
        .transpose()?;
    calibration_from_log(
        &ing.log,
        &CalibrationOptions {
            calibration_end: end,
            holdout_end,
            time_unit: tu,
        },
    )
}

fn summary(args: &SummaryArgs) -> Result<()> {
    let tu = unit(args.time_unit);
    let s = summary_from_log(
        &args.input,
        args.calibration_end.as_deref(),
        args.holdout_end.as_deref(),
        tu,
    )?;
    let f = |v: &[f64]| Column::Float(v.iter().map(|x| Some(*x)).collect());
    let mut t = Table::default();
    t.push(
        "customer_id",
        Column::Str(s.customer_id.iter().cloned().map(Some).collect()),
    );
    t.push("frequency", f(&s.data.x));
    t.push("recency", f(&s.data.t_x));
    t.push("T", f(&s.data.t));
    t.push(
        "monetary_value",
        f(s.data.monetary.as_deref().unwrap_or(&[])),
    );
    t.push(
        "first_purchase",
        Column::Date(
            s.first_purchase_day
                .iter()
                .map(|&d| Some(kokyaku::model::day_to_date(d)))
                .collect(),
        ),
    );
    if let (Some(hx), Some(hs)) = (&s.holdout_purchases, &s.holdout_spend) {
        t.push("holdout_frequency", f(hx));
        t.push("holdout_spend", f(hs));
    }
    write_table(&t, &args.output)
}

fn sbg_cohorts(d: &DataArgs) -> Result<Vec<Cohort>> {
    if !d.survivors.is_empty() {
        return d
            .survivors
            .iter()
            .map(|s| {
                let v: Result<Vec<f64>> = s
                    .split(',')
                    .map(|p| {
                        p.trim().parse::<f64>().map_err(|_| {
                            Error::option("--survivors", p, "expected numbers separated by commas")
                        })
                    })
                    .collect();
                Cohort::new(v?)
            })
            .collect();
    }
    let Some(path) = &d.summary else {
        return Err(Error::option(
            "--survivors",
            "",
            "sbg needs --survivors N0,N1,... or --summary with churn periods",
        ));
    };
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines
        .next()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .collect();
    let pos = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let ir =
        pos(&[d.t_x_col.as_deref().unwrap_or("recency"), "churn_period"]).ok_or_else(|| {
            Error::MissingColumn {
                column: "recency".into(),
                hint: format!("columns are: {}", header.join(", ")),
            }
        })?;
    let it = pos(&[d.t_col.as_deref().unwrap_or("T")]).ok_or_else(|| Error::MissingColumn {
        column: "T".into(),
        hint: format!("columns are: {}", header.join(", ")),
    })?;
    let ic = pos(&["cohort"]);
    let mut groups: std::collections::BTreeMap<String, (Vec<u32>, u32)> =
        std::collections::BTreeMap::new();
    for (row, l) in lines.enumerate() {
        let f: Vec<&str> = l.split(',').map(str::trim).collect();
        let int = |j: usize, name: &str| -> Result<u32> {
            let s = f.get(j).copied().unwrap_or("");
            s.parse::<u32>().map_err(|_| Error::InvalidValue {
                value: s.to_owned(),
                location: kokyaku::Location::cell(row as u64 + 1, name),
                reason: "expected a whole number".into(),
            })
        };
        let (r, t) = (int(ir, "recency")?, int(it, "T")?);
        let key = ic
            .and_then(|j| f.get(j))
            .map_or_else(String::new, |s| (*s).to_owned());
        let e = groups.entry(key).or_default();
        e.0.push(r);
        e.1 = e.1.max(t);
    }
    groups
        .into_values()
        .map(|(periods, t)| Cohort::from_churn_periods(&periods, t.saturating_sub(1)))
        .collect()
}

pub(crate) fn print_json(v: &serde_json::Value) -> Result<()> {
    let s = serde_json::to_string_pretty(v)
        .map_err(|e| Error::Unsupported(format!("JSON output: {e}")))?;
    writeln!(std::io::stdout().lock(), "{s}").map_err(|e| Error::Io {
        path: "<stdout>".into(),
        source: e,
    })
}

pub(crate) fn report_json(
    r: &FitReport,
    time_unit: Option<TimeUnit>,
    seconds: f64,
) -> serde_json::Value {
    let mut v = kokyaku::ltv::saved_fit_json(r, time_unit);
    if let Some(m) = v.as_object_mut() {
        m.insert("fit_seconds".into(), serde_json::json!(seconds));
    }
    v
}

pub(crate) fn kind(m: ModelArg) -> ModelKind {
    match m {
        ModelArg::BgNbd => ModelKind::BgNbd,
        ModelArg::MbgNbd => ModelKind::MbgNbd,
        ModelArg::ParetoNbd => ModelKind::ParetoNbd,
        ModelArg::GgompertzNbd => ModelKind::GgompertzNbd,
        ModelArg::GammaGamma => ModelKind::GammaGamma,
        ModelArg::BgBb => ModelKind::BgBb,
        ModelArg::Sbg => ModelKind::Sbg,
    }
}

fn fit(args: &FitArgs) -> Result<()> {
    let opts = FitOptions {
        l2_penalty: args.l2_penalty,
        max_iterations: args.max_iterations,
        ..FitOptions::default()
    };
    let cohorts = if args.model == ModelArg::Sbg {
        Some(sbg_cohorts(&args.data)?)
    } else {
        None
    };
    let loaded = if cohorts.is_none() {
        Some(load(&args.data)?)
    } else {
        None
    };
    let covariates = if loaded.is_some() && args.covariates.any() {
        let c = &args.covariates;
        Some(load_covariates(
            &args.data,
            &c.purchase_covariates,
            &c.dropout_covariates,
        )?)
    } else {
        None
    };
    let fit_once = || -> Result<FitReport> {
        if let Some(cohorts) = &cohorts {
            return Ok(ShiftedBetaGeometric::fit(cohorts, &opts)?.report);
        }
        let Some(loaded) = &loaded else {
            return Err(Error::EmptyInput("no data to fit".into()));
        };
        match (&covariates, args.model) {
            (Some((z1, z2)), ModelArg::BgNbd) => {
                Ok(BgNbdWithCovariates::fit(&loaded.data, z1, z2, &opts)?.report)
            }
            (Some((z1, z2)), ModelArg::ParetoNbd) => {
                Ok(ParetoNbdWithCovariates::fit(&loaded.data, z1, z2, &opts)?.report)
            }
            (Some(_), other) => Err(Error::option(
                "--model",
                kind(other).as_str(),
                "covariates take bg-nbd or pareto-nbd",
            )),
            (None, model) => fit_summary(kind(model), &loaded.data, &opts),
        }
    };
    let mut secs = f64::INFINITY;
    let mut report = None;
    for _ in 0..args.repeat {
        let t0 = Instant::now();
        let r = fit_once()?;
        secs = secs.min(t0.elapsed().as_secs_f64());
        report = Some(r);
    }
    let report = report.ok_or_else(|| Error::EmptyInput("no fit was run".into()))?;
    let tu = match (&loaded, args.model) {
        (None, _) | (_, ModelArg::GammaGamma | ModelArg::BgBb) => None,
        (Some(l), _) => Some(l.data.time_unit),
    };
    if let Some(path) = &args.output {
        write_json(&report_json(&report, tu, secs), path)?;
    }
    match args.format {
        FormatArg::Json => print_json(&report_json(&report, tu, secs)),
        FormatArg::Text => {
            let mut out = std::io::stdout().lock();
            let io = |e| Error::Io {
                path: "<stdout>".into(),
                source: e,
            };
            writeln!(
                out,
                "{} fitted on {} customers ({} distinct rows){}",
                report.model,
                report.n_customers,
                report.n_distinct_rows,
                tu.map_or(String::new(), |u| format!(", time in {}", u.as_str()))
            )
            .map_err(io)?;
            for ((n, v), se) in report
                .param_names
                .iter()
                .zip(&report.params)
                .zip(&report.std_errors)
            {
                writeln!(out, "  {n:<12} {v:>14.6}   (s.e. {se:.6})").map_err(io)?;
            }
            writeln!(
                out,
                "  log-likelihood {:.4}; converged {} after {} iterations ({})",
                report.log_likelihood, report.converged, report.iterations, report.message
            )
            .map_err(io)?;
            Ok(())
        }
    }
}

fn predict(args: &PredictArgs) -> Result<()> {
    let saved = args.params.as_deref().map(SavedFit::read).transpose()?;
    // Read (and check) a saved spend fit up front, even if the data turns out to have no spend.
    let saved_spend = args
        .spend_params
        .as_deref()
        .map(|p| SavedFit::read(p)?.gamma_gamma())
        .transpose()?;
    let loaded = load(&args.data)?;
    let data = &loaded.data;
    let opts = FitOptions::default();
    let model = purchase_model(
        args.model,
        saved.as_ref(),
        &args.covariates,
        &args.data,
        data,
        &opts,
    )?;
    let n = data.len();
    let h = args.horizon;
    let mut p_alive = vec![0.0; n];
    let mut expected = vec![0.0; n];
    let mut p_alive_end = vec![0.0; n];
    let mut next = vec![0.0; n];
    for i in 0..n {
        let (x, tx, t) = (data.x[i], data.t_x[i], data.t[i]);
        model.with_customer(i, |m| {
            p_alive[i] = m.p_alive(x, tx, t);
            expected[i] = m.conditional_expected_purchases(h, x, tx, t);
            p_alive_end[i] = m.p_alive_at(x, tx, t, h);
            next[i] = m.expected_time_to_next_purchase(x, t);
        });
    }
    let u = data.time_unit.as_str();
    let mut table = Table::default();
    table.push(
        "customer_id",
        Column::Str(loaded.ids.iter().cloned().map(Some).collect()),
    );
    let f = |v: &[f64]| {
        Column::Float(
            v.iter()
                .map(|x| if x.is_finite() { Some(*x) } else { None })
                .collect(),
        )
    };
    table.push("x", f(&data.x));
    table.push(&format!("t_x_{u}"), f(&data.t_x));
    table.push(&format!("t_{u}"), f(&data.t));
    table.push("p_alive", f(&p_alive));
    table.push(&format!("expected_purchases_{h}_{u}"), f(&expected));
    table.push(&format!("p_alive_in_{h}_{u}"), f(&p_alive_end));
    if next.iter().any(|v| !v.is_nan()) {
        // Empty where infinite (r + x <= 1: the expected wait diverges).
        table.push(&format!("expected_{u}_to_next_purchase_if_alive"), f(&next));
        // From an order log the calibration end is a date: the expected date of the next order
        // (if alive): that wait after the last calibration day (T is counted to it), to the
        // nearest day.
        if let Some(end) = loaded.calibration_end_day {
            let days = data.time_unit.days();
            let dates = next
                .iter()
                .map(|w| {
                    let d = (w * days).round();
                    (w.is_finite() && d < 1e6)
                        .then(|| kokyaku::model::day_to_date(end + d as kokyaku::model::Day))
                })
                .collect();
            table.push("expected_next_order_date", Column::Date(dates));
        }
    }
    if data
        .monetary
        .as_ref()
        .is_some_and(|m| m.iter().zip(&data.x).any(|(m, x)| *x > 0.0 && *m > 0.0))
    {
        let gg = match saved_spend {
            Some(g) => g,
            None => GammaGamma::fit(data, &opts)?.model,
        };
        let m = data.monetary.as_deref().unwrap_or(&[]);
        let spend: Vec<f64> = (0..n)
            .map(|i| gg.conditional_expected_spend(data.x[i], m[i]))
            .collect();
        let period = args
            .discount_period
            .unwrap_or(365.25 / 12.0 / data.time_unit.days());
        let clv_opts = ClvOptions {
            horizon: h,
            discount_period: period,
            discount_rate: args.discount_rate,
            margin: args.margin,
        };
        let mut clv_out = vec![0.0; n];
        match &model {
            Purchase::Plain(p) => clv_batch(p.as_ref(), &gg, data, &clv_opts, &mut clv_out)?,
            _ => {
                for (i, out) in clv_out.iter_mut().enumerate() {
                    let (x, tx, t) = (data.x[i], data.t_x[i], data.t[i]);
                    *out = model.with_customer(i, |pm| clv(pm, &gg, x, tx, t, m[i], &clv_opts))?;
                }
            }
        }
        table.push("expected_spend", f(&spend));
        table.push(&format!("clv_{h}_{u}"), f(&clv_out));
    }
    write_table(&table, &args.output)
}

fn write_json(v: &serde_json::Value, path: &Path) -> Result<()> {
    let io = |e| Error::Io {
        path: path.display().to_string(),
        source: e,
    };
    let s = serde_json::to_string_pretty(v)
        .map_err(|e| Error::Unsupported(format!("JSON output: {e}")))?;
    std::fs::write(path, s + "\n").map_err(io)
}

/// A saved fit: the JSON `ltv fit --format json` prints (and `ltv fit -o` writes).
pub(crate) struct SavedFit {
    path: String,
    pub(crate) model: ModelKind,
    /// Named parameters in the file's order.
    pub(crate) params: Vec<(String, f64)>,
    time_unit: Option<String>,
}

impl SavedFit {
    pub(crate) fn read(path: &Path) -> Result<Self> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: shown.clone(),
            source: e,
        })?;
        // One reader of the saved-fit JSON (the core's, also behind `kokyaku segment --params`).
        let fit = kokyaku::ltv::SavedFit::from_json(&text, &shown)?;
        Ok(Self {
            path: shown,
            model: fit.model,
            params: fit.params,
            time_unit: fit.time_unit.map(|u| u.as_str().to_owned()),
        })
    }

    /// Error unless the fit's time unit (when it has one) is `tu`: its rates are per that unit.
    pub(crate) fn check_unit(&self, tu: TimeUnit) -> Result<()> {
        match &self.time_unit {
            Some(u) if u != tu.as_str() => Err(Error::option(
                "--time-unit",
                tu.as_str(),
                format!(
                    "the saved fit '{}' was fitted in {u}; pass --time-unit {u}",
                    self.path
                ),
            )),
            _ => Ok(()),
        }
    }

    /// The model, after checking it against an explicit --model.
    pub(crate) fn model_for(&self, given: Option<ModelArg>) -> Result<ModelKind> {
        match given.map(kind) {
            Some(k) if k != self.model => Err(Error::option(
                "--model",
                k.as_str(),
                format!(
                    "the saved fit '{}' is a {} fit; drop --model or pass --model {}",
                    self.path,
                    self.model.as_str(),
                    self.model.as_str()
                ),
            )),
            _ => Ok(self.model),
        }
    }

    fn gamma_gamma(&self) -> Result<GammaGamma> {
        if self.model != ModelKind::GammaGamma {
            return Err(Error::option(
                "--spend-params",
                &self.path,
                format!(
                    "a gamma-gamma fit is needed, this is {}",
                    self.model.as_str()
                ),
            ));
        }
        let get = |n: &str| {
            self.params
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| *v)
                .ok_or_else(|| {
                    Error::option(
                        &format!("gamma-gamma.{n}"),
                        "missing",
                        format!("gamma-gamma needs p, q, gamma (in '{}')", self.path),
                    )
                })
        };
        GammaGamma::new(get("p")?, get("q")?, get("gamma")?)
    }
}

/// A purchase model ready to predict: plain, or with covariates (one plain model per customer).
pub(crate) enum Purchase {
    Plain(Box<dyn PurchaseModel + Send + Sync>),
    BgNbd(BgNbdWithCovariates, Covariates, Covariates),
    ParetoNbd(ParetoNbdWithCovariates, Covariates, Covariates),
}

impl Purchase {
    /// Run `f` on customer `i`'s model (row `i` of the data the covariates were read with).
    pub(crate) fn with_customer<R>(&self, i: usize, f: impl FnOnce(&dyn PurchaseModel) -> R) -> R {
        match self {
            Purchase::Plain(m) => f(m.as_ref()),
            Purchase::BgNbd(m, z1, z2) => f(&m.customer_model(z1.row(i), z2.row(i))),
            Purchase::ParetoNbd(m, z1, z2) => f(&m.customer_model(z1.row(i), z2.row(i))),
        }
    }
}

/// Names given by a flag must be the saved fit's (as a set); the flag's order is kept.
fn covariate_names(
    given: &[String],
    saved: Option<Vec<String>>,
    flag: &str,
) -> Result<Vec<String>> {
    let Some(saved) = saved else {
        return Ok(given.to_vec());
    };
    if given.is_empty() {
        return Ok(saved);
    }
    let (mut a, mut b) = (given.to_vec(), saved.clone());
    a.sort();
    b.sort();
    if a == b {
        Ok(given.to_vec())
    } else {
        Err(Error::option(
            flag,
            given.join(","),
            format!("the saved fit has coefficients for: {}", saved.join(",")),
        ))
    }
}

/// The purchase model of `predict` (and `evaluate`): from a saved fit, or fitted on `data`.
pub(crate) fn purchase_model(
    model: Option<ModelArg>,
    saved: Option<&SavedFit>,
    cov: &CovariateArgs,
    d: &DataArgs,
    data: &CalibrationData,
    opts: &FitOptions,
) -> Result<Purchase> {
    let k = match saved {
        Some(s) => {
            s.check_unit(data.time_unit)?;
            s.model_for(model)?
        }
        None => model.map_or(ModelKind::BgNbd, kind),
    };
    let has_coefficients = saved.is_some_and(|s| s.params.iter().any(|(n, _)| n.contains('[')));
    if !cov.any() && !has_coefficients {
        return Ok(Purchase::Plain(match saved {
            Some(s) => purchase_model_from_params(k, &s.params)?,
            None => fit_purchase_model(k, data, opts)?.0,
        }));
    }
    let (pn, dn) = match (k, saved) {
        (ModelKind::BgNbd, Some(s)) => {
            let (p, d) = BgNbdWithCovariates::covariate_names(&s.params);
            (Some(p), Some(d))
        }
        (ModelKind::ParetoNbd, Some(s)) => {
            let (p, d) = ParetoNbdWithCovariates::covariate_names(&s.params);
            (Some(p), Some(d))
        }
        _ => (None, None),
    };
    let pn = covariate_names(&cov.purchase_covariates, pn, "--purchase-covariates")?;
    let dn = covariate_names(&cov.dropout_covariates, dn, "--dropout-covariates")?;
    let (z1, z2) = load_covariates(d, &pn, &dn)?;
    Ok(match (k, saved) {
        (ModelKind::BgNbd, Some(s)) => Purchase::BgNbd(
            BgNbdWithCovariates::from_params(&s.params, &pn, &dn)?,
            z1,
            z2,
        ),
        (ModelKind::ParetoNbd, Some(s)) => Purchase::ParetoNbd(
            ParetoNbdWithCovariates::from_params(&s.params, &pn, &dn)?,
            z1,
            z2,
        ),
        (ModelKind::BgNbd, None) => {
            let m = BgNbdWithCovariates::fit(data, &z1, &z2, opts)?.model;
            Purchase::BgNbd(m, z1, z2)
        }
        (ModelKind::ParetoNbd, None) => {
            let m = ParetoNbdWithCovariates::fit(data, &z1, &z2, opts)?.model;
            Purchase::ParetoNbd(m, z1, z2)
        }
        (other, _) => {
            return Err(Error::option(
                "--model",
                other.as_str(),
                "covariates take bg-nbd or pareto-nbd",
            ));
        }
    })
}

/// Run `kokyaku ltv ...`.
pub fn run(args: LtvArgs) -> Result<()> {
    match args.command {
        LtvCommand::Fit(a) => fit(&a),
        LtvCommand::Predict(a) => predict(&a),
        LtvCommand::Summary(a) => summary(&a),
        LtvCommand::Evaluate(a) => crate::ltv_evaluate::run(&a),
    }
}
