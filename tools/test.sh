#!/usr/bin/env bash
# The whole test suite: set up (tools/setup.sh), run `meson test`, then the
# same suite in the AddressSanitizer + UBSan build (tools/test-asan.sh) when
# VS_TEST_ASAN=1, then print one closing line "N passed, N failed" computed
# from the meson test logs of both runs. (Off by default until the ASan
# suite's open findings are fixed: tests/README.md, "Sanitizers".)
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

meson test -C _build --print-errorlogs --num-processes "$(nproc)" "$@"
status=$?
logs=(_build/meson-logs/testlog.json)

if [ "${VS_TEST_ASAN:-0}" != "0" ]; then
  rm -f _build-asan/meson-logs/testlog.json
  echo "== the suite again under ASan + UBSan + LeakSanitizer (tools/test-asan.sh) =="
  bash tools/test-asan.sh "$@"
  asan_status=$?
  [ "$asan_status" -ne 0 ] && status=$asan_status
  logs+=(_build-asan/meson-logs/testlog.json)
fi

for log in "${logs[@]}"; do
  if [ ! -s "$log" ]; then
    echo "$log: missing"
    echo "0 passed, 1 failed"
    exit 1
  fi
done
read -r passed failed skipped < <(python3 - "${logs[@]}" <<'PY'
import json, sys
p = f = s = 0
for path in sys.argv[1:]:
    for line in open(path, encoding="utf-8"):
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
