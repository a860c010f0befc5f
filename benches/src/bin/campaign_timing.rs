//! Times campaign results on a simulated log: `campaign_timing CUSTOMERS DELIVERIES` simulates
//! an order log (BG/NBD + Gamma-Gamma, `simulate::simulate_log`), draws deliveries of three
//! campaigns on two channels (10 % held out, two segments) for random customers, and prints one
//! JSON line with the sizes and the seconds of each phase (reading deliveries from records, and
//! `campaign_results`; wall and on-CPU seconds of the thread). Used for docs/benchmarks.md.

use std::time::Instant;

use chrono::{DateTime, Utc};
use kokyaku::campaign::{CampaignOptions, Deliveries, Delivery, campaign_results};
use kokyaku::simulate::{SimOptions, simulate_log};
use kokyaku_benches::thread_cpu_seconds;
use rand::{RngExt, SeedableRng};

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
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let customers = args.first().copied().unwrap_or(100_000);
    let n_deliveries = args.get(1).copied().unwrap_or(100_000) as usize;
    let t0 = Instant::now();
    let sim = SimOptions {
        customers,
        ..SimOptions::default()
    };
    let log = simulate_log(&sim)?;
    let t_sim = t0.elapsed().as_secs_f64();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let start = kokyaku::model::local_midnight(log.timezone(), sim.start);
    let records: Vec<Delivery> = (0..n_deliveries)
        .map(|_| {
            let c = rng.random_range(0..log.n_customers());
            let campaign = rng.random_range(0..3u32);
            Delivery {
                customer_id: log.customer_id(c).to_owned(),
                campaign: format!("campaign_{campaign}"),
                channel: Some(if rng.random_bool(0.5) { "mail" } else { "line" }.to_owned()),
                sent_at: DateTime::<Utc>::from_timestamp(
                    start + i64::from(200 + 100 * campaign) * 86_400 + rng.random_range(0..86_400),
                    0,
                )
                .unwrap_or_default(),
                holdout: rng.random_bool(0.1),
                segment: Some(
                    if rng.random_bool(0.3) {
                        "vip"
                    } else {
                        "regular"
                    }
                    .to_owned(),
                ),
            }
        })
        .collect();
    let (t1, c1) = (Instant::now(), thread_cpu_seconds());
    let d = Deliveries::from_records(&records, log.timezone().name())?;
    let (t_read, c_read) = (t1.elapsed().as_secs_f64(), thread_cpu_seconds() - c1);
    drop(records);
    let (t2, c2) = (Instant::now(), thread_cpu_seconds());
    let r = campaign_results(&log, &d.deliveries, &CampaignOptions::default())?;
    let (t_results, c_results) = (t2.elapsed().as_secs_f64(), thread_cpu_seconds() - c2);
    println!(
        "{}",
        serde_json::json!({
            "customers": log.n_customers(),
            "orders": log.n_orders(),
            "deliveries": d.deliveries.len(),
            "rows": r.rows.len(),
            "simulate_s": t_sim,
            "deliveries_from_records_s": t_read,
            "deliveries_from_records_cpu_s": c_read,
            "campaign_results_s": t_results,
            "campaign_results_cpu_s": c_results,
            "peak_rss_mib": peak_rss_mib(),
        })
    );
    Ok(())
}
