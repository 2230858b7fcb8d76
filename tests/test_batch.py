"""``blockcheck batch`` on a real LocalCluster of two worker processes: three tiny districts, one broken; the
summary equals the districts' own workbooks; a re-run skips the unchanged districts; manifest problems listed at once.
"""

from __future__ import annotations

import geopandas as gpd
import openpyxl
import pyogrio
import pytest

from batch_districts import BROKEN, STANDARDS, VARIANTS, workbook_counts, write_batch, write_district
from blockcheck.batch.manifest import load_manifest
from blockcheck.batch.summary import SUMMARY_LAYER, data_gap_column, problem_column
from blockcheck.cli import main
from blockcheck.errors import ManifestError
from blockcheck.pipeline import run
from blockcheck.workbook.read import read_meta

pytestmark = pytest.mark.slow


def _batch(args: list[str]) -> int:
    with pytest.raises(SystemExit) as stopped:
        main(["batch", *args])
    return stopped.value.code


def check_summary(out, names: list[str]) -> gpd.GeoDataFrame:
    """The summary's rows: one per district, its counts and area row equal to the district's own workbook."""
    for name in ("batch_summary.gpkg", "batch_summary.xlsx", "batch_summary.png"):
        assert (out / name).is_file(), name
    summary = gpd.read_file(out / "batch_summary.gpkg", layer=SUMMARY_LAYER)
    assert summary["name"].tolist() == names
    for row in summary[summary["status"] == "ok"].itertuples():
        workbook = out / row.name / "workbook.gpkg"
        assert (out / row.name / "eight_lists.xlsx").is_file()
        counts = workbook_counts(workbook)
        assert row.problems_total == counts["problems_total"] > 0
        assert row.data_gaps_total == counts["data_gaps_total"] > 0
        for key, n in counts.items():
            kind, _, code = key.partition(":")
            if kind == "type":
                assert getattr(row, problem_column(code)) == n, key
            elif kind == "coverage":
                assert getattr(row, data_gap_column(code)) == n, key
        area = pyogrio.read_dataframe(workbook, layer="area_metrics", read_geometry=False).iloc[0]
        for column in ("area_ha", "population", "park_green_per_capita_m2"):
            if column in area:
                assert getattr(row, column) == pytest.approx(area[column]), column
        assert row.geometry.area == pytest.approx(2 * 200 * 200)  # the union of its two blocks
    return summary


def test_a_batch_runs_every_district_on_a_local_cluster_and_a_rerun_skips_the_unchanged(tmp_path, capsys) -> None:
    manifest = write_batch(tmp_path / "districts")
    out = tmp_path / "out"
    assert _batch([str(manifest), "--out", str(out), "--workers", "2"]) == 2  # one district failed
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert f"{BROKEN}: FAILED" in captured.err and "[3/3]" in captured.err
    assert "blocks.block_id" in captured.err and "How to fix" in captured.err  # the project's own message
    names = [*VARIANTS, BROKEN]
    summary = check_summary(out, names)
    assert summary["status"].tolist() == ["ok", "ok", "failed"]
    broken = summary.iloc[2]
    assert "block_id" in broken["message"] and broken.geometry is None
    assert summary.loc[:1, "population"].tolist() == [3000 + 2000, 4500 + 2000]
    assert not summary["skipped"].any()
    # the same as a run of its own with the manifest's settings (south: the national profile)
    single = run(manifest.parent / "south" / "input.gpkg", tmp_path / "single", standards=STANDARDS["south"])
    assert read_meta(single.workbook)["standards_profile"] == "national"
    assert read_meta(out / "south" / "workbook.gpkg")["standards_profile"] == "national"
    assert workbook_counts(single.workbook) == workbook_counts(out / "south" / "workbook.gpkg")
    assert summary.loc[1, "problems_total"] == len(single.problem_list)

    sheet = openpyxl.load_workbook(out / "batch_summary.xlsx").active
    headers = [c.value for c in sheet[2]]
    assert headers[:3] == ["区域名称", "状态", "说明"] and "面积（公顷）" in headers
    assert [sheet.cell(r, 1).value for r in (3, 4, 5)] == names
    assert [sheet.cell(r, 2).value for r in (3, 4, 5)] == ["完成", "完成", "失败"]
    assert [sheet.cell(r, 4).value for r in (3, 4, 5)] == ["否", "否", "否"]  # none skipped

    # the south district's input changes; the north one is unchanged and skipped
    offset, _ = VARIANTS["south"]
    write_district(manifest.parent / "south" / "input.gpkg", offset=offset, population=6000)
    assert _batch([str(manifest), "--out", str(out), "--workers", "2", "--quiet"]) == 2
    captured = capsys.readouterr()
    assert "[1/3]" not in captured.err  # quiet: no progress lines
    assert "1 unchanged, skipped" in captured.out
    summary = check_summary(out, names)
    assert summary["skipped"].tolist() == [True, False, False]
    assert "unchanged" in summary.loc[0, "message"]
    assert summary["status"].tolist() == ["ok", "ok", "failed"]
    assert summary.loc[1, "population"] == 6000 + 2000


def test_manifest_problems_are_listed_together_before_anything_runs(tmp_path, capsys) -> None:
    write_district(tmp_path / "a" / "input.gpkg")
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(
        "\n".join(
            [
                'title = "my batch"',
                "[[district]]",
                'name = "a"',
                'input = "a/input.gpkg"',
                'mapping = "a/mapping.toml"',
                "[[district]]",
                'name = "A"',
                'inptu = "a/input.gpkg"',
                "[[district]]",
                'input = "nowhere/input.gpkg"',
                'standards = "mars"',
            ]
        ),
        encoding="utf-8",
    )
    with pytest.raises(ManifestError) as error:
        load_manifest(manifest)
    message = str(error.value)
    assert "8 problem(s)" in message
    for expected in (
        "unknown key 'title'",
        "[[district]] #1 (name = 'a'): mapping = 'a/mapping.toml': no such file",
        "[[district]] #2 (name = 'A'): unknown key(s) 'inptu'",
        "[[district]] #2 (name = 'A'): `input` is missing",
        "[[district]] #2: name = 'A' is also the name of [[district]] #1",
        "[[district]] #3: `name` is missing",
        "[[district]] #3: input = 'nowhere/input.gpkg': no such file or folder",
        "standards = 'mars'",
    ):
        assert expected in message, expected
    assert _batch([str(manifest), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and "Traceback" not in err and "inptu" in err and "mars" in err
    assert not (tmp_path / "out").exists()  # nothing ran


def test_an_unexpected_error_in_a_district_is_a_message_with_its_log(tmp_path, monkeypatch) -> None:
    from blockcheck import pipeline
    from blockcheck.batch.manifest import District
    from blockcheck.batch.run import ERROR_LOG, run_district

    def broken_run(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(pipeline, "run", broken_run)
    district = District("z", write_district(tmp_path / "z" / "input.gpkg"))
    outcome = run_district(district, str(tmp_path / "out"))
    log = tmp_path / "out" / "z" / ERROR_LOG
    assert outcome["status"] == "failed" and "Traceback" not in outcome["message"]
    assert "ZeroDivisionError: a bug" in outcome["message"] and str(log) in outcome["message"]
    assert "Traceback" in log.read_text("utf-8")
