//! Segment membership in the book: named rules (`crate::segment`) whose members the book keeps,
//! reporting who entered and who left each one.
//!
//! At each change report the book evaluates the rules with the segment evaluator's bulk API
//! ([`Segmenter`]) over an order log it builds for the customers to look at (the same log the
//! loyalty programme is evaluated on, `Book::cands_log`): only the customers
//! touched by an event since the last report, or every customer when the date moved, when the
//! rules changed, or when a rule reads a population-relative field (`rfm.*`: RFM scores rank a
//! customer against everyone, so one new order can move others).
//!
//! What the book keeps per order is what the summary needs plus kind and status; it keeps no
//! line items and no subscription products, so rules on `sku`, `any line (…)` or a subscription's
//! `product` are refused when set (`invalid_option`). `placed_at` is a day in rules.

use super::Book;
use super::loyalty::LoyaltyNow;
use crate::model::OrderLog;
use crate::segment::{
    Catalog, ExtraColumn, FieldType, LOYALTY_FIELDS, RuleSource, SegmentOptions, Segmenter,
};
use crate::summary::SummaryBuilder;
use crate::{Error, Result};

/// The most segments one book tracks (memberships are one 64-bit word per customer).
pub const MAX_SEGMENTS: usize = 64;

/// A named rule the book tracks.
#[derive(Debug, Clone)]
pub(crate) struct BookSegment {
    pub(crate) name: String,
    pub(crate) rule: crate::segment::Rule,
    /// Reads a population-relative field (`rfm.*`).
    pub(crate) relative: bool,
    /// Reads the loyalty programme's `stage` or `points`.
    pub(crate) loyalty: bool,
}

/// The catalog the book's rules are checked against: the built-in fields and the loyalty
/// programme's `stage` (text) and `points` (number), which need a programme when evaluated.
fn book_catalog() -> Catalog {
    let mut c = Catalog::default();
    c.extra.insert("stage".into(), FieldType::Text);
    c.extra.insert("points".into(), FieldType::Number);
    c
}

