//! LTV curves, payback and predicted LTV per acquisition split.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::cohort::Period;
use crate::ltv::{
    CalibrationData, CalibrationOptions, FitOptions, GammaGamma, ModelKind, TimeUnit,
    calibration_from_log, fit_purchase_model,
};
use crate::model::{LineTable, OrderLog, OrderStatus, day_to_date};
use crate::{Error, Result};

/// What splits customers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitBy {
    /// The kind (`one_off` / `subscription`) of the first completed order.
    FirstOrderKind,
    /// The product (SKU) of the first completed order: its line of the largest amount
    /// (quantity × unit price; on a tie the line given first). Needs order lines.
    FirstProduct,
    /// A customer attribute (channel, ad code …) from the customer records.
    Attribute(String),
}

impl SplitBy {
    /// Parses `first_order_kind`, `first_product`, `attr.NAME`, or a bare attribute name
    /// (`channel`).
    pub fn parse(s: &str) -> Result<Self> {
        let t = s.trim();
        if t.is_empty() {
            return Err(Error::option(
                "by",
                s,
                "name a split: first_order_kind, first_product, attr.NAME or an attribute name",
            ));
        }
        if t.eq_ignore_ascii_case("first_order_kind") {
            return Ok(Self::FirstOrderKind);
        }
        if t.eq_ignore_ascii_case("first_product") {
            return Ok(Self::FirstProduct);
        }
        let name = t.strip_prefix("attr.").unwrap_or(t);
        if name.is_empty() {
            return Err(Error::option(
                "by",
                s,
                "attr. needs an attribute name, e.g. attr.channel",
            ));
        }
        Ok(Self::Attribute(name.to_owned()))
    }
    /// The name as given to [`SplitBy::parse`] (`first_order_kind`, `attr.NAME`).
    #[must_use]
    pub fn name(&self) -> String {
        match self {
            Self::FirstOrderKind => "first_order_kind".into(),
            Self::FirstProduct => "first_product".into(),
            Self::Attribute(a) => format!("attr.{a}"),
        }
    }
}

/// The cost of acquiring a customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cpa {
    /// One CPA for every split.
    Single(Decimal),
    /// A CPA per split value (splits not named have none).
    PerSplit(BTreeMap<String, Decimal>),
}

/// Options of [`acquisition`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AcquisitionOptions {
    /// The split: `first_order_kind`, `first_product`, `attr.NAME` or an attribute name.
    /// Default `attr.channel`.
    pub by: String,
    /// Analysis day, inclusive. Default: the day after the last order.
    pub as_of: Option<NaiveDate>,
    /// Largest month offset reported (months `0..=max_months`). Default: as far as observed.
    pub max_months: Option<u32>,
    /// CPA: one amount, or an amount per split value.
    pub cpa: Option<Cpa>,
    /// Fit a model per split and predict (default true).
    pub predict: bool,
    /// Purchase model for the prediction (default `bg-nbd`).
    pub model: ModelKind,
    /// Prediction horizon in months of 365.25 / 12 days since the first order (default 12).
    pub horizon_months: u32,
    /// Splits with fewer customers are not fitted (default 20).
    pub min_customers_to_fit: u64,
}

impl Default for AcquisitionOptions {
    fn default() -> Self {
        Self {
            by: "attr.channel".into(),
            as_of: None,
            max_months: None,
            cpa: None,
            predict: true,
            model: ModelKind::BgNbd,
            horizon_months: 12,
            min_customers_to_fit: 20,
        }
    }
}

/// One month of a split's LTV curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurvePoint {
    /// Months since the first order's month (0 = that month).
    pub month: u32,
    /// Customers whose month `month` is fully observed (the curve's denominator).
    pub customers: u64,
    /// Their net revenue in months `0..=month` (exact).
    pub cumulative_net_revenue: Decimal,
    /// `cumulative_net_revenue / customers`, rounded half to even at `max(scale, 2)` decimals.
    pub cumulative_net_revenue_per_customer: Option<Decimal>,
}

/// A model's prediction for a split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// The purchase model.
    pub model: String,
    /// Fitted purchase-model parameters (names as in `ltv`).
    pub params: BTreeMap<String, f64>,
    /// Fitted Gamma-Gamma parameters `p`, `q`, `gamma` (absent with fewer than two repeat buyers).
    pub spend_params: Option<BTreeMap<String, f64>>,
    /// Mean net spend of the first purchase day.
    pub first_purchase_value: f64,
    /// Expected value of one repeat purchase (Gamma-Gamma mean, or the observed mean).
    pub repeat_purchase_value: f64,
    /// Per month `1..=horizon_months`: expected repeat purchases of a new customer by then.
    pub expected_repeat_purchases: Vec<f64>,
    /// Per month `1..=horizon_months`: first purchase value + expected repeat purchases ×
    /// repeat value (undiscounted predicted LTV per acquired customer).
    pub ltv: Vec<f64>,
    /// First month (1-based) whose predicted LTV reaches the CPA, if within the horizon.
    pub payback_month: Option<u32>,
}

