//! What every fuzz target checks once a reader has returned: the accounting identity of the
//! ingestion report, and that the analyses run on whatever was read without panicking (an
//! `Err` is a fine answer; a panic, abort or hang is a bug).

use kokyaku::io::{DuplicateOrder, Ingested, MissingCustomer, ReadOptions};
use kokyaku::{Result, cohort, cpm, rfm, summary};

/// The option sets each input is read with: the defaults, and a permissive set that reaches
/// the other policies (anonymous customers, a cancel prefix, keep-first duplicates).
#[must_use]
pub fn option_sets() -> [ReadOptions; 2] {
    let permissive = ReadOptions {
        missing_customer: MissingCustomer::Anonymous,
        cancel_prefix: Some("C".into()),
        duplicate_order: DuplicateOrder::KeepFirst,
        timezone: "Asia/Tokyo".into(),
        ..ReadOptions::default()
    };
    [ReadOptions::default(), permissive]
}

/// Checks a reader's answer (panics, which libFuzzer reports, when an invariant is broken).
pub fn check(read: Result<Ingested>) {
    let Ok(ing) = read else { return };
    let r = &ing.report;
    assert_eq!(r.rows_read, r.rows_accepted + r.rows_rejected, "{r:?}");
    assert_eq!(r.rejections.values().sum::<u64>(), r.rows_rejected, "{r:?}");
    let log = &ing.log;
    let s = summary::summarize(log, &summary::SummaryOptions::default());
    assert_eq!(s.len(), log.n_customers());
    let _ = rfm::score(&s, &rfm::RfmOptions::default());
    let _ = cpm::classify(&s, &cpm::CpmOptions::default());
    let _ = cpm::transitions(log, None, &cpm::CpmOptions::default());
    let _ = cohort::retention(log, &cohort::CohortOptions::default());
    let _ = cohort::revenue_curves(log, &cohort::CohortOptions::default());
    let _ = cohort::period_churn(log, &cohort::ChurnOptions::default());
}
