"""Shared pytest fixtures (the tiny district itself lives in districts.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from districts import ROOT, tiny_layers, write_input


@pytest.fixture
def tiny_input(tmp_path: Path) -> Path:
    """Path of a valid tiny input GeoPackage."""
    return write_input(tmp_path / "tiny.gpkg", tiny_layers())


@pytest.fixture
def sample_gpkg() -> Path:
    """The committed sample district."""
    return ROOT / "data" / "sample_blocks" / "sample_district.gpkg"
