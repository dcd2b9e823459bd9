/* check_writer.c: formats, atomic files, refusals, write errors. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_kcn.h"

static int
exists(const char *p)
{
	return access(p, F_OK) == 0;
}

/* Number of entries in the test folder (temporary folders included). */
static int
entries(void)
{
	DIR *d = opendir(kt_dir());
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' || strncmp(e->d_name, ".kcn-", 5) == 0)
			n++;
	closedir(d);
	return n;
}

/* Copies the squares of src.gpkg into a writer for OPTS. */
static enum kcn_status
copy_src(const struct kcn_writer_opts *o)
{
	GDALDatasetH ds;
	OGRLayerH l;
	OGRFeatureH f;
	struct kcn_writer *wr;
	enum kcn_status st = KCN_OK;

	ds = GDALOpenEx(kt_path("src.gpkg"), GDAL_OF_VECTOR, NULL, NULL, NULL);
	l = GDALDatasetGetLayer(ds, 0);
	wr = kcn_writer_open(kt_ctx, o, "squares", wkbPolygon,
	    OGR_L_GetSpatialRef(l), OGR_L_GetLayerDefn(l));
	if (wr == NULL) {
		GDALClose(ds);
		return kcn_ctx_status(kt_ctx);
	}
	while (st == KCN_OK && (f = OGR_L_GetNextFeature(l)) != NULL) {
		st = kcn_writer_write(kt_ctx, wr, f);
		OGR_F_Destroy(f);
	}
	GDALClose(ds);
	if (st != KCN_OK) {
		kcn_writer_abort(wr);
		return st;
	}
	return kcn_writer_close(kt_ctx, wr);
}

static enum kcn_status
copy_squares(const struct kcn_writer_opts *o, int n)
{
	enum kcn_status st;

	kt_make_layer(kt_path("src.gpkg"), "GPKG", n, 32649);
	st = copy_src(o);
	unlink(kt_path("src.gpkg"));
	return st;
}

START_TEST(drivers)
{
	struct kcn_writer_opts o = { 0 };

	ck_assert_str_eq(kcn_writer_driver(&o), "FlatGeobuf");
	o.path = "-";
	ck_assert_str_eq(kcn_writer_driver(&o), "FlatGeobuf");
	o.format = "geojsonseq";
	ck_assert_str_eq(kcn_writer_driver(&o), "GeoJSONSeq");
	o.format = "GPKG";
	ck_assert_str_eq(kcn_writer_driver(&o), "GPKG");
	o.format = "nonsense";
	ck_assert_ptr_null(kcn_writer_driver(&o));
	o.format = NULL;
	o.path = "a/b.gpkg";
	ck_assert_str_eq(kcn_writer_driver(&o), "GPKG");
	o.path = "b.SHP";
	ck_assert_str_eq(kcn_writer_driver(&o), "ESRI Shapefile");
	o.path = "b.geojsonl";
	ck_assert_str_eq(kcn_writer_driver(&o), "GeoJSONSeq");
	o.path = "b.csv";
	ck_assert_str_eq(kcn_writer_driver(&o), "CSV");
	o.path = "b.gmt";	/* found through GDAL's driver metadata */
	ck_assert_str_eq(kcn_writer_driver(&o), "OGR_GMT");
	o.path = "noext";
	ck_assert_ptr_null(kcn_writer_driver(&o));
}
END_TEST

static const char *atomic_ext[] = { "gpkg", "fgb", "shp", "geojson",
    "geojsonl", "csv" };

START_TEST(atomic_file)
{
	char name[64];
	struct kcn_writer_opts o = { 0 };

	snprintf(name, sizeof(name), "out.%s", atomic_ext[_i]);
	o.path = kt_path(name);
	ck_assert_int_eq(copy_squares(&o, 37), KCN_OK);
	ck_assert(exists(kt_path(name)));
	ck_assert_int_eq(kt_count(kt_path(name)), 37);
	/* No temporary folder is left behind. */
	{
		DIR *d = opendir(kt_dir());
		struct dirent *e;

		while ((e = readdir(d)) != NULL)
			ck_assert(strncmp(e->d_name, ".kcn-", 5) != 0);
		closedir(d);
	}
}
END_TEST

START_TEST(shapefile_sidecars)
{
	struct kcn_writer_opts o = { 0 };
	FILE *f = fopen(kt_path("out.cpg"), "w");

	/* A stale .cpg of an older output must not survive. */
	fputs("CP1258", f);
	fclose(f);
	o.path = kt_path("out.shp");
	ck_assert_int_eq(copy_squares(&o, 3), KCN_OK);
	/* Text survives: no recoding to a legacy code page. */
	{
		GDALDatasetH ds = GDALOpenEx(kt_path("out.shp"),
		    GDAL_OF_VECTOR, NULL, NULL, NULL);
		OGRFeatureH feat = OGR_L_GetNextFeature(
		    GDALDatasetGetLayer(ds, 0));

		ck_assert_str_eq(OGR_F_GetFieldAsString(feat, 1), "Hải Châu");
		OGR_F_Destroy(feat);
		GDALClose(ds);
	}
	ck_assert(exists(kt_path("out.shx")));
	ck_assert(exists(kt_path("out.dbf")));
	ck_assert(exists(kt_path("out.prj")));
	{
		char *cpg = kt_slurp(kt_path("out.cpg"), NULL);

		ck_assert(strncmp(cpg, "UTF-8", 5) == 0);
		free(cpg);
	}
}
END_TEST

