/*
 * ingest.c: kcn-ingest's work: one layer in, every geometry through GEOS,
 * all text decoded to UTF-8, one stream out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <strings.h>

#include <cpl_conv.h>
#include <json-c/json.h>
#include <cpl_string.h>

#include "kcn_internal.h"


/*
 * The output's fields when --fields, --rename, --add or --snake-case
 * change them: a definition of its own, and where each value comes from.
 */
struct ingest_schema {
	OGRFeatureDefnH defn;	/* NULL: the source's fields as they are */
	int *map;		/* source field -> output field, or -1 */
	char **values;		/* per output field: a constant, or NULL */
	int nvalues;
};

/* What the workers need to know, shared and read-only. */
struct ingest_conf {
	const char *encoding;	/* NULL: UTF-8 */
	int forced;		/* --encoding: no value is judged */
	atomic_llong utf8_kept;	/* UTF-8 values met among legacy text */
	enum kcn_on_invalid on_invalid;
	int keep_empty;
	int force_2d;
	int dim;		/* the layer's kind: 2 areas, 1 lines, 0 points,
				   -1 mixed or unknown */
	int geographic;		/* the CRS is longitude/latitude */
	int cad;		/* DXF: closed polylines are areas */
	struct ingest_schema schema;
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
	/*
	 * GDAL 3.6 reads a CAD drawing's closed polyline as a closed line;
	 * in a plan it is an area, such as a planner's zone.
	 */
	if (c->cad && wkbFlatten(OGR_G_GetGeometryType(g)) == wkbLineString &&
	    OGR_G_GetPointCount(g) >= 4 && OGR_G_IsRing(g)) {
		g = OGR_G_ForceToPolygon(OGR_F_StealGeometry(f));
		OGR_F_SetGeometryDirectly(f, g);
	}
	if (c->geographic) {
		OGREnvelope e;

		OGR_G_GetEnvelope(g, &e);
		/* Longitudes past +-180 are how shapes across the
		   antimeridian are often written (179 to 181). */
		if (e.MinX < -360 || e.MaxX > 360 || e.MinY < -90 ||
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
	if (!kcni_geom_surely_valid(h, gg) && GEOSisValid_r(h, gg) != 1) {
		ingest_reason(h, gg, reason, sizeof(reason));
		if (c->on_invalid != KCN_INVALID_REPAIR) {
			GEOSGeom_destroy_r(h, gg);
			return kcni_error(ctx, c->on_invalid == KCN_INVALID_FAIL ?
			    KCN_EDATA : KCN_REJECTED, "geometry", "invalid "
			    "geometry: %s", reason);
		}
		/* A layer of any kind: the feature keeps its own. */
		fixed = kcn_geom_repair(ctx, gg, c->dim >= 0 ? c->dim :
		    ingest_dim(OGR_G_GetGeometryType(g)));
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
	int cand;		/* the code page's script, or -1 */
	long long utf8_kept;
	OGRFeatureDefnH defn;	/* the fields below are for this one */
	int *fields, nfields;
};

/*
 * A value of a legacy code page layer that is also valid UTF-8: delivered
 * files mix both when some records were edited with newer software.  The
 * reading whose letters fit the code page's script better wins; without a
 * known script, UTF-8 (valid multi-byte UTF-8 is rare in legacy text).
 * Returns the text to keep: S itself or DECODED.
 */
static const char *
ingest_judge(struct ingest_text *t, const char *s, const char *decoded)
{
	double as_utf8, as_legacy;

	if (decoded == NULL)
		return s;
	if (t->cand < 0)
		return s;
	as_utf8 = kcni_text_fit_utf8(t->cand, s);
	as_legacy = kcni_text_fit_utf8(t->cand, decoded);
	return as_utf8 > as_legacy || (isnan(as_legacy) && !isnan(as_utf8)) ?
	    s : decoded;
}

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
		u = kcni_text_decode(t->dec, s);
		if (enc != NULL && !t->conf->forced && u != s &&
		    CPLIsUTF8(s, -1) && (u = ingest_judge(t, s, u)) == s) {
			t->utf8_kept++;
			continue;
		}
		if (u == NULL)
			return kcni_error(ctx, KCN_REJECTED, "text", "field %s "
			    "is not valid %s text%s", OGR_Fld_GetNameRef(
			    OGR_FD_GetFieldDefn(defn, i)), enc ? enc : "UTF-8",
			    enc ? "" : ": give its code page with --encoding");
		if (u != s)
			OGR_F_SetFieldString(f, i, u);
	}
	return KCN_OK;
}


/* "DanSo", "TEN PHUONG" -> "dan_so", "ten_phuong"; other bytes kept. */
static void
ingest_snake(const char *in, char *out, size_t size)
{
	size_t n = 0;
	int prev = 0;		/* previous input byte */

	for (const unsigned char *p = (const unsigned char *)in; *p &&
	    n + 2 < size; prev = *p++) {
		if (*p >= 'A' && *p <= 'Z') {
			if (n > 0 && ((prev >= 'a' && prev <= 'z') ||
			    (prev >= '0' && prev <= '9')))
				out[n++] = '_';
			out[n++] = (char)(*p + 32);
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= '0' &&
		    *p <= '9') || *p >= 0x80) {
			out[n++] = (char)*p;
		} else if (n > 0 && out[n - 1] != '_') {
			out[n++] = '_';
		}
	}
	while (n > 0 && out[n - 1] == '_')
		n--;
	out[n] = '\0';
	if (n == 0)
		snprintf(out, size, "field");
}

static void
ingest_schema_free(struct ingest_schema *sc)
{
	if (sc->defn != NULL)
		OGR_FD_Release(sc->defn);
	free(sc->map);
	/* Mostly NULL entries: not a list CSLDestroy could walk. */
	for (int i = 0; i < sc->nvalues; i++)
		CPLFree(sc->values[i]);
	free(sc->values);
	memset(sc, 0, sizeof(*sc));
}

/* Splits "name=value"; returns 0 when there is no '=' or no name. */
static int
ingest_pair(const char *s, char *name, size_t size, const char **value)
{
	const char *eq = strchr(s, '=');

	if (eq == NULL || eq == s || (size_t)(eq - s) >= size)
		return 0;
	snprintf(name, size, "%.*s", (int)(eq - s), s);
	*value = eq + 1;
	return 1;
}

