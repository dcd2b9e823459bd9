/*
 * overlay.c: kcn-overlay's work: the stream (A) cut by a second layer
 * (B).  B is read whole, brought into A's CRS and repaired; each worker
 * holds its own GEOS copy of it with an STRtree and prepared geometries
 * (GEOS objects belong to one context).  Areas that are rectangles are
 * cut by GEOS's rectangle clipping.  For each feature of A, the
 * candidate areas of B give its parts within each (A's whole where an
 * area contains it, without an overlay) and its part outside them all,
 * as the operation needs; clip and erase keep A's feature whole, or drop
 * it, when it lies inside one area.  The parts of B outside A (union,
 * symdifference) are made after the stream, from the parts of A inside
 * each area kept meanwhile.  A topology failure is retried on snapped
 * (precision-reduced) geometries; a feature that still fails is reported
 * and counted, never written half-done.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kcn_internal.h"

/* A part of A inside B[b], kept as WKB for B's leftover (union,
   symdifference). */
struct ov_piece {
	size_t b, len;
	unsigned char *wkb;
};

/* An area of B that is an axis-aligned rectangle, clipped to fast. */
struct ov_rect {
	int is;
	double x0, y0, x1, y1;
};

/* What the workers share, read-only but for the pieces: B in A's CRS. */
struct ov_conf {
	const struct kcn_overlay_opts *o;
	OGRGeometryH *b;
	OGRFeatureH *bf;	/* B's fields (geometry taken out) */
	struct ov_rect *rect;	/* which areas are rectangles */
	size_t nb;
	double grid;		/* snapping grid for the last retry */
	atomic_llong slivers;	/* cut areas below min_area, dropped */
	/* The output's fields, for all but clip and erase. */
	OGRFeatureDefnH defn;
	int *amap, *bmap;	/* A's and B's fields there, or -1 */
	/* The parts of A inside each area of B, when B's rest is wanted. */
	pthread_mutex_t mu;
	struct ov_piece *piece;
	size_t npiece, cappiece;
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
	int lost;		/* one could not be kept: out of memory */
};

/* What the operation makes of one feature of A. */
struct ov_res {
	GEOSGeometry **cut;	/* A within B[at[k]] */
	size_t *at, ncut;
	GEOSGeometry *rest;	/* A outside B, when wanted */
};

/* Which parts OP writes, or needs. */
static int
ov_wants_cut(enum kcn_overlay_op op)
{
	return op != KCN_OVERLAY_ERASE;
}

static int
ov_wants_rest(enum kcn_overlay_op op)
{
	return op != KCN_OVERLAY_CLIP && op != KCN_OVERLAY_INTERSECT;
}

static int
ov_wants_b_rest(enum kcn_overlay_op op)
{
	return op == KCN_OVERLAY_UNION || op == KCN_OVERLAY_SYMDIFFERENCE;
}

static const char *const ov_names[] = { "clip", "erase", "intersect",
    "identity", "union", "symdifference" };

int
kcn_overlay_op_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(ov_names) / sizeof(*ov_names); i++)
		if (strcmp(name, ov_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
kcn_overlay_op_name(enum kcn_overlay_op op)
{
	return (size_t)op < sizeof(ov_names) / sizeof(*ov_names) ?
	    ov_names[op] : "?";
}

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

		if (n == NULL) {
			w->lost = 1;
			return;
		}
		w->hits = n;
		w->cap = c;
	}
	w->hits[w->nhits++] = (size_t)item - 1;
}

static int
ov_cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static const GEOSPreparedGeometry *
ov_prep(struct ov_worker *w, size_t i)
{
	if (w->prep[i] == NULL)
		w->prep[i] = GEOSPrepare_r(w->h, w->b[i]);
	return w->prep[i];
}

/* The result's parts of dimension DIM (an edge touch is no area). */
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

static void
ov_res_free(GEOSContextHandle_t h, struct ov_res *r)
{
	for (size_t k = 0; k < r->ncut; k++)
		GEOSGeom_destroy_r(h, r->cut[k]);
	free(r->cut);
	free(r->at);
	if (r->rest != NULL)
		GEOSGeom_destroy_r(h, r->rest);
	memset(r, 0, sizeof(*r));
}

