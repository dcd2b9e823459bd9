/*
 * reader.c: opening sources (paths, GDAL virtual paths, standard input)
 * and reading features without ever losing one silently.
 *
 * Standard input: GDAL's /vsistdin/ keeps only 1 MiB for seeking back, and
 * the GeoJSON family reads ahead further than that, then returns a short
 * layer without failing.  So FlatGeobuf, which GDAL really streams, is read
 * from /vsistdin/ directly; anything else is first spooled to an unlinked
 * temporary file, which every driver can seek.
 */
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>

#include "kcn_internal.h"

struct kcn_source {
	char *name;		/* for messages */
	GDALDatasetH ds;
	int spool_fd;		/* unlinked temporary copy of stdin, or -1 */
};

struct kcn_reader {
	struct kcn_source *src;
	OGRLayerH layer;
	long long count;	/* features returned */
	long long expect;	/* features the header promises, or -1 */
	int failed;		/* a read error was already reported */
	/* Features read ahead by kcni_reader_peek(), served first. */
	OGRFeatureH *ahead;
	int nahead, pos;
	enum kcn_status ahead_st;	/* what the last one read gave */
	char *ahead_where, *ahead_msg;
};

static const unsigned char fgb_magic[4] = { 'f', 'g', 'b', 3 };

/* Copies the rest of /vsistdin/ into an unlinked temporary file. */
static int
source_spool(struct kcn_ctx *ctx, VSILFILE *in, int *fdp)
{
	char path[4096];
	const char *dir = getenv("TMPDIR");
	static char buf[1 << 16];
	size_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/kcn-stdin-XXXXXX",
	    dir && *dir ? dir : "/tmp");
	if ((fd = mkstemp(path)) < 0)
		return kcni_error(ctx, KCN_EOS, "-",
		    "cannot create a temporary file in %s: %s",
		    dir && *dir ? dir : "/tmp", strerror(errno));
	unlink(path);
	while ((n = VSIFReadL(buf, 1, sizeof(buf), in)) > 0) {
		size_t off = 0;

		while (off < n) {
			ssize_t w = write(fd, buf + off, n - off);

			if (w < 0) {
				if (errno == EINTR)
					continue;
				kcni_error(ctx, KCN_EIO, "-",
				    "cannot spool standard input: %s",
				    strerror(errno));
				close(fd);
				return KCN_EIO;
			}
			off += (size_t)w;
		}
	}
	*fdp = fd;
	return KCN_OK;
}

/*
 * Chooses how GDAL should see spooled standard input.  Drivers that need a
 * file extension (CSV) are named with a prefix; the rest detect content.
 */
static int
source_stdin_csv(const unsigned char *head, size_t n)
{
	size_t i = 0;
	int comma = 0, nl = 0;

	while (i < n && (head[i] == ' ' || head[i] == '\t' ||
	    head[i] == '\r' || head[i] == '\n'))
		i++;
	/* UTF-8 byte order mark, as spreadsheets write it. */
	if (n >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF)
		i = 3;
	if (memchr(head, '\0', n) != NULL)
		return 0;	/* binary */
	if (i < n && head[i] != '{' && head[i] != '[' && head[i] != '<' &&
	    head[i] != 0x1E) {
		for (size_t j = i; j < n && !nl; j++) {
			if (head[j] == ',' || head[j] == ';' || head[j] == '\t')
				comma = 1;
			if (head[j] == '\n')
				nl = 1;
		}
	}
	/* A DXF starts with group code 0 and SECTION. */
	return comma && !(n > i + 1 && head[i] == '0' &&
	    (head[i + 1] == '\n' || head[i + 1] == '\r'));
}

/*
 * Gives the spooled copy the name "stdin" for as long as GDAL opens it:
 * drivers name layers after files.  The link goes away right after the
 * open (the drivers that read streams keep their file handle), so nothing
 * is left behind even if the program is killed later.
 */
