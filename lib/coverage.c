/*
 * coverage.c: kcn-coverage's work, the coverage report of a plan.
 *
 * Everything is brought into one Lambert azimuthal equal-area projection
 * centred on the zones, so that planar areas are areas on the ellipsoid.
 * A grid is laid over the zones, with cells about half a typical service
 * area across.  In each cell, every measure is exact and local:
 *
 * - the service areas of a set are clipped to the cell (GEOS's rectangle
 *   clip); a cell that two of them contain is covered, and covered twice;
 *   one that one contains is covered, and covered twice where the others
 *   reach; otherwise the faces of the clipped pieces' arrangement, each
 *   counted by the pieces that hold it, give what is covered once and
 *   twice.  A cell with too many pieces to merge is quartered first.
 * - the zones are clipped to the cell too, and each measure is summed
 *   over the pieces of zone and cover that meet.
 *
 * The pieces of different cells do not overlap, so the sums are the
 * areas of the unions, with nothing counted twice, and cells are
 * independent: they run on all threads, and are summed in cell order, so
 * that the numbers are the same for any number of threads.  Points,
 * lines and population areas stream through afterwards, in batches, each
 * measured against the pieces of the cells it falls in.
 *
 * Service areas are read in batches on all threads too.  Those drawn
 * from points (CATEGORY=LAYER:r=METRES) are circles mapped straight into
 * the analysis projection through its local distortion at the point,
 * rather than drawn elsewhere and transformed vertex by vertex: a
 * projection per point instead of one per vertex.
 *
 * Population from a raster: each piece is taken into the raster's pixel
 * grid, and each cell weighted by the exact share of it inside, found
 * from the piece's edges (kcni_ring_shares).  Cells without data and the
 * parts outside the raster are counted as unknown area, never as no
 * people.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <geodesic.h>
#include <json.h>

#include "kcn_internal.h"

#define COV_TMAX 64		/* threads at most */
#define COV_KMAX 12		/* pieces a cell merges without quartering */
#define COV_DEPTH 5		/* quarterings at most */
#define COV_FULL (1 - 1e-12)	/* area share taken as the whole */
#define COV_CELL 0.5		/* cell side over a service area's median */
#define COV_CELLS 1e6		/* at most about this many cells */
#define COV_BATCH 16384		/* features a batch of points or lines */
#define COV_RASTER_MAX 2e8	/* raster cells read at most */
#define COV_SCRATCH 65536	/* pixels a band of cov_pop, about */
#define COV_SHIFT 0.3819660112501051	/* grid offset, in cells */
#define COV_UNIT_MAX 4008	/* vertices of a unit circle, at most */
#define COV_DENSE 10.0		/* metres between vertices of areas taken
				   into the analysis CRS */

/* ---- the model --------------------------------------------------------- */

/*
 * A service area: an area, or a circle kept as its centre and the two
 * vectors its unit circle is mapped by (48 bytes instead of GEOS's kilobyte
 * for 33 vertices; drawn when a cell needs it).
 */
struct cov_part {
	GEOSGeometry *g;	/* the area; NULL for a circle */
	int circle;
	double a[6];		/* centre, east and north vectors */
	double e[4];		/* envelope (a circle's: of its ellipse) */
};

/* A union of service areas to measure. */
struct cov_set {
	char *label;		/* category, "all", ... */
	struct cov_part **parts;	/* borrowed from the run's layers */
	size_t n;
	GEOSSTRtree *tree;
};

struct cov_zone {
	char *id, *name;
	GEOSGeometry *g;
	double area;
};

/* A piece of an area within a cell; RECT when it is a rectangle (its
   envelope), such as a whole cell. */
struct cov_piece {
	GEOSGeometry *g;
	double x0, y0, x1, y1;
	int rect;
	int key;		/* zone index, or set index */
};

/* What a cell leaves for the later passes: the pieces of the zones and
   of each set's cover. */
struct cov_cell {
	struct cov_piece *z, *u;
	size_t nz, nu;
};

/* A contribution to the sums: VALUE to column COL of zone ZONE. */
struct cov_add {
	int zone, col;
	double v;
};

struct cov_adds {
	struct cov_add *a;
	size_t n, cap;
	int oom;
	int rejected;		/* the job's feature was skipped: MSG */
	char *msg;
};

struct cov_raster {
	int on;
	double gt[6];		/* of the window */
	int nx, ny;		/* window size */
	double *v;		/* values, NAN for none */
	struct kcn_transform *tr;	/* analysis CRS to the raster's */
};

/* What a stream of features is read for: measured as points, lines or
   population areas, or kept as service areas, or as points drawn into
   circles of service. */
enum cov_kind { COV_POINTS, COV_LINES, COV_POPAREAS, COV_AREAS, COV_CIRCLES };

/*
 * A thread's prepared geometries of the cells' pieces and of the zones,
 * by piece or zone, built when first tested against: a prepared geometry
 * answers a point, or tells a cell inside or outside, in a few steps of
 * its index, where GEOSIntersects_r builds a graph every time; GEOS's
 * prepared geometries build their indexes lazily, so each thread has its
 * own.
 */
struct cov_pcache {
	const void **key;	/* a piece or a zone */
	const GEOSPreparedGeometry **pg;
	size_t n, cap;
};

/* A batch of features of a stream: their geometries, values (of
   --pop-field), contributions, and the service areas made of them. */
struct cov_batch {
	OGRGeometryH *g;
	double (*xy)[2];	/* a footprint's centroid, taken when read */
	double *val;
	struct cov_adds *add;
	struct cov_part *part;
	size_t n;
};

struct cov_run {
	struct kcn_ctx *ctx;
	const struct kcn_coverage_opts *o;
	OGRSpatialReferenceH laea, zsrs;
	char *laea_def;
	struct cov_zone *zone;	/* nzone zones, then TOTAL */
	int nzone;
	GEOSSTRtree *ztree;
	/* the layers' areas, in the analysis CRS */
	struct cov_part **cat, **base;
	size_t *ncat, *nbase;
	struct cov_set *set;
	int nset;
	int *plan, *baseset, *comb;	/* set of each category, or -1 */
	int gapset;
	/* the grid */
	double gx, gy, s;
	int nx, ny;
	struct cov_cell *cell;	/* nx * ny */
	int keep;		/* cells keep their pieces */
	/* sums: (nzone + 1) rows of ncol */
	int ncol, np, nl;
	double *sum;
	struct cov_raster ras;
	struct kcn_transform *to_ll;	/* analysis CRS to lon/lat */
	struct geod_geodesic geod;
	int threads;
	struct cov_pcache pc[COV_TMAX];	/* one a thread */
	/* the current stream of points, lines or areas */
	enum cov_kind kind;
	int which;		/* its points or lines index */
	int popfield;
	struct kcn_transform *ftr;
	struct cov_batch bs[2], *b;	/* b: the batch being measured */
	struct cov_part **dst;	/* ... appended here */
	size_t *ndst, dcap;
	double radius;		/* of COV_CIRCLES */
	double dense;		/* the open layer's COV_DENSE, in its units */
	long long skipped, nonarea;
};

/* Columns: the zone's own, then each set's. */
#define COL_POP 0
#define COL_UNKNOWN 1
#define COL_PTS(r, p) (2 + (p))
#define COL_LEN(r, l) (2 + (r)->np + (l))
#define COL_SET(r, s) (2 + (r)->np + (r)->nl + (s) * (3 + (r)->np + (r)->nl))
#define COL_COV 0
#define COL_TWICE 1
#define COL_POPCOV 2
#define COL_PTSCOV(r, p) (3 + (p))
#define COL_LENCOV(r, l) (3 + (r)->np + (l))

/* A worker: a thread's context and its clones of the operations. */
struct cov_worker {
	struct cov_run *r;
	struct kcn_ctx *ctx;
	GEOSContextHandle_t h;
	struct cov_pcache *pc;	/* the run's, of this thread */
	struct kcn_transform *ras, *ll, *ftr;
	GEOSGeometry *unit;	/* a circle of radius 1 at 0, 0 */
	double ux[COV_UNIT_MAX], uy[COV_UNIT_MAX];	/* its ring */
	int un;
	double turn;		/* 1 anticlockwise, -1 clockwise */
	double *pxy, *rend, *acc;	/* scratch for population */
	size_t pxycap, rendcap, acccap;
	enum kcn_status st;
};

/* ---- small helpers ----------------------------------------------------- */

/*
 * Adds vertices to the area OG so that no edge is longer than DENSE (its
 * CRS's units), or than a thousandth of its size for large areas, whose
 * relative error is then smaller anyway and whose vertices every cell
 * that clips them pays for.
 */
static void
cov_densify(OGRGeometryH og, double dense)
{
	OGREnvelope e;

	OGR_G_GetEnvelope(og, &e);
	OGR_G_Segmentize(og, fmax(dense, (e.MaxX - e.MinX + e.MaxY -
	    e.MinY) / 1000));
}

static int
cov_affine_xy(double *x, double *y, void *ud)
{
	const double *a = ud;	/* centre, east and north vectors */
	double u = *x, v = *y;

	*x = a[0] + u * a[2] + v * a[4];
	*y = a[1] + u * a[3] + v * a[5];
	return 1;
}

static void
cov_add(struct cov_adds *a, int zone, int col, double v)
{
	if (v == 0 || a->oom)
		return;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		struct cov_add *n = realloc(a->a, cap * sizeof(*n));

		if (n == NULL) {
			a->oom = 1;
			return;
		}
		a->a = n;
		a->cap = cap;
	}
	a->a[a->n].zone = zone;
	a->a[a->n].col = col;
	a->a[a->n++].v = v;
}

/* Adds A's contributions to the sums, in A's order, and empties it. */
static enum kcn_status
cov_sum(struct cov_run *r, struct cov_adds *a)
{
	if (a->oom)
		return kcni_error(r->ctx, KCN_EOS, "coverage", "out of memory");
	for (size_t i = 0; i < a->n; i++)
		r->sum[(size_t)a->a[i].zone * r->ncol + a->a[i].col] +=
		    a->a[i].v;
	a->n = 0;
	return KCN_OK;
}

static double
cov_area(GEOSContextHandle_t h, const GEOSGeometry *g)
{
	double a = 0;

	if (g == NULL || GEOSArea_r(h, g, &a) != 1)
		return 0;
	return a;
}

static void
cov_env(GEOSContextHandle_t h, const GEOSGeometry *g, double e[4])
{
	if (GEOSisEmpty_r(h, g) || !GEOSGeom_getXMin_r(h, g, &e[0]) ||
	    !GEOSGeom_getYMin_r(h, g, &e[1]) ||
	    !GEOSGeom_getXMax_r(h, g, &e[2]) ||
	    !GEOSGeom_getYMax_r(h, g, &e[3]))
		e[0] = e[1] = HUGE_VAL, e[2] = e[3] = -HUGE_VAL;
}

/* The parts of G of dimension DIM (taken), or NULL when none. */
static GEOSGeometry *
cov_dim(GEOSContextHandle_t h, GEOSGeometry *g, int dim)
{
	GEOSGeometry *k;

	if (g == NULL)
		return NULL;
	if (GEOSisEmpty_r(h, g)) {
		GEOSGeom_destroy_r(h, g);
		return NULL;
	}
	if (GEOSGeom_getDimensions_r(h, g) == dim &&
	    GEOSGeomTypeId_r(h, g) != GEOS_GEOMETRYCOLLECTION)
		return g;
	k = kcni_geom_keep_dim(h, g, dim);
	GEOSGeom_destroy_r(h, g);
	if (k != NULL && GEOSisEmpty_r(h, k)) {
		GEOSGeom_destroy_r(h, k);
		k = NULL;
	}
	return k;
}

enum { COV_MEET, COV_JOIN, COV_MINUS };

/*
 * A op B, kept to dimension DIM; retried on a fine grid when GEOS fails
 * (robustness), *BAD set when that fails too.  NULL when empty.
 */
static GEOSGeometry *
cov_op(GEOSContextHandle_t h, int op, const GEOSGeometry *a,
    const GEOSGeometry *b, int dim, double grid, int *bad)
{
	GEOSGeometry *g;

	g = op == COV_MEET ? GEOSIntersection_r(h, a, b) : op == COV_JOIN ?
	    GEOSUnion_r(h, a, b) : GEOSDifference_r(h, a, b);
	if (g == NULL)
		g = op == COV_MEET ? GEOSIntersectionPrec_r(h, a, b, grid) :
		    op == COV_JOIN ? GEOSUnionPrec_r(h, a, b, grid) :
		    GEOSDifferencePrec_r(h, a, b, grid);
	if (g == NULL) {
		*bad = 1;
		return NULL;
	}
	return cov_dim(h, g, dim);
}

/* G (dimension DIM) within piece P, or NULL when nothing is; *OWN set
   when the result is new. */
static GEOSGeometry *
cov_within(GEOSContextHandle_t h, GEOSGeometry *g, int dim,
    const struct cov_piece *p, double grid, int *own, int *bad)
{
	*own = 1;
	if (p->rect) {
		double e[4];

		cov_env(h, g, e);
		if (e[0] >= p->x0 && e[1] >= p->y0 && e[2] <= p->x1 &&
		    e[3] <= p->y1) {
			*own = 0;
			return g;
		}
		if (e[0] > p->x1 || e[2] < p->x0 || e[1] > p->y1 ||
		    e[3] < p->y0)
			return NULL;
		{
			GEOSGeometry *c = GEOSClipByRect_r(h, g, p->x0, p->y0,
			    p->x1, p->y1);

			if (c == NULL) {
				*bad = 1;
				return NULL;
			}
			return cov_dim(h, c, dim);
		}
	}
	return cov_op(h, COV_MEET, g, p->g, dim, grid, bad);
}

/* ---- population from a raster ------------------------------------------ */

struct cov_pjxy {
	PJ *pj;
	int ok;
	int have;		/* the inverse's error DX, DY, found at X0, Y0 */
	double x0, y0, dx, dy;
};

#define COV_NEWTON 50.0	/* metres over which an inverse's error holds */

/*
 * X, Y from the analysis CRS into the raster's.  PROJ 9.1 inverts the
 * ellipsoidal Lambert azimuthal projection by a series good to about a
 * millimetre, which moves a zone's edge across a 100 m cell by 1e-5 of
 * it; its forward projection is exact.  So a point is taken back by the
 * forward projection, and the step taken again from where it should have
 * landed (one Newton step).  That error follows the latitude slowly (a
 * few tenths of a micrometre over 300 m), so it is found again only
 * COV_NEWTON metres on: within about 25 nanometres, for one projection a
 * point instead of three.
 */
static int
cov_pj_xy(double *x, double *y, void *ud)
{
	struct cov_pjxy *p = ud;
	PJ_COORD c;

	if (!p->have || fabs(*x - p->x0) + fabs(*y - p->y0) > COV_NEWTON) {
		PJ_COORD b;

		c = proj_trans(p->pj, PJ_FWD, proj_coord(*x, *y, 0, 0));
		b = proj_trans(p->pj, PJ_INV, c);
		p->x0 = *x, p->y0 = *y;
		p->dx = b.xy.x - *x, p->dy = b.xy.y - *y;
		p->have = isfinite(p->dx) && isfinite(p->dy);
		if (!p->have)
			p->ok = 0;
	}
	c = proj_trans(p->pj, PJ_FWD, proj_coord(*x - p->dx, *y - p->dy, 0,
	    0));
	if (!isfinite(c.xy.x) || !isfinite(c.xy.y))
		p->ok = 0;
	*x = c.xy.x;
	*y = c.xy.y;
	return 1;
}

/*
 * The population of area G (analysis CRS) and the part of its area, in
 * square metres, without data.  Its rings are taken into the raster's
 * pixels and the share of each pixel inside found exactly
 * (kcni_ring_shares), in bands of rows that keep the scratch small.
 */
static void
cov_pop(struct cov_worker *w, const GEOSGeometry *g, double *pop,
    double *unknown, int *bad)
{
	const struct cov_raster *ras = &w->r->ras;
	GEOSContextHandle_t h = w->h;
	struct cov_pjxy p = { .pj = kcni_transform_pj(w->ras), .ok = 1 };
	double area = cov_area(h, g), e[4] = { INFINITY, INFINITY, -INFINITY,
	    -INFINITY }, known = 0, all = 0, *xy = NULL, *re = NULL, *a, *f;
	int i0, j0, nw, nh, band;
	size_t n = 0, nring = 0;

	*pop = 0;
	*unknown = 0;
	if (area <= 0)
		return;
	/* Every ring's points, into the raster's pixels; where each ring
	   ends, negative for a hole, into RE. */
	if (kcni_rings(h, g, &w->pxy, &w->pxycap, &n, &w->rend, &w->rendcap,
	    &nring) != 0) {
		*bad = 1;
		return;
	}
	xy = w->pxy;
	re = w->rend;
	for (size_t k = 0; k < n; k += 2) {
		double *x = &xy[k], *y = &xy[k + 1];

		cov_pj_xy(x, y, &p);
		*x = (*x - ras->gt[0]) / ras->gt[1];
		*y = (*y - ras->gt[3]) / ras->gt[5];
		e[0] = fmin(e[0], *x), e[1] = fmin(e[1], *y);
		e[2] = fmax(e[2], *x), e[3] = fmax(e[3], *y);
	}
	if (!p.ok || !(e[0] <= e[2] && e[1] <= e[3])) {
		*unknown = area;	/* outside the raster's CRS */
		return;
	}
	i0 = (int)fmax(-1, floor(e[0]));
	j0 = (int)fmax(-1, floor(e[1]));
	nw = (int)fmin(ras->nx + 1, ceil(e[2])) - i0;
	nh = (int)fmin(ras->ny + 1, ceil(e[3])) - j0;
	nw = nw < 1 ? 1 : nw;
	band = (int)fmax(1, fmin(nh, COV_SCRATCH / nw));
	if ((a = kcni_grow(&w->acc, &w->acccap, (size_t)nw * (2 * band +
	    1))) == NULL) {
		*bad = 1;
		return;
	}
	/*
	 * Bands of rows of the window, which reaches a pixel beyond the
	 * raster on each side; what lies outside the raster, in the window
	 * or past it, is unknown, the rings' areas making the whole.
	 */
	for (int b0 = 0; b0 == 0 || b0 < nh; b0 += band) {
		int bh = nh - b0 < band ? nh - b0 : band;

		bh = bh < 1 ? 1 : bh;
		memset(a, 0, (size_t)nw * (2 * bh + 1) * sizeof(*a));
		f = a + (size_t)nw * bh;
		for (size_t r = 0, k = 0; r < nring; r++) {
			size_t end = (size_t)fabs(re[r]);
			double ar = kcni_ring_shares(xy + k, (unsigned)((end -
			    k) / 2), re[r] < 0, i0, j0 + b0, a, f, nw, bh);

			all += b0 == 0 ? ar : 0;
			k = end;
		}
		if (nh < 1)
			break;
		kcni_shares_end(a, f, nw, bh);
		for (int j = 0; j < bh; j++)
			for (int i = 0; i < nw; i++) {
				double c = a[(size_t)j * nw + i], v;
				int ri = i0 + i, rj = j0 + b0 + j;

				if (c == 0 || ri < 0 || rj < 0 || ri >= ras->nx ||
				    rj >= ras->ny || isnan(v = ras->v[(size_t)rj *
				    ras->nx + ri]))
					continue;
				*pop += v * c;
				known += c;
			}
	}
	if (all > 0 && known < all)
		*unknown = area * (all - known) / all;
	if (*unknown < area * 1e-12)
		*unknown = 0;
}

