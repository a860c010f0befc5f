//! Error kinds and panic catching shared by the wrappers.

use std::panic::{AssertUnwindSafe, catch_unwind};

/// The family of native error a wrapper raises for a core error code.
///
/// Python raises the class named by [`ErrorKind::python_class`] (defined in
/// `kokyaku/exceptions.py`, each also inheriting the built-in named by
/// [`ErrorKind::python_builtin`]); Node and the browser throw an `Error` whose `.code` is the core
/// code. `docs/errors.md` lists the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad data in the input: a value, a column, currencies, duplicates, an empty or malformed file.
    InvalidInput,
    /// A bad option or parameter.
    InvalidOption,
    /// Reading or writing a file failed.
    Io,
    /// A format or feature this build does not support.
    Unsupported,
    /// A model fit did not converge.
    FitFailed,
    /// A bug: Rust panicked. The message says where; please report it.
    Panic,
    /// A code newer than this table (the core's error enum is non-exhaustive).
    Other,
}

/// Every code the core defines (see `kokyaku::Error::code`) plus `panic`, with its kind.
pub const ERROR_TABLE: &[(&str, ErrorKind)] = &[
    ("invalid_value", ErrorKind::InvalidInput),
    ("missing_column", ErrorKind::InvalidInput),
    ("mixed_currency", ErrorKind::InvalidInput),
    ("duplicate_order", ErrorKind::InvalidInput),
    ("empty_input", ErrorKind::InvalidInput),
    ("malformed_input", ErrorKind::InvalidInput),
    ("invalid_option", ErrorKind::InvalidOption),
    ("io_error", ErrorKind::Io),
    ("unsupported", ErrorKind::Unsupported),
    ("fit_failed", ErrorKind::FitFailed),
    ("invalid_program", ErrorKind::InvalidOption),
    ("points_shortfall", ErrorKind::InvalidInput),
    ("rule_syntax", ErrorKind::InvalidOption),
    ("rule_type", ErrorKind::InvalidOption),
    ("snapshot_truncated", ErrorKind::InvalidInput),
    ("snapshot_corrupt", ErrorKind::InvalidInput),
    ("snapshot_foreign", ErrorKind::InvalidInput),
    ("snapshot_version", ErrorKind::Unsupported),
    ("panic", ErrorKind::Panic),
];

impl ErrorKind {
    /// The kind of a code; unknown codes are [`ErrorKind::Other`].
    #[must_use]
    pub fn of_code(code: &str) -> Self {
        ERROR_TABLE
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(ErrorKind::Other, |(_, k)| *k)
    }

    /// The exception class in `kokyaku.exceptions`.
    #[must_use]
    pub fn python_class(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "InvalidInputError",
            ErrorKind::InvalidOption => "InvalidOptionError",
            ErrorKind::Io => "KokyakuIOError",
            ErrorKind::Unsupported => "UnsupportedError",
            ErrorKind::FitFailed => "FitFailedError",
            ErrorKind::Panic => "PanicError",
            ErrorKind::Other => "KokyakuError",
        }
    }

    /// The Python built-in that class also inherits (`Exception` for the base).
    #[must_use]
    pub fn python_builtin(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput | ErrorKind::InvalidOption => "ValueError",
            ErrorKind::Io => "OSError",
            ErrorKind::Unsupported => "NotImplementedError",
            ErrorKind::FitFailed | ErrorKind::Panic => "RuntimeError",
            ErrorKind::Other => "Exception",
        }
    }
}

/// A failure as every wrapper reports it: a stable code, its kind and a one-line message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingError {
    /// Stable `snake_case` code (`docs/errors.md`).
    pub code: String,
    /// The native error family.
    pub kind: ErrorKind,
    /// The message, with its causes joined by ": caused by: ".
    pub message: String,
    /// For a segment rule error: the byte position in the rule text, the caret lines and
    /// the hint (wrappers set them as `.position`, `.caret`, `.hint`).
    pub rule: Option<RuleErrorInfo>,
}

/// Where a rule error is, for the wrappers' error objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleErrorInfo {
    /// Byte offset in the rule text.
    pub position: usize,
    /// The rule line and a caret line under the offending token.
    pub caret: String,
    /// What to write instead.
    pub hint: Option<String>,
}

