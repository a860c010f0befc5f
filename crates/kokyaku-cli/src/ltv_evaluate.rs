//! `kokyaku ltv evaluate`: the holdout test of a purchase model on an order log (Fader, Hardie &
//! Lee 2005a, section 4): fit on the calibration period, predict each customer's purchases in the
//! holdout, and compare per customer, in total and period by period (their fig. 1 tracking).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use kokyaku::ltv::{
    CalibrationOptions, FitOptions, TimeUnit, calibration_from_log, evaluate_holdout,
    fit_purchase_model, holdout_purchase_days, purchase_model_from_params,
    tracking_expected_cumulative,
};
use kokyaku::model::{day_to_date, parse_date};
use kokyaku::table::{Column, Table};
use kokyaku::{Error, Result};

use crate::input::{InputArgs, write_table};
use crate::ltv::{FormatArg, ModelArg, SavedFit, UnitArg, kind, print_json, report_json, unit};

/// `kokyaku ltv evaluate`.
// Doc comments here are `--help` text, where backticks would show literally.
#[allow(clippy::doc_markdown)]
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Order log flags.
    #[command(flatten)]
    pub input: InputArgs,
    /// Purchase model (bg-nbd, mbg-nbd, pareto-nbd, ggompertz-nbd; default bg-nbd, or the
    /// model of --params).
    #[arg(long, value_enum)]
    pub model: Option<ModelArg>,
    /// Last day of the calibration period (inclusive, YYYY-MM-DD).
    #[arg(long)]
    pub calibration_end: String,
    /// Last day of the holdout period (inclusive, YYYY-MM-DD).
    #[arg(long)]
    pub holdout_end: String,
    /// Time unit of t_x, T, the holdout length and --period.
    #[arg(long, value_enum, default_value = "weeks")]
    pub time_unit: UnitArg,
    /// Length of one tracking period, in --time-unit (the last one is cut at the holdout end).
    #[arg(long, default_value_t = 1.0)]
    pub period: f64,
    /// Evaluate a saved fit (`ltv fit -o FILE`) instead of fitting on the calibration period.
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// Per-customer table (`.csv` or `.parquet`; `-` for CSV on stdout, then the summary goes to
    /// stderr): customer_id, x, t_x_<unit>, t_<unit>, predicted, actual, error.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value = "text")]
    pub format: FormatArg,
}

/// `(x, t_x, T)` bits -> `(x, t_x, T, customers)`.
type Triples = BTreeMap<(u64, u64, u64), (f64, f64, f64, f64)>;

/// One row of the tracking table.
struct Period {
    end: f64,
    end_date: chrono::NaiveDate,
    expected_cumulative: f64,
    actual_cumulative: f64,
    conditional_expected: f64,
    actual: f64,
}

fn finite(v: f64) -> serde_json::Value {
    if v.is_finite() {
        serde_json::json!(v)
    } else {
        serde_json::Value::Null
    }
}

