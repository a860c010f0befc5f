//! The book's snapshot reader: any bytes restore to a book or fail with a typed snapshot error;
//! a restored book works (summaries, changes, a new order, advancing) and its own snapshot
//! restores to the same bytes.
#![no_main]

use kokyaku::book::{Book, OrderRef};
use kokyaku::model::{OrderKind, OrderStatus};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut book = match Book::restore(data) {
        Ok(b) => b,
        Err(e) => {
            assert!(e.code().starts_with("snapshot_"), "{e}");
            return;
        }
    };
    let s = book.summaries();
    assert_eq!(s.len(), book.n_customers());
    let _ = book.changes();
    let again = book.snapshot();
    let restored = Book::restore(&again).expect("a book's own snapshot restores");
    assert_eq!(restored.snapshot(), again);
    let _ = book.ingest_order(OrderRef {
        order_id: "fuzz-order",
        customer_id: "fuzz-customer",
        placed_at: 1_700_000_000,
        amount: rust_decimal::Decimal::new(12_345, 2),
        currency: "",
        kind: OrderKind::OneOff,
        status: OrderStatus::Completed,
        subscription_id: None,
    });
    let _ = book.advance(book.as_of() + chrono::Days::new(400));
    let _ = book.changes();
    let _ = book.summaries();
});
