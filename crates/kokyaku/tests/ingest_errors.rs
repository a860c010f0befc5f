//! Bad input and ingestion policies: every rejection reason (count, example row/column/value
//! and the accounting identity), every error kind reachable from reading and options (code and
//! a message that names the value and where), every policy, delimiter and time format.

use chrono::NaiveDate;
use kokyaku::io::{
    BadRows, ColumnMap, Delimiter, DuplicateOrder, IngestReport, Ingested, MissingCustomer,
    ReadOptions, read_csv, read_csv_str, read_jsonl_str, read_path,
};
use kokyaku::model::{OrderKind, OrderStatus, day_to_date, parse_date};
use kokyaku::summary::{SummaryOptions, summarize};
use kokyaku::{Error, Location};
use rust_decimal::Decimal;

const HEADER: &str = "customer_id,order_id,placed_at,amount\n";

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The identity every read must keep.
fn identity(r: &IngestReport) {
    assert_eq!(r.rows_read, r.rows_accepted + r.rows_rejected, "{r:?}");
    assert_eq!(r.rejections.values().sum::<u64>(), r.rows_rejected, "{r:?}");
}

fn csv(text: &str, opts: &ReadOptions) -> Ingested {
    let ing = read_csv_str(text, opts).unwrap_or_else(|e| panic!("{e}"));
    identity(&ing.report);
    ing
}

/// Reads `text`, expects exactly one rejection `reason` at data row `row`, `column`, `value`,
/// and every other row accepted.
fn one_rejection(
    text: &str,
    opts: &ReadOptions,
    reason: &str,
    row: u64,
    column: &str,
    value: &str,
) -> Ingested {
    let ing = csv(text, opts);
    let r = &ing.report;
    assert_eq!(r.rows_rejected, 1, "{reason}: {r:?}");
    assert_eq!(r.rejections.len(), 1, "{reason}: {r:?}");
    assert_eq!(r.rejections.get(reason), Some(&1), "{reason}: {r:?}");
    assert_eq!(r.examples.len(), 1);
    let ex = &r.examples[0];
    assert_eq!(
        (ex.reason, ex.row, ex.column.as_str(), ex.value.as_str()),
        (reason, row, column, value),
        "{ex:?}"
    );
    assert_eq!(r.rows_accepted, r.rows_read - 1);
    ing
}

fn err(text: &str, opts: &ReadOptions) -> Error {
    match read_csv_str(text, opts) {
        Ok(ing) => panic!("expected an error, got {:?}", ing.report),
        Err(e) => e,
    }
}

fn opts() -> ReadOptions {
    ReadOptions::default()
}

// ---------------------------------------------------------------- every rejection reason

#[test]
fn reject_missing_customer() {
    let text = format!("{HEADER}A,o1,2024-01-01,10\n  ,o2,2024-01-02,20\nB,o3,2024-01-03,30\n");
    let ing = one_rejection(&text, &opts(), "missing_customer", 2, "customer_id", "  ");
    assert_eq!(ing.report.rows_read, 3);
    assert_eq!(ing.log.n_customers(), 2);
    assert_eq!(ing.log.n_orders(), 2);
}

#[test]
fn reject_missing_time() {
    let text = format!("{HEADER}A,o1,2024-01-01,10\nA,o2,,20\n");
    one_rejection(&text, &opts(), "missing_time", 2, "placed_at", "");
}

#[test]
fn reject_invalid_time() {
    // Not a date; a date that does not exist; a local time skipped by a DST change.
    let text = format!(
        "{HEADER}A,o1,yesterday,10\nA,o2,2024-02-30,20\nA,o3,2024-03-10 02:30:00,5\nA,o4,2024-03-11,1\n"
    );
    let o = ReadOptions {
        timezone: "America/New_York".into(),
        ..opts()
    };
    let ing = csv(&text, &o);
    let r = &ing.report;
    assert_eq!((r.rows_read, r.rows_accepted, r.rows_rejected), (4, 1, 3));
    assert_eq!(r.rejections.get("invalid_time"), Some(&3));
    let got: Vec<(u64, &str, &str)> = r
        .examples
        .iter()
        .map(|e| (e.row, e.column.as_str(), e.value.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, "placed_at", "yesterday"),
            (2, "placed_at", "2024-02-30"),
            (3, "placed_at", "2024-03-10 02:30:00")
        ]
    );
}

#[test]
fn reject_missing_amount() {
    let text = format!("{HEADER}A,o1,2024-01-01,10\nA,o2,2024-01-02,\n");
    one_rejection(&text, &opts(), "missing_amount", 2, "amount", "");
    // Amount, quantity and unit price all blank.
    let text = "customer_id,order_id,date,amount,quantity,unit_price\nA,o1,2024-01-01,,,\n";
    one_rejection(text, &opts(), "missing_amount", 1, "amount", "");
}

#[test]
fn reject_invalid_amount() {
    let text =
        format!("{HEADER}A,o1,2024-01-01,10\nA,o2,2024-01-02,\"1,200\"\nA,o3,2024-01-03,¥500\n");
    let ing = csv(&text, &opts());
    let r = &ing.report;
    assert_eq!(r.rejections.get("invalid_amount"), Some(&2));
    assert_eq!(
        (
            r.examples[0].row,
            r.examples[0].column.as_str(),
            r.examples[0].value.as_str()
        ),
        (2, "amount", "1,200")
    );
    assert_eq!(
        (r.examples[1].row, r.examples[1].value.as_str()),
        (3, "¥500")
    );
    assert_eq!(r.rows_accepted, 1);
}

#[test]
fn reject_non_finite_amount() {
    let text = format!(
        "{HEADER}A,o1,2024-01-01,NaN\nA,o2,2024-01-02,-inf\nA,o3,2024-01-03,Infinity\nA,o4,2024-01-04,1e3\n"
    );
    let ing = csv(&text, &opts());
    let r = &ing.report;
    assert_eq!((r.rows_read, r.rows_accepted, r.rows_rejected), (4, 1, 3));
    assert_eq!(r.rejections.get("non_finite_amount"), Some(&3));
    let vals: Vec<&str> = r.examples.iter().map(|e| e.value.as_str()).collect();
    assert_eq!(vals, ["NaN", "-inf", "Infinity"]);
    // Scientific notation is a number: 1e3 = 1000.
    assert_eq!(ing.log.amounts().get(0), dec("1000"));
}

#[test]
fn reject_invalid_quantity_and_unit_price() {
    let head = "customer_id,order_id,placed_at,quantity,unit_price\n";
    let text = format!("{head}A,o1,2024-01-01,2,100\nA,o2,2024-01-02,two,100\n");
    one_rejection(&text, &opts(), "invalid_quantity", 2, "quantity", "two");
    let text = format!("{head}A,o1,2024-01-01,2,100\nA,o2,2024-01-02,3,abc\n");
    one_rejection(&text, &opts(), "invalid_unit_price", 2, "unit_price", "abc");
    // A quantity without a unit price: the price is what is missing.
    let text = format!("{head}A,o1,2024-01-01,2,\n");
    one_rejection(&text, &opts(), "invalid_unit_price", 1, "unit_price", "");
}

#[test]
fn reject_negative_amount_when_refunds_are_off() {
    let o = ReadOptions {
        negative_as_refund: false,
        ..opts()
    };
    let text = format!("{HEADER}A,o1,2024-01-01,10\nA,o2,2024-01-02,-10.50\n");
    let ing = one_rejection(&text, &o, "negative_amount", 2, "amount", "-10.50");
    assert_eq!(ing.log.refunds().customer.len(), 0);
    // Negative quantity too.
    let text = "customer_id,order_id,placed_at,quantity,unit_price\nA,o1,2024-01-01,-2,5\n";
    one_rejection(text, &o, "negative_amount", 1, "amount", "-10");
}

