/*
 * check_buffer.c: buffers are true on the ellipsoid: every vertex of a
 * point's buffer lies at the radius from it, measured geodesically (PROJ's
 * geodesic routines, WGS 84), at any latitude and far from a UTM zone's
 * central meridian.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <geodesic.h>

#include "check_kcn.h"

/*
 * Buffers the points of GEOJSON (a FeatureCollection, written to
 * in.geojson) in CRS by R metres, 16 segments, round; returns the output
 * file (out.geojson).
 */
static const char *
buffer_points(const char *geojson, const char *crs, double r)
{
	struct kcn_buffer_opts o = { 0 };
	const char *in = kt_path("in.geojson"), *out = kt_path("out.geojson");
	FILE *f = fopen(in, "w");

	ck_assert_ptr_nonnull(f);
	fputs(geojson, f);
	fclose(f);
	o.s_srs = crs;
	o.radius = r;
	o.segments = 16;
	o.cap = KCN_CAP_ROUND;
	o.join = KCN_JOIN_ROUND;
	o.mitre_limit = 5;
	o.threads = 1;
	o.out.path = out;
	ck_assert_int_eq(kcn_buffer_run(kt_ctx, in, &o), KCN_OK);
	return out;
}

/*
 * Buffers the points of GEOJSON (a FeatureCollection in CRS EPSG) by R
 * metres and returns the largest relative error of the vertices'
 * geodesic distance to their point.  N gets the number of vertices.
 */
