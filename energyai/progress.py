"""Progress on a terminal, silence elsewhere (standard library only).

``progress="auto"`` (the default of training, backtests, tuning and export) shows progress
only when standard error is a terminal and neither ``CI`` nor ``ENERGYAI_NO_PROGRESS`` is
set, so logs, notebooks' captured output and CI stay clean. ``True`` forces it on, ``False``
off.
"""

from __future__ import annotations

import os
import sys
import time
from types import TracebackType
from typing import Any, TextIO

from energyai.exceptions import ConfigError

__all__ = ["Progress", "progress_enabled"]


def progress_enabled(setting: Any, stream: TextIO | None = None) -> bool:
    """Resolve ``True``, ``False`` or ``"auto"`` (module notes) to a bool."""
    if isinstance(setting, bool):
        return setting
    if setting != "auto":
        raise ConfigError(f"progress must be True, False or 'auto', got {setting!r}")
    stream = stream or sys.stderr
    if os.environ.get("CI") or os.environ.get("ENERGYAI_NO_PROGRESS"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


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

    def __init__(self, total: int, label: str, enabled: bool, stream: TextIO | None = None) -> None:
        self.total, self.label, self.enabled = int(total), label, bool(enabled)
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
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self._drawn < 0.2:
            return
        self._drawn = now
        elapsed = now - self.t0
        eta = "" if not self.done or self.done >= self.total else \
            f", about {elapsed / self.done * (self.total - self.done):.0f} s left"
        self.stream.write(f"\r{self.label}: {self.done}/{self.total} ({elapsed:.0f} s{eta})")
        self.stream.flush()
