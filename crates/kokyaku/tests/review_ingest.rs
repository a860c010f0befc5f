//! Issue 19 (nothing silently lost or misread) and the ingestion items of issue 20: each test
//! here failed before its fix.

use kokyaku::io::{DuplicateOrder, IngestReport, Ingested, ReadOptions, read_csv_str};
use kokyaku::summary::{SummaryOptions, summarize};
use rust_decimal::Decimal;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn identity(r: &IngestReport) {
    assert_eq!(r.rows_read, r.rows_accepted + r.rows_rejected, "{r:?}");
    assert_eq!(r.rejections.values().sum::<u64>(), r.rows_rejected, "{r:?}");
}

fn csv(text: &str, opts: &ReadOptions) -> Ingested {
    let ing = read_csv_str(text, opts).unwrap_or_else(|e| panic!("{e}"));
    identity(&ing.report);
    ing
}

/// 19.2: a repeated order id at another time is not a line of the first order.
#[test]
fn repeated_order_id_at_another_time_is_a_duplicate() {
    let text = "customer_id,order_id,placed_at,amount\n\
                A,1,2024-01-01,100\n\
                A,1,2024-01-01,50\n\
                A,1,2024-01-03,100\n";
    let ing = csv(text, &ReadOptions::default());
    let r = &ing.report;
    assert_eq!(
        (r.rows_accepted, r.rows_rejected, r.lines_merged),
        (2, 1, 1)
    );
    assert_eq!(r.rejections["duplicate_order"], 1);
    assert_eq!(
        (
            r.examples[0].row,
            r.examples[0].column.as_str(),
            r.examples[0].value.as_str()
        ),
        (3, "order_id", "1")
    );
    assert_eq!(ing.log.n_orders(), 1);
    assert_eq!(ing.log.amounts().get(0), dec("150"));
    // The streamed summary takes the same rows.
    let dir = std::env::temp_dir().join(format!("kokyaku-dup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("dup.csv");
    std::fs::write(&path, text).unwrap();
    let s = kokyaku::io::summarize_path(&path, &ReadOptions::default(), &SummaryOptions::default())
        .unwrap();
    assert_eq!(s.report, ing.report);
    assert_eq!(s.summaries.gross(0), dec("150"));
    std::fs::remove_dir_all(&dir).ok();

    // Merging across times only when asked: one order of 250 at the first row's time.
    let across = ReadOptions {
        duplicate_order: DuplicateOrder::SumAcrossTimes,
        ..ReadOptions::default()
    };
    let ing = csv(text, &across);
    assert_eq!((ing.report.rows_accepted, ing.report.lines_merged), (3, 2));
    assert_eq!(ing.log.amounts().get(0), dec("250"));
    let s = summarize(&ing.log, &SummaryOptions::default());
    assert_eq!(s.record(0).last_order.unwrap().to_string(), "2024-01-01");
    let opts: ReadOptions =
        serde_json::from_str(r#"{"duplicate_order": "sum_across_times"}"#).unwrap();
    assert_eq!(opts.duplicate_order, DuplicateOrder::SumAcrossTimes);
}
