//! Maximum-likelihood fitting shared by every model: options, the convergence report and the
//! driver that runs BFGS on log-parameters.

use super::optim::{self, Settings};
use crate::{Error, Result};

/// Options of a maximum-likelihood fit.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct FitOptions {
    /// L2 penalty `λ`: the fit minimises `-LL / N + λ Σ θ²` over the paper parameters `θ`
    /// (as `lifetimes`' `penalizer_coef`). 0 = plain maximum likelihood.
    pub l2_penalty: f64,
    /// Most quasi-Newton iterations.
    pub max_iterations: usize,
    /// Convergence when every component of the gradient of `-LL / N` with respect to the
    /// log-parameters is below this.
    pub gradient_tolerance: f64,
    /// Starting values in the paper's order and scale (defaults per model when `None`).
    pub initial: Option<Vec<f64>>,
    /// Compute standard errors from the Hessian.
    pub std_errors: bool,
}

impl Default for FitOptions {
    fn default() -> Self {
        Self {
            l2_penalty: 0.0,
            max_iterations: 1000,
            gradient_tolerance: 1e-9,
            initial: None,
            std_errors: true,
        }
    }
}

/// How a fit went.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FitReport {
    /// Model name as on the command line (`bg-nbd`, ...).
    pub model: &'static str,
    /// Parameter names as in the papers, in [`FitReport::params`] order.
    pub param_names: Vec<String>,
    /// Fitted parameters.
    pub params: Vec<f64>,
    /// Asymptotic standard errors of the parameters (inverse Hessian of the penalised negative
    /// log-likelihood, delta method from log-parameters); NaN where the Hessian is not
    /// positive definite or standard errors were not requested.
    pub std_errors: Vec<f64>,
    /// Log-likelihood at the fitted parameters (weighted sum, without the penalty).
    pub log_likelihood: f64,
    /// Number of customers (sum of weights).
    pub n_customers: f64,
    /// Number of distinct rows the likelihood was evaluated on.
    pub n_distinct_rows: usize,
    /// Whether the optimiser met its convergence test.
    pub converged: bool,
    /// Quasi-Newton iterations used.
    pub iterations: usize,
    /// The optimiser's closing message.
    pub message: String,
}

/// A fitted model with its report.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted<M> {
    /// The model with its fitted parameters.
    pub model: M,
    /// The convergence report.
    pub report: FitReport,
}

/// Parameter `k` is positive (fitted on its log) or free (a covariate coefficient).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scale {
    Log,
    Linear,
}

/// Problem description for [`run`].
pub(crate) struct Problem<'a, F>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    pub model: &'static str,
    pub names: Vec<String>,
    pub scales: Vec<Scale>,
    /// Start in natural scale.
    pub start: Vec<f64>,
    pub total_weight: f64,
    pub n_rows: usize,
    /// Weighted log-likelihood at natural parameters; writes d LL / d param (natural scale).
    pub loglik: F,
    pub options: &'a FitOptions,
    /// Warm start for BFGS's inverse Hessian (from a fit of a subsample, see [`warm_start`]).
    pub warm_inverse_hessian: Option<Vec<f64>>,
}

/// Rows at which a fit first runs on a systematic subsample to warm-start the full one.
pub(crate) const WARM_START_ROWS: usize = 6_000;

/// Every `k`-th of `n` rows, `k` chosen to keep about max(4,000, n/20) rows, for a warm-start fit
/// (weights of the kept rows are multiplied by `k`). `None` when `n` is below [`WARM_START_ROWS`].
pub(crate) fn warm_start_stride(n: usize) -> Option<usize> {
    (n >= WARM_START_ROWS).then_some((n / 4000).clamp(1, 20))
}

pub(crate) fn validate_options(o: &FitOptions, n_params: usize) -> Result<()> {
    if !(o.l2_penalty.is_finite() && o.l2_penalty >= 0.0) {
        return Err(Error::option(
            "l2_penalty",
            o.l2_penalty,
            "must be a finite number >= 0",
        ));
    }
    if !(o.gradient_tolerance.is_finite() && o.gradient_tolerance > 0.0) {
        return Err(Error::option(
            "gradient_tolerance",
            o.gradient_tolerance,
            "must be > 0",
        ));
    }
    if let Some(init) = &o.initial {
        if init.len() != n_params {
            return Err(Error::option(
                "initial",
                format!("{init:?}"),
                format!("expected {n_params} values"),
            ));
        }
    }
    Ok(())
}

