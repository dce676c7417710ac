#!/usr/bin/env bash
# unit.sh - checks adviced's systemd unit as CMake configured it:
#   unit.sh INSTALLED_UNIT BUILD_UNIT
# INSTALLED_UNIT is the unit `cmake --install` installs; its sandbox must score below 2.0 in
# `systemd-analyze security`. BUILD_UNIT is the same template configured with the build
# tree's adviced (so that the program it names exists); `systemd-analyze verify` must say
# nothing about it. Fails when systemd-analyze is missing (package systemd).
set -euo pipefail

installed=$1
built=$2
limit=2.0
command -v systemd-analyze >/dev/null || { echo "FAIL: systemd-analyze is missing (package systemd)"; exit 1; }
for f in "$installed" "$built"; do
	[ -f "$f" ] || { echo "FAIL: no unit file $f"; exit 1; }
done

# The sandbox: the overall exposure, with every item not passed shown when it fails.
report=$(systemd-analyze security --offline=true --no-pager "$installed" 2>&1) || {
	echo "$report"
	echo "FAIL: systemd-analyze security could not read $installed"
	exit 1
}
exposure=$(printf '%s\n' "$report" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
[ -n "$exposure" ] || { echo "$report"; echo "FAIL: no overall exposure in the report"; exit 1; }
echo "exposure $exposure (limit $limit)"
if ! awk -v e="$exposure" -v l="$limit" 'BEGIN { exit !(e < l) }'; then
	printf '%s\n' "$report" | grep -v '✓'
	echo "FAIL: exposure $exposure is not below $limit"
	exit 1
fi

# The unit's syntax and references: any line naming the unit is a complaint (verify's exit
# status is 0 for unknown keys and bad values). Manual pages are the package's, not checked here.
name=$(basename "$built")
complaints=$(systemd-analyze verify --man=no "$built" 2>&1 | grep -F "$name" || true)
if [ -n "$complaints" ]; then
	printf '%s\n' "$complaints"
	echo "FAIL: systemd-analyze verify complains about $built"
	exit 1
fi
# A check able to fail: the same verify does complain about a unit with an unknown key.
bad=$(mktemp -d)
trap 'rm -rf "$bad"' EXIT
sed 's/^\[Service\]$/[Service]\nNoSuchSetting=1/' "$built" > "$bad/$name"
systemd-analyze verify --man=no "$bad/$name" 2>&1 | grep -qF "NoSuchSetting" || {
	echo "FAIL: systemd-analyze verify did not notice an unknown key"
	exit 1
}
echo "ok: $installed and $built"
