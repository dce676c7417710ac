#!/usr/bin/env bash
# The crash campaign: N rounds (default 100) of kill -9 at random moments under load, each
# followed by a check that every acknowledged write survived once, byte-identical.
#   deploy/dev/crash.sh [ROUNDS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/dev/deps.sh
deploy/dev/build.sh build
export ADVICE_CRASH_ROUNDS="${1:-100}"
[ -n "${2:-}" ] && export ADVICE_CRASH_SEED="$2"
export ADVICED="$PWD/build/adviced" ADVICECTL="$PWD/build/advicectl" ADVICE_SOURCE_DIR="$PWD"
exec build/tests/it_test_crash