/// Run `kokyaku ltv evaluate`.
#[allow(clippy::too_many_lines)] // one linear pipeline: read, fit, predict, compare, print
pub fn run(args: &EvaluateArgs) -> Result<()> {
    if !(args.period.is_finite() && args.period > 0.0) {
        return Err(Error::option("--period", args.period, "must be > 0"));
    }
    let tu = unit(args.time_unit);
    let saved = args.params.as_deref().map(SavedFit::read).transpose()?;
    let opts = CalibrationOptions {
        calibration_end: parse_date("--calibration-end", &args.calibration_end)?,
        holdout_end: Some(parse_date("--holdout-end", &args.holdout_end)?),
        time_unit: tu,
    };
    let ing = args.input.read()?;
    let s = calibration_from_log(&ing.log, &opts)?;
    let days = holdout_purchase_days(&ing.log, &opts)?;
    let data = &s.data;
    let length = s.holdout_length.unwrap_or(0.0);
    let actual = s.holdout_purchases.clone().unwrap_or_default();

    let t0 = Instant::now();
    let (model, report) = if let Some(sf) = &saved {
        sf.check_unit(tu)?;
        let k = sf.model_for(args.model)?;
        (purchase_model_from_params(k, &sf.params)?, None)
    } else {
        let k = args.model.map_or(kind(ModelArg::BgNbd), kind);
        let (m, r) = fit_purchase_model(k, data, &FitOptions::default())?;
        (m, Some(r))
    };
    let fit_seconds = t0.elapsed().as_secs_f64();

    // Per customer. Predictions depend on (x, t_x, T) only: one evaluation per distinct triple
    // per period (order logs in days have far fewer triples than customers).
    let n = data.len();
    let mut triples = Triples::new();
    for i in 0..n {
        let e = triples
            .entry((
                data.x[i].to_bits(),
                data.t_x[i].to_bits(),
                data.t[i].to_bits(),
            ))
            .or_insert((data.x[i], data.t_x[i], data.t[i], 0.0));
        e.3 += 1.0;
    }
    let predicted: Vec<f64> = (0..n)
        .map(|i| model.conditional_expected_purchases(length, data.x[i], data.t_x[i], data.t[i]))
        .collect();
    let ev = evaluate_holdout(&predicted, &actual)?;

    // Tracking, period by period, times in the unit since 1970-01-01 (days / unit length).
    let ud = tu.days();
    let end_day = s.calibration_end_day;
    let n_periods = (length / args.period - 1e-9).ceil().max(1.0) as usize;
    let ends: Vec<f64> = (1..=n_periods)
        .map(|k| (k as f64 * args.period).min(length))
        .collect();
    let births: Vec<f64> = s
        .first_purchase_day
        .iter()
        .map(|&d| f64::from(d) / ud)
        .collect();
    let origin = f64::from(end_day) / ud;
    let mut taus = vec![origin];
    taus.extend(ends.iter().map(|h| origin + h));
    let expected_from_first = tracking_expected_cumulative(model.as_ref(), &births, &taus);
    let calibration_repeat: f64 = data.x.iter().sum();
    let p_alive: Vec<(f64, f64, f64, f64)> = triples
        .values()
        .map(|&(x, tx, t, w)| (x, t, w * model.p_alive(x, tx, t), w))
        .collect();
    let periods: Vec<Period> = ends
        .iter()
        .enumerate()
        .map(|(k, &h)| {
            // Day offsets from E are whole numbers; the period ends after day floor(h · ud).
            let last = end_day + (h * ud + 1e-9).floor() as i32;
            let actual_k = days.partition_point(|&d| d <= last) as f64;
            let conditional: f64 = p_alive
                .iter()
                .map(|&(x, t, wp, _)| wp * model.expected_purchases_if_alive(h, x, t))
                .sum();
            Period {
                end: h,
                end_date: day_to_date(last),
                expected_cumulative: expected_from_first[k + 1],
                actual_cumulative: calibration_repeat + actual_k,
                conditional_expected: conditional,
                actual: actual_k,
            }
        })
        .collect();

    if let Some(path) = &args.output {
        let f = |v: &[f64]| Column::Float(v.iter().map(|x| Some(*x)).collect());
        let u = tu.as_str();
        let mut t = Table::default();
        t.push(
            "customer_id",
            Column::Str(s.customer_id.iter().cloned().map(Some).collect()),
        );
        t.push("x", f(&data.x));
        t.push(&format!("t_x_{u}"), f(&data.t_x));
        t.push(&format!("t_{u}"), f(&data.t));
        t.push("predicted", f(&predicted));
        t.push("actual", f(&actual));
        t.push("error", f(&ev.error));
        write_table(&t, path)?;
    }

    let u = tu.as_str();
    let expected_at_end = expected_from_first[0];
    match args.format {
        FormatArg::Json => {
            let tracking: Vec<serde_json::Value> = periods
                .iter()
                .enumerate()
                .map(|(k, p)| {
                    serde_json::json!({
                        "period": k + 1,
                        "end": p.end,
                        "end_date": p.end_date.to_string(),
                        "conditional_expected": finite(p.conditional_expected),
                        "actual": p.actual,
                        "expected_cumulative": finite(p.expected_cumulative),
                        "actual_cumulative": p.actual_cumulative,
                    })
                })
                .collect();
            print_json(&serde_json::json!({
                "model": model.name(),
                "fit": report.as_ref().map(|r| report_json(r, Some(tu), fit_seconds)),
                "params_file": args.params.as_ref().map(|p| p.display().to_string()),
                "calibration_end": opts.calibration_end.to_string(),
                "holdout_end": args.holdout_end,
                "time_unit": u,
                "holdout_length": length,
                "n_customers": n,
                "calibration_repeat_purchases": calibration_repeat,
                "expected_calibration_repeat_purchases": finite(expected_at_end),
                "holdout": {
                    "total_predicted": finite(ev.total_predicted),
                    "total_actual": ev.total_actual,
                    "mae": finite(ev.mae),
                    "rmse": finite(ev.rmse),
                    "correlation": finite(ev.correlation),
                },
                "tracking": tracking,
            }))
        }
        FormatArg::Text => {
            let to_stderr = args.output.as_ref().is_some_and(|p| p.as_os_str() == "-");
            let mut buf = Vec::new();
            text(
                &mut buf,
                &TextParts {
                    model: model.name(),
                    report: report.as_ref().map(|r| (r, fit_seconds)),
                    calibration_end: opts.calibration_end,
                    holdout_end: &args.holdout_end,
                    unit: tu,
                    length,
                    n,
                    calibration_repeat,
                    expected_at_end,
                    ev: &ev,
                    periods: &periods,
                },
            )
            .map_err(|e| io_err(e, "<buffer>"))?;
            if to_stderr {
                std::io::stderr()
                    .write_all(&buf)
                    .map_err(|e| io_err(e, "<stderr>"))
            } else {
                std::io::stdout()
                    .lock()
                    .write_all(&buf)
                    .map_err(|e| io_err(e, "<stdout>"))
            }
        }
    }
}

