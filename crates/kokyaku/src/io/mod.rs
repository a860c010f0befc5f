//! Reading order logs: delimited text, JSON Lines and (feature `parquet`) Parquet.
//!
//! Every reader maps columns to roles ([`ColumnMap`]), parses times in a configured zone,
//! applies the policies of [`ReadOptions`] and returns an [`Ingested`] log whose
//! [`IngestReport`] accounts for every row: `rows_read = rows_accepted + rows_rejected`.

#[cfg(feature = "parquet")]
mod batches;
mod columns;
mod csv;
mod ingest;
mod jsonl;
mod options;
#[cfg(feature = "parquet")]
mod parquet;
#[cfg(feature = "parquet")]
mod parquet_dict;
#[cfg(all(test, feature = "parquet"))]
mod parquet_dict_tests;
#[cfg(feature = "parquet")]
mod parquet_pages;
#[cfg(all(test, feature = "parquet"))]
mod parquet_pages_tests;
// Plain batches come from the Parquet reader only.
#[cfg(all(test, feature = "parquet"))]
mod dict_ids_tests;
#[cfg(all(test, feature = "parquet"))]
mod float_money_tests;
#[cfg_attr(not(feature = "parquet"), allow(dead_code))]
pub(crate) mod plain;
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
#[cfg(feature = "parquet")]
pub(crate) use parquet::{
    Strict as StrictParquet, check_dictionary_pages as check_parquet_dictionary_pages,
};
mod time;

#[cfg(feature = "parquet")]
pub use self::batches::summarize_record_batches;
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
pub(crate) use plain::{int_of_text, int_text};
pub use summarize::{SummarizedLog, summarize_path, summarize_path_progress};
#[cfg(feature = "parquet")]
pub use summary_out::{
    TextLayout, summary_record_batch, summary_record_batch_with, write_batch_csv,
    write_batch_parquet, write_summary_csv, write_summary_parquet,
};
#[cfg(feature = "parquet")]
pub(crate) use summary_out::{date_array, int_array};
pub use time::TimeParser;

use std::io::Read;
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
    /// The format by file extension (`.csv .tsv .txt .dat` → CSV, `.jsonl .ndjson .json` → JSON
    /// Lines, `.parquet .pq` → Parquet). A `.gz` file has the format of the name without it
    /// (`orders.csv.gz` is CSV; a bare `orders.gz` is CSV); see [`is_gzip`].
    pub fn from_path(path: &Path) -> Result<Self> {
        let ext = |p: &Path| {
            p.extension()
                .and_then(|e| e.to_str())
                .unwrap_or("")
                .to_ascii_lowercase()
        };
        let mut e = ext(path);
        if e == "gz" {
            e = path
                .file_stem()
                .map_or_else(String::new, |s| ext(Path::new(s)));
        }
        Ok(match e.as_str() {
            "csv" | "tsv" | "txt" | "dat" | "" => Self::Csv,
            "jsonl" | "ndjson" | "json" => Self::Jsonl,
            "parquet" | "pq" if !is_gzip(path) => Self::Parquet,
            "parquet" | "pq" => {
                return Err(Error::Unsupported(format!(
                    "'{}' is a gzip-compressed Parquet file: Parquet compresses its own pages; decompress it first",
                    path.display()
                )));
            }
            _ => {
                return Err(Error::Unsupported(format!(
                    "unknown file type '.{e}' for '{}': use .csv/.tsv/.txt, .jsonl/.json or .parquet (optionally .gz)",
                    path.display()
                )));
            }
        })
    }
}

/// Whether a path names a gzip-compressed file (extension `.gz`): [`read_path`] decompresses it.
#[must_use]
pub fn is_gzip(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// Opens a file for reading, decompressing it when its name ends in `.gz` (gzip, also several
/// members one after another). The readers of text and bytes take what this returns.
pub fn open_path(path: &Path) -> Result<Box<dyn Read>> {
    open_path_counted(path, None)
}

/// [`open_path`], calling `progress` with the bytes of the file read so far (compressed bytes
/// for `.gz`, so that they count up to the file's size).
fn open_path_counted<'a>(
    path: &Path,
    progress: Option<&'a (dyn Fn(u64) + Sync)>,
) -> Result<Box<dyn Read + 'a>> {
    let f = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    let f: Box<dyn Read + 'a> = match progress {
        Some(report) => Box::new(Counted {
            inner: f,
            bytes: 0,
            report,
        }),
        None => Box::new(f),
    };
    Ok(if is_gzip(path) {
        Box::new(GzipText {
            inner: flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(1 << 16, f)),
            path: path.display().to_string(),
        })
    } else {
        f
    })
}

