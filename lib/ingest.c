/*
 * ingest.c: kcn-ingest's work: one layer in, every geometry through GEOS,
 * all text decoded to UTF-8, one stream out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcn_internal.h"


/* What the workers need to know, shared and read-only. */
struct ingest_conf {
	const char *encoding;
	enum kcn_on_invalid on_invalid;
	int keep_empty;
	int force_2d;
	int dim;		/* the layer's kind: 2 areas, 1 lines, 0 points,
				   -1 mixed or unknown */
	int geographic;		/* the CRS is longitude/latitude */
};

static int
ingest_dim(OGRwkbGeometryType t)
{
	switch (wkbFlatten(t)) {
	case wkbPolygon: case wkbMultiPolygon: case wkbCurvePolygon:
	case wkbMultiSurface:
		return 2;
	case wkbLineString: case wkbMultiLineString: case wkbCircularString:
	case wkbCompoundCurve: case wkbMultiCurve:
		return 1;
	case wkbPoint: case wkbMultiPoint:
		return 0;
	default:
		return -1;
	}
}

/* The GEOS reason without its location: "Self-intersection". */
static void
ingest_reason(GEOSContextHandle_t h, const GEOSGeometry *g, char *buf,
    size_t size)
{
	char *r = GEOSisValidReason_r(h, g);

	snprintf(buf, size, "%s", r ? r : "invalid");
	buf[strcspn(buf, "[")] = '\0';
	if (r != NULL)
		GEOSFree_r(h, r);
}

/*
 * Replaces the geometry of F by its round trip through GEOS, on the way
 * dropping null and empty geometries, and repairing, skipping or failing
 * on invalid ones, as C says.  A repair leaves a note.
 */
static enum kcn_status
ingest_geometry(struct kcn_ctx *ctx, const struct ingest_conf *c,
    OGRFeatureH f)
{
	GEOSContextHandle_t h = kcn_ctx_geos(ctx);
	OGRGeometryH g = OGR_F_GetGeometryRef(f), back;
	GEOSGeometry *gg, *fixed;
	char reason[256];

	if (g == NULL || OGR_G_IsEmpty(g)) {
		if (c->keep_empty)
			return KCN_OK;
		return kcni_error(ctx, KCN_REJECTED, "geometry", "%s geometry: "
		    "dropped (--keep-empty keeps it)", g ? "empty" : "no");
	}
	if (c->geographic) {
		OGREnvelope e;

		OGR_G_GetEnvelope(g, &e);
		if (e.MinX < -180 || e.MaxX > 180 || e.MinY < -90 ||
		    e.MaxY > 90)
			return kcni_error(ctx, KCN_REJECTED, "geometry",
			    "coordinates beyond longitude/latitude range "
			    "(x %.7g to %.7g, y %.7g to %.7g): swapped "
			    "columns, or not degrees?", e.MinX, e.MaxX, e.MinY,
			    e.MaxY);
	}
	if ((gg = kcn_geom_to_geos(ctx, g)) == NULL) {
		/* GEOS cannot even hold unclosed rings: close them first. */
		if (c->on_invalid != KCN_INVALID_REPAIR ||
		    ingest_dim(OGR_G_GetGeometryType(g)) != 2)
			return kcn_ctx_status(ctx) == KCN_EDATA &&
			    c->on_invalid != KCN_INVALID_FAIL ?
			    KCN_REJECTED : kcn_ctx_status(ctx);
		kcn_ctx_clear(ctx);
		OGR_G_CloseRings(g);
		if ((gg = kcn_geom_to_geos(ctx, g)) == NULL)
			return KCN_REJECTED;
		kcni_note(ctx, "repaired: unclosed ring");
	}
	if (GEOSisValid_r(h, gg) != 1) {
		ingest_reason(h, gg, reason, sizeof(reason));
		if (c->on_invalid != KCN_INVALID_REPAIR) {
			GEOSGeom_destroy_r(h, gg);
			return kcni_error(ctx, c->on_invalid == KCN_INVALID_FAIL ?
			    KCN_EDATA : KCN_REJECTED, "geometry", "invalid "
			    "geometry: %s", reason);
		}
		fixed = kcn_geom_repair(ctx, gg, c->dim);
		GEOSGeom_destroy_r(h, gg);
		if (fixed == NULL)
			return KCN_REJECTED;
		if (GEOSisEmpty_r(h, fixed)) {
			GEOSGeom_destroy_r(h, fixed);
			return kcni_error(ctx, KCN_REJECTED, "geometry",
			    "invalid geometry: %s; nothing of it is left after "
			    "repair", reason);
		}
		kcni_note(ctx, "repaired: %s", reason);
		gg = fixed;
	}
	back = kcn_geom_from_geos(ctx, gg);
	GEOSGeom_destroy_r(h, gg);
	if (back == NULL)
		return KCN_REJECTED;
	if (c->force_2d)
		OGR_G_FlattenTo2D(back);
	OGR_F_SetGeometryDirectly(f, back);
	return KCN_OK;
}

