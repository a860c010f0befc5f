//! Criterion benches of the LTV core: P(alive) and discounted CLV over 10M customers
//! (`p_alive_plus_clv_10m_customers`, target < 2 s), and BG/NBD / Gamma-Gamma fits on CDNOW.
//!
//! The 10M-customer summary is generated here with a fixed-seed xorshift (no extra dependency):
//! ages `T` uniform over 1..=730 whole days, `x` geometric with mean ~2, `t_x` a whole day in `[0, T]`
//! (0 when x = 0), mean repeat value 5..105 — the shape of a daily order-log summary, in weeks.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kokyaku::ltv::{
    BgNbd, CalibrationData, ClvOptions, FitOptions, GammaGamma, TimeUnit, p_alive_and_clv_batch,
};

struct XorShift(u64);

impl XorShift {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn summaries(n: usize) -> CalibrationData {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let (mut x, mut tx, mut t, mut m) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for _ in 0..n {
        let age_days = 1.0 + (rng.next_f64() * 730.0).floor();
        let mut k = 0.0;
        while rng.next_f64() < 0.66 && k < 200.0 {
            k += 1.0;
        }
        let last_days = if k == 0.0 {
            0.0
        } else {
            (rng.next_f64() * age_days).floor()
        };
        x.push(k);
        tx.push(last_days / 7.0);
        t.push(age_days / 7.0);
        m.push(if k == 0.0 {
            0.0
        } else {
            5.0 + 100.0 * rng.next_f64()
        });
    }
    let mut d = CalibrationData::new(x, tx, t, TimeUnit::Weeks).unwrap_or_else(|e| panic!("{e}"));
    d.monetary = Some(m);
    d
}

fn cdnow() -> Option<CalibrationData> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/cdnow/cdnow_customers_summary_with_transactions.csv");
    let text = std::fs::read_to_string(path).ok()?;
    let (mut x, mut tx, mut t, mut m) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for l in text.lines().skip(1) {
        let f: Vec<f64> = l.split(',').filter_map(|s| s.trim().parse().ok()).collect();
        x.push(f[1]);
        tx.push(f[2]);
        t.push(f[3]);
        m.push(f[4]);
    }
    CalibrationData::new(x, tx, t, TimeUnit::Weeks)
        .ok()?
        .with_monetary(m)
        .ok()
}

fn bench_ltv(c: &mut Criterion) {
    let n = 10_000_000;
    let data = summaries(n);
    let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap_or_else(|e| panic!("{e}"));
    let gg = GammaGamma::new(6.25, 3.74, 15.44).unwrap_or_else(|e| panic!("{e}"));
    // One year of monthly discounting at 1% per month, in weeks.
    let clv_opts = ClvOptions::default();
    let mut p = vec![0.0; n];
    let mut v = vec![0.0; n];
    let mut g = c.benchmark_group("ltv");
    g.sample_size(10);
    g.bench_function("p_alive_plus_clv_10m_customers", |b| {
        b.iter(|| {
            p_alive_and_clv_batch(&bg, &gg, &data, &clv_opts, &mut p, &mut v)
                .unwrap_or_else(|e| panic!("{e}"));
            black_box((&p, &v));
        });
    });
    if let Some(cd) = cdnow() {
        let opts = FitOptions {
            std_errors: false,
            ..FitOptions::default()
        };
        g.bench_function("fit_bgnbd_cdnow_2357_customers", |b| {
            b.iter(|| BgNbd::fit(black_box(&cd), &opts));
        });
        g.bench_function("fit_gamma_gamma_cdnow_946_customers", |b| {
            b.iter(|| GammaGamma::fit(black_box(&cd), &opts));
        });
    }
    g.finish();
}

criterion_group!(benches, bench_ltv);
criterion_main!(benches);