/* ---- a cell's cover ---------------------------------------------------- */

/* The slot of key P in cache C: its own, or the free one for it. */
static size_t
cov_pslot(const struct cov_pcache *c, const void *p)
{
	size_t m = c->cap - 1;
	size_t j = (size_t)(((uintptr_t)p >> 4) * 0x9e3779b97f4a7c15u >> 20) &
	    m;

	while (c->key[j] != NULL && c->key[j] != p)
		j = (j + 1) & m;
	return j;
}

/* W's prepared geometry G of piece or zone P; NULL when out of
   memory. */
static const GEOSPreparedGeometry *
cov_prepared(struct cov_worker *w, const void *p, const GEOSGeometry *g)
{
	struct cov_pcache *c = w->pc;
	size_t j;

	if (c == NULL)
		return NULL;
	if ((c->n + 1) * 2 > c->cap) {
		struct cov_pcache m = { NULL, NULL, 0, c->cap ? 2 * c->cap :
		    1024 };

		m.key = calloc(m.cap, sizeof(*m.key));
		m.pg = calloc(m.cap, sizeof(*m.pg));
		if (m.key == NULL || m.pg == NULL) {
			free(m.key);
			free(m.pg);
			return NULL;
		}
		for (size_t i = 0; i < c->cap; i++)
			if (c->key[i] != NULL) {
				j = cov_pslot(&m, c->key[i]);
				m.key[j] = c->key[i], m.pg[j] = c->pg[i];
			}
		m.n = c->n;
		free(c->key);
		free(c->pg);
		*c = m;
	}
	j = cov_pslot(c, p);
	if (c->key[j] == NULL) {
		if ((c->pg[j] = GEOSPrepare_r(w->h, g)) == NULL)
			return NULL;
		c->key[j] = p;
		c->n++;
	}
	return c->pg[j];
}

static void
cov_pcache_free(GEOSContextHandle_t h, struct cov_pcache *c)
{
	for (size_t i = 0; i < c->cap; i++)
		if (c->key[i] != NULL)
			GEOSPreparedGeom_destroy_r(h, c->pg[i]);
	free(c->key);
	free(c->pg);
	memset(c, 0, sizeof(*c));
}

struct cov_hits {
	size_t *i, *tmp;	/* TMP: room for sorting them */
	size_t n, cap;
	int oom;
};

static void
cov_hit(void *item, void *ud)
{
	struct cov_hits *hs = ud;

	if (hs->n == hs->cap) {
		size_t cap = hs->cap ? hs->cap * 2 : 64;
		size_t *n = realloc(hs->i, cap * sizeof(*n));
		size_t *t = n != NULL ? realloc(hs->tmp, cap * sizeof(*t)) :
		    NULL;

		if (n != NULL)
			hs->i = n;
		if (t == NULL) {
			hs->oom = 1;
			return;
		}
		hs->tmp = t;
		hs->cap = cap;
	}
	hs->i[hs->n++] = (size_t)(uintptr_t)item;
}

/* The hits in index order: by their bytes, the lowest first (a query
   of a thousand hits is common, and qsort's calls cost more). */
static void
cov_sort_hits(struct cov_hits *hs)
{
	size_t max = 0, *a = hs->i, *b = hs->tmp;

	for (size_t k = 0; k < hs->n; k++)
		max |= a[k];
	for (unsigned sh = 0; sh < 8 * sizeof(size_t) && max >> sh; sh += 8) {
		size_t at[257] = { 0 }, *c;

		for (size_t k = 0; k < hs->n; k++)
			at[(a[k] >> sh & 0xff) + 1]++;
		for (int d = 0; d < 256; d++)
			at[d + 1] += at[d];
		for (size_t k = 0; k < hs->n; k++)
			b[at[a[k] >> sh & 0xff]++] = a[k];
		c = a, a = b, b = c;
	}
	hs->i = a, hs->tmp = b;
}

static int
cov_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct cov_list {
	struct cov_piece *p;
	size_t n, cap;
	int oom;
};

/* Appends G (taken) as a piece; RECT: it is the rectangle E. */
static void
cov_push(GEOSContextHandle_t h, struct cov_list *l, GEOSGeometry *g,
    const double *e, int key)
{
	struct cov_piece *p;
	double env[4];

	if (g == NULL)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct cov_piece *n = realloc(l->p, cap * sizeof(*n));

		if (n == NULL) {
			l->oom = 1;
			GEOSGeom_destroy_r(h, g);
			return;
		}
		l->p = n;
		l->cap = cap;
	}
	p = &l->p[l->n++];
	p->g = g;
	p->rect = e != NULL;
	if (e == NULL) {
		cov_env(h, g, env);
		e = env;
	}
	p->x0 = e[0], p->y0 = e[1], p->x1 = e[2], p->y1 = e[3];
	p->key = key;
}

static GEOSGeometry *
cov_rect(GEOSContextHandle_t h, const double *e)
{
	return GEOSGeom_createRectangle_r(h, e[0], e[1], e[2], e[3]);
}

/* Rectangle E covered, and covered twice, whole. */
static void
cov_twice(GEOSContextHandle_t h, const double *e, struct cov_list *u,
    struct cov_list *t, int key)
{
	cov_push(h, u, cov_rect(h, e), e, key);
	cov_push(h, t, cov_rect(h, e), e, key);
}

/* The quarters Q of rectangle E. */
static void
cov_quarters(const double *e, double q[4][4])
{
	double mx = (e[0] + e[2]) / 2, my = (e[1] + e[3]) / 2;
	double v[4][4] = { { e[0], e[1], mx, my }, { mx, e[1], e[2], my },
	    { e[0], my, mx, e[3] }, { mx, my, e[2], e[3] } };

	memcpy(q, v, sizeof(v));
}

/* The union of the N areas G (borrowed), or NULL when there is none. */
static GEOSGeometry *
cov_union(GEOSContextHandle_t h, GEOSGeometry **g, size_t n, double grid,
    int *bad)
{
	GEOSGeometry **c, *coll, *u;

	if (n == 0)
		return NULL;
	if (n == 1)
		return GEOSGeom_clone_r(h, g[0]);
	if ((c = malloc(n * sizeof(*c))) == NULL) {
		*bad = 1;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		c[i] = GEOSGeom_clone_r(h, g[i]);
	coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, c,
	    (unsigned)n);
	free(c);
	if (coll == NULL) {
		*bad = 1;
		return NULL;
	}
	u = GEOSUnaryUnion_r(h, coll);
	if (u == NULL)
		u = GEOSUnaryUnionPrec_r(h, coll, grid);
	GEOSGeom_destroy_r(h, coll);
	if (u == NULL)
		*bad = 1;
	return cov_dim(h, u, 2);
}

/* Adds the rings of area G as lines to L[*N] (room for them made). */
static int
cov_rings(GEOSContextHandle_t h, const GEOSGeometry *g, GEOSGeometry ***l,
    size_t *n, size_t *cap)
{
	int ng = GEOSGetNumGeometries_r(h, g);

	for (int i = 0; i < ng; i++) {
		const GEOSGeometry *p = GEOSGetGeometryN_r(h, g, i);
		int nh = GEOSGetNumInteriorRings_r(h, p);

		if (GEOSGeomTypeId_r(h, p) != GEOS_POLYGON || nh < 0)
			return -1;
		for (int r = -1; r < nh; r++) {
			const GEOSGeometry *ring = r < 0 ?
			    GEOSGetExteriorRing_r(h, p) :
			    GEOSGetInteriorRingN_r(h, p, r);
			const GEOSCoordSequence *cs = ring != NULL ?
			    GEOSGeom_getCoordSeq_r(h, ring) : NULL;
			GEOSCoordSequence *c = cs != NULL ?
			    GEOSCoordSeq_clone_r(h, cs) : NULL;

			if (*n == *cap) {
				size_t nc = *cap ? 2 * *cap : 32;
				GEOSGeometry **m = realloc(*l, nc * sizeof(*m));

				if (m == NULL) {
					if (c != NULL)
						GEOSCoordSeq_destroy_r(h, c);
					return -1;
				}
				*l = m, *cap = nc;
			}
			if (c == NULL || ((*l)[*n] = GEOSGeom_createLineString_r(
			    h, c)) == NULL)
				return -1;
			(*n)++;
		}
	}
	return 0;
}

/* The faces F[*N] (taken, *N set to 0) merged into *G as the coverage
   they are (NULL when there are none); -1 when GEOS fails. */
static int
cov_merge_faces(GEOSContextHandle_t h, GEOSGeometry **f, size_t *n,
    GEOSGeometry **g)
{
	GEOSGeometry *c;

	if (*n == 0)
		return 0;
	c = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, f,
	    (unsigned)*n);
	if (c == NULL)
		return -1;	/* the faces are still the caller's */
	*n = 0;
	*g = GEOSCoverageUnion_r(h, c);
	GEOSGeom_destroy_r(h, c);
	return *g == NULL ? -1 : 0;
}

/*
 * The union *U of the N areas P and the part *T that two or more of them
 * cover, from their arrangement: their rings noded together and
 * polygonized into faces, each face counted by how many of the areas hold
 * a point inside it, and the faces of each kind merged as the coverage
 * they are.  A few GEOS operations instead of two overlays an area.  -1
 * when GEOS fails on the way (the caller overlays them instead).
 */
