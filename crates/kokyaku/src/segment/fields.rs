//! The fields a rule can read, their types, and type checking.

use std::collections::BTreeMap;

use super::ast::{CmpOp, Func, Rule, Scope, Term};
use super::error::{RuleError, RuleErrorKind};

/// The type of a field or value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// A number (counts, money, days, scores).
    Number,
    /// A text.
    Text,
    /// A calendar date.
    Date,
    /// Yes / no.
    Bool,
    /// A set of texts (`products`, an order's `sku`): `=`, `in`, `contains` test membership.
    TextSet,
}

impl FieldType {
    fn name(self) -> &'static str {
        match self {
            Self::Number => "a number",
            Self::Text => "a text",
            Self::Date => "a date",
            Self::Bool => "true or false",
            Self::TextSet => "a set of texts",
        }
    }
    fn example(self) -> &'static str {
        match self {
            Self::Number => "a number such as 2 or 1200",
            Self::Text | Self::TextSet => "a text in quotes such as \"A\"",
            Self::Date => "a date such as 2026-04-01, -90d or as_of",
            Self::Bool => "true or false",
        }
    }
    fn same(self, other: Self) -> bool {
        let t = |x: Self| if x == Self::TextSet { Self::Text } else { x };
        t(self) == t(other)
    }
}

/// The built-in fields of each scope, with their types and meaning (see `docs/segments.md`).
pub const CUSTOMER_FIELDS: &[(&str, FieldType, &str)] = &[
    ("orders", FieldType::Number, "completed orders"),
    (
        "purchase_days",
        FieldType::Number,
        "distinct days with a completed order",
    ),
    (
        "subscription_orders",
        FieldType::Number,
        "completed subscription orders",
    ),
    ("cancelled_orders", FieldType::Number, "cancelled orders"),
    (
        "gross",
        FieldType::Number,
        "gross spend of completed orders",
    ),
    ("refunds", FieldType::Number, "refunds (positive)"),
    ("net", FieldType::Number, "gross minus refunds"),
    (
        "aov",
        FieldType::Number,
        "net spend per completed order (null without orders)",
    ),
    (
        "first_order_date",
        FieldType::Date,
        "day of the first completed order",
    ),
    (
        "last_order_date",
        FieldType::Date,
        "day of the last completed order",
    ),
    (
        "days_since_last_order",
        FieldType::Number,
        "recency: days from the last order to as-of",
    ),
    (
        "days_since_first_order",
        FieldType::Number,
        "days from the first order to as-of",
    ),
    (
        "tenure_days",
        FieldType::Number,
        "days from the first to the last order",
    ),
    (
        "dormant",
        FieldType::Bool,
        "no order for at least dormant_days (120)",
    ),
    (
        "one_off_only",
        FieldType::Bool,
        "has orders, none of them a subscription order",
    ),
    (
        "subscription",
        FieldType::Text,
        "none, active, paused or cancelled",
    ),
    (
        "subscription_cycles",
        FieldType::Number,
        "most cycles of any subscription",
    ),
    (
        "products",
        FieldType::TextSet,
        "SKUs bought in completed orders (with order lines)",
    ),
    (
        "rfm.r",
        FieldType::Number,
        "recency score (null without orders)",
    ),
    ("rfm.f", FieldType::Number, "frequency score"),
    ("rfm.m", FieldType::Number, "monetary score"),
    ("rfm.segment", FieldType::Text, "RFM segment name"),
    (
        "cpm.class",
        FieldType::Text,
        "CPM class id, e.g. steady_active",
    ),
    ("birth_date", FieldType::Date, "date of birth"),
    ("age", FieldType::Number, "full years at as-of"),
    ("age_band", FieldType::Text, "decade of age: 20-29"),
    ("birthday_month", FieldType::Number, "month of birth (1-12)"),
    (
        "days_to_birthday",
        FieldType::Number,
        "days from as-of to the next birthday (0 on it)",
    ),
    ("signup_date", FieldType::Date, "sign-up day"),
    (
        "days_since_signup",
        FieldType::Number,
        "days from sign-up to as-of",
    ),
    (
        "p_alive",
        FieldType::Number,
        "P(alive) from a fitted LTV model",
    ),
    (
        "expected_orders",
        FieldType::Number,
        "expected orders in the horizon, from a fitted LTV model",
    ),
    (
        "clv",
        FieldType::Number,
        "customer lifetime value from a fitted LTV model",
    ),
];

