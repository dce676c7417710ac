#!/usr/bin/env bash
# Probe of issue "fair under abuse", slow bodies: adviced at `ulimit -n 1024` and 1,100
# connections that send a POST's headers and then a byte of body every 9 s, once from one
# address (the per-address cap refuses most) and once spread over five (the descriptors run
# out: the listener rests, and the body deadline frees them), for 45 s each, while a
# legitimate client asks for /api/v1/health every 250 ms. Prints a PROBE line per run and
# adviced's CPU seconds and log lines. Builds into build-abuse/ (or $1).
set -euo pipefail
cd "$(dirname "$0")/../../.."
build="${1:-build-abuse}"
port="${PROBE_PORT:-18580}"
seconds="${PROBE_SECONDS:-45}"
deploy/dev/build.sh "$build" -DADVICE_BENCH=ON > /dev/null
root=$(pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/advice-probe-slowbody-XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
	rm -rf "$work"
}
trap cleanup EXIT
tick=$(getconf CLK_TCK)
cpu_of() { awk -v t="$tick" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat"; }

"$build/advicectl" init "$work/data" --demo --test-mode --port "$port" --web-root "$root/client-web" \
	--no-totp > /dev/null
# probe: name, source addresses
run() {
	local log="$work/adviced-$1.log"
	(ulimit -n 1024 && exec "$build/adviced" -c "$work/data/adviced.conf") 2> "$log" &
	pid=$!
	for _ in $(seq 200); do
		(exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null && break
		sleep 0.1
	done
	# the flood needs descriptors of its own
	(ulimit -n 4096 2> /dev/null || true
	 "$build/tests/bench/slowbody_probe" "$port" 1100 "$2" "$seconds" "$1")
	echo "  adviced: $(cpu_of "$pid") s of CPU, $(wc -l < "$log") log lines ($(grep -c accept "$log" || true) about accept)"
	kill "$pid"
	wait "$pid" || true
	pid=
}
run slowbody-one-address 1
run slowbody-five-addresses 5
