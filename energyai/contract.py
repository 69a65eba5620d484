"""The tensor contract: every input of a forecasting network, declared once.

numpy only, so the device runtime imports it too. Training batches
(:func:`energyai.training.data.make_batch`), :class:`energyai.nn.network.ForecastNetwork`,
the export graph's inputs (:mod:`energyai.export.graph`), the runtime's feeds and
``Forecaster.predict_arrays`` all take the names, order, dtypes and shapes from
:data:`INPUTS`. A window's feeds are produced by :func:`energyai.assemble.assemble`, which
calls each input's ``make`` on a :class:`Window`.

Shapes use ``B`` (windows), ``L`` (context length), ``H`` (horizon) and the column counts
``P`` (past covariates), ``F`` (known-future covariates) and ``S`` (static covariates).

To add an input: declare it in :data:`INPUTS` (and :class:`Batch`) with the function that
makes it from a :class:`Window`, read it in the network or in the feature module that
needs it, and name it in that module's ``reads``. Export and the runtime then carry it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from energyai.exceptions import ConfigError
from energyai.timeutil import local_seconds

__all__ = ["HOLIDAY_COLUMNS", "INPUTS", "NAMES", "Batch", "Input", "Window", "graph_inputs", "input_spec", "spec_shape"]


@dataclass(frozen=True)
class Window:
    """The raw context of ``B`` windows, before it becomes feeds.

    Attributes
    ----------
    target : ndarray of float32, shape (B, L)
        Target in its units, NaN where not observed.
    utc : ndarray of int64, shape (B, L + H)
        UTC seconds of every context and horizon step.
    tz : str
        The model's zone (local time for calendar features).
    past, future, static : ndarray of float32 or None
        ``(B, L, P)``, ``(B, L + H, F)`` and ``(B, S)``; None when the model reads none.
    capacity : ndarray of float32, shape (B, H), or None
        Upper bound of every quantile, in target units.
    local : ndarray of int64, shape (B, L + H), or None
        Local wall-clock seconds when the caller already has them (training panels);
        computed from ``utc`` and ``tz`` otherwise.
    given : mapping of str to ndarray
        Values the caller supplies for other inputs, by contract name (such as
        ``holiday_override``); inputs not given take their declared default.
    """

    target: np.ndarray
    utc: np.ndarray
    tz: str = "UTC"
    past: np.ndarray | None = None
    future: np.ndarray | None = None
    static: np.ndarray | None = None
    capacity: np.ndarray | None = None
    local: np.ndarray | None = field(default=None, repr=False)
    given: Mapping[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def batch(self) -> int:
        return int(self.target.shape[0])

    @property
    def horizon(self) -> int:
        return int(self.utc.shape[1] - self.target.shape[1])


def _past_target(w: Window) -> np.ndarray:
    return w.target


def _past_observed(w: Window) -> np.ndarray:
    observed: np.ndarray = np.isfinite(w.target).astype(np.float32)
    return observed


def _past_covariates(w: Window) -> np.ndarray:
    return w.past if w.past is not None else np.zeros((w.batch, w.target.shape[1], 0), np.float32)


def _future_covariates(w: Window) -> np.ndarray:
    return w.future if w.future is not None else np.zeros((w.batch, w.utc.shape[1], 0), np.float32)


def _local_time(w: Window) -> np.ndarray:
    return w.local if w.local is not None else local_seconds(w.utc, w.tz)


def _static(w: Window) -> np.ndarray:
    return w.static if w.static is not None else np.zeros((w.batch, 0), np.float32)


def _capacity(w: Window) -> np.ndarray:
    return w.capacity if w.capacity is not None else np.full((w.batch, w.horizon), np.inf, np.float32)


def _utc_time(w: Window) -> np.ndarray:
    return w.utc


#: Columns of the holiday features (and of their override), in order.
HOLIDAY_COLUMNS = ("holiday", "bridge", "festival", "off_run")


def _holiday_override(w: Window) -> np.ndarray:
    value = w.given.get("holiday_override")
    shape = (w.batch, w.utc.shape[1], len(HOLIDAY_COLUMNS))
    if value is None:
        return np.full(shape, np.nan, np.float32)
    arr = np.asarray(value, np.float32)
    if arr.shape != shape:
        raise ConfigError(f"holiday_override must have shape (series, context + horizon, 4) = {shape} with NaN "
                          f"where the model's holiday table holds, got {arr.shape}")
    # flags lie in [0, 1]; off_run is days off in a row / 7, at most a year
    high = np.array([1.0, 1.0, 1.0, 366 / 7], np.float32)
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(arr) & ~((arr >= 0) & (arr <= high))
    if bad.any():
        b, t, k = (int(v) for v in np.argwhere(bad)[0])
        raise ConfigError(f"holiday_override {HOLIDAY_COLUMNS[k]!r} of series {b} at step {t} is {arr[b, t, k]}; "
                          f"give 0..{float(high[k]):g} (NaN keeps the model's table)")
    return arr


#: Columns of a PV site (and of its override), in order: degrees, degrees, metres, -.
SITE_COLUMNS = ("latitude", "longitude", "altitude", "linke_turbidity")
_SITE_LOW = np.array([-90.0, -180.0, -500.0, 0.0], np.float32)
_SITE_HIGH = np.array([90.0, 180.0, 9000.0, 10.0], np.float32)


def _site_override(w: Window) -> np.ndarray:
    value = w.given.get("site_override")
    shape = (w.batch, len(SITE_COLUMNS))
    if value is None:
        return np.full(shape, np.nan, np.float32)
    arr = np.asarray(value, np.float32)
    if arr.ndim == 1 and arr.shape[0] == len(SITE_COLUMNS):
        arr = np.broadcast_to(arr, shape)
    if arr.shape != shape:
        raise ConfigError(f"site_override must have shape (series, 4) = {shape}: {list(SITE_COLUMNS)} of each "
                          f"series' PV site, NaN where the model's own site holds; got {arr.shape}")
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(arr) & ~((arr >= _SITE_LOW) & (arr <= _SITE_HIGH))
    if bad.any():
        b, k = (int(v) for v in np.argwhere(bad)[0])
        raise ConfigError(f"site_override {SITE_COLUMNS[k]!r} of series {b} is {arr[b, k]}; give "
                          f"{float(_SITE_LOW[k]):g}..{float(_SITE_HIGH[k]):g} (NaN keeps the model's site)")
    return np.ascontiguousarray(arr)


@dataclass(frozen=True)
class Input:
    """One network input.

    Attributes
    ----------
    name : str
    dtype : {"float32", "int64"}
    dims : tuple of str
        Shape in symbols: ``B``, ``L``, ``H``, ``L+H``, ``P``, ``F``, ``S``.
    units : str
        What the values are; ``{units}`` and ``{tz}`` are filled from the schema.
    role : str or None
        The schema role whose columns lie along the last axis (``target``, ``past``,
        ``future``, ``static``).
    make : callable
        ``make(window) -> ndarray`` in ``dtype`` and ``dims``.
    in_graph : bool
        False for inputs the exported graph derives itself (the observed mask comes
        from NaN in ``past_target``).
    nan_allowed : bool
        NaN marks a missing value (the target) or "no override".
    columns : tuple of str
        Fixed names along the last axis, for inputs without a schema role.
    """

    name: str
    dtype: str
    dims: tuple[str, ...]
    units: str
    role: str | None
    make: Callable[[Window], np.ndarray]
    in_graph: bool = True
    nan_allowed: bool = False
    columns: tuple[str, ...] = ()


#: Every network input, in the network's positional order.
INPUTS: tuple[Input, ...] = (
    Input("past_target", "float32", ("B", "L"), "{units}", "target", _past_target, nan_allowed=True),
    Input("past_observed", "float32", ("B", "L"), "1 where the target was observed, else 0", None, _past_observed,
          in_graph=False),
    Input("past_covariates", "float32", ("B", "L", "P"), "raw covariate units", "past", _past_covariates),
    Input("future_covariates", "float32", ("B", "L+H", "F"), "raw covariate units; context then horizon", "future",
          _future_covariates),
    Input("local_time", "int64", ("B", "L+H"),
          "local wall-clock seconds since 1970-01-01 in {tz}; context then horizon", None, _local_time),
    Input("static", "float32", ("B", "S"), "raw static covariate values", "static", _static),
    Input("capacity", "float32", ("B", "H"), "{units}; upper bound of every quantile", None, _capacity),
    Input("utc_time", "int64", ("B", "L+H"), "UTC seconds since 1970-01-01; context then horizon (solar geometry)",
          None, _utc_time),
    Input("holiday_override", "float32", ("B", "L+H", "4"),
          "holiday feature values replacing the model's day table (off_run in weeks); NaN keeps the table",
          None, _holiday_override, nan_allowed=True, columns=HOLIDAY_COLUMNS),
    Input("site_override", "float32", ("B", "4"),
          "PV site of each series (latitude and longitude in degrees, altitude in m, Linke turbidity) replacing "
          "the model's for solar geometry; NaN keeps the model's", None, _site_override, nan_allowed=True,
          columns=SITE_COLUMNS),
)

#: Input names in order.
NAMES: tuple[str, ...] = tuple(i.name for i in INPUTS)
_BY_NAME = {i.name: i for i in INPUTS}


class Batch(NamedTuple):
    """A training or validation batch: every input of :data:`INPUTS`, then the targets.

    ``future_target`` and ``future_observed`` are ``(B, H)``; ``weight`` is ``(B,)``.
    Arrays are torch tensors in training and numpy arrays elsewhere.
    """

    past_target: Any
    past_observed: Any
    past_covariates: Any
    future_covariates: Any
    local_time: Any
    static: Any
    capacity: Any
    utc_time: Any
    holiday_override: Any
    site_override: Any
    future_target: Any
    future_observed: Any
    weight: Any

    def inputs(self) -> dict[str, Any]:
        """The network inputs, by name."""
        return {name: getattr(self, name) for name in NAMES}


def get(name: str) -> Input:
    """The declaration of one input."""
    return _BY_NAME[name]


def graph_inputs(reads: Sequence[str] | set[str]) -> list[Input]:
    """The exported graph's inputs: those a model ``reads`` that the graph cannot derive, in order."""
    return [i for i in INPUTS if i.name in reads and i.in_graph]


def spec_shape(inp: Input, context: int, horizon: int, counts: Mapping[str, int]) -> list[Any]:
    """The shape of ``inp`` with ``"batch"`` for the dynamic first axis."""
    sizes: dict[str, Any] = {"B": "batch", "L": context, "H": horizon, "L+H": context + horizon, **counts}
    return [int(d) if d.isdigit() else sizes[d] for d in inp.dims]


def input_spec(inp: Input, schema: Any, context: int, horizon: int) -> dict[str, Any]:
    """The metadata entry of one graph input: name, shape, dtype, units, columns, NaN rule."""
    roles = {"target": (schema.target,), "past": tuple(schema.past_covariates),
             "future": tuple(schema.future_covariates), "static": tuple(schema.static_covariates)}
    counts = {"P": len(roles["past"]), "F": len(roles["future"]), "S": len(roles["static"])}
    return {
        "name": inp.name,
        "shape": spec_shape(inp, context, horizon, counts),
        "dtype": inp.dtype,
        "units": inp.units.format(units=schema.units or "target units", tz=schema.tz or "UTC"),
        "columns": list(roles[inp.role]) if inp.role else list(inp.columns),
        "nan_allowed": inp.nan_allowed,
    }
