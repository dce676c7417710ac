#!/usr/bin/env bash
# check_cycles.sh - fails when the object files given call each other in a circle: file A
# uses a symbol (function or table) defined in file B and B, directly or through others, one
# of A's. The edges come from nm (undefined symbols of each file resolved to the file that
# defines them); tsort finds the loops. Prints the edges of each loop it finds.
#   check_cycles.sh OBJECT...
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: check_cycles.sh OBJECT..." >&2; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for o in "$@"; do
	name="$(basename "$o" .o)"
	nm --defined-only -g "$o" | awk -v f="$name" 'NF == 3 { print $3, f }' >>"$tmp/defs"
	nm -u "$o" | awk -v f="$name" '{ print $NF, f }' >>"$tmp/uses"
done
sort -k1,1 "$tmp/defs" >"$tmp/defs.sorted"
sort -k1,1 "$tmp/uses" >"$tmp/uses.sorted"
# "user definer" for every symbol used in one file and defined in another.
join "$tmp/uses.sorted" "$tmp/defs.sorted" | awk '$2 != $3 { print $2, $3 }' | sort -u >"$tmp/edges"
if ! tsort <"$tmp/edges" >/dev/null 2>"$tmp/loops"; then
	echo "files that call each other in a circle:" >&2
	grep -v '^tsort: -: input contains a loop:$' "$tmp/loops" | sed 's/^tsort: /  /' >&2 || true
	exit 1
fi
echo "no cycles among $# files ($(wc -l <"$tmp/edges") edges)"
