//! Interval estimates of campaign uplift: Wilson score intervals for one proportion, Newcombe's
//! hybrid score interval for a difference of two proportions, and Welch's t interval for a
//! difference of two means. References and formulas: `docs/campaigns.md`.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use crate::{Error, Result};

/// A two-sided confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

/// Checks a confidence level (strictly between 0 and 1).
pub(crate) fn check_confidence(confidence: f64) -> Result<()> {
    if confidence.is_finite() && confidence > 0.0 && confidence < 1.0 {
        Ok(())
    } else {
        Err(Error::option(
            "confidence",
            confidence,
            "must be strictly between 0 and 1 (e.g. 0.95)",
        ))
    }
}

/// The two-sided standard normal quantile `z` for a confidence level (1.959964 for 0.95).
#[must_use]
pub fn normal_quantile(confidence: f64) -> f64 {
    let n = Normal::standard();
    n.inverse_cdf(0.5 + confidence / 2.0)
}

/// Wilson's score interval for `successes` of `trials` (Wilson 1927); `None` without trials.
#[must_use]
pub fn wilson(successes: u64, trials: u64, z: f64) -> Option<Interval> {
    if trials == 0 || successes > trials {
        return None;
    }
    let n = trials as f64;
    let x = successes as f64;
    let z2 = z * z;
    let center = (x + z2 / 2.0) / (n + z2);
    let half = z / (n + z2) * (x * (n - x) / n + z2 / 4.0).sqrt();
    // Clamp rounding at the ends: the interval of 0/n starts at 0 exactly, n/n ends at 1.
    let low = if successes == 0 {
        0.0
    } else {
        (center - half).max(0.0)
    };
    let high = if successes == trials {
        1.0
    } else {
        (center + half).min(1.0)
    };
    Some(Interval { low, high })
}

/// Newcombe's hybrid score interval (Newcombe 1998, method 10) for `p1 − p2`, with
/// `p1 = x1 / n1` and `p2 = x2 / n2`, from the two Wilson intervals `(l1, u1)`, `(l2, u2)`:
///
/// ```text
/// L = d − sqrt((p1 − l1)² + (u2 − p2)²),   U = d + sqrt((u1 − p1)² + (p2 − l2)²)
/// ```
#[must_use]
pub fn newcombe(x1: u64, n1: u64, x2: u64, n2: u64, z: f64) -> Option<Interval> {
    let w1 = wilson(x1, n1, z)?;
    let w2 = wilson(x2, n2, z)?;
    let p1 = x1 as f64 / n1 as f64;
    let p2 = x2 as f64 / n2 as f64;
    let d = p1 - p2;
    Some(Interval {
        low: d - ((p1 - w1.low).powi(2) + (w2.high - p2).powi(2)).sqrt(),
        high: d + ((w1.high - p1).powi(2) + (p2 - w2.low).powi(2)).sqrt(),
    })
}

/// Welch's t interval for a difference of means `m1 − m2` (Welch 1947), from each group's size,
/// mean and sample variance (denominator `n − 1`): the difference, its standard error, the
/// Welch–Satterthwaite degrees of freedom and the interval. `None` when a group has fewer than
/// two members or both variances are zero (the interval is undefined).
#[must_use]
pub fn welch(
    n1: u64,
    mean1: f64,
    var1: f64,
    n2: u64,
    mean2: f64,
    var2: f64,
    confidence: f64,
) -> Option<WelchResult> {
    if n1 < 2 || n2 < 2 {
        return None;
    }
    let a = var1 / n1 as f64;
    let b = var2 / n2 as f64;
    let se2 = a + b;
    if !(se2 > 0.0 && se2.is_finite()) {
        return None;
    }
    let se = se2.sqrt();
    let df = se2 * se2 / (a * a / (n1 - 1) as f64 + b * b / (n2 - 1) as f64);
    let t = StudentsT::new(0.0, 1.0, df).ok()?;
    let q = t.inverse_cdf(0.5 + confidence / 2.0);
    let diff = mean1 - mean2;
    Some(WelchResult {
        difference: diff,
        standard_error: se,
        degrees_of_freedom: df,
        interval: Interval {
            low: diff - q * se,
            high: diff + q * se,
        },
    })
}

/// The result of [`welch`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WelchResult {
    /// `mean1 − mean2`.
    pub difference: f64,
    /// `sqrt(var1 / n1 + var2 / n2)`.
    pub standard_error: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub degrees_of_freedom: f64,
    /// The interval `difference ± t(df) · standard_error`.
    pub interval: Interval,
}

/// Size, sum and sum of squares of a group's per-member values, in integer money units: the
/// mean and sample variance exactly where `i128` holds them (see [`Moments::variance`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Moments {
    pub(crate) n: u64,
    pub(crate) sum: i128,
    /// `None` once the sum of squares overflowed `i128` (then `sum_sq_f64` is used).
    pub(crate) sum_sq: Option<i128>,
    pub(crate) sum_sq_f64: F64Bits,
}