static enum kcn_status
source_stdin_link(struct kcn_ctx *ctx, int fd, char *dir, size_t dsize,
    char *link, size_t lsize)
{
	const char *tmp = getenv("TMPDIR");
	char target[64];

	snprintf(dir, dsize, "%s/kcn-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return kcni_error(ctx, KCN_EOS, "-", "cannot create a "
		    "temporary folder: %s", strerror(errno));
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	snprintf(link, lsize, "%s/stdin", dir);
	if (symlink(target, link) != 0) {
		rmdir(dir);
		return kcni_error(ctx, KCN_EOS, "-", "cannot link the "
		    "temporary copy of standard input: %s", strerror(errno));
	}
	return KCN_OK;
}

/*
 * Open options that let the CSV driver find the geometry: coordinate
 * columns or a column of WKT or hex WKB (GDAL reads both), by the names
 * given or the usual ones (GDAL matches them in any case).
 */
static char **
source_csv_options(const char *x, const char *y, const char *wkt)
{
	char **oo = NULL;

	/* A WKT or hex WKB column, unless coordinate columns are found. */
	oo = CSLSetNameValue(oo, "GEOM_POSSIBLE_NAMES", wkt ? wkt :
	    "wkt,wkb,geom,geometry,the_geom,shape,geom_wkt,wkt_geom");
	if (wkt == NULL) {
		oo = CSLSetNameValue(oo, "X_POSSIBLE_NAMES", x ? x :
		    "lon,lng,long,longitude,x,easting,x_coord,xcoord");
		oo = CSLSetNameValue(oo, "Y_POSSIBLE_NAMES", y ? y :
		    "lat,latitude,y,northing,y_coord,ycoord");
	}
	oo = CSLSetNameValue(oo, "KEEP_GEOM_COLUMNS", "YES");
	oo = CSLSetNameValue(oo, "AUTODETECT_TYPE", "YES");
	return oo;
}

static int
source_is_shapefile(const char *path)
{
	size_t n = strlen(path);

	return (n > 4 && (strcasecmp(path + n - 4, ".shp") == 0 ||
	    strcasecmp(path + n - 4, ".dbf") == 0)) ||
	    (n > 8 && strcasecmp(path + n - 8, ".shp.zip") == 0);
}

static int
source_is_zip(const char *path)
{
	size_t n = strlen(path);

	return n > 4 && strcasecmp(path + n - 4, ".zip") == 0 &&
	    strncmp(path, "/vsi", 4) != 0;
}

static int
source_is_csv(const char *path)
{
	const char *ext = strrchr(path, '.');

	return strncmp(path, "CSV:", 4) == 0 || (ext != NULL &&
	    (strcasecmp(ext, ".csv") == 0 || strcasecmp(ext, ".tsv") == 0));
}

struct kcn_source *
kcn_source_open(struct kcn_ctx *ctx, const char *path, int flags)
{
	return kcn_source_open_csv(ctx, path, flags, NULL, NULL, NULL);
}

