/* check_ingest.c: the stream copy through GEOS. */
#include <iconv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cpl_string.h>
#include <json-c/json.h>

#include "check_kcn.h"
#include "kcn_internal.h"

/*
 * Writes NAME as a GeoJSON FeatureCollection of the GEOMS (GeoJSON
 * geometry objects, NULL-ended), feature i having property id = i + 1.
 */
static void
write_fc(const char *name, const char *const *geoms)
{
	FILE *f = fopen(kt_path(name), "w");

	ck_assert_ptr_nonnull(f);
	fputs("{\"type\":\"FeatureCollection\",\"features\":[", f);
	for (int i = 0; geoms[i] != NULL; i++)
		fprintf(f, "%s{\"type\":\"Feature\",\"properties\":{\"id\":%d},"
		    "\"geometry\":%s}", i ? "," : "", i + 1, geoms[i]);
	fputs("]}", f);
	ck_assert_int_eq(fclose(f), 0);
}

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
	o.s_srs = "EPSG:3406";
	ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("a.shp"), &o),
	    KCN_OK);
	ds = GDALOpenEx(kt_path("b.gpkg"), GDAL_OF_VECTOR, NULL, NULL, NULL);
	ck_assert_int_eq(kcn_crs_epsg(OGR_L_GetSpatialRef(
	    GDALDatasetGetLayer(ds, 0))), 3406);
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
	static const char *g[] = {
		"{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],"
		    "[0,0]]]}",
		/* A one-point line cannot exist in GEOS: skipped, counted. */
		"{\"type\":\"LineString\",\"coordinates\":[[0,0]]}",
		NULL
	};

	write_fc("a.geojson", g);
	o.out.path = kt_path("b.geojson");
	ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("a.geojson"), &o),
	    KCN_REJECTED);
	ck_assert_int_eq(kt_count(kt_path("b.geojson")), 1);
}
END_TEST

START_TEST(no_crs_refused)
{
	struct kcn_ingest_opts o = { 0 };

	kt_make_layer(kt_path("a.shp"), "ESRI Shapefile", 5, 0);
	o.out.path = kt_path("b.gpkg");
	ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("a.shp"), &o),
	    KCN_ECRS);
	ck_assert_ptr_nonnull(strstr(kcn_ctx_errmsg(kt_ctx), "-s"));
	ck_assert_int_ne(access(kt_path("b.gpkg"), F_OK), 0);
}
END_TEST

/* A shapefile whose names are CP1258 bytes, with no .cpg. */
static void
make_cp1258(void)
{
	GDALDriverH drv = GDALGetDriverByName("ESRI Shapefile");
	char **lco = CSLSetNameValue(NULL, "ENCODING", "");
	GDALDatasetH ds = GDALCreate(drv, kt_path("w.shp"), 0, 0, 0,
	    GDT_Unknown, NULL);
	OGRLayerH l = GDALDatasetCreateLayer(ds, "w", NULL, wkbPoint, lco);
	OGRFieldDefnH fd = OGR_Fld_Create("name", OFTString);
	OGRFeatureH f;
	OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);

	OGR_L_CreateField(l, fd, TRUE);
	OGR_Fld_Destroy(fd);
	f = OGR_F_Create(OGR_L_GetLayerDefn(l));
	/* "Hải Châu" in CP1258: a + combining hook above (0xD2), a +
	   circumflex (0xE2). */
	OGR_F_SetFieldString(f, 0, "Ha\xD2i Ch\xE2u");
	OGR_G_SetPoint_2D(g, 0, 500000, 1770000);
	OGR_F_SetGeometryDirectly(f, g);
	ck_assert_int_eq(OGR_L_CreateFeature(l, f), OGRERR_NONE);
	OGR_F_Destroy(f);
	GDALClose(ds);
	CSLDestroy(lco);
	remove(kt_path("w.cpg"));
}

