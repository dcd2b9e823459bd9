/*
 * check_transform.c: choosing one coordinate operation and applying it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_kcn.h"
#include "kcn_internal.h"

static OGRSpatialReferenceH
crs(const char *text)
{
	OGRSpatialReferenceH s = kcn_crs_parse(kt_ctx, text, NULL);

	ck_assert_ptr_nonnull(s);
	return s;
}

static struct kcn_transform *
make(const char *from, const char *to, const double area[4], int ballpark)
{
	OGRSpatialReferenceH a = crs(from), b = crs(to);
	struct kcn_transform *t = kcn_transform_new(kt_ctx, a, b, area,
	    ballpark);

	OSRRelease(a);
	OSRRelease(b);
	return t;
}

/* VN-2000 / UTM 49N to WGS 84 over Da Nang: the 7-parameter shift. */
START_TEST(vn2000_operation)
{
	double area[4] = { 108.0, 15.9, 108.4, 16.2 };
	struct kcn_transform *t = make("EPSG:3406", "EPSG:4326", area, 0);
	const struct kcn_op_info *in;
	OGRGeometryH g;

	ck_assert_ptr_nonnull(t);
	in = kcn_transform_info(t);
	ck_assert_ptr_nonnull(strstr(in->name, "VN-2000 to WGS 84"));
	ck_assert_double_eq_tol(in->accuracy, 1.0, 1e-9);
	ck_assert_int_eq(in->ballpark, 0);
	ck_assert_int_eq(in->exact, 0);
	/* The control point of cs2cs -d 9 EPSG:3406 EPSG:4326. */
	OGR_G_CreateFromWkt((char *[]){ "POINT (190000 1777000)" }, NULL, &g);
	ck_assert_int_eq(kcn_transform_geom(kt_ctx, t, g), KCN_OK);
	ck_assert_double_eq_tol(OGR_G_GetX(g, 0), 108.104680913, 1e-8);
	ck_assert_double_eq_tol(OGR_G_GetY(g, 0), 16.052279039, 1e-8);
	OGR_G_DestroyGeometry(g);
	kcn_transform_free(t);
}
END_TEST

/* UTM to its own datum's lon/lat: conversions only, exact. */
START_TEST(conversion_exact)
{
	struct kcn_transform *t = make("EPSG:32652", "EPSG:4326", NULL, 0);

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(kcn_transform_info(t)->exact, 1);
	ck_assert_double_eq(kcn_transform_info(t)->accuracy, 0);
	kcn_transform_free(t);
}
END_TEST

/* No datum: refused unless allowed, and then said to be ballpark. */
START_TEST(ballpark_refused)
{
	const char *nd = "+proj=utm +zone=49 +ellps=WGS84 +units=m";
	struct kcn_transform *t = make(nd, "EPSG:4326", NULL, 0);

	ck_assert_ptr_null(t);
	ck_assert_int_eq(kcn_ctx_status(kt_ctx), KCN_ECRS);
	ck_assert_ptr_nonnull(strstr(kcn_ctx_errmsg(kt_ctx), "ballpark"));
	kcn_ctx_clear(kt_ctx);
	t = make(nd, "EPSG:4326", NULL, 1);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(kcn_transform_info(t)->ballpark, 1);
	kcn_transform_free(t);
}
END_TEST

/* A better operation whose grid is missing is named. */
START_TEST(missing_grid_named)
{
	double area[4] = { -98.5, 38.5, -97, 39 };
	struct kcn_transform *t = make("EPSG:4267", "EPSG:4269", area, 0);

	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(strstr(kcn_transform_info(t)->missing,
	    "us_noaa_conus"));
	ck_assert_double_lt(kcn_transform_info(t)->better_accuracy,
	    kcn_transform_info(t)->accuracy);
	kcn_transform_free(t);
}
END_TEST

/* Out of the grid's domain: rejected, naming the point; clones agree. */
START_TEST(outside_domain)
{
	double area[4] = { 150, -42, 175, -20 };
	struct kcn_transform *t = make("EPSG:4272", "EPSG:4167", area, 0);
	struct kcn_ctx *other = kcn_ctx_new();
	struct kcn_transform *c;
	OGRGeometryH g, h;

	ck_assert_ptr_nonnull(t);
	c = kcn_transform_clone(other, t);
	ck_assert_ptr_nonnull(c);
	OGR_G_CreateFromWkt((char *[]){ "LINESTRING (174.8 -41.3,150 -20)" },
	    NULL, &g);
	ck_assert_int_eq(kcn_transform_geom(kt_ctx, t, g), KCN_REJECTED);
	ck_assert_ptr_nonnull(strstr(kcn_ctx_errmsg(kt_ctx), "point 2"));
	OGR_G_DestroyGeometry(g);
	OGR_G_CreateFromWkt((char *[]){ "POINT (174.8 -41.3)" }, NULL, &g);
	OGR_G_CreateFromWkt((char *[]){ "POINT (174.8 -41.3)" }, NULL, &h);
	ck_assert_int_eq(kcn_transform_geom(kt_ctx, t, g), KCN_OK);
	ck_assert_int_eq(kcn_transform_geom(other, c, h), KCN_OK);
	ck_assert_double_eq(OGR_G_GetX(g, 0), OGR_G_GetX(h, 0));
	ck_assert_double_eq(OGR_G_GetY(g, 0), OGR_G_GetY(h, 0));
	ck_assert(isfinite(OGR_G_GetY(g, 0)));
	OGR_G_DestroyGeometry(g);
	OGR_G_DestroyGeometry(h);
	kcn_transform_free(c);
	kcn_transform_free(t);
	kcn_ctx_free(other);
}
END_TEST

