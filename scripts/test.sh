#!/usr/bin/env bash
# Every test: installs what is needed, builds, runs the whole suite with CTest (unit tests, integration
# tests against real memcached servers, end-to-end tests), then builds again with AddressSanitizer +
# UndefinedBehaviorSanitizer and runs the suite once more.
# Then the fuzz targets run for a bounded time.
# Environment: MCRELAY_SKIP_SANITIZE=1 / MCRELAY_SKIP_FUZZ=1 skip those passes (local iteration only).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"

jobs=$(nproc 2>/dev/null || echo 2)
echo "== build (RelWithDebInfo)" >&2
# Tests on explicitly: run-local.sh configures the same tree without them, and CMake would remember that.
bash "$root/scripts/build.sh" "$root/build" -DMCRELAY_BUILD_TESTS=ON
echo "== test (RelWithDebInfo)" >&2
ctest --test-dir "$root/build" --output-on-failure -j"$jobs"

if [ "${MCRELAY_SKIP_SANITIZE:-0}" != 1 ]; then
  echo "== build (ASan + UBSan)" >&2
  bash "$root/scripts/build.sh" "$root/build-asan" -DMCRELAY_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DMCRELAY_BUILD_TESTS=ON
  echo "== test (ASan + UBSan)" >&2
  MCRELAY_SANITIZED=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:quarantine_size_mb=64 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$root/build-asan" --output-on-failure -j"$jobs" -E "${MCRELAY_SANITIZE_EXCLUDE:-^$}"
fi

if [ "${MCRELAY_SKIP_FUZZ:-0}" != 1 ]; then
  # The request parser, the reply parser and the config loader under libFuzzer (ASan + UBSan), seeded
  # from the tests; a crash fails the run and leaves its reproducer in build-fuzz/ (scripts/fuzz.sh).
  echo "== fuzz (${MCRELAY_FUZZ_SECONDS:-30} s per target)" >&2
  bash "$root/scripts/fuzz.sh" "${MCRELAY_FUZZ_SECONDS:-30}"
fi
