#!/usr/bin/env bash
# The demo without a display: trains the bundled recipe (data/demo/recipe.json:
# a new tiny BERT learning STS Benchmark similarity with CoSENTLoss) with
# vectorsmith-cli, and prints the baseline and final metrics. The run fails
# (exit 1) if the main metric did not improve.
set -euo pipefail
cd "$(dirname "$0")/.."

cli=_build/src/cli/vectorsmith-cli
if [ ! -x "$cli" ]; then
  echo "demo: $cli is missing; build first (bash tools/setup.sh)" >&2
  exit 1
fi
out="${VS_DEMO_OUTPUT:-_build/demo-model}"
log="$out-events.jsonl"
summary="$(mktemp)"
trap 'rm -f "$summary"' EXIT

"$cli" train data/demo/recipe.json --output-dir "$out" --log "$log" | tee "$summary"

# The CLI's last line: "KEY: baseline B -> final F (+D)".
line="$(grep -E ': baseline [-0-9.]+ -> final [-0-9.]+' "$summary" | tail -n 1 || true)"
if [ -z "$line" ]; then
  echo "demo: no baseline/final metric in the output" >&2
  exit 1
fi
delta="$(sed -E 's/.*\(([-+0-9.]+)\)$/\1/' <<<"$line")"
case "$delta" in
  +0.0000|-*) echo "demo: the metric did not improve ($line)" >&2; exit 1 ;;
esac
echo "demo: the model is in $out (events in $log)"
