//! Gamma/Gompertz/NBD (Bemmaor & Glady 2012, "Modeling purchasing behavior with sudden 'death':
//! a flexible customer lifetime model", Management Science 58(5)).
//!
//! While alive a customer buys at Poisson rate λ ~ Gamma(r, α). Lifetimes follow the
//! Gamma/Gompertz distribution with survival `S(τ) = (β / (β + e^{bτ} − 1))^s` and density
//! `f(τ) = b s β^s e^{bτ} / (β + e^{bτ} − 1)^{s+1}` (b → 0 with β/b fixed gives Pareto/NBD).
//!
//! ```text
//! L = Γ(r+x) α^r / Γ(r) · [ S(T) (α+T)^−(r+x) + ∫_{t_x}^{T} f(τ) (α+τ)^−(r+x) dτ ]
//! ```
//!
//! The integral has no closed form: it is computed, with its parameter derivatives, by
//! composite Gauss-Legendre quadrature in log-scaled form (written here: no crate offers a
//! quadrature that carries a gradient vector through).

use super::PurchaseModel;
use super::data::CalibrationData;
use super::fit::{self, FitOptions, Fitted, Problem, Scale};
use super::pareto::ParetoNbd;
use super::special::{
    digamma, integrate_toward_lo, integrate_toward_lo_vec, ln_gamma, log_add_exp,
};
use crate::{Error, Result};

/// Gamma/Gompertz/NBD parameters.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GGompertzNbd {
    /// Gamma shape of the purchase rate.
    pub r: f64,
    /// Gamma rate of the purchase rate.
    pub alpha: f64,
    /// Gompertz scale `b` (per time unit).
    pub b: f64,
    /// Gamma shape of the lifetime heterogeneity.
    pub s: f64,
    /// Gamma rate of the lifetime heterogeneity.
    pub beta: f64,
}

/// `ln(β + e^{bτ} − 1)` without overflow.
#[inline]
fn ln_denom(beta: f64, b: f64, tau: f64) -> f64 {
    let bt = b * tau;
    if bt > 30.0 {
        bt + ((beta - 1.0) * (-bt).exp()).ln_1p()
    } else {
        (beta + bt.exp_m1()).ln()
    }
}

/// `e^{bτ} / (β + e^{bτ} − 1)` without overflow.
#[inline]
fn ratio(beta: f64, b: f64, tau: f64) -> f64 {
    (b * tau - ln_denom(beta, b, tau)).exp()
}

impl GGompertzNbd {
    /// Build from parameters (all finite and > 0).
    pub fn new(r: f64, alpha: f64, b: f64, s: f64, beta: f64) -> Result<Self> {
        for (v, n) in [r, alpha, b, s, beta]
            .iter()
            .zip(["r", "alpha", "b", "s", "beta"])
        {
            if !(v.is_finite() && *v > 0.0) {
                return Err(Error::option(
                    &format!("ggompertz-nbd.{n}"),
                    v,
                    "parameters must be finite and > 0",
                ));
            }
        }
        Ok(Self {
            r,
            alpha,
            b,
            s,
            beta,
        })
    }

    fn ln_survival(&self, tau: f64) -> f64 {
        self.s * (self.beta.ln() - ln_denom(self.beta, self.b, tau))
    }

