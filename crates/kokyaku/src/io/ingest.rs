//! The row-level ingestion shared by every reader: policies, rejections, accounting.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Serialize;

use super::options::{BadRows, DuplicateOrder, MissingCustomer, ReadOptions};
use super::time::{Instant, TimeParser};
use crate::model::{OrderKind, OrderLog, OrderLogBuilder, OrderStatus};
use crate::{Error, Location, Result};

/// Why a row was rejected. Codes are stable `snake_case` strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RejectReason {
    /// No customer id (policy `missing_customer = reject`).
    MissingCustomer,
    /// No time value.
    MissingTime,
    /// A time that cannot be parsed (or does not exist in the time zone).
    InvalidTime,
    /// No amount (nor quantity and unit price).
    MissingAmount,
    /// An amount that is not a number.
    InvalidAmount,
    /// NaN or infinite amount.
    NonFiniteAmount,
    /// A quantity that is not a number.
    InvalidQuantity,
    /// A unit price that is not a number.
    InvalidUnitPrice,
    /// A negative amount or quantity while `negative_as_refund` is off.
    NegativeAmount,
    /// A status that is neither completed nor cancelled.
    UnknownStatus,
    /// A kind that is neither one-off nor subscription.
    UnknownKind,
    /// A repeated order id under `duplicate_order = keep_first`, or at another time than
    /// the order's first row under `sum_lines`.
    DuplicateOrder,
    /// A repeated order id with another customer.
    OrderCustomerConflict,
    /// A row with a different number of fields, or not a JSON object.
    MalformedRow,
    /// A line row (SKU column mapped) without a SKU.
    MissingSku,
    /// A line whose amount is not its quantity times its unit price.
    LinesAmountMismatch,
    /// An order row (or line) whose amount is below `min_order_amount`.
    BelowMinOrderAmount,
    /// A float amount with more decimals than its currency's minor units (not float noise).
    AmountPrecision,
}

impl RejectReason {
    /// The stable code.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::MissingCustomer => "missing_customer",
            Self::MissingTime => "missing_time",
            Self::InvalidTime => "invalid_time",
            Self::MissingAmount => "missing_amount",
            Self::InvalidAmount => "invalid_amount",
            Self::NonFiniteAmount => "non_finite_amount",
            Self::InvalidQuantity => "invalid_quantity",
            Self::InvalidUnitPrice => "invalid_unit_price",
            Self::NegativeAmount => "negative_amount",
            Self::UnknownStatus => "unknown_status",
            Self::UnknownKind => "unknown_kind",
            Self::DuplicateOrder => "duplicate_order",
            Self::OrderCustomerConflict => "order_customer_conflict",
            Self::MalformedRow => "malformed_row",
            Self::MissingSku => "missing_sku",
            Self::LinesAmountMismatch => "lines_amount_mismatch",
            Self::BelowMinOrderAmount => "below_min_order_amount",
            Self::AmountPrecision => "amount_precision",
        }
    }
    fn explain(self) -> &'static str {
        match self {
            Self::MissingCustomer => {
                "no customer id; pass --missing-customer anonymous to keep such rows"
            }
            Self::MissingTime => "no order time",
            Self::InvalidTime => {
                "cannot read this time; pass --time-format (strftime, e.g. %Y%m%d) or check --timezone"
            }
            Self::MissingAmount => {
                "no amount; map --amount-col or --quantity-col with --unit-price-col"
            }
            Self::InvalidAmount => {
                "amount is not a number (use '.' for decimals and no thousands separators)"
            }
            Self::NonFiniteAmount => "amount is NaN or infinite",
            Self::InvalidQuantity => "quantity is not a number",
            Self::InvalidUnitPrice => "unit price is not a number",
            Self::NegativeAmount => "negative amount or quantity while refunds are off",
            Self::UnknownStatus => "unknown status; use completed or cancelled",
            Self::UnknownKind => "unknown kind; use one_off or subscription",
            Self::DuplicateOrder => {
                "order id seen before (policy keep_first), or at another time (lines of one order share its time; pass --duplicate-order sum-across-times to merge them)"
            }
            Self::OrderCustomerConflict => "order id seen before with another customer",
            Self::MalformedRow => "row does not have the header's fields",
            Self::MissingSku => {
                "no SKU on a line row; fill the product column or map --sku-col - to read no lines"
            }
            Self::LinesAmountMismatch => {
                "the line's amount is not quantity x unit price; fix the row or map only one of them"
            }
            Self::BelowMinOrderAmount => {
                "amount below --min-order-amount (e.g. a zero-value order, which is not a purchase)"
            }
            Self::AmountPrecision => {
                "float amount has more decimals than the currency's minor units; round it, or pass it as text or a decimal"
            }
        }
    }
}

