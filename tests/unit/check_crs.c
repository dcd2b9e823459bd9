/* check_crs.c: CRS parsing, data-driven CRSs, lon/lat extents. */
#include <math.h>
#include <string.h>

#include <cpl_conv.h>

#include "check_kcn.h"

static int
epsg_of(OGRSpatialReferenceH s)
{
	int e = kcn_crs_epsg(s);

	OSRRelease(s);
	return e;
}

START_TEST(parse_forms)
{
	OGRSpatialReferenceH s;

	ck_assert_int_eq(epsg_of(kcn_crs_parse(kt_ctx, "EPSG:5186", NULL)),
	    5186);
	s = kcn_crs_parse(kt_ctx, "+proj=utm +zone=49 +datum=WGS84 +units=m "
	    "+no_defs +type=crs", NULL);
	ck_assert_ptr_nonnull(s);
	ck_assert(OSRIsProjected(s));
	OSRRelease(s);
	/* WKT round trip. */
	s = kcn_crs_parse(kt_ctx, "EPSG:3405", NULL);
	{
		char *wkt = NULL;

		OSRExportToWkt(s, &wkt);
		OSRRelease(s);
		ck_assert_int_eq(epsg_of(kcn_crs_parse(kt_ctx, wkt, NULL)),
		    3405);
		CPLFree(wkt);
	}
}
END_TEST

START_TEST(parse_errors)
{
	ck_assert_ptr_null(kcn_crs_parse(kt_ctx, "EPSG:999999", NULL));
	ck_assert_int_eq(kcn_ctx_status(kt_ctx), KCN_ECRS);
	ck_assert_ptr_null(kcn_crs_parse(kt_ctx, "", NULL));
	ck_assert_ptr_null(kcn_crs_parse(kt_ctx, "utm", NULL));
	ck_assert_ptr_nonnull(strstr(kcn_ctx_errmsg(kt_ctx), "extent"));
}
END_TEST

START_TEST(lon_first)
{
	/* EPSG:4326 is lat-first by definition; kcn always gives lon first. */
	OGRSpatialReferenceH s = kcn_crs_parse(kt_ctx, "EPSG:4326", NULL);
	OGRSpatialReferenceH u = kcn_crs_parse(kt_ctx, "EPSG:32652", NULL);
	OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(s, u);
	double x = 127.0, y = 37.5;

	ck_assert(OCTTransform(ct, 1, &x, &y, NULL));
	ck_assert_double_eq_tol(x, 323210.469, 0.01);
	ck_assert_double_eq_tol(y, 4152220.146, 0.01);
	OCTDestroyCoordinateTransformation(ct);
	OSRRelease(s);
	OSRRelease(u);
}
END_TEST

static const struct {
	double ll[4];
	const char *name;
	int epsg;	/* 0: a LAEA */
} utm_cases[] = {
	{ { 108.15, 16.0, 108.25, 16.1 }, "utm", 32649 },	/* Da Nang */
	{ { 126.9, 37.4, 127.1, 37.6 }, "utm", 32652 },	/* Seoul */
	{ { -43.3, -23.0, -43.1, -22.8 }, "utm", 32723 },	/* Rio, south */
	{ { 106.7, -6.3, 106.9, -6.1 }, "utm", 32748 },	/* Jakarta */
	{ { 179.8, -17.0, -179.9, -16.8 }, "utm", 32760 },	/* Fiji */
	{ { 108.15, 16.0, 108.25, 16.1 }, "local", 32649 },
	{ { 100.0, 10.0, 110.0, 20.0 }, "local", 0 },	/* two zones */
	{ { 10.0, 85.0, 20.0, 87.0 }, "local", 0 },	/* polar */
	{ { 108.15, 16.0, 108.25, 16.1 }, "laea", 0 },
};

