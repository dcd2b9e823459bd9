/*
 * convex.c: the union of convex areas, and the part that two or more of
 * them cover, from the edges that bound them.
 *
 * Each edge of each area is cut where it meets the edges of the others.
 * The areas turn anticlockwise, so the covered side of every edge is on
 * its left: a part of an edge that no other area holds bounds the union,
 * and one that exactly one other area holds bounds the part covered
 * twice.  The parts are then joined end to start into rings, and the
 * rings that turn clockwise are holes.  Where two areas have an edge on
 * the same line running the same way (the sides of the rectangle they
 * were clipped to, or a circle drawn twice), the area given first holds
 * the shared stretch.
 *
 * Anything within TOL of a degenerate case that is not exactly one (a
 * point on another area's edge but not exactly, edges sharing a stretch
 * the opposite way, a node where rings touch) gives up, and the caller
 * uses the general overlay for those areas.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kcn_internal.h"

struct cc_edge {
	double x0, y0, x1, y1;	/* from, to */
	double il;		/* 1 / length */
	size_t poly;
};

struct cc_cut {
	size_t edge;
	double t, x, y;
};

struct cc_pair {		/* edges A and B on one line */
	size_t a, b;
};

struct cc_seg {
	double x0, y0, x1, y1;
};

struct cc {
	size_t n;		/* areas */
	size_t *first;		/* their edges: first[i] .. first[i + 1] */
	double (*box)[4];
	struct cc_edge *e;
	size_t ne, ecap;
	struct cc_cut *cut;
	size_t ncut, cutcap;
	struct cc_pair *col;
	size_t ncol, colcap;
	struct cc_seg *seg[2];	/* parts bounding the union, the twice */
	size_t nseg[2], segcap[2];
	double tol;
};

/* P, of *CAP items of SIZE bytes, grown to room for N: the new P, or
   NULL when out of memory (P then unchanged). */
static void *
cc_grow(void *p, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? 2 * *cap : 64;

	if (n <= *cap)
		return p;
	while (c < n)
		c *= 2;
	if ((p = realloc(p, c * size)) != NULL)
		*cap = c;
	return p;
}

static int
cc_add_cut(struct cc *c, size_t edge, double x, double y)
{
	const struct cc_edge *e = &c->e[edge];
	double dx = e->x1 - e->x0, dy = e->y1 - e->y0;
	double t = ((x - e->x0) * dx + (y - e->y0) * dy) * e->il * e->il;
	struct cc_cut *cut;

	/* The ends are nodes already. */
	if ((x == e->x0 && y == e->y0) || (x == e->x1 && y == e->y1) ||
	    t <= 0 || t >= 1)
		return 0;
	if ((cut = cc_grow(c->cut, &c->cutcap, c->ncut + 1,
	    sizeof(*cut))) == NULL)
		return -1;
	c->cut = cut;
	c->cut[c->ncut++] = (struct cc_cut){ edge, t, x, y };
	return 0;
}

/* The ring of area G as edges turning anticlockwise; -1 when G is not
   one polygon without holes or has no area. */
