//! Book snapshots: the round trip keeps everything (pending changes, held events, events after
//! the date), every kind of bad snapshot is a typed error (never a panic), and the snapshot of
//! each released format version still loads (`tests/fixtures/book/snapshot_v<N>.bin`).

use std::path::PathBuf;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use kokyaku::book::{
    Book, BookOptions, CancellationEvent, Event, RefundEvent, SNAPSHOT_MAGIC, SubscriptionEvent,
};
use kokyaku::model::{Customer, Order, OrderKind, OrderStatus, SubscriptionStatus};
use kokyaku::segment::RuleSource;
use rust_decimal::Decimal;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn order(id: &str, c: &str, at: &str, amount: &str) -> Event {
    Event::Order(Order {
        order_id: id.into(),
        customer_id: c.into(),
        placed_at: t(at),
        amount: Decimal::from_str(amount).unwrap(),
        currency: "JPY".into(),
        kind: OrderKind::OneOff,
        subscription_id: None,
        status: OrderStatus::Completed,
        lines: Vec::new(),
    })
}

/// The book of the v1 fixture: a little of everything, some of it still pending.
fn sample() -> Book {
    let mut b = Book::new(BookOptions {
        timezone: "Asia/Tokyo".into(),
        as_of: Some(NaiveDate::from_ymd_opt(2024, 3, 31).unwrap()),
        ..BookOptions::default()
    })
    .unwrap();
    let mut attrs = std::collections::BTreeMap::new();
    attrs.insert("channel".to_owned(), "line".to_owned());
    b.ingest(&[
        order("A-1", "C001", "2024-01-05T10:00:00+09:00", "5000"),
        order("A-2", "C001", "2024-03-01T23:30:00+09:00", "3000.5"),
        order("A-3", "C002", "2024-02-10T09:00:00+09:00", "12000"),
        // After the book's date: waits for advance().
        order("A-4", "C003", "2024-04-10T09:00:00+09:00", "800"),
        Event::Refund(RefundEvent {
            refund_id: Some("R-1".into()),
            customer_id: None,
            order_id: Some("A-3".into()),
            refunded_at: t("2024-02-12T12:00:00+09:00"),
            amount: Decimal::from(2000),
        }),
        // Held: the order is not known yet.
        Event::Refund(RefundEvent {
            refund_id: Some("R-2".into()),
            customer_id: None,
            order_id: Some("A-9".into()),
            refunded_at: t("2024-03-02T12:00:00+09:00"),
            amount: Decimal::from(100),
        }),
        Event::Cancellation(CancellationEvent {
            order_id: "A-8".into(),
            cancelled_at: None,
        }),
        Event::Subscription(SubscriptionEvent {
            id: "S-1".into(),
            customer_id: "C002".into(),
            started_at: t("2024-02-10T09:00:00+09:00"),
            cycles: 2,
            status: SubscriptionStatus::Active,
            cancelled_at: None,
            updated_at: None,
        }),
        Event::Customer(Customer {
            id: "C004".into(),
            birth_date: NaiveDate::from_ymd_opt(1990, 5, 1),
            signed_up_at: Some(t("2024-01-01T00:00:00+09:00")),
            attributes: attrs,
        }),
    ])
    .unwrap();
    b
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/book")
        .join(name)
}

/// CRC-32 (IEEE), bit by bit: an independent check of the reader's table-driven one.
fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

fn reseal(bytes: &mut [u8]) {
    let crc = crc32(&bytes[24..]);
    bytes[20..24].copy_from_slice(&crc.to_le_bytes());
}

fn code(bytes: &[u8]) -> String {
    Book::restore(bytes).unwrap_err().code().to_owned()
}

#[test]
fn round_trip_keeps_everything() {
    let mut a = sample();
    let bytes = a.snapshot();
    assert_eq!(&bytes[..8], SNAPSHOT_MAGIC);
    assert_eq!(
        crc32(&bytes[24..]),
        u32::from_le_bytes(bytes[20..24].try_into().unwrap())
    );
    let mut b = Book::restore(&bytes).unwrap();
    assert_eq!(
        b.snapshot(),
        bytes,
        "restore then snapshot gives the same bytes"
    );
    let rec = |x: &Book| serde_json::to_value(x.summaries().records()).unwrap();
    assert_eq!(rec(&a), rec(&b));
    assert_eq!(a.n_held(), 2);
    assert_eq!(b.n_held(), 2);
    assert_eq!(b.customer_info("C004"), a.customer_info("C004"));
    // Pending changes survive, and what follows goes the same way in both.
    assert_eq!(a.changes().unwrap(), b.changes().unwrap());
    let more = [
        order("A-9", "C003", "2024-03-05T10:00:00+09:00", "400"),
        order("A-8", "C001", "2024-03-06T10:00:00+09:00", "999"),
    ];
    a.ingest(&more).unwrap();
    b.ingest(&more).unwrap();
    let d = NaiveDate::from_ymd_opt(2024, 9, 1).unwrap();
    a.advance(d).unwrap();
    b.advance(d).unwrap();
    assert_eq!(a.changes().unwrap(), b.changes().unwrap());
    assert_eq!(rec(&a), rec(&b));
    assert_eq!(a.n_held(), 0);
    assert_eq!(a.snapshot(), b.snapshot());
}