/// An `f64` that compares by bits (so [`Moments`] can be `Eq`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct F64Bits(u64);

impl F64Bits {
    fn get(self) -> f64 {
        f64::from_bits(self.0)
    }
    fn add(&mut self, v: f64) {
        self.0 = (self.get() + v).to_bits();
    }
}

impl Default for Moments {
    fn default() -> Self {
        Self::new()
    }
}

impl Moments {
    pub(crate) fn new() -> Self {
        Self {
            n: 0,
            sum: 0,
            sum_sq: Some(0),
            sum_sq_f64: F64Bits::default(),
        }
    }
    /// Adds one member's value (units).
    pub(crate) fn push(&mut self, units: i128) {
        self.n += 1;
        self.sum += units;
        self.sum_sq = self
            .sum_sq
            .and_then(|s| units.checked_mul(units).and_then(|q| s.checked_add(q)));
        let f = units as f64;
        self.sum_sq_f64.add(f * f);
    }
    /// Mean in units.
    pub(crate) fn mean(&self) -> f64 {
        if self.n == 0 {
            return f64::NAN;
        }
        self.sum as f64 / self.n as f64
    }
    /// Sample variance in units² (`n − 1` denominator): `(n Σx² − (Σx)²) / (n (n − 1))`, with
    /// the numerator computed exactly in `i128` when it fits.
    pub(crate) fn variance(&self) -> f64 {
        if self.n < 2 {
            return f64::NAN;
        }
        let n = i128::from(self.n);
        let exact = self.sum_sq.and_then(|sq| {
            n.checked_mul(sq).and_then(|a| {
                self.sum
                    .checked_mul(self.sum)
                    .and_then(|b| a.checked_sub(b))
            })
        });
        let nf = self.n as f64;
        if let Some(num) = exact {
            num as f64 / (nf * (nf - 1.0))
        } else {
            let m = self.mean();
            ((self.sum_sq_f64.get() - nf * m * m) / (nf - 1.0)).max(0.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_textbook_values() {
        // Newcombe (1998) table I, example (a): 81/263, 95% interval 0.2553 to 0.3662.
        let z = normal_quantile(0.95);
        let w = wilson(81, 263, z).unwrap();
        assert!(
            (w.low - 0.2553).abs() < 5e-5 && (w.high - 0.3662).abs() < 5e-5,
            "{w:?}"
        );
        // Example (e): 0/20 gives 0 to 0.1611.
        let w = wilson(0, 20, z).unwrap();
        assert!(w.low == 0.0 && (w.high - 0.1611).abs() < 5e-5, "{w:?}");
        assert!(wilson(1, 0, z).is_none());
    }

    #[test]
    fn newcombe_published_examples() {
        // Newcombe (1998), Statistics in Medicine 17:873-890, table II, method 10:
        // (a) 56/70 - 48/80: 0.0524 to 0.3339; (d) 9/10 - 3/10: 0.1705 to 0.8090.
        let z = normal_quantile(0.95);
        let i = newcombe(56, 70, 48, 80, z).unwrap();
        assert!(
            (i.low - 0.0524).abs() < 5e-5 && (i.high - 0.3339).abs() < 5e-5,
            "{i:?}"
        );
        let i = newcombe(9, 10, 3, 10, z).unwrap();
        assert!(
            (i.low - 0.1705).abs() < 5e-5 && (i.high - 0.8090).abs() < 5e-5,
            "{i:?}"
        );
    }

    #[test]
    fn welch_matches_a_hand_computation() {
        // Group 1: 1, 2, 3, 4 (mean 2.5, var 5/3); group 2: 2, 4 (mean 3, var 2).
        let r = welch(4, 2.5, 5.0 / 3.0, 2, 3.0, 2.0, 0.95).unwrap();
        let a: f64 = 5.0 / 12.0;
        let b: f64 = 1.0;
        let df = (a + b).powi(2) / (a * a / 3.0 + b * b / 1.0);
        assert!((r.degrees_of_freedom - df).abs() < 1e-12);
        assert!((r.standard_error - (a + b).sqrt()).abs() < 1e-12);
        assert!(welch(1, 0.0, 0.0, 5, 1.0, 1.0, 0.95).is_none());
        assert!(welch(3, 0.0, 0.0, 5, 0.0, 0.0, 0.95).is_none());
    }

    #[test]
    fn moments_are_exact() {
        let mut m = Moments::new();
        for v in [0_i128, 0, 1000, 2500] {
            m.push(v);
        }
        assert_eq!(m.n, 4);
        assert!((m.mean() - 875.0).abs() < 1e-12);
        // var = (4 * (1e6 + 6.25e6) - 3500^2) / 12 = (29e6 - 12.25e6) / 12
        assert!((m.variance() - 16.75e6 / 12.0).abs() < 1e-6);
    }
}