static enum kcn_status
ingest_schema_build(struct kcn_ctx *ctx, OGRFeatureDefnH src,
    const struct kcn_ingest_opts *o, int force, struct ingest_schema *sc)
{
	int nsrc = OGR_FD_GetFieldCount(src), nsel = 0, i, j;
	int *sel = NULL;
	char **names = NULL, **list = NULL, name[256], snake[256];
	const char *value = NULL;
	enum kcn_status st = KCN_OK;

	memset(sc, 0, sizeof(*sc));
	if (!force && o->fields == NULL && o->rename == NULL &&
	    o->add == NULL && !o->snake_case)
		return KCN_OK;
	sel = calloc(nsrc + 1, sizeof(int));
	sc->map = malloc((nsrc + 1) * sizeof(int));
	if (sel == NULL || sc->map == NULL) {
		st = kcni_error(ctx, KCN_EOS, "fields", "out of memory");
		goto out;
	}
	for (i = 0; i < nsrc; i++)
		sc->map[i] = -1;
	/* Which source fields, in which order. */
	if (o->fields != NULL) {
		list = CSLTokenizeString2(o->fields, ",", CSLT_STRIPLEADSPACES |
		    CSLT_STRIPENDSPACES);
		for (j = 0; list != NULL && list[j] != NULL; j++) {
			i = OGR_FD_GetFieldIndex(src, list[j]);
			if (i < 0 || sc->map[i] >= 0) {
				st = kcni_error(ctx, KCN_EUSAGE, "--fields",
				    i < 0 ? "no field named '%s'" :
				    "'%s' is listed twice", list[j]);
				goto out;
			}
			sc->map[i] = nsel;
			sel[nsel++] = i;
		}
	} else {
		for (i = 0; i < nsrc; i++) {
			sc->map[i] = nsel;
			sel[nsel++] = i;
		}
	}
	for (j = 0; j < nsel; j++)
		names = CSLAddString(names, OGR_Fld_GetNameRef(
		    OGR_FD_GetFieldDefn(src, sel[j])));
	for (j = 0; o->rename != NULL && o->rename[j] != NULL; j++) {
		if (!ingest_pair(o->rename[j], name, sizeof(name), &value) ||
		    *value == '\0') {
			st = kcni_error(ctx, KCN_EUSAGE, "--rename", "'%s' is "
			    "not OLD=NEW", o->rename[j]);
			goto out;
		}
		i = OGR_FD_GetFieldIndex(src, name);
		if (i < 0 || sc->map[i] < 0) {
			st = kcni_error(ctx, KCN_EUSAGE, "--rename",
			    "no field named '%s' in the output", name);
			goto out;
		}
		CPLFree(names[sc->map[i]]);
		names[sc->map[i]] = CPLStrdup(value);
	}
	for (j = 0; o->add != NULL && o->add[j] != NULL; j++) {
		if (!ingest_pair(o->add[j], name, sizeof(name), &value)) {
			st = kcni_error(ctx, KCN_EUSAGE, "--add", "'%s' is not "
			    "NAME=VALUE", o->add[j]);
			goto out;
		}
		names = CSLAddString(names, name);
	}
	sc->nvalues = CSLCount(names);
	sc->values = calloc(sc->nvalues + 1, sizeof(char *));
	if (sc->values == NULL) {
		st = kcni_error(ctx, KCN_EOS, "fields", "out of memory");
		goto out;
	}
	for (j = 0; o->add != NULL && o->add[j] != NULL; j++) {
		ingest_pair(o->add[j], name, sizeof(name), &value);
		sc->values[nsel + j] = CPLStrdup(value);
	}
	/* Names last: snake_case, then no two alike in any case. */
	for (j = 0; names[j] != NULL; j++) {
		if (o->snake_case) {
			ingest_snake(names[j], snake, sizeof(snake));
			CPLFree(names[j]);
			names[j] = CPLStrdup(snake);
		}
		for (i = 0; i < j; i++)
			if (strcasecmp(names[i], names[j]) == 0) {
				st = kcni_error(ctx, KCN_EUSAGE, "fields",
				    "two output fields named '%s'", names[j]);
				goto out;
			}
	}
	sc->defn = OGR_FD_Create(OGR_FD_GetName(src));
	OGR_FD_Reference(sc->defn);
	for (j = 0; names[j] != NULL; j++) {
		OGRFieldDefnH fd;

		if (j < nsel) {
			OGRFieldDefnH s0 = OGR_FD_GetFieldDefn(src, sel[j]);

			fd = OGR_Fld_Create(names[j], OGR_Fld_GetType(s0));
			OGR_Fld_SetSubType(fd, OGR_Fld_GetSubType(s0));
			OGR_Fld_SetWidth(fd, OGR_Fld_GetWidth(s0));
			OGR_Fld_SetPrecision(fd, OGR_Fld_GetPrecision(s0));
		} else {
			fd = OGR_Fld_Create(names[j], OFTString);
		}
		OGR_FD_AddFieldDefn(sc->defn, fd);
		OGR_Fld_Destroy(fd);
	}
out:
	free(sel);
	CSLDestroy(names);
	CSLDestroy(list);
	if (st != KCN_OK)
		ingest_schema_free(sc);
	return st;
}

/* F as a feature of the output schema: fields mapped, constants set. */
static enum kcn_status
ingest_remap(struct kcn_ctx *ctx, const struct ingest_schema *sc,
    OGRFeatureH *fp)
{
	OGRFeatureH f = *fp, nf;
	OGRGeometryH g;
	int n;

	if (sc->defn == NULL)
		return KCN_OK;
	if ((nf = OGR_F_Create(sc->defn)) == NULL)
		return kcni_error(ctx, KCN_EOS, "fields", "out of memory");
	/* The geometry is moved, not copied along with the fields. */
	g = OGR_F_StealGeometry(f);
	OGR_F_SetFromWithMap(nf, f, TRUE, sc->map);
	OGR_F_SetGeometryDirectly(nf, g);
	n = OGR_FD_GetFieldCount(sc->defn);
	for (int i = 0; i < n; i++)
		if (sc->values[i] != NULL)
			OGR_F_SetFieldString(nf, i, sc->values[i]);
	OGR_F_Destroy(f);
	*fp = nf;
	return KCN_OK;
}

