//! The loyalty programme reader: any bytes read to a programme or fail with `invalid_program`;
//! a programme that reads evaluates over a small fixed log without panicking, keeps the points
//! identity (balance = earned − expired − redeemed − reversed), and serialises; beyond the
//! points limit (`MAX_POINTS`) it fails with `invalid_value`.
#![no_main]

use std::sync::OnceLock;

use kokyaku::loyalty::{LoyaltyEvents, Program, StageOptions, evaluate, report_value};
use kokyaku::model::OrderLog;
use libfuzzer_sys::fuzz_target;

fn log() -> &'static OrderLog {
    static LOG: OnceLock<OrderLog> = OnceLock::new();
    LOG.get_or_init(|| {
        let csv = "customer_id,order_id,placed_at,amount,status\n\
            A,a1,2023-03-01T10:00:00+09:00,12000,completed\n\
            A,a2,2024-02-29T23:59:59+09:00,50000,completed\n\
            A,a2,2024-03-10,-20000,completed\n\
            B,b1,2024-12-31T00:00:00+09:00,3000,completed\n\
            B,b2,2025-01-01T00:00:00+09:00,900000.5,completed\n\
            B,b3,2025-02-01,100,cancelled\n";
        let opts = kokyaku::io::ReadOptions {
            timezone: "Asia/Tokyo".into(),
            ..kokyaku::io::ReadOptions::default()
        };
        kokyaku::io::read_csv_str(csv, &opts).expect("fixed log").log
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let program = match Program::from_json(text) {
        Ok(p) => p,
        Err(e) => {
            assert_eq!(e.code(), "invalid_program", "{e}");
            return;
        }
    };
    let opts = StageOptions {
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 1, 15),
        history: true,
        distribution: true,
    };
    match evaluate(log(), &program, &LoyaltyEvents::default(), &opts) {
        Ok(s) => {
            for i in 0..s.len() {
                assert_eq!(
                    s.points_balance[i],
                    s.points_earned[i] - s.points_expired[i] - s.points_redeemed[i] - s.points_reversed[i]
                );
            }
            let _ = report_value(&s);
        }
        Err(e) => assert!(
            matches!(e.code(), "points_shortfall" | "invalid_value"),
            "{e}"
        ),
    }
});
