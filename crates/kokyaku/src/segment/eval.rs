//! Columnar evaluation: a rule is evaluated clause by clause, each clause one pass over a
//! column, into a yes/no vector per clause.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::ast::{CmpOp, Func, NamedDate, Rule, Scope, Term};
use super::extras::{LOYALTY_FIELDS, SegmentExtras};
use super::fields::{Catalog, FieldType, PREDICTED};
use crate::cpm::{self, CpmClass, CpmOptions};
use crate::model::{Day, OrderLog, OrderStatus, date_to_day, day_to_date};
use crate::rfm::{self, RfmOptions};
use crate::summary::{CustomerSummaries, SummaryOptions};
use crate::{Error, Result};

const NO_DAY: Day = Day::MIN;
const NO_CODE: u32 = u32::MAX;

/// Options of a segment evaluation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SegmentOptions {
    /// The summary (as-of date, dormant days).
    pub summary: SummaryOptions,
    /// RFM scoring (for `rfm.*`).
    pub rfm: RfmOptions,
    /// CPM classes (for `cpm.class`).
    pub cpm: CpmOptions,
}

/// An extra per-customer column supplied by another module (a loyalty stage, points, model
/// predictions), one value per customer in the log's customer order.
#[derive(Debug, Clone, PartialEq)]
pub enum ExtraColumn {
    /// Numbers (`NaN` for none).
    Number(Vec<f64>),
    /// Texts (`None` for none).
    Text(Vec<Option<String>>),
    /// Dates (`None` for none).
    Date(Vec<Option<NaiveDate>>),
}

impl ExtraColumn {
    fn into_col(self) -> Col<'static> {
        match self {
            ExtraColumn::Number(v) => Col::F64(v),
            ExtraColumn::Date(v) => Col::Days(Cow::Owned(
                v.iter().map(|d| d.map_or(NO_DAY, date_to_day)).collect(),
            )),
            ExtraColumn::Text(v) => {
                let (codes, dict) = intern_texts(v.iter().map(Option::as_deref));
                Col::Text(Cow::Owned(codes), dict)
            }
        }
    }
    fn field_type(&self) -> FieldType {
        match self {
            Self::Number(_) => FieldType::Number,
            Self::Text(_) => FieldType::Text,
            Self::Date(_) => FieldType::Date,
        }
    }
    fn len(&self) -> usize {
        match self {
            Self::Number(v) => v.len(),
            Self::Text(v) => v.len(),
            Self::Date(v) => v.len(),
        }
    }
}

