"""One writer at a time: an exclusive lock per workbook, held for the whole of a write.

Every command that changes a workbook (``run``, ``import-lists``) takes
:func:`workbook_lock` first. The lock is an operating-system lock on a file
beside the workbook (``workbook.gpkg.lock``): it is released when the holder
finishes or dies, so a killed process never leaves the workbook locked. The
file records who holds it (command, process, host, since) so that a second
writer can say whom it waited for. A second writer waits up to ``wait_s``
seconds (default: ``BLOCKCHECK_LOCK_WAIT_S`` or 60) and then stops with a
:class:`~blockcheck.errors.WorkbookLockedError` naming the holder; nothing is
written.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from blockcheck.errors import WorkbookLockedError

__all__ = ["DEFAULT_WAIT_S", "lock_path", "workbook_lock"]

DEFAULT_WAIT_S = 60.0
_POLL_S = 0.1

try:  # POSIX
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

except ImportError:  # pragma: no cover - Windows (the QGIS plugin)
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def lock_path(workbook: str | os.PathLike) -> Path:
    """The lock file of `workbook` (``<name>.lock`` beside it)."""
    workbook = Path(workbook)
    return workbook.with_name(workbook.name + ".lock")


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text("utf-8") or "{}")
    except (OSError, ValueError):
        return "another process"
    if not info:
        return "another process"
    return (
        f"{info.get('command', '?')} (process {info.get('pid', '?')} on {info.get('host', '?')}, since "
        f"{info.get('since', '?')})"
    )


@contextmanager
def workbook_lock(workbook: str | os.PathLike, *, command: str, wait_s: float | None = None) -> Iterator[None]:
    """Hold the exclusive write lock of `workbook` for the duration of the ``with`` block.

    Parameters
    ----------
    workbook
        The workbook file (it need not exist yet).
    command
        What is writing, recorded for other writers (e.g. ``"blockcheck run"``).
    wait_s
        Seconds to wait for another writer; default ``BLOCKCHECK_LOCK_WAIT_S`` or 60.

    Raises
    ------
    WorkbookLockedError
        When another writer still holds the lock after `wait_s` seconds.
    """
    if wait_s is None:
        wait_s = float(os.environ.get("BLOCKCHECK_LOCK_WAIT_S", DEFAULT_WAIT_S))
    path = lock_path(workbook)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_s
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                msg = (
                    f"{workbook}: another writer is changing this workbook — {_holder(path)}. Nothing was written. "
                    "Wait until it has finished and run the command again (or raise BLOCKCHECK_LOCK_WAIT_S, "
                    f"now {wait_s:g} s)."
                )
                raise WorkbookLockedError(msg)
            time.sleep(_POLL_S)
        info = {
            "command": command,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            _unlock(fd)
    finally:
        os.close(fd)
