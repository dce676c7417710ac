#!/usr/bin/env bash
# Fuzzes one target (or all) for N minutes each with libFuzzer, starting from the corpus in
# tests/fuzz/corpus/<target>/ and adding what it finds there. Builds only the fuzz targets
# (clang, in build-fuzz/). A crash stops the run and is left as a crash-* file (README: Fuzzing).
#   deploy/dev/fuzz.sh [TARGET|all] [MINUTES]      e.g. deploy/dev/fuzz.sh message 10
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/dev/deps.sh
target="${1:-all}"
minutes="${2:-5}"
mkdir -p build-fuzz
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DADVICE_FUZZ=ON \
	-DADVICE_WERROR=OFF > build-fuzz/configure.log 2>&1 || { cat build-fuzz/configure.log; exit 1; }
cmake --build build-fuzz -j"$(nproc)" --target fuzz_targets
# Without halt_on_error, UBSan only prints its report and the fuzzer goes on.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
if [ "$target" = all ]; then
	targets=$(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')
else
	targets="$target"
fi
for t in $targets; do
	echo "== fuzzing $t for $minutes min"
	"build-fuzz/tests/fuzz_$t" -max_total_time=$((minutes * 60)) -max_len=70000 \
		-timeout=10 "tests/fuzz/corpus/$t"
done
