//! Fields other modules add to a segment run, computed on first use: LTV predictions
//! (`p_alive`, `expected_orders`, `clv`) from a saved fit, and a loyalty programme's `stage` and
//! `points`. The CLI (`kokyaku segment --params / --program`) and every binding build a
//! [`SegmentExtras`] and hand it to [`super::Segmenter::with_extras`] (or
//! [`super::evaluate_with`]), so the computation exists once.

use chrono::NaiveDate;

use super::eval::ExtraColumn;
use crate::loyalty::{self, LoyaltyEvents, Program, StageOptions};
use crate::ltv::SavedFit;
use crate::ltv::{
    CalibrationOptions, ClvOptions, GammaGamma, PurchaseModel, TimeUnit, calibration_from_log,
    conditional_expected_purchases_batch, p_alive_and_clv_batch, p_alive_batch,
};
use crate::model::OrderLog;
use crate::{Error, Result};

/// Predictions from a fitted purchase model (a saved fit, `kokyaku ltv fit -o`).
///
/// Each customer is summarised as `kokyaku ltv` does, with the segment's as-of date as the
/// calibration end (inclusive): `x` repeat purchase days, `t_x`, `T` in `time_unit`, and the
/// mean repeat-purchase net spend for CLV. Customers without a completed order on or before
/// as-of have no prediction (null). The same numbers as `kokyaku ltv predict --params FIT
/// --calibration-end AS_OF`.
pub struct Predictions {
    /// The purchase model (`bg-nbd`, `mbg-nbd`, `pareto-nbd`, `ggompertz-nbd`; no covariates).
    pub model: Box<dyn PurchaseModel + Send + Sync>,
    /// The Gamma-Gamma spend model: `clv` exists only with one.
    pub spend: Option<GammaGamma>,
    /// The unit the model was fitted in (its rates are per unit).
    pub time_unit: TimeUnit,
    /// Horizon (of `expected_orders` and `clv`), discounting and margin, in `time_unit`.
    pub clv: ClvOptions,
}

impl std::fmt::Debug for Predictions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Predictions")
            .field("model", &self.model.name())
            .field("spend", &self.spend)
            .field("time_unit", &self.time_unit)
            .field("clv", &self.clv)
            .finish()
    }
}

impl Predictions {
    /// Defaults as `kokyaku ltv predict`: a horizon of 52 time units, 1% per month discount,
    /// margin 1.
    #[must_use]
    pub fn new(
        model: Box<dyn PurchaseModel + Send + Sync>,
        spend: Option<GammaGamma>,
        time_unit: TimeUnit,
    ) -> Self {
        Self {
            model,
            spend,
            time_unit,
            clv: ClvOptions {
                horizon: 52.0,
                discount_period: 365.25 / 12.0 / time_unit.days(),
                discount_rate: 0.01,
                margin: 1.0,
            },
        }
    }

    /// The fields this adds.
    #[must_use]
    pub fn field_names(&self) -> Vec<&'static str> {
        if self.spend.is_some() {
            vec!["p_alive", "expected_orders", "clv"]
        } else {
            vec!["p_alive", "expected_orders"]
        }
    }

    /// The columns, one value per customer of `log` in its order (NaN: no prediction).
    ///
    /// # Errors
    /// `invalid_option` for a horizon or discount that is not a finite number >= 0.
    pub fn columns(&self, log: &OrderLog, as_of: NaiveDate) -> Result<Vec<(String, ExtraColumn)>> {
        let h = self.clv.horizon;
        if !(h.is_finite() && h >= 0.0) {
            return Err(Error::option("horizon", h, "must be a finite number >= 0"));
        }
        let n = log.n_customers();
        let mut p_alive = vec![f64::NAN; n];
        let mut expected = vec![f64::NAN; n];
        let mut clv = vec![f64::NAN; n];
        let cal = match calibration_from_log(
            log,
            &CalibrationOptions {
                calibration_end: as_of,
                holdout_end: None,
                time_unit: self.time_unit,
            },
        ) {
            Ok(c) => Some(c),
            // Nobody bought on or before as-of: no predictions.
            Err(Error::EmptyInput(_)) => None,
            Err(e) => return Err(e),
        };
        if let Some(cal) = cal {
            let m = cal.data.len();
            let (mut pa, mut ey, mut cv) = (vec![0.0; m], vec![0.0; m], vec![f64::NAN; m]);
            let model = self.model.as_ref();
            match &self.spend {
                Some(gg) => {
                    p_alive_and_clv_batch(model, gg, &cal.data, &self.clv, &mut pa, &mut cv)?;
                }
                None => p_alive_batch(model, &cal.data, &mut pa)?,
            }
            conditional_expected_purchases_batch(model, &cal.data, h, &mut ey)?;
            // The calibration rows are the log's customers in order, less those without a
            // purchase by as-of: walk both.
            let mut k = 0;
            for c in 0..n {
                if k < m && cal.customer_id[k] == log.customer_id(c) {
                    p_alive[c] = pa[k];
                    expected[c] = ey[k];
                    clv[c] = cv[k];
                    k += 1;
                }
            }
        }
        let mut out = vec![
            ("p_alive".to_owned(), ExtraColumn::Number(p_alive)),
            ("expected_orders".to_owned(), ExtraColumn::Number(expected)),
        ];
        if self.spend.is_some() {
            out.push(("clv".to_owned(), ExtraColumn::Number(clv)));
        }
        Ok(out)
    }
}

