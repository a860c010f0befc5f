//! The one-shot report over an order log: what `kokyaku report` prints and every binding
//! returns from `report(...)`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::cohort::{CohortOptions, RetentionMatrix, retention};
use crate::cpm::{CpmOptions, CpmResult, CpmRow, classify};
use crate::io::IngestReport;
use crate::model::OrderLog;
use crate::repeat::{RepeatOptions, RepeatReport, repeat_metrics};
use crate::rfm::{RfmOptions, RfmScores, SegmentRow, score};
use crate::summary::{CustomerSummaries, SummaryOptions, summarize};
use crate::table::{Table, summary_table};

/// Options of every analysis in the report. `as_of` here overrides the analyses' own.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnalysisOptions {
    /// Analysis date, inclusive; `None`: the day after the last order.
    pub as_of: Option<NaiveDate>,
    /// Summary options.
    pub summary: SummaryOptions,
    /// RFM options.
    pub rfm: RfmOptions,
    /// CPM options.
    pub cpm: CpmOptions,
    /// Repeat-metric options.
    pub repeat: RepeatOptions,
    /// Cohort options.
    pub cohort: CohortOptions,
}

impl AnalysisOptions {
    /// The summary options with the shared as-of date applied.
    #[must_use]
    pub fn summary_opts(&self) -> SummaryOptions {
        SummaryOptions {
            as_of: self.as_of.or(self.summary.as_of),
            ..self.summary.clone()
        }
    }
}

/// Per-customer analyses: the summary, RFM scores and CPM classes.
#[derive(Debug, Clone)]
pub struct CustomerAnalysis {
    /// Summaries.
    pub summary: CustomerSummaries,
    /// RFM scores.
    pub rfm: RfmScores,
    /// CPM classes.
    pub cpm: CpmResult,
}

impl CustomerAnalysis {
    /// Summarises, scores and classifies every customer.
    pub fn build(log: &OrderLog, opts: &AnalysisOptions) -> Result<Self> {
        Self::from_summary(summarize(log, &opts.summary_opts()), opts)
    }
    /// Scores and classifies customers already summarised (e.g. streamed from a file by
    /// [`crate::io::summarize_path`] with [`AnalysisOptions::summary_opts`]).
    pub fn from_summary(summary: CustomerSummaries, opts: &AnalysisOptions) -> Result<Self> {
        // Independent passes over the summary: CPM on a second core while RFM scores (as
        // `score_and_classify`).
        let (cpm, rfm) = crate::par::join(&|| classify(&summary, &opts.cpm), || {
            score(&summary, &opts.rfm)
        });
        let (rfm, cpm) = (rfm?, cpm?);
        Ok(Self { summary, rfm, cpm })
    }
    /// One row per customer: summary, `r f m rfm_segment`, `cpm_class cpm_name`.
    #[must_use]
    pub fn table(&self, opts: &AnalysisOptions) -> Table {
        summary_table(&self.summary, Some(&self.rfm), Some((&self.cpm, &opts.cpm)))
    }
}

/// The RFM scores (when `rfm` is given) and CPM classes (when `cpm` is) of summarised
/// customers: independent passes, so when both are asked for CPM classifies on a second core
/// while RFM scores (in the browser, one after the other). The results and the first error
/// (RFM's before CPM's) do not depend on it.
///
/// # Errors
/// Invalid RFM or CPM options.
pub fn score_and_classify(
    summary: &CustomerSummaries,
    rfm: Option<&RfmOptions>,
    cpm: Option<&CpmOptions>,
) -> Result<(Option<RfmScores>, Option<CpmResult>)> {
    let (c, r) = crate::par::join(&|| cpm.map(|o| classify(summary, o)).transpose(), || {
        rfm.map(|o| score(summary, o)).transpose()
    });
    Ok((r?, c?))
}

/// Headline totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    /// Customers in the log.
    pub customers: u64,
    /// Customers with at least one completed order on or before as-of.
    pub buyers: u64,
    /// Completed orders on or before as-of.
    pub orders: u64,
    /// Gross revenue (exact decimal as text).
    pub gross: String,
    /// Refunds (exact decimal as text).
    pub refunds: String,
    /// Net revenue (exact decimal as text).
    pub net: String,
    /// Currency, if known.
    pub currency: Option<String>,
    /// Dormant buyers.
    pub dormant: u64,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The analysis date used (inclusive).
    pub as_of: NaiveDate,
    /// How the input was read (absent when the log was built in memory).
    pub ingestion: Option<IngestReport>,
    /// Totals.
    pub totals: Totals,
    /// Repeat rate, F2/Fn, time between orders.
    pub repeat: RepeatReport,
    /// RFM segment table.
    pub rfm_segments: Vec<SegmentRow>,
    /// CPM class table.
    pub cpm: Vec<CpmRow>,
    /// Monthly (or weekly) cohort retention.
    pub retention: RetentionMatrix,
}

impl Report {
    /// Runs every analysis of the report.
    pub fn build(
        log: &OrderLog,
        ingestion: Option<&IngestReport>,
        opts: &AnalysisOptions,
    ) -> Result<Self> {
        // The repeat metrics and cohorts need only the log and the as-of date (the one the
        // summary resolves): they run on a second core while customers are summarised.
        let as_of = crate::model::day_to_date(log.as_of_day(opts.summary_opts().as_of));
        let (side, ca) = crate::par::join(
            &|| {
                let repeat = repeat_metrics(
                    log,
                    &RepeatOptions {
                        as_of: Some(as_of),
                        ..opts.repeat.clone()
                    },
                );
                let retention = retention(
                    log,
                    &CohortOptions {
                        as_of: Some(as_of),
                        ..opts.cohort.clone()
                    },
                );
                (repeat, retention)
            },
            || CustomerAnalysis::build(log, opts),
        );
        let ca = ca?;
        let s = &ca.summary;
        let (repeat, retention) = (side.0?, side.1?);
        let totals = Totals {
            customers: s.len() as u64,
            buyers: s.orders.iter().filter(|&&o| o > 0).count() as u64,
            orders: s.orders.iter().map(|&o| u64::from(o)).sum(),
            gross: s.total_gross().to_string(),
            refunds: s.total_refunds().to_string(),
            net: s.total_net().to_string(),
            currency: log.currency().map(str::to_owned),
            dormant: s.dormant.iter().filter(|&&d| d).count() as u64,
        };
        Ok(Self {
            as_of,
            ingestion: ingestion.cloned(),
            totals,
            repeat,
            rfm_segments: ca.rfm.table,
            cpm: ca.cpm.table,
            retention,
        })
    }
}
