//! Times a rolling-window loyalty programme (stages + points) against the per-customer summary
//! on one simulated log, in one process: `cargo run --release -p kokyaku-benches --bin
//! loyalty_stages -- [CUSTOMERS | FILE] [REPEAT] [summary|stages|none]` (default 3,000,000
//! simulated customers, about 9.7M orders; or an export-matrix log FILE, `.parquet` / `.csv`,
//! read once, with a dollar programme; REPEAT rounds of summary then stages, interleaved; wall
//! and on-CPU seconds of every thread and their ratio per round). Prints JSON.

use std::time::Instant;

use kokyaku::io::{ColumnMap, ReadOptions, read_path};
use kokyaku::loyalty::{LoyaltyEvents, Program, StageOptions, evaluate};
use kokyaku::simulate::{SimOptions, simulate_log};
use kokyaku::summary::{SummaryOptions, summarize};
use kokyaku_benches::{JP_EC_RANK_PROGRAM, USD_RANK_PROGRAM, process_cpu_seconds};

/// `(wall seconds, on-CPU seconds of every thread, result)` of one call.
fn timed<T>(f: impl FnOnce() -> T) -> (f64, f64, T) {
    let (t, c) = (Instant::now(), process_cpu_seconds());
    let r = f();
    (t.elapsed().as_secs_f64(), process_cpu_seconds() - c, r)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // A Parquet or CSV export-matrix log (benches/export_matrix.py: `customer_id`, `order_id`,
    // `ts`, `amount` in dollars) instead of the simulated one, with the dollar programme of
    // benches/stages_matrix.py.
    let file = args
        .get(1)
        .filter(|a| {
            std::path::Path::new(a)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("csv"))
        })
        .cloned();
    let customers: u64 = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3_000_000);
    let repeat: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3).max(1);
    // `summary`, `stages` or `none` run only that side once (for instruction counts under
    // callgrind: subtract the `none` run, which only simulates the log).
    let only = args.get(3).map_or("both", String::as_str);
    let t = Instant::now();
    let (log, program) = if let Some(f) = &file {
        let read = ReadOptions {
            columns: ColumnMap {
                customer: Some("customer_id".into()),
                order: Some("order_id".into()),
                time: Some("ts".into()),
                amount: Some("amount".into()),
                ..ColumnMap::default()
            },
            currency: Some("USD".into()),
            ..ReadOptions::default()
        };
        let log = read_path(std::path::Path::new(f), &read).expect("read").log;
        (
            log,
            Program::from_json(USD_RANK_PROGRAM).expect("programme"),
        )
    } else {
        let log = simulate_log(&SimOptions {
            customers,
            seed: 1,
            ..SimOptions::default()
        })
        .expect("simulate");
        (
            log,
            Program::from_json(JP_EC_RANK_PROGRAM).expect("programme"),
        )
    };
    let simulate_s = t.elapsed().as_secs_f64();
    let run_stages = || {
        evaluate(
            &log,
            &program,
            &LoyaltyEvents::default(),
            &StageOptions::default(),
        )
        .expect("stages")
    };
    match only {
        "summary" => {
            let s = summarize(&log, &SummaryOptions::default());
            println!("{}", serde_json::json!({"summary_rows": s.len()}));
            return;
        }
        "stages" => {
            let st = run_stages();
            println!("{}", serde_json::json!({"stage_rows": st.len()}));
            return;
        }
        "none" => {
            println!("{}", serde_json::json!({"orders": log.n_orders()}));
            return;
        }
        _ => {}
    }
    // Interleaved: summary then stages in each round, so both see the same load.
    let mut rounds = Vec::new();
    let mut last = None;
    for _ in 0..repeat {
        let (sw, sc, s) = timed(|| summarize(&log, &SummaryOptions::default()));
        let (tw, tc, st) = timed(run_stages);
        rounds.push(serde_json::json!({
            "summary_wall_s": sw, "stages_wall_s": tw, "ratio_wall": tw / sw,
            "summary_cpu_s": sc, "stages_cpu_s": tc, "ratio_cpu": tc / sc,
        }));
        last = Some((s, st));
    }
    let (s, st) = last.expect("ran");
    let worst = |k: &str| {
        rounds
            .iter()
            .filter_map(|r| r[k].as_f64())
            .fold(f64::NAN, f64::max)
    };
    let best = |k: &str| {
        rounds
            .iter()
            .filter_map(|r| r[k].as_f64())
            .fold(f64::NAN, f64::min)
    };
    let mut per_stage = vec![0u64; program.stages.len()];
    for &k in &st.stage {
        per_stage[k as usize] += 1;
    }
    println!(
        "{}",
        serde_json::json!({
            "customers": log.n_customers(),
            "orders": log.n_orders(),
            "simulate_seconds": simulate_s,
            "rounds": rounds,
            "worst_ratio_wall": worst("ratio_wall"),
            "worst_ratio_cpu": worst("ratio_cpu"),
            "best_summary_wall_s": best("summary_wall_s"),
            "best_stages_wall_s": best("stages_wall_s"),
            "summary_rows": s.len(),
            "customers_per_stage": per_stage,
            "points_total": st.points_balance.iter().sum::<i64>(),
        })
    );
}
