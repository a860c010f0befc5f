//! `kokyaku segment`: members of segment rules (text, presets, or a JSON rules file).

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use kokyaku::loyalty::{Invitation, LoyaltyEvents, Program, Redemption};
use kokyaku::ltv::{SavedFit, TimeUnit};
use kokyaku::segment::{
    self, LoyaltyFields, Predictions, RuleSource, SegmentExtras, SegmentOptions, Segmenter,
};
use kokyaku::summary::{SummaryOptions, summarize};
use kokyaku::{Error, Result};

use crate::input::InputArgs;

/// Arguments of `kokyaku segment`.
// Doc comments here are `--help` text, where backticks would show literally.
#[allow(clippy::doc_markdown)]
#[derive(Debug, Args)]
pub struct SegmentArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// A rule in the text language, e.g. `orders >= 2 and days_since_last_order > 120`.
    #[arg(long, conflicts_with_all = ["preset", "rules"])]
    pub rule: Option<String>,
    /// A preset by name (see docs/segments.md; `--preset list` lists them).
    #[arg(long, conflicts_with = "rules")]
    pub preset: Option<String>,
    /// A JSON file of named rules, `{"name": "rule text" or rule JSON, …}`: one membership table.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// A customers file (CSV, also .gz, or Parquet: id, birth date, sign-up time, further
    /// columns as attributes). Members who never ordered join with zero orders.
    #[arg(long)]
    pub customers: Option<PathBuf>,
    /// A saved purchase-model fit (`kokyaku ltv fit -o FIT.json`: bg-nbd, mbg-nbd, pareto-nbd,
    /// ggompertz-nbd) for the fields p_alive and expected_orders. Customers are summarised as
    /// `kokyaku ltv` does, with the calibration ending on the as-of date.
    #[arg(long, visible_alias = "fit")]
    pub params: Option<PathBuf>,
    /// A saved Gamma-Gamma fit (`kokyaku ltv fit --model gamma-gamma -o GG.json`) for the
    /// field clv.
    #[arg(long, visible_alias = "spend-fit", requires = "params")]
    pub spend_params: Option<PathBuf>,
    /// Horizon of expected_orders and clv, in the fit's time unit.
    #[arg(long, default_value_t = 52.0)]
    pub horizon: f64,
    /// Discount rate of clv per --discount-period (0.01 = 1%).
    #[arg(long, default_value_t = 0.01)]
    pub discount_rate: f64,
    /// Length of the discount period, in the fit's time unit (default: one month).
    #[arg(long)]
    pub discount_period: Option<f64>,
    /// Profit margin applied to spend in clv.
    #[arg(long, default_value_t = 1.0)]
    pub margin: f64,
    /// A loyalty programme (JSON; docs/loyalty.md) for the fields stage and points (as of the
    /// as-of date).
    #[arg(long)]
    pub program: Option<PathBuf>,
    /// Loyalty redemptions: JSON `[{"customer_id", "date", "points"}]` or CSV.
    #[arg(long, requires = "program")]
    pub redemptions: Option<PathBuf>,
    /// Loyalty invitations: JSON `[{"customer_id", "date", "stage"}]` or CSV.
    #[arg(long, requires = "program")]
    pub invitations: Option<PathBuf>,
    /// Print only the number of members.
    #[arg(long)]
    pub count: bool,
    /// Explain the rule for this customer id (each clause's value and the fields it read).
    #[arg(long)]
    pub explain: Option<String>,
    /// Dormant threshold in days (the `dormant` field).
    #[arg(long, default_value_t = 120)]
    pub dormant_days: u32,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: crate::OutFormat,
    /// Print timings (read, summary, evaluation) on stderr.
    #[arg(long)]
    pub timings: bool,
}

fn io_err(e: std::io::Error) -> Error {
    Error::Io {
        path: "<stdout>".into(),
        source: e,
    }
}

