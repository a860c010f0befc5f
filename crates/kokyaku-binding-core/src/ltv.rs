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

use kokyaku::ltv::{
    BgBb, BgNbdWithCovariates, CalibrationData, CalibrationOptions, ClvOptions, Cohort, Covariates,
    FitOptions, FitReport, GammaGamma, ModelKind, ParetoNbdWithCovariates, PurchaseModel,
    ShiftedBetaGeometric, TimeUnit, calibration_from_log, clv, evaluate_holdout, fit_summary,
    purchase_model_from_params, tracking_expected_cumulative,
};
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

/// Calibration data and its covariate columns from a data object.
struct Data {
    cal: CalibrationData,
    purchase: Map<String, Value>,
    dropout: Map<String, Value>,
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
    let col = |names: &[&str]| -> Result<Vec<f64>, BindingError> {
        column(d, names)
            .map(|v| numbers(v, names[0]))
            .transpose()
            .map(Option::unwrap_or_default)
    };
    let x = col(&["x"])?;
    let t_x = match column(d, &["t_x"]) {
        Some(v) => numbers(v, "t_x")?,
        None => vec![0.0; x.len()],
    };
    let t = match column(d, &["T", "n"]) {
        Some(v) => numbers(v, "T")?,
        // Gamma-Gamma needs only x and monetary.
        None => t_x.clone(),
    };
    let mut cd = CalibrationData::new(x, t_x, t, unit(d.get("time_unit"))?)?;
    if let Some(m) = column(d, &["monetary"]) {
        cd = cd.with_monetary(numbers(m, "monetary")?)?;
    }
    if let Some(w) = column(d, &["weights"]) {
        cd = cd.with_weights(numbers(w, "weights")?)?;
    }
    let obj = |k: &str| -> Result<Map<String, Value>, BindingError> {
        match d.get(k) {
            None | Some(Value::Null) => Ok(Map::new()),
            Some(Value::Object(m)) => Ok(m.clone()),
            Some(other) => Err(BindingError::option(
                k,
                format!("expected an object of name → column, got {other}"),
            )),
        }
    };
    Ok(Data {
        cal: cd,
        purchase: obj("purchase_covariates")?,
        dropout: obj("dropout_covariates")?,
    })
}

