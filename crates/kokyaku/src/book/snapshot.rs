//! Snapshots: the whole book as bytes, and back.
//!
//! Layout (all integers little-endian; see `docs/book.md`):
//!
//! | bytes | field |
//! |---|---|
//! | 0..8 | magic `KOKYBOOK` |
//! | 8..10 | format version (`u16`, this build writes [`SNAPSHOT_VERSION`]) |
//! | 10..12 | flags (`u16`, 0) |
//! | 12..20 | payload length in bytes (`u64`) |
//! | 20..24 | CRC-32 (IEEE) of the payload (`u32`) |
//! | 24.. | payload: the version's record, encoded with `postcard` |
//!
//! A reader checks, in this order: length of the header (truncated), magic (foreign), version
//! (future or unknown), flags and payload length (truncated / corrupt), checksum (corrupt), the
//! decoding, then every index and day in the record (corrupt). Nothing in a snapshot can make
//! it panic (a fuzz target, `fuzz/fuzz_targets/book_snapshot.rs`, keeps it so).

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::loyalty::midnight;
use super::{
    Book, BookOptions, COUNTED, Cust, CustomerInfo, HeldRefund, NO_DAY, NONE, SubRow, T_CANCEL,
    T_CUSTOMER, T_INVITATION, T_ORDER, T_REDEMPTION, T_REFUND, T_SUB,
};
use crate::cpm::CpmClass;
use crate::model::{CustomerIds, Day, Interner, MoneyColumn, OrderIds, StrColumn};
use crate::{Error, Result};

/// The first eight bytes of every snapshot.
pub const SNAPSHOT_MAGIC: &[u8; 8] = b"KOKYBOOK";
/// The format version this build writes (and the newest it reads).
pub const SNAPSHOT_VERSION: u16 = 5;
const HEADER: usize = 24;
/// Days beyond this distance from 1970 are not dates a book can hold (chrono's range is
/// about ±95M days); a snapshot with such a day is corrupt.
const MAX_ABS_DAY: Day = 100_000_000;

/// Why a snapshot was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotProblem {
    /// Shorter than its header says (cut off while copying or writing).
    Truncated,
    /// The checksum, the encoding or the content does not hold together.
    Corrupt,
    /// Not a book snapshot (another file).
    Foreign,
    /// Written by a newer kokyaku (or an unknown version).
    UnsupportedVersion,
}

impl SnapshotProblem {
    /// The error code of this problem.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Truncated => "snapshot_truncated",
            Self::Corrupt => "snapshot_corrupt",
            Self::Foreign => "snapshot_foreign",
            Self::UnsupportedVersion => "snapshot_version",
        }
    }
}

impl std::fmt::Display for SnapshotProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Truncated => "truncated",
            Self::Corrupt => "corrupt",
            Self::Foreign => "not a kokyaku book snapshot",
            Self::UnsupportedVersion => "unsupported version",
        })
    }
}

fn bad(problem: SnapshotProblem, detail: impl Into<String>) -> Error {
    Error::Snapshot {
        problem,
        detail: detail.into(),
    }
}

fn corrupt(detail: impl Into<String>) -> Error {
    bad(SnapshotProblem::Corrupt, detail)
}

/// Strings as one text and their end offsets.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Strings {
    text: String,
    ends: Vec<u32>,
}

impl Strings {
    fn of(col: &StrColumn) -> Self {
        let mut s = Strings::default();
        s.ends.reserve(col.len());
        for i in 0..col.len() {
            s.text.push_str(col.get(i));
            s.ends.push(s.text.len() as u32);
        }
        s
    }
    fn each(&self, what: &str, mut f: impl FnMut(&str) -> Result<()>) -> Result<()> {
        let mut a = 0usize;
        for &e in &self.ends {
            let s = self
                .text
                .get(a..e as usize)
                .ok_or_else(|| corrupt(format!("{what}: bad string offsets")))?;
            f(s)?;
            a = e as usize;
        }
        if a != self.text.len() {
            return Err(corrupt(format!("{what}: text past the last string")));
        }
        Ok(())
    }
}

/// The book options as versions 1 and 2 stored them (frozen: the core's option structs may
/// grow, a stored layout may not).
#[derive(Debug, Serialize, Deserialize)]
struct OptionsV1 {
    timezone: String,
    as_of: Option<chrono::NaiveDate>,
    dormant_days: u32,
    subscription_lapse_days: u32,
    cpm: CpmV1,
}