fn read_text(path: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

/// The predictions and loyalty fields the flags ask for (computed when a rule reads them).
fn extras(a: &SegmentArgs) -> Result<SegmentExtras> {
    let saved = |p: &PathBuf| SavedFit::from_json(&read_text(p)?, &p.display().to_string());
    let predictions = match &a.params {
        None => None,
        Some(path) => {
            let fit = saved(path)?;
            let spend = a
                .spend_params
                .as_ref()
                .map(|p| saved(p)?.gamma_gamma())
                .transpose()?;
            let mut p = Predictions::new(
                fit.purchase_model()?,
                spend,
                fit.time_unit.unwrap_or(TimeUnit::Weeks),
            );
            p.clv.horizon = a.horizon;
            p.clv.discount_rate = a.discount_rate;
            if let Some(d) = a.discount_period {
                p.clv.discount_period = d;
            }
            p.clv.margin = a.margin;
            Some(p)
        }
    };
    let loyalty = match &a.program {
        None => None,
        Some(path) => Some(LoyaltyFields {
            program: Program::from_json(&read_text(path)?)?,
            events: LoyaltyEvents {
                redemptions: crate::stages::events_of::<Redemption>(a.redemptions.as_ref())?,
                invitations: crate::stages::events_of::<Invitation>(a.invitations.as_ref())?,
            },
        }),
    };
    Ok(SegmentExtras {
        predictions,
        loyalty,
    })
}

/// Reads the customers file: Parquet by extension, else CSV (`.gz` decompressed).
fn read_customers(
    path: &std::path::Path,
    a: &SegmentArgs,
    tz: chrono_tz::Tz,
) -> Result<segment::CustomerTable> {
    let parquet = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq"));
    if parquet {
        let f = std::fs::File::open(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        return segment::read_customers_parquet(f, tz);
    }
    let opts = a.input.options()?;
    let d = opts.delimiter.byte().unwrap_or(b',');
    segment::read_customers_csv(
        std::io::BufReader::new(kokyaku::io::open_path(path)?),
        d,
        tz,
    )
}

/// Runs the command.
pub fn run(a: &SegmentArgs) -> Result<()> {
    if a.preset.as_deref() == Some("list") {
        if a.format == crate::OutFormat::Json {
            return crate::print_json(&segment::PRESETS);
        }
        let mut out = std::io::stdout().lock();
        for p in segment::PRESETS {
            writeln!(out, "{:<28} {}\n{:<28} ({})", p.name, p.rule, "", p.purpose)
                .map_err(io_err)?;
        }
        return Ok(());
    }
    let named: Vec<(String, RuleSource)> = if let Some(r) = &a.rule {
        vec![("rule".into(), RuleSource::Text(r.clone()))]
    } else if let Some(name) = &a.preset {
        let p = segment::preset(name).ok_or_else(|| {
            let names: Vec<&str> = segment::PRESETS.iter().map(|p| p.name).collect();
            Error::option(
                "--preset",
                name,
                format!("known presets: {}", names.join(", ")),
            )
        })?;
        vec![(p.name.to_owned(), RuleSource::Text(p.rule.to_owned()))]
    } else if let Some(path) = &a.rules {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&text).map_err(|e| Error::Malformed {
                location: kokyaku::Location::column(&path.display().to_string()),
                reason: format!(
                    "a rules file is a JSON object of name -> rule text or rule JSON: {e}"
                ),
            })?;
        map.into_iter()
            .map(|(k, v)| {
                let src = match v {
                    serde_json::Value::String(s) => RuleSource::Text(s),
                    other => RuleSource::Json(segment::from_json(&other.to_string())?),
                };
                Ok((k, src))
            })
            .collect::<Result<_>>()?
    } else {
        return Err(Error::option(
            "segment",
            "(none)",
            "give --rule \"…\", --preset NAME or --rules FILE.json",
        ));
    };
    let extras = extras(a)?;
    let t0 = Instant::now();
    let ing = a.input.read()?;
    let mut log = ing.log;
    let mut customers_report = None;
    if let Some(path) = &a.customers {
        let table = read_customers(path, a, log.timezone())?;
        log = log.with_customers(&table.customers)?;
        customers_report = Some(table.report);
    }
    let t_read = t0.elapsed();
    let opts = SegmentOptions {
        summary: SummaryOptions {
            as_of: a.input.as_of()?,
            dormant_days: a.dormant_days,
            ..SummaryOptions::default()
        },
        ..SegmentOptions::default()
    };
    let t1 = Instant::now();
    let s = summarize(&log, &opts.summary);
    let t_sum = t1.elapsed();
    let mut seg = Segmenter::new(&log, &s, opts);
    seg.with_extras(&extras);
    let rules = named
        .iter()
        .map(|(n, r)| Ok((n.clone(), r.rule(seg.catalog())?)))
        .collect::<Result<Vec<_>>>()?;
    if let Some(id) = &a.explain {
        let mut all = Vec::new();
        for (name, r) in &rules {
            all.push(serde_json::json!({"name": name, "explanation": seg.explain(r, id)?}));
        }
        if a.format == crate::OutFormat::Json {
            return crate::print_json(&all);
        }
        let mut out = std::io::stdout().lock();
        for (name, r) in &rules {
            writeln!(out, "{name}: customer {id}").map_err(io_err)?;
            write_explanation(&mut out, &seg.explain(r, id)?, 1).map_err(io_err)?;
        }
        return Ok(());
    }
    let t2 = Instant::now();
    let members = seg.members_of(&rules)?;
    let t_eval = t2.elapsed();
    if a.timings {
        eprintln!(
            "read {:.3} s, summary {:.3} s, evaluation {:.3} s ({} rules, {} customers)",
            t_read.as_secs_f64(),
            t_sum.as_secs_f64(),
            t_eval.as_secs_f64(),
            rules.len(),
            s.len()
        );
    }
    if a.format == crate::OutFormat::Json {
        let segments: Vec<serde_json::Value> = members
            .iter()
            .map(|m| {
                if a.count {
                    serde_json::json!({"name": m.name, "rule": m.rule, "count": m.count})
                } else {
                    serde_json::to_value(m).unwrap_or_default()
                }
            })
            .collect();
        return crate::print_json(&serde_json::json!({
            "as_of": seg.as_of().to_string(),
            "customers": s.len(),
            "segments": segments,
            "ingestion": ing.report,
            "customers_file": customers_report,
        }));
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if a.count {
        for m in &members {
            if members.len() == 1 {
                writeln!(out, "{}", m.count).map_err(io_err)?;
            } else {
                writeln!(out, "{}\t{}", m.name, m.count).map_err(io_err)?;
            }
        }
    } else if members.len() == 1 {
        for id in &members[0].customer_ids {
            writeln!(out, "{id}").map_err(io_err)?;
        }
    } else {
        // One membership table: customer_id, then one 0/1 column per rule (members of any rule).
        write!(out, "customer_id").map_err(io_err)?;
        for m in &members {
            write!(out, ",{}", m.name).map_err(io_err)?;
        }
        writeln!(out).map_err(io_err)?;
        let sets: Vec<std::collections::HashSet<&str>> = members
            .iter()
            .map(|m| m.customer_ids.iter().map(String::as_str).collect())
            .collect();
        for c in 0..log.n_customers() {
            let id = log.customer_id(c);
            if sets.iter().any(|s| s.contains(id)) {
                write!(out, "{id}").map_err(io_err)?;
                for s in &sets {
                    write!(out, ",{}", u8::from(s.contains(id))).map_err(io_err)?;
                }
                writeln!(out).map_err(io_err)?;
            }
        }
    }
    out.flush().map_err(io_err)
}

fn write_explanation(
    out: &mut impl Write,
    e: &segment::Explanation,
    depth: usize,
) -> std::io::Result<()> {
    let pad = "  ".repeat(depth);
    let mut line = format!("{pad}{} {}", if e.value { "yes" } else { "no " }, e.rule);
    if !e.fields.is_empty() {
        let f: Vec<String> = e
            .fields
            .iter()
            .map(|f| format!("{} = {}", f.field, f.value))
            .collect();
        let _ = write!(line, "   [{}]", f.join(", "));
    }
    if let Some(i) = &e.items {
        let _ = write!(
            line,
            "   [{} of {} {}s]",
            i.matching,
            i.items,
            i.scope.as_str()
        );
    }
    writeln!(out, "{line}")?;
    for c in &e.children {
        write_explanation(out, c, depth + 1)?;
    }
    Ok(())
}
