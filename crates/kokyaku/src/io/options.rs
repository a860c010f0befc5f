//! Options for reading order logs: column mapping, time format and zone, policies.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Which input column holds which field. `None` means "detect by the usual names".
///
/// A column may be named by its header or, for files without a header, by its 1-based
/// position (`"3"`). A name of `-` means the input has no such column: a column detected by its
/// usual name is then not read (e.g. `kind: "-"` reads every order as one-off even if a `kind`
/// column exists).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ColumnMap {
    /// Customer id (detected: `customer_id`, customer, customerid, `user_id`, `member_id`, `client_id`).
    pub customer: Option<String>,
    /// Order id; without one, each row is one order (detected: `order_id`, order, invoice, invoiceno).
    pub order: Option<String>,
    /// Order time (detected: `placed_at`, `order_date`, `ordered_at`, `created_at`, invoicedate, date, timestamp, time).
    pub time: Option<String>,
    /// Order or line amount (detected: amount, total, `dollar_value`, revenue, sales, value).
    pub amount: Option<String>,
    /// Quantity, multiplied by the unit price when there is no amount (detected: quantity, qty).
    pub quantity: Option<String>,
    /// Unit price (detected: `unit_price`, unitprice, price).
    pub unit_price: Option<String>,
    /// Currency code (detected: currency).
    pub currency: Option<String>,
    /// Order status (detected: status, `order_status`).
    pub status: Option<String>,
    /// One-off or subscription (detected: kind, `order_kind`, `order_type`, type).
    pub kind: Option<String>,
    /// Subscription id (detected: `subscription_id`).
    pub subscription: Option<String>,
    /// Product / SKU of a line (detected: sku, `product_id`, product, `item_id`, stockcode).
    /// When present, each row is an order line and the log keeps the lines.
    pub sku: Option<String>,
}

/// How fields are separated in delimited text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delimiter {
    /// `,` (RFC 4180 quoting).
    #[default]
    Comma,
    /// `;`.
    Semicolon,
    /// Tab.
    Tab,
    /// `|`.
    Pipe,
    /// Runs of spaces and tabs (no quoting), as in the CDNOW files.
    Whitespace,
}

impl Delimiter {
    /// Parses `,`/`comma`, `;`/`semicolon`, `tab`/`\t`, `|`/`pipe`, `whitespace`/`ws`.
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "," | "comma" => Self::Comma,
            ";" | "semicolon" => Self::Semicolon,
            "\t" | "tab" | "\\t" => Self::Tab,
            "|" | "pipe" => Self::Pipe,
            "whitespace" | "ws" | "space" | " " => Self::Whitespace,
            _ => {
                return Err(Error::option(
                    "delimiter",
                    s,
                    "use ',', ';', 'tab', '|' or 'whitespace'",
                ));
            }
        })
    }
    /// The byte for single-character delimiters.
    #[must_use]
    pub fn byte(self) -> Option<u8> {
        match self {
            Self::Comma => Some(b','),
            Self::Semicolon => Some(b';'),
            Self::Tab => Some(b'\t'),
            Self::Pipe => Some(b'|'),
            Self::Whitespace => None,
        }
    }
}

/// What to do with a row that has no customer id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingCustomer {
    /// Reject the row (reason `missing_customer`).
    #[default]
    Reject,
    /// Keep it under one pooled customer id ([`ReadOptions::anonymous_id`]).
    Anonymous,
}

/// What to do when an order id appears on more than one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateOrder {
    /// Rows of one order placed at the same time are its line items: amounts add up
    /// (default). A repeat of the id at another time is rejected (reason `duplicate_order`):
    /// lines of one order share its time.
    #[default]
    SumLines,
    /// Keep the first row; later rows are rejected (reason `duplicate_order`).
    KeepFirst,
    /// Stop with an error.
    Error,
    /// Like `sum_lines`, but rows of one order id add up whatever their times (the order
    /// keeps the time of its first row). Only when asked: for exports that stamp each line
    /// with its own time.
    SumAcrossTimes,
}

/// What to do with a row that cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BadRows {
    /// Reject it with a reason, counted in the report (default).
    #[default]
    Reject,
    /// Stop at the first bad row with a typed error.
    Error,
}

/// Everything that controls how an order log is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReadOptions {
    /// Column mapping.
    pub columns: ColumnMap,
    /// Time format: `None` detects (ISO 8601 with or without zone, `YYYYMMDD`, `YYYY/MM/DD`,
    /// `MM/DD/YYYY HH:MM`, epoch seconds or milliseconds); `"epoch"`, `"epoch_ms"`; or a
    /// strftime pattern such as `%Y%m%d`.
    pub time_format: Option<String>,
    /// IANA time zone for naive times and day boundaries (`Asia/Tokyo`); default `UTC`.
    pub timezone: String,
    /// Field separator for delimited text.
    pub delimiter: Delimiter,
    /// Whether delimited text starts with a header row (default true).
    pub has_header: bool,
    /// Currency when the input has no currency column.
    pub currency: Option<String>,
    /// Policy for rows without a customer id.
    pub missing_customer: MissingCustomer,
    /// The pooled customer id used by [`MissingCustomer::Anonymous`].
    pub anonymous_id: String,
    /// Policy for repeated order ids.
    pub duplicate_order: DuplicateOrder,
    /// Order ids starting with this prefix are cancellations, read as refunds (e.g. `C`).
    pub cancel_prefix: Option<String>,
    /// Read rows with a negative quantity or amount as refunds (default true); when false
    /// they are rejected (reason `negative_amount`).
    pub negative_as_refund: bool,
    /// Policy for unreadable rows.
    pub bad_rows: BadRows,
    /// Order rows (and lines) with an amount below this are rejected (reason
    /// `below_min_order_amount`), e.g. `0.01` drops zero-value orders. Default `None`: every
    /// amount is kept, zero included.
    pub min_order_amount: Option<rust_decimal::Decimal>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            columns: ColumnMap::default(),
            time_format: None,
            timezone: "UTC".into(),
            delimiter: Delimiter::Comma,
            has_header: true,
            currency: None,
            missing_customer: MissingCustomer::Reject,
            anonymous_id: "anonymous".into(),
            duplicate_order: DuplicateOrder::SumLines,
            cancel_prefix: None,
            negative_as_refund: true,
            bad_rows: BadRows::Reject,
            min_order_amount: None,
        }
    }
}

impl ReadOptions {
    /// The parsed time zone.
    pub fn tz(&self) -> Result<chrono_tz::Tz> {
        parse_tz(&self.timezone)
    }
}

/// Parses an IANA time zone name.
pub fn parse_tz(name: &str) -> Result<chrono_tz::Tz> {
    name.trim().parse::<chrono_tz::Tz>().map_err(|_| {
        Error::option(
            "timezone",
            name,
            "expected an IANA time zone name such as 'UTC' or 'Asia/Tokyo'",
        )
    })
}
