/*
 * transform.c: one coordinate operation, chosen once for the data's area,
 * applied to whole geometries in batches.
 *
 * PROJ's proj_create_crs_to_crs() keeps several candidate operations and
 * picks one per point, so neighbouring points of one file can be moved by
 * different datum shifts (0.8 m apart for VN-2000 in the Mekong delta).
 * kcn asks PROJ for the operations valid over the data's extent, with
 * those whose grids are missing discarded, and uses the first for every
 * point: deterministic, and what "projinfo --spatial-test intersects
 * --grid-check discard_missing" lists first.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_string.h>

#include "kcn_internal.h"

struct kcn_transform {
	PJ *op;			/* normalised for lon/lat, E/N order */
	struct kcn_op_info info;
};

/* A PROJ CRS object for SRS: by its EPSG code when it has one. */
static PJ *
tr_crs(struct kcn_ctx *ctx, OGRSpatialReferenceH srs)
{
	const char *auth = OSRGetAuthorityName(srs, NULL);
	const char *code = OSRGetAuthorityCode(srs, NULL);
	const char *opts[] = { "FORMAT=WKT2_2019", NULL };
	char *wkt = NULL, buf[64];
	double towgs84[7];
	PJ *crs;

	/* Not for a CRS bound to WGS 84 by the user's own TOWGS84: the
	   code is its base's, and the shift would be lost. */
	if (auth != NULL && code != NULL &&
	    OSRGetTOWGS84(srs, towgs84, 7) != OGRERR_NONE) {
		snprintf(buf, sizeof(buf), "%s:%s", auth, code);
		if ((crs = proj_create(kcn_ctx_proj(ctx), buf)) != NULL)
			return crs;
	}
	if (OSRExportToWktEx(srs, &wkt, opts) != OGRERR_NONE)
		return NULL;
	crs = proj_create(kcn_ctx_proj(ctx), wkt);
	CPLFree(wkt);
	return crs;
}

/* Operations from SRC to DST over AREA (lon/lat; NULL: anywhere). */
static PJ_OBJ_LIST *
tr_candidates(PJ_CONTEXT *pc, const PJ *src, const PJ *dst,
    const double area[4], PROJ_GRID_AVAILABILITY_USE grids)
{
	PJ_OPERATION_FACTORY_CONTEXT *f =
	    proj_create_operation_factory_context(pc, NULL);
	PJ_OBJ_LIST *l;

	if (f == NULL)
		return NULL;
	if (area != NULL)
		proj_operation_factory_context_set_area_of_interest(pc, f,
		    area[0], area[1], area[2], area[3]);
	/* The default, strict containment, drops VN-2000's own operations
	   for an extent that reaches the sea beyond their area. */
	proj_operation_factory_context_set_spatial_criterion(pc, f,
	    PROJ_SPATIAL_CRITERION_PARTIAL_INTERSECTION);
	proj_operation_factory_context_set_grid_availability_use(pc, f,
	    grids);
	l = proj_create_operations(pc, src, dst, f);
	proj_operation_factory_context_destroy(f);
	return l;
}

/* Appends the grids OP uses (only the missing ones when MISSING) to BUF. */
static void
tr_grids(PJ_CONTEXT *pc, const PJ *op, int missing, char *buf, size_t size)
{
	int n = proj_coordoperation_get_grid_used_count(pc, op);

	for (int i = 0; i < n; i++) {
		const char *name = NULL, *full = NULL, *pkg = NULL, *url = NULL;
		int direct = 0, open = 0, avail = 0;
		size_t len = strlen(buf);

		if (!proj_coordoperation_get_grid_used(pc, op, i, &name, &full,
		    &pkg, &url, &direct, &open, &avail) || name == NULL)
			continue;
		if (missing && avail)
			continue;
		if (strstr(buf, name) == NULL)
			snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
			    name);
	}
}

