//! The one error type of kokyaku, with a stable `snake_case` code per kind.
//!
//! Every binding maps [`Error::code`] to its native error (see `docs/errors.md`).

use std::fmt;

/// Where in an input a bad value was found.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    /// 1-based data row number (the header, if any, is not counted).
    pub row: Option<u64>,
    /// Column name as the input spells it.
    pub column: Option<String>,
    /// Customer id, when the problem concerns one customer.
    pub customer_id: Option<String>,
}

impl Location {
    /// A location at a data row and column.
    #[must_use]
    pub fn cell(row: u64, column: &str) -> Self {
        Self {
            row: Some(row),
            column: Some(column.to_owned()),
            customer_id: None,
        }
    }
    /// A location naming a column only.
    #[must_use]
    pub fn column(column: &str) -> Self {
        Self {
            row: None,
            column: Some(column.to_owned()),
            customer_id: None,
        }
    }
    /// A location naming a customer.
    #[must_use]
    pub fn customer(id: &str) -> Self {
        Self {
            row: None,
            column: None,
            customer_id: Some(id.to_owned()),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(r) = self.row {
            parts.push(format!("row {r}"));
        }
        if let Some(c) = &self.column {
            parts.push(format!("column '{c}'"));
        }
        if let Some(c) = &self.customer_id {
            parts.push(format!("customer '{c}'"));
        }
        if parts.is_empty() {
            f.write_str("input")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// Every failure kokyaku reports. Match on [`Error::code`] for a stable identifier.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value could not be parsed or is out of its domain.
    #[error("invalid value '{value}' at {location}: {reason}")]
    InvalidValue {
        /// The offending value as written.
        value: String,
        /// Where it was.
        location: Location,
        /// What was wrong and what to do instead.
        reason: String,
    },
    /// A required column is missing from the input.
    #[error("missing column '{column}': {hint}")]
    MissingColumn {
        /// The column that was looked for.
        column: String,
        /// The columns that exist, or what to pass instead.
        hint: String,
    },
    /// Two currencies in one analysis.
    #[error(
        "mixed currencies: '{first}' and '{second}' (at {location}); analyse one currency at a time or convert first"
    )]
    MixedCurrency {
        /// The currency seen first.
        first: String,
        /// The conflicting currency.
        second: String,
        /// Where the second was seen.
        location: Location,
    },
    /// The same order id appeared twice under the `error` duplicate policy.
    #[error(
        "duplicate order id '{order_id}' at {location}; choose --duplicate-order keep-first or sum-lines if lines of one order are expected"
    )]
    DuplicateOrder {
        /// The repeated order id.
        order_id: String,
        /// Where the repeat was seen.
        location: Location,
    },
    /// An option or parameter is invalid.
    #[error("invalid option {name} = '{value}': {reason}")]
    InvalidOption {
        /// Option name.
        name: String,
        /// The value given.
        value: String,
        /// What is accepted instead.
        reason: String,
    },
    /// The input is empty where data is needed.
    #[error("empty input: {0}")]
    EmptyInput(String),
    /// A model fit did not converge or the data cannot identify the model.
    #[error("model fit failed: {0}")]
    FitFailed(String),
    /// A malformed file (bad CSV quoting, corrupt Parquet, bad JSON).
    #[error("malformed input at {location}: {reason}")]
    Malformed {
        /// Where.
        location: Location,
        /// What the parser said.
        reason: String,
    },
    /// An I/O failure reading or writing a file.
    #[error("I/O error on '{path}': {source}")]
    Io {
        /// The path involved.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An unsupported format or feature for this build.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A loyalty programme that cannot be used: the field is named as a path (`stages[2].spend`).
    #[error("invalid loyalty programme field '{field}' = '{value}': {reason}")]
    InvalidProgram {
        /// Path of the offending field.
        field: String,
        /// The value given.
        value: String,
        /// What is accepted instead.
        reason: String,
    },
    /// A points redemption or refund reversal larger than the balance (under the `error` policy).
    #[error(
        "points shortfall for customer '{customer_id}' on {date}: {what} needs {needed} points but the balance is {balance}; fix the redemption file or set points.shortfall to \"debt\""
    )]
    PointsShortfall {
        /// The customer.
        customer_id: String,
        /// The local day.
        date: chrono::NaiveDate,
        /// `redemption` or `refund reversal of order …`.
        what: String,
        /// Points needed.
        needed: i64,
        /// Balance at that moment.
        balance: i64,
    },
    /// A segment rule that cannot be read (position, caret line and hint inside).
    #[error("rule syntax error: {0}")]
    RuleSyntax(Box<crate::segment::RuleError>),
    /// A segment rule naming an unknown field or comparing values of different types.
    #[error("rule type error: {0}")]
    RuleType(Box<crate::segment::RuleError>),
    /// A book snapshot that cannot be restored (see `docs/book.md`).
    #[error("cannot restore the book snapshot ({problem}): {detail}")]
    Snapshot {
        /// Truncated, corrupt, foreign or of an unsupported version.
        problem: crate::book::SnapshotProblem,
        /// What exactly, and what to do.
        detail: String,
    },
}

impl Error {
    /// The stable `snake_case` code of this error kind (listed in `docs/errors.md`).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidValue { .. } => "invalid_value",
            Error::MissingColumn { .. } => "missing_column",
            Error::MixedCurrency { .. } => "mixed_currency",
            Error::DuplicateOrder { .. } => "duplicate_order",
            Error::InvalidOption { .. } => "invalid_option",
            Error::EmptyInput(_) => "empty_input",
            Error::FitFailed(_) => "fit_failed",
            Error::Malformed { .. } => "malformed_input",
            Error::Io { .. } => "io_error",
            Error::Unsupported(_) => "unsupported",
            Error::InvalidProgram { .. } => "invalid_program",
            Error::PointsShortfall { .. } => "points_shortfall",
            Error::RuleSyntax(_) => "rule_syntax",
            Error::RuleType(_) => "rule_type",
            Error::Snapshot { problem, .. } => problem.code(),
        }
    }

    /// The rule error inside a `rule_syntax` or `rule_type` error.
    #[must_use]
    pub fn rule_error(&self) -> Option<&crate::segment::RuleError> {
        match self {
            Error::RuleSyntax(e) | Error::RuleType(e) => Some(e),
            _ => None,
        }
    }

    /// Shorthand for [`Error::InvalidOption`].
    pub fn option(name: &str, value: impl fmt::Display, reason: impl Into<String>) -> Self {
        Error::InvalidOption {
            name: name.to_owned(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
