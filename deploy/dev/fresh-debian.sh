#!/usr/bin/env bash
# The README's two commands on a fresh Debian 12, as a new developer would run them: builds a
# clean bookworm root with debootstrap, clones the committed tree (HEAD; nothing uncommitted or
# ignored comes along) into it, starts ./deploy/dev/run.sh there, checks that it serves the front
# page and the test bank and that a bank-ID login starts, stops it, then runs
# ./deploy/dev/test.sh. Run it before resolving anything that changes dependencies.
#
#   deploy/dev/fresh-debian.sh [--keep] [ROOT]
#
# ROOT is the folder for the new root (default: a new one under /var/tmp); it is deleted at
# the end unless --keep is given. Runs as root (debootstrap, chroot, mounts). The root uses the
# same Debian mirror as this machine's apt and trusts the extra CA certificates of this machine
# (/usr/local/share/ca-certificates), so that apt and npm inside reach their registries. The
# root shares this machine's network: run.sh gets a free port (FRESH_PORT to choose one).
# Exit status: that of test.sh, or 1 when the root cannot be made or run.sh does not serve.
set -euo pipefail

keep=0
if [ "${1:-}" = --keep ]; then
	keep=1
	shift
fi
[ "$(id -u)" -eq 0 ] || {
	echo "fresh-debian.sh: run as root (debootstrap, chroot and mounts need it)" >&2
	exit 1
}
src="$(cd "$(dirname "$0")/../.." && git rev-parse --show-toplevel)"
root="${1:-$(mktemp -d /var/tmp/advice-fresh-debian.XXXXXX)}"
mkdir -p "$root"
root="$(cd "$root" && pwd)"
[ -z "$(ls -A "$root")" ] || {
	echo "fresh-debian.sh: $root is not empty" >&2
	exit 1
}
started=$SECONDS
run_pid=""

say() { printf '== %s (%d min)\n' "$*" $(((SECONDS - started) / 60)); }

# The site of a Debian suite in this machine's apt sources, or the default mirror.
debian_site() {
	local site
	site="$(apt-get indextargets --format '$(SITE) $(RELEASE)' 2>/dev/null | awk -v r="$1" '$2 == r { print $1; exit }')"
	echo "${site:-$2}"
}

