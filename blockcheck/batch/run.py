"""``blockcheck batch``: every district of a manifest through :func:`blockcheck.pipeline.run` on a Dask cluster.

Each district is one task (:func:`run_district`) on a worker process: it runs
the one orchestrator into ``DIR/<name>/`` (``workbook.gpkg`` and
``eight_lists.xlsx``), or skips the run when the district's digest (the
contents of its input files, its settings and the blockcheck version,
:func:`district_digest`) equals the one stored in ``DIR/<name>/`` by its last
successful run, and returns its summary row (:func:`blockcheck.batch.summary.district_row`).
A district that fails returns blockcheck's message (never a traceback) while
the others go on. The cluster is a :class:`distributed.LocalCluster` of
worker processes (one thread each) unless the address of a running scheduler
is given; there, the workers must see the manifest's files and DIR at the
same paths (a shared file system).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
import traceback
import warnings
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from blockcheck import __version__
from blockcheck.batch.manifest import District, load_manifest
from blockcheck.batch.summary import SUMMARY_FILES, district_row, summary_frame, write_summary
from blockcheck.errors import BlockcheckError

__all__ = ["DIGEST_FILE", "BatchResult", "cluster_client", "district_digest", "run_batch", "run_district"]

#: The file in DIR/<name>/ holding the digest of the district's last successful run.
DIGEST_FILE = "batch_digest.json"
#: The file in DIR/<name>/ holding the traceback of an unexpected error in that district.
ERROR_LOG = "blockcheck-error.log"
#: How long the client waits for a scheduler given with --scheduler.
CONNECT_TIMEOUT = "30s"
#: Called with each district's outcome as it finishes, and its position and the number of districts.
Report = Callable[[dict, int, int], None]


def _hash_file(digest: hashlib._Hash, path: Path, label: str) -> None:
    digest.update(f"\0{label}\0".encode())
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)


def district_digest(district: District) -> str:
    """SHA-256 of what a district's results depend on: its files' contents, its settings and blockcheck's version.

    Files: the input (every file of an input folder), the mapping, an
    overrides file of standards, and the surveys, given or found next to the
    input as ``run`` finds them.
    """
    from blockcheck.steps.consultation import default_survey

    digest = hashlib.sha256()
    settings = {"blockcheck_version": __version__, **district.settings()}
    digest.update(json.dumps(settings, sort_keys=True, ensure_ascii=False).encode())
    files = {}
    if district.input.is_dir():
        inside = sorted(p for p in district.input.rglob("*") if p.is_file())
        files.update({f"input/{p.relative_to(district.input)}": p for p in inside})
    else:
        files["input"] = district.input
    for key in ("mapping", "standards", "demands", "visions"):
        value = getattr(district, key)
        if key in ("demands", "visions") and value is None:
            value = default_survey(district.input, key)
        if isinstance(value, Path):
            files[key] = value
    for label, path in files.items():
        _hash_file(digest, path, label)
    return digest.hexdigest()


def _stored_digest(folder: Path) -> str | None:
    try:
        return json.loads((folder / DIGEST_FILE).read_text("utf-8")).get("digest")
    except (OSError, ValueError, AttributeError):
        return None


def _error_log(folder: Path) -> str:
    """Write the traceback being handled to ``folder/blockcheck-error.log`` (as the CLI does); where it is, or ""."""
    log = folder / ERROR_LOG
    try:
        folder.mkdir(parents=True, exist_ok=True)
        log.write_text(traceback.format_exc(), encoding="utf-8")
    except OSError:
        return ""
    return f" The details are in {log}."


def _outcome(district: District, status: str, message: str = "", **more) -> dict:
    return {"name": district.name, "status": status, "message": message, "skipped": False, "values": {}, **more}


def run_district(district: District, out_dir: str, *, overwrite: bool = False) -> dict:
    """Run one district (a Dask task): its workbook in ``out_dir/<name>/``, unless unchanged; its summary values.

    Returns
    -------
    dict
        ``name``, ``status`` (``ok`` | ``failed``), ``message``, ``skipped``,
        ``seconds``, and for a district with a workbook its summary ``values``,
        ``outline`` (WKB) and ``crs`` (WKT).
    """
    from blockcheck.pipeline import run
    from blockcheck.workbook.write import WORKBOOK_FILE

    start = time.perf_counter()
    folder = Path(out_dir) / district.name
    workbook = folder / WORKBOOK_FILE
    try:
        digest = district_digest(district)
        skipped = workbook.is_file() and _stored_digest(folder) == digest
        if not skipped:
            (folder / DIGEST_FILE).unlink(missing_ok=True)  # a failed re-run must not look unchanged next time
            run(district.input, folder, overwrite=overwrite, **district.run_options())
            (folder / DIGEST_FILE).write_text(
                json.dumps({"digest": digest, "blockcheck_version": __version__}, indent=1) + "\n", "utf-8"
            )
        values, outline, crs = district_row(workbook)
    except BlockcheckError as exc:  # the project's own message: what, where, how to fix
        return _outcome(district, "failed", str(exc), seconds=time.perf_counter() - start)
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        message = (
            f"cannot read or write{where}: {exc.strerror or exc}. Check that the file is there and readable, choose an "
            "--out folder you can write to, free disk space, or close the file in other programs."
        )
        return _outcome(district, "failed", message, seconds=time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 - one district's bug must not stop the others; no traceback
        log = _error_log(folder)
        report = " Please report it with that file." if log else " Please report it."
        message = f"internal error: {type(exc).__name__}: {exc}.{log}{report}"
        return _outcome(district, "failed", message, seconds=time.perf_counter() - start)
    message = "unchanged since the last run: skipped" if skipped else ""
    return _outcome(
        district,
        "ok",
        message,
        skipped=skipped,
        seconds=time.perf_counter() - start,
        values=values,
        outline=outline.wkb if outline is not None else None,
        crs=crs,
    )


@dataclass(frozen=True)
class BatchResult:
    """What ``blockcheck batch`` did: each district's outcome (manifest order), the summary and its files."""

    outcomes: list[dict]
    summary: gpd.GeoDataFrame
    written: dict[str, Path]

    @property
    def failed(self) -> list[dict]:
        """The outcomes of the districts that failed."""
        return [o for o in self.outcomes if o["status"] == "failed"]


