//! `kokyaku book`: apply an events file to a book snapshot (or an empty book), print the
//! changes, write the new snapshot.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use kokyaku::book::{Book, BookOptions, ChangeReport, EventFormat, IngestCounts, read_events};
use kokyaku::io::parse_tz;
use kokyaku::model::parse_date;
use kokyaku::{Error, Result};

use crate::OutFormat;

/// `kokyaku book`.
#[derive(Debug, Args)]
pub struct BookArgs {
    /// Events file: `.csv`, `.tsv` or `.jsonl`, with a `type` column (order, refund,
    /// cancellation, subscription, customer); see docs/book.md.
    pub events: Option<PathBuf>,
    /// The snapshot to start from; without it the book starts empty (with the options below).
    #[arg(long)]
    pub from: Option<PathBuf>,
    /// Where to write the new snapshot (may be the --from file: it is replaced atomically).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Segments to keep current: a JSON file of name -> rule (text or JSON form), replacing the
    /// book's set (members of a segment kept under the same name stay; new ones enter).
    #[arg(long)]
    pub segments: Option<PathBuf>,
    /// A loyalty programme to keep current (JSON, docs/loyalty.md), replacing the book's: the
    /// report then holds stage changes (up, down) and expired points.
    #[arg(long)]
    pub program: Option<PathBuf>,
    /// Print every customer's loyalty stage and points after the report (needs a programme).
    #[arg(long)]
    pub stages: bool,
    /// Move the book's date to this day after the events (YYYY-MM-DD).
    #[arg(long)]
    pub advance: Option<String>,
    /// New book: its options as a JSON file (`timezone`, `as_of`, `dormant_days`,
    /// `subscription_lapse_days`, `cpm`: docs/book.md); the flags below override it.
    #[arg(long)]
    pub options: Option<PathBuf>,
    /// New book: IANA time zone of calendar days.
    #[arg(long)]
    pub timezone: Option<String>,
    /// New book: its starting date (default: the day after the last order, following the data).
    #[arg(long)]
    pub as_of: Option<String>,
    /// New book: days without an order after which a customer is dormant.
    #[arg(long)]
    pub dormant_days: Option<u32>,
    /// Output format of the change report.
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutFormat,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.display().to_string(),
        source,
    }
}

fn new_options(a: &BookArgs) -> Result<BookOptions> {
    let mut o = match &a.options {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(io_err(p))?;
            serde_json::from_str(&text).map_err(|e| {
                Error::option("--options", p.display(), format!("not book options: {e}"))
            })?
        }
        None => BookOptions::default(),
    };
    if let Some(tz) = &a.timezone {
        parse_tz(tz)?;
        o.timezone.clone_from(tz);
    }
    if let Some(d) = &a.as_of {
        o.as_of = Some(parse_date("--as-of", d)?);
    }
    if let Some(d) = a.dormant_days {
        o.dormant_days = d;
    }
    Ok(o)
}

/// Runs `kokyaku book`.
pub fn run(a: &BookArgs) -> Result<()> {
    let mut book = match &a.from {
        Some(p) => {
            if a.options.is_some()
                || a.timezone.is_some()
                || a.as_of.is_some()
                || a.dormant_days.is_some()
            {
                return Err(Error::option(
                    "--from",
                    p.display(),
                    "a snapshot keeps its own options; give --options, --timezone, --as-of or --dormant-days only for a new book (without --from)",
                ));
            }
            Book::restore(&std::fs::read(p).map_err(io_err(p))?)?
        }
        None => Book::new(new_options(a)?)?,
    };
    if let Some(p) = &a.segments {
        let text = std::fs::read_to_string(p).map_err(io_err(p))?;
        let rules: std::collections::BTreeMap<String, kokyaku::segment::RuleSource> =
            serde_json::from_str(&text).map_err(|e| {
                Error::option(
                    "--segments",
                    p.display(),
                    format!("expected a JSON object of name -> rule: {e}"),
                )
            })?;
        let rules: Vec<_> = rules.into_iter().collect();
        book.set_segments(&rules)?;
    }
    if let Some(p) = &a.program {
        let text = std::fs::read_to_string(p).map_err(io_err(p))?;
        book.set_program(Some(&text))?;
    }
    if a.stages && book.program().is_none() {
        return Err(Error::option(
            "--stages",
            "true",
            "the book has no loyalty programme: give --program FILE",
        ));
    }
    let mut counts = IngestCounts::default();
    if let Some(path) = &a.events {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let format = match ext.as_str() {
            "csv" | "txt" => EventFormat::Csv,
            "tsv" => EventFormat::Tsv,
            "jsonl" | "ndjson" | "json" => EventFormat::Jsonl,
            _ => {
                return Err(Error::Unsupported(format!(
                    "unknown events file type '.{ext}' for '{}': use .csv, .tsv or .jsonl",
                    path.display()
                )));
            }
        };
        let file = std::fs::File::open(path).map_err(io_err(path))?;
        let events = read_events(std::io::BufReader::new(file), format, book.timezone())?;
        counts = book.ingest(&events)?;
    }
    if let Some(d) = &a.advance {
        book.advance(parse_date("--advance", d)?)?;
    }
    let report = book.changes()?;
    if let Some(out) = &a.output {
        write_atomically(out, &book.snapshot())?;
    }
    let stages = if a.stages { book.stages(false)? } else { None };
    match a.format {
        OutFormat::Json => crate::print_json(&serde_json::json!({
            "stages": stages.as_ref().map(|s| kokyaku::loyalty::stages_table(s).to_records()),
            "as_of": report.as_of.to_string(),
            "since": report.since.to_string(),
            "events": report.events,
            "ingested": counts,
            "customers": book.n_customers(),
            "orders": book.n_orders(),
            "held": book.n_held(),
            "snapshot": a.output.as_ref().map(|p| p.display().to_string()),
            "changes": report.changes,
        })),
        OutFormat::Text => {
            let mut out = std::io::stdout().lock();
            text(&mut out, &book, &counts, &report, a.output.as_deref())
                .and_then(|()| match &stages {
                    Some(s) => stage_lines(&mut out, s),
                    None => Ok(()),
                })
                .map_err(|e| Error::Io {
                    path: "<stdout>".into(),
                    source: e,
                })
        }
    }
}

