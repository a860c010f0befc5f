//! Programmes as data: the JSON a shop writes, read with errors that name the offending field.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{Error, Result};

/// How a stage's thresholds combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Match {
    /// Every threshold given must be met.
    #[default]
    All,
    /// Any one threshold given is enough.
    Any,
}

/// One stage (rank, tier) of a programme. Stages are listed from the lowest (the base stage
/// every member starts in, without thresholds) to the highest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stage {
    /// Stable id (`"gold"`), unique within the programme.
    pub id: String,
    /// Display name (`"ゴールド"`); the id when not given.
    pub name: String,
    /// Spend in the qualification window needed to enter.
    pub spend: Option<Decimal>,
    /// Orders in the window needed to enter.
    pub orders: Option<u32>,
    /// Points earned in the window needed to enter.
    pub points: Option<i64>,
    /// How the thresholds combine.
    #[serde(rename = "match")]
    pub combine: Match,
    /// Reached only by invitation (never by thresholds) and never lost by a review.
    pub invitation_only: bool,
    /// Points multiplier for orders placed while in this stage (default 1).
    pub multiplier: Decimal,
}

/// The span of orders that count towards a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Window {
    /// The last `days` local days, the evaluation day included.
    Rolling {
        /// Window length in days (≥ 1).
        days: u32,
    },
    /// The calendar year so far (1 January to 31 December).
    CalendarYear,
    /// The fiscal year so far, starting on the first day of `start_month`.
    FiscalYear {
        /// First month of the fiscal year (1–12; 4 for the Japanese 年度).
        start_month: u32,
    },
    /// The year since the customer reached the current stage (or made the first order), and
    /// each year after that on the anniversary.
    Anniversary,
}

/// When stages are reviewed (downgrades, and upgrades under [`Upgrade::PeriodEnd`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Review {
    /// At every month end.
    Month,
    /// At every (calendar, or fiscal for a fiscal-year window) year end.
    Year,
    /// At the end of each anniversary year.
    Anniversary,
}

/// When an upgrade takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Upgrade {
    /// On the day of the order that meets the thresholds.
    #[default]
    OnOrder,
    /// At the review (the day after the period end).
    PeriodEnd,
}

/// What a review does when the window no longer supports the current stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Downgrade {
    /// Stages are never lost.
    Never,
    /// Down one stage per review.
    OneStep,
    /// To the stage the window supports.
    #[default]
    Recompute,
}

/// Which spend qualifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpendBasis {
    /// Completed orders minus the refunds linked to them (a fully refunded order stops counting
    /// as an order too).
    #[default]
    Net,
    /// Completed orders as placed; refunds do not change qualification.
    Gross,
}

/// When a bonus applies to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BonusWhen {
    /// The customer's first completed order.
    FirstOrder,
    /// An order in the customer's birth month (needs birth dates from a customer table).
    BirthdayMonth,
    /// A subscription (定期) order.
    Subscription,
    /// An order placed between two local dates, both included.
    Campaign {
        /// First day.
        from: NaiveDate,
        /// Last day.
        to: NaiveDate,
    },
}

/// A bonus rule: a multiplier of the base points and/or flat points per qualifying order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bonus {
    /// When it applies.
    #[serde(flatten)]
    pub when: BonusWhen,
    /// Multiplies the order's base points (default 1).
    pub multiplier: Decimal,
    /// Flat points added (default 0).
    pub points: i64,
}

/// When earned points expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Expiry {
    /// Never.
    #[default]
    Never,
    /// `months` calendar months after the day earned: points earned on 15 March with 12 months
    /// are usable through 14 March of the next year.
    Months {
        /// Months (≥ 1).
        months: u32,
    },
    /// At the end of the calendar year after the year earned (31 December of year + 1).
    EndOfNextYear,
}

/// What happens when a redemption or a refund reversal needs more points than the balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shortfall {
    /// Fail with `points_shortfall`, naming the customer and the date.
    #[default]
    Error,
    /// Carry the rest as a debt (a negative balance, shown as such) that later points repay
    /// first.
    Debt,
}

/// The points side of a programme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Points {
    /// Currency amount per earning step (`"100"`: per ¥100).
    pub per: Decimal,
    /// Points per step (default 1).
    pub earn: i64,
    /// Bonus rules.
    pub bonuses: Vec<Bonus>,
    /// Expiry.
    pub expiry: Expiry,
    /// Whether a refund takes back the points of the order (default true).
    pub reverse_on_refund: bool,
    /// Policy when the balance does not cover a redemption or reversal.
    pub shortfall: Shortfall,
}

