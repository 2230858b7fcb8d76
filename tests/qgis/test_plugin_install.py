"""Issue 16, point 3: installing the plugin's dependencies as its message and docs/plugin.md say cannot break QGIS.

The install command (``_deps.install_command``) is run for real, once, by scripts/qgis_plugin_libs.py (from
scripts/setup.sh --test): a virtual environment of QGIS's Python that sees QGIS's own packages, with the
requirements, QGIS's exact numpy and the GEOS pins. Then the real ``qgis`` binary starts under Xvfb in a fresh
profile with the built zip installed, the folder named by ``BLOCKCHECK_QGIS_LIBS`` and nothing on PYTHONPATH:
the plugin's check passes, a blockcheck algorithm runs, QGIS's GDAL raster calculator still works with QGIS's own
numpy, and QGIS, closed through *Quit*, exits with status 0. The user site is never touched. A folder holding a
pandas built for numpy 2 is reported as *incompatible* (name, version, reason), not as missing.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest
from qgis_binary import build_module, plugin_libs, require_qgis_binary, scripts_module, start_qgis

from conftest import INPUT_LAYERS, PLUGIN_ROOT, SAMPLE_GPKG

pytestmark = pytest.mark.qgis

ROOT = PLUGIN_ROOT.parent

_IN_QGIS = """
import json, sys, time, traceback
import qgis.utils
from qgis.core import QgsProject
from qgis.PyQt.QtCore import QTimer

def finish():
    out = {{}}
    try:
        out["active"] = "blockcheck_qgis" in qgis.utils.active_plugins
        out["message_bar"] = [item.text() for item in qgis.utils.iface.messageBar().items()]
        from blockcheck_qgis import _deps
        out["quick"] = _deps.quick_check()
        start = time.perf_counter()
        out["deps"] = _deps.check()
        out["check_seconds"] = time.perf_counter() - start
        out["install_command"] = _deps.install_command()
        out["requirements"] = str(_deps.REQUIREMENTS)
        out["libs_site"] = str(_deps.libs_site())
        out["sys_path"] = sys.path
        out["qgis_numpy"] = _deps.qgis_numpy_version()
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import numpy, pandas, shapely, matplotlib, matplotlib.pyplot
            from mpl_toolkits.mplot3d import Axes3D
        out["warnings"] = [str(w.message) for w in caught]
        out["modules"] = {{m.__name__: [m.__version__, m.__file__] for m in (numpy, pandas, shapely, matplotlib)}}
        out["modules"]["mplot3d"] = ["", sys.modules["mpl_toolkits.mplot3d"].__file__]
        import processing
        calc = processing.run(
            "gdal:rastercalculator",
            {{"INPUT_A": {tif!r}, "BAND_A": 1, "FORMULA": "A*2+1", "RTYPE": 5, "OUTPUT": {calc!r}}},
        )
        from osgeo import gdal_array
        out["calc_sum"] = float(gdal_array.LoadFile(calc["OUTPUT"]).sum())
        params = {{n.upper(): {sample!r} + "|layername=" + n for n in {layers!r}}}
        params["OUTPUT_FOLDER"] = {out_dir!r}
        result = processing.run("blockcheck:healthcheck", params)
        out["health"] = {{k: v for k, v in result.items() if k.startswith("N_") or k == "WORKBOOK"}}
    except Exception:
        out["error"] = traceback.format_exc()
    with open({result!r}, "w", encoding="utf-8") as fh:
        json.dump(out, fh, ensure_ascii=False)
    QgsProject.instance().clear()
    QgsProject.instance().setDirty(False)
    qgis.utils.iface.actionExit().trigger()  # QGIS's own Quit: plugins unloaded, Python and QGIS shut down