/* Whether OP changes no datum: conversions only (UTM, Web Mercator). */
static int
tr_conversions_only(PJ_CONTEXT *pc, const PJ *op)
{
	int n;

	if (proj_get_type(op) == PJ_TYPE_CONVERSION)
		return 1;
	if (proj_get_type(op) != PJ_TYPE_CONCATENATED_OPERATION)
		return 0;
	n = proj_concatoperation_get_step_count(pc, op);
	for (int i = 0; i < n; i++) {
		PJ *s = proj_concatoperation_get_step(pc, op, i);
		int conv = s != NULL && proj_get_type(s) == PJ_TYPE_CONVERSION;

		proj_destroy(s);
		if (!conv)
			return 0;
	}
	return 1;
}

/*
 * The best operation that would be there with every grid installed, when
 * it is better than the chosen one: its name, accuracy and missing grids.
 */
static void
tr_better(PJ_CONTEXT *pc, const PJ *src, const PJ *dst, const double area[4],
    struct kcn_op_info *in)
{
	PJ_OBJ_LIST *l = tr_candidates(pc, src, dst, area,
	    PROJ_GRID_AVAILABILITY_IGNORED);
	int n = l ? proj_list_get_count(l) : 0;

	for (int i = 0; i < n; i++) {
		PJ *op = proj_list_get(pc, l, i);
		double acc;
		const char *def;

		if (op == NULL)
			continue;
		def = proj_as_proj_string(pc, op, PJ_PROJ_5, NULL);
		acc = proj_coordoperation_get_accuracy(pc, op);
		if (def == NULL ||
		    proj_coordoperation_has_ballpark_transformation(pc, op)) {
			proj_destroy(op);
			continue;	/* no usable definition, or no better */
		}
		if (!proj_coordoperation_is_instantiable(pc, op) && (acc >= 0 &&
		    (in->accuracy < 0 || acc < in->accuracy))) {
			tr_grids(pc, op, 1, in->missing, sizeof(in->missing));
			snprintf(in->better, sizeof(in->better), "%s",
			    proj_get_name(op));
			in->better_accuracy = acc;
		}
		proj_destroy(op);
		break;
	}
	proj_list_destroy(l);
}

struct kcn_transform *
kcn_transform_new(struct kcn_ctx *ctx, OGRSpatialReferenceH from,
    OGRSpatialReferenceH to, const double area[4], int allow_ballpark)
{
	PJ_CONTEXT *pc = kcn_ctx_proj(ctx);
	PJ *src = NULL, *dst = NULL, *op = NULL;
	PJ_OBJ_LIST *l = NULL;
	struct kcn_transform *t = NULL;
	struct kcn_op_info in;

	memset(&in, 0, sizeof(in));
	in.accuracy = in.better_accuracy = -1;
	/* PROJ_NETWORK=ON would pick operations whose grids it then fails
	   to download: every point infinite. */
	proj_context_set_enable_network(pc, 0);
	if ((src = tr_crs(ctx, from)) == NULL ||
	    (dst = tr_crs(ctx, to)) == NULL) {
		kcni_error(ctx, KCN_ECRS, "crs", "PROJ cannot use this CRS: %s",
		    proj_context_errno_string(pc, proj_context_errno(pc)));
		goto out;
	}
	l = tr_candidates(pc, src, dst, area,
	    PROJ_GRID_AVAILABILITY_DISCARD_OPERATION_IF_MISSING_GRID);
	if (l != NULL && proj_list_get_count(l) > 0)
		op = proj_list_get(pc, l, 0);
	if (op == NULL) {
		tr_better(pc, src, dst, area, &in);
		kcni_error(ctx, KCN_ECRS, "crs", "no coordinate operation "
		    "from %s to %s%s%s", proj_get_name(src), proj_get_name(dst),
		    *in.missing ? "; it needs the grid " : "", in.missing);
		goto out;
	}
	snprintf(in.name, sizeof(in.name), "%s", proj_get_name(op));
	in.ballpark = proj_coordoperation_has_ballpark_transformation(pc, op);
	in.exact = tr_conversions_only(pc, op);
	in.accuracy = in.exact ? 0 : proj_coordoperation_get_accuracy(pc, op);
	tr_grids(pc, op, 0, in.grids, sizeof(in.grids));
	tr_better(pc, src, dst, area, &in);
	if (in.ballpark && !allow_ballpark) {
		char why[700];

		if (*in.missing)
			snprintf(why, sizeof(why), "the operation that would "
			    "do it needs the grid %s, which is not installed",
			    in.missing);
		else
			snprintf(why, sizeof(why), "a CRS lacks datum "
			    "information, so positions may be off by 100 m or "
			    "more");
		kcni_error(ctx, KCN_ECRS, "crs", "only a ballpark "
		    "transformation from %s to %s: %s; --allow-ballpark "
		    "accepts it", proj_get_name(src), proj_get_name(dst), why);
		goto out;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		kcni_error(ctx, KCN_EOS, "crs", "out of memory");
		goto out;
	}
	if ((t->op = proj_normalize_for_visualization(pc, op)) == NULL) {
		kcni_error(ctx, KCN_ECRS, "crs", "cannot set up %s", in.name);
		free(t);
		t = NULL;
		goto out;
	}
	t->info = in;
out:
	proj_destroy(op);
	proj_list_destroy(l);
	proj_destroy(src);
	proj_destroy(dst);
	return t;
}

