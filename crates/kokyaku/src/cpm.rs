//! CPM (顧客ポートフォリオマネジメント, customer portfolio) classes and their transitions.
//!
//! Ten classes: five stages (初回客, よちよち客, コツコツ客, 流行客, 優良客), each 現役 (active)
//! or 離脱 (churned). See `docs/cpm.md`.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::model::{Day, OrderLog, OrderStatus, date_to_day, day_to_date};
use crate::rfm::FrequencyBasis;
use crate::summary::CustomerSummaries;
use crate::{Error, Result};

/// The five CPM stages, in ladder order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 初回客: one order.
    FirstTimer,
    /// よちよち客: repeat buyer with short tenure.
    Fledgling,
    /// コツコツ客: long tenure, spend below the threshold.
    Steady,
    /// 流行客: medium tenure, spend at or above the threshold.
    Trendy,
    /// 優良客: long tenure, spend at or above the threshold.
    Excellent,
}

impl Stage {
    /// All stages in ladder order.
    pub const ALL: [Stage; 5] = [
        Stage::FirstTimer,
        Stage::Fledgling,
        Stage::Steady,
        Stage::Trendy,
        Stage::Excellent,
    ];
    /// The English id.
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            Self::FirstTimer => "first_timer",
            Self::Fledgling => "fledgling",
            Self::Steady => "steady",
            Self::Trendy => "trendy",
            Self::Excellent => "excellent",
        }
    }
    /// The Japanese display name.
    #[must_use]
    pub fn ja(self) -> &'static str {
        match self {
            Self::FirstTimer => "初回客",
            Self::Fledgling => "よちよち客",
            Self::Steady => "コツコツ客",
            Self::Trendy => "流行客",
            Self::Excellent => "優良客",
        }
    }
}

/// A CPM class: a stage, active (現役) or churned (離脱).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CpmClass {
    /// Stage.
    pub stage: Stage,
    /// Churned (離脱) when true.
    pub churned: bool,
}

impl CpmClass {
    /// All ten classes: active stages then churned stages.
    #[must_use]
    pub fn all() -> Vec<CpmClass> {
        let mut v: Vec<CpmClass> = Stage::ALL
            .iter()
            .map(|&s| CpmClass {
                stage: s,
                churned: false,
            })
            .collect();
        v.extend(Stage::ALL.iter().map(|&s| CpmClass {
            stage: s,
            churned: true,
        }));
        v
    }
    /// The id, e.g. `steady_active`, `excellent_churned`.
    #[must_use]
    pub fn id(self) -> String {
        format!(
            "{}_{}",
            self.stage.id(),
            if self.churned { "churned" } else { "active" }
        )
    }
    /// Dense index 0..10 (active stages 0..5, churned 5..10).
    #[must_use]
    pub fn index(self) -> usize {
        self.stage as usize + if self.churned { 5 } else { 0 }
    }
}

/// Thresholds and names of the CPM classes. Defaults are the common ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CpmOptions {
    /// Tenure (first to last order, days) below which a repeat buyer is よちよち. Default 90.
    pub fledgling_tenure_days: u32,
    /// Tenure from which a high spender is 優良 (below it, 流行). Default 210.
    pub excellent_tenure_days: u32,
    /// Cumulative net spend threshold. Default 70,000 (yen).
    pub spend_threshold: f64,
    /// A customer with no order for this many days is 離脱. Default 240.
    pub churn_days: u32,
    /// Whether spend equal to the threshold counts as high (default true: `>=`).
    pub spend_inclusive: bool,
    /// Whether a tenure equal to a tenure threshold moves up (default true: `>=`).
    pub tenure_inclusive: bool,
    /// Whether exactly `churn_days` without orders is churned (default true: `>=`).
    pub churn_inclusive: bool,
    /// Display names by class id (overrides the Japanese defaults).
    pub names: BTreeMap<String, String>,
    /// What counts as a purchase for the 初回客 test and the stage ladder: completed orders
    /// (default), or distinct purchase days (two orders on one day are then one purchase, as
    /// RFM's `frequency_basis` offers).
    pub frequency_basis: FrequencyBasis,
    /// The currency `spend_threshold` is given in (default `JPY`, the currency of the common
    /// 70,000). [`CpmOptions::currency_warning`] says when a log's currency differs.
    pub spend_currency: String,
}

