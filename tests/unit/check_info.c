/* check_info.c: kcn_info_run in-process, text and JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "check_kcn.h"

/* Runs kcn_info_run into memory; returns the output (free()). */
static char *
info(const char *path, int json, int check, enum kcn_status *st)
{
	struct kcn_info_opts o = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	o.json = json;
	o.check = check;
	*st = kcn_info_run(kt_ctx, path, &o, f);
	fclose(f);
	return buf;
}

static json_object *
get(json_object *o, const char *path)
{
	char key[64];
	const char *p = path, *dot;

	while (o != NULL && *p) {
		dot = strchr(p, '.');
		snprintf(key, sizeof(key), "%.*s", dot ? (int)(dot - p) :
		    (int)strlen(p), p);
		if (key[0] >= '0' && key[0] <= '9')
			o = json_object_array_get_idx(o, atoi(key));
		else if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		p = dot ? dot + 1 : p + strlen(p);
	}
	return o;
}

START_TEST(json_gpkg)
{
	enum kcn_status st;
	char *out;
	json_object *j;

	kt_make_layer(kt_path("a.gpkg"), "GPKG", 20, 32649);
	out = info(kt_path("a.gpkg"), 1, 0, &st);
	ck_assert_int_eq(st, KCN_OK);
	j = json_tokener_parse(out);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_object_get_string(get(j, "driver")), "GPKG");
	ck_assert_int_eq(json_object_get_int(get(j,
	    "layers.0.feature_count")), 20);
	ck_assert_int_eq(json_object_get_int(get(j, "layers.0.crs.epsg")),
	    32649);
	ck_assert_str_eq(json_object_get_string(get(j,
	    "layers.0.crs.units")), "metre");
	ck_assert_double_eq_tol(json_object_get_double(get(j,
	    "layers.0.extent.2")), 500195.0, 1e-6);
	/* 500000 m in zone 49 is its central meridian, 111 E. */
	ck_assert_double_eq_tol(json_object_get_double(get(j,
	    "layers.0.extent_lonlat.0")), 111.0, 1e-6);
	ck_assert_str_eq(json_object_get_string(get(j,
	    "layers.0.fields.1.name")), "name");
	ck_assert_str_eq(json_object_get_string(get(j,
	    "layers.0.encoding.name")), "UTF-8");
	json_object_put(j);
	free(out);
}
END_TEST

START_TEST(shapefile_without_prj)
{
	enum kcn_status st;
	char *out;

	kt_make_layer(kt_path("w.shp"), "ESRI Shapefile", 3, 0);
	remove(kt_path("w.cpg"));
	out = info(kt_path("w.shp"), 0, 0, &st);
	ck_assert_int_eq(st, KCN_OK);
	ck_assert_ptr_nonnull(strstr(out, "crs: none"));
	ck_assert_ptr_nonnull(strstr(out,
	    "no CRS (no .prj): assign one with kcn-ingest -s"));
	ck_assert_ptr_nonnull(strstr(out, "features: 3"));
	free(out);
}
END_TEST

