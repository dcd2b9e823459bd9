#!/bin/sh
# The demo: what kcn makes of the sample partner city today.  Results go to
# out/demo/.  Run by "make demo".
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
: "${TOOLDIR:=$top/tools}"
PATH=$TOOLDIR:$PATH
out=$top/out/demo
mkdir -p "$out"
cd "$top/sample-data"

layers="wards.shp roads.geojson buildings.gpkg facilities.csv pop_100m.tif
cctv.csv ev_chargers.kml small_cells_5g.shp smart_poles.geojson
smart_zones.dxf"

echo "== 1. Triage: what did the partner city send?"
# shellcheck disable=SC2086
kcn-info --check $layers | tee "$out/info.txt"
# shellcheck disable=SC2086
kcn-info --check --json $layers > "$out/info.json"

echo
echo "== 2. The wards come without .prj and .cpg: assign VN-2000 / UTM 49N;"
echo "      their code page is detected from the names"
kcn-ingest -s EPSG:3406 -o "$out/wards.gpkg" wards.shp 2>&1 | cut -c1-100
kcn-info "$out/wards.gpkg" | grep -E 'crs|lon/lat'

echo
echo "== 3. A stream between tools: buildings repaired through GEOS into FlatGeobuf"
rc=0
kcn-ingest -q buildings.gpkg > "$out/buildings.fgb" || rc=$?
echo "kcn-ingest exit $rc (1: the 5 empty footprints were dropped and counted;
    the 8 invalid ones were repaired)"
kcn-info --check "$out/buildings.fgb" | grep -E 'features|crs|check'

echo
echo "== 4. A clean working set: every layer in UTF-8, valid, with its CRS"
mkdir -p "$out/clean"
ingest() {
	name=$1
	shift
	rc=0
	kcn-ingest -q --report "$out/clean/$name.report.json" \
	    -o "$out/clean/$name.gpkg" "$@" || rc=$?
	printf '  %-16s exit %d  %s\n' "$name" "$rc" "$(grep -o \
	    '"features_written": [0-9]*' "$out/clean/$name.report.json")"
}
ingest wards --guess-crs --snake-case wards.shp
ingest roads roads.geojson
ingest buildings buildings.gpkg
ingest facilities -s EPSG:4326 facilities.csv
ingest cctv -s EPSG:4326 cctv.csv
ingest ev_chargers ev_chargers.kml
ingest small_cells small_cells_5g.shp
ingest smart_poles smart_poles.geojson
ingest smart_zones -s EPSG:32649 --add source=cad smart_zones.dxf

