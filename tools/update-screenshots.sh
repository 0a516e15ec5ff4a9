#!/usr/bin/env bash
# Copies the screenshots the GUI tests took (meson test --suite app) into
# data/screenshots, for the metainfo: what app stores show is what the tests
# saw. The list below is the only source of those files; the 'metainfo-
# screenshots' test checks that the metainfo names exactly these.
# Usage: bash tools/update-screenshots.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-_build}
shots="$build/tests/app/screenshots"

# data/screenshots/NAME.png  <-  the test's screenshot
while read -r name source; do
  [ -z "$name" ] && continue
  if [ ! -f "$shots/$source.png" ]; then
    echo "$shots/$source.png: missing (run meson test -C $build --suite app first)" >&2
    exit 1
  fi
  cp "$shots/$source.png" "data/screenshots/$name.png"
  echo "data/screenshots/$name.png <- $source.png"
done < tools/screenshots.list
