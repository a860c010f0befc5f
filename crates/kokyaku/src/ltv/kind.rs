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
}