static int
cc_area(GEOSContextHandle_t h, struct cc *c, const GEOSGeometry *g,
    size_t poly)
{
	const GEOSGeometry *ring;
	const GEOSCoordSequence *cs;
	struct cc_edge *ge;
	double *xy, a = 0;
	unsigned m = 0;
	size_t e0 = c->ne;

	if (GEOSGeomTypeId_r(h, g) != GEOS_POLYGON ||
	    GEOSGetNumInteriorRings_r(h, g) != 0 ||
	    (ring = GEOSGetExteriorRing_r(h, g)) == NULL ||
	    (cs = GEOSGeom_getCoordSeq_r(h, ring)) == NULL ||
	    !GEOSCoordSeq_getSize_r(h, cs, &m) || m < 4 ||
	    (xy = malloc(2 * (size_t)m * sizeof(*xy))) == NULL)
		return -1;
	if (!GEOSCoordSeq_copyToBuffer_r(h, cs, xy, 0, 0) ||
	    (ge = cc_grow(c->e, &c->ecap, c->ne + m, sizeof(*ge))) == NULL) {
		free(xy);
		return -1;
	}
	c->e = ge;
	for (unsigned i = 0; i + 1 < m; i++)
		a += (xy[2 * i] - xy[0]) * (xy[2 * i + 3] - xy[1]) -
		    (xy[2 * i + 2] - xy[0]) * (xy[2 * i + 1] - xy[1]);
	c->box[poly][0] = c->box[poly][1] = HUGE_VAL;
	c->box[poly][2] = c->box[poly][3] = -HUGE_VAL;
	for (unsigned k = 0; k + 1 < m; k++) {
		/* Clockwise rings walked backwards. */
		unsigned i = a > 0 ? k : m - 1 - k, j = a > 0 ? k + 1 : m - 2 - k;
		struct cc_edge *e = &c->e[c->ne];

		*e = (struct cc_edge){ xy[2 * i], xy[2 * i + 1], xy[2 * j],
		    xy[2 * j + 1], 0, poly };
		if (e->x0 == e->x1 && e->y0 == e->y1)
			continue;
		e->il = 1 / hypot(e->x1 - e->x0, e->y1 - e->y0);
		c->box[poly][0] = fmin(c->box[poly][0], e->x0);
		c->box[poly][1] = fmin(c->box[poly][1], e->y0);
		c->box[poly][2] = fmax(c->box[poly][2], e->x0);
		c->box[poly][3] = fmax(c->box[poly][3], e->y0);
		c->ne++;
	}
	free(xy);
	return a != 0 && c->ne - e0 >= 3 ? 0 : -1;
}

/* Twice the signed area of triangle A B P: > 0 when P is left of AB. */
static double
cc_orient(double ax, double ay, double bx, double by, double px, double py)
{
	return (bx - ax) * (py - ay) - (by - ay) * (px - ax);
}

/* Cuts edges A and B (of different areas) where they meet. */
static int
cc_meet(struct cc *c, size_t ia, size_t ib)
{
	const struct cc_edge *a = &c->e[ia], *b = &c->e[ib];
	double or, os, op, oq;

	if (fmax(a->x0, a->x1) < fmin(b->x0, b->x1) ||
	    fmax(b->x0, b->x1) < fmin(a->x0, a->x1) ||
	    fmax(a->y0, a->y1) < fmin(b->y0, b->y1) ||
	    fmax(b->y0, b->y1) < fmin(a->y0, a->y1))
		return 0;
	or = cc_orient(a->x0, a->y0, a->x1, a->y1, b->x0, b->y0);
	os = cc_orient(a->x0, a->y0, a->x1, a->y1, b->x1, b->y1);
	op = cc_orient(b->x0, b->y0, b->x1, b->y1, a->x0, a->y0);
	oq = cc_orient(b->x0, b->y0, b->x1, b->y1, a->x1, a->y1);
	if (or == 0 && os == 0 && op == 0 && oq == 0) {
		/* On one line: each cut at the other's ends. */
		struct cc_pair *col = cc_grow(c->col, &c->colcap, c->ncol + 2,
		    sizeof(*col));

		if (col == NULL)
			return -1;
		c->col = col;
		c->col[c->ncol++] = (struct cc_pair){ ia, ib };
		c->col[c->ncol++] = (struct cc_pair){ ib, ia };
		return cc_add_cut(c, ia, b->x0, b->y0) ||
		    cc_add_cut(c, ia, b->x1, b->y1) ||
		    cc_add_cut(c, ib, a->x0, a->y0) ||
		    cc_add_cut(c, ib, a->x1, a->y1) ? -1 : 0;
	}
	if (or == 0 || os == 0 || op == 0 || oq == 0) {
		/* An end exactly on the other edge: a node there. */
		if ((or == 0 && cc_add_cut(c, ia, b->x0, b->y0) != 0) ||
		    (os == 0 && cc_add_cut(c, ia, b->x1, b->y1) != 0) ||
		    (op == 0 && cc_add_cut(c, ib, a->x0, a->y0) != 0) ||
		    (oq == 0 && cc_add_cut(c, ib, a->x1, a->y1) != 0))
			return -1;
		return 0;
	}
	if ((or > 0) == (os > 0) || (op > 0) == (oq > 0))
		return 0;
	/* A crossing: one point, the node of both. */
	{
		double t = op / (op - oq);
		double x = a->x0 + t * (a->x1 - a->x0);
		double y = a->y0 + t * (a->y1 - a->y0);

		return cc_add_cut(c, ia, x, y) || cc_add_cut(c, ib, x, y) ?
		    -1 : 0;
	}
}

