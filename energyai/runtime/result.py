"""The runtime's forecast: timestamps and quantiles in raw units, with fallback flags."""

from __future__ import annotations

import csv
import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from energyai.timeutil import zone

__all__ = ["RuntimeForecast", "quantile_name"]


def quantile_name(level: float) -> str:
    """Column name of a quantile level, as ``energyai.Forecaster.predict`` names it."""
    return f"q{level:g}"


@dataclass(frozen=True)
class RuntimeForecast:
    """Forecasts of B series for H steps.

    Attributes
    ----------
    series : list
        Series ids (None for unnamed series).
    timestamps : ndarray of datetime64[s], shape (B, H)
        UTC.
    values : ndarray of float32, shape (B, H, Q)
        Quantiles in target units, sorted along Q.
    levels : tuple of float
    median_index : int
    fallback : ndarray of bool, shape (B,)
        True where the model was replaced by the fallback (too gappy a context).
    method : list of str
        ``"model"`` or the fallback method, per series.
    tz : str
        The model's time zone (used when writing local timestamps).
    """

    series: list[Any]
    timestamps: np.ndarray
    values: np.ndarray
    levels: tuple[float, ...]
    median_index: int
    fallback: np.ndarray
    method: list[str]
    tz: str = "UTC"
    #: (B, H): the KPX submission chosen in the graph (files exported with ``submission=``),
    #: or None. Where ``fallback`` is set it is the fallback's median.
    submission: np.ndarray | None = None

    @property
    def median(self) -> np.ndarray:
        """The median forecast, shape (B, H)."""
        return self.values[..., self.median_index]

    def quantile(self, level: float) -> np.ndarray:
        """One quantile, shape (B, H)."""
        return self.values[..., self.levels.index(level)]

    def to_columns(self, series_name: str | None = "series", timestamp_name: str = "timestamp") -> dict[str, np.ndarray]:
        """Long format: one row per (series, step): series, timestamp (UTC), forecast, quantiles, flags.

        ``series_name=None`` leaves the series column out (one unnamed series).
        """
        H = self.timestamps.shape[1]
        cols: dict[str, np.ndarray] = {}
        if series_name is not None:
            cols[series_name] = np.repeat(np.array(self.series, dtype=object), H)
        cols[timestamp_name] = self.timestamps.reshape(-1).astype("datetime64[us]")
        cols["forecast"] = self.median.reshape(-1).astype(np.float64)
        for i, q in enumerate(self.levels):
            if q != 0.5 or len(self.levels) > 1:
                cols[quantile_name(q)] = self.values[..., i].reshape(-1).astype(np.float64)
        if self.submission is not None:
            cols["submission"] = self.submission.reshape(-1).astype(np.float64)
        cols["fallback"] = np.repeat(self.fallback, H)
        cols["method"] = np.repeat(np.array(self.method, dtype=object), H)
        return cols

    def to_frame(self, series_name: str | None = "series", timestamp_name: str = "timestamp") -> Any:
        """A polars DataFrame (or pandas when polars is absent) with UTC-aware timestamps."""
        cols = self.to_columns(series_name, timestamp_name)
        try:
            import polars as pl

            frame = pl.DataFrame({k: (v.tolist() if v.dtype == object else v) for k, v in cols.items()})
            return frame.with_columns(pl.col(timestamp_name).dt.replace_time_zone("UTC"))
        except ImportError:
            import pandas as pd

            frame = pd.DataFrame(cols)
            frame[timestamp_name] = pd.to_datetime(frame[timestamp_name]).dt.tz_localize("UTC")
            return frame

    def to_csv(self, path: str | Path, series_name: str | None = "series", timestamp_name: str = "timestamp",
               local: bool = True) -> Path:
        """Write the long format as CSV; timestamps ISO 8601 with offset, local to the model's zone."""
        out = Path(path)
        with out.open("w", newline="") as fh:
            self.write_csv(fh, series_name, timestamp_name, local)
        return out

    def write_csv(self, fh: Any, series_name: str | None = "series", timestamp_name: str = "timestamp",
                  local: bool = True, lineterminator: str = "\r\n") -> None:
        """:meth:`to_csv` into an open text stream (``sys.stdout``, a ``StringIO``); no file is made.
        ``lineterminator``: the csv module's default (RFC 4180), ``"\\n"`` for a terminal."""
        cols = self.to_columns(series_name, timestamp_name)
        z = zone(self.tz) if local else _dt.timezone.utc
        names = list(cols)
        w = csv.writer(fh, lineterminator=lineterminator)
        w.writerow(names)
        secs = cols[timestamp_name].astype("datetime64[s]").astype(np.int64)
        for i in range(len(secs)):
            row: list[Any] = []
            for n in names:
                if n == timestamp_name:
                    row.append(_dt.datetime.fromtimestamp(int(secs[i]), z).isoformat())
                elif n in ("fallback",):
                    row.append(str(bool(cols[n][i])).lower())
                elif cols[n].dtype == object:
                    row.append("" if cols[n][i] is None else cols[n][i])
                else:
                    row.append(repr(float(cols[n][i])))
            w.writerow(row)
