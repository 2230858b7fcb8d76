"""Each Processing algorithm, run through ``processing.run`` in real QGIS on the sample district,
gives the same numbers as the core (issue 7, point 2): the plugin is correct iff it translates faithfully.

Inputs come from several providers at once — a memory layer (blocks), a Shapefile (roads) and
GeoPackage layers (the rest) — as a QGIS user would have them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from conftest import INPUT_LAYERS, SAMPLE_GPKG

pytestmark = pytest.mark.qgis


def _frame(path: Path, layer: str) -> pd.DataFrame:
    return pd.DataFrame(pyogrio.read_dataframe(path, layer=layer)).drop(columns="geometry", errors="ignore")


def _assert_same_table(plugin_wb: Path, core_wb: Path, layer: str, *, drop: tuple[str, ...] = ()) -> None:
    ours, theirs = _frame(plugin_wb, layer).drop(columns=list(drop)), _frame(core_wb, layer).drop(columns=list(drop))
    pd.testing.assert_frame_equal(ours, theirs, check_exact=False, rtol=1e-9)


@pytest.fixture(scope="module")
def input_params(qgis_processing, tmp_path_factory):
    """One parameter per input layer: blocks from a memory layer, roads from a Shapefile, the rest GeoPackage."""
    from qgis.core import (
        QgsCoordinateTransformContext,
        QgsFeatureRequest,
        QgsProject,
        QgsVectorFileWriter,
        QgsVectorLayer,
    )

    folder = tmp_path_factory.mktemp("inputs")
    params = {name.upper(): f"{SAMPLE_GPKG}|layername={name}" for name in INPUT_LAYERS}
    blocks = QgsVectorLayer(f"{SAMPLE_GPKG}|layername=blocks", "blocks", "ogr").materialize(QgsFeatureRequest())
    assert blocks.providerType() == "memory"
    QgsProject.instance().addMapLayer(blocks)
    params["BLOCKS"] = blocks
    roads = QgsVectorLayer(f"{SAMPLE_GPKG}|layername=roads", "roads", "ogr")
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName, options.fileEncoding = "ESRI Shapefile", "UTF-8"
    error = QgsVectorFileWriter.writeAsVectorFormatV3(
        roads, str(folder / "roads.shp"), QgsCoordinateTransformContext(), options
    )
    assert error[0] == QgsVectorFileWriter.WriterError.NoError, error
    params["ROADS"] = str(folder / "roads.shp")
    return params


@pytest.fixture(scope="module")
def lists_run(qgis_processing, input_params, tmp_path_factory):
    out = tmp_path_factory.mktemp("plugin_lists")
    surveys = {
        "DEMANDS": str(SAMPLE_GPKG.parent / "demand_survey.csv"),
        "VISIONS": str(SAMPLE_GPKG.parent / "vision_survey.csv"),
    }
    return qgis_processing.run("blockcheck:eightlists", {**input_params, **surveys, "OUTPUT_FOLDER": str(out)})


def test_provider_lists_every_algorithm(qgis_processing) -> None:
    from qgis.core import QgsApplication

    provider = QgsApplication.processingRegistry().providerById("blockcheck")
    assert sorted(a.id() for a in provider.algorithms()) == sorted(
        f"blockcheck:{n}" for n in ("validate", "healthcheck", "resources", "eightlists", "whatif", "exporthearing")
    )
    for algorithm in provider.algorithms():
        assert algorithm.canExecute()[0], algorithm.canExecute()[1]
        assert algorithm.shortHelpString() and algorithm.displayName()


def test_health_check_equals_the_core_and_loads_styled_layers(
    qgis_processing, input_params, core_lists_run, tmp_path
) -> None:
    from qgis.core import QgsProject, QgsRuleBasedRenderer

    from blockcheck.vocabulary import metric_schema

    QgsProject.instance().addMapLayer(input_params["BLOCKS"], False)
    result = qgis_processing.runAndLoadResults(
        "blockcheck:healthcheck", {**input_params, "OUTPUT_FOLDER": str(tmp_path)}
    )
    workbook = Path(result["WORKBOOK"])
    assert workbook == tmp_path / "workbook.gpkg"
    _assert_same_table(workbook, core_lists_run.workbook, "block_metrics")
    _assert_same_table(workbook, core_lists_run.workbook, "problem_list")
    assert result["N_block_metrics"] == 16 and result["N_problem_list"] == len(core_lists_run.problem_list)
    loaded = {
        layer.name(): layer for layer in QgsProject.instance().mapLayers().values() if str(workbook) in layer.source()
    }
    blocks = next(layer for name, layer in loaded.items() if "block_metrics" in name)
    assert isinstance(blocks.renderer(), QgsRuleBasedRenderer)  # one rule per class of the core's choropleth
    rules = blocks.renderer().rootRule().children()
    assert all('"road_density_km_per_km2"' in r.filterExpression() for r in rules)
    park = metric_schema().metric("park_green_m2_per_capita").label("zh")
    assert park == "人均公园绿地" and park in blocks.styleManager().styles()  # alternative choropleths
    assert any("problem_list" in name for name in loaded)
    styles = pyogrio.read_dataframe(workbook, layer="layer_styles")
    assert {"block_metrics", "problem_list"} <= set(styles["f_table_name"])
    assert styles.loc[styles["f_table_name"] == "block_metrics", "styleQML"].str.contains("RuleRenderer").any()
    # … so the GeoPackage opens styled without the plugin (QGIS loads the default style from layer_styles)
    from qgis.core import QgsVectorLayer

    plain = QgsVectorLayer(f"{workbook}|layername=block_metrics", "plain", "ogr")
    assert isinstance(plain.renderer(), QgsRuleBasedRenderer)
    problems = QgsVectorLayer(f"{workbook}|layername=problem_list", "plain", "ogr")
    assert problems.attributeAlias(problems.fields().indexOf("situation")) == "现状情况"
    assert problems.editorWidgetSetup(problems.fields().indexOf("type")).type() == "ValueMap"


def test_find_resources_equals_the_core(qgis_processing, input_params, core_lists_run, tmp_path) -> None:
    result = qgis_processing.run("blockcheck:resources", {**input_params, "OUTPUT_FOLDER": str(tmp_path)})
    workbook = Path(result["WORKBOOK"])
    _assert_same_table(workbook, core_lists_run.workbook, "resource_list")
    _assert_same_table(workbook, core_lists_run.workbook, "resource_summary")
    assert result["N_resource_list"] == len(core_lists_run.resource_list)
    styles = pyogrio.read_dataframe(workbook, layer="layer_styles")
    assert styles.loc[styles["f_table_name"] == "resource_list", "styleQML"].str.contains("categorizedSymbol").any()


def test_eight_lists_equal_the_core(lists_run, core_lists_run) -> None:
    workbook = Path(lists_run["WORKBOOK"])
    for table in (
        "block_metrics",
        "problem_list",
        "resource_list",
        "demand_list",
        "vision_list",
        "strategy_list",
        "policy_list",
        "task_list",
        "project_list",
        "allocation",
        "allocation_remaining",
    ):
        _assert_same_table(workbook, core_lists_run.workbook, table)
    _assert_same_table(workbook, core_lists_run.workbook, "project_history", drop=("changed_at",))
    assert {t: lists_run[f"N_{t}"] for t in core_lists_run.lists} == {
        t: len(f) for t, f in core_lists_run.lists.items()
    }
    styles = pyogrio.read_dataframe(workbook, layer="layer_styles")
    project_styles = styles[styles["f_table_name"] == "project_list"]
    assert (
        project_styles["styleName"].str.contains("项目状态").any()
        and project_styles["styleName"].str.contains("优先级").any()
    )
    assert Path(lists_run["EXCEL"]).is_file()


def test_what_if_equals_the_core(qgis_processing, lists_run) -> None:
    from qgis.core import QgsVectorLayer

    from blockcheck.whatif import what_if

    workbook = lists_run["WORKBOOK"]
    projects = _frame(Path(workbook), "project_list")
    ids = [
        projects.loc[projects["amount_unit"] == "road_km", "project_id"].iloc[0],
        projects.loc[projects["amount_unit"] != "road_km", "project_id"].iloc[0],
    ]
    result = qgis_processing.run(
        "blockcheck:whatif", {"WORKBOOK": workbook, "PROJECTS": "，".join(ids), "OUTPUT": "memory:"}
    )
    layer = result["OUTPUT"]
    assert isinstance(layer, QgsVectorLayer)
    ours = pd.DataFrame([f.attributes() for f in layer.getFeatures()], columns=layer.fields().names())
    theirs = what_if(workbook, ids)
    assert len(ours) == len(theirs)
    pd.testing.assert_frame_equal(
        ours.astype(dict.fromkeys(("before", "after", "change"), float)).fillna(float("nan")),
        theirs.reset_index(drop=True),
        check_dtype=False,
    )
    assert (theirs["change"].abs() > 0).any()


def test_validate_honours_selections_and_reports_core_errors(qgis_processing, tmp_path) -> None:
    from qgis.core import (
        QgsFeature,
        QgsFeatureRequest,
        QgsProcessingException,
        QgsProcessingFeatureSourceDefinition,
        QgsProject,
        QgsVectorLayer,
    )

    blocks = QgsVectorLayer(f"{SAMPLE_GPKG}|layername=blocks", "blocks", "ogr")
    QgsProject.instance().addMapLayer(blocks)
    blocks.selectByIds([f.id() for f in blocks.getFeatures()][:3])
    selected = QgsProcessingFeatureSourceDefinition(blocks.id(), selectedFeaturesOnly=True)
    result = qgis_processing.run("blockcheck:validate", {"BLOCKS": selected, "OUTPUT_FOLDER": str(tmp_path / "ok")})
    assert result["ERRORS"] == 0 and Path(result["CHECKED"]).is_file()
    assert pyogrio.read_info(tmp_path / "ok" / "input_from_qgis.gpkg", layer="blocks")["features"] == 3
    # the user's own names, through the field-mapping parameter
    renamed = blocks.materialize(QgsFeatureRequest())
    renamed.dataProvider().renameAttributes({renamed.fields().indexOf("block_id"): "街区编码"})
    renamed.updateFields()
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[layers.blocks]\nsource = "我的街区"\n[layers.blocks.fields]\nblock_id = "街区编码"\n', "utf-8")
    result = qgis_processing.run(
        "blockcheck:validate", {"BLOCKS": renamed, "MAPPING": str(mapping), "OUTPUT_FOLDER": str(tmp_path / "mapped")}
    )
    assert result["ERRORS"] == 0
    assert [name for name, _ in pyogrio.list_layers(tmp_path / "mapped" / "input_from_qgis.gpkg")] == ["我的街区"]
    # blocks without their id field: the core's ValidationError arrives as a QgsProcessingException with its message
    broken = blocks.materialize(QgsFeatureRequest())
    broken.dataProvider().deleteAttributes([broken.fields().indexOf("block_id")])
    broken.updateFields()
    assert isinstance(next(broken.getFeatures()), QgsFeature)
    with pytest.raises(QgsProcessingException, match="block_id"):
        qgis_processing.run("blockcheck:validate", {"BLOCKS": broken, "OUTPUT_FOLDER": str(tmp_path / "bad")})
    assert (tmp_path / "bad" / "validation_report.txt").is_file()


def test_progress_and_cancel_go_through_feedback(qgis_processing, input_params, tmp_path) -> None:
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    class CancelAfterValidation(QgsProcessingFeedback):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[float] = []

        def setProgress(self, progress: float) -> None:  # noqa: N802 - QgsProcessingFeedback's method
            self.seen.append(progress)
            super().setProgress(progress)
            if progress >= 15:
                self.cancel()

    feedback = CancelAfterValidation()
    with pytest.raises(QgsProcessingException, match="Canceled"):
        qgis_processing.run(
            "blockcheck:healthcheck", {**input_params, "OUTPUT_FOLDER": str(tmp_path)}, feedback=feedback
        )
    assert feedback.seen and max(feedback.seen) < 50
    assert not (tmp_path / "workbook.gpkg").exists()


def test_export_hearing_maps_and_atlas(qgis_processing, lists_run, tmp_path) -> None:
    pytest.importorskip(
        "blockcheck.report.atlas", reason="blockcheck.report (hearing exports) is not in this checkout yet"
    )
    from blockcheck.report.atlas import FIXED_PAGES
    from blockcheck.report.maps import map_names

    name = map_names()[0]
    result = qgis_processing.run(
        "blockcheck:exporthearing",
        {
            "WORKBOOK": lists_run["WORKBOOK"],
            "LANG": 0,
            "DPI": 200,
            "MAP_NAMES": name,
            "MAPS_FOLDER": str(tmp_path / "maps"),
            "ATLAS_PDF": str(tmp_path / "atlas.pdf"),
        },
    )
    assert sorted(Path(p).name for p in result["MAP_FILES"].splitlines()) == [f"{name}.png", f"{name}.svg"]
    pdf = Path(result["ATLAS_PDF"]).read_bytes()
    assert pdf.startswith(b"%PDF")
    assert _pdf_pages(pdf) == FIXED_PAGES + 16


def _pdf_pages(data: bytes) -> int:
    import re

    counts = [int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)]
    counts += [int(n) for n in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", data)]
    return max(counts) if counts else len(re.findall(rb"/Type\s*/Page\b", data))


def test_run_from_the_sample_layers_keeps_the_synthetic_notice(lists_run, core_lists_run) -> None:
    # the plugin hands the core a copy of the layers: the sample's dataset_info (synthetic = true) goes with it
    meta = pyogrio.read_dataframe(Path(lists_run["WORKBOOK"]), layer="blockcheck_meta").set_index("key")["value"]
    assert meta["synthetic"] == "true"
    _assert_same_table(Path(lists_run["WORKBOOK"]), core_lists_run.workbook, "data_gaps")
    _assert_same_table(Path(lists_run["WORKBOOK"]), core_lists_run.workbook, "metric_status")
