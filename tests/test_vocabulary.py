"""One vocabulary (issue 13): labels, colours, the life cycle, priority classes, the metric schema and the
choropleth classes, each defined once in the core's data and read by every output."""

from __future__ import annotations

import functools
import math
import re
import shutil
import tempfile
import tomllib
from pathlib import Path

import pyogrio
import pytest

from blockcheck import choropleth as cp
from blockcheck import vocabulary
from blockcheck.errors import BlockcheckError, CatalogueError
from blockcheck.lists.problems import problem_rules
from blockcheck.lists.schema import list_table, value_labels
from blockcheck.standards import PROFILES, load_standards, standards_table, threshold_term
from districts import ROOT

SAMPLE = ROOT / "data" / "sample_blocks" / "sample_district.gpkg"
DATA = ROOT / "blockcheck" / "data"
METRIC_TABLES = ("block_metrics", "area_metrics")


@functools.cache
def metric_columns(profile: str) -> dict[str, list[str]]:
    """The columns of block_metrics and area_metrics a health-check run of the sample writes with `profile`."""
    from blockcheck.pipeline import run

    out = Path(tempfile.mkdtemp(prefix=f"blockcheck_vocabulary_{profile}_"))
    try:
        run(SAMPLE, out, standards=profile, until="health")
        workbook = out / "workbook.gpkg"
        return {t: list(pyogrio.read_info(workbook, layer=t)["fields"]) for t in METRIC_TABLES}
    finally:
        shutil.rmtree(out, ignore_errors=True)


# ---------------------------------------------------------------- the metric schema


@pytest.mark.parametrize("profile", PROFILES)
def test_every_metric_column_a_run_writes_has_one_entry(profile: str) -> None:
    schema = vocabulary.metric_schema()
    columns = metric_columns(profile)
    assert len(columns["block_metrics"]) > 100 and "area_ha" in columns["area_metrics"]
    for table, names in columns.items():
        described = {c: schema.matches(c) for c in names}
        assert {c: m for c, m in described.items() if len(m) != 1} == {}, table  # none missing, none ambiguous
        for c in names:
            metric = schema.metric(c)
            assert metric.key == c and metric.zh and metric.en and metric.unit.key in schema.units


@pytest.mark.parametrize("profile", PROFILES)
def test_every_standard_key_of_the_schema_exists(profile: str) -> None:
    standards = load_standards(profile)
    schema = vocabulary.metric_schema()
    columns = {c for names in metric_columns(profile).values() for c in names}
    keys = {schema.metric(c).standard for c in columns} | {
        schema.metric(k).standard for k in schema.keys if "{" not in k
    }
    keys.discard("")
    assert keys and all(standards.entry(k) is not None for k in keys)  # entry() raises for an unknown key
    templates = [k for k in schema.keys if "{" in k]
    used = {schema.metric(c).template for c in columns} - {""}
    assert set(templates) == used, "every template describes a column of the run"


def test_the_schema_agrees_with_the_problem_rules() -> None:
    schema = vocabulary.metric_schema()
    for rule in problem_rules():
        metric = schema.metric(rule.metric)
        assert metric.standard == rule.standard_key, rule.id
        assert metric.better == ("higher" if rule.compare in ("lt", "le") else "lower"), rule.id


def test_provision_metrics_quote_the_provision_standard() -> None:
    schema = vocabulary.metric_schema()
    provisions = tomllib.loads((DATA / "provision.toml").read_text("utf-8"))["provision"]
    for p in provisions:
        for stem in ("required", "gap"):
            assert schema.metric(f"{stem}_{p['key']}").standard == p["standard"], p["key"]


def test_metric_titles_and_units() -> None:
    schema = vocabulary.metric_schema()
    park = schema.metric("park_green_m2_per_capita")
    assert park.title("zh") == "人均公园绿地（平方米/人）" and park.title("en") == "Park green per person (m²/person)"
    walk = schema.metric("primary_school_coverage_500m_walk_ratio")
    assert walk.standard == "radius_m.primary_school" and walk.unit.percent
    assert walk.zh == "小学500米步行覆盖" and walk.en == "Primary school within 500 m walk"
    assert schema.metric("road_density_branch_km_per_km2").zh == "支路路网密度"
    assert schema.table_title("block_metrics") == "街区体检指标"
    assert schema.get("no_such_column") is None
    with pytest.raises(CatalogueError, match=r"metrics\.toml.*no_such_column"):
        schema.metric("no_such_column")


# ---------------------------------------------------------------- domains


