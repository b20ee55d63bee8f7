"""Atomic file writes: a temporary file in the target's folder, fsync, then rename.

A leaf package (standard library only; it imports no other package of the project), so every
package may use it: ``openimis_db`` (snapshot Parquet and manifest), ``aggregations`` (the
unmapped list) and ``pipelines`` (exports, values between steps, reports, metadata bundle). It is
the project's one atomic-write helper. A reader never sees a partial file under the final name; after
an error (a writer exception, a full disk, ``EFBIG``) neither the final file nor the temporary
one is left behind, and an earlier file under the final name is kept unchanged. A writer that was
killed cannot clean up: its temporary file is removed by the next writer of the same file.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Literal, TextIO, overload

__all__ = [
    "PendingFile",
    "atomic_open",
    "atomic_path",
    "write_bytes",
    "write_text",
    "TEMP_SUFFIX",
]

TEMP_SUFFIX = ".tmp"


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a directory; the rename is still atomic
    finally:
        os.close(fd)


# Temporary names carry the writer: ``.<name>.<host>-<pid>.<random>.tmp``, so that a later writer
# of the same file can remove what a killed one left behind (SIGKILL, power loss), and only that.
_HOST = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:32] or "host"
_LEFTOVER = re.compile(
    r"\.(?P<host>[A-Za-z0-9]+)-(?P<pid>\d+)\.[0-9a-f]{8}" + re.escape(TEMP_SUFFIX) + "$"
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def _sweep(folder: Path, name: str) -> None:
    """Remove the temporary files of ``name`` whose writer, on this host, no longer runs.

    Writers on other hosts (a shared folder) and live writers are left alone."""
    prefix = f".{name}."
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        found = _LEFTOVER.fullmatch(entry.name[len(prefix) - 1 :])
        if found is None or found["host"] != _HOST:
            continue
        pid = int(found["pid"])
        if pid != os.getpid() and not _alive(pid):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _temp_in(folder: Path, name: str) -> Path:
    """A new, empty, hidden file beside the target, created with the process umask applied
    (``tempfile.mkstemp`` would make it 0600, and the published file with it)."""
    _sweep(folder, name)
    while True:
        tmp = folder / f".{name}.{_HOST}-{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp


class PendingFile:
    """A new temporary file beside ``path``: ``commit`` publishes it as ``path``, ``discard``
    removes it. For writers that stay open across calls (a streaming Parquet writer); the
    context managers below are built on it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.final = Path(path)
        self.final.parent.mkdir(parents=True, exist_ok=True)
        self.path = _temp_in(self.final.parent, self.final.name)

    def commit(self) -> Path:
        """fsync the temporary file, rename it over the final name, fsync the folder."""
        try:
            with open(self.path, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(self.path, self.final)
        except OSError as exc:
            self.discard()
            raise _naming(exc, self.final) from exc
        _fsync_dir(self.final.parent)
        return self.final

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def _naming(exc: OSError, final: Path) -> OSError:
    """The same error naming the file the caller asked for (a full disk, ``EFBIG``), never the
    temporary one."""
    if exc.errno is None or exc.strerror is None:
        return exc
    return type(exc)(exc.errno, exc.strerror, str(final))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; publish it as ``path`` when the block succeeds.

    For writers that want a file name (``pyarrow``, ``lxml``). The temporary file is fsynced,
    renamed over ``path`` and the folder fsynced; on any exception it is removed.
    """
    pending = PendingFile(path)
    try:
        yield pending.path
    except OSError as exc:
        pending.discard()
        named = _naming(exc, pending.final)
        if named is exc:
            raise
        raise named from exc
    except BaseException:
        pending.discard()
        raise
    pending.commit()


@overload
def atomic_open(
    path: str | os.PathLike[str], mode: Literal["wb"] = "wb", *, encoding: None = None
) -> contextlib.AbstractContextManager[BinaryIO]: ...
@overload
def atomic_open(
    path: str | os.PathLike[str], mode: Literal["w"], *, encoding: str = "utf-8"
) -> contextlib.AbstractContextManager[TextIO]: ...
def atomic_open(
    path: str | os.PathLike[str], mode: str = "wb", *, encoding: str | None = None
) -> contextlib.AbstractContextManager[BinaryIO] | contextlib.AbstractContextManager[TextIO]:
    """Open a file for writing (``"wb"`` or ``"w"``) that appears under ``path`` only when closed
    without error."""
    if mode == "wb":
        return _atomic_open_binary(Path(path))
    if mode == "w":
        return _atomic_open_text(Path(path), encoding or "utf-8")
    raise ValueError(f"atomic_open writes only ('wb' or 'w'), not {mode!r}")


@contextlib.contextmanager
def _atomic_open_binary(path: Path) -> Iterator[BinaryIO]:
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        yield fh
        fh.flush()


@contextlib.contextmanager
def _atomic_open_text(path: Path, encoding: str) -> Iterator[TextIO]:
    with atomic_path(path) as tmp, open(tmp, "w", encoding=encoding) as fh:
        yield fh
        fh.flush()


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    with atomic_open(path, "wb") as fh:
        fh.write(data)
    return Path(path)


def write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    with atomic_open(path, "w", encoding=encoding) as fh:
        fh.write(text)
    return Path(path)
