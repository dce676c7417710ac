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
# One nm for all the files (-A: each line starts with its file), "symbol file" per line, the
# file named as basename without .o; one process each, not two per file (slow under load).
by_file='{ f = $1; sub(/:[^:]*$/, "", f); sub(/.*\//, "", f); sub(/\.o$/, "", f); print $NF, f }'
nm -A --defined-only -g "$@" | awk 'NF == 3' | awk "$by_file" >"$tmp/defs"
nm -A -u "$@" | awk "$by_file" >"$tmp/uses"
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
