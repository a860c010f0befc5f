//! The examples of `docs/repeat.md` and `docs/cohorts.md` run here, and the pages must quote
//! them verbatim (the text between the START and END markers).

#[test]
fn repeat_example() -> kokyaku::Result<()> {
    // START repeat_example
    use chrono::NaiveDate;
    use kokyaku::io::{ReadOptions, read_csv_str};
    use kokyaku::repeat::{RepeatOptions, repeat_metrics};

    // No order-id column: each row is one order.
    let csv = "customer_id,date,amount\n\
               A,2024-01-10,10\n\
               A,2024-02-01,12\n\
               B,2024-01-15,30\n\
               B,2024-06-20,30\n";
    let log = read_csv_str(csv, &ReadOptions::default())?.log;
    let opts = RepeatOptions {
        as_of: NaiveDate::from_ymd_opt(2024, 6, 30),
        ..RepeatOptions::default()
    };
    let r = repeat_metrics(&log, &opts)?;
    assert_eq!(r.repeat_rate.by_orders.rate, Some(1.0)); // both customers bought twice
    assert_eq!(r.f2.by_orders.rate, Some(0.5)); // only A's second order came within 90 days
    assert_eq!(r.first_to_second.median_days, Some(89.5)); // gaps of 22 and 157 days
    // END repeat_example
    Ok(())
}

#[test]
fn cohort_example() -> kokyaku::Result<()> {
    // START cohort_example
    use chrono::NaiveDate;
    use kokyaku::cohort::{CohortOptions, Period, retention};
    use kokyaku::io::{ReadOptions, read_csv_str};

    let csv = "customer_id,date,amount\n\
               A,2024-01-10,10\n\
               A,2024-02-01,12\n\
               B,2024-01-15,30\n\
               C,2024-02-03,20\n";
    let log = read_csv_str(csv, &ReadOptions::default())?.log;
    // As of 2024-02-20 February is not over: its cells are unknown (None), not zero.
    let opts = CohortOptions {
        period: Period::Monthly,
        as_of: NaiveDate::from_ymd_opt(2024, 2, 20),
        max_periods: None,
    };
    let m = retention(&log, &opts)?;
    assert_eq!(m.cohorts[0].cohort, "2024-01");
    assert_eq!(m.cohorts[0].size, 2);
    assert_eq!(m.cohorts[0].retention, vec![Some(1.0), None]);
    assert_eq!(m.cohorts[1].cohort, "2024-02");
    assert!(!m.cohorts[1].complete);
    // END cohort_example
    Ok(())
}

fn snippet(file: &str, name: &str) -> String {
    let start = format!("// START {name}\n");
    let end = format!("// END {name}");
    let a = file.find(&start).unwrap() + start.len();
    let b = a + file[a..].find(&end).unwrap();
    // Dedent by the indentation of the first line.
    let body = &file[a..b];
    let indent = body.len() - body.trim_start_matches(' ').len();
    body.lines()
        .map(|l| l.get(indent..).unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n")
        .trim_end()
        .to_owned()
}

#[test]
fn docs_quote_the_examples() {
    let this = include_str!("repeat_docs.rs");
    for (doc, name) in [
        ("repeat.md", "repeat_example"),
        ("cohorts.md", "cohort_example"),
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../docs")
            .join(doc);
        let text = std::fs::read_to_string(&path).unwrap();
        let s = snippet(this, name);
        assert!(
            text.contains(&s),
            "docs/{doc} must quote the {name} snippet of tests/repeat_docs.rs verbatim:\n{s}"
        );
    }
}