/// One rejected row, kept as an example in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// 1-based data row.
    pub row: u64,
    /// The column at fault.
    pub column: String,
    /// The value as read.
    pub value: String,
    /// Reason code.
    pub reason: &'static str,
}

/// How many rows were read, accepted and rejected, and why. Always
/// `rows_read == rows_accepted + rows_rejected`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    /// Data rows read.
    pub rows_read: u64,
    /// Rows that became an order, a line of an order, or a refund.
    pub rows_accepted: u64,
    /// Rows rejected with a reason.
    pub rows_rejected: u64,
    /// Rejections by reason code (sorted).
    pub rejections: BTreeMap<String, u64>,
    /// The first rejected rows (at most 20).
    pub examples: Vec<Rejection>,
    /// Orders in the log (completed and cancelled).
    pub orders: u64,
    /// Accepted rows that were further lines of an order already read.
    pub lines_merged: u64,
    /// Accepted rows read as refunds (cancel prefix or negative amount).
    pub refunds: u64,
    /// Orders with a cancelled status.
    pub cancelled_orders: u64,
    /// Rows kept under the anonymous customer.
    pub anonymous_rows: u64,
    /// Customers in the log.
    pub customers: u64,
    /// Accepted records of a customer table (typed records only; counted in `rows_read` and
    /// `rows_accepted`).
    pub customer_records: u64,
    /// Accepted records of a subscription table (typed records only; counted in `rows_read`
    /// and `rows_accepted`).
    pub subscription_records: u64,
}

/// An order log and the report of how it was read.
#[derive(Debug, Clone)]
pub struct Ingested {
    /// The log.
    pub log: OrderLog,
    /// The accounting of the read.
    pub report: IngestReport,
}

/// A field value as a reader found it.
#[derive(Debug, Clone, Copy)]
pub enum Val<'a> {
    /// Absent or null.
    Null,
    /// Text.
    Str(&'a str),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// An exact decimal.
    Dec(Decimal),
    /// A UTC instant in Unix seconds.
    Unix(i64),
    /// A calendar date.
    Date(chrono::NaiveDate),
}

/// `s.trim()`, without the Unicode scan when both ends are visible ASCII (nearly every id).
#[inline]
fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

impl Val<'_> {
    fn is_blank(&self) -> bool {
        match self {
            Val::Null => true,
            Val::Str(s) => trim(s).is_empty(),
            _ => false,
        }
    }
    fn show(&self) -> String {
        match self {
            Val::Null => String::new(),
            Val::Str(s) => (*s).to_owned(),
            Val::Int(i) | Val::Unix(i) => i.to_string(),
            Val::Float(f) => f.to_string(),
            Val::Dec(d) => d.to_string(),
            Val::Date(d) => d.to_string(),
        }
    }
}

/// The fields of one row, by role.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    /// Customer id.
    pub customer: Val<'a>,
    /// Order id.
    pub order: Val<'a>,
    /// Time.
    pub time: Val<'a>,
    /// Amount.
    pub amount: Val<'a>,
    /// Quantity.
    pub quantity: Val<'a>,
    /// Unit price.
    pub unit_price: Val<'a>,
    /// Currency.
    pub currency: Val<'a>,
    /// Status.
    pub status: Val<'a>,
    /// Kind.
    pub kind: Val<'a>,
    /// Subscription id.
    pub subscription: Val<'a>,
    /// Product / SKU of the line this row is (rows are lines when a SKU column is mapped).
    pub sku: Val<'a>,
}

