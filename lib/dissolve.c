/*
 * dissolve.c: kcn-dissolve's work: features merged by the values of some
 * fields (all into one when none), with aggregates.  Every geometry of a
 * group must be at hand to merge it, so the layer is read whole; the
 * merge itself tries GEOS's coverage union first, which is linear but
 * assumes the polygons do not overlap, and checks that assumption by the
 * areas and the result's validity: when the union's area falls short of
 * the parts' sum, they overlapped, and the general union is run instead.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_hash_set.h>
#include <cpl_string.h>

#include "kcn_internal.h"

/* Relative area difference below which parts are taken as not
   overlapping (rounding in the union's noding). */
#define DIS_AREA_TOL 1e-9

struct dis_group {
	char *key;		/* the values of the "by" fields, joined */
	OGRFeatureH first;	/* the first feature, fields only */
	GEOSGeometry **parts;
	size_t n, cap;
	long long count;
	double *sum, *min, *max;	/* per aggregated field */
};

struct dis_run {
	const struct kcn_dissolve_opts *o;
	int *by, nby;		/* field indexes */
	int *sum, nsum, *min, nmin, *max, nmax, *first, nfirst;
	struct dis_group **g;	/* in order of first appearance */
	size_t ng, gcap;
	CPLHashSet *index;
	long long coverage, general;	/* unions of each kind */
	long long wasted;	/* coverage unions tried in vain */
	long long dropped;	/* parts within others, left out of unions */
};

static unsigned long
dis_hash(const void *elt)
{
	return CPLHashSetHashStr(((const struct dis_group *)elt)->key);
}

static int
dis_equal(const void *a, const void *b)
{
	return strcmp(((const struct dis_group *)a)->key,
	    ((const struct dis_group *)b)->key) == 0;
}

static void
dis_group_free(GEOSContextHandle_t h, struct dis_group *g)
{
	if (g == NULL)
		return;
	for (size_t i = 0; i < g->n; i++)
		GEOSGeom_destroy_r(h, g->parts[i]);
	free(g->parts);
	if (g->first != NULL)
		OGR_F_Destroy(g->first);
	free(g->key);
	free(g->sum);
	free(g->min);
	free(g->max);
	free(g);
}

/* Field indexes of the NULL-ended NAMES into *IDX; NUMERIC: numbers only. */
static enum kcn_status
dis_fields(struct kcn_ctx *ctx, OGRFeatureDefnH d, char **names,
    const char *opt, int numeric, int **idx, int *n)
{
	*n = CSLCount(names);
	if ((*idx = calloc((size_t)*n + 1, sizeof(int))) == NULL)
		return kcni_error(ctx, KCN_EOS, opt, "out of memory");
	for (int i = 0; i < *n; i++) {
		int k = OGR_FD_GetFieldIndex(d, names[i]);
		OGRFieldType t;

		if (k < 0)
			return kcni_error(ctx, KCN_EUSAGE, opt, "no field named "
			    "'%s'", names[i]);
		t = OGR_Fld_GetType(OGR_FD_GetFieldDefn(d, k));
		if (numeric && t != OFTInteger && t != OFTInteger64 &&
		    t != OFTReal)
			return kcni_error(ctx, KCN_EUSAGE, opt, "field '%s' is "
			    "not a number", names[i]);
		(*idx)[i] = k;
	}
	return KCN_OK;
}

/* The group key of F: the "by" values, NULL marked, joined by US. */
static char *
dis_key(const struct dis_run *r, OGRFeatureH f)
{
	char *key = CPLStrdup("");

	for (int i = 0; i < r->nby; i++) {
		/* Reals in full: %.15g would merge values that differ. */
		const char *v = !OGR_F_IsFieldSetAndNotNull(f, r->by[i]) ?
		    "\x1e" : OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f,
		    r->by[i])) == OFTReal ? CPLSPrintf("%.17g",
		    OGR_F_GetFieldAsDouble(f, r->by[i])) :
		    OGR_F_GetFieldAsString(f, r->by[i]);
		char *k2 = CPLStrdup(CPLSPrintf("%s%s\x1f", key, v));

		CPLFree(key);
		key = k2;
	}
	return key;
}

