"""Plots of kokyaku results (the ``kokyaku[plot]`` extra: matplotlib). Each function draws on
``ax`` (a new figure's axes by default) and returns the Axes.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import kokyaku, kokyaku.plot
>>> m = kokyaku.BgNbd.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
>>> ax = kokyaku.plot.frequency_recency_matrix(m, T=38.86, max_frequency=10)
>>> ax.get_title()
'Expected purchases in the next 1 weeks by frequency and recency'
"""

from __future__ import annotations

import decimal
from typing import Any, Literal, Sequence

__all__ = [
    "cohort_retention",
    "rfm_grid",
    "cpm_classes",
    "frequency_recency_matrix",
    "calibration_vs_holdout",
    "cumulative_tracking",
    "stage_distribution",
]


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(8, 6))[1]


def _heatmap(ax: Any, values: list[list[float | None]], xlabels: Sequence[Any], ylabels: Sequence[Any], fmt: str) -> None:
    import numpy as np

    a = np.array([[np.nan if v is None else float(v) for v in row] for row in values], dtype=float)
    im = ax.imshow(np.ma.masked_invalid(a), aspect="auto", cmap="viridis", origin="upper")
    ax.figure.colorbar(im, ax=ax)
    ax.set_xticks(range(len(xlabels)), [str(x) for x in xlabels])
    ax.set_yticks(range(len(ylabels)), [str(y) for y in ylabels])
    if a.size <= 400:
        for i in range(a.shape[0]):
            for j in range(a.shape[1]):
                if not np.isnan(a[i, j]):
                    ax.text(j, i, format(a[i, j], fmt), ha="center", va="center", fontsize=7, color="w")


def cohort_retention(retention: dict[str, Any], *, ax: Any = None) -> Any:
    """Cohort retention heatmap from :meth:`kokyaku.OrderLog.retention` (rows: cohorts,
    columns: periods since the first order; unobserved cells blank).

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import kokyaku, kokyaku.plot
    >>> log = kokyaku.from_records([{"customer_id": f"c{c}", "order_id": f"{c}-{k}", "ordered_at": f"2024-{1 + (c + 2 * k) % 12:02d}-{1 + c % 27:02d}",
    ...                               "amount": 10 + c + k} for c in range(40) for k in range(1 + c % 4)], currency="USD")
    >>> kokyaku.plot.cohort_retention(log.retention()).get_title()
    'Cohort retention'
    """
    ax = _axes(ax)
    rows = retention["cohorts"]
    width = max((len(r["retention"]) for r in rows), default=0)
    values = [list(r["retention"]) + [None] * (width - len(r["retention"])) for r in rows]
    _heatmap(ax, values, list(range(width)), [r["cohort"] for r in rows], ".0%")
    ax.set_xlabel(f"{retention.get('period', 'period')}s since first order")
    ax.set_ylabel("cohort")
    ax.set_title("Cohort retention")
    return ax


def rfm_grid(customers: Any, *, value: Literal["customers", "spend"] = "customers", ax: Any = None) -> Any:
    """R × F grid of an RFM table (``log.rfm(frame="records")`` or any frame with ``r``, ``f``
    and ``net`` columns): customers per cell, or their total net spend.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import kokyaku, kokyaku.plot
    >>> log = kokyaku.from_records([{"customer_id": f"c{c}", "order_id": f"{c}-{k}", "ordered_at": f"2024-{1 + (c + 2 * k) % 12:02d}-{1 + c % 27:02d}",
    ...                               "amount": 10 + c + k} for c in range(40) for k in range(1 + c % 4)], currency="USD")
    >>> kokyaku.plot.rfm_grid(log.rfm(frame="records"), value="spend").get_title()
    'RFM: net spend'
    """
    ax = _axes(ax)
    rows = _records(customers)
    r_max = max(int(row["r"]) for row in rows)
    f_max = max(int(row["f"]) for row in rows)
    grid = [[0.0] * f_max for _ in range(r_max)]
    for row in rows:
        add = 1.0 if value == "customers" else float(decimal.Decimal(str(row["net"])))
        grid[r_max - int(row["r"])][int(row["f"]) - 1] += add
    _heatmap(ax, grid, list(range(1, f_max + 1)), list(range(r_max, 0, -1)), ".0f")
    ax.set_xlabel("F score")
    ax.set_ylabel("R score")
    ax.set_title("RFM: customers" if value == "customers" else "RFM: net spend")
    return ax