fn io_err(e: std::io::Error, path: &str) -> Error {
    Error::Io {
        path: path.into(),
        source: e,
    }
}

struct TextParts<'a> {
    model: &'a str,
    report: Option<(&'a kokyaku::ltv::FitReport, f64)>,
    calibration_end: chrono::NaiveDate,
    holdout_end: &'a str,
    unit: TimeUnit,
    length: f64,
    n: usize,
    calibration_repeat: f64,
    expected_at_end: f64,
    ev: &'a kokyaku::ltv::HoldoutEvaluation,
    periods: &'a [Period],
}

fn text(out: &mut impl Write, p: &TextParts<'_>) -> std::io::Result<()> {
    let u = p.unit.as_str();
    writeln!(
        out,
        "{} on {} customers; calibration to {}, holdout to {} ({:.2} {u})",
        p.model, p.n, p.calibration_end, p.holdout_end, p.length
    )?;
    if let Some((r, secs)) = p.report {
        let params: Vec<String> = r
            .param_names
            .iter()
            .zip(&r.params)
            .map(|(n, v)| format!("{n} {v:.4}"))
            .collect();
        writeln!(
            out,
            "  fit: {}; log-likelihood {:.4} ({:.3} s)",
            params.join(", "),
            r.log_likelihood,
            secs
        )?;
    }
    writeln!(
        out,
        "  calibration repeat purchases: actual {:.0}, expected {:.1}",
        p.calibration_repeat, p.expected_at_end
    )?;
    let ev = p.ev;
    writeln!(
        out,
        "  holdout repeat purchases: predicted {:.1}, actual {:.0} ({:+.1}%)",
        ev.total_predicted,
        ev.total_actual,
        100.0 * (ev.total_predicted - ev.total_actual) / ev.total_actual.max(1.0)
    )?;
    writeln!(
        out,
        "  per customer: MAE {:.4}, RMSE {:.4}, correlation {:.4}",
        ev.mae, ev.rmse, ev.correlation
    )?;
    writeln!(
        out,
        "\n  {:>7} {:>10} {:>12} {:>10} {:>14} {:>12}",
        format!("end_{}", &u[..1]),
        "date",
        "predicted",
        "actual",
        "exp. cum.",
        "act. cum."
    )?;
    for q in p.periods {
        writeln!(
            out,
            "  {:>7.2} {:>10} {:>12.1} {:>10.0} {:>14.1} {:>12.0}",
            q.end,
            q.end_date,
            q.conditional_expected,
            q.actual,
            q.expected_cumulative,
            q.actual_cumulative
        )?;
    }
    writeln!(
        out,
        "  predicted/actual: holdout purchases so far (conditional on each customer's history);\n  exp./act. cum.: all repeat purchases since the first (FHL 2005a fig. 1)."
    )
}