impl Default for CpmOptions {
    fn default() -> Self {
        Self {
            fledgling_tenure_days: 90,
            excellent_tenure_days: 210,
            spend_threshold: 70_000.0,
            churn_days: 240,
            spend_inclusive: true,
            tenure_inclusive: true,
            churn_inclusive: true,
            names: BTreeMap::new(),
            frequency_basis: FrequencyBasis::Orders,
            spend_currency: "JPY".into(),
        }
    }
}

impl CpmOptions {
    /// A warning when the spend threshold is applied to a log in another currency than the one
    /// it was given in (or in an unknown one): 70,000 yen means nothing in dollars (CDNOW gets
    /// no 流行 or 優良 at all). `None` when the currencies agree.
    #[must_use]
    pub fn currency_warning(&self, log_currency: Option<&str>) -> Option<String> {
        let given = self.spend_currency.trim();
        match log_currency {
            Some(c) if c.eq_ignore_ascii_case(given) => None,
            Some(c) => Some(format!(
                "the CPM spend threshold {} is in {given} but the log is in {c}: give it in {c} (--cpm-spend-threshold, with --cpm-spend-currency {c})",
                self.spend_threshold
            )),
            None => Some(format!(
                "the log has no currency (no currency column, no --currency); the CPM spend threshold {} is in {given}: check it is in the log's currency (--cpm-spend-threshold, --cpm-spend-currency)",
                self.spend_threshold
            )),
        }
    }

    /// The purchase count a stage uses for customer `i`: orders or purchase days.
    fn purchases(&self, s: &CustomerSummaries, i: usize) -> u32 {
        match self.frequency_basis {
            FrequencyBasis::Orders => s.orders[i],
            FrequencyBasis::PurchaseDays => s.purchase_days[i],
        }
    }

    /// Checks the thresholds.
    pub fn validate(&self) -> Result<()> {
        if self.fledgling_tenure_days > self.excellent_tenure_days {
            return Err(Error::option(
                "fledgling_tenure_days",
                self.fledgling_tenure_days,
                format!(
                    "must not exceed excellent_tenure_days ({})",
                    self.excellent_tenure_days
                ),
            ));
        }
        if !self.spend_threshold.is_finite() {
            return Err(Error::option(
                "spend_threshold",
                self.spend_threshold,
                "must be a finite amount",
            ));
        }
        if self.churn_days == 0 {
            return Err(Error::option("churn_days", 0, "must be at least 1"));
        }
        let ids: Vec<String> = CpmClass::all().into_iter().map(CpmClass::id).collect();
        if let Some(bad) = self.names.keys().find(|k| !ids.contains(k)) {
            return Err(Error::option(
                "names",
                bad,
                format!("unknown class id; use one of {}", ids.join(", ")),
            ));
        }
        Ok(())
    }

    /// Display name of a class (e.g. `コツコツ客 (現役)`), or the configured override.
    #[must_use]
    pub fn display(&self, c: CpmClass) -> String {
        self.names.get(&c.id()).cloned().unwrap_or_else(|| {
            format!(
                "{}（{}）",
                c.stage.ja(),
                if c.churned { "離脱" } else { "現役" }
            )
        })
    }

    /// Classifies one customer from order count, tenure, spend and recency.
    #[must_use]
    pub fn classify(
        &self,
        orders: u32,
        tenure_days: u32,
        spend: f64,
        recency_days: u32,
    ) -> Option<CpmClass> {
        if orders == 0 {
            return None;
        }
        let ge = |v: u32, t: u32, incl: bool| if incl { v >= t } else { v > t };
        let high = if self.spend_inclusive {
            spend >= self.spend_threshold
        } else {
            spend > self.spend_threshold
        };
        let stage = if orders == 1 {
            Stage::FirstTimer
        } else if !ge(
            tenure_days,
            self.fledgling_tenure_days,
            self.tenure_inclusive,
        ) {
            Stage::Fledgling
        } else if !high {
            Stage::Steady
        } else if ge(
            tenure_days,
            self.excellent_tenure_days,
            self.tenure_inclusive,
        ) {
            Stage::Excellent
        } else {
            Stage::Trendy
        };
        Some(CpmClass {
            stage,
            churned: ge(recency_days, self.churn_days, self.churn_inclusive),
        })
    }
}

/// Classes per customer and the count table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CpmResult {
    /// Class per customer (`None` without a completed order).
    pub class: Vec<Option<CpmClass>>,
    /// One row per class, in [`CpmClass::all`] order.
    pub table: Vec<CpmRow>,
}

