//! Batch predictions, CLV and holdout evaluation. CLV follows lifetimes' discrete-time
//! `customer_lifetime_value`; the reference values below are lifetimes 0.11.3's output for the
//! first six CDNOW customers at the published BG/NBD (Fader, Hardie & Lee 2005) and Gamma-Gamma
//! (Fader & Hardie 2013) parameters, 12 periods of 4.345 weeks at 1% per period
//! (`ggf.customer_lifetime_value(bgf, x, t_x, T, zbar, time=12, discount_rate=0.01, freq="W")`).

mod ltv_common;

use kokyaku::ltv::{
    BgNbd, CalibrationData, ClvOptions, GammaGamma, PurchaseModel, TimeUnit, clv, clv_batch,
    conditional_expected_purchases_batch, evaluate_holdout, p_alive_and_clv_batch, p_alive_batch,
    tracking_expected_cumulative,
};
use ltv_common::{column, read_csv};

fn first_six() -> CalibrationData {
    let (h, rows) = read_csv("cdnow/cdnow_customers_summary_with_transactions.csv");
    let take = |c: &str| column(&h, &rows, c)[..6].to_vec();
    CalibrationData::new(take("x"), take("t_x"), take("T"), TimeUnit::Weeks)
        .unwrap()
        .with_monetary(take("zbar"))
        .unwrap()
}

#[test]
fn clv_matches_lifetimes_discrete_approach() {
    let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let gg = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
    let d = first_six();
    let opts = ClvOptions {
        horizon: 12.0 * 4.345,
        discount_period: 4.345,
        discount_rate: 0.01,
        margin: 1.0,
    };
    let lifetimes = [
        36.289_211_13,
        4.637_294_66,
        8.369_004_36,
        8.369_004_36,
        8.369_004_36,
        283.532_776_32,
    ];
    let mut out = vec![0.0; 6];
    clv_batch(&bg, &gg, &d, &opts, &mut out).unwrap();
    for i in 0..6 {
        assert!(
            (out[i] - lifetimes[i]).abs() < 1e-6 * lifetimes[i],
            "customer {}: {} vs lifetimes {}",
            i + 1,
            out[i],
            lifetimes[i]
        );
        let one = clv(
            &bg,
            &gg,
            d.x[i],
            d.t_x[i],
            d.t[i],
            d.monetary.as_ref().unwrap()[i],
            &opts,
        )
        .unwrap();
        assert!((one - out[i]).abs() < 1e-12 * out[i]);
    }
    // The combined pass gives the same P(alive) and CLV.
    let (mut p, mut v, mut p2) = (vec![0.0; 6], vec![0.0; 6], vec![0.0; 6]);
    p_alive_and_clv_batch(&bg, &gg, &d, &opts, &mut p, &mut v).unwrap();
    p_alive_batch(&bg, &d, &mut p2).unwrap();
    assert_eq!(p, p2);
    assert_eq!(v, out);
    // Bad options and shapes are typed errors.
    assert_eq!(
        clv_batch(
            &bg,
            &gg,
            &d,
            &ClvOptions {
                discount_period: 0.0,
                ..opts
            },
            &mut out
        )
        .unwrap_err()
        .code(),
        "invalid_option"
    );
    assert_eq!(
        p_alive_batch(&bg, &d, &mut [0.0; 2]).unwrap_err().code(),
        "invalid_option"
    );
}

#[test]
fn holdout_evaluation_and_tracking() {
    let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let d = first_six();
    let mut pred = vec![0.0; 6];
    conditional_expected_purchases_batch(&bg, &d, 39.0, &mut pred).unwrap();
    let actual = [1.0, 0.0, 0.0, 0.0, 0.0, 3.0];
    let e = evaluate_holdout(&pred, &actual).unwrap();
    assert_eq!(e.error.len(), 6);
    assert!((e.error[0] - (pred[0] - 1.0)).abs() < 1e-15);
    assert!((e.total_actual - 4.0).abs() < 1e-15 && e.rmse >= e.mae && e.mae > 0.0);
    assert_eq!(
        evaluate_holdout(&pred, &actual[..2]).unwrap_err().code(),
        "invalid_option"
    );
    // Tracking: two customers born at 0 and one at 10 weeks; at 20 weeks the total is
    // 2 E[X(20)] + E[X(10)], and it is zero before anyone is born.
    let track = tracking_expected_cumulative(&bg, &[0.0, 0.0, 10.0], &[0.0, 20.0]);
    assert!(track[0].abs() < f64::MIN_POSITIVE);
    assert!(
        (track[1] - (2.0 * bg.expected_purchases(20.0) + bg.expected_purchases(10.0))).abs()
            < 1e-12
    );
}
