//! Helpers shared by the LTV integration tests: locating `../shared/data` and reading its
//! small CSV files (a few lines here rather than the ingestion module, which is tested on its own).
#![allow(dead_code, missing_docs)]

use std::path::PathBuf;

/// `$KOKYAKU_DATA` or `<repo>/../shared/data`.
pub fn data_dir() -> PathBuf {
    if let Ok(d) = std::env::var("KOKYAKU_DATA") {
        return PathBuf::from(d);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

/// Columns of a comma-separated file with a header, as strings.
pub fn read_csv(rel: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let path = data_dir().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(|s| s.trim().to_owned())
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(|s| s.trim().to_owned()).collect())
        .collect();
    (header, rows)
}

/// One numeric column by name.
pub fn column(header: &[String], rows: &[Vec<String>], name: &str) -> Vec<f64> {
    let j = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    rows.iter().map(|r| r[j].parse().unwrap()).collect()
}

/// Assert `got` equals the published `want` to the printed number of decimals.
pub fn assert_printed(got: f64, want: f64, decimals: i32, what: &str) {
    let half = 0.5 * 10f64.powi(-decimals);
    assert!(
        (got - want).abs() <= half + 1e-12,
        "{what}: got {got}, published {want} (±{half})"
    );
}