impl BindingError {
    /// An error with an explicit code.
    #[must_use]
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            kind: ErrorKind::of_code(code),
            message: message.into(),
            rule: None,
        }
    }

    /// An `invalid_option` error.
    #[must_use]
    pub fn option(name: &str, reason: impl std::fmt::Display) -> Self {
        Self::new("invalid_option", format!("invalid option {name}: {reason}"))
    }
}

impl std::fmt::Display for BindingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BindingError {}

impl From<kokyaku::Error> for BindingError {
    fn from(e: kokyaku::Error) -> Self {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            let text = s.to_string();
            if !message.contains(&text) {
                message.push_str(": caused by: ");
                message.push_str(&text);
            }
            source = s.source();
        }
        let mut b = Self::new(e.code(), message);
        b.rule = e.rule_error().map(|r| RuleErrorInfo {
            position: r.position,
            caret: r.caret(),
            hint: r.hint.clone(),
        });
        b
    }
}

/// Runs `f`, turning a panic into a [`BindingError`] with code `panic`, so that no wrapper lets
/// a Rust panic cross the FFI boundary (WASM builds abort on panic instead: there the panic is a
/// JavaScript `RuntimeError`).
pub fn catch<T>(f: impl FnOnce() -> Result<T, BindingError>) -> Result<T, BindingError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic payload".to_owned());
            Err(BindingError::new(
                "panic",
                format!("internal error (a bug in kokyaku, please report it): {what}"),
            ))
        }
    }
}

/// Panics on purpose: each wrapper exposes it as a hidden `_debug_panic` so that tests prove a
/// panic arrives as an exception.
///
/// # Panics
/// Always.
pub fn debug_panic(message: &str) -> ! {
    panic!("debug panic: {message}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_code_has_a_kind() {
        for code in [
            "invalid_value",
            "missing_column",
            "mixed_currency",
            "duplicate_order",
            "invalid_option",
            "empty_input",
            "fit_failed",
            "malformed_input",
            "io_error",
            "unsupported",
        ] {
            assert_ne!(ErrorKind::of_code(code), ErrorKind::Other, "{code}");
        }
        assert_eq!(ErrorKind::of_code("brand_new"), ErrorKind::Other);
    }

    /// The table must follow the core: every code `kokyaku::Error::code` returns (read from its
    /// source) has a kind here, and `docs/errors.md` lists every code of the table.
    #[test]
    fn table_follows_the_core_and_the_docs() {
        let src = include_str!("../../kokyaku/src/error.rs");
        let start = src.find("pub fn code(").expect("Error::code in the core");
        let body = &src[start..start + src[start..].find("\n    }").unwrap_or(src.len() - start)];
        let codes: Vec<&str> = body
            .split("=> \"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .collect();
        assert!(codes.len() >= 10, "{codes:?}");
        for code in &codes {
            assert_ne!(
                ErrorKind::of_code(code),
                ErrorKind::Other,
                "core code {code} missing from ERROR_TABLE"
            );
        }
        let docs = include_str!("../../../docs/errors.md");
        for (code, kind) in ERROR_TABLE {
            assert!(
                docs.contains(&format!("`{code}`")),
                "docs/errors.md lacks {code}"
            );
            assert!(
                docs.contains(kind.python_class()),
                "docs/errors.md lacks {}",
                kind.python_class()
            );
        }
    }

    #[test]
    fn core_errors_keep_their_code_and_message() {
        let e = kokyaku::Error::option("as_of", "1998-13-01", "expected a date");
        let b = BindingError::from(e);
        assert_eq!(b.code, "invalid_option");
        assert_eq!(b.kind, ErrorKind::InvalidOption);
        assert!(b.message.contains("1998-13-01"), "{}", b.message);
    }

    #[test]
    fn io_errors_chain_their_cause() {
        let e = kokyaku::Error::Io {
            path: "x.csv".into(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        };
        let b = BindingError::from(e);
        assert_eq!((b.code.as_str(), b.kind), ("io_error", ErrorKind::Io));
        assert!(b.message.contains("no such file"));
    }

    #[test]
    fn panics_become_errors() {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let r: Result<(), _> = catch(|| debug_panic("boom"));
        std::panic::set_hook(prev);
        let e = r.unwrap_err();
        assert_eq!((e.code.as_str(), e.kind), ("panic", ErrorKind::Panic));
        assert!(e.message.contains("boom"));
    }
}
