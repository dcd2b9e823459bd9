/*
 * buffer.c: kcn-buffer's work: service areas in metres, true anywhere on
 * Earth.  Each feature is buffered in an azimuthal equidistant projection
 * centred near it, on the ellipsoid of the data's own datum, and the
 * result is brought back to the data's CRS.  Distances from the centre
 * are exact in that projection; centres are taken on a grid of
 * BUF_CELL degrees, so no feature lies more than about 40 km from its
 * centre, where the scale error is below 0.001 %.  Buffering in degrees
 * or in Web Mercator, which this replaces, is wrong by 10 to 40 % away
 * from the equator.
 *
 * In a conformal projection in metres (UTM, Lambert conformal conic,
 * stereographic), a circle of R metres is a circle of R times the
 * point's scale factor, to the first order: there, features are buffered
 * in place with the scale factor at their middle (PROJ's proj_factors,
 * at the centre of their BUF_PCELL cell and a BUF_PCELL away, to find its
 * slopes), when the scale varies by less than BUF_PTOL over the feature
 * and its radius, and by the azimuthal projection otherwise.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <proj_experimental.h>

#include "kcn_internal.h"

#define BUF_CELL 0.5		/* degrees between projection centres */
#define BUF_CACHE 16		/* projections a worker keeps */
#define BUF_PCELL 2000.0	/* metres: cells of one scale factor */
#define BUF_PTOL 1e-4		/* largest scale change buffered in place */

/* What the workers share, read-only. */
struct buf_conf {
	const struct kcn_buffer_opts *o;
	PJ *to_geo;		/* the data's CRS to its lon/lat (normalised) */
	double a, rf;		/* its ellipsoid */
	int field;		/* the radius field, or -1 */
	PJ *crs;		/* lon/lat radians to a projected CRS in
				   metres, for its scale factors; or NULL */
};

/* The scale factor around a BUF_PCELL cell of a projected CRS. */
struct buf_scale {
	long key[2];
	int ok;			/* conformal there, factors known */
	double k;		/* at the cell's centre */
	double kx, ky;		/* its change per metre east and north */
	double c;		/* relative curvature, per square metre */
};

struct buf_cell {
	int key[2];
	PJ *aeqd;		/* lon/lat degrees -> metres around the centre */
};

struct buf_worker {
	const struct buf_conf *c;
	GEOSContextHandle_t h;	/* the worker's, for the params */
	PJ *to_geo;
	GEOSBufferParams *bp;
	struct buf_cell cache[BUF_CACHE];
	int ncache, next;
	PJ *crs;		/* the worker's clone of conf's */
	GEOSGeometry *unit;	/* a point's buffer of radius 1 at 0, 0 */
	struct buf_scale scale[BUF_CACHE];
	int nscale, nextscale;
};

/* The scale factor at X, Y of the worker's projected CRS, 0 if unknown
   or not conformal there. */
static double
buf_factor(struct buf_worker *w, double x, double y)
{
	PJ_COORD c = proj_coord(x, y, 0, 0);
	PJ_FACTORS f;

	c = proj_trans(w->to_geo, PJ_FWD, c);
	if (!isfinite(c.xy.x) || !isfinite(c.xy.y))
		return 0;
	f = proj_factors(w->crs, proj_coord(proj_torad(c.xy.x),
	    proj_torad(c.xy.y), 0, 0));
	proj_errno_reset(w->crs);
	/* Conformal, to well below the tolerance (the factors are found by
	   numerical derivatives: about 1e-8 of noise). */
	if (!(f.parallel_scale > 0) || fabs(f.meridional_scale -
	    f.parallel_scale) > BUF_PTOL / 100 * f.parallel_scale ||
	    fabs(f.angular_distortion) > BUF_PTOL / 100)
		return 0;
	return f.parallel_scale;
}

/*
 * The scale factor to buffer the feature of envelope E by R metres in
 * place, or 0 when its change over the feature is too large (or the CRS
 * is not conformal there).
 */
