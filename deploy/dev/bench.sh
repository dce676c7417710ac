#!/usr/bin/env bash
# The benchmark: builds the load generator (-DADVICE_BENCH=ON, in build-bench/ or the given
# folder), runs our server, the durable Node.js peer (tests/bench/peer) and, as a non-durable
# reference for M1 and M2, a private Mosquitto broker (tests/bench/mqtt_bench) side by side on
# this machine, measures the physical references in the same run, and prints a table as
# markdown and JSON (also written to <build>/bench/result.md and result.json), each target
# with its ratio and whether it is met. Not part of the test suite.
#
#   deploy/dev/bench.sh [--short] [BUILD_DIR]
#
# Production-shaped except TLS: adviced runs the test-mode demo (the test bank's logins) with
# `require_envelopes = yes` set explicitly and checked (advice_bench check: a body that is no
# envelope and an envelope of an unregistered key are refused, a signed one acknowledged);
# every citizen logs in with an ID token (advicectl dev-token), registers a device and sends
# envelopes signed by it, sealed before the measured window. The peer does the same work per
# message: a session per request, the device registered by the same request, the same
# Ed25519 signature verified, then its group-committed fdatasync.
#
# --short (about a minute): M1 512 B ours against the peer (and the SQLite reference), M4
# upload and the small-message p99 during uploads, with the same rows and ratios.
# BENCH_SECONDS (default 10, 5 with --short) is the measured time of each throughput point;
# BENCH_PERF=1 adds a perf profile of adviced during M1 512 B (<build>/bench/perf-m1-512.txt).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
short=0
if [ "${1:-}" = --short ]; then
	short=1
	shift
fi
build="${1:-build-bench}"
secs="${BENCH_SECONDS:-$([ "$short" = 1 ] && echo 5 || echo 10)}"
port="${BENCH_PORT:-18480}"
peer_port=$((port + 1))

deploy/dev/deps.sh > /dev/null # what the server and the generator are built with

# Mosquitto, the non-durable reference peer, and libmosquitto for its load generator: needed by
# the benchmark only, so installed here when missing rather than by deps.sh.
mqtt_missing=()
[ "$short" = 1 ] || for p in mosquitto libmosquitto-dev; do
	dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q 'install ok installed' || mqtt_missing+=("$p")
