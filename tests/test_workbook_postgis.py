"""The workbook on PostgreSQL/PostGIS (issue 17), against a real throwaway server (tests/postgis_cluster.py).

A run and a re-run of the tiny district into a schema give the same layers, rows and geometries as into a
GeoPackage; a failed run (an error before the commit, or the connection killed) leaves the workbook as it was;
connection strings never show their passwords; ``blockcheck db`` reports bad input as messages.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pandas as pd
import pytest
import shapely

from blockcheck.errors import DatabaseError, StaleImportError
from blockcheck.lists.schema import list_tables
from blockcheck.pipeline import run
from blockcheck.report.workbook_data import load_workbook
from blockcheck.whatif import what_if
from blockcheck.workbook import postgis
from blockcheck.workbook.excel import read_eight_lists
from blockcheck.workbook.history import lists_revision
from blockcheck.workbook.lists_export import export_lists
from blockcheck.workbook.lists_import import import_lists
from blockcheck.workbook.postgis_conn import parse_target, redact
from blockcheck.workbook.read import layer_names, read_meta, read_table, read_workbook

#: The server and the workbooks on it: fixtures pg_cluster, two_subdistrict_input, workbook_url.
pytest_plugins = ("postgis_cluster",)

#: Values that differ between any two runs (the time of the run and of history entries).
_VOLATILE = {"blockcheck_meta": ("key", "run_at_utc"), "project_history": ("column", "changed_at")}


def _comparable(name: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, object]:
    rule = _VOLATILE.get(name)
    if rule and rule[0] == "key":
        frame = frame[frame["key"] != rule[1]]
    elif rule:
        frame = frame.drop(columns=rule[1])
    key = list_tables()[name].key if name in list_tables() else None
    if name == "project_history":  # an import's entries: the database numbers a row's fields in its own order
        frame = frame.drop(columns=key).sort_values([c for c in frame.columns if c != key], kind="stable")
    elif key is not None:
        frame = frame.sort_values(key, kind="stable")
    frame = frame.reset_index(drop=True)
    geometry = frame.geometry.to_numpy() if "geometry" in frame else None
    return pd.DataFrame(frame).drop(columns="geometry", errors="ignore"), geometry


def _assert_same_workbook(gpkg, url) -> None:
    names = layer_names(gpkg)
    assert layer_names(url) == names
    from_file, from_db = read_workbook(gpkg, tuple(sorted(names))), read_workbook(url, tuple(sorted(names)))
    for name in sorted(names):
        expected, expected_geometry = _comparable(name, from_file[name])
        got, got_geometry = _comparable(name, from_db[name])
        assert list(got.columns) == list(expected.columns), name
        pd.testing.assert_frame_equal(got, expected, check_dtype=False, obj=name)
        if expected_geometry is not None:
            assert got_geometry is not None, name
            assert shapely.equals(got_geometry, expected_geometry).all(), name
            assert from_db[name].crs == from_file[name].crs, name


def _edited_lists(workbook, tmp_path) -> tuple[Path, str, str]:
    """An export of `workbook`'s lists edited as an analyst would: a project's status and name changed, a strategy
    added, a problem's row deleted from its sheet; (file, the project's id, the deleted problem's id)."""
    from openpyxl import load_workbook
    from openpyxl.packaging.custom import StringProperty

    from blockcheck.workbook.excel import REVISION_PROPERTY, read_revision

    exported = export_lists(workbook, tmp_path / "exported.xlsx")
    book = pd.read_excel(exported, sheet_name=None, dtype=object, header=1)  # row 1: the title
    projects = book["图8 项目清单"]
    pid = projects.loc[0, "项目编号"]
    projects.loc[0, "项目状态"] = "adjusted"
    projects.loc[0, "项目名称"] = "打通工程（听证会调整）"
    strategies = book["图5 策略清单"]
    extra = strategies.iloc[[0]].assign(编号="ST-added-by-analyst", 策略要点="增设无障碍坡道")
    book["图5 策略清单"] = pd.concat([strategies, extra], ignore_index=True)
    problems = book["图1 问题清单"]
    deleted = problems.iloc[-1]["编号"]
    book["图1 问题清单"] = problems.iloc[:-1]
    edited = tmp_path / "edited.xlsx"
    with pd.ExcelWriter(edited) as writer:
        for title, frame in book.items():
            frame.to_excel(writer, sheet_name=title, index=False)
    kept = load_workbook(edited)  # as Excel keeps the file's document properties on save
    kept.custom_doc_props.append(StringProperty(name=REVISION_PROPERTY, value=read_revision(exported)))
    kept.save(edited)
    return edited, pid, deleted