/// The CPM options as versions 1 and 2 stored them.
#[derive(Debug, Serialize, Deserialize)]
struct CpmV1 {
    fledgling_tenure_days: u32,
    excellent_tenure_days: u32,
    spend_threshold: f64,
    churn_days: u32,
    spend_inclusive: bool,
    tenure_inclusive: bool,
    churn_inclusive: bool,
    names: BTreeMap<String, String>,
}

impl OptionsV1 {
    fn of(o: &BookOptions) -> Self {
        let c = &o.cpm;
        Self {
            timezone: o.timezone.clone(),
            as_of: o.as_of,
            dormant_days: o.dormant_days,
            subscription_lapse_days: o.subscription_lapse_days,
            cpm: CpmV1 {
                fledgling_tenure_days: c.fledgling_tenure_days,
                excellent_tenure_days: c.excellent_tenure_days,
                spend_threshold: c.spend_threshold,
                churn_days: c.churn_days,
                spend_inclusive: c.spend_inclusive,
                tenure_inclusive: c.tenure_inclusive,
                churn_inclusive: c.churn_inclusive,
                names: c.names.clone(),
            },
        }
    }
    /// The options, with the defaults of fields added since (what the writer used).
    fn into_options(self) -> BookOptions {
        let c = self.cpm;
        BookOptions {
            timezone: self.timezone,
            as_of: self.as_of,
            dormant_days: self.dormant_days,
            subscription_lapse_days: self.subscription_lapse_days,
            cpm: crate::cpm::CpmOptions {
                fledgling_tenure_days: c.fledgling_tenure_days,
                excellent_tenure_days: c.excellent_tenure_days,
                spend_threshold: c.spend_threshold,
                churn_days: c.churn_days,
                spend_inclusive: c.spend_inclusive,
                tenure_inclusive: c.tenure_inclusive,
                churn_inclusive: c.churn_inclusive,
                names: c.names,
                ..crate::cpm::CpmOptions::default()
            },
        }
    }
}

/// The version-5 record: version 4 followed by the loyalty events (redemptions, invitations).
#[derive(Debug, Serialize, Deserialize)]
struct PayloadV5 {
    v4: PayloadV4,
    events: EventsV5,
}

/// The loyalty events of version 5, in arrival order.
#[derive(Debug, Default, Serialize, Deserialize)]
struct EventsV5 {
    redemption_ids: Strings,
    /// Customer, local day, points, id index (`u32::MAX`: none).
    redemptions: Vec<(u32, Day, i64, u32)>,
    invitation_ids: Strings,
    /// Customer, local day, stage id, id index (`u32::MAX`: none).
    invitations: Vec<(u32, Day, String, u32)>,
}

/// The version-4 record: version 3 followed by what the loyalty programme needs.
#[derive(Debug, Serialize, Deserialize)]
struct PayloadV4 {
    v3: PayloadV3,
    loyalty: LoyaltyV4,
}

/// The loyalty part of version 4.
#[derive(Debug, Serialize, Deserialize)]
struct LoyaltyV4 {
    /// Placement time of each order (Unix seconds).
    o_time: Vec<i64>,
    /// The order each refund names (`u32::MAX`: none or not seen yet).
    r_order: Vec<u32>,
    /// Refunds waiting for the order they name: order id, refund indices.
    pending_links: Vec<(String, Vec<u32>)>,
    /// The programme's JSON, if one is set.
    program: Option<String>,
    /// Per customer, the stage last reported.
    stage: Vec<u16>,
    /// Per customer, the points expired as last reported.
    expired: Vec<i64>,
}

/// The version-3 record: version 2 followed by the whole options as JSON (self-describing, so
/// options added later read with their defaults).
#[derive(Debug, Serialize, Deserialize)]
struct PayloadV3 {
    v2: PayloadV2,
    options_json: String,
}

/// The version-2 record: version 1 followed by the segments and their members.
#[derive(Debug, Serialize, Deserialize)]
struct PayloadV2 {
    base: PayloadV1,
    /// Segment names and the canonical text of their rules.
    segments: Vec<(String, String)>,
    /// Per customer, the segments it was last reported in.
    members: Vec<u64>,
}

