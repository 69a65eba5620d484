"""Forecasting with a fitted :class:`~energyai.Forecaster`: frames in, frames out.

Every path reduces its input to a :class:`~energyai.contract.Window` and goes through the
one assembler (:func:`energyai.assemble.assemble`), then :func:`run_network`:

- :func:`predict_frame`: the history of each series up to its forecast origin;
- :func:`forecast_origins`: many origins of one frame in batched passes (backtests).
"""

from __future__ import annotations

import datetime
from typing import Any

import numpy as np

from energyai.assemble import assemble, check_output
from energyai.base import check_future, check_quantiles, quantile_column
from energyai.contract import NAMES, Window
from energyai.exceptions import ConfigError, DataError, InsufficientDataError
from energyai.limits import check_forecast_scale, trained_magnitude
from energyai.runtime.fallback import apply_fallback, steps_per_day
from energyai.timeutil import future_seconds

__all__ = ["forecast_origins", "output_columns", "predict_arrays", "predict_frame", "run_network", "utc64"]


def run_network(network: Any, feeds: dict[str, np.ndarray], horizon: int, n_levels: int,
                batch_size: int = 1024) -> np.ndarray:
    """The torch network on contract feeds, in passes of ``batch_size`` windows; ``(B, H, Q)``."""
    import torch

    names = [n for n in NAMES if n in feeds]
    B = feeds["past_target"].shape[0]
    arrays = {n: (a if a.flags.writeable else a.copy()) for n, a in feeds.items()}
    outs = []
    with torch.inference_mode():
        for i in range(0, B, batch_size):
            x = {n: torch.from_numpy(arrays[n][i:i + batch_size]) for n in names}
            outs.append(network(x).numpy())
    return np.concatenate(outs) if outs else np.zeros((0, horizon, n_levels), np.float32)


def output_columns(pred: np.ndarray, levels: tuple[float, ...], quantiles: Any) -> dict[str, np.ndarray]:
    """``forecast`` (the median) and one ``q<level>`` column per requested quantile, flattened."""
    cols = {"forecast": pred[:, :, levels.index(0.5)].reshape(-1).astype(np.float64)}
    for q in (check_quantiles(quantiles) if quantiles else ()):
        cols[quantile_column(q)] = pred[:, :, levels.index(q)].reshape(-1).astype(np.float64)
    return cols


def predict_frame(model: Any, df: Any, future: Any, fallback: str = "seasonal", min_observed: float = 0.5) -> Any:
    """Validate the last ``context_length`` rows of each series and forecast ``horizon`` steps
    (``fallback`` and ``min_observed`` as :class:`~energyai.runtime.OnnxForecaster`'s).

    A one-series frame that validation would pass unchanged is read with numpy alone
    (:func:`energyai.clean_window.clean_window`); every other frame takes the full path."""
    import polars as pl

    from energyai.clean_window import clean_window

    schema = model.schema_
    sid, ts = schema.series_id, schema.timestamp
    clean = clean_window(model, df, future)
    if clean is None:
        window, ids, types = _checked_window(model, df, future)
    else:
        window, ids, types = clean
    feeds = assemble(window, NAMES, model._input_guard())
    pred = run_network(model.network_, feeds, model.horizon, len(model.levels_))
    flags, _ = apply_fallback(pred, window.target, steps_per_day(schema.frequency.seconds), fallback,
                              min_observed, nonnegative=schema.nonnegative,
                              capacity=None if schema.capacity is None else window.capacity, series=ids)
    check_output(pred, ids)
    check_forecast_scale(pred, window.target, capacity=window.capacity,
                         trained=trained_magnitude(getattr(model, "target_range_", None)), series=ids)
    cols: dict[str, Any] = {}
    if sid:
        cols[sid] = pl.Series(np.repeat(np.array(ids, dtype=object), model.horizon).tolist()).cast(types[sid])
    horizon = window.utc[:, model.context_length:].reshape(-1)
    cols[ts] = pl.Series(ts, horizon * 1_000_000, pl.Int64).cast(pl.Datetime("us", "UTC")).dt.convert_time_zone(
        schema.tz or "UTC").cast(types[ts])
    cols.update(output_columns(pred, model.levels_, model.quantiles))
    cols["fallback"] = np.repeat(flags, model.horizon)
    return pl.DataFrame(cols)