static double
buf_scale_for(struct buf_worker *w, const OGREnvelope *e, double r)
{
	long key[2] = { (long)floor((e->MinX + e->MaxX) / 2 / BUF_PCELL),
	    (long)floor((e->MinY + e->MaxY) / 2 / BUF_PCELL) };
	struct buf_scale *sc = NULL;
	double cx = (key[0] + 0.5) * BUF_PCELL, cy = (key[1] + 0.5) * BUF_PCELL;
	double d, k[4], fx, fy, kf, reach;

	for (int i = 0; i < w->nscale && sc == NULL; i++)
		if (w->scale[i].key[0] == key[0] &&
		    w->scale[i].key[1] == key[1])
			sc = &w->scale[i];
	if (sc == NULL) {
		if (w->nscale < BUF_CACHE)
			sc = &w->scale[w->nscale++];
		else {
			sc = &w->scale[w->nextscale];
			w->nextscale = (w->nextscale + 1) % BUF_CACHE;
		}
		sc->key[0] = key[0];
		sc->key[1] = key[1];
		sc->k = buf_factor(w, cx, cy);
		k[0] = buf_factor(w, cx - BUF_PCELL, cy);
		k[1] = buf_factor(w, cx + BUF_PCELL, cy);
		k[2] = buf_factor(w, cx, cy - BUF_PCELL);
		k[3] = buf_factor(w, cx, cy + BUF_PCELL);
		sc->ok = sc->k > 0 && k[0] > 0 && k[1] > 0 && k[2] > 0 &&
		    k[3] > 0;
		if (sc->ok) {
			sc->kx = (k[1] - k[0]) / (2 * BUF_PCELL);
			sc->ky = (k[3] - k[2]) / (2 * BUF_PCELL);
			sc->c = fmax(fabs(k[1] + k[0] - 2 * sc->k),
			    fabs(k[3] + k[2] - 2 * sc->k)) /
			    (BUF_PCELL * BUF_PCELL * sc->k);
		}
	}
	if (!sc->ok)
		return 0;
	/* The factor at the feature's middle, from the cell's slopes; how
	   far the buffer reaches from there, and from the cell's centre. */
	fx = (e->MinX + e->MaxX) / 2;
	fy = (e->MinY + e->MaxY) / 2;
	kf = sc->k + sc->kx * (fx - cx) + sc->ky * (fy - cy);
	reach = hypot(e->MaxX - e->MinX, e->MaxY - e->MinY) / 2 + fabs(r) *
	    kf;
	d = hypot(fabs(fx - cx), fabs(fy - cy)) + reach;
	/* The change over the buffer, and the slopes' own error, doubled. */
	return 2 * (hypot(sc->kx, sc->ky) / sc->k * reach + sc->c * d * d /
	    2) < BUF_PTOL ? kf : 0;
}

/* The projection centred on the cell of LON, LAT, from WORKER's cache. */
static PJ *
buf_aeqd(struct kcn_ctx *ctx, struct buf_worker *w, double lon, double lat)
{
	int key[2] = { (int)floor(lon / BUF_CELL), (int)floor(lat / BUF_CELL) };
	char def[512];
	struct buf_cell *cell;
	PJ *pj;

	for (int i = 0; i < w->ncache; i++)
		if (w->cache[i].key[0] == key[0] &&
		    w->cache[i].key[1] == key[1])
			return w->cache[i].aeqd;
	snprintf(def, sizeof(def), "+proj=pipeline +step +proj=unitconvert "
	    "+xy_in=deg +xy_out=rad +step +proj=aeqd +lon_0=%.4f +lat_0=%.4f "
	    "+a=%.17g %s%.17g", (key[0] + 0.5) * BUF_CELL,
	    fmax(-90, fmin(90, (key[1] + 0.5) * BUF_CELL)), w->c->a,
	    w->c->rf > 0 ? "+rf=" : "+b=", w->c->rf > 0 ? w->c->rf : w->c->a);
	if ((pj = proj_create(kcn_ctx_proj(ctx), def)) == NULL) {
		kcni_error(ctx, KCN_EINTERNAL, "buffer", "cannot set up the "
		    "local projection: %s", def);
		return NULL;
	}
	/* Round robin: a city uses a handful of cells. */
	if (w->ncache < BUF_CACHE)
		cell = &w->cache[w->ncache++];
	else {
		cell = &w->cache[w->next];
		w->next = (w->next + 1) % BUF_CACHE;
		proj_destroy(cell->aeqd);
	}
	cell->key[0] = key[0];
	cell->key[1] = key[1];
	cell->aeqd = pj;
	return pj;
}

static void buf_fini(void *state);

