//! The `kokyaku` command: customer analytics over order logs.
//!
//! Errors print as one line on stderr with a non-zero exit; never a backtrace.

mod acquisition;
mod analysis_args;
mod book;
mod campaign;
mod input;
mod ltv;
mod ltv_evaluate;
mod segment;
mod stages;
mod text;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use kokyaku::cohort::{CohortOptions, Period, retention, revenue_curves};
use kokyaku::repeat::{RepeatOptions, repeat_metrics};
use kokyaku::report::{AnalysisOptions, CustomerAnalysis, Report};
use kokyaku::simulate::SimOptions;
use kokyaku::{Error, Result};

use analysis_args::AnalysisArgs;
use input::InputArgs;

/// Customer analytics for e-commerce and D2C order logs.
#[derive(Debug, Parser)]
#[command(name = "kokyaku", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum OutFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// A readable report (totals, repeat rate, F2, RFM segments, CPM classes, cohort retention).
    /// Without FILE, runs on the bundled sample log.
    Report {
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        analysis: AnalysisArgs,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: OutFormat,
    },
    /// One row per customer: summary, RFM scores and segment, CPM class (CSV or Parquet by extension).
    Summary {
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        analysis: AnalysisArgs,
        /// Output file (`.csv` or `.parquet`); `-` for CSV on stdout.
        #[arg(short, long)]
        output: PathBuf,
        /// Format of the message on stdout.
        #[arg(long, value_enum, default_value = "text")]
        format: OutFormat,
    },
    /// Cohort retention and cumulative revenue per customer by cohort.
    Cohorts {
        #[command(flatten)]
        input: InputArgs,
        /// Monthly or weekly cohorts.
        #[arg(long, value_enum, default_value = "monthly")]
        period: PeriodArg,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: OutFormat,
    },
    /// Repeat rate, F2/Fn conversion and time between orders.
    Repeat {
        #[command(flatten)]
        input: InputArgs,
        /// F2 / Fn window in days.
        #[arg(long, default_value_t = 90)]
        window_days: u32,
        /// Largest n of the Fn steps.
        #[arg(long, default_value_t = 5)]
        max_n: u32,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: OutFormat,
    },
    /// Predictive lifetime value: fit BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma, BG/BB, sBG.
    Ltv(Box<ltv::LtvArgs>),
    /// Campaign results: conversions, CVR and revenue per customer of the recipients against
    /// the holdout, with intervals, per campaign, channel and segment; a sale period against a
    /// reference period.
    Campaign(Box<campaign::CampaignArgs>),
    /// Acquisition economics: LTV curves, payback month given a CPA, predicted LTV, per channel,
    /// ad code or first order kind.
    Acquisition(Box<acquisition::AcquisitionArgs>),
    /// Customers matching segment rules (ids, --count, --explain ID; --preset, --rules FILE.json).
    Segment(Box<segment::SegmentArgs>),
    /// Loyalty stages, points and progress from a programme (--program FILE.json); --customer ID
    /// for a card, --history, --distribution monthly.
    Stages(Box<stages::StagesArgs>),
    /// The customer book: apply an events file to a snapshot (or an empty book), print who
    /// changed class, went dormant, came back or changed subscription state, write the new
    /// snapshot.
    Book(Box<book::BookArgs>),
    /// Generate a realistic order log (BG/NBD purchases, Gamma-Gamma spend, subscribers).
    Simulate {
        /// Number of customers.
        #[arg(long, default_value_t = 1000)]
        customers: u64,
        /// Random seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Output file (`.csv` or `.parquet`).
        #[arg(short, long)]
        output: PathBuf,
        /// Share of subscribers.
        #[arg(long, default_value_t = 0.15)]
        subscription_share: f64,
        /// Print the count as JSON.
        #[arg(long, value_enum, default_value = "text")]
        format: OutFormat,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum PeriodArg {
    Monthly,
    Weekly,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`kokyaku report | head`) is the reader's choice, not an error.
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kokyaku: error [{}]: {e}", e.code());
            ExitCode::from(2)
        }
    }
}

pub(crate) fn print_json(v: &impl serde::Serialize) -> Result<()> {
    let s = serde_json::to_string_pretty(v)
        .map_err(|e| Error::Unsupported(format!("JSON output: {e}")))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{s}").map_err(|e| Error::Io {
        path: "<stdout>".into(),
        source: e,
    })
}

fn analysis_options(input: &InputArgs, analysis: &AnalysisArgs) -> Result<AnalysisOptions> {
    let o = analysis.options()?;
    Ok(AnalysisOptions {
        as_of: input.as_of()?.or(o.as_of),
        ..o
    })
}

