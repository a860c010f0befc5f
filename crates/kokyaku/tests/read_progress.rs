//! The progress-reporting readers (`io::summarize_path_progress`, `io::read_path_progress`, what
//! the CLI's progress bar uses on large text files) give what the plain ones give, on CSV, gzip
//! CSV and JSON lines, and report the file's bytes (compressed bytes for `.gz`), rising to its
//! size.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Mutex;

use kokyaku::io::{
    ReadOptions, read_path, read_path_progress, summarize_path, summarize_path_progress,
};
use kokyaku::summary::SummaryOptions;

fn temp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kokyaku-progress-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

/// A log of a few thousand rows (several reads of the underlying file).
fn csv_text() -> String {
    let mut s = String::from("customer_id,order_id,ordered_at,amount\n");
    for k in 0..4000 {
        let _ = writeln!(
            s,
            "M{:05},{k},2024-{:02}-{:02},{}.{:02}",
            k % 700,
            1 + k % 12,
            1 + k % 28,
            10 + k % 90,
            k % 100
        );
    }
    s
}

fn jsonl_text() -> String {
    let mut s = String::new();
    for k in 0..3000 {
        let _ = writeln!(
            s,
            "{{\"customer_id\": \"c{}\", \"order_id\": \"{k}\", \"ordered_at\": \"2024-03-{:02}\", \"amount\": {}}}",
            k % 500,
            1 + k % 28,
            5 + k % 40
        );
    }
    s
}

fn gzip(text: &str) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text.as_bytes()).expect("gzip");
    e.finish().expect("gzip")
}

#[test]
fn progress_reads_give_the_plain_results_and_count_the_file() {
    let read = ReadOptions {
        currency: Some("USD".into()),
        ..ReadOptions::default()
    };
    let files = [
        temp("orders.csv", csv_text().as_bytes()),
        temp("orders.csv.gz", &gzip(&csv_text())),
        temp("orders.jsonl", jsonl_text().as_bytes()),
    ];
    for path in &files {
        let size = std::fs::metadata(path).expect("size").len();
        let seen = Mutex::new(Vec::new());
        let note = |n: u64| seen.lock().expect("lock").push(n);
        let opts = SummaryOptions::default();
        let plain = summarize_path(path, &read, &opts).expect("summary");
        let counted = summarize_path_progress(path, &read, &opts, &note).expect("summary");
        assert!(counted.streamed, "{}", path.display());
        assert_eq!(plain.summaries.records(), counted.summaries.records());
        assert_eq!(plain.report, counted.report);
        let bytes = std::mem::take(&mut *seen.lock().expect("lock"));
        assert!(bytes.windows(2).all(|w| w[0] <= w[1]), "{}", path.display());
        assert_eq!(bytes.last(), Some(&size), "{}", path.display());

        let a = read_path(path, &read).expect("log");
        let b = read_path_progress(path, &read, &note).expect("log");
        assert_eq!(a.report, b.report);
        assert_eq!(a.log.n_orders(), b.log.n_orders());
        assert_eq!(
            kokyaku::summary::summarize(&a.log, &opts).records(),
            kokyaku::summary::summarize(&b.log, &opts).records()
        );
        assert_eq!(seen.lock().expect("lock").last(), Some(&size));
    }
}