static double
worst_error(const char *geojson, int epsg, double r, int *n)
{
	struct geod_geodesic g;
	char crs[32];
	const char *in = kt_path("in.geojson"), *out;
	GDALDatasetH ds_in, ds;
	OGRLayerH l_in, l;
	OGRFeatureH fi, fo;
	PJ *to_ll, *raw;
	double worst = 0;

	snprintf(crs, sizeof(crs), "EPSG:%d", epsg);
	out = buffer_points(geojson, crs, r);
	geod_init(&g, 6378137, 1 / 298.257223563);
	raw = proj_create_crs_to_crs(kcn_ctx_proj(kt_ctx), crs, "EPSG:4326",
	    NULL);
	to_ll = proj_normalize_for_visualization(kcn_ctx_proj(kt_ctx), raw);
	proj_destroy(raw);
	ck_assert_ptr_nonnull(to_ll);
	ds_in = GDALOpenEx(in, GDAL_OF_VECTOR, NULL, NULL, NULL);
	ds = GDALOpenEx(out, GDAL_OF_VECTOR, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(ds);
	l_in = GDALDatasetGetLayer(ds_in, 0);
	l = GDALDatasetGetLayer(ds, 0);
	*n = 0;
	while ((fi = OGR_L_GetNextFeature(l_in)) != NULL) {
		OGRGeometryH ring;
		PJ_COORD c, v;

		fo = OGR_L_GetNextFeature(l);
		ck_assert_ptr_nonnull(fo);
		c = proj_trans(to_ll, PJ_FWD, proj_coord(OGR_G_GetX(
		    OGR_F_GetGeometryRef(fi), 0), OGR_G_GetY(
		    OGR_F_GetGeometryRef(fi), 0), 0, 0));
		/* MultiPolygon -> Polygon -> its shell. */
		ring = OGR_G_GetGeometryRef(OGR_G_GetGeometryRef(
		    OGR_F_GetGeometryRef(fo), 0), 0);
		for (int i = 0; i < OGR_G_GetPointCount(ring); i++) {
			double d, a1, a2;

			v = proj_trans(to_ll, PJ_FWD, proj_coord(
			    OGR_G_GetX(ring, i), OGR_G_GetY(ring, i), 0, 0));
			geod_inverse(&g, c.xy.y, c.xy.x, v.xy.y, v.xy.x, &d,
			    &a1, &a2);
			worst = fmax(worst, fabs(d - r) / r);
			(*n)++;
		}
		OGR_F_Destroy(fi);
		OGR_F_Destroy(fo);
	}
	proj_destroy(to_ll);
	GDALClose(ds_in);
	GDALClose(ds);
	return worst;
}

#define PT(x, y) "{\"type\":\"Feature\",\"properties\":{},\"geometry\":" \
	"{\"type\":\"Point\",\"coordinates\":[" #x "," #y "]}}"

/* Equator to 80 north, in lon/lat: within 0.1 % of the radius (the
   polygon's vertices lie on the circle, so far less). */
START_TEST(true_at_every_latitude)
{
	int n;
	double e = worst_error("{\"type\":\"FeatureCollection\",\"features\":["
	    PT(108.2, 0) "," PT(108.2, 30) "," PT(108.2, 60) ","
	    PT(-70.1, 80) "," PT(179.99, -45) "]}", 4326, 300, &n);

	ck_assert_int_eq(n, 5 * 65);
	ck_assert_double_lt(e, 1e-3);
	ck_assert_double_lt(e, 1e-5);	/* what it really is */
}
END_TEST

/* In UTM 49N, 5 degrees west of its meridian at 60 N, where UTM's own
   metres are 0.05 % long (and 0.04 % short on the meridian): a buffer
   drawn in the CRS's metres would be off by that much, this one is not. */
START_TEST(true_off_the_zone)
{
	int n;
	double e = worst_error("{\"type\":\"FeatureCollection\",\"features\":["
	    PT(222000, 6660000) "," PT(500000, 1770000) "]}", 32649, 800,
	    &n);

	ck_assert_int_eq(n, 2 * 65);
	ck_assert_double_lt(e, 1e-5);
}
END_TEST

/* In a conformal CRS in metres, buffers are drawn in place with the
   local scale factor while it varies by less than 1e-4 over them, and in
   the azimuthal projection beyond: true either way, at any radius. */
START_TEST(true_in_place_or_not)
{
	static const double radii[] = { 50, 300, 2000, 20000, 100000 };
	int n;

	for (size_t i = 0; i < sizeof(radii) / sizeof(*radii); i++) {
		double e = worst_error("{\"type\":\"FeatureCollection\","
		    "\"features\":[" PT(222000, 6660000) "," PT(780000,
		    1770000) "," PT(500000, 4000000) "]}", 32649, radii[i],
		    &n);

		ck_assert_msg(e < 1e-4, "radius %g m: error %g", radii[i], e);
	}
}
END_TEST

/* The geodesic area of the outer rings of a feature's (multi)polygon. */
static double
geod_area_of(const struct geod_geodesic *g, OGRGeometryH mp, int *parts)
{
	double sum = 0;

	*parts = OGR_G_GetGeometryCount(mp);
	for (int i = 0; i < *parts; i++) {
		OGRGeometryH ring = OGR_G_GetGeometryRef(OGR_G_GetGeometryRef(
		    mp, i), 0);
		int n = OGR_G_GetPointCount(ring) - 1;
		double *lat = malloc(n * sizeof(double)), *lon = malloc(n *
		    sizeof(double)), a, per;

		for (int k = 0; k < n; k++) {
			lon[k] = OGR_G_GetX(ring, k);
			lat[k] = OGR_G_GetY(ring, k);
		}
		geod_polygonarea(g, lat, lon, n, &a, &per);
		sum += fabs(a);
		free(lat);
		free(lon);
	}
	return sum;
}

/* A buffer across the antimeridian, in degrees, comes out in two parts,
   one on each side, with the area of the same buffer elsewhere. */
START_TEST(across_the_antimeridian)
{
	struct geod_geodesic g;
	const char *out;
	GDALDatasetH ds;
	OGRFeatureH a, b;
	double area_a, area_b;
	int np_a, np_b;

	/* Both 0.24 degrees east of the centre of their half-degree cell. */
	out = buffer_points("{\"type\":\"FeatureCollection\",\"features\":["
	    PT(179.99, -16.8) "," PT(100.49, -16.8) "]}", "EPSG:4326", 5000);
	geod_init(&g, 6378137, 1 / 298.257223563);
	ds = GDALOpenEx(out, GDAL_OF_VECTOR, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(ds);
	a = OGR_L_GetNextFeature(GDALDatasetGetLayer(ds, 0));
	b = OGR_L_GetNextFeature(GDALDatasetGetLayer(ds, 0));
	ck_assert_ptr_nonnull(b);
	area_a = geod_area_of(&g, OGR_F_GetGeometryRef(a), &np_a);
	area_b = geod_area_of(&g, OGR_F_GetGeometryRef(b), &np_b);
	ck_assert_int_eq(np_a, 2);
	ck_assert_int_eq(np_b, 1);
	ck_assert_msg(fabs(area_a - area_b) < 1e-7 * area_b, "%.3f m2 across "
	    "the antimeridian, %.3f m2 elsewhere", area_a, area_b);
	OGR_F_Destroy(a);
	OGR_F_Destroy(b);
	GDALClose(ds);
}
END_TEST

/* In Web Mercator, whose edge is the antimeridian, the two parts lie at
   the map's two edges, each of its true size: not one buffer folded
   across the whole map. */
START_TEST(across_the_antimeridian_mercator)
{
	const char *out = buffer_points("{\"type\":\"FeatureCollection\","
	    "\"features\":[" PT(20036395.1, 55660.4) "]}", "EPSG:3857", 5000);
	GDALDatasetH ds = GDALOpenEx(out, GDAL_OF_VECTOR, NULL, NULL, NULL);
	OGRFeatureH f;
	OGRGeometryH g;
	double area;

	ck_assert_ptr_nonnull(ds);
	f = OGR_L_GetNextFeature(GDALDatasetGetLayer(ds, 0));
	ck_assert_ptr_nonnull(f);
	g = OGR_F_GetGeometryRef(f);
	ck_assert_int_eq(OGR_G_GetGeometryCount(g), 2);
	/* A 5 km circle in Mercator's metres at 0.5 degrees. */
	area = OGR_G_Area(g);
	ck_assert_msg(area > 7.8e7 && area < 7.9e7, "area %g", area);
	OGR_F_Destroy(f);
	GDALClose(ds);
}
END_TEST

Suite *
buffer_suite(void)
{
	Suite *s = suite_create("buffer");
	TCase *tc = tcase_create("buffer");

	tcase_add_checked_fixture(tc, kt_setup, kt_teardown);
	tcase_add_test(tc, true_at_every_latitude);
	tcase_add_test(tc, true_off_the_zone);
	tcase_add_test(tc, true_in_place_or_not);
	tcase_add_test(tc, across_the_antimeridian);
	tcase_add_test(tc, across_the_antimeridian_mercator);
	suite_add_tcase(s, tc);
	return s;
}
