#!/usr/bin/env bash
# Builds into build/ (or the folder in $1) with any extra CMake arguments after it.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir="${1:-build}"
shift || true
mkdir -p "$dir"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" > "$dir/configure.log" 2>&1 || { cat "$dir/configure.log"; exit 1; }
cmake --build "$dir" -j"$(nproc)"