static int
cov_arrangement(GEOSContextHandle_t h, GEOSGeometry **p, size_t n,
    GEOSGeometry **u, GEOSGeometry **t)
{
	GEOSGeometry **l = NULL, *lines = NULL, *noded = NULL, *faces = NULL;
	GEOSGeometry **fu = NULL, **ft = NULL;
	const GEOSPreparedGeometry **pp = NULL;
	size_t nl = 0, cap = 0, nu = 0, nt = 0;
	int nf, rc = -1;

	*u = *t = NULL;
	if ((pp = calloc(n, sizeof(*pp))) == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (cov_rings(h, p[i], &l, &nl, &cap) != 0 ||
		    (pp[i] = GEOSPrepare_r(h, p[i])) == NULL)
			goto out;
	if ((lines = GEOSGeom_createCollection_r(h, GEOS_MULTILINESTRING, l,
	    (unsigned)nl)) == NULL)
		goto out;
	nl = 0;		/* owned by LINES now */
	if ((noded = GEOSUnaryUnion_r(h, lines)) == NULL ||
	    (faces = GEOSPolygonize_r(h, (const GEOSGeometry *const *)&noded,
	    1)) == NULL || (nf = GEOSGetNumGeometries_r(h, faces)) < 0 ||
	    (fu = malloc(((size_t)nf + 1) * sizeof(*fu))) == NULL ||
	    (ft = malloc(((size_t)nf + 1) * sizeof(*ft))) == NULL)
		goto out;
	for (int f = 0; f < nf; f++) {
		const GEOSGeometry *face = GEOSGetGeometryN_r(h, faces, f);
		GEOSGeometry *pt = GEOSPointOnSurface_r(h, face);
		int depth = 0;

		if (pt == NULL)
			goto out;
		for (size_t i = 0; i < n && depth < 2; i++)
			depth += GEOSPreparedIntersects_r(h, pp[i], pt) == 1;
		GEOSGeom_destroy_r(h, pt);
		if (depth >= 1)
			fu[nu++] = GEOSGeom_clone_r(h, face);
		if (depth >= 2)
			ft[nt++] = GEOSGeom_clone_r(h, face);
	}
	rc = cov_merge_faces(h, fu, &nu, u) != 0 ||
	    cov_merge_faces(h, ft, &nt, t) != 0 ? -1 : 0;
out:
	for (size_t i = 0; i < nl; i++)
		GEOSGeom_destroy_r(h, l[i]);
	for (size_t i = 0; i < nu; i++)
		GEOSGeom_destroy_r(h, fu[i]);
	for (size_t i = 0; i < nt; i++)
		GEOSGeom_destroy_r(h, ft[i]);
	for (size_t i = 0; pp != NULL && i < n; i++)
		if (pp[i] != NULL)
			GEOSPreparedGeom_destroy_r(h, pp[i]);
	free(l);
	free(fu);
	free(ft);
	free(pp);
	if (lines != NULL)
		GEOSGeom_destroy_r(h, lines);
	if (noded != NULL)
		GEOSGeom_destroy_r(h, noded);
	if (faces != NULL)
		GEOSGeom_destroy_r(h, faces);
	if (rc != 0) {
		if (*u != NULL)
			GEOSGeom_destroy_r(h, *u);
		if (*t != NULL)
			GEOSGeom_destroy_r(h, *t);
		*u = *t = NULL;
	}
	return rc;
}

/*
 * The cover of rectangle E by the N areas CAND (borrowed): its pieces
 * (covered at least once) into U and those covered twice into T.
 * CONVEX: the areas are, and their union and twice-covered part are
 * taken from their edges where that can be done (kcni_convex_cover).
 */
static void
cov_cover(GEOSContextHandle_t h, const double *e, GEOSGeometry **cand,
    size_t n, int convex, int depth, double grid, struct cov_list *u,
    struct cov_list *t, int key, int *bad)
{
	GEOSGeometry **pc, *au, *at;
	double whole = (e[2] - e[0]) * (e[3] - e[1]);
	size_t k = 0, inside = 0;

	if (n == 0)
		return;
	if ((pc = malloc(n * sizeof(*pc))) == NULL) {
		*bad = 1;
		return;
	}
	for (size_t i = 0; i < n && inside < 2; i++) {
		GEOSGeometry *c = GEOSClipByRect_r(h, cand[i], e[0], e[1], e[2],
		    e[3]);

		if (c == NULL) {
			*bad = 1;
			break;
		}
		if ((c = cov_dim(h, c, 2)) == NULL)
			continue;
		if (cov_area(h, c) >= whole * COV_FULL) {
			inside++;
			GEOSGeom_destroy_r(h, c);
			/* The whole cell, exactly. */
			c = cov_rect(h, e);
			/* Keep it first: the others are covered twice. */
			memmove(pc + 1, pc, k * sizeof(*pc));
			pc[0] = c;
		} else
			pc[k] = c;
		k++;
	}
	if (*bad)
		goto out;
	if (inside >= 2)
		cov_twice(h, e, u, t, key);
	else if (k > COV_KMAX && depth < COV_DEPTH) {
		double q[4][4];

		cov_quarters(e, q);
		for (int i = 0; i < 4 && !*bad; i++)
			cov_cover(h, q[i], pc, k, convex, depth + 1, grid, u,
			    t, key, bad);
	} else if (inside == 1) {
		cov_push(h, u, cov_rect(h, e), e, key);
		if (convex && k > 2 && kcni_convex_cover(h, pc + 1, k - 1,
		    grid, &at, NULL) == 0)
			cov_push(h, t, at, NULL, key);
		else
			cov_push(h, t, cov_union(h, pc + 1, k - 1, grid, bad),
			    NULL, key);
	} else if ((convex && k > 1 && kcni_convex_cover(h, pc, k, grid, &au,
	    &at) == 0) || (k > 2 && cov_arrangement(h, pc, k, &au,
	    &at) == 0)) {
		cov_push(h, u, cov_dim(h, au, 2), NULL, key);
		cov_push(h, t, cov_dim(h, at, 2), NULL, key);
	} else if (k > 0) {
		/* Each piece within those before it is covered twice. */
		GEOSGeometry *all = GEOSGeom_clone_r(h, pc[0]), **twice;
		size_t nt = 0;

		if ((twice = malloc(k * sizeof(*twice))) == NULL)
			*bad = 1;
		for (size_t i = 1; i < k && !*bad && all != NULL; i++) {
			GEOSGeometry *m = cov_op(h, COV_MEET, pc[i], all, 2,
			    grid, bad), *j;

			if (m != NULL)
				twice[nt++] = m;
			j = cov_op(h, COV_JOIN, all, pc[i], 2, grid, bad);
			GEOSGeom_destroy_r(h, all);
			all = j;
		}
		if (!*bad) {
			cov_push(h, u, all, NULL, key);
			all = NULL;
			cov_push(h, t, cov_union(h, twice, nt, grid, bad), NULL,
			    key);
		}
		if (all != NULL)
			GEOSGeom_destroy_r(h, all);
		for (size_t i = 0; i < nt; i++)
			GEOSGeom_destroy_r(h, twice[i]);
		free(twice);
	}
out:
	for (size_t i = 0; i < k; i++)
		GEOSGeom_destroy_r(h, pc[i]);
	free(pc);
	if (u->oom || t->oom)
		*bad = 1;
}

/* The candidates of TREE whose envelopes meet E, in index order. */
static void
cov_query(GEOSContextHandle_t h, GEOSSTRtree *tree, const double *e,
    struct cov_hits *hs)
{
	GEOSGeometry *q = cov_rect(h, e);

	hs->n = 0;
	if (q == NULL) {
		hs->oom = 1;
		return;
	}
	GEOSSTRtree_query_r(h, tree, q, cov_hit, hs);
	GEOSGeom_destroy_r(h, q);
	cov_sort_hits(hs);
}

/* The part of cover piece P in zone piece ZP, or NULL when none; *OWN
   set when it is new.  Intersections with a rectangle are clips. */
static GEOSGeometry *
cov_meet_pieces(GEOSContextHandle_t h, const struct cov_piece *zp,
    const struct cov_piece *p, double grid, int *own, int *bad)
{
	*own = 0;
	if (p->x0 >= zp->x1 || p->x1 <= zp->x0 || p->y0 >= zp->y1 ||
	    p->y1 <= zp->y0)
		return NULL;
	return zp->rect ? cov_within(h, p->g, 2, zp, grid, own, bad) :
	    cov_within(h, zp->g, 2, p, grid, own, bad);
}

/* Measures a zone's piece ZP against the pieces of each set's cover, U,
   and of what two cover, T (the zone's own measures done by the caller,
   its people ZPOP among them). */
static void
cov_measure_cover(struct cov_worker *w, struct cov_adds *ad,
    const struct cov_piece *zp, double zpop, const struct cov_list *u,
    const struct cov_list *t, double grid, int *bad)
{
	struct cov_run *r = w->r;
	GEOSContextHandle_t h = w->h;
	int z = zp->key;

	for (size_t i = 0; i < u->n + t->n && !*bad; i++) {
		const struct cov_piece *p = i < u->n ? &u->p[i] :
		    &t->p[i - u->n];
		int col = COL_SET(r, p->key), own;
		GEOSGeometry *m = cov_meet_pieces(h, zp, p, grid, &own, bad);

		if (m == NULL)
			continue;
		if (i >= u->n)
			cov_add(ad, z, col + COL_TWICE, cov_area(h, m));
		else {
			cov_add(ad, z, col + COL_COV, cov_area(h, m));
			if (r->ras.on) {
				double pop = zpop, unk;

				/* All of the zone's piece covered: its
				   people counted already. */
				if (m != zp->g && !(zp->rect && p->rect &&
				    p->x0 == zp->x0 && p->y0 == zp->y0 &&
				    p->x1 == zp->x1 && p->y1 == zp->y1))
					cov_pop(w, m, &pop, &unk, bad);
				cov_add(ad, z, col + COL_POPCOV, pop);
			}
		}
		if (own)
			GEOSGeom_destroy_r(h, m);
	}
}

/*
 * Whether the circle P surely contains the rectangle E: its corners,
 * taken back to the unit circle, lie inside every edge of its ring (the
 * ring is convex) by more than a billionth.  A corner closer to an edge
 * than that says no, and the cell is cut by GEOS as any other.
 */
static int
cov_circle_holds(const struct cov_worker *w, const struct cov_part *p,
    const double *e)
{
	const double *a = p->a;
	double det = a[2] * a[5] - a[3] * a[4];

	if (p->g != NULL || e[0] < p->e[0] || e[1] < p->e[1] ||
	    e[2] > p->e[2] || e[3] > p->e[3] || det == 0)
		return 0;
	for (int c = 0; c < 4; c++) {
		double dx = e[c & 1 ? 2 : 0] - a[0], dy = e[c & 2 ? 3 : 1] - a[1];
		double u = (a[5] * dx - a[4] * dy) / det;
		double v = (a[2] * dy - a[3] * dx) / det;

		for (int k = 0; k + 1 < w->un; k++) {
			double ex = w->ux[k + 1] - w->ux[k];
			double ey = w->uy[k + 1] - w->uy[k];

			if (w->turn * (ex * (v - w->uy[k]) - ey * (u -
			    w->ux[k])) <= 1e-9 * hypot(ex, ey))
				return 0;
		}
	}
	return 1;
}

/*
 * Whether circle P surely misses rectangle E: in the unit circle's frame
 * the rectangle is a parallelogram, and the circle misses it when the
 * centre is outside and more than 1 from each of its sides (the drawn
 * circle is inscribed in the unit one).
 */
static int
cov_circle_misses(const struct cov_part *p, const double *e)
{
	const double *a = p->a;
	double det = a[2] * a[5] - a[3] * a[4], u[4], v[4];
	int inside = 1;

	if (p->g != NULL || det == 0)
		return 0;
	for (int c = 0; c < 4; c++) {
		/* Corners in turn round the rectangle. */
		double dx = e[c == 1 || c == 2 ? 2 : 0] - a[0];
		double dy = e[c >= 2 ? 3 : 1] - a[1];

		u[c] = (a[5] * dx - a[4] * dy) / det;
		v[c] = (a[2] * dy - a[3] * dx) / det;
	}
	for (int c = 0; c < 4; c++) {
		double x0 = u[c], y0 = v[c], ex = u[(c + 1) % 4] - x0;
		double ey = v[(c + 1) % 4] - y0, l2 = ex * ex + ey * ey, f, dx, dy;

		if ((ex * -y0 - ey * -x0) * (det > 0 ? 1 : -1) < 0)
			inside = 0;
		f = l2 > 0 ? fmin(1, fmax(0, -(x0 * ex + y0 * ey) / l2)) : 0;
		dx = x0 + f * ex, dy = y0 + f * ey;
		if (dx * dx + dy * dy <= 1 + 1e-9)
			return 0;
	}
	return !inside;
}

/*
 * The cover of rectangle E by the N circles P, as cov_cover, without
 * drawing a circle until it must be: a rectangle two circles hold is
 * covered twice at once; one that more than COV_KMAX circles reach is
 * quartered (to COV_DEPTH) before anything is drawn; then the circles
 * that reach it are drawn and cut.
 */
static void
cov_cover_circles(struct cov_worker *w, const double *e,
    struct cov_part **p, size_t n, int depth, double grid,
    struct cov_list *u, struct cov_list *t, int key, int *bad)
{
	GEOSContextHandle_t h = w->h;
	struct cov_part **in;
	GEOSGeometry **cand;
	size_t k = 0;
	int holds = 0;

	if ((in = malloc((n + 1) * sizeof(*in))) == NULL) {
		*bad = 1;
		return;
	}
	/* Two that hold it end the search: where circles are dense, that
	   is most cells, and nothing is drawn. */
	for (size_t i = 0; i < n && holds < 2; i++) {
		if (p[i]->e[0] > e[2] || p[i]->e[2] < e[0] ||
		    p[i]->e[1] > e[3] || p[i]->e[3] < e[1])
			continue;
		if (cov_circle_holds(w, p[i], e))
			holds++;
		else if (cov_circle_misses(p[i], e))
			continue;
		in[k++] = p[i];
	}
	if (holds >= 2)
		cov_twice(h, e, u, t, key);
	else if (k > COV_KMAX && depth < COV_DEPTH) {
		double q[4][4];

		cov_quarters(e, q);
		for (int i = 0; i < 4 && !*bad; i++)
			cov_cover_circles(w, q[i], in, k, depth + 1, grid, u, t,
			    key, bad);
	} else if (k > 0 && (cand = calloc(k, sizeof(*cand))) == NULL)
		*bad = 1;
	else if (k > 0) {
		for (size_t i = 0; i < k && !*bad; i++)
			*bad = (cand[i] = GEOSGeom_transformXY_r(h, w->unit,
			    cov_affine_xy, (void *)in[i]->a)) == NULL;
		if (!*bad)
			cov_cover(h, e, cand, k, 1, depth, grid, u, t, key,
			    bad);
		for (size_t i = 0; i < k; i++)
			if (cand[i] != NULL)
				GEOSGeom_destroy_r(h, cand[i]);
		free(cand);
	}
	free(in);
	if (u->oom || t->oom)
		*bad = 1;
}

static void
cov_list_free(GEOSContextHandle_t h, struct cov_piece *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		GEOSGeom_destroy_r(h, p[i].g);
	free(p);
}

/* Cell JOB: its zone pieces, its cover by each set, their sums. */
static int
cov_do_cell(struct cov_worker *w, size_t job, struct cov_adds *ad)
{
	struct cov_run *r = w->r;
	GEOSContextHandle_t h = w->h;
	struct cov_cell *cell = &r->cell[job];
	int ix = (int)(job % (size_t)r->nx), iy = (int)(job / (size_t)r->nx);
	double e[4] = { r->gx + ix * r->s, r->gy + iy * r->s, r->gx + (ix +
	    1) * r->s, r->gy + (iy + 1) * r->s }, whole, grid = r->s * 1e-9;
	struct cov_hits hs = { 0 };
	struct cov_list zl = { 0 }, u = { 0 }, t = { 0 };
	GEOSGeometry *rect;
	int bad = 0;

	whole = (e[2] - e[0]) * (e[3] - e[1]);
	cov_query(h, r->ztree, e, &hs);
	if ((rect = cov_rect(h, e)) == NULL)
		bad = 1;
	for (size_t i = 0; i < hs.n && !bad; i++) {
		const struct cov_zone *zn = &r->zone[hs.i[i]];
		const GEOSPreparedGeometry *pz = cov_prepared(w, zn, zn->g);
		GEOSGeometry *c;

		/* A zone's clip costs all its vertices; its prepared
		   geometry tells a cell inside it, or outside, at once. */
		if (pz != NULL && GEOSPreparedContainsProperly_r(h, pz,
		    rect) == 1) {
			cov_push(h, &zl, cov_rect(h, e), e, (int)hs.i[i]);
			continue;
		}
		if (pz != NULL && GEOSPreparedIntersects_r(h, pz, rect) == 0)
			continue;
		if ((c = GEOSClipByRect_r(h, zn->g, e[0], e[1], e[2],
		    e[3])) == NULL)
			bad = 1;
		else if ((c = cov_dim(h, c, 2)) != NULL) {
			if (cov_area(h, c) >= whole * COV_FULL) {
				GEOSGeom_destroy_r(h, c);
				cov_push(h, &zl, cov_rect(h, e), e,
				    (int)hs.i[i]);
			} else
				cov_push(h, &zl, c, NULL, (int)hs.i[i]);
		}
	}
	if (zl.n == 0 || bad)
		goto out;
	for (int s = 0; s < r->nset && !bad; s++) {
		struct cov_set *set = &r->set[s];
		struct cov_part **parts = NULL;
		GEOSGeometry **cand = NULL;
		int circles = 1;

		if (set->n == 0)
			continue;
		cov_query(h, set->tree, e, &hs);
		if (hs.oom || (parts = malloc((hs.n + 1) *
		    sizeof(*parts))) == NULL) {
			bad = 1;
			break;
		}
		for (size_t i = 0; i < hs.n; i++) {
			parts[i] = set->parts[hs.i[i]];
			circles &= parts[i]->g == NULL;
		}
		/* Circles only: drawn where they must be. */
		if (circles) {
			cov_cover_circles(w, e, parts, hs.n, 0, grid, &u, &t, s,
			    &bad);
			free(parts);
			continue;
		}
		/* Zeroed: after a failure, the rest are not freed. */
		if ((cand = calloc(hs.n + 1, sizeof(*cand))) == NULL) {
			free(parts);
			bad = 1;
			break;
		}
		for (size_t i = 0; i < hs.n && !bad; i++) {
			const struct cov_part *p = parts[i];

			cand[i] = p->g != NULL ? p->g : GEOSGeom_transformXY_r(h,
			    w->unit, cov_affine_xy, (void *)p->a);
			bad = cand[i] == NULL;
		}
		if (!bad)
			cov_cover(h, e, cand, hs.n, 0, 0, grid, &u, &t, s,
			    &bad);
		for (size_t i = 0; i < hs.n; i++)
			if (parts[i]->g == NULL && cand[i] != NULL)
				GEOSGeom_destroy_r(h, cand[i]);
		free(parts);
		free(cand);
	}
	for (size_t i = 0; i < zl.n && !bad; i++) {
		const struct cov_piece *zp = &zl.p[i];

		double pop = 0, unk;

		if (r->ras.on) {
			cov_pop(w, zp->g, &pop, &unk, &bad);
			cov_add(ad, zp->key, COL_POP, pop);
			cov_add(ad, zp->key, COL_UNKNOWN, unk);
		}
		cov_measure_cover(w, ad, zp, pop, &u, &t, grid, &bad);
	}
out:
	free(hs.i);
	free(hs.tmp);
	if (rect != NULL)
		GEOSGeom_destroy_r(h, rect);
	cov_list_free(h, t.p, t.n);
	if (r->keep && !bad) {
		cell->z = zl.p, cell->nz = zl.n;
		cell->u = u.p, cell->nu = u.n;
	} else {
		cov_list_free(h, zl.p, zl.n);
		cov_list_free(h, u.p, u.n);
	}
	if (bad || hs.oom || zl.oom)
		return kcni_error(w->ctx, KCN_EDATA, "coverage", "GEOS cannot "
		    "cut the areas in the cell at %.0f, %.0f: %s", e[0], e[1],
		    kcni_geos_msg(w->ctx));
	return KCN_OK;
}

/* ---- points, lines and population areas -------------------------------- */

/* The geodesic length of the lines G (analysis CRS), in metres. */
static double
cov_length(struct cov_worker *w, const GEOSGeometry *g)
{
	GEOSContextHandle_t h = w->h;
	int n = GEOSGetNumGeometries_r(h, g);
	PJ *pj = kcni_transform_pj(w->ll);
	double len = 0;

	for (int i = 0; i < n; i++) {
		const GEOSGeometry *l = GEOSGetGeometryN_r(h, g, i);
		const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, l);
		unsigned m = 0;
		double px = 0, py = 0;

		if (cs == NULL || !GEOSCoordSeq_getSize_r(h, cs, &m))
			continue;
		for (unsigned k = 0; k < m; k++) {
			double x, y, d;
			PJ_COORD c;

			GEOSCoordSeq_getXY_r(h, cs, k, &x, &y);
			c = proj_trans(pj, PJ_FWD, proj_coord(x, y, 0, 0));
			if (k > 0) {
				geod_inverse(&w->r->geod, py, px, c.xy.y,
				    c.xy.x, &d, NULL, NULL);
				len += d;
			}
			px = c.xy.x;
			py = c.xy.y;
		}
	}
	return len;
}

/* How much of G (of the stream's kind) counts: a point 1, a line its
   length, an area its share of WHOLE (by-area points) or its people. */
static double
cov_amount(struct cov_worker *w, const GEOSGeometry *g, double whole,
    double val)
{
	struct cov_run *r = w->r;

	if (r->kind == COV_LINES)
		return cov_length(w, g);
	if (r->kind == COV_POPAREAS)
		return whole > 0 ? val * cov_area(w->h, g) / whole : 0;
	if (GEOSGeom_getDimensions_r(w->h, g) == 0)
		return 1;
	return whole > 0 ? cov_area(w->h, g) / whole : 0;
}

/*
 * cov_within for the streams after the cells, whose pieces stay: lines
 * are cut by the piece's edges (kcni_line_in_area), and a piece that
 * holds an area whole, or does not meet it, is told by its prepared
 * geometry; overlays only for areas that cross its edge.
 */
static GEOSGeometry *
cov_within_prep(struct cov_worker *w, GEOSGeometry *g, int dim,
    const struct cov_piece *p, double grid, int *own, int *bad)
{
	const GEOSPreparedGeometry *pg;
	double e[4];

	if (dim == 1 && !p->rect) {
		GEOSGeometry *m;

		cov_env(w->h, g, e);
		*own = 0;
		if (e[0] > p->x1 || e[2] < p->x0 || e[1] > p->y1 ||
		    e[3] < p->y0)
			return NULL;
		if ((pg = cov_prepared(w, p, p->g)) == NULL) {
			*bad = 1;
			return NULL;
		}
		m = kcni_line_in_area(w->h, g, p->g, pg, bad);
		*own = m != NULL && m != g;
		return m;
	}
	if (!p->rect && (cov_env(w->h, g, e), e[0] >= p->x0 && e[1] >= p->y0 &&
	    e[2] <= p->x1 && e[3] <= p->y1) && (pg = cov_prepared(w, p,
	    p->g)) != NULL) {
		*own = 0;
		if (GEOSPreparedContains_r(w->h, pg, g) == 1)
			return g;
		if (GEOSPreparedIntersects_r(w->h, pg, g) == 0)
			return NULL;
	}
	return cov_within(w->h, g, dim, p, grid, own, bad);
}

static int
cov_in_piece(struct cov_worker *w, const struct cov_piece *p,
    const GEOSGeometry *pt, double x, double y)
{
	const GEOSPreparedGeometry *pg;

	if (x < p->x0 || x > p->x1 || y < p->y0 || y > p->y1)
		return 0;
	if (p->rect)
		return 1;
	pg = cov_prepared(w, p, p->g);
	return (pg != NULL ? GEOSPreparedIntersects_r(w->h, pg, pt) :
	    GEOSIntersects_r(w->h, p->g, pt)) == 1;
}

/*
 * Counts the point G at X, Y: once in each zone it lies in, and once in
 * each set that covers it, looking in every cell whose edge it may lie
 * on (a piece of a cell is closed, and a cover may end on the edge).
 */
static void
cov_measure_point(struct cov_worker *w, const GEOSGeometry *g, double x,
    double y, int col, int cov, struct cov_adds *ad)
{
	struct cov_run *r = w->r;
	double pad = r->s * 1e-9;
	int ix0 = (int)fmax(0, floor((x - pad - r->gx) / r->s));
	int iy0 = (int)fmax(0, floor((y - pad - r->gy) / r->s));
	int ix1 = (int)fmin(r->nx - 1, floor((x + pad - r->gx) / r->s));
	int iy1 = (int)fmin(r->ny - 1, floor((y + pad - r->gy) / r->s));
	int zone[64], nzone = 0;	/* zones overlapping there, TOTAL too */
	unsigned char hit[3 * 65] = { 0 };	/* by set: 64 categories */

	for (int iy = iy0; iy <= iy1; iy++)
		for (int ix = ix0; ix <= ix1; ix++) {
			struct cov_cell *c = &r->cell[(size_t)iy * r->nx + ix];

			for (size_t i = 0; i < c->nz; i++) {
				int z = c->z[i].key, seen = 0;

				for (int k = 0; k < nzone && !seen; k++)
					seen = zone[k] == z;
				if (!seen && nzone < 64 && cov_in_piece(w,
				    &c->z[i], g, x, y))
					zone[nzone++] = z;
			}
			for (size_t i = 0; i < c->nu && nzone > 0; i++) {
				int s = c->u[i].key;

				if (!hit[s] && cov_in_piece(w, &c->u[i], g, x,
				    y))
					hit[s] = 1;
			}
		}
	for (int k = 0; k < nzone; k++) {
		cov_add(ad, zone[k], col, 1);
		for (int s = 0; s < r->nset; s++)
			cov_add(ad, zone[k], COL_SET(r, s) + cov, hit[s]);
	}
}

/* Measures G (analysis CRS) in the cells it falls in. */
static void
cov_measure(struct cov_worker *w, GEOSGeometry *g, double val,
    struct cov_adds *ad, int *bad)
{
	struct cov_run *r = w->r;
	GEOSContextHandle_t h = w->h;
	int dim = GEOSGeom_getDimensions_r(h, g), col, cov;
	double e[4], whole = dim == 2 ? cov_area(h, g) : 0, grid = r->s * 1e-9;
	int ix0, iy0, ix1, iy1;

	if (r->kind == COV_POINTS)
		col = COL_PTS(r, r->which), cov = COL_PTSCOV(r, r->which);
	else if (r->kind == COV_LINES)
		col = COL_LEN(r, r->which), cov = COL_LENCOV(r, r->which);
	else
		col = COL_POP, cov = COL_POPCOV;
	cov_env(h, g, e);
	if (!(e[0] <= e[2]))
		return;
	if (dim == 0) {
		cov_measure_point(w, g, e[0], e[1], col, cov, ad);
		return;
	}
	ix0 = (int)fmax(0, floor((e[0] - r->gx) / r->s));
	iy0 = (int)fmax(0, floor((e[1] - r->gy) / r->s));
	ix1 = (int)fmin(r->nx - 1, floor((e[2] - r->gx) / r->s));
	iy1 = (int)fmin(r->ny - 1, floor((e[3] - r->gy) / r->s));
	for (int iy = iy0; iy <= iy1 && !*bad; iy++)
		for (int ix = ix0; ix <= ix1 && !*bad; ix++) {
			struct cov_cell *c = &r->cell[(size_t)iy * r->nx + ix];
			double ce[4] = { r->gx + ix * r->s, r->gy + iy * r->s,
			    r->gx + (ix + 1) * r->s, r->gy + (iy + 1) * r->s };
			struct cov_piece cp = { NULL, ce[0], ce[1], ce[2], ce[3],
			    1, 0 };
			GEOSGeometry *in;
			int own;

			if (c->nz == 0)
				continue;
			if ((in = cov_within(h, g, dim, &cp, grid, &own,
			    bad)) == NULL)
				continue;
			for (size_t zi = 0; zi < c->nz && !*bad; zi++) {
				const struct cov_piece *zp = &c->z[zi];
				GEOSGeometry *gz;
				double zamt;
				int zown;

				if ((gz = cov_within_prep(w, in, dim, zp,
				    grid, &zown, bad)) == NULL)
					continue;
				zamt = cov_amount(w, gz, whole, val);
				cov_add(ad, zp->key, col, zamt);
				for (int s = 0; s < r->nset; s++) {
					double amt = 0;

					for (size_t ui = 0; ui < c->nu; ui++) {
						const struct cov_piece *up =
						    &c->u[ui];
						GEOSGeometry *m;
						int mown;

						if (up->key != s)
							continue;
						if ((m = cov_within_prep(w, gz,
						    dim, up, grid, &mown,
						    bad)) == NULL)
							continue;
						/* All of it covered: measured
						   already. */
						amt += m == gz ? zamt :
						    cov_amount(w, m, whole,
						    val);
						if (mown)
							GEOSGeom_destroy_r(h, m);
					}
					cov_add(ad, zp->key, COL_SET(r, s) + cov,
					    amt);
				}
				if (zown)
					GEOSGeom_destroy_r(h, gz);
			}
			if (own)
				GEOSGeom_destroy_r(h, in);
		}
}