def _checked_window(model: Any, df: Any, future: Any) -> tuple[Window, list[Any], dict[str, Any]]:
    """The full path: validate and regularise the last ``context_length`` rows of each series and
    check the future frame; the window, the series ids and the dtypes of the id and time columns."""
    import polars as pl

    from energyai.data.regularize import regularize
    from energyai.data.validate import validate

    schema = model.schema_
    sid, ts = schema.series_id, schema.timestamp
    L_ = model.context_length
    keys = [sid] if sid else []
    optional = tuple(model.train_config.optional_covariates or ())
    absent = [c for c in optional if isinstance(df, pl.DataFrame) and c not in df.columns]
    if absent:  # an optional covariate left out is missing throughout
        df = df.with_columns(pl.lit(None, pl.Float64).alias(c) for c in absent)
    tail = df
    if isinstance(df, pl.DataFrame) and all(c in df.columns for c in [*keys, ts]):
        tail = df.sort([*keys, ts])
        tail = tail.group_by(keys, maintain_order=True).tail(L_) if keys else tail.tail(L_)
    frame = validate(tail, schema)
    if schema.future_covariates and future is None:
        raise DataError(
            f"this model reads the future covariates {list(schema.future_covariates)}; pass future= with their "
            f"values for the {model.horizon} steps after each series' last timestamp"
        )
    reg = regularize(frame, schema, observed="__observed__")
    reg = reg.group_by(keys, maintain_order=True).tail(L_) if keys else reg.tail(L_)
    fut_frame = check_future(future, reg, schema, model.horizon, optional) if future is not None else None
    groups = reg.partition_by(sid, maintain_order=True, as_dict=True) if sid else {(None,): reg}
    window, ids = _window(model, groups, fut_frame)
    return window, ids, {c: frame.schema[c] for c in (*keys, ts)}


def _window(model: Any, groups: dict[Any, Any], fut_frame: Any) -> tuple[Window, list[Any]]:
    """The window of every series group (regularised, last ``context_length`` rows, left-padded with NaN)."""
    import polars as pl

    from energyai.data.panel import block_of

    schema = model.schema_
    sid, ts = schema.series_id, schema.timestamp
    L_, H = model.context_length, model.horizon
    B = len(groups)
    P, F, S = model.n_inputs_
    y = np.full((B, L_), np.nan, np.float32)
    past = np.zeros((B, L_, P), np.float32)
    fut = np.zeros((B, L_ + H, F), np.float32)
    utc = np.zeros((B, L_ + H), np.int64)
    static = np.zeros((B, S), np.float32)
    cap = np.full((B, H), np.inf, np.float32)
    ids = []
    step = schema.frequency.seconds
    for b, (key, g) in enumerate(groups.items()):
        n = g.height
        if n < L_:
            first = g[ts][0]
            who = "the series" if key[0] is None else f"series {key[0]!r}"
            raise InsufficientDataError(
                f"{who} has {n} steps of history (from {first}), fewer than the model's context_length "
                f"{L_}; give at least {L_} steps up to the origin, with missing values as null"
            )
        obs = g["__observed__"].to_numpy()
        if not obs.any():
            raise InsufficientDataError(f"series {key[0]!r} has no observed target in its last {L_} steps")
        y[b, L_ - n:] = np.where(obs, g[schema.target].cast(pl.Float32).to_numpy(), np.nan)
        if P:
            past[b, L_ - n:] = _complete(block_of(g, schema.past_covariates), g, schema.past_covariates, key[0], ts)
        fg = fut_frame.filter(pl.col(sid) == key[0]) if (fut_frame is not None and sid) else fut_frame
        if F:
            fut[b, L_ - n:L_] = _complete(block_of(g, schema.future_covariates), g, schema.future_covariates,
                                          key[0], ts, tuple(model.train_config.optional_covariates or ()))
            fut[b, L_:] = block_of(fg, schema.future_covariates)
        utc[b, L_ - n:L_] = g[ts].dt.epoch("s").to_numpy()
        utc[b, L_:] = future_seconds(utc[b, L_ - 1:L_], step, H, schema.tz or "UTC")[0]  # as check_future expects
        if S:
            static[b] = block_of(g.head(1), schema.static_covariates)[0]
        cap[b] = _capacity(schema, g, fg)
        ids.append(key[0])
    window = Window(target=y, utc=utc, tz=schema.tz or "UTC", past=past, future=fut, static=static, capacity=cap)
    return window, ids


