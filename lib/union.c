/*
 * union.c: the union of many overlapping areas, such as service areas.
 *
 * GEOS's unary union merges the parts pairwise up a tree, and on parts
 * that overlap heavily (a city's 300 m service areas, each over dozens of
 * others) nearly all of that work is inside the result.  So a grid is
 * laid first, with cells about a third of a typical part: a cell that one
 * part contains (GEOS's prepared predicate, exact) is covered; the covered
 * cells, merged by coverage union (they share their edges exactly), form
 * an area inside the result; and a part whose envelope lies within covered
 * cells adds nothing to it and is dropped before the union.  The union of
 * that area and the parts left is the union of all parts, exactly.  When
 * too few parts would be dropped for the trouble, the parts go to the
 * unary union as they are.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kcn_internal.h"

#define UNION_FEW 1000		/* below this, the plain unary union */
#define UNION_CELL 0.3		/* cell side over a part's median size */
#define UNION_CELLS 4e6		/* at most this many cells */
#define UNION_WORTH 0.2		/* drop at least this share of the parts */

struct uni_env {
	double x0, y0, x1, y1;
};

static int
uni_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The unary union of PARTS[0..N), which it takes; NULL on failure. */
static GEOSGeometry *
uni_plain(GEOSContextHandle_t h, GEOSGeometry **parts, size_t n)
{
	GEOSGeometry *coll, *u;

	/* GEOS takes the parts, even when it fails. */
	coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts,
	    (unsigned)n);
	if (coll == NULL)
		return NULL;
	u = GEOSUnaryUnion_r(h, coll);
	GEOSGeom_destroy_r(h, coll);
	return u;
}

/* The grid's cell index range [*I0, *I1] that LO..HI overlaps, widened by
   a hair against rounding, clamped to [0, N). */
static void
uni_range(double lo, double hi, double o, double s, size_t n, int *i0,
    int *i1)
{
	double pad = s * 1e-9;

	*i0 = (int)fmax(0, floor((lo - pad - o) / s));
	*i1 = (int)fmin((double)n - 1, floor((hi + pad - o) / s));
}

/* Whether envelope E lies within covered cells of the grid COV (NX by
   NY cells of side S from ALL's corner). */
static int
uni_within(const unsigned char *cov, size_t nx, size_t ny,
    const struct uni_env *all, double s, const struct uni_env *e)
{
	int ix0, ix1, iy0, iy1;

	uni_range(e->x0, e->x1, all->x0, s, nx, &ix0, &ix1);
	uni_range(e->y0, e->y1, all->y0, s, ny, &iy0, &iy1);
	for (int iy = iy0; iy <= iy1; iy++)
		for (int ix = ix0; ix <= ix1; ix++)
			if (!cov[(size_t)iy * nx + ix])
				return 0;
	return 1;
}

