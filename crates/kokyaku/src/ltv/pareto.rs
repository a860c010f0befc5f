//! Pareto/NBD (Schmittlein, Morrison & Colombo 1987) in the formulation of Fader & Hardie (2005),
//! "A note on deriving the Pareto/NBD model and related expressions":
//!
//! ```text
//! L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^−(r+x) (β+T)^−s + s/(r+s+x) · A0 ]
//! A0 = F(t_x) (m+t_x)^−(r+s+x) − F(T) (m+T)^−(r+s+x)
//! F(t) = 2F1(r+s+x, b2; r+s+x+1; |α−β| / (m+t)),   m = max(α, β),
//! b2 = s+1 if α >= β, else r+x
//! ```
//!
//! evaluated in log space with the hypergeometric series and its parameter derivatives of
//! [`super::special`], so the argument `z = |α−β|/(m+t)` is always in `[0, 1)`.

use super::PurchaseModel;
use super::data::{CalibrationData, Collapsed};
use super::fit::{self, FitOptions, Fitted, Problem, Scale};
use super::special::{digamma, ln_beta, ln_gamma, ln_hyp2f1, ln_hyp2f1_a_a1, log_add_exp};
use crate::{Error, Result};

/// Pareto/NBD parameters: purchase rate λ ~ Gamma(`r`, `alpha`), drop-out rate
/// μ ~ Gamma(`s`, `beta`) (shape, rate; time in the unit of the fitted data).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ParetoNbd {
    /// Gamma shape of the purchase rate.
    pub r: f64,
    /// Gamma rate of the purchase rate.
    pub alpha: f64,
    /// Gamma shape of the drop-out rate.
    pub s: f64,
    /// Gamma rate of the drop-out rate.
    pub beta: f64,
}

/// `ln E1`, `ln E2` and, with `grad`, their contributions to `d ln L / d(r, α, s, β)`.
struct Parts {
    ln_e1: f64,
    ln_total: f64,
}

/// `ln L_k` and its gradient for one time point.
fn ln_lk(r: f64, alpha: f64, s: f64, beta: f64, x: f64, t: f64) -> (f64, [f64; 4]) {
    let a1 = r + s + x;
    if alpha >= beta {
        let m = alpha + t;
        let z = (alpha - beta) / m;
        let (lf, fa, fb, fz) = ln_hyp2f1_a_a1(a1, s + 1.0, z);
        let lm = m.ln();
        let dz_da = (beta + t) / (m * m);
        let dz_db = -1.0 / m;
        (
            lf - a1 * lm,
            [fa - lm, fz * dz_da - a1 / m, fa - lm + fb, fz * dz_db],
        )
    } else {
        let m = beta + t;
        let z = (beta - alpha) / m;
        let (lf, fa, fb, fz) = ln_hyp2f1_a_a1(a1, r + x, z);
        let lm = m.ln();
        let dz_db = (alpha + t) / (m * m);
        let dz_da = -1.0 / m;
        (
            lf - a1 * lm,
            [fa - lm + fb, fz * dz_da, fa - lm, fz * dz_db - a1 / m],
        )
    }
}