def test_every_domain_loads_with_labels_in_both_languages() -> None:
    for domain in vocabulary.domain_names():
        terms = vocabulary.terms(domain)
        assert terms, domain
        for t in terms:
            assert t.zh and t.en, (domain, t)
            assert not re.search(r"[\u4e00-\u9fff]", t.en), (domain, t)  # English labels are English
        fills = vocabulary.colours(domain)
        assert not fills or set(fills) == {t.code for t in terms}, domain  # one colour per code, or none


def test_labels_of_list_fields_are_the_schemas() -> None:
    assert vocabulary.labels("resource_list.category") == value_labels("resource_list", "category")
    categories = next(f for f in list_table("resource_list").fields if f.name == "category")
    assert vocabulary.codes("resource_category") == categories.values
    assert vocabulary.label("resource_category", "idle_room", "en") == "Idle rooms in compounds"
    assert vocabulary.field_labels("strategy_list", "provenance") == value_labels("strategy_list", "provenance")
    assert vocabulary.label("problem_type", "交通出行", "zh") == "交通出行"  # Chinese codes label themselves
    assert vocabulary.label("problem_type", "交通出行", "en") == "Transport"
    assert vocabulary.label("resource_category", "no_such_code") == "no_such_code"
    with pytest.raises(BlockcheckError, match="not a domain"):
        vocabulary.labels("no_such_domain")


def test_the_life_cycle_is_the_project_status_in_order() -> None:
    status = next(f for f in list_table("project_list").fields if f.name == "status")
    stages = vocabulary.life_cycle()
    assert tuple(t.code for t in stages) == status.values == ("registered", "adjusted", "implementing", "done")
    assert [t.zh for t in stages] == [value_labels("project_list", "status")[c] for c in status.values]
    assert len({t.colour for t in stages}) == len(stages)


def test_colours_and_the_other_colour() -> None:
    assert (
        vocabulary.colour("resource_category", "idle_room") == vocabulary.colours("resource_list.category")["idle_room"]
    )
    assert (
        vocabulary.colour("project_domain", "无此领域")
        == tomllib.loads((DATA / "vocabulary.toml").read_text("utf-8"))["domains"]["project_domain"]["other"]
    )
    with pytest.raises(BlockcheckError, match="no colour"):
        vocabulary.colour("resource_category", "no_such_code")


def test_priority_classes() -> None:
    classes = vocabulary.priority_classes()
    assert [c.min for c in classes] == sorted((c.min for c in classes), reverse=True) and classes[-1].min == 0
    assert vocabulary.priority_index(99.0) == 0 and vocabulary.priority_index(float("nan")) == len(classes) - 1
    colour_classes = cp.priority_colour_classes("en")
    assert [c.label for c in colour_classes] == [c.en for c in reversed(classes)]
    for score in (0.0, 59.9, 60.0, 79.99, 80.0, 100.0, None):
        hits = [c for c in colour_classes if c.contains(score)]
        assert len(hits) == 1, score
        expected = classes[vocabulary.priority_index(score)]
        assert hits[0].colour == expected.colour


def _quoted_in(path: Path, text: str) -> bool:
    content = path.read_text("utf-8", errors="replace")
    return f'"{text}"' in content or f"'{text}'" in content


def _sources() -> list[Path]:
    files = [p for p in (ROOT / "blockcheck").rglob("*") if p.suffix in (".py", ".toml")]
    files += [p for p in (ROOT / "qgis_plugin").rglob("*") if p.suffix in (".py", ".qml", ".qpt", ".ui")]
    return [p for p in files if p.name != "vocabulary.toml"]


def test_each_colour_and_english_label_has_one_home() -> None:
    doc = tomllib.loads((DATA / "vocabulary.toml").read_text("utf-8"))
    colours = {c.lower() for d in doc["domains"].values() for c in d.get("colours", {}).values()}
    colours |= {c["colour"].lower() for c in doc["priority"]}
    words = {label for d in doc["domains"].values() for label in d.get("en", {}).values() if " " in label}
    files = _sources()
    for path in files:
        text = path.read_text("utf-8", errors="replace").lower()
        assert not {c for c in colours if c in text}, path  # grep finds each colour in vocabulary.toml only
    assert {str(p.relative_to(ROOT)): w for p in files for w in words if _quoted_in(p, w)} == {}


def test_report_settings_hold_no_vocabulary() -> None:
    report = tomllib.loads((DATA / "report.toml").read_text("utf-8"))
    for gone in ("problems", "strategies", "tasks", "phases", "demand", "projects", "data_gaps"):
        assert gone not in report
    assert set(report["resources"]) == {"background"}
    assert all(set(m) == {"name", "metric"} for m in report["maps"]["metric"])


