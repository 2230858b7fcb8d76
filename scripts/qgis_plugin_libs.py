"""The plugin's dependencies installed for the real-QGIS tests exactly as its message tells users to.

``install_command()`` of ``qgis_plugin/blockcheck_qgis/_deps.py`` is asked under QGIS's own Python (Debian's
``/usr/bin/python3``, with ``BLOCKCHECK_QGIS_LIBS`` naming the folder and the zip's ``requirements.txt``), and run
as it is, once, into ``.venv/qgis-plugin-libs/pyX.Y``. ``STAMP.json`` there holds the command, how long it took,
the folder's size and the user site before and after; the command runs again only when it or the requirements
change (another numpy or GEOS in QGIS, new requirements). Used by scripts/setup.sh --test, the real-QGIS tests
(tests/qgis/qgis_binary.py), tests/test_geos_versions.py and scripts/plugin_screenshot.py.

    .venv/bin/python scripts/qgis_plugin_libs.py            # install when needed, print the folder
    .venv/bin/python scripts/qgis_plugin_libs.py --print    # only print the command
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSION = f"py{sys.version_info.major}.{sys.version_info.minor}"

__all__ = ["QGIS_PYTHON", "install_command", "libs_folder", "plugin_libs", "user_site_listing"]

#: QGIS's Python: the interpreter the venv was made from (Debian's /usr/bin/python3.X).
QGIS_PYTHON = Path(sys.base_exec_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"

_ASK = """
import sys
sys.path.insert(0, {plugin_root!r})
from pathlib import Path
from blockcheck_qgis import _deps
_deps.REQUIREMENTS = Path({requirements!r})
print(_deps.install_command())
"""


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that would redirect Python or pip (PYTHONPATH, PIP_TARGET, PIP_USER …)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("PIP_")}
    return {**env, **extra}


def libs_folder() -> Path:
    return Path(sys.prefix) / "qgis-plugin-libs" / VERSION


def _requirements() -> Path:
    """The zip's requirements.txt (scripts/build_plugin.py writes the same text), beside the folder."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import build_plugin
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["dependencies"]
    path = libs_folder().parent / "requirements.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = build_plugin.requirements_text(dependencies)
    if not path.is_file() or path.read_text("utf-8") != text:
        path.write_text(text, "utf-8")
    return path


def install_command() -> str:
    """The plugin's own install command, as QGIS's Python computes it for :func:`libs_folder`."""
    code = _ASK.format(plugin_root=str(ROOT / "qgis_plugin"), requirements=str(_requirements()))
    done = subprocess.run(
        [str(QGIS_PYTHON), "-s", "-c", code],
        env=_clean_env(BLOCKCHECK_QGIS_LIBS=str(libs_folder()), QT_QPA_PLATFORM="offscreen"),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def user_site_listing() -> list[str]:
    """What QGIS's Python's user site holds (file names, sizes and times): the install must not touch it."""
    user_site = subprocess.run(
        [str(QGIS_PYTHON), "-m", "site", "--user-site"], env=_clean_env(), capture_output=True, text=True, check=True
    ).stdout.strip()
    folder = Path(user_site)
    if not folder.is_dir():
        return [f"{folder}: absent"]
    return sorted(f"{p.relative_to(folder)} {p.stat().st_size} {p.stat().st_mtime_ns}" for p in folder.rglob("*"))


def _size_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6, 1)


def plugin_libs() -> tuple[Path, dict]:
    """The folder with the plugin's dependencies installed by its own command (run when the command changed)."""
    folder = libs_folder()
    command = install_command()
    requirements = (folder.parent / "requirements.txt").read_text("utf-8")
    stamp = folder / "STAMP.json"
    if stamp.is_file():
        recorded = json.loads(stamp.read_text("utf-8"))
        if recorded.get("command") == command and recorded.get("requirements") == requirements:
            return folder, recorded
    shutil.rmtree(folder, ignore_errors=True)
    before = user_site_listing()
    start = time.perf_counter()
    print(f">> installing the QGIS plugin's dependencies as its message says:\n   {command}", file=sys.stderr)
    subprocess.run(command, shell=True, check=True, env=_clean_env())  # the documented shell command, as it is
    seconds = round(time.perf_counter() - start, 1)
    recorded = {
        "command": command,
        "requirements": requirements,
        "seconds": seconds,
        "size_mb": _size_mb(folder),
        "user_site_before": before,
        "user_site_after": user_site_listing(),
    }
    stamp.write_text(json.dumps(recorded, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return folder, recorded


if __name__ == "__main__":
    if sys.argv[1:] == ["--print"]:
        print(install_command())
    else:
        where, record = plugin_libs()
        print(f"{where} ({record['seconds']} s, {record['size_mb']} MB)")
