"""Export hearing maps / atlas inside the QGIS application with the libraries the plugin documents (issue 16.2).

The QGIS binary is started under Xvfb in a fresh profile with the built zip installed and its dependencies
installed as the docs say: the plugin's own install command, run once into ``.venv/qgis-plugin-libs``
(scripts/qgis_plugin_libs.py; for QGIS 3.22's GEOS 3.11 that is shapely 2.0 and geopandas 1.0 over QGIS's own
numpy), named by ``BLOCKCHECK_QGIS_LIBS``, with nothing of the venv on PYTHONPATH (tests/qgis/qgis_binary.py).
Inside it, Processing runs every algorithm on the sample district — validate, healthcheck, resources,
eightlists, whatif — and then ``blockcheck:exporthearing`` with every map and the atlas: the shapely-2.0
fallbacks (:mod:`blockcheck.shapely_compat`) are the code that draws them.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from qgis_binary import build_module, plugin_libs, require_qgis_binary, start_qgis

from conftest import INPUT_LAYERS, SAMPLE_GPKG

pytestmark = [pytest.mark.qgis, pytest.mark.slow]

_IN_QGIS = """
import json, os, sys, traceback
import qgis.utils
from qgis.PyQt.QtCore import QTimer

def finish():
    out = {{}}
    try:
        out["active"] = "blockcheck_qgis" in qgis.utils.active_plugins
        from blockcheck_qgis import _deps
        out["deps"] = _deps.check()
        out["libs_site"] = str(_deps.libs_site())
        import numpy, shapely, geopandas
        from qgis.core import Qgis
        out["versions"] = [shapely.__version__, geopandas.__version__, Qgis.version(), Qgis.geosVersion()]
        out["files"] = {{m.__name__: m.__file__ for m in (numpy, shapely, geopandas)}}
        import processing
        import blockcheck
        out["core"] = blockcheck.__file__
        from blockcheck import shapely_compat
        out["native_orient_polygons"] = shapely_compat.HAS_ORIENT_POLYGONS
        params = {{n.upper(): {sample!r} + "|layername=" + n for n in {layers!r}}}
        checked = processing.run("blockcheck:validate", {{**params, "OUTPUT_FOLDER": {folder!r} + "/validate"}})
        out["validate_errors"] = checked["ERRORS"]
        for name in ("healthcheck", "resources"):
            done = processing.run("blockcheck:" + name, {{**params, "OUTPUT_FOLDER": {folder!r} + "/" + name}})
            out[name] = done["N_block_metrics"]
        params.update(DEMANDS={demands!r}, VISIONS={visions!r}, OUTPUT_FOLDER={lists_dir!r})
        lists = processing.run("blockcheck:eightlists", params)
        workbook = lists["WORKBOOK"]
        out["lists"] = {{k: v for k, v in lists.items() if k.startswith("N_")}}
        import pyogrio
        ids = list(pyogrio.read_dataframe(workbook, layer="project_list", read_geometry=False)["project_id"][:3])
        whatif = {{"WORKBOOK": workbook, "PROJECTS": ",".join(ids), "OUTPUT": "memory:"}}
        whatif = processing.run("blockcheck:whatif", whatif)
        out["whatif_rows"] = whatif["OUTPUT"].featureCount()
        result = processing.run(
            "blockcheck:exporthearing",
            {{"WORKBOOK": workbook, "LANG": 0, "DPI": 200, "MAPS_FOLDER": {maps!r}, "ATLAS_PDF": {atlas!r}}},
        )
        out["result"] = {{key: str(value) for key, value in result.items()}}
    except Exception:
        out["error"] = traceback.format_exc()
    with open({result!r}, "w", encoding="utf-8") as fh:
        json.dump(out, fh, ensure_ascii=False)
    os._exit(0)

