"""Fingerprint of the sample district's workbook, compared by ``tests/test_sample_outputs.py``.

The fingerprint (``sample_workbook.json`` beside this file) holds, per layer of
``workbook.gpkg``: the row count, the column names, the geometry type and CRS,
the key the rows are sorted by, a SHA-256 digest of the contents and the rows
themselves, one per line, so that ``git diff`` of a regenerated fingerprint
shows what a change did. Contents are normalised so that only real changes
count:

- rows sorted by the layer's key (the first of :data:`KEY_CANDIDATES` that is
  present, complete and unique; else the whole row);
- floats rounded to 6 significant digits (integral values written as integers,
  so an int column read back as float does not count as a change);
- geometry made valid on a 1 mm grid (``shapely.set_precision(g, 0.001)``),
  normalised (``shapely.normalize``: ring start and orientation do not count)
  and written as WKB hex; the digest covers the full WKB, the stored rows
  carry a 16-digit hash of it;
- run-time fields (:data:`RUN_TIME`: the run's time and the input and mapping
  paths in ``blockcheck_meta``, ``changed_at`` in ``project_history``) left out;
- the run's year pinned to :data:`PINNED_YEAR` (the resource list counts the
  age of buildings up to the current year), so the fingerprint does not
  change on 1 January.

Regenerate after a deliberate change of the outputs, and review the diff::

    .venv/bin/python tests/baseline/make_sample_workbook.py
    git diff tests/baseline/sample_workbook.json

Other uses::

    # fingerprint the sample run of another tree (e.g. a git worktree at an older commit)
    cd /tmp/base && PYTHONPATH=/tmp/base /path/to/.venv/bin/python /path/to/make_sample_workbook.py --out F.json
    # fingerprint a workbook already written, or compare two fingerprints
    .venv/bin/python tests/baseline/make_sample_workbook.py --workbook out/workbook.gpkg --out F.json
    .venv/bin/python tests/baseline/make_sample_workbook.py --compare A.json B.json
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import shapely

#: The fingerprint committed beside this script.
BASELINE = Path(__file__).with_name("sample_workbook.json")
#: The sample district, relative to the root of the tree whose ``blockcheck`` is imported.
SAMPLE = Path("data") / "sample_blocks" / "sample_district.gpkg"
#: The year a run takes as "now" (``blockcheck_meta.resources_as_of_year``).
PINNED_YEAR = 2026
#: Row keys, in order of preference: the first present, complete and unique column sorts a layer.
KEY_CANDIDATES = ("id", "project_id", "resource_id", "allocation_id", "history_id", "key", "block_id")
#: Fields that change from run to run: ``rows`` of a key/value table by key, ``columns`` by name.
RUN_TIME = {
    "blockcheck_meta": {"rows": ("run_at_utc", "input", "mapping_file", "standards_overrides")},
    "project_history": {"columns": ("changed_at",)},
}
#: Significant digits kept of a float; grid of the geometry, in CRS units (metres).
DIGITS = 6
GRID = 0.001
#: How to regenerate, quoted in every failure message.
REGENERATE = (
    "If the change is intended, regenerate the fingerprint with "
    "`.venv/bin/python tests/baseline/make_sample_workbook.py` "
    "and review `git diff tests/baseline/sample_workbook.json`."
)


# ------------------------------------------------------------------------------------- running


def sample_input() -> Path:
    """The sample district of the tree whose ``blockcheck`` is imported."""
    import blockcheck

    return Path(blockcheck.__file__).resolve().parents[1] / SAMPLE


def run_sample(out_dir: str | Path) -> Path:
    """Run the whole pipeline on the sample district into `out_dir`, "now" in :data:`PINNED_YEAR`; the workbook's

    path.
    """
    import blockcheck.pipeline as pipeline

    return Path(pipeline.run(sample_input(), out_dir, as_of_year=PINNED_YEAR).workbook)


# ------------------------------------------------------------------------------------- normalising


def normal_value(value: object) -> object:
    """A cell as the fingerprint holds it: None for missing, floats to :data:`DIGITS` digits, text as text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        rounded = float(f"{value:.{DIGITS}g}")
        if rounded.is_integer() and abs(rounded) < 1e15:
            return int(rounded)  # also turns -0.0 into 0
        return rounded
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, datetime.date | pd.Timestamp):
        return value.isoformat()
    return str(value)


