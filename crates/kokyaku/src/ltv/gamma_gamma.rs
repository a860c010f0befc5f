//! Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV: using
//! iso-value curves for customer base analysis"; Fader & Hardie 2013, "The Gamma-Gamma model of
//! monetary value"). Fitted on the repeat buyers (x > 0) only, with `z̄` = the mean value of their
//! `x` repeat transactions:
//!
//! ```text
//! ln f(z̄ | p, q, γ, x) = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln z̄ + px ln x
//!                      − (px+q) ln(γ + x z̄)
//! ```

use super::data::CalibrationData;
use super::fit::{self, FitOptions, Fitted, Problem, Scale};
use super::special::{digamma, ln_gamma};
use crate::{Error, Result};

/// Gamma-Gamma parameters: spend per transaction ~ Gamma(`p`, ν), ν ~ Gamma(`q`, `gamma`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GammaGamma {
    /// Shape of the transaction value.
    pub p: f64,
    /// Shape of the heterogeneity in the rate ν.
    pub q: f64,
    /// Rate (money scale) of the heterogeneity in ν.
    pub gamma: f64,
}

#[inline]
#[allow(clippy::too_many_arguments)]
fn row(
    p: f64,
    q: f64,
    g: f64,
    lg_q: f64,
    dg_q: f64,
    x: f64,
    m: f64,
    weight: f64,
    grad: Option<&mut [f64]>,
) -> f64 {
    let px = p * x;
    let lgm = (g + m * x).ln();
    let (ln_m, ln_x) = (m.ln(), x.ln());
    let ll = ln_gamma(px + q) - ln_gamma(px) - lg_q + q * g.ln() + (px - 1.0) * ln_m + px * ln_x
        - (px + q) * lgm;
    if let Some(gr) = grad {
        let dg_pxq = digamma(px + q);
        gr[0] += weight * x * (dg_pxq - digamma(px) + ln_m + ln_x - lgm);
        gr[1] += weight * (dg_pxq - dg_q + g.ln() - lgm);
        gr[2] += weight * (q / g - (px + q) / (g + m * x));
    }
    ll
}

/// Weighted log-likelihood and gradient with the special functions of `x` evaluated once per
/// distinct `x` (same sums as [`row`]).
fn grouped_ll(
    p: f64,
    q: f64,
    g: f64,
    rows: &super::data::Collapsed,
    groups: &[usize],
    ln_m: &[f64],
    grad: &mut [f64],
) -> f64 {
    let (lg_q, dg_q, ln_g) = (ln_gamma(q), digamma(q), g.ln());
    grad.fill(0.0);
    let mut ll = 0.0;
    for w in groups.windows(2) {
        let x = rows.x[w[0]];
        let px = p * x;
        let ln_x = x.ln();
        let (mut sw, mut s_lm, mut s_lgm, mut s_inv) = (0.0, 0.0, 0.0, 0.0);
        let r = w[0]..w[1];
        for ((&wi, &m), &lm) in rows.weight[r.clone()]
            .iter()
            .zip(&rows.t_x[r.clone()])
            .zip(&ln_m[r])
        {
            let gm = g + m * x;
            sw += wi;
            s_lm += wi * lm;
            s_lgm += wi * gm.ln();
            s_inv += wi / gm;
        }
        let dg_pxq = digamma(px + q);
        ll += sw * (ln_gamma(px + q) - ln_gamma(px) - lg_q + q * ln_g + px * ln_x)
            + (px - 1.0) * s_lm
            - (px + q) * s_lgm;
        grad[0] += x * (sw * (dg_pxq - digamma(px) + ln_x) + s_lm - s_lgm);
        grad[1] += sw * (dg_pxq - dg_q + ln_g) - s_lgm;
        grad[2] += sw * q / g - (px + q) * s_inv;
    }
    ll
}

impl GammaGamma {
    /// Build from parameters (all finite and > 0).
    pub fn new(p: f64, q: f64, gamma: f64) -> Result<Self> {
        for (v, n) in [p, q, gamma].iter().zip(["p", "q", "gamma"]) {
            if !(v.is_finite() && *v > 0.0) {
                return Err(Error::option(
                    &format!("gamma-gamma.{n}"),
                    v,
                    "parameters must be finite and > 0",
                ));
            }
        }
        Ok(Self { p, q, gamma })
    }

