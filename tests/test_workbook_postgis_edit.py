"""Editors' versioned updates of a PostGIS workbook (issue 17), against a real throwaway server.

``read_row`` and ``update_row`` (blockcheck/workbook/postgis_edit.py) are what the QGIS checklist editor sends.
The load test: 20 analysts' connections edit the names of the tiny district's 7 projects for 60 s, each at
most once a second (≤ 20 updates/s on localhost), reading a row, thinking up to 0.3 s, and sending the update
based on the version read; ``blockcheck run`` re-runs the district into the workbook in the middle. Afterwards:
every accepted edit was based on the version just before it (so none was lost), the last one of each row is in
the row, every refused edit named who made the version it missed and when, and the change log and project
history hold exactly one entry per accepted edit.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
from psycopg.pq import TransactionStatus

from blockcheck.errors import PermissionDeniedError, StaleEditError
from blockcheck.workbook.postgis import read_table
from blockcheck.workbook.postgis_conn import connect, database_errors, parse_target
from blockcheck.workbook.postgis_edit import read_row, update_row

#: The server and the workbooks on it: fixtures pg_cluster, two_subdistrict_input.
from postgis_cluster import team_workbook

pytest_plugins = ("postgis_cluster",)

SCHEMA = "load"
EDITORS = 20
LOAD_S = 60.0
#: Each editor sends at most one update in this many seconds (20 editors: ≤ 20 updates/s).
EDIT_EVERY_S = 1.0
#: When the re-run starts, seconds into the load.
RERUN_AT_S = 15.0
_STALE = re.compile(
    r"row (\S+) of project_list was changed by (\w+) at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC) "
    r"\(now version (\d+); the edit was based on version (\d+)\)"
)


@pytest.fixture(scope="module")
def workbook(pg_cluster, two_subdistrict_input):
    """The owner's URL of a workbook run once, with analysts ed00 … ed19 of every sub-district."""
    logins = {f"ed{i:02d}": ("analyst", None) for i in range(EDITORS)} | {"looker": ("viewer", None)}
    owner = team_workbook(pg_cluster, two_subdistrict_input, db="wb_load", schema=SCHEMA, logins=logins)

    class Workbook:
        url = owner
        input = two_subdistrict_input

        @staticmethod
        def as_user(login: str):
            return parse_target(pg_cluster.url(user=login, db="wb_load", schema=SCHEMA))

    return Workbook


def test_an_edit_based_on_the_version_read_is_accepted_once(workbook) -> None:
    pid = str(read_table(workbook.url, "project_list")["project_id"].iloc[0])
    target = workbook.as_user("ed00")
    with database_errors(target), connect(target) as conn:
        values, version = read_row(conn, SCHEMA, "project_list", pid, ["name", "unit"])
        assert set(values) == {"name", "unit"}
        assert update_row(conn, SCHEMA, "project_list", pid, {"unit": "街道办"}, version=version) == version + 1
        assert read_row(conn, SCHEMA, "project_list", pid, ["unit"]) == ({"unit": "街道办"}, version + 1)
        assert conn.info.transaction_status == TransactionStatus.IDLE  # nothing left open
    with (
        pytest.raises(StaleEditError, match=r"changed by ed00 at .* UTC \(now version"),
        database_errors(target),
        connect(target) as conn,
    ):
        update_row(conn, SCHEMA, "project_list", pid, {"unit": "again"}, version=version)
    looker = workbook.as_user("looker")
    with pytest.raises(PermissionDeniedError), database_errors(looker), connect(looker) as conn:
        update_row(conn, SCHEMA, "project_list", pid, {"unit": "x"}, version=version + 1)
    with database_errors(target), connect(target) as conn:
        assert read_row(conn, SCHEMA, "project_list", "no-such-project") is None


class _Editor(threading.Thread):
    """One analyst's QGIS session: its own connection, reading and updating names of random projects."""

    def __init__(self, login: str, target, keys: list[str], deadline: float) -> None:
        super().__init__(name=login, daemon=True)
        self.login, self.target, self.keys, self.deadline = login, target, keys, deadline
        self.accepted: list[tuple] = []  # (project, value, version based on, new version, time)
        self.refused: list[tuple] = []  # (project, value, version based on, message)
        self.errors: list[BaseException] = []

    def run(self) -> None:
        rng = random.Random(self.login)
        try:
            with connect(self.target) as conn:
                n = 0
                while time.monotonic() < self.deadline:
                    started = time.monotonic()
                    pid = rng.choice(self.keys)
                    _, version = read_row(conn, SCHEMA, "project_list", pid, ["name"])
                    time.sleep(rng.uniform(0, 0.3))  # the analyst types
                    value, n = f"{self.login}#{n}", n + 1
                    try:
                        with database_errors(self.target):
                            new = update_row(conn, SCHEMA, "project_list", pid, {"name": value}, version=version)
                        self.accepted.append((pid, value, version, new, time.monotonic()))
                    except StaleEditError as err:
                        self.refused.append((pid, value, version, str(err)))
                    time.sleep(max(0.0, EDIT_EVERY_S - (time.monotonic() - started)))
        except BaseException as err:  # noqa: BLE001 - reported by the test
            self.errors.append(err)


