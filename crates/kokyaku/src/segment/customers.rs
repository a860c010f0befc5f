//! The customers file: id, birth date, sign-up time, and any further columns as attributes.

use std::collections::BTreeMap;
use std::io::Read;

use serde::Serialize;

use crate::io::TimeParser;
use crate::model::Customer;
use crate::{Error, Location, Result};

const ID: &[&str] = &[
    "customer_id",
    "id",
    "customer",
    "member_id",
    "user_id",
    "client_id",
];
const BIRTH: &[&str] = &[
    "birth_date",
    "birthday",
    "date_of_birth",
    "dob",
    "birthdate",
];
const SIGNUP: &[&str] = &[
    "signed_up_at",
    "signup_date",
    "signup",
    "signed_up",
    "registered_at",
    "created_at",
    "joined_at",
];

/// How a customers file was read. Always `rows_read == rows_accepted + rows_rejected`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CustomerReport {
    /// Data rows read.
    pub rows_read: u64,
    /// Rows that became a customer.
    pub rows_accepted: u64,
    /// Rows rejected with a reason.
    pub rows_rejected: u64,
    /// Rejections by reason (`missing_customer`, `invalid_birth_date`, `invalid_signup_time`,
    /// `duplicate_customer`, `malformed_row`), sorted.
    pub rejections: BTreeMap<String, u64>,
    /// The first rejected rows (at most 20).
    pub examples: Vec<crate::io::Rejection>,
}

/// Customers read from a table, with the report of the read.
#[derive(Debug, Clone, Default)]
pub struct CustomerTable {
    /// The customers, in file order.
    pub customers: Vec<Customer>,
    /// The accounting.
    pub report: CustomerReport,
}

fn norm(s: &str) -> String {
    s.trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
}

struct Reader {
    id: usize,
    birth: Option<usize>,
    signup: Option<usize>,
    header: Vec<String>,
    time: TimeParser,
    seen: std::collections::HashSet<String>,
    table: CustomerTable,
}

impl Reader {
    fn new(header: Vec<String>, tz: chrono_tz::Tz) -> Result<Self> {
        let normed: Vec<String> = header.iter().map(|h| norm(h)).collect();
        let find = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| normed.iter().position(|h| h == n))
        };
        let id = find(ID).ok_or_else(|| Error::MissingColumn {
            column: "customer id".into(),
            hint: format!(
                "name it customer_id or id; the customers file has columns {}",
                header.join(", ")
            ),
        })?;
        Ok(Self {
            id,
            birth: find(BIRTH),
            signup: find(SIGNUP),
            header,
            time: TimeParser::new(None, tz),
            seen: std::collections::HashSet::new(),
            table: CustomerTable::default(),
        })
    }

    fn reject(&mut self, row: u64, column: usize, value: &str, reason: &'static str) {
        let r = &mut self.table.report;
        r.rows_rejected += 1;
        *r.rejections.entry(reason.to_owned()).or_insert(0) += 1;
        if r.examples.len() < 20 {
            r.examples.push(crate::io::Rejection {
                row,
                column: self.header.get(column).cloned().unwrap_or_default(),
                value: value.to_owned(),
                reason,
            });
        }
    }

    fn row(&mut self, row: u64, fields: &[Option<&str>]) {
        self.table.report.rows_read += 1;
        if fields.len() != self.header.len() {
            self.reject(
                row,
                usize::MAX,
                &fields
                    .iter()
                    .map(|f| f.unwrap_or(""))
                    .collect::<Vec<_>>()
                    .join(","),
                "malformed_row",
            );
            return;
        }
        let get = |i: Option<usize>| {
            i.and_then(|i| fields[i])
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let Some(id) = get(Some(self.id)) else {
            self.reject(row, self.id, "", "missing_customer");
            return;
        };
        let birth_date = match get(self.birth) {
            None => None,
            Some(t) => {
                let parsed = crate::model::parse_date("birth_date", t)
                    .ok()
                    .or_else(|| chrono::NaiveDate::parse_from_str(t, "%Y/%m/%d").ok());
                if parsed.is_none() {
                    self.reject(row, self.birth.unwrap_or(0), t, "invalid_birth_date");
                    return;
                }
                parsed
            }
        };
        let signed_up_at = match get(self.signup) {
            None => None,
            Some(t) => {
                let parsed = self
                    .time
                    .parse_str(t)
                    .and_then(|(secs, _)| chrono::DateTime::from_timestamp(secs, 0));
                if parsed.is_none() {
                    self.reject(row, self.signup.unwrap_or(0), t, "invalid_signup_time");
                    return;
                }
                parsed
            }
        };
        if !self.seen.insert(id.to_owned()) {
            self.reject(row, self.id, id, "duplicate_customer");
            return;
        }
        let mut attributes = BTreeMap::new();
        for (i, h) in self.header.iter().enumerate() {
            if i == self.id || Some(i) == self.birth || Some(i) == self.signup {
                continue;
            }
            if let Some(v) = get(Some(i)) {
                attributes.insert(
                    h.trim().trim_start_matches('\u{feff}').to_owned(),
                    v.to_owned(),
                );
            }
        }
        self.table.customers.push(Customer {
            id: id.to_owned(),
            birth_date,
            signed_up_at,
            attributes,
        });
        self.table.report.rows_accepted += 1;
    }
}

