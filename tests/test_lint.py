"""The linter holds the house style: ``ruff check`` and ``ruff format --check`` pass, and every ``# noqa`` says why."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: What the project lints (pyproject.toml [tool.ruff] holds the rules).
TARGETS = ("blockcheck", "qgis_plugin", "tests", "benchmarks", "scripts", "data/sample_blocks", "notebooks")


def _ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, *TARGETS], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_check_passes() -> None:
    result = _ruff("check", "--no-cache", "--output-format", "concise")
    assert result.returncode == 0, f"ruff check found problems (fix them, or run `ruff check --fix`):\n{result.stdout}"


def test_ruff_format_leaves_the_code_as_it_is() -> None:
    result = _ruff("format", "--check", "--no-cache")
    assert result.returncode == 0, f"files not formatted (run `ruff format`):\n{result.stdout}"


#: ``# no-qa: CODE[, CODE] - reason`` (spelt without the dash; or ``— reason`` / ``: reason``):
#: a suppression names its rule and says why.
_NOQA = re.compile(r"#\s*noqa\b(?P<rest>.*)$")
_WITH_REASON = re.compile(r"^:\s*[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*\s*(?:-|—|:|\()\s*\S")


def test_every_noqa_names_its_rule_and_gives_a_reason() -> None:
    bare = []
    for folder in TARGETS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == Path(__file__).resolve():  # this file quotes the pattern it looks for
                continue
            for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
                match = _NOQA.search(line)
                if match and not _WITH_REASON.match(match.group("rest").strip()):
                    bare.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not bare, "noqa without a rule and a reason (write `# noqa: CODE - why`):\n" + "\n".join(bare)