START_TEST(abort_leaves_nothing)
{
	struct kcn_writer_opts o = { 0 };
	struct kcn_writer *wr;
	int before = entries();

	o.path = kt_path("out.gpkg");
	wr = kcn_writer_open(kt_ctx, &o, "x", wkbPoint, NULL, NULL);
	ck_assert_ptr_nonnull(wr);
	/* Nothing at the target while writing. */
	ck_assert(!exists(kt_path("out.gpkg")));
	kcn_writer_abort(wr);
	ck_assert(!exists(kt_path("out.gpkg")));
	ck_assert_int_eq(entries(), before);
}
END_TEST

START_TEST(refusals)
{
	struct kcn_writer_opts o = { 0 };

	o.stdout_is_tty = 1;
	ck_assert_ptr_null(kcn_writer_open(kt_ctx, &o, "x", wkbPoint, NULL,
	    NULL));
	ck_assert_int_eq(kcn_ctx_status(kt_ctx), KCN_EUSAGE);
	ck_assert_ptr_nonnull(strstr(kcn_ctx_errmsg(kt_ctx), "terminal"));
	o.format = "gpkg";
	o.stdout_is_tty = 0;
	ck_assert_ptr_null(kcn_writer_open(kt_ctx, &o, "x", wkbPoint, NULL,
	    NULL));
	ck_assert_ptr_nonnull(strstr(kcn_ctx_errmsg(kt_ctx), "-o FILE"));
	o.format = NULL;
	o.path = kt_path("out.unknownext");
	ck_assert_ptr_null(kcn_writer_open(kt_ctx, &o, "x", wkbPoint, NULL,
	    NULL));
	ck_assert_int_eq(kcn_ctx_status(kt_ctx), KCN_EUSAGE);
	o.path = kt_path("no/such/dir/out.gpkg");
	ck_assert_ptr_null(kcn_writer_open(kt_ctx, &o, "x", wkbPoint, NULL,
	    NULL));
	ck_assert_int_eq(kcn_ctx_status(kt_ctx), KCN_ECREATE);
}
END_TEST

START_TEST(disk_full_file)
{
	/*
	 * A file size limit stands in for a full disk.  It is set in a child
	 * of its own, so that Check's own result file is not limited.
	 */
	struct rlimit rl = { 200000, 200000 };
	struct kcn_writer_opts o = { 0 };
	int status;
	pid_t pid;

	o.path = kt_path("big.fgb");
	kt_make_layer(kt_path("src.gpkg"), "GPKG", 20000, 0);
	if ((pid = fork()) == 0) {
		enum kcn_status st;

		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(99);
		st = copy_src(&o);
		_exit(st == KCN_EIO ? 0 : 10 + (int)st);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert(!exists(kt_path("big.fgb")));
}
END_TEST

START_TEST(disk_full_stdout)
{
	struct kcn_writer_opts o = { 0 };

	ck_assert_ptr_nonnull(freopen("/dev/full", "w", stdout));
	ck_assert_int_eq(copy_squares(&o, 5000), KCN_EIO);
}
END_TEST

START_TEST(fgb_without_geometry)
{
	/* GDAL 3.6's FlatGeobuf writer alone drops them without a word. */
	struct kcn_writer_opts o = { 0 };
	struct kcn_writer *wr;
	static const char *wkt[] = { "POINT (1 2)", "POINT EMPTY", NULL,
	    "POINT (3 4)" };
	GDALDatasetH ds;
	OGRLayerH l;
	OGRFeatureH f;
	int i;

	o.path = kt_path("e.fgb");
	wr = kcn_writer_open(kt_ctx, &o, "e", wkbPoint, NULL, NULL);
	ck_assert_ptr_nonnull(wr);
	for (i = 0; i < 4; i++) {
		OGRGeometryH g = NULL;
		char *p = (char *)wkt[i];

		f = OGR_F_Create(OGR_L_GetLayerDefn(kcn_writer_layer(wr)));
		if (p != NULL) {
			OGR_G_CreateFromWkt(&p, NULL, &g);
			OGR_F_SetGeometryDirectly(f, g);
		}
		ck_assert_int_eq(kcn_writer_write(kt_ctx, wr, f),
		    wkt[i] && strcmp(wkt[i], "POINT EMPTY") != 0 ? KCN_OK :
		    KCN_REJECTED);
		OGR_F_Destroy(f);
	}
	ck_assert_int_eq(kcn_writer_close(kt_ctx, wr), KCN_OK);
	ds = GDALOpenEx(kt_path("e.fgb"), GDAL_OF_VECTOR, NULL, NULL, NULL);
	l = GDALDatasetGetLayer(ds, 0);
	ck_assert_int_eq(OGR_L_GetFeatureCount(l, TRUE), 2);
	GDALClose(ds);
}
END_TEST

Suite *
writer_suite(void)
{
	Suite *s = suite_create("writer");
	TCase *tc = tcase_create("writer");

	tcase_add_checked_fixture(tc, kt_setup, kt_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, drivers);
	tcase_add_loop_test(tc, atomic_file, 0,
	    sizeof(atomic_ext) / sizeof(atomic_ext[0]));
	tcase_add_test(tc, shapefile_sidecars);
	tcase_add_test(tc, abort_leaves_nothing);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, disk_full_file);
	tcase_add_test(tc, disk_full_stdout);
	tcase_add_test(tc, fgb_without_geometry);
	suite_add_tcase(s, tc);
	return s;
}