static int
cc_cmp_cut(const void *pa, const void *pb)
{
	const struct cc_cut *a = pa, *b = pb;

	if (a->edge != b->edge)
		return a->edge < b->edge ? -1 : 1;
	return a->t < b->t ? -1 : a->t > b->t;
}

static int
cc_cmp_pair(const void *pa, const void *pb)
{
	const struct cc_pair *a = pa, *b = pb;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return a->b < b->b ? -1 : a->b > b->b;
}

/*
 * Whether area J holds the point (X, Y) of a part of edge IA: 1 inside,
 * 0 outside, -1 within the tolerance of its boundary.  On the line of one
 * of J's edges, the point is on J's boundary within that edge (held when
 * the edges run the same way and J comes first) and outside J beyond it.
 */
static int
cc_holds(const struct cc *c, size_t ia, size_t j, double x, double y,
    const struct cc_pair *col, size_t ncol)
{
	const struct cc_edge *a = &c->e[ia];
	int near = 0, on = 0;

	if (x < c->box[j][0] - c->tol || x > c->box[j][2] + c->tol ||
	    y < c->box[j][1] - c->tol || y > c->box[j][3] + c->tol)
		return 0;
	for (size_t k = 0; k < ncol; k++) {
		const struct cc_edge *b = &c->e[col[k].b];
		double dx = b->x1 - b->x0, dy = b->y1 - b->y0, t;

		if (b->poly != j)
			continue;
		on = 1;
		t = ((x - b->x0) * dx + (y - b->y0) * dy) * b->il * b->il;
		if (t > 0 && t < 1)
			return j < a->poly && dx * (a->x1 - a->x0) + dy *
			    (a->y1 - a->y0) > 0;
	}
	if (on)
		return 0;
	for (size_t ib = c->first[j]; ib < c->first[j + 1]; ib++) {
		const struct cc_edge *b = &c->e[ib];
		double d = cc_orient(b->x0, b->y0, b->x1, b->y1, x, y) * b->il;

		if (d < -c->tol)
			return 0;
		near |= d <= c->tol;
	}
	return near ? -1 : 1;
}

/* The parts of edge IA, between its cuts CUT[NCUT], into the union's
   and the twice's boundaries by how many other areas hold them. */
