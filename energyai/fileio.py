"""Crash-safe writes: a file or folder appears complete under its name, or not at all.

Standard library only. Data is written under a unique temporary name beside the
target, flushed to disk (``fsync``), then renamed over the target, and the folder entry
is flushed too. A process killed at any moment leaves the old target intact, and at worst
a temporary entry ``.<name>.<pid>.<id>.(partial|old|tmp)`` beside it; the next save of
that name removes those whose process has ended (:func:`sweep_stale`).

A folder replaces a folder in one step where the system allows it (Linux ``renameat2``
with ``RENAME_EXCHANGE``, kernel 3.15 and later): there is no moment at which no model is
at the path. Elsewhere the old folder is renamed aside first, which leaves a window of
microseconds in which the path is missing; a load in that window names the aside folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import uuid
from pathlib import Path

__all__ = ["atomic_write_bytes", "exchange_paths", "fsync_dir", "read_regular_bytes", "regular_file", "replace_dir",
           "sha256_file", "staging_dir", "sweep_stale"]

#: The largest model file read (protobuf, and so a self-contained ONNX file, stops at 2 GiB).
MAX_MODEL_BYTES = 2**31

#: Suffixes of the temporary entries this module leaves when killed.
TEMP_SUFFIXES = (".partial", ".old", ".tmp")


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def regular_file(path: str | Path, what: str, error: type[Exception] | None = None) -> Path:
    """``path`` when it is an existing regular file (after symlinks), else ``error`` (default
    :class:`~energyai.exceptions.DataError`) naming it: a device such as ``/dev/zero`` would be
    read until memory runs out, a folder or pipe is not a file to read."""
    import stat

    from energyai.exceptions import DataError

    err = error or DataError
    p = Path(path)
    try:
        mode = os.stat(p).st_mode
    except FileNotFoundError:
        raise err(f"{what} {p} does not exist") from None
    except OSError as exc:
        raise err(f"cannot read {what} {p}: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(mode):
        raise err(f"{what} {p} is a folder; give the path of a file")
    if not stat.S_ISREG(mode):
        raise err(f"{what} {p} is not a regular file (a device, pipe or socket); energyai reads {what}s from "
                  "regular files only")
    return p


def read_regular_bytes(path: str | Path, what: str, error: type[Exception], limit: int = MAX_MODEL_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, checked before reading."""
    p = regular_file(path, what, error)
    size = p.stat().st_size
    if size > limit:
        raise error(f"{what} {p} is {size} bytes, more than the {limit} a {what} can be; is it the right file?")
    try:
        return p.read_bytes()
    except OSError as exc:
        raise error(f"cannot read {what} {p}: {exc.strerror or exc}") from exc


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
    sweep_stale(out)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.{os.getpid()}.", suffix=".tmp", dir=out.parent)
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
    sweep_stale(out)
    stage = out.with_name(f".{out.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.partial")
    stage.mkdir()
    return stage


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by another user
        return True
    return True


def sweep_stale(target: str | Path) -> list[Path]:
    """Remove the temporary entries a killed write of ``target`` left beside it.

    Only entries named ``.<target name>.<pid>.<id><suffix>`` (suffix ``.partial``, ``.old``
    or ``.tmp``) whose process ``pid`` no longer runs on this machine are removed; a write in
    progress in another live process is left alone. Returns what was removed.
    """
    out = Path(target)
    removed: list[Path] = []
    if not out.parent.is_dir():
        return removed
    prefix = f".{out.name}."
    for entry in out.parent.iterdir():
        name = entry.name
        if not name.startswith(prefix) or not name.endswith(TEMP_SUFFIXES) or entry.is_symlink():
            continue
        pid = name[len(prefix):].split(".", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()
        removed.append(entry)
    return removed


def exchange_paths(a: str | Path, b: str | Path) -> bool:
    """Swap two existing paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``).

    Returns False, having changed nothing, where the system or file system does not
    support it; raises ``OSError`` for other failures.
    """
    import ctypes
    import errno
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):  # glibc before 2.28, musl
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(at_fdcwd, os.fsencode(str(a)), at_fdcwd, os.fsencode(str(b)), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def replace_dir(stage: Path, target: str | Path) -> Path:
    """Put the finished folder ``stage`` in place of ``target`` (which may exist).

    Every file of ``stage`` is fsynced first. An existing target is swapped with the stage
    in one step (:func:`exchange_paths`) and the old folder, now at the stage's name,
    removed. Where the swap is not supported, the target is renamed aside, the stage
    renamed in, and the old one removed; between those two renames (microseconds) the old
    folder is at ``.<name>.<pid>.<id>.old``, which :func:`energyai.persist.load_forecaster`
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
        if exchange_paths(stage, out):
            fsync_dir(out.parent)
            shutil.rmtree(stage, ignore_errors=True)
            return out
        old = out.with_name(f".{out.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.old")
        os.replace(out, old)
    os.replace(stage, out)
    fsync_dir(out.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return out