/// One split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AcquisitionRow {
    /// The split value (`unknown` for customers without the attribute, or whose first order
    /// has no lines when splitting by `first_product`).
    pub split: String,
    /// Customers acquired (first completed order on or before as-of).
    pub customers: u64,
    /// The CPA of this split, if given.
    pub cpa: Option<Decimal>,
    /// The LTV curve, month 0 on; months no customer has fully observed are left out.
    pub curve: Vec<CurvePoint>,
    /// First month whose cumulative net revenue per customer reaches the CPA (`None`: not yet,
    /// or no CPA).
    pub payback_month: Option<u32>,
    /// The model prediction (`None` when not asked for or not fitted; see `prediction_error`).
    pub prediction: Option<Prediction>,
    /// Why there is no prediction, when one was asked for.
    pub prediction_error: Option<String>,
}

/// Acquisition economics of every split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AcquisitionReport {
    /// The split (`first_order_kind`, `attr.NAME`).
    pub by: String,
    /// Analysis day used (inclusive).
    pub as_of: NaiveDate,
    /// Currency, if known.
    pub currency: Option<String>,
    /// The last fully observed month (`YYYY-MM`).
    pub last_observed_month: String,
    /// Splits sorted by value.
    pub rows: Vec<AcquisitionRow>,
}

/// SKU of the line of the largest amount of order `i` (the first such line on a tie), if the
/// order has lines.
fn first_product(lines: &LineTable, i: usize) -> Option<&str> {
    let mut best: Option<(usize, Decimal)> = None;
    for k in lines.range(i) {
        let amount = lines.quantity[k]
            .checked_mul(lines.unit_price[k])
            .unwrap_or(Decimal::MAX);
        if best.is_none_or(|(_, a)| amount > a) {
            best = Some((k, amount));
        }
    }
    best.map(|(k, _)| lines.sku_of(k))
}

fn per(units: i128, scale: u32, n: u64) -> Option<Decimal> {
    if n == 0 {
        return None;
    }
    let out_scale = scale.max(2);
    let num = units * 10_i128.pow(out_scale - scale);
    let d = i128::from(n);
    let (q, r) = (num / d, num % d);
    let twice = 2 * r.abs();
    let q = if twice > d || (twice == d && q % 2 != 0) {
        q + num.signum()
    } else {
        q
    };
    Decimal::try_from_i128_with_scale(q, out_scale).ok()
}

/// Units of `d` at `scale` (`None` when `d` has more decimals than `scale` or overflows).
fn units_of(d: Decimal, scale: u32) -> i128 {
    // CPA × customers is compared with revenue units: scale the CPA up (never round it).
    let m = d.mantissa();
    if d.scale() <= scale {
        m * 10_i128.pow(scale - d.scale())
    } else {
        // More decimals than the money: compare at the CPA's scale by rounding it up
        // (a customer pays back only when revenue reaches the whole CPA).
        let f = 10_i128.pow(d.scale() - scale);
        let q = m / f;
        if m % f > 0 { q + 1 } else { q }
    }
}

struct Split {
    customers: u64,
    /// Per month offset: net revenue units of the split's customers in that month, and the
    /// number of customers whose that month is fully observed.
    net: Vec<i128>,
    observed: Vec<u64>,
    /// Cumulative units over months 0..=k, restricted to customers observed at k: kept per
    /// customer row by adding each customer's running total at every observed month.
    cumulative: Vec<i128>,
    members: Vec<usize>,
}

/// Acquisition economics of `log` split as `opts.by` says (see the module docs), attributes
/// from the log's customer records (`OrderLog::from_records`, `OrderLog::with_customers`).
pub fn acquisition(log: &OrderLog, opts: &AcquisitionOptions) -> Result<AcquisitionReport> {
    acquisition_impl(log, opts)
}