echo
echo "== 5. One analysis CRS: every clean layer in the UTM zone of the city,"
echo "      with the operation PROJ ranks best for it (VN-2000's own shift)"
mkdir -p "$out/utm"
for f in "$out"/clean/*.gpkg; do
	name=$(basename "$f" .gpkg)
	rc=0
	kcn-reproject -v -t EPSG:32649 -o "$out/utm/$name.gpkg" "$f" \
	    2>"$out/utm/$name.log" || rc=$?
	printf '  %-16s exit %d  %s\n' "$name" "$rc" "$(grep -o \
	    'operation: [^;]*' "$out/utm/$name.log")"
done

echo
echo "== 6. Service areas, metre-true, overlaps merged, split by ward: what"
echo "      the cameras watch (150 m), the chargers serve (500 m), the 5G small"
echo "      cells reach (250 m) and the smart poles light (100 m)"
mkdir -p "$out/service"
for s in cctv:cctv:150 ev:ev_chargers:500 5g:small_cells:250 \
    poles:smart_poles:100; do
	kind=${s%%:*} r=${s##*:} layer=${s#*:}
	layer=${layer%:*}
	kcn-buffer -q -r "$r" "$out/utm/$layer.gpkg" |
	    kcn-dissolve -q --count |
	    kcn-overlay -v --b-fields ma_phuong,ten_phuong intersect \
	    "$out/utm/wards.gpkg" -o "$out/service/$kind-${r}m.gpkg" 2>&1 |
	    sed -n "s|.*read, \([0-9]*\) written|  $kind-${r}m.gpkg: \1 pieces, one a ward|p"
done

echo
echo "== 7. The buildings of the planned smart zones, and those outside"
kcn-overlay -v -i "$out/utm/buildings.gpkg" clip "$out/utm/smart_zones.gpkg" \
    -o "$out/service/buildings-in-zones.gpkg" 2>&1 | cut -c1-100
kcn-overlay -q -i "$out/utm/buildings.gpkg" erase "$out/utm/smart_zones.gpkg" \
    -o "$out/service/buildings-outside-zones.gpkg"
kcn-info "$out/service/buildings-outside-zones.gpkg" | grep features

echo
echo "== 8. The coverage report: each ward's land, people (from the raster,"
echo "      by the exact share of each cell), buildings and roads within reach"
echo "      of each kind of infrastructure and of the smart zones; the gaps"
set -- --zones "$out/utm/wards.gpkg" --zone-id ma_phuong \
    --zone-name ten_phuong --pop pop_100m.tif \
    --points buildings="$out/utm/buildings.gpkg" \
    --lines roads="$out/utm/roads.gpkg" \
    cctv="$out/utm/cctv.gpkg:r=150" ev="$out/utm/ev_chargers.gpkg:r=500" \
    5g="$out/utm/small_cells.gpkg:r=250" \
    poles="$out/utm/smart_poles.gpkg:r=100" \
    zones="$out/utm/smart_zones.gpkg"
kcn-coverage -q --gaps "$out/gaps.gpkg" --covered "$out/covered.gpkg" \
    -o "$out/coverage.csv" "$@"
kcn-coverage -q --markdown -o "$out/coverage.md" "$@"
grep -E '^\| (Zone|\*\*TOTAL)' "$out/coverage.md" | cut -d '|' -f 2-6,8 |
    sed 's/^/  /'

echo
echo "== 9. The plan as web map tiles: PNG in out/demo/tiles/ (open its"
echo "      index.html) and vector tiles in out/demo/plan.pmtiles (serve"
echo "      out/demo, e.g. python3 -m http.server -d out/demo, and open it)"
rm -rf "$out/tiles" "$out/plan.pmtiles"
set -- "$out/utm/wards.gpkg:fill=#f4f1e8,stroke=#6b6b6b,width=1.2" \
    "$out/covered.gpkg:name=covered,by=category,stroke=none,opacity=0.55,colors=cctv:#1f78b4 ev:#33a02c 5g:#6a3d9a poles:#ff7f00 zones:#e31a1c all:#00000000" \
    "$out/gaps.gpkg:name=gaps,fill=#e31a1c33,stroke=#e31a1c,width=0.5" \
    "$out/utm/roads.gpkg:stroke=#444444,width=1" \
    "$out/utm/buildings.gpkg:fill=#9e9e9e,stroke=none" \
    "$out/utm/cctv.gpkg:fill=#1f78b4,stroke=#ffffff,size=5" \
    "$out/utm/ev_chargers.gpkg:fill=#33a02c,stroke=#ffffff,symbol=square,size=7"
kcn-tile -v --preview -z 12-16 -o "$out/tiles" "$@" 2>&1 |
    grep -E 'written' | sed "s|$top/||; s/^/  /"
kcn-tile -v --preview --format mvt -z 10-16 -o "$out/plan.pmtiles" "$@" 2>&1 |
    grep -E 'gathered|written' | sed "s|$top/||; s/^/  /"

echo
echo "Results in out/demo/: info.txt, info.json, wards.gpkg, buildings.fgb,"
echo "clean/ (one GeoPackage and one JSON report per layer), utm/ (the"
echo "clean layers in WGS 84 / UTM zone 49N), service/ (service areas by"
echo "ward, buildings in and outside the smart zones), coverage.csv and"
echo "coverage.md (the coverage report), gaps.gpkg (what nothing covers),"
echo "covered.gpkg (what each kind covers), tiles/ and plan.pmtiles with"
echo "their preview pages (index.html)"
