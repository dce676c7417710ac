#!/usr/bin/env bash
# Probe: one citizen's session floods the server through many WebSockets (200 by default,
# PROBE_CONNS), pipelining requests on each for PROBE_SECONDS (20), while a second citizen
# sends one request at a time (five a second) and reconnects now and then
# (tests/bench/probe_one_session.c).
# Prints what the flood got and "PROBE oneSession: worst latency a legitimate user saw <ms> ms
# (<verdict>)", ok when every request and reconnect of the second citizen took less than
# PROBE_BOUND_MS (2000). Runs its own adviced on a scratch folder. Usage: $0 [build folder]
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$PWD
build="${1:-build-abuse}"
conns="${PROBE_CONNS:-200}"
secs="${PROBE_SECONDS:-20}"
bound="${PROBE_BOUND_MS:-2000}"
port="${PROBE_PORT:-18580}"

deploy/dev/build.sh "$build" -DADVICE_BENCH=ON > /dev/null
build=$(cd "$build" && pwd)
scratch=$(mktemp -d /tmp/advice-probe-oneSession.XXXXXX)
dir="$scratch/data" # advicectl init makes it
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
	rm -rf "$scratch"
}
trap cleanup EXIT

ulimit -n 4096 2> /dev/null || true
"$build/advicectl" init "$dir" --demo --test-mode --no-totp --port "$port" \
	--bank-port $((port + 1)) --web-root "$root/client-web" > /dev/null
"$build/adviced" -c "$dir/adviced.conf" > "$dir/adviced.log" 2>&1 &
pid=$!
for _ in $(seq 200); do # until the port accepts (20 s at most)
	(exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null && break
	sleep 0.1
done
flood=$("$build/advicectl" -d "$dir" dev-token 010190-900P)
measure=$("$build/advicectl" -d "$dir" dev-token 020285-9416)
url="http://127.0.0.1:$port"
"$build/tests/bench/probe_one_session" "$url" "$url" "$flood" "$measure" "$conns" "$secs" "$bound"