/// The identifiers of a rule's canonical text outside quoted strings.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for ch in text.chars() {
        if ch == '"' {
            quoted = !quoted;
            cur.clear();
            continue;
        }
        if quoted {
            continue;
        }
        if ch.is_alphanumeric() || ch == '_' || ch == '.' {
            cur.push(ch);
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Parses and checks one rule for the book.
pub(crate) fn book_segment(name: &str, source: &RuleSource) -> Result<BookSegment> {
    let rule = source.rule(&book_catalog())?;
    let text = rule.to_string();
    let w = words(&text);
    if let Some(bad) = w
        .iter()
        .find(|t| matches!(t.as_str(), "line" | "sku" | "product"))
    {
        return Err(Error::option(
            "segments",
            name,
            format!(
                "the rule reads '{bad}': the book keeps no line items or subscription products; evaluate such rules on an order log (kokyaku segment)"
            ),
        ));
    }
    Ok(BookSegment {
        name: name.to_owned(),
        relative: w.iter().any(|t| t.starts_with("rfm.")),
        loyalty: w.iter().any(|t| LOYALTY_FIELDS.contains(&t.as_str())),
        rule,
    })
}

impl Book {
    /// Sets the named segment rules the book keeps current (text or JSON rules; at most
    /// [`MAX_SEGMENTS`]). A segment kept under the same name keeps its members; the members of a
    /// new segment are reported as entering at the next [`Book::changes`].
    pub fn set_segments(&mut self, rules: &[(String, RuleSource)]) -> Result<()> {
        if rules.len() > MAX_SEGMENTS {
            return Err(Error::option(
                "segments",
                rules.len(),
                format!("a book tracks at most {MAX_SEGMENTS} segments"),
            ));
        }
        let mut segs = Vec::with_capacity(rules.len());
        for (name, src) in rules {
            if segs.iter().any(|s: &BookSegment| &s.name == name) {
                return Err(Error::option(
                    "segments",
                    name,
                    "two segments with one name",
                ));
            }
            segs.push(book_segment(name, src)?);
        }
        // Keep the members of segments that stay (by name), at their new positions.
        let remap: Vec<Option<usize>> = segs
            .iter()
            .map(|s| self.segments.iter().position(|o| o.name == s.name))
            .collect();
        for m in &mut self.members {
            let old = *m;
            let mut new = 0u64;
            for (k, from) in remap.iter().enumerate() {
                if let Some(f) = from {
                    new |= ((old >> f) & 1) << k;
                }
            }
            *m = new;
        }
        self.segments = segs;
        self.segments_changed = true;
        Ok(())
    }

    /// The names of the segments and their rules' canonical text.
    #[must_use]
    pub fn segments(&self) -> Vec<(String, String)> {
        self.segments
            .iter()
            .map(|s| (s.name.clone(), s.rule.to_string()))
            .collect()
    }

    /// The members of a segment as last reported by [`Book::changes`], in customer-id order.
    #[must_use]
    pub fn segment_members(&self, name: &str) -> Option<Vec<String>> {
        let k = self.segments.iter().position(|s| s.name == name)?;
        Some(
            self.natural_order()
                .into_iter()
                .filter(|&c| self.members[c as usize] >> k & 1 == 1)
                .map(|c| self.customers.values().get(c as usize).to_owned())
                .collect(),
        )
    }

    /// Whether every customer must be looked at for the segments.
    pub(crate) fn segments_need_all(&self, time_moved: bool) -> bool {
        time_moved || self.segments_changed || self.segments.iter().any(|s| s.relative)
    }

    /// Memberships now of `cands` (book customer indices), one word each. `loyalty` holds the
    /// programme's evaluation of the same `cands` (empty without a programme): the `stage` and
    /// `points` fields.
    pub(crate) fn evaluate_segments(
        &self,
        log: &OrderLog,
        cands: &[u32],
        loyalty: &[LoyaltyNow],
    ) -> Result<Vec<u64>> {
        let reads_loyalty = self.segments.iter().find(|s| s.loyalty);
        let program = match (reads_loyalty, &self.program) {
            (Some(sg), None) => {
                return Err(Error::option(
                    "segments",
                    &sg.name,
                    "the rule reads the loyalty 'stage' or 'points' but the book has no loyalty programme: set one (set_program, kokyaku book --program) or drop the field",
                ));
            }
            (Some(_), Some(p)) => Some(&p.program),
            (None, _) => None,
        };
        let opts = self.summary_options();
        let mut sb = SummaryBuilder::new(
            log.customer_ids().clone(),
            self.as_of,
            self.o_amount.scale(),
            self.r_amount.scale(),
            &opts,
        );
        let mut book_index = Vec::with_capacity(log.n_customers());
        for i in 0..log.n_customers() {
            let c = self
                .customers
                .lookup(log.customer_id(i))
                .map_or(0, |c| c as usize);
            book_index.push(c);
            sb.push(&self.totals(c), self.table_state(c));
        }
        let s = sb.finish();
        let mut seg = Segmenter::new(
            log,
            &s,
            SegmentOptions {
                summary: opts.clone(),
                cpm: self.opts.cpm.clone(),
                ..SegmentOptions::default()
            },
        );
        // Subscriptions reach a book as events: none yet is none, not unknown.
        seg.subscriptions_complete();
        if let Some(p) = program {
            // `loyalty` is in `cands` order; the log's customers are in id order.
            let mut at = vec![u32::MAX; self.cust.len()];
            for (j, &c) in cands.iter().enumerate() {
                at[c as usize] = u32::try_from(j).unwrap_or(u32::MAX);
            }
            let now = |i: usize| loyalty.get(at[book_index[i]] as usize);
            let n = log.n_customers();
            let stage = (0..n)
                .map(|i| now(i).map(|l| p.stages[usize::from(l.stage)].id.clone()))
                .collect();
            #[allow(clippy::cast_precision_loss)] // points held stay far below 2^53
            let points = (0..n)
                .map(|i| now(i).map_or(f64::NAN, |l| l.points as f64))
                .collect();
            seg.add_field("stage", ExtraColumn::Text(stage))?;
            seg.add_field("points", ExtraColumn::Number(points))?;
        }
        let mut words = vec![0u64; self.cust.len()];
        for (k, sg) in self.segments.iter().enumerate() {
            let v = seg.evaluate(&sg.rule)?;
            for (i, &yes) in v.iter().enumerate() {
                if yes {
                    words[book_index[i]] |= 1 << k;
                }
            }
        }
        Ok(cands.iter().map(|&c| words[c as usize]).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_skip_quoted_text() {
        assert_eq!(
            words(r#"any order (sku = "line") and rfm.r >= 4"#),
            ["any", "order", "sku", "and", "rfm.r", "4"]
        );
    }

    #[test]
    fn stage_rule_without_programme_fails_the_report() {
        let mut book = Book::new(super::super::BookOptions::default()).unwrap();
        let rules = [(
            "gold".to_owned(),
            RuleSource::Text(r#"stage = "gold""#.to_owned()),
        )];
        book.set_segments(&rules).unwrap();
        let e = book.changes().unwrap_err();
        assert_eq!(e.code(), "invalid_option");
        assert!(e.to_string().contains("gold"), "{e}");
        assert!(e.to_string().contains("programme"), "{e}");
        // With a programme the same rule evaluates (nobody is gold yet).
        book.set_program(Some(
            r#"{"stages": [{"id": "regular"}, {"id": "gold", "spend": 100}], "window": {"kind": "rolling", "days": 365}}"#,
        ))
        .unwrap();
        assert!(book.changes().unwrap().changes.is_empty());
        // A typo in the field is still a rule error when set.
        let bad = [("x".to_owned(), RuleSource::Text("stag = 1".to_owned()))];
        assert_eq!(book.set_segments(&bad).unwrap_err().code(), "rule_type");
    }
}
