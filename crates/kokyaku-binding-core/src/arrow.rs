//! Order logs from Arrow data (feature `arrow`): record batches (Python's `PyCapsule` frames) and
//! Arrow IPC bytes (Node). The batches go to the core's Arrow reader, the one behind Parquet
//! input, so column detection, types and policies are those of a Parquet file.
//! The batches are read in place (`kokyaku::io::read_record_batches`): no copy of the data.

use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::Schema;
use serde_json::Value;

use crate::BindingError;
use crate::api::{Log, read_options};

fn malformed(what: &str, e: impl std::fmt::Display) -> BindingError {
    BindingError::new("malformed_input", format!("malformed input: {what}: {e}"))
}

/// Reads an order log from record batches.
pub fn read_batches(
    schema: &Arc<Schema>,
    batches: &[RecordBatch],
    options: Value,
) -> Result<Log, BindingError> {
    let opts = read_options(options)?;
    Ok(kokyaku::io::read_record_batches(schema, batches, &opts)?.into())
}

/// Reads an order log from Arrow IPC bytes, stream or file format (`ARROW1` magic).
pub fn read_ipc(data: &[u8], options: Value) -> Result<Log, BindingError> {
    let (schema, batches) = if data.starts_with(b"ARROW1") {
        let r = arrow_ipc::reader::FileReader::try_new(std::io::Cursor::new(data), None)
            .map_err(|e| malformed("Arrow IPC file", e))?;
        let schema = r.schema();
        let batches = r
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| malformed("Arrow IPC file", e))?;
        (schema, batches)
    } else {
        let r = arrow_ipc::reader::StreamReader::try_new(data, None)
            .map_err(|e| malformed("Arrow IPC stream", e))?;
        let schema = r.schema();
        let batches = r
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| malformed("Arrow IPC stream", e))?;
        (schema, batches)
    };
    read_batches(&schema, &batches, options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Float64Array, StringArray};
    use arrow_schema::{DataType, Field};

    fn batch() -> (Arc<Schema>, RecordBatch) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("customer_id", DataType::Utf8, false),
            Field::new("placed_at", DataType::Utf8, false),
            Field::new("amount", DataType::Float64, true),
        ]));
        let b = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec!["a", "a", "b"])),
                Arc::new(StringArray::from(vec![
                    "2024-01-01",
                    "2024-02-01",
                    "2024-01-15",
                ])),
                Arc::new(Float64Array::from(vec![Some(10.0), None, Some(5.5)])),
            ],
        )
        .unwrap();
        (schema, b)
    }

    #[test]
    fn ipc_stream_and_file_read_like_batches() {
        let (schema, b) = batch();
        let mut stream = Vec::new();
        {
            let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut stream, &schema).unwrap();
            w.write(&b).unwrap();
            w.finish().unwrap();
        }
        let mut file = Vec::new();
        {
            let mut w = arrow_ipc::writer::FileWriter::try_new(&mut file, &schema).unwrap();
            w.write(&b).unwrap();
            w.finish().unwrap();
        }
        for data in [&stream, &file] {
            let log = read_ipc(data, Value::Null).unwrap();
            assert_eq!((log.report.rows_read, log.report.rows_rejected), (3, 1));
            assert_eq!(log.log.n_customers(), 2);
        }
        assert_eq!(
            read_ipc(b"nonsense", Value::Null).unwrap_err().code,
            "malformed_input"
        );
    }
}