/* The one-part kind of a Multi geometry type (Z kept). */
static OGRwkbGeometryType
ingest_single(OGRwkbGeometryType t)
{
	OGRwkbGeometryType f = wkbFlatten(t);

	f = f == wkbMultiPolygon ? wkbPolygon : f == wkbMultiLineString ?
	    wkbLineString : f == wkbMultiPoint ? wkbPoint :
	    f == wkbGeometryCollection ? wkbUnknown : f;
	return wkbHasZ(t) && f != wkbUnknown ? wkbSetZ(f) : f;
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
	t->cand = c->encoding ? kcni_text_candidate(c->encoding) : -1;
	if ((t->dec = kcni_text_new(wctx, c->encoding ? c->encoding :
	    "UTF-8")) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

static enum kcn_status
ingest_apply(struct kcn_ctx *wctx, void *state, OGRFeatureH *f)
{
	struct ingest_text *t = state;
	enum kcn_status st = ingest_text(wctx, t, *f);

	if (st == KCN_OK)
		st = ingest_geometry(wctx, t->conf, *f);
	return st == KCN_OK ? ingest_remap(wctx, &t->conf->schema, f) : st;
}

static void
ingest_fini(void *state)
{
	struct ingest_text *t = state;

	/* The workers' counts meet in the layer's conf. */
	atomic_fetch_add((atomic_llong *)&t->conf->utf8_kept, t->utf8_kept);
	kcni_text_free(t->dec);
	free(t->fields);
	free(t);
}

struct ingest_facts;
/* What the run decided and counted for one layer, for the report. */
struct ingest_lfacts {
	char name[256], encoding[64], evidence[600];
	const char *encoding_from;
	long long read, written, utf8_kept;
};

/* ... and for the whole run. */
struct ingest_facts {
	char driver[64], crs[512];
	const char *crs_from;
	int epsg;
	long long read, written;
	struct kcni_tally tally;
	struct ingest_lfacts *layer;	/* one per layer read */
	int nlayers;
};

static const char *ingest_encoding_facts(const struct kcn_ingest_opts *o,
    OGRLayerH layer, struct ingest_lfacts *fx);

#define INGEST_SAMPLE 5000	/* features read to find the code page */
#define INGEST_GUESSES 3	/* CRSs suggested for data without one */

/* Grows REF (N extents so far) by EXT in SRS, in lon/lat; returns N. */
static int
ingest_grow(struct kcn_ctx *ctx, OGRSpatialReferenceH srs,
    const double ext[4], double ref[4], int n)
{
	OGRSpatialReferenceH s = OSRClone(srs);
	double ll[4];

	OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
	if (kcn_extent_lonlat(ctx, s, ext, ll) == KCN_OK) {
		for (int k = 0; k < 2; k++) {
			ref[k] = n ? fmin(ref[k], ll[k]) : ll[k];
			ref[k + 2] = n ? fmax(ref[k + 2], ll[k + 2]) :
			    ll[k + 2];
		}
		n++;
	}
	kcn_ctx_clear(ctx);
	OSRRelease(s);
	return n;
}

/* Adds the lon/lat extent of every georeferenced layer of DS to REF. */
static int
ingest_extent_of(struct kcn_ctx *ctx, GDALDatasetH ds, double ref[4], int n)
{
	OGRSpatialReferenceH srs;
	OGREnvelope e;
	double ext[4], gt[6];

	for (int i = 0; i < GDALDatasetGetLayerCount(ds); i++) {
		OGRLayerH l = GDALDatasetGetLayer(ds, i);

		if ((srs = OGR_L_GetSpatialRef(l)) == NULL ||
		    OGR_L_GetExtent(l, &e, TRUE) != OGRERR_NONE)
			continue;
		ext[0] = e.MinX, ext[1] = e.MinY, ext[2] = e.MaxX;
		ext[3] = e.MaxY;
		n = ingest_grow(ctx, srs, ext, ref, n);
	}
	if (GDALGetRasterCount(ds) > 0 && (srs = GDALGetSpatialRef(ds)) &&
	    GDALGetGeoTransform(ds, gt) == CE_None && gt[2] == 0 &&
	    gt[4] == 0) {
		ext[0] = gt[0], ext[2] = gt[0] + gt[1] * GDALGetRasterXSize(ds);
		ext[3] = gt[3], ext[1] = gt[3] + gt[5] * GDALGetRasterYSize(ds);
		n = ingest_grow(ctx, srs, ext, ref, n);
	}
	return n;
}

/*
 * The lon/lat extent of the other layers delivered beside PATH that know
 * their CRS: where data without a CRS most likely lies.  0 when none.
 */
static int
ingest_reference(struct kcn_ctx *ctx, const char *path, double ref[4])
{
	static const char *exts[] = { "shp", "gpkg", "geojson", "json", "fgb",
	    "kml", "kmz", "gml", "tif", "tiff", "sqlite" };
	char dir[4096], file[4400];
	const char *slash = strrchr(path, '/');
	DIR *d;
	struct dirent *e;
	int n = 0;

	if (strcmp(path, "-") == 0 || strncmp(path, "/vsi", 4) == 0)
		return 0;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1,
	    slash ? path : ".");
	if ((d = opendir(dir)) == NULL)
		return 0;
	/* Other people's files: their complaints are not ours to print. */
	CPLPushErrorHandler(CPLQuietErrorHandler);
	while ((e = readdir(d)) != NULL && n < 50) {
		const char *dot = strrchr(e->d_name, '.');
		GDALDatasetH ds;
		size_t i;

		if (dot == NULL)
			continue;
		for (i = 0; i < sizeof(exts) / sizeof(*exts); i++)
			if (strcasecmp(dot + 1, exts[i]) == 0)
				break;
		snprintf(file, sizeof(file), "%s/%s", dir, e->d_name);
		if (i == sizeof(exts) / sizeof(*exts) ||
		    strcmp(CPLGetFilename(file), CPLGetFilename(path)) == 0)
			continue;
		ds = GDALOpenEx(file, GDAL_OF_VECTOR | GDAL_OF_RASTER |
		    GDAL_OF_READONLY, NULL, NULL, NULL);
		if (ds != NULL) {
			n = ingest_extent_of(ctx, ds, ref, n);
			GDALClose(ds);
		}
	}
	CPLPopErrorHandler();
	closedir(d);
	kcni_gdal_reset(ctx);
	return n > 0;
}

/*
 * For a layer without CRS: what its coordinates suggest.  Writes a
 * sentence into MSG and the best candidate's EPSG code (0: none).
 */
static int
ingest_guess_crs(struct kcn_ctx *ctx, const char *path, OGRLayerH layer,
    char *msg, size_t size)
{
	struct kcn_crs_guess g[INGEST_GUESSES];
	OGREnvelope e;
	double ext[4], ref[4];
	int n, len;

	msg[0] = '\0';
	if (OGR_L_GetExtent(layer, &e, TRUE) != OGRERR_NONE)
		return 0;
	OGR_L_ResetReading(layer);
	ext[0] = e.MinX, ext[1] = e.MinY, ext[2] = e.MaxX, ext[3] = e.MaxY;
	if (e.MinX >= -180 && e.MaxX <= 180 && e.MinY >= -90 && e.MaxY <= 90) {
		snprintf(msg, size, "the coordinates look like degrees: WGS 84 "
		    "is EPSG:4326");
		return 4326;
	}
	if (!ingest_reference(ctx, path, ref)) {
		snprintf(msg, size, "the coordinates are projected, and no "
		    "layer beside it has a CRS to compare with");
		return 0;
	}
	if ((n = kcn_crs_suggest(ctx, ext, ref, g, INGEST_GUESSES)) == 0) {
		snprintf(msg, size, "no projected CRS used where the other "
		    "layers are brings these coordinates onto them");
		return 0;
	}
	len = snprintf(msg, size, "compared with the layers beside it, the "
	    "coordinates fit");
	for (int i = 0; i < n && len > 0 && (size_t)len < size; i++)
		len += snprintf(msg + len, size - (size_t)len, "%s EPSG:%d "
		    "(%s, overlap %.0f%%)", i ? "," : "", g[i].epsg, g[i].name,
		    100 * g[i].score);
	return g[0].epsg;
}

/*
 * The code page of the text of a format that does not promise UTF-8.
 * Reads the first features' non-ASCII text and decides:
 *  - a code page DECLARED by a .cpg or the DBF's language driver id is
 *    verified: kept when the text reads as it, replaced with a warning
 *    when the values are all UTF-8 or another code page reads better;
 *  - without one, UTF-8 when every value is UTF-8, else the code page the
 *    values that are not UTF-8 read as.
 * Returns the code page to decode with (NULL: UTF-8); when nothing fits,
 * the features say so one by one.  FX gets the why.  The reader is
 * rewound.
 */
static const char *
ingest_detect(struct kcn_ctx *ctx, struct kcn_reader *rd, const char *drv,
    const char *path, const char *declared, struct ingest_lfacts *fx)
{
	char **all = NULL, **legacy = NULL, *dup, fit_ev[256];
	size_t n = 0, nl = 0, cap = 0;
	const char *enc = NULL;
	double fit = NAN;
	OGRFeatureH f;

	/* GDAL decodes DXF by the drawing's $DWGCODEPAGE itself. */
	if (kcni_driver_utf8(drv) || strcmp(drv, "DXF") == 0)
		return NULL;
	if (declared != NULL && (strcasecmp(declared, "UTF-8") == 0 ||
	    strcasecmp(declared, "UTF8") == 0)) {
		/* What every value is checked against anyway. */
		snprintf(fit_ev, sizeof(fit_ev), "the %s says UTF-8, but ",
		    fx->encoding_from);
		declared = NULL;
	} else
		*fit_ev = '\0';
	while (kcn_reader_count(rd) < INGEST_SAMPLE && n < 2000) {
		OGRFeatureDefnH d;

		/* A read error shows again, and is reported, in the run. */
		if (kcn_reader_next(ctx, rd, &f) != KCN_OK || f == NULL) {
			if (f != NULL)
				OGR_F_Destroy(f);
			break;
		}
		d = OGR_F_GetDefnRef(f);
		for (int i = 0; i < OGR_FD_GetFieldCount(d) && n < 2000; i++) {
			const char *v, *p;

			if (OGR_Fld_GetType(OGR_FD_GetFieldDefn(d, i)) !=
			    OFTString || !OGR_F_IsFieldSetAndNotNull(f, i))
				continue;
			v = OGR_F_GetFieldAsString(f, i);
			for (p = v; *p && !(*p & 0x80); p++)
				;
			if (*p == '\0')
				continue;	/* ASCII reads the same in all */
			if (n == cap) {
				size_t c2 = cap ? cap * 2 : 64;
				char **a2 = realloc(all, c2 * sizeof(*a2));

				if (a2 != NULL)
					all = a2;
				if (a2 == NULL || (a2 = realloc(legacy, c2 *
				    sizeof(*a2))) == NULL)
					break;
				legacy = a2;
				cap = c2;
			}
			if ((dup = strdup(v)) == NULL)
				break;
			all[n++] = dup;
			if (!CPLIsUTF8(dup, -1))
				legacy[nl++] = dup;
		}
		OGR_F_Destroy(f);
	}
	kcn_ctx_clear(ctx);
	kcni_reader_rewind(rd);

	/* Values that are UTF-8 are judged one by one in the run. */
	if (declared != NULL && n > 0)
		fit = kcni_text_fit(ctx, declared, nl ? legacy : all, nl ? nl :
		    n, fit_ev, sizeof(fit_ev));
	if (declared != NULL && (n == 0 || (nl > 0 && (isnan(fit) ||
	    fit >= 0.5)))) {
		/* Verified, or nothing to verify it with. */
		enc = declared;
		snprintf(fx->evidence, sizeof(fx->evidence), "%s, verified: %s",
		    fx->encoding_from, n ? fit_ev : "no text beyond ASCII");
		fx->encoding_from = fx->evidence;
	} else if (nl == 0) {
		/* Every value is UTF-8 (or there is no text to judge). */
		if (declared != NULL) {
			kcni_msg(ctx, KCN_MSG_WARNING, path, "the %s says %s, "
			    "but all %zu non-ASCII values are UTF-8: read as "
			    "UTF-8 (--encoding overrides)", fx->encoding_from,
			    declared, n);
			snprintf(fx->encoding, sizeof(fx->encoding), "UTF-8");
			snprintf(fx->evidence, sizeof(fx->evidence), "all %zu "
			    "non-ASCII values are UTF-8; the %s said %s", n,
			    fx->encoding_from, declared);
			fx->encoding_from = fx->evidence;
		}
	} else if ((enc = kcni_text_detect(ctx, legacy, nl, fx->evidence,
	    sizeof(fx->evidence))) != NULL) {
		if (declared != NULL)
			kcni_msg(ctx, KCN_MSG_WARNING, path, "the %s says %s "
			    "(%s), but the text is %s: %s (--encoding "
			    "overrides)", fx->encoding_from, declared, fit_ev,
			    enc, fx->evidence);
		else
			kcni_msg(ctx, KCN_MSG_WARNING, path, "%stext is %s, "
			    "detected: %s (--encoding overrides)", fit_ev, enc,
			    fx->evidence);
		fx->encoding_from = fx->evidence;
	} else if (declared != NULL && isfinite(fit)) {
		/* Nothing reads better than the declared one. */
		enc = declared;
		kcni_msg(ctx, KCN_MSG_WARNING, path, "the %s says %s and the "
		    "text does not read well as it (%s), nor as any likely "
		    "code page: kept %s (--encoding overrides)",
		    fx->encoding_from, declared, fit_ev, declared);
	} else {
		kcni_msg(ctx, KCN_MSG_WARNING, path, "text is not UTF-8 and "
		    "its code page is unknown: %s%s%s; give it with --encoding",
		    fx->evidence, declared ? "; and " : "", declared ? fit_ev :
		    "");
		enc = declared;
	}
	if (enc != NULL)
		snprintf(fx->encoding, sizeof(fx->encoding), "%s", enc);
	for (size_t i = 0; i < n; i++)
		free(all[i]);
	free(all);
	free(legacy);
	return enc;
}

/* One layer of a run: its reader, CRS and per-feature work. */
struct ingest_layer {
	struct kcn_reader *rd;
	OGRSpatialReferenceH srs;
	struct ingest_conf conf;
	OGRwkbGeometryType gtype;
	char label[4400];	/* where messages about its features point */
};

/*
 * The CRS of LAYER into *SRS: -s, the source's, or with --guess-crs the
 * best guess (*GUESSED set); NULL for a layer without geometry.  A layer
 * with geometry and no CRS is an error.
 */
static enum kcn_status
ingest_crs(struct kcn_ctx *ctx, const char *path, OGRLayerH layer,
    const struct kcn_ingest_opts *o, OGRSpatialReferenceH *srs,
    int *guessed)
{
	char why[1024], code[32];
	int epsg;

	*srs = NULL;
	if (o->s_srs != NULL) {
		if ((*srs = kcn_crs_parse(ctx, o->s_srs, NULL)) == NULL)
			return kcn_ctx_status(ctx);
		if (OGR_L_GetSpatialRef(layer) != NULL)
			kcni_msg(ctx, KCN_MSG_WARNING, path, "the source's CRS "
			    "is replaced by %s, as -s asks", o->s_srs);
		return KCN_OK;
	}
	if (OGR_L_GetSpatialRef(layer) != NULL) {
		*srs = OSRClone(OGR_L_GetSpatialRef(layer));
		OSRSetAxisMappingStrategy(*srs, OAMS_TRADITIONAL_GIS_ORDER);
		return KCN_OK;
	}
	if (OGR_L_GetGeomType(layer) == wkbNone)
		return KCN_OK;
	epsg = ingest_guess_crs(ctx, path, layer, why, sizeof(why));
	if (!o->guess_crs || epsg == 0)
		return kcni_error(ctx, KCN_ECRS, path, "no CRS: assign one "
		    "with -s%s%s", *why ? "; " : "", why);
	snprintf(code, sizeof(code), "EPSG:%d", epsg);
	if ((*srs = kcn_crs_parse(ctx, code, NULL)) == NULL)
		return kcn_ctx_status(ctx);
	kcni_msg(ctx, KCN_MSG_WARNING, path, "no CRS: assumed %s, as "
	    "--guess-crs allows: %s", code, why);
	*guessed = 1;
	return KCN_OK;
}

/* The output type of layers of types A and B together. */
static OGRwkbGeometryType
ingest_gtype_merge(OGRwkbGeometryType a, OGRwkbGeometryType b)
{
	OGRwkbGeometryType m;

	if (a == b)
		return a;
	if (ingest_dim(a) < 0 || ingest_dim(a) != ingest_dim(b))
		return wkbUnknown;
	m = ingest_dim(a) == 2 ? wkbMultiPolygon : ingest_dim(a) == 1 ?
	    wkbMultiLineString : wkbMultiPoint;
	return wkbHasZ(a) || wkbHasZ(b) ? wkbSetZ(m) : m;
}

/*
 * The fields of several layers in one definition: the layer's name first
 * ("layer", or "source_layer" when a layer has a field "layer", as DXF
 * does), then every field in the order met, by name in any case; a name
 * met with two types becomes text.
 */
static OGRFeatureDefnH
ingest_union(const char *name, struct ingest_layer *ly, int n)
{
	OGRFeatureDefnH u = OGR_FD_Create(name);
	OGRFieldDefnH fd;
	const char *lname = "layer";

	for (int k = 0; k < n; k++)
		if (OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(kcn_reader_layer(
		    ly[k].rd)), "layer") >= 0)
			lname = "source_layer";
	fd = OGR_Fld_Create(lname, OFTString);
	OGR_FD_Reference(u);
	OGR_FD_AddFieldDefn(u, fd);
	OGR_Fld_Destroy(fd);
	for (int k = 0; k < n; k++) {
		OGRFeatureDefnH d = OGR_L_GetLayerDefn(kcn_reader_layer(
		    ly[k].rd));

		for (int i = 0; i < OGR_FD_GetFieldCount(d); i++) {
			OGRFieldDefnH f = OGR_FD_GetFieldDefn(d, i), uf;
			int j = OGR_FD_GetFieldIndex(u, OGR_Fld_GetNameRef(f));

			if (j < 0) {
				OGR_FD_AddFieldDefn(u, f);
				continue;
			}
			uf = OGR_FD_GetFieldDefn(u, j);
			if (OGR_Fld_GetType(uf) != OGR_Fld_GetType(f)) {
				OGR_Fld_SetType(uf, OFTString);
				OGR_Fld_SetSubType(uf, OFSTNone);
				OGR_Fld_SetWidth(uf, 0);
				OGR_Fld_SetPrecision(uf, 0);
			}
		}
	}
	return u;
}