/// A column of one row space (customers, orders, lines or subscriptions).
#[derive(Debug)]
enum Col<'a> {
    U32(Cow<'a, [u32]>),
    OptU32(&'a [Option<u32>]),
    Units(&'a [i64], f64),
    /// The summary's 128-bit money totals, in units at a scale.
    Wide(&'a [i128], f64),
    F64(Vec<f64>),
    U8Zero(Cow<'a, [u8]>),
    OptDay(&'a [Option<Day>]),
    Days(Cow<'a, [Day]>),
    Text(Cow<'a, [u32]>, Vec<String>),
    Set(Cow<'a, [u32]>, Cow<'a, [u32]>, Vec<String>),
    Bool(Cow<'a, [bool]>),
}

impl Col<'_> {
    fn len(&self) -> usize {
        match self {
            Col::U32(v) | Col::Text(v, _) => v.len(),
            Col::OptU32(v) => v.len(),
            Col::Units(v, _) => v.len(),
            Col::Wide(v, _) => v.len(),
            Col::F64(v) => v.len(),
            Col::U8Zero(v) => v.len(),
            Col::OptDay(v) => v.len(),
            Col::Days(v) => v.len(),
            Col::Set(o, _, _) => o.len().saturating_sub(1),
            Col::Bool(v) => v.len(),
        }
    }
    /// `f(value)` per row for a number column; `false` for null rows.
    fn num_map(&self, f: impl Fn(f64) -> bool) -> Vec<bool> {
        match self {
            Col::U32(v) => v.iter().map(|&x| f(f64::from(x))).collect(),
            Col::OptU32(v) => v
                .iter()
                .map(|x| x.is_some_and(|x| f(f64::from(x))))
                .collect(),
            Col::Units(v, scale) => v.iter().map(|&x| f(x as f64 / scale)).collect(),
            Col::Wide(v, scale) => v.iter().map(|&x| f(x as f64 / scale)).collect(),
            Col::F64(v) => v.iter().map(|&x| !x.is_nan() && f(x)).collect(),
            Col::U8Zero(v) => v.iter().map(|&x| x != 0 && f(f64::from(x))).collect(),
            _ => vec![false; self.len()],
        }
    }
    fn day_map(&self, f: impl Fn(Day) -> bool) -> Vec<bool> {
        match self {
            Col::OptDay(v) => v.iter().map(|x| x.is_some_and(&f)).collect(),
            Col::Days(v) => v.iter().map(|&x| x != NO_DAY && f(x)).collect(),
            _ => vec![false; self.len()],
        }
    }
    fn num_at(&self, r: usize) -> Option<f64> {
        match self {
            Col::U32(v) => Some(f64::from(v[r])),
            Col::OptU32(v) => v[r].map(f64::from),
            Col::Units(v, s) => Some(v[r] as f64 / s),
            Col::Wide(v, s) => Some(v[r] as f64 / s),
            Col::F64(v) => Some(v[r]).filter(|x| !x.is_nan()),
            Col::U8Zero(v) => Some(f64::from(v[r])).filter(|&x| x != 0.0),
            _ => None,
        }
    }
    fn day_at(&self, r: usize) -> Option<Day> {
        match self {
            Col::OptDay(v) => v[r],
            Col::Days(v) => Some(v[r]).filter(|&d| d != NO_DAY),
            _ => None,
        }
    }
    fn texts_at(&self, r: usize) -> Vec<&str> {
        match self {
            Col::Text(c, d) => d
                .get(c[r] as usize)
                .map(String::as_str)
                .into_iter()
                .collect(),
            Col::Set(o, c, d) => c[o[r] as usize..o[r + 1] as usize]
                .iter()
                .filter_map(|&k| d.get(k as usize).map(String::as_str))
                .collect(),
            _ => Vec::new(),
        }
    }
    /// Rows whose text (or any member of whose set) satisfies `f`.
    fn text_map(&self, f: impl Fn(&str) -> bool) -> Vec<bool> {
        let table = |d: &[String]| d.iter().map(|s| f(s)).collect::<Vec<bool>>();
        match self {
            Col::Text(c, d) => {
                let t = table(d);
                c.iter()
                    .map(|&k| t.get(k as usize).copied().unwrap_or(false))
                    .collect()
            }
            Col::Set(o, c, d) => {
                let t = table(d);
                o.windows(2)
                    .map(|w| {
                        c[w[0] as usize..w[1] as usize]
                            .iter()
                            .any(|&k| t[k as usize])
                    })
                    .collect()
            }
            _ => vec![false; self.len()],
        }
    }
    fn is_null(&self) -> Vec<bool> {
        match self {
            Col::OptU32(v) => v.iter().map(Option::is_none).collect(),
            Col::F64(v) => v.iter().map(|x| x.is_nan()).collect(),
            Col::U8Zero(v) => v.iter().map(|&x| x == 0).collect(),
            Col::OptDay(v) => v.iter().map(Option::is_none).collect(),
            Col::Days(v) => v.iter().map(|&x| x == NO_DAY).collect(),
            Col::Text(c, _) => c.iter().map(|&k| k == NO_CODE).collect(),
            Col::Set(o, _, _) => o.windows(2).map(|w| w[0] == w[1]).collect(),
            Col::U32(_) | Col::Units(..) | Col::Wide(..) | Col::Bool(_) => {
                vec![false; self.len()]
            }
        }
    }
    fn value_at(&self, r: usize) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Col::Bool(v) => Value::Bool(v[r]),
            Col::OptDay(_) | Col::Days(_) => self
                .day_at(r)
                .map_or(Value::Null, |d| Value::String(day_to_date(d).to_string())),
            Col::Text(..) => self
                .texts_at(r)
                .first()
                .map_or(Value::Null, |s| Value::String((*s).to_owned())),
            Col::Set(..) => Value::Array(
                self.texts_at(r)
                    .into_iter()
                    .map(|s| Value::String(s.to_owned()))
                    .collect(),
            ),
            _ => self.num_at(r).map_or(Value::Null, |x| {
                if x.fract() == 0.0 && x.abs() < 9.0e15 {
                    Value::from(x as i64)
                } else {
                    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
                }
            }),
        }
    }
}

/// A scalar operand.
#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    Num(f64),
    Text(String),
    Day(Day),
    Bool(bool),
    Null,
}

enum Operand<'a> {
    Col(Rc<Col<'a>>),
    Scalar(Scalar),
}

/// The per-customer data many rules share: the summary, the log, and every column a rule has
/// read (computed once, on first use).
pub struct Segmenter<'a> {
    log: &'a OrderLog,
    s: &'a CustomerSummaries,
    opts: SegmentOptions,
    as_of: NaiveDate,
    as_of_day: Day,
    extra: HashMap<String, ExtraColumn>,
    extras: Option<&'a SegmentExtras>,
    catalog: Catalog,
    cache: RefCell<HashMap<(u8, String), Rc<Col<'a>>>>,
    sub_groups: RefCell<Option<Rc<Groups>>>,
}

/// Subscriptions grouped by customer: offsets per customer and subscription indices.
type Groups = (Vec<u32>, Vec<u32>);

fn scope_key(scope: Option<Scope>) -> u8 {
    match scope {
        None => 0,
        Some(Scope::Order) => 1,
        Some(Scope::Line) => 2,
        Some(Scope::Subscription) => 3,
    }
}

/// The next anniversary of `birth` on or after `from` (29 February on 28 February in common years).
#[must_use]
pub fn anniversary(birth: NaiveDate, from: NaiveDate) -> Option<NaiveDate> {
    let on = |year: i32| {
        NaiveDate::from_ymd_opt(year, birth.month(), birth.day())
            .or_else(|| NaiveDate::from_ymd_opt(year, birth.month(), birth.day() - 1))
    };
    let this = on(from.year())?;
    if this >= from {
        Some(this)
    } else {
        on(from.year() + 1)
    }
}

/// Full years from `birth` to `at` (birthdays on 29 February count on 28 February in common years).
#[must_use]
pub fn age_years(birth: NaiveDate, at: NaiveDate) -> Option<i32> {
    if at < birth {
        return None;
    }
    let years = at.year() - birth.year();
    let this = NaiveDate::from_ymd_opt(at.year(), birth.month(), birth.day())
        .or_else(|| NaiveDate::from_ymd_opt(at.year(), birth.month(), birth.day() - 1))?;
    Some(if at >= this { years } else { years - 1 })
}

fn intern_texts<'s>(values: impl Iterator<Item = Option<&'s str>>) -> (Vec<u32>, Vec<String>) {
    let mut dict: Vec<String> = Vec::new();
    let mut index: HashMap<&'s str, u32> = HashMap::new();
    let codes = values
        .map(|v| match v {
            None => NO_CODE,
            Some(s) => *index.entry(s).or_insert_with(|| {
                dict.push(s.to_owned());
                (dict.len() - 1) as u32
            }),
        })
        .collect();
    (codes, dict)
}

impl<'a> Segmenter<'a> {
    /// A segmenter over `log` and its summary `s` (built with `opts.summary`).
    #[must_use]
    pub fn new(log: &'a OrderLog, s: &'a CustomerSummaries, opts: SegmentOptions) -> Self {
        let as_of = s.as_of;
        // Orders flagged as subscription orders but no subscription table: contracts exist
        // whose product and status nobody knows (a quantifier over them is an error).
        let subscriptions_unknown =
            log.subscriptions().id.is_empty() && s.subscription_orders.iter().any(|&n| n > 0);
        Self {
            log,
            s,
            opts,
            as_of,
            as_of_day: date_to_day(as_of),
            extra: HashMap::new(),
            extras: None,
            catalog: Catalog {
                subscriptions_unknown,
                ..Catalog::default()
            },
            cache: RefCell::new(HashMap::new()),
            sub_groups: RefCell::new(None),
        }
    }

    /// Adds an extra per-customer field (the extension point for other modules: a loyalty
    /// stage, points, LTV predictions named `p_alive`, `expected_orders`, `clv`).
    ///
    /// # Errors
    /// `invalid_option` when the column's length is not the number of customers, or the name
    /// is a built-in field.
    pub fn add_field(&mut self, name: &str, column: ExtraColumn) -> Result<()> {
        if column.len() != self.s.len() {
            return Err(Error::option(
                name,
                column.len(),
                format!(
                    "an extra field needs one value per customer ({})",
                    self.s.len()
                ),
            ));
        }
        let predicted = super::fields::PREDICTED.contains(&name);
        if !predicted
            && super::fields::CUSTOMER_FIELDS
                .iter()
                .any(|(n, _, _)| *n == name)
        {
            return Err(Error::option(
                name,
                "(column)",
                "this is a built-in field; choose another name",
            ));
        }
        if predicted {
            self.catalog.predicted = true;
        } else {
            self.catalog
                .extra
                .insert(name.to_owned(), column.field_type());
        }
        self.extra.insert(name.to_owned(), column);
        self.cache.borrow_mut().remove(&(0, name.to_owned()));
        Ok(())
    }

    /// Adds the fields of `extras` (LTV predictions `p_alive`, `expected_orders`, `clv`;
    /// loyalty `stage`, `points`). They are computed on first use (a rule that reads none of
    /// them costs nothing) and shared by every rule after that.
    pub fn with_extras(&mut self, extras: &'a SegmentExtras) {
        if let Some(p) = &extras.predictions {
            for name in p.field_names() {
                self.catalog
                    .extra
                    .insert(name.to_owned(), FieldType::Number);
            }
        }
        if extras.loyalty.is_some() {
            self.catalog.extra.insert("stage".into(), FieldType::Text);
            self.catalog
                .extra
                .insert("points".into(), FieldType::Number);
        }
        self.extras = Some(extras);
    }

    /// Declares the log's subscription table complete even when it is empty: a subscription
    /// quantifier then sees no items instead of being a `rule_type` error on a log with
    /// subscription orders. For callers whose contracts arrive as events (the customer book:
    /// no subscription event yet means no contract yet).
    pub fn subscriptions_complete(&mut self) {
        self.catalog.subscriptions_unknown = false;
    }

    /// The columns of `extras` that hold `field`, computed (once) and put in the cache.
    fn lazy_extra(&self, field: &str) -> Result<Option<Col<'a>>> {
        let Some(e) = self.extras else {
            return Ok(None);
        };
        let cols = match (&e.predictions, &e.loyalty) {
            (Some(p), _) if PREDICTED.contains(&field) => p.columns(self.log, self.as_of)?,
            (_, Some(l)) if LOYALTY_FIELDS.contains(&field) => l.columns(self.log, self.as_of)?,
            _ => return Ok(None),
        };
        let mut wanted = None;
        let mut cache = self.cache.borrow_mut();
        for (name, col) in cols {
            if col.len() != self.s.len() {
                return Err(Error::option(
                    &name,
                    col.len(),
                    format!("one value per customer is needed ({})", self.s.len()),
                ));
            }
            if name == field {
                wanted = Some(col.into_col());
            } else {
                cache.insert((0, name), Rc::new(col.into_col()));
            }
        }
        Ok(wanted)
    }

    pub(crate) fn log_ref(&self) -> &'a OrderLog {
        self.log
    }

    /// The fields this segmenter knows.
    #[must_use]
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The analysis date.
    #[must_use]
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// Checks `rule` (types, fields) against this segmenter's fields.
    ///
    /// # Errors
    /// `rule_type` with the position in the rule's canonical text.
    pub fn check(&self, rule: &Rule) -> Result<()> {
        super::check(rule, &self.catalog).map_err(Error::from)
    }

    /// Which customers satisfy `rule`, one flag per customer in the log's customer order.
    ///
    /// # Errors
    /// `rule_type` for an unknown field or a type mismatch.
    pub fn evaluate(&self, rule: &Rule) -> Result<Vec<bool>> {
        self.check(rule)?;
        self.eval(None, rule)
    }

    /// The indices of the customers satisfying `rule`, in customer order.
    ///
    /// # Errors
    /// As [`Segmenter::evaluate`].
    pub fn members(&self, rule: &Rule) -> Result<Vec<usize>> {
        Ok(self
            .evaluate(rule)?
            .iter()
            .enumerate()
            .filter_map(|(i, &b)| b.then_some(i))
            .collect())
    }

    fn rows(&self, scope: Option<Scope>) -> usize {
        match scope {
            None => self.s.len(),
            Some(Scope::Order) => self.log.n_orders(),
            Some(Scope::Line) => self.log.lines().len(),
            Some(Scope::Subscription) => self.log.subscriptions().customer.len(),
        }
    }

    fn column(&self, scope: Option<Scope>, name: &str) -> Result<Rc<Col<'a>>> {
        let key = (scope_key(scope), name.to_owned());
        if let Some(c) = self.cache.borrow().get(&key) {
            return Ok(Rc::clone(c));
        }
        let col = Rc::new(self.build(scope, name)?);
        self.cache.borrow_mut().insert(key, Rc::clone(&col));
        Ok(col)
    }

    #[allow(clippy::too_many_lines)]
    fn build(&self, scope: Option<Scope>, name: &str) -> Result<Col<'a>> {
        let s = self.s;
        let log = self.log;
        let scale = 10_f64.powi(s.money_scale as i32);
        let n = s.len();
        let birth = |c: usize| log.birth_date(c);
        Ok(match (scope, name) {
            (None, "orders") => Col::U32(Cow::Borrowed(&s.orders)),
            (None, "purchase_days") => Col::U32(Cow::Borrowed(&s.purchase_days)),
            (None, "subscription_orders") => Col::U32(Cow::Borrowed(&s.subscription_orders)),
            (None, "cancelled_orders") => Col::U32(Cow::Borrowed(&s.cancelled_orders)),
            (None, "gross") => Col::Wide(&s.gross_units, scale),
            (None, "refunds") => Col::Wide(&s.refund_units, scale),
            (None, "net") => Col::Wide(&s.net_units, scale),
            (None, "aov") => Col::F64(
                (0..n)
                    .map(|i| {
                        if s.orders[i] == 0 {
                            f64::NAN
                        } else {
                            s.net_units[i] as f64 / scale / f64::from(s.orders[i])
                        }
                    })
                    .collect(),
            ),
            (None, "first_order_date") => Col::OptDay(&s.first_order_day),
            (None, "last_order_date") => Col::OptDay(&s.last_order_day),
            (None, "days_since_last_order") => Col::OptU32(&s.recency_days),
            (None, "days_since_first_order") => Col::OptU32(&s.age_days),
            (None, "tenure_days") => Col::OptU32(&s.tenure_days),
            (None, "dormant") => Col::Bool(Cow::Borrowed(&s.dormant)),
            (None, "one_off_only") => Col::Bool(Cow::Owned(
                (0..n)
                    .map(|i| s.orders[i] > 0 && s.subscription_orders[i] == 0)
                    .collect(),
            )),
            (None, "subscription") => {
                let dict = ["none", "active", "paused", "cancelled"]
                    .map(str::to_owned)
                    .to_vec();
                Col::Text(
                    Cow::Owned(
                        s.subscription
                            .iter()
                            .map(|st| {
                                dict.iter()
                                    .position(|d| d == st.as_str())
                                    .map_or(NO_CODE, |p| p as u32)
                            })
                            .collect(),
                    ),
                    dict,
                )
            }
            (None, "subscription_cycles") => Col::U32(Cow::Owned(self.cycles())),
            (None, "products") => self.products(),
            (None, "rfm.r" | "rfm.f" | "rfm.m" | "rfm.segment") => {
                let scores = rfm::score(s, &self.opts.rfm)?;
                let seg = Col::Text(
                    Cow::Owned(
                        scores
                            .segment
                            .iter()
                            .map(|x| x.map_or(NO_CODE, u32::from))
                            .collect(),
                    ),
                    scores.segment_names.clone(),
                );
                let mut cache = self.cache.borrow_mut();
                cache.insert((0, "rfm.segment".into()), Rc::new(seg));
                cache.insert(
                    (0, "rfm.f".into()),
                    Rc::new(Col::U8Zero(Cow::Owned(scores.f))),
                );
                cache.insert(
                    (0, "rfm.m".into()),
                    Rc::new(Col::U8Zero(Cow::Owned(scores.m))),
                );
                cache.insert(
                    (0, "rfm.r".into()),
                    Rc::new(Col::U8Zero(Cow::Owned(scores.r))),
                );
                let c = cache.get(&(0, name.to_owned())).map(Rc::clone);
                drop(cache);
                return c
                    .map(|c| match &*c {
                        Col::U8Zero(v) => Col::U8Zero(Cow::Owned(v.to_vec())),
                        Col::Text(a, b) => Col::Text(Cow::Owned(a.to_vec()), b.clone()),
                        _ => Col::Bool(Cow::Owned(vec![false; n])),
                    })
                    .ok_or_else(|| Error::Unsupported("rfm column".into()));
            }
            (None, "cpm.class") => {
                let r = cpm::classify(s, &self.cpm_opts())?;
                let dict: Vec<String> = CpmClass::all().into_iter().map(CpmClass::id).collect();
                Col::Text(
                    Cow::Owned(
                        r.class
                            .iter()
                            .map(|c| c.map_or(NO_CODE, |c| c.index() as u32))
                            .collect(),
                    ),
                    dict,
                )
            }
            (None, "birth_date") => Col::Days(Cow::Owned(
                (0..n)
                    .map(|c| birth(c).map_or(NO_DAY, date_to_day))
                    .collect(),
            )),
            (None, "age") => Col::F64(
                (0..n)
                    .map(|c| {
                        birth(c)
                            .and_then(|b| age_years(b, self.as_of))
                            .map_or(f64::NAN, f64::from)
                    })
                    .collect(),
            ),
            (None, "age_band") => {
                let bands: Vec<Option<String>> = (0..n)
                    .map(|c| {
                        birth(c).and_then(|b| age_years(b, self.as_of)).map(|a| {
                            let lo = a / 10 * 10;
                            format!("{lo}-{}", lo + 9)
                        })
                    })
                    .collect();
                let (codes, dict) = intern_texts(bands.iter().map(Option::as_deref));
                Col::Text(Cow::Owned(codes), dict)
            }
            (None, "birthday_month") => Col::F64(
                (0..n)
                    .map(|c| birth(c).map_or(f64::NAN, |b| f64::from(b.month())))
                    .collect(),
            ),
            (None, "days_to_birthday") => Col::F64(
                (0..n)
                    .map(|c| {
                        birth(c)
                            .and_then(|b| anniversary(b, self.as_of))
                            .map_or(f64::NAN, |a| (a - self.as_of).num_days() as f64)
                    })
                    .collect(),
            ),
            (None, "signup_date") => Col::Days(Cow::Owned(
                (0..n).map(|c| log.signed_up(c).unwrap_or(NO_DAY)).collect(),
            )),
            (None, "days_since_signup") => Col::F64(
                (0..n)
                    .map(|c| {
                        log.signed_up(c)
                            .map_or(f64::NAN, |d| f64::from(self.as_of_day - d))
                    })
                    .collect(),
            ),
            (None, field) => {
                if let Some(x) = self.extra.get(field) {
                    return Ok(x.clone().into_col());
                }
                if let Some(c) = self.lazy_extra(field)? {
                    return Ok(c);
                }
                if let Some(attr) = field.strip_prefix("attr.") {
                    let (codes, dict) = intern_texts((0..n).map(|c| {
                        log.attributes(c)
                            .and_then(|m| m.get(attr))
                            .map(String::as_str)
                    }));
                    return Ok(Col::Text(Cow::Owned(codes), dict));
                }
                return Err(Error::Unsupported(format!("field '{field}' has no column")));
            }
            (Some(Scope::Order), "placed_at") => Col::Days(Cow::Borrowed(log.days())),
            (Some(Scope::Order), "amount") => Col::Units(
                log.amounts().units(),
                10_f64.powi(log.amounts().scale() as i32),
            ),
            (Some(Scope::Order), "kind") => {
                let dict = vec!["one_off".to_owned(), "subscription".to_owned()];
                Col::Text(
                    Cow::Owned(
                        log.kinds()
                            .iter()
                            .map(|k| u32::from(k.as_str() != "one_off"))
                            .collect(),
                    ),
                    dict,
                )
            }
            (Some(Scope::Order), "sku") => {
                let l = log.lines();
                let skus = (0..l.skus.len())
                    .map(|i| l.skus.get(i).to_owned())
                    .collect();
                if l.offsets.is_empty() {
                    Col::Set(
                        Cow::Owned(vec![0; log.n_orders() + 1]),
                        Cow::Owned(Vec::new()),
                        skus,
                    )
                } else {
                    Col::Set(Cow::Borrowed(&l.offsets), Cow::Borrowed(&l.sku), skus)
                }
            }
            (Some(Scope::Line), field) => {
                let l = log.lines();
                match field {
                    "sku" => Col::Text(
                        Cow::Borrowed(&l.sku),
                        (0..l.skus.len())
                            .map(|i| l.skus.get(i).to_owned())
                            .collect(),
                    ),
                    "quantity" => Col::F64(
                        l.quantity
                            .iter()
                            .map(|d| f64::try_from(*d).unwrap_or(f64::NAN))
                            .collect(),
                    ),
                    "unit_price" => Col::F64(
                        l.unit_price
                            .iter()
                            .map(|d| f64::try_from(*d).unwrap_or(f64::NAN))
                            .collect(),
                    ),
                    "amount" => Col::F64(
                        l.quantity
                            .iter()
                            .zip(&l.unit_price)
                            .map(|(q, p)| {
                                q.checked_mul(*p)
                                    .and_then(|x| f64::try_from(x).ok())
                                    .unwrap_or(f64::NAN)
                            })
                            .collect(),
                    ),
                    "placed_at" => {
                        let mut days = vec![NO_DAY; l.len()];
                        for o in 0..log.n_orders() {
                            for k in l.range(o) {
                                days[k] = log.days()[o];
                            }
                        }
                        Col::Days(Cow::Owned(days))
                    }
                    other => return Err(Error::Unsupported(format!("line field '{other}'"))),
                }
            }
            (Some(Scope::Subscription), field) => {
                let t = log.subscriptions();
                match field {
                    "product" => {
                        let (codes, dict) = intern_texts(t.product.iter().map(Option::as_deref));
                        Col::Text(Cow::Owned(codes), dict)
                    }
                    "status" => {
                        let dict = ["active", "paused", "cancelled"]
                            .map(str::to_owned)
                            .to_vec();
                        Col::Text(
                            Cow::Owned(
                                t.status
                                    .iter()
                                    .map(|st| {
                                        dict.iter()
                                            .position(|d| d == st.as_str())
                                            .map_or(NO_CODE, |p| p as u32)
                                    })
                                    .collect(),
                            ),
                            dict,
                        )
                    }
                    "cycles" => Col::U32(Cow::Borrowed(&t.cycles)),
                    "started_at" => Col::Days(Cow::Borrowed(&t.started)),
                    "cancelled_at" => Col::OptDay(&t.cancelled),
                    other => {
                        return Err(Error::Unsupported(format!("subscription field '{other}'")));
                    }
                }
            }
            (Some(sc), other) => {
                return Err(Error::Unsupported(format!(
                    "{} field '{other}'",
                    sc.as_str()
                )));
            }
        })
    }

    fn cpm_opts(&self) -> CpmOptions {
        self.opts.cpm.clone()
    }

    fn cycles(&self) -> Vec<u32> {
        let log = self.log;
        let n = self.s.len();
        let t = log.subscriptions();
        if !t.customer.is_empty() {
            let mut v = vec![0u32; n];
            for (k, &c) in t.customer.iter().enumerate() {
                if let Some(x) = v.get_mut(c as usize) {
                    *x = (*x).max(t.cycles[k]);
                }
            }
            return v;
        }
        // Without a table: the most completed orders of any one subscription id.
        let subs = log.subscription_index();
        let mut per: HashMap<u32, u32> = HashMap::new();
        (0..n)
            .map(|c| {
                per.clear();
                for o in log.order_range(c) {
                    if subs[o] != u32::MAX && log.statuses()[o] == OrderStatus::Completed {
                        *per.entry(subs[o]).or_insert(0) += 1;
                    }
                }
                per.values().copied().max().unwrap_or(0)
            })
            .collect()
    }

    fn products(&self) -> Col<'a> {
        let log = self.log;
        let l = log.lines();
        let dict: Vec<String> = (0..l.skus.len())
            .map(|i| l.skus.get(i).to_owned())
            .collect();
        let n = self.s.len();
        let mut offsets = Vec::with_capacity(n + 1);
        let mut codes = Vec::new();
        offsets.push(0u32);
        for c in 0..n {
            if !l.is_empty() {
                for o in log.order_range(c) {
                    if log.statuses()[o] == OrderStatus::Completed {
                        codes.extend(l.range(o).map(|k| l.sku[k]));
                    }
                }
            }
            offsets.push(codes.len() as u32);
        }
        Col::Set(Cow::Owned(offsets), Cow::Owned(codes), dict)
    }

    fn as_of_plus(&self, r: super::ast::RelDate) -> Result<Day> {
        r.from(self.as_of)
            .map(date_to_day)
            .ok_or_else(|| Error::option("rule", r, "the relative date leaves the calendar"))
    }

    fn operand(&self, scope: Option<Scope>, t: &Term) -> Result<Operand<'a>> {
        Ok(match t {
            Term::Field(name) => Operand::Col(self.column(scope, name)?),
            Term::Number(x) => Operand::Scalar(Scalar::Num(*x)),
            Term::Text(s) => Operand::Scalar(Scalar::Text(s.clone())),
            Term::Bool(b) => Operand::Scalar(Scalar::Bool(*b)),
            Term::Date(d) => Operand::Scalar(Scalar::Day(date_to_day(*d))),
            Term::Relative(r) => Operand::Scalar(Scalar::Day(self.as_of_plus(*r)?)),
            Term::Named(NamedDate::Today | NamedDate::AsOf) => {
                Operand::Scalar(Scalar::Day(self.as_of_day))
            }
            Term::Call { func, arg } => {
                let apply = |d: Day| -> Option<f64> {
                    let date = day_to_date(d);
                    Some(f64::from(match func {
                        Func::Month => date.month(),
                        Func::Day => date.day(),
                        Func::Year => u32::try_from(date.year()).ok()?,
                        Func::Anniversary => {
                            return anniversary(date, self.as_of)
                                .map(|a| f64::from(date_to_day(a)));
                        }
                    }))
                };
                match self.operand(scope, arg)? {
                    Operand::Scalar(Scalar::Day(d)) => Operand::Scalar(match (func, apply(d)) {
                        (_, None) => Scalar::Null,
                        (Func::Anniversary, Some(x)) => Scalar::Day(x as Day),
                        (_, Some(x)) => Scalar::Num(x),
                    }),
                    Operand::Col(c) => {
                        let rows = c.len();
                        let vals = (0..rows).map(|r| c.day_at(r).and_then(apply));
                        Operand::Col(Rc::new(if *func == Func::Anniversary {
                            Col::Days(Cow::Owned(
                                vals.map(|x| x.map_or(NO_DAY, |x| x as Day)).collect(),
                            ))
                        } else {
                            Col::F64(vals.map(|x| x.unwrap_or(f64::NAN)).collect())
                        }))
                    }
                    Operand::Scalar(_) => Operand::Scalar(Scalar::Null),
                }
            }
        })
    }

    /// `out (comb)= left cmp right`, one pass.
    fn compare_into(
        &self,
        scope: Option<Scope>,
        left: &Term,
        cmp: CmpOp,
        right: &Term,
        out: &mut [bool],
        comb: Comb,
    ) -> Result<()> {
        let rows = self.rows(scope);
        let l = self.operand(scope, left)?;
        let r = self.operand(scope, right)?;
        match (l, r) {
            (Operand::Col(c), Operand::Scalar(v)) => col_scalar_into(&c, cmp, &v, out, comb),
            (Operand::Scalar(v), Operand::Col(c)) => col_scalar_into(&c, flip(cmp), &v, out, comb),
            (Operand::Scalar(a), Operand::Scalar(b)) => {
                combine(out, &vec![scalar_cmp(&a, cmp, &b); rows], comb);
            }
            (Operand::Col(a), Operand::Col(b)) => {
                let flags: Vec<bool> = (0..rows)
                    .map(|i| {
                        if let (Some(x), Some(y)) = (a.num_at(i), b.num_at(i)) {
                            cmp.num(x, y)
                        } else if let (Some(x), Some(y)) = (a.day_at(i), b.day_at(i)) {
                            cmp.holds(x.cmp(&y))
                        } else if let (Col::Bool(x), Col::Bool(y)) = (&*a, &*b) {
                            cmp.holds(x[i].cmp(&y[i]))
                        } else {
                            let (x, y) = (a.texts_at(i), b.texts_at(i));
                            let eq = x.iter().any(|s| y.contains(s));
                            match cmp {
                                CmpOp::Eq => eq,
                                CmpOp::Ne => !x.is_empty() && !y.is_empty() && !eq,
                                _ => false,
                            }
                        }
                    })
                    .collect();
                combine(out, &flags, comb);
            }
        }
        Ok(())
    }

    /// `out (comb)= rule`: `and`, `or`, comparisons and `between` update `out` in place, one
    /// pass per clause and no vector per clause; other rules are evaluated and combined.
    fn eval_into(
        &self,
        scope: Option<Scope>,
        rule: &Rule,
        out: &mut [bool],
        comb: Comb,
    ) -> Result<()> {
        match (rule, comb) {
            (Rule::Compare { left, cmp, right }, _) => {
                self.compare_into(scope, left, *cmp, right, out, comb)
            }
            (Rule::Between { term, low, high }, Comb::Set | Comb::And) => {
                self.compare_into(scope, term, CmpOp::Ge, low, out, comb)?;
                self.compare_into(scope, term, CmpOp::Le, high, out, Comb::And)
            }
            (Rule::And { rules }, Comb::Set | Comb::And) => {
                for (k, r) in rules.iter().enumerate() {
                    let c = if k == 0 { comb } else { Comb::And };
                    self.eval_into(scope, r, out, c)?;
                }
                Ok(())
            }
            (Rule::Or { rules }, Comb::Set | Comb::Or) => {
                for (k, r) in rules.iter().enumerate() {
                    let c = if k == 0 { comb } else { Comb::Or };
                    self.eval_into(scope, r, out, c)?;
                }
                Ok(())
            }
            _ => {
                let v = self.eval(scope, rule)?;
                combine(out, &v, comb);
                Ok(())
            }
        }
    }

    pub(crate) fn eval(&self, scope: Option<Scope>, rule: &Rule) -> Result<Vec<bool>> {
        Ok(match rule {
            Rule::And { .. } | Rule::Or { .. } | Rule::Compare { .. } | Rule::Between { .. } => {
                let mut v = vec![false; self.rows(scope)];
                self.eval_into(scope, rule, &mut v, Comb::Set)?;
                v
            }
            Rule::Not { rule } => {
                let mut v = self.eval(scope, rule)?;
                for a in &mut v {
                    *a = !*a;
                }
                v
            }
            Rule::In {
                term,
                values,
                negated,
            } => {
                let mut v = vec![false; self.rows(scope)];
                for x in values {
                    self.compare_into(scope, term, CmpOp::Eq, x, &mut v, Comb::Or)?;
                }
                if *negated {
                    // `not in`: the value is known and none of the listed.
                    let nulls = self.null(scope, term)?;
                    for (a, n) in v.iter_mut().zip(&nulls) {
                        *a = !*a && !*n;
                    }
                }
                v
            }
            Rule::IsNull { term, negated } => {
                let mut v = self.null(scope, term)?;
                if *negated {
                    for a in &mut v {
                        *a = !*a;
                    }
                }
                v
            }
            Rule::Contains { term, value } | Rule::StartsWith { term, value } => {
                let starts = matches!(rule, Rule::StartsWith { .. });
                let Operand::Scalar(Scalar::Text(needle)) = self.operand(scope, value)? else {
                    return Err(Error::option(
                        "rule",
                        value,
                        "contains / starts_with take a text",
                    ));
                };
                match self.operand(scope, term)? {
                    Operand::Col(c) => match (&*c, starts) {
                        (Col::Set(..), false) => c.text_map(|s| s == needle),
                        (_, false) => c.text_map(|s| s.contains(needle.as_str())),
                        (_, true) => c.text_map(|s| s.starts_with(needle.as_str())),
                    },
                    Operand::Scalar(Scalar::Text(s)) => {
                        vec![
                            if starts {
                                s.starts_with(&needle)
                            } else {
                                s.contains(&needle)
                            };
                            self.rows(scope)
                        ]
                    }
                    Operand::Scalar(_) => vec![false; self.rows(scope)],
                }
            }
            Rule::Is { term } => match self.operand(scope, term)? {
                Operand::Col(c) => match &*c {
                    Col::Bool(v) => v.to_vec(),
                    _ => vec![false; self.rows(scope)],
                },
                Operand::Scalar(Scalar::Bool(b)) => vec![b; self.rows(scope)],
                Operand::Scalar(_) => vec![false; self.rows(scope)],
            },
            Rule::Any { scope: sc, rule } => self.quantify(*sc, rule, |hit, _| hit > 0)?,
            Rule::All { scope: sc, rule } => self.quantify(*sc, rule, |hit, total| hit == total)?,
            Rule::Count {
                scope: sc,
                rule,
                cmp,
                n,
            } => {
                let (cmp, n) = (*cmp, *n);
                self.quantify(*sc, rule, move |hit, _| cmp.holds(hit.cmp(&n)))?
            }
        })
    }

    fn null(&self, scope: Option<Scope>, term: &Term) -> Result<Vec<bool>> {
        Ok(match self.operand(scope, term)? {
            Operand::Col(c) => c.is_null(),
            Operand::Scalar(s) => vec![s == Scalar::Null; self.rows(scope)],
        })
    }

    fn subscription_groups(&self) -> Rc<Groups> {
        if let Some(g) = self.sub_groups.borrow().as_ref() {
            return Rc::clone(g);
        }
        let t = self.log.subscriptions();
        let (offsets, items) = crate::model::group_rows(&t.customer, self.s.len());
        let g = Rc::new((offsets, items));
        *self.sub_groups.borrow_mut() = Some(Rc::clone(&g));
        g
    }

    /// Evaluates `rule` over every item of `scope`, then per customer `decide(hits, items)`.
    fn quantify(
        &self,
        scope: Scope,
        rule: &Rule,
        decide: impl Fn(u32, u32) -> bool,
    ) -> Result<Vec<bool>> {
        let inner = self.eval(Some(scope), rule)?;
        let log = self.log;
        let n = self.s.len();
        let status = log.statuses();
        Ok(match scope {
            Scope::Order => (0..n)
                .map(|c| {
                    let (mut hit, mut total) = (0u32, 0u32);
                    for o in log.order_range(c) {
                        if status[o] == OrderStatus::Completed {
                            total += 1;
                            hit += u32::from(inner[o]);
                        }
                    }
                    decide(hit, total)
                })
                .collect(),
            Scope::Line => {
                let l = log.lines();
                (0..n)
                    .map(|c| {
                        let (mut hit, mut total) = (0u32, 0u32);
                        for o in log.order_range(c) {
                            if status[o] == OrderStatus::Completed {
                                for k in l.range(o) {
                                    total += 1;
                                    hit += u32::from(inner[k]);
                                }
                            }
                        }
                        decide(hit, total)
                    })
                    .collect()
            }
            Scope::Subscription => {
                let g = self.subscription_groups();
                (0..n)
                    .map(|c| {
                        let items = &g.1[g.0[c] as usize..g.0[c + 1] as usize];
                        let hit = items.iter().filter(|&&k| inner[k as usize]).count() as u32;
                        decide(hit, items.len() as u32)
                    })
                    .collect()
            }
        })
    }

    /// The value of `rule` for customer `c`, clause by clause, with the field values read.
    pub(crate) fn explain_at(&self, rule: &Rule, c: usize) -> Result<Explanation> {
        let value = self.eval(None, rule)?[c];
        let mut fields = Vec::new();
        let mut children = Vec::new();
        let mut collect = |t: &Term| -> Result<()> {
            if let Term::Field(_) | Term::Call { .. } = t {
                if let Operand::Col(col) = self.operand(None, t)? {
                    fields.push(FieldValue {
                        field: t.to_string(),
                        value: col.value_at(c),
                    });
                }
            }
            Ok(())
        };
        let mut items = None;
        match rule {
            Rule::And { rules } | Rule::Or { rules } => {
                for r in rules {
                    children.push(self.explain_at(r, c)?);
                }
            }
            Rule::Not { rule } => children.push(self.explain_at(rule, c)?),
            Rule::Compare { left, right, .. } => {
                collect(left)?;
                collect(right)?;
            }
            Rule::Between { term, low, high } => {
                collect(term)?;
                collect(low)?;
                collect(high)?;
            }
            Rule::In { term, .. } | Rule::IsNull { term, .. } | Rule::Is { term } => collect(term)?,
            Rule::Contains { term, value } | Rule::StartsWith { term, value } => {
                collect(term)?;
                collect(value)?;
            }
            Rule::Any { scope, rule }
            | Rule::All { scope, rule }
            | Rule::Count { scope, rule, .. } => {
                let count = self.item_counts(*scope, rule, c)?;
                items = Some(count);
            }
        }
        Ok(Explanation {
            rule: rule.to_string(),
            value,
            fields,
            items,
            children,
        })
    }

    fn item_counts(&self, scope: Scope, rule: &Rule, c: usize) -> Result<ItemCount> {
        let inner = self.eval(Some(scope), rule)?;
        let log = self.log;
        let status = log.statuses();
        let idx: Vec<usize> = match scope {
            Scope::Order => log
                .order_range(c)
                .filter(|&o| status[o] == OrderStatus::Completed)
                .collect(),
            Scope::Line => log
                .order_range(c)
                .filter(|&o| status[o] == OrderStatus::Completed)
                .flat_map(|o| log.lines().range(o))
                .collect(),
            Scope::Subscription => {
                let g = self.subscription_groups();
                g.1[g.0[c] as usize..g.0[c + 1] as usize]
                    .iter()
                    .map(|&k| k as usize)
                    .collect()
            }
        };
        Ok(ItemCount {
            scope,
            items: idx.len() as u32,
            matching: idx.iter().filter(|&&k| inner[k]).count() as u32,
        })
    }
}

