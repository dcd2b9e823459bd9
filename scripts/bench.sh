#!/bin/sh
# Benchmarks: kcn-ingest and kcn-reproject against ogr2ogr, kcn-overlay
# against GDAL's overlay paths, kcn-buffer against SpatiaLite,
# kcn-coverage against PostGIS and kcn-tile against gdal2tiles and GDAL's
# MVT writer, on synthetic cities.
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
# A third case repairs: out/bench/cityN-invalid is the same city with a
# fraction (BENCH_INVALID, 0.01) of its footprints made invalid
# (kcn-gencity synth --invalid; reused when its feature count and its
# count of invalid footprints are right), and both tools make every
# geometry valid, FlatGeobuf to FlatGeobuf:
#
#   makevalid  kcn-ingest -o repaired.fgb buildings.fgb   (--on-invalid
#              repair is the default)
#              ogr2ogr -makevalid -nlt PROMOTE_TO_MULTI -f FlatGeobuf \
#                  -lco SPATIAL_INDEX=NO out-makevalid.fgb buildings.fgb
#
# -nlt PROMOTE_TO_MULTI is needed: the layer is Polygon, a repaired bowtie
# is a MultiPolygon, and GDAL's FlatGeobuf writer refuses it in a Polygon
# layer ("Mismatched geometry type"), which stops ogr2ogr at the first
# one.  kcn-ingest writes MultiPolygon layers anyway, so both outputs have
# the same type.  Beyond the feature count, every makevalid output is
# checked with ST_IsValid (GEOS, through ogrinfo's SQLite dialect): kcn's
# must hold no invalid and no empty geometry, or the script fails;
# ogr2ogr's counts are recorded, not judged.  The verdict line says
# whether kcn was at least 1.5x faster than ogr2ogr -makevalid at the
# largest size (the target is 1M buildings), with the ratios at the others.
#
# kcn-ingest converts every geometry to GEOS and back and checks that it
# is valid; with -o it also reads the finished file back whole before
# renaming it into place.  ogr2ogr's copy does none of this.  The order of
# the two tools flips from one repetition to the next.  Each output must
# hold as many features as the input, or the script stops with an error.
#
# Wall time: nanosecond clock around each run, as GNU time's %e has only
# 10 ms resolution (it is kept in the raw log).  Peak RSS: GNU time %M.
# The table gives the median wall time and the largest peak RSS over the
# repetitions.  The table goes to standard output and, as Markdown, to
# out/bench/results.md; every run is logged in out/bench/raw.tsv.
#
#   TOOLDIR=... GENCITY=... sh scripts/bench.sh      (make bench does this)
#
# Two cases reproject, FlatGeobuf to FlatGeobuf, side by side with
# ogr2ogr -t_srs, and with a plain ogr2ogr copy of the same input timed
# in the same repetition (tool "copy"):
#
#   utm-wgs84    kcn-reproject -t EPSG:4326 -o out.fgb buildings.fgb
#                ogr2ogr -t_srs EPSG:4326 -f FlatGeobuf \
#                    -lco SPATIAL_INDEX=NO out.fgb buildings.fgb
#   wgs84-merc   the same from buildings-4326.fgb (made once, by ogr2ogr)
#                to EPSG:3857
#
# The floor of a reprojection is that plain copy plus PROJ's own time to
# transform the same points: BENCHPROJ (tests/bench_proj, make bench
# passes it) loads the coordinates and times proj_trans_generic alone,
# one thread, once per size and case.  The verdict says whether
# kcn-reproject was at least 2x as fast as ogr2ogr -t_srs, and within
# 1.5x of the floor, at the largest size.
#
# When BENCHGEOM names the tests/bench_geom program (make bench passes it),
# it also runs once per size on buildings.fgb: the OGR -> GEOS -> OGR
# conversion alone, kcn's coordinate arrays against WKB.  Its output goes
# under the table; it is not part of the verdict.
#
# Two cases cut and merge areas, each tool side by side with its peers in
# the same repetition, in the reverse order every second one.  overlay
# cuts the city's buildings by its 300 districts (districts.fgb, beside
# buildings.fgb): a piece for each building and district that meet, with
# the fields of both.
#
#   overlay  kcn          kcn-overlay intersect districts.fgb \
#                             -i buildings.fgb -o out.fgb
#            clipsrc      ogr2ogr -clipsrc districts.fgb -f FlatGeobuf \
#                             -lco SPATIAL_INDEX=NO out.fgb buildings.fgb
#            algebra      ogr_layer_algebra.py Intersection -q \
#                             -input_ds buildings.fgb \
#                             -method_ds districts.fgb -output_ds out.fgb \
#                             -output_lyr buildings -f FlatGeobuf \
#                             -lco SPATIAL_INDEX=NO
#            algebra-idx  the same with -method_ds districts-rtree.fgb
#            ogr-sql      ogr2ogr -f FlatGeobuf -lco SPATIAL_INDEX=NO \
#                             -nln buildings -dialect sqlite -sql '...' \
#                             out.fgb buildings.fgb
#
# clipsrc cuts to the union of the districts: a building on a border stays
# one feature, without district fields, so only its area compares.
# ogr_layer_algebra.py sets a spatial filter on the districts for every
# building; districts.fgb has no spatial index, so GDAL reads all 300
# each time.  districts-rtree.fgb is the same layer with FlatGeobuf's
# spatial index (made once per size, outside the timing), which the
# filter then uses.  ogr-sql keeps the districts and their bounding boxes
# in a MATERIALIZED table and joins each building to those whose box
# meets its own, then ST_Intersects and ST_Intersection (SpatiaLite,
# GEOS).  The SpatialIndex virtual table of GDAL's SQLite dialect was
# tried for that join and was much slower (docs/benchmarks.md).
#
#   buffer-dissolve  the city's points (points.fgb, N/10 of them) each
#            buffered by 300 m, 8 segments per quarter circle, and all
#            merged into one area:
#            kcn          kcn-buffer -r 300 --segments 8 --dissolve \
#                             -o out.fgb points.fgb
#            spatialite   spatialite work.sqlite 'CREATE TABLE result AS
#                             SELECT ST_Union(ST_Buffer(GEOMETRY, 300, 8))
#                             AS geom FROM points'
#
# points.sqlite is loaded from points.fgb once per size, outside the
# timing (ogr2ogr -f SQLite -dsco SPATIALITE=YES, no spatial index), and
# copied to work.sqlite before each run, so every run starts from the
# same database and writes its result table into it.  SpatiaLite's own
# default is 30 segments per quarter circle, hence the third argument.
#
# Every peer of these two cases runs under timeout(1) with
# BENCH_PEER_TIMEOUT seconds; kcn has no limit.  A peer that runs out of
# time is not run again at that size, and is reported as a lower bound
# (a time "> 300", a ratio to kcn ">= 27.89"), never as a time.  Outside
# the timing every output is counted and its area summed (SpatiaLite's
# ST_Area: through ogrinfo's SQLite dialect, or in the database).  overlay:
# every output's total area must be within 1e-6 of kcn's, and the
# algebra, algebra-idx and ogr-sql outputs must hold as many features as
# kcn's (all three give a piece per building and district, as kcn does).
# buffer-dissolve: both results must be one feature, their areas within
# 1%: kcn-buffer draws each circle true on the ellipsoid (here in UTM's
# plane with the local scale factor), SpatiaLite in the plane of UTM zone
# 52N with none.  A mismatch is reported and the script goes on, then
# exits 1.  The verdicts: kcn-overlay at least 5x faster than the fastest
# of the four GDAL paths, and kcn-buffer at least 3x faster than
# SpatiaLite, at the largest size, with the peak RSS of every tool.
#
# The coverage case times kcn-coverage against PostGIS doing the same
# computation in SQL, in two runs at each size: coverage-points serves the
# city's points (points.fgb, N/10), coverage-sites its sites (sites.fgb,
# N points, with gaps of 400 to 1,200 m radius that 300 m circles do not
# fill), each point with a 300 m service area, 8 segments per quarter
# circle, over the 300 districts, with the population raster (pop.tif,
# 100 m), the buildings counted by centroid and the roads (roads.fgb):
#
#   coverage-points  kcn      kcn-coverage -v --zones districts.fgb \
#                                 --zone-id dist_id --zone-name name \
#                                 --pop pop.tif \
#                                 --points buildings=buildings.fgb \
#                                 --lines roads=roads.fgb --segments 8 \
#                                 -o out.csv points=points.fgb:r=300
#                    postgis  psql -f scripts/bench-coverage.sql
#   coverage-sites   the same with sites=sites.fgb:r=300
#
# PostGIS runs in a throw-away cluster of the newest PostgreSQL whose
# PostGIS extension is installed (Debian: postgresql-15-postgis-3),
# initialised in a temporary folder at the first size, with a Unix socket
# there and no TCP port, and removed when the script ends, however it
# ends.  Without PostGIS the script says so and times kcn alone.  The
# city is loaded once per size, outside the timing: the vector layers by
# ogr2ogr with GiST indexes, the raster as one square per cell that holds
# data (through gdal_translate -of XYZ).  The timed psql run does all the
# rest: projecting, buffering, the union and the area covered twice, the
# sums per zone, the CSV.  Its wall time is psql's; its CPU time adds the
# server's (every server process's, counted through the postmaster's
# own and its children's times in /proc), and its peak memory adds to
# psql's peak RSS the server's, sampled every 0.2 s: the private memory
# (RssAnon) of all its processes plus the largest shared (RssShmem) and
# file-backed (RssFile) part of any one.  A psql that runs out of time
# has its queries ended (pg_terminate_backend).  Every kcn output is
# checked against PostGIS's of the same repetition, row by row: the same
# zones in the same order, the same names, areas within 1e-6 of the
# zone's area, population within 1e-6 of the zone's population, road
# lengths within 1e-6 of the zone's road length, shares within 1e-6,
# counts exact; the largest difference of each column goes to
# results.md, and a mismatch fails the run as elsewhere.  The verdict:
# kcn-coverage at least 10x faster than PostGIS at the largest size, and
# the N sites of the largest city in under a minute.
#
# The tile case makes web map tiles of the city's buildings.fgb, zooms
# 10 to 16, at sizes of its own (BENCH_TILE_SIZES: 200k and 1M buildings,
# in the same out/bench/cityN), in two runs, each tool side by side with
# GDAL in the same repetition, in the reverse order every second one:
#
#   tile-raster  kcn          kcn-tile -z 10-16 -o OUT buildings.fgb
#                gdal2tiles   sh scripts/bench-tile-gdal.sh, three steps
#                                 timed as one run:
#                             ogr2ogr -t_srs EPSG:3857 -f FlatGeobuf \
#                                 -lco SPATIAL_INDEX=NO merc.fgb \
#                                 buildings.fgb
#                             gdal_rasterize -burn 255 -tr R R -tap \
#                                 -ot Byte -co COMPRESS=DEFLATE \
#                                 -co TILED=YES -a_nodata 0 merc.fgb z16.tif
#                             gdal2tiles.py --xyz -z 10-16 --processes=P \
#                                 -w none -x z16.tif OUT
#   tile-vector  kcn          kcn-tile -z 10-16 --format mvt -o OUT \
#                                 buildings.fgb
#                ogr2ogr-mvt  ogr2ogr -f MVT OUT buildings.fgb \
#                                 -dsco MINZOOM=10 -dsco MAXZOOM=16
#
# kcn-tile draws its default style and writes a z/x/y folder.
# gdal_rasterize burns in the layer's own CRS, hence the reprojection to
# Web Mercator first; R is the pixel size of zoom 16, 2 * 20037508.342789244
# / 256 / 2^16 = 2.388657133911758 m, and -tap puts the pixels on the tile
# grid.  P is the number of CPUs, as kcn-tile runs a thread per CPU.  -x
# leaves empty tiles out, as kcn-tile does.  The pipeline's wall time is
# that of its three steps together (each step's own goes to results.md),
# its CPU time that of all their processes, and its peak RSS that of its
# largest process: gdal2tiles's P processes tile at the same time, so
# theirs together is more.  GDAL's MVT writer reprojects by itself and
# keeps its default limits per tile (MAX_SIZE 500,000 bytes, MAX_FEATURES
# 200,000); it gzips every tile, while kcn-tile's folder tiles are plain
# protocol buffers.  So, outside the timing, every tile set is counted,
# tiles and bytes as written, and the vector ones are measured both ways:
# plain (GDAL's through gzip -d) and gzipped (kcn's through gzip -n, its
# default level), with the largest plain tile.  A kcn vector tile over
# 500,000 bytes fails the run.  The z/x/y tiles of the two tools are
# compared: those only one of them wrote are counted, by zoom.  Peers run
# under timeout(1) with BENCH_TILE_TIMEOUT seconds (GDAL's MVT writer
# takes many minutes at 1M buildings), as above; at the largest tile size
# they run BENCH_TILE_PEER_REPS times when that is fewer than BENCH_REPS
# (kcn always runs BENCH_REPS times).  The verdicts, at the largest size:
# kcn-tile's PNG at least 5x faster than the gdal2tiles pipeline, its MVT
# at least 8x faster than GDAL's MVT writer, and no kcn vector tile over
# 500,000 bytes at any size.
#
# Environment: BENCH_SIZES ("10000 100000 1000000"), BENCH_REPS (3),
# BENCH_CASES (any of "stdout file makevalid utm-wgs84 wgs84-merc overlay
# buffer-dissolve coverage tile", the default; tile-raster or tile-vector
# runs one half of tile),
# BENCH_INVALID (fraction of invalid footprints for makevalid, 0.01),
# BENCH_KCN_ARGS (extra options for every kcn tool timed, e.g. "-j 1";
# default none),
# BENCH_PEER_TIMEOUT (seconds allowed to each peer run of overlay,
# buffer-dissolve and coverage, 300; 0 for no limit),
# BENCH_TILE_SIZES ("200000 1000000"), BENCH_TILE_TIMEOUT (seconds allowed
# to each peer run of tile, 3600; 0 for no limit), BENCH_TILE_PEER_REPS
# (repetitions of the tile peers at the largest tile size; BENCH_REPS),
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
: "${BENCH_CASES:=stdout file makevalid utm-wgs84 wgs84-merc overlay buffer-dissolve coverage tile}"
: "${BENCHPROJ:=}"
: "${BENCH_INVALID:=0.01}"
: "${BENCH_PEER_TIMEOUT:=300}"
: "${BENCH_TILE_SIZES:=200000 1000000}"
: "${BENCH_TILE_TIMEOUT:=3600}"
: "${BENCH_TILE_PEER_REPS:=$BENCH_REPS}"
LC_ALL=C
export LC_ALL

