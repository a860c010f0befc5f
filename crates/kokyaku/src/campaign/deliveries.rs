//! Reading deliveries (who was sent which campaign on which channel, when, and whether they
//! were held out) from delimited text or JSON Lines, with the accounting of the order readers:
//! `rows_read = rows_accepted + rows_rejected`, every rejection with a reason code.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};

use chrono::{DateTime, Utc};
type HashMap<K, V> = hashbrown::HashMap<K, V, foldhash::fast::FixedState>;
use serde::{Deserialize, Serialize};

use crate::io::{Delimiter, Rejection, TimeParser, parse_tz};
use crate::model::Day;
use crate::{Error, Location, Result};

/// Which input column holds which delivery field. `None` detects by the usual names; `-` means
/// the input has no such column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliveryColumns {
    /// Customer id (detected: `customer_id`, customer, `member_id`, `user_id`).
    pub customer: Option<String>,
    /// Campaign (detected: campaign, `campaign_id`, `campaign_name`, scenario).
    pub campaign: Option<String>,
    /// Channel (detected: channel, medium); optional, blank reads as `unknown`.
    pub channel: Option<String>,
    /// Send time (detected: `sent_at`, `delivered_at`, `send_time`, `sent`, date, timestamp, time).
    pub time: Option<String>,
    /// Holdout flag (detected: holdout, `is_holdout`, control, `is_control`); optional, blank
    /// reads as a recipient.
    pub holdout: Option<String>,
    /// Segment (detected: segment, `segment_name`); optional.
    pub segment: Option<String>,
}

/// How deliveries are read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliveryReadOptions {
    /// Column mapping.
    pub columns: DeliveryColumns,
    /// Time format (as [`crate::io::ReadOptions::time_format`]); default detects.
    pub time_format: Option<String>,
    /// IANA time zone of naive times and day boundaries; use the order log's.
    pub timezone: String,
    /// Field separator for delimited text.
    pub delimiter: Delimiter,
    /// Whether delimited text starts with a header row.
    pub has_header: bool,
    /// Stop at the first bad row (`true`) instead of rejecting it with a reason.
    pub strict: bool,
}

impl Default for DeliveryReadOptions {
    fn default() -> Self {
        Self {
            columns: DeliveryColumns::default(),
            time_format: None,
            timezone: "UTC".into(),
            delimiter: Delimiter::Comma,
            has_header: true,
            strict: false,
        }
    }
}

/// Why a delivery row was rejected (stable `snake_case` codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeliveryRejectReason {
    /// No customer id.
    MissingCustomer,
    /// No campaign.
    MissingCampaign,
    /// No send time.
    MissingTime,
    /// A send time that cannot be read.
    InvalidTime,
    /// A holdout flag that is not true/false, 1/0, yes/no, holdout/treatment.
    InvalidHoldout,
    /// The same customer and campaign again (on any channel), once held out and once not.
    HoldoutConflict,
    /// A row with a different number of fields, or a line that is not a JSON object.
    MalformedRow,
}

impl DeliveryRejectReason {
    /// The stable code.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::MissingCustomer => "missing_customer",
            Self::MissingCampaign => "missing_campaign",
            Self::MissingTime => "missing_time",
            Self::InvalidTime => "invalid_time",
            Self::InvalidHoldout => "invalid_holdout",
            Self::HoldoutConflict => "holdout_conflict",
            Self::MalformedRow => "malformed_row",
        }
    }
    fn explain(self) -> &'static str {
        match self {
            Self::MissingCustomer => "no customer id",
            Self::MissingCampaign => "no campaign; map --campaign-col",
            Self::MissingTime => "no send time",
            Self::InvalidTime => {
                "cannot read this send time; pass a time format or check the time zone"
            }
            Self::InvalidHoldout => {
                "holdout flag must be true/false, 1/0, yes/no or holdout/treatment"
            }
            Self::HoldoutConflict => {
                "this customer got this campaign before with the other holdout flag; a customer is held out of a campaign on every channel or on none"
            }
            Self::MalformedRow => "row does not have the header's fields",
        }
    }
}

