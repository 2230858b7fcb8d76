"""Map context of the exports: roads and green read from the run's input alone, not validated (issue 15).

``load_workbook(context=True)`` reads the two layers the maps draw — with the
run's mapping — and nothing else of the input; it never re-validates the
input, so a validation error in another layer leaves the context as it was,
and the context is what the validated input gave before.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest

from test_report_common import SAMPLE, sample_data, sample_workbook


def _workbook_for(tmp_path: Path, **meta: str) -> Path:
    """A copy of the sample workbook whose blockcheck_meta has `meta` instead (e.g. another input and its digest)."""
    from blockcheck.io import write_gpkg
    from blockcheck.workbook.read import read_table

    path = tmp_path / "workbook.gpkg"
    shutil.copyfile(sample_workbook(), path)
    table = read_table(path, "blockcheck_meta").set_index("key")["value"].to_dict()
    table.update(meta)
    changed = {"blockcheck_meta": pd.DataFrame({"key": list(table), "value": list(table.values())})}
    return write_gpkg(path, changed, overwrite=False)  # the other layers stay as they are


def _same_context(context: dict, expected: dict) -> None:
    assert set(context) == set(expected) == {"roads", "green"}
    for name, frame in expected.items():
        got = context[name]
        assert len(got) == len(frame) and got.crs == frame.crs, name
        assert bool(np.all(got.geometry.geom_equals_exact(frame.geometry, 1e-6).to_numpy())), name
        for column in frame.columns.drop("geometry"):
            assert got[column].tolist() == frame[column].tolist(), (name, column)


def test_context_reads_only_the_drawn_layers_and_never_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    import blockcheck.inputs.read as read
    import blockcheck.inputs.validate as validate
    import blockcheck.pipeline as pipeline
    from blockcheck.report.workbook_data import load_workbook

    workbook = sample_workbook()  # the run validates (before the patches)

    def refuse(*args, **kwargs):
        raise AssertionError("the exports must not validate the input again")

    monkeypatch.setattr(validate, "validate_input", refuse)
    monkeypatch.setattr(pipeline, "check_input", refuse)
    layers_read: list[str | None] = []
    original = read.read_layer

    def spy(path, layer=None, **kwargs):
        layers_read.append(layer)
        return original(path, layer, **kwargs)

    monkeypatch.setattr(read, "read_layer", spy)
    wb = load_workbook(workbook)
    assert sorted(layers_read) == ["green", "roads"]  # nothing else of the input (8 layers) is read
    assert set(wb.context) == {"roads", "green"}
    assert list(wb.context["roads"].columns) == ["road_id", "class", "status", "geometry"]  # only what is drawn
    assert list(wb.context["green"].columns) == ["green_id", "geometry"]
    assert all(frame.crs == wb.crs for frame in wb.context.values())


def test_context_is_what_the_validated_input_gave() -> None:
    from blockcheck import vocabulary
    from blockcheck.pipeline import check_input

    wb = sample_data()
    checked = check_input(wb.meta["input"])
    assert checked.ok
    expected = {
        name: checked.checked.layers[name].to_crs(wb.crs)[list(wb.context[name].columns)] for name in ("roads", "green")
    }
    _same_context(wb.context, expected)
    assert set(wb.context["roads"]["class"]) <= set(vocabulary.codes("road_class"))  # model keys, as drawn


def test_context_survives_a_validation_error_in_another_layer(tmp_path: Path) -> None:
    from blockcheck.inputs.report import ERROR
    from blockcheck.pipeline import check_input, file_digest
    from blockcheck.report.workbook_data import load_workbook

    broken = tmp_path / "broken.gpkg"
    shutil.copyfile(SAMPLE, broken)
    communities = pyogrio.read_dataframe(broken, layer="communities")
    communities.loc[communities.index[0], "population"] = -5  # an error validation reports (negative_value)
    pyogrio.write_dataframe(communities, broken, layer="communities", driver="GPKG")
    result = check_input(broken)
    assert not result.ok and "negative_value" in result.checked.report.codes(ERROR)
    wb = load_workbook(_workbook_for(tmp_path, input=str(broken), input_sha256=file_digest(broken)))
    _same_context(wb.context, sample_data().context)  # before: no roads and no green at all
    assert wb.synthetic and wb.notice("zh") == "示例数据（虚构）"  # the notice stays


def test_context_follows_the_runs_mapping_file(tmp_path: Path) -> None:
    from blockcheck.pipeline import file_digest
    from blockcheck.report.workbook_data import load_workbook

    classes = {"arterial": "城市主干路", "secondary": "城市次干路"}
    roads = pyogrio.read_dataframe(SAMPLE, layer="roads")
    roads = roads.rename(columns={"class": "等级", "road_id": "编号"})
    roads["等级"] = roads["等级"].map(lambda c: classes.get(c, c))
    own = tmp_path / "own.gpkg"
    pyogrio.write_dataframe(roads, own, layer="道路", driver="GPKG")
    pyogrio.write_dataframe(pyogrio.read_dataframe(SAMPLE, layer="green"), own, layer="绿地", driver="GPKG")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[layers.roads]\nsource = "道路"\n[layers.roads.fields]\nclass = "等级"\nroad_id = "编号"\n'
        '[layers.roads.values.class]\n"城市主干路" = "arterial"\n"城市次干路" = "secondary"\n'
        '[layers.green]\nsource = "绿地"\n',
        encoding="utf-8",
    )
    wb = load_workbook(
        _workbook_for(tmp_path, input=str(own), input_sha256=file_digest(own), mapping_file=str(mapping))
    )
    _same_context(wb.context, sample_data().context)


def test_changed_or_missing_input_gives_no_context(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from blockcheck.report.workbook_data import load_workbook

    changed = load_workbook(_workbook_for(tmp_path, input_sha256="0000000000000000"))
    assert changed.context == {} and "changed since the run" in caplog.text
    gone = tmp_path / "gone"
    gone.mkdir()
    missing = load_workbook(_workbook_for(gone, input=str(tmp_path / "nowhere.gpkg")))
    assert missing.context == {} and len(missing.blocks) == len(sample_data().blocks)


def test_load_workbook_reads_only_what_the_exports_use(monkeypatch: pytest.MonkeyPatch) -> None:
    import blockcheck.report.workbook_data as workbook_data

    calls: list[tuple[str, list[str] | None]] = []
    original = workbook_data.read_table

    def spy(path, name, *, columns=None):
        calls.append((name, columns))
        return original(path, name, columns=columns)

    monkeypatch.setattr(workbook_data, "read_table", spy)
    wb = workbook_data.load_workbook(sample_workbook(), context=False)
    names = {name for name, _ in calls}
    assert not names & {"resource_members", "allocation", "allocation_remaining", "project_history"}
    columns = dict(calls)
    assert "member_count" in columns["resource_list"] and "reason" not in columns["resource_list"]
    assert "priority_reason" not in columns["project_list"] and "priority_score" in columns["project_list"]
    assert "provenance" not in wb.lists["problem_list"] and "severity" in wb.lists["problem_list"]


def test_exports_read_a_workbook_held_open_in_wal_mode_through_one_copy(tmp_path, monkeypatch) -> None:
    import sqlite3

    from blockcheck import gpkg_inplace
    from blockcheck.report.workbook_data import load_workbook

    path = tmp_path / "workbook.gpkg"
    shutil.copyfile(sample_workbook(), path)
    holder = sqlite3.connect(path)  # as QGIS holds it: WAL mode, a read transaction open
    holder.execute("PRAGMA journal_mode = WAL")
    holder.execute("BEGIN")
    holder.execute("SELECT count(*) FROM block_metrics").fetchone()
    copies = []
    real = gpkg_inplace.tempfile.mkstemp
    monkeypatch.setattr(gpkg_inplace.tempfile, "mkstemp", lambda **kw: copies.append(kw) or real(**kw))
    try:
        assert path.with_name(path.name + "-wal").exists()
        wb = load_workbook(path, context=False)
    finally:
        holder.rollback()
        holder.close()
    assert len(copies) == 1  # every table of the export from one consistent copy, not a copy per table
    expected = load_workbook(sample_workbook(), context=False)
    assert len(wb.blocks) == len(expected.blocks) and wb.meta == expected.meta
    assert {k: len(v) for k, v in wb.lists.items()} == {k: len(v) for k, v in expected.lists.items()}
