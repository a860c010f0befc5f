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

use super::{
    Applied, Book, CANCELLED, InvitationEvent, KIND_SUB, NO_DAY, NONE, RedemptionEvent, SUB,
    T_INVITATION, T_REDEMPTION,
};
use crate::loyalty::{
    ChangeReason, Invitation, LoyaltyEvents, Program, Redemption, StageOptions, Stages, evaluate,
};
use crate::model::{
    Customer, Day, OrderKind, OrderLog, OrderLogBuilder, OrderStatus, Subscription, day_in_tz,
    day_to_date,
};
use crate::{Error, Location, Result};

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
                if let Some((c, _, stage, _)) = self
                    .invitations
                    .iter()
                    .find(|(_, _, st, _)| program.stage_index(st).is_none())
                {
                    return Err(Error::InvalidProgram {
                        field: "stages".into(),
                        value: stage.clone(),
                        reason: format!(
                            "the book holds an invitation of customer '{}' into stage '{stage}', which this programme lacks; keep the stage id",
                            self.customers.values().get(*c as usize)
                        ),
                    });
                }
                if program.points.is_none() {
                    if let Some((c, ..)) = self.redemptions.first() {
                        return Err(Error::InvalidProgram {
                            field: "points".into(),
                            value: "(missing)".into(),
                            reason: format!(
                                "the book holds redemptions (customer '{}' …): the programme needs a points section",
                                self.customers.values().get(*c as usize)
                            ),
                        });
                    }
                }
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
        let log = self.cands_log(&order, false)?;
        evaluate(
            &log,
            &p.program,
            &self.loyalty_events(None),
            &StageOptions {
                as_of: Some(day_to_date(self.as_of)),
                history,
                distribution: false,
            },
        )
        .map(Some)
    }

    /// Stage, expired points and upgrading order now of `cands` (book customer indices).
    /// `log` is [`Book::cands_log`] of `cands`.
    pub(crate) fn evaluate_loyalty(
        &self,
        log: &OrderLog,
        cands: &[u32],
    ) -> Result<Vec<LoyaltyNow>> {
        let Some(p) = &self.program else {
            return Ok(Vec::new());
        };
        let st = evaluate(
            log,
            &p.program,
            &self.loyalty_events(Some(cands)),
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

    /// The redemptions and invitations of `cands` (book customer indices; `None`: everyone), in
    /// arrival order.
    pub(crate) fn loyalty_events(&self, cands: Option<&[u32]>) -> LoyaltyEvents {
        let mask = cands.map(|cs| {
            let mut m = vec![false; self.cust.len()];
            for &c in cs {
                m[c as usize] = true;
            }
            m
        });
        let keep = |c: u32| mask.as_ref().is_none_or(|m| m[c as usize]);
        let id = |c: u32| self.customers.values().get(c as usize).to_owned();
        LoyaltyEvents {
            redemptions: self
                .redemptions
                .iter()
                .filter(|r| keep(r.0))
                .map(|&(c, day, points, _)| Redemption {
                    customer_id: id(c),
                    date: day_to_date(day),
                    points,
                })
                .collect(),
            invitations: self
                .invitations
                .iter()
                .filter(|i| keep(i.0))
                .map(|(c, day, stage, _)| Invitation {
                    customer_id: id(*c),
                    date: day_to_date(*day),
                    stage: stage.clone(),
                })
                .collect(),
        }
    }

    /// Applies a points redemption. With a programme set, the customer's points are evaluated
    /// with it on its day first: beyond the balance under the `error` shortfall policy it is
    /// refused (`points_shortfall`) and nothing changes.
    ///
    /// # Errors
    /// `invalid_value` for points that are not > 0 or a blank customer id; `invalid_program`
    /// when the programme has no points; `points_shortfall` as above.
    pub fn ingest_redemption(&mut self, r: &RedemptionEvent) -> Result<Applied> {
        let rid = r.redemption_id.as_deref().filter(|s| !s.is_empty());
        if rid.is_some_and(|id| self.redemption_ids.lookup(id).is_some()) {
            return Ok(Applied::Duplicate);
        }
        if r.points <= 0 {
            return Err(Error::InvalidValue {
                value: r.points.to_string(),
                location: Location::column("points"),
                reason: format!(
                    "a redemption must be a positive number of points (customer '{}')",
                    r.customer_id
                ),
            });
        }
        let cust = r.customer_id.trim();
        if cust.is_empty() {
            return Err(Error::InvalidValue {
                value: String::new(),
                location: Location::column("customer_id"),
                reason: "a redemption needs a customer id".into(),
            });
        }
        let day = day_in_tz(self.tz, r.redeemed_at.timestamp());
        if let Some(p) = &self.program {
            if p.program.points.is_none() {
                return Err(Error::InvalidProgram {
                    field: "points".into(),
                    value: "(missing)".into(),
                    reason: "a redemption needs a programme with a points section".into(),
                });
            }
            if let Some(c) = self.customers.lookup(cust) {
                self.check_redemption(c, day, r.points)?;
            } else {
                // A customer the book has not seen holds no points.
                self.check_redemption_new(cust, day, r.points)?;
            }
        }
        let c = self.customer(cust)?;
        let k = rid.map_or(NONE, |id| self.redemption_ids.intern(id));
        self.redemptions.push((c, day, r.points, k));
        self.seq += 1;
        self.touch(c, T_REDEMPTION, (self.redemptions.len() - 1) as u32);
        Ok(Applied::Applied)
    }

    /// Evaluates customer `c` with one more redemption (the shortfall policy decides).
    fn check_redemption(&self, c: u32, day: Day, points: i64) -> Result<()> {
        let Some(p) = &self.program else {
            return Ok(());
        };
        let log = self.cands_log(&[c], false)?;
        let mut events = self.loyalty_events(Some(&[c]));
        events.redemptions.push(Redemption {
            customer_id: self.customers.values().get(c as usize).to_owned(),
            date: day_to_date(day),
            points,
        });
        evaluate(
            &log,
            &p.program,
            &events,
            &StageOptions {
                as_of: Some(day_to_date(day.max(self.as_of))),
                history: false,
                distribution: false,
            },
        )
        .map(|_| ())
    }

    /// A redemption by a customer with no order: nothing held.
    fn check_redemption_new(&self, cust: &str, day: Day, points: i64) -> Result<()> {
        match self
            .program
            .as_ref()
            .and_then(|p| p.program.points.as_ref())
        {
            Some(pts) if pts.shortfall == crate::loyalty::Shortfall::Error => {
                Err(Error::PointsShortfall {
                    customer_id: cust.to_owned(),
                    date: day_to_date(day),
                    what: "redemption".into(),
                    needed: points,
                    balance: 0,
                })
            }
            _ => Ok(()),
        }
    }

    /// Applies a stage invitation. With a programme set, the stage must be one of its stages.
    ///
    /// # Errors
    /// `invalid_value` for an unknown stage or a blank customer id.
    pub fn ingest_invitation(&mut self, inv: &InvitationEvent) -> Result<Applied> {
        let iid = inv.invitation_id.as_deref().filter(|s| !s.is_empty());
        if iid.is_some_and(|id| self.invitation_ids.lookup(id).is_some()) {
            return Ok(Applied::Duplicate);
        }
        let cust = inv.customer_id.trim();
        if cust.is_empty() {
            return Err(Error::InvalidValue {
                value: String::new(),
                location: Location::column("customer_id"),
                reason: "an invitation needs a customer id".into(),
            });
        }
        if let Some(p) = &self.program {
            if p.program.stage_index(&inv.stage).is_none() {
                return Err(Error::InvalidValue {
                    value: inv.stage.clone(),
                    location: Location::column("stage"),
                    reason: format!(
                        "no such stage; the programme has {}",
                        p.program
                            .stages
                            .iter()
                            .map(|s| s.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
        }
        let c = self.customer(cust)?;
        let k = iid.map_or(NONE, |id| self.invitation_ids.intern(id));
        let day = day_in_tz(self.tz, inv.invited_at.timestamp());
        self.invitations.push((c, day, inv.stage.clone(), k));
        self.seq += 1;
        self.touch(c, T_INVITATION, (self.invitations.len() - 1) as u32);
        Ok(Applied::Applied)
    }

    /// An order log of `cands` (book customer indices) with what a programme and the segment
    /// rules read: orders with their times (ties in arrival order), kinds and statuses, refunds
    /// linked to their orders, birth dates; with `with_info` also sign-up days, attributes and
    /// subscriptions (the segment rules' customer and subscription fields). One log serves both
    /// at a change report.
    pub(crate) fn cands_log(&self, cands: &[u32], with_info: bool) -> Result<OrderLog> {
        let mut b = OrderLogBuilder::new(self.tz);
        if cands.len() == self.cust.len() {
            // Every customer (a date move): every order, known in advance.
            b.reserve(self.o_day.len());
        }
        if let Some(c) = &self.currency {
            b.set_currency(c, Location::default)?;
        }
        let (os, rs) = (self.o_amount.scale(), self.r_amount.scale());
        let mut list = Vec::new();
        for &c in cands {
            let id = self.customers.values().get(c as usize);
            // Every customer is in the log (one with no order has a row too), with its birth
            // date for a birthday bonus.
            let info = self.info.get(&c);
            b.add_customer(&Customer {
                id: id.to_owned(),
                birth_date: info.and_then(|i| i.birth_date),
                signed_up_at: info
                    .filter(|_| with_info)
                    .and_then(|i| i.signed_up)
                    .map(|d| midnight_utc(self.tz, crate::model::date_to_day(d))),
                attributes: info
                    .filter(|_| with_info)
                    .map(|i| i.attributes.clone())
                    .unwrap_or_default(),
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
            if with_info {
                let mut k = self.cust[c as usize].sub_head;
                while k != NONE {
                    let r = &self.subs[k as usize];
                    b.add_subscription(&Subscription {
                        id: self.sub_ids.values().get(k as usize).to_owned(),
                        customer_id: id.to_owned(),
                        started_at: midnight_utc(self.tz, r.started),
                        cycles: r.cycles,
                        status: r.status,
                        cancelled_at: (r.cancelled != NO_DAY)
                            .then(|| midnight_utc(self.tz, r.cancelled)),
                        product: None,
                    });
                    k = self.sub_next[k as usize];
                }
            }
        }
        Ok(b.finish())
    }
}

/// Local midnight of `day` as a UTC time (subscription and sign-up days in a log).
fn midnight_utc(tz: chrono_tz::Tz, day: Day) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(midnight(tz, day), 0).unwrap_or_default()
}

/// The Unix time of local midnight of `day` (the time given to the orders of snapshots written
/// before order times were kept).
pub(crate) fn midnight(tz: chrono_tz::Tz, day: crate::model::Day) -> i64 {
    crate::model::local_midnight(tz, day_to_date(day))
}
