//! Reading ready summaries: the CDNOW summary (Fader, Hardie & Lee 2005) by its usual column
//! names from CSV, and the same through Parquet (feature `parquet`).

// Values are copied, not computed: compared exactly.
#![allow(clippy::float_cmp)]

mod ltv_common;

use kokyaku::ltv::{SummaryColumns, TimeUnit, read_summary_csv};
use ltv_common::data_dir;

#[test]
fn csv_summary_columns_by_usual_names_and_flags() {
    let f =
        std::fs::File::open(data_dir().join("cdnow/cdnow_customers_summary_with_transactions.csv"))
            .unwrap();
    let s = read_summary_csv(f, &SummaryColumns::default(), TimeUnit::Weeks).unwrap();
    assert_eq!(s.data.len(), 2357);
    assert_eq!(
        (s.data.x[0], s.data.t_x[0], s.data.t[0]),
        (2.0, 30.43, 38.86)
    );
    assert_eq!(s.data.monetary.as_ref().unwrap()[0], 22.35);
    assert_eq!(s.customer_id[0], "1");
    // Donations: periods and weights recognised.
    let f = std::fs::File::open(data_dir().join("donations/donations.csv")).unwrap();
    let s = read_summary_csv(f, &SummaryColumns::default(), TimeUnit::Days).unwrap();
    assert_eq!(s.data.n_customers(), 11_104.0);
    // A missing column names what exists.
    let e = read_summary_csv(
        "a,b\n1,2\n".as_bytes(),
        &SummaryColumns::default(),
        TimeUnit::Days,
    )
    .unwrap_err();
    assert_eq!(e.code(), "missing_column");
    let e = read_summary_csv(
        "x,t_x,T\n1,3,2\n".as_bytes(),
        &SummaryColumns::default(),
        TimeUnit::Days,
    )
    .unwrap_err();
    assert_eq!(e.code(), "invalid_value");
    assert!(e.to_string().contains("row 1"), "{e}");
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_summary_round_trip() {
    use kokyaku::ltv::read_summary_parquet;
    use kokyaku::table::{Column, Table};
    let f = std::fs::File::open(data_dir().join("cdnow/cdnow_customers_summary.csv")).unwrap();
    let s = read_summary_csv(f, &SummaryColumns::default(), TimeUnit::Weeks).unwrap();
    let mut t = Table::default();
    t.push(
        "customer_id",
        Column::Str(s.customer_id.iter().cloned().map(Some).collect()),
    );
    t.push(
        "frequency",
        Column::Int(s.data.x.iter().map(|v| Some(*v as i64)).collect()),
    );
    t.push(
        "recency",
        Column::Float(s.data.t_x.iter().map(|v| Some(*v)).collect()),
    );
    t.push(
        "T",
        Column::Float(s.data.t.iter().map(|v| Some(*v)).collect()),
    );
    let path = std::env::temp_dir().join(format!(
        "kokyaku_ltv_summary_{}.parquet",
        std::process::id()
    ));
    kokyaku::io::write_table_parquet(&t, std::fs::File::create(&path).unwrap()).unwrap();
    let p = read_summary_parquet(
        std::fs::File::open(&path).unwrap(),
        &SummaryColumns::default(),
        TimeUnit::Weeks,
    )
    .unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(p.data, s.data);
    assert_eq!(p.customer_id, s.customer_id);
}