START_TEST(check_counts)
{
	GDALDriverH drv = GDALGetDriverByName("GPKG");
	GDALDatasetH ds;
	OGRLayerH l;
	static const char *wkt[] = {
		"POLYGON ((0 0,10 10,10 0,0 10,0 0))",	/* bowtie */
		"POLYGON EMPTY",
		"POLYGON ((0 0,1 0,1 1,0 1,0 0))",
		NULL,
	};
	enum kcn_status st;
	char *out;
	json_object *j;

	ds = GDALCreate(drv, kt_path("g.gpkg"), 0, 0, 0, GDT_Unknown, NULL);
	l = GDALDatasetCreateLayer(ds, "g", NULL, wkbPolygon, NULL);
	for (int i = 0; i < 4; i++) {
		OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
		OGRGeometryH g = NULL;
		char *p = (char *)wkt[i];

		if (p != NULL) {
			OGR_G_CreateFromWkt(&p, NULL, &g);
			OGR_F_SetGeometryDirectly(f, g);
		}
		ck_assert_int_eq(OGR_L_CreateFeature(l, f), OGRERR_NONE);
		OGR_F_Destroy(f);
	}
	GDALClose(ds);
	out = info(kt_path("g.gpkg"), 1, 1, &st);
	ck_assert_int_eq(st, KCN_OK);
	j = json_tokener_parse(out);
	ck_assert_int_eq(json_object_get_int(get(j, "layers.0.check.invalid")),
	    1);
	ck_assert_int_eq(json_object_get_int(get(j, "layers.0.check.empty")),
	    1);
	ck_assert_int_eq(json_object_get_int(get(j, "layers.0.check.null")),
	    1);
	ck_assert_int_eq(json_object_get_int(get(j,
	    "layers.0.check.features_read")), 4);
	ck_assert_ptr_nonnull(strstr(json_object_get_string(get(j,
	    "layers.0.check.invalid_examples.0.reason")), "intersection"));
	json_object_put(j);
	free(out);
}
END_TEST

START_TEST(missing_file_json)
{
	enum kcn_status st;
	char *out = info(kt_path("none.fgb"), 1, 0, &st);
	json_object *j = json_tokener_parse(out);

	ck_assert_int_eq(st, KCN_ENOINPUT);
	ck_assert_int_eq(json_object_get_int(get(j, "error.status")), 66);
	json_object_put(j);
	free(out);
}
END_TEST

START_TEST(raster)
{
	GDALDriverH drv = GDALGetDriverByName("GTiff");
	GDALDatasetH ds = GDALCreate(drv, kt_path("r.tif"), 4, 3, 1,
	    GDT_Float32, NULL);
	double gt[6] = { 500000, 100, 0, 1800000, 0, -100 };
	float v[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -9999 };
	OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
	enum kcn_status st;
	char *out;
	json_object *j;

	OSRImportFromEPSG(srs, 32649);
	GDALSetSpatialRef(ds, srs);
	OSRRelease(srs);
	GDALSetGeoTransform(ds, gt);
	GDALSetRasterNoDataValue(GDALGetRasterBand(ds, 1), -9999);
	ck_assert_int_eq(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Write, 0, 0,
	    4, 3, v, 4, 3, GDT_Float32, 0, 0), CE_None);
	GDALClose(ds);
	out = info(kt_path("r.tif"), 1, 1, &st);
	ck_assert_int_eq(st, KCN_OK);
	j = json_tokener_parse(out);
	ck_assert_str_eq(json_object_get_string(get(j, "kind")), "raster");
	ck_assert_double_eq_tol(json_object_get_double(get(j,
	    "raster.bands.0.sum")), 66.0, 1e-9);
	ck_assert_int_eq(json_object_get_int(get(j,
	    "raster.bands.0.nodata_cells")), 1);
	ck_assert_double_eq_tol(json_object_get_double(get(j,
	    "raster.pixel_size.0")), 100.0, 1e-9);
	json_object_put(j);
	free(out);
	/* Statistics leave no .aux.xml beside the input. */
	out = info(kt_path("r.tif"), 0, 0, &st);
	free(out);
	ck_assert_int_ne(access(kt_path("r.tif.aux.xml"), F_OK), 0);
}
END_TEST

Suite *
info_suite(void)
{
	Suite *s = suite_create("info");
	TCase *tc = tcase_create("info");

	tcase_add_checked_fixture(tc, kt_setup, kt_teardown);
	tcase_add_test(tc, json_gpkg);
	tcase_add_test(tc, shapefile_without_prj);
	tcase_add_test(tc, check_counts);
	tcase_add_test(tc, missing_file_json);
	tcase_add_test(tc, raster);
	suite_add_tcase(s, tc);
	return s;
}
