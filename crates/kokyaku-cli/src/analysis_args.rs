//! Flags (and an options file) for the analysis options the library has: RFM tie rule, bins,
//! basis and segment map; CPM thresholds, basis and the threshold's currency; `dormant_days`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use kokyaku::report::AnalysisOptions;
use kokyaku::rfm::{Binning, FrequencyBasis, SegmentMap, TieRule};
use kokyaku::{Error, Result};

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum TiesArg {
    Ntile,
    Shared,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum BasisArg {
    Orders,
    PurchaseDays,
}

impl From<BasisArg> for FrequencyBasis {
    fn from(b: BasisArg) -> Self {
        match b {
            BasisArg::Orders => FrequencyBasis::Orders,
            BasisArg::PurchaseDays => FrequencyBasis::PurchaseDays,
        }
    }
}

/// Analysis options of `report` and `summary`. The options file is read first; each flag given
/// then overrides its field.
#[derive(Debug, Args)]
pub struct AnalysisArgs {
    /// JSON file of analysis options: `{"summary": {...}, "rfm": {...}, "cpm": {...},
    /// "repeat": {...}, "cohort": {...}}` (the library's option structs; docs/cli.md).
    #[arg(long, value_name = "FILE")]
    pub options: Option<PathBuf>,
    /// RFM quantile tie rule for R, F and M: `ntile` (SQL NTILE, the default) or `shared`.
    #[arg(long, value_enum)]
    pub rfm_ties: Option<TiesArg>,
    /// RFM quantile scores per dimension (2 to 10; default 5).
    #[arg(long)]
    pub rfm_bins: Option<u8>,
    /// RFM frequency: completed orders (default) or distinct purchase days.
    #[arg(long, value_enum)]
    pub rfm_basis: Option<BasisArg>,
    /// RFM segment map: a JSON file `{"name": …, "segments": [...]}` (docs/rfm.md).
    #[arg(long, value_name = "FILE")]
    pub rfm_segments: Option<PathBuf>,
    /// CPM net-spend threshold for 流行/優良 (default 70000, in --cpm-spend-currency).
    #[arg(long)]
    pub cpm_spend_threshold: Option<f64>,
    /// The currency the CPM spend threshold is given in (default JPY); a warning is printed
    /// when the log's currency differs.
    #[arg(long)]
    pub cpm_spend_currency: Option<String>,
    /// CPM tenure below which a repeat buyer is よちよち (default 90 days).
    #[arg(long)]
    pub cpm_fledgling_days: Option<u32>,
    /// CPM tenure from which a high spender is 優良 (default 210 days).
    #[arg(long)]
    pub cpm_excellent_days: Option<u32>,
    /// CPM days without an order from which a customer is 離脱 (default 240).
    #[arg(long)]
    pub cpm_churn_days: Option<u32>,
    /// CPM purchases: completed orders (default) or distinct purchase days.
    #[arg(long, value_enum)]
    pub cpm_basis: Option<BasisArg>,
    /// Days without an order from which a customer is dormant (休眠; default 120).
    #[arg(long)]
    pub dormant_days: Option<u32>,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &PathBuf, what: &str) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| {
        Error::option(
            what,
            path.display(),
            format!("not valid JSON for these options: {e}"),
        )
    })
}

impl AnalysisArgs {
    /// The options file (or the defaults) with every flag given applied.
    pub fn options(&self) -> Result<AnalysisOptions> {
        let mut o: AnalysisOptions = match &self.options {
            Some(p) => read_json(p, "--options")?,
            None => AnalysisOptions::default(),
        };
        if self.rfm_ties.is_some() || self.rfm_bins.is_some() {
            for b in [
                &mut o.rfm.recency,
                &mut o.rfm.frequency,
                &mut o.rfm.monetary,
            ] {
                let (bins, ties) = match b {
                    Binning::Quantile { bins, ties } => (*bins, *ties),
                    Binning::Thresholds { .. } => (5, TieRule::Ntile),
                };
                *b = Binning::Quantile {
                    bins: self.rfm_bins.unwrap_or(bins),
                    ties: match self.rfm_ties {
                        Some(TiesArg::Ntile) => TieRule::Ntile,
                        Some(TiesArg::Shared) => TieRule::Shared,
                        None => ties,
                    },
                };
            }
        }
        if let Some(b) = self.rfm_basis {
            o.rfm.frequency_basis = b.into();
        }
        if let Some(p) = &self.rfm_segments {
            o.rfm.segments = Some(read_json::<SegmentMap>(p, "--rfm-segments")?);
        }
        let c = &mut o.cpm;
        if let Some(v) = self.cpm_spend_threshold {
            c.spend_threshold = v;
        }
        if let Some(v) = &self.cpm_spend_currency {
            c.spend_currency = v.trim().to_ascii_uppercase();
        }
        if let Some(v) = self.cpm_fledgling_days {
            c.fledgling_tenure_days = v;
        }
        if let Some(v) = self.cpm_excellent_days {
            c.excellent_tenure_days = v;
        }
        if let Some(v) = self.cpm_churn_days {
            c.churn_days = v;
        }
        if let Some(b) = self.cpm_basis {
            c.frequency_basis = b.into();
        }
        if let Some(v) = self.dormant_days {
            o.summary.dormant_days = v;
        }
        o.cpm.validate()?;
        Ok(o)
    }
}
