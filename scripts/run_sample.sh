#!/usr/bin/env bash
# Set up blockcheck and run the main job on the sample district; results go to out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p out
.venv/bin/blockcheck validate data/sample_blocks/sample_district.gpkg --out out/sample --quiet
.venv/bin/blockcheck run data/sample_blocks/sample_district.gpkg --out out/sample
echo ">> done: out/sample/workbook.gpkg (block_metrics, area_metrics, problem_list) and out/sample/validation_report.txt"
