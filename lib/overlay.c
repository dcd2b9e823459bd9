/*
 * overlay.c: kcn-overlay's work: the stream (A) cut by a second layer
 * (B).  B is read whole, brought into A's CRS and repaired; each worker
 * holds its own GEOS copy of it with an STRtree and prepared geometries
 * (GEOS objects belong to one context).  A feature of A inside one B
 * polygon is kept whole without an overlay; only features on B's edges
 * are intersected.  A topology failure is retried on repaired, then on
 * snapped (precision-reduced) geometries; a feature that still fails is
 * reported and counted, never written half-done.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcn_internal.h"

/* What the workers share, read-only: B as OGR geometries in A's CRS. */
struct ov_conf {
	const struct kcn_overlay_opts *o;
	OGRGeometryH *b;
	size_t nb;
	double grid;		/* snapping grid for the last retry */
	atomic_llong slivers;	/* cut areas below min_area, dropped */
};

struct ov_worker {
	const struct ov_conf *c;
	GEOSContextHandle_t h;
	GEOSGeometry **b;
	const GEOSPreparedGeometry **prep;	/* made when first needed */
	GEOSSTRtree *tree;
	size_t nb;
	/* Candidates of the current query. */
	size_t *hits, nhits, cap;
};

static void
ov_fini(void *state)
{
	struct ov_worker *w = state;

	if (w->tree != NULL)
		GEOSSTRtree_destroy_r(w->h, w->tree);
	for (size_t i = 0; i < w->nb; i++) {
		if (w->prep[i] != NULL)
			GEOSPreparedGeom_destroy_r(w->h, w->prep[i]);
		GEOSGeom_destroy_r(w->h, w->b[i]);
	}
	free(w->b);
	free(w->prep);
	free(w->hits);
	free(w);
}

static void *
ov_init(struct kcn_ctx *wctx, void *ud)
{
	const struct ov_conf *c = ud;
	struct ov_worker *w = calloc(1, sizeof(*w));

	if (w == NULL)
		goto oom;
	w->c = c;
	w->h = kcn_ctx_geos(wctx);
	if ((w->b = calloc(c->nb + 1, sizeof(*w->b))) == NULL ||
	    (w->prep = calloc(c->nb + 1, sizeof(*w->prep))) == NULL ||
	    (w->tree = GEOSSTRtree_create_r(w->h, 10)) == NULL) {
		ov_fini(w);
		goto oom;
	}
	for (; w->nb < c->nb; w->nb++) {
		if ((w->b[w->nb] = kcn_geom_to_geos(wctx, c->b[w->nb])) ==
		    NULL) {
			ov_fini(w);
			return NULL;
		}
		/* The tree holds the index, to find the geometry again. */
		GEOSSTRtree_insert_r(w->h, w->tree, w->b[w->nb],
		    (void *)(w->nb + 1));
	}
	return w;
oom:
	kcni_error(wctx, KCN_EOS, "overlay", "out of memory");
	return NULL;
}

static void
ov_hit(void *item, void *ud)
{
	struct ov_worker *w = ud;

	if (w->nhits == w->cap) {
		size_t c = w->cap ? w->cap * 2 : 16;
		size_t *n = realloc(w->hits, c * sizeof(*n));

		if (n == NULL)
			return;
		w->hits = n;
		w->cap = c;
	}
	w->hits[w->nhits++] = (size_t)item - 1;
}

static const GEOSPreparedGeometry *
ov_prep(struct ov_worker *w, size_t i)
{
	if (w->prep[i] == NULL)
		w->prep[i] = GEOSPrepare_r(w->h, w->b[i]);
	return w->prep[i];
}

/*
 * A op B[i] for the candidates, or NULL with an error.  SNAP > 0 reduces
 * the precision to that grid (the last retry).
 */