/* Points X, Y [0..N) spread over EXT by a fixed pseudo-random walk. */
static void
spread(const double ext[4], double *x, double *y, int n)
{
	unsigned long long v = 12345;

	for (int i = 0; i < n; i++) {
		v = v * 6364136223846793005ull + 1442695040888963407ull;
		x[i] = ext[0] + (ext[2] - ext[0]) * (double)(v >> 11) * 0x1p-53;
		v = v * 6364136223846793005ull + 1442695040888963407ull;
		y[i] = ext[1] + (ext[3] - ext[1]) * (double)(v >> 11) * 0x1p-53;
	}
}

/*
 * UTM to lon/lat interpolated on a grid: within its tolerance of PROJ
 * over a city and beyond its extent; with a tolerance nothing meets,
 * PROJ's own numbers.  A closed ring stays closed.
 */
START_TEST(approx_within_tolerance)
{
	struct kcn_transform *t = make("EPSG:32652", "EPSG:4326", NULL, 0);
	double ext[4] = { 300000, 4140000, 330000, 4170000 };
	double wide[4] = { 280000, 4120000, 350000, 4190000 };
	double tol = 360 / 65536.0 / 256 / 1000, worst = 0;
	enum { N = 20000 };
	static double x[N], y[N];
	struct kcni_approx *a;
	OGRGeometryH g, h, r;

	ck_assert_ptr_nonnull(t);
	spread(wide, x, y, N);
	for (int pass = 0; pass < 2; pass++) {
		a = kcni_approx_new(kcni_transform_pj(t), ext, 256,
		    pass ? 1e-300 : tol);
		ck_assert_ptr_nonnull(a);
		g = OGR_G_CreateGeometry(wkbLineString);
		h = OGR_G_CreateGeometry(wkbLineString);
		OGR_G_SetPoints(g, N, x, sizeof(double), y, sizeof(double),
		    NULL, 0);
		OGR_G_SetPoints(h, N, x, sizeof(double), y, sizeof(double),
		    NULL, 0);
		ck_assert_int_eq(kcni_approx_geom(kt_ctx, a, "UTM", g), KCN_OK);
		ck_assert_int_eq(kcn_transform_geom(kt_ctx, t, h), KCN_OK);
		for (int i = 0; i < N; i++) {
			double dx = fabs(OGR_G_GetX(g, i) - OGR_G_GetX(h, i));
			double dy = fabs(OGR_G_GetY(g, i) - OGR_G_GetY(h, i));

			if (pass) {
				ck_assert(dx == 0 && dy == 0);
				continue;
			}
			ck_assert_double_le(dx, tol);
			ck_assert_double_le(dy, tol);
			worst = fmax(worst, fmax(dx, dy));
		}
		OGR_G_DestroyGeometry(g);
		OGR_G_DestroyGeometry(h);
		kcni_approx_free(a);
	}
	/* Interpolated, not PROJ's: the test would pass with PROJ alone
	   otherwise. */
	ck_assert_double_gt(worst, 0);
	a = kcni_approx_new(kcni_transform_pj(t), ext, 256, tol);
	OGR_G_CreateFromWkt((char *[]){ "POLYGON ((310000.3 4150000.7,"
	    "310011 4150002,310010 4150013,310000.3 4150000.7))" }, NULL, &g);
	ck_assert_int_eq(kcni_approx_geom(kt_ctx, a, "UTM", g), KCN_OK);
	r = OGR_G_GetGeometryRef(g, 0);
	ck_assert_double_eq(OGR_G_GetX(r, 0), OGR_G_GetX(r, 3));
	ck_assert_double_eq(OGR_G_GetY(r, 0), OGR_G_GetY(r, 3));
	ck_assert_double_gt(OGR_G_GetX(r, 0), 126);
	OGR_G_DestroyGeometry(g);
	kcni_approx_free(a);
	kcn_transform_free(t);
}
END_TEST

/* Unknown CRS strings: the closest is suggested. */
START_TEST(closest_crs)
{
	ck_assert_ptr_null(kcn_crs_parse(kt_ctx, "utm49s", NULL));
	ck_assert_ptr_nonnull(strstr(kcn_ctx_errmsg(kt_ctx), "EPSG:32749"));
	ck_assert_ptr_null(kcn_crs_parse(kt_ctx, "EPSG:3406x", NULL));
	ck_assert_ptr_nonnull(strstr(kcn_ctx_errmsg(kt_ctx), "EPSG:3406"));
}
END_TEST

Suite *
transform_suite(void)
{
	Suite *s = suite_create("transform");
	TCase *tc = tcase_create("transform");

	tcase_add_checked_fixture(tc, kt_setup, kt_teardown);
	tcase_add_test(tc, vn2000_operation);
	tcase_add_test(tc, conversion_exact);
	tcase_add_test(tc, ballpark_refused);
	tcase_add_test(tc, missing_grid_named);
	tcase_add_test(tc, outside_domain);
	tcase_add_test(tc, approx_within_tolerance);
	tcase_add_test(tc, closest_crs);
	suite_add_tcase(s, tc);
	return s;
}
