"""The sample district's workbook is what it was: every layer against the committed fingerprint.

``tests/baseline/sample_workbook.json`` holds, per layer of ``workbook.gpkg``
(the eight lists, block and area metrics, allocation, data gaps, metric
status, history, metadata …), the row count, the column names and a digest of
the contents; see ``tests/baseline/make_sample_workbook.py`` for how contents
are normalised and how to regenerate the fingerprint after a deliberate change.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest
import shapely

_SCRIPT = Path(__file__).parent / "baseline" / "make_sample_workbook.py"
_spec = importlib.util.spec_from_file_location("make_sample_workbook", _SCRIPT)
fingerprints = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fingerprints)


@pytest.mark.slow
def test_sample_workbook_matches_the_baseline(tmp_path: Path) -> None:
    baseline = json.loads(fingerprints.BASELINE.read_text("utf-8"))
    current = fingerprints.fingerprint(fingerprints.run_sample(tmp_path))
    assert current["layers"]["blockcheck_meta"]["data"], "blockcheck_meta is empty"
    meta = dict(current["layers"]["blockcheck_meta"]["data"])
    assert meta.get("resources_as_of_year") == str(fingerprints.PINNED_YEAR), (
        "the run did not take the pinned year (blockcheck.pipeline.run(..., as_of_year=...))"
    )
    found = fingerprints.differences(baseline, current)
    assert not found, (
        f"The sample workbook differs from {fingerprints.BASELINE.name} in "
        f"{len(found)} place(s):\n" + "\n".join(found) + "\n" + fingerprints.REGENERATE
    )


# ------------------------------------------------------------------ the fingerprint itself (fast)


def _frame() -> pd.DataFrame:
    import geopandas as gpd

    return gpd.GeoDataFrame(
        {"id": ["b", "a"], "value": [1.23456789, 2.0], "note": [None, "x"]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(0.0004, 0, 1, 1.0001)],
        crs=4548,
    )


def test_fingerprint_ignores_row_order_float_noise_and_ring_start() -> None:
    frame = _frame()
    fp = fingerprints.layer_fingerprint(frame, geometry_type="Polygon", crs="EPSG:4548")
    assert fp["rows"] == 2 and fp["columns"] == ["id", "value", "note", "geometry"] and fp["key"] == ["id"]
    assert [row[:3] for row in fp["data"]] == [["a", 2, "x"], ["b", 1.23457, None]]  # sorted by id, 6 digits
    noisy = frame.iloc[::-1].copy()  # rows a, b
    noisy["value"] = noisy["value"] + 1e-12
    # a: the square of b, which its 0.4 mm offset rounds to on the 1 mm grid; b: drawn from another corner, clockwise
    noisy.geometry = [shapely.box(0, 0, 1, 1), shapely.Polygon([(1, 1), (1, 0), (0, 0), (0, 1)])]
    assert fingerprints.layer_fingerprint(noisy, geometry_type="Polygon", crs="EPSG:4548")["digest"] == fp["digest"]


def test_a_difference_names_the_layer_the_row_and_the_way_to_regenerate() -> None:
    frame = _frame()
    base = {"pinned_year": 2026, "layers": {"t": fingerprints.layer_fingerprint(frame, geometry_type=None, crs=None)}}
    changed = frame.assign(value=[1.23456789, 2.5])
    current = {
        "pinned_year": 2026,
        "layers": {"t": fingerprints.layer_fingerprint(changed, geometry_type=None, crs=None)},
    }
    found = fingerprints.differences(base, current)
    assert found == ['layer t:\n  row id="a": value: 2 → 2.5']
    assert fingerprints.differences(base, base) == []
    assert "make_sample_workbook.py" in fingerprints.REGENERATE
