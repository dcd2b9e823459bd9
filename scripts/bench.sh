#!/bin/sh
# Benchmarks: kcn-ingest against ogr2ogr on synthetic cities.
#
# For each size N (BENCH_SIZES, default 10k, 100k and 1M buildings) this
# generates out/bench/cityN with kcn-gencity (once: an existing city with
# the right feature count is reused), then copies its buildings.fgb
# (FlatGeobuf, no spatial index) in two cases, each side by side with
# ogr2ogr in the same repetition:
#
#   stdout  kcn-ingest buildings.fgb > copy.fgb
#           ogr2ogr -f FlatGeobuf -lco SPATIAL_INDEX=NO \
#               /vsistdout/out.fgb buildings.fgb > out-stdout.fgb
#   file    kcn-ingest -o copy2.fgb buildings.fgb
#           ogr2ogr -f FlatGeobuf -lco SPATIAL_INDEX=NO out.fgb buildings.fgb
#
# kcn-ingest converts every geometry to GEOS and back; with -o it also
# reads the finished file back whole before renaming it into place.
# ogr2ogr does neither.  The order of the two tools flips from one
# repetition to the next.  Each output must hold as many features as the
# input, or the script stops with an error.
#
# Wall time: nanosecond clock around each run, as GNU time's %e has only
# 10 ms resolution (it is kept in the raw log).  Peak RSS: GNU time %M.
# The table gives the median wall time and the largest peak RSS over the
# repetitions.  The table goes to standard output and, as Markdown, to
# out/bench/results.md; every run is logged in out/bench/raw.tsv.
#
#   TOOLDIR=... GENCITY=... sh scripts/bench.sh      (make bench does this)
#
# When BENCHGEOM names the tests/bench_geom program (make bench passes it),
# it also runs once per size on buildings.fgb: the OGR -> GEOS -> OGR
# conversion alone, kcn's coordinate arrays against WKB.  Its output goes
# under the table; it is not part of the verdict.
#
# Environment: BENCH_SIZES ("10000 100000 1000000"), BENCH_REPS (3),
# BENCH_KCN_ARGS (extra kcn-ingest options, e.g. "-j 1"; default none),
# BENCH_KEEP=1 keeps the copies.  Exit status 0 when every run succeeded
# and verified, whatever the timings say; 1 on any failure.

set -u
set -f	# no globbing: BENCH_KCN_ARGS and word lists are split on blanks only

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

: "${TOOLDIR:=tools}"
: "${GENCITY:=scripts/kcn-gencity}"
: "${BENCH_SIZES:=10000 100000 1000000}"
: "${BENCH_REPS:=3}"
: "${BENCH_KEEP:=0}"
: "${BENCHGEOM:=}"
: "${BENCH_KCN_ARGS:=}"
LC_ALL=C
export LC_ALL

BENCH=out/bench
: "${GNUTIME:=/usr/bin/time}"

die() {
	echo "bench: FAIL: $*" >&2
	exit 1
}

abs() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s/%s\n' "$top" "$1" ;;
	esac
}

TOOLDIR=$(abs "$TOOLDIR")
GENCITY=$(abs "$GENCITY")
[ -n "$BENCHGEOM" ] && BENCHGEOM=$(abs "$BENCHGEOM")
INGEST=$TOOLDIR/kcn-ingest

[ -x "$INGEST" ] || die "no kcn-ingest in TOOLDIR (run make first)"
[ -x "$GENCITY" ] || die "no kcn-gencity at GENCITY (run make first)"
command -v ogr2ogr >/dev/null 2>&1 || die "ogr2ogr not found (gdal-bin)"
command -v ogrinfo >/dev/null 2>&1 || die "ogrinfo not found (gdal-bin)"
"$GNUTIME" -f '%e %M' -o /dev/null true 2>/dev/null ||
	die "$GNUTIME is not GNU time (Debian package time)"
case $BENCH_REPS in
'' | *[!0-9]* | 0) die "BENCH_REPS must be a positive integer" ;;
esac
for n in $BENCH_SIZES; do
	case $n in
	'' | *[!0-9]*) die "BENCH_SIZES: '$n' is not a number" ;;
	esac