/// The options checked, some customers to fit, and the starting point (the user's, else the
/// model's) with every log-scale parameter finite and > 0.
fn checked_start(
    model: &str,
    names: &[String],
    scales: &[Scale],
    default: &[f64],
    total_weight: f64,
    options: &FitOptions,
) -> Result<Vec<f64>> {
    validate_options(options, scales.len())?;
    if total_weight.is_nan() || total_weight <= 0.0 {
        return Err(Error::EmptyInput(format!("{model}: no customers to fit")));
    }
    let start = options.initial.clone().unwrap_or_else(|| default.to_vec());
    for (k, (&v, &s)) in start.iter().zip(scales).enumerate() {
        if s == Scale::Log && !(v > 0.0 && v.is_finite()) {
            return Err(Error::option(
                "initial",
                v,
                format!("parameter {} must be > 0", names[k]),
            ));
        }
    }
    Ok(start)
}

/// Fit: BFGS on the transformed parameters, then standard errors. Returns natural parameters.
pub(crate) fn run<F>(p: Problem<'_, F>) -> Result<FitReport>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    run_warm(p).map(|(r, _)| r)
}

/// As [`run`], also returning BFGS's final inverse-Hessian approximation.
pub(crate) fn run_warm<F>(mut p: Problem<'_, F>) -> Result<(FitReport, Vec<f64>)>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let n = p.scales.len();
    let start = checked_start(
        p.model,
        &p.names,
        &p.scales,
        &p.start,
        p.total_weight,
        p.options,
    )?;
    let scales = p.scales.clone();
    let to_nat = |theta: &[f64], nat: &mut [f64]| {
        for k in 0..theta.len() {
            nat[k] = match scales[k] {
                Scale::Log => theta[k].exp(),
                Scale::Linear => theta[k],
            };
        }
    };
    let theta0: Vec<f64> = start
        .iter()
        .zip(&p.scales)
        .map(|(&v, s)| if *s == Scale::Log { v.ln() } else { v })
        .collect();
    let w = p.total_weight;
    let lambda = p.options.l2_penalty;
    let mut nat = vec![0.0; n];
    let mut gnat = vec![0.0; n];
    // Objective in transformed space, per customer.
    let mut objective = |theta: &[f64], g: &mut [f64], loglik: &mut F| -> f64 {
        to_nat(theta, &mut nat);
        if nat.iter().any(|v| !v.is_finite()) {
            return f64::NAN;
        }
        let ll = loglik(&nat, &mut gnat);
        let mut pen = 0.0;
        for k in 0..n {
            let jac = if scales[k] == Scale::Log { nat[k] } else { 1.0 };
            g[k] = -gnat[k] * jac / w + 2.0 * lambda * nat[k] * jac;
            pen += nat[k] * nat[k];
        }
        -ll / w + lambda * pen
    };
    let settings = Settings {
        max_iterations: p.options.max_iterations,
        gradient_tolerance: p.options.gradient_tolerance,
    };
    // Warm-started from a subsample's optimum: its inverse Hessian (numerical, per customer, see
    // below) is close to the full data's near the optimum, so BFGS converges in a few steps.
    let warm_h = p.warm_inverse_hessian.take();
    let m = optim::bfgs(
        |t, g| objective(t, g, &mut p.loglik),
        &theta0,
        settings,
        warm_h.as_deref(),
    );
    if !m.f.is_finite() {
        return Err(Error::FitFailed(format!("{}: {}", p.model, m.message)));
    }
    let mut params = vec![0.0; n];
    to_nat(&m.x, &mut params);
    let mut gbuf = vec![0.0; n];
    let ll = (p.loglik)(&params, &mut gbuf);
    let mut std_errors = vec![f64::NAN; n];
    // Returned for warm starts: the inverse numerical Hessian of the per-customer objective when
    // standard errors were computed, else BFGS's approximation.
    let mut inverse_hessian = m.inverse_hessian;
    if p.options.std_errors {
        let hess = optim::numerical_hessian(
            |t, g| {
                objective(t, g, &mut p.loglik);
                for v in g.iter_mut() {
                    *v *= w;
                }
            },
            &m.x,
        );
        if let Some(cov) = optim::spd_inverse(&hess, n) {
            for k in 0..n {
                let se = cov[k * n + k].sqrt();
                std_errors[k] = if scales[k] == Scale::Log {
                    params[k] * se
                } else {
                    se
                };
            }
            inverse_hessian = cov.iter().map(|v| v * w).collect();
        }
    }
    Ok((
        FitReport {
            model: p.model,
            param_names: p.names,
            params,
            std_errors,
            log_likelihood: ll,
            n_customers: w,
            n_distinct_rows: p.n_rows,
            converged: m.converged,
            iterations: m.iterations,
            message: m.message,
        },
        inverse_hessian,
    ))
}

/// A likelihood with an analytic Hessian: writes `d LL / d param` into the gradient and, when a
/// Hessian slice is given, `d² LL / d param²` (natural scale, row-major `n × n`).
pub(crate) trait HessianLoglik:
    FnMut(&[f64], &mut [f64], Option<&mut [f64]>) -> f64
{
}
impl<F: FnMut(&[f64], &mut [f64], Option<&mut [f64]>) -> f64> HessianLoglik for F {}

