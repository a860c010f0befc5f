"""kokyaku (顧客): customer analytics over order logs.

Read an order log (a CSV / JSON Lines file or bytes, records, or a pandas / Polars / pyarrow
frame), then get the per-customer summary, RFM scores and segments, CPM classes and repeat
metrics. Per-customer tables come back as the caller's kind of frame.

All work happens in Rust (the ``kokyaku`` crate) with the GIL released; this module only turns
keyword arguments into options and results into frames.
"""

from __future__ import annotations

from kokyaku import _kokyaku
from kokyaku._log import Analysis, Frame, OrderLog, from_frame, from_order_records, from_records, read_csv, read_jsonl
from kokyaku._ltv import (
    BgBb,
    BgNbd,
    GammaGamma,
    GGompertzNbd,
    ModifiedBgNbd,
    ParetoNbd,
    ShiftedBetaGeometric,
    TimeUnit,
    calibration_and_holdout,
    calibration_summary,
    evaluate_holdout,
    load_fit,
)
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
    "OrderLog",
    "Frame",
    "Analysis",
    "read_csv",
    "read_jsonl",
    "from_records",
    "from_frame",
    "from_order_records",
    "KokyakuError",
    "InvalidInputError",
    "InvalidOptionError",
    "KokyakuIOError",
    "UnsupportedError",
    "FitFailedError",
    "PanicError",
    "BgNbd",
    "ModifiedBgNbd",
    "ParetoNbd",
    "GGompertzNbd",
    "BgBb",
    "GammaGamma",
    "ShiftedBetaGeometric",
    "TimeUnit",
    "load_fit",
    "calibration_summary",
    "calibration_and_holdout",
    "evaluate_holdout",
]


def _debug_panic(message: str = "test") -> None:
    """Make Rust panic (for tests: the panic arrives as :class:`PanicError`)."""
    _kokyaku._debug_panic(message)