/// Reads a customers file (CSV with a header; `delimiter` as for order logs). The id column is
/// `customer_id`/`id`/`member_id`…; birth date `birth_date`/`birthday`/`dob` (YYYY-MM-DD,
/// YYYYMMDD or YYYY/MM/DD); sign-up `signed_up_at`/`signup_date`/`registered_at`… (any time the
/// order reader reads, in `tz`); every other column is an attribute (`attr.NAME` in rules;
/// blank values are absent). Bad rows are rejected with a reason and counted.
///
/// # Errors
/// `missing_column` without an id column; `malformed_input` for bad CSV or UTF-8.
pub fn read_customers_csv<R: Read>(
    reader: R,
    delimiter: u8,
    tz: chrono_tz::Tz,
) -> Result<CustomerTable> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(reader);
    let malformed = |e: csv::Error| Error::Malformed {
        location: Location::column("customers file"),
        reason: e.to_string(),
    };
    let header: Vec<String> = rdr
        .headers()
        .map_err(malformed)?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut r = Reader::new(header, tz)?;
    let mut rec = csv::StringRecord::new();
    let mut row = 0u64;
    while rdr.read_record(&mut rec).map_err(malformed)? {
        row += 1;
        let fields: Vec<Option<&str>> = rec.iter().map(Some).collect();
        r.row(row, &fields);
    }
    Ok(r.table)
}

/// Reads customers from records (objects of column name → value), as [`read_customers_csv`].
///
/// # Errors
/// `missing_column` without an id column; `malformed_input` for a record that is not an object.
pub fn read_customers_records(
    records: &[serde_json::Value],
    tz: chrono_tz::Tz,
) -> Result<CustomerTable> {
    let mut header: Vec<String> = Vec::new();
    for rec in records {
        let Some(obj) = rec.as_object() else {
            return Err(Error::Malformed {
                location: Location::column("customers"),
                reason: format!("expected an object (column name → value), got {rec}"),
            });
        };
        for k in obj.keys() {
            if !header.contains(k) {
                header.push(k.clone());
            }
        }
    }
    let mut r = Reader::new(header.clone(), tz)?;
    for (i, rec) in records.iter().enumerate() {
        let texts: Vec<Option<String>> = header
            .iter()
            .map(|h| match rec.get(h) {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(v) => Some(v.to_string()),
            })
            .collect();
        let fields: Vec<Option<&str>> = texts.iter().map(Option::as_deref).collect();
        r.row(i as u64 + 1, &fields);
    }
    Ok(r.table)
}

