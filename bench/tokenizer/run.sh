#!/bin/sh
# bench/tokenizer/run.sh [BUILD_DIR]: single-thread tokens/s of Vectorsmith's
# tokenizer beside HF tokenizers (Rust, via npm) on the same ~4 MB of text,
# for WordPiece (all-MiniLM-L6-v2) and byte-level BPE (roberta-base).
# Needs `npm install --ignore-scripts` in tests/reference/tokenizer-js first.
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/_build}
DATA=${VS_SHARED_DATA:-$SRC/../shared/data}
BYTES=${BENCH_BYTES:-4000000}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if [ ! -d "$SRC/tests/reference/tokenizer-js/node_modules/@anush008/tokenizers" ]; then
  echo "run: (cd tests/reference/tokenizer-js && npm install --ignore-scripts) first" >&2
  exit 2
fi
ninja -C "$BUILD" bench/tokenizer/bench-tokenizer >/dev/null
node "$SRC/bench/tokenizer/make-corpus.js" "$DATA" "$BYTES" > "$TMP/corpus.txt"
echo "corpus: $(wc -c < "$TMP/corpus.txt") bytes, $(wc -l < "$TMP/corpus.txt") lines; one thread each"
printf '%-10s %-30s %12s %12s %8s\n' model implementation tokens tokens/s ratio
for pair in "WordPiece:models/all-MiniLM-L6-v2/tokenizer.json" "BPE:tokenizers/roberta-base/tokenizer.json"; do
  kind=${pair%%:*}
  tok=$DATA/${pair#*:}
  ours=$("$BUILD/bench/tokenizer/bench-tokenizer" "$tok" "$TMP/corpus.txt")
  ref=$(RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false UV_THREADPOOL_SIZE=1 \
        node "$SRC/bench/tokenizer/reference.js" "$tok" "$TMP/corpus.txt")
  get () { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
  o_tps=$(get "$ours" tokens_per_s); r_tps=$(get "$ref" tokens_per_s)
  o_tok=$(get "$ours" tokens); r_tok=$(get "$ref" tokens)
  printf '%-10s %-30s %12s %12s %8s\n' "$kind" "vectorsmith" "$o_tok" "$o_tps" \
    "$(awk -v a="$o_tps" -v b="$r_tps" 'BEGIN { printf "%.2fx", a / b }')"
  printf '%-10s %-30s %12s %12s %8s\n' "$kind" "HF tokenizers 0.22 (Rust)" "$r_tok" "$r_tps" "1.00x"
  [ "$o_tok" = "$r_tok" ] || echo "  WARNING: token counts differ ($o_tok vs $r_tok)"
done