    /// Maximum-likelihood fit on the rows of `data` with `x > 0` (needs `monetary`).
    pub fn fit(data: &CalibrationData, options: &FitOptions) -> Result<Fitted<Self>> {
        let rows = data.collapse_monetary()?;
        if rows.is_empty() {
            return Err(Error::EmptyInput(
                "gamma-gamma: no customer with x > 0".into(),
            ));
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
                p: p[0],
                q: p[1],
                gamma: p[2],
            },
            report,
        })
    }

    fn fit_rows(
        rows: &super::data::Collapsed,
        options: &FitOptions,
        warm: Option<(Vec<f64>, Vec<f64>)>,
    ) -> Result<(fit::FitReport, Vec<f64>)> {
        let (warm_start, warm_h) = warm.map_or((None, None), |(s, h)| (Some(s), Some(h)));
        let w = rows.total_weight();
        let mean_m = rows
            .t_x
            .iter()
            .zip(&rows.weight)
            .map(|(m, w)| m * w)
            .sum::<f64>()
            / w;
        // Rows are sorted by x: group boundaries, and ln z̄ once per row.
        let mut groups = vec![0];
        for i in 1..rows.len() {
            if rows.x[i].to_bits() != rows.x[i - 1].to_bits() {
                groups.push(i);
            }
        }
        groups.push(rows.len());
        let ln_m: Vec<f64> = rows.t_x.iter().map(|m| m.ln()).collect();
        let problem = Problem {
            model: "gamma-gamma",
            names: ["p", "q", "gamma"].map(String::from).to_vec(),
            scales: vec![Scale::Log; 3],
            start: warm_start.unwrap_or_else(|| vec![1.0, 1.0, mean_m.max(1e-9)]),
            total_weight: w,
            n_rows: rows.len(),
            loglik: |pr: &[f64], g: &mut [f64]| {
                grouped_ll(pr[0], pr[1], pr[2], rows, &groups, &ln_m, g)
            },
            options,
            warm_inverse_hessian: warm_h,
        };
        fit::run_warm(problem)
    }

    /// Log-likelihood of one repeat buyer with `x` repeat transactions of mean value `mean_value`.
    #[must_use]
    pub fn log_likelihood(&self, x: f64, mean_value: f64) -> f64 {
        row(
            self.p,
            self.q,
            self.gamma,
            ln_gamma(self.q),
            0.0,
            x,
            mean_value,
            1.0,
            None,
        )
    }

    /// Total weighted log-likelihood of the repeat buyers of `data`.
    pub fn log_likelihood_total(&self, data: &CalibrationData) -> Result<f64> {
        let rows = data.collapse_monetary()?;
        Ok((0..rows.len())
            .map(|i| rows.weight[i] * self.log_likelihood(rows.x[i], rows.t_x[i]))
            .sum())
    }

    /// Expected value of a transaction of a random customer, `p γ / (q − 1)` (infinite for q <= 1).
    #[must_use]
    pub fn expected_spend(&self) -> f64 {
        if self.q <= 1.0 {
            f64::INFINITY
        } else {
            self.p * self.gamma / (self.q - 1.0)
        }
    }

    /// E[Z | x, z̄] = p (γ + x z̄) / (p x + q − 1): the expected value of a future transaction of
    /// a customer with `x` repeat purchases of mean value `mean_value` (the population mean when
    /// `x = 0`).
    #[must_use]
    pub fn conditional_expected_spend(&self, x: f64, mean_value: f64) -> f64 {
        if x <= 0.0 {
            return self.expected_spend();
        }
        self.p * (self.gamma + x * mean_value) / (self.p * x + self.q - 1.0)
    }

    /// [`Self::conditional_expected_spend`] over columns, written into `out`.
    pub fn conditional_expected_spend_batch(
        &self,
        x: &[f64],
        mean_value: &[f64],
        out: &mut [f64],
    ) -> Result<()> {
        if x.len() != mean_value.len() || x.len() != out.len() {
            return Err(Error::option(
                "columns",
                format!("{} / {} / {}", x.len(), mean_value.len(), out.len()),
                "x, monetary and output must have equal lengths",
            ));
        }
        for i in 0..x.len() {
            out[i] = self.conditional_expected_spend(x[i], mean_value[i]);
        }
        Ok(())
    }
}
