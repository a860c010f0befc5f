//! Time-invariant covariates on the purchase and drop-out processes of BG/NBD and Pareto/NBD,
//! as in Fader & Hardie (2007), "Incorporating time-invariant covariates into the Pareto/NBD and
//! BG/NBD models":
//!
//! - purchase: `α_i = α0 · exp(−γ1 · z1_i)` (a positive coefficient raises the purchase rate);
//! - Pareto/NBD drop-out: `β_i = β0 · exp(−γ2 · z2_i)` (positive raises the drop-out rate);
//! - BG/NBD drop-out: `a_i = a0 · exp(γ2 · z2_i)`, `b_i = b0 · exp(γ3 · z2_i)`.
//!
//! Each customer's likelihood is the plain model's at their own parameters, so every prediction
//! is the plain model's: [`BgNbdWithCovariates::customer_model`] returns it.

use super::bgnbd::{self, BgNbd};
use super::data::CalibrationData;
use super::fit::{self, FitOptions, Fitted, Problem, Scale};
use super::pareto::{self, ParetoNbd};
use super::special::{digamma, ln_gamma};
use crate::{Error, Location, Result};

/// A covariate matrix: one row per customer (same order as the calibration data), one column
/// per named covariate, stored row-major.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Covariates {
    /// Covariate names.
    pub names: Vec<String>,
    /// `n_rows × names.len()` values, row-major.
    pub values: Vec<f64>,
}

impl Covariates {
    /// Validate: finite values, `values.len()` a multiple of the number of names.
    pub fn new(names: Vec<String>, values: Vec<f64>) -> Result<Self> {
        let k = names.len();
        if k > 0 && values.len() % k != 0 {
            return Err(Error::option(
                "covariates",
                values.len(),
                format!("{k} columns do not divide {} values", values.len()),
            ));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(Error::InvalidValue {
                value: values[i].to_string(),
                location: Location::cell((i / k.max(1)) as u64 + 1, &names[i % k.max(1)]),
                reason: "covariates must be finite".into(),
            });
        }
        Ok(Self { names, values })
    }

