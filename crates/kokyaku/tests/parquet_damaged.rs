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
        // A 1840-byte file whose int64 dictionary page claims 10^15 values: arrow-rs sized the
        // dictionary from that claim and filled 6.6 GB before it failed. The committed fuzz
        // seed runs it under the fuzzer's 2 GB limit.
        &include_bytes!("data/parquet_dictionary_claim_oom.parquet")[..],
        // The same claim with the count's type damaged (a set, not an i32): arrow-rs still read
        // the count and filled 6.6 GB (fuzz find of 2026-12-05).
        &include_bytes!("data/parquet_dictionary_claim_mistyped_oom.parquet")[..],
        // A categorical customer column whose footer puts a row group's first data page before
        // its dictionary page: the repeated-dictionary reader subtracted the offsets and
        // overflowed (a panic with overflow checks, as in debug builds; fuzz find of
        // 2026-12-06).
        &include_bytes!("data/parquet_dictionary_range_overflow.parquet")[..],
        // A footer whose row groups' row counts overflow their sum: arrow-rs adds them up when
        // it builds a reader (a panic with overflow checks; fuzz find of 2026-12-06).
        &include_bytes!("data/parquet_row_count_overflow.parquet")[..],
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

#[test]
fn a_dictionary_page_claiming_more_values_than_its_bytes_is_malformed_input_at_once() {
    for data in [
        &include_bytes!("data/parquet_dictionary_claim_oom.parquet")[..],
        &include_bytes!("data/parquet_dictionary_claim_mistyped_oom.parquet")[..],
    ] {
        let Err(e) =
            read_parquet_bytes(bytes::Bytes::copy_from_slice(data), &ReadOptions::default())
        else {
            panic!("a damaged file was read");
        };
        assert_eq!(e.code(), "malformed_input", "{e}");
        let text = e.to_string();
        assert!(
            text.contains("dictionary page of column 'CustomerID'"),
            "{text}"
        );
    }
}
