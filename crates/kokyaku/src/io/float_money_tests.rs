//! Money from floats through a reader (docs/ingestion.md, "Money from floats"): float amounts
//! are the exact decimal of their shortest text in the currency's minor units, float noise
//! rounded away, anything else rejected with its row; the same streamed and grouped.

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{Field, Schema};
use serde_json::json;

use super::{ReadOptions, read_record_batches};

fn batch(amounts: &[f64], currency: Option<&str>) -> RecordBatch {
    let n = amounts.len();
    let mut cols: Vec<(&str, ArrayRef)> = vec![
        (
            "customer_id",
            Arc::new(StringArray::from_iter_values(
                (0..n).map(|i| format!("C{i}")),
            )),
        ),
        (
            "placed_at",
            Arc::new(StringArray::from_iter_values(
                (0..n).map(|i| format!("2024-01-{:02}", i % 28 + 1)),
            )),
        ),
        ("amount", Arc::new(Float64Array::from(amounts.to_vec()))),
    ];
    if let Some(c) = currency {
        cols.push((
            "currency",
            Arc::new(StringArray::from_iter_values((0..n).map(|_| c))),
        ));
    }
    let fields: Vec<Field> = cols
        .iter()
        .map(|(name, a)| Field::new(*name, a.data_type().clone(), true))
        .collect();
    RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        cols.into_iter().map(|(_, a)| a).collect(),
    )
    .expect("batch")
}

/// Accepted amounts (as text) and the rejections as (row, reason).
fn read(
    amounts: &[f64],
    currency: Option<&str>,
    option: Option<&str>,
) -> (Vec<String>, Vec<(u64, String)>) {
    let b = batch(amounts, currency);
    let opts: ReadOptions = serde_json::from_value(json!({ "currency": option })).expect("options");
    let ing = read_record_batches(&b.schema(), &[b], &opts).expect("read");
    let log = &ing.log;
    let got = (0..log.n_orders())
        .map(|i| log.amounts().get(i).to_string())
        .collect();
    let rej = ing
        .report
        .examples
        .iter()
        .map(|r| (r.row, r.reason.to_owned()))
        .collect();
    (got, rej)
}

#[test]
fn float_noise_is_rounded_to_the_currency_and_real_fractions_are_rejected_with_their_row() {
    let amounts = [
        0.1 + 0.2,
        12.345,
        1e15,
        -0.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        19.99,
    ];
    let (got, rej) = read(&amounts, Some("USD"), None);
    assert_eq!(got, ["0.30", "1000000000000000.00", "0.00", "19.99"]);
    assert_eq!(
        rej,
        [
            (2, "amount_precision".to_owned()),
            (5, "non_finite_amount".to_owned()),
            (6, "non_finite_amount".to_owned()),
            (7, "non_finite_amount".to_owned()),
        ]
    );
    // Yen have no minor units: 0.30000000000000004 and 19.99 are not yen amounts.
    let (got, rej) = read(&amounts, None, Some("JPY"));
    assert_eq!(got, ["1000000000000000", "0"]);
    let rows: Vec<u64> = rej.iter().map(|r| r.0).collect();
    assert_eq!(rows, [1, 2, 5, 6, 7, 8]);
    assert_eq!(rej[0].1, "amount_precision");
    // Without a currency: the shortest text, at most 8 decimals.
    let (got, _) = read(&[0.1 + 0.2, 12.345], None, None);
    assert_eq!(got, ["0.300", "12.345"]); // the column's scale: 3
}