/// A reader that reports the bytes read so far after each read (a progress bar).
struct Counted<'a, R> {
    inner: R,
    bytes: u64,
    report: &'a (dyn Fn(u64) + Sync),
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        (self.report)(self.bytes);
        Ok(n)
    }
}

/// Whether `path` (without a `.gz`) ends in `.json`: a JSON array of records is read there as
/// well as JSON Lines.
fn is_json(path: &Path) -> bool {
    let p = if is_gzip(path) {
        path.file_stem().map_or(Path::new(""), Path::new)
    } else {
        path
    };
    p.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// Reads an order log from a file, choosing the reader by extension. A `.tsv` file defaults
/// to tab separation when the options say comma. A `.gz` file is decompressed (gzip, also
/// several members one after another). A `.json` file holds JSON Lines or one JSON array of
/// records.
pub fn read_path(path: &Path, opts: &ReadOptions) -> Result<Ingested> {
    let builder = crate::model::OrderLogBuilder::new(opts.tz()?);
    Ok(read_path_into(path, opts, builder)?.finish())
}

/// [`read_path`], calling `progress` with the bytes of a CSV or JSON file read so far
/// (compressed bytes for `.gz`; nothing for Parquet): for a progress bar.
///
/// # Errors
/// As [`read_path`].
pub fn read_path_progress(
    path: &Path,
    opts: &ReadOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Ingested> {
    let builder = crate::model::OrderLogBuilder::new(opts.tz()?);
    Ok(read_path_into_counted(path, opts, builder, Some(progress))?.finish())
}

/// Reads a file into `sink`, choosing the reader by extension (see [`read_path`]).
pub(crate) fn read_path_into<S: OrderSink>(
    path: &Path,
    opts: &ReadOptions,
    sink: S,
) -> Result<Ingestor<S>> {
    read_path_into_counted(path, opts, sink, None)
}

/// [`read_path_into`], calling `progress` with the bytes of a CSV or JSON file read so far
/// (Parquet reports nothing: it is read by row group).
pub(crate) fn read_path_into_counted<S: OrderSink>(
    path: &Path,
    opts: &ReadOptions,
    sink: S,
    progress: Option<&(dyn Fn(u64) + Sync)>,
) -> Result<Ingestor<S>> {
    let format = Format::from_path(path)?;
    let open = || open_path_counted(path, progress);
    match format {
        Format::Csv => {
            let mut o = opts.clone();
            let stem = if is_gzip(path) {
                path.file_stem().map_or(Path::new(""), Path::new)
            } else {
                path
            };
            if stem
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("tsv"))
                && o.delimiter == Delimiter::Comma
            {
                o.delimiter = Delimiter::Tab;
            }
            // Plain text: its size hints at the rows to expect (compressed: unknown).
            let bytes = if is_gzip(path) {
                0
            } else {
                std::fs::metadata(path).map_or(0, |m| m.len())
            };
            csv::csv_into_sized(open()?, &o, sink, bytes)
        }
        Format::Jsonl if is_json(path) => jsonl::json_into(open()?, opts, sink),
        Format::Jsonl => jsonl::jsonl_into(open()?, opts, sink),
        #[cfg(feature = "parquet")]
        Format::Parquet => {
            let f = std::fs::File::open(path).map_err(|source| Error::Io {
                path: path.display().to_string(),
                source,
            })?;
            parquet::parquet_file_into(f, opts, sink)
        }
        #[cfg(not(feature = "parquet"))]
        Format::Parquet => Err(Error::Unsupported(
            "this build has no Parquet support (feature `parquet`)".into(),
        )),
    }
}

/// A gzip stream whose corruption reads as an I/O error naming the file and saying so (the
/// readers turn read errors into `malformed_input`).
struct GzipText<R> {
    inner: R,
    path: String,
}

impl<R: Read> Read for GzipText<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!(
                    "'{}' is not valid gzip ({e}); is it really compressed?",
                    self.path
                ),
            )
        })
    }
}
