#!/bin/sh
# The one-command benchmark of issue #14: vectorsmith's trainer and encoder
# beside PyTorch 1.13 (Debian's /usr/bin/python3) in its tuned and default
# environments, same random model weights, same texts, same thread count, in
# the same run; every case with OpenBLAS as detected (or the core it should
# have picked, when it fell back to a generic one) and with
# OPENBLAS_CORETYPE=Prescott for both engines.
#   bench/run.sh [BUILD_DIR] [THREADS] [--quick]
# Prints the table, writes bench/results.json and rewrites the latest table in
# bench/README.md. See bench/train/run.py for what is measured and how.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-_build}
THREADS=${2:-$(nproc)}
QUICK=${3:-}
meson compile -C "$BUILD" vectorsmith-cli bench-encode bench-sgemm bench-model >/dev/null
exec /usr/bin/python3 bench/train/run.py "$BUILD" "$THREADS" bench/results.json bench/README.md $QUICK
