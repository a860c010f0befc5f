"""The exceptions kokyaku raises.

Every error has a stable ``code`` (see ``docs/errors.md``). Each class also inherits the
matching built-in, so ``except ValueError`` keeps working::

    KokyakuError                       base, .code
    ├── InvalidInputError  ValueError   invalid_value, missing_column, mixed_currency,
    │                                   duplicate_order, empty_input, malformed_input,
    │                                   snapshot_truncated, snapshot_corrupt, snapshot_foreign
    ├── InvalidOptionError ValueError   invalid_option
    ├── KokyakuIOError     OSError      io_error
    ├── UnsupportedError   NotImplementedError  unsupported, snapshot_version
    ├── FitFailedError     RuntimeError fit_failed
    └── PanicError         RuntimeError panic (a bug in kokyaku: please report it)
"""

from __future__ import annotations

__all__ = [
    "KokyakuError",
    "InvalidInputError",
    "InvalidOptionError",
    "KokyakuIOError",
    "UnsupportedError",
    "FitFailedError",
    "PanicError",
]


class KokyakuError(Exception):
    """Base of every kokyaku error. ``code`` is the stable snake_case error code."""

    code: str
    #: For a segment rule error (``rule_syntax``, ``rule_type``): the byte offset in the rule
    #: text, the rule line with a caret line under the offending token, and a hint.
    position: int | None = None
    caret: str | None = None
    hint: str | None = None

    def __init__(self, message: str, code: str = "kokyaku_error") -> None:
        super().__init__(message)
        self.code = code


class InvalidInputError(KokyakuError, ValueError):
    """Bad data in the input (a value, a column, currencies, duplicates, empty or malformed)."""


class InvalidOptionError(KokyakuError, ValueError):
    """A bad option or parameter."""


class KokyakuIOError(KokyakuError, OSError):
    """Reading or writing a file failed."""


class UnsupportedError(KokyakuError, NotImplementedError):
    """A format or feature this build does not support."""


class FitFailedError(KokyakuError, RuntimeError):
    """A model fit did not converge."""


class PanicError(KokyakuError, RuntimeError):
    """Rust panicked: a bug in kokyaku. The message says where; please report it."""
