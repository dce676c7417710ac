#!/usr/bin/env bash
# node_test.sh - client-web's crypto module under Node, for ctest.
#   node_test.sh build OUT          npm ci in client-web when its packages are missing, tsc into OUT
#   node_test.sh vectors OUT        the module's known-answer and flow tests (node:test)
#   node_test.sh c-to-ts OUT TOOL   libadvice (crypto_tool) writes a scenario, the module reads it
#   node_test.sh ts-to-c OUT TOOL   the module writes a scenario, libadvice reads it
set -euo pipefail
src="$(cd "$(dirname "$0")/../.." && pwd)"
web="$src/client-web"
cmd="$1"
out="$2"
export ADVICE_SOURCE_DIR="$src"
export NODE_PATH="$web/node_modules" # the compiled module lives outside client-web

case "$cmd" in
build)
	# npm ci only when node_modules does not match package-lock.json.
	if ! cmp -s "$web/package-lock.json" "$web/node_modules/.advice-lock" 2>/dev/null; then
		(cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
		cp "$web/package-lock.json" "$web/node_modules/.advice-lock"
	fi
	"$web/node_modules/.bin/tsc" -p "$web/tsconfig.json" --outDir "$out"
	;;
vectors)
	node --test "$out"/test/*.test.js
	;;
c-to-ts)
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' EXIT
	"$3" write "$tmp/c.json"
	node "$out/test/interop.js" read "$tmp/c.json"
	;;
ts-to-c)
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' EXIT
	node "$out/test/interop.js" write "$tmp/ts.json"
	"$3" read "$tmp/ts.json"
	;;
*)
	echo "usage: node_test.sh build|vectors|c-to-ts|ts-to-c OUT [TOOL]" >&2
	exit 2
	;;
esac
