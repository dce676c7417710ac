#!/usr/bin/env bash
# Builds into build/ (or the folder in $1) with any extra CMake arguments after it.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir="${1:-build}"
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" > "$dir.cmake.log" 2>&1 || { cat "$dir.cmake.log"; exit 1; }
cmake --build "$dir" -j"$(nproc)"
