/*
 * reproject.c: kcn-reproject's work: one layer in, every coordinate
 * through one chosen PROJ operation, one stream out in the same order.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcn_internal.h"

#define REPROJ_PEEK 10000	/* features read ahead for a stream's extent */
#define REPROJ_TURNS 4		/* turns of longitude a shape may span */

/* What the workers share, read-only. */
struct reproj_conf {
	const struct kcn_transform *tr;
	double densify;		/* in source units; 0: none */
	int force_2d;
	int geographic;		/* the source is longitude/latitude */
	int wrap;		/* the target is projected: no longitude past
				   the antimeridian may reach it */
	int mercator;		/* the target is a Mercator: clip latitudes */
	double lon0;		/* the target's central meridian: its edges
				   are 180 degrees either side */
};

/* A worker's state: the shared conf and its own copy of the operation. */
struct reproj_worker {
	const struct reproj_conf *conf;
	struct kcn_transform *tr;
};

static void *
reproj_init(struct kcn_ctx *wctx, void *ud)
{
	struct reproj_worker *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		kcni_error(wctx, KCN_EOS, "reproject", "out of memory");
		return NULL;
	}
	w->conf = ud;
	if ((w->tr = kcn_transform_clone(wctx, w->conf->tr)) == NULL) {
		free(w);
		return NULL;
	}
	return w;
}

static void
reproj_fini(void *state)
{
	struct reproj_worker *w = state;

	kcn_transform_free(w->tr);
	free(w);
}

/* G as a new GEOS geometry cut to the box, or NULL with an error. */
static GEOSGeometry *
reproj_cut(struct kcn_ctx *ctx, const GEOSGeometry *g, double x0, double y0,
    double x1, double y1)
{
	return GEOSClipByRect_r(kcn_ctx_geos(ctx), g, x0, y0, x1, y1);
}

static int
reproj_shift(double *x, double *y, void *ud)
{
	(void)y;
	*x += *(double *)ud;
	return 1;
}

/* Moves every x of G by DX. */
static GEOSGeometry *
reproj_moved(GEOSContextHandle_t h, const GEOSGeometry *g, double dx)
{
	GEOSGeometry *c = GEOSGeom_clone_r(h, g);

	if (c != NULL && dx != 0) {
		GEOSGeometry *m = GEOSGeom_transformXY_r(h, c, reproj_shift,
		    &dx);

		GEOSGeom_destroy_r(h, c);
		c = m;
	}
	return c;
}

/* Cuts and moves a lon/lat shape to fit a projected target (kcn_internal.h). */
enum kcn_status
kcni_fit_lonlat(struct kcn_ctx *ctx, OGRGeometryH *gp, int wrap, double lon0,
    int mercator)
{
	GEOSContextHandle_t h = kcn_ctx_geos(ctx);
	double lat = mercator ? KCNI_MERC_LAT : 90.0;
	double w = lon0 - 180, east = lon0 + 180;
	GEOSGeometry *gg, *parts[REPROJ_TURNS], *all;
	OGRGeometryH back;
	OGREnvelope e;
	int n = 0, cut_lat, cut_lon, k0, k1;

	OGR_G_GetEnvelope(*gp, &e);
	cut_lat = e.MinY < -lat || e.MaxY > lat;
	cut_lon = wrap && (e.MinX < w || e.MaxX > east);
	if (!cut_lon && !cut_lat)
		return KCN_OK;
	if (cut_lon && !cut_lat && OGR_G_GetDimension(*gp) == 0) {
		/* Points are moved by whole turns, none lost on the line. */
		for (int i = 0; i < OGR_G_GetPointCount(*gp); i++)
			OGR_G_SetPoint_2D(*gp, i, w + fmod(fmod(OGR_G_GetX(*gp,
			    i) - w, 360) + 360, 360), OGR_G_GetY(*gp, i));
		for (int i = 0; i < OGR_G_GetGeometryCount(*gp); i++) {
			OGRGeometryH p = OGR_G_GetGeometryRef(*gp, i);

			OGR_G_SetPoint_2D(p, 0, w + fmod(fmod(OGR_G_GetX(p, 0) -
			    w, 360) + 360, 360), OGR_G_GetY(p, 0));
		}
		kcni_note(ctx, "moved by whole turns of longitude");
		return KCN_OK;
	}
	/* The turns of longitude the shape reaches, each cut and moved. */
	k0 = cut_lon ? (int)floor((e.MinX - w) / 360) : 0;
	k1 = cut_lon ? (int)floor((e.MaxX - w) / 360) : 0;
	if (k1 - k0 + 1 > REPROJ_TURNS)
		return kcni_error(ctx, KCN_REJECTED, "geometry", "longitudes "
		    "from %g to %g: more than %d turns of the globe",
		    e.MinX, e.MaxX, REPROJ_TURNS);
	if ((gg = kcn_geom_to_geos(ctx, *gp)) == NULL)
		return KCN_REJECTED;
	for (int k = k0; k <= k1; k++) {
		GEOSGeometry *piece = reproj_cut(ctx, gg, cut_lon ?
		    w + 360 * k : e.MinX - 1, -lat, cut_lon ?
		    east + 360 * k : e.MaxX + 1, lat), *m;

		if (piece != NULL && !GEOSisEmpty_r(h, piece) &&
		    (m = reproj_moved(h, piece, -360.0 * k)) != NULL)
			parts[n++] = m;
		if (piece != NULL)
			GEOSGeom_destroy_r(h, piece);
	}
	GEOSGeom_destroy_r(h, gg);
	if (n == 0)
		return kcni_error(ctx, KCN_REJECTED, "geometry", "wholly "
		    "outside the latitudes %s can show (%g to %g)",
		    mercator ? "Web Mercator" : "the target CRS", -lat, lat);
	all = n == 1 ? parts[0] : GEOSGeom_createCollection_r(h,
	    GEOS_GEOMETRYCOLLECTION, parts, (unsigned)n);
	if (all != NULL && n > 1) {
		/* One piece per side, made one geometry of the same kind. */
		GEOSGeometry *u = GEOSUnaryUnion_r(h, all);

		GEOSGeom_destroy_r(h, all);
		all = u;
	}
	if (all == NULL)
		return kcni_error(ctx, KCN_REJECTED, "geometry", "cannot cut "
		    "at the antimeridian: %s", kcni_geos_msg(ctx));
	back = kcn_geom_from_geos(ctx, all);
	GEOSGeom_destroy_r(h, all);
	if (back == NULL)
		return KCN_REJECTED;
	kcni_note(ctx, "%s", !cut_lat ? "cut at the antimeridian" :
	    mercator ? "clipped at Web Mercator's latitude limit" :
	    "clipped at the poles");
	OGR_G_DestroyGeometry(*gp);
	*gp = back;
	return KCN_OK;
}