/* X op Y, snapped to a grid of SNAP when SNAP > 0 (the last retry). */
static GEOSGeometry *
ov_meet(GEOSContextHandle_t h, const GEOSGeometry *x, const GEOSGeometry *y,
    double snap)
{
	return snap > 0 ? GEOSIntersectionPrec_r(h, x, y, snap) :
	    GEOSIntersection_r(h, x, y);
}

static GEOSGeometry *
ov_minus(GEOSContextHandle_t h, const GEOSGeometry *x, const GEOSGeometry *y,
    double snap)
{
	return snap > 0 ? GEOSDifferencePrec_r(h, x, y, snap) :
	    GEOSDifference_r(h, x, y);
}

/*
 * A within the worker's B[I]: by GEOS's rectangle clipping where that is
 * a rectangle and A an area, which is faster but may return an invalid
 * result (then, and on the snapped retry, by the overlay).
 */
static GEOSGeometry *
ov_clip(struct ov_worker *w, size_t i, const GEOSGeometry *a, double snap)
{
	GEOSContextHandle_t h = w->h;
	const struct ov_rect *r = &w->c->rect[i];
	GEOSGeometry *x;

	/* Areas only: it takes a rectangle's edge as outside, so points
	   and lines on it would be lost. */
	if (r->is && snap == 0 && GEOSGeom_getDimensions_r(h, a) == 2 &&
	    (x = GEOSClipByRect_r(h, a, r->x0, r->y0, r->x1, r->y1)) != NULL) {
		if (kcni_geom_surely_valid(h, x) || GEOSisValid_r(h, x) == 1)
			return x;
		GEOSGeom_destroy_r(h, x);
	}
	return ov_meet(h, a, w->b[i], snap);
}

/*
 * The parts of A (of dimension DIM) within each candidate area and
 * outside them all, as the operation needs them; 0 on a GEOS failure.
 */
static int
ov_compute(struct kcn_ctx *ctx, struct ov_worker *w, const GEOSGeometry *a,
    int dim, double snap, struct ov_res *r)
{
	GEOSContextHandle_t h = w->h;
	enum kcn_overlay_op op = w->c->o->op;

	memset(r, 0, sizeof(*r));
	kcni_geos_reset(ctx);
	if ((r->cut = calloc(w->nhits + 1, sizeof(*r->cut))) == NULL ||
	    (r->at = calloc(w->nhits + 1, sizeof(*r->at))) == NULL)
		goto fail;
	if (ov_wants_rest(op) && (r->rest = GEOSGeom_clone_r(h, a)) == NULL)
		goto fail;
	for (size_t k = 0; k < w->nhits; k++) {
		size_t i = w->hits[k];
		const GEOSPreparedGeometry *p = ov_prep(w, i);
		GEOSGeometry *x;
		int within;

		if (GEOSPreparedIntersects_r(h, p, a) != 1)
			continue;
		within = GEOSPreparedContains_r(h, p, a) == 1;
		if (ov_wants_cut(op)) {
			x = within ? GEOSGeom_clone_r(h, a) :
			    ov_same_dim(h, ov_clip(w, i, a, snap), dim);
			if (x == NULL)
				goto fail;
			if (GEOSisEmpty_r(h, x))
				GEOSGeom_destroy_r(h, x);
			else {
				r->at[r->ncut] = i;
				r->cut[r->ncut++] = x;
			}
		}
		if (r->rest != NULL && !GEOSisEmpty_r(h, r->rest)) {
			x = within ? GEOSGeom_createEmptyPolygon_r(h) :
			    ov_minus(h, r->rest, w->b[i], snap);
			GEOSGeom_destroy_r(h, r->rest);
			if ((r->rest = x) == NULL)
				goto fail;
		}
	}
	if (r->rest != NULL && (r->rest = ov_same_dim(h, r->rest, dim)) ==
	    NULL)
		goto fail;
	return 1;
fail:
	ov_res_free(h, r);
	return 0;
}

/* Merges the pieces of R into its first (clip: pieces of overlapping
   areas of B would overlap); 0 on failure. */
static int
ov_merge(GEOSContextHandle_t h, struct ov_res *r)
{
	GEOSGeometry *coll, *u;

	if (r->ncut < 2)
		return 1;
	coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION,
	    r->cut, (unsigned)r->ncut);
	r->ncut = 0;		/* GEOS took them, even on failure */
	if (coll == NULL)
		return 0;
	u = GEOSUnaryUnion_r(h, coll);
	GEOSGeom_destroy_r(h, coll);
	if (u == NULL)
		return 0;
	r->cut[0] = u;
	r->ncut = 1;
	return 1;
}

