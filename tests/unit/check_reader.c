/* check_reader.c: opening sources and reading without silent loss. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_kcn.h"

/* Reads every feature; returns the count, *ST the final status. */
static long long
read_all(struct kcn_source *src, enum kcn_status *st)
{
	struct kcn_reader *rd = kcn_reader_new(kt_ctx, src, NULL);
	OGRFeatureH f;
	long long n = 0;

	ck_assert_ptr_nonnull(rd);
	*st = KCN_OK;
	for (;;) {
		enum kcn_status s = kcn_reader_next(kt_ctx, rd, &f);

		if (s != KCN_OK)
			*st = s;
		if (f == NULL)
			break;
		n++;
		OGR_F_Destroy(f);
	}
	kcn_reader_free(rd);
	return n;
}

/* Makes PATH this process's standard input. */
static void
stdin_from(const char *path)
{
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dup2(fd, 0), 0);
	close(fd);
}

START_TEST(read_gpkg)
{
	struct kcn_source *src;
	enum kcn_status st;

	kt_make_layer(kt_path("a.gpkg"), "GPKG", 250, 32649);
	src = kcn_source_open(kt_ctx, kt_path("a.gpkg"), KCN_OPEN_VECTOR);
	ck_assert_ptr_nonnull(src);
	ck_assert_str_eq(kcn_source_name(src), kt_path("a.gpkg"));
	ck_assert_int_eq(read_all(src, &st), 250);
	ck_assert_int_eq(st, KCN_OK);
	ck_assert_int_eq(kcn_source_close(kt_ctx, src), KCN_OK);
}
END_TEST

START_TEST(missing_and_garbage)
{
	FILE *f;

	ck_assert_ptr_null(kcn_source_open(kt_ctx, kt_path("no.shp"),
	    KCN_OPEN_VECTOR));
	ck_assert_int_eq(kcn_ctx_status(kt_ctx), KCN_ENOINPUT);
	f = fopen(kt_path("junk.bin"), "wb");
	fputs("\x01\x02 this is not GIS data\n", f);
	fclose(f);
	ck_assert_ptr_null(kcn_source_open(kt_ctx, kt_path("junk.bin"),
	    KCN_OPEN_VECTOR));
	ck_assert_int_eq(kcn_ctx_status(kt_ctx), KCN_ENOINPUT);
	ck_assert_ptr_nonnull(strstr(kcn_ctx_errmsg(kt_ctx), "recognise"));
}
END_TEST

START_TEST(no_such_layer)
{
	struct kcn_source *src;

	kt_make_layer(kt_path("a.gpkg"), "GPKG", 1, 0);
	src = kcn_source_open(kt_ctx, kt_path("a.gpkg"), KCN_OPEN_VECTOR);
	ck_assert_ptr_null(kcn_reader_new(kt_ctx, src, "nope"));
	ck_assert_int_eq(kcn_ctx_status(kt_ctx), KCN_EUSAGE);
	kcn_source_close(kt_ctx, src);
}
END_TEST

START_TEST(truncated_fgb)
{
	struct kcn_source *src;
	enum kcn_status st;
	long long n;

	kt_make_layer(kt_path("a.fgb"), "FlatGeobuf", 2000, 32649);
	ck_assert_int_eq(truncate(kt_path("a.fgb"), 60000), 0);
	src = kcn_source_open(kt_ctx, kt_path("a.fgb"), KCN_OPEN_VECTOR);
	ck_assert_ptr_nonnull(src);
	n = read_all(src, &st);
	ck_assert_int_lt(n, 2000);
	ck_assert_int_eq(st, KCN_EDATA);
	kcn_source_close(kt_ctx, src);
}
END_TEST

START_TEST(truncated_shp)
{
	struct kcn_source *src;
	enum kcn_status st;

	kt_make_layer(kt_path("a.shp"), "ESRI Shapefile", 100, 0);
	ck_assert_int_eq(truncate(kt_path("a.shp"), 3000), 0);
	src = kcn_source_open(kt_ctx, kt_path("a.shp"), KCN_OPEN_VECTOR);
	ck_assert_ptr_nonnull(src);
	/* Found before reading: the header states the full length. */
	ck_assert_ptr_null(kcn_reader_new(kt_ctx, src, NULL));
	ck_assert_int_eq(kcn_ctx_status(kt_ctx), KCN_EDATA);
	ck_assert_ptr_nonnull(strstr(kcn_ctx_errmsg(kt_ctx), "truncated"));
	kcn_source_close(kt_ctx, src);
	(void)st;
}
END_TEST