#[test]
fn bad_snapshots_are_typed_errors() {
    let good = sample().snapshot();
    assert_eq!(code(&[]), "snapshot_truncated");
    assert_eq!(code(b"KOKY"), "snapshot_truncated");
    assert_eq!(code(&good[..20]), "snapshot_truncated");
    assert_eq!(code(&good[..good.len() - 1]), "snapshot_truncated");
    assert_eq!(
        code(b"PK\x03\x04 a zip file, not a snapshot"),
        "snapshot_foreign"
    );
    assert_eq!(code(b"{}"), "snapshot_foreign");
    let next = kokyaku::book::SNAPSHOT_VERSION + 1;
    let mut newer = good.clone();
    newer[8..10].copy_from_slice(&next.to_le_bytes());
    assert_eq!(code(&newer), "snapshot_version");
    let e = Book::restore(&newer).unwrap_err().to_string();
    assert!(
        e.contains(&format!("version {next}")) && e.contains("upgrade"),
        "{e}"
    );
    let mut v0 = good.clone();
    v0[8..10].copy_from_slice(&0u16.to_le_bytes());
    assert_eq!(code(&v0), "snapshot_version");
    let mut flipped = good.clone();
    let k = good.len() / 2;
    flipped[k] ^= 0x40;
    assert_eq!(code(&flipped), "snapshot_corrupt");
    let mut longer = good.clone();
    longer.push(0);
    assert_eq!(code(&longer), "snapshot_corrupt");
    let mut flags = good.clone();
    flags[10] = 1;
    assert_eq!(code(&flags), "snapshot_corrupt");
    // A correct checksum over a damaged payload: caught by decoding or by the checks after.
    let mut garbage = good[..24].to_vec();
    garbage.extend(std::iter::repeat_n(0xFF, 64));
    garbage[12..20].copy_from_slice(&64u64.to_le_bytes());
    reseal(&mut garbage);
    assert_eq!(code(&garbage), "snapshot_corrupt");
}

#[test]
fn every_single_byte_change_with_a_fixed_checksum_is_handled() {
    // No panic, whatever byte of the payload changes (the checksum made to match): either a
    // typed error or a book whose summaries can be computed (the v5 sample: every part of the
    // record, loyalty and its events included).
    let good = sample_v5().snapshot();
    for k in 24..good.len() {
        for x in [0x01u8, 0x80, 0xFF] {
            let mut b = good.clone();
            b[k] ^= x;
            reseal(&mut b);
            match Book::restore(&b) {
                Ok(mut book) => {
                    let _ = book.summaries();
                    let _ = book.stages(true);
                    let _ = book.changes();
                    let _ = book.snapshot();
                }
                Err(e) => assert!(e.code().starts_with("snapshot_"), "{e}"),
            }
        }
    }
}

#[test]
fn released_versions_load() {
    // Written by the version-1 writer (commit 66dfd71) from `sample()`; frozen since.
    let path = fixture("snapshot_v1.bin");
    let bytes = std::fs::read(&path).expect("tests/fixtures/book/snapshot_v1.bin");
    assert_eq!(
        u16::from_le_bytes([bytes[8], bytes[9]]),
        1,
        "the v1 fixture stays v1"
    );
    let mut b = Book::restore(&bytes).unwrap();
    // The facts of the v1 sample, by hand: the date, C001's two orders (5000 + 3000.5), C002's
    // order net of its 2000 refund, C003's order still after the date, one held refund and one
    // held cancellation, C004 from a customer record.
    assert_eq!(b.as_of(), NaiveDate::from_ymd_opt(2024, 3, 31).unwrap());
    assert_eq!(b.n_customers(), 4);
    assert_eq!(b.n_held(), 2);
    let c1 = b.summary("C001").unwrap();
    assert_eq!((c1.orders, c1.gross.to_string().as_str()), (2, "8000.5"));
    assert_eq!(c1.first_order, NaiveDate::from_ymd_opt(2024, 1, 5));
    assert_eq!(c1.recency_days, Some(30));
    let c2 = b.summary("C002").unwrap();
    assert_eq!(c2.net, Decimal::from(10_000));
    assert_eq!(c2.subscription.as_str(), "active");
    assert_eq!(b.summary("C003").unwrap().orders, 0);
    assert_eq!(
        b.customer_info("C004").unwrap().attributes["channel"],
        "line"
    );
    // The changes pending when it was written: C001, C002 and C003/C004 were touched.
    let rep = b.changes().unwrap();
    let ids: Vec<&str> = rep.changes.iter().map(|c| &*c.customer_id).collect();
    assert_eq!(ids, ["C001", "C002", "C002"]);
    b.advance(NaiveDate::from_ymd_opt(2024, 4, 30).unwrap())
        .unwrap();
    assert_eq!(b.summary("C003").unwrap().orders, 1);
}