def normal_geometry(values: np.ndarray) -> list[str | None]:
    """WKB hex of each geometry on the :data:`GRID`, normalised; None where missing."""
    geoms = np.asarray(values, dtype=object)
    present = ~shapely.is_missing(geoms)
    out: list[str | None] = [None] * len(geoms)
    if present.any():
        fixed = shapely.normalize(shapely.set_precision(geoms[present], GRID))
        for i, wkb in zip(np.flatnonzero(present), shapely.to_wkb(fixed, hex=True), strict=True):
            out[i] = wkb
    return out


def _short(text: str | None) -> str | None:
    return None if text is None else "wkb:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _row_key(frame: pd.DataFrame) -> list[str]:
    for column in KEY_CANDIDATES:
        if column in frame and frame[column].notna().all() and frame[column].is_unique:
            return [column]
    return []  # the whole row


def _dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def layer_fingerprint(frame: pd.DataFrame, *, geometry_type: str | None, crs: str | None) -> dict:
    """The fingerprint of one layer (`frame` as read, run-time fields already dropped)."""
    geometry = "geometry" in frame.columns
    attributes = frame.drop(columns="geometry") if geometry else pd.DataFrame(frame)
    columns = list(attributes.columns) + (["geometry"] if geometry else [])
    cells = {c: [normal_value(v) for v in attributes[c].to_numpy(dtype=object)] for c in attributes.columns}
    wkb = normal_geometry(frame["geometry"].to_numpy()) if geometry else []
    key = _row_key(attributes)
    rows = []
    for i in range(len(frame)):
        full = {c: cells[c][i] for c in attributes.columns}
        if geometry:
            full["geometry"] = wkb[i]
        rows.append(full)
    order = sorted(range(len(rows)), key=lambda i: (_dumps([rows[i][c] for c in key]) if key else "", _dumps(rows[i])))
    digest = hashlib.sha256("\n".join(_dumps(rows[i]) for i in order).encode()).hexdigest()
    data = [[_short(rows[i][c]) if c == "geometry" else rows[i][c] for c in columns] for i in order]
    return {
        "rows": len(frame),
        "columns": columns,
        "geometry_type": geometry_type,
        "crs": crs,
        "key": key,
        "digest": digest,
        "data": data,
    }


