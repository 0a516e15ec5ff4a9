#!/usr/bin/env bash
# The test suite again in an AddressSanitizer + UndefinedBehaviorSanitizer
# (+ LeakSanitizer) build: _build-asan (gcc, debugoptimized). tools/test.sh
# calls it after the normal suite; it can also run alone. Extra arguments go
# to `meson test`. Exit status: meson test's. The log is
# _build-asan/meson-logs/testlog.json.
#
# A finding fails the test that hit it: ASan and UBSan stop at the first
# report (halt_on_error, abort_on_error), LeakSanitizer fails the process at
# exit. allocator_may_return_null=1: a hostile size that g_try_malloc
# refuses is an error the engine reports, not an ASan abort.
# Suppressions: tests/sanitizers/lsan.supp (system libraries only).
# fast_unwind_on_malloc=0: Debian's GLib has no frame pointers, so the
# fast unwinder stops at g_malloc and a leak report (or a suppression by
# function) would not see who called it.
#
# No LD_PRELOAD: gcc links libasan into each of our executables, so the
# node and python processes the tests start load no sanitizer runtime
# (they only inherit the *SAN_OPTIONS, which they ignore).
set -uo pipefail
cd "$(dirname "$0")/.."
build=_build-asan

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debugoptimized >/dev/null || exit 1
fi
meson compile -C "$build" || exit 1

unset LD_PRELOAD
export ASAN_OPTIONS="allocator_may_return_null=1:detect_leaks=1:halt_on_error=1:abort_on_error=1:fast_unwind_on_malloc=0:detect_stack_use_after_return=0:strict_string_checks=0:print_summary=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# GLib frees its slices and caches where it can (leaks show as leaks).
export G_SLICE=always-malloc

# The sanitizers slow the tests down 2-5x: longer timeouts.
exec meson test -C "$build" --print-errorlogs --num-processes "$(nproc)" \
  --timeout-multiplier 4 "$@"
