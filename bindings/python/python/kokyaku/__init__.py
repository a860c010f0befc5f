"""kokyaku (顧客): customer analytics over order logs.

Read an order log (a CSV / JSON Lines file or bytes, records, or a pandas / Polars / pyarrow
frame), then get the per-customer summary, RFM scores and segments, CPM classes and repeat
metrics. Per-customer tables come back as the caller's kind of frame.

All work happens in Rust (the ``kokyaku`` crate) with the GIL released; this module only turns
keyword arguments into options and results into frames.
"""

from __future__ import annotations

from kokyaku import _kokyaku
from kokyaku._loyalty import read_program
from kokyaku._campaign import (
    Deliveries,
    acquisition,
    acquisition_curves,
    campaign_report,
    campaign_results,
    compare_periods,
    deliveries_from_records,
    read_deliveries_csv,
    read_deliveries_jsonl,
)
from kokyaku._book import Book, Change, ChangeReport, IngestCounts
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
from kokyaku._segment import (
    explain,
    parse_rule,
    presets,
    rule_text,
    segment,
    segment_fields,
    segment_ids,
    with_customers,
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
    "Book",
    "Change",
    "ChangeReport",
    "IngestCounts",
    "Frame",
    "Analysis",
    "read_csv",
    "read_jsonl",
    "from_records",
    "from_frame",
    "from_order_records",
    "read_program",
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
    "segment",
    "segment_ids",
    "explain",
    "parse_rule",
    "rule_text",
    "presets",
    "segment_fields",
    "with_customers",
    "Deliveries",
    "read_deliveries_csv",
    "read_deliveries_jsonl",
    "deliveries_from_records",
    "campaign_report",
    "campaign_results",
    "compare_periods",
    "acquisition",
    "acquisition_curves",
]


def _debug_panic(message: str = "test") -> None:
    """Make Rust panic (for tests: the panic arrives as :class:`PanicError`)."""
    _kokyaku._debug_panic(message)