BENCH=out/bench
: "${GNUTIME:=/usr/bin/time}"
OV_TOOLS="kcn clipsrc algebra algebra-idx ogr-sql"	# overlay, in this order
BD_RADIUS=300 BD_SEGMENTS=8	# buffer-dissolve: metres, per quarter circle
CV_RADIUS=300 CV_SEGMENTS=8	# coverage: the same
TILE_ZOOMS=10-16 TILE_MAX=500000	# tile: zooms, largest vector tile (bytes)

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
[ -n "$BENCHPROJ" ] && BENCHPROJ=$(abs "$BENCHPROJ")
INGEST=$TOOLDIR/kcn-ingest
REPROJECT=$TOOLDIR/kcn-reproject
OVERLAY=$TOOLDIR/kcn-overlay
BUFFER=$TOOLDIR/kcn-buffer
COVERAGE=$TOOLDIR/kcn-coverage
TILE=$TOOLDIR/kcn-tile

[ -x "$INGEST" ] || die "no kcn-ingest in TOOLDIR (run make first)"
[ -x "$REPROJECT" ] || die "no kcn-reproject in TOOLDIR (run make first)"
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
tilebig=''	# the largest of BENCH_TILE_SIZES
for n in $BENCH_TILE_SIZES; do
	case $n in
	'' | *[!0-9]*) die "BENCH_TILE_SIZES: '$n' is not a number" ;;
	esac
	if [ -z "$tilebig" ] || [ "$n" -gt "$tilebig" ]; then
		tilebig=$n
	fi
done
copycases='' mvcase='' rpcases='' ovcase='' bdcase='' cvcases=''
tilecases=''
for c in $BENCH_CASES; do
	case $c in
	stdout | file) copycases="$copycases $c" ;;
	makevalid) mvcase=makevalid ;;
	utm-wgs84 | wgs84-merc) rpcases="$rpcases $c" ;;
	overlay) ovcase=overlay ;;
	buffer-dissolve) bdcase=buffer-dissolve ;;
	coverage) cvcases="coverage-points coverage-sites" ;;
	tile) tilecases="tile-raster tile-vector" ;;
	tile-raster | tile-vector) tilecases="$tilecases $c" ;;
	*) die "BENCH_CASES: unknown case '$c' (stdout, file, makevalid," \
	    "utm-wgs84, wgs84-merc, overlay, buffer-dissolve, coverage," \
	    "tile, or tile-raster or tile-vector alone)" ;;
	esac
done
[ -n "$copycases$mvcase$rpcases$ovcase$bdcase$cvcases$tilecases" ] ||
	die "BENCH_CASES names no case"
# The sizes of the cases but tile, and of tile: none when none runs.
mainsizes=$BENCH_SIZES tilesizes=$BENCH_TILE_SIZES
[ -n "$copycases$mvcase$rpcases$ovcase$bdcase$cvcases" ] || mainsizes=''
[ -n "$tilecases" ] || tilesizes=''
[ -z "$tilecases" ] || [ -n "$tilesizes" ] ||
	die "BENCH_TILE_SIZES names no size"
[ -z "$rpcases" ] || [ -x "$BENCHPROJ" ] ||
	die "BENCHPROJ must name tests/bench_proj for the reprojection cases"
case $BENCH_INVALID in
'' | .* | *[!0-9.]* | *.*.*) die "BENCH_INVALID must be a fraction such as 0.01" ;;
esac
case $BENCH_PEER_TIMEOUT in
'' | *[!0-9]*) die "BENCH_PEER_TIMEOUT must be a number of seconds (0: none)" ;;
esac
case $BENCH_TILE_TIMEOUT in
'' | *[!0-9]*) die "BENCH_TILE_TIMEOUT must be a number of seconds (0: none)" ;;
esac
case $BENCH_TILE_PEER_REPS in
'' | *[!0-9]* | 0) die "BENCH_TILE_PEER_REPS must be a positive integer" ;;
esac
if [ -n "$ovcase" ]; then
	[ -x "$OVERLAY" ] || die "no kcn-overlay in TOOLDIR (run make first)"
	"$OVERLAY" --help | grep -q '^ *intersect ' ||
	    die "this kcn-overlay has no intersect operation"
	command -v ogr_layer_algebra.py >/dev/null 2>&1 ||
	    die "ogr_layer_algebra.py not found (python3-gdal)"
fi
if [ -n "$bdcase" ]; then
	[ -x "$BUFFER" ] || die "no kcn-buffer in TOOLDIR (run make first)"
	command -v spatialite >/dev/null 2>&1 ||
	    die "spatialite not found (spatialite-bin)"
fi
if [ -n "$cvcases" ]; then
	[ -x "$COVERAGE" ] || die "no kcn-coverage in TOOLDIR (run make first)"
	command -v gdal_translate >/dev/null 2>&1 ||
	    die "gdal_translate not found (gdal-bin)"
fi
if [ -n "$tilecases" ]; then
	[ -x "$TILE" ] || die "no kcn-tile in TOOLDIR (run make first)"
	"$TILE" --help | grep -q -e '--format.*mvt' ||
	    die "this kcn-tile has no --format mvt"
	for p in gdal_rasterize gdal2tiles.py gzip od; do
		command -v "$p" >/dev/null 2>&1 || die "$p not found"
	done
	ogrinfo --formats 2>/dev/null | grep -q '^ *MVT ' ||
	    die "this GDAL has no MVT driver"
fi
if [ -n "$ovcase$bdcase$cvcases$tilecases" ]; then
	command -v timeout >/dev/null 2>&1 || die "timeout not found (coreutils)"
fi

# Nanosecond clock if date has %N, else GNU time's %e is used.
case $(date +%N) in
*[!0-9]* | '') NSCLOCK=0 ;;
*) NSCLOCK=1 ;;
esac

mkdir -p "$BENCH" || die "cannot create $BENCH"
RAW=$BENCH/raw.tsv
ROWS=$BENCH/rows.tsv
GEOMLOG=$BENCH/bench_geom.txt
PROJLOG=$BENCH/bench_proj.tsv
VALID=$BENCH/validity.tsv
OUTS=$BENCH/outputs.tsv
MISMATCH=$BENCH/mismatches.txt
CVDIFFS=$BENCH/coverage-diffs.tsv
CVNOTES=$BENCH/coverage-notes.txt
TILES=$BENCH/tiles.tsv
TILESTEPS=$BENCH/tile-steps.tsv
TILEDIFFS=$BENCH/tile-diffs.txt
outoftime=''	# SIZE/CASE/TOOL of each peer that ran out of time
printf 'size\tcase\ttool\trep\twall_s\ttime_e_s\tmaxrss_kb\tuser_s\tsys_s\tstatus\n' >"$RAW"
: >"$ROWS"
: >"$GEOMLOG"
: >"$PROJLOG"
printf 'size\ttool\trep\tfeatures\tinvalid\tempty\n' >"$VALID"
printf 'size\tcase\ttool\trep\tfeatures\tarea_m2\n' >"$OUTS"
: >"$MISMATCH"
printf 'size\tcase\trep\tcolumn\tlargest\tzone\n' >"$CVDIFFS"
: >"$CVNOTES"
printf 'size\tcase\ttool\trep\ttiles\tbytes\tplain_bytes\tgzip_bytes\tlargest_plain\n' \
    >"$TILES"
printf 'size\trep\tstep\twall_s\n' >"$TILESTEPS"
: >"$TILEDIFFS"

# The number of features that read back from a file, or nothing.  The
# filter makes ogrinfo read every feature: a FlatGeobuf header states the
# count, and a truncated file keeps its header.
count_features() {
	ogrinfo -ro -so -al -where '1=1' "$1" 2>/dev/null |
	    sed -n 's/^Feature Count: *\([0-9][0-9]*\).*/\1/p' | head -n 1
}

# "FEATURES INVALID EMPTY" of the buildings layer of a file: every geometry
# tested by GEOS (ST_IsValid of SpatiaLite, in ogrinfo's SQLite dialect);
# nothing when the test cannot run.  GEOS's warnings are not shown.
count_invalid() {
	ogrinfo -ro -q -dialect sqlite -sql 'SELECT count(*) AS n,
	    total(ST_IsValid(geometry) = 0) AS invalid,
	    total(geometry IS NULL OR ST_IsEmpty(geometry) = 1) AS empty
	    FROM buildings' "$1" 2>/dev/null | awk '
	    $1 == "n" { n = $NF } $1 == "invalid" { i = $NF }
	    $1 == "empty" { e = $NF }
	    END { if (n != "" && i != "" && e != "") printf "%d %d %d\n", n, i, e }'
}

# timed CMD...: runs CMD, its standard output to r_out when r_case is
# stdout (else to /dev/null, and standard input from /dev/null), its
# standard error to last.stderr.  Sets r_rc, the wall time r_wall, and
# GNU time's r_e, r_kb (peak RSS), r_user and r_sys.
timed() {
	r_err=$BENCH/last.stderr r_tf=$BENCH/last.time
	rm -f "$r_tf"
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
	if [ ! -s "$r_tf" ]; then
		cat "$r_err" >&2
		die "$r_tool ($r_case, N=$r_size, rep $r_rep): no timing: $*"
	fi
	# GNU time may prefix a "Command exited..." line; the last line counts.
	# shellcheck disable=SC2046 # four words wanted
	set -- $(tail -n 1 "$r_tf")
	r_e=$1 r_kb=$2 r_user=$3 r_sys=$4
	if [ "$NSCLOCK" = 1 ]; then
		r_wall=$(awk -v a="$t0" -v b="$t1" \
		    'BEGIN { printf "%.4f", (b - a) / 1e9 }')
	else
		r_wall=$r_e
	fi
}

# log_run STATUS: the run just timed, as a line of raw.tsv and one on
# standard error.  STATUS is ok, or timeout for a peer out of time.
log_run() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r_size" \
	    "$r_case" "$r_tool" "$r_rep" "$r_wall" "$r_e" "$r_kb" "$r_user" \
	    "$r_sys" "$1" >>"$RAW"
	printf '  N=%-8s %-9s %-11s rep %s: %8.3f s (user %5.2f sys %5.2f) %7d KB%s\n' \
	    "$r_size" "$r_case" "$r_tool" "$r_rep" "$r_wall" "$r_user" "$r_sys" \
	    "$r_kb" "$(if [ "$1" != ok ]; then echo " ($1)"; fi)" >&2
}

