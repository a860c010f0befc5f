//! Segment rules: which customers a CRM scenario targets ("one-off buyers 14–60 days after
//! their first order", "no order for 120 days", "birthday this month").
//!
//! One rule model ([`Rule`]) with two faces, each convertible to the other without loss:
//! JSON (serde; what a rule builder saves) and a small text language ([`parse`], and
//! [`std::fmt::Display`] for the canonical text):
//!
//! ```
//! use kokyaku::segment::{Rule, parse};
//! let rule = parse(r#"orders >= 2 and days_since_last_order > 120 and not subscription = "active""#)?;
//! let json = rule.to_json()?;
//! let back: Rule = serde_json::from_str(&json).unwrap();
//! assert_eq!(back, rule);
//! assert_eq!(back.to_string(), r#"orders >= 2 and days_since_last_order > 120 and not subscription = "active""#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Evaluation** is columnar: a [`Segmenter`] holds the per-customer data (the
//! [`crate::summary::CustomerSummaries`], the log, and every column a rule reads, computed once on
//! first use) and evaluates a rule clause by clause, one pass over a column per clause, into a
//! yes/no vector; many rules over one log share the columns. Quantifiers (`any` / `all` /
//! `count … >= n`) evaluate their rule over every order, line or subscription, then count per
//! customer, so `any subscription (product = "A" and status = "active")` needs one subscription
//! that is both. [`Segmenter::explain`] gives each clause's value and the field values it read.
//!
//! **Predictions and loyalty**: a [`SegmentExtras`] (a saved LTV fit as [`Predictions`], a
//! loyalty programme as [`LoyaltyFields`]) adds `p_alive`, `expected_orders`, `clv` and
//! `stage`, `points`, computed on first use ([`Segmenter::with_extras`], [`evaluate_with`]);
//! the CLI and every binding go through it. Other modules can supply any per-customer column
//! with [`Segmenter::add_field`] and an [`ExtraColumn`] (numbers, texts or dates, one per
//! customer in the log's customer order). Unknown fields are a `rule_type` error listing the
//! known ones.
//!
//! Dates: `2026-04-01`; relative to the analysis date `-90d`, `+30d`, `-4w`, `-12m`, `+1y`; `today`
//! and `as_of` (both the analysis date: days are counted in the log's time zone and a run is
//! reproducible; pass the run's date as `as_of`). `anniversary(birth_date)` is the next birthday
//! on or after as-of; a 29 February birthday falls on 28 February in common years (and age
//! increases on that day). See `docs/segments.md`.

mod ast;
mod customers;
mod error;
mod eval;
mod extras;
mod fields;
mod parse;
mod presets;
mod print;

pub use ast::{CmpOp, DateUnit, Func, NamedDate, RelDate, Rule, Scope, Term};
#[cfg(feature = "parquet")]
pub use customers::read_customers_parquet;
pub use customers::{CustomerReport, CustomerTable, read_customers_csv, read_customers_records};
pub use error::{RuleError, RuleErrorKind};
pub use eval::{
    Explanation, ExtraColumn, FieldValue, ItemCount, SegmentOptions, Segmenter, age_years,
    anniversary,
};
pub use extras::{EXTRA_KEYS, LOYALTY_FIELDS, LoyaltyFields, Predictions, SegmentExtras};
pub use fields::{
    CUSTOMER_FIELDS, Catalog, FieldType, LINE_FIELDS, ORDER_FIELDS, SUBSCRIPTION_FIELDS,
};
pub use parse::parse;
pub use presets::{PRESETS, Preset, preset};

use serde::{Deserialize, Serialize};

use crate::model::OrderLog;
use crate::summary::summarize;
use crate::{Error, Result};

/// Checks a rule's fields and types against `catalog`. Positions refer to the rule's canonical
/// text (`rule.to_string()`).
///
/// # Errors
/// A `rule_type` [`RuleError`].
pub fn check(rule: &Rule, catalog: &Catalog) -> Result<(), RuleError> {
    if depth(rule) > parse::MAX_DEPTH {
        return Err(RuleError {
            kind: RuleErrorKind::Type,
            message: format!(
                "rule nested too deeply (more than {} levels)",
                parse::MAX_DEPTH
            ),
            position: 0,
            length: 0,
            rule: String::new(),
            hint: Some("flatten the rule: a and b and c needs no nesting".into()),
        });
    }
    let text = rule.to_string();
    let spans = parse::parse_spans(&text)
        .map(|p| p.spans)
        .unwrap_or_default();
    let mut c = fields::Checker {
        catalog,
        text: &text,
        spans: &spans,
        next: 0,
    };
    c.rule(None, rule)
}

