//! Models by name: what the command line and every binding share (`"bg-nbd"`, ...).

use super::data::CalibrationData;
use super::fit::{FitOptions, FitReport};
use super::{BgBb, BgNbd, GGompertzNbd, GammaGamma, ModifiedBgNbd, ParetoNbd, PurchaseModel};
use crate::{Error, Result};

/// A model, named as on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// [`BgNbd`].
    BgNbd,
    /// [`ModifiedBgNbd`].
    MbgNbd,
    /// [`ParetoNbd`].
    ParetoNbd,
    /// [`GGompertzNbd`].
    GgompertzNbd,
    /// [`GammaGamma`].
    GammaGamma,
    /// [`BgBb`].
    BgBb,
    /// [`super::ShiftedBetaGeometric`] (fitted on cohorts, not on [`CalibrationData`]).
    Sbg,
}

impl ModelKind {
    /// Every kind, in documentation order.
    pub const ALL: [ModelKind; 7] = [
        ModelKind::BgNbd,
        ModelKind::MbgNbd,
        ModelKind::ParetoNbd,
        ModelKind::GgompertzNbd,
        ModelKind::GammaGamma,
        ModelKind::BgBb,
        ModelKind::Sbg,
    ];

    /// The name (`bg-nbd`, `mbg-nbd`, `pareto-nbd`, `ggompertz-nbd`, `gamma-gamma`, `bg-bb`, `sbg`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::BgNbd => "bg-nbd",
            ModelKind::MbgNbd => "mbg-nbd",
            ModelKind::ParetoNbd => "pareto-nbd",
            ModelKind::GgompertzNbd => "ggompertz-nbd",
            ModelKind::GammaGamma => "gamma-gamma",
            ModelKind::BgBb => "bg-bb",
            ModelKind::Sbg => "sbg",
        }
    }

    /// Parse a name (also with `_` for `-`, any case).
    pub fn parse(s: &str) -> Result<Self> {
        let t = s.trim().to_ascii_lowercase().replace('_', "-");
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == t)
            .ok_or_else(|| {
                Error::option(
                    "model",
                    s,
                    format!("one of {}", Self::ALL.map(ModelKind::as_str).join(", ")),
                )
            })
    }
}

/// Fit the model `kind` on summary data (every kind but `sbg`, which takes cohorts).
pub fn fit_summary(
    kind: ModelKind,
    data: &CalibrationData,
    options: &FitOptions,
) -> Result<FitReport> {
    Ok(match kind {
        ModelKind::BgNbd => BgNbd::fit(data, options)?.report,
        ModelKind::MbgNbd => ModifiedBgNbd::fit(data, options)?.report,
        ModelKind::ParetoNbd => ParetoNbd::fit(data, options)?.report,
        ModelKind::GgompertzNbd => GGompertzNbd::fit(data, options)?.report,
        ModelKind::GammaGamma => GammaGamma::fit(data, options)?.report,
        ModelKind::BgBb => BgBb::fit(data, options)?.report,
        ModelKind::Sbg => {
            return Err(Error::option(
                "model",
                "sbg",
                "sbg is fitted on cohort survivor counts (ShiftedBetaGeometric::fit)",
            ));
        }
    })
}

/// Fit a continuous-time purchase model (`bg-nbd`, `mbg-nbd`, `pareto-nbd`, `ggompertz-nbd`) and
/// return it for predictions, with its report.
pub fn fit_purchase_model(
    kind: ModelKind,
    data: &CalibrationData,
    options: &FitOptions,
) -> Result<(Box<dyn PurchaseModel + Send + Sync>, FitReport)> {
    Ok(match kind {
        ModelKind::BgNbd => {
            let f = BgNbd::fit(data, options)?;
            (Box::new(f.model), f.report)
        }
        ModelKind::MbgNbd => {
            let f = ModifiedBgNbd::fit(data, options)?;
            (Box::new(f.model), f.report)
        }
        ModelKind::ParetoNbd => {
            let f = ParetoNbd::fit(data, options)?;
            (Box::new(f.model), f.report)
        }
        ModelKind::GgompertzNbd => {
            let f = GGompertzNbd::fit(data, options)?;
            (Box::new(f.model), f.report)
        }
        other => {
            return Err(Error::option(
                "model",
                other.as_str(),
                "predictions take bg-nbd, mbg-nbd, pareto-nbd or ggompertz-nbd",
            ));
        }
    })
}

