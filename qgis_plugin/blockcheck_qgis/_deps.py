"""Does the analysis package import from QGIS's Python? If not, say exactly how to install it — safely.

The plugin runs blockcheck in-process. Its dependencies (geopandas ≥ 1, shapely 2,
pyproj, pyogrio, networkx …) live in a folder of the plugin's own, never in the
user site over QGIS's packages: a virtual environment of QGIS's own Python with
QGIS's packages visible (``--system-site-packages``), so pip installs only what
QGIS lacks or has too old, and picks versions that work with *QGIS's* numpy
(pinned to exactly its version) and GEOS (:func:`compatibility_pins`). QGIS's
numpy, GDAL and PROJ stay the ones QGIS imports; its GDAL raster tools keep
working. The folder (:func:`libs_folder`) lies outside the plugin folder, so a
plugin upgrade keeps it; ``BLOCKCHECK_QGIS_LIBS`` overrides it (shared installs,
tests). Its site-packages goes in front of ``sys.path`` (:func:`use_libs`):
what is in it must win over older copies in Debian's dist-packages (matplotlib
3.6), and QGIS's numpy is never in it.

When a dependency is missing, too old, or installed but unusable here (fails to
import, built for another numpy, newer than QGIS's GEOS allows, or the
self-test through the bridge fails), every algorithm and the editor refuse to
start with a message that names it — *missing* or *incompatible*, with version
and reason — and holds the exact install command. Nothing is ever installed
silently: the user runs the command (or not).

QGIS start-up only reads the installed packages' metadata (:func:`quick_check`:
nothing heavy is imported, geopandas & co. cost seconds); the full check —
imports and the self-test — runs once, when an algorithm or the editor starts.
"""

from __future__ import annotations

import configparser
import importlib
import importlib.machinery
import importlib.metadata
import importlib.util
import os
import site
import sys
import sysconfig
from functools import cache
from pathlib import Path

from qgis.core import Qgis, QgsApplication, QgsProcessingException

from .i18n import tr

__all__ = [
    "LIBS_ENV",
    "PLUGIN_DIR",
    "check",
    "compatibility_pins",
    "install_command",
    "libs_folder",
    "libs_site",
    "plugin_version",
    "qgis_numpy_version",
    "quick_check",
    "require",
    "use_bundled_core",
    "use_libs",
]

PLUGIN_DIR = Path(__file__).resolve().parent
#: The core's runtime requirements, written into the zip from pyproject.toml by scripts/build_plugin.py.
REQUIREMENTS = PLUGIN_DIR / "requirements.txt"
#: In a source checkout (no zip built) the project itself says what it needs.
PYPROJECT = PLUGIN_DIR.parents[1] / "pyproject.toml"
#: Environment variable naming the libraries folder instead of the profile's (shared installs, tests).
LIBS_ENV = "BLOCKCHECK_QGIS_LIBS"
#: What an import error says when a compiled package was built for another numpy than the one imported.
_NUMPY_CLASH = ("numpy", "_ARRAY_API", "multiarray", "dtype size changed", "ABI version")


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
        name = name.split("[")[0]  # dask[distributed]: the module is dask
        out.append((name.strip().replace("-", "_"), minimum.split(",")[0].strip()))
    return out


@cache
def plugin_version() -> str:
    """The ``version`` of metadata.txt (equal to blockcheck's version by construction)."""
    parser = configparser.ConfigParser()
    parser.read(PLUGIN_DIR / "metadata.txt", encoding="utf-8")
    return parser["general"]["version"]


# ---------------------------------------------------------------- the plugin's own libraries folder


def libs_folder() -> Path:
    """The plugin's own libraries folder: ``$BLOCKCHECK_QGIS_LIBS``, else ``<profile>/python/blockcheck-libs/pyX.Y``.

    Outside the plugin folder (upgrading the plugin keeps it), one per Python minor version (a QGIS
    with another Python needs wheels of its own).
    """
    if os.environ.get(LIBS_ENV):
        return Path(os.environ[LIBS_ENV]).expanduser()
    version = f"py{sys.version_info.major}.{sys.version_info.minor}"
    return Path(QgsApplication.qgisSettingsDirPath()) / "python" / "blockcheck-libs" / version


