#!/usr/bin/env bash
# Fuzzes one target (or all) for N minutes each with libFuzzer, starting from the corpus in
# tests/fuzz/corpus/<target>/ and adding what it finds there. Crashes are left as crash-* files.
#   deploy/dev/fuzz.sh [TARGET|all] [MINUTES]      e.g. deploy/dev/fuzz.sh message 10
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/dev/deps.sh
target="${1:-all}"
minutes="${2:-5}"
CC=clang deploy/dev/build.sh build-fuzz -DADVICE_FUZZ=ON -DADVICE_WERROR=OFF
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