impl Row<'_> {
    /// A row with every field null.
    #[must_use]
    pub fn empty() -> Self {
        Self {
            customer: Val::Null,
            order: Val::Null,
            time: Val::Null,
            amount: Val::Null,
            quantity: Val::Null,
            unit_price: Val::Null,
            currency: Val::Null,
            status: Val::Null,
            kind: Val::Null,
            subscription: Val::Null,
            sku: Val::Null,
        }
    }
}

/// Resolved column names for messages.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub(crate) customer: String,
    pub(crate) order: String,
    pub(crate) time: String,
    pub(crate) amount: String,
    pub(crate) quantity: String,
    pub(crate) unit_price: String,
    pub(crate) currency: String,
    pub(crate) status: String,
    pub(crate) kind: String,
    pub(crate) sku: String,
}

/// Where accepted rows go: the [`OrderLogBuilder`] (the grouped log every analysis reads), or
/// an accumulator that keeps only what one analysis needs (the streamed customer summary of
/// [`crate::io::summarize_path`]). The [`Ingestor`] applies every policy and does the
/// accounting before a row reaches the sink, so each sink sees exactly the same rows. A sink is
/// `Send`: readers may feed it on a thread of their own while they read on.
pub trait OrderSink: Send {
    /// Records the currency of an amount; a second, different currency is an error.
    fn set_currency(&mut self, code: &str, location: &dyn Fn() -> Location) -> Result<()>;
    /// Appends an order; `Ok(None)` when `order_id` was seen before (the caller applies its
    /// duplicate policy).
    #[allow(clippy::too_many_arguments)]
    fn push_order(
        &mut self,
        customer_id: &str,
        order_id: Option<&str>,
        placed_at: i64,
        day: crate::model::Day,
        amount: Decimal,
        kind: OrderKind,
        status: OrderStatus,
        subscription_id: Option<&str>,
        location: &dyn Fn() -> Location,
    ) -> Result<Option<usize>>;
    /// The index of an order pushed before, by id.
    fn find_order(&self, order_id: &str) -> Option<usize>;
    /// Whether order `i` belongs to `customer_id`.
    fn order_customer_is(&self, i: usize, customer_id: &str) -> bool;
    /// Whether order `i` was placed at `placed_at` (Unix seconds).
    fn order_time_is(&self, i: usize, placed_at: i64) -> bool;
    /// Adds a line's amount to order `i`.
    fn add_line(
        &mut self,
        i: usize,
        amount: Decimal,
        location: &dyn Fn() -> Location,
    ) -> Result<()>;
    /// Records a line (SKU, quantity, unit price) of order `i` (whose amount already includes
    /// it). Sinks that keep no lines ignore it.
    fn push_line(&mut self, _i: usize, _sku: &str, _quantity: Decimal, _unit_price: Decimal) {}
    /// Appends a refund (positive magnitude).
    fn push_refund(
        &mut self,
        customer_id: &str,
        order_id: Option<&str>,
        day: crate::model::Day,
        amount: Decimal,
        location: &dyn Fn() -> Location,
    ) -> Result<()>;
    /// Number of customers seen.
    fn n_customers(&self) -> usize;
    /// Room for about `n` rows (a hint).
    fn reserve(&mut self, _n: usize) {}
    /// Warms the customer lookup for ids about to be pushed (a speed hint).
    fn warm_customers(&self, _ids: &mut dyn Iterator<Item = &str>) {}
    /// [`Self::warm_customers`] for integer ids (read as their decimal text).
    fn warm_customer_numbers(&self, _ids: &mut dyn Iterator<Item = i64>) {}
    /// Whether the sink gave up (it cannot represent this input; the caller falls back to
    /// the grouped log). Readers stop early when it has.
    fn abandoned(&self) -> bool {
        false
    }
    /// Whether the sink takes whole batches of plain new orders ([`Self::push_plain`]); when
    /// it does, the Parquet reader looks for them.
    #[doc(hidden)]
    fn takes_plain(&self) -> bool {
        false
    }
    /// Takes a batch of plain new orders (and their lines) at once, exactly as if each row had
    /// come through [`Self::push_order`] (and [`Self::add_line`]): `Ok(Some(joined))`, where
    /// `joined` says that the batch's first order was further lines of an order read before;
    /// `Ok(None)`, with nothing changed, when it cannot (the caller then sends the rows one by
    /// one).
    #[doc(hidden)]
    fn push_plain(&mut self, _batch: &super::plain::PlainBatch) -> Result<Option<bool>> {
        Ok(None)
    }
}