/* Adds F to its group (made when new); takes its geometry G. */
static enum kcn_status
dis_add(struct kcn_ctx *ctx, struct dis_run *r, OGRFeatureH f,
    GEOSGeometry *g)
{
	struct dis_group probe, *grp;
	char *key = dis_key(r, f);

	probe.key = key;
	if ((grp = CPLHashSetLookup(r->index, &probe)) == NULL) {
		if (r->ng == r->gcap) {
			size_t c = r->gcap ? r->gcap * 2 : 64;
			struct dis_group **ng = realloc(r->g, c * sizeof(*ng));

			if (ng == NULL)
				goto oom;
			r->g = ng;
			r->gcap = c;
		}
		if ((grp = calloc(1, sizeof(*grp))) == NULL ||
		    (grp->key = strdup(key)) == NULL ||
		    (grp->sum = calloc((size_t)r->nsum + 1, sizeof(double))) ==
		    NULL || (grp->min = calloc((size_t)r->nmin + 1,
		    sizeof(double))) == NULL || (grp->max = calloc(
		    (size_t)r->nmax + 1, sizeof(double))) == NULL) {
			dis_group_free(kcn_ctx_geos(ctx), grp);
			goto oom;
		}
		for (int i = 0; i < r->nmin; i++)
			grp->min[i] = INFINITY;
		for (int i = 0; i < r->nmax; i++)
			grp->max[i] = -INFINITY;
		grp->first = OGR_F_Clone(f);
		OGR_F_SetGeometryDirectly(grp->first, NULL);
		r->g[r->ng++] = grp;
		CPLHashSetInsert(r->index, grp);
	}
	CPLFree(key);
	if (grp->n == grp->cap) {
		size_t c = grp->cap ? grp->cap * 2 : 8;
		GEOSGeometry **np = realloc(grp->parts, c * sizeof(*np));

		if (np == NULL) {
			GEOSGeom_destroy_r(kcn_ctx_geos(ctx), g);
			return kcni_error(ctx, KCN_EOS, "dissolve",
			    "out of memory");
		}
		grp->parts = np;
		grp->cap = c;
	}
	grp->parts[grp->n++] = g;
	grp->count++;
	for (int i = 0; i < r->nsum; i++)
		grp->sum[i] += OGR_F_IsFieldSetAndNotNull(f, r->sum[i]) ?
		    OGR_F_GetFieldAsDouble(f, r->sum[i]) : 0;
	for (int i = 0; i < r->nmin; i++)
		if (OGR_F_IsFieldSetAndNotNull(f, r->min[i]))
			grp->min[i] = fmin(grp->min[i],
			    OGR_F_GetFieldAsDouble(f, r->min[i]));
	for (int i = 0; i < r->nmax; i++)
		if (OGR_F_IsFieldSetAndNotNull(f, r->max[i]))
			grp->max[i] = fmax(grp->max[i],
			    OGR_F_GetFieldAsDouble(f, r->max[i]));
	return KCN_OK;
oom:
	CPLFree(key);
	GEOSGeom_destroy_r(kcn_ctx_geos(ctx), g);
	return kcni_error(ctx, KCN_EOS, "dissolve", "out of memory");
}