GEOSGeometry *
kcni_union_areas(struct kcn_ctx *ctx, GEOSGeometry **parts, size_t n,
    size_t *dropped)
{
	GEOSContextHandle_t h = kcn_ctx_geos(ctx);
	struct uni_env *e = NULL, all = { HUGE_VAL, HUGE_VAL, -HUGE_VAL,
	    -HUGE_VAL };
	double *size = NULL, s;
	unsigned char *cov = NULL;
	GEOSGeometry **rect = NULL, *region, *u = NULL;
	size_t nx, ny, ncov = 0, kept = 0;

	*dropped = 0;
	if (n < UNION_FEW)
		return uni_plain(h, parts, n);
	if ((e = malloc(n * sizeof(*e))) == NULL ||
	    (size = malloc(n * sizeof(*size))) == NULL)
		goto plain;
	for (size_t i = 0; i < n; i++) {
		if (!GEOSGeom_getXMin_r(h, parts[i], &e[i].x0) ||
		    !GEOSGeom_getYMin_r(h, parts[i], &e[i].y0) ||
		    !GEOSGeom_getXMax_r(h, parts[i], &e[i].x1) ||
		    !GEOSGeom_getYMax_r(h, parts[i], &e[i].y1))
			goto plain;	/* empty: nothing to gain */
		all.x0 = fmin(all.x0, e[i].x0);
		all.y0 = fmin(all.y0, e[i].y0);
		all.x1 = fmax(all.x1, e[i].x1);
		all.y1 = fmax(all.y1, e[i].y1);
		size[i] = fmin(e[i].x1 - e[i].x0, e[i].y1 - e[i].y0);
	}
	qsort(size, n, sizeof(*size), uni_cmp);
	s = fmax(size[n / 2] * UNION_CELL, sqrt((all.x1 - all.x0) *
	    (all.y1 - all.y0) / UNION_CELLS));
	if (!(s > 0) || !isfinite(s))
		goto plain;
	nx = (size_t)floor((all.x1 - all.x0) / s) + 1;
	ny = (size_t)floor((all.y1 - all.y0) / s) + 1;
	if ((cov = calloc(nx * ny, 1)) == NULL)
		goto plain;
	/* Cells that one part contains, each tested until it is covered. */
	for (size_t i = 0; i < n; i++) {
		const GEOSPreparedGeometry *p = NULL;
		int ix0, ix1, iy0, iy1;

		/* Only cells wholly within the part's envelope can be. */
		ix0 = (int)ceil((e[i].x0 - all.x0) / s);
		ix1 = (int)floor((e[i].x1 - all.x0) / s) - 1;
		iy0 = (int)ceil((e[i].y0 - all.y0) / s);
		iy1 = (int)floor((e[i].y1 - all.y0) / s) - 1;
		for (int iy = iy0; iy <= iy1; iy++)
			for (int ix = ix0; ix <= ix1; ix++) {
				unsigned char *c = &cov[(size_t)iy * nx + ix];
				GEOSGeometry *r;

				if (*c)
					continue;
				if (p == NULL && (p = GEOSPrepare_r(h,
				    parts[i])) == NULL)
					goto plain;
				r = GEOSGeom_createRectangle_r(h, all.x0 + ix *
				    s, all.y0 + iy * s, all.x0 + (ix + 1) * s,
				    all.y0 + (iy + 1) * s);
				if (r == NULL) {
					GEOSPreparedGeom_destroy_r(h, p);
					goto plain;
				}
				if (GEOSPreparedContains_r(h, p, r) == 1) {
					*c = 1;
					ncov++;
				}
				GEOSGeom_destroy_r(h, r);
			}
		if (p != NULL)
			GEOSPreparedGeom_destroy_r(h, p);
	}
	/* The parts that lie within covered cells add nothing. */
	for (size_t i = 0; i < n; i++)
		if (!uni_within(cov, nx, ny, &all, s, &e[i]))
			kept++;
	if (ncov == 0 || n - kept < UNION_WORTH * n)
		goto plain;
	if ((rect = malloc((ncov + 1) * sizeof(*rect))) == NULL)
		goto plain;
	ncov = 0;
	for (size_t iy = 0; iy < ny; iy++)
		for (size_t ix = 0; ix < nx; ix++) {
			if (!cov[iy * nx + ix])
				continue;
			/* Corners computed one way, shared exactly. */
			rect[ncov] = GEOSGeom_createRectangle_r(h, all.x0 +
			    (double)ix * s, all.y0 + (double)iy * s, all.x0 +
			    (double)(ix + 1) * s, all.y0 + (double)(iy + 1) *
			    s);
			if (rect[ncov] == NULL)
				goto plain;
			ncov++;
		}
	{
		GEOSGeometry *coll = GEOSGeom_createCollection_r(h,
		    GEOS_GEOMETRYCOLLECTION, rect, (unsigned)ncov);

		free(rect);
		rect = NULL;
		ncov = 0;
		if (coll == NULL)
			goto plain;
		region = GEOSCoverageUnion_r(h, coll);
		GEOSGeom_destroy_r(h, coll);
		if (region == NULL)
			goto plain;
	}
	/* The parts kept, then the covered area, in one union. */
	kept = 0;
	for (size_t i = 0; i < n; i++)
		if (uni_within(cov, nx, ny, &all, s, &e[i]))
			GEOSGeom_destroy_r(h, parts[i]);
		else
			parts[kept++] = parts[i];
	*dropped = n - kept;
	parts[kept++] = region;
	u = uni_plain(h, parts, kept);
	free(e);
	free(size);
	free(cov);
	return u;
plain:
	if (rect != NULL)
		for (size_t i = 0; i < ncov; i++)
			GEOSGeom_destroy_r(h, rect[i]);
	free(rect);
	free(e);
	free(size);
	free(cov);
	*dropped = 0;
	return uni_plain(h, parts, n);
}