# run SIZE CASE TOOL REP OUT CMD...: times CMD (standard output to OUT when
# CASE is stdout), checks its status and the feature count of OUT.
run() {
	r_size=$1 r_case=$2 r_tool=$3 r_rep=$4 r_out=$5
	shift 5
	rm -f "$r_out"
	timed "$@"
	if [ "$r_rc" != 0 ]; then
		cat "$r_err" >&2
		die "$r_tool ($r_case, N=$r_size, rep $r_rep) exited $r_rc: $*"
	fi
	r_n=$(count_features "$r_out")
	if [ "$r_n" != "$r_size" ]; then
		die "$r_tool ($r_case, N=$r_size, rep $r_rep): output holds" \
		    "${r_n:-no readable} features, input $r_size"
	fi
	log_run ok
	[ "$r_case" = makevalid ] || return 0
	# Repaired: every geometry must now be valid (outside the timing).
	# shellcheck disable=SC2046 # three words wanted
	set -- $(count_invalid "$r_out")
	[ $# = 3 ] || die "$r_tool (makevalid, N=$r_size): cannot test" \
	    "the validity of $r_out"
	[ "$1" = "$r_size" ] || die "$r_tool (makevalid, N=$r_size): ST_IsValid" \
	    "saw $1 features, input $r_size"
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$r_size" "$r_tool" "$r_rep" "$1" \
	    "$2" "$3" >>"$VALID"
	if [ "$r_tool" = kcn ] && [ "$2$3" != 00 ]; then
		die "kcn (makevalid, N=$r_size, rep $r_rep): output holds $2" \
		    "invalid and $3 empty geometries"
	fi
	[ "$2$3" = 00 ] || echo "  N=$r_size makevalid $r_tool rep $r_rep:" \
	    "output holds $2 invalid and $3 empty geometries" >&2
}

# run_limited SIZE CASE TOOL REP CMD...: times CMD under timeout(1), with
# BENCH_PEER_TIMEOUT seconds for a peer (BENCH_TILE_TIMEOUT in the tile
# case) and no limit for kcn.  Sets
# r_status to ok, or to timeout when a peer ran out of time (its run is
# logged so, and the caller runs it no more at this size); any other
# failure stops the script.  The caller removes or prepares the output
# before, and checks it after.  For PostGIS the server's peak memory and
# CPU time are added to psql's (pg_usage_begin, pg_usage_end).
run_limited() {
	r_size=$1 r_case=$2 r_tool=$3 r_rep=$4 r_out=/dev/null
	shift 4
	r_limit=$BENCH_PEER_TIMEOUT
	case $r_case in
	tile-*) r_limit=$BENCH_TILE_TIMEOUT ;;
	esac
	[ "$r_tool" = kcn ] && r_limit=0
	[ "$r_tool" != postgis ] || pg_usage_begin
	timed timeout -k 10 "$r_limit" "$@"
	[ "$r_tool" != postgis ] || pg_usage_end
	r_status=ok
	case $r_limit.$r_rc in
	0.*) ;;
	*.124 | *.137) r_status=timeout ;;	# 137: killed after 10 s more
	esac
	if [ "$r_rc" != 0 ] && [ "$r_status" = ok ]; then
		cat "$r_err" >&2
		die "$r_tool ($r_case, N=$r_size, rep $r_rep) exited $r_rc: $*"
	fi
	log_run "$r_status"
	[ "$r_status" = ok ] || outoftime="$outoftime $r_size/$r_case/$r_tool"
}

# "FEATURES AREA" of a layer: the count and the sum of SpatiaLite's
# ST_Area of its geometries, read through ogrinfo's SQLite dialect from
# FILE, or with the spatialite shell from TABLE of a database (spatialite
# as the third word); nothing when the layer cannot be read.
count_area() {
	if [ "${3:-}" = spatialite ]; then
		spatialite "$1" "SELECT count(*), total(ST_Area(geom)) FROM $2" \
		    2>/dev/null | tr '|' ' '
		return
	fi
	ogrinfo -ro -q -dialect sqlite -sql "SELECT count(*) AS n,
	    total(ST_Area(geometry)) AS a FROM \"$2\"" "$1" 2>/dev/null | awk '
	    $1 == "n" { n = $NF } $1 == "a" { a = $NF }
	    END { if (n != "" && a != "") print n, a }'
}

# output SIZE CASE TOOL REP FEATURES AREA: one line of outputs.tsv for the
# run just made (a checked output), or a failure when it cannot be read.
output() {
	[ $# = 6 ] || die "$3 ($2, N=$1, rep $4): cannot count and measure" \
	    "its output"
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$OUTS"
}

# check_outputs SIZE: every overlay and buffer-dissolve output of SIZE
# against kcn's first of the same case.  overlay: total area within 1e-6
# (relative) of kcn's and, but for clipsrc, as many features; buffer-
# dissolve: one feature, total area within 1% of kcn's.  Mismatches go to
# standard error and to mismatches.txt, and the script exits 1 at the end.
check_outputs() {
	awk -F '\t' -v n="$1" '
	NR == 1 || $1 != n || $2 ~ /^coverage-/ { next }	# see cv_check
	$3 == "kcn" && !($2 in kn) { kn[$2] = $5; ka[$2] = $6 }
	{ row[++m] = $0 }
	END {
		for (i = 1; i <= m; i++) {
			split(row[i], f, "\t")
			c = f[2]; why = ""
			if (!(c in kn)) {
				printf "N=%s %s: no kcn output\n", n, c
				continue
			}
			tol = c == "overlay" ? 1e-6 : 0.01
			d = f[6] - ka[c]
			if (d < 0) d = -d
			if (ka[c] > 0 ? d / ka[c] > tol : d > 0)
				why = sprintf("area %s m2, kcn %s m2 (%.2g apart, more than %g)",
				    f[6], ka[c], d / (ka[c] > 0 ? ka[c] : 1), tol)
			if (c == "overlay" && f[3] != "clipsrc" && f[5] != kn[c])
				why = why (why == "" ? "" : "; ") \
				    sprintf("%s features, kcn %s", f[5], kn[c])
			if (c == "buffer-dissolve" && f[5] != 1)
				why = why (why == "" ? "" : "; ") \
				    sprintf("%s features, not 1", f[5])
			if (why != "")
				printf "N=%s %s %s rep %s: %s\n", n, c, f[3], f[4], why
		}
	}' "$OUTS" >"$BENCH/last.mismatch"
	if [ -s "$BENCH/last.mismatch" ]; then
		sed 's/^/bench: MISMATCH: /' "$BENCH/last.mismatch" >&2
		cat "$BENCH/last.mismatch" >>"$MISMATCH"
	fi
	rm -f "$BENCH/last.mismatch"
}

# An awk function that splits a CSV line into f[1..n] (RFC 4180 quotes),
# returning n; put before the awk programs that read CSV.
CSVAWK='function csv(line, f,   n, i, c, q, v) {
	sub(/\r$/, "", line)
	n = 0; v = ""; q = 0
	for (i = 1; i <= length(line); i++) {
		c = substr(line, i, 1)
		if (q && c == "\"" && substr(line, i + 1, 1) == "\"") { v = v c; i++ }
		else if (c == "\"") q = !q
		else if (!q && c == ",") { f[++n] = v; v = "" }
		else v = v c
	}
	f[++n] = v
	return n
}'

# cv_total FILE: "ROWS COVERED" of a coverage CSV: its rows and the
# covered_m2 of its TOTAL row; nothing when it cannot be read.
cv_total() {
	awk "$CSVAWK"'
	NR == 1 { for (i = csv($0, h); i > 0; i--) col[h[i]] = i; next }
	{ n++; csv($0, f) }
	f[col["zone_id"]] == "TOTAL" && "covered_m2" in col { a = f[col["covered_m2"]] }
	END { if (n && a != "") print n, a }' "$1" 2>/dev/null
}

# cv_check SIZE CASE REP KCN.csv POSTGIS.csv: kcn's output of a repetition
# against PostGIS's, row by row and column by column (PostGIS's columns;
# extra columns of kcn's are not compared).  Rows: the same zones and
# categories in the same order.  Each column's largest difference, less what the rounding of
# kcn's number to its printed digits explains, goes to CVDIFFS, as a
# share of its scale: areas of the zone's area (zone_m2), population of
# the zone's population (pop), road lengths of the zone's road length
# (NAME_m), shares as they are (they are shares of 1); counts (NAME_n,
# NAME_covered) and the radius and segments must be equal, names the
# same text.  A share that PostGIS leaves empty (nothing to share) is not
# compared.  Anything beyond 1e-6 is a mismatch.
cv_check() {
	awk -F '\t' -v n="$1" -v c="$2" -v rep="$3" -v diffs="$CVDIFFS" \
	    "$CSVAWK"'
	FNR == 1 {
		file++
		nh[file] = csv($0, hd)
		for (i = 1; i <= nh[file]; i++) {
			col[file, hd[i]] = i
			name[file, i] = hd[i]
		}
		next
	}
	{
		k = ++nr[file]
		line[file, k] = $0
	}
	function bad(s) {
		if (++nbad <= 20) printf "N=%s %s rep %s: %s\n", n, c, rep, s
	}
	END {
		tol = 1e-6
		nbad = 0
		for (i = 1; i <= nh[2]; i++)
			if (!((1, name[2, i]) in col))
				bad("kcn has no column " name[2, i])
		if (nr[1] != nr[2])
			bad(sprintf("%d rows, PostGIS %d", nr[1], nr[2]))
		for (k = 1; k <= nr[1] && k <= nr[2]; k++) {
			csv(line[1, k], a); csv(line[2, k], b)
			key = b[col[2, "zone_id"]] " " b[col[2, "category"]]
			if (a[col[1, "zone_id"]] " " a[col[1, "category"]] != key) {
				bad(sprintf("row %d is %s %s, PostGIS %s", k,
				    a[col[1, "zone_id"]], a[col[1, "category"]], key))
				continue
			}
			for (i = 1; i <= nh[2]; i++) {
				h = name[2, i]
				if (!((1, h) in col) || h == "zone_id" || h == "category")
					continue
				x = a[col[1, h]]; y = b[i]
				if (h == "zone_name") {
					if (x != y)
						bad(sprintf("%s: zone_name \"%s\", PostGIS \"%s\"",
						    key, x, y))
					continue
				}
				if (y == "") continue
				# the scale the difference is a share of, 0: exact
				if (h ~ /_share$/) s = 1
				else if (h ~ /_m2$/) s = b[col[2, "zone_m2"]]
				else if (h == "pop" || h == "pop_covered") s = b[col[2, "pop"]]
				else if (h ~ /_m$/) {
					base = h; sub(/(_covered)?_m$/, "", base)
					s = b[col[2, base "_m"]]
				} else s = 0
				if (x !~ /^[-+]?[0-9.]+([eE][-+]?[0-9]+)?$/) {
					bad(sprintf("%s: %s \"%s\", PostGIS %s", key, h, x, y))
					continue
				}
				# what the rounding of x to its printed digits
				# explains is no difference
				d = x - y; if (d < 0) d = -d
				half = 0
				if (x ~ /\./ && x !~ /[eE]/)
					half = 0.5 * 10 ^ -(length(x) - index(x, "."))
				d = d > half ? d - half : 0
				if (s == 0) { r = d; lim = 0 }
				else { r = d / (s < 0 ? -s : s); lim = tol }
				if (!(h in worst) || r > worst[h]) { worst[h] = r; at[h] = key }
				if (r > lim)
					bad(sprintf("%s: %s %s, PostGIS %s", key, h, x, y))
			}
		}
		if (nbad > 20)
			printf "N=%s %s rep %s: %d more differences\n", n, c, rep, nbad - 20
		for (i = 1; i <= nh[2]; i++) {
			h = name[2, i]
			if (h in worst)
				printf "%s\t%s\t%s\t%s\t%.3g\t%s\n", n, c, rep, h,
				    worst[h], at[h] >> diffs
		}
	}' "$4" "$5" >"$BENCH/last.mismatch"
	if [ -s "$BENCH/last.mismatch" ]; then
		sed 's/^/bench: MISMATCH: /' "$BENCH/last.mismatch" >&2
		cat "$BENCH/last.mismatch" >>"$MISMATCH"
	fi
	rm -f "$BENCH/last.mismatch"
}

# cv_crs SIZE CASE KCN PG: a note when kcn-coverage -v and the SQL give
# different centres to the LAEA (the areas hardly depend on it: both are
# equal-area).
cv_crs() {
	[ "$(echo "$3" | tr ' ' '\n' | grep '^+l[ao][nt]_0=' | sort |
	    awk -F = '{ printf "%s=%.4f ", $1, $2 }')" = \
	    "$(echo "$4" | tr ' ' '\n' | grep '^+l[ao][nt]_0=' | sort |
	    awk -F = '{ printf "%s=%.4f ", $1, $2 }')" ] && return
	echo "N=$1 $2: LAEA centres differ: kcn-coverage -v \"$3\"," \
	    "PostGIS \"$4\"" | tee -a "$CVNOTES" | sed 's/^/bench: note: /' >&2
}

