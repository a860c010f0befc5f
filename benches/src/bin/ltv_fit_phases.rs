//! Where an LTV fit spends its time: reads a calibration summary CSV (as written by
//! `kokyaku ltv summary`) and times, best of `--repeat` runs, collapsing the rows and the BG/NBD
//! and Gamma-Gamma fits with and without standard errors. Prints one JSON object.
//!
//! `cargo run --release -p kokyaku-benches --bin ltv_fit_phases -- SUMMARY.csv [REPEAT]`

use std::time::Instant;

use kokyaku::ltv::{
    BgNbd, CalibrationData, FitOptions, GammaGamma, SummaryColumns, TimeUnit, read_summary_csv,
};

fn best<T>(repeat: usize, mut f: impl FnMut() -> T) -> (T, f64) {
    let mut out = None;
    let mut best = f64::INFINITY;
    for _ in 0..repeat.max(1) {
        let t0 = Instant::now();
        let v = f();
        best = best.min(t0.elapsed().as_secs_f64());
        out = Some(v);
    }
    match out {
        Some(v) => (v, best),
        None => unreachable!("repeat is at least 1"),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: ltv_fit_phases SUMMARY.csv [REPEAT]")?;
    let repeat: usize = args.next().map_or(Ok(5), |s| s.parse())?;
    let file = std::fs::File::open(&path)?;
    let summary = read_summary_csv(file, &SummaryColumns::default(), TimeUnit::Weeks)?;
    let data: &CalibrationData = &summary.data;
    let no_se = FitOptions {
        std_errors: false,
        ..FitOptions::default()
    };
    let (rows, collapse) = best(repeat, || data.collapse());
    let (gg_rows, collapse_gg) = best(repeat, || data.collapse_monetary());
    let (bg, bg_fit) = best(repeat, || BgNbd::fit(data, &FitOptions::default()));
    let (_, bg_fit_no_se) = best(repeat, || BgNbd::fit(data, &no_se));
    let (gg, gg_fit) = best(repeat, || GammaGamma::fit(data, &FitOptions::default()));
    let (_, gg_fit_no_se) = best(repeat, || GammaGamma::fit(data, &no_se));
    let (bg, gg) = (bg?, gg?);
    println!(
        "{}",
        serde_json::json!({
            "customers": data.len(),
            "distinct_rows": rows.len(),
            "distinct_repeat_rows": gg_rows?.len(),
            "collapse_ms": collapse * 1e3,
            "collapse_monetary_ms": collapse_gg * 1e3,
            "bgnbd_fit_ms": bg_fit * 1e3,
            "bgnbd_fit_without_std_errors_ms": bg_fit_no_se * 1e3,
            "bgnbd_iterations": bg.report.iterations,
            "bgnbd_ll": bg.report.log_likelihood,
            "gamma_gamma_fit_ms": gg_fit * 1e3,
            "gamma_gamma_fit_without_std_errors_ms": gg_fit_no_se * 1e3,
            "gamma_gamma_ll": gg.report.log_likelihood,
        })
    );
    Ok(())
}
