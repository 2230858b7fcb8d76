"""Road density of the imported Xueyuan Road extract equals QGIS's native:sumlinelengths (real QGIS)."""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pytest

from blockcheck.inputs.osm import import_osm
from blockcheck.io import write_gpkg
from blockcheck.metrics.roads import PUBLIC_ROAD_CLASSES, road_density_km_per_km2, road_length_by_block_m
from districts import SHARED

pytestmark = [pytest.mark.qgis, pytest.mark.shared]
XUEYUAN = SHARED / "realdata" / "beijing-xueyuanlu-osm" / "map.osm"


def _processing():
    sys.path.insert(0, "/usr/share/qgis/python/plugins")
    import processing
    from processing.core.Processing import Processing

    Processing.initialize()
    return processing


def _sumlinelengths(polygons: str, lines: str, tmp: Path, name: str) -> gpd.GeoDataFrame:
    out = tmp / f"{name}.gpkg"
    _processing().run(
        "native:sumlinelengths",
        {"POLYGONS": polygons, "LINES": lines, "LEN_FIELD": "qgis_len", "COUNT_FIELD": "qgis_n", "OUTPUT": str(out)},
    )
    return gpd.read_file(out)


def test_shared_xueyuanlu_road_density_equals_qgis_sumlinelengths(qgis_app, tmp_path: Path) -> None:
    layers = import_osm(XUEYUAN)
    blocks = layers["blocks"].set_index("block_id", drop=False)
    roads = layers["roads"]
    built = roads[roads["class"].isin(PUBLIC_ROAD_CLASSES) & (roads["status"] == "built")]
    write_gpkg(tmp_path / "roads.gpkg", {"roads": built})
    write_gpkg(tmp_path / "blocks.gpkg", {"blocks": layers["blocks"]})
    roads_src = f"{tmp_path / 'roads.gpkg'}|layername=roads"

    def qgis_length(offset_m: float, name: str):
        grown = layers["blocks"].assign(geometry=layers["blocks"].buffer(offset_m, join_style="mitre"))
        write_gpkg(tmp_path / f"{name}.gpkg", {"blocks": grown})
        out = _sumlinelengths(f"{tmp_path / f'{name}.gpkg'}|layername=blocks", roads_src, tmp_path, f"{name}_out")
        return out.set_index("block_id")["qgis_len"].reindex(blocks.index).fillna(0.0)

    # A road on the edge between two blocks is credited half to each. QGIS's overlay of the blocks
    # grown by 5 mm counts it fully, of the blocks shrunk by 5 mm not at all: the mean of the two
    # is blockcheck's rule (roads crossing an edge: ± 5 mm each, which cancels).
    grown, shrunk = qgis_length(0.005, "grown"), qgis_length(-0.005, "shrunk")
    assert grown.sum() > 10_000  # the extract has ~32 km of vehicular roads
    assert (grown - shrunk).sum() > 1_000  # many roads run along block edges: the rule matters
    ours_m = road_length_by_block_m(blocks, built)
    assert ours_m.to_numpy() == pytest.approx(((grown + shrunk) / 2).to_numpy(), abs=0.2)
    density = road_density_km_per_km2(blocks, roads)["road_density_km_per_km2"]
    expected = (grown + shrunk) / 2 / 1000 / (blocks.area / 1e6)
    assert density.to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-3)  # 0.2 m on small blocks
    # the plain overlay (edge roads credited fully) equals QGIS on the grown blocks
    plain = road_length_by_block_m(blocks, built, edge_share=1.0)
    assert plain.to_numpy() == pytest.approx(grown.to_numpy(), abs=0.2)