struct kcn_source *
kcn_source_open_csv(struct kcn_ctx *ctx, const char *path, int flags,
    const char *x, const char *y, const char *wkt)
{
	struct kcn_source *src;
	const char *where = path;
	char name[4400], dir[4096] = "", link[4200] = "", **oo = NULL;
	unsigned char head[4096];
	size_t n = 0;
	unsigned oflags = GDAL_OF_VERBOSE_ERROR | GDAL_OF_READONLY;
	int kind = flags & (KCN_OPEN_VECTOR | KCN_OPEN_RASTER);
	VSIStatBufL st;

	if ((src = calloc(1, sizeof(*src))) == NULL) {
		kcni_error(ctx, KCN_EOS, path, "out of memory");
		return NULL;
	}
	src->spool_fd = -1;
	if ((src->name = kcni_strdup(ctx, path)) == NULL)
		goto fail;
	if (flags & KCN_OPEN_VECTOR)
		oflags |= GDAL_OF_VECTOR;
	if (flags & KCN_OPEN_RASTER)
		oflags |= GDAL_OF_RASTER;
	kcni_gdal_reset(ctx);
	if (strcmp(path, "-") == 0) {
		VSILFILE *in = VSIFOpenL("/vsistdin/", "rb");

		if (in == NULL) {
			kcni_error(ctx, KCN_ENOINPUT, "-",
			    "cannot read standard input");
			goto fail;
		}
		n = VSIFReadL(head, 1, sizeof(head), in);
		if (n == 0) {
			VSIFCloseL(in);
			kcni_error(ctx, KCN_EDATA, "-", "standard input is empty");
			goto fail;
		}
		if (n >= 4 && memcmp(head, fgb_magic, 4) == 0 &&
		    !(flags & KCN_OPEN_SEEKABLE)) {
			/* Streamed: GDAL re-reads the head from its buffer. */
			VSIFCloseL(in);
			snprintf(name, sizeof(name), "/vsistdin/");
		} else {
			VSIFSeekL(in, 0, SEEK_SET);
			if (source_spool(ctx, in, &src->spool_fd) != KCN_OK) {
				VSIFCloseL(in);
				goto fail;
			}
			VSIFCloseL(in);
			if (source_stdin_link(ctx, src->spool_fd, dir,
			    sizeof(dir), link, sizeof(link)) != KCN_OK)
				goto fail;
			snprintf(name, sizeof(name), "%s%s",
			    source_stdin_csv(head, n) ? "CSV:" : "", link);
		}
	} else {
		if (VSIStatExL(path, &st, VSI_STAT_EXISTS_FLAG) != 0) {
			kcni_error(ctx, KCN_ENOINPUT, where,
			    "cannot open: %s", strerror(ENOENT));
			goto fail;
		}
		snprintf(name, sizeof(name), "%s", path);
	}
	if ((flags & KCN_OPEN_RAW_TEXT) && source_is_shapefile(name))
		oo = CSLSetNameValue(oo, "ENCODING", "");
	if (source_is_csv(name)) {
		/* Or GDAL's XYZ raster driver claims CSV files of points. */
		oflags &= ~(unsigned)GDAL_OF_RASTER;
		oflags |= GDAL_OF_VECTOR;
		CSLDestroy(oo);
		oo = source_csv_options(x, y, wkt);
	}
	src->ds = GDALOpenEx(name, oflags, NULL, (const char *const *)oo,
	    NULL);
	CSLDestroy(oo);
	if (*link) {
		unlink(link);
		rmdir(dir);
	}
	if (src->ds == NULL && source_is_zip(name)) {
		/* A zip of shapefiles (or anything else GDAL reads inside). */
		char zname[4500];

		snprintf(zname, sizeof(zname), "/vsizip/%s", name);
		kcni_gdal_reset(ctx);
		src->ds = GDALOpenEx(zname, oflags, NULL, NULL, NULL);
	}
	if (src->ds == NULL) {
		if (*link)
			kcni_error(ctx, KCN_EDATA, "-", "cannot open: not "
			    "a %s format GDAL recognises",
			    kind == KCN_OPEN_VECTOR ? "vector" : "GIS");
		else if (kcni_gdal_failed(ctx) &&
		    strstr(kcni_gdal_msg(ctx), "not recognized") == NULL)
			kcni_error(ctx, KCN_EDATA, where, "cannot open: %s",
			    kcni_gdal_msg(ctx));
		else
			kcni_error(ctx, KCN_ENOINPUT, where,
			    "cannot open: not a %s source GDAL recognises",
			    kind == KCN_OPEN_RASTER ? "raster" :
			    kind == KCN_OPEN_VECTOR ? "vector" : "GIS");
		goto fail;
	}
	return src;
fail:
	if (src->spool_fd >= 0)
		close(src->spool_fd);
	free(src->name);
	free(src);
	return NULL;
}

const char *
kcn_source_name(const struct kcn_source *src)
{
	return src->name;
}

GDALDatasetH
kcn_source_dataset(const struct kcn_source *src)
{
	return src->ds;
}

