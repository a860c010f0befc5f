//! Covariates on BG/NBD and Pareto/NBD (Fader & Hardie 2007, "Incorporating time-invariant
//! covariates into the Pareto/NBD and BG/NBD models"): recovery of a known effect on simulated
//! data, and equivalence with the plain model when the covariate carries no information.

use kokyaku::ltv::{
    BgNbd, BgNbdWithCovariates, CalibrationData, Covariates, FitOptions, ParetoNbd,
    ParetoNbdWithCovariates, TimeUnit,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, Exp, Gamma};

/// BG/NBD summaries drawn exactly from the model's process (FHL 2005 section 2): purchases at
/// Poisson rate λ ~ Gamma(r, α) after the first at time 0, drop-out with probability
/// p ~ Beta(a, b) after each repeat purchase; observed over (0, T] with T uniform in (0, 78] days.
fn simulated(alpha_days: f64, seed: u64, customers: u64) -> CalibrationData {
    let (r, a, b) = (0.243, 0.793, 2.426);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let lam = Gamma::new(r, 1.0 / alpha_days).unwrap();
    let pd = Beta::new(a, b).unwrap();
    let (mut xs, mut txs, mut ts) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..customers {
        let big_t = 78.0 * (1.0 - rng.random::<f64>());
        let l: f64 = lam.sample(&mut rng);
        let p: f64 = pd.sample(&mut rng);
        let wait = Exp::new(l.max(1e-300)).unwrap();
        let (mut x, mut tx, mut t) = (0.0, 0.0, 0.0);
        loop {
            t += wait.sample(&mut rng);
            if t > big_t {
                break;
            }
            x += 1.0;
            tx = t;
            if rng.random::<f64>() < p {
                break;
            }
        }
        xs.push(x);
        txs.push(tx);
        ts.push(big_t);
    }
    CalibrationData::new(xs, txs, ts, TimeUnit::Days).unwrap()
}

#[test]
fn bgnbd_covariate_recovers_a_simulated_purchase_rate_effect() {
    // Group B buys 3x less often: alpha_B = 3 alpha_A, i.e. gamma1 = -ln 3 for z = 1.
    let a = simulated(4.414, 11, 6000);
    let b = simulated(3.0 * 4.414, 12, 6000);
    let cat = |f: fn(&CalibrationData) -> &Vec<f64>| {
        f(&a).iter().chain(f(&b)).copied().collect::<Vec<f64>>()
    };
    let data = CalibrationData::new(
        cat(|d| &d.x),
        cat(|d| &d.t_x),
        cat(|d| &d.t),
        TimeUnit::Days,
    )
    .unwrap();
    let z: Vec<f64> = (0..a.len())
        .map(|_| 0.0)
        .chain((0..b.len()).map(|_| 1.0))
        .collect();
    let cov = Covariates::new(vec!["group_b".into()], z).unwrap();
    let fit =
        BgNbdWithCovariates::fit(&data, &cov, &Covariates::none(), &FitOptions::default()).unwrap();
    assert!(fit.report.converged, "{:?}", fit.report);
    let g = fit.model.purchase[0];
    let se = fit.report.std_errors[4];
    assert!(se.is_finite() && se > 0.0, "{:?}", fit.report);
    assert!(
        (g - (-3f64.ln())).abs() < 4.0 * se,
        "gamma1 {g} ± {se}, true {}",
        -3f64.ln()
    );
    // The covariate model is at least as likely as the plain one.
    let plain = BgNbd::fit(&data, &FitOptions::default()).unwrap();
    assert!(fit.report.log_likelihood >= plain.report.log_likelihood - 1e-6);
    // And the plain model on group A recovers the simulated parameters.
    let fa = BgNbd::fit(&a, &FitOptions::default()).unwrap();
    let se = &fa.report.std_errors;
    for (k, (got, want)) in [fa.model.r, fa.model.alpha, fa.model.a, fa.model.b]
        .into_iter()
        .zip([0.243, 4.414, 0.793, 2.426])
        .enumerate()
    {
        assert!(
            (got - want).abs() < 4.0 * se[k],
            "param {k}: {got} ± {} vs {want}",
            se[k]
        );
    }
}

