//! A compact BFGS minimiser with a backtracking (Armijo) line search, and a numerical Hessian
//! from an analytic gradient.
//!
//! Hand-written rather than taken from `argmin`: the models have 2 to a few dozen parameters,
//! the objective is a closure over borrowed data that fills a gradient slice in place, and this
//! keeps the core free of a generic-math dependency tree (and quick to build for wasm32).

/// What the minimiser reports.
#[derive(Debug, Clone)]
pub(crate) struct Minimum {
    pub x: Vec<f64>,
    /// The final inverse-Hessian approximation (row-major), to warm-start another run.
    pub inverse_hessian: Vec<f64>,
    pub f: f64,
    pub iterations: usize,
    pub converged: bool,
    pub message: String,
}

/// Settings of the minimiser.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    pub max_iterations: usize,
    /// Stop when the largest gradient component is below this.
    pub gradient_tolerance: f64,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Minimise `f`, which returns the objective and writes its gradient. Non-finite values are
/// treated as "outside the domain" and make the line search step back.
pub(crate) fn bfgs<F>(mut f: F, x0: &[f64], settings: Settings, h0: Option<&[f64]>) -> Minimum
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let n = x0.len();
    // Inverse Hessian approximation, row-major: the warm start if given, else the identity
    // (rescaled after the first step, Nocedal & Wright eq. 6.20).
    let warm = h0.filter(|h| h.len() == n * n && h.iter().all(|v| v.is_finite()));
    let mut h = warm.map_or_else(
        || {
            let mut id = vec![0.0; n * n];
            for i in 0..n {
                id[i * n + i] = 1.0;
            }
            id
        },
        <[f64]>::to_vec,
    );
    let mut first = warm.is_none();
    let mut x = x0.to_vec();
    let mut g = vec![0.0; n];
    let mut fx = f(&x, &mut g);
    if !fx.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return Minimum {
            inverse_hessian: h.clone(),
            x,
            f: fx,
            iterations: 0,
            converged: false,
            message: "objective is not finite at the starting point".into(),
        };
    }
    let mut p = vec![0.0; n];
    let mut x_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];
    let mut s = vec![0.0; n];
    let mut y = vec![0.0; n];
    let mut hy = vec![0.0; n];
    let mut small_steps = 0usize;
    for iter in 0..settings.max_iterations {
        let gmax = g.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        if gmax < settings.gradient_tolerance {
            return Minimum {
                inverse_hessian: h.clone(),
                x,
                f: fx,
                iterations: iter,
                converged: true,
                message: "gradient below tolerance".into(),
            };
        }
        for i in 0..n {
            p[i] = -(0..n).map(|j| h[i * n + j] * g[j]).sum::<f64>();
        }
        let mut slope = dot(&p, &g);
        if slope >= 0.0 {
            // Not a descent direction: restart from steepest descent.
            for i in 0..n {
                for j in 0..n {
                    h[i * n + j] = if i == j { 1.0 } else { 0.0 };
                }
                p[i] = -g[i];
            }
            slope = dot(&p, &g);
        }
        // The decrease the quadratic model predicts is at the rounding level of the objective:
        // no line search can make progress (flat likelihood ridges end here, not in 60 halvings).
        if -slope < 1e-14 * fx.abs().max(1e-300) && gmax < settings.gradient_tolerance * 1e3 {
            return Minimum {
                inverse_hessian: h.clone(),
                x,
                f: fx,
                iterations: iter,
                converged: true,
                message: "predicted decrease below rounding (gradient near tolerance)".into(),
            };
        }
        // Keep the first trial step within 2 units of log-parameter space.
        let pmax = p.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        let mut step = if first {
            (1.0 / pmax.max(1e-300)).min(1.0)
        } else {
            (2.0 / pmax.max(1e-300)).min(1.0)
        };
        let mut accepted = false;
        let mut f_new = f64::NAN;
        for _ in 0..60 {
            for i in 0..n {
                x_new[i] = x[i] + step * p[i];
            }
            f_new = f(&x_new, &mut g_new);
            if f_new.is_finite()
                && g_new.iter().all(|v| v.is_finite())
                && f_new <= fx + 1e-4 * step * slope
            {
                accepted = true;
                break;
            }
            step *= if f_new.is_finite() { 0.5 } else { 0.1 };
        }
        if !accepted {
            // No decrease possible along p: at the optimum within rounding, or stuck.
            let converged = gmax < settings.gradient_tolerance * 1e3;
            return Minimum {
                inverse_hessian: h.clone(),
                x,
                f: fx,
                iterations: iter,
                converged,
                message: if converged {
                    "no further decrease possible (gradient near tolerance)".into()
                } else {
                    format!("line search failed with gradient {gmax:.3e}")
                },
            };
        }
        for i in 0..n {
            s[i] = x_new[i] - x[i];
            y[i] = g_new[i] - g[i];
        }
        let sy = dot(&s, &y);
        if sy > 1e-12 * dot(&s, &s).sqrt() * dot(&y, &y).sqrt() && sy > 0.0 {
            if first {
                // Scale the initial inverse Hessian (Nocedal & Wright eq. 6.20).
                let scale = sy / dot(&y, &y);
                for v in &mut h {
                    *v *= scale;
                }
            }
            for i in 0..n {
                hy[i] = (0..n).map(|j| h[i * n + j] * y[j]).sum();
            }
            let yhy = dot(&y, &hy);
            let rho = 1.0 / sy;
            let c = (1.0 + rho * yhy) * rho;
            for i in 0..n {
                for j in 0..n {
                    h[i * n + j] += c * s[i] * s[j] - rho * (hy[i] * s[j] + s[i] * hy[j]);
                }
            }
            first = false;
        }
        let df = fx - f_new;
        std::mem::swap(&mut x, &mut x_new);
        std::mem::swap(&mut g, &mut g_new);
        fx = f_new;
        if df.abs() <= 1e-15 * fx.abs().max(1e-300) {
            small_steps += 1;
            if small_steps >= 5 {
                let gmax = g.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
                let converged = gmax < settings.gradient_tolerance * 1e3;
                return Minimum {
                    inverse_hessian: h.clone(),
                    x,
                    f: fx,
                    iterations: iter + 1,
                    converged,
                    message: "objective no longer changes".into(),
                };
            }
        } else {
            small_steps = 0;
        }
    }
    Minimum {
        inverse_hessian: h,
        x,
        f: fx,
        iterations: settings.max_iterations,
        converged: false,
        message: "iteration limit reached".into(),
    }
}

