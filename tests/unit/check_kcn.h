/*
 * check_kcn.h: shared pieces of the libkcn unit tests (Check).
 */
#ifndef CHECK_KCN_H
#define CHECK_KCN_H

#include <check.h>

#include "kcn.h"

Suite *ctx_suite(void);
Suite *crs_suite(void);
Suite *geom_suite(void);
Suite *reader_suite(void);
Suite *writer_suite(void);
Suite *progress_suite(void);
Suite *info_suite(void);
Suite *ingest_suite(void);
Suite *transform_suite(void);
Suite *buffer_suite(void);
Suite *overlay_suite(void);
Suite *coverage_suite(void);
Suite *tile_suite(void);

/* The context of the running test, made and freed by kt_setup/teardown. */
extern struct kcn_ctx *kt_ctx;
void kt_setup(void);
void kt_teardown(void);

/* A new temporary folder for this test; removed by kt_teardown. */
const char *kt_dir(void);

/* "DIR/NAME" in a static buffer (valid for the next 15 calls). */
const char *kt_path(const char *name);

/*
 * Writes N polygon features (squares at i*10, fields id and name) to
 * PATH with DRIVER, in CRS EPSG (0: none).  Fails the test on error.
 */
void kt_make_layer(const char *path, const char *driver, int n, int epsg);

/* Counts the features of the first layer of PATH with plain GDAL. */
long long kt_count(const char *path);

/* Reads a whole file into a new NUL-terminated string (free()). */
char *kt_slurp(const char *path, size_t *len);

/* GEOS geometry from WKT, for the test's context. */
GEOSGeometry *kt_wkt(const char *wkt);

#endif
