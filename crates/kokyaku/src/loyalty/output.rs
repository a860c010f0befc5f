//! Tables and records from [`Stages`].

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};

use super::evaluate::Stages;
use crate::model::day_to_date;
use crate::table::{Column, Table};

/// The per-customer stage table (one row per customer, in the log's customer order).
/// Points columns appear when the programme has points.
#[must_use]
pub fn stages_table(s: &Stages) -> Table {
    let n = s.len();
    let date = |v: &[Option<i32>]| Column::Date(v.iter().map(|d| d.map(day_to_date)).collect());
    let int = |v: &[i64]| Column::Int(v.iter().map(|&x| Some(x)).collect());
    let mut t = Table::default();
    t.push(
        "customer_id",
        Column::Str(
            (0..n)
                .map(|i| Some(s.customer_id.get(i).to_owned()))
                .collect(),
        ),
    );
    t.push(
        "stage",
        Column::Str((0..n).map(|i| Some(s.stage_id(i).to_owned())).collect()),
    );
    t.push(
        "stage_name",
        Column::Str(
            s.stage
                .iter()
                .map(|&k| Some(s.stage_names[k as usize].clone()))
                .collect(),
        ),
    );
    t.push("stage_since", date(&s.stage_since));
    t.push("member_since", date(&s.member_since));
    t.push(
        "window_spend",
        Column::Str(
            s.window_spend_units
                .iter()
                .map(|&u| Some(s.money(u).to_string()))
                .collect(),
        ),
    );
    t.push(
        "window_orders",
        Column::Int(
            s.window_orders
                .iter()
                .map(|&x| Some(i64::from(x)))
                .collect(),
        ),
    );
    if s.has_points {
        t.push("window_points", int(&s.window_points));
        t.push("points_balance", int(&s.points_balance));
        t.push("points_earned", int(&s.points_earned));
        t.push("points_expired", int(&s.points_expired));
        t.push("points_redeemed", int(&s.points_redeemed));
        t.push("points_reversed", int(&s.points_reversed));
        t.push(
            "next_expiring_points",
            Column::Int(
                s.next_expiring_points
                    .iter()
                    .zip(&s.next_expiring_date)
                    .map(|(&p, d)| d.map(|_| p))
                    .collect(),
            ),
        );
        t.push("next_expiring_date", date(&s.next_expiring_date));
    }
    t.push(
        "next_stage",
        Column::Str(
            s.next_stage
                .iter()
                .map(|k| k.map(|k| s.stage_ids[k as usize].clone()))
                .collect(),
        ),
    );
    t.push(
        "spend_needed",
        Column::Str(
            s.spend_needed_units
                .iter()
                .map(|u| u.map(|u| s.money(u).to_string()))
                .collect(),
        ),
    );
    t.push(
        "orders_needed",
        Column::Int(s.orders_needed.iter().map(|x| x.map(i64::from)).collect()),
    );
    if s.has_points {
        t.push("points_needed", Column::Int(s.points_needed.clone()));
    }
    t.push("needed_by", date(&s.needed_by));
    t
}

/// One stage change as a record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryRow {
    /// Customer id.
    pub customer_id: String,
    /// First day in the new stage.
    pub date: NaiveDate,
    /// Stage before.
    pub from: String,
    /// Stage after.
    pub to: String,
    /// `order`, `review`, `grace_end` or `invitation`.
    pub reason: &'static str,
    /// The triggering order id, for `order`.
    pub order_id: Option<String>,
}

/// The history as records (by customer, then date).
#[must_use]
pub fn history_rows(s: &Stages) -> Vec<HistoryRow> {
    s.history
        .iter()
        .zip(&s.history_order_ids)
        .map(|(h, o)| HistoryRow {
            customer_id: s.customer_id.get(h.customer as usize).to_owned(),
            date: day_to_date(h.day),
            from: s.stage_ids[h.from as usize].clone(),
            to: s.stage_ids[h.to as usize].clone(),
            reason: h.reason.as_str(),
            order_id: o.clone(),
        })
        .collect()
}

