"""The report summarises long lists, and counts resources in features (issue 15).

A list longer than ``[report] body_rows`` (:func:`blockcheck.report.settings.body_rows`)
prints that many rows — the projects with the highest priority score, in the
list's order — and one sentence with the rows in all, the totals and where the
full list is (the workbook layer and the Excel sheet). Aggregated resource rows
(retained land and buildings, one per block) count their ``member_count``
features in legends, atlas pages and notes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from test_report_common import sample_data, synthetic_workbook

SHOWN = 7  # the threshold the tests set: fewer rows than any long list of the sample


def _tbody(html: str, key: str) -> list[list[str]]:
    """The cells of each body row of the table in section `key` of the HTML report."""
    section = html[html.index(f'<section id="{key}">') :]
    section = section[: section.index("</table>")]
    body = section[section.index("<tbody>") :]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def _note(html: str, key: str) -> str:
    section = html[html.index(f'<section id="{key}">') :]
    return re.search(r'<p class="note">(.*?)</p>', section[: section.index("<table>")], re.S).group(1)


@pytest.fixture(scope="module")
def short_report(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """report.pdf and report.html of the sample (zh and en) with a small threshold: every long list summarised."""
    from blockcheck.report.hearing import export_report
    from blockcheck.report.settings import settings

    out = tmp_path_factory.mktemp("short_report")
    report = settings()["report"]
    saved = {k: report[k] for k in ("body_rows", "appendix_rows", "key_maps")}
    report.update(body_rows=SHOWN, appendix_rows=SHOWN, key_maps=[])  # no appendix: the workbook holds the rest
    try:
        written = {
            lang: tuple(export_report(sample_data(), out / f"report_{lang}.pdf", lang=lang)[:2])
            for lang in ("zh", "en")
        }
    finally:
        report.update(saved)
    return written


def test_long_project_list_shows_the_threshold_and_a_totals_line(short_report) -> None:
    from pypdf import PdfReader

    pdf, page = short_report["zh"]
    html = page.read_text(encoding="utf-8")
    projects = sample_data().lists["project_list"]
    total = len(projects)
    assert total > SHOWN
    rows = _tbody(html, "project_list")
    assert len(rows) == SHOWN  # exactly the threshold
    top = projects.assign(_s=pd.to_numeric(projects["priority_score"])).sort_values(
        "_s", ascending=False, kind="stable"
    )
    expected = projects.loc[sorted(top.index[:SHOWN])]  # the highest priority scores, in the list's order (图8 序号)
    assert [r[0] for r in rows] == [str(n) for n in expected["number"]]
    assert [r[2] for r in rows] == expected["name"].tolist()
    note = _note(html, "project_list")
    assert f"优先级得分最高的{SHOWN}项（按清单顺序排列），共{total}项" in note  # the count of every row
    domains = projects["domain"].value_counts()
    assert f"（按领域：{domains.index[0]} {domains.iloc[0]}项" in note  # the totals by domain
    assert "全部见 workbook.gpkg 图层「project_list」及 eight_lists.xlsx 工作表「图8 项目清单」" in note
    assert f"图8 项目清单（前{SHOWN}项，共{total}项）" in html  # the contents
    assert not re.search(r"<h3>附表\d+ 图8", html)  # not printed whole anywhere: the report stays a document
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(pdf).pages).split())
    assert f"共{total}项" in text and "图层「project_list」" in text


def test_long_task_list_states_its_land_area_in_total(short_report) -> None:
    html = short_report["zh"][1].read_text(encoding="utf-8")
    tasks = sample_data().lists["task_list"]
    assert len(_tbody(html, "task_list")) == SHOWN
    area = pd.to_numeric(tasks["land_area_ha"], errors="coerce").round(2).sum()
    note = _note(html, "task_list")
    assert f"前{SHOWN}项，共{len(tasks)}项（按建设任务：" in note
    assert f"合计用地面积（公顷）{area:,.2f}" in note
    assert "图层「task_list」及 eight_lists.xlsx 工作表「图7 任务清单」" in note


def test_summaries_in_english(short_report) -> None:
    html = short_report["en"][1].read_text(encoding="utf-8")
    projects, tasks = sample_data().lists["project_list"], sample_data().lists["task_list"]
    assert len(_tbody(html, "project_list")) == SHOWN
    note = _note(html, "project_list")
    assert f"Top {SHOWN} of {len(projects)} by Priority score (0–100), in the list&#x27;s order (by Domain: " in note
    assert "all in workbook.gpkg, layer “project_list”, and eight_lists.xlsx, sheet “图8 项目清单”." in note
    area = pd.to_numeric(tasks["land_area_ha"], errors="coerce").round(2).sum()
    assert f"; in total Land area (ha) {area:,.2f};" in _note(html, "task_list")
    assert "优先级" not in note and "全部见" not in html


def test_block_problems_summary_shows_the_most_severe(monkeypatch: pytest.MonkeyPatch) -> None:
    from blockcheck.report.sections import report_plan
    from blockcheck.report.settings import settings

    monkeypatch.setitem(settings()["report"], "body_rows", SHOWN)
    monkeypatch.setitem(settings()["report"], "appendix_rows", SHOWN)
    plan = {s.key: s for s in report_plan(sample_data(), "zh", key_maps=[])}
    problems = sample_data().lists["problem_list"]
    blocks = problems[problems["scope"] != "ALL"]
    section = plan["appendix1"]
    assert len(section.table.frame) == SHOWN and section.count == f"前{SHOWN}项，共{len(blocks)}项"
    cutoff = blocks["severity"].sort_values(ascending=False).iloc[SHOWN - 1]
    severity = blocks.set_index(["scope", "problem"])["severity"]
    frame = section.table.frame
    assert all(severity.loc[(b, p)].max() >= cutoff for b, p in zip(frame["街区编码"], frame["问题"], strict=True))
    assert "严重程度（相对缺口）最高的" in section.table.note and "图层「problem_list」" in section.table.note


def test_resource_counts_are_features_not_rows() -> None:
    from blockcheck.report.features import resource_handles
    from blockcheck.report.tables import area_counts, block_summary
    from blockcheck.report.workbook_data import feature_counts

    wb = synthetic_workbook()
    res = wb.lists["resource_list"]
    older = [h.get_label() for h in resource_handles(res, lang="zh")]  # no member_count: one per row
    assert "其他现状保留建筑（1）" in older and area_counts(wb)["resource_list"] == 3
    wb.lists["resource_list"] = res.assign(member_count=[1, 1, 7])  # T-09: a block's retained buildings, 7 features
    labels = [h.get_label() for h in resource_handles(wb.lists["resource_list"], lang="zh")]
    assert "其他现状保留建筑（7）" in labels and "闲置场地（1）" in labels
    assert any(h.get_label().endswith(" (7)") for h in resource_handles(wb.lists["resource_list"], lang="en"))
    summary = block_summary(wb, "zh")
    assert summary.loc["T-09", "n_resource_list"] == 7 and summary.loc["T-01", "n_resource_list"] == 1
    assert "其他现状保留建筑 7" in summary.loc["T-09", "text_resource_list"]
    assert area_counts(wb)["resource_list"] == 9
    assert feature_counts(pd.DataFrame({"member_count": [3, None]})).tolist() == [3, 1]


def test_sample_resource_map_and_atlas_count_features() -> None:
    from blockcheck.report.features import resource_handles
    from blockcheck.report.tables import area_counts, block_summary

    wb = sample_data()
    res = wb.lists["resource_list"]
    features = int(res["member_count"].fillna(1).sum())
    assert features > len(res)  # the sample has aggregated retained land and buildings
    counts = [
        int(re.search(r"（([\d,]+)）$", h.get_label()).group(1).replace(",", ""))
        for h in resource_handles(res, lang="zh")
    ]
    assert sum(counts) == features
    assert area_counts(wb)["resource_list"] == features
    assert int(block_summary(wb, "zh")["n_resource_list"].sum()) == int(
        res.loc[res["block_id"].isin(wb.block_ids()), "member_count"].fillna(1).sum()
    )


def test_resource_note_says_where_the_retained_features_are() -> None:
    from dataclasses import replace

    from blockcheck.report.sections import report_plan

    wb = sample_data()
    res = wb.lists["resource_list"]
    retained = res[res["category"].isin(["retained_land", "retained_building"])]
    note = next(s for s in report_plan(wb, "zh", key_maps=[]) if s.key == "resource_list").table.note
    n = int(retained["member_count"].sum())
    assert f"按街区汇总（{len(retained)}行，{n:,}处），逐处见 workbook.gpkg 图层「resource_members」。" in note
    english = next(s for s in report_plan(wb, "en", key_maps=[]) if s.key == "resource_list").table.note
    assert f"summed per block ({len(retained)} rows, {n:,} features); each feature in workbook.gpkg" in english
    older = replace(wb, lists={**wb.lists, "resource_list": res.drop(columns="member_count")})  # one row per feature
    note = next(s for s in report_plan(older, "zh", key_maps=[]) if s.key == "resource_list").table.note
    assert "resource_members" not in note and f"共{len(res):,}处资源" in note


def test_notes_say_when_the_excel_sheet_shows_only_the_first_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    from blockcheck.report.sections import report_plan
    from blockcheck.report.settings import settings
    from blockcheck.workbook import excel_write

    wb = sample_data()
    n_resources, n_strategies = len(wb.lists["resource_list"]), len(wb.lists["strategy_list"])
    projects = len(wb.lists["project_list"])
    monkeypatch.setitem(settings()["report"], "body_rows", SHOWN)
    monkeypatch.setitem(settings()["report"], "appendix_rows", SHOWN)
    plan = {s.key: s for s in report_plan(wb, "zh", key_maps=[])}
    assert "只列前" not in plan["resource_list"].table.note  # every list fits its sheet
    limit = n_resources - 1  # a sheet now holds fewer rows than the resource list has
    monkeypatch.setattr(excel_write, "EXCEL_MAX_ROWS", limit)
    assert (
        excel_write.sheet_rows_shown(n_resources) == limit - 3 and excel_write.sheet_rows_shown(limit - 2) == limit - 2
    )
    plan = {s.key: s for s in report_plan(wb, "zh", key_maps=[])}
    cut = f"（该表只列前{limit - 3:,}行，其余只在 workbook.gpkg 中）"
    assert f"工作表「图2 资源清单」{cut}。" in plan["resource_list"].table.note
    assert (f"工作表「图5 策略清单」{cut}" in plan["strategy_list"].table.note) == (n_strategies > limit - 2)
    assert (cut in plan["project_list"].table.note) == (projects > limit - 2)
    english = {s.key: s for s in report_plan(wb, "en", key_maps=[])}["resource_list"].table.note
    assert f"sheet “图2 资源清单” (the sheet shows the first {limit - 3:,} rows only; the rest" in english