/// Fields of one completed order (`any order (…)`).
pub const ORDER_FIELDS: &[(&str, FieldType, &str)] = &[
    ("placed_at", FieldType::Date, "day the order was placed"),
    ("amount", FieldType::Number, "gross amount"),
    ("kind", FieldType::Text, "one_off or subscription"),
    ("sku", FieldType::TextSet, "SKUs of its lines"),
];

/// Fields of one line of a completed order (`any line (…)`).
pub const LINE_FIELDS: &[(&str, FieldType, &str)] = &[
    ("sku", FieldType::Text, "the product"),
    ("quantity", FieldType::Number, "quantity"),
    ("unit_price", FieldType::Number, "price per unit"),
    ("amount", FieldType::Number, "quantity x unit price"),
    ("placed_at", FieldType::Date, "day of its order"),
];

/// Fields of one subscription contract (`any subscription (…)`).
pub const SUBSCRIPTION_FIELDS: &[(&str, FieldType, &str)] = &[
    ("product", FieldType::Text, "product subscribed to"),
    ("status", FieldType::Text, "active, paused or cancelled"),
    ("cycles", FieldType::Number, "deliveries made"),
    ("started_at", FieldType::Date, "start day"),
    ("cancelled_at", FieldType::Date, "cancellation day"),
];

/// The predicted fields (present only with a fitted LTV model's columns).
pub const PREDICTED: &[&str] = &["p_alive", "expected_orders", "clv"];

/// Which fields exist for one evaluation: the built-ins plus extra per-customer columns
/// supplied by other modules (loyalty `stage`, `points` …).
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Extra customer fields by name.
    pub extra: BTreeMap<String, FieldType>,
    /// Whether predicted fields (`p_alive` …) are available.
    pub predicted: bool,
    /// The log's orders are flagged as subscription orders but it has no subscription table:
    /// a quantifier over subscriptions is a `rule_type` error (their status is unknown).
    pub subscriptions_unknown: bool,
}

impl Catalog {
    /// The type of `name` in `scope` (`None`: customer level).
    pub(crate) fn lookup(&self, scope: Option<Scope>, name: &str) -> Result<FieldType, String> {
        let table = match scope {
            None => CUSTOMER_FIELDS,
            Some(Scope::Order) => ORDER_FIELDS,
            Some(Scope::Line) => LINE_FIELDS,
            Some(Scope::Subscription) => SUBSCRIPTION_FIELDS,
        };
        if scope.is_none() {
            if let Some(t) = self.extra.get(name) {
                return Ok(*t);
            }
            if let Some(attr) = name.strip_prefix("attr.") {
                if !attr.is_empty() && !attr.contains('`') {
                    return Ok(FieldType::Text);
                }
            }
            if name == "clv" && !self.predicted && self.extra.contains_key("p_alive") {
                return Err(
                    "field 'clv' needs a spend model as well: pass a saved Gamma-Gamma fit (kokyaku segment --spend-params GG.json; spend_fit in the bindings)"
                        .to_owned(),
                );
            }
            if PREDICTED.contains(&name) && !self.predicted {
                return Err(format!(
                    "field '{name}' needs a fitted LTV model: pass a saved fit (kokyaku ltv fit -o FIT.json, then kokyaku segment --params FIT.json; fit in the bindings)"
                ));
            }
            if matches!(name, "stage" | "points") {
                return Err(format!(
                    "field '{name}' needs a loyalty programme: pass one (kokyaku segment --program PROGRAM.json; program in the bindings)"
                ));
            }
        }
        if let Some((_, t, _)) = table.iter().find(|(n, _, _)| *n == name) {
            return Ok(*t);
        }
        let mut known: Vec<String> = table
            .iter()
            .filter(|(n, _, _)| scope.is_some() || self.predicted || !PREDICTED.contains(n))
            .map(|(n, _, _)| (*n).to_owned())
            .collect();
        if scope.is_none() {
            known.extend(self.extra.keys().cloned());
            known.push("attr.NAME".into());
        }
        let place = scope.map_or_else(|| "customer".to_owned(), |s| s.as_str().to_owned());
        Err(format!(
            "unknown {place} field '{name}'; known fields: {}",
            known.join(", ")
        ))
    }
}