/* Whether G is a sliver to drop (counted). */
static int
ov_sliver(struct ov_worker *w, const GEOSGeometry *g, int dim)
{
	double area;

	if (dim != 2 || w->c->o->min_area <= 0 ||
	    !GEOSArea_r(w->h, g, &area) || area >= w->c->o->min_area)
		return 0;
	atomic_fetch_add((atomic_llong *)&w->c->slivers, 1);
	return 1;
}

/* Keeps a copy of the part G of A inside B[B], for B's leftover. */
static enum kcn_status
ov_keep_piece(struct kcn_ctx *ctx, struct ov_worker *w, size_t b,
    const GEOSGeometry *g)
{
	struct ov_conf *c = (struct ov_conf *)w->c;
	size_t len;
	unsigned char *wkb = GEOSGeomToWKB_buf_r(w->h, g, &len), *copy;
	enum kcn_status st = KCN_OK;

	copy = wkb != NULL ? malloc(len) : NULL;
	if (copy != NULL)
		memcpy(copy, wkb, len);
	if (wkb != NULL)
		GEOSFree_r(w->h, wkb);
	if (copy == NULL)
		return kcni_error(ctx, KCN_EOS, "overlay", "out of memory");
	pthread_mutex_lock(&c->mu);
	if (c->npiece == c->cappiece) {
		size_t cap = c->cappiece ? c->cappiece * 2 : 1024;
		struct ov_piece *n = realloc(c->piece, cap * sizeof(*n));

		if (n == NULL) {
			st = kcni_error(ctx, KCN_EOS, "overlay",
			    "out of memory");
			free(copy);
			pthread_mutex_unlock(&c->mu);
			return st;
		}
		c->piece = n;
		c->cappiece = cap;
	}
	c->piece[c->npiece].b = b;
	c->piece[c->npiece].len = len;
	c->piece[c->npiece].wkb = copy;
	c->npiece++;
	pthread_mutex_unlock(&c->mu);
	return st;
}

/*
 * A new output feature with A's fields (AF, or none), B[B]'s (or none:
 * B = nb) and the geometry G.
 */
static OGRFeatureH
ov_feature(struct kcn_ctx *ctx, const struct ov_conf *c, OGRFeatureH af,
    size_t b, const GEOSGeometry *g)
{
	OGRFeatureH out = OGR_F_Create(c->defn);
	OGRGeometryH og;

	if (out == NULL) {
		kcni_error(ctx, KCN_EOS, "overlay", "out of memory");
		return NULL;
	}
	if ((af != NULL && OGR_F_SetFromWithMap(out, af, TRUE, c->amap) !=
	    OGRERR_NONE) || (b < c->nb && OGR_F_SetFromWithMap(out, c->bf[b],
	    TRUE, c->bmap) != OGRERR_NONE)) {
		OGR_F_Destroy(out);
		kcni_error(ctx, KCN_REJECTED, "overlay", "the fields do not "
		    "fit the output");
		return NULL;
	}
	if (af != NULL)
		OGR_F_SetFID(out, OGR_F_GetFID(af));
	if ((og = kcn_geom_from_geos(ctx, g)) == NULL) {
		OGR_F_Destroy(out);
		return NULL;
	}
	OGR_F_SetGeometryDirectly(out, og);
	return out;
}

/*
 * Intersect, identity, union, symdifference: the pieces of R as new
 * features (the first in *FP, in place of A's; the rest emitted).
 */
static enum kcn_status
ov_write_pieces(struct kcn_ctx *wctx, struct ov_worker *w, OGRFeatureH *fp,
    struct ov_res *r, int dim)
{
	OGRFeatureH af = *fp, f;
	enum kcn_status st = KCN_OK;
	int n = 0;

