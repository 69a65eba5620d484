"""The one window assembler: a context becomes the network's feeds.

numpy only (the device runtime imports it). Every forecast path ends here:
:class:`energyai.runtime.OnnxForecaster`, ``Forecaster.predict``,
``Forecaster.predict_arrays`` and ``Forecaster.forecast_origins`` each reduce their input
to a :class:`~energyai.contract.Window` (target with NaN where missing, UTC instants of
context and horizon, covariates, statics, capacity) and call :func:`assemble`, which makes
every requested input with its maker from :data:`energyai.contract.INPUTS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from energyai import contract
from energyai.contract import Window
from energyai.exceptions import InsufficientDataError, NonFiniteValueError
from energyai.limits import InputGuard
from energyai.timeutil import check_grid, future_seconds

__all__ = ["assemble", "check_output", "horizon_utc", "last_context"]


def assemble(window: Window, names: Sequence[str], guard: InputGuard | None = None) -> dict[str, np.ndarray]:
    """The feeds ``names`` (contract order is kept) made from ``window``.

    Parameters
    ----------
    window : Window
    names : sequence of str
        Input names from :data:`energyai.contract.NAMES`, such as an exported file's
        graph inputs or every network input.

    Returns
    -------
    dict of str to ndarray
        One C-contiguous array per name, in the contract's dtype and shape.
    """
    if guard is not None:
        guard.check(window)
    out = {}
    for name in names:
        arr = contract.get(name).make(window)
        out[name] = arr if arr.flags.c_contiguous else np.ascontiguousarray(arr)
    return out


def last_context(target: np.ndarray, utc: np.ndarray, context: int, freq_seconds: int,
                 tz: str) -> tuple[np.ndarray, np.ndarray]:
    """The last ``context`` steps of ``(B, T)`` target and UTC arrays, checked to lie on the grid.

    Raises
    ------
    InsufficientDataError
        Fewer than ``context`` steps.
    IrregularTimestampError
        Steps that are not exactly ``freq_seconds`` apart (local days for daily data).
    """
    T = target.shape[1]
    if T < context:
        raise InsufficientDataError(
            f"target has {T} steps; this model reads the last {context} (context_length). Pass at least "
            f"{context} steps, with NaN where values are missing"
        )
    y = target[:, T - context:]
    t = utc[:, T - context:]
    check_grid(t, freq_seconds, tz)
    return y, t


def horizon_utc(context_utc: np.ndarray, freq_seconds: int, horizon: int, tz: str) -> np.ndarray:
    """UTC seconds of context and horizon, ``(B, L + H)``: the context's, then ``horizon`` more steps."""
    ahead = future_seconds(context_utc[:, -1], freq_seconds, horizon, tz)
    return np.concatenate([context_utc, ahead], axis=1)


def check_output(values: np.ndarray, series: list[Any] | None = None) -> None:
    """Raise :class:`NonFiniteValueError` when a model returned NaN or inf for some window.

    A finite input can still give a non-finite output (a date outside a model's holiday
    table, values beyond what float32 carries); such a forecast is never returned.
    """
    if np.isfinite(values.sum(dtype=np.float64)):
        return  # NaN and inf reach the sum (float64: finite float32 values cannot overflow it)
    bad = ~np.isfinite(values)
    if bad.any():
        b = int(np.argwhere(bad)[0][0])
        name = series[b] if series is not None and b < len(series) else b
        raise NonFiniteValueError(
            f"the model returned a non-finite forecast for series {name!r} ({int(bad[b].sum())} values); check "
            "its inputs: dates outside the model's holiday table, or values beyond float32's range"
        )
