"""Who may change what in a PostGIS team workbook (issue 17): enforced by the database, reported as messages.

The tiny district with block CP02-0101 in sub-district A街道 and CP02-0102 in B街道, initialised with
``blockcheck db init`` and run once; logins: two analysts of A, a reviewer, a viewer.
"""

from __future__ import annotations

import pandas as pd
import pytest

from blockcheck.errors import PermissionDeniedError, StaleEditError
from blockcheck.pipeline import run
from blockcheck.workbook.postgis import read_table
from blockcheck.workbook.postgis_conn import connect, database_errors, parse_target

#: The server and the workbooks on it: fixtures pg_cluster, two_subdistrict_input.
from postgis_cluster import team_workbook

pytest_plugins = ("postgis_cluster",)

SCHEMA = "team"
A, B = "CP02-0101", "CP02-0102"


@pytest.fixture(scope="module")
def team(pg_cluster, two_subdistrict_input):
    """The workbook's owner URL; ``team.as_user(login)`` gives a login's URL."""
    logins = {
        "ana_a": ("analyst", ["A街道"]),
        "ana_a2": ("analyst", ["A街道"]),
        "rev": ("reviewer", None),
        "view": ("viewer", None),
    }
    owner = team_workbook(pg_cluster, two_subdistrict_input, db="wb_team", schema=SCHEMA, logins=logins)

    class Team:
        url = owner
        input = two_subdistrict_input

        @staticmethod
        def as_user(login: str) -> str:
            return pg_cluster.url(user=login, db="wb_team", schema=SCHEMA)

    return Team


def _edit(url: str, statement: str, params: tuple = ()) -> int:
    """Run one statement as the URL's login, errors as blockcheck's messages; the rows it changed."""
    target = parse_target(url)
    with database_errors(target), connect(target) as conn, conn.transaction():
        return conn.execute(statement, params).rowcount


def _project(team, block: str) -> str:
    projects = read_table(team.url, "project_list")
    return str(projects.loc[projects["block_id"] == block, "project_id"].iloc[0])


def _one(team, sql: str, params: tuple = ()):
    target = parse_target(team.url)
    with connect(target) as conn:
        return conn.execute(sql, params).fetchone()


def test_an_analyst_edits_the_blocks_of_its_subdistrict(team) -> None:
    pid = _project(team, A)
    assert _edit(team.as_user("ana_a"), "UPDATE team.project_list SET unit = 'A街道办' WHERE project_id = %s", (pid,))
    version, provenance = _one(
        team, "SELECT row_version, provenance FROM team.project_list WHERE project_id = %s", (pid,)
    )
    assert version == 2 and provenance == "edited"
    who, old, new = _one(team, "SELECT who, old_row, new_row FROM team.change_log WHERE row_key = %s", (pid,))
    assert who == "ana_a" and new["unit"] == "A街道办" and old["unit"] != "A街道办"
    history = read_table(team.url, "project_history")
    entry = history[(history["project_id"] == pid) & (history["field"] == "unit")].iloc[-1]
    assert entry["changed_by"] == "ana_a" and entry["to_value"] == "A街道办"


def test_an_analyst_cannot_change_another_subdistrict(team) -> None:
    url, pid = team.as_user("ana_a"), _project(team, B)
    statements = [
        ("UPDATE team.project_list SET unit = 'x' WHERE project_id = %s", (pid,)),
        ("DELETE FROM team.project_list WHERE project_id = %s", (pid,)),
        ("UPDATE team.project_list SET block_id = %s WHERE project_id = %s", (B, _project(team, A))),
        (
            (
                "INSERT INTO team.project_list (number, domain, name, project_id, status, block_id) "
                "VALUES (99, 'public_service', 'new', 'PJ-new', 'registered', %s)"
            ),
            (B,),
        ),
        ("DELETE FROM team.problem_list WHERE scope = %s", (B,)),
    ]
    for statement, params in statements:
        with pytest.raises(PermissionDeniedError, match="B街道") as err:
            _edit(url, statement, params)
        assert "not permitted" in str(err.value) and "blockcheck db grant" in str(err.value)
    assert _one(team, "SELECT count(*) FROM team.project_list WHERE project_id = %s", (pid,))[0] == 1


