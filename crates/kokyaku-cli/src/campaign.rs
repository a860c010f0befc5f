//! `kokyaku campaign`: campaign results (recipients against the holdout) from an order log and
//! a deliveries file, and optionally a sale period against a reference period.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use kokyaku::campaign::{
    CampaignOptions, CampaignResults, DeliveryColumns, DeliveryReadOptions, PeriodOptions,
    campaign_results, compare_periods, read_deliveries_path, segments_from_rules,
};
use kokyaku::io::Delimiter;
use kokyaku::model::parse_date;
use kokyaku::segment::{self, RuleSource, SegmentOptions};
use kokyaku::{Error, Result};

use crate::input::InputArgs;
use crate::{OutFormat, print_json};

/// `kokyaku campaign`.
#[derive(Debug, Args)]
pub struct CampaignArgs {
    /// Order log (same as the positional FILE).
    #[arg(long)]
    pub orders: Option<PathBuf>,
    /// Deliveries (CSV/TSV or JSON Lines): customer, campaign, channel, sent-at, holdout flag,
    /// optional segment.
    #[arg(long)]
    pub deliveries: PathBuf,
    /// Conversion window in local days, the send day included.
    #[arg(long, default_value_t = 7)]
    pub window_days: u32,
    /// Confidence level of the intervals.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Campaign column of the deliveries (default: detected).
    #[arg(long)]
    pub campaign_col: Option<String>,
    /// Channel column of the deliveries.
    #[arg(long)]
    pub channel_col: Option<String>,
    /// Send-time column of the deliveries.
    #[arg(long)]
    pub sent_col: Option<String>,
    /// Holdout-flag column of the deliveries.
    #[arg(long)]
    pub holdout_col: Option<String>,
    /// Segment column of the deliveries.
    #[arg(long)]
    pub segment_col: Option<String>,
    /// Customer column of the deliveries (default: detected).
    #[arg(long)]
    pub delivery_customer_col: Option<String>,
    /// Segments from segment rules evaluated at send time (as of the day before each send
    /// day) instead of the deliveries' segment column: a JSON file of name -> rule text or
    /// rule JSON (as `kokyaku segment --rules`; the first matching rule in name order).
    #[arg(long, conflicts_with = "segment_preset")]
    pub segment_rules: Option<PathBuf>,
    /// Segments from preset rules (comma-separated names, first match wins; see
    /// `kokyaku segment --preset list`).
    #[arg(long, value_delimiter = ',')]
    pub segment_preset: Vec<String>,
    /// Also compare a sale period with a reference period: START..END (inclusive dates).
    #[arg(long)]
    pub sale: Option<String>,
    /// The reference period START..END (default: as many days just before the sale).
    #[arg(long)]
    pub reference: Option<String>,
    /// Order log flags.
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutFormat,
}

/// The named rules of --segment-rules or --segment-preset (none: the deliveries' column).
fn segment_rules(a: &CampaignArgs) -> Result<Vec<(String, RuleSource)>> {
    if let Some(path) = &a.segment_rules {
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
        return map
            .into_iter()
            .map(|(k, v)| {
                Ok((
                    k,
                    match v {
                        serde_json::Value::String(t) => RuleSource::Text(t),
                        other => RuleSource::Json(segment::from_json(&other.to_string())?),
                    },
                ))
            })
            .collect();
    }
    a.segment_preset
        .iter()
        .map(|name| {
            let p = segment::preset(name).ok_or_else(|| {
                let names: Vec<&str> = segment::PRESETS.iter().map(|p| p.name).collect();
                Error::option(
                    "--segment-preset",
                    name,
                    format!("known presets: {}", names.join(", ")),
                )
            })?;
            Ok((p.name.to_owned(), RuleSource::Text(p.rule.to_owned())))
        })
        .collect()
}

fn period(name: &str, s: &str) -> Result<(chrono::NaiveDate, chrono::NaiveDate)> {
    let (a, b) = s.split_once("..").ok_or_else(|| {
        Error::option(name, s, "expected START..END, e.g. 2024-11-20..2024-11-30")
    })?;
    Ok((parse_date(name, a)?, parse_date(name, b)?))
}

