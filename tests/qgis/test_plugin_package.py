"""The plugin as a package (issue 7, points 1, 2, 6, 7): the thin-plugin boundary, metadata and licence,
translations, the dependency message — and the built zip installed into a fresh QGIS profile, enabled and
used in real QGIS (under Xvfb): health check from Processing, editor docked, hearing layout exported.
"""

from __future__ import annotations

import ast
import configparser
import json
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pyogrio
import pytest
from qgis_binary import build_module, plugin_libs, require_qgis_binary, start_qgis

from conftest import PLUGIN_ROOT, SAMPLE_GPKG

pytestmark = pytest.mark.qgis

ROOT = PLUGIN_ROOT.parent
PLUGIN = PLUGIN_ROOT / "blockcheck_qgis"
ANALYSIS_LIBRARIES = {"geopandas", "shapely", "pandas", "numpy"}
QT_LIBRARIES = {"qgis", "PyQt5", "PyQt6", "sip"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", "") == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value.split(".")[0])
    return names


def _build(tmp_path: Path, **kwargs) -> tuple[Path, object]:
    """Build the zip with scripts/build_plugin.py; returns (zip, the build module)."""
    build_plugin = build_module()
    return build_plugin.build(tmp_path, **kwargs), build_plugin


# ---------------------------------------------------------------- the boundary


def test_only_the_bridge_imports_analysis_libraries_and_the_core_knows_no_qgis() -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(_imports(p) & ANALYSIS_LIBRARIES)
        for p in PLUGIN_ROOT.rglob("*.py")
        if p.name != "bridge.py" or p.parent != PLUGIN
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    core = {str(p.relative_to(ROOT)): sorted(_imports(p) & QT_LIBRARIES) for p in (ROOT / "blockcheck").rglob("*.py")}
    assert {k: v for k, v in core.items() if v} == {}
    assert "subprocess" not in set().union(*(_imports(p) for p in PLUGIN.rglob("*.py"))), (
        "the plugin never runs installers"
    )


def test_each_algorithm_is_parameters_plus_one_core_call() -> None:
    for path in (PLUGIN / "algorithms").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name == "processAlgorithm":
                calls = [
                    c
                    for c in ast.walk(node)
                    if isinstance(c, ast.Call)
                    and isinstance(c.func, ast.Attribute)
                    and isinstance(c.func.value, ast.Name)
                    and c.func.value.id == "bridge"
                    and c.func.attr != "core_call"
                ]
                assert len(calls) == 1, f"{path.name}: {len(calls)} core calls"


def test_static_plugin_names_follow_the_core(plugin_module) -> None:
    from blockcheck.inputs.model import input_model
    from blockcheck.standards import PROFILES
    from blockcheck_qgis.algorithms.base import INPUT_LAYERS
    from blockcheck_qgis.algorithms.base import PROFILES as PLUGIN_PROFILES

    model = input_model()
    assert [(n, r) for n, _, _, r in INPUT_LAYERS] == [(n, spec.required) for n, spec in model.layers.items()]
    assert tuple(PROFILES) == PLUGIN_PROFILES


# ---------------------------------------------------------------- metadata, licence, requirements


def test_metadata_version_licence_and_minimum_qgis(plugin_module) -> None:
    from qgis.core import Qgis

    import blockcheck
    from blockcheck_qgis.algorithms.base import help_url

    meta = configparser.ConfigParser()
    meta.read(PLUGIN / "metadata.txt", encoding="utf-8")
    general = meta["general"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert general["version"] == project["version"] == blockcheck.__version__
    assert general["qgisMinimumVersion"] == "3.22"
    running = tuple(int(x) for x in Qgis.QGIS_VERSION.split("-")[0].split(".")[:2])
    assert running >= (3, 22), "the minimum version is the oldest QGIS these tests run on"
    for key in ("name", "description", "about", "author", "email", "repository", "tracker", "icon", "category"):
        assert general.get(key), key
    urls = {key: general[key] for key in ("homepage", "repository", "tracker")}
    assert all(url.startswith("https://") for url in urls.values()), urls
    assert urls["tracker"].startswith(urls["repository"]), urls
    # Help opens the plugin guide on this machine (no web access needed): here the checkout's docs/plugin.md
    assert help_url() == (ROOT / "docs" / "plugin.md").as_uri(), help_url()
    assert len(general["about"]) > 400 and "八清单" in general["about"]
    tags = [tag.strip() for tag in general["tags"].split(",")]
    assert len(tags) >= 8 and len(set(tags)) == len(tags) and "街区体检" in tags
    changelog = general["changelog"].splitlines()
    assert changelog[0].startswith(general["version"]) and len([e for e in changelog if e.startswith("- ")]) >= 5
    assert general["supportsQt6"] == "True"  # earned by tests/test_plugin_qt6_ready.py
    assert general["hasProcessingProvider"] == "yes" and (PLUGIN / general["icon"]).is_file()
    assert general["license"] == "GPL-2.0-or-later" and "GNU GENERAL PUBLIC LICENSE" in (PLUGIN / "LICENSE").read_text()
    assert project["license"] == "GPL-2.0-or-later"  # the core's licence is compatible


# ---------------------------------------------------------------- translations


def test_translations_compile_and_switch_the_ui_to_chinese(plugin_module, tmp_path, monkeypatch) -> None:
    from qgis.PyQt.QtCore import QCoreApplication

    from blockcheck_qgis import i18n
    from blockcheck_qgis.algorithms.run_steps import HealthCheckAlgorithm

    _, build_plugin = _build(tmp_path / "noop", bundle_core=False)
    sources = build_plugin.extract_messages()
    translated = build_plugin.read_ts(build_plugin.I18N / "blockcheck_zh_CN.ts")
    assert set(sources) <= {s for s, t in translated.items() if t}, "every tr() string has a Chinese translation"
    variants = {"python": build_plugin.compile_translations(tmp_path / "py", use_lrelease=False)[0]}
    if shutil.which("lrelease"):
        variants["lrelease"] = build_plugin.compile_translations(tmp_path / "lr")[0]
    for qm in variants.values():
        monkeypatch.setattr(i18n, "I18N_DIR", qm.parent)
        translator = i18n.install_translator("zh_CN")
        assert translator is not None
        try:
            assert HealthCheckAlgorithm().displayName() == "街区体检评估"
            assert all(i18n.tr(s) == translated[s] for s in sources)
        finally:
            QCoreApplication.removeTranslator(translator)
    assert HealthCheckAlgorithm().displayName() == "Run health check"  # English without a translator


# ---------------------------------------------------------------- dependencies


def test_missing_dependencies_give_the_exact_install_command_and_install_nothing(
    qgis_processing, monkeypatch, tmp_path
) -> None:
    from qgis.core import QgsApplication, QgsProcessingException

    from blockcheck_qgis import _deps

    real = _deps._requirements
    monkeypatch.setattr(_deps, "_requirements", lambda: [*real(), ("shapely_three", "3.0")])
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("nothing may be installed"))
    message = _deps.check()
    assert "shapely_three ≥ 3.0" in message
    command = _deps.install_command()
    assert command in message and " -m pip install " in command and str(_deps.PYPROJECT.parent) in command
    python = Path(sys.exec_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    folder = _deps.libs_folder()  # the plugin's own folder, in the profile: never the user site
    assert command.startswith(f'"{python}" -m venv --system-site-packages --without-pip "{folder}" && '), command
    assert f'&& "{folder / "bin" / "python"}" -s -m pip install ' in command and "--user" not in command
    if not os.environ.get(_deps.LIBS_ENV):  # outside the plugin folder: a plugin upgrade keeps it
        python_version = f"py{sys.version_info.major}.{sys.version_info.minor}"
        assert folder == Path(QgsApplication.qgisSettingsDirPath()) / "python" / "blockcheck-libs" / python_version
    assert all(f'"{pin}"' in command for pin in _deps.install_pins())
    assert f'"numpy=={_deps.qgis_numpy_version()}"' in command
    assert set(_deps.compatibility_pins()) <= set(_deps.install_pins())
    algorithm = QgsApplication.processingRegistry().createAlgorithmById("blockcheck:healthcheck")
    ok, why = algorithm.canExecute()
    assert not ok and command in why
    with pytest.raises(QgsProcessingException, match="pip install"):
        qgis_processing.run(
            "blockcheck:validate", {"BLOCKS": f"{SAMPLE_GPKG}|layername=blocks", "OUTPUT_FOLDER": str(tmp_path)}
        )


# ---------------------------------------------------------------- the zip in real QGIS

_IN_QGIS = """
import json, os, sys, traceback
import qgis.utils
from qgis.core import QgsApplication, QgsProject
from qgis.PyQt.QtCore import QTimer

def finish():
    out = {{}}
    try:
        out["active"] = "blockcheck_qgis" in qgis.utils.active_plugins
        provider = QgsApplication.processingRegistry().providerById("blockcheck")
        out["algorithms"] = sorted(a.id() for a in provider.algorithms()) if provider else []
        out["message_bar"] = [item.text() for item in qgis.utils.iface.messageBar().items()]
        from blockcheck_qgis import _deps
        out["deps"] = _deps.check()
        out["plugin_dir"] = str(_deps.PLUGIN_DIR)
        if {run!r}:
            import processing, blockcheck
            out["core"] = blockcheck.__file__
            sample = {sample!r}
            params = {{n.upper(): sample + "|layername=" + n for n in {layers!r}}}
            params["OUTPUT_FOLDER"] = {out_dir!r}
            result = processing.run("blockcheck:healthcheck", params)
            out["workbook"] = result["WORKBOOK"]
            plugin = qgis.utils.plugins["blockcheck_qgis"]
            dock = plugin.open_editor(result["WORKBOOK"])
            out["editor"] = [dock.isVisible(), dock.tabs.count(), dock.tabs.tabText(0)]
            from blockcheck_qgis.i18n import ui_language
            out["ui_language"] = ui_language()
            out["pdf"] = str(plugin.export_layout(result["WORKBOOK"], {pdf!r}))
    except Exception:
        out["error"] = traceback.format_exc()
    with open({result!r}, "w", encoding="utf-8") as fh:
        json.dump(out, fh, ensure_ascii=False)
    os._exit(0)

QTimer.singleShot(500, finish)
"""


def _start_qgis(zip_path: Path, folder: Path, *, run: bool, env_extra: dict) -> tuple[subprocess.Popen, Path]:
    """Install the zip in a fresh profile (as Install from ZIP does), enable it, start QGIS under Xvfb."""
    result = folder / "result.json"
    code = _IN_QGIS.format(
        run=run,
        sample=str(SAMPLE_GPKG),
        out_dir=str(folder / "out"),
        pdf=str(folder / "hearing.pdf"),
        result=str(result),
        layers=("blocks", "communities", "roads", "green", "facilities", "buildings", "parcels", "parking"),
    )
    return start_qgis(zip_path, folder, textwrap.dedent(code), env_extra), result


def _core_health_check(out: Path, site: Path) -> subprocess.Popen:
    """The core's health check in QGIS's Python with the plugin's libraries folder: the same library versions."""
    code = f"from blockcheck.pipeline import run; run({str(SAMPLE_GPKG)!r}, {str(out)!r}, until='health')"
    python = Path(sys.base_exec_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    env = {**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{ROOT}"}
    return subprocess.Popen([str(python), "-s", "-c", code], env=env, stderr=subprocess.PIPE, text=True)


def test_zip_installs_enables_and_runs_in_real_qgis(qgis_app, plugin_module, tmp_path) -> None:
    require_qgis_binary()
    libs, _ = plugin_libs()  # the dependencies installed by the plugin's own command (scripts/qgis_plugin_libs.py)
    zip_path, _ = _build(tmp_path / "dist")
    names = zipfile.ZipFile(zip_path).namelist()
    assert "blockcheck_qgis/metadata.txt" in names and "blockcheck_qgis/i18n/blockcheck_zh_CN.qm" in names
    assert (
        "blockcheck_qgis/lib/blockcheck/pipeline.py" in names
        and "blockcheck_qgis/lib/blockcheck/data/lists.toml" in names
    )
    assert not any("__pycache__" in n or n.endswith(".ts") for n in names)
    guide = zipfile.ZipFile(zip_path).read("blockcheck_qgis/help/index.html").decode("utf-8")
    assert "blockcheck:exporthearing" in guide and "<h2" in guide and 'src="img/plugin_editor.png"' in guide
    assert "blockcheck_qgis/help/img/plugin_editor.png" in names
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    required = zipfile.ZipFile(zip_path).read("blockcheck_qgis/requirements.txt").decode().splitlines()
    assert [line for line in required if line and not line.startswith("#")] == project["dependencies"]

    venv_site = str(next(Path(sys.prefix, "lib").glob("python3*/site-packages")))
    # A: the dependencies installed as the plugin's message says: everything runs in real QGIS.
    installed_env = {"BLOCKCHECK_QGIS_LIBS": str(libs)}
    runs = {"installed": _start_qgis(zip_path, tmp_path / "installed", run=True, env_extra=installed_env)}
    # B: the latest wheels (the venv's shapely/geopandas) clash with QGIS's GEOS: detected, with the pinned command.
    runs["clashing"] = _start_qgis(zip_path, tmp_path / "clashing", run=False, env_extra={"PYTHONPATH": venv_site})
    # C: Debian's QGIS as installed: the plugin loads and says what to install.
    runs["bare"] = _start_qgis(zip_path, tmp_path / "bare", run=False, env_extra={})
    core = _core_health_check(tmp_path / "core", next((libs / "lib").glob("python3*/site-packages")))
    _, core_stderr = core.communicate(timeout=240)
    assert core.returncode == 0, core_stderr[-2000:]
    results = {}
    for name, (process, result) in runs.items():
        _, stderr = process.communicate(timeout=240)
        assert process.returncode == 0, stderr[-2000:]
        results[name] = json.loads(result.read_text("utf-8"))
        assert "error" not in results[name], results[name].get("error")
        assert results[name]["active"] and len(results[name]["algorithms"]) == 6, name

    a = results["installed"]
    assert a["deps"] is None
    installed = tmp_path / "installed" / "profiles" / "default" / "python" / "plugins" / "blockcheck_qgis"
    assert a["plugin_dir"] == str(installed) and a["core"] == str(installed / "lib" / "blockcheck" / "__init__.py")
    ours = pyogrio.read_dataframe(a["workbook"], layer="block_metrics").drop(columns="geometry")
    theirs = pyogrio.read_dataframe(tmp_path / "core" / "workbook.gpkg", layer="block_metrics").drop(columns="geometry")
    assert ours.equals(theirs)
    # a health-check workbook holds the problem list only, labelled in the interface's language
    assert a["editor"] == [True, 1, {"zh": "图1 问题清单", "en": "图1 Problem list"}[a["ui_language"]]]
    assert Path(a["pdf"]).read_bytes().startswith(b"%PDF")

    b = results["clashing"]
    assert "do not work with the libraries QGIS has loaded" in b["deps"]
    assert '"shapely>=2.0,<2.1"' in b["deps"] and "requirements.txt" in b["deps"]
    assert any("install command" in text for text in b["message_bar"])

    c = results["bare"]
    assert "shapely ≥ 2.0: missing (not installed)" in c["deps"] and "-s -m pip install -r" in c["deps"]
    assert "-m venv --system-site-packages --without-pip" in c["deps"] and "--user" not in c["deps"]
    assert f'"{Path(sys.base_exec_prefix) / "bin"}' in c["deps"]  # Debian's /usr/bin/python3.x, QGIS's interpreter
    assert any("install command" in text for text in c["message_bar"])


def test_the_plugin_guide_names_every_algorithm_and_parameter(qgis_processing) -> None:
    from qgis.core import QgsApplication

    guide = (ROOT / "docs" / "plugin.md").read_text("utf-8")
    assert "img/plugin_editor.png" in guide and (ROOT / "docs" / "img" / "plugin_editor.png").is_file()
    shared = {"BLOCKS", "COMMUNITIES", "GREEN", "BUILDINGS", "PARCELS", "ROADS", "FACILITIES", "PARKING"}
    for algorithm in QgsApplication.processingRegistry().providerById("blockcheck").algorithms():
        assert f"`{algorithm.id()}`" in guide, algorithm.id()
        for parameter in algorithm.parameterDefinitions():
            assert f"`{parameter.name()}`" in guide or parameter.name() in shared and parameter.name() in guide, (
                parameter.name()
            )