/// A loyalty programme. Read one with [`Program::from_json`] (see `docs/loyalty.md`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Program {
    /// Optional name.
    pub name: Option<String>,
    /// Stages, lowest first; the first is the base stage and has no thresholds.
    pub stages: Vec<Stage>,
    /// Qualification window.
    pub window: Window,
    /// When upgrades take effect.
    pub upgrade: Upgrade,
    /// When stages are reviewed.
    pub review: Review,
    /// What a review does on a shortfall.
    pub downgrade: Downgrade,
    /// Days a downgrade waits after the review; the window is judged again at the end.
    pub grace_days: u32,
    /// Net or gross spend.
    pub spend: SpendBasis,
    /// Points, if the programme has them.
    pub points: Option<Points>,
}

fn bad(field: &str, value: impl std::fmt::Display, reason: impl Into<String>) -> Error {
    Error::InvalidProgram {
        field: field.to_owned(),
        value: value.to_string(),
        reason: reason.into(),
    }
}

/// An object being read field by field; every error names `path.field`.
struct Obj {
    m: Map<String, Value>,
    path: String,
}

impl Obj {
    fn new(v: Value, path: &str) -> Result<Self> {
        match v {
            Value::Object(m) => Ok(Self {
                m,
                path: path.to_owned(),
            }),
            other => Err(bad(
                if path.is_empty() { "program" } else { path },
                other,
                "expected an object",
            )),
        }
    }
    fn field(&self, k: &str) -> String {
        if self.path.is_empty() {
            k.to_owned()
        } else {
            format!("{}.{k}", self.path)
        }
    }
    fn take(&mut self, k: &str) -> Option<Value> {
        self.m.remove(k).filter(|v| !v.is_null())
    }
    fn string(&mut self, k: &str) -> Result<Option<String>> {
        match self.take(k) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(o) => Err(bad(&self.field(k), o, "expected a string")),
        }
    }
    fn decimal(&mut self, k: &str) -> Result<Option<Decimal>> {
        let f = self.field(k);
        let s = match self.take(k) {
            None => return Ok(None),
            Some(Value::String(s)) => s,
            Some(Value::Number(n)) => n.to_string(),
            Some(o) => return Err(bad(&f, o, "expected a number or a decimal string")),
        };
        Decimal::from_str(s.trim())
            .or_else(|_| Decimal::from_scientific(s.trim()))
            .map(|d| Some(d.normalize()))
            .map_err(|_| bad(&f, &s, "expected a decimal number such as \"1.5\""))
    }
    fn int(&mut self, k: &str, min: i64, max: i64) -> Result<Option<i64>> {
        let f = self.field(k);
        match self.take(k) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) if (min..=max).contains(&i) => Ok(Some(i)),
                _ => Err(bad(
                    &f,
                    &n,
                    format!("expected a whole number from {min} to {max}"),
                )),
            },
            Some(o) => Err(bad(&f, o, "expected a whole number")),
        }
    }
    fn boolean(&mut self, k: &str) -> Result<Option<bool>> {
        match self.take(k) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(o) => Err(bad(&self.field(k), o, "expected true or false")),
        }
    }
    fn date(&mut self, k: &str) -> Result<Option<NaiveDate>> {
        let f = self.field(k);
        match self.string(k)? {
            None => Ok(None),
            Some(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map(Some)
                .map_err(|_| bad(&f, &s, "expected a date as YYYY-MM-DD")),
        }
    }
    fn choice<T: Copy>(&mut self, k: &str, options: &[(&str, T)]) -> Result<Option<T>> {
        let f = self.field(k);
        match self.string(k)? {
            None => Ok(None),
            Some(s) => options
                .iter()
                .find(|(n, _)| *n == s)
                .map(|(_, t)| Some(*t))
                .ok_or_else(|| {
                    let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
                    bad(&f, &s, format!("use one of {}", names.join(", ")))
                }),
        }
    }
    fn required<T>(&self, k: &str, v: Option<T>) -> Result<T> {
        v.ok_or_else(|| bad(&self.field(k), "(missing)", "this field is required"))
    }
    fn finish(self) -> Result<()> {
        match self.m.keys().next() {
            None => Ok(()),
            Some(k) => Err(bad(
                &if self.path.is_empty() {
                    k.clone()
                } else {
                    format!("{}.{k}", self.path)
                },
                k,
                "unknown field; see docs/loyalty.md for the fields a programme takes",
            )),
        }
    }
}

fn non_negative(field: &str, d: Decimal) -> Result<Decimal> {
    if d.is_sign_negative() && !d.is_zero() {
        Err(bad(field, d, "must not be negative"))
    } else {
        Ok(d)
    }
}

