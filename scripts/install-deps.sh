#!/bin/sh
# Installs the Debian 12 packages kcn needs to build, test, run the demo and
# the benchmarks, when any is missing.  As root it runs apt-get; otherwise it
# says what to install and fails.  "install-deps.sh bench" adds what only
# the benchmarks use: PostGIS, kcn-coverage's peer.
set -e

PKGS="gcc make pkg-config libc6-dev
libgdal-dev gdal-bin libproj-dev proj-bin proj-data libgeos-dev
libjson-c-dev libcairo2-dev libpng-dev libsqlite3-dev zlib1g-dev sqlite3
check libsubunit-dev
mandoc locales time python3-gdal spatialite-bin
nodejs chromium"
[ "${1:-}" = bench ] && PKGS="$PKGS postgresql postgresql-15-postgis-3"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
# npm comes with some builds of nodejs, and apart in Debian's.
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "kcn: missing Debian packages:$missing" >&2
	echo "kcn: install them as root: apt-get install$missing" >&2
	exit 1
fi
echo "kcn: installing missing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >&2
