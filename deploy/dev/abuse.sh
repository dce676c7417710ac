#!/usr/bin/env bash
# Runs every abuse probe (deploy/dev/abuse/probe-*.sh); each prints a line "PROBE <name>:
# worst latency a legitimate user saw <ms> ms (<verdict>)". Not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/../.."
for probe in deploy/dev/abuse/probe-*.sh; do
	"$probe" "$@"
done
