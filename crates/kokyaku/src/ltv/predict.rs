//! Batch predictions over [`CalibrationData`], customer lifetime value and holdout evaluation.
//!
//! Batch functions write into caller-provided slices and allocate nothing per customer, so the
//! bindings can hand over columns and get columns back.

use std::collections::HashMap;

use super::PurchaseModel;
use super::data::CalibrationData;
use super::gamma_gamma::GammaGamma;
use crate::{Error, Result};

/// How to compute discounted customer lifetime value (CLV).
///
/// CLV follows `lifetimes`' `customer_lifetime_value`: the horizon is cut into discount periods
/// of `discount_period` time units; the expected purchases of period `k` are
/// `E[Y(k·p)] − E[Y((k−1)·p)]` (conditional on the customer's history), valued at the
/// Gamma-Gamma conditional expected spend and discounted by `(1 + discount_rate)^−k`:
///
/// ```text
/// CLV = margin · E[Z | x, z̄] · Σ_{k=1}^{K} (E[Y(k p)] − E[Y((k−1) p)]) / (1 + d)^k
/// ```
///
/// with the last period cut at `horizon`. All times are in the data's [`super::TimeUnit`]; e.g. with
/// weekly data, a 1-year horizon and a monthly rate of 1%: `horizon = 52.18`,
/// `discount_period = 4.348`, `discount_rate = 0.01`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ClvOptions {
    /// Length of the horizon, in the data's time unit.
    pub horizon: f64,
    /// Length of the period the discount rate applies to, in the data's time unit.
    pub discount_period: f64,
    /// Discount rate per `discount_period` (0.01 = 1% per period).
    pub discount_rate: f64,
    /// Profit margin applied to spend (1 = revenue).
    pub margin: f64,
}

impl Default for ClvOptions {
    /// 12 periods of 4.348 weeks (a year of months, for weekly data) at 1% per period.
    fn default() -> Self {
        Self {
            horizon: 12.0 * 365.25 / 12.0 / 7.0,
            discount_period: 365.25 / 12.0 / 7.0,
            discount_rate: 0.01,
            margin: 1.0,
        }
    }
}

impl ClvOptions {
    fn validate(&self) -> Result<()> {
        if !(self.horizon.is_finite() && self.horizon >= 0.0) {
            return Err(Error::option(
                "horizon",
                self.horizon,
                "must be a finite number >= 0",
            ));
        }
        if !(self.discount_period.is_finite() && self.discount_period > 0.0) {
            return Err(Error::option(
                "discount_period",
                self.discount_period,
                "must be > 0",
            ));
        }
        if !(self.discount_rate.is_finite() && self.discount_rate > -1.0) {
            return Err(Error::option(
                "discount_rate",
                self.discount_rate,
                "must be > -1",
            ));
        }
        if !self.margin.is_finite() {
            return Err(Error::option("margin", self.margin, "must be finite"));
        }
        if self.horizon / self.discount_period > 1e6 {
            return Err(Error::option(
                "discount_period",
                self.discount_period,
                "more than 10^6 periods in the horizon",
            ));
        }
        Ok(())
    }

    /// Discount-weighted expected purchases of a customer alive at `T`.
    fn discounted_if_alive<M: PurchaseModel + ?Sized>(&self, model: &M, x: f64, t: f64) -> f64 {
        let n_periods = (self.horizon / self.discount_period).ceil() as u64;
        let mut prev = 0.0;
        let mut total = 0.0;
        let mut factor = 1.0;
        let v = 1.0 / (1.0 + self.discount_rate);
        for k in 1..=n_periods {
            let end = (k as f64 * self.discount_period).min(self.horizon);
            let e = model.expected_purchases_if_alive(end, x, t);
            factor *= v;
            total += (e - prev) * factor;
            prev = e;
        }
        total
    }
}

fn check_out(data: &CalibrationData, out: &[f64]) -> Result<()> {
    if out.len() == data.len() {
        Ok(())
    } else {
        Err(Error::option(
            "out",
            out.len(),
            format!("output slice must have {} elements", data.len()),
        ))
    }
}

/// Discounted CLV of one customer (see [`ClvOptions`]).
pub fn clv<M: PurchaseModel + ?Sized>(
    model: &M,
    spend: &GammaGamma,
    x: f64,
    t_x: f64,
    t: f64,
    mean_value: f64,
    options: &ClvOptions,
) -> Result<f64> {
    options.validate()?;
    Ok(options.margin
        * spend.conditional_expected_spend(x, mean_value)
        * model.p_alive(x, t_x, t)
        * options.discounted_if_alive(model, x, t))
}

/// Discounted CLV of every customer of `data` (needs `monetary`), written into `out`.
///
/// The horizon part depends on `(x, T)` only, so it is computed once per distinct pair (order
/// logs in days have few); per customer the cost is P(alive) and the spend.
pub fn clv_batch<M: PurchaseModel + ?Sized>(
    model: &M,
    spend: &GammaGamma,
    data: &CalibrationData,
    options: &ClvOptions,
    out: &mut [f64],
) -> Result<()> {
    clv_impl(model, spend, data, options, None, out)
}

/// P(alive) and discounted CLV of every customer in one pass (P(alive) computed once).
pub fn p_alive_and_clv_batch<M: PurchaseModel + ?Sized>(
    model: &M,
    spend: &GammaGamma,
    data: &CalibrationData,
    options: &ClvOptions,
    p_alive: &mut [f64],
    clv: &mut [f64],
) -> Result<()> {
    check_out(data, p_alive)?;
    clv_impl(model, spend, data, options, Some(p_alive), clv)
}

