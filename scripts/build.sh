#!/usr/bin/env bash
# Configures and builds mcrelay into BUILD_DIR (default build/). Extra arguments go to cmake.
# Usage: scripts/build.sh [build-dir] [cmake args...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
shift || true
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build" -j"$jobs"