fn term_depth(t: &Term) -> usize {
    match t {
        Term::Call { arg, .. } => 1 + term_depth(arg),
        _ => 1,
    }
}

/// Nesting depth of a rule (recursion is bounded by [`parse::MAX_DEPTH`] before any deep pass).
fn depth(rule: &Rule) -> usize {
    fn go(r: &Rule, d: usize) -> usize {
        if d > parse::MAX_DEPTH + 1 {
            return d;
        }
        match r {
            Rule::And { rules } | Rule::Or { rules } => {
                rules.iter().map(|x| go(x, d + 1)).max().unwrap_or(d)
            }
            Rule::Not { rule }
            | Rule::Any { rule, .. }
            | Rule::All { rule, .. }
            | Rule::Count { rule, .. } => go(rule, d + 1),
            Rule::Compare { left, right, .. } => d + term_depth(left).max(term_depth(right)),
            Rule::Between { term, low, high } => {
                d + term_depth(term).max(term_depth(low)).max(term_depth(high))
            }
            Rule::In { term, values, .. } => {
                d + values
                    .iter()
                    .map(term_depth)
                    .max()
                    .unwrap_or(0)
                    .max(term_depth(term))
            }
            Rule::IsNull { term, .. } | Rule::Is { term } => d + term_depth(term),
            Rule::Contains { term, value } | Rule::StartsWith { term, value } => {
                d + term_depth(term).max(term_depth(value))
            }
        }
    }
    go(rule, 0)
}

/// Parses a rule's text and checks it against the built-in fields (and `catalog`'s extras).
/// Type errors point into `text` itself.
///
/// # Errors
/// `rule_syntax` or `rule_type`.
pub fn parse_checked(text: &str, catalog: &Catalog) -> Result<Rule> {
    let p = parse::parse_spans(text)?;
    let mut c = fields::Checker {
        catalog,
        text,
        spans: &p.spans,
        next: 0,
    };
    c.rule(None, &p.rule)?;
    Ok(p.rule)
}

/// A rule as given by a caller: its text, or its JSON form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RuleSource {
    /// The text language.
    Text(String),
    /// The JSON form.
    Json(Rule),
}

impl RuleSource {
    /// The rule (text parsed and checked; JSON checked).
    ///
    /// # Errors
    /// `rule_syntax` or `rule_type`.
    pub fn rule(&self, catalog: &Catalog) -> Result<Rule> {
        match self {
            Self::Text(t) => parse_checked(t, catalog),
            Self::Json(r) => {
                check(r, catalog)?;
                Ok(r.clone())
            }
        }
    }
}

/// Reads a rule from its JSON form.
///
/// # Errors
/// `rule_syntax` when the JSON is not a rule (position = byte offset in the JSON).
pub fn from_json(json: &str) -> Result<Rule> {
    serde_json::from_str(json).map_err(|e| {
        let pos = json
            .lines()
            .take(e.line().saturating_sub(1))
            .map(|l| l.len() + 1)
            .sum::<usize>()
            + e.column().saturating_sub(1);
        Error::from(RuleError::syntax(json, pos.min(json.len()), 1, format!("not a rule in JSON: {e}"))
            .hint("a rule is {\"op\": \"compare\", \"left\": {\"field\": \"orders\"}, \"cmp\": \">=\", \"right\": {\"number\": 2}}; see docs/segments.md"))
    })
}

/// The members of one named rule: customer ids in the log's customer order, and their count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SegmentMembers {
    /// The rule's name (the preset's name, or the key in a rules file).
    pub name: String,
    /// The rule's canonical text.
    pub rule: String,
    /// Number of members.
    pub count: usize,
    /// Member ids, in the log's customer order.
    pub customer_ids: Vec<String>,
}