/// How many delivery rows were read, accepted and rejected, and why. Always
/// `rows_read == rows_accepted + rows_rejected`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    /// Data rows read.
    pub rows_read: u64,
    /// Rows that became a delivery or repeated one (see `repeats_merged`).
    pub rows_accepted: u64,
    /// Rows rejected with a reason.
    pub rows_rejected: u64,
    /// Rejections by reason code (sorted).
    pub rejections: BTreeMap<String, u64>,
    /// The first rejected rows (at most 20).
    pub examples: Vec<Rejection>,
    /// Deliveries kept: distinct (campaign, channel, customer).
    pub deliveries: u64,
    /// Accepted rows repeating a (campaign, channel, customer) seen before: merged into it,
    /// keeping the earliest send time.
    pub repeats_merged: u64,
    /// Deliveries to the holdout.
    pub holdout: u64,
}

/// Deliveries, one per distinct (campaign, channel, customer), in input order of first sight.
#[derive(Debug, Clone, Default)]
pub struct Deliveries {
    /// Customer id per delivery.
    pub customer: Vec<String>,
    /// Campaign index per delivery (names in `campaigns`).
    pub campaign: Vec<u32>,
    /// Channel index per delivery (names in `channels`).
    pub channel: Vec<u32>,
    /// Segment index per delivery (names in `segments`), `u32::MAX` when none.
    pub segment: Vec<u32>,
    /// Send instant, Unix seconds.
    pub sent_at: Vec<i64>,
    /// Local send day in the reading time zone.
    pub day: Vec<Day>,
    /// Whether the customer was held out (not sent).
    pub holdout: Vec<bool>,
    /// Campaign names.
    pub campaigns: Vec<String>,
    /// Channel names.
    pub channels: Vec<String>,
    /// Segment names.
    pub segments: Vec<String>,
    /// The time zone the days were counted in.
    pub timezone: String,
    /// Where the segments come from (`delivery column`, or segment rules at send time).
    pub segment_source: String,
}

/// Deliveries and how they were read.
#[derive(Debug, Clone)]
pub struct DeliveriesRead {
    /// The deliveries.
    pub deliveries: Deliveries,
    /// The accounting.
    pub report: DeliveryReport,
}

/// One delivery as a record (for [`Deliveries::from_records`] and the bindings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    /// Customer id.
    pub customer_id: String,
    /// Campaign.
    pub campaign: String,
    /// Channel (default `unknown`).
    #[serde(default)]
    pub channel: Option<String>,
    /// Send time.
    pub sent_at: DateTime<Utc>,
    /// Held out (default false).
    #[serde(default)]
    pub holdout: bool,
    /// Segment.
    #[serde(default)]
    pub segment: Option<String>,
}

const CUSTOMER: &[&str] = &[
    "customer_id",
    "customer",
    "customerid",
    "member_id",
    "user_id",
    "client_id",
];
const CAMPAIGN: &[&str] = &[
    "campaign",
    "campaign_id",
    "campaign_name",
    "scenario",
    "scenario_id",
];
const CHANNEL: &[&str] = &["channel", "medium", "channel_name"];
const TIME: &[&str] = &[
    "sent_at",
    "delivered_at",
    "send_time",
    "sent",
    "send_date",
    "date",
    "datetime",
    "timestamp",
    "time",
];
const HOLDOUT: &[&str] = &[
    "holdout",
    "is_holdout",
    "control",
    "is_control",
    "holdout_flag",
];
const SEGMENT: &[&str] = &["segment", "segment_name", "segment_id"];

fn norm(s: &str) -> String {
    s.trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
}

#[derive(Debug, Clone, Copy, Default)]
struct Cols {
    customer: Option<usize>,
    campaign: Option<usize>,
    channel: Option<usize>,
    time: Option<usize>,
    holdout: Option<usize>,
    segment: Option<usize>,
}

