"""``python -m blockcheck``: the console script's command line, exit codes included."""

from __future__ import annotations

import subprocess
import sys


def _module(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "blockcheck", *args], capture_output=True, text=True, timeout=120)


def test_python_m_blockcheck_lists_the_commands():
    done = _module("--help")
    assert done.returncode == 0, done.stderr
    for command in ("run", "validate", "import-lists", "batch", "db"):
        assert f"  {command} " in done.stdout


def test_python_m_blockcheck_reports_bad_input_with_the_cli_exit_code(tmp_path):
    done = _module("run", str(tmp_path / "missing.gpkg"), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "missing.gpkg" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "workbook.gpkg").exists()