done

# Nanosecond clock if date has %N, else GNU time's %e is used.
case $(date +%N) in
*[!0-9]* | '') NSCLOCK=0 ;;
*) NSCLOCK=1 ;;
esac

mkdir -p "$BENCH" || die "cannot create $BENCH"
RAW=$BENCH/raw.tsv
ROWS=$BENCH/rows.tsv
GEOMLOG=$BENCH/bench_geom.txt
printf 'size\tcase\ttool\trep\twall_s\ttime_e_s\tmaxrss_kb\tuser_s\tsys_s\n' >"$RAW"
: >"$ROWS"
: >"$GEOMLOG"

# The number of features that read back from a file, or nothing.  The
# filter makes ogrinfo read every feature: a FlatGeobuf header states the
# count, and a truncated file keeps its header.
count_features() {
	ogrinfo -ro -so -al -where '1=1' "$1" 2>/dev/null |
	    sed -n 's/^Feature Count: *\([0-9][0-9]*\).*/\1/p' | head -n 1
}

# run SIZE CASE TOOL REP OUT CMD...: times CMD (standard output to OUT when
# CASE is stdout), checks its status and the feature count of OUT.
run() {
	r_size=$1 r_case=$2 r_tool=$3 r_rep=$4 r_out=$5
	shift 5
	r_err=$BENCH/last.stderr r_tf=$BENCH/last.time
	rm -f "$r_out" "$r_tf"
	sync
	t0=$(date +%s%N)
	if [ "$r_case" = stdout ]; then
		"$GNUTIME" -f '%e %M %U %S' -o "$r_tf" "$@" >"$r_out" 2>"$r_err"
	else
		"$GNUTIME" -f '%e %M %U %S' -o "$r_tf" "$@" </dev/null >/dev/null \
		    2>"$r_err"
	fi
	r_rc=$?
	t1=$(date +%s%N)
	if [ "$r_rc" != 0 ]; then
		cat "$r_err" >&2
		die "$r_tool ($r_case, N=$r_size, rep $r_rep) exited $r_rc: $*"
	fi
	# GNU time may prefix a "Command exited..." line; the last line counts.
	# shellcheck disable=SC2046 # two words wanted
	set -- $(tail -n 1 "$r_tf")
	r_e=$1 r_kb=$2 r_user=$3 r_sys=$4
	if [ "$NSCLOCK" = 1 ]; then
		r_wall=$(awk -v a="$t0" -v b="$t1" \
		    'BEGIN { printf "%.4f", (b - a) / 1e9 }')
	else
		r_wall=$r_e
	fi
	r_n=$(count_features "$r_out")
	if [ "$r_n" != "$r_size" ]; then
		die "$r_tool ($r_case, N=$r_size, rep $r_rep): output holds" \
		    "${r_n:-no readable} features, input $r_size"
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r_size" "$r_case" \
	    "$r_tool" "$r_rep" "$r_wall" "$r_e" "$r_kb" "$r_user" "$r_sys" >>"$RAW"
	printf '  N=%-8s %-6s %-8s rep %s: %8.3f s (user %5.2f sys %5.2f) %7d KB\n' \
	    "$r_size" "$r_case" "$r_tool" "$r_rep" "$r_wall" "$r_user" "$r_sys" \
	    "$r_kb" >&2
}

# Median wall time and largest peak RSS (KB) of SIZE CASE TOOL in raw.tsv.
summary() {
	awk -F '\t' -v s="$1" -v c="$2" -v t="$3" '
	    $1 == s && $2 == c && $3 == t { w[++n] = $5; if ($7 > m) m = $7 }
	    END {
		for (i = 2; i <= n; i++)	# insertion sort, n is small
			for (j = i; j > 1 && w[j - 1] + 0 > w[j] + 0; j--) {
				x = w[j]; w[j] = w[j - 1]; w[j - 1] = x
			}
		med = n % 2 ? w[(n + 1) / 2] : (w[n / 2] + w[n / 2 + 1]) / 2
		printf "%s %s\n", med, m
	    }' "$RAW"
}

