//! Calibration data (and holdout actuals) from an [`OrderLog`].
//!
//! As in the papers, all completed orders of one customer on one local calendar day are one
//! purchase (spend summed); cancelled orders are ignored; spend is net of refunds linked to the
//! order. With `f` the first purchase day and `E` the last calibration day (inclusive):
//!
//! - `x` = purchase days in `(f, E]`, `t_x` = (last purchase day <= E) − f, `T` = E − f,
//!   in days divided by the length of the [`TimeUnit`]. (CDNOW: first purchase 1997-01-01,
//!   `E` = 1997-09-30 gives T = 272 / 7 = 38.86 weeks, the published value.)
//! - monetary = mean spend of the `x` repeat purchase days (0 when x = 0), the Gamma-Gamma `z̄`.
//! - holdout: purchase days and spend in `(E, H]`.
//!
//! Customers whose first purchase is after `E` are not in the calibration data.

use chrono::NaiveDate;

use super::data::{CalibrationData, TimeUnit};
use crate::model::{Day, OrderLog, OrderStatus, date_to_day};
use crate::{Error, Result};

/// Options for [`calibration_from_log`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CalibrationOptions {
    /// Last day of the calibration period (inclusive), in the log's time zone.
    pub calibration_end: NaiveDate,
    /// Last day of the holdout period (inclusive), if any.
    pub holdout_end: Option<NaiveDate>,
    /// Unit of `t_x`, `T` and the holdout length.
    pub time_unit: TimeUnit,
}

/// Per-customer calibration summary with ids and holdout actuals, sorted like the log's customers.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CalibrationSummary {
    /// Customer ids, one per row of `data`.
    pub customer_id: Vec<String>,
    /// `x`, `t_x`, `T` and monetary (mean repeat-purchase spend).
    pub data: CalibrationData,
    /// Day of the first purchase (days since 1970-01-01, local).
    pub first_purchase_day: Vec<Day>,
    /// Last calibration day.
    pub calibration_end_day: Day,
    /// Purchase days in the holdout, per customer (when a holdout was asked for).
    pub holdout_purchases: Option<Vec<f64>>,
    /// Spend in the holdout, per customer.
    pub holdout_spend: Option<Vec<f64>>,
    /// Length of the holdout in `time_unit`.
    pub holdout_length: Option<f64>,
}

/// Build calibration data (and holdout actuals) from an order log.
pub fn calibration_from_log(
    log: &OrderLog,
    options: &CalibrationOptions,
) -> Result<CalibrationSummary> {
    summarise(log, options, None)
}

/// The holdout purchase days of the calibration customers, sorted: one entry per customer and
/// local calendar day with a completed order in `(E, H]` (the purchases counted in
/// [`CalibrationSummary::holdout_purchases`], so their number is that column's sum). With the
/// first purchase days, this gives the actual side of aggregate tracking (FHL 2005a fig. 1) for
/// any period grid. Needs `holdout_end`.
pub fn holdout_purchase_days(log: &OrderLog, options: &CalibrationOptions) -> Result<Vec<Day>> {
    if options.holdout_end.is_none() {
        return Err(Error::option(
            "holdout_end",
            "none",
            "holdout purchase days need a holdout end",
        ));
    }
    let mut days = Vec::new();
    summarise(log, options, Some(&mut days))?;
    days.sort_unstable();
    Ok(days)
}

fn summarise(
    log: &OrderLog,
    options: &CalibrationOptions,
    mut holdout_days: Option<&mut Vec<Day>>,
) -> Result<CalibrationSummary> {
    let end = date_to_day(options.calibration_end);
    let hold = options.holdout_end.map(date_to_day);
    if let Some(h) = hold {
        if h <= end {
            return Err(Error::option(
                "holdout_end",
                h,
                "must be after calibration_end",
            ));
        }
    }
    let unit = options.time_unit.days();
    let days = log.days();
    let status = log.statuses();
    let net = log.net_amounts_f64();
    let mut ids = Vec::new();
    let (mut x, mut t_x, mut t, mut m, mut first_day) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut hx, mut hs) = (Vec::new(), Vec::new());
    for c in 0..log.n_customers() {
        let range = log.order_range(c);
        let mut first: Option<Day> = None;
        let mut last_cal: Day = 0;
        let mut current: Option<Day> = None;
        let (mut n_rep, mut rep_spend, mut n_hold, mut hold_spend) = (0u64, 0.0, 0u64, 0.0);
        for o in range {
            if status[o] != OrderStatus::Completed {
                continue;
            }
            let d = days[o];
            if d > end && hold.is_none_or(|h| d > h) {
                continue;
            }
            let f = *first.get_or_insert(d);
            if d > end {
                if first.is_some_and(|f| f <= end) {
                    if current != Some(d) {
                        n_hold += 1;
                        current = Some(d);
                        if let Some(v) = holdout_days.as_deref_mut() {
                            v.push(d);
                        }
                    }
                    hold_spend += net[o];
                }
                continue;
            }
            if d == f {
                last_cal = f;
                current = Some(d);
            } else {
                if current != Some(d) {
                    n_rep += 1;
                    current = Some(d);
                }
                rep_spend += net[o];
                last_cal = d;
            }
        }
        let Some(f) = first else { continue };
        if f > end {
            continue;
        }
        ids.push(log.customer_id(c).to_owned());
        first_day.push(f);
        x.push(n_rep as f64);
        t_x.push(f64::from(last_cal - f) / unit);
        t.push(f64::from(end - f) / unit);
        m.push(if n_rep > 0 {
            rep_spend / n_rep as f64
        } else {
            0.0
        });
        hx.push(n_hold as f64);
        hs.push(hold_spend);
    }
    if ids.is_empty() {
        return Err(Error::EmptyInput(
            "no customer made a completed purchase on or before the calibration end".into(),
        ));
    }
    // Net spend can be <= 0 after refunds: kept as is; Gamma-Gamma rejects such rows when fitting.
    let mut data = CalibrationData::new(x, t_x, t, options.time_unit)?;
    data.monetary = Some(m);
    Ok(CalibrationSummary {
        customer_id: ids,
        data,
        first_purchase_day: first_day,
        calibration_end_day: end,
        holdout_purchases: hold.map(|_| hx),
        holdout_spend: hold.map(|_| hs),
        holdout_length: hold.map(|h| f64::from(h - end) / unit),
    })
}
