"""Does the analysis package import from QGIS's Python? If not, say exactly how to install it.

The plugin runs blockcheck in-process. When blockcheck or one of its
dependencies (geopandas ≥ 1, shapely 2, pyproj, pyogrio, networkx …) does not
import, is too old, or does not work with the GEOS/GDAL that QGIS itself has
loaded (a one-off self-test through the bridge), every algorithm and the editor
refuse to start with a message holding the exact install command for this
QGIS's Python. Nothing is ever installed silently: the user runs the command
(or not).

QGIS start-up only reads the installed packages' metadata (:func:`quick_check`:
nothing heavy is imported, geopandas & co. cost seconds); the full check —
imports and the self-test — runs once, when an algorithm or the editor starts.
"""

from __future__ import annotations

import configparser
import importlib
import importlib.metadata
import importlib.util
import sys
import sysconfig
from functools import cache
from pathlib import Path

from qgis.core import Qgis, QgsProcessingException

from .i18n import tr

__all__ = ["PLUGIN_DIR", "check", "install_command", "plugin_version", "quick_check", "require", "use_bundled_core"]

PLUGIN_DIR = Path(__file__).resolve().parent
#: The core's runtime requirements, written into the zip from pyproject.toml by scripts/build_plugin.py.
REQUIREMENTS = PLUGIN_DIR / "requirements.txt"
#: In a source checkout (no zip built) the project itself says what it needs.
PYPROJECT = PLUGIN_DIR.parents[1] / "pyproject.toml"


def _requirement_lines() -> list[str]:
    if REQUIREMENTS.is_file():
        return REQUIREMENTS.read_text("utf-8").splitlines()
    import tomllib

    return list(tomllib.loads(PYPROJECT.read_text("utf-8"))["project"]["dependencies"])


def _requirements() -> list[tuple[str, str]]:
    """(module, minimum version) for each requirement ``name>=version`` of the core."""
    out = []
    for line in _requirement_lines():
        line = line.split("#")[0].split(";")[0].strip()
        if not line:
            continue
        name, _, minimum = line.partition(">=")
        out.append((name.strip().replace("-", "_"), minimum.split(",")[0].strip()))
    return out


@cache
def plugin_version() -> str:
    """The ``version`` of metadata.txt (equal to blockcheck's version by construction)."""
    parser = configparser.ConfigParser()
    parser.read(PLUGIN_DIR / "metadata.txt", encoding="utf-8")
    return parser["general"]["version"]


def use_bundled_core() -> bool:
    """Put the blockcheck package shipped in ``lib/`` on ``sys.path`` when blockcheck is not installed.

    The package is pure Python; its compiled dependencies still have to be in
    QGIS's Python (that is what :func:`check` reports).
    """
    lib = PLUGIN_DIR / "lib"
    if importlib.util.find_spec("blockcheck") is not None or not (lib / "blockcheck" / "__init__.py").is_file():
        return False
    sys.path.append(str(lib))
    importlib.invalidate_caches()
    return True


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def _python() -> str:
    """The interpreter QGIS embeds: the one of ``sys.exec_prefix``.

    ``sys.executable`` may be QGIS itself or another Python on PATH.
    """
    base = Path(sys.exec_prefix)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [
        base / "bin" / f"python{version}",
        base / "bin" / "python3",
        base / "python.exe",
        base / "python3.exe",
        base / "Scripts" / "python.exe",
    ]
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    return sys.executable or "python3"


def compatibility_pins() -> list[str]:
    """Upper bounds that keep PyPI wheels compatible with the GEOS this QGIS has loaded.

    shapely ≥ 2.1 wheels are built for GEOS ≥ 3.12; inside QGIS their calls reach
    QGIS's own GEOS, so with GEOS 3.11 (QGIS 3.22 on Debian 12) shapely 2.0 and the
    geopandas that supports it (1.0) are the versions that work.
    """
    if Qgis.geosVersionInt() < 31200:
        return ["shapely>=2.0,<2.1", "geopandas>=1.0,<1.1"]
    return []


def install_command() -> str:
    """The exact command that installs the missing packages into QGIS's Python."""
    managed = Path(sysconfig.get_path("stdlib")) / "EXTERNALLY-MANAGED"
    flags = (
        "--user --break-system-packages"
        if managed.is_file() and sys.prefix == sys.base_prefix
        else ("--user" if sys.prefix == sys.base_prefix else "")
    )
    target = f'-r "{REQUIREMENTS}"' if REQUIREMENTS.is_file() else f'-e "{PYPROJECT.parent}"'
    pins = " ".join(f'"{pin}"' for pin in compatibility_pins())
    command = f'"{_python()}" -m pip install {flags} {target} {pins}'
    return " ".join(command.split())


