/* check_ingest.c: the stream copy through GEOS. */
#include <string.h>
#include <unistd.h>

#include "check_kcn.h"

START_TEST(copy_keeps_all)
{
	struct kcn_ingest_opts o = { 0 };
	GDALDatasetH ds;
	OGRLayerH l;
	OGRFeatureH f;

	kt_make_layer(kt_path("a.gpkg"), "GPKG", 500, 32649);
	o.out.path = kt_path("b.fgb");
	ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("a.gpkg"), &o),
	    KCN_OK);
	ds = GDALOpenEx(kt_path("b.fgb"), GDAL_OF_VECTOR, NULL, NULL, NULL);
	l = GDALDatasetGetLayer(ds, 0);
	ck_assert_int_eq(OGR_L_GetFeatureCount(l, TRUE), 500);
	ck_assert_int_eq(kcn_crs_epsg(OGR_L_GetSpatialRef(l)), 32649);
	/* Order and attributes kept. */
	f = OGR_L_GetNextFeature(l);
	ck_assert_int_eq(OGR_F_GetFieldAsInteger(f, 0), 0);
	ck_assert_str_eq(OGR_F_GetFieldAsString(f, 1), "Hải Châu");
	OGR_F_Destroy(f);
	GDALClose(ds);
}
END_TEST

START_TEST(assign_crs)
{
	struct kcn_ingest_opts o = { 0 };
	GDALDatasetH ds;

	kt_make_layer(kt_path("a.shp"), "ESRI Shapefile", 5, 0);
	o.out.path = kt_path("b.gpkg");
	o.s_srs = "EPSG:3405";
	ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("a.shp"), &o),
	    KCN_OK);
	ds = GDALOpenEx(kt_path("b.gpkg"), GDAL_OF_VECTOR, NULL, NULL, NULL);
	ck_assert_int_eq(kcn_crs_epsg(OGR_L_GetSpatialRef(
	    GDALDatasetGetLayer(ds, 0))), 3405);
	GDALClose(ds);
	o.s_srs = "EPSG:nonsense";
	ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("a.shp"), &o),
	    KCN_ECRS);
}
END_TEST

START_TEST(truncated_leaves_no_output)
{
	struct kcn_ingest_opts o = { 0 };

	kt_make_layer(kt_path("a.fgb"), "FlatGeobuf", 3000, 32649);
	ck_assert_int_eq(truncate(kt_path("a.fgb"), 100000), 0);
	o.out.path = kt_path("b.gpkg");
	ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("a.fgb"), &o),
	    KCN_EDATA);
	ck_assert_int_ne(access(kt_path("b.gpkg"), F_OK), 0);
}
END_TEST

START_TEST(bad_feature_rejected)
{
	struct kcn_ingest_opts o = { 0 };
	FILE *f = fopen(kt_path("a.geojson"), "w");

	/* The second feature's ring is not closed: skipped, counted. */
	fputs("{\"type\":\"FeatureCollection\",\"features\":["
	    "{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":"
	    "\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,0]]]}},"
	    "{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":"
	    "\"LineString\",\"coordinates\":[[0,0]]}}]}", f);
	fclose(f);
	o.out.path = kt_path("b.geojson");
	ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("a.geojson"), &o),
	    KCN_REJECTED);
	ck_assert_int_eq(kt_count(kt_path("b.geojson")), 1);
}
END_TEST

Suite *
ingest_suite(void)
{
	Suite *s = suite_create("ingest");
	TCase *tc = tcase_create("ingest");

	tcase_add_checked_fixture(tc, kt_setup, kt_teardown);
	tcase_add_test(tc, copy_keeps_all);
	tcase_add_test(tc, assign_crs);
	tcase_add_test(tc, truncated_leaves_no_output);
	tcase_add_test(tc, bad_feature_rejected);
	suite_add_tcase(s, tc);
	return s;
}