START_TEST(encoding)
{
	struct kcn_ingest_opts o = { 0 };
	GDALDatasetH ds;
	OGRFeatureH f;

	make_cp1258();
	o.s_srs = "EPSG:3406";
	o.out.path = kt_path("a.gpkg");
	/* Not UTF-8 and not declared: the code page is detected. */
	ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("w.shp"), &o),
	    KCN_OK);
	ds = GDALOpenEx(kt_path("a.gpkg"), GDAL_OF_VECTOR, NULL, NULL, NULL);
	f = OGR_L_GetNextFeature(GDALDatasetGetLayer(ds, 0));
	ck_assert_str_eq(OGR_F_GetFieldAsString(f, 0), "Hải Châu");
	OGR_F_Destroy(f);
	GDALClose(ds);
	o.encoding = "CP1258";
	o.out.path = kt_path("b.gpkg");
	ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("w.shp"), &o),
	    KCN_OK);
	ds = GDALOpenEx(kt_path("b.gpkg"), GDAL_OF_VECTOR, NULL, NULL, NULL);
	f = OGR_L_GetNextFeature(GDALDatasetGetLayer(ds, 0));
	/* Whole, the last letter included, and composed (NFC). */
	ck_assert_str_eq(OGR_F_GetFieldAsString(f, 0), "Hải Châu");
	OGR_F_Destroy(f);
	GDALClose(ds);
	o.encoding = "NO-SUCH-CODEPAGE";
	ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("w.shp"), &o),
	    KCN_EUSAGE);
}
END_TEST

START_TEST(multipart_shapefile)
{
	/* Shapefiles say Polygon and hold MultiPolygons too. */
	struct kcn_ingest_opts o = { 0 };
	static const char *g[] = {
		"{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],"
		    "[0,0]]]}",
		"{\"type\":\"MultiPolygon\",\"coordinates\":[[[[5,5],[6,5],"
		    "[6,6],[5,5]]],[[[8,8],[9,8],[9,9],[8,8]]]]}",
		NULL
	};

	write_fc("m.geojson", g);
	o.out.path = kt_path("m.shp");
	ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("m.geojson"), &o),
	    KCN_OK);
	o.out.path = kt_path("m.fgb");
	ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("m.shp"), &o),
	    KCN_OK);
	ck_assert_int_eq(kt_count(kt_path("m.fgb")), 2);
}
END_TEST

START_TEST(empty_layer)
{
	struct kcn_ingest_opts o = { 0 };

	kt_make_layer(kt_path("e.gpkg"), "GPKG", 0, 4326);
	o.out.path = kt_path("e.fgb");
	ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("e.gpkg"), &o),
	    KCN_EDATA);
	ck_assert_ptr_nonnull(strstr(kcn_ctx_errmsg(kt_ctx), "empty layer"));
	/* Formats that can hold an empty layer get one. */
	o.out.path = kt_path("e2.gpkg");
	ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("e.gpkg"), &o),
	    KCN_OK);
	ck_assert_int_eq(kt_count(kt_path("e2.gpkg")), 0);
}
END_TEST

START_TEST(threads_same_bytes)
{
	/* Any number of workers: the same bytes, the same rejections. */
	struct kcn_ingest_opts o = { 0 };
	static const int threads[] = { 1, 2, 3, 8 };
	char name[32], *first = NULL, *data;
	size_t flen = 0, len;

	kt_make_layer(kt_path("a.gpkg"), "GPKG", 3000, 32649);
	for (size_t i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
		snprintf(name, sizeof(name), "b%d.fgb", threads[i]);
		o.threads = threads[i];
		o.out.path = kt_path(name);
		ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("a.gpkg"), &o),
		    KCN_OK);
		data = kt_slurp(kt_path(name), &len);
		if (first == NULL) {
			first = data;
			flen = len;
			continue;
		}
		ck_assert_uint_eq(len, flen);
		ck_assert(memcmp(data, first, len) == 0);
		free(data);
	}
	free(first);
}
END_TEST

START_TEST(invalid_policies)
{
	struct kcn_ingest_opts o = { 0 };
	static const char *g[] = {
		/* A bowtie, a valid square and an empty polygon. */
		"{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[10,10],[10,0],"
		    "[0,10],[0,0]]]}",
		"{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[4,0],[4,4],"
		    "[0,4],[0,0]]]}",
		"{\"type\":\"Polygon\",\"coordinates\":[]}",
		NULL
	};

	write_fc("b.geojson", g);
	o.out.path = kt_path("r.gpkg");
	/* Repair: both areas kept, the empty one dropped and counted. */
	ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("b.geojson"), &o),
	    KCN_REJECTED);
	ck_assert_int_eq(kt_count(kt_path("r.gpkg")), 2);
	o.keep_empty = 1;
	o.out.path = kt_path("k.gpkg");
	ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("b.geojson"), &o),
	    KCN_OK);
	ck_assert_int_eq(kt_count(kt_path("k.gpkg")), 3);
	o.on_invalid = KCN_INVALID_SKIP;
	o.out.path = kt_path("s.gpkg");
	ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("b.geojson"), &o),
	    KCN_REJECTED);
	ck_assert_int_eq(kt_count(kt_path("s.gpkg")), 2);
	o.on_invalid = KCN_INVALID_FAIL;
	o.out.path = kt_path("x.gpkg");
	ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("b.geojson"), &o),
	    KCN_EDATA);
	/* Named by feature: FILE:1. */
	ck_assert_str_eq(strrchr(kcn_ctx_where(kt_ctx), ':'), ":1");
	ck_assert_int_ne(access(kt_path("x.gpkg"), F_OK), 0);
}
END_TEST