/* The union of a group's parts: coverage union when they do not overlap. */
static GEOSGeometry *
dis_union(struct kcn_ctx *ctx, struct dis_run *r, struct dis_group *grp)
{
	GEOSContextHandle_t h = kcn_ctx_geos(ctx);
	GEOSGeometry *coll, *u = NULL;
	double sum = 0, a = 0, x0 = HUGE_VAL, y0 = HUGE_VAL, x1 = -HUGE_VAL;
	double y1 = -HUGE_VAL;
	int dim2 = 1, polygonal;

	for (size_t i = 0; i < grp->n; i++) {
		double ai = 0, v;

		if (GEOSGeom_getDimensions_r(h, grp->parts[i]) != 2)
			dim2 = 0;
		else if (GEOSArea_r(h, grp->parts[i], &ai))
			sum += ai;
		if (GEOSGeom_getXMin_r(h, grp->parts[i], &v))
			x0 = fmin(x0, v);
		if (GEOSGeom_getYMin_r(h, grp->parts[i], &v))
			y0 = fmin(y0, v);
		if (GEOSGeom_getXMax_r(h, grp->parts[i], &v))
			x1 = fmax(x1, v);
		if (GEOSGeom_getYMax_r(h, grp->parts[i], &v))
			y1 = fmax(y1, v);
	}
	/*
	 * Parts whose areas add up to more than their extent must overlap:
	 * the coverage union would be wasted, and on heavily overlapping
	 * parts (service areas) it is slower than the general union by far.
	 */
	polygonal = dim2 && sum <= (x1 - x0) * (y1 - y0) * (1 + DIS_AREA_TOL);
	if (polygonal) {
		coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION,
		    grp->parts, (unsigned)grp->n);
		if (coll == NULL) {
			grp->n = 0;	/* GEOS took them, even so */
			kcni_error(ctx, KCN_EOS, "dissolve", "out of memory");
			return NULL;
		}
		u = GEOSCoverageUnion_r(h, coll);
		/* Valid too: edges that meet without shared vertices are not
		   a coverage, and its union may come out broken. */
		if (u != NULL && GEOSArea_r(h, u, &a) &&
		    fabs(a - sum) <= DIS_AREA_TOL * fmax(sum, 1e-300) &&
		    GEOSisValid_r(h, u) == 1) {
			r->coverage++;
			grp->n = 0;	/* the collection owns them */
			GEOSGeom_destroy_r(h, coll);
			return u;
		}
		if (u != NULL)
			GEOSGeom_destroy_r(h, u);
		/* The parts back from the collection, for the general union. */
		{
			size_t n = grp->n;

			grp->n = 0;
			while (grp->n < n && (grp->parts[grp->n] =
			    GEOSGeom_clone_r(h, GEOSGetGeometryN_r(h, coll,
			    (int)grp->n))) != NULL)
				grp->n++;
			GEOSGeom_destroy_r(h, coll);
			if (grp->n < n) {
				kcni_error(ctx, KCN_EOS, "dissolve", "out of "
				    "memory");
				return NULL;
			}
		}
		r->wasted++;
	}
	r->general++;
	kcni_geos_reset(ctx);
	if (dim2) {
		size_t dropped;

		u = kcni_union_areas(ctx, grp->parts, grp->n, &dropped);
		r->dropped += (long long)dropped;
	} else {
		coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION,
		    grp->parts, (unsigned)grp->n);
		u = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
		if (coll != NULL)
			GEOSGeom_destroy_r(h, coll);
	}
	grp->n = 0;		/* GEOS took them, even on failure */
	if (u == NULL)
		kcni_error(ctx, KCN_EDATA, "dissolve", "GEOS cannot merge the "
		    "group: %s", kcni_geos_msg(ctx));
	return u;
}

/* The output fields: the "by" fields, count, then the aggregates. */
static OGRFeatureDefnH
dis_defn(const struct dis_run *r, OGRFeatureDefnH src)
{
	OGRFeatureDefnH d = OGR_FD_Create(OGR_FD_GetName(src));
	OGRFieldDefnH fd;
	static const char *pre[] = { "sum_", "min_", "max_" };
	const int *lists[] = { r->sum, r->min, r->max };
	const int counts[] = { r->nsum, r->nmin, r->nmax };

	OGR_FD_Reference(d);
	for (int i = 0; i < r->nby; i++)
		OGR_FD_AddFieldDefn(d, OGR_FD_GetFieldDefn(src, r->by[i]));
	if (r->o->count) {
		fd = OGR_Fld_Create("count", OFTInteger64);
		OGR_FD_AddFieldDefn(d, fd);
		OGR_Fld_Destroy(fd);
	}
	for (int k = 0; k < 3; k++)
		for (int i = 0; i < counts[k]; i++) {
			fd = OGR_Fld_Create(CPLSPrintf("%s%s", pre[k],
			    OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(src,
			    lists[k][i]))), OFTReal);
			OGR_FD_AddFieldDefn(d, fd);
			OGR_Fld_Destroy(fd);
		}
	for (int i = 0; i < r->nfirst; i++) {
		OGRFieldDefnH s0 = OGR_FD_GetFieldDefn(src, r->first[i]);

		fd = OGR_Fld_Create(CPLSPrintf("first_%s",
		    OGR_Fld_GetNameRef(s0)), OGR_Fld_GetType(s0));
		OGR_FD_AddFieldDefn(d, fd);
		OGR_Fld_Destroy(fd);
	}
	return d;
}

/* One output feature for group GRP with geometry U (taken). */
static OGRFeatureH
dis_feature(const struct dis_run *r, OGRFeatureDefnH d,
    struct dis_group *grp, OGRGeometryH u)
{
	OGRFeatureH f = OGR_F_Create(d);
	int k = 0;

