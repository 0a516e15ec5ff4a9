#!/usr/bin/env bash
# The whole test suite: set up (tools/setup.sh), run `meson test`, then print
# one closing line "N passed, N failed" computed from meson's test log.
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

meson test -C _build --print-errorlogs --num-processes "$(nproc)" "$@"
status=$?

log=_build/meson-logs/testlog.json
if [ ! -s "$log" ]; then
  echo "0 passed, 1 failed"
  exit 1
fi
read -r passed failed skipped < <(python3 - "$log" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.strip()
    if not line:
        continue
    r = json.loads(line).get("result")
    if r in ("OK", "EXPECTEDFAIL"):
        p += 1
    elif r == "SKIP":
        s += 1
    else:
        f += 1
print(p, f, s)
PY
)
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