impl OrderSink for OrderLogBuilder {
    fn set_currency(&mut self, code: &str, location: &dyn Fn() -> Location) -> Result<()> {
        OrderLogBuilder::set_currency(self, code, location)
    }
    fn push_order(
        &mut self,
        customer_id: &str,
        order_id: Option<&str>,
        placed_at: i64,
        day: crate::model::Day,
        amount: Decimal,
        kind: OrderKind,
        status: OrderStatus,
        subscription_id: Option<&str>,
        location: &dyn Fn() -> Location,
    ) -> Result<Option<usize>> {
        OrderLogBuilder::push_order(
            self,
            customer_id,
            order_id,
            placed_at,
            day,
            amount,
            kind,
            status,
            subscription_id,
            location,
        )
    }
    fn find_order(&self, order_id: &str) -> Option<usize> {
        OrderLogBuilder::find_order(self, order_id)
    }
    fn order_customer_is(&self, i: usize, customer_id: &str) -> bool {
        // A further line of the latest order, of its customer: no lookup of the stored text.
        (i + 1 == self.n_orders() && self.last_customer_is(customer_id))
            || self.order_customer(i) == customer_id
    }
    fn order_time_is(&self, i: usize, placed_at: i64) -> bool {
        self.order_placed_at(i) == Some(placed_at)
    }
    fn add_line(
        &mut self,
        i: usize,
        amount: Decimal,
        location: &dyn Fn() -> Location,
    ) -> Result<()> {
        OrderLogBuilder::add_line(self, i, amount, location)
    }
    fn push_line(&mut self, i: usize, sku: &str, quantity: Decimal, unit_price: Decimal) {
        OrderLogBuilder::push_line(self, i, sku, quantity, unit_price);
    }
    fn push_refund(
        &mut self,
        customer_id: &str,
        order_id: Option<&str>,
        day: crate::model::Day,
        amount: Decimal,
        location: &dyn Fn() -> Location,
    ) -> Result<()> {
        OrderLogBuilder::push_refund(self, customer_id, order_id, day, amount, location)
    }
    fn n_customers(&self) -> usize {
        OrderLogBuilder::n_customers(self)
    }
    fn reserve(&mut self, n: usize) {
        OrderLogBuilder::reserve(self, n);
    }
    fn warm_customers(&self, ids: &mut dyn Iterator<Item = &str>) {
        OrderLogBuilder::warm_customers(self, ids);
    }
    fn warm_customer_numbers(&self, ids: &mut dyn Iterator<Item = i64>) {
        OrderLogBuilder::warm_customer_numbers(self, ids);
    }
    #[cfg(feature = "parquet")]
    fn takes_plain(&self) -> bool {
        true
    }
    #[cfg(feature = "parquet")]
    fn push_plain(&mut self, batch: &super::plain::PlainBatch) -> Result<Option<bool>> {
        let r = OrderLogBuilder::push_plain(self, batch);
        #[cfg(test)]
        if r.is_some() {
            super::plain_tests::GROUPED_TAKEN.with(|c| c.set(c.get() + 1));
        }
        Ok(r)
    }
}

/// Turns rows into an [`OrderLog`] (or feeds another [`OrderSink`]), applying the policies
/// of [`ReadOptions`].
#[derive(Debug)]
pub struct Ingestor<S = OrderLogBuilder> {
    opts: ReadOptions,
    time: TimeParser,
    builder: S,
    report: IngestReport,
    names: Names,
    itoa: String,
}

impl Ingestor<OrderLogBuilder> {
    /// An ingestor with these options and column names (for messages).
    pub fn new(opts: &ReadOptions, names: Names) -> Result<Self> {
        Self::with_sink(opts, names, OrderLogBuilder::new(opts.tz()?))
    }

    /// Finishes: sorts the log and returns it with the report.
    #[must_use]
    pub fn finish(self) -> Ingested {
        let log = self.builder.finish();
        let mut report = self.report;
        report.customers = log.n_customers() as u64;
        Ingested { log, report }
    }
}

