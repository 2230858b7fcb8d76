"""The benchmarks' synthetic city (benchmarks/make_city.py, make_surveys.py) as a file: marked synthetic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyogrio

from blockcheck.inputs.read import read_dataset_info

ROOT = Path(__file__).resolve().parents[1]


def test_the_city_written_says_it_is_synthetic_and_the_surveys_name_its_communities(tmp_path: Path) -> None:
    out = tmp_path / "city.gpkg"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "make_city.py"), "--scale", "0.01", "--out", str(out), "--surveys"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    info = read_dataset_info(out)
    assert info["synthetic"] == "true"
    assert info["generator"] == "benchmarks/make_city.py (scale 0.01, seed 20240601)"
    assert "4 × 4" in info["description_en"]  # round(40 · √0.01) = 4 blocks a side
    assert len(pyogrio.read_dataframe(out, layer="blocks")) == 16
    communities = pyogrio.read_dataframe(out, layer="communities", read_geometry=False)
    demands = pd.read_csv(tmp_path / "demand_survey.csv", encoding="utf-8-sig")
    assert sorted(demands["社区"]) == sorted(communities["name"])  # every community answers
