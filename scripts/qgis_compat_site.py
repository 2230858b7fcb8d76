"""The pinned packages real QGIS needs for its GEOS (shapely 2.0 / geopandas 1.0 on QGIS 3.22),
installed once into ``.venv/qgis-compat-site``. Used by scripts/plugin_screenshot.py and the
real-QGIS plugin tests; the plugin itself never installs anything."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

__all__ = ["compatible_site"]


def compatible_site() -> Path:
    """The pinned packages for this QGIS's GEOS (see blockcheck_qgis._deps.compatibility_pins)."""
    sys.path.insert(0, str(ROOT / "qgis_plugin"))
    from blockcheck_qgis import _deps

    site = Path(sys.prefix) / "qgis-compat-site"
    pins = _deps.compatibility_pins()
    if pins and not _satisfied(site, pins):
        shutil.rmtree(site, ignore_errors=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), *pins], check=True
        )
    site.mkdir(exist_ok=True)
    return site


def _satisfied(site: Path, pins: list[str]) -> bool:
    """Whether `site` already holds versions matching every pin (e.g. made by scripts/setup.sh)."""
    from importlib.metadata import distributions

    from packaging.requirements import Requirement

    found = {d.metadata["Name"].lower(): d.version for d in distributions(path=[str(site)])} if site.is_dir() else {}
    return all(
        Requirement(p).name.lower() in found and Requirement(p).specifier.contains(found[Requirement(p).name.lower()])
        for p in pins
    )
