/*
 * crs.c: CRS parsing (user strings and the data-driven "utm", "laea" and
 * "local"), lon/lat extents and CRS labels.  Every SRS handed out uses
 * longitude-first (traditional GIS) axis order.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cpl_conv.h>

#include "kcn_internal.h"

int
kcn_utm_zone(double lon)
{
	int zone;

	lon = fmod(lon + 180.0, 360.0);
	if (lon < 0)
		lon += 360.0;
	zone = (int)floor(lon / 6.0) + 1;
	return zone > 60 ? 60 : zone;
}

OGRSpatialReferenceH
kcn_crs_wgs84(void)
{
	OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);

	OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
	OSRImportFromEPSG(srs, 4326);
	return srs;
}

/* Centre of a lon/lat extent, handling extents across the antimeridian. */
static void
crs_centre(const double ll[4], double *lon, double *lat)
{
	double east = ll[2];

	if (ll[0] > ll[2])
		east += 360.0;
	*lon = (ll[0] + east) / 2.0;
	if (*lon > 180.0)
		*lon -= 360.0;
	*lat = (ll[1] + ll[3]) / 2.0;
}

/* Whether the extent lies in one UTM zone where UTM is defined. */
static int
crs_fits_utm(const double ll[4])
{
	double width = ll[0] > ll[2] ? ll[2] + 360.0 - ll[0] : ll[2] - ll[0];

	if (ll[1] < -80.0 || ll[3] > 84.0 || width >= 6.0)
		return 0;
	/* A sliver past a zone edge is fine: UTM stays accurate there. */
	return kcn_utm_zone(ll[0] + 0.1) == kcn_utm_zone(ll[2] - 0.1) ||
	    width < 0.2;
}

static OGRSpatialReferenceH
crs_from_epsg(struct kcn_ctx *ctx, int code, const char *text)
{
	OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);

	OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
	if (OSRImportFromEPSG(srs, code) != OGRERR_NONE) {
		OSRRelease(srs);
		kcni_error(ctx, KCN_ECRS, text, "cannot build EPSG:%d", code);
		return NULL;
	}
	return srs;
}

static OGRSpatialReferenceH
crs_from_data(struct kcn_ctx *ctx, const char *text, const double ll[4])
{
	char def[256];
	double lon, lat;
	int utm;

	if (ll == NULL || !isfinite(ll[0]) || !isfinite(ll[1]) ||
	    !isfinite(ll[2]) || !isfinite(ll[3]) || ll[1] > ll[3]) {
		kcni_error(ctx, KCN_ECRS, text,
		    "needs the data's extent, and it is unknown or empty");
		return NULL;
	}
	crs_centre(ll, &lon, &lat);
	if (strcasecmp(text, "local") == 0)
		utm = crs_fits_utm(ll);
	else
		utm = strcasecmp(text, "utm") == 0;
	if (utm) {
		if (lat < -80.0 || lat > 84.0) {
			kcni_error(ctx, KCN_ECRS, text,
			    "UTM is not defined at latitude %.1f: use laea",
			    lat);
			return NULL;
		}
		return crs_from_epsg(ctx, (lat >= 0 ? 32600 : 32700) +
		    kcn_utm_zone(lon), text);
	}
	/* Rounded so that the same data always gives the same CRS text. */
	snprintf(def, sizeof(def), "+proj=laea +lat_0=%.4f +lon_0=%.4f "
	    "+x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs +type=crs",
	    round(lat * 1e4) / 1e4, round(lon * 1e4) / 1e4);
	return kcn_crs_parse(ctx, def, NULL);
}

/*
 * The CRS that TEXT, which is not one, was likely meant to be: a UTM zone
 * written "utm49", "UTM 49S" or "utm zone 52n"; the code of an
 * authority:code with trailing junk; or the CRS of the nearest name in
 * PROJ's database ("VN-2000 UTM 48" is VN-2000 / UTM zone 48N).  Writes
 * "EPSG:n (name)" into BUF; returns 0 when nothing is close.
 */