def test_run_rerun_and_import_lists_equal_the_geopackage(two_subdistrict_input, workbook_url, tmp_path) -> None:
    url, gpkg = workbook_url("same"), tmp_path / "out" / "workbook.gpkg"
    for _ in range(2):  # a run, then a re-run into the same workbook
        run(two_subdistrict_input, tmp_path / "out")
        result = run(two_subdistrict_input, url)
        _assert_same_workbook(gpkg, url)
    assert str(result.workbook) == str(parse_target(url)) and result.excel is None
    assert read_meta(url)["step"] == "run"
    versions = postgis.read_table(url, "project_list", with_version=True)
    assert (versions["row_version"] == 1).all()  # nothing changed in the re-run: no row got a new version

    # the same edited Excel file imported into both (the exports of both carry the same revision)
    edited, pid, deleted = _edited_lists(gpkg, tmp_path)
    log_before = len(postgis_rows(url, "change_log"))
    options = {"who": "postgres", "reason": "听证会意见", "delete_missing": True}  # who: the database login
    counts = import_lists(gpkg, edited, **options)
    assert import_lists(url, edited, **options) == counts
    assert counts["project_list"] == 1 and counts["strategy_list"] == 1 and counts["problem_list"] == 1
    _assert_same_workbook(gpkg, url)
    projects = postgis.read_table(url, "project_list", with_version=True).set_index("project_id")
    assert projects.loc[pid, "row_version"] == 2 and projects.loc[pid, "status"] == "adjusted"
    assert (projects.drop(index=pid)["row_version"] == 1).all()
    log = postgis_rows(url, "change_log")[log_before:]
    assert sorted((r[0], r[1], r[2]) for r in log) == [
        ("problem_list", deleted, "DELETE"),
        ("project_list", pid, "UPDATE"),
        ("strategy_list", "ST-added-by-analyst", "INSERT"),
    ]
    with pytest.raises(StaleImportError, match="changed after this file was written"):
        import_lists(url, edited, **options)  # the same file again: the lists moved on

    for _ in range(2):  # re-runs keep the imported rows in both
        run(two_subdistrict_input, tmp_path / "out")
        run(two_subdistrict_input, url)
        _assert_same_workbook(gpkg, url)


def postgis_rows(url: str, table: str) -> list[tuple]:
    """(table_name, row_key, op, who) of the workbook's change log, oldest first."""
    from blockcheck.workbook.postgis_conn import connect

    target = parse_target(url)
    with connect(target) as conn:
        return conn.execute(
            f'SELECT table_name, row_key, op, who FROM "{target.schema}"."{table}" ORDER BY id'
        ).fetchall()


@pytest.fixture(scope="module")
def pair(two_subdistrict_input, pg_cluster, tmp_path_factory):
    """(GeoPackage workbook, PostGIS workbook URL) of one run each, for tests that only read them."""
    pg_cluster.sql("CREATE DATABASE wb_pair")
    url, out = pg_cluster.url(db="wb_pair", schema="pair"), tmp_path_factory.mktemp("pair")
    run(two_subdistrict_input, out)
    run(two_subdistrict_input, url)
    return out / "workbook.gpkg", url


