"""Crash-safe writes leave nothing behind: the folder swap and the sweep of killed writes.

A killed write leaves ``.<name>.<pid>.<id>.(partial|old|tmp)`` beside its target; the next
write of that name removes those whose process has ended and keeps those of live
processes. Where the system swaps folders in one step (Linux ``renameat2``), a save into an
existing folder has no moment without a model at the path.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from energyai.fileio import atomic_write_bytes, exchange_paths, replace_dir, staging_dir, sweep_stale


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    return int(proc.stdout)


def test_the_next_write_removes_what_killed_writes_left_and_keeps_live_ones(tmp_path):
    target = tmp_path / "model"
    dead, live = _dead_pid(), os.getppid()
    left = [tmp_path / f".model.{dead}.abc123.partial", tmp_path / f".model.{dead}.def456.old"]
    for d in left:
        d.mkdir()
        (d / "weights.bin").write_bytes(b"x")
    (tmp_path / f".model.{dead}.0a1b.tmp").write_bytes(b"half a file")
    kept = [tmp_path / f".model.{live}.aaaa.partial", tmp_path / ".model.notapid.old", tmp_path / ".other.1.x.tmp",
            tmp_path / f".model.{dead}.keep.txt"]
    for k in kept:
        k.mkdir()
    stage = staging_dir(target)
    (stage / "a").write_bytes(b"1")
    replace_dir(stage, target)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["model", *(k.name for k in kept)])
    # a file write sweeps too
    (tmp_path / f".x.onnx.{dead}.zz.tmp").write_bytes(b"")
    atomic_write_bytes(tmp_path / "x.onnx", b"data")
    assert not (tmp_path / f".x.onnx.{dead}.zz.tmp").exists()
    assert sweep_stale(tmp_path / "x.onnx") == []


def test_a_save_over_a_folder_swaps_in_one_step_where_supported(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "f").write_text("A")
    (b / "f").write_text("B")
    if not exchange_paths(a, b):
        pytest.skip("this system has no atomic folder exchange (renameat2); the two-rename path is used")
    assert (a / "f").read_text() == "B" and (b / "f").read_text() == "A"
    target = tmp_path / "model"
    target.mkdir()
    (target / "old").write_text("old")
    stage = staging_dir(target)
    (stage / "new").write_text("new")
    replace_dir(stage, target)
    assert sorted(p.name for p in target.iterdir()) == ["new"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "model"]  # the old folder removed


def test_exchange_of_a_missing_path_is_an_os_error(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    if not exchange_paths(tmp_path / "a", tmp_path / "b"):
        pytest.skip("this system has no atomic folder exchange (renameat2)")
    with pytest.raises(OSError):
        exchange_paths(tmp_path / "a", tmp_path / "missing")
    assert Path(tmp_path / "a").is_dir()