#[test]
fn reject_unknown_status_and_kind() {
    let text = "customer_id,order_id,placed_at,amount,status,kind\nA,o1,2024-01-01,10,completed,one_off\nA,o2,2024-01-02,10,pending,one_off\n";
    one_rejection(text, &opts(), "unknown_status", 2, "status", "pending");
    let text = "customer_id,order_id,placed_at,amount,status,kind\nA,o1,2024-01-01,10,completed,gift\nA,o2,2024-01-02,10,cancelled,subscription\n";
    let ing = one_rejection(text, &opts(), "unknown_kind", 1, "kind", "gift");
    assert_eq!(ing.report.cancelled_orders, 1);
    assert_eq!(ing.log.kinds(), &[OrderKind::Subscription]);
    assert_eq!(ing.log.statuses(), &[OrderStatus::Cancelled]);
}

#[test]
fn reject_duplicate_order_under_keep_first() {
    let o = ReadOptions {
        duplicate_order: DuplicateOrder::KeepFirst,
        ..opts()
    };
    let text = format!("{HEADER}A,o1,2024-01-01,10\nA,o1,2024-01-01,99\nA,o2,2024-01-02,5\n");
    let ing = one_rejection(&text, &o, "duplicate_order", 2, "order_id", "o1");
    assert_eq!(ing.log.n_orders(), 2);
    assert_eq!(ing.log.amounts().get(0), dec("10"), "the first row is kept");
    assert_eq!(ing.report.lines_merged, 0);
}

#[test]
fn reject_order_customer_conflict() {
    let text = format!("{HEADER}A,o1,2024-01-01,10\nB,o1,2024-01-01,20\n");
    let ing = one_rejection(
        &text,
        &opts(),
        "order_customer_conflict",
        2,
        "order_id",
        "o1",
    );
    assert_eq!(ing.log.n_customers(), 1);
    assert_eq!(ing.log.amounts().get(0), dec("10"));
}

#[test]
fn reject_malformed_row() {
    let text = format!(
        "{HEADER}A,o1,2024-01-01,10\nA,o2,2024-01-02\nA,o3,2024-01-03,10,extra\nA,o4,2024-01-04,10\n"
    );
    let ing = csv(&text, &opts());
    let r = &ing.report;
    assert_eq!((r.rows_read, r.rows_accepted, r.rows_rejected), (4, 2, 2));
    assert_eq!(r.rejections.get("malformed_row"), Some(&2));
    assert_eq!(
        (
            r.examples[0].row,
            r.examples[0].column.as_str(),
            r.examples[0].value.as_str()
        ),
        (2, "", "A,o2,2024-01-02")
    );
    assert_eq!(
        (r.examples[1].row, r.examples[1].value.as_str()),
        (3, "A,o3,2024-01-03,10,extra")
    );
}

#[test]
fn every_reason_in_one_file() {
    // One row per reason (except the policy-dependent ones, covered above), plus good rows.
    let text = "customer_id,order_id,placed_at,amount,quantity,unit_price,status,kind\n\
        A,o1,2024-01-01,10,,,completed,one_off\n\
        ,o2,2024-01-01,10,,,,\n\
        A,o3,,10,,,,\n\
        A,o4,soon,10,,,,\n\
        A,o5,2024-01-01,,,,,\n\
        A,o6,2024-01-01,ten,,,,\n\
        A,o7,2024-01-01,nan,,,,\n\
        A,o8,2024-01-01,,x,2,,\n\
        A,o9,2024-01-01,,2,y,,\n\
        A,o10,2024-01-01,1,,,lost,\n\
        A,o11,2024-01-01,1,,,,gift\n\
        B,o1,2024-01-01,1,,,,\n\
        A,o12\n\
        B,o13,2024-01-02,,3,2.5,,\n";
    let ing = csv(text, &opts());
    let r = &ing.report;
    assert_eq!((r.rows_read, r.rows_accepted, r.rows_rejected), (14, 2, 12));
    let expected: Vec<(&str, u64)> = vec![
        ("invalid_amount", 1),
        ("invalid_quantity", 1),
        ("invalid_time", 1),
        ("invalid_unit_price", 1),
        ("malformed_row", 1),
        ("missing_amount", 1),
        ("missing_customer", 1),
        ("missing_time", 1),
        ("non_finite_amount", 1),
        ("order_customer_conflict", 1),
        ("unknown_kind", 1),
        ("unknown_status", 1),
    ];
    let got: Vec<(&str, u64)> = r.rejections.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(got, expected, "sorted by code");
    let rows: Vec<(u64, &str)> = r.examples.iter().map(|e| (e.row, e.reason)).collect();
    assert_eq!(rows.len(), 12);
    assert!(
        rows.windows(2).all(|w| w[0].0 < w[1].0),
        "examples in row order: {rows:?}"
    );
    assert_eq!(
        ing.log.amounts().get(ing.log.order_range(1).start),
        dec("7.5")
    );
}

#[test]
fn examples_stop_at_twenty_but_counts_do_not() {
    let mut text = String::from(HEADER);
    for i in 0..30 {
        text += &["A,o", &i.to_string(), ",never,1\n"].concat();
    }
    text.push_str("A,ok,2024-01-01,1\n");
    let ing = csv(&text, &opts());
    assert_eq!(ing.report.rejections.get("invalid_time"), Some(&30));
    assert_eq!(ing.report.examples.len(), 20);
    assert_eq!((ing.report.rows_read, ing.report.rows_accepted), (31, 1));
}

#[test]
fn report_serialises_with_codes() {
    let text = format!("{HEADER}A,o1,2024-01-01,10\n,o2,2024-01-02,20\n");
    let ing = csv(&text, &opts());
    let v = serde_json::to_value(&ing.report).unwrap();
    assert_eq!(v["rows_read"], 2);
    assert_eq!(v["rows_accepted"], 1);
    assert_eq!(v["rows_rejected"], 1);
    assert_eq!(v["rejections"]["missing_customer"], 1);
    assert_eq!(v["examples"][0]["reason"], "missing_customer");
    assert_eq!(v["examples"][0]["row"], 2);
}

// ---------------------------------------------------------------- every error kind

#[test]
fn error_mixed_currency() {
    let text = "customer_id,order_id,placed_at,amount,currency\nA,o1,2024-01-01,10,JPY\nA,o2,2024-01-02,10,jpy\nB,o3,2024-01-03,5,USD\n";
    let e = err(text, &opts());
    assert_eq!(e.code(), "mixed_currency");
    let m = e.to_string();
    assert!(
        m.contains("'JPY'")
            && m.contains("'USD'")
            && m.contains("row 3")
            && m.contains("column 'currency'"),
        "{m}"
    );
    // Against the currency given in the options.
    let o = ReadOptions {
        currency: Some("EUR".into()),
        ..opts()
    };
    let e = err(
        "customer_id,order_id,placed_at,amount,currency\nA,o1,2024-01-01,10,JPY\n",
        &o,
    );
    assert_eq!(e.code(), "mixed_currency");
    assert!(
        e.to_string().contains("'EUR' and 'JPY'") && e.to_string().contains("row 1"),
        "{e}"
    );
    // One currency, any case: fine, and the log knows it.
    let ing = csv(
        "customer_id,order_id,placed_at,amount,currency\nA,o1,2024-01-01,10,jpy\n",
        &opts(),
    );
    assert_eq!(ing.log.currency(), Some("JPY"));
}