/*
 * The circle of R metres around LON, LAT, drawn straight into the
 * analysis CRS: the unit circle's vertices mapped through the projection
 * as it is at the point, found from where the geodesics east, north,
 * west and south of it end at R metres (central differences, so that the
 * change of scale across the circle cancels).  Its area is the geodesic
 * circle's to about a millionth for service areas hundreds of kilometres
 * from the projection's centre (a test checks it).
 */
static int
cov_circle(struct cov_worker *w, double lon, double lat, double r,
    struct cov_part *p)
{
	PJ *pj = kcni_transform_pj(w->ll);
	double *a = p->a;
	PJ_COORD c[5];
	double lat2[4], lon2[4];

	/* North, east and south along geodesics; west is east mirrored in
	   the meridian, as the ellipsoid is. */
	for (int i = 0; i < 3; i++)
		geod_direct(&w->r->geod, lat, lon, 90.0 * i, r, &lat2[i],
		    &lon2[i], NULL);
	lat2[3] = lat2[1];
	lon2[3] = 2 * lon - lon2[1];
	c[0] = proj_trans(pj, PJ_INV, proj_coord(lon, lat, 0, 0));
	for (int i = 1; i < 5; i++)
		c[i] = proj_trans(pj, PJ_INV, proj_coord(lon2[i - 1],
		    lat2[i - 1], 0, 0));
	for (int i = 0; i < 5; i++)
		if (!isfinite(c[i].xy.x) || !isfinite(c[i].xy.y))
			return -1;
	/* c[1] north, c[2] east, c[3] south, c[4] west. */
	a[0] = c[0].xy.x;
	a[1] = c[0].xy.y;
	a[2] = (c[2].xy.x - c[4].xy.x) / 2;
	a[3] = (c[2].xy.y - c[4].xy.y) / 2;
	a[4] = (c[1].xy.x - c[3].xy.x) / 2;
	a[5] = (c[1].xy.y - c[3].xy.y) / 2;
	p->g = NULL;
	p->e[0] = a[0] - hypot(a[2], a[4]);
	p->e[2] = a[0] + hypot(a[2], a[4]);
	p->e[1] = a[1] - hypot(a[3], a[5]);
	p->e[3] = a[1] + hypot(a[3], a[5]);
	return 0;
}

struct cov_twice {
	PJ *a, *b;		/* A inverse, then B inverse */
	int ok;
};

static int
cov_twice_xy(double *x, double *y, void *ud)
{
	struct cov_twice *t = ud;
	PJ_COORD c = proj_trans(t->a, PJ_INV, proj_coord(*x, *y, 0, 0));

	c = proj_trans(t->b, PJ_INV, c);
	if (!isfinite(c.xy.x) || !isfinite(c.xy.y))
		t->ok = 0;
	*x = c.xy.x;
	*y = c.xy.y;
	return 1;
}

/*
 * The buffer of R metres around the line or area OG (longitude and
 * latitude, taken), drawn in an azimuthal equidistant projection centred
 * on it, where distances from the centre are true and the scale is
 * within a billionth of one over a street's length, then brought into
 * the analysis CRS.
 */
static GEOSGeometry *
cov_buffer(struct cov_worker *w, OGRGeometryH og, double r)
{
	GEOSContextHandle_t h = w->h;
	struct cov_twice tw = { NULL, kcni_transform_pj(w->ll), 1 };
	GEOSGeometry *g = NULL, *b = NULL, *v;
	OGREnvelope e;
	char def[256];

	OGR_G_GetEnvelope(og, &e);
	if (e.MaxX - e.MinX > 90 || fabs(e.MaxY) + r / 1e5 > 89 ||
	    fabs(e.MinY) + r / 1e5 > 89)
		return NULL;	/* an antimeridian or a pole: not here */
	snprintf(def, sizeof(def), "+proj=pipeline +step +proj=unitconvert "
	    "+xy_in=deg +xy_out=rad +step +proj=aeqd +lat_0=%.9f "
	    "+lon_0=%.9f +ellps=WGS84", (e.MinY + e.MaxY) / 2,
	    (e.MinX + e.MaxX) / 2);
	if ((tw.a = proj_create(kcn_ctx_proj(w->ctx), def)) == NULL ||
	    kcni_trans_geom(w->ctx, tw.a, PJ_FWD, "the local projection",
	    og) != KCN_OK || (g = kcn_geom_to_geos(w->ctx, og)) == NULL ||
	    (b = GEOSBuffer_r(h, g, r, w->r->o->segments)) == NULL)
		goto out;
	v = GEOSGeom_transformXY_r(h, b, cov_twice_xy, &tw);
	GEOSGeom_destroy_r(h, b);
	b = v != NULL && tw.ok ? v : NULL;
	if (v != NULL && !tw.ok)
		GEOSGeom_destroy_r(h, v);
	if (b != NULL && !kcni_geom_surely_valid(h, b) &&
	    GEOSisValid_r(h, b) != 1) {
		v = kcn_geom_repair(w->ctx, b, 2);
		GEOSGeom_destroy_r(h, b);
		b = v;
	}
out:
	if (g != NULL)
		GEOSGeom_destroy_r(h, g);
	proj_destroy(tw.a);
	kcn_ctx_clear(w->ctx);
	return b;
}

/* Feature JOB of the batch as a service area (or circles) into BGEOM. */
static int
cov_do_area(struct cov_worker *w, size_t job)
{
	struct cov_run *r = w->r;
	GEOSContextHandle_t h = w->h;
	OGRGeometryH og = r->b->g[job];
	struct cov_part *out = &r->b->part[job];
	GEOSGeometry *g, *v, **c;
	int n;

	if (r->kind == COV_AREAS && w->ftr != NULL)
		cov_densify(og, r->dense);
	if (w->ftr != NULL && kcn_transform_geom(w->ctx, w->ftr, og) != KCN_OK)
		return KCN_REJECTED;
	if (r->kind == COV_AREAS) {
		if ((g = kcn_geom_to_geos(w->ctx, og)) == NULL)
			return KCN_REJECTED;
		if (!kcni_geom_surely_valid(h, g) && GEOSisValid_r(h, g) != 1) {
			v = kcn_geom_repair(w->ctx, g, 2);
			GEOSGeom_destroy_r(h, g);
			if ((g = v) == NULL)
				return KCN_REJECTED;
		}
		if (GEOSisEmpty_r(h, g)) {
			GEOSGeom_destroy_r(h, g);
			return kcni_error(w->ctx, KCN_REJECTED, "coverage",
			    "nothing left once made valid");
		}
		out->g = g;
		return KCN_OK;
	}
	/* Lines and areas, in longitude and latitude: buffered. */
	if (OGR_G_GetDimension(og) > 0) {
		if ((g = cov_buffer(w, og, r->radius)) == NULL)
			return kcni_error(w->ctx, KCN_REJECTED, "coverage",
			    "its buffer cannot be drawn (across the "
			    "antimeridian or near a pole)");
		out->g = g;
		return KCN_OK;
	}
	/* A point: its circle, kept as such. */
	if (OGR_G_GetGeometryCount(og) == 0) {
		if (cov_circle(w, OGR_G_GetX(og, 0), OGR_G_GetY(og, 0),
		    r->radius, out) != 0)
			return kcni_error(w->ctx, KCN_REJECTED, "coverage",
			    "its circle cannot be drawn in the analysis CRS");
		out->circle = 1;
		return KCN_OK;
	}
	/* Points: their circles, merged into one area. */
	n = OGR_G_GetGeometryCount(og);
	if ((c = calloc((size_t)n, sizeof(*c))) == NULL)
		return kcni_error(w->ctx, KCN_EOS, "coverage", "out of memory");
	for (int i = 0; i < n; i++) {
		OGRGeometryH p = OGR_G_GetGeometryCount(og) > 0 ?
		    OGR_G_GetGeometryRef(og, i) : og;

		struct cov_part cp;

		c[i] = cov_circle(w, OGR_G_GetX(p, 0), OGR_G_GetY(p, 0),
		    r->radius, &cp) == 0 ? GEOSGeom_transformXY_r(h, w->unit,
		    cov_affine_xy, cp.a) : NULL;
		if (c[i] == NULL) {
			while (i > 0)
				GEOSGeom_destroy_r(h, c[--i]);
			free(c);
			return kcni_error(w->ctx, KCN_REJECTED, "coverage",
			    "its circle cannot be drawn in the analysis CRS");
		}
	}
	{
		int bad = 0;

		g = cov_union(h, c, (size_t)n, 1e-6, &bad);
		while (n > 0)
			GEOSGeom_destroy_r(h, c[--n]);
		free(c);
		if (g == NULL)
			return kcni_error(w->ctx, KCN_REJECTED, "coverage",
			    "its circles cannot be merged: %s",
			    kcni_geos_msg(w->ctx));
	}
	out->g = g;
	return KCN_OK;
}

/* Feature JOB of the batch: into the analysis CRS, then measured. */
/*
 * The centroid C of OG when it is a polygon of one ring that
 * kcni_ring_surely_valid() passes (most footprints): 1, computed from its
 * points as GEOS computes a polygon's centroid (the area-weighted
 * centres of the triangles from the first point), without making a
 * GEOS geometry; else 0.
 */
static int
cov_quick_centroid(OGRGeometryH og, double c[2])
{
	double xy[2 * KCNI_QUICK_MAX], sx = 0, sy = 0, a = 0;
	OGRGeometryH ring;
	int n;

	if (wkbFlatten(OGR_G_GetGeometryType(og)) == wkbMultiPolygon &&
	    OGR_G_GetGeometryCount(og) == 1)
		og = OGR_G_GetGeometryRef(og, 0);
	if (wkbFlatten(OGR_G_GetGeometryType(og)) != wkbPolygon ||
	    OGR_G_GetGeometryCount(og) != 1 ||
	    (ring = OGR_G_GetGeometryRef(og, 0)) == NULL ||
	    (n = OGR_G_GetPointCount(ring)) < 4 || n > KCNI_QUICK_MAX)
		return 0;
	OGR_G_GetPoints(ring, xy, 2 * sizeof(double), xy + 1,
	    2 * sizeof(double), NULL, 0);
	if (!kcni_ring_surely_valid(xy, (unsigned)n))
		return 0;
	for (int i = 0; i + 1 < n; i++) {
		const double *p = xy, *q = xy + 2 * i, *s = xy + 2 * i + 2;
		double a2 = (q[0] - p[0]) * (s[1] - p[1]) -
		    (s[0] - p[0]) * (q[1] - p[1]);

		sx += a2 * (p[0] + q[0] + s[0]);
		sy += a2 * (p[1] + q[1] + s[1]);
		a += a2;
	}
	if (a == 0)
		return 0;
	c[0] = sx / 3 / a, c[1] = sy / 3 / a;
	return 1;
}

/* Counts feature JOB by its centroid XY in the layer's CRS, the one
   point projected. */
static enum kcn_status
cov_centroid(struct cov_worker *w, size_t job, const double *xy, int *bad)
{
	struct cov_batch *b = w->r->b;
	double x = xy[0], y = xy[1];
	GEOSGeometry *g;

	if (w->ftr != NULL) {
		PJ_COORD c = proj_trans(kcni_transform_pj(w->ftr), PJ_FWD,
		    proj_coord(x, y, 0, 0));

		if (!isfinite(c.xy.x) || !isfinite(c.xy.y))
			return kcni_error(w->ctx, KCN_REJECTED, "coverage",
			    "its centroid is outside the analysis CRS");
		x = c.xy.x, y = c.xy.y;
	}
	if ((g = GEOSGeom_createPointFromXY_r(w->h, x, y)) == NULL)
		return KCN_REJECTED;
	cov_measure(w, g, b->val[job], &b->add[job], bad);
	GEOSGeom_destroy_r(w->h, g);
	return KCN_OK;
}

static int
cov_feature(struct cov_worker *w, size_t job, struct cov_adds *ad)
{
	struct cov_run *r = w->r;
	GEOSContextHandle_t h = w->h;
	OGRGeometryH og = r->b->g[job];
	GEOSGeometry *g, *v;
	enum kcn_status st;
	int bad = 0, centroid;
	double xy[2];

	(void)ad;
	if (og == NULL && !isnan(r->b->xy[job][0])) {
		if ((st = cov_centroid(w, job, r->b->xy[job], &bad)) != KCN_OK)
			return st;
		goto done;
	}
	if (og == NULL)
		return KCN_OK;
	if (r->kind == COV_AREAS || r->kind == COV_CIRCLES)
		return cov_do_area(w, job);
	/* An area counted as a point: by its centroid in its own CRS (from
	   GEOS when cov_quick_centroid could not take it), the one point
	   then projected. */
	centroid = r->kind == COV_POINTS && !r->o->by_area &&
	    OGR_G_GetDimension(og) == 2;
	if (!centroid && w->ftr != NULL && OGR_G_GetDimension(og) == 2)
		cov_densify(og, r->dense);
	if (!centroid && w->ftr != NULL && (st = kcn_transform_geom(w->ctx,
	    w->ftr, og)) != KCN_OK)
		return st;
	if ((g = kcn_geom_to_geos(w->ctx, og)) == NULL)
		return KCN_REJECTED;
	if (GEOSGeom_getDimensions_r(h, g) == 2 &&
	    !kcni_geom_surely_valid(h, g) && GEOSisValid_r(h, g) != 1) {
		v = kcn_geom_repair(w->ctx, g, 2);
		GEOSGeom_destroy_r(h, g);
		if ((g = v) == NULL)
			return KCN_REJECTED;
	}
	if (centroid) {
		v = GEOSGetCentroid_r(h, g);
		GEOSGeom_destroy_r(h, g);
		if ((g = v) == NULL)
			return KCN_REJECTED;
		if (!GEOSisEmpty_r(h, g) && GEOSGeomGetX_r(h, g, &xy[0]) &&
		    GEOSGeomGetY_r(h, g, &xy[1])) {
			GEOSGeom_destroy_r(h, g);
			if ((st = cov_centroid(w, job, xy, &bad)) != KCN_OK)
				return st;
			goto done;
		}
	}
	if (!GEOSisEmpty_r(h, g)) {
		if (r->kind == COV_POINTS && GEOSGeomTypeId_r(h, g) ==
		    GEOS_MULTIPOINT) {
			for (int i = 0; i < GEOSGetNumGeometries_r(h, g); i++)
				cov_measure(w, (GEOSGeometry *)
				    GEOSGetGeometryN_r(h, g, i),
				    r->b->val[job], &r->b->add[job], &bad);
		} else
			cov_measure(w, g, r->b->val[job], &r->b->add[job],
			    &bad);
	}
	GEOSGeom_destroy_r(h, g);
done:
	if (bad || r->b->add[job].oom)
		return kcni_error(w->ctx, KCN_EDATA, "coverage", "GEOS cannot "
		    "measure it: %s", kcni_geos_msg(w->ctx));
	return KCN_OK;
}

/* Measures or keeps feature JOB of the batch, then frees its geometry
   (on the worker's thread, not the reading one). */
static int
cov_do_feature(struct cov_worker *w, size_t job, struct cov_adds *ad)
{
	int st = cov_feature(w, job, ad);

	if (w->r->b->g[job] != NULL)
		OGR_G_DestroyGeometry(w->r->b->g[job]);
	w->r->b->g[job] = NULL;
	return st;
}

/* ---- threads ----------------------------------------------------------- */

struct cov_par {
	struct cov_run *r;
	atomic_int slot;	/* the next thread's cache */
	int (*fn)(struct cov_worker *, size_t, struct cov_adds *);
	size_t n;
	atomic_size_t next;
	struct cov_adds *adds;	/* one list a job */
	atomic_int stop;
	enum kcn_status st;
	size_t failed;		/* the job that failed */
	char where[256], what[1024];
	pthread_mutex_t mu;
	const char *label;
	pthread_t tid[COV_TMAX];
	int nt;
};

static int
cov_worker_init(struct cov_worker *w, struct cov_run *r, struct kcn_ctx *ctx)
{
	memset(w, 0, sizeof(*w));
	w->r = r;
	w->ctx = ctx;
	w->h = kcn_ctx_geos(ctx);
	if (r->ras.tr != NULL && (w->ras = kcn_transform_clone(ctx,
	    r->ras.tr)) == NULL)
		return -1;
	if (r->to_ll != NULL && (w->ll = kcn_transform_clone(ctx,
	    r->to_ll)) == NULL)
		return -1;
	if (r->ftr != NULL && (w->ftr = kcn_transform_clone(ctx,
	    r->ftr)) == NULL)
		return -1;
	{
		GEOSGeometry *o = GEOSGeom_createPointFromXY_r(w->h, 0, 0);

		/* The vertices GEOS gives a point's buffer, as kcn-buffer. */
		w->unit = o ? GEOSBuffer_r(w->h, o, 1, r->o->segments) : NULL;
		if (o != NULL)
			GEOSGeom_destroy_r(w->h, o);
	}
	if (w->unit == NULL)
		return -1;
	/* Its ring, for testing cells against circles without GEOS. */
	{
		const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(w->h,
		    GEOSGetExteriorRing_r(w->h, w->unit));
		unsigned n = 0;
		double a = 0;

		if (cs == NULL || !GEOSCoordSeq_getSize_r(w->h, cs, &n) ||
		    n > COV_UNIT_MAX || n < 4)
			return -1;
		for (unsigned i = 0; i < n; i++)
			GEOSCoordSeq_getXY_r(w->h, cs, i, &w->ux[i], &w->uy[i]);
		w->un = (int)n;
		for (int i = 0; i + 1 < w->un; i++)
			a += w->ux[i] * w->uy[i + 1] - w->ux[i + 1] * w->uy[i];
		w->turn = a > 0 ? 1 : -1;
	}
	return 0;
}

static void
cov_worker_fini(struct cov_worker *w)
{
	kcn_transform_free(w->ras);
	kcn_transform_free(w->ll);
	kcn_transform_free(w->ftr);
	if (w->unit != NULL)
		GEOSGeom_destroy_r(w->h, w->unit);
	free(w->pxy);
	free(w->rend);
	free(w->acc);
	w->pxy = w->rend = w->acc = NULL;
	w->ras = w->ll = w->ftr = NULL;
	w->unit = NULL;
}

static void
cov_par_loop(struct cov_par *p, struct cov_worker *w, int main)
{
	size_t j;

	while (!atomic_load(&p->stop) && (j = atomic_fetch_add(&p->next, 1)) <
	    p->n) {
		enum kcn_status st = p->fn(w, j, &p->adds[j]);

		if (st == KCN_REJECTED) {
			/* One feature: reported by the caller, in order. */
			p->adds[j].msg = strdup(kcn_ctx_errmsg(w->ctx));
			p->adds[j].rejected = 1;
			kcn_ctx_clear(w->ctx);
		} else if (st != KCN_OK) {
			pthread_mutex_lock(&p->mu);
			if (p->st == KCN_OK || j < p->failed) {
				p->st = st;
				p->failed = j;
				snprintf(p->where, sizeof(p->where), "%s",
				    kcn_ctx_where(w->ctx));
				snprintf(p->what, sizeof(p->what), "%s",
				    kcn_ctx_errmsg(w->ctx));
			}
			pthread_mutex_unlock(&p->mu);
			atomic_store(&p->stop, 1);
			kcn_ctx_clear(w->ctx);
		}
		if (main && p->label != NULL)
			kcni_progress(p->r->ctx, p->label, (double)j,
			    (double)p->n, 0);
	}
}