fn find(
    header: &[String],
    explicit: Option<&String>,
    usual: &[&str],
    role: &str,
) -> Result<Option<usize>> {
    if let Some(name) = explicit {
        if name == "-" {
            return Ok(None);
        }
        if let Some(i) = header.iter().position(|h| norm(h) == norm(name)) {
            return Ok(Some(i));
        }
        if let Ok(p) = name.parse::<usize>() {
            if p >= 1 && p <= header.len() {
                return Ok(Some(p - 1));
            }
        }
        return Err(Error::MissingColumn {
            column: name.clone(),
            hint: format!(
                "given for the delivery {role}; the deliveries have columns {}",
                header.join(", ")
            ),
        });
    }
    let normed: Vec<String> = header.iter().map(|h| norm(h)).collect();
    Ok(usual
        .iter()
        .find_map(|u| normed.iter().position(|h| h == u)))
}

fn resolve(header: &[String], c: &DeliveryColumns) -> Result<Cols> {
    let cols = Cols {
        customer: find(header, c.customer.as_ref(), CUSTOMER, "customer id")?,
        campaign: find(header, c.campaign.as_ref(), CAMPAIGN, "campaign")?,
        channel: find(header, c.channel.as_ref(), CHANNEL, "channel")?,
        time: find(header, c.time.as_ref(), TIME, "send time")?,
        holdout: find(header, c.holdout.as_ref(), HOLDOUT, "holdout flag")?,
        segment: find(header, c.segment.as_ref(), SEGMENT, "segment")?,
    };
    for (found, role, flag) in [
        (cols.customer, "customer id", "customer"),
        (cols.campaign, "campaign", "campaign"),
        (cols.time, "send time", "time"),
    ] {
        if found.is_none() {
            return Err(Error::MissingColumn {
                column: role.into(),
                hint: format!(
                    "name it in the delivery columns (JSON: columns.{flag}); the deliveries have columns {}",
                    header.join(", ")
                ),
            });
        }
    }
    Ok(cols)
}

/// A field of a delivery row.
#[derive(Debug, Clone, Copy)]
enum Field<'a> {
    Null,
    Str(&'a str),
    Int(i64),
    Bool(bool),
}

impl Field<'_> {
    fn text(&self) -> String {
        match self {
            Field::Null => String::new(),
            Field::Str(s) => (*s).to_owned(),
            Field::Int(i) => i.to_string(),
            Field::Bool(b) => b.to_string(),
        }
    }
    fn trimmed(&self) -> Option<String> {
        let t = self.text();
        let t = t.trim();
        (!t.is_empty()).then(|| t.to_owned())
    }
}

/// Parses a holdout flag; `None` when it is not one.
fn parse_holdout(f: &Field<'_>) -> Option<bool> {
    match f {
        Field::Null | Field::Int(0) => Some(false),
        Field::Bool(b) => Some(*b),
        Field::Int(1) => Some(true),
        Field::Int(_) => None,
        Field::Str(s) => {
            let t = s.trim().to_ascii_lowercase();
            match t.as_str() {
                "" | "0" | "false" | "f" | "no" | "n" | "treatment" | "test" | "sent" => {
                    Some(false)
                }
                "1" | "true" | "t" | "yes" | "y" | "holdout" | "control" | "held_out" => Some(true),
                _ => None,
            }
        }
    }
}

struct Builder {
    time: TimeParser,
    tz: chrono_tz::Tz,
    strict: bool,
    out: Deliveries,
    report: DeliveryReport,
    campaigns: HashMap<String, u32>,
    channels: HashMap<String, u32>,
    segments: HashMap<String, u32>,
    seen: HashMap<(u32, u32, String), usize>,
    held: HashMap<(u32, String), bool>,
    names: [String; 6],
}

fn intern(map: &mut HashMap<String, u32>, names: &mut Vec<String>, s: &str) -> u32 {
    if let Some(&i) = map.get(s) {
        return i;
    }
    let i = names.len() as u32;
    names.push(s.to_owned());
    map.insert(s.to_owned(), i);
    i
}