static int
crs_closest(struct kcn_ctx *ctx, const char *text, char *buf, size_t size)
{
	PJ_CONTEXT *pc = kcn_ctx_proj(ctx);
	PJ_TYPE types[] = { PJ_TYPE_PROJECTED_CRS, PJ_TYPE_GEOGRAPHIC_2D_CRS };
	char code[32] = "";
	const char *p = text;
	PJ_OBJ_LIST *l;
	PJ *crs = NULL;
	int zone;

	if (strncasecmp(p, "utm", 3) == 0) {
		p += 3;
		while (*p == ' ' || *p == '_' || *p == '-')
			p++;
		if (strncasecmp(p, "zone", 4) == 0)
			p += 4;
		while (*p == ' ' || *p == '_')
			p++;
		if ((zone = atoi(p)) >= 1 && zone <= 60) {
			while (*p >= '0' && *p <= '9')
				p++;
			while (*p == ' ')
				p++;
			snprintf(code, sizeof(code), "EPSG:%d", (*p == 's' ||
			    *p == 'S' ? 32700 : 32600) + zone);
		}
	} else if ((p = strchr(text, ':')) != NULL && p[1] >= '0' &&
	    p[1] <= '9') {
		snprintf(code, sizeof(code), "%.*s:%d", (int)(p - text) < 16 ?
		    (int)(p - text) : 16, text, atoi(p + 1));
	}
	if (*code)
		crs = proj_create(pc, code);
	else if ((l = proj_create_from_name(pc, NULL, text, types, 2, 1, 1,
	    NULL)) != NULL) {
		if (proj_list_get_count(l) > 0)
			crs = proj_list_get(pc, l, 0);
		proj_list_destroy(l);
	}
	if (crs == NULL)
		return 0;
	snprintf(buf, size, "%s:%s (%s)", proj_get_id_auth_name(crs, 0) ?
	    proj_get_id_auth_name(crs, 0) : "?", proj_get_id_code(crs, 0) ?
	    proj_get_id_code(crs, 0) : "?", proj_get_name(crs));
	proj_destroy(crs);
	return 1;
}

/* Whether TEXT is AUTHORITY:CODE with something that is not a number. */
static int
crs_bad_code(const char *text)
{
	const char *p = strchr(text, ':');

	if (p == NULL || strncasecmp(text, "EPSG:", 5) != 0)
		return 0;
	for (p++; *p; p++)
		if (*p < '0' || *p > '9')
			return 1;
	return 0;
}

OGRSpatialReferenceH
kcn_crs_parse(struct kcn_ctx *ctx, const char *text, const double ll[4])
{
	char near[300];

	OGRSpatialReferenceH srs;

	if (text == NULL || *text == '\0') {
		kcni_error(ctx, KCN_ECRS, "crs", "empty CRS");
		return NULL;
	}
	if (strcasecmp(text, "utm") == 0 || strcasecmp(text, "laea") == 0 ||
	    strcasecmp(text, "local") == 0)
		return crs_from_data(ctx, text, ll);
	srs = OSRNewSpatialReference(NULL);
	OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
	kcni_gdal_reset(ctx);
	if (crs_bad_code(text) || OSRSetFromUserInput(srs, text) !=
	    OGRERR_NONE) {
		int fail = kcni_gdal_failed(ctx);
		char why[600];

		snprintf(why, sizeof(why), "%s", fail ? kcni_gdal_msg(ctx) :
		    "");
		OSRRelease(srs);
		if (crs_closest(ctx, text, near, sizeof(near)))
			kcni_error(ctx, KCN_ECRS, text, "unknown CRS%s%s; did "
			    "you mean %s?", fail ? ": " : "", why, near);
		else
			kcni_error(ctx, KCN_ECRS, text, "unknown CRS%s%s; "
			    "give EPSG:n, WKT or a PROJ string (projinfo "
			    "--list-crs lists them)", fail ? ": " : "", why);
		return NULL;
	}
	/* SetFromUserInput resets the strategy for some inputs. */
	OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
	return srs;
}

enum kcn_status
kcn_extent_lonlat(struct kcn_ctx *ctx, OGRSpatialReferenceH srs,
    const double ext[4], double out[4])
{
	OGRSpatialReferenceH wgs;
	OGRCoordinateTransformationH ct;
	int ok;

	if (srs == NULL)
		return kcni_error(ctx, KCN_ECRS, "extent", "no CRS");
	wgs = kcn_crs_wgs84();
	kcni_gdal_reset(ctx);
	ct = OCTNewCoordinateTransformation(srs, wgs);
	OSRRelease(wgs);
	if (ct == NULL)
		return kcni_error(ctx, KCN_ECRS, "extent",
		    "no transformation to WGS 84: %s", kcni_gdal_msg(ctx));
	ok = OCTTransformBounds(ct, ext[0], ext[1], ext[2], ext[3],
	    &out[0], &out[1], &out[2], &out[3], 21);
	OCTDestroyCoordinateTransformation(ct);
	if (!ok || !isfinite(out[0]) || !isfinite(out[1]) ||
	    !isfinite(out[2]) || !isfinite(out[3]))
		return kcni_error(ctx, KCN_ECRS, "extent",
		    "extent cannot be transformed to longitude/latitude");
	return KCN_OK;
}

