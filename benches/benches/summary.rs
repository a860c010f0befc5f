//! Criterion benches of the foundation over one seeded simulated log: ingestion (CSV text),
//! per-customer summary, RFM, CPM and repeat metrics. Sizes are in the names.
//!
//! The 10M-order comparison with Polars (Parquet in, peak memory) is
//! `benches/summary_vs_polars.py`; this file gives stable per-stage numbers on 1M orders.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kokyaku::cpm::{CpmOptions, classify};
use kokyaku::io::{ReadOptions, read_csv_str};
use kokyaku::repeat::{RepeatOptions, repeat_metrics};
use kokyaku::rfm::{RfmOptions, score};
use kokyaku::simulate::{SimOptions, simulate_each, simulate_log};
use kokyaku::summary::{SummaryOptions, summarize};

fn csv_of(opts: &SimOptions) -> String {
    use std::fmt::Write;
    let mut s = String::from("customer_id,order_id,placed_at,amount,status,kind\n");
    let r = simulate_each(opts, |o| {
        let _ = writeln!(
            s,
            "{:08},O{:010},{},{},{},{}",
            o.customer,
            o.order,
            o.placed_at,
            o.amount,
            o.status.as_str(),
            o.kind.as_str()
        );
        Ok(())
    });
    assert!(r.is_ok());
    s
}

fn bench(c: &mut Criterion) {
    // ~1M orders: 335k customers at the default (CDNOW-like) parameters.
    let opts = SimOptions {
        customers: 335_000,
        seed: 1,
        ..SimOptions::default()
    };
    let log = simulate_log(&opts).expect("simulate");
    let n = log.n_orders();
    let mut g = c.benchmark_group("foundation");
    g.sample_size(10);
    let csv = csv_of(&opts);
    let ro = ReadOptions {
        time_format: Some("epoch".into()),
        ..ReadOptions::default()
    };
    g.bench_function(format!("read_csv_{}k_orders", n / 1000), |b| {
        b.iter(|| black_box(read_csv_str(&csv, &ro).expect("read")));
    });
    let so = SummaryOptions::default();
    g.bench_function(format!("summary_{}k_orders", n / 1000), |b| {
        b.iter(|| black_box(summarize(&log, &so)));
    });
    let s = summarize(&log, &so);
    let rfm = RfmOptions::default();
    g.bench_function(format!("rfm_{}k_customers", s.len() / 1000), |b| {
        b.iter(|| black_box(score(&s, &rfm).expect("rfm")));
    });
    let cpm = CpmOptions::default();
    g.bench_function(format!("cpm_{}k_customers", s.len() / 1000), |b| {
        b.iter(|| black_box(classify(&s, &cpm).expect("cpm")));
    });
    let ro = RepeatOptions::default();
    g.bench_function(format!("repeat_{}k_orders", n / 1000), |b| {
        b.iter(|| black_box(repeat_metrics(&log, &ro).expect("repeat")));
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
