"""Issue 16, point 8: the QGIS plugin uses no Qt5-only API, so ``supportsQt6=True`` in metadata.txt is earned.

Every ``.py`` under qgis_plugin/ is parsed with :mod:`ast` and refused when it has

- ``from PyQt5 …`` / ``import PyQt5`` / ``import sip`` (QGIS 4 ships PyQt6: import through ``qgis.PyQt``);
- ``.exec_(`` (gone in PyQt6: ``.exec(``);
- ``QVariant.<anything>`` — ``QVariant.Int``, ``QVariant.Type.String`` … (Qt6 has no ``QVariant.Type``; field
  types use ``QMetaType.Type``), except in the one compatibility helper :data:`QVARIANT_ALLOWED`, which QGIS 3.22
  needs (its ``QgsField`` refuses ``QMetaType.Type``);
- unscoped enums: ``X.Y`` where ``X`` is imported from qgis.PyQt / qgis.core / qgis.gui and ``Y`` is an enum member
  reached through a class that is not its enum (``Qt.AlignLeft`` for ``Qt.AlignmentFlag.AlignLeft``,
  ``QMessageBox.Yes`` for ``QMessageBox.StandardButton.Yes``, ``Qgis.Warning`` for ``Qgis.MessageLevel.Warning``).
  PyQt6 and QGIS 4 only have the scoped names. Whether a name is an enum member is asked of the real bindings
  (PyQt5 and QGIS as installed, in a subprocess): no hand-kept list to fall behind.

The parsing needs no QGIS; the enum part skips without QGIS's Python bindings (fails under
BLOCKCHECK_REQUIRE_QGIS=1, as in scripts/test.sh).
"""

from __future__ import annotations

import ast
import configparser
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_ROOT = ROOT / "qgis_plugin"
QT_MODULES = ("qgis.PyQt", "qgis.core", "qgis.gui")
#: (file under qgis_plugin/, function) where ``QVariant.Type`` may be named: QGIS 3.22's QgsField needs it.
QVARIANT_ALLOWED = {("blockcheck_qgis/compat.py", "field_type")}
#: Classes Qt6 moved from QtWidgets to QtGui: imported from QtGui first, QtWidgets only as the Qt5 fallback.
MOVED_TO_QTGUI = {
    "QAction",
    "QActionGroup",
    "QShortcut",
    "QUndoCommand",
    "QUndoStack",
    "QUndoGroup",
    "QFileSystemModel",
}
#: Classes Qt6 removed (QRegularExpression, QScreen instead).
REMOVED = {"QRegExp", "QRegExpValidator", "QDesktopWidget", "QGLWidget"}


def _chain(node: ast.Attribute) -> tuple[ast.AST, list[str]]:
    """``a.b.c`` → (the node ``a``, ["b", "c"])."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return node, parts[::-1]


def _allowed_lines(tree: ast.AST, relative: str) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and (relative, node.name) in QVARIANT_ALLOWED:
            lines |= set(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def _imported_qt_names(tree: ast.AST) -> dict[str, tuple[str, str]]:
    """Local name → (module, name) for every ``from qgis.PyQt… / qgis.core / qgis.gui import …``."""
    imported = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(QT_MODULES):
            imported.update({a.asname or a.name: (node.module, a.name) for a in node.names})
    return imported


def scan(source: str, relative: str) -> tuple[list[str], list[dict]]:
    """Static findings (``file:line: what``) and the ``X.Y…`` chains on Qt/QGIS names for the enum check."""
    tree = ast.parse(source)
    allowed = _allowed_lines(tree, relative)
    inner = {id(child) for node in ast.walk(tree) if isinstance(node, ast.Attribute) for child in [node.value]}
    imported = _imported_qt_names(tree)
    fallbacks = {id(n) for h in ast.walk(tree) if isinstance(h, ast.ExceptHandler) for n in ast.walk(h)}
    findings, chains = [], []
    for node in ast.walk(tree):
        where = f"{relative}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("PyQt5", "sip"):
            findings.append(f"{where}: from {node.module} import … (import through qgis.PyQt)")
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("qgis.PyQt"):
            for alias in node.names:
                if alias.name in REMOVED:
                    findings.append(f"{where}: {alias.name} (removed in Qt6)")
                elif alias.name in MOVED_TO_QTGUI and node.module.endswith("QtWidgets") and id(node) not in fallbacks:
                    findings.append(f"{where}: {alias.name} from QtWidgets (in QtGui in Qt6; QtWidgets as fallback)")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in ("PyQt5", "sip"):
                    findings.append(f"{where}: import {alias.name} (import through qgis.PyQt)")
        elif isinstance(node, ast.Attribute):
            if node.attr == "exec_":
                findings.append(f"{where}: .exec_() (PyQt6 has .exec() only)")
            value = node.value
            named = value.id if isinstance(value, ast.Name) else value.attr if isinstance(value, ast.Attribute) else ""
            if named == "QVariant" and node.lineno not in allowed:
                findings.append(
                    f"{where}: QVariant.{node.attr} (use QMetaType.Type, or compat.field_type for QgsField)"
                )
            base, parts = _chain(node)
            if id(node) not in inner and isinstance(base, ast.Name) and base.id in imported:
                module, name = imported[base.id]
                chains.append({"where": where, "module": module, "name": name, "parts": parts})
    return findings, chains


#: Resolves each chain against the real bindings: the first attribute that is an enum member reached through
#: something other than its own enum class is reported (PyQt5/sip enums and Python enums alike).
_RESOLVE = """
import enum, importlib, json, sys
out = []
for chain in json.load(sys.stdin):
    module = importlib.import_module(chain["module"])
    try:
        parent = getattr(module, chain["name"])
    except AttributeError:
        parent = importlib.import_module(chain["module"] + "." + chain["name"])
    text = chain["name"]
    for part in chain["parts"]:
        try:
            child = getattr(parent, part)
        except AttributeError:
            break
        kind = type(child)
        is_member = type(kind).__name__ == "enumtype" or isinstance(child, enum.Enum)
        if is_member and kind is not parent:
            out.append(chain["where"] + ": " + text + "." + part + " (scoped: " + kind.__qualname__ + "." + part + ")")
            break
        parent, text = child, text + "." + part