/// A loyalty programme and its events (redemptions, invitations): `stage` (the stage id) and
/// `points` (the balance) as of the segment's as-of date.
#[derive(Debug, Clone)]
pub struct LoyaltyFields {
    /// The programme.
    pub program: Program,
    /// Redemptions and invitations.
    pub events: LoyaltyEvents,
}

impl LoyaltyFields {
    /// The columns, in the log's customer order.
    ///
    /// # Errors
    /// As [`crate::loyalty::evaluate`] (`points_shortfall` …).
    pub fn columns(&self, log: &OrderLog, as_of: NaiveDate) -> Result<Vec<(String, ExtraColumn)>> {
        let st = loyalty::evaluate(
            log,
            &self.program,
            &self.events,
            &StageOptions {
                as_of: Some(as_of),
                history: false,
                distribution: false,
            },
        )?;
        Ok(loyalty::segment_fields(&st))
    }
}

/// What a segment run adds to the built-in fields (both optional; computed only when a rule
/// reads one of their fields).
#[derive(Debug, Default)]
pub struct SegmentExtras {
    /// LTV predictions.
    pub predictions: Option<Predictions>,
    /// Loyalty stage and points.
    pub loyalty: Option<LoyaltyFields>,
}

/// The loyalty fields' names.
pub const LOYALTY_FIELDS: &[&str] = &["stage", "points"];

/// The keys [`SegmentExtras::take_from`] reads.
pub const EXTRA_KEYS: &[&str] = &[
    "fit",
    "spend_fit",
    "horizon",
    "discount_rate",
    "discount_period",
    "margin",
    "program",
    "redemptions",
    "invitations",
];

impl SegmentExtras {
    /// Takes the extras out of an options object (what the bindings pass, and the golden
    /// vectors' `params`): `fit` (a saved fit, object or JSON text), `spend_fit` (a saved
    /// Gamma-Gamma fit), `horizon`, `discount_rate`, `discount_period`, `margin` (in the fit's
    /// time unit; defaults as [`Predictions::new`]), `program` (a loyalty programme, object or
    /// JSON text), `redemptions`, `invitations`. Other keys stay in `m`.
    ///
    /// # Errors
    /// `invalid_option` for a bad value or prediction options without `fit`;
    /// `malformed_input` / `invalid_program` from the fit or programme.
    pub fn take_from(m: &mut serde_json::Map<String, serde_json::Value>) -> Result<Self> {
        use serde_json::Value;
        let mut take = |k: &str| m.remove(k).filter(|v| !v.is_null());
        let fit = take("fit");
        let spend_fit = take("spend_fit");
        let number = |k: &str, v: Option<Value>| -> Result<Option<f64>> {
            v.map(|v| {
                v.as_f64()
                    .ok_or_else(|| Error::option(k, &v, "expected a number"))
            })
            .transpose()
        };
        let horizon = number("horizon", take("horizon"))?;
        let rate = number("discount_rate", take("discount_rate"))?;
        let period = number("discount_period", take("discount_period"))?;
        let margin = number("margin", take("margin"))?;
        let program = take("program");
        let mut events = serde_json::Map::new();
        for k in ["redemptions", "invitations"] {
            if let Some(v) = take(k) {
                events.insert(k.to_owned(), v);
            }
        }
        let saved = |v: Value, what: &str| match v {
            Value::String(s) => SavedFit::from_json(&s, what),
            other => SavedFit::from_value(&other, what),
        };
        let predictions = match fit {
            None => {
                let given = [
                    ("spend_fit", spend_fit.is_some()),
                    ("horizon", horizon.is_some()),
                    ("discount_rate", rate.is_some()),
                    ("discount_period", period.is_some()),
                    ("margin", margin.is_some()),
                ];
                if let Some((k, _)) = given.iter().find(|(_, g)| *g) {
                    return Err(Error::option(
                        k,
                        "(given)",
                        "prediction options need a saved fit (fit): p_alive, expected_orders and clv come from it",
                    ));
                }
                None
            }
            Some(f) => {
                let f = saved(f, "fit")?;
                let spend = spend_fit
                    .map(|s| saved(s, "spend_fit")?.gamma_gamma())
                    .transpose()?;
                let mut p = Predictions::new(
                    f.purchase_model()?,
                    spend,
                    f.time_unit.unwrap_or(TimeUnit::Weeks),
                );
                if let Some(h) = horizon {
                    p.clv.horizon = h;
                }
                if let Some(r) = rate {
                    p.clv.discount_rate = r;
                }
                if let Some(d) = period {
                    p.clv.discount_period = d;
                }
                if let Some(x) = margin {
                    p.clv.margin = x;
                }
                Some(p)
            }
        };
        let loyalty = match program {
            None => {
                if !events.is_empty() {
                    return Err(Error::option(
                        "redemptions",
                        "(given)",
                        "redemptions and invitations need a loyalty programme (program)",
                    ));
                }
                None
            }
            Some(p) => Some(LoyaltyFields {
                program: match p {
                    Value::String(s) => Program::from_json(&s)?,
                    other => Program::from_value(other)?,
                },
                events: serde_json::from_value(Value::Object(events)).map_err(|e| {
                    Error::option("redemptions/invitations", "(given)", e.to_string())
                })?,
            }),
        };
        Ok(Self {
            predictions,
            loyalty,
        })
    }
}
