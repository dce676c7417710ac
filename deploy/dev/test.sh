#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds twice (plain, and with
# AddressSanitizer + UndefinedBehaviorSanitizer), and runs every test in both builds but the
# browser app's own tests (label web: Node and Chromium on the app alone, no C code) and the
# Debian package's (label package: a build of its own), which run once, in the plain build; then builds the libFuzzer targets and fuzzes each for a few
# seconds (fuzz-smoke.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/dev/deps.sh
# The test bank's npm packages and the browser tests' driver (playwright-core; the browser
# itself is Debian's chromium): npm ci again whenever a package-lock.json has changed.
for npm_dir in deploy/testbank tests/e2e; do
	cmp -s "$npm_dir/package-lock.json" "$npm_dir/node_modules/.advice-lock" 2>/dev/null ||
		(cd "$npm_dir" && npm ci --no-audit --no-fund && cp package-lock.json node_modules/.advice-lock)
done

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"

status=0
echo "== format"
deploy/dev/format.sh --check || status=1
for variant in plain sanitize; do
	dir="build-test-$variant"
	flags=()
	only=()
	[ "$variant" = sanitize ] && flags=(-DADVICE_SANITIZE=ON) && only=(-LE '^(web|package)$')
	echo "== $variant build"
	deploy/dev/build.sh "$dir" "${flags[@]}"
	echo "== $variant tests"
	ctest --test-dir "$dir" --no-tests=error --output-on-failure -j2 --timeout 600 "${only[@]}" || status=1
done
echo "== fuzz smoke (libFuzzer targets built with clang, a few seconds each)"
deploy/dev/fuzz-smoke.sh build-test-fuzz || status=1
exit $status