/// Reads a customers file in Parquet (feature `parquet`), as [`read_customers_csv`]: every
/// column is read as text (strings as they are, numbers in decimal, dates `YYYY-MM-DD`,
/// timestamps with a time zone as UTC instants, without one as local times in `tz`), so the
/// same columns, rejections and accounting apply.
///
/// # Errors
/// `missing_column` without an id column; `malformed_input` for a damaged file or a column
/// type that has no text form (lists, structs, binary).
#[cfg(feature = "parquet")]
pub fn read_customers_parquet(file: std::fs::File, tz: chrono_tz::Tz) -> Result<CustomerTable> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    // Read as order logs are: a strict chunk reader, and dictionary pages checked against their
    // bytes before arrow-rs allocates for them (see `io::parquet`).
    let file = std::sync::Arc::new(file);
    let b = ParquetRecordBatchReaderBuilder::try_new(crate::io::StrictParquet(file.clone()))
        .map_err(crate::io::parquet_malformed)?;
    let all: Vec<usize> = (0..b.parquet_schema().num_columns()).collect();
    crate::io::check_parquet_dictionary_pages(&*file, b.metadata(), &all)?;
    let header: Vec<String> = b
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let reader = b
        .with_batch_size(65_536)
        .build()
        .map_err(crate::io::parquet_malformed)?;
    let mut r = Reader::new(header, tz)?;
    let mut row = 0u64;
    let mut reader = reader;
    loop {
        // arrow-rs panics on some damaged files: a bad file is a typed error, never a panic.
        let next = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| reader.next()));
        let batch = match next {
            Ok(None) => break,
            Ok(Some(b)) => b.map_err(crate::io::parquet_malformed)?,
            Err(_) => {
                return Err(crate::io::parquet_malformed(
                    "the decoder failed on this customers file: it is damaged or not Parquet",
                ));
            }
        };
        let cols = batch
            .columns()
            .iter()
            .zip(batch.schema().fields())
            .map(|(a, f)| parquet_texts(a.as_ref(), f.name()))
            .collect::<Result<Vec<_>>>()?;
        let mut fields: Vec<Option<&str>> = Vec::with_capacity(cols.len());
        for i in 0..batch.num_rows() {
            row += 1;
            fields.clear();
            fields.extend(cols.iter().map(|c| c[i].as_deref()));
            r.row(row, &fields);
        }
    }
    Ok(r.table)
}