START_TEST(data_driven)
{
	OGRSpatialReferenceH s = kcn_crs_parse(kt_ctx, utm_cases[_i].name,
	    utm_cases[_i].ll);
	char *proj4 = NULL;

	ck_assert_ptr_nonnull(s);
	if (utm_cases[_i].epsg) {
		ck_assert_int_eq(kcn_crs_epsg(s), utm_cases[_i].epsg);
	} else {
		OSRExportToProj4(s, &proj4);
		ck_assert_ptr_nonnull(strstr(proj4, "+proj=laea"));
		CPLFree(proj4);
	}
	OSRRelease(s);
}
END_TEST

START_TEST(utm_zone)
{
	ck_assert_int_eq(kcn_utm_zone(-180.0), 1);
	ck_assert_int_eq(kcn_utm_zone(-177.0), 1);
	ck_assert_int_eq(kcn_utm_zone(0.0), 31);
	ck_assert_int_eq(kcn_utm_zone(108.2), 49);
	ck_assert_int_eq(kcn_utm_zone(127.0), 52);
	ck_assert_int_eq(kcn_utm_zone(179.99), 60);
	ck_assert_int_eq(kcn_utm_zone(180.0), 1);
}
END_TEST

START_TEST(extent_lonlat)
{
	OGRSpatialReferenceH s = kcn_crs_parse(kt_ctx, "EPSG:32652", NULL);
	double e[4] = { 300000, 4100000, 350000, 4200000 }, ll[4];

	ck_assert_int_eq(kcn_extent_lonlat(kt_ctx, s, e, ll), KCN_OK);
	/* The edges bulge: the west edge's extreme is not at a corner. */
	ck_assert(ll[0] < 126.75 && ll[0] > 126.7);
	ck_assert(ll[1] > 37.0 && ll[1] < 37.1);
	ck_assert(ll[2] > 127.3 && ll[2] < 127.33);
	ck_assert(ll[3] > 37.9 && ll[3] < 37.95);
	OSRRelease(s);
	ck_assert_int_eq(kcn_extent_lonlat(kt_ctx, NULL, e, ll), KCN_ECRS);
}
END_TEST

START_TEST(label)
{
	OGRSpatialReferenceH s = kcn_crs_parse(kt_ctx, "EPSG:3406", NULL);
	char *l = kcn_crs_label(s);

	ck_assert_str_eq(l, "VN-2000 / UTM zone 49N (EPSG:3406)");
	kcn_free(l);
	OSRRelease(s);
	l = kcn_crs_label(NULL);
	ck_assert_str_eq(l, "none");
	kcn_free(l);
}
END_TEST

START_TEST(suggest)
{
	/* The sample wards' VN-2000 coordinates, and where the other layers
	   of that delivery lie. */
	double native[4] = { 195982.671, 1773689.134, 203278.552,
	    1780578.783 };
	double ref[4] = { 108.1602726, 16.0234251, 108.2286048, 16.0861338 };
	struct kcn_crs_guess g[3];
	int n = kcn_crs_suggest(kt_ctx, native, ref, g, 3);

	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(g[0].epsg, 3406);
	ck_assert(g[0].score >= g[1].score && g[1].score >= g[2].score);
	ck_assert(g[0].score > 0.9);
	/* Far from anything: nothing fits. */
	ref[0] = -70, ref[1] = -40, ref[2] = -69.9, ref[3] = -39.9;
	ck_assert_int_eq(kcn_crs_suggest(kt_ctx, native, ref, g, 3), 0);
}
END_TEST

Suite *
crs_suite(void)
{
	Suite *s = suite_create("crs");
	TCase *tc = tcase_create("crs");

	tcase_add_checked_fixture(tc, kt_setup, kt_teardown);
	tcase_add_test(tc, parse_forms);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, lon_first);
	tcase_add_loop_test(tc, data_driven, 0,
	    sizeof(utm_cases) / sizeof(utm_cases[0]));
	tcase_add_test(tc, utm_zone);
	tcase_add_test(tc, extent_lonlat);
	tcase_add_test(tc, label);
	tcase_add_test(tc, suggest);
	suite_add_tcase(s, tc);
	return s;
}
