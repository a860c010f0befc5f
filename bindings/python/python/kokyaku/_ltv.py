"""Predictive lifetime value: buy-till-you-die models (mirrors ``kokyaku::ltv``).

Every model is a class with keyword-only options, :meth:`~_Model.fit` on a summary frame (one
row per customer: ``x``/``frequency``, ``t_x``/``recency``, ``T``, optional ``monetary`` and
``weights``) or on an order log with a calibration end (:meth:`~_Model.fit_log`), and prediction
methods that return the caller's kind of frame (pandas, Polars, pyarrow, or a dict of lists).
Fits are the JSON ``kokyaku ltv fit --format json`` prints: :meth:`~_Model.save` writes it and
:func:`load_fit` reads it back (a fit saved by the CLI too).

All numbers are computed in Rust by ``kokyaku_binding_core::ltv`` with the GIL released, so
Python, Node, WASM and the CLI agree bit for bit. Summary columns go to Rust as Arrow arrays
(pandas, Polars and pyarrow frames through the Arrow PyCapsule interface; numeric columns are
not copied on the way) and per-customer results come back as an Arrow table turned into the
caller's kind of frame; only fits and parameters cross as JSON.

>>> import kokyaku
>>> m = kokyaku.BgNbd.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
>>> m
BgNbd(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit='weeks')
>>> round(m.expected_purchases([39.0])[0], 4)
1.1967
"""

from __future__ import annotations

import json
import math
import os
from typing import Any, ClassVar, Literal, Sequence

from kokyaku import _kokyaku

#: Units of ``t_x``, ``T`` and every horizon.
TimeUnit = Literal["days", "weeks", "months"]

# Column names recognised in summary frames, first match wins (as the CLI's --summary).
_COLUMNS: dict[str, tuple[str, ...]] = {
    "x": ("x", "frequency", "frequency_cal"),
    "t_x": ("t_x", "recency", "recency_cal"),
    "T": ("T", "T_cal", "n", "periods"),
    "monetary": ("monetary", "monetary_value", "zbar"),
    "weights": ("weights", "weight", "count"),
}


def _call(function: str, **arguments: Any) -> Any:
    return json.loads(_kokyaku.ltv_call(function, json.dumps(arguments, allow_nan=False, default=_plain)))


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return float(value)  # decimal.Decimal


def _kind(frame: Any) -> str:
    if isinstance(frame, dict):
        return "dict"
    module = type(frame).__module__.split(".")[0]
    return {"pandas": "pandas", "polars": "polars", "pyarrow": "pyarrow"}.get(module, "pyarrow")


def _names(frame: Any) -> list[str]:
    if isinstance(frame, dict):
        return list(frame)
    if hasattr(frame, "column_names"):  # pyarrow (whose .columns are the arrays)
        return list(frame.column_names)
    return [str(c) for c in getattr(frame, "columns", [])]


def _as_table(frame: Any) -> Any:
    """Objects with only the Arrow PyCapsule interface become a pyarrow table."""
    if isinstance(frame, dict) or _kind(frame) in ("pandas", "polars") or hasattr(frame, "column_names"):
        return frame
    if hasattr(frame, "__arrow_c_stream__"):
        import pyarrow as pa

        return pa.table(frame)
    raise TypeError(f"expected a pandas / Polars / pyarrow frame or a dict of columns, got {type(frame).__name__}")


def _values(frame: Any, name: str) -> list[Any]:
    col = frame[name]
    for attr in ("to_pylist", "to_list", "tolist"):
        if hasattr(col, attr):
            return list(getattr(col, attr)())
    return list(col)


def _floats(frame: Any, name: str) -> list[float]:
    return [math.nan if v is None else float(v) for v in _values(frame, name)]


def _find(names: Sequence[str], role: str, given: str | None) -> str | None:
    if given is not None:
        if given not in names:
            from kokyaku.exceptions import InvalidOptionError

            raise InvalidOptionError(
                f"invalid option {role}_col = '{given}': no such column; columns are {list(names)}", "invalid_option"
            )
        return given
    return next((n for n in _COLUMNS[role] if n in names), None)


