//! Gamma-Gamma spend model on the 946 repeat buyers of the CDNOW sample: Fader & Hardie (2013),
//! "The Gamma-Gamma model of monetary value": p = 6.25, q = 3.74, gamma = 15.44, LL = -4055.9,
//! and the conditional expected average transaction value of sample customers 1-10.

// Counts and sizes are compared exactly on purpose.
#![allow(clippy::float_cmp)]

mod ltv_common;

use kokyaku::ltv::{CalibrationData, FitOptions, GammaGamma, TimeUnit};
use ltv_common::{assert_printed, column, read_csv};

#[test]
fn gamma_gamma_cdnow_published_fit() {
    let (h, rows) = read_csv("cdnow/cdnow_customers_summary_with_transactions.csv");
    let x = column(&h, &rows, "x");
    let zbar = column(&h, &rows, "zbar");
    let data = CalibrationData::new(
        x.clone(),
        column(&h, &rows, "t_x"),
        column(&h, &rows, "T"),
        TimeUnit::Weeks,
    )
    .unwrap()
    .with_monetary(zbar.clone())
    .unwrap();
    let fit = GammaGamma::fit(&data, &FitOptions::default()).unwrap();
    assert!(fit.report.converged, "{:?}", fit.report);
    assert_eq!(fit.report.n_customers, 946.0);
    let m = fit.model;
    assert_printed(m.p, 6.25, 2, "p");
    assert_printed(m.q, 3.74, 2, "q");
    // gamma: our maximum is 15.4477 (std. error 4.2); at the printed (6.25, 3.74, 15.44) the
    // likelihood is lower (-4055.92471 vs our -4055.92324), so the printed gamma comes from a
    // looser optimiser stop along a flat direction (lifetimes prints 15.45 on the same data).
    // We assert it within 1e-3 relative and that our likelihood is not below the printed point's.
    assert!((m.gamma - 15.44).abs() < 1e-3 * 15.44, "gamma {}", m.gamma);
    let ll_printed = GammaGamma::new(6.25, 3.74, 15.44)
        .unwrap()
        .log_likelihood_total(&data)
        .unwrap();
    assert!(fit.report.log_likelihood >= ll_printed);
    assert_printed(fit.report.log_likelihood, -4055.9, 1, "LL");
    let published = [
        24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17,
    ];
    let mut out = vec![0.0; 10];
    m.conditional_expected_spend_batch(&x[..10], &zbar[..10], &mut out)
        .unwrap();
    // These ten values are printed truncated (not rounded) to cents: they are lifetimes'
    // documented output for the same fit (24.658619, 18.911489, 35.170981, ..., 27.282408).
    // So the check is want <= got < want + 0.01.
    for (i, (&got, &want)) in out.iter().zip(&published).enumerate() {
        assert!(
            got >= want - 1e-9 && got < want + 0.01,
            "E[Z] of customer {}: {got} vs printed {want}",
            i + 1
        );
    }
}
