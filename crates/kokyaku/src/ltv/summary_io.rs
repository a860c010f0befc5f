//! Reading a ready-made calibration summary (one row per customer, or per pattern with weights)
//! from CSV, with the columns recognised by their usual names.

use std::io::Read;

use super::covariates::Covariates;
use super::data::{CalibrationData, TimeUnit};
use crate::{Error, Location, Result};

/// Which columns hold what; `None` = recognise by the usual names (case-insensitive):
/// id `customer_id`/`id`; `x` `frequency`/`x`; `t_x` `recency`/`t_x`; `T` `T`/`age`/`periods`/`n`;
/// monetary `monetary_value`/`zbar`/`monetary`/`m`; weights `weights`/`weight`/`count`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SummaryColumns {
    /// Customer id column.
    pub id: Option<String>,
    /// Repeat purchases column.
    pub x: Option<String>,
    /// Recency column.
    pub t_x: Option<String>,
    /// Age (or BG/BB opportunities) column.
    pub t: Option<String>,
    /// Mean repeat-purchase value column.
    pub monetary: Option<String>,
    /// Weights column.
    pub weights: Option<String>,
}

/// A summary read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryFile {
    /// Customer ids (row numbers from 1 when the file has no id column).
    pub customer_id: Vec<String>,
    /// The calibration data.
    pub data: CalibrationData,
}

fn find(
    header: &[String],
    given: Option<&str>,
    usual: &[&str],
    what: &str,
    required: bool,
) -> Result<Option<usize>> {
    if let Some(g) = given {
        if let Some(i) = header.iter().position(|h| h == g) {
            return Ok(Some(i));
        }
        if let Ok(k) = g.parse::<usize>() {
            if (1..=header.len()).contains(&k) {
                return Ok(Some(k - 1));
            }
        }
        return Err(Error::MissingColumn {
            column: g.to_owned(),
            hint: format!("columns are: {}", header.join(", ")),
        });
    }
    for u in usual {
        if let Some(i) = header.iter().position(|h| h.eq_ignore_ascii_case(u)) {
            return Ok(Some(i));
        }
    }
    if required {
        return Err(Error::MissingColumn {
            column: what.to_owned(),
            hint: format!(
                "none of {} found among: {}; name it with a flag",
                usual.join("/"),
                header.join(", ")
            ),
        });
    }
    Ok(None)
}

/// Column positions of a summary file's roles.
struct SummaryRoles {
    x: usize,
    t_x: usize,
    t: usize,
    id: Option<usize>,
    monetary: Option<usize>,
    weights: Option<usize>,
}

/// Finds the summary's columns by the names given in `columns` or their usual names.
fn summary_roles(header: &[String], columns: &SummaryColumns) -> Result<SummaryRoles> {
    let required = |given: Option<&str>, usual: &[&str], what: &str| {
        find(header, given, usual, what, true).map(|i| i.unwrap_or(0))
    };
    Ok(SummaryRoles {
        x: required(columns.x.as_deref(), &["frequency", "x"], "frequency")?,
        t_x: required(columns.t_x.as_deref(), &["recency", "t_x"], "recency")?,
        t: required(columns.t.as_deref(), &["T", "age", "periods", "n"], "T")?,
        id: find(
            header,
            columns.id.as_deref(),
            &["customer_id", "id"],
            "customer_id",
            false,
        )?,
        monetary: find(
            header,
            columns.monetary.as_deref(),
            &["monetary_value", "zbar", "monetary", "m"],
            "monetary_value",
            false,
        )?,
        weights: find(
            header,
            columns.weights.as_deref(),
            &["weights", "weight", "count"],
            "weights",
            false,
        )?,
    })
}

/// A CSV reader over `reader` and its header row.
fn csv_with_header<R: Read>(reader: R, trim: csv::Trim) -> Result<(csv::Reader<R>, Vec<String>)> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(trim)
        .from_reader(reader);
    let header = rdr
        .headers()
        .map_err(|e| Error::Malformed {
            location: Location::default(),
            reason: e.to_string(),
        })?
        .iter()
        .map(str::to_owned)
        .collect();
    Ok((rdr, header))
}

/// A Parquet reader builder over `file` and its column names.
#[cfg(feature = "parquet")]
fn parquet_with_header(
    file: std::fs::File,
) -> Result<(
    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder<
        crate::io::StrictParquet<std::fs::File>,
    >,
    Vec<String>,
)> {
    let file = std::sync::Arc::new(file);
    let b = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        crate::io::StrictParquet(file.clone()),
    )
    .map_err(crate::io::parquet_malformed)?;
    let all: Vec<usize> = (0..b.parquet_schema().num_columns()).collect();
    crate::io::check_parquet_dictionary_pages(&*file, b.metadata(), &all)?;
    let header = b
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    Ok((b, header))
}