/// The version-1 record (version 2 starts with it).
#[derive(Debug, Serialize, Deserialize)]
struct PayloadV1 {
    options: OptionsV1,
    as_of: Day,
    floor: Day,
    follow: bool,
    last_day: Day,
    reported_as_of: Day,
    seq: u64,
    currency: Option<String>,
    customers: Strings,
    c_first: Vec<Day>,
    c_last: Vec<Day>,
    c_last_sub: Vec<Day>,
    c_orders: Vec<u32>,
    c_purchase_days: Vec<u32>,
    c_sub_orders: Vec<u32>,
    c_cancelled: Vec<u32>,
    c_gross: Vec<i64>,
    c_refunded: Vec<i64>,
    c_reported: Vec<u16>,
    c_trig_kind: Vec<u8>,
    c_trig_ref: Vec<u32>,
    dirty: Vec<u32>,
    order_ids: Strings,
    o_customer: Vec<u32>,
    o_day: Vec<Day>,
    o_units: Vec<i64>,
    o_scale: u32,
    o_flags: Vec<u8>,
    refund_ids: Strings,
    r_customer: Vec<u32>,
    r_day: Vec<Day>,
    r_units: Vec<i64>,
    r_scale: u32,
    r_id: Vec<u32>,
    /// Held refunds: order id, refund id, day, amount as decimal text.
    held_refunds: Vec<(String, Option<String>, Day, String)>,
    held_cancels: Vec<String>,
    sub_ids: Strings,
    subs: Vec<SubRow>,
    info: Vec<(u32, CustomerInfo)>,
}