def test_readers_give_the_same_from_postgis(pair, tmp_path) -> None:
    """What-if, the Excel export and what the maps, atlas and report read: the same from either backend."""
    gpkg, url = pair
    ids = list(read_table(gpkg, "project_list")["project_id"][:3])
    pd.testing.assert_frame_equal(what_if(url, ids), what_if(gpkg, ids))
    assert lists_revision(read_workbook(url)) == lists_revision(read_workbook(gpkg))
    written = export_lists(url, tmp_path / "from_postgis.xlsx")
    assert read_eight_lists(written)["_revision"]["revision"].iloc[0] == lists_revision(read_workbook(gpkg))
    from_db, from_file = load_workbook(url, context=False), load_workbook(gpkg, context=False)
    assert from_db.crs == from_file.crs and from_db.meta.keys() == from_file.meta.keys()
    assert shapely.equals(from_db.blocks.geometry.to_numpy(), from_file.blocks.geometry.to_numpy()).all()
    for name, frame in from_file.lists.items():
        assert len(from_db.lists[name]) == len(frame), name


def _state(cluster, schema: str) -> dict:
    """Every row of every table of `schema` (in the database ``wb_<schema>``), as text: what a failed run must leave
    as it was."""
    db = f"wb_{schema}"
    tables = [r[0] for r in cluster.sql(f"SELECT tablename FROM pg_tables WHERE schemaname = '{schema}'", db=db)]
    assert "project_list" in tables and "change_log" in tables, tables  # the workbook's schema, not an empty one
    return {t: sorted(map(str, cluster.sql(f'SELECT * FROM "{schema}"."{t}"', db=db))) for t in tables}


def test_a_failed_run_changes_nothing(two_subdistrict_input, workbook_url, pg_cluster, monkeypatch) -> None:
    url = workbook_url("failed")
    run(two_subdistrict_input, url)
    before = _state(pg_cluster, "failed")
    original = postgis._replace_table

    def fail_late(conn, schema, gis, name, frame):
        original(conn, schema, gis, name, frame)
        if name == "validation_report":  # the last layer: everything else is written by now
            raise RuntimeError("injected before the commit")

    monkeypatch.setattr(postgis, "_replace_table", fail_late)
    with pytest.raises(RuntimeError, match="injected"):
        run(two_subdistrict_input, url)
    assert _state(pg_cluster, "failed") == before

    def kill_connection(conn, schema, gis, name, frame):
        if name == "metric_status":
            pg_cluster.sql(f"SELECT pg_terminate_backend({conn.info.backend_pid})")
        original(conn, schema, gis, name, frame)

    monkeypatch.setattr(postgis, "_replace_table", kill_connection)
    with pytest.raises(DatabaseError, match="connection to the database failed"):
        run(two_subdistrict_input, url)
    assert _state(pg_cluster, "failed") == before


def test_passwords_are_never_shown() -> None:
    assert (
        redact("postgresql://ana:s3cret@db.example:5432/plan?schema=w")
        == "postgresql://ana:***@db.example:5432/plan?schema=w"
    )
    assert "s3cret" not in redact("host=db password=s3cret user=ana")
    assert "s3cret" not in redact("postgresql://db/plan?password=s3cret&schema=w")
    target = parse_target("postgresql://ana:s3cret@127.0.0.1:1/plan?schema=w")
    assert target.schema == "w" and "schema" not in target.conninfo and "s3cret" not in str(target)
    assert "s3cret" not in repr(target) and "s3cret" not in repr([target])
    assert parse_target("service=planning schema=hlg") == parse_target("service=planning schema=hlg")
    assert parse_target("service=planning schema=hlg").conninfo == "service=planning"
    with pytest.raises(DatabaseError) as err:
        postgis.layer_names("postgresql://ana:s3cret@127.0.0.1:1/plan?schema=w")
    assert "s3cret" not in str(err.value) and "cannot connect" in str(err.value)


