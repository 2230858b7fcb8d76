"""The layout holds: each step and list a module of its name, one home per id formula, only workbook/ opens a workbook.

These scan the source (ast and text), so a later change that puts a fact in a
second place fails here, with the file and line.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "blockcheck"
PLUGIN = ROOT / "qgis_plugin"

STEPS = {
    "health_check": "find_problems",
    "consultation": "ask_needs",
    "strategy": "plan_strategies",
    "action": "plan_actions",
}
LISTS = ("problems", "resources", "demands", "visions", "strategies", "policies", "tasks", "projects")


def _sources(*roots: Path) -> list[Path]:
    return sorted(p for root in roots for p in root.rglob("*.py") if ".venv" not in p.parts)


@pytest.mark.parametrize(("module", "function"), sorted(STEPS.items()))
def test_each_step_is_a_module_with_its_function(module: str, function: str) -> None:
    step = importlib.import_module(f"blockcheck.steps.{module}")
    assert callable(getattr(step, function))
    assert function in step.__all__


@pytest.mark.parametrize("name", LISTS)
def test_each_list_is_a_module_of_its_name(name: str) -> None:
    assert (CORE / "lists" / f"{name}.py").is_file()


def test_the_pipeline_calls_the_four_steps_in_order() -> None:
    text = (CORE / "pipeline.py").read_text("utf-8")
    body = text[text.index("def _run_locked(") :]
    positions = [body.index(f"{function}(") for function in STEPS.values()]
    assert positions == sorted(positions)


#: Id prefixes of the lists and where each formula may be written (only lists/ids.py).
_ID_LITERAL = re.compile(
    r"""["'](PB|RL|DM|VS|ST|TK|PJ|AL|RG|DG|MS)-["'{]|f["'](PB|RL|DM|VS|ST|TK|PJ|AL|RG|DG|MS|H)[-{]"""
)


def test_id_formulas_are_written_in_lists_ids_only() -> None:
    found = []
    for path in _sources(CORE, PLUGIN):
        if path == CORE / "lists" / "ids.py":
            continue
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if _ID_LITERAL.search(code) and '"""' not in code and "``" not in code:
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "id formula outside blockcheck/lists/ids.py:\n" + "\n".join(found)


#: Modules that may open GeoPackages (pyogrio, sqlite3): the workbook package, the input side and the low-level io.
_MAY_OPEN = ("blockcheck/workbook/", "blockcheck/inputs/", "blockcheck/io.py", "blockcheck/gpkg_inplace.py")


def test_only_the_workbook_package_opens_a_workbook() -> None:
    found = []
    for path in _sources(CORE):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(_MAY_OPEN):
            continue
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if re.search(r"pyogrio\.(read_dataframe|list_layers|read_info|write_dataframe)|sqlite3\.connect", line):
                found.append(f"{rel}:{number}: {line.strip()}")
    assert not found, "a module outside blockcheck/workbook/ opens a GeoPackage:\n" + "\n".join(found)


def _package_of(module: str) -> str:
    """``blockcheck.<subpackage>`` for modules in a subpackage, else the top package (``blockcheck``,
    ``qgis_plugin``).
    """
    parts = module.split(".")
    if parts[0] == "blockcheck" and len(parts) > 1 and (CORE / parts[1]).is_dir():
        return ".".join(parts[:2])
    return parts[0]


def test_no_underscore_name_is_imported_across_packages() -> None:
    found = []
    for path in _sources(CORE, PLUGIN):
        rel = path.relative_to(ROOT)
        here = ".".join(rel.with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.ImportFrom) or node.level or not (node.module or "").startswith("blockcheck"):
                continue
            if _package_of(node.module) == _package_of(here):
                continue
            private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
            private += [p for p in node.module.split(".") if p.startswith("_")]
            if private:
                found.append(f"{rel}:{node.lineno}: from {node.module} import {', '.join(private)}")
    assert not found, "private names imported from another package:\n" + "\n".join(found)


def test_every_error_class_lives_in_errors_py() -> None:
    found = []
    for path in _sources(CORE):
        if path == CORE / "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                (isinstance(b, ast.Name) and b.id.endswith(("Error", "Exception"))) for b in node.bases
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: class {node.name}")
    assert not found, "error classes outside blockcheck/errors.py:\n" + "\n".join(found)
