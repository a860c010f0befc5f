//! Special functions in log space used by the buy-till-you-die models.
//!
//! `ln_gamma` and `digamma` come from `statrs`, `trigamma` from `special`. Written here, because no pure-Rust crate offers them
//! with what the models need: `log(exp(a) + exp(b))`, the log of a Gauss hypergeometric series
//! `2F1(a, b; c; z)` for `0 <= z < 1` that does not overflow for parameters in the thousands, and
//! the special case `2F1(a, b; a + 1; z)` of the Pareto/NBD likelihood together with its partial
//! derivatives.

pub(crate) use statrs::function::gamma::{digamma, ln_gamma};

/// The trigamma function `ψ'(x)` (from the `special` crate; `statrs` has none), for the analytic
/// Hessians of the BG/NBD and Gamma-Gamma likelihoods.
#[inline]
pub(crate) fn trigamma(x: f64) -> f64 {
    special::Gamma::trigamma(&x)
}

/// `ln(exp(a) + exp(b))` without overflow; `-inf` terms are neutral.
#[inline]
pub(crate) fn log_add_exp(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let m = a.max(b);
    m + (-(a - b).abs()).exp().ln_1p()
}

/// `ln B(a, b)`.
#[inline]
pub(crate) fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// Most series terms summed before giving up (returns NaN).
const MAX_TERMS: usize = 2_000_000;
/// Rescale the running sums when a term exceeds this, keeping the log of the scale.
const RESCALE_AT: f64 = 1e250;

/// `ln 2F1(a, b; c; z)` for `a, b, c > 0` and `0 <= z < 1` by its power series (all terms
/// positive, so no cancellation), summed with a running scale so that values like `2^5000` stay
/// representable. Returns NaN outside the domain or if the series did not converge.
pub(crate) fn ln_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    if !(a > 0.0 && b > 0.0 && c > 0.0 && (0.0..1.0).contains(&z)) {
        return f64::NAN;
    }
    if z == 0.0 {
        return 0.0;
    }
    let mut term = 1.0_f64;
    let mut sum = 1.0_f64;
    let mut ln_scale = 0.0_f64;
    for n in 0..MAX_TERMS {
        let nf = n as f64;
        term *= (a + nf) * (b + nf) / ((c + nf) * (nf + 1.0)) * z;
        sum += term;
        if sum > RESCALE_AT {
            sum /= RESCALE_AT;
            term /= RESCALE_AT;
            ln_scale += RESCALE_AT.ln();
        }
        // Stop once terms are tiny and shrinking (ratio < 1 from here on since z < 1 and the
        // ratio decreases towards z once n exceeds the parameters).
        let ratio = (a + nf + 1.0) * (b + nf + 1.0) / ((c + nf + 1.0) * (nf + 2.0)) * z;
        if term <= sum * 1e-17 && ratio < 1.0 {
            return sum.ln() + ln_scale;
        }
    }
    f64::NAN
}

/// `ln 2F1(a, b; a + 1; z)` and its partial derivatives `(d/da, d/db, d/dz)` of the log, for
/// `a, b > 0`, `0 <= z < 1` (the form in the Pareto/NBD likelihood, Fader & Hardie 2005).
///
/// Term `n` of the series is `a/(a+n) (b)_n z^n / n!`, so
/// `d ln t_n / da = 1/a - 1/(a+n)`, `d ln t_n / db = sum_{k<n} 1/(b+k)`, `d ln t_n / dz = n/z`,
/// all accumulated in the same pass.
pub(crate) fn ln_hyp2f1_a_a1(a: f64, b: f64, z: f64) -> (f64, f64, f64, f64) {
    let nan = (f64::NAN, f64::NAN, f64::NAN, f64::NAN);
    if !(a > 0.0 && b > 0.0 && (0.0..1.0).contains(&z)) {
        return nan;
    }
    if z == 0.0 {
        // F = 1; dF/dz = a b / (a + 1).
        return (0.0, 0.0, 0.0, a * b / (a + 1.0));
    }
    let mut sum = 1.0_f64;
    let mut s_a = 0.0_f64;
    let mut s_b = 0.0_f64;
    let mut s_z = 0.0_f64;
    // `base` = (b)_n z^n / n! (scaled); the term is a/(a+n) * base.
    let mut base = 1.0_f64;
    let mut dlb = 0.0_f64; // sum_{k<n} 1/(b+k)
    let mut ln_scale = 0.0_f64;
    for n in 1..MAX_TERMS {
        let nf = n as f64;
        base *= (b + nf - 1.0) / nf * z;
        dlb += 1.0 / (b + nf - 1.0);
        let term = a / (a + nf) * base;
        sum += term;
        s_a += term * (1.0 / a - 1.0 / (a + nf));
        s_b += term * dlb;
        s_z += term * nf;
        if sum > RESCALE_AT {
            sum /= RESCALE_AT;
            s_a /= RESCALE_AT;
            s_b /= RESCALE_AT;
            s_z /= RESCALE_AT;
            base /= RESCALE_AT;
            ln_scale += RESCALE_AT.ln();
        }
        let ratio = (b + nf) / (nf + 1.0) * z;
        if term * nf <= sum * 1e-17 && ratio < 1.0 && term * dlb <= s_b.abs() * 1e-17 + 1e-300 {
            return (sum.ln() + ln_scale, s_a / sum, s_b / sum, s_z / (sum * z));
        }
    }
    nan
}