impl Segmenter<'_> {
    /// Explains `rule` for the customer with id `customer_id`.
    ///
    /// # Errors
    /// `rule_type`; `invalid_value` when the customer is not in the log.
    pub fn explain(&self, rule: &Rule, customer_id: &str) -> Result<Explanation> {
        self.check(rule)?;
        let c = self.find(customer_id)?;
        self.explain_at(rule, c)
    }

    /// Members of each named rule, sharing the per-customer data.
    ///
    /// # Errors
    /// As [`Segmenter::evaluate`].
    pub fn members_of(&self, rules: &[(String, Rule)]) -> Result<Vec<SegmentMembers>> {
        rules
            .iter()
            .map(|(name, rule)| {
                let m = self.members(rule)?;
                Ok(SegmentMembers {
                    name: name.clone(),
                    rule: rule.to_string(),
                    count: m.len(),
                    customer_ids: m
                        .into_iter()
                        .map(|i| self.customer_id(i).to_owned())
                        .collect(),
                })
            })
            .collect()
    }
}

/// Segment members of many rules over one log (the summary is built once, with `opts`).
///
/// # Errors
/// `rule_syntax`, `rule_type`, or an RFM / CPM option error.
pub fn evaluate(
    log: &OrderLog,
    rules: &[(String, RuleSource)],
    opts: &SegmentOptions,
) -> Result<Vec<SegmentMembers>> {
    evaluate_with(log, rules, opts, &SegmentExtras::default())
}

/// As [`evaluate`], with LTV predictions and / or loyalty fields.
///
/// # Errors
/// As [`evaluate`]; the errors of computing the extras (a bad horizon, `points_shortfall` …).
pub fn evaluate_with(
    log: &OrderLog,
    rules: &[(String, RuleSource)],
    opts: &SegmentOptions,
    extras: &SegmentExtras,
) -> Result<Vec<SegmentMembers>> {
    let s = summarize(log, &opts.summary);
    let mut seg = Segmenter::new(log, &s, opts.clone());
    seg.with_extras(extras);
    let parsed = rules
        .iter()
        .map(|(n, r)| Ok((n.clone(), r.rule(seg.catalog())?)))
        .collect::<Result<Vec<_>>>()?;
    seg.members_of(&parsed)
}

/// Explains one rule for one customer of `log`.
///
/// # Errors
/// As [`Segmenter::explain`].
pub fn explain(
    log: &OrderLog,
    rule: &RuleSource,
    customer_id: &str,
    opts: &SegmentOptions,
) -> Result<Explanation> {
    explain_with(log, rule, customer_id, opts, &SegmentExtras::default())
}

/// As [`explain`], with LTV predictions and / or loyalty fields.
///
/// # Errors
/// As [`explain`] and [`evaluate_with`].
pub fn explain_with(
    log: &OrderLog,
    rule: &RuleSource,
    customer_id: &str,
    opts: &SegmentOptions,
    extras: &SegmentExtras,
) -> Result<Explanation> {
    let s = summarize(log, &opts.summary);
    let mut seg = Segmenter::new(log, &s, opts.clone());
    seg.with_extras(extras);
    let r = rule.rule(seg.catalog())?;
    seg.explain(&r, customer_id)
}

/// `p_alive`, `expected_orders` and `clv` columns computed elsewhere, in customer order, to pass
/// to [`Segmenter::add_field`]. [`Predictions`] computes them from a saved fit.
#[must_use]
pub fn predicted_fields(
    p_alive: Vec<f64>,
    expected_orders: Vec<f64>,
    clv: Vec<f64>,
) -> Vec<(String, ExtraColumn)> {
    vec![
        ("p_alive".into(), ExtraColumn::Number(p_alive)),
        (
            "expected_orders".into(),
            ExtraColumn::Number(expected_orders),
        ),
        ("clv".into(), ExtraColumn::Number(clv)),
    ]
}

impl Segmenter<'_> {
    fn find(&self, id: &str) -> Result<usize> {
        self.log_ref()
            .find_customer(id)
            .ok_or_else(|| Error::InvalidValue {
                value: id.to_owned(),
                location: crate::Location::customer(id),
                reason: "no such customer in the log (or its customers file)".into(),
            })
    }
    fn customer_id(&self, i: usize) -> &str {
        self.log_ref().customer_id(i)
    }
}
