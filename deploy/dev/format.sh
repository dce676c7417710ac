#!/usr/bin/env bash
# Formats the C code with .clang-format; with --check, only reports files that differ.
set -euo pipefail
cd "$(dirname "$0")/../.."
mapfile -t files < <(git ls-files '*.c' '*.h')
# No file means no git checkout (or no git): checking nothing must not pass.
if [ ${#files[@]} -eq 0 ]; then
	echo "format: no C file found (is this a git checkout with git installed?)" >&2
	exit 1
fi
if [ "${1:-}" = --check ]; then
	clang-format --dry-run --Werror "${files[@]}"
	echo "format: ${#files[@]} files checked"
else
	clang-format -i "${files[@]}"
fi
