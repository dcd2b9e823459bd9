#!/bin/sh
# install-web.sh: build web/dist/, the files of kcn-tile's preview page:
# the page (web/src/) and the browser builds of its libraries, all in one
# flat folder (kcn-tile --preview copies it beside the tiles).  The
# libraries come from the npm registry, at the versions package-lock.json
# pins.  Does nothing when web/dist/ is complete and newer than the lock
# file and the page's sources.
#
#   sh scripts/install-web.sh [-f]     -f: build again even if up to date
set -u

root=$(cd "$(dirname "$0")/.." && pwd) || exit 1
web=$root/web
dist=$web/dist
stamp=$dist/.installed
# The libraries' files the page loads, as FROM:TO (TO in dist/).
libs="ol/dist/ol.js:ol.js ol/ol.css:ol.css pmtiles/dist/pmtiles.js:pmtiles.js
ol/LICENSE.md:ol-LICENSE.md"

new=
die() {
	echo "kcn: install-web: $*" >&2
	[ -n "$new" ] && rm -rf "$new"
	exit 1
}

force=0
case ${1-} in
-f)	force=1 ;;
'')	;;
*)	echo "usage: sh scripts/install-web.sh [-f]" >&2; exit 64 ;;
esac

# Up to date: every file there, none of the sources newer than the stamp.
uptodate() {
	[ -f "$stamp" ] || return 1
	for f in "$web"/src/*; do
		[ -f "$dist/$(basename "$f")" ] || return 1
	done
	for l in $libs; do
		[ -f "$dist/${l#*:}" ] || return 1
	done
	[ -z "$(find "$web/src" "$web/package-lock.json" -newer "$stamp" \
	    2>/dev/null)" ]
}

if [ $force -eq 0 ] && uptodate; then
	exit 0
fi

command -v node >/dev/null 2>&1 ||
	die "node is missing (Debian: apt-get install nodejs npm)"
command -v npm >/dev/null 2>&1 ||
	die "npm is missing (Debian: apt-get install npm)"
[ -f "$web/package-lock.json" ] || die "web/package-lock.json is missing"

# npm ci unless node_modules/ already holds what the lock file pins
# (npm's own record of it is newer than the lock file).
mods=$web/node_modules/.package-lock.json
if [ ! -f "$mods" ] ||
    [ -n "$(find "$web/package-lock.json" -newer "$mods")" ]; then
	echo "kcn: install-web: npm ci in web/ (the preview page's" \
	    "libraries)" >&2
	(cd "$web" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit \
	    --no-fund --no-update-notifier --ignore-scripts --loglevel=error \
	    >/dev/null) ||
		die "npm ci failed in web/ (is the npm registry reachable?)"
fi

# Build beside dist/ and swap, so a failure never leaves half a folder.
new=$web/.dist.new
rm -rf "$new" && mkdir "$new" || die "cannot create $new"
for l in $libs; do
	from=$web/node_modules/${l%%:*}
	[ -f "$from" ] || die "$from is missing after npm ci"
	cp "$from" "$new/${l#*:}" || die "cannot copy $from"
done
cp "$web"/src/* "$new"/ || die "cannot copy web/src/"
# Which library versions the page carries, with their licences.
(cd "$web" && node -e '
	for (const n of ["ol", "pmtiles"]) {
		const p = require("./node_modules/" + n + "/package.json");
		console.log(n + " " + p.version + " (" + p.license + "): " +
		    (p.homepage || ""));
	}') >"$new/THIRD-PARTY.txt" || die "cannot write THIRD-PARTY.txt"
: >"$new/.installed" || die "cannot write the stamp"
rm -rf "$dist" && mv "$new" "$dist" || die "cannot move the build to $dist"
echo "kcn: install-web: web/dist/ ready" >&2
