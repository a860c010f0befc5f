//! `kokyaku stages`: loyalty stages, points and progress from an order log and a programme
//! (docs/loyalty.md): a table of every customer, one customer's card (`--customer`), the stage
//! changes (`--history`) or the month-end distribution (`--distribution monthly`).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use kokyaku::loyalty::{
    self, Invitation, LoyaltyEvents, Program, Redemption, StageOptions, Stages,
};
use kokyaku::table::{Column, Table};
use kokyaku::{Error, Location, Result};

use crate::input::InputArgs;

/// How often the distribution is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Every {
    /// At every month end.
    Monthly,
}

/// Arguments of `kokyaku stages`.
#[derive(Debug, Args)]
pub struct StagesArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The programme (JSON; see docs/loyalty.md).
    #[arg(long)]
    pub program: PathBuf,
    /// One customer's card instead of the table.
    #[arg(long)]
    pub customer: Option<String>,
    /// The stage changes (date, from, to, reason, triggering order).
    #[arg(long, conflicts_with = "distribution")]
    pub history: bool,
    /// Stage counts at every month end, upgrades / downgrades and the transition matrix.
    #[arg(long, value_enum)]
    pub distribution: Option<Every>,
    /// Redemptions: JSON `[{"customer_id", "date", "points"}]` or CSV with those columns.
    #[arg(long)]
    pub redemptions: Option<PathBuf>,
    /// Invitations: JSON `[{"customer_id", "date", "stage"}]` or CSV with those columns.
    #[arg(long)]
    pub invitations: Option<PathBuf>,
    /// Output format (text: CSV tables, or a readable card).
    #[arg(long, value_enum, default_value = "text")]
    pub format: crate::OutFormat,
    /// Write the table (or `--history`) to this file instead: Parquet for `.parquet` / `.pq`,
    /// else CSV (`-`: CSV on stdout).
    #[arg(short, long, default_value = "-", conflicts_with_all = ["customer", "distribution"])]
    pub output: PathBuf,
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Rows of a small events file (JSON list of objects, or CSV with a header) as JSON objects.
fn event_rows(path: &Path) -> Result<Vec<serde_json::Value>> {
    let text = read(path)?;
    let bad = |reason: String| Error::Malformed {
        location: Location::column(&path.display().to_string()),
        reason,
    };
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        return serde_json::from_str(&text).map_err(|e| bad(format!("expected a JSON list: {e}")));
    }
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split(',')
        .map(|h| h.trim().to_owned())
        .collect();
    Ok(lines
        .map(|l| {
            let m: serde_json::Map<String, serde_json::Value> = header
                .iter()
                .zip(l.split(','))
                .map(|(h, v)| {
                    let v = v.trim();
                    let val = if h == "points" {
                        v.parse::<i64>()
                            .map_or_else(|_| serde_json::Value::from(v), serde_json::Value::from)
                    } else {
                        serde_json::Value::from(v)
                    };
                    (h.clone(), val)
                })
                .collect();
            serde_json::Value::Object(m)
        })
        .collect())
}

pub(crate) fn events_of<T: serde::de::DeserializeOwned>(path: Option<&PathBuf>) -> Result<Vec<T>> {
    let Some(p) = path else { return Ok(Vec::new()) };
    event_rows(p)?
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            serde_json::from_value(v).map_err(|e| Error::Malformed {
                location: Location {
                    row: Some(i as u64 + 1),
                    column: Some(p.display().to_string()),
                    customer_id: None,
                },
                reason: e.to_string(),
            })
        })
        .collect()
}

fn io_err(e: std::io::Error) -> Error {
    Error::Io {
        path: "<stdout>".into(),
        source: e,
    }
}

/// Runs the command.
pub fn run(a: &StagesArgs) -> Result<()> {
    let program = Program::from_json(&read(&a.program)?)?;
    let events = LoyaltyEvents {
        redemptions: events_of::<Redemption>(a.redemptions.as_ref())?,
        invitations: events_of::<Invitation>(a.invitations.as_ref())?,
    };
    let ing = a.input.read()?;
    let opts = StageOptions {
        as_of: a.input.as_of()?,
        history: a.history || a.customer.is_some(),
        distribution: a.distribution.is_some(),
    };
    let s = loyalty::evaluate(&ing.log, &program, &events, &opts)?;
    let json = a.format == crate::OutFormat::Json;
    if let Some(id) = &a.customer {
        let i = ing
            .log
            .find_customer(id)
            .ok_or_else(|| Error::InvalidValue {
                value: id.clone(),
                location: Location::customer(id),
                reason: "no such customer in the log".into(),
            })?;
        let card = loyalty::card(&s, i);
        return if json {
            crate::print_json(&card)
        } else {
            print_card(&card)
        };
    }
    if a.history {
        let rows = loyalty::history_rows(&s);
        if json && a.output.as_os_str() == "-" {
            return crate::print_json(&rows);
        }
        let mut t = Table::default();
        let col = |f: &dyn Fn(&loyalty::HistoryRow) -> Option<String>| {
            Column::Str(rows.iter().map(f).collect())
        };
        t.push("customer_id", col(&|r| Some(r.customer_id.clone())));
        t.push("date", col(&|r| Some(r.date.to_string())));
        t.push("from", col(&|r| Some(r.from.clone())));
        t.push("to", col(&|r| Some(r.to.clone())));
        t.push("reason", col(&|r| Some(r.reason.to_owned())));
        t.push("order_id", col(&|r| r.order_id.clone()));
        crate::input::write_table(&t, &a.output)?;
        return wrote(a, t.n_rows(), "changes", &s);
    }
    if a.distribution.is_some() {
        return print_distribution(&s, json);
    }
    if json && a.output.as_os_str() == "-" {
        return crate::print_json(&loyalty::stages_table(&s).to_records());
    }
    // Typed columns straight to the file (the same bytes as the table would give).
    let batch = loyalty::stages_record_batch(&s)?;
    crate::input::write_batch(&batch, &a.output)?;
    wrote(a, batch.num_rows(), "customers", &s)
}