/// The v2 sample: the v1 sample with two segments, reported once.
fn sample_v2() -> Book {
    let mut b = sample();
    b.set_segments(&[
        (
            "repeaters".to_owned(),
            RuleSource::Text("orders >= 2".into()),
        ),
        (
            "line_members".to_owned(),
            RuleSource::Text(r#"attr.channel = "line""#.into()),
        ),
    ])
    .unwrap();
    b.changes().unwrap();
    b
}

#[test]
fn released_version_2_loads() {
    // Written by the version-2 writer (commit 3646102) from `sample_v2()`; frozen since.
    check_v2_sample("snapshot_v2.bin", 2);
}

#[test]
fn released_version_3_loads() {
    // Written by the version-3 writer from `sample_v2()`; frozen since (orders get local
    // midnight as their time, refunds no order links: nothing of loyalty was kept then).
    check_v2_sample("snapshot_v3.bin", 3);
}

const PROGRAM_V4: &str = r#"{"stages": [{"id": "regular"}, {"id": "gold", "spend": 8000}],
    "window": {"kind": "calendar_year"}, "review": "month", "points": {"per": 100}}"#;

/// The v4 sample: the v2 sample with a loyalty programme, a refund naming its customer and an
/// order not seen yet (a pending link), reported once.
fn sample_v4() -> Book {
    let mut b = sample_v2();
    b.set_program(Some(PROGRAM_V4)).unwrap();
    b.ingest(&[Event::Refund(RefundEvent {
        refund_id: Some("R-3".into()),
        customer_id: Some("C001".into()),
        order_id: Some("A-10".into()),
        refunded_at: t("2024-03-20T12:00:00+09:00"),
        amount: Decimal::from(1000),
    })])
    .unwrap();
    b.changes().unwrap();
    b
}

#[test]
fn released_version_4_loads() {
    let path = fixture("snapshot_v4.bin");
    if std::env::var_os("KOKYAKU_WRITE_BOOK_FIXTURE").is_some() {
        std::fs::write(&path, sample_v4().snapshot()).unwrap();
    }
    let bytes = std::fs::read(&path).expect("tests/fixtures/book/snapshot_v4.bin");
    assert_eq!(u16::from_le_bytes([bytes[8], bytes[9]]), 4);
    let mut b = Book::restore(&bytes).unwrap();
    assert_eq!(b.program_json(), Some(PROGRAM_V4));
    assert_eq!(b.segment_members("repeaters").unwrap(), ["C001"]);
    assert!(b.changes().unwrap().changes.is_empty());
    let row = |b: &Book, id: &str| {
        let st = b.stages(false).unwrap().unwrap();
        let i = (0..st.len())
            .find(|&i| st.customer_id.get(i) == id)
            .unwrap();
        (
            st.stage_id(i).to_owned(),
            st.stage_since[i].map(kokyaku::model::day_to_date),
            st.points_balance[i],
            st.points_reversed[i],
        )
    };
    let d = |s: &str| NaiveDate::from_str(s).ok();
    // By hand: C001 5000 (Jan 5) + 3000.5 (Mar 1, 23:30 Tokyo) = 8000.5 >= 8000: gold on
    // Mar 1; points 50 + 30. C002 12000 on Feb 10: gold; R-1 takes 2000 back on Feb 12,
    // 10000 left: 120 - 100 = 20 points reversed. C003's order is after the date.
    assert_eq!(row(&b, "C001"), ("gold".into(), d("2024-03-01"), 80, 0));
    assert_eq!(row(&b, "C002"), ("gold".into(), d("2024-02-10"), 100, 20));
    assert_eq!(row(&b, "C003").0, "regular");
    // A-10 arrives: R-3 (pending) links to it: 1500 on Mar 15 earns 15, the 1000 refunded on
    // Mar 20 leaves 500 = 5 points: 10 reversed.
    b.ingest(&[order("A-10", "C001", "2024-03-15T09:00:00+09:00", "1500")])
        .unwrap();
    assert_eq!(row(&b, "C001"), ("gold".into(), d("2024-03-01"), 85, 10));
    // 2025: the window restarts; the January review (monthly) finds nothing: regular from
    // 1 February, by the passing of time.
    b.changes().unwrap();
    b.advance(NaiveDate::from_ymd_opt(2025, 2, 1).unwrap())
        .unwrap();
    let rep = b.changes().unwrap();
    let downs: Vec<(&str, Option<&str>, &str)> = rep
        .changes
        .iter()
        .filter(|c| c.kind == kokyaku::book::ChangeKind::StageDown)
        .map(|c| (&*c.customer_id, c.to.as_deref(), c.trigger.event.as_str()))
        .collect();
    assert_eq!(
        downs,
        [
            ("C001", Some("regular"), "advance"),
            ("C002", Some("regular"), "advance")
        ]
    );
}

