//! Rule errors: a code, a byte position, a caret line and a hint.

use std::fmt;

use serde::Serialize;

/// Whether the text could not be read, or a well-formed rule does not make sense.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleErrorKind {
    /// The text is not a rule (code `rule_syntax`).
    Syntax,
    /// A field is unknown, or an operand has the wrong type (code `rule_type`).
    Type,
}

/// A parse or type error in a rule, pointing into the rule's text (for a rule given as JSON,
/// into its canonical text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleError {
    /// Syntax or type.
    pub kind: RuleErrorKind,
    /// What is wrong.
    pub message: String,
    /// Byte offset of the offending token in `rule`.
    pub position: usize,
    /// Byte length of the offending token (at least 1 on screen).
    pub length: usize,
    /// The rule text the position refers to.
    pub rule: String,
    /// What to write instead.
    pub hint: Option<String>,
}

impl RuleError {
    pub(crate) fn syntax(
        rule: &str,
        position: usize,
        length: usize,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind: RuleErrorKind::Syntax,
            message: message.into(),
            position,
            length,
            rule: rule.to_owned(),
            hint: None,
        }
    }
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    /// The stable code: `rule_syntax` or `rule_type`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self.kind {
            RuleErrorKind::Syntax => "rule_syntax",
            RuleErrorKind::Type => "rule_type",
        }
    }
    /// The line of the rule holding the error and a caret line under the offending token
    /// (columns counted in characters).
    #[must_use]
    pub fn caret(&self) -> String {
        let pos = self.position.min(self.rule.len());
        let start = self.rule[..pos].rfind('\n').map_or(0, |i| i + 1);
        let end = self.rule[pos..]
            .find('\n')
            .map_or(self.rule.len(), |i| pos + i);
        let line = &self.rule[start..end];
        let col = self.rule[start..pos].chars().count();
        let end_tok = (pos + self.length).min(end);
        let width = self.rule[pos..end_tok].chars().count().max(1);
        format!("{line}\n{}{}", " ".repeat(col), "^".repeat(width))
    }
}

impl std::error::Error for RuleError {}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.message, self.position)?;
        for l in self.caret().lines() {
            write!(f, "\n  {l}")?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\nhint: {h}")?;
        }
        Ok(())
    }
}

impl From<RuleError> for crate::Error {
    fn from(e: RuleError) -> Self {
        match e.kind {
            RuleErrorKind::Syntax => crate::Error::RuleSyntax(Box::new(e)),
            RuleErrorKind::Type => crate::Error::RuleType(Box::new(e)),
        }
    }
}