/// Checks the types of a rule against `catalog`; errors point into `text`, the rule's
/// canonical text, through `spans` (one per operand, in visiting order).
pub(crate) struct Checker<'a> {
    pub(crate) catalog: &'a Catalog,
    pub(crate) text: &'a str,
    pub(crate) spans: &'a [(usize, usize)],
    pub(crate) next: usize,
}

impl Checker<'_> {
    /// The span of the quantifier (`any` / `all` / `count` … `subscription`) whose inner rule
    /// starts at the next operand: found backwards from that operand in the text.
    fn quantifier_span(&self) -> (usize, usize) {
        let inner = self
            .spans
            .get(self.next)
            .map_or(self.text.len(), |s| s.0)
            .min(self.text.len());
        let before = self.text.get(..inner).unwrap_or("");
        let Some(sub) = before.rfind("subscription") else {
            return (0, self.text.len());
        };
        let head = &before[..sub];
        let start = ["any", "all", "count"]
            .iter()
            .filter_map(|k| head.rfind(k))
            .max()
            .unwrap_or(sub);
        (start, sub + "subscription".len() - start)
    }

    fn fail(&self, span: (usize, usize), message: String, hint: String) -> RuleError {
        RuleError {
            kind: RuleErrorKind::Type,
            message,
            position: span.0,
            length: span.1,
            rule: self.text.to_owned(),
            hint: Some(hint),
        }
    }

    fn term(
        &mut self,
        scope: Option<Scope>,
        t: &Term,
    ) -> Result<(FieldType, (usize, usize)), RuleError> {
        let span = self
            .spans
            .get(self.next)
            .copied()
            .unwrap_or((0, self.text.len()));
        self.next += 1;
        let ty = self.term_type(scope, t, span)?;
        Ok((ty, span))
    }

    pub(crate) fn term_type(
        &self,
        scope: Option<Scope>,
        t: &Term,
        span: (usize, usize),
    ) -> Result<FieldType, RuleError> {
        Ok(match t {
            Term::Field(name) => self.catalog.lookup(scope, name).map_err(|m| {
                self.fail(
                    span,
                    m,
                    "check the spelling; docs/segments.md lists every field".into(),
                )
            })?,
            Term::Number(_) => FieldType::Number,
            Term::Text(_) => FieldType::Text,
            Term::Bool(_) => FieldType::Bool,
            Term::Date(_) | Term::Relative(_) | Term::Named(_) => FieldType::Date,
            Term::Call { func, arg } => {
                let a = self.term_type(scope, arg, span)?;
                if a != FieldType::Date {
                    return Err(self.fail(
                        span,
                        format!("{}() takes a date, got {}", func.as_str(), a.name()),
                        format!("{}(birth_date), {}(as_of)", func.as_str(), func.as_str()),
                    ));
                }
                match func {
                    Func::Anniversary => FieldType::Date,
                    Func::Month | Func::Year | Func::Day => FieldType::Number,
                }
            }
        })
    }

    fn expect_same(
        &self,
        left: FieldType,
        right: FieldType,
        span: (usize, usize),
        t: &Term,
    ) -> Result<(), RuleError> {
        if left.same(right) {
            return Ok(());
        }
        let found = match t {
            Term::Text(s) => format!("text {}", super::print::quote(s)),
            Term::Number(x) => format!("number {x}"),
            other => format!("{} ({other})", right.name()),
        };
        let hint = match (left, t) {
            (FieldType::Number, Term::Text(s)) if s.trim().parse::<f64>().is_ok() => {
                format!("write the number without quotes: {}", s.trim())
            }
            _ => format!("compare with {}", left.example()),
        };
        Err(self.fail(
            span,
            format!("expected {}, found {found}", left.name()),
            hint,
        ))
    }

    /// Checks `rule` in `scope` (`None`: customer level).
    pub(crate) fn rule(&mut self, scope: Option<Scope>, rule: &Rule) -> Result<(), RuleError> {
        match rule {
            Rule::And { rules } | Rule::Or { rules } => {
                if rules.len() < 2 {
                    return Err(self.fail(
                        (0, self.text.len()),
                        "and / or need at least two rules".into(),
                        "drop the and / or around a single rule".into(),
                    ));
                }
                for r in rules {
                    self.rule(scope, r)?;
                }
            }
            Rule::Not { rule } => self.rule(scope, rule)?,
            Rule::Compare { left, cmp, right } => {
                let (lt, _) = self.term(scope, left)?;
                let (rt, rspan) = self.term(scope, right)?;
                self.expect_same(lt, rt, rspan, right)?;
                let ordered = matches!(lt, FieldType::Number | FieldType::Date);
                if !ordered && !matches!(cmp, CmpOp::Eq | CmpOp::Ne) {
                    return Err(self.fail(
                        rspan,
                        format!(
                            "'{}' needs numbers or dates, and {} is {}",
                            cmp.as_str(),
                            left,
                            lt.name()
                        ),
                        "compare texts with = or !=, or use in / starts_with / contains".into(),
                    ));
                }
            }
            Rule::Between { term, low, high } => {
                let (t, span) = self.term(scope, term)?;
                if !matches!(t, FieldType::Number | FieldType::Date) {
                    return Err(self.fail(
                        span,
                        format!(
                            "between needs a number or a date, and {term} is {}",
                            t.name()
                        ),
                        "age between 20 and 29".into(),
                    ));
                }
                let (lt, ls) = self.term(scope, low)?;
                self.expect_same(t, lt, ls, low)?;
                let (ht, hs) = self.term(scope, high)?;
                self.expect_same(t, ht, hs, high)?;
            }
            Rule::In { term, values, .. } => {
                let (t, _) = self.term(scope, term)?;
                if values.is_empty() {
                    return Err(self.fail(
                        (0, self.text.len()),
                        "in needs at least one value".into(),
                        "x in (\"a\", \"b\")".into(),
                    ));
                }
                for v in values {
                    let (vt, vs) = self.term(scope, v)?;
                    self.expect_same(t, vt, vs, v)?;
                }
            }
            Rule::IsNull { term, .. } => {
                self.term(scope, term)?;
            }
            Rule::Contains { term, value } | Rule::StartsWith { term, value } => {
                let (t, span) = self.term(scope, term)?;
                if !t.same(FieldType::Text) {
                    return Err(self.fail(
                        span,
                        format!("{term} is {}, not a text", t.name()),
                        "contains and starts_with read texts: attr.channel starts_with \"ad_\""
                            .into(),
                    ));
                }
                let (vt, vs) = self.term(scope, value)?;
                self.expect_same(FieldType::Text, vt, vs, value)?;
            }
            Rule::Is { term } => {
                let (t, span) = self.term(scope, term)?;
                if t != FieldType::Bool {
                    return Err(self.fail(
                        span,
                        format!("{term} is {}, not a condition", t.name()),
                        format!("compare it: {term} >= 1, {term} = \"…\""),
                    ));
                }
            }
            Rule::Any { scope: s, rule }
            | Rule::All { scope: s, rule }
            | Rule::Count { scope: s, rule, .. } => {
                if scope.is_some() {
                    return Err(self.fail(
                        (0, self.text.len()),
                        "a quantifier inside a quantifier".into(),
                        "quantify once: any line (…) reads order fields such as placed_at".into(),
                    ));
                }
                if *s == Scope::Subscription && self.catalog.subscriptions_unknown {
                    return Err(self.fail(
                        self.quantifier_span(),
                        "a quantifier over subscriptions reads the subscription table, and this log has none: its orders are flagged as subscription orders, so contracts exist but their product, status and cycles are unknown".into(),
                        "attach the subscription table (subscriptions records in the bindings), or use the customer fields inferred from the orders: subscription = \"active\", subscription_cycles".into(),
                    ));
                }
                self.rule(Some(*s), rule)?;
            }
        }
        Ok(())
    }
}