/* A worker's text state: the decoder and the text fields of the defn. */
struct ingest_text {
	const struct ingest_conf *conf;
	struct kcni_text *dec;
	OGRFeatureDefnH defn;	/* the fields below are for this one */
	int *fields, nfields;
};

/*
 * Decodes every text field of F to UTF-8 in place.  Text that is not valid
 * in the source's encoding rejects the feature, naming the field.
 */
static enum kcn_status
ingest_text(struct kcn_ctx *ctx, struct ingest_text *t, OGRFeatureH f)
{
	OGRFeatureDefnH defn = OGR_F_GetDefnRef(f);
	const char *enc = kcni_text_encoding(t->dec);
	int i, n;

	if (defn != t->defn) {
		n = OGR_FD_GetFieldCount(defn);
		free(t->fields);
		t->nfields = 0;
		if ((t->fields = malloc((n ? n : 1) * sizeof(int))) == NULL)
			return kcni_error(ctx, KCN_EOS, "text",
			    "out of memory");
		for (i = 0; i < n; i++)
			if (OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, i)) ==
			    OFTString)
				t->fields[t->nfields++] = i;
		t->defn = defn;
	}
	for (int k = 0; k < t->nfields; k++) {
		const char *s, *u;

		i = t->fields[k];
		if (!OGR_F_IsFieldSetAndNotNull(f, i))
			continue;
		s = OGR_F_GetFieldAsString(f, i);
		if ((u = kcni_text_decode(t->dec, s)) == NULL)
			return kcni_error(ctx, KCN_REJECTED, "text", "field %s "
			    "is not valid %s text%s", OGR_Fld_GetNameRef(
			    OGR_FD_GetFieldDefn(defn, i)), enc ? enc : "UTF-8",
			    enc ? "" : ": give its code page with --encoding");
		if (u != s)
			OGR_F_SetFieldString(f, i, u);
	}
	return KCN_OK;
}

/*
 * The output's geometry type: polygon and line layers become Multi, since
 * shapefiles declare Polygon for layers holding MultiPolygons too and a
 * repaired polygon may come out in several parts.
 */
static OGRwkbGeometryType
ingest_gtype(OGRLayerH layer)
{
	OGRwkbGeometryType t = OGR_L_GetGeomType(layer);

	if (wkbFlatten(t) == wkbPolygon)
		return wkbHasZ(t) ? wkbMultiPolygon25D : wkbMultiPolygon;
	if (wkbFlatten(t) == wkbLineString)
		return wkbHasZ(t) ? wkbMultiLineString25D :
		    wkbMultiLineString;
	return t;
}

