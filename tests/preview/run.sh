#!/bin/sh
# The preview page's test: kcn-tile --preview makes the sample city's
# tiles with their page, once as PNG tiles in a z/x/y folder and once as
# vector tiles in a .pmtiles file; python3's web server serves them and
# check.mjs looks at each page in headless Chromium (page loads, tiles
# served, legend, a screenshot with the layers' colours, the layer
# switch, attributes on click, no errors).  Prints "PASS check" or "FAIL
# check: why" a line, then "N passed, M failed"; exits 1 on a failure.
# The screenshots stay in SHOTDIR.
#
#   TOOLDIR=... KCN_WEBDIR=... sh tests/preview/run.sh
#
# TOOLDIR: the kcn-* programs (default: the build's tools/); KCN_WEBDIR:
# the page's files (default: web/dist/, built first if needed); CHROMIUM
# (default /usr/bin/chromium); SHOTDIR (default $TMPDIR/kcn-preview).

top=$(cd "$(dirname "$0")/../.." && pwd)
: "${TOOLDIR:=$top/tools}"
: "${CHROMIUM:=/usr/bin/chromium}"
: "${SHOTDIR:=${TMPDIR:-/tmp}/kcn-preview}"
case $TOOLDIR in /*) ;; *) TOOLDIR=$(pwd)/$TOOLDIR ;; esac
DATA=$top/sample-data
LC_ALL=C
export TOOLDIR CHROMIUM LC_ALL
unset LANG LANGUAGE

pass=0
fail=0
ok() {
	pass=$((pass + 1))
	echo "PASS $1"
}
bad() {
	fail=$((fail + 1))
	echo "FAIL $1: $2"
}
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ] && exit 0
	exit 1
}

# What the test needs.
if [ -z "${KCN_WEBDIR:-}" ]; then
	KCN_WEBDIR=$top/web/dist
	sh "$top/scripts/install-web.sh" || {
		bad "page files" "scripts/install-web.sh failed"
		finish
	}
fi
export KCN_WEBDIR
why=""
for p in node python3; do
	command -v $p >/dev/null 2>&1 || why="$why, $p is missing"
done
[ -x "$CHROMIUM" ] || why="$why, no Chromium at $CHROMIUM (apt-get install chromium)"
for m in playwright-core pngjs; do
	[ -d "$top/web/node_modules/$m" ] ||
	    why="$why, web/node_modules/$m is missing (cd web && npm ci)"
done
[ -x "$TOOLDIR/kcn-tile" ] || why="$why, no kcn-tile in $TOOLDIR"
[ -f "$KCN_WEBDIR/index.html" ] || why="$why, no index.html in $KCN_WEBDIR"
if [ -n "$why" ]; then
	bad "prerequisites" "${why#, }"
	finish
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kcn-preview.XXXXXX") || exit 1
server=""
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
mkdir -p "$work/in" "$work/site/vector" "$SHOTDIR"

# The inputs, from the sample city's raw layers.
in=$work/in
if ! { "$TOOLDIR/kcn-ingest" -q -s EPSG:3406 -o "$in/wards.gpkg" \
    "$DATA/wards.shp" &&
    "$TOOLDIR/kcn-ingest" -q -o "$in/roads.gpkg" "$DATA/roads.geojson" &&
    "$TOOLDIR/kcn-ingest" -q -s EPSG:4326 -o "$in/cctv.gpkg" \
    "$DATA/cctv.csv" &&
    "$TOOLDIR/kcn-ingest" -q -o "$in/smart_poles.gpkg" \
    "$DATA/smart_poles.geojson"; } 2>"$work/ingest.err"; then
	bad "inputs" "kcn-ingest failed: $(head -c 300 "$work/ingest.err")"
	finish
fi

wards="$in/wards.gpkg:stroke=#7f7f7f,opacity=0.8,by=DAN_SO,classes=0:#fee5d9 15000:#fcae91 25000:#fb6a4a"
roads="$in/roads.gpkg:stroke=none,width=1.5,by=highway,colors=primary:#d7301f secondary:#fc8d59 tertiary:#fdcc8a residential:#969696"
cctv="$in/cctv.gpkg:fill=#e41a1c,stroke=#ffffff,size=5"
poles="$in/smart_poles.gpkg:fill=#6a3d9a,stroke=none,symbol=square,size=7"

# tile NAME PAGE-DIR kcn-tile-arguments...: makes the tiles and the page.
tile() {
	name=$1
	dir=$2
	shift 2
	if ! "$TOOLDIR/kcn-tile" -q --preview --no-progress "$@" \
	    2>"$work/$name.err"; then
		bad "$name: kcn-tile --preview" "$(head -c 300 "$work/$name.err")"
	elif [ ! -f "$dir/index.html" ] ||
	    ! grep -q '^window\.KCN_CONFIG = {' "$dir/index.html" ||
	    grep -q 'KCN_CONFIG\*/' "$dir/index.html"; then
		bad "$name: kcn-tile --preview" "no filled-in index.html in $dir"
	elif [ ! -f "$dir/kcn-web/kcn-preview.js" ] ||
	    [ -f "$dir/kcn-web/index.html" ]; then
		bad "$name: kcn-tile --preview" "kcn-web/ in $dir is not the page's files"
	else
		ok "$name: kcn-tile --preview"
		return 0
	fi
	return 1
}

cases=""
tile raster "$work/site/raster" -z 12-15 -o "$work/site/raster" \
    "$wards" "$roads" "$cctv" &&
	cases="$cases raster,raster/index.html,cctv,#e41a1c"
tile vector "$work/site/vector" -z 12-15 --format mvt \
    -o "$work/site/vector/plan.pmtiles" \
    "$wards,label=TEN_PHUONG" "$roads" "$cctv" "$poles" &&
	cases="$cases vector,vector/index.html,smart_poles,#6a3d9a"
[ -n "$cases" ] || finish

# python3's server on a free port, which it names on its first line.
python3 -u -m http.server --bind 127.0.0.1 --directory "$work/site" 0 \
    >"$work/http.log" 2>&1 &
server=$!
port=""
tries=0
while [ -z "$port" ] && [ $tries -lt 20 ]; do
	sleep 0.25 2>/dev/null || sleep 1
	port=$(sed -n 's/.* port \([0-9][0-9]*\).*/\1/p' "$work/http.log" |
	    head -n 1)
	tries=$((tries + 1))
done
if [ -z "$port" ]; then
	bad "web server" "python3 -m http.server did not start: $(head -c 300 "$work/http.log")"
	finish
fi

# shellcheck disable=SC2086 # cases: one word each
node "$top/tests/preview/check.mjs" "http://127.0.0.1:$port" "$SHOTDIR" \
    $cases >"$work/check.out" 2>&1
rc=$?
cat "$work/check.out"
p=$(grep -c '^PASS ' "$work/check.out")
f=$(grep -c '^FAIL ' "$work/check.out")
pass=$((pass + p))
fail=$((fail + f))
if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
	bad "check.mjs" "exit status $rc: $(grep -v '^PASS ' "$work/check.out" |
	    head -c 300)"
fi
echo "screenshots: $SHOTDIR/raster.png $SHOTDIR/vector.png"
finish