	/* Values copied as they are (same types): no text round trip. */
	for (int i = 0; i < r->nby; i++, k++)
		if (OGR_F_IsFieldSetAndNotNull(grp->first, r->by[i]))
			OGR_F_SetFieldRaw(f, k, OGR_F_GetRawFieldRef(
			    grp->first, r->by[i]));
		else
			OGR_F_SetFieldNull(f, k);
	if (r->o->count)
		OGR_F_SetFieldInteger64(f, k++, grp->count);
	for (int i = 0; i < r->nsum; i++)
		OGR_F_SetFieldDouble(f, k++, grp->sum[i]);
	for (int i = 0; i < r->nmin; i++, k++)
		if (isfinite(grp->min[i]))
			OGR_F_SetFieldDouble(f, k, grp->min[i]);
	for (int i = 0; i < r->nmax; i++, k++)
		if (isfinite(grp->max[i]))
			OGR_F_SetFieldDouble(f, k, grp->max[i]);
	for (int i = 0; i < r->nfirst; i++, k++)
		if (OGR_F_IsFieldSetAndNotNull(grp->first, r->first[i]))
			OGR_F_SetFieldRaw(f, k, OGR_F_GetRawFieldRef(
			    grp->first, r->first[i]));
	OGR_F_SetGeometryDirectly(f, u);
	return f;
}

/* Reads every feature of RD into its group; a bad one is skipped. */
static enum kcn_status
dis_read(struct kcn_ctx *ctx, struct dis_run *r, struct kcn_reader *rd,
    const char *path, long long *skipped)
{
	GEOSContextHandle_t h = kcn_ctx_geos(ctx);
	enum kcn_status st;
	OGRFeatureH f;
	char where[4400];

	while ((st = kcn_reader_next(ctx, rd, &f)) == KCN_OK && f != NULL) {
		OGRGeometryH og = OGR_F_GetGeometryRef(f);
		GEOSGeometry *g = NULL, *v;

		snprintf(where, sizeof(where), "%s:%lld", path,
		    kcn_reader_count(rd));
		if (og == NULL || OGR_G_IsEmpty(og)) {
			kcni_msg(ctx, KCN_MSG_WARNING, where, "feature skipped: "
			    "no geometry");
			(*skipped)++;
		} else if ((g = kcn_geom_to_geos(ctx, og)) == NULL) {
			kcni_msg(ctx, KCN_MSG_WARNING, where, "feature skipped: "
			    "%s", kcn_ctx_errmsg(ctx));
			kcn_ctx_clear(ctx);
			(*skipped)++;
		} else {
			/* Union throws on invalid input: repair it first. */
			if (!r->o->valid && !kcni_geom_surely_valid(h, g) &&
			    GEOSisValid_r(h, g) != 1) {
				v = kcn_geom_repair(ctx, g,
				    GEOSGeom_getDimensions_r(h, g));
				GEOSGeom_destroy_r(h, g);
				if ((g = v) == NULL) {
					kcni_msg(ctx, KCN_MSG_WARNING, where,
					    "feature skipped: %s",
					    kcn_ctx_errmsg(ctx));
					kcn_ctx_clear(ctx);
					(*skipped)++;
					OGR_F_Destroy(f);
					continue;
				}
				kcni_msg(ctx, KCN_MSG_INFO, where, "invalid "
				    "geometry repaired");
			}
			if ((st = dis_add(ctx, r, f, g)) != KCN_OK) {
				OGR_F_Destroy(f);
				return st;
			}
		}
		OGR_F_Destroy(f);
		kcni_progress(ctx, path, (double)kcn_reader_count(rd), 0, 0);
	}
	if (f != NULL)
		OGR_F_Destroy(f);
	return st;
}

/* The output's geometry type: the source's kind, as Multi, or single
   when each part goes out on its own. */
static OGRwkbGeometryType
dis_gtype(OGRLayerH layer, int explode)
{
	switch (wkbFlatten(OGR_L_GetGeomType(layer))) {
	case wkbPolygon: case wkbMultiPolygon:
		return explode ? wkbPolygon : wkbMultiPolygon;
	case wkbLineString: case wkbMultiLineString:
		return explode ? wkbLineString : wkbMultiLineString;
	case wkbPoint: case wkbMultiPoint:
		return explode ? wkbPoint : wkbMultiPoint;
	default:
		return wkbUnknown;
	}
}

