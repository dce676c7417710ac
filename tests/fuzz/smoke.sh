#!/bin/sh
# A short libFuzzer run of one target, as a test (fuzz-smoke.<input>, ADVICE_FUZZ=ON builds):
#   smoke.sh FUZZER CORPUS WORKDIR SECONDS
# Starts from the committed corpus, which it only reads: new inputs go to WORKDIR/new
# (emptied first), a crashing input to WORKDIR/crash-*. Fails when the fuzzer finds a crash,
# a leak or a timeout, or cannot start. The seed is fixed (FUZZ_SMOKE_SEED, default 1) so that
# a failure in the suite can be repeated; deploy/dev/fuzz.sh explores with random seeds.
set -eu
fuzzer="$1" corpus="$2" work="$3" seconds="$4"
[ -d "$corpus" ] || { echo "smoke: no corpus folder $corpus" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work/new"
# Without halt_on_error, UBSan only prints its report and the run would pass.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
if "$fuzzer" -seed="${FUZZ_SMOKE_SEED:-1}" -max_total_time="$seconds" -max_len=70000 -timeout=10 -print_final_stats=1 \
	-artifact_prefix="$work/" "$work/new" "$corpus"; then
	exit 0
fi
echo "smoke: $(basename "$fuzzer") failed; the input that broke it is in $work/" \
	"(replay: $fuzzer INPUT; keep it: copy it into $corpus/)" >&2
exit 1
