"""Issue 16, point 6: without the survey parameters the eight-lists algorithm uses the surveys next to the input
(as ``blockcheck run`` does) and says which files; with none there, the log and the summary warn, saying how to fix.

Runs ``blockcheck:eightlists`` in real QGIS on the tiny district of tests/districts.py (two blocks).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from districts import tiny_layers, write_input

pytestmark = pytest.mark.qgis

DEMANDS = (
    "街道,社区,公共服务设施,公共空间,市政公用设施,交通停车问题\n"
    "回龙观街道,龙泽苑东区社区,文化活动室、养老,增加绿地,--,停车位不足\n"
    "回龙观街道,回龙观西社区,养老,--,--,停车位不足\n"
)
VISIONS = "街道,社区,愿景\n回龙观街道,龙泽苑东区社区,有口袋公园和健身步道\n"


@pytest.fixture(scope="module")
def tiny_inputs(tmp_path_factory) -> dict[str, Path]:
    """The tiny district as a GeoPackage twice: with the surveys next to it, and alone."""
    root = tmp_path_factory.mktemp("surveys")
    layers = tiny_layers()
    inputs = {}
    for case in ("with_surveys", "alone"):
        (root / case).mkdir()
        inputs[case] = write_input(root / case / "tiny.gpkg", layers)
    (root / "with_surveys" / "demand_survey.csv").write_text(DEMANDS, "utf-8")
    (root / "with_surveys" / "vision_survey.csv").write_text(VISIONS, "utf-8")
    return inputs


def _run(processing, gpkg: Path, out: Path, **extra) -> tuple[dict, str]:
    """Run the eight lists on every layer of `gpkg`; returns the outputs and the Processing log."""
    from qgis.core import QgsProcessingFeedback

    params = {name.upper(): f"{gpkg}|layername={name}" for name in tiny_layers()}
    feedback = QgsProcessingFeedback()
    result = processing.run("blockcheck:eightlists", {**params, **extra, "OUTPUT_FOLDER": str(out)}, feedback=feedback)
    return result, feedback.textLog()


def test_surveys_next_to_the_input_are_used_and_named_in_the_log(qgis_processing, tiny_inputs, tmp_path) -> None:
    result, log = _run(qgis_processing, tiny_inputs["with_surveys"], tmp_path / "out")
    folder = tiny_inputs["with_surveys"].parent
    assert result["N_demand_list"] > 0 and result["N_vision_list"] > 0
    for name in ("demand_survey.csv", "vision_survey.csv"):
        assert f"using {folder / name}, found next to the input {tiny_inputs['with_surveys']}" in log
    assert "no survey was given" not in log and "no survey was given" not in result["SUMMARY"]


def test_no_survey_given_or_found_warns_in_the_log_and_the_summary(qgis_processing, tiny_inputs, tmp_path) -> None:
    result, log = _run(qgis_processing, tiny_inputs["alone"], tmp_path / "out")
    assert result["N_demand_list"] == 0 and result["N_vision_list"] == 0
    summary = result["SUMMARY"]
    for parameter, names, title in (
        ("Demand survey", "demand_survey.xlsx / demand_survey.csv", "需求清单 (demand_list)"),
        ("Vision survey", "vision_survey.xlsx / vision_survey.csv", "愿景清单 (vision_list)"),
    ):
        warning = next(line for line in summary.splitlines() if line.startswith(parameter))
        assert "no survey was given" in warning and names in warning and f"the {title} is empty" in warning
        assert str(tiny_inputs["alone"].parent) in warning  # where to put the file
        assert "Choose the survey file in this parameter, or put it next to the input" in warning
        assert warning in log  # feedback.pushWarning: in the Processing log too
    assert ", found next to the input " not in log


def test_a_given_survey_wins_and_only_the_missing_one_warns(qgis_processing, tiny_inputs, tmp_path) -> None:
    given = tiny_inputs["with_surveys"].parent / "demand_survey.csv"
    result, log = _run(qgis_processing, tiny_inputs["alone"], tmp_path / "out", DEMANDS=str(given))
    assert result["N_demand_list"] > 0 and result["N_vision_list"] == 0
    assert ", found next to the input " not in log
    warnings = [line for line in result["SUMMARY"].splitlines() if "no survey was given" in line]
    assert len(warnings) == 1 and warnings[0].startswith("Vision survey")


def test_layers_without_a_file_look_nowhere_else(qgis_processing, tiny_inputs, tmp_path, monkeypatch) -> None:
    """Memory layers (or a database) have no "next to": the working directory is never searched."""
    from qgis.core import QgsFeatureRequest, QgsProject, QgsVectorLayer

    monkeypatch.chdir(tiny_inputs["with_surveys"].parent)  # holds demand_survey.csv and vision_survey.csv
    params = {}
    for name in tiny_layers():
        layer = QgsVectorLayer(f"{tiny_inputs['with_surveys']}|layername={name}", name, "ogr")
        params[name.upper()] = layer.materialize(QgsFeatureRequest())
        QgsProject.instance().addMapLayer(params[name.upper()])
    out = tmp_path / "out"
    result = qgis_processing.run("blockcheck:eightlists", {**params, "OUTPUT_FOLDER": str(out)})
    assert result["N_demand_list"] == 0 and result["N_vision_list"] == 0
    warnings = [line for line in result["SUMMARY"].splitlines() if "no survey was given" in line]
    assert len(warnings) == 2 and all(f"next to the input ({out})" in w for w in warnings)
