#!/bin/sh
# CLI tests: run the real programs on real files and pipes.
#
# Each case is a folder tests/cli/cases/NAME holding
#   cmd   a shell script, run by sh in a fresh temporary folder
#   out   the expected standard output (numbers compared by numdiff)
#   err   the expected standard error (exact), optional
#   rc    the expected exit status (default 0)
# The script sees DATA (the sample city), TOOLDIR first in PATH, GENCITY,
# NUMDIFF, LC_ALL=C and TZ=UTC.  A failed case keeps its folder and says
# where.  The last line counts the cases: "N passed, N failed".
#
#   TOOLDIR=... NUMDIFF=... sh tests/cli/run.sh [case ...]

top=$(cd "$(dirname "$0")/../.." && pwd)
: "${TOOLDIR:=$top/tools}"
: "${NUMDIFF:=$top/tests/numdiff}"
: "${GENCITY:=$top/scripts/kcn-gencity}"
DATA=$top/sample-data
PATH=$TOOLDIR:$PATH
LC_ALL=C
TZ=UTC
export DATA TOOLDIR NUMDIFF GENCITY PATH LC_ALL TZ
unset LANG LANGUAGE

if [ $# -gt 0 ]; then
	cases=$*
else
	cases=$(ls "$top/tests/cli/cases")
fi

pass=0
fail=0
for name in $cases; do
	dir=$top/tests/cli/cases/$name
	work=$(mktemp -d "${TMPDIR:-/tmp}/kcn-cli-$name.XXXXXX")
	(cd "$work" && sh "$dir/cmd" >"$work/.stdout" 2>"$work/.stderr"
	echo $? >"$work/.rc")
	want_rc=0
	[ -f "$dir/rc" ] && want_rc=$(cat "$dir/rc")
	got_rc=$(cat "$work/.rc")
	why=""
	if [ "$got_rc" != "$want_rc" ]; then
		why="exit status $got_rc, expected $want_rc"
	elif [ -f "$dir/out" ] &&
	    ! "$NUMDIFF" -a 1e-6 -r 1e-9 "$dir/out" "$work/.stdout" \
	    >"$work/.diff"; then
		why="stdout differs: $(head -c 600 "$work/.diff")"
	elif [ -f "$dir/err" ] && ! cmp -s "$dir/err" "$work/.stderr"; then
		why="stderr differs: $(diff "$dir/err" "$work/.stderr" |
		    head -c 600)"
	fi
	if [ -z "$why" ]; then
		pass=$((pass + 1))
		echo "PASS $name"
		rm -rf "$work"
	else
		fail=$((fail + 1))
		echo "FAIL $name: $why"
		echo "     kept $work"
		sed 's/^/     stderr: /' "$work/.stderr" | head -5
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