impl<S: OrderSink> Ingestor<S> {
    /// An ingestor feeding `sink`.
    pub fn with_sink(opts: &ReadOptions, names: Names, mut sink: S) -> Result<Self> {
        let tz = opts.tz()?;
        if let Some(c) = &opts.currency {
            sink.set_currency(c, &Location::default)?;
        }
        Ok(Self {
            time: TimeParser::new(opts.time_format.as_deref(), tz),
            opts: opts.clone(),
            builder: sink,
            report: IngestReport::default(),
            names,
            itoa: String::new(),
        })
    }

    /// The sink and the report (with its customer count).
    #[must_use]
    pub fn into_parts(self) -> (S, IngestReport) {
        let mut report = self.report;
        report.customers = self.builder.n_customers() as u64;
        (self.builder, report)
    }

    /// Whether the sink gave up (see [`OrderSink::abandoned`]); readers stop reading then.
    #[must_use]
    pub fn abandoned(&self) -> bool {
        self.builder.abandoned()
    }

    /// Whether the sink takes batches of plain new orders.
    #[cfg(feature = "parquet")]
    pub(crate) fn takes_plain(&self) -> bool {
        #[cfg(test)]
        if super::plain_tests::ROWS_ONLY.with(std::cell::Cell::get) {
            return false;
        }
        self.builder.takes_plain()
    }

    /// Adds a batch of plain new orders whose first row is `first_row`: the same as adding
    /// each row, when the sink can take the batch whole. `Ok(false)` when it cannot: nothing
    /// changed, and the caller adds the rows one by one.
    #[cfg(feature = "parquet")]
    pub(crate) fn plain_batch(
        &mut self,
        first_row: u64,
        b: &super::plain::PlainBatch,
    ) -> Result<bool> {
        // A minimum order amount may reject rows: those go row by row.
        if self.opts.min_order_amount.is_some() {
            return Ok(false);
        }
        // Row by row, the first row would set the currency first (no row of a plain batch is
        // rejected before that), so a conflicting currency fails at the same row.
        if let Some(cur) = &b.currency {
            let cname = &self.names.currency;
            self.builder
                .set_currency(cur, &|| Location::cell(first_row, cname))?;
        }
        let Some(joined) = self.builder.push_plain(b)? else {
            return Ok(false);
        };
        let rows = b.source_rows as u64;
        let joined_cancelled = joined
            && b.flags
                .first()
                .is_some_and(|f| f & super::plain::CANCELLED != 0);
        let orders = b.rows as u64 - u64::from(joined);
        self.report.rows_read += rows;
        self.report.rows_accepted += rows;
        self.report.orders += orders;
        self.report.lines_merged += rows - orders;
        self.report.cancelled_orders += b.cancelled - u64::from(joined_cancelled);
        Ok(true)
    }

    /// Reserves room for `n` rows.
    pub fn reserve(&mut self, n: usize) {
        self.builder.reserve(n);
    }