enum kcn_status
kcn_dissolve_run(struct kcn_ctx *ctx, const char *path,
    const struct kcn_dissolve_opts *o)
{
	GEOSContextHandle_t h = kcn_ctx_geos(ctx);
	struct dis_run r;
	struct kcn_source *src;
	struct kcn_reader *rd = NULL;
	struct kcn_writer *wr = NULL;
	OGRFeatureDefnH src_d, out_d = NULL;
	OGRSpatialReferenceH srs;
	OGRLayerH layer;
	long long skipped = 0;
	enum kcn_status st = KCN_OK;

	memset(&r, 0, sizeof(r));
	r.o = o;
	if ((src = kcn_source_open(ctx, path, KCN_OPEN_VECTOR)) == NULL)
		return kcn_ctx_status(ctx);
	if ((rd = kcn_reader_new(ctx, src, o->layer)) == NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	layer = kcn_reader_layer(rd);
	src_d = OGR_L_GetLayerDefn(layer);
	if ((st = dis_fields(ctx, src_d, o->by, "fields", 0, &r.by,
	    &r.nby)) != KCN_OK || (st = dis_fields(ctx, src_d, o->sum,
	    "--sum", 1, &r.sum, &r.nsum)) != KCN_OK || (st = dis_fields(ctx,
	    src_d, o->min, "--min", 1, &r.min, &r.nmin)) != KCN_OK ||
	    (st = dis_fields(ctx, src_d, o->max, "--max", 1, &r.max,
	    &r.nmax)) != KCN_OK || (st = dis_fields(ctx, src_d, o->first,
	    "--first", 0, &r.first, &r.nfirst)) != KCN_OK)
		goto out;
	r.index = CPLHashSetNew(dis_hash, dis_equal, NULL);
	out_d = dis_defn(&r, src_d);
	srs = OGR_L_GetSpatialRef(layer);
	if ((wr = kcn_writer_open(ctx, &o->out, OGR_L_GetName(layer),
	    dis_gtype(layer, o->out.explode), srs, out_d)) == NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	if (o->label != NULL)
		path = o->label;
	if ((st = dis_read(ctx, &r, rd, path, &skipped)) != KCN_OK)
		goto out;
	for (size_t i = 0; i < r.ng && st == KCN_OK; i++) {
		GEOSGeometry *u = dis_union(ctx, &r, r.g[i]);
		OGRGeometryH og;
		OGRFeatureH f;

		if (u == NULL) {
			st = kcn_ctx_status(ctx) != KCN_OK ?
			    kcn_ctx_status(ctx) : kcni_error(ctx, KCN_EOS,
			    "dissolve", "out of memory");
			break;
		}
		og = kcn_geom_from_geos(ctx, u);
		GEOSGeom_destroy_r(h, u);
		if (og == NULL) {
			st = kcn_ctx_status(ctx);
			break;
		}
		f = dis_feature(&r, out_d, r.g[i], og);
		st = kcn_writer_write(ctx, wr, f);
		OGR_F_Destroy(f);
		if (st == KCN_REJECTED) {
			kcni_msg(ctx, KCN_MSG_WARNING, path, "group %zu (%lld "
			    "features) not written: %s", i + 1, r.g[i]->count,
			    kcn_ctx_errmsg(ctx));
			kcn_ctx_clear(ctx);
			skipped += r.g[i]->count;
			st = KCN_OK;
		}
		/* Each group's geometries go as soon as it is written. */
		dis_group_free(h, r.g[i]);
		r.g[i] = NULL;
	}
	if (st == KCN_OK) {
		long long n = kcn_writer_count(wr);

		kcni_msg(ctx, KCN_MSG_INFO, path, "%lld features read into "
		    "%zu groups (%lld merged by coverage union, %lld by the "
		    "general union), %lld written", kcn_reader_count(rd), r.ng,
		    r.coverage, r.general, n);
		if (r.dropped > 0)
			kcni_msg(ctx, KCN_MSG_INFO, path, "%lld parts left "
			    "out of the unions: they lie inside other parts",
			    r.dropped);
		if (r.wasted > 0)
			kcni_msg(ctx, KCN_MSG_INFO, path, "%lld groups tried "
			    "by coverage union first: their parts overlap",
			    r.wasted);
		if (skipped > 0)
			kcni_msg(ctx, KCN_MSG_WARNING, path, "%lld features "
			    "skipped", skipped);
		st = kcn_writer_close(ctx, wr);
		wr = NULL;
		if (st == KCN_OK && skipped > 0)
			st = KCN_REJECTED;
	}
out:
	kcn_writer_abort(wr);
	if (r.index != NULL)
		CPLHashSetDestroy(r.index);
	for (size_t i = 0; i < r.ng; i++)
		dis_group_free(h, r.g[i]);
	free(r.g);
	free(r.by);
	free(r.sum);
	free(r.min);
	free(r.max);
	free(r.first);
	if (out_d != NULL)
		OGR_FD_Release(out_d);
	kcn_reader_free(rd);
	if (kcn_source_close(ctx, src) != KCN_OK && st == KCN_OK)
		st = kcn_ctx_status(ctx);
	return st;
}
