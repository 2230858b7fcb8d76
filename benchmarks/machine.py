"""The machine under a benchmark: the log, a quiet machine to start on, a child's wall time and peak RSS, setup facts.

Used by ``bench_run.py``: what it records of the machine (other processes' CPU
and memory, the hypervisor's stolen time, memory touched before the first
command, CPU model, versions, commit) goes into the setup table of RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
from measure import GB

REPO = Path(__file__).resolve().parent.parent


class Log:
    """Print and append to the log file."""

    def __init__(self, path: Path | None) -> None:
        self.fh = path.open("a", encoding="utf-8") if path else None

    def __call__(self, text: str = "") -> None:
        print(text, flush=True)
        if self.fh:
            self.fh.write(text + "\n")
            self.fh.flush()


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in (proc, *proc.children(recursive=True)):
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def other_big_processes(threshold_gb: float) -> list[str]:
    """Processes outside this benchmark holding more than `threshold_gb` of RSS (``pid name GB``)."""
    me = psutil.Process()
    ours = {me.pid, *(p.pid for p in me.children(recursive=True))}
    found = []
    for p in psutil.process_iter(["pid", "name", "cmdline", "memory_info"]):
        info = p.info
        if info["pid"] in ours or info["memory_info"] is None:
            continue
        if info["memory_info"].rss > threshold_gb * GB:
            cmd = " ".join(info["cmdline"] or [info["name"] or "?"])[:100]
            found.append(f"pid {info['pid']} ({info['memory_info'].rss / GB:.1f} GB): {cmd}")
    return found


class CpuClock:
    """CPU time used on the machine by others (not this benchmark or its children) since the clock started."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.busy, self.steal = self._system()
        self.ours = self._ours()

    @staticmethod
    def _system() -> tuple[float, float]:
        t = psutil.cpu_times()
        busy = t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)
        return busy, getattr(t, "steal", 0.0)

    @staticmethod
    def _ours() -> float:
        me, done = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        running = 0.0
        for p in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                running += t.user + t.system
        return me.ru_utime + me.ru_stime + done.ru_utime + done.ru_stime + running

    def others_cores(self) -> dict:
        """Cores used by other processes and stolen by the hypervisor, on average since the start."""
        wall = max(time.perf_counter() - self.wall, 1e-9)
        busy, steal = self._system()
        ours = self._ours()
        return {
            "others_cores": max(0.0, (busy - self.busy) - (ours - self.ours)) / wall,
            "steal_cores": (steal - self.steal) / wall,
        }


def wait_for_machine(args: argparse.Namespace, say: Log, *, memory: bool) -> dict:
    """Wait until the others use at most ``--other-cpu`` cores and (`memory`) none holds more than ``--other-gb``.

    The memory condition is waited for up to ``--max-wait-s``, the CPU condition
    up to ``--max-cpu-wait-s`` (then the command goes ahead, and the CPU others
    used during it is recorded).
    """
    t0 = time.perf_counter()
    seen: list[str] = []
    last = -60.0
    while True:
        big = other_big_processes(args.other_gb) if memory else []
        clock = CpuClock()
        time.sleep(3)
        cores = clock.others_cores()["others_cores"]
        cpu = [f"other processes using {cores:.1f} cores"] if cores > args.other_cpu else []
        seen += [b for b in big if b.split(" (", 1)[0] not in {x.split(" (", 1)[0] for x in seen}]
        waited = time.perf_counter() - t0
        if not big and (not cpu or waited > args.max_cpu_wait_s):
            if cpu:
                say(f"   (going ahead after {waited:.0f} s: {cpu[0]})")
            break
        if waited > args.max_wait_s:
            say(f"   (machine still busy after {waited:.0f} s; going ahead: {'; '.join(big + cpu)})")
            break
        if waited - last >= 60:
            say(f"   waiting for a quiet machine: {'; '.join(big + cpu)}")
            last = waited
        time.sleep(12)
    return {"waited_s": time.perf_counter() - t0, "other_processes": seen}


