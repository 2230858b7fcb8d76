"""The linked workbook: all eight lists, analysts' edits kept, append-only history, atomic writes, Excel round trip."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from blockcheck.lists.schema import EIGHT_LISTS, conform, list_table
from blockcheck.pipeline import run
from blockcheck.workbook.excel import read_eight_lists, write_eight_lists
from blockcheck.workbook.lists_import import import_lists
from districts import ROOT

SAMPLE = ROOT / "data" / "sample_blocks" / "sample_district.gpkg"


def _ids(value: object) -> set[str]:
    return {x for x in value.split(",") if x} if isinstance(value, str) else set()


@pytest.fixture(scope="module")
def sample_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("wb")
    result = run(SAMPLE, out)
    return result, out


def test_eight_non_empty_linked_lists(sample_out) -> None:
    result, out = sample_out
    names = {n for n, _ in pyogrio.list_layers(out / "workbook.gpkg")}
    assert set(EIGHT_LISTS) <= names and {"allocation", "project_history"} <= names
    lists = {n: pyogrio.read_dataframe(out / "workbook.gpkg", layer=n) for n in EIGHT_LISTS}
    for name, frame in lists.items():
        assert len(frame) > 0, name
    problems, resources, demands = (
        set(lists[n][k]) for n, k in (("problem_list", "id"), ("resource_list", "resource_id"), ("demand_list", "id"))
    )
    strategies = lists["strategy_list"].set_index("id")
    # from any project, follow its links back to problems and resources (and through strategies to demands)
    for project in lists["project_list"].itertuples():
        linked_problems, linked_resources, linked_strategies = (
            _ids(project.problem_ids),
            _ids(project.resource_ids),
            _ids(project.strategy_ids),
        )
        assert linked_problems or linked_resources, project.project_id
        assert (
            linked_problems <= problems and linked_resources <= resources and linked_strategies <= set(strategies.index)
        )
    with_demands = strategies[strategies["demand_ids"].fillna("") != ""]
    assert len(with_demands) > 0
    assert {d for ids in with_demands["demand_ids"] for d in ids.split(",")} <= demands
    assert set(lists["policy_list"]["number"]) <= set(range(1, 20))


def test_excel_has_the_figure_headers_first(sample_out) -> None:
    result, out = sample_out
    from openpyxl import load_workbook

    book = load_workbook(out / "eight_lists.xlsx")
    assert book.sheetnames[:9] == [
        "图1 问题清单",
        "图2 资源清单",
        "图3 需求清单",
        "图3 需求清单（按社区）",
        "图4 愿景清单",
        "图5 策略清单",
        "图6 政策清单",
        "图7 任务清单",
        "图8 项目清单",
    ]
    assert book.sheetnames[-1] == "关联编号"  # the long id lists, one linked id a row
    for title in book.sheetnames:  # the sample is synthetic: every sheet says so in its title row and printed header
        assert (
            "示例数据（虚构）" in book[title]["A1"].value and "示例数据（虚构）" in book[title].oddHeader.center.text
        ), title
    assert book["图1 问题清单"]["A1"].value == "图1 问题清单 · 示例数据（虚构）"
    first_row = lambda title: [c.value for c in book[title][2]]  # noqa: E731 - row 1 is the title, row 2 the header
    assert first_row("图3 需求清单")[:2] == ["街道", "社区"]
    assert first_row("图5 策略清单")[:2] == ["策略类型", "策略要点"]
    assert first_row("图6 政策清单")[:3] == ["序号", "政策名称", "主管部门（建议）"]
    assert first_row("图7 任务清单")[:4] == ["街区编号", "建设任务", "用地面积（公顷）", "建设内容"]
    assert first_row("图8 项目清单")[:6] == ["序号", "领域", "项目名称", "主管单位", "项目单位", "建设地点"]
    # 图3 as in the method: one row per community of the sample (40), the needs of each category in one cell
    wide = list(book["图3 需求清单（按社区）"].iter_rows(min_row=2, values_only=True))
    assert wide[0] == ("街道", "社区", "公共服务设施", "公共空间", "市政公用设施", "交通停车问题")
    demands = result.lists["demand_list"]
    assert len(wide) - 1 == demands[["subdistrict", "community"]].drop_duplicates().shape[0] == 40
    assert all(cell for row in wide[1:] for cell in row)  # "--" where a community has no need of a category
    assert {row[1] for row in wide[1:]} == set(demands["community"])
    projects = book["图8 项目清单"]
    heads = {c.value: c.column_letter for c in projects[2]}
    for row in range(3, projects.max_row + 1):
        unit = projects[f"{heads['规模单位']}{row}"].value
        if unit == "道路长度（公里） (road_km)":
            assert projects[f"{heads['建设规模']}{row}"].number_format == "#,##0.00"
        elif unit.endswith("_beds)"):
            assert projects[f"{heads['建设规模']}{row}"].number_format == "#,##0"


def test_excel_round_trip(tmp_path: Path, sample_out) -> None:
    result, _ = sample_out
    path = write_eight_lists(tmp_path / "x.xlsx", result.lists)
    back = read_eight_lists(path)
    for name in EIGHT_LISTS:
        original = conform(pd.DataFrame(result.lists[name]).drop(columns="geometry", errors="ignore"), list_table(name))
        pd.testing.assert_frame_equal(back[name].reset_index(drop=True), original, check_dtype=False, obj=name)


def _keep_revision(source: Path, target: Path) -> None:
    from openpyxl import load_workbook
    from openpyxl.packaging.custom import StringProperty

    from blockcheck.workbook.excel import REVISION_PROPERTY, read_revision

    book = load_workbook(target)
    book.custom_doc_props.append(StringProperty(name=REVISION_PROPERTY, value=read_revision(source)))
    book.save(target)


def test_edits_imported_survive_a_rerun_and_history_is_append_only(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(SAMPLE, out)
    book = pd.read_excel(out / "eight_lists.xlsx", sheet_name=None, dtype=object, header=1)  # row 1: the title
    projects = book["图8 项目清单"]
    pid = projects.loc[0, "项目编号"]
    projects.loc[0, "项目状态"] = "adjusted"
    projects.loc[0, "项目名称"] = "回龙观一路打通工程（调整）"
    demands = book["图3 需求清单"]
    extra = demands.iloc[[0]].assign(编号="DM-added-by-analyst", 需求内容="增设无障碍坡道", 原始填写="增设无障碍坡道")
    book["图3 需求清单"] = pd.concat([demands, extra], ignore_index=True)
    edited = tmp_path / "edited.xlsx"
    with pd.ExcelWriter(edited) as writer:
        for title, frame in book.items():
            frame.to_excel(writer, sheet_name=title, index=False)
    _keep_revision(out / "eight_lists.xlsx", edited)  # as Excel keeps the file's document properties on save
    counts = import_lists(out / "workbook.gpkg", edited, who="张工", reason="听证会意见")
    assert counts["project_list"] == 1 and counts["demand_list"] == 1
    history = pyogrio.read_dataframe(out / "workbook.gpkg", layer="project_history")
    mine = history[history["project_id"] == pid].set_index("field")
    assert mine.loc["status", "to_value"].tolist()[-1] == "adjusted"
    assert mine.loc["name", "to_value"] == "回龙观一路打通工程（调整）"
    assert (history["changed_by"] == "张工").sum() == 2
    first_history = history.copy()

    run(SAMPLE, out)  # re-run: the analyst's rows win
    projects = pyogrio.read_dataframe(out / "workbook.gpkg", layer="project_list").set_index("project_id")
    assert projects.loc[pid, "status"] == "adjusted" and projects.loc[pid, "provenance"] == "edited"
    assert projects.loc[pid, "name"] == "回龙观一路打通工程（调整）"
    demands = pyogrio.read_dataframe(out / "workbook.gpkg", layer="demand_list").set_index("id")
    assert demands.loc["DM-added-by-analyst", "provenance"] == "added"
    history = pyogrio.read_dataframe(out / "workbook.gpkg", layer="project_history")
    pd.testing.assert_frame_equal(history.iloc[: len(first_history)], first_history)  # never rewritten


def test_bad_excel_is_rejected_and_nothing_changes(tmp_path: Path, sample_out) -> None:
    result, out = sample_out
    before = (out / "workbook.gpkg").read_bytes()
    book = pd.read_excel(out / "eight_lists.xlsx", sheet_name=None, dtype=object, header=1)  # row 1: the title
    book["图8 项目清单"].loc[0, "项目状态"] = "almost done"
    bad = tmp_path / "bad.xlsx"
    with pd.ExcelWriter(bad) as writer:
        for title, frame in book.items():
            frame.to_excel(writer, sheet_name=title, index=False)
    proc = subprocess.run(
        [sys.executable, "-m", "blockcheck.cli", "import-lists", str(out / "workbook.gpkg"), str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "almost done" in proc.stderr and "Traceback" not in proc.stderr
    assert (out / "workbook.gpkg").read_bytes() == before


_KILLED_WRITER = """
import sys, numpy as np, geopandas as gpd, shapely
from blockcheck.io import write_gpkg
n = 3_000_000
pts = shapely.points(np.random.default_rng(0).random((n, 2)) * 1000)
big = gpd.GeoDataFrame({"v": np.arange(n)}, geometry=pts, crs=4548)
print("writing", flush=True)
write_gpkg(sys.argv[1], {"block_metrics": big, "problem_list": big.drop(columns="geometry")})
"""


def test_writer_killed_mid_write_leaves_the_previous_workbook(tmp_path: Path, sample_out) -> None:
    _, out = sample_out
    target = tmp_path / "workbook.gpkg"
    target.write_bytes((out / "workbook.gpkg").read_bytes())
    before = pyogrio.read_dataframe(target, layer="problem_list")
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(target)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    time.sleep(1.0)
    assert proc.poll() is None, "the writer finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    after = pyogrio.read_dataframe(target, layer="problem_list")
    pd.testing.assert_frame_equal(after, before)


def test_whatif_before_after(sample_out, tmp_path: Path) -> None:
    _, out = sample_out
    projects = pyogrio.read_dataframe(out / "workbook.gpkg", layer="project_list")
    elderly = projects[projects["amount_unit"] == "elderly_care_beds"].iloc[0]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "blockcheck.cli",
            "whatif",
            str(out / "workbook.gpkg"),
            "--projects",
            elderly["project_id"],
            "--out",
            str(tmp_path / "w.csv"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(tmp_path / "w.csv", encoding="utf-8-sig")
    row = table[(table["scope"] == "ALL") & (table["metric_key"] == "gap_elderly_care_beds")].iloc[0]
    assert row["before"] - row["after"] == pytest.approx(min(elderly["amount"], row["before"]), rel=1e-6)
    proc = subprocess.run(
        [sys.executable, "-m", "blockcheck.cli", "whatif", str(out / "workbook.gpkg"), "--projects", "PJ-nonexistent"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and "unknown project id" in proc.stderr


def test_a_shorter_run_keeps_the_lists_of_a_longer_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(SAMPLE, out)
    projects = pyogrio.read_dataframe(out / "workbook.gpkg", layer="project_list")
    proc = subprocess.run(
        [sys.executable, "-m", "blockcheck.cli", "run", str(SAMPLE), "--out", str(out), "--until", "health", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    kept = pyogrio.read_dataframe(out / "workbook.gpkg", layer="project_list")
    assert len(kept) == len(projects) and set(kept["project_id"]) == set(projects["project_id"])


def test_libreoffice_opens_every_sheet_with_chinese_headers(sample_out, tmp_path: Path) -> None:
    """The officials' spreadsheet application (LibreOffice Calc, headless) reads eight_lists.xlsx: every sheet,
    the 图1–图8 headers in Chinese, as many rows as the workbook's lists; number formats and autofilters survive
    a save by Calc, percentages show as such, and text that looks like a formula stays text."""
    import csv
    import shutil

    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("BLOCKCHECK_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("LibreOffice is required here; run scripts/setup.sh --test")
        pytest.skip("needs LibreOffice (sudo apt-get install libreoffice-calc-nogui)")
    result, out = sample_out
    # all sheets to CSV (UTF-8, comma, quoted text; sheet -1 = every sheet, LibreOffice ≥ 7.2)
    filt = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    done = subprocess.run(
        [
            soffice,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--convert-to",
            filt,
            "--outdir",
            str(tmp_path / "csv"),
            str(out / "eight_lists.xlsx"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    sheets = {p.stem.removeprefix("eight_lists-"): p for p in (tmp_path / "csv").glob("*.csv")}
    figures = [
        "图1 问题清单",
        "图2 资源清单",
        "图3 需求清单",
        "图4 愿景清单",
        "图5 策略清单",
        "图6 政策清单",
        "图7 任务清单",
        "图8 项目清单",
    ]
    assert set(figures) <= set(sheets), sorted(sheets)
    from openpyxl import load_workbook

    book = load_workbook(out / "eight_lists.xlsx", read_only=True)
    for title in figures:
        with sheets[title].open(encoding="utf-8", newline="") as fh:
            rows = [row for row in csv.reader(fh) if any(cell.strip() for cell in row)]
        expected = [[("" if c is None else str(c)) for c in r] for r in book[title].iter_rows(values_only=True)]
        expected = [r for r in expected if any(c.strip() for c in r)]
        assert rows[0][0] == f"{title} · 示例数据（虚构）", title  # the title row says the sample is synthetic
        assert rows[1] == expected[1][: len(rows[1])] and rows[1][0], title  # the Chinese header row
        assert len(rows) == len(expected), title
    with sheets["图1 问题清单"].open(encoding="utf-8") as fh:
        text = fh.read()
    assert "路网密度" in text and "公里/平方公里" in text  # Chinese cell text survives the round trip
    assert len(result.lists["problem_list"]) > 0

    # formats, filters and formula-like text as Calc shows them: a copy whose first problem reads like a formula
    formula = '=HYPERLINK("http://example.com","点击")'
    problems = result.lists["problem_list"].reset_index(drop=True)  # row i of the list is row i + 3 of the sheet
    problems.loc[0, "problem"] = formula
    ratio = int(problems.index[problems["unit"] == "ratio"][0])
    copy = write_eight_lists(tmp_path / "hearing.xlsx", {**result.lists, "problem_list": problems})
    shown = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"  # 9th token: cells as shown
    for target, outdir in ((shown, "shown"), ("xlsx:Calc MS Excel 2007 XML", "again")):
        done = subprocess.run(
            [
                soffice,
                "--headless",
                "--norestore",
                f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                "--convert-to",
                target,
                "--outdir",
                str(tmp_path / outdir),
                str(copy),
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr[-2000:]
    with (tmp_path / "shown" / "hearing-图1 问题清单.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    heads = rows[1]
    assert rows[2][heads.index("问题")] == formula  # text, not a formula's result ("点击")
    observed = problems.loc[ratio, "observed_value"]
    assert rows[2 + ratio][heads.index("现状值")] == f"{observed:.1%}"  # a ratio shown as a percentage
    assert rows[2 + ratio][heads.index("数据状态（实测/估算）")] == "实测 (measured)"
    with (tmp_path / "shown" / "hearing-图3 需求清单（按社区）.csv").open(encoding="utf-8", newline="") as fh:
        assert len([r for r in csv.reader(fh) if any(r)]) == 2 + 40  # title, header, one row per community
    written, again = load_workbook(copy), load_workbook(tmp_path / "again" / "hearing.xlsx")
    assert again.sheetnames == written.sheetnames
    for (
        title
    ) in written.sheetnames:  # the autofilter over the header row survives Calc (frozen panes are view settings,
        assert again[title].auto_filter.ref == written[title].auto_filter.ref, (
            title
        )  # which a headless Calc does not keep)
    for title in ("图1 问题清单", "图2 资源清单", "图8 项目清单"):
        formats = [[c.number_format for c in row] for row in written[title].iter_rows(min_row=3)]
        assert [[c.number_format for c in row] for row in again[title].iter_rows(min_row=3)] == formats, title
    cell = again["图1 问题清单"][f"{written['图1 问题清单'].cell(2, heads.index('问题') + 1).column_letter}3"]
    assert (cell.value, cell.data_type) == (formula, "s")
