#!/bin/sh
# The peer of kcn-tile's PNG tiles in scripts/bench.sh: GDAL's own way
# from a vector layer to XYZ PNG tiles, in three steps that bench.sh
# times as one run.
#
#   sh scripts/bench-tile-gdal.sh SRC WORK OUT ZOOMS PROCESSES STEPS
#
# 1. reproject  ogr2ogr copies SRC into Web Mercator (EPSG:3857), as
#               WORK/merc.fgb: gdal_rasterize burns in the layer's own
#               CRS and does not reproject.
# 2. rasterize  gdal_rasterize burns every feature (255; the rest is 0,
#               nodata) into WORK/zZ.tif at the pixel size of the highest
#               zoom Z of ZOOMS, 2 * 20037508.342789244 / 256 / 2^Z m,
#               on the tile grid (-tap), tiled and deflated.
# 3. tile       gdal2tiles.py cuts it into OUT/z/x/y.png: XYZ numbering,
#               PROCESSES processes, no web viewer, no empty tile (-x).
#
# WORK must exist and OUT must not.  Each step's wall time is appended
# to the file STEPS as a line "STEP<tab>SECONDS".  The script stops at
# the first step that fails, with its exit status.

set -u

if [ $# != 6 ]; then
	echo "usage: bench-tile-gdal.sh src work out zooms processes steps" >&2
	exit 64
fi
src=$1 work=$2 out=$3 zooms=$4 procs=$5 steps=$6
zmax=${zooms#*-}
res=$(awk -v z="$zmax" \
    'BEGIN { printf "%.17g", 2 * 20037508.342789244 / 256 / 2 ^ z }')

# step NAME CMD...: runs CMD and logs its wall time as NAME.
step() {
	s_name=$1
	shift
	s_t0=$(date +%s%N)
	"$@" || exit $?
	s_t1=$(date +%s%N)
	awk -v n="$s_name" -v a="$s_t0" -v b="$s_t1" \
	    'BEGIN { printf "%s\t%.4f\n", n, (b - a) / 1e9 }' >>"$steps"
}

step reproject ogr2ogr -t_srs EPSG:3857 -f FlatGeobuf \
    -lco SPATIAL_INDEX=NO "$work/merc.fgb" "$src"
step rasterize gdal_rasterize -q -burn 255 -tr "$res" "$res" -tap \
    -ot Byte -co COMPRESS=DEFLATE -co TILED=YES -a_nodata 0 \
    "$work/merc.fgb" "$work/z$zmax.tif"
step tile gdal2tiles.py -q --xyz -z "$zooms" --processes="$procs" \
    -w none -x "$work/z$zmax.tif" "$out"
