//! Saved fits: the JSON `kokyaku ltv fit --format json` prints and `ltv fit -o FILE` writes
//! (`{"model": "bg-nbd", "params": {"r": …}, "time_unit": "weeks", …}`), read back as plain
//! data for predictions elsewhere (segment rules' `p_alive`, `expected_orders`, `clv`).

use serde_json::Value;

use super::{
    FitReport, GammaGamma, ModelKind, PurchaseModel, TimeUnit, purchase_model_from_params,
};
use crate::{Error, Location, Result};

/// The saved-fit JSON of a fit report (what [`SavedFit::from_value`] reads back): model, named
/// parameters and standard errors (`null` where not finite), log-likelihood, convergence, row
/// counts, time unit and message.
#[must_use]
pub fn saved_fit_json(r: &FitReport, time_unit: Option<TimeUnit>) -> Value {
    let named = |vals: &[f64]| {
        Value::Object(
            r.param_names
                .iter()
                .zip(vals)
                .map(|(n, v)| (n.clone(), serde_json::json!(v.is_finite().then_some(*v))))
                .collect(),
        )
    };
    serde_json::json!({
        "model": r.model,
        "params": named(&r.params),
        "log_likelihood": r.log_likelihood,
        "n_customers": r.n_customers,
        "converged": r.converged,
        "iterations": r.iterations,
        "std_errors": named(&r.std_errors),
        "n_distinct_rows": r.n_distinct_rows,
        "time_unit": time_unit.map(TimeUnit::as_str),
        "message": r.message,
    })
}

/// A saved fit: the model, its named parameters (in the file's order) and its time unit.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedFit {
    /// The model.
    pub model: ModelKind,
    /// Named parameters, as `FitReport::param_names` / `params` give them.
    pub params: Vec<(String, f64)>,
    /// The unit the model was fitted in (`None` for spend and discrete models).
    pub time_unit: Option<TimeUnit>,
}

impl SavedFit {
    /// Reads a saved fit from its JSON value; `what` names it in errors (a path, `fit`).
    ///
    /// # Errors
    /// `malformed_input` without a `model` name or `params` object; `invalid_option` for an
    /// unknown model, a parameter that is not a number or an unknown time unit.
    pub fn from_value(v: &Value, what: &str) -> Result<Self> {
        let bad = |reason: &str| Error::Malformed {
            location: Location::default(),
            reason: format!("saved fit '{what}': {reason}"),
        };
        let model = v.get("model").and_then(Value::as_str).ok_or_else(|| {
            bad("no \"model\" name (expected the JSON of `kokyaku ltv fit --format json`)")
        })?;
        let model = ModelKind::parse(model)?;
        let obj = v
            .get("params")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("no \"params\" object"))?;
        let params = obj
            .iter()
            .map(|(k, x)| {
                x.as_f64().map(|f| (k.clone(), f)).ok_or_else(|| {
                    Error::option(
                        &format!("{}.{k}", model.as_str()),
                        x,
                        format!("a number is needed (in '{what}')"),
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let time_unit = match v.get("time_unit") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(TimeUnit::parse(s)?),
            Some(other) => {
                return Err(Error::option(
                    "time_unit",
                    other,
                    format!("days, weeks or months (in '{what}')"),
                ));
            }
        };
        Ok(Self {
            model,
            params,
            time_unit,
        })
    }

    /// Reads a saved fit from JSON text.
    ///
    /// # Errors
    /// `malformed_input` when the text is not JSON; as [`SavedFit::from_value`].
    pub fn from_json(text: &str, what: &str) -> Result<Self> {
        let v: Value = serde_json::from_str(text).map_err(|e| Error::Malformed {
            location: Location::default(),
            reason: format!("saved fit '{what}': not JSON ({e})"),
        })?;
        Self::from_value(&v, what)
    }

    /// The continuous-time purchase model (`bg-nbd`, `mbg-nbd`, `pareto-nbd`,
    /// `ggompertz-nbd`) without covariates.
    ///
    /// # Errors
    /// `invalid_option` for another model or a fit with covariate coefficients.
    pub fn purchase_model(&self) -> Result<Box<dyn PurchaseModel + Send + Sync>> {
        if let Some((name, _)) = self.params.iter().find(|(n, _)| n.contains('[')) {
            return Err(Error::option(
                &format!("{}.{name}", self.model.as_str()),
                "covariate coefficient",
                "a fit with covariates needs each customer's covariates, which an order log does not have; predict with `kokyaku ltv predict` or fit without covariates",
            ));
        }
        purchase_model_from_params(self.model, &self.params)
    }

    /// The Gamma-Gamma spend model.
    ///
    /// # Errors
    /// `invalid_option` for another model or a missing parameter.
    pub fn gamma_gamma(&self) -> Result<GammaGamma> {
        if self.model != ModelKind::GammaGamma {
            return Err(Error::option(
                "spend fit",
                self.model.as_str(),
                "a gamma-gamma fit is needed (kokyaku ltv fit --model gamma-gamma -o FILE)",
            ));
        }
        let get = |n: &str| {
            self.params
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| *v)
                .ok_or_else(|| {
                    Error::option(
                        &format!("gamma-gamma.{n}"),
                        "missing",
                        "gamma-gamma needs p, q, gamma",
                    )
                })
        };
        GammaGamma::new(get("p")?, get("q")?, get("gamma")?)
    }
}