/* The per-feature work, on worker threads: text, then geometry. */
static void *
ingest_init(struct kcn_ctx *wctx, void *ud)
{
	const struct ingest_conf *c = ud;
	struct ingest_text *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		kcni_error(wctx, KCN_EOS, "text", "out of memory");
		return NULL;
	}
	t->conf = c;
	if ((t->dec = kcni_text_new(wctx, c->encoding ? c->encoding :
	    "UTF-8")) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

static enum kcn_status
ingest_apply(struct kcn_ctx *wctx, void *state, OGRFeatureH f)
{
	struct ingest_text *t = state;
	enum kcn_status st = ingest_text(wctx, t, f);

	return st == KCN_OK ? ingest_geometry(wctx, t->conf, f) : st;
}

static void
ingest_fini(void *state)
{
	struct ingest_text *t = state;

	kcni_text_free(t->dec);
	free(t->fields);
	free(t);
}

enum kcn_status
kcn_ingest_run(struct kcn_ctx *ctx, const char *path,
    const struct kcn_ingest_opts *o)
{
	struct kcn_source *src;
	struct kcn_reader *rd = NULL;
	struct kcn_writer *wr = NULL;
	struct kcni_text *dec;
	struct ingest_conf conf = { o->encoding, o->on_invalid, o->keep_empty,
	    o->force_2d, -1, 0 };
	struct kcni_stage stage = { ingest_init, ingest_apply, ingest_fini,
	    &conf };
	struct kcni_tally tally = { 0, 0 };
	OGRwkbGeometryType gtype;
	OGRSpatialReferenceH srs = NULL;
	OGRLayerH layer;
	enum kcn_status st = KCN_OK;
	char *label;

	/* The encoding is checked here, before anything is opened. */
	if ((dec = kcni_text_new(ctx, o->encoding ? o->encoding : "UTF-8")) ==
	    NULL)
		return kcn_ctx_status(ctx);
	kcni_text_free(dec);
	src = kcn_source_open_csv(ctx, path, KCN_OPEN_VECTOR |
	    (o->encoding ? KCN_OPEN_RAW_TEXT : 0), o->x, o->y, o->wkt);
	if (src == NULL)
		return kcn_ctx_status(ctx);
	if ((rd = kcn_reader_new(ctx, src, o->layer)) == NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	layer = kcn_reader_layer(rd);
	if (o->s_srs != NULL) {
		if ((srs = kcn_crs_parse(ctx, o->s_srs, NULL)) == NULL) {
			st = kcn_ctx_status(ctx);
			goto out;
		}
		if (OGR_L_GetSpatialRef(layer) != NULL)
			kcni_msg(ctx, KCN_MSG_WARNING, path, "the source's CRS "
			    "is replaced by %s, as -s asks", o->s_srs);
	} else if (OGR_L_GetSpatialRef(layer) != NULL) {
		srs = OSRClone(OGR_L_GetSpatialRef(layer));
		OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
	} else if (OGR_L_GetGeomType(layer) != wkbNone) {
		st = kcni_error(ctx, KCN_ECRS, path, "no CRS: assign one with "
		    "-s (kcn-info shows what the coordinates look like)");
		goto out;
	}
	label = kcn_crs_label(srs);
	kcni_msg(ctx, KCN_MSG_INFO, path, "layer %s (%s), CRS %s%s",
	    OGR_L_GetName(layer), GDALGetDriverShortName(
	    GDALGetDatasetDriver(kcn_source_dataset(src))),
	    label ? label : "?", o->s_srs ? " (assigned)" : "");
	kcn_free(label);
	gtype = ingest_gtype(layer);
	if (o->force_2d)
		gtype = wkbFlatten(gtype);
	conf.dim = ingest_dim(gtype);
	conf.geographic = srs != NULL && OSRIsGeographic(srs);
	wr = kcn_writer_open(ctx, &o->out, OGR_L_GetName(layer), gtype, srs,
	    OGR_L_GetLayerDefn(layer));
	if (wr == NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	kcni_msg(ctx, KCN_MSG_INFO, o->out.path ? o->out.path : "-",
	    "writing %s", kcn_writer_driver(&o->out));
	st = kcni_pipeline(ctx, rd, wr, &stage, o->threads, path, &tally);
	if (st == KCN_OK && tally.noted > 0)
		kcni_msg(ctx, KCN_MSG_WARNING, path, "%lld invalid geometries "
		    "repaired (-v lists them)", tally.noted);
	if (st == KCN_OK && tally.rejected > 0)
		kcni_msg(ctx, KCN_MSG_WARNING, path, "%lld of %lld features "
		    "skipped", tally.rejected, kcn_reader_count(rd));
	if (st == KCN_OK)
		st = kcn_writer_close(ctx, wr);
	else
		kcn_writer_abort(wr);
	wr = NULL;
	if (st == KCN_OK) {
		kcni_msg(ctx, KCN_MSG_INFO, path, "%lld features read, %lld "
		    "written", kcn_reader_count(rd), kcn_reader_count(rd) -
		    tally.rejected);
		if (tally.rejected > 0)
			st = KCN_REJECTED;
	}
out:
	kcn_writer_abort(wr);
	kcn_reader_free(rd);
	if (srs != NULL)
		OSRRelease(srs);
	if (kcn_source_close(ctx, src) != KCN_OK && st == KCN_OK)
		st = kcn_ctx_status(ctx);
	return st;
}
