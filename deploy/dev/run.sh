#!/usr/bin/env bash
# Installs what is missing, builds, creates ./data with demo units and accounts (first run
# only), and runs adviced on http://localhost:8080 in test mode with the test bank (the
# development bank-ID provider) on the next port. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/dev/deps.sh
deploy/dev/build.sh build
[ -d deploy/testbank/node_modules/jose ] || (cd deploy/testbank && npm ci --no-audit --no-fund)
port="${ADVICE_PORT:-8080}"
bank_port=$((port + 1))
if [ ! -d data ]; then
	build/advicectl init data --demo --test-mode --port "$port" --web-root client-web
fi
cat <<TXT

Online advice is running at http://localhost:$port/
  demo social workers: anna / anna-demo, ben / ben-demo, sara / sara-demo (supervisor),
    second factor (TOTP; test mode only): the published secret MFSHM2LDMUQGIZLNN4QGCY3DN52W45BB
    current code: build/advicectl -d data demo-totp anna   (or: oathtool --totp -b MFSHM2LDMUQGIZLNN4QGCY3DN52W45BB)
    log in from a terminal (password on stdin):
      echo anna-demo | build/advicectl login http://localhost:$port anna --totp "\$(build/advicectl -d data demo-totp anna)"
  citizens: "Log in with bank ID" goes to the test bank at http://localhost:$bank_port/ (test persons);
    or directly: http://localhost:$port/api/v1/auth/bank/start
  a citizen ID token for the direct test-mode login (other tests use it):
    build/advicectl -d data dev-token 010594Y9032
  data and configuration of this instance: ./data (delete it to start afresh); the log is below

TXT
# The test bank (development identity provider) beside the service; stopped on exit.
TESTBANK_PORT=$bank_port TESTBANK_REDIRECT_URIS="http://localhost:$port/api/v1/auth/bank/callback" \
	TESTBANK_RP_JWKS="http://127.0.0.1:$port/api/v1/auth/jwks" node deploy/testbank/server.js &
bank=$!
trap 'kill "$bank" 2>/dev/null' EXIT
build/adviced -c data/adviced.conf
