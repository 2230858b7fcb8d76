"""Export hearing maps / atlas inside the QGIS application with the libraries the plugin documents (issue 16.2).

The QGIS binary is started under Xvfb with the packages the plugin's install command adds for this QGIS's
GEOS (shapely 2.0 and geopandas 1.0 for QGIS 3.22's GEOS 3.11, from ``.venv/qgis-compat-site``; the rest from
the venv). Inside it, Processing runs every algorithm on the sample district — validate, healthcheck, resources,
eightlists, whatif — and then ``blockcheck:exporthearing`` with every map and the atlas: the shapely-2.0
fallbacks (:mod:`blockcheck.shapely_compat`) are the code that draws them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import INPUT_LAYERS, PLUGIN_ROOT, SAMPLE_GPKG

pytestmark = [pytest.mark.qgis, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]

_IN_QGIS = """
import json, os, sys, traceback
sys.path[:0] = [{root!r}, {plugin_root!r}]
from qgis.PyQt.QtCore import QTimer

def finish():
    out = {{}}
    try:
        import shapely, geopandas
        from qgis.core import Qgis, QgsApplication
        out["versions"] = [shapely.__version__, geopandas.__version__, Qgis.version(), Qgis.geosVersion()]
        from processing.core.Processing import Processing
        Processing.initialize()
        import processing
        from blockcheck_qgis import _deps
        from blockcheck_qgis.provider import BlockcheckProvider
        provider = BlockcheckProvider()
        QgsApplication.processingRegistry().addProvider(provider)
        out["deps"] = _deps.check()
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


@pytest.fixture(scope="module")
def documented_site() -> Path:
    """The pinned packages the plugin's install command adds for this QGIS's GEOS (scripts/qgis_compat_site.py)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from qgis_compat_site import compatible_site

    return compatible_site()


def _run_in_qgis(folder: Path, pythonpath: str) -> dict:
    """Start QGIS in a fresh profile under Xvfb, run the two algorithms, return what the script reported."""
    result = folder / "result.json"
    code = folder / "export.py"
    code.write_text(
        textwrap.dedent(
            _IN_QGIS.format(
                root=str(ROOT),
                plugin_root=str(PLUGIN_ROOT),
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
        ),
        "utf-8",
    )
    settings = folder / "profiles" / "default" / "QGIS" / "QGIS3.ini"
    settings.parent.mkdir(parents=True)
    settings.write_text("[qgis]\nshowTips=false\ncheckVersion=false\n", "utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "PYTHONPATH")}
    env["PYTHONPATH"] = pythonpath
    command = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", "qgis", "--profiles-path", str(folder)]
    command += ["--noversioncheck", "--nologo", "--code", str(code)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert result.is_file(), done.stderr[-3000:]
    return json.loads(result.read_text("utf-8"))


def test_every_algorithm_runs_and_the_export_writes_maps_and_atlas_inside_qgis_with_the_documented_libraries(
    qgis_app, documented_site, tmp_path
) -> None:
    if not (shutil.which("xvfb-run") and shutil.which("qgis")):
        if os.environ.get("BLOCKCHECK_REQUIRE_QGIS") == "1":
            pytest.fail("qgis and xvfb-run are required here; run scripts/setup.sh --test")
        pytest.skip("needs the qgis binary and xvfb-run (sudo apt-get install qgis xvfb)")
    from pypdf import PdfReader
    from qgis.core import Qgis

    from blockcheck.report.atlas import FIXED_PAGES
    from blockcheck.report.maps import map_names

    venv_site = next(Path(sys.prefix, "lib").glob("python3*/site-packages"))
    out = _run_in_qgis(tmp_path, f"{documented_site}{os.pathsep}{venv_site}")
    assert "error" not in out, out["error"]
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