def _columns(
    frame: Any,
    time_unit: str,
    given: dict[str, str | None],
    purchase: Sequence[str] = (),
    dropout: Sequence[str] = (),
    ids: bool = False,
) -> tuple[Any, dict[str, Any]]:
    """The data source handed to Rust and the roles of its columns (``ltv::Roles``).

    A frame becomes an Arrow stream of just the needed columns (pandas via pyarrow, Polars and
    pyarrow by selection: zero copy for numeric columns); a dict of columns (or pandas without
    pyarrow) becomes a dict of float lists.
    """
    frame = _as_table(frame)
    names = _names(frame)
    # A dict of columns may carry its own unit; predictions check it against the fit's.
    unit = frame.get("time_unit", time_unit) if isinstance(frame, dict) else time_unit
    roles: dict[str, Any] = {"time_unit": unit}
    for role in ("x", "t_x", "T", "monetary", "weights"):
        col = _find(names, role, given.get(role))
        if col is not None:
            roles[role] = col
    if "x" not in roles:
        from kokyaku.exceptions import InvalidInputError

        raise InvalidInputError(
            f"missing column x: name it x or frequency, or pass x_col=...; columns are {names}", "missing_column"
        )
    needed = [roles[r] for r in ("x", "t_x", "T", "monetary", "weights") if r in roles] + list(purchase) + list(dropout)
    if purchase:
        roles["purchase_covariates"] = list(purchase)
    if dropout:
        roles["dropout_covariates"] = list(dropout)
    missing = [c for c in needed if c not in names]
    if missing:
        from kokyaku.exceptions import InvalidInputError

        raise InvalidInputError(f"missing column {missing[0]}: columns are {names}", "missing_column")
    idcol = None
    if ids:
        idcol = next((n for n in ("customer_id", "customer", "id") if n in names), None)
        if idcol is not None:
            roles["customer_id"] = idcol
            needed.append(idcol)
    needed = list(dict.fromkeys(needed))
    source = _arrow_source(frame, needed)
    if source is None:
        roles.pop("customer_id", None)
        source = {c: _floats(frame, c) for c in needed if c != idcol}
    return source, roles


def _arrow_source(frame: Any, names: list[str]) -> Any:
    """The columns ``names`` of a frame as an object with ``__arrow_c_stream__`` (numeric columns
    shared, not copied), or ``None`` for a dict (and for pandas without pyarrow)."""
    if isinstance(frame, dict):
        return None
    kind = _kind(frame)
    if kind == "pandas":
        try:
            import numpy as np
            import pyarrow as pa
        except ImportError:
            return None
        arrays = []
        for n in names:
            col = frame[n]
            if isinstance(col.dtype, np.dtype) and col.dtype.kind in "fiub":
                # A plain numpy column: Arrow wraps its buffer (Table.from_pandas costs ~300x more).
                arrays.append(pa.array(col.to_numpy(copy=False)))
            else:  # nullable, categorical, text ids ...
                arrays.append(pa.Array.from_pandas(col))
        return pa.table(arrays, names=names)
    if kind == "polars" or hasattr(frame, "column_names"):  # Polars, pyarrow Table / RecordBatch
        return frame.select(names)
    return frame


def _rows(source: Any) -> int:
    if isinstance(source, dict):
        return len(next(iter(source.values()), []))
    for attr in ("num_rows", "height"):
        if hasattr(source, attr):
            return int(getattr(source, attr))
    return 0


def _run(function: str, data: tuple[Any, dict[str, Any]], *, arrow: bool = False, **arguments: Any) -> Any:
    """One LTV call on per-customer data (Arrow or float lists); small arguments as JSON."""
    source, roles = data
    out = _kokyaku.ltv_call_columns(
        function, json.dumps(arguments, allow_nan=False, default=_plain), source, json.dumps(roles), arrow
    )
    return json.loads(out) if isinstance(out, str) else out


def _from_arrow(kind: str, table: Any) -> Any:
    """An Arrow table from Rust as a pandas, Polars or pyarrow frame."""
    if kind == "polars":
        import polars as pl

        return pl.DataFrame(table.string_views())  # text as views: taken as they are
    import pyarrow as pa

    t = pa.table(table)
    if kind != "pandas":
        return t
    import pandas as pd

    # Text columns stay Arrow-backed (pandas 3's default string dtype): converting 353k ids to
    # Python str objects cost 30x more than the rest of the hand-over.
    text = pd.StringDtype("pyarrow")
    return t.to_pandas(types_mapper={pa.string(): text, pa.large_string(): text}.get, split_blocks=True)