QTimer.singleShot(500, finish)
"""


def _tiny_geotiff(path: Path) -> Path:
    """A 4 × 3 Float32 GeoTIFF with the values 0 … 11, written with GDAL (no numpy)."""
    from osgeo import gdal, osr

    data = gdal.GetDriverByName("GTiff").Create(str(path), 4, 3, 1, gdal.GDT_Float32)
    data.SetGeoTransform((500000.0, 10.0, 0.0, 4400000.0, 0.0, -10.0))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4548)
    data.SetProjection(srs.ExportToWkt())
    data.GetRasterBand(1).WriteRaster(0, 0, 4, 3, struct.pack("12f", *range(12)))
    data.FlushCache()
    del data
    return path


@pytest.fixture(scope="module")
def installed_libs() -> tuple[Path, dict]:
    return plugin_libs()


def test_the_documented_install_leaves_qgis_working_and_exiting_cleanly(qgis_app, installed_libs, tmp_path) -> None:
    require_qgis_binary()
    folder, record = installed_libs
    zip_path = build_module().build(tmp_path / "dist")
    tif = _tiny_geotiff(tmp_path / "tiny.tif")
    code = textwrap.dedent(
        _IN_QGIS.format(
            tif=str(tif),
            calc=str(tmp_path / "calc.tif"),
            sample=str(SAMPLE_GPKG),
            layers=INPUT_LAYERS,
            out_dir=str(tmp_path / "out"),
            result=str(tmp_path / "result.json"),
        )
    )
    start = time.perf_counter()
    process = start_qgis(zip_path, tmp_path / "qgis", code, {"BLOCKCHECK_QGIS_LIBS": str(folder)})
    _, stderr = process.communicate(timeout=300)
    seconds = time.perf_counter() - start
    assert process.returncode == 0, f"QGIS exited with {process.returncode}: {stderr[-3000:]}"  # no abort at exit
    out = json.loads((tmp_path / "result.json").read_text("utf-8"))
    assert "error" not in out, out["error"]
    assert out["active"] and out["quick"] is None and out["deps"] is None, out
    assert not any("install command" in text for text in out["message_bar"])

    # the folder is the plugin's own, in front of sys.path; numpy is QGIS's own, not a copy from the folder
    site = folder / "lib" / Path(out["libs_site"]).relative_to(folder / "lib")
    assert out["libs_site"] == str(site) and out["sys_path"][0] == str(site)
    assert not (site / "numpy").exists()
    numpy_version, numpy_file = out["modules"]["numpy"]
    assert numpy_version == out["qgis_numpy"] and not numpy_file.startswith(str(folder)), out["modules"]
    assert "/.local/" not in numpy_file
    assert not any("Axes3D" in w or "numpy" in w.lower() for w in out["warnings"]), out["warnings"]
    for name in (
        "pandas",
        "shapely",
        "matplotlib",
        "mplot3d",
    ):  # what QGIS's Python lacks or has too old comes from the folder
        assert out["modules"][name][1].startswith(str(site)), out["modules"][name]

    # QGIS's GDAL raster calculator (gdal_calc.py with QGIS's numpy) and osgeo.gdal_array still work
    assert out["calc_sum"] == sum(2 * v + 1 for v in range(12))
    assert "multiarray" not in stderr and "NumPy 1.x cannot be run in NumPy 2" not in stderr
    # a blockcheck algorithm runs
    assert out["health"]["N_block_metrics"] == 16 and Path(out["health"]["WORKBOOK"]).is_file()

    # what ran is the command the plugin shows in that QGIS (its requirements.txt: the zip's)
    installed_requirements = Path(out["requirements"])
    assert installed_requirements.read_text("utf-8") == (folder.parent / "requirements.txt").read_text("utf-8")
    assert zipfile.ZipFile(zip_path).read("blockcheck_qgis/requirements.txt").decode() == (
        installed_requirements.read_text("utf-8")
    )
    shown = out["install_command"].replace(str(installed_requirements), str(folder.parent / "requirements.txt"))
    assert shown == record["command"]
    assert " -m venv --system-site-packages " in shown and f'"numpy=={out["qgis_numpy"]}"' in shown
    assert "--user" not in shown and "--break-system-packages" not in shown

    # docs/plugin.md shows the same command (for a user's default profile on Debian 12 / QGIS 3.22)
    guide = (ROOT / "docs" / "plugin.md").read_text("utf-8")
    block = guide[guide.index('   "/usr/bin/python3.11" -m venv') :].split("```")[0]
    documented = " ".join(block.replace("\\\n", " ").split())
    profile = "/home/you/.local/share/QGIS/QGIS3/profiles/default/python"
    as_documented = shown.replace(
        str(folder.parent / "requirements.txt"), f"{profile}/plugins/blockcheck_qgis/requirements.txt"
    )
    as_documented = as_documented.replace(str(folder), f"{profile}/blockcheck-libs/py3.11")
    if out["qgis_numpy"] == "1.24.2" and shown.startswith('"/usr/bin/python3.11"'):
        assert documented == as_documented, (documented, as_documented)

    # nothing went into the user site
    user_site = scripts_module("qgis_plugin_libs").user_site_listing()
    assert record["user_site_before"] == record["user_site_after"] == user_site
    print(
        f"install: {record['seconds']} s, {record['size_mb']} MB in {folder}; QGIS run {seconds:.1f} s;"
        f" full check {out['check_seconds']:.1f} s"
    )


_CHECK = """
import sys
sys.path.insert(0, {plugin_root!r})
from qgis.core import QgsApplication
app = QgsApplication([], False)
app.initQgis()
from blockcheck_qgis import _deps
print(_deps.quick_check() or "")
print("=====")
print(_deps.check() or "")
"""


def test_a_library_built_for_another_numpy_is_named_incompatible_not_missing(qgis_app, installed_libs, tmp_path):
    """QGIS's Python (Debian's numpy 1.24) with a libraries folder whose pandas is the venv's (built for numpy 2):
    the check says which package, its version and why, with the command for the folder in use."""
    import pandas

    folder, _ = installed_libs
    site = next((folder / "lib").glob("python3*/site-packages"))
    clashing = tmp_path / "libs"
    clashing_site = clashing / site.relative_to(folder)
    clashing_site.mkdir(parents=True)
    for entry in site.iterdir():
        if not entry.name.startswith("pandas"):
            (clashing_site / entry.name).symlink_to(entry)
    venv_pandas = Path(pandas.__file__).parent
    for entry in venv_pandas.parent.glob("pandas*"):
        (clashing_site / entry.name).symlink_to(entry)
    assert int(pandas.__version__.split(".")[0]) >= 3, "needs the venv's pandas built for numpy 2"

    script = scripts_module("qgis_plugin_libs")
    done = subprocess.run(
        [str(script.QGIS_PYTHON), "-s", "-c", _CHECK.format(plugin_root=str(PLUGIN_ROOT))],
        env={
            **{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
            "BLOCKCHECK_QGIS_LIBS": str(clashing),
            "QT_QPA_PLATFORM": "offscreen",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    quick, _, full = done.stdout.partition("=====")
    for message in (quick, full):  # at start-up from the metadata (pandas 3 asks numpy ≥ 2), and when importing
        assert f"pandas {pandas.__version__}: incompatible — built for numpy >=2" in message, message
        assert "while QGIS imports numpy 1.24" in message and "not installed" not in message, message
    assert f'--without-pip "{clashing}"' in full  # the install command names the folder in use


def test_a_numpy_left_in_the_user_site_is_named_incompatible_with_how_to_remove_it(qgis_app, installed_libs, tmp_path):
    """What the old ``pip install --user`` left (numpy 2 over Debian's 1.24; here the venv's numpy, in a user site
    redirected by PYTHONUSERBASE) is named, with its place and the uninstall command."""
    import numpy

    folder, _ = installed_libs
    script = scripts_module("qgis_plugin_libs")
    user_site = tmp_path / "userbase" / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    user_site = user_site / "site-packages"
    user_site.mkdir(parents=True)
    for entry in Path(numpy.__file__).parent.parent.glob("numpy*"):
        (user_site / entry.name).symlink_to(entry)
    assert int(numpy.__version__.split(".")[0]) >= 2, "needs the venv's numpy 2"
    done = subprocess.run(
        [str(script.QGIS_PYTHON), "-c", _CHECK.format(plugin_root=str(PLUGIN_ROOT))],
        env={
            **{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
            "BLOCKCHECK_QGIS_LIBS": str(folder),
            "PYTHONUSERBASE": str(tmp_path / "userbase"),
            "QT_QPA_PLATFORM": "offscreen",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    quick = done.stdout.partition("=====")[0]
    assert f"numpy {numpy.__version__}: incompatible — in the user site {user_site}" in quick, quick
    assert "hides the numpy 1.24" in quick and "-m pip uninstall --break-system-packages numpy" in quick, quick
