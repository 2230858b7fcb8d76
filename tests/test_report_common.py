"""Shared builders for the report tests (maps, atlas, hearing report), and tests of fonts and text fitting.

``sample_workbook()`` runs ``blockcheck.pipeline.run`` on the sample district
once per test process (the other report test modules import it);
``synthetic_workbook()`` is a hand-made 3 × 3 district for the image baselines,
so they change only when the drawing changes, not when the analysis does.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS

from districts import ROOT

mpl.use("Agg")

SAMPLE = ROOT / "data" / "sample_blocks" / "sample_district.gpkg"
CRS_M = "EPSG:4548"
EIGHT_TITLES = ["问题清单", "资源清单", "需求清单", "愿景清单", "策略清单", "政策清单", "任务清单", "项目清单"]


@functools.cache
def sample_workbook() -> Path:
    """workbook.gpkg of the sample district (all four steps), made once per process."""
    from blockcheck.pipeline import run

    out = Path(tempfile.mkdtemp(prefix="blockcheck_report_"))
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    run(SAMPLE, out)
    return out / "workbook.gpkg"


@functools.cache
def sample_data():
    """The sample workbook loaded for the exports (WorkbookData, with roads and green from the input)."""
    from blockcheck.report.workbook_data import load_workbook

    return load_workbook(sample_workbook())


def _grid_blocks() -> gpd.GeoDataFrame:
    x0, y0, size = 440_000.0, 4_420_000.0, 300.0
    ij = [(i, j) for j in range(3) for i in range(3)]
    geoms = [shapely.box(x0 + i * size, y0 + j * size, x0 + (i + 1) * size, y0 + (j + 1) * size) for i, j in ij]
    ids = [f"T-{k + 1:02d}" for k in range(9)]
    return gpd.GeoDataFrame(
        {
            "block_id": ids,
            "name": [f"街区{k + 1}" for k in range(9)],
            "subdistrict": ["甲街道"] * 6 + ["乙街道"] * 3,
            "area_ha": [9.0] * 9,
            "population": np.arange(9) * 1000.0 + 2000,
            "job_housing_ratio": np.linspace(0.2, 1.4, 9),
            "road_density_km_per_km2": [4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0],
        },
        geometry=geoms,
        crs=CRS_M,
    )


def synthetic_workbook():
    """A hand-checkable WorkbookData: 3 × 3 blocks of 300 m, road density 4 … 12 km/km² (standard 8)."""
    from blockcheck.report.workbook_data import EIGHT_LISTS, WorkbookData, _empty_list

    blocks = _grid_blocks()
    x0, y0 = 440_000.0, 4_420_000.0
    lines = [shapely.LineString([(x0, y0 + k * 300), (x0 + 900, y0 + k * 300)]) for k in range(4)]
    lines += [shapely.LineString([(x0 + k * 300, y0), (x0 + k * 300, y0 + 900)]) for k in range(4)]
    lines += [shapely.LineString([(x0 + 150, y0), (x0 + 150, y0 + 300)])]
    roads = gpd.GeoDataFrame(
        {
            "road_id": [f"R{k}" for k in range(9)],
            "class": ["arterial"] * 8 + ["branch"],
            "status": ["built"] * 8 + ["planned"],
        },
        geometry=lines,
        crs=CRS_M,
    )
    green = gpd.GeoDataFrame(
        {"green_id": ["G1", "G2"], "kind": ["park", "park"]},
        geometry=[
            shapely.box(x0 + 350, y0 + 350, x0 + 550, y0 + 550),
            shapely.box(x0 + 650, y0 + 50, x0 + 850, y0 + 150),
        ],
        crs=CRS_M,
    )
    crs = CRS.from_user_input(CRS_M)
    lists = {name: _empty_list(name, crs) for name in EIGHT_LISTS}
    lists["resource_list"] = gpd.GeoDataFrame(
        {
            "resource_id": ["RL-1", "RL-2", "RL-3"],
            "block_id": ["T-01", "T-05", "T-09"],
            "category": ["idle_site", "roof", "retained_building"],
            "status": ["candidate"] * 3,
            "source_id": ["P1", "B1", "B2"],
        },
        geometry=[
            shapely.box(x0 + 20, y0 + 20, x0 + 80, y0 + 80),
            shapely.box(x0 + 320, y0 + 620, x0 + 360, y0 + 660),
            shapely.box(x0 + 700, y0 + 700, x0 + 760, y0 + 740),
        ],
        crs=CRS_M,
    )
    lists["project_list"] = gpd.GeoDataFrame(
        {
            "project_id": ["PJ-1", "PJ-2", "PJ-3"],
            "block_id": ["T-01", "T-05", "T-07"],
            "domain": ["教育", "养老", "交通基础设施"],
            "name": ["幼儿园扩建", "养老驿站", "道路打通"],
            "priority_score": [85.0, 65.0, 40.0],
        },
        geometry=[
            shapely.Point(x0 + 100, y0 + 200),
            shapely.box(x0 + 420, y0 + 380, x0 + 480, y0 + 420),
            shapely.LineString([(x0 + 30, y0 + 750), (x0 + 270, y0 + 750)]),
        ],
        crs=CRS_M,
    )
    standards = pd.DataFrame(
        {
            "key": ["roads.density_min_km_per_km2"],
            "value": ["8.0"],
            "unit": ["km/km2"],
            "source": ["GB 50180-2018 §6.0.2-1"],
            "grade": ["A"],
        }
    )
    meta = {
        "run_at_utc": "2026-01-01T00:00:00+00:00",
        "input": "synthetic.gpkg",
        "crs": CRS_M,
        "standards_profile": "beijing",
    }
    return WorkbookData(
        path=Path("synthetic/workbook.gpkg"),
        blocks=blocks,
        area=pd.Series(dtype=object),
        lists=lists,
        resource_summary=pd.DataFrame(),
        meta=meta,
        standards=standards,
        crs=crs,
        context={"roads": roads, "green": green},
        osm=False,
    )


def fixed_credits(wb, *, osm: bool = False):
    """Credits without the version, so baselines survive a release."""
    from blockcheck.report.cartography import Credits

    return Credits(crs=wb.crs, source=wb.source_name, date=wb.date, osm=osm, version="test")


def pdf_fonts(path: Path) -> list[dict]:
    """Every font dictionary used on any page of a PDF (pypdf objects)."""
    from pypdf import PdfReader

    fonts, seen = [], set()
    for page in PdfReader(path).pages:
        resources = page.get("/Resources") or {}
        stack = [resources.get_object()] if resources else []
        while stack:
            res = stack.pop()
            for font in (res.get("/Font") or {}).values():
                font = font.get_object()
                if id(font) not in seen:
                    seen.add(id(font))
                    fonts.append(font)
            for xobj in (res.get("/XObject") or {}).values():
                xobj = xobj.get_object()
                if xobj.get("/Resources"):
                    stack.append(xobj["/Resources"].get_object())
    return fonts


def font_is_embedded(font) -> bool:
    """Type 3 fonts carry their glyphs (CharProcs); every other font needs a FontFile/FontFile2/FontFile3."""
    if font.get("/Subtype") == "/Type3":
        return bool(font.get("/CharProcs"))
    descendants = font.get("/DescendantFonts")
    target = descendants[0].get_object() if descendants else font
    descriptor = target.get("/FontDescriptor")
    if descriptor is None:
        return False
    descriptor = descriptor.get_object()
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


# ------------------------------------------------------------------ tests --


def test_cjk_font_is_found() -> None:
    from blockcheck.report.fonts import cjk_family

    assert "CJK" in cjk_family()


def test_missing_glyph_is_an_error(tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    from blockcheck.errors import MissingGlyphError
    from blockcheck.report.fonts import glyph_guard

    fig = Figure()
    with pytest.raises(MissingGlyphError, match="U\\+0F00"), glyph_guard():
        fig.text(0.5, 0.5, "街区 \u0f00")  # Tibetan OM: in neither Noto CJK nor DejaVu Sans
        fig.savefig(tmp_path / "x.png")


def test_chinese_renders_without_glyph_warnings(tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    from blockcheck.report.fonts import glyph_guard

    with glyph_guard(), warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = Figure()
        fig.text(0.1, 0.5, "问题清单 · 路网密度 ≥ 8 km/km² – 0.53 → 图1")
        fig.savefig(tmp_path / "x.png")
        fig.savefig(tmp_path / "x.pdf")


def test_wrap_em_counts_chinese_as_full_width() -> None:
    from blockcheck.report.textfit import em_width, wrap_em

    assert em_width("街区") == 2.0
    assert wrap_em("一二三四五六", 4) == ["一二三四", "五六"]
    assert wrap_em("一二三四五六七八九", 4, max_lines=2) == ["一二三四", "五六七…"]
    assert wrap_em("alpha beta gamma", 4) == ["alpha", "beta", "gamma"]


def test_wrap_em_never_breaks_a_code_or_a_number() -> None:
    from blockcheck.report.textfit import longest_unit, units, wrap_em

    # a block code stays whole with the brackets around it; lines break at CJK boundaries
    assert wrap_em("天通苑北街道天通北苑街区（CP03-0201）内", 12) == ["天通苑北街道天通北苑街区", "（CP03-0201）内"]
    for width in (4, 6, 8, 10, 14):
        lines = wrap_em("街区CP02-0101、CP02-0102 与 1,714 栋 5.6公里", width)
        assert all(line.count("CP") == line.count("-") for line in lines), lines  # every code whole
        assert "1,714" in "".join(lines).replace("\n", "") and not any(line.endswith(("1,", "5.")) for line in lines)
    assert [u for u, _ in units("【利用闲置】【扩容设施】")] == [
        "【利用闲置】",
        "【扩容设施】",
    ]  # a strategy code is one unit
    assert [u for u, _ in units("PB-1,PB-2 1,234")] == [
        "PB-1,",
        "PB-2",
        "1,234",
    ]  # a list of ids breaks after its commas
    assert longest_unit("问题 CP02-0101 路网") == pytest.approx(9 * 0.56)


def test_fit_widths_widens_a_column_for_its_longest_code_or_shrinks_the_font() -> None:
    from blockcheck.report.textfit import fit_widths

    widths, font = fit_widths(
        [1.0, 4.0], [20.0, 2.0], 500.0, 7.0
    )  # column 0 wants 100 pt but needs (20 + 1.2) em × 7 pt
    assert font == 7.0 and widths[0] == pytest.approx(21.2 * 7.0) and sum(widths) == pytest.approx(500.0)
    widths, font = fit_widths(
        [1.0, 3.0], [25.0, 25.0], 300.0, 7.0
    )  # cannot fit at 7 pt: smaller type, every code whole
    assert font == pytest.approx(300.0 / 52.4) and widths == pytest.approx([150.0, 150.0])


def test_validation_report_names_still_import() -> None:
    from blockcheck.inputs.read import ValidationReport as FromInputs
    from blockcheck.report import ERROR, ValidationReport

    report = ValidationReport("x")
    report.add(ERROR, "code", "layer", "message")
    assert FromInputs is ValidationReport
    assert not report.ok