def _frame(kind: str, columns: dict[str, list[Any]], frame: str | None = None) -> Any:
    """Columns as the caller's kind of frame (``frame`` overrides)."""
    kind = frame or kind
    if kind == "pandas":
        import pandas as pd

        return pd.DataFrame({k: [math.nan if v is None else v for v in c] if k != "customer_id" else c for k, c in columns.items()})
    if kind == "polars":
        import polars as pl

        return pl.DataFrame(columns, strict=False)
    if kind == "pyarrow":
        import pyarrow as pa

        return pa.table(columns)
    return columns


def _ids(frame: Any) -> list[Any] | None:
    frame = _as_table(frame)
    for n in ("customer_id", "customer", "id"):
        if n in _names(frame):
            return _values(frame, n)
    return None


class _Model:
    """Common parts of every model: fitting, the fit's numbers, saving and loading."""

    _model: ClassVar[str] = ""
    _params: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, l2_penalty: float = 0.0, max_iterations: int = 1000, time_unit: TimeUnit = "weeks") -> None:
        self.l2_penalty = l2_penalty
        self.max_iterations = max_iterations
        self.time_unit: str = time_unit
        self._fit: dict[str, Any] | None = None

    # -- the fit -----------------------------------------------------------------------------
    @property
    def fit_json(self) -> dict[str, Any]:
        """The fit as the CLI's ``ltv fit --format json`` object (without ``fit_seconds``)."""
        if self._fit is None:
            from kokyaku.exceptions import InvalidOptionError

            raise InvalidOptionError(
                f"invalid option model: {type(self).__name__} is not fitted; call fit(...) or load_fit(...)",
                "invalid_option",
            )
        return self._fit

    @property
    def params(self) -> dict[str, float]:
        """Fitted parameters by name (the papers' names; covariate coefficients as
        ``purchase[z]``)."""
        p = self.fit_json["params"]
        first = [k for k in self._params if k in p]
        return {k: p[k] for k in first + sorted(k for k in p if k not in first)}

    @property
    def std_errors(self) -> dict[str, float | None]:
        """Asymptotic standard errors by name (``None`` where the Hessian was not positive
        definite, or for a fit built from parameters)."""
        se = self.fit_json.get("std_errors") or {}
        return {k: se.get(k) for k in self.params}

    @property
    def log_likelihood(self) -> float | None:
        """Log-likelihood at the fitted parameters (``None`` for a fit built from parameters)."""
        return self.fit_json.get("log_likelihood")

    @property
    def summary(self) -> dict[str, Any]:
        """Parameters, standard errors, log-likelihood, convergence, customers."""
        f = self.fit_json
        return {k: f.get(k) for k in ("model", "params", "std_errors", "log_likelihood", "n_customers", "converged", "iterations", "time_unit")}

    def _set(self, fit: dict[str, Any]) -> _Model:
        self._fit = fit
        if fit.get("time_unit"):
            self.time_unit = fit["time_unit"]
        return self

    def fit(
        self,
        data: Any,
        *,
        time_unit: TimeUnit | None = None,
        x_col: str | None = None,
        t_x_col: str | None = None,
        T_col: str | None = None,  # noqa: N803 - the papers' T
        monetary_col: str | None = None,
        weights_col: str | None = None,
        purchase_covariates: Sequence[str] = (),
        dropout_covariates: Sequence[str] = (),
        initial: Sequence[float] | None = None,
        progress: bool = True,
    ) -> _Model:
        """Fit by maximum likelihood on a summary frame (one row per customer or pattern).

        Columns are found by their usual names (``x``/``frequency``, ``t_x``/``recency``,
        ``T``, ``monetary``/``monetary_value``, ``weights``) or named with ``*_col``. Returns
        ``self``. ``progress`` shows a spinner while Rust works (tqdm, when installed).
        """
        if time_unit is not None:
            self.time_unit = time_unit
        cols = {"x": x_col, "t_x": t_x_col, "T": T_col, "monetary": monetary_col, "weights": weights_col}
        source, roles = _columns(data, self.time_unit, cols, purchase_covariates, dropout_covariates)
        return self._fit_columns(source, roles, initial, progress)

    def _fit_columns(self, source: Any, roles: dict[str, Any], initial: Sequence[float] | None, progress: bool) -> _Model:
        if self._model != "gamma-gamma":
            roles.pop("monetary", None)  # purchase models do not read spend (zero-value orders are fine)
        else:  # Gamma-Gamma reads x and monetary only: recency and age need not cross
            roles.pop("t_x", None)
            roles.pop("T", None)
        options: dict[str, Any] = {"l2_penalty": self.l2_penalty, "max_iterations": self.max_iterations}
        if initial is not None:
            options["initial"] = list(initial)
        with _progress(progress, f"fitting {self._model}", _rows(source)):
            return self._set(_run("fit", (source, roles), model=self._model, options=options))

    def fit_log(
        self,
        log: Any,
        *,
        calibration_end: str | None = None,
        time_unit: TimeUnit | None = None,
        progress: bool = True,
    ) -> _Model:
        """Fit on an :class:`kokyaku.OrderLog`: the calibration summary up to
        ``calibration_end`` (inclusive; default the last order day), in ``time_unit``.

        >>> import kokyaku
        >>> log = kokyaku.from_records([
        ...     {"customer_id": c, "order_id": f"{c}{k}", "ordered_at": f"2024-0{m}-1{k}", "amount": 10 + k}
        ...     for c, m in [("a", 1), ("b", 2), ("c", 1), ("d", 3)] for k in range(1 + (c < "c") * 2)])
        >>> kokyaku.GammaGamma().fit_log(log).fit_json["model"]
        'gamma-gamma'
        """
        if time_unit is not None:
            self.time_unit = time_unit
        opts = {"calibration_end": calibration_end, "time_unit": self.time_unit}
        table = _kokyaku.ltv_calibration_summary_arrow(log._inner, json.dumps({k: v for k, v in opts.items() if v is not None}))
        roles = {"x": "x", "t_x": "t_x", "T": "T", "monetary": "monetary", "time_unit": self.time_unit}
        return self._fit_columns(table, roles, None, progress)

    @classmethod
    def from_params(cls, *, time_unit: TimeUnit = "weeks", **params: float) -> Any:
        """A model with given parameters (no fitting), e.g. published ones.

        >>> import kokyaku
        >>> kokyaku.ParetoNbd.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669).params["s"]
        0.606
        """
        m = cls(time_unit=time_unit)
        fit = {"model": cls._model, "params": {k: float(v) for k, v in params.items()}}
        if cls._model not in ("gamma-gamma", "bg-bb", "sbg"):
            fit["time_unit"] = time_unit
        return m._set(_call("load", fit=fit))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fit as JSON (what ``kokyaku ltv predict --params`` reads)."""
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.fit_json, f, indent=2)
            f.write("\n")

    def __repr__(self) -> str:
        if self._fit is None:
            return f"{type(self).__name__}(not fitted)"
        p = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        ll = self.log_likelihood
        tail = f", log_likelihood={ll:.4f}" if ll is not None else ""
        tu = f", time_unit={self.time_unit!r}" if self._fit.get("time_unit") else ""
        return f"{type(self).__name__}({p}{tu}{tail})"


class _PurchaseModel(_Model):
    """Predictions of the continuous-time purchase models (BG/NBD family, Pareto/NBD,
    GGompertz/NBD)."""

    def _d(self, data: Any, ids: bool = False) -> tuple[Any, dict[str, Any]]:
        names = [n for n in self.params if "[" in n]
        purchase = sorted({n.split("[", 1)[1][:-1] for n in names if n.startswith("purchase[")})
        dropout = sorted({n.split("[", 1)[1][:-1] for n in names if n.startswith("dropout")})
        return _columns(data, self.time_unit, {}, purchase, dropout, ids)

    def p_alive(self, data: Any) -> list[float]:
        """P(alive at T | x, t_x, T) per row of a summary frame."""
        return _run("p_alive", self._d(data), fit=self.fit_json)

    def p_alive_at(self, data: Any, *, future: float) -> list[float]:
        """P(alive at T + future) per row (``future`` in the fit's time unit)."""
        return _run("p_alive_at", self._d(data), fit=self.fit_json, future=future)

    def conditional_expected_purchases(self, data: Any, *, horizon: float) -> list[float]:
        """E[purchases in (T, T + horizon] | x, t_x, T] per row."""
        return _run("conditional_expected_purchases", self._d(data), fit=self.fit_json, horizon=horizon)

    def expected_purchases(self, t: Sequence[float]) -> list[float]:
        """E[X(t)]: expected repeat purchases of a new customer in (0, t], for each t."""
        return _call("expected_purchases", fit=self.fit_json, t=list(t))

    def prob_purchases(self, n: Sequence[int], *, t: float) -> list[float]:
        """P(X(t) = n) for a new customer, for each n."""
        return _call("prob_purchases", fit=self.fit_json, n=list(n), t=t)

    def log_likelihood_rows(self, data: Any) -> list[float]:
        """Log-likelihood of each row."""
        return _run("log_likelihood", self._d(data), fit=self.fit_json)

    def tracking(self, first_purchase: Sequence[float], period_ends: Sequence[float]) -> list[float]:
        """Expected cumulative repeat purchases of the cohort at each period end (FHL 2005 fig. 1);
        ``first_purchase`` and ``period_ends`` in the fit's unit from one origin (lists, or
        numpy / pandas / Polars / pyarrow arrays, read as Arrow without a copy)."""
        return _call_arrays("tracking", {"first_purchase": first_purchase, "period_ends": period_ends}, fit=self.fit_json)

    def predict(
        self,
        data: Any,
        *,
        horizon: float,
        spend: GammaGamma | None = None,
        discount_rate: float = 0.01,
        discount_period: float | None = None,
        margin: float = 1.0,
        frame: str | None = None,
    ) -> Any:
        """One row per customer: ``p_alive``, ``expected_purchases`` in (T, T + horizon],
        ``p_alive_at_horizon``, ``expected_time_to_next_purchase`` (BG/NBD family), and with
        monetary values ``expected_spend`` and discounted ``clv`` (Gamma-Gamma: ``spend``, else
        fitted on the data). ``horizon`` and ``discount_period`` (default one month) are in the
        fit's ``time_unit``; ``discount_rate`` is per ``discount_period``. The caller's kind of
        frame comes back (``frame`` = ``"pandas"``, ``"polars"``, ``"pyarrow"``, ``"dict"``).

        >>> import kokyaku
        >>> m = kokyaku.BgNbd.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> out = m.predict({"x": [2.0], "t_x": [30.43], "T": [38.86]}, horizon=39.0)
        >>> round(out["expected_purchases"][0], 4)
        1.226
        """
        args: dict[str, Any] = {"fit": self.fit_json, "horizon": horizon}
        args.update(discount_rate=discount_rate, margin=margin)
        if discount_period is not None:
            args["discount_period"] = discount_period
        if spend is not None:
            args["spend_fit"] = spend.fit_json
        kind = frame or _kind(_as_table(data))
        source, roles = self._d(data, ids=True)
        if kind in ("pandas", "polars", "pyarrow") and not isinstance(source, dict):
            # Arrow in, Arrow out: the id column is passed through by Rust, untouched.
            return _from_arrow(kind, _run("predict", (source, roles), arrow=True, **args))
        columns = _run("predict", (source, roles), **args)
        ids = _ids(data)
        if ids is not None:
            columns = {"customer_id": ids, **columns}
        return _frame(kind, columns, None)

    def clv(
        self,
        data: Any,
        *,
        spend: GammaGamma,
        horizon: float,
        discount_rate: float = 0.01,
        discount_period: float | None = None,
        margin: float = 1.0,
    ) -> list[float]:
        """Discounted CLV per row: margin · E[spend] · Σ discounted E[purchases] per period."""
        args: dict[str, Any] = {"fit": self.fit_json, "spend_fit": spend.fit_json}
        args.update(horizon=horizon, discount_rate=discount_rate, margin=margin)
        if discount_period is not None:
            args["discount_period"] = discount_period
        return _run("clv", self._d(data), **args)

    def evaluate(self, data: Any, *, actual_col: str = "holdout_purchases", horizon: float) -> dict[str, Any]:
        """Holdout test: predicted purchases in (T, T + horizon] against ``actual_col``: per
        customer ``error``, ``mae``, ``rmse``, totals and ``correlation``."""
        pred = self.conditional_expected_purchases(data, horizon=horizon)
        table = _as_table(data)
        if actual_col not in _names(table):
            from kokyaku.exceptions import InvalidInputError

            raise InvalidInputError(f"missing column {actual_col}: columns are {_names(table)}", "missing_column")
        return evaluate_holdout(pred, table[actual_col])


class BgNbd(_PurchaseModel):
    """BG/NBD (Fader, Hardie & Lee 2005): Poisson purchases while alive, geometric drop-out
    after each purchase. Covariates: ``fit(..., purchase_covariates=[...],
    dropout_covariates=[...])``.

    >>> import kokyaku
    >>> m = kokyaku.BgNbd().fit({"x": [0, 1, 2, 5, 0, 3], "t_x": [0, 3, 10, 20, 0, 12],
    ...                          "T": [30, 30, 30, 30, 20, 25]})
    >>> sorted(m.params)
    ['a', 'alpha', 'b', 'r']
    """

    _model = "bg-nbd"
    _params = ('r', 'alpha', 'a', 'b')


class ModifiedBgNbd(_PurchaseModel):
    """MBG/NBD (Batislam et al. 2007): BG/NBD where customers may also drop out at time 0.

    >>> import kokyaku
    >>> kokyaku.ModifiedBgNbd.from_params(r=0.5, alpha=5.0, a=0.8, b=2.5).fit_json["model"]
    'mbg-nbd'
    """

    _model = "mbg-nbd"
    _params = ('r', 'alpha', 'a', 'b')


class ParetoNbd(_PurchaseModel):
    """Pareto/NBD (Schmittlein, Morrison & Colombo 1987): Poisson purchases, exponential
    lifetimes, gamma heterogeneity of both.

    >>> import kokyaku
    >>> m = kokyaku.ParetoNbd.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    >>> round(m.p_alive({"x": [2.0], "t_x": [30.43], "T": [38.86]})[0], 4)
    0.8692
    """

    _model = "pareto-nbd"
    _params = ('r', 'alpha', 's', 'beta')


class GGompertzNbd(_PurchaseModel):
    """GGompertz/NBD (Bemmaor & Glady 2012): Pareto/NBD with Gompertz lifetimes.

    >>> import kokyaku
    >>> kokyaku.GGompertzNbd.from_params(r=0.5, alpha=10.0, b=0.1, s=0.6, beta=11.0).params["b"]
    0.1
    """

    _model = "ggompertz-nbd"
    _params = ('r', 'alpha', 'b', 's', 'beta')


class BgBb(_Model):
    """BG/BB (Fader, Hardie & Shang 2010) for discrete opportunities: ``x`` purchases in ``n``
    (column ``n`` or ``T``) opportunities, the last at ``t_x``.

    >>> import kokyaku
    >>> m = kokyaku.BgBb.from_params(alpha=1.204, beta=0.75, gamma=0.657, delta=2.783)
    >>> round(m.p_alive({"x": [3], "t_x": [4], "n": [6]})[0], 4) > 0
    True
    """

    _model = "bg-bb"
    _params = ('alpha', 'beta', 'gamma', 'delta')

    def _d(self, data: Any) -> tuple[Any, dict[str, Any]]:
        return _columns(data, self.time_unit, {})

    def p_alive(self, data: Any) -> list[float]:
        """P(alive after the n-th opportunity | x, t_x, n) per row."""
        return _run("p_alive", self._d(data), fit=self.fit_json)

    def conditional_expected_purchases(self, data: Any, *, horizon: float) -> list[float]:
        """Expected purchases in the next ``horizon`` opportunities per row."""
        return _run("conditional_expected_purchases", self._d(data), fit=self.fit_json, horizon=horizon)

    def expected_purchases(self, n: Sequence[float]) -> list[float]:
        """Expected purchases of a new customer in the first n opportunities, for each n."""
        return _call("expected_purchases", fit=self.fit_json, t=list(n))

    def prob_purchases(self, x: Sequence[int], *, n: int) -> list[float]:
        """P(x purchases in n opportunities), for each x."""
        return _call("prob_purchases", fit=self.fit_json, n=list(x), t=n)

    def log_likelihood_rows(self, data: Any) -> list[float]:
        """Log-likelihood of each row."""
        return _run("log_likelihood", self._d(data), fit=self.fit_json)


class GammaGamma(_Model):
    """Gamma-Gamma spend model (Fader, Hardie & Lee 2005b): the mean repeat-purchase value
    ``monetary`` of customers with ``x > 0``.

    >>> import kokyaku
    >>> g = kokyaku.GammaGamma.from_params(p=6.25, q=3.74, gamma=15.44)
    >>> round(g.conditional_expected_spend({"x": [2], "monetary": [10.0]})[0], 4)
    14.5341
    """

    _model = "gamma-gamma"
    _params = ('p', 'q', 'gamma')

    def conditional_expected_spend(self, data: Any) -> list[float]:
        """E[Z | x, monetary] per row."""
        return _run("expected_spend", _columns(data, "weeks", {}), fit=self.fit_json)

    def expected_spend(self) -> float:
        """E[Z] of a new customer."""
        return _call("expected_spend", fit=self.fit_json)


class ShiftedBetaGeometric(_Model):
    """Shifted-beta-geometric (Fader & Hardie 2007) for contractual retention, fitted on cohorts
    of survivor counts ``[N0, N1, ...]``.

    >>> import kokyaku
    >>> m = kokyaku.ShiftedBetaGeometric().fit([[1000, 869, 743, 653, 593, 551, 517, 491]])
    >>> round(m.params["alpha"], 2), round(m.params["beta"], 2)
    (0.67, 3.81)
    """

    _model = "sbg"
    _params = ('alpha', 'beta')

    def fit(self, data: Any, **_: Any) -> ShiftedBetaGeometric:  # type: ignore[override]
        """Fit on a list of cohorts, each a list of survivor counts starting with its size."""
        options = {"l2_penalty": self.l2_penalty, "max_iterations": self.max_iterations}
        cohorts = [[float(v) for v in c] for c in data]
        self._set(_call("fit", model="sbg", cohorts=cohorts, options=options))
        return self

    def survival(self, t: Sequence[int]) -> list[float]:
        """S(t): share still active after t periods."""
        return _call("survival", fit=self.fit_json, t=list(t))

    def churn_probability(self, t: Sequence[int]) -> list[float]:
        """P(T = t): share churning in period t."""
        return _call("churn_probability", fit=self.fit_json, t=list(t))

    def retention_rate(self, t: Sequence[int]) -> list[float]:
        """r(t) = S(t) / S(t − 1)."""
        return _call("retention_rate", fit=self.fit_json, t=list(t))

    def expected_residual_lifetime(self, n: Sequence[int], *, discount_rate: float = 0.0) -> list[float]:
        """Discounted expected residual lifetime of a customer who has renewed n times."""
        return _call("expected_residual_lifetime", fit=self.fit_json, n=list(n), discount_rate=discount_rate)


_CLASSES: dict[str, type[_Model]] = {
    c._model: c for c in (BgNbd, ModifiedBgNbd, ParetoNbd, GGompertzNbd, BgBb, GammaGamma, ShiftedBetaGeometric)
}


def load_fit(source: str | os.PathLike[str] | dict[str, Any]) -> Any:
    """A fitted model from a saved fit: a path to the JSON of ``kokyaku ltv fit -o`` (or
    :meth:`_Model.save`), or that object as a dict. The class follows its ``"model"``.

    >>> import kokyaku
    >>> m = kokyaku.load_fit({"model": "bg-nbd", "params": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}})
    >>> type(m).__name__
    'BgNbd'
    """
    if isinstance(source, dict):
        fit = source
    else:
        with open(source, encoding="utf-8") as f:
            fit = json.load(f)
    fit = _call("load", fit=fit)
    cls = _CLASSES[str(fit["model"]).lower().replace("_", "-")]
    m = cls()
    return m._set(fit)


def calibration_summary(
    log: Any,
    *,
    calibration_end: str | None = None,
    holdout_end: str | None = None,
    time_unit: TimeUnit = "weeks",
    frame: str | None = None,
) -> Any:
    """The calibration summary of an order log (``kokyaku ltv summary``): per customer ``x``,
    ``t_x``, ``T``, ``monetary``, ``first_purchase``, and with ``holdout_end``
    ``holdout_purchases`` and ``holdout_spend``. The log's kind of frame comes back.

    >>> import kokyaku
    >>> log = kokyaku.from_records([{"customer_id": "a", "order_id": "1", "ordered_at": "2024-01-01", "amount": 5},
    ...                             {"customer_id": "a", "order_id": "2", "ordered_at": "2024-01-15", "amount": 7}])
    >>> s = calibration_summary(log, calibration_end="2024-01-29", frame="dict")
    >>> s["x"], s["t_x"], s["T"]
    ([1.0], [2.0], [4.0])
    """
    opts = {"calibration_end": calibration_end, "holdout_end": holdout_end, "time_unit": time_unit}
    text = json.dumps({k: v for k, v in opts.items() if v is not None})
    kind = frame or getattr(log, "_frame", None) or "dict"
    if kind == "polars" or (kind in ("pandas", "pyarrow") and _has_pyarrow()):
        return _from_arrow(kind, _kokyaku.ltv_calibration_summary_arrow(log._inner, text))
    return _frame(kind, _kokyaku.ltv_calibration_summary_dict(log._inner, text), None)


def calibration_and_holdout(
    log: Any,
    *,
    calibration_end: str,
    holdout_end: str,
    time_unit: TimeUnit = "weeks",
    frame: str | None = None,
) -> Any:
    """Split an order log at ``calibration_end``: the calibration summary with each customer's
    holdout actuals up to ``holdout_end`` (lifetimes' ``calibration_and_holdout_data``).

    >>> import kokyaku
    >>> log = kokyaku.from_records([{"customer_id": c, "order_id": o, "ordered_at": d, "amount": 5}
    ...     for c, o, d in [("a", "1", "2024-01-01"), ("a", "2", "2024-01-15"), ("a", "3", "2024-02-12"), ("b", "4", "2024-01-08")]])
    >>> s = kokyaku.calibration_and_holdout(log, calibration_end="2024-01-29", holdout_end="2024-02-26", frame="dict")
    >>> s["customer_id"], s["x"], s["holdout_purchases"]
    (['a', 'b'], [1.0, 0.0], [1.0, 0.0])
    """
    return calibration_summary(log, calibration_end=calibration_end, holdout_end=holdout_end, time_unit=time_unit, frame=frame)


def evaluate_holdout(predicted: Sequence[float], actual: Sequence[float]) -> dict[str, Any]:
    """Predicted against actual holdout purchases: ``error`` (per customer), ``mae``, ``rmse``,
    ``total_predicted``, ``total_actual``, ``correlation``.

    ``predicted`` and ``actual`` are lists or numpy / pandas / Polars / pyarrow arrays (read as
    Arrow without a copy).

    >>> evaluate_holdout([1.0, 2.0], [1.0, 3.0])["mae"]
    0.5
    """
    out = _call_arrays("evaluate_holdout", {"predicted": predicted, "actual": actual})
    result = {**json.loads(out.pop("meta")), **out}
    return dict(sorted(result.items()))


def _call_arrays(function: str, arrays: dict[str, Any], **arguments: Any) -> Any:
    """``evaluate_holdout`` / ``tracking`` with their per-customer lists as typed arrays."""
    return _kokyaku.ltv_call_arrays(
        function, json.dumps(arguments, allow_nan=False, default=_plain), {k: _array(v) for k, v in arrays.items()}
    )


def _array(values: Any) -> Any:
    """A sequence of numbers for Rust: a list as it is, an array (numpy, pandas, Polars, pyarrow)
    as a one-column Arrow table sharing its buffer (numpy float / int buffers are not copied)."""
    if isinstance(values, list):
        return values
    module = type(values).__module__.split(".")[0]
    if module not in ("numpy", "pandas", "polars", "pyarrow"):
        return list(values)
    try:
        import pyarrow as pa
    except ImportError:
        return [None if v is None else float(v) for v in values]
    if module == "numpy":
        arr = pa.array(values)
    elif module == "pandas":
        arr = pa.Array.from_pandas(values)
    elif module == "polars":
        arr = values.to_arrow()
    else:
        arr = values
    return pa.table({"values": arr})


def _has_pyarrow() -> bool:
    import importlib.util

    return importlib.util.find_spec("pyarrow") is not None


class _progress:
    """A tqdm bar (when tqdm is installed and ``enabled``) around one long Rust call."""

    def __init__(self, enabled: bool, desc: str, n: int) -> None:
        self.bar = None
        if enabled and n >= 100_000:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                return
            self.bar = tqdm(total=n, desc=desc, unit="customers")

    def __enter__(self) -> _progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            if exc[0] is None:
                self.bar.update(self.bar.total)
            self.bar.close()
