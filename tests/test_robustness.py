"""An analyst's edit is never lost: one writer at a time, edits during a run kept, no write over the input.

Real processes (the CLI in subprocesses) on the tiny district; timings varied.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from blockcheck.errors import OutputError, WorkbookLockedError
from blockcheck.io import write_gpkg
from blockcheck.workbook.lock import workbook_lock
from districts import tiny_layers, write_input

RESOURCE = "RL-idle_site-parcels-P2"
#: Trials of each concurrency test, the second writer started after a delay that varies over the run's span.
TRIALS = 20
DELAYS = [round(0.1 * i, 1) for i in range(TRIALS)]


def _cli(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "blockcheck.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def _ogr_sql(workbook: Path, sql: str) -> None:
    """Commit one SQL statement through GDAL/OGR, as the QGIS editor does (retried while a writer replaces the file)."""
    from osgeo import gdal, ogr

    gdal.UseExceptions()
    for _ in range(100):
        try:
            ds = ogr.Open(str(workbook), update=1)
            ds.ExecuteSQL(sql)
            ds = None
            return
        except RuntimeError:  # the file is being replaced at this instant
            time.sleep(0.05)
    raise AssertionError(f"could not commit {sql!r}")


def _set_status(workbook: Path, status: str) -> None:
    _ogr_sql(workbook, f"UPDATE resource_list SET status = '{status}' WHERE resource_id = '{RESOURCE}'")


def _status(workbook: Path) -> str:
    frame = pyogrio.read_dataframe(
        workbook, layer="resource_list", columns=["resource_id", "status"], read_geometry=False
    )
    return frame.set_index("resource_id").loc[RESOURCE, "status"]


@pytest.fixture
def tiny_run(tmp_path: Path) -> tuple[Path, Path]:
    source = write_input(tmp_path / "in.gpkg", tiny_layers())
    out = tmp_path / "out"
    done = _cli("run", str(source), "--out", str(out))
    assert done.wait(120) == 0, done.stderr.read()
    return source, out


def test_two_runs_at_once_lose_no_layer_and_no_decision(tiny_run) -> None:
    source, out = tiny_run
    workbook = out / "workbook.gpkg"
    _set_status(workbook, "confirmed")
    layers_before = {n for n, _ in pyogrio.list_layers(workbook)}
    for delay in DELAYS:
        first = _cli("run", str(source), "--out", str(out))
        time.sleep(delay)
        second = _cli("run", str(source), "--out", str(out))
        assert first.wait(180) == 0, first.stderr.read()
        assert second.wait(180) == 0, second.stderr.read()
        assert {n for n, _ in pyogrio.list_layers(workbook)} == layers_before
        assert _status(workbook) == "confirmed"
    assert not list(out.glob(".*.tmp.gpkg"))  # no temporary file left behind


def test_an_edit_committed_during_a_run_survives_it(tiny_run) -> None:
    source, out = tiny_run
    workbook = out / "workbook.gpkg"
    for i, delay in enumerate(DELAYS):
        running = _cli("run", str(source), "--out", str(out))
        time.sleep(delay)
        wanted = "confirmed" if i % 2 == 0 else "rejected"
        _set_status(workbook, wanted)
        assert running.wait(180) == 0, running.stderr.read()
        assert _status(workbook) == wanted, f"edit after {delay} s reverted"


def test_a_run_and_an_import_at_once_lose_no_edit(tiny_run) -> None:
    source, out = tiny_run
    workbook = out / "workbook.gpkg"
    applied = 0
    for i, delay in enumerate(DELAYS):
        fresh = out / f"edit{i}.xlsx"
        subprocess.run(
            [sys.executable, "-m", "blockcheck.cli", "export-lists", str(workbook), "--out", str(fresh)],
            check=True,
            capture_output=True,
        )
        wanted = "rejected" if i % 2 else "confirmed"

        def decide(ws, wanted=wanted) -> None:
            status = next(c.column for c in ws[2] if c.value == "核实状态")
            row = next(r for r in range(3, ws.max_row + 1) if ws.cell(r, 1).value == RESOURCE)
            ws.cell(row, status).value = wanted

        _edit_xlsx(fresh, "图2 资源清单", decide)
        previous = _status(workbook)
        running = _cli("run", str(source), "--out", str(out))
        time.sleep(delay)
        importing = _cli("import-lists", str(workbook), str(fresh), "--who", "张工")
        assert running.wait(180) == 0, running.stderr.read()
        code, message = importing.wait(180), importing.stderr.read()
        # the import lands (before or after the run, which keeps it), or — when the run changed the lists
        # first — it is refused as stale with a message: never silently lost or half-applied
        assert code == 0 or (code == 2 and "changed after this file was written" in message), message
        applied += code == 0
        assert _status(workbook) == (wanted if code == 0 else previous), f"import after {delay} s lost"
        assert {"resource_list", "project_list", "project_history"} <= {n for n, _ in pyogrio.list_layers(workbook)}
    assert applied >= TRIALS // 4  # most timings let the import land


def test_a_second_writer_stops_naming_the_holder(tmp_path: Path) -> None:
    workbook = tmp_path / "workbook.gpkg"
    with (
        workbook_lock(workbook, command="blockcheck run (test)"),
        pytest.raises(WorkbookLockedError, match=r"blockcheck run \(test\).*process \d+"),
        workbook_lock(workbook, command="blockcheck import-lists", wait_s=0.3),
    ):
        pass
    with workbook_lock(workbook, command="again", wait_s=0.3):  # released: free again
        pass


def test_run_never_writes_over_its_own_input(tmp_path: Path) -> None:
    folder = tmp_path / "here"
    source = write_input(folder / "workbook.gpkg", tiny_layers())
    before = source.read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "blockcheck.cli", "run", str(source), "--out", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and "this is the input itself" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert source.read_bytes() == before


def test_a_failed_write_leaves_the_saved_file_and_no_partial_file(tmp_path: Path, monkeypatch) -> None:
    import errno

    import blockcheck.io as bio

    saved = write_gpkg(tmp_path / "w.gpkg", {"blocks": tiny_layers()["blocks"]})
    before = saved.read_bytes()
    real = bio.pyogrio.write_dataframe
    calls = []

    def disk_full_on_the_second_layer(*args, **kwargs):
        calls.append(kwargs.get("layer"))
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(bio.pyogrio, "write_dataframe", disk_full_on_the_second_layer)
    with pytest.raises(OutputError, match="No space left on device.*Nothing already saved was changed"):
        write_gpkg(saved, {"blocks": tiny_layers()["blocks"], "roads": tiny_layers()["roads"]})
    assert saved.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.gpkg"]


def test_import_osm_never_replaces_an_existing_file_without_overwrite(tmp_path: Path) -> None:
    from districts import SHARED

    out = write_input(tmp_path / "mine.gpkg", tiny_layers())
    before = out.read_bytes()
    osm = SHARED / "realdata" / "beijing-xueyuanlu-osm" / "map.osm"
    refused = subprocess.run(
        [sys.executable, "-m", "blockcheck.cli", "import-osm", str(osm), "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 2 and "--overwrite" in refused.stderr + refused.stdout
    assert out.read_bytes() == before
    replaced = subprocess.run(
        [sys.executable, "-m", "blockcheck.cli", "import-osm", str(osm), "--out", str(out), "--quiet", "--overwrite"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert replaced.returncode == 0, replaced.stderr
    assert "roads" in {n for n, _ in pyogrio.list_layers(out)} and out.read_bytes() != before


def test_validate_out_never_replaces_its_own_input(tmp_path: Path) -> None:
    source = write_input(tmp_path / "input_checked.gpkg", tiny_layers())
    before = source.read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "blockcheck.cli", "validate", str(source), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and "this is the input itself" in result.stderr + result.stdout
    assert source.read_bytes() == before


def test_run_keeps_layers_it_did_not_make(tiny_run) -> None:
    source, out = tiny_run
    workbook = out / "workbook.gpkg"
    mine = tiny_layers()["green"].assign(note="分析员自绘")
    pyogrio.write_dataframe(mine, workbook, layer="analyst_sketch", driver="GPKG")
    done = _cli("run", str(source), "--out", str(out))
    assert done.wait(120) == 0, done.stderr.read()
    kept = pyogrio.read_dataframe(workbook, layer="analyst_sketch")
    assert kept["note"].tolist() == ["分析员自绘"]


def _validate(layers: dict, tmp_path: Path):
    from blockcheck.pipeline import check_input

    return check_input(write_input(tmp_path / "in.gpkg", layers)).checked.report


def test_a_stray_point_at_zero_is_an_error_not_a_new_crs(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    layers = tiny_layers()
    fac = layers["facilities"]
    stray = gpd.GeoDataFrame(
        fac.iloc[[0]].drop(columns="geometry").assign(facility_id="F9"), geometry=[Point(0, 0)], crs=fac.crs
    )
    layers["facilities"] = gpd.GeoDataFrame(pd.concat([fac, stray], ignore_index=True), crs=fac.crs)
    report = _validate(layers, tmp_path)
    codes = report.codes("error")
    assert {"outside_crs_area"} <= codes or {"far_feature"} <= codes
    text = report.format()
    assert "F9" in text and "How to fix" in text


def test_a_block_far_from_the_others_is_named(tmp_path: Path) -> None:
    from shapely import affinity

    layers = tiny_layers()
    blocks = layers["blocks"].copy()
    blocks.loc[1, "geometry"] = affinity.translate(blocks.geometry.iloc[1], xoff=0, yoff=400_000)  # 400 km north
    layers["blocks"] = blocks
    layers["communities"] = layers["communities"].iloc[[0]]
    report = _validate(layers, tmp_path)
    assert "far_feature" in report.codes("error")
    assert "CP02-0102" in report.format()


def test_a_gcj02_crs_is_not_taken_for_wgs84(tmp_path: Path) -> None:
    from blockcheck.pipeline import check_input

    # a folder of shapefiles whose .prj names the offset system (as Chinese web-map exports write it)
    folder = tmp_path / "gcj"
    folder.mkdir()
    prj = (
        'GEOGCS["GCJ-02",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],'
        'UNIT["Degree",0.0174532925199433]]'
    )
    tiny_layers()["blocks"].to_crs(4326).to_file(folder / "blocks.shp", encoding="utf-8")
    (folder / "blocks.prj").write_text(prj, encoding="utf-8")
    report = check_input(folder).checked.report
    assert "offset_crs" in report.codes("error")
    assert "convert_frame" in report.format()


def test_infinite_and_absurd_numbers_are_errors(tmp_path: Path) -> None:
    layers = tiny_layers()
    layers["communities"] = layers["communities"].assign(population=[float("inf"), 1e20])
    report = _validate(layers, tmp_path)
    assert "non_finite_value" in report.codes("error")
    assert "C1" in report.format() and "C2" in report.format()


def test_standards_overrides_are_checked_by_type_range_and_choice(tmp_path: Path) -> None:
    from blockcheck.errors import StandardsError
    from blockcheck.standards import load_standards

    bad = tmp_path / "bad.toml"
    bad.write_text(
        'resources.low_quality_levels = "poor,awful"\n'
        '[green.park_coverage_min_ratio]\nvalue = 85\nsource = "x"\ngrade = "B"\n'
        '[facilities.hospital_beds_per_1000]\nvalue = -1\nsource = "x"\ngrade = "C"\n'
        '[radius_m.kindergarten]\nvalue = 0\nsource = "x"\ngrade = "C"\n'
        '[facilities.elderly_care_beds_basis]\nvalue = "old people"\nsource = "x"\ngrade = "C"\n',
        encoding="utf-8",
    )
    with pytest.raises(StandardsError) as err:
        load_standards("beijing", overrides=bad)
    text = str(err.value)
    assert "between 0 and 1 (write 0.85 for 85 %)" in text
    assert "hospital_beds_per_1000 = -1" in text and "radius_m.kindergarten = 0" in text
    assert "'awful' not allowed; choose from good, fair, poor" in text
    assert "'old people' not allowed; choose from residents, elderly" in text
    good = tmp_path / "good.toml"
    good.write_text('resources.low_quality_levels = "fair, poor"\n', encoding="utf-8")
    assert load_standards("beijing", overrides=good)["resources.low_quality_levels"] == "fair, poor"


def test_a_standards_file_not_in_utf8_is_a_message(tmp_path: Path) -> None:
    from blockcheck.errors import StandardsError
    from blockcheck.standards import load_standards

    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes('[green.park_per_capita_min_m2]\nvalue = 9.0\nsource = "北京"\ngrade = "B"\n'.encode("gbk"))
    with pytest.raises(StandardsError, match="not UTF-8 text. Save it as UTF-8"):
        load_standards("beijing", overrides=gbk)


def test_every_standards_key_is_read_or_marked_quoted_only() -> None:
    from blockcheck.standards import load_standards
    from districts import ROOT

    code = "\n".join(
        p.read_text("utf-8")
        for p in (ROOT / "blockcheck").rglob("*")
        if p.suffix in (".py", ".toml") and "standards" not in p.parts
    )
    prefixes = {"radius_m"}  # read as a group (Standards.with_prefix)
    for name in ("national", "beijing"):
        for key, entry in load_standards(name).values.items():
            if entry.quoted_only or key.split(".")[0] in prefixes:
                continue
            assert key in code, (
                f"{name}: {key} is documented but nothing reads it (use it, delete it or mark it quoted_only)"
            )


def test_overriding_a_quoted_only_value_warns_that_results_do_not_change(tmp_path: Path) -> None:
    from blockcheck.errors import BlockcheckWarning
    from blockcheck.standards import load_standards

    over = tmp_path / "o.toml"
    over.write_text('[roads.spacing_max_m]\nvalue = 250\nsource = "local rule"\ngrade = "B"\n', encoding="utf-8")
    with pytest.warns(BlockcheckWarning, match="quoted in the report only"):
        assert load_standards("beijing", overrides=over)["roads.spacing_max_m"] == 250.0


def test_mapping_values_of_the_wrong_type_are_messages(tmp_path: Path) -> None:
    from blockcheck.errors import MappingError
    from blockcheck.inputs.field_mapping import load_mapping

    bad = tmp_path / "m.toml"
    bad.write_text(
        '[layers.facilities]\nsource = 3\nfields = "category"\ncolour = "red"\n[layers.roads]\nencoding = 936\n',
        encoding="utf-8",
    )
    with pytest.raises(MappingError) as err:
        load_mapping(bad)
    text = str(err.value)
    assert "source = 3: must be text in quotes" in text and "[layers.facilities.fields]" in text
    assert "unknown keys ['colour']" in text and "encoding = 936" in text


def test_mathtext_in_block_names_is_plain_text(tmp_path: Path) -> None:
    from blockcheck.pipeline import run
    from blockcheck.report.maps import export_maps

    layers = tiny_layers()
    layers["blocks"] = layers["blocks"].assign(name=["$\\frac{1}{0}$ 街区", "50$ 与 $x_1"])
    run(write_input(tmp_path / "in.gpkg", layers), tmp_path / "out", until="health")
    written = export_maps(tmp_path / "out" / "workbook.gpkg", tmp_path / "maps", names=["overview"])
    assert any(p.suffix == ".svg" for p in written)


def test_control_characters_in_a_survey_never_break_the_excel_lists(tmp_path: Path) -> None:
    from blockcheck.steps.consultation import ask_needs
    from blockcheck.workbook.excel import write_eight_lists
    from districts import ROOT

    text = (ROOT / "data" / "sample_blocks" / "demand_survey.csv").read_text("utf-8-sig")
    lines = text.splitlines()
    lines[2] = lines[2].replace(",", ",\x07\x1b", 1)  # a bell and an escape pasted into a cell
    survey = tmp_path / "demand_survey.csv"
    survey.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sample = ROOT / "data" / "sample_blocks" / "sample_district.gpkg"
    communities = pyogrio.read_dataframe(sample, layer="communities")
    blocks = pyogrio.read_dataframe(sample, layer="blocks").set_index("block_id", drop=False)
    demands = ask_needs(communities, blocks, demands_path=survey).demand_list
    assert (
        not demands.astype(str)
        .apply(lambda c: c.str.contains("[\x00-\x08\x0b\x0c\x0e-\x1f]", regex=True))
        .any(axis=None)
    )
    written = write_eight_lists(tmp_path / "eight_lists.xlsx", {"demand_list": demands})
    assert written.is_file()


def test_a_spreadsheet_that_unpacks_too_large_is_refused_before_reading(tmp_path: Path, monkeypatch) -> None:
    import zipfile

    import blockcheck.io as bio
    from blockcheck.errors import InputError
    from blockcheck.surveys import read_demand_survey

    bomb = tmp_path / "demand_survey.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<x>" + b"0" * 20_000_000 + b"</x>")
    assert bomb.stat().st_size < 100_000
    monkeypatch.setattr(bio, "MAX_UNPACKED_BYTES", 5_000_000)
    with pytest.raises(InputError, match=r"unpacks to 20 MB, more than the 5 MB"):
        read_demand_survey(bomb)


def test_whatif_refuses_a_changed_input_and_projects_it_cannot_build(tmp_path: Path) -> None:
    import shutil

    from blockcheck.errors import InputError
    from blockcheck.pipeline import run
    from blockcheck.whatif import what_if
    from districts import ROOT

    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("sample_district.gpkg", "demand_survey.csv", "vision_survey.csv"):
        shutil.copy(ROOT / "data" / "sample_blocks" / name, folder / name)
    result = run(folder / "sample_district.gpkg", tmp_path / "out")
    workbook = tmp_path / "out" / "workbook.gpkg"
    projects = result.lists["project_list"]
    pid = projects["project_id"].iloc[0]
    # an amount cleared by an analyst: listed, not silently skipped
    _ogr_sql(workbook, f"UPDATE project_list SET amount = NULL WHERE project_id = '{pid}'")
    with pytest.raises(InputError, match=f"cannot be simulated: {pid} \\(no amount\\)"):
        what_if(workbook, [pid])
    # the input changed after the run
    with (folder / "sample_district.gpkg").open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(InputError, match="has changed since the run"):
        what_if(workbook, [projects["project_id"].iloc[1]])


def _edit_xlsx(path: Path, sheet: str, edit) -> None:
    from openpyxl import load_workbook

    book = load_workbook(path)  # openpyxl keeps the document properties, as Excel does
    edit(book[sheet])
    book.save(path)


def test_a_stale_excel_file_is_refused_and_newer_edits_survive(tiny_run) -> None:
    from blockcheck.errors import StaleImportError
    from blockcheck.workbook.lists_import import import_lists

    _, out = tiny_run
    workbook, xlsx = out / "workbook.gpkg", out / "eight_lists.xlsx"
    _set_status(workbook, "confirmed")  # an edit in QGIS after the file was written
    _edit_xlsx(xlsx, "图2 资源清单", lambda ws: None)
    with pytest.raises(StaleImportError, match="changed after this file was written"):
        import_lists(workbook, xlsx)
    assert _status(workbook) == "confirmed"
    fresh = subprocess.run(
        [sys.executable, "-m", "blockcheck.cli", "export-lists", str(workbook), "--out", str(out / "fresh.xlsx")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert fresh.returncode == 0, fresh.stderr
    counts = import_lists(workbook, out / "fresh.xlsx")  # a fresh export: nothing to change, nothing reverted
    assert counts and not any(counts.values())
    assert _status(workbook) == "confirmed"


def test_a_cleared_sheet_deletes_nothing_without_delete_missing(tiny_run) -> None:
    _, out = tiny_run
    workbook, xlsx = out / "workbook.gpkg", out / "eight_lists.xlsx"
    before = len(pyogrio.read_dataframe(workbook, layer="resource_list", read_geometry=False))
    assert before > 0

    def clear(ws) -> None:
        ws.delete_rows(3, ws.max_row)

    _edit_xlsx(xlsx, "图2 资源清单", clear)
    kept = subprocess.run(
        [sys.executable, "-m", "blockcheck.cli", "import-lists", str(workbook), str(xlsx)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert kept.returncode == 0, kept.stderr
    assert f"{before} not in the file kept (--delete-missing deletes them)" in kept.stdout
    assert len(pyogrio.read_dataframe(workbook, layer="resource_list", read_geometry=False)) == before
    fresh = out / "fresh.xlsx"
    subprocess.run(
        [sys.executable, "-m", "blockcheck.cli", "export-lists", str(workbook), "--out", str(fresh)],
        check=True,
        capture_output=True,
    )
    _edit_xlsx(fresh, "图2 资源清单", clear)
    deleted = subprocess.run(
        [sys.executable, "-m", "blockcheck.cli", "import-lists", str(workbook), str(fresh), "--delete-missing"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert deleted.returncode == 0, deleted.stderr
    assert f"{before} deleted" in deleted.stdout
    assert len(pyogrio.read_dataframe(workbook, layer="resource_list", read_geometry=False)) == 0


def test_import_refuses_formulas_and_a_file_that_is_not_a_workbook(tiny_run) -> None:
    from blockcheck.errors import InputError
    from blockcheck.workbook.lists_import import import_lists

    source, out = tiny_run
    workbook, xlsx = out / "workbook.gpkg", out / "eight_lists.xlsx"
    before = source.read_bytes()
    with pytest.raises(InputError, match="not a workbook written by `blockcheck run`"):
        import_lists(source, xlsx)
    assert source.read_bytes() == before

    def formula(ws) -> None:
        ws["D3"] = "=1+1"

    _edit_xlsx(xlsx, "图1 问题清单", formula)
    with pytest.raises(InputError, match=r"hold formulas, e.g. '图1 问题清单'!D3"):
        import_lists(workbook, xlsx)


def test_no_command_replaces_a_file_it_did_not_write_without_overwrite(tiny_run, tmp_path: Path) -> None:
    source, out = tiny_run
    workbook = out / "workbook.gpkg"
    mine = tmp_path / "mine"
    mine.mkdir()
    foreign = {
        "report.pdf": b"%PDF-1.4 my own report",
        "overview.png": b"\x89PNG my photo",
        "whatif.xlsx": b"PK not ours",
    }
    for name, data in foreign.items():
        (mine / name).write_bytes(data)
    cases = [
        ["report", str(workbook), "--out", str(mine / "report.pdf"), "--no-html"],
        ["maps", str(workbook), "--out", str(mine)],
        ["whatif", str(workbook), "--projects", "X", "--out", str(mine / "whatif.xlsx")],
    ]
    for args in cases:
        done = subprocess.run(
            [sys.executable, "-m", "blockcheck.cli", *args], capture_output=True, text=True, check=False
        )
        assert (
            done.returncode == 2 and "was not written by blockcheck" in done.stderr and "--overwrite" in done.stderr
        ), (args, done.stderr)
    assert {n: (mine / n).read_bytes() for n in foreign} == foreign
    # a GeoPackage of the user's own where the workbook would go
    theirs = tmp_path / "theirs"
    write_input(theirs / "workbook.gpkg", {"blocks": tiny_layers()["blocks"]})
    before = (theirs / "workbook.gpkg").read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "blockcheck.cli", "run", str(source), "--out", str(theirs), "--until", "health"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "was not written by blockcheck" in done.stderr
    assert (theirs / "workbook.gpkg").read_bytes() == before
    replaced = subprocess.run(
        [
            sys.executable,
            "-m",
            "blockcheck.cli",
            "report",
            str(workbook),
            "--out",
            str(mine / "report.pdf"),
            "--no-html",
            "--overwrite",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert replaced.returncode == 0, replaced.stderr
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "blockcheck.cli",
            "report",
            str(workbook),
            "--out",
            str(mine / "report.pdf"),
            "--no-html",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 0, again.stderr  # blockcheck's own file: replaced without asking
