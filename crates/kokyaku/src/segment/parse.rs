//! The text language: a lexer and a recursive-descent parser with byte positions.
//!
//! ```text
//! rule      := or
//! or        := and ("or" and)*
//! and       := not ("and" not)*
//! not       := "not" not | primary
//! primary   := "(" rule ")"
//!            | ("any" | "all") SCOPE "(" rule ")"
//!            | "count" SCOPE "(" rule ")" CMP INTEGER
//!            | term [ CMP term | "between" term "and" term | ["not"] "in" "(" term ("," term)* ")"
//!                   | "is" ["not"] "null" | "contains" term | "starts_with" term ]
//! term      := NUMBER | STRING | DATE | RELDATE | "true" | "false" | "today" | "as_of"
//!            | FUNC "(" term ")" | NAME ("." NAME)*
//! SCOPE     := "order" | "line" | "subscription"
//! ```

use chrono::NaiveDate;

use super::ast::{CmpOp, Func, NamedDate, Rule, Scope, Term, parse_rel};
use super::error::RuleError;
use super::print::{KEYWORDS, is_ident_char, is_ident_start};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Quoted(String),
    Str(String),
    Num(f64),
    Date(NaiveDate),
    Rel(super::ast::RelDate),
    LParen,
    RParen,
    Comma,
    Dot,
    Cmp(CmpOp),
    End,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    pos: usize,
    len: usize,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("'{s}'"),
        Tok::Quoted(s) => format!("`{s}`"),
        Tok::Str(s) => format!("text {}", super::print::quote(s)),
        Tok::Num(x) => format!("number {x}"),
        Tok::Date(d) => format!("date {d}"),
        Tok::Rel(r) => format!("relative date {r}"),
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::Comma => "','".into(),
        Tok::Dot => "'.'".into(),
        Tok::Cmp(c) => format!("'{}'", c.as_str()),
        Tok::End => "the end of the rule".into(),
    }
}

fn lex(src: &str) -> Result<Vec<Token>, RuleError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = src[i..].chars().next().unwrap_or(' ');
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        let start = i;
        let tok = match c {
            '(' => {
                i += 1;
                Tok::LParen
            }
            ')' => {
                i += 1;
                Tok::RParen
            }
            ',' => {
                i += 1;
                Tok::Comma
            }
            '.' => {
                i += 1;
                Tok::Dot
            }
            '=' => {
                i += if b.get(i + 1) == Some(&b'=') { 2 } else { 1 };
                Tok::Cmp(CmpOp::Eq)
            }
            '!' if b.get(i + 1) == Some(&b'=') => {
                i += 2;
                Tok::Cmp(CmpOp::Ne)
            }
            '<' => match b.get(i + 1) {
                Some(b'=') => {
                    i += 2;
                    Tok::Cmp(CmpOp::Le)
                }
                Some(b'>') => {
                    i += 2;
                    Tok::Cmp(CmpOp::Ne)
                }
                _ => {
                    i += 1;
                    Tok::Cmp(CmpOp::Lt)
                }
            },
            '>' => {
                if b.get(i + 1) == Some(&b'=') {
                    i += 2;
                    Tok::Cmp(CmpOp::Ge)
                } else {
                    i += 1;
                    Tok::Cmp(CmpOp::Gt)
                }
            }
            '"' | '\'' => {
                let (s, end) = lex_string(src, i, c)?;
                i = end;
                Tok::Str(s)
            }
            '`' => {
                let Some(close) = src[i + 1..].find('`') else {
                    return Err(RuleError::syntax(src, i, 1, "unclosed backtick")
                        .hint("close the quoted name with `"));
                };
                let name = src[i + 1..i + 1 + close].to_owned();
                i += close + 2;
                Tok::Quoted(name)
            }
            c if c.is_ascii_digit()
                || ((c == '-' || c == '+') && b.get(i + 1).is_some_and(u8::is_ascii_digit)) =>
            {
                let (t, end) = lex_number(src, i)?;
                i = end;
                t
            }
            c if is_ident_start(c) => {
                let mut end = i;
                for ch in src[i..].chars() {
                    if is_ident_char(ch) {
                        end += ch.len_utf8();
                    } else {
                        break;
                    }
                }
                i = end;
                Tok::Ident(src[start..end].to_owned())
            }
            other => {
                return Err(RuleError::syntax(
                    src,
                    i,
                    other.len_utf8(),
                    format!("unexpected character '{other}'"),
                )
                .hint("rules use names, numbers, \"text\", dates, comparisons (= != < <= > >=), and / or / not and parentheses"));
            }
        };
        out.push(Token {
            tok,
            pos: start,
            len: i - start,
        });
    }
    out.push(Token {
        tok: Tok::End,
        pos: src.len(),
        len: 0,
    });
    Ok(out)
}