def _upper_bounds() -> dict[str, str]:
    """Package → the exclusive upper bound :func:`compatibility_pins` sets for this QGIS (``shapely`` → ``2.1``)."""
    bounds = {}
    for pin in compatibility_pins():
        name, _, rest = pin.partition(">=")
        for part in rest.split(","):
            if part.startswith("<"):
                bounds[name.strip()] = part[1:].strip()
    return bounds


def _core_version_problems() -> list[str]:
    """The blockcheck package imports (shipped in ``lib/`` or installed) in the plugin's version."""
    use_bundled_core()
    try:
        import blockcheck
    except Exception as err:  # noqa: BLE001 - whatever fails, the core cannot run here: say what
        return [f"blockcheck {plugin_version()}: {tr('not importable')} ({err.__class__.__name__}: {err})"]
    if blockcheck.__version__ != plugin_version():
        found = f"{tr('found')} {blockcheck.__version__} {tr('(plugin and package versions must match)')}"
        return [f"blockcheck {plugin_version()}: {found}"]
    return []


def quick_check() -> str | None:
    """:func:`check` from the packages' metadata only, for QGIS start-up: nothing heavy is imported.

    Finds packages that are missing, older than required or newer than this QGIS's libraries allow
    (:func:`compatibility_pins`); what only importing shows is left to :func:`check`.
    """
    problems = []
    bounds = _upper_bounds()
    for name, minimum in _requirements():
        if importlib.util.find_spec(name) is None:
            problems.append(f"{name} ≥ {minimum}: {tr('not importable')}")
            continue
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # importable but without metadata (a source checkout): the full check sees its version
        if _version_tuple(version) < _version_tuple(minimum):
            problems.append(f"{name} ≥ {minimum}: {tr('found')} {version}")
        elif name in bounds and _version_tuple(version) >= _version_tuple(bounds[name]):
            problems.append(
                tr("the installed packages do not work with the libraries QGIS has loaded")
                + f" (QGIS GEOS {Qgis.geosVersion()}): {name} {version} ≥ {bounds[name]}"
            )
    problems += _core_version_problems()
    return _message(problems)


def _problems() -> list[str]:
    problems = []
    for name, minimum in _requirements():
        try:
            module = importlib.import_module(name)
        except Exception as err:  # noqa: BLE001 - any import failure means "not usable"
            problems.append(f"{name} ≥ {minimum}: {tr('not importable')} ({err.__class__.__name__}: {err})")
            continue
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = str(getattr(module, "__version__", "0"))
        if _version_tuple(version) < _version_tuple(minimum):
            problems.append(f"{name} ≥ {minimum}: {tr('found')} {version}")
    problems += _core_version_problems()
    if not problems:
        problems += _binary_problems()
    return problems


@cache
def _binary_problems() -> list[str]:
    """The compiled libraries work together inside this QGIS (checked once per session)."""
    import tempfile

    from . import bridge

    with tempfile.TemporaryDirectory() as folder:
        failure = bridge.self_test(folder)
    if failure is None:
        return []
    versions = ", ".join(f"{k} {v}" for k, v in bridge.library_versions().items())
    return [
        tr("the installed packages do not work with the libraries QGIS has loaded")
        + f" (QGIS GEOS {Qgis.geosVersion()}; {versions}): {failure}"
    ]


def check() -> str | None:
    """None when the core can run here, else a message with what is missing and the install command.

    Imports every dependency and runs the self-test once (seconds): call it when the core is about to run.
    """
    return _message(_problems())


def _message(problems: list[str]) -> str | None:
    if not problems:
        return None
    lines = [
        tr("blockcheck cannot run in this QGIS: its Python lacks"),
        *[f"  • {p}" for p in problems],
        "",
        tr("Install the missing packages into QGIS's Python with this command, then restart QGIS:"),
        f"  {install_command()}",
        "",
        tr("The plugin never installs anything by itself."),
    ]
    return "\n".join(lines)


def require() -> None:
    """Raise QgsProcessingException with :func:`check`'s message when the core cannot run."""
    message = check()
    if message:
        raise QgsProcessingException(message)