/// One customer's card: what a my-page shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Card {
    /// Customer id.
    pub customer_id: String,
    /// The evaluation date.
    pub as_of: NaiveDate,
    /// Stage id.
    pub stage: String,
    /// Stage display name.
    pub stage_name: String,
    /// First day of the stage.
    pub stage_since: Option<NaiveDate>,
    /// Qualifying spend in the window.
    pub window_spend: Decimal,
    /// Qualifying orders in the window.
    pub window_orders: u32,
    /// Points balance (when the programme has points).
    pub points_balance: Option<i64>,
    /// Points expiring next and the last day they can be used.
    pub next_expiring_points: Option<i64>,
    /// Last day the next expiring points can be used.
    pub next_expiring_date: Option<NaiveDate>,
    /// The next stage, if any.
    pub next_stage: Option<String>,
    /// Spend still needed for it.
    pub spend_needed: Option<Decimal>,
    /// Orders still needed.
    pub orders_needed: Option<u32>,
    /// Points still needed.
    pub points_needed: Option<i64>,
    /// By when (inclusive).
    pub needed_by: Option<NaiveDate>,
    /// This customer's stage changes (when the evaluation kept history).
    pub history: Vec<HistoryRow>,
}

/// The card of customer `i`.
#[must_use]
pub fn card(s: &Stages, i: usize) -> Card {
    let id = s.customer_id.get(i).to_owned();
    let pts = |v: &[i64]| s.has_points.then(|| v[i]);
    Card {
        as_of: s.as_of,
        stage: s.stage_id(i).to_owned(),
        stage_name: s.stage_names[s.stage[i] as usize].clone(),
        stage_since: s.stage_since[i].map(day_to_date),
        window_spend: s.money(s.window_spend_units[i]),
        window_orders: s.window_orders[i],
        points_balance: pts(&s.points_balance),
        next_expiring_points: s.next_expiring_date[i].map(|_| s.next_expiring_points[i]),
        next_expiring_date: s.next_expiring_date[i].map(day_to_date),
        next_stage: s.next_stage[i].map(|k| s.stage_ids[k as usize].clone()),
        spend_needed: s.spend_needed_units[i].map(|u| s.money(u)),
        orders_needed: s.orders_needed[i],
        points_needed: if s.has_points {
            s.points_needed[i]
        } else {
            None
        },
        needed_by: s.needed_by[i].map(day_to_date),
        history: history_rows(s)
            .into_iter()
            .filter(|h| h.customer_id == id)
            .collect(),
        customer_id: id,
    }
}

/// Everything as one JSON object: `{as_of, customers: {id: row}, history, distribution}` (what
/// the golden vectors and the bindings' `analyze("stages")` return).
#[must_use]
pub fn report_value(s: &Stages) -> Value {
    let mut customers = Map::new();
    for mut r in stages_table(s).to_records() {
        if let Some(Value::String(id)) = r.remove("customer_id") {
            customers.insert(id, Value::Object(r));
        }
    }
    let mut out = Map::new();
    out.insert("as_of".into(), Value::String(s.as_of.to_string()));
    out.insert("stages".into(), serde_json::json!(s.stage_ids));
    out.insert("customers".into(), Value::Object(customers));
    out.insert(
        "history".into(),
        serde_json::to_value(history_rows(s)).unwrap_or(Value::Null),
    );
    out.insert(
        "distribution".into(),
        s.distribution
            .as_ref()
            .and_then(|d| serde_json::to_value(d).ok())
            .unwrap_or(Value::Null),
    );
    Value::Object(out)
}

/// The per-customer fields a loyalty programme adds to segment rules, for
/// [`crate::segment::Segmenter::add_field`]: `stage` (text: the stage id) and `points` (number:
/// the points balance; 0 without a points section), in the log's customer order.
#[must_use]
pub fn segment_fields(s: &Stages) -> Vec<(String, crate::segment::ExtraColumn)> {
    use crate::segment::ExtraColumn;
    vec![
        (
            "stage".into(),
            ExtraColumn::Text(
                (0..s.len())
                    .map(|i| Some(s.stage_id(i).to_owned()))
                    .collect(),
            ),
        ),
        (
            "points".into(),
            ExtraColumn::Number(s.points_balance.iter().map(|&p| p as f64).collect()),
        ),
    ]
}
