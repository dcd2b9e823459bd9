#!/bin/sh
# Rewrites the expected output of CLI cases from what the programs print
# now.  Review the diff before committing it.
#
#   sh scripts/bless-golden.sh CASE [CASE ...]
#
# Writes out (and err, when the case has one) and rc (when not 0).
top=$(cd "$(dirname "$0")/.." && pwd)
: "${TOOLDIR:=$top/tools}"
DATA=$top/sample-data
PATH=$TOOLDIR:$PATH
LC_ALL=C
TZ=UTC
export DATA TOOLDIR PATH LC_ALL TZ
for name in "$@"; do
	dir=$top/tests/cli/cases/$name
	work=$(mktemp -d)
	(cd "$work" && sh "$dir/cmd" >"$dir/out" 2>"$work/.stderr"
	echo $? >"$work/.rc")
	[ -f "$dir/err" ] && cp "$work/.stderr" "$dir/err"
	if [ "$(cat "$work/.rc")" != 0 ]; then
		cp "$work/.rc" "$dir/rc"
	else
		rm -f "$dir/rc"
	fi
	rm -rf "$work"
	echo "blessed $name"
done
