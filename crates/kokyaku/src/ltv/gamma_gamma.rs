//! Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV: using
//! iso-value curves for customer base analysis"; Fader & Hardie 2013, "The Gamma-Gamma model of
//! monetary value"). Fitted on the repeat buyers (x > 0) only, with `z̄` = the mean value of their
//! `x` repeat transactions:
//!
//! ```text
//! ln f(z̄ | p, q, γ, x) = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln z̄ + px ln x
//!                      − (px+q) ln(γ + x z̄)
//! ```

use super::data::{
    CalibrationData, RankEncoder, bad, check_monetary, check_weights, check_x, missing_monetary,
};
use super::fit::{self, FitOptions, Fitted};
use super::special::{digamma, ln_gamma, trigamma};
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

/// The repeat buyers in row order, each with the code of its `x` (rank among the distinct `x`).
/// Rows are neither sorted nor merged (`z̄` is continuous, so equal `(x, z̄)` pairs are too
/// rare to pay for finding them): a likelihood pass accumulates per-`x` sums in row order, then
/// evaluates the special functions once per distinct `x`.
#[derive(Debug, Default)]
struct Repeaters {
    /// Distinct `x`, ascending.
    x: Vec<f64>,
    code: Vec<u32>,
    m: Vec<f64>,
    /// Row weights; empty when every row weighs [`Self::unit`] (no weights given, or a stride of
    /// such rows): the same products as a column of equal weights, without its memory.
    weight: Vec<f64>,
    unit: f64,
    /// Per `x` code: the sum of weights and of `w ln z̄` (parameter-free, computed once).
    s_w: Vec<f64>,
    s_lm: Vec<f64>,
}

impl Repeaters {
    fn new(data: &CalibrationData) -> Result<Self> {
        let m = data.monetary.as_deref().ok_or_else(missing_monetary)?;
        let (mut rows, _, bad_z) = Self::from_columns(&data.x, m, data.weights.as_deref());
        if let Some(i) = bad_z {
            return Err(bad(
                m[i],
                i,
                "monetary",
                "mean repeat-purchase value must be > 0 for customers with x > 0 (Gamma-Gamma)",
            ));
        }
        rows.sum_constants();
        Ok(rows)
    }

    /// The rows with `x > 0` and a non-zero weight, in one pass (no index list; the per-`x`
    /// sums are left to [`Self::sum_constants`]). Also, from the same pass: whether every row
    /// passes the checks of [`CalibrationData`] (`x` finite and >= 0, `z̄` finite and > 0 where
    /// `x > 0`, weights finite and >= 0), and the first selected row whose `z̄` does not. `x`,
    /// `m` and `weights` have equal lengths.
    fn from_columns(x: &[f64], m: &[f64], weights: Option<&[f64]>) -> (Self, bool, Option<usize>) {
        let mut enc = RankEncoder::new();
        let mut code = Vec::with_capacity(x.len());
        let mut mm = Vec::with_capacity(x.len());
        let mut weight = Vec::with_capacity(weights.map_or(0, <[f64]>::len));
        let mut valid = true;
        let mut bad_z = None;
        for i in 0..x.len() {
            let (xi, mi) = (x[i], m[i]);
            let w = weights.map_or(1.0, |w| w[i]);
            let z_ok = mi.is_finite() && mi > 0.0;
            valid &=
                xi.is_finite() && xi >= 0.0 && (xi <= 0.0 || z_ok) && w.is_finite() && w >= 0.0;
            if xi > 0.0 && w != 0.0 {
                if !z_ok && bad_z.is_none() {
                    bad_z = Some(i);
                }
                code.push(enc.code(xi));
                mm.push(mi);
                if weights.is_some() {
                    weight.push(w);
                }
            }
        }
        let xs = enc.finish([code.as_mut_slice()]);
        let rows = Self {
            x: xs,
            code,
            m: mm,
            weight,
            unit: 1.0,
            ..Self::default()
        };
        (rows, valid, bad_z)
    }

    /// Weight of row `i`.
    #[inline]
    fn w(&self, i: usize) -> f64 {
        if self.weight.is_empty() {
            self.unit
        } else {
            self.weight[i]
        }
    }

