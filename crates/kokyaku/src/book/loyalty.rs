//! A loyalty programme in the book: each customer's stage and points kept as
//! [`crate::loyalty::evaluate`] computes them over the book's orders and refunds as of the book's
//! date, and the changes since the last report: stage up / down (with the event behind it) and
//! points expired.
//!
//! Like the segments (`segments.rs`), the programme is evaluated at each change report over an
//! order log the book builds for the customers to look at: those touched by an event since the
//! last report, or every customer when the date moved or the programme changed. Ingesting stays
//! the hot path: an order only records its time (stages depend on the order of orders within a
//! day) and a refund its order (refunds reverse qualification and points).

use rust_decimal::Decimal;

use super::{Book, CANCELLED, KIND_SUB, NONE, SUB};
use crate::loyalty::{ChangeReason, LoyaltyEvents, Program, StageOptions, Stages, evaluate};
use crate::model::{Customer, OrderKind, OrderLog, OrderLogBuilder, OrderStatus, day_to_date};
use crate::{Location, Result};

/// The programme a book keeps current, with the JSON it was read from (stored in snapshots).
#[derive(Debug, Clone)]
pub(crate) struct BookProgram {
    pub(crate) program: Program,
    pub(crate) text: String,
}

/// What a report needs of one customer's evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LoyaltyNow {
    pub(crate) stage: u16,
    /// Points held now (the `points` field of the book's segment rules).
    pub(crate) points: i64,
    pub(crate) expired: i64,
    /// The order (book index) of the last upgrade on order, and its day.
    pub(crate) by_order: Option<(u32, crate::model::Day)>,
}

impl Book {
    /// Sets the loyalty programme the book keeps current (the JSON of `docs/loyalty.md`), or
    /// removes it with `None`. Stages and expired points are reported against what was last
    /// reported: at the next [`Book::changes`] every customer above the base stage is reported
    /// as moving up, and points expired so far as expiring (as the members of a new segment are
    /// reported as entering).
    ///
    /// # Errors
    /// `invalid_program` naming the offending field.
    pub fn set_program(&mut self, program_json: Option<&str>) -> Result<()> {
        match program_json {
            None => {
                self.program = None;
                self.loy_stage.iter_mut().for_each(|s| *s = 0);
                self.loy_expired.iter_mut().for_each(|s| *s = 0);
            }
            Some(text) => {
                let program = Program::from_json(text)?;
                let same_stages = self.program.as_ref().is_some_and(|p| {
                    p.program
                        .stages
                        .iter()
                        .map(|s| &s.id)
                        .eq(program.stages.iter().map(|s| &s.id))
                });
                if !same_stages {
                    self.loy_stage.iter_mut().for_each(|s| *s = 0);
                }
                self.program = Some(BookProgram {
                    program,
                    text: text.to_owned(),
                });
                self.program_changed = true;
            }
        }
        Ok(())
    }

    /// The loyalty programme, if one is set.
    #[must_use]
    pub fn program(&self) -> Option<&Program> {
        self.program.as_ref().map(|p| &p.program)
    }

    /// The programme's JSON as given to [`Book::set_program`].
    #[must_use]
    pub fn program_json(&self) -> Option<&str> {
        self.program.as_ref().map(|p| p.text.as_str())
    }

    /// Every customer's stage, points and progress as of the book's date, in natural
    /// customer-id order (`None` without a programme): equal to [`crate::loyalty::evaluate`]
    /// over the same events as an order log, with the book's date as `as_of`. `history` keeps
    /// the stage changes.
    ///
    /// # Errors
    /// `points_shortfall` when a refund reversal exceeds a balance under the `error` policy.
    pub fn stages(&self, history: bool) -> Result<Option<Stages>> {
        let Some(p) = &self.program else {
            return Ok(None);
        };
        let order = self.natural_order();
        let log = self.loyalty_log(&order)?;
        evaluate(
            &log,
            &p.program,
            &LoyaltyEvents::default(),
            &StageOptions {
                as_of: Some(day_to_date(self.as_of)),
                history,
                distribution: false,
            },
        )
        .map(Some)
    }

