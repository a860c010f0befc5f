//! Predictive LTV for the wrappers (mirrors `kokyaku::ltv` and `kokyaku ltv`): fits, saved fits,
//! predictions and holdout evaluation, all over serde data, so Python, Node and WASM return the
//! same numbers (bit for bit) from one dispatch, [`call`].
//!
//! A *fit* is the JSON object `kokyaku ltv fit --format json` prints (`model`, `params`,
//! `std_errors`, `log_likelihood`, `n_customers`, `converged`, `iterations`, `time_unit`, …;
//! without `fit_seconds`, which is a timing and would break determinism). Any such object,
//! including one the CLI wrote with `ltv fit -o`, loads back for predictions.
//!
//! *Data* is an object of columns: `x`, `t_x`, `T` (BG/BB: `n` for `T`), optional `monetary`,
//! `weights`, `time_unit` (`days`, `weeks`, `months`; default `weeks`) and, for covariate
//! models, `purchase_covariates` / `dropout_covariates` as objects of name → column.
//!
//! Big data need not cross as JSON: [`call_columns`] takes the data as typed [`Columns`] (the
//! Python wrapper reads them from Arrow arrays, see `crate::arrow::ltv_columns`) and returns an
//! [`Output`] whose per-customer results stay `Vec<f64>`; [`call`] is the same dispatch with
//! JSON in and out (Node, WASM, small calls). Both give the same numbers bit for bit.

use kokyaku::ltv::{
    BgBb, BgNbdWithCovariates, CalibrationData, CalibrationOptions, ClvOptions, Cohort, Covariates,
    FitOptions, FitReport, GammaGamma, ModelKind, ParetoNbdWithCovariates, PurchaseModel,
    ShiftedBetaGeometric, TimeUnit, calibration_from_log, clv, evaluate_holdout, fit_summary,
    purchase_model_from_params, tracking_expected_cumulative,
};
use std::collections::BTreeMap;

use kokyaku::table::{Column, Table};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::BindingError;
use crate::api::{Log, to_value};
use crate::options::{from_value, normalize, snake_case};

/// The functions [`call`] answers.
pub const FUNCTIONS: &[&str] = &[
    "fit",
    "load",
    "predict",
    "p_alive",
    "p_alive_at",
    "conditional_expected_purchases",
    "expected_purchases",
    "prob_purchases",
    "log_likelihood",
    "expected_spend",
    "clv",
    "evaluate_holdout",
    "tracking",
    "survival",
    "churn_probability",
    "retention_rate",
    "expected_residual_lifetime",
];

type Args = Map<String, Value>;

/// The result of an LTV call ([`call_columns`]; [`call`] gives its JSON).
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// One number per row or per argument (non-finite values are `null` in JSON).
    Floats(Vec<f64>),
    /// A per-customer table of number columns (`predict`).
    Table {
        /// `{"time_unit", "horizon"}`.
        meta: Value,
        /// Column names and values, in output order.
        columns: Vec<(String, Vec<f64>)>,
    },
    /// Anything else: fits, holdout evaluations, scalars.
    Json(Value),
}

impl Output {
    /// As JSON (what [`call`] returns); a table is `{time_unit, horizon, columns, data}`.
    #[must_use]
    pub fn into_json(self) -> Value {
        match self {
            Output::Floats(v) => floats(&v),
            Output::Json(v) => v,
            Output::Table { meta, columns } => {
                let mut m = match meta {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
                m.insert(
                    "columns".into(),
                    json!(columns.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>()),
                );
                m.insert(
                    "data".into(),
                    Value::Object(columns.into_iter().map(|(k, v)| (k, floats(&v))).collect()),
                );
                Value::Object(m)
            }
        }
    }
}

/// Top-level keys to `snake_case` (not inside `data`: `T` is a column name, not camelCase).
fn args(v: Value) -> Result<Args, BindingError> {
    match v {
        Value::Null => Ok(Map::new()),
        Value::Object(m) => Ok(m.into_iter().map(|(k, v)| (snake_case(&k), v)).collect()),
        other => Err(BindingError::option(
            "arguments",
            format!("expected an object, got {other}"),
        )),
    }
}

fn need<'a>(a: &'a Args, key: &str, function: &str) -> Result<&'a Value, BindingError> {
    a.get(key)
        .filter(|v| !v.is_null())
        .ok_or_else(|| BindingError::option(key, format!("ltv.{function} needs `{key}`")))
}

fn number(v: &Value, what: &str) -> Result<f64, BindingError> {
    match v {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| BindingError::option(what, format!("{n} is not a number"))),
        Value::Null => Ok(f64::NAN),
        other => Err(BindingError::option(
            what,
            format!("expected a number, got {other}"),
        )),
    }
}

fn opt_number(a: &Args, key: &str) -> Result<Option<f64>, BindingError> {
    a.get(key)
        .filter(|v| !v.is_null())
        .map(|v| number(v, key))
        .transpose()
}

fn numbers(v: &Value, what: &str) -> Result<Vec<f64>, BindingError> {
    match v {
        Value::Array(a) => a.iter().map(|x| number(x, what)).collect(),
        Value::Number(_) => Ok(vec![number(v, what)?]),
        other => Err(BindingError::option(
            what,
            format!("expected a list of numbers, got {other}"),
        )),
    }
}

fn counts(v: &Value, what: &str) -> Result<Vec<u32>, BindingError> {
    numbers(v, what)?
        .into_iter()
        .map(|f| {
            if f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f <= f64::from(u32::MAX) {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                Ok(f as u32)
            } else {
                Err(BindingError::option(
                    what,
                    format!("{f} is not a whole number >= 0"),
                ))
            }
        })
        .collect()
}

fn unit(v: Option<&Value>) -> Result<TimeUnit, BindingError> {
    match v {
        None | Some(Value::Null) => Ok(TimeUnit::Weeks),
        Some(Value::String(s)) => Ok(TimeUnit::parse(s)?),
        Some(other) => Err(BindingError::option(
            "time_unit",
            format!("expected days, weeks or months, got {other}"),
        )),
    }
}

/// Calibration data and its covariate columns.
struct Data {
    cal: CalibrationData,
    purchase: BTreeMap<String, Vec<f64>>,
    dropout: BTreeMap<String, Vec<f64>>,
}

/// Summary columns given typed (read from Arrow arrays or typed buffers by a wrapper) instead of
/// as a JSON `data` object: what [`call_columns`] takes.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    /// Repeat purchases `x`.
    pub x: Vec<f64>,
    /// Recency `t_x` (default all 0).
    pub t_x: Option<Vec<f64>>,
    /// Age `T` (BG/BB: `n`); default `t_x` (Gamma-Gamma reads only `x` and `monetary`).
    pub t: Option<Vec<f64>>,
    /// Mean repeat-purchase value.
    pub monetary: Option<Vec<f64>>,
    /// Customers per row.
    pub weights: Option<Vec<f64>>,
    /// `days`, `weeks` or `months` (default `weeks`).
    pub time_unit: Option<String>,
    /// Purchase covariates by name.
    pub purchase_covariates: BTreeMap<String, Vec<f64>>,
    /// Drop-out covariates by name.
    pub dropout_covariates: BTreeMap<String, Vec<f64>>,
}

