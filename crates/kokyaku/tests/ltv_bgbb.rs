//! BG/BB on the donations data of Fader, Hardie & Shang (2010), "Customer-base analysis in a
//! discrete-time noncontractual setting", Marketing Science 29(6): alpha = 1.204, beta = 0.750,
//! gamma = 0.657, delta = 2.783, LL = -33,225.6; P(alive in 2002) for `(x, t_x)` = (0, 0), (2, 4),
//! (6, 6) with n = 6: 0.11, 0.59, 0.93.

// Counts and sizes are compared exactly on purpose.
#![allow(clippy::float_cmp)]

mod ltv_common;

use kokyaku::ltv::{BgBb, CalibrationData, FitOptions, TimeUnit};
use ltv_common::{assert_printed, column, read_csv};

fn donations_patterns() -> CalibrationData {
    let (h, rows) = read_csv("donations/donations.csv");
    CalibrationData::new(
        column(&h, &rows, "frequency"),
        column(&h, &rows, "recency"),
        column(&h, &rows, "periods"),
        TimeUnit::Days,
    )
    .unwrap()
    .with_weights(column(&h, &rows, "weights"))
    .unwrap()
}

fn check(fit: &kokyaku::ltv::Fitted<BgBb>) {
    assert!(fit.report.converged, "{:?}", fit.report);
    assert_eq!(fit.report.n_customers, 11_104.0);
    let m = fit.model;
    assert_printed(m.alpha, 1.204, 3, "alpha");
    assert_printed(m.beta, 0.750, 3, "beta");
    assert_printed(m.gamma, 0.657, 3, "gamma");
    assert_printed(m.delta, 2.783, 3, "delta");
    assert_printed(fit.report.log_likelihood, -33_225.6, 1, "LL");
    for (x, tx, want) in [(0.0, 0.0, 0.11), (2.0, 4.0, 0.59), (6.0, 6.0, 0.93)] {
        assert_printed(
            m.p_alive(x, tx, 6.0),
            want,
            2,
            &format!("P(alive in 2002 | {x}, {tx}, 6)"),
        );
    }
}

#[test]
fn bgbb_donations_published_fit_from_patterns() {
    check(&BgBb::fit(&donations_patterns(), &FitOptions::default()).unwrap());
}

#[test]
fn bgbb_donations_one_row_per_donor_collapses_to_the_same_fit() {
    let (h, rows) = read_csv("donations/bgbb_donations.csv");
    let data = CalibrationData::new(
        column(&h, &rows, "frequency"),
        column(&h, &rows, "recency"),
        column(&h, &rows, "T"),
        TimeUnit::Days,
    )
    .unwrap();
    assert_eq!(data.collapse().len(), 22);
    check(&BgBb::fit(&data, &FitOptions::default()).unwrap());
}

#[test]
fn bgbb_probabilities_are_consistent() {
    let m = BgBb::new(1.204, 0.750, 0.657, 2.783).unwrap();
    for n in [1u32, 6, 11] {
        let total: f64 = (0..=n).map(|x| m.prob_purchases(x, n)).sum();
        let mean: f64 = (0..=n).map(|x| f64::from(x) * m.prob_purchases(x, n)).sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
        assert!(
            (mean - m.expected_purchases(f64::from(n))).abs() < 1e-12,
            "{mean}"
        );
    }
    // A customer who bought in every period expects more in the next 5 than one who stopped.
    assert!(
        m.conditional_expected_purchases(5.0, 6.0, 6.0, 6.0)
            > m.conditional_expected_purchases(5.0, 2.0, 2.0, 6.0)
    );
}