QTimer.singleShot(500, finish)
"""


def _run_in_qgis(folder: Path, libs: Path) -> dict:
    """Start QGIS in a fresh profile with the built zip and the libraries folder, run the algorithms, return what
    the script reported."""
    result = folder / "result.json"
    code = textwrap.dedent(
        _IN_QGIS.format(
            folder=str(folder),
            sample=str(SAMPLE_GPKG),
            layers=INPUT_LAYERS,
            demands=str(SAMPLE_GPKG.parent / "demand_survey.csv"),
            visions=str(SAMPLE_GPKG.parent / "vision_survey.csv"),
            lists_dir=str(folder / "lists"),
            maps=str(folder / "maps"),
            atlas=str(folder / "atlas.pdf"),
            result=str(result),
        )
    )
    zip_path = build_module().build(folder / "dist")
    process = start_qgis(zip_path, folder / "qgis", code, {"BLOCKCHECK_QGIS_LIBS": str(libs)})
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr[-3000:]
    assert result.is_file(), stderr[-3000:]
    return json.loads(result.read_text("utf-8"))


def test_every_algorithm_runs_and_the_export_writes_maps_and_atlas_inside_qgis_with_the_documented_libraries(
    qgis_app, tmp_path
) -> None:
    require_qgis_binary()
    libs, _ = plugin_libs()  # installed by the plugin's own command, as the docs say (scripts/qgis_plugin_libs.py)
    from pypdf import PdfReader
    from qgis.core import Qgis

    from blockcheck.report.atlas import FIXED_PAGES
    from blockcheck.report.maps import map_names

    out = _run_in_qgis(tmp_path, libs)
    assert "error" not in out, out["error"]
    # the zip's plugin and bundled core, with the libraries from the folder and QGIS's own numpy
    site = out["libs_site"]
    assert out["active"] and site.startswith(str(libs)), (out["active"], site)
    assert out["files"]["shapely"].startswith(site) and out["files"]["geopandas"].startswith(site), out["files"]
    assert not out["files"]["numpy"].startswith(str(libs)) and "/.venv/" not in out["files"]["numpy"], out["files"]
    assert out["core"].startswith(str(tmp_path / "qgis")), out["core"]  # blockcheck_qgis/lib/blockcheck
    shapely_version, _, qgis_version, geos_version = out["versions"]
    assert qgis_version == Qgis.version() and geos_version == Qgis.geosVersion()
    assert out["deps"] is None  # the plugin's self-test accepts the documented set
    if Qgis.geosVersionInt() < 31200:  # QGIS 3.22: the documented pin is shapely 2.0, so the fallbacks drew
        assert shapely_version.startswith("2.0.") and out["native_orient_polygons"] is False

    assert out["validate_errors"] == 0 and out["healthcheck"] == out["resources"] == 16  # every algorithm runs
    assert out["lists"]["N_project_list"] > 0 and out["lists"]["N_demand_list"] > 0 and out["whatif_rows"] > 0
    result = out["result"]
    written = [Path(p) for p in result["MAP_FILES"].splitlines()]
    assert sorted(p.name for p in written) == sorted(f"{n}.{ext}" for n in map_names() for ext in ("png", "svg"))
    assert all(p.parent == tmp_path / "maps" and p.stat().st_size > 10_000 for p in written)
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in written if p.suffix == ".png")
    atlas = Path(result["ATLAS_PDF"])
    assert atlas == tmp_path / "atlas.pdf" and atlas.read_bytes().startswith(b"%PDF")
    assert len(PdfReader(atlas).pages) == FIXED_PAGES + 16  # the fixed pages and one page per block


def test_an_unexpected_failure_is_a_message_naming_the_libraries(
    qgis_processing, core_lists_run, tmp_path, monkeypatch
) -> None:
    """Not a raw traceback: a library the core does not fit (shapely 2.0 before the fallback) is named in one
    message, with the versions; the traceback goes to the log's blockcheck tab."""
    from qgis.core import QgsApplication, QgsProcessingException, QgsProcessingFeedback

    import blockcheck.report.atlas

    def broken(*args, **kwargs):
        raise AttributeError("module 'shapely' has no attribute 'orient_polygons'")

    class Feedback(QgsProcessingFeedback):
        def __init__(self) -> None:
            super().__init__()
            self.errors: list[str] = []

        def reportError(self, error: str, fatalError: bool = False) -> None:  # noqa: N802, N803 - QGIS's names
            self.errors.append(error)
            super().reportError(error, fatalError)

    monkeypatch.setattr(blockcheck.report.atlas, "export_atlas", broken)
    logged = []
    QgsApplication.messageLog().messageReceived.connect(lambda text, tag, level: logged.append((tag, text)))
    feedback = Feedback()
    with pytest.raises(QgsProcessingException) as raised:
        qgis_processing.run(
            "blockcheck:exporthearing",
            {"WORKBOOK": str(core_lists_run.workbook), "MAPS_FOLDER": "", "ATLAS_PDF": str(tmp_path / "atlas.pdf")},
            feedback=feedback,
        )
    said = " ".join([str(raised.value), *feedback.errors])
    assert "AttributeError: module 'shapely' has no attribute 'orient_polygons'" in said
    assert "shapely GEOS" in said and "Traceback" not in said
    assert any(tag == "blockcheck" and "Traceback" in text and "orient_polygons" in text for tag, text in logged)