static void *
cov_par_thread(void *arg)
{
	struct cov_par *p = arg;
	struct kcn_ctx *ctx = kcn_ctx_new();
	struct cov_worker w;

	if (ctx == NULL || cov_worker_init(&w, p->r, ctx) != 0) {
		w.pc = NULL;
		pthread_mutex_lock(&p->mu);
		if (p->st == KCN_OK) {
			p->st = KCN_EOS;
			snprintf(p->where, sizeof(p->where), "coverage");
			snprintf(p->what, sizeof(p->what), "cannot start a "
			    "worker: out of memory");
		}
		pthread_mutex_unlock(&p->mu);
		atomic_store(&p->stop, 1);
		if (ctx != NULL) {
			cov_worker_fini(&w);
			kcn_ctx_free(ctx);
		}
		return NULL;
	}
	w.pc = &p->r->pc[atomic_fetch_add(&p->slot, 1)];
	cov_par_loop(p, &w, 0);
	cov_worker_fini(&w);
	kcn_ctx_free(ctx);
	return NULL;
}

/*
 * Starts FN on jobs 0..N-1 on the run's threads but the calling one, each
 * job's contributions into ADDS[job], for cov_par_finish.
 */
static void
cov_par_start(struct cov_par *p, struct cov_run *r,
    int (*fn)(struct cov_worker *, size_t, struct cov_adds *), size_t n,
    struct cov_adds *adds, const char *label)
{
	memset(p, 0, sizeof(*p));
	p->r = r, p->fn = fn, p->n = n, p->adds = adds, p->label = label;
	atomic_init(&p->next, 0);
	atomic_init(&p->stop, 0);
	atomic_init(&p->slot, 1);	/* 0 is the calling thread's */
	pthread_mutex_init(&p->mu, NULL);
	for (int i = 1; i < r->threads && i < COV_TMAX && n > 1; i++)
		if (pthread_create(&p->tid[p->nt], NULL, cov_par_thread, p) ==
		    0)
			p->nt++;
}

/*
 * The calling thread (with worker W) joins the jobs started by
 * cov_par_start until they are done.  A job that returns KCN_REJECTED
 * (one feature) is marked in its ADDS, with its message, for the caller
 * to report; any other failure stops the jobs, and the first by job
 * order is returned.
 */
static enum kcn_status
cov_par_finish(struct cov_par *p, struct cov_worker *w)
{
	cov_par_loop(p, w, 1);
	for (int i = 0; i < p->nt; i++)
		pthread_join(p->tid[i], NULL);
	pthread_mutex_destroy(&p->mu);
	if (p->label != NULL)
		kcni_progress(p->r->ctx, p->label, (double)p->n, (double)p->n,
		    1);
	if (p->st != KCN_OK)
		kcni_error(p->r->ctx, p->st, p->where, "%s", p->what);
	return p->st;
}

/* cov_par_start and cov_par_finish at once. */
static enum kcn_status
cov_parallel(struct cov_run *r, struct cov_worker *w,
    int (*fn)(struct cov_worker *, size_t, struct cov_adds *), size_t n,
    struct cov_adds *adds, const char *label)
{
	struct cov_par p;

	cov_par_start(&p, r, fn, n, adds, label);
	return cov_par_finish(&p, w);
}

/* ---- reading ----------------------------------------------------------- */

enum kcn_status
kcn_coverage_layer_parse(struct kcn_ctx *ctx, char *arg,
    struct kcn_coverage_layer *l)
{
	char *eq = strchr(arg, '='), *r, *end;

	memset(l, 0, sizeof(*l));
	if (eq == NULL || eq == arg || eq[1] == '\0')
		return kcni_error(ctx, KCN_EUSAGE, arg, "not NAME=LAYER");
	*eq = '\0';
	l->name = arg;
	l->path = eq + 1;
	if ((r = strstr(l->path, ":r=")) != NULL) {
		l->radius = strtod(r + 3, &end);
		if (end == r + 3 || *end != '\0' || !(l->radius > 0) ||
		    l->radius > 1e7) {
			*eq = '=';
			return kcni_error(ctx, KCN_EUSAGE, arg, "'%s' is not a "
			    "radius: r=METRES, a positive number", r + 1);
		}
		*r = '\0';
		if (r == l->path) {
			*eq = '=';
			return kcni_error(ctx, KCN_EUSAGE, arg, "no layer");
		}
	}
	if (strchr(l->name, ',') != NULL || strchr(l->name, '"') != NULL)
		return kcni_error(ctx, KCN_EUSAGE, l->name, "a name without "
		    "commas or quotes, please");
	return KCN_OK;
}

/* Opens PATH's first layer and its CRS; the operation from that CRS to
   TO (NULL: the analysis CRS) into *TR (NULL when it is the same). */
static enum kcn_status
cov_open(struct cov_run *r, const char *path, OGRSpatialReferenceH to,
    struct kcn_source **src, struct kcn_reader **rd,
    struct kcn_transform **tr)
{
	struct kcn_ctx *ctx = r->ctx;
	OGRSpatialReferenceH srs = NULL;
	OGREnvelope e;
	enum kcn_status st;

	*rd = NULL;
	*tr = NULL;
	if ((*src = kcn_source_open(ctx, path, KCN_OPEN_VECTOR)) == NULL)
		return kcn_ctx_status(ctx);
	if ((*rd = kcn_reader_new(ctx, *src, NULL)) == NULL)
		return kcn_ctx_status(ctx);
	if ((st = kcni_layer_crs(ctx, path, kcn_reader_layer(*rd), NULL, 0,
	    &srs)) != KCN_OK)
		return st;
	if (to == NULL)
		to = r->laea;
	/*
	 * An edge straight in the layer's CRS is not in the analysis CRS:
	 * over 100 m the two part by a tenth of a millimetre, which is a
	 * millionth of a small district.  Areas get a vertex every
	 * COV_DENSE metres first.
	 */
	r->dense = OSRIsGeographic(srs) ? COV_DENSE / 111320 : COV_DENSE /
	    OSRGetLinearUnits(srs, NULL);
	if (to != NULL && !OSRIsSame(srs, to)) {
		double ext[4], ll[4];
		int have = strcmp(path, "-") != 0 && OGR_L_GetExtent(
		    kcn_reader_layer(*rd), &e, TRUE) == OGRERR_NONE;

		ext[0] = e.MinX, ext[1] = e.MinY, ext[2] = e.MaxX;
		ext[3] = e.MaxY;
		have = have && kcn_extent_lonlat(ctx, srs, ext, ll) == KCN_OK;
		kcn_ctx_clear(ctx);
		*tr = kcn_transform_new(ctx, srs, to, have ? ll : NULL, 0);
		if (*tr == NULL) {
			OSRRelease(srs);
			return kcn_ctx_status(ctx);
		}
		kcni_msg(ctx, KCN_MSG_INFO, path, "into %s by %s", to == r->laea ?
		    "the analysis CRS" : "longitude and latitude",
		    kcn_transform_info(*tr)->name);
	}
	if (r->zsrs == NULL)
		r->zsrs = srs;
	else
		OSRRelease(srs);
	return KCN_OK;
}

static enum kcn_status
cov_close(struct cov_run *r, struct kcn_source *src, struct kcn_reader *rd,
    struct kcn_transform *tr, enum kcn_status st)
{
	kcn_transform_free(tr);
	kcn_reader_free(rd);
	if (kcn_source_close(r->ctx, src) != KCN_OK && st == KCN_OK)
		st = kcn_ctx_status(r->ctx);
	return st;
}

/* OG (taken) into the analysis CRS as a valid GEOS area, or NULL with
   the reason in CTX (KCN_REJECTED: this one only). */
static GEOSGeometry *
cov_area_geom(struct kcn_ctx *ctx, struct kcn_transform *tr, double dense,
    OGRGeometryH og)
{
	GEOSContextHandle_t h = kcn_ctx_geos(ctx);
	GEOSGeometry *g = NULL, *v;

	if (og == NULL || OGR_G_IsEmpty(og)) {
		kcni_error(ctx, KCN_REJECTED, "coverage", "no geometry");
		goto out;
	}
	if (OGR_G_GetDimension(og) != 2) {
		kcni_error(ctx, KCN_REJECTED, "coverage", "a %s, not an area: "
		    "give a radius (NAME=LAYER:r=METRES)",
		    OGRGeometryTypeToName(OGR_G_GetGeometryType(og)));
		goto out;
	}
	if (tr != NULL) {
		cov_densify(og, dense);
		if (kcn_transform_geom(ctx, tr, og) != KCN_OK)
			goto out;
	}
	if ((g = kcn_geom_to_geos(ctx, og)) == NULL)
		goto out;
	if (GEOSisValid_r(h, g) != 1) {
		v = kcn_geom_repair(ctx, g, 2);
		GEOSGeom_destroy_r(h, g);
		g = v;
	}
	if (g != NULL && GEOSisEmpty_r(h, g)) {
		GEOSGeom_destroy_r(h, g);
		g = NULL;
		kcni_error(ctx, KCN_REJECTED, "coverage", "nothing left once "
		    "made valid");
	}
out:
	if (og != NULL)
		OGR_G_DestroyGeometry(og);
	return g;
}

static enum kcn_status cov_stream(struct cov_run *r, struct cov_worker *w,
    enum cov_kind kind, int which, const char *path, const char *label,
    const char *popfield, struct kcn_source *src, struct kcn_reader *rd,
    struct kcn_transform *tr);

/*
 * The service areas of layer L into *PARTS, *N: its areas, or its
 * points, lines and areas buffered by L's radius.
 */
static enum kcn_status
cov_layer_areas(struct cov_run *r, struct cov_worker *w,
    const struct kcn_coverage_layer *l, struct cov_part **parts, size_t *n)
{
	struct kcn_source *src;
	struct kcn_reader *rd;
	struct kcn_transform *tr;
	OGRSpatialReferenceH ll = NULL;
	enum kcn_status st;

	r->dst = parts;
	r->ndst = n;
	r->dcap = 0;
	r->radius = l->radius;
	/* Buffers start from longitude and latitude. */
	if (l->radius > 0)
		ll = kcn_crs_wgs84();
	st = cov_open(r, l->path, ll, &src, &rd, &tr);
	if (ll != NULL)
		OSRRelease(ll);
	if (st != KCN_OK)
		return cov_close(r, src, rd, tr, st);
	return cov_stream(r, w, l->radius > 0 ? COV_CIRCLES : COV_AREAS, 0,
	    l->path, l->path, NULL, src, rd, tr);
}

/* The analysis CRS, from the zones' extent. */
static enum kcn_status
cov_crs(struct cov_run *r)
{
	struct kcn_ctx *ctx = r->ctx;
	struct kcn_source *src;
	struct kcn_reader *rd;
	OGRSpatialReferenceH srs = NULL;
	OGREnvelope e;
	double ext[4], ll[4];
	char *def = NULL;
	enum kcn_status st;

	if ((src = kcn_source_open(ctx, r->o->zones, KCN_OPEN_VECTOR)) == NULL)
		return kcn_ctx_status(ctx);
	if ((rd = kcn_reader_new(ctx, src, NULL)) == NULL)
		st = kcn_ctx_status(ctx);
	else if ((st = kcni_layer_crs(ctx, r->o->zones, kcn_reader_layer(rd),
	    NULL, 0, &srs)) == KCN_OK) {
		if (OGR_L_GetExtent(kcn_reader_layer(rd), &e, TRUE) !=
		    OGRERR_NONE)
			st = kcni_error(ctx, KCN_EDATA, r->o->zones, "no zones: "
			    "the layer is empty");
		else {
			ext[0] = e.MinX, ext[1] = e.MinY, ext[2] = e.MaxX;
			ext[3] = e.MaxY;
			if ((st = kcn_extent_lonlat(ctx, srs, ext, ll)) ==
			    KCN_OK && (r->laea = kcn_crs_parse(ctx, "laea",
			    ll)) == NULL)
				st = kcn_ctx_status(ctx);
		}
	}
	if (st == KCN_OK && OSRExportToProj4(r->laea, &def) == OGRERR_NONE)
		r->laea_def = kcni_strdup(ctx, def);
	CPLFree(def);
	if (srs != NULL)
		OSRRelease(srs);
	kcn_reader_free(rd);
	if (kcn_source_close(ctx, src) != KCN_OK && st == KCN_OK)
		st = kcn_ctx_status(ctx);
	if (st == KCN_OK)
		kcni_msg(ctx, KCN_MSG_INFO, r->o->zones, "areas in square "
		    "metres on %s", r->laea_def ? r->laea_def : "?");
	return st;
}

static int
cov_cmp_id(const void *a, const void *b)
{
	const struct cov_zone *x = *(struct cov_zone *const *)a;
	const struct cov_zone *y = *(struct cov_zone *const *)b;

	return strcmp(x->id, y->id);
}

/*
 * The union of the N zones Z (borrowed), of area SUM together.  Zones
 * that tile the city, sharing their edges vertex for vertex, are merged
 * by their edges (GEOS's coverage union, a fraction of the time of an
 * overlay).  Zones that overlap, even by a sliver, give a result that is
 * invalid or smaller than their sum; then, or when it fails, an overlay.
 */
static GEOSGeometry *
cov_zones_union(GEOSContextHandle_t h, GEOSGeometry **z, int n, double sum,
    int *bad)
{
	GEOSGeometry **c = malloc((size_t)n * sizeof(*c)), *coll = NULL, *u;

	for (int i = 0; c != NULL && i < n; i++)
		c[i] = GEOSGeom_clone_r(h, z[i]);
	if (c != NULL)
		coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION,
		    c, (unsigned)n);
	free(c);
	u = coll != NULL ? GEOSCoverageUnion_r(h, coll) : NULL;
	if (coll != NULL)
		GEOSGeom_destroy_r(h, coll);
	if (u != NULL && fabs(cov_area(h, u) - sum) <= 1e-12 * sum &&
	    GEOSisValid_r(h, u) == 1)
		return u;
	if (u != NULL)
		GEOSGeom_destroy_r(h, u);
	return cov_union(h, z, (size_t)n, 1e-6, bad);
}

/* The zones, their ids, names and areas, then TOTAL: their union. */
static enum kcn_status
cov_zones(struct cov_run *r)
{
	struct kcn_ctx *ctx = r->ctx;
	GEOSContextHandle_t h = kcn_ctx_geos(ctx);
	const struct kcn_coverage_opts *o = r->o;
	struct kcn_source *src;
	struct kcn_reader *rd;
	struct kcn_transform *tr;
	OGRFeatureH f;
	OGRFeatureDefnH d;
	GEOSGeometry **all = NULL;
	int fid = -1, fname = -1, cap = 0;
	double sum = 0;
	enum kcn_status st;

	if ((st = cov_open(r, o->zones, NULL, &src, &rd, &tr)) != KCN_OK)
		return cov_close(r, src, rd, tr, st);
	d = OGR_L_GetLayerDefn(kcn_reader_layer(rd));
	if (o->zone_id != NULL && (fid = OGR_FD_GetFieldIndex(d,
	    o->zone_id)) < 0)
		st = kcni_error(ctx, KCN_EUSAGE, "--zone-id", "the zones have "
		    "no field '%s'", o->zone_id);
	if (o->zone_name != NULL && (fname = OGR_FD_GetFieldIndex(d,
	    o->zone_name)) < 0)
		st = kcni_error(ctx, KCN_EUSAGE, "--zone-name", "the zones "
		    "have no field '%s'", o->zone_name);
	while (st == KCN_OK && (st = kcn_reader_next(ctx, rd, &f)) ==
	    KCN_OK && f != NULL) {
		long long k = kcn_reader_count(rd);
		char num[32];
		struct cov_zone *z;
		GEOSGeometry *g;

		if (r->nzone == cap) {
			struct cov_zone *m;

			cap = cap ? cap * 2 : 64;
			if ((m = realloc(r->zone, (size_t)(cap + 1) *
			    sizeof(*m))) == NULL) {
				OGR_F_Destroy(f);
				st = kcni_error(ctx, KCN_EOS, o->zones, "out of "
				    "memory");
				break;
			}
			r->zone = m;
		}
		snprintf(num, sizeof(num), "%lld", k);
		z = &r->zone[r->nzone];
		memset(z, 0, sizeof(*z));
		if ((fid >= 0 && !OGR_F_IsFieldSetAndNotNull(f, fid)) ||
		    (g = cov_area_geom(ctx, tr, r->dense,
		    OGR_F_StealGeometry(f))) ==
		    NULL) {
			if (fid >= 0 && !OGR_F_IsFieldSetAndNotNull(f, fid))
				kcni_error(ctx, KCN_EDATA, "coverage", "no zone "
				    "id (%s is empty)", o->zone_id);
			st = kcni_error(ctx, KCN_EDATA, o->zones, "zone %lld: "
			    "%s", k, kcn_ctx_errmsg(ctx));
			OGR_F_Destroy(f);
			break;
		}
		z->g = g;
		r->nzone++;
		z->id = kcni_strdup(ctx, fid >= 0 ?
		    OGR_F_GetFieldAsString(f, fid) : num);
		z->name = fname >= 0 && OGR_F_IsFieldSetAndNotNull(f, fname) ?
		    kcni_strdup(ctx, OGR_F_GetFieldAsString(f, fname)) : NULL;
		z->area = cov_area(h, g);
		sum += z->area;
		OGR_F_Destroy(f);
		if (z->id == NULL)
			st = KCN_EOS;
	}
	/* TOTAL's place, filled below. */
	if (r->zone != NULL)
		memset(&r->zone[r->nzone], 0, sizeof(*r->zone));
	st = cov_close(r, src, rd, tr, st);
	if (st != KCN_OK)
		return st;
	if (r->nzone == 0)
		return kcni_error(ctx, KCN_EDATA, o->zones, "no zones: the "
		    "layer is empty");
	/* Ids must tell the rows apart. */
	{
		struct cov_zone **by = malloc(r->nzone * sizeof(*by));

		if (by == NULL)
			return kcni_error(ctx, KCN_EOS, o->zones, "out of "
			    "memory");
		for (int i = 0; i < r->nzone; i++)
			by[i] = &r->zone[i];
		qsort(by, r->nzone, sizeof(*by), cov_cmp_id);
		for (int i = 1; i < r->nzone && st == KCN_OK; i++)
			if (strcmp(by[i - 1]->id, by[i]->id) == 0)
				st = kcni_error(ctx, KCN_EDATA, o->zones, "zone "
				    "id '%s' is given twice (zones %d and %d)%s",
				    by[i]->id, (int)(by[i - 1] - r->zone) + 1,
				    (int)(by[i] - r->zone) + 1, o->zone_id ?
				    ": --zone-id must name a unique field" :
				    "");
		free(by);
		if (st != KCN_OK)
			return st;
	}
	/* TOTAL: the zones unioned, so that overlaps count once. */
	if ((all = malloc(r->nzone * sizeof(*all))) == NULL)
		return kcni_error(ctx, KCN_EOS, o->zones, "out of memory");
	for (int i = 0; i < r->nzone; i++)
		all[i] = r->zone[i].g;
	{
		int bad = 0;
		struct cov_zone *t = &r->zone[r->nzone];

		memset(t, 0, sizeof(*t));
		t->g = cov_zones_union(h, all, r->nzone, sum, &bad);
		free(all);
		t->id = kcni_strdup(ctx, "TOTAL");
		if (bad || t->g == NULL || t->id == NULL)
			return kcni_error(ctx, KCN_EDATA, o->zones, "the zones "
			    "cannot be merged: %s", kcni_geos_msg(ctx));
		t->area = cov_area(h, t->g);
		if (sum - t->area > 1e-9 * sum)
			kcni_msg(ctx, KCN_MSG_WARNING, o->zones, "the zones "
			    "overlap: %.1f square metres lie in two or more; "
			    "each zone's row counts them, TOTAL once",
			    sum - t->area);
	}
	kcni_msg(ctx, KCN_MSG_INFO, o->zones, "%d zones, %.3f square "
	    "kilometres", r->nzone, r->zone[r->nzone].area / 1e6);
	return KCN_OK;
}

