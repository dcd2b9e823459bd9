/*
 * ingest.c: kcn-ingest's work: one layer in, every geometry through GEOS,
 * one stream out.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kcn_internal.h"

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

enum kcn_status
kcn_ingest_run(struct kcn_ctx *ctx, const char *path,
    const struct kcn_ingest_opts *o)
{
	struct kcn_source *src;
	struct kcn_reader *rd = NULL;
	struct kcn_writer *wr = NULL;
	OGRSpatialReferenceH srs = NULL;
	OGRLayerH layer;
	OGRFeatureH f = NULL;
	enum kcn_status st = KCN_OK, rst;
	long long rejected = 0;
	double total;
	char where[4200];

	if ((src = kcn_source_open(ctx, path, KCN_OPEN_VECTOR)) == NULL)
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
	}
	wr = kcn_writer_open(ctx, &o->out, OGR_L_GetName(layer),
	    OGR_L_GetGeomType(layer), srs, OGR_L_GetLayerDefn(layer));
	if (wr == NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
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
			rst = ingest_geometry(ctx, f);
		if (rst == KCN_OK &&
		    (rst = kcn_writer_write(ctx, wr, f)) != KCN_OK &&
		    rst != KCN_REJECTED) {
			st = rst;
			OGR_F_Destroy(f);
			break;
		}
		if (rst != KCN_OK) {
			/* One bad feature: report it by number and go on. */
			snprintf(where, sizeof(where), "%s:%lld", path,
			    kcn_reader_count(rd));
			kcni_msg(ctx, KCN_MSG_WARNING, where,
			    "feature skipped: %s", kcn_ctx_errmsg(ctx));
			kcn_ctx_clear(ctx);
			rejected++;
		}
		OGR_F_Destroy(f);
		kcni_progress(ctx, path, (double)kcn_reader_count(rd), total, 0);
	}
	kcni_progress(ctx, path, (double)kcn_reader_count(rd),
	    (double)kcn_reader_count(rd), 1);
	if (st == KCN_OK) {
		st = kcn_writer_close(ctx, wr);
	} else {
		kcn_writer_abort(wr);
	}
	wr = NULL;
	if (st == KCN_OK && rejected > 0) {
		kcni_msg(ctx, KCN_MSG_WARNING, path, "%lld of %lld features "
		    "skipped", rejected, kcn_reader_count(rd));
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
