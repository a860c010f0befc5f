//! Times the customer book: ingesting orders (one thread), the change report with 20 segments
//! and one loyalty programme (the first report evaluates everyone; a day's report only the
//! customers touched, or everyone when the date moved), and a snapshot of the whole book written
//! and restored. Prints one JSON object with wall-clock and
//! on-CPU seconds per phase (on-CPU from `/proc/thread-self/schedstat`: on a shared, loaded
//! machine the wall clock also counts the time other processes had the core).
//!
//! `cargo run --release -p kokyaku-benches --bin book_timing -- [CUSTOMERS] [ORDERS] [DAY_ORDERS]`
//! (defaults 3,000,000 customers, 3,600,000 orders, 100,000 orders in the "next day").

use std::time::Instant;

use kokyaku::book::{Book, BookOptions, OrderRef};
use kokyaku::model::{OrderKind, OrderStatus, StrColumn};
use kokyaku::segment::RuleSource;
use kokyaku_benches::{JP_EC_RANK_PROGRAM, thread_cpu_seconds};
use rust_decimal::Decimal;
use serde_json::json;

/// Twenty segment rules of the kinds a CRM scenario uses (customer fields, CPM classes, order
/// quantifiers); none population-relative (`rfm.*` makes every report evaluate everyone).
const RULES: [&str; 20] = [
    "orders >= 2",
    "orders >= 3",
    "orders = 1",
    "net >= 10000",
    "net >= 50000",
    "gross >= 100000",
    "dormant = true",
    "days_since_last_order > 30",
    "days_since_last_order > 60",
    "days_since_last_order > 90",
    "days_since_first_order <= 30",
    "tenure_days >= 90",
    "aov >= 5000",
    "cancelled_orders >= 1",
    "refunds > 0",
    "subscription_orders >= 1",
    r#"cpm.class = "first_timer_active""#,
    r#"cpm.class = "excellent_active""#,
    "any order (amount >= 20000)",
    r#"any order (kind = "subscription")"#,
];

struct Clock(Instant, f64);
impl Clock {
    fn start() -> Self {
        Self(Instant::now(), thread_cpu_seconds())
    }
    fn stop(self) -> (f64, f64) {
        (
            self.0.elapsed().as_secs_f64(),
            thread_cpu_seconds() - self.1,
        )
    }
}

/// splitmix64.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

struct Orders {
    order_ids: StrColumn,
    customer_ids: StrColumn,
    placed_at: Vec<i64>,
    amount: Vec<i64>,
    kind: Vec<OrderKind>,
}

/// `n` orders in time order over `customers` customers (every customer at least once, then
/// random ones), from `start` (Unix seconds) over `days` days.
fn orders(first: u64, n: u64, customers: u64, start: i64, days: i64) -> Orders {
    let mut o = Orders {
        order_ids: StrColumn::new(),
        customer_ids: StrColumn::new(),
        placed_at: Vec::with_capacity(n as usize),
        amount: Vec::with_capacity(n as usize),
        kind: Vec::with_capacity(n as usize),
    };
    let mut buf = String::new();
    for k in 0..n {
        let i = first + k;
        let c = if i < customers { i } else { mix(i) % customers };
        buf.clear();
        std::fmt::write(&mut buf, format_args!("O{i:010}")).unwrap_or_default();
        o.order_ids.push(&buf);
        buf.clear();
        std::fmt::write(&mut buf, format_args!("C{c:08}")).unwrap_or_default();
        o.customer_ids.push(&buf);
        o.placed_at
            .push(start + (k as i64) * days * 86_400 / n as i64);
        o.amount.push(1_000 + (mix(i ^ 7) % 30_000) as i64);
        o.kind.push(if mix(i ^ 3).is_multiple_of(10) {
            OrderKind::Subscription
        } else {
            OrderKind::OneOff
        });
    }
    o
}

