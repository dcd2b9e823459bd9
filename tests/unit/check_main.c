/*
 * check_main.c: runs every libkcn suite; the last line is Check's count.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cpl_string.h>
#include <ogr_api.h>

#include "check_kcn.h"

struct kcn_ctx *kt_ctx;
static char kt_tmp[4096];

static int
kt_rm(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void
kt_setup(void)
{
	const char *t = getenv("TMPDIR");

	kt_ctx = kcn_ctx_new();
	ck_assert_ptr_nonnull(kt_ctx);
	snprintf(kt_tmp, sizeof(kt_tmp), "%s/kcn-test-XXXXXX",
	    t && *t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(kt_tmp));
}

void
kt_teardown(void)
{
	kcn_ctx_free(kt_ctx);
	kt_ctx = NULL;
	if (kt_tmp[0] != '\0')
		nftw(kt_tmp, kt_rm, 16, FTW_DEPTH | FTW_PHYS);
	kt_tmp[0] = '\0';
}

const char *
kt_dir(void)
{
	return kt_tmp;
}

const char *
kt_path(const char *name)
{
	/* Several paths are often alive at once in one call. */
	static char buf[16][4300];
	static int next;
	char *b = buf[next++ % 16];

	snprintf(b, sizeof(buf[0]), "%s/%s", kt_tmp, name);
	return b;
}

void
kt_make_layer(const char *path, const char *driver, int n, int epsg)
{
	GDALDriverH drv = GDALGetDriverByName(driver);
	GDALDatasetH ds;
	OGRLayerH l;
	OGRSpatialReferenceH srs = NULL;
	OGRFieldDefnH fd;
	char wkt[256], **lco = NULL;

	ck_assert_ptr_nonnull(drv);
	if (epsg) {
		srs = OSRNewSpatialReference(NULL);
		OSRImportFromEPSG(srs, epsg);
	}
	if (strcmp(driver, "FlatGeobuf") == 0)
		lco = CSLSetNameValue(lco, "SPATIAL_INDEX", "NO");
	ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
	ck_assert_ptr_nonnull(ds);
	l = GDALDatasetCreateLayer(ds, "squares", srs, wkbPolygon, lco);
	CSLDestroy(lco);
	ck_assert_ptr_nonnull(l);
	fd = OGR_Fld_Create("id", OFTInteger);
	OGR_L_CreateField(l, fd, TRUE);
	OGR_Fld_Destroy(fd);
	fd = OGR_Fld_Create("name", OFTString);
	OGR_L_CreateField(l, fd, TRUE);
	OGR_Fld_Destroy(fd);
	for (int i = 0; i < n; i++) {
		OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
		OGRGeometryH g = NULL;
		char *p = wkt;
		double x = 500000 + i * 10.0, y = 4000000;

		snprintf(wkt, sizeof(wkt), "POLYGON ((%f %f,%f %f,%f %f,%f %f,"
		    "%f %f))", x, y, x + 5, y, x + 5, y + 5, x, y + 5, x, y);
		OGR_G_CreateFromWkt(&p, NULL, &g);
		OGR_F_SetGeometryDirectly(f, g);
		OGR_F_SetFieldInteger(f, 0, i);
		OGR_F_SetFieldString(f, 1, "Hải Châu");
		ck_assert_int_eq(OGR_L_CreateFeature(l, f), OGRERR_NONE);
		OGR_F_Destroy(f);
	}
	GDALClose(ds);
	if (srs)
		OSRRelease(srs);
}

long long
kt_count(const char *path)
{
	GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
	long long n;

	if (ds == NULL)
		return -1;
	n = OGR_L_GetFeatureCount(GDALDatasetGetLayer(ds, 0), TRUE);
	GDALClose(ds);
	return n;
}

char *
kt_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

GEOSGeometry *
kt_wkt(const char *wkt)
{
	GEOSContextHandle_t h = kcn_ctx_geos(kt_ctx);
	GEOSWKTReader *r = GEOSWKTReader_create_r(h);
	GEOSGeometry *g = GEOSWKTReader_read_r(h, r, wkt);

	GEOSWKTReader_destroy_r(h, r);
	ck_assert_ptr_nonnull(g);
	return g;
}

int
main(void)
{
	SRunner *sr = srunner_create(ctx_suite());
	int failed;

	srunner_add_suite(sr, crs_suite());
	srunner_add_suite(sr, geom_suite());
	srunner_add_suite(sr, reader_suite());
	srunner_add_suite(sr, writer_suite());
	srunner_add_suite(sr, progress_suite());
	srunner_add_suite(sr, info_suite());
	srunner_add_suite(sr, ingest_suite());
	srunner_add_suite(sr, transform_suite());
	srunner_add_suite(sr, buffer_suite());
	srunner_add_suite(sr, overlay_suite());
	srunner_add_suite(sr, coverage_suite());
	srunner_add_suite(sr, tile_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