#[allow(clippy::too_many_arguments)]
fn row(
    p: [f64; 4],
    lg_r: f64,
    dg_r: f64,
    x: f64,
    t_x: f64,
    t: f64,
    weight: f64,
    grad: Option<&mut [f64]>,
) -> (f64, Parts) {
    let [r, alpha, s, beta] = p;
    let a1 = r + s + x;
    let ln_c = ln_gamma(r + x) - lg_r + r * alpha.ln() + s * beta.ln();
    let ln_e1 = -(r + x) * (alpha + t).ln() - s * (beta + t).ln();
    let (l1, d1) = ln_lk(r, alpha, s, beta, x, t_x);
    let (l2, d2) = ln_lk(r, alpha, s, beta, x, t);
    let ln_k = s.ln() - a1.ln();
    let ln_a0 = if l2 >= l1 {
        f64::NEG_INFINITY
    } else {
        l1 + (-(l2 - l1).exp_m1()).ln()
    };
    let ln_e2 = ln_k + ln_a0;
    let ln_total = log_add_exp(ln_e1, ln_e2);
    if let Some(g) = grad {
        let w1 = (ln_e1 - ln_total).exp();
        let w2 = if ln_e2 == f64::NEG_INFINITY {
            0.0
        } else {
            (ln_e2 - ln_total).exp()
        };
        let c1 = (ln_k + l1 - ln_total).exp();
        let c2 = (ln_k + l2 - ln_total).exp();
        let dc = [
            digamma(r + x) - dg_r + alpha.ln(),
            r / alpha,
            beta.ln(),
            s / beta,
        ];
        let de1 = [
            -(alpha + t).ln(),
            -(r + x) / (alpha + t),
            -(beta + t).ln(),
            -s / (beta + t),
        ];
        let dk = [-1.0 / a1, 0.0, 1.0 / s - 1.0 / a1, 0.0];
        for j in 0..4 {
            let v = dc[j] + w1 * de1[j] + w2 * dk[j] + c1 * d1[j] - c2 * d2[j];
            g[j] += weight * v;
        }
    }
    (ln_c + ln_total, Parts { ln_e1, ln_total })
}

/// Row log-likelihood with row-specific parameters (for covariates); adds the gradient.
#[allow(clippy::too_many_arguments)]
pub(crate) fn row_ll_full(
    p: [f64; 4],
    lg_r: f64,
    dg_r: f64,
    x: f64,
    t_x: f64,
    t: f64,
    grad: &mut [f64],
) -> f64 {
    row(p, lg_r, dg_r, x, t_x, t, 1.0, Some(grad)).0
}

impl ParetoNbd {
    /// Build from parameters (all finite and > 0).
    pub fn new(r: f64, alpha: f64, s: f64, beta: f64) -> Result<Self> {
        for (v, n) in [r, alpha, s, beta].iter().zip(["r", "alpha", "s", "beta"]) {
            if !(v.is_finite() && *v > 0.0) {
                return Err(Error::option(
                    &format!("pareto-nbd.{n}"),
                    v,
                    "parameters must be finite and > 0",
                ));
            }
        }
        Ok(Self { r, alpha, s, beta })
    }

    fn arr(&self) -> [f64; 4] {
        [self.r, self.alpha, self.s, self.beta]
    }

    /// Maximum-likelihood fit on `x`, `t_x`, `T` (and weights) of `data`.
    pub fn fit(data: &CalibrationData, options: &FitOptions) -> Result<Fitted<Self>> {
        let rows = data.collapse();
        if rows.is_empty() {
            return Err(Error::EmptyInput("pareto-nbd: no customers".into()));
        }
        // Many distinct rows: warm start from a systematic subsample (see BG/NBD).
        let mut warm = None;
        if let (Some(stride), None) = (fit::warm_start_stride(rows.len()), &options.initial) {
            let sub_opts = FitOptions {
                std_errors: true,
                gradient_tolerance: 1e-6,
                ..options.clone()
            };
            warm = Self::fit_rows(&rows.stride(stride), &sub_opts, None)
                .ok()
                .map(|(r, h)| (r.params, h));
        }
        let (report, _) = Self::fit_rows(&rows, options, warm)?;
        let p = &report.params;
        Ok(Fitted {
            model: Self {
                r: p[0],
                alpha: p[1],
                s: p[2],
                beta: p[3],
            },
            report,
        })
    }

