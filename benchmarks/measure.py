"""Measuring helpers of the benchmark: wall time and RSS peaks (Meter), the measured rows, printing."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time

import psutil

GB = 1024**3


class Meter:
    """Wall time and memory peaks (RSS + forked parts' USS) of (possibly nested) code sections; a sampling thread."""

    def __init__(self, interval_s: float = 0.005) -> None:
        self.proc = psutil.Process()
        self._children_uss = 0
        self._children_next = 0.0
        self.interval_s = interval_s
        self.active: list[dict] = []
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def rss(self) -> int:
        """This process's RSS plus the unique memory (USS) of its child processes (a run's forked parts).

        USS counts only the pages a child does not share with this process, so memory inherited by a
        fork is counted once. The children's USS is read every 100 ms, or less often for big children (the
        read walks their page tables; it takes at most 5 % of a core).
        """
        now = time.perf_counter()
        if now >= self._children_next:
            uss = 0
            with contextlib.suppress(psutil.Error):
                for child in self.proc.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        uss += child.memory_full_info().uss
            self._children_uss = uss
            # reading a child's USS walks its page tables (~5 ms per GB): at most 5 % of a core for it
            took = time.perf_counter() - now
            self._children_next = now + max(0.1, 20 * took)
        return self.proc.memory_info().rss + self._children_uss

    def _run(self) -> None:
        while self.running:
            rss = self.rss()
            with self.lock:
                for rec in self.active:
                    rec["peak"] = max(rec["peak"], rss)
            time.sleep(self.interval_s)

    @contextlib.contextmanager
    def measure(self):
        rss = self.rss()
        rec = {"start": rss, "peak": rss}
        with self.lock:
            self.active.append(rec)
        t0 = time.perf_counter()
        try:
            yield rec
        finally:
            rec["seconds"] = time.perf_counter() - t0
            rss = self.rss()
            with self.lock:
                self.active.remove(rec)
                rec["peak"] = max(rec["peak"], rss)
            rec["end"] = rss
            rec["rise"] = rec["peak"] - rec["start"]


#: The one live Meter: set by ``bench_health_check.main`` as ``measure.METER``;
#: other modules read ``measure.METER`` at call time, never import the name.
METER: Meter | None = None
ROWS: list[dict] = []  # every measured row, for the JSON


def row(section: str, name: str, rec: dict, **extra: object) -> dict:
    out = {
        "section": section,
        "name": name,
        "seconds": rec["seconds"],
        "peak_gb": rec["peak"] / GB,
        "rise_gb": rec["rise"] / GB,
        **extra,
    }
    ROWS.append(out)
    return out


def say(text: str = "") -> None:
    print(text, flush=True)


def fmt_row(r: dict) -> str:
    extra = f"  {r['note']}" if r.get("note") else ""
    return f"  {r['name']:<58}{r['seconds']:>9.2f} s  peak {r['peak_gb']:5.2f} GB  +{r['rise_gb']:5.2f} GB{extra}"


@contextlib.contextmanager
def quiet_fd1():
    """Silence C-level stdout (pandana prints progress bars)."""
    sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(null)
        os.close(saved)