/*
 * The schema of layer LY among several: its fields into BASE's output
 * (built on the union definition U), its name as the "layer" value.
 */
static enum kcn_status
ingest_layer_schema(struct kcn_ctx *ctx, OGRFeatureDefnH u,
    const struct ingest_schema *base, struct ingest_layer *ly)
{
	struct ingest_schema *sc = &ly->conf.schema;
	OGRFeatureDefnH d = OGR_L_GetLayerDefn(kcn_reader_layer(ly->rd));
	int n = OGR_FD_GetFieldCount(d), nout = OGR_FD_GetFieldCount(
	    base->defn);

	sc->nvalues = nout;
	sc->map = malloc((n + 1) * sizeof(int));
	sc->values = calloc(nout + 1, sizeof(char *));
	if (sc->map == NULL || sc->values == NULL)
		return kcni_error(ctx, KCN_EOS, "fields", "out of memory");
	sc->defn = base->defn;
	OGR_FD_Reference(sc->defn);
	for (int i = 0; i < n; i++)
		sc->map[i] = base->map[OGR_FD_GetFieldIndex(u,
		    OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(d, i)))];
	for (int j = 0; j < nout; j++)
		if (base->values[j] != NULL)
			sc->values[j] = CPLStrdup(base->values[j]);
	if (base->map[0] >= 0)
		sc->values[base->map[0]] = CPLStrdup(OGR_L_GetName(
		    kcn_reader_layer(ly->rd)));
	return KCN_OK;
}

