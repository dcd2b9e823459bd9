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

/* Transforms the points of one simple part (point, line or ring). */
static enum kcn_status
tr_part(struct kcn_ctx *ctx, PJ *op, PJ_DIRECTION dir, const char *name,
    OGRGeometryH g, int *first)
{
	int n = OGR_G_GetPointCount(g), hasz = OGR_G_Is3D(g);
	struct kcni_coords *b;

	if (n <= 0)
		return KCN_OK;
	if ((b = kcni_coords(ctx, (size_t)n)) == NULL)
		return kcni_error(ctx, KCN_EOS, "transform", "out of memory");
	OGR_G_GetPoints(g, b->x, sizeof(double), b->y, sizeof(double),
	    hasz ? b->z : NULL, sizeof(double));
	proj_errno_reset(op);
	proj_trans_generic(op, dir, b->x, sizeof(double), (size_t)n,
	    b->y, sizeof(double), (size_t)n, hasz ? b->z : NULL,
	    sizeof(double), hasz ? (size_t)n : 0, NULL, 0, 0);
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
    OGRGeometryH g, int *first)
{
	int n = OGR_G_GetGeometryCount(g);
	enum kcn_status st;

	if (n == 0)
		return tr_part(ctx, op, dir, name, g, first);
	for (int i = 0; i < n; i++)
		if ((st = tr_walk(ctx, op, dir, name, OGR_G_GetGeometryRef(g,
		    i), first)) != KCN_OK)
			return st;
	return KCN_OK;
}

enum kcn_status
kcni_trans_geom(struct kcn_ctx *ctx, PJ *op, PJ_DIRECTION dir,
    const char *name, OGRGeometryH g)
{
	int first = 0;

	return g == NULL ? KCN_OK : tr_walk(ctx, op, dir, name, g, &first);
}

enum kcn_status
kcn_transform_geom(struct kcn_ctx *ctx, struct kcn_transform *t,
    OGRGeometryH g)
{
	return kcni_trans_geom(ctx, t->op, PJ_FWD, t->info.name, g);
}
