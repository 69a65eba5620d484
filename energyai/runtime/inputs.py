"""Turning user inputs into the exported graph's feeds, with clear errors.

Everything here is numpy; frames are read through their own methods (``to_numpy``)
so that neither polars nor pandas is imported.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from energyai.exceptions import (
    ColumnTypeError,
    ConfigError,
    InsufficientDataError,
    MissingColumnError,
    NegativeValueError,
    NonFiniteValueError,
    TimestampError,
)

__all__ = ["as_float_matrix", "check_target", "covariate_block", "frame_columns", "numeric_array", "row_vector"]


def numeric_array(values: Any, name: str) -> np.ndarray:
    """Numbers as float32 (float64, integers and booleans are cast; None becomes NaN)."""
    arr = np.asarray(values)
    if arr.dtype.kind == "b" or arr.dtype.kind in "iu":
        return arr.astype(np.float32)
    if arr.dtype.kind == "f":
        return arr.astype(np.float32, copy=False)
    if arr.dtype.kind == "O":
        try:
            return np.array([np.nan if v is None else v for v in arr.reshape(-1)], dtype=np.float32).reshape(arr.shape)
        except (TypeError, ValueError):
            pass
    raise ColumnTypeError(f"{name} has dtype {arr.dtype}, expected numbers; convert it before forecasting")


def as_float_matrix(values: Any, name: str) -> np.ndarray:
    """``(T,)`` or ``(B, T)`` numbers as a C-contiguous float32 ``(B, T)`` array (float64 is cast)."""
    arr = numeric_array(np.asarray(values), name)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ConfigError(f"{name} must have shape (steps,) or (series, steps), got {arr.shape}")
    return np.ascontiguousarray(arr, dtype=np.float32)


def require_columns(values: dict[str, Any], name: str, columns: list[str]) -> None:
    """Raise :class:`MissingColumnError` naming the ``columns`` a dict input lacks."""
    missing = [c for c in columns if c not in values]
    if missing:
        raise MissingColumnError(f"{name} {missing} are missing; the model reads {columns}")


def covariate_block(values: Any, name: str, columns: list[str], batch: int, steps: int,
                    times: np.ndarray | None = None, optional: tuple[str, ...] = ()) -> np.ndarray:
    """Covariates as float32 ``(B, steps, len(columns))``; no NaN allowed outside ``optional``.

    ``values`` is an array ``(B, T, K)`` / ``(T, K)`` in the model's column order, or a dict
    column -> ``(B, T)`` / ``(T,)``. Longer series keep their last ``steps`` values.
    ``optional`` columns (the model handles them missing) may hold NaN, or be left out of a
    dict (all missing).
    """
    if isinstance(values, dict) and optional:
        absent = [c for c in optional if c in columns and c not in values]
        if absent and len(absent) < len(columns):
            width = next(np.asarray(v).shape[-1] for c, v in values.items() if c in columns and c not in absent)
            values = {**values, **{c: np.full(width, np.nan, np.float32) for c in absent}}
        elif absent:
            values = {c: np.full(steps, np.nan, np.float32) for c in columns}
    if values is None:
        raise MissingColumnError(f"this model reads {name} {columns}; pass them (their order is {columns})")
    if isinstance(values, dict):
        require_columns(values, name, columns)
        extra = sorted(set(values) - set(columns))
        if extra:
            raise MissingColumnError(f"{name} got unknown columns {extra}; the model reads {columns}")
        parts = [as_float_matrix(values[c], f"{name} {c!r}") for c in columns]
        shapes = {p.shape[1] for p in parts}
        if len(shapes) != 1:
            raise ConfigError(f"{name} columns have different lengths {sorted(shapes)}")
        block = np.stack([np.broadcast_to(p, (batch, p.shape[1])) for p in parts], axis=-1)
    else:
        block = numeric_array(np.asarray(values), name)
        if block.ndim == 2:
            block = block[None]
        if block.ndim != 3 or block.shape[-1] != len(columns):
            raise ConfigError(f"{name} must have shape (series, steps, {len(columns)}) for columns {columns}, "
                              f"got {block.shape}")
        block = np.broadcast_to(block, (batch, *block.shape[1:]))
    if block.shape[1] < steps:
        raise InsufficientDataError(f"{name} cover {block.shape[1]} steps; this model needs {steps}")
    block = np.ascontiguousarray(block[:, block.shape[1] - steps:], dtype=np.float32)
    bad = ~np.isfinite(block)
    if optional:
        skip = [k for k, c in enumerate(columns) if c in optional]
        bad[..., skip] = np.isinf(block[..., skip])
    if bad.any():
        b, t, k = (int(v) for v in np.argwhere(bad)[0])
        when = f" at {np.datetime64(int(times[b, t]), 's')} UTC" if times is not None else f" at step {t}"
        raise NonFiniteValueError(
            f"{name} {columns[k]!r} of series {b} is missing or not finite{when}; covariates must be complete "
            "(energyai does not interpolate them)"
        )
    return block


def row_vector(values: Any, name: str, batch: int, width: int) -> np.ndarray:
    """A scalar, ``(width,)``, ``(B,)`` or ``(B, width)`` as float32 ``(B, width)``."""
    arr = numeric_array(np.asarray(values), name)
    if arr.ndim == 0:
        arr = np.full((batch, width), float(arr), np.float32)
    elif arr.ndim == 1 and arr.shape[0] == width and batch == 1:
        arr = arr[None, :]
    elif arr.ndim == 1 and arr.shape[0] == batch:
        arr = np.repeat(arr[:, None], width, axis=1)
    elif arr.ndim == 1 and arr.shape[0] == width:
        arr = np.broadcast_to(arr[None, :], (batch, width))
    if arr.shape != (batch, width):
        raise ConfigError(f"{name} must be a number or have shape ({batch},) or ({batch}, {width}), got {arr.shape}")
    return np.ascontiguousarray(arr, dtype=np.float32)


def check_target(y: np.ndarray, times: np.ndarray, nonnegative: bool, name: str) -> None:
    """Infinite values and (for non-negative targets) negative values are errors; NaN is missing."""
    if np.isinf(y).any():
        b, t = (int(v) for v in np.argwhere(np.isinf(y))[0])
        raise NonFiniteValueError(f"target {name!r} of series {b} is infinite at "
                                  f"{np.datetime64(int(times[b, t]), 's')} UTC; use NaN for missing values")
    if nonnegative and (y < 0).any():
        b, t = (int(v) for v in np.argwhere(y < 0)[0])
        raise NegativeValueError(
            f"target {name!r} of series {b} is negative ({y[b, t]}) at {np.datetime64(int(times[b, t]), 's')} UTC; "
            "the model was trained on a non-negative target; set bad readings to NaN"
        )


def frame_columns(data: Any) -> dict[str, np.ndarray]:
    """Columns of a dict of arrays, a polars DataFrame or a pandas DataFrame, as numpy.

    Time-zone-aware timestamp columns become int64 UTC epoch seconds (exact instants);
    naive ones stay ``datetime64`` and are read later as local time in the model's zone,
    the same rule as :func:`energyai.data.validate` (``docs/data-contract.md``). Neither
    polars nor pandas is imported: the frame's own methods are used.
    """
    if isinstance(data, dict):
        return {str(k): np.asarray(v) for k, v in data.items()}
    module = type(data).__module__.split(".")[0]
    if module == "polars":
        out = {}
        for name in data.columns:
            s = data[name]
            if str(s.dtype).startswith("Datetime") and getattr(s.dtype, "time_zone", None):
                _no_missing_time(int(s.null_count()), name)
                out[name] = s.dt.epoch("s").to_numpy().astype(np.int64)
            else:
                out[name] = s.to_numpy()
        return out
    if module == "pandas":
        out = {}
        for name in data.columns:
            s = data[name]
            if getattr(getattr(s, "dt", None), "tz", None) is not None:
                _no_missing_time(int(s.isna().sum()), str(name))
                s = s.dt.tz_convert("UTC").dt.tz_localize(None)
                out[str(name)] = s.to_numpy().astype("datetime64[s]").astype(np.int64)
            else:
                out[str(name)] = s.to_numpy()
        return out
    raise ConfigError(f"data must be a dict of arrays or a polars/pandas DataFrame, got {type(data).__name__}")


def _no_missing_time(missing: int, name: str) -> None:
    if missing:
        raise TimestampError(f"column {name!r} has {missing} missing timestamps; every row needs one")
