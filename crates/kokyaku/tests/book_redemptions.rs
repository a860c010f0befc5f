//! Redemptions and invitations as book events: refused at ingest when they cannot apply, kept
//! by snapshots, and checked against a programme set later.

use chrono::{DateTime, NaiveDate, Utc};
use kokyaku::book::{Book, BookOptions, Event, InvitationEvent, RedemptionEvent};
use kokyaku::loyalty::Card;
use kokyaku::model::{Order, OrderKind, OrderStatus};
use rust_decimal::Decimal;

const PROGRAM: &str = r#"{"stages": [{"id": "regular"}, {"id": "vip", "invitation_only": true}],
    "window": {"kind": "calendar_year"}, "points": {"per": 100}}"#;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn book() -> Book {
    let mut b = Book::new(BookOptions {
        timezone: "Asia/Tokyo".into(),
        as_of: NaiveDate::from_ymd_opt(2024, 1, 31),
        ..BookOptions::default()
    })
    .unwrap();
    b.set_program(Some(PROGRAM)).unwrap();
    let order = Event::Order(Order {
        order_id: "O1".into(),
        customer_id: "C1".into(),
        placed_at: at("2024-01-05T10:00:00+09:00"),
        amount: Decimal::from(5000),
        currency: "JPY".into(),
        kind: OrderKind::OneOff,
        subscription_id: None,
        status: OrderStatus::Completed,
        lines: Vec::new(),
    });
    b.ingest(&[order]).unwrap();
    b
}

/// One customer's loyalty card as of the book's date.
fn card(b: &Book, id: &str) -> Option<Card> {
    let s = b.stages(false).unwrap()?;
    let i = (0..s.len()).find(|&i| s.customer_id.get(i) == id)?;
    Some(kokyaku::loyalty::card(&s, i))
}

fn redeem(id: &str, customer: &str, when: &str, points: i64) -> Event {
    Event::Redemption(RedemptionEvent {
        redemption_id: Some(id.into()),
        customer_id: customer.into(),
        redeemed_at: at(when),
        points,
    })
}

#[test]
fn a_redemption_beyond_the_balance_is_refused_and_changes_nothing() {
    let mut b = book();
    // 5000 JPY: 50 points. 51 is one too many under the default `error` policy.
    let e = b
        .ingest(&[redeem("R1", "C1", "2024-01-06T10:00:00+09:00", 51)])
        .unwrap_err();
    assert_eq!(e.code(), "points_shortfall", "{e}");
    assert!(e.to_string().contains("C1"), "{e}");
    // A redemption on the day before the order: nothing was held yet.
    let e = b
        .ingest(&[redeem("R0", "C1", "2024-01-04T10:00:00+09:00", 1)])
        .unwrap_err();
    assert_eq!(e.code(), "points_shortfall", "{e}");
    // A customer the book has never seen holds nothing.
    let e = b
        .ingest(&[redeem("R9", "C9", "2024-01-06T10:00:00+09:00", 1)])
        .unwrap_err();
    assert_eq!(e.code(), "points_shortfall", "{e}");
    assert!(card(&b, "C9").is_none());
    // The whole balance is fine; then nothing is left.
    b.ingest(&[redeem("R1", "C1", "2024-01-06T10:00:00+09:00", 50)])
        .unwrap();
    let card = card(&b, "C1").unwrap();
    assert_eq!(card.points_balance, Some(0));
    let e = b
        .ingest(&[redeem("R2", "C1", "2024-01-07T10:00:00+09:00", 1)])
        .unwrap_err();
    assert_eq!(e.code(), "points_shortfall");
    // Zero or negative points are an invalid value naming the column.
    let e = b
        .ingest(&[redeem("R3", "C1", "2024-01-07T10:00:00+09:00", 0)])
        .unwrap_err();
    assert_eq!(e.code(), "invalid_value");
    assert!(e.to_string().contains("points"), "{e}");
}

#[test]
fn invitations_name_a_stage_of_the_programme() {
    let mut b = book();
    let inv = |stage: &str| {
        Event::Invitation(InvitationEvent {
            invitation_id: None,
            customer_id: "C1".into(),
            invited_at: at("2024-01-10T10:00:00+09:00"),
            stage: stage.into(),
        })
    };
    let e = b.ingest(&[inv("gold")]).unwrap_err();
    assert_eq!(e.code(), "invalid_value");
    assert!(
        e.to_string().contains("gold") && e.to_string().contains("vip"),
        "{e}"
    );
    b.ingest(&[inv("vip")]).unwrap();
    assert_eq!(card(&b, "C1").unwrap().stage, "vip");
    // A programme without that stage is refused while the book holds the invitation.
    let other = r#"{"stages": [{"id": "regular"}, {"id": "gold", "spend": 100}],
        "window": {"kind": "calendar_year"}, "points": {"per": 100}}"#;
    let e = b.set_program(Some(other)).unwrap_err();
    assert_eq!(e.code(), "invalid_program");
    assert!(
        e.to_string().contains("vip") && e.to_string().contains("C1"),
        "{e}"
    );
    assert_eq!(b.program().unwrap().stages[1].id, "vip");
}

#[test]
fn snapshots_keep_redemptions_invitations_and_their_ids() {
    let mut b = book();
    b.ingest(&[
        redeem("R1", "C1", "2024-01-06T10:00:00+09:00", 20),
        Event::Invitation(InvitationEvent {
            invitation_id: Some("I1".into()),
            customer_id: "C1".into(),
            invited_at: at("2024-01-10T10:00:00+09:00"),
            stage: "vip".into(),
        }),
    ])
    .unwrap();
    let restored = Book::restore(&b.snapshot()).unwrap();
    assert_eq!(restored.snapshot(), b.snapshot());
    let mut r = restored;
    let card = card(&r, "C1").unwrap();
    assert_eq!(
        (card.stage.as_str(), card.points_balance),
        ("vip", Some(30))
    );
    // The ids survive: a repeat is still a repeat.
    let n = r
        .ingest(&[redeem("R1", "C1", "2024-01-06T10:00:00+09:00", 20)])
        .unwrap();
    assert_eq!((n.applied, n.duplicates), (0, 1));
    // The report names the invitation as the trigger of the stage change.
    let rep = r.changes().unwrap();
    let up = rep
        .changes
        .iter()
        .find(|c| c.kind.as_str() == "stage_up")
        .unwrap();
    assert_eq!(up.trigger.event.as_str(), "invitation");
    assert_eq!(up.trigger.id.as_deref(), Some("I1"));
}