/// A row-major covariate matrix of the columns `names` (in that order) of `cols`.
fn covariates(
    cols: &Map<String, Value>,
    names: &[String],
    rows: usize,
    what: &str,
) -> Result<Covariates, BindingError> {
    let columns = names
        .iter()
        .map(|n| {
            let c = cols.get(n).ok_or_else(|| {
                BindingError::option(
                    &format!("{what}.{n}"),
                    "missing: the fit has a coefficient for this covariate; pass its column",
                )
            })?;
            let v = numbers(c, n)?;
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

fn sorted_keys(m: &Map<String, Value>) -> Vec<String> {
    let mut k: Vec<String> = m.keys().cloned().collect();
    k.sort();
    k
}

/// The saved-fit JSON of a report (the CLI's `report_json` without `fit_seconds`).
#[must_use]
pub fn fit_json(r: &FitReport, time_unit: Option<TimeUnit>) -> Value {
    let obj = |vals: &[f64]| {
        Value::Object(
            r.param_names
                .iter()
                .zip(vals)
                .map(|(n, v)| {
                    (
                        n.clone(),
                        json!(if v.is_finite() { Some(*v) } else { None }),
                    )
                })
                .collect(),
        )
    };
    json!({
        "model": r.model,
        "params": obj(&r.params),
        "log_likelihood": r.log_likelihood,
        "n_customers": r.n_customers,
        "converged": r.converged,
        "iterations": r.iterations,
        "std_errors": obj(&r.std_errors),
        "n_distinct_rows": r.n_distinct_rows,
        "time_unit": time_unit.map(TimeUnit::as_str),
        "message": r.message,
    })
}

fn fit_options(v: Option<&Value>) -> Result<FitOptions, BindingError> {
    from_value(v.cloned().unwrap_or(Value::Null))
}

fn fit(a: &Args) -> Result<Value, BindingError> {
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
    let d = data(need(a, "data", "fit")?)?;
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
    function: &str,
    bgbb: impl Fn(&BgBb, f64, f64, f64) -> f64,
    f: impl Fn(&dyn PurchaseModel, f64, f64, f64) -> f64,
) -> Result<Value, BindingError> {
    let l = load(need(a, "fit", function)?, "fit")?;
    let d = data(need(a, "data", function)?)?;
    let c = &d.cal;
    if let Model::BgBb(m) = &l.model {
        return Ok(floats(
            &(0..c.len())
                .map(|i| bgbb(m, c.x[i], c.t_x[i], c.t[i]))
                .collect::<Vec<_>>(),
        ));
    }
    let pc = per_customer(&l, &d, function)?;
    Ok(floats(
        &(0..c.len())
            .map(|i| pc.with(i, |m| f(m, c.x[i], c.t_x[i], c.t[i])))
            .collect::<Vec<_>>(),
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
fn predict(a: &Args) -> Result<Value, BindingError> {
    let l = load(need(a, "fit", "predict")?, "fit")?;
    let d = data(need(a, "data", "predict")?)?;
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
    let mut cols: Vec<(String, Value)> = vec![
        ("p_alive".into(), floats(&pa)),
        ("expected_purchases".into(), floats(&ey)),
        ("p_alive_at_horizon".into(), floats(&pa_end)),
    ];
    if next.iter().any(|v| !v.is_nan()) {
        cols.push(("expected_time_to_next_purchase".into(), floats(&next)));
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
        cols.push(("expected_spend".into(), floats(&spend)));
        cols.push(("clv".into(), floats(&values)));
    }
    Ok(json!({
        "time_unit": c.time_unit.as_str(),
        "horizon": h,
        "columns": cols.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
        "data": Value::Object(cols.into_iter().collect()),
    }))
}

fn clv_call(a: &Args) -> Result<Value, BindingError> {
    let l = load(need(a, "fit", "clv")?, "fit")?;
    let d = data(need(a, "data", "clv")?)?;
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
    Ok(floats(&v))
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

fn expected_spend(a: &Args) -> Result<Value, BindingError> {
    let gg = gamma_gamma(need(a, "fit", "expected_spend")?, "fit")?;
    match a.get("data").filter(|v| !v.is_null()) {
        None => Ok(json!(gg.expected_spend())),
        Some(v) => {
            let d = data(v)?;
            let m = d.cal.monetary.as_deref().unwrap_or(&[]);
            if m.len() != d.cal.len() {
                return Err(BindingError::option(
                    "data.monetary",
                    "expected spend needs x and monetary per customer",
                ));
            }
            Ok(floats(
                &(0..m.len())
                    .map(|i| gg.conditional_expected_spend(d.cal.x[i], m[i]))
                    .collect::<Vec<_>>(),
            ))
        }
    }
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

/// Runs one LTV function by name ([`FUNCTIONS`]) on an object of arguments.
pub fn call(function: &str, arguments: Value) -> Result<Value, BindingError> {
    let a = args(arguments)?;
    match function {
        "fit" => fit(&a),
        "load" => {
            let f = need(&a, "fit", "load")?;
            load(f, "fit")?;
            Ok(f.clone())
        }
        "predict" => predict(&a),
        "p_alive" => per_row(&a, "p_alive", BgBb::p_alive, |m, x, tx, t| {
            m.p_alive(x, tx, t)
        }),
        "p_alive_at" => {
            let fut = horizon(&a, "future", "p_alive_at")?;
            per_row(
                &a,
                "p_alive_at",
                |_, _, _, _| f64::NAN,
                move |m, x, tx, t| m.p_alive_at(x, tx, t, fut),
            )
        }
        "conditional_expected_purchases" => {
            let h = horizon(&a, "horizon", "conditional_expected_purchases")?;
            per_row(
                &a,
                "conditional_expected_purchases",
                move |m, x, tx, n| m.conditional_expected_purchases(h, x, tx, n),
                move |m, x, tx, t| m.conditional_expected_purchases(h, x, tx, t),
            )
        }
        "log_likelihood" => per_row(&a, "log_likelihood", BgBb::log_likelihood, |m, x, tx, t| {
            m.log_likelihood(x, tx, t)
        }),
        "expected_purchases" => expected_purchases(&a),
        "prob_purchases" => prob_purchases(&a),
        "expected_spend" => expected_spend(&a),
        "clv" => clv_call(&a),
        "evaluate_holdout" => {
            let p = numbers(need(&a, "predicted", "evaluate_holdout")?, "predicted")?;
            let y = numbers(need(&a, "actual", "evaluate_holdout")?, "actual")?;
            to_value(&evaluate_holdout(&p, &y)?)
        }
        "tracking" => {
            let l = load(need(&a, "fit", "tracking")?, "fit")?;
            let Model::Purchase(m) = &l.model else {
                return Err(wrong(
                    "tracking",
                    l.kind,
                    "bg-nbd, mbg-nbd, pareto-nbd or ggompertz-nbd",
                ));
            };
            let s = numbers(need(&a, "first_purchase", "tracking")?, "first_purchase")?;
            let e = numbers(need(&a, "period_ends", "tracking")?, "period_ends")?;
            Ok(floats(&tracking_expected_cumulative(m.as_ref(), &s, &e)))
        }
        "survival" | "churn_probability" | "retention_rate" | "expected_residual_lifetime" => {
            sbg(&a, function)
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

/// The calibration summary of an order log (`kokyaku ltv summary`): options `calibration_end`
/// (date; default the last order day), `holdout_end` (date), `time_unit`. Columns
/// `customer_id`, `x`, `t_x`, `T`, `monetary`, `first_purchase` (date), and with a holdout
/// `holdout_purchases`, `holdout_spend`, plus `time_unit`, `calibration_end`, `holdout_length`.
pub fn calibration_summary(log: &Log, options: Value) -> Result<Value, BindingError> {
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