/* ---- sets, grid, raster ------------------------------------------------ */

/* Adds a set of the N0 parts P0 and the N1 parts P1 (borrowed). */
static int
cov_set_new(struct cov_run *r, const char *label, struct cov_part **p0,
    size_t n0, struct cov_part **p1, size_t n1)
{
	GEOSContextHandle_t h = kcn_ctx_geos(r->ctx);
	struct cov_set *s = &r->set[r->nset];

	memset(s, 0, sizeof(*s));
	if ((s->label = kcni_strdup(r->ctx, label)) == NULL ||
	    (s->parts = malloc((n0 + n1 + 1) * sizeof(*s->parts))) == NULL ||
	    (s->tree = GEOSSTRtree_create_r(h, 10)) == NULL) {
		kcni_error(r->ctx, KCN_EOS, "coverage", "out of memory");
		return -1;
	}
	if (n0 > 0)
		memcpy(s->parts, p0, n0 * sizeof(*p0));
	if (n1 > 0)
		memcpy(s->parts + n0, p1, n1 * sizeof(*p1));
	s->n = n0 + n1;
	for (size_t i = 0; i < s->n; i++) {
		const double *e = s->parts[i]->e;
		GEOSGeometry *b = GEOSGeom_createRectangle_r(h, e[0], e[1],
		    e[2], e[3]);

		/* The tree keeps the envelope, not the geometry. */
		if (b == NULL) {
			kcni_error(r->ctx, KCN_EOS, "coverage", "out of memory");
			return -1;
		}
		GEOSSTRtree_insert_r(h, s->tree, b, (void *)(uintptr_t)i);
		GEOSGeom_destroy_r(h, b);
	}
	return r->nset++;
}

static void
cov_noop(void *item, void *ud)
{
	(void)item;
	(void)ud;
}

/* Builds a tree now: GEOS builds it at the first query, which must not
   happen on two threads at once. */
static void
cov_build(GEOSContextHandle_t h, GEOSSTRtree *tree)
{
	GEOSGeometry *p = GEOSGeom_createPointFromXY_r(h, 0, 0);

	if (p != NULL) {
		GEOSSTRtree_query_r(h, tree, p, cov_noop, NULL);
		GEOSGeom_destroy_r(h, p);
	}
}

static enum kcn_status
cov_sets(struct cov_run *r)
{
	const struct kcn_coverage_opts *o = r->o;
	int nc = o->ncats;
	size_t nall = 0, nball = 0;
	struct cov_part **all = NULL, **ball = NULL;
	char label[512];

	r->set = calloc((size_t)(3 * (nc + 1)), sizeof(*r->set));
	r->plan = malloc((size_t)(nc + 1) * sizeof(int));
	r->baseset = malloc((size_t)(nc + 1) * sizeof(int));
	r->comb = malloc((size_t)(nc + 1) * sizeof(int));
	if (r->set == NULL || r->plan == NULL || r->baseset == NULL ||
	    r->comb == NULL)
		return kcni_error(r->ctx, KCN_EOS, "coverage", "out of memory");
	for (int c = 0; c <= nc; c++)
		r->plan[c] = r->baseset[c] = r->comb[c] = -1;
	for (int c = 0; c < nc; c++) {
		nall += r->ncat[c];
		nball += r->nbase[c];
	}
	if ((all = malloc((nall + 1) * sizeof(*all))) == NULL ||
	    (ball = malloc((nball + 1) * sizeof(*ball))) == NULL) {
		free(all);
		return kcni_error(r->ctx, KCN_EOS, "coverage", "out of memory");
	}
	nall = nball = 0;
	for (int c = 0; c < nc; c++) {
		/* Each category's parts are a slice of ALL (and BALL). */
		struct cov_part **pc = all + nall, **pb = ball + nball;

		for (size_t i = 0; i < r->ncat[c]; i++)
			all[nall++] = &r->cat[c][i];
		for (size_t i = 0; i < r->nbase[c]; i++)
			ball[nball++] = &r->base[c][i];
		if ((r->plan[c] = cov_set_new(r, o->cats[c].name, pc,
		    r->ncat[c], NULL, 0)) < 0)
			goto oom;
		if (r->nbase[c] == 0)
			continue;
		snprintf(label, sizeof(label), "base:%s", o->cats[c].name);
		if ((r->baseset[c] = cov_set_new(r, label, pb, r->nbase[c],
		    NULL, 0)) < 0)
			goto oom;
		snprintf(label, sizeof(label), "plan+base:%s", o->cats[c].name);
		if ((r->comb[c] = cov_set_new(r, label, pc, r->ncat[c], pb,
		    r->nbase[c])) < 0)
			goto oom;
	}
	if (nc >= 2) {
		if ((r->plan[nc] = cov_set_new(r, "all", all, nall, NULL,
		    0)) < 0)
			goto oom;
		if (o->nbase > 0 && ((r->baseset[nc] = cov_set_new(r,
		    "base:all", ball, nball, NULL, 0)) < 0 || (r->comb[nc] =
		    cov_set_new(r, "plan+base:all", all, nall, ball,
		    nball)) < 0))
			goto oom;
	}
	r->gapset = r->plan[nc >= 2 ? nc : 0];
	free(all);
	free(ball);
	for (int s = 0; s < r->nset; s++)
		cov_build(kcn_ctx_geos(r->ctx), r->set[s].tree);
	return KCN_OK;
oom:
	free(all);
	free(ball);
	return kcn_ctx_status(r->ctx);
}

/* The grid over the zones: cells about half a typical service area. */
static enum kcn_status
cov_grid(struct cov_run *r)
{
	GEOSContextHandle_t h = kcn_ctx_geos(r->ctx);
	double e[4], w, ht, s, *size;
	size_t n = 0, k = 0;

	cov_env(h, r->zone[r->nzone].g, e);
	w = e[2] - e[0];
	ht = e[3] - e[1];
	for (int c = 0; c < r->o->ncats; c++)
		n += r->ncat[c] + r->nbase[c];
	s = fmax(w, ht) / 16;
	if (n > 0 && (size = malloc(n * sizeof(*size))) != NULL) {
		for (int c = 0; c < r->o->ncats; c++)
			for (int b = 0; b < 2; b++) {
				struct cov_part *p = b ? r->base[c] : r->cat[c];
				size_t m = b ? r->nbase[c] : r->ncat[c];

				for (size_t i = 0; i < m; i++)
					size[k++] = fmin(p[i].e[2] - p[i].e[0],
					    p[i].e[3] - p[i].e[1]);
			}
		qsort(size, k, sizeof(*size), cov_cmp_double);
		if (size[k / 2] > 0)
			s = fmin(s, size[k / 2] * COV_CELL);
		free(size);
	}
	s = fmax(s, sqrt(w * ht / COV_CELLS));
	if (!(s > 0) || !isfinite(s))
		s = fmax(fmax(w, ht), 1);
	/*
	 * The grid starts an odd fraction of a cell before the zones, so
	 * that its lines fall on no round coordinate: GEOS's rectangle clip
	 * drops a line that runs along a cell's edge (a road on a surveyed
	 * grid), which would then count in neither cell.
	 */
	r->s = s;
	r->gx = e[0] - COV_SHIFT * s;
	r->gy = e[1] - COV_SHIFT * s;
	r->nx = (int)floor((w + COV_SHIFT * s) / s) + 1;
	r->ny = (int)floor((ht + COV_SHIFT * s) / s) + 1;
	r->cell = calloc((size_t)r->nx * r->ny, sizeof(*r->cell));
	if (r->cell == NULL)
		return kcni_error(r->ctx, KCN_EOS, "coverage", "out of memory");
	kcni_msg(r->ctx, KCN_MSG_INFO, "coverage", "%d x %d cells of %.1f m",
	    r->nx, r->ny, s);
	return KCN_OK;
}

/* Reads the window of the population raster over the zones. */
static enum kcn_status
cov_raster(struct cov_run *r)
{
	struct kcn_ctx *ctx = r->ctx;
	struct cov_raster *ras = &r->ras;
	const char *path = r->o->pop;
	struct kcn_source *src;
	GDALDatasetH ds;
	GDALRasterBandH band;
	OGRSpatialReferenceH srs = NULL;
	OGRGeometryH zone = NULL;
	OGREnvelope e;
	double gt[6], nodata;
	int has_nodata = 0, x0, y0, x1, y1, outside = 0;
	enum kcn_status st = KCN_OK;

	if ((src = kcn_source_open(ctx, path, KCN_OPEN_RASTER)) == NULL)
		return kcn_ctx_status(ctx);
	ds = kcn_source_dataset(src);
	if (GDALGetRasterCount(ds) < 1 || GDALGetGeoTransform(ds, gt) !=
	    CE_None) {
		st = kcni_error(ctx, KCN_EDATA, path, "not a georeferenced "
		    "raster");
		goto out;
	}
	if (gt[2] != 0 || gt[4] != 0 || gt[1] == 0 || gt[5] == 0) {
		st = kcni_error(ctx, KCN_EDATA, path, "a rotated raster: warp "
		    "it north up first (gdalwarp)");
		goto out;
	}
	if (GDALGetSpatialRef(ds) == NULL) {
		st = kcni_error(ctx, KCN_ECRS, path, "no CRS: assign one with "
		    "gdal_edit.py -a_srs");
		goto out;
	}
	srs = OSRClone(GDALGetSpatialRef(ds));
	OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
	if ((ras->tr = kcn_transform_new(ctx, r->laea, srs, NULL, 0)) ==
	    NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	/* The zones' extent in the raster's pixels. */
	zone = kcn_geom_from_geos(ctx, r->zone[r->nzone].g);
	if (zone == NULL || kcni_trans_geom(ctx, kcni_transform_pj(ras->tr),
	    PJ_FWD, "the raster's CRS", zone) != KCN_OK) {
		st = kcni_error(ctx, KCN_ECRS, path, "the zones cannot be "
		    "brought into the raster's CRS");
		goto out;
	}
	OGR_G_GetEnvelope(zone, &e);
	{
		double px0 = (e.MinX - gt[0]) / gt[1], px1 = (e.MaxX - gt[0]) /
		    gt[1], py0 = (e.MinY - gt[3]) / gt[5], py1 = (e.MaxY -
		    gt[3]) / gt[5];

		x0 = (int)fmax(0, floor(fmin(px0, px1)) - 1);
		x1 = (int)fmin(GDALGetRasterXSize(ds), ceil(fmax(px0, px1)) +
		    1);
		y0 = (int)fmax(0, floor(fmin(py0, py1)) - 1);
		y1 = (int)fmin(GDALGetRasterYSize(ds), ceil(fmax(py0, py1)) +
		    1);
	}
	if (x1 <= x0 || y1 <= y0) {
		/* One cell far off, never met: all unknown. */
		x0 = y0 = 0;
		x1 = y1 = 1;
		outside = 1;
		kcni_msg(ctx, KCN_MSG_WARNING, path, "the raster does not "
		    "cover the zones: their population is unknown");
	} else if ((double)(x1 - x0) * (y1 - y0) > COV_RASTER_MAX) {
		st = kcni_error(ctx, KCN_EDATA, path, "%d x %d cells over the "
		    "zones: too many to read", x1 - x0, y1 - y0);
		goto out;
	}
	ras->nx = x1 - x0;
	ras->ny = y1 - y0;
	ras->v = malloc((size_t)ras->nx * ras->ny * sizeof(double));
	if (ras->v == NULL) {
		st = kcni_error(ctx, KCN_EOS, path, "out of memory");
		goto out;
	}
	band = GDALGetRasterBand(ds, 1);
	nodata = GDALGetRasterNoDataValue(band, &has_nodata);
	kcni_gdal_reset(ctx);
	if (GDALRasterIO(band, GF_Read, x0, y0, ras->nx, ras->ny, ras->v,
	    ras->nx, ras->ny, GDT_Float64, 0, 0) != CE_None ||
	    kcni_gdal_failed(ctx)) {
		st = kcni_error(ctx, KCN_EDATA, path, "cannot read: %s",
		    kcni_gdal_msg(ctx));
		goto out;
	}
	for (int j = 0; j < ras->ny; j++)
		for (int i = 0; i < ras->nx; i++) {
			double *v = &ras->v[(size_t)j * ras->nx + i];

			if (outside || !isfinite(*v) || (has_nodata &&
			    *v == nodata))
				*v = NAN;
		}
	ras->gt[0] = gt[0] + x0 * gt[1];
	ras->gt[1] = gt[1];
	ras->gt[2] = 0;
	ras->gt[3] = gt[3] + y0 * gt[5];
	ras->gt[4] = 0;
	ras->gt[5] = gt[5];
	ras->on = 1;
	kcni_msg(ctx, KCN_MSG_INFO, path, "population from %d x %d cells, "
	    "by the exact share of each inside", ras->nx, ras->ny);
out:
	if (zone != NULL)
		OGR_G_DestroyGeometry(zone);
	if (srs != NULL)
		OSRRelease(srs);
	if (kcn_source_close(ctx, src) != KCN_OK && st == KCN_OK)
		st = kcn_ctx_status(ctx);
	return st;
}

/* ---- the passes -------------------------------------------------------- */

static enum kcn_status
cov_cells(struct cov_run *r, struct cov_worker *w)
{
	size_t n = (size_t)r->nx * r->ny;
	struct cov_adds *adds = calloc(n, sizeof(*adds));
	enum kcn_status st;

	double t0 = kcni_now();

	if (adds == NULL)
		return kcni_error(r->ctx, KCN_EOS, "coverage", "out of memory");
	st = cov_parallel(r, w, cov_do_cell, n, adds, "cells");
	for (size_t i = 0; i < n; i++) {
		if (st == KCN_OK)
			st = cov_sum(r, &adds[i]);
		free(adds[i].a);
	}
	free(adds);
	if (st == KCN_OK)
		kcni_msg(r->ctx, KCN_MSG_INFO, "coverage", "%zu cells cut and "
		    "measured in %.1f s", n, kcni_now() - t0);
	return st;
}

/* Appends the batch's service areas to the run's destination. */
static enum kcn_status
cov_keep(struct cov_run *r, size_t n)
{
	GEOSContextHandle_t h = kcn_ctx_geos(r->ctx);

	for (size_t i = 0; i < n; i++) {
		struct cov_part *p = &r->b->part[i];

		if (p->g == NULL && !p->circle)
			continue;
		if (*r->ndst == r->dcap) {
			struct cov_part *m;

			r->dcap = r->dcap ? r->dcap * 2 : 1024;
			if ((m = realloc(*r->dst, r->dcap * sizeof(*m))) ==
			    NULL)
				return kcni_error(r->ctx, KCN_EOS, "coverage",
				    "out of memory");
			*r->dst = m;
		}
		if (p->g != NULL)
			cov_env(h, p->g, p->e);
		(*r->dst)[(*r->ndst)++] = *p;
		memset(p, 0, sizeof(*p));
	}
	return KCN_OK;
}

/* Why a feature of a stream of KIND with geometry of dimension DIM (-1
   none, -2 no population) is left out, or NULL when it is not. */
static const char *
cov_unfit(enum cov_kind kind, int dim)
{
	if (dim == -1)
		return "no geometry";
	if (dim == -2)
		return "no population, or not a number";
	switch (kind) {
	case COV_LINES:
		return dim == 1 ? NULL : "not a line";
	case COV_POINTS:
		return dim == 0 || dim == 2 ? NULL :
		    "a line, not a point or area";
	case COV_CIRCLES:
		return NULL;
	default:
		return dim == 2 ? NULL : "not an area";
	}
}

/*
 * Reads up to COV_BATCH features of RD into B for KIND, with their
 * --pop-field FLD (or -1); one unfit for KIND is marked rejected with the
 * reason, but for a feature without an area among service areas, only
 * counted.  *EOF is set at the end.
 */
static enum kcn_status
cov_read_batch(struct cov_run *r, struct kcn_reader *rd, enum cov_kind kind,
    int fld, struct cov_batch *b, int *eof)
{
	b->n = 0;
	while (b->n < COV_BATCH) {
		OGRFeatureH f;
		enum kcn_status rst = kcn_reader_next(r->ctx, rd, &f);
		const char *why;
		OGRGeometryH g;
		size_t n = b->n;
		int dim;

		if (rst != KCN_OK)
			return rst;
		if (f == NULL) {
			*eof = 1;
			break;
		}
		g = OGR_F_StealGeometry(f);
		dim = g != NULL && !OGR_G_IsEmpty(g) ? OGR_G_GetDimension(g) :
		    -1;
		b->val[n] = fld >= 0 ? OGR_F_GetFieldAsDouble(f, fld) : 0;
		if (fld >= 0 && (!OGR_F_IsFieldSetAndNotNull(f, fld) ||
		    !isfinite(b->val[n]) || b->val[n] < 0))
			dim = -2;
		OGR_F_Destroy(f);
		if ((why = cov_unfit(kind, dim)) != NULL) {
			/* A label or a line among service areas, as
			   kcn-overlay: counted, not an error. */
			if (kind == COV_AREAS && dim >= 0)
				r->nonarea++;
			else if ((b->add[n].msg = strdup(why)) == NULL)
				return kcni_error(r->ctx, KCN_EOS, "coverage",
				    "out of memory");
			else
				b->add[n].rejected = 1;
			if (g != NULL)
				OGR_G_DestroyGeometry(g);
			g = NULL;
		}
		/*
		 * A footprint counted by its centroid: taken here, while its
		 * points are in this thread's cache, and its geometry freed
		 * by the thread that made it.
		 */
		b->xy[n][0] = NAN;
		if (g != NULL && kind == COV_POINTS && !r->o->by_area &&
		    dim == 2 && cov_quick_centroid(g, b->xy[n])) {
			OGR_G_DestroyGeometry(g);
			g = NULL;
		}
		b->g[b->n++] = g;
	}
	return KCN_OK;
}

/*
 * Streams the layer of SRC and RD (its operation TR, all three taken)
 * in batches through the workers: measured as points, lines or
 * population areas (with the field POPFIELD), or kept as service areas
 * (COV_AREAS, COV_CIRCLES: into the run's destination).  LABEL names
 * the layer in messages.
 */
static enum kcn_status
cov_stream(struct cov_run *r, struct cov_worker *w, enum cov_kind kind,
    int which, const char *path, const char *label, const char *popfield,
    struct kcn_source *src, struct kcn_reader *rd, struct kcn_transform *tr)
{
	struct kcn_ctx *ctx = r->ctx;
	OGRwkbGeometryType t = wkbFlatten(OGR_L_GetGeomType(
	    kcn_reader_layer(rd)));
	int fld = -1, eof = 0;
	long long first = 1;
	double t0 = kcni_now();
	enum kcn_status st = KCN_OK;

	(void)path;
	if (popfield != NULL && (fld = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(
	    kcn_reader_layer(rd)), popfield)) < 0)
		return cov_close(r, src, rd, tr, kcni_error(ctx, KCN_EUSAGE,
		    "--pop-field", "%s has no field '%s'", label, popfield));
	if (kind == COV_AREAS && t != wkbUnknown && t != wkbNone &&
	    t != wkbGeometryCollection && !OGR_GT_IsSubClassOf(t,
	    wkbCurvePolygon) && !OGR_GT_IsSubClassOf(t, wkbMultiSurface))
		return cov_close(r, src, rd, tr, kcni_error(ctx, KCN_EUSAGE,
		    label, "a layer of %s, not of areas: give a radius "
		    "(NAME=LAYER:r=METRES)", OGRGeometryTypeToName(t)));
	r->kind = kind;
	r->which = which;
	r->ftr = tr;
	r->nonarea = 0;
	/* No field is read but --pop-field. */
	if (kcni_ignore_fields(kcn_reader_layer(rd), fld) != 0)
		return cov_close(r, src, rd, tr, kcni_error(ctx, KCN_EOS,
		    label, "out of memory"));
	for (int k = 0; k < 2; k++) {
		struct cov_batch *b = &r->bs[k];

		if (b->g == NULL && ((b->g = calloc(COV_BATCH,
		    sizeof(*b->g))) == NULL || (b->xy = calloc(COV_BATCH,
		    sizeof(*b->xy))) == NULL || (b->val = calloc(COV_BATCH,
		    sizeof(*b->val))) == NULL || (b->add = calloc(COV_BATCH,
		    sizeof(*b->add))) == NULL || (b->part = calloc(COV_BATCH,
		    sizeof(*b->part))) == NULL))
			return cov_close(r, src, rd, tr, kcni_error(ctx,
			    KCN_EOS, label, "out of memory"));
	}
	/* The calling thread's worker gets this layer's operation too. */
	if (tr != NULL && (w->ftr = kcn_transform_clone(ctx, tr)) == NULL)
		return cov_close(r, src, rd, tr, kcn_ctx_status(ctx));
	/* Each batch is measured by the other threads while the calling
	   one reads the next, then joins them. */
	r->b = &r->bs[0];
	st = cov_read_batch(r, rd, kind, fld, r->b, &eof);
	while (st == KCN_OK && r->b->n > 0) {
		struct cov_batch *next = r->b == &r->bs[0] ? &r->bs[1] :
		    &r->bs[0];
		struct cov_par p;
		enum kcn_status rst = KCN_OK, pst;

		next->n = 0;
		cov_par_start(&p, r, cov_do_feature, r->b->n, r->b->add, NULL);
		if (!eof)
			rst = cov_read_batch(r, rd, kind, fld, next, &eof);
		pst = cov_par_finish(&p, w);
		st = pst != KCN_OK ? pst : rst;
		for (size_t i = 0; i < r->b->n; i++) {
			struct cov_adds *a = &r->b->add[i];

			if (a->rejected) {
				kcni_msg(ctx, KCN_MSG_WARNING, label, "feature "
				    "%lld left out: %s", first + (long long)i,
				    a->msg);
				r->skipped++;
			}
			if (st == KCN_OK)
				st = cov_sum(r, a);
			a->n = 0;
			a->rejected = 0;
			free(a->msg);
			a->msg = NULL;
			if (r->b->g[i] != NULL)
				OGR_G_DestroyGeometry(r->b->g[i]);
			r->b->g[i] = NULL;
		}
		if (kind == COV_AREAS || kind == COV_CIRCLES) {
			if (st == KCN_OK)
				st = cov_keep(r, r->b->n);
			for (size_t i = 0; i < r->b->n; i++) {
				if (r->b->part[i].g != NULL)
					GEOSGeom_destroy_r(kcn_ctx_geos(ctx),
					    r->b->part[i].g);
				memset(&r->b->part[i], 0,
				    sizeof(r->b->part[i]));
			}
		}
		first += (long long)r->b->n;
		r->b->n = 0;
		kcni_progress(ctx, label, (double)first - 1, 0, 0);
		r->b = next;
	}
	kcni_progress(ctx, label, (double)first - 1, 0, 1);
	kcn_transform_free(w->ftr);
	w->ftr = NULL;
	r->ftr = NULL;
	if (st == KCN_OK && r->nonarea > 0)
		kcni_msg(ctx, KCN_MSG_WARNING, label, "%lld features without "
		    "an area left out: only areas cover", r->nonarea);
	if (st == KCN_OK && (kind == COV_AREAS || kind == COV_CIRCLES)) {
		if (*r->ndst == 0)
			kcni_msg(ctx, KCN_MSG_WARNING, label, "no service "
			    "areas: this category covers nothing");
		else
			kcni_msg(ctx, KCN_MSG_INFO, label, "%zu service areas%s "
			    "in %.1f s", *r->ndst, kind == COV_CIRCLES ?
			    ", circles drawn in the analysis CRS," : "",
			    kcni_now() - t0);
	} else if (st == KCN_OK)
		kcni_msg(ctx, KCN_MSG_INFO, label, "%lld features measured in "
		    "%.1f s", first - 1, kcni_now() - t0);
	return cov_close(r, src, rd, tr, st);
}