    /// The parameter-free per-`x` sums, in the same halves as a likelihood pass.
    fn sum_constants(&mut self) {
        let k = self.x.len();
        let (first, second) = fit::halves(self.m.len(), |lo, hi| {
            let (mut sw, mut slm) = (vec![0.0; k], vec![0.0; k]);
            for i in lo..hi {
                let c = self.code[i] as usize;
                let w = self.w(i);
                sw[c] += w;
                slm[c] += w * self.m[i].ln();
            }
            (sw, slm)
        });
        let (mut sw, mut slm) = first;
        if let Some((sw2, slm2)) = second {
            for c in 0..k {
                sw[c] += sw2[c];
                slm[c] += slm2[c];
            }
        }
        self.s_w = sw;
        self.s_lm = slm;
    }

    /// Every `k`-th row with its weight multiplied by `k` (warm-start subsample).
    fn stride(&self, k: usize) -> Self {
        let k = k.max(1);
        let mut out = Self {
            x: self.x.clone(),
            code: self.code.iter().step_by(k).copied().collect(),
            m: self.m.iter().step_by(k).copied().collect(),
            weight: self
                .weight
                .iter()
                .step_by(k)
                .map(|w| w * k as f64)
                .collect(),
            unit: self.unit * k as f64,
            ..Self::default()
        };
        out.sum_constants();
        out
    }

    fn total_weight(&self) -> f64 {
        self.s_w.iter().sum()
    }
}

/// Weighted log-likelihood, gradient and (with `HESS`) Hessian: per row one logarithm and one
/// division, accumulated per `x`; the special functions once per distinct `x` (same sums as
/// [`row`]).
fn grouped_ll<const HESS: bool>(
    p: f64,
    q: f64,
    g: f64,
    rows: &Repeaters,
    grad: &mut [f64],
    hess: &mut [f64],
) -> f64 {
    let (first, second) = fit::halves(rows.m.len(), |lo, hi| pass::<HESS>(g, rows, lo, hi));
    let mut sums = first;
    if let Some(s2) = second {
        for (a, b) in sums.iter_mut().zip(s2) {
            for j in 0..3 {
                a[j] += b[j];
            }
        }
    }
    let (lg_q, dg_q, ln_g) = (ln_gamma(q), digamma(q), g.ln());
    let tg_q = if HESS { trigamma(q) } else { 0.0 };
    grad.fill(0.0);
    hess.fill(0.0);
    let mut ll = 0.0;
    for (c, &x) in rows.x.iter().enumerate() {
        let (sw, s_lm) = (rows.s_w[c], rows.s_lm[c]);
        if sw == 0.0 {
            continue;
        }
        let [s_lgm, s_inv, s_inv2] = sums[c];
        let px = p * x;
        let ln_x = x.ln();
        let dg_pxq = digamma(px + q);
        ll += sw * (ln_gamma(px + q) - ln_gamma(px) - lg_q + q * ln_g + px * ln_x)
            + (px - 1.0) * s_lm
            - (px + q) * s_lgm;
        grad[0] += x * (sw * (dg_pxq - digamma(px) + ln_x) + s_lm - s_lgm);
        grad[1] += sw * (dg_pxq - dg_q + ln_g) - s_lgm;
        grad[2] += sw * q / g - (px + q) * s_inv;
        if HESS {
            let tg_pxq = trigamma(px + q);
            let hv = [
                // (p, p), (p, q), (p, γ)
                x * x * sw * (tg_pxq - trigamma(px)),
                x * sw * tg_pxq,
                -x * s_inv,
                // (q, q), (q, γ), (γ, γ)
                sw * (tg_pxq - tg_q),
                sw / g - s_inv,
                -sw * q / (g * g) + (px + q) * s_inv2,
            ];
            let idx = [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)];
            for ((i, j), v) in idx.into_iter().zip(hv) {
                hess[i * 3 + j] += v;
                if i != j {
                    hess[j * 3 + i] += v;
                }
            }
        }
    }
    ll
}

