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