fn lex_string(src: &str, start: usize, quote: char) -> Result<(String, usize), RuleError> {
    let mut s = String::new();
    let mut chars = src[start + 1..].char_indices();
    while let Some((k, c)) = chars.next() {
        let at = start + 1 + k;
        match c {
            c if c == quote => return Ok((s, at + 1)),
            '\\' => match chars.next() {
                Some((_, 'n')) => s.push('\n'),
                Some((_, 't')) => s.push('\t'),
                Some((_, 'r')) => s.push('\r'),
                Some((_, 'u')) => {
                    let rest = &src[at + 2..];
                    let code = rest
                        .strip_prefix('{')
                        .and_then(|r| r.split_once('}'))
                        .and_then(|(h, _)| u32::from_str_radix(h, 16).ok().map(|v| (v, h.len())))
                        .and_then(|(v, n)| char::from_u32(v).map(|ch| (ch, n)));
                    let Some((ch, n)) = code else {
                        return Err(RuleError::syntax(src, at, 2, "bad \\u escape")
                            .hint("write \\u{hex}, e.g. \\u{41}"));
                    };
                    s.push(ch);
                    for _ in 0..n + 2 {
                        chars.next();
                    }
                }
                Some((_, other)) => s.push(other),
                None => break,
            },
            c => s.push(c),
        }
    }
    Err(
        RuleError::syntax(src, start, src.len() - start, "unclosed text")
            .hint(format!("close the text with {quote}")),
    )
}

fn lex_number(src: &str, start: usize) -> Result<(Tok, usize), RuleError> {
    let b = src.as_bytes();
    let mut i = start;
    if b[i] == b'-' || b[i] == b'+' {
        i += 1;
    }
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    // A date: YYYY-MM-DD.
    if i - start == 4 && b[start].is_ascii_digit() && b.get(i) == Some(&b'-') {
        let mut end = (start + 10).min(b.len());
        // Never slice inside a multi-byte character (found by the fuzzer: `1012- = "東"`).
        while !src.is_char_boundary(end) {
            end -= 1;
        }
        let text = &src[start..end];
        if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            if text.len() == 10 && !b.get(end).is_some_and(u8::is_ascii_alphanumeric) {
                return Ok((Tok::Date(d), end));
            }
        }
        let mut e = i;
        while e < b.len() && (b[e].is_ascii_digit() || b[e] == b'-') {
            e += 1;
        }
        return Err(RuleError::syntax(
            src,
            start,
            e - start,
            format!("'{}' is not a date", &src[start..e]),
        )
        .hint("write dates as YYYY-MM-DD, e.g. 2026-04-01"));
    }
    // A relative date: a sign, digits and a unit letter.
    if let Some(&u) = b.get(i) {
        if matches!(u, b'd' | b'w' | b'm' | b'y')
            && !b
                .get(i + 1)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            let text = &src[start..=i];
            return match parse_rel(text) {
                Some(r) => Ok((Tok::Rel(r), i + 1)),
                None => Err(RuleError::syntax(
                    src,
                    start,
                    i + 1 - start,
                    format!("'{text}' needs a sign"),
                )
                .hint(format!(
                    "a date relative to as_of has a sign: -{text} or +{text}"
                ))),
            };
        }
    }
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if b.get(i)
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
    {
        let mut e = i;
        while e < b.len() && (b[e].is_ascii_alphanumeric() || b[e] == b'_') {
            e += 1;
        }
        return Err(RuleError::syntax(
            src,
            start,
            e - start,
            format!("'{}' is not a number", &src[start..e]),
        )
        .hint("relative dates are -90d, +30d, -4w, -12m or +1y; numbers are plain (1200, 0.5)"));
    }
    let text = &src[start..i];
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok((Tok::Num(x), i)),
        _ => Err(RuleError::syntax(
            src,
            start,
            i - start,
            format!("'{text}' is not a number"),
        )),
    }
}