    fn fit_rows(
        rows: &Collapsed,
        options: &FitOptions,
        warm: Option<(Vec<f64>, Vec<f64>)>,
    ) -> Result<(fit::FitReport, Vec<f64>)> {
        let (warm_start, warm_h) = warm.map_or((None, None), |(s, h)| (Some(s), Some(h)));
        let mean_t = rows
            .t
            .iter()
            .zip(&rows.weight)
            .map(|(t, w)| t * w)
            .sum::<f64>()
            / rows.total_weight();
        let problem = Problem {
            model: "pareto-nbd",
            names: ["r", "alpha", "s", "beta"].map(String::from).to_vec(),
            scales: vec![Scale::Log; 4],
            start: warm_start.unwrap_or_else(|| vec![1.0, mean_t.max(1e-3), 1.0, mean_t.max(1e-3)]),
            total_weight: rows.total_weight(),
            n_rows: rows.len(),
            loglik: |p: &[f64], g: &mut [f64]| {
                let pp = [p[0], p[1], p[2], p[3]];
                let (lg_r, dg_r) = (ln_gamma(p[0]), digamma(p[0]));
                g.fill(0.0);
                let mut ll = 0.0;
                for i in 0..rows.len() {
                    let w = rows.weight[i];
                    ll += w * row(
                        pp,
                        lg_r,
                        dg_r,
                        rows.x[i],
                        rows.t_x[i],
                        rows.t[i],
                        w,
                        Some(g),
                    )
                    .0;
                }
                ll
            },
            options,
            warm_inverse_hessian: warm_h,
        };
        fit::run_warm(problem)
    }

    /// Total weighted log-likelihood of `data`.
    #[must_use]
    pub fn log_likelihood_total(&self, data: &CalibrationData) -> f64 {
        (0..data.len())
            .map(|i| data.weight(i) * self.log_likelihood(data.x[i], data.t_x[i], data.t[i]))
            .sum()
    }

    /// P(X(t) = n): probability that a new customer makes `n` repeat purchases in `(0, t]`
    /// (Fader & Hardie 2005 note, section 5). With `m = max(α, β)`,
    /// `b2 = s+1` if `α >= β` else `r+n`, `c = r+s+n+1` and
    /// `G(a, u) = 2F1(a, b2; c; |α−β|/(m+u)) / (m+u)^a`:
    ///
    /// ```text
    /// P = Γ(r+n)/(Γ(r) n!) (α/(α+t))^r (t/(α+t))^n (β/(β+t))^s
    ///   + α^r β^s B(r+n, s+1)/B(r, s) · [ G(r+s, 0) − Σ_{i=0..n} Γ(r+s+i)/(Γ(r+s) i!) t^i G(r+s+i, t) ]
    /// ```
    ///
    /// The first term is "alive at `t` with `n` purchases", the second "died at τ < t after `n`
    /// purchases". Evaluated in log space; the bracket is a difference of positive terms and is
    /// clamped at 0 where rounding would make it negative. `t <= 0` gives 1 for `n = 0`, else 0.
    #[must_use]
    pub fn prob_purchases(&self, n: u32, t: f64) -> f64 {
        let Self { r, alpha, s, beta } = *self;
        if t.is_nan() {
            return f64::NAN;
        }
        if t <= 0.0 {
            return if n == 0 { 1.0 } else { 0.0 };
        }
        let x = f64::from(n);
        let ln_t = t.ln();
        let ln_alive = ln_gamma(r + x) - ln_gamma(r) - ln_gamma(x + 1.0)
            + r * (alpha / (alpha + t)).ln()
            + x * (t / (alpha + t)).ln()
            + s * (beta / (beta + t)).ln();
        let (m, b2) = if alpha >= beta {
            (alpha, s + 1.0)
        } else {
            (beta, r + x)
        };
        let d = (alpha - beta).abs();
        let c = r + s + x + 1.0;
        let ln_g = |a: f64, u: f64| ln_hyp2f1(a, b2, c, d / (m + u)) - a * (m + u).ln();
        let ln_b1 = ln_g(r + s, 0.0);
        let lg_rs = ln_gamma(r + s);
        let mut ln_sum = f64::NEG_INFINITY;
        for i in 0..=n {
            let fi = f64::from(i);
            let term =
                ln_gamma(r + s + fi) - lg_rs - ln_gamma(fi + 1.0) + fi * ln_t + ln_g(r + s + fi, t);
            ln_sum = log_add_exp(ln_sum, term);
        }
        let ln_pref = r * alpha.ln() + s * beta.ln() + ln_beta(r + x, s + 1.0) - ln_beta(r, s);
        // B1 − S = B1 (1 − e^(S − B1)), S < B1 in exact arithmetic.
        let dead = if ln_sum >= ln_b1 {
            0.0
        } else {
            (ln_pref + ln_b1).exp() * -(ln_sum - ln_b1).exp_m1()
        };
        ln_alive.exp() + dead
    }
}