# tile_check SIZE CASE TOOL REP DIR: counts and measures the tiles in DIR
# (PNG for tile-raster, .pbf for tile-vector), outside the timing, as a
# line of tiles.tsv: tiles, bytes as written, plain bytes (gzipped tiles
# through gzip -d), gzipped bytes (plain .pbf through gzip -n; none for
# PNG) and the largest plain tile.  Lists the tiles' z/x/y in DIR.list.
# No tile at all, or a kcn vector tile over TILE_MAX bytes, is a failure
# (mismatches.txt, and the script exits 1 at the end).
tile_check() {
	t_ext=png
	[ "$2" = tile-vector ] && t_ext=pbf
	(cd "$5" && find . -type f -name "*.$t_ext") |
	    sed 's|^\./||; s|\.[a-z]*$||' | sort >"$5.list"
	# shellcheck disable=SC2046 # three words wanted
	set -- "$@" $(find "$5" -type f -name "*.$t_ext" -printf '%s\n' |
	    awk '{ n++; b += $1; if ($1 > m) m = $1 }
	    END { print n + 0, b + 0, m + 0 }')
	t_n=$6 t_bytes=$7 t_big=$8 t_plain=$7 t_gz=-
	t_first=$(find "$5" -type f -name "*.$t_ext" | head -n 1)
	if [ "$t_ext" = pbf ] && [ -n "$t_first" ]; then
		if [ "$(od -An -tx1 -N2 "$t_first" | tr -d ' \n')" = 1f8b ]; then
			t_gz=$t_bytes
			t_plain=$(find "$5" -type f -name '*.pbf' \
			    -exec gzip -dc {} + | wc -c)
			t_big=$(find "$5" -type f -name '*.pbf' \
			    -exec gzip -l {} + | awk '$1 ~ /^[0-9]+$/ &&
			    $4 != "(totals)" && $2 + 0 > m { m = $2 + 0 }
			    END { print m + 0 }')
		else
			t_gz=$(find "$5" -type f -name '*.pbf' \
			    -exec gzip -nc {} + | wc -c)
		fi
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" \
	    "$t_n" "$t_bytes" "$t_plain" "$t_gz" "$t_big" >>"$TILES"
	echo "  N=$1 $2 $3 rep $4: $t_n tiles, $t_bytes bytes" \
	    "(plain $t_plain, gzipped $t_gz, largest plain tile $t_big)" >&2
	t_bad=''
	[ "$t_n" -gt 0 ] || t_bad='no tile'
	if [ "$3" = kcn ] && [ "$2" = tile-vector ] &&
	    [ "$t_big" -gt "$TILE_MAX" ]; then
		t_bad="largest tile $t_big bytes, over $TILE_MAX"
	fi
	if [ -n "$t_bad" ]; then
		echo "N=$1 $2 $3 rep $4: $t_bad" | tee -a "$MISMATCH" |
		    sed 's/^/bench: MISMATCH: /' >&2
	fi
}

# tile_steps SIZE REP WORK: the wall time of each step of a gdal2tiles
# pipeline that ran (WORK/steps.tsv), and the size of its raster in
# pixels as a step "pixels", into tile-steps.tsv.
tile_steps() {
	awk -v n="$1" -v r="$2" '{ print n "\t" r "\t" $0 }' "$3/steps.tsv" \
	    >>"$TILESTEPS"
	printf '%s\t%s\tpixels\t%s\n' "$1" "$2" "$(gdalinfo \
	    "$3/z${TILE_ZOOMS#*-}.tif" 2>/dev/null |
	    sed -n 's/^Size is \([0-9]*\), \([0-9]*\)$/\1 x \2/p')" \
	    >>"$TILESTEPS"
}

# tile_compare SIZE CITY: the z/x/y tiles that only kcn or only its peer
# wrote (their last runs at SIZE), counted by zoom, into tile-diffs.txt.
tile_compare() {
	for t_case in $tilecases; do
		t_peer=gdal2tiles
		[ "$t_case" = tile-vector ] && t_peer=ogr2ogr-mvt
		t_a=$2/$t_case-kcn.list t_b=$2/$t_case-$t_peer.list
		if [ ! -f "$t_a" ] || [ ! -f "$t_b" ]; then
			continue
		fi
		# shellcheck disable=SC2016 # an awk program
		t_only='{ n++; z[$1]++ }
		    END {
			printf "%d", n
			s = " ("
			for (k = 0; k <= 30; k++)
				if (k in z) { printf "%sz%d: %d", s, k, z[k]; s = ", " }
			if (n) printf ")"
		    }'
		printf 'N=%s %s: kcn %s tiles, %s %s; only kcn wrote %s; only %s wrote %s\n' \
		    "$1" "$t_case" "$(wc -l <"$t_a" | tr -d ' ')" "$t_peer" \
		    "$(wc -l <"$t_b" | tr -d ' ')" \
		    "$(comm -23 "$t_a" "$t_b" | awk -F / "$t_only")" "$t_peer" \
		    "$(comm -13 "$t_a" "$t_b" | awk -F / "$t_only")"
	done | tee -a "$TILEDIFFS" | sed 's/^/  /' >&2
}

# city_ok SIZE: out/bench/citySIZE holds SIZE buildings and, when overlay,
# buffer-dissolve or coverage runs, its 300 districts and SIZE/10 points;
# for coverage also SIZE sites, roads and pop.tif.
city_ok() {
	[ "$(count_features "$BENCH/city$1/buildings.fgb")" = "$1" ] || return 1
	[ -n "$ovcase$bdcase$cvcases" ] || return 0
	[ "$(count_features "$BENCH/city$1/districts.fgb")" = 300 ] &&
	    [ "$(count_features "$BENCH/city$1/points.fgb")" = $(($1 / 10)) ] ||
	    return 1
	[ -n "$cvcases" ] || return 0
	case $(count_features "$BENCH/city$1/roads.fgb") in
	'' | 0) return 1 ;;
	esac
	[ "$(count_features "$BENCH/city$1/sites.fgb")" = "$1" ] &&
	    gdalinfo "$BENCH/city$1/pop.tif" >/dev/null 2>&1
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

# PostGIS for the coverage case: a throw-away cluster of the newest
# PostgreSQL with the PostGIS extension installed, in a temporary folder
# that also holds its socket (no TCP port), started before the first size
# and removed when the script ends.  pg_bin stays empty when there is
# none, and coverage times kcn alone.
pg_bin='' pg_dir='' pg_pm='' pg_sampler='' pg_version='' PG_PORT=54329
if [ -n "$cvcases" ]; then
	# shellcheck disable=SC2012 # version numbers, one a line
	for v in $(ls /usr/lib/postgresql 2>/dev/null | sort -n); do
		[ -x "/usr/lib/postgresql/$v/bin/initdb" ] &&
		    [ -x "/usr/lib/postgresql/$v/bin/psql" ] &&
		    [ -f "/usr/share/postgresql/$v/extension/postgis.control" ] &&
		    pg_bin=/usr/lib/postgresql/$v/bin
	done
	if [ -z "$pg_bin" ]; then
		echo "bench: coverage: PostGIS is not installed (Debian:" \
		    "apt-get install postgresql-15-postgis-3); kcn-coverage" \
		    "is timed alone" >&2
	elif [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
		echo "bench: coverage: running as root, and there is no user" \
		    "postgres to run PostgreSQL; kcn-coverage is timed alone" >&2
		pg_bin=''
	fi
fi

# pg_as CMD...: runs CMD as the user postgres when root (PostgreSQL
# refuses to run as root), else as ourselves.
pg_as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# pg_psql DB ARGS...: psql on database DB of the cluster.
pg_psql() {
	pg_db=$1
	shift
	"$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$pg_dir" -p "$PG_PORT" \
	    -U kcn -d "$pg_db" "$@"
}

# pg_cleanup: at exit, stops the memory sampler and the cluster, and
# removes the cluster's folder.
pg_cleanup() {
	if [ -n "$pg_sampler" ]; then
		kill "$pg_sampler" 2>/dev/null
		pg_sampler=''
	fi
	if [ -n "$pg_dir" ]; then
		[ -z "$pg_pm" ] || pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" \
		    -m immediate -w stop >/dev/null 2>&1
		rm -rf "$pg_dir"
		pg_dir='' pg_pm=''
	fi
}

# Durability is off (fsync, full page writes, synchronous commit): the
# cluster is thrown away.  autovacuum is off so that it does not run in
# the timing; the loading analyses every table.  A client gone (psql
# stopped by timeout) ends its query within a second.
pg_start() {
	pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/kcn-bench-pg.XXXXXX") ||
	    die "cannot make a folder for PostgreSQL"
	if [ "$(id -u)" = 0 ]; then
		chown postgres "$pg_dir" || die "cannot give $pg_dir to postgres"
	fi
	pg_as "$pg_bin/initdb" -D "$pg_dir/data" -U kcn -A trust -E UTF8 \
	    --locale=C --no-sync >"$pg_dir/initdb.log" 2>&1 || {
		cat "$pg_dir/initdb.log" >&2
		die "initdb failed"
	}
	# One line: pg_ctl hands the options to sh -c.
	o="-c listen_addresses='' -k $pg_dir -p $PG_PORT -c fsync=off"
	o="$o -c full_page_writes=off -c synchronous_commit=off"
	o="$o -c autovacuum=off -c client_connection_check_interval=1000"
	pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
	    -o "$o" start >/dev/null || {
		cat "$pg_dir/server.log" >&2
		die "cannot start PostgreSQL in $pg_dir"
	}
	pg_pm=$(head -n 1 "$pg_dir/data/postmaster.pid")
	pg_psql postgres -c 'CREATE EXTENSION postgis' ||
	    die "PostgreSQL has no PostGIS"
	pg_version=$(pg_psql postgres -At -c "SELECT 'PostGIS ' ||
	    postgis_lib_version() || ' (GEOS ' || postgis_geos_version() ||
	    ') on PostgreSQL ' || current_setting('server_version')")
	echo "bench: $pg_version, a throw-away cluster in $pg_dir" >&2
}

# pg_load SIZE DIR: database citySIZE holds the city in DIR: districts,
# buildings, roads, points and sites as ogr2ogr loads them (GiST indexes),
# and pop_cells, one square (in the raster's CRS, which is the
# districts') per cell of pop.tif that holds data, with its value v.
pg_load() {
	pg_psql postgres -c 'SET client_min_messages = warning' \
	    -c "DROP DATABASE IF EXISTS city$1" \
	    -c "CREATE DATABASE city$1" || die "cannot create database city$1"
	pg_psql "city$1" -c 'CREATE EXTENSION postgis' ||
	    die "cannot create extension postgis in city$1"
	for l in districts buildings roads points sites; do
		ogr2ogr -f PostgreSQL \
		    "PG:host=$pg_dir port=$PG_PORT user=kcn dbname=city$1" \
		    "$2/$l.fgb" -nln "$l" -lco GEOMETRY_NAME=geom -lco FID=fid \
		    -lco SPATIAL_INDEX=GIST -gt 65536 ||
		    die "cannot load $2/$l.fgb into PostGIS"
	done
	# shellcheck disable=SC2046 # two words wanted
	set -- "$1" "$2" $(gdalinfo "$2/pop.tif" 2>/dev/null | sed -n \
	    's/^Pixel Size = (\([-0-9.]*\),\([-0-9.]*\))$/\1 \2/p')
	nodata=$(gdalinfo "$2/pop.tif" 2>/dev/null |
	    sed -n 's/^ *NoData Value=//p' | head -n 1)
	if [ $# != 4 ] || [ -z "$nodata" ]; then
		die "$2/pop.tif: no pixel size or no nodata value"
	fi
	gdal_translate -q -of XYZ -co COLUMN_SEPARATOR=, "$2/pop.tif" \
	    "$2/pop.xyz" || die "cannot read $2/pop.tif"
	pg_psql "city$1" -c 'CREATE TABLE pop_xyz (x float8, y float8, v float8)' \
	    -c 'COPY pop_xyz FROM STDIN (FORMAT csv)' <"$2/pop.xyz" ||
	    die "cannot load $2/pop.tif into PostGIS"
	rm -f "$2/pop.xyz"
	pg_psql "city$1" -c "CREATE TABLE pop_cells AS SELECT v,
	    ST_MakeEnvelope(x - abs($3) / 2, y - abs($4) / 2, x + abs($3) / 2,
	    y + abs($4) / 2, Find_SRID('public', 'districts', 'geom')) AS geom
	    FROM pop_xyz WHERE v <> $nodata" -c 'DROP TABLE pop_xyz' \
	    -c 'VACUUM ANALYZE' || die "cannot make the raster's cells"
}

# The cluster's memory now (KB): the private memory of all its processes,
# plus the largest shared and file-backed part of any one.
pg_kb() {
	# shellcheck disable=SC2046 # process ids
	for p in "$pg_pm" $(ps -o pid= --ppid "$pg_pm"); do
		cat "/proc/$p/status"
	done 2>/dev/null | awk '$1 == "RssAnon:" { a += $2 }
	    $1 == "RssFile:" && $2 > f { f = $2 }
	    $1 == "RssShmem:" && $2 > s { s = $2 }
	    END { print a + f + s }'
}

# "USER SYS": clock ticks of the cluster so far, ended processes included
# (the postmaster's cutime and cstime hold those of its children).
pg_ticks() {
	# shellcheck disable=SC2046 # process ids
	for p in "$pg_pm" $(ps -o pid= --ppid "$pg_pm"); do
		cat "/proc/$p/stat"
	done 2>/dev/null | awk '{ u += $14 + $16; s += $15 + $17 }
	    END { print u + 0, s + 0 }'
}

# pg_usage_begin, then pg_usage_end after the timed psql: adds the
# server's peak memory to r_kb and its CPU time to r_user and r_sys.
pg_usage_begin() {
	pg_t0=$(pg_ticks)
	rm -f "$BENCH/pg.stop"
	echo 0 >"$BENCH/pg.peak"
	(
		peak=0
		while [ ! -e "$BENCH/pg.stop" ]; do
			kb=$(pg_kb)
			if [ "${kb:-0}" -gt "$peak" ]; then
				peak=$kb
				echo "$peak" >"$BENCH/pg.peak"
			fi
			sleep 0.2
		done
	) &
	pg_sampler=$!
}

pg_usage_end() {
	: >"$BENCH/pg.stop"
	wait "$pg_sampler"
	pg_sampler=''
	hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
	# shellcheck disable=SC2046,SC2086 # four words wanted
	set -- $pg_t0 $(pg_ticks)
	r_kb=$((r_kb + $(cat "$BENCH/pg.peak")))
	r_user=$(awk -v a="$r_user" -v t="$(($3 - $1))" -v hz="$hz" \
	    'BEGIN { printf "%.2f", a + t / hz }')
	r_sys=$(awk -v a="$r_sys" -v t="$(($4 - $2))" -v hz="$hz" \
	    'BEGIN { printf "%.2f", a + t / hz }')
	rm -f "$BENCH/pg.stop" "$BENCH/pg.peak"
}

# pg_stop_queries: ends whatever clients left running (after a timeout).
pg_stop_queries() {
	pg_psql postgres -At -c "SELECT count(pg_terminate_backend(pid))
	    FROM pg_stat_activity WHERE backend_type = 'client backend'
	    AND pid <> pg_backend_pid()" >/dev/null
}

if [ -n "$mvcase" ]; then	# a bowtie must test invalid
	v=$(ogrinfo -ro -q -dialect sqlite -sql "SELECT ST_IsValid(
	    ST_GeomFromText('POLYGON((0 0,1 1,1 0,0 1,0 0))')) AS v" \
	    sample-data/cctv.csv 2>/dev/null | sed -n 's/^ *v (Integer) = //p')
	[ "$v" = 0 ] || die "ogrinfo's SQLite dialect has no ST_IsValid" \
	    "(GDAL without SpatiaLite): cannot check the makevalid outputs"
fi

load0=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null)
echo "bench: kcn vs its peers, sizes: ${mainsizes:-none}${tilesizes:+ (tile: $tilesizes)}," \
    "$BENCH_REPS reps," \
    "cases:$copycases${mvcase:+ $mvcase}$rpcases${ovcase:+ $ovcase}${bdcase:+ $bdcase}${cvcases:+ coverage}${tilecases:+ tile}" >&2
if [ -n "$pg_bin" ]; then
	trap pg_cleanup EXIT
	trap 'exit 1' HUP INT TERM
	pg_start
fi

for n in $mainsizes; do
	city=$BENCH/city$n
	src=$city/buildings.fgb
	icity=$BENCH/city$n-invalid
	isrc=$icity/buildings.fgb
	districts=$city/districts.fgb
	points=$city/points.fgb
	if [ -n "$copycases$rpcases$ovcase$bdcase$cvcases" ] &&
	    ! city_ok "$n"; then
		echo "bench: generating $city" >&2
		"$GENCITY" synth "$n" "$city" >&2 ||
		    die "kcn-gencity synth $n failed"
		city_ok "$n" || die "$city does not hold $n buildings" \
		    "(and 300 districts and $((n / 10)) points for overlay," \
		    "buffer-dissolve and coverage, $n sites, roads and" \
		    "pop.tif for coverage)"
	fi
	if [ -n "$mvcase" ]; then
		nbad=$(awk -v n="$n" -v f="$BENCH_INVALID" \
		    'BEGIN { printf "%d", n * f + 0.5 }')
		if [ "$(count_invalid "$isrc")" != "$n $nbad 0" ]; then
			echo "bench: generating $icity" >&2
			"$GENCITY" synth --invalid "$BENCH_INVALID" "$n" \
			    "$icity" >&2 ||
			    die "kcn-gencity synth --invalid $n failed"
			[ "$(count_invalid "$isrc")" = "$n $nbad 0" ] ||
			    die "$isrc does not hold $n features," \
			    "$nbad of them invalid"
		fi
		printf '%s\tinput\t0\t%s\t%s\t0\n' "$n" "$n" "$nbad" >>"$VALID"
		cat "$isrc" >/dev/null
	fi
	src4326=$city/buildings-4326.fgb
	if [ -n "$rpcases" ] &&
	    [ "$(count_features "$src4326")" != "$n" ]; then
		ogr2ogr -t_srs EPSG:4326 -f FlatGeobuf "$src4326" "$src" ||
		    die "cannot make $src4326"
	fi
	for case in $rpcases; do
		# The floor's second part: PROJ alone on the same points.
		case $case in
		utm-wgs84) set -- "$src" EPSG:4326 ;;
		wgs84-merc) set -- "$src4326" EPSG:3857 ;;
		esac
		cat "$1" >/dev/null
		p=$("$BENCHPROJ" "$1" "$2") || die "bench_proj $1 $2 failed"
		printf '%s\t%s\t%s\n' "$n" "$case" "$p" >>"$PROJLOG"
		echo "  N=$n $case: $p" >&2
	done
	[ -n "$copycases$rpcases" ] && cat "$src" >/dev/null	# warm cache
	dindex=$city/districts-rtree.fgb
	if [ -n "$ovcase" ]; then
		rm -f "$dindex"
		ogr2ogr -f FlatGeobuf -lco SPATIAL_INDEX=YES "$dindex" \
		    "$districts" || die "cannot make $dindex"
		# The districts' boxes kept once; each building joined to
		# those whose box meets its own.
		ovsql="WITH d AS MATERIALIZED (SELECT dist_id, name, pop,
		    geometry, MbrMinX(geometry) AS x0, MbrMinY(geometry) AS y0,
		    MbrMaxX(geometry) AS x1, MbrMaxY(geometry) AS y1
		    FROM \"$districts\".districts)
		    SELECT b.bld_id, b.levels, b.use, b.pop, d.dist_id, d.name,
		    d.pop AS b_pop, ST_Intersection(b.geometry, d.geometry)
		    AS geometry FROM buildings b, d
		    WHERE d.x0 <= MbrMaxX(b.geometry)
		    AND d.x1 >= MbrMinX(b.geometry)
		    AND d.y0 <= MbrMaxY(b.geometry)
		    AND d.y1 >= MbrMinY(b.geometry)
		    AND ST_Intersects(b.geometry, d.geometry)"
		cat "$src" "$districts" "$dindex" >/dev/null
	fi
	ptsdb=$city/points.sqlite
	workdb=$city/work.sqlite
	if [ -n "$bdcase" ]; then
		rm -f "$ptsdb"
		ogr2ogr -f SQLite -dsco SPATIALITE=YES -lco SPATIAL_INDEX=NO \
		    "$ptsdb" "$points" || die "cannot make $ptsdb"
		[ "$(spatialite "$ptsdb" 'SELECT count(*) FROM points' \
		    2>/dev/null)" = $((n / 10)) ] ||
		    die "$ptsdb does not hold $((n / 10)) points"
		bdsql="CREATE TABLE result AS SELECT
		    ST_Union(ST_Buffer(GEOMETRY, $BD_RADIUS, $BD_SEGMENTS)) AS geom
		    FROM points;"
		cat "$points" "$ptsdb" >/dev/null
	fi
	if [ -n "$cvcases" ] && [ -n "$pg_bin" ]; then
		echo "bench: loading $city into PostGIS" >&2
		pg_load "$n" "$city"
		# The load's writes reach the disk before anything is timed:
		# the first tool timed after it otherwise waits on them
		# (kcn-coverage at 1M: 11 s wall for 10 s of CPU, 6-7 s
		# without).
		pg_psql "city$n" -c 'CHECKPOINT' >/dev/null ||
		    die "cannot checkpoint city$n"
		sync
	fi
	[ -z "$cvcases" ] || cat "$districts" "$src" "$points" \
	    "$city/sites.fgb" "$city/roads.fgb" "$city/pop.tif" >/dev/null

	rep=1
	while [ "$rep" -le "$BENCH_REPS" ]; do
		if [ $((rep % 2)) = 1 ]; then order="kcn ogr2ogr"; else
			order="ogr2ogr kcn"; fi
		for case in $copycases $mvcase $rpcases $ovcase $bdcase \
		    $cvcases; do
			tools=$order
			case $case in
			utm-* | wgs84-*) tools="$order copy" ;;
			overlay) tools=$OV_TOOLS ;;
			buffer-dissolve) tools="kcn spatialite" ;;
			coverage-*) tools="kcn${pg_bin:+ postgis}" ;;
			esac
			case $case.$((rep % 2)) in
			overlay.0 | buffer-dissolve.0 | coverage-*.0)
				# the other way round
				t=''
				for tool in $tools; do t="$tool $t"; done
				tools=$t ;;
			esac
			for tool in $tools; do
				case " $outoftime " in
				*" $n/$case/$tool "*) continue ;;	# ran out of time
				esac
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
				makevalid.kcn)
					# shellcheck disable=SC2086 # options
					run "$n" makevalid kcn "$rep" \
					    "$icity/repaired.fgb" "$INGEST" \
					    $BENCH_KCN_ARGS \
					    -o "$icity/repaired.fgb" "$isrc" ;;
				makevalid.ogr2ogr)
					run "$n" makevalid ogr2ogr "$rep" \
					    "$icity/out-makevalid.fgb" ogr2ogr \
					    -makevalid -nlt PROMOTE_TO_MULTI \
					    -f FlatGeobuf -lco SPATIAL_INDEX=NO \
					    "$icity/out-makevalid.fgb" "$isrc" ;;
				utm-wgs84.* | wgs84-merc.*)
					rin=$src rt=EPSG:4326
					[ "$case" = wgs84-merc ] &&
					    rin=$src4326 rt=EPSG:3857
					rout=$city/$case-$tool.fgb
					case $tool in
					kcn)
						# shellcheck disable=SC2086
						run "$n" "$case" kcn "$rep" \
						    "$rout" "$REPROJECT" \
						    $BENCH_KCN_ARGS -t "$rt" \
						    -o "$rout" "$rin" ;;
					ogr2ogr)
						run "$n" "$case" ogr2ogr \
						    "$rep" "$rout" ogr2ogr \
						    -t_srs "$rt" -f FlatGeobuf \
						    -lco SPATIAL_INDEX=NO \
						    "$rout" "$rin" ;;
					copy)
						run "$n" "$case" copy "$rep" \
						    "$rout" ogr2ogr \
						    -f FlatGeobuf \
						    -lco SPATIAL_INDEX=NO \
						    "$rout" "$rin" ;;
					esac ;;
				overlay.*)
					ovout=$city/overlay-$tool.fgb
					rm -f "$ovout"
					case $tool in
					kcn)
						# shellcheck disable=SC2086
						run_limited "$n" overlay kcn \
						    "$rep" "$OVERLAY" \
						    $BENCH_KCN_ARGS intersect \
						    "$districts" -i "$src" \
						    -o "$ovout" ;;
					clipsrc)
						run_limited "$n" overlay \
						    clipsrc "$rep" ogr2ogr \
						    -clipsrc "$districts" \
						    -f FlatGeobuf \
						    -lco SPATIAL_INDEX=NO \
						    "$ovout" "$src" ;;
					algebra | algebra-idx)
						m=$districts
						[ "$tool" = algebra-idx ] &&
						    m=$dindex
						run_limited "$n" overlay \
						    "$tool" "$rep" \
						    ogr_layer_algebra.py \
						    Intersection -q \
						    -input_ds "$src" \
						    -method_ds "$m" \
						    -output_ds "$ovout" \
						    -output_lyr buildings \
						    -f FlatGeobuf \
						    -lco SPATIAL_INDEX=NO ;;
					ogr-sql)
						run_limited "$n" overlay \
						    ogr-sql "$rep" ogr2ogr \
						    -f FlatGeobuf \
						    -lco SPATIAL_INDEX=NO \
						    -nln buildings \
						    -dialect sqlite \
						    -sql "$ovsql" \
						    "$ovout" "$src" ;;
					esac
					if [ "$r_status" = ok ]; then
						# shellcheck disable=SC2046
						output "$n" overlay "$tool" \
						    "$rep" $(count_area \
						    "$ovout" buildings)
					fi ;;
				buffer-dissolve.kcn)
					bdout=$city/buffer-kcn.fgb
					rm -f "$bdout"
					# shellcheck disable=SC2086 # options
					run_limited "$n" buffer-dissolve kcn \
					    "$rep" "$BUFFER" $BENCH_KCN_ARGS \
					    -r "$BD_RADIUS" \
					    --segments "$BD_SEGMENTS" \
					    --dissolve -o "$bdout" "$points"
					# shellcheck disable=SC2046
					output "$n" buffer-dissolve kcn "$rep" \
					    $(count_area "$bdout" points) ;;
				buffer-dissolve.spatialite)
					cp "$ptsdb" "$workdb" ||
					    die "cannot copy $ptsdb"
					run_limited "$n" buffer-dissolve \
					    spatialite "$rep" spatialite \
					    "$workdb" "$bdsql"
					if [ "$r_status" = ok ]; then
						# shellcheck disable=SC2046
						output "$n" buffer-dissolve \
						    spatialite "$rep" \
						    $(count_area "$workdb" \
						    result spatialite)
					fi ;;
				coverage-*.kcn)
					cvname=${case#coverage-}
					cvout=$city/$case-kcn.csv
					rm -f "$cvout"
					# shellcheck disable=SC2086 # options
					run_limited "$n" "$case" kcn "$rep" \
					    "$COVERAGE" $BENCH_KCN_ARGS -v \
					    --zones "$districts" \
					    --zone-id dist_id --zone-name name \
					    --pop "$city/pop.tif" \
					    --points "buildings=$src" \
					    --lines "roads=$city/roads.fgb" \
					    --segments "$CV_SEGMENTS" \
					    -o "$cvout" \
					    "$cvname=$city/$cvname.fgb:r=$CV_RADIUS"
					cvkcrs=$(sed -n 's/.*\(+proj=laea .*+no_defs\).*/\1/p' \
					    "$BENCH/last.stderr" | head -n 1)
					# shellcheck disable=SC2046
					output "$n" "$case" kcn "$rep" \
					    $(cv_total "$cvout") ;;
				coverage-*.postgis)
					cvname=${case#coverage-}
					cvpg=$city/$case-postgis.csv
					rm -f "$cvpg" "$cvpg.crs"
					run_limited "$n" "$case" postgis "$rep" \
					    "$pg_bin/psql" -X -q \
					    -h "$pg_dir" -p "$PG_PORT" -U kcn \
					    -d "city$n" -v pts="$cvname" \
					    -v cat="$cvname" -v r="$CV_RADIUS" \
					    -v seg="$CV_SEGMENTS" -v out="$cvpg" \
					    -v crsout="$cvpg.crs" \
					    -f scripts/bench-coverage.sql
					if [ "$r_status" = ok ]; then
						# shellcheck disable=SC2046
						output "$n" "$case" postgis \
						    "$rep" $(cv_total "$cvpg")
					else
						pg_stop_queries
						rm -f "$cvpg"
					fi ;;
				esac
			done
			# coverage: kcn's answers against PostGIS's, when
			# both ran in this repetition.
			case $case in
			coverage-*)
				cvout=$city/$case-kcn.csv
				cvpg=$city/$case-postgis.csv
				if [ -s "$cvpg" ] && [ -s "$cvout" ]; then
					cv_check "$n" "$case" "$rep" "$cvout" \
					    "$cvpg"
					cv_crs "$n" "$case" "$cvkcrs" \
					    "$(cat "$cvpg.crs")"
				fi ;;
			esac
		done
		rep=$((rep + 1))
	done
	# overlay and buffer-dissolve: every output against kcn's first
	# (coverage's were checked in each repetition).
	[ -z "$ovcase$bdcase" ] || check_outputs "$n"
	for case in $copycases $mvcase $rpcases; do
		# shellcheck disable=SC2046 # two words wanted
		set -- $(summary "$n" "$case" kcn)
		kt=$1 kkb=$2
		# shellcheck disable=SC2046
		set -- $(summary "$n" "$case" ogr2ogr)
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$case" "$kt" "$1" \
		    "$kkb" "$2" >>"$ROWS"
	done
	if [ -n "$BENCHGEOM" ] && [ -n "$copycases" ]; then
		[ -x "$BENCHGEOM" ] || die "BENCHGEOM: no such program"
		echo "bench: bench_geom on N=$n" >&2
		{
			echo "N=$n"
			"$BENCHGEOM" "$src" 2>&1 || echo "(bench_geom failed)"
		} >>"$GEOMLOG"
	fi
	if [ "$BENCH_KEEP" != 1 ]; then
		rm -f "$city/copy.fgb" "$city/copy2.fgb" "$city/out.fgb" \
		    "$city/out-stdout.fgb" "$icity/repaired.fgb" \
		    "$icity/out-makevalid.fgb"
		for case in $rpcases; do
			rm -f "$city/$case-kcn.fgb" "$city/$case-ogr2ogr.fgb" \
			    "$city/$case-copy.fgb"
		done
		for tool in $OV_TOOLS; do
			rm -f "$city/overlay-$tool.fgb"
		done
		rm -f "$dindex" "$city/buffer-kcn.fgb" "$ptsdb" "$workdb"
		for case in $cvcases; do
			rm -f "$city/$case-kcn.csv" "$city/$case-postgis.csv" \
			    "$city/$case-postgis.csv.crs"
		done
	fi
	if [ -n "$cvcases" ] && [ -n "$pg_bin" ]; then
		pg_psql postgres -c "DROP DATABASE city$n" ||
		    die "cannot drop database city$n"
	fi