    /// Warms the customer lookup for ids about to be read (a speed hint; no effect on results).
    pub fn warm_customers<'a>(&self, mut ids: impl Iterator<Item = &'a str>) {
        self.builder.warm_customers(&mut ids);
    }

    /// Warms the customer lookup for integer ids about to be read (a speed hint).
    pub fn warm_customer_numbers(&self, mut ids: impl Iterator<Item = i64>) {
        self.builder.warm_customer_numbers(&mut ids);
    }

    /// Records a row that could not be split into fields.
    pub fn malformed(&mut self, row: u64, value: &str) -> Result<()> {
        self.report.rows_read += 1;
        self.reject(row, RejectReason::MalformedRow, "", &Val::Str(value))
    }

    fn reject(
        &mut self,
        row: u64,
        reason: RejectReason,
        column: &str,
        value: &Val<'_>,
    ) -> Result<()> {
        if self.opts.bad_rows == BadRows::Error {
            return Err(Error::InvalidValue {
                value: value.show(),
                // A malformed row has no column at fault: name the row only.
                location: if column.is_empty() {
                    Location {
                        row: Some(row),
                        ..Location::default()
                    }
                } else {
                    Location::cell(row, column)
                },
                reason: format!("{} ({})", reason.explain(), reason.code()),
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
                column: column.to_owned(),
                value: value.show(),
                reason: reason.code(),
            });
        }
        Ok(())
    }

    fn parse_time(&self, v: &Val<'_>) -> Option<Instant> {
        match *v {
            Val::Str(s) => self.time.parse_str(s),
            Val::Int(i) => self.time.parse_int(i),
            Val::Unix(s) => self.time.from_unix(s),
            Val::Date(d) => Some(self.time.from_date(d)),
            Val::Float(f) if f.is_finite() && f.fract() == 0.0 => self.time.parse_int(f as i64),
            _ => None,
        }
    }

    /// Adds one row. `Err` only for fatal conditions (mixed currency, policy `error`).
    pub fn row(&mut self, row_no: u64, r: &Row<'_>) -> Result<()> {
        let mut buf = std::mem::take(&mut self.itoa);
        let res = self.row_inner(row_no, r, &mut buf);
        self.itoa = buf;
        res
    }

    fn row_inner(&mut self, row_no: u64, r: &Row<'_>, buf: &mut String) -> Result<()> {
        self.report.rows_read += 1;
        let sku_text: String;
        // Customer.
        let mut anonymous = false;
        let customer: &str = match r.customer {
            ref v if v.is_blank() => {
                if self.opts.missing_customer == MissingCustomer::Reject {
                    let c = self.names.customer.clone();
                    return self.reject(row_no, RejectReason::MissingCustomer, &c, &r.customer);
                }
                anonymous = true;
                buf.clear();
                buf.push_str(&self.opts.anonymous_id);
                buf.as_str()
            }
            Val::Str(s) => trim(s),
            ref other => {
                buf.clear();
                if let Val::Int(i) = other {
                    std::fmt::Write::write_fmt(buf, format_args!("{i}")).ok()
                } else {
                    buf.push_str(&other.show());
                    None
                };
                buf.as_str()
            }
        };
        // Time.
        if r.time.is_blank() {
            let c = self.names.time.clone();
            return self.reject(row_no, RejectReason::MissingTime, &c, &r.time);
        }
        let Some((secs, day)) = self.parse_time(&r.time) else {
            let c = self.names.time.clone();
            return self.reject(row_no, RejectReason::InvalidTime, &c, &r.time);
        };
        // Amount, in the minor units of the row's currency when known.
        let minor = match r.currency {
            Val::Str(c) if !c.trim().is_empty() => Some(crate::model::minor_units(c)),
            _ => self.opts.currency.as_deref().map(crate::model::minor_units),
        };
        // Amount (and, on a line row, its quantity and unit price).
        let mut line: Option<(Decimal, Decimal)> = None;
        let amount = if r.amount.is_blank() {
            if r.quantity.is_blank() && r.unit_price.is_blank() {
                let c = self.names.amount.clone();
                return self.reject(row_no, RejectReason::MissingAmount, &c, &r.amount);
            }
            let Ok(q) = decimal(&r.quantity, None) else {
                let c = self.names.quantity.clone();
                return self.reject(row_no, RejectReason::InvalidQuantity, &c, &r.quantity);
            };
            let p = match decimal(&r.unit_price, minor) {
                Ok(p) => p,
                Err(e) => {
                    let reason = if e == RejectReason::AmountPrecision {
                        e
                    } else {
                        RejectReason::InvalidUnitPrice
                    };
                    let c = self.names.unit_price.clone();
                    return self.reject(row_no, reason, &c, &r.unit_price);
                }
            };
            let Some(amount) = q.checked_mul(p) else {
                let c = self.names.unit_price.clone();
                return self.reject(row_no, RejectReason::InvalidAmount, &c, &r.unit_price);
            };
            line = Some((q, p));
            amount
        } else {
            match decimal(&r.amount, minor) {
                Ok(a) => a,
                Err(reason) => {
                    let c = self.names.amount.clone();
                    return self.reject(row_no, reason, &c, &r.amount);
                }
            }
        };
        // A line row: the SKU, and quantity x unit price equal to the amount when all are given.
        let sku: Option<&str> = match r.sku {
            Val::Null => None,
            Val::Str(s) if !trim(s).is_empty() => Some(trim(s)),
            Val::Str(_) => {
                let c = self.names.sku.clone();
                return self.reject(row_no, RejectReason::MissingSku, &c, &r.sku);
            }
            ref other => {
                sku_text = other.show();
                Some(sku_text.as_str())
            }
        };
        if sku.is_some() && line.is_none() {
            line = Some(
                match (decimal(&r.quantity, None), decimal(&r.unit_price, minor)) {
                    (Ok(q), Ok(p)) if !r.quantity.is_blank() && !r.unit_price.is_blank() => {
                        if q.checked_mul(p) != Some(amount) {
                            let c = self.names.amount.clone();
                            return self.reject(
                                row_no,
                                RejectReason::LinesAmountMismatch,
                                &c,
                                &r.amount,
                            );
                        }
                        (q, p)
                    }
                    (Ok(q), _) if !r.quantity.is_blank() && !q.is_zero() => {
                        (q, (amount / q).normalize())
                    }
                    _ => (Decimal::ONE, amount),
                },
            );
        }
        // Status and kind.
        let status = match r.status {
            ref v if v.is_blank() => OrderStatus::Completed,
            Val::Str(s) => {
                if let Some(s) = OrderStatus::parse(s) {
                    s
                } else {
                    let c = self.names.status.clone();
                    return self.reject(row_no, RejectReason::UnknownStatus, &c, &r.status);
                }
            }
            _ => {
                let c = self.names.status.clone();
                return self.reject(row_no, RejectReason::UnknownStatus, &c, &r.status);
            }
        };
        let kind = match r.kind {
            ref v if v.is_blank() => {
                if r.subscription.is_blank() {
                    OrderKind::OneOff
                } else {
                    OrderKind::Subscription
                }
            }
            Val::Str(s) => {
                if let Some(k) = OrderKind::parse(s) {
                    k
                } else {
                    let c = self.names.kind.clone();
                    return self.reject(row_no, RejectReason::UnknownKind, &c, &r.kind);
                }
            }
            _ => {
                let c = self.names.kind.clone();
                return self.reject(row_no, RejectReason::UnknownKind, &c, &r.kind);
            }
        };
        // Currency.
        if let Val::Str(cur) = r.currency {
            let cname = &self.names.currency;
            self.builder
                .set_currency(cur, &|| Location::cell(row_no, cname))?;
        }
        let order_text;
        let order_id: Option<&str> = match r.order {
            Val::Null => None,
            Val::Str(s) => Some(trim(s)).filter(|t| !t.is_empty()),
            ref other => {
                order_text = other.show();
                Some(order_text.as_str())
            }
        };
        // Refunds: cancellation prefix, or negative amount.
        let cancelled_by_prefix = matches!((order_id, &self.opts.cancel_prefix), (Some(o), Some(p)) if !p.is_empty() && o.starts_with(p.as_str()));
        if cancelled_by_prefix || amount.is_sign_negative() && !amount.is_zero() {
            if !cancelled_by_prefix && !self.opts.negative_as_refund {
                let c = self.names.amount.clone();
                return self.reject(row_no, RejectReason::NegativeAmount, &c, &Val::Dec(amount));
            }
            let linked = match (order_id, &self.opts.cancel_prefix) {
                (Some(o), Some(p)) if cancelled_by_prefix => Some(&o[p.len()..]),
                (o, _) => o,
            };
            let aname = &self.names.amount;
            self.builder
                .push_refund(customer, linked, day, amount.abs(), &|| {
                    Location::cell(row_no, aname)
                })?;
            self.accept(anonymous);
            self.report.refunds += 1;
            return Ok(());
        }
        if self.opts.min_order_amount.is_some_and(|min| amount < min) {
            let c = self.names.amount.clone();
            return self.reject(
                row_no,
                RejectReason::BelowMinOrderAmount,
                &c,
                &Val::Dec(amount),
            );
        }
        let sub = match r.subscription {
            Val::Str(s) if !trim(s).is_empty() => Some(trim(s)),
            _ => None,
        };
        let aname = &self.names.amount;
        let oname = &self.names.order;
        let pushed = self
            .builder
            .push_order(
                customer,
                order_id,
                secs,
                day,
                amount,
                kind,
                status,
                sub,
                &|| Location::cell(row_no, aname),
            )
            // The builder's only option error is an order id on some rows but not others: a
            // data problem, reported at its row and the order-id column.
            .map_err(|e| match e {
                Error::InvalidOption { value, reason, .. } => Error::InvalidValue {
                    value,
                    location: Location::cell(row_no, oname),
                    reason,
                },
                other => other,
            })?;
        if pushed.is_none() {
            let oid = order_id.unwrap_or_default();
            match self.opts.duplicate_order {
                DuplicateOrder::Error => {
                    return Err(Error::DuplicateOrder {
                        order_id: oid.to_owned(),
                        location: Location::cell(row_no, &self.names.order),
                    });
                }
                DuplicateOrder::KeepFirst => {
                    let c = self.names.order.clone();
                    return self.reject(row_no, RejectReason::DuplicateOrder, &c, &Val::Str(oid));
                }
                DuplicateOrder::SumLines | DuplicateOrder::SumAcrossTimes => {
                    let Some(i) = self.builder.find_order(oid) else {
                        return Err(Error::Malformed {
                            location: Location::cell(row_no, &self.names.order),
                            reason: "order index lost".into(),
                        });
                    };
                    if !self.builder.order_customer_is(i, customer) {
                        let c = self.names.order.clone();
                        return self.reject(
                            row_no,
                            RejectReason::OrderCustomerConflict,
                            &c,
                            &Val::Str(oid),
                        );
                    }
                    if self.opts.duplicate_order == DuplicateOrder::SumLines
                        && !self.builder.order_time_is(i, secs)
                    {
                        let c = self.names.order.clone();
                        return self.reject(
                            row_no,
                            RejectReason::DuplicateOrder,
                            &c,
                            &Val::Str(oid),
                        );
                    }
                    let aname = &self.names.amount;
                    self.builder
                        .add_line(i, amount, &|| Location::cell(row_no, aname))?;
                    if let (Some(s), Some((q, p))) = (sku, line) {
                        self.builder.push_line(i, s, q, p);
                    }
                    self.report.lines_merged += 1;
                    self.accept(anonymous);
                    return Ok(());
                }
            }
        }
        if let (Some(i), Some(s), Some((q, p))) = (pushed, sku, line) {
            self.builder.push_line(i, s, q, p);
        }
        if status == OrderStatus::Cancelled {
            self.report.cancelled_orders += 1;
        }
        self.report.orders += 1;
        self.accept(anonymous);
        Ok(())
    }

    fn accept(&mut self, anonymous: bool) {
        self.report.rows_accepted += 1;
        if anonymous {
            self.report.anonymous_rows += 1;
        }
    }
}

