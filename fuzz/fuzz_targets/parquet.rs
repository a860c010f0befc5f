//! Parquet files (footer, schema, pages, column types).
#![no_main]

use kokyaku::io::read_parquet_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    // libfuzzer-sys aborts on every panic, even one the reader catches: arrow-rs panics on some
    // damaged files and kokyaku turns those into `malformed_input`. Panics from arrow-rs's
    // crates are left to that catch (a panic they raise outside it still aborts, in the harness); any other panic still aborts (a crash to fix).
    init: {
        std::panic::set_hook(Box::new(|info| {
            // arrow-rs's parquet decoder and the arrow-* crates it calls (arrow-buffer panics on
            // a damaged bitmap inside the decoder, caught there too).
            let in_parquet = info
                .location()
                .is_some_and(|l| l.file().contains("/parquet-") || l.file().contains("/arrow-"));
            if !in_parquet {
                eprintln!("{info}");
                std::process::abort();
            }
        }));
    },
    |data: &[u8]| {
    for opts in kokyaku_fuzz::option_sets() {
        kokyaku_fuzz::check(read_parquet_bytes(bytes::Bytes::copy_from_slice(data), &opts));
    }
}
);