fn read_stage(v: Value, path: &str, first: bool) -> Result<Stage> {
    let mut o = Obj::new(v, path)?;
    let id = o.string("id")?;
    let id = o.required("id", id)?;
    if id.trim().is_empty() {
        return Err(bad(&o.field("id"), &id, "a stage id must not be empty"));
    }
    let name = o.string("name")?.unwrap_or_else(|| id.clone());
    let spend = match o.decimal("spend")? {
        Some(d) => Some(non_negative(&o.field("spend"), d)?),
        None => None,
    };
    if spend.is_some_and(|d| d.scale() > 8) {
        return Err(bad(
            &o.field("spend"),
            spend.unwrap_or_default(),
            "at most 8 decimal places",
        ));
    }
    let orders = o.int("orders", 0, i64::from(u32::MAX))?.map(|v| v as u32);
    let points = o.int("points", 0, i64::MAX)?;
    let combine = o
        .choice("match", &[("all", Match::All), ("any", Match::Any)])?
        .unwrap_or_default();
    let invitation_only = o.boolean("invitation_only")?.unwrap_or(false);
    let multiplier = match o.decimal("multiplier")? {
        Some(d) => non_negative(&o.field("multiplier"), d)?,
        None => Decimal::ONE,
    };
    let has_threshold = spend.is_some() || orders.is_some() || points.is_some();
    if first && (has_threshold || invitation_only) {
        return Err(bad(
            path,
            &id,
            "the first stage is the base stage every member starts in: give it no spend, orders or points threshold and do not make it invitation_only",
        ));
    }
    if !first && !has_threshold && !invitation_only {
        return Err(bad(
            path,
            &id,
            "a stage above the base needs a spend, orders or points threshold, or invitation_only: true",
        ));
    }
    o.finish()?;
    Ok(Stage {
        id,
        name,
        spend,
        orders,
        points,
        combine,
        invitation_only,
        multiplier,
    })
}

fn read_window(v: Value) -> Result<Window> {
    let mut o = Obj::new(v, "window")?;
    let kind = o.string("kind")?;
    let kind = o.required("kind", kind)?;
    let w = match kind.as_str() {
        "rolling" => {
            let days = o.int("days", 1, 36_600)?;
            Window::Rolling {
                days: o.required("days", days)? as u32,
            }
        }
        "calendar_year" => Window::CalendarYear,
        "fiscal_year" => {
            let m = o.int("start_month", 1, 12)?;
            Window::FiscalYear {
                start_month: o.required("start_month", m)? as u32,
            }
        }
        "anniversary" => Window::Anniversary,
        other => {
            return Err(bad(
                "window.kind",
                other,
                "use one of rolling, calendar_year, fiscal_year, anniversary",
            ));
        }
    };
    o.finish()?;
    Ok(w)
}

fn read_points(v: Value) -> Result<Points> {
    let mut o = Obj::new(v, "points")?;
    let per = o.decimal("per")?.unwrap_or(Decimal::ONE);
    if per <= Decimal::ZERO || per.scale() > 8 {
        return Err(bad(
            "points.per",
            per,
            "must be a positive amount with at most 8 decimal places (\"100\": points per ¥100)",
        ));
    }
    let earn = o.int("earn", 0, 1_000_000)?.unwrap_or(1);
    let mut bonuses = Vec::new();
    match o.take("bonuses") {
        None => {}
        Some(Value::Array(items)) => {
            for (i, b) in items.into_iter().enumerate() {
                bonuses.push(read_bonus(b, &format!("points.bonuses[{i}]"))?);
            }
        }
        Some(other) => {
            return Err(bad(
                "points.bonuses",
                other,
                "expected a list of bonus rules",
            ));
        }
    }
    let expiry = match o.take("expiry") {
        None => Expiry::Never,
        Some(v) => {
            let mut e = Obj::new(v, "points.expiry")?;
            let kind = e.string("kind")?;
            let kind = e.required("kind", kind)?;
            let x = match kind.as_str() {
                "never" => Expiry::Never,
                "months" => {
                    let m = e.int("months", 1, 1200)?;
                    Expiry::Months {
                        months: e.required("months", m)? as u32,
                    }
                }
                "end_of_next_year" => Expiry::EndOfNextYear,
                other => {
                    return Err(bad(
                        "points.expiry.kind",
                        other,
                        "use one of never, months, end_of_next_year",
                    ));
                }
            };
            e.finish()?;
            x
        }
    };
    let reverse_on_refund = o.boolean("reverse_on_refund")?.unwrap_or(true);
    let shortfall = o
        .choice(
            "shortfall",
            &[("error", Shortfall::Error), ("debt", Shortfall::Debt)],
        )?
        .unwrap_or_default();
    o.finish()?;
    Ok(Points {
        per,
        earn,
        bonuses,
        expiry,
        reverse_on_refund,
        shortfall,
    })
}

