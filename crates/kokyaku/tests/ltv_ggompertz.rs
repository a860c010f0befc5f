//! GGompertz/NBD (Bemmaor & Glady 2012) P(X(t) = n), tested by identities rather than by
//! numbers copied from our own output: the probabilities form a distribution, its mean is the
//! model's E[X(t)] (computed independently, as `r/α · ∫_0^t S(τ) dτ`), and as the Gompertz
//! `b → 0` with `β/b` fixed it becomes the Pareto/NBD P(X(t) = n) (Fader & Hardie 2005 note),
//! which is computed in closed form with hypergeometric functions, not by quadrature.

use kokyaku::ltv::{GGompertzNbd, ParetoNbd, PurchaseModel};

fn distribution(m: &GGompertzNbd, t: f64, n_max: u32) -> Vec<f64> {
    (0..=n_max).map(|n| m.prob_purchases(n, t)).collect()
}

#[test]
fn ggompertz_prob_purchases_is_a_distribution_with_the_model_mean() {
    // Around the CDNOW fit (weeks), a fast-ageing population (b·t = 4 at t = 39, most lifetimes
    // end inside the window) and a heavy-buying one (mean ~ 10).
    for (m, t) in [
        (
            GGompertzNbd::new(0.553, 10.578, 0.02, 0.606, 0.3).unwrap(),
            39.0,
        ),
        (
            GGompertzNbd::new(0.553, 10.578, 0.1, 0.606, 0.3).unwrap(),
            39.0,
        ),
        (
            GGompertzNbd::new(0.553, 10.578, 0.02, 0.606, 0.3).unwrap(),
            78.0,
        ),
        (GGompertzNbd::new(2.0, 4.0, 0.01, 1.5, 2.0).unwrap(), 26.0),
    ] {
        let probs = distribution(&m, t, 400);
        assert!(
            probs
                .iter()
                .all(|p| p.is_finite() && *p >= 0.0 && *p <= 1.0),
            "{m:?}: {probs:?}"
        );
        let total: f64 = probs.iter().sum();
        let mean: f64 = probs.iter().enumerate().map(|(n, p)| n as f64 * p).sum();
        // The tail beyond n = 400 is below 1e-30 for these parameters; the rest is quadrature
        // error (the same 40-point rule on both sides, but on different integrands).
        assert!((total - 1.0).abs() < 1e-8, "{m:?} t {t}: total {total}");
        let e = m.expected_purchases(t);
        assert!(
            (mean - e).abs() < 1e-8 * e.max(1.0),
            "{m:?} t {t}: mean {mean} vs E[X(t)] {e}"
        );
    }
}

#[test]
fn ggompertz_prob_purchases_tends_to_pareto_nbd_as_b_goes_to_zero() {
    // S(τ) = (β/(β + e^{bτ} − 1))^s → (β'/(β' + τ))^s with β = b β' as b → 0 (Bemmaor & Glady
    // 2012, section 2): the Pareto/NBD with the same r, α, s and β'.
    for (r, alpha, s, beta_p) in [(0.553, 10.578, 0.606, 11.669), (0.553, 2.0, 0.606, 30.0)] {
        let p = ParetoNbd::new(r, alpha, s, beta_p).unwrap();
        let mut previous_gap = f64::INFINITY;
        for b in [1e-3, 1e-5, 1e-7] {
            let g = GGompertzNbd::new(r, alpha, b, s, beta_p * b).unwrap();
            let mut gap: f64 = 0.0;
            for t in [1.0, 39.0, 78.0] {
                for n in 0..=30 {
                    gap = gap.max((g.prob_purchases(n, t) - p.prob_purchases(n, t)).abs());
                }
            }
            // The difference is O(b·t) in the survival function, so it must shrink with b.
            assert!(gap < previous_gap, "b {b}: gap {gap} >= {previous_gap}");
            previous_gap = gap;
        }
        assert!(previous_gap < 1e-6, "b 1e-7: gap {previous_gap}");
    }
}

#[test]
fn ggompertz_prob_purchases_edges() {
    let m = GGompertzNbd::new(0.553, 10.578, 0.02, 0.606, 0.3).unwrap();
    assert!((m.prob_purchases(0, 0.0) - 1.0).abs() < 1e-15);
    assert!(m.prob_purchases(3, 0.0).abs() < 1e-300);
    assert!(m.prob_purchases(0, f64::NAN).is_nan());
    // Nobody un-buys: P(X(t) = 0) falls with t.
    let p0: Vec<f64> = [1.0, 5.0, 20.0, 39.0, 78.0, 500.0]
        .iter()
        .map(|&t| m.prob_purchases(0, t))
        .collect();
    assert!(p0.windows(2).all(|w| w[1] < w[0]), "{p0:?}");
    // A heavy buyer's n in the thousands stays finite (log space).
    let v = m.prob_purchases(3000, 39.0);
    assert!(v.is_finite() && v >= 0.0, "{v}");
}