/// After writing a file: what was written (JSON with `--format json`, else a line on stderr
/// unless `--quiet`); nothing for stdout.
fn wrote(a: &StagesArgs, rows: usize, what: &str, s: &Stages) -> Result<()> {
    if a.output.as_os_str() == "-" {
        return Ok(());
    }
    if a.format == crate::OutFormat::Json {
        let mut m = serde_json::Map::new();
        m.insert("output".into(), a.output.display().to_string().into());
        m.insert(what.into(), rows.into());
        m.insert("as_of".into(), s.as_of.to_string().into());
        return crate::print_json(&m);
    }
    if !a.input.quiet {
        eprintln!("wrote {rows} {what} to {}", a.output.display());
    }
    Ok(())
}

fn print_card(c: &loyalty::Card) -> Result<()> {
    let mut o = std::io::stdout().lock();
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    writeln!(o, "customer     {}  (as of {})", c.customer_id, c.as_of).map_err(io_err)?;
    writeln!(
        o,
        "stage        {} ({}) since {}",
        c.stage_name,
        c.stage,
        opt(c.stage_since.map(|d| d.to_string()))
    )
    .map_err(io_err)?;
    writeln!(
        o,
        "window       spend {}, {} orders",
        c.window_spend, c.window_orders
    )
    .map_err(io_err)?;
    if let Some(b) = c.points_balance {
        writeln!(
            o,
            "points       {b} (next expiring: {} on {})",
            opt(c.next_expiring_points.map(|p| p.to_string())),
            opt(c.next_expiring_date.map(|d| d.to_string()))
        )
        .map_err(io_err)?;
    }
    match &c.next_stage {
        Some(n) => {
            let mut need = Vec::new();
            if let Some(s) = c.spend_needed {
                need.push(format!("spend {s}"));
            }
            if let Some(k) = c.orders_needed {
                need.push(format!("{k} orders"));
            }
            if let Some(p) = c.points_needed {
                need.push(format!("{p} points"));
            }
            writeln!(
                o,
                "next stage   {n}: {} more by {}",
                need.join(" / "),
                opt(c.needed_by.map(|d| d.to_string()))
            )
            .map_err(io_err)?;
        }
        None => writeln!(o, "next stage   - (top stage)").map_err(io_err)?,
    }
    for h in &c.history {
        writeln!(
            o,
            "  {}  {} -> {}  ({}{})",
            h.date,
            h.from,
            h.to,
            h.reason,
            h.order_id
                .as_ref()
                .map(|x| format!(", order {x}"))
                .unwrap_or_default()
        )
        .map_err(io_err)?;
    }
    Ok(())
}

fn print_distribution(s: &Stages, json: bool) -> Result<()> {
    let Some(d) = &s.distribution else {
        return Ok(());
    };
    if json {
        return crate::print_json(d);
    }
    let mut o = std::io::stdout().lock();
    writeln!(
        o,
        "month_end,{},upgrades,downgrades,new_members",
        d.stages.join(",")
    )
    .map_err(io_err)?;
    for (m, e) in d.month_ends.iter().enumerate() {
        let counts: Vec<String> = d.counts[m].iter().map(u64::to_string).collect();
        writeln!(
            o,
            "{e},{},{},{},{}",
            counts.join(","),
            d.upgrades[m],
            d.downgrades[m],
            d.new_members[m]
        )
        .map_err(io_err)?;
    }
    writeln!(o, "\nfrom\\to,{}", d.stages.join(",")).map_err(io_err)?;
    for (k, row) in d.transitions.iter().enumerate() {
        let name = d.stages.get(k).map_or("new", String::as_str);
        let cells: Vec<String> = row.iter().map(u64::to_string).collect();
        writeln!(o, "{name},{}", cells.join(",")).map_err(io_err)?;
    }
    Ok(())
}