/// CRC-32 (IEEE 802.3, reflected, as zlib's `crc32`).
fn crc32(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[[u32; 256]; 8]> = std::sync::OnceLock::new();
    let t = TABLE.get_or_init(|| {
        let mut t = [[0u32; 256]; 8];
        for i in 0..256u32 {
            let mut c = i;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            t[0][i as usize] = c;
        }
        for i in 0..256 {
            for k in 1..8 {
                let p = t[k - 1][i];
                t[k][i] = (p >> 8) ^ t[0][(p & 0xFF) as usize];
            }
        }
        t
    });
    let mut c = !0u32;
    let mut chunks = data.chunks_exact(8);
    for ch in &mut chunks {
        let lo = u32::from_le_bytes([ch[0], ch[1], ch[2], ch[3]]) ^ c;
        let hi = u32::from_le_bytes([ch[4], ch[5], ch[6], ch[7]]);
        c = t[7][(lo & 0xFF) as usize]
            ^ t[6][((lo >> 8) & 0xFF) as usize]
            ^ t[5][((lo >> 16) & 0xFF) as usize]
            ^ t[4][(lo >> 24) as usize]
            ^ t[3][(hi & 0xFF) as usize]
            ^ t[2][((hi >> 8) & 0xFF) as usize]
            ^ t[1][((hi >> 16) & 0xFF) as usize]
            ^ t[0][(hi >> 24) as usize];
    }
    for &b in chunks.remainder() {
        c = t[0][((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

impl Book {
    /// The whole book as bytes (see the [format](self)): restore it with [`Book::restore`].
    #[must_use]
    pub fn snapshot(&self) -> Vec<u8> {
        let cols = |f: fn(&Cust) -> Day| self.cust.iter().map(f).collect::<Vec<_>>();
        let cnt = |f: fn(&Cust) -> u32| self.cust.iter().map(f).collect::<Vec<_>>();
        let base = PayloadV1 {
            options: OptionsV1::of(&self.opts),
            as_of: self.as_of,
            floor: self.floor,
            follow: self.follow,
            last_day: self.last_day,
            reported_as_of: self.reported_as_of,
            seq: self.seq,
            currency: self.currency.clone(),
            customers: Strings::of(self.customers.values()),
            c_first: cols(|c| c.first),
            c_last: cols(|c| c.last),
            c_last_sub: cols(|c| c.last_sub),
            c_orders: cnt(|c| c.orders),
            c_purchase_days: cnt(|c| c.purchase_days),
            c_sub_orders: cnt(|c| c.sub_orders),
            c_cancelled: cnt(|c| c.cancelled),
            c_gross: self.cust.iter().map(|c| c.gross).collect(),
            c_refunded: self.cust.iter().map(|c| c.refunded).collect(),
            c_reported: self.cust.iter().map(|c| c.reported).collect(),
            c_trig_kind: self.cust.iter().map(|c| c.trig_kind).collect(),
            c_trig_ref: cnt(|c| c.trig_ref),
            dirty: self.dirty.clone(),
            order_ids: Strings::of(self.order_ids.values()),
            o_customer: self.o_customer.clone(),
            o_day: self.o_day.clone(),
            o_units: self.o_amount.units().to_vec(),
            o_scale: self.o_amount.scale(),
            o_flags: self.o_flags.clone(),
            refund_ids: Strings::of(self.refund_ids.values()),
            r_customer: self.r_customer.clone(),
            r_day: self.r_day.clone(),
            r_units: self.r_amount.units().to_vec(),
            r_scale: self.r_amount.scale(),
            r_id: self.r_id.clone(),
            held_refunds: self
                .held_refunds
                .iter()
                .flat_map(|(o, v)| {
                    v.iter()
                        .map(|h| (o.clone(), h.refund_id.clone(), h.day, h.amount.to_string()))
                })
                .collect(),
            held_cancels: self.held_cancels.iter().cloned().collect(),
            sub_ids: Strings::of(self.sub_ids.values()),
            subs: self.subs.clone(),
            info: self.info.iter().map(|(k, v)| (*k, v.clone())).collect(),
        };
        let v2 = PayloadV2 {
            base,
            segments: self.segments(),
            members: self.members.clone(),
        };
        let p4 = PayloadV4 {
            v3: PayloadV3 {
                v2,
                // Serialising plain option structs to JSON cannot fail.
                options_json: serde_json::to_string(&self.opts).unwrap_or_default(),
            },
            loyalty: LoyaltyV4 {
                o_time: self.o_time.clone(),
                r_order: self.r_order.clone(),
                pending_links: self
                    .pending_links
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                program: self.program.as_ref().map(|p| p.text.clone()),
                stage: self.loy_stage.clone(),
                expired: self.loy_expired.clone(),
            },
        };
        let p = PayloadV5 {
            v4: p4,
            events: EventsV5 {
                redemption_ids: Strings::of(self.redemption_ids.values()),
                redemptions: self.redemptions.clone(),
                invitation_ids: Strings::of(self.invitation_ids.values()),
                invitations: self.invitations.clone(),
            },
        };
        // Serialising plain vectors, strings and derived structs into a Vec cannot fail.
        let payload = postcard::to_allocvec(&p).unwrap_or_default();
        let mut out = Vec::with_capacity(HEADER + payload.len());
        out.extend_from_slice(SNAPSHOT_MAGIC);
        out.extend_from_slice(&SNAPSHOT_VERSION.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&crc32(&payload).to_le_bytes());
        out.extend_from_slice(&payload);
        out
    }

    /// A book from a snapshot. Truncated, corrupt, foreign and newer-version snapshots are
    /// [`Error::Snapshot`] errors naming the [`SnapshotProblem`].
    pub fn restore(bytes: &[u8]) -> Result<Book> {
        use SnapshotProblem::{Foreign, Truncated, UnsupportedVersion};
        if bytes.len() < SNAPSHOT_MAGIC.len() {
            return Err(if SNAPSHOT_MAGIC.starts_with(bytes) {
                bad(
                    Truncated,
                    format!("{} bytes, not even the header", bytes.len()),
                )
            } else {
                bad(Foreign, "the file does not start with KOKYBOOK")
            });
        }
        if &bytes[..8] != SNAPSHOT_MAGIC {
            return Err(bad(
                Foreign,
                "the file does not start with KOKYBOOK; pass a file written by Book::snapshot / kokyaku book",
            ));
        }
        if bytes.len() < HEADER {
            return Err(bad(
                Truncated,
                format!("{} bytes, the header alone is {HEADER}", bytes.len()),
            ));
        }
        let u16_at = |k: usize| u16::from_le_bytes([bytes[k], bytes[k + 1]]);
        let version = u16_at(8);
        if version == 0 || version > SNAPSHOT_VERSION {
            return Err(bad(
                UnsupportedVersion,
                format!(
                    "format version {version}; this build reads versions 1 to {SNAPSHOT_VERSION}: upgrade kokyaku"
                ),
            ));
        }
        if u16_at(10) != 0 {
            return Err(corrupt(format!(
                "unknown flags {:#06x} in the header",
                u16_at(10)
            )));
        }
        let mut len8 = [0u8; 8];
        len8.copy_from_slice(&bytes[12..20]);
        let len = u64::from_le_bytes(len8);
        let mut crc4 = [0u8; 4];
        crc4.copy_from_slice(&bytes[20..24]);
        let crc = u32::from_le_bytes(crc4);
        let body = &bytes[HEADER..];
        if (body.len() as u64) < len {
            return Err(bad(
                Truncated,
                format!(
                    "the header announces {len} payload bytes, {} are there",
                    body.len()
                ),
            ));
        }
        if (body.len() as u64) > len {
            return Err(corrupt(format!(
                "{} bytes after the announced {len}-byte payload",
                body.len() as u64 - len
            )));
        }
        if crc32(body) != crc {
            return Err(corrupt(
                "checksum mismatch: the payload was changed or damaged",
            ));
        }
        let decode = |e: postcard::Error| corrupt(format!("payload: {e}"));
        // Each version's record starts with the previous version's: decode the whole record,
        // then build the book from its parts in one way (what an older version lacks takes
        // the value its writer implied).
        let (base, segments, options_json, loyalty, events) = match version {
            1 => (
                postcard::from_bytes::<PayloadV1>(body).map_err(decode)?,
                None,
                None,
                None,
                EventsV5::default(),
            ),
            2 => {
                let p: PayloadV2 = postcard::from_bytes(body).map_err(decode)?;
                (
                    p.base,
                    Some((p.segments, p.members)),
                    None,
                    None,
                    EventsV5::default(),
                )
            }
            3 => {
                let p: PayloadV3 = postcard::from_bytes(body).map_err(decode)?;
                let v2 = p.v2;
                (
                    v2.base,
                    Some((v2.segments, v2.members)),
                    Some(p.options_json),
                    None,
                    EventsV5::default(),
                )
            }
            4 => {
                let p: PayloadV4 = postcard::from_bytes(body).map_err(decode)?;
                let v2 = p.v3.v2;
                (
                    v2.base,
                    Some((v2.segments, v2.members)),
                    Some(p.v3.options_json),
                    Some(p.loyalty),
                    EventsV5::default(),
                )
            }
            _ => {
                let p: PayloadV5 = postcard::from_bytes(body).map_err(decode)?;
                let v2 = p.v4.v3.v2;
                (
                    v2.base,
                    Some((v2.segments, v2.members)),
                    Some(p.v4.v3.options_json),
                    Some(p.v4.loyalty),
                    p.events,
                )
            }
        };
        let options = match options_json {
            Some(text) => Some(
                serde_json::from_str::<BookOptions>(&text)
                    .map_err(|e| corrupt(format!("options: {e}")))?,
            ),
            None => None,
        };
        let counts = [
            events.redemptions.len() as u32,
            events.invitations.len() as u32,
        ];
        let mut book = from_payload_with(base, options, counts)?;
        restore_events(&mut book, events)?;
        if let Some((segments, members)) = segments {
            let rules: Vec<(String, crate::segment::RuleSource)> = segments
                .into_iter()
                .map(|(n, t)| (n, crate::segment::RuleSource::Text(t)))
                .collect();
            book.set_segments(&rules)
                .map_err(|e| corrupt(format!("segment rules: {e}")))?;
            book.segments_changed = false;
            check(
                members.len() == book.cust.len(),
                "segment memberships of unequal length",
            )?;
            let mask = if rules.len() >= 64 {
                u64::MAX
            } else {
                (1u64 << rules.len()) - 1
            };
            check(
                members.iter().all(|&m| m & !mask == 0),
                "memberships of unknown segments",
            )?;
            book.members = members;
        }
        if let Some(l) = loyalty {
            restore_loyalty(&mut book, l)?;
        }
        Ok(book)
    }
}

/// The loyalty part of a version-4 record, checked.
fn restore_loyalty(book: &mut Book, l: LoyaltyV4) -> Result<()> {
    let (n, m, nr) = (book.cust.len(), book.o_day.len(), book.r_day.len());
    check(l.o_time.len() == m, "order times of unequal length")?;
    check(
        l.o_time
            .iter()
            .zip(&book.o_day)
            .all(|(&t, &d)| crate::model::day_in_tz(book.tz, t) == d),
        "order time not on its day",
    )?;
    check(l.r_order.len() == nr, "refund links of unequal length")?;
    check(
        l.r_order.iter().all(|&o| o == NONE || (o as usize) < m),
        "refund of an unknown order",
    )?;
    let mut pending = BTreeMap::new();
    for (o, ks) in l.pending_links {
        check(
            book.order_ids.lookup(&o).is_none(),
            "pending refund link to a known order",
        )?;
        check(
            ks.iter()
                .all(|&k| (k as usize) < nr && l.r_order[k as usize] == NONE),
            "pending refund link of an unknown refund",
        )?;
        pending.insert(o, ks);
    }
    check(
        l.stage.len() == n && l.expired.len() == n,
        "loyalty columns of unequal length",
    )?;
    if let Some(text) = &l.program {
        book.set_program(Some(text))
            .map_err(|e| corrupt(format!("loyalty programme: {e}")))?;
        book.program_changed = false;
    }
    let stages = book.program().map_or(1, |p| p.stages.len());
    check(
        l.stage.iter().all(|&s| usize::from(s) < stages),
        "reported stage beyond the programme",
    )?;
    check(l.expired.iter().all(|&e| e >= 0), "negative expired points")?;
    book.o_time = l.o_time;
    book.r_order = l.r_order;
    book.pending_links = pending;
    book.loy_stage = l.stage;
    book.loy_expired = l.expired;
    Ok(())
}

fn day_ok(d: Day, none_ok: bool) -> bool {
    (none_ok && d == NO_DAY) || (-MAX_ABS_DAY..=MAX_ABS_DAY).contains(&d)
}

fn check(ok: bool, what: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(corrupt(what.to_owned()))
    }
}

/// The loyalty events of a version-5 record, checked (before the programme, which checks
/// their stages).
fn restore_events(book: &mut Book, e: EventsV5) -> Result<()> {
    let n = book.cust.len();
    let mut ids = Interner::new();
    e.redemption_ids.each("redemption ids", |s| {
        check(ids.intern_new(s).1, "repeated redemption id")
    })?;
    let nr = ids.len();
    book.redemption_ids = ids;
    let mut ids = Interner::new();
    e.invitation_ids.each("invitation ids", |s| {
        check(ids.intern_new(s).1, "repeated invitation id")
    })?;
    let ni = ids.len();
    book.invitation_ids = ids;
    let id_ok = |k: u32, len: usize| k == NONE || (k as usize) < len;
    check(
        e.redemptions
            .iter()
            .all(|&(c, d, p, k)| (c as usize) < n && day_ok(d, false) && p > 0 && id_ok(k, nr)),
        "bad redemption",
    )?;
    check(
        e.invitations
            .iter()
            .all(|(c, d, _, k)| (*c as usize) < n && day_ok(*d, false) && id_ok(*k, ni)),
        "bad invitation",
    )?;
    book.redemptions = e.redemptions;
    book.invitations = e.invitations;
    Ok(())
}

fn from_payload_with(
    p: PayloadV1,
    options: Option<BookOptions>,
    event_counts: [u32; 2],
) -> Result<Book> {
    let options = options.unwrap_or_else(|| p.options.into_options());
    let mut book = Book::new(options).map_err(|e| corrupt(format!("options: {e}")))?;
    for d in [p.as_of, p.floor, p.reported_as_of] {
        check(day_ok(d, false), "book date out of range")?;
    }
    check(day_ok(p.last_day, true), "last order day out of range")?;
    book.as_of = p.as_of;
    book.floor = p.floor;
    book.follow = p.follow;
    book.last_day = p.last_day;
    book.reported_as_of = p.reported_as_of;
    book.seq = p.seq;
    book.currency = p.currency;

    let mut ids = CustomerIds::new();
    let mut n = 0u32;
    p.customers.each("customer ids", |s| {
        check(ids.intern(s) == n, "customer ids: repeated id")?;
        n += 1;
        Ok(())
    })?;
    let n = n as usize;
    book.customers = ids;
    let lens = [
        p.c_first.len(),
        p.c_last.len(),
        p.c_last_sub.len(),
        p.c_orders.len(),
        p.c_purchase_days.len(),
        p.c_sub_orders.len(),
        p.c_cancelled.len(),
        p.c_gross.len(),
        p.c_refunded.len(),
        p.c_reported.len(),
        p.c_trig_kind.len(),
        p.c_trig_ref.len(),
    ];
    check(
        lens.iter().all(|&l| l == n),
        "customer columns of unequal length",
    )?;

    let mut oids = OrderIds::new(p.o_day.len());
    let mut m = 0u32;
    p.order_ids.each("order ids", |s| {
        check(oids.insert(s).is_none(), "order ids: repeated id")?;
        m += 1;
        Ok(())
    })?;
    let m = m as usize;
    check(
        [
            p.o_customer.len(),
            p.o_day.len(),
            p.o_units.len(),
            p.o_flags.len(),
        ]
        .iter()
        .all(|&l| l == m),
        "order columns of unequal length",
    )?;
    check(
        p.o_customer.iter().all(|&c| (c as usize) < n),
        "order of an unknown customer",
    )?;
    check(
        p.o_day.iter().all(|&d| day_ok(d, false)),
        "order day out of range",
    )?;
    check(p.o_flags.iter().all(|&f| f < 16), "unknown order flags")?;
    for (i, (&d, &f)) in p.o_day.iter().zip(&p.o_flags).enumerate() {
        check(
            (f & COUNTED != 0) == (d <= p.as_of),
            "order counted against its day",
        )?;
        if f & COUNTED == 0 {
            book.future_orders.push(i as u32);
        }
    }
    book.order_ids = oids;
    book.o_amount = MoneyColumn::from_parts(p.o_units, p.o_scale)
        .ok_or_else(|| corrupt("order amount scale beyond 8 decimals"))?;
    // Customer lists, oldest order last (as ingestion links them).
    let mut head = vec![NONE; n];
    let mut next = Vec::with_capacity(m);
    for (i, &c) in p.o_customer.iter().enumerate() {
        next.push(head[c as usize]);
        head[c as usize] = i as u32;
    }
    // Written before order times were kept: local midnight (ties keep arrival order).
    book.o_time = p.o_day.iter().map(|&d| midnight(book.tz, d)).collect();
    book.o_customer = p.o_customer;
    book.o_day = p.o_day;
    book.o_flags = p.o_flags;
    book.o_next = next;

    let mut rids = Interner::new();
    let mut nr_ids = 0u32;
    p.refund_ids.each("refund ids", |s| {
        check(rids.intern(s) == nr_ids, "refund ids: repeated id")?;
        nr_ids += 1;
        Ok(())
    })?;
    let nr = p.r_day.len();
    check(
        [p.r_customer.len(), p.r_units.len(), p.r_id.len()]
            .iter()
            .all(|&l| l == nr),
        "refund columns of unequal length",
    )?;
    check(
        p.r_customer.iter().all(|&c| (c as usize) < n),
        "refund of an unknown customer",
    )?;
    check(
        p.r_day.iter().all(|&d| day_ok(d, false)),
        "refund day out of range",
    )?;
    check(
        p.r_id.iter().all(|&k| k == NONE || k < nr_ids),
        "unknown refund id",
    )?;
    for (k, &d) in p.r_day.iter().enumerate() {
        if d > p.as_of {
            book.future_refunds.push(k as u32);
        }
    }
    book.refund_ids = rids;
    book.r_amount = MoneyColumn::from_parts(p.r_units, p.r_scale)
        .ok_or_else(|| corrupt("refund amount scale beyond 8 decimals"))?;
    // Refund lists per customer, oldest last; links to orders unknown before version 4.
    let mut refund_head = vec![NONE; n];
    let mut r_next = Vec::with_capacity(nr);
    for (k, &c) in p.r_customer.iter().enumerate() {
        r_next.push(refund_head[c as usize]);
        refund_head[c as usize] = k as u32;
    }
    book.refund_head = refund_head;
    book.r_next = r_next;
    book.r_order = vec![NONE; nr];
    book.r_customer = p.r_customer;
    book.r_day = p.r_day;
    book.r_id = p.r_id;
    for (o, rid, day, amount) in p.held_refunds {
        check(day_ok(day, false), "held refund day out of range")?;
        let amount = Decimal::from_str(&amount)
            .map_err(|_| corrupt(format!("held refund amount '{amount}'")))?;
        book.held_refunds.entry(o).or_default().push(HeldRefund {
            refund_id: rid,
            day,
            amount,
        });
    }
    book.held_cancels = p.held_cancels.into_iter().collect();

    let mut sids = Interner::new();
    let mut ns = 0u32;
    p.sub_ids.each("subscription ids", |s| {
        check(sids.intern(s) == ns, "subscription ids: repeated id")?;
        ns += 1;
        Ok(())
    })?;
    check(
        p.subs.len() == ns as usize,
        "subscription rows and ids differ",
    )?;
    let mut sub_head = vec![NONE; n];
    let mut sub_next = Vec::with_capacity(p.subs.len());
    for (k, r) in p.subs.iter().enumerate() {
        check(
            (r.customer as usize) < n,
            "subscription of an unknown customer",
        )?;
        check(
            day_ok(r.started, false) && day_ok(r.cancelled, true),
            "subscription day out of range",
        )?;
        sub_next.push(sub_head[r.customer as usize]);
        sub_head[r.customer as usize] = k as u32;
    }
    book.sub_ids = sids;
    book.subs = p.subs;
    book.sub_next = sub_next;

    let mut info = BTreeMap::new();
    for (c, i) in p.info {
        check((c as usize) < n, "customer record of an unknown customer")?;
        info.insert(c, i);
    }
    book.info = info;

    let limits = [
        m as u32,
        m as u32,
        nr as u32,
        ns,
        n as u32,
        event_counts[0],
        event_counts[1],
    ];
    let mut cust = Vec::with_capacity(n);
    for c in 0..n {
        let cu = Cust {
            first: p.c_first[c],
            last: p.c_last[c],
            last_sub: p.c_last_sub[c],
            orders: p.c_orders[c],
            purchase_days: p.c_purchase_days[c],
            sub_orders: p.c_sub_orders[c],
            cancelled: p.c_cancelled[c],
            gross: p.c_gross[c],
            refunded: p.c_refunded[c],
            head: head[c],
            sub_head: sub_head[c],
            reported: p.c_reported[c],
            trig_kind: p.c_trig_kind[c],
            trig_ref: p.c_trig_ref[c],
        };
        let dated = if cu.orders == 0 {
            cu.first == NO_DAY && cu.last == NO_DAY
        } else {
            day_ok(cu.first, false) && day_ok(cu.last, false) && cu.first <= cu.last
        };
        check(
            dated && day_ok(cu.last_sub, true),
            "customer days do not hold together",
        )?;
        let r = cu.reported;
        check(
            r >> 8 == 0 && ((r >> 1) & 0xF) as usize <= CpmClass::all().len() && (r >> 5) & 7 <= 3,
            "unknown reported state",
        )?;
        let trig_ok = match cu.trig_kind {
            0 => true,
            k @ (T_ORDER | T_CANCEL | T_REFUND | T_SUB | T_CUSTOMER | T_REDEMPTION
            | T_INVITATION) => {
                let limit = limits[match k {
                    T_ORDER => 0,
                    T_CANCEL => 1,
                    T_REFUND => 2,
                    T_SUB => 3,
                    T_CUSTOMER => 4,
                    T_REDEMPTION => 5,
                    _ => 6,
                }];
                cu.trig_ref < limit
            }
            _ => false,
        };
        check(trig_ok, "unknown trigger")?;
        cust.push(cu);
    }
    let mut seen = vec![false; n];
    for &c in &p.dirty {
        let cu = (c as usize) < n && cust[c as usize].trig_kind != 0 && !seen[c as usize];
        check(cu, "bad list of touched customers")?;
        seen[c as usize] = true;
    }
    check(
        cust.iter()
            .zip(&seen)
            .all(|(c, &s)| (c.trig_kind != 0) == s),
        "touched customers missing from their list",
    )?;
    book.cust = cust;
    book.members = vec![0; n];
    book.loy_stage = vec![0; n];
    book.loy_expired = vec![0; n];
    book.dirty = p.dirty;
    Ok(book)
}
