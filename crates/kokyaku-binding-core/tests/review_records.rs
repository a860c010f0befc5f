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