START_TEST(fields)
{
	struct kcn_ingest_opts o = { 0 };
	char *ren[] = { "id=BldId", NULL }, *add[] = { "Source=city gis",
	    NULL };
	GDALDatasetH ds;
	OGRFeatureDefnH d;
	OGRFeatureH f;

	kt_make_layer(kt_path("a.gpkg"), "GPKG", 3, 32649);
	o.fields = "name, id";
	o.rename = ren;
	o.add = add;
	o.snake_case = 1;
	o.out.path = kt_path("b.fgb");
	ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("a.gpkg"), &o),
	    KCN_OK);
	ds = GDALOpenEx(kt_path("b.fgb"), GDAL_OF_VECTOR, NULL, NULL, NULL);
	d = OGR_L_GetLayerDefn(GDALDatasetGetLayer(ds, 0));
	ck_assert_int_eq(OGR_FD_GetFieldCount(d), 3);
	ck_assert_str_eq(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(d, 0)),
	    "name");
	ck_assert_str_eq(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(d, 1)),
	    "bld_id");
	ck_assert_str_eq(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(d, 2)),
	    "source");
	f = OGR_L_GetNextFeature(GDALDatasetGetLayer(ds, 0));
	f = f ? (OGR_F_Destroy(f), OGR_L_GetNextFeature(
	    GDALDatasetGetLayer(ds, 0))) : NULL;
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(OGR_F_GetFieldAsInteger(f, 1), 1);
	ck_assert_str_eq(OGR_F_GetFieldAsString(f, 0), "Hải Châu");
	ck_assert_str_eq(OGR_F_GetFieldAsString(f, 2), "city gis");
	ck_assert_ptr_nonnull(OGR_F_GetGeometryRef(f));
	OGR_F_Destroy(f);
	GDALClose(ds);
	/* Two fields that end up with one name. */
	o.fields = NULL;
	ren[0] = "id=NAME";
	o.out.path = kt_path("c.fgb");
	ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("a.gpkg"), &o),
	    KCN_EUSAGE);
	ck_assert_int_ne(access(kt_path("c.fgb"), F_OK), 0);
}
END_TEST

START_TEST(report)
{
	struct kcn_ingest_opts o = { 0 };
	json_object *j, *v;
	char *text;

	kt_make_layer(kt_path("a.gpkg"), "GPKG", 7, 32649);
	o.out.path = kt_path("b.fgb");
	o.report = kt_path("r.json");
	ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("a.gpkg"), &o),
	    KCN_OK);
	text = kt_slurp(kt_path("r.json"), NULL);
	j = json_tokener_parse(text);
	ck_assert_ptr_nonnull(j);
	ck_assert(json_object_object_get_ex(j, "features_written", &v));
	ck_assert_int_eq(json_object_get_int(v), 7);
	ck_assert(json_object_object_get_ex(j, "exit_status", &v));
	ck_assert_int_eq(json_object_get_int(v), 0);
	json_object_put(j);
	free(text);
	/* A failed run still leaves its report, with the error. */
	o.s_srs = "EPSG:0";
	ck_assert_int_eq(kcn_ingest_run(kt_ctx, kt_path("a.gpkg"), &o),
	    KCN_ECRS);
	ck_assert_str_eq(kcn_ctx_where(kt_ctx), "EPSG:0");
	text = kt_slurp(kt_path("r.json"), NULL);
	j = json_tokener_parse(text);
	ck_assert(json_object_object_get_ex(j, "exit_status", &v));
	ck_assert_int_eq(json_object_get_int(v), 78);
	ck_assert(json_object_object_get_ex(j, "error", &v));
	json_object_put(j);
	free(text);
}
END_TEST

/* Text in ENC for the UTF-8 NAMES, as raw samples (free each). */
static size_t
samples_in(const char *enc, const char *const *names, char **out)
{
	size_t n = 0;

	for (; names[n] != NULL; n++) {
		iconv_t cd = iconv_open(enc, "UTF-8");
		char *in = (char *)names[n], *buf = calloc(1, 256), *op = buf;
		size_t il = strlen(in), ol = 255;

		ck_assert(cd != (iconv_t)-1);
		ck_assert_int_ne(iconv(cd, &in, &il, &op, &ol), (size_t)-1);
		iconv_close(cd);
		out[n] = buf;
	}
	return n;
}