/// Read a comma-separated summary with a header row.
pub fn read_summary_csv<R: Read>(
    reader: R,
    columns: &SummaryColumns,
    time_unit: TimeUnit,
) -> Result<SummaryFile> {
    let (mut rdr, header) = csv_with_header(reader, csv::Trim::Headers)?;
    let SummaryRoles {
        x: ix,
        t_x: itx,
        t: it,
        id: iid,
        monetary: im,
        weights: iw,
    } = summary_roles(&header, columns)?;
    let (mut ids, mut x, mut tx, mut t, mut m, mut w) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    // One reused byte record (no allocation or UTF-8 check per row); fields trimmed here.
    let mut rec = csv::ByteRecord::new();
    let mut row = 0usize;
    loop {
        let more = rdr
            .read_byte_record(&mut rec)
            .map_err(|e| Error::Malformed {
                location: Location::cell(row as u64 + 1, ""),
                reason: e.to_string(),
            })?;
        if !more {
            break;
        }
        let field = |j: usize| rec.get(j).map_or(&b""[..], <[u8]>::trim_ascii);
        let num = |j: usize| -> Result<f64> {
            let f = field(j);
            std::str::from_utf8(f)
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .ok_or_else(|| Error::InvalidValue {
                    value: String::from_utf8_lossy(f).into_owned(),
                    location: Location::cell(row as u64 + 1, &header[j]),
                    reason: "expected a number".into(),
                })
        };
        x.push(num(ix)?);
        tx.push(num(itx)?);
        t.push(num(it)?);
        if let Some(j) = im {
            m.push(num(j)?);
        }
        if let Some(j) = iw {
            w.push(num(j)?);
        }
        ids.push(iid.map_or_else(
            || (row + 1).to_string(),
            |j| String::from_utf8_lossy(field(j)).into_owned(),
        ));
        row += 1;
    }
    build(ids, x, tx, t, im.map(|_| m), iw.map(|_| w), time_unit)
}

/// Read the named numeric columns of a comma-separated summary with a header row as
/// [`Covariates`] (for [`super::BgNbdWithCovariates`] / [`super::ParetoNbdWithCovariates`]),
/// one row per data row, in the file's order, so that they line up with [`read_summary_csv`]
/// on the same file. Names match headers exactly; an absent one is a `missing_column` error
/// listing the columns, a cell that is not a finite number an `invalid_value` error at its row
/// and column. No names gives [`Covariates::none`].
pub fn read_covariates_csv<R: Read>(reader: R, names: &[String]) -> Result<Covariates> {
    if names.is_empty() {
        return Ok(Covariates::none());
    }
    let (mut rdr, header) = csv_with_header(reader, csv::Trim::All)?;
    let idx = covariate_columns(&header, names)?;
    let mut values = Vec::new();
    for (row, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| Error::Malformed {
            location: Location::cell(row as u64 + 1, ""),
            reason: e.to_string(),
        })?;
        for (&j, n) in idx.iter().zip(names) {
            let f = rec.get(j).unwrap_or("");
            let v = f
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| Error::InvalidValue {
                    value: f.to_owned(),
                    location: Location::cell(row as u64 + 1, n),
                    reason: "covariates must be finite numbers".into(),
                })?;
            values.push(v);
        }
    }
    Covariates::new(names.to_vec(), values)
}

fn build(
    ids: Vec<String>,
    x: Vec<f64>,
    tx: Vec<f64>,
    t: Vec<f64>,
    m: Option<Vec<f64>>,
    w: Option<Vec<f64>>,
    time_unit: TimeUnit,
) -> Result<SummaryFile> {
    if x.is_empty() {
        return Err(Error::EmptyInput("the summary has no rows".into()));
    }
    let mut data = CalibrationData::new(x, tx, t, time_unit)?;
    // Monetary is validated by the spend model when it is fitted (x = 0 rows carry 0).
    data.monetary = m;
    if let Some(w) = w {
        data = data.with_weights(w)?;
    }
    Ok(SummaryFile {
        customer_id: ids,
        data,
    })
}

