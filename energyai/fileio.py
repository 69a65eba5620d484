"""Crash-safe writes: a file or folder appears complete under its name, or not at all.

Standard library only. Data is written under a unique temporary name beside the
target, flushed to disk (``fsync``), then renamed over the target, and the folder entry
is flushed too. A process killed at any moment leaves the old target intact (and at
worst a temporary entry starting with ``.`` that the next write ignores).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import uuid
from pathlib import Path

__all__ = ["atomic_write_bytes", "fsync_dir", "replace_dir", "sha256_file", "staging_dir"]


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def fsync_dir(path: str | Path) -> None:
    """Flush a folder's entries (a rename is durable only once its folder is); no-op where unsupported."""
    with contextlib.suppress(OSError):
        fd = os.open(str(path), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _target_mode(out: Path) -> int:
    """The permission bits a write to ``out`` should leave: those of the regular file there,
    else ``0o666`` less the umask. Raises ``ArtifactError`` for a non-regular target."""
    import stat

    from energyai.exceptions import ArtifactError

    try:
        st = os.stat(out)
    except FileNotFoundError:
        current = os.umask(0o022)
        os.umask(current)
        return 0o666 & ~current
    except OSError as exc:
        raise ArtifactError(f"cannot write {out}: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(st.st_mode):
        raise ArtifactError(f"{out} exists and is not a regular file (a device, folder or pipe); energyai writes "
                            "model files only to regular files: give another path")
    return stat.S_IMODE(st.st_mode)


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a unique temporary file, fsync and rename.

    The file gets the mode of the file it replaces, or the umask's default for a new file
    (not the temporary file's 0600). A target that exists and is not a regular file (a
    device such as ``/dev/full``, a folder, a pipe) is refused with an ``ArtifactError``
    rather than replaced.
    """
    out = Path(path)
    mode = _target_mode(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(out.parent)
    return out


def staging_dir(target: str | Path) -> Path:
    """A new empty folder beside ``target`` to write into before :func:`replace_dir`."""
    out = Path(target)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = out.with_name(f".{out.name}.{uuid.uuid4().hex[:12]}.partial")
    stage.mkdir()
    return stage


def replace_dir(stage: Path, target: str | Path) -> Path:
    """Put the finished folder ``stage`` in place of ``target`` (which may exist).

    Every file of ``stage`` is fsynced first. An existing target is renamed aside, the
    stage renamed in, and the old one removed; between the two renames (microseconds)
    the old folder is at ``.<name>.<id>.old``, which :func:`energyai.persist.load_forecaster`
    names if it finds the target missing.
    """
    out = Path(target)
    for f in stage.iterdir():
        if f.is_file():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
    fsync_dir(stage)
    old = None
    if out.exists():
        if not out.is_dir():
            raise FileExistsError(f"{out} exists and is not a folder")
        old = out.with_name(f".{out.name}.{uuid.uuid4().hex[:12]}.old")
        os.replace(out, old)
    os.replace(stage, out)
    fsync_dir(out.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return out
