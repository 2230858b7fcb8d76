"""Writing a run into a workbook that another program holds open (issue 16, point 1).

QGIS keeps ``workbook.gpkg`` open in SQLite's WAL mode while the analyst edits it. A run into the same
folder changes the file in place, in one transaction: the open connection keeps a consistent database
(its read transaction sees the old tables, the next one the new), its edits survive, and the file opens
in GDAL (``ogrinfo``) and SQLite afterwards — never "malformed database schema".
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from blockcheck.errors import OutputError
from blockcheck.gpkg_inplace import replace_layers
from blockcheck.io import write_gpkg
from blockcheck.pipeline import run
from districts import tiny_layers, write_input

RESOURCE = "RL-idle_site-parcels-P2"
REPETITIONS = 20

#: A second program with the workbook open in WAL mode (as QGIS has it): it commits edits, holds read
#: transactions across a run, and answers one JSON line per command.
_HOLDER = textwrap.dedent("""
    import json, sqlite3, sys
    con = sqlite3.connect(sys.argv[1], isolation_level=None)
    for name in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):  # GDAL's, named in the R-tree triggers
        con.create_function(name, 1, lambda geometry: 0)
    con.execute("PRAGMA journal_mode = WAL")
    print(json.dumps("ready"), flush=True)
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "edit":
            con.execute("UPDATE resource_list SET status = ? WHERE resource_id = ?", (argument, %(resource)r))
            out = "ok"
        elif command == "begin":  # a read transaction, held until "end"
            con.execute("BEGIN")
            out = con.execute("SELECT count(*) FROM project_list").fetchone()[0]
        elif command == "count":
            out = con.execute("SELECT count(*) FROM project_list").fetchone()[0]
        elif command == "end":
            con.execute("COMMIT")
            out = "ok"
        elif command == "check":
            tables = [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")]
            out = {
                "integrity": con.execute("PRAGMA integrity_check").fetchone()[0],
                "rows": {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables},
                "status": con.execute(
                    "SELECT status FROM resource_list WHERE resource_id = ?", (%(resource)r,)
                ).fetchone()[0],
            }
        print(json.dumps(out), flush=True)
""") % {"resource": RESOURCE}


class Holder:
    """The other program: a subprocess with its own SQLite connection to the workbook."""

    def __init__(self, workbook: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _HOLDER, str(workbook)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.ask() == "ready"

    def ask(self, command: str | None = None):
        if command is not None:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(30)


def _opens_everywhere(workbook: Path) -> dict[str, int]:
    """The workbook opens in SQLite (integrity ok, every layer selectable) and GDAL (ogrinfo, pyogrio)."""
    con = sqlite3.connect(workbook)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")]
        rows = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        counted = dict(con.execute("SELECT table_name, feature_count FROM gpkg_ogr_contents"))
        for table, column in con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall():
            tree = f"rtree_{table}_{column}"
            assert con.execute("SELECT rtreecheck(?)", (tree,)).fetchone()[0] == "ok"  # a well-formed R-tree …
            indexed = con.execute(f'SELECT count(*) FROM "{tree}"').fetchone()[0]  # … of every feature
            assert indexed == con.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}" IS NOT NULL').fetchone()[0]
    finally:
        con.close()
    assert {t: counted[t] for t in rows} == rows  # feature counts kept right
    done = subprocess.run(["ogrinfo", "-ro", "-so", "-al", str(workbook)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
    assert "ERROR" not in done.stdout
    assert {str(n) for n, _ in pyogrio.list_layers(workbook)} == set(rows)
    return rows


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return write_input(tmp_path / "in.gpkg", tiny_layers())


def test_runs_into_a_workbook_held_open_in_wal_mode_keep_it_whole_and_keep_the_edits(source, tmp_path) -> None:
    out = tmp_path / "out"
    workbook = run(source, out).workbook
    holder = Holder(workbook)
    try:
        inode = workbook.stat().st_ino
        for i in range(REPETITIONS):
            wanted = ("confirmed", "rejected")[i % 2]
            assert holder.ask(f"edit {wanted}") == "ok"  # the analyst's committed edit
            before = holder.ask("begin")  # … and a read transaction open across the run
            run(source, out)
            assert holder.ask("count") == before  # the open transaction still sees its snapshot
            assert holder.ask("end") == "ok"
            seen = holder.ask("check")
            assert seen["integrity"] == "ok" and seen["status"] == wanted
            rows = _opens_everywhere(workbook)
            assert seen["rows"] == rows
            frame = pyogrio.read_dataframe(workbook, layer="resource_list").set_index("resource_id")
            assert frame.loc[RESOURCE, "status"] == wanted  # the edit survived the run
            assert workbook.stat().st_ino == inode  # changed in place, never replaced
    finally:
        holder.close()
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_an_in_place_run_reads_back_as_a_new_workbook_and_keeps_other_layers(source, tmp_path) -> None:
    fresh = run(source, tmp_path / "fresh").workbook
    workbook = run(source, tmp_path / "again").workbook
    mine = tiny_layers()["green"].assign(note="分析员自绘")
    pyogrio.write_dataframe(mine, workbook, layer="analyst_sketch", driver="GPKG")
    styles = pd.DataFrame({"f_table_name": ["block_metrics"], "styleName": ["mine"], "styleQML": ["<qgis/>"]})
    pyogrio.write_dataframe(styles, workbook, layer="layer_styles", driver="GPKG")
    order = [str(n) for n, _ in pyogrio.list_layers(workbook)]
    run(source, tmp_path / "again")
    assert [str(n) for n, _ in pyogrio.list_layers(workbook)] == order  # every layer kept, in its place
    assert pyogrio.read_dataframe(workbook, layer="analyst_sketch")["note"].tolist() == ["分析员自绘"]
    assert pyogrio.read_dataframe(workbook, layer="layer_styles")["styleName"].tolist() == ["mine"]
    _opens_everywhere(workbook)
    volatile = {"blockcheck_meta": ["value"], "project_history": ["changed_at"]}
    for name, _ in pyogrio.list_layers(fresh):
        ours = pyogrio.read_dataframe(workbook, layer=name, fid_as_index=True)
        theirs = pyogrio.read_dataframe(fresh, layer=name, fid_as_index=True)
        drop = volatile.get(str(name), [])
        pd.testing.assert_frame_equal(ours.drop(columns=drop), theirs.drop(columns=drop), check_exact=True)
        assert pyogrio.read_info(workbook, layer=name)["crs"] == pyogrio.read_info(fresh, layer=name)["crs"]
        if isinstance(ours, gpd.GeoDataFrame):  # the spatial index answers like the fresh one's
            bounds = list(pyogrio.read_info(fresh, layer=name)["total_bounds"])
            box = (bounds[0], bounds[1], (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)
            assert len(pyogrio.read_dataframe(workbook, layer=name, bbox=box)) == len(
                pyogrio.read_dataframe(fresh, layer=name, bbox=box)
            )


def test_write_gpkg_changes_an_existing_file_in_place_and_a_failure_changes_nothing(tmp_path, monkeypatch) -> None:
    layers = tiny_layers()
    path = write_gpkg(tmp_path / "w.gpkg", {"blocks": layers["blocks"], "roads": layers["roads"]})
    inode = path.stat().st_ino
    write_gpkg(path, {"blocks": layers["blocks"], "green": layers["green"]})  # overwrite: only these
    assert path.stat().st_ino == inode
    assert sorted(str(n) for n, _ in pyogrio.list_layers(path)) == ["blocks", "green"]
    write_gpkg(path, {"roads": layers["roads"]}, overwrite=False)  # added, the others kept
    assert sorted(str(n) for n, _ in pyogrio.list_layers(path)) == ["blocks", "green", "roads"]
    _opens_everywhere(path)
    before = path.read_bytes()
    import blockcheck.gpkg_inplace as gi

    def broken(con, name, srs, *, place=None):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(gi, "_copy_layer", broken)
    with pytest.raises(OutputError, match="Nothing already saved was changed"):
        write_gpkg(path, {"roads": layers["roads"]}, overwrite=False)
    assert path.read_bytes() == before  # rolled back
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.gpkg"]


def test_layers_in_crs_without_a_code_keep_each_their_own(tmp_path) -> None:
    """Two custom CRSs both numbered 100000 in their own files stay apart when one file's layer joins the other."""
    from pyproj import CRS

    blocks = tiny_layers()["blocks"]
    beijing = CRS("+proj=tmerc +lon_0=116.35 +k=1 +x_0=500000 +ellps=GRS80 +units=m +no_defs")
    local = CRS("+proj=tmerc +lon_0=117 +k=1 +x_0=500000 +ellps=GRS80 +units=m +no_defs")
    path = write_gpkg(tmp_path / "w.gpkg", {"blocks": blocks.to_crs(beijing)})
    write_gpkg(path, {"local": blocks.to_crs(local)}, overwrite=False)
    assert CRS(pyogrio.read_info(path, layer="blocks")["crs"]).equals(beijing)
    assert CRS(pyogrio.read_info(path, layer="local")["crs"]).equals(local)
    _opens_everywhere(path)


def test_a_file_that_is_no_geopackage_is_replaced_whole_and_never_added_to(tmp_path) -> None:
    blocks = tiny_layers()["blocks"]
    other = tmp_path / "other.gpkg"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE notes (a)")  # SQLite, but no GeoPackage
    con.commit()
    con.close()
    with pytest.raises(OutputError, match="not a GeoPackage"):
        write_gpkg(other, {"blocks": blocks}, overwrite=False)
    write_gpkg(other, {"blocks": blocks})
    assert [str(n) for n, _ in pyogrio.list_layers(other)] == ["blocks"]
    text = tmp_path / "text.gpkg"
    text.write_text("not a database")
    write_gpkg(text, {"blocks": blocks})
    assert [str(n) for n, _ in pyogrio.list_layers(text)] == ["blocks"]


def test_a_write_transaction_held_elsewhere_is_waited_for_then_named(tmp_path) -> None:
    layers = tiny_layers()
    path = write_gpkg(tmp_path / "w.gpkg", {"blocks": layers["blocks"]})
    pending = write_gpkg(tmp_path / "p.gpkg", {"roads": layers["roads"]})
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # e.g. QGIS with the layers in edit mode in a transaction group
    try:
        with pytest.raises(OutputError, match="toggle editing off"):
            replace_layers(path, pending, wait_s=0.3)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert replace_layers(path, pending, wait_s=0.3)
    assert sorted(str(n) for n, _ in pyogrio.list_layers(path)) == ["blocks", "roads"]


def test_a_new_workbook_never_takes_over_a_stale_log(source, tmp_path) -> None:
    out = tmp_path / "out"
    workbook = run(source, out).workbook
    con = sqlite3.connect(workbook)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA wal_autocheckpoint = 0")
    con.execute("CREATE TABLE allocation_remaining_old (a)")  # a committed change still in the log
    con.commit()
    log = {s: (out / f"workbook.gpkg{s}").read_bytes() for s in ("-wal", "-shm")}
    con.close()
    # the workbook deleted while a program had it open: its -wal and -shm are left behind
    workbook.unlink()
    for suffix, data in log.items():
        (out / f"workbook.gpkg{suffix}").write_bytes(data)
    run(source, out)
    assert "allocation_remaining_old" not in _opens_everywhere(workbook)
    con = sqlite3.connect(workbook)
    assert con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'allocation_remaining_old'").fetchone()[0] == 0
    con.close()


def test_styles_replace_blockchecks_rows_keep_the_users_and_one_default_per_table(tmp_path) -> None:
    from blockcheck.gpkg_inplace import replace_styles

    path = tmp_path / "w.gpkg"
    write_gpkg(path, {"blocks": gpd.GeoDataFrame({"a": [1]}, geometry=gpd.points_from_xy([0], [0]), crs=3857)})
    assert (
        replace_styles(
            path, [("blocks", "theme A", "<qgis/>", True), ("blocks", "theme B", "<q/>", False)], description="bc"
        )
        == 2
    )
    con = sqlite3.connect(path)
    con.execute(
        "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName, "
        "styleQML, useAsDefault, description) VALUES ('', '', 'blocks', 'geom', 'mine', '<m/>', 1, 'user')"
    )
    con.commit()
    con.close()
    replace_styles(path, [("blocks", "theme C", "<c/>", True)], description="bc")
    con = sqlite3.connect(path)
    rows = con.execute(
        "SELECT styleName, useAsDefault, description, f_geometry_column FROM layer_styles ORDER BY id"
    ).fetchall()
    kind = con.execute("SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'").fetchone()
    con.close()
    assert rows == [("mine", 0, "user", "geom"), ("theme C", 1, "bc", "geom")]
    assert kind == ("attributes",)
    assert set(pyogrio.read_dataframe(path, layer="layer_styles")["styleName"]) == {"mine", "theme C"}