const struct kcn_op_info *
kcn_transform_info(const struct kcn_transform *t)
{
	return &t->info;
}

struct kcn_transform *
kcn_transform_clone(struct kcn_ctx *ctx, const struct kcn_transform *t)
{
	struct kcn_transform *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->op = proj_clone(kcn_ctx_proj(ctx), t->op)) ==
	    NULL) {
		free(c);
		kcni_error(ctx, KCN_EOS, "crs", "cannot copy the operation");
		return NULL;
	}
	c->info = t->info;
	return c;
}

PJ *
kcni_transform_pj(struct kcn_transform *t)
{
	return t->op;
}

void
kcn_transform_free(struct kcn_transform *t)
{
	if (t == NULL)
		return;
	proj_destroy(t->op);
	free(t);
}

/*
 * A transformation to lon/lat interpolated on a grid of square cells of
 * side H (source units) from (X0, Y0), as GDAL's warper does for
 * rasters: each cell's corners go through PROJ once, and the points in
 * it are interpolated bilinearly from them.  A cell is used only when
 * the interpolation misses PROJ by at most TOL degrees of longitude (TOL
 * times the cosine of the latitude in degrees of latitude: the same
 * distance on a conformal map) at the middle of its bottom and left sides
 * and at its centre; PROJ does the points of any other.  The middles of
 * the sides are needed: the error of a conformal map's real part at the
 * centre cancels (its second derivatives along x and y are opposite).
 */
struct ap_cell {
	int64_t key;		/* AP_EMPTY: a free slot */
	int ok;			/* 0: the points go through PROJ */
	double c[8];		/* lon, lat at (0,0), (1,0), (0,1), (1,1) */
};

#define AP_EMPTY INT64_MIN

struct kcni_approx {
	PJ *op;			/* borrowed */
	double x0, y0, h, tol;
	struct ap_cell *cell;	/* open addressing, a power of 2 long */
	size_t cap, n;
	struct ap_cell *last;	/* the cell of the last point */
};

