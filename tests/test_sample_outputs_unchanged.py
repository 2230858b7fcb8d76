"""The sample district's outputs stay what they were before the city-scale speed work (issue 15).

``tests/baseline/sample_outputs.json`` holds, per workbook layer, the row
count, the columns and a digest of the contents of ``blockcheck run`` on the
sample (survey year 2026) as commit 0ae01fe wrote them — the commit the
"before" benchmark of ``benchmarks/RESULTS.md`` measured. Every layer must
equal it; the only layer since added is ``resource_members`` (the features
behind the per-block 其他现状保留建筑 / 其他现状保留用地 rows, issue 15.4).
The speed work of issue 15 changed no output. One deliberate change since, rebuilt
here: issue 19.4 — the sample's walking network has one fragment (compound road
R00003, 333 m, joined to the rest only by planned roads); its 21 resident points
(3,150 persons) and one facility are measured from the nearest connected road
instead, which changes block_metrics, area_metrics, the allocation and the lists
that follow from it (strategies, policies, tasks, projects and their history),
standards_used (the fragment parameter) and validation_report (its note).
Rebuilt again for issue 19.3 and 19.5: polygon facilities are entered at their
gates or along the outline fronting a walkable edge (the sample's 28 were
entered at an interior point that often snapped to a compound's internal road:
primary school 500 m 16.7 → 53.8 %, middle school 1000 m 37.2 → 57.9 %; every
block's coverage changes, no list does); block_metrics and area_metrics gain the
text columns provision_rule and parking_rate; input_completeness the parking
spaces row; standards_used five keys (three entry parameters, the supply rule,
the existing-fabric parking rate); metric_status the fragment notes (118 → 183
rows); validation_report the two entry notes.
Rebuild the baseline only for an intended change of the outputs:
``python tests/test_sample_outputs_unchanged.py WORKBOOK``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

BASELINE = Path(__file__).parent / "baseline" / "sample_outputs.json"
SAMPLE = Path(__file__).parents[1] / "data" / "sample_blocks" / "sample_district.gpkg"
#: Layers added since the baseline, by design.
ADDED = {"resource_members"}
#: Values that say when and from where a run was made, not what it found.
RUN_VALUES = {
    "blockcheck_meta": ("key", {"run_at_utc", "input", "blockcheck_version"}),
    "project_history": "changed_at",
}


def _text(column: pd.Series) -> pd.Series:
    """Values as compared: numbers to 12 significant digits (platform noise), geometry as WKB hex, missing empty."""
    if column.dtype.kind == "f":
        return column.map(lambda v: "" if pd.isna(v) else f"{v:.12g}")
    return column.astype(object).map(lambda v: "" if v is None or v is pd.NA or v != v else str(v))


def layer_digests(workbook: Path) -> dict[str, dict]:
    """Rows, columns and a SHA-256 of each layer's contents (row order as written), run-time values left out."""
    out = {}
    for name, _ in pyogrio.list_layers(workbook):
        if name == "layer_styles":
            continue
        frame = pyogrio.read_dataframe(workbook, layer=name)
        frame = pd.DataFrame(frame)
        if "geometry" in frame:
            frame["geometry"] = frame["geometry"].map(lambda g: "" if g is None else g.wkb_hex)
        how = RUN_VALUES.get(name)
        if isinstance(how, tuple):
            frame = frame[~frame[how[0]].isin(how[1])]
        elif how:
            frame = frame.drop(columns=how)
        text = pd.DataFrame({c: _text(frame[c]) for c in frame.columns})
        digest = hashlib.sha256(text.to_csv(index=False, lineterminator="\n").encode("utf-8")).hexdigest()
        out[name] = {"rows": len(frame), "columns": list(frame.columns), "sha256": digest}
    return out


@pytest.mark.slow
def test_sample_outputs_equal_the_baseline_but_for_the_added_members_layer(tmp_path):
    from blockcheck.pipeline import run

    run(SAMPLE, tmp_path, as_of_year=2026)
    got = layer_digests(tmp_path / "workbook.gpkg")
    expected = json.loads(BASELINE.read_text(encoding="utf-8"))
    assert set(got) - set(expected) == ADDED
    assert set(expected) <= set(got)
    changed = {name: (expected[name], got[name]) for name in expected if got[name] != expected[name]}
    assert not changed, f"sample outputs differ from {BASELINE.name}: {changed}"
    assert got["resource_members"]["rows"] > 0


if __name__ == "__main__":
    BASELINE.write_text(json.dumps(layer_digests(Path(sys.argv[1])), indent=1, ensure_ascii=False) + "\n")