/* The names of the layers to read: -l's, every one, or the first. */
static char **
ingest_layer_names(struct kcn_ctx *ctx, struct kcn_source *src,
    const struct kcn_ingest_opts *o, const char *path)
{
	GDALDatasetH ds = kcn_source_dataset(src);
	char **names = NULL;

	if (o->layers != NULL && o->layers[0] != NULL) {
		for (int i = 0; o->layers[i] != NULL; i++)
			for (int j = 0; j < i; j++)
				if (strcmp(o->layers[i], o->layers[j]) == 0) {
					kcni_error(ctx, KCN_EUSAGE, "-l", "layer "
					    "'%s' is named twice", o->layers[i]);
					return NULL;
				}
		return CSLDuplicate(o->layers);
	}
	if (!o->all_layers) {
		names = CSLAddString(names, GDALDatasetGetLayerCount(ds) > 0 ?
		    OGR_L_GetName(GDALDatasetGetLayer(ds, 0)) : "");
		return names;
	}
	for (int i = 0; i < GDALDatasetGetLayerCount(ds); i++) {
		OGRLayerH l = GDALDatasetGetLayer(ds, i);

		if (OGR_L_GetGeomType(l) == wkbNone)
			kcni_msg(ctx, KCN_MSG_WARNING, path, "layer %s has no "
			    "geometry: left out (-l %s reads it)",
			    OGR_L_GetName(l), OGR_L_GetName(l));
		else
			names = CSLAddString(names, OGR_L_GetName(l));
	}
	if (names == NULL)
		kcni_error(ctx, KCN_EDATA, path, "no layer with geometry");
	return names;
}

