//! The examples of `docs/ingestion.md`, `docs/summary.md`, `docs/rfm.md`, `docs/cpm.md` and
//! `docs/simulate.md` run here, and the pages must quote them verbatim (the text between the
//! START and END markers). Also the claims those pages make about segment maps.

use kokyaku::rfm::{ScoreRange, SegmentMap, SegmentRule};

#[test]
fn ingestion_example() -> kokyaku::Result<()> {
    // START ingestion_example
    use kokyaku::io::{ReadOptions, read_csv_str};

    // Online-Retail-style line items: the lines of invoice 536365 roll up, a 'C' invoice is a
    // refund of the invoice it names, and the row without a customer id is rejected.
    let csv = "InvoiceNo,CustomerID,InvoiceDate,Quantity,UnitPrice\n\
               536365,17850,12/1/2010 8:26,6,2.55\n\
               536365,17850,12/1/2010 8:26,8,3.39\n\
               C536365,17850,12/2/2010 9:00,-1,2.55\n\
               536366,,12/3/2010 10:00,4,1.25\n";
    let opts = ReadOptions {
        cancel_prefix: Some("C".into()),
        ..ReadOptions::default()
    };
    let ing = read_csv_str(csv, &opts)?;
    let r = &ing.report;
    assert_eq!((r.rows_read, r.rows_accepted, r.rows_rejected), (4, 3, 1));
    assert_eq!(r.rejections["missing_customer"], 1);
    assert_eq!((r.orders, r.lines_merged, r.refunds), (1, 1, 1));
    assert_eq!(ing.log.amounts().get(0).to_string(), "42.42"); // 6 × 2.55 + 8 × 3.39
    // END ingestion_example
    Ok(())
}

#[test]
fn summary_example() -> kokyaku::Result<()> {
    // START summary_example
    use chrono::NaiveDate;
    use kokyaku::io::{ReadOptions, read_csv_str};
    use kokyaku::summary::{SummaryOptions, summarize};

    let csv = "customer_id,order_id,date,amount,status\n\
               A,a1,2024-01-10,1000,completed\n\
               A,a2,2024-01-10,500,completed\n\
               A,a1,2024-01-15,-300,completed\n\
               A,a3,2024-02-01,2000,cancelled\n\
               A,a4,2024-03-05,700,completed\n";
    let log = read_csv_str(csv, &ReadOptions::default())?.log;
    let opts = SummaryOptions {
        as_of: NaiveDate::from_ymd_opt(2024, 3, 1),
        ..SummaryOptions::default()
    };
    let s = summarize(&log, &opts).record(0);
    assert_eq!((s.orders, s.purchase_days, s.cancelled_orders), (2, 1, 1)); // a4 is after as-of
    assert_eq!((s.recency_days, s.tenure_days), (Some(51), Some(0)));
    assert_eq!(
        (s.gross, s.refunds, s.net),
        (1500.into(), 300.into(), 1200.into())
    ); // Decimal
    assert_eq!(s.average_order_value, Some(600.into())); // 1200 / 2 orders
    // Without as_of: the day after the last order (2024-03-06).
    assert_eq!(
        summarize(&log, &SummaryOptions::default()).as_of,
        NaiveDate::from_ymd_opt(2024, 3, 6).unwrap()
    );
    // END summary_example
    Ok(())
}

#[test]
fn rfm_example() -> kokyaku::Result<()> {
    // START rfm_example
    use kokyaku::io::{ReadOptions, read_csv_str};
    use kokyaku::rfm::{Binning, RfmOptions, TieRule, score};
    use kokyaku::summary::{SummaryOptions, summarize};

    // Frequencies 1, 1, 1, 2, 5 (as of the day after the last order).
    let csv = "customer_id,date,amount\n\
               A,2024-01-01,10\nB,2024-01-02,10\nC,2024-01-03,10\n\
               D,2024-01-01,10\nD,2024-01-04,10\n\
               E,2024-01-01,10\nE,2024-01-02,10\nE,2024-01-03,10\nE,2024-01-04,10\nE,2024-01-05,10\n";
    let s = summarize(
        &read_csv_str(csv, &ReadOptions::default())?.log,
        &SummaryOptions::default(),
    );
    // NTILE(5): one customer per score; equal values are ordered by customer id.
    let ntile = score(&s, &RfmOptions::default())?;
    assert_eq!(ntile.f, vec![1, 2, 3, 4, 5]);
    // Ties share a score: 1 + floor(5 × customers strictly worse / 5).
    let shared = Binning::Quantile {
        bins: 5,
        ties: TieRule::Shared,
    };
    let tied = score(
        &s,
        &RfmOptions {
            frequency: shared,
            ..RfmOptions::default()
        },
    )?;
    assert_eq!(tied.f, vec![1, 1, 1, 4, 5]);
    assert_eq!(tied.segment_name(4), Some("Champions")); // E: R5 (last order on the last day), F5
    // END rfm_example
    Ok(())
}

#[test]
fn cpm_example() {
    // START cpm_example
    use kokyaku::cpm::{CpmOptions, Stage};

    let o = CpmOptions::default();
    // orders, tenure days (first to last order), net spend, days since the last order
    let c = o.classify(3, 95, 70_000.0, 10).unwrap();
    assert_eq!((c.stage, c.churned), (Stage::Trendy, false));
    assert_eq!(c.id(), "trendy_active");
    assert_eq!(o.display(c), "流行客（現役）");
    assert_eq!(
        o.classify(3, 95, 69_999.0, 240).unwrap().id(),
        "steady_churned"
    );
    assert_eq!(o.classify(2, 89, 1e6, 0).unwrap().id(), "fledgling_active");
    // END cpm_example
}

