"""The same numbers under the library versions the QGIS plugin runs with and under the project venv's.

Inside QGIS 3.22 (GEOS 3.11) the plugin needs shapely 2.0 / geopandas 1.0 (installed for the tests into
``.venv/qgis-compat-site``); the CLI and notebooks run the venv's latest shapely and GEOS. A health check must
not depend on which: the sample district's block metrics and the road metrics of two real OSM extracts
(read from ../shared/realdata) are computed under both and compared. Old GEOS relate can fail on valid,
nearly collinear input, and roads that lie a hair off a block edge must be classed the same way by both.
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


def _compat_site() -> Path:
    try:
        sys.path.insert(0, str(ROOT / "scripts"))
        from qgis_compat_site import compatible_site

        return compatible_site()
    except ImportError as err:  # no QGIS: nothing pins older libraries
        if os.environ.get("BLOCKCHECK_REQUIRE_QGIS") == "1":
            pytest.fail(f"QGIS is required here ({err}); run scripts/setup.sh --test")
        pytest.skip(f"needs QGIS to know its GEOS ({err})")


def _numbers(tmp_path: Path, name: str, pythonpath: str | None) -> dict:
    out = tmp_path / f"{name}.pkl"
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    else:
        env.pop("PYTHONPATH", None)
    args = [f"{key}={path}" for key, path in EXTRACTS.items()]
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "versions_worker.py"), str(out), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return pickle.loads(out.read_bytes())


def test_shared_realdata_and_sample_numbers_equal_under_qgis_and_venv_geos(tmp_path: Path) -> None:
    site = _compat_site()
    if not any(site.glob("shapely-*.dist-info")):
        pytest.skip("this QGIS's GEOS needs no older shapely; one stack only")
    old = _numbers(tmp_path, "qgis_geos", str(site))
    new = _numbers(tmp_path, "venv_geos", None)
    assert old["versions"][0].startswith("2.0.") and old["versions"] != new["versions"], (
        old["versions"],
        new["versions"],
    )
    for name in ("sample", *EXTRACTS):
        a, b = old[name], new[name]
        assert list(a.columns) == list(b.columns) and a.index.equals(b.index), name
        numeric = a.select_dtypes("number").columns
        assert len(numeric) > 5
        pd.testing.assert_frame_equal(a.drop(columns=numeric), b.drop(columns=numeric), check_dtype=False)
        x, y = a[numeric].to_numpy(float), b[numeric].to_numpy(float)
        assert np.array_equal(np.isnan(x), np.isnan(y)), name
        ok = ~np.isnan(x)
        np.testing.assert_allclose(x[ok], y[ok], rtol=1e-6, atol=1e-6, err_msg=name)
    # the extracts' roads are really there (not two empty frames agreeing)
    assert new["kouvola"]["road_length_km"].sum() > 30 and new["xueyuan"]["road_length_km"].sum() > 10
