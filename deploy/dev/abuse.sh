#!/usr/bin/env bash
# The abuse probes: runs every deploy/dev/abuse/probe-*.sh with the build folder ($1, default
# build-abuse, built with -DADVICE_BENCH=ON by the probes that need it). Each probe prints one
# line "PROBE <name>: worst latency a legitimate user saw <ms> ms (<verdict>)". Not part of
# the test suite. Exits non-zero when a probe failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build-abuse}"
rc=0
for probe in deploy/dev/abuse/probe-*.sh; do
	"$probe" "$build" || rc=1
done
exit $rc
