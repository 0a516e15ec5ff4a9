#!/usr/bin/env bash
# The main job: set up (tools/setup.sh), then open Vectorsmith. Without a
# display, train the bundled demo recipe with the CLI and print its baseline
# and final metrics instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh

export GSETTINGS_SCHEMA_DIR="$PWD/_build/data${GSETTINGS_SCHEMA_DIR:+:$GSETTINGS_SCHEMA_DIR}"
if [ -n "${WAYLAND_DISPLAY:-}" ] || [ -n "${DISPLAY:-}" ]; then
  exec _build/src/ui/vectorsmith "$@"
fi

echo "No display: training the demo recipe (data/demo/recipe.json) with vectorsmith-cli instead."
exec bash tools/demo.sh
