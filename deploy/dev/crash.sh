#!/usr/bin/env bash
# The crash campaign: N rounds (default 100) of kill -9 at random moments under mixed load
# (four clients pipelining messages, two uploading attachments of 1 KiB to 2 MiB), each
# followed by checks of the data folder and, after the restart, of every acknowledged message
# and attachment: present once and byte-identical, cut uploads resumed and completed. Prints
# the seed, what was verified and the time. CRASH_BUILD names the build folder (default build).
# "chunks committed whose reply never reached the client" counts replies a kill cut off, not
# lost data: those chunks are on disk, file.status reports them and the upload goes on after them.
#   deploy/dev/crash.sh [ROUNDS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${CRASH_BUILD:-build}"
deploy/dev/deps.sh
deploy/dev/build.sh "$build"
export ADVICE_CRASH_ROUNDS="${1:-100}"
[ -n "${2:-}" ] && export ADVICE_CRASH_SEED="$2"
export ADVICED="$PWD/$build/adviced" ADVICECTL="$PWD/$build/advicectl" ADVICE_SOURCE_DIR="$PWD"
exec "$build/tests/it_test_crash"
