#!/usr/bin/env bash
# Installs the Debian packages the service needs to build, run and test, if any are missing.
set -euo pipefail

packages=(
	build-essential cmake pkg-config clang clang-format  # compilers; clang for fuzzing
	libclang-rt-dev                                      # clang's libFuzzer and sanitizer runtimes
	libwebsockets-dev libsodium-dev libsqlite3-dev libmagic-dev
	libicu-dev                                           # libadvice: passwords in Unicode NFKC
	libev-dev libwebsockets-evlib-ev                     # adviced's epoll loop and lws's plugin for it
	libjwt-dev libjansson-dev libssl-dev libcmocka-dev libcurl4-openssl-dev
	libsystemd-dev                                       # adviced tells systemd it is ready (sd_notify)
	systemd                                              # systemd-analyze: the suite scores and verifies the unit
	sqlite3 openssl ca-certificates tzdata git           # git: format.sh lists the files it checks
	chromium                                     # the browser of the end-to-end tests
	debhelper lintian groff-base                 # the Debian package (debian/) and its checks; man pages
	nginx                                        # the reverse-proxy test: deploy/nginx/adviced.conf in front of adviced
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node.js runs the test identity provider and the browser app's tooling; any packaging will do.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