print(json.dumps(out))
"""


def unscoped_enums(chains: list[dict]) -> list[str]:
    """The chains that reach an enum member unscoped, asked of QGIS's Python bindings in a subprocess."""
    probe = subprocess.run(
        [sys.executable, "-c", "import qgis.core, qgis.gui, qgis.PyQt.QtCore"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        if os.environ.get("BLOCKCHECK_REQUIRE_QGIS") == "1":
            pytest.fail(f"QGIS Python bindings are required here: {probe.stderr[-500:]}")
        pytest.skip("QGIS Python bindings not installed: the enum check needs them (sudo apt-get install python3-qgis)")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_RESOLVE)],
        input=json.dumps(chains),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _plugin_files() -> list[Path]:
    return sorted(p for p in PLUGIN_ROOT.rglob("*.py") if "__pycache__" not in p.parts)


def test_the_plugin_uses_no_qt5_only_api() -> None:
    findings, chains = [], []
    for path in _plugin_files():
        found, seen = scan(path.read_text("utf-8"), str(path.relative_to(PLUGIN_ROOT)))
        findings += found
        chains += seen
    assert len(chains) > 100, "the scan sees the plugin's Qt/QGIS names"
    findings += unscoped_enums(chains)
    assert findings == [], "Qt5-only API in the plugin (QGIS 4 / Qt6 would break):\n" + "\n".join(findings)


BAD = """
from PyQt5.QtCore import QTimer
import sip
from qgis.PyQt.QtCore import Qt, QVariant, QRegExp
from qgis.PyQt.QtWidgets import QMessageBox, QAction
from qgis.core import Qgis, QgsField, QgsWkbTypes

def bad(dialog, label):
    dialog.exec_()
    QgsField("n", QVariant.Int)
    QgsField("s", QVariant.Type.String)
    label.setAlignment(Qt.AlignLeft | Qt.AlignVCenter)
    QMessageBox.question(None, "t", "q", QMessageBox.Yes | QMessageBox.No)
    return Qgis.Warning, QgsWkbTypes.Polygon
"""

GOOD = """
from qgis.PyQt.QtCore import QMetaType, Qt, QVariant

try:
    from qgis.PyQt.QtGui import QAction
except ImportError:
    from qgis.PyQt.QtWidgets import QAction
from qgis.PyQt.QtWidgets import QMessageBox
from qgis.core import Qgis, QgsProcessing, QgsWkbTypes

def good(dialog, label, value):
    dialog.exec()
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    QMessageBox.question(None, "t", "q", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    isinstance(value, QVariant)
    return Qgis.MessageLevel.Warning, QgsWkbTypes.Type.Polygon, QMetaType.Type.Int, QgsProcessing.TEMPORARY_OUTPUT
"""


def test_the_check_catches_each_kind_of_qt5_only_use_and_passes_the_scoped_forms() -> None:
    findings, chains = scan(BAD, "bad.py")
    findings += unscoped_enums(chains)
    text = "\n".join(findings)
    for expected in (
        "bad.py:2: from PyQt5.QtCore",
        "bad.py:3: import sip",
        "bad.py:4: QRegExp (removed in Qt6)",
        "bad.py:5: QAction from QtWidgets",
        "bad.py:9: .exec_()",
        "bad.py:10: QVariant.Int",
        "bad.py:11: QVariant.Type",
        "bad.py:12: Qt.AlignLeft (scoped: Qt.AlignmentFlag.AlignLeft)",
        "bad.py:12: Qt.AlignVCenter",
        "bad.py:13: QMessageBox.Yes (scoped: QMessageBox.StandardButton.Yes)",
        "bad.py:13: QMessageBox.No",
        "bad.py:14: Qgis.Warning (scoped: Qgis.MessageLevel.Warning)",
        "bad.py:14: QgsWkbTypes.Polygon",
    ):
        assert expected in text, f"{expected!r} not caught:\n{text}"
    findings, chains = scan(GOOD, "good.py")
    assert findings + unscoped_enums(chains) == []


def test_qvariant_type_appears_only_in_the_compatibility_helper() -> None:
    """The allowance is used (a stale entry would hide nothing) and holds nowhere else."""
    for relative, function in QVARIANT_ALLOWED:
        tree = ast.parse((PLUGIN_ROOT / relative).read_text("utf-8"))
        body = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function)
        assert any(isinstance(n, ast.Name) and n.id == "QVariant" for n in ast.walk(body)), (relative, function)
    findings, _ = scan(
        (PLUGIN_ROOT / "blockcheck_qgis/compat.py").read_text("utf-8").replace("def field_type", "def other"),
        "blockcheck_qgis/compat.py",
    )
    assert any("QVariant.Type" in f for f in findings)


def test_metadata_declares_qt6_support_the_check_proves() -> None:
    meta = configparser.ConfigParser()
    meta.read(PLUGIN_ROOT / "blockcheck_qgis" / "metadata.txt", encoding="utf-8")
    assert meta["general"]["supportsQt6"] == "True"
