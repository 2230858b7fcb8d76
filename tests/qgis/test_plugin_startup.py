"""Issue 16, point 7: the plugin's dependency check costs QGIS start-up nothing heavy.

``classFactory`` + ``initGui`` (Processing provider and algorithms registered, toolbar, the start-up check) must
not import the analysis libraries (geopandas, pandas, shapely … cost 1.6 s there); the full check — imports and the
self-test — runs when an algorithm or the editor starts. Checked on ``sys.modules`` in a fresh process, not by time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import PLUGIN_ROOT

pytestmark = pytest.mark.qgis

HEAVY = ("geopandas", "pandas", "shapely", "pyogrio", "pyproj", "networkx", "matplotlib", "scipy", "rasterio")

_START = """
import json, os, sys, time
sys.path[:0] = [{plugin_root!r}, {tests_qgis!r}]
from qgis.core import QgsApplication
app = QgsApplication([], True)
app.initQgis()
from conftest import StubIface
iface = StubIface()
start = time.perf_counter()
import blockcheck_qgis
plugin = blockcheck_qgis.classFactory(iface)
plugin.initGui()
seconds = time.perf_counter() - start
provider = QgsApplication.processingRegistry().providerById("blockcheck")
out = {{
    "seconds": seconds,
    "algorithms": len(provider.algorithms()) if provider else 0,
    "heavy_at_start": sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy!r})),
}}
from blockcheck_qgis import _deps
out["full_check"] = _deps.check()
out["heavy_after_check"] = sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy!r}))
print(json.dumps(out))
sys.stdout.flush()
os._exit(0)
"""


def test_start_up_imports_no_analysis_library(qgis_app) -> None:
    code = _START.format(plugin_root=str(PLUGIN_ROOT), tests_qgis=os.path.dirname(__file__), heavy=HEAVY)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["algorithms"] == 6
    assert out["heavy_at_start"] == [], f"imported while QGIS starts: {out['heavy_at_start']}"
    # the full check still imports and exercises them (so the start-up check is not merely skipped)
    assert out["full_check"] is None and {"geopandas", "shapely", "pyogrio"} <= set(out["heavy_after_check"])
    print(f"classFactory + initGui: {out['seconds']:.3f} s")


def test_the_start_up_check_names_missing_too_old_and_clashing_packages(plugin_module, monkeypatch) -> None:
    from blockcheck_qgis import _deps

    assert _deps.quick_check() is None or "do not work with the libraries QGIS has loaded" in _deps.quick_check()
    real = _deps._requirements
    monkeypatch.setattr(_deps, "_requirements", lambda: [*real(), ("shapely_three", "3.0"), ("pyproj", "99.0")])
    monkeypatch.setattr(_deps, "compatibility_pins", lambda: ["networkx>=3.0,<3.0.0"])
    message = _deps.quick_check()
    assert "shapely_three ≥ 3.0: missing (not installed)" in message and "pyproj ≥ 99.0: found" in message
    assert "do not work with the libraries QGIS has loaded" in message and "networkx" in message
    assert _deps.install_command() in message
