//! `OrderLog::drop_order_ids` (what `kokyaku report` does before its analyses, for memory)
//! changes no number of the report: on a simulated log (order ids, subscriptions) and on line
//! items with a refund linked to its invoice by id.

use kokyaku::io::{ReadOptions, read_csv_str};
use kokyaku::model::OrderLog;
use kokyaku::report::{AnalysisOptions, Report};
use kokyaku::simulate::{SimOptions, simulate_log};

fn report_json(log: &OrderLog) -> String {
    let r = Report::build(log, None, &AnalysisOptions::default()).unwrap();
    serde_json::to_string(&r).unwrap()
}

fn same_report_without_ids(mut log: OrderLog) {
    assert!(log.order_id(0).is_some(), "the log has order ids to drop");
    let before = report_json(&log);
    log.drop_order_ids();
    assert_eq!(log.order_id(0), None);
    assert_eq!(report_json(&log), before);
}

#[test]
fn dropping_order_ids_leaves_the_report_of_a_simulated_log() {
    let opts = SimOptions {
        customers: 3_000,
        ..SimOptions::default()
    };
    same_report_without_ids(simulate_log(&opts).unwrap());
}

#[test]
fn dropping_order_ids_leaves_the_report_of_line_items_and_refunds() {
    let csv = "InvoiceNo,CustomerID,InvoiceDate,Quantity,UnitPrice\n\
               536365,17850,12/1/2010 8:26,6,2.55\n\
               536365,17850,12/1/2010 8:26,8,3.39\n\
               536366,17850,12/1/2010 8:28,3,1.85\n\
               C536365,17850,12/2/2010 9:00,-1,2.55\n\
               536369,13047,12/4/2010 12:00,2,4.25\n\
               536369,13047,12/4/2010 12:00,1,0.5\n\
               536370,13047,12/9/2010 13:00,1,1\n";
    let opts = ReadOptions {
        currency: Some("GBP".into()),
        cancel_prefix: Some("C".into()),
        ..ReadOptions::default()
    };
    let ing = read_csv_str(csv, &opts).unwrap();
    assert_eq!(ing.report.rows_rejected, 0, "{:?}", ing.report.examples);
    assert_eq!(ing.log.refunds().customer.len(), 1);
    same_report_without_ids(ing.log);
}