/// The value of parameter `name` in `params` (names as in [`FitReport::param_names`]), an
/// `invalid_option` error naming the model and what it needs when missing or not finite.
pub(crate) fn param(
    params: &[(String, f64)],
    model: &str,
    name: &str,
    all: &[&str],
) -> Result<f64> {
    let v = params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            Error::option(
                &format!("{model}.{name}"),
                "missing",
                format!("{model} needs parameters {}", all.join(", ")),
            )
        })?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Error::option(
            &format!("{model}.{name}"),
            v,
            "parameters must be finite",
        ))
    }
}

/// Rebuild a fitted continuous-time purchase model (`bg-nbd`, `mbg-nbd`, `pareto-nbd`,
/// `ggompertz-nbd`) from its named parameters, as [`FitReport::param_names`] /
/// [`FitReport::params`] (and `kokyaku ltv fit --format json`'s `params`) give them, so a saved
/// fit predicts without refitting. Parameters beyond the model's are an error (a covariate fit
/// needs [`super::BgNbdWithCovariates::from_params`] instead), and each value goes through the
/// model's `new` (finite, > 0).
pub fn purchase_model_from_params(
    kind: ModelKind,
    params: &[(String, f64)],
) -> Result<Box<dyn PurchaseModel + Send + Sync>> {
    let names: &[&str] = match kind {
        ModelKind::BgNbd | ModelKind::MbgNbd => &["r", "alpha", "a", "b"],
        ModelKind::ParetoNbd => &["r", "alpha", "s", "beta"],
        ModelKind::GgompertzNbd => &["r", "alpha", "b", "s", "beta"],
        other => {
            return Err(Error::option(
                "model",
                other.as_str(),
                "predictions take bg-nbd, mbg-nbd, pareto-nbd or ggompertz-nbd",
            ));
        }
    };
    let model = kind.as_str();
    if let Some((extra, _)) = params.iter().find(|(n, _)| !names.contains(&n.as_str())) {
        return Err(Error::option(
            &format!("{model}.{extra}"),
            "unexpected",
            format!(
                "{model} has parameters {}; covariate coefficients need the covariate model",
                names.join(", ")
            ),
        ));
    }
    let p = |n: &str| param(params, model, n, names);
    Ok(match kind {
        ModelKind::BgNbd => Box::new(BgNbd::new(p("r")?, p("alpha")?, p("a")?, p("b")?)?),
        ModelKind::MbgNbd => Box::new(ModifiedBgNbd::new(p("r")?, p("alpha")?, p("a")?, p("b")?)?),
        ModelKind::ParetoNbd => {
            Box::new(ParetoNbd::new(p("r")?, p("alpha")?, p("s")?, p("beta")?)?)
        }
        _ => Box::new(GGompertzNbd::new(
            p("r")?,
            p("alpha")?,
            p("b")?,
            p("s")?,
            p("beta")?,
        )?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in ModelKind::ALL {
            assert_eq!(ModelKind::parse(k.as_str()).unwrap(), k);
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
        assert_eq!(
            ModelKind::parse("Pareto_NBD").unwrap(),
            ModelKind::ParetoNbd
        );
        assert_eq!(
            ModelKind::parse("nope").unwrap_err().code(),
            "invalid_option"
        );
    }

    #[test]
    fn models_from_params() {
        let named = |v: &[(&str, f64)]| -> Vec<(String, f64)> {
            v.iter().map(|(n, x)| ((*n).to_owned(), *x)).collect()
        };
        let p = named(&[("r", 0.243), ("alpha", 4.414), ("a", 0.793), ("b", 2.426)]);
        let m = purchase_model_from_params(ModelKind::BgNbd, &p).unwrap();
        let direct = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
        assert!(
            (m.conditional_expected_purchases(39.0, 2.0, 30.43, 38.86)
                - direct.conditional_expected_purchases(39.0, 2.0, 30.43, 38.86))
            .abs()
                < 1e-15
        );
        for (kind, params) in [
            (
                ModelKind::BgNbd,
                named(&[("r", 0.2), ("alpha", 4.0), ("a", 0.8)]),
            ),
            (
                ModelKind::ParetoNbd,
                named(&[("r", 0.5), ("alpha", 10.0), ("s", -1.0), ("beta", 11.0)]),
            ),
            (
                ModelKind::ParetoNbd,
                named(&[
                    ("r", 0.5),
                    ("alpha", 10.0),
                    ("s", 0.6),
                    ("beta", 11.0),
                    ("purchase[age]", 0.1),
                ]),
            ),
            (
                ModelKind::GammaGamma,
                named(&[("p", 6.0), ("q", 3.7), ("gamma", 15.0)]),
            ),
        ] {
            let e = purchase_model_from_params(kind, &params).err().unwrap();
            assert_eq!(e.code(), "invalid_option", "{kind:?} {params:?}: {e}");
        }
    }
}
