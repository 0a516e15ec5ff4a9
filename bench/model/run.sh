#!/bin/sh
# Encoder throughput beside PyTorch: the `mini` preset shape (BERT 6 x 384),
# 128 tokens per text, batch 64, inference and a training step.
#   bench/model/run.sh [BUILD_DIR] [THREADS]
# PyTorch runs with OMP_WAIT_POLICY=PASSIVE (it more than doubles its CPU speed here).
set -eu
cd "$(dirname "$0")/../.."
BUILD=${1:-_build}
THREADS=${2:-0}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
/usr/bin/python3 bench/model/model_bench.py make "$TMP/mini"
C=$("$BUILD/bench/model/bench-model" "$TMP/mini" --batch 64 --tokens 128 --iters 3 --threads "$THREADS")
P=$(OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/model/model_bench.py run "$TMP/mini" --batch 64 --tokens 128 --iters 3 --threads "$THREADS")
echo "$C"
echo "$P"
/usr/bin/python3 - "$C" "$P" <<'PY'
import json, sys
c, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for k in ("inference_sentences_per_s", "train_sentences_per_s"):
    print("%-28s vectorsmith %8.2f  pytorch %8.2f  ratio %.2f" % (k, c[k], p[k], c[k] / p[k]))
PY