START_TEST(stdin_geojsonseq_over_1mib)
{
	/* The GDAL trap: a GeoJSONSeq pipe is cut at 1 MiB unless spooled. */
	FILE *f = fopen(kt_path("big.geojsonl"), "w");
	struct kcn_source *src;
	enum kcn_status st;
	int i;

	for (i = 0; i < 30000; i++)
		fprintf(f, "{\"type\":\"Feature\",\"properties\":{\"id\":%d},"
		    "\"geometry\":{\"type\":\"Point\",\"coordinates\":[%d.5,"
		    "16.0]}}\n", i, i % 100);
	fclose(f);
	stdin_from(kt_path("big.geojsonl"));
	src = kcn_source_open(kt_ctx, "-", KCN_OPEN_VECTOR);
	ck_assert_ptr_nonnull(src);
	ck_assert_str_eq(kcn_source_name(src), "-");
	ck_assert_str_eq(OGR_L_GetName(GDALDatasetGetLayer(
	    kcn_source_dataset(src), 0)), "stdin");
	ck_assert_int_eq(read_all(src, &st), 30000);
	ck_assert_int_eq(st, KCN_OK);
	kcn_source_close(kt_ctx, src);
}
END_TEST

START_TEST(stdin_fgb_streams)
{
	struct kcn_source *src;
	enum kcn_status st;

	kt_make_layer(kt_path("a.fgb"), "FlatGeobuf", 20000, 32649);
	stdin_from(kt_path("a.fgb"));
	src = kcn_source_open(kt_ctx, "-", KCN_OPEN_VECTOR);
	ck_assert_ptr_nonnull(src);
	ck_assert_int_eq(read_all(src, &st), 20000);
	ck_assert_int_eq(st, KCN_OK);
	kcn_source_close(kt_ctx, src);
}
END_TEST

START_TEST(stdin_csv)
{
	FILE *f = fopen(kt_path("p.csv"), "w");
	struct kcn_source *src;
	OGRLayerH l;

	fputs("\xEF\xBB\xBFid,name,Longitude,Latitude\n1,a,108.2,16.05\n"
	    "2,b,108.21,16.06\n", f);
	fclose(f);
	stdin_from(kt_path("p.csv"));
	src = kcn_source_open(kt_ctx, "-", KCN_OPEN_VECTOR);
	ck_assert_ptr_nonnull(src);
	l = GDALDatasetGetLayer(kcn_source_dataset(src), 0);
	ck_assert_int_eq(OGR_L_GetFeatureCount(l, TRUE), 2);
	ck_assert_int_eq(wkbFlatten(OGR_L_GetGeomType(l)), wkbPoint);
	kcn_source_close(kt_ctx, src);
}
END_TEST

START_TEST(stdin_empty)
{
	stdin_from("/dev/null");
	ck_assert_ptr_null(kcn_source_open(kt_ctx, "-", KCN_OPEN_VECTOR));
	ck_assert_int_eq(kcn_ctx_status(kt_ctx), KCN_EDATA);
	ck_assert_str_eq(kcn_ctx_errmsg(kt_ctx), "standard input is empty");
}
END_TEST

START_TEST(vsizip)
{
	char path[4300];
	struct kcn_source *src;
	enum kcn_status st;

	snprintf(path, sizeof(path), "/vsizip/%s/a.geojson",
	    kt_path("a.zip"));
	kt_make_layer(path, "GeoJSON", 12, 4326);
	src = kcn_source_open(kt_ctx, path, KCN_OPEN_VECTOR);
	ck_assert_ptr_nonnull(src);
	ck_assert_int_eq(read_all(src, &st), 12);
	ck_assert_int_eq(st, KCN_OK);
	kcn_source_close(kt_ctx, src);
	/* The plain .zip name works too. */
	src = kcn_source_open(kt_ctx, kt_path("a.zip"), KCN_OPEN_VECTOR);
	ck_assert_ptr_nonnull(src);
	ck_assert_int_eq(read_all(src, &st), 12);
	kcn_source_close(kt_ctx, src);
}
END_TEST

Suite *
reader_suite(void)
{
	Suite *s = suite_create("reader");
	TCase *tc = tcase_create("reader");

	tcase_add_checked_fixture(tc, kt_setup, kt_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, read_gpkg);
	tcase_add_test(tc, missing_and_garbage);
	tcase_add_test(tc, no_such_layer);
	tcase_add_test(tc, truncated_fgb);
	tcase_add_test(tc, truncated_shp);
	tcase_add_test(tc, stdin_geojsonseq_over_1mib);
	tcase_add_test(tc, stdin_fgb_streams);
	tcase_add_test(tc, stdin_csv);
	tcase_add_test(tc, stdin_empty);
	tcase_add_test(tc, vsizip);
	suite_add_tcase(s, tc);
	return s;
}