struct kcni_approx *
kcni_approx_new(PJ *op, const double ext[4], int cells, double tol)
{
	struct kcni_approx *a;
	double h = fmax(ext[2] - ext[0], ext[3] - ext[1]) / cells;

	if (!(h > 0) || !isfinite(h) || !(tol > 0) ||
	    (a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->op = op;
	a->x0 = ext[0], a->y0 = ext[1], a->h = h, a->tol = tol;
	return a;
}

void
kcni_approx_free(struct kcni_approx *a)
{
	if (a == NULL)
		return;
	free(a->cell);
	free(a);
}

/* The slot of KEY in A's table: its cell, or the free slot for it. */
static struct ap_cell *
ap_slot(struct kcni_approx *a, int64_t key)
{
	size_t m = a->cap - 1, j = ((uint64_t)key * 0x9e3779b97f4a7c15u) >>
	    20 & m;

	while (a->cell[j].key != AP_EMPTY && a->cell[j].key != key)
		j = (j + 1) & m;
	return &a->cell[j];
}

/* Doubles A's table; -1 when out of memory. */
static int
ap_grow(struct kcni_approx *a)
{
	struct ap_cell *old = a->cell;
	size_t ocap = a->cap, cap = ocap ? 2 * ocap : 1024;

	if ((a->cell = malloc(cap * sizeof(*a->cell))) == NULL) {
		a->cell = old;
		return -1;
	}
	a->cap = cap;
	for (size_t j = 0; j < cap; j++)
		a->cell[j].key = AP_EMPTY;
	for (size_t j = 0; j < ocap; j++)
		if (old[j].key != AP_EMPTY)
			*ap_slot(a, old[j].key) = old[j];
	free(old);
	a->last = NULL;
	return 0;
}

/* Cell (I, J) of A, its corners projected and judged; NULL when out of
   memory. */
static struct ap_cell *
ap_cell(struct kcni_approx *a, int64_t i, int64_t j)
{
	static const double u[7] = { 0, 1, 0, 1, 0.5, 0, 0.5 };
	static const double v[7] = { 0, 0, 1, 1, 0, 0.5, 0.5 };
	int64_t key = (int64_t)((uint64_t)i << 32 | (uint32_t)j);
	struct ap_cell *c;
	double x[7], y[7];

	if (a->last != NULL && a->last->key == key)
		return a->last;
	if ((a->n + 1) * 2 > a->cap && ap_grow(a) != 0)
		return NULL;
	c = ap_slot(a, key);
	a->last = c;
	if (c->key == key)
		return c;
	c->key = key;
	a->n++;
	for (int k = 0; k < 7; k++) {
		x[k] = a->x0 + ((double)i + u[k]) * a->h;
		y[k] = a->y0 + ((double)j + v[k]) * a->h;
	}
	proj_trans_generic(a->op, PJ_FWD, x, sizeof(double), 7, y,
	    sizeof(double), 7, NULL, 0, 0, NULL, 0, 0);
	c->ok = 1;
	for (int k = 0; k < 7 && c->ok; k++)
		c->ok = isfinite(x[k]) && isfinite(y[k]);
	for (int k = 0; k < 4; k++)
		c->c[2 * k] = x[k], c->c[2 * k + 1] = y[k];
	for (int k = 4; k < 7 && c->ok; k++) {
		double s = u[k], t = v[k];
		double lon = (1 - t) * ((1 - s) * x[0] + s * x[1]) +
		    t * ((1 - s) * x[2] + s * x[3]);
		double lat = (1 - t) * ((1 - s) * y[0] + s * y[1]) +
		    t * ((1 - s) * y[2] + s * y[3]);

		c->ok = fabs(lon - x[k]) <= a->tol && fabs(lat - y[k]) <=
		    a->tol * cos(y[k] * (M_PI / 180));
	}
	return c;
}

/* Points X, Y [0..N) (every ST-th double) through A; -1 when out of
   memory. */
static int
ap_trans(struct kcni_approx *a, double *x, double *y, size_t st, size_t n)
{
	for (size_t k = 0; k < n * st; k += st) {
		double fi = (x[k] - a->x0) / a->h, fj = (y[k] - a->y0) / a->h;
		double i, j, s, t;
		struct ap_cell *c = NULL;

		if (fabs(fi) < 1e9 && fabs(fj) < 1e9) {
			i = floor(fi), j = floor(fj);
			if ((c = ap_cell(a, (int64_t)i, (int64_t)j)) == NULL)
				return -1;
			s = fi - i, t = fj - j;
		}
		if (c == NULL || !c->ok) {
			proj_trans_generic(a->op, PJ_FWD, x + k, 0, 1, y + k,
			    0, 1, NULL, 0, 0, NULL, 0, 0);
			continue;
		}
		x[k] = (1 - t) * ((1 - s) * c->c[0] + s * c->c[2]) +
		    t * ((1 - s) * c->c[4] + s * c->c[6]);
		y[k] = (1 - t) * ((1 - s) * c->c[1] + s * c->c[3]) +
		    t * ((1 - s) * c->c[5] + s * c->c[7]);
	}
	return 0;
}

int
kcni_approx_xy(struct kcni_approx *a, double *xy, size_t n)
{
	return ap_trans(a, xy, xy + 1, 2, n);
}

/*
 * Transforms the points of one simple part (point, line or ring), through
 * AP when it is not NULL (2D parts only).  A closed ring's last point is
 * its first: PROJ does it once.
 */
static enum kcn_status
tr_part(struct kcn_ctx *ctx, PJ *op, PJ_DIRECTION dir, const char *name,
    struct kcni_approx *ap, OGRGeometryH g, int *first)
{
	int n = OGR_G_GetPointCount(g), hasz = OGR_G_Is3D(g), m;
	struct kcni_coords *b;

	if (n <= 0)
		return KCN_OK;
	if ((b = kcni_coords(ctx, (size_t)n)) == NULL)
		return kcni_error(ctx, KCN_EOS, "transform", "out of memory");
	OGR_G_GetPoints(g, b->x, sizeof(double), b->y, sizeof(double),
	    hasz ? b->z : NULL, sizeof(double));
	m = n > 2 && b->x[0] == b->x[n - 1] && b->y[0] == b->y[n - 1] &&
	    (!hasz || b->z[0] == b->z[n - 1]) ? n - 1 : n;
	if (ap != NULL && !hasz) {
		if (ap_trans(ap, b->x, b->y, 1, (size_t)m) != 0)
			return kcni_error(ctx, KCN_EOS, "transform",
			    "out of memory");
	} else {
		proj_errno_reset(op);
		proj_trans_generic(op, dir, b->x, sizeof(double), (size_t)m,
		    b->y, sizeof(double), (size_t)m, hasz ? b->z : NULL,
		    sizeof(double), hasz ? (size_t)m : 0, NULL, 0, 0);
	}
	if (m < n) {
		b->x[n - 1] = b->x[0], b->y[n - 1] = b->y[0];
		if (hasz)
			b->z[n - 1] = b->z[0];
	}
	/* proj_trans_generic returns N even when points failed: each comes
	   back infinite, and the error number may be reset by later ones. */
	for (int i = 0; i < n; i++)
		if (!isfinite(b->x[i]) || !isfinite(b->y[i]))
			return kcni_error(ctx, KCN_REJECTED, "transform",
			    "point %d cannot be transformed: outside the "
			    "domain of %s", *first + i + 1, name);
	OGR_G_SetPoints(g, n, b->x, sizeof(double), b->y, sizeof(double),
	    hasz ? b->z : NULL, sizeof(double));
	*first += n;
	return KCN_OK;
}

static enum kcn_status
tr_walk(struct kcn_ctx *ctx, PJ *op, PJ_DIRECTION dir, const char *name,
    struct kcni_approx *ap, OGRGeometryH g, int *first)
{
	int n = OGR_G_GetGeometryCount(g);
	enum kcn_status st;

	if (n == 0)
		return tr_part(ctx, op, dir, name, ap, g, first);
	for (int i = 0; i < n; i++)
		if ((st = tr_walk(ctx, op, dir, name, ap, OGR_G_GetGeometryRef(
		    g, i), first)) != KCN_OK)
			return st;
	return KCN_OK;
}

enum kcn_status
kcni_trans_geom(struct kcn_ctx *ctx, PJ *op, PJ_DIRECTION dir,
    const char *name, OGRGeometryH g)
{
	int first = 0;

	return g == NULL ? KCN_OK : tr_walk(ctx, op, dir, name, NULL, g,
	    &first);
}

enum kcn_status
kcni_approx_geom(struct kcn_ctx *ctx, struct kcni_approx *a,
    const char *name, OGRGeometryH g)
{
	int first = 0;

	return g == NULL ? KCN_OK : tr_walk(ctx, a->op, PJ_FWD, name, a, g,
	    &first);
}

enum kcn_status
kcn_transform_geom(struct kcn_ctx *ctx, struct kcn_transform *t,
    OGRGeometryH g)
{
	return kcni_trans_geom(ctx, t->op, PJ_FWD, t->info.name, g);
}
