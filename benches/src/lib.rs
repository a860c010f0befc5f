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