fn read_bonus(v: Value, path: &str) -> Result<Bonus> {
    let mut o = Obj::new(v, path)?;
    let kind = o.string("kind")?;
    let kind = o.required("kind", kind)?;
    let when = match kind.as_str() {
        "first_order" => BonusWhen::FirstOrder,
        "birthday_month" => BonusWhen::BirthdayMonth,
        "subscription" => BonusWhen::Subscription,
        "campaign" => {
            let from = o.date("from")?;
            let from = o.required("from", from)?;
            let to = o.date("to")?;
            let to = o.required("to", to)?;
            if to < from {
                return Err(bad(
                    &o.field("to"),
                    to,
                    "the campaign ends before it starts",
                ));
            }
            BonusWhen::Campaign { from, to }
        }
        other => {
            return Err(bad(
                &o.field("kind"),
                other,
                "use one of first_order, birthday_month, subscription, campaign",
            ));
        }
    };
    let multiplier = o.decimal("multiplier")?;
    let points = o.int("points", 0, 1_000_000_000)?;
    if multiplier.is_none() && points.is_none() {
        return Err(bad(path, &kind, "give a multiplier, flat points, or both"));
    }
    let multiplier = match multiplier {
        Some(m) => non_negative(&o.field("multiplier"), m)?,
        None => Decimal::ONE,
    };
    o.finish()?;
    Ok(Bonus {
        when,
        multiplier,
        points: points.unwrap_or(0),
    })
}

impl Program {
    /// Reads a programme from JSON text.
    pub fn from_json(text: &str) -> Result<Self> {
        let v: Value = serde_json::from_str(text).map_err(|e| Error::InvalidProgram {
            field: "program".into(),
            value: format!("line {} column {}", e.line(), e.column()),
            reason: format!("not valid JSON: {e}"),
        })?;
        Self::from_value(v)
    }

    /// Reads a programme from a JSON value.
    pub fn from_value(v: Value) -> Result<Self> {
        let mut o = Obj::new(v, "")?;
        let name = o.string("name")?;
        let stages_v = o.take("stages");
        let Some(Value::Array(items)) = stages_v else {
            return Err(bad(
                "stages",
                stages_v.map_or_else(|| "(missing)".to_owned(), |v| v.to_string()),
                "expected a list of stages, lowest first",
            ));
        };
        if items.is_empty() {
            return Err(bad("stages", "[]", "a programme needs at least one stage"));
        }
        if items.len() > 250 {
            return Err(bad("stages", items.len(), "at most 250 stages"));
        }
        let mut stages = Vec::with_capacity(items.len());
        for (i, s) in items.into_iter().enumerate() {
            let st = read_stage(s, &format!("stages[{i}]"), i == 0)?;
            if stages.iter().any(|x: &Stage| x.id == st.id) {
                return Err(bad(
                    &format!("stages[{i}].id"),
                    &st.id,
                    "stage ids must be unique",
                ));
            }
            stages.push(st);
        }
        let window = match o.take("window") {
            Some(v) => read_window(v)?,
            None => return Err(bad("window", "(missing)", "this field is required")),
        };
        let upgrade = o
            .choice(
                "upgrade",
                &[
                    ("on_order", Upgrade::OnOrder),
                    ("period_end", Upgrade::PeriodEnd),
                ],
            )?
            .unwrap_or_default();
        let review = o
            .choice(
                "review",
                &[
                    ("month", Review::Month),
                    ("year", Review::Year),
                    ("anniversary", Review::Anniversary),
                ],
            )?
            .unwrap_or(match window {
                Window::Rolling { .. } => Review::Month,
                Window::CalendarYear | Window::FiscalYear { .. } => Review::Year,
                Window::Anniversary => Review::Anniversary,
            });
        if review == Review::Anniversary && window != Window::Anniversary {
            return Err(bad(
                "review",
                "anniversary",
                "an anniversary review needs window kind anniversary",
            ));
        }
        let downgrade = o
            .choice(
                "downgrade",
                &[
                    ("never", Downgrade::Never),
                    ("one_step", Downgrade::OneStep),
                    ("recompute", Downgrade::Recompute),
                ],
            )?
            .unwrap_or_default();
        let grace_days = o.int("grace_days", 0, 3660)?.unwrap_or(0) as u32;
        let spend = o
            .choice(
                "spend",
                &[("net", SpendBasis::Net), ("gross", SpendBasis::Gross)],
            )?
            .unwrap_or_default();
        let points = match o.take("points") {
            None => None,
            Some(v) => Some(read_points(v)?),
        };
        if points.is_none() {
            if let Some((i, _)) = stages.iter().enumerate().find(|(_, s)| s.points.is_some()) {
                return Err(bad(
                    &format!("stages[{i}].points"),
                    stages[i].points.unwrap_or(0),
                    "a points threshold needs a points section in the programme",
                ));
            }
        }
        o.finish()?;
        Ok(Self {
            name,
            stages,
            window,
            upgrade,
            review,
            downgrade,
            grace_days,
            spend,
            points,
        })
    }

    /// Index of a stage id.
    #[must_use]
    pub fn stage_index(&self, id: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.id == id)
    }
}
