//! The rule AST: one model, with a JSON face (serde) and a text face ([`std::fmt::Display`]
//! and [`super::parse`]), each convertible to the other without loss.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A segment rule. JSON: `{"op": "and", "rules": [...]}`, `{"op": "compare", "left": {"field":
/// "orders"}, "cmp": ">=", "right": {"number": 2}}` … (see `docs/segments.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    /// Every rule holds (at least two).
    And {
        /// The conjuncts.
        rules: Vec<Rule>,
    },
    /// At least one rule holds (at least two).
    Or {
        /// The disjuncts.
        rules: Vec<Rule>,
    },
    /// The rule does not hold.
    Not {
        /// The negated rule.
        rule: Box<Rule>,
    },
    /// `left cmp right`.
    Compare {
        /// Left operand.
        left: Term,
        /// Comparison.
        cmp: CmpOp,
        /// Right operand.
        right: Term,
    },
    /// `term between low and high` (inclusive).
    Between {
        /// The tested value.
        term: Term,
        /// Lower bound, inclusive.
        low: Term,
        /// Upper bound, inclusive.
        high: Term,
    },
    /// `term in (v, …)`, or `term not in (…)` when `negated`.
    In {
        /// The tested value.
        term: Term,
        /// The listed values (at least one).
        values: Vec<Term>,
        /// `not in`.
        #[serde(default, skip_serializing_if = "is_false")]
        negated: bool,
    },
    /// `term is null`, or `term is not null` when `negated`.
    IsNull {
        /// The tested value.
        term: Term,
        /// `is not null`.
        #[serde(default, skip_serializing_if = "is_false")]
        negated: bool,
    },
    /// `term contains value` (substring of a text; member of a set such as `products`).
    Contains {
        /// The tested value.
        term: Term,
        /// The looked-for text.
        value: Term,
    },
    /// `term starts_with value`.
    StartsWith {
        /// The tested value.
        term: Term,
        /// The prefix.
        value: Term,
    },
    /// A yes/no field on its own (`dormant`, `one_off_only`).
    Is {
        /// The field.
        term: Term,
    },
    /// `any SCOPE (rule)`: at least one item of the scope satisfies the rule.
    Any {
        /// Orders, lines or subscriptions of the customer.
        scope: Scope,
        /// The rule over one item.
        rule: Box<Rule>,
    },
    /// `all SCOPE (rule)`: every item satisfies the rule (true without items).
    All {
        /// Orders, lines or subscriptions of the customer.
        scope: Scope,
        /// The rule over one item.
        rule: Box<Rule>,
    },
    /// `count SCOPE (rule) cmp n`: the number of items satisfying the rule, compared.
    Count {
        /// Orders, lines or subscriptions of the customer.
        scope: Scope,
        /// The rule over one item.
        rule: Box<Rule>,
        /// Comparison.
        cmp: CmpOp,
        /// The count compared with.
        n: u32,
    },
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if takes a reference
fn is_false(b: &bool) -> bool {
    !*b
}

/// What a quantifier ranges over: a customer's completed orders, the lines of those orders, or
/// the customer's subscription contracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Completed orders.
    Order,
    /// Lines of completed orders.
    Line,
    /// Subscription contracts (from a subscription table).
    Subscription,
}

impl Scope {
    /// The keyword.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Order => "order",
            Self::Line => "line",
            Self::Subscription => "subscription",
        }
    }
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CmpOp {
    /// Equal.
    #[serde(rename = "=")]
    Eq,
    /// Not equal.
    #[serde(rename = "!=")]
    Ne,
    /// Less than.
    #[serde(rename = "<")]
    Lt,
    /// At most.
    #[serde(rename = "<=")]
    Le,
    /// Greater than.
    #[serde(rename = ">")]
    Gt,
    /// At least.
    #[serde(rename = ">=")]
    Ge,
}

impl CmpOp {
    /// The symbol.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
        }
    }
    /// Whether `ordering` (left compared with right) satisfies the comparison.
    #[must_use]
    pub fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match self {
            Self::Eq => ordering == Equal,
            Self::Ne => ordering != Equal,
            Self::Lt => ordering == Less,
            Self::Le => ordering != Greater,
            Self::Gt => ordering == Greater,
            Self::Ge => ordering != Less,
        }
    }
    /// `a cmp b` on numbers (false when either is NaN, except `!=`), exactly.
    #[inline]
    #[allow(clippy::float_cmp)] // rule values are exact numbers written by people
    #[must_use]
    pub fn num(self, a: f64, b: f64) -> bool {
        match self {
            Self::Eq => a == b,
            Self::Ne => a != b,
            Self::Lt => a < b,
            Self::Le => a <= b,
            Self::Gt => a > b,
            Self::Ge => a >= b,
        }
    }
}

