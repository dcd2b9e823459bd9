/*
 * writer.c: the stream writer.  FlatGeobuf without spatial index on a pipe
 * (binary, streaming, carries the CRS), GeoJSON text sequences on request,
 * any OGR vector format by the output file's extension.  Files are written
 * in a temporary folder beside the target and renamed into place only
 * when GDAL closed them without error.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_string.h>

#include "kcn_internal.h"

struct kcn_writer {
	GDALDatasetH ds;
	OGRLayerH layer;
	char *target;		/* final path, NULL for standard output */
	char *tmpdir;		/* temporary folder holding the output */
	char *driver;
	char *dsname;		/* the dataset GDAL writes */
	OGRFeatureDefnH src_defn;	/* the defn the field map is for */
	int *map;		/* source field i -> output field, or -1 */
	long long written;
	int fgb;		/* FlatGeobuf: no empty geometries */
	int direct;		/* source features go out as they are */
	int explode;		/* one feature per part */
};

/* kcn format names and file extensions, to GDAL drivers. */
static const struct {
	const char *name;
	const char *driver;
	int binary;
	int streams;		/* can be written to standard output */
} writer_formats[] = {
	{ "fgb", "FlatGeobuf", 1, 1 },
	{ "flatgeobuf", "FlatGeobuf", 1, 1 },
	{ "geojsonseq", "GeoJSONSeq", 0, 1 },
	{ "geojsons", "GeoJSONSeq", 0, 1 },
	{ "geojsonl", "GeoJSONSeq", 0, 1 },
	{ "jsonl", "GeoJSONSeq", 0, 1 },
	{ "ndjson", "GeoJSONSeq", 0, 1 },
	{ "geojson", "GeoJSON", 0, 1 },
	{ "json", "GeoJSON", 0, 1 },
	{ "csv", "CSV", 0, 1 },
	{ "gpkg", "GPKG", 1, 0 },
	{ "shp", "ESRI Shapefile", 1, 0 },
	{ "kml", "KML", 0, 1 },
	{ "gml", "GML", 0, 0 },
	{ "gpx", "GPX", 0, 0 },
	{ "dxf", "DXF", 0, 0 },
	{ "sqlite", "SQLite", 1, 0 },
	{ "tab", "MapInfo File", 1, 0 },
	{ "mif", "MapInfo File", 0, 0 },
};

#define NFORMATS (sizeof(writer_formats) / sizeof(writer_formats[0]))

static int
writer_format_index(const char *name)
{
	for (size_t i = 0; i < NFORMATS; i++)
		if (strcasecmp(name, writer_formats[i].name) == 0)
			return (int)i;
	for (size_t i = 0; i < NFORMATS; i++)
		if (strcasecmp(name, writer_formats[i].driver) == 0)
			return (int)i;
	return -1;
}

/* A GDAL vector driver that can create files with extension EXT. */
static const char *
writer_driver_by_ext(const char *ext)
{
	int i, n = GDALGetDriverCount();

	for (i = 0; i < n; i++) {
		GDALDriverH d = GDALGetDriver(i);
		const char *exts = GDALGetMetadataItem(d, GDAL_DMD_EXTENSIONS,
		    NULL);
		char **list;
		int hit;

		if (exts == NULL ||
		    GDALGetMetadataItem(d, GDAL_DCAP_VECTOR, NULL) == NULL ||
		    GDALGetMetadataItem(d, GDAL_DCAP_CREATE, NULL) == NULL)
			continue;
		list = CSLTokenizeString(exts);
		hit = CSLFindString(list, ext) >= 0;
		CSLDestroy(list);
		if (hit)
			return GDALGetDriverShortName(d);
	}
	return NULL;
}

static const char *
writer_ext(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(path, '.');

	if (dot == NULL || (slash != NULL && dot < slash) || dot[1] == '\0')
		return NULL;
	return dot + 1;
}

static int
writer_is_stdout(const struct kcn_writer_opts *o)
{
	return o->path == NULL || strcmp(o->path, "-") == 0;
}