    /// `(ln of the alive term, ln of the death-in-(t_x, T] term)` of the bracket, and with
    /// `grad` (length 5) `d ln L / dθ` of the whole row.
    fn parts(&self, x: f64, t_x: f64, t: f64, grad: Option<&mut [f64]>) -> (f64, f64, f64) {
        let Self {
            r,
            alpha,
            b,
            s,
            beta,
        } = *self;
        let m = r + x;
        let ln_c = ln_gamma(m) - ln_gamma(r) + r * alpha.ln();
        let ln_a = self.ln_survival(t) - m * (alpha + t).ln();
        // Integrand scaled by its value's upper bound on the g part at τ = t_x.
        let k = -m * (alpha + t_x).ln();
        let ln_f = |tau: f64| {
            b.ln() + s.ln() + s * beta.ln() + b * tau - (s + 1.0) * ln_denom(beta, b, tau)
        };
        let scaled = |tau: f64| (ln_f(tau) - m * (alpha + tau).ln() - k).exp();
        let i0 = if t > t_x && grad.is_none() {
            integrate_toward_lo(scaled, t_x, t)
        } else {
            0.0
        };
        // With a gradient: the integral and its five derivative integrals in one pass.
        let ints = if t > t_x && grad.is_some() {
            integrate_toward_lo_vec(
                |tau| {
                    let v = scaled(tau);
                    let ld = ln_denom(beta, b, tau);
                    let q = (b * tau - ld).exp();
                    [
                        v,
                        -v * (alpha + tau).ln(),
                        -v * m / (alpha + tau),
                        v * (1.0 / b + tau - (s + 1.0) * tau * q),
                        v * (1.0 / s + beta.ln() - ld),
                        v * (s / beta - (s + 1.0) * (-ld).exp()),
                    ]
                },
                t_x,
                t,
            )
        } else {
            [0.0; 6]
        };
        let i0 = if grad.is_some() { ints[0] } else { i0 };
        let ln_b = if i0 > 0.0 {
            k + i0.ln()
        } else {
            f64::NEG_INFINITY
        };
        let ln_bracket = log_add_exp(ln_a, ln_b);
        if let Some(g) = grad {
            let wa = (ln_a - ln_bracket).exp();
            let wb = if i0 > 0.0 {
                (ln_b - ln_bracket).exp()
            } else {
                0.0
            };
            // Alive term.
            let q = ratio(beta, b, t);
            let ld = ln_denom(beta, b, t);
            let da = [
                -(alpha + t).ln(),
                -m / (alpha + t),
                -s * t * q,
                beta.ln() - ld,
                s / beta - s * (-ld).exp(),
            ];
            // Death term: E over the normalised integrand of d ln(integrand).
            let mut db = [0.0; 5];
            if i0 > 0.0 {
                for j in 0..5 {
                    db[j] = ints[j + 1] / i0;
                }
            }
            let dc = [
                digamma(m) - digamma(r) + alpha.ln(),
                r / alpha,
                0.0,
                0.0,
                0.0,
            ];
            for j in 0..5 {
                g[j] += dc[j] + wa * da[j] + wb * db[j];
            }
        }
        (ln_c + ln_bracket, ln_a, ln_bracket)
    }

    /// Maximum-likelihood fit, started from the Pareto/NBD fit it nests.
    pub fn fit(data: &CalibrationData, options: &FitOptions) -> Result<Fitted<Self>> {
        let rows = data.collapse();
        if rows.is_empty() {
            return Err(Error::EmptyInput("ggompertz-nbd: no customers".into()));
        }
        let start = if options.initial.is_some() {
            vec![1.0; 5]
        } else {
            let p = ParetoNbd::fit(
                data,
                &FitOptions {
                    std_errors: false,
                    ..options.clone()
                },
            )?
            .model;
            let mean_t = rows
                .t
                .iter()
                .zip(&rows.weight)
                .map(|(t, w)| t * w)
                .sum::<f64>()
                / rows.total_weight();
            let b = 0.1 / mean_t.max(1e-9);
            vec![p.r, p.alpha, b, p.s, (b * p.beta).max(1e-9)]
        };
        let problem = Problem {
            model: "ggompertz-nbd",
            names: ["r", "alpha", "b", "s", "beta"].map(String::from).to_vec(),
            scales: vec![Scale::Log; 5],
            start,
            total_weight: rows.total_weight(),
            n_rows: rows.len(),
            loglik: |p: &[f64], g: &mut [f64]| {
                let m = Self {
                    r: p[0],
                    alpha: p[1],
                    b: p[2],
                    s: p[3],
                    beta: p[4],
                };
                g.fill(0.0);
                let mut ll = 0.0;
                let mut gr = [0.0; 5];
                for i in 0..rows.len() {
                    let w = rows.weight[i];
                    gr.fill(0.0);
                    ll += w * m.parts(rows.x[i], rows.t_x[i], rows.t[i], Some(&mut gr)).0;
                    for j in 0..5 {
                        g[j] += w * gr[j];
                    }
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
                r: p[0],
                alpha: p[1],
                b: p[2],
                s: p[3],
                beta: p[4],
            },
            report,
        })
    }

    /// Total weighted log-likelihood of `data`.
    #[must_use]
    pub fn log_likelihood_total(&self, data: &CalibrationData) -> f64 {
        (0..data.len())
            .map(|i| data.weight(i) * self.log_likelihood(data.x[i], data.t_x[i], data.t[i]))
            .sum()
    }

