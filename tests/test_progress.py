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


def test_outside_a_terminal_progress_is_a_line_at_start_and_end(capsys, monkeypatch):
    """In a log, a notebook or CI ("auto" without a terminal) training writes plain lines, no bar."""
    import energyai as ea
    from energyai.progress import progress_mode
    from tests.conftest import synthetic_hourly

    monkeypatch.delenv("ENERGYAI_NO_PROGRESS", raising=False)
    assert progress_mode("auto") == "lines" and progress_mode(True) == "bar" and progress_mode(False) == "off"
    monkeypatch.setenv("ENERGYAI_NO_PROGRESS", "1")
    assert progress_mode("auto") == "off"
    monkeypatch.delenv("ENERGYAI_NO_PROGRESS")
    df = synthetic_hourly(10, 1)
    schema = ea.Schema(series_id="site", timestamp="ts", target="load", freq="1h", tz="UTC")
    ea.Forecaster("dlinear", context_length=24, horizon=6, max_steps=3, batch_size=8).fit(df.drop("temp"), schema)
    err = capsys.readouterr().err
    assert "fit dlinear: step 0/3 (0%)" in err and "fit dlinear: step 3/3 (100%)" in err
    assert "\r" not in err