impl Columns {
    fn into_data(self) -> Result<Data, BindingError> {
        let t_x = self.t_x.unwrap_or_else(|| vec![0.0; self.x.len()]);
        // Gamma-Gamma needs only x and monetary.
        let t = self.t.unwrap_or_else(|| t_x.clone());
        let tu = match self.time_unit.as_deref() {
            None => TimeUnit::Weeks,
            Some(s) => TimeUnit::parse(s)?,
        };
        let mut cd = CalibrationData::new(self.x, t_x, t, tu)?;
        if let Some(m) = self.monetary {
            cd = cd.with_monetary(m)?;
        }
        if let Some(w) = self.weights {
            cd = cd.with_weights(w)?;
        }
        Ok(Data {
            cal: cd,
            purchase: self.purchase_covariates,
            dropout: self.dropout_covariates,
        })
    }
}

/// Which column of a caller's frame holds which role of [`Columns`] (the JSON object a wrapper
/// passes next to the frame): `x`, `t_x`, `T`, `monetary`, `weights`, `customer_id` (column
/// names), `purchase_covariates`, `dropout_covariates` (lists of column names), `time_unit`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roles {
    /// Column of `x`.
    pub x: String,
    /// Column of `t_x`.
    #[serde(default)]
    pub t_x: Option<String>,
    /// Column of `T` (or `n`).
    #[serde(default, rename = "T")]
    pub t: Option<String>,
    /// Column of the mean repeat spend.
    #[serde(default)]
    pub monetary: Option<String>,
    /// Column of row weights.
    #[serde(default)]
    pub weights: Option<String>,
    /// Column of customer ids, passed through to per-customer tables.
    #[serde(default)]
    pub customer_id: Option<String>,
    /// Purchase covariate columns.
    #[serde(default)]
    pub purchase_covariates: Vec<String>,
    /// Drop-out covariate columns.
    #[serde(default)]
    pub dropout_covariates: Vec<String>,
    /// Unit of `t_x` and `T`.
    #[serde(default)]
    pub time_unit: Option<String>,
}

impl Roles {
    /// Roles from their JSON object; an unknown key is an `invalid_option` error naming it.
    pub fn from_value(v: Value) -> Result<Self, BindingError> {
        serde_json::from_value(v).map_err(|e| BindingError::option("columns", e))
    }

    /// The typed columns, each read by `read(column name)` (a wrapper's Arrow or buffer lookup).
    pub fn columns(
        &self,
        mut read: impl FnMut(&str) -> Result<Vec<f64>, BindingError>,
    ) -> Result<Columns, BindingError> {
        let mut opt = |name: &Option<String>| name.as_deref().map(&mut read).transpose();
        let t_x = opt(&self.t_x)?;
        let t = opt(&self.t)?;
        let monetary = opt(&self.monetary)?;
        let weights = opt(&self.weights)?;
        let mut named = |names: &[String]| -> Result<BTreeMap<String, Vec<f64>>, BindingError> {
            names.iter().map(|n| Ok((n.clone(), read(n)?))).collect()
        };
        let purchase_covariates = named(&self.purchase_covariates)?;
        let dropout_covariates = named(&self.dropout_covariates)?;
        Ok(Columns {
            x: read(&self.x)?,
            t_x,
            t,
            monetary,
            weights,
            time_unit: self.time_unit.clone(),
            purchase_covariates,
            dropout_covariates,
        })
    }
}

fn column<'a>(d: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names
        .iter()
        .find_map(|n| d.get(*n))
        .filter(|v| !v.is_null())
}

fn data(v: &Value) -> Result<Data, BindingError> {
    let Value::Object(d) = v else {
        return Err(BindingError::option(
            "data",
            "expected an object of columns: x, t_x, T (or n), monetary, weights, time_unit",
        ));
    };
    let known = [
        "x",
        "t_x",
        "T",
        "n",
        "monetary",
        "weights",
        "time_unit",
        "purchase_covariates",
        "dropout_covariates",
        "customer_id",
    ];
    if let Some(k) = d.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(BindingError::option(
            &format!("data.{k}"),
            format!("unknown column; data takes {}", known.join(", ")),
        ));
    }
    let col = |names: &[&str]| -> Result<Option<Vec<f64>>, BindingError> {
        column(d, names).map(|v| numbers(v, names[0])).transpose()
    };
    let time_unit = match d.get("time_unit") {
        None | Some(Value::Null) => None,
        v => Some(unit(v)?.as_str().to_owned()),
    };
    let obj = |k: &str| -> Result<BTreeMap<String, Vec<f64>>, BindingError> {
        match d.get(k) {
            None | Some(Value::Null) => Ok(BTreeMap::new()),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(n, v)| Ok((n.clone(), numbers(v, n)?)))
                .collect(),
            Some(other) => Err(BindingError::option(
                k,
                format!("expected an object of name → column, got {other}"),
            )),
        }
    };
    Columns {
        x: col(&["x"])?.unwrap_or_default(),
        t_x: col(&["t_x"])?,
        t: col(&["T", "n"])?,
        monetary: col(&["monetary"])?,
        weights: col(&["weights"])?,
        time_unit,
        purchase_covariates: obj("purchase_covariates")?,
        dropout_covariates: obj("dropout_covariates")?,
    }
    .into_data()
}