/// Warns on stderr when the CPM spend threshold is in another currency than the log's.
fn warn_cpm_currency(opts: &AnalysisOptions, log_currency: Option<&str>) {
    if let Some(w) = opts.cpm.currency_warning(log_currency) {
        eprintln!("kokyaku: warning: {w}");
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Segment(a) => segment::run(&a),
        Command::Stages(a) => stages::run(&a),
        Command::Report {
            input,
            analysis,
            format,
        } => {
            let opts = analysis_options(&input, &analysis)?;
            let mut ing = input.read()?;
            // The report names no order: its peak memory (the log beside the summary) without
            // the order ids.
            ing.log.drop_order_ids();
            warn_cpm_currency(&opts, ing.log.currency());
            let report = Report::build(&ing.log, Some(&ing.report), &opts)?;
            match format {
                OutFormat::Json => print_json(&report),
                OutFormat::Text => {
                    let mut out = std::io::stdout().lock();
                    text::report(&mut out, &report, input.source_name().as_str()).map_err(|e| {
                        Error::Io {
                            path: "<stdout>".into(),
                            source: e,
                        }
                    })
                }
            }
        }
        Command::Summary {
            input,
            analysis,
            output,
            format,
        } => {
            let opts = analysis_options(&input, &analysis)?;
            // The streamed summary keeps no currency: the one given with --currency, if any.
            if input.currency.is_some() || input.file.is_none() {
                let c = input
                    .currency
                    .clone()
                    .or_else(|| input.file.is_none().then(|| "JPY".into()));
                warn_cpm_currency(&opts, c.as_deref());
            }
            let (summary, report) = input.summarize(&opts.summary_opts())?;
            let ca = CustomerAnalysis::from_summary(summary, &opts)?;
            // Typed columns straight to the file, a row group at a time (the same bytes as
            // `ca.table` would give).
            input::write_summary(&ca, &opts, &output)?;
            let n_rows = ca.summary.len();
            let msg = serde_json::json!({
                "output": output.display().to_string(),
                "customers": n_rows,
                "as_of": ca.summary.as_of.to_string(),
                "ingestion": report,
            });
            match format {
                OutFormat::Json => print_json(&msg),
                OutFormat::Text => {
                    if output.as_os_str() != "-" {
                        eprintln!("wrote {n_rows} customers to {}", output.display());
                    }
                    Ok(())
                }
            }
        }
        Command::Cohorts {
            input,
            period,
            format,
        } => {
            let ing = input.read()?;
            let opts = CohortOptions {
                period: if period == PeriodArg::Weekly {
                    Period::Weekly
                } else {
                    Period::Monthly
                },
                as_of: input.as_of()?,
                max_periods: None,
            };
            let ret = retention(&ing.log, &opts)?;
            let rev = revenue_curves(&ing.log, &opts)?;
            match format {
                OutFormat::Json => print_json(
                    &serde_json::json!({"ingestion": ing.report, "retention": ret, "revenue": rev}),
                ),
                OutFormat::Text => {
                    let mut out = std::io::stdout().lock();
                    text::retention(&mut out, &ret).map_err(|e| Error::Io {
                        path: "<stdout>".into(),
                        source: e,
                    })
                }
            }
        }
        Command::Repeat {
            input,
            window_days,
            max_n,
            format,
        } => {
            let ing = input.read()?;
            let rep = repeat_metrics(
                &ing.log,
                &RepeatOptions {
                    as_of: input.as_of()?,
                    f2_window_days: window_days,
                    max_n,
                },
            )?;
            match format {
                OutFormat::Json => {
                    print_json(&serde_json::json!({"ingestion": ing.report, "repeat": rep}))
                }
                OutFormat::Text => {
                    let mut out = std::io::stdout().lock();
                    text::repeat(&mut out, &rep).map_err(|e| Error::Io {
                        path: "<stdout>".into(),
                        source: e,
                    })
                }
            }
        }
        Command::Ltv(args) => ltv::run(*args),
        Command::Campaign(args) => campaign::run(*args),
        Command::Acquisition(args) => acquisition::run(&args),
        Command::Book(args) => book::run(&args),
        Command::Simulate {
            customers,
            seed,
            output,
            subscription_share,
            format,
        } => {
            let opts = SimOptions {
                customers,
                seed,
                subscription_share,
                ..SimOptions::default()
            };
            let n = input::write_simulation(&opts, &output)?;
            match format {
                OutFormat::Json => print_json(
                    &serde_json::json!({"output": output.display().to_string(), "customers": customers, "orders": n, "seed": seed}),
                ),
                OutFormat::Text => {
                    eprintln!(
                        "wrote {n} orders of {customers} customers to {}",
                        output.display()
                    );
                    Ok(())
                }
            }
        }
    }
}