static void *
buf_init(struct kcn_ctx *wctx, void *ud)
{
	const struct buf_conf *c = ud;
	GEOSContextHandle_t h = kcn_ctx_geos(wctx);
	struct buf_worker *w = calloc(1, sizeof(*w));

	if (w == NULL || (w->bp = GEOSBufferParams_create_r(h)) == NULL ||
	    (w->to_geo = proj_clone(kcn_ctx_proj(wctx), c->to_geo)) == NULL) {
		if (w != NULL && w->bp != NULL)
			GEOSBufferParams_destroy_r(h, w->bp);
		free(w);
		kcni_error(wctx, KCN_EOS, "buffer", "out of memory");
		return NULL;
	}
	w->c = c;
	w->h = h;
	if (c->crs != NULL && (w->crs = proj_clone(kcn_ctx_proj(wctx),
	    c->crs)) == NULL) {
		buf_fini(w);
		kcni_error(wctx, KCN_EOS, "buffer", "out of memory");
		return NULL;
	}
	GEOSBufferParams_setQuadrantSegments_r(h, w->bp, c->o->segments);
	GEOSBufferParams_setEndCapStyle_r(h, w->bp, c->o->cap);
	GEOSBufferParams_setJoinStyle_r(h, w->bp, c->o->join);
	GEOSBufferParams_setMitreLimit_r(h, w->bp, c->o->mitre_limit);
	{
		GEOSGeometry *o = GEOSGeom_createPointFromXY_r(h, 0, 0);

		w->unit = o ? GEOSBufferWithParams_r(h, o, w->bp, 1) : NULL;
		if (o != NULL)
			GEOSGeom_destroy_r(h, o);
	}
	return w;
}

static void
buf_fini(void *state)
{
	struct buf_worker *w = state;

	for (int i = 0; i < w->ncache; i++)
		proj_destroy(w->cache[i].aeqd);
	proj_destroy(w->to_geo);
	proj_destroy(w->crs);
	if (w->unit != NULL)
		GEOSGeom_destroy_r(w->h, w->unit);
	/* The pipeline ends a worker's stage before its context. */
	GEOSBufferParams_destroy_r(w->h, w->bp);
	free(w);
}

/* The radius of F in metres, or NAN with an error. */
static double
buf_radius(struct kcn_ctx *ctx, const struct buf_conf *c, OGRFeatureH f)
{
	double r;

	if (c->field < 0)
		return c->o->radius;
	if (!OGR_F_IsFieldSetAndNotNull(f, c->field)) {
		kcni_error(ctx, KCN_REJECTED, "buffer", "no radius: field %s "
		    "is empty", c->o->radius_field);
		return NAN;
	}
	if (OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, c->field)) == OFTString) {
		/* Text: the whole of it must be a number ("150 m", "1,5"
		   and "" are not), never atof's partial reading. */
		const char *v = OGR_F_GetFieldAsString(f, c->field);
		char *end;

		r = CPLStrtod(v, &end);
		if (end == v || *end != '\0')
			r = NAN;
	} else
		r = OGR_F_GetFieldAsDouble(f, c->field);
	if (!isfinite(r)) {
		kcni_error(ctx, KCN_REJECTED, "buffer", "radius %s is not a "
		    "number", OGR_F_GetFieldAsString(f, c->field));
		return NAN;
	}
	return r;
}

/* GEOSGeom_transformXY callbacks: longitudes made continuous, each
   within 180 degrees of the one before; and longitudes moved. */
static int
buf_unwrap_xy(double *x, double *y, void *ud)
{
	double *prev = ud;

	(void)y;
	if (!isnan(*prev)) {
		while (*x - *prev > 180)
			*x -= 360;
		while (*x - *prev < -180)
			*x += 360;
	}
	*prev = *x;
	return 1;
}

static int
buf_place_xy(double *x, double *y, void *ud)
{
	const double *at = ud;	/* x, y, radius */

	*x = at[0] + at[2] * *x;
	*y = at[1] + at[2] * *y;
	return 1;
}

static int
buf_shift_xy(double *x, double *y, void *ud)
{
	(void)y;
	*x += *(const double *)ud;
	return 1;
}

/*
 * A buffer in longitude and latitude that crosses the antimeridian (its
 * points on both sides, wrapped into -180..180): its longitudes made
 * continuous, then cut at the antimeridian into parts on either side.
 * A projected CRS without an edge there gets them side by side, merged
 * when the result is tested in the CRS.
 */
