"""Run by tests/test_minimum_versions.py in a subprocess: the sample district through every step, the what-if table
and the hearing exports, and a batch of tiny districts on a LocalCluster, under the libraries on sys.path (the
pinned minimums, or the venv's newest).

argv: OUT_FOLDER. Writes OUT_FOLDER/result.json (library versions, files written), the workbook and the exports;
the what-if table as what_if.csv.
"""

from __future__ import annotations

import json
import re
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _own_mpl_toolkits() -> None:
    """Debian's matplotlib puts its mpl_toolkits first in the namespace: take the one of the matplotlib imported."""
    import importlib.util

    import mpl_toolkits

    spec = importlib.util.find_spec("matplotlib")
    own = Path(spec.origin).parents[1] / "mpl_toolkits"
    if own.is_dir():
        mpl_toolkits.__path__[:] = [str(own)]


def _untimed(value: object) -> object:
    """A cell's value, times of the run replaced (the two runs compared start at different seconds)."""
    return "<time>" if isinstance(value, str) and re.match(r"\d{4}-\d\d-\d\dT\d\d:", value) else value


def _editor_and_excel(workbook: Path, folder: Path) -> dict:
    """What the plugin's editor and the Excel round trip ask of the core: blocks of picked features, a checked
    project row and its history entries, export-lists (its sheets' first rows) and import-lists of the unedited
    file (nothing to change)."""
    import openpyxl
    import pyogrio

    from blockcheck.lists.resources import block_ids_of
    from blockcheck.lists.schema import conform, list_table
    from blockcheck.workbook.history import history_rows, record_project_changes
    from blockcheck.workbook.lists_export import export_lists
    from blockcheck.workbook.lists_import import import_lists

    blocks = pyogrio.read_dataframe(workbook, layer="block_metrics", columns=["block_id"])
    resources = pyogrio.read_dataframe(workbook, layer="resource_list", columns=["resource_id"])
    found = block_ids_of(blocks, resources[["geometry"]])
    old = conform(
        pyogrio.read_dataframe(workbook, layer="project_list", read_geometry=False).head(3), list_table("project_list")
    )
    new = old.copy()
    new.loc[new.index[0], "status"] = "adjusted"
    history = history_rows(record_project_changes(new, old, who="tester", reason="minimum versions"), None)
    xlsx = export_lists(workbook, folder / "edit.xlsx")
    sheets = openpyxl.load_workbook(xlsx, read_only=True).worksheets
    return {
        "block_ids_of": [None if v is None else str(v) for v in found],
        "project_row": [None if v is None else str(v) for v in old.iloc[0].tolist()],
        "history": history.drop(columns=["changed_at"]).astype(str).values.tolist(),
        "import_unedited": import_lists(workbook, xlsx, who="tester", reason="minimum versions", dry_run=True),
        "excel": {
            sheet.title: [[_untimed(v) for v in r] for r in sheet.iter_rows(max_row=3, values_only=True)]
            for sheet in sheets
        },
    }


def _batch(folder: Path) -> dict:
    """A batch of two tiny districts, one broken, on a LocalCluster of two worker processes: name → (status,
    problems)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from batch_districts import write_batch
    from blockcheck.batch.run import run_batch

    done = run_batch(write_batch(folder / "districts", ("north",)), folder / "batch", workers=2)
    return {o["name"]: [o["status"], o["values"].get("problems_total")] for o in done.outcomes}


def main(out: str) -> None:
    import dask
    import distributed
    import geopandas
    import mapclassify
    import matplotlib
    import networkx
    import numpy
    import pandas
    import pyogrio
    import pyproj
    import rasterio
    import scipy
    import shapely

    from blockcheck.pipeline import run
    from blockcheck.report.atlas import export_atlas
    from blockcheck.report.hearing import export_report
    from blockcheck.report.maps import export_maps
    from blockcheck.whatif import what_if

    folder = Path(out)
    sample = ROOT / "data" / "sample_blocks"
    modules = (
        *(numpy, pandas, shapely, geopandas, pyproj, pyogrio, rasterio, scipy, matplotlib, mapclassify, networkx),
        *(dask, distributed),
    )
    versions = {m.__name__: m.__version__ for m in modules}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        done = run(
            sample / "sample_district.gpkg",
            folder / "run",
            demands=sample / "demand_survey.csv",
            visions=sample / "vision_survey.csv",
        )
        projects = pyogrio.read_dataframe(done.workbook, layer="project_list", read_geometry=False)
        what_if(done.workbook, list(projects["project_id"][:5])).to_csv(folder / "what_if.csv", index=False)
        from blockcheck.report import fonts

        font = fonts.cjk_family()  # under matplotlib < 3.11: the Chinese face taken out of Debian's .ttc
        maps = export_maps(done.workbook, folder / "maps")
        atlas = export_atlas(done.workbook, folder / "atlas.pdf")
        report = export_report(done.workbook, folder / "report.pdf")
        editor = _editor_and_excel(Path(done.workbook), folder)
        batch = _batch(folder)
    result = {
        "versions": versions,
        "workbook": str(done.workbook),
        "maps": sorted(Path(p).name for p in maps),
        "atlas": str(atlas),
        "report": str(report[0]),
        "cjk_family": font,
        "editor": editor,
        "batch": batch,
    }
    (folder / "result.json").write_text(json.dumps(result), "utf-8")


_own_mpl_toolkits()  # also in the batch's worker processes, which import this module as their __mp_main__
if __name__ == "__main__":
    main(*sys.argv[1:])