/// The parsed rule and the span of every operand, in the order a checker visits them.
pub(crate) struct Parsed {
    pub(crate) rule: Rule,
    pub(crate) spans: Vec<(usize, usize)>,
}

struct Parser<'s> {
    src: &'s str,
    toks: Vec<Token>,
    at: usize,
    spans: Vec<(usize, usize)>,
    depth: usize,
}

/// Parses a rule's text.
///
/// # Errors
/// A `rule_syntax` [`RuleError`] with the byte position of the offending token.
pub fn parse(src: &str) -> Result<Rule, RuleError> {
    parse_spans(src).map(|p| p.rule)
}

pub(crate) fn parse_spans(src: &str) -> Result<Parsed, RuleError> {
    let toks = lex(src)?;
    let mut p = Parser {
        src,
        toks,
        at: 0,
        spans: Vec::new(),
        depth: 0,
    };
    if matches!(p.peek().tok, Tok::End) {
        return Err(RuleError::syntax(src, 0, 0, "empty rule")
            .hint("write a condition such as orders >= 2"));
    }
    let rule = p.or()?;
    if !matches!(p.peek().tok, Tok::End) {
        let t = p.peek().clone();
        return Err(p
            .err(
                &t,
                format!("unexpected {} after a complete rule", describe(&t.tok)),
            )
            .hint("join conditions with and / or"));
    }
    Ok(Parsed {
        rule,
        spans: p.spans,
    })
}

