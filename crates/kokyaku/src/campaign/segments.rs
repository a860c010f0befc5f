//! Segments of deliveries from segment rules evaluated at send time ([`crate::segment`]).

use super::deliveries::Deliveries;
use crate::model::{Day, OrderLog, day_to_date};
use crate::segment::{RuleSource, SegmentOptions, Segmenter};
use crate::summary::summarize;
use crate::{Error, Result};

/// The label of deliveries whose customer matches none of the rules.
pub const NO_SEGMENT: &str = "none";

/// Most distinct send days evaluated (each needs a customer summary of the whole log).
const MAX_SEND_DAYS: usize = 400;

/// `deliveries` with each delivery's segment set by named segment rules evaluated at its send
/// time: the first rule, in the order given, that the customer matches as of the end of the day
/// before the send day (the state a morning batch sees); [`NO_SEGMENT`] when none matches or the
/// customer is not in the log. `opts.summary.as_of` is replaced per send day.
///
/// # Errors
/// `rule_syntax` / `rule_type` for a bad rule; `invalid_option` without rules or with more than
/// 400 distinct send days.
pub fn segments_from_rules(
    log: &OrderLog,
    deliveries: &Deliveries,
    rules: &[(String, RuleSource)],
    opts: &SegmentOptions,
) -> Result<Deliveries> {
    if rules.is_empty() {
        return Err(Error::option(
            "segment_rules",
            "(none)",
            "give at least one named rule",
        ));
    }
    if let Some((n, _)) = rules.iter().find(|(n, _)| n == NO_SEGMENT) {
        return Err(Error::option(
            "segment_rules",
            n,
            format!("'{NO_SEGMENT}' labels deliveries matching no rule; name the rule otherwise"),
        ));
    }
    let mut days: Vec<Day> = deliveries.day.clone();
    days.sort_unstable();
    days.dedup();
    if days.len() > MAX_SEND_DAYS {
        return Err(Error::option(
            "segment_rules",
            format!("{} send days", days.len()),
            format!(
                "segment rules are evaluated once per send day, at most {MAX_SEND_DAYS}; measure fewer campaigns at a time"
            ),
        ));
    }
    let none = rules.len() as u32;
    let index: Vec<Option<usize>> = deliveries
        .customer
        .iter()
        .map(|id| log.find_customer(id))
        .collect();
    let mut out = deliveries.clone();
    out.segments = rules.iter().map(|(n, _)| n.clone()).collect();
    out.segments.push(NO_SEGMENT.to_owned());
    out.segment = vec![none; deliveries.len()];
    // Deliveries grouped by send day.
    let mut order: Vec<usize> = (0..deliveries.len()).collect();
    order.sort_by_key(|&k| deliveries.day[k]);
    let mut start = 0;
    for &day in &days {
        let mut o = opts.clone();
        o.summary.as_of = Some(day_to_date(day - 1));
        let s = summarize(log, &o.summary);
        let seg = Segmenter::new(log, &s, o);
        let masks = rules
            .iter()
            .map(|(_, r)| seg.evaluate(&r.rule(seg.catalog())?))
            .collect::<Result<Vec<Vec<bool>>>>()?;
        while start < order.len() && deliveries.day[order[start]] == day {
            let k = order[start];
            if let Some(c) = index[k] {
                if let Some(p) = masks
                    .iter()
                    .position(|m| m.get(c).copied().unwrap_or(false))
                {
                    out.segment[k] = p as u32;
                }
            }
            start += 1;
        }
    }
    out.segment_source = "segment rules at send time (as of the day before the send day)".into();
    Ok(out)
}