#[test]
fn zero_covariates_reproduce_the_plain_fit() {
    let data = simulated(4.414, 5, 2000);
    let zeros = Covariates::new(vec!["z".into()], vec![0.0; data.len()]).unwrap();
    let opts = FitOptions {
        std_errors: false,
        ..FitOptions::default()
    };
    let plain = BgNbd::fit(&data, &opts).unwrap();
    let cov = BgNbdWithCovariates::fit(&data, &zeros, &zeros, &opts).unwrap();
    assert!((cov.report.log_likelihood - plain.report.log_likelihood).abs() < 1e-6);
    let p_plain = ParetoNbd::fit(&data, &opts).unwrap();
    let p_cov = ParetoNbdWithCovariates::fit(&data, &zeros, &zeros, &opts).unwrap();
    assert!((p_cov.report.log_likelihood - p_plain.report.log_likelihood).abs() < 1e-6);
    // A customer's model with z = 0 is the baseline.
    assert_eq!(cov.model.customer_model(&[0.0], &[0.0]), cov.model.base);
}

#[test]
fn pareto_covariate_gradient_is_consistent() {
    // A random covariate: the fit converges and gains at most a little likelihood.
    let data = simulated(4.414, 7, 3000);
    let z: Vec<f64> = (0..data.len())
        .map(|i| ((i * 7919) % 13) as f64 / 13.0 - 0.5)
        .collect();
    let cov = Covariates::new(vec!["noise".into()], z).unwrap();
    let fit = ParetoNbdWithCovariates::fit(&data, &cov, &cov, &FitOptions::default()).unwrap();
    assert!(fit.report.converged, "{:?}", fit.report);
    let plain = ParetoNbd::fit(&data, &FitOptions::default()).unwrap();
    let gain = fit.report.log_likelihood - plain.report.log_likelihood;
    assert!((-1e-6..10.0).contains(&gain), "{gain}");
}

#[test]
fn warm_started_fit_equals_cold_fit_on_many_distinct_rows() {
    // > 6,000 distinct rows: BgNbd::fit first fits a subsample; an explicit initial value
    // disables that, so both paths are compared on the same data.
    use kokyaku::ltv::GammaGamma;
    let data = simulated(4.414, 21, 40_000);
    assert!(data.collapse().len() > 6_000);
    let warm = BgNbd::fit(&data, &FitOptions::default()).unwrap();
    let mean_t = data.t.iter().sum::<f64>() / data.len() as f64;
    let cold = BgNbd::fit(
        &data,
        &FitOptions {
            initial: Some(vec![1.0, mean_t, 1.0, 1.0]),
            ..FitOptions::default()
        },
    )
    .unwrap();
    assert!(warm.report.converged && cold.report.converged);
    assert!(
        (warm.report.log_likelihood - cold.report.log_likelihood).abs() < 1e-6,
        "{} {}",
        warm.report.log_likelihood,
        cold.report.log_likelihood
    );
    for (a, b) in warm.report.params.iter().zip(&cold.report.params) {
        assert!(
            (a - b).abs() < 1e-4 * b.abs(),
            "{:?} vs {:?}",
            warm.report.params,
            cold.report.params
        );
    }
    // Gamma-Gamma on continuous spend: every repeat buyer is a distinct row.
    let m: Vec<f64> = (0..data.len())
        .map(|i| 10.0 + ((i * 7919) % 1000) as f64 / 10.0)
        .collect();
    let d2 = data.clone().with_monetary(m).unwrap();
    let warm = GammaGamma::fit(&d2, &FitOptions::default()).unwrap();
    let cold = GammaGamma::fit(
        &d2,
        &FitOptions {
            initial: Some(vec![1.0, 1.0, 50.0]),
            ..FitOptions::default()
        },
    )
    .unwrap();
    assert!(
        (warm.report.log_likelihood - cold.report.log_likelihood).abs() < 1e-6,
        "{} {}",
        warm.report.log_likelihood,
        cold.report.log_likelihood
    );
}

