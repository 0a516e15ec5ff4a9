#!/usr/bin/env bash
# The metainfo's screenshots are the GUI tests' own: every image it names is
# in data/screenshots and listed in tools/screenshots.list (which copies it
# from a test's screenshot), and every listed one is named; each is a PNG.
set -euo pipefail
cd "${VS_SOURCE_DIR:?}"
metainfo=data/io.github.vectorsmith.Vectorsmith.metainfo.xml.in
named=$(grep -o '<image>[^<]*</image>' "$metainfo" | sed -E 's|<image>.*/([^/]+)\.png</image>|\1|' | sort)
listed=$(awk 'NF {print $1}' tools/screenshots.list | sort)
if [ "$named" != "$listed" ]; then
  echo "metainfo names: $named"; echo "tools/screenshots.list: $listed"; exit 1
fi
for n in $named; do
  f="data/screenshots/$n.png"
  [ -f "$f" ] || { echo "$f: missing"; exit 1; }
  head -c 8 "$f" | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a' || { echo "$f: not a PNG"; exit 1; }
done
echo "$(echo "$named" | wc -w) metainfo screenshots, all from the GUI tests"