/// The v5 sample: the v4 sample with a redemption (with an id) and an invitation, reported.
fn sample_v5() -> Book {
    let mut b = sample_v4();
    b.ingest(&[
        Event::Redemption(kokyaku::book::RedemptionEvent {
            redemption_id: Some("RD-1".into()),
            customer_id: "C002".into(),
            redeemed_at: t("2024-03-01T10:00:00+09:00"),
            points: 30,
        }),
        Event::Invitation(kokyaku::book::InvitationEvent {
            invitation_id: Some("INV-1".into()),
            customer_id: "C003".into(),
            invited_at: t("2024-03-05T10:00:00+09:00"),
            stage: "gold".into(),
        }),
    ])
    .unwrap();
    b.changes().unwrap();
    b
}

#[test]
fn released_version_5_loads() {
    let path = fixture("snapshot_v5.bin");
    if std::env::var_os("KOKYAKU_WRITE_BOOK_FIXTURE").is_some() {
        std::fs::write(&path, sample_v5().snapshot()).unwrap();
    }
    let bytes = std::fs::read(&path).expect("tests/fixtures/book/snapshot_v5.bin");
    assert_eq!(u16::from_le_bytes([bytes[8], bytes[9]]), 5);
    let mut b = Book::restore(&bytes).unwrap();
    assert!(b.changes().unwrap().changes.is_empty());
    let st = b.stages(false).unwrap().unwrap();
    let i = |id: &str| {
        (0..st.len())
            .find(|&i| st.customer_id.get(i) == id)
            .unwrap()
    };
    // By hand (the v4 figures above): C002 held 100 points; RD-1 spends 30: 70 left.
    let c2 = i("C002");
    assert_eq!((st.points_balance[c2], st.points_redeemed[c2]), (70, 30));
    // C003 (no order by the date) is gold from the invitation's day.
    let c3 = i("C003");
    assert_eq!(st.stage_id(c3), "gold");
    assert_eq!(
        st.stage_since[c3].map(kokyaku::model::day_to_date),
        NaiveDate::from_ymd_opt(2024, 3, 5)
    );
    // The redemption id is kept: a repeat changes nothing.
    let n = b
        .ingest(&[Event::Redemption(kokyaku::book::RedemptionEvent {
            redemption_id: Some("RD-1".into()),
            customer_id: "C002".into(),
            redeemed_at: t("2024-03-01T10:00:00+09:00"),
            points: 30,
        })])
        .unwrap();
    assert_eq!(n.duplicates, 1);
}

fn check_v2_sample(name: &str, version: u16) {
    let bytes = std::fs::read(fixture(name)).expect("a snapshot fixture");
    assert_eq!(u16::from_le_bytes([bytes[8], bytes[9]]), version);
    let mut b = Book::restore(&bytes).unwrap();
    // By hand: C001 has two orders; C004's record says channel line.
    assert_eq!(b.segment_members("repeaters").unwrap(), ["C001"]);
    assert_eq!(b.segment_members("line_members").unwrap(), ["C004"]);
    assert!(b.changes().unwrap().changes.is_empty());
    b.advance(NaiveDate::from_ymd_opt(2024, 4, 30).unwrap())
        .unwrap();
    b.ingest(&[order("A-10", "C003", "2024-04-20T09:00:00+09:00", "100")])
        .unwrap();
    let rep = b.changes().unwrap();
    assert!(
        rep.changes
            .iter()
            .any(|c| &*c.customer_id == "C003" && c.segment.as_deref() == Some("repeaters"))
    );
}