/// Read a Parquet summary (feature `parquet`): numeric columns of any integer or float type,
/// the id column as text or integers; columns found as for CSV.
#[cfg(feature = "parquet")]
pub fn read_summary_parquet(
    file: std::fs::File,
    columns: &SummaryColumns,
    time_unit: TimeUnit,
) -> Result<SummaryFile> {
    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    use arrow_schema::DataType;

    let (b, header) = parquet_with_header(file)?;
    let SummaryRoles {
        x: ix,
        t_x: itx,
        t: it,
        id: iid,
        monetary: im,
        weights: iw,
    } = summary_roles(&header, columns)?;
    let reader = b
        .with_batch_size(65_536)
        .build()
        .map_err(crate::io::parquet_malformed)?;
    let (mut ids, mut x, mut tx, mut t, mut m, mut w) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for batch in reader {
        let batch = batch.map_err(crate::io::parquet_malformed)?;
        parquet_numbers(batch.column(ix), &header[ix], &mut x)?;
        parquet_numbers(batch.column(itx), &header[itx], &mut tx)?;
        parquet_numbers(batch.column(it), &header[it], &mut t)?;
        if let Some(j) = im {
            parquet_numbers(batch.column(j), &header[j], &mut m)?;
        }
        if let Some(j) = iw {
            parquet_numbers(batch.column(j), &header[j], &mut w)?;
        }
        if let Some(j) = iid {
            let a = batch.column(j);
            match a.data_type() {
                DataType::Utf8 => {
                    let s = a.as_string::<i32>();
                    ids.extend((0..s.len()).map(|i| s.value(i).to_owned()));
                }
                DataType::LargeUtf8 => {
                    let s = a.as_string::<i64>();
                    ids.extend((0..s.len()).map(|i| s.value(i).to_owned()));
                }
                _ => {
                    let mut v = Vec::new();
                    parquet_numbers(a, &header[j], &mut v)?;
                    ids.extend(v.iter().map(|n| format!("{n}")));
                }
            }
        } else {
            let base = ids.len();
            ids.extend((base..base + batch.num_rows()).map(|i| (i + 1).to_string()));
        }
    }
    build(ids, x, tx, t, im.map(|_| m), iw.map(|_| w), time_unit)
}

/// Positions of the covariate columns `names` in `header` (exact names).
fn covariate_columns(header: &[String], names: &[String]) -> Result<Vec<usize>> {
    names
        .iter()
        .map(|n| {
            header
                .iter()
                .position(|h| h == n)
                .ok_or_else(|| Error::MissingColumn {
                    column: n.clone(),
                    hint: format!(
                        "covariate columns are read from the summary; columns are: {}",
                        header.join(", ")
                    ),
                })
        })
        .collect()
}

/// Appends a numeric Arrow column to `out` as `f64`; nulls and non-numeric types are errors
/// naming the column (and the row, 1-based over the file, for a null).
#[cfg(feature = "parquet")]
fn parquet_numbers(a: &arrow_array::ArrayRef, name: &str, out: &mut Vec<f64>) -> Result<()> {
    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{
        Float32Type, Float64Type, Int32Type, Int64Type, UInt32Type, UInt64Type,
    };
    use arrow_schema::DataType;
    let base = out.len();
    // One macro arm per Arrow type; `as f64` is exact for the 32-bit ones and the usual rounding
    // for 64-bit integers (counts far below 2^53).
    macro_rules! push {
        ($t:ty) => {{
            let p = a.as_primitive::<$t>();
            #[allow(clippy::cast_lossless)]
            out.extend((0..p.len()).map(|i| {
                if p.is_null(i) {
                    f64::NAN
                } else {
                    p.value(i) as f64
                }
            }));
        }};
    }
    match a.data_type() {
        DataType::Float64 => push!(Float64Type),
        DataType::Float32 => push!(Float32Type),
        DataType::Int64 => push!(Int64Type),
        DataType::Int32 => push!(Int32Type),
        DataType::UInt64 => push!(UInt64Type),
        DataType::UInt32 => push!(UInt32Type),
        other => {
            return Err(Error::InvalidValue {
                value: other.to_string(),
                location: Location::column(name),
                reason: "expected a numeric column".into(),
            });
        }
    }
    if let Some(k) = out[base..].iter().position(|v| v.is_nan()) {
        return Err(Error::InvalidValue {
            value: "null".into(),
            location: Location::cell((base + k) as u64 + 1, name),
            reason: "expected a number".into(),
        });
    }
    Ok(())
}

/// Reads the named covariate columns of a Parquet summary (numeric, no nulls), row-major, for
/// [`super::BgNbdWithCovariates`] and [`super::ParetoNbdWithCovariates`]: the Parquet twin of
/// [`read_covariates_csv`].
#[cfg(feature = "parquet")]
pub fn read_covariates_parquet(file: std::fs::File, names: &[String]) -> Result<Covariates> {
    if names.is_empty() {
        return Ok(Covariates::none());
    }
    let (b, header) = parquet_with_header(file)?;
    let idx = covariate_columns(&header, names)?;
    let reader = b
        .with_batch_size(65_536)
        .build()
        .map_err(crate::io::parquet_malformed)?;
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    for batch in reader {
        let batch = batch.map_err(crate::io::parquet_malformed)?;
        for ((&j, n), col) in idx.iter().zip(names).zip(&mut cols) {
            parquet_numbers(batch.column(j), n, col)?;
        }
    }
    let rows = cols.first().map_or(0, Vec::len);
    let mut values = Vec::with_capacity(rows * names.len());
    for r in 0..rows {
        values.extend(cols.iter().map(|c| c[r]));
    }
    Covariates::new(names.to_vec(), values)
}
