//! Delimited text: comma with a header, and runs of whitespace without one.
#![no_main]

use kokyaku::io::{Delimiter, read_csv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [plain, permissive] = kokyaku_fuzz::option_sets();
    kokyaku_fuzz::check(read_csv(data, &plain));
    let ws = kokyaku::io::ReadOptions {
        delimiter: Delimiter::Whitespace,
        has_header: false,
        ..permissive
    };
    kokyaku_fuzz::check(read_csv(data, &ws));
});
