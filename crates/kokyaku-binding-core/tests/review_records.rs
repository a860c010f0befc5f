//! Issue 19 item 4: the typed-record report accounts for every record.

use kokyaku_binding_core::api::read_record_set;
use serde_json::json;

#[test]
fn typed_records_count_customers_and_subscriptions() {
    let log = read_record_set(json!({
        "timezone": "UTC",
        "customers": [
            {"id": "a"},
            {"id": "z", "attributes": {"channel": "web"}}
        ],
        "orders": [
            {"order_id": "1", "customer_id": "a", "placed_at": "2024-01-05T00:00:00Z",
             "amount": "100", "currency": "JPY", "subscription_id": "s1"}
        ],
        "refunds": [
            {"customer_id": "a", "refunded_at": "2024-01-06T00:00:00Z", "amount": "-10"}
        ],
        "subscriptions": [
            {"id": "s1", "customer_id": "a", "started_at": "2024-01-05T00:00:00Z",
             "cycles": 1, "status": "active"}
        ]
    }))
    .unwrap();
    let r = &log.report;
    assert_eq!((r.rows_read, r.rows_accepted, r.rows_rejected), (5, 5, 0));
    assert_eq!((r.orders, r.refunds), (1, 1));
    assert_eq!((r.customer_records, r.subscription_records), (2, 1));
    assert_eq!(r.customers, 2);
}

/// Issue 19 item 3 in the bindings: a `.gz` path is decompressed (it was read as garbage rows).
#[test]
fn read_file_decompresses_gzip() {
    use std::io::Write;
    let csv = "customer_id,order_id,placed_at,amount\na,1,2024-01-05,100\nb,2,2024-01-06,20\n";
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(csv.as_bytes()).unwrap();
    let dir = std::env::temp_dir().join(format!("kokyaku-bc-gz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("orders.csv.gz");
    std::fs::write(&p, e.finish().unwrap()).unwrap();
    let log = kokyaku_binding_core::api::read_file(
        kokyaku_binding_core::api::TextFormat::Csv,
        p.to_str().unwrap(),
        serde_json::Value::Null,
    )
    .unwrap();
    assert_eq!(
        (
            log.report.rows_read,
            log.report.rows_rejected,
            log.report.orders
        ),
        (2, 0, 2)
    );
    std::fs::remove_dir_all(&dir).ok();
}