def _venv_python(folder: Path) -> Path:
    return folder / "Scripts" / "python.exe" if os.name == "nt" else folder / "bin" / "python"


def libs_site(folder: Path | None = None) -> Path:
    """The site-packages of the libraries folder (a virtual environment of QGIS's Python)."""
    folder = libs_folder() if folder is None else folder
    if os.name == "nt":
        return folder / "Lib" / "site-packages"
    return folder / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"


def use_libs() -> bool:
    """Put the libraries folder's site-packages in front of ``sys.path`` (once; when it exists).

    In front, because what pip put there is what QGIS's own site lacks or has too old (Debian's
    matplotlib 3.6, attrs 22); numpy is never there (pip found QGIS's own), so QGIS's numpy stays the one
    imported.
    """
    path = libs_site()
    if not path.is_dir() or str(path) in sys.path:
        return False
    sys.path.insert(0, str(path))
    importlib.invalidate_caches()
    _prefer_own_toolkits(path / "mpl_toolkits")
    return True


def _prefer_own_toolkits(toolkits: Path) -> None:
    """matplotlib's ``mpl_toolkits`` (mplot3d …) from the folder, with its matplotlib.

    Debian's matplotlib registers its own ``mpl_toolkits`` at start-up (a .pth file); mixed with a newer
    matplotlib it fails, and matplotlib then warns at every import ("Unable to import Axes3D").
    """
    if not toolkits.is_dir():
        return
    module = sys.modules.get("mpl_toolkits")
    if module is None:
        module = importlib.util.module_from_spec(importlib.machinery.ModuleSpec("mpl_toolkits", None, is_package=True))
        module.__path__ = []
        sys.modules["mpl_toolkits"] = module
    paths = getattr(module, "__path__", None)
    if isinstance(paths, list) and str(toolkits) not in paths:
        paths.insert(0, str(toolkits))


def use_bundled_core() -> bool:
    """Put the blockcheck package shipped in ``lib/`` on ``sys.path`` when blockcheck is not installed.

    The package is pure Python; its compiled dependencies come from the libraries folder
    (:func:`use_libs`) or QGIS's own Python (that is what :func:`check` reports).
    """
    use_libs()
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


def _own_sites() -> list[str]:
    """QGIS's Python's own site folders: not the user site, not the libraries folder."""
    return [p for p in site.getsitepackages() if Path(p) != libs_site()]


@cache
def qgis_numpy_version() -> str | None:
    """The version of the numpy that comes with QGIS's Python (its own site, e.g. Debian's 1.24.2), if any.

    QGIS's GDAL Python tools (``osgeo.gdal_array``, the raster calculator) are built against it.
    """
    for dist in importlib.metadata.distributions(name="numpy", path=_own_sites()):
        return dist.version
    return None


def compatibility_pins() -> list[str]:
    """Upper bounds that keep PyPI wheels compatible with the GEOS this QGIS has loaded.

    shapely ≥ 2.1 wheels are built for GEOS ≥ 3.12; inside QGIS their calls reach
    QGIS's own GEOS, so with GEOS 3.11 (QGIS 3.22 on Debian 12) shapely 2.0 and the
    geopandas that supports it (1.0) are the versions that work.
    """
    if Qgis.geosVersionInt() < 31200:
        return ["shapely>=2.0,<2.1", "geopandas>=1.0,<1.1"]
    return []


def install_pins() -> list[str]:
    """What the install command adds to the requirements: QGIS's exact numpy, and :func:`compatibility_pins`.

    With numpy pinned, pip keeps QGIS's own numpy and picks the versions of pandas, scipy, matplotlib …
    that support it.
    """
    numpy = qgis_numpy_version()
    return ([f"numpy=={numpy}"] if numpy else []) + compatibility_pins()


