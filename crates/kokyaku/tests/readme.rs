//! The README's Rust example, run as written (on the CDNOW log of ../shared/data).

use kokyaku::io::{Delimiter, ReadOptions, read_path};
use kokyaku::report::{AnalysisOptions, Report};

#[test]
fn readme_rust_example_runs() -> Result<(), kokyaku::Error> {
    let readme = include_str!("../../../README.md");
    let snippet = r#"let opts = ReadOptions { delimiter: Delimiter::Whitespace, ..ReadOptions::default() };
let ing = read_path("CDNOW_master.txt".as_ref(), &opts)?;
let report = Report::build(&ing.log, Some(&ing.report), &AnalysisOptions::default())?;"#;
    assert!(
        readme.contains(snippet),
        "README's Rust example changed: update this test"
    );
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/cdnow/CDNOW_master.txt"
    );
    let opts = ReadOptions {
        delimiter: Delimiter::Whitespace,
        ..ReadOptions::default()
    };
    let ing = read_path(path.as_ref(), &opts)?;
    let report = Report::build(&ing.log, Some(&ing.report), &AnalysisOptions::default())?;
    // The default as-of is the day after the data ends: 1998-07-01 for CDNOW.
    assert_eq!(report.as_of.to_string(), "1998-07-01");
    let rate = report.repeat.repeat_rate.by_orders.rate.unwrap_or_default();
    assert!((rate - 0.4948).abs() < 5e-5, "{rate}");
    Ok(())
}
