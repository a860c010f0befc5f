//! The stages table as typed Arrow columns: what [`super::stages_table`] holds, built without
//! a `String` per cell, for `kokyaku stages -o FILE` (Parquet or CSV) and the bindings.

use std::fmt::Write as _;
use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{Field, Schema};
use rust_decimal::Decimal;

use super::Stages;
use crate::io::{date_array, int_array};
use crate::model::Day;
use crate::{Error, Result};

fn malformed(e: impl std::fmt::Display) -> Error {
    Error::Malformed {
        location: crate::Location::column("stages"),
        reason: e.to_string(),
    }
}

/// The record batch of [`super::stages_table`] (same columns, names, types and values; the
/// money columns as decimal text, as in the table), built from the typed columns.
///
/// # Errors
/// Only if Arrow refuses the columns (it does not for a [`Stages`] from
/// [`super::evaluate`]).
pub fn stages_record_batch(s: &Stages) -> Result<RecordBatch> {
    let n = s.len();
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    let mut push = |name: &str, a: ArrayRef| {
        fields.push(Field::new(name, a.data_type().clone(), true));
        arrays.push(a);
    };
    let id_bytes = (0..n.min(64)).map(|i| s.customer_id.get(i).len()).max();
    let mut ids = StringBuilder::with_capacity(n, id_bytes.unwrap_or(8) * n);
    for i in 0..n {
        ids.append_value(s.customer_id.get(i));
    }
    push("customer_id", Arc::new(ids.finish()));
    let names = |v: &[String], k: &mut dyn Iterator<Item = Option<u16>>| -> ArrayRef {
        let mut b = StringBuilder::with_capacity(n, 12 * n);
        for x in k {
            b.append_option(x.map(|k| v[k as usize].as_str()));
        }
        Arc::new(b.finish())
    };
    push(
        "stage",
        names(&s.stage_ids, &mut s.stage.iter().map(|&k| Some(k))),
    );
    push(
        "stage_name",
        names(&s.stage_names, &mut s.stage.iter().map(|&k| Some(k))),
    );
    let dates = |v: &[Option<Day>]| date_array(v);
    push("stage_since", dates(&s.stage_since));
    push("member_since", dates(&s.member_since));
    let money = |v: &mut dyn Iterator<Item = Option<i64>>| -> Result<ArrayRef> {
        let mut b = StringBuilder::with_capacity(n, 8 * n);
        for u in v {
            match u {
                Some(u) => {
                    write!(b, "{}", Decimal::new(u, s.money_scale)).map_err(malformed)?;
                    b.append_value("");
                }
                None => b.append_null(),
            }
        }
        Ok(Arc::new(b.finish()))
    };
    push(
        "window_spend",
        money(&mut s.window_spend_units.iter().map(|&u| Some(u)))?,
    );
    let ints = |v: &mut dyn Iterator<Item = Option<i64>>| int_array(n, v);
    let all = |v: &[i64]| ints(&mut v.iter().map(|&x| Some(x)));
    push(
        "window_orders",
        ints(&mut s.window_orders.iter().map(|&x| Some(i64::from(x)))),
    );
    if s.has_points {
        push("window_points", all(&s.window_points));
        push("points_balance", all(&s.points_balance));
        push("points_earned", all(&s.points_earned));
        push("points_expired", all(&s.points_expired));
        push("points_redeemed", all(&s.points_redeemed));
        push("points_reversed", all(&s.points_reversed));
        push(
            "next_expiring_points",
            ints(
                &mut s
                    .next_expiring_points
                    .iter()
                    .zip(&s.next_expiring_date)
                    .map(|(&p, d)| d.map(|_| p)),
            ),
        );
        push("next_expiring_date", dates(&s.next_expiring_date));
    }
    push(
        "next_stage",
        names(&s.stage_ids, &mut s.next_stage.iter().copied()),
    );
    push(
        "spend_needed",
        money(&mut s.spend_needed_units.iter().copied())?,
    );
    push(
        "orders_needed",
        ints(&mut s.orders_needed.iter().map(|x| x.map(i64::from))),
    );
    if s.has_points {
        push("points_needed", ints(&mut s.points_needed.iter().copied()));
    }
    push("needed_by", dates(&s.needed_by));
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(malformed)
}

#[cfg(test)]
mod tests {
    use super::stages_record_batch;
    use crate::io::{ReadOptions, read_csv_str, table_to_record_batch};
    use crate::loyalty::{LoyaltyEvents, Program, StageOptions, evaluate, stages_table};

    /// Every column kind: points with expiry (next expiring lot or none), stages above the base
    /// (progress to the top stage is empty), refunds, fractional money.
    #[test]
    fn the_typed_batch_equals_the_table() {
        let csv = "customer_id,order_id,ordered_at,amount\n\
                   a,1,2024-01-05,120.50\nb,2,2024-01-06,20\na,3,2024-03-01,300.25\n\
                   c,4,2023-01-01,10.10\nb,5,2024-06-30,99.99\nd,6,2024-07-01,1000\n";
        let read = read_csv_str(
            csv,
            &ReadOptions {
                currency: Some("USD".into()),
                ..ReadOptions::default()
            },
        )
        .expect("log");
        let program = Program::from_json(
            r#"{"stages": [{"id": "regular"}, {"id": "silver", "spend": 100},
                           {"id": "gold", "name": "Gold", "spend": 400}],
                "window": {"kind": "rolling", "days": 365}, "upgrade": "on_order",
                "review": "month", "downgrade": "recompute",
                "points": {"per": 1, "earn": 1, "expiry": {"kind": "months", "months": 3},
                           "bonuses": [{"kind": "first_order", "points": 10}]}}"#,
        )
        .expect("programme");
        let s = evaluate(
            &read.log,
            &program,
            &LoyaltyEvents::default(),
            &StageOptions::default(),
        )
        .expect("stages");
        let typed = stages_record_batch(&s).expect("batch");
        let table = table_to_record_batch(&stages_table(&s)).expect("table");
        assert_eq!(typed, table);
        assert_eq!(typed.num_rows(), 4);
    }
}
