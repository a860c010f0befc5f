//! BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way") and the Modified
//! BG/NBD (Batislam, Denizel & Filiztekin 2007), which also lets a customer drop out right after
//! the first purchase.
//!
//! Both share one implementation: with `k = 0` (BG/NBD) or `k = 1` (MBG/NBD), a customer alive at
//! `T` after `x` repeat purchases has survived `x + k` drop-out chances, so
//!
//! ```text
//! LL = ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x+k) − ln B(a, b)
//!    + ln[ (α+T)^−(r+x) + [x>0 or k=1] · a/(b+x+k−1) · (α+t_x)^−(r+x) ]
//! ```

use super::PurchaseModel;
use super::data::{CalibrationData, Grouped};
use super::fit::{self, FitOptions, Fitted};
use super::special::{digamma, integrate, ln_beta, ln_gamma, ln_hyp2f1, log_add_exp, trigamma};
use crate::{Error, Result};

/// BG/NBD parameters: purchase rates λ ~ Gamma(shape `r`, rate `alpha`), drop-out probability
/// after each purchase p ~ Beta(`a`, `b`). Time parameters are in the unit of the data it was fitted on.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BgNbd {
    /// Gamma shape of the purchase rate.
    pub r: f64,
    /// Gamma rate (scale of time) of the purchase rate.
    pub alpha: f64,
    /// Beta `a` of the drop-out probability.
    pub a: f64,
    /// Beta `b` of the drop-out probability.
    pub b: f64,
}

/// Modified BG/NBD parameters (same meaning as [`BgNbd`]; customers may also drop out at time 0).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModifiedBgNbd {
    /// Gamma shape of the purchase rate.
    pub r: f64,
    /// Gamma rate of the purchase rate.
    pub alpha: f64,
    /// Beta `a` of the drop-out probability.
    pub a: f64,
    /// Beta `b` of the drop-out probability.
    pub b: f64,
}

/// Row-independent terms of the likelihood.
struct Pre {
    k: f64,
    lg_r: f64,
    dg_r: f64,
    ln_alpha: f64,
    ln_beta_ab: f64,
    dg_ab: f64,
    dg_b: f64,
}

impl Pre {
    fn new(k: f64, r: f64, alpha: f64, a: f64, b: f64) -> Self {
        Self {
            k,
            lg_r: ln_gamma(r),
            dg_r: digamma(r),
            ln_alpha: alpha.ln(),
            ln_beta_ab: ln_beta(a, b),
            dg_ab: digamma(a + b),
            dg_b: digamma(b),
        }
    }
}

/// Log-likelihood of one row; with `grad`, adds `weight · d LL / d(r, alpha, a, b)`.
#[inline]
fn row_ll(
    pre: &Pre,
    p: [f64; 4],
    x: f64,
    t_x: f64,
    t: f64,
    weight: f64,
    grad: Option<&mut [f64]>,
) -> f64 {
    let [r, alpha, a, b] = p;
    let k = pre.k;
    let rx = r + x;
    let bx = b + x + k;
    let ln_at = (alpha + t).ln();
    let ln_atx = (alpha + t_x).ln();
    let a1 = ln_gamma(rx) - pre.lg_r + r * pre.ln_alpha;
    let a2 = ln_beta(a, bx) - pre.ln_beta_ab;
    let a3 = -rx * ln_at;
    let has4 = x > 0.0 || k > 0.0;
    let a4 = if has4 {
        a.ln() - (bx - 1.0).ln() - rx * ln_atx
    } else {
        f64::NEG_INFINITY
    };
    let l34 = log_add_exp(a3, a4);
    if let Some(g) = grad {
        let w4 = if has4 { (a4 - l34).exp() } else { 0.0 };
        let w3 = 1.0 - w4;
        let dg_abx = digamma(a + bx);
        g[0] += weight * (digamma(rx) - pre.dg_r + pre.ln_alpha - w3 * ln_at - w4 * ln_atx);
        g[1] += weight * (r / alpha - rx * (w3 / (alpha + t) + w4 / (alpha + t_x)));
        g[2] += weight * (pre.dg_ab - dg_abx + if has4 { w4 / a } else { 0.0 });
        g[3] += weight
            * (digamma(bx) + pre.dg_ab
                - pre.dg_b
                - dg_abx
                - if has4 { w4 / (bx - 1.0) } else { 0.0 });
    }
    a1 + a2 + l34
}

