"""Standards profiles: shipped values with unit, source, grade and kind; user overrides; the threshold term;

clear errors.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from blockcheck.errors import StandardsError
from blockcheck.standards import (
    GRADES,
    KINDS,
    PROFILES,
    TABLE_COLUMNS,
    StandardValue,
    grade_label,
    load_standards,
    standards_table,
    threshold_term,
)


def _entry(grade: str = "A", kind: str = "standard") -> StandardValue:
    return StandardValue(key="k", value=1.0, unit="m", source="s", grade=grade, origin="test", kind=kind)


@pytest.mark.parametrize("profile", PROFILES)
def test_every_value_has_unit_source_grade_kind_and_labels(profile: str) -> None:
    std = load_standards(profile)
    assert len(std.values) >= 80
    for entry in std.values.values():
        assert entry.unit and entry.source and entry.grade in GRADES and entry.kind in KINDS, entry.key
        assert entry.label_zh and entry.label_en, entry.key
        assert entry.year is None or 1990 <= entry.year <= 2030, entry.key
        if entry.kind == "standard" and entry.grade == "C":
            assert entry.verify, f"{entry.key}: a grade-C standard says what would verify it"


@pytest.mark.parametrize("profile", PROFILES)
def test_parameters_are_not_standards(profile: str) -> None:
    std = load_standards(profile)
    named = [
        "underground.use_ratio_reference",
        "housing.old_compound_built_before_year",
        "land.industrial_share_low_ratio",
        "green.park_large_min_area_m2",
        "conversion.floor_area_per_land_area_ratio",
    ]
    for key in [k for k in std.values if k.startswith("resources.")] + named:
        assert std.entry(key).kind == "parameter", key
        assert threshold_term(std.entry(key)) == "参数"


def test_parameters_live_in_the_base_file_every_profile_extends(tmp_path: Path) -> None:
    for profile in PROFILES:
        for entry in load_standards(profile).values.values():
            assert (entry.origin == "parameters") == (entry.kind == "parameter"), entry.key
    f = tmp_path / "ours.toml"
    f.write_text('[profile]\nextends = "parameters"\n', encoding="utf-8")
    with pytest.raises(StandardsError, match="Unknown standards profile 'parameters'"):
        load_standards(overrides=f)


@pytest.mark.parametrize("profile", PROFILES)
def test_short_labels_are_in_their_language(profile: str) -> None:
    english = re.compile(
        r"\b(recalled|verify|verified|quoted|superseded|target|assumption|parameter|standard|default|rule)\b",
        re.IGNORECASE,
    )
    for entry in load_standards(profile).values.values():
        assert not english.search(entry.label_zh), (entry.key, entry.label_zh)
        assert not re.search(r"[\u4e00-\u9fff]", entry.label_en), (entry.key, entry.label_en)
        assert not english.search(entry.unit_zh), (entry.key, entry.unit_zh)


@pytest.mark.parametrize("profile", PROFILES)
def test_every_verify_note_has_a_chinese_version(profile: str) -> None:
    """Chinese outputs quote ``verify_zh``: every entry that says what would verify it says so in Chinese too."""
    english = re.compile(
        r"\b(verify|verified|recalled|found|check|quote|official|table|indicators?|text|clause|the)\b", re.IGNORECASE
    )
    for entry in load_standards(profile).values.values():
        if entry.verify:
            assert entry.verify_zh, (entry.key, "verify without verify_zh")
            assert re.search(r"[\u4e00-\u9fff]", entry.verify_zh), (entry.key, entry.verify_zh)
            assert not english.search(entry.verify_zh), (entry.key, entry.verify_zh)
            # only standard codes (GB, GB/T) may stay in Latin letters
            assert not re.search(r"[A-Za-z]{3,}", entry.verify_zh), (entry.key, entry.verify_zh)
    rows = standards_table(load_standards(profile)).set_index("key")
    assert (rows["verify_zh"] != "").sum() == (rows["verify"] != "").sum()


def test_corrected_values_from_the_evidence() -> None:
    national, beijing = load_standards("national"), load_standards("beijing")
    assert national["green.park_coverage_min_ratio"] == 0.8
    assert national.entry("green.park_coverage_min_ratio").label_zh == "GB 55014-2021"
    assert national["radius_m.public_toilet"] == 300.0 and national.entry("radius_m.public_toilet").grade == "A"
    assert national["facilities.elderly_care_beds_per_1000"] == 40.0
    assert national.entry("facilities.elderly_care_beds_per_1000").label_en == "GB 50437-2007 (2018 ed.)"
    assert national["conversion.floor_m2_per_hospital_bed"] == 110.0
    assert "2008" in national.entry("conversion.floor_m2_per_hospital_bed").supersedes
    assert "2008" in national.entry("resources.hospital_min_land_m2_per_bed").label_en
    assert "已到期" in national.entry("facilities.hospital_beds_per_1000").label_zh
    for key in ("radius_m.kindergarten", "radius_m.primary_school", "radius_m.middle_school", "radius_m.substation"):
        entry = national.entry(key)
        assert entry.year == 2002 and "GB 50180-2018" in entry.superseded_by and "已废止" in entry.label_zh, key
    assert national.entry("radius_m.substation").grade == "C"
    for key in ("transit.bus_stop_coverage_300m_min_ratio", "transit.bus_stop_coverage_500m_min_ratio"):
        assert "GB/T 51328-2018" in national.entry(key).superseded_by
    assert (
        national.entry("life_circle.radius_10min_m").grade == "B"
        and "大百科" in national.entry("life_circle.radius_10min_m").label_zh
    )
    assert (
        national.entry("life_circle.radius_5min_m").grade == national.entry("life_circle.radius_15min_m").grade == "C"
    )
    assert national.entry("facilities.kindergarten_seats_per_1000").label_zh == "福建省2013年规定"
    assert national.entry("facilities.school_land_m2_per_1000").grade == "C"
    assert national.entry("transit.bus_terminals_per_100k").grade == "C"
    assert "文化中心" in beijing.entry("facilities.culture_floor_m2_per_capita").source
    assert beijing.entry("facilities.culture_floor_m2_per_capita").grade == "B"
    assert (
        beijing.entry("green.park_per_capita_min_m2").grade
        == beijing.entry("green.park_coverage_min_ratio").grade
        == "B"
    )
    assert beijing.entry("jobs_housing.reference_ratio").grade == "C"
    assert "0.53" in beijing.entry("jobs_housing.reference_ratio").source


def test_added_values_from_the_evidence() -> None:
    national = load_standards("national")
    expected = {
        "green.comprehensive_park_per_capita_min_m2": (3.0, "A"),
        "green.community_park_per_capita_min_m2": (3.0, "A"),
        "roads.spacing_preferred_max_m": (250.0, "A"),
        "roads.spacing_preferred_min_m": (150.0, "A"),
        "roads.area_ratio_target": (0.15, "A"),
        "facilities.community_service_m2_per_100_households": (30.0, "B"),
        "facilities.childcare_places_per_1000": (4.5, "B"),
        "facilities.sports_ground_m2_per_capita_target": (2.6, "B"),
        "facilities.elderly_care_floor_m2_per_bed_min": (35.0, "B"),
        "facilities.elderly_care_community_m2_per_100_households_new": (30.0, "B"),
        "facilities.elderly_care_community_m2_per_100_households_existing": (20.0, "B"),
    }
    for key, (value, grade) in expected.items():
        entry = national.entry(key)
        assert (entry.value, entry.grade, entry.kind) == (value, grade, "standard"), key


def test_beijing_extends_national_with_its_own_values() -> None:
    national, beijing = load_standards("national"), load_standards("beijing")
    assert national["roads.density_min_km_per_km2"] == beijing["roads.density_min_km_per_km2"] == 8.0
    assert national.entry("roads.density_min_km_per_km2").grade == "A"
    assert beijing["jobs_housing.reference_ratio"] == 0.53
    assert beijing.entry("green.park_per_capita_min_m2").origin == "beijing"
    assert national["green.park_per_capita_min_m2"] == 8.0
    assert beijing["facilities.elderly_care_beds_basis"] == "residents"
    assert national["facilities.elderly_care_beds_basis"] == "elderly"
    assert beijing.entry("facilities.community_tier_min_households").supersedes.startswith("京政发〔2015〕7号")


def test_threshold_term_for_each_case() -> None:
    assert threshold_term(_entry("A")) == threshold_term(_entry("B")) == "标准"
    assert threshold_term(_entry("A"), "en") == "standard"
    assert threshold_term(_entry("C")) == "参考值（待核实）"
    assert threshold_term(_entry("C"), "en") == "reference value (to be verified)"
    assert threshold_term(_entry("A", "parameter")) == threshold_term(_entry("C", "parameter")) == "参数"
    assert threshold_term(_entry("A", "parameter"), "en") == "parameter"
    assert threshold_term(None) == "参数" and threshold_term(None, "en") == "parameter"
    with pytest.raises(StandardsError, match="choose zh or en"):
        threshold_term(None, "fr")


def test_grade_label_in_each_language() -> None:
    assert [grade_label(g, "zh") for g in GRADES] == ["A 已核对原文", "B 二手引用", "C 待核实"]
    assert [grade_label(g, "en") for g in GRADES] == [
        "A seen in the standard",
        "B quoted",
        "C recalled – to be verified",
    ]
    assert grade_label("", "zh") == ""


def test_override_single_values_table_and_plain(tmp_path: Path) -> None:
    f = tmp_path / "ours.toml"
    f.write_text(
        '[profile]\nextends = "national"\n'
        '[parking.spaces_per_household]\nvalue = 0.8\nsource = "区停车规划 2024"\ngrade = "A"\n'
        '[roads.density_min_km_per_km2]\nvalue = 7\nsource = "区控规"\ngrade = "B"\nlabel_zh = "区控规"\n'
        "[resources]\nroof_min_area_m2 = 200\n",
        encoding="utf-8",
    )
    std = load_standards(overrides=f)
    assert std.profile == "national"
    assert std["parking.spaces_per_household"] == 0.8
    parking = std.entry("parking.spaces_per_household")
    assert parking.source == "区停车规划 2024" and parking.label_zh == "用户取值" and parking.year is None
    assert parking.unit_zh == "个车位/户"
    assert std["roads.density_min_km_per_km2"] == 7.0
    assert std.entry("roads.density_min_km_per_km2").origin == str(f)
    assert std.entry("roads.density_min_km_per_km2").label_zh == "区控规"
    roof = std.entry("resources.roof_min_area_m2")
    assert roof.value == 200.0 and roof.kind == "parameter" and threshold_term(roof) == "参数"
    table = standards_table(std).set_index("key")
    assert table.loc["roads.density_min_km_per_km2", "origin"] == str(f)
    assert table.loc["parking.spaces_per_household", "value"] == "0.8"
    assert std.digest != load_standards("national").digest


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[roads]\ndensity_min_km_per_km2 = 7\n", "no grade for your value of a standard"),
        ('[roads.density_min_km_per_km2]\nvalue = 7\nsource = "x"\n', "no grade for your value of a standard"),
        ('[roads.density_min_km_per_km2]\nvalue = 7\nsource = "x"\ngrade = "D"\n', "grade 'D' is not a grade"),
        ('[resources.roof_min_area_m2]\nvalue = 7\ngrade = "sure"\n', "grade 'sure' is not a grade"),
    ],
)
def test_override_without_a_valid_grade_is_an_error(tmp_path: Path, body: str, message: str) -> None:
    f = tmp_path / "ours.toml"
    f.write_text(body, encoding="utf-8")
    with pytest.raises(StandardsError, match=message) as err:
        load_standards(overrides=f)
    assert "allowed grades: A" in str(err.value) and "B (quoted" in str(err.value) and "C (recalled" in str(err.value)


def test_override_unknown_kind_and_fields(tmp_path: Path) -> None:
    f = tmp_path / "ours.toml"
    f.write_text(
        '[parking.spaces_per_household]\nvalue = 1.2\ngrade = "C"\nkind = "rule"\n'
        '[roads.spacing_max_m]\nvalue = 250\ngrade = "C"\nsorce = "typo"\nyear = "2020"\n',
        encoding="utf-8",
    )
    with pytest.raises(StandardsError) as err:
        load_standards(overrides=f)
    text = str(err.value)
    assert "kind 'rule' is unknown" in text and '"standard"' in text and '"parameter"' in text
    assert "unknown entry fields ['sorce']" in text and "year '2020' must be a whole number" in text


def test_override_errors_listed_together(tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text('[roads]\ndensity_min_km_per_km = 7\n[parking]\nspaces_per_household = "many"\n', encoding="utf-8")
    with pytest.raises(StandardsError) as err:
        load_standards(overrides=f)
    text = str(err.value)
    assert "unknown key 'roads.density_min_km_per_km'" in text and "did you mean roads.density_min_km_per_km2" in text
    assert "parking.spaces_per_household = 'many' has the wrong type" in text


def test_standards_table_columns() -> None:
    table = standards_table(load_standards("beijing"))
    assert list(table.columns) == list(TABLE_COLUMNS)
    assert list(table.columns[:6]) == ["key", "value", "unit", "source", "grade", "origin"]
    assert {
        "kind",
        "label_zh",
        "label_en",
        "year",
        "supersedes",
        "superseded_by",
        "verify",
        "verify_zh",
        "term_zh",
        "term_en",
    } <= set(table.columns)
    rows = table.set_index("key")
    assert rows.loc["green.park_coverage_min_ratio", "term_zh"] == "标准"
    assert rows.loc["jobs_housing.reference_ratio", "term_zh"] == "参考值（待核实）"
    assert rows.loc["jobs_housing.reference_ratio", "term_en"] == "reference value (to be verified)"
    assert rows.loc["resources.roof_min_area_m2", "term_zh"] == "参数"
    assert rows.loc["roads.density_min_km_per_km2", "year"] == "2018"
    assert rows.loc["resources.roof_min_area_m2", "year"] == ""
    assert table.map(lambda v: isinstance(v, str)).all().all()


def test_entry_rebuilt_from_a_table_row() -> None:
    std = load_standards("beijing")
    for row in standards_table(std).to_dict("records"):
        again = StandardValue.from_row(row)
        entry = std.entry(row["key"])
        assert (again.kind, again.grade, again.label_zh, again.year) == (
            entry.kind,
            entry.grade,
            entry.label_zh,
            entry.year,
        )
        assert threshold_term(again) == row["term_zh"]
    old = StandardValue.from_row(
        {"key": "roads.density_min_km_per_km2", "value": "8.0", "unit": "km/km2", "source": "GB", "grade": "A"}
    )
    assert old.kind == "standard" and old.value == 8.0 and old.label("zh") == "GB" and threshold_term(old) == "标准"


def test_unknown_profile_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(StandardsError, match="Unknown standards profile 'shanghai'"):
        load_standards("shanghai")
    f = tmp_path / "broken.toml"
    f.write_text("[roads\n", encoding="utf-8")
    with pytest.raises(StandardsError, match="not valid TOML"):
        load_standards(overrides=f)


def test_standards_cli_lists_grades_and_parameters() -> None:
    from click.testing import CliRunner

    from blockcheck.cli import cli

    out = CliRunner().invoke(cli, ["standards", "list"]).output
    assert "beijing" in out and "parameters" in out and "A " in out
    shown = CliRunner().invoke(cli, ["standards", "show", "national"]).output
    assert "## standards" in shown and "## parameters" in shown
    assert "radius_m.public_toilet = 300.0 m  [A standard] GB 55013-2021, 2021" in shown
    assert "resources.roof_min_area_m2 = 300.0" in shown and "[parameter] blockcheck default" in shown
    # a key the profile leaves without a value (nan in its file): said so, and empty in standards_used
    assert "parking.spaces_per_household_existing = (no value) spaces per household" in shown
    table = standards_table(load_standards("national")).set_index("key")
    assert table.loc["parking.spaces_per_household_existing", "value"] == ""
    assert load_standards("national")["parking.spaces_per_household_existing"] != 0  # nan, never a number


def test_a_value_for_a_key_left_unset_needs_a_grade(tmp_path) -> None:
    f = tmp_path / "o.toml"
    f.write_text("parking.spaces_per_household_existing = 0.5\n", encoding="utf-8")
    with pytest.raises(StandardsError, match="no grade for your value of a standard"):
        load_standards("beijing", overrides=f)
    f.write_text(
        '[parking.spaces_per_household_existing]\nvalue = 0.5\nsource = "district rule"\ngrade = "C"\n',
        encoding="utf-8",
    )
    entry = load_standards("beijing", overrides=f).entry("parking.spaces_per_household_existing")
    assert entry.value == 0.5 and entry.grade == "C"