static enum kcn_status
buf_antimeridian(struct kcn_ctx *wctx, struct buf_worker *w, OGRGeometryH *g)
{
	GEOSContextHandle_t h = w->h;
	GEOSGeometry *a, *u, *parts[3];
	OGRGeometryH back;
	double prev = NAN;
	unsigned n = 0;
	int ok = 1;

	if ((a = kcn_geom_to_geos(wctx, *g)) == NULL)
		return KCN_REJECTED;
	kcni_geos_reset(wctx);
	u = GEOSGeom_transformXY_r(h, a, buf_unwrap_xy, &prev);
	GEOSGeom_destroy_r(h, a);
	if (u == NULL)
		return kcni_error(wctx, KCN_REJECTED, "buffer", "its buffer "
		    "across the antimeridian cannot be drawn: %s",
		    kcni_geos_msg(wctx));
	/* Cut in any CRS: PROJ wraps longitudes past 180 on the way to a
	   projected one, which would fold a whole buffer across the map. */
	for (int k = -1; k <= 1 && ok; k++) {
		double dx = -360.0 * k;
		GEOSGeometry *box = GEOSGeom_createRectangle_r(h, -180 + 360.0 *
		    k, -90, 180 + 360.0 * k, 90), *p, *q = NULL;

		p = box ? GEOSIntersection_r(h, u, box) : NULL;
		if (box != NULL)
			GEOSGeom_destroy_r(h, box);
		/* Areas only: the cut leaves a line on the edge. */
		if (p != NULL) {
			q = kcni_geom_keep_dim(h, p, 2);
			GEOSGeom_destroy_r(h, p);
		}
		if (q == NULL)
			ok = 0;		/* a side lost: none at all */
		else if (!GEOSisEmpty_r(h, q) && (parts[n++] =
		    GEOSGeom_transformXY_r(h, q, buf_shift_xy, &dx)) == NULL)
			ok = 0, n--;
		if (q != NULL)
			GEOSGeom_destroy_r(h, q);
	}
	GEOSGeom_destroy_r(h, u);
	if (!ok) {
		while (n > 0)
			GEOSGeom_destroy_r(h, parts[--n]);
		u = NULL;
	} else
		u = n > 0 ? GEOSGeom_createCollection_r(h,
		    GEOS_GEOMETRYCOLLECTION, parts, n) : NULL;
	if (u == NULL)
		return kcni_error(wctx, KCN_REJECTED, "buffer", "its buffer "
		    "cannot be cut at the antimeridian: %s",
		    kcni_geos_msg(wctx));
	back = kcn_geom_from_geos(wctx, u);
	GEOSGeom_destroy_r(h, u);
	if (back == NULL)
		return KCN_REJECTED;
	OGR_G_DestroyGeometry(*g);
	*g = OGR_G_ForceToMultiPolygon(back);
	return KCN_OK;
}

/*
 * Buffers GG (taken) by R in its own coordinates, brings the result back
 * from the local projection AEQD (NULL: it is in the data's CRS) and puts
 * it into *FP.
 */