def cpm_classes(classes: list[dict[str, Any]], *, ax: Any = None) -> Any:
    """Customers and spend per CPM class (:meth:`kokyaku.OrderLog.cpm_classes`): bars of
    customers, the spend share as a line on a second axis.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import kokyaku, kokyaku.plot
    >>> log = kokyaku.from_records([{"customer_id": f"c{c}", "order_id": f"{c}-{k}", "ordered_at": f"2024-{1 + (c + 2 * k) % 12:02d}-{1 + c % 27:02d}",
    ...                               "amount": 10 + c + k} for c in range(40) for k in range(1 + c % 4)], currency="USD")
    >>> kokyaku.plot.cpm_classes(log.cpm_classes()).get_ylabel()
    'customers'
    """
    ax = _axes(ax)
    # Class codes, not the Japanese names: matplotlib's default font has no CJK glyphs.
    names = [c["class"] for c in classes]
    ax.bar(names, [c["customers"] for c in classes], color="tab:blue")
    ax.set_ylabel("customers")
    total = sum(float(c["total_spend"]) for c in classes) or 1.0
    ax2 = ax.twinx()
    ax2.plot(names, [float(c["total_spend"]) / total for c in classes], "o-", color="tab:orange")
    ax2.set_ylabel("share of spend")
    ax.set_title("CPM classes")
    ax.tick_params(axis="x", rotation=30)
    return ax


def frequency_recency_matrix(
    model: Any,
    *,
    T: float,  # noqa: N803 - the papers' T
    max_frequency: int | None = None,
    max_recency: float | None = None,
    kind: Literal["expected_purchases", "p_alive"] = "expected_purchases",
    horizon: float = 1.0,
    ax: Any = None,
) -> Any:
    """Expected purchases in the next ``horizon`` (or P(alive)) of a customer of age ``T`` by
    frequency (columns) and recency (rows), as lifetimes' ``plot_frequency_recency_matrix`` /
    ``plot_probability_alive_matrix``.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import kokyaku, kokyaku.plot
    >>> m = kokyaku.BgNbd.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> kokyaku.plot.frequency_recency_matrix(m, T=38.86, kind="p_alive", max_frequency=10).get_title()
    'P(alive) by frequency and recency'
    """
    ax = _axes(ax)
    fmax = int(max_frequency if max_frequency is not None else 20)
    rmax = float(max_recency if max_recency is not None else T)
    recencies = [rmax * i / 20 for i in range(21)][::-1]
    xs, txs, ts = [], [], []
    for r in recencies:
        for f in range(fmax + 1):
            xs.append(float(f))
            txs.append(r if f > 0 else 0.0)
            ts.append(float(T))
    data = {"x": xs, "t_x": txs, "T": ts}
    vals = model.p_alive(data) if kind == "p_alive" else model.conditional_expected_purchases(data, horizon=horizon)
    grid = [vals[i * (fmax + 1) : (i + 1) * (fmax + 1)] for i in range(len(recencies))]
    _heatmap(ax, grid, list(range(fmax + 1)), [f"{r:.3g}" for r in recencies], ".2f")
    unit = getattr(model, "time_unit", "")
    ax.set_xlabel("frequency (repeat purchases)")
    ax.set_ylabel(f"recency ({unit})")
    if kind == "p_alive":
        ax.set_title("P(alive) by frequency and recency")
    else:
        ax.set_title(f"Expected purchases in the next {horizon:g} {unit} by frequency and recency")
    return ax


def calibration_vs_holdout(
    model: Any,
    summary: Any,
    *,
    horizon: float,
    actual_col: str = "holdout_purchases",
    max_frequency: int = 7,
    ax: Any = None,
) -> Any:
    """Mean actual holdout purchases and the model's mean prediction, by calibration frequency
    (capped at ``max_frequency``): lifetimes' ``plot_calibration_purchases_vs_holdout_purchases``.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import kokyaku, kokyaku.plot
    >>> m = kokyaku.BgNbd.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> s = {"x": [0, 1, 2, 5], "t_x": [0, 10, 20, 35], "T": [38.86] * 4, "holdout_purchases": [0, 1, 1, 4]}
    >>> ax = kokyaku.plot.calibration_vs_holdout(m, s, horizon=39.0)
    >>> [line.get_label() for line in ax.get_lines()]
    ['actual', 'model']
    """
    from kokyaku._ltv import _as_table, _find, _floats, _names

    ax = _axes(ax)
    table = _as_table(summary)
    x = _floats(table, _find(_names(table), "x", None) or "x")
    actual = _floats(table, actual_col)
    predicted = model.conditional_expected_purchases(summary, horizon=horizon)
    sums: dict[int, list[float]] = {}
    for xi, a, p in zip(x, actual, predicted):
        k = min(int(xi), max_frequency)
        s = sums.setdefault(k, [0.0, 0.0, 0.0])
        s[0] += a
        s[1] += p
        s[2] += 1
    ks = sorted(sums)
    ax.plot(ks, [sums[k][0] / sums[k][2] for k in ks], "o-", label="actual")
    ax.plot(ks, [sums[k][1] / sums[k][2] for k in ks], "s--", label="model")
    ax.set_xlabel(f"purchases in calibration ({max_frequency} = {max_frequency} or more)")
    ax.set_ylabel("mean purchases in holdout")
    ax.set_title("Calibration vs holdout")
    ax.legend()
    return ax