/// Problem description for [`run_newton`] (positive parameters only, fitted on their logs).
pub(crate) struct NewtonProblem<'a, F: HessianLoglik> {
    pub model: &'static str,
    pub names: Vec<String>,
    /// Start in natural scale.
    pub start: Vec<f64>,
    pub total_weight: f64,
    pub n_rows: usize,
    pub loglik: F,
    pub options: &'a FitOptions,
    /// Convergence tolerance for this stage (the options' for the final fit, looser for the
    /// subsample stages that only provide a start).
    pub gradient_tolerance: f64,
}

/// The penalised per-customer objective in log-parameters, its gradient and Hessian.
struct NewtonPoint {
    theta: Vec<f64>,
    /// The (weighted, unpenalised) log-likelihood.
    ll: f64,
    f: f64,
    g: Vec<f64>,
    h: Vec<f64>,
}

/// Fit by Newton's method on the log-parameters with the analytic Hessian (damped towards
/// gradient descent where it is not positive definite, backtracking line search). Converges
/// quadratically, so a fit costs a handful of likelihood passes, and the standard errors come
/// from the exact Hessian at the optimum (no extra passes).
pub(crate) fn run_newton<F: HessianLoglik>(mut p: NewtonProblem<'_, F>) -> Result<FitReport> {
    let n = p.start.len();
    let start = checked_start(
        p.model,
        &p.names,
        &vec![Scale::Log; n],
        &p.start,
        p.total_weight,
        p.options,
    )?;
    let w = p.total_weight;
    let lambda = p.options.l2_penalty;
    let (mut gnat, mut hnat) = (vec![0.0; n], vec![0.0; n * n]);
    let mut eval = |theta: &[f64], loglik: &mut F| -> NewtonPoint {
        let nat: Vec<f64> = theta.iter().map(|t| t.exp()).collect();
        let mut point = NewtonPoint {
            theta: theta.to_vec(),
            ll: f64::NAN,
            f: f64::NAN,
            g: vec![0.0; n],
            h: vec![0.0; n * n],
        };
        if nat.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
            return point;
        }
        let ll = loglik(&nat, &mut gnat, Some(&mut hnat));
        point.ll = ll;
        // F = -LL/W + λ Σ nat², nat = exp(θ): dF/dθ_k = nat_k (-g_k/W + 2λ nat_k) and
        // d²F/dθ_k dθ_l = nat_k nat_l (-H_kl/W + 2λ δ_kl) + δ_kl dF/dθ_k.
        point.f = -ll / w + lambda * nat.iter().map(|v| v * v).sum::<f64>();
        for k in 0..n {
            point.g[k] = nat[k] * (-gnat[k] / w + 2.0 * lambda * nat[k]);
        }
        for k in 0..n {
            for l in 0..n {
                let pen = if k == l { 2.0 * lambda } else { 0.0 };
                point.h[k * n + l] = nat[k] * nat[l] * (-hnat[k * n + l] / w + pen)
                    + if k == l { point.g[k] } else { 0.0 };
            }
        }
        point
    };
    let finite = |q: &NewtonPoint| q.f.is_finite() && q.g.iter().chain(&q.h).all(|v| v.is_finite());
    let theta0: Vec<f64> = start.iter().map(|v| v.ln()).collect();
    let mut cur = eval(&theta0, &mut p.loglik);
    if !finite(&cur) {
        return Err(Error::FitFailed(format!(
            "{}: the likelihood is not finite at the starting point {start:?}",
            p.model
        )));
    }
    let tol = p.gradient_tolerance;
    let gmax = |q: &NewtonPoint| q.g.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let (mut converged, mut iterations) = (false, 0);
    let mut message = String::from("iteration limit reached");
    let mut step = vec![0.0; n];
    while iterations < p.options.max_iterations {
        let gm = gmax(&cur);
        if gm < tol {
            converged = true;
            message = "gradient below tolerance".into();
            break;
        }
        // Newton direction, damped (H + μI) until H + μI is positive definite.
        let scale = (0..n).fold(0.0_f64, |m, k| m.max(cur.h[k * n + k].abs()));
        let mut mu = 0.0;
        let chol = loop {
            let mut hm = cur.h.clone();
            for k in 0..n {
                hm[k * n + k] += mu;
            }
            if let Some(inv) = optim::spd_inverse(&hm, n) {
                break Some(inv);
            }
            mu = if mu == 0.0 {
                1e-8 * scale.max(1e-12)
            } else {
                mu * 10.0
            };
            if mu > 1e12 * scale.max(1.0) {
                break None;
            }
        };
        let Some(inv) = chol else {
            message = format!("Hessian could not be regularised (gradient {gm:.3e})");
            break;
        };
        for k in 0..n {
            step[k] = -(0..n).map(|l| inv[k * n + l] * cur.g[l]).sum::<f64>();
        }
        let slope: f64 = step.iter().zip(&cur.g).map(|(s, g)| s * g).sum();
        if -slope < 1e-14 * cur.f.abs().max(1e-300) && gm < tol * 1e3 {
            converged = true;
            message = "predicted decrease below rounding (gradient near tolerance)".into();
            break;
        }
        // At most 2 units of log-parameter space per step.
        let smax = step.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        let mut t = (2.0 / smax.max(1e-300)).min(1.0);
        let mut next = None;
        for _ in 0..60 {
            let trial: Vec<f64> = cur
                .theta
                .iter()
                .zip(&step)
                .map(|(a, s)| a + t * s)
                .collect();
            let q = eval(&trial, &mut p.loglik);
            if finite(&q) && q.f <= cur.f + 1e-4 * t * slope {
                next = Some(q);
                break;
            }
            t *= if q.f.is_finite() { 0.5 } else { 0.1 };
        }
        iterations += 1;
        let Some(q) = next else {
            converged = gm < tol * 1e3;
            message = if converged {
                "no further decrease possible (gradient near tolerance)".into()
            } else {
                format!("line search failed with gradient {gm:.3e}")
            };
            break;
        };
        cur = q;
    }
    let params: Vec<f64> = cur.theta.iter().map(|t| t.exp()).collect();
    let ll = cur.ll;
    let mut std_errors = vec![f64::NAN; n];
    if p.options.std_errors {
        let hw: Vec<f64> = cur.h.iter().map(|v| v * w).collect();
        if let Some(cov) = optim::spd_inverse(&hw, n) {
            for k in 0..n {
                std_errors[k] = params[k] * cov[k * n + k].sqrt();
            }
        }
    }
    Ok(FitReport {
        model: p.model,
        param_names: p.names,
        params,
        std_errors,
        log_likelihood: ll,
        n_customers: w,
        n_distinct_rows: p.n_rows,
        converged,
        iterations,
        message,
    })
}