impl Builder {
    fn new(opts: &DeliveryReadOptions) -> Result<Self> {
        let tz = parse_tz(&opts.timezone)?;
        Ok(Self {
            time: TimeParser::new(opts.time_format.as_deref(), tz),
            tz,
            strict: opts.strict,
            out: Deliveries {
                timezone: tz.name().to_owned(),
                segment_source: "delivery column".to_owned(),
                ..Deliveries::default()
            },
            report: DeliveryReport::default(),
            campaigns: HashMap::default(),
            channels: HashMap::default(),
            segments: HashMap::default(),
            seen: HashMap::default(),
            held: HashMap::default(),
            names: Default::default(),
        })
    }

    fn set_names(&mut self, header: &[String], c: &Cols) {
        let n = |i: Option<usize>, d: &str| {
            i.and_then(|i| header.get(i))
                .map_or_else(|| d.to_owned(), |h| h.trim().to_owned())
        };
        self.names = [
            n(c.customer, "customer_id"),
            n(c.campaign, "campaign"),
            n(c.channel, "channel"),
            n(c.time, "sent_at"),
            n(c.holdout, "holdout"),
            n(c.segment, "segment"),
        ];
    }

    fn reject(
        &mut self,
        row: u64,
        reason: DeliveryRejectReason,
        col: usize,
        value: &str,
    ) -> Result<()> {
        self.report.rows_read += 1;
        let column = if col < 6 {
            self.names[col].clone()
        } else {
            String::new()
        };
        if self.strict {
            return Err(Error::InvalidValue {
                value: value.to_owned(),
                location: if column.is_empty() {
                    Location {
                        row: Some(row),
                        ..Location::default()
                    }
                } else {
                    Location::cell(row, &column)
                },
                reason: format!("{} ({}; deliveries)", reason.explain(), reason.code()),
            });
        }
        self.report.rows_rejected += 1;
        *self
            .report
            .rejections
            .entry(reason.code().to_owned())
            .or_insert(0) += 1;
        if self.report.examples.len() < 20 {
            self.report.examples.push(Rejection {
                row,
                column,
                value: value.to_owned(),
                reason: reason.code(),
            });
        }
        Ok(())
    }

