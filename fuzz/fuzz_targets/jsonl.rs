//! JSON Lines.
#![no_main]

use kokyaku::io::read_jsonl;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for opts in kokyaku_fuzz::option_sets() {
        kokyaku_fuzz::check(read_jsonl(data, &opts));
    }
});
