#!/usr/bin/env bash
# Fuzzes the request parser, the reply parser and the config loader with libFuzzer (+ ASan + UBSan) for a
# bounded time each: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60; CI: see below)
#
# Targets (tests/fuzz/): fuzz_request_parser, fuzz_reply_parser, fuzz_config. Needs clang with libFuzzer
# (Debian: clang + libclang-rt-dev). Builds in build-fuzz/ (CC=clang CXX=clang++ -DMCRELAY_FUZZ=ON
# -DMCRELAY_BUILD_TESTS=OFF), runs each target on a copy of its seeds (build-fuzz/corpus-<target>; the
# seeds in tests/fuzz/corpus/ and tests/fuzz/regressions/ are never modified), prints how many inputs each
# executed, and exits non-zero if any target found a crash, a timeout (> 5 s for one input), an
# out-of-memory (> 2 GiB) or a leak.
#
# Run longer:      scripts/fuzz.sh 3600                        (an hour per target)
# Some targets:    FUZZ_TARGETS="fuzz_config" scripts/fuzz.sh 600
# Start afresh:    FUZZ_FRESH=1 scripts/fuzz.sh                (drop build-fuzz/corpus-*; otherwise what earlier
#                                                              runs found is kept and fuzzed further)
# Extra options:   FUZZ_ARGS="-jobs=4 -workers=4" scripts/fuzz.sh 600
#
# A finding is saved as build-fuzz/<target>-crash-<sha1> (or -timeout-, -oom-, -leak-); the log of the
# run is build-fuzz/<target>.log. To reproduce it (runs that one input, prints the stack and the violated
# invariant):
#   build-fuzz/fuzz_request_parser build-fuzz/fuzz_request_parser-crash-<sha1>
# To shrink it first:
#   build-fuzz/fuzz_request_parser -minimize_crash=1 -runs=100000 -exact_artifact_path=min.bin build-fuzz/fuzz_request_parser-crash-<sha1>
# Once the bug is fixed, keep the input as a regression seed: tests/fuzz/regressions/<name>/ (name =
# request_parser, reply_parser or config); this script adds those to every run.
#
# Builds take /tmp/mcrelay-build.lock (flock) when flock is available, so that they queue behind other
# builds on a shared machine; MCRELAY_BUILD_LOCK overrides the lock file.
set -euo pipefail

SECONDS_PER_TARGET="${1:-60}"
if ! [[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] || [ "$SECONDS_PER_TARGET" -lt 1 ]; then
  echo "usage: $0 [SECONDS_PER_TARGET]   (a positive integer, default 60)" >&2
  exit 2
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build-fuzz"
FUZZ_DIR="$ROOT/tests/fuzz"
read -r -a TARGETS <<<"${FUZZ_TARGETS:-fuzz_request_parser fuzz_reply_parser fuzz_config}"
JOBS="$(nproc 2>/dev/null || echo 2)"

lock() {
  if command -v flock >/dev/null 2>&1; then
    flock "${MCRELAY_BUILD_LOCK:-/tmp/mcrelay-build.lock}" "$@"
  else
    "$@"
  fi
}

# --- configure and build ---------------------------------------------------------------------------------
# The top level includes tests/fuzz when MCRELAY_FUZZ=ON; until it does, tests/fuzz configures on its own.
if grep -q 'tests/fuzz' "$ROOT/CMakeLists.txt"; then
  SOURCE="$ROOT"
else
  SOURCE="$FUZZ_DIR"
  echo "fuzz.sh: the top-level CMakeLists.txt does not include tests/fuzz; configuring tests/fuzz on its own"
fi
if [ -f "$BUILD/CMakeCache.txt" ] &&
   ! grep -qxF "CMAKE_HOME_DIRECTORY:INTERNAL=$SOURCE" "$BUILD/CMakeCache.txt"; then
  rm -rf "$BUILD/CMakeCache.txt" "$BUILD/CMakeFiles"  # configured from the other source directory before
fi
mkdir -p "$BUILD"
CC=clang CXX=clang++ cmake -S "$SOURCE" -B "$BUILD" -DMCRELAY_FUZZ=ON -DMCRELAY_BUILD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$BUILD/configure.log" 2>&1 || {
  cat "$BUILD/configure.log" >&2
  exit 1
}
lock cmake --build "$BUILD" -j "$JOBS" --target "${TARGETS[@]}"

# --- run ---------------------------------------------------------------------------------------------------
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=()
summary=()
for target in "${TARGETS[@]}"; do
  name="${target#fuzz_}"                       # request_parser, reply_parser, config
  dict="$FUZZ_DIR/${name%_parser}.dict"        # request.dict, reply.dict, config.dict
  corpus="$BUILD/corpus-$target"
  case "$name" in
    config) max_len=8192 ;;
    *) max_len=16384 ;;                        # past max_get_line (8192) and the reply line bound
  esac
  if [ "${FUZZ_FRESH:-0}" = 1 ]; then rm -rf "$corpus"; fi
  mkdir -p "$corpus"
  for seeds in "$FUZZ_DIR/corpus/$name" "$FUZZ_DIR/regressions/$name"; do
    [ -d "$seeds" ] || continue
    for f in "$seeds"/*; do
      if [ -f "$f" ] && [ ! -e "$corpus/${f##*/}" ]; then cp "$f" "$corpus/"; fi
    done
  done
  log="$BUILD/$target.log"
  echo "=== $target: ${SECONDS_PER_TARGET}s, corpus $corpus ($(find "$corpus" -type f | wc -l) inputs), log $log"
  status=0
  # shellcheck disable=SC2086  # FUZZ_ARGS is a list of options
  "$BUILD/$target" "$corpus" -dict="$dict" -max_total_time="$SECONDS_PER_TARGET" -timeout=5 \
    -rss_limit_mb=2048 -max_len="$max_len" -print_final_stats=1 -artifact_prefix="$BUILD/$target-" \
    ${FUZZ_ARGS:-} >"$log" 2>&1 || status=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  execs="${execs:-?}"
  rate="?"
  if [[ "$execs" =~ ^[0-9]+$ ]]; then rate=$((execs / SECONDS_PER_TARGET)); fi
  cov="$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)"
  if [ "$status" -ne 0 ]; then
    artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)"
    echo "!!! $target FAILED (exit $status): reproducer ${artifact:-(see log)}"
    grep -E 'fuzz invariant violated|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY' "$log" |
      head -5 | sed 's/^/    /'
    failed+=("$target")
    summary+=("$target: FAILED, $execs executions ($rate/s), ${artifact:-see $log}")
  else
    summary+=("$target: ok, $execs executions ($rate/s), $cov")
  fi
  echo "    executions: $execs (~$rate/s) $cov"
done

echo
echo "=== fuzz summary (${SECONDS_PER_TARGET}s per target)"
printf '  %s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED: ${failed[*]} (reproduce: build-fuzz/<target> <artifact>; see the top of scripts/fuzz.sh)"
  exit 1
fi
