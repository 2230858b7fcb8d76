"""What the exports say about the data: the synthetic-data notice, the data gaps and the standards by grade.

A small workbook GeoPackage is written here (3 × 3 blocks, every mapped metric,
a data_gaps table, standards_used with the kind / label / verify columns), once
marked synthetic and once not, so these tests do not depend on a pipeline run.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from blockcheck.io import write_gpkg
from blockcheck.lists.schema import conform, list_table
from test_report_common import _grid_blocks

NOTICE_ZH, NOTICE_EN = "示例数据（虚构）", "synthetic sample data"
BG = (0xB2, 0x18, 0x2B)  # [synthetic] background in data/report.toml


def _standards() -> pd.DataFrame:
    rows = [
        {
            "key": "roads.density_min_km_per_km2",
            "value": "8.0",
            "unit": "km/km2",
            "unit_zh": "公里/平方公里",
            "grade": "A",
            "source": "GB 50180-2018《城市居住区规划设计标准》§6.0.2(1): 路网密度不应小于8km/km² (seen)",
            "kind": "standard",
            "label_zh": "GB 50180-2018",
            "label_en": "GB 50180-2018",
        },
        {
            "key": "green.park_per_capita_min_m2",
            "value": "16.5",
            "unit": "m2/person",
            "source": "北京城市总体规划(2016–2035), quoted",
            "grade": "B",
            "kind": "standard",
            "label_zh": "北京总规2035",
            "label_en": "Beijing master plan 2035",
            "superseded_by": "北京城市总体规划(2036–2050) (value not verified)",
        },
        {
            "key": "facilities.elderly_care_beds_per_1000",
            "value": "9.5",
            "unit": "beds per 1000 residents",
            "grade": "C",
            "kind": "standard",
            "source": "recalled: 北京城市总体规划 千人养老机构床位数 9.5; not found in the published text",
            "label_zh": "北京总规2035目标（转述）",
            "label_en": "Beijing master plan 2035 (quoted)",
            "verify": "核对北京城市总体规划文本第三章",
        },
        {
            "key": "life_circle.radius_5min_m",
            "value": "300",
            "unit": "m",
            "source": "blockcheck default; no standard",
            "grade": "B",
            "kind": "parameter",
            "label_zh": "本工具默认值",
            "label_en": "blockcheck default",
        },
    ]
    return pd.DataFrame(rows).fillna("")


def _gaps() -> pd.DataFrame:
    gaps = pd.DataFrame(
        {
            "id": ["DG-T-05-facilities-beds", "DG-ALL-parking", "DG-ALL-facilities-culture"],
            "scope": ["T-05", "ALL", "ALL"],
            "layer": ["facilities", "parking", "facilities"],
            "item": ["beds", "parking", "culture"],
            "coverage": ["some", "absent", "none"],
            "detail": ["3处医疗设施缺床位数", "无停车场图层", "无文化设施"],
            "detail_en": ["3 health facilities without beds", "no parking layer", "no culture facility"],
            "effect": ["医疗床位缺口", "停车缺口", "文化设施缺口"],
            "effect_en": ["hospital bed gap", "parking gap", "culture floor gap"],
            "how_to_fix": ["补充床位数", "补充停车场图层", "补充文化设施或声明缺失"],
            "how_to_fix_en": ["add beds", "add a parking layer", "add culture facilities"],
        }
    )
    return conform(gaps, list_table("data_gaps"))


def write_workbook(path: Path, *, synthetic: bool, gaps: bool = True) -> Path:
    """A workbook.gpkg of the 3 × 3 test district (no lists), synthetic or not, with or without data gaps."""
    from blockcheck.report.settings import metric_maps

    blocks = _grid_blocks()
    for i, spec in enumerate(metric_maps().values()):
        blocks[spec.metric.key] = np.linspace(0.1, 0.9, len(blocks)) * (1 if spec.percent else 10 + i)
    meta = {
        "run_at_utc": "2026-01-01T00:00:00+00:00",
        "input": "fixture.gpkg",
        "crs": "EPSG:4548",
        "standards_profile": "beijing",
        "synthetic": "true" if synthetic else "false",
        "dataset_description": "测试用虚构数据" if synthetic else "",
    }
    layers = {
        "block_metrics": blocks,
        "area_metrics": pd.DataFrame({"scope": ["ALL"], "population": [float(blocks["population"].sum())]}),
        "blockcheck_meta": pd.DataFrame({"key": list(meta), "value": list(meta.values())}),
        "standards_used": _standards(),
        **({"data_gaps": _gaps()} if gaps else {}),
    }
    return write_gpkg(path, layers)


@functools.cache
def _workbook(synthetic: bool, gaps: bool, folder: str) -> object:
    from blockcheck.report.workbook_data import load_workbook

    return load_workbook(
        write_workbook(Path(folder) / f"wb_{synthetic}_{gaps}.gpkg", synthetic=synthetic, gaps=gaps), context=False
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("notice"))


@pytest.fixture(scope="module")
def synthetic(folder: str):
    return _workbook(True, True, folder)


@pytest.fixture(scope="module")
def real(folder: str):
    return _workbook(False, False, folder)


def _pages(pdf: Path) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages]


def _notice_pixels(png: Path) -> int:
    from PIL import Image

    with Image.open(png) as im:
        return int((np.asarray(im.convert("RGB")) == BG).all(axis=2).sum())


# ------------------------------------------------------------------ reading


def test_workbook_data_reads_the_notice_and_the_data_gaps(synthetic, real) -> None:
    assert synthetic.synthetic and synthetic.notice("zh") == NOTICE_ZH and synthetic.notice("en") == NOTICE_EN
    assert not real.synthetic and real.notice("zh") == ""
    assert synthetic.data_gaps["id"].tolist() == _gaps()["id"].tolist()
    assert synthetic.block_data_gaps("T-05") == (1, 2) and synthetic.block_data_gaps("T-01") == (0, 2)
    # an older workbook: no data_gaps / metric_status layers → empty frames with the schema's columns
    assert real.data_gaps.empty and list(real.data_gaps.columns) == list_table("data_gaps").columns
    assert real.metric_status.empty and list(real.metric_status.columns) == list_table("metric_status").columns
    assert real.block_data_gaps("T-05") == (0, 0)


# ------------------------------------------------------------------ maps


def test_every_map_of_a_synthetic_workbook_carries_the_notice(synthetic, real, tmp_path: Path) -> None:
    from blockcheck.report.maps import export_maps, map_names

    export_maps(synthetic, tmp_path / "syn")
    export_maps(real, tmp_path / "real", names=["overview", "road_density"])
    for name in map_names():
        svg = (tmp_path / "syn" / f"{name}.svg").read_text(encoding="utf-8")
        assert f"<!-- {NOTICE_ZH} -->" in svg and 'id="synthetic_notice"' in svg, name
        assert _notice_pixels(tmp_path / "syn" / f"{name}.png") > 3000, name  # a solid label, not small print
    for name in ("overview", "road_density"):
        assert NOTICE_ZH not in (tmp_path / "real" / f"{name}.svg").read_text(encoding="utf-8")
        assert (
            _notice_pixels(tmp_path / "syn" / f"{name}.png") - _notice_pixels(tmp_path / "real" / f"{name}.png") > 3000
        )


def test_english_map_notice(synthetic) -> None:
    from blockcheck.report.maps import plot_map

    _, ax = plot_map(synthetic, "projects", lang="en")
    labels = [a.get_text() for a in ax.findobj() if a.get_gid() == "synthetic_notice"]
    assert labels == [NOTICE_EN]


# ------------------------------------------------------------------ atlas


def test_every_atlas_page_carries_the_notice_and_the_data_gaps(synthetic, tmp_path: Path) -> None:
    from blockcheck.report.atlas import FIXED_PAGES, export_atlas

    pages = _pages(export_atlas(synthetic, tmp_path / "atlas.pdf"))
    assert len(pages) == FIXED_PAGES + 9
    assert all(NOTICE_ZH in page for page in pages), [i for i, p in enumerate(pages) if NOTICE_ZH not in p]
    assert "数据缺口清单 3" in pages[0]  # the cover counts them
    by_block = {b: pages[FIXED_PAGES + i] for i, b in enumerate(synthetic.block_ids())}
    assert "数据缺口：3项（本街区1项、全区2项，见数据缺口清单）" in by_block["T-05"]
    assert "数据缺口：2项（本街区0项、全区2项，见数据缺口清单）" in by_block["T-01"]


def test_real_atlas_has_no_notice_and_no_gaps(real, tmp_path: Path) -> None:
    from blockcheck.report.atlas import export_atlas

    pages = _pages(export_atlas(real, tmp_path / "atlas.pdf", blocks=["T-01", "T-05"]))
    assert not any(NOTICE_ZH in page for page in pages)
    assert all("数据缺口：无" in page for page in pages[2:])


def test_english_block_page_data_gaps(synthetic) -> None:
    from blockcheck.report.atlas import _BlockPage

    page = _BlockPage(synthetic, "en")
    page.show("T-05", 7)
    texts = {t.get_gid(): t.get_text() for t in page.fig.texts if t.get_gid()}
    assert texts["block_data_gaps"] == "Data gaps: 3 (1 for this block, 2 area-wide; see the data-gap list)"
    assert texts["synthetic_notice"] == NOTICE_EN


# ------------------------------------------------------------------ report


@pytest.fixture(scope="module")
def report_zh(synthetic, folder: str) -> list[Path]:
    from blockcheck.report.hearing import export_report
    from blockcheck.report.settings import settings

    key_maps = settings()["report"]["key_maps"]
    settings()["report"]["key_maps"] = ["overview", "road_density"]
    try:
        return export_report(synthetic, Path(folder) / "report.pdf")
    finally:
        settings()["report"]["key_maps"] = key_maps


def test_every_report_page_carries_the_notice(report_zh: list[Path]) -> None:
    pages = _pages(report_zh[0])
    assert len(pages) > 5
    assert all(NOTICE_ZH in page for page in pages), [i for i, p in enumerate(pages) if NOTICE_ZH not in p]
    html = report_zh[1].read_text(encoding="utf-8")
    assert f'<p class="synthetic" id="synthetic_notice">{NOTICE_ZH}</p>' in html
    assert html.count(NOTICE_ZH) == 2  # the banner and the footer


def test_report_lists_the_data_gaps_area_first(report_zh: list[Path]) -> None:
    text = " ".join(_pages(report_zh[0]))
    html = report_zh[1].read_text(encoding="utf-8")
    assert "数据缺口清单（3项）" in text  # the contents
    for where in (text, html):
        assert "数据缺口清单" in where and "缺少数据本身不是体检发现的问题" in where
        assert (
            where.index("无停车场图层") < where.index("无文化设施") < where.index("3处医疗设施缺床位数")
        )  # ALL rows first
        assert "图层或类别缺失" in where and "部分缺失" in where  # coverage in Chinese
    assert '<section id="data_gaps"><h2>数据缺口清单</h2>' in html
    assert html.index('id="data_gaps"') < html.index('id="standards"')


def test_standards_appendix_grouped_by_grade_in_chinese(report_zh: list[Path]) -> None:
    text = " ".join(_pages(report_zh[0]))
    html = report_zh[1].read_text(encoding="utf-8")
    for where in (text, html):
        where = where[where.rindex("采用的标准及来源") :]  # the appendix (the method note names the grades too)
        flat = where.replace(" ", "")  # PDF cells wrap
        assert flat.index("标准（A、B级）") < flat.index("参考值（待核实）") < flat.index("blockcheck参数")
        assert "roads.density_min_km_per_km2" in flat and "GB50180-2018" in flat and "公里/平方公里" in flat
        assert "A已核对原文" in flat and "B二手引用" in flat
        assert (
            "北京总规2035目标（转述）" in flat and "核对北京城市总体规划文本第三章" in flat
        )  # the grade-C value and how to verify it
        assert "北京总规2035；已被北京城市总体规划(2036–2050)替代" in flat  # the document only, not the English remark
        assert "life_circle.radius_5min_m" in flat and "本工具默认值" in flat
        for english in (
            "recalled",
            "verify",
            "quoted",
            "not found",
            "default",
            "Grade",
        ):  # the citations' English notes stay out
            assert english not in where, english
    ab = html[html.index("<h3>标准（A、B级）</h3>") : html.index("<h3>参考值（待核实）</h3>")]
    assert "elderly_care_beds_per_1000" not in ab and "life_circle" not in ab  # grade C and parameters are kept apart


def test_english_report(synthetic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from blockcheck.report.hearing import export_report
    from blockcheck.report.settings import settings

    monkeypatch.setitem(settings()["report"], "key_maps", ["problems"])
    pdf, html_path, *_ = export_report(synthetic, tmp_path / "report_en.pdf", lang="en")
    pages = _pages(pdf)
    assert all(NOTICE_EN in page for page in pages)
    text, html = " ".join(pages), html_path.read_text(encoding="utf-8")
    for where in (text, html):
        assert "Data-gap list" in where and "Missing data is not a finding" in where and "no parking layer" in where
        assert "Reference values (to be verified)" in where and "A seen in the standard" in where
        assert "recalled: 北京城市总体规划" in where.replace("\n", " ")  # the full citation in English
        assert "superseded by 北京城市总体规划(2036–2050) (value not verified)" in " ".join(where.split())
        assert NOTICE_ZH not in where and "数据缺口" not in where


def test_real_report_has_no_notice(real, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from blockcheck.report.hearing import export_report
    from blockcheck.report.settings import settings

    monkeypatch.setitem(settings()["report"], "key_maps", ["overview"])
    pdf, html_path, *_ = export_report(real, tmp_path / "report.pdf")
    text, html = " ".join(_pages(pdf)), html_path.read_text(encoding="utf-8")
    assert NOTICE_ZH not in text and NOTICE_ZH not in html and 'class="synthetic"' not in html
    assert "数据缺口清单（0项）" in text  # an empty data-gap list is still shown