const char *
kcn_writer_driver(const struct kcn_writer_opts *o)
{
	const char *ext;
	int i;

	if (o->format != NULL) {
		i = writer_format_index(o->format);
		if (i >= 0)
			return writer_formats[i].driver;
		/* Any GDAL driver by its own short name. */
		return GDALGetDriverByName(o->format) ? o->format : NULL;
	}
	if (writer_is_stdout(o))
		return "FlatGeobuf";
	if ((ext = writer_ext(o->path)) == NULL)
		return NULL;
	if ((i = writer_format_index(ext)) >= 0)
		return writer_formats[i].driver;
	return writer_driver_by_ext(ext);
}

/* Removes a temporary folder and everything in it. */
static void
writer_rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[4096];

	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			/* A driver may have made a folder of its own (GDAL
			   does, for a FlatGeobuf name without .fgb). */
			if (unlink(p) != 0)
				writer_rmtree(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

static void
writer_free(struct kcn_writer *wr)
{
	free(wr->target);
	free(wr->tmpdir);
	free(wr->driver);
	free(wr->dsname);
	free(wr->map);
	free(wr);
}

void
kcn_writer_abort(struct kcn_writer *wr)
{
	if (wr == NULL)
		return;
	if (wr->ds != NULL) {
		/* Errors of a discarded output do not matter. */
		CPLPushErrorHandler(CPLQuietErrorHandler);
		GDALClose(wr->ds);
		CPLPopErrorHandler();
	}
	if (wr->tmpdir != NULL)
		writer_rmtree(wr->tmpdir);
	writer_free(wr);
}

/* Creation options: streaming order-keeping FlatGeobuf, RFC 8142 RS. */
static char **
writer_options(const struct kcn_writer_opts *o, const char *driver)
{
	char **lco = NULL;
	const char *name = o->format ? o->format :
	    writer_is_stdout(o) ? "fgb" : writer_ext(o->path);

	if (strcmp(driver, "FlatGeobuf") == 0)
		lco = CSLSetNameValue(lco, "SPATIAL_INDEX", "NO");
	else if (strcmp(driver, "GeoJSONSeq") == 0)
		lco = CSLSetNameValue(lco, "RS", name != NULL &&
		    (strcasecmp(name, "geojsonseq") == 0 ||
		    strcasecmp(name, "geojsons") == 0) ? "YES" : "NO");
	else if (strcmp(driver, "CSV") == 0)
		lco = CSLSetNameValue(lco, "GEOMETRY", "AS_WKT");
	else if (strcmp(driver, "ESRI Shapefile") == 0)
		/* GDAL's default, ISO-8859-1, turns Vietnamese and Korean
		   text into question marks. */
		lco = CSLSetNameValue(lco, "ENCODING", "UTF-8");
	return lco;
}

/*
 * Whether a source feature of DEFN can be written as it is: GDAL's
 * FlatGeobuf writer reads field values by index and type, so identical
 * fields in the same order need no copy into a feature of its own.
 */
static int
writer_same_fields(const struct kcn_writer *wr, OGRFeatureDefnH defn)
{
	OGRFeatureDefnH out = OGR_L_GetLayerDefn(wr->layer);
	int n = OGR_FD_GetFieldCount(defn);

	if (!wr->fgb || n != OGR_FD_GetFieldCount(out) ||
	    OGR_FD_GetGeomFieldCount(defn) != 1)
		return 0;
	for (int i = 0; i < n; i++) {
		OGRFieldDefnH a = OGR_FD_GetFieldDefn(defn, i);
		OGRFieldDefnH b = OGR_FD_GetFieldDefn(out, i);

		if (wr->map[i] != i || OGR_Fld_GetType(a) !=
		    OGR_Fld_GetType(b) || OGR_Fld_GetSubType(a) !=
		    OGR_Fld_GetSubType(b))
			return 0;
	}
	return 1;
}

struct kcn_writer *
kcn_writer_open(struct kcn_ctx *ctx, const struct kcn_writer_opts *o,
    const char *name, OGRwkbGeometryType gtype, OGRSpatialReferenceH srs,
    OGRFeatureDefnH defn)
{
	struct kcn_writer *wr;
	const char *drvname = kcn_writer_driver(o), *where;
	const char *base, *slash;
	GDALDriverH drv;
	char dsname[4096], **lco = NULL;
	int fi, tostdout = writer_is_stdout(o);

	where = tostdout ? "-" : o->path;
	if (drvname == NULL) {
		if (o->format != NULL)
			kcni_error(ctx, KCN_EUSAGE, o->format,
			    "unknown output format");
		else
			kcni_error(ctx, KCN_EUSAGE, where, "cannot tell the "
			    "output format from the file name: use -f");
		return NULL;
	}
	if ((drv = GDALGetDriverByName(drvname)) == NULL) {
		kcni_error(ctx, KCN_EDRIVER, where,
		    "GDAL driver %s is not available", drvname);
		return NULL;
	}
	fi = writer_format_index(drvname);
	if (tostdout) {
		if (fi < 0 || !writer_formats[fi].streams) {
			kcni_error(ctx, KCN_EUSAGE, where, "%s cannot be "
			    "written to standard output: use -o FILE", drvname);
			return NULL;
		}
		if (writer_formats[fi].binary && o->stdout_is_tty &&
		    !o->allow_tty) {
			kcni_error(ctx, KCN_EUSAGE, "stdout", "refusing to "
			    "write binary %s to a terminal: use -f geojsonseq "
			    "or -o FILE", drvname);
			return NULL;
		}
	}
	if ((wr = calloc(1, sizeof(*wr))) == NULL ||
	    (wr->driver = strdup(drvname)) == NULL) {
		free(wr);
		kcni_error(ctx, KCN_EOS, where, "out of memory");
		return NULL;
	}
	if (tostdout) {
		snprintf(dsname, sizeof(dsname), "/vsistdout/%s",
		    strcmp(drvname, "FlatGeobuf") == 0 ? "out.fgb" : "");
	} else {
		/* The temporary folder sits beside the target: same disk. */
		slash = strrchr(o->path, '/');
		base = slash ? slash + 1 : o->path;
		snprintf(dsname, sizeof(dsname), "%.*s.kcn-XXXXXX",
		    slash ? (int)(slash - o->path + 1) : 0, o->path);
		if ((wr->target = strdup(o->path)) == NULL ||
		    mkdtemp(dsname) == NULL ||
		    (wr->tmpdir = strdup(dsname)) == NULL) {
			kcni_error(ctx, KCN_ECREATE, where, "cannot create: %s",
			    strerror(errno));
			writer_free(wr);
			return NULL;
		}
		snprintf(dsname + strlen(dsname), sizeof(dsname) -
		    strlen(dsname), "/%s", base);
	}
	wr->fgb = strcmp(drvname, "FlatGeobuf") == 0;
	wr->explode = o->explode;
	if ((wr->dsname = strdup(dsname)) == NULL) {
		kcni_error(ctx, KCN_EOS, where, "out of memory");
		kcn_writer_abort(wr);
		return NULL;
	}
	kcni_gdal_reset(ctx);
	lco = writer_options(o, drvname);
	wr->ds = GDALCreate(drv, dsname, 0, 0, 0, GDT_Unknown, NULL);
	if (wr->ds != NULL)
		wr->layer = GDALDatasetCreateLayer(wr->ds, name, srs, gtype,
		    lco);
	CSLDestroy(lco);
	if (wr->ds == NULL || wr->layer == NULL) {
		kcni_error(ctx, KCN_ECREATE, where, "cannot create: %s",
		    kcni_gdal_msg(ctx));
		kcn_writer_abort(wr);
		return NULL;
	}
	if (defn != NULL) {
		int n = OGR_FD_GetFieldCount(defn);

		wr->src_defn = defn;
		if ((wr->map = malloc((n ? n : 1) * sizeof(int))) == NULL) {
			kcni_error(ctx, KCN_EOS, where, "out of memory");
			kcn_writer_abort(wr);
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			OGRFieldDefnH fd = OGR_FD_GetFieldDefn(defn, i);

			wr->map[i] = -1;
			if (OGR_L_CreateField(wr->layer, fd, TRUE) !=
			    OGRERR_NONE) {
				kcni_error(ctx, KCN_ECREATE, where,
				    "cannot create field '%s': %s",
				    OGR_Fld_GetNameRef(fd), kcni_gdal_msg(ctx));
				kcn_writer_abort(wr);
				return NULL;
			}
			wr->map[i] = OGR_FD_GetFieldCount(
			    OGR_L_GetLayerDefn(wr->layer)) - 1;
		}
		wr->direct = writer_same_fields(wr, defn);
	}
	return wr;
}

long long
kcn_writer_count(const struct kcn_writer *wr)
{
	return wr->written;
}

OGRLayerH
kcn_writer_layer(const struct kcn_writer *wr)
{
	return wr->layer;
}

/* How many parts F's geometry has, when it is a multi-part kind; else 1. */
static int
writer_parts(OGRFeatureH f)
{
	OGRGeometryH g = f ? OGR_F_GetGeometryRef(f) : NULL;

	if (g == NULL || !OGR_GT_IsSubClassOf(wkbFlatten(
	    OGR_G_GetGeometryType(g)), wkbGeometryCollection))
		return 1;
	return OGR_G_GetGeometryCount(g);
}

/* A Polygon into a MultiPolygon layer, and so on: one part. */
static void
writer_promote(const struct kcn_writer *wr, OGRFeatureH f)
{
	OGRGeometryH g = OGR_F_GetGeometryRef(f);
	OGRwkbGeometryType lt = wkbFlatten(OGR_L_GetGeomType(wr->layer));
	OGRwkbGeometryType gt;

	if (g == NULL)
		return;
	gt = wkbFlatten(OGR_G_GetGeometryType(g));
	if ((lt == wkbMultiPolygon && gt == wkbPolygon) ||
	    (lt == wkbMultiLineString && gt == wkbLineString) ||
	    (lt == wkbMultiPoint && gt == wkbPoint)) {
		g = OGR_F_StealGeometry(f);
		g = lt == wkbMultiPolygon ? OGR_G_ForceToMultiPolygon(g) :
		    lt == wkbMultiLineString ? OGR_G_ForceToMultiLineString(g) :
		    OGR_G_ForceToMultiPoint(g);
		OGR_F_SetGeometryDirectly(f, g);
	}
}

enum kcn_status
kcni_writer_prepare(struct kcn_ctx *ctx, const struct kcn_writer *wr,
    OGRFeatureH feat, OGRFeatureH *outp)
{
	OGRFeatureH out;
	OGRGeometryH g = OGR_F_GetGeometryRef(feat);
	OGRErr err;

	*outp = NULL;
	/*
	 * GDAL 3.6's FlatGeobuf writer skips features without geometry, null
	 * or empty, and says nothing.  Refuse them here, so they are counted
	 * and reported instead of lost.
	 */
	if (wr->fgb && (g == NULL || OGR_G_IsEmpty(g)))
		return kcni_error(ctx, KCN_REJECTED, wr->target ? wr->target :
		    "-", "a feature without geometry cannot travel in "
		    "FlatGeobuf: use -f geojsonseq or -o FILE.gpkg to keep it");
	if (wr->direct && OGR_F_GetDefnRef(feat) == wr->src_defn) {
		writer_promote(wr, feat);
		*outp = feat;
		return KCN_OK;
	}
	if ((out = OGR_F_Create(OGR_L_GetLayerDefn(wr->layer))) == NULL)
		return kcni_error(ctx, KCN_EOS, "write", "out of memory");
	/* Moved, not copied: the copy would be the costliest step. */
	g = OGR_F_StealGeometry(feat);
	if (OGR_F_GetDefnRef(feat) == wr->src_defn && wr->map != NULL)
		err = OGR_F_SetFromWithMap(out, feat, TRUE, wr->map);
	else
		err = OGR_F_SetFrom(out, feat, TRUE);
	OGR_F_SetGeometryDirectly(out, g);
	if (err != OGRERR_NONE) {
		OGR_F_Destroy(out);
		return kcni_error(ctx, KCN_REJECTED, "write",
		    "the feature does not fit the output layer");
	}
	writer_promote(wr, out);
	*outp = out;
	return KCN_OK;
}

enum kcn_status
kcni_writer_put(struct kcn_ctx *ctx, struct kcn_writer *wr, OGRFeatureH out)
{
	OGRErr err;

	kcni_gdal_reset(ctx);
	if (wr->explode && writer_parts(out) > 1) {
		/* Each part goes out with the feature's fields. */
		OGRGeometryH g = OGR_F_StealGeometry(out);
		int i;

		err = OGRERR_NONE;
		for (i = 0; i < OGR_G_GetGeometryCount(g) && err ==
		    OGRERR_NONE; i++) {
			OGR_F_SetGeometry(out, OGR_G_GetGeometryRef(g, i));
			OGR_F_SetFID(out, OGRNullFID);
			if ((err = OGR_L_CreateFeature(wr->layer, out)) ==
			    OGRERR_NONE && i + 1 < OGR_G_GetGeometryCount(g))
				wr->written++;
		}
		OGR_F_SetGeometryDirectly(out, g);
	} else {
		err = OGR_L_CreateFeature(wr->layer, out);
	}
	if (err != OGRERR_NONE || kcni_gdal_failed(ctx))
		return kcni_error(ctx, KCN_EIO, wr->target ? wr->target : "-",
		    "write failed after %lld features: %s", wr->written,
		    kcni_gdal_msg(ctx));
	wr->written++;
	return KCN_OK;
}

enum kcn_status
kcn_writer_write(struct kcn_ctx *ctx, struct kcn_writer *wr, OGRFeatureH feat)
{
	OGRFeatureH out;
	enum kcn_status st = kcni_writer_prepare(ctx, wr, feat, &out);

	if (st != KCN_OK)
		return st;
	st = kcni_writer_put(ctx, wr, out);
	if (out != feat)
		OGR_F_Destroy(out);
	return st;
}

/*
 * GDAL 3.6 drivers do not all report failed writes: FlatGeobuf, for one,
 * closes without error on a full disk and leaves a short file.  So every
 * file is read back before it is renamed into place, and must hold every
 * feature written.  Formats whose features do not map one to one (DXF,
 * GPX, KML folders) are not checked.
 */
/*
 * The features of a FlatGeobuf file written without spatial index, by
 * walking the size prefixes: the magic, the header, then one prefixed
 * record per feature up to the file's exact end.  -1 when the file is
 * short or not laid out so.  A tenth of the time of reading it through
 * GDAL, even with fields and shapes ignored.
 */
static long long
writer_fgb_records(const char *path)
{
	/* "fgb", major version 3, "fgb", then any patch version. */
	static const unsigned char magic[7] = { 'f', 'g', 'b', 3, 'f', 'g',
	    'b' };
	unsigned char head[8], len[4];
	long long n = -1;	/* the first record is the header */
	struct stat st;
	off_t pos = 8;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return -1;
	if (fstat(fileno(f), &st) != 0 || fread(head, 1, 8, f) != 8 ||
	    memcmp(head, magic, sizeof(magic)) != 0) {
		fclose(f);
		return -1;
	}
	while (pos < st.st_size) {
		uint32_t size;

		if (fseeko(f, pos, SEEK_SET) != 0 || fread(len, 1, 4, f) != 4)
			break;
		size = (uint32_t)len[0] | (uint32_t)len[1] << 8 |
		    (uint32_t)len[2] << 16 | (uint32_t)len[3] << 24;
		if (size == 0)
			break;
		pos += 4 + (off_t)size;
		n++;
	}
	fclose(f);
	return pos == st.st_size && n >= 0 ? n : -1;
}

static enum kcn_status
writer_verify(struct kcn_ctx *ctx, struct kcn_writer *wr)
{
	static const char *checked[] = { "FlatGeobuf", "GPKG",
	    "ESRI Shapefile", "GeoJSON", "GeoJSONSeq", "CSV", "SQLite" };
	struct kcn_source *src;
	struct kcn_reader *rd;
	OGRFeatureH f;
	enum kcn_status st = KCN_OK;
	struct stat sb;
	size_t i;
	long long n;

	for (i = 0; i < sizeof(checked) / sizeof(checked[0]); i++)
		if (strcmp(wr->driver, checked[i]) == 0)
			break;
	if (i == sizeof(checked) / sizeof(checked[0]))
		return KCN_OK;
	/* A plain file: walked; GDAL writes a folder for a name without
	   .fgb, read back through GDAL below. */
	if (wr->fgb && stat(wr->dsname, &sb) == 0 && S_ISREG(sb.st_mode)) {
		if (writer_fgb_records(wr->dsname) == wr->written)
			return KCN_OK;
		goto fail;
	}
	if ((src = kcn_source_open(ctx, wr->dsname, KCN_OPEN_VECTOR)) == NULL)
		goto fail;
	if ((rd = kcn_reader_new(ctx, src, NULL)) == NULL) {
		kcn_source_close(ctx, src);
		goto fail;
	}
	/* Only the records' presence matters: parse no fields, no shapes. */
	{
		OGRLayerH l = kcn_reader_layer(rd);
		OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
		int nf = OGR_FD_GetFieldCount(d);
		const char **ign = calloc((size_t)nf + 2, sizeof(*ign));

		if (ign != NULL) {
			for (int k = 0; k < nf; k++)
				ign[k] = OGR_Fld_GetNameRef(
				    OGR_FD_GetFieldDefn(d, k));
			ign[nf] = "OGR_GEOMETRY";
			OGR_L_SetIgnoredFields(l, ign);
			free(ign);
		}
	}
	while ((st = kcn_reader_next(ctx, rd, &f)) == KCN_OK && f != NULL)
		OGR_F_Destroy(f);
	if (f != NULL)
		OGR_F_Destroy(f);
	n = kcn_reader_count(rd);
	kcn_reader_free(rd);
	kcn_source_close(ctx, src);
	if (st == KCN_OK && n == wr->written)
		return KCN_OK;
fail:
	return kcni_error(ctx, KCN_EIO, wr->target, "write failed: the file "
	    "written does not read back whole (disk full?)");
}

/* Moves every file of the temporary folder into the target's folder. */
static enum kcn_status
writer_commit(struct kcn_ctx *ctx, struct kcn_writer *wr)
{
	char from[4096], to[4096];
	const char *slash = strrchr(wr->target, '/');
	int dirlen = slash ? (int)(slash - wr->target + 1) : 0;
	DIR *d;
	struct dirent *e;

	/* Stale sidecar files of an older shapefile would be mixed in. */
	if (strcmp(wr->driver, "ESRI Shapefile") == 0) {
		static const char *side[] = { "shx", "dbf", "prj", "cpg",
		    "qix", "sbn", "sbx" };
		const char *dot = strrchr(wr->target, '.');
		int stem = dot ? (int)(dot - wr->target) : (int)strlen(
		    wr->target);

		for (size_t i = 0; i < sizeof(side) / sizeof(side[0]); i++) {
			snprintf(to, sizeof(to), "%.*s.%s", stem, wr->target,
			    side[i]);
			unlink(to);
		}
	}
	if ((d = opendir(wr->tmpdir)) == NULL)
		return kcni_error(ctx, KCN_EIO, wr->target, "%s",
		    strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(from, sizeof(from), "%s/%s", wr->tmpdir, e->d_name);
		snprintf(to, sizeof(to), "%.*s%s", dirlen, wr->target,
		    e->d_name);
		if (rename(from, to) != 0) {
			closedir(d);
			return kcni_error(ctx, KCN_EIO, wr->target,
			    "cannot rename into place: %s", strerror(errno));
		}
	}
	closedir(d);
	rmdir(wr->tmpdir);
	return KCN_OK;
}

enum kcn_status
kcn_writer_close(struct kcn_ctx *ctx, struct kcn_writer *wr)
{
	enum kcn_status st = KCN_OK;
	const char *where = wr->target ? wr->target : "-";

	if (wr->fgb && wr->written == 0) {
		/* GDAL 3.6 writes an empty FlatGeobuf that it cannot read. */
		kcni_error(ctx, KCN_EDATA, where, "no features to write: "
		    "FlatGeobuf cannot hold an empty layer");
		kcn_writer_abort(wr);
		return KCN_EDATA;
	}
	kcni_gdal_reset(ctx);
	GDALClose(wr->ds);
	wr->ds = NULL;
	if (kcni_gdal_failed(ctx))
		st = kcni_error(ctx, KCN_EIO, where, "write failed: %s",
		    kcni_gdal_msg(ctx));
	else if (wr->target == NULL &&
	    (fflush(stdout) != 0 || ferror(stdout)))
		st = kcni_error(ctx, KCN_EIO, where, "write failed: %s",
		    strerror(errno ? errno : EIO));
	if (st == KCN_OK && wr->target != NULL)
		st = writer_verify(ctx, wr);
	if (st == KCN_OK && wr->target != NULL)
		st = writer_commit(ctx, wr);
	if (st != KCN_OK) {
		kcn_writer_abort(wr);
		return st;
	}
	writer_free(wr);
	return KCN_OK;
}
