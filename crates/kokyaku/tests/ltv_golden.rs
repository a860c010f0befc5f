//! The shared LTV golden vectors in `tests/fixtures/ltv/*.json` (computed with mpmath from the
//! papers' formulas by `tests/fixtures/ltv/generate.py`, independently of this crate). The
//! bindings read the same files.

use kokyaku::ltv::{BgBb, BgNbd, GammaGamma, ParetoNbd, PurchaseModel, ShiftedBetaGeometric};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/ltv")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn num(v: &Value, k: &str) -> f64 {
    v[k].as_f64()
        .unwrap_or_else(|| panic!("no number {k} in {v}"))
}

fn close(got: f64, want: f64, rel: f64, what: &str) {
    assert!(
        (got - want).abs() <= rel * want.abs().max(1e-300) + 1e-300,
        "{what}: got {got}, want {want}"
    );
}

#[test]
fn golden_purchase_models() {
    for file in ["bgnbd.json", "pareto_nbd.json"] {
        let g = load(file);
        let p = &g["params"];
        let rel = num(&g["tolerance"], "relative");
        let model: Box<dyn PurchaseModel> = if file == "bgnbd.json" {
            Box::new(BgNbd::new(num(p, "r"), num(p, "alpha"), num(p, "a"), num(p, "b")).unwrap())
        } else {
            Box::new(
                ParetoNbd::new(num(p, "r"), num(p, "alpha"), num(p, "s"), num(p, "beta")).unwrap(),
            )
        };
        for c in g["cases"].as_array().unwrap() {
            let (i, e) = (&c["input"], &c["expected"]);
            let (x, tx, t, h) = (num(i, "x"), num(i, "t_x"), num(i, "T"), num(i, "horizon"));
            close(
                model.p_alive(x, tx, t),
                num(e, "p_alive"),
                rel,
                &format!("{file} p_alive {i}"),
            );
            close(
                model.conditional_expected_purchases(h, x, tx, t),
                num(e, "conditional_expected_purchases"),
                rel,
                &format!("{file} E[Y] {i}"),
            );
            close(
                model.log_likelihood(x, tx, t),
                num(e, "log_likelihood"),
                rel,
                &format!("{file} LL {i}"),
            );
        }
        if let Some(unc) = g["unconditional"].as_array() {
            for c in unc {
                let t = num(&c["input"], "t");
                close(
                    model.expected_purchases(t),
                    num(&c["expected"], "expected_purchases"),
                    rel,
                    &format!("{file} E[X({t})]"),
                );
            }
        }
    }
}

#[test]
fn golden_gamma_gamma() {
    let g = load("gamma_gamma.json");
    let p = &g["params"];
    let m = GammaGamma::new(num(p, "p"), num(p, "q"), num(p, "gamma")).unwrap();
    for c in g["cases"].as_array().unwrap() {
        let got = m.conditional_expected_spend(num(&c["input"], "x"), num(&c["input"], "monetary"));
        close(
            got,
            num(&c["expected"], "conditional_expected_spend"),
            num(&g["tolerance"], "relative"),
            "E[Z]",
        );
    }
}

#[test]
fn golden_bgbb() {
    let g = load("bgbb.json");
    let p = &g["params"];
    let m = BgBb::new(
        num(p, "alpha"),
        num(p, "beta"),
        num(p, "gamma"),
        num(p, "delta"),
    )
    .unwrap();
    let rel = num(&g["tolerance"], "relative");
    for c in g["cases"].as_array().unwrap() {
        let (i, e) = (&c["input"], &c["expected"]);
        let (x, tx, n, ns) = (num(i, "x"), num(i, "t_x"), num(i, "n"), num(i, "n_star"));
        close(
            m.p_alive(x, tx, n),
            num(e, "p_alive"),
            rel,
            &format!("p_alive {i}"),
        );
        close(
            m.conditional_expected_purchases(ns, x, tx, n),
            num(e, "conditional_expected_purchases"),
            rel,
            &format!("E {i}"),
        );
        close(
            m.log_likelihood(x, tx, n),
            num(e, "log_likelihood"),
            rel,
            &format!("LL {i}"),
        );
    }
}

#[test]
fn golden_sbg() {
    let g = load("sbg.json");
    let p = &g["params"];
    let m = ShiftedBetaGeometric::new(num(p, "alpha"), num(p, "beta")).unwrap();
    let rel = num(&g["tolerance"], "relative");
    for c in g["cases"].as_array().unwrap() {
        let t = c["input"]["t"].as_u64().unwrap() as u32;
        close(
            m.churn_probability(t),
            num(&c["expected"], "churn_probability"),
            rel,
            &format!("P(T={t})"),
        );
        close(
            m.survival(t),
            num(&c["expected"], "survival"),
            rel,
            &format!("S({t})"),
        );
    }
}
