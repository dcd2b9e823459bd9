/*
 * geom.c: OGR <-> GEOS geometry conversion by whole coordinate arrays.
 * Going through WKB costs an encode and a parse per geometry; copying the
 * coordinate arrays directly is the cheap path (see docs/benchmarks.md).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kcn_internal.h"

/* ---- OGR -> GEOS ----------------------------------------------------- */

static GEOSCoordSequence *
to_seq(GEOSContextHandle_t h, OGRGeometryH g, int hasz, struct kcn_ctx *ctx)
{
	int n = OGR_G_GetPointCount(g);
	struct kcni_coords *b = kcni_coords(ctx, n > 0 ? (size_t)n : 1);

	if (b == NULL)
		return NULL;
	if (n > 0)
		OGR_G_GetPoints(g, b->x, sizeof(double), b->y, sizeof(double),
		    hasz ? b->z : NULL, sizeof(double));
	/* NaN and infinity pass through GDAL's readers; GEOS throws on
	   them, far from the cause. */
	for (int i = 0; i < n; i++)
		if (!isfinite(b->x[i]) || !isfinite(b->y[i])) {
			kcni_error(ctx, KCN_EDATA, "geometry", "coordinate %d "
			    "is not a finite number (%g %g)", i + 1, b->x[i],
			    b->y[i]);
			return NULL;
		}
	return GEOSCoordSeq_copyFromArrays_r(h, b->x, b->y,
	    hasz ? b->z : NULL, NULL, (unsigned)n);
}

static GEOSGeometry *to_geos(GEOSContextHandle_t, OGRGeometryH, int,
    struct kcn_ctx *);

static GEOSGeometry *
to_polygon(GEOSContextHandle_t h, OGRGeometryH g, int hasz,
    struct kcn_ctx *ctx)
{
	int i, n = OGR_G_GetGeometryCount(g);
	GEOSCoordSequence *seq;
	GEOSGeometry *shell, **holes = NULL;

	if (n == 0)
		return GEOSGeom_createEmptyPolygon_r(h);
	if ((seq = to_seq(h, OGR_G_GetGeometryRef(g, 0), hasz, ctx)) == NULL)
		return NULL;
	if ((shell = GEOSGeom_createLinearRing_r(h, seq)) == NULL)
		return NULL;
	if (n > 1 && (holes = calloc(n - 1, sizeof(*holes))) == NULL)
		goto fail;
	for (i = 1; i < n; i++) {
		seq = to_seq(h, OGR_G_GetGeometryRef(g, i), hasz, ctx);
		if (seq == NULL ||
		    (holes[i - 1] = GEOSGeom_createLinearRing_r(h, seq)) ==
		    NULL)
			goto fail;
	}
	{
		GEOSGeometry *p = GEOSGeom_createPolygon_r(h, shell, holes,
		    (unsigned)(n - 1));
		free(holes);
		return p;
	}
fail:
	GEOSGeom_destroy_r(h, shell);
	if (holes != NULL)
		for (i = 0; i < n - 1; i++)
			if (holes[i] != NULL)
				GEOSGeom_destroy_r(h, holes[i]);
	free(holes);
	return NULL;
}

static GEOSGeometry *
to_collection(GEOSContextHandle_t h, OGRGeometryH g, int type, int hasz,
    struct kcn_ctx *ctx)
{
	int i, n = OGR_G_GetGeometryCount(g);
	GEOSGeometry **parts, *c;