def install_command() -> str:
    """The exact command that installs the core's dependencies into :func:`libs_folder`.

    Two steps in one line: a virtual environment of QGIS's Python that sees QGIS's packages
    (``--system-site-packages``; pip itself from QGIS's Python, ``--without-pip``), then pip in it, without
    the user site (``-s``), with the requirements and :func:`install_pins`. Nothing goes into the user site
    or QGIS's own site-packages.
    """
    folder = libs_folder()
    target = f'-r "{REQUIREMENTS}"' if REQUIREMENTS.is_file() else f'"{PYPROJECT.parent}"'
    pins = " ".join(f'"{pin}"' for pin in install_pins())
    create = f'"{_python()}" -m venv --system-site-packages --without-pip "{folder}"'
    install = f'"{_venv_python(folder)}" -s -m pip install {target} {pins}'
    return " ".join(f"{create} && {install}".split())


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


def _missing(name: str, minimum: str) -> str:
    return f"{name} ≥ {minimum}: {tr('missing (not installed)')}"


def _incompatible(name: str, version: str, reason: str) -> str:
    return f"{name} {version}: {tr('incompatible')} — {reason}"


def _distribution(name: str, spec) -> importlib.metadata.Distribution | None:
    """The distribution the import would load (the first on ``sys.path``), from metadata."""
    origin = Path(spec.origin or next(iter(spec.submodule_search_locations or []), ""))
    folder = origin.parent.parent if origin.name == "__init__.py" else origin.parent
    for dist in importlib.metadata.distributions(name=name, path=[str(folder)]):
        return dist
    try:
        return importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return None  # importable but without metadata (a source checkout): the full check sees its version


def _installed_version(name: str, spec) -> str | None:
    dist = _distribution(name, spec)
    return dist.version if dist is not None else None


def _numpy_in_use() -> str | None:
    """The version of the numpy an import would load here (QGIS's own, unless something hides it)."""
    spec = importlib.util.find_spec("numpy")
    return _installed_version("numpy", spec) if spec else None


def _numpy_mismatch(name: str, spec) -> str | None:
    """A package whose metadata asks for another numpy than the one QGIS imports (pandas 3 needs numpy ≥ 2, QGIS
    3.22 has 1.24).

    Such a wheel is built for that numpy and cannot import with QGIS's; found from metadata, before importing.
    """
    numpy = _numpy_in_use()
    dist = _distribution(name, spec)
    if numpy is None or dist is None or name == "numpy":
        return None
    try:
        from packaging.requirements import InvalidRequirement, Requirement
    except ImportError:  # no packaging in this Python: importing (check) still finds the clash
        return None
    for line in dist.requires or []:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.name.lower() != "numpy" or (
            requirement.marker and not requirement.marker.evaluate({"extra": ""})
        ):
            continue
        if not requirement.specifier.contains(numpy, prereleases=True):
            reason = tr("built for numpy {wanted}, while QGIS imports numpy {numpy}")
            return _incompatible(name, dist.version, reason.format(wanted=requirement.specifier, numpy=numpy))
    return None


def _numpy_problem() -> str | None:
    """A numpy in the user site other than QGIS's own (left by an earlier ``pip install --user``).

    The user site comes before QGIS's own site on ``sys.path``: such a numpy (numpy 2 over Debian's 1.24) is
    the one imported, and QGIS's GDAL tools (the raster calculator), built for QGIS's numpy, fail with it.
    """
    spec = importlib.util.find_spec("numpy")
    wanted = qgis_numpy_version()
    if spec is None or not spec.origin or not wanted or not site.ENABLE_USER_SITE:
        return None
    where = Path(spec.origin).parent.parent
    if where != Path(site.getusersitepackages()):
        return None
    found = _installed_version("numpy", spec) or "?"
    if found == wanted:
        return None
    reason = tr(
        "in the user site {where}, it hides the numpy {qgis} of QGIS's own Python, which QGIS's GDAL tools "
        "need; remove it from there: {command}"
    )
    managed = (Path(sysconfig.get_path("stdlib")) / "EXTERNALLY-MANAGED").is_file()  # Debian's: pip needs the flag
    flag = " --break-system-packages" if managed else ""
    command = f'"{_python()}" -m pip uninstall{flag} numpy'
    return _incompatible("numpy", found, reason.format(where=where, qgis=wanted, command=command))