def _cli(args: list[str], capsys) -> tuple[int, str]:
    from blockcheck.cli import main

    try:
        main(args)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    out = capsys.readouterr()
    return code, out.out + out.err


def test_db_commands_report_bad_input(workbook_url, pg_cluster, capsys) -> None:
    url = workbook_url("cli")
    code, text = _cli(["db", "init", url], capsys)
    assert code == 0, text
    assert "cli_analyst" in text
    code, text = _cli(["db", "grant", url, "--user", "nobody", "--role", "analyst"], capsys)
    assert code == 2 and "login 'nobody' does not exist" in text and "Traceback" not in text
    code, text = _cli(["db", "grant", url, "--user", "postgres", "--role", "boss"], capsys)
    assert code == 2 and "boss" in text
    code, text = _cli(
        ["db", "grant", "postgresql://x:pw123@127.0.0.1:1/db?schema=cli", "--user", "a", "--role", "viewer"], capsys
    )
    assert code == 2 and "cannot connect" in text and "pw123" not in text and "Traceback" not in text
    code, text = _cli(["db", "init", pg_cluster.url(schema="Not-A-Name")], capsys)
    assert code == 2 and "is not accepted" in text
    pg_cluster.sql("CREATE ROLE cli_viewer_login LOGIN")
    code, text = _cli(
        ["db", "grant", url, "--user", "cli_viewer_login", "--role", "viewer", "--subdistricts", "A"], capsys
    )
    assert code == 2 and "analysts only" in text
    code, text = _cli(["db", "grant", url, "--user", "cli_viewer_login", "--role", "viewer"], capsys)
    assert code == 0 and "is now viewer" in text
    code, text = _cli(["db", "revoke", url, "--user", "cli_viewer_login"], capsys)
    assert code == 0 and "no role" in text


def test_cli_run_into_postgis_hides_the_password(two_subdistrict_input, workbook_url, capsys) -> None:
    url = workbook_url("clirun").replace("postgresql://postgres@", "postgresql://postgres:topsecret@")
    code, text = _cli(["run", str(two_subdistrict_input), "--out", url, "--quiet"], capsys)
    assert code == 0, text
    assert "Workbook: postgresql://postgres:***@" in text and "topsecret" not in text
    code, text = _cli(["import-lists", url, "edited.xlsx", "--who", "me"], capsys)
    assert code == 2 and "edited.xlsx" in text and "topsecret" not in text and "Traceback" not in text