fn clv_impl<M: PurchaseModel + ?Sized>(
    model: &M,
    spend: &GammaGamma,
    data: &CalibrationData,
    options: &ClvOptions,
    mut p_alive: Option<&mut [f64]>,
    out: &mut [f64],
) -> Result<()> {
    options.validate()?;
    check_out(data, out)?;
    let monetary = data.monetary.as_ref().ok_or_else(|| Error::MissingColumn {
        column: "monetary_value".into(),
        hint: "CLV needs the mean repeat-purchase value per customer".into(),
    })?;
    let mut cache: HashMap<(u64, u64), f64, foldhash::fast::FixedState> = HashMap::default();
    for i in 0..data.len() {
        let (x, t) = (data.x[i], data.t[i]);
        let h = *cache
            .entry((x.to_bits(), t.to_bits()))
            .or_insert_with(|| options.discounted_if_alive(model, x, t));
        let pa = model.p_alive(x, data.t_x[i], t);
        if let Some(p) = p_alive.as_deref_mut() {
            p[i] = pa;
        }
        out[i] = options.margin * spend.conditional_expected_spend(x, monetary[i]) * pa * h;
    }
    Ok(())
}

/// P(alive at T) of every customer, written into `out`.
pub fn p_alive_batch<M: PurchaseModel + ?Sized>(
    model: &M,
    data: &CalibrationData,
    out: &mut [f64],
) -> Result<()> {
    check_out(data, out)?;
    for (i, o) in out.iter_mut().enumerate() {
        *o = model.p_alive(data.x[i], data.t_x[i], data.t[i]);
    }
    Ok(())
}

/// P(alive at T + future) of every customer, written into `out`.
pub fn p_alive_at_batch<M: PurchaseModel + ?Sized>(
    model: &M,
    data: &CalibrationData,
    future: f64,
    out: &mut [f64],
) -> Result<()> {
    check_out(data, out)?;
    for (i, o) in out.iter_mut().enumerate() {
        *o = model.p_alive_at(data.x[i], data.t_x[i], data.t[i], future);
    }
    Ok(())
}

/// `E[Y(horizon) | x, t_x, T]` of every customer, written into `out`.
pub fn conditional_expected_purchases_batch<M: PurchaseModel + ?Sized>(
    model: &M,
    data: &CalibrationData,
    horizon: f64,
    out: &mut [f64],
) -> Result<()> {
    check_out(data, out)?;
    for (i, o) in out.iter_mut().enumerate() {
        *o = model.conditional_expected_purchases(horizon, data.x[i], data.t_x[i], data.t[i]);
    }
    Ok(())
}

/// Holdout fit: per-customer error and aggregates.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HoldoutEvaluation {
    /// Predicted minus actual, per customer.
    pub error: Vec<f64>,
    /// Mean absolute error.
    pub mae: f64,
    /// Root mean squared error.
    pub rmse: f64,
    /// Sum of predictions.
    pub total_predicted: f64,
    /// Sum of actuals.
    pub total_actual: f64,
    /// Pearson correlation between predicted and actual (NaN if either is constant).
    pub correlation: f64,
}

/// Compare predictions with holdout actuals (same length, same customer order).
pub fn evaluate_holdout(predicted: &[f64], actual: &[f64]) -> Result<HoldoutEvaluation> {
    if predicted.len() != actual.len() {
        return Err(Error::option(
            "actual",
            actual.len(),
            format!("expected {} values, one per prediction", predicted.len()),
        ));
    }
    if predicted.is_empty() {
        return Err(Error::EmptyInput("holdout evaluation: no customers".into()));
    }
    let n = predicted.len() as f64;
    let error: Vec<f64> = predicted.iter().zip(actual).map(|(p, a)| p - a).collect();
    let mae = error.iter().map(|e| e.abs()).sum::<f64>() / n;
    let rmse = (error.iter().map(|e| e * e).sum::<f64>() / n).sqrt();
    let total_predicted: f64 = predicted.iter().sum();
    let total_actual: f64 = actual.iter().sum();
    let (mp, ma) = (total_predicted / n, total_actual / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (p, a) in predicted.iter().zip(actual) {
        sxy += (p - mp) * (a - ma);
        sxx += (p - mp) * (p - mp);
        syy += (a - ma) * (a - ma);
    }
    let correlation = if sxx > 0.0 && syy > 0.0 {
        sxy / (sxx * syy).sqrt()
    } else {
        f64::NAN
    };
    Ok(HoldoutEvaluation {
        error,
        mae,
        rmse,
        total_predicted,
        total_actual,
        correlation,
    })
}

/// Aggregate tracking (FHL 2005 fig. 1): expected cumulative repeat purchases of the whole cohort
/// at each time in `period_ends`, where customer `i` made the first purchase at `first_purchase[i]`
/// (same origin and unit as `period_ends`): `Σ_i E[X(τ − s_i)]` over customers with `s_i < τ`.
/// Customers are grouped by first-purchase time, so the cost is O(distinct times × periods).
#[must_use]
pub fn tracking_expected_cumulative<M: PurchaseModel + ?Sized>(
    model: &M,
    first_purchase: &[f64],
    period_ends: &[f64],
) -> Vec<f64> {
    let mut births: Vec<f64> = first_purchase
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    births.sort_by(f64::total_cmp);
    let mut groups: Vec<(f64, f64)> = Vec::new();
    for b in births {
        match groups.last_mut() {
            Some((v, n)) if v.to_bits() == b.to_bits() => *n += 1.0,
            _ => groups.push((b, 1.0)),
        }
    }
    period_ends
        .iter()
        .map(|&tau| {
            groups
                .iter()
                .filter(|(s, _)| *s < tau)
                .map(|(s, n)| n * model.expected_purchases(tau - s))
                .sum()
        })
        .collect()
}
