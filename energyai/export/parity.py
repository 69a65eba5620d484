"""The export parity gate: onnxruntime must forecast what torch forecasts.

Checks run on real training windows (kept with the model at ``fit``):

- batch 1, 7 and 64 agree with torch to ``|ort - torch| <= atol + rtol * |torch|`` with
  ``rtol = 1e-4`` and ``atol = 1e-5 * scale``, ``scale`` being the largest absolute
  torch output of the set (float32 kernels differ between the two runtimes in the last
  bits; these tolerances are the issue's, and are 10-100x above the differences seen);
- a window with missing targets (NaN) and a flat window (zero spread, the instance
  scaler's epsilon path) agree the same way and are finite;
- every output is finite, quantiles are non-decreasing, non-negative where the schema
  says so, and at most the capacity input.

A quantised file is held to the structural checks, and its deviation from the float32
torch forecasts and the change of the median's MAE on the windows' real futures are
reported (and limited by ``max_metric_change``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from energyai.exceptions import ExportError

__all__ = ["ParityResult", "gate_sets", "run_gate"]

RTOL = 1e-4
ATOL_SCALE = 1e-5


@dataclass
class ParityResult:
    """Outcome of the gate, one entry per checked set."""

    checks: dict[str, dict[str, float]] = field(default_factory=dict)
    int8: dict[str, float] | None = None
    #: the KPX submission output's check (energyai.export.submission), when the file has one
    submission: dict[str, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"rtol": RTOL, "atol_relative_to_scale": ATOL_SCALE, "checks": self.checks, "int8": self.int8,
                "submission": self.submission}


def gate_sets(windows: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """Batches of 1, 7 and 64 real windows, a window with NaN and a flat window."""
    n = windows["past_target"].shape[0]

    def take(idx: np.ndarray) -> dict[str, np.ndarray]:
        return {k: np.ascontiguousarray(v[idx]) for k, v in windows.items()}

    sets = {f"batch{b}": take(np.arange(b) % n) for b in (1, 7, 64)}
    gappy = take(np.array([0]))
    pt = gappy["past_target"].copy()
    pt[:, ::3] = np.nan  # a third of the context missing, including the first value
    gappy["past_target"] = pt
    sets["nan_window"] = gappy
    flat = take(np.array([0]))
    level = np.nanmean(flat["past_target"]) if np.isfinite(flat["past_target"]).any() else 0.0
    flat["past_target"] = np.full_like(flat["past_target"], level)
    sets["flat_window"] = flat
    return sets


def _structure(name: str, out: np.ndarray, feeds: dict[str, np.ndarray], nonnegative: bool,
               trained: float | None = None) -> None:
    from energyai.exceptions import OutOfRangeError
    from energyai.limits import check_forecast_scale

    if not np.isfinite(out).all():
        raise ExportError(f"parity gate, {name}: onnxruntime produced non-finite forecasts; the file was not written")
    context = feeds["past_target"]
    if "past_observed" in feeds:
        context = np.where(feeds["past_observed"] > 0, context, np.nan)
    try:
        check_forecast_scale(out, np.asarray(context, np.float64), capacity=feeds.get("capacity"), trained=trained)
    except OutOfRangeError as exc:
        raise ExportError(f"parity gate, {name}: {exc}; the file was not written") from exc
    if out.shape[-1] > 1 and (np.diff(out, axis=-1) < 0).any():
        raise ExportError(f"parity gate, {name}: quantiles are not sorted; the file was not written")
    if nonnegative and (out < 0).any():
        raise ExportError(f"parity gate, {name}: negative forecast {out.min()} for a non-negative target")
    if "capacity" in feeds and (out > feeds["capacity"][..., None]).any():
        raise ExportError(f"parity gate, {name}: forecast above the capacity input")


def run_gate(
    torch_fn: Any,
    session: Any,
    windows: dict[str, np.ndarray],
    input_names: list[str],
    nonnegative: bool,
    median_index: int,
    quantized: bool = False,
    max_metric_change: float = 0.01,
    trained: float | None = None,
) -> ParityResult:
    """Compare an onnxruntime session with the torch graph; raise :class:`ExportError` on failure.

    Parameters
    ----------
    torch_fn : callable
        ``torch_fn(feeds) -> ndarray (B, H, Q)``, the float32 torch reference.
    session : onnxruntime.InferenceSession
    windows : dict of ndarray
        From :func:`energyai.training.data.sample_windows`.
    input_names : list of str
        The graph inputs, in order.
    nonnegative : bool
    median_index : int
        Position of the 0.5 level along Q.
    quantized : bool
        Judge as an int8 file: structure plus deviation report instead of the fp32 tolerance.
    max_metric_change : float
        For int8: the largest allowed relative change of the median's MAE on the windows.
    trained : float, optional
        The largest training target magnitude: forecasts beyond
        :data:`~energyai.limits.FORECAST_FACTOR` times it (and the window's context) fail.
    """
    result = ParityResult()
    for name, data in gate_sets(windows).items():
        feeds = {k: data[k] for k in input_names}
        ref = torch_fn(feeds)
        out = session.run(None, feeds)[0]
        if out.shape != ref.shape:
            raise ExportError(f"parity gate, {name}: onnxruntime output shape {out.shape}, torch {ref.shape}")
        _structure(name, out, feeds, nonnegative, trained)
        err = np.abs(out.astype(np.float64) - ref.astype(np.float64))
        scale = float(max(np.abs(ref).max(), 1e-12))
        limit = ATOL_SCALE * scale + RTOL * np.abs(ref)
        result.checks[name] = {"max_abs_err": float(err.max()), "scale": scale,
                               "max_err_over_limit": float((err / limit).max())}
        if not quantized and (err > limit).any():
            worst = np.unravel_index(int(np.argmax(err - limit)), err.shape)
            raise ExportError(
                f"parity gate, {name}: onnxruntime differs from torch by {err[worst]:.3g} at (window, step, "
                f"quantile) {tuple(int(i) for i in worst)}, above rtol {RTOL} and atol {ATOL_SCALE} x scale "
                f"{scale:.4g}; the file was not written"
            )
    if quantized:
        feeds = {k: windows[k] for k in input_names}
        ref = torch_fn(feeds)
        out = session.run(None, feeds)[0]
        dev = np.abs(out.astype(np.float64) - ref)
        truth = windows["future_target"].astype(np.float64)
        ok = np.isfinite(truth)
        mae_ref = float(np.abs(ref[..., median_index] - truth)[ok].mean()) if ok.any() else float("nan")
        mae_q = float(np.abs(out[..., median_index] - truth)[ok].mean()) if ok.any() else float("nan")
        change = (mae_q - mae_ref) / mae_ref if mae_ref > 0 else 0.0
        result.int8 = {"max_abs_dev": float(dev.max()), "mean_abs_dev": float(dev.mean()),
                       "mae_fp32": mae_ref, "mae_int8": mae_q, "relative_mae_change": float(change),
                       "windows": int(truth.shape[0])}
        if abs(change) > max_metric_change:
            raise ExportError(
                f"int8 quantisation changes the median's MAE on {truth.shape[0]} real windows by "
                f"{100 * change:+.2f}% (limit {100 * max_metric_change:.1f}%; max deviation {dev.max():.4g} in "
                "target units); the file was not written. Export in float32, or raise max_metric_change"
            )
    return result
