/*
 * bench_proj: PROJ's raw transform time for every coordinate of a layer,
 * the floor of reprojection besides reading and writing.  The layer's
 * coordinates are loaded into memory first, then transformed in place
 * by proj_trans_generic with the operation kcn-reproject would choose,
 * one call per line or ring, on one thread.
 * Run by "make bench":  bench_proj FILE SRS
 * Prints: points N seconds S operation NAME
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kcn_internal.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct parts {
	double *xy;		/* x then y of each part, back to back */
	size_t *len;		/* points per part */
	size_t n, cap, used, xycap;
};

static void
add_part(struct parts *p, OGRGeometryH g)
{
	int n = OGR_G_GetPointCount(g);

	if (n <= 0)
		return;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 4096;
		if ((p->len = realloc(p->len, p->cap * sizeof(*p->len))) ==
		    NULL)
			exit(71);
	}
	while (p->used + 2 * (size_t)n > p->xycap) {
		p->xycap = p->xycap ? p->xycap * 2 : 1 << 20;
		if ((p->xy = realloc(p->xy, p->xycap * sizeof(double))) ==
		    NULL)
			exit(71);
	}
	OGR_G_GetPoints(g, p->xy + p->used, sizeof(double),
	    p->xy + p->used + n, sizeof(double), NULL, 0);
	p->len[p->n++] = (size_t)n;
	p->used += 2 * (size_t)n;
}

static void
walk(struct parts *p, OGRGeometryH g)
{
	int n = OGR_G_GetGeometryCount(g);

	if (n == 0)
		add_part(p, g);
	for (int i = 0; i < n; i++)
		walk(p, OGR_G_GetGeometryRef(g, i));
}

int
main(int argc, char **argv)
{
	struct kcn_ctx *ctx;
	struct kcn_source *src;
	struct kcn_reader *rd;
	struct kcn_transform *tr;
	struct parts p = { 0 };
	OGRSpatialReferenceH from, to;
	OGRFeatureH f;
	OGREnvelope e;
	double ext[4], ll[4], t0, secs;
	size_t off = 0, pts = 0;
	PJ *op;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_proj file srs\n");
		return 64;
	}
	ctx = kcn_ctx_new();
	if ((src = kcn_source_open(ctx, argv[1], KCN_OPEN_VECTOR)) == NULL ||
	    (rd = kcn_reader_new(ctx, src, NULL)) == NULL) {
		fprintf(stderr, "bench_proj: %s: %s\n", kcn_ctx_where(ctx),
		    kcn_ctx_errmsg(ctx));
		return 66;
	}
	from = OSRClone(OGR_L_GetSpatialRef(kcn_reader_layer(rd)));
	OSRSetAxisMappingStrategy(from, OAMS_TRADITIONAL_GIS_ORDER);
	OGR_L_GetExtent(kcn_reader_layer(rd), &e, TRUE);
	ext[0] = e.MinX, ext[1] = e.MinY, ext[2] = e.MaxX, ext[3] = e.MaxY;
	kcn_extent_lonlat(ctx, from, ext, ll);
	to = kcn_crs_parse(ctx, argv[2], ll);
	if (to == NULL || (tr = kcn_transform_new(ctx, from, to, ll, 0)) ==
	    NULL) {
		fprintf(stderr, "bench_proj: %s\n", kcn_ctx_errmsg(ctx));
		return 78;
	}
	OGR_L_ResetReading(kcn_reader_layer(rd));
	while (kcn_reader_next(ctx, rd, &f) == KCN_OK && f != NULL) {
		if (OGR_F_GetGeometryRef(f) != NULL)
			walk(&p, OGR_F_GetGeometryRef(f));
		OGR_F_Destroy(f);
	}
	/* PROJ alone on the arrays, one call per line or ring. */
	op = kcni_transform_pj(tr);
	t0 = now();
	for (size_t i = 0; i < p.n; i++) {
		proj_trans_generic(op, PJ_FWD, p.xy + off, sizeof(double),
		    p.len[i], p.xy + off + p.len[i], sizeof(double), p.len[i],
		    NULL, 0, 0, NULL, 0, 0);
		off += 2 * p.len[i];
		pts += p.len[i];
	}
	secs = now() - t0;
	printf("points %zu seconds %.3f operation %s\n", pts, secs,
	    kcn_transform_info(tr)->name);
	kcn_transform_free(tr);
	OSRRelease(from);
	OSRRelease(to);
	kcn_reader_free(rd);
	kcn_source_close(ctx, src);
	kcn_ctx_free(ctx);
	free(p.xy);
	free(p.len);
	return 0;
}