#[test]
fn simulate_example() -> kokyaku::Result<()> {
    // START simulate_example
    use kokyaku::simulate::{SimOptions, simulate_log};
    use kokyaku::summary::{SummaryOptions, summarize};

    let opts = SimOptions {
        customers: 500,
        seed: 7,
        ..SimOptions::default()
    };
    let log = simulate_log(&opts)?;
    assert_eq!(log.n_customers(), 500);
    assert_eq!(log.currency(), Some("JPY"));
    // The same seed gives the same log on every platform.
    assert_eq!(
        simulate_log(&opts)?.amounts().units(),
        log.amounts().units()
    );
    let s = summarize(&log, &SummaryOptions::default());
    assert!(s.orders.iter().sum::<u32>() > 500);
    // END simulate_example
    Ok(())
}

fn range(min: u8, max: u8) -> ScoreRange {
    ScoreRange { min, max }
}

/// The widely circulated 11-segment R/F/M range table, as docs/rfm.md quotes it.
fn popular_eleven() -> SegmentMap {
    let rule = |s: &str, r: (u8, u8), f: (u8, u8), m: (u8, u8)| SegmentRule {
        segment: s.to_owned(),
        r: range(r.0, r.1),
        f: range(f.0, f.1),
        m: Some(range(m.0, m.1)),
    };
    SegmentMap {
        name: "popular11".into(),
        rules: vec![
            rule("Champions", (4, 5), (4, 5), (4, 5)),
            rule("Loyal Customers", (2, 5), (3, 5), (3, 5)),
            rule("Potential Loyalist", (3, 5), (1, 3), (1, 3)),
            rule("New Customers", (4, 5), (1, 1), (1, 1)),
            rule("Promising", (3, 4), (1, 1), (1, 1)),
            rule("Need Attention", (2, 3), (2, 3), (2, 3)),
            rule("About To Sleep", (2, 3), (1, 2), (1, 2)),
            rule("At Risk", (1, 2), (2, 5), (2, 5)),
            rule("Can't Lose Them", (1, 1), (4, 5), (4, 5)),
            rule("Hibernating", (1, 2), (1, 2), (1, 2)),
            rule("Lost", (1, 2), (1, 2), (1, 2)),
        ],
    }
}

#[test]
fn the_popular_eleven_segment_table_is_refused() {
    let e = popular_eleven().validate(5, 5, 5).unwrap_err();
    assert_eq!(e.code(), "invalid_option");
    let m = e.to_string();
    assert!(
        m.contains("36 cells have no segment: R1F1M3 R1F1M4 R1F1M5 R1F3M1"),
        "{m}"
    );
    assert!(m.contains("42 cells have several"), "{m}");
    // 'Lost' has exactly the cells of 'Hibernating': first-match never reaches it.
    assert!(m.contains("R1F1M1 (Hibernating, Lost)"), "{m}");
}

#[test]
fn a_map_for_more_scores_than_binned_is_refused() {
    // The default map needs 5 R scores: with 3, Champions, New customers, Potential
    // loyalists and Promising (R4, R5) could never apply.
    let e = SegmentMap::default_rf().validate(3, 5, 5).unwrap_err();
    assert_eq!(e.code(), "invalid_option");
    let m = e.to_string();
    assert!(
        m.contains("4 segments cover no cell of 3 R × 5 F scores: Champions, Potential loyalists, New customers, Promising"),
        "{m}"
    );
}

#[test]
fn the_default_map_covers_the_25_cells_as_the_docs_grid_shows() {
    let map = SegmentMap::default_rf();
    map.validate(5, 5, 5).unwrap();
    // docs/rfm.md, rows R5..R1, columns F1..F5.
    let grid = [
        [
            "New customers",
            "Potential loyalists",
            "Potential loyalists",
            "Champions",
            "Champions",
        ],
        [
            "Promising",
            "Potential loyalists",
            "Potential loyalists",
            "Loyal customers",
            "Loyal customers",
        ],
        [
            "About to sleep",
            "About to sleep",
            "Need attention",
            "Loyal customers",
            "Loyal customers",
        ],
        [
            "Hibernating",
            "Hibernating",
            "At risk",
            "At risk",
            "Cannot lose them",
        ],
        [
            "Hibernating",
            "Hibernating",
            "At risk",
            "At risk",
            "Cannot lose them",
        ],
    ];
    for (row, r) in grid.iter().zip((1..=5u8).rev()) {
        for (name, f) in row.iter().zip(1..=5u8) {
            let hit: Vec<&str> = map
                .rules
                .iter()
                .filter(|x| x.r.min <= r && r <= x.r.max && x.f.min <= f && f <= x.f.max)
                .map(|x| x.segment.as_str())
                .collect();
            assert_eq!(hit, [*name], "R{r}F{f}");
        }
    }
}

fn snippet(file: &str, name: &str) -> String {
    let start = format!("// START {name}\n");
    let end = format!("// END {name}");
    let a = file.find(&start).unwrap() + start.len();
    let b = a + file[a..].find(&end).unwrap();
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
    let this = include_str!("docs_core.rs");
    for (doc, name) in [
        ("ingestion.md", "ingestion_example"),
        ("summary.md", "summary_example"),
        ("rfm.md", "rfm_example"),
        ("cpm.md", "cpm_example"),
        ("simulate.md", "simulate_example"),
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../docs")
            .join(doc);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let s = snippet(this, name);
        assert!(
            text.contains(&s),
            "docs/{doc} must quote the {name} snippet of tests/docs_core.rs verbatim:\n{s}"
        );
    }
}