enum kcn_status
kcn_source_close(struct kcn_ctx *ctx, struct kcn_source *src)
{
	enum kcn_status st = KCN_OK;

	if (src == NULL)
		return KCN_OK;
	kcni_gdal_reset(ctx);
	GDALClose(src->ds);
	if (kcni_gdal_failed(ctx))
		st = kcni_error(ctx, KCN_EIO, src->name, "close: %s",
		    kcni_gdal_msg(ctx));
	if (src->spool_fd >= 0)
		close(src->spool_fd);
	free(src->name);
	free(src);
	return st;
}

/*
 * A shapefile's .shp header states the file's length: a shorter file was
 * cut off (a partial copy or download) and its last features are lost.
 * Returns the stated length when the file is shorter, else 0.
 */
long long
kcni_shp_truncated(const char *path)
{
	VSILFILE *f = VSIFOpenL(CPLResetExtension(path, "shp"), "rb");
	unsigned char h[28];
	long long stated, actual;

	if (f == NULL)
		return 0;
	if (VSIFReadL(h, 1, sizeof(h), f) != sizeof(h)) {
		VSIFCloseL(f);
		return 0;
	}
	VSIFSeekL(f, 0, SEEK_END);
	actual = (long long)VSIFTellL(f);
	VSIFCloseL(f);
	stated = 2LL * ((long long)h[24] << 24 | h[25] << 16 | h[26] << 8 |
	    h[27]);
	return actual < stated ? stated : 0;
}

/* ---- features -------------------------------------------------------- */

struct kcn_reader *
kcn_reader_new(struct kcn_ctx *ctx, struct kcn_source *src, const char *name)
{
	struct kcn_reader *rd;
	OGRLayerH layer;

	if (GDALDatasetGetLayerCount(src->ds) == 0) {
		kcni_error(ctx, KCN_EDATA, src->name, "no vector layer");
		return NULL;
	}
	layer = name ? GDALDatasetGetLayerByName(src->ds, name) :
	    GDALDatasetGetLayer(src->ds, 0);
	if (layer == NULL) {
		kcni_error(ctx, KCN_EUSAGE, src->name, "no layer named '%s'",
		    name);
		return NULL;
	}
	if (strcmp(GDALGetDriverShortName(GDALGetDatasetDriver(src->ds)),
	    "ESRI Shapefile") == 0 && kcni_shp_truncated(src->name) > 0) {
		kcni_error(ctx, KCN_EDATA, src->name, "truncated: the .shp "
		    "header says %lld bytes, the file is shorter",
		    kcni_shp_truncated(src->name));
		return NULL;
	}
	if ((rd = calloc(1, sizeof(*rd))) == NULL) {
		kcni_error(ctx, KCN_EOS, src->name, "out of memory");
		return NULL;
	}
	rd->src = src;
	rd->layer = layer;
	rd->expect = -1;
	/*
	 * Where the header states a count cheaply (shapefile index,
	 * FlatGeobuf header, GeoPackage), the loop must end on it.
	 */
	if (OGR_L_TestCapability(layer, OLCFastFeatureCount))
		rd->expect = OGR_L_GetFeatureCount(layer, FALSE);
	OGR_L_ResetReading(layer);
	return rd;
}

OGRLayerH
kcn_reader_layer(const struct kcn_reader *rd)
{
	return rd->layer;
}

long long
kcn_reader_count(const struct kcn_reader *rd)
{
	return rd->count;
}