# The command line of a program inside the root: a clean environment, as after a login.
in_root() {
	chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

mounted() { grep -q " $root/$1 " /proc/mounts; }

mount_filesystems() {
	mount -t proc proc "$root/proc"
	mount -t sysfs sysfs "$root/sys"
	mount --rbind /dev "$root/dev"
	mount --make-rslave "$root/dev"
}

# Stops run.sh and everything it started (its own process group), waiting up to 20 s.
stop_run() {
	[ -n "$run_pid" ] || return 0
	kill -TERM -- "-$run_pid" 2>/dev/null || true
	for _ in $(seq 200); do
		kill -0 -- "-$run_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$run_pid" 2>/dev/null || true
	wait "$run_pid" 2>/dev/null || true
	run_pid=""
}

cleanup() {
	stop_run
	for m in dev sys proc; do
		if mounted "$m"; then umount -R "$root/$m" 2>/dev/null || umount -R -l "$root/$m" || true; fi
	done
	if grep -q " $root/" /proc/mounts; then
		echo "fresh-debian.sh: still mounted under $root; not deleting it" >&2
	elif [ "$keep" -eq 1 ]; then
		echo "fresh-debian.sh: the root is kept in $root"
	else
		rm -rf --one-file-system "$root"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. A clean bookworm root from this machine's mirror.
command -v debootstrap >/dev/null || {
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
}
mirror="$(debian_site bookworm http://deb.debian.org/debian)"
security="$(debian_site bookworm-security http://deb.debian.org/debian-security)"
include=()
case "$mirror$security" in *https:*) include=(--include=ca-certificates) ;; esac
say "debootstrap bookworm from $mirror into $root"
debootstrap "${include[@]}" bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 || {
	tail -20 "$root.debootstrap.log"
	exit 1
}
rm -f "$root.debootstrap.log"
# What the Debian installer writes beside the base system: sources with security updates,
# hosts and name servers.
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
EOF
cat >"$root/etc/hosts" <<EOF
127.0.0.1	localhost
127.0.1.1	$(cat "$root/etc/hostname" 2>/dev/null || echo debian)
::1	localhost ip6-localhost ip6-loopback
EOF
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
# This machine's extra CA certificates; the ca-certificates package (deps.sh) adds them to the
# root's trust store when it is installed.
if compgen -G '/usr/local/share/ca-certificates/*' >/dev/null; then
	mkdir -p "$root/usr/local/share/ca-certificates"
	cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
	[ -x "$root/usr/sbin/update-ca-certificates" ] && in_root update-ca-certificates >/dev/null
fi
mount_filesystems

# 2. The committed tree.
git clone -q "$src" "$root/src"
say "cloned $(git -C "$root/src" log -1 --format='%h %s' | cut -c1-72)"

# 3. ./deploy/dev/run.sh: serves the front page and the test bank, and a login starts.
port="${FRESH_PORT:-}"
if [ -z "$port" ]; then
	for _ in $(seq 50); do
		port=$((20000 + RANDOM % 20000))
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null ||
			(exec 3<>"/dev/tcp/127.0.0.1/$((port + 1))") 2>/dev/null || break
	done
fi
say "run.sh on port $port (installs the packages and builds first)"
setsid chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin ADVICE_PORT="$port" \
	bash -c 'cd /src && exec ./deploy/dev/run.sh' >"$root/root/run.log" 2>&1 </dev/null &
run_pid=$!
# Fetches the front page, the test bank's discovery, and follows /api/v1/auth/bank/start to the
# bank's page of test persons (the bank has checked adviced's signed request there). Both listen
# on 127.0.0.1, which Node 18 does not try for "localhost" (it takes ::1 from /etc/hosts).
probe='
const [port, bank] = process.argv.slice(1);
const get = async (url, opts) => { const r = await fetch(url, opts); return [r, await r.text()]; };
const [front, page] = await get(`http://127.0.0.1:${port}/`);
if (front.status !== 200 || !page.includes("Verkkoneuvonta")) throw new Error(`front page: ${front.status}`);
const [disc, conf] = await get(`http://127.0.0.1:${bank}/.well-known/openid-configuration`);
if (disc.status !== 200 || !JSON.parse(conf).issuer) throw new Error(`test bank: ${disc.status}`);
const [start] = await get(`http://127.0.0.1:${port}/api/v1/auth/bank/start`, { redirect: "manual" });
const to = start.headers.get("location") || "";
if (start.status !== 302 || !to.startsWith(`http://localhost:${bank}/authorize?`)) throw new Error(`start: ${start.status} ${to}`);
const [auth, persons] = await get(to.replace("//localhost:", "//127.0.0.1:"));
if (auth.status !== 200 || !persons.includes("010594Y9032")) throw new Error(`authorize: ${auth.status}`);
console.log("front page, test bank and bank-ID login start answer");
'
served=0
for _ in $(seq 1800); do # 2 s each: up to an hour for the packages and the build
	kill -0 "$run_pid" 2>/dev/null || break
	if [ -x "$root/usr/bin/node" ] &&
		in_root node --input-type=module -e "$probe" "$port" $((port + 1)) >"$root/root/probe.log" 2>&1; then
		served=1
		break
	fi
	sleep 2
done
if [ $served -ne 1 ]; then
	say "run.sh did not serve http://localhost:$port/"
	tail -40 "$root/root/run.log"
	cat "$root/root/probe.log" 2>/dev/null || true
	exit 1
fi
say "run.sh serves: $(cat "$root/root/probe.log")"
stop_run
say "run.sh stopped"

# 4. ./deploy/dev/test.sh
say "test.sh with $(in_root node --version) and npm $(in_root npm --version)"
status=0
in_root bash -c 'cd /src && ./deploy/dev/test.sh' </dev/null || status=$?
say "test.sh exit status $status"
exit $status