fn ingest(book: &mut Book, o: &Orders) -> Result<(), kokyaku::Error> {
    for i in 0..o.placed_at.len() {
        book.ingest_order(OrderRef {
            order_id: o.order_ids.get(i),
            customer_id: o.customer_ids.get(i),
            placed_at: o.placed_at[i],
            amount: Decimal::new(o.amount[i], 0),
            currency: "JPY",
            kind: o.kind[i],
            status: OrderStatus::Completed,
            subscription_id: None,
        })?;
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>());
    let customers = args.next().transpose()?.unwrap_or(3_000_000);
    let n = args.next().transpose()?.unwrap_or(3_600_000).max(customers);
    let day = args.next().transpose()?.unwrap_or(100_000);
    let start = 1_640_995_200; // 2022-01-01
    let history = orders(0, n, customers, start, 730);
    let next_day = orders(n, day, customers, start + 730 * 86_400, 1);

    let mut book = Book::new(BookOptions {
        timezone: "Asia/Tokyo".into(),
        ..BookOptions::default()
    })?;
    let rules: Vec<(String, RuleSource)> = RULES
        .iter()
        .enumerate()
        .map(|(k, r)| (format!("s{k:02}"), RuleSource::Text((*r).to_owned())))
        .collect();
    book.set_segments(&rules)?;
    book.set_program(Some(JP_EC_RANK_PROGRAM))?;

    let t = Clock::start();
    ingest(&mut book, &history)?;
    let (ingest_wall, ingest_cpu) = t.stop();

    let t = Clock::start();
    let first = book.changes()?;
    let (first_wall, first_cpu) = t.stop();

    let t = Clock::start();
    ingest(&mut book, &next_day)?;
    let (day_wall, day_cpu) = t.stop();
    let t = Clock::start();
    let day_report = book.changes()?;
    let (day_rep_wall, day_rep_cpu) = t.stop();
    let stage_changes = |r: &kokyaku::book::ChangeReport| {
        r.changes
            .iter()
            .filter(|c| {
                matches!(
                    c.kind,
                    kokyaku::book::ChangeKind::StageUp
                        | kokyaku::book::ChangeKind::StageDown
                        | kokyaku::book::ChangeKind::PointsExpired
                )
            })
            .count()
    };

    let t = Clock::start();
    let bytes = book.snapshot();
    let (snap_wall, snap_cpu) = t.stop();
    let t = Clock::start();
    let restored = Book::restore(&bytes)?;
    let (restore_wall, restore_cpu) = t.stop();
    assert_eq!(restored.n_customers(), book.n_customers());

    let rate = |orders: u64, secs: f64| (orders as f64 / secs).round();
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "customers": book.n_customers(),
            "orders": book.n_orders(),
            "segments": rules.len(),
            "loyalty_programme": "jp_ec_rank (rolling 365 days, monthly review, points)",
            "ingest_history": {"orders": n, "wall_s": ingest_wall, "cpu_s": ingest_cpu,
                "orders_per_s_wall": rate(n, ingest_wall), "orders_per_s_cpu": rate(n, ingest_cpu)},
            "first_report_all_customers": {"wall_s": first_wall, "cpu_s": first_cpu, "changes": first.changes.len(),
                "loyalty_changes": stage_changes(&first)},
            "next_day": {"orders": day, "ingest_wall_s": day_wall, "ingest_cpu_s": day_cpu,
                "report_wall_s": day_rep_wall, "report_cpu_s": day_rep_cpu, "changes": day_report.changes.len(),
                "loyalty_changes": stage_changes(&day_report),
                "orders_per_s_cpu_with_report": rate(day, day_cpu + day_rep_cpu)},
            "snapshot": {"bytes": bytes.len(), "write_wall_s": snap_wall, "write_cpu_s": snap_cpu,
                "restore_wall_s": restore_wall, "restore_cpu_s": restore_cpu},
        }))?
    );
    Ok(())
}