/*
 * Field names come as stored too when text is decoded by kcn (a DBF read
 * byte for byte): decoded here, in the layer's definition, so that every
 * output gets UTF-8 names.  A name that does not decode keeps its ASCII
 * and gets "_" for the rest, with a warning.
 */
static void
ingest_field_names(struct kcn_ctx *ctx, OGRLayerH layer, const char *enc,
    const char *where)
{
	OGRFeatureDefnH d = OGR_L_GetLayerDefn(layer);
	struct kcni_text *t = kcni_text_new(ctx, enc);

	if (t == NULL) {
		kcn_ctx_clear(ctx);
		return;
	}
	for (int i = 0; i < OGR_FD_GetFieldCount(d); i++) {
		OGRFieldDefnH f = OGR_FD_GetFieldDefn(d, i);
		const char *name = OGR_Fld_GetNameRef(f), *u;
		char *copy;

		if ((u = kcni_text_decode(t, name)) == name)
			continue;	/* ASCII */
		if (u != NULL) {
			copy = CPLStrdup(u);
		} else {
			copy = CPLStrdup(name);
			for (char *p = copy; *p; p++)
				if (*p & 0x80)
					*p = '_';
			kcni_msg(ctx, KCN_MSG_WARNING, where, "field name %s is "
			    "not valid %s: written as %s", copy, enc, copy);
		}
		OGR_Fld_SetName(f, copy);
		CPLFree(copy);
	}
	kcni_text_free(t);
}

/* Opens layer K of SRC (NAME) and decides its CRS, code page and type. */
static enum kcn_status
ingest_layer_open(struct kcn_ctx *ctx, struct kcn_source *src,
    const char *path, const char *name, int multi,
    const struct kcn_ingest_opts *o, struct ingest_layer *ly,
    struct ingest_lfacts *lf, int *guessed)
{
	OGRLayerH layer;
	const char *declared;
	enum kcn_status st;

	if ((ly->rd = kcn_reader_new(ctx, src, *name ? name : NULL)) == NULL)
		return kcn_ctx_status(ctx);
	layer = kcn_reader_layer(ly->rd);
	snprintf(lf->name, sizeof(lf->name), "%s", OGR_L_GetName(layer));
	if (OGR_L_GetGeomType(layer) == wkbNone && !o->keep_empty)
		return kcni_error(ctx, KCN_EDATA, path, "layer %s has no "
		    "geometry%s", lf->name, strcmp(GDALGetDriverShortName(
		    GDALGetDatasetDriver(kcn_source_dataset(src))), "CSV") == 0 ?
		    ": no coordinate columns (lon/lat, x/y, easting/northing) "
		    "or WKT/WKB column found; name them with --x and --y, or "
		    "--wkt" : " (--keep-empty copies its rows)");
	if (multi)
		snprintf(ly->label, sizeof(ly->label), "%s:%s", path,
		    lf->name);
	else
		snprintf(ly->label, sizeof(ly->label), "%s", path);
	if ((st = ingest_crs(ctx, ly->label, layer, o, &ly->srs, guessed)) !=
	    KCN_OK)
		return st;
	ly->conf.encoding = o->encoding;
	ly->conf.forced = o->encoding != NULL;
	ly->conf.on_invalid = o->on_invalid;
	ly->conf.keep_empty = o->keep_empty;
	ly->conf.force_2d = o->force_2d;
	ly->conf.geographic = ly->srs != NULL && OSRIsGeographic(ly->srs);
	ly->conf.cad = strcmp(GDALGetDriverShortName(GDALGetDatasetDriver(
	    kcn_source_dataset(src))), "DXF") == 0;
	declared = ingest_encoding_facts(o, layer, lf);
	if (o->encoding == NULL)
		ly->conf.encoding = ingest_detect(ctx, ly->rd,
		    GDALGetDriverShortName(GDALGetDatasetDriver(
		    kcn_source_dataset(src))), ly->label, declared, lf);
	if (ly->conf.encoding != NULL)
		ingest_field_names(ctx, layer, ly->conf.encoding, ly->label);
	ly->gtype = kcni_gtype_multi(OGR_L_GetGeomType(layer));
	if (o->out.explode)
		ly->gtype = ingest_single(ly->gtype);
	if (o->force_2d)
		ly->gtype = wkbFlatten(ly->gtype);
	ly->conf.dim = ingest_dim(ly->gtype);
	return KCN_OK;
}