/// One Parquet column as texts (`None` for nulls).
#[cfg(feature = "parquet")]
fn parquet_texts(a: &dyn arrow_array::Array, name: &str) -> Result<Vec<Option<String>>> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{
        Date32Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
        Int64Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
        TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
    };
    use arrow_schema::{DataType, TimeUnit};

    fn each<T>(a: &dyn arrow_array::Array, f: impl Fn(usize) -> T) -> Vec<Option<T>> {
        (0..a.len())
            .map(|i| (!a.is_null(i)).then(|| f(i)))
            .collect()
    }
    let n = |x: &dyn std::fmt::Display| x.to_string();
    Ok(match a.data_type() {
        DataType::Null => vec![None; a.len()],
        DataType::Utf8 => each(a, |i| a.as_string::<i32>().value(i).to_owned()),
        DataType::LargeUtf8 => each(a, |i| a.as_string::<i64>().value(i).to_owned()),
        DataType::Utf8View => each(a, |i| a.as_string_view().value(i).to_owned()),
        DataType::Boolean => each(a, |i| n(&a.as_boolean().value(i))),
        DataType::Int8 => each(a, |i| n(&a.as_primitive::<Int8Type>().value(i))),
        DataType::Int16 => each(a, |i| n(&a.as_primitive::<Int16Type>().value(i))),
        DataType::Int32 => each(a, |i| n(&a.as_primitive::<Int32Type>().value(i))),
        DataType::Int64 => each(a, |i| n(&a.as_primitive::<Int64Type>().value(i))),
        DataType::UInt8 => each(a, |i| n(&a.as_primitive::<UInt8Type>().value(i))),
        DataType::UInt16 => each(a, |i| n(&a.as_primitive::<UInt16Type>().value(i))),
        DataType::UInt32 => each(a, |i| n(&a.as_primitive::<UInt32Type>().value(i))),
        DataType::UInt64 => each(a, |i| n(&a.as_primitive::<UInt64Type>().value(i))),
        DataType::Float32 => each(a, |i| n(&a.as_primitive::<Float32Type>().value(i))),
        DataType::Float64 => each(a, |i| n(&a.as_primitive::<Float64Type>().value(i))),
        DataType::Decimal128(..) => {
            each(a, |i| a.as_primitive::<Decimal128Type>().value_as_string(i))
        }
        // A date beyond chrono's range keeps its day number, which the date parser rejects
        // naming it (saturating it would change the data).
        DataType::Date32 => each(a, |i| {
            let day = a.as_primitive::<Date32Type>().value(i);
            crate::model::checked_day_to_date(day)
                .map_or_else(|| format!("{day} days from 1970-01-01"), |d| d.to_string())
        }),
        DataType::Timestamp(unit, tz) => {
            let (per_second, v): (i64, Box<dyn Fn(usize) -> i64>) = match unit {
                TimeUnit::Second => (
                    1,
                    Box::new(|i| a.as_primitive::<TimestampSecondType>().value(i)),
                ),
                TimeUnit::Millisecond => (
                    1_000,
                    Box::new(|i| a.as_primitive::<TimestampMillisecondType>().value(i)),
                ),
                TimeUnit::Microsecond => (
                    1_000_000,
                    Box::new(|i| a.as_primitive::<TimestampMicrosecondType>().value(i)),
                ),
                TimeUnit::Nanosecond => (
                    1_000_000_000,
                    Box::new(|i| a.as_primitive::<TimestampNanosecondType>().value(i)),
                ),
            };
            let utc = tz.is_some();
            (0..a.len())
                .map(|i| {
                    if a.is_null(i) {
                        return None;
                    }
                    let raw = v(i);
                    // Out of the calendar: the raw number, which the reader rejects.
                    Some(
                        match chrono::DateTime::from_timestamp(raw.div_euclid(per_second), 0) {
                            None => raw.to_string(),
                            Some(t) if utc => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                            Some(t) => t.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string(),
                        },
                    )
                })
                .collect()
        }
        other => {
            return Err(Error::Malformed {
                location: Location::column(name),
                reason: format!(
                    "customers file column '{name}' is {other}, which has no text form; write it as text, a number, a date or a timestamp"
                ),
            });
        }
    })
}

#[cfg(all(test, feature = "parquet"))]
mod tests {
    /// A birth date beyond chrono's range is a rejected row naming its day number, not the
    /// last date there is.
    #[test]
    fn a_parquet_birth_date_beyond_chronos_range_is_rejected() {
        use arrow_array::{ArrayRef, Date32Array, RecordBatch, StringArray};
        use std::sync::Arc;
        let batch = RecordBatch::try_from_iter([
            (
                "customer_id",
                Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef,
            ),
            (
                "birth_date",
                Arc::new(Date32Array::from(vec![i32::MIN, 7_000])) as ArrayRef,
            ),
        ])
        .expect("batch");
        let path = std::env::temp_dir().join(format!(
            "kokyaku-customers-date-{}.parquet",
            std::process::id()
        ));
        let mut w = parquet::arrow::ArrowWriter::try_new(
            std::fs::File::create(&path).expect("create"),
            batch.schema(),
            None,
        )
        .expect("writer");
        w.write(&batch).expect("write");
        w.close().expect("close");
        let t = super::read_customers_parquet(
            std::fs::File::open(&path).expect("open"),
            chrono_tz::Tz::UTC,
        )
        .expect("read");
        std::fs::remove_file(&path).ok();
        assert_eq!(t.report.rows_accepted, 1);
        assert_eq!(t.report.rejections.get("invalid_birth_date"), Some(&1));
        assert!(
            t.report.examples[0].value.contains("-2147483648 days"),
            "{:?}",
            t.report.examples
        );
    }
}
