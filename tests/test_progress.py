"""Progress shows on a terminal only, and says how far along it is."""

from __future__ import annotations

import io

import pytest

from energyai.exceptions import ConfigError
from energyai.progress import Progress, progress_enabled


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auto_follows_the_terminal_and_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("ENERGYAI_NO_PROGRESS", raising=False)
    assert progress_enabled("auto", _Tty()) is True
    assert progress_enabled("auto", io.StringIO()) is False  # a pipe or a captured stream
    monkeypatch.setenv("CI", "true")
    assert progress_enabled("auto", _Tty()) is False
    assert progress_enabled(True, io.StringIO()) is True and progress_enabled(False, _Tty()) is False
    with pytest.raises(ConfigError, match="progress must be True, False or 'auto'"):
        progress_enabled("yes")


def test_the_counter_draws_done_and_total_and_ends_its_line():
    out = io.StringIO()
    with Progress(3, "backtest folds", True, out) as bar:
        for _ in range(3):
            bar.update()
    text = out.getvalue()
    assert text.startswith("\rbacktest folds: 0/3") and "3/3" in text and text.endswith("\n")
    quiet = io.StringIO()
    with Progress(3, "x", False, quiet) as bar:
        bar.update()
    assert quiet.getvalue() == ""


def test_training_rejects_a_bad_progress_setting():
    pytest.importorskip("lightning")
    from energyai.forecaster import Forecaster

    with pytest.raises(ConfigError, match="progress_bar"):
        Forecaster("dlinear", context_length=24, horizon=6, progress_bar="sometimes")._resolved()