static enum kcn_status
buf_put(struct kcn_ctx *wctx, struct buf_worker *w, OGRFeatureH *fp,
    GEOSGeometry *gg, double r, PJ *aeqd)
{
	GEOSContextHandle_t h = w->h;
	GEOSGeometry *b;
	OGRGeometryH back;
	OGREnvelope e;
	enum kcn_status st;
	double at[3];

	/*
	 * A point's buffer is the unit one, scaled and moved: the same
	 * vertices GEOS would compute (centre plus radius times the cosine
	 * and sine), without its noding, which is most of the work.
	 */
	if (w->unit != NULL && r > 0 && GEOSGeomTypeId_r(h, gg) == GEOS_POINT &&
	    GEOSGeomGetX_r(h, gg, &at[0]) && GEOSGeomGetY_r(h, gg, &at[1])) {
		at[2] = r;
		b = GEOSGeom_transformXY_r(h, w->unit, buf_place_xy, at);
	} else
		b = GEOSBufferWithParams_r(h, gg, w->bp, r);
	GEOSGeom_destroy_r(h, gg);
	if (b == NULL)
		return kcni_error(wctx, KCN_REJECTED, "buffer", "GEOS cannot "
		    "buffer it: %s", kcni_geos_msg(wctx));
	if (GEOSisEmpty_r(h, b)) {
		GEOSGeom_destroy_r(h, b);
		return kcni_error(wctx, KCN_REJECTED, "buffer", "nothing is "
		    "left: the area is narrower than %g m", -2 * r);
	}
	back = kcn_geom_from_geos(wctx, b);
	GEOSGeom_destroy_r(h, b);
	if (back == NULL)
		return KCN_REJECTED;
	if (aeqd == NULL) {
		OGR_F_SetGeometryDirectly(*fp, back);
		return KCN_OK;
	}
	/* And back: metres, lon/lat, the data's CRS. */
	if ((st = kcni_trans_geom(wctx, aeqd, PJ_INV, "the local projection",
	    back)) != KCN_OK) {
		OGR_G_DestroyGeometry(back);
		return st;
	}
	OGR_G_GetEnvelope(back, &e);
	if (e.MaxX - e.MinX > 180 && (st = buf_antimeridian(wctx, w,
	    &back)) != KCN_OK) {
		OGR_G_DestroyGeometry(back);
		return st;
	}
	if ((st = kcni_trans_geom(wctx, w->to_geo, PJ_INV, "the CRS",
	    back)) != KCN_OK) {
		OGR_G_DestroyGeometry(back);
		return st;
	}
	/* Reprojected, it may fold where the CRS is strained: repaired,
	   so that what kcn-buffer writes is always valid. */
	if (!OGR_G_IsValid(back)) {
		OGRGeometryH v = OGR_G_MakeValid(back);

		OGR_G_DestroyGeometry(back);
		if (v == NULL || OGR_G_IsEmpty(v)) {
			if (v != NULL)
				OGR_G_DestroyGeometry(v);
			return kcni_error(wctx, KCN_REJECTED, "buffer", "its "
			    "buffer is not valid in the CRS, and cannot be "
			    "repaired");
		}
		back = OGR_G_ForceToMultiPolygon(v);
		kcni_note(wctx, "its buffer was repaired in the CRS");
	}
	OGR_F_SetGeometryDirectly(*fp, back);
	return KCN_OK;
}

static enum kcn_status
buf_apply(struct kcn_ctx *wctx, void *state, OGRFeatureH *fp)
{
	struct buf_worker *w = state;
	OGRGeometryH g = OGR_F_GetGeometryRef(*fp);
	GEOSGeometry *gg;
	OGREnvelope e;
	double r, cx, cy, k;
	enum kcn_status st;
	PJ *aeqd;

	if (g == NULL || OGR_G_IsEmpty(g))
		return kcni_error(wctx, KCN_REJECTED, "buffer", "no geometry "
		    "to buffer");
	if (isnan(r = buf_radius(wctx, w->c, *fp)))
		return KCN_REJECTED;
	if (r <= 0 && OGR_G_GetDimension(g) < 2)
		return kcni_error(wctx, KCN_REJECTED, "buffer", "radius %g m: "
		    "a point or line has no inside to shrink", r);
	OGR_G_GetEnvelope(g, &e);
	if (w->crs != NULL && (k = buf_scale_for(w, &e, r)) > 0) {
		/* In place, the radius scaled as the CRS scales there. */
		if ((gg = kcn_geom_to_geos(wctx, g)) == NULL)
			return KCN_REJECTED;
		return buf_put(wctx, w, fp, gg, r * k, NULL);
	}
	g = OGR_F_StealGeometry(*fp);
	/* To lon/lat, then to metres around the nearest cell centre. */
	if ((st = kcni_trans_geom(wctx, w->to_geo, PJ_FWD, "the CRS", g)) !=
	    KCN_OK)
		goto fail;
	OGR_G_GetEnvelope(g, &e);
	cx = (e.MinX + e.MaxX) / 2;
	cy = (e.MinY + e.MaxY) / 2;
	/* Cut shapes at the antimeridian and caps over a pole are not
	   drawn yet: refused, rather than written wrong. */
	if (e.MaxX - e.MinX > 180 || fabs(cy) + fabs(r) / 110000.0 +
	    (e.MaxY - e.MinY) / 2 >= 89.9) {
		st = kcni_error(wctx, KCN_REJECTED, "buffer", "%s: not "
		    "buffered (not supported yet)", fabs(cy) > 45 ?
		    "its buffer would reach a pole" : "it spans the "
		    "antimeridian");
		goto fail;
	}
	if ((aeqd = buf_aeqd(wctx, w, cx, cy)) == NULL) {
		st = kcn_ctx_status(wctx);
		goto fail;
	}
	if ((st = kcni_trans_geom(wctx, aeqd, PJ_FWD, "the local projection",
	    g)) != KCN_OK)
		goto fail;
	if ((gg = kcn_geom_to_geos(wctx, g)) == NULL) {
		st = KCN_REJECTED;
		goto fail;
	}
	OGR_G_DestroyGeometry(g);
	return buf_put(wctx, w, fp, gg, r, aeqd);
fail:
	if (g != NULL)
		OGR_G_DestroyGeometry(g);
	return st;
}