static enum kcn_status
reproj_apply(struct kcn_ctx *wctx, void *state, OGRFeatureH *f)
{
	struct reproj_worker *w = state;
	const struct reproj_conf *c = w->conf;
	OGRGeometryH g = OGR_F_GetGeometryRef(*f);
	enum kcn_status st;

	if (g == NULL || OGR_G_IsEmpty(g))
		return KCN_OK;	/* the writer decides what it can hold */
	if (c->force_2d)
		OGR_G_FlattenTo2D(g);
	if (c->densify > 0)
		OGR_G_Segmentize(g, c->densify);
	if (c->geographic) {
		OGRGeometryH fit = OGR_F_StealGeometry(*f);

		st = kcni_fit_lonlat(wctx, &fit, c->wrap, c->lon0,
		    c->mercator);
		OGR_F_SetGeometryDirectly(*f, fit);
		if (st != KCN_OK)
			return st;
		g = fit;
	}
	return kcn_transform_geom(wctx, w->tr, g);
}

/*
 * The lon/lat extent of the data of LAYER in SRS, for choosing the
 * operation: the header's when it has one, a scan of a file, or the first
 * features of a stream (read ahead, and served later in order).  Returns 0
 * when there is none (no features).
 */
static int
reproj_area(struct kcn_ctx *ctx, struct kcn_reader *rd, int stream,
    OGRSpatialReferenceH srs, double ll[4], const char **how)
{
	OGRLayerH layer = kcn_reader_layer(rd);
	OGREnvelope e;
	double ext[4];

	if (OGR_L_TestCapability(layer, OLCFastGetExtent) &&
	    OGR_L_GetExtent(layer, &e, FALSE) == OGRERR_NONE) {
		*how = "the layer's extent";
	} else if (!stream) {
		if (OGR_L_GetExtent(layer, &e, TRUE) != OGRERR_NONE)
			return 0;
		OGR_L_ResetReading(layer);
		*how = "the layer's extent";
	} else {
		if (kcni_reader_peek(ctx, rd, REPROJ_PEEK, ext) == 0)
			return 0;
		e.MinX = ext[0], e.MinY = ext[1], e.MaxX = ext[2];
		e.MaxY = ext[3];
		*how = "the extent of the first features of the stream";
	}
	ext[0] = e.MinX, ext[1] = e.MinY, ext[2] = e.MaxX, ext[3] = e.MaxY;
	if (kcn_extent_lonlat(ctx, srs, ext, ll) != KCN_OK) {
		kcn_ctx_clear(ctx);
		return 0;
	}
	return 1;
}

/* Whether SRS is a Mercator (not transverse): no poles. */
static int
reproj_is_mercator(OGRSpatialReferenceH srs)
{
	const char *m = OSRGetAttrValue(srs, "PROJECTION", 0);

	return m != NULL && strstr(m, "Mercator") != NULL &&
	    strstr(m, "Transverse") == NULL && strstr(m, "Oblique") == NULL;
}

