//! A damaged Parquet file on which arrow-rs's decoder panics or loops (found by the `parquet`
//! fuzz target) is a `malformed_input` error, not a panic that would reach Python, Node or the
//! CLI, nor a read that never ends.
#![cfg(feature = "parquet")]

use kokyaku::io::{ReadOptions, read_parquet_bytes};

#[test]
fn decoder_panic_is_malformed_input() {
    for data in [
        &include_bytes!("data/parquet_decoder_panic.parquet")[..],
        &include_bytes!("data/parquet_bitmap_panic.parquet")[..],
        // A page header declaring 2^31 fields to skip at the end of the file: arrow-rs's
        // Thrift reader took each short skip as success and looped for hours (the parquet
        // fuzz target's timeout); the strict chunk reader makes it an error at once.
        &include_bytes!("data/parquet_header_skip_loop.parquet")[..],
    ] {
        let opts = ReadOptions::default();
        match read_parquet_bytes(bytes::Bytes::copy_from_slice(data), &opts) {
            Err(e) => assert_eq!(e.code(), "malformed_input", "{e}"),
            Ok(ing) => assert_eq!(
                ing.report.rows_read,
                ing.report.rows_accepted + ing.report.rows_rejected
            ),
        }
    }
}
