-- bench-coverage.sql: what kcn-coverage computes, in PostGIS, for the
-- coverage case of scripts/bench.sh.  bench.sh loads the city into a
-- throw-away cluster first (outside the timing) and times this script
-- alone, run by psql with these variables:
--
--   pts   the table of points to serve (points or sites)
--   cat   the category's name, r its radius (metres), seg the segments
--         per quarter circle
--   out   the CSV file to write
--   crsout  a file for the LAEA's PROJ string
--
-- Tables loaded: districts (the zones: dist_id, name), buildings, roads,
-- the points, and pop_cells: one row per cell of pop.tif holding data,
-- its value v and its square in the raster's CRS (EPSG:32652).
--
-- The computation follows kcn-coverage: everything in the Lambert
-- azimuthal equal-area projection centred on the zones' lon/lat extent
-- (rounded to 4 decimals); a point's service area is a circle of r metres
-- on the ellipsoid, drawn with seg segments per quarter circle as
-- kcn-coverage draws it (below); covered = zone ∩ union of the
-- circles, redundant = zone ∩ the area under two circles or more;
-- population = raster cells weighted by the exact share of each cell
-- inside; buildings counted by centroid; road lengths geodesic.  One CSV
-- row per zone, in input order, then TOTAL, the sums over the zones (they
-- partition the city, so the sums are the values of their union).

\set ON_ERROR_STOP on
SET client_min_messages = warning;
-- The heavy work is one function call per tile and per zone; these let
-- PostgreSQL share them out to parallel workers, however few rows there
-- are.
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET jit = off;

SELECT format('+proj=laea +lat_0=%s +lon_0=%s +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs',
    round(((ST_YMin(e) + ST_YMax(e)) / 2)::numeric, 4),
    round(((ST_XMin(e) + ST_XMax(e)) / 2)::numeric, 4)) AS crs
    FROM (SELECT ST_Extent(ST_Transform(geom, 4326)) AS e FROM districts) s \gset
DELETE FROM spatial_ref_sys WHERE srid = 990000;
INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, proj4text)
    VALUES (990000, 'kcn', 990000, :'crs');

DROP TABLE IF EXISTS cov_zones, cov_areas, cov_tiles, cov_tile_ur, cov_blds,
    cov_roads, cov_cells, cov_result;

-- Zones, few to a page (fillfactor) so that the parallel scan of the
-- per-zone step hands them out to the workers evenly.  Their edges are
-- straight in UTM, not in the LAEA: a vertex every 10 m first, as
-- kcn-coverage does (over 100 m the two part by a tenth of a millimetre).
CREATE UNLOGGED TABLE cov_zones WITH (fillfactor = 10) AS
    SELECT fid AS ord, dist_id::text AS zone_id, name AS zone_name,
        ST_Transform(ST_Segmentize(geom, 10), 990000) AS geom
    FROM districts;