	if (n == 0)
		return GEOSGeom_createEmptyCollection_r(h, type);
	if ((parts = calloc(n, sizeof(*parts))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if ((parts[i] = to_geos(h, OGR_G_GetGeometryRef(g, i), hasz,
		    ctx)) == NULL)
			break;
	if (i < n) {
		while (i-- > 0)
			GEOSGeom_destroy_r(h, parts[i]);
		free(parts);
		return NULL;
	}
	c = GEOSGeom_createCollection_r(h, type, parts, (unsigned)n);
	if (c == NULL)
		for (i = 0; i < n; i++)
			GEOSGeom_destroy_r(h, parts[i]);
	free(parts);
	return c;
}

static GEOSGeometry *
to_geos(GEOSContextHandle_t h, OGRGeometryH g, int hasz, struct kcn_ctx *ctx)
{
	GEOSCoordSequence *seq;
	GEOSGeometry *r;
	OGRGeometryH lin;

	switch (wkbFlatten(OGR_G_GetGeometryType(g))) {
	case wkbPoint:
		if (OGR_G_IsEmpty(g))
			return GEOSGeom_createEmptyPoint_r(h);
		seq = to_seq(h, g, hasz, ctx);
		return seq ? GEOSGeom_createPoint_r(h, seq) : NULL;
	case wkbLineString:
		seq = to_seq(h, g, hasz, ctx);
		return seq ? GEOSGeom_createLineString_r(h, seq) : NULL;
	case wkbLinearRing:
		seq = to_seq(h, g, hasz, ctx);
		return seq ? GEOSGeom_createLinearRing_r(h, seq) : NULL;
	case wkbPolygon:
	case wkbTriangle:
		return to_polygon(h, g, hasz, ctx);
	case wkbMultiPoint:
		return to_collection(h, g, GEOS_MULTIPOINT, hasz, ctx);
	case wkbMultiLineString:
		return to_collection(h, g, GEOS_MULTILINESTRING, hasz, ctx);
	case wkbMultiPolygon:
		return to_collection(h, g, GEOS_MULTIPOLYGON, hasz, ctx);
	case wkbGeometryCollection:
		return to_collection(h, g, GEOS_GEOMETRYCOLLECTION, hasz, ctx);
	default:
		/* Curves, surfaces and TINs: linearise, then convert. */
		lin = OGR_G_GetLinearGeometry(g, 0, NULL);
		if (lin == NULL)
			return NULL;
		if (wkbFlatten(OGR_G_GetGeometryType(lin)) ==
		    wkbPolyhedralSurface ||
		    wkbFlatten(OGR_G_GetGeometryType(lin)) == wkbTIN)
			lin = OGR_G_ForceToMultiPolygon(lin);
		r = wkbFlatten(OGR_G_GetGeometryType(lin)) ==
		    wkbFlatten(OGR_G_GetGeometryType(g)) ? NULL :
		    to_geos(h, lin, hasz, ctx);
		OGR_G_DestroyGeometry(lin);
		return r;
	}
}

GEOSGeometry *
kcn_geom_to_geos(struct kcn_ctx *ctx, OGRGeometryH g)
{
	GEOSGeometry *r;

	if (g == NULL)
		return NULL;
	kcni_geos_reset(ctx);
	kcn_ctx_clear(ctx);
	r = to_geos(kcn_ctx_geos(ctx), g, OGR_G_Is3D(g), ctx);
	if (r == NULL && kcn_ctx_status(ctx) == KCN_OK)
		kcni_error(ctx, KCN_EDATA, "geometry", "cannot convert %s: %s",
		    OGR_G_GetGeometryName(g), *kcni_geos_msg(ctx) ?
		    kcni_geos_msg(ctx) : "unsupported or out of memory");
	return r;
}

/* ---- GEOS -> OGR ----------------------------------------------------- */

static int
from_seq(GEOSContextHandle_t h, const GEOSGeometry *g, OGRGeometryH og,
    int hasz, struct kcn_ctx *ctx)
{
	const GEOSCoordSequence *seq = GEOSGeom_getCoordSeq_r(h, g);
	struct kcni_coords *b;
	unsigned n;

	if (seq == NULL || !GEOSCoordSeq_getSize_r(h, seq, &n))
		return -1;
	if (n == 0)
		return 0;
	if ((b = kcni_coords(ctx, n)) == NULL ||
	    !GEOSCoordSeq_copyToArrays_r(h, seq, b->x, b->y,
	    hasz ? b->z : NULL, NULL))
		return -1;
	OGR_G_SetPoints(og, (int)n, b->x, sizeof(double), b->y,
	    sizeof(double), hasz ? b->z : NULL, sizeof(double));
	return 0;
}

static OGRGeometryH
from_geos(GEOSContextHandle_t h, const GEOSGeometry *g, int hasz,
    struct kcn_ctx *ctx)
{
	OGRwkbGeometryType t;
	OGRGeometryH og, part;
	int i, n, type = GEOSGeomTypeId_r(h, g);

	switch (type) {
	case GEOS_POINT: t = wkbPoint; break;
	case GEOS_LINESTRING: t = wkbLineString; break;
	case GEOS_LINEARRING: t = wkbLinearRing; break;
	case GEOS_POLYGON: t = wkbPolygon; break;
	case GEOS_MULTIPOINT: t = wkbMultiPoint; break;
	case GEOS_MULTILINESTRING: t = wkbMultiLineString; break;
	case GEOS_MULTIPOLYGON: t = wkbMultiPolygon; break;
	case GEOS_GEOMETRYCOLLECTION: t = wkbGeometryCollection; break;
	default: return NULL;
	}
	if (hasz && t != wkbLinearRing)
		t = wkbSetZ(t);
	if ((og = OGR_G_CreateGeometry(t)) == NULL)
		return NULL;
	if (hasz)
		OGR_G_Set3D(og, TRUE);
	switch (type) {
	case GEOS_POINT:
	case GEOS_LINESTRING:
	case GEOS_LINEARRING:
		if (from_seq(h, g, og, hasz, ctx) != 0)
			goto fail;
		return og;
	case GEOS_POLYGON:
		if (GEOSisEmpty_r(h, g))
			return og;
		n = GEOSGetNumInteriorRings_r(h, g);
		for (i = -1; i < n; i++) {
			const GEOSGeometry *ring = i < 0 ?
			    GEOSGetExteriorRing_r(h, g) :
			    GEOSGetInteriorRingN_r(h, g, i);
			if (ring == NULL ||
			    (part = from_geos(h, ring, hasz, ctx)) == NULL)
				goto fail;
			OGR_G_AddGeometryDirectly(og, part);
		}
		return og;
	default:
		n = GEOSGetNumGeometries_r(h, g);
		for (i = 0; i < n; i++) {
			part = from_geos(h, GEOSGetGeometryN_r(h, g, i), hasz,
			    ctx);
			if (part == NULL)
				goto fail;
			if (OGR_G_AddGeometryDirectly(og, part) !=
			    OGRERR_NONE) {
				OGR_G_DestroyGeometry(part);
				goto fail;
			}
		}
		return og;
	}
fail:
	OGR_G_DestroyGeometry(og);
	return NULL;
}

OGRGeometryH
kcn_geom_from_geos(struct kcn_ctx *ctx, const GEOSGeometry *g)
{
	OGRGeometryH og;
	GEOSContextHandle_t h = kcn_ctx_geos(ctx);

	if (g == NULL)
		return NULL;
	kcni_geos_reset(ctx);
	og = from_geos(h, g, GEOSHasZ_r(h, g) == 1, ctx);
	if (og == NULL)
		kcni_error(ctx, KCN_EDATA, "geometry",
		    "cannot convert GEOS geometry: %s",
		    *kcni_geos_msg(ctx) ? kcni_geos_msg(ctx) : "unsupported");
	return og;
}

/* ---- repair ---------------------------------------------------------- */

/* The parts of G of dimension DIM, as one Multi geometry (new). */
GEOSGeometry *
kcni_geom_keep_dim(GEOSContextHandle_t h, const GEOSGeometry *g, int dim)
{
	int type = dim == 2 ? GEOS_MULTIPOLYGON : dim == 1 ?
	    GEOS_MULTILINESTRING : GEOS_MULTIPOINT;
	int i, j, n = GEOSGetNumGeometries_r(h, g), cap = 0, k = 0;
	GEOSGeometry **parts, *r;

	/* A part may itself be a Multi: count the pieces first. */
	for (i = 0; i < n; i++)
		cap += GEOSGetNumGeometries_r(h, GEOSGetGeometryN_r(h, g, i));
	if ((parts = calloc(cap > 0 ? (size_t)cap : 1, sizeof(*parts))) ==
	    NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		const GEOSGeometry *p = GEOSGetGeometryN_r(h, g, i);

		if (GEOSGeom_getDimensions_r(h, p) != dim)
			continue;
		for (j = 0; j < GEOSGetNumGeometries_r(h, p); j++) {
			const GEOSGeometry *q = GEOSGetGeometryN_r(h, p, j);

			if (!GEOSisEmpty_r(h, q))
				parts[k++] = GEOSGeom_clone_r(h, q);
		}
	}
	r = GEOSGeom_createCollection_r(h, type, parts, (unsigned)k);
	free(parts);
	return r;
}

GEOSGeometry *
kcn_geom_repair(struct kcn_ctx *ctx, const GEOSGeometry *g, int dim)
{
	GEOSContextHandle_t h = kcn_ctx_geos(ctx);
	GEOSMakeValidParams *mp = GEOSMakeValidParams_create_r(h);
	GEOSGeometry *v, *r;

	kcni_geos_reset(ctx);
	if (mp == NULL) {
		kcni_error(ctx, KCN_EOS, "repair", "out of memory");
		return NULL;
	}
	/* STRUCTURE rebuilds areas from their rings and drops what
	   collapsed to lines or points: the polygonal part survives. */
	GEOSMakeValidParams_setMethod_r(h, mp, dim == 2 ?
	    GEOS_MAKE_VALID_STRUCTURE : GEOS_MAKE_VALID_LINEWORK);
	GEOSMakeValidParams_setKeepCollapsed_r(h, mp, dim == 2 ? 0 : 1);
	v = GEOSMakeValidWithParams_r(h, g, mp);
	GEOSMakeValidParams_destroy_r(h, mp);
	if (v == NULL) {
		kcni_error(ctx, KCN_EDATA, "repair", "cannot repair: %s",
		    *kcni_geos_msg(ctx) ? kcni_geos_msg(ctx) : "GEOS failed");
		return NULL;
	}
	if (dim < 0 || (GEOSGeom_getDimensions_r(h, v) == dim &&
	    GEOSGeomTypeId_r(h, v) != GEOS_GEOMETRYCOLLECTION))
		return v;
	r = kcni_geom_keep_dim(h, v, dim);
	GEOSGeom_destroy_r(h, v);
	if (r == NULL)
		kcni_error(ctx, KCN_EOS, "repair", "out of memory");
	return r;
}

/* ---- a quick validity test ------------------------------------------- */

#define GEOM_QUICK_MAX KCNI_QUICK_MAX	/* ring points the quick test
						   takes on */

/*
 * The sign of the turn a, b, c: 1 left, -1 right, 0 when it is too close
 * to call in double precision (the error bound of Shewchuk's fast
 * orientation test).
 */
static int
geom_turn(const double *a, const double *b, const double *c)
{
	double l = (a[0] - c[0]) * (b[1] - c[1]);
	double r = (a[1] - c[1]) * (b[0] - c[0]);
	double det = l - r;
	double bound = (3.0 + 16.0 * DBL_EPSILON) * DBL_EPSILON *
	    (fabs(l) + fabs(r));

	return det > bound ? 1 : -det > bound ? -1 : 0;
}

/* Whether the boxes of segments a-b and c-d are apart. */
static int
geom_apart(const double *a, const double *b, const double *c,
    const double *d)
{
	return fmax(a[0], b[0]) < fmin(c[0], d[0]) ||
	    fmax(c[0], d[0]) < fmin(a[0], b[0]) ||
	    fmax(a[1], b[1]) < fmin(c[1], d[1]) ||
	    fmax(c[1], d[1]) < fmin(a[1], b[1]);
}

int
kcni_geom_surely_valid(GEOSContextHandle_t h, const GEOSGeometry *g)
{
	double raw[2 * GEOM_QUICK_MAX];
	const GEOSCoordSequence *s;
	const GEOSGeometry *ring;
	unsigned n;

	/* A multipolygon of one polygon is as valid as that polygon. */
	if (GEOSGeomTypeId_r(h, g) == GEOS_MULTIPOLYGON &&
	    GEOSGetNumGeometries_r(h, g) == 1)
		g = GEOSGetGeometryN_r(h, g, 0);
	if (GEOSGeomTypeId_r(h, g) != GEOS_POLYGON ||
	    GEOSGetNumInteriorRings_r(h, g) != 0 ||
	    (ring = GEOSGetExteriorRing_r(h, g)) == NULL ||
	    (s = GEOSGeom_getCoordSeq_r(h, ring)) == NULL ||
	    !GEOSCoordSeq_getSize_r(h, s, &n) || n < 4 ||
	    n > GEOM_QUICK_MAX ||
	    !GEOSCoordSeq_copyToBuffer_r(h, s, raw, 0, 0))
		return 0;
	return kcni_ring_surely_valid(raw, n);
}

int
kcni_ring_surely_valid(const double *raw, unsigned n)
{
	double p[2 * GEOM_QUICK_MAX];
	int m = 0;

	if (n < 4 || n > GEOM_QUICK_MAX || raw[0] != raw[2 * n - 2] ||
	    raw[1] != raw[2 * n - 1])
		return 0;
	/* Finite points, repeated ones dropped (GEOS accepts them). */
	for (unsigned i = 0; i < n; i++) {
		if (!isfinite(raw[2 * i]) || !isfinite(raw[2 * i + 1]))
			return 0;
		if (m > 0 && raw[2 * i] == p[2 * m - 2] &&
		    raw[2 * i + 1] == p[2 * m - 1])
			continue;
		p[2 * m] = raw[2 * i];
		p[2 * m + 1] = raw[2 * i + 1];
		m++;
	}
	m--;		/* p[m] is p[0]: segments p[i] -> p[i + 1], i < m */
	if (m < 3)
		return 0;
	for (int i = 0; i < m; i++) {
		const double *a = &p[2 * i], *b = &p[2 * (i + 1)];

		/* A straight or backward turn: a spike, or too close. */
		if (geom_turn(a, b, &p[2 * ((i + 2) % m)]) == 0)
			return 0;
		/* Segments that share no point must not meet at all. */
		for (int j = i + 2; j < m; j++) {
			const double *c = &p[2 * j], *d = &p[2 * (j + 1)];
			int t1, t2, t3, t4;

			if ((i == 0 && j == m - 1) || geom_apart(a, b, c, d))
				continue;
			t1 = geom_turn(a, b, c);
			t2 = geom_turn(a, b, d);
			t3 = geom_turn(c, d, a);
			t4 = geom_turn(c, d, b);
			if (t1 == 0 || t2 == 0 || t3 == 0 || t4 == 0 ||
			    (t1 != t2 && t3 != t4))
				return 0;
		}
	}
	return 1;
}

OGRwkbGeometryType
kcni_gtype_multi(OGRwkbGeometryType t)
{
	if (wkbFlatten(t) == wkbPolygon)
		return wkbHasZ(t) ? wkbMultiPolygon25D : wkbMultiPolygon;
	if (wkbFlatten(t) == wkbLineString)
		return wkbHasZ(t) ? wkbMultiLineString25D :
		    wkbMultiLineString;
	return t;
}

/* ---- exact shares of pixels -------------------------------------------- */

/*
 * The area of a polygon in the pixel [i, i+1) x [j, j+1) is the integral
 * of -clamp(y - j, 0, 1) dx along its rings, taken over the parts of the
 * rings inside column i (the column's sides add nothing, dx being 0 on
 * them).  Each edge is cut where it crosses a whole x or y.  A part inside
 * pixel (i, j) gives that pixel -dx times its mean height above j, and
 * every pixel of the column above row j (smaller j) -dx, which F holds
 * until kcni_shares_end adds it up the column.  Exact but for rounding,
 * in time linear in the pixels the edges cross.
 */
static void
shares_part(double x0, double y0, double x1, double y1, double k,
    double *a, double *f, int w, int h)
{
	double dx = x1 - x0, ym = (y0 + y1) / 2;
	int i = (int)floor((x0 + x1) / 2), j;

	if (dx == 0 || ym < 0)
		return;		/* no area, or above the band */
	i = i < 0 ? 0 : i >= w ? w - 1 : i;
	if (ym >= h) {		/* below the band: all of the column */
		f[(size_t)h * w + i] -= k * dx;
		return;
	}
	j = (int)ym;
	a[(size_t)j * w + i] -= k * dx * (ym - j);
	f[(size_t)j * w + i] -= k * dx;
}

double
kcni_ring_shares(const double *xy, unsigned n, int hole, double ox,
    double oy, double *a, double *f, int w, int h)
{
	double s = 0, k;

	for (unsigned v = 0; v + 1 < n; v++)
		s -= (xy[2 * v + 2] - xy[2 * v]) * (xy[2 * v + 1] +
		    xy[2 * v + 3] - 2 * oy);
	if (s == 0)
		return 0;
	k = (s > 0) == !hole ? 1 : -1;
	for (unsigned v = 0; v + 1 < n; v++) {
		double x0 = xy[2 * v] - ox, y0 = xy[2 * v + 1] - oy;
		double x1 = xy[2 * v + 2] - ox, y1 = xy[2 * v + 3] - oy;
		double dx = x1 - x0, dy = y1 - y0, px = x0, py = y0;
		int sx = dx > 0 ? 1 : -1, sy = dy > 0 ? 1 : -1;
		/* The next whole x and y the edge crosses, and where. */
		double kx = sx > 0 ? floor(x0) + 1 : ceil(x0) - 1;
		double ky = sy > 0 ? floor(y0) + 1 : ceil(y0) - 1;
		double tx = dx != 0 ? (kx - x0) / dx : 2;
		double ty = dy != 0 ? (ky - y0) / dy : 2;

		if (y0 <= 0 && y1 <= 0)
			continue;	/* above the band */
		while (tx < 1 || ty < 1) {
			double cx = tx <= ty ? kx : x0 + ty * dx;
			double cy = ty <= tx ? ky : y0 + tx * dy;

			shares_part(px, py, cx, cy, k, a, f, w, h);
			px = cx, py = cy;
			if (ty <= tx) {
				ky += sy;
				ty = (ky - y0) / dy;
			}
			if (px == kx) {
				kx += sx;
				tx = (kx - x0) / dx;
			}
		}
		shares_part(px, py, x1, y1, k, a, f, w, h);
	}
	return k * s / 2;
}

void
kcni_shares_end(double *a, double *f, int w, int h)
{
	for (int i = 0; i < w; i++) {
		double run = f[(size_t)h * w + i];

		for (int j = h - 1; j >= 0; j--) {
			a[(size_t)j * w + i] += run;
			run += f[(size_t)j * w + i];
		}
	}
}

/* ---- lines within an area ---------------------------------------------- */

struct lin_buf {
	double *v;
	size_t n, cap;
};

static int
lin_add(struct lin_buf *b, double x)
{
	if (kcni_grow(&b->v, &b->cap, b->n + 1) == NULL)
		return -1;
	b->v[b->n++] = x;
	return 0;
}

static int
lin_push(struct lin_buf *b, double x, double y)
{
	return lin_add(b, x) != 0 || lin_add(b, y) != 0 ? -1 : 0;
}

/* The points P as a line into OUT[*N]; P emptied. */
static int
lin_flush(GEOSContextHandle_t h, struct lin_buf *p, GEOSGeometry ***out,
    size_t *n, size_t *cap)
{
	GEOSCoordSequence *cs;
	GEOSGeometry *l;

	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 8;
		GEOSGeometry **o = realloc(*out, c * sizeof(*o));

		if (o == NULL)
			return -1;
		*out = o, *cap = c;
	}
	cs = GEOSCoordSeq_copyFromBuffer_r(h, p->v, (unsigned)(p->n / 2), 0,
	    0);
	if (cs == NULL || (l = GEOSGeom_createLineString_r(h, cs)) == NULL)
		return -1;
	(*out)[(*n)++] = l;
	p->n = 0;
	return 0;
}

static int
lin_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Adds to T where segment A-B crosses or touches edge C-D, as a fraction
 * of A-B.  Where the segment runs along edges, the edges that leave it
 * cut it.  Extra cuts do no harm (each part is judged by its middle), so
 * an edge is taken to reach a little past its ends.
 */
static int
lin_cuts(const double *a, const double *b, const double *c, const double *d,
    struct lin_buf *t)
{
	double rx = b[0] - a[0], ry = b[1] - a[1], sx = d[0] - c[0];
	double sy = d[1] - c[1], qx = c[0] - a[0], qy = c[1] - a[1];
	double den = rx * sy - ry * sx, s, u, eps = 1e-9;