static GEOSGeometry *
ov_apply_op(struct kcn_ctx *ctx, struct ov_worker *w, const GEOSGeometry *a,
    double snap)
{
	GEOSContextHandle_t h = w->h;
	int clip = w->c->o->op == KCN_OVERLAY_CLIP;
	GEOSGeometry *r = NULL, **pieces = NULL;
	size_t n = 0;

	kcni_geos_reset(ctx);
	if (!clip)
		r = GEOSGeom_clone_r(h, a);
	else if ((pieces = calloc(w->nhits + 1, sizeof(*pieces))) == NULL)
		return NULL;
	for (size_t k = 0; k < w->nhits; k++) {
		size_t i = w->hits[k];
		GEOSGeometry *x;

		if (GEOSPreparedIntersects_r(h, ov_prep(w, i), a) != 1)
			continue;
		if (clip) {
			x = snap > 0 ? GEOSIntersectionPrec_r(h, a, w->b[i],
			    snap) : GEOSIntersection_r(h, a, w->b[i]);
			if (x == NULL)
				goto fail;
			if (GEOSisEmpty_r(h, x))
				GEOSGeom_destroy_r(h, x);
			else
				pieces[n++] = x;
		} else {
			if (r == NULL)
				goto fail;
			x = snap > 0 ? GEOSDifferencePrec_r(h, r, w->b[i],
			    snap) : GEOSDifference_r(h, r, w->b[i]);
			GEOSGeom_destroy_r(h, r);
			if ((r = x) == NULL)
				goto fail;
		}
	}
	if (!clip)
		return r;
	if (n == 0)
		r = GEOSGeom_createEmptyPolygon_r(h);
	else if (n == 1)
		r = pieces[0];
	else {
		/* B's polygons may overlap: their pieces are merged. */
		GEOSGeometry *coll = GEOSGeom_createCollection_r(h,
		    GEOS_GEOMETRYCOLLECTION, pieces, (unsigned)n);

		n = 0;
		r = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
		if (coll != NULL)
			GEOSGeom_destroy_r(h, coll);
	}
	free(pieces);
	return r;
fail:
	for (size_t k = 0; k < n; k++)
		GEOSGeom_destroy_r(h, pieces[k]);
	free(pieces);
	return NULL;
}

/* The result's parts of A's own dimension (an edge touch is no area). */
static GEOSGeometry *
ov_same_dim(GEOSContextHandle_t h, GEOSGeometry *r, int dim)
{
	GEOSGeometry *k;

	if (r == NULL || (GEOSGeom_getDimensions_r(h, r) == dim &&
	    GEOSGeomTypeId_r(h, r) != GEOS_GEOMETRYCOLLECTION))
		return r;
	k = kcni_geom_keep_dim(h, r, dim);
	GEOSGeom_destroy_r(h, r);
	return k;
}

static enum kcn_status
ov_apply(struct kcn_ctx *wctx, void *state, OGRFeatureH *fp)
{
	struct ov_worker *w = state;
	GEOSContextHandle_t h = w->h;
	int clip = w->c->o->op == KCN_OVERLAY_CLIP, dim;
	OGRGeometryH og = OGR_F_GetGeometryRef(*fp), back;
	GEOSGeometry *a, *r, *fixed;
	int repaired = 0, inside = 0;
	double area;

	if (og == NULL || OGR_G_IsEmpty(og))
		return kcni_error(wctx, KCN_REJECTED, "overlay", "no geometry");
	if ((a = kcn_geom_to_geos(wctx, og)) == NULL)
		return KCN_REJECTED;
	dim = GEOSGeom_getDimensions_r(h, a);
	if (!kcni_geom_surely_valid(h, a) && GEOSisValid_r(h, a) != 1) {
		if ((fixed = kcn_geom_repair(wctx, a, dim)) == NULL) {
			GEOSGeom_destroy_r(h, a);
			return KCN_REJECTED;
		}
		GEOSGeom_destroy_r(h, a);
		a = fixed;
		repaired = 1;
		kcni_note(wctx, "invalid geometry repaired before the overlay");
	}
	w->nhits = 0;
	GEOSSTRtree_query_r(h, w->tree, a, ov_hit, w);
	/* The fast paths: nothing near, or inside one polygon of B. */
	for (size_t k = 0; k < w->nhits && !inside; k++)
		inside = GEOSPreparedContains_r(h, ov_prep(w, w->hits[k]), a) ==
		    1;
	if (inside || w->nhits == 0) {
		/* Kept whole (its repair, if any, kept too), or left out. */
		if (clip == inside) {
			if (repaired && (back = kcn_geom_from_geos(wctx, a)) !=
			    NULL)
				OGR_F_SetGeometryDirectly(*fp, back);
		} else {
			OGR_F_Destroy(*fp);
			*fp = NULL;
		}
		GEOSGeom_destroy_r(h, a);
		return KCN_OK;
	}
	if ((r = ov_apply_op(wctx, w, a, 0)) == NULL) {
		/* A topology failure: once more on a snapped copy. */
		kcni_note(wctx, "overlay retried on a %g grid: %s",
		    w->c->grid, kcni_geos_msg(wctx));
		r = ov_apply_op(wctx, w, a, w->c->grid);
	}
	GEOSGeom_destroy_r(h, a);
	if (r == NULL)
		return kcni_error(wctx, KCN_REJECTED, "overlay", "GEOS cannot "
		    "compute it: %s", kcni_geos_msg(wctx));
	if ((r = ov_same_dim(h, r, dim)) == NULL)
		return kcni_error(wctx, KCN_EOS, "overlay", "out of memory");
	if (!GEOSisEmpty_r(h, r) && dim == 2 && w->c->o->min_area > 0 &&
	    GEOSArea_r(h, r, &area) && area < w->c->o->min_area) {
		/* A sliver of an edge: counted and dropped. */
		atomic_fetch_add((atomic_llong *)&w->c->slivers, 1);
		GEOSGeom_destroy_r(h, r);
		r = GEOSGeom_createEmptyPolygon_r(h);
	}
	if (r == NULL || GEOSisEmpty_r(h, r)) {
		if (r != NULL)
			GEOSGeom_destroy_r(h, r);
		OGR_F_Destroy(*fp);
		*fp = NULL;
		return KCN_OK;
	}
	back = kcn_geom_from_geos(wctx, r);
	GEOSGeom_destroy_r(h, r);
	if (back == NULL)
		return KCN_REJECTED;
	OGR_F_SetGeometryDirectly(*fp, back);
	return KCN_OK;
}