def quick_check() -> str | None:
    """:func:`check` from the packages' metadata only, for QGIS start-up: nothing heavy is imported.

    Finds packages that are missing, older than required or newer than this QGIS's libraries allow
    (:func:`compatibility_pins`), and a numpy that is not QGIS's; what only importing shows is left to
    :func:`check`.
    """
    use_libs()
    problems = []
    bounds = _upper_bounds()
    for name, minimum in _requirements():
        spec = importlib.util.find_spec(name)
        if spec is None:
            problems.append(_missing(name, minimum))
            continue
        version = _installed_version(name, spec)
        if version is None:
            continue
        if _version_tuple(version) < _version_tuple(minimum):
            problems.append(f"{name} ≥ {minimum}: {tr('found')} {version} ({tr('too old')})")
        elif name in bounds and _version_tuple(version) >= _version_tuple(bounds[name]):
            problems.append(_geos_clash(name, version, bounds[name]))
        else:
            problems += [p for p in [_numpy_mismatch(name, spec)] if p]
    problems += [p for p in [_numpy_problem()] if p]
    problems += _core_version_problems()
    return _message(problems)


def _geos_clash(name: str, version: str, bound: str) -> str:
    clash = tr("the installed packages do not work with the libraries QGIS has loaded")
    return _incompatible(name, version, f"{clash} (QGIS GEOS {Qgis.geosVersion()}; {name} < {bound})")


def _import_problem(name: str, err: Exception) -> str:
    """An installed package that fails to import, named as incompatible with the reason."""
    spec = importlib.util.find_spec(name)
    version = (_installed_version(name, spec) if spec else None) or "?"
    texts, cause = [" ".join(f"{err.__class__.__name__}: {err}".split())], err.__cause__ or err.__context__
    while cause is not None and len(texts) < 6:  # pandas says "C extension not built"; its cause names numpy
        texts.append(" ".join(f"{cause.__class__.__name__}: {cause}".split()))
        cause = cause.__cause__ or cause.__context__
    about_numpy = [text for text in texts if any(word in text for word in _NUMPY_CLASH)]
    if about_numpy:
        reason = tr("built for another numpy than the one QGIS imports ({numpy})").format(numpy=_numpy_in_use())
        return _incompatible(name, version, f"{reason}: {about_numpy[-1][:300]}")
    return _incompatible(name, version, f"{tr('installed but fails to import')}: {texts[0][:300]}")


def _problems() -> list[str]:
    """Everything :func:`quick_check` sees from metadata but the GEOS bounds (the self-test shows real clashes),
    plus what only importing shows."""
    use_libs()
    problems = []
    for name, minimum in _requirements():
        spec = importlib.util.find_spec(name)
        if spec is None:
            problems.append(_missing(name, minimum))
            continue
        mismatch = _numpy_mismatch(name, spec)
        if mismatch:
            problems.append(mismatch)
            continue
        try:
            module = importlib.import_module(name)
        except Exception as err:  # noqa: BLE001 - installed but unusable here: say what and why
            problems.append(_import_problem(name, err))
            continue
        version = _installed_version(name, spec) or str(getattr(module, "__version__", "0"))
        if _version_tuple(version) < _version_tuple(minimum):
            problems.append(f"{name} ≥ {minimum}: {tr('found')} {version} ({tr('too old')})")
    problems += [p for p in [_numpy_problem()] if p]
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
    """None when the core can run here, else a message with what is missing or incompatible and the install command.

    Imports every dependency and runs the self-test once (seconds): call it when the core is about to run.
    """
    return _message(_problems())


def _message(problems: list[str]) -> str | None:
    if not problems:
        return None
    lines = [
        tr("blockcheck cannot run in this QGIS:"),
        *[f"  • {p}" for p in problems],
        "",
        tr(
            "Install its packages into its own folder {folder} with this command (QGIS's own packages stay "
            "untouched), then restart QGIS:"
        ).format(folder=libs_folder()),
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