/*
 * The operation from longitude, latitude in radians on SRS's datum to
 * SRS, for proj_factors: what it builds anew on each call when given the
 * CRS itself, which is a thousand times slower.
 */
static PJ *
buf_crs(struct kcn_ctx *ctx, OGRSpatialReferenceH srs)
{
	PJ_CONTEXT *pc = kcn_ctx_proj(ctx);
	const char *opts[] = { "FORMAT=WKT2_2019", NULL };
	char *wkt = NULL;
	PJ *crs = NULL, *base = NULL, *datum = NULL, *cs = NULL, *geo = NULL;
	PJ *op = NULL;

	if (OSRExportToWktEx(srs, &wkt, opts) == OGRERR_NONE &&
	    (crs = proj_create(pc, wkt)) != NULL &&
	    (base = proj_get_source_crs(pc, crs)) != NULL &&
	    ((datum = proj_crs_get_datum(pc, base)) != NULL ||
	    (datum = proj_crs_get_datum_ensemble(pc, base)) != NULL) &&
	    (cs = proj_create_ellipsoidal_2D_cs(pc,
	    PJ_ELLPS2D_LONGITUDE_LATITUDE, "Radian", 1.0)) != NULL &&
	    (geo = proj_create_geographic_crs_from_datum(pc, "lon/lat",
	    datum, cs)) != NULL)
		op = proj_create_crs_to_crs_from_pj(pc, geo, crs, NULL, NULL);
	if (op == NULL)
		kcni_error(ctx, KCN_ECRS, "crs", "PROJ cannot find the scale "
		    "factors of this CRS");
	CPLFree(wkt);
	proj_destroy(geo);
	proj_destroy(cs);
	proj_destroy(datum);
	proj_destroy(base);
	proj_destroy(crs);
	return op;
}

/* The data's CRS to its own lon/lat, and its ellipsoid, into C. */
static enum kcn_status
buf_geo(struct kcn_ctx *ctx, OGRSpatialReferenceH srs, struct buf_conf *c)
{
	PJ_CONTEXT *pc = kcn_ctx_proj(ctx);
	const char *opts[] = { "FORMAT=WKT2_2019", NULL };
	char *wkt = NULL;
	PJ *crs = NULL, *geo = NULL, *ell = NULL, *op = NULL;
	double b = 0;
	int computed = 0;
	enum kcn_status st = KCN_OK;

	if (OSRExportToWktEx(srs, &wkt, opts) != OGRERR_NONE ||
	    (crs = proj_create(pc, wkt)) == NULL ||
	    (geo = proj_crs_get_geodetic_crs(pc, crs)) == NULL ||
	    (ell = proj_get_ellipsoid(pc, geo)) == NULL ||
	    !proj_ellipsoid_get_parameters(pc, ell, &c->a, &b, &computed,
	    &c->rf) || (op = proj_create_crs_to_crs_from_pj(pc, crs, geo,
	    NULL, NULL)) == NULL ||
	    (c->to_geo = proj_normalize_for_visualization(pc, op)) == NULL)
		st = kcni_error(ctx, KCN_ECRS, "crs", "PROJ cannot find the "
		    "longitude and latitude of this CRS");
	CPLFree(wkt);
	proj_destroy(op);
	proj_destroy(ell);
	proj_destroy(geo);
	proj_destroy(crs);
	return st;
}

