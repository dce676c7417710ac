#!/usr/bin/env bash
# Installs what is missing, builds, creates ./data with demo units and accounts (first run
# only), and runs adviced on http://localhost:8080 in test mode. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/dev/deps.sh
deploy/dev/build.sh build
port="${ADVICE_PORT:-8080}"
if [ ! -d data ]; then
	build/advicectl init data --demo --test-mode --port "$port" --web-root client-web
fi
cat <<TXT

Online advice is running at http://localhost:$port/
  demo social workers: anna / anna-demo, ben / ben-demo, sara / sara-demo (supervisor)
  a citizen ID token from the development test bank:
    build/advicectl -d data dev-token 010594Y9032
  data and configuration of this instance: ./data (delete it to start afresh); the log is below

TXT
exec build/adviced -c data/adviced.conf