static enum kcn_status
ingest_run(struct kcn_ctx *ctx, const char *path,
    const struct kcn_ingest_opts *o, struct ingest_facts *fx)
{
	struct kcn_source *src;
	struct kcn_writer *wr = NULL;
	struct kcni_text *dec;
	struct ingest_layer *ly = NULL;
	struct ingest_schema base = { NULL, NULL, NULL, 0 };
	OGRFeatureDefnH u = NULL, defn;
	OGRwkbGeometryType gtype = wkbUnknown;
	int guessed = 0, n = 0, multi;
	enum kcn_status st = KCN_OK;
	char **names = NULL, *label, oname[256];

	/* The encoding is checked here, before anything is opened. */
	if ((dec = kcni_text_new(ctx, o->encoding ? o->encoding : "UTF-8")) ==
	    NULL)
		return kcn_ctx_status(ctx);
	kcni_text_free(dec);
	/* Shapefile text arrives as stored: a .cpg is verified, not
	   trusted. */
	src = kcn_source_open_csv(ctx, path, KCN_OPEN_VECTOR |
	    KCN_OPEN_RAW_TEXT, o->x, o->y, o->wkt);
	if (src == NULL)
		return kcn_ctx_status(ctx);
	snprintf(fx->driver, sizeof(fx->driver), "%s", GDALGetDriverShortName(
	    GDALGetDatasetDriver(kcn_source_dataset(src))));
	if ((names = ingest_layer_names(ctx, src, o, path)) == NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	multi = o->all_layers || CSLCount(names) > 1;
	ly = calloc(CSLCount(names), sizeof(*ly));
	fx->layer = calloc(CSLCount(names), sizeof(*fx->layer));
	if (ly == NULL || fx->layer == NULL) {
		st = kcni_error(ctx, KCN_EOS, path, "out of memory");
		goto out;
	}
	for (; names[n] != NULL; n++) {
		fx->nlayers = n + 1;
		if ((st = ingest_layer_open(ctx, src, path, names[n], multi, o,
		    &ly[n], &fx->layer[n], &guessed)) != KCN_OK)
			goto out;
		/* One output layer, one CRS. */
		if (n > 0 && (ly[n].srs == NULL) != (ly[0].srs == NULL)) {
			st = kcni_error(ctx, KCN_ECRS, ly[n].label, "%s CRS, "
			    "unlike layer %s: assign one to all with -s",
			    ly[n].srs ? "has a" : "has no", fx->layer[0].name);
			goto out;
		}
		if (n > 0 && ly[n].srs != NULL && !OSRIsSame(ly[n].srs,
		    ly[0].srs)) {
			st = kcni_error(ctx, KCN_ECRS, ly[n].label, "its CRS "
			    "is not that of layer %s: read the layers one by "
			    "one (-l), or reproject first", fx->layer[0].name);
			goto out;
		}
		gtype = n ? ingest_gtype_merge(gtype, ly[n].gtype) :
		    ly[n].gtype;
	}
	label = kcn_crs_label(ly[0].srs);
	snprintf(fx->crs, sizeof(fx->crs), "%s", label ? label : "none");
	fx->epsg = kcn_crs_epsg(ly[0].srs);
	fx->crs_from = o->s_srs ? "-s" : guessed ? "--guess-crs" :
	    ly[0].srs ? "source" : "none";
	for (int k = 0; k < n; k++)
		kcni_msg(ctx, KCN_MSG_INFO, ly[k].label, "layer %s (%s), CRS "
		    "%s%s", fx->layer[k].name, fx->driver, label ? label : "?",
		    o->s_srs ? " (assigned)" : "");
	kcn_free(label);

	/* The fields: the one layer's, or all layers' with "layer". */
	if (multi) {
		snprintf(oname, sizeof(oname), "%s", strcmp(path, "-") == 0 ?
		    "stdin" : CPLGetBasename(path));
		u = ingest_union(oname, ly, n);
		if ((st = ingest_schema_build(ctx, u, o, 1, &base)) != KCN_OK)
			goto out;
		for (int k = 0; k < n; k++)
			if ((st = ingest_layer_schema(ctx, u, &base, &ly[k])) !=
			    KCN_OK)
				goto out;
		defn = base.defn;
	} else {
		snprintf(oname, sizeof(oname), "%s", fx->layer[0].name);
		if ((st = ingest_schema_build(ctx, OGR_L_GetLayerDefn(
		    kcn_reader_layer(ly[0].rd)), o, 0, &ly[0].conf.schema)) !=
		    KCN_OK)
			goto out;
		defn = ly[0].conf.schema.defn ? ly[0].conf.schema.defn :
		    OGR_L_GetLayerDefn(kcn_reader_layer(ly[0].rd));
	}
	if ((wr = kcn_writer_open(ctx, &o->out, oname, gtype, ly[0].srs,
	    defn)) == NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	kcni_msg(ctx, KCN_MSG_INFO, o->out.path ? o->out.path : "-",
	    "writing %s", kcn_writer_driver(&o->out));

	for (int k = 0; k < n && st == KCN_OK; k++) {
		struct kcni_stage stage = { ingest_init, ingest_apply,
		    ingest_fini, &ly[k].conf };
		struct ingest_lfacts *lf = &fx->layer[k];
		long long before = kcn_writer_count(wr);

		st = kcni_pipeline(ctx, ly[k].rd, wr, &stage, o->threads,
		    ly[k].label, &fx->tally);
		lf->read = kcn_reader_count(ly[k].rd);
		lf->written = kcn_writer_count(wr) - before;
		lf->utf8_kept = atomic_load(&ly[k].conf.utf8_kept);
		fx->read += lf->read;
		if (st == KCN_OK && lf->utf8_kept > 0)
			kcni_msg(ctx, KCN_MSG_WARNING, ly[k].label, "%lld text "
			    "values are UTF-8 among the %s ones: kept as UTF-8",
			    lf->utf8_kept, ly[k].conf.encoding);
		if (st == KCN_OK && multi)
			kcni_msg(ctx, KCN_MSG_INFO, ly[k].label, "%lld "
			    "features read, %lld written", lf->read,
			    lf->written);
	}
	if (st == KCN_OK && fx->tally.noted > 0)
		kcni_msg(ctx, KCN_MSG_WARNING, path, "%lld invalid geometries "
		    "repaired (-v lists them)", fx->tally.noted);
	if (st == KCN_OK && fx->tally.rejected > 0)
		kcni_msg(ctx, KCN_MSG_WARNING, path, "%lld of %lld features "
		    "skipped", fx->tally.rejected, fx->read);
	fx->written = kcn_writer_count(wr);
	if (st == KCN_OK)
		st = kcn_writer_close(ctx, wr);
	else
		kcn_writer_abort(wr);
	wr = NULL;
	if (st != KCN_OK) {
		fx->written = 0;	/* nothing was kept */
		for (int k = 0; k < n; k++)
			fx->layer[k].written = 0;
	}
	if (st == KCN_OK) {
		kcni_msg(ctx, KCN_MSG_INFO, path, "%lld features read, %lld "
		    "written", fx->read, fx->written);
		if (fx->tally.rejected > 0)
			st = KCN_REJECTED;
	}
out:
	kcn_writer_abort(wr);
	for (int k = 0; ly != NULL && k < fx->nlayers; k++) {
		ingest_schema_free(&ly[k].conf.schema);
		kcn_reader_free(ly[k].rd);
		if (ly[k].srs != NULL)
			OSRRelease(ly[k].srs);
	}
	free(ly);
	ingest_schema_free(&base);
	if (u != NULL)
		OGR_FD_Release(u);
	CSLDestroy(names);
	if (kcn_source_close(ctx, src) != KCN_OK && st == KCN_OK)
		st = kcn_ctx_status(ctx);
	return st;
}

/*
 * The encoding given or declared, and where from, for the report; returns
 * the one a .cpg or language driver id declares (NULL: none).
 */
static const char *
ingest_encoding_facts(const struct kcn_ingest_opts *o, OGRLayerH layer,
    struct ingest_lfacts *fx)
{
	const char *cpg = GDALGetMetadataItem((GDALMajorObjectH)layer,
	    "ENCODING_FROM_CPG", "SHAPEFILE");
	const char *ldid = GDALGetMetadataItem((GDALMajorObjectH)layer,
	    "ENCODING_FROM_LDID", "SHAPEFILE");

	if (o->encoding != NULL) {
		snprintf(fx->encoding, sizeof(fx->encoding), "%s",
		    o->encoding);
		fx->encoding_from = "--encoding";
		return NULL;
	}
	if (cpg != NULL && *cpg) {
		snprintf(fx->encoding, sizeof(fx->encoding), "%s", cpg);
		fx->encoding_from = ".cpg";
		return cpg;
	}
	if (ldid != NULL && *ldid) {
		snprintf(fx->encoding, sizeof(fx->encoding), "%s", ldid);
		fx->encoding_from = "language driver id";
		return ldid;
	}
	snprintf(fx->encoding, sizeof(fx->encoding), "UTF-8");
	fx->encoding_from = "default, every value checked";
	return NULL;
}

/* A sink that passes messages on and keeps the warnings for the report. */
struct ingest_recorder {
	kcn_sink_fn fn;
	void *ud;
	json_object *warnings;
	pthread_mutex_t mu;	/* workers warn too */
};

static void
ingest_record(void *ud, enum kcn_level level, const char *where,
    const char *what)
{
	struct ingest_recorder *r = ud;
	char buf[2048];

	if (level == KCN_MSG_WARNING || level == KCN_MSG_INFO) {
		snprintf(buf, sizeof(buf), "%s%s%s", where ? where : "",
		    where && *where ? ": " : "", what);
		pthread_mutex_lock(&r->mu);
		json_object_array_add(r->warnings, json_object_new_string(
		    buf));
		pthread_mutex_unlock(&r->mu);
	}
	if (r->fn != NULL)
		r->fn(r->ud, level, where, what);
}

static json_object *
ingest_reasons(const struct kcni_reason *r, int n)
{
	json_object *o = json_object_new_object();

	for (int i = 0; i < n; i++)
		json_object_object_add(o, r[i].text,
		    json_object_new_int64(r[i].n));
	return o;
}

static json_object *
ingest_counted(long long total, const struct kcni_reason *r, int n)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "total", json_object_new_int64(total));
	json_object_object_add(o, "by_reason", ingest_reasons(r, n));
	return o;
}