    fn row(&mut self, row: u64, f: [Field<'_>; 6]) -> Result<()> {
        let Some(customer) = f[0].trimmed() else {
            return self.reject(row, DeliveryRejectReason::MissingCustomer, 0, &f[0].text());
        };
        let Some(campaign) = f[1].trimmed() else {
            return self.reject(row, DeliveryRejectReason::MissingCampaign, 1, &f[1].text());
        };
        let instant = match f[3] {
            Field::Null => None,
            Field::Str(s) if s.trim().is_empty() => None,
            Field::Str(s) => Some(self.time.parse_str(s)),
            Field::Int(i) => Some(self.time.parse_int(i)),
            Field::Bool(_) => Some(None),
        };
        let (secs, day) = match instant {
            None => return self.reject(row, DeliveryRejectReason::MissingTime, 3, &f[3].text()),
            Some(None) => {
                return self.reject(row, DeliveryRejectReason::InvalidTime, 3, &f[3].text());
            }
            Some(Some(t)) => t,
        };
        let Some(holdout) = parse_holdout(&f[4]) else {
            return self.reject(row, DeliveryRejectReason::InvalidHoldout, 4, &f[4].text());
        };
        let channel = f[2].trimmed().unwrap_or_else(|| "unknown".to_owned());
        let segment = f[5].trimmed();
        self.push(
            row,
            customer,
            &campaign,
            &channel,
            segment.as_deref(),
            secs,
            day,
            holdout,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        row: u64,
        customer: String,
        campaign: &str,
        channel: &str,
        segment: Option<&str>,
        secs: i64,
        day: Day,
        holdout: bool,
    ) -> Result<()> {
        let ca = intern(&mut self.campaigns, &mut self.out.campaigns, campaign);
        let ch = intern(&mut self.channels, &mut self.out.channels, channel);
        // A customer is held out of a campaign or not, on every channel.
        if let Some(&h) = self.held.get(&(ca, customer.clone())) {
            if h != holdout {
                let v = if holdout { "true" } else { "false" };
                return self.reject(row, DeliveryRejectReason::HoldoutConflict, 4, v);
            }
        }
        let key = (ca, ch, customer);
        if let Some(&k) = self.seen.get(&key) {
            self.report.rows_read += 1;
            self.report.rows_accepted += 1;
            self.report.repeats_merged += 1;
            if secs < self.out.sent_at[k] {
                self.out.sent_at[k] = secs;
                self.out.day[k] = day;
            }
            return Ok(());
        }
        let sg = segment.map_or(u32::MAX, |s| {
            intern(&mut self.segments, &mut self.out.segments, s)
        });
        let (_, _, customer) = key;
        self.held.insert((ca, customer.clone()), holdout);
        self.seen
            .insert((ca, ch, customer.clone()), self.out.customer.len());
        self.out.customer.push(customer);
        self.out.campaign.push(ca);
        self.out.channel.push(ch);
        self.out.segment.push(sg);
        self.out.sent_at.push(secs);
        self.out.day.push(day);
        self.out.holdout.push(holdout);
        self.report.rows_read += 1;
        self.report.rows_accepted += 1;
        self.report.deliveries += 1;
        if holdout {
            self.report.holdout += 1;
        }
        Ok(())
    }

    fn finish(self) -> DeliveriesRead {
        DeliveriesRead {
            deliveries: self.out,
            report: self.report,
        }
    }
}

fn cols_of(c: &Cols) -> [Option<usize>; 6] {
    [
        c.customer, c.campaign, c.channel, c.time, c.holdout, c.segment,
    ]
}

/// Reads deliveries from delimited text.
pub fn read_deliveries_csv<R: Read>(
    reader: R,
    opts: &DeliveryReadOptions,
) -> Result<DeliveriesRead> {
    let mut b = Builder::new(opts)?;
    let Some(delim) = opts.delimiter.byte() else {
        return Err(Error::option(
            "delimiter",
            "whitespace",
            "deliveries take ',', ';', 'tab' or '|'",
        ));
    };
    let mut rdr = ::csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut rec = ::csv::StringRecord::new();
    let malformed = |row: u64, e: &dyn std::fmt::Display| Error::Malformed {
        location: Location {
            row: Some(row),
            ..Location::default()
        },
        reason: format!("deliveries: {e}"),
    };
    if !rdr.read_record(&mut rec).map_err(|e| malformed(1, &e))? {
        return Err(Error::EmptyInput("the deliveries have no rows".into()));
    }
    let header: Vec<String> = if opts.has_header {
        rec.iter().map(str::to_owned).collect()
    } else {
        (1..=rec.len()).map(|i| i.to_string()).collect()
    };
    let cols = resolve(&header, &opts.columns)?;
    b.set_names(&header, &cols);
    let width = header.len();
    let idx = cols_of(&cols);
    let mut row_no = 0u64;
    let process = |rec: &::csv::StringRecord, row_no: u64, b: &mut Builder| -> Result<()> {
        if rec.len() == 1 && width > 1 && rec.get(0).is_some_and(|s| s.trim().is_empty()) {
            return Ok(());
        }
        if rec.len() != width {
            let joined: Vec<&str> = rec.iter().collect();
            return b.reject(
                row_no,
                DeliveryRejectReason::MalformedRow,
                usize::MAX,
                &joined.join(","),
            );
        }
        let g = |i: Option<usize>| i.and_then(|i| rec.get(i)).map_or(Field::Null, Field::Str);
        b.row(row_no, idx.map(g))
    };
    if !opts.has_header {
        row_no += 1;
        process(&rec, row_no, &mut b)?;
    }
    loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {
                row_no += 1;
                process(&rec, row_no, &mut b)?;
            }
            Ok(false) => break,
            Err(e) => return Err(malformed(row_no + 1, &e)),
        }
    }
    Ok(b.finish())
}