int
kcn_crs_epsg(OGRSpatialReferenceH srs)
{
	const char *auth, *code;
	OGRSpatialReferenceH *matches;
	int n = 0, *conf = NULL, epsg = 0;

	if (srs == NULL)
		return 0;
	auth = OSRGetAuthorityName(srs, NULL);
	code = OSRGetAuthorityCode(srs, NULL);
	if (auth != NULL && code != NULL && strcasecmp(auth, "EPSG") == 0)
		return atoi(code);
	/* A .prj holds ESRI WKT without codes: ask PROJ for a sure match. */
	matches = OSRFindMatches(srs, NULL, &n, &conf);
	if (matches != NULL && n > 0 && conf[0] >= 90) {
		auth = OSRGetAuthorityName(matches[0], NULL);
		code = OSRGetAuthorityCode(matches[0], NULL);
		if (auth != NULL && code != NULL &&
		    strcasecmp(auth, "EPSG") == 0)
			epsg = atoi(code);
	}
	OSRFreeSRSArray(matches);
	CPLFree(conf);
	return epsg;
}

char *
kcn_crs_label(OGRSpatialReferenceH srs)
{
	const char *name;
	char *s;
	int epsg;
	size_t len;

	if (srs == NULL)
		return strdup("none");
	name = OSRGetName(srs);
	if (name == NULL)
		name = "unnamed";
	epsg = kcn_crs_epsg(srs);
	len = strlen(name) + 32;
	if ((s = malloc(len)) == NULL)
		return NULL;
	if (epsg > 0)
		snprintf(s, len, "%s (EPSG:%d)", name, epsg);
	else
		snprintf(s, len, "%s", name);
	return s;
}

/* ---- suggestions for data without CRS ------------------------------- */

/* Overlap of two lon/lat boxes over their union: 1 the same, 0 apart. */
static double
crs_iou(const double a[4], const double b[4])
{
	double w = fmin(a[2], b[2]) - fmax(a[0], b[0]);
	double h = fmin(a[3], b[3]) - fmax(a[1], b[1]);
	double inter, uni;

	if (w <= 0 || h <= 0)
		return 0;
	inter = w * h;
	uni = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) -
	    inter;
	return uni > 0 ? inter / uni : 0;
}

int
kcn_crs_suggest(struct kcn_ctx *ctx, const double native[4],
    const double ref[4], struct kcn_crs_guess *out, int max)
{
	PJ_TYPE types[] = { PJ_TYPE_PROJECTED_CRS };
	PROJ_CRS_LIST_PARAMETERS *params;
	PROJ_CRS_INFO **list;
	int count = 0, n = 0;

	if ((params = proj_get_crs_list_parameters_create()) == NULL)
		return 0;
	params->types = types;
	params->typesCount = 1;
	params->bbox_valid = 1;
	params->crs_area_of_use_contains_bbox = 1;
	/* CRSs made for where the other layers are: the middle of them. */
	params->west_lon_degree = params->east_lon_degree =
	    (ref[0] + ref[2]) / 2;
	params->south_lat_degree = params->north_lat_degree =
	    (ref[1] + ref[3]) / 2;
	list = proj_get_crs_info_list_from_database(kcn_ctx_proj(ctx), "EPSG",
	    params, &count);
	proj_get_crs_list_parameters_destroy(params);
	for (int i = 0; list != NULL && i < count; i++) {
		OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
		double ll[4], score;
		int k;

		OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
		if (OSRImportFromEPSG(srs, atoi(list[i]->code)) != OGRERR_NONE ||
		    kcn_extent_lonlat(ctx, srs, native, ll) != KCN_OK) {
			kcn_ctx_clear(ctx);
			OSRRelease(srs);
			continue;
		}
		OSRRelease(srs);
		if ((score = crs_iou(ll, ref)) <= 0)
			continue;
		/* Insert in order, best first, dropping past MAX. */
		for (k = n; k > 0 && out[k - 1].score < score; k--)
			if (k < max)
				out[k] = out[k - 1];
		if (k < max) {
			out[k].epsg = atoi(list[i]->code);
			snprintf(out[k].name, sizeof(out[k].name), "%s",
			    list[i]->name);
			out[k].score = score;
		}
		if (n < max)
			n++;
	}
	proj_crs_info_list_destroy(list);
	return n;
}

enum kcn_status
kcni_layer_crs(struct kcn_ctx *ctx, const char *path, OGRLayerH layer,
    const char *s_srs, int has_s, OGRSpatialReferenceH *srs)
{
	OGRSpatialReferenceH own = OGR_L_GetSpatialRef(layer);

	*srs = NULL;
	if (s_srs != NULL) {
		if ((*srs = kcn_crs_parse(ctx, s_srs, NULL)) == NULL)
			return kcn_ctx_status(ctx);
		if (own != NULL)
			kcni_msg(ctx, KCN_MSG_WARNING, path, "the source's CRS "
			    "is replaced by %s, as -s asks", s_srs);
		return KCN_OK;
	}
	if (own == NULL)
		return kcni_error(ctx, KCN_ECRS, path, "no CRS: assign one "
		    "with %skcn-ingest -s, which suggests candidates", has_s ?
		    "-s, or with " : "");
	*srs = OSRClone(own);
	OSRSetAxisMappingStrategy(*srs, OAMS_TRADITIONAL_GIS_ORDER);
	return KCN_OK;
}
