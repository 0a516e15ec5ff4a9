#!/bin/sh
# Serving latency and throughput beside `encode` of the same model.
#   bench/serve/run.sh [BUILD_DIR] [THREADS] [REQUESTS]
# A `tiny` random BERT (new-model, the MiniLM tokenizer from
# $VS_SHARED_DATA, default ../shared/data); `vectorsmith-cli serve` on port 0;
# bench-serve.mjs sends REQUESTS (default 400) one-text requests from 1 and
# then 8 concurrent clients and reports p50/p99 latency and requests/s; then
# `encode` embeds the same texts in one process (sentences/s). Prints the CPU
# and the figures, then one JSON line. Compare ratios within one run: the
# machine may be shared.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${1:-_build}
THREADS=${2:-$(nproc)}
REQUESTS=${3:-400}
CLI="$BUILD/src/cli/vectorsmith-cli"
DATA=${VS_SHARED_DATA:-../shared/data}
TMP=$(mktemp -d)
SERVER=
cleanup () {
  if [ -n "$SERVER" ]; then kill -TERM "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
"$CLI" new-model --architecture bert --preset tiny --tokenizer "$DATA/models/all-MiniLM-L6-v2" --seed 1 "$TMP/model" >/dev/null
mkfifo "$TMP/out"
"$CLI" serve "$TMP/model" --port 0 --threads "$THREADS" --max-batch 64 >"$TMP/out" 2>"$TMP/err" &
SERVER=$!
read -r _ _ URL <"$TMP/out"
CPU=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
echo "CPU: $CPU ($(nproc) cores), threads $THREADS"
echo "server: $URL"
node bench/serve/bench-serve.mjs "$URL" "$REQUESTS" >"$TMP/serve.json"
node bench/serve/bench-serve.mjs --texts "$REQUESTS" >"$TMP/texts.txt"
T0=$(date +%s.%N)
"$CLI" encode "$TMP/model" --threads "$THREADS" --batch-size 64 <"$TMP/texts.txt" >/dev/null
T1=$(date +%s.%N)
/usr/bin/python3 - "$TMP/serve.json" "$T0" "$T1" "$REQUESTS" "$CPU" "$THREADS" <<'PY'
import json, sys
serve = json.load(open(sys.argv[1]))
t0, t1, n = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
encode = n / (t1 - t0)
for c in serve["runs"]:
    print("%d client(s): p50 %7.2f ms  p99 %7.2f ms  %8.1f requests/s  (%.2f of encode's rate)"
          % (c["clients"], c["p50_ms"], c["p99_ms"], c["requests_per_s"], c["requests_per_s"] / encode))
print("encode (one process, batch 64): %.1f sentences/s (incl. model load)" % encode)
print(json.dumps({"cpu": sys.argv[5], "threads": int(sys.argv[6]), "requests": n,
                  "serve": serve["runs"], "encode_sentences_per_s": encode}))
PY
