"""Progress: a redrawn bar on a terminal, a line every 30 s elsewhere (standard library only).

``progress="auto"`` (the default of training, backtests, tuning and export) draws a bar when
standard error is a terminal (and ``CI`` is not set); in a log, a notebook's captured output or CI it writes a plain
line at the start, at least every :data:`LINE_SECONDS` seconds and at the end (what is done,
elapsed, time left), so a long fit never looks hung. ``ENERGYAI_NO_PROGRESS=1`` silences
"auto". ``True`` forces the bar, ``False`` is silent.
"""

from __future__ import annotations

import os
import sys
import time
from types import TracebackType
from typing import Any, TextIO

from energyai.exceptions import ConfigError

__all__ = ["LINE_SECONDS", "Progress", "progress_enabled", "progress_mode"]

#: Seconds between progress lines where no bar can be drawn.
LINE_SECONDS = 30.0


def progress_mode(setting: Any, stream: TextIO | None = None) -> str:
    """``"bar"``, ``"lines"`` or ``"off"`` for ``True``, ``False`` or ``"auto"`` (module notes)."""
    if isinstance(setting, bool):
        return "bar" if setting else "off"
    if setting != "auto":
        raise ConfigError(f"progress must be True, False or 'auto', got {setting!r}")
    if os.environ.get("ENERGYAI_NO_PROGRESS"):
        return "off"
    if os.environ.get("CI"):  # CI consoles keep every redraw: lines there too
        return "lines"
    stream = stream or sys.stderr
    return "bar" if bool(getattr(stream, "isatty", lambda: False)()) else "lines"


def progress_enabled(setting: Any, stream: TextIO | None = None) -> bool:
    """Whether a redrawn bar is shown (:func:`progress_mode` is ``"bar"``)."""
    return progress_mode(setting, stream) == "bar"


class Progress:
    """A one-line counter: ``label  i/total  elapsed  eta``, redrawn at most 5 times a second.

    Parameters
    ----------
    total : int
        Units of work (folds, trials).
    label : str
        What is counted ("backtest folds").
    enabled : bool
        Off: every call is a no-op.
    stream : file, optional
        Default standard error.
    """

    def __init__(self, total: int, label: str, enabled: bool | str, stream: TextIO | None = None) -> None:
        self.total, self.label = int(total), label
        self.mode = enabled if isinstance(enabled, str) else ("bar" if enabled else "off")
        self.enabled = self.mode != "off"
        self.stream = stream or sys.stderr
        self.done = 0
        self.t0 = time.perf_counter()
        self._drawn = 0.0

    def __enter__(self) -> Progress:
        self._draw(force=True)
        return self

    def update(self, n: int = 1) -> None:
        """Count ``n`` more units done."""
        self.done += n
        self._draw(force=self.done >= self.total)

    def set(self, done: int) -> None:
        """Set the units done (work counted elsewhere, such as a shared study's trials)."""
        self.done = int(done)
        self._draw()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.enabled:
            self._draw(force=True)
            if self.mode == "bar":
                self.stream.write("\n")
            self.stream.flush()

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self._drawn < (0.2 if self.mode == "bar" else LINE_SECONDS):
            return
        self._drawn = now
        elapsed = now - self.t0
        eta = "" if not self.done or self.done >= self.total else \
            f", about {elapsed / self.done * (self.total - self.done):.0f} s left"
        text = f"{self.label}: {self.done}/{self.total} ({elapsed:.0f} s{eta})"
        self.stream.write(f"\r{text}" if self.mode == "bar" else f"{text}\n")
        self.stream.flush()
