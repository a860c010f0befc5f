//! Resolving which input column plays which role.

use super::ingest::Names;
use super::options::ColumnMap;
use crate::{Error, Result};

/// Column positions per role.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    pub(crate) customer: Option<usize>,
    pub(crate) order: Option<usize>,
    pub(crate) time: Option<usize>,
    pub(crate) amount: Option<usize>,
    pub(crate) quantity: Option<usize>,
    pub(crate) unit_price: Option<usize>,
    pub(crate) currency: Option<usize>,
    pub(crate) status: Option<usize>,
    pub(crate) kind: Option<usize>,
    pub(crate) subscription: Option<usize>,
    pub(crate) sku: Option<usize>,
    pub(crate) names: Names,
    pub(crate) width: usize,
}

impl Resolved {
    /// Column position per role, in the order of the fields of [`super::Row`].
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    pub(crate) fn roles(&self) -> [Option<usize>; 11] {
        [
            self.customer,
            self.order,
            self.time,
            self.amount,
            self.quantity,
            self.unit_price,
            self.currency,
            self.status,
            self.kind,
            self.subscription,
            self.sku,
        ]
    }
}

const CUSTOMER: &[&str] = &[
    "customer_id",
    "customer",
    "customerid",
    "user_id",
    "userid",
    "member_id",
    "client_id",
    "buyer_id",
];
const ORDER: &[&str] = &[
    "order_id",
    "orderid",
    "order",
    "invoice",
    "invoiceno",
    "invoice_no",
    "invoice_id",
    "transaction_id",
];
const TIME: &[&str] = &[
    "placed_at",
    "order_date",
    "ordered_at",
    "created_at",
    "order_time",
    "invoicedate",
    "invoice_date",
    "date",
    "datetime",
    "timestamp",
    "time",
];
const AMOUNT: &[&str] = &[
    "amount",
    "total",
    "order_total",
    "dollar_value",
    "revenue",
    "sales",
    "value",
    "net_amount",
];
const QUANTITY: &[&str] = &["quantity", "qty"];
const UNIT_PRICE: &[&str] = &["unit_price", "unitprice", "price"];
const CURRENCY: &[&str] = &["currency", "currency_code"];
const STATUS: &[&str] = &["status", "order_status"];
const KIND: &[&str] = &[
    "kind",
    "order_kind",
    "order_type",
    "purchase_type",
    "is_subscription",
];
const SUBSCRIPTION: &[&str] = &["subscription_id", "subscription"];
const SKU: &[&str] = &[
    "sku",
    "product_id",
    "product",
    "item_id",
    "stockcode",
    "stock_code",
];

fn norm(s: &str) -> String {
    s.trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
}

fn find(
    header: &[String],
    explicit: Option<&String>,
    usual: &[&str],
    role: &str,
) -> Result<Option<usize>> {
    if let Some(name) = explicit {
        // `-`: the input has no such column (a detected one is not read).
        if name == "-" {
            return Ok(None);
        }
        if let Some(i) = header
            .iter()
            .position(|h| h.trim().trim_start_matches('\u{feff}') == name.as_str())
        {
            return Ok(Some(i));
        }
        if let Some(i) = header.iter().position(|h| norm(h) == norm(name)) {
            return Ok(Some(i));
        }
        if let Ok(pos) = name.parse::<usize>() {
            if pos >= 1 && pos <= header.len() {
                return Ok(Some(pos - 1));
            }
        }
        return Err(Error::MissingColumn {
            column: name.clone(),
            hint: format!(
                "given for the {role}; the input has columns {}",
                list(header)
            ),
        });
    }
    let normed: Vec<String> = header.iter().map(|h| norm(h)).collect();
    Ok(usual
        .iter()
        .find_map(|u| normed.iter().position(|h| h == u)))
}

fn list(header: &[String]) -> String {
    let v: Vec<String> = header.iter().map(|h| format!("'{h}'")).collect();
    v.join(", ")
}

/// The roles `header` names, without the checks for required roles and with absent explicit
/// names read as absent: for JSON Lines keys that first appear after the first line.
pub(crate) fn detect(header: &[String], map: &ColumnMap) -> Resolved {
    let f = |explicit: Option<&String>, usual: &[&str]| {
        find(header, explicit, usual, "").ok().flatten()
    };
    Resolved {
        customer: f(map.customer.as_ref(), CUSTOMER),
        order: f(map.order.as_ref(), ORDER),
        time: f(map.time.as_ref(), TIME),
        amount: f(map.amount.as_ref(), AMOUNT),
        quantity: f(map.quantity.as_ref(), QUANTITY),
        unit_price: f(map.unit_price.as_ref(), UNIT_PRICE),
        currency: f(map.currency.as_ref(), CURRENCY),
        status: f(map.status.as_ref(), STATUS),
        kind: f(map.kind.as_ref(), KIND),
        subscription: f(map.subscription.as_ref(), SUBSCRIPTION),
        sku: f(map.sku.as_ref(), SKU),
        names: Names::default(),
        width: header.len(),
    }
}

/// Matches a header against the column map.
pub fn resolve(header: &[String], map: &ColumnMap) -> Result<Resolved> {
    let r = Resolved {
        customer: find(header, map.customer.as_ref(), CUSTOMER, "customer id")?,
        order: find(header, map.order.as_ref(), ORDER, "order id")?,
        time: find(header, map.time.as_ref(), TIME, "order time")?,
        amount: find(header, map.amount.as_ref(), AMOUNT, "amount")?,
        quantity: find(header, map.quantity.as_ref(), QUANTITY, "quantity")?,
        unit_price: find(header, map.unit_price.as_ref(), UNIT_PRICE, "unit price")?,
        currency: find(header, map.currency.as_ref(), CURRENCY, "currency")?,
        status: find(header, map.status.as_ref(), STATUS, "status")?,
        kind: find(header, map.kind.as_ref(), KIND, "kind")?,
        subscription: find(
            header,
            map.subscription.as_ref(),
            SUBSCRIPTION,
            "subscription id",
        )?,
        sku: find(header, map.sku.as_ref(), SKU, "sku")?,
        names: Names::default(),
        width: header.len(),
    };
    let name = |i: Option<usize>, fallback: &str| {
        i.and_then(|i| header.get(i))
            .map_or_else(|| fallback.to_owned(), |h| h.trim().to_owned())
    };
    if r.customer.is_none() {
        return Err(Error::MissingColumn {
            column: "customer id".into(),
            hint: format!(
                "pass --customer-col (JSON: columns.customer); the input has columns {}",
                list(header)
            ),
        });
    }
    if r.time.is_none() {
        return Err(Error::MissingColumn {
            column: "order time".into(),
            hint: format!(
                "pass --time-col (JSON: columns.time); the input has columns {}",
                list(header)
            ),
        });
    }
    if r.amount.is_none() && (r.quantity.is_none() || r.unit_price.is_none()) {
        return Err(Error::MissingColumn {
            column: "amount".into(),
            hint: format!(
                "pass --amount-col, or --quantity-col with --unit-price-col; the input has columns {}",
                list(header)
            ),
        });
    }
    let names = Names {
        customer: name(r.customer, "customer"),
        order: name(r.order, "order"),
        time: name(r.time, "time"),
        amount: name(r.amount, "amount"),
        quantity: name(r.quantity, "quantity"),
        unit_price: name(r.unit_price, "unit_price"),
        currency: name(r.currency, "currency"),
        status: name(r.status, "status"),
        kind: name(r.kind, "kind"),
        sku: name(r.sku, "sku"),
    };
    Ok(Resolved { names, ..r })
}