done

# The tile case, at its own sizes: each tool's tiles into
# citySIZE/CASE-TOOL, the gdal2tiles pipeline's files into
# citySIZE/tile-work.
for n in $tilesizes; do
	city=$BENCH/city$n
	src=$city/buildings.fgb
	twork=$city/tile-work
	if ! city_ok "$n"; then
		echo "bench: generating $city" >&2
		"$GENCITY" synth "$n" "$city" >&2 ||
		    die "kcn-gencity synth $n failed"
		city_ok "$n" || die "$city does not hold $n buildings"
	fi
	cat "$src" >/dev/null	# warm cache
	peerreps=$BENCH_REPS	# the peers' repetitions at this size
	if [ "$n" = "$tilebig" ] && [ "$BENCH_TILE_PEER_REPS" -lt "$peerreps" ]; then
		peerreps=$BENCH_TILE_PEER_REPS
	fi
	for case in $tilecases; do
		for tool in kcn gdal2tiles ogr2ogr-mvt; do
			rm -f "$city/$case-$tool.list"
		done
	done
	rep=1
	while [ "$rep" -le "$BENCH_REPS" ]; do
		for case in $tilecases; do
			peer=gdal2tiles
			[ "$case" = tile-vector ] && peer=ogr2ogr-mvt
			tools="kcn $peer"
			[ $((rep % 2)) = 1 ] || tools="$peer kcn"
			for tool in $tools; do
				case " $outoftime " in
				*" $n/$case/$tool "*) continue ;;	# ran out of time
				esac
				[ "$tool" = kcn ] || [ "$rep" -le "$peerreps" ] ||
				    continue
				tout=$city/$case-$tool
				rm -rf "$tout" "$twork"
				case $case.$tool in
				tile-raster.kcn)
					# shellcheck disable=SC2086 # options
					run_limited "$n" "$case" kcn "$rep" \
					    "$TILE" $BENCH_KCN_ARGS \
					    -z "$TILE_ZOOMS" -o "$tout" "$src" ;;
				tile-vector.kcn)
					# shellcheck disable=SC2086 # options
					run_limited "$n" "$case" kcn "$rep" \
					    "$TILE" $BENCH_KCN_ARGS \
					    -z "$TILE_ZOOMS" --format mvt \
					    -o "$tout" "$src" ;;
				tile-raster.gdal2tiles)
					mkdir -p "$twork" ||
					    die "cannot create $twork"
					run_limited "$n" "$case" gdal2tiles \
					    "$rep" sh scripts/bench-tile-gdal.sh \
					    "$src" "$twork" "$tout" \
					    "$TILE_ZOOMS" "$(nproc)" \
					    "$twork/steps.tsv"
					[ "$r_status" != ok ] ||
					    tile_steps "$n" "$rep" "$twork" ;;
				tile-vector.ogr2ogr-mvt)
					run_limited "$n" "$case" ogr2ogr-mvt \
					    "$rep" ogr2ogr -f MVT "$tout" "$src" \
					    -dsco "MINZOOM=${TILE_ZOOMS%-*}" \
					    -dsco "MAXZOOM=${TILE_ZOOMS#*-}" ;;
				esac
				[ "$r_status" != ok ] ||
				    tile_check "$n" "$case" "$tool" "$rep" "$tout"
			done
		done
		rep=$((rep + 1))
	done
	tile_compare "$n" "$city"
	if [ "$BENCH_KEEP" != 1 ]; then
		rm -rf "$twork"
		for case in $tilecases; do
			for tool in kcn gdal2tiles ogr2ogr-mvt; do
				rm -rf "$city/$case-$tool" "$city/$case-$tool.list"
			done
		done
	fi
