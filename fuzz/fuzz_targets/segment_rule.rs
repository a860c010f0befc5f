//! Segment rule text: the parser never panics; a rule it accepts prints to a text that parses
//! back to the same rule, its JSON reads back to the same rule, and checking and evaluating it on
//! a small log never panic (an `Err` is a fine answer).
#![no_main]

use std::sync::OnceLock;

use kokyaku::model::OrderLog;
use kokyaku::segment::{Catalog, Rule, SegmentOptions, Segmenter, parse};
use kokyaku::summary::{CustomerSummaries, summarize};
use libfuzzer_sys::fuzz_target;

fn data() -> &'static (OrderLog, CustomerSummaries) {
    static DATA: OnceLock<(OrderLog, CustomerSummaries)> = OnceLock::new();
    DATA.get_or_init(|| {
        let csv = "order_id,customer_id,placed_at,sku,quantity,unit_price\n\
                   o1,A,2024-01-10,X,1,3000\no2,A,2024-02-10,Y,2,1000\no3,B,2024-06-01,X,4,3000\n";
        let log = kokyaku::io::read_csv_str(csv, &kokyaku::io::ReadOptions::default())
            .expect("the fuzz log reads")
            .log;
        let s = summarize(&log, &kokyaku::summary::SummaryOptions::default());
        (log, s)
    })
}

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    let Ok(rule) = parse(text) else { return };
    let printed = rule.to_string();
    let again = parse(&printed).expect("printed text parses");
    assert_eq!(again, rule, "{printed}");
    let json = rule.to_json().expect("rule to JSON");
    let back: Rule = serde_json::from_str(&json).expect("JSON back");
    assert_eq!(back, rule, "{json}");
    let _ = kokyaku::segment::check(&rule, &Catalog::default());
    let (log, s) = data();
    let seg = Segmenter::new(log, s, SegmentOptions::default());
    if let Ok(v) = seg.evaluate(&rule) {
        assert_eq!(v.len(), log.n_customers());
        let _ = seg.explain(&rule, "A");
    }
});