def run_child(cmd: list[str], *, env: dict, max_gb: float, say: Log) -> dict:
    """Run `cmd`, stream its output into the log, poll its RSS; wall time, peak, exit code, stopped flag."""
    say("   $ " + " ".join(str(c) for c in cmd))
    load0 = os.getloadavg()[0]
    clock = CpuClock()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=env,
        cwd=REPO,
    )
    ps = psutil.Process(proc.pid)
    state = {"peak": 0, "stopped": False}

    def poll() -> None:
        while proc.poll() is None:
            with contextlib.suppress(psutil.Error):
                rss = _tree_rss(ps)
                state["peak"] = max(state["peak"], rss)
                if rss > max_gb * GB and not state["stopped"]:
                    state["stopped"] = True
                    for p in (*ps.children(recursive=True), ps):
                        with contextlib.suppress(psutil.Error):
                            p.kill()
            time.sleep(0.1)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    tail: list[str] = []
    for line in proc.stdout:
        line = line.rstrip("\n")
        if "Axes3D" in line:  # matplotlib's warning about the system copy, twice per process
            continue
        say("     " + line)
        tail = (tail + [line])[-20:]
    proc.wait()
    watcher.join()
    out = {
        "wall_s": time.perf_counter() - t0,
        "polled_peak_gb": state["peak"] / GB,
        "returncode": proc.returncode,
        "stopped_over_gb": max_gb if state["stopped"] else None,
        "loadavg_start": load0,
        "loadavg_end": os.getloadavg()[0],
        **clock.others_cores(),
    }
    if proc.returncode:
        out["tail"] = tail
    return out


#: Touch one float per 4 KiB page of `argv[1]` GiB, twice; print the seconds of each pass (a JSON list).
_PREFAULT = (
    "import json, sys, time\n"
    "import numpy as np\n"
    "seconds = []\n"
    "for _ in range(2):\n"
    "    t = time.perf_counter()\n"
    "    a = np.empty(int(float(sys.argv[1]) * 2**30) // 8)\n"
    "    a[::512] = 1.0\n"
    "    del a\n"
    "    seconds.append(time.perf_counter() - t)\n"
    "print(json.dumps(seconds))\n"
)


def prefault_memory(gib: float, say: Log) -> dict:
    """Touch `gib` GiB of memory in a child process (then freed): the seconds of a first and a second pass."""
    if gib <= 0:
        return {}
    done = subprocess.run([sys.executable, "-c", _PREFAULT, str(gib)], capture_output=True, text=True, check=False)
    if done.returncode:
        say(f"== memory not pre-faulted ({gib:.1f} GiB): {done.stderr.strip().splitlines()[-1:]}")
        return {"gib": gib, "error": done.stderr.strip()[-300:]}
    first, second = json.loads(done.stdout)
    say(f"== memory pre-faulted: {gib:.1f} GiB touched in {first:.1f} s, again in {second:.1f} s")
    return {"gib": gib, "first_s": first, "second_s": second}


def machine_info(code: Path) -> dict:
    """Machine, date, commit and versions for the setup table."""
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    fields = dict(line.split(":", 1) for line in lscpu.splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=REPO, check=False).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    snapshot = code.resolve() != REPO.resolve()
    versions = {"python": platform.python_version()}
    for name in ("shapely", "geopandas", "pandas", "numpy", "scipy", "pyogrio", "openpyxl", "matplotlib"):
        with contextlib.suppress(Exception):
            versions[name] = importlib.import_module(name).__version__
    with contextlib.suppress(Exception):
        import shapely

        versions["GEOS"] = shapely.geos_version_string
    os_release = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line)
    return {
        "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": fields.get("Model name", platform.processor()),
        "cores": os.cpu_count(),
        "threads_per_core": fields.get("Thread(s) per core"),
        "hypervisor": fields.get("Hypervisor vendor"),
        "ram_gb": psutil.virtual_memory().total / GB,
        "swap_gb": psutil.swap_memory().total / GB,
        "os": os_release.get("PRETTY_NAME", "").strip('"') + f", kernel {platform.release()}",
        "commit": commit + (" dirty" if dirty else ""),
        "code": str(code.resolve()) + (" (a copy, see code_note)" if snapshot else ""),
        "versions": versions,
        "argv": [Path(sys.executable).name, *sys.argv],
    }
