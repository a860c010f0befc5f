//! Customer summaries streamed from in-memory Arrow record batches (feature `parquet`): the
//! route of [`super::summarize_path`] for a frame a caller already holds (pandas, Polars or
//! pyarrow through the Arrow C interfaces, Arrow IPC).
//!
//! The batches go through the same ingestor, plain-batch preparation and
//! [`SummarySink`](super::summarize) as a Parquet file, so a frame's summary is built without
//! the grouped [`OrderLog`](crate::model::OrderLog): a fraction of the time and memory of
//! [`super::read_record_batches`] followed by [`summarize`]. When the sink gives up (a
//! per-customer sum beyond `i64`) or streaming stops at an error, the batches are read into the
//! grouped log instead, so the result and the error are always those of that route.

use arrow_array::RecordBatch;
use arrow_schema::Schema;

use super::columns::resolve;
use super::ingest::{Ingestor, OrderSink};
use super::options::ReadOptions;
use super::parquet::ingest_batches;
use super::plain::PlainBatch;
use super::summarize::SummarizedLog;
use crate::Result;
use crate::summary::SummaryOptions;

/// Summarises the customers of an order log given as Arrow record batches, as of
/// `opts.as_of`: the same result as [`summarize`] over [`super::read_record_batches`] (same
/// column detection, types, policies and ingestion report), streamed when the input allows.
/// No copy of the batches is made.
///
/// # Errors
/// As [`super::read_record_batches`]: unknown or missing columns, invalid options, rows
/// rejected under `bad_rows = error`, …
pub fn summarize_record_batches(
    schema: &Schema,
    batches: &[RecordBatch],
    read: &ReadOptions,
    opts: &SummaryOptions,
) -> Result<SummarizedLog> {
    super::summarize::summarize_with(
        opts,
        |sink| batches_into(schema, batches, read, sink),
        || super::read_record_batches(schema, batches, read),
    )
}

/// Rows per slice of a batch: a frame often comes as one batch of millions of rows; slices
/// (zero-copy) of the Parquet reader's batch size let one slice be prepared while the previous
/// one is summed.
const SLICE_ROWS: usize = 65_536;

/// Feeds `batches` through one ingestor into `sink` (stopping early if the sink gives up), in
/// slices of [`SLICE_ROWS`].
pub(crate) fn batches_into<S: OrderSink>(
    schema: &Schema,
    batches: &[RecordBatch],
    read: &ReadOptions,
    sink: S,
) -> Result<Ingestor<S>> {
    let header: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let r = resolve(&header, &read.columns)?;
    let p = r.roles();
    let total = batches.iter().map(RecordBatch::num_rows).sum();
    let slices = batches.iter().flat_map(|b| {
        (0..b.num_rows())
            .step_by(SLICE_ROWS)
            .map(move |lo| b.slice(lo, SLICE_ROWS.min(b.num_rows() - lo)))
    });
    ingest_batches(schema, &r, p, total, read, sink, |prepare, consume| {
        drive(slices, prepare, consume)
    })
}

/// Prepares each slice (its plain batch) on a second thread while this one consumes the
/// previous, as the Parquet reader decodes and prepares on its own thread.
#[cfg(not(target_arch = "wasm32"))]
fn drive(
    slices: impl Iterator<Item = RecordBatch> + Send,
    prepare: &(dyn Fn(&RecordBatch) -> Option<PlainBatch> + Sync),
    consume: &mut dyn FnMut(RecordBatch, Option<PlainBatch>) -> Result<bool>,
) -> Result<()> {
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel(4);
        scope.spawn(move || {
            for b in slices {
                let plain = prepare(&b);
                if tx.send((b, plain)).is_err() {
                    break; // the consumer stopped
                }
            }
        });
        for (b, plain) in rx {
            if !consume(b, plain)? {
                break; // dropping `rx` stops the preparing thread
            }
        }
        Ok(())
    })
}

