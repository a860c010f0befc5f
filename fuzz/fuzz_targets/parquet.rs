//! Parquet files (footer, schema, pages, column types).
#![no_main]

use kokyaku::io::read_parquet_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for opts in kokyaku_fuzz::option_sets() {
        kokyaku_fuzz::check(read_parquet_bytes(bytes::Bytes::copy_from_slice(data), &opts));
    }
});