load0=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null)
echo "bench: kcn-ingest vs ogr2ogr, sizes: $BENCH_SIZES, $BENCH_REPS reps" >&2

for n in $BENCH_SIZES; do
	city=$BENCH/city$n
	src=$city/buildings.fgb
	if [ "$(count_features "$src")" != "$n" ]; then
		echo "bench: generating $city" >&2
		"$GENCITY" synth "$n" "$city" >&2 ||
		    die "kcn-gencity synth $n failed"
		[ "$(count_features "$src")" = "$n" ] ||
		    die "$src does not hold $n features"
	fi
	cat "$src" >/dev/null	# same warm page cache for every run

	rep=1
	while [ "$rep" -le "$BENCH_REPS" ]; do
		if [ $((rep % 2)) = 1 ]; then order="kcn ogr2ogr"; else
			order="ogr2ogr kcn"; fi
		for case in stdout file; do
			for tool in $order; do
				case $case.$tool in
				stdout.kcn)
					# shellcheck disable=SC2086 # options
					run "$n" stdout kcn "$rep" \
					    "$city/copy.fgb" "$INGEST" \
					    $BENCH_KCN_ARGS "$src" ;;
				stdout.ogr2ogr)
					run "$n" stdout ogr2ogr "$rep" \
					    "$city/out-stdout.fgb" ogr2ogr \
					    -f FlatGeobuf -lco SPATIAL_INDEX=NO \
					    /vsistdout/out.fgb "$src" ;;
				file.kcn)
					# shellcheck disable=SC2086 # options
					run "$n" file kcn "$rep" \
					    "$city/copy2.fgb" "$INGEST" \
					    $BENCH_KCN_ARGS -o "$city/copy2.fgb" \
					    "$src" ;;
				file.ogr2ogr)
					run "$n" file ogr2ogr "$rep" \
					    "$city/out.fgb" ogr2ogr \
					    -f FlatGeobuf -lco SPATIAL_INDEX=NO \
					    "$city/out.fgb" "$src" ;;
				esac
			done
		done
		rep=$((rep + 1))
	done
	for case in stdout file; do
		# shellcheck disable=SC2046 # two words wanted
		set -- $(summary "$n" "$case" kcn)
		kt=$1 kkb=$2
		# shellcheck disable=SC2046
		set -- $(summary "$n" "$case" ogr2ogr)
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$case" "$kt" "$1" \
		    "$kkb" "$2" >>"$ROWS"
	done
	if [ -n "$BENCHGEOM" ]; then
		[ -x "$BENCHGEOM" ] || die "BENCHGEOM: no such program"
		echo "bench: bench_geom on N=$n" >&2
		{
			echo "N=$n"
			"$BENCHGEOM" "$src" 2>&1 || echo "(bench_geom failed)"
		} >>"$GEOMLOG"
	fi
	if [ "$BENCH_KEEP" != 1 ]; then
		rm -f "$city/copy.fgb" "$city/copy2.fgb" "$city/out.fgb" \
		    "$city/out-stdout.fgb"
	fi
done
rm -f "$BENCH/last.stderr" "$BENCH/last.time"

# The table, plain and Markdown, and the verdict.
MD=$BENCH/results.md
cpu=$(sed -n 's/^model name[^:]*: *//p' /proc/cpuinfo 2>/dev/null |
    head -n 1)
{
	echo "# kcn-ingest vs ogr2ogr: FlatGeobuf copy"
	echo
	rev=$(git describe --always --dirty 2>/dev/null)
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs (${cpu:-unknown CPU})," \
	    "$("$INGEST" -V)${rev:+ (source tree $rev)}${BENCH_KCN_ARGS:+ run with $BENCH_KCN_ARGS}," \
	    "$(ogr2ogr --version | sed 's/,.*//')," \
	    "$BENCH_REPS reps, median wall time, peak RSS = max over reps." \
	    "Load average before: ${load0:-?}; after:" \
	    "$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null)."
	echo
	echo "| buildings | case | kcn s | ogr2ogr s | kcn/ogr2ogr | kcn features/s | kcn peak MB | ogr2ogr peak MB |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|"
} >"$MD"
printf '%-9s %-6s %9s %11s %11s %14s %11s %15s\n' size case "kcn s" \
    "ogr2ogr s" kcn/ogr2ogr "kcn feat/s" "kcn peak MB" "ogr2ogr peak MB"