    /// Stage, expired points and upgrading order now of `cands` (book customer indices).
    pub(crate) fn evaluate_loyalty(&self, cands: &[u32]) -> Result<Vec<LoyaltyNow>> {
        let Some(p) = &self.program else {
            return Ok(Vec::new());
        };
        let log = self.loyalty_log(cands)?;
        let st = evaluate(
            &log,
            &p.program,
            &LoyaltyEvents::default(),
            &StageOptions {
                as_of: Some(day_to_date(self.as_of)),
                history: true,
                distribution: false,
            },
        )?;
        let mut now = vec![
            LoyaltyNow {
                stage: 0,
                points: 0,
                expired: 0,
                by_order: None,
            };
            self.cust.len()
        ];
        let mut book_index = Vec::with_capacity(log.n_customers());
        for i in 0..log.n_customers() {
            let c = self
                .customers
                .lookup(log.customer_id(i))
                .map_or(0, |c| c as usize);
            book_index.push(c);
            now[c].stage = st.stage[i];
            now[c].points = st.points_balance[i];
            now[c].expired = st.points_expired[i];
        }
        // The last change of each customer (history is by customer, then day).
        for (h, id) in st.history.iter().zip(&st.history_order_ids) {
            let c = book_index[h.customer as usize];
            now[c].by_order = match (h.reason, id) {
                (ChangeReason::Order, Some(id)) => self.order_ids.lookup(id).map(|o| (o, h.day)),
                _ => None,
            };
        }
        Ok(cands.iter().map(|&c| now[c as usize]).collect())
    }

    /// An order log of `cands` with what a programme reads: orders with their times (ties in
    /// arrival order), kinds and statuses, refunds linked to their orders, birth dates.
    pub(crate) fn loyalty_log(&self, cands: &[u32]) -> Result<OrderLog> {
        let mut b = OrderLogBuilder::new(self.tz);
        if let Some(c) = &self.currency {
            b.set_currency(c, Location::default)?;
        }
        let (os, rs) = (self.o_amount.scale(), self.r_amount.scale());
        let mut list = Vec::new();
        for &c in cands {
            let id = self.customers.values().get(c as usize);
            // Every customer is in the log (one with no order has a row too), with its birth
            // date for a birthday bonus.
            b.add_customer(&Customer {
                id: id.to_owned(),
                birth_date: self.info.get(&c).and_then(|i| i.birth_date),
                signed_up_at: None,
                attributes: std::collections::BTreeMap::new(),
            })?;
            list.clear();
            let mut k = self.cust[c as usize].head;
            while k != NONE {
                list.push(k);
                k = self.o_next[k as usize];
            }
            for &k in list.iter().rev() {
                let ku = k as usize;
                let f = self.o_flags[ku];
                b.push_order(
                    id,
                    Some(self.order_ids.values().get(ku)),
                    self.o_time[ku],
                    self.o_day[ku],
                    Decimal::new(self.o_amount.units()[ku], os),
                    if f & KIND_SUB != 0 {
                        OrderKind::Subscription
                    } else {
                        OrderKind::OneOff
                    },
                    if f & CANCELLED != 0 {
                        OrderStatus::Cancelled
                    } else {
                        OrderStatus::Completed
                    },
                    // a one-off kind with a subscription id: any id marks it
                    (f & SUB != 0 && f & KIND_SUB == 0).then_some("subscription"),
                    Location::default,
                )?;
            }
            list.clear();
            let mut k = self.refund_head.get(c as usize).copied().unwrap_or(NONE);
            while k != NONE {
                list.push(k);
                k = self.r_next[k as usize];
            }
            for &k in list.iter().rev() {
                let ku = k as usize;
                let o = self.r_order[ku];
                b.push_refund(
                    id,
                    (o != NONE).then(|| self.order_ids.values().get(o as usize)),
                    self.r_day[ku],
                    Decimal::new(self.r_amount.units()[ku], rs),
                    Location::default,
                )?;
            }
        }
        Ok(b.finish())
    }
}

/// The Unix time of local midnight of `day` (the time given to the orders of snapshots written
/// before order times were kept).
pub(crate) fn midnight(tz: chrono_tz::Tz, day: crate::model::Day) -> i64 {
    crate::model::local_midnight(tz, day_to_date(day))
}