#[allow(clippy::needless_range_loop)] // parallel per-month and per-customer columns
fn acquisition_impl(log: &OrderLog, opts: &AcquisitionOptions) -> Result<AcquisitionReport> {
    let by = SplitBy::parse(&opts.by)?;
    if let SplitBy::Attribute(a) = &by {
        if !log.has_customer_table() {
            return Err(Error::option(
                "by",
                &opts.by,
                format!(
                    "splitting by the attribute '{a}' needs customer records with attributes; give customers, or split by first_order_kind"
                ),
            ));
        }
    }
    if by == SplitBy::FirstProduct && log.lines().is_empty() {
        return Err(Error::option(
            "by",
            &opts.by,
            "splitting by first_product needs order lines (sku, quantity, unit_price columns); this log has none: give the line columns, or split by a customer attribute holding the first product",
        ));
    }
    let lines = log.lines();
    let as_of = log.as_of_day(opts.as_of);
    let period = Period::Monthly;
    let last_observed = period.last_observed(as_of);
    let days = log.days();
    let status = log.statuses();
    let kinds = log.kinds();
    let so = log.amounts().scale();
    let refunds = log.refunds();
    let sr = refunds.amount.scale();
    let scale = so.max(sr);
    let (fo, fr) = (10_i128.pow(scale - so), 10_i128.pow(scale - sr));
    let units = log.amounts().units();
    let r_units = refunds.amount.units();
    let mut splits: BTreeMap<String, Split> = BTreeMap::new();
    let mut month_net: Vec<i128> = Vec::new();
    for c in 0..log.n_customers() {
        let range = log.order_range(c);
        let Some(first) = range
            .clone()
            .find(|&i| status[i] == OrderStatus::Completed && days[i] <= as_of)
        else {
            continue;
        };
        let cohort = period.index(days[first]);
        let width = (last_observed - cohort + 1).max(0) as usize;
        let width = opts.max_months.map_or(width, |m| width.min(m as usize + 1));
        month_net.clear();
        month_net.resize(width.max(1), 0);
        for i in range {
            if status[i] != OrderStatus::Completed || days[i] > as_of {
                continue;
            }
            let k = (period.index(days[i]) - cohort) as usize;
            if let Some(v) = month_net.get_mut(k) {
                *v += i128::from(units[i]) * fo;
            }
        }
        for k in log.refund_range(c) {
            if refunds.day[k] > as_of {
                continue;
            }
            let k_month = (period.index(refunds.day[k]) - cohort).max(0) as usize;
            if let Some(v) = month_net.get_mut(k_month) {
                *v -= i128::from(r_units[k]) * fr;
            }
        }
        let value: &str = match &by {
            SplitBy::FirstOrderKind => kinds[first].as_str(),
            SplitBy::FirstProduct => first_product(lines, first).unwrap_or("unknown"),
            SplitBy::Attribute(a) => log
                .attributes(c)
                .and_then(|m| m.get(a))
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .unwrap_or("unknown"),
        };
        if !splits.contains_key(value) {
            splits.insert(
                value.to_owned(),
                Split {
                    customers: 0,
                    net: Vec::new(),
                    observed: Vec::new(),
                    cumulative: Vec::new(),
                    members: Vec::new(),
                },
            );
        }
        let Some(s) = splits.get_mut(value) else {
            continue;
        };
        s.customers += 1;
        s.members.push(c);
        if s.net.len() < width {
            s.net.resize(width, 0);
            s.observed.resize(width, 0);
            s.cumulative.resize(width, 0);
        }
        let mut running = 0i128;
        for k in 0..width {
            running += month_net[k];
            s.net[k] += month_net[k];
            s.observed[k] += 1;
            s.cumulative[k] += running;
        }
    }
    let cpa_of = |split: &str| -> Option<Decimal> {
        match &opts.cpa {
            None => None,
            Some(Cpa::Single(d)) => Some(*d),
            Some(Cpa::PerSplit(m)) => m.get(split).copied(),
        }
    };
    let calibration = if opts.predict
        && splits
            .values()
            .any(|s| s.customers >= opts.min_customers_to_fit)
    {
        Some(calibration_from_log(
            log,
            &CalibrationOptions {
                calibration_end: day_to_date(as_of),
                holdout_end: None,
                time_unit: TimeUnit::Weeks,
            },
        )?)
    } else {
        None
    };
    // Customer index -> calibration row (ids are in log order, a subsequence of the customers).
    let mut cal_row: Vec<u32> = Vec::new();
    if let Some(cal) = &calibration {
        cal_row = vec![u32::MAX; log.n_customers()];
        let mut r = 0;
        for c in 0..log.n_customers() {
            if cal
                .customer_id
                .get(r)
                .is_some_and(|id| id == log.customer_id(c))
            {
                cal_row[c] = r as u32;
                r += 1;
            }
        }
    }
    let net_f64 = log.net_amounts_f64();
    let mut rows = Vec::new();
    for (value, s) in &splits {
        let cpa = cpa_of(value);
        let curve: Vec<CurvePoint> = (0..s.cumulative.len())
            .filter(|&k| s.observed[k] > 0)
            .map(|k| CurvePoint {
                month: k as u32,
                customers: s.observed[k],
                cumulative_net_revenue: Decimal::try_from_i128_with_scale(s.cumulative[k], scale)
                    .unwrap_or(Decimal::MAX),
                cumulative_net_revenue_per_customer: per(s.cumulative[k], scale, s.observed[k]),
            })
            .collect();
        let payback_month = cpa.and_then(|cpa| {
            let c = units_of(cpa, scale);
            (0..s.cumulative.len())
                .find(|&k| s.observed[k] > 0 && s.cumulative[k] >= c * i128::from(s.observed[k]))
                .map(|k| k as u32)
        });
        let (prediction, prediction_error) = if !opts.predict {
            (None, None)
        } else if s.customers < opts.min_customers_to_fit {
            (
                None,
                Some(format!(
                    "{} customers, fewer than min_customers_to_fit = {}",
                    s.customers, opts.min_customers_to_fit
                )),
            )
        } else {
            match calibration
                .as_ref()
                .map(|cal| predict(log, cal, &cal_row, &net_f64, &s.members, opts, cpa))
            {
                Some(Ok(p)) => (Some(p), None),
                Some(Err(e)) => (None, Some(e.to_string())),
                None => (None, Some("no calibration data".into())),
            }
        };
        rows.push(AcquisitionRow {
            split: value.clone(),
            customers: s.customers,
            cpa,
            curve,
            payback_month,
            prediction,
            prediction_error,
        });
    }
    Ok(AcquisitionReport {
        by: by.name(),
        as_of: day_to_date(as_of),
        currency: log.currency().map(str::to_owned),
        last_observed_month: period.label(last_observed),
        rows,
    })
}

