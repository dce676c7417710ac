#!/usr/bin/env bash
# The benchmark: builds the load generator (-DADVICE_BENCH=ON, in build-bench/ or $1), runs
# our server and the durable Node.js peer (tests/bench/peer) side by side on this machine,
# measures the physical references in the same run, and prints a table as markdown and JSON
# (also written to <build>/bench/result.md and result.json). Not part of the test suite.
# BENCH_SECONDS (default 10) is the measured time of each throughput point.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
build="${1:-build-bench}"
secs="${BENCH_SECONDS:-10}"
port="${BENCH_PORT:-18480}"
peer_port=$((port + 1))

deploy/dev/build.sh "$build" -DADVICE_BENCH=ON > /dev/null
[ -d tests/bench/peer/node_modules/ws ] || (cd tests/bench/peer && npm ci --no-audit --no-fund > /dev/null)
gen="$build/tests/bench/advice_bench"
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
# row METRIC OURS PEER REFERENCE REFERENCE_LABEL TARGET MET NOTE
row() {
	node -e 'const [m, o, p, r, rl, t, met, note] = process.argv.slice(1);
		const num = (x) => (x === "" ? null : Number(x));
		console.log(JSON.stringify({ metric: m, ours: num(o), peer: num(p), reference: num(r),
			reference_is: rl, target: t, met: met === "" ? null : met === "yes", note }));' \
		"$@" >> "$rows"
}

echo "bench: physical references" >&2
fsync_ref=$(json_get "$("$gen" fsync "$out/fsync.probe" 3)" commits_per_s)
sqlite512=$(json_get "$("$gen" sqlite "$out/probe512.db" 3 512)" rows_per_s)
sqlite4k=$(json_get "$("$gen" sqlite "$out/probe4k.db" 3 4096)" rows_per_s)
rm -f "$out"/probe*.db*
openssl_verify=$(openssl speed -seconds 3 rsa2048 2> /dev/null | awk '/^rsa 2048/ { print int($NF) }')

echo "bench: starting adviced and the Node.js peer" >&2
data="$out/data"
"$build/advicectl" init "$data" --demo --test-mode --port "$port" --web-root "$root/client-web" --no-totp \
	> "$out/init.log"
"$build/adviced" -c "$data/adviced.conf" 2> "$out/adviced.log" &
srv=$!
pids+=("$srv")
node tests/bench/peer/server.mjs "$peer_port" "$out/peer.log" &
peer=$!
pids+=("$peer")
wait_port "$port"
wait_port "$peer_port"