	for (size_t k = 0; k < r->ncut && st == KCN_OK; k++) {
		if (w->c->o->op == KCN_OVERLAY_SYMDIFFERENCE ||
		    ov_sliver(w, r->cut[k], dim))
			continue;
		if ((f = ov_feature(wctx, w->c, af, r->at[k], r->cut[k])) ==
		    NULL)
			st = kcn_ctx_status(wctx);
		else
			st = n++ == 0 ? (*fp = f, KCN_OK) : kcni_emit(wctx, f);
	}
	if (st == KCN_OK && r->rest != NULL && !GEOSisEmpty_r(w->h, r->rest) &&
	    !ov_sliver(w, r->rest, dim)) {
		if ((f = ov_feature(wctx, w->c, af, w->c->nb, r->rest)) ==
		    NULL)
			st = kcn_ctx_status(wctx);
		else
			st = n++ == 0 ? (*fp = f, KCN_OK) : kcni_emit(wctx, f);
	}
	/* Kept for B's leftover once the feature is whole, not before: a
	   rejected feature's area is in neither. */
	for (size_t k = 0; k < r->ncut && st == KCN_OK &&
	    ov_wants_b_rest(w->c->o->op); k++)
		st = ov_keep_piece(wctx, w, r->at[k], r->cut[k]);
	if (st != KCN_OK) {
		if (n > 0 && *fp != af)
			OGR_F_Destroy(*fp);
		*fp = af;	/* the pipeline frees it */
		return st;
	}
	if (n == 0)
		*fp = NULL;
	OGR_F_Destroy(af);
	return KCN_OK;
}

/* Clip and erase: A's own feature, cut, or dropped. */
static enum kcn_status
ov_write_cut(struct kcn_ctx *wctx, struct ov_worker *w, OGRFeatureH *fp,
    struct ov_res *r, int dim)
{
	GEOSGeometry *g = w->c->o->op == KCN_OVERLAY_CLIP ?
	    (r->ncut > 0 ? r->cut[0] : NULL) : r->rest;
	OGRGeometryH back;

	if (g == NULL || GEOSisEmpty_r(w->h, g) || ov_sliver(w, g, dim)) {
		OGR_F_Destroy(*fp);
		*fp = NULL;
		return KCN_OK;
	}
	if ((back = kcn_geom_from_geos(wctx, g)) == NULL)
		return KCN_REJECTED;
	OGR_F_SetGeometryDirectly(*fp, back);
	return KCN_OK;
}

