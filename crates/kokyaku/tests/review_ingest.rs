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

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("kokyaku-review-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

const LOG: &str = "customer_id,order_id,placed_at,amount\n\
                   A,1,2024-01-01,100\n\
                   B,2,2024-01-02,250.5\n\
                   A,3,2024-02-01,80\n";

/// 19.3: `.gz` is decompressed (it was read as garbage CSV rows), `.csv.gz` and `.jsonl.gz`
/// by the name inside; a corrupt one is `malformed_input` naming the file.
#[test]
fn gzip_files_are_decompressed() {
    use std::io::Write;
    let dir = temp_dir("gz");
    let plain = csv(LOG, &ReadOptions::default());
    let gz = |text: &str| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    for name in ["orders.csv.gz", "orders.gz", "ORDERS.CSV.GZ"] {
        let p = dir.join(name);
        std::fs::write(&p, gz(LOG)).unwrap();
        let ing = kokyaku::io::read_path(&p, &ReadOptions::default()).unwrap();
        assert_eq!(ing.report, plain.report, "{name}");
        assert_eq!(ing.log.amounts(), plain.log.amounts());
        let s =
            kokyaku::io::summarize_path(&p, &ReadOptions::default(), &SummaryOptions::default())
                .unwrap();
        assert_eq!(s.report, plain.report);
    }
    // Two gzip members one after another (`cat a.gz b.gz`) are one stream.
    let (head, tail) = LOG.split_at(LOG.find("B,2").unwrap());
    let p = dir.join("two.csv.gz");
    std::fs::write(&p, [gz(head), gz(tail)].concat()).unwrap();
    assert_eq!(
        kokyaku::io::read_path(&p, &ReadOptions::default())
            .unwrap()
            .report,
        plain.report
    );
    // JSON Lines inside.
    let jsonl =
        "{\"customer_id\":\"A\",\"order_id\":\"1\",\"placed_at\":\"2024-01-01\",\"amount\":100}\n";
    let p = dir.join("orders.jsonl.gz");
    std::fs::write(&p, gz(jsonl)).unwrap();
    assert_eq!(
        kokyaku::io::read_path(&p, &ReadOptions::default())
            .unwrap()
            .report
            .orders,
        1
    );
    // Not gzip at all.
    let p = dir.join("fake.csv.gz");
    std::fs::write(&p, LOG).unwrap();
    let e = kokyaku::io::read_path(&p, &ReadOptions::default()).unwrap_err();
    assert_eq!(e.code(), "malformed_input", "{e}");
    assert!(
        e.to_string().contains("fake.csv.gz") && e.to_string().contains("gzip"),
        "{e}"
    );
    // A gzipped Parquet file is refused with a reason.
    let e = kokyaku::io::Format::from_path(std::path::Path::new("x.parquet.gz")).unwrap_err();
    assert_eq!(e.code(), "unsupported");
    std::fs::remove_dir_all(&dir).ok();
}

/// 19.3: a `.json` file holding a JSON array of records is read (it failed as malformed JSON
/// Lines); a `.json` file of JSON Lines still reads.
#[test]
fn json_arrays_of_records_are_read() {
    let dir = temp_dir("json");
    let plain = csv(LOG, &ReadOptions::default());
    let array = r#"[
  {"customer_id": "A", "order_id": "1", "placed_at": "2024-01-01", "amount": 100},
  {"customer_id": "B", "order_id": "2", "placed_at": "2024-01-02", "amount": 250.5},
  {"customer_id": "A", "order_id": "3", "placed_at": "2024-02-01", "amount": 80}
]"#;
    let p = dir.join("orders.json");
    std::fs::write(&p, array).unwrap();
    let ing = kokyaku::io::read_path(&p, &ReadOptions::default()).unwrap();
    assert_eq!(ing.report, plain.report);
    assert_eq!(ing.log.amounts(), plain.log.amounts());
    // A non-object element is a malformed row at its 1-based position.
    std::fs::write(
        &p,
        r#"[{"customer_id":"A","placed_at":"2024-01-01","amount":1}, 5]"#,
    )
    .unwrap();
    let r = kokyaku::io::read_path(&p, &ReadOptions::default())
        .unwrap()
        .report;
    assert_eq!((r.rows_read, r.rows_rejected, r.examples[0].row), (2, 1, 2));
    // Broken JSON says what a .json file may hold.
    std::fs::write(&p, "[{\"customer_id\": ").unwrap();
    let e = kokyaku::io::read_path(&p, &ReadOptions::default()).unwrap_err();
    assert_eq!(e.code(), "malformed_input");
    assert!(
        e.to_string().contains("JSON Lines or one JSON array"),
        "{e}"
    );
    // JSON Lines in a .json file.
    std::fs::write(
        &p,
        "{\"customer_id\":\"A\",\"order_id\":\"1\",\"placed_at\":\"2024-01-01\",\"amount\":100}\n",
    )
    .unwrap();
    assert_eq!(
        kokyaku::io::read_path(&p, &ReadOptions::default())
            .unwrap()
            .report
            .orders,
        1
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// 20.6: zero-value orders (invoices of only £0.00 lines, as in Online Retail) counted as
/// purchases. `min_order_amount` rejects them, counted as `below_min_order_amount`; the
/// default keeps every amount.
#[test]
fn min_order_amount_drops_zero_value_orders_and_counts_them() {
    let text = "InvoiceNo,CustomerID,InvoiceDate,Quantity,UnitPrice\n\
                543599,17850,2011-02-10 10:00,1,0.00\n\
                543599,17850,2011-02-10 10:00,2,0.00\n\
                543600,17851,2011-02-10 11:00,2,2.50\n";
    let kept = csv(text, &ReadOptions::default());
    assert_eq!((kept.report.orders, kept.report.rows_rejected), (2, 0));
    let opts = ReadOptions {
        min_order_amount: Some(dec("0.01")),
        ..ReadOptions::default()
    };
    let ing = csv(text, &opts);
    let r = &ing.report;
    assert_eq!((r.orders, r.rows_rejected), (1, 2));
    assert_eq!(r.rejections["below_min_order_amount"], 2);
    assert_eq!((r.examples[0].row, r.examples[0].value.as_str()), (1, "0"));
    assert_eq!(ing.log.n_customers(), 1, "17850 never paid: not a buyer");
    let o: ReadOptions = serde_json::from_str(r#"{"min_order_amount": "0.01"}"#).unwrap();
    assert_eq!(o.min_order_amount, Some(dec("0.01")));
}

/// 20.7: `1_000` read as 1000 although the docs say there are no digit separators.
#[test]
fn digit_separators_are_rejected_like_thousands_separators() {
    let text = "customer_id,order_id,placed_at,amount\nA,1,2024-01-01,1_000\nA,2,2024-01-02,\"1,000\"\nA,3,2024-01-03,1000\n";
    let ing = csv(text, &ReadOptions::default());
    assert_eq!(ing.report.rejections["invalid_amount"], 2);
    assert_eq!(ing.report.examples[0].value, "1_000");
    assert_eq!(ing.log.n_orders(), 1);
}
