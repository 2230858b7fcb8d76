"""A throwaway PostgreSQL 15 + PostGIS cluster for the tests (issue 17).

:func:`start_cluster` runs ``initdb`` into a temporary folder owned by the
``postgres`` OS user (the tests run as root) and starts the server on a free
local port, its socket in that folder, with ``trust`` authentication for local
connections only; :meth:`Cluster.stop` stops it and removes the folder. Debian's
``postgresql-15`` and ``postgresql-15-postgis-3`` provide it
(``scripts/setup.sh --test`` installs them).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

BIN = Path("/usr/lib/postgresql/15/bin")
POSTGIS = Path("/usr/share/postgresql/15/extension/postgis.control")


def missing() -> str | None:
    """Why no cluster can be started here (None when it can)."""
    if not (BIN / "initdb").exists():
        return "PostgreSQL 15 is not installed (apt-get install postgresql-15; scripts/setup.sh --test does it)"
    if not POSTGIS.exists():
        return "PostGIS is not installed (apt-get install postgresql-15-postgis-3)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "runuser is missing (needed to start the server as the postgres user)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _running(pid: int) -> bool:
    """Whether process `pid` still runs (a zombie waiting for its parent does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def _as_postgres(*args: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)


@dataclass
class Cluster:
    """A running throwaway server: its folder (data and socket), port and superuser."""

    root: Path
    port: int
    superuser: str = "postgres"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, *, user: str | None = None, db: str = "postgres", schema: str | None = None) -> str:
        """A libpq URL through the socket (``?host=`` the socket folder), with ``schema`` when given."""
        query = f"host={self.root}&port={self.port}" + (f"&schema={schema}" if schema else "")
        return f"postgresql://{user or self.superuser}@/{db}?{query}"

    def conninfo(self, *, user: str | None = None, db: str = "postgres") -> str:
        return f"host={self.root} port={self.port} user={user or self.superuser} dbname={db}"

    def sql(self, statement: str, *, user: str | None = None, db: str = "postgres", autocommit: bool = True):
        """Run `statement` (no parameters) and return its rows, if any."""
        import psycopg

        with psycopg.connect(self.conninfo(user=user, db=db), autocommit=autocommit) as conn:
            cur = conn.execute(statement)
            return cur.fetchall() if cur.description else None

    def start(self) -> None:
        """Start the server (again) on its folder and port."""
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c shared_buffers=32MB -c max_connections=40"
        )
        done = subprocess.run(
            _as_postgres(
                str(BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start"
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            log = (self.root / "log").read_text(errors="replace")[-2000:] if (self.root / "log").exists() else ""
            msg = f"the test server did not start: {done.stdout}{done.stderr}\n{log}"
            raise RuntimeError(msg)

    def kill(self) -> list[int]:
        """SIGKILL the whole server at once: the postmaster and every process it started (a crash, not a stop);
        returns their process ids, all gone when it returns."""
        import signal
        import time

        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True, check=False)
        pids = [postmaster, *map(int, children.stdout.split())]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(_running(pid) for pid in pids):
            time.sleep(0.05)
        if Path(f"/proc/{postmaster}").exists():  # a zombie nobody reaps here (no init in the container): its
            for lock in (self.data / "postmaster.pid", self.root / f".s.PGSQL.{self.port}.lock"):  # lock files
                lock.unlink(missing_ok=True)  # would look like a running server's
        return pids

    def stop(self) -> None:
        subprocess.run(
            _as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def start_cluster() -> Cluster:
    """Initialise and start a new cluster (see the module's description)."""
    root = Path(tempfile.mkdtemp(prefix="blockcheck-pg-"))
    os.chmod(root, 0o755)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    cluster = Cluster(root=root, port=_free_port())
    try:
        subprocess.run(
            _as_postgres(
                str(BIN / "initdb"),
                "-D",
                str(cluster.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ),
            check=True,
            capture_output=True,
        )
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster


def team_workbook(
    cluster: Cluster, input_path: Path, *, db: str, schema: str, logins: dict[str, tuple[str, list[str] | None]]
) -> str:
    """Run `input_path` into `schema` of a new database `db` with `logins` (login → (role, sub-districts or None))
    made and granted; the owner's URL."""
    from blockcheck.pipeline import run
    from blockcheck.workbook.postgis_conn import connect, parse_target
    from blockcheck.workbook.postgis_schema import grant, init_access

    cluster.sql(f'CREATE DATABASE "{db}"')
    owner = cluster.url(db=db, schema=schema)
    with connect(parse_target(owner)) as conn, conn.transaction():
        init_access(conn, schema)
        for login, (role, subdistricts) in logins.items():
            conn.execute(f"CREATE ROLE {login} LOGIN")
            grant(conn, schema, login, role, subdistricts)
    run(input_path, owner)
    return owner


# --------------------------------------------------------------------- fixtures (imported by the test modules)


@pytest.fixture(scope="session")
def pg_cluster():
    """The session's throwaway server (skips the test when PostgreSQL or PostGIS is not installed; fails in CI)."""
    reason = missing()
    if reason and (os.environ.get("CI") or os.environ.get("BLOCKCHECK_REQUIRE_POSTGIS")):
        pytest.fail(f"{reason}: CI must run the PostGIS workbook tests")  # a green CI never hides a missing install
    if reason:
        pytest.skip(reason)
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def two_subdistrict_input(tmp_path_factory) -> Path:
    """The tiny district with its two blocks in two sub-districts: CP02-0101 in A街道, CP02-0102 in B街道."""
    from districts import tiny_layers, write_input

    layers = tiny_layers()
    layers["blocks"]["subdistrict"] = ["A街道", "B街道"]
    return write_input(tmp_path_factory.mktemp("pg-input") / "tiny.gpkg", layers)


@pytest.fixture
def workbook_url(pg_cluster):
    """``workbook_url(schema)``: the superuser's URL of a workbook in `schema` of a database of its own."""
    made = []

    def url(schema: str) -> str:
        db = f"wb_{schema}"
        if db not in made:
            pg_cluster.sql(f'CREATE DATABASE "{db}"')
            made.append(db)
        return pg_cluster.url(db=db, schema=schema)

    return url