/// Reads a decimal from a field value; a float amount in a currency of `minor` units (see
/// [`crate::model::minor_units`]) is money from a float.
fn decimal(v: &Val<'_>, minor: Option<u32>) -> std::result::Result<Decimal, RejectReason> {
    match *v {
        Val::Str(s) => {
            let t = s.trim();
            // rust_decimal reads `1_000` as 1000; a digit separator is not a number here (as
            // `1,000` is not), so the two spellings are rejected alike.
            if t.is_empty() || t.contains('_') {
                return Err(RejectReason::InvalidAmount);
            }
            if let Ok(d) = Decimal::from_str(t) {
                Ok(d)
            } else {
                let l = t.to_ascii_lowercase();
                if matches!(l.trim_start_matches(['+', '-']), "nan" | "inf" | "infinity") {
                    Err(RejectReason::NonFiniteAmount)
                } else {
                    Decimal::from_scientific(t).map_err(|_| RejectReason::InvalidAmount)
                }
            }
        }
        Val::Int(i) => Ok(Decimal::from(i)),
        Val::Dec(d) => Ok(d),
        // Money from floats (docs/ingestion.md): the shortest round-trip text, in the
        // currency's minor units when known.
        Val::Float(f) => crate::model::float_money(f, minor).map_err(|e| match e {
            crate::model::FloatMoneyError::NonFinite => RejectReason::NonFiniteAmount,
            crate::model::FloatMoneyError::Precision => RejectReason::AmountPrecision,
            crate::model::FloatMoneyError::TooLarge => RejectReason::InvalidAmount,
        }),
        _ => Err(RejectReason::InvalidAmount),
    }
}
