//! Times a rolling-window loyalty programme (stages + points) against the per-customer summary
//! on one simulated log, in one process: `cargo run --release -p kokyaku-benches --bin
//! loyalty_stages -- [CUSTOMERS] [REPEAT]` (default 3,000,000 customers, about 9M orders; best
//! of REPEAT runs each). Prints JSON.

use std::time::Instant;

use kokyaku::loyalty::{LoyaltyEvents, Program, StageOptions, evaluate};
use kokyaku::simulate::{SimOptions, simulate_log};
use kokyaku::summary::{SummaryOptions, summarize};

/// The benchmark programme: the JP EC rank of docs/loyalty.md (rolling 365 days, monthly
/// reviews, recompute, net spend, points with stage multipliers and 12-month expiry).
pub const PROGRAM: &str = r#"{
  "stages": [{"id": "regular"}, {"id": "silver", "spend": 30000},
             {"id": "gold", "spend": 100000, "multiplier": "1.5"}, {"id": "platinum", "spend": 300000, "multiplier": 2}],
  "window": {"kind": "rolling", "days": 365}, "upgrade": "period_end", "review": "month", "downgrade": "recompute",
  "points": {"per": 100, "earn": 1, "expiry": {"kind": "months", "months": 12},
             "bonuses": [{"kind": "first_order", "points": 100}, {"kind": "subscription", "multiplier": 2}]}
}"#;

fn best<T>(repeat: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    (best, out.expect("ran"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let customers: u64 = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3_000_000);
    let repeat: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3);
    let t = Instant::now();
    let log = simulate_log(&SimOptions {
        customers,
        seed: 1,
        ..SimOptions::default()
    })
    .expect("simulate");
    let simulate_s = t.elapsed().as_secs_f64();
    let program = Program::from_json(PROGRAM).expect("programme");
    let (summary_s, s) = best(repeat, || summarize(&log, &SummaryOptions::default()));
    let (stages_s, st) = best(repeat, || {
        evaluate(
            &log,
            &program,
            &LoyaltyEvents::default(),
            &StageOptions::default(),
        )
        .expect("stages")
    });
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
            "summary_seconds": summary_s,
            "stages_seconds": stages_s,
            "ratio": stages_s / summary_s,
            "summary_rows": s.len(),
            "customers_per_stage": per_stage,
            "points_total": st.points_balance.iter().sum::<i64>(),
        })
    );
}