#[test]
fn pareto_warm_started_fit_equals_cold_fit() {
    let data = simulated(4.414, 22, 7_000);
    assert!(data.collapse().len() > 6_000);
    let warm = ParetoNbd::fit(&data, &FitOptions::default()).unwrap();
    let mean_t = data.t.iter().sum::<f64>() / data.len() as f64;
    let cold = ParetoNbd::fit(
        &data,
        &FitOptions {
            initial: Some(vec![1.0, mean_t, 1.0, mean_t]),
            ..FitOptions::default()
        },
    )
    .unwrap();
    assert!(
        warm.report.converged && cold.report.converged,
        "{:?} {:?}",
        warm.report,
        cold.report
    );
    assert!(
        (warm.report.log_likelihood - cold.report.log_likelihood).abs() < 1e-6,
        "{} {}",
        warm.report.log_likelihood,
        cold.report.log_likelihood
    );
}

#[test]
fn covariate_fits_round_trip_through_named_parameters() {
    // A saved fit is its report's names and values; rebuilding from them must give the model.
    let a = simulated(4.414, 21, 800);
    let n = a.len();
    let z1 = Covariates::new(
        vec!["g".into(), "h".into()],
        (0..2 * n).map(|i| ((i * 7) % 3) as f64).collect(),
    )
    .unwrap();
    let z2 = Covariates::new(vec!["h".into()], (0..n).map(|i| (i % 2) as f64).collect()).unwrap();
    let opts = FitOptions {
        std_errors: false,
        ..FitOptions::default()
    };
    let named = |names: &[String], values: &[f64]| -> Vec<(String, f64)> {
        names.iter().cloned().zip(values.iter().copied()).collect()
    };
    let bg = BgNbdWithCovariates::fit(&a, &z1, &z2, &opts).unwrap();
    let params = named(&bg.report.param_names, &bg.report.params);
    let (pn, dn) = BgNbdWithCovariates::covariate_names(&params);
    assert_eq!(
        (pn.clone(), dn.clone()),
        (z1.names.clone(), z2.names.clone())
    );
    assert_eq!(
        BgNbdWithCovariates::from_params(&params, &pn, &dn).unwrap(),
        bg.model
    );
    let pa = ParetoNbdWithCovariates::fit(&a, &z1, &z2, &opts).unwrap();
    let params = named(&pa.report.param_names, &pa.report.params);
    let (pn, dn) = ParetoNbdWithCovariates::covariate_names(&params);
    assert_eq!(
        ParetoNbdWithCovariates::from_params(&params, &pn, &dn).unwrap(),
        pa.model
    );
    // Reordered covariate names reorder the coefficients.
    let swapped =
        ParetoNbdWithCovariates::from_params(&params, &["h".into(), "g".into()], &dn).unwrap();
    assert_eq!(
        swapped.purchase,
        vec![pa.model.purchase[1], pa.model.purchase[0]]
    );
    // A coefficient the names do not account for, or a missing one, is an invalid option.
    for (p, d) in [(vec!["g".to_owned()], dn.clone()), (pn.clone(), Vec::new())] {
        assert_eq!(
            ParetoNbdWithCovariates::from_params(&params, &p, &d)
                .unwrap_err()
                .code(),
            "invalid_option"
        );
    }
    assert_eq!(
        ParetoNbdWithCovariates::from_params(&params, &[pn[0].clone(), "zz".into()], &dn)
            .unwrap_err()
            .code(),
        "invalid_option"
    );
}

#[test]
fn covariate_columns_are_read_from_a_summary_csv() {
    use kokyaku::ltv::read_covariates_csv;
    let csv = "customer_id,frequency,recency,T,age,vip\n1,2,30.4,38.9,31,1\n2,0,0,38.9, 45 ,0\n";
    let names = vec!["vip".to_owned(), "age".to_owned()];
    let c = read_covariates_csv(csv.as_bytes(), &names).unwrap();
    assert_eq!(c.names, names);
    assert_eq!(c.values, vec![1.0, 31.0, 0.0, 45.0]);
    assert_eq!(
        read_covariates_csv(csv.as_bytes(), &[]).unwrap(),
        Covariates::none()
    );
    let e = read_covariates_csv(csv.as_bytes(), &["income".to_owned()]).unwrap_err();
    assert_eq!(e.code(), "missing_column");
    assert!(e.to_string().contains("vip"), "{e}");
    let bad = "frequency,recency,T,age\n1,2,3,old\n";
    let e = read_covariates_csv(bad.as_bytes(), &["age".to_owned()]).unwrap_err();
    assert_eq!(e.code(), "invalid_value");
    assert!(
        e.to_string().contains("row 1") && e.to_string().contains("age"),
        "{e}"
    );
}