/// Hessian by central differences of the analytic gradient (2n gradient calls), symmetrised.
/// Central, not forward, differences: flat likelihood ridges (Gamma-Gamma, Pareto/NBD) make the
/// Hessian ill-conditioned and its inverse sensitive to O(h) errors.
pub(crate) fn numerical_hessian<F>(mut grad: F, x: &[f64]) -> Vec<f64>
where
    F: FnMut(&[f64], &mut [f64]),
{
    let n = x.len();
    let mut hess = vec![0.0; n * n];
    let mut xp = x.to_vec();
    let mut gp = vec![0.0; n];
    let mut gm = vec![0.0; n];
    for j in 0..n {
        let hj = 1e-5 * x[j].abs().max(1.0);
        xp[j] = x[j] + hj;
        grad(&xp, &mut gp);
        xp[j] = x[j] - hj;
        grad(&xp, &mut gm);
        xp[j] = x[j];
        for i in 0..n {
            hess[i * n + j] = (gp[i] - gm[i]) / (2.0 * hj);
        }
    }
    for i in 0..n {
        for j in 0..i {
            let v = 0.5 * (hess[i * n + j] + hess[j * n + i]);
            hess[i * n + j] = v;
            hess[j * n + i] = v;
        }
    }
    hess
}

/// Inverse of a symmetric positive-definite matrix by Cholesky; `None` if it is not one.
pub(crate) fn spd_inverse(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut sum = a[i * n + j];
            for k in 0..j {
                sum -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if sum.is_nan() || sum <= 0.0 || !sum.is_finite() {
                    return None;
                }
                l[i * n + i] = sum.sqrt();
            } else {
                l[i * n + j] = sum / l[j * n + j];
            }
        }
    }
    // Invert L, then A^-1 = L^-T L^-1.
    let mut linv = vec![0.0; n * n];
    for i in 0..n {
        linv[i * n + i] = 1.0 / l[i * n + i];
        for j in 0..i {
            let mut sum = 0.0;
            for k in j..i {
                sum -= l[i * n + k] * linv[k * n + j];
            }
            linv[i * n + j] = sum / l[i * n + i];
        }
    }
    let mut inv = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            inv[i * n + j] = (i.max(j)..n)
                .map(|k| linv[k * n + i] * linv[k * n + j])
                .sum();
        }
    }
    Some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rosenbrock() {
        let f = |x: &[f64], g: &mut [f64]| {
            let (a, b) = (x[0], x[1]);
            g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
            g[1] = 200.0 * (b - a * a);
            (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
        };
        let m = bfgs(
            f,
            &[-1.2, 1.0],
            Settings {
                max_iterations: 500,
                gradient_tolerance: 1e-10,
            },
            None,
        );
        assert!(m.converged, "{m:?}");
        assert!(
            (m.x[0] - 1.0).abs() < 1e-6 && (m.x[1] - 1.0).abs() < 1e-6,
            "{m:?}"
        );
    }

    #[test]
    fn inverse() {
        let a = [4.0, 2.0, 2.0, 3.0];
        let inv = spd_inverse(&a, 2).unwrap();
        let det = 8.0;
        let want = [3.0 / det, -2.0 / det, -2.0 / det, 4.0 / det];
        for (x, y) in inv.iter().zip(want) {
            assert!((x - y).abs() < 1e-14);
        }
        assert!(spd_inverse(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
    }
}