    /// P(X(t) = n): probability that a new customer makes `n` repeat purchases in `(0, t]`,
    /// the GGompertz/NBD analogue of [`ParetoNbd::prob_purchases`]. Given the lifetime `τ`, the
    /// purchases are NBD over `min(τ, t)`, so with
    /// `NBD(n; u) = Γ(r+n)/(Γ(r) n!) (α/(α+u))^r (u/(α+u))^n`:
    ///
    /// ```text
    /// P = S(t) · NBD(n; t) + ∫_0^t f(τ) · NBD(n; τ) dτ
    /// ```
    ///
    /// ("alive at `t` with `n` purchases" plus "died at `τ < t` after `n` purchases"). The
    /// integral has no closed form and is computed, in log space per node, by the same composite
    /// 40-point Gauss-Legendre rule as the likelihood (panels shrinking towards `t`, where a
    /// large `n` puts its mass). `t <= 0` gives 1 for `n = 0`, else 0; NaN `t` gives NaN.
    #[must_use]
    pub fn prob_purchases(&self, n: u32, t: f64) -> f64 {
        let Self {
            r,
            alpha,
            b,
            s,
            beta,
        } = *self;
        if t.is_nan() {
            return f64::NAN;
        }
        if t <= 0.0 {
            return if n == 0 { 1.0 } else { 0.0 };
        }
        let x = f64::from(n);
        let ln_coef = ln_gamma(r + x) - ln_gamma(r) - ln_gamma(x + 1.0);
        // ln NBD(n; u) for u > 0 (at u = 0: 1 for n = 0, else 0).
        let ln_nbd = |u: f64| {
            if u <= 0.0 {
                return if n == 0 { 0.0 } else { f64::NEG_INFINITY };
            }
            let ln_au = (alpha + u).ln();
            ln_coef + r * (alpha.ln() - ln_au) + x * (u.ln() - ln_au)
        };
        let ln_f = |tau: f64| {
            b.ln() + s.ln() + s * beta.ln() + b * tau - (s + 1.0) * ln_denom(beta, b, tau)
        };
        let alive = (self.ln_survival(t) + ln_nbd(t)).exp();
        let dead = super::special::integrate(|tau| (ln_f(tau) + ln_nbd(tau)).exp(), 0.0, t);
        alive + dead
    }

    /// Expected remaining lifetime within `(T, T + horizon]` of a customer alive at `T`:
    /// `∫_0^h S(T+u)/S(T) du`.
    fn alive_time(&self, t: f64, horizon: f64) -> f64 {
        if horizon <= 0.0 {
            return 0.0;
        }
        let ls = self.ln_survival(t);
        super::special::integrate(|u| (self.ln_survival(t + u) - ls).exp(), 0.0, horizon)
    }
}

impl PurchaseModel for GGompertzNbd {
    fn name(&self) -> &'static str {
        "ggompertz-nbd"
    }
    fn log_likelihood(&self, x: f64, t_x: f64, t: f64) -> f64 {
        self.parts(x, t_x, t, None).0
    }
    fn expected_purchases(&self, horizon: f64) -> f64 {
        self.r / self.alpha * self.alive_time(0.0, horizon)
    }
    fn expected_purchases_if_alive(&self, horizon: f64, x: f64, t: f64) -> f64 {
        (self.r + x) / (self.alpha + t) * self.alive_time(t, horizon)
    }
    fn p_alive(&self, x: f64, t_x: f64, t: f64) -> f64 {
        let (_, ln_a, ln_bracket) = self.parts(x, t_x, t, None);
        (ln_a - ln_bracket).exp()
    }
    fn p_alive_at(&self, x: f64, t_x: f64, t: f64, future: f64) -> f64 {
        self.p_alive(x, t_x, t)
            * (self.ln_survival(t + future.max(0.0)) - self.ln_survival(t)).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_finite_differences() {
        let p = [0.55, 10.5, 0.02, 0.6, 0.3];
        let rows = [
            (0.0, 0.0, 30.0),
            (3.0, 20.5, 38.0),
            (2.0, 38.0, 38.0),
            (150.0, 37.0, 38.0),
        ];
        let f = |q: [f64; 5], g: Option<&mut [f64]>| {
            let m = GGompertzNbd {
                r: q[0],
                alpha: q[1],
                b: q[2],
                s: q[3],
                beta: q[4],
            };
            let mut gg = [0.0; 5];
            let v: f64 = rows
                .iter()
                .map(|&(x, tx, t)| m.parts(x, tx, t, Some(&mut gg)).0)
                .sum();
            if let Some(g) = g {
                g.copy_from_slice(&gg);
            }
            v
        };
        let mut g = [0.0; 5];
        f(p, Some(&mut g));
        for j in 0..5 {
            let h = 1e-6 * p[j];
            let (mut pp, mut pm) = (p, p);
            pp[j] += h;
            pm[j] -= h;
            let fd = (f(pp, None) - f(pm, None)) / (2.0 * h);
            assert!(
                (fd - g[j]).abs() < 1e-5 * (1.0 + fd.abs()),
                "param {j}: {fd} vs {}",
                g[j]
            );
        }
    }
}