/// A row-major covariate matrix of the columns `names` (in that order) of `cols`.
fn covariates(
    cols: &BTreeMap<String, Vec<f64>>,
    names: &[String],
    rows: usize,
    what: &str,
) -> Result<Covariates, BindingError> {
    let columns = names
        .iter()
        .map(|n| {
            let v = cols.get(n).ok_or_else(|| {
                BindingError::option(
                    &format!("{what}.{n}"),
                    "missing: the fit has a coefficient for this covariate; pass its column",
                )
            })?;
            if v.len() == rows {
                Ok(v)
            } else {
                Err(BindingError::option(
                    &format!("{what}.{n}"),
                    format!("has {} values, the data has {rows} rows", v.len()),
                ))
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut values = Vec::with_capacity(rows * names.len());
    for i in 0..rows {
        values.extend(columns.iter().map(|c| c[i]));
    }
    Ok(Covariates::new(names.to_vec(), values)?)
}

fn sorted_keys(m: &BTreeMap<String, Vec<f64>>) -> Vec<String> {
    m.keys().cloned().collect()
}

/// The saved-fit JSON of a report (the CLI's `report_json` without `fit_seconds`).
#[must_use]
pub fn fit_json(r: &FitReport, time_unit: Option<TimeUnit>) -> Value {
    kokyaku::ltv::saved_fit_json(r, time_unit)
}

fn fit_options(v: Option<&Value>) -> Result<FitOptions, BindingError> {
    from_value(v.cloned().unwrap_or(Value::Null))
}

fn fit(a: &Args, pre: &mut Option<Data>) -> Result<Value, BindingError> {
    let model = match need(a, "model", "fit")? {
        Value::String(s) => ModelKind::parse(s)?,
        other => {
            return Err(BindingError::option(
                "model",
                format!("expected a name, got {other}"),
            ));
        }
    };
    let opts = fit_options(a.get("options"))?;
    if model == ModelKind::Sbg {
        let Some(Value::Array(cs)) = a.get("cohorts") else {
            return Err(BindingError::option(
                "cohorts",
                "sbg is fitted on cohorts: a list of survivor-count lists [N0, N1, ...]",
            ));
        };
        let cohorts = cs
            .iter()
            .map(|c| Ok(Cohort::new(numbers(c, "cohorts")?)?))
            .collect::<Result<Vec<_>, BindingError>>()?;
        return Ok(fit_json(
            &ShiftedBetaGeometric::fit(&cohorts, &opts)?.report,
            None,
        ));
    }
    let d = take_data(a, pre, "fit")?;
    let tu = match model {
        ModelKind::GammaGamma | ModelKind::BgBb => None,
        _ => Some(d.cal.time_unit),
    };
    if d.purchase.is_empty() && d.dropout.is_empty() {
        return Ok(fit_json(&fit_summary(model, &d.cal, &opts)?, tu));
    }
    let n = d.cal.len();
    let z1 = covariates(
        &d.purchase,
        &sorted_keys(&d.purchase),
        n,
        "purchase_covariates",
    )?;
    let z2 = covariates(
        &d.dropout,
        &sorted_keys(&d.dropout),
        n,
        "dropout_covariates",
    )?;
    let report = match model {
        ModelKind::BgNbd => BgNbdWithCovariates::fit(&d.cal, &z1, &z2, &opts)?.report,
        ModelKind::ParetoNbd => ParetoNbdWithCovariates::fit(&d.cal, &z1, &z2, &opts)?.report,
        other => {
            return Err(BindingError::option(
                "model",
                format!("{}: covariates take bg-nbd or pareto-nbd", other.as_str()),
            ));
        }
    };
    Ok(fit_json(&report, tu))
}

/// A loaded fit, ready to predict.
enum Model {
    Purchase(Box<dyn PurchaseModel + Send + Sync>),
    BgNbdCov(BgNbdWithCovariates, Vec<String>, Vec<String>),
    ParetoCov(ParetoNbdWithCovariates, Vec<String>, Vec<String>),
    GammaGamma(GammaGamma),
    BgBb(BgBb),
    Sbg(ShiftedBetaGeometric),
}

struct Loaded {
    kind: ModelKind,
    model: Model,
    time_unit: Option<TimeUnit>,
}

fn load(v: &Value, what: &str) -> Result<Loaded, BindingError> {
    let Value::Object(f) = v else {
        return Err(BindingError::option(
            what,
            "expected a fit object (the JSON of `kokyaku ltv fit --format json`)",
        ));
    };
    let kind = match f.get("model") {
        Some(Value::String(s)) => ModelKind::parse(s)?,
        _ => {
            return Err(BindingError::new(
                "malformed_input",
                format!(
                    "{what}: no \"model\" name (expected the JSON of `kokyaku ltv fit --format json`)"
                ),
            ));
        }
    };
    let Some(Value::Object(p)) = f.get("params") else {
        return Err(BindingError::new(
            "malformed_input",
            format!("{what}: no \"params\" object"),
        ));
    };
    let params = p
        .iter()
        .map(|(k, v)| Ok((k.clone(), number(v, &format!("{}.{k}", kind.as_str()))?)))
        .collect::<Result<Vec<_>, BindingError>>()?;
    let get = |n: &str| -> Result<f64, BindingError> {
        params
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| *v)
            .ok_or_else(|| BindingError::option(&format!("{}.{n}", kind.as_str()), "missing"))
    };
    let time_unit = match f.get("time_unit") {
        None | Some(Value::Null) => None,
        v => Some(unit(v)?),
    };
    let has_coefficients = params.iter().any(|(n, _)| n.contains('['));
    let model = match kind {
        ModelKind::GammaGamma => {
            Model::GammaGamma(GammaGamma::new(get("p")?, get("q")?, get("gamma")?)?)
        }
        ModelKind::BgBb => Model::BgBb(BgBb::new(
            get("alpha")?,
            get("beta")?,
            get("gamma")?,
            get("delta")?,
        )?),
        ModelKind::Sbg => Model::Sbg(ShiftedBetaGeometric::new(get("alpha")?, get("beta")?)?),
        ModelKind::BgNbd if has_coefficients => {
            let (pn, dn) = BgNbdWithCovariates::covariate_names(&params);
            Model::BgNbdCov(BgNbdWithCovariates::from_params(&params, &pn, &dn)?, pn, dn)
        }
        ModelKind::ParetoNbd if has_coefficients => {
            let (pn, dn) = ParetoNbdWithCovariates::covariate_names(&params);
            Model::ParetoCov(
                ParetoNbdWithCovariates::from_params(&params, &pn, &dn)?,
                pn,
                dn,
            )
        }
        k => Model::Purchase(purchase_model_from_params(k, &params)?),
    };
    Ok(Loaded {
        kind,
        model,
        time_unit,
    })
}

fn wrong(function: &str, kind: ModelKind, takes: &str) -> BindingError {
    BindingError::option(
        "model",
        format!("{}: ltv.{function} takes {takes}", kind.as_str()),
    )
}

/// One plain purchase model per customer (a covariate fit gives each customer their own).
enum PerCustomer<'a> {
    One(&'a (dyn PurchaseModel + Send + Sync)),
    BgNbd(&'a BgNbdWithCovariates, Covariates, Covariates),
    Pareto(&'a ParetoNbdWithCovariates, Covariates, Covariates),
}

impl PerCustomer<'_> {
    fn with<R>(&self, i: usize, f: impl FnOnce(&dyn PurchaseModel) -> R) -> R {
        match self {
            PerCustomer::One(m) => f(*m),
            PerCustomer::BgNbd(m, z1, z2) => f(&m.customer_model(z1.row(i), z2.row(i))),
            PerCustomer::Pareto(m, z1, z2) => f(&m.customer_model(z1.row(i), z2.row(i))),
        }
    }
}

fn check_unit(l: &Loaded, d: &Data) -> Result<(), BindingError> {
    match l.time_unit {
        Some(u) if u != d.cal.time_unit => Err(BindingError::option(
            "time_unit",
            format!(
                "the data is in {}, the fit was fitted in {}; pass time_unit=\"{}\"",
                d.cal.time_unit.as_str(),
                u.as_str(),
                u.as_str()
            ),
        )),
        _ => Ok(()),
    }
}

fn per_customer<'a>(
    l: &'a Loaded,
    d: &Data,
    function: &str,
) -> Result<PerCustomer<'a>, BindingError> {
    check_unit(l, d)?;
    let n = d.cal.len();
    Ok(match &l.model {
        Model::Purchase(m) => PerCustomer::One(m.as_ref()),
        Model::BgNbdCov(m, pn, dn) => PerCustomer::BgNbd(
            m,
            covariates(&d.purchase, pn, n, "purchase_covariates")?,
            covariates(&d.dropout, dn, n, "dropout_covariates")?,
        ),
        Model::ParetoCov(m, pn, dn) => PerCustomer::Pareto(
            m,
            covariates(&d.purchase, pn, n, "purchase_covariates")?,
            covariates(&d.dropout, dn, n, "dropout_covariates")?,
        ),
        _ => {
            return Err(wrong(
                function,
                l.kind,
                "bg-nbd, mbg-nbd, pareto-nbd, ggompertz-nbd (and bg-bb for p_alive, conditional_expected_purchases, log_likelihood)",
            ));
        }
    })
}

fn floats(v: &[f64]) -> Value {
    Value::Array(
        v.iter()
            .map(|x| if x.is_finite() { json!(x) } else { Value::Null })
            .collect(),
    )
}

fn per_row(
    a: &Args,
    pre: &mut Option<Data>,
    function: &str,
    bgbb: impl Fn(&BgBb, f64, f64, f64) -> f64,
    f: impl Fn(&dyn PurchaseModel, f64, f64, f64) -> f64,
) -> Result<Output, BindingError> {
    let l = load(need(a, "fit", function)?, "fit")?;
    let d = take_data(a, pre, function)?;
    let c = &d.cal;
    if let Model::BgBb(m) = &l.model {
        return Ok(Output::Floats(
            (0..c.len())
                .map(|i| bgbb(m, c.x[i], c.t_x[i], c.t[i]))
                .collect(),
        ));
    }
    let pc = per_customer(&l, &d, function)?;
    Ok(Output::Floats(
        (0..c.len())
            .map(|i| pc.with(i, |m| f(m, c.x[i], c.t_x[i], c.t[i])))
            .collect(),
    ))
}

fn horizon(a: &Args, key: &str, function: &str) -> Result<f64, BindingError> {
    let h = number(need(a, key, function)?, key)?;
    if h.is_finite() && h >= 0.0 {
        Ok(h)
    } else {
        Err(BindingError::option(
            key,
            format!("{h}: must be a finite number >= 0"),
        ))
    }
}

fn gamma_gamma(v: &Value, what: &str) -> Result<GammaGamma, BindingError> {
    let l = load(v, what)?;
    match l.model {
        Model::GammaGamma(g) => Ok(g),
        _ => Err(BindingError::option(
            what,
            format!("a gamma-gamma fit is needed, this is {}", l.kind.as_str()),
        )),
    }
}

fn clv_options(a: &Args, tu: TimeUnit, function: &str) -> Result<ClvOptions, BindingError> {
    Ok(ClvOptions {
        horizon: horizon(a, "horizon", function)?,
        discount_period: opt_number(a, "discount_period")?.unwrap_or(365.25 / 12.0 / tu.days()),
        discount_rate: opt_number(a, "discount_rate")?.unwrap_or(0.01),
        margin: opt_number(a, "margin")?.unwrap_or(1.0),
    })
}

fn spend_model(a: &Args, d: &Data) -> Result<Option<GammaGamma>, BindingError> {
    if let Some(v) = a.get("spend_fit").filter(|v| !v.is_null()) {
        Ok(Some(gamma_gamma(v, "spend_fit")?))
    } else {
        {
            let has_spend = d
                .cal
                .monetary
                .as_ref()
                .is_some_and(|m| m.iter().zip(&d.cal.x).any(|(m, x)| *x > 0.0 && *m > 0.0));
            if has_spend {
                Ok(Some(GammaGamma::fit(&d.cal, &FitOptions::default())?.model))
            } else {
                Ok(None)
            }
        }
    }
}

/// The CLI's `ltv predict` table as columns (`{"columns": [...], "data": {name: [...]}}`).
fn predict(a: &Args, pre: &mut Option<Data>) -> Result<Output, BindingError> {
    let l = load(need(a, "fit", "predict")?, "fit")?;
    let d = take_data(a, pre, "predict")?;
    let pc = per_customer(&l, &d, "predict")?;
    let c = &d.cal;
    let h = horizon(a, "horizon", "predict")?;
    let n = c.len();
    let (mut pa, mut ey, mut pa_end, mut next) =
        (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    for i in 0..n {
        let (x, tx, t) = (c.x[i], c.t_x[i], c.t[i]);
        pc.with(i, |m| {
            pa[i] = m.p_alive(x, tx, t);
            ey[i] = m.conditional_expected_purchases(h, x, tx, t);
            pa_end[i] = m.p_alive_at(x, tx, t, h);
            next[i] = m.expected_time_to_next_purchase(x, t);
        });
    }
    let mut cols: Vec<(String, Vec<f64>)> = vec![
        ("p_alive".into(), pa),
        ("expected_purchases".into(), ey),
        ("p_alive_at_horizon".into(), pa_end),
    ];
    if next.iter().any(|v| !v.is_nan()) {
        cols.push(("expected_time_to_next_purchase".into(), next));
    }
    if let Some(gg) = spend_model(a, &d)? {
        let m = c.monetary.as_deref().unwrap_or(&[]);
        let opts = clv_options(a, c.time_unit, "predict")?;
        let spend: Vec<f64> = (0..n)
            .map(|i| gg.conditional_expected_spend(c.x[i], m[i]))
            .collect();
        let values = (0..n)
            .map(|i| pc.with(i, |pm| clv(pm, &gg, c.x[i], c.t_x[i], c.t[i], m[i], &opts)))
            .collect::<Result<Vec<_>, _>>()?;
        cols.push(("expected_spend".into(), spend));
        cols.push(("clv".into(), values));
    }
    Ok(Output::Table {
        meta: json!({"time_unit": c.time_unit.as_str(), "horizon": h}),
        columns: cols,
    })
}

fn clv_call(a: &Args, pre: &mut Option<Data>) -> Result<Output, BindingError> {
    let l = load(need(a, "fit", "clv")?, "fit")?;
    let d = take_data(a, pre, "clv")?;
    let pc = per_customer(&l, &d, "clv")?;
    let gg = gamma_gamma(need(a, "spend_fit", "clv")?, "spend_fit")?;
    let c = &d.cal;
    let m = c.monetary.as_deref().ok_or_else(|| {
        BindingError::from(kokyaku::Error::MissingColumn {
            column: "monetary".into(),
            hint: "CLV needs the mean repeat-purchase value per customer".into(),
        })
    })?;
    let opts = clv_options(a, c.time_unit, "clv")?;
    let v = (0..c.len())
        .map(|i| pc.with(i, |pm| clv(pm, &gg, c.x[i], c.t_x[i], c.t[i], m[i], &opts)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Output::Floats(v))
}

fn expected_purchases(a: &Args) -> Result<Value, BindingError> {
    let l = load(need(a, "fit", "expected_purchases")?, "fit")?;
    let t = numbers(need(a, "t", "expected_purchases")?, "t")?;
    let v: Vec<f64> = match &l.model {
        Model::Purchase(m) => t.iter().map(|&t| m.expected_purchases(t)).collect(),
        Model::BgBb(m) => t.iter().map(|&t| m.expected_purchases(t)).collect(),
        _ => {
            return Err(wrong(
                "expected_purchases",
                l.kind,
                "bg-nbd, mbg-nbd, pareto-nbd, ggompertz-nbd or bg-bb",
            ));
        }
    };
    Ok(floats(&v))
}

fn prob_purchases(a: &Args) -> Result<Value, BindingError> {
    use kokyaku::ltv::{BgNbd, GGompertzNbd, ModifiedBgNbd, ParetoNbd};
    let l = load(need(a, "fit", "prob_purchases")?, "fit")?;
    let ns = counts(need(a, "n", "prob_purchases")?, "n")?;
    let t = horizon(a, "t", "prob_purchases")?;
    let Some(Value::Object(f)) = a.get("fit") else {
        return Err(BindingError::option("fit", "expected an object"));
    };
    let p = |n: &str| f["params"][n].as_f64().unwrap_or(f64::NAN);
    let v: Vec<f64> = match l.kind {
        ModelKind::BgNbd if matches!(l.model, Model::Purchase(_)) => {
            let m = BgNbd::new(p("r"), p("alpha"), p("a"), p("b"))?;
            ns.iter().map(|&n| m.prob_purchases(n, t)).collect()
        }
        ModelKind::MbgNbd => {
            let m = ModifiedBgNbd::new(p("r"), p("alpha"), p("a"), p("b"))?;
            ns.iter().map(|&n| m.prob_purchases(n, t)).collect()
        }
        ModelKind::ParetoNbd if matches!(l.model, Model::Purchase(_)) => {
            let m = ParetoNbd::new(p("r"), p("alpha"), p("s"), p("beta"))?;
            ns.iter().map(|&n| m.prob_purchases(n, t)).collect()
        }
        ModelKind::GgompertzNbd => {
            let m = GGompertzNbd::new(p("r"), p("alpha"), p("b"), p("s"), p("beta"))?;
            ns.iter().map(|&n| m.prob_purchases(n, t)).collect()
        }
        ModelKind::BgBb => {
            let Model::BgBb(m) = &l.model else {
                return Err(wrong("prob_purchases", l.kind, "a bg-bb fit"));
            };
            let nt = counts(&json!(t), "t")?[0];
            ns.iter().map(|&n| m.prob_purchases(n, nt)).collect()
        }
        k => {
            return Err(wrong(
                "prob_purchases",
                k,
                "bg-nbd, mbg-nbd, pareto-nbd, ggompertz-nbd or bg-bb without covariates",
            ));
        }
    };
    Ok(floats(&v))
}

fn expected_spend(a: &Args, pre: &mut Option<Data>) -> Result<Output, BindingError> {
    let gg = gamma_gamma(need(a, "fit", "expected_spend")?, "fit")?;
    if pre.is_none() && a.get("data").is_none_or(Value::is_null) {
        return Ok(Output::Json(json!(gg.expected_spend())));
    }
    let d = take_data(a, pre, "expected_spend")?;
    let m = d.cal.monetary.as_deref().unwrap_or(&[]);
    if m.len() != d.cal.len() {
        return Err(BindingError::option(
            "data.monetary",
            "expected spend needs x and monetary per customer",
        ));
    }
    Ok(Output::Floats(
        (0..m.len())
            .map(|i| gg.conditional_expected_spend(d.cal.x[i], m[i]))
            .collect(),
    ))
}

fn sbg(a: &Args, function: &str) -> Result<Value, BindingError> {
    let l = load(need(a, "fit", function)?, "fit")?;
    let Model::Sbg(m) = &l.model else {
        return Err(wrong(function, l.kind, "an sbg fit"));
    };
    if function == "expected_residual_lifetime" {
        let n = counts(need(a, "n", function)?, "n")?;
        let rate = opt_number(a, "discount_rate")?.unwrap_or(0.0);
        return Ok(floats(
            &n.iter()
                .map(|&n| m.expected_residual_lifetime(n, rate))
                .collect::<Vec<_>>(),
        ));
    }
    let t = counts(need(a, "t", function)?, "t")?;
    Ok(floats(
        &t.iter()
            .map(|&t| match function {
                "survival" => m.survival(t),
                "churn_probability" => m.churn_probability(t),
                _ => m.retention_rate(t),
            })
            .collect::<Vec<_>>(),
    ))
}

/// Runs one LTV function by name ([`FUNCTIONS`]) on an object of arguments (the data as the
/// JSON `data` object); the result as JSON.
pub fn call(function: &str, arguments: Value) -> Result<Value, BindingError> {
    run(function, &args(arguments)?, &mut None).map(Output::into_json)
}

/// [`call`] with the data given as typed [`Columns`] (in place of the `data` argument) and the
/// result as an [`Output`], whose per-customer numbers stay `Vec<f64>`. Functions that take no
/// data (`expected_purchases`, `tracking`, …) refuse columns.
pub fn call_columns(
    function: &str,
    arguments: Value,
    data: Columns,
) -> Result<Output, BindingError> {
    let a = args(arguments)?;
    if a.get("data").is_some_and(|v| !v.is_null()) {
        return Err(BindingError::option(
            "data",
            "the data is given as columns; leave `data` out of the arguments",
        ));
    }
    if let Some(out) = spend_fit(function, &a, &data)? {
        return Ok(out);
    }
    let mut pre = Some(data.into_data()?);
    let out = run(function, &a, &mut pre)?;
    if pre.is_some() {
        return Err(BindingError::option(
            "data",
            format!("ltv.{function} takes no per-customer data"),
        ));
    }
    Ok(out)
}

/// A Gamma-Gamma fit on bare `x` and `monetary` columns (what the wrappers send it: recency and
/// age are not read) goes straight to `GammaGamma::fit_columns`, which checks the columns as
/// `CalibrationData` does and gives the same fit bit for bit, without the two placeholder
/// columns and the copies a `CalibrationData` would cost (a third of the call on 141,750 rows).
/// `None`: not such a call.
fn spend_fit(function: &str, a: &Args, data: &Columns) -> Result<Option<Output>, BindingError> {
    if function != "fit"
        || !is_gamma_gamma(a.get("model"))
        || data.t_x.is_some()
        || data.t.is_some()
        || !data.purchase_covariates.is_empty()
        || !data.dropout_covariates.is_empty()
    {
        return Ok(None);
    }
    let cols = SpendColumns {
        x: &data.x,
        monetary: data.monetary.as_deref(),
        weights: data.weights.as_deref(),
        time_unit: data.time_unit.as_deref(),
    };
    spend_fit_columns(a, &cols).map(|v| Some(Output::Json(v)))
}

fn is_gamma_gamma(model: Option<&Value>) -> bool {
    matches!(model, Some(Value::String(s))
        if ModelKind::parse(s).is_ok_and(|k| k == ModelKind::GammaGamma))
}

fn spend_fit_columns(a: &Args, cols: &SpendColumns<'_>) -> Result<Value, BindingError> {
    if let Some(u) = cols.time_unit {
        TimeUnit::parse(u)?;
    }
    let opts = fit_options(a.get("options"))?;
    let fitted = GammaGamma::fit_columns(cols.x, cols.monetary, cols.weights, &opts)?;
    Ok(fit_json(&fitted.report, None))
}

/// Borrowed columns of a Gamma-Gamma fit (a wrapper's Arrow buffers, read in place).
#[derive(Debug, Clone, Copy)]
pub struct SpendColumns<'a> {
    /// Repeat purchases.
    pub x: &'a [f64],
    /// Mean repeat-purchase value.
    pub monetary: Option<&'a [f64]>,
    /// Customers per row.
    pub weights: Option<&'a [f64]>,
    /// `days`, `weeks` or `months` (checked, not used: the spend model has no time).
    pub time_unit: Option<&'a str>,
}

/// Whether [`call_columns`] of `function` with `arguments` on the columns `roles` names is a
/// Gamma-Gamma fit that reads only `x`, `monetary` and `weights` (no recency, age or
/// covariates): then [`spend_fit_in_place`] gives its result from borrowed columns.
#[must_use]
pub fn is_spend_fit(function: &str, arguments: &Value, roles: &Roles) -> bool {
    function == "fit"
        && is_gamma_gamma(arguments.get("model"))
        && roles.t_x.is_none()
        && roles.t.is_none()
        && roles.purchase_covariates.is_empty()
        && roles.dropout_covariates.is_empty()
}

/// The fit [`call_columns`] gives (as [`Output::Json`]) for a call [`is_spend_fit`] accepts,
/// on borrowed columns (bit for bit the same, errors included): no column is copied.
pub fn spend_fit_in_place(
    arguments: Value,
    columns: &SpendColumns<'_>,
) -> Result<Value, BindingError> {
    let a = args(arguments)?;
    if a.get("data").is_some_and(|v| !v.is_null()) {
        return Err(BindingError::option(
            "data",
            "the data is given as columns; leave `data` out of the arguments",
        ));
    }
    spend_fit_columns(&a, columns)
}

fn take_data(a: &Args, pre: &mut Option<Data>, function: &str) -> Result<Data, BindingError> {
    match pre.take() {
        Some(d) => Ok(d),
        None => data(need(a, "data", function)?),
    }
}

fn run(function: &str, a: &Args, pre: &mut Option<Data>) -> Result<Output, BindingError> {
    let json = |v: Result<Value, BindingError>| v.map(Output::Json);
    match function {
        "fit" => json(fit(a, pre)),
        "load" => {
            let f = need(a, "fit", "load")?;
            load(f, "fit")?;
            Ok(Output::Json(f.clone()))
        }
        "predict" => predict(a, pre),
        "p_alive" => per_row(a, pre, "p_alive", BgBb::p_alive, |m, x, tx, t| {
            m.p_alive(x, tx, t)
        }),
        "p_alive_at" => {
            let fut = horizon(a, "future", "p_alive_at")?;
            per_row(
                a,
                pre,
                "p_alive_at",
                |_, _, _, _| f64::NAN,
                move |m, x, tx, t| m.p_alive_at(x, tx, t, fut),
            )
        }
        "conditional_expected_purchases" => {
            let h = horizon(a, "horizon", "conditional_expected_purchases")?;
            per_row(
                a,
                pre,
                "conditional_expected_purchases",
                move |m, x, tx, n| m.conditional_expected_purchases(h, x, tx, n),
                move |m, x, tx, t| m.conditional_expected_purchases(h, x, tx, t),
            )
        }
        "log_likelihood" => per_row(
            a,
            pre,
            "log_likelihood",
            BgBb::log_likelihood,
            |m, x, tx, t| m.log_likelihood(x, tx, t),
        ),
        "expected_purchases" => json(expected_purchases(a)),
        "prob_purchases" => json(prob_purchases(a)),
        "expected_spend" => expected_spend(a, pre),
        "clv" => clv_call(a, pre),
        "evaluate_holdout" => {
            let p = numbers(need(a, "predicted", "evaluate_holdout")?, "predicted")?;
            let y = numbers(need(a, "actual", "evaluate_holdout")?, "actual")?;
            json(to_value(&evaluate_holdout(&p, &y)?))
        }
        "tracking" => {
            let s = numbers(need(a, "first_purchase", "tracking")?, "first_purchase")?;
            let e = numbers(need(a, "period_ends", "tracking")?, "period_ends")?;
            tracking(a, &s, &e)
        }
        "survival" | "churn_probability" | "retention_rate" | "expected_residual_lifetime" => {
            json(sbg(a, function))
        }
        other => Err(BindingError::option(
            "function",
            format!(
                "unknown ltv function '{other}': use one of {}",
                FUNCTIONS.join(", ")
            ),
        )),
    }
}

fn tracking(a: &Args, first_purchase: &[f64], period_ends: &[f64]) -> Result<Output, BindingError> {
    let l = load(need(a, "fit", "tracking")?, "fit")?;
    let Model::Purchase(m) = &l.model else {
        return Err(wrong(
            "tracking",
            l.kind,
            "bg-nbd, mbg-nbd, pareto-nbd or ggompertz-nbd",
        ));
    };
    Ok(Output::Floats(tracking_expected_cumulative(
        m.as_ref(),
        first_purchase,
        period_ends,
    )))
}

/// The functions whose per-customer arguments are plain lists of numbers, and those arguments:
/// what [`call_arrays`] takes typed.
pub const ARRAY_ARGUMENTS: &[(&str, &[&str])] = &[
    ("evaluate_holdout", &["predicted", "actual"]),
    ("tracking", &["first_purchase", "period_ends"]),
];

/// [`call`] for `evaluate_holdout` and `tracking` with their list arguments given typed in
/// `arrays` (read from Arrow arrays or typed buffers by a wrapper) instead of as JSON; an
/// argument missing from `arrays` is read from `arguments`. `tracking` gives
/// [`Output::Floats`]; `evaluate_holdout` gives [`Output::Table`] with the per-customer column
/// `error` and the aggregates (`mae`, `rmse`, `total_predicted`, `total_actual`,
/// `correlation`; non-finite as `null`) in `meta`. The numbers are those of [`call`], bit for bit.
pub fn call_arrays(
    function: &str,
    arguments: Value,
    mut arrays: BTreeMap<String, Vec<f64>>,
) -> Result<Output, BindingError> {
    let a = args(arguments)?;
    let Some((_, keys)) = ARRAY_ARGUMENTS.iter().find(|(f, _)| *f == function) else {
        return Err(BindingError::option(
            "function",
            format!(
                "ltv.{function} takes no arrays; arrays go to {}",
                ARRAY_ARGUMENTS
                    .iter()
                    .map(|(f, _)| *f)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    };
    if let Some(k) = arrays.keys().find(|k| !keys.contains(&k.as_str())) {
        return Err(BindingError::option(
            &format!("arrays.{k}"),
            format!("ltv.{function} takes the arrays {}", keys.join(", ")),
        ));
    }
    let mut take = |key: &str| match arrays.remove(key) {
        Some(v) => Ok(v),
        None => numbers(need(&a, key, function)?, key),
    };
    let (first, second) = (take(keys[0])?, take(keys[1])?);
    if function == "tracking" {
        return tracking(&a, &first, &second);
    }
    let ev = evaluate_holdout(&first, &second)?;
    Ok(Output::Table {
        meta: json!({
            "mae": ev.mae,
            "rmse": ev.rmse,
            "total_predicted": ev.total_predicted,
            "total_actual": ev.total_actual,
            "correlation": ev.correlation,
        }),
        columns: vec![("error".to_owned(), ev.error)],
    })
}

/// The calibration summary of an order log, with its calibration end, holdout end and unit.
struct Summary {
    s: kokyaku::ltv::CalibrationSummary,
    end: chrono::NaiveDate,
    holdout_end: Option<chrono::NaiveDate>,
    time_unit: TimeUnit,
}

fn summarise(log: &Log, options: Value) -> Result<Summary, BindingError> {
    let mut m = normalize(options)?;
    let date =
        |m: &mut Map<String, Value>, k: &str| -> Result<Option<chrono::NaiveDate>, BindingError> {
            match m.remove(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(kokyaku::model::parse_date(k, &s)?)),
                Some(other) => Err(BindingError::option(
                    k,
                    format!("expected a date YYYY-MM-DD, got {other}"),
                )),
            }
        };
    let end = date(&mut m, "calibration_end")?;
    let holdout_end = date(&mut m, "holdout_end")?;
    let tu = unit(m.remove("time_unit").as_ref())?;
    crate::options::finish(&m)?;
    let end = match end {
        Some(e) => e,
        None => kokyaku::model::day_to_date(
            log.log
                .last_day()
                .ok_or_else(|| kokyaku::Error::EmptyInput("the log has no orders".into()))?,
        ),
    };
    let s = calibration_from_log(
        &log.log,
        &CalibrationOptions {
            calibration_end: end,
            holdout_end,
            time_unit: tu,
        },
    )?;
    Ok(Summary {
        s,
        end,
        holdout_end,
        time_unit: tu,
    })
}

/// The calibration summary of an order log (`kokyaku ltv summary`): options `calibration_end`
/// (date; default the last order day), `holdout_end` (date), `time_unit`. Columns
/// `customer_id`, `x`, `t_x`, `T`, `monetary`, `first_purchase` (date), and with a holdout
/// `holdout_purchases`, `holdout_spend`, plus `time_unit`, `calibration_end`, `holdout_length`.
pub fn calibration_summary(log: &Log, options: Value) -> Result<Value, BindingError> {
    let Summary {
        s,
        end,
        holdout_end,
        time_unit: tu,
    } = summarise(log, options)?;
    let mut data = Map::new();
    data.insert("customer_id".into(), json!(s.customer_id));
    data.insert("x".into(), floats(&s.data.x));
    data.insert("t_x".into(), floats(&s.data.t_x));
    data.insert("T".into(), floats(&s.data.t));
    data.insert(
        "monetary".into(),
        floats(s.data.monetary.as_deref().unwrap_or(&[])),
    );
    data.insert(
        "first_purchase".into(),
        json!(
            s.first_purchase_day
                .iter()
                .map(|&d| kokyaku::model::day_to_date(d).to_string())
                .collect::<Vec<_>>()
        ),
    );
    let mut columns = vec!["customer_id", "x", "t_x", "T", "monetary", "first_purchase"];
    if let (Some(hx), Some(hs)) = (&s.holdout_purchases, &s.holdout_spend) {
        data.insert("holdout_purchases".into(), floats(hx));
        data.insert("holdout_spend".into(), floats(hs));
        columns.extend(["holdout_purchases", "holdout_spend"]);
    }
    Ok(json!({
        "time_unit": tu.as_str(),
        "calibration_end": end.to_string(),
        "holdout_end": holdout_end.map(|d| d.to_string()),
        "holdout_length": s.holdout_length,
        "columns": columns,
        "data": Value::Object(data),
    }))
}

/// [`calibration_summary`] as a typed table (the same columns; `first_purchase` a date column),
/// for wrappers that hand tables over as Arrow.
pub fn calibration_summary_table(log: &Log, options: Value) -> Result<Table, BindingError> {
    let Summary { s, .. } = summarise(log, options)?;
    let f =
        |v: Vec<f64>| Column::Float(v.into_iter().map(|x| x.is_finite().then_some(x)).collect());
    let mut t = Table::default();
    t.push(
        "customer_id",
        Column::Str(s.customer_id.into_iter().map(Some).collect()),
    );
    t.push("x", f(s.data.x));
    t.push("t_x", f(s.data.t_x));
    t.push("T", f(s.data.t));
    t.push("monetary", f(s.data.monetary.unwrap_or_default()));
    t.push(
        "first_purchase",
        Column::Date(
            s.first_purchase_day
                .iter()
                .map(|&d| Some(kokyaku::model::day_to_date(d)))
                .collect(),
        ),
    );
    if let (Some(hx), Some(hs)) = (s.holdout_purchases, s.holdout_spend) {
        t.push("holdout_purchases", f(hx));
        t.push("holdout_spend", f(hs));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fhl() -> Value {
        json!({"model": "bg-nbd", "params": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
               "time_unit": "weeks"})
    }

    #[test]
    fn predictions_from_a_saved_fit_match_the_core() {
        use kokyaku::ltv::BgNbd;
        let data = json!({"x": [2.0, 0.0], "t_x": [30.43, 0.0], "T": [38.86, 38.86]});
        let got = call(
            "conditional_expected_purchases",
            json!({"fit": fhl(), "data": data, "horizon": 39.0}),
        )
        .unwrap();
        let m = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
        assert_eq!(
            got[0].as_f64().unwrap().to_bits(),
            m.conditional_expected_purchases(39.0, 2.0, 30.43, 38.86)
                .to_bits()
        );
        let e = call("p_alive", json!({"fit": fhl(), "data": {"x": [1.0], "t_x": [1.0], "T": [2.0], "time_unit": "days"}}))
            .unwrap_err();
        assert_eq!(e.code, "invalid_option");
        assert!(e.message.contains("weeks"), "{}", e.message);
    }

    #[test]
    fn fit_round_trips_and_errors_name_the_problem() {
        let data = json!({"x": [0.0, 1.0, 2.0, 5.0, 0.0, 3.0], "t_x": [0.0, 3.0, 10.0, 20.0, 0.0, 12.0],
                          "T": [30.0, 30.0, 30.0, 30.0, 20.0, 25.0]});
        let f = call("fit", json!({"model": "bg-nbd", "data": data})).unwrap();
        assert_eq!(f["model"], "bg-nbd");
        assert_eq!(f["time_unit"], "weeks");
        assert!(call("load", json!({"fit": f})).is_ok());
        let e = call("nope", Value::Null).unwrap_err();
        assert_eq!(e.code, "invalid_option");
        let e = call(
            "fit",
            json!({"model": "bg-nbd", "data": {"x": [1.0], "t_x": [5.0], "T": [2.0]}}),
        )
        .unwrap_err();
        assert_eq!(e.code, "invalid_value");
        let e = call(
            "fit",
            json!({"model": "bg-nbd", "data": {"x": [1.0], "tx": [5.0]}}),
        )
        .unwrap_err();
        assert!(e.message.contains("data.tx"), "{}", e.message);
    }

    #[test]
    fn typed_columns_give_the_json_numbers_bit_for_bit() {
        let data = json!({"x": [0.0, 1.0, 2.0, 5.0, 0.0, 3.0], "t_x": [0.0, 3.0, 10.0, 20.0, 0.0, 12.0],
                          "T": [30.0, 30.0, 30.0, 30.0, 20.0, 25.0],
                          "monetary": [0.0, 12.0, 30.0, 8.5, 0.0, 20.0]});
        let cols = || Columns {
            x: vec![0.0, 1.0, 2.0, 5.0, 0.0, 3.0],
            t_x: Some(vec![0.0, 3.0, 10.0, 20.0, 0.0, 12.0]),
            t: Some(vec![30.0, 30.0, 30.0, 30.0, 20.0, 25.0]),
            monetary: Some(vec![0.0, 12.0, 30.0, 8.5, 0.0, 20.0]),
            ..Columns::default()
        };
        let f = call("fit", json!({"model": "bg-nbd", "data": data})).unwrap();
        let typed = call_columns("fit", json!({"model": "bg-nbd"}), cols()).unwrap();
        assert_eq!(typed, Output::Json(f.clone()));
        for (function, extra) in [
            ("predict", json!({"horizon": 10.0})),
            ("p_alive", json!({})),
            ("conditional_expected_purchases", json!({"horizon": 5.0})),
        ] {
            let mut a = extra.as_object().unwrap().clone();
            a.insert("fit".into(), f.clone());
            let typed = call_columns(function, Value::Object(a.clone()), cols()).unwrap();
            a.insert("data".into(), data.clone());
            assert_eq!(
                typed.into_json(),
                call(function, Value::Object(a)).unwrap(),
                "{function}"
            );
        }
        // Gamma-Gamma on x and monetary alone (the wrappers' call) is the JSON fit bit for bit,
        // errors included.
        let spend = |m: Vec<f64>| Columns {
            x: vec![0.0, 1.0, 2.0, 5.0, 0.0, 3.0],
            monetary: Some(m),
            ..Columns::default()
        };
        let gg = json!({"model": "gamma-gamma"});
        let m = vec![0.0, 12.0, 30.0, 8.5, 0.0, 20.0];
        let typed = call_columns("fit", gg.clone(), spend(m.clone())).unwrap();
        let json_fit = call("fit", json!({"model": "gamma-gamma", "data": data})).unwrap();
        assert_eq!(typed, Output::Json(json_fit));
        let mut bad = m;
        bad[3] = -1.0;
        let typed = call_columns("fit", gg, spend(bad.clone())).unwrap_err();
        let json_err = call(
            "fit",
            json!({"model": "gamma-gamma", "data": {"x": [0.0, 1.0, 2.0, 5.0, 0.0, 3.0], "monetary": bad}}),
        )
        .unwrap_err();
        assert_eq!(
            (typed.code, typed.message),
            (json_err.code, json_err.message)
        );
        let e =
            call_columns("expected_purchases", json!({"fit": f, "t": [1.0]}), cols()).unwrap_err();
        assert_eq!(e.code, "invalid_option");
        let roles = Roles::from_value(json!({"x": "frequency", "T": "age"})).unwrap();
        let c = roles
            .columns(|n| Ok(vec![if n == "age" { 9.0 } else { 1.0 }]))
            .unwrap();
        assert_eq!((c.x, c.t, c.t_x), (vec![1.0], Some(vec![9.0]), None));
        assert!(Roles::from_value(json!({"x": "a", "frequency": "b"})).is_err());
    }

    #[test]
    fn typed_arrays_give_the_json_numbers_bit_for_bit() {
        let (p, y) = (vec![0.5, 1.25, 3.0, 0.1], vec![0.0, 2.0, 3.0, 1.0]);
        let arrays = |pairs: &[(&str, &Vec<f64>)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).clone()))
                .collect::<BTreeMap<_, _>>()
        };
        let Output::Table { meta, columns } = call_arrays(
            "evaluate_holdout",
            json!({}),
            arrays(&[("predicted", &p), ("actual", &y)]),
        )
        .unwrap() else {
            panic!("evaluate_holdout gives a table")
        };
        let mut typed = meta.as_object().unwrap().clone();
        typed.insert("error".into(), floats(&columns[0].1));
        let j = call("evaluate_holdout", json!({"predicted": p, "actual": y})).unwrap();
        assert_eq!(Value::Object(typed), j);
        // A constant side: correlation null in both.
        let c = vec![1.0; 4];
        let Output::Table { meta, .. } = call_arrays(
            "evaluate_holdout",
            json!({"actual": y}),
            arrays(&[("predicted", &c)]),
        )
        .unwrap() else {
            panic!("a table")
        };
        assert_eq!(meta["correlation"], Value::Null);
        let (s, e) = (vec![0.0, 1.5, 3.0, f64::NAN], vec![2.0, 4.0, 8.0]);
        let typed = call_arrays(
            "tracking",
            json!({"fit": fhl()}),
            arrays(&[("first_purchase", &s), ("period_ends", &e)]),
        )
        .unwrap();
        let j = call(
            "tracking",
            json!({"fit": fhl(), "first_purchase": [0.0, 1.5, 3.0, null], "period_ends": e}),
        )
        .unwrap();
        assert_eq!(typed.into_json(), j);
        let err = call_arrays("p_alive", json!({}), BTreeMap::new()).unwrap_err();
        assert_eq!(err.code, "invalid_option");
        let err = call_arrays("tracking", json!({"fit": fhl()}), arrays(&[("x", &e)])).unwrap_err();
        assert!(err.message.contains("arrays.x"), "{}", err.message);
        let err =
            call_arrays("evaluate_holdout", json!({}), arrays(&[("predicted", &p)])).unwrap_err();
        assert!(err.message.contains("needs `actual`"), "{}", err.message);
    }

    #[test]
    fn sbg_and_gamma_gamma() {
        let f = call("fit", json!({"model": "sbg", "cohorts": [[1000.0, 869.0, 743.0, 653.0, 593.0, 551.0, 517.0, 491.0]]}))
            .unwrap();
        assert!(
            (f["params"]["alpha"].as_f64().unwrap() - 0.668).abs() < 0.01,
            "{f}"
        );
        let s = call("survival", json!({"fit": f, "t": [0, 1]})).unwrap();
        assert_eq!(s[0].as_f64(), Some(1.0));
        let gg = json!({"model": "gamma-gamma", "params": {"p": 6.25, "q": 3.74, "gamma": 15.44}});
        let v = call(
            "expected_spend",
            json!({"fit": gg, "data": {"x": [2.0], "T": [0.0], "monetary": [10.0]}}),
        );
        assert!(v.is_ok(), "{v:?}");
    }
}