/// Aggregates of one CPM class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CpmRow {
    /// Class id.
    pub class: String,
    /// Display name.
    pub name: String,
    /// Customers.
    pub customers: u64,
    /// Share of classified customers.
    pub share: f64,
    /// Total net spend.
    pub total_spend: f64,
    /// Mean net spend.
    pub mean_spend: f64,
}

/// Classifies every customer of a summary.
pub fn classify(s: &CustomerSummaries, opts: &CpmOptions) -> Result<CpmResult> {
    opts.validate()?;
    let n = s.len();
    let mut class = Vec::with_capacity(n);
    let mut cnt = [0u64; 10];
    let mut spend = [0f64; 10];
    for i in 0..n {
        let net = s.net_f64(i);
        let c = opts.classify(
            opts.purchases(s, i),
            s.tenure_days[i].unwrap_or(0),
            net,
            s.recency_days[i].unwrap_or(0),
        );
        if let Some(c) = c {
            cnt[c.index()] += 1;
            spend[c.index()] += net;
        }
        class.push(c);
    }
    let total = cnt.iter().sum::<u64>().max(1) as f64;
    let table = CpmClass::all()
        .into_iter()
        .map(|c| {
            let k = c.index();
            CpmRow {
                class: c.id(),
                name: opts.display(c),
                customers: cnt[k],
                share: cnt[k] as f64 / total,
                total_spend: spend[k],
                mean_spend: if cnt[k] > 0 {
                    spend[k] / cnt[k] as f64
                } else {
                    0.0
                },
            }
        })
        .collect();
    Ok(CpmResult { class, table })
}

/// Month-over-month movements between CPM classes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CpmTransitions {
    /// Month ends compared (inclusive as-of dates), oldest first.
    pub month_ends: Vec<NaiveDate>,
    /// Class ids, the row and column order of `counts` (plus a last row `new` for customers
    /// whose first order falls in the month).
    pub classes: Vec<String>,
    /// `counts[from][to]` summed over consecutive month pairs; row 10 is `new`.
    pub counts: Vec<Vec<u64>>,
    /// Per month pair.
    pub months: Vec<TransitionRates>,
}

/// Rates for one month pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransitionRates {
    /// The later month end.
    pub month_end: NaiveDate,
    /// Active customers at the earlier month end.
    pub active_before: u64,
    /// Share of those who moved up a stage and stayed active.
    pub promotion_rate: f64,
    /// Share of those who became churned.
    pub churn_rate: f64,
    /// Churned customers at the earlier month end.
    pub churned_before: u64,
    /// Share of those who became active again.
    pub return_rate: f64,
    /// Customers whose first order was in the month.
    pub new_customers: u64,
}

fn month_end(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|x| x.pred_opt())
        .unwrap_or(d)
}

