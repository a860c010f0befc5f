//! Shifted-beta-geometric (sBG) model of contractual retention (Fader & Hardie 2007, "How to
//! project customer retention", Journal of Interactive Marketing 21(1)). Each customer churns at
//! the end of a period with probability θ ~ Beta(α, β):
//!
//! ```text
//! P(T = t) = B(α+1, β+t−1) / B(α, β),   S(t) = B(α, β+t) / B(α, β)
//! LL = Σ_t (S_{t−1} − S_t) ln P(T = t) + S_n ln S(n)
//! ```
//!
//! over one or several cohorts' survivor counts `S_0, S_1, …, S_n` (cohorts share α, β).

use super::fit::{self, FitOptions, Fitted, Problem, Scale};
use super::special::{digamma, ln_beta, ln_hyp2f1};
use crate::{Error, Location, Result};

/// sBG parameters: churn probability θ ~ Beta(`alpha`, `beta`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ShiftedBetaGeometric {
    /// Beta `α` of the churn probability.
    pub alpha: f64,
    /// Beta `β` of the churn probability.
    pub beta: f64,
}

/// Survivor counts of one cohort: `survivors[t]` customers still active after `t` periods,
/// `survivors[0]` = the cohort size. Non-increasing.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cohort {
    /// Survivors at the start and after each period.
    pub survivors: Vec<f64>,
}

impl Cohort {
    /// Validate survivor counts (finite, >= 0, non-increasing, at least two).
    pub fn new(survivors: Vec<f64>) -> Result<Self> {
        if survivors.len() < 2 {
            return Err(Error::EmptyInput(
                "sbg: a cohort needs survivor counts for at least one period".into(),
            ));
        }
        for (t, w) in survivors.windows(2).enumerate() {
            if !(w[0].is_finite() && w[1].is_finite() && w[1] >= 0.0 && w[1] <= w[0]) {
                return Err(Error::InvalidValue {
                    value: w[1].to_string(),
                    location: Location::cell(t as u64 + 2, "survivors"),
                    reason: "survivor counts must be finite, >= 0 and non-increasing".into(),
                });
            }
        }
        Ok(Self { survivors })
    }

    /// Survivor counts from each customer's churn period (`1..=horizon`; larger values, e.g.
    /// `horizon + 1`, mean still active after `horizon` periods).
    pub fn from_churn_periods(periods: &[u32], horizon: u32) -> Result<Self> {
        let mut s = vec![0.0; horizon as usize + 1];
        for (i, &p) in periods.iter().enumerate() {
            if p == 0 {
                return Err(Error::InvalidValue {
                    value: "0".into(),
                    location: Location::cell(i as u64 + 1, "churn_period"),
                    reason: "churn periods start at 1 (churned at the end of the first period)"
                        .into(),
                });
            }
            // Active after periods 0..p-1.
            for v in s.iter_mut().take((p as usize).min(horizon as usize + 1)) {
                *v += 1.0;
            }
        }
        Self::new(s)
    }
}

fn ll_and_grad(alpha: f64, beta: f64, cohorts: &[Cohort], g: &mut [f64]) -> f64 {
    let lb = ln_beta(alpha, beta);
    let (dg_a, dg_b, dg_ab) = (digamma(alpha), digamma(beta), digamma(alpha + beta));
    g.fill(0.0);
    let mut ll = 0.0;
    for c in cohorts {
        let n = c.survivors.len() - 1;
        for t in 1..=n {
            let tf = t as f64;
            let lost = c.survivors[t - 1] - c.survivors[t];
            if lost > 0.0 {
                let s1 = digamma(alpha + beta + tf);
                ll += lost * (ln_beta(alpha + 1.0, beta + tf - 1.0) - lb);
                g[0] += lost * (digamma(alpha + 1.0) - s1 - dg_a + dg_ab);
                g[1] += lost * (digamma(beta + tf - 1.0) - s1 - dg_b + dg_ab);
            }
        }
        let alive = c.survivors[n];
        if alive > 0.0 {
            let nf = n as f64;
            let s1 = digamma(alpha + beta + nf);
            ll += alive * (ln_beta(alpha, beta + nf) - lb);
            g[0] += alive * (dg_ab - s1);
            g[1] += alive * (digamma(beta + nf) - s1 - dg_b + dg_ab);
        }
    }
    ll
}