done
rm -f "$BENCH/last.stderr" "$BENCH/last.time"

# The table, plain and Markdown, and the verdict.
MD=$BENCH/results.md
cpu=$(sed -n 's/^model name[^:]*: *//p' /proc/cpuinfo 2>/dev/null |
    head -n 1)
ovnote=''
if [ -n "$ovcase$bdcase" ]; then
	ovnote="Peers of overlay and buffer-dissolve limited to"
	ovnote="$ovnote $BENCH_PEER_TIMEOUT s (0: no limit); SpatiaLite"
	ovnote="$ovnote $(spatialite :memory: 'SELECT spatialite_version()' \
	    2>/dev/null)."
fi
if [ -n "$cvcases" ] && [ -n "$pg_bin" ]; then
	ovnote="${ovnote:+$ovnote }coverage: against $pg_version, in a throw-away"
	ovnote="$ovnote cluster (fsync off), limited to $BENCH_PEER_TIMEOUT s;"
	ovnote="$ovnote PostGIS's CPU time and peak memory include the server's."
elif [ -n "$cvcases" ]; then
	ovnote="${ovnote:+$ovnote }coverage: PostGIS is not installed, so"
	ovnote="$ovnote kcn-coverage ran alone."
fi
if [ -n "$tilecases" ]; then
	ovnote="${ovnote:+$ovnote }tile: at $tilesizes buildings, zooms"
	ovnote="$ovnote $TILE_ZOOMS; peers limited to $BENCH_TILE_TIMEOUT s"
	ovnote="$ovnote (0: no limit)"
	if [ "$BENCH_TILE_PEER_REPS" -lt "$BENCH_REPS" ]; then
		ovnote="$ovnote and run $BENCH_TILE_PEER_REPS times at $tilebig"
		ovnote="$ovnote (kcn $BENCH_REPS times)"
	fi
	ovnote="$ovnote; gdal2tiles with $(nproc) processes."
fi
{
	# shellcheck disable=SC2086 # the case names, one space apart
	echo "# kcn against GDAL, SpatiaLite and PostGIS:" $copycases $mvcase \
	    $rpcases $ovcase $bdcase ${cvcases:+coverage} ${tilecases:+tile}
	echo
	rev=$(git describe --always --dirty 2>/dev/null)
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs (${cpu:-unknown CPU})," \
	    "$("$INGEST" -V)${rev:+ (source tree $rev)}${BENCH_KCN_ARGS:+ run with $BENCH_KCN_ARGS}," \
	    "$(ogr2ogr --version | sed 's/,.*//')," \
	    "$BENCH_REPS reps, median wall time, peak RSS = max over reps." \
	    "${mvcase:+makevalid: $BENCH_INVALID of the footprints invalid, against ogr2ogr -makevalid -nlt PROMOTE_TO_MULTI.}" \
	    "$ovnote" \
	    "Load average before: ${load0:-?}; after:" \
	    "$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null)."
} >"$MD"
if [ -s "$ROWS" ]; then
	{
		echo
		echo "| buildings | case | kcn s | ogr2ogr s | kcn/ogr2ogr | kcn features/s | kcn peak MB | ogr2ogr peak MB |"
		echo "|---:|---|---:|---:|---:|---:|---:|---:|"
	} >>"$MD"
	printf '%-9s %-9s %9s %11s %11s %14s %11s %15s\n' size case "kcn s" \
	    "ogr2ogr s" kcn/ogr2ogr "kcn feat/s" "kcn peak MB" "ogr2ogr peak MB"
fi
awk -F '\t' -v md="$MD" '{
	ratio = $4 > 0 ? $3 / $4 : 0
	rate = $3 > 0 ? $1 / $3 : 0
	printf "%-9s %-9s %9.3f %11.3f %11.2f %14.0f %11.1f %15.1f\n",
	    $1, $2, $3, $4, ratio, rate, $5 / 1024, $6 / 1024
	printf "| %s | %s | %.3f | %.3f | %.2f | %.0f | %.1f | %.1f |\n",
	    $1, $2, $3, $4, ratio, rate, $5 / 1024, $6 / 1024 >> md
}' "$ROWS"