/// Runs `kokyaku campaign`.
pub fn run(mut a: CampaignArgs) -> Result<()> {
    if let Some(o) = a.orders.take() {
        if a.input.file.is_some() {
            return Err(Error::option(
                "--orders",
                o.display(),
                "give the order log once: --orders or FILE",
            ));
        }
        a.input.file = Some(o);
    }
    let read = a.input.options()?;
    let ing = a.input.read()?;
    let dopts = DeliveryReadOptions {
        columns: DeliveryColumns {
            customer: a.delivery_customer_col.clone(),
            campaign: a.campaign_col.clone(),
            channel: a.channel_col.clone(),
            time: a.sent_col.clone(),
            holdout: a.holdout_col.clone(),
            segment: a.segment_col.clone(),
        },
        time_format: None,
        timezone: read.timezone.clone(),
        delimiter: if read.delimiter == Delimiter::Whitespace {
            Delimiter::Comma
        } else {
            read.delimiter
        },
        has_header: true,
        strict: a.input.strict,
    };
    let mut d = read_deliveries_path(&a.deliveries, &dopts)?;
    let rules = segment_rules(&a)?;
    if !rules.is_empty() {
        d.deliveries =
            segments_from_rules(&ing.log, &d.deliveries, &rules, &SegmentOptions::default())?;
    }
    let results = campaign_results(
        &ing.log,
        &d.deliveries,
        &CampaignOptions {
            window_days: a.window_days,
            confidence: a.confidence,
            as_of: a.input.as_of()?,
        },
    )?;
    let periods = match &a.sale {
        None => None,
        Some(s) => {
            let (sale_start, sale_end) = period("--sale", s)?;
            let (reference_start, reference_end) = match &a.reference {
                Some(r) => {
                    let (x, y) = period("--reference", r)?;
                    (Some(x), Some(y))
                }
                None => (None, None),
            };
            Some(compare_periods(
                &ing.log,
                Some(&d.deliveries),
                &PeriodOptions {
                    sale_start,
                    sale_end,
                    reference_start,
                    reference_end,
                },
            )?)
        }
    };
    match a.format {
        OutFormat::Json => print_json(&serde_json::json!({
            "ingestion": ing.report,
            "deliveries": d.report,
            "campaigns": results,
            "periods": periods,
        })),
        OutFormat::Text => {
            let mut out = std::io::stdout().lock();
            text(&mut out, &results, &d.report).map_err(|e| Error::Io {
                path: "<stdout>".into(),
                source: e,
            })?;
            if let Some(p) = periods {
                writeln!(
                    out,
                    "\nsale {}..{} vs reference {}..{}",
                    p.sale.start, p.sale.end, p.reference.start, p.reference.end
                )
                .and_then(|()| {
                    writeln!(
                        out,
                        "  revenue   {} vs {} (per day change {})",
                        p.sale.revenue,
                        p.reference.revenue,
                        pct(p.revenue_per_day_change)
                    )
                })
                .and_then(|()| {
                    writeln!(
                        out,
                        "  orders    {} vs {} (per day change {})",
                        p.sale.orders,
                        p.reference.orders,
                        pct(p.orders_per_day_change)
                    )
                })
                .and_then(|()| {
                    writeln!(
                        out,
                        "  buyers    {} vs {} (new {} vs {})",
                        p.sale.buyers,
                        p.reference.buyers,
                        p.sale.new_buyers,
                        p.reference.new_buyers
                    )
                })
                .and_then(|()| {
                    writeln!(
                        out,
                        "  CVR       {} vs {}",
                        pct(p.sale.cvr),
                        pct(p.reference.cvr)
                    )
                })
                .map_err(|e| Error::Io {
                    path: "<stdout>".into(),
                    source: e,
                })?;
            }
            Ok(())
        }
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(
        || "-".to_owned(),
        |x| format!("{:+.1}%", x * 100.0).replace("+-", "-"),
    )
}

fn text(
    out: &mut impl Write,
    r: &CampaignResults,
    d: &kokyaku::campaign::DeliveryReport,
) -> std::io::Result<()> {
    writeln!(
        out,
        "deliveries: {} rows read, {} accepted, {} rejected; window {} days; as of {}; {:.0}% intervals",
        d.rows_read,
        d.rows_accepted,
        d.rows_rejected,
        r.window_days,
        r.as_of,
        r.confidence * 100.0
    )?;
    writeln!(
        out,
        "{:<16} {:<10} {:<10} {:<9} {:>9} {:>7} {:>9} {:>7} {:>24} {:>22}",
        "campaign",
        "channel",
        "segment",
        "customers",
        "sent",
        "CVR",
        "holdout",
        "CVR",
        "CVR uplift [interval]",
        "net/customer uplift"
    )?;
    for row in &r.rows {
        let u = row.uplift.as_ref();
        writeln!(
            out,
            "{:<16} {:<10} {:<10} {:<9} {:>9} {:>7} {:>9} {:>7} {:>24} {:>22}",
            row.campaign,
            row.channel.as_deref().unwrap_or("(all)"),
            row.segment.as_deref().unwrap_or("(all)"),
            row.customers.as_str(),
            row.recipients.customers,
            row.recipients
                .cvr
                .map_or("-".into(), |c| format!("{:.1}%", c * 100.0)),
            row.holdout.customers,
            row.holdout
                .cvr
                .map_or("-".into(), |c| format!("{:.1}%", c * 100.0)),
            u.map_or("-".into(), |u| format!(
                "{:+.1}pt [{:+.1}, {:+.1}]",
                u.cvr_difference * 100.0,
                u.cvr_difference_interval.low * 100.0,
                u.cvr_difference_interval.high * 100.0
            )),
            u.map_or("-".into(), |u| format!(
                "{:+.0}",
                u.net_revenue_per_customer_difference
            )),
        )?;
    }
    Ok(())
}