/* Measures the layer PATH as KIND (see cov_stream). */
static enum kcn_status
cov_measure_layer(struct cov_run *r, struct cov_worker *w,
    enum cov_kind kind, int which, const char *path, const char *popfield)
{
	struct kcn_source *src;
	struct kcn_reader *rd;
	struct kcn_transform *tr;
	enum kcn_status st;

	if ((st = cov_open(r, path, NULL, &src, &rd, &tr)) != KCN_OK)
		return cov_close(r, src, rd, tr, st);
	return cov_stream(r, w, kind, which, path, path, popfield, src, rd,
	    tr);
}

/* ---- the table --------------------------------------------------------- */

enum { IT_STR, IT_NUM, IT_SHARE, IT_COUNT, IT_NULL };

struct cov_item {
	char key[160];
	int type;
	const char *s;
	double v;
};

struct cov_row {
	struct cov_item *it;
	int n;
};

static void
cov_item(struct cov_row *row, int type, double v, const char *s,
    const char *fmt, ...) KCNI_PRINTF(5, 6);

static void
cov_item(struct cov_row *row, int type, double v, const char *s,
    const char *fmt, ...)
{
	struct cov_item *it = &row->it[row->n++];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(it->key, sizeof(it->key), fmt, ap);
	va_end(ap);
	it->type = type;
	it->v = v;
	it->s = s;
	if ((type == IT_STR && s == NULL) || (type != IT_STR && !isfinite(v)))
		it->type = IT_NULL;
}

static double
cov_share(double part, double whole)
{
	return whole > 0 ? part / whole : NAN;
}

/* The row of zone Z and category C (ncats: all). */
static void
cov_make_row(const struct cov_run *r, int z, int c, struct cov_row *row)
{
	const struct kcn_coverage_opts *o = r->o;
	const double *zs = &r->sum[(size_t)z * r->ncol];
	int ps = r->plan[c], bs = r->baseset[c];
	int cs = r->comb[c] >= 0 ? r->comb[c] : ps;
	const double *p = zs + COL_SET(r, ps);
	const double *b = bs >= 0 ? zs + COL_SET(r, bs) : NULL;
	const double *pb = zs + COL_SET(r, cs);
	const struct cov_zone *zn = &r->zone[z];
	int cnt = o->by_area ? IT_NUM : IT_COUNT;
	double area = zn->area, pop = zs[COL_POP];

	row->n = 0;
	cov_item(row, IT_STR, 0, zn->id, "zone_id");
	cov_item(row, IT_STR, 0, zn->name, "zone_name");
	cov_item(row, IT_STR, 0, r->set[ps].label, "category");
	cov_item(row, IT_NUM, c < o->ncats && o->cats[c].radius > 0 ?
	    o->cats[c].radius : NAN, NULL, "radius_m");
	cov_item(row, IT_COUNT, c < o->ncats && o->cats[c].radius > 0 ?
	    o->segments : NAN, NULL, "segments");
	cov_item(row, IT_NUM, area, NULL, "zone_m2");
	cov_item(row, IT_NUM, p[COL_COV], NULL, "covered_m2");
	cov_item(row, IT_SHARE, cov_share(p[COL_COV], area), NULL,
	    "covered_share");
	cov_item(row, IT_NUM, p[COL_TWICE], NULL, "redundant_m2");
	if (o->pop != NULL || o->pop_layer != NULL) {
		/* No data at all is unknown, not nobody. */
		int none = o->pop != NULL && zs[COL_UNKNOWN] >= area *
		    (1 - 1e-9);

		cov_item(row, IT_NUM, none ? NAN : pop, NULL, "pop");
		cov_item(row, IT_NUM, none ? NAN : p[COL_POPCOV], NULL,
		    "pop_covered");
		cov_item(row, IT_SHARE, none ? NAN : cov_share(p[COL_POPCOV],
		    pop), NULL, "pop_covered_share");
		cov_item(row, IT_NUM, o->pop != NULL ? zs[COL_UNKNOWN] : NAN,
		    NULL, "pop_unknown_m2");
	}
	for (int i = 0; i < o->npoints; i++) {
		const char *nm = o->points[i].name;

		cov_item(row, cnt, zs[COL_PTS(r, i)], NULL, "%s_n", nm);
		cov_item(row, cnt, p[COL_PTSCOV(r, i)], NULL, "%s_covered", nm);
		cov_item(row, IT_SHARE, cov_share(p[COL_PTSCOV(r, i)],
		    zs[COL_PTS(r, i)]), NULL, "%s_covered_share", nm);
	}
	for (int i = 0; i < o->nlines; i++) {
		const char *nm = o->lines[i].name;

		cov_item(row, IT_NUM, zs[COL_LEN(r, i)], NULL, "%s_m", nm);
		cov_item(row, IT_NUM, p[COL_LENCOV(r, i)], NULL,
		    "%s_covered_m", nm);
		cov_item(row, IT_SHARE, cov_share(p[COL_LENCOV(r, i)],
		    zs[COL_LEN(r, i)]), NULL, "%s_covered_share", nm);
	}
	if (o->nbase == 0)
		return;
#define BASE(k) (b != NULL ? b[k] : 0)
	cov_item(row, IT_NUM, BASE(COL_COV), NULL, "base_covered_m2");
	cov_item(row, IT_NUM, pb[COL_COV] - BASE(COL_COV), NULL,
	    "gain_covered_m2");
	if (o->pop != NULL || o->pop_layer != NULL) {
		cov_item(row, IT_NUM, BASE(COL_POPCOV), NULL,
		    "base_pop_covered");
		cov_item(row, IT_NUM, pb[COL_POPCOV] - BASE(COL_POPCOV), NULL,
		    "gain_pop_covered");
	}
	for (int i = 0; i < o->npoints; i++) {
		cov_item(row, cnt, BASE(COL_PTSCOV(r, i)), NULL,
		    "base_%s_covered", o->points[i].name);
		cov_item(row, cnt, pb[COL_PTSCOV(r, i)] -
		    BASE(COL_PTSCOV(r, i)), NULL, "gain_%s_covered",
		    o->points[i].name);
	}
	for (int i = 0; i < o->nlines; i++) {
		cov_item(row, IT_NUM, BASE(COL_LENCOV(r, i)), NULL,
		    "base_%s_covered_m", o->lines[i].name);
		cov_item(row, IT_NUM, pb[COL_LENCOV(r, i)] -
		    BASE(COL_LENCOV(r, i)), NULL, "gain_%s_covered_m",
		    o->lines[i].name);
	}
#undef BASE
}

