#!/usr/bin/env bash
# web.sh - builds client-web's browser app for the tests (ctest's web.build):
#   web.sh build OUT ADVICECTL   npm ci in client-web when its packages do not match its
#                                package-lock.json; a test root key made once (OUT/test-root.key,
#                                its public key in OUT/test-root.pub); the app built into
#                                OUT/web with that key pinned
set -euo pipefail
src="$(cd "$(dirname "$0")/../.." && pwd)"
web="$src/client-web"

case "${1:-}" in
build)
	out="$2"
	ctl="$3"
	if ! cmp -s "$web/package-lock.json" "$web/node_modules/.advice-lock" 2>/dev/null; then
		(cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
		cp "$web/package-lock.json" "$web/node_modules/.advice-lock"
	fi
	mkdir -p "$out"
	if [ ! -s "$out/test-root.pub" ]; then
		rm -f "$out/test-root.key"
		"$ctl" root-create "$out/test-root.key" >"$out/test-root.pub"
	fi
	node "$web/build.mjs" "$out/web" --root-pubkey-file "$out/test-root.pub"
	;;
*)
	echo "usage: web.sh build OUT ADVICECTL" >&2
	exit 2
	;;
esac