    /// No covariates (for a process without any).
    #[must_use]
    pub fn none() -> Self {
        Self {
            names: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Number of covariates.
    #[must_use]
    pub fn n_cols(&self) -> usize {
        self.names.len()
    }

    fn n_rows(&self) -> Option<usize> {
        if self.names.is_empty() {
            None
        } else {
            Some(self.values.len() / self.names.len())
        }
    }

    /// Covariates of customer `i` (empty when there are none).
    #[must_use]
    pub fn row(&self, i: usize) -> &[f64] {
        let k = self.names.len();
        if k == 0 {
            &[]
        } else {
            &self.values[i * k..(i + 1) * k]
        }
    }

    fn check_rows(&self, n: usize, what: &str) -> Result<()> {
        match self.n_rows() {
            Some(m) if m != n => Err(Error::option(
                what,
                m,
                format!("expected {n} rows, one per customer"),
            )),
            _ => Ok(()),
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn names(base: &[&str], prefix: &str, cov: &Covariates) -> Vec<String> {
    base.iter()
        .map(|s| (*s).to_owned())
        .chain(cov.names.iter().map(|n| format!("{prefix}[{n}]")))
        .collect()
}

/// The covariate names of the coefficients `prefix[name]` in `params`, in their order there.
fn coefficient_names(params: &[(String, f64)], prefix: &str) -> Vec<String> {
    params
        .iter()
        .filter_map(|(n, _)| {
            n.strip_prefix(prefix)?
                .strip_prefix('[')?
                .strip_suffix(']')
                .map(str::to_owned)
        })
        .collect()
}

/// Check that `params` holds exactly `base` and `prefix[name]` for every `(prefix, names)`
/// group, then read the coefficient vectors in the order of `names`.
fn coefficients(
    params: &[(String, f64)],
    model: &str,
    base: &[&str],
    groups: &[(&str, &[String])],
) -> Result<Vec<Vec<f64>>> {
    let mut expected: Vec<String> = base.iter().map(|s| (*s).to_owned()).collect();
    for (prefix, names) in groups {
        expected.extend(names.iter().map(|n| format!("{prefix}[{n}]")));
    }
    if let Some((extra, _)) = params.iter().find(|(n, _)| !expected.contains(n)) {
        return Err(Error::option(
            &format!("{model}.{extra}"),
            "unexpected",
            format!(
                "no such parameter for these covariates; expected {}",
                expected.join(", ")
            ),
        ));
    }
    let all: Vec<&str> = expected.iter().map(String::as_str).collect();
    groups
        .iter()
        .map(|(prefix, names)| {
            names
                .iter()
                .map(|n| super::kind::param(params, model, &format!("{prefix}[{n}]"), &all))
                .collect()
        })
        .collect()
}

/// BG/NBD with covariates: baseline parameters and coefficient vectors.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BgNbdWithCovariates {
    /// Baseline `r`, `α0`, `a0`, `b0` (the parameters of a customer with all covariates 0).
    pub base: BgNbd,
    /// `γ1`: purchase-rate coefficients.
    pub purchase: Vec<f64>,
    /// `γ2`: coefficients on `a` of the drop-out probability.
    pub dropout_a: Vec<f64>,
    /// `γ3`: coefficients on `b` of the drop-out probability.
    pub dropout_b: Vec<f64>,
}

impl BgNbdWithCovariates {
    /// The plain BG/NBD of a customer with purchase covariates `z1` and drop-out covariates `z2`.
    #[must_use]
    pub fn customer_model(&self, z1: &[f64], z2: &[f64]) -> BgNbd {
        BgNbd {
            r: self.base.r,
            alpha: self.base.alpha * (-dot(&self.purchase, z1)).exp(),
            a: self.base.a * dot(&self.dropout_a, z2).exp(),
            b: self.base.b * dot(&self.dropout_b, z2).exp(),
        }
    }

    /// The purchase and drop-out covariate names of a saved fit's named parameters
    /// (`purchase[z]`, `dropout_a[z]`), in their order there.
    #[must_use]
    pub fn covariate_names(params: &[(String, f64)]) -> (Vec<String>, Vec<String>) {
        (
            coefficient_names(params, "purchase"),
            coefficient_names(params, "dropout_a"),
        )
    }

    /// Rebuild a fit from its named parameters ([`FitReport`](super::FitReport) names: `r`,
    /// `alpha`, `a`, `b`, `purchase[z]`, `dropout_a[z]`, `dropout_b[z]`), with the coefficients in
    /// the order of `purchase` and `dropout` (the covariate matrices' column names). Missing or
    /// unexpected parameters are `invalid_option` errors.
    pub fn from_params(
        params: &[(String, f64)],
        purchase: &[String],
        dropout: &[String],
    ) -> Result<Self> {
        let mut c = coefficients(
            params,
            "bg-nbd",
            &["r", "alpha", "a", "b"],
            &[
                ("purchase", purchase),
                ("dropout_a", dropout),
                ("dropout_b", dropout),
            ],
        )?
        .into_iter();
        let all = ["r", "alpha", "a", "b"];
        let p = |n: &str| super::kind::param(params, "bg-nbd", n, &all);
        Ok(Self {
            base: BgNbd::new(p("r")?, p("alpha")?, p("a")?, p("b")?)?,
            purchase: c.next().unwrap_or_default(),
            dropout_a: c.next().unwrap_or_default(),
            dropout_b: c.next().unwrap_or_default(),
        })
    }

    /// Maximum-likelihood fit. Rows are not collapsed (covariates make them distinct).
    pub fn fit(
        data: &CalibrationData,
        purchase: &Covariates,
        dropout: &Covariates,
        options: &FitOptions,
    ) -> Result<Fitted<Self>> {
        let n = data.len();
        if n == 0 {
            return Err(Error::EmptyInput(
                "bg-nbd with covariates: no customers".into(),
            ));
        }
        purchase.check_rows(n, "purchase_covariates")?;
        dropout.check_rows(n, "dropout_covariates")?;
        let (k1, k2) = (purchase.n_cols(), dropout.n_cols());
        let plain = BgNbd::fit(
            data,
            &FitOptions {
                std_errors: false,
                initial: None,
                ..options.clone()
            },
        )?;
        let b = plain.model;
        let mut start = vec![b.r, b.alpha, b.a, b.b];
        start.extend(std::iter::repeat_n(0.0, k1 + 2 * k2));
        let mut scales = vec![Scale::Log; 4];
        scales.extend(std::iter::repeat_n(Scale::Linear, k1 + 2 * k2));
        let mut all_names = names(&["r", "alpha", "a", "b"], "purchase", purchase);
        all_names.extend(dropout.names.iter().map(|n| format!("dropout_a[{n}]")));
        all_names.extend(dropout.names.iter().map(|n| format!("dropout_b[{n}]")));
        let problem = Problem {
            model: "bg-nbd",
            names: all_names,
            scales,
            start,
            total_weight: data.n_customers(),
            n_rows: n,
            loglik: |p: &[f64], g: &mut [f64]| {
                g.fill(0.0);
                let (g1, g2, g3) = (&p[4..4 + k1], &p[4 + k1..4 + k1 + k2], &p[4 + k1 + k2..]);
                let mut ll = 0.0;
                let mut gr = [0.0; 4];
                for i in 0..n {
                    let w = data.weight(i);
                    if w == 0.0 {
                        continue;
                    }
                    let (z1, z2) = (purchase.row(i), dropout.row(i));
                    let ai = p[1] * (-dot(g1, z1)).exp();
                    let aa = p[2] * dot(g2, z2).exp();
                    let bb = p[3] * dot(g3, z2).exp();
                    gr.fill(0.0);
                    ll += w * bgnbd::row_ll_full(
                        0.0,
                        [p[0], ai, aa, bb],
                        data.x[i],
                        data.t_x[i],
                        data.t[i],
                        &mut gr,
                    );
                    g[0] += w * gr[0];
                    g[1] += w * gr[1] * ai / p[1];
                    g[2] += w * gr[2] * aa / p[2];
                    g[3] += w * gr[3] * bb / p[3];
                    for (j, z) in z1.iter().enumerate() {
                        g[4 + j] -= w * gr[1] * ai * z;
                    }
                    for (j, z) in z2.iter().enumerate() {
                        g[4 + k1 + j] += w * gr[2] * aa * z;
                        g[4 + k1 + k2 + j] += w * gr[3] * bb * z;
                    }
                }
                ll
            },
            options,
            warm_inverse_hessian: None,
        };
        let report = fit::run(problem)?;
        let p = &report.params;
        let model = Self {
            base: BgNbd {
                r: p[0],
                alpha: p[1],
                a: p[2],
                b: p[3],
            },
            purchase: p[4..4 + k1].to_vec(),
            dropout_a: p[4 + k1..4 + k1 + k2].to_vec(),
            dropout_b: p[4 + k1 + k2..].to_vec(),
        };
        Ok(Fitted { model, report })
    }
}

/// Pareto/NBD with covariates: baseline parameters and coefficient vectors.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ParetoNbdWithCovariates {
    /// Baseline `r`, `α0`, `s`, `β0`.
    pub base: ParetoNbd,
    /// `γ1`: purchase-rate coefficients.
    pub purchase: Vec<f64>,
    /// `γ2`: drop-out-rate coefficients.
    pub dropout: Vec<f64>,
}

impl ParetoNbdWithCovariates {
    /// The plain Pareto/NBD of a customer with purchase covariates `z1` and drop-out covariates `z2`.
    #[must_use]
    pub fn customer_model(&self, z1: &[f64], z2: &[f64]) -> ParetoNbd {
        ParetoNbd {
            r: self.base.r,
            alpha: self.base.alpha * (-dot(&self.purchase, z1)).exp(),
            s: self.base.s,
            beta: self.base.beta * (-dot(&self.dropout, z2)).exp(),
        }
    }

    /// The purchase and drop-out covariate names of a saved fit's named parameters
    /// (`purchase[z]`, `dropout[z]`), in their order there.
    #[must_use]
    pub fn covariate_names(params: &[(String, f64)]) -> (Vec<String>, Vec<String>) {
        (
            coefficient_names(params, "purchase"),
            coefficient_names(params, "dropout"),
        )
    }

    /// Rebuild a fit from its named parameters (`r`, `alpha`, `s`, `beta`, `purchase[z]`,
    /// `dropout[z]`), with the coefficients in the order of `purchase` and `dropout`. Missing or
    /// unexpected parameters are `invalid_option` errors.
    pub fn from_params(
        params: &[(String, f64)],
        purchase: &[String],
        dropout: &[String],
    ) -> Result<Self> {
        let mut c = coefficients(
            params,
            "pareto-nbd",
            &["r", "alpha", "s", "beta"],
            &[("purchase", purchase), ("dropout", dropout)],
        )?
        .into_iter();
        let all = ["r", "alpha", "s", "beta"];
        let p = |n: &str| super::kind::param(params, "pareto-nbd", n, &all);
        Ok(Self {
            base: ParetoNbd::new(p("r")?, p("alpha")?, p("s")?, p("beta")?)?,
            purchase: c.next().unwrap_or_default(),
            dropout: c.next().unwrap_or_default(),
        })
    }

    /// Maximum-likelihood fit. Rows are not collapsed (covariates make them distinct).
    pub fn fit(
        data: &CalibrationData,
        purchase: &Covariates,
        dropout: &Covariates,
        options: &FitOptions,
    ) -> Result<Fitted<Self>> {
        let n = data.len();
        if n == 0 {
            return Err(Error::EmptyInput(
                "pareto-nbd with covariates: no customers".into(),
            ));
        }
        purchase.check_rows(n, "purchase_covariates")?;
        dropout.check_rows(n, "dropout_covariates")?;
        let (k1, k2) = (purchase.n_cols(), dropout.n_cols());
        let plain = ParetoNbd::fit(
            data,
            &FitOptions {
                std_errors: false,
                initial: None,
                ..options.clone()
            },
        )?;
        let b = plain.model;
        let mut start = vec![b.r, b.alpha, b.s, b.beta];
        start.extend(std::iter::repeat_n(0.0, k1 + k2));
        let mut scales = vec![Scale::Log; 4];
        scales.extend(std::iter::repeat_n(Scale::Linear, k1 + k2));
        let mut all_names = names(&["r", "alpha", "s", "beta"], "purchase", purchase);
        all_names.extend(dropout.names.iter().map(|n| format!("dropout[{n}]")));
        let problem = Problem {
            model: "pareto-nbd",
            names: all_names,
            scales,
            start,
            total_weight: data.n_customers(),
            n_rows: n,
            loglik: |p: &[f64], g: &mut [f64]| {
                g.fill(0.0);
                let (g1, g2) = (&p[4..4 + k1], &p[4 + k1..]);
                let (lg_r, dg_r) = (ln_gamma(p[0]), digamma(p[0]));
                let mut ll = 0.0;
                let mut gr = [0.0; 4];
                for i in 0..n {
                    let w = data.weight(i);
                    if w == 0.0 {
                        continue;
                    }
                    let (z1, z2) = (purchase.row(i), dropout.row(i));
                    let ai = p[1] * (-dot(g1, z1)).exp();
                    let bi = p[3] * (-dot(g2, z2)).exp();
                    gr.fill(0.0);
                    ll += w * pareto::row_ll_full(
                        [p[0], ai, p[2], bi],
                        lg_r,
                        dg_r,
                        data.x[i],
                        data.t_x[i],
                        data.t[i],
                        &mut gr,
                    );
                    g[0] += w * gr[0];
                    g[1] += w * gr[1] * ai / p[1];
                    g[2] += w * gr[2];
                    g[3] += w * gr[3] * bi / p[3];
                    for (j, z) in z1.iter().enumerate() {
                        g[4 + j] -= w * gr[1] * ai * z;
                    }
                    for (j, z) in z2.iter().enumerate() {
                        g[4 + k1 + j] -= w * gr[3] * bi * z;
                    }
                }
                ll
            },
            options,
            warm_inverse_hessian: None,
        };
        let report = fit::run(problem)?;
        let p = &report.params;
        let model = Self {
            base: ParetoNbd {
                r: p[0],
                alpha: p[1],
                s: p[2],
                beta: p[3],
            },
            purchase: p[4..4 + k1].to_vec(),
            dropout: p[4 + k1..].to_vec(),
        };
        Ok(Fitted { model, report })
    }
}