static void
cov_csv_str(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void
cov_csv_value(FILE *f, const struct cov_item *it)
{
	switch (it->type) {
	case IT_STR:
		cov_csv_str(f, it->s);
		break;
	case IT_NUM:
		fprintf(f, "%.3f", it->v + 0.0);
		break;
	case IT_SHARE:
		fprintf(f, "%.6f", it->v + 0.0);
		break;
	case IT_COUNT:
		fprintf(f, "%.0f", it->v + 0.0);
		break;
	default:
		break;
	}
}

/* 1234567.8 as "1,234,568". */
static void
cov_thousands(char *buf, size_t size, double v)
{
	char digits[64];
	int n, k = 0, lead;

	snprintf(digits, sizeof(digits), "%.0f", fabs(v));
	n = (int)strlen(digits);
	lead = n % 3 ? n % 3 : 3;
	if (v < 0 && round(v) != 0 && (size_t)k < size - 1)
		buf[k++] = '-';
	for (int i = 0; i < n && (size_t)k < size - 2; i++) {
		if (i > 0 && (i - lead) % 3 == 0)
			buf[k++] = ',';
		buf[k++] = digits[i];
	}
	buf[k] = '\0';
}

static void
cov_md_cell(FILE *f, double v, double whole, const char *unit, double div)
{
	char num[64];

	if (!isfinite(v)) {
		fputs(" unknown |", f);
		return;
	}
	if (div != 1)
		snprintf(num, sizeof(num), "%.2f", v / div);
	else
		cov_thousands(num, sizeof(num), v);
	fprintf(f, " %s%s", num, unit);
	if (whole > 0)
		fprintf(f, " (%.1f %%)", 100 * v / whole);
	fputs(" |", f);
}

static void
cov_markdown(const struct cov_run *r, FILE *f)
{
	const struct kcn_coverage_opts *o = r->o;
	int pop = o->pop != NULL || o->pop_layer != NULL;
	int nrows = o->ncats >= 2 ? o->ncats + 1 : 1;

	fputs("| Zone | Category | Area | Covered | Covered twice |", f);
	if (pop)
		fputs(" Population | Population covered |", f);
	for (int i = 0; i < o->npoints; i++)
		fprintf(f, " %s | %s covered |", o->points[i].name,
		    o->points[i].name);
	for (int i = 0; i < o->nlines; i++)
		fprintf(f, " %s | %s covered |", o->lines[i].name,
		    o->lines[i].name);
	if (o->nbase > 0)
		fprintf(f, " Gain in area covered |%s", pop ? " Gain in "
		    "population covered |" : "");
	fputs("\n|---|---|---:|---:|---:|", f);
	for (int i = 0; i < 2 * (pop + o->npoints + o->nlines) +
	    (o->nbase > 0) * (1 + pop); i++)
		fputs("---:|", f);
	fputc('\n', f);
	for (int z = 0; z <= r->nzone; z++)
		for (int c = 0; c < nrows; c++) {
			int ci = o->ncats >= 2 && c == o->ncats ? o->ncats : c;
			const double *zs = &r->sum[(size_t)z * r->ncol];
			const double *p = zs + COL_SET(r, r->plan[ci]);
			const struct cov_zone *zn = &r->zone[z];
			int none = o->pop != NULL && zs[COL_UNKNOWN] >=
			    zn->area * (1 - 1e-9);

			fprintf(f, "| %s%s%s%s%s | %s |", z == r->nzone ?
			    "**" : "", zn->id, zn->name ? " " : "",
			    zn->name ? zn->name : "", z == r->nzone ? "**" : "",
			    r->set[r->plan[ci]].label);
			cov_md_cell(f, zn->area, 0, " km²", 1e6);
			cov_md_cell(f, p[COL_COV], zn->area, " km²", 1e6);
			cov_md_cell(f, p[COL_TWICE], zn->area, " km²", 1e6);
			if (pop) {
				cov_md_cell(f, none ? NAN : zs[COL_POP], 0, "",
				    1);
				cov_md_cell(f, none ? NAN : p[COL_POPCOV],
				    zs[COL_POP], "", 1);
			}
			for (int i = 0; i < o->npoints; i++) {
				cov_md_cell(f, zs[COL_PTS(r, i)], 0, "", 1);
				cov_md_cell(f, p[COL_PTSCOV(r, i)],
				    zs[COL_PTS(r, i)], "", 1);
			}
			for (int i = 0; i < o->nlines; i++) {
				cov_md_cell(f, zs[COL_LEN(r, i)], 0, " km",
				    1e3);
				cov_md_cell(f, p[COL_LENCOV(r, i)],
				    zs[COL_LEN(r, i)], " km", 1e3);
			}
			if (o->nbase > 0) {
				int bs = r->baseset[ci], cs = r->comb[ci] >= 0 ?
				    r->comb[ci] : r->plan[ci];
				const double *b = bs >= 0 ? zs + COL_SET(r, bs) :
				    NULL, *pb = zs + COL_SET(r, cs);

				cov_md_cell(f, pb[COL_COV] - (b ? b[COL_COV] :
				    0), 0, " km²", 1e6);
				if (pop)
					cov_md_cell(f, pb[COL_POPCOV] - (b ?
					    b[COL_POPCOV] : 0), 0, "", 1);
			}
			fputc('\n', f);
		}
	fprintf(f, "\nAreas in square kilometres on %s; overlapping service "
	    "areas counted once. Circles drawn with %d segments per quarter."
	    "%s\n", r->laea_def ? r->laea_def : "an equal-area projection",
	    o->segments, o->pop != NULL ? " Population weighted by the "
	    "exact share of each raster cell inside; \"unknown\" where the "
	    "raster has no data." : "");
}

static enum kcn_status
cov_table(struct cov_run *r, FILE *f)
{
	const struct kcn_coverage_opts *o = r->o;
	int nrows = o->ncats >= 2 ? o->ncats + 1 : 1;
	struct cov_row row;
	json_object *j = NULL, *rows = NULL;

	if ((row.it = calloc((size_t)(16 + 5 * (o->npoints + o->nlines)),
	    sizeof(*row.it))) == NULL)
		return kcni_error(r->ctx, KCN_EOS, "coverage", "out of memory");
	if (o->format == KCN_COVERAGE_MARKDOWN) {
		cov_markdown(r, f);
		free(row.it);
		return KCN_OK;
	}
	if (o->format == KCN_COVERAGE_JSON) {
		json_object *m = json_object_new_object(), *cats =
		    json_object_new_array();

		j = json_object_new_object();
		rows = json_object_new_array();
		json_object_object_add(m, "crs", json_object_new_string(
		    r->laea_def ? r->laea_def : ""));
		json_object_object_add(m, "segments", json_object_new_int(
		    o->segments));
		json_object_object_add(m, "zones", json_object_new_string(
		    o->zones));
		for (int c = 0; c < o->ncats; c++) {
			json_object *x = json_object_new_object();

			json_object_object_add(x, "name",
			    json_object_new_string(o->cats[c].name));
			json_object_object_add(x, "path",
			    json_object_new_string(o->cats[c].path));
			json_object_object_add(x, "radius_m", o->cats[c].radius >
			    0 ? json_object_new_double(o->cats[c].radius) :
			    NULL);
			json_object_array_add(cats, x);
		}
		json_object_object_add(m, "categories", cats);
		json_object_object_add(m, "population", o->pop ?
		    json_object_new_string(o->pop) : o->pop_layer ?
		    json_object_new_string(o->pop_layer) : NULL);
		json_object_object_add(j, "meta", m);
	}
	for (int z = 0; z <= r->nzone; z++)
		for (int c = 0; c < nrows; c++) {
			cov_make_row(r, z, o->ncats >= 2 && c == o->ncats ?
			    o->ncats : c, &row);
			if (o->format == KCN_COVERAGE_CSV) {
				if (z == 0 && c == 0) {
					for (int i = 0; i < row.n; i++)
						fprintf(f, "%s%s", i ? "," : "",
						    row.it[i].key);
					fputc('\n', f);
				}
				for (int i = 0; i < row.n; i++) {
					if (i > 0)
						fputc(',', f);
					cov_csv_value(f, &row.it[i]);
				}
				fputc('\n', f);
				continue;
			}
			{
				json_object *x = json_object_new_object();

				for (int i = 0; i < row.n; i++) {
					const struct cov_item *it = &row.it[i];
					char num[64];

					if (it->type == IT_STR)
						json_object_object_add(x,
						    it->key,
						    json_object_new_string(
						    it->s));
					else if (it->type == IT_NULL)
						json_object_object_add(x,
						    it->key, NULL);
					else {
						snprintf(num, sizeof(num),
						    it->type == IT_SHARE ?
						    "%.6f" : it->type ==
						    IT_COUNT ? "%.0f" :
						    "%.3f", it->v + 0.0);
						json_object_object_add(x,
						    it->key,
						    json_object_new_double_s(
						    atof(num), num));
					}
				}
				json_object_array_add(rows, x);
			}
		}
	if (j != NULL) {
		json_object_object_add(j, "rows", rows);
		fprintf(f, "%s\n", json_object_to_json_string_ext(j,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	}
	free(row.it);
	return KCN_OK;
}

/* Writes the table to PATH under a temporary name, renamed when whole. */
static enum kcn_status
cov_write_table(struct cov_run *r, const char *path, FILE *out)
{
	char tmp[4200];
	FILE *f;
	int fd, bad;
	enum kcn_status st;

	if (path == NULL || strcmp(path, "-") == 0) {
		st = cov_table(r, out);
		if (fflush(out) != 0 || ferror(out))
			return kcni_error(r->ctx, KCN_EIO, "stdout", "cannot "
			    "write: %s", strerror(errno ? errno : EIO));
		return st;
	}
	snprintf(tmp, sizeof(tmp), "%s.kcn-XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		if (fd >= 0) {
			close(fd);
			remove(tmp);
		}
		return kcni_error(r->ctx, KCN_ECREATE, path, "cannot create: "
		    "%s", strerror(errno));
	}
	fchmod(fd, 0644);
	st = cov_table(r, f);
	bad = ferror(f);
	if (fclose(f) != 0 || bad || st != KCN_OK || rename(tmp, path) != 0) {
		int e = errno ? errno : EIO;

		remove(tmp);
		return st != KCN_OK ? st : kcni_error(r->ctx, KCN_EIO, path,
		    "cannot write: %s", strerror(e));
	}
	return KCN_OK;
}

/* ---- the gap and covered layers ---------------------------------------- */

/* The part of zone Z outside (GAP) or inside set S, from the cells. */
static GEOSGeometry *
cov_zone_part(struct cov_run *r, int z, int s, int gap, int *bad)
{
	GEOSContextHandle_t h = kcn_ctx_geos(r->ctx);
	GEOSGeometry **pc = NULL, *u;
	size_t n = 0, cap = 0;
	double grid = r->s * 1e-9;

	for (size_t ci = 0; ci < (size_t)r->nx * r->ny && !*bad; ci++) {
		struct cov_cell *c = &r->cell[ci];

		for (size_t zi = 0; zi < c->nz && !*bad; zi++) {
			const struct cov_piece *zp = &c->z[zi];
			GEOSGeometry *piece = GEOSGeom_clone_r(h, zp->g);

			if (zp->key != z)
				{
					GEOSGeom_destroy_r(h, piece);
					continue;
				}
			if (gap) {
				for (size_t ui = 0; ui < c->nu && piece; ui++) {
					GEOSGeometry *m;

					if (c->u[ui].key != s)
						continue;
					m = cov_op(h, COV_MINUS, piece,
					    c->u[ui].g, 2, grid, bad);
					GEOSGeom_destroy_r(h, piece);
					piece = m;
				}
			} else {
				GEOSGeometry **in = malloc((c->nu + 1) *
				    sizeof(*in));
				size_t k = 0;

				for (size_t ui = 0; in && ui < c->nu; ui++) {
					int own;
					GEOSGeometry *m;

					if (c->u[ui].key != s)
						continue;
					m = cov_within(h, piece, 2, &c->u[ui],
					    grid, &own, bad);
					if (m != NULL)
						in[k++] = own ? m :
						    GEOSGeom_clone_r(h, m);
				}
				GEOSGeom_destroy_r(h, piece);
				piece = in ? cov_union(h, in, k, grid, bad) :
				    NULL;
				for (size_t i = 0; i < k; i++)
					GEOSGeom_destroy_r(h, in[i]);
				free(in);
			}
			if (piece == NULL)
				continue;
			if (n == cap) {
				GEOSGeometry **m;

				cap = cap ? cap * 2 : 64;
				if ((m = realloc(pc, cap * sizeof(*m))) == NULL) {
					GEOSGeom_destroy_r(h, piece);
					*bad = 1;
					break;
				}
				pc = m;
			}
			pc[n++] = piece;
		}
	}
	u = *bad ? NULL : cov_union(h, pc, n, grid, bad);
	for (size_t i = 0; i < n; i++)
		GEOSGeom_destroy_r(h, pc[i]);
	free(pc);
	return u;
}

/* Writes the gaps (GAP) or the covered parts to PATH, in the zones' CRS. */
static enum kcn_status
cov_layer_out(struct cov_run *r, const char *path, int gap)
{
	struct kcn_ctx *ctx = r->ctx;
	GEOSContextHandle_t h = kcn_ctx_geos(ctx);
	const struct kcn_coverage_opts *o = r->o;
	struct kcn_writer_opts wo = { 0 };
	struct kcn_writer *wr;
	struct kcn_transform *back;
	OGRFeatureDefnH d = OGR_FD_Create(gap ? "gaps" : "covered");
	const char *names[] = { "zone_id", "zone_name", "category", "area_m2",
	    "pop" };
	OGRFieldType types[] = { OFTString, OFTString, OFTString, OFTReal,
	    OFTReal };
	int nrows = o->ncats >= 2 ? o->ncats + 1 : 1;
	enum kcn_status st = KCN_OK;
	long long written = 0;

	for (int i = 0; i < 5; i++) {
		OGRFieldDefnH fd;

		if (i == 4 && (o->pop == NULL && o->pop_layer == NULL))
			continue;
		fd = OGR_Fld_Create(i == 4 ? (gap ? "pop_uncovered" :
		    "pop_covered") : names[i], types[i]);
		OGR_FD_AddFieldDefn(d, fd);
		OGR_Fld_Destroy(fd);
	}
	OGR_FD_Reference(d);
	if ((back = kcn_transform_new(ctx, r->laea, r->zsrs, NULL, 0)) ==
	    NULL) {
		OGR_FD_Release(d);
		return kcn_ctx_status(ctx);
	}
	wo.path = path;
	if ((wr = kcn_writer_open(ctx, &wo, gap ? "gaps" : "covered",
	    wkbMultiPolygon, r->zsrs, d)) == NULL) {
		kcn_transform_free(back);
		OGR_FD_Release(d);
		return kcn_ctx_status(ctx);
	}
	for (int z = 0; z < r->nzone && st == KCN_OK; z++)
		for (int c = 0; c < (gap ? 1 : nrows) && st == KCN_OK; c++) {
			int s = gap ? r->gapset : r->plan[o->ncats >= 2 &&
			    c == o->ncats ? o->ncats : c], bad = 0;
			GEOSGeometry *g = cov_zone_part(r, z, s, gap, &bad);
			const double *zs = &r->sum[(size_t)z * r->ncol];
			OGRGeometryH og;
			OGRFeatureH f;

			if (bad) {
				st = kcni_error(ctx, KCN_EDATA, path, "GEOS "
				    "cannot draw zone %s: %s", r->zone[z].id,
				    kcni_geos_msg(ctx));
				break;
			}
			if (g == NULL)
				continue;
			f = OGR_F_Create(d);
			OGR_F_SetFieldString(f, 0, r->zone[z].id);
			if (r->zone[z].name != NULL)
				OGR_F_SetFieldString(f, 1, r->zone[z].name);
			OGR_F_SetFieldString(f, 2, r->set[s].label);
			OGR_F_SetFieldDouble(f, 3, cov_area(h, g));
			if (OGR_FD_GetFieldCount(d) > 4)
				OGR_F_SetFieldDouble(f, 4, gap ? zs[COL_POP] -
				    zs[COL_SET(r, s) + COL_POPCOV] :
				    zs[COL_SET(r, s) + COL_POPCOV]);
			og = kcn_geom_from_geos(ctx, g);
			GEOSGeom_destroy_r(h, g);
			if (og == NULL || (st = kcn_transform_geom(ctx, back,
			    og)) != KCN_OK) {
				if (og != NULL)
					OGR_G_DestroyGeometry(og);
				st = kcn_ctx_status(ctx);
				OGR_F_Destroy(f);
				break;
			}
			OGR_F_SetGeometryDirectly(f, og);
			st = kcn_writer_write(ctx, wr, f);
			OGR_F_Destroy(f);
			written++;
		}
	if (st == KCN_OK)
		st = kcn_writer_close(ctx, wr);
	else
		kcn_writer_abort(wr);
	kcn_transform_free(back);
	OGR_FD_Release(d);
	if (st == KCN_OK)
		kcni_msg(ctx, KCN_MSG_INFO, path, "%lld %s written", written,
		    gap ? "gaps" : "covered areas");
	return st;
}

/* ---- the run ----------------------------------------------------------- */

static void
cov_free(struct cov_run *r)
{
	GEOSContextHandle_t h = kcn_ctx_geos(r->ctx);

	for (int i = 0; i < COV_TMAX; i++)
		cov_pcache_free(h, &r->pc[i]);
	if (r->cell != NULL)
		for (size_t i = 0; i < (size_t)r->nx * r->ny; i++) {
			cov_list_free(h, r->cell[i].z, r->cell[i].nz);
			cov_list_free(h, r->cell[i].u, r->cell[i].nu);
		}
	free(r->cell);
	for (int s = 0; s < r->nset; s++) {
		if (r->set[s].tree != NULL)
			GEOSSTRtree_destroy_r(h, r->set[s].tree);
		free(r->set[s].parts);
		free(r->set[s].label);
	}
	free(r->set);
	for (int c = 0; c < r->o->ncats; c++) {
		for (size_t i = 0; r->cat && i < r->ncat[c]; i++)
			if (r->cat[c][i].g != NULL)
				GEOSGeom_destroy_r(h, r->cat[c][i].g);
		for (size_t i = 0; r->base && i < r->nbase[c]; i++)
			if (r->base[c][i].g != NULL)
				GEOSGeom_destroy_r(h, r->base[c][i].g);
		if (r->cat)
			free(r->cat[c]);
		if (r->base)
			free(r->base[c]);
	}
	free(r->cat);
	free(r->base);
	free(r->ncat);
	free(r->nbase);
	free(r->plan);
	free(r->baseset);
	free(r->comb);
	if (r->ztree != NULL)
		GEOSSTRtree_destroy_r(h, r->ztree);
	for (int z = 0; r->zone != NULL && z <= r->nzone; z++) {
		if (r->zone[z].g != NULL)
			GEOSGeom_destroy_r(h, r->zone[z].g);
		free(r->zone[z].id);
		free(r->zone[z].name);
	}
	free(r->zone);
	free(r->sum);
	free(r->ras.v);
	kcn_transform_free(r->ras.tr);
	kcn_transform_free(r->to_ll);
	for (int k = 0; k < 2; k++) {
		struct cov_batch *b = &r->bs[k];

		for (size_t i = 0; b->g != NULL && i < COV_BATCH; i++)
			if (b->g[i] != NULL)
				OGR_G_DestroyGeometry(b->g[i]);
		free(b->g);
		free(b->xy);
		free(b->val);
		for (size_t i = 0; b->add != NULL && i < COV_BATCH; i++) {
			free(b->add[i].a);
			free(b->add[i].msg);
		}
		free(b->add);
		for (size_t i = 0; b->part != NULL && i < COV_BATCH; i++)
			if (b->part[i].g != NULL)
				GEOSGeom_destroy_r(h, b->part[i].g);
		free(b->part);
	}
	free(r->laea_def);
	if (r->laea != NULL)
		OSRRelease(r->laea);
	if (r->zsrs != NULL)
		OSRRelease(r->zsrs);
}

static enum kcn_status
cov_check(struct kcn_ctx *ctx, const struct kcn_coverage_opts *o)
{
	if (o->ncats < 1)
		return kcni_error(ctx, KCN_EUSAGE, "coverage", "no category: "
		    "give at least one CATEGORY=LAYER");
	if (o->zones == NULL || strcmp(o->zones, "-") == 0)
		return kcni_error(ctx, KCN_EUSAGE, "--zones", "the zones, "
		    "please, from a file (they are read twice)");
	if (o->pop != NULL && o->pop_layer != NULL)
		return kcni_error(ctx, KCN_EUSAGE, "--pop-layer", "one "
		    "population source: --pop or --pop-layer");
	if ((o->pop_layer != NULL) != (o->pop_field != NULL))
		return kcni_error(ctx, KCN_EUSAGE, "--pop-layer", "needs "
		    "--pop-field, and the other way round");
	{
		int stdin_uses = o->pop_layer != NULL && strcmp(o->pop_layer,
		    "-") == 0;

		for (int i = 0; i < o->ncats; i++)
			stdin_uses += strcmp(o->cats[i].path, "-") == 0;
		for (int i = 0; i < o->nbase; i++)
			stdin_uses += strcmp(o->base[i].path, "-") == 0;
		for (int i = 0; i < o->npoints; i++)
			stdin_uses += strcmp(o->points[i].path, "-") == 0;
		for (int i = 0; i < o->nlines; i++)
			stdin_uses += strcmp(o->lines[i].path, "-") == 0;
		if (stdin_uses > 1)
			return kcni_error(ctx, KCN_EUSAGE, "-", "standard input "
			    "holds one layer: name it once");
	}
	if (o->ncats > 64)
		return kcni_error(ctx, KCN_EUSAGE, "coverage", "at most 64 "
		    "categories");
	if (o->segments < 1 || o->segments > 1000)
		return kcni_error(ctx, KCN_EUSAGE, "--segments", "1 to 1000 "
		    "segments per quarter circle");
	for (int i = 0; i < o->nbase; i++) {
		int found = 0;

		for (int c = 0; c < o->ncats; c++)
			found |= strcmp(o->base[i].name, o->cats[c].name) == 0;
		if (!found)
			return kcni_error(ctx, KCN_EUSAGE, "--baseline", "no "
			    "category '%s' in the plan", o->base[i].name);
	}
	for (int i = 0; i < o->ncats; i++)
		for (int k = 0; k < i; k++)
			if (strcmp(o->cats[i].name, o->cats[k].name) == 0 ||
			    strcmp(o->cats[i].name, "all") == 0)
				return kcni_error(ctx, KCN_EUSAGE,
				    o->cats[i].name, "a category named twice, or "
				    "'all', which the report uses");
	return KCN_OK;
}

enum kcn_status
kcn_coverage_run(struct kcn_ctx *ctx, const struct kcn_coverage_opts *o,
    FILE *out)
{
	struct cov_run r = { .ctx = ctx, .o = o };
	struct cov_worker w = { 0 };
	OGRSpatialReferenceH ll = NULL;
	enum kcn_status st;
	int nc = o->ncats;
	long n;

	if ((st = cov_check(ctx, o)) != KCN_OK)
		return st;
	n = o->threads > 0 ? o->threads : sysconf(_SC_NPROCESSORS_ONLN);
	r.threads = n > 0 ? (int)n : 1;
	r.np = o->npoints;
	r.nl = o->nlines;
	if ((st = cov_crs(&r)) != KCN_OK || (st = cov_zones(&r)) != KCN_OK)
		goto out;
	r.cat = calloc((size_t)nc, sizeof(*r.cat));
	r.base = calloc((size_t)nc, sizeof(*r.base));
	r.ncat = calloc((size_t)nc, sizeof(*r.ncat));
	r.nbase = calloc((size_t)nc, sizeof(*r.nbase));
	if (r.cat == NULL || r.base == NULL || r.ncat == NULL ||
	    r.nbase == NULL) {
		st = kcni_error(ctx, KCN_EOS, "coverage", "out of memory");
		goto out;
	}
	ll = kcn_crs_wgs84();
	if ((r.to_ll = kcn_transform_new(ctx, r.laea, ll, NULL, 0)) == NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	geod_init(&r.geod, 6378137, 1 / 298.257223563);
	if (cov_worker_init(&w, &r, ctx) != 0) {
		st = kcni_error(ctx, KCN_EOS, "coverage", "out of memory");
		goto out;
	}
	w.pc = &r.pc[0];
	for (int c = 0; c < nc && st == KCN_OK; c++)
		st = cov_layer_areas(&r, &w, &o->cats[c], &r.cat[c],
		    &r.ncat[c]);
	for (int b = 0; b < o->nbase && st == KCN_OK; b++)
		for (int c = 0; c < nc && st == KCN_OK; c++)
			if (strcmp(o->base[b].name, o->cats[c].name) == 0)
				st = cov_layer_areas(&r, &w, &o->base[b],
				    &r.base[c], &r.nbase[c]);
	if (st != KCN_OK || (st = cov_sets(&r)) != KCN_OK ||
	    (st = cov_grid(&r)) != KCN_OK)
		goto out;
	if (o->pop != NULL && (st = cov_raster(&r)) != KCN_OK)
		goto out;
	if ((r.ztree = GEOSSTRtree_create_r(kcn_ctx_geos(ctx), 10)) == NULL) {
		st = kcni_error(ctx, KCN_EOS, "coverage", "out of memory");
		goto out;
	}
	for (int z = 0; z <= r.nzone; z++)
		GEOSSTRtree_insert_r(kcn_ctx_geos(ctx), r.ztree, r.zone[z].g,
		    (void *)(uintptr_t)z);
	cov_build(kcn_ctx_geos(ctx), r.ztree);
	r.ncol = COL_SET(&r, r.nset);
	if ((r.sum = calloc((size_t)(r.nzone + 1) * r.ncol,
	    sizeof(*r.sum))) == NULL) {
		st = kcni_error(ctx, KCN_EOS, "coverage", "out of memory");
		goto out;
	}
	r.keep = o->npoints > 0 || o->nlines > 0 || o->pop_layer != NULL ||
	    o->gaps != NULL || o->covered != NULL;
	if (r.ras.tr != NULL && (w.ras = kcn_transform_clone(ctx,
	    r.ras.tr)) == NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	if ((st = cov_cells(&r, &w)) != KCN_OK)
		goto out;
	if (o->pop_layer != NULL)
		st = cov_measure_layer(&r, &w, COV_POPAREAS, 0, o->pop_layer,
		    o->pop_field);
	for (int i = 0; i < o->npoints && st == KCN_OK; i++)
		st = cov_measure_layer(&r, &w, COV_POINTS, i,
		    o->points[i].path, NULL);
	for (int i = 0; i < o->nlines && st == KCN_OK; i++)
		st = cov_measure_layer(&r, &w, COV_LINES, i, o->lines[i].path,
		    NULL);
	if (st != KCN_OK)
		goto out;
	if (o->gaps != NULL && (st = cov_layer_out(&r, o->gaps, 1)) != KCN_OK)
		goto out;
	if (o->covered != NULL && (st = cov_layer_out(&r, o->covered, 0)) !=
	    KCN_OK)
		goto out;
	st = cov_write_table(&r, o->output, out);
	if (st == KCN_OK && r.skipped > 0)
		st = KCN_REJECTED;
out:
	cov_worker_fini(&w);
	if (ll != NULL)
		OSRRelease(ll);
	cov_free(&r);
	return st;
}
