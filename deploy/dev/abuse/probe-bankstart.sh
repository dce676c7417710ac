#!/usr/bin/env bash
# Probe: bank-ID /start at PROBE_RATE a second (900 by default) for PROBE_SECONDS (10) from
# PROBE_ADDRESSES client addresses (16; the per-address limit is lifted for the probe, which
# is about the network thread, not the limit), each answer costing a signed request object,
# while a citizen sends one request at a time over its WebSocket (tests/bench/probe_bank_start.c).
# Prints what the flood got and "PROBE bankStart: worst latency a legitimate user saw <ms> ms
# (<verdict>)", ok when every request of the citizen took less than PROBE_BOUND_MS (250).
# Runs its own adviced on a scratch folder. Usage: $0 [build folder]
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$PWD
build="${1:-build-abuse}"
rate="${PROBE_RATE:-900}"
secs="${PROBE_SECONDS:-10}"
bound="${PROBE_BOUND_MS:-250}"
addresses="${PROBE_ADDRESSES:-16}"
port="${PROBE_PORT:-18590}"

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DADVICE_BENCH=ON > /dev/null
cmake --build "$build" -j2 --target adviced advicectl probe_bank_start > /dev/null
build=$(cd "$build" && pwd)
dir=$(mktemp -d /tmp/advice-probe-bankstart.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

ulimit -n 4096 2> /dev/null || true
data="$dir/data"
"$build/advicectl" init "$data" --demo --test-mode --no-totp --port "$port" \
	--bank-port $((port + 1)) --web-root "$root/client-web" > /dev/null
sed -i '/^[[:space:]]*oidc_rate_\(per_minute\|burst\)[[:space:]]*=/d' "$data/adviced.conf"
printf 'oidc_rate_per_minute = 100000\noidc_rate_burst = 100000\n' >> "$data/adviced.conf"
"$build/adviced" -c "$data/adviced.conf" > "$dir/adviced.log" 2>&1 &
pid=$!
for _ in $(seq 200); do # until the port accepts (20 s at most)
	(exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null && break
	sleep 0.1
done
token=$("$build/advicectl" -d "$data" dev-token 020285-9416)
"$build/tests/bench/probe_bank_start" "http://127.0.0.1:$port" "$token" "$rate" "$secs" "$bound" "$addresses"