/* Reads B whole into C, in A's CRS (SRS), repaired where invalid. */
static enum kcn_status
ov_load(struct kcn_ctx *ctx, const struct kcn_overlay_opts *o,
    OGRSpatialReferenceH srs, struct ov_conf *c)
{
	struct kcn_source *src;
	struct kcn_reader *rd = NULL;
	struct kcn_transform *tr = NULL;
	GEOSContextHandle_t h = kcn_ctx_geos(ctx);
	OGRSpatialReferenceH bsrs = NULL;
	OGRFeatureH f;
	OGREnvelope e, all = { 0, 0, 0, 0 };
	enum kcn_status st = KCN_OK;
	size_t cap = 0;
	int first = 1;

	if ((src = kcn_source_open(ctx, o->b_path, KCN_OPEN_VECTOR)) == NULL)
		return kcn_ctx_status(ctx);
	if ((rd = kcn_reader_new(ctx, src, o->b_layer)) == NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	if ((st = kcni_layer_crs(ctx, o->b_path, kcn_reader_layer(rd), NULL,
	    0, &bsrs)) != KCN_OK)
		goto out;
	if (!OSRIsSame(bsrs, srs)) {
		double ext[4], ll[4];
		int have;

		have = OGR_L_GetExtent(kcn_reader_layer(rd), &e, TRUE) ==
		    OGRERR_NONE;
		OGR_L_ResetReading(kcn_reader_layer(rd));
		ext[0] = e.MinX, ext[1] = e.MinY, ext[2] = e.MaxX;
		ext[3] = e.MaxY;
		have = have && kcn_extent_lonlat(ctx, bsrs, ext, ll) == KCN_OK;
		kcn_ctx_clear(ctx);
		tr = kcn_transform_new(ctx, bsrs, srs, have ? ll : NULL, 0);
		if (tr == NULL) {
			st = kcn_ctx_status(ctx);
			goto out;
		}
		kcni_msg(ctx, KCN_MSG_INFO, o->b_path, "brought into the "
		    "stream's CRS by %s", kcn_transform_info(tr)->name);
	}
	while ((st = kcn_reader_next(ctx, rd, &f)) == KCN_OK && f != NULL) {
		OGRGeometryH g = OGR_F_StealGeometry(f);
		GEOSGeometry *gg, *v;

		OGR_F_Destroy(f);
		if (g == NULL || OGR_G_IsEmpty(g) ||
		    OGR_G_GetDimension(g) != 2) {
			if (g != NULL)
				OGR_G_DestroyGeometry(g);
			continue;	/* only areas cut */
		}
		if (tr != NULL && (st = kcn_transform_geom(ctx, tr, g)) !=
		    KCN_OK) {
			OGR_G_DestroyGeometry(g);
			goto out;
		}
		/* Repaired once here, not in every worker. */
		if ((gg = kcn_geom_to_geos(ctx, g)) == NULL) {
			kcni_msg(ctx, KCN_MSG_WARNING, o->b_path, "an area "
			    "left out: %s", kcn_ctx_errmsg(ctx));
			kcn_ctx_clear(ctx);
			OGR_G_DestroyGeometry(g);
			continue;
		}
		if (GEOSisValid_r(h, gg) != 1 && (v = kcn_geom_repair(ctx, gg,
		    2)) != NULL) {
			OGR_G_DestroyGeometry(g);
			g = kcn_geom_from_geos(ctx, v);
			GEOSGeom_destroy_r(h, v);
		}
		GEOSGeom_destroy_r(h, gg);
		if (g == NULL) {
			st = kcn_ctx_status(ctx);
			goto out;
		}
		if (c->nb == cap) {
			OGRGeometryH *n;

			cap = cap ? cap * 2 : 256;
			if ((n = realloc(c->b, cap * sizeof(*n))) == NULL) {
				OGR_G_DestroyGeometry(g);
				st = kcni_error(ctx, KCN_EOS, o->b_path,
				    "out of memory");
				goto out;
			}
			c->b = n;
		}
		OGR_G_GetEnvelope(g, &e);
		if (first)
			all = e, first = 0;
		all.MinX = fmin(all.MinX, e.MinX);
		all.MaxX = fmax(all.MaxX, e.MaxX);
		all.MinY = fmin(all.MinY, e.MinY);
		all.MaxY = fmax(all.MaxY, e.MaxY);
		c->b[c->nb++] = g;
	}
	/* A billionth of B's extent: far below any planning detail. */
	if (c->nb > 0)
		c->grid = fmax(all.MaxX - all.MinX, all.MaxY - all.MinY) *
		    1e-9;
out:
	if (bsrs != NULL)
		OSRRelease(bsrs);
	kcn_transform_free(tr);
	kcn_reader_free(rd);
	if (kcn_source_close(ctx, src) != KCN_OK && st == KCN_OK)
		st = kcn_ctx_status(ctx);
	return st;
}

enum kcn_status
kcn_overlay_run(struct kcn_ctx *ctx, const char *path,
    const struct kcn_overlay_opts *o)
{
	struct kcn_source *src;
	struct kcn_reader *rd = NULL;
	struct kcn_writer *wr = NULL;
	struct ov_conf conf = { o, NULL, 0, 0, 0 };
	struct kcni_stage stage = { ov_init, ov_apply, ov_fini, &conf };
	struct kcni_tally tally = { 0 };
	OGRSpatialReferenceH srs;
	OGRLayerH layer;
	enum kcn_status st;

	if ((src = kcn_source_open(ctx, path, KCN_OPEN_VECTOR)) == NULL)
		return kcn_ctx_status(ctx);
	if ((rd = kcn_reader_new(ctx, src, o->layer)) == NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	layer = kcn_reader_layer(rd);
	if ((st = kcni_layer_crs(ctx, path, layer, NULL, 0, &srs)) != KCN_OK)
		goto out;
	if (o->min_area > 0 && (!OSRIsProjected(srs) ||
	    fabs(OSRGetLinearUnits(srs, NULL) - 1) > 1e-12)) {
		OSRRelease(srs);
		st = kcni_error(ctx, KCN_EUSAGE, "--min-area", "square metres "
		    "need a CRS in metres: bring the stream into one first "
		    "(kcn-reproject -t local)");
		goto out;
	}
	st = ov_load(ctx, o, srs, &conf);
	if (st == KCN_OK)
		wr = kcn_writer_open(ctx, &o->out, OGR_L_GetName(layer),
		    kcni_gtype_multi(OGR_L_GetGeomType(layer)), srs,
		    OGR_L_GetLayerDefn(layer));
	OSRRelease(srs);
	if (st != KCN_OK || wr == NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	kcni_msg(ctx, KCN_MSG_INFO, o->b_path, "%zu areas to %s with",
	    conf.nb, o->op == KCN_OVERLAY_CLIP ? "clip" : "erase");
	st = kcni_pipeline_finish(ctx, rd, wr, &stage, o->threads, path,
	    &tally, "written");
	if ((st == KCN_OK || st == KCN_REJECTED) && tally.dropped > 0)
		kcni_msg(ctx, KCN_MSG_INFO, path, "%lld features left out: "
		    "wholly %s, or slivers", tally.dropped, o->op ==
		    KCN_OVERLAY_CLIP ? "outside the clipping areas" :
		    "inside the erased areas");
	if ((st == KCN_OK || st == KCN_REJECTED) && conf.slivers > 0)
		kcni_msg(ctx, KCN_MSG_WARNING, path, "%lld slivers below %g "
		    "square metres dropped", (long long)conf.slivers,
		    o->min_area);
out:
	for (size_t i = 0; i < conf.nb; i++)
		OGR_G_DestroyGeometry(conf.b[i]);
	free(conf.b);
	kcni_tally_free(&tally);
	kcn_reader_free(rd);
	if (kcn_source_close(ctx, src) != KCN_OK && st == KCN_OK)
		st = kcn_ctx_status(ctx);
	return st;
}
