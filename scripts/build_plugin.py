#!/usr/bin/env python3
"""Build the installable QGIS plugin zip: ``dist/blockcheck_qgis-<version>.zip``.

    .venv/bin/python scripts/build_plugin.py              # build the zip
    .venv/bin/python scripts/build_plugin.py --update-ts  # also refresh i18n/*.ts from the tr("…") calls

Steps: stamp ``version`` in metadata.txt from pyproject.toml; add the core's
requirements.txt (the install command the plugin shows uses it); compile the
translations (.ts → .qm with Qt's ``lrelease`` when installed, else with the
pure-Python writer below — both give the same lookups); bundle the blockcheck
package (pure Python) in ``lib/`` (used only when blockcheck is not installed in
QGIS's Python; its compiled dependencies still have to be installed); zip ``qgis_plugin/blockcheck_qgis`` without
caches, developer files and .ts sources; ship the plugin guide (docs/plugin.md) as
``help/index.html`` with its pictures, which the algorithms' Help button opens
(no web access needed). Install the zip in QGIS with
Plugins ▸ Manage and Install Plugins ▸ Install from ZIP.
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import struct
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "qgis_plugin" / "blockcheck_qgis"
I18N = PLUGIN / "i18n"
CONTEXT = "blockcheck"
LOCALES = ("zh_CN",)
SKIP_DIRS = {"__pycache__", ".pytest_cache"}
SKIP_SUFFIXES = {".pyc", ".pyo", ".ts", ".orig", ".rej"}


# ---------------------------------------------------------------- version and requirements


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]


def stamp_version(version: str) -> None:
    """Write `version` into metadata.txt (the plugin and package versions must match)."""
    path = PLUGIN / "metadata.txt"
    text = path.read_text("utf-8")
    stamped = re.sub(r"(?m)^version=.*$", f"version={version}", text)
    if stamped != text:
        path.write_text(stamped, "utf-8")


def requirements_text(dependencies: list[str]) -> str:
    """requirements.txt of the zip: the core's runtime dependencies (the plugin's install command uses it)."""
    lines = [
        "# The blockcheck core's runtime requirements (from pyproject.toml; written by scripts/build_plugin.py).",
        "# Installed into a folder of the plugin's own by the command its message shows (docs/plugin.md), never --user",
        *dependencies,
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- translations


def extract_messages() -> list[str]:
    """Source strings of every ``tr("…")`` / ``self.tr("…")`` call in the plugin, in file order."""
    found: dict[str, None] = {}
    for path in sorted(PLUGIN.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            first = node.args[0]
            if name in ("tr", "tr_noop") and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found[first.value] = None
    return list(found)


def read_ts(path: Path) -> dict[str, str]:
    """source → translation (finished or not) of a .ts file."""
    if not path.is_file():
        return {}
    out = {}
    for message in ET.parse(path).getroot().iter("message"):
        source = message.findtext("source") or ""
        out[source] = message.findtext("translation") or ""
    return out


def update_ts(locale: str) -> Path:
    """Rewrite i18n/blockcheck_<locale>.ts with the current sources, keeping known translations."""
    path = I18N / f"blockcheck_{locale}.ts"
    known = read_ts(path)
    root = ET.Element("TS", version="2.1", language=locale)
    context = ET.SubElement(root, "context")
    ET.SubElement(context, "name").text = CONTEXT
    for source in extract_messages():
        message = ET.SubElement(context, "message")
        ET.SubElement(message, "source").text = source
        translation = ET.SubElement(message, "translation")
        translation.text = known.get(source, "")
        if not translation.text:
            translation.set("type", "unfinished")
    ET.indent(root)
    I18N.mkdir(parents=True, exist_ok=True)
    body = ET.tostring(root, encoding="unicode")
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n' + body + "\n", "utf-8")
    return path


def _elf_hash(data: bytes) -> int:
    h = 0
    for byte in data:
        h = ((h << 4) + byte) & 0xFFFFFFFF
        g = h & 0xF0000000
        if g:
            h ^= g >> 24
        h &= ~g & 0xFFFFFFFF
    return h or 1


def write_qm(ts: Path, qm: Path) -> Path:
    """Compile a .ts file to .qm without Qt's tools (the subset lrelease writes for plain messages).

    Layout: magic, a hash table (elf hash of source text → message offset) and
    the messages (translation UTF-16BE, context and source UTF-8). Unfinished
    translations are left out, as lrelease does.
    """
    magic = bytes([0x3C, 0xB8, 0x64, 0x18, 0xCA, 0xEF, 0x9C, 0x95, 0xCD, 0x21, 0x1C, 0xBF, 0x60, 0xA1, 0xBD, 0xDD])
    messages = bytearray()
    hashes = []
    root = ET.parse(ts).getroot()
    for context in root.iter("context"):
        context_name = (context.findtext("name") or "").encode("utf-8")
        for message in context.iter("message"):
            translation = message.find("translation")
            if (
                translation is None
                or translation.get("type") in ("unfinished", "obsolete", "vanished")
                or not translation.text
            ):
                continue
            source = (message.findtext("source") or "").encode("utf-8")
            hashes.append((_elf_hash(source), len(messages)))
            text = translation.text.encode("utf-16-be")
            messages += b"\x03" + struct.pack(">I", len(text)) + text
            messages += b"\x07" + struct.pack(">I", len(context_name)) + context_name
            messages += b"\x06" + struct.pack(">I", len(source)) + source
            messages += b"\x01"
    hash_table = b"".join(struct.pack(">II", h, offset) for h, offset in sorted(hashes))
    data = (
        magic
        + b"\x42"
        + struct.pack(">I", len(hash_table))
        + hash_table
        + b"\x69"
        + struct.pack(">I", len(messages))
        + bytes(messages)
    )
    qm.write_bytes(data)
    return qm


def compile_translations(target: Path, *, use_lrelease: bool = True) -> list[Path]:
    """.ts → .qm for every locale into `target` (lrelease when available)."""
    target.mkdir(parents=True, exist_ok=True)
    lrelease = shutil.which("lrelease") if use_lrelease else None
    written = []
    for locale in LOCALES:
        ts = I18N / f"blockcheck_{locale}.ts"
        qm = target / f"blockcheck_{locale}.qm"
        if lrelease:
            subprocess.run([lrelease, "-silent", str(ts), "-qm", str(qm)], check=True)
        else:
            write_qm(ts, qm)
        written.append(qm)
    return written


# ---------------------------------------------------------------- the core, bundled


def core_files(version: str) -> list[tuple[str, bytes]]:
    """The blockcheck package (sources and data) plus a dist-info, as (path under lib/, bytes).

    Shipped unpacked (not as a zipped wheel) so that code and data read from
    ``__file__`` paths work as in a normal installation.
    """
    meta = project()
    info = f"blockcheck-{version}.dist-info"
    files: list[tuple[str, bytes]] = []
    for path in sorted((ROOT / "blockcheck").rglob("*")):
        if path.is_file() and not (SKIP_DIRS & set(path.parts)) and path.suffix not in SKIP_SUFFIXES:
            files.append((path.relative_to(ROOT).as_posix(), path.read_bytes()))
    metadata = (
        "\n".join(
            [
                "Metadata-Version: 2.1",
                "Name: blockcheck",
                f"Version: {version}",
                f"Summary: {meta['description']}",
                "License: GPL-2.0-or-later",
                *[f"Requires-Dist: {d}" for d in meta["dependencies"]],
            ]
        )
        + "\n"
    )
    files.append((f"{info}/METADATA", metadata.encode("utf-8")))
    files.append((f"{info}/INSTALLER", b"blockcheck QGIS plugin\n"))
    return files


#: The plugin guide and the folder of its pictures, shipped as the algorithms' help.
GUIDE = ROOT / "docs" / "plugin.md"


def help_files() -> list[tuple[str, bytes]]:
    """The plugin guide as ``help/index.html`` (Qt's own Markdown reader) and its pictures, as (path, bytes)."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.PyQt.QtGui import QGuiApplication, QTextDocument

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # QTextDocument needs a GUI application
    text = GUIDE.read_text("utf-8")
    document = QTextDocument()
    document.setMarkdown(text)
    html = document.toHtml().replace("<head>", '<head><meta charset="utf-8" /><title>blockcheck QGIS plugin</title>', 1)
    files = [("help/index.html", html.encode("utf-8"))]
    for name in sorted(set(re.findall(r"\]\((img/[^)\s]+)\)", text))):
        files.append((f"help/{name}", (GUIDE.parent / name).read_bytes()))
    return files


def _entry(name: str) -> zipfile.ZipInfo:
    """A zip entry with a fixed date, so builds are reproducible."""
    entry = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o644 << 16
    return entry


# ---------------------------------------------------------------- the zip


def build(out_dir: Path, *, bundle_core: bool = True, use_lrelease: bool = True, update: bool = False) -> Path:
    meta = project()
    version = meta["version"]
    stamp_version(version)
    if update:
        for locale in LOCALES:
            update_ts(locale)
    staging = out_dir / "build"
    shutil.rmtree(staging, ignore_errors=True)
    qms = compile_translations(staging / "i18n", use_lrelease=use_lrelease)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"blockcheck_qgis-{version}.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(PLUGIN.rglob("*")):
            if path.is_dir() or SKIP_DIRS & set(path.parts) or path.suffix in SKIP_SUFFIXES or path.suffix == ".qm":
                continue
            archive.writestr(_entry(f"blockcheck_qgis/{path.relative_to(PLUGIN).as_posix()}"), path.read_bytes())
        archive.writestr(_entry("blockcheck_qgis/requirements.txt"), requirements_text(meta["dependencies"]))
        for qm in qms:
            archive.writestr(_entry(f"blockcheck_qgis/i18n/{qm.name}"), qm.read_bytes())
        for name, data in help_files():
            archive.writestr(_entry(f"blockcheck_qgis/{name}"), data)
        for name, data in core_files(version) if bundle_core else []:
            archive.writestr(_entry(f"blockcheck_qgis/lib/{name}"), data)
    shutil.rmtree(staging, ignore_errors=True)
    return target


def install_in_profile(zip_path: Path, profiles: Path, *, settings: str = "") -> Path:
    """Install the zip in a fresh QGIS profile ``default`` under `profiles`, as Install from ZIP does, and enable it.

    `settings` is added to the profile's QGIS3.ini (e.g. a ``[locale]`` section); tips and the version check are
    off. Returns the plugins folder (start QGIS with ``--profiles-path <profiles>``).
    """
    plugins = profiles / "profiles" / "default" / "python" / "plugins"
    plugins.mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(plugins)
    ini = profiles / "profiles" / "default" / "QGIS" / "QGIS3.ini"
    ini.parent.mkdir(parents=True)
    ini.write_text(
        f"[PythonPlugins]\nblockcheck_qgis=true\n{settings}[qgis]\nshowTips=false\ncheckVersion=false\n", "utf-8"
    )
    return plugins


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    parser.add_argument("--update-ts", action="store_true", help="refresh i18n/*.ts from the tr() calls first")
    parser.add_argument("--no-core", action="store_true", help="do not bundle the blockcheck package in lib/")
    parser.add_argument("--no-lrelease", action="store_true", help="compile translations with the built-in writer")
    args = parser.parse_args(argv)
    target = build(args.out, bundle_core=not args.no_core, use_lrelease=not args.no_lrelease, update=args.update_ts)
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