/// Gauss-Legendre nodes and weights on `[-1, 1]` (Newton iteration on the Legendre recurrence).
fn gauss_legendre(n: usize) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        let mut dp = 1.0;
        for _ in 0..100 {
            let (mut p0, mut p1) = (1.0, x);
            for k in 2..=n {
                let kf = k as f64;
                let p2 = ((2.0 * kf - 1.0) * x * p1 - (kf - 1.0) * p0) / kf;
                p0 = p1;
                p1 = p2;
            }
            dp = n as f64 * (x * p1 - p0) / (x * x - 1.0);
            let dx = p1 / dp;
            x -= dx;
            if dx.abs() < 1e-16 {
                break;
            }
        }
        out.push((x, 2.0 / ((1.0 - x * x) * dp * dp)));
    }
    out
}

/// `∫_lo^hi f` by composite 40-point Gauss-Legendre on panels that shrink geometrically towards
/// `hi` (where the integrands used here vary fastest).
pub(crate) fn integrate(f: impl Fn(f64) -> f64, lo: f64, hi: f64) -> f64 {
    integrate_panels(|u| f(lo + (hi - lo) * u), hi - lo)
}

/// As [`integrate`] with the panels shrinking towards `lo` instead.
pub(crate) fn integrate_toward_lo(f: impl Fn(f64) -> f64, lo: f64, hi: f64) -> f64 {
    integrate_panels(|u| f(hi - (hi - lo) * u), hi - lo)
}

/// As [`integrate_toward_lo`] for a vector-valued integrand (one pass over the nodes).
pub(crate) fn integrate_toward_lo_vec<const N: usize>(
    f: impl Fn(f64) -> [f64; N],
    lo: f64,
    hi: f64,
) -> [f64; N] {
    let len = hi - lo;
    NODES.with(|nodes| {
        let mut total = [0.0; N];
        let mut a = 0.0;
        for k in 0..12 {
            let b = if k == 11 { 1.0 } else { a + (1.0 - a) / 2.0 };
            let (m, h) = (f64::midpoint(a, b), (b - a) / 2.0);
            for &(x, w) in nodes {
                let v = f(hi - len * (m + h * x));
                for j in 0..N {
                    total[j] += w * h * v[j];
                }
            }
            a = b;
        }
        total.map(|v| v * len)
    })
}

thread_local! {
    static NODES: Vec<(f64, f64)> = gauss_legendre(40);
}

/// `len · ∫_0^1 g(u) du` on panels [0, 1/2], [1/2, 3/4], ... (12 panels, 40 nodes each).
fn integrate_panels(g: impl Fn(f64) -> f64, len: f64) -> f64 {
    NODES.with(|nodes| {
        let mut total = 0.0;
        let mut a = 0.0;
        for k in 0..12 {
            let b = if k == 11 { 1.0 } else { a + (1.0 - a) / 2.0 };
            let (m, h) = (f64::midpoint(a, b), (b - a) / 2.0);
            total += nodes.iter().map(|&(x, w)| w * g(m + h * x)).sum::<f64>() * h;
            a = b;
        }
        total * len
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quadrature() {
        let v = integrate(f64::exp, 0.0, 1.0);
        assert!((v - (1.0_f64.exp() - 1.0)).abs() < 1e-14, "{v}");
        let v = integrate(|x| (1.0 - x).powf(-0.5), 0.0, 0.99);
        assert!((v - 2.0 * (1.0 - 0.1)).abs() < 1e-12, "{v}");
    }

    #[test]
    fn hyp2f1_known_values() {
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z
        let z = 0.75_f64;
        let want = (-(1.0 - z).ln() / z).ln();
        assert!((ln_hyp2f1(1.0, 1.0, 2.0, z) - want).abs() < 1e-13);
        let (v, _, _, _) = ln_hyp2f1_a_a1(1.0, 1.0, z);
        assert!((v - want).abs() < 1e-13);
        // 2F1(a, b; b; z) = (1 - z)^-a
        let want = -2.5 * (1.0_f64 - 0.3).ln();
        assert!((ln_hyp2f1(2.5, 4.0, 4.0, 0.3) - want).abs() < 1e-13);
        // Huge values stay finite in log space: 2F1(a, b; b; 0.5) = 2^a
        let want = 5000.0 * 2.0_f64.ln();
        assert!((ln_hyp2f1(5000.0, 7.0, 7.0, 0.5) - want).abs() < 1e-9 * want);
    }

    #[test]
    fn hyp2f1_a_a1_derivatives_match_finite_differences() {
        let (a, b, z) = (3.7, 1.6, 0.42);
        let (_, da, db, dz) = ln_hyp2f1_a_a1(a, b, z);
        let h = 1e-6;
        let f = |a: f64, b: f64, z: f64| ln_hyp2f1_a_a1(a, b, z).0;
        let fa = (f(a + h, b, z) - f(a - h, b, z)) / (2.0 * h);
        let fb = (f(a, b + h, z) - f(a, b - h, z)) / (2.0 * h);
        let fz = (f(a, b, z + h) - f(a, b, z - h)) / (2.0 * h);
        assert!((da - fa).abs() < 1e-8, "{da} {fa}");
        assert!((db - fb).abs() < 1e-8, "{db} {fb}");
        assert!((dz - fz).abs() < 1e-8, "{dz} {fz}");
        // Agrees with the general series.
        assert!((f(a, b, z) - ln_hyp2f1(a, b, a + 1.0, z)).abs() < 1e-13);
    }
}
