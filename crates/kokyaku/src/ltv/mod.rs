//! Predictive lifetime value: buy-till-you-die models.
//!
//! Continuous-time non-contractual models ([`BgNbd`], [`ModifiedBgNbd`], [`ParetoNbd`]) work on
//! [`CalibrationData`] (`x`, `t_x`, `T` per customer in an explicit [`TimeUnit`]); spend is
//! modelled by [`GammaGamma`]; discrete opportunities by [`BgBb`]; contractual retention by
//! [`ShiftedBetaGeometric`]. Every model is fitted by maximum likelihood on log-parameters with
//! analytic gradients and BFGS ([`FitOptions`], [`FitReport`]). See `docs/ltv.md`.

mod bgbb;
mod bgnbd;
mod calibration;
mod covariates;
mod data;
mod fit;
mod gamma_gamma;
mod ggompertz;
mod kind;
mod optim;
mod pareto;
mod predict;
mod saved;
mod sbg;
mod special;
mod summary_io;

pub use bgbb::BgBb;
pub use bgnbd::{BgNbd, ModifiedBgNbd};
pub use calibration::{
    CalibrationOptions, CalibrationSummary, calibration_from_log, holdout_purchase_days,
};
pub use covariates::{BgNbdWithCovariates, Covariates, ParetoNbdWithCovariates};
pub use data::{CalibrationData, Collapsed, TimeUnit};
pub use fit::{FitOptions, FitReport, Fitted};
pub use gamma_gamma::GammaGamma;
pub use ggompertz::GGompertzNbd;
pub use kind::{ModelKind, fit_purchase_model, fit_summary, purchase_model_from_params};
pub use pareto::ParetoNbd;
pub use predict::{
    ClvOptions, HoldoutEvaluation, clv, clv_batch, conditional_expected_purchases_batch,
    evaluate_holdout, p_alive_and_clv_batch, p_alive_at_batch, p_alive_batch,
    tracking_expected_cumulative,
};
pub use saved::{SavedFit, saved_fit_json};
pub use sbg::{Cohort, ShiftedBetaGeometric};
pub use summary_io::{SummaryColumns, SummaryFile, read_covariates_csv, read_summary_csv};
#[cfg(feature = "parquet")]
pub use summary_io::{read_covariates_parquet, read_summary_parquet};

/// Predictions shared by the continuous-time purchase models. Times are in the unit of the data
/// the model was fitted on; `x`, `t_x`, `t` are a customer's calibration `x`, `t_x`, `T`.
pub trait PurchaseModel {
    /// Model name as on the command line (`bg-nbd`, `mbg-nbd`, `pareto-nbd`).
    fn name(&self) -> &'static str;
    /// Log-likelihood of one customer.
    fn log_likelihood(&self, x: f64, t_x: f64, t: f64) -> f64;
    /// E[X(t)]: expected repeat purchases of a new customer in `(0, horizon]`.
    fn expected_purchases(&self, horizon: f64) -> f64;
    /// E[Y(horizon) | alive at T, x, T]: expected purchases in `(T, T + horizon]` of a customer
    /// known to be alive at `T` (it does not depend on `t_x`).
    fn expected_purchases_if_alive(&self, horizon: f64, x: f64, t: f64) -> f64;
    /// `P(alive at T | x, t_x, T)`.
    fn p_alive(&self, x: f64, t_x: f64, t: f64) -> f64;
    /// `P(alive at T + future | x, t_x, T)`.
    fn p_alive_at(&self, x: f64, t_x: f64, t: f64, future: f64) -> f64;
    /// Expected time from `T` to the next purchase of a customer alive at `T` (BG/NBD family:
    /// `(α + T)/(r + x − 1)`, infinite when `r + x <= 1`); NaN where the model has no closed form
    /// yet (Pareto/NBD, GGompertz/NBD, whose alive customers may die before buying again).
    fn expected_time_to_next_purchase(&self, x: f64, t: f64) -> f64 {
        let _ = (x, t);
        f64::NAN
    }
    /// `E[Y(horizon) | x, t_x, T]`: expected purchases in `(T, T + horizon]`
    /// = P(alive) · E[Y(horizon) | alive].
    fn conditional_expected_purchases(&self, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        if horizon <= 0.0 {
            return 0.0;
        }
        self.p_alive(x, t_x, t) * self.expected_purchases_if_alive(horizon, x, t)
    }
}