def test_a_viewer_cannot_write_and_history_cannot_be_altered(team) -> None:
    with pytest.raises(PermissionDeniedError, match="permission denied"):
        _edit(team.as_user("view"), "UPDATE team.project_list SET unit = 'x'")
    for login in ("ana_a", "rev", "view"):
        for statement in (
            "DELETE FROM team.project_history",
            "UPDATE team.project_history SET changed_by = 'someone else'",
            "UPDATE team.change_log SET who = 'postgres'",
            "DELETE FROM team.change_log",
            "TRUNCATE team.change_log",
        ):
            with pytest.raises(PermissionDeniedError):
                _edit(team.as_user(login), statement)
    assert _one(team, "SELECT count(*) FROM team.project_history")[0] >= 1


def test_computed_columns_are_the_runs_alone(team) -> None:
    pid = _project(team, A)
    with pytest.raises(PermissionDeniedError, match="written only by `blockcheck run`"):
        _edit(team.as_user("ana_a"), "UPDATE team.project_list SET priority_score = 100 WHERE project_id = %s", (pid,))
    with pytest.raises(PermissionDeniedError):
        _edit(team.as_user("ana_a"), "UPDATE team.problem_list SET observed_value = 0 WHERE scope = %s", (A,))


def test_a_reviewer_changes_status_anywhere_and_nothing_else(team) -> None:
    pid = _project(team, B)
    assert _edit(team.as_user("rev"), "UPDATE team.project_list SET status = 'adjusted' WHERE project_id = %s", (pid,))
    who = _one(
        team,
        "SELECT changed_by FROM team.project_history WHERE project_id = %s AND field = 'status' "
        "ORDER BY history_id DESC LIMIT 1",
        (pid,),
    )[0]
    assert who == "rev"
    with pytest.raises(PermissionDeniedError, match="permission denied"):
        _edit(team.as_user("rev"), "UPDATE team.project_list SET name = 'x' WHERE project_id = %s", (pid,))


def test_an_edit_of_an_older_version_is_refused_naming_who_and_when(team) -> None:
    problems = read_table(team.url, "problem_list", with_version=True)
    row = problems[problems["scope"] == A].iloc[0]
    key, version = row["id"], int(row["row_version"])
    _edit(team.as_user("ana_a2"), "UPDATE team.problem_list SET situation = 'seen on site' WHERE id = %s", (key,))
    with pytest.raises(StaleEditError) as err:
        _edit(
            team.as_user("ana_a"),
            "UPDATE team.problem_list SET situation = 'mine', row_version = %s WHERE id = %s",
            (version, key),
        )
    assert "ana_a2" in str(err.value) and "UTC" in str(err.value) and "Reload" in str(err.value)
    assert _one(team, "SELECT situation FROM team.problem_list WHERE id = %s", (key,))[0] == "seen on site"


def test_analysts_and_reviewers_work_survives_a_rerun(team) -> None:
    pid = _project(team, A)
    _edit(
        team.as_user("ana_a"), "UPDATE team.project_list SET name = 'kept by the analyst' WHERE project_id = %s", (pid,)
    )
    resource = str(read_table(team.url, "resource_list")["resource_id"].iloc[0])
    _edit(team.as_user("rev"), "UPDATE team.resource_list SET status = 'confirmed' WHERE resource_id = %s", (resource,))
    history_before = len(read_table(team.url, "project_history"))
    run(team.input, team.url)
    projects = read_table(team.url, "project_list")
    assert projects.loc[projects["project_id"] == pid, "name"].item() == "kept by the analyst"
    resources = read_table(team.url, "resource_list")
    assert resources.loc[resources["resource_id"] == resource, "status"].item() == "confirmed"
    assert len(read_table(team.url, "project_history")) >= history_before  # history only grows


def test_an_edit_made_while_a_run_computes_is_kept(team, monkeypatch) -> None:
    from blockcheck.workbook import postgis

    pid = _project(team, A)
    original = postgis.read_merged

    def edit_after_the_snapshot(target, layers):
        tables = original(target, layers)  # what the run computes with: read before the edit
        _edit(
            team.as_user("ana_a2"),
            "UPDATE team.project_list SET unit = 'edited meanwhile' WHERE project_id = %s",
            (pid,),
        )
        return tables

    monkeypatch.setattr(postgis, "read_merged", edit_after_the_snapshot)
    run(team.input, team.url)
    projects = read_table(team.url, "project_list")
    assert projects.loc[projects["project_id"] == pid, "unit"].item() == "edited meanwhile"