/// `[1 − q^c] / c`, continuous at `c = 0` (= −ln q).
fn one_minus_pow_over(ln_q: f64, c: f64) -> f64 {
    if c.abs() < 1e-12 {
        -ln_q
    } else {
        -(c * ln_q).exp_m1() / c
    }
}

impl PurchaseModel for ParetoNbd {
    fn name(&self) -> &'static str {
        "pareto-nbd"
    }
    fn log_likelihood(&self, x: f64, t_x: f64, t: f64) -> f64 {
        row(self.arr(), ln_gamma(self.r), 0.0, x, t_x, t, 1.0, None).0
    }
    fn expected_purchases(&self, horizon: f64) -> f64 {
        // E[X(t)] = r β / (α (s−1)) [1 − (β/(β+t))^(s−1)]
        let ln_q = (self.beta / (self.beta + horizon)).ln();
        self.r / self.alpha * self.beta * one_minus_pow_over(ln_q, self.s - 1.0)
    }
    fn expected_purchases_if_alive(&self, horizon: f64, x: f64, t: f64) -> f64 {
        // E[Y(t) | x, t_x, T] = (r+x)(β+T) / ((α+T)(s−1)) [1 − ((β+T)/(β+T+t))^(s−1)] P(alive)
        let ln_q = ((self.beta + t) / (self.beta + t + horizon.max(0.0))).ln();
        (self.r + x) / (self.alpha + t) * (self.beta + t) * one_minus_pow_over(ln_q, self.s - 1.0)
    }
    fn p_alive(&self, x: f64, t_x: f64, t: f64) -> f64 {
        let (_, parts) = row(self.arr(), 0.0, 0.0, x, t_x, t, 1.0, None);
        (parts.ln_e1 - parts.ln_total).exp()
    }
    fn p_alive_at(&self, x: f64, t_x: f64, t: f64, future: f64) -> f64 {
        // Given alive at T, μ ~ Gamma(s, β+T): survival to T+t is ((β+T)/(β+T+t))^s.
        self.p_alive(x, t_x, t)
            * (self.s * ((self.beta + t) / (self.beta + t + future.max(0.0))).ln()).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_finite_differences() {
        for p in [
            [0.55, 10.5, 0.6, 11.7],
            [0.55, 12.5, 0.6, 3.0],
            [2.0, 1.0, 0.3, 40.0],
        ] {
            let rows = [
                (0.0, 0.0, 30.0),
                (3.0, 20.5, 38.0),
                (2.0, 38.0, 38.0),
                (150.0, 37.0, 38.0),
            ];
            let f = |q: [f64; 4], g: Option<&mut [f64]>| {
                let mut acc = 0.0;
                let mut gg = [0.0; 4];
                for &(x, tx, t) in &rows {
                    acc += row(
                        q,
                        ln_gamma(q[0]),
                        digamma(q[0]),
                        x,
                        tx,
                        t,
                        1.0,
                        Some(&mut gg),
                    )
                    .0;
                }
                if let Some(g) = g {
                    g.copy_from_slice(&gg);
                }
                acc
            };
            let mut g = [0.0; 4];
            f(p, Some(&mut g));
            for j in 0..4 {
                let h = 1e-6 * p[j];
                let mut pp = p;
                pp[j] += h;
                let mut pm = p;
                pm[j] -= h;
                let fd = (f(pp, None) - f(pm, None)) / (2.0 * h);
                assert!(
                    (fd - g[j]).abs() < 1e-5 * (1.0 + fd.abs()),
                    "{p:?} param {j}: {fd} vs {}",
                    g[j]
                );
            }
        }
    }
}
