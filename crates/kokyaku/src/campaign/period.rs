//! A sale period against a reference period: revenue, orders, buyers and, where deliveries say
//! who was reached, the CVR of the customers reached in each period.

use chrono::NaiveDate;
type HashMap<K, V> = hashbrown::HashMap<K, V, foldhash::fast::FixedState>;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use super::deliveries::Deliveries;
use super::results::Money;
use crate::model::{Day, OrderLog, OrderStatus, date_to_day, day_to_date};
use crate::{Error, Result};

/// Options of [`compare_periods`]: inclusive local dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodOptions {
    /// First day of the sale.
    pub sale_start: NaiveDate,
    /// Last day of the sale.
    pub sale_end: NaiveDate,
    /// First day of the reference period. Default: the days just before the sale, as many.
    #[serde(default)]
    pub reference_start: Option<NaiveDate>,
    /// Last day of the reference period. Default: the day before the sale.
    #[serde(default)]
    pub reference_end: Option<NaiveDate>,
}

/// One period's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodStats {
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
    /// Days in the period.
    pub days: u32,
    /// Completed orders placed in the period.
    pub orders: u64,
    /// Distinct customers with such an order.
    pub buyers: u64,
    /// Buyers whose first completed order ever is in the period.
    pub new_buyers: u64,
    /// Buyers with a completed order before the period.
    pub existing_buyers: u64,
    /// Gross amount of those orders (exact).
    pub revenue: Decimal,
    /// Gross minus refunds linked to those orders (any date).
    pub net_revenue: Decimal,
    /// `revenue / days`, rounded half to even at `max(scale, 2)` decimals.
    pub revenue_per_day: Option<Decimal>,
    /// `orders / days`.
    pub orders_per_day: f64,
    /// `revenue / orders`, rounded likewise.
    pub average_order_value: Option<Decimal>,
    /// Customers with a delivery (not held out) sent in the period (`None` without deliveries).
    pub reached: Option<u64>,
    /// Reached customers with a completed order in the period at or after their first send in it.
    pub reached_buyers: Option<u64>,
    /// `reached_buyers / reached` (`None` without deliveries or reached customers).
    pub cvr: Option<f64>,
}

/// Sale against reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodComparison {
    /// Currency, if known.
    pub currency: Option<String>,
    /// The sale period.
    pub sale: PeriodStats,
    /// The reference period.
    pub reference: PeriodStats,
    /// Revenue per day of the sale / of the reference − 1 (`None` when the reference had none).
    pub revenue_per_day_change: Option<f64>,
    /// Orders per day of the sale / of the reference − 1.
    pub orders_per_day_change: Option<f64>,
    /// Buyers of the sale / of the reference − 1 (not normalised by days).
    pub buyers_change: Option<f64>,
    /// CVR of the sale − CVR of the reference (where both are defined).
    pub cvr_difference: Option<f64>,
}

