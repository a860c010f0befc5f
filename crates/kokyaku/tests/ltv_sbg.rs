//! Shifted-beta-geometric on the two cohorts of Fader & Hardie (2007), "How to project customer
//! retention", Journal of Interactive Marketing 21(1): fitted on years 1-7, highend
//! alpha = 0.668, beta = 3.806; regular alpha = 0.704, beta = 1.182.

// Counts and sizes are compared exactly on purpose.
#![allow(clippy::float_cmp)]

mod ltv_common;

use kokyaku::ltv::{Cohort, FitOptions, ShiftedBetaGeometric};
use ltv_common::{assert_printed, read_csv};

fn cohort_from_csv(name: &str) -> Cohort {
    let (h, rows) = read_csv("retention/sbg_cohorts.csv");
    let (jr, jc) = (
        h.iter().position(|c| c == "recency").unwrap(),
        h.iter().position(|c| c == "cohort").unwrap(),
    );
    let periods: Vec<u32> = rows
        .iter()
        .filter(|r| r[jc] == name)
        .map(|r| r[jr].parse().unwrap())
        .collect();
    Cohort::from_churn_periods(&periods, 7).unwrap()
}

#[test]
fn sbg_published_fits() {
    let highend = cohort_from_csv("highend");
    let regular = cohort_from_csv("regular");
    // The survivor counts printed in the paper.
    assert_eq!(
        highend.survivors,
        vec![1000.0, 869.0, 743.0, 653.0, 593.0, 551.0, 517.0, 491.0]
    );
    assert_eq!(
        regular.survivors,
        vec![1000.0, 631.0, 468.0, 382.0, 326.0, 289.0, 262.0, 241.0]
    );
    let h =
        ShiftedBetaGeometric::fit(std::slice::from_ref(&highend), &FitOptions::default()).unwrap();
    assert!(h.report.converged);
    assert_printed(h.model.alpha, 0.668, 3, "highend alpha");
    assert_printed(h.model.beta, 3.806, 3, "highend beta");
    let r =
        ShiftedBetaGeometric::fit(std::slice::from_ref(&regular), &FitOptions::default()).unwrap();
    assert_printed(r.model.alpha, 0.704, 3, "regular alpha");
    assert_printed(r.model.beta, 1.182, 3, "regular beta");
    // Two cohorts fitted jointly share one (alpha, beta) between the two.
    let both = ShiftedBetaGeometric::fit(&[highend, regular], &FitOptions::default()).unwrap();
    assert!(both.report.converged);
    assert!(both.report.log_likelihood < h.report.log_likelihood + r.report.log_likelihood);
}

#[test]
fn sbg_curves_are_consistent() {
    let m = ShiftedBetaGeometric::new(0.668, 3.806).unwrap();
    let s = m.survival_curve(20);
    assert_eq!(s[0], 1.0);
    for t in 1..=20u32 {
        let tu = t as usize;
        assert!((s[tu - 1] - s[tu] - m.churn_probability(t)).abs() < 1e-12);
        assert!((s[tu] / s[tu - 1] - m.retention_rate(t)).abs() < 1e-12);
        // Retention rises with tenure (the sorting effect of heterogeneity).
        assert!(t == 1 || m.retention_rate(t) > m.retention_rate(t - 1));
    }
    // alpha < 1: undiscounted residual lifetime is infinite; discounted is finite and falls
    // with the discount rate, rises with tenure.
    assert!(m.expected_residual_lifetime(0, 0.0).is_infinite());
    let d10 = m.expected_residual_lifetime(0, 0.1);
    assert!(d10.is_finite() && d10 > m.expected_residual_lifetime(0, 0.2));
    assert!(m.expected_residual_lifetime(5, 0.1) > d10);
    // Against the direct sum.
    let direct: f64 = (1..2000u32)
        .map(|k| m.survival(k) / 1.1f64.powi(k as i32))
        .sum();
    assert!((direct - d10).abs() < 1e-9, "{direct} {d10}");
    let m2 = ShiftedBetaGeometric::new(2.5, 3.0).unwrap();
    let direct: f64 = (1..100_000u32).map(|k| m2.survival(k)).sum();
    assert!(
        (direct - m2.expected_residual_lifetime(0, 0.0)).abs() < 1e-3,
        "{direct}"
    );
}