def _log(workbook, since: int) -> list[tuple]:
    with connect(parse_target(workbook.url)) as conn:
        return conn.execute(
            "SELECT id, table_name, row_key, op, who, new_row ->> 'name', (new_row ->> 'row_version')::bigint, at "
            "FROM load.change_log WHERE id > %s ORDER BY id",
            (since,),
        ).fetchall()


@pytest.mark.slow
def test_twenty_editors_and_a_rerun_lose_no_edit(workbook) -> None:
    projects = read_table(workbook.url, "project_list", with_version=True)
    keys = sorted(projects["project_id"].astype(str))
    first = {r.project_id: int(r.row_version) for r in projects.itertuples()}
    log_start = max((r[0] for r in _log(workbook, 0)), default=0)
    history_start = len(read_table(workbook.url, "project_history"))
    start = time.monotonic()
    editors = [_Editor(f"ed{i:02d}", workbook.as_user(f"ed{i:02d}"), keys, start + LOAD_S) for i in range(EDITORS)]
    for editor in editors:
        editor.start()
    time.sleep(RERUN_AT_S)
    rerun = subprocess.run(
        [sys.executable, "-m", "blockcheck.cli", "run", str(workbook.input), "--out", workbook.url, "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    rerun_done = time.monotonic()
    for editor in editors:
        editor.join(LOAD_S + 60)
    assert rerun.returncode == 0, rerun.stderr
    assert [e.errors for e in editors] == [[]] * EDITORS
    accepted = [(e.login, *a) for e in editors for a in e.accepted]
    refused = [(e.login, *r) for e in editors for r in e.refused]
    elapsed = time.monotonic() - start
    assert len(accepted) + len(refused) <= EDITORS * elapsed / EDIT_EVERY_S + EDITORS  # the load stayed bounded
    assert len(accepted) > 10 * len(keys) and len(refused) > 10  # real load, real conflicts
    assert any(a[5] > rerun_done for a in accepted)  # editing went on after the re-run's merge

    # no edit lost: each row's accepted edits are versions 2, 3, … of it, each based on the one before it, and
    # the row holds the last one
    final = read_table(workbook.url, "project_list", with_version=True).set_index("project_id")
    made = {}  # (project, version) -> (login, value)
    for login, pid, value, based_on, new, _ in accepted:
        assert new == based_on + 1
        made[(pid, new)] = (login, value)
    for pid in keys:
        versions = sorted(v for p, v in made if p == pid)
        assert versions == list(range(first[pid] + 1, first[pid] + 1 + len(versions))), pid
        last = versions[-1] if versions else first[pid]
        assert int(final.loc[pid, "row_version"]) == last, pid  # the re-run changed no edited row
        if versions:
            assert final.loc[pid, "name"] == made[(pid, last)][1], pid

    # every conflict reported: who made the version the edit missed, and when
    for _login, pid, value, based_on, message in refused:
        found = _STALE.search(message)
        assert found, message
        key, who, _, now, based = found.groups()
        assert (key, int(based)) == (pid, based_on) and int(now) > based_on, message
        assert made[(pid, int(now))][0] == who, message
        assert "Reload the row" in message
        assert value not in set(final["name"])

    # history complete: one change-log entry and one project-history entry per accepted edit, none for a refusal
    log = [r for r in _log(workbook, log_start) if r[3] == "UPDATE"]
    assert sorted((r[2], r[5], r[6], r[4]) for r in log) == sorted((a[1], a[2], a[4], a[0]) for a in accepted)
    runs = [r for r in _log(workbook, log_start) if r[3] == "RUN"]
    assert len(runs) == 1 and min(r[7] for r in log) < runs[0][7] < max(r[7] for r in log)
    history = read_table(workbook.url, "project_history").iloc[history_start:]
    names = history[history["field"] == "name"]
    assert Counter(zip(names["project_id"], names["to_value"], names["changed_by"], strict=True)) == Counter(
        (a[1], a[2], a[0]) for a in accepted
    )
    assert set(history["field"]) == {"name"}  # nothing else was recorded: the re-run changed no project