/// Newton's method from subsamples of increasing size (see [`newton_stages`]): `stage(stride,
/// start, options, tolerance)` fits every `stride`-th of the `n` rows from `start`; each stage
/// starts at the previous optimum (loosely converged, no standard errors), so the full data needs
/// only a few likelihood passes. The user's starting values skip the stages; a failed subsample
/// stage only costs its start, the full fit decides.
pub(crate) fn staged_newton(
    model: &str,
    n: usize,
    start: Vec<f64>,
    options: &FitOptions,
    mut stage: impl FnMut(usize, &[f64], &FitOptions, f64) -> Result<FitReport>,
) -> Result<FitReport> {
    let strides = if options.initial.is_some() {
        vec![1]
    } else {
        newton_stages(n)
    };
    let mut start = start;
    for stride in strides {
        let last = stride == 1;
        let opts = FitOptions {
            std_errors: last && options.std_errors,
            ..options.clone()
        };
        let tolerance = if last {
            options.gradient_tolerance
        } else {
            1e-6
        };
        match stage(stride, &start, &opts, tolerance) {
            Ok(r) if last => return Ok(r),
            Ok(r) => start = r.params,
            Err(_) if !last => {}
            Err(e) => return Err(e),
        }
    }
    Err(Error::FitFailed(format!("{model}: no fit")))
}

/// Strides of the subsample stages before a fit on `n` rows: about 2,000 rows first, then eight
/// times more per stage, then all rows (stride 1, always last).
pub(crate) fn newton_stages(n: usize) -> Vec<usize> {
    let mut strides = vec![1];
    let mut s = 1;
    while n / (s * 8) >= 2_000 {
        s *= 8;
        strides.push(s);
    }
    strides.reverse();
    strides
}

/// Rows from which a likelihood pass is split into two halves.
pub(crate) const SPLIT_ROWS: usize = 65_536;

/// `f(lo, hi)` over the rows `0..n`: in one part below [`SPLIT_ROWS`], else over the halves
/// `0..n/2` and `n/2..n`, on two threads where the platform has them (not in the browser). The
/// split depends only on `n` and the caller adds the halves in order, so results are
/// bit-identical with and without threads, in every language.
pub(crate) fn halves<T: Send>(n: usize, f: impl Fn(usize, usize) -> T + Sync) -> (T, Option<T>) {
    if n < SPLIT_ROWS {
        return (f(0, n), None);
    }
    let mid = n / 2;
    let (second, first) = crate::par::join(&|| f(mid, n), || f(0, mid));
    (first, Some(second))
}
