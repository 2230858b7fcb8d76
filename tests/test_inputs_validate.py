"""Every validation problem of issue 2, each on a bad input built here, through the API and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon

from blockcheck.inputs.validate import validate_input
from districts import tiny_layers, write_input

BAD_BOWTIE = Polygon([(0, 0), (10, 10), (10, 0), (0, 10), (0, 0)])


def _run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "blockcheck.cli", *args], capture_output=True, text=True, cwd=cwd, check=False
    )


def _check(path: Path, **kw):
    return validate_input(path, **kw).report


def test_tiny_input_is_valid(tiny_input: Path) -> None:
    checked = validate_input(tiny_input)
    assert checked.ok, checked.report.format()
    assert checked.crs.to_epsg() == 4548
    assert set(checked.layers) == {
        "blocks",
        "communities",
        "roads",
        "green",
        "facilities",
        "buildings",
        "parcels",
        "parking",
    }
    assert checked.layers["communities"]["population"].sum() == 5000
    assert checked.layers["blocks"].area.sum() == pytest.approx(80_000.0)


def _bad(tmp_path: Path, edit) -> Path:
    layers = tiny_layers()
    edit(layers)
    return write_input(tmp_path / "bad.gpkg", layers)


def _expect(report, code: str, layer: str, *, ids: set[str] | None = None, severity: str = "error") -> None:
    hits = [i for i in report.issues if i.code == code and i.layer == layer and i.severity == severity]
    assert hits, report.format()
    assert hits[0].fix, "every issue says how to fix it"
    if ids is not None:
        assert set(hits[0].ids) == ids


def test_missing_required_layer(tmp_path: Path) -> None:
    report = _check(_bad(tmp_path, lambda ls: ls.pop("blocks")))
    _expect(report, "missing_layer", "blocks")
    assert "available:" in report.format()


def test_missing_optional_layer_is_a_warning_naming_lost_metrics(tmp_path: Path) -> None:
    report = _check(_bad(tmp_path, lambda ls: ls.pop("parking")))
    assert report.ok
    _expect(report, "missing_layer", "parking", severity="warning")
    assert "parking_gap_spaces" in report.format()


def test_missing_required_field(tmp_path: Path) -> None:
    report = _check(_bad(tmp_path, lambda ls: ls.__setitem__("roads", ls["roads"].drop(columns="class"))))
    _expect(report, "missing_field", "roads")


def test_wrong_type(tmp_path: Path) -> None:
    def edit(ls):
        ls["communities"]["population"] = ["3000", "约2000人"]

    report = _check(_bad(tmp_path, edit))
    _expect(report, "wrong_type", "communities", ids={"C2"})


def test_unknown_category_value(tmp_path: Path) -> None:
    def edit(ls):
        ls["facilities"]["category"] = ["幼儿园", "社区养老驿站"]  # 1st is a Chinese label (accepted), 2nd unknown

    report = _check(_bad(tmp_path, edit))
    _expect(report, "unknown_category", "facilities", ids={"F2"})
    assert "社区养老驿站" in report.format()


def test_invalid_geometry_reported_and_repaired(tmp_path: Path) -> None:
    def edit(ls):
        x0, y0 = ls["green"].geometry.iloc[0].bounds[:2]
        ls["green"].loc[0, "geometry"] = Polygon([(x0 + x, y0 + y) for x, y in BAD_BOWTIE.exterior.coords])

    path = _bad(tmp_path, edit)
    _expect(_check(path), "invalid_geometry", "green", ids={"G1"})
    repaired = validate_input(path, repair=True)
    assert repaired.ok
    _expect(repaired.report, "geometry_repaired", "green", severity="warning")
    assert repaired.layers["green"].is_valid.all()
    assert repaired.layers["green"].area.iloc[0] == pytest.approx(50.0)  # two 25 m² triangles


def test_empty_geometry(tmp_path: Path) -> None:
    def edit(ls):
        ls["buildings"].loc[2, "geometry"] = None

    _expect(_check(_bad(tmp_path, edit)), "empty_geometry", "buildings", ids={"B3"})


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_missing_crs(tmp_path: Path) -> None:
    def edit(ls):
        ls["roads"] = ls["roads"].set_crs(None, allow_override=True)

    _expect(_check(_bad(tmp_path, edit)), "missing_crs", "roads")


def test_layers_in_different_crs(tmp_path: Path) -> None:
    def edit(ls):
        ls["green"] = ls["green"].to_crs(4326)

    report = _check(_bad(tmp_path, edit))
    _expect(report, "mixed_crs", "(all layers)")
    assert "EPSG:4326" in report.format() and "EPSG:4548" in report.format()


def test_duplicate_ids(tmp_path: Path) -> None:
    def edit(ls):
        ls["blocks"]["block_id"] = ["CP02-0101", "CP02-0101"]

    report = _check(_bad(tmp_path, edit))
    _expect(report, "duplicate_id", "blocks")
    assert "CP02-0101" in report.format()


def test_empty_layer(tmp_path: Path) -> None:
    def edit(ls):
        ls["parking"] = ls["parking"].iloc[0:0]

    _expect(_check(_bad(tmp_path, edit)), "empty_layer", "parking")


def test_negative_population_and_capacity(tmp_path: Path) -> None:
    def edit(ls):
        ls["communities"]["population"] = [3000, -5]
        ls["facilities"]["beds"] = [None, -50.0]

    report = _check(_bad(tmp_path, edit))
    _expect(report, "negative_value", "communities", ids={"C2"})
    _expect(report, "negative_value", "facilities", ids={"F2"})


def test_overlapping_blocks(tmp_path: Path) -> None:
    def edit(ls):
        ls["blocks"].loc[1, "geometry"] = ls["blocks"].geometry.iloc[1].buffer(30, join_style="mitre")

    report = _check(_bad(tmp_path, edit))
    _expect(report, "overlapping_blocks", "blocks", ids={"CP02-0101", "CP02-0102"})
    assert "6,000 m²" in report.format()  # 30 m × 200 m overlap strip


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    def edit(ls):
        ls["blocks"]["block_id"] = ["CP02-0101", "CP02-0101"]
        ls["communities"]["population"] = [3000, -5]
        ls["facilities"]["category"] = ["幼儿园", "不存在"]
        ls["roads"] = ls["roads"].drop(columns="status")

    report = _check(_bad(tmp_path, edit))
    assert {"duplicate_id", "negative_value", "unknown_category", "missing_field"} <= report.codes("error")


def _write_shapefile_gbk(folder: Path, *, cpg: bool) -> None:
    import warnings

    warnings.filterwarnings("ignore", "Normalized/laundered field name", RuntimeWarning)
    warnings.filterwarnings("ignore", "Column names longer than 10", UserWarning)
    folder.mkdir()
    layers = tiny_layers()
    for name, frame in layers.items():
        if name == "facilities":
            frame = frame[frame.geometry.geom_type == "Point"]
        if name == "parking":
            continue
        frame.to_file(folder / f"{name}.shp", encoding="GB18030", engine="pyogrio")
        if not cpg:
            (folder / f"{name}.cpg").unlink(missing_ok=True)


def test_gbk_shapefile_without_cpg_is_detected_and_read(tmp_path: Path) -> None:
    folder = tmp_path / "shp"
    _write_shapefile_gbk(folder, cpg=False)
    raw = (folder / "blocks.dbf").read_bytes()
    assert "龙泽苑街区".encode("gb18030") in raw  # really GBK bytes on disk
    checked = validate_input(folder)
    assert checked.ok, checked.report.format()
    _expect(checked.report, "encoding_detected", "blocks", severity="warning")
    assert checked.layers["blocks"]["name"].tolist() == ["龙泽苑街区", "回龙观西街区"]
    assert checked.layers["communities"]["subdistrict"].iloc[0] == "回龙观街道"


def test_undecodable_shapefile_gets_a_clear_message(tmp_path: Path) -> None:
    folder = tmp_path / "shp"
    _write_shapefile_gbk(folder, cpg=False)
    dbf = folder / "blocks.dbf"
    data = dbf.read_bytes()
    gbk = "龙泽苑街区".encode("gb18030")
    dbf.write_bytes(data.replace(gbk, b"\xff\xfe\xff\xfe\xff\xfe\xff\xfe\xff\xfe"[: len(gbk)]))
    report = _check(folder)
    _expect(report, "unknown_encoding", "blocks")


def test_mapping_with_chinese_fields_and_values(tmp_path: Path) -> None:
    layers = tiny_layers()
    fac = layers["facilities"].rename(columns={"category": "设施类型", "beds": "床位数量", "name": "设施名称"})
    fac["设施类型"] = ["托儿园所", "社区养老驿站"]
    layers["公共服务设施"] = fac
    del layers["facilities"]
    path = write_input(tmp_path / "cn.gpkg", layers)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[layers.facilities]\nsource = "公共服务设施"\n'
        '[layers.facilities.fields]\ncategory = "设施类型"\nbeds = "床位数量"\nname = "设施名称"\n'
        '[layers.facilities.values.category]\n"托儿园所" = "kindergarten"\n"社区养老驿站" = "elderly_day_care"\n',
        encoding="utf-8",
    )
    from blockcheck.inputs.field_mapping import load_mapping

    checked = validate_input(path, load_mapping(mapping))
    assert checked.ok, checked.report.format()
    fac_out = checked.layers["facilities"]
    assert fac_out["category"].tolist() == ["kindergarten", "elderly_day_care"]
    assert fac_out["beds"].iloc[1] == 50.0
    assert fac_out["name"].tolist() == ["幼儿园", "养老院"]


def test_mapping_errors_are_all_listed(tmp_path: Path) -> None:
    from blockcheck.errors import MappingError
    from blockcheck.inputs.field_mapping import load_mapping

    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[layers.facility]\nsource="x"\n[layers.roads.fields]\nklass = "等级"\n'
        '[layers.roads.values.class]\n"城市主路" = "arterial_road"\n',
        encoding="utf-8",
    )
    with pytest.raises(MappingError) as err:
        load_mapping(mapping)
    text = str(err.value)
    assert (
        "3 problem(s)" in text
        and "did you mean facilities" in text
        and "'arterial_road' is not a road_class key" in text
    )


# ------------------------------------------------------------------ the CLI


def test_cli_validate_ok_and_writes_checked_input(tiny_input: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = _run_cli("validate", str(tiny_input), "--out", str(out), "--standards", "national")
    assert proc.returncode == 0, proc.stderr
    assert "0 error(s)" in proc.stdout
    import pyogrio

    names = {n for n, _ in pyogrio.list_layers(out / "input_checked.gpkg")}
    assert {"blocks", "blockcheck_meta", "standards_used", "validation_report"} <= names
    meta = pyogrio.read_dataframe(out / "input_checked.gpkg", layer="blockcheck_meta").set_index("key")["value"]
    assert meta["standards_profile"] == "national"
    assert meta["crs"] == "EPSG:4548"


@pytest.mark.parametrize(
    "edit",
    [
        lambda ls: ls.pop("blocks"),
        lambda ls: ls["communities"].__setitem__("population", [3000, -5]),
        lambda ls: ls["blocks"].__setitem__("block_id", ["CP02-0101", "CP02-0101"]),
    ],
)
def test_cli_bad_input_exit_code_and_no_traceback(tmp_path: Path, edit) -> None:
    path = _bad(tmp_path, edit)
    out = tmp_path / "out"
    out.mkdir()
    (out / "input_checked.gpkg").write_bytes(b"previous result")
    proc = _run_cli("validate", str(path), "--out", str(out))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "How to fix" in proc.stdout
    assert (out / "input_checked.gpkg").read_bytes() == b"previous result"  # nothing saved is lost


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["validate", "no/such/file.gpkg"], "not found"),
        (["validate", "{tiny}", "--standards", "mars"], "not found"),
        (["validate", "{tiny}", "--crs", "EPSG:4326"], "not a projected CRS in metres"),
        (["validate", "{tiny}", "--crs", "EPSG:999999"], "not understood"),
        (["validate", "{tiny}", "--mapping", "missing.toml"], "Mapping file"),
        (["validate", "{notgpkg}"], "cannot be opened"),
    ],
)
def test_cli_bad_options_clear_message(tiny_input: Path, tmp_path: Path, args, needle) -> None:
    notgpkg = tmp_path / "notes.gpkg"
    notgpkg.write_text("this is not a GeoPackage", encoding="utf-8")
    proc = _run_cli(*[a.format(tiny=tiny_input, notgpkg=notgpkg) for a in args], cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert needle in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


def test_cli_json_report(tmp_path: Path) -> None:
    path = _bad(tmp_path, lambda ls: ls["communities"].__setitem__("population", [3000, -5]))
    proc = _run_cli("validate", str(path), "--json")
    assert proc.returncode == 2
    doc = json.loads(proc.stdout)
    assert doc["ok"] is False
    assert any(i["code"] == "negative_value" and i["ids"] == ["C2"] for i in doc["issues"])


def test_points_are_accepted_for_facilities_and_rejected_for_blocks(tmp_path: Path) -> None:
    def edit(ls):
        ls["blocks"] = gpd.GeoDataFrame(
            ls["blocks"].drop(columns="geometry"),
            geometry=[Point(440_000, 4_430_000), Point(440_100, 4_430_000)],
            crs=ls["blocks"].crs,
        )

    _expect(_check(_bad(tmp_path, edit)), "wrong_geometry_type", "blocks")