awk -F '\t' -v md="$MD" '{
	ratio = $4 > 0 ? $3 / $4 : 0
	rate = $3 > 0 ? $1 / $3 : 0
	printf "%-9s %-6s %9.3f %11.3f %11.2f %14.0f %11.1f %15.1f\n",
	    $1, $2, $3, $4, ratio, rate, $5 / 1024, $6 / 1024
	printf "| %s | %s | %.3f | %.3f | %.2f | %.0f | %.1f | %.1f |\n",
	    $1, $2, $3, $4, ratio, rate, $5 / 1024, $6 / 1024 >> md
}' "$ROWS"

verdict=$(awk -F '\t' '
	NR == 1 { lo = $1 } { hi = $1 }
	$1 == lo { small[$2] = $5 } $1 == hi { big[$2] = $5 }
	{
		rows++
		if ($3 > $4) { slow++; if ($3 / $4 > worst) { worst = $3 / $4
			where = $1 " " $2 } }
	}
	END {
		flat = "yes"; detail = ""
		if (lo == hi) flat = "n/a (one size)"
		else for (k = 1; k <= 2; k++) {
			c = k == 1 ? "stdout" : "file"
			f = big[c] / small[c]
			detail = detail sprintf("%s%s %.1f -> %.1f MB (x%.2f)",
			    detail == "" ? "" : ", ", c, small[c] / 1024,
			    big[c] / 1024, f)
			if (f > 1.5) flat = "no"
		}
		printf "kcn memory flat across sizes (peak at %s within 1.5x of %s): %s%s. ",
		    hi, lo, flat, detail == "" ? "" : " [" detail "]"
		if (slow == 0)
			printf "kcn no slower than ogr2ogr: yes (all %d rows).\n", rows
		else
			printf "kcn no slower than ogr2ogr: no (slower in %d of %d rows, worst %.2fx at %s).\n",
			    slow, rows, worst, where
	}' "$ROWS")
{
	echo
	echo "Spread of the wall times (s, min - max over the reps) and median CPU"
	echo "time (user + sys, s; above the wall time when a tool runs threads):"
	echo
	echo "| buildings | case | kcn wall | ogr2ogr wall | kcn CPU | ogr2ogr CPU |"
	echo "|---:|---|---|---|---:|---:|"
	awk -F '\t' '
	function med(k,   i, j, n, x, v) {
		n = nc[k]
		for (i = 1; i <= n; i++) v[i] = cpu[k, i]
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
				x = v[j]; v[j] = v[j - 1]; v[j - 1] = x
			}
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	NR > 1 {
		k = $1 SUBSEP $2 SUBSEP $3
		if (!(k in lo) || $5 < lo[k]) lo[k] = $5
		if (!(k in hi) || $5 > hi[k]) hi[k] = $5
		cpu[k, ++nc[k]] = $8 + $9
		if (!(($1, $2) in seen)) { seen[$1, $2] = 1; row[++n] = $1 SUBSEP $2 }
	}
	END {
		for (i = 1; i <= n; i++) {
			split(row[i], r, SUBSEP)
			a = r[1] SUBSEP r[2] SUBSEP "kcn"
			b = r[1] SUBSEP r[2] SUBSEP "ogr2ogr"
			printf "| %s | %s | %.3f - %.3f | %.3f - %.3f | %.2f | %.2f |\n",
			    r[1], r[2], lo[a], hi[a], lo[b], hi[b],
			    med(a), med(b)
		}
	}' "$RAW"
	if [ -s "$GEOMLOG" ]; then
		echo
		echo "Geometry conversion alone (tests/bench_geom, one run per size):"
		echo
		echo '```'
		cat "$GEOMLOG"
		echo '```'
	fi
	echo
	echo "$verdict"
} >>"$MD"
if [ -s "$GEOMLOG" ]; then
	echo
	cat "$GEOMLOG"
fi
echo
echo "$verdict"
rm -f "$ROWS"