/* Buffers into a temporary file, then merges them into the output. */
static enum kcn_status
buf_dissolved(struct kcn_ctx *ctx, const char *path,
    const struct kcn_buffer_opts *o)
{
	struct kcn_buffer_opts b = *o;
	struct kcn_dissolve_opts d;
	const char *t = getenv("TMPDIR");
	char dir[4096], file[4200], *by[2] = { NULL, NULL };
	enum kcn_status st, dst;

	snprintf(dir, sizeof(dir), "%s/kcn-buffer-XXXXXX", t && *t ? t :
	    "/tmp");
	if (mkdtemp(dir) == NULL)
		return kcni_error(ctx, KCN_EOS, dir, "cannot create a "
		    "temporary folder: %s", strerror(errno));
	snprintf(file, sizeof(file), "%s/buffers.fgb", dir);
	b.dissolve = 0;
	memset(&b.out, 0, sizeof(b.out));
	b.out.path = file;
	st = kcn_buffer_run(ctx, path, &b);
	if (st == KCN_OK || st == KCN_REJECTED) {
		memset(&d, 0, sizeof(d));
		by[0] = (char *)o->dissolve_field;
		d.by = o->dissolve_field ? by : NULL;
		d.count = 1;
		d.label = path;
		d.valid = 1;	/* GEOS's buffers, or repaired */
		d.out = o->out;
		if ((dst = kcn_dissolve_run(ctx, file, &d)) != KCN_OK)
			st = dst;
	}
	remove(file);
	rmdir(dir);
	return st;
}

enum kcn_status
kcn_buffer_run(struct kcn_ctx *ctx, const char *path,
    const struct kcn_buffer_opts *o)
{
	struct kcn_source *src;
	struct kcn_reader *rd = NULL;
	struct kcn_writer *wr = NULL;
	struct buf_conf conf = { o, NULL, 0, 0, -1, NULL };
	struct kcni_stage stage = { buf_init, buf_apply, buf_fini, &conf };
	struct kcni_tally tally = { 0 };
	OGRSpatialReferenceH srs = NULL;
	OGRLayerH layer;
	enum kcn_status st = KCN_OK;

	if (o->dissolve)
		return buf_dissolved(ctx, path, o);
	if ((src = kcn_source_open(ctx, path, KCN_OPEN_VECTOR)) == NULL)
		return kcn_ctx_status(ctx);
	if ((rd = kcn_reader_new(ctx, src, o->layer)) == NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	layer = kcn_reader_layer(rd);
	/* Metres cannot be measured without a CRS. */
	if ((st = kcni_layer_crs(ctx, path, layer, o->s_srs, 1,
	    &srs)) != KCN_OK)
		goto out;
	if (o->dissolve_field != NULL && OGR_FD_GetFieldIndex(
	    OGR_L_GetLayerDefn(layer), o->dissolve_field) < 0) {
		st = kcni_error(ctx, KCN_EUSAGE, "--dissolve", "no field named "
		    "'%s'", o->dissolve_field);
		goto out;
	}
	if (o->radius_field != NULL && (conf.field = OGR_FD_GetFieldIndex(
	    OGR_L_GetLayerDefn(layer), o->radius_field)) < 0) {
		st = kcni_error(ctx, KCN_EUSAGE, "-r", "no field named '%s' "
		    "(and not a number of metres)", o->radius_field);
		goto out;
	}
	if ((st = buf_geo(ctx, srs, &conf)) != KCN_OK)
		goto out;
	if (OSRIsProjected(srs) && fabs(OSRGetLinearUnits(srs, NULL) - 1) <
	    1e-12 && (conf.crs = buf_crs(ctx, srs)) == NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	kcni_msg(ctx, KCN_MSG_INFO, path, "buffers built in azimuthal "
	    "equidistant projections centred every %g degrees%s, %d segments "
	    "per quarter circle", BUF_CELL, conf.crs != NULL ? ", or in place "
	    "with the CRS's scale factor where it varies little" : "",
	    o->segments);
	if ((wr = kcn_writer_open(ctx, &o->out, OGR_L_GetName(layer),
	    wkbMultiPolygon, srs, OGR_L_GetLayerDefn(layer))) == NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	st = kcni_pipeline_finish(ctx, rd, wr, &stage, o->threads, path,
	    &tally, "buffers written");
	wr = NULL;
out:
	kcn_writer_abort(wr);
	kcni_tally_free(&tally);
	proj_destroy(conf.to_geo);
	proj_destroy(conf.crs);
	kcn_reader_free(rd);
	if (srs != NULL)
		OSRRelease(srs);
	if (kcn_source_close(ctx, src) != KCN_OK && st == KCN_OK)
		st = kcn_ctx_status(ctx);
	return st;
}
