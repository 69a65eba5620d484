"""Numeric limits every input passes before it reaches a float32 graph.

numpy only (the device runtime imports it). float32 carries magnitudes up to about
3.4e38, but a forecast multiplies a value by the network's output, and a covariate is
divided by its training spread: a value that fits in float32 can still overflow inside the
graph, or come out as a finite but absurd forecast. energyai therefore refuses, with
:class:`~energyai.exceptions.OutOfRangeError` naming the column and the value:

- any target, covariate, static or capacity value whose magnitude exceeds
  :data:`MAX_ABS` (1e18: a terawatt-hour is 1e15 Wh, so no energy quantity in any unit
  comes near);
- a covariate more than :data:`MAX_SIGMAS` training standard deviations from its
  training mean (a unit or sensor error, such as 1e30 in a temperature column), where the
  model's output would have no meaning. W against MW (1e6) is caught; W against kW is not.

Outputs are checked too (:func:`check_forecast_scale`): a forecast more than
:data:`FORECAST_FACTOR` times the largest magnitude the model could know of (its training
targets, this window's observed context, the capacity) is refused. A diverged fit (a
learning rate of 1e30) gives finite forecasts of 1e34 MW that no other check sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from energyai.exceptions import NonFiniteValueError, OutOfRangeError

__all__ = ["FORECAST_FACTOR", "MAX_ABS", "MAX_SIGMAS", "InputGuard", "check_bounds", "check_forecast_scale",
           "check_magnitude", "check_training_range", "trained_magnitude"]

#: Largest magnitude accepted in any input, in the data's own units.
MAX_ABS = 1e18

#: Largest distance of a covariate from its training mean, in training standard deviations.
MAX_SIGMAS = 1e6

#: Largest forecast magnitude, as a multiple of the largest magnitude the model saw (training
#: targets, the window's context, its capacity). Day-ahead load does not grow tenfold; a
#: zero-shot model on a bigger series sees that series' size in its context.
FORECAST_FACTOR = 10.0


def trained_magnitude(recorded: Any) -> float | None:
    """The largest training target magnitude from a recorded range (``{"min", "max"}`` in a
    saved folder, ``{"low", "high"}`` in a file's metadata), or None when none is recorded."""
    if not isinstance(recorded, dict):
        return None
    pair = [recorded.get(k) for k in (("min", "max") if "min" in recorded else ("low", "high"))]
    values = [float(v) for v in pair if isinstance(v, (int, float)) and np.isfinite(v)]
    return max(abs(v) for v in values) if len(values) == 2 else None


def check_forecast_scale(values: np.ndarray, context: np.ndarray | None, *, capacity: np.ndarray | None = None,
                         trained: float | None = None, series: Sequence[Any] | None = None) -> None:
    """Raise :class:`OutOfRangeError` when a window's forecast exceeds :data:`FORECAST_FACTOR`
    times the largest magnitude its model could know of.

    Parameters
    ----------
    values : ndarray, shape (B, H) or (B, H, Q)
        Finite forecasts in target units (run the non-finite check first).
    context : ndarray, shape (B, L), optional
        The windows' target context, NaN where missing.
    capacity : ndarray, shape (B, H) or (B,), optional
    trained : float, optional
        The largest target magnitude in the training data (None for files exported before
        energyai recorded it: only the context and capacity bound them).
    series : list, optional
        Names for the message.

    A window whose bound is 0 (no training range, an all-zero or missing context, no
    capacity) is not checked.
    """
    if values.size == 0:
        return
    top = float(np.abs(values).max())
    base = float(trained) if trained is not None and np.isfinite(trained) else 0.0
    if top <= FORECAST_FACTOR * base:
        return  # the common case, one reduction
    B = values.shape[0]
    ref = np.full(B, base)
    if context is not None and context.size:
        with np.errstate(invalid="ignore"):
            seen = np.where(np.isfinite(context), np.abs(context), 0.0).reshape(B, -1).max(axis=1)
        ref = np.maximum(ref, seen)
    if capacity is not None:
        cap = np.abs(np.asarray(capacity, np.float64)).reshape(B, -1).max(axis=1)
        ref = np.maximum(ref, np.where(np.isfinite(cap), cap, 0.0))
    out = np.abs(values).reshape(B, -1).max(axis=1)
    bad = (ref > 0) & (out > FORECAST_FACTOR * ref)
    if not bad.any():
        return
    b = int(np.argmax(bad))
    name = series[b] if series is not None and b < len(series) else None
    raise OutOfRangeError(
        f"the forecast for {f'window {b}' if name is None else f'series {name!r}'} reaches {float(out[b]):.6g}, more than {FORECAST_FACTOR:g} times the "
        f"largest magnitude the model knows of ({float(ref[b]):.6g}: its training targets"
        f"{'' if trained is None else f' up to {base:.6g}'}, this window's context and capacity); the model is "
        "broken (a diverged fit: check trainer.learning_rate and the training loss) or its inputs are in other "
        "units. It was not returned"
    )


def _when(times: np.ndarray | None, index: tuple[int, ...]) -> str:
    if times is None:
        return f" at position {index}"
    t = times[index[:times.ndim]] if times.ndim <= len(index) else None
    return f" at {np.datetime64(int(t), 's')} UTC" if t is not None else ""


def check_magnitude(values: np.ndarray, name: str, times: np.ndarray | None = None) -> None:
    """Raise :class:`OutOfRangeError` when a finite value of ``values`` exceeds :data:`MAX_ABS`.

    NaN passes (it means missing, and callers handle it); ``times`` (UTC seconds, shaped as
    the leading axes of ``values``) lets the message give the instant.
    """
    if values.size == 0:
        return
    hi, lo = float(values.max()), float(values.min())  # no temporaries: this runs on every forecast
    if hi != hi or lo != lo:  # NaN somewhere (missing values): look at the observed ones
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return
        hi, lo = float(finite.max()), float(finite.min())
    top = max(hi, -lo)
    if not top > MAX_ABS or top == np.inf:  # inf is the non-finite check's
        return
    where = tuple(int(v) for v in np.argwhere((np.abs(values) > MAX_ABS) & np.isfinite(values))[0])
    raise OutOfRangeError(
        f"{name} has the value {float(values[where]):.6g}{_when(times, where)}, beyond energyai's limit of "
        f"{MAX_ABS:.0e} in magnitude (float32 graphs overflow near 3.4e38); check the units, or mark a bad "
        "reading as missing"
    )


def check_training_range(block: np.ndarray, columns: Sequence[str], mean: Any, std: Any, name: str,
                         times: np.ndarray | None = None) -> None:
    """Raise :class:`OutOfRangeError` when a covariate lies more than :data:`MAX_SIGMAS` training
    standard deviations from its training mean.

    Parameters
    ----------
    block : ndarray, shape (..., K)
        Covariate values, last axis in ``columns`` order.
    mean, std : array-like, shape (K,)
        The training mean and standard deviation of each column (the model's scaler).
    """
    if block.size == 0 or not len(columns):
        return
    m = np.asarray(mean, np.float64)
    s = np.maximum(np.asarray(std, np.float64), 1e-30)
    z = np.abs((block.astype(np.float64) - m) / s)
    if not (z > MAX_SIGMAS).any():
        return
    where = tuple(int(v) for v in np.argwhere(z > MAX_SIGMAS)[0])
    k = where[-1]
    raise OutOfRangeError(
        f"{name} {columns[k]!r} has the value {float(block[where]):.6g}{_when(times, where[:-1])}, "
        f"{float(z[where]):.3g} standard deviations from its training mean {m[k]:.6g} (sd {s[k]:.3g}); the model "
        "cannot say anything about it. Check the column's units and source"
    )


def _bound(values: Any, missing: float) -> np.ndarray:
    return np.array([missing if v is None else float(v) for v in values], np.float64)


def check_bounds(block: np.ndarray, columns: Sequence[str], low: np.ndarray, high: np.ndarray, name: str,
                 times: np.ndarray | None = None) -> None:
    """Raise :class:`OutOfRangeError` for a finite value outside its column's physical bounds
    (``low``/``high`` of shape (K,), -inf/inf where a column has none); NaN passes (missing)."""
    k = min(block.shape[-1], len(low))
    if k == 0:
        return
    part = block[..., :k]
    with np.errstate(invalid="ignore"):
        bad = (part < low[:k]) | (part > high[:k])
    if not bad.any():
        return
    where = tuple(int(v) for v in np.argwhere(bad)[0])
    c = where[-1]
    raise OutOfRangeError(
        f"{name} {columns[c]!r} has the value {float(part[where]):.6g}{_when(times, where[:-1])}, outside its "
        f"physical range {low[c]:g} .. {high[c]:g} (cloud cover in the model's units); check the column's units")


class InputGuard:
    """The magnitude and training-range checks of one model's inputs, by contract role.

    Parameters
    ----------
    target : str
        The target column's name (for messages).
    columns : mapping of str to sequence of str
        Column names of ``past_covariates``, ``future_covariates`` and ``static``.
    ranges : mapping of str to (mean, std), optional
        Training mean and standard deviation per column of each role (the model's feature
        scalers); roles left out get the magnitude check only (files exported before
        energyai 0.9 carry no ranges).
    optional : sequence of str
        Future covariates the model handles missing: NaN is allowed there.
    capacity : bool
        The model has a capacity (it clips, scales or bids by it): an infinite capacity,
        which elsewhere stands for "none", is then refused.
    bounds : mapping of str to (low, high), optional
        Physical bounds per column of a role (lists with None where a column has none),
        such as cloud cover's 0..10 tenths; a value outside is refused.
    """

    ROLES = ("past_covariates", "future_covariates", "static")

    def __init__(self, target: str, columns: dict[str, Sequence[str]],
                 ranges: dict[str, tuple[Any, Any]] | None = None, optional: Sequence[str] = (),
                 capacity: bool = False, bounds: dict[str, tuple[Any, Any]] | None = None) -> None:
        self.target = target
        self.capacity = bool(capacity)
        self.optional = tuple(optional)
        self.columns = {r: list(columns.get(r, ())) for r in self.ROLES}
        self.ranges = {r: (np.asarray(m, np.float64), np.asarray(s, np.float64))
                       for r, (m, s) in (ranges or {}).items()}
        self.bounds = {r: (_bound(lo, -np.inf), _bound(hi, np.inf)) for r, (lo, hi) in (bounds or {}).items()}

    def check(self, window: Any) -> None:
        """Raise :class:`OutOfRangeError` (or :class:`DataError` for a NaN or non-positive
        capacity) for the first bad value of ``window`` (a :class:`~energyai.contract.Window`)."""
        from energyai.exceptions import DataError

        tgt = window.target
        L = tgt.shape[1]
        # the common case in two reductions (this runs on every forecast): all values finite and
        # within the limit; NaN fails both comparisons and takes the full checks
        if tgt.size and not (-MAX_ABS <= float(tgt.min()) and float(tgt.max()) <= MAX_ABS):
            if np.isinf(tgt).any():
                where = tuple(int(v) for v in np.argwhere(np.isinf(tgt))[0])
                raise NonFiniteValueError(f"target {self.target!r} is infinite{_when(window.utc, where)}; use NaN "
                                          "for a missing value")
            check_magnitude(tgt, f"target {self.target!r}", window.utc[:, :L])
        if window.past is None and window.future is None and window.static is None and window.capacity is None:
            return
        blocks = {"past_covariates": (window.past, window.utc[:, :L]),
                  "future_covariates": (window.future, window.utc), "static": (window.static, None)}
        for role, (block, times) in blocks.items():
            if block is None or block.size == 0:
                continue
            cols = self.columns[role] or [str(k) for k in range(block.shape[-1])]
            if not np.isfinite(block.sum(dtype=np.float64)):
                bad = ~np.isfinite(block)
                if role == "future_covariates" and self.optional:
                    skip = [k for k, c in enumerate(cols[:block.shape[-1]]) if c in self.optional]
                    bad[..., skip] = np.isinf(block[..., skip])
                if bad.any():
                    where = tuple(int(v) for v in np.argwhere(bad)[0])
                    raise NonFiniteValueError(
                        f"{role.replace('_', ' ')} {cols[where[-1]]!r} is {float(block[where])}"
                        f"{_when(times, where[:-1])}; covariates must be complete and finite (energyai does not "
                        "interpolate them)")
            for k, col in enumerate(cols[:block.shape[-1]]):
                check_magnitude(block[..., k], f"{role.replace('_', ' ')} {col!r}", times)
            if role in self.ranges:
                mean, std = self.ranges[role]
                check_training_range(block, cols, mean, std, role.replace("_", " "), times)
            if role in self.bounds:
                check_bounds(block, cols, *self.bounds[role], role.replace("_", " "), times)
        cap = window.capacity
        if cap is not None and cap.size:
            if np.isnan(cap).any():
                b, h = (int(v) for v in np.argwhere(np.isnan(cap))[0])
                raise NonFiniteValueError(f"capacity of series {b} is NaN at horizon step {h + 1}; capacity must "
                                          "be a positive number in target units")
            bad = cap <= 0
            if bad.any():
                b, h = (int(v) for v in np.argwhere(bad)[0])
                raise DataError(f"capacity of series {b} is {float(cap[b, h])} at horizon step {h + 1}; capacity "
                                "must be a positive number in target units")
            if self.capacity and np.isinf(cap).any():
                b, h = (int(v) for v in np.argwhere(np.isinf(cap))[0])
                raise NonFiniteValueError(f"capacity of series {b} is infinite or missing at horizon step {h + 1}; "
                                          "this model clips, scales or bids by capacity, so give it in target units")
            check_magnitude(np.where(np.isinf(cap), 0, cap), "capacity")
