"""Loyalty programmes (mirrors ``kokyaku::loyalty``): stages, points and progress per customer.

A programme is a dict (or JSON text, or a path to a JSON file) as described in
``docs/loyalty.md``. Every call runs in Rust with the GIL released.
"""

from __future__ import annotations

import json
import os
import pathlib
from typing import Any

from kokyaku import _kokyaku, _log
from kokyaku.exceptions import InvalidOptionError



def _program(program: Any) -> Any:
    if isinstance(program, (pathlib.Path, os.PathLike)):
        return pathlib.Path(program).read_text(encoding="utf-8")
    if isinstance(program, (dict, str)):
        return program
    raise InvalidOptionError(
        f"invalid option program: expected a dict, JSON text or a path, got {type(program).__name__}",
        "invalid_option",
    )


def _opts(program: Any, options: dict[str, Any]) -> str:
    from kokyaku._log import _options

    return _options({"program": _program(program), **options})


def read_program(program: Any) -> dict[str, Any]:
    """Read and validate a programme; returns it with every default filled in.

    Raises :class:`kokyaku.InvalidOptionError` (code ``invalid_program``) naming the bad field.

    >>> import kokyaku
    >>> p = kokyaku.read_program({"stages": [{"id": "regular"}, {"id": "gold", "spend": 1000}],
    ...                           "window": {"kind": "rolling", "days": 365}})
    >>> p["review"], [s["id"] for s in p["stages"]]
    ('month', ['regular', 'gold'])
    """
    p = _program(program)
    return json.loads(_kokyaku.loyalty_program_json(p if isinstance(p, str) else json.dumps(p)))


def stages(log: Any, program: Any, frame: str | None, options: dict[str, Any]) -> Any:
    from kokyaku._log import _FRAMES, _has, _preferred_frame

    kind = frame or log._frame or _preferred_frame()
    if kind not in _FRAMES:
        raise InvalidOptionError(f"invalid option frame = '{kind}': use one of {_FRAMES}", "invalid_option")
    opts = _opts(program, options)
    if kind == "records" or (kind == "pandas" and not _has("pyarrow")):
        cols = json.loads(_kokyaku.stages_columns_json(log._inner, opts))
        if kind == "pandas":
            import pandas as pd

            return pd.DataFrame({c: cols["data"][c] for c in cols["columns"]})
        n = len(cols["data"][cols["columns"][0]]) if cols["columns"] else 0
        return [{c: cols["data"][c][i] for c in cols["columns"]} for i in range(n)]
    table = _kokyaku.stages_arrow(log._inner, opts)
    if kind == "polars":
        import polars as pl

        return pl.DataFrame(table.string_views())  # text as views: taken as they are
    import pyarrow as pa

    t = pa.table(table)
    return _log._to_pandas(t) if kind == "pandas" else t


def history(log: Any, program: Any, frame: str | None, options: dict[str, Any]) -> Any:
    from kokyaku._log import _FRAMES, _has, _preferred_frame

    rows = json.loads(_kokyaku.stage_history_json(log._inner, _opts(program, options)))
    kind = frame or log._frame or _preferred_frame()
    if kind not in _FRAMES:
        raise InvalidOptionError(f"invalid option frame = '{kind}': use one of {_FRAMES}", "invalid_option")
    names = ["customer_id", "date", "from", "to", "reason", "order_id"]
    if kind == "records":
        return rows
    if kind == "polars":
        import polars as pl

        return pl.DataFrame({n: [r[n] for r in rows] for n in names}, schema={n: pl.Utf8 for n in names})
    if kind == "pandas" and not _has("pyarrow"):
        import pandas as pd

        return pd.DataFrame({n: [r[n] for r in rows] for n in names})
    import pyarrow as pa

    t = pa.table({n: pa.array([r[n] for r in rows], pa.string()) for n in names})
    return _log._to_pandas(t) if kind == "pandas" else t


def distribution(log: Any, program: Any, options: dict[str, Any]) -> dict[str, Any]:
    return json.loads(_kokyaku.stage_distribution_json(log._inner, _opts(program, options)))


def card(log: Any, program: Any, customer: str, options: dict[str, Any]) -> dict[str, Any]:
    return json.loads(_kokyaku.stage_card_json(log._inner, _opts(program, {**options, "customer": customer})))


def report(log: Any, program: Any, options: dict[str, Any]) -> dict[str, Any]:
    return json.loads(_kokyaku.stages_report_json(log._inner, _opts(program, options)))