/// Writes `bytes` to a temporary file next to `path`, then renames it over `path`: a crash
/// leaves the old snapshot or the new one, never half of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    {
        let mut f = std::fs::File::create(&tmp).map_err(io_err(&tmp))?;
        f.write_all(bytes).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
    }
    std::fs::rename(&tmp, path).map_err(io_err(path))
}

fn text(
    out: &mut impl Write,
    book: &Book,
    counts: &IngestCounts,
    r: &ChangeReport,
    snapshot: Option<&Path>,
) -> std::io::Result<()> {
    writeln!(
        out,
        "book at {} (since {}): {} customers, {} orders, {} held; this run: {} events applied, {} repeats, {} held",
        r.as_of,
        r.since,
        book.n_customers(),
        book.n_orders(),
        book.n_held(),
        counts.applied,
        counts.duplicates,
        counts.held
    )?;
    if r.changes.is_empty() {
        writeln!(out, "no changes")?;
    } else {
        writeln!(out, "{} changes:", r.changes.len())?;
        let w = r
            .changes
            .iter()
            .map(|c| c.customer_id.chars().count())
            .max()
            .unwrap_or(0);
        for c in &r.changes {
            let what = match (&c.from, &c.to) {
                (None, None) if let Some(p) = c.points => format!(" {p} points"),
                (None, None) => c
                    .segment
                    .as_deref()
                    .map_or_else(String::new, |s| format!(" {s}")),
                (f, t) => format!(
                    " {} -> {}",
                    f.as_deref().unwrap_or("-"),
                    t.as_deref().unwrap_or("-")
                ),
            };
            let why = match &c.trigger.id {
                Some(id) => format!("{} {id}", c.trigger.event.as_str()),
                None => c.trigger.event.as_str().to_owned(),
            };
            writeln!(
                out,
                "  {:<w$}  {}{what}  ({why})",
                c.customer_id,
                c.kind.as_str()
            )?;
        }
    }
    if let Some(p) = snapshot {
        writeln!(out, "snapshot written to {}", p.display())?;
    }
    Ok(())
}

/// One line per customer: stage, points balance, next stage and what it still needs.
fn stage_lines(out: &mut impl Write, s: &kokyaku::loyalty::Stages) -> std::io::Result<()> {
    writeln!(out, "stages as of {}:", s.as_of)?;
    let w = (0..s.len())
        .map(|i| s.customer_id.get(i).chars().count())
        .max()
        .unwrap_or(0);
    for i in 0..s.len() {
        let points = if s.has_points {
            format!("  {} points", s.points_balance[i])
        } else {
            String::new()
        };
        let next = match (s.next_stage[i], s.spend_needed_units[i]) {
            (Some(k), Some(u)) => {
                format!("  {} more for {}", s.money(u), s.stage_ids[usize::from(k)])
            }
            _ => String::new(),
        };
        writeln!(
            out,
            "  {:<w$}  {}{points}{next}",
            s.customer_id.get(i),
            s.stage_id(i)
        )?;
    }
    Ok(())
}