def _drop_run_time(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    rule = RUN_TIME.get(name, {})
    if "rows" in rule and "key" in frame:
        frame = frame[~frame["key"].isin(rule["rows"])]
    return frame.drop(columns=[c for c in rule.get("columns", ()) if c in frame.columns])


def fingerprint(workbook: str | Path) -> dict:
    """Fingerprint of every layer of `workbook` (layers in name order)."""
    layers = {}
    for name, geometry_type in sorted(pyogrio.list_layers(workbook).tolist()):
        frame = pyogrio.read_dataframe(workbook, layer=name)
        crs = None
        if geometry_type is not None:
            info = pyogrio.read_info(workbook, layer=name)
            crs = info.get("crs")
        layers[name] = layer_fingerprint(_drop_run_time(name, frame), geometry_type=geometry_type, crs=crs)
    return {"pinned_year": PINNED_YEAR, "layers": layers}


# ------------------------------------------------------------------------------------- comparing


def _rows_by_key(layer: dict) -> dict[str, dict]:
    columns, key = layer["columns"], layer["key"]
    out = {}
    for row in layer["data"]:
        record = dict(zip(columns, row, strict=True))
        k = _dumps([record[c] for c in key]) if key else _dumps(record)
        out.setdefault(k, record)
    return out


def _cut(value: object, width: int = 100) -> str:
    text = _dumps(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def layer_differences(name: str, base: dict, current: dict, *, rows: int = 3) -> list[str]:
    """What differs in layer `name` (empty when nothing does), with up to `rows` differing rows."""
    lines = []
    if base["rows"] != current["rows"]:
        lines.append(f"  row count {base['rows']} → {current['rows']}")
    if base["columns"] != current["columns"]:
        gone = [c for c in base["columns"] if c not in current["columns"]]
        new = [c for c in current["columns"] if c not in base["columns"]]
        what = (f"removed {gone} " if gone else "") + (f"added {new}" if new else "") or "same names, other order"
        lines.append(f"  columns: {what.strip()}")
    for field in ("geometry_type", "crs", "key"):
        if base.get(field) != current.get(field):
            lines.append(f"  {field}: {base.get(field)!r} → {current.get(field)!r}")
    if base["digest"] == current["digest"]:
        return lines
    old, new = _rows_by_key(base), _rows_by_key(current)
    shown = 0
    for k in sorted(set(old) | set(new)):
        a, b = old.get(k), new.get(k)
        if a == b:
            continue
        if shown == rows:
            lines.append("  … (more rows differ)")
            break
        shown += 1
        key = base["key"] if base["key"] == current["key"] else []
        values = json.loads(k) if key else None
        label = f"{'+'.join(key)}={_cut(values[0] if len(key) == 1 else values, 60)}" if key else "(whole row)"
        if a is None:
            lines.append(f"  row {label} only in the current workbook: {_cut(b, 300)}")
        elif b is None:
            lines.append(f"  row {label} only in the baseline: {_cut(a, 300)}")
        else:
            changed = [c for c in dict.fromkeys([*a, *b]) if a.get(c, "<absent>") != b.get(c, "<absent>")]
            detail = "; ".join(f"{c}: {_cut(a.get(c, '<absent>'))} → {_cut(b.get(c, '<absent>'))}" for c in changed)
            lines.append(f"  row {label}: {detail}")
    if shown == 0:
        lines.append("  contents differ (full geometry or row order within equal keys) although the listed rows agree")
    return lines


def differences(base: dict, current: dict, *, rows: int = 3) -> list[str]:
    """Every difference between two fingerprints, layer by layer (empty when they agree)."""
    out = []
    b_layers, c_layers = base["layers"], current["layers"]
    for name in sorted(set(b_layers) - set(c_layers)):
        out.append(f"layer {name}: in the baseline ({b_layers[name]['rows']} rows), missing from the workbook")
    for name in sorted(set(c_layers) - set(b_layers)):
        out.append(f"layer {name}: new in the workbook ({c_layers[name]['rows']} rows), not in the baseline")
    for name in sorted(set(b_layers) & set(c_layers)):
        lines = layer_differences(name, b_layers[name], c_layers[name], rows=rows)
        if lines:
            out.append(f"layer {name}:\n" + "\n".join(lines))
    if base.get("pinned_year") != current.get("pinned_year"):
        out.append(f"pinned year {base.get('pinned_year')} → {current.get('pinned_year')}")
    return out


# ------------------------------------------------------------------------------------- writing


def to_json(fp: dict, *, generated_from: str = "") -> str:
    """The fingerprint as text: one layer header per line, then one row per line (stable, diff-friendly)."""
    parts = ["{", f'"about": {_dumps(__doc__.splitlines()[0])},']
    parts.append(f'"generated_from": {_dumps(generated_from)},')
    parts.append(f'"pinned_year": {_dumps(fp["pinned_year"])},')
    parts.append('"layers": {')
    names = list(fp["layers"])
    for n, name in enumerate(names):
        layer = fp["layers"][name]
        head = {k: v for k, v in layer.items() if k != "data"}
        parts.append(f"{_dumps(name)}: {{")
        for k, v in head.items():
            parts.append(f"  {_dumps(k)}: {_dumps(v)},")
        rows = layer["data"]
        parts.append('  "data": [' + ("" if rows else "]"))
        for i, row in enumerate(rows):
            parts.append("    " + _dumps(row) + ("," if i < len(rows) - 1 else ""))
        if rows:
            parts.append("  ]")
        parts.append("}" + ("," if n < len(names) - 1 else ""))
    parts.append("}")
    parts.append("}")
    return "\n".join(parts) + "\n"


def _tree_commit() -> str:
    """The commit of the tree whose ``blockcheck`` is imported (``git describe``; empty outside git)."""
    import blockcheck

    root = Path(blockcheck.__file__).resolve().parents[1]
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty"], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return ""
    return done.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    """Command line: write a fingerprint, or compare two."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=BASELINE, help=f"fingerprint to write (default {BASELINE})")
    parser.add_argument("--workbook", type=Path, help="fingerprint this workbook instead of running the sample")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BASE", "CURRENT"), help="compare two fingerprints")
    args = parser.parse_args(argv)
    if args.compare:
        base, current = (json.loads(p.read_text("utf-8")) for p in args.compare)
        found = differences(base, current, rows=10)
        print("\n".join(found) if found else "the fingerprints agree")
        return 1 if found else 0
    if args.workbook:
        fp, origin = fingerprint(args.workbook), str(args.workbook)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            fp, origin = fingerprint(run_sample(tmp)), f"sample run of {_tree_commit() or 'an unknown tree'}"
    args.out.write_text(to_json(fp, generated_from=origin), encoding="utf-8")
    print(f"{args.out}: {len(fp['layers'])} layers, {sum(v['rows'] for v in fp['layers'].values())} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
