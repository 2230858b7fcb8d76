#!/usr/bin/env bash
# Set up blockcheck and run the main job on the sample district; results go to out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p out
.venv/bin/blockcheck validate data/sample_blocks/sample_district.gpkg --out out/sample --quiet
.venv/bin/blockcheck run data/sample_blocks/sample_district.gpkg --out out/sample
.venv/bin/blockcheck maps out/sample/workbook.gpkg --out out/sample/maps
.venv/bin/blockcheck atlas out/sample/workbook.gpkg --out out/sample/atlas.pdf --quiet
.venv/bin/blockcheck report out/sample/workbook.gpkg --out out/sample/report.pdf
echo ">> done: out/sample/workbook.gpkg (metrics and the eight lists), out/sample/eight_lists.xlsx, out/sample/validation_report.txt"
echo ">> hearing exports: out/sample/maps/ (PNG + SVG), out/sample/atlas.pdf, out/sample/report.pdf and report.html"