/* Says on the sink which operation is used, and what a better one lacks. */
static void
reproj_say(struct kcn_ctx *ctx, const char *path,
    const struct kcn_op_info *in, const char *how)
{
	char acc[64];

	if (in->exact)
		snprintf(acc, sizeof(acc), "exact (no datum change)");
	else if (in->accuracy < 0)
		snprintf(acc, sizeof(acc), "accuracy unknown");
	else
		snprintf(acc, sizeof(acc), "accuracy %g m", in->accuracy);
	kcni_msg(ctx, KCN_MSG_INFO, path, "operation: %s; %s; grids: %s; "
	    "chosen for %s", in->name, acc, *in->grids ? in->grids : "none",
	    how);
	if (in->ballpark)
		kcni_msg(ctx, KCN_MSG_WARNING, path, "a ballpark "
		    "transformation, as --allow-ballpark accepts: positions "
		    "may be off by 100 m or more");
	if (*in->better)
		kcni_msg(ctx, KCN_MSG_WARNING, path, "a more accurate "
		    "operation (%s, %g m) needs the grid %s, which is not "
		    "installed: using %s (%s)", in->better,
		    in->better_accuracy, in->missing, in->name, acc);
}

enum kcn_status
kcn_reproject_run(struct kcn_ctx *ctx, const char *path,
    const struct kcn_reproject_opts *o)
{
	struct kcn_source *src;
	struct kcn_reader *rd = NULL;
	struct kcn_writer *wr = NULL;
	struct kcn_transform *tr = NULL;
	struct reproj_conf conf;
	struct kcni_stage stage = { reproj_init, reproj_apply, reproj_fini,
	    &conf };
	struct kcni_tally tally = { 0 };
	OGRSpatialReferenceH from = NULL, to = NULL;
	OGRLayerH layer;
	OGRwkbGeometryType gtype;
	double ll[4];
	const char *how = "the CRSs' areas of use";
	int have_area, stream = strcmp(path, "-") == 0;
	enum kcn_status st = KCN_OK;
	char *label;

	memset(&conf, 0, sizeof(conf));
	if ((src = kcn_source_open(ctx, path, KCN_OPEN_VECTOR)) == NULL)
		return kcn_ctx_status(ctx);
	if ((rd = kcn_reader_new(ctx, src, o->layer)) == NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	layer = kcn_reader_layer(rd);
	if ((st = kcni_layer_crs(ctx, path, layer, o->s_srs, 1, &from)) !=
	    KCN_OK)
		goto out;
	have_area = reproj_area(ctx, rd, stream, from, ll, &how);
	if ((to = kcn_crs_parse(ctx, o->t_srs, have_area ? ll : NULL)) ==
	    NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	if ((tr = kcn_transform_new(ctx, from, to, have_area ? ll : NULL,
	    o->allow_ballpark)) == NULL) {
		char msg[1024];

		/* Said of the source, not of "crs". */
		snprintf(msg, sizeof(msg), "%s", kcn_ctx_errmsg(ctx));
		st = kcni_error(ctx, kcn_ctx_status(ctx), path, "%s", msg);
		goto out;
	}
	label = kcn_crs_label(to);
	kcni_msg(ctx, KCN_MSG_INFO, path, "to %s", label ? label : o->t_srs);
	kcn_free(label);
	reproj_say(ctx, path, kcn_transform_info(tr), have_area ? how :
	    "the CRSs' areas of use (no features)");
	conf.tr = tr;
	conf.force_2d = o->force_2d;
	conf.geographic = OSRIsGeographic(from);
	conf.wrap = !OSRIsGeographic(to);
	conf.mercator = reproj_is_mercator(to);
	conf.lon0 = OSRGetProjParm(to, SRS_PP_CENTRAL_MERIDIAN, 0, NULL);
	if (conf.lon0 == 0)
		conf.lon0 = OSRGetProjParm(to, SRS_PP_LONGITUDE_OF_CENTER, 0,
		    NULL);
	if (o->densify > 0) {
		/* Metres in the source's units; a degree of latitude is
		   111.32 km, and one of longitude never longer. */
		conf.densify = conf.geographic ? o->densify / 111320.0 :
		    o->densify / OSRGetLinearUnits(from, NULL);
	}
	gtype = kcni_gtype_multi(OGR_L_GetGeomType(layer));
	if (o->force_2d)
		gtype = wkbFlatten(gtype);
	if ((wr = kcn_writer_open(ctx, &o->out, OGR_L_GetName(layer), gtype,
	    to, OGR_L_GetLayerDefn(layer))) == NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	st = kcni_pipeline_finish(ctx, rd, wr, &stage, o->threads, path,
	    &tally, "written");
	if ((st == KCN_OK || st == KCN_REJECTED) && tally.noted > 0)
		kcni_msg(ctx, KCN_MSG_WARNING, path, "%lld features cut at the "
		    "antimeridian or the latitude limit (-v lists them)",
		    tally.noted);
	wr = NULL;
out:
	kcn_writer_abort(wr);
	kcni_tally_free(&tally);
	kcn_transform_free(tr);
	kcn_reader_free(rd);
	if (from != NULL)
		OSRRelease(from);
	if (to != NULL)
		OSRRelease(to);
	if (kcn_source_close(ctx, src) != KCN_OK && st == KCN_OK)
		st = kcn_ctx_status(ctx);
	return st;
}