/// Items of a quantifier's scope for one customer, and how many satisfy its rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemCount {
    /// The scope.
    pub scope: Scope,
    /// Items of the customer in the scope.
    pub items: u32,
    /// Items satisfying the quantified rule.
    pub matching: u32,
}

/// A field value read by a clause.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldValue {
    /// The field (or function of a field) as written.
    pub field: String,
    /// Its value for the customer (`null` when unknown).
    pub value: serde_json::Value,
}

/// Why a customer is in a segment or not: each clause's value and the field values it read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The clause as text.
    pub rule: String,
    /// Its value for the customer.
    pub value: bool,
    /// The fields it read, with their values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldValue>,
    /// For a quantifier: the items and how many matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<ItemCount>,
    /// Sub-clauses of and / or / not.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Explanation>,
}

fn flip(c: CmpOp) -> CmpOp {
    match c {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

fn scalar_cmp(a: &Scalar, cmp: CmpOp, b: &Scalar) -> bool {
    match (a, b) {
        (Scalar::Num(x), Scalar::Num(y)) => cmp.num(*x, *y),
        (Scalar::Day(x), Scalar::Day(y)) => cmp.holds(x.cmp(y)),
        (Scalar::Text(x), Scalar::Text(y)) => cmp.holds(x.cmp(y)),
        (Scalar::Bool(x), Scalar::Bool(y)) => cmp.holds(x.cmp(y)),
        _ => false,
    }
}

/// How a clause's flags go into the flags being built: set them, or `and` / `or` them in place
/// (an `and` of ten clauses is one vector, updated by each clause's pass).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comb {
    Set,
    And,
    Or,
}

/// One pass: `out[i] (comb)= f(col[i])`. Monomorphised per predicate, so each loop is a tight
/// loop over one column with no allocation.
#[inline]
fn apply<T: Copy>(out: &mut [bool], col: &[T], comb: Comb, f: impl Fn(T) -> bool) {
    match comb {
        Comb::Set => {
            for (o, &x) in out.iter_mut().zip(col) {
                *o = f(x);
            }
        }
        Comb::And => {
            for (o, &x) in out.iter_mut().zip(col) {
                *o &= f(x);
            }
        }
        Comb::Or => {
            for (o, &x) in out.iter_mut().zip(col) {
                *o |= f(x);
            }
        }
    }
}

/// `out (comb)= flags`.
fn combine(out: &mut [bool], flags: &[bool], comb: Comb) {
    apply(out, flags, comb, |b| b);
}

/// `x cmp t` for one integer type, as one pass per comparison operator.
macro_rules! int_pass {
    ($out:expr, $col:expr, $comb:expr, $cmp:expr, $t:expr, $map:expr) => {{
        let t = $t;
        let m = $map;
        match $cmp {
            CmpOp::Eq => apply($out, $col, $comb, |x| m(x) == t),
            CmpOp::Ne => apply($out, $col, $comb, |x| m(x) != t),
            CmpOp::Lt => apply($out, $col, $comb, |x| m(x) < t),
            CmpOp::Le => apply($out, $col, $comb, |x| m(x) <= t),
            CmpOp::Gt => apply($out, $col, $comb, |x| m(x) > t),
            CmpOp::Ge => apply($out, $col, $comb, |x| m(x) >= t),
        }
    }};
}

/// An integer column (`x` in units) against the real threshold `tu` (in units), as an
/// integer comparison with the same answer: `x >= tu` is `x >= ceil(tu)`, `x > tu` is
/// `x > floor(tu)`, `x = tu` needs a whole `tu`. `None`: `tu` is outside `i128` (the caller
/// compares in floating point).
#[allow(clippy::float_cmp)] // a whole number is exactly its integer part
fn integer_threshold(cmp: CmpOp, tu: f64) -> Option<(CmpOp, i128)> {
    if !tu.is_finite() || tu.abs() >= 1.0e36 {
        return None;
    }
    let whole = tu.fract() == 0.0;
    Some(match cmp {
        CmpOp::Ge | CmpOp::Lt => (cmp, tu.ceil() as i128),
        CmpOp::Gt | CmpOp::Le => (cmp, tu.floor() as i128),
        // Never equal to a fraction: `= 10.5` on whole units is false, `!=` true.
        CmpOp::Eq | CmpOp::Ne if whole => (cmp, tu as i128),
        CmpOp::Eq | CmpOp::Ne => return None,
    })
}

/// One pass over a column against a scalar, into `out` (see [`Comb`]). Numbers compare exactly
/// (`gross = 100` means 100): rule values are written by people, and money thresholds are first
/// put in the column's units, so money columns compare as integers.
#[allow(clippy::float_cmp, clippy::too_many_lines)]
fn col_scalar_into(c: &Col<'_>, cmp: CmpOp, v: &Scalar, out: &mut [bool], comb: Comb) {
    match v {
        Scalar::Num(t) => {
            let t = *t;
            match c {
                // Integer columns against an integer threshold: compare integers.
                Col::U32(col) if t.fract() == 0.0 && t >= 0.0 && t <= f64::from(u32::MAX) => {
                    int_pass!(out, col, comb, cmp, t as u32, |x: u32| x);
                }
                Col::OptU32(col) if t.fract() == 0.0 && t >= 0.0 && t <= f64::from(u32::MAX) => {
                    let t = t as u32;
                    match cmp {
                        CmpOp::Eq => apply(out, col, comb, |x| x == Some(t)),
                        CmpOp::Ne => apply(out, col, comb, |x| x.is_some_and(|x| x != t)),
                        CmpOp::Lt => apply(out, col, comb, |x| x.is_some_and(|x| x < t)),
                        CmpOp::Le => apply(out, col, comb, |x| x.is_some_and(|x| x <= t)),
                        CmpOp::Gt => apply(out, col, comb, |x| x.is_some_and(|x| x > t)),
                        CmpOp::Ge => apply(out, col, comb, |x| x.is_some_and(|x| x >= t)),
                    }
                }
                Col::Units(col, scale) => {
                    // 100.1 x 100 is 10009.999999999998 in binary: snap to the unit it means.
                    let tu = snap(t * scale);
                    match integer_threshold(cmp, tu) {
                        Some((op, k)) => {
                            if let Ok(k) = i64::try_from(k) {
                                int_pass!(out, col, comb, op, k, |x: i64| x);
                            } else {
                                int_pass!(out, col, comb, op, k, |x: i64| i128::from(x));
                            }
                        }
                        None => apply(out, col, comb, |x| cmp.num(x as f64, tu)),
                    }
                }
                Col::Wide(col, scale) => {
                    let tu = snap(t * scale);
                    match integer_threshold(cmp, tu) {
                        Some((op, k)) => int_pass!(out, col, comb, op, k, |x: i128| x),
                        None => apply(out, col, comb, |x| cmp.num(x as f64, tu)),
                    }
                }
                Col::F64(col) => {
                    if cmp == CmpOp::Ne {
                        // NaN is null: false for every comparison, `!=` included.
                        apply(out, col, comb, |x: f64| !x.is_nan() && x != t);
                    } else {
                        int_pass!(out, col, comb, cmp, t, |x: f64| x);
                    }
                }
                _ => {
                    let flags = c.num_map(|x| cmp.num(x, t));
                    combine(out, &flags, comb);
                }
            }
        }
        Scalar::Day(d) => {
            let d = *d;
            match c {
                Col::OptDay(col) => match cmp {
                    CmpOp::Eq => apply(out, col, comb, |x| x == Some(d)),
                    CmpOp::Ne => apply(out, col, comb, |x| x.is_some_and(|x| x != d)),
                    CmpOp::Lt => apply(out, col, comb, |x| x.is_some_and(|x| x < d)),
                    CmpOp::Le => apply(out, col, comb, |x| x.is_some_and(|x| x <= d)),
                    CmpOp::Gt => apply(out, col, comb, |x| x.is_some_and(|x| x > d)),
                    CmpOp::Ge => apply(out, col, comb, |x| x.is_some_and(|x| x >= d)),
                },
                Col::Days(col) => match cmp {
                    CmpOp::Eq => apply(out, col, comb, |x| x != NO_DAY && x == d),
                    CmpOp::Ne => apply(out, col, comb, |x| x != NO_DAY && x != d),
                    CmpOp::Lt => apply(out, col, comb, |x| x != NO_DAY && x < d),
                    CmpOp::Le => apply(out, col, comb, |x| x != NO_DAY && x <= d),
                    CmpOp::Gt => apply(out, col, comb, |x| x != NO_DAY && x > d),
                    CmpOp::Ge => apply(out, col, comb, |x| x != NO_DAY && x >= d),
                },
                _ => combine(out, &c.day_map(|x| cmp.holds(x.cmp(&d))), comb),
            }
        }
        Scalar::Text(s) => match (c, cmp) {
            (Col::Text(codes, dict), CmpOp::Eq | CmpOp::Ne) => {
                let code = dict
                    .iter()
                    .position(|x| x == s)
                    .map_or(NO_CODE - 1, |p| p as u32);
                if cmp == CmpOp::Eq {
                    apply(out, codes, comb, |k| k == code);
                } else {
                    apply(out, codes, comb, |k| k != NO_CODE && k != code);
                }
            }
            (Col::Set(..), CmpOp::Eq) => combine(out, &c.text_map(|x| x == s), comb),
            (Col::Set(o, _, _), CmpOp::Ne) => {
                let has = c.text_map(|x| x == s);
                let flags: Vec<bool> = o
                    .windows(2)
                    .zip(has)
                    .map(|(w, h)| w[0] != w[1] && !h)
                    .collect();
                combine(out, &flags, comb);
            }
            _ => combine(out, &vec![false; c.len()], comb),
        },
        Scalar::Bool(b) => match c {
            Col::Bool(v) => {
                let b = *b;
                apply(out, v, comb, |x| cmp.holds(x.cmp(&b)));
            }
            _ => combine(out, &vec![false; c.len()], comb),
        },
        Scalar::Null => combine(out, &vec![false; c.len()], comb),
    }
}

/// A threshold in units within 1e-6 of a whole unit is that unit.
fn snap(tu: f64) -> f64 {
    if (tu - tu.round()).abs() < 1e-6 {
        tu.round()
    } else {
        tu
    }
}
