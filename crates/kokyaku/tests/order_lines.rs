//! Order lines (SKU, quantity, unit price) are kept in the log and checked against the amount
//! (issue 19 item 1).

use chrono::{TimeZone, Utc};
use kokyaku::io::{ReadOptions, read_csv_str, read_jsonl_str};
use kokyaku::model::{Order, OrderLine, OrderLog};
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn order(id: &str, customer: &str, day: u32, amount: &str, lines: &[(&str, &str, &str)]) -> Order {
    Order {
        order_id: id.into(),
        customer_id: customer.into(),
        placed_at: Utc.with_ymd_and_hms(2024, 1, day, 10, 0, 0).unwrap(),
        amount: d(amount),
        currency: "JPY".into(),
        kind: kokyaku::model::OrderKind::OneOff,
        subscription_id: None,
        status: kokyaku::model::OrderStatus::Completed,
        lines: lines
            .iter()
            .map(|(s, q, p)| OrderLine {
                sku: (*s).into(),
                quantity: d(q),
                unit_price: d(p),
            })
            .collect(),
    }
}

fn skus(log: &OrderLog, i: usize) -> Vec<(String, Decimal, Decimal)> {
    let l = log.lines();
    l.range(i)
        .map(|k| (l.sku_of(k).to_owned(), l.quantity[k], l.unit_price[k]))
        .collect()
}

#[test]
fn records_keep_their_lines_in_sorted_order() {
    // Out of time order and customer order: the lines follow their order through the sort.
    let orders = [
        order("o2", "B", 3, "300", &[("A", "1", "100"), ("C", "2", "100")]),
        order("o1", "A", 2, "50", &[("B", "1", "50")]),
        order("o3", "A", 1, "70", &[]),
    ];
    let log = OrderLog::from_records(chrono_tz::UTC, &[], &orders, &[], &[]).unwrap();
    // Customer A: o3 (day 1, no lines), o1 (day 2); customer B: o2.
    assert_eq!(log.order_id(0), Some("o3"));
    assert!(skus(&log, 0).is_empty());
    assert_eq!(skus(&log, 1), vec![("B".into(), d("1"), d("50"))]);
    assert_eq!(
        skus(&log, 2),
        vec![
            ("A".into(), d("1"), d("100")),
            ("C".into(), d("2"), d("100"))
        ]
    );
    assert_eq!(log.lines().len(), 3);
}

#[test]
fn records_whose_lines_do_not_sum_to_the_amount_are_rejected() {
    let orders = [order(
        "o1",
        "A",
        2,
        "120",
        &[("B", "1", "50"), ("C", "1", "60")],
    )];
    let e = OrderLog::from_records(chrono_tz::UTC, &[], &orders, &[], &[]).unwrap_err();
    assert_eq!(e.code(), "invalid_value");
    let m = e.to_string();
    assert!(
        m.contains("lines_amount_mismatch") && m.contains("110") && m.contains("o1"),
        "{m}"
    );
}

#[test]
fn csv_rows_with_a_sku_are_lines() {
    let csv = "order_id,customer_id,placed_at,sku,quantity,unit_price\n\
               o1,A,2024-01-01,X,2,10\n\
               o2,B,2024-01-02,Y,1,5\n\
               o1,A,2024-01-01,Z,1,3\n";
    let i = read_csv_str(csv, &ReadOptions::default()).unwrap();
    assert_eq!(i.report.rows_read, 3);
    assert_eq!(i.report.rows_accepted, 3);
    let log = &i.log;
    assert_eq!(log.amounts().get(0), d("23"));
    assert_eq!(
        skus(log, 0),
        vec![("X".into(), d("2"), d("10")), ("Z".into(), d("1"), d("3"))]
    );
    assert_eq!(skus(log, 1), vec![("Y".into(), d("1"), d("5"))]);
}

#[test]
fn a_line_whose_amount_is_not_quantity_times_price_is_rejected() {
    let csv = "order_id,customer_id,placed_at,product_id,quantity,unit_price,amount\n\
               o1,A,2024-01-01,X,2,10,20\n\
               o2,A,2024-01-02,X,2,10,25\n\
               o3,A,2024-01-03,,1,10,10\n";
    let i = read_csv_str(csv, &ReadOptions::default()).unwrap();
    assert_eq!(i.report.rows_read, 3);
    assert_eq!(i.report.rows_accepted, 1);
    assert_eq!(i.report.rows_rejected, 2);
    assert_eq!(i.report.rejections.get("lines_amount_mismatch"), Some(&1));
    assert_eq!(i.report.rejections.get("missing_sku"), Some(&1));
    assert_eq!(skus(&i.log, 0), vec![("X".into(), d("2"), d("10"))]);
}

#[test]
fn jsonl_lines_with_amount_only_are_one_unit() {
    let text = r#"{"order_id":"o1","customer_id":"A","placed_at":"2024-01-01","sku":"X","amount":30}
{"order_id":"o1","customer_id":"A","placed_at":"2024-01-01","sku":7,"amount":12}
"#;
    let i = read_jsonl_str(text, &ReadOptions::default()).unwrap();
    assert_eq!(i.report.rows_accepted, 2);
    assert_eq!(
        skus(&i.log, 0),
        vec![("X".into(), d("1"), d("30")), ("7".into(), d("1"), d("12"))]
    );
}

#[test]
fn without_a_sku_column_there_are_no_lines() {
    let csv = "order_id,customer_id,placed_at,amount\no1,A,2024-01-01,10\n";
    let i = read_csv_str(csv, &ReadOptions::default()).unwrap();
    assert!(i.log.lines().is_empty());
    assert!(skus(&i.log, 0).is_empty());
}
