"""Tiny districts and manifests for the batch tests (tests/test_batch*.py): variants of tests/districts.py."""

from __future__ import annotations

from pathlib import Path

import pyogrio

from districts import tiny_layers, write_input

#: The districts of :func:`write_batch`: name → (x offset in metres, population of the first community).
VARIANTS = {"north": (0.0, 3000), "south": (1000.0, 4500)}
#: The standards profile the manifest gives a district (the others: the default).
STANDARDS = {"south": "national"}
BROKEN = "broken"


def write_district(path: Path, *, offset: float = 0.0, population: int = 3000, broken: bool = False) -> Path:
    """A tiny district at `path`, moved east by `offset`; `broken`: its blocks lack block_id (a validation error)."""
    layers = tiny_layers()
    for name, frame in layers.items():
        layers[name] = frame.set_geometry(frame.geometry.translate(xoff=offset))
    layers["communities"].loc[0, "population"] = population
    if broken:
        layers["blocks"] = layers["blocks"].drop(columns="block_id")
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_input(path, layers)


def write_batch(folder: Path, good: tuple[str, ...] = tuple(VARIANTS), *, broken: bool = True) -> Path:
    """The `good` districts of :data:`VARIANTS` and (`broken`) a broken one, each in a folder of its own, and their
    manifest (returned).
    """
    lines = []
    for name in good:
        offset, population = VARIANTS[name]
        write_district(folder / name / "input.gpkg", offset=offset, population=population)
        lines += ["[[district]]", f'name = "{name}"', f'input = "{name}/input.gpkg"']
        lines += [f'standards = "{STANDARDS[name]}"'] if name in STANDARDS else []
        lines.append("")
    if broken:
        write_district(folder / BROKEN / "input.gpkg", broken=True)
        lines += ["[[district]]", f'name = "{BROKEN}"', f'input = "{BROKEN}/input.gpkg"', 'standards = "national"', ""]
    manifest = folder / "manifest.toml"
    manifest.write_text("\n".join(lines), encoding="utf-8")
    return manifest


def workbook_counts(workbook: Path) -> dict[str, int]:
    """Problem counts by type and data-gap counts by coverage, read from a district's own workbook."""
    problems = pyogrio.read_dataframe(workbook, layer="problem_list", columns=["type"], read_geometry=False)
    gaps = pyogrio.read_dataframe(workbook, layer="data_gaps", columns=["coverage"], read_geometry=False)
    counts = {"problems_total": len(problems), "data_gaps_total": len(gaps)}
    counts.update({f"type:{t}": n for t, n in problems["type"].value_counts().items()})
    counts.update({f"coverage:{c}": n for c, n in gaps["coverage"].value_counts().items()})
    return counts
