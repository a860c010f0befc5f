//! Criterion bench of loyalty stages + points (the rolling-window JP EC programme) next to the
//! summary on the same simulated log of ~1M orders. The 10M-order figure is
//! `cargo run --release -p kokyaku-benches --bin loyalty_stages` (see docs/benchmarks.md).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kokyaku::loyalty::{LoyaltyEvents, Program, StageOptions, evaluate};
use kokyaku::simulate::{SimOptions, simulate_log};
use kokyaku::summary::{SummaryOptions, summarize};
use kokyaku_benches::JP_EC_RANK_PROGRAM;

fn bench(c: &mut Criterion) {
    let log = simulate_log(&SimOptions {
        customers: 335_000,
        seed: 1,
        ..SimOptions::default()
    })
    .expect("simulate");
    let n = log.n_orders() / 1000;
    let program = Program::from_json(JP_EC_RANK_PROGRAM).expect("programme");
    let mut g = c.benchmark_group("loyalty");
    g.sample_size(10);
    g.bench_function(format!("summary_{n}k_orders"), |b| {
        b.iter(|| black_box(summarize(&log, &SummaryOptions::default())));
    });
    g.bench_function(format!("stages_points_rolling_{n}k_orders"), |b| {
        b.iter(|| {
            black_box(
                evaluate(
                    &log,
                    &program,
                    &LoyaltyEvents::default(),
                    &StageOptions::default(),
                )
                .expect("stages"),
            )
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
