"""The oldest versions pyproject.toml allows of the core's array, table and geometry libraries, installed once into
``.venv/minimum-versions-site`` for tests/test_minimum_versions.py.

``numpy>=1.24`` in pyproject becomes ``numpy==1.24.*`` here (the newest patch release of the minimum), and so on
for each package of :data:`PACKAGES`: the stack QGIS 3.22's Python has or can have (Debian 12's numpy 1.24, the
shapely 2.0 / geopandas 1.0 its GEOS needs, the oldest pyproj, pyogrio and rasterio allowed, and the scipy,
matplotlib, mapclassify and networkx releases that still support numpy 1.24, and the oldest dask and distributed
allowed). Everything else comes from the venv.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

__all__ = ["PACKAGES", "minimum_pins", "minimum_site"]

#: The packages installed at their minimum: the ones whose API blockcheck's code has to be written for.
PACKAGES = (
    "numpy",
    "pandas",
    "shapely",
    "geopandas",
    "pyproj",
    "pyogrio",
    "rasterio",
    "scipy",
    "matplotlib",
    "mapclassify",
    "networkx",
    "dask",
    "distributed",
)
#: Packages that come as an extra of another and share its version numbers: pinned at that one's minimum.
SAME_VERSION_AS = {"distributed": "dask"}


def minimum_pins() -> list[str]:
    """``name==X.Y.*`` for each of :data:`PACKAGES`, from its ``name>=X.Y`` in pyproject.toml."""
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["dependencies"]
    found = {}
    for line in dependencies:
        name, _, rest = line.partition(">=")
        name = name.split("[")[0]  # dask[distributed] → dask
        found[name.strip().lower()] = rest.split(",")[0].split(";")[0].strip()
    found.update({extra: found[package] for extra, package in SAME_VERSION_AS.items()})
    return [f"{name}=={'.'.join(found[name].split('.')[:2])}.*" for name in PACKAGES]


def minimum_site() -> Path:
    """The folder holding the pinned minimum versions (installed on first use, re-installed when pins change)."""
    site = Path(sys.prefix) / "minimum-versions-site"
    pins = minimum_pins()
    stamp = site / "PINS.txt"
    if not stamp.is_file() or stamp.read_text("utf-8").split() != pins:
        shutil.rmtree(site, ignore_errors=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), *pins], check=True
        )
        stamp.write_text("\n".join(pins) + "\n", "utf-8")
    return site


if __name__ == "__main__":
    print(minimum_site())