/// Row log-likelihood with row-specific parameters (for covariates); adds the gradient.
pub(crate) fn row_ll_full(k: f64, p: [f64; 4], x: f64, t_x: f64, t: f64, grad: &mut [f64]) -> f64 {
    let pre = Pre::new(k, p[0], p[1], p[2], p[3]);
    row_ll(&pre, p, x, t_x, t, 1.0, Some(grad))
}

fn check_params(name: &str, p: [f64; 4]) -> Result<()> {
    for (v, n) in p.iter().zip(["r", "alpha", "a", "b"]) {
        if !(v.is_finite() && *v > 0.0) {
            return Err(Error::option(
                &format!("{name}.{n}"),
                v,
                "parameters must be finite and > 0",
            ));
        }
    }
    Ok(())
}

fn fit_k(
    model: &'static str,
    k: f64,
    data: &CalibrationData,
    options: &FitOptions,
) -> Result<fit::FitReport> {
    let rows = data.grouped();
    if rows.len() == 0 {
        return Err(Error::EmptyInput(format!("{model}: no customers")));
    }
    let start = vec![1.0, rows.mean_t().max(1e-3), 1.0, 1.0];
    fit::staged_newton(
        model,
        rows.len(),
        start,
        options,
        |stride, start, opts, tol| {
            let sub;
            let g = if stride == 1 {
                &rows
            } else {
                sub = rows.stride(stride);
                &sub
            };
            let (mut ln_grid, mut inv_grid) = (vec![0.0; g.grid.len()], vec![0.0; g.grid.len()]);
            fit::run_newton(fit::NewtonProblem {
                model,
                names: ["r", "alpha", "a", "b"].map(String::from).to_vec(),
                start: start.to_vec(),
                total_weight: g.total_weight(),
                n_rows: g.len(),
                loglik: |p: &[f64], grad: &mut [f64], hess: Option<&mut [f64]>| {
                    let p = [p[0], p[1], p[2], p[3]];
                    match hess {
                        Some(h) => {
                            grouped_ll::<true>(k, p, g, &mut ln_grid, &mut inv_grid, grad, h)
                        }
                        None => {
                            grouped_ll::<false>(k, p, g, &mut ln_grid, &mut inv_grid, grad, &mut [])
                        }
                    }
                },
                options: opts,
                gradient_tolerance: tol,
            })
        },
    )
}

/// The weighted log-likelihood, its gradient and (with `HESS`) its Hessian over grouped rows:
/// the same sums as [`row_ll`] row by row, with the special functions of `x` evaluated once per
/// distinct `x` and `ln(α + t)` once per distinct time (see [`Grouped`]).
///
/// Per row, `l34 = ln(e^{a3} + e^{a4})` with mixture weights `w3, w4`: its gradient is
/// `w3 ∇a3 + w4 ∇a4` and its Hessian `w3 ∇²a3 + w4 ∇²a4 + w3 w4 d dᵀ` with `d = ∇a3 − ∇a4`,
/// whose `a` and `b` components are constant within an `x` group; so a pass with the Hessian
/// adds only a few multiply-adds per row.
fn grouped_ll<const HESS: bool>(
    k: f64,
    p: [f64; 4],
    rows: &Grouped,
    ln_grid: &mut [f64],
    inv_grid: &mut [f64],
    g: &mut [f64],
    h: &mut [f64],
) -> f64 {
    let alpha = p[1];
    for (j, &v) in rows.grid.iter().enumerate() {
        ln_grid[j] = (alpha + v).ln();
        inv_grid[j] = 1.0 / (alpha + v);
    }
    let (ln_grid, inv_grid) = (&*ln_grid, &*inv_grid);
    let (first, second) = fit::halves(rows.len(), |lo, hi| {
        pass::<HESS>(k, p, rows, ln_grid, inv_grid, lo, hi)
    });
    let (mut ll, mut gs, mut hs) = first;
    if let Some((ll2, g2, h2)) = second {
        ll += ll2;
        for (a, b) in gs.iter_mut().zip(g2) {
            *a += b;
        }
        for (a, b) in hs.iter_mut().zip(h2) {
            *a += b;
        }
    }
    g.copy_from_slice(&gs);
    if HESS {
        h.copy_from_slice(&hs);
    }
    ll
}