#[test]
fn error_duplicate_order_under_policy_error() {
    let o = ReadOptions {
        duplicate_order: DuplicateOrder::Error,
        ..opts()
    };
    let e = err(
        &format!("{HEADER}A,o1,2024-01-01,10\nA,o2,2024-01-01,10\nA,o1,2024-01-02,5\n"),
        &o,
    );
    assert_eq!(e.code(), "duplicate_order");
    let m = e.to_string();
    assert!(
        m.contains("'o1'") && m.contains("row 3") && m.contains("column 'order_id'"),
        "{m}"
    );
    match e {
        Error::DuplicateOrder { order_id, location } => {
            assert_eq!(order_id, "o1");
            assert_eq!(location, Location::cell(3, "order_id"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn error_missing_column_lists_the_columns() {
    // No customer column to detect.
    let e = err(
        "client,order_id,placed_at,amount\nA,o1,2024-01-01,10\n",
        &opts(),
    );
    assert_eq!(e.code(), "missing_column");
    let m = e.to_string();
    assert!(
        m.contains("customer id") && m.contains("'client', 'order_id', 'placed_at', 'amount'"),
        "{m}"
    );
    // No time.
    let e = err("customer_id,amount\nA,10\n", &opts());
    assert_eq!(e.code(), "missing_column");
    assert!(
        e.to_string().contains("order time") && e.to_string().contains("'customer_id', 'amount'"),
        "{e}"
    );
    // No amount, and only a quantity.
    let e = err("customer_id,date,qty\nA,2024-01-01,2\n", &opts());
    assert_eq!(e.code(), "missing_column");
    assert!(
        e.to_string().contains("amount") && e.to_string().contains("'qty'"),
        "{e}"
    );
    // An explicit column that is not there.
    let o = ReadOptions {
        columns: ColumnMap {
            amount: Some("price_total".into()),
            ..ColumnMap::default()
        },
        ..opts()
    };
    let e = err(&format!("{HEADER}A,o1,2024-01-01,10\n"), &o);
    assert_eq!(e.code(), "missing_column");
    let m = e.to_string();
    assert!(
        m.contains("'price_total'")
            && m.contains("'customer_id', 'order_id', 'placed_at', 'amount'"),
        "{m}"
    );
    // JSON Lines: the keys of the first object.
    let e = read_jsonl_str(
        "{\"user\":\"A\",\"date\":\"2024-01-01\",\"amount\":1}\n",
        &opts(),
    )
    .unwrap_err();
    assert_eq!(e.code(), "missing_column");
    assert!(e.to_string().contains("'user'"), "{e}");
}

#[test]
fn error_invalid_option() {
    let text = format!("{HEADER}A,o1,2024-01-01,10\n");
    let o = ReadOptions {
        timezone: "Mars/Olympus_Mons".into(),
        ..opts()
    };
    let e = err(&text, &o);
    assert_eq!(e.code(), "invalid_option");
    assert!(
        e.to_string().contains("timezone") && e.to_string().contains("'Mars/Olympus_Mons'"),
        "{e}"
    );
    let e = Delimiter::parse("::").unwrap_err();
    assert_eq!(e.code(), "invalid_option");
    assert!(
        e.to_string().contains("delimiter") && e.to_string().contains("'::'"),
        "{e}"
    );
    let e = parse_date("as_of", "2024-13-01").unwrap_err();
    assert_eq!(e.code(), "invalid_option");
    assert!(
        e.to_string().contains("as_of") && e.to_string().contains("'2024-13-01'"),
        "{e}"
    );
    // Options as JSON: unknown fields are refused by serde (the bindings map that to invalid_option).
    assert!(serde_json::from_str::<ReadOptions>(r#"{"time_zone":"UTC"}"#).is_err());
    let o: ReadOptions = serde_json::from_str(r#"{"delimiter":"semicolon","missing_customer":"anonymous","duplicate_order":"keep_first","bad_rows":"error"}"#).unwrap();
    assert_eq!(
        (
            o.delimiter,
            o.missing_customer,
            o.duplicate_order,
            o.bad_rows
        ),
        (
            Delimiter::Semicolon,
            MissingCustomer::Anonymous,
            DuplicateOrder::KeepFirst,
            BadRows::Error
        )
    );
}

#[test]
fn error_order_ids_on_some_rows_only() {
    // A blank order id among rows that have one cannot be told apart from a line of another
    // order: it stops the read with a message that names the row.
    let e = err(
        &format!("{HEADER}A,o1,2024-01-01,10\nA,,2024-01-02,20\n"),
        &opts(),
    );
    assert_eq!(e.code(), "invalid_value");
    let m = e.to_string();
    assert!(
        m.contains("row 2") && m.contains("column 'order_id'"),
        "{m}"
    );
}

#[test]
fn error_empty_input() {
    for text in ["", "\n"] {
        let e = err(text, &opts());
        assert_eq!(e.code(), "empty_input", "{text:?}: {e}");
    }
    let ws = ReadOptions {
        delimiter: Delimiter::Whitespace,
        ..opts()
    };
    assert_eq!(err("  \n\n", &ws).code(), "empty_input");
    assert_eq!(
        read_jsonl_str("\n\n", &opts()).unwrap_err().code(),
        "empty_input"
    );
    // A header alone is a valid, empty log.
    let ing = csv(HEADER, &opts());
    assert_eq!((ing.report.rows_read, ing.log.n_orders()), (0, 0));
}

#[test]
fn error_malformed_input() {
    // Not UTF-8 in row 2.
    let bytes: &[u8] =
        b"customer_id,order_id,placed_at,amount\nA,o1,2024-01-01,10\nA,o2,2024-01-02,\xff\xfe\n";
    let e = read_csv(bytes, &opts()).unwrap_err();
    assert_eq!(e.code(), "malformed_input");
    assert!(e.to_string().contains("row 2"), "{e}");
    // JSON Lines whose first line is not an object.
    let e = read_jsonl_str("[1,2,3]\n", &opts()).unwrap_err();
    assert_eq!(e.code(), "malformed_input");
    assert!(
        e.to_string().contains("row 1") && e.to_string().contains("JSON object"),
        "{e}"
    );
}

#[test]
fn unclosed_quote_is_not_silent() {
    // An unclosed quote runs to the end of the input: the row that holds it is malformed (it
    // has fewer fields), and the rows it swallowed are not counted as read.
    let text = format!("{HEADER}A,o1,2024-01-01,10\nB,\"o2,2024-01-02,20\nC,o3,2024-01-03,30\n");
    let ing = csv(&text, &opts());
    assert_eq!(
        ing.report.rejections.get("malformed_row"),
        Some(&1),
        "{:?}",
        ing.report
    );
    assert_eq!((ing.report.rows_read, ing.report.rows_accepted), (2, 1));
    assert_eq!(ing.report.examples[0].row, 2);
}

#[test]
fn error_io_for_a_missing_file() {
    let p = std::path::Path::new("/nonexistent/kokyaku/orders.csv");
    let e = read_path(p, &opts()).unwrap_err();
    assert_eq!(e.code(), "io_error");
    assert!(
        e.to_string().contains("/nonexistent/kokyaku/orders.csv"),
        "{e}"
    );
    assert!(
        std::error::Error::source(&e).is_some(),
        "the io::Error is chained"
    );
    let e = read_path(std::path::Path::new("orders.xlsx"), &opts()).unwrap_err();
    assert_eq!(e.code(), "unsupported");
    assert!(e.to_string().contains(".xlsx"), "{e}");
}

#[test]
fn bad_rows_error_turns_a_rejection_into_invalid_value() {
    let o = ReadOptions {
        bad_rows: BadRows::Error,
        ..opts()
    };
    let cases: &[(&str, &str, &str)] = &[
        (
            "A,o1,2024-01-01,10\nA,o2,2024-01-02,12x\n",
            "'12x'",
            "column 'amount'",
        ),
        (
            "A,o1,2024-01-01,10\nA,o2,someday,1\n",
            "'someday'",
            "column 'placed_at'",
        ),
        (
            "A,o1,2024-01-01,10\n,o2,2024-01-02,1\n",
            "missing_customer",
            "column 'customer_id'",
        ),
        (
            "A,o1,2024-01-01,10\nA,o2,2024-01-02,NaN\n",
            "'NaN'",
            "column 'amount'",
        ),
    ];
    for (rows, value, column) in cases {
        let e = err(&format!("{HEADER}{rows}"), &o);
        assert_eq!(e.code(), "invalid_value");
        let m = e.to_string();
        assert!(
            m.contains(value) && m.contains("row 2") && m.contains(column),
            "{m}"
        );
    }
    // A malformed row names the row and its text, and no column.
    let e = err(&format!("{HEADER}A,o1,2024-01-01,10\nA,o2\n"), &o);
    assert_eq!(e.code(), "invalid_value");
    assert_eq!(
        e.to_string(),
        "invalid value 'A,o2' at row 2: row does not have the header's fields (malformed_row)"
    );
    // The reason code is part of the message.
    let e = err(&format!("{HEADER}A,o1,2024-01-01,10\nA,o2,someday,1\n"), &o);
    assert!(e.to_string().contains("(invalid_time)"), "{e}");
}

// ---------------------------------------------------------------- policies

#[test]
fn missing_customer_anonymous() {
    let o = ReadOptions {
        missing_customer: MissingCustomer::Anonymous,
        ..opts()
    };
    let text = format!("{HEADER}A,o1,2024-01-01,10\n,o2,2024-01-02,20\n,o3,2024-01-03,30\n");
    let ing = csv(&text, &o);
    assert_eq!(
        (
            ing.report.rows_accepted,
            ing.report.anonymous_rows,
            ing.report.customers
        ),
        (3, 2, 2)
    );
    let c = ing.log.find_customer("anonymous").unwrap();
    assert_eq!(ing.log.order_range(c).len(), 2);
    let o = ReadOptions {
        anonymous_id: "guest".into(),
        ..o
    };
    let ing = csv(&text, &o);
    assert!(ing.log.find_customer("guest").is_some());
}

#[test]
fn keep_first_and_sum_lines() {
    let text = format!(
        "{HEADER}A,o1,2024-01-01,10\nA,o1,2024-01-01,5.25\nA,o2,2024-01-02,1\nA,o1,2024-01-01,2\n"
    );
    // Default: lines of one order roll up.
    let ing = csv(&text, &opts());
    assert_eq!(ing.report.lines_merged, 2);
    assert_eq!((ing.report.orders, ing.report.rows_accepted), (2, 4));
    assert_eq!(ing.log.n_orders(), 2);
    assert_eq!(ing.log.amounts().get(0), dec("17.25"));
    assert_eq!(ing.log.order_id(0), Some("o1"));
    // keep_first: the later rows of o1 are rejected.
    let o = ReadOptions {
        duplicate_order: DuplicateOrder::KeepFirst,
        ..opts()
    };
    let ing = csv(&text, &o);
    assert_eq!(ing.report.rejections.get("duplicate_order"), Some(&2));
    assert_eq!(ing.log.amounts().get(0), dec("10"));
}

#[test]
fn line_items_with_quantity_and_unit_price() {
    let text = "invoice,customer,invoicedate,qty,price\n536365,17850,12/1/2010 8:26,6,2.55\n536365,17850,12/1/2010 8:26,8,3.39\n536366,17850,12/1/2010 8:28,3,1.5\n";
    let ing = csv(text, &opts());
    assert_eq!(ing.report.lines_merged, 1);
    assert_eq!(ing.log.n_orders(), 2);
    // 6 × 2.55 + 8 × 3.39 = 15.30 + 27.12 = 42.42; 3 × 1.5 = 4.5.
    assert_eq!(ing.log.amounts().get(0), dec("42.42"));
    assert_eq!(ing.log.amounts().get(1), dec("4.5"));
    assert_eq!(day_to_date(ing.log.days()[0]), date("2010-12-01"));
}

#[test]
fn cancel_prefix_refund_is_linked_to_the_original_order() {
    let o = ReadOptions {
        cancel_prefix: Some("C".into()),
        ..opts()
    };
    let text = "invoice,customer_id,date,quantity,unit_price\n536379,A,2024-01-01,2,50\nC536379,A,2024-01-05,-1,50\n536380,A,2024-01-06,1,10\n";
    let ing = csv(text, &o);
    assert_eq!(
        (
            ing.report.refunds,
            ing.report.orders,
            ing.report.rows_accepted
        ),
        (1, 2, 3)
    );
    let r = ing.log.refunds();
    assert_eq!(r.customer.len(), 1);
    assert_eq!(r.amount.get(0), dec("50"), "a positive magnitude");
    let linked = r.order[0] as usize;
    assert_eq!(ing.log.order_id(linked), Some("536379"));
    assert_eq!(day_to_date(r.day[0]), date("2024-01-05"));
    let s = summarize(&ing.log, &SummaryOptions::default());
    assert_eq!(
        (s.gross(0), s.refunds(0), s.net(0)),
        (dec("110"), dec("50"), dec("60"))
    );
    // A cancellation with a positive amount is still a refund.
    let text = "invoice,customer_id,date,amount\n1,A,2024-01-01,30\nC1,A,2024-01-02,30\n";
    let ing = csv(text, &o);
    assert_eq!(ing.report.refunds, 1);
    assert_eq!(ing.log.refunds().amount.get(0), dec("30"));
}

#[test]
fn negative_quantity_is_a_refund() {
    let text = "customer_id,order_id,placed_at,quantity,unit_price\nA,o1,2024-01-01,3,5\nA,o1,2024-01-04,-1,5\n";
    let ing = csv(text, &opts());
    assert_eq!(
        (
            ing.report.refunds,
            ing.report.orders,
            ing.report.lines_merged
        ),
        (1, 1, 0)
    );
    let r = ing.log.refunds();
    assert_eq!(r.amount.get(0), dec("5"));
    assert_eq!(ing.log.order_id(r.order[0] as usize), Some("o1"));
    assert_eq!(ing.log.amounts().get(0), dec("15"));
    // A negative amount without an order it can link to is an unlinked refund.
    let text = format!("{HEADER}A,o1,2024-01-01,10\nA,adj9,2024-01-04,-3\n");
    let ing = csv(&text, &opts());
    assert_eq!(ing.log.refunds().order[0], u32::MAX);
    assert_eq!(ing.log.n_orders(), 1);
}

#[test]
fn without_an_order_id_each_row_is_one_order() {
    let text = "customer_id,placed_at,amount\nA,2024-01-01,10\nA,2024-01-01,10\nB,2024-01-01,5\n";
    let ing = csv(text, &opts());
    assert_eq!(
        (
            ing.log.n_orders(),
            ing.report.orders,
            ing.report.lines_merged
        ),
        (3, 3, 0)
    );
    assert_eq!(ing.log.order_id(0), None);
}

#[test]
fn status_and_kind_spellings() {
    let text = "customer_id,order_id,placed_at,amount,status,kind,subscription_id\n\
        A,o1,2024-01-01,10,Paid,,\n\
        A,o2,2024-01-02,10,canceled,通常,\n\
        A,o3,2024-01-03,10,,定期,\n\
        A,o4,2024-01-04,10,shipped,,S1\n";
    let ing = csv(text, &opts());
    assert_eq!(ing.report.rows_rejected, 0);
    assert_eq!(
        ing.log.statuses(),
        &[
            OrderStatus::Completed,
            OrderStatus::Cancelled,
            OrderStatus::Completed,
            OrderStatus::Completed
        ]
    );
    assert_eq!(
        ing.log.kinds(),
        &[
            OrderKind::OneOff,
            OrderKind::OneOff,
            OrderKind::Subscription,
            OrderKind::Subscription
        ],
        "a subscription id implies the kind"
    );
    assert_eq!(ing.report.cancelled_orders, 1);
}

// ---------------------------------------------------------------- delimiters and headers

fn same_two_orders(ing: &Ingested) {
    assert_eq!(ing.report.rows_rejected, 0, "{:?}", ing.report.examples);
    assert_eq!(ing.log.n_orders(), 2);
    assert_eq!(ing.log.customer_id(0), "00001");
    assert_eq!(ing.log.amounts().get(0), dec("11.77"));
    assert_eq!(ing.log.amounts().get(1), dec("20"));
    assert_eq!(day_to_date(ing.log.days()[0]), date("1997-01-01"));
    assert_eq!(day_to_date(ing.log.days()[1]), date("1997-01-12"));
}

#[test]
fn whitespace_delimiter_without_header() {
    // CDNOW layout: id, date, number of CDs, dollar value; runs of spaces.
    let text = "00001   19970101  1  11.77\n\n00001\t19970112   2 20.00  \n";
    let cols = ColumnMap {
        customer: Some("1".into()),
        time: Some("2".into()),
        amount: Some("4".into()),
        ..ColumnMap::default()
    };
    let o = ReadOptions {
        delimiter: Delimiter::Whitespace,
        has_header: false,
        columns: cols,
        ..opts()
    };
    let ing = csv(text, &o);
    same_two_orders(&ing);
    assert_eq!(ing.report.rows_read, 2, "blank lines are not rows");
    // A short row is malformed.
    let ing = csv("00001 19970101 1 11.77\n00002 19970101 1\n", &o);
    assert_eq!(ing.report.rejections.get("malformed_row"), Some(&1));
    assert_eq!(ing.report.examples[0].row, 2);
}

#[test]
fn whitespace_delimiter_with_header() {
    let text =
        "customer_id  date   cds  dollar_value\n00001 19970101 1 11.77\n00001 19970112 2 20\n";
    let o = ReadOptions {
        delimiter: Delimiter::Whitespace,
        ..opts()
    };
    same_two_orders(&csv(text, &o));
}

#[test]
fn semicolon_tab_and_pipe_delimiters() {
    for (d, sep) in [
        (Delimiter::Semicolon, ";"),
        (Delimiter::Tab, "\t"),
        (Delimiter::Pipe, "|"),
    ] {
        let text = [
            "customer_id,date,amount",
            "00001,1997-01-01,11.77",
            "00001,1997-01-12,20",
        ]
        .join("\n")
        .replace(',', sep);
        let o = ReadOptions {
            delimiter: d,
            ..opts()
        };
        same_two_orders(&csv(&text, &o));
        // The wrong delimiter: one column, nothing detected.
        assert_eq!(err(&text, &opts()).code(), "missing_column");
    }
    assert_eq!(Delimiter::parse("tab").unwrap(), Delimiter::Tab);
    assert_eq!(Delimiter::parse(";").unwrap(), Delimiter::Semicolon);
    assert_eq!(
        Delimiter::parse("whitespace").unwrap(),
        Delimiter::Whitespace
    );
}

#[test]
fn tsv_file_extension_defaults_to_tab() {
    let dir = std::env::temp_dir().join(format!("kokyaku-ingest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("orders.tsv");
    std::fs::write(
        &p,
        "customer_id\tdate\tamount\n00001\t1997-01-01\t11.77\n00001\t1997-01-12\t20\n",
    )
    .unwrap();
    same_two_orders(&read_path(&p, &opts()).unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn no_header_positional_columns() {
    let text = "1997-01-01,00001,11.77\n1997-01-12,00001,20\n";
    let cols = ColumnMap {
        customer: Some("2".into()),
        time: Some("1".into()),
        amount: Some("3".into()),
        ..ColumnMap::default()
    };
    let o = ReadOptions {
        has_header: false,
        columns: cols,
        ..opts()
    };
    let ing = csv(text, &o);
    same_two_orders(&ing);
    assert_eq!(ing.report.rows_read, 2, "the first line is data");
    // Without a mapping, positions name no role.
    let o = ReadOptions {
        has_header: false,
        ..opts()
    };
    assert_eq!(err(text, &o).code(), "missing_column");
}

#[test]
fn explicit_names_and_detection_are_case_and_space_insensitive() {
    let text = "Customer ID,Order-Date,Order Total\n00001,1997-01-01,11.77\n00001,1997-01-12,20\n";
    same_two_orders(&csv(text, &opts()));
    let cols = ColumnMap {
        customer: Some("Customer ID".into()),
        time: Some("Order-Date".into()),
        amount: Some("Order Total".into()),
        ..ColumnMap::default()
    };
    same_two_orders(&csv(
        text,
        &ReadOptions {
            columns: cols,
            ..opts()
        },
    ));
}

// ---------------------------------------------------------------- time formats and zones

fn day_of(text: &str, o: &ReadOptions) -> Vec<NaiveDate> {
    let ing = csv(text, o);
    assert_eq!(ing.report.rows_rejected, 0, "{:?}", ing.report.examples);
    ing.log.days().iter().map(|&d| day_to_date(d)).collect()
}

#[test]
fn time_formats() {
    let t = |v: &str| format!("customer_id,t,amount\nA,{v},1\n");
    let o = ReadOptions {
        columns: ColumnMap {
            time: Some("t".into()),
            ..ColumnMap::default()
        },
        ..opts()
    };
    let d = |v: &str| day_of(&t(v), &o)[0];
    assert_eq!(d("20240315"), date("2024-03-15"));
    assert_eq!(d("2024-03-15"), date("2024-03-15"));
    assert_eq!(d("2024-03-15T23:59:59"), date("2024-03-15"));
    assert_eq!(d("2024-03-15 23:59"), date("2024-03-15"));
    assert_eq!(d("2024-03-15T23:30:00Z"), date("2024-03-15"));
    assert_eq!(
        d("2024-03-15T23:30:00-05:00"),
        date("2024-03-16"),
        "04:30 UTC on the 16th"
    );
    assert_eq!(
        d("2024-03-15T08:00:00.123+09:00"),
        date("2024-03-14"),
        "23:00 UTC on the 14th"
    );
    // Shopify's export format: a space before the offset.
    assert_eq!(
        d("2024-03-15 08:00:00 +0900"),
        date("2024-03-14"),
        "23:00 UTC on the 14th"
    );
    assert_eq!(d("2024-03-15 23:30:00 -05:00"), date("2024-03-16"));
    // Minutes only, with a zone.
    assert_eq!(d("2024-03-15T23:30Z"), date("2024-03-15"));
    assert_eq!(d("2024-03-15T23:30-05:00"), date("2024-03-16"));
    assert_eq!(d("2024/03/15"), date("2024-03-15"));
    assert_eq!(d("3/15/2024 10:00"), date("2024-03-15"));
    // Epoch seconds and milliseconds: 1710460800 = 2024-03-15T00:00:00Z.
    assert_eq!(d("1710460800"), date("2024-03-15"));
    assert_eq!(d("1710460799"), date("2024-03-14"));
    assert_eq!(d("1710460800000"), date("2024-03-15"));
    // Explicit formats.
    let with = |f: &str| ReadOptions {
        time_format: Some(f.into()),
        ..o.clone()
    };
    assert_eq!(
        day_of(&t("15/03/2024"), &with("%d/%m/%Y"))[0],
        date("2024-03-15")
    );
    assert_eq!(
        day_of(&t("20240315"), &with("%Y%m%d"))[0],
        date("2024-03-15")
    );
    assert_eq!(
        day_of(&t("15.03.2024 22:10"), &with("%d.%m.%Y %H:%M"))[0],
        date("2024-03-15")
    );
    assert_eq!(
        day_of(&t("1710460800"), &with("epoch"))[0],
        date("2024-03-15")
    );
    assert_eq!(
        day_of(&t("1710460800000"), &with("epoch_ms"))[0],
        date("2024-03-15")
    );
    // With %Y%m%d, 20240315 is a date even though it also reads as epoch seconds; with
    // `epoch` it is an instant in 1970.
    assert_eq!(
        day_of(&t("20240315"), &with("epoch"))[0],
        date("1970-08-23")
    );
    // A format that does not match rejects the row.
    let ing = csv(&t("2024-03-15"), &with("%d/%m/%Y"));
    assert_eq!(ing.report.rejections.get("invalid_time"), Some(&1));
}

#[test]
fn tokyo_day_boundary() {
    let text = "customer_id,order_id,placed_at,amount\nA,o1,2024-01-01T16:00:00Z,10\nA,o2,2024-01-01T14:59:59Z,10\nA,o3,2024-01-02 00:30:00,10\n";
    let tokyo = ReadOptions {
        timezone: "Asia/Tokyo".into(),
        ..opts()
    };
    let ing = csv(text, &tokyo);
    // Sorted by instant: o2 (Tokyo 2024-01-01 23:59:59), o3 (Tokyo 00:30 local = 15:30Z on
    // the 1st), o1 (Tokyo 01:00 on the 2nd).
    let ids: Vec<&str> = (0..3).map(|i| ing.log.order_id(i).unwrap()).collect();
    assert_eq!(ids, ["o2", "o3", "o1"]);
    let days: Vec<NaiveDate> = ing.log.days().iter().map(|&d| day_to_date(d)).collect();
    assert_eq!(
        days,
        [date("2024-01-01"), date("2024-01-02"), date("2024-01-02")]
    );
    assert_eq!(
        ing.log.placed_at()[1],
        1_704_123_000,
        "naive times are Tokyo local: 2024-01-01T15:30:00Z"
    );
    // In UTC the first is on the 1st, and the naive time is read as UTC.
    let days = day_of(text, &opts());
    assert_eq!(
        days,
        [date("2024-01-01"), date("2024-01-01"), date("2024-01-02")]
    );
    // The summary counts purchase days in the zone: Tokyo 2 days, UTC 2 days but different ones.
    let s = summarize(
        &ing.log,
        &SummaryOptions {
            as_of: Some(date("2024-01-02")),
            ..SummaryOptions::default()
        },
    );
    assert_eq!(
        (s.orders[0], s.purchase_days[0], s.recency_days[0]),
        (3, 2, Some(0))
    );
}

// ---------------------------------------------------------------- JSON Lines

#[test]
fn json_lines() {
    let text = concat!(
        "{\"customer_id\": 17850, \"order_id\": \"o1\", \"placed_at\": \"2024-01-01T10:00:00Z\", \"amount\": 11.77, \"currency\": \"USD\", \"kind\": \"one_off\"}\n",
        "\n",
        "{\"customer_id\": \"17850\", \"order_id\": \"o2\", \"placed_at\": 1704240000, \"amount\": \"20\", \"status\": null}\n",
        "{\"customer_id\": null, \"order_id\": \"o3\", \"placed_at\": \"2024-01-03\", \"amount\": 1}\n",
        "{\"customer_id\": \"B\", \"order_id\": \"o4\", \"placed_at\": \"2024-01-03\", \"amount\": \"NaN\"}\n",
        "{\"customer_id\": \"B\", \"order_id\": \"o5\", \"placed_at\": 20240104, \"amount\": -5}\n",
        "not json\n",
        "{\"customer_id\": \"B\", \"order_id\": \"o6\", \"placed_at\": \"2024-01-05\", \"amount\": 7, \"kind\": \"subscription\"}\n",
    );
    let ing = read_jsonl_str(text, &opts()).unwrap();
    let r = &ing.report;
    identity(r);
    assert_eq!((r.rows_read, r.rows_accepted, r.rows_rejected), (7, 4, 3));
    assert_eq!(r.rejections.get("missing_customer"), Some(&1));
    assert_eq!(r.rejections.get("non_finite_amount"), Some(&1));
    assert_eq!(r.rejections.get("malformed_row"), Some(&1));
    let ex: Vec<(u64, &str, &str)> = r
        .examples
        .iter()
        .map(|e| (e.row, e.reason, e.value.as_str()))
        .collect();
    assert_eq!(
        ex,
        [
            (3, "missing_customer", ""),
            (4, "non_finite_amount", "NaN"),
            (6, "malformed_row", "not json")
        ]
    );
    assert_eq!(r.refunds, 1);
    // Integer and string customer ids are the same customer; floats keep their decimals.
    let c = ing.log.find_customer("17850").unwrap();
    let range = ing.log.order_range(c);
    assert_eq!(range.len(), 2);
    assert_eq!(ing.log.amounts().get(range.start), dec("11.77"));
    assert_eq!(
        day_to_date(ing.log.days()[range.start + 1]),
        date("2024-01-03")
    );
    assert_eq!(ing.log.currency(), Some("USD"));
    let b = ing.log.find_customer("B").unwrap();
    assert_eq!(
        ing.log.kinds()[ing.log.order_range(b).start],
        OrderKind::Subscription
    );
    assert_eq!(
        day_to_date(ing.log.refunds().day[0]),
        date("2024-01-04"),
        "integer YYYYMMDD"
    );
}

#[test]
fn json_lines_keys_missing_from_the_first_object() {
    // Writers often omit null keys: a status, kind or order id that first appears on a later
    // line is still read (never silently ignored).
    let text = concat!(
        "{\"customer_id\":\"A\",\"date\":\"2024-01-01\",\"amount\":10}\n",
        "{\"customer_id\":\"A\",\"date\":\"2024-01-02\",\"amount\":20,\"status\":\"cancelled\"}\n",
        "{\"customer_id\":\"A\",\"date\":\"2024-01-03\",\"amount\":30,\"kind\":\"subscription\",\"status\":\"pending\"}\n",
        "{\"customer_id\":\"A\",\"date\":\"2024-01-04\",\"amount\":40,\"kind\":\"subscription\",\"currency\":\"JPY\"}\n",
    );
    let ing = read_jsonl_str(text, &opts()).unwrap();
    identity(&ing.report);
    assert_eq!(
        (ing.report.rows_accepted, ing.report.cancelled_orders),
        (3, 1)
    );
    assert_eq!(ing.report.rejections.get("unknown_status"), Some(&1));
    assert_eq!(ing.report.examples[0].column, "status");
    assert_eq!(
        ing.log.statuses(),
        &[
            OrderStatus::Completed,
            OrderStatus::Cancelled,
            OrderStatus::Completed
        ]
    );
    assert_eq!(
        ing.log.kinds(),
        &[
            OrderKind::OneOff,
            OrderKind::OneOff,
            OrderKind::Subscription
        ]
    );
    assert_eq!(ing.log.currency(), Some("JPY"));
}

#[test]
fn json_lines_nested_values_are_malformed_rows() {
    let text = concat!(
        "{\"customer_id\":{\"id\":1},\"date\":\"2024-01-01\",\"amount\":10}\n",
        "{\"customer_id\":[\"B\"],\"date\":\"2024-01-01\",\"amount\":10}\n",
        "{\"customer_id\":\"C\",\"date\":\"2024-01-01\",\"amount\":10,\"note\":{\"gift\":true}}\n",
    );
    let ing = read_jsonl_str(text, &opts()).unwrap();
    identity(&ing.report);
    assert_eq!(ing.report.rejections.get("malformed_row"), Some(&2));
    assert_eq!(
        ing.report.examples[0].value,
        "{\"customer_id\":{\"id\":1},\"date\":\"2024-01-01\",\"amount\":10}"
    );
    // Nested values in keys that map to no role are ignored.
    assert_eq!((ing.report.rows_accepted, ing.log.n_customers()), (1, 1));
    assert_eq!(ing.log.customer_id(0), "C");
}

#[test]
fn float_amounts_lose_their_binary_noise() {
    // 3 × 1.1 in binary floating point is 3.3000000000000003: read as 3.3, not as an amount
    // with 16 decimals (which the money column cannot hold).
    let text = "{\"customer_id\":\"A\",\"date\":\"2024-01-01\",\"amount\":3.3000000000000003}\n\
                {\"customer_id\":\"A\",\"date\":\"2024-01-02\",\"amount\":0.1}\n";
    let ing = read_jsonl_str(text, &opts()).unwrap();
    assert_eq!(ing.report.rows_accepted, 2);
    assert_eq!(ing.log.amounts().get(0), dec("3.3"));
    assert_eq!(ing.log.amounts().get(1), dec("0.1"));
    // Text is exact: more than 8 decimals is an error naming the value and row.
    let e = err(&format!("{HEADER}A,o1,2024-01-01,0.123456789\n"), &opts());
    assert_eq!(e.code(), "invalid_value");
    assert!(
        e.to_string().contains("'0.123456789'") && e.to_string().contains("row 1"),
        "{e}"
    );
}

#[test]
fn json_lines_bad_rows_error() {
    let o = ReadOptions {
        bad_rows: BadRows::Error,
        ..opts()
    };
    let text = "{\"customer_id\":\"A\",\"date\":\"2024-01-01\",\"amount\":1}\n{\"customer_id\":\"A\",\"date\":\"later\",\"amount\":1}\n";
    let e = read_jsonl_str(text, &o).unwrap_err();
    assert_eq!(e.code(), "invalid_value");
    assert!(
        e.to_string().contains("'later'")
            && e.to_string().contains("row 2")
            && e.to_string().contains("column 'date'"),
        "{e}"
    );
}

// ---------------------------------------------------------------- Parquet

#[cfg(feature = "parquet")]
mod parquet {
    use super::*;
    use kokyaku::io::{SimParquetWriter, read_parquet_bytes, write_table_parquet};
    use kokyaku::simulate::{SimOptions, SimOrder, simulate_each, simulate_log};
    use kokyaku::table::{Column, Table};

    #[test]
    fn simulated_round_trip() {
        let sim = SimOptions {
            customers: 300,
            seed: 7,
            ..SimOptions::default()
        };
        let mut buf = Vec::new();
        let mut w = SimParquetWriter::new(&mut buf, &sim.currency).unwrap();
        let mut orders: Vec<SimOrder> = Vec::new();
        simulate_each(&sim, |o| {
            orders.push(*o);
            w.push(o)
        })
        .unwrap();
        w.finish().unwrap();
        let o = ReadOptions {
            timezone: sim.timezone.clone(),
            ..ReadOptions::default()
        };
        let ing = read_parquet_bytes(buf.into(), &o).unwrap();
        identity(&ing.report);
        assert_eq!(ing.report.rows_read, orders.len() as u64);
        assert_eq!(ing.report.rows_rejected, 0);
        let direct = simulate_log(&sim).unwrap();
        assert_eq!(ing.log.n_orders(), direct.n_orders());
        assert_eq!(ing.log.n_customers(), direct.n_customers());
        assert_eq!(ing.log.amounts().units(), direct.amounts().units());
        assert_eq!(ing.log.days(), direct.days());
        assert_eq!(ing.log.placed_at(), direct.placed_at());
        assert_eq!(ing.log.statuses(), direct.statuses());
        assert_eq!(ing.log.kinds(), direct.kinds());
        assert_eq!(ing.log.currency(), Some("JPY"));
        let cancelled = orders
            .iter()
            .filter(|o| o.status == OrderStatus::Cancelled)
            .count() as u64;
        assert_eq!(ing.report.cancelled_orders, cancelled);
    }

    #[test]
    fn table_round_trip_with_rejections_and_dates() {
        let mut t = Table::default();
        let s = |v: &[Option<&str>]| Column::Str(v.iter().map(|x| x.map(str::to_owned)).collect());
        t.push(
            "customer_id",
            s(&[Some("A"), Some("A"), None, Some("B"), Some("B")]),
        );
        t.push(
            "order_id",
            s(&[Some("o1"), Some("o1"), Some("o2"), Some("o3"), Some("o4")]),
        );
        let d = |x: &str| Some(date(x));
        t.push(
            "order_date",
            Column::Date(vec![
                d("2024-01-01"),
                d("2024-01-01"),
                d("2024-01-02"),
                d("2024-01-03"),
                None,
            ]),
        );
        t.push(
            "amount",
            Column::Float(vec![
                Some(10.5),
                Some(2.25),
                Some(1.0),
                Some(f64::NAN),
                Some(3.0),
            ]),
        );
        let mut buf = Vec::new();
        write_table_parquet(&t, &mut buf).unwrap();
        let ing = read_parquet_bytes(buf.into(), &ReadOptions::default()).unwrap();
        let r = &ing.report;
        identity(r);
        assert_eq!(
            (
                r.rows_read,
                r.rows_accepted,
                r.rows_rejected,
                r.lines_merged
            ),
            (5, 2, 3, 1)
        );
        let got: Vec<(u64, &str, &str)> = r
            .examples
            .iter()
            .map(|e| (e.row, e.reason, e.column.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (3, "missing_customer", "customer_id"),
                (4, "non_finite_amount", "amount"),
                (5, "missing_time", "order_date")
            ]
        );
        assert_eq!(ing.log.n_orders(), 1);
        assert_eq!(ing.log.amounts().get(0), dec("12.75"));
        assert_eq!(day_to_date(ing.log.days()[0]), date("2024-01-01"));
        // Not Parquet at all.
        let e = read_parquet_bytes(
            b"PAR1 nothing here".to_vec().into(),
            &ReadOptions::default(),
        )
        .unwrap_err();
        assert_eq!(e.code(), "malformed_input");
    }

    /// Writes one batch with the given time column to Parquet bytes.
    fn parquet_with_times(time: arrow_array::ArrayRef) -> Vec<u8> {
        use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
        use std::sync::Arc;
        let n = time.len();
        let ids: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..n).map(|i| format!("c{i}")),
        ));
        let amounts: ArrayRef = Arc::new(Int64Array::from(vec![100; n]));
        let batch = RecordBatch::try_from_iter([
            ("customer_id", ids),
            ("placed_at", time),
            ("amount", amounts),
        ])
        .unwrap();
        let mut buf = Vec::new();
        let mut w = ::parquet::arrow::ArrowWriter::try_new(&mut buf, batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        buf
    }

    #[test]
    fn parquet_timestamps_with_and_without_zone() {
        use arrow_array::TimestampMillisecondArray;
        use std::sync::Arc;
        // 2024-01-01T20:00:00 and 2024-01-02T01:00:00 as milliseconds.
        let ms = vec![1_704_139_200_000_i64, 1_704_157_200_000];
        let tokyo = ReadOptions {
            timezone: "Asia/Tokyo".into(),
            ..ReadOptions::default()
        };
        let days = |ing: &Ingested| -> Vec<NaiveDate> {
            let mut d: Vec<NaiveDate> = ing.log.days().iter().map(|&d| day_to_date(d)).collect();
            d.sort();
            d
        };
        // With a zone the values are UTC instants: 20:00Z is 05:00 on the 2nd in Tokyo.
        let utc = parquet_with_times(Arc::new(
            TimestampMillisecondArray::from(ms.clone()).with_timezone("UTC"),
        ));
        let ing = read_parquet_bytes(utc.into(), &tokyo).unwrap();
        assert_eq!(days(&ing), [date("2024-01-02"), date("2024-01-02")]);
        assert_eq!(ing.log.placed_at().iter().min(), Some(&1_704_139_200));
        // Without a zone they are wall-clock times, local in the configured zone like a naive
        // text time: 20:00 on the 1st in Tokyo is 11:00Z.
        let naive = parquet_with_times(Arc::new(TimestampMillisecondArray::from(ms)));
        let ing = read_parquet_bytes(naive.into(), &tokyo).unwrap();
        assert_eq!(days(&ing), [date("2024-01-01"), date("2024-01-02")]);
        assert_eq!(
            ing.log.placed_at().iter().min(),
            Some(&(1_704_139_200 - 9 * 3600))
        );
        // A wall-clock time skipped by a DST change does not exist: invalid_time.
        let ny = ReadOptions {
            timezone: "America/New_York".into(),
            ..ReadOptions::default()
        };
        let gap = parquet_with_times(Arc::new(TimestampMillisecondArray::from(vec![
            1_710_037_800_000_i64,
            1_710_000_000_000,
        ])));
        let ing = read_parquet_bytes(gap.into(), &ny).unwrap();
        identity(&ing.report);
        assert_eq!(ing.report.rejections.get("invalid_time"), Some(&1));
        assert_eq!(
            (
                ing.report.examples[0].row,
                ing.report.examples[0].value.as_str()
            ),
            (1, "2024-03-10 02:30:00")
        );
    }

    #[test]
    fn boolean_is_subscription_column_is_the_order_kind() {
        // Exports often flag subscription orders with a boolean `is_subscription`: it is read
        // as the kind (true: subscription, false: one-off, null: blank), in plain batches and
        // row by row alike, the same as the kind's text.
        use arrow_array::{ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray};
        use kokyaku::io::summarize_record_batches;
        use std::sync::Arc;
        let n = 40;
        let flag = |i: usize| match i % 5 {
            0 | 3 => Some(true),
            4 => None,
            _ => Some(false),
        };
        let batch = |kind: ArrayRef| {
            let cols: Vec<(&str, ArrayRef)> = vec![
                (
                    "customer_id",
                    Arc::new((0..n).map(|i| (i % 7) as i64).collect::<Int64Array>()),
                ),
                (
                    "order_id",
                    Arc::new((0..n).map(|i| i as i64 + 1).collect::<Int64Array>()),
                ),
                (
                    "placed_at",
                    Arc::new(
                        (0..n)
                            .map(|i| Some(format!("2024-01-{:02} 10:00:00", i % 28 + 1)))
                            .collect::<StringArray>(),
                    ),
                ),
                (
                    "amount",
                    Arc::new((0..n).map(|i| 100 + i as i64).collect::<Int64Array>()),
                ),
                ("is_subscription", kind),
            ];
            RecordBatch::try_from_iter(cols).unwrap()
        };
        let bools = batch(Arc::new((0..n).map(flag).collect::<BooleanArray>()));
        let text = batch(Arc::new(
            (0..n)
                .map(|i| flag(i).map(|b| if b { "subscription" } else { "one_off" }))
                .collect::<StringArray>(),
        ));
        let read = ReadOptions {
            currency: Some("JPY".into()),
            ..ReadOptions::default()
        };
        let opts = SummaryOptions::default();
        let summary = |b: &RecordBatch| {
            summarize_record_batches(&b.schema(), std::slice::from_ref(b), &read, &opts).unwrap()
        };
        let (got, want) = (summary(&bools), summary(&text));
        identity(&got.report);
        assert_eq!(got.report.rows_accepted, n as u64);
        assert_eq!(
            format!("{:?}", got.summaries),
            format!("{:?}", want.summaries)
        );
        // 16 of the 40 rows are true; the nulls are blank, one-off without a subscription id.
        let subs: u32 = got.summaries.subscription_orders.iter().sum();
        assert_eq!(subs, 16);
        let grouped =
            kokyaku::io::read_record_batches(&bools.schema(), std::slice::from_ref(&bools), &read)
                .unwrap();
        assert_eq!(
            format!("{:?}", summarize(&grouped.log, &opts)),
            format!("{:?}", got.summaries)
        );
    }

    #[test]
    fn a_column_of_arrow_null_type_reads_as_blank() {
        // A frame column holding only missing values arrives as Arrow's null type: blank in
        // every row (here the kind: one-off), not an unsupported column.
        use arrow_array::{ArrayRef, Int64Array, NullArray, RecordBatch, StringArray};
        use std::sync::Arc;
        let cols: Vec<(&str, ArrayRef)> = vec![
            ("customer_id", Arc::new(Int64Array::from(vec![1, 1, 2]))),
            (
                "placed_at",
                Arc::new(StringArray::from(vec![
                    "2024-01-01",
                    "2024-01-02",
                    "2024-01-03",
                ])),
            ),
            ("amount", Arc::new(Int64Array::from(vec![10, 20, 30]))),
            ("kind", Arc::new(NullArray::new(3))),
        ];
        let batch = RecordBatch::try_from_iter(cols).unwrap();
        let ing =
            kokyaku::io::read_record_batches(&batch.schema(), &[batch], &ReadOptions::default())
                .unwrap();
        identity(&ing.report);
        assert_eq!(ing.report.rows_accepted, 3, "{:?}", ing.report);
        let s = summarize(&ing.log, &SummaryOptions::default());
        assert_eq!(s.subscription_orders, vec![0, 0]);
        assert_eq!(s.orders, vec![2, 1]);
    }

    #[test]
    fn parquet_dictionary_columns() {
        // pandas categoricals and Polars' Categorical arrive as dictionary-encoded strings.
        use arrow_array::types::Int32Type;
        use arrow_array::{ArrayRef, DictionaryArray, Int64Array, RecordBatch, StringArray};
        use std::sync::Arc;
        let customers: DictionaryArray<Int32Type> = ["A", "B", "A"].into_iter().collect();
        let status: DictionaryArray<Int32Type> = ["completed", "cancelled", "completed"]
            .into_iter()
            .collect();
        let cols: Vec<(&str, ArrayRef)> = vec![
            ("customer_id", Arc::new(customers)),
            (
                "order_id",
                Arc::new(StringArray::from(vec!["o1", "o2", "o3"])),
            ),
            (
                "date",
                Arc::new(StringArray::from(vec![
                    "2024-01-01",
                    "2024-01-02",
                    "2024-01-03",
                ])),
            ),
            ("amount", Arc::new(Int64Array::from(vec![10, 20, 30]))),
            ("status", Arc::new(status)),
        ];
        let batch = RecordBatch::try_from_iter(cols).unwrap();
        let mut buf = Vec::new();
        let mut w = ::parquet::arrow::ArrowWriter::try_new(&mut buf, batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let ing = read_parquet_bytes(buf.into(), &ReadOptions::default()).unwrap();
        identity(&ing.report);
        assert_eq!(ing.report.rows_accepted, 3, "{:?}", ing.report);
        assert_eq!(ing.log.n_customers(), 2);
        assert_eq!(ing.log.customer_id(1), "B");
        assert_eq!(ing.report.cancelled_orders, 1);
        // A type kokyaku cannot read stops the read, naming the column (never one made-up
        // value for every row).
        let cols: Vec<(&str, ArrayRef)> = vec![
            (
                "customer_id",
                Arc::new(arrow_array::BooleanArray::from(vec![true, false])),
            ),
            (
                "date",
                Arc::new(StringArray::from(vec!["2024-01-01", "2024-01-02"])),
            ),
            ("amount", Arc::new(Int64Array::from(vec![10, 20]))),
        ];
        let batch = RecordBatch::try_from_iter(cols).unwrap();
        let mut buf = Vec::new();
        let mut w = ::parquet::arrow::ArrowWriter::try_new(&mut buf, batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let e = read_parquet_bytes(buf.into(), &ReadOptions::default()).unwrap_err();
        assert_eq!(e.code(), "unsupported");
        assert!(
            e.to_string().contains("'customer_id'") && e.to_string().contains("Boolean"),
            "{e}"
        );
    }

    #[test]
    fn parquet_file_by_extension() {
        let dir = std::env::temp_dir().join(format!("kokyaku-ingest-pq-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("orders.parquet");
        let sim = SimOptions {
            customers: 50,
            seed: 3,
            ..SimOptions::default()
        };
        let mut w = SimParquetWriter::new(std::fs::File::create(&p).unwrap(), "JPY").unwrap();
        let n = simulate_each(&sim, |o| w.push(o)).unwrap();
        w.finish().unwrap();
        let ing = read_path(
            &p,
            &ReadOptions {
                timezone: "Asia/Tokyo".into(),
                ..ReadOptions::default()
            },
        )
        .unwrap();
        assert_eq!(ing.report.rows_read, n);
        assert_eq!(ing.log.n_customers(), 50);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

// ---------------------------------------------------------------- columns mapped to `-`

#[test]
fn a_column_mapped_to_dash_is_not_read() {
    let text = "customer_id,placed_at,amount,kind,currency\n\
                c1,2024-01-05,10,subscription,JPY\n\
                c1,2024-02-05,12,not-a-kind,USD\n";
    // Read as is, the second row's kind is rejected.
    assert_eq!(
        csv(text, &opts()).report.rejections.get("unknown_kind"),
        Some(&1)
    );
    // Without the kind column, both rows reach the currency check: mixed.
    let mut o = opts();
    o.columns.kind = Some("-".into());
    assert_eq!(err(text, &o).code(), "mixed_currency");
    o.columns.currency = Some("-".into());
    let ing = csv(text, &o);
    assert_eq!(ing.report.rows_accepted, 2);
    assert_eq!(ing.log.kinds(), &[OrderKind::OneOff, OrderKind::OneOff]);
}

#[test]
fn a_required_column_mapped_to_dash_is_missing() {
    let mut o = opts();
    o.columns.customer = Some("-".into());
    let e = err("customer_id,placed_at,amount\nc1,2024-01-05,10\n", &o);
    assert_eq!(e.code(), "missing_column");
    assert!(e.to_string().contains("customer"), "{e}");
}
