"""Catalogue faults name the file and the key (issue 13, point 6).

Each case copies one packaged catalogue of ``blockcheck/data/`` with one
mistake (a field removed, a value of the wrong type, an unknown name), points
the loaders at the copy (``blockcheck.catalogue.data_path``) and checks that
the loader raises :class:`~blockcheck.errors.CatalogueError` whose message
names the file and the key — never a bare ``KeyError`` or ``TypeError``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

import blockcheck.catalogue as catalogue
from blockcheck.allocation import AllocationError, allocation_rules
from blockcheck.catalogue import Entry, build, check_keys, load_data, require, require_tables
from blockcheck.errors import CatalogueError, CatalogueKeyError
from blockcheck.inputs.completeness import capacity_estimates, data_needs
from blockcheck.inputs.model import input_model
from blockcheck.lists.problems import problem_rules
from blockcheck.lists.project_catalogue import kind_sources, project_settings
from blockcheck.metrics.provision import ProvisionSpec, provision_specs
from blockcheck.surveys.vocabulary import demand_vocabulary

DATA = Path(catalogue.__file__).parent / "data"
_CACHED = (
    provision_specs,
    problem_rules,
    project_settings,
    input_model,
    data_needs,
    capacity_estimates,
)


def _clear_caches() -> None:
    for loader in _CACHED:
        loader.cache_clear()


@pytest.fixture
def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, str, str], None]]:
    """``broken(name, pattern, replacement)``: the loaders read a copy of data/<name> with `pattern` replaced once."""
    shutil.copytree(DATA, tmp_path / "data")
    monkeypatch.setattr(catalogue, "data_path", lambda name: tmp_path / "data" / name)
    _clear_caches()

    def edit(name: str, pattern: str, replacement: str) -> None:
        path = tmp_path / "data" / name
        text, count = re.subn(pattern, replacement, path.read_text("utf-8"), count=1, flags=re.MULTILINE)
        assert count == 1, f"{pattern!r} not found in {name}: the test needs a new anchor"
        path.write_text(text, "utf-8")

    yield edit
    _clear_caches()


def _message(loader: Callable[[], object]) -> str:
    with pytest.raises(CatalogueError) as err:
        loader()
    return str(err.value)


# ------------------------------------------------------------- the loaders ----


def test_provision_entry_without_its_standard(broken: Callable[[str, str, str], None]) -> None:
    broken("provision.toml", r'^standard = "facilities\.kindergarten_seats_per_1000"\n', "")
    message = _message(provision_specs)
    assert message.startswith("blockcheck/data/provision.toml: ")
    assert 'provision #1 (key = "kindergarten_seats")' in message
    assert "missing standard" in message


def test_provision_categories_of_the_wrong_type(broken: Callable[[str, str, str], None]) -> None:
    broken("provision.toml", r'^categories = \["kindergarten", "nursery"\]', 'categories = "kindergarten"')
    message = _message(provision_specs)
    assert message == (
        'blockcheck/data/provision.toml: provision #1 (key = "kindergarten_seats").categories = "kindergarten" '
        "must be a list [ … ]."
    )


def test_problem_rule_with_an_unknown_comparison(broken: Callable[[str, str, str], None]) -> None:
    broken("problem_rules.toml", r'^compare = "lt"', 'compare = "below"')
    message = _message(problem_rules)
    assert message.startswith('blockcheck/data/problem_rules.toml: rule #1 (id = "road_density_low"): compare')
    assert "'below'" in message


def test_problem_rule_without_its_metric(broken: Callable[[str, str, str], None]) -> None:
    broken("problem_rules.toml", r'^metric = "road_density_km_per_km2"\n', "")
    message = _message(problem_rules)
    assert message.startswith('blockcheck/data/problem_rules.toml: rule #1 (id = "road_density_low"): missing metric')


def test_project_kind_without_its_siting(broken: Callable[[str, str, str], None]) -> None:
    broken("projects.toml", r'(\[kinds\.elderly_care_beds\](?:\n(?!\[).*)*?)\nsiting = "allocation"', r"\1")
    message = _message(project_settings)
    assert message.startswith("blockcheck/data/projects.toml: ")
    assert "kinds.elderly_care_beds: missing ['siting']" in message


def test_unknown_project_kind_names_file_and_key() -> None:
    with pytest.raises(CatalogueKeyError) as err:
        kind_sources("moon_base")
    assert str(err.value).startswith("blockcheck/data/projects.toml: kinds.moon_base is missing")
    assert isinstance(err.value, KeyError)  # code that handles a KeyError still does


def test_allocation_rule_categories_of_the_wrong_type(tmp_path: Path) -> None:
    path = tmp_path / "allocation.toml"
    text = (DATA / "allocation.toml").read_text("utf-8")
    path.write_text(
        re.sub(r'^categories = \["idle_room", [^\]]*\]', 'categories = "idle_room"', text, count=1, flags=re.M)
    )
    with pytest.raises(AllocationError) as err:  # an AllocationError and a CatalogueError
        allocation_rules(path)
    assert isinstance(err.value, CatalogueError)
    message = str(err.value)
    assert message.startswith(f"Allocation catalogue {path}: rules #1 (elderly_care_beds): categories and ")
    assert "must be lists of names in quotes" in message


def test_input_model_field_with_an_unknown_vocabulary(broken: Callable[[str, str, str], None]) -> None:
    broken("input_model.toml", r'^vocabulary = "building_use"', 'vocabulary = "building_usage"')
    message = _message(input_model)
    assert message == (
        'blockcheck/data/input_model.toml: layers.buildings.fields #2 (name = "use").vocabulary = '
        "'building_usage' is not a [vocabularies.<name>] of the file."
    )


def test_input_model_layer_without_its_geometry(broken: Callable[[str, str, str], None]) -> None:
    broken("input_model.toml", r'(\[layers\.buildings\](?:\n(?!\[).*)*?)\ngeometry = "polygon"', r"\1")
    assert _message(input_model).startswith("blockcheck/data/input_model.toml: layers.buildings.geometry is missing")


def test_data_need_without_its_metrics(broken: Callable[[str, str, str], None]) -> None:
    broken("data_needs.toml", r'^metrics = \["population", (?:.|\n)*?\]\n', "")
    message = _message(data_needs)
    assert message.startswith(
        'blockcheck/data/data_needs.toml: need #1 (layer = "communities"): missing metrics (allowed: '
    )


def test_a_user_vocabulary_names_its_own_path(tmp_path: Path) -> None:
    path = tmp_path / "vocabulary.toml"
    text = (DATA / "demand_vocabulary.toml").read_text("utf-8")
    path.write_text(text.replace("[needs.", "[needs_typo.", 1) + '\n[needs]\nbroken = "text"\n', "utf-8")
    message = _message(lambda: demand_vocabulary(path))
    assert message.startswith(f"{path}: the demand vocabulary has")
    assert "needs.broken must be a table" in message


def test_not_toml_names_the_file_and_the_line(broken: Callable[[str, str, str], None]) -> None:
    broken("provision.toml", r"^\[\[provision\]\]", "[[provision]")
    message = _message(provision_specs)
    assert message.startswith("blockcheck/data/provision.toml: not valid TOML (")
    assert "line 9" in message


# ---------------------------------------------------------------- the helper ----


def test_load_data_of_a_missing_user_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=r"nope\.toml: file not found\. .*blockcheck/data/provision\.toml"):
        load_data("provision.toml", tmp_path / "nope.toml")


def test_entries_know_their_place_and_stay_dicts(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[pools."idle room"]\nfield = "floor_area_m2"\n\n[[rule]]\nkey = "a"\nn = 1\n\n[[rule]]\nid = "b"\nn = true\n',
        "utf-8",
    )
    doc = load_data("allocation.toml", path)
    first, second = require_tables(doc, "rule")
    assert isinstance(doc, dict) and doc["pools"] == {"idle room": {"field": "floor_area_m2"}}
    assert doc["pools"]["idle room"].key == 'pools."idle room"'
    assert (first.key, second.key) == ('rule #1 (key = "a")', 'rule #2 (id = "b")')
    assert require(first, "n", float) == 1  # a whole number is a number
    with pytest.raises(
        CatalogueError, match=rf'^{re.escape(str(path))}: rule #2 \(id = "b"\)\.n = true must be a number\.$'
    ):
        require(second, "n", float)
    assert require(second, "absent", str, default="x") == "x"
    with pytest.raises(
        CatalogueError, match=r"rule #1 \(key = \"a\"\): missing unit; unknown n \(allowed: key, unit\)\.$"
    ):
        check_keys(first, ["key", "unit"], [])
    with pytest.raises(CatalogueError, match=r"^f\.toml: pools must be an array of tables, each written \[\[pools\]\]"):
        require_tables(Entry({"pools": [1]}, "f.toml"), "pools")
    # pandas' map reads an entry as a plain dict: unknown values give NaN, not an error
    mapped = pd.Series(["a", "z"]).map(Entry({"a": 1}, "f.toml", "t"))
    assert mapped.iloc[0] == 1 and pd.isna(mapped.iloc[1])


def test_build_makes_a_dataclass_and_lists_what_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[[provision]]\nkey = "k"\nlabel_zh = "标签"\ncategories = ["a", "b"]\n', "utf-8")
    entry = require_tables(load_data("provision.toml", path), "provision")[0]
    with pytest.raises(CatalogueError) as err:
        build(ProvisionSpec, entry, {"categories": list})
    assert str(err.value).startswith(f'{path}: provision #1 (key = "k"): missing capacity, factor, standard,')
    entry.update(capacity="", factor=1.0, standard="s", standard_factor=1.0, per=1000, basis="population")
    spec = build(ProvisionSpec, entry, {"categories": list, "factor": float, "standard_factor": float, "per": float})
    assert spec.categories == ("a", "b") and spec.per == 1000 and spec.basis_standard == ""
