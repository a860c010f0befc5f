//! Property tests: for random valid parameters and customers, predictions are finite, in range
//! and monotone where the theory says so (FHL 2005; Fader & Hardie 2005, 2007).

use kokyaku::ltv::{
    BgNbd, GammaGamma, ModifiedBgNbd, ParetoNbd, PurchaseModel, ShiftedBetaGeometric,
};
use proptest::prelude::*;

fn customer() -> impl Strategy<Value = (f64, f64, f64)> {
    (
        prop_oneof![Just(0u32), 0u32..20, 0u32..3000],
        0.0..1.0f64,
        0.01..200.0f64,
    )
        .prop_map(|(x, frac, t)| {
            let x = f64::from(x);
            let tx = if x == 0.0 { 0.0 } else { frac * t };
            (x, tx, t)
        })
}

fn params() -> impl Strategy<Value = [f64; 4]> {
    [0.05..5.0f64, 0.1..50.0f64, 0.05..5.0f64, 0.1..50.0f64]
}

fn check<M: PurchaseModel>(m: &M, (x, tx, t): (f64, f64, f64)) -> Result<(), TestCaseError> {
    let pa = m.p_alive(x, tx, t);
    prop_assert!(
        pa.is_finite() && (0.0..=1.0).contains(&pa),
        "{} p_alive {pa} at {x} {tx} {t}",
        m.name()
    );
    prop_assert!(m.log_likelihood(x, tx, t).is_finite());
    let mut prev = 0.0_f64;
    for h in [1.0, 5.0, 20.0, 52.0] {
        let e = m.conditional_expected_purchases(h, x, tx, t);
        prop_assert!(
            e.is_finite() && e >= prev - 1e-9 * prev.abs(),
            "{} E[Y({h})] = {e} < {prev} at {x} {tx} {t}",
            m.name()
        );
        prev = e;
    }
    let later = m.p_alive_at(x, tx, t, 26.0);
    prop_assert!(
        later.is_finite() && later <= pa + 1e-12,
        "{} p_alive_at {later} > {pa}",
        m.name()
    );
    // More recent last purchase, same x and T: at least as likely alive.
    if x > 0.0 {
        let more_recent = m.p_alive(x, f64::midpoint(tx, t), t);
        prop_assert!(
            more_recent >= pa - 1e-12,
            "{} p_alive not monotone in t_x",
            m.name()
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn bgnbd_predictions_are_finite_and_monotone(p in params(), c in customer()) {
        // a > 1 keeps the unconditional mean finite; a < 1 is covered by CDNOW (a = 0.79).
        check(&BgNbd::new(p[0], p[1], p[2], p[3]).unwrap(), c)?;
        check(&ModifiedBgNbd::new(p[0], p[1], p[2], p[3]).unwrap(), c)?;
    }

    #[test]
    fn pareto_nbd_predictions_are_finite_and_monotone(p in params(), c in (prop_oneof![Just(0u32), 0u32..20, 0u32..300], 0.0..1.0f64, 0.01..200.0f64)) {
        let (x, frac, t) = c;
        let x = f64::from(x);
        let tx = if x == 0.0 { 0.0 } else { frac * t };
        check(&ParetoNbd::new(p[0], p[1], p[2], p[3]).unwrap(), (x, tx, t))?;
    }

    #[test]
    fn unconditional_expectation_increases(p in params()) {
        let m = BgNbd::new(p[0], p[1], p[2], p[3]).unwrap();
        let e: Vec<f64> = [1.0, 10.0, 100.0].iter().map(|&t| m.expected_purchases(t)).collect();
        prop_assert!(e.iter().all(|v| v.is_finite()) && e[0] <= e[1] && e[1] <= e[2], "{e:?}");
    }

    #[test]
    fn gamma_gamma_spend_increases_with_mean(p in 0.1..20.0f64, q in 1.01..20.0f64, g in 0.1..100.0f64, x in 1u32..1000, m in 0.01..1e6f64) {
        let gg = GammaGamma::new(p, q, g).unwrap();
        let (a, b) = (gg.conditional_expected_spend(f64::from(x), m), gg.conditional_expected_spend(f64::from(x), m * 1.5));
        prop_assert!(a.is_finite() && a > 0.0 && b > a);
    }

    #[test]
    fn sbg_survival_decreases(a in 0.05..20.0f64, b in 0.05..20.0f64) {
        let m = ShiftedBetaGeometric::new(a, b).unwrap();
        let s = m.survival_curve(50);
        prop_assert!(s.windows(2).all(|w| w[1] < w[0] && w[1] > 0.0));
    }
}