/// Classifies every customer at each month end from the first order's month to `as_of`
/// (the last compared month end is the last one on or before `as_of`) and counts moves.
pub fn transitions(
    log: &OrderLog,
    as_of: Option<NaiveDate>,
    opts: &CpmOptions,
) -> Result<CpmTransitions> {
    opts.validate()?;
    let as_of = log.as_of_day(as_of);
    let Some(first) = log.first_day() else {
        return Err(Error::EmptyInput("no orders to compare month ends".into()));
    };
    // One row per month end: bounded (100 years, 1,201 month ends at most) instead of cut.
    crate::span::check(log, first, as_of, "CPM transitions")?;
    let mut ends: Vec<Day> = Vec::new();
    let mut e = month_end(day_to_date(first));
    while date_to_day(e) <= as_of {
        ends.push(date_to_day(e));
        let Some(next) = e.succ_opt() else { break };
        e = month_end(next);
    }
    let days = log.days();
    let status = log.statuses();
    let units = log.amounts().units();
    let refunds = log.refunds();
    // Spend in exact integer units, turned into a number exactly as the summary does (net at
    // the larger of the two scales, divided once), so `classify` and the transitions agree.
    let (order_scale, refund_scale) = (log.amounts().scale(), refunds.amount.scale());
    let money_scale = order_scale.max(refund_scale);
    let order_up = 10_i128.pow(money_scale - order_scale);
    let refund_up = 10_i128.pow(money_scale - refund_scale);
    let div = 10_f64.powi(money_scale as i32);
    let m = ends.len();
    let mut counts = vec![vec![0u64; 10]; 11];
    let mut per = vec![[0u64; 6]; m]; // active_before, promoted, churned, churned_before, returned, new
    let mut prev: Vec<Option<CpmClass>> = vec![None; m];
    for c in 0..log.n_customers() {
        let range = log.order_range(c);
        let rr = log.refund_range(c);
        let (mut i, mut k) = (range.start, rr.start);
        let (mut orders, mut first_d, mut last_d, mut gross, mut refunded) =
            (0u32, None::<Day>, None::<Day>, 0i128, 0i128);
        for (t, &end) in ends.iter().enumerate() {
            while i < range.end && days[i] <= end {
                if status[i] == OrderStatus::Completed {
                    // Orders, or purchase days (orders are sorted by time: a new day is new).
                    if opts.frequency_basis == FrequencyBasis::Orders || last_d != Some(days[i]) {
                        orders += 1;
                    }
                    first_d = first_d.or(Some(days[i]));
                    last_d = Some(days[i]);
                    gross += i128::from(units[i]);
                }
                i += 1;
            }
            while k < rr.end && refunds.day[k] <= end {
                refunded += i128::from(refunds.amount.units()[k]);
                k += 1;
            }
            let spend = (gross * order_up - refunded * refund_up) as f64 / div;
            let cls = match (first_d, last_d) {
                (Some(f), Some(l)) => {
                    opts.classify(orders, (l - f) as u32, spend, (end - l) as u32)
                }
                _ => None,
            };
            prev[t] = cls;
        }
        for t in 1..m {
            match (prev[t - 1], prev[t]) {
                (Some(a), Some(b)) => {
                    counts[a.index()][b.index()] += 1;
                    if a.churned {
                        per[t][3] += 1;
                        if !b.churned {
                            per[t][4] += 1;
                        }
                    } else {
                        per[t][0] += 1;
                        if b.churned {
                            per[t][2] += 1;
                        } else if b.stage > a.stage {
                            per[t][1] += 1;
                        }
                    }
                }
                (None, Some(b)) => {
                    counts[10][b.index()] += 1;
                    per[t][5] += 1;
                }
                _ => {}
            }
        }
    }
    let rate = |a: u64, b: u64| if b > 0 { a as f64 / b as f64 } else { 0.0 };
    let months = (1..m)
        .map(|t| TransitionRates {
            month_end: day_to_date(ends[t]),
            active_before: per[t][0],
            promotion_rate: rate(per[t][1], per[t][0]),
            churn_rate: rate(per[t][2], per[t][0]),
            churned_before: per[t][3],
            return_rate: rate(per[t][4], per[t][3]),
            new_customers: per[t][5],
        })
        .collect();
    let mut classes: Vec<String> = CpmClass::all().into_iter().map(CpmClass::id).collect();
    classes.push("new".into());
    Ok(CpmTransitions {
        month_ends: ends.into_iter().map(day_to_date).collect(),
        classes,
        counts,
        months,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_boundaries() {
        let o = CpmOptions::default();
        let c = |n, t, s, r| o.classify(n, t, s, r).map(super::CpmClass::id);
        assert_eq!(c(0, 0, 0.0, 0), None);
        assert_eq!(c(1, 0, 90_000.0, 10).unwrap(), "first_timer_active");
        assert_eq!(c(2, 89, 90_000.0, 10).unwrap(), "fledgling_active");
        assert_eq!(c(2, 90, 69_999.0, 10).unwrap(), "steady_active");
        assert_eq!(c(2, 90, 70_000.0, 10).unwrap(), "trendy_active");
        assert_eq!(c(2, 209, 70_000.0, 10).unwrap(), "trendy_active");
        assert_eq!(c(2, 210, 70_000.0, 239).unwrap(), "excellent_active");
        assert_eq!(c(2, 210, 70_000.0, 240).unwrap(), "excellent_churned");
        let strict = CpmOptions {
            churn_inclusive: false,
            spend_inclusive: false,
            ..CpmOptions::default()
        };
        assert!(!strict.classify(2, 210, 70_000.0, 240).unwrap().churned);
        assert_eq!(
            strict.classify(2, 210, 70_000.0, 1).unwrap().stage,
            Stage::Steady
        );
    }

    #[test]
    fn bad_options_are_named() {
        let o = CpmOptions {
            fledgling_tenure_days: 300,
            ..CpmOptions::default()
        };
        assert_eq!(o.validate().unwrap_err().code(), "invalid_option");
        let mut o = CpmOptions::default();
        o.names.insert("vip".into(), "VIP".into());
        assert!(o.validate().unwrap_err().to_string().contains("vip"));
    }
}
