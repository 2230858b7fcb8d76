"""The same numbers under the library versions the QGIS plugin runs with and under the project venv's.

Inside QGIS 3.22 (GEOS 3.11) the plugin runs with its own libraries folder, installed by its own install command
(scripts/qgis_plugin_libs.py, into ``.venv/qgis-plugin-libs``): shapely 2.0 / geopandas 1.0 and QGIS's numpy
1.24; the CLI and notebooks run the venv's latest shapely and GEOS. A health check must not depend on which: the
sample district's block metrics and the road metrics of two real OSM extracts (read from ../shared/realdata)
are computed under both — the plugin's side in QGIS's Python with the folder's site-packages first on
``sys.path``, as the plugin puts it there — and compared. Old GEOS relate can fail on valid, nearly collinear
input, and roads that lie a hair off a block edge must be classed the same way by both.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "realdata"
EXTRACTS = {
    "xueyuan": SHARED / "beijing-xueyuanlu-osm" / "map.osm",
    "kouvola": SHARED / "kouvola-osm" / "test.osm.pbf",
}


def _qgis_side() -> tuple[Path, Path]:
    """(QGIS's Python, the site-packages of the plugin's libraries folder) — the folder installed by the plugin's
    own command (scripts/qgis_plugin_libs.py; once, again only when the command changes)."""
    try:
        from qgis.core import Qgis
    except ImportError as err:  # no QGIS: nothing pins older libraries
        if os.environ.get("BLOCKCHECK_REQUIRE_QGIS") == "1":
            pytest.fail(f"QGIS is required here ({err}); run scripts/setup.sh --test")
        pytest.skip(f"needs QGIS to know its GEOS ({err})")
    if Qgis.geosVersionInt() >= 31200:
        pytest.skip("this QGIS's GEOS needs no older shapely; one stack only")
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import qgis_plugin_libs
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    folder, _ = qgis_plugin_libs.plugin_libs()
    return qgis_plugin_libs.QGIS_PYTHON, next((folder / "lib").glob("python3*/site-packages"))


def _numbers(tmp_path: Path, name: str, python: list[str], pythonpath: str | None) -> dict:
    out = tmp_path / f"{name}.pkl"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    args = [f"{key}={path}" for key, path in EXTRACTS.items()]
    done = subprocess.run(
        [*python, str(ROOT / "tests" / "versions_worker.py"), str(out), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return pickle.loads(out.read_bytes())


def test_shared_realdata_and_sample_numbers_equal_under_qgis_and_venv_geos(tmp_path: Path) -> None:
    qgis_python, site = _qgis_side()
    old = _numbers(tmp_path, "qgis_geos", [str(qgis_python), "-s"], str(site))  # -s: no stray user-site package
    new = _numbers(tmp_path, "venv_geos", [sys.executable], None)
    # the plugin's side really is the folder's shapely over QGIS's own numpy (the folder never holds one)
    assert old["files"]["shapely"].startswith(str(site)), old["files"]
    assert not old["files"]["numpy"].startswith((str(site), sys.prefix)), old["files"]
    assert old["versions"][0].startswith("2.0.") and old["versions"] != new["versions"], (
        old["versions"],
        new["versions"],
    )
    for name in ("sample", *EXTRACTS):
        a, b = old[name], new[name]
        assert list(a.columns) == list(b.columns) and a.index.equals(b.index), name
        numeric = a.select_dtypes("number").columns
        assert len(numeric) > 5
        # pandas 2 (the folder's, for QGIS's numpy 1.24) and 3 (the venv's) differ in string dtypes only
        kept = {"check_dtype": False, "check_column_type": False, "check_index_type": False}
        pd.testing.assert_frame_equal(a.drop(columns=numeric), b.drop(columns=numeric), **kept)
        x, y = a[numeric].to_numpy(float), b[numeric].to_numpy(float)
        assert np.array_equal(np.isnan(x), np.isnan(y)), name
        ok = ~np.isnan(x)
        np.testing.assert_allclose(x[ok], y[ok], rtol=1e-6, atol=1e-6, err_msg=name)
    # the extracts' roads are really there (not two empty frames agreeing)
    assert new["kouvola"]["road_length_km"].sum() > 30 and new["xueyuan"]["road_length_km"].sum() > 10