# makevalid: ogr2ogr's invalid and empty outputs, summed over the reps.
ogrbad=$(awk -F '\t' 'NR > 1 && $2 == "ogr2ogr" {
	    if ($5 + $6 > 0) { printf "%s%d invalid + %d empty at %s rep %s",
		n++ ? ", " : "", $5, $6, $1, $3 } ; runs++ }
	END { if (runs && !n) printf "none in %d runs", runs }' "$VALID")
verdict=''
[ -s "$ROWS" ] && verdict=$(awk -F '\t' -v ogrbad="$ogrbad" '
	NR == 1 { lo = $1 } { hi = $1 }
	$1 == lo { small[$2] = $5 } $1 == hi { big[$2] = $5 }
	!($2 in seen) { seen[$2] = 1; cs[++ncs] = $2 }
	$2 == "stdout" || $2 == "file" {
		rows++
		if ($3 > $4) { slow++; if ($3 / $4 > worst) { worst = $3 / $4
			where = $1 " " $2 } }
	}
	$2 == "makevalid" { mvs[++mv] = $1; mvr[mv] = $3 > 0 ? $4 / $3 : 0 }
	END {
		flat = "yes"; detail = ""
		if (lo == hi) flat = "n/a (one size)"
		else for (k = 1; k <= ncs; k++) {
			c = cs[k]
			f = big[c] / small[c]
			detail = detail sprintf("%s%s %.1f -> %.1f MB (x%.2f)",
			    detail == "" ? "" : ", ", c, small[c] / 1024,
			    big[c] / 1024, f)
			if (f > 1.5) flat = "no"
		}
		printf "kcn memory flat across sizes (peak at %s within 1.5x of %s): %s%s.",
		    hi, lo, flat, detail == "" ? "" : " [" detail "]"
		if (rows && slow == 0)
			printf " kcn no slower than ogr2ogr: yes (all %d copy rows).", rows
		else if (rows)
			printf " kcn no slower than ogr2ogr: no (slower in %d of %d copy rows, worst %.2fx at %s).",
			    slow, rows, worst, where
		for (k = 1; k <= mv; k++)
			if (mvs[k] == hi) mvhi = mvr[k]
			else mvd = mvd sprintf(", %.2fx at %s", mvr[k], mvs[k])
		if (mv)
			printf " kcn at least 1.5x faster than ogr2ogr -makevalid at the largest size, %s: %s (ogr2ogr/kcn %.2fx%s); invalid or empty geometries left by ogr2ogr -makevalid: %s.",
			    hi, (mvhi >= 1.5 ? "yes" : "no"), mvhi, mvd, ogrbad
		printf "\n"
	}' "$ROWS")
# Reprojection: against ogr2ogr -t_srs and against the floor (a plain
# copy of the same input plus PROJ's own transform time).
RPROWS=$BENCH/rp-rows.tsv
: >"$RPROWS"
for n in $BENCH_SIZES; do
	for case in $rpcases; do
		# shellcheck disable=SC2046 # words wanted
		set -- $(summary "$n" "$case" kcn) $(summary "$n" "$case" ogr2ogr) \
		    $(summary "$n" "$case" copy) $(awk -F '\t' -v n="$n" \
		    -v c="$case" '$1 == n && $2 == c { split($3, w, " ");
		    print w[2], w[4] }' "$PROJLOG")
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$case" \
		    "$1" "$3" "$5" "$8" "$7" "$2" "$4" "$6" >>"$RPROWS"
	done
done
rpverdict=$(awk -F '\t' '{ hi = $1 } { r[$1, $2] = $0; cs[$2] = 1 }
	END {
		for (c in cs) {
			if (!((hi, c) in r)) continue
			split(r[hi, c], f, "\t")
			sp = f[4] / f[3]; fl = f[3] / (f[5] + f[6])
			printf "%s at %s: kcn-reproject at least 2x ogr2ogr -t_srs: %s (%.2fx); within 1.5x of the floor: %s (%.2fx). ",
			    c, hi, (sp >= 2 ? "yes" : "no"), sp, (fl <= 1.5 ? "yes" : "no"), fl
		}
	}' "$RPROWS")
if [ -s "$RPROWS" ]; then
	{
		echo
		echo "Reprojection (median wall s): kcn-reproject, ogr2ogr -t_srs, a"
		echo "plain ogr2ogr copy of the same input, PROJ alone on the same"
		echo "points (tests/bench_proj, one thread); floor = copy + PROJ."
		echo
		echo "| buildings | case | points | kcn s | ogr2ogr s | ogr2ogr/kcn | copy s | PROJ s | floor s | kcn/floor | kcn MB | ogr2ogr MB |"
		echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
		awk -F '\t' '{ fl = $5 + $6
		    printf "| %s | %s | %s | %.3f | %.3f | %.2f | %.3f | %.3f | %.3f | %.2f | %.1f | %.1f |\n",
		    $1, $2, $7, $3, $4, $4 / $3, $5, $6, fl, $3 / fl,
		    $8 / 1024, $9 / 1024 }' "$RPROWS"
	} >>"$MD"
	echo
	awk -F '\t' 'BEGIN { printf "%-9s %-11s %9s %9s %9s %9s %9s %9s\n",
	    "size", "case", "kcn s", "ogr2ogr s", "ogr/kcn", "copy s",
	    "PROJ s", "kcn/floor" }
	    { printf "%-9s %-11s %9.3f %9.3f %9.2f %9.3f %9.3f %9.2f\n",
	    $1, $2, $3, $4, $4 / $3, $5, $6, $3 / ($5 + $6) }' "$RPROWS"
