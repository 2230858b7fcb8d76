"""Duplicate feature ids: `repeated` finds what pandas finds, faster, and `check_ids` reports them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from blockcheck.inputs.ids import check_ids, repeated
from blockcheck.inputs.model import input_model
from blockcheck.inputs.report import ValidationReport


def _pandas(values: pd.Series) -> np.ndarray:
    return (values.notna() & values.duplicated(keep=False)).to_numpy()


@pytest.mark.parametrize(
    "values",
    [
        pd.Series(["B1", "B2", "B1", None, "B3", None, "B2", "B1"], dtype="str"),
        pd.Series(["a", np.nan, "b"], dtype=object),
        pd.Series([1, 2, 3, 2], dtype="int64"),
        pd.Series([1.0, np.nan, 1.0, np.nan], dtype="float64"),
        pd.Series([1, 1.0, "1", True], dtype=object),  # 1 == 1.0 == True for pandas too; "1" differs
        pd.Series([], dtype="str"),
        pd.Series(["only"], dtype="str"),
    ],
)
def test_repeated_equals_pandas_duplicated(values: pd.Series) -> None:
    assert repeated(values).tolist() == _pandas(values).tolist()


def test_repeated_compares_values_when_hashes_collide() -> None:
    assert hash(-1) == hash(-2)  # CPython: -1 is reserved, so hash(-1) is -2
    values = pd.Series([-1, -2, "x", -1], dtype=object)
    assert repeated(values).tolist() == [True, False, False, True]


def test_repeated_on_many_distinct_text_ids_marks_the_two_copies() -> None:
    values = pd.Series([f"B{i}" for i in range(50_000)], dtype="str")
    values.iloc[49_999] = "B17"
    found = repeated(values)
    assert np.flatnonzero(found).tolist() == [17, 49_999]


def test_check_ids_reports_each_repeated_id_once() -> None:
    spec = input_model().layers["buildings"]
    frame = pd.DataFrame({spec.id_field: ["B1", "B2", "B1", "B2", "B3", None, None]})
    report = ValidationReport(source="city.gpkg")
    check_ids(frame, spec, report)
    (issue,) = report.issues
    assert issue.code == "duplicate_id" and issue.layer == "buildings"
    assert issue.message.startswith(f"2 value(s) of '{spec.id_field}' occur more than once: B1, B2.")