/// [`grouped_ll`] over the rows `lo..hi` (which may cut a group: its `x` terms are weighted by
/// the weight of its rows in the range).
#[allow(clippy::too_many_lines)]
fn pass<const HESS: bool>(
    k: f64,
    p: [f64; 4],
    rows: &Grouped,
    ln_grid: &[f64],
    inv_grid: &[f64],
    lo: usize,
    hi: usize,
) -> (f64, [f64; 4], [f64; 16]) {
    let [r, alpha, a, b] = p;
    let pre = Pre::new(k, r, alpha, a, b);
    let ln_a = a.ln();
    let (tg_r, tg_ab, tg_b) = if HESS {
        (trigamma(r), trigamma(a + b), trigamma(b))
    } else {
        (0.0, 0.0, 0.0)
    };
    let (mut g, mut h) = ([0.0; 4], [0.0; 16]);
    let mut ll = 0.0;
    let first = rows.start.partition_point(|&s| s <= lo).saturating_sub(1);
    for grp in first..rows.x.len() {
        let (from, to) = (rows.start[grp].max(lo), rows.start[grp + 1].min(hi));
        if from >= to {
            if rows.start[grp] >= hi {
                break;
            }
            continue;
        }
        let x = rows.x[grp];
        let rx = r + x;
        let bx = b + x + k;
        let has4 = x > 0.0 || k > 0.0;
        let c4 = if has4 { ln_a - (bx - 1.0).ln() } else { 0.0 };
        // Sums over the group's rows of w·l34, w·w4, w·(w3 ln(α+T) + w4 ln(α+t_x)),
        // w·(w3/(α+T) + w4/(α+t_x)); with HESS also w·(w3/(α+T)² + w4/(α+t_x)²) and, with
        // u = w·w3·w4 and d0, d1 the r and α components of d, u, u·d0, u·d1, u·d0², u·d0·d1, u·d1².
        let (mut s_l, mut s_w4, mut s_ln, mut s_inv) = (0.0, 0.0, 0.0, 0.0);
        let (mut s_inv2, mut s_u, mut s_u0, mut s_u1, mut s_u00, mut s_u01, mut s_u11) =
            (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        let mut wg = 0.0;
        for i in from..to {
            let w = rows.weight[i];
            wg += w;
            let (it, itx) = (rows.i_t[i] as usize, rows.i_tx[i] as usize);
            let a3 = -rx * ln_grid[it];
            if has4 {
                let d = c4 - rx * ln_grid[itx] - a3;
                let e = (-d.abs()).exp();
                let w4 = if d >= 0.0 {
                    1.0 / (1.0 + e)
                } else {
                    e / (1.0 + e)
                };
                let w3 = 1.0 - w4;
                // ln(1 + e), e in (0, 1]: plain ln is several times faster than ln_1p and its
                // absolute error (<= 1.1e-16 per row) is far below the sum's rounding.
                s_l += w * (a3 + d.max(0.0) + (1.0 + e).ln());
                s_w4 += w * w4;
                s_ln += w * (w3 * ln_grid[it] + w4 * ln_grid[itx]);
                s_inv += w * (w3 * inv_grid[it] + w4 * inv_grid[itx]);
                if HESS {
                    let (it_inv, itx_inv) = (inv_grid[it], inv_grid[itx]);
                    s_inv2 += w * (w3 * it_inv * it_inv + w4 * itx_inv * itx_inv);
                    let u = w * w3 * w4;
                    let d0 = ln_grid[itx] - ln_grid[it];
                    let d1 = rx * (itx_inv - it_inv);
                    s_u += u;
                    s_u0 += u * d0;
                    s_u1 += u * d1;
                    s_u00 += u * d0 * d0;
                    s_u01 += u * d0 * d1;
                    s_u11 += u * d1 * d1;
                }
            } else {
                s_l += w * a3;
                s_ln += w * ln_grid[it];
                s_inv += w * inv_grid[it];
                if HESS {
                    s_inv2 += w * inv_grid[it] * inv_grid[it];
                }
            }
        }
        let dg_abx = digamma(a + bx);
        ll += wg * (ln_gamma(rx) - pre.lg_r + r * pre.ln_alpha + ln_beta(a, bx) - pre.ln_beta_ab)
            + s_l;
        g[0] += wg * (digamma(rx) - pre.dg_r + pre.ln_alpha) - s_ln;
        g[1] += wg * r / alpha - rx * s_inv;
        g[2] += wg * (pre.dg_ab - dg_abx) + s_w4 / a;
        g[3] += wg * (digamma(bx) + pre.dg_ab - pre.dg_b - dg_abx)
            - if has4 { s_w4 / (bx - 1.0) } else { 0.0 };
        if HESS {
            let tg_abx = trigamma(a + bx);
            // d's a and b components (a3 does not depend on a, b; a4 = ln a − ln(b+x+k−1) − ...).
            let (d2, d3) = if has4 {
                (-1.0 / a, 1.0 / (bx - 1.0))
            } else {
                (0.0, 0.0)
            };
            let hv = [
                // (r, r), (r, α), (r, a), (r, b)
                wg * (trigamma(rx) - tg_r) + s_u00,
                wg / alpha - s_inv + s_u01,
                s_u0 * d2,
                s_u0 * d3,
                // (α, α), (α, a), (α, b)
                -wg * r / (alpha * alpha) + rx * s_inv2 + s_u11,
                s_u1 * d2,
                s_u1 * d3,
                // (a, a), (a, b), (b, b)
                wg * (tg_ab - tg_abx) - s_w4 / (a * a) + s_u * d2 * d2,
                wg * (tg_ab - tg_abx) + s_u * d2 * d3,
                wg * (trigamma(bx) - tg_abx - tg_b + tg_ab)
                    + if has4 {
                        s_w4 / ((bx - 1.0) * (bx - 1.0))
                    } else {
                        0.0
                    }
                    + s_u * d3 * d3,
            ];
            let idx = [
                (0, 0),
                (0, 1),
                (0, 2),
                (0, 3),
                (1, 1),
                (1, 2),
                (1, 3),
                (2, 2),
                (2, 3),
                (3, 3),
            ];
            for ((i, j), v) in idx.into_iter().zip(hv) {
                h[i * 4 + j] += v;
                if i != j {
                    h[j * 4 + i] += v;
                }
            }
        }
    }
    (ll, g, h)
}

/// Shared predictions for `k = 0` (BG/NBD) and `k = 1` (MBG/NBD).
fn p_alive_k(k: f64, p: [f64; 4], x: f64, t_x: f64, t: f64) -> f64 {
    let [r, alpha, a, b] = p;
    if x == 0.0 && k == 0.0 {
        return 1.0;
    }
    let ln_odds =
        a.ln() - (b + x + k - 1.0).ln() + (r + x) * ((alpha + t).ln() - (alpha + t_x).ln());
    1.0 / (1.0 + ln_odds.exp())
}

/// E[Y(horizon) | alive at T, x, T] = (a+b+x+k−1)/(a−1) [1 − ((α+T)/(α+T+t))^(r+x)
/// 2F1(r+x, b+x+k; a+b+x+k−1; t/(α+T+t))] (FHL 2005 eq. 10 divided by P(alive)).
fn if_alive_k(k: f64, p: [f64; 4], horizon: f64, x: f64, t: f64) -> f64 {
    let [r, alpha, a, b] = p;
    if horizon <= 0.0 {
        return 0.0;
    }
    let z = horizon / (alpha + t + horizon);
    let c = a + b + x + k - 1.0;
    if c <= 0.0 {
        // Only BG/NBD with x = 0 and a + b <= 1: the series needs c > 0. Integrate the rate
        // instead: d/dt E = E[λ e^(−λpt)] = (r+x)/(α+T) (1+u)^−(r+x+1) 2F1(r+x+1, b+x; a+b+x; u/(1+u)),
        // u = t/(α+T); with s = u/(1+u): E = (r+x) ∫_0^z (1−s)^(r+x−1) 2F1(r+x+1, b+x+k; a+b+x+k; s) ds.
        let m = r + x;
        return integrate(
            |s| ((m - 1.0) * (-s).ln_1p() + ln_hyp2f1(m + 1.0, b + x + k, a + b + x + k, s)).exp(),
            0.0,
            z,
        ) * m;
    }
    let ln_f = ln_hyp2f1(r + x, b + x + k, c, z);
    let ln_p = (r + x) * ((alpha + t).ln() - (alpha + t + horizon).ln()) + ln_f;
    let bracket = -ln_p.exp_m1();
    (a + b + x + k - 1.0) / (a - 1.0) * bracket
}

fn p_alive_at_k(k: f64, p: [f64; 4], x: f64, t_x: f64, t: f64, future: f64) -> f64 {
    let [r, alpha, a, b] = p;
    let now = p_alive_k(k, p, x, t_x, t);
    if future <= 0.0 {
        return now;
    }
    // Alive at T+t given alive at T: E[exp(−λ p t)] over λ ~ Gamma(r+x, α+T), p ~ Beta(a, b+x+k)
    // = (1+u)^−(r+x) 2F1(r+x, b+x+k; a+b+x+k; u/(1+u)), u = t/(α+T) (Pfaff transformation).
    let u = future / (alpha + t);
    let z = u / (1.0 + u);
    let ln_s = -(r + x) * u.ln_1p() + ln_hyp2f1(r + x, b + x + k, a + b + x + k, z);
    now * ln_s.exp()
}

/// P(X(t) = n) (Fader, Hardie & Lee 2005 eq. 8; for k = 1 the MBG/NBD analogue).
fn prob_n_k(k: f64, p: [f64; 4], n: u32, horizon: f64) -> f64 {
    let [r, alpha, a, b] = p;
    let nf = f64::from(n);
    let ln_q = (alpha / (alpha + horizon)).ln();
    let ln_z = if horizon > 0.0 {
        (horizon / (alpha + horizon)).ln()
    } else {
        f64::NEG_INFINITY
    };
    let ln_nb = |j: f64| {
        let zj = if j == 0.0 { 0.0 } else { j * ln_z };
        ln_gamma(r + j) - ln_gamma(r) - ln_gamma(j + 1.0) + r * ln_q + zj
    };
    let lb = ln_beta(a, b);
    let mut prob = (ln_beta(a, b + nf + k) - lb + ln_nb(nf)).exp();
    if n > 0 {
        let cdf: f64 = (0..n).map(|j| ln_nb(f64::from(j)).exp()).sum();
        let tail = (1.0 - cdf).max(0.0);
        prob += (ln_beta(a + 1.0, b + nf + k - 1.0) - lb).exp() * tail;
    } else if k > 0.0 {
        prob += a / (a + b);
    }
    prob
}

macro_rules! bg_family {
    ($ty:ident, $k:expr, $name:expr) => {
        impl $ty {
            /// Build from parameters (all finite and > 0).
            pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self> {
                check_params($name, [r, alpha, a, b])?;
                Ok(Self { r, alpha, a, b })
            }

            fn arr(&self) -> [f64; 4] {
                [self.r, self.alpha, self.a, self.b]
            }

            /// Maximum-likelihood fit on `x`, `t_x`, `T` (and weights) of `data`.
            pub fn fit(data: &CalibrationData, options: &FitOptions) -> Result<Fitted<Self>> {
                let report = fit_k($name, $k, data, options)?;
                let p = &report.params;
                let model = Self {
                    r: p[0],
                    alpha: p[1],
                    a: p[2],
                    b: p[3],
                };
                Ok(Fitted { model, report })
            }

            /// Total weighted log-likelihood of `data`.
            #[must_use]
            pub fn log_likelihood_total(&self, data: &CalibrationData) -> f64 {
                let pre = Pre::new($k, self.r, self.alpha, self.a, self.b);
                (0..data.len())
                    .map(|i| {
                        data.weight(i)
                            * row_ll(
                                &pre,
                                self.arr(),
                                data.x[i],
                                data.t_x[i],
                                data.t[i],
                                1.0,
                                None,
                            )
                    })
                    .sum()
            }

            /// P(X(t) = n): probability that a new customer makes `n` repeat purchases in `(0, t]`.
            #[must_use]
            pub fn prob_purchases(&self, n: u32, t: f64) -> f64 {
                prob_n_k($k, self.arr(), n, t)
            }
        }

        impl PurchaseModel for $ty {
            fn name(&self) -> &'static str {
                $name
            }
            fn log_likelihood(&self, x: f64, t_x: f64, t: f64) -> f64 {
                let pre = Pre::new($k, self.r, self.alpha, self.a, self.b);
                row_ll(&pre, self.arr(), x, t_x, t, 1.0, None)
            }
            fn expected_purchases(&self, horizon: f64) -> f64 {
                // A new customer is the x = t_x = T = 0 case of the conditional expectation.
                self.conditional_expected_purchases(horizon, 0.0, 0.0, 0.0)
            }
            fn expected_purchases_if_alive(&self, horizon: f64, x: f64, t: f64) -> f64 {
                if_alive_k($k, self.arr(), horizon, x, t)
            }
            fn p_alive(&self, x: f64, t_x: f64, t: f64) -> f64 {
                p_alive_k($k, self.arr(), x, t_x, t)
            }
            fn p_alive_at(&self, x: f64, t_x: f64, t: f64, future: f64) -> f64 {
                p_alive_at_k($k, self.arr(), x, t_x, t, future)
            }
            /// E[1/λ | alive at T] = (α + T) / (r + x − 1): a BG/NBD customer alive at `T`
            /// always buys again (drop-out happens only right after a purchase).
            fn expected_time_to_next_purchase(&self, x: f64, t: f64) -> f64 {
                let d = self.r + x - 1.0;
                if d <= 0.0 {
                    f64::INFINITY
                } else {
                    (self.alpha + t) / d
                }
            }
        }
    };
}

