#!/bin/sh
# Load a 1,000,000-row pairs dataset as JSONL, CSV and Parquet with
# vectorsmith; the same Parquet file with hyparquet (npm) beside it.
# Prints seconds and peak memory (target: peak under 2x the text bytes).
#   bench/data/run.sh [BUILD_DIR] [ROWS]
# Needs `npm ci` in tests/reference/data-js (parquet-wasm writes the file).
set -eu
cd "$(dirname "$0")/../.."
BUILD=${1:-_build}
ROWS=${2:-1000000}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
node bench/data/gen-pairs.mjs "$TMP" "$ROWS"
ls -l "$TMP"
for f in pairs.jsonl pairs.csv pairs.parquet; do
  "$BUILD/bench/data/bench-data-load" "$TMP/$f"
done
node bench/data/read-hyparquet.mjs "$TMP/pairs.parquet"