def test_without_psycopg_the_message_names_the_extra(monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if it were not installed
    with pytest.raises(DatabaseError, match=r"blockcheck\[postgis\]"):
        postgis.layer_names("postgresql://u@127.0.0.1:1/db?schema=w")


def test_a_server_crash_during_the_merge_leaves_the_previous_state(
    two_subdistrict_input, workbook_url, pg_cluster, monkeypatch
) -> None:
    """SIGKILL of the run's server process in the middle of its writes: the server recovers the previous state."""
    import os
    import signal
    import time

    url = workbook_url("crash")
    run(two_subdistrict_input, url)
    before = _state(pg_cluster, "crash")
    original = postgis._upsert_list

    def crash(conn, schema, gis, name, frame):
        original(conn, schema, gis, name, frame)
        if name == "task_list":  # half of the lists written
            os.kill(conn.info.backend_pid, signal.SIGKILL)

    monkeypatch.setattr(postgis, "_upsert_list", crash)
    with pytest.raises(DatabaseError, match="connection to the database failed"):
        run(two_subdistrict_input, url)
    import psycopg

    for _ in range(100):  # the server restarts its processes and recovers from its log
        try:
            pg_cluster.sql("SELECT 1")
            break
        except psycopg.OperationalError:  # still in recovery: connections are refused for a moment
            time.sleep(0.1)
    assert _state(pg_cluster, "crash") == before


def test_db_export_and_import_round_trip(pair, workbook_url, tmp_path, capsys) -> None:
    (gpkg, url), copy = pair, workbook_url("imported")
    code, text = _cli(["db", "export", url, "--out", str(tmp_path / "exported.gpkg")], capsys)
    assert code == 0, text
    _assert_same_workbook(tmp_path / "exported.gpkg", url)
    _assert_same_workbook(gpkg, url)
    code, text = _cli(["db", "import", copy, str(gpkg)], capsys)
    assert code == 0, text
    _assert_same_workbook(gpkg, copy)
    code, text = _cli(["db", "import", copy, str(gpkg)], capsys)
    assert code == 2 and "already holds a workbook" in text


_RUN_KILLED_IN_THE_MERGE = """
import sys
from blockcheck.workbook import postgis
from blockcheck.cli import main

original = postgis._upsert_list


def wait_for_the_kill(conn, schema, gis, name, frame):
    original(conn, schema, gis, name, frame)
    if name == "task_list":  # half of the lists written, the transaction open
        print("MERGING", flush=True)
        sys.stdin.readline()  # the test kills the server, then says so


postgis._upsert_list = wait_for_the_kill
main(["run", sys.argv[1], "--out", sys.argv[2], "--quiet"])
"""


@pytest.mark.slow
def test_the_whole_server_killed_during_the_merge_leaves_the_previous_state(two_subdistrict_input) -> None:
    """SIGKILL of the postmaster and all its processes in the middle of a re-run's merge, then a restart: every
    row, version and history entry as before; the run says what happened and exits with an error."""
    import subprocess
    import sys

    from postgis_cluster import start_cluster

    cluster = start_cluster()  # a server of its own: the session's server is not killed under other tests
    try:
        cluster.sql("CREATE DATABASE wb_kill")
        url = cluster.url(db="wb_kill", schema="kill")
        run(two_subdistrict_input, url)
        cluster.sql("CREATE ROLE ana LOGIN")
        code, text = _cli_grant(url, "ana")
        assert code == 0, text
        run(two_subdistrict_input, url)  # the workbook's roles and policies in place
        analyst = cluster.url(user="ana", db="wb_kill", schema="kill")
        with database_errors_for(analyst) as conn:  # an analyst's edit: a version, a log and a history entry
            conn.execute("UPDATE kill.project_list SET name = 'kept' WHERE number = 1")
        cluster.sql("CHECKPOINT")  # the test server does not wait for its log on commit: make the state durable
        before = _state(cluster, "kill")
        assert any("'kept'" in row for row in before["project_list"])
        assert before["change_log"] and before["project_history"]
        proc = subprocess.Popen(
            [sys.executable, "-c", _RUN_KILLED_IN_THE_MERGE, str(two_subdistrict_input), url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout.readline().strip() == "MERGING"
        killed = cluster.kill()
        assert len(killed) >= 5  # the postmaster and its processes (checkpointer, writers, the run's backend …)
        cluster.start()
        _, stderr = proc.communicate("killed\n", timeout=120)
        assert proc.returncode != 0
        assert "connection to the database failed" in stderr and "Nothing was changed" in stderr, stderr
        assert "Traceback" not in stderr
        assert _state(cluster, "kill") == before
    finally:
        cluster.stop()


def _cli_grant(url: str, login: str) -> tuple[int, str]:
    import subprocess
    import sys

    for args in (["db", "init", url], ["db", "grant", url, "--user", login, "--role", "analyst"]):
        proc = subprocess.run(
            [sys.executable, "-m", "blockcheck.cli", *args], capture_output=True, text=True, check=False
        )
        if proc.returncode:
            return proc.returncode, proc.stderr
    return 0, ""


@contextlib.contextmanager
def database_errors_for(url: str):
    """A committed transaction of the URL's login, errors as blockcheck's messages."""
    from blockcheck.workbook.postgis_conn import connect, database_errors

    target = parse_target(url)
    with database_errors(target), connect(target) as conn, conn.transaction():
        yield conn
