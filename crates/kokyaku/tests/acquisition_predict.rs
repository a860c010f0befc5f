//! The per-split prediction of `acquisition` recovers the process that made the log: a log
//! simulated from BG/NBD and Gamma-Gamma at the CDNOW estimates (Fader, Hardie & Lee 2005),
//! split by first order kind, gives a fitted BG/NBD whose expected repeat purchases of a new
//! customer are close to the true model's, and a payback month consistent with its LTV curve.

use kokyaku::acquisition::{AcquisitionOptions, Cpa, acquisition};
use kokyaku::ltv::{BgNbd, PurchaseModel};
use kokyaku::simulate::{SimOptions, simulate_log};
use rust_decimal::Decimal;

#[test]
fn prediction_recovers_the_simulated_process() {
    let sim = SimOptions {
        customers: 4000,
        subscription_share: 0.0,
        cancel_share: 0.0,
        seed: 7,
        ..SimOptions::default()
    };
    let log = simulate_log(&sim).unwrap();
    let r = acquisition(
        &log,
        &AcquisitionOptions {
            by: "first_order_kind".into(),
            cpa: Some(Cpa::Single(Decimal::from(6000))),
            horizon_months: 24,
            ..AcquisitionOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        r.rows.len(),
        1,
        "{:?}",
        r.rows.iter().map(|x| &x.split).collect::<Vec<_>>()
    );
    let row = &r.rows[0];
    assert_eq!(row.split, "one_off");
    let p = row
        .prediction
        .as_ref()
        .unwrap_or_else(|| panic!("{:?}", row.prediction_error));
    let truth = BgNbd::new(sim.r, sim.alpha / 7.0, sim.a, sim.b).unwrap();
    let weeks_per_month = 365.25 / 12.0 / 7.0;
    for (k, got) in p.expected_repeat_purchases.iter().enumerate() {
        let want = truth.expected_purchases((k + 1) as f64 * weeks_per_month);
        assert!(
            (got - want).abs() <= 0.25 * want + 0.02,
            "month {}: fitted {got}, true {want}",
            k + 1
        );
    }
    // The LTV curve rises from the first purchase, and the model payback is where it crosses.
    assert!(p.ltv.windows(2).all(|w| w[1] >= w[0]));
    assert!(p.ltv[0] >= p.first_purchase_value);
    match p.payback_month {
        Some(m) => {
            assert!(p.ltv[m as usize - 1] >= 6000.0);
            assert!(m == 1 || p.ltv[m as usize - 2] < 6000.0);
        }
        None => assert!(p.ltv.iter().all(|&v| v < 6000.0)),
    }
    // Gamma-Gamma fitted: the repeat value is near the true mean spend p·gamma/(q − 1) × scale.
    let true_spend = sim.p * sim.gamma / (sim.q - 1.0) * sim.spend_scale;
    assert!(
        (p.repeat_purchase_value - true_spend).abs() < 0.2 * true_spend,
        "repeat value {} vs {true_spend}",
        p.repeat_purchase_value
    );
}
