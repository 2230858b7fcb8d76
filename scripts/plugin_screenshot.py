#!/usr/bin/env python3
"""Screenshot of the plugin in real QGIS: the checklist editor docked over the sample district.

    .venv/bin/python scripts/plugin_screenshot.py [--out docs/img/plugin_editor.png] [--lang zh|en]

Builds the plugin zip, installs it into a throw-away QGIS profile (enabled, UI
in Chinese by default), starts the ``qgis`` binary under Xvfb, runs "Build the
eight lists" from Processing on the sample district (outputs added, styled),
docks the editor, selects a block's problems and saves the main window.

QGIS runs with the plugin's dependencies installed as its message and
docs/plugin.md say: the plugin's own install command, run once into
``.venv/qgis-plugin-libs`` (scripts/qgis_plugin_libs.py), that folder named by
``BLOCKCHECK_QGIS_LIBS`` and nothing of the venv on PYTHONPATH.
Needs the ``qgis`` and ``xvfb-run`` binaries (scripts/setup.sh --test).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from qgis_plugin_libs import plugin_libs  # noqa: E402 - importable only after the sys.path line above

SAMPLE = ROOT / "data" / "sample_blocks" / "sample_district.gpkg"
LAYERS = ("blocks", "communities", "roads", "green", "facilities", "buildings", "parcels", "parking")

IN_QGIS = """
import json, os, traceback
import processing, qgis.utils
from qgis.core import QgsProject
from qgis.PyQt.QtCore import QTimer, Qt

iface = qgis.utils.iface
state = {{}}

def step1():
    try:
        win = iface.mainWindow()
        win.resize({width}, {height})
        win.showMaximized()
        sample = {sample!r}
        params = {{n.upper(): sample + "|layername=" + n for n in {layers!r}}}
        params.update(OUTPUT_FOLDER={out_dir!r}, DEMANDS={demands!r}, VISIONS={visions!r})
        result = processing.runAndLoadResults("blockcheck:eightlists", params)
        roads = iface.addVectorLayer(sample + "|layername=roads", "道路 roads", "ogr")
        roads.renderer().symbol().setColor(Qt.GlobalColor.darkGray)
        plugin = qgis.utils.plugins["blockcheck_qgis"]
        dock = plugin.open_editor(result["WORKBOOK"])
        win.resizeDocks([dock], [{dock_width}], Qt.Horizontal)
        state["dock"] = dock
        state["workbook"] = result["WORKBOOK"]
        QTimer.singleShot(2500, step2)
    except Exception:
        finish({{"error": traceback.format_exc()}})

def step2():
    # select a block problems in the editor once QGIS has settled: the block is selected and zoomed to
    try:
        dock = state["dock"]
        dock.show_tab("problem_list")
        model = dock.models["problem_list"]
        rows = [i for i in range(model.rowCount()) if model.value(i, "scope") == {block!r}]
        dock.select_rows("problem_list", rows)
        view = dock.views["problem_list"]
        view.setFocus()
        view.scrollTo(model.index(rows[0], 0), view.PositionAtTop)
        state["rows"] = len(rows)
        state["selected_blocks"] = sum(l.selectedFeatureCount() for l in dock.store.project_layers("block_metrics"))
        iface.mapCanvas().refresh()
        QTimer.singleShot(3000, step3)
    except Exception:
        finish({{"error": traceback.format_exc()}})

def step3():
    try:
        iface.mapCanvas().waitWhileRendering()
        image = iface.mainWindow().grab()
        ok = image.save({png!r})
        finish({{"saved": ok, "size": [image.width(), image.height()], "rows": state.get("rows"),
                 "selected_blocks": state.get("selected_blocks")}})
    except Exception:
        finish({{"error": traceback.format_exc()}})

def finish(info):
    with open({result!r}, "w", encoding="utf-8") as fh:
        json.dump(info, fh, ensure_ascii=False)
    os._exit(0)

QTimer.singleShot(1000, step1)
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "plugin_editor.png")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="QGIS and plugin language (default zh)")
    parser.add_argument("--block", default="CP02-0101", help="block whose problems are selected")
    parser.add_argument("--size", default="1600x1000", help="screen size WxH")
    args = parser.parse_args(argv)
    if not (shutil.which("qgis") and shutil.which("xvfb-run")):
        print(
            "needs the qgis and xvfb-run binaries: sudo apt-get install qgis xvfb (or scripts/setup.sh --test)",
            file=sys.stderr,
        )
        return 2
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # for the build step's Qt use, not for QGIS
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_plugin

    width, height = (int(v) for v in args.size.split("x"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="blockcheck-shot-") as tmp:
        tmp = Path(tmp)
        zip_path = build_plugin.build(tmp / "dist")
        locale = "zh-Hans" if args.lang == "zh" else "en_US"
        build_plugin.install_in_profile(zip_path, tmp, settings=f"[locale]\noverrideFlag=true\nuserLocale={locale}\n")
        result = tmp / "result.json"
        code = tmp / "shot.py"
        code.write_text(
            textwrap.dedent(
                IN_QGIS.format(
                    width=width,
                    height=height,
                    sample=str(SAMPLE),
                    layers=LAYERS,
                    out_dir=str(tmp / "out"),
                    demands=str(SAMPLE.parent / "demand_survey.csv"),
                    visions=str(SAMPLE.parent / "vision_survey.csv"),
                    dock_width=int(width * 0.42),
                    block=args.block,
                    png=str(args.out.resolve()),
                    result=str(result),
                )
            ),
            "utf-8",
        )
        libs, _ = plugin_libs()  # the plugin's own install command, run once (again only when it changes)
        env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "PYTHONPATH")}
        env["BLOCKCHECK_QGIS_LIBS"] = str(libs)
        command = [
            "xvfb-run",
            "-a",
            "-s",
            f"-screen 0 {width}x{height}x24",
            "qgis",
            "--profiles-path",
            str(tmp),
            "--noversioncheck",
            "--nologo",
            "--code",
            str(code),
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
        if not result.is_file():
            print(done.stderr[-3000:], file=sys.stderr)
            return 1
        info = json.loads(result.read_text("utf-8"))
    if "error" in info or not info.get("saved"):
        print(info.get("error", info), file=sys.stderr)
        return 1
    print(
        f"{args.out} ({info['size'][0]}×{info['size'][1]}; {info['rows']} problem rows of {args.block} selected, "
        f"{info['selected_blocks']} block selected on the map)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
