#!/bin/bash
# run-man-examples.sh TOOLDIR: the examples of the manual pages are tests
# (jq's habit).
#
# Takes every line that begins with "$ " inside a ".Bd -literal" block of
# the EXAMPLES section of docs/*.1 and docs/*.7, and runs it from
# the project's top folder, with TOOLDIR first in PATH, standard input
# from /dev/null and standard output to /dev/null.  The examples of one
# page run in order, so a later one may read what an earlier one wrote.
#
# Each example is run by bash with pipefail semantics: it fails when any
# stage of its (last) pipeline fails, except that a stage other than the
# last one that was killed by SIGPIPE counts as a success, since that is
# how "| head" ends a producer.  Debian's sh has no "set -o pipefail", so
# bash runs the examples; each is first checked to parse as POSIX sh.
#
# Examples that write files write under "$TMPDIR", which this script sets
# to a temporary folder of its own and removes at the end.
#
# Prints one line per example and "N passed, N failed" last; exits 1 if
# any example failed, 64 on a usage error.
set -u

prog=run-man-examples.sh
. "$(dirname "$0")/tooldir.sh"
tooldir_args "$prog" "$@"
top=$(cd "$(dirname "$0")/.." && pwd) || exit 70
tmp=$(mktemp -d) || exit 71
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
mkdir "$tmp/files" || exit 71

PATH=$tooldir:$PATH
TMPDIR=$tmp/files
LC_ALL=C
export PATH TMPDIR LC_ALL
sigpipe=$((128 + 13))
limit=300		# seconds an example may take
timeout=
if command -v timeout >/dev/null 2>&1; then
	timeout="timeout $limit"
fi

# Writes the example commands of manual page $1, one a line, with the
# mdoc escapes that may appear in them undone.
examples()
{
	awk '
	/^\.Sh / { inex = ($0 ~ /^\.Sh[ \t]+EXAMPLES[ \t]*$/); lit = 0; next }
	inex && /^\.Bd[ \t].*-literal/ { lit = 1; next }
	lit && /^\.Ed/ { lit = 0; next }
	inex && lit && /^\$ / { print substr($0, 3) }' "$1" |
	sed -e 's/\\&//g' -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" \
	    -e 's/\\(dq/"/g' -e 's/\\e/\\/g'
}

# Decides from the stage statuses "$@" of a pipeline whether it failed;
# prints the status that counts (0 for success).
verdict()
{
	local n=$# i=0 s rc=0

	for s in "$@"; do
		i=$((i + 1))
		if [ "$s" -eq 0 ]; then
			continue
		fi
		if [ "$s" -eq $sigpipe ] && [ $i -lt $n ]; then
			continue
		fi
		rc=$s
	done
	echo "$rc"
}

pass=0
fail=0
cd "$top" || exit 70
for page in docs/*.1 docs/*.7; do
	[ -f "$page" ] || continue
	name=$(basename "$page")
	examples "$page" >"$tmp/examples"
	if [ ! -s "$tmp/examples" ]; then
		case $page in
		docs/*.1)
			echo "FAIL $name: no examples"
			fail=$((fail + 1))
			;;
		esac
		continue
	fi
	while IFS= read -r cmd; do
		if ! sh -n -c "$cmd" 2>"$tmp/err"; then
			echo "FAIL $name: $cmd"
			echo "     not POSIX sh: $(head -n 1 "$tmp/err")"
			fail=$((fail + 1))
			continue
		fi
		# The statuses of the example's last pipeline go to fd 3.
		# shellcheck disable=SC2016
		$timeout bash -c "$cmd"'
printf "%s\n" "${PIPESTATUS[*]}" >&3' \
		    </dev/null >/dev/null 2>"$tmp/err" 3>"$tmp/status"
		rc=$?
		if [ $rc -eq 0 ] && [ -s "$tmp/status" ]; then
			# shellcheck disable=SC2046
			rc=$(verdict $(cat "$tmp/status"))
			stages=$(cat "$tmp/status")
		else
			stages="$rc"
			[ $rc -eq 124 ] && [ -n "$timeout" ] &&
			    stages="$rc (over $limit seconds)"
		fi
		if [ "$rc" -eq 0 ]; then
			echo "ok   $name: $cmd"
			pass=$((pass + 1))
		else
			echo "FAIL $name: $cmd"
			echo "     exit status: $stages"
			sed -n '1,5s/^/     /p' "$tmp/err"
			fail=$((fail + 1))
		fi
	done <"$tmp/examples"
done

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
