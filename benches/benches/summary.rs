//! Criterion benches of the foundation over one seeded simulated log: ingestion (CSV text),
//! per-customer summary, RFM, CPM and repeat metrics, and summary + RFM from a Parquet file
//! (streamed, and through the grouped log). Sizes are in the names.
//!
//! The 10M-order comparison with Polars (Parquet in, peak memory) is
//! `benches/summary_vs_polars.py`; this file gives stable per-stage numbers on 1M orders.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kokyaku::cpm::{CpmOptions, classify};
use kokyaku::io::{ReadOptions, SimParquetWriter, read_csv_str, read_path, summarize_path};
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

/// The simulated orders as a Parquet file in time order, order numbers rising with time.
fn parquet_by_time(opts: &SimOptions) -> std::path::PathBuf {
    let mut orders = Vec::new();
    let r = simulate_each(opts, |o| {
        orders.push(*o);
        Ok(())
    });
    assert!(r.is_ok());
    orders.sort_by_key(|o| o.placed_at);
    for (i, o) in orders.iter_mut().enumerate() {
        o.order = i as u64 + 1;
    }
    let path = std::env::temp_dir().join(format!("kokyaku-bench-{}.parquet", std::process::id()));
    let f = std::fs::File::create(&path).expect("create");
    let mut w = SimParquetWriter::new(f, "JPY").expect("writer");
    for o in &orders {
        w.push(o).expect("push");
    }
    w.finish().expect("finish");
    path
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
    // Summary + RFM from Parquet, as `kokyaku summary` runs it: the orders in time order with
    // order numbers rising (as shops export them), streamed (plain batches) or grouped first.
    let path = parquet_by_time(&opts);
    let read = ReadOptions::default();
    g.bench_function(
        format!("summary_rfm_parquet_streamed_{}k_orders", n / 1000),
        |b| {
            b.iter(|| {
                let r = summarize_path(&path, &read, &so).expect("summarize");
                assert!(r.streamed);
                black_box(score(&r.summaries, &rfm).expect("rfm"))
            });
        },
    );
    g.bench_function(
        format!("summary_rfm_parquet_grouped_{}k_orders", n / 1000),
        |b| {
            b.iter(|| {
                let ing = read_path(&path, &read).expect("read");
                black_box(score(&summarize(&ing.log, &so), &rfm).expect("rfm"))
            });
        },
    );
    std::fs::remove_file(&path).ok();
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