fi
rm -f "$RPROWS"
[ -s "$ROWS" ] && {
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
	NR > 1 && $2 != "overlay" && $2 != "buffer-dissolve" &&
	    $2 !~ /^coverage-/ && $2 !~ /^tile-/ {
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
	if [ -n "$mvcase" ]; then
		echo
		echo "makevalid: geometries that GEOS finds invalid (ST_IsValid) in the"
		echo "input and in the outputs, and null or empty ones in the outputs"
		echo "(largest over the reps):"
		echo
		echo "| buildings | input invalid | kcn invalid | kcn empty | ogr2ogr invalid | ogr2ogr empty |"
		echo "|---:|---:|---:|---:|---:|---:|"
		awk -F '\t' '
		NR > 1 {
			if (!($1 in seen)) { seen[$1] = 1; sz[++n] = $1 }
			k = $1 SUBSEP $2
			if (!(k in inv) || $5 > inv[k]) inv[k] = $5
			if (!(k in emp) || $6 > emp[k]) emp[k] = $6
		}
		END {
			for (i = 1; i <= n; i++) {
				s = sz[i]
				printf "| %s | %s | %s | %s | %s | %s |\n", s,
				    inv[s, "input"], inv[s, "kcn"], emp[s, "kcn"],
				    inv[s, "ogr2ogr"], emp[s, "ogr2ogr"]
			}
		}' "$VALID"
	fi
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
	[ -z "$rpverdict" ] || { echo; echo "$rpverdict"; }
} >>"$MD"

# overlay, buffer-dissolve and coverage: every tool's median, against
# kcn's; a peer that ran out of time counts as the limit, a lower bound.
OVVERDICT=$BENCH/last.verdict
: >"$OVVERDICT"
if [ -n "$ovcase$bdcase$cvcases" ]; then
	{
		echo
		echo "overlay, buffer-dissolve and coverage: median wall time (s) and"
		echo "its spread (min - max), the tool's time over kcn's, median CPU"
		echo "time (user + sys), peak RSS, and the output's features and total"
		echo "area (coverage: the CSV's rows and the TOTAL row's covered_m2;"
		echo "PostGIS: psql's time, psql's and the server's CPU time and"
		echo "memory). A peer that ran out of time ran once and shows the"
		echo "limit: its time, its ratio to kcn and its peak RSS are lower"
		echo "bounds (> and >=)."
		echo
		echo "| buildings | case | tool | wall s | spread s | tool/kcn | CPU s | peak MB | features | area m2 |"
		echo "|---:|---|---|---:|---|---:|---:|---:|---:|---:|"
	} >>"$MD"
	echo
	printf '%-9s %-15s %-11s %9s %19s %9s %8s %9s %9s %16s\n' size case \
	    tool "wall s" "spread s" tool/kcn "CPU s" "peak MB" features \
	    "area m2"
	awk -F '\t' -v md="$MD" -v lim="$BENCH_PEER_TIMEOUT" \
	    -v vf="$OVVERDICT" -v ovtools="$OV_TOOLS" -v ncpu="$(nproc)" '
	function median(a, n,   i, j, x) {	# sorts a[1..n]
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
				x = a[j]; a[j] = a[j - 1]; a[j - 1] = x
			}
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	# Fills m[k], bound[k] (1: a lower bound), cpu[k], lo[k], hi[k].
	function stats(k,   i, a, b, nb) {
		if (k in m) return
		for (i = 1; i <= nw[k]; i++) a[i] = w[k, i]
		m[k] = median(a, nw[k])
		bound[k] = k in to
		nb = 0
		for (i = 1; i <= nw[k]; i++)
			if (!((k, i) in out)) b[++nb] = w[k, i]
		cpu[k] = nc[k] ? sprintf("%.2f", ccopy(k)) : "-"
		lo[k] = nb ? b[1] : 0; hi[k] = lo[k]
		for (i = 1; i <= nb; i++) {
			if (b[i] + 0 < lo[k]) lo[k] = b[i]
			if (b[i] + 0 > hi[k]) hi[k] = b[i]
		}
		spread[k] = nb ? sprintf("%.3f - %.3f", lo[k], hi[k]) : "-"
	}
	function ccopy(k,   i, a) {
		for (i = 1; i <= nc[k]; i++) a[i] = c[k, i]
		return median(a, nc[k])
	}
	function lb(k) { return bound[k] ? "> " : "" }
	function ratio(k, kk) {
		return sprintf("%s%.2f", bound[k] ? ">= " : "", m[k] / m[kk])
	}
	FNR == 1 { file++; next }
	file == 1 && ($2 == "overlay" || $2 == "buffer-dissolve" ||
	    $2 ~ /^coverage-/) {
		k = $1 SUBSEP $2 SUBSEP $3
		i = ++nw[k]
		if ($10 == "timeout") { to[k] = 1; out[k, i] = 1; w[k, i] = lim }
		else { w[k, i] = $5; c[k, ++nc[k]] = $8 + $9 }
		if (!(k in kb) || $7 + 0 > kb[k]) kb[k] = $7
		if (!(($1, $2) in seen)) { seen[$1, $2] = 1; sc[++nsc] = $1 SUBSEP $2 }
		if ($1 + 0 > top) top = $1 + 0
	}
	file == 2 { k = $1 SUBSEP $2 SUBSEP $3; feat[k] = $5; area[k] = $6 }
	END {
		for (s = 1; s <= nsc; s++) {
			split(sc[s], f, SUBSEP)
			n = f[1]; cs = f[2]
			tools = cs ~ /^coverage-/ ? "kcn postgis" : "kcn spatialite"
			nt = split(cs == "overlay" ? ovtools : tools, t, " ")
			kk = n SUBSEP cs SUBSEP "kcn"
			if (!(kk in nw)) continue
			stats(kk)
			best = ""; peaks = ""; each = ""
			for (i = 1; i <= nt; i++) {
				k = n SUBSEP cs SUBSEP t[i]
				if (!(k in nw)) continue
				stats(k)
				mb = sprintf("%s%.1f", bound[k] ? ">= " : "", kb[k] / 1024)
				wall = sprintf("%s%.3f", lb(k), m[k])
				fe = k in feat ? feat[k] : "-"
				ar = k in area ? sprintf("%.2f", area[k]) : "-"
				printf "%-9s %-15s %-11s %9s %19s %9s %8s %9s %9s %16s\n",
				    n, cs, t[i], wall, spread[k], ratio(k, kk),
				    cpu[k], mb, fe, ar
				printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				    n, cs, t[i], wall, spread[k], ratio(k, kk),
				    cpu[k], mb, fe, ar >> md
				sep = peaks == "" ? "" : ", "
				peaks = peaks sprintf("%s%s %s MB", sep, t[i], mb)
				if (t[i] == "kcn") continue
				sep = each == "" ? "" : ", "
				each = each sprintf("%s%s %s%.3f s (%sx)", sep,
				    t[i], lb(k), m[k], ratio(k, kk))
				if (best == "" || m[k] < m[best] ||
				    (m[k] == m[best] && bound[best] && !bound[k]))
					best = k
			}
			if (n + 0 != top) continue
			pts = cs == "overlay" ? "" : sprintf(" (%d points)",
			    cs == "coverage-sites" ? n : n / 10)
			minute = ""	# coverage-sites: the target for N points
			if (cs == "coverage-sites")
				minute = sprintf("; %d points in under a minute: %s (kcn %.3f s, %d CPUs)",
				    n, m[kk] < 60 ? "yes" : "no", m[kk], ncpu)
			if (best == "") {	# coverage without PostGIS
				printf "%s at %s buildings%s: PostGIS not installed, kcn-coverage %.3f s alone%s; peak RSS %s.\n",
				    cs, n, pts, m[kk], minute, peaks > vf
				continue
			}
			r = m[best] / m[kk]
			split(best, bt, SUBSEP)
			if (cs == "overlay") {
				goal = 5
				what = "kcn-overlay intersect at least 5x faster than the fastest GDAL path"
			} else if (cs ~ /^coverage-/) {
				goal = 10
				what = "kcn-coverage at least 10x faster than PostGIS"
			} else {
				goal = 3
				what = "kcn-buffer --dissolve at least 3x faster than SpatiaLite"
			}
			yes = r >= goal ? "yes" : bound[best] ? "not known, every peer ran out of time" : "no"
			printf "%s at %s buildings%s: %s: %s (%s %s%.3f s, kcn %.3f s: %s%.2fx)%s%s; peak RSS %s.\n",
			    cs, n, pts, what, yes, bt[3], lb(best), m[best], m[kk],
			    bound[best] ? ">= " : "", r,
			    cs == "overlay" ? "; every path: " each : "",
			    minute, peaks > vf
		}
	}' "$RAW" "$OUTS"
	{
		echo
		cat "$OVVERDICT"
	} >>"$MD"
fi
# tile: each tool's median wall time against kcn's, and its tiles; a
# peer that ran out of time counts as the limit, a lower bound.
TILEVERDICT=$BENCH/last.tile-verdict
: >"$TILEVERDICT"
if [ -n "$tilecases" ]; then
	{
		echo
		echo "tile: median wall time (s) and its spread (min - max), the"
		echo "tool's time over kcn's, median CPU time (user + sys), peak RSS"
		echo "(gdal2tiles: of its largest process), and the tiles of its"
		echo "first run: how many, MB as written, MB plain and gzipped (vector"
		echo "tiles: GDAL writes them gzipped, kcn-tile plain), and the largest"
		echo "plain tile in bytes. MB: 1,048,576 bytes. A peer that ran out"
		echo "of time shows the limit: its time, its ratio to kcn and its peak"
		echo "RSS are lower bounds (> and >=)."
		echo
		echo "| buildings | case | tool | wall s | spread s | tool/kcn | CPU s | peak MB | tiles | MB written | MB plain | MB gzipped | largest plain B |"
		echo "|---:|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	} >>"$MD"
	echo
	printf '%-9s %-11s %-11s %9s %19s %9s %8s %9s %7s %8s %8s %8s %9s\n' \
	    size case tool "wall s" "spread s" tool/kcn "CPU s" "peak MB" \
	    tiles "MB out" "MB plain" "MB gzip" "largest B"
	awk -F '\t' -v md="$MD" -v lim="$BENCH_TILE_TIMEOUT" \
	    -v vf="$TILEVERDICT" -v max="$TILE_MAX" '
	function median(a, n,   i, j, x) {	# sorts a[1..n]
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
				x = a[j]; a[j] = a[j - 1]; a[j - 1] = x
			}
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	# Fills m[k], bound[k] (1: a lower bound), cpu[k], spread[k].
	function stats(k,   i, a, b, nb, lo, hi) {
		if (k in m) return
		for (i = 1; i <= nw[k]; i++) a[i] = w[k, i]
		m[k] = median(a, nw[k])
		bound[k] = k in to
		for (i = 1; i <= nc[k]; i++) b[i] = c[k, i]
		cpu[k] = nc[k] ? sprintf("%.2f", median(b, nc[k])) : "-"
		nb = 0
		for (i = 1; i <= nw[k]; i++)
			if (!((k, i) in out)) {
				nb++
				if (nb == 1 || w[k, i] + 0 < lo) lo = w[k, i]
				if (nb == 1 || w[k, i] + 0 > hi) hi = w[k, i]
			}
		spread[k] = nb ? sprintf("%.3f - %.3f", lo, hi) : "-"
	}
	function lb(k) { return bound[k] ? "> " : "" }
	function ratio(k, kk) {
		return sprintf("%s%.2f", bound[k] ? ">= " : "", m[k] / m[kk])
	}
	function mb(x) { return x == "-" ? "-" : sprintf("%.2f", x / 1048576) }
	FNR == 1 { file++; next }
	file == 1 && $2 ~ /^tile-/ {
		k = $1 SUBSEP $2 SUBSEP $3
		i = ++nw[k]
		if ($10 == "timeout") { to[k] = 1; out[k, i] = 1; w[k, i] = lim }
		else { w[k, i] = $5; c[k, ++nc[k]] = $8 + $9 }
		if (!(k in kb) || $7 + 0 > kb[k]) kb[k] = $7
		if (!(($1, $2) in seen)) { seen[$1, $2] = 1; sc[++nsc] = $1 SUBSEP $2 }
		if ($1 + 0 > top) top = $1 + 0
	}
	file == 2 {
		k = $1 SUBSEP $2 SUBSEP $3
		if (!(k in tiles)) {
			tiles[k] = $5; bytes[k] = $6; gz[k] = $8; big[k] = $9
			plain[k] = $2 == "tile-raster" ? "-" : $7
		} else if ($5 != tiles[k] || $6 != bytes[k])
			vary[k] = 1
		if ($2 == "tile-vector" && $3 == "kcn") {
			kv++
			if (kv == 1 || $9 + 0 > kvbig) {
				kvbig = $9 + 0; kvat = $1 " buildings, rep " $4
			}
		}
	}
	file == 3 {
		if ($3 == "pixels") { px[$1] = $4; next }
		k = $1 SUBSEP $3
		st[k, ++ns[k]] = $4
		if (!(k in sseen)) {
			sseen[k] = 1; snames[$1] = snames[$1] " " $3
			if (!($1 in szseen)) { szseen[$1] = 1; szs[++nszs] = $1 }
		}
	}
	END {
		for (s = 1; s <= nsc; s++) {
			split(sc[s], f, SUBSEP)
			n = f[1]; cs = f[2]
			t[1] = "kcn"
			t[2] = cs == "tile-raster" ? "gdal2tiles" : "ogr2ogr-mvt"
			kk = n SUBSEP cs SUBSEP "kcn"
			if (!(kk in nw)) continue
			for (i = 1; i <= 2; i++) {
				k = n SUBSEP cs SUBSEP t[i]
				if (!(k in nw)) continue
				stats(k)
				pk = sprintf("%s%.1f", bound[k] ? ">= " : "", kb[k] / 1024)
				wall = sprintf("%s%.3f", lb(k), m[k])
				if (k in tiles) {
					tn = tiles[k] (k in vary ? "*" : "")
					to1 = mb(bytes[k]); tp = mb(plain[k]); tg = mb(gz[k])
					tb = big[k]
				} else
					tn = to1 = tp = tg = tb = "-"
				if (k in vary) varied = 1
				printf "%-9s %-11s %-11s %9s %19s %9s %8s %9s %7s %8s %8s %8s %9s\n",
				    n, cs, t[i], wall, spread[k], ratio(k, kk), cpu[k],
				    pk, tn, to1, tp, tg, tb
				printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				    n, cs, t[i], wall, spread[k], ratio(k, kk), cpu[k],
				    pk, tn, to1, tp, tg, tb >> md
				peak[i] = pk
			}
			if (n + 0 != top) continue
			kp = n SUBSEP cs SUBSEP t[2]
			if (!(kp in nw)) {
				printf "%s at %s buildings: %s did not run.\n", cs, n,
				    t[2] > vf
				continue
			}
			r = m[kp] / m[kk]
			if (cs == "tile-raster") {
				goal = 5
				what = "kcn-tile PNG at least 5x faster than the gdal2tiles pipeline"
			} else {
				goal = 8
				what = "kcn-tile MVT at least 8x faster than GDAL'"'"'s MVT writer"
			}
			yes = r >= goal ? "yes" : bound[kp] ? "not known, " t[2] " ran out of time" : "no"
			sizes = ""
			if (cs == "tile-vector" && (kk in tiles) && (kp in tiles))
				sizes = sprintf("; MB plain kcn %s, GDAL %s; gzipped kcn %s, GDAL %s",
				    mb(plain[kk]), mb(plain[kp]), mb(gz[kk]), mb(gz[kp]))
			printf "%s at %s buildings: %s: %s (%s %s%.3f s, kcn %.3f s: %s%.2fx); tiles kcn %s, %s %s%s; peak RSS kcn %s MB, %s %s MB.\n",
			    cs, n, what, yes, t[2], lb(kp), m[kp], m[kk],
			    bound[kp] ? ">= " : "", r,
			    kk in tiles ? tiles[kk] : "-", t[2],
			    kp in tiles ? tiles[kp] : "-", sizes, peak[1], t[2],
			    peak[2] > vf
		}
		if (kv)
			printf "No kcn vector tile over %d bytes: %s (largest %d bytes, at %s; kcn runs: %d).\n",
			    max, kvbig <= max ? "yes" : "no", kvbig, kvat, kv > vf
		if (varied) {
			print "" >> md
			print "\\* the tiles differed from one run of the tool to another." >> md
		}
		if (nszs) {
			print "" >> md
			print "The gdal2tiles pipeline, median wall time (s) of each step:" >> md
			print "" >> md
		}
		for (s = 1; s <= nszs; s++) {
			n = szs[s]
			line = ""
			nn = split(snames[n], sn, " ")
			for (i = 1; i <= nn; i++) {
				k = n SUBSEP sn[i]
				for (j = 1; j <= ns[k]; j++) a[j] = st[k, j]
				line = line sprintf("%s%s %.3f", i > 1 ? ", " : "",
				    sn[i], median(a, ns[k]))
				if (sn[i] == "rasterize" && (n in px))
					line = line " (" px[n] " pixels)"
			}
			printf "- %s buildings: %s\n", n, line >> md
			printf "gdal2tiles pipeline at %s buildings, median s: %s\n",
			    n, line
		}
	}' "$RAW" "$TILES" "$TILESTEPS"
	if [ -s "$TILEDIFFS" ]; then
		{
			echo
			echo "Tiles only one tool wrote (z/x/y, the last run of each):"
			echo
			sed 's/^/- /' "$TILEDIFFS"
		} >>"$MD"
		cat "$TILEDIFFS"
	fi
	{
		echo
		cat "$TILEVERDICT"
	} >>"$MD"
fi
# coverage: the largest difference of each column between kcn's answers
# and PostGIS's, over the repetitions.
if [ "$(wc -l <"$CVDIFFS")" -gt 1 ]; then
	{
		echo
		echo "coverage: the largest difference between kcn-coverage's and"
		echo "PostGIS's answers over all zones and repetitions, column by"
		echo "column: areas as a share of the zone's area, population of the"
		echo "zone's, lengths of the zone's road length, shares as they are;"
		echo "counts, radius and segments as absolute differences. Limit 1e-6"
		echo "(counts: 0)."
		echo
		awk -F '\t' '
		NR > 1 {
			k = $1 SUBSEP $2
			if (!(k in seen)) { seen[k] = 1; row[++n] = k }
			if (!(($2, $4) in cs)) { cs[$2, $4] = 1; cn[$2] = cn[$2] " " $4 }
			if (!((k, $4) in d) || $5 + 0 > d[k, $4]) d[k, $4] = $5 + 0
		}
		END {
			for (i = 1; i <= n; i++) {
				split(row[i], f, SUBSEP)
				m = split(cn[f[2]], c, " ")
				line = ""
				for (j = 1; j <= m; j++)
					line = line sprintf("%s%s %.2g", j > 1 ? ", " : "",
					    c[j], d[row[i], c[j]])
				printf "- %s buildings, %s: %s\n", f[1], f[2], line
			}
		}' "$CVDIFFS"
		if [ -s "$CVNOTES" ]; then
			echo
			sed 's/^/- note: /' "$CVNOTES"
		fi
	} >>"$MD"
fi
if [ -s "$MISMATCH" ]; then
	{
		echo
		echo "Outputs that do not agree with kcn's, or break a limit (the"
		echo "run failed):"
		echo
		sed 's/^/- /' "$MISMATCH"
	} >>"$MD"
fi
if [ -s "$GEOMLOG" ]; then
	echo
	cat "$GEOMLOG"
fi
echo
[ -z "$verdict" ] || echo "$verdict"
[ -z "$rpverdict" ] || echo "$rpverdict"
[ -s "$OVVERDICT" ] && cat "$OVVERDICT"
[ -s "$TILEVERDICT" ] && cat "$TILEVERDICT"
rm -f "$ROWS" "$OVVERDICT" "$TILEVERDICT"
if [ -s "$MISMATCH" ]; then
	sed 's/^/bench: FAIL: output mismatch: /' "$MISMATCH" >&2
	exit 1
fi
