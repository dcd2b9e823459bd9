#!/bin/sh
# check-usage.sh TOOLDIR: check that each tool's usage text and the
# SYNOPSIS of its manual page say the same thing (style(9): "usage
# statements should look like the manual pages").
#
# For every docs/kcn-*.1, runs TOOLDIR/kcn-X --help, takes the usage
# lines (from "usage:" to the first blank line) and compares them with the
# SYNOPSIS that mandoc renders.  Both are reduced to words first: "usage:"
# dropped, brackets and bars made words of their own, line wrapping and
# spacing ignored.  Any difference is an error, and options present in one
# and missing from the other are named.  Also checks that --help exits 0,
# that -h prints the same, and that --version prints "kcn-X VERSION" with
# the version of lib/include/kcn.h, and that every tool in TOOLDIR has a
# manual page.
#
# Prints "usage: kcn-X ok" per tool, or what differs; exits 1 if anything
# differs, 64 on a usage error, 69 when mandoc is missing.
set -u

prog=check-usage.sh
. "$(dirname "$0")/tooldir.sh"
tooldir_args "$prog" "$@"
top=$(cd "$(dirname "$0")/.." && pwd) || exit 70
LC_ALL=C
export LC_ALL
if ! command -v mandoc >/dev/null 2>&1; then
	echo "$prog: mandoc: not found (Debian package mandoc)" >&2
	exit 69
fi
tmp=$(mktemp -d) || exit 71
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
bs=$(printf '\b')

version=$(sed -n 's/^#define KCN_VERSION "\(.*\)"$/\1/p' \
    "$top/lib/include/kcn.h" 2>/dev/null)

# Reads text on stdin; writes its words one a line, with "usage:" dropped
# and "[", "]" and "|" as words of their own.
words()
{
	sed -e 's/usage://g' -e 's/\[/ [ /g' -e 's/\]/ ] /g' \
	    -e 's/|/ | /g' | tr '\t' ' ' | tr -s ' ' '\n' | sed '/^$/d'
}

# Reads words on stdin; writes the options among them, one a line,
# sorted: "-cqv" counts as -c, -q and -v; long options stay whole.
options()
{
	awk '
	/^--./ { print; next }
	/^-[^-]/ {
		for (i = 2; i <= length($0); i++)
			print "-" substr($0, i, 1)
	}' | sort -u
}

# Joins words on stdin into one line.
line()
{
	tr '\n' ' ' | sed -e 's/ $//' -e 's/\[ /[/g' -e 's/ \]/]/g'
}

fail=0
npages=0
for page in "$top"/docs/kcn-*.1; do
	[ -f "$page" ] || continue
	npages=$((npages + 1))
	name=$(basename "$page" .1)
	tool=$tooldir/$name
	bad=0
	if [ ! -x "$tool" ]; then
		echo "usage: $name: $tool: no such program"
		fail=1
		continue
	fi

	# --help: exit 0, usage first.
	"$tool" --help >"$tmp/help" 2>"$tmp/help.err"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "usage: $name: --help exits $rc, not 0"
		bad=1
	fi
	if [ -s "$tmp/help.err" ]; then
		echo "usage: $name: --help writes to standard error:"
		sed 's/^/    /' "$tmp/help.err"
		bad=1
	fi
	"$tool" -h >"$tmp/h" 2>/dev/null
	if ! cmp -s "$tmp/help" "$tmp/h"; then
		echo "usage: $name: -h and --help print different text"
		bad=1
	fi
	awk '
	/^usage:/ { on = 1 }
	on && /^[ \t]*$/ { exit }
	on { print }' "$tmp/help" >"$tmp/usage"
	if [ ! -s "$tmp/usage" ]; then
		echo "usage: $name: --help prints no \"usage:\" line"
		bad=1
	fi

	# --version: "kcn-X VERSION", exit 0.
	"$tool" --version >"$tmp/version" 2>/dev/null
	rc=$?
	got=$(cat "$tmp/version")
	if [ $rc -ne 0 ]; then
		echo "usage: $name: --version exits $rc, not 0"
		bad=1
	fi
	if [ -n "$version" ]; then
		want="$name $version"
	else
		want="$name <version>"
	fi
	if [ -n "$version" ] && [ "$got" != "$want" ]; then
		echo "usage: $name: --version prints \"$got\", not \"$want\""
		bad=1
	elif [ -z "$version" ] && ! printf '%s\n' "$got" |
	    grep -Eq "^$name [0-9]+(\.[0-9]+)*"; then
		echo "usage: $name: --version prints \"$got\", not \"$want\""
		bad=1
	fi

	# The SYNOPSIS as mandoc renders it, overstriking removed.
	if ! mandoc -T ascii -O width=500 "$page" >"$tmp/page" 2>"$tmp/mandoc"
	then
		echo "usage: $name: mandoc cannot render $(basename "$page"):"
		sed 's/^/    /' "$tmp/mandoc"
		fail=1
		continue
	fi
	sed "s/.$bs//g" "$tmp/page" | awk '
	/^SYNOPSIS/ { on = 1; next }
	on && /^[^ \t]/ { exit }
	on { print }' >"$tmp/synopsis"
	if [ ! -s "$tmp/synopsis" ]; then
		echo "usage: $name: $(basename "$page") has no SYNOPSIS"
		bad=1
	fi

	words <"$tmp/usage" >"$tmp/usage.w"
	words <"$tmp/synopsis" >"$tmp/synopsis.w"
	if ! cmp -s "$tmp/usage.w" "$tmp/synopsis.w"; then
		echo "usage: $name: usage text and SYNOPSIS differ"
		echo "    --help:   $(line <"$tmp/usage.w")"
		echo "    SYNOPSIS: $(line <"$tmp/synopsis.w")"
		options <"$tmp/usage.w" >"$tmp/usage.o"
		options <"$tmp/synopsis.w" >"$tmp/synopsis.o"
		only=$(comm -23 "$tmp/usage.o" "$tmp/synopsis.o" | line)
		[ -n "$only" ] &&
		    echo "    only in --help: $only"
		only=$(comm -13 "$tmp/usage.o" "$tmp/synopsis.o" | line)
		[ -n "$only" ] &&
		    echo "    only in the manual page: $only"
		bad=1
	fi

	if [ $bad -eq 0 ]; then
		echo "usage: $name ok"
	else
		fail=1
	fi
done

if [ $npages -eq 0 ]; then
	echo "$prog: no manual pages in docs/" >&2
	exit 1
fi

# Every program needs a manual page.
for tool in "$tooldir"/kcn-*; do
	name=$(basename "$tool")
	case $name in
	*.*)	continue ;;	# sources and objects of an in-tree build
	esac
	if [ ! -f "$tool" ] || [ ! -x "$tool" ]; then
		continue
	fi
	if [ ! -f "$top/docs/$name.1" ]; then
		echo "usage: $name: no manual page docs/$name.1"
		fail=1
	fi
done

exit $fail