enum kcn_status
kcn_reader_next(struct kcn_ctx *ctx, struct kcn_reader *rd, OGRFeatureH *feat)
{
	char where[4300];

	if (rd->pos < rd->nahead) {
		*feat = rd->ahead[rd->pos++];
		rd->count += *feat != NULL;
		if (rd->pos == rd->nahead && rd->ahead_st != KCN_OK)
			return kcni_error(ctx, rd->ahead_st, rd->ahead_where,
			    "%s", rd->ahead_msg);
		return KCN_OK;
	}
	kcni_gdal_reset(ctx);
	*feat = OGR_L_GetNextFeature(rd->layer);
	if (*feat != NULL) {
		rd->count++;
		if (kcni_gdal_failed(ctx)) {
			snprintf(where, sizeof(where), "%s:%lld", rd->src->name,
			    rd->count);
			return kcni_error(ctx, KCN_EDATA, where, "%s",
			    kcni_gdal_msg(ctx));
		}
		return KCN_OK;
	}
	if (rd->failed)
		return KCN_OK;
	if (kcni_gdal_failed(ctx)) {
		rd->failed = 1;
		snprintf(where, sizeof(where), "%s:%lld", rd->src->name,
		    rd->count + 1);
		return kcni_error(ctx, KCN_EDATA, where,
		    "read failed after %lld features: %s", rd->count,
		    kcni_gdal_msg(ctx));
	}
	if (rd->expect > 0 && rd->count < rd->expect) {
		rd->failed = 1;
		return kcni_error(ctx, KCN_EDATA, rd->src->name,
		    "truncated: the header promises %lld features, "
		    "%lld could be read", rd->expect, rd->count);
	}
	return KCN_OK;
}

void
kcni_reader_rewind(struct kcn_reader *rd)
{
	OGR_L_ResetReading(rd->layer);
	rd->count = 0;
	rd->failed = 0;
}

void
kcn_reader_free(struct kcn_reader *rd)
{
	if (rd == NULL)
		return;
	for (int i = rd->pos; i < rd->nahead; i++)
		if (rd->ahead[i] != NULL)
			OGR_F_Destroy(rd->ahead[i]);
	free(rd->ahead);
	free(rd->ahead_where);
	free(rd->ahead_msg);
	free(rd);
}

int
kcni_ignore_fields(OGRLayerH layer, int keep)
{
	OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
	int n = OGR_FD_GetFieldCount(defn), k = 0;
	const char **names = calloc((size_t)n + 2, sizeof(*names));

	if (names == NULL)
		return -1;
	for (int i = 0; i < n; i++)
		if (i != keep)
			names[k++] = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn,
			    i));
	/* A driver that cannot skip fields reads them: no harm. */
	(void)OGR_L_SetIgnoredFields(layer, names);
	free(names);
	return 0;
}

int
kcni_reader_peek(struct kcn_ctx *ctx, struct kcn_reader *rd, int n,
    double ext[4])
{
	int got = 0, k = 0;

	if (rd->nahead > 0 || (rd->ahead = calloc(n, sizeof(OGRFeatureH))) ==
	    NULL)
		return 0;
	/* nahead stays 0 until the end, so that kcn_reader_next reads. */
	while (k < n) {
		OGRFeatureH f;
		enum kcn_status st = kcn_reader_next(ctx, rd, &f);
		OGRGeometryH g;
		OGREnvelope e;

		rd->ahead[k++] = f;
		if (st != KCN_OK) {
			rd->ahead_st = st;
			rd->ahead_where = strdup(kcn_ctx_where(ctx));
			rd->ahead_msg = strdup(kcn_ctx_errmsg(ctx));
			kcn_ctx_clear(ctx);
			if (rd->ahead_where == NULL || rd->ahead_msg == NULL)
				rd->ahead_st = kcni_error(ctx, KCN_EOS, "read",
				    "out of memory");
			break;
		}
		if (f == NULL)
			break;
		if ((g = OGR_F_GetGeometryRef(f)) == NULL || OGR_G_IsEmpty(g))
			continue;
		OGR_G_GetEnvelope(g, &e);
		if (!isfinite(e.MinX) || !isfinite(e.MaxX) ||
		    !isfinite(e.MinY) || !isfinite(e.MaxY))
			continue;
		ext[0] = got ? fmin(ext[0], e.MinX) : e.MinX;
		ext[1] = got ? fmin(ext[1], e.MinY) : e.MinY;
		ext[2] = got ? fmax(ext[2], e.MaxX) : e.MaxX;
		ext[3] = got ? fmax(ext[3], e.MaxY) : e.MaxY;
		got++;
	}
	rd->nahead = k;
	/* Counted again when served. */
	for (int i = 0; i < rd->nahead; i++)
		rd->count -= rd->ahead[i] != NULL;
	return got;
}
