"""``OnnxForecaster``: an exported energyai model on onnxruntime, without torch or polars."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any

import numpy as np

from energyai._optional import import_optional
from energyai.artifact import ModelInfo
from energyai.assemble import assemble, check_output, horizon_utc, last_context
from energyai.contract import Window
from energyai.exceptions import (
    ArtifactError,
    ChecksumError,
    ColumnTypeError,
    ConfigError,
    DataError,
    InsufficientDataError,
    MissingColumnError,
)
from energyai.fileio import read_regular_bytes
from energyai.integrity import verify as verify_file
from energyai.limits import check_forecast_scale, trained_magnitude
from energyai.runtime.fallback import apply_fallback, check_fallback, steps_per_day
from energyai.runtime.inputs import (
    as_float_matrix,
    check_target,
    covariate_block,
    frame_columns,
    numeric_array,
    require_columns,
    row_vector,
)
from energyai.runtime.result import RuntimeForecast
from energyai.runtime.session import open_session
from energyai.timeutil import MAX_UTC, MIN_UTC, future_seconds, to_utc_seconds

__all__ = ["OnnxForecaster"]


class OnnxForecaster:
    """Load an exported file and forecast with onnxruntime.

    Forecasts come back as a :class:`RuntimeForecast`: ``values`` (B, H, Q) float32 in the
    target's units, ``timestamps`` (B, H) UTC, and ``submission`` (B, H) when the file has
    that output.

    Parameters
    ----------
    path : str or Path
        The ``.onnx`` file written by ``energyai export`` or ``Forecaster.export``.
    threads : int
        onnxruntime intra-op threads. 1 is best for one window on small devices (more
        threads inflate tail latency on 2 cores).
    sha256 : str, optional
        Expected sha256 of the file; loading fails with :class:`ChecksumError` otherwise.
    fallback : {"seasonal", "climatology", "persistence", "none", "raise"}
        What to do with a series whose context is too gappy (see
        :mod:`energyai.runtime.fallback`): forecast it with a simple method and flag it,
        use the model anyway (``"none"``), or raise :class:`InsufficientDataError`.
    min_observed : float
        Smallest observed share of the context before the fallback applies.
    batch_size : int
        Largest batch sent to onnxruntime at once.
    verify : bool
        Check the file's embedded digest (:mod:`energyai.integrity`) and refuse a file that
        lacks one or does not match it, with :class:`IntegrityError`. On by default; turn
        off only for a file you trust that an older energyai exported.
    public_key : bytes, str or Path, optional
        An ed25519 public key (PEM, or the path of a PEM file): the file must then be signed
        by its private key (``energyai sign``). Needs the ``sign`` extra.

    Attributes
    ----------
    info : ModelInfo
        The file's metadata.
    digest : str
        ``"sha256:<hex>"``, the digest recorded in the file (empty when not verified).
    """

    def __init__(self, path: str | Path, threads: int = 1, *, sha256: str | None = None,
                 fallback: str = "seasonal", min_observed: float = 0.5, batch_size: int = 1024,
                 verify: bool = True, public_key: Any = None) -> None:
        ort = import_optional("onnxruntime", "the ONNX runtime")
        check_fallback(fallback, min_observed)
        src = Path(path)
        if int(batch_size) < 1 or int(threads) < 1:
            raise ConfigError(f"threads and batch_size must be at least 1, got {threads} and {batch_size}")
        payload = read_regular_bytes(src, "model file", ArtifactError)
        self.sha256 = hashlib.sha256(payload).hexdigest()
        if sha256 is not None and sha256.lower() != self.sha256:
            raise ChecksumError(f"{src} has sha256 {self.sha256}, expected {sha256}; do not load it")
        self.digest = ""
        if verify or public_key is not None:
            self.digest = verify_file(payload, str(src), public_key).digest
        so = ort.SessionOptions()
        so.intra_op_num_threads = int(threads)
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.log_severity_level = 3
        self.session = open_session(ort, payload, so, str(src))
        self.info: ModelInfo = ModelInfo.from_metadata(self.session.get_modelmeta().custom_metadata_map)
        graph_inputs = [i.name for i in self.session.get_inputs()]
        if graph_inputs != [i["name"] for i in self.info.inputs]:
            raise ArtifactError(f"graph inputs {graph_inputs} do not match the metadata {self.info.inputs}")
        self._names = tuple(graph_inputs)
        self._guard = self.info.guard()
        self._nonnegative = bool(self.info.capacity.get("nonnegative"))
        self._trained = trained_magnitude(self.info.ranges.get("target"))
        # one clean sub-daily window with only time-derived inputs takes the lean checks
        step = self.info.freq_seconds
        self._lean = step % 86400 != 0 and set(self._names) <= {"past_target", "local_time", "utc_time",
                                                                   "holiday_override", "site_override"}
        self._ahead = step * np.arange(1, self.info.horizon + 1, dtype=np.int64)[None, :]
        self.path, self.threads = src, int(threads)
        self.fallback, self.min_observed, self.batch_size = fallback, float(min_observed), int(batch_size)
        self._period = steps_per_day(self.info.freq_seconds)
        self._warm_up()

    def __repr__(self) -> str:
        i = self.info
        return f"OnnxForecaster({str(self.path)!r}, model={i.model!r}, context={i.context_length}, horizon={i.horizon})"

    def _warm_up(self) -> None:
        """The first run costs about 10 ms (allocations, kernel choice): pay it at load."""
        feeds = {}
        for spec in self.info.inputs:
            shape = [1 if d == "batch" else int(d) for d in spec["shape"]]
            dtype = np.int64 if spec["dtype"] == "int64" else np.float32
            feeds[spec["name"]] = np.ones(shape, dtype)
        self.session.run(None, feeds)

    # ------------------------------------------------------------------ arrays
    def predict_arrays(
        self,
        target: Any,
        timestamps: Any,
        past_covariates: Any = None,
        future_covariates: Any = None,
        static: Any = None,
        capacity: Any = None,
        series: list[Any] | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> RuntimeForecast:
        """Forecast from arrays.

        Parameters
        ----------
        target : array-like, shape (T,) or (B, T)
            Recent target values in training units, NaN where missing; the last
            ``context_length`` steps are used (``T`` must be at least that).
        timestamps : array-like, shape (T,) or (B, T)
            Their times, one step apart: epoch seconds (UTC), strings or ``datetime`` with an
            offset, or naive ``datetime64``/strings read as local time in the model's zone
            (``docs/data-contract.md``).
        past_covariates, future_covariates : array or dict, optional
            Arrays ``(B, T, K)`` in the model's column order, or dicts column -> ``(B, T)``.
            Future covariates cover the history and the horizon: ``T + horizon`` steps.
        static : array or dict, optional
            ``(B, S)``, or dict column -> ``(B,)``.
        capacity : float or array, optional
            Capacity in target units: a number, ``(B,)`` or ``(B, H)``. Defaults to the
            value fixed at training, when there was one.
        series : list, optional
            Series ids carried into the result.
        inputs : dict, optional
            Values of other graph inputs, by name (see ``info.inputs`` for their shapes);
            inputs not given take their declared default.
        """
        feeds, fut_t = self.make_feeds(target, timestamps, past_covariates, future_covariates, static, capacity,
                                       inputs)
        if series is not None:
            if isinstance(series, (str, bytes)) or not hasattr(series, "__len__"):
                raise ConfigError(f"series must be a list of ids, one per forecast window, got {series!r}")
            if len(series) != feeds["past_target"].shape[0]:
                raise ConfigError(f"series has {len(series)} ids for {feeds['past_target'].shape[0]} windows; give "
                                  "one id per row of target")
        return self._forecast(feeds, fut_t, series)

    def make_feeds(
        self,
        target: Any,
        timestamps: Any,
        past_covariates: Any = None,
        future_covariates: Any = None,
        static: Any = None,
        capacity: Any = None,
        inputs: dict[str, Any] | None = None,
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Validate inputs and build the graph feeds (parameters as :meth:`predict_arrays`).

        Returns
        -------
        feeds : dict of ndarray
            One entry per graph input, in the file's dtypes and shapes.
        future_times : ndarray of int64, shape (B, H)
            UTC seconds of the forecast steps.
        """
        info = self.info
        L, H = info.context_length, info.horizon
        if self._lean and past_covariates is None and future_covariates is None and static is None \
                and capacity is None and not inputs:
            clean = self._clean_context(target, timestamps)
            if clean is not None:  # the same checks passed, in fewer steps; the same assembler
                window = Window(target=clean[0], utc=clean[1], tz=info.tz)
                return assemble(window, self._names, self._guard), clean[1][:, L:]
        y = as_float_matrix(target, f"target {info.target!r}")
        B, T = y.shape
        ts = to_utc_seconds(timestamps, info.tz)
        if ts.ndim == 1:
            ts = ts[None, :] if B == 1 else np.broadcast_to(ts[None, :], (B, ts.shape[0]))
        if ts.shape != (B, T):
            raise ConfigError(f"timestamps have shape {ts.shape}, target {y.shape}; give one timestamp per value")
        y, ts = last_context(y, ts, L, info.freq_seconds, info.tz)
        total = float(y.sum(dtype=np.float64))  # NaN or inf reach the sum: one pass for the clean case
        if not np.isfinite(total) or (self._nonnegative and y.size and float(y.min()) < 0):
            check_target(y, ts, self._nonnegative, info.target)
        utc = horizon_utc(ts, info.freq_seconds, H, info.tz)
        names = self._names
        window = Window(
            target=y, utc=utc, tz=info.tz,
            past=covariate_block(past_covariates, "past_covariates", info.columns("past_covariates"), B, L, ts)
            if "past_covariates" in names else None,
            future=covariate_block(future_covariates, "future_covariates", info.columns("future_covariates"), B,
                                   L + H, utc, info.optional) if "future_covariates" in names else None,
            static=self._static(static, info.columns("static"), B) if "static" in names else None,
            capacity=self._capacity(capacity, B) if "capacity" in names else None,
            given=self._given(inputs),
        )
        if capacity is not None and "capacity" not in names:
            raise ConfigError("this model was trained without a capacity; it takes no capacity=")
        if past_covariates is not None and "past_covariates" not in names:
            raise ConfigError("this model reads no past covariates; drop past_covariates=")
        if future_covariates is not None and "future_covariates" not in names:
            raise ConfigError("this model reads no future covariates; drop future_covariates=")
        if static is not None and "static" not in names:
            raise ConfigError("this model reads no static covariates; drop static=")
        return assemble(window, names, self._guard), utc[:, L:]

    def _given(self, inputs: dict[str, Any] | None) -> dict[str, Any]:
        if not inputs:
            return {}
        own = {"past_target", "past_covariates", "future_covariates", "static", "capacity", "local_time", "utc_time"}
        unknown = sorted(set(inputs) - (set(self._names) - own))
        if unknown:
            other = sorted(set(self._names) - own)
            raise ConfigError(f"inputs= names {unknown}, which this model does not take that way; it takes {other} "
                              "(targets, covariates, static, capacity and times have their own arguments)")
        return dict(inputs)

    def _clean_context(self, target: Any, timestamps: Any) -> tuple[np.ndarray, np.ndarray] | None:
        """One clean window in a few numpy steps, or None for the general path.

        For a float32 ``(T,)`` target and int64 epoch-second ``(T,)`` timestamps on a
        sub-daily grid, without missing, infinite or (for non-negative targets) negative
        values, this is what the general path computes; anything else (other dtypes,
        naive times, gaps, NaN) returns None and the general path validates it and
        reports what is wrong.
        """
        L, step = self.info.context_length, self.info.freq_seconds
        if type(target) is not np.ndarray or type(timestamps) is not np.ndarray or target.ndim != 1 \
                or timestamps.ndim != 1 or target.dtype != np.float32 or timestamps.dtype != np.int64 \
                or target.shape[0] != timestamps.shape[0] or target.shape[0] < L:
            return None
        y, t = target[-L:], timestamps[-L:]
        if not MIN_UTC <= t[0] <= t[-1] < MAX_UTC - 86400 * 366:
            return None  # the general path names the timestamp
        if ((t[1:] - t[:-1]) != step).any() or not math.isfinite(y.sum(dtype=np.float64)):
            return None
        if self._nonnegative and y.min() < 0:
            return None
        utc = np.concatenate((t, t[-1] + self._ahead[0]))[None, :]
        return np.ascontiguousarray(y)[None, :], utc

    def _capacity(self, capacity: Any, batch: int) -> np.ndarray:
        value = capacity if capacity is not None else self.info.capacity.get("default")
        if value is None:
            raise MissingColumnError("this model clips at a capacity that changes by site; pass capacity=")
        return row_vector(value, "capacity", batch, self.info.horizon)

    def _forecast(self, feeds: dict[str, np.ndarray], fut_t: np.ndarray, series: list[Any] | None) -> RuntimeForecast:
        info = self.info
        y = feeds["past_target"]
        B = y.shape[0]
        values, submission = self._run(feeds)
        flags, methods = apply_fallback(values, y, self._period, self.fallback, self.min_observed,
                                        nonnegative=bool(info.capacity.get("nonnegative")),
                                        capacity=feeds.get("capacity"), series=series)
        check_output(values, series)
        context = y if "past_observed" not in feeds else np.where(feeds["past_observed"] > 0, y, np.nan)
        check_forecast_scale(values, context, capacity=feeds.get("capacity"), trained=self._trained, series=series)
        if submission is not None:
            submission = np.where(flags[:, None], values[..., info.median_index], submission)
            check_output(submission[..., None], series)
        return RuntimeForecast(
            series=list(series) if series is not None else [None] * B,
            timestamps=np.ascontiguousarray(fut_t, dtype=np.int64).view("datetime64[s]"), values=values,
            levels=tuple(info.quantiles),
            median_index=info.median_index, fallback=flags, method=methods, tz=info.tz, submission=submission,
        )

    def _static(self, static: Any, columns: list[str], batch: int) -> np.ndarray:
        if static is None:
            raise MissingColumnError(f"this model reads static covariates {columns}; pass static=")
        if isinstance(static, dict):
            require_columns(static, "static covariates", columns)
            arr = np.stack([row_vector(static[c], f"static {c!r}", batch, 1)[:, 0] for c in columns], axis=1)
        else:
            arr = row_vector(static, "static", batch, len(columns))
        if not np.isfinite(arr).all():
            raise MissingColumnError(f"static covariates {columns} contain missing values")
        return np.ascontiguousarray(arr, dtype=np.float32)

    def _run(self, feeds: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
        """Quantiles (B, H, Q) and, from a file that has that output, the submission (B, H)."""
        B = feeds["past_target"].shape[0]
        parts = [self.session.run(None, {k: v[i:i + self.batch_size] for k, v in feeds.items()})
                 for i in range(0, max(B, 1), self.batch_size)]
        values = np.concatenate([p[0] for p in parts])
        return values, (np.concatenate([p[1] for p in parts]) if len(parts[0]) > 1 else None)

    # ------------------------------------------------------------------ frames
    def predict(self, data: Any, future: Any = None, *, static: Any = None, capacity: Any = None) -> RuntimeForecast:
        """Forecast from a long-format table in the training columns.

        Parameters
        ----------
        data : dict of arrays, polars.DataFrame or pandas.DataFrame
            The timestamp, target and covariate columns of training (and the series id
            column for several series); each series' last ``context_length`` rows are used.
        future : same kinds, optional
            Known-future covariates for the ``horizon`` steps after each series' last
            timestamp (with the timestamp and series id columns).
        static, capacity : optional
            As in :meth:`predict_arrays`; static covariates are otherwise read from ``data``.
        """
        info = self.info
        cols = frame_columns(data)
        need = [info.timestamp, info.target]
        missing = [c for c in need if c not in cols]
        if missing:
            raise MissingColumnError(f"data lacks column(s) {missing}; this model reads {need} "
                                     f"plus {self._covariate_names()}")
        _same_length(cols, [info.timestamp, info.target, *self._covariate_names(), info.series_id], "data")
        if cols[info.timestamp].shape[0] == 0:
            raise InsufficientDataError(f"data has no rows; this model reads the last {info.context_length} steps of "
                                        "each series")
        groups, ids = _group(cols, info.series_id, info.timestamp, info.tz)
        L, H = info.context_length, info.horizon
        t_all = to_utc_seconds(cols[info.timestamp], info.tz)
        for i, g in enumerate(groups):
            _check_rows(t_all[g], ids[i], L, info.freq_seconds)
        rows = np.stack([g[-L:] for g in groups])
        kwargs: dict[str, Any] = {}
        past_cols = info.columns("past_covariates")
        if past_cols:
            _require(cols, past_cols, "past covariate")
            kwargs["past_covariates"] = {c: cols[c][rows] for c in past_cols}
        fut_cols = info.columns("future_covariates")
        if fut_cols:
            _require(cols, [c for c in fut_cols if c not in info.optional], "future covariate")
            if future is None:
                raise MissingColumnError(f"this model reads future covariates {fut_cols}; pass future= with their "
                                         f"values for the {H} steps after each series' last timestamp")
            kwargs["future_covariates"] = self._future_block(cols, rows, fut_cols, future, ids, t_all)
        static_cols = info.columns("static")
        if static_cols and static is None:
            _require(cols, static_cols, "static covariate")
            static = {c: cols[c][rows[:, -1]] for c in static_cols}
        cap_col = info.capacity.get("column")
        if capacity is None and cap_col and cap_col in cols:
            capacity = _numeric_column(cols[cap_col], cap_col)[rows[:, -1]]
        return self.predict_arrays(
            _numeric_column(cols[info.target], info.target)[rows], t_all[rows], static=static, capacity=capacity,
            series=ids, **kwargs,
        )

    def _covariate_names(self) -> list[str]:
        return [c for n in ("past_covariates", "future_covariates", "static") for c in self.info.columns(n)]

    def _future_block(self, cols: dict[str, np.ndarray], rows: np.ndarray, fut_cols: list[str], future: Any,
                      ids: list[Any], t_all: np.ndarray) -> dict[str, np.ndarray]:
        info = self.info
        H = info.horizon
        fcols = frame_columns(future)
        required = [c for c in fut_cols if c not in info.optional]
        _require(fcols, [info.timestamp, *required], "future column")
        _same_length(fcols, [info.timestamp, *[c for c in fut_cols if c in fcols], info.series_id], "future")
        fgroups, fids = _group(fcols, info.series_id, info.timestamp, info.tz)
        where = {k: i for i, k in enumerate(fids)}
        ft_all = to_utc_seconds(fcols[info.timestamp], info.tz)
        expect = future_seconds(t_all[rows[:, -1]], info.freq_seconds, H, info.tz)
        out = {c: np.empty((len(ids), rows.shape[1] + H), np.float32) for c in fut_cols}
        for b, key in enumerate(ids):
            if key not in where:
                raise MissingColumnError(f"future= has no rows for series {key!r}")
            g = fgroups[where[key]]
            times = ft_all[g]
            pick = np.searchsorted(times, expect[b])
            ok = (pick < len(times)) & (times[np.minimum(pick, len(times) - 1)] == expect[b])
            if not ok.all():
                miss = np.datetime64(int(expect[b][~ok][0]), "s")
                raise MissingColumnError(f"future= lacks series {key!r} at {miss} UTC; give all {H} horizon steps")
            for c in fut_cols:  # an optional column left out is missing (NaN) throughout
                out[c][b, :-H] = _numeric_column(cols[c], c)[rows[b]] if c in cols else np.nan
                out[c][b, -H:] = _numeric_column(fcols[c], c)[g[pick]] if c in fcols else np.nan
        return out


def _numeric_column(values: np.ndarray, name: str) -> np.ndarray:
    return numeric_array(values, f"column {name!r}")


def _check_rows(t: np.ndarray, key: Any, L: int, step: int) -> None:
    """The last ``L`` rows of one series (times ``t``, sorted) must be ``L`` consecutive grid steps:
    name the first missing step, or say how many rows are lacking."""
    who = "the series" if key is None else f"series {key!r}"
    if len(t) == 0:
        raise InsufficientDataError(f"{who} has no rows; this model reads the last {L} steps (context_length)")
    tail = t[-L:]
    if step % 86400 == 0:
        return  # whole-day steps follow the local calendar; the grid check names a gap
    gaps = np.flatnonzero(np.diff(tail) != step)
    if gaps.size:
        at = np.datetime64(int(tail[gaps[-1]] + step), "s")
        raise InsufficientDataError(
            f"{who} has no row at {at} UTC (a missing step inside its last {L} rows); add the row with an "
            "empty target (NaN), which the model treats as missing: the runtime does not fill gaps"
        )
    if len(t) < L:
        raise InsufficientDataError(
            f"{who} has {len(t)} rows, from {np.datetime64(int(t[0]), 's')} UTC; this model reads the last "
            f"{L} steps (context_length): give {L - len(t)} more earlier rows, NaN where the target is missing"
        )


def _same_length(cols: dict[str, np.ndarray], names: list[Any], what: str) -> None:
    """Every present column of ``names`` one-dimensional and as long as the first (the timestamps)."""
    present = [n for n in names if n is not None and n in cols]
    if not present:
        return
    n0 = cols[present[0]].shape[0] if cols[present[0]].ndim == 1 else None
    for name in present:
        arr = cols[name]
        if arr.ndim != 1:
            raise ConfigError(f"{what} column {name!r} must be one value per row (1-D), got shape {arr.shape}")
        if arr.shape[0] != n0:
            raise ConfigError(f"{what} column {name!r} has {arr.shape[0]} values and {present[0]!r} has {n0}; "
                              "every column needs one value per row")


def _require(cols: dict[str, np.ndarray], names: list[str], what: str) -> None:
    missing = [c for c in names if c not in cols]
    if missing:
        raise MissingColumnError(f"{what}(s) {missing} missing from the table; it has {sorted(cols)}")


def _group(cols: dict[str, np.ndarray], sid: str | None, ts: str, tz: str) -> tuple[list[np.ndarray], list[Any]]:
    """Row numbers of each series sorted by time, and the series ids (first-seen order)."""
    t = to_utc_seconds(cols[ts], tz)
    if sid is None or sid not in cols:
        order = np.argsort(t, kind="stable")
        _no_duplicates(t[order], None)
        return [order], [None]
    keys = cols[sid]
    if keys.dtype.kind == "O" and any(k is None for k in keys):
        raise DataError(f"series id column {sid!r} has missing values; every row needs its series id")
    if keys.dtype.kind == "f" and np.isnan(keys).any():
        raise DataError(f"series id column {sid!r} has NaN values; every row needs its series id")
    try:
        uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    except TypeError as exc:
        raise ColumnTypeError(f"series id column {sid!r} mixes types that cannot be ordered: {exc}") from exc
    order = np.lexsort((t, inverse))
    bounds = np.searchsorted(inverse[order], np.arange(len(uniq) + 1))
    by_first = np.argsort(first, kind="stable")
    groups, ids = [], []
    for u in by_first:
        g = order[bounds[u]:bounds[u + 1]]
        _no_duplicates(t[g], uniq[u])
        groups.append(g)
        ids.append(uniq[u].item() if hasattr(uniq[u], "item") else uniq[u])
    return groups, ids


def _no_duplicates(t: np.ndarray, key: Any) -> None:
    from energyai.exceptions import DuplicateTimestampError

    dup = np.flatnonzero(np.diff(t) == 0)
    if dup.size:
        raise DuplicateTimestampError(f"series {key!r} has two rows at {np.datetime64(int(t[dup[0]]), 's')} UTC; "
                                      "keep one row per timestamp")