def _capacity(schema: Any, g: Any, fg: Any) -> Any:
    import polars as pl

    if schema.capacity is None:
        return np.inf
    if not isinstance(schema.capacity, str):
        return float(schema.capacity)
    if fg is not None and schema.capacity in fg.columns:
        return fg[schema.capacity].cast(pl.Float32).to_numpy()
    c = g[schema.capacity].drop_nulls()
    return float(c[-1]) if c.len() else np.inf


def _complete(block: np.ndarray, g: Any, cols: tuple[str, ...], series: Any, ts: str,
              optional: tuple[str, ...] = ()) -> np.ndarray:
    """``block`` when it has no missing value outside the ``optional`` columns; otherwise a
    DataError naming the first times."""
    needed = [k for k, c in enumerate(cols) if c not in optional]
    if not np.isnan(block[..., needed]).any():
        return block
    import polars as pl

    cols = tuple(cols[k] for k in needed)
    bad = g.filter(pl.any_horizontal(pl.col(list(cols)).cast(pl.Float64).fill_nan(None).is_null()))
    raise DataError(
        f"covariates {list(cols)} of series {series!r} are missing in the context window at "
        f"{bad.head(3)[ts].to_list()}; the model needs complete covariates "
        "(fill them from a source you trust; energyai does not interpolate)"
    )


def utc64(when: Any) -> np.datetime64:
    """A tz-aware datetime, or a ``numpy.datetime64`` taken as UTC, as naive UTC ``datetime64[us]``."""
    if isinstance(when, np.datetime64):
        return when.astype("datetime64[us]")
    if not isinstance(when, datetime.datetime):
        raise ConfigError(f"cutoff {when!r} ({type(when).__name__}) is not a datetime; give tz-aware datetimes "
                          "(or numpy.datetime64 in UTC)")
    if when.tzinfo is None:
        raise DataError(f"cutoff {when} has no time zone; give a tz-aware datetime (or numpy.datetime64 in UTC)")
    return np.datetime64(when.astimezone(datetime.timezone.utc).replace(tzinfo=None), "us")


def forecast_origins(model: Any, df: Any, cutoffs: list[Any], future: Any = None, scale: bool = False) -> Any:
    """Forecast from many origins in batched passes (see :meth:`energyai.Forecaster.forecast_origins`).

    ``scale=True`` adds a ``scale`` column: each window's instance scale, in target units
    (what :mod:`energyai.calibration` divides residuals by).
    """
    import polars as pl

    from energyai.data.panel import build_panel
    from energyai.data.validate import validate
    from energyai.training.data import make_batch

    schema = model.schema_
    frame = validate(df, schema)
    panel = build_panel(frame, schema)
    L_, H = model.context_length, model.horizon
    cut = np.array([utc64(c) for c in cutoffs])
    starts_a, series_a, cut_a = _origin_windows(panel, cut, L_, H, cutoffs, model._optional_positions())
    override = _origin_covariates(model, future, panel, frame, cut, cut_a, series_a, starts_a) \
        if future is not None else None
    preds, scales = [], []
    guard = model._input_guard()
    trained = trained_magnitude(getattr(model, "target_range_", None))
    step = 1024  # windows per pass: the transient memory stays a few tens of MB
    for i in range(0, len(starts_a), step):
        batch = make_batch(panel, starts_a[i:i + step], series_a[i:i + step], L_, H, as_tensors=False,
                           names=_RAW)
        if override is not None:
            idx, values = override
            batch.future_covariates[:, L_:, idx] = values[i:i + step]
        window = Window(target=np.where(batch.past_observed > 0, batch.past_target, np.nan).astype(np.float32),
                        utc=batch.utc_time, tz=schema.tz or "UTC", past=batch.past_covariates,
                        future=batch.future_covariates, static=batch.static, capacity=batch.capacity,
                        local=batch.local_time)
        feeds = assemble(window, NAMES, guard)
        preds.append(run_network(model.network_, feeds, H, len(model.levels_)))
        check_forecast_scale(preds[-1], window.target, capacity=window.capacity, trained=trained,
                             series=[f"{panel.series_ids[s]} at cutoff {cutoffs[c]}"
                                     for s, c in zip(series_a[i:i + step], cut_a[i:i + step], strict=True)])
        if scale:
            scales.append(_window_scale(model.network_, feeds))
    pred = np.concatenate(preds)
    check_output(pred, [f"{panel.series_ids[s]} at cutoff {cutoffs[c]}" for s, c in zip(series_a, cut_a, strict=True)]
                 if not np.isfinite(pred).all() else None)
    pos = starts_a[:, None] + L_ + np.arange(H)[None, :]
    cols: dict[str, Any] = {}
    if schema.series_id:
        cols[schema.series_id] = pl.Series([panel.series_ids[s] for s in np.repeat(series_a, H)]).cast(
            frame.schema[schema.series_id])
    zone = schema.tz or "UTC"
    cols["cutoff"] = pl.Series(np.repeat(cut[cut_a], H)).dt.replace_time_zone("UTC").dt.convert_time_zone(zone)
    cols[schema.timestamp] = pl.Series(panel.utc[pos].reshape(-1)).dt.replace_time_zone("UTC").dt.convert_time_zone(
        zone)
    cols["lead"] = np.tile(np.arange(1, H + 1, dtype=np.int32), len(starts_a))
    cols["actual"] = np.where(panel.observed[pos], panel.target[pos], np.nan).astype(np.float64).reshape(-1)
    cols.update(output_columns(pred, model.levels_, model.quantiles))
    if scale:
        cols["scale"] = np.repeat(np.concatenate(scales), H).astype(np.float64)
    return pl.DataFrame(cols).with_columns(pl.col("actual").fill_nan(None))