static enum kcn_status
ov_apply(struct kcn_ctx *wctx, void *state, OGRFeatureH *fp)
{
	struct ov_worker *w = state;
	GEOSContextHandle_t h = w->h;
	enum kcn_overlay_op op = w->c->o->op;
	int own = op == KCN_OVERLAY_CLIP || op == KCN_OVERLAY_ERASE, dim;
	OGRGeometryH og = OGR_F_GetGeometryRef(*fp), back;
	GEOSGeometry *a, *fixed;
	struct ov_res r;
	enum kcn_status st;
	int repaired = 0, inside = 0;

	if (og == NULL || OGR_G_IsEmpty(og))
		return kcni_error(wctx, KCN_REJECTED, "overlay", "no geometry");
	if ((a = kcn_geom_to_geos(wctx, og)) == NULL)
		return KCN_REJECTED;
	dim = GEOSGeom_getDimensions_r(h, a);
	if (dim != 2 && ov_wants_b_rest(op)) {
		GEOSGeom_destroy_r(h, a);
		return kcni_error(wctx, KCN_REJECTED, "overlay", "%s needs "
		    "areas, not %s", kcn_overlay_op_name(op), dim ? "lines" :
		    "points");
	}
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
	w->lost = 0;
	GEOSSTRtree_query_r(h, w->tree, a, ov_hit, w);
	if (w->lost) {
		GEOSGeom_destroy_r(h, a);
		return kcni_error(wctx, KCN_EOS, "overlay", "out of memory");
	}
	/* In B's order: the pieces of one feature come out in it. */
	if (w->nhits > 1)
		qsort(w->hits, w->nhits, sizeof(*w->hits), ov_cmp_size);
	/* Clip and erase's fast path: inside one polygon of B. */
	for (size_t k = 0; own && k < w->nhits && !inside; k++)
		inside = GEOSPreparedContains_r(h, ov_prep(w, w->hits[k]), a) ==
		    1;
	if (own && (inside || w->nhits == 0)) {
		/* Kept whole (its repair, if any, kept too), or left out. */
		if ((op == KCN_OVERLAY_CLIP) == inside) {
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
	/* The others' fields come from A's feature: its shape is in A. */
	if (!own)
		OGR_G_DestroyGeometry(OGR_F_StealGeometry(*fp));
	if (!ov_compute(wctx, w, a, dim, 0, &r) ||
	    (op == KCN_OVERLAY_CLIP && !ov_merge(h, &r))) {
		/* A topology failure: once more on a snapped copy. */
		ov_res_free(h, &r);
		kcni_note(wctx, "overlay retried on a %g grid: %s",
		    w->c->grid, kcni_geos_msg(wctx));
		if (!ov_compute(wctx, w, a, dim, w->c->grid, &r) ||
		    (op == KCN_OVERLAY_CLIP && !ov_merge(h, &r))) {
			ov_res_free(h, &r);
			GEOSGeom_destroy_r(h, a);
			return kcni_error(wctx, KCN_REJECTED, "overlay",
			    "GEOS cannot compute it: %s", kcni_geos_msg(wctx));
		}
	}
	GEOSGeom_destroy_r(h, a);
	st = own ? ov_write_cut(wctx, w, fp, &r, dim) :
	    ov_write_pieces(wctx, w, fp, &r, dim);
	ov_res_free(h, &r);
	return st;
}

static int
ov_cmp_piece(const void *x, const void *y)
{
	const struct ov_piece *p = x, *q = y;

	if (p->b != q->b)
		return p->b < q->b ? -1 : 1;
	if (p->len != q->len)
		return p->len < q->len ? -1 : 1;
	return memcmp(p->wkb, q->wkb, p->len);
}

/* B[I] less the pieces P[0..N) of A inside it; NULL on failure. */
static GEOSGeometry *
ov_b_less(GEOSContextHandle_t h, const GEOSGeometry *b,
    const struct ov_piece *p, size_t n, double snap)
{
	GEOSGeometry **g = calloc(n + 1, sizeof(*g)), *coll, *u, *r;
	size_t k;

	if (g == NULL)
		return NULL;
	for (k = 0; k < n; k++)
		if ((g[k] = GEOSGeomFromWKB_buf_r(h, p[k].wkb, p[k].len)) ==
		    NULL)
			break;
	if (k < n) {
		while (k > 0)
			GEOSGeom_destroy_r(h, g[--k]);
		free(g);
		return NULL;
	}
	coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, g,
	    (unsigned)n);
	free(g);
	if (coll == NULL)
		return NULL;
	u = snap > 0 ? GEOSUnaryUnionPrec_r(h, coll, snap) :
	    GEOSUnaryUnion_r(h, coll);
	GEOSGeom_destroy_r(h, coll);
	if (u == NULL)
		return NULL;
	r = ov_minus(h, b, u, snap);
	GEOSGeom_destroy_r(h, u);
	return ov_same_dim(h, r, 2);
}

/*
 * Union and symdifference, after the stream: the part of each area of B
 * outside A, written with B's fields.  The pieces are sorted first, so
 * the result does not depend on the order the threads kept them in.
 */
static enum kcn_status
ov_b_rest(struct kcn_ctx *ctx, struct ov_conf *c, struct kcn_writer *wr,
    struct ov_worker *w, long long *written)
{
	GEOSContextHandle_t h = w->h;
	enum kcn_status st = KCN_OK;
	size_t j = 0;

	qsort(c->piece, c->npiece, sizeof(*c->piece), ov_cmp_piece);
	for (size_t i = 0; i < c->nb && st == KCN_OK; i++) {
		size_t k = j;
		GEOSGeometry *r;
		OGRFeatureH f;

		while (k < c->npiece && c->piece[k].b == i)
			k++;
		kcni_geos_reset(ctx);
		if (k == j)
			r = GEOSGeom_clone_r(h, w->b[i]);
		else if ((r = ov_b_less(h, w->b[i], c->piece + j, k - j, 0)) ==
		    NULL) {
			kcni_msg(ctx, KCN_MSG_INFO, c->o->b_path, "area %zu "
			    "retried on a %g grid: %s", i + 1, c->grid,
			    kcni_geos_msg(ctx));
			r = ov_b_less(h, w->b[i], c->piece + j, k - j,
			    c->grid);
		}
		j = k;
		if (r == NULL)
			return kcni_error(ctx, KCN_EOS, c->o->b_path, "area "
			    "%zu: GEOS cannot take the stream out of it: %s",
			    i + 1, kcni_geos_msg(ctx));
		if (!GEOSisEmpty_r(h, r) && !ov_sliver(w, r, 2)) {
			if ((f = ov_feature(ctx, c, NULL, i, r)) == NULL)
				st = kcn_ctx_status(ctx);
			else {
				st = kcn_writer_write(ctx, wr, f);
				OGR_F_Destroy(f);
				(*written)++;
			}
		}
		GEOSGeom_destroy_r(h, r);
	}
	return st;
}

/*
 * The output's fields for intersect and the others: A's, then those of
 * B's asked for, renamed b_NAME (b_NAME_2, ...) where the name is taken.
 */
static enum kcn_status
ov_fields(struct kcn_ctx *ctx, struct ov_conf *c, OGRFeatureDefnH ad,
    OGRFeatureDefnH bd)
{
	const struct kcn_overlay_opts *o = c->o;
	int na = OGR_FD_GetFieldCount(ad), nbf = OGR_FD_GetFieldCount(bd);

	if (o->b_fields != NULL)
		for (char **f = o->b_fields; *f != NULL; f++)
			if (OGR_FD_GetFieldIndex(bd, *f) < 0)
				return kcni_error(ctx, KCN_EUSAGE,
				    "--b-fields", "%s has no field '%s'",
				    o->b_path, *f);
	c->defn = OGR_FD_Create(OGR_FD_GetName(ad));
	c->amap = calloc(na + 1, sizeof(int));
	c->bmap = calloc(nbf + 1, sizeof(int));
	if (c->defn == NULL || c->amap == NULL || c->bmap == NULL)
		return kcni_error(ctx, KCN_EOS, "overlay", "out of memory");
	OGR_FD_Reference(c->defn);
	for (int i = 0; i < na; i++) {
		OGR_FD_AddFieldDefn(c->defn, OGR_FD_GetFieldDefn(ad, i));
		c->amap[i] = i;
	}
	for (int i = 0; i < nbf; i++) {
		OGRFieldDefnH fd = OGR_FD_GetFieldDefn(bd, i), nd;
		const char *name = OGR_Fld_GetNameRef(fd);
		char buf[256];
		int keep = o->b_fields == NULL;

		for (char **f = o->b_fields; !keep && *f != NULL; f++)
			keep = strcasecmp(*f, name) == 0;
		c->bmap[i] = -1;
		if (!keep)
			continue;
		snprintf(buf, sizeof(buf), "%s", name);
		for (int k = 1; OGR_FD_GetFieldIndex(c->defn, buf) >= 0; k++)
			if (k == 1)
				snprintf(buf, sizeof(buf), "b_%s", name);
			else
				snprintf(buf, sizeof(buf), "b_%s_%d", name, k);
		if ((nd = OGR_Fld_Create(buf, OGR_Fld_GetType(fd))) == NULL)
			return kcni_error(ctx, KCN_EOS, "overlay",
			    "out of memory");
		OGR_Fld_SetSubType(nd, OGR_Fld_GetSubType(fd));
		OGR_Fld_SetWidth(nd, OGR_Fld_GetWidth(fd));
		OGR_Fld_SetPrecision(nd, OGR_Fld_GetPrecision(fd));
		OGR_FD_AddFieldDefn(c->defn, nd);
		OGR_Fld_Destroy(nd);
		c->bmap[i] = OGR_FD_GetFieldCount(c->defn) - 1;
	}
	return KCN_OK;
}

/* Whether G is one axis-aligned rectangle, and its corners. */
static struct ov_rect
ov_is_rect(OGRGeometryH g)
{
	struct ov_rect r = { 0, 0, 0, 0, 0 };
	OGRGeometryH ring;
	OGREnvelope e;

	if (wkbFlatten(OGR_G_GetGeometryType(g)) == wkbMultiPolygon) {
		if (OGR_G_GetGeometryCount(g) != 1)
			return r;
		g = OGR_G_GetGeometryRef(g, 0);
	}
	if (wkbFlatten(OGR_G_GetGeometryType(g)) != wkbPolygon ||
	    OGR_G_GetGeometryCount(g) != 1)
		return r;
	ring = OGR_G_GetGeometryRef(g, 0);
	if (OGR_G_GetPointCount(ring) != 5)
		return r;
	for (int k = 0; k < 4; k++)
		if (OGR_G_GetX(ring, k) != OGR_G_GetX(ring, k + 1) &&
		    OGR_G_GetY(ring, k) != OGR_G_GetY(ring, k + 1))
			return r;
	OGR_G_GetEnvelope(g, &e);
	if (!(e.MaxX > e.MinX && e.MaxY > e.MinY))
		return r;
	r.is = 1;
	r.x0 = e.MinX, r.y0 = e.MinY, r.x1 = e.MaxX, r.y1 = e.MaxY;
	return r;
}

/*
 * Reads B whole into C, in A's CRS (SRS), repaired where invalid, and
 * makes the output's fields from A's (AD) and B's where the operation
 * joins them.
 */
static enum kcn_status
ov_load(struct kcn_ctx *ctx, const struct kcn_overlay_opts *o,
    OGRSpatialReferenceH srs, OGRFeatureDefnH ad, struct ov_conf *c)
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
	long long nonarea = 0;
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
	if (o->op != KCN_OVERLAY_CLIP && o->op != KCN_OVERLAY_ERASE &&
	    (st = ov_fields(ctx, c, ad,
	    OGR_L_GetLayerDefn(kcn_reader_layer(rd)))) != KCN_OK)
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

		if (g == NULL || OGR_G_IsEmpty(g) ||
		    OGR_G_GetDimension(g) != 2) {
			if (g != NULL)
				OGR_G_DestroyGeometry(g);
			OGR_F_Destroy(f);
			nonarea++;	/* only areas cut */
			continue;
		}
		if (tr != NULL && (st = kcn_transform_geom(ctx, tr, g)) !=
		    KCN_OK) {
			OGR_G_DestroyGeometry(g);
			OGR_F_Destroy(f);
			goto out;
		}
		/* Repaired once here, not in every worker. */
		if ((gg = kcn_geom_to_geos(ctx, g)) == NULL) {
			kcni_msg(ctx, KCN_MSG_WARNING, o->b_path, "an area "
			    "left out: %s", kcn_ctx_errmsg(ctx));
			kcn_ctx_clear(ctx);
			OGR_G_DestroyGeometry(g);
			OGR_F_Destroy(f);
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
			OGR_F_Destroy(f);
			st = kcn_ctx_status(ctx);
			goto out;
		}
		if (c->nb == cap) {
			OGRGeometryH *n;
			OGRFeatureH *nf;
			struct ov_rect *nr;

			cap = cap ? cap * 2 : 256;
			if ((n = realloc(c->b, cap * sizeof(*n))) != NULL)
				c->b = n;
			if ((nf = realloc(c->bf, cap * sizeof(*nf))) != NULL)
				c->bf = nf;
			if ((nr = realloc(c->rect, cap * sizeof(*nr))) != NULL)
				c->rect = nr;
			if (n == NULL || nf == NULL || nr == NULL) {
				OGR_G_DestroyGeometry(g);
				OGR_F_Destroy(f);
				st = kcni_error(ctx, KCN_EOS, o->b_path,
				    "out of memory");
				goto out;
			}
		}
		OGR_G_GetEnvelope(g, &e);
		if (first)
			all = e, first = 0;
		all.MinX = fmin(all.MinX, e.MinX);
		all.MaxX = fmax(all.MaxX, e.MaxX);
		all.MinY = fmin(all.MinY, e.MinY);
		all.MaxY = fmax(all.MaxY, e.MaxY);
		c->bf[c->nb] = f;
		c->rect[c->nb] = ov_is_rect(g);
		c->b[c->nb++] = g;
	}
	if (st == KCN_OK && nonarea > 0)
		kcni_msg(ctx, KCN_MSG_WARNING, o->b_path, "%lld features "
		    "without an area left out: only areas cut", nonarea);
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