fn predict(
    log: &OrderLog,
    cal: &crate::ltv::CalibrationSummary,
    cal_row: &[u32],
    net: &[f64],
    members: &[usize],
    opts: &AcquisitionOptions,
    cpa: Option<Decimal>,
) -> Result<Prediction> {
    let (mut x, mut tx, mut t, mut m) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut first_values = 0.0;
    let days = log.days();
    let status = log.statuses();
    for &c in members {
        let r = cal_row.get(c).copied().unwrap_or(u32::MAX);
        if r == u32::MAX {
            continue;
        }
        let r = r as usize;
        x.push(cal.data.x[r]);
        tx.push(cal.data.t_x[r]);
        t.push(cal.data.t[r]);
        m.push(cal.data.monetary.as_ref().map_or(0.0, |v| v[r]));
        let f = cal.first_purchase_day[r];
        first_values += log
            .order_range(c)
            .filter(|&i| days[i] == f && status[i] == OrderStatus::Completed)
            .map(|i| net[i])
            .sum::<f64>();
    }
    let n = x.len();
    if n == 0 {
        return Err(Error::EmptyInput(
            "no customer of this split in the calibration data".into(),
        ));
    }
    let repeaters: Vec<f64> = x
        .iter()
        .zip(&m)
        .filter(|(x, _)| **x > 0.0)
        .map(|(_, m)| *m)
        .collect();
    let mut data = CalibrationData::new(x.clone(), tx, t, TimeUnit::Weeks)?;
    data.monetary = Some(m);
    let fit = FitOptions {
        std_errors: false,
        ..FitOptions::default()
    };
    let (model, report) = fit_purchase_model(opts.model, &data, &fit)?;
    let (spend_params, repeat_value) = match GammaGamma::fit(&data, &fit) {
        Ok(g) if repeaters.len() >= 2 => (
            Some(
                g.report
                    .param_names
                    .iter()
                    .cloned()
                    .zip(g.report.params.iter().copied())
                    .collect(),
            ),
            g.model.expected_spend(),
        ),
        _ => (
            None,
            if repeaters.is_empty() {
                0.0
            } else {
                repeaters.iter().sum::<f64>() / repeaters.len() as f64
            },
        ),
    };
    let first = first_values / n as f64;
    let weeks_per_month = 365.25 / 12.0 / 7.0;
    let expected: Vec<f64> = (1..=opts.horizon_months)
        .map(|k| model.expected_purchases(f64::from(k) * weeks_per_month))
        .collect();
    let ltv: Vec<f64> = expected.iter().map(|e| first + e * repeat_value).collect();
    let payback_month = cpa.and_then(|c| {
        let c = rust_decimal::prelude::ToPrimitive::to_f64(&c)?;
        ltv.iter().position(|&v| v >= c).map(|k| k as u32 + 1)
    });
    Ok(Prediction {
        model: report.model.to_owned(),
        params: report
            .param_names
            .iter()
            .cloned()
            .zip(report.params.iter().copied())
            .collect(),
        spend_params,
        first_purchase_value: first,
        repeat_purchase_value: repeat_value,
        expected_repeat_purchases: expected,
        ltv,
        payback_month,
    })
}
