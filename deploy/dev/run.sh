#!/usr/bin/env bash
# Installs what is missing, builds, creates ./data with demo units and accounts (first run
# only), builds the browser app into build/web with the demo root key pinned (data/root.pub,
# made on the first run unless init made it), and runs adviced on http://localhost:8080 in
# test mode with the test bank (the development bank-ID provider) on the next port. Ctrl-C
# stops both.
#
#   ADVICE_PORT=9000 deploy/dev/run.sh    another port (the test bank takes the next one)
#
# ./data remembers the port it was made for: its adviced.conf names it in `port`, `origins`
# and the bank-ID addresses. Without ADVICE_PORT, run.sh uses that port. With an ADVICE_PORT
# other than the folder's it stops and says what to do (unset ADVICE_PORT, or move ./data
# aside for a fresh one), rather than rewrite a folder that may hold your own edits.
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/dev/deps.sh
deploy/dev/build.sh build
[ -d deploy/testbank/node_modules/jose ] || (cd deploy/testbank && npm ci --no-audit --no-fund)
# client-web's packages (esbuild, Preact, TypeScript, libsodium): again when its lock changed.
cmp -s client-web/package-lock.json client-web/node_modules/.advice-lock 2>/dev/null ||
	(cd client-web && npm ci --no-audit --no-fund && cp package-lock.json node_modules/.advice-lock)
# The value of setting $1 in data/adviced.conf (empty when it is not set).
conf_value() {
	sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\([^#[:space:]]*\).*/\1/p" data/adviced.conf | tail -n 1
}
if [ -d data ] && [ ! -f data/adviced.conf ]; then
	echo "run.sh: ./data has no adviced.conf (not made by run.sh?): move it aside or delete it" >&2
	exit 1
fi
if [ -d data ]; then
	data_port="$(conf_value port)"
	data_port="${data_port:-8080}"
	if [ -n "${ADVICE_PORT:-}" ] && [ "$ADVICE_PORT" != "$data_port" ]; then
		cat >&2 <<TXT
run.sh: ./data was made for port $data_port (see \`port\` in data/adviced.conf), but ADVICE_PORT is $ADVICE_PORT.
  To run ./data on its port $data_port:  unset ADVICE_PORT, then run deploy/dev/run.sh again.
  To start afresh on port $ADVICE_PORT:  move ./data aside (mv data data-$data_port) or delete it (its
                                accounts and messages go with it), then run deploy/dev/run.sh again.
TXT
		exit 1
	fi
	port="$data_port"
	if [ "$(conf_value web_root)" = "$PWD/client-web" ]; then
		cat >&2 <<TXT
run.sh: ./data serves the old placeholder page (web_root = $PWD/client-web); the app is now
  built into build/web. Set web_root = $PWD/build/web in data/adviced.conf, or move ./data aside
  (mv data data-old) for a fresh one, then run deploy/dev/run.sh again.
TXT
		exit 1
	fi
	bank_url="$(conf_value oidc_token_url)"
	bank_port="$(printf '%s' "$bank_url" | sed -n 's#^http://[^/]*:\([0-9]*\)/.*#\1#p')"
	bank_port="${bank_port:-$((port + 1))}"
else
	port="${ADVICE_PORT:-8080}"
	bank_port=$((port + 1))
	mkdir -p build/web
	build/advicectl init data --demo --test-mode --port "$port" --web-root build/web
fi
# The demo's root key; its public key (data/root.pub) is pinned in the app. A real build pins
# the municipality's: node client-web/build.mjs OUT --root-pubkey-file FILE.
if [ ! -s data/root.pub ]; then
	if [ -e data/secrets/demo-root.key ]; then
		echo "run.sh: data/secrets/demo-root.key is there but data/root.pub is not: move ./data aside" >&2
		exit 1
	fi
	build/advicectl root-create data/secrets/demo-root.key >data/root.pub.new
	mv data/root.pub.new data/root.pub
fi
node client-web/build.mjs build/web --root-pubkey-file data/root.pub
cat <<TXT

Online advice is running at http://localhost:$port/
  demo social workers: anna / anna-demo, ben / ben-demo, sara / sara-demo (supervisor),
    second factor (TOTP; test mode only): the published secret MFSHM2LDMUQGIZLNN4QGCY3DN52W45BB
    current code: build/advicectl -d data demo-totp anna   (or: oathtool --totp -b MFSHM2LDMUQGIZLNN4QGCY3DN52W45BB)
    log in from a terminal (password on stdin):
      echo anna-demo | build/advicectl login http://localhost:$port anna --totp "\$(build/advicectl -d data demo-totp anna)"
  end-to-end keys of the demo (test mode only, published): root public key data/root.pub (a demo
    build of the browser app pins it), root and admin keys in data/secrets/demo-*.key; the
    demo requires envelopes, as production does
  citizens: "Log in with bank ID" goes to the test bank at http://localhost:$bank_port/ (test persons);
    or directly: http://localhost:$port/api/v1/auth/bank/start
  a citizen ID token for the direct test-mode login (other tests use it):
    build/advicectl -d data dev-token 010594Y9032
  data and configuration of this instance: ./data, made for port $port (delete it to start
    afresh; ADVICE_PORT=N deploy/dev/run.sh then makes it for port N); the log is below

TXT
# The test bank (development identity provider) beside the service; stopped on exit.
TESTBANK_PORT=$bank_port TESTBANK_REDIRECT_URIS="http://localhost:$port/api/v1/auth/bank/callback" \
	TESTBANK_RP_JWKS="http://127.0.0.1:$port/api/v1/auth/jwks" node deploy/testbank/server.js &
bank=$!
trap 'kill "$bank" 2>/dev/null' EXIT
status=0
build/adviced -c data/adviced.conf || status=$?
if [ "$status" -ne 0 ]; then
	cat >&2 <<TXT
run.sh: adviced stopped with status $status (its reason is above). When port $port is taken by another
  program, stop that program, or start afresh on a free port: mv data data-$port; ADVICE_PORT=N deploy/dev/run.sh
TXT
	exit "$status"
fi