/* Per layer: name, counts, and the encoding decided and why. */
static json_object *
ingest_layers_json(const struct ingest_facts *fx)
{
	json_object *a = json_object_new_array();

	for (int k = 0; k < fx->nlayers; k++) {
		const struct ingest_lfacts *lf = &fx->layer[k];
		json_object *l = json_object_new_object();
		json_object *e = json_object_new_object();

		json_object_object_add(l, "name", json_object_new_string(
		    lf->name));
		json_object_object_add(l, "features_read",
		    json_object_new_int64(lf->read));
		json_object_object_add(l, "features_written",
		    json_object_new_int64(lf->written));
		json_object_object_add(e, "name", *lf->encoding ?
		    json_object_new_string(lf->encoding) : NULL);
		json_object_object_add(e, "from", lf->encoding_from ?
		    json_object_new_string(lf->encoding_from) : NULL);
		json_object_object_add(e, "utf8_values_kept",
		    json_object_new_int64(lf->utf8_kept));
		json_object_object_add(l, "encoding", e);
		json_object_array_add(a, l);
	}
	return a;
}

/* Writes the report of the run to PATH, atomically. */
static enum kcn_status
ingest_report(struct kcn_ctx *ctx, const char *path, const char *src,
    const struct kcn_ingest_opts *o, const struct ingest_facts *fx,
    enum kcn_status st, const char *errwhere, const char *errmsg,
    json_object *messages)
{
	json_object *j = json_object_new_object(), *x;
	char tmp[4200];
	FILE *f;
	int bad;

	json_object_object_add(j, "source", json_object_new_string(src));
	json_object_object_add(j, "driver", *fx->driver ?
	    json_object_new_string(fx->driver) : NULL);
	json_object_object_add(j, "output", json_object_new_string(
	    o->out.path ? o->out.path : "-"));
	json_object_object_add(j, "features_read",
	    json_object_new_int64(fx->read));
	json_object_object_add(j, "features_written",
	    json_object_new_int64(fx->written));
	json_object_object_add(j, "repaired", ingest_counted(fx->tally.noted,
	    fx->tally.noted_by, fx->tally.nnoted_by));
	json_object_object_add(j, "skipped", ingest_counted(
	    fx->tally.rejected, fx->tally.skipped_by, fx->tally.nskipped_by));
	json_object_object_add(j, "layers", ingest_layers_json(fx));
	x = json_object_new_object();
	json_object_object_add(x, "name", *fx->crs ?
	    json_object_new_string(fx->crs) : NULL);
	json_object_object_add(x, "epsg", fx->epsg > 0 ?
	    json_object_new_int(fx->epsg) : NULL);
	json_object_object_add(x, "from", fx->crs_from ?
	    json_object_new_string(fx->crs_from) : NULL);
	json_object_object_add(j, "crs", x);
	json_object_object_add(j, "messages", json_object_get(messages));
	json_object_object_add(j, "exit_status",
	    json_object_new_int(kcn_exit_code(st)));
	if (st != KCN_OK && st != KCN_REJECTED) {
		x = json_object_new_object();
		json_object_object_add(x, "where",
		    json_object_new_string(errwhere));
		json_object_object_add(x, "message",
		    json_object_new_string(errmsg));
		json_object_object_add(j, "error", x);
	}
	snprintf(tmp, sizeof(tmp), "%s.kcn-tmp", path);
	if ((f = fopen(tmp, "w")) == NULL) {
		json_object_put(j);
		return kcni_error(ctx, KCN_ECREATE, path, "cannot create: %s",
		    strerror(errno));
	}
	fprintf(f, "%s\n", json_object_to_json_string_ext(j,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
	bad = ferror(f);
	if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
		remove(tmp);
		return kcni_error(ctx, KCN_EIO, path, "cannot write the "
		    "report: %s", strerror(errno ? errno : EIO));
	}
	return KCN_OK;
}

enum kcn_status
kcn_ingest_run(struct kcn_ctx *ctx, const char *path,
    const struct kcn_ingest_opts *o)
{
	struct ingest_facts fx;
	struct ingest_recorder rec;
	enum kcn_status st, rst;
	char where[1024], msg[1024];

	memset(&fx, 0, sizeof(fx));
	if (o->report == NULL) {
		st = ingest_run(ctx, path, o, &fx);
		kcni_tally_free(&fx.tally);
		free(fx.layer);
		return st;
	}
	kcni_ctx_sink(ctx, &rec.fn, &rec.ud);
	rec.warnings = json_object_new_array();
	pthread_mutex_init(&rec.mu, NULL);
	kcn_ctx_set_sink(ctx, ingest_record, &rec);
	st = ingest_run(ctx, path, o, &fx);
	kcn_ctx_set_sink(ctx, rec.fn, rec.ud);
	/* The report must not lose the error that the caller reports. */
	snprintf(where, sizeof(where), "%s", kcn_ctx_where(ctx));
	snprintf(msg, sizeof(msg), "%s", kcn_ctx_errmsg(ctx));
	rst = ingest_report(ctx, o->report, path, o, &fx, st, where, msg,
	    rec.warnings);
	if (rst != KCN_OK && (st == KCN_OK || st == KCN_REJECTED))
		st = rst;
	else if (rst != KCN_OK)
		kcni_error(ctx, st, where, "%s", msg);
	json_object_put(rec.warnings);
	pthread_mutex_destroy(&rec.mu);
	kcni_tally_free(&fx.tally);
	free(fx.layer);
	return st;
}
