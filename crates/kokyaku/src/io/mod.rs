//! Reading order logs: delimited text, JSON Lines and (feature `parquet`) Parquet.
//!
//! Every reader maps columns to roles ([`ColumnMap`]), parses times in a configured zone,
//! applies the policies of [`ReadOptions`] and returns an [`Ingested`] log whose
//! [`IngestReport`] accounts for every row: `rows_read = rows_accepted + rows_rejected`.

mod columns;
mod csv;
mod ingest;
mod jsonl;
mod options;
#[cfg(feature = "parquet")]
mod parquet;
// Plain batches come from the Parquet reader only.
#[cfg(all(test, feature = "parquet"))]
mod float_money_tests;
#[cfg_attr(not(feature = "parquet"), allow(dead_code))]
mod plain;
#[cfg(all(test, feature = "parquet"))]
mod plain_schema_tests;
#[cfg(all(test, feature = "parquet"))]
mod plain_tests;
mod summarize;
#[cfg(feature = "parquet")]
mod summary_out;
#[cfg(all(test, feature = "parquet"))]
mod summary_out_tests;
#[cfg(feature = "parquet")]
pub(crate) use parquet::malformed as parquet_malformed;
mod time;

pub use self::csv::{read_csv, read_csv_str};
#[cfg(feature = "parquet")]
pub use self::parquet::{
    SimParquetWriter, read_parquet, read_parquet_bytes, read_parquet_file, read_record_batches,
    table_to_record_batch, write_table_parquet,
};
#[cfg(feature = "parquet")]
pub use arrow_array::RecordBatch;
pub use ingest::{IngestReport, Ingested, Ingestor, OrderSink, RejectReason, Rejection, Row, Val};
pub use jsonl::{read_jsonl, read_jsonl_str};
pub use options::{
    BadRows, ColumnMap, Delimiter, DuplicateOrder, MissingCustomer, ReadOptions, parse_tz,
};
#[doc(hidden)]
pub use plain::PlainBatch;
pub use summarize::{SummarizedLog, summarize_path};
#[cfg(feature = "parquet")]
pub use summary_out::{summary_record_batch, write_batch_csv, write_batch_parquet};
pub use time::TimeParser;

use std::path::Path;

use crate::{Error, Result};

/// The file formats a reader knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Delimited text.
    Csv,
    /// JSON Lines.
    Jsonl,
    /// Apache Parquet.
    Parquet,
}

impl Format {
    /// The format by file extension (`.csv .tsv .txt .dat` → CSV, `.jsonl .ndjson` → JSON
    /// Lines, `.parquet .pq` → Parquet).
    pub fn from_path(path: &Path) -> Result<Self> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        Ok(match ext.as_str() {
            "csv" | "tsv" | "txt" | "dat" | "gz" | "" => Self::Csv,
            "jsonl" | "ndjson" | "json" => Self::Jsonl,
            "parquet" | "pq" => Self::Parquet,
            _ => {
                return Err(Error::Unsupported(format!(
                    "unknown file type '.{ext}' for '{}': use .csv/.tsv/.txt, .jsonl or .parquet",
                    path.display()
                )));
            }
        })
    }
}

/// Reads an order log from a file, choosing the reader by extension. A `.tsv` file defaults
/// to tab separation when the options say comma.
pub fn read_path(path: &Path, opts: &ReadOptions) -> Result<Ingested> {
    let builder = crate::model::OrderLogBuilder::new(opts.tz()?);
    Ok(read_path_into(path, opts, builder)?.finish())
}

/// Reads a file into `sink`, choosing the reader by extension (see [`read_path`]).
pub(crate) fn read_path_into<S: OrderSink>(
    path: &Path,
    opts: &ReadOptions,
    sink: S,
) -> Result<Ingestor<S>> {
    let io_err = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    match Format::from_path(path)? {
        Format::Csv => {
            let f = std::fs::File::open(path).map_err(io_err)?;
            let mut o = opts.clone();
            if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("tsv"))
                && o.delimiter == Delimiter::Comma
            {
                o.delimiter = Delimiter::Tab;
            }
            csv::csv_into(f, &o, sink)
        }
        Format::Jsonl => jsonl::jsonl_into(std::fs::File::open(path).map_err(io_err)?, opts, sink),
        #[cfg(feature = "parquet")]
        Format::Parquet => {
            parquet::parquet_file_into(std::fs::File::open(path).map_err(io_err)?, opts, sink)
        }
        #[cfg(not(feature = "parquet"))]
        Format::Parquet => Err(Error::Unsupported(
            "this build has no Parquet support (feature `parquet`)".into(),
        )),
    }
}