/// Reads deliveries from JSON Lines (columns from the first object's keys).
pub fn read_deliveries_jsonl<R: Read>(
    reader: R,
    opts: &DeliveryReadOptions,
) -> Result<DeliveriesRead> {
    use serde_json::{Map, Value};
    let mut b = Builder::new(opts)?;
    let mut reader = BufReader::new(reader);
    let mut line = String::new();
    let mut row_no = 0u64;
    let mut state: Option<(Vec<String>, [Option<usize>; 6])> = None;
    loop {
        line.clear();
        let n = reader.read_line(&mut line).map_err(|e| Error::Malformed {
            location: Location {
                row: Some(row_no + 1),
                ..Location::default()
            },
            reason: format!("deliveries: {e}"),
        })?;
        if n == 0 {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        row_no += 1;
        let parsed: std::result::Result<Map<String, Value>, _> = serde_json::from_str(&line);
        if state.is_none() {
            let obj = parsed.as_ref().map_err(|e| Error::Malformed {
                location: Location {
                    row: Some(row_no),
                    ..Location::default()
                },
                reason: format!("deliveries: the first line must be a JSON object: {e}"),
            })?;
            let keys: Vec<String> = obj.keys().cloned().collect();
            let cols = resolve(&keys, &opts.columns)?;
            b.set_names(&keys, &cols);
            state = Some((keys, cols_of(&cols)));
        }
        let Some((keys, idx)) = state.as_ref() else {
            continue;
        };
        let Ok(obj) = parsed else {
            b.reject(
                row_no,
                DeliveryRejectReason::MalformedRow,
                usize::MAX,
                line.trim(),
            )?;
            continue;
        };
        let get = |i: Option<usize>| -> Option<Field<'_>> {
            match i.and_then(|i| keys.get(i)).and_then(|k| obj.get(k)) {
                None | Some(Value::Null) => Some(Field::Null),
                Some(Value::String(s)) => Some(Field::Str(s)),
                Some(Value::Bool(x)) => Some(Field::Bool(*x)),
                Some(Value::Number(n)) => n.as_i64().map(Field::Int),
                Some(_) => None,
            }
        };
        let fields = idx.map(get);
        if fields.iter().any(Option::is_none) {
            b.reject(
                row_no,
                DeliveryRejectReason::MalformedRow,
                usize::MAX,
                line.trim(),
            )?;
            continue;
        }
        b.row(row_no, fields.map(|f| f.unwrap_or(Field::Null)))?;
    }
    if state.is_none() {
        return Err(Error::EmptyInput("the deliveries have no rows".into()));
    }
    Ok(b.finish())
}

/// Reads deliveries from a file: JSON Lines for `.jsonl`/`.ndjson`/`.json`, else delimited text
/// (`.tsv` tab-separated when the options say comma).
pub fn read_deliveries_path(
    path: &std::path::Path,
    opts: &DeliveryReadOptions,
) -> Result<DeliveriesRead> {
    let f = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let r = BufReader::with_capacity(1 << 16, f);
    match ext.as_str() {
        "jsonl" | "ndjson" | "json" => read_deliveries_jsonl(r, opts),
        "parquet" | "pq" => Err(Error::Unsupported(format!(
            "deliveries are read from CSV or JSON Lines, not Parquet ('{}')",
            path.display()
        ))),
        _ => {
            let mut o = opts.clone();
            if ext == "tsv" && o.delimiter == Delimiter::Comma {
                o.delimiter = Delimiter::Tab;
            }
            read_deliveries_csv(r, &o)
        }
    }
}

