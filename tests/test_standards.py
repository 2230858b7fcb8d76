"""Standards profiles: shipped values with unit, source and grade; user overrides; clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from blockcheck.errors import StandardsError
from blockcheck.standards import PROFILES, load_standards, standards_table


@pytest.mark.parametrize("profile", PROFILES)
def test_every_value_has_unit_source_and_grade(profile: str) -> None:
    std = load_standards(profile)
    assert len(std.values) >= 40
    for entry in std.values.values():
        assert entry.unit and entry.source and entry.grade in {"A", "B", "C"}


def test_beijing_extends_national_with_its_own_values() -> None:
    national, beijing = load_standards("national"), load_standards("beijing")
    assert national["roads.density_min_km_per_km2"] == beijing["roads.density_min_km_per_km2"] == 8.0
    assert national.entry("roads.density_min_km_per_km2").grade == "A"
    assert beijing["jobs_housing.reference_ratio"] == 0.53
    assert beijing.entry("green.park_per_capita_min_m2").origin == "beijing"
    assert national["green.park_per_capita_min_m2"] == 8.0
    assert beijing["facilities.elderly_care_beds_basis"] == "residents"
    assert national["facilities.elderly_care_beds_basis"] == "elderly"


def test_override_single_values_table_and_plain(tmp_path: Path) -> None:
    f = tmp_path / "ours.toml"
    f.write_text(
        '[profile]\nextends = "national"\n'
        '[parking.spaces_per_household]\nvalue = 0.8\nsource = "区停车规划 2024"\ngrade = "A"\n'
        '[roads]\ndensity_min_km_per_km2 = 7\n',
        encoding="utf-8",
    )
    std = load_standards(overrides=f)
    assert std.profile == "national"
    assert std["parking.spaces_per_household"] == 0.8
    assert std.entry("parking.spaces_per_household").source == "区停车规划 2024"
    assert std["roads.density_min_km_per_km2"] == 7.0
    assert std.entry("roads.density_min_km_per_km2").origin == str(f)
    table = standards_table(std).set_index("key")
    assert table.loc["roads.density_min_km_per_km2", "origin"] == str(f)
    assert table.loc["parking.spaces_per_household", "value"] == "0.8"
    assert std.digest != load_standards("national").digest


def test_override_errors_listed_together(tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text('[roads]\ndensity_min_km_per_km = 7\n[parking]\nspaces_per_household = "many"\n', encoding="utf-8")
    with pytest.raises(StandardsError) as err:
        load_standards(overrides=f)
    text = str(err.value)
    assert "unknown key 'roads.density_min_km_per_km'" in text and "did you mean roads.density_min_km_per_km2" in text
    assert "parking.spaces_per_household = 'many' has the wrong type" in text


def test_unknown_profile_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(StandardsError, match="Unknown standards profile 'shanghai'"):
        load_standards("shanghai")
    f = tmp_path / "broken.toml"
    f.write_text("[roads\n", encoding="utf-8")
    with pytest.raises(StandardsError, match="not valid TOML"):
        load_standards(overrides=f)
