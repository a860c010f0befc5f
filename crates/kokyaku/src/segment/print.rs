//! The text face of a rule: `Display` writes the canonical text that [`super::parse`] reads
//! back to the same [`Rule`].

use std::fmt::{self, Write as _};

use super::ast::{NamedDate, Rule, Term};

/// Words the language reserves: a field spelled like one is written in backticks.
pub(crate) const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "between",
    "in",
    "is",
    "null",
    "contains",
    "starts_with",
    "any",
    "all",
    "count",
    "true",
    "false",
    "today",
    "as_of",
];

pub(crate) fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

pub(crate) fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

fn plain_segment(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next().is_some_and(is_ident_start) && cs.all(is_ident_char) && !KEYWORDS.contains(&s)
}

fn write_field(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    // Split at dots only where every segment is plain; otherwise the whole name in backticks.
    let segments: Vec<&str> = name.split('.').collect();
    if segments.iter().all(|s| plain_segment(s)) {
        f.write_str(name)
    } else if let Some((head, rest)) = name.split_once('.').filter(|(h, _)| plain_segment(h)) {
        // `attr.東京 地区`: a plain namespace, then the rest in backticks.
        write!(f, "{head}.`{rest}`")
    } else {
        write!(f, "`{name}`")
    }
}

pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Field(name) => write_field(f, name),
            Term::Number(x) => write!(f, "{x}"),
            Term::Text(s) => f.write_str(&quote(s)),
            Term::Bool(b) => write!(f, "{b}"),
            Term::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Term::Relative(r) => write!(f, "{r}"),
            Term::Named(NamedDate::Today) => f.write_str("today"),
            Term::Named(NamedDate::AsOf) => f.write_str("as_of"),
            Term::Call { func, arg } => write!(f, "{}({arg})", func.as_str()),
        }
    }
}

fn is_and_or(r: &Rule) -> bool {
    matches!(r, Rule::And { .. } | Rule::Or { .. })
}

fn child(f: &mut fmt::Formatter<'_>, r: &Rule, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({r})")
    } else {
        write!(f, "{r}")
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::And { rules } => {
                for (i, r) in rules.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" and ")?;
                    }
                    child(f, r, is_and_or(r))?;
                }
                Ok(())
            }
            Rule::Or { rules } => {
                for (i, r) in rules.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" or ")?;
                    }
                    child(f, r, matches!(r, Rule::Or { .. }))?;
                }
                Ok(())
            }
            Rule::Not { rule } => {
                f.write_str("not ")?;
                child(f, rule, is_and_or(rule))
            }
            Rule::Compare { left, cmp, right } => write!(f, "{left} {} {right}", cmp.as_str()),
            Rule::Between { term, low, high } => write!(f, "{term} between {low} and {high}"),
            Rule::In {
                term,
                values,
                negated,
            } => {
                write!(f, "{term} {}in (", if *negated { "not " } else { "" })?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str(")")
            }
            Rule::IsNull { term, negated } => {
                write!(f, "{term} is {}null", if *negated { "not " } else { "" })
            }
            Rule::Contains { term, value } => write!(f, "{term} contains {value}"),
            Rule::StartsWith { term, value } => write!(f, "{term} starts_with {value}"),
            Rule::Is { term } => write!(f, "{term}"),
            Rule::Any { scope, rule } => write!(f, "any {} ({rule})", scope.as_str()),
            Rule::All { scope, rule } => write!(f, "all {} ({rule})", scope.as_str()),
            Rule::Count {
                scope,
                rule,
                cmp,
                n,
            } => write!(f, "count {} ({rule}) {} {n}", scope.as_str(), cmp.as_str()),
        }
    }
}