@pytest.fixture
def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``broken(name, old, new)``: the vocabulary reads a copy of data/<name> with `old` replaced once."""
    import blockcheck.catalogue as catalogue

    shutil.copytree(DATA, tmp_path / "data")
    monkeypatch.setattr(catalogue, "data_path", lambda name: tmp_path / "data" / name)
    vocabulary.clear_caches()

    def edit(name: str, old: str, new: str) -> None:
        path = tmp_path / "data" / name
        text = path.read_text("utf-8")
        assert text.count(old) == 1, f"{old!r} not found once in {name}: the test needs a new anchor"
        path.write_text(text.replace(old, new), "utf-8")
        vocabulary.clear_caches()

    yield edit
    vocabulary.clear_caches()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'idle_site = "#e41a1c"',
            'idle_site = "red"',
            r"vocabulary\.toml: domains\.resource_category\.colours: .*#rrggbb",
        ),
        (
            'idle_site = "Idle sites"',
            'no_such = "Idle sites"',
            r"domains\.resource_category\.en: \['no_such'\] are not",
        ),
        (
            'field = "resource_list.category"\n',
            'field = "resource_list.note"\n',
            r"category\.field = 'resource_list\.note'",
        ),
    ],
)
def test_a_malformed_domain_is_a_catalogue_error(broken, old: str, new: str, message: str) -> None:
    broken("vocabulary.toml", old, new)
    with pytest.raises(CatalogueError, match=message):
        vocabulary.terms("resource_category")


def test_a_malformed_metric_entry_is_a_catalogue_error(broken) -> None:
    broken("metrics.toml", 'unit = "km_per_km2"\nstandard = "roads', 'unit = "km_per_km"\nstandard = "roads')
    with pytest.raises(CatalogueError, match=r'metrics\.toml: metric #\d+ \(key = "road_density_km_per_km2"\)\.unit'):
        vocabulary.metric_schema()


# ---------------------------------------------------------------- choropleth classes


def _fails(rule, value: float, threshold: float) -> bool:
    return {"lt": value < threshold, "le": value <= threshold, "gt": value > threshold, "ge": value >= threshold}[
        rule.compare
    ]


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("name", cp.choropleth_names())
def test_choropleth_classes_split_where_the_problem_rule_does(profile: str, name: str) -> None:
    standards = load_standards(profile)
    choro = cp.choropleth(name, standards)
    rule = next(r for r in problem_rules() if r.metric == choro.metric.key)
    entry = standards.entry(rule.threshold_standard)
    assert choro.threshold == float(entry.value) and choro.term == threshold_term(entry, "zh")
    bounds = sorted({b for c in choro.classes for b in (c.lower, c.upper) if b is not None})
    probes = [v for b in bounds for v in (b - 1e-6, b, b + 1e-6)] + [bounds[0] - 100, bounds[-1] + 100]
    for value in probes:
        hits = [c for c in choro.classes if c.contains(value)]
        assert len(hits) == 1, (value, hits)
        assert hits[0].meets is not _fails(rule, value, choro.threshold), value
    assert [c for c in choro.classes if c.contains(math.nan)] == [choro.classes[-1]]
    assert choro.classes[-1].label == "无数据"
    meeting = [c.label for c in choro.classes if c.meets]
    unit = "" if choro.metric.unit.percent else choro.metric.unit.zh
    number = f"{choro.threshold * 100:g}%" if choro.metric.unit.percent else f"{choro.threshold:g}"
    assert meeting[0].startswith((f"{number} – ", f"≥ {number}")) and meeting[0].endswith(f"达到{choro.term}")
    assert unit in meeting[0]


def test_park_green_classes_follow_the_profile() -> None:
    national = cp.choropleth("park_green_per_capita", load_standards("national"), "en")
    beijing = cp.choropleth("park_green_per_capita", load_standards("beijing"), "en")
    assert national.threshold == load_standards("national")["green.park_per_capita_min_m2"]
    assert beijing.threshold == load_standards("beijing")["green.park_per_capita_min_m2"]
    assert national.threshold != beijing.threshold
    assert any(
        c.label.startswith(f"{national.threshold:g} – ") and "meets the standard" in c.label for c in national.classes
    )
    assert any(
        c.label.startswith(f"≥ {beijing.threshold:g} ") and "meets the standard" in c.label for c in beijing.classes
    )


def test_choropleth_from_a_standards_used_table() -> None:
    standards = load_standards("national")
    table = standards_table(standards)
    from_object = cp.choropleth("park_coverage", standards)
    assert cp.choropleth("park_coverage", table) == from_object
    assert cp.choropleth("park_coverage", table.to_dict("records")) == from_object
    without = table[table["key"] != "green.park_coverage_min_ratio"]
    with pytest.raises(BlockcheckError, match="green.park_coverage_min_ratio"):
        cp.choropleth("park_coverage", without)
    with pytest.raises(BlockcheckError, match="not a choropleth"):
        cp.choropleth("no_such_map", standards)