fn stats(
    log: &OrderLog,
    money: &Money,
    deliveries: Option<&Deliveries>,
    start: Day,
    end: Day,
) -> PeriodStats {
    let days = log.days();
    let status = log.statuses();
    let placed = log.placed_at();
    let (mut orders, mut buyers, mut new_b, mut old_b) = (0u64, 0u64, 0u64, 0u64);
    let (mut gross, mut net) = (0i128, 0i128);
    // First completed order instant in the period, per customer index (for the CVR).
    let mut first_in: HashMap<usize, i64> = HashMap::default();
    let mut last_in: HashMap<usize, i64> = HashMap::default();
    for c in 0..log.n_customers() {
        let mut before = false;
        let mut bought = false;
        for i in log.order_range(c) {
            if status[i] != OrderStatus::Completed {
                continue;
            }
            let d = days[i];
            if d < start {
                before = true;
                continue;
            }
            if d > end {
                break;
            }
            let (g, n) = money.order(log, i);
            orders += 1;
            gross += g;
            net += n;
            if !bought {
                bought = true;
                first_in.insert(c, placed[i]);
            }
            last_in.insert(c, placed[i]);
        }
        if bought {
            buyers += 1;
            if before {
                old_b += 1;
            } else {
                new_b += 1;
            }
        }
    }
    let n_days = (end - start + 1) as u32;
    let (reached, reached_buyers) = match deliveries {
        None => (None, None),
        Some(dl) => {
            // Earliest send in the period per customer id.
            let mut first_send: HashMap<&str, i64> = HashMap::default();
            for k in 0..dl.len() {
                if dl.holdout[k] || dl.day[k] < start || dl.day[k] > end {
                    continue;
                }
                let e = first_send
                    .entry(dl.customer[k].as_str())
                    .or_insert(dl.sent_at[k]);
                *e = (*e).min(dl.sent_at[k]);
            }
            let mut conv = 0u64;
            for (id, &sent) in &first_send {
                if let Some(c) = log.find_customer(id) {
                    // Bought in the period at or after the first send: the last order in the
                    // period is at or after it.
                    if last_in.get(&c).is_some_and(|&t| t >= sent) {
                        conv += 1;
                    }
                }
            }
            (Some(first_send.len() as u64), Some(conv))
        }
    };
    PeriodStats {
        start: day_to_date(start),
        end: day_to_date(end),
        days: n_days,
        orders,
        buyers,
        new_buyers: new_b,
        existing_buyers: old_b,
        revenue: money.decimal(gross),
        net_revenue: money.decimal(net),
        revenue_per_day: money.per(gross, u64::from(n_days)),
        orders_per_day: orders as f64 / f64::from(n_days),
        average_order_value: money.per(gross, orders),
        reached,
        reached_buyers,
        cvr: match (reached, reached_buyers) {
            (Some(r), Some(b)) if r > 0 => Some(b as f64 / r as f64),
            _ => None,
        },
    }
}

fn ratio(a: f64, b: f64) -> Option<f64> {
    (b != 0.0).then(|| a / b - 1.0)
}

/// Compares a sale period with a reference period on the same log (and, for the CVR, the
/// deliveries).
pub fn compare_periods(
    log: &OrderLog,
    deliveries: Option<&Deliveries>,
    opts: &PeriodOptions,
) -> Result<PeriodComparison> {
    let (s0, s1) = (date_to_day(opts.sale_start), date_to_day(opts.sale_end));
    if s1 < s0 {
        return Err(Error::option(
            "sale_end",
            opts.sale_end,
            format!("is before sale_start {}", opts.sale_start),
        ));
    }
    let len = s1 - s0 + 1;
    let r1 = opts.reference_end.map_or(s0 - 1, date_to_day);
    let r0 = opts.reference_start.map_or(r1 - len + 1, date_to_day);
    if r1 < r0 {
        return Err(Error::option(
            "reference_end",
            day_to_date(r1),
            format!("is before reference_start {}", day_to_date(r0)),
        ));
    }
    if let Some(d) = deliveries {
        if d.timezone != log.timezone().name() {
            return Err(Error::option(
                "deliveries timezone",
                &d.timezone,
                format!(
                    "read the deliveries in the order log's time zone ({})",
                    log.timezone().name()
                ),
            ));
        }
    }
    // Refunds count whenever dated: the periods are in the past.
    let money = Money::new(log, Day::MAX);
    let sale = stats(log, &money, deliveries, s0, s1);
    let reference = stats(log, &money, deliveries, r0, r1);
    let per_day = |p: &PeriodStats| p.revenue.to_f64().unwrap_or(f64::NAN) / f64::from(p.days);
    Ok(PeriodComparison {
        currency: log.currency().map(str::to_owned),
        revenue_per_day_change: ratio(per_day(&sale), per_day(&reference)),
        orders_per_day_change: ratio(sale.orders_per_day, reference.orders_per_day),
        buyers_change: ratio(sale.buyers as f64, reference.buyers as f64),
        cvr_difference: match (sale.cvr, reference.cvr) {
            (Some(a), Some(b)) => Some(a - b),
            _ => None,
        },
        sale,
        reference,
    })
}
