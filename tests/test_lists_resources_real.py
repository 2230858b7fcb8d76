"""The resource list on real OpenStreetMap extracts: import → input GeoPackage → ``blockcheck run``.

The OSM import turns ``landuse=brownfield`` into parcels with status ``idle`` and
``landuse=greenfield`` into ``vacant`` (both become idle sites, rule
``idle_site.status``), and ``landuse=construction`` into ``planned`` (land being
built for a new use: planned new land, not an idle site). The expected parcels
are found here independently: GDAL's OSM driver reads the multipolygons, the
``landuse`` column is filtered and the polygons are kept when they overlap the
extract's ``<bounds>`` (read from the XML header with a regular expression).
"""

from __future__ import annotations

import bz2
import re
import shutil
import warnings
from pathlib import Path

import pyogrio
import pytest
import shapely

from blockcheck.errors import BlockcheckWarning
from blockcheck.inputs.osm import import_osm
from blockcheck.io import write_gpkg
from blockcheck.pipeline import run
from districts import SHARED

REALDATA = SHARED / "realdata"
WEST_OAKLAND = REALDATA / "osmnx-test-extracts" / "West-Oakland.osm.bz2"
XUEYUAN = REALDATA / "beijing-xueyuanlu-osm" / "map.osm"
_BOUNDS = re.compile(r'<bounds\s+minlat="([-\d.]+)"\s+minlon="([-\d.]+)"\s+maxlat="([-\d.]+)"\s+maxlon="([-\d.]+)"')


def _osm_ids_with_landuse(osm: Path, values: set[str]) -> set[str]:
    """``osm_w<way id>`` / ``osm_r<relation id>`` of multipolygons tagged landuse ∈ `values` overlapping the bounds."""
    with osm.open(encoding="utf-8") as fh:
        head = fh.read(5000)
    minlat, minlon, maxlat, maxlon = map(float, _BOUNDS.search(head).groups())
    frame = pyogrio.read_dataframe(osm, layer="multipolygons", on_invalid="ignore")
    frame = frame[frame["landuse"].isin(values) & frame.geometry.notna()]
    inside = (
        shapely.area(
            shapely.intersection(shapely.make_valid(frame.geometry.values), shapely.box(minlon, minlat, maxlon, maxlat))
        )
        > 0
    )
    frame = frame[inside]
    way = frame["osm_way_id"].notna()
    return set("osm_w" + frame.loc[way, "osm_way_id"].astype(str)) | set(
        "osm_r" + frame.loc[~way, "osm_id"].astype(str)
    )


def _run_on(osm: Path, tmp: Path):
    layers = import_osm(osm)
    write_gpkg(tmp / "input.gpkg", layers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BlockcheckWarning)
        result = run(tmp / "input.gpkg", tmp / "out")
    back = pyogrio.read_dataframe(tmp / "out" / "workbook.gpkg", layer="resource_list")
    assert back["resource_id"].tolist() == result.resource_list["resource_id"].tolist()
    return result.resource_list


@pytest.mark.shared
@pytest.mark.skipif(not WEST_OAKLAND.exists(), reason="shared real data not available")
def test_shared_west_oakland_brownfields_are_idle_sites(tmp_path) -> None:
    osm = tmp_path / "West-Oakland.osm"
    with bz2.open(WEST_OAKLAND) as src, osm.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    expected = _osm_ids_with_landuse(osm, {"brownfield"})
    assert len(expected) == 17  # SOURCE.md: landuse brownfield 17
    resources = _run_on(osm, tmp_path)
    by_status = resources[resources["rule_id"] == "idle_site.status"]
    assert set(by_status["source_id"]) == expected and len(by_status) == len(expected)
    assert (by_status["category"] == "idle_site").all() and (by_status["source_layer"] == "parcels").all()
    assert by_status["reason"].str.startswith("地块状态为闲置（idle）").all()
    assert by_status["reason_en"].str.contains("parcel status idle").all()
    # small brownfields get a subtype, large ones (> 0.5 ha) none; at least the corners are seen
    small = by_status["land_area_m2"] <= 5000
    assert by_status.loc[small, "subtype"].notna().all() and by_status.loc[~small, "subtype"].isna().all()
    assert "street_corner" in set(by_status["subtype"])
    # OSM maps few buildings here: built parcels without any building are listed too, with a caution
    by_coverage = resources[resources["rule_id"] == "idle_site.coverage"]
    assert by_coverage["reason"].str.startswith("已建成地块建筑覆盖率").all()
    assert by_coverage["reason"].str.contains("请核实是否为建筑数据缺失").any()


@pytest.mark.shared
@pytest.mark.skipif(not XUEYUAN.exists(), reason="shared real data not available")
def test_shared_xueyuan_greenfield_brownfield_and_construction(tmp_path) -> None:
    idle_expected = _osm_ids_with_landuse(XUEYUAN, {"greenfield", "brownfield"})
    planned_expected = _osm_ids_with_landuse(XUEYUAN, {"construction"})
    assert (len(idle_expected), len(planned_expected)) == (
        8,
        1,
    )  # SOURCE.md: greenfield 7, brownfield 1, construction 1
    resources = _run_on(XUEYUAN, tmp_path)
    idle = resources[resources["rule_id"] == "idle_site.status"]
    assert set(idle["source_id"]) == idle_expected and len(idle) == len(idle_expected)
    assert idle["reason"].str.match(r"地块状态为(空地（vacant）|闲置（idle）)；面积").all()
    planned = resources[resources["category"] == "planned_new_land"]
    assert set(planned["source_id"]) == planned_expected
    assert planned["reason"].str.contains("规划待建").all()
    # the greenfield patches lie inside residential landuse: enclaves (插花地)
    assert "enclave" in set(idle["subtype"])
    # every idle or planned parcel lies in a derived block (a few forest parcels between blocks have none)
    assert resources.loc[resources["category"].isin(["idle_site", "planned_new_land"]), "block_id"].notna().all()
