"""The orchestrator's own promises around a run (blockcheck/pipeline.py): what a failed run leaves behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from blockcheck.errors import InputError
from blockcheck.pipeline import run


def test_a_failed_run_leaves_no_empty_folder_it_made(tmp_path: Path) -> None:
    out = tmp_path / "new" / "out"
    with pytest.raises(InputError, match="not found"):
        run(tmp_path / "missing.gpkg", out)
    assert not out.exists()  # not even workbook.gpkg.lock
    assert (tmp_path / "new").exists()  # a parent it made on the way is the user's to keep or remove


def test_a_failed_run_keeps_a_folder_that_was_there(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not found"):
        run(tmp_path / "missing.gpkg", out)
    assert (out / "notes.txt").read_text() == "mine"


def test_a_survey_the_run_cannot_use_stops_it_before_step_1(tmp_path: Path, monkeypatch) -> None:
    import blockcheck.steps.health_check as step1

    def started(*args, **kwargs):
        raise AssertionError("step 1 started before the surveys were read")

    monkeypatch.setattr(step1, "find_problems", started)
    survey = tmp_path / "demand_survey.csv"
    survey.write_text("名称,数量\n甲,1\n", encoding="utf-8")  # not the headers of 图3
    sample = Path(__file__).resolve().parents[1] / "data" / "sample_blocks" / "sample_district.gpkg"
    with pytest.raises(InputError, match="社区") as raised:
        run(sample, tmp_path / "out", demands=survey)
    assert "demand_survey.csv" in str(raised.value)
    assert not (tmp_path / "out").exists()  # nothing written


def test_a_run_tells_its_steps_in_order_with_step_2_beside_the_end_of_step_1(tmp_path: Path) -> None:
    said = []
    sample = Path(__file__).resolve().parents[1] / "data" / "sample_blocks" / "sample_district.gpkg"
    run(sample, tmp_path / "out", progress=lambda fraction, message: said.append((fraction, message)))
    messages = [m for _, m in said]
    order = ["health check finished", "demands and visions", "strategies and policies", "writing the workbook"]
    assert [messages.index(m) for m in order] == sorted(messages.index(m) for m in order)
    at = {m: f for f, m in said}
    assert at["health check finished"] <= at["demands and visions"] == 0.9 < at["strategies and policies"]


def test_the_input_digest_is_taken_while_the_input_is_read_and_is_done_before_any_fork(
    tmp_path: Path, monkeypatch
) -> None:
    import hashlib
    import threading

    import pyogrio

    from blockcheck import parallel

    sample = Path(__file__).resolve().parents[1] / "data" / "sample_blocks" / "sample_district.gpkg"
    alive_at_fork = []
    start = parallel.start

    def recorded(fn, /, *args, **kwargs):
        alive_at_fork.append(sorted(t.name for t in threading.enumerate() if t.name.startswith("blockcheck-digest")))
        return start(fn, *args, **kwargs)

    monkeypatch.setattr(parallel, "start", recorded)
    result = run(sample, tmp_path / "out")
    assert alive_at_fork and all(names == [] for names in alive_at_fork)  # no thread is left to a forked child
    meta = pyogrio.read_dataframe(result.workbook, layer="blockcheck_meta")
    recorded_digest = dict(zip(meta["key"], meta["value"], strict=True))["input_sha256"]
    assert recorded_digest == hashlib.sha256(sample.read_bytes()).hexdigest()[:16]


def test_the_summary_of_a_run_on_synthetic_input_says_so_first(tmp_path: Path) -> None:
    import shutil

    import pyogrio

    from blockcheck.inputs.read import DATASET_INFO_LAYER, read_dataset_info

    sample = Path(__file__).resolve().parents[1] / "data" / "sample_blocks" / "sample_district.gpkg"
    assert read_dataset_info(sample)["synthetic"] == "true"
    said = run(sample, tmp_path / "synthetic", until="health").summary().splitlines()
    assert said[0] == "示例数据（虚构） / synthetic sample data"
    assert said[1].startswith("Blocks: ")

    real = tmp_path / "real.gpkg"  # the same input, its dataset_info saying it is not made up
    shutil.copy(sample, real)
    info = pyogrio.read_dataframe(sample, layer=DATASET_INFO_LAYER)
    info.loc[info["key"] == "synthetic", "value"] = "false"
    pyogrio.write_dataframe(info, real, layer=DATASET_INFO_LAYER)
    said = run(real, tmp_path / "real", until="health").summary().splitlines()
    assert said[0].startswith("Blocks: ")
    assert not any("虚构" in line or "synthetic" in line for line in said)
