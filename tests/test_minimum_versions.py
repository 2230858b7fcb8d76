"""pyproject.toml states the real minimums: under the oldest numpy, pandas, shapely, geopandas, pyproj, pyogrio,
rasterio, scipy, matplotlib, mapclassify and networkx it allows (numpy 1.24 as QGIS 3.22 has on Debian 12, shapely
2.0 for its GEOS 3.11 …), the sample district runs through all four steps, the what-if table, every hearing export,
the core calls of the plugin's editor, export-lists and import-lists, with the same results as under the venv's
newest libraries (issue 16.2).

The minimums are installed once into ``.venv/minimum-versions-site`` (scripts/minimum_versions_site.py); both runs
happen in subprocesses (tests/minimum_versions_worker.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
#: Layers written with the time of the run.
_TIMES = {"blockcheck_meta": ["value"], "project_history": ["changed_at"]}


@pytest.fixture(scope="module")
def minimum_site() -> Path:
    sys.path.insert(0, str(ROOT / "scripts"))
    from minimum_versions_site import minimum_site

    try:
        return minimum_site()
    except subprocess.CalledProcessError as err:  # no package index reachable
        if os.environ.get("BLOCKCHECK_REQUIRE_QGIS") == "1":
            pytest.fail(f"cannot install the minimum versions ({err}); run scripts/setup.sh --test")
        pytest.skip(f"cannot install the minimum versions ({err})")


def _start(folder: Path, pythonpath: str | None) -> subprocess.Popen:
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(MPLBACKEND="Agg", MPLCONFIGDIR=str(folder / "mpl"))  # a font cache of this matplotlib's own
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    worker = ROOT / "tests" / "minimum_versions_worker.py"
    return subprocess.Popen([sys.executable, str(worker), str(folder)], env=env, stderr=subprocess.PIPE, text=True)


def _table(path: str, layer: str) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The attributes (without the run's time) and the geometries of `layer`."""
    frame = pd.DataFrame(pyogrio.read_dataframe(path, layer=layer))
    geometry = frame.pop("geometry").to_numpy() if "geometry" in frame else None
    frame = frame.drop(columns=_TIMES.get(layer, []))
    return frame.astype(object).where(frame.notna(), None), geometry


def test_the_minimum_versions_give_the_same_lists_and_all_exports(minimum_site, tmp_path) -> None:
    from pypdf import PdfReader

    from blockcheck.report.atlas import FIXED_PAGES
    from blockcheck.report.maps import map_names

    runs = {"oldest": _start(tmp_path / "oldest", str(minimum_site)), "newest": _start(tmp_path / "newest", None)}
    results = {}
    for name, process in runs.items():
        _, stderr = process.communicate(timeout=900)
        assert process.returncode == 0, f"{name}: {stderr[-3000:]}"
        results[name] = json.loads((tmp_path / name / "result.json").read_text("utf-8"))
    old, new = results["oldest"], results["newest"]
    pins = {p.split("==")[0]: p.split("==")[1].rstrip(".*") for p in (minimum_site / "PINS.txt").read_text().split()}
    for package, version in old["versions"].items():
        assert version == pins[package] or version.startswith(pins[package] + "."), (package, version)  # the minimums
    assert old["versions"]["numpy"] != new["versions"]["numpy"]
    # Debian's Noto CJK is a .ttc, of which matplotlib < 3.11 reads only the Japanese face: the Chinese one is used
    assert old["cjk_family"] == "Noto Sans CJK SC"

    layers = [name for name, _ in pyogrio.list_layers(new["workbook"])]
    assert [name for name, _ in pyogrio.list_layers(old["workbook"])] == layers and len(layers) > 15
    for layer in layers:
        (a, a_geometry), (b, b_geometry) = _table(old["workbook"], layer), _table(new["workbook"], layer)
        assert list(a.columns) == list(b.columns) and len(a) == len(b), layer
        if a_geometry is not None:  # the same shapes (vertices within a micrometre: GEOS 3.11 against the newest)
            same = shapely.equals_exact(a_geometry, b_geometry, tolerance=1e-6)
            assert (same | (shapely.is_missing(a_geometry) & shapely.is_missing(b_geometry))).all(), layer
        for column in a.columns:
            x, y = a[column], b[column]
            numeric = pd.to_numeric(x, errors="coerce"), pd.to_numeric(y, errors="coerce")
            if numeric[0].notna().sum() == x.notna().sum() and x.notna().any():
                np.testing.assert_allclose(numeric[0], numeric[1], rtol=1e-9, atol=1e-9, err_msg=f"{layer}.{column}")
            else:
                assert x.tolist() == y.tolist(), f"{layer}.{column}"
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "oldest" / "what_if.csv"), pd.read_csv(tmp_path / "newest" / "what_if.csv")
    )
    assert old["batch"] == new["batch"]  # blockcheck batch on a LocalCluster under the oldest dask and distributed
    assert old["batch"]["north"][0] == "ok" and old["batch"]["north"][1] > 0 and old["batch"]["broken"][0] == "failed"
    assert old["editor"] == new["editor"]  # the editor's core calls, export-lists and import-lists
    assert old["editor"]["import_unedited"] and not any(old["editor"]["import_unedited"].values())
    assert len(old["editor"]["block_ids_of"]) > 100 and len(old["editor"]["history"]) == 1
    for result in (old, new):
        assert result["maps"] == sorted(f"{n}.{ext}" for n in map_names() for ext in ("png", "svg"))
        assert len(PdfReader(result["atlas"]).pages) == FIXED_PAGES + 16
        assert len(PdfReader(result["report"]).pages) > 10
