//! BG/BB: beta-geometric / beta-Bernoulli model of discrete transaction opportunities
//! (Fader, Hardie & Shang 2010, "Customer-base analysis in a discrete-time noncontractual
//! setting", Marketing Science 29(6)). Per customer: `x` transactions in `n` opportunities, the
//! last at opportunity `t_x` (0 if none):
//!
//! ```text
//! L = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
//!   + Σ_{i=0}^{n−t_x−1} B(α+x, β+t_x−x+i)/B(α,β) · B(γ+1, δ+t_x+i)/B(γ,δ)
//! ```
//!
//! In [`CalibrationData`] the columns are `x`, `t_x` and `t` = `n` (whole numbers).

use super::data::CalibrationData;
use super::fit::{self, FitOptions, Fitted, Problem, Scale};
use super::special::{digamma, ln_beta, ln_gamma, log_add_exp};
use crate::{Error, Location, Result};

/// BG/BB parameters: transaction probability p ~ Beta(`alpha`, `beta`), drop-out probability
/// θ ~ Beta(`gamma`, `delta`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BgBb {
    /// Beta `α` of the transaction probability.
    pub alpha: f64,
    /// Beta `β` of the transaction probability.
    pub beta: f64,
    /// Beta `γ` of the drop-out probability.
    pub gamma: f64,
    /// Beta `δ` of the drop-out probability.
    pub delta: f64,
}

struct Pre {
    lb_ab: f64,
    lb_gd: f64,
    dg_a: f64,
    dg_b: f64,
    dg_ab: f64,
    dg_g: f64,
    dg_d: f64,
    dg_gd: f64,
}

impl Pre {
    fn new(p: [f64; 4]) -> Self {
        let [a, b, g, d] = p;
        Self {
            lb_ab: ln_beta(a, b),
            lb_gd: ln_beta(g, d),
            dg_a: digamma(a),
            dg_b: digamma(b),
            dg_ab: digamma(a + b),
            dg_g: digamma(g),
            dg_d: digamma(d),
            dg_gd: digamma(g + d),
        }
    }
}

/// One term `B(α+x, β+u)/B(α,β) · B(γ+v, δ+w)/B(γ,δ)` in log, and its gradient.
fn term(p: [f64; 4], pre: &Pre, x: f64, u: f64, v: f64, w: f64, grad: bool) -> (f64, [f64; 4]) {
    let [a, b, g, d] = p;
    let lt = ln_beta(a + x, b + u) - pre.lb_ab + ln_beta(g + v, d + w) - pre.lb_gd;
    if !grad {
        return (lt, [0.0; 4]);
    }
    let s1 = digamma(a + b + x + u);
    let s2 = digamma(g + d + v + w);
    (
        lt,
        [
            digamma(a + x) - s1 - pre.dg_a + pre.dg_ab,
            digamma(b + u) - s1 - pre.dg_b + pre.dg_ab,
            digamma(g + v) - s2 - pre.dg_g + pre.dg_gd,
            digamma(d + w) - s2 - pre.dg_d + pre.dg_gd,
        ],
    )
}

/// `ln L` of one customer and, with `grad`, `weight · d ln L / dθ` added.
fn row(
    p: [f64; 4],
    pre: &Pre,
    x: f64,
    t_x: f64,
    n: f64,
    weight: f64,
    grad: Option<&mut [f64]>,
) -> f64 {
    let k = (n - t_x).round().max(0.0) as u64;
    // Term 0 survives all n opportunities; term i drops out after opportunity t_x + i.
    let args = |i: u64| {
        if i == 0 {
            (n - x, 0.0, n)
        } else {
            let i = (i - 1) as f64;
            (t_x - x + i, 1.0, t_x + i)
        }
    };
    let mut ln_l = f64::NEG_INFINITY;
    for i in 0..=k {
        let (u, v, w) = args(i);
        ln_l = log_add_exp(ln_l, term(p, pre, x, u, v, w, false).0);
    }
    if let Some(g) = grad {
        for i in 0..=k {
            let (u, v, w) = args(i);
            let (l, d) = term(p, pre, x, u, v, w, true);
            let wt = (l - ln_l).exp();
            for j in 0..4 {
                g[j] += weight * wt * d[j];
            }
        }
    }
    ln_l
}

fn validate_row(x: f64, t_x: f64, n: f64, i: usize) -> Result<()> {
    let whole = |v: f64| v.fract() == 0.0;
    let bad = |value: f64, column: &str, reason: &str| Error::InvalidValue {
        value: value.to_string(),
        location: Location::cell(i as u64 + 1, column),
        reason: reason.to_owned(),
    };
    if !whole(n) || n < 1.0 {
        return Err(bad(
            n,
            "periods",
            "BG/BB needs a whole number of opportunities n >= 1",
        ));
    }
    if !whole(x) || x > n {
        return Err(bad(
            x,
            "frequency",
            "BG/BB needs a whole number of transactions x <= n",
        ));
    }
    if !whole(t_x) || t_x < x || (x > 0.0 && t_x < 1.0) || (x == 0.0 && t_x != 0.0) {
        return Err(bad(
            t_x,
            "recency",
            "BG/BB needs a whole recency with x <= t_x <= n (0 when x = 0)",
        ));
    }
    Ok(())
}

impl BgBb {
    /// Build from parameters (all finite and > 0).
    pub fn new(alpha: f64, beta: f64, gamma: f64, delta: f64) -> Result<Self> {
        for (v, n) in [alpha, beta, gamma, delta]
            .iter()
            .zip(["alpha", "beta", "gamma", "delta"])
        {
            if !(v.is_finite() && *v > 0.0) {
                return Err(Error::option(
                    &format!("bg-bb.{n}"),
                    v,
                    "parameters must be finite and > 0",
                ));
            }
        }
        Ok(Self {
            alpha,
            beta,
            gamma,
            delta,
        })
    }