bg_family!(BgNbd, 0.0, "bg-nbd");
bg_family!(ModifiedBgNbd, 1.0, "mbg-nbd");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectation_by_quadrature_matches_series() {
        // The c <= 0 fallback integrates the purchase rate; check it against the series where both apply.
        let p = [0.7, 3.1, 0.9, 2.2];
        for (x, t, h) in [(0.0, 0.0, 39.0), (0.0, 20.0, 5.0), (3.0, 38.0, 52.0)] {
            let series = if_alive_k(0.0, p, h, x, t);
            let m = p[0] + x;
            let z = h / (p[1] + t + h);
            let quad = integrate(
                |s| {
                    ((m - 1.0) * (-s).ln_1p() + ln_hyp2f1(m + 1.0, p[3] + x, p[2] + p[3] + x, s))
                        .exp()
                },
                0.0,
                z,
            ) * m;
            assert!((series - quad).abs() < 1e-10 * series, "{series} {quad}");
        }
    }

    #[test]
    fn grouped_pass_equals_row_by_row() {
        use crate::ltv::data::TimeUnit;
        let d = CalibrationData::new(
            vec![0.0, 0.0, 2.0, 2.0, 2.0, 7.0, 0.0],
            vec![0.0, 0.0, 3.5, 3.5, 10.0, 30.0, 0.0],
            vec![38.0, 20.0, 38.0, 38.0, 38.0, 38.0, 38.0],
            TimeUnit::Weeks,
        )
        .unwrap();
        let rows = d.collapse();
        let grp = d.grouped();
        for k in [0.0, 1.0] {
            let p = [0.7, 3.1, 0.9, 2.2];
            let pre = Pre::new(k, p[0], p[1], p[2], p[3]);
            let mut g1 = [0.0; 4];
            let ll1: f64 = (0..rows.len())
                .map(|i| {
                    rows.weight[i]
                        * row_ll(
                            &pre,
                            p,
                            rows.x[i],
                            rows.t_x[i],
                            rows.t[i],
                            rows.weight[i],
                            Some(&mut g1),
                        )
                })
                .sum();
            let (mut lg, mut ig) = (vec![0.0; grp.grid.len()], vec![0.0; grp.grid.len()]);
            let mut g2 = [0.0; 4];
            let ll2 = grouped_ll::<false>(k, p, &grp, &mut lg, &mut ig, &mut g2, &mut []);
            assert!((ll1 - ll2).abs() < 1e-10, "{ll1} {ll2}");
            for j in 0..4 {
                assert!((g1[j] - g2[j]).abs() < 1e-10, "{j}: {} {}", g1[j], g2[j]);
            }
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        for k in [0.0, 1.0] {
            let p = [0.7, 3.1, 0.9, 2.2];
            let rows = [(0.0, 0.0, 30.0), (3.0, 20.5, 38.0), (1200.0, 37.0, 38.0)];
            let mut g = [0.0; 4];
            let pre = Pre::new(k, p[0], p[1], p[2], p[3]);
            for &(x, tx, t) in &rows {
                row_ll(&pre, p, x, tx, t, 1.0, Some(&mut g));
            }
            for j in 0..4 {
                let h = 1e-6 * p[j];
                let mut pp = p;
                pp[j] += h;
                let mut pm = p;
                pm[j] -= h;
                let f = |q: [f64; 4]| {
                    let pre = Pre::new(k, q[0], q[1], q[2], q[3]);
                    rows.iter()
                        .map(|&(x, tx, t)| row_ll(&pre, q, x, tx, t, 1.0, None))
                        .sum::<f64>()
                };
                let fd = (f(pp) - f(pm)) / (2.0 * h);
                assert!(
                    (fd - g[j]).abs() < 1e-5 * (1.0 + fd.abs()),
                    "k {k} param {j}: {fd} vs {}",
                    g[j]
                );
            }
        }
    }

    #[test]
    fn hessian_matches_finite_differences_of_the_gradient() {
        use crate::ltv::data::TimeUnit;
        let d = CalibrationData::new(
            vec![0.0, 0.0, 2.0, 2.0, 3.0, 7.0, 1200.0],
            vec![0.0, 0.0, 3.5, 10.0, 20.5, 30.0, 37.0],
            vec![38.0, 20.0, 38.0, 38.0, 38.0, 38.0, 38.0],
            TimeUnit::Weeks,
        )
        .unwrap();
        let grp = d.grouped();
        let n = grp.grid.len();
        let grad = |k: f64, q: [f64; 4]| {
            let (mut lg, mut ig, mut g) = (vec![0.0; n], vec![0.0; n], [0.0; 4]);
            grouped_ll::<false>(k, q, &grp, &mut lg, &mut ig, &mut g, &mut []);
            g
        };
        for k in [0.0, 1.0] {
            let p = [0.7, 3.1, 0.9, 2.2];
            let (mut lg, mut ig, mut g, mut h) = (vec![0.0; n], vec![0.0; n], [0.0; 4], [0.0; 16]);
            let ll_h = grouped_ll::<true>(k, p, &grp, &mut lg, &mut ig, &mut g, &mut h);
            let mut g0 = [0.0; 4];
            let ll = grouped_ll::<false>(k, p, &grp, &mut lg, &mut ig, &mut g0, &mut []);
            assert_eq!(ll.to_bits(), ll_h.to_bits());
            assert_eq!(g.map(f64::to_bits), g0.map(f64::to_bits));
            for j in 0..4 {
                let step = 1e-6 * p[j];
                let (mut pp, mut pm) = (p, p);
                pp[j] += step;
                pm[j] -= step;
                let (gp, gm) = (grad(k, pp), grad(k, pm));
                for i in 0..4 {
                    let fd = (gp[i] - gm[i]) / (2.0 * step);
                    let an = h[i * 4 + j];
                    assert!(
                        (fd - an).abs() < 1e-5 * (1.0 + fd.abs()),
                        "k {k} H[{i}][{j}]: finite differences {fd} vs analytic {an}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_pass_split_anywhere_adds_up_to_the_whole() {
        use crate::ltv::data::TimeUnit;
        let d = CalibrationData::new(
            vec![0.0, 0.0, 2.0, 2.0, 2.0, 3.0, 7.0, 1200.0],
            vec![0.0, 0.0, 3.5, 9.0, 10.0, 20.5, 30.0, 37.0],
            vec![38.0, 20.0, 38.0, 38.0, 30.0, 38.0, 38.0, 38.0],
            TimeUnit::Weeks,
        )
        .unwrap();
        let grp = d.grouped();
        let p = [0.7, 3.1, 0.9, 2.2];
        let (mut lg, mut ig) = (vec![0.0; grp.grid.len()], vec![0.0; grp.grid.len()]);
        let mut g = [0.0; 4];
        grouped_ll::<false>(0.0, p, &grp, &mut lg, &mut ig, &mut g, &mut []);
        let n = grp.len();
        let (ll, g0, h0) = pass::<true>(0.0, p, &grp, &lg, &ig, 0, n);
        for mid in 0..=n {
            let (l1, g1, h1) = pass::<true>(0.0, p, &grp, &lg, &ig, 0, mid);
            let (l2, g2, h2) = pass::<true>(0.0, p, &grp, &lg, &ig, mid, n);
            assert!((l1 + l2 - ll).abs() < 1e-9 * ll.abs(), "split at {mid}");
            for j in 0..4 {
                assert!((g1[j] + g2[j] - g0[j]).abs() < 1e-9 * (1.0 + g0[j].abs()));
            }
            for j in 0..16 {
                assert!((h1[j] + h2[j] - h0[j]).abs() < 1e-9 * (1.0 + h0[j].abs()));
            }
        }
    }
}
