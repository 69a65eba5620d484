"""Issue 29 #14: files written by export and sign keep sensible permissions and never replace
a device, folder or pipe."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from energyai.exceptions import ArtifactError
from energyai.fileio import atomic_write_bytes


def _mode(p: Path) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def test_a_new_file_follows_the_umask_and_a_replaced_file_keeps_its_mode(tmp_path):
    old = os.umask(0o022)
    try:
        new = atomic_write_bytes(tmp_path / "model.onnx", b"abc")
        assert _mode(new) == 0o644  # not the temporary file's 0600
        kept = tmp_path / "signed.onnx"
        kept.write_bytes(b"old")
        kept.chmod(0o640)
        atomic_write_bytes(kept, b"new")  # sign in place
        assert _mode(kept) == 0o640 and kept.read_bytes() == b"new"
    finally:
        os.umask(old)
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_non_regular_targets_are_refused(tmp_path):
    folder = tmp_path / "a_folder"
    folder.mkdir()
    with pytest.raises(ArtifactError, match="not a regular file"):
        atomic_write_bytes(folder, b"x")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ArtifactError, match="not a regular file"):
        atomic_write_bytes(fifo, b"x")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    if Path("/dev/full").exists():  # a character device (the issue replaced it when run as root)
        with pytest.raises(ArtifactError, match="not a regular file"):
            atomic_write_bytes("/dev/full", b"x")
        assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
