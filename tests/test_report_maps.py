"""Hearing maps: what is drawn (titles, legends, scale bar, north arrow, credits), image baselines, export and CLI.

Image baselines (tests/baseline/*.png) are three key maps of the synthetic
3 × 3 district (test_report_common.synthetic_workbook), compared with
matplotlib.testing.compare.compare_images at tolerance BASELINE_TOL (RMS of
0–255 grey levels). Regenerate them deliberately, and review the pictures:

    BLOCKCHECK_REGEN_BASELINES=1 QT_QPA_PLATFORM=offscreen MPLBACKEND=Agg \\
        .venv/bin/pytest -q tests/test_report_maps.py -k baseline
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import pytest
import shapely
from matplotlib.legend import Legend
from matplotlib.path import Path as MplPath
from matplotlib.testing.compare import compare_images

from districts import ROOT
from test_report_common import fixed_credits, sample_data, sample_workbook, synthetic_workbook

BASELINE_DIR = ROOT / "tests" / "baseline"
BASELINE_TOL = 3.0  # RMS difference (0–255) allowed: anti-aliasing and FreeType noise, not a changed map
BASELINE_DPI = 60
REGEN = os.environ.get("BLOCKCHECK_REGEN_BASELINES") == "1"


def legends(ax) -> list[Legend]:
    return [c for c in ax.get_children() if isinstance(c, Legend)]


def legend_labels(ax) -> list[str]:
    return [t.get_text() for leg in legends(ax) for t in leg.get_texts()]


def by_gid(ax, gid: str) -> list:
    return [a for a in ax.findobj() if a.get_gid() == gid]


def furniture_ok(ax, *, osm: bool = False) -> None:
    """Every map: title, legend, scale bar, north arrow, credits (CRS, source, date; OSM when due)."""
    assert ax.get_title(loc="left")
    assert legends(ax) and legend_labels(ax)
    bar = by_gid(ax, "scale_bar")
    assert len(bar) == 1
    x0, x1 = ax.get_xlim()
    assert 0 < bar[0].length_m <= 0.25 * (x1 - x0)
    assert str(bar[0].length_m).rstrip("0").rstrip(".")[0] in "125"
    assert len(by_gid(ax, "north_arrow")) == 1
    credits = by_gid(ax, "credits")
    assert len(credits) == 1
    line = credits[0].get_text()
    assert "EPSG:4548" in line
    assert ("© OpenStreetMap contributors" in line) == osm


@pytest.fixture(scope="module")
def wb():
    return sample_data()


def test_overview_map(wb) -> None:
    from blockcheck.report.maps import plot_overview

    fig, ax = plot_overview(wb)
    furniture_ok(ax)
    assert ax.get_title(loc="left").startswith("街区总览")
    labels = legend_labels(ax)
    assert {"回龙观街道", "主干路", "绿地"} <= set(labels)
    assert sum(1 for t in ax.texts if t.get_gid() == "block_label") == len(wb.blocks)
    assert wb.date in by_gid(ax, "credits")[0].get_text()


def test_metric_map_quotes_the_standard_and_hatches_failing_blocks(wb) -> None:
    from blockcheck.report.maps import plot_map

    fig, ax = plot_map(wb, "road_density")
    furniture_ok(ax)
    labels = legend_labels(ax)
    assert any(label.startswith("标准 ≥ 8 km/km²") and "GB 50180-2018" in label for label in labels)
    failing = int((wb.blocks["road_density_km_per_km2"] < 8).sum())
    assert f"未达标准（{failing}）" in labels
    assert by_gid(ax, "fails")[0].get_hatch()
    classes = [a for a in ax.patches if str(a.get_gid()).startswith("class_")]
    assert 1 < len(classes) <= 5


def test_gap_map_threshold_comes_from_standards_used(wb) -> None:
    from blockcheck.report.maps import metric_threshold

    threshold = metric_threshold(wb, "gap_kindergarten_seats")
    assert threshold.value == 0 and threshold.compare == "gt"
    per_1000 = wb.standard("facilities.kindergarten_seats_per_1000")["number"]
    assert f"{per_1000:g}" in threshold.label


def test_thematic_maps(wb) -> None:
    from blockcheck.report.maps import plot_map

    for name, title, entry in [
        ("problems", "问题分布", "交通出行"),
        ("resources", "资源分布", "闲置场地"),
        ("demand", "居民需求", "公共服务设施"),
        ("projects", "项目分布", "教育"),
    ]:
        fig, ax = plot_map(wb, name)
        furniture_ok(ax)
        assert ax.get_title(loc="left").startswith(title)
        assert any(label.startswith(entry) for label in legend_labels(ax)), (name, legend_labels(ax))
    fig, ax = plot_map(wb, "projects")
    assert {"高（≥80）", "中（60–80）", "低（<60）"} & set(legend_labels(ax))


def test_english_maps(wb) -> None:
    from blockcheck.report.maps import plot_map

    fig, ax = plot_map(wb, "resources", lang="en")
    assert ax.get_title(loc="left").startswith("Resources")
    assert any(label.startswith("Idle sites") for label in legend_labels(ax))
    fig, ax = plot_map(wb, "road_density", lang="en")
    assert any(label.startswith("Standard ≥ 8") for label in legend_labels(ax))


def test_osm_attribution_when_data_came_from_osm() -> None:
    from blockcheck.report.maps import plot_map

    syn = synthetic_workbook()
    syn.osm = True
    fig, ax = plot_map(syn, "overview")
    furniture_ok(ax, osm=True)


def test_osm_ids_are_recognised(tmp_path: Path) -> None:
    import pyogrio

    from blockcheck.report.workbook_data import load_workbook

    src = sample_workbook()
    copy = tmp_path / "workbook.gpkg"
    copy.write_bytes(src.read_bytes())
    res = pyogrio.read_dataframe(copy, layer="resource_list")
    res["source_id"] = "osm_w" + res.index.astype(str)
    pyogrio.write_dataframe(res, copy, layer="resource_list", driver="GPKG")
    assert load_workbook(copy, context=False).osm
    assert not load_workbook(src, context=False).osm


@pytest.mark.parametrize("name", ["overview", "road_density", "projects"])
def test_baseline_image(name: str, tmp_path: Path) -> None:
    from blockcheck.report.fonts import glyph_guard
    from blockcheck.report.maps import plot_map

    syn = synthetic_workbook()
    with glyph_guard():
        fig, _ = plot_map(syn, name, credits=fixed_credits(syn))
        actual = tmp_path / f"{name}.png"
        fig.savefig(actual, dpi=BASELINE_DPI, metadata={"Software": None})
    expected = BASELINE_DIR / f"map_{name}.png"
    if REGEN:
        BASELINE_DIR.mkdir(exist_ok=True)
        expected.write_bytes(actual.read_bytes())
        pytest.skip(f"baseline written: {expected}")
    assert expected.exists(), f"no baseline {expected}; see this module's docstring"
    result = compare_images(str(expected), str(actual), tol=BASELINE_TOL)
    assert result is None, result


def test_export_maps_cli(tmp_path: Path) -> None:
    from PIL import Image

    from blockcheck.cli import main
    from blockcheck.report.maps import map_names

    out = tmp_path / "maps"
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Glyph .* missing")
        main(["maps", str(sample_workbook()), "--out", str(out)])
    for name in map_names():
        png, svg = out / f"{name}.png", out / f"{name}.svg"
        assert png.stat().st_size > 10_000 and svg.stat().st_size > 10_000
        assert "<!-- 示例数据（虚构） -->" in svg.read_text(encoding="utf-8"), name  # the sample district is synthetic
    with Image.open(out / "overview.png") as im:
        assert im.size == (2200, 1600)  # 11 × 8 in at 200 dpi
    assert "<svg" in (out / "road_density.svg").read_text(encoding="utf-8")[:2000]


def test_low_dpi_is_refused(tmp_path: Path) -> None:
    from blockcheck.errors import BlockcheckError
    from blockcheck.report.maps import export_maps

    with pytest.raises(BlockcheckError, match="200 dpi"):
        export_maps(synthetic_workbook(), tmp_path, dpi=100)


def test_hatched_blocks_are_the_blocks_the_problem_list_names(wb) -> None:
    # bus terminals: apportioned per block; the rule judges a block only where its share is a whole
    # terminal or none lies within reach — the map hatches exactly those blocks, as 图1 lists them
    from blockcheck.report.thresholds import metric_threshold

    problems = wb.lists["problem_list"]
    for metric in ("gap_bus_terminal_count", "road_density_km_per_km2", "park_green_m2_per_capita"):
        threshold = metric_threshold(wb, metric)
        fails = threshold.fails(wb.blocks[metric], wb.blocks["block_id"])
        listed = set(problems.loc[(problems["metric_key"] == metric) & (problems["scope"] != "ALL"), "scope"])
        assert set(wb.blocks.loc[fails, "block_id"]) == listed, metric
    assert (
        0
        < len(set(problems.loc[problems["metric_key"] == "gap_bus_terminal_count", "scope"]) - {"ALL"})
        < len(wb.blocks)
    )


def test_every_metric_map_hatches_the_blocks_the_problem_list_names(wb) -> None:
    # one source for maps and lists: on every metric map, the hatched blocks (and the count in the legend)
    # are the block rows of the problem list for that metric
    from blockcheck.report.maps import plot_map
    from blockcheck.report.settings import metric_maps

    problems = wb.lists["problem_list"]
    checked = 0
    for name, spec in metric_maps().items():
        if spec.metric.key not in wb.blocks:
            continue
        _, ax = plot_map(wb, name)
        listed = problems.loc[(problems["metric_key"] == spec.metric.key) & (problems["scope"] != "ALL"), "scope"]
        assert listed.is_unique, name
        hatched = by_gid(ax, "fails")  # one compound path, one ring (MOVETO) per ring of the hatched blocks
        drawn = int((hatched[0].get_path().codes == MplPath.MOVETO).sum()) if hatched else 0
        listed_geoms = wb.blocks.loc[wb.blocks["block_id"].isin(listed)].geometry.to_numpy()
        assert drawn == len(shapely.get_rings(shapely.get_parts(listed_geoms))), name
        counts = {
            int(m) for label in legend_labels(ax) for m in re.findall(r"^未达.*（(\d+)）$", label)
        }  # the legend's 未达标准（n）
        assert counts == {len(listed)} if len(listed) else counts <= {0}, (name, counts)
        checked += bool(len(listed))
    assert checked >= 8
    # the problem map: blocks per problem type, as the problem list has them
    _, ax = plot_map(wb, "problems")
    per_block = problems[problems["scope"] != "ALL"]
    for problem_type, n in per_block.groupby("type")["scope"].nunique().items():
        assert f"{problem_type}: {n}" in legend_labels(ax)
