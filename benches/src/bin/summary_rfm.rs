//! Times the per-customer summary and RFM of a Parquet order log, phase by phase, and prints one
//! JSON line (used by `benches/summary_vs_polars.py`). By default the summary is streamed from
//! the file (`io::summarize_path`, what `kokyaku summary` runs); `--grouped` times reading the
//! grouped `OrderLog` first and summarising it.

use std::time::Instant;

use kokyaku::io::{ReadOptions, read_path, summarize_path};
use kokyaku::rfm::{RfmOptions, score};
use kokyaku::summary::{SummaryOptions, summarize};

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() -> Result<(), kokyaku::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let grouped = args.iter().any(|a| a == "--grouped");
    let path = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .ok_or_else(|| {
            kokyaku::Error::option("path", "", "usage: summary_rfm [--grouped] FILE.parquet")
        })?
        .clone();
    let t0 = Instant::now();
    // The columns Polars reads in the same run: customer, order, time, amount, status (the log's
    // one currency given; kind and subscription columns not read).
    let mut opts = ReadOptions {
        currency: Some("JPY".into()),
        ..ReadOptions::default()
    };
    for c in [
        &mut opts.columns.currency,
        &mut opts.columns.kind,
        &mut opts.columns.subscription,
    ] {
        *c = Some("-".into());
    }
    let path = std::path::Path::new(&path);
    let (s, n_orders, route, t1, peak_after_read) = if grouped {
        let ing = read_path(path, &opts)?;
        let t1 = Instant::now();
        let peak = peak_rss_mib();
        let s = summarize(&ing.log, &SummaryOptions::default());
        (s, ing.report.orders, "grouped", t1, peak)
    } else {
        let r = summarize_path(path, &opts, &SummaryOptions::default())?;
        let t1 = Instant::now();
        let route = if r.streamed {
            "streamed"
        } else {
            "fell back to grouped"
        };
        (r.summaries, r.report.orders, route, t1, peak_rss_mib())
    };
    let t2 = Instant::now();
    let peak_after_summary = peak_rss_mib();
    let r = score(&s, &RfmOptions::default())?;
    let t3 = Instant::now();
    let champions = r.table.first().map_or(0, |x| x.customers);
    let buyers = s.orders.iter().filter(|&&o| o > 0).count();
    println!(
        "{{\"tool\":\"kokyaku\",\"route\":\"{route}\",\"orders\":{},\"customers\":{},\"buyers\":{},\"read_s\":{:.3},\"summary_s\":{:.3},\"rfm_s\":{:.3},\"total_s\":{:.3},\"peak_rss_mib\":{:.1},\"peak_after_read_mib\":{:.1},\"peak_after_summary_mib\":{:.1},\"champions\":{}}}",
        n_orders,
        s.len(),
        buyers,
        (t1 - t0).as_secs_f64(),
        (t2 - t1).as_secs_f64(),
        (t3 - t2).as_secs_f64(),
        (t3 - t0).as_secs_f64(),
        peak_rss_mib(),
        peak_after_read,
        peak_after_summary,
        champions
    );
    Ok(())
}
