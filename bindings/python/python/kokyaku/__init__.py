"""kokyaku (顧客): customer analytics over order logs.

Read an order log (CSV text, a file, records, or a pandas / Polars / pyarrow frame), then get the
per-customer summary, RFM scores and segments, CPM classes and repeat metrics. Tables come back
as the caller's kind of frame.
"""

from __future__ import annotations

from kokyaku import _kokyaku
from kokyaku.exceptions import (
    FitFailedError,
    InvalidInputError,
    InvalidOptionError,
    KokyakuError,
    KokyakuIOError,
    PanicError,
    UnsupportedError,
)

__version__: str = _kokyaku.__version__

__all__ = [
    "__version__",
    "KokyakuError",
    "InvalidInputError",
    "InvalidOptionError",
    "KokyakuIOError",
    "UnsupportedError",
    "FitFailedError",
    "PanicError",
]


def _debug_panic(message: str = "test") -> None:
    """Make Rust panic (for tests: the panic arrives as :class:`PanicError`)."""
    _kokyaku._debug_panic(message)