impl ShiftedBetaGeometric {
    /// Build from parameters (finite and > 0).
    pub fn new(alpha: f64, beta: f64) -> Result<Self> {
        for (v, n) in [alpha, beta].iter().zip(["alpha", "beta"]) {
            if !(v.is_finite() && *v > 0.0) {
                return Err(Error::option(
                    &format!("sbg.{n}"),
                    v,
                    "parameters must be finite and > 0",
                ));
            }
        }
        Ok(Self { alpha, beta })
    }

    /// Maximum-likelihood fit on one or several cohorts (shared α, β).
    pub fn fit(cohorts: &[Cohort], options: &FitOptions) -> Result<Fitted<Self>> {
        let total: f64 = cohorts.iter().map(|c| c.survivors[0]).sum();
        if cohorts.is_empty() || total <= 0.0 {
            return Err(Error::EmptyInput("sbg: no cohort with customers".into()));
        }
        let problem = Problem {
            model: "sbg",
            names: ["alpha", "beta"].map(String::from).to_vec(),
            scales: vec![Scale::Log; 2],
            start: vec![1.0, 1.0],
            total_weight: total,
            n_rows: cohorts.iter().map(|c| c.survivors.len() - 1).sum(),
            loglik: |p: &[f64], g: &mut [f64]| ll_and_grad(p[0], p[1], cohorts, g),
            options,
            warm_inverse_hessian: None,
        };
        let report = fit::run(problem)?;
        let p = &report.params;
        Ok(Fitted {
            model: Self {
                alpha: p[0],
                beta: p[1],
            },
            report,
        })
    }

    /// Log-likelihood of the cohorts.
    #[must_use]
    pub fn log_likelihood(&self, cohorts: &[Cohort]) -> f64 {
        ll_and_grad(self.alpha, self.beta, cohorts, &mut [0.0; 2])
    }

    /// P(T = t): probability of churning at the end of period `t` (t >= 1).
    #[must_use]
    pub fn churn_probability(&self, t: u32) -> f64 {
        if t == 0 {
            return 0.0;
        }
        let tf = f64::from(t);
        (ln_beta(self.alpha + 1.0, self.beta + tf - 1.0) - ln_beta(self.alpha, self.beta)).exp()
    }

    /// S(t): probability of being active after `t` periods.
    #[must_use]
    pub fn survival(&self, t: u32) -> f64 {
        (ln_beta(self.alpha, self.beta + f64::from(t)) - ln_beta(self.alpha, self.beta)).exp()
    }

    /// Retention rate of period `t` (t >= 1): S(t) / S(t−1) = (β+t−1)/(α+β+t−1).
    #[must_use]
    pub fn retention_rate(&self, t: u32) -> f64 {
        let tf = f64::from(t.max(1));
        (self.beta + tf - 1.0) / (self.alpha + self.beta + tf - 1.0)
    }

    /// Survival curve S(0..=horizon).
    #[must_use]
    pub fn survival_curve(&self, horizon: u32) -> Vec<f64> {
        (0..=horizon).map(|t| self.survival(t)).collect()
    }

    /// Expected number of further periods (renewals) of a customer active after `n` periods,
    /// each discounted by `1/(1+d)^k` for the k-th coming period:
    /// `Σ_{k>=1} S(n+k)/S(n) (1+d)^−k = (β+n)/(α+β+n) · v · 2F1(1, β+n+1; α+β+n+1; v)`,
    /// `v = 1/(1+d)` (Fader & Hardie 2010's DERL minus the current period). With `d = 0` it is
    /// `(β+n)/(α−1)`, infinite when α <= 1.
    #[must_use]
    pub fn expected_residual_lifetime(&self, n: u32, discount_rate: f64) -> f64 {
        let (a, b) = (self.alpha, self.beta + f64::from(n));
        if discount_rate <= 0.0 {
            return if a > 1.0 {
                b / (a - 1.0)
            } else {
                f64::INFINITY
            };
        }
        let v = 1.0 / (1.0 + discount_rate);
        b / (a + b) * v * ln_hyp2f1(1.0, b + 1.0, a + b + 1.0, v).exp()
    }
}
