/*
 * ingest.c: kcn-ingest's work: one layer in, every geometry through GEOS,
 * all text decoded to UTF-8, one stream out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcn_internal.h"

#define INGEST_LISTED 20	/* skipped features listed without -v */

/* Replaces the geometry of F by its round trip through GEOS. */
static enum kcn_status
ingest_geometry(struct kcn_ctx *ctx, OGRFeatureH f)
{
	GEOSContextHandle_t h = kcn_ctx_geos(ctx);
	OGRGeometryH g = OGR_F_GetGeometryRef(f), back;
	GEOSGeometry *gg;

	if (g == NULL)
		return KCN_OK;
	if ((gg = kcn_geom_to_geos(ctx, g)) == NULL)
		return KCN_EDATA;
	back = kcn_geom_from_geos(ctx, gg);
	GEOSGeom_destroy_r(h, gg);
	if (back == NULL)
		return KCN_EDATA;
	OGR_F_SetGeometryDirectly(f, back);
	return KCN_OK;
}

/*
 * Decodes every text field of F to UTF-8 in place.  Text that is not valid
 * in the source's encoding rejects the feature, naming the field.
 */
static enum kcn_status
ingest_text(struct kcn_ctx *ctx, struct kcni_text *dec, const char *enc,
    OGRFeatureH f)
{
	OGRFeatureDefnH defn = OGR_F_GetDefnRef(f);
	int i, n = OGR_FD_GetFieldCount(defn);

	for (i = 0; i < n; i++) {
		const char *s, *u;

		if (OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, i)) !=
		    OFTString || !OGR_F_IsFieldSetAndNotNull(f, i))
			continue;
		s = OGR_F_GetFieldAsString(f, i);
		if ((u = kcni_text_decode(dec, s)) == NULL)
			return kcni_error(ctx, KCN_EDATA, "text", "field %s "
			    "is not valid %s text%s", OGR_Fld_GetNameRef(
			    OGR_FD_GetFieldDefn(defn, i)), enc ? enc : "UTF-8",
			    enc ? "" : ": give its code page with --encoding");
		if (enc != NULL)
			OGR_F_SetFieldString(f, i, u);
	}
	return KCN_OK;
}

/*
 * The output's geometry type: a shapefile declares Polygon or LineString
 * for layers that hold multi-part shapes too.
 */
static OGRwkbGeometryType
ingest_gtype(struct kcn_source *src, OGRLayerH layer)
{
	OGRwkbGeometryType t = OGR_L_GetGeomType(layer);
	const char *drv = GDALGetDriverShortName(GDALGetDatasetDriver(
	    kcn_source_dataset(src)));

	if (strcmp(drv, "ESRI Shapefile") != 0)
		return t;
	if (wkbFlatten(t) == wkbPolygon)
		return wkbHasZ(t) ? wkbMultiPolygon25D : wkbMultiPolygon;
	if (wkbFlatten(t) == wkbLineString)
		return wkbHasZ(t) ? wkbMultiLineString25D :
		    wkbMultiLineString;
	return t;
}

enum kcn_status
kcn_ingest_run(struct kcn_ctx *ctx, const char *path,
    const struct kcn_ingest_opts *o)
{
	struct kcn_source *src;
	struct kcn_reader *rd = NULL;
	struct kcn_writer *wr = NULL;
	struct kcni_text *dec = NULL;
	OGRSpatialReferenceH srs = NULL;
	OGRLayerH layer;
	OGRFeatureH f = NULL;
	enum kcn_status st = KCN_OK, rst;
	long long rejected = 0;
	double total;
	char where[4200], *label;

	if ((dec = kcni_text_new(ctx, o->encoding ? o->encoding : "UTF-8")) ==
	    NULL)
		return kcn_ctx_status(ctx);
	src = kcn_source_open(ctx, path, KCN_OPEN_VECTOR |
	    (o->encoding ? KCN_OPEN_RAW_TEXT : 0));
	if (src == NULL) {
		kcni_text_free(dec);
		return kcn_ctx_status(ctx);
	}
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
	wr = kcn_writer_open(ctx, &o->out, OGR_L_GetName(layer),
	    ingest_gtype(src, layer), srs, OGR_L_GetLayerDefn(layer));
	if (wr == NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	kcni_msg(ctx, KCN_MSG_INFO, o->out.path ? o->out.path : "-",
	    "writing %s", kcn_writer_driver(&o->out));
	total = OGR_L_TestCapability(layer, OLCFastFeatureCount) ?
	    (double)OGR_L_GetFeatureCount(layer, FALSE) : 0;
	for (;;) {
		rst = kcn_reader_next(ctx, rd, &f);
		if (f == NULL) {
			if (rst != KCN_OK)
				st = rst;
			break;
		}
		if (rst == KCN_OK)
			rst = ingest_text(ctx, dec, o->encoding, f);
		if (rst == KCN_OK)
			rst = ingest_geometry(ctx, f);
		if (rst == KCN_OK &&
		    (rst = kcn_writer_write(ctx, wr, f)) != KCN_OK &&
		    rst != KCN_REJECTED) {
			st = rst;
			OGR_F_Destroy(f);
			break;
		}
		if (rst != KCN_OK) {
			/* One bad feature: report it by number and go on;
			   past a screenful, only -v lists the rest. */
			rejected++;
			snprintf(where, sizeof(where), "%s:%lld", path,
			    kcn_reader_count(rd));
			kcni_msg(ctx, rejected <= INGEST_LISTED ?
			    KCN_MSG_WARNING : KCN_MSG_INFO, where,
			    "feature skipped: %s", kcn_ctx_errmsg(ctx));
			if (rejected == INGEST_LISTED + 1)
				kcni_msg(ctx, KCN_MSG_WARNING, path, "more "
				    "features skipped: counted, listed with -v");
			kcn_ctx_clear(ctx);
		}
		OGR_F_Destroy(f);
		kcni_progress(ctx, path, (double)kcn_reader_count(rd), total, 0);
	}
	kcni_progress(ctx, path, (double)kcn_reader_count(rd),
	    (double)kcn_reader_count(rd), 1);
	if (st == KCN_OK && rejected > 0)
		kcni_msg(ctx, KCN_MSG_WARNING, path, "%lld of %lld features "
		    "skipped", rejected, kcn_reader_count(rd));
	if (st == KCN_OK)
		st = kcn_writer_close(ctx, wr);
	else
		kcn_writer_abort(wr);
	wr = NULL;
	if (st == KCN_OK) {
		kcni_msg(ctx, KCN_MSG_INFO, path, "%lld features read, %lld "
		    "written", kcn_reader_count(rd), kcn_reader_count(rd) -
		    rejected);
		if (rejected > 0)
			st = KCN_REJECTED;
	}
out:
	kcn_writer_abort(wr);
	kcn_reader_free(rd);
	kcni_text_free(dec);
	if (srs != NULL)
		OSRRelease(srs);
	if (kcn_source_close(ctx, src) != KCN_OK && st == KCN_OK)
		st = kcn_ctx_status(ctx);
	return st;
}