impl Deliveries {
    /// Deliveries from records, counting days in `timezone` (the accounting counts each record).
    pub fn from_records(records: &[Delivery], timezone: &str) -> Result<DeliveriesRead> {
        let mut b = Builder::new(&DeliveryReadOptions {
            timezone: timezone.to_owned(),
            ..DeliveryReadOptions::default()
        })?;
        b.names = [
            "customer_id",
            "campaign",
            "channel",
            "sent_at",
            "holdout",
            "segment",
        ]
        .map(str::to_owned);
        for (i, d) in records.iter().enumerate() {
            let row = i as u64 + 1;
            if d.customer_id.trim().is_empty() {
                b.reject(
                    row,
                    DeliveryRejectReason::MissingCustomer,
                    0,
                    &d.customer_id,
                )?;
                continue;
            }
            if d.campaign.trim().is_empty() {
                b.reject(row, DeliveryRejectReason::MissingCampaign, 1, &d.campaign)?;
                continue;
            }
            let secs = d.sent_at.timestamp();
            let day = crate::model::day_in_tz(b.tz, secs);
            let channel = d
                .channel
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .unwrap_or("unknown")
                .to_owned();
            let seg = d
                .segment
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned);
            b.push(
                row,
                d.customer_id.trim().to_owned(),
                d.campaign.trim(),
                &channel,
                seg.as_deref(),
                secs,
                day,
                d.holdout,
            )?;
        }
        Ok(b.finish())
    }

    /// Number of deliveries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.customer.len()
    }
    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.customer.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_accounts_and_rejects() {
        let csv = "customer_id,campaign,channel,sent_at,holdout\n\
            a,spring,mail,2024-03-01T10:00:00,0\n\
            b,spring,mail,2024-03-01T10:00:00,1\n\
            a,spring,mail,2024-02-28T10:00:00,false\n\
            b,spring,mail,2024-03-02,no\n\
            ,spring,line,2024-03-01,0\n\
            c,,line,2024-03-01,0\n\
            c,spring,line,not a time,0\n\
            c,spring,line,2024-03-01,maybe\n\
            c,spring\n\
            c,spring,,2024-03-01,\n";
        let r = read_deliveries_csv(csv.as_bytes(), &DeliveryReadOptions::default()).unwrap();
        let rep = &r.report;
        assert_eq!(rep.rows_read, 10);
        assert_eq!(rep.rows_read, rep.rows_accepted + rep.rows_rejected);
        assert_eq!(rep.deliveries, 3);
        assert_eq!(rep.repeats_merged, 1);
        assert_eq!(rep.holdout, 1);
        for code in [
            "holdout_conflict",
            "missing_customer",
            "missing_campaign",
            "invalid_time",
            "invalid_holdout",
            "malformed_row",
        ] {
            assert_eq!(
                rep.rejections.get(code),
                Some(&1),
                "{code}: {:?}",
                rep.rejections
            );
        }
        let d = &r.deliveries;
        // The repeat kept the earlier send.
        assert_eq!(
            d.day[0],
            crate::model::date_to_day(chrono::NaiveDate::from_ymd_opt(2024, 2, 28).unwrap())
        );
        assert_eq!(d.channels[d.channel[2] as usize], "unknown");
        let strict = DeliveryReadOptions {
            strict: true,
            ..DeliveryReadOptions::default()
        };
        let e = read_deliveries_csv(csv.as_bytes(), &strict).unwrap_err();
        assert_eq!(e.code(), "invalid_value");
        assert!(e.to_string().contains("row 4"), "{e}");
    }

    #[test]
    fn jsonl_and_missing_columns() {
        let j = "{\"member_id\":\"a\",\"campaign_id\":\"x\",\"sent_at\":\"2024-03-01\",\"holdout\":true}\n[1]\n{\"member_id\":\"b\",\"campaign_id\":\"x\",\"sent_at\":20240302,\"holdout\":0}\n";
        let r = read_deliveries_jsonl(j.as_bytes(), &DeliveryReadOptions::default()).unwrap();
        assert_eq!(
            (r.report.rows_read, r.report.rows_rejected, r.report.holdout),
            (3, 1, 1)
        );
        let e = read_deliveries_csv(
            "customer_id,sent_at\na,2024-01-01\n".as_bytes(),
            &DeliveryReadOptions::default(),
        )
        .unwrap_err();
        assert_eq!(e.code(), "missing_column");
        assert!(e.to_string().contains("campaign"));
    }
}
