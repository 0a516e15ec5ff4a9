#!/usr/bin/env bash
# Runs libFuzzer targets (tests/fuzz) and minimises their committed corpora.
#
#   tools/fuzz.sh [-t SECONDS] [TARGET...]      (default: every target, 300 s each)
#
# Builds _build-fuzz with clang (ASan + UBSan + libFuzzer) if needed, runs
# each target single-process with -max_total_time and -rss_limit_mb=2048
# over a scratch copy of tests/fuzz/corpus/TARGET, then merges (-merge=1)
# what it found back into tests/fuzz/corpus/TARGET (the minimal set that
# keeps the coverage). Crashes land in _build-fuzz/fuzz-artifacts/TARGET/;
# a fixed one's reproducer goes to tests/fuzz/crashes/TARGET/ (replayed by
# `meson test`). One line per target: time, executions, final coverage.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=300
if [ "${1:-}" = "-t" ]; then secs=$2; shift 2; fi
build=_build-fuzz
if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" -Dfuzzing=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dui=false -Dc_args=-fsanitize=fuzzer-no-link >/dev/null
fi
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  mapfile -t targets < <(ls tests/fuzz/corpus)
fi
ninja -C "$build" $(printf 'tests/fuzz/fuzz-%s ' "${targets[@]}") >/dev/null
export ASAN_OPTIONS="allocator_may_return_null=1:detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp"
for t in "${targets[@]}"; do
  exe="$build/tests/fuzz/fuzz-$t"
  work="$build/fuzz-work/$t"; art="$build/fuzz-artifacts/$t/"
  rm -rf "$work"; mkdir -p "$work" "$art"
  cp tests/fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
  log="$build/fuzz-$t.log"
  set +e
  "$exe" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
    -artifact_prefix="$art" "$work" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  cov0=$(grep -E 'INITED' "$log" | grep -o 'cov: [0-9]*' | head -1 | awk '{print $2}')
  last=$(grep -E '^#[0-9]+.*(NEW|REDUCE)' "$log" | tail -1 | grep -o '^#[0-9]*' || true)
  # Keep the minimal corpus with the same coverage.
  merged="$build/fuzz-merged/$t"; rm -rf "$merged"; mkdir -p "$merged"
  "$exe" -merge=1 -rss_limit_mb=2048 -timeout=20 "$merged" "$work" >/dev/null 2>&1 || true
  if [ -n "$(ls -A "$merged")" ]; then
    rm -rf tests/fuzz/corpus/"$t"; mkdir -p tests/fuzz/corpus/"$t"
    cp "$merged"/* tests/fuzz/corpus/"$t"/
  fi
  echo "$t: ${secs}s rc=$rc execs=${execs:-?} cov ${cov0:-?} -> ${cov:-?} (last new coverage at exec ${last:-none}) corpus $(ls tests/fuzz/corpus/$t | wc -l) files $(du -sk tests/fuzz/corpus/$t | cut -f1) KiB crashes $(ls -A "$art" | wc -l)"
done