/// The deepest nesting of parentheses, `not`s, quantifiers and calls a rule may have (rules
/// people write nest a few levels; the limit keeps every recursive pass off the stack's end).
pub(crate) const MAX_DEPTH: usize = 48;

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.toks[self.at.min(self.toks.len() - 1)]
    }
    fn peek2(&self) -> &Token {
        &self.toks[(self.at + 1).min(self.toks.len() - 1)]
    }
    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if self.at < self.toks.len() - 1 {
            self.at += 1;
        }
        t
    }
    fn err(&self, t: &Token, msg: impl Into<String>) -> RuleError {
        RuleError::syntax(self.src, t.pos, t.len, msg)
    }
    fn is_kw(&self, kw: &str) -> bool {
        matches!(&self.peek().tok, Tok::Ident(s) if s == kw)
    }
    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.bump();
            true
        } else {
            false
        }
    }
    fn expect(&mut self, want: &Tok, what: &str) -> Result<Token, RuleError> {
        let t = self.bump();
        if &t.tok == want {
            Ok(t)
        } else {
            Err(self.err(&t, format!("expected {what}, found {}", describe(&t.tok))))
        }
    }
    fn enter(&mut self) -> Result<(), RuleError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let t = self.peek().clone();
            return Err(self
                .err(&t, "rule nested too deeply")
                .hint("use at most 48 levels of parentheses, not and calls"));
        }
        Ok(())
    }
    fn or(&mut self) -> Result<Rule, RuleError> {
        self.enter()?;
        let mut rules = vec![self.and()?];
        while self.eat_kw("or") {
            rules.push(self.and()?);
        }
        self.depth -= 1;
        Ok(if rules.len() == 1 {
            rules.pop().unwrap_or(Rule::Or { rules: Vec::new() })
        } else {
            Rule::Or { rules }
        })
    }
    fn and(&mut self) -> Result<Rule, RuleError> {
        let mut rules = vec![self.not()?];
        while self.eat_kw("and") {
            rules.push(self.not()?);
        }
        Ok(if rules.len() == 1 {
            rules.pop().unwrap_or(Rule::And { rules: Vec::new() })
        } else {
            Rule::And { rules }
        })
    }
    fn not(&mut self) -> Result<Rule, RuleError> {
        if self.eat_kw("not") {
            self.enter()?;
            let r = self.not()?;
            self.depth -= 1;
            return Ok(Rule::Not { rule: Box::new(r) });
        }
        self.primary()
    }
    fn scope(&mut self) -> Result<Scope, RuleError> {
        let t = self.bump();
        match &t.tok {
            Tok::Ident(s) => match s.as_str() {
                "order" | "orders" => Ok(Scope::Order),
                "line" | "lines" => Ok(Scope::Line),
                "subscription" | "subscriptions" => Ok(Scope::Subscription),
                _ => Err(self
                    .err(&t, format!("unknown scope '{s}'"))
                    .hint("quantify over order, line or subscription: any order (…)")),
            },
            other => Err(self
                .err(&t, format!("expected a scope, found {}", describe(other)))
                .hint("quantify over order, line or subscription: any order (…)")),
        }
    }
    fn group(&mut self) -> Result<Rule, RuleError> {
        self.expect(&Tok::LParen, "'(' after the scope")?;
        let r = self.or()?;
        self.expect(&Tok::RParen, "')'")?;
        Ok(r)
    }
    fn cmp(&mut self) -> Result<CmpOp, RuleError> {
        let t = self.bump();
        match t.tok {
            Tok::Cmp(c) => Ok(c),
            ref other => Err(self
                .err(
                    &t,
                    format!("expected a comparison, found {}", describe(other)),
                )
                .hint("compare with = != < <= > >=")),
        }
    }
    fn primary(&mut self) -> Result<Rule, RuleError> {
        if matches!(self.peek().tok, Tok::LParen) {
            self.bump();
            let r = self.or()?;
            self.expect(&Tok::RParen, "')'")?;
            return Ok(r);
        }
        // Quantifiers: a keyword followed by a scope word (so a field called `count` still works).
        if matches!(&self.peek2().tok, Tok::Ident(_)) {
            if self.is_kw("any") || self.is_kw("all") {
                let any = self.is_kw("any");
                self.bump();
                let scope = self.scope()?;
                let rule = Box::new(self.group()?);
                return Ok(if any {
                    Rule::Any { scope, rule }
                } else {
                    Rule::All { scope, rule }
                });
            }
            if self.is_kw("count") {
                self.bump();
                let scope = self.scope()?;
                let rule = Box::new(self.group()?);
                let cmp = self.cmp()?;
                let t = self.bump();
                let n = match t.tok {
                    Tok::Num(x) if x >= 0.0 && x.fract() == 0.0 && x <= f64::from(u32::MAX) => {
                        x as u32
                    }
                    ref other => {
                        return Err(self
                            .err(
                                &t,
                                format!("expected a whole count, found {}", describe(other)),
                            )
                            .hint("count order (…) >= 2"));
                    }
                };
                return Ok(Rule::Count {
                    scope,
                    rule,
                    cmp,
                    n,
                });
            }
        }
        let term = self.term()?;
        let t = self.peek().clone();
        match &t.tok {
            Tok::Cmp(c) => {
                let c = *c;
                self.bump();
                let right = self.term()?;
                Ok(Rule::Compare {
                    left: term,
                    cmp: c,
                    right,
                })
            }
            Tok::Ident(k) => match k.as_str() {
                "between" => {
                    self.bump();
                    let low = self.term()?;
                    if !self.eat_kw("and") {
                        let t = self.peek().clone();
                        return Err(self
                            .err(
                                &t,
                                format!("expected 'and' in between, found {}", describe(&t.tok)),
                            )
                            .hint("x between 20 and 29"));
                    }
                    let high = self.term()?;
                    Ok(Rule::Between { term, low, high })
                }
                "in" => {
                    self.bump();
                    let values = self.list()?;
                    Ok(Rule::In {
                        term,
                        values,
                        negated: false,
                    })
                }
                "not" if matches!(&self.peek2().tok, Tok::Ident(s) if s == "in") => {
                    self.bump();
                    self.bump();
                    let values = self.list()?;
                    Ok(Rule::In {
                        term,
                        values,
                        negated: true,
                    })
                }
                "is" => {
                    self.bump();
                    let negated = self.eat_kw("not");
                    if !self.eat_kw("null") {
                        let t = self.peek().clone();
                        return Err(self
                            .err(&t, format!("expected 'null', found {}", describe(&t.tok)))
                            .hint("x is null, x is not null"));
                    }
                    Ok(Rule::IsNull { term, negated })
                }
                "contains" => {
                    self.bump();
                    let value = self.term()?;
                    Ok(Rule::Contains { term, value })
                }
                "starts_with" => {
                    self.bump();
                    let value = self.term()?;
                    Ok(Rule::StartsWith { term, value })
                }
                _ => Ok(Rule::Is { term }),
            },
            _ => Ok(Rule::Is { term }),
        }
    }
    fn list(&mut self) -> Result<Vec<Term>, RuleError> {
        self.expect(&Tok::LParen, "'(' to open the list")?;
        let mut v = vec![self.term()?];
        loop {
            let t = self.bump();
            match t.tok {
                Tok::Comma => v.push(self.term()?),
                Tok::RParen => return Ok(v),
                ref other => {
                    return Err(self
                        .err(
                            &t,
                            format!("expected ',' or ')' in the list, found {}", describe(other)),
                        )
                        .hint("x in (\"a\", \"b\")"));
                }
            }
        }
    }
    fn term(&mut self) -> Result<Term, RuleError> {
        let start = self.peek().pos;
        let t = self.term_inner()?;
        let end = &self.toks[self.at.saturating_sub(1)];
        let end = end.pos + end.len;
        self.spans.push((start, end.max(start) - start));
        Ok(t)
    }
    fn term_inner(&mut self) -> Result<Term, RuleError> {
        let t = self.bump();
        Ok(match t.tok {
            Tok::Num(x) => Term::Number(x),
            Tok::Str(ref s) => Term::Text(s.clone()),
            Tok::Date(d) => Term::Date(d),
            Tok::Rel(r) => Term::Relative(r),
            Tok::Quoted(ref s) => Term::Field(self.path(s.clone())?),
            Tok::Ident(ref s) => match s.as_str() {
                "true" => Term::Bool(true),
                "false" => Term::Bool(false),
                "today" => Term::Named(NamedDate::Today),
                "as_of" => Term::Named(NamedDate::AsOf),
                name if matches!(self.peek().tok, Tok::LParen) => {
                    let Some(func) = Func::parse(name) else {
                        return Err(self
                            .err(&t, format!("unknown function '{name}'"))
                            .hint("functions: month, year, day, anniversary"));
                    };
                    self.bump();
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        return Err(self.err(&t, "rule nested too deeply"));
                    }
                    let arg = self.term_inner()?;
                    self.depth -= 1;
                    self.expect(&Tok::RParen, "')' to close the call")?;
                    Term::Call {
                        func,
                        arg: Box::new(arg),
                    }
                }
                name if KEYWORDS.contains(&name) => {
                    return Err(self.err(&t, format!("expected a field or a value, found the keyword '{name}'"))
                        .hint("write a field name, a number, \"text\" or a date; quote a field spelled like a keyword in backticks"));
                }
                _ => Term::Field(self.path(s.clone())?),
            },
            ref other => {
                return Err(self
                    .err(
                        &t,
                        format!("expected a field or a value, found {}", describe(other)),
                    )
                    .hint("write a field name, a number, \"text\" or a date"));
            }
        })
    }
    fn path(&mut self, first: String) -> Result<String, RuleError> {
        let mut name = first;
        while matches!(self.peek().tok, Tok::Dot) {
            self.bump();
            let t = self.bump();
            match t.tok {
                Tok::Ident(ref s) | Tok::Quoted(ref s) => {
                    name.push('.');
                    name.push_str(s);
                }
                ref other => {
                    return Err(self
                        .err(
                            &t,
                            format!("expected a name after '.', found {}", describe(other)),
                        )
                        .hint("attr.prefecture, rfm.segment"));
                }
            }
        }
        Ok(name)
    }
}
