#!/bin/sh
# Encoder throughput beside PyTorch: the `mini` preset shape (BERT 6 x 384,
# 12 heads), 128 tokens per text, batch 64; inference and a training step.
#   bench/model/run.sh [BUILD_DIR] [THREADS]
# PyTorch runs with OMP_WAIT_POLICY=PASSIVE (it more than doubles its CPU
# speed here) and the same thread count. When OpenBLAS does not recognise the
# CPU and falls back to its generic kernels, both sides run again with the
# OPENBLAS_CORETYPE it should have picked (PyTorch's BLAS is Debian's libblas).
set -eu
cd "$(dirname "$0")/../.."
BUILD=${1:-_build}
THREADS=${2:-$(nproc)}
BENCH="$BUILD/bench/model/bench-model"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
/usr/bin/python3 bench/model/model_bench.py make "$TMP/mini"

one_run () {
  C=$("$BENCH" "$TMP/mini" --batch 64 --tokens 128 --iters 3 --threads "$THREADS" 2>/dev/null)
  P=$(OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/model/model_bench.py run "$TMP/mini" \
        --batch 64 --tokens 128 --iters 3 --threads "$THREADS")
  echo "$C"
  echo "$P"
  /usr/bin/python3 - "$C" "$P" <<'PY'
import json, sys
c, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for k in ("inference_sentences_per_s", "train_sentences_per_s"):
    print("%-27s vectorsmith %8.2f  pytorch %8.2f  ratio %.2f" % (k, c[k], p[k], c[k] / p[k]))
PY
}

echo "== OpenBLAS as detected"
one_run
CORE=$("$BENCH" --suggest-coretype)
if [ -n "$CORE" ]; then
  echo "== OPENBLAS_CORETYPE=$CORE (OpenBLAS did not recognise this CPU)"
  OPENBLAS_CORETYPE=$CORE one_run
fi