def test_a_run_waits_for_open_edits_then_gives_up_changing_nothing(team, monkeypatch) -> None:
    from blockcheck.errors import DatabaseError
    from blockcheck.workbook import postgis

    monkeypatch.setattr(postgis, "LOCK_WAIT_S", 1)
    pid = _project(team, A)
    before = read_table(team.url, "project_list", with_version=True)
    target = parse_target(team.as_user("ana_a"))
    with connect(target) as editor:  # an edit not yet saved: its transaction stays open during the run
        editor.execute("UPDATE team.project_list SET unit = 'not saved yet' WHERE project_id = %s", (pid,))
        with pytest.raises(DatabaseError, match="open for too long"):
            run(team.input, team.url)
        editor.rollback()
    pd.testing.assert_frame_equal(read_table(team.url, "project_list", with_version=True), before)


def _edited_export(url: str, path, *, project: str, column: str, value: str):
    """The workbook's lists exported by the login of `url`, one cell of `project` set to `value` (as in Excel)."""
    from openpyxl import load_workbook

    from blockcheck.workbook.lists_export import export_lists

    exported = export_lists(url, path)
    book = load_workbook(exported)
    sheet = book["图8 项目清单"]
    header = [c.value for c in sheet[2]]  # row 1: the title
    for row in sheet.iter_rows(min_row=3):
        if row[header.index("项目编号")].value == project:
            row[header.index(column)].value = value
    book.save(exported)  # document properties (the revision) kept, as Excel keeps them
    return exported


def test_an_analyst_imports_excel_edits_through_the_databases_rules(team, tmp_path, monkeypatch) -> None:
    from blockcheck.workbook import postgis_import
    from blockcheck.workbook.lists_import import import_lists

    ana = team.as_user("ana_a")
    before = read_table(team.url, "project_list", with_version=True)
    other = _edited_export(ana, tmp_path / "b.xlsx", project=_project(team, B), column="项目名称", value="not mine")
    with pytest.raises(PermissionDeniedError, match="B街道"):
        import_lists(ana, other, reason="听证会")
    pd.testing.assert_frame_equal(read_table(team.url, "project_list", with_version=True), before)

    pid = _project(team, A)
    mine = _edited_export(ana, tmp_path / "a.xlsx", project=pid, column="项目名称", value="居民议事会意见")
    assert import_lists(ana, mine, who="ignored", reason="听证会")["project_list"] == 1
    row = read_table(team.url, "project_list", with_version=True).set_index("project_id").loc[pid]
    old = before.set_index("project_id").loc[pid]
    assert row["name"] == "居民议事会意见" and row["row_version"] == old["row_version"] + 1
    history = read_table(team.url, "project_history")
    entry = history[(history["project_id"] == pid) & (history["field"] == "name")].iloc[-1]
    assert (entry["changed_by"], entry["reason"], entry["to_value"]) == ("ana_a", "听证会", "居民议事会意见")
    assert (
        _one(team, "SELECT who FROM team.change_log WHERE row_key = %s ORDER BY id DESC LIMIT 1", (pid,))[0] == "ana_a"
    )

    # another analyst saves an edit of the same row while the import works: the import is refused, naming them
    again = _edited_export(ana, tmp_path / "c.xlsx", project=pid, column="项目名称", value="second thoughts")
    original = postgis_import.plan_import

    def edit_meanwhile(*args, **kwargs):
        planned = original(*args, **kwargs)
        _edit(team.as_user("ana_a2"), "UPDATE team.project_list SET unit = 'meanwhile' WHERE project_id = %s", (pid,))
        return planned

    monkeypatch.setattr(postgis_import, "plan_import", edit_meanwhile)
    with pytest.raises(StaleEditError, match="ana_a2") as err:
        import_lists(ana, again)
    assert "UTC" in str(err.value)
    row = read_table(team.url, "project_list").set_index("project_id").loc[pid]
    assert row["name"] == "居民议事会意见" and row["unit"] == "meanwhile"
