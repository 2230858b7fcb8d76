"""Run by tests/test_geos_versions.py in a subprocess: blockcheck's numbers under the shapely/GEOS on sys.path.

Writes a pickle of {name: DataFrame} to argv[1]: the sample district's block metrics and the road metrics of
the OSM extracts given as further arguments (name=path).
"""

from __future__ import annotations

import pickle
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(out: str, *extracts: str) -> None:
    import numpy
    import shapely

    from blockcheck.inputs.osm import import_osm
    from blockcheck.metrics.roads import road_length_by_block_m, road_network_metrics
    from blockcheck.pipeline import check_input
    from blockcheck.steps.health_check import health_check

    checked = check_input(ROOT / "data" / "sample_blocks" / "sample_district.gpkg")
    result = {"versions": (shapely.__version__, shapely.geos_version_string), "numpy": numpy.__version__}
    result["files"] = {"numpy": numpy.__file__, "shapely": shapely.__file__}
    result["sample"] = health_check(checked.checked.layers, checked.standards).block_metrics.drop(columns="geometry")
    for item in extracts:
        name, path = item.split("=", 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layers = import_osm(path)
        blocks = layers["blocks"].set_index("block_id")
        metrics = road_network_metrics(blocks, layers["roads"])
        metrics["all_roads_length_m"] = road_length_by_block_m(blocks, layers["roads"])
        result[name] = metrics
    Path(out).write_bytes(pickle.dumps(result))


if __name__ == "__main__":
    main(*sys.argv[1:])
