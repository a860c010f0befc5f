//! Shared helpers for the benchmarks.

/// On-CPU seconds of the calling thread (`/proc/thread-self/schedstat`; NaN where absent): on a
/// shared, loaded machine a phase's wall time is mostly waiting for a core, its CPU time is not.
#[must_use]
pub fn thread_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns / 1e9)
}

/// On-CPU seconds of the whole process, every thread (live or ended) included
/// (`CLOCK_PROCESS_CPUTIME_ID`): a phase that uses a second core counts both.
#[must_use]
pub fn process_cpu_seconds() -> f64 {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

/// The loyalty benchmark programme: the JP EC rank of docs/loyalty.md (rolling 365 days, monthly
/// reviews, recompute, net spend, points with stage multipliers, a first-order and a
/// subscription bonus, 12-month expiry). Used by the `loyalty` bench, `loyalty_stages` and
/// `book_timing`.
pub const JP_EC_RANK_PROGRAM: &str = r#"{
  "stages": [{"id": "regular"}, {"id": "silver", "spend": 30000},
             {"id": "gold", "spend": 100000, "multiplier": "1.5"}, {"id": "platinum", "spend": 300000, "multiplier": 2}],
  "window": {"kind": "rolling", "days": 365}, "upgrade": "period_end", "review": "month", "downgrade": "recompute",
  "points": {"per": 100, "earn": 1, "expiry": {"kind": "months", "months": 12},
             "bonuses": [{"kind": "first_order", "points": 100}, {"kind": "subscription", "multiplier": 2}]}
}"#;

/// The rolling-12-month rank programme in dollars of `benches/stages_matrix.py` (its `PROGRAM`), for
/// the export-matrix logs' dollar amounts.
pub const USD_RANK_PROGRAM: &str = r#"{
  "stages": [{"id": "regular"}, {"id": "silver", "spend": 200},
             {"id": "gold", "spend": 500, "multiplier": "1.5"}, {"id": "platinum", "spend": 1500, "multiplier": 2}],
  "window": {"kind": "rolling", "days": 365}, "upgrade": "period_end", "review": "month", "downgrade": "recompute",
  "points": {"per": 1, "earn": 1, "expiry": {"kind": "months", "months": 12},
             "bonuses": [{"kind": "first_order", "points": 100}, {"kind": "subscription", "multiplier": 2}]}
}"#;