def _window_scale(network: Any, feeds: dict[str, np.ndarray]) -> np.ndarray:
    """The instance scale of each window of ``feeds``, shape (B,)."""
    import torch

    x = {n: torch.from_numpy(a if a.flags.writeable else a.copy()) for n, a in feeds.items()}
    with torch.inference_mode():
        return network.window_scale(x)[:, 0].numpy()


#: What forecast_origins reads from panel batches to build its window (the assembler makes the rest).
_RAW = ("past_target", "past_covariates", "future_covariates", "local_time", "static", "capacity", "utc_time")


def _origin_windows(panel: Any, cut: np.ndarray, L_: int, H: int, cutoffs: list[Any],
                    optional: tuple[int, ...] = ()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Window starts, series and cutoff numbers of every (series, cutoff) with full context and horizon."""
    starts, series, cut_idx = [], [], []
    for s in range(panel.n_series):
        lo, hi = int(panel.offsets[s]), int(panel.offsets[s + 1])
        origin = np.searchsorted(panel.utc[lo:hi], cut, side="right")  # first step after the cutoff
        ok = (origin >= L_) & (origin + H <= hi - lo)
        starts.append(lo + origin[ok] - L_)
        series.append(np.full(int(ok.sum()), s))
        cut_idx.append(np.flatnonzero(ok))
    starts_a = np.concatenate(starts).astype(np.int64)
    series_a = np.concatenate(series).astype(np.int64)
    cut_a = np.concatenate(cut_idx).astype(np.int64)
    if not len(starts_a):
        raise InsufficientDataError(f"no cutoff leaves {L_} steps of context and {H} steps ahead in the data")
    # a window reads past covariates over its context and future ones over context + horizon
    c_bad = np.concatenate([[0], np.cumsum(panel.missing_covariates(optional), dtype=np.int64)])
    bad = np.flatnonzero(c_bad[starts_a + L_ + H] - c_bad[starts_a] > 0)
    if bad.size:
        raise DataError(
            f"covariates are missing inside {bad.size} backtest windows, first for cutoff {cutoffs[cut_a[bad[0]]]}; "
            "complete them or drop those cutoffs"
        )
    return starts_a, series_a, cut_a


def _origin_covariates(model: Any, future: Any, panel: Any, frame: Any, cut: np.ndarray, cut_a: np.ndarray,
                       series_a: np.ndarray, starts_a: np.ndarray) -> tuple[list[int], np.ndarray]:
    """Per-window horizon values of the future covariates that ``future`` holds, (N, H, k)."""
    import polars as pl

    schema = model.schema_
    sid, ts = schema.series_id, schema.timestamp
    cols = [c for c in schema.future_covariates if c in future.columns]
    if not cols:
        raise ConfigError(f"future= holds none of the model's future covariates {list(schema.future_covariates)}")
    H, L_ = model.horizon, model.context_length
    pos = starts_a[:, None] + L_ + np.arange(H)[None, :]
    want = {"cutoff": np.repeat(cut[cut_a], H), "_utc": panel.utc[pos].reshape(-1)}
    wanted = pl.DataFrame(want).with_row_index("_row")
    if sid:
        wanted = wanted.with_columns(pl.Series(sid, [panel.series_ids[s] for s in np.repeat(series_a, H)]).cast(
            frame.schema[sid]))
    table = future.select(*([sid] if sid else []), "cutoff", ts, *cols).with_columns(
        pl.col("cutoff").dt.convert_time_zone("UTC").dt.replace_time_zone(None).cast(pl.Datetime("us")),
        pl.col(ts).dt.convert_time_zone("UTC").dt.replace_time_zone(None).cast(pl.Datetime("us")).alias("_utc"),
    ).drop(ts)
    wanted = wanted.with_columns(pl.col("cutoff", "_utc").cast(pl.Datetime("us")))
    got = wanted.join(table, on=[*([sid] if sid else []), "cutoff", "_utc"], how="left").sort("_row")
    values = got.select(cols).to_numpy().astype(np.float32).reshape(len(starts_a), H, len(cols))
    if np.isnan(values).any():
        w = int(np.argwhere(np.isnan(values))[0][0])
        raise DataError(f"future= lacks {cols} for cutoff {cut[cut_a[w]]} UTC; every horizon step needs a value")
    return [list(schema.future_covariates).index(c) for c in cols], values


def predict_arrays(model: Any, inputs: tuple[np.ndarray, ...], named: dict[str, np.ndarray],
                   batch_size: int = 1024) -> np.ndarray:
    """:meth:`energyai.Forecaster.predict_arrays`: contract arrays in, ``(B, H, Q)`` target units out."""
    feeds = {k: np.asarray(v) for k, v in {**dict(zip(NAMES, inputs, strict=False)), **named}.items()
             if v is not None}
    unknown = sorted(set(feeds) - set(NAMES))
    if unknown:
        raise ConfigError(f"predict_arrays got unknown inputs {unknown}; the contract has {list(NAMES)}")
    model._check_shapes(feeds)
    cap = model.schema_.capacity
    needed = model.network_.reads(capacity=cap is not None)
    missing = [n for n in needed if n not in feeds]
    required = {"past_target", "past_covariates", "future_covariates", "static", "utc_time"}
    if "utc_time" not in feeds:
        required.add("local_time")
    if isinstance(cap, str):
        required.add("capacity")
    if set(missing) & required:
        raise ConfigError(f"this model reads {sorted(set(missing) & required)}; pass them (inputs: {list(NAMES)})")
    pt = feeds["past_target"]
    if "past_observed" in feeds:
        pt = np.where(feeds["past_observed"] > 0, pt, np.nan)
    span = np.zeros((pt.shape[0], pt.shape[1] + model.horizon), np.int64)
    model._input_guard().check(Window(
        target=np.asarray(pt, np.float32), utc=feeds.get("utc_time", span), past=feeds.get("past_covariates"),
        future=feeds.get("future_covariates"), static=feeds.get("static"), capacity=feeds.get("capacity")))
    if missing:
        pt = feeds["past_target"]
        # without utc_time, local_time is given and the zeros only carry the shape (B, L + H)
        span = np.zeros((pt.shape[0], pt.shape[1] + model.horizon), np.int64)
        window = Window(target=pt, utc=feeds.get("utc_time", span),
                        tz=model.schema_.tz or "UTC", local=feeds.get("local_time"),
                        capacity=None if cap is None else np.full((pt.shape[0], model.horizon), float(cap),
                                                                  np.float32))
        feeds.update(assemble(window, missing))
    pred = run_network(model.network_, feeds, model.horizon, len(model.levels_), batch_size)
    check_output(pred)
    context = feeds["past_target"]
    if "past_observed" in feeds:
        context = np.where(np.asarray(feeds["past_observed"]) > 0, context, np.nan)
    check_forecast_scale(pred, np.asarray(context, np.float64), capacity=feeds.get("capacity"),
                         trained=trained_magnitude(getattr(model, "target_range_", None)))
    return pred
