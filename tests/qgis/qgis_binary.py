"""The real ``qgis`` binary under Xvfb, in a fresh profile with the built plugin zip installed (as *Install from
ZIP* does) — shared by the tests that start QGIS itself (test_plugin_package.py, test_plugin_install.py,
test_plugin_export_in_qgis.py).

Also the plugin's dependencies installed as its message says (scripts/qgis_plugin_libs.py: the plugin's own
install command, run once into ``.venv/qgis-plugin-libs``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from conftest import PLUGIN_ROOT

ROOT = PLUGIN_ROOT.parent

__all__ = ["build_module", "plugin_libs", "require_qgis_binary", "scripts_module", "start_qgis"]


def require_qgis_binary() -> None:
    """Fail (in CI: BLOCKCHECK_REQUIRE_QGIS=1) or skip without the ``qgis`` binary and ``xvfb-run``."""
    if shutil.which("xvfb-run") and shutil.which("qgis"):
        return
    if os.environ.get("BLOCKCHECK_REQUIRE_QGIS") == "1":
        pytest.fail("qgis and xvfb-run are required here; run scripts/setup.sh --test")
    pytest.skip("needs the qgis binary and xvfb-run (sudo apt-get install qgis xvfb)")


def scripts_module(name: str):
    """A module of scripts/ (build_plugin, qgis_plugin_libs …)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        return __import__(name)
    finally:
        sys.path.remove(str(ROOT / "scripts"))


def build_module():
    """scripts/build_plugin.py as a module (``build(out_dir)`` → the zip)."""
    return scripts_module("build_plugin")


@cache
def plugin_libs() -> tuple[Path, dict]:
    """(folder, record): the plugin's dependencies installed by its own install command (scripts/qgis_plugin_libs.py;
    installed there once, re-installed when the command changes). The record holds the command, its duration, the
    folder's size and QGIS's Python's user site before and after."""
    return scripts_module("qgis_plugin_libs").plugin_libs()


def start_qgis(zip_path: Path, folder: Path, code: str, env_extra: dict[str, str]) -> subprocess.Popen:
    """Install the zip in a fresh profile under `folder`, enable it, start QGIS under Xvfb running `code` (--code).

    The environment is this one without PYTHONPATH and QT_QPA_PLATFORM, plus `env_extra`.
    """
    build_module().install_in_profile(zip_path, folder)
    script = folder / "check.py"
    script.write_text(code, "utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "PYTHONPATH")}
    env.update(env_extra)
    command = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", "qgis", "--profiles-path", str(folder)]
    command += ["--noversioncheck", "--nologo", "--code", str(script)]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
