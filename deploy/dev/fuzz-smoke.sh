#!/usr/bin/env bash
# Builds only the libFuzzer targets (clang) into build-test-fuzz/ (or the folder in $1) and
# fuzzes each for a few seconds from its committed corpus (ctest -L fuzz-smoke, which runs
# tests/fuzz/smoke.sh). Part of test.sh, so the fuzz build cannot rot unnoticed.
# Fails on a build error, a crash, a leak or a timeout.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir="${1:-build-test-fuzz}"
mkdir -p "$dir"
CC=clang cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DADVICE_FUZZ=ON \
	-DADVICE_WERROR=OFF > "$dir/configure.log" 2>&1 || {
	cat "$dir/configure.log"
	echo "fuzz smoke: FAILED to configure the fuzz build" >&2
	exit 1
}
if ! cmake --build "$dir" -j"$(nproc)" --target fuzz_targets; then
	echo "fuzz smoke: FAILED to build the fuzz targets" >&2
	exit 1
fi
if ! ctest --test-dir "$dir" -L '^fuzz-smoke$' --no-tests=error --output-on-failure -j"$(nproc)"; then
	echo "fuzz smoke: FAILED (the inputs that broke a target are in $dir/tests/fuzz-smoke/)" >&2
	exit 1
fi
