#!/usr/bin/env bash
# check_man.sh - the manual pages: adviced.conf(5), built from the configuration table, names
# every setting `adviced --help-config` lists (and no other), and adviced(8), advicectl(8) and
# adviced.conf(5) format without a groff warning.
#
#   check_man.sh ADVICED CONF_PAGE PAGE...
set -euo pipefail

adviced="$1" conf_page="$2"
shift 2
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

command -v groff >/dev/null || { echo "FAIL: groff is missing (package groff-base)" >&2; exit 1; }
settings="$("$adviced" --help-config | awk '/^[a-z]/ { print $1 }')"
[ "$(wc -l <<<"$settings")" -ge 50 ] || fail "adviced --help-config listed too few settings: $settings"
while read -r name; do
	grep -qF "\\fB${name//-/\\-}\\fR (" "$conf_page" || fail "$conf_page lacks the setting $name"
done <<<"$settings"
# Each setting's entry is a .TP paragraph starting with its name: no entry without a setting.
entries="$(awk 'prev == ".TP" && in_settings { print } { prev = $0 }
	/^\.SH SETTINGS/ { in_settings = 1 } /^\.SH FILES/ { in_settings = 0 }' "$conf_page" |
	sed -n 's/^\\fB\([^\\]*\)\\fR (.*/\1/p' | sed 's/\\-/-/g')"
[ "$entries" = "$settings" ] || fail "the page's settings differ from --help-config's: $(diff <(echo "$settings") <(echo "$entries") | head)"
"$adviced" --help-config=nroff >/dev/null 2>&1 && fail "--help-config=nroff was taken"
for page in "$conf_page" "$@"; do
	warnings="$(LC_ALL=C.UTF-8 groff -man -ww -z "$page" 2>&1)"
	[ -z "$warnings" ] || fail "$page: $warnings"
	head -c 200 "$page" | grep -q '^\.TH ' || fail "$page has no .TH line"
done
[ "$failures" -eq 0 ] || exit 1
echo "$(wc -l <<<"$settings") settings in $conf_page; $(($# + 1)) pages format cleanly"