static const struct {
	const char *enc;
	const char *names[4];
} detect_cases[] = {
	{ "CP1258", { "Hải Châu", "Thanh Khê Đông", "Hòa Cường Bắc", NULL } },
	{ "CP949", { "서울특별시", "해운대구", "스마트 폴", NULL } },
	{ "CP1252", { "São Paulo", "Besançon", "Zürich", NULL } },
	{ "CP1251", { "Москва", "Новосибирск", "Казань", NULL } },
	{ "CP874", { "กรุงเทพมหานคร", "เชียงใหม่", "ภูเก็ต", NULL } },
	{ "SHIFT_JIS", { "東京都", "ひらがな", "大阪市", NULL } },
};

START_TEST(detect)
{
	char *s[4], ev[256];
	size_t n = samples_in(detect_cases[_i].enc, detect_cases[_i].names, s);
	const char *got = kcni_text_detect(kt_ctx, s, n, ev, sizeof(ev));

	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, detect_cases[_i].enc);
	ck_assert_ptr_nonnull(strstr(ev, detect_cases[_i].enc));
	for (size_t i = 0; i < n; i++)
		free(s[i]);
}
END_TEST

START_TEST(detect_nothing_fits)
{
	char junk[] = "\001\377\376\200\201\002", *s[] = { junk };
	char ev[256];

	ck_assert_ptr_null(kcni_text_detect(kt_ctx, s, 1, ev, sizeof(ev)));
	ck_assert_ptr_nonnull(strstr(ev, "no likely code page"));
}
END_TEST

START_TEST(candidate_aliases)
{
	ck_assert_int_eq(kcni_text_candidate("CP1258"),
	    kcni_text_candidate("windows-1258"));
	ck_assert_int_eq(kcni_text_candidate("UHC"),
	    kcni_text_candidate("cp949"));
	ck_assert_int_eq(kcni_text_candidate("Shift-JIS"),
	    kcni_text_candidate("SJIS"));
	ck_assert_int_ge(kcni_text_candidate("ISO-8859-1"), 0);
	ck_assert_int_eq(kcni_text_candidate("CP1256"), -1);
	ck_assert_int_eq(kcni_text_candidate("UTF-8"), -1);
}
END_TEST

/* The declared code page is verified: CP1258 text read as the code page
   it is fits, read as CP1252 it does not, as CP949 it does not decode. */
START_TEST(fit_verifies)
{
	char *s[4], ev[256];
	size_t n = samples_in("CP1258", detect_cases[0].names, s);

	ck_assert_double_ge(kcni_text_fit(kt_ctx, "CP1258", s, n, ev,
	    sizeof(ev)), 0.5);
	ck_assert_double_lt(kcni_text_fit(kt_ctx, "CP1252", s, n, ev,
	    sizeof(ev)), 0.5);
	ck_assert(isinf(kcni_text_fit(kt_ctx, "CP949", s, n, ev,
	    sizeof(ev))));
	ck_assert_ptr_nonnull(strstr(ev, "not valid CP949"));
	/* A script kcn does not know: decodes, no judgement. */
	ck_assert(isnan(kcni_text_fit(kt_ctx, "CP1256", s, n, ev,
	    sizeof(ev))));
	for (size_t i = 0; i < n; i++)
		free(s[i]);
	/* Already decoded text: Hangul fits CP949's script, mojibake not. */
	ck_assert_double_ge(kcni_text_fit_utf8(kcni_text_candidate("CP949"),
	    "서울특별시"), 0.5);
	ck_assert_double_lt(kcni_text_fit_utf8(kcni_text_candidate("CP949"),
	    "ì„œìš¸"), 0.5);
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
	tcase_add_test(tc, no_crs_refused);
	tcase_add_test(tc, encoding);
	tcase_add_test(tc, multipart_shapefile);
	tcase_add_test(tc, empty_layer);
	tcase_add_test(tc, threads_same_bytes);
	tcase_add_test(tc, invalid_policies);
	tcase_add_test(tc, fields);
	tcase_add_test(tc, report);
	tcase_add_loop_test(tc, detect, 0,
	    sizeof(detect_cases) / sizeof(detect_cases[0]));
	tcase_add_test(tc, detect_nothing_fits);
	tcase_add_test(tc, candidate_aliases);
	tcase_add_test(tc, fit_verifies);
	suite_add_tcase(s, tc);
	return s;
}