def cumulative_tracking(
    model: Any,
    *,
    first_purchase: Sequence[float],
    period_ends: Sequence[float],
    actual: Sequence[float] | None = None,
    calibration_end: float | None = None,
    ax: Any = None,
) -> Any:
    """Expected cumulative repeat purchases of the cohort over time (FHL 2005 fig. 1), with the
    actual cumulative counts when given and a line at the end of calibration.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import kokyaku, kokyaku.plot
    >>> m = kokyaku.BgNbd.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> ax = kokyaku.plot.cumulative_tracking(m, first_purchase=[0.0, 1.5, 3.0], period_ends=[10.0, 20.0, 30.0], calibration_end=20.0)
    >>> ax.get_ylabel()
    'cumulative repeat purchases'
    """
    ax = _axes(ax)
    expected = model.tracking(first_purchase, period_ends)
    ax.plot(list(period_ends), expected, "--", label="model")
    if actual is not None:
        ax.plot(list(period_ends), list(actual), "-", label="actual")
    if calibration_end is not None:
        ax.axvline(calibration_end, color="grey", linestyle=":")
    ax.set_xlabel(f"time ({getattr(model, 'time_unit', '')})")
    ax.set_ylabel("cumulative repeat purchases")
    ax.set_title("Tracking cumulative repeat purchases")
    ax.legend()
    return ax


def stage_distribution(
    distribution: dict[str, Any],
    *,
    share: bool = False,
    ax: Any = None,
) -> Any:
    """Members in each loyalty stage at every month end, stacked (lowest stage at the bottom),
    from :meth:`kokyaku.OrderLog.stage_distribution`; ``share=True`` plots each stage's share of
    the members instead of counts.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import kokyaku.plot
    >>> d = {"month_ends": ["2024-01-31", "2024-02-29", "2024-03-31"], "stages": ["regular", "gold"],
    ...      "counts": [[3, 0], [2, 1], [2, 2]]}
    >>> ax = kokyaku.plot.stage_distribution(d)
    >>> ax.get_title(), [t.get_text() for t in ax.get_legend().get_texts()]
    ('Loyalty stages by month end', ['regular', 'gold'])
    """
    import numpy as np

    ax = _axes(ax)
    months = list(distribution["month_ends"])
    stages = list(distribution["stages"])
    counts = np.array(distribution["counts"], dtype=float).reshape(len(months), len(stages))
    if share:
        totals = counts.sum(axis=1, keepdims=True)
        counts = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    xs = np.arange(len(months))
    if len(months) > 1:
        ax.stackplot(xs, counts.T, labels=stages)
    else:  # one month end: a stacked bar (an area needs two points)
        bottom = np.zeros(len(months))
        for j, name in enumerate(stages):
            ax.bar(xs, counts[:, j], bottom=bottom, label=name)
            bottom += counts[:, j]
    step = max(1, len(months) // 12)
    ax.set_xticks(xs[::step], [str(m)[:7] for m in months[::step]])
    ax.tick_params(axis="x", rotation=30)
    ax.set_xlabel("month end")
    ax.set_ylabel("share of members" if share else "members")
    ax.set_title("Loyalty stages by month end")
    ax.legend(loc="upper left")
    return ax


def _records(frame: Any) -> list[dict[str, Any]]:
    if isinstance(frame, list):
        return frame
    if hasattr(frame, "to_dict") and type(frame).__module__.startswith("pandas"):
        return frame.to_dict("records")
    if hasattr(frame, "to_dicts"):
        return frame.to_dicts()
    if hasattr(frame, "to_pylist"):
        return frame.to_pylist()
    raise TypeError(f"expected records or a frame, got {type(frame).__name__}")
