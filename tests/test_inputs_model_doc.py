"""docs/data-model.md is generated from the input model and must be current."""

from __future__ import annotations

from blockcheck.inputs.model import input_model
from blockcheck.inputs.model_doc import data_model_markdown
from districts import ROOT


def test_committed_data_model_doc_is_current() -> None:
    committed = (ROOT / "docs" / "data-model.md").read_text("utf-8")
    assert committed == data_model_markdown(), "regenerate: python -m blockcheck.inputs.model_doc > docs/data-model.md"


def test_doc_lists_every_layer_field_and_vocabulary_key() -> None:
    text = data_model_markdown()
    model = input_model()
    for name, spec in model.layers.items():
        assert f"## `{name}`" in text
        for fs in spec.fields:
            assert f"| `{fs.name}` |" in text
    for vocab in model.vocabularies.values():
        for key, label in vocab.labels_zh.items():
            assert f"| `{key}` | {label} |" in text


def test_vocabulary_normalises_keys_labels_and_aliases() -> None:
    model = input_model()
    fac = model.vocabulary("facility_category")
    assert fac.normalise("幼儿园") == "kindergarten"
    assert fac.normalise(" Kindergarten ") == "kindergarten"
    assert fac.normalise("养老院") == "elderly_care"
    assert fac.normalise("火星基地") is None
    assert model.vocabulary("road_class").normalise("主干路") == "arterial"
    assert model.vocabulary("land_use").normalise("二类居住用地") == "R2"


def test_committed_workbook_schema_doc_is_current() -> None:
    from blockcheck.lists.schema_doc import workbook_schema_markdown

    committed = (ROOT / "docs" / "workbook-schema.md").read_text("utf-8")
    assert committed == workbook_schema_markdown(), (
        "regenerate: python -m blockcheck.lists.schema_doc > docs/workbook-schema.md"
    )