static int
cc_parts(struct cc *c, size_t ia, const struct cc_cut *cut, size_t ncut)
{
	const struct cc_edge *a = &c->e[ia];
	struct cc_pair *col = NULL;
	size_t ncol = 0;
	double x0 = a->x0, y0 = a->y0;

	/* This edge's partners on its line. */
	if (c->ncol > 0) {
		struct cc_pair key = { ia, 0 };
		size_t lo = 0, hi = c->ncol;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (cc_cmp_pair(&c->col[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		col = &c->col[lo];
		while (lo + ncol < c->ncol && col[ncol].a == ia)
			ncol++;
	}
	for (size_t k = 0; k <= ncut; k++) {
		double x1 = k < ncut ? cut[k].x : a->x1;
		double y1 = k < ncut ? cut[k].y : a->y1;
		double mx = (x0 + x1) / 2, my = (y0 + y1) / 2;
		int depth = 0;

		if (x1 == x0 && y1 == y0)
			continue;
		for (size_t j = 0; j < c->n && depth < 2; j++) {
			int in;

			if (j == a->poly)
				continue;
			if ((in = cc_holds(c, ia, j, mx, my, col, ncol)) < 0)
				return -1;
			depth += in;
		}
		if (depth < 2) {
			struct cc_seg *sg = cc_grow(c->seg[depth],
			    &c->segcap[depth], c->nseg[depth] + 1, sizeof(*sg));

			if (sg == NULL)
				return -1;
			c->seg[depth] = sg;
			c->seg[depth][c->nseg[depth]++] = (struct cc_seg){ x0,
			    y0, x1, y1 };
		}
		x0 = x1, y0 = y1;
	}
	return 0;
}

static int
cc_cmp_seg(const void *pa, const void *pb)
{
	const struct cc_seg *a = pa, *b = pb;

	if (a->x0 != b->x0)
		return a->x0 < b->x0 ? -1 : 1;
	return a->y0 < b->y0 ? -1 : a->y0 > b->y0;
}

/* Whether (X, Y) is inside the closed ring XY of N points. */
static int
cc_in_ring(const double *xy, size_t n, double x, double y)
{
	int in = 0;

	for (size_t i = 0; i + 1 < n; i++) {
		double ax = xy[2 * i], ay = xy[2 * i + 1];
		double bx = xy[2 * i + 2], by = xy[2 * i + 3];

		if ((ay > y) != (by > y) &&
		    x < ax + (y - ay) * (bx - ax) / (by - ay))
			in = !in;
	}
	return in;
}

struct cc_ring {
	size_t at, n;		/* points in the joined array */
	double area;
	int shell;		/* the ring it is a hole of, for a hole */
};

/* A polygon of shell S and the holes that chose it. */
static GEOSGeometry *
cc_polygon(GEOSContextHandle_t h, const double *xy, const struct cc_ring *r,
    size_t nr, size_t s)
{
	GEOSGeometry *shell, **holes = NULL, *p = NULL;
	unsigned nh = 0;
	GEOSCoordSequence *cs;

	if ((holes = malloc(nr * sizeof(*holes))) == NULL)
		return NULL;
	for (size_t i = 0; i < nr; i++) {
		if (r[i].area > 0 || r[i].shell != (int)s)
			continue;
		if ((cs = GEOSCoordSeq_copyFromBuffer_r(h, xy + 2 * r[i].at,
		    (unsigned)r[i].n, 0, 0)) == NULL ||
		    (holes[nh] = GEOSGeom_createLinearRing_r(h, cs)) == NULL)
			goto fail;
		nh++;
	}
	if ((cs = GEOSCoordSeq_copyFromBuffer_r(h, xy + 2 * r[s].at,
	    (unsigned)r[s].n, 0, 0)) == NULL ||
	    (shell = GEOSGeom_createLinearRing_r(h, cs)) == NULL)
		goto fail;
	p = GEOSGeom_createPolygon_r(h, shell, holes, nh);
	nh = 0;
fail:
	for (unsigned i = 0; i < nh; i++)
		GEOSGeom_destroy_r(h, holes[i]);
	free(holes);
	return p;
}

/*
 * The parts SEG[N] (sorted here) joined end to start into rings, made an
 * area into *G (NULL when there are none).  -1 when a node has more than
 * one way on, or none.
 */
static int
cc_join(GEOSContextHandle_t h, struct cc_seg *seg, size_t n, GEOSGeometry **g)
{
	double *xy = NULL;
	struct cc_ring *r = NULL, *gr;
	unsigned char *used = NULL;
	GEOSGeometry **poly = NULL;
	size_t nxy = 0, xycap = 0, nr = 0, rcap = 0, np = 0;
	int rc = -1;

	*g = NULL;
	if (n == 0)
		return 0;
	qsort(seg, n, sizeof(*seg), cc_cmp_seg);
	for (size_t i = 0; i + 1 < n; i++)
		if (seg[i].x0 == seg[i + 1].x0 && seg[i].y0 == seg[i + 1].y0)
			return -1;
	if ((used = calloc(n, 1)) == NULL)
		return -1;
	for (size_t s = 0; s < n; s++) {
		size_t k = s, at = nxy;
		double a = 0;

		if (used[s])
			continue;
		do {
			struct cc_seg key = { seg[k].x1, seg[k].y1, 0, 0 };
			const struct cc_seg *next;

			used[k] = 1;
			if (kcni_grow(&xy, &xycap, nxy + 4) == NULL)
				goto out;
			xy[nxy++] = seg[k].x0;
			xy[nxy++] = seg[k].y0;
			a += (seg[k].x0 - seg[s].x0) * (seg[k].y1 - seg[s].y0) -
			    (seg[k].x1 - seg[s].x0) * (seg[k].y0 - seg[s].y0);
			if ((next = bsearch(&key, seg, n, sizeof(*seg),
			    cc_cmp_seg)) == NULL)
				goto out;
			k = (size_t)(next - seg);
			if (used[k] && k != s)
				goto out;
		} while (k != s);
		xy[nxy++] = xy[at];
		xy[nxy++] = xy[at + 1];
		if (nxy - at < 8 || a == 0 || (gr = cc_grow(r, &rcap, nr + 1,
		    sizeof(*gr))) == NULL)
			goto out;
		r = gr;
		r[nr++] = (struct cc_ring){ at / 2, (nxy - at) / 2, a / 2, -1 };
	}
	/* Each hole in the smallest shell around it. */
	for (size_t i = 0; i < nr; i++) {
		if (r[i].area > 0)
			continue;
		for (size_t j = 0; j < nr; j++)
			if (r[j].area > 0 && (r[i].shell < 0 ||
			    r[j].area < r[r[i].shell].area) &&
			    cc_in_ring(xy + 2 * r[j].at, r[j].n,
			    xy[2 * r[i].at], xy[2 * r[i].at + 1]))
				r[i].shell = (int)j;
		if (r[i].shell < 0)
			goto out;
	}
	if ((poly = malloc(nr * sizeof(*poly))) == NULL)
		goto out;
	for (size_t i = 0; i < nr; i++)
		if (r[i].area > 0 && (poly[np++] = cc_polygon(h, xy, r, nr,
		    i)) == NULL) {
			np--;
			goto out;
		}
	if (np == 1)
		*g = poly[0];
	else
		*g = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, poly,
		    (unsigned)np);
	if (*g != NULL)
		np = 0;		/* the result's now */
	rc = *g != NULL ? 0 : -1;
out:
	for (size_t i = 0; i < np; i++)
		GEOSGeom_destroy_r(h, poly[i]);
	free(poly);
	free(xy);
	free(r);
	free(used);
	return rc;
}

int
kcni_convex_cover(GEOSContextHandle_t h, GEOSGeometry *const *p, size_t n,
    double tol, GEOSGeometry **u, GEOSGeometry **t)
{
	struct cc c = { .n = n, .tol = tol };
	int rc = -1;

	*u = NULL;
	if (t != NULL)
		*t = NULL;
	if ((c.first = malloc((n + 1) * sizeof(*c.first))) == NULL ||
	    (c.box = malloc((n + 1) * sizeof(*c.box))) == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		c.first[i] = c.ne;
		if (cc_area(h, &c, p[i], i) != 0)
			goto out;
	}
	c.first[n] = c.ne;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			if (c.box[i][0] > c.box[j][2] ||
			    c.box[j][0] > c.box[i][2] ||
			    c.box[i][1] > c.box[j][3] ||
			    c.box[j][1] > c.box[i][3])
				continue;
			for (size_t a = c.first[i]; a < c.first[i + 1]; a++)
				for (size_t b = c.first[j]; b < c.first[j + 1];
				    b++)
					if (cc_meet(&c, a, b) != 0)
						goto out;
		}
	if (c.ncut > 0)
		qsort(c.cut, c.ncut, sizeof(*c.cut), cc_cmp_cut);
	if (c.ncol > 0)
		qsort(c.col, c.ncol, sizeof(*c.col), cc_cmp_pair);
	for (size_t a = 0, k = 0; a < c.ne; a++) {
		size_t k0 = k;

		while (k < c.ncut && c.cut[k].edge == a)
			k++;
		if (cc_parts(&c, a, c.cut + k0, k - k0) != 0)
			goto out;
	}
	if (cc_join(h, c.seg[0], c.nseg[0], u) != 0 ||
	    (t != NULL && cc_join(h, c.seg[1], c.nseg[1], t) != 0))
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		if (*u != NULL)
			GEOSGeom_destroy_r(h, *u);
		*u = NULL;
	}
	free(c.first);
	free(c.box);
	free(c.e);
	free(c.cut);
	free(c.col);
	free(c.seg[0]);
	free(c.seg[1]);
	return rc;
}
