/*
 * info.c: kcn-info's work.  A source is described once as a JSON tree
 * (json-c); the text output is rendered from the same tree, so the two
 * never disagree.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <json-c/json.h>

#include "kcn_internal.h"

#define INFO_EXAMPLES 5		/* invalid geometries listed by feature */

static json_object *
jnum(double v, int decimals)
{
	char buf[64];

	if (!isfinite(v))
		return NULL;
	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	/* "-0.000" reads badly and is not what the data says. */
	if (strspn(buf, "-0.") == strlen(buf))
		snprintf(buf, sizeof(buf), "%.*f", decimals, 0.0);
	return json_object_new_double_s(atof(buf), buf);
}

/* A number with at most DECIMALS decimals and no trailing zeros. */
static json_object *
jnum_trim(double v, int decimals)
{
	char buf[64], *e;

	if (!isfinite(v))
		return NULL;
	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	if (strchr(buf, '.') != NULL) {
		e = buf + strlen(buf) - 1;
		while (*e == '0')
			*e-- = '\0';
		if (*e == '.')
			*e = '\0';
	}
	if (strcmp(buf, "-0") == 0)
		strcpy(buf, "0");
	return json_object_new_double_s(atof(buf), buf);
}

static json_object *
jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static void
jadd(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

static json_object *
jextent(const double e[4], int decimals)
{
	json_object *a = json_object_new_array();

	for (int i = 0; i < 4; i++)
		json_object_array_add(a, jnum(e[i], decimals));
	return a;
}

static void
jnote(json_object *notes, const char *fmt, ...) KCNI_PRINTF(2, 3);

static void
jnote(json_object *notes, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object_array_add(notes, json_object_new_string(buf));
}

/* Whether PATH with its extension replaced by EXT (either case) exists. */
static int
info_sidecar(const char *path, const char *ext)
{
	VSIStatBufL st;
	char up[16];
	size_t i;

	if (VSIStatL(CPLResetExtension(path, ext), &st) == 0)
		return 1;
	for (i = 0; ext[i] && i < sizeof(up) - 1; i++)
		up[i] = (char)(ext[i] >= 'a' && ext[i] <= 'z' ? ext[i] - 32 :
		    ext[i]);
	up[i] = '\0';
	return VSIStatL(CPLResetExtension(path, up), &st) == 0;
}

/* ---- CRS ------------------------------------------------------------- */

static json_object *
info_crs(OGRSpatialReferenceH srs)
{
	json_object *o;
	char *units = NULL;
	int epsg;

	if (srs == NULL)
		return NULL;
	o = json_object_new_object();
	jadd(o, "name", jstr(OSRGetName(srs)));
	epsg = kcn_crs_epsg(srs);
	jadd(o, "epsg", epsg > 0 ? json_object_new_int(epsg) : NULL);
	if (OSRIsGeographic(srs)) {
		jadd(o, "type", jstr("geographic"));
		OSRGetAngularUnits(srs, &units);
	} else {
		jadd(o, "type", jstr(OSRIsProjected(srs) ? "projected" :
		    OSRIsGeocentric(srs) ? "geocentric" : "other"));
		OSRGetLinearUnits(srs, &units);
	}
	jadd(o, "units", jstr(units));
	return o;
}

/* Adds "extent" and "extent_lonlat" for extent E in SRS. */
static void
info_extent(struct kcn_ctx *ctx, json_object *o, OGRSpatialReferenceH srs,
    const double e[4], json_object *notes)
{
	double ll[4];
	int geo = srs != NULL && OSRIsGeographic(srs);
	int looks_ll = e[0] >= -180 && e[2] <= 180 && e[1] >= -90 &&
	    e[3] <= 90;

	jadd(o, "extent", jextent(e, geo || (srs == NULL && looks_ll) ? 7 :
	    3));
	if (srs == NULL) {
		jadd(o, "extent_lonlat", NULL);
		if (looks_ll)
			jnote(notes, "the coordinates look like longitude and "
			    "latitude (WGS 84 is EPSG:4326)");
		else if (e[0] >= -180 && e[2] <= 180 && e[1] >= -180 &&
		    e[3] <= 180)
			jnote(notes, "the coordinates look like degrees, but "
			    "some latitudes are beyond 90: longitude and "
			    "latitude swapped in some features?");
		else
			jnote(notes, "the coordinates are projected: metres "
			    "or feet of a national grid or UTM zone");
		return;
	}
	if (kcn_extent_lonlat(ctx, srs, e, ll) != KCN_OK) {
		jadd(o, "extent_lonlat", NULL);
		jnote(notes, "extent cannot be shown in lon/lat: %s",
		    kcn_ctx_errmsg(ctx));
		kcn_ctx_clear(ctx);
		return;
	}
	jadd(o, "extent_lonlat", jextent(ll, 7));
	if (ll[0] < -180.0001 || ll[2] > 180.0001 || ll[1] < -90.0001 ||
	    ll[3] > 90.0001)
		jnote(notes, "lon/lat extent is outside the Earth: is the CRS "
		    "right?");
}

/* ---- encoding -------------------------------------------------------- */

/* The code page a DXF header declares in $DWGCODEPAGE, or NULL. */
static char *
info_dxf_codepage(const char *path)
{
	VSILFILE *f = VSIFOpenL(path, "rb");
	char buf[65536], *p, *q, *res = NULL;
	size_t n;

	if (f == NULL)
		return NULL;
	n = VSIFReadL(buf, 1, sizeof(buf) - 1, f);
	VSIFCloseL(f);
	buf[n] = '\0';
	if ((p = strstr(buf, "$DWGCODEPAGE")) == NULL)
		return NULL;
	/* The name's line, the group code line, then the value. */
	for (int line = 0; line < 2 && p; line++)
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	if (p == NULL)
		return NULL;
	p += strspn(p, " \t");
	q = p + strcspn(p, "\r\n");
	if (q > p && (res = malloc((size_t)(q - p) + 1)) != NULL) {
		memcpy(res, p, (size_t)(q - p));
		res[q - p] = '\0';
	}
	return res;
}

static json_object *
info_encoding(const char *path, const char *driver, OGRLayerH layer,
    json_object *notes)
{
	json_object *o = json_object_new_object();
	const char *enc = NULL, *from = "unknown";
	char *cp = NULL;

	if (strcmp(driver, "ESRI Shapefile") == 0) {
		const char *cpg = GDALGetMetadataItem((GDALMajorObjectH)layer,
		    "ENCODING_FROM_CPG", "SHAPEFILE");
		const char *ldid = GDALGetMetadataItem((GDALMajorObjectH)layer,
		    "ENCODING_FROM_LDID", "SHAPEFILE");

		if (cpg != NULL && *cpg) {
			enc = cpg;
			from = ".cpg";
		} else if (ldid != NULL && *ldid) {
			enc = ldid;
			from = "language driver id";
		} else {
			jnote(notes, "no .cpg and no language driver id: text "
			    "encoding unknown (GDAL passes the bytes on "
			    "undecoded); give it with kcn-ingest --encoding");
		}
		if (!info_sidecar(path, "cpg") && enc != NULL)
			jnote(notes, "no .cpg: encoding taken from the DBF "
			    "language driver id");
	} else if (strcmp(driver, "DXF") == 0) {
		if ((cp = info_dxf_codepage(path)) != NULL) {
			enc = cp;
			from = "$DWGCODEPAGE";
		}
	} else if (kcni_driver_utf8(driver)) {
		enc = "UTF-8";
		from = "format";
	} else if (strcmp(driver, "CSV") == 0) {
		enc = "UTF-8";
		from = "assumed";
	}
	jadd(o, "name", jstr(enc));
	jadd(o, "from", jstr(from));
	free(cp);
	return o;
}

/* ---- vector layers --------------------------------------------------- */

/* Reads every feature: geometry types, invalid, empty and null counts. */
static enum kcn_status
info_check_layer(struct kcn_ctx *ctx, struct kcn_source *src, OGRLayerH layer,
    json_object *lo)
{
	GEOSContextHandle_t h = kcn_ctx_geos(ctx);
	struct kcn_reader *rd;
	OGRFeatureH f;
	enum kcn_status st;
	json_object *types = json_object_new_object();
	json_object *ex = json_object_new_array(), *c;
	long long invalid = 0, empty = 0, null = 0, unreadable = 0;
	double total = (double)OGR_L_GetFeatureCount(layer, FALSE);

	if ((rd = kcn_reader_new(ctx, src, OGR_L_GetName(layer))) == NULL) {
		json_object_put(types);
		json_object_put(ex);
		return kcn_ctx_status(ctx);
	}
	for (;;) {
		OGRGeometryH g;
		GEOSGeometry *gg;
		const char *tname;
		char *reason = NULL;
		json_object *cnt;

		st = kcn_reader_next(ctx, rd, &f);
		if (st != KCN_OK && f == NULL)
			break;
		if (f == NULL)
			break;
		kcni_progress(ctx, OGR_L_GetName(layer),
		    (double)kcn_reader_count(rd), total > 0 ? total : 0, 0);
		if (st != KCN_OK) {
			/* Read with an error: counted, reported, not hidden. */
			unreadable++;
			kcni_msg(ctx, KCN_MSG_WARNING, kcn_ctx_where(ctx), "%s",
			    kcn_ctx_errmsg(ctx));
			kcn_ctx_clear(ctx);
		}
		g = OGR_F_GetGeometryRef(f);
		if (g == NULL) {
			null++;
			tname = "None";
		} else {
			tname = OGRGeometryTypeToName(wkbFlatten(
			    OGR_G_GetGeometryType(g)));
			if (OGR_G_IsEmpty(g)) {
				empty++;
			} else if ((gg = kcn_geom_to_geos(ctx, g)) == NULL) {
				invalid++;
				reason = strdup(kcn_ctx_errmsg(ctx));
				kcn_ctx_clear(ctx);
			} else {
				if (GEOSisValid_r(h, gg) != 1) {
					invalid++;
					reason = GEOSisValidReason_r(h, gg);
				}
				GEOSGeom_destroy_r(h, gg);
			}
		}
		if (json_object_object_get_ex(types, tname, &cnt))
			json_object_int_inc(cnt, 1);
		else
			jadd(types, tname, json_object_new_int64(1));
		if (reason != NULL && json_object_array_length(ex) <
		    INFO_EXAMPLES) {
			json_object *e = json_object_new_object();

			jadd(e, "fid", json_object_new_int64(OGR_F_GetFID(f)));
			jadd(e, "reason", json_object_new_string(reason));
			json_object_array_add(ex, e);
		}
		if (reason != NULL)
			free(reason);
		OGR_F_Destroy(f);
	}
	kcni_progress(ctx, OGR_L_GetName(layer), (double)kcn_reader_count(rd),
	    total > 0 ? total : 0, 1);
	c = json_object_new_object();
	jadd(c, "features_read", json_object_new_int64(kcn_reader_count(rd)));
	jadd(c, "geometry_types", types);
	jadd(c, "invalid", json_object_new_int64(invalid));
	jadd(c, "empty", json_object_new_int64(empty));
	jadd(c, "null", json_object_new_int64(null));
	jadd(c, "unreadable", json_object_new_int64(unreadable));
	jadd(c, "invalid_examples", ex);
	jadd(lo, "check", c);
	kcn_reader_free(rd);
	if (st == KCN_OK && unreadable > 0)
		st = kcni_error(ctx, KCN_EDATA, kcn_source_name(src),
		    "%lld features could not be read whole", unreadable);
	return st;
}

static const char *
info_field_type(OGRFieldDefnH fd)
{
	OGRFieldSubType sub = OGR_Fld_GetSubType(fd);

	if (sub != OFSTNone)
		return OGR_GetFieldSubTypeName(sub);
	return OGR_GetFieldTypeName(OGR_Fld_GetType(fd));
}

static enum kcn_status
info_layer(struct kcn_ctx *ctx, struct kcn_source *src, const char *driver,
    OGRLayerH layer, const struct kcn_info_opts *opts, json_object *lo)
{
	OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
	OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
	OGREnvelope env;
	json_object *fields = json_object_new_array();
	json_object *notes = json_object_new_array();
	const char *path = kcn_source_name(src);
	enum kcn_status st = KCN_OK;
	VSIStatBufL sb;

	/* A folder of shapefiles: each layer is a file of its own. */
	if (strcmp(driver, "ESRI Shapefile") == 0 && VSIStatL(path, &sb) == 0 &&
	    VSI_ISDIR(sb.st_mode))
		path = CPLFormFilename(path, OGR_L_GetName(layer), "shp");
	GIntBig count;
	int i;

	jadd(lo, "name", jstr(OGR_L_GetName(layer)));
	jadd(lo, "geometry_type", jstr(OGRGeometryTypeToName(
	    OGR_L_GetGeomType(layer))));
	kcni_gdal_reset(ctx);
	count = OGR_L_GetFeatureCount(layer, TRUE);
	jadd(lo, "feature_count", count >= 0 ?
	    json_object_new_int64(count) : NULL);
	if (srs != NULL) {
		srs = OSRClone(srs);
		OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
	}
	jadd(lo, "crs", info_crs(srs));
	if (srs == NULL && OGR_L_GetGeomType(layer) != wkbNone) {
		if (strcmp(driver, "ESRI Shapefile") == 0 &&
		    !info_sidecar(path, "prj"))
			jnote(notes, "no CRS (no .prj): assign one with kcn-ingest -s");
		else
			jnote(notes, "no CRS: assign one with kcn-ingest -s");
	}
	if (OGR_L_GetGeomType(layer) != wkbNone && count != 0 &&
	    OGR_L_GetExtent(layer, &env, TRUE) == OGRERR_NONE) {
		double e[4] = { env.MinX, env.MinY, env.MaxX, env.MaxY };

		info_extent(ctx, lo, srs, e, notes);
	} else {
		jadd(lo, "extent", NULL);
		jadd(lo, "extent_lonlat", NULL);
	}
	if (count == 0)
		jnote(notes, "empty layer");
	jadd(lo, "encoding", info_encoding(path, driver, layer, notes));
	if (strcmp(driver, "ESRI Shapefile") == 0 &&
	    kcni_shp_truncated(path) > 0) {
		jnote(notes, "the .shp file is shorter than its header says: "
		    "truncated");
		st = kcni_error(ctx, KCN_EDATA, path, "truncated: the .shp "
		    "header says %lld bytes, the file is shorter",
		    kcni_shp_truncated(path));
	}
	for (i = 0; i < OGR_FD_GetFieldCount(defn); i++) {
		OGRFieldDefnH fd = OGR_FD_GetFieldDefn(defn, i);
		json_object *f = json_object_new_object();

		jadd(f, "name", jstr(OGR_Fld_GetNameRef(fd)));
		jadd(f, "type", jstr(info_field_type(fd)));
		jadd(f, "width", json_object_new_int(OGR_Fld_GetWidth(fd)));
		jadd(f, "precision", json_object_new_int(
		    OGR_Fld_GetPrecision(fd)));
		json_object_array_add(fields, f);
	}
	jadd(lo, "fields", fields);
	if (opts->check && st == KCN_OK)
		st = info_check_layer(ctx, src, layer, lo);
	jadd(lo, "notes", notes);
	if (srs != NULL)
		OSRRelease(srs);
	return st;
}

/* ---- rasters --------------------------------------------------------- */

/* Exact min, max, mean and sum of a band, skipping nodata. */
static enum kcn_status
info_band_exact(struct kcn_ctx *ctx, GDALRasterBandH b, json_object *bo,
    const char *where)
{
	int w = GDALGetRasterBandXSize(b), hgt = GDALGetRasterBandYSize(b);
	int hasnd = 0;
	double nd = GDALGetRasterNoDataValue(b, &hasnd);
	double *row = malloc((size_t)w * sizeof(double));
	double mn = INFINITY, mx = -INFINITY, sum = 0;
	long long n = 0, nodata = 0;

	if (row == NULL)
		return kcni_error(ctx, KCN_EOS, where, "out of memory");
	for (int y = 0; y < hgt; y++) {
		kcni_gdal_reset(ctx);
		if (GDALRasterIO(b, GF_Read, 0, y, w, 1, row, w, 1,
		    GDT_Float64, 0, 0) != CE_None) {
			free(row);
			return kcni_error(ctx, KCN_EDATA, where,
			    "cannot read row %d: %s", y, kcni_gdal_msg(ctx));
		}
		for (int x = 0; x < w; x++) {
			double v = row[x];

			if ((hasnd && (v == nd || (isnan(nd) && isnan(v)))) ||
			    isnan(v)) {
				nodata++;
				continue;
			}
			mn = v < mn ? v : mn;
			mx = v > mx ? v : mx;
			sum += v;
			n++;
		}
	}
	free(row);
	jadd(bo, "min", n ? jnum_trim(mn, 6) : NULL);
	jadd(bo, "max", n ? jnum_trim(mx, 6) : NULL);
	jadd(bo, "mean", n ? jnum_trim(sum / n, 6) : NULL);
	jadd(bo, "sum", jnum_trim(sum, 3));
	jadd(bo, "valid_cells", json_object_new_int64(n));
	jadd(bo, "nodata_cells", json_object_new_int64(nodata));
	return KCN_OK;
}

static enum kcn_status
info_raster(struct kcn_ctx *ctx, GDALDatasetH ds, const char *where,
    const struct kcn_info_opts *opts, json_object *ro, json_object *notes)
{
	int w = GDALGetRasterXSize(ds), h = GDALGetRasterYSize(ds);
	int nb = GDALGetRasterCount(ds), has_gt;
	double gt[6];
	OGRSpatialReferenceH srs = GDALGetSpatialRef(ds);
	json_object *bands = json_object_new_array();
	enum kcn_status st = KCN_OK;

	jadd(ro, "width", json_object_new_int(w));
	jadd(ro, "height", json_object_new_int(h));
	if (srs != NULL) {
		srs = OSRClone(srs);
		OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
	} else {
		jnote(notes, "no CRS: assign one with kcn-ingest -s");
	}
	jadd(ro, "crs", info_crs(srs));
	has_gt = GDALGetGeoTransform(ds, gt) == CE_None;
	if (has_gt) {
		double xs[4] = { 0, w, 0, w }, ys[4] = { 0, 0, h, h };
		double e[4] = { INFINITY, INFINITY, -INFINITY, -INFINITY };
		json_object *px = json_object_new_array();
		int geo = srs != NULL && OSRIsGeographic(srs);

		for (int i = 0; i < 4; i++) {
			double X = gt[0] + xs[i] * gt[1] + ys[i] * gt[2];
			double Y = gt[3] + xs[i] * gt[4] + ys[i] * gt[5];

			e[0] = fmin(e[0], X);
			e[1] = fmin(e[1], Y);
			e[2] = fmax(e[2], X);
			e[3] = fmax(e[3], Y);
		}
		json_object_array_add(px, jnum(gt[1], geo ? 9 : 3));
		json_object_array_add(px, jnum(fabs(gt[5]), geo ? 9 : 3));
		jadd(ro, "pixel_size", px);
		info_extent(ctx, ro, srs, e, notes);
	} else {
		jnote(notes, "no georeferencing");
		jadd(ro, "pixel_size", NULL);
		jadd(ro, "extent", NULL);
		jadd(ro, "extent_lonlat", NULL);
	}
	for (int i = 1; i <= nb && st == KCN_OK; i++) {
		GDALRasterBandH b = GDALGetRasterBand(ds, i);
		json_object *bo = json_object_new_object();
		double nd, mn, mx, mean, sd;
		int hasnd = 0;

		jadd(bo, "band", json_object_new_int(i));
		jadd(bo, "type", jstr(GDALGetDataTypeName(
		    GDALGetRasterDataType(b))));
		nd = GDALGetRasterNoDataValue(b, &hasnd);
		jadd(bo, "nodata", hasnd ? (isnan(nd) ? jstr("nan") :
		    jnum_trim(nd, 6)) : NULL);
		jadd(bo, "description", *GDALGetDescription(b) ?
		    jstr(GDALGetDescription(b)) : NULL);
		if (opts->check) {
			st = info_band_exact(ctx, b, bo, where);
		} else {
			kcni_gdal_reset(ctx);
			if (GDALComputeRasterStatistics(b, TRUE, &mn, &mx,
			    &mean, &sd, NULL, NULL) == CE_None) {
				jadd(bo, "min", jnum_trim(mn, 6));
				jadd(bo, "max", jnum_trim(mx, 6));
				jadd(bo, "mean", jnum_trim(mean, 6));
				jadd(bo, "approximate", json_object_new_boolean(
				    1));
			}
		}
		json_object_array_add(bands, bo);
	}
	jadd(ro, "bands", bands);
	if (srs != NULL)
		OSRRelease(srs);
	return st;
}

/* ---- text rendering ------------------------------------------------- */

static const char *
tget(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	return json_object_get_string(v);
}

static json_object *
oget(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static void
text_extent(FILE *out, const char *ind, json_object *o)
{
	json_object *e = oget(o, "extent"), *ll = oget(o, "extent_lonlat");

	if (e != NULL)
		fprintf(out, "%sextent: %s %s %s %s\n", ind,
		    json_object_get_string(json_object_array_get_idx(e, 0)),
		    json_object_get_string(json_object_array_get_idx(e, 1)),
		    json_object_get_string(json_object_array_get_idx(e, 2)),
		    json_object_get_string(json_object_array_get_idx(e, 3)));
	if (ll != NULL)
		fprintf(out, "%slon/lat: %s %s %s %s\n", ind,
		    json_object_get_string(json_object_array_get_idx(ll, 0)),
		    json_object_get_string(json_object_array_get_idx(ll, 1)),
		    json_object_get_string(json_object_array_get_idx(ll, 2)),
		    json_object_get_string(json_object_array_get_idx(ll, 3)));
	else if (e != NULL)
		fprintf(out, "%slon/lat: unknown\n", ind);
}

static void
text_crs(FILE *out, const char *ind, json_object *o)
{
	json_object *crs = oget(o, "crs");
	const char *epsg;

	if (crs == NULL) {
		fprintf(out, "%scrs: none\n", ind);
		return;
	}
	epsg = tget(crs, "epsg");
	fprintf(out, "%scrs: %s%s%s%s, %s, %s\n", ind, tget(crs, "name"),
	    epsg ? " (EPSG:" : "", epsg ? epsg : "", epsg ? ")" : "",
	    tget(crs, "type"), tget(crs, "units") ? tget(crs, "units") :
	    "unknown units");
}

static void
text_notes(FILE *out, const char *ind, json_object *notes)
{
	for (size_t i = 0; notes && i < json_object_array_length(notes); i++)
		fprintf(out, "%snote: %s\n", ind, json_object_get_string(
		    json_object_array_get_idx(notes, i)));
}

static void
text_layer(FILE *out, json_object *lo)
{
	json_object *fields = oget(lo, "fields"), *enc = oget(lo, "encoding");
	json_object *c = oget(lo, "check");
	const char *cnt = tget(lo, "feature_count");

	fprintf(out, "  layer: %s\n", tget(lo, "name"));
	fprintf(out, "    geometry: %s\n", tget(lo, "geometry_type"));
	fprintf(out, "    features: %s\n", cnt ? cnt : "unknown");
	text_crs(out, "    ", lo);
	text_extent(out, "    ", lo);
	fprintf(out, "    encoding: %s", tget(enc, "name") ? tget(enc, "name") :
	    "unknown");
	if (strcmp(tget(enc, "from"), "assumed") == 0)
		fprintf(out, " (assumed)");
	else if (strcmp(tget(enc, "from"), "unknown") != 0)
		fprintf(out, " (from %s)", tget(enc, "from"));
	fprintf(out, "\n    fields: %zu\n", json_object_array_length(fields));
	for (size_t i = 0; i < json_object_array_length(fields); i++) {
		json_object *f = json_object_array_get_idx(fields, i);
		int wd = json_object_get_int(oget(f, "width"));
		int pr = json_object_get_int(oget(f, "precision"));

		fprintf(out, "      %s: %s", tget(f, "name"), tget(f, "type"));
		if (wd > 0 && pr > 0)
			fprintf(out, "(%d.%d)", wd, pr);
		else if (wd > 0)
			fprintf(out, "(%d)", wd);
		fputc('\n', out);
	}
	if (c != NULL) {
		json_object *types = oget(c, "geometry_types");
		json_object *ex = oget(c, "invalid_examples");
		const char *sep = "";

		fprintf(out, "    check: %s read;", tget(c, "features_read"));
		json_object_object_foreach(types, k, v) {
			fprintf(out, "%s %s %s", sep, json_object_get_string(v),
			    k);
			sep = ",";
		}
		fprintf(out, "; %s invalid, %s empty, %s null",
		    tget(c, "invalid"), tget(c, "empty"), tget(c, "null"));
		if (json_object_get_int64(oget(c, "unreadable")) > 0)
			fprintf(out, ", %s unreadable", tget(c, "unreadable"));
		fputc('\n', out);
		for (size_t i = 0; i < json_object_array_length(ex); i++) {
			json_object *e = json_object_array_get_idx(ex, i);

			fprintf(out, "      invalid: fid %s: %s\n",
			    tget(e, "fid"), tget(e, "reason"));
		}
	}
	text_notes(out, "    ", oget(lo, "notes"));
}

static void
text_raster(FILE *out, json_object *ro)
{
	json_object *bands = oget(ro, "bands"), *px = oget(ro, "pixel_size");

	fprintf(out, "  raster: %s x %s, %zu band%s\n", tget(ro, "width"),
	    tget(ro, "height"), json_object_array_length(bands),
	    json_object_array_length(bands) == 1 ? "" : "s");
	text_crs(out, "    ", ro);
	if (px != NULL)
		fprintf(out, "    pixel size: %s x %s\n",
		    json_object_get_string(json_object_array_get_idx(px, 0)),
		    json_object_get_string(json_object_array_get_idx(px, 1)));
	text_extent(out, "    ", ro);
	for (size_t i = 0; i < json_object_array_length(bands); i++) {
		json_object *b = json_object_array_get_idx(bands, i);
		const char *nd = tget(b, "nodata");

		fprintf(out, "    band %s: %s, nodata %s", tget(b, "band"),
		    tget(b, "type"), nd ? nd : "none");
		if (tget(b, "min") != NULL)
			fprintf(out, ", min %s, max %s, mean %s%s",
			    tget(b, "min"), tget(b, "max"), tget(b, "mean"),
			    oget(b, "approximate") ? " (approximate)" : "");
		if (tget(b, "sum") != NULL)
			fprintf(out, ", sum %s, %s valid cells",
			    tget(b, "sum"), tget(b, "valid_cells"));
		fputc('\n', out);
	}
}

static void
text_source(FILE *out, json_object *o)
{
	json_object *layers = oget(o, "layers"), *ro = oget(o, "raster");

	fprintf(out, "%s\n", tget(o, "source"));
	fprintf(out, "  driver: %s (%s)\n", tget(o, "driver"),
	    tget(o, "kind"));
	for (size_t i = 0; layers && i < json_object_array_length(layers); i++)
		text_layer(out, json_object_array_get_idx(layers, i));
	if (ro != NULL)
		text_raster(out, ro);
	text_notes(out, "  ", oget(o, "notes"));
}

/* ---- entry point ----------------------------------------------------- */

enum kcn_status
kcn_info_run(struct kcn_ctx *ctx, const char *path,
    const struct kcn_info_opts *opts, FILE *out)
{
	struct kcn_source *src;
	json_object *o = json_object_new_object();
	json_object *notes = json_object_new_array();
	enum kcn_status st = KCN_OK;
	GDALDatasetH ds;
	GDALDriverH drv;
	const char *driver;
	int nl, nb;

	jadd(o, "source", jstr(path));
	/* Statistics must never leave .aux.xml files beside the input. */
	CPLSetThreadLocalConfigOption("GDAL_PAM_ENABLED", "NO");
	src = kcn_source_open(ctx, path, KCN_OPEN_VECTOR | KCN_OPEN_RASTER |
	    KCN_OPEN_SEEKABLE);
	if (src == NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	ds = kcn_source_dataset(src);
	drv = GDALGetDatasetDriver(ds);
	driver = GDALGetDriverShortName(drv);
	nl = GDALDatasetGetLayerCount(ds);
	nb = GDALGetRasterCount(ds);
	jadd(o, "driver", jstr(driver));
	jadd(o, "driver_long", jstr(GDALGetDriverLongName(drv)));
	jadd(o, "kind", jstr(nl && nb ? "vector+raster" : nb ? "raster" :
	    "vector"));
	if (nl > 0) {
		json_object *layers = json_object_new_array();

		for (int i = 0; i < nl && st == KCN_OK; i++) {
			json_object *lo = json_object_new_object();

			json_object_array_add(layers, lo);
			st = info_layer(ctx, src, driver,
			    GDALDatasetGetLayer(ds, i), opts, lo);
		}
		jadd(o, "layers", layers);
	}
	if (nb > 0 && st == KCN_OK) {
		json_object *ro = json_object_new_object();

		jadd(o, "raster", ro);
		st = info_raster(ctx, ds, path, opts, ro, notes);
	}
	if (nl == 0 && nb == 0)
		jnote(notes, "no layers and no raster bands");
	st = kcn_status_worst(st, kcn_source_close(ctx, src) == KCN_OK ?
	    KCN_OK : kcn_ctx_status(ctx));
out:
	CPLSetThreadLocalConfigOption("GDAL_PAM_ENABLED", NULL);
	jadd(o, "notes", notes);
	if (st != KCN_OK) {
		json_object *e = json_object_new_object();

		jadd(e, "status", json_object_new_int(kcn_exit_code(st)));
		jadd(e, "where", jstr(kcn_ctx_where(ctx)));
		jadd(e, "message", jstr(kcn_ctx_errmsg(ctx)));
		jadd(o, "error", e);
	}
	if (opts->json)
		fprintf(out, "%s\n", json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
	else if (st == KCN_OK || oget(o, "driver") != NULL)
		text_source(out, o);
	json_object_put(o);
	return st;
}