/// An operand: a field, a literal, a date, or a function of one of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Term {
    /// A field by name: `orders`, `rfm.segment`, `attr.prefecture`; inside a quantifier, a field
    /// of the item (`sku`, `placed_at`, `status` …).
    Field(String),
    /// A number.
    Number(f64),
    /// A text.
    Text(String),
    /// `true` / `false`.
    Bool(bool),
    /// A calendar date (`2026-04-01`).
    Date(NaiveDate),
    /// A date relative to the analysis date (`-90d`, `+30d`, `-4w`, `-12m`, `+1y`).
    Relative(RelDate),
    /// `today` or `as_of`: the analysis date.
    Named(NamedDate),
    /// A function of one operand: `month(as_of)`, `anniversary(birth_date)`.
    Call {
        /// The function.
        func: Func,
        /// Its argument.
        arg: Box<Term>,
    },
}

/// `today` or `as_of` (both the analysis date; see `docs/segments.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NamedDate {
    /// `today`.
    Today,
    /// `as_of`.
    AsOf,
}

/// A function of one operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Func {
    /// The month (1–12) of a date.
    Month,
    /// The year of a date.
    Year,
    /// The day of the month of a date.
    Day,
    /// The next anniversary of a date on or after the analysis date (29 February falls on
    /// 28 February in common years).
    Anniversary,
}

impl Func {
    /// The name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Month => "month",
            Self::Year => "year",
            Self::Day => "day",
            Self::Anniversary => "anniversary",
        }
    }
    /// By name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "month" => Self::Month,
            "year" => Self::Year,
            "day" => Self::Day,
            "anniversary" => Self::Anniversary,
            _ => return None,
        })
    }
}

/// A date offset from the analysis date: `amount` days, weeks, months or years. Written (text and
/// JSON alike) as `-90d`, `+30d`, `-4w`, `-12m`, `+1y`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RelDate {
    /// Signed count of units.
    pub amount: i32,
    /// The unit.
    pub unit: DateUnit,
}

/// The unit of a [`RelDate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DateUnit {
    /// Days (`d`).
    Day,
    /// Weeks of 7 days (`w`).
    Week,
    /// Calendar months (`m`; the day is clamped to the month's length).
    Month,
    /// Calendar years (`y`; 29 February becomes 28 February in common years).
    Year,
}

impl DateUnit {
    fn letter(self) -> char {
        match self {
            Self::Day => 'd',
            Self::Week => 'w',
            Self::Month => 'm',
            Self::Year => 'y',
        }
    }
    pub(crate) fn of_letter(c: char) -> Option<Self> {
        Some(match c {
            'd' => Self::Day,
            'w' => Self::Week,
            'm' => Self::Month,
            'y' => Self::Year,
            _ => return None,
        })
    }
}

impl RelDate {
    /// The date `self` away from `base`.
    #[must_use]
    pub fn from(self, base: NaiveDate) -> Option<NaiveDate> {
        use chrono::{Days, Months};
        let n = self.amount.unsigned_abs();
        match (self.unit, self.amount >= 0) {
            (DateUnit::Day, true) => base.checked_add_days(Days::new(u64::from(n))),
            (DateUnit::Day, false) => base.checked_sub_days(Days::new(u64::from(n))),
            (DateUnit::Week, true) => base.checked_add_days(Days::new(u64::from(n) * 7)),
            (DateUnit::Week, false) => base.checked_sub_days(Days::new(u64::from(n) * 7)),
            (DateUnit::Month, true) => base.checked_add_months(Months::new(n)),
            (DateUnit::Month, false) => base.checked_sub_months(Months::new(n)),
            (DateUnit::Year, true) => base.checked_add_months(Months::new(n.checked_mul(12)?)),
            (DateUnit::Year, false) => base.checked_sub_months(Months::new(n.checked_mul(12)?)),
        }
    }
}

impl fmt::Display for RelDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.amount < 0 { '-' } else { '+' };
        write!(
            f,
            "{sign}{}{}",
            self.amount.unsigned_abs(),
            self.unit.letter()
        )
    }
}

impl From<RelDate> for String {
    fn from(r: RelDate) -> String {
        r.to_string()
    }
}

impl TryFrom<String> for RelDate {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        parse_rel(&s).ok_or_else(|| {
            format!("'{s}' is not a relative date; write a sign, a count and d, w, m or y (-90d)")
        })
    }
}

/// Parses `-90d`, `+30d` … (the sign is required).
pub(crate) fn parse_rel(s: &str) -> Option<RelDate> {
    let (neg, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => return None,
    };
    let unit = DateUnit::of_letter(rest.chars().last()?)?;
    let digits = &rest[..rest.len() - 1];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i32 = digits.parse().ok()?;
    Some(RelDate {
        amount: if neg { -n } else { n },
        unit,
    })
}

impl Rule {
    /// The rule as JSON (what a rule builder saves).
    ///
    /// # Errors
    /// Never in practice (serde of plain data).
    pub fn to_json(&self) -> crate::Result<String> {
        serde_json::to_string(self).map_err(|e| crate::Error::Unsupported(e.to_string()))
    }
}