# 100 test citizens: DDMMYY-9ZZQ with the check character of server/hetu.c.
chars=0123456789ABCDEFHJKLMNPRSTUVWXY
: > "$out/tokens"
for n in $(seq 900 999); do
	v=$((10#010190$n))
	"$build/advicectl" -d "$data" dev-token "010190-$n${chars:$((v % 31)):1}" >> "$out/tokens"
done
head -1 "$out/tokens" > "$out/token1"

echo "bench: M5 token verification" >&2
m5=$(json_get "$("$build/tests/bench/bench_token" "$data/adviced.conf" "$out/token1" 3)" verify_per_s)
m5_met=$(node -e 'console.log(process.argv[1] >= 0.8 * process.argv[2] ? "yes" : "no")' "$m5" "$openssl_verify")
row "M5 ID-token verifications/s (RS256, one thread)" "$m5" "" "$openssl_verify" "openssl speed rsa2048 verify/s" \
	">= 80 % of reference" "$m5_met" ""

# M1: one point against a server; prints the generator's JSON with the server's CPU-s added.
m1_point() {
	local url=$1 tokens=$2 body=$3 pid=$4 c0 c1 r
	c0=$(cpu_of "$pid")
	r=$("$gen" send "$url" "$tokens" 100 2 "$body" "$secs" 32)
	c1=$(cpu_of "$pid")
	node -e 'const o = JSON.parse(process.argv[1]); o.server_cpu_s = Number(process.argv[2]);
		o.server_rss_kb = Number(process.argv[3]); console.log(JSON.stringify(o));' \
		"$r" "$(node -e "console.log(($c1 - $c0).toFixed(2))")" "$(rss_kb_of "$pid")"
}
for body in 512 4096; do
	echo "bench: M1 $body B, ours then peer" >&2
	ours=$(m1_point "http://127.0.0.1:$port" "$out/tokens" "$body" "$srv")
	theirs=$(m1_point "http://127.0.0.1:$peer_port" - "$body" "$peer")
	echo "{\"point\": \"M1 $body ours\", \"r\": $ours}" >> "$out/raw.jsonl"
	echo "{\"point\": \"M1 $body peer\", \"r\": $theirs}" >> "$out/raw.jsonl"
	o=$(json_get "$ours" acks_per_s)
	p=$(json_get "$theirs" acks_per_s)
	ref=$([ "$body" = 512 ] && echo "$sqlite512" || echo "$sqlite4k")
	met=$(node -e 'console.log(process.argv[1] >= 30000 && process.argv[1] >= 2 * process.argv[2] ? "yes" : "no")' "$o" "$p")
	note=$(node -e 'const o = JSON.parse(process.argv[1]), p = JSON.parse(process.argv[2]);
		const g = (x) => (x.gen_max_core > 0.8 ? " GENERATOR-BOUND" : "");
		console.log(`ack p50/p99 ms ours ${o.ack_p50_ms}/${o.ack_p99_ms}, peer ${p.ack_p50_ms}/${p.ack_p99_ms}; ` +
			`server CPU-s ours ${o.server_cpu_s}, peer ${p.server_cpu_s} (run incl. 2 s warm-up); ` +
			`generator max core ${o.gen_max_core}${g(o)} / ${p.gen_max_core}${g(p)}; errors ${o.errors}/${p.errors}`);' \
		"$ours" "$theirs")
	row "M1 durable acked msg/s, $body B, 100 senders" "$o" "$p" "$ref" \
		"SQLite WAL FULL, 100 rows/commit, C (fsync ceiling $fsync_ref commits/s)" ">= 30000 and >= 2x peer" "$met" "$note"
done

echo "bench: M2 latency to a second connection at 1000 msg/s" >&2
"$build/advicectl" -d "$data" dev-token 010594Y9032 > "$out/token_m2"
lat_ours=$("$gen" latency "http://127.0.0.1:$port" "$out/token_m2" 1000 "$secs")
lat_peer=$("$gen" latency "http://127.0.0.1:$peer_port" - 1000 "$secs")
echo "{\"point\": \"M2 ours\", \"r\": $lat_ours}" >> "$out/raw.jsonl"
echo "{\"point\": \"M2 peer\", \"r\": $lat_peer}" >> "$out/raw.jsonl"
fsync_ms=$(node -e 'console.log((1000 / process.argv[1]).toFixed(3))' "$fsync_ref")
for q in p50:1 p99:5; do
	o=$(json_get "$lat_ours" "${q%%:*}_ms")
	p=$(json_get "$lat_peer" "${q%%:*}_ms")
	met=$(node -e 'console.log(Number(process.argv[1]) >= 0 && Number(process.argv[1]) <= Number(process.argv[2]) ? "yes" : "no")' "$o" "${q##*:}")
	note=$(node -e 'const o = JSON.parse(process.argv[1]), p = JSON.parse(process.argv[2]);
		console.log(`received ${o.received}/${o.sent} ours, ${p.received}/${p.sent} peer; p99.9 ms ${o.p999_ms} / ${p.p999_ms}; ` +
			`generator core ${o.gen_max_core} / ${p.gen_max_core}, its send lag max ${o.send_lag_max_ms} / ${p.send_lag_max_ms} ms`);' \
		"$lat_ours" "$lat_peer")
	row "M2 latency ${q%%:*} ms, sender to 2nd connection, 1000 msg/s open loop" "$o" "$p" "$fsync_ms" \
		"mean fdatasync ms, fsync probe" "<= ${q##*:} ms" "$met" "$note"
done

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
"$build/advicectl" -d "$data" dev-token 020594X903P > "$out/token_m4"
seq_ref=$(json_get "$("$gen" seqwrite "$out/seq.probe" 512)" mb_per_s)
up_ours=$(upload_point "http://127.0.0.1:$port" "$out/token_m4" "$srv")
up_peer=$(upload_point "http://127.0.0.1:$peer_port" - "$peer")
echo "{\"point\": \"M4 ours\", \"r\": $up_ours}" >> "$out/raw.jsonl"
echo "{\"point\": \"M4 peer\", \"r\": $up_peer}" >> "$out/raw.jsonl"
o=$(json_get "$up_ours" mb_per_s)
note=$(node -e 'const o = JSON.parse(process.argv[1]), p = JSON.parse(process.argv[2]);
	console.log(`server peak RSS ours ${o.server_peak_rss_kb} kB, peer ${p.server_peak_rss_kb} kB; ${o.seconds} s / ${p.seconds} s; generator core ${o.gen_max_core} / ${p.gen_max_core}`);' \
	"$up_ours" "$up_peer")
met=$(node -e 'console.log(process.argv[1] >= 250 ? "yes" : "no")' "$o")
row "M4 attachment upload MB/s, 50 MiB, 64 KiB chunks, to the last durable ack" "$o" "$(json_get "$up_peer" mb_per_s)" \
	"$seq_ref" "sequential write 512 MiB + fdatasync, MB/s" ">= 250 MB/s" "$met" "$note"

# M3: idle authenticated connections, up to what the descriptor limit allows (50,000 at most)
# (one 127.0.0.1 source address also caps them at about 28,000 ephemeral ports).
# The default is 10,000 to keep the run short (the server's connect rate falls as the count
# grows); BENCH_IDLE_CONNS=max asks for as many as the limits allow.
idle_max=$(node -e 'console.log(Math.min(50000, 28000, Number(process.argv[1]) - 300))' "$(ulimit -n)")
idle_n=${BENCH_IDLE_CONNS:-10000}
[ "$idle_n" = max ] && idle_n=$idle_max
[ "$idle_n" -gt "$idle_max" ] && idle_n=$idle_max
echo "bench: M3 $idle_n idle connections" >&2
kb0=$(rss_kb_of "$srv")
tcp_mem0=$(awk '/^TCP:/ { print $NF }' /proc/net/sockstat)
slab0=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
"$gen" idle "http://127.0.0.1:$port" "$out/tokens" "$idle_n" 15 > "$out/idle.json" &
idle_pid=$!
pids+=("$idle_pid")
for _ in $(seq 3000); do [ -s "$out/idle.json" ] && break; sleep 0.2; done
sleep 5
kb1=$(rss_kb_of "$srv")
tcp_mem1=$(awk '/^TCP:/ { print $NF }' /proc/net/sockstat)
slab1=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
c0=$(cpu_of "$srv")
sleep 5
c1=$(cpu_of "$srv")
wait "$idle_pid" || true
idle=$(cat "$out/idle.json")
echo "{\"point\": \"M3\", \"r\": $idle}" >> "$out/raw.jsonl"
n=$(json_get "$idle" connected)
per=$(node -e 'console.log(((process.argv[2] - process.argv[1]) * 1024 / process.argv[3]).toFixed(0))' "$kb0" "$kb1" "$n")
note=$(node -e 'const [n, want, rate, t0, t1, s0, s1, c0, c1, lim] = process.argv.slice(1).map(Number);
	console.log(`${n} of ${want} connected (descriptor limit ${lim}) at ${rate}/s; ` +
		`kernel: sockstat TCP mem +${((t1 - t0) * 4096 / n).toFixed(0)} B/conn (buffers), slab +${((s1 - s0) * 1024 / n).toFixed(0)} B/conn; ` +
		`server CPU while idle ${((c1 - c0) / 5 * 100).toFixed(1)} % of a core`);' \
	"$n" "$idle_n" "$(json_get "$idle" connect_per_s)" "$tcp_mem0" "$tcp_mem1" "$slab0" "$slab1" "$c0" "$c1" \
	"$(ulimit -n)")
met=$(node -e 'console.log(process.argv[1] <= 8192 && process.argv[2] >= 50000 ? "yes" : "no")' "$per" "$n")
row "M3 server RSS bytes per idle authenticated connection" "$per" "" "" "" \
	"<= 8192 B at 50,000 connections" "$met" "$note"

node -e '
const fs = require("fs");
const rows = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
const f = (x) => (x === null ? "–" : String(x));
const ratio = (a, b) => (a === null || b === null || b === 0 ? "–" : (a / b).toFixed(2));
let md = "| metric | ours | peer | reference (same run) | ours/peer | ours/ref | target | met? |\n";
md += "|---|---|---|---|---|---|---|---|\n";
for (const r of rows)
	md += `| ${r.metric} | ${f(r.ours)} | ${f(r.peer)} | ${f(r.reference)} (${r.reference_is}) | ` +
		`${ratio(r.ours, r.peer)} | ${ratio(r.ours, r.reference)} | ${r.target} | ${r.met === null ? "–" : r.met ? "yes" : "no"} |\n`;
const notes = rows.filter((r) => r.note).map((r) => `* ${r.metric}: ${r.note}`).join("\n");
md += notes ? `\n${notes}\n` : "";
const json = JSON.stringify(rows, null, 2);
fs.writeFileSync(process.argv[2] + "/result.md", md);
fs.writeFileSync(process.argv[2] + "/result.json", json + "\n");
console.log(md);
console.log(json);
' "$rows" "$out"
