/*
 * bench_geom: OGR -> GEOS -> OGR conversion, kcn's coordinate-array path
 * against the WKB round trip, on the buildings of a FlatGeobuf file.
 * Run by "make bench":  bench_geom buildings.fgb
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kcn.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct kcn_ctx *ctx;
	GDALDatasetH ds;
	OGRLayerH l;
	OGRFeatureH f;
	OGRGeometryH *geoms;
	GEOSContextHandle_t h;
	GEOSWKBReader *rd;
	GEOSWKBWriter *wr;
	size_t n = 0, cap = 1024;
	double t0, t_kcn, t_wkb, pts = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_geom file\n");
		return 64;
	}
	ctx = kcn_ctx_new();
	h = kcn_ctx_geos(ctx);
	ds = GDALOpenEx(argv[1], GDAL_OF_VECTOR, NULL, NULL, NULL);
	if (ds == NULL) {
		fprintf(stderr, "bench_geom: %s: cannot open\n", argv[1]);
		return 66;
	}
	l = GDALDatasetGetLayer(ds, 0);
	geoms = malloc(cap * sizeof(*geoms));
	while ((f = OGR_L_GetNextFeature(l)) != NULL) {
		if (n == cap)
			geoms = realloc(geoms, (cap *= 2) * sizeof(*geoms));
		geoms[n] = OGR_F_StealGeometry(f);
		pts += OGR_G_GetPointCount(OGR_G_GetGeometryRef(geoms[n], 0));
		n++;
		OGR_F_Destroy(f);
	}
	t0 = now();
	for (size_t i = 0; i < n; i++) {
		GEOSGeometry *g = kcn_geom_to_geos(ctx, geoms[i]);
		OGRGeometryH back = kcn_geom_from_geos(ctx, g);

		GEOSGeom_destroy_r(h, g);
		OGR_G_DestroyGeometry(back);
	}
	t_kcn = now() - t0;
	rd = GEOSWKBReader_create_r(h);
	wr = GEOSWKBWriter_create_r(h);
	t0 = now();
	for (size_t i = 0; i < n; i++) {
		int len = OGR_G_WkbSize(geoms[i]);
		unsigned char *buf = malloc(len), *out;
		size_t olen;
		GEOSGeometry *g;
		OGRGeometryH back = NULL;

		OGR_G_ExportToWkb(geoms[i], wkbNDR, buf);
		g = GEOSWKBReader_read_r(h, rd, buf, len);
		out = GEOSWKBWriter_write_r(h, wr, g, &olen);
		OGR_G_CreateFromWkb(out, NULL, &back, (int)olen);
		GEOSFree_r(h, out);
		GEOSGeom_destroy_r(h, g);
		OGR_G_DestroyGeometry(back);
		free(buf);
	}
	t_wkb = now() - t0;
	printf("geometry round trip OGR->GEOS->OGR, %zu polygons, %.0f points\n",
	    n, pts);
	printf("  kcn arrays %.3f s (%.0f k/s)   WKB %.3f s (%.0f k/s)   "
	    "ratio kcn/WKB %.2f\n", t_kcn, n / t_kcn / 1e3, t_wkb,
	    n / t_wkb / 1e3, t_kcn / t_wkb);
	for (size_t i = 0; i < n; i++)
		OGR_G_DestroyGeometry(geoms[i]);
	free(geoms);
	GEOSWKBReader_destroy_r(h, rd);
	GEOSWKBWriter_destroy_r(h, wr);
	GDALClose(ds);
	kcn_ctx_free(ctx);
	return 0;
}