    fn arr(&self) -> [f64; 4] {
        [self.alpha, self.beta, self.gamma, self.delta]
    }

    /// Maximum-likelihood fit on `x` (frequency), `t_x` (recency) and `t` (= n, periods).
    pub fn fit(data: &CalibrationData, options: &FitOptions) -> Result<Fitted<Self>> {
        for i in 0..data.len() {
            validate_row(data.x[i], data.t_x[i], data.t[i], i)?;
        }
        let rows = data.collapse();
        if rows.is_empty() {
            return Err(Error::EmptyInput("bg-bb: no customers".into()));
        }
        let problem = Problem {
            model: "bg-bb",
            names: ["alpha", "beta", "gamma", "delta"]
                .map(String::from)
                .to_vec(),
            scales: vec![Scale::Log; 4],
            start: vec![1.0; 4],
            total_weight: rows.total_weight(),
            n_rows: rows.len(),
            loglik: |p: &[f64], g: &mut [f64]| {
                let pp = [p[0], p[1], p[2], p[3]];
                let pre = Pre::new(pp);
                g.fill(0.0);
                let mut ll = 0.0;
                for i in 0..rows.len() {
                    let w = rows.weight[i];
                    ll += w * row(pp, &pre, rows.x[i], rows.t_x[i], rows.t[i], w, Some(g));
                }
                ll
            },
            options,
            warm_inverse_hessian: None,
        };
        let report = fit::run(problem)?;
        let p = &report.params;
        Ok(Fitted {
            model: Self {
                alpha: p[0],
                beta: p[1],
                gamma: p[2],
                delta: p[3],
            },
            report,
        })
    }

    /// Log-likelihood of one customer (`x` transactions, last at `t_x`, in `n` opportunities).
    #[must_use]
    pub fn log_likelihood(&self, x: f64, t_x: f64, n: f64) -> f64 {
        let p = self.arr();
        row(p, &Pre::new(p), x, t_x, n, 1.0, None)
    }

    /// Total weighted log-likelihood of `data`.
    #[must_use]
    pub fn log_likelihood_total(&self, data: &CalibrationData) -> f64 {
        let p = self.arr();
        let pre = Pre::new(p);
        (0..data.len())
            .map(|i| data.weight(i) * row(p, &pre, data.x[i], data.t_x[i], data.t[i], 1.0, None))
            .sum()
    }

    /// `P(alive at opportunity n + 1 | x, t_x, n)` (FHS 2010 eq. 11).
    #[must_use]
    pub fn p_alive(&self, x: f64, t_x: f64, n: f64) -> f64 {
        let [a, b, g, d] = self.arr();
        let ln_num =
            ln_beta(a + x, b + n - x) - ln_beta(a, b) + ln_beta(g, d + n + 1.0) - ln_beta(g, d);
        (ln_num - self.log_likelihood(x, t_x, n)).exp()
    }

    /// `E[X(n, n + n_star) | x, t_x, n]`: expected transactions in the next `n_star` opportunities
    /// (FHS 2010 eq. 13).
    #[must_use]
    pub fn conditional_expected_purchases(&self, n_star: f64, x: f64, t_x: f64, n: f64) -> f64 {
        let [a, b, g, d] = self.arr();
        let ln_front =
            ln_beta(a + x + 1.0, b + n - x) - ln_beta(a, b) - self.log_likelihood(x, t_x, n);
        // δ/(γ−1) · Γ(γ+δ)/Γ(1+δ) · [Γ(1+δ+n)/Γ(γ+δ+n) − Γ(1+δ+n+n*)/Γ(γ+δ+n+n*)]
        let base = ln_gamma(g + d) - ln_gamma(1.0 + d);
        let t1 = base + ln_gamma(1.0 + d + n) - ln_gamma(g + d + n);
        let t2 = base + ln_gamma(1.0 + d + n + n_star) - ln_gamma(g + d + n + n_star);
        // (e^t1 − e^t2) / (γ − 1), both signs handled: = e^t1 (1 − e^(t2−t1)) / (γ − 1).
        let diff = t1.exp() * (-(t2 - t1).exp_m1());
        ln_front.exp() * d * diff / (g - 1.0)
    }

    /// E[X(n)]: expected transactions of a new customer in `n` opportunities (FHS 2010 eq. 7).
    #[must_use]
    pub fn expected_purchases(&self, n: f64) -> f64 {
        let [a, b, g, d] = self.arr();
        let ln_r =
            ln_gamma(g + d) + ln_gamma(1.0 + d + n) - ln_gamma(g + d + n) - ln_gamma(1.0 + d);
        a / (a + b) * d / (g - 1.0) * (-ln_r.exp_m1())
    }

    /// P(X(n) = x): probability that a new customer makes `x` transactions in `n` opportunities
    /// (FHS 2010 eq. 6).
    #[must_use]
    pub fn prob_purchases(&self, x: u32, n: u32) -> f64 {
        if x > n {
            return 0.0;
        }
        let [a, b, g, d] = self.arr();
        let (xf, nf) = (f64::from(x), f64::from(n));
        let ln_choose =
            |n: f64, k: f64| ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0);
        let (lab, lgd) = (ln_beta(a, b), ln_beta(g, d));
        let mut p = (ln_choose(nf, xf) + ln_beta(a + xf, b + nf - xf) - lab + ln_beta(g, d + nf)
            - lgd)
            .exp();
        for i in x..n {
            let i = f64::from(i);
            p += (ln_choose(i, xf) + ln_beta(a + xf, b + i - xf) - lab + ln_beta(g + 1.0, d + i)
                - lgd)
                .exp();
        }
        p
    }
}