/* What was left out, and why, by operation. */
static const char *
ov_left_out(enum kcn_overlay_op op)
{
	switch (op) {
	case KCN_OVERLAY_CLIP:
	case KCN_OVERLAY_INTERSECT:
		return "wholly outside the areas, or slivers";
	case KCN_OVERLAY_ERASE:
	case KCN_OVERLAY_SYMDIFFERENCE:
		return "wholly inside the areas, or slivers";
	default:
		return "slivers";
	}
}

static void
ov_conf_free(struct ov_conf *c)
{
	for (size_t i = 0; i < c->nb; i++) {
		OGR_G_DestroyGeometry(c->b[i]);
		OGR_F_Destroy(c->bf[i]);
	}
	free(c->b);
	free(c->bf);
	free(c->rect);
	for (size_t i = 0; i < c->npiece; i++)
		free(c->piece[i].wkb);
	free(c->piece);
	free(c->amap);
	free(c->bmap);
	if (c->defn != NULL)
		OGR_FD_Release(c->defn);
	pthread_mutex_destroy(&c->mu);
}

enum kcn_status
kcn_overlay_run(struct kcn_ctx *ctx, const char *path,
    const struct kcn_overlay_opts *o)
{
	struct kcn_source *src;
	struct kcn_reader *rd = NULL;
	struct kcn_writer *wr = NULL;
	struct ov_conf conf = { .o = o };
	struct kcni_stage stage = { ov_init, ov_apply, ov_fini, &conf };
	struct kcni_tally tally = { 0 };
	struct ov_worker *w;
	OGRSpatialReferenceH srs;
	OGRwkbGeometryType gt;
	OGRLayerH layer;
	enum kcn_status st;
	long long nbrest = 0;

	pthread_mutex_init(&conf.mu, NULL);
	if (kcn_overlay_op_name(o->op)[0] == '?')
		return kcni_error(ctx, KCN_EUSAGE, "overlay", "no operation %d",
		    (int)o->op);
	if ((src = kcn_source_open(ctx, path, KCN_OPEN_VECTOR)) == NULL) {
		ov_conf_free(&conf);
		return kcn_ctx_status(ctx);
	}
	if ((rd = kcn_reader_new(ctx, src, o->layer)) == NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	layer = kcn_reader_layer(rd);
	gt = kcni_gtype_multi(OGR_L_GetGeomType(layer));
	if (ov_wants_b_rest(o->op) && wkbFlatten(gt) != wkbMultiPolygon) {
		if (wkbFlatten(gt) != wkbUnknown) {
			st = kcni_error(ctx, KCN_EUSAGE, path, "%s needs "
			    "areas, and this layer holds %s",
			    kcn_overlay_op_name(o->op),
			    OGRGeometryTypeToName(OGR_L_GetGeomType(layer)));
			goto out;
		}
		gt = wkbMultiPolygon;
	}
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
	st = ov_load(ctx, o, srs, OGR_L_GetLayerDefn(layer), &conf);
	if (st == KCN_OK)
		wr = kcn_writer_open(ctx, &o->out, OGR_L_GetName(layer), gt,
		    srs, conf.defn != NULL ? conf.defn :
		    OGR_L_GetLayerDefn(layer));
	OSRRelease(srs);
	if (st != KCN_OK || wr == NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	kcni_msg(ctx, KCN_MSG_INFO, o->b_path, "%zu areas to %s with",
	    conf.nb, kcn_overlay_op_name(o->op));
	st = kcni_pipeline(ctx, rd, wr, &stage, o->threads, path, &tally);
	if (st == KCN_OK && ov_wants_b_rest(o->op)) {
		/* B's leftover, in the main thread's own GEOS copy of B. */
		if ((w = ov_init(ctx, &conf)) == NULL)
			st = kcn_ctx_status(ctx);
		else {
			st = ov_b_rest(ctx, &conf, wr, w, &nbrest);
			ov_fini(w);
		}
		if (st == KCN_OK)
			kcni_msg(ctx, KCN_MSG_INFO, o->b_path, "%lld areas "
			    "written with what lies outside the stream",
			    nbrest);
	}
	st = kcni_pipeline_close(ctx, rd, wr, st, path, &tally, "written");
	if ((st == KCN_OK || st == KCN_REJECTED) && tally.dropped > 0)
		kcni_msg(ctx, KCN_MSG_INFO, path, "%lld features left out: %s",
		    tally.dropped, ov_left_out(o->op));
	if ((st == KCN_OK || st == KCN_REJECTED) && conf.slivers > 0)
		kcni_msg(ctx, KCN_MSG_WARNING, path, "%lld slivers below %g "
		    "square metres dropped", (long long)conf.slivers,
		    o->min_area);
out:
	ov_conf_free(&conf);
	kcni_tally_free(&tally);
	kcn_reader_free(rd);
	if (kcn_source_close(ctx, src) != KCN_OK && st == KCN_OK)
		st = kcn_ctx_status(ctx);
	return st;
}
