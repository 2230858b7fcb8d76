"""Running one independent part of a run in a forked process, so a whole run uses two cores.

GDAL (pyogrio), pandas and most of the geometry code hold Python's GIL, so
threads do not overlap them; a forked child does, and it inherits the data
it needs without copying it (copy-on-write). Parts of ``blockcheck run``
independent of what runs beside them: the resource search beside the health
check; the lists of steps 1–2 written to the workbook and the Excel file
while step 3 allocates (:mod:`blockcheck.workbook.write_ahead`), or else the
Excel file beside the GeoPackage. :func:`start`
forks the child with the function and its arguments; the parent goes on and
calls :meth:`Forked.result` when it needs the result, which the child pickles
into a temporary file on disk. An exception of the child is raised again in the parent.

Forking is used only where it is safe and useful (:func:`fork_available`):
on Linux, with at least two usable cores, never inside a Qt application
(QGIS: a forked Qt process is not safe) nor a Dask worker or daemon process
(``blockcheck batch`` already gives each core a district), and not when
``BLOCKCHECK_PROCESSES=1``.
Anywhere else :func:`start` calls the function at once in the process itself,
so the results are the same either way.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from typing import Any, BinaryIO

from blockcheck.errors import ForkedPartError

__all__ = ["ENV_PROCESSES", "Forked", "fork_available", "release_free_memory", "start"]

#: Environment variable: ``1`` keeps every run in one process.
ENV_PROCESSES = "BLOCKCHECK_PROCESSES"


def fork_available() -> bool:
    """Whether a part of the run may go to a forked process (see the module docstring)."""
    if os.environ.get(ENV_PROCESSES, "").strip() == "1" or not sys.platform.startswith("linux"):
        return False
    if any(name in sys.modules for name in ("PyQt5.QtCore", "PyQt6.QtCore", "qgis.core")):
        return False
    if multiprocessing.current_process().daemon or _in_dask_worker():  # batch districts: the cluster's cores
        return False
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return cores >= 2


def _in_dask_worker() -> bool:
    """Whether this is a Dask worker (``blockcheck batch`` and tiled runs): the cluster already uses the cores."""
    if "distributed" not in sys.modules:
        return False
    try:
        sys.modules["distributed"].get_worker()
    except (ValueError, AttributeError):
        return False
    return True


def release_free_memory() -> None:
    """Give the memory the C allocator holds free back to the system (glibc's ``malloc_trim``; ~0.1 s).

    After the allocation step a run's process holds about 1 GB of freed heap at scale 1; a forked
    child would count it as its own too.
    """
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to give back this way
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _child(fn: Callable[..., Any], args: tuple, kwargs: dict, out: BinaryIO) -> None:
    """The forked process: call, write ("ok", value) or ("error", exception) pickled into `out`, exit.

    Pickled straight into the file (frame by frame): no second, pickled copy of the result is held.
    """
    try:
        message = ("ok", fn(*args, **kwargs))
    except BaseException as err:  # noqa: BLE001 - every failure goes back to the parent, which raises it
        message = ("error", err)
    try:
        pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as err:  # noqa: BLE001 - an unpicklable value or error: say so instead
        out.seek(0)
        out.truncate()
        pickle.dump(("error", ForkedPartError(f"the result could not be sent back: {err}")), out)
    out.flush()


class Forked:
    """A function call running in a forked process (or already done, when forking is not available)."""

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict, *, fork: bool, redo: bool = True) -> None:
        self._fn, self._args, self._kwargs, self._redo = fn, args, kwargs, redo
        self._process = self._file = None
        self._done: tuple | None = None
        if not fork:
            try:
                self._done = ("ok", fn(*args, **kwargs))
            except BaseException as err:  # noqa: BLE001 - raised again by result(), as a child's would be
                self._done = ("error", err)
            return
        context = multiprocessing.get_context("fork")
        release_free_memory()  # neither process keeps (nor the child copies) pages malloc holds for nothing
        # on disk, deleted when closed (by result() or cancel(): the file outlives this call)
        self._file = tempfile.TemporaryFile(prefix="blockcheck-part-")  # noqa: SIM115 - closed by result()/cancel()
        self._process = context.Process(target=_child, args=(fn, args, kwargs, self._file), daemon=True)
        # neither garbage collector touches the objects the two processes share while the child runs (a
        # collection writes to every object it visits, and so copies its page): frozen until result()
        gc.freeze()
        try:
            self._process.start()
        except BaseException:
            gc.unfreeze()
            raise

    @property
    def forked(self) -> bool:
        """Whether the call runs in a child process."""
        return self._process is not None

    def running(self) -> bool:
        """Whether the child still runs (False once it has ended, or when the call was made here)."""
        return self._process is not None and self._done is None and self._process.is_alive()

    def result(self) -> Any:
        """The function's return value (waits for the child); its exception is raised here."""
        if self._done is None:
            release_free_memory()  # what this process freed meanwhile is not held beside the child's memory
            self._process.join()
            gc.unfreeze()
            try:
                self._file.seek(0)
                self._done = pickle.load(self._file) if self._process.exitcode == 0 else None
            except (EOFError, pickle.UnpicklingError):
                self._done = None
            finally:
                self._file.close()
            if self._done is None and not self._redo:
                lost = f"the forked part ended without a result (exit code {self._process.exitcode})"
                self._done = ("error", ForkedPartError(lost))
            if self._done is None:  # the child died without a word (killed, out of memory): do it here instead
                try:
                    self._done = ("ok", self._fn(*self._args, **self._kwargs))
                except BaseException as err:  # noqa: BLE001 - raised below
                    self._done = ("error", err)
        if self._done[0] == "ok":
            return self._done[1]
        raise self._done[1]

    def cancel(self) -> None:
        """Stop the child (the parent failed and will not need the result)."""
        if self._process is not None and self._done is None:
            self._process.terminate()
            self._process.join()
            gc.unfreeze()
            self._file.close()
            self._done = ("error", ForkedPartError("cancelled"))


def start(fn: Callable[..., Any], /, *args: Any, fork: bool | None = None, redo: bool = True, **kwargs: Any) -> Forked:
    """Start ``fn(*args, **kwargs)`` in a forked process when :func:`fork_available` (or `fork`) says so.

    The function and its arguments are inherited, not pickled; only the
    result travels back. Call :meth:`Forked.result` for it. When the child
    dies without a result (killed, out of memory), :meth:`Forked.result` makes
    the call in the parent instead, or, with ``redo=False`` (a call that only
    makes sense beside the parent), raises :class:`ForkedPartError`.
    """
    return Forked(fn, args, kwargs, fork=fork_available() if fork is None else fork, redo=redo)