/// Per `x` code, over the rows `lo..hi`: `Σ w ln(γ + x z̄)`, `Σ w / (γ + x z̄)` and (with
/// `HESS`) `Σ w / (γ + x z̄)²`.
fn pass<const HESS: bool>(g: f64, rows: &Repeaters, lo: usize, hi: usize) -> Vec<[f64; 3]> {
    let mut sums = vec![[0.0; 3]; rows.x.len()];
    for i in lo..hi {
        let c = rows.code[i] as usize;
        let w = rows.w(i);
        let inv = 1.0 / (g + rows.m[i] * rows.x[c]);
        let acc = &mut sums[c];
        // ln(γ + x z̄) = -ln(1 / (γ + x z̄)): one division serves both sums.
        acc[0] -= w * inv.ln();
        acc[1] += w * inv;
        if HESS {
            acc[2] += w * inv * inv;
        }
    }
    sums
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
        Self::fit_repeaters(&Repeaters::new(data)?, options)
    }

    /// [`Self::fit`] on bare columns: `x` (repeat purchases), `monetary` (mean repeat spend, > 0
    /// where `x > 0`) and optional row `weights`, checked as [`CalibrationData`] checks them
    /// (same errors, in the same order). The fit reads nothing else, so recency and age need not
    /// exist; the result is bit for bit that of [`Self::fit`] on a `CalibrationData` of these
    /// columns, without building one (no copies of the columns).
    pub fn fit_columns(
        x: &[f64],
        monetary: Option<&[f64]>,
        weights: Option<&[f64]>,
        options: &FitOptions,
    ) -> Result<Fitted<Self>> {
        // The checks of `CalibrationData`, in its order, naming the first offending row; run
        // in full only when the one pass that selects the rows found a problem (or cannot run).
        let check = || -> Result<()> {
            check_x(x)?;
            if let Some(m) = monetary {
                check_monetary(x, m)?;
            }
            if let Some(w) = weights {
                check_weights(w, x.len())?;
            }
            Ok(())
        };
        let (Some(m), true) = (
            monetary,
            monetary.is_some_and(|m| m.len() == x.len())
                && weights.is_none_or(|w| w.len() == x.len()),
        ) else {
            check()?;
            return Err(missing_monetary());
        };
        let (mut rows, valid, _) = Repeaters::from_columns(x, m, weights);
        if !valid {
            check()?;
        }
        rows.sum_constants();
        Self::fit_repeaters(&rows, options)
    }

    fn fit_repeaters(rows: &Repeaters, options: &FitOptions) -> Result<Fitted<Self>> {
        if rows.m.is_empty() {
            return Err(Error::EmptyInput(
                "gamma-gamma: no customer with x > 0".into(),
            ));
        }
        let w = rows.total_weight();
        let mean_m = rows
            .m
            .iter()
            .enumerate()
            .map(|(i, m)| m * rows.w(i))
            .sum::<f64>()
            / w;
        let start = vec![1.0, 1.0, mean_m.max(1e-9)];
        let report = fit::staged_newton(
            "gamma-gamma",
            rows.m.len(),
            start,
            options,
            |stride, start, opts, tol| {
                let sub;
                let r = if stride == 1 {
                    rows
                } else {
                    sub = rows.stride(stride);
                    &sub
                };
                fit::run_newton(fit::NewtonProblem {
                    model: "gamma-gamma",
                    names: ["p", "q", "gamma"].map(String::from).to_vec(),
                    start: start.to_vec(),
                    total_weight: r.total_weight(),
                    n_rows: r.m.len(),
                    loglik: |pr: &[f64], g: &mut [f64], h: Option<&mut [f64]>| match h {
                        Some(h) => grouped_ll::<true>(pr[0], pr[1], pr[2], r, g, h),
                        None => grouped_ll::<false>(pr[0], pr[1], pr[2], r, g, &mut []),
                    },
                    options: opts,
                    gradient_tolerance: tol,
                })
            },
        )?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ltv::TimeUnit;

    fn data() -> CalibrationData {
        CalibrationData::new(
            vec![1.0, 2.0, 2.0, 0.0, 5.0, 1.0, 40.0],
            vec![1.0, 2.0, 3.0, 0.0, 9.0, 4.0, 30.0],
            vec![50.0; 7],
            TimeUnit::Weeks,
        )
        .unwrap()
        .with_monetary(vec![20.0, 35.5, 18.0, 0.0, 52.0, 20.0, 3000.0])
        .unwrap()
    }

    #[test]
    fn grouped_pass_equals_row_by_row() {
        let d = data();
        let rows = Repeaters::new(&d).unwrap();
        let (p, q, g) = (2.1, 3.3, 15.0);
        let mut g1 = [0.0; 3];
        let ll1: f64 = (0..d.len())
            .filter(|&i| d.x[i] > 0.0)
            .map(|i| {
                let m = d.monetary.as_ref().unwrap()[i];
                row(
                    p,
                    q,
                    g,
                    ln_gamma(q),
                    digamma(q),
                    d.x[i],
                    m,
                    1.0,
                    Some(&mut g1),
                )
            })
            .sum();
        let mut g2 = [0.0; 3];
        let ll2 = grouped_ll::<false>(p, q, g, &rows, &mut g2, &mut []);
        assert!((ll1 - ll2).abs() < 1e-10, "{ll1} {ll2}");
        for j in 0..3 {
            assert!((g1[j] - g2[j]).abs() < 1e-10, "{j}: {} {}", g1[j], g2[j]);
        }
    }

    #[test]
    fn hessian_matches_finite_differences_of_the_gradient() {
        let rows = Repeaters::new(&data()).unwrap();
        let par = [2.1, 3.3, 15.0];
        let grad = |q: [f64; 3]| {
            let mut g = [0.0; 3];
            grouped_ll::<false>(q[0], q[1], q[2], &rows, &mut g, &mut []);
            g
        };
        let (mut g, mut h) = ([0.0; 3], [0.0; 9]);
        grouped_ll::<true>(par[0], par[1], par[2], &rows, &mut g, &mut h);
        for j in 0..3 {
            let step = 1e-6 * par[j];
            let (mut pp, mut pm) = (par, par);
            pp[j] += step;
            pm[j] -= step;
            let (gp, gm) = (grad(pp), grad(pm));
            for i in 0..3 {
                let fd = (gp[i] - gm[i]) / (2.0 * step);
                let an = h[i * 3 + j];
                assert!(
                    (fd - an).abs() < 1e-5 * (1.0 + fd.abs()),
                    "H[{i}][{j}]: finite differences {fd} vs analytic {an}"
                );
            }
        }
    }

    #[test]
    fn fit_columns_is_the_calibration_data_fit_bit_for_bit() {
        let d = data();
        let m = d.monetary.clone().unwrap();
        let opts = FitOptions::default();
        let a = GammaGamma::fit(&d, &opts).unwrap().report;
        let b = GammaGamma::fit_columns(&d.x, Some(&m), None, &opts)
            .unwrap()
            .report;
        assert_eq!(
            serde_json::to_value(&a).unwrap(),
            serde_json::to_value(&b).unwrap()
        );
        // Weights, with a zero weight on a repeat buyer.
        let w = vec![2.0, 1.0, 0.0, 3.0, 1.5, 1.0, 4.0];
        let dw = data().with_weights(w.clone()).unwrap();
        let a = GammaGamma::fit(&dw, &opts).unwrap().report;
        let b = GammaGamma::fit_columns(&d.x, Some(&m), Some(&w), &opts)
            .unwrap()
            .report;
        assert_eq!(
            serde_json::to_value(&a).unwrap(),
            serde_json::to_value(&b).unwrap()
        );
        assert_eq!(a.params, b.params);
    }

    type Case = (Vec<f64>, Option<Vec<f64>>, Option<Vec<f64>>);

    #[test]
    fn fit_columns_checks_as_calibration_data_does() {
        let opts = FitOptions::default();
        let err = |x: &[f64], m: Option<&[f64]>, w: Option<&[f64]>| {
            GammaGamma::fit_columns(x, m, w, &opts)
                .unwrap_err()
                .to_string()
        };
        let via_data = |x: Vec<f64>, m: Option<Vec<f64>>, w: Option<Vec<f64>>| {
            let n = x.len();
            let r = CalibrationData::new(x, vec![0.0; n], vec![0.0; n], TimeUnit::Weeks)
                .and_then(|d| match m {
                    Some(m) => d.with_monetary(m),
                    None => Ok(d),
                })
                .and_then(|d| match w {
                    Some(w) => d.with_weights(w),
                    None => Ok(d),
                })
                .and_then(|d| GammaGamma::fit(&d, &opts));
            r.unwrap_err().to_string()
        };
        let cases: Vec<Case> = vec![
            (vec![1.0, -1.0, f64::NAN], Some(vec![f64::NAN; 3]), None),
            (vec![1.0, 2.0], Some(vec![3.0, 0.0]), Some(vec![1.0, -1.0])),
            (vec![1.0, 2.0], Some(vec![3.0]), None),
            (
                vec![1.0, 2.0],
                Some(vec![3.0, 4.0]),
                Some(vec![1.0, f64::INFINITY]),
            ),
            (vec![1.0, 2.0], None, Some(vec![1.0, -2.0])),
            (vec![1.0, 2.0], None, None),
            (vec![0.0, 0.0], Some(vec![0.0, 0.0]), None),
        ];
        for (x, m, w) in cases {
            assert_eq!(
                err(&x, m.as_deref(), w.as_deref()),
                via_data(x.clone(), m.clone(), w.clone()),
                "{x:?} {m:?} {w:?}"
            );
        }
    }
}
