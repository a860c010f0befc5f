//! Reading the CDNOW master log (Fader, Hardie & Lee 2005 data, via lifetimes 0.11.3).

use kokyaku::io::{Delimiter, ReadOptions, read_path};

fn cdnow() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/cdnow/CDNOW_master.txt")
}

#[test]
fn reads_every_cdnow_order() {
    let opts = ReadOptions {
        delimiter: Delimiter::Whitespace,
        ..ReadOptions::default()
    };
    let ing = read_path(&cdnow(), &opts).unwrap();
    let r = &ing.report;
    assert_eq!(r.rows_read, 69_659);
    assert_eq!(r.rows_accepted + r.rows_rejected, r.rows_read);
    assert_eq!(r.rows_rejected, 0, "{:?}", r.examples);
    assert_eq!(ing.log.n_customers(), 23_570);
    assert_eq!(ing.log.n_orders(), 69_659);
    assert_eq!(ing.log.customer_id(0), "00001");
}
