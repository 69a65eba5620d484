"""Streaming use on a device: append the newest measurement, forecast again, no reload."""

from __future__ import annotations

from typing import Any

import numpy as np

from energyai.exceptions import ConfigError, InsufficientDataError, TimestampError
from energyai.runtime.forecaster import OnnxForecaster
from energyai.runtime.result import RuntimeForecast
from energyai.timeutil import to_utc_seconds

__all__ = ["StreamingForecaster"]


class StreamingForecaster:
    """A rolling context of one series in front of an :class:`OnnxForecaster`.

    Parameters
    ----------
    model : OnnxForecaster
    series : optional
        Id carried into every forecast.
    recalibrate : int
        0: off. Otherwise the number of most recent forecasts whose errors, once their
        actuals have arrived through :meth:`update`, re-estimate a conformal shift per lead
        and level in target units (:func:`energyai.runtime.conformal.lead_shifts`), added
        to every later forecast on top of the file's own calibration. No retraining and no
        new file: the device keeps its bands honest as the season or the plant changes.
    min_windows : int
        Scored forecasts a lead needs before its shift is used (until then: none).

    Notes
    -----
    The buffer keeps the last ``context_length`` steps (target and past/future covariate
    values of those steps). A measurement that skips steps leaves NaN targets in between
    (masked by the model, and counted in ``gaps_``); covariates must still be supplied
    for every step, so a skipped step with covariates is an error. Nothing is
    interpolated.
    """

    def __init__(self, model: OnnxForecaster, series: Any = None, recalibrate: int = 0,
                 min_windows: int = 30) -> None:
        if not isinstance(recalibrate, int) or isinstance(recalibrate, bool) or recalibrate < 0:
            raise ConfigError(f"recalibrate must be 0 (off) or a number of recent forecasts, got {recalibrate!r}")
        if recalibrate and not (isinstance(min_windows, int) and 2 <= min_windows <= recalibrate):
            raise ConfigError(f"min_windows must be an int in 2..recalibrate ({recalibrate}), got {min_windows!r}")
        self.model, self.series = model, series
        self.recalibrate, self.min_windows = recalibrate, min_windows
        info = model.info
        self._L, self._step = info.context_length, info.freq_seconds
        self._past = info.columns("past_covariates")
        self._future = info.columns("future_covariates")
        self._y = np.full(self._L, np.nan, np.float32)
        self._t = np.zeros(self._L, np.int64)
        self._pc = np.full((self._L, len(self._past)), np.nan, np.float32)
        self._fc = np.full((self._L, len(self._future)), np.nan, np.float32)
        self.n_seen_ = 0
        self.gaps_ = 0
        H, Q = info.horizon, len(info.quantiles)
        #: issued forecasts awaiting actuals: (UTC seconds of the horizon (H,), raw quantiles (H, Q))
        self._issued: list[tuple[np.ndarray, np.ndarray]] = []
        #: per lead: scored (actual, raw quantiles) pairs, newest last
        self._scored: list[list[tuple[float, np.ndarray]]] = [[] for _ in range(H)]
        self.shifts_ = np.zeros((H, Q), np.float64)  # target units, added to later forecasts

    @property
    def last_timestamp(self) -> np.datetime64 | None:
        """UTC time of the newest step, or None before the first update."""
        return np.datetime64(int(self._t[-1]), "s") if self.n_seen_ else None

    def update(self, timestamp: Any, value: float, covariates: dict[str, float] | None = None) -> None:
        """Append one measurement (NaN for a missing reading).

        Parameters
        ----------
        timestamp : datetime64, ISO string or epoch seconds
            Must be one or more whole steps after the previous one.
        value : float
            Target value in training units.
        covariates : dict, optional
            Values of the past and future covariates at this step.
        """
        if np.ndim(timestamp) != 0:
            raise TimestampError(f"update() takes one timestamp per call, got an array of shape {np.shape(timestamp)}; "
                                 "call it once per reading")
        t = int(to_utc_seconds(np.array([timestamp]), self.model.info.tz)[0])
        value = self._reading(value, "value", t)
        covariates = {k: self._reading(v, f"covariate {k!r}", t) for k, v in (covariates or {}).items()}
        need = self._past + self._future
        missing = [c for c in need if c not in covariates]
        if missing:
            raise ConfigError(f"update() needs the covariates {missing} of this step")
        n_new = 1
        if self.n_seen_:
            delta = t - int(self._t[-1])
            if delta <= 0 or delta % self._step:
                raise TimestampError(
                    f"timestamp {np.datetime64(t, 's')} is not a whole number of {self._step} s steps after "
                    f"{np.datetime64(int(self._t[-1]), 's')}"
                )
            n_new = delta // self._step
            if n_new > 1 and need:
                raise TimestampError(f"{n_new - 1} steps were skipped; their covariates are needed, "
                                     "so supply every step (NaN target where the reading is missing)")
        k = min(n_new, self._L)
        self._y = np.roll(self._y, -k)
        self._t = np.roll(self._t, -k)
        self._y[-k:] = np.nan
        self._t[-k:] = t - self._step * np.arange(k - 1, -1, -1)
        self._y[-1] = np.float32(value)
        if need:
            self._pc = np.roll(self._pc, -1, axis=0)
            self._fc = np.roll(self._fc, -1, axis=0)
            self._pc[-1] = [covariates[c] for c in self._past]
            self._fc[-1] = [covariates[c] for c in self._future]
        self.gaps_ += n_new - 1
        self.n_seen_ += n_new
        if self.recalibrate and np.isfinite(value):
            self._score(t, float(value))

    def _score(self, t: int, value: float) -> None:
        """File the error of every issued forecast that covered ``t``; refresh the shifts."""
        keep = []
        for times, quant in self._issued:
            hit = np.flatnonzero(times == t)
            if hit.size:
                h = int(hit[0])
                self._scored[h] = [*self._scored[h], (value, quant[h])][-self.recalibrate:]
            if times[-1] > t:
                keep.append((times, quant))
        self._issued = keep
        from energyai.runtime.conformal import lead_shifts

        levels = tuple(self.model.info.quantiles)
        for h, pairs in enumerate(self._scored):
            if len(pairs) >= self.min_windows:
                a = np.array([p[0] for p in pairs])
                q = np.stack([p[1] for p in pairs]).astype(np.float64)
                self.shifts_[h] = lead_shifts(a, q, np.ones_like(a), levels)

    def forecast(self, future_covariates: dict[str, Any] | None = None, static: Any = None,
                 capacity: Any = None) -> RuntimeForecast:
        """Forecast the next ``horizon`` steps from the buffer.

        ``future_covariates`` maps each future covariate to its ``horizon`` values.
        """
        if self.n_seen_ < self._L:
            raise InsufficientDataError(
                f"the stream holds {self.n_seen_} steps; the model reads {self._L}; keep calling update()"
            )
        kwargs: dict[str, Any] = {}
        if self._past:
            kwargs["past_covariates"] = {c: self._pc[:, i][None] for i, c in enumerate(self._past)}
        if self._future:
            if future_covariates is None:
                raise ConfigError(f"forecast() needs future_covariates for {self._future}")
            kwargs["future_covariates"] = {
                c: np.concatenate([self._fc[:, i], np.asarray(future_covariates[c], np.float32)])[None]
                for i, c in enumerate(self._future)
            }
        out = self.model.predict_arrays(self._y[None], self._t[None], static=static, capacity=capacity,
                                        series=[self.series], **kwargs)
        if not self.recalibrate or out.fallback[0]:  # a fallback's errors say nothing about the model
            return out
        times = out.timestamps[0].astype("datetime64[s]").astype(np.int64)
        raw = out.values[0].astype(np.float64)
        self._issued = [*self._issued, (times, raw.copy())][-4 * len(times):]
        if not self.shifts_.any():
            return out
        shifted = np.sort(raw + self.shifts_, axis=-1)
        if self.model.info.capacity.get("nonnegative"):
            shifted = np.maximum(shifted, 0.0)
        cap = capacity if capacity is not None else self.model.info.capacity.get("default")
        if cap is not None:  # the graph clips at capacity; the shift must not undo it
            c = np.asarray(cap, np.float64).reshape(-1)
            shifted = np.minimum(shifted, (np.full(raw.shape[0], c[0]) if c.size == 1 else c[-raw.shape[0]:])[:, None])
        values = out.values.copy()
        # steps the graph forced to one value (a PV model's night zeros) stay as they are
        forced = (raw == raw[:, :1]).all(axis=1, keepdims=True)
        values[0] = np.where(forced, raw, shifted)
        from dataclasses import replace

        from energyai.assemble import check_output
        from energyai.limits import check_forecast_scale, check_magnitude, trained_magnitude

        final = values.astype(out.values.dtype)
        check_output(final, [self.series])  # the shift is the last step that changes the forecast
        check_magnitude(final, "the recalibrated forecast")
        check_forecast_scale(final, self._y[None].astype(np.float64), capacity=None if cap is None else
                             np.full((1, 1), float(np.max(np.abs(np.asarray(cap, np.float64))))),
                             trained=trained_magnitude(self.model.info.ranges.get("target")), series=[self.series])
        return replace(out, values=final)

    @staticmethod
    def _reading(value: Any, name: str, t: int) -> float:
        """One reading as a float: NaN (missing) passes; inf, non-numbers and values beyond
        :data:`energyai.limits.MAX_ABS` are typed errors naming the instant."""
        from energyai.exceptions import DataError, NonFiniteValueError
        from energyai.limits import check_magnitude

        try:
            v = float(value)
        except (TypeError, ValueError, OverflowError):
            raise DataError(f"update(): {name} at {np.datetime64(t, 's')} is {value!r}, not a number") from None
        if v in (np.inf, -np.inf):
            raise NonFiniteValueError(f"update(): {name} at {np.datetime64(t, 's')} is {v}; give NaN for a missing "
                                      "reading")
        check_magnitude(np.array([v]), f"update(): {name} at {np.datetime64(t, 's')}")
        return v
