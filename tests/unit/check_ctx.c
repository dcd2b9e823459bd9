/* check_ctx.c: context, error routing, status and exit codes. */
#include <string.h>
#include <sysexits.h>

#include <cpl_error.h>

#include "check_kcn.h"

static int nwarn;
static char lastwarn[256];

static void
sink(void *ud, enum kcn_level level, const char *where, const char *what)
{
	(void)ud;
	(void)where;
	if (level == KCN_MSG_WARNING) {
		nwarn++;
		snprintf(lastwarn, sizeof(lastwarn), "%s", what);
	}
}

START_TEST(exit_codes)
{
	ck_assert_int_eq(kcn_exit_code(KCN_OK), 0);
	ck_assert_int_eq(kcn_exit_code(KCN_REJECTED), 1);
	ck_assert_int_eq(kcn_exit_code(KCN_EUSAGE), EX_USAGE);
	ck_assert_int_eq(kcn_exit_code(KCN_EDATA), 65);
	ck_assert_int_eq(kcn_exit_code(KCN_ENOINPUT), 66);
	ck_assert_int_eq(kcn_exit_code(KCN_EDRIVER), 69);
	ck_assert_int_eq(kcn_exit_code(KCN_EINTERNAL), 70);
	ck_assert_int_eq(kcn_exit_code(KCN_EOS), 71);
	ck_assert_int_eq(kcn_exit_code(KCN_ECREATE), 73);
	ck_assert_int_eq(kcn_exit_code(KCN_EIO), 74);
	ck_assert_int_eq(kcn_exit_code(KCN_ECRS), 78);
	ck_assert_int_eq(kcn_exit_code((enum kcn_status)99), 70);
	ck_assert_str_eq(kcn_status_name(KCN_EDATA), "bad data");
}
END_TEST

START_TEST(worst)
{
	ck_assert_int_eq(kcn_status_worst(KCN_OK, KCN_REJECTED), KCN_REJECTED);
	ck_assert_int_eq(kcn_status_worst(KCN_EDATA, KCN_REJECTED), KCN_EDATA);
	ck_assert_int_eq(kcn_status_worst(KCN_EIO, KCN_ENOINPUT), KCN_EIO);
}
END_TEST

START_TEST(gdal_warning_reaches_sink)
{
	nwarn = 0;
	kcn_ctx_set_sink(kt_ctx, sink, NULL);
	CPLError(CE_Warning, CPLE_AppDefined, "careful.\n");
	ck_assert_int_eq(nwarn, 1);
	/* One line, no trailing period or newline. */
	ck_assert_str_eq(lastwarn, "careful");
}
END_TEST

START_TEST(gdal_error_is_kept)
{
	/* A failed open leaves its reason in the context. */
	struct kcn_source *s = kcn_source_open(kt_ctx, kt_path("none.gpkg"),
	    KCN_OPEN_VECTOR);

	ck_assert_ptr_null(s);
	ck_assert_int_eq(kcn_ctx_status(kt_ctx), KCN_ENOINPUT);
	ck_assert_str_eq(kcn_ctx_where(kt_ctx), kt_path("none.gpkg"));
	ck_assert_ptr_nonnull(strstr(kcn_ctx_errmsg(kt_ctx), "No such file"));
	kcn_ctx_clear(kt_ctx);
	ck_assert_int_eq(kcn_ctx_status(kt_ctx), KCN_OK);
	ck_assert_str_eq(kcn_ctx_errmsg(kt_ctx), "");
}
END_TEST

START_TEST(geos_error_is_kept)
{
	/* An unclosed ring cannot become a GEOS polygon. */
	OGRGeometryH g = NULL;
	char *wkt = "POLYGON ((0 0,1 0,1 1,0 1))";
	GEOSGeometry *gg;

	OGR_G_CreateFromWkt(&wkt, NULL, &g);
	ck_assert_ptr_nonnull(g);
	gg = kcn_geom_to_geos(kt_ctx, g);
	ck_assert_ptr_null(gg);
	ck_assert_int_eq(kcn_ctx_status(kt_ctx), KCN_EDATA);
	ck_assert_ptr_nonnull(strstr(kcn_ctx_errmsg(kt_ctx), "closed"));
	OGR_G_DestroyGeometry(g);
}
END_TEST

START_TEST(free_null)
{
	kcn_ctx_free(NULL);
	kcn_free(NULL);
	kcn_reader_free(NULL);
	kcn_writer_abort(NULL);
	ck_assert_int_eq(kcn_source_close(kt_ctx, NULL), KCN_OK);
}
END_TEST

START_TEST(contexts_are_independent)
{
	struct kcn_ctx *other = kcn_ctx_new();

	ck_assert_ptr_nonnull(other);
	ck_assert_ptr_ne(kcn_ctx_geos(other), kcn_ctx_geos(kt_ctx));
	ck_assert_ptr_ne(kcn_ctx_proj(other), kcn_ctx_proj(kt_ctx));
	kcn_ctx_free(other);
	/* The first context still gets GDAL's messages after the pop. */
	nwarn = 0;
	kcn_ctx_set_sink(kt_ctx, sink, NULL);
	CPLError(CE_Warning, CPLE_AppDefined, "still here");
	ck_assert_int_eq(nwarn, 1);
}
END_TEST

Suite *
ctx_suite(void)
{
	Suite *s = suite_create("ctx");
	TCase *tc = tcase_create("ctx");

	tcase_add_checked_fixture(tc, kt_setup, kt_teardown);
	tcase_add_test(tc, exit_codes);
	tcase_add_test(tc, worst);
	tcase_add_test(tc, gdal_warning_reaches_sink);
	tcase_add_test(tc, gdal_error_is_kept);
	tcase_add_test(tc, geos_error_is_kept);
	tcase_add_test(tc, free_null);
	tcase_add_test(tc, contexts_are_independent);
	suite_add_tcase(s, tc);
	return s;
}