	if (den == 0 || fmax(c[0], d[0]) < fmin(a[0], b[0]) ||
	    fmin(c[0], d[0]) > fmax(a[0], b[0]) ||
	    fmax(c[1], d[1]) < fmin(a[1], b[1]) ||
	    fmin(c[1], d[1]) > fmax(a[1], b[1]))
		return 0;
	s = (qx * sy - qy * sx) / den;
	u = (qx * ry - qy * rx) / den;
	if (s > 0 && s < 1 && u >= -eps && u <= 1 + eps)
		return lin_add(t, s);
	return 0;
}

double *
kcni_grow(double **p, size_t *cap, size_t n)
{
	if (n > *cap) {
		size_t c = *cap ? *cap : 64;
		double *q;

		while (c < n)
			c *= 2;
		if ((q = realloc(*p, c * sizeof(*q))) == NULL)
			return NULL;
		*p = q;
		*cap = c;
	}
	return *p;
}

int
kcni_rings(GEOSContextHandle_t h, const GEOSGeometry *g, double **xy,
    size_t *xycap, size_t *nxy, double **end, size_t *endcap, size_t *nend)
{
	int np = GEOSGetNumGeometries_r(h, g);

	*nxy = *nend = 0;
	for (int i = 0; i < np; i++) {
		const GEOSGeometry *p = GEOSGetGeometryN_r(h, g, i);
		int nh = GEOSGetNumInteriorRings_r(h, p);

		if (GEOSGeomTypeId_r(h, p) != GEOS_POLYGON || nh < 0)
			return -1;
		for (int k = -1; k < nh; k++) {
			const GEOSGeometry *ring = k < 0 ?
			    GEOSGetExteriorRing_r(h, p) :
			    GEOSGetInteriorRingN_r(h, p, k);
			const GEOSCoordSequence *cs = ring ?
			    GEOSGeom_getCoordSeq_r(h, ring) : NULL;
			unsigned m = 0;

			if (cs == NULL || !GEOSCoordSeq_getSize_r(h, cs, &m) ||
			    kcni_grow(xy, xycap, *nxy + 2 * (size_t)m) ==
			    NULL || kcni_grow(end, endcap, *nend + 1) ==
			    NULL || !GEOSCoordSeq_copyToBuffer_r(h, cs, *xy +
			    *nxy, 0, 0))
				return -1;
			*nxy += 2 * (size_t)m;
			(*end)[(*nend)++] = k < 0 ? (double)*nxy :
			    -(double)*nxy;
		}
	}
	return 0;
}

GEOSGeometry *
kcni_line_in_area(GEOSContextHandle_t h, const GEOSGeometry *line,
    const GEOSGeometry *area, const GEOSPreparedGeometry *pa, int *err)
{
	struct lin_buf ring = { 0 }, end = { 0 }, t = { 0 }, pt = { 0 };
	GEOSGeometry **out = NULL, *res = NULL;
	size_t nout = 0, cap = 0;
	int nl = GEOSGetNumGeometries_r(h, line), whole = 1;

	*err = 0;
	if (nl < 0 || kcni_rings(h, area, &ring.v, &ring.cap, &ring.n, &end.v,
	    &end.cap, &end.n) != 0)
		goto fail;
	for (int l = 0; l < nl; l++) {
		const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h,
		    GEOSGetGeometryN_r(h, line, l));
		unsigned m = 0;

		if (cs == NULL || !GEOSCoordSeq_getSize_r(h, cs, &m))
			goto fail;
		pt.n = 0;
		for (unsigned j = 0; j + 1 < m; j++) {
			double a[2], b[2];

			if (!GEOSCoordSeq_getXY_r(h, cs, j, &a[0], &a[1]) ||
			    !GEOSCoordSeq_getXY_r(h, cs, j + 1, &b[0], &b[1]))
				goto fail;
			/* Where the segment meets any edge, in order. */
			t.n = 0;
			if (lin_add(&t, 0) != 0)
				goto fail;
			for (size_t r = 0, s = 0; r < end.n; s = (size_t)
			    fabs(end.v[r++]))
				for (size_t k = s; k + 3 < (size_t)fabs(
				    end.v[r]); k += 2)
					if (lin_cuts(a, b, &ring.v[k],
					    &ring.v[k + 2], &t) != 0)
						goto fail;
			if (lin_add(&t, 1) != 0)
				goto fail;
			qsort(t.v, t.n, sizeof(*t.v), lin_cmp);
			/* Each part in or out by its middle. */
			for (size_t k = 0; k + 1 < t.n; k++) {
				double s0 = t.v[k], s1 = t.v[k + 1], sm;
				double x0, y0, x1, y1;
				GEOSGeometry *mid;
				char in;

				if (!(s1 > s0))
					continue;
				sm = (s0 + s1) / 2;
				mid = GEOSGeom_createPointFromXY_r(h, a[0] + sm *
				    (b[0] - a[0]), a[1] + sm * (b[1] - a[1]));
				if (mid == NULL)
					goto fail;
				in = GEOSPreparedIntersects_r(h, pa, mid);
				GEOSGeom_destroy_r(h, mid);
				if (in == 2)
					goto fail;
				x0 = s0 == 0 ? a[0] : a[0] + s0 * (b[0] - a[0]);
				y0 = s0 == 0 ? a[1] : a[1] + s0 * (b[1] - a[1]);
				x1 = s1 == 1 ? b[0] : a[0] + s1 * (b[0] - a[0]);
				y1 = s1 == 1 ? b[1] : a[1] + s1 * (b[1] - a[1]);
				if (!in) {
					whole = 0;
					if (pt.n >= 4 && lin_flush(h, &pt, &out,
					    &nout, &cap) != 0)
						goto fail;
					pt.n = 0;
					continue;
				}
				if ((pt.n == 0 && lin_push(&pt, x0, y0) != 0) ||
				    lin_push(&pt, x1, y1) != 0)
					goto fail;
			}
		}
		if (pt.n >= 4 && lin_flush(h, &pt, &out, &nout, &cap) != 0)
			goto fail;
		pt.n = 0;
	}
	if (whole)
		res = (GEOSGeometry *)line;
	else if (nout > 0) {
		res = GEOSGeom_createCollection_r(h, GEOS_MULTILINESTRING, out,
		    (unsigned)nout);
		if (res == NULL)
			goto fail;
		nout = 0;
	}
	goto out;
fail:
	*err = 1;
	res = NULL;
out:
	for (size_t i = 0; i < nout; i++)
		GEOSGeom_destroy_r(h, out[i]);
	free(out);
	free(ring.v);
	free(end.v);
	free(t.v);
	free(pt.v);
	return res;
}