-- Service areas, drawn as kcn-coverage draws them: the circle of radius 1
-- with seg segments per quarter (GEOS's buffer of a point) mapped into
-- the LAEA by the affine map of the projection at the point, from where
-- the geodesics north, east, south and west of it end at r metres
-- (central differences).  Each area has the 1 km tile of the LAEA that
-- holds its centre: the circles are merged tile by tile, each once (zone
-- by zone, a circle would be merged again for every zone it meets).
CREATE UNLOGGED TABLE cov_areas AS
    SELECT floor(ST_X(c) / 1000)::int AS tx, floor(ST_Y(c) / 1000)::int AS ty,
        ST_Affine(ST_SetSRID(ST_Buffer('POINT(0 0)'::geometry, 1, :seg), 990000),
            (ST_X(e) - ST_X(w)) / 2, (ST_X(n) - ST_X(s)) / 2,
            (ST_Y(e) - ST_Y(w)) / 2, (ST_Y(n) - ST_Y(s)) / 2,
            ST_X(c), ST_Y(c)) AS geom
    FROM (SELECT ST_Transform(ll, 990000) AS c,
            ST_Transform(ST_Project(ll::geography, :r, 0)::geometry, 990000) AS n,
            ST_Transform(ST_Project(ll::geography, :r, pi() / 2)::geometry,
                990000) AS e,
            ST_Transform(ST_Project(ll::geography, :r, pi())::geometry, 990000) AS s,
            ST_Transform(ST_Project(ll::geography, :r, 3 * pi() / 2)::geometry,
                990000) AS w
        FROM (SELECT ST_Transform(geom, 4326) AS ll FROM :pts) p) q;
CREATE UNLOGGED TABLE cov_blds AS
    SELECT ST_Transform(ST_Centroid(geom), 990000) AS geom FROM buildings;
CREATE UNLOGGED TABLE cov_roads AS
    SELECT ST_Transform(geom, 990000) AS geom FROM roads;
CREATE UNLOGGED TABLE cov_cells AS
    SELECT v, ST_Transform(ST_Segmentize(geom, 10), 990000) AS geom
    FROM pop_cells;
CREATE INDEX ON cov_areas (tx, ty);
CREATE INDEX ON cov_blds USING gist (geom);
CREATE INDEX ON cov_roads USING gist (geom);
CREATE INDEX ON cov_cells USING gist (geom);
ANALYZE cov_zones;
ANALYZE cov_areas;
ANALYZE cov_blds;
ANALYZE cov_roads;
ANALYZE cov_cells;

-- The union u and the area covered twice or more r of sets of polygons,
-- set i being us[i] with rs[i] (NULL: none) covered twice: neighbours (in
-- the order given) are merged level by level, two sets at a time, with
-- u = u1 ∪ u2 and r = r1 ∪ r2 ∪ (u1 ∩ u2).
CREATE OR REPLACE FUNCTION cov_union2(us geometry[], rs geometry[],
    OUT u geometry, OUT r geometry)
AS $$
DECLARE
    n int := cardinality(us);
    m int;
    x geometry;
BEGIN
    IF n IS NULL OR n = 0 THEN
        RETURN;
    END IF;
    WHILE n > 1 LOOP
        m := 0;
        FOR i IN 1..n BY 2 LOOP
            m := m + 1;
            IF i = n THEN
                us[m] := us[i];
                rs[m] := rs[i];
                CONTINUE;
            END IF;
            -- Polygons only: two areas that touch meet in a line.
            x := ST_CollectionExtract(ST_Intersection(us[i], us[i + 1]), 3);
            IF rs[i] IS NOT NULL THEN
                x := ST_Union(x, rs[i]);
            END IF;
            IF rs[i + 1] IS NOT NULL THEN
                x := ST_Union(x, rs[i + 1]);
            END IF;
            us[m] := ST_Union(us[i], us[i + 1]);
            rs[m] := x;
        END LOOP;
        n := m;
    END LOOP;
    u := us[1];
    r := rs[1];
END
$$ LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE;

-- One tile: the union of its service areas, and the area under two or
-- more of them.
CREATE OR REPLACE FUNCTION cov_tile(x int, y int, OUT u geometry, OUT r geometry)
AS $$
    SELECT t.u, t.r
    FROM (SELECT array_agg(geom ORDER BY geom) AS us,
            array_fill(NULL::geometry, ARRAY[count(*)::int]) AS rs
        FROM cov_areas WHERE tx = x AND ty = y) s,
        LATERAL cov_union2(s.us, s.rs) t
$$ LANGUAGE sql STABLE STRICT PARALLEL SAFE COST 1000000;

CREATE UNLOGGED TABLE cov_tiles WITH (fillfactor = 10) AS
    SELECT DISTINCT tx, ty FROM cov_areas;
ANALYZE cov_tiles;
-- OFFSET 0 keeps the call in the subquery: one call per tile, in the
-- parallel workers (expanding (cov_tile(...)).* would call it once per
-- column).
CREATE UNLOGGED TABLE cov_tile_ur AS
    SELECT (s).u, (s).r
    FROM (SELECT cov_tile(tx, ty) AS s FROM cov_tiles OFFSET 0) q;
CREATE INDEX ON cov_tile_ur USING gist (u);
ANALYZE cov_tile_ur;

-- Length in metres on the ellipsoid of a line in the LAEA.
CREATE OR REPLACE FUNCTION cov_geolen(g geometry) RETURNS float8
AS $$
    SELECT ST_Length(ST_Transform(g, 4326)::geography)
$$ LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE;

-- Every number of one zone's row.
CREATE OR REPLACE FUNCTION cov_zone(z geometry,
    OUT zone_m2 float8, OUT covered_m2 float8, OUT redundant_m2 float8,
    OUT pop float8, OUT pop_covered float8, OUT pop_unknown_m2 float8,
    OUT blds_n bigint, OUT blds_covered bigint,
    OUT roads_m float8, OUT roads_covered_m float8)
AS $$
DECLARE
    c geometry;
    r geometry;
    cells_m2 float8;
BEGIN
    zone_m2 := ST_Area(z);
    -- The tiles whose service areas meet the zone, cut to the zone, and
    -- merged as the tiles were.
    SELECT m.u, m.r INTO c, r
        FROM (SELECT array_agg(ST_CollectionExtract(ST_Intersection(t.u, z), 3)) AS us,
                array_agg(ST_CollectionExtract(ST_Intersection(t.r, z), 3)) AS rs
            FROM cov_tile_ur t WHERE ST_Intersects(t.u, z)) s,
            LATERAL cov_union2(s.us, s.rs) m;
    c := COALESCE(c, 'SRID=990000;POLYGON EMPTY'::geometry);
    r := COALESCE(r, 'SRID=990000;POLYGON EMPTY'::geometry);
    covered_m2 := ST_Area(c);
    redundant_m2 := ST_Area(r);
    -- Each cell weighted by the exact share of its area inside.
    SELECT COALESCE(sum(v * in_z / cell), 0), COALESCE(sum(v * in_c / cell), 0),
            COALESCE(sum(in_z), 0)
        INTO pop, pop_covered, cells_m2
        FROM (SELECT p.v, ST_Area(p.geom) AS cell,
                ST_Area(CASE WHEN ST_CoveredBy(p.geom, z) THEN p.geom
                    ELSE ST_Intersection(p.geom, z) END) AS in_z,
                ST_Area(CASE WHEN ST_CoveredBy(p.geom, c) THEN p.geom
                    ELSE ST_Intersection(p.geom, c) END) AS in_c
            FROM cov_cells p WHERE ST_Intersects(p.geom, z)) s;
    pop_unknown_m2 := greatest(zone_m2 - cells_m2, 0);
    SELECT count(*), count(*) FILTER (WHERE ST_Intersects(b.geom, c))
        INTO blds_n, blds_covered
        FROM cov_blds b WHERE ST_Intersects(b.geom, z);
    SELECT COALESCE(sum(cov_geolen(CASE WHEN ST_CoveredBy(l.geom, z) THEN l.geom
                ELSE ST_Intersection(l.geom, z) END)), 0),
            COALESCE(sum(cov_geolen(CASE WHEN ST_CoveredBy(l.geom, c) THEN l.geom
                ELSE ST_Intersection(l.geom, c) END)), 0)
        INTO roads_m, roads_covered_m
        FROM cov_roads l WHERE ST_Intersects(l.geom, z);
END
$$ LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE COST 1000000;

CREATE UNLOGGED TABLE cov_result AS
    SELECT ord, zone_id, zone_name, (s).*
    FROM (SELECT ord, zone_id, zone_name, cov_zone(geom) AS s
        FROM cov_zones OFFSET 0) q;

\o :crsout
\qecho :crs
\o :out
COPY (
    WITH rows AS (
        SELECT 0 AS k, ord, zone_id, zone_name, zone_m2, covered_m2,
            redundant_m2, pop, pop_covered, pop_unknown_m2, blds_n,
            blds_covered, roads_m, roads_covered_m
        FROM cov_result
        UNION ALL
        SELECT 1, 0, 'TOTAL', '', sum(zone_m2), sum(covered_m2),
            sum(redundant_m2), sum(pop), sum(pop_covered),
            sum(pop_unknown_m2), sum(blds_n), sum(blds_covered),
            sum(roads_m), sum(roads_covered_m)
        FROM cov_result)
    SELECT zone_id, zone_name, :'cat' AS category, :r AS radius_m,
        :seg AS segments, zone_m2, covered_m2,
        covered_m2 / nullif(zone_m2, 0) AS covered_share, redundant_m2,
        pop, pop_covered, pop_covered / nullif(pop, 0) AS pop_covered_share,
        pop_unknown_m2,
        blds_n AS buildings_n, blds_covered AS buildings_covered,
        blds_covered::float8 / nullif(blds_n, 0) AS buildings_covered_share,
        roads_m, roads_covered_m AS roads_covered_m,
        roads_covered_m / nullif(roads_m, 0) AS roads_covered_share
    FROM rows ORDER BY k, ord
) TO STDOUT WITH (FORMAT csv, HEADER);
\o
