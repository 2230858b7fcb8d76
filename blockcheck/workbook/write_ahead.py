"""Writing a run's lists of steps 1–2 while steps 3–4 still work: ``workbook.gpkg`` and ``eight_lists.xlsx`` ahead.

Most of what a run writes is known after step 2: the blocks' metrics, the
problem, resource, demand and vision lists (merged with the workbook as the
run read it), the resources' members and the run's own tables. Steps 3–4
then keep one core busy for a while (at scale 1 about 10 of the run's 60 s,
at scale 4 about a minute). :class:`WriteAhead` forks a process
that writes those layers into the run's pending GeoPackage and those sheets
into its Excel workbook meanwhile (each sheet compressed into the file as
soon as it is written, :mod:`blockcheck.workbook.excel_archive`). The run
sends step 3's lists as soon as it has them (:meth:`WriteAhead.send`): their
sheets are written while step 4 works. When the run has its last lists,
:meth:`WriteAhead.finish` hands them over: the child writes the remaining
sheets and saves the Excel file, while the run adds the remaining layers to
the GeoPackage and puts its layers in the order a file written at once has
(:func:`blockcheck.gpkg_inplace.order_layers`). The two files are the same
as :func:`blockcheck.workbook.write.save_run` would write without it
(tested); they then take effect exactly as those would.

Nothing here decides what is written, only when: :func:`save_run` uses the
files only if the workbook did not change since the run read it (otherwise
the lists are merged again and written the usual way), and when anything
goes wrong in the child, everything is written again the usual way.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pandas as pd

from blockcheck import parallel
from blockcheck.errors import ForkedPartError
from blockcheck.gpkg_inplace import order_layers
from blockcheck.io import write_layers
from blockcheck.workbook.edit_marks import mark_analyst_edits

__all__ = ["WriteAhead"]

#: Seconds between checks that the other process still runs, while one waits for the other.
_POLL_S = 0.2


class _Later(Mapping):
    """The Excel file's tables: the early ones at once; asking for another waits for the run's next tables."""

    def __init__(self, early: dict[str, pd.DataFrame], receive: Callable[[], tuple[dict, bool]]) -> None:
        self._tables, self._receive, self._final = dict(early), receive, False

    def _wait_for(self, name: object) -> None:
        while name not in self._tables and not self._final:
            tables, self._final = self._receive()
            self._tables.update(tables)

    def __getitem__(self, name: str) -> pd.DataFrame:
        self._wait_for(name)
        return self._tables[name]

    def __contains__(self, name: object) -> bool:
        self._wait_for(name)
        return name in self._tables

    def __iter__(self) -> Iterator[str]:
        self._wait_for(None)  # all of them
        return iter(self._tables)

    def __len__(self) -> int:
        self._wait_for(None)
        return len(self._tables)


class _Inbox:
    """The tables the run sends the child, in turn (each a pickle file in a folder of the run's, and a semaphore)."""

    def __init__(self, folder: Path, parent: int) -> None:
        self.folder, self.parent = folder, parent
        self.sent = multiprocessing.get_context("fork").Semaphore(0)
        self._next = 0

    def put(self, index: int, tables: dict[str, pd.DataFrame], *, final: bool) -> None:
        """The run: send `tables` as message `index` (0, 1, …)."""
        with (self.folder / f"{index}.pickle").open("wb") as fh:
            pickle.dump((tables, final), fh, pickle.HIGHEST_PROTOCOL)
        self.sent.release()

    def take(self) -> tuple[dict[str, pd.DataFrame], bool]:
        """The child: the next tables the run sends (waits for them), or fails if the run is gone."""
        while not self.sent.acquire(timeout=_POLL_S * 5):
            if os.getppid() != self.parent:
                msg = "the run ended before it sent its last lists"
                raise ForkedPartError(msg)
        path = self.folder / f"{self._next}.pickle"
        self._next += 1
        with path.open("rb") as fh:
            return pickle.load(fh)  # written by this run's own process, a moment ago


def _write_early(gpkg: Path, layers: dict, xlsx: Path, sheets: dict, gpkg_done, inbox: _Inbox) -> Path:
    """The child: the early layers into `gpkg`, then the Excel file, its later sheets as the run sends them."""
    from blockcheck.workbook.excel import write_eight_lists

    write_layers(gpkg, layers)
    gpkg_done.set()
    parallel.release_free_memory()  # what writing the layers took, before the sheets take theirs
    return write_eight_lists(xlsx, _Later(sheets, inbox.take))


class WriteAhead:
    """A run's early layers and sheets, being written in a forked process (see the module docstring).

    Parameters
    ----------
    target
        The workbook (``…/workbook.gpkg``); the pending files are made beside it.
    stamp
        The workbook's state when the run read it (:class:`blockcheck.workbook.write.Snapshot`): the
        early lists were merged with that state.
    layers, sheets
        The early layers of the workbook and tables of the Excel file, in their order.
    excel_name
        The Excel file's name (beside `target`).

    Only where :func:`blockcheck.parallel.fork_available` says a part may be forked.
    """

    def __init__(
        self, target: Path, stamp: tuple, layers: dict[str, pd.DataFrame], sheets: dict, *, excel_name: str
    ) -> None:
        self.stamp = stamp
        self._tag = f"{os.getpid()}.{uuid.uuid4().hex[:8]}"
        self._folder = target.parent
        self.gpkg = target.with_name(f".{target.stem}.{self._tag}.pending{target.suffix}")
        excel = target.with_name(excel_name)
        self.xlsx = excel.with_name(f".{excel.stem}.{self._tag}.tmp{excel.suffix}")
        self._late = Path(tempfile.mkdtemp(prefix="blockcheck-late-lists-"))
        self._layers, self._sheets = tuple(layers), set(sheets)
        self._gpkg_done = multiprocessing.get_context("fork").Event()
        self._inbox, self._sends = _Inbox(self._late, os.getpid()), 0
        self._part = parallel.start(
            _write_early, self.gpkg, layers, self.xlsx, sheets, self._gpkg_done, self._inbox, fork=True, redo=False
        )

    def send(self, sheets: dict[str, pd.DataFrame], *, final: bool = False) -> None:
        """Hand the child more tables of the Excel file (those it has are left out), e.g. step 3's lists while
        step 4 works: it writes their sheets meanwhile. Merged with the workbook's state :attr:`stamp`.
        """
        fresh = {k: v for k, v in sheets.items() if k not in self._sheets}
        self._inbox.put(self._sends, fresh, final=final)
        self._sends += 1
        self._sheets.update(fresh)

    def finish(self, layers: dict[str, pd.DataFrame], sheets: dict[str, pd.DataFrame]) -> tuple[Path, Path]:
        """Complete both pending files with the rest of `layers` and `sheets` (the run's whole output, in order).

        Returns
        -------
        gpkg, xlsx
            The pending GeoPackage (layers in the order of `layers`, analysts' edit marks added) and Excel file.

        Raises
        ------
        Exception
            Whatever stopped the child or the writing here: the caller then writes both files the usual way.
        """
        missing = [n for n in (*self._layers, *self._sheets) if n not in layers and n not in sheets]
        if missing:
            msg = f"tables written ahead are not in the run's output: {', '.join(missing)}"
            raise ForkedPartError(msg)
        self.send(sheets, final=True)  # first: the child writes the last sheets while this writes the layers
        while not self._gpkg_done.wait(_POLL_S):
            if not self._part.running():
                self._part.result()  # the child's error
                msg = "the early layers were not written"
                raise ForkedPartError(msg)
        write_layers(self.gpkg, {k: v for k, v in layers.items() if k not in self._layers}, append=True)
        order_layers(self.gpkg, list(layers))
        mark_analyst_edits(self.gpkg)
        self._part.result()
        return self.gpkg, self.xlsx

    def close(self) -> None:
        """Stop the child if it still runs and remove every file it or :meth:`finish` left (idempotent)."""
        self._part.cancel()  # nothing once its result was taken
        shutil.rmtree(self._late, ignore_errors=True)
        for left in self._folder.glob(f".*{self._tag}*"):  # the pending files, their journals, a save's temp file
            left.unlink(missing_ok=True)