def _reachable(address: str) -> None:
    """Fail fast when nothing listens at a ``tcp://host:port`` address (Dask's client would retry until its timeout).

    Raises
    ------
    OSError
        The connection was refused or timed out.
    """
    host, _, port = address.removeprefix("tcp://").rpartition(":")
    if address.startswith("tcp://") and host and port.isdigit():
        with socket.create_connection((host.strip("[]"), int(port)), timeout=10):
            pass


def cluster_client(stack: ExitStack, scheduler: str | None, workers: int | None):
    """A Dask client of `scheduler`, or of a new LocalCluster of `workers` processes with one thread each."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - a dependency of the normal install
        msg = "blockcheck batch needs Dask distributed: pip install 'dask[distributed]'"
        raise BlockcheckError(msg) from None
    if scheduler:
        try:
            _reachable(scheduler)
            return stack.enter_context(Client(scheduler, timeout=CONNECT_TIMEOUT))
        except OSError as exc:
            msg = (
                f"--scheduler {scheduler}: no Dask scheduler answers there ({exc}). Start one with "
                "`dask scheduler` and workers with `dask worker ADDRESS`, or leave out --scheduler to run here."
            )
            raise BlockcheckError(msg) from None
    n = workers if workers is not None else max(1, min(os.cpu_count() or 1, 4))
    with warnings.catch_warnings():  # no dashboard; its HTTP server says when port 8787 is taken: not our concern
        warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
        cluster = stack.enter_context(
            LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
        )
    return stack.enter_context(Client(cluster))


def run_batch(
    manifest: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    report: Report | None = None,
    lang: str = "zh",
    overwrite: bool = False,
) -> BatchResult:
    """Run every district of `manifest` on a Dask cluster and write the batch summary into `out_dir`.

    Parameters
    ----------
    manifest
        The manifest (TOML, :func:`blockcheck.batch.manifest.load_manifest`); checked whole before anything runs.
    out_dir
        DIR: ``DIR/<name>/workbook.gpkg`` and ``eight_lists.xlsx`` per district,
        ``DIR/batch_summary.gpkg`` (layer ``district_summary``), ``.xlsx`` and ``.png``.
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``); None: a LocalCluster here.
    workers
        Worker processes of the LocalCluster (default: the CPUs, at most 4).
    report
        Called as each district finishes (its outcome, how many finished, how many in all).
    lang
        Language of the summary's Excel headers and map.
    overwrite
        Replace output files of those names that blockcheck did not write (as ``run --overwrite``).

    Raises
    ------
    ManifestError
        The manifest has problems (all listed; nothing was run).
    """
    from blockcheck.outputs import guard_output

    districts = load_manifest(manifest)  # every problem of the manifest before a cluster starts
    from distributed import as_completed

    out = Path(out_dir).resolve()

    for name in SUMMARY_FILES.values():  # a user's own file of that name is never replaced
        guard_output(out / name, overwrite=overwrite)
    out.mkdir(parents=True, exist_ok=True)
    outcomes: dict[str, dict] = {}
    with ExitStack() as stack:
        client = cluster_client(stack, scheduler, workers)
        futures = {
            client.submit(
                run_district, d, str(out), overwrite=overwrite, key=f"blockcheck-district-{i}-{d.name}", pure=False
            ): d
            for i, d in enumerate(districts)
        }
        for done, future in enumerate(as_completed(futures), start=1):
            district = futures[future]
            try:
                outcome = future.result()
            except Exception as exc:  # noqa: BLE001 - a worker lost or killed: this district failed, not the batch
                outcome = _outcome(district, "failed", f"the worker running it stopped: {type(exc).__name__}: {exc}")
            outcomes[district.name] = outcome
            if report is not None:
                report(outcome, done, len(districts))
    ordered = [outcomes[d.name] for d in districts]
    frame = summary_frame(ordered)
    written = write_summary(out, frame, manifest=str(Path(manifest).resolve()), lang=lang)
    return BatchResult(outcomes=ordered, summary=frame, written=written)
