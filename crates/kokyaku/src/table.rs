//! A small columnar output table (what the CLI writes and the bindings return).

use std::io::Write;

use chrono::NaiveDate;
use serde::Serialize;

use crate::cpm::{CpmOptions, CpmResult};
use crate::rfm::RfmScores;
use crate::summary::CustomerSummaries;
use crate::{Error, Result};

/// One typed column.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Column {
    /// Text.
    Str(Vec<Option<String>>),
    /// Integers.
    Int(Vec<Option<i64>>),
    /// Floats.
    Float(Vec<Option<f64>>),
    /// Booleans.
    Bool(Vec<Option<bool>>),
    /// Calendar dates.
    Date(Vec<Option<NaiveDate>>),
}

impl Column {
    /// Number of values.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Column::Str(v) => v.len(),
            Column::Int(v) => v.len(),
            Column::Float(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::Date(v) => v.len(),
        }
    }
    /// Whether empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn cell(&self, i: usize, out: &mut String) {
        use std::fmt::Write as _;
        match self {
            Column::Str(v) => {
                if let Some(Some(s)) = v.get(i) {
                    if s.contains([',', '"', '\n', '\r']) {
                        out.push('"');
                        out.push_str(&s.replace('"', "\"\""));
                        out.push('"');
                    } else {
                        out.push_str(s);
                    }
                }
            }
            Column::Int(v) => {
                if let Some(Some(x)) = v.get(i) {
                    let _ = write!(out, "{x}");
                }
            }
            Column::Float(v) => {
                if let Some(Some(x)) = v.get(i) {
                    let _ = write!(out, "{x}");
                }
            }
            Column::Bool(v) => {
                if let Some(Some(x)) = v.get(i) {
                    out.push_str(if *x { "true" } else { "false" });
                }
            }
            Column::Date(v) => {
                if let Some(Some(x)) = v.get(i) {
                    let _ = write!(out, "{x}");
                }
            }
        }
    }
}

/// Named columns of equal length.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Table {
    /// Column names, in order.
    pub names: Vec<String>,
    /// Columns, in order.
    pub columns: Vec<Column>,
}

impl Table {
    /// Adds a column.
    pub fn push(&mut self, name: &str, col: Column) {
        self.names.push(name.to_owned());
        self.columns.push(col);
    }
    /// Number of rows.
    #[must_use]
    pub fn n_rows(&self) -> usize {
        self.columns.first().map_or(0, Column::len)
    }
    /// Writes RFC 4180 CSV with a header.
    pub fn write_csv<W: Write>(&self, mut w: W) -> Result<()> {
        let io = |source| Error::Io {
            path: "<output>".into(),
            source,
        };
        writeln!(w, "{}", self.names.join(",")).map_err(io)?;
        let mut line = String::new();
        for i in 0..self.n_rows() {
            line.clear();
            for (k, c) in self.columns.iter().enumerate() {
                if k > 0 {
                    line.push(',');
                }
                c.cell(i, &mut line);
            }
            line.push('\n');
            w.write_all(line.as_bytes()).map_err(io)?;
        }
        Ok(())
    }
    /// Rows as JSON objects (for bindings and `--format json`).
    #[must_use]
    pub fn to_records(&self) -> Vec<serde_json::Map<String, serde_json::Value>> {
        use serde_json::Value;
        (0..self.n_rows())
            .map(|i| {
                self.names
                    .iter()
                    .zip(&self.columns)
                    .map(|(n, c)| {
                        let v = match c {
                            Column::Str(v) => v[i].clone().map_or(Value::Null, Value::String),
                            Column::Int(v) => v[i].map_or(Value::Null, Value::from),
                            Column::Float(v) => v[i].map_or(Value::Null, Value::from),
                            Column::Bool(v) => v[i].map_or(Value::Null, Value::Bool),
                            Column::Date(v) => {
                                v[i].map_or(Value::Null, |d| Value::String(d.to_string()))
                            }
                        };
                        (n.clone(), v)
                    })
                    .collect()
            })
            .collect()
    }
}

/// The per-customer output table: summary, then RFM scores and segment, then CPM class.
#[must_use]
pub fn summary_table(
    s: &CustomerSummaries,
    rfm: Option<&RfmScores>,
    cpm: Option<(&CpmResult, &CpmOptions)>,
) -> Table {
    use crate::model::day_to_date;
    let n = s.len();
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
        "first_order",
        Column::Date(
            s.first_order_day
                .iter()
                .map(|d| d.map(day_to_date))
                .collect(),
        ),
    );
    t.push(
        "last_order",
        Column::Date(
            s.last_order_day
                .iter()
                .map(|d| d.map(day_to_date))
                .collect(),
        ),
    );
    t.push(
        "orders",
        Column::Int(s.orders.iter().map(|&x| Some(i64::from(x))).collect()),
    );
    t.push(
        "purchase_days",
        Column::Int(
            s.purchase_days
                .iter()
                .map(|&x| Some(i64::from(x)))
                .collect(),
        ),
    );
    t.push(
        "subscription_orders",
        Column::Int(
            s.subscription_orders
                .iter()
                .map(|&x| Some(i64::from(x)))
                .collect(),
        ),
    );
    t.push(
        "cancelled_orders",
        Column::Int(
            s.cancelled_orders
                .iter()
                .map(|&x| Some(i64::from(x)))
                .collect(),
        ),
    );
    t.push(
        "recency_days",
        Column::Int(s.recency_days.iter().map(|x| x.map(i64::from)).collect()),
    );
    t.push(
        "tenure_days",
        Column::Int(s.tenure_days.iter().map(|x| x.map(i64::from)).collect()),
    );
    t.push(
        "age_days",
        Column::Int(s.age_days.iter().map(|x| x.map(i64::from)).collect()),
    );
    t.push(
        "gross",
        Column::Str((0..n).map(|i| Some(s.gross(i).to_string())).collect()),
    );
    t.push(
        "refunds",
        Column::Str((0..n).map(|i| Some(s.refunds(i).to_string())).collect()),
    );
    t.push(
        "net",
        Column::Str((0..n).map(|i| Some(s.net(i).to_string())).collect()),
    );
    t.push(
        "average_order_value",
        Column::Str(
            (0..n)
                .map(|i| s.average_order_value(i).map(|d| d.to_string()))
                .collect(),
        ),
    );
    t.push(
        "subscription",
        Column::Str(
            s.subscription
                .iter()
                .map(|x| Some(x.as_str().to_owned()))
                .collect(),
        ),
    );
    t.push(
        "dormant",
        Column::Bool(s.dormant.iter().map(|&x| Some(x)).collect()),
    );
    if let Some(r) = rfm {
        let sc =
            |v: &[u8]| Column::Int(v.iter().map(|&x| (x > 0).then_some(i64::from(x))).collect());
        t.push("r", sc(&r.r));
        t.push("f", sc(&r.f));
        t.push("m", sc(&r.m));
        t.push(
            "rfm_segment",
            Column::Str(
                (0..n)
                    .map(|i| r.segment_name(i).map(str::to_owned))
                    .collect(),
            ),
        );
    }
    if let Some((c, o)) = cpm {
        t.push(
            "cpm_class",
            Column::Str(
                c.class
                    .iter()
                    .map(|x| x.map(super::cpm::CpmClass::id))
                    .collect(),
            ),
        );
        t.push(
            "cpm_name",
            Column::Str(c.class.iter().map(|x| x.map(|k| o.display(k))).collect()),
        );
    }
    t
}