/// Prepares and consumes each slice in turn (wasm32 has no threads).
#[cfg(target_arch = "wasm32")]
fn drive(
    slices: impl Iterator<Item = RecordBatch>,
    prepare: &(dyn Fn(&RecordBatch) -> Option<PlainBatch> + Sync),
    consume: &mut dyn FnMut(RecordBatch, Option<PlainBatch>) -> Result<bool>,
) -> Result<()> {
    for b in slices {
        let plain = prepare(&b);
        if !consume(b, plain)? {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float64Array, Int64Array, StringArray, TimestampSecondArray};
    use arrow_schema::{DataType, Field, TimeUnit};

    use super::*;
    use crate::io::ColumnMap;
    use crate::summary::summarize;

    fn log(n: usize) -> (Arc<Schema>, Vec<RecordBatch>) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("customer_id", DataType::Int64, true),
            Field::new("order_id", DataType::Utf8, true),
            Field::new("ts", DataType::Timestamp(TimeUnit::Second, None), true),
            Field::new("amount", DataType::Float64, true),
        ]));
        let batch = |lo: usize, hi: usize| {
            let rows = lo..hi;
            let cols: Vec<ArrayRef> = vec![
                Arc::new(rows.clone().map(|i| (i % 7) as i64).collect::<Int64Array>()),
                Arc::new(
                    rows.clone()
                        .map(|i| Some(format!("o{}", i / 2)))
                        .collect::<StringArray>(),
                ),
                Arc::new(
                    rows.clone()
                        .map(|i| Some(1_700_000_000 + (i as i64) * 40_000))
                        .collect::<TimestampSecondArray>(),
                ),
                Arc::new(
                    rows.map(|i| if i % 11 == 0 { -3.5 } else { 10.25 })
                        .collect::<Float64Array>(),
                ),
            ];
            RecordBatch::try_new(schema.clone(), cols).expect("batch")
        };
        // Small batches and one batch of more than a slice: both cut differently than slices.
        let mut batches: Vec<RecordBatch> = (0..n)
            .step_by(64)
            .map(|lo| batch(lo, (lo + 64).min(n)))
            .collect();
        if n >= 1000 {
            batches.push(batch(n, n + 2 * SLICE_ROWS + 17));
        }
        (schema, batches)
    }

    fn read() -> ReadOptions {
        ReadOptions {
            columns: ColumnMap {
                customer: Some("customer_id".into()),
                order: Some("order_id".into()),
                time: Some("ts".into()),
                amount: Some("amount".into()),
                ..ColumnMap::default()
            },
            currency: Some("USD".into()),
            ..ReadOptions::default()
        }
    }

    #[test]
    fn streamed_summary_equals_the_grouped_log_summary() {
        let (schema, batches) = log(1000);
        for as_of in [None, chrono::NaiveDate::from_ymd_opt(2023, 12, 1)] {
            let opts = SummaryOptions {
                as_of,
                ..SummaryOptions::default()
            };
            let got = summarize_record_batches(&schema, &batches, &read(), &opts).expect("sum");
            let ing = crate::io::read_record_batches(&schema, &batches, &read()).expect("read");
            assert!(got.streamed, "the frame should stream");
            let want = summarize(&ing.log, &opts);
            assert_eq!(format!("{:?}", got.summaries), format!("{want:?}"));
            assert_eq!(
                serde_json::to_string(&got.report).expect("json"),
                serde_json::to_string(&ing.report).expect("json")
            );
        }
    }

    #[test]
    fn a_missing_column_is_the_grouped_reads_error() {
        let (schema, batches) = log(10);
        let mut r = read();
        r.columns.amount = Some("price".into());
        let got = summarize_record_batches(&schema, &batches, &r, &SummaryOptions::default());
        let want = crate::io::read_record_batches(&schema, &batches, &r);
        assert_eq!(
            got.err().map(|e| e.to_string()),
            want.err().map(|e| e.to_string())
        );
    }
}