done
if [ ${#mqtt_missing[@]} -gt 0 ]; then
	echo "bench: installing ${mqtt_missing[*]}" >&2
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${mqtt_missing[@]}" \
		> /dev/null
fi

deploy/dev/build.sh "$build" -DADVICE_BENCH=ON > /dev/null
[ -d tests/bench/peer/node_modules/ws ] || (cd tests/bench/peer && npm ci --no-audit --no-fund > /dev/null)
gen="$build/tests/bench/advice_bench"
mqgen="$build/tests/bench/mqtt_bench"
# Descriptors for M3's 50,000 connections (server and generator): as root the hard limit can be
# raised up to fs.nr_open; where it cannot (no CAP_SYS_RESOURCE), M3 is capped and says so.
ulimit -Hn "$(cat /proc/sys/fs/nr_open)" 2> /dev/null || true
ulimit -n "$(ulimit -Hn)"

out="$build/bench"
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
rows="$out/rows.jsonl"
: > "$rows"
tick=$(getconf CLK_TCK)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
	wait 2> /dev/null || true
	rm -f "$out/peer.log" # the peer's message log: gigabytes, of no further use
}
trap cleanup EXIT

# CPU seconds (user + system) of a process so far.
cpu_of() { awk -v t="$tick" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat"; }
rss_kb_of() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
json_get() { node -e 'const o = JSON.parse(process.argv[1]); console.log(o[process.argv[2]]);' "$1" "$2"; }
wait_port() {
	for _ in $(seq 200); do
		(exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null && return 0
		sleep 0.1
	done
	echo "bench: nothing listens on port $1" >&2
	return 1
}
# row METRIC OURS PEER REFERENCE REFERENCE_LABEL TARGET MET NOTE [MOSQUITTO]
# (no figure, or one that is not a number, shows as null in JSON and "–" in markdown)
row() {
	node -e 'const [m, o, p, r, rl, t, met, note, mq] = process.argv.slice(1);
		const num = (x) => (x === "" || x === undefined ? null : Number(x));
		console.log(JSON.stringify({ metric: m, ours: num(o), peer: num(p), mosquitto: num(mq), reference: num(r),
			reference_is: rl, target: t, met: met === "" ? null : met === "yes", note }));' \
		"$@" >> "$rows"
}

echo "bench: physical references" >&2
fsync_ref=$(json_get "$("$gen" fsync "$out/fsync.probe" 3)" commits_per_s)
sqlite512=$(json_get "$("$gen" sqlite "$out/probe512.db" 3 512)" rows_per_s)
sqlite4k=""
[ "$short" = 1 ] || sqlite4k=$(json_get "$("$gen" sqlite "$out/probe4k.db" 3 4096)" rows_per_s)
rm -f "$out"/probe*.db*
openssl_verify=""
[ "$short" = 1 ] || openssl_verify=$(openssl speed -seconds 3 rsa2048 2> /dev/null | awk '/^rsa 2048/ { print int($NF) }')

echo "bench: starting adviced and the Node.js peer" >&2
data="$out/data"
"$build/advicectl" init "$data" --demo --test-mode --port "$port" --web-root "$root/client-web" --no-totp \
	> "$out/init.log"
# As production: every message body a signed envelope, said explicitly (whatever init wrote).
# The per-session and per-address limits stay in the path of every message but at their
# highest: the whole load comes from one machine's few addresses (M1: 100 citizens sending
# as fast as they are answered; M3: 500 connections per session, thousands per address), and
# so does a citizen's daily byte quota (M2 alone writes 6.8 MB as one citizen).
bench_conf() {
	cat << 'EOF_CONF'
# the benchmark: production-shaped, every body a signed envelope
require_envelopes = yes
citizen_bytes_per_day = 1073741824
session_request_burst = 1000000
session_requests_per_minute = 1000000
address_request_burst = 1000000
address_requests_per_minute = 1000000
session_max_connections = 1000000
max_connections_per_address = 1000000
EOF_CONF
}
for k in $(bench_conf | awk '/=/ { print $1 }'); do
	sed -i "/^[[:space:]]*$k[[:space:]]*=/d" "$data/adviced.conf"
done
bench_conf >> "$data/adviced.conf"
"$build/adviced" -c "$data/adviced.conf" --check-config > "$out/check-config.log" 2>&1 || {
	echo "bench: adviced --check-config refused the configuration:" >&2
	cat "$out/check-config.log" >&2
	exit 1
}
"$build/adviced" -c "$data/adviced.conf" 2> "$out/adviced.log" &
srv=$!
pids+=("$srv")
node tests/bench/peer/server.mjs "$peer_port" "$out/peer.log" &
peer=$!
pids+=("$peer")
wait_port "$port"
wait_port "$peer_port"

# Mosquitto (MQTT 3.1.1 over TCP, QoS 1), the non-durable reference of M1 and M2: a private
# broker with its configuration, persistence file and log in the output folder, never the
# system service. Its PUBACK does not mean the message is on disk: persistence writes a
# snapshot of memory every autosave_interval (1800 s by default) and at exit.
free_port() {
	local p=$1
	while (exec 3<> "/dev/tcp/127.0.0.1/$p") 2> /dev/null; do p=$((p + 1)); done
	echo "$p"
}
mosq_conf() { # mosq_conf DIR TCP_PORT [WEBSOCKETS_PORT]
	printf 'user %s\nlistener %s 127.0.0.1\nallow_anonymous true\npersistence true\n' "$(id -un)" "$2"
	printf 'persistence_location %s\nlog_dest file %s/mosquitto.log\nset_tcp_nodelay true\n' "$1" "$1"
	[ -z "${3:-}" ] || printf 'listener %s 127.0.0.1\nprotocol websockets\n' "$3"
}
if [ "$short" = 0 ]; then
	mqtt_version=$(/usr/sbin/mosquitto -h 2> /dev/null | awk '/^mosquitto version/ { print $3; exit }' || true)
	# Whether this build can serve MQTT over WebSocket, asked of a second, short-lived broker:
	# "yes" when a websockets listener answers an upgrade with 101. (2.0.11 refuses to start with a
	# websockets listener alone, "Unable to start any listening sockets", so it gets a TCP one too.)
	mkdir -p "$out/mosquitto" "$out/mosquitto-ws"
	ws_tcp=$(free_port $((peer_port + 1)))
	ws_port=$(free_port $((ws_tcp + 1)))
	mosq_conf "$out/mosquitto-ws" "$ws_tcp" "$ws_port" > "$out/mosquitto-ws/mosquitto.conf"
	/usr/sbin/mosquitto -c "$out/mosquitto-ws/mosquitto.conf" 2> /dev/null &
	ws_pid=$!
	pids+=("$ws_pid")
	mqtt_ws="no (the broker did not open a websockets listener: mosquitto-ws/mosquitto.log in the output)"
	for _ in $(seq 30); do
		kill -0 "$ws_pid" 2> /dev/null || break
		if (exec 3<> "/dev/tcp/127.0.0.1/$ws_port") 2> /dev/null; then
			st=$( (exec 3<> "/dev/tcp/127.0.0.1/$ws_port"
				printf '%s\r\n' "GET /mqtt HTTP/1.1" "Host: 127.0.0.1" "Upgrade: websocket" "Connection: Upgrade" \
					"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" "Sec-WebSocket-Version: 13" \
					"Sec-WebSocket-Protocol: mqtt" "" >&3
				timeout 3 head -1 <&3) 2> /dev/null | tr -d '\r' || true)
			case "$st" in
			*" 101 "*) mqtt_ws="yes (a websockets listener answers the upgrade with 101; measured over TCP)" ;;
			*) mqtt_ws="no (websockets listener answered: ${st:-nothing})" ;;
			esac
			break
		fi
		sleep 0.1
	done
	kill "$ws_pid" 2> /dev/null || true
	echo "bench: Mosquitto $mqtt_version websockets listener: $mqtt_ws" >&2
	mqtt_port=$(free_port $((ws_port + 1)))
	mosq_conf "$out/mosquitto" "$mqtt_port" > "$out/mosquitto/mosquitto.conf"
	/usr/sbin/mosquitto -c "$out/mosquitto/mosquitto.conf" 2> "$out/mosquitto/stderr.log" &
	mqtt=$!
	pids+=("$mqtt")
	wait_port "$mqtt_port"
fi

# ID tokens of the 100 test citizens born on DDMMYY (900-999), one a line.
citizens() {
	local chars=0123456789ABCDEFHJKLMNPRSTUVWXY n v
	for n in $(seq 900 999); do
		v=$((10#$1$n))
		"$build/advicectl" -d "$data" dev-token "$1-$n${chars:$((v % 31)):1}"
	done
}
# ID tokens of 100 test citizens (DDMMYY-9ZZQ with the check character of server/auth/hetu.c),
# of M2's and of M4's: made again before each phase that logs in, as a token lives 10 minutes
# (the generator derives a citizen's device from its subject, the same in every token).
tokens() {
	citizens 010190 > "$out/tokens"
	head -1 "$out/tokens" > "$out/token1"
	"$build/advicectl" -d "$data" dev-token 010594Y9032 > "$out/token_m2"
	"$build/advicectl" -d "$data" dev-token 020594X903P > "$out/token_m4"
}
tokens

# Both servers must take signed envelopes only, or the run measures something else.
for url in "http://127.0.0.1:$port" "http://127.0.0.1:$peer_port"; do
	if ! chk=$("$gen" check "$url" "$out/token_m4"); then
		echo "bench: $url does not check envelopes as production does: ${chk:-no answer}" >&2
		exit 1
	fi
	echo "{\"point\": \"envelope check $url\", \"r\": $chk}" >> "$out/raw.jsonl"
done
echo "bench: both servers refuse a body that is no envelope and an unregistered key's envelope" >&2

if [ "$short" = 0 ]; then
	# R1: a dashboard of 1,000 threads (the demo supervisor's, on the fresh database) listed in full,
	# then resynchronised after a reconnect by fetching only what changed (thread.list changed_since)
	# after 10 and after 100 new messages: the bytes of the JSON replies of each.
	echo "bench: R1 dashboard resynchronisation" >&2
	# Citizens of their own: each opens 10 threads, as many as a citizen may have open at once.
	citizens 020190 > "$out/tokens_r1"
	resync=$("$gen" resync "http://127.0.0.1:$port" "$out/tokens_r1" 1000 10,100 sara sara-demo)
	echo "{\"point\": \"R1\", \"r\": $resync}" >> "$out/raw.jsonl"
	r1=$(node -e 'const o = JSON.parse(process.argv[1]);
		console.log([o.full_bytes, o.resyncs[0].bytes, o.resyncs[1].bytes].join(" "));' "$resync")
	read -r r1_full r1_10 r1_100 <<< "$r1"
	echo "bench: R1 full list of 1000 threads $r1_full bytes; resync after 10 changes $r1_10 bytes, after 100 changes $r1_100 bytes" >&2
	met=$(node -e 'console.log(process.argv[1] <= 0.05 * process.argv[2] ? "yes" : "no")' "$r1_10" "$r1_full")
	note=$(node -e 'const o = JSON.parse(process.argv[1]);
		console.log(`full list ${o.full_bytes} B in ${o.full_requests} pages of 100; after 100 changes ` +
			`${o.resyncs[1].bytes} B in ${o.resyncs[1].requests} page(s); each resync fetched exactly the changed threads`);' \
		"$resync")
	row "R1 bytes to resynchronise a 1,000-thread dashboard after 10 changes (thread.list changed_since)" "$r1_10" "" \
		"$r1_full" "a full list of the 1,000 threads, bytes" "<= 5 % of a full list" "$met" "$note"

	echo "bench: M5 token verification" >&2
	m5=$(json_get "$("$build/tests/bench/bench_token" "$data/adviced.conf" "$out/token1" 3)" verify_per_s)
	m5_met=$(node -e 'console.log(process.argv[1] >= 0.8 * process.argv[2] ? "yes" : "no")' "$m5" "$openssl_verify")
	row "M5 ID-token verifications/s (RS256, one thread)" "$m5" "" "$openssl_verify" "openssl speed rsa2048 verify/s" \
		">= 80 % of reference" "$m5_met" ""
fi

# BENCH_PERF=1: a profile of adviced in M1 512 B, 5 s of the measured window (perf record -g),
# reported in <build>/bench/perf-m1-512.txt: the top symbols, then by thread (tid) and symbol.
perf_m1() { # perf_m1 PID GO_FILE OUT
	for _ in $(seq 1200); do
		[ -e "$2" ] && break
		sleep 0.1
	done
	sleep 2.5 # the warm-up
	perf record -g -p "$1" -o "$3.data" -- sleep 5 > /dev/null 2>&1 || return 0
	# Thread ids: the process id is the main (network) thread; the busiest other one with
	# libsqlite3 and libsodium is the core thread.
	{
		echo "# perf record -g -p adviced, 5 s of the M1 512 B window; perf report --no-children --percent-limit 1.5"
		perf report -i "$3.data" --no-children --percent-limit 1.5 --stdio 2> /dev/null | head -80
		echo "# by thread (process id $1: the main thread, the network): --sort pid"
		perf report -i "$3.data" --no-children --sort pid -g none --stdio 2> /dev/null | grep -E '^ +[0-9]'
		echo "# by thread and library: --sort pid,dso"
		perf report -i "$3.data" --no-children --sort pid,dso -g none --stdio 2> /dev/null |
			grep -E '^ +[0-9]' | head -20
		echo "# by thread and symbol: --sort pid,sym --percent-limit 1"
		perf report -i "$3.data" --no-children --sort pid,sym --percent-limit 1 -g none --stdio 2> /dev/null |
			grep -E '^ +[0-9]' | head -40
	} > "$3.txt"
}
# M1: one point against a server: the generator's JSON, with the server's CPU seconds in the
# measured window (and per 1,000 acknowledged messages) and its RSS after it.
m1_point() {
	local url=$1 tokens=$2 body=$3 pid=$4 r prof=""
	rm -f "$out/go"
	if [ -n "${BENCH_PERF:-}" ] && [ "$pid" = "$srv" ] && [ "$body" = 512 ]; then
		perf_m1 "$pid" "$out/go" "$out/perf-m1-512" &
		prof=$!
	fi
	r=$(ADVICE_BENCH_SERVER_PID=$pid ADVICE_BENCH_GO_FILE="$out/go" "$gen" send "$url" "$tokens" 100 2 "$body" "$secs" 32)
	[ -z "$prof" ] || wait "$prof" || true
	node -e 'const o = JSON.parse(process.argv[1]); o.server_rss_kb = Number(process.argv[2]);
		console.log(JSON.stringify(o));' "$r" "$(rss_kb_of "$pid")"
}
# The same against Mosquitto with raw payloads of `bytes`; "{}" when its generator fails (its
# column then shows "–").
mqtt_m1_point() {
	local r
	r=$(ADVICE_BENCH_SERVER_PID=$mqtt "$mqgen" send 127.0.0.1 "$mqtt_port" 100 "$1" "$secs" 32) || r=""
	if [ -z "$r" ]; then
		echo "bench: the Mosquitto M1 point failed" >&2
		echo '{}'
		return 0
	fi
	node -e 'const o = JSON.parse(process.argv[1]); o.server_rss_kb = Number(process.argv[2]);
		console.log(JSON.stringify(o));' "$r" "$(rss_kb_of "$mqtt")"
}
m1_sizes="512 4096"
[ "$short" = 0 ] || m1_sizes=512
for body in $m1_sizes; do
	tokens
	# Mosquitto carries raw payloads as long as our message.send body (the envelope in base64url).
	wire=$(json_get "$("$gen" envsize "$body")" base64url)
	if [ "$short" = 1 ]; then
		echo "bench: M1 $body B, ours and peer" >&2
	else
		echo "bench: M1 $body B, ours, peer, Mosquitto" >&2
	fi
	ours=$(m1_point "http://127.0.0.1:$port" "$out/tokens" "$body" "$srv")
	theirs=$(m1_point "http://127.0.0.1:$peer_port" "$out/tokens" "$body" "$peer")
	mq='{}'
	[ "$short" = 1 ] || mq=$(mqtt_m1_point "$wire")
	echo "{\"point\": \"M1 $body ours\", \"r\": $ours}" >> "$out/raw.jsonl"
	echo "{\"point\": \"M1 $body peer\", \"r\": $theirs}" >> "$out/raw.jsonl"
	echo "{\"point\": \"M1 $body mosquitto\", \"r\": $mq}" >> "$out/raw.jsonl"
	o=$(json_get "$ours" acks_per_s)
	p=$(json_get "$theirs" acks_per_s)
	if [ "$body" = 512 ]; then
		ref=$sqlite512
		target=">= 1.5x peer and >= 0.5x reference"
		met=$(node -e 'const [o, p, r] = process.argv.slice(1).map(Number);
			console.log(o >= 1.5 * p && o >= 0.5 * r ? "yes" : "no")' "$o" "$p" "$ref")
	else
		ref=$sqlite4k
		target=">= 1.5x peer"
		met=$(node -e 'const [o, p] = process.argv.slice(1).map(Number); console.log(o >= 1.5 * p ? "yes" : "no")' "$o" "$p")
	fi
	note=$(node -e 'const o = JSON.parse(process.argv[1]), p = JSON.parse(process.argv[2]);
		const g = (x) => (x.gen_max_core > 0.8 ? " GENERATOR-BOUND" : "");
		const out = (x) => (x.pool_ran_out ? " (its pre-sealed envelopes ran out: window ended early)" : "");
		console.log(`${process.argv[3]} B of text in each envelope, ${process.argv[4]} B base64url body; ` +
			`ack p50/p99 ms ours ${o.ack_p50_ms}/${o.ack_p99_ms}, peer ${p.ack_p50_ms}/${p.ack_p99_ms}; ` +
			`server CPU-s in the ${o.seconds} s window ours ${o.server_cpu_s}, peer ${p.server_cpu_s}; ` +
			`server RSS kB ours ${o.server_rss_kb}, peer ${p.server_rss_kb}; ` +
			`generator max core ${o.gen_max_core}${g(o)}${out(o)} / ${p.gen_max_core}${g(p)}${out(p)}; ` +
			`errors ${o.errors}/${p.errors}`);' \
		"$ours" "$theirs" "$body" "$wire")
	[ "$short" = 1 ] || note+=$(node -e 'const m = JSON.parse(process.argv[1]);
		const g = m.gen_max_core > 0.8 ? " GENERATOR-BOUND" : "";
		console.log(`; Mosquitto ${process.argv[2]} (MQTT 3.1.1 over TCP, QoS 1, ${process.argv[4]} B ` +
			`raw payloads, no session or signature check; its PUBACK comes before any disk write; ` +
			`each message is also delivered back to its sender): ` +
			`ack p50/p99 ms ${m.ack_p50_ms}/${m.ack_p99_ms}, server CPU-s ${m.server_cpu_s}, ` +
			`generator max core ${m.gen_max_core}${g}, errors ${m.errors}; ` +
			`its websockets listener: ${process.argv[3]}`);' \
		"$mq" "$mqtt_version" "$mqtt_ws" "$wire")
	row "M1 durable acked msg/s, $body B, 100 senders" "$o" "$p" "$ref" \
		"SQLite WAL FULL, 100 rows/commit, C (fsync ceiling $fsync_ref commits/s)" "$target" "$met" "$note" \
		"$(json_get "$mq" acks_per_s)"
	row "M1 server CPU-s per 1,000 acked messages, $body B (lower is better)" \
		"$(json_get "$ours" server_cpu_s_per_1000)" "$(json_get "$theirs" server_cpu_s_per_1000)" "" "" "" "" \
		"each server's CPU (user + system, /proc) in the measured window over the messages it acknowledged in it" \
		"$(json_get "$mq" server_cpu_s_per_1000)"
done

tokens
if [ "$short" = 0 ]; then
	echo "bench: M2 latency to a second connection at 1000 msg/s" >&2
	# Each JSON is kept even when a message was missing (its note says how many arrived).
	lat_ours=$("$gen" latency "http://127.0.0.1:$port" "$out/token_m2" 1000 "$secs") ||
		echo "bench: M2 against adviced: not every message arrived" >&2
	lat_peer=$("$gen" latency "http://127.0.0.1:$peer_port" "$out/token_m2" 1000 "$secs") ||
		echo "bench: M2 against the peer: not every message arrived" >&2
	[ -n "$lat_ours" ] || lat_ours='{}'
	[ -n "$lat_peer" ] || lat_peer='{}'
	# Mosquitto: publisher and QoS 1 subscriber; its JSON is kept even when a message was missing.
	lat_mq=$("$mqgen" latency 127.0.0.1 "$mqtt_port" 1000 "$secs") ||
		echo "bench: the Mosquitto M2 point failed" >&2
	[ -n "$lat_mq" ] || lat_mq='{}'
	echo "{\"point\": \"M2 ours\", \"r\": $lat_ours}" >> "$out/raw.jsonl"
	echo "{\"point\": \"M2 peer\", \"r\": $lat_peer}" >> "$out/raw.jsonl"
	echo "{\"point\": \"M2 mosquitto\", \"r\": $lat_mq}" >> "$out/raw.jsonl"
	fsync_ms=$(node -e 'console.log((1000 / process.argv[1]).toFixed(3))' "$fsync_ref")
	for q in p50:1 p99:5; do
		o=$(json_get "$lat_ours" "${q%%:*}_ms")
		p=$(json_get "$lat_peer" "${q%%:*}_ms")
		met=$(node -e 'console.log(Number(process.argv[1]) >= 0 && Number(process.argv[1]) <= Number(process.argv[2]) ? "yes" : "no")' "$o" "${q##*:}")
		note=$(node -e 'const o = JSON.parse(process.argv[1]), p = JSON.parse(process.argv[2]);
			const cl = (x) => (x.closed_by_server ? ` (connection closed by the server, code ${x.closed_by_server})` : "");
			console.log(`received ${o.received}/${o.sent} ours${cl(o)}, ${p.received}/${p.sent} peer${cl(p)}; p99.9 ms ${o.p999_ms} / ${p.p999_ms}; ` +
				`generator core ${o.gen_max_core} / ${p.gen_max_core}, its send lag max ${o.send_lag_max_ms} / ${p.send_lag_max_ms} ms`);' \
			"$lat_ours" "$lat_peer")
		note+=$(node -e 'const m = JSON.parse(process.argv[1]);
			console.log(`; Mosquitto (MQTT 3.1.1 over TCP, QoS 1 publish and subscription, ` +
				`16 B payloads, no disk write before delivery): received ${m.received}/${m.sent}, ` +
				`p99.9 ms ${m.p999_ms}, ` +
				`generator core ${m.gen_max_core}, its send lag max ${m.send_lag_max_ms} ms`);' "$lat_mq")
		row "M2 latency ${q%%:*} ms, sender to 2nd connection, 1000 msg/s open loop" "$o" "$p" "$fsync_ms" \
			"mean fdatasync ms, fsync probe" "<= ${q##*:} ms" "$met" "$note" "$(json_get "$lat_mq" "${q%%:*}_ms")"
	done
fi

# M4: 50 MiB of attachments (two files: one file may hold 25 MiB) to the last durable ack,
# 8 chunks of 64 KiB in flight; the server's peak RSS sampled every 50 ms.
upload_point() {
	local url=$1 tokens=$2 pid=$3 r peak=0 kb g
	"$gen" upload "$url" "$tokens" 50 8 > "$out/upload.json" &
	g=$!
	while kill -0 "$g" 2> /dev/null; do
		kb=$(rss_kb_of "$pid")
		[ "$kb" -gt "$peak" ] && peak=$kb
		sleep 0.05
	done
	wait "$g"
	r=$(cat "$out/upload.json")
	node -e 'const o = JSON.parse(process.argv[1]); o.server_peak_rss_kb = Number(process.argv[2]);
		console.log(JSON.stringify(o));' "$r" "$peak"
}
echo "bench: M4 attachment upload" >&2
seq_ref=$(json_get "$("$gen" seqwrite "$out/seq.probe" 512)" mb_per_s)
up_ours=$(upload_point "http://127.0.0.1:$port" "$out/token_m4" "$srv")
up_peer=$(upload_point "http://127.0.0.1:$peer_port" "$out/token_m4" "$peer")
echo "{\"point\": \"M4 ours\", \"r\": $up_ours}" >> "$out/raw.jsonl"
echo "{\"point\": \"M4 peer\", \"r\": $up_peer}" >> "$out/raw.jsonl"
o=$(json_get "$up_ours" mb_per_s)
note=$(node -e 'const o = JSON.parse(process.argv[1]), p = JSON.parse(process.argv[2]);
	const g = (x) => (x.gen_max_core > 0.8 ? " GENERATOR-BOUND" : "");
	console.log(`server peak RSS ours ${o.server_peak_rss_kb} kB, peer ${p.server_peak_rss_kb} kB; ${o.seconds} s / ${p.seconds} s; ` +
		`generator core ${o.gen_max_core}${g(o)} / ${p.gen_max_core}${g(p)}`);' \
	"$up_ours" "$up_peer")
met=$(node -e 'console.log(Number(process.argv[1]) >= 0.8 * Number(process.argv[2]) ? "yes" : "no")' "$o" "$seq_ref")
row "M4 attachment upload MB/s, 50 MiB, 64 KiB chunks, to the last durable ack" "$o" "$(json_get "$up_peer" mb_per_s)" \
	"$seq_ref" "sequential write 512 MiB + fdatasync, MB/s" ">= 0.8x reference" "$met" "$note"

# M4, second half: small-message latency (500 msg/s, as M2) while 50 MiB uploads follow one
# another, against the same point with no upload. Each upload is another citizen's (quotas).
echo "bench: M4 small-message latency, idle and during uploads" >&2
lat_quiet=$("$gen" latency "http://127.0.0.1:$port" "$out/token_m2" 500 5) ||
	echo "bench: M4 quiet latency: not every message arrived" >&2
[ -n "$lat_quiet" ] || lat_quiet='{}'
(
	for i in $(seq 2 100); do
		sed -n "${i}p" "$out/tokens" > "$out/token_up"
		"$gen" upload "http://127.0.0.1:$port" "$out/token_up" 50 8 > /dev/null || exit 1
	done
) &
uploads=$!
pids+=("$uploads")
lat_busy=$("$gen" latency "http://127.0.0.1:$port" "$out/token_m2" 500 5) ||
	echo "bench: M4 latency during uploads: not every message arrived" >&2
[ -n "$lat_busy" ] || lat_busy='{}'
pkill -P "$uploads" 2> /dev/null || true
kill "$uploads" 2> /dev/null || true
wait "$uploads" 2> /dev/null || true
echo "{\"point\": \"M4 latency quiet\", \"r\": $lat_quiet}" >> "$out/raw.jsonl"
echo "{\"point\": \"M4 latency during uploads\", \"r\": $lat_busy}" >> "$out/raw.jsonl"
o=$(json_get "$lat_busy" p99_ms)
ref=$(json_get "$lat_quiet" p99_ms)
met=$(node -e 'console.log(Number(process.argv[1]) <= 2 * Number(process.argv[2]) ? "yes" : "no")' "$o" "$ref")
note=$(node -e 'const q = JSON.parse(process.argv[1]), b = JSON.parse(process.argv[2]);
	console.log(`p50 ms quiet ${q.p50_ms}, during uploads ${b.p50_ms}; received ${b.received}/${b.sent} during uploads`);' \
	"$lat_quiet" "$lat_busy")
row "M4 small-message p99 ms at 500 msg/s during back-to-back 50 MiB uploads" "$o" "" "$ref" \
	"the same point without uploads, p99 ms" "<= 2x reference" "$met" "$note"

if [ "$short" = 0 ]; then
	# M3: idle authenticated connections, 50,000 by default (BENCH_IDLE_CONNS overrides; "max": as
	# many as the descriptor limit allows), opened at once by many generator processes over eight
	# source addresses (127.0.0.1-8, each with its own ~28,000 ephemeral ports). Measured: server
	# RSS and kernel memory per connection once all are open; the server's CPU in six 5 s windows
	# from 5 s to 35 s after the last connect, one whole ping interval (30 s: every connection is
	# pinged once in it, in a burst as dense as the connects were); connect+auth rate and connect
	# latency (TCP, upgrade with the session cookie, welcome).
	tokens
	idle_max=$(node -e 'console.log(Math.min(50000, Number(process.argv[1]) - 300))' "$(ulimit -n)")
	idle_n=${BENCH_IDLE_CONNS:-50000}
	[ "$idle_n" = max ] && idle_n=$idle_max
	idle_capped=""
	if [ "$idle_n" -gt "$idle_max" ]; then
		idle_capped=" (capped from $idle_n by the descriptor limit $(ulimit -n): the hard limit could not be raised)"
		idle_n=$idle_max
	fi
	echo "bench: M3 $idle_n idle connections$idle_capped" >&2
	kb0=$(rss_kb_of "$srv")
	tcp_mem0=$(awk '/^TCP:/ { print $NF }' /proc/net/sockstat)
	slab0=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
	"$gen" idle "http://127.0.0.1:$port" "$out/tokens" "$idle_n" 50 > "$out/idle.json" &
	idle_pid=$!
	pids+=("$idle_pid")
	for _ in $(seq 3000); do [ -s "$out/idle.json" ] && break; sleep 0.2; done
	sleep 5
	kb1=$(rss_kb_of "$srv")
	tcp_mem1=$(awk '/^TCP:/ { print $NF }' /proc/net/sockstat)
	slab1=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
	cpus=("$(cpu_of "$srv")")
	for _ in 1 2 3 4 5 6; do
		sleep 5
		cpus+=("$(cpu_of "$srv")")
	done
	wait "$idle_pid" || true
	idle=$(cat "$out/idle.json")
	echo "{\"point\": \"M3\", \"r\": $idle}" >> "$out/raw.jsonl"
	n=$(json_get "$idle" connected)
	per=$(node -e 'console.log(((process.argv[2] - process.argv[1]) * 1024 / process.argv[3]).toFixed(0))' "$kb0" "$kb1" "$n")
	# CPU % of a core: the busiest 5 s window, and "min/mean" of the six for the note.
	cpu_max=$(node -e 'const c = process.argv.slice(1).map(Number), w = c.slice(1).map((x, i) => (x - c[i]) / 5 * 100);
		console.log(Math.max(...w).toFixed(1));' "${cpus[@]}")
	cpu_rest=$(node -e 'const c = process.argv.slice(1).map(Number), w = c.slice(1).map((x, i) => (x - c[i]) / 5 * 100);
		console.log(`${Math.min(...w).toFixed(1)} % / ${((c[c.length - 1] - c[0]) / 30 * 100).toFixed(1)} %`);' "${cpus[@]}")
	note=$(node -e 'const [n, want, t0, t1, s0, s1, lim] = process.argv.slice(1, 8).map(Number);
		console.log(`${n} of ${want} connected (descriptor limit ${lim})${process.argv[8]}; ` +
			`kernel: sockstat TCP mem +${((t1 - t0) * 4096 / n).toFixed(0)} B/conn (buffers), slab +${((s1 - s0) * 1024 / n).toFixed(0)} B/conn ` +
			`(both ends: the generator sockets are on this machine too)`);' \
		"$n" "$idle_n" "$tcp_mem0" "$tcp_mem1" "$slab0" "$slab1" "$(ulimit -n)" "$idle_capped")
	met=$(node -e 'console.log(Number(process.argv[1]) <= 8192 && Number(process.argv[2]) >= Number(process.argv[3]) ? "yes" : "no")' \
		"$per" "$n" "$idle_n")
	row "M3 server RSS bytes per idle authenticated connection" "$per" "" "" "" \
		"<= 8192 B at the largest count the machine allows ($idle_n)" "$met" "$note"
	# At the largest count this machine allows: all of idle_n (50,000, or the descriptor limit's cap).
	met=$(node -e 'console.log(Number(process.argv[1]) <= 5 && Number(process.argv[2]) >= Number(process.argv[3]) ? "yes" : "no")' \
		"$cpu_max" "$n" "$idle_n")
	row "M3 server CPU % of a core while idle, busiest 5 s of a ping interval" "$cpu_max" "" "" "" \
		"<= 5 % at the largest count the machine allows ($idle_n)" "$met" \
		"$n connections; the six 5 s windows from 5 s to 35 s after the last connect: min / mean $cpu_rest (each connection pinged once every 30 s)"
	conn_rate=$(json_get "$idle" connect_per_s)
	conn_p99=$(json_get "$idle" connect_p99_ms)
	met=$(node -e 'console.log(process.argv[1] >= 2000 && process.argv[2] <= 50 ? "yes" : "no")' "$conn_rate" "$conn_p99")
	note=$(node -e 'const o = JSON.parse(process.argv[1]);
		console.log(`connect p50/p99/p99.9 ms ${o.connect_p50_ms}/${o.connect_p99_ms}/${o.connect_p999_ms}, ` +
			`${o.procs} generator processes at once over ${o.sources} source addresses (logins before, not counted)`);' "$idle")
	row "M3 connect+auth/s (WebSocket with session, to the welcome)" "$conn_rate" "" "" "" \
		">= 2000/s with connect p99 <= 50 ms" "$met" "$note"
fi

node -e '
const fs = require("fs");
const rows = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
const f = (x) => (x === null || x === undefined ? "–" : String(x));
const ratio = (a, b) => (a === null || b === null || b === 0 ? "–" : (a / b).toFixed(2));
let md = "| metric | ours | peer | Mosquitto (non-durable) | reference (same run) | ours/peer | ours/ref | " +
	"target | met? |\n";
md += "|---|---|---|---|---|---|---|---|---|\n";
for (const r of rows)
	md += `| ${r.metric} | ${f(r.ours)} | ${f(r.peer)} | ${f(r.mosquitto)} | ` +
		`${r.reference === null ? "–" : `${f(r.reference)} (${r.reference_is})`} | ` +
		`${ratio(r.ours, r.peer)} | ${ratio(r.ours, r.reference)} | ${r.target} | ${r.met === null ? "–" : r.met ? "yes" : "no"} |\n`;
const notes = rows.filter((r) => r.note).map((r) => `* ${r.metric}: ${r.note}`).join("\n");
md += notes ? `\n${notes}\n` : "";
const json = JSON.stringify(rows, null, 2);
fs.writeFileSync(process.argv[2] + "/result.md", md);
fs.writeFileSync(process.argv[2] + "/result.json", json + "\n");
console.log(md);
console.log(json);
' "$rows" "$out"
