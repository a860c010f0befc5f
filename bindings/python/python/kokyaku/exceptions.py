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
    """Base of every kokyaku error. ``code`` is the stable snake_case error code.

    >>> import kokyaku
    >>> try:
    ...     kokyaku.BgNbd().params
    ... except kokyaku.KokyakuError as e:
    ...     print(e.code)
    invalid_option
    """

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
    """Bad data in the input (a value, a column, currencies, duplicates, empty or malformed).

    >>> import kokyaku
    >>> try:
    ...     kokyaku.BgNbd().fit({"x": [1.0], "t_x": [5.0], "T": [2.0]})
    ... except ValueError as e:  # InvalidInputError is a ValueError
    ...     print(type(e).__name__, e.code)
    InvalidInputError invalid_value
    """


class InvalidOptionError(KokyakuError, ValueError):
    """A bad option or parameter.

    >>> import kokyaku
    >>> try:
    ...     kokyaku.parse_rule("orders >=")
    ... except kokyaku.InvalidOptionError as e:
    ...     print(e.code, e.position)
    rule_syntax 9
    """


class KokyakuIOError(KokyakuError, OSError):
    """Reading or writing a file failed.

    >>> import kokyaku
    >>> try:
    ...     kokyaku.read_csv("/no/such/orders.csv")
    ... except OSError as e:  # KokyakuIOError is an OSError
    ...     print(e.code)
    io_error
    """


class UnsupportedError(KokyakuError, NotImplementedError):
    """A format or feature this build does not support.

    >>> import kokyaku
    >>> try:
    ...     kokyaku.from_frame(object())
    ... except NotImplementedError as e:
    ...     print(e.code)
    unsupported
    """


class FitFailedError(KokyakuError, RuntimeError):
    """A model fit did not converge (code ``fit_failed``).

    >>> import kokyaku
    >>> issubclass(kokyaku.FitFailedError, RuntimeError), issubclass(kokyaku.FitFailedError, kokyaku.KokyakuError)
    (True, True)
    """


class PanicError(KokyakuError, RuntimeError):
    """Rust panicked: a bug in kokyaku. The message says where; please report it.

    >>> import kokyaku
    >>> issubclass(kokyaku.PanicError, RuntimeError), kokyaku.PanicError("boom", "panic").code
    (True, 'panic')
    """
