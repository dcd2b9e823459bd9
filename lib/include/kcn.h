/*
 * kcn.h: the one public header of libkcn, the library behind the kcn tools.
 *
 * Conventions (see kcn(7) and the project's DESIGN notes):
 * - Every function takes a struct kcn_ctx first.  A context belongs to the
 *   thread that created it; threads each create their own.
 * - Operations return enum kcn_status (KCN_OK is 0) and leave a message in
 *   the context; constructors return NULL and do the same.
 * - The library never prints and never exits.  Warnings and verbose notes go
 *   to the message sink the caller installs with kcn_ctx_set_sink().
 * - Ownership is stated on every function: "new" results are freed by the
 *   caller with the named function; "borrowed" results must not be freed.
 * - Axis order is always x = easting/longitude, y = northing/latitude.
 */
#ifndef KCN_H
#define KCN_H

#include <stddef.h>
#include <stdio.h>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <geos_c.h>
#include <proj.h>

#define KCN_VERSION "0.1.0"

/* ---- status and exit codes ---------------------------------------- */

/*
 * Outcome of an operation.  The order is the order of severity used by
 * kcn_status_worst(): a later value wins.
 */
enum kcn_status {
	KCN_OK = 0,	/* success */
	KCN_REJECTED,	/* finished, but some features were rejected and reported */
	KCN_EUSAGE,	/* bad options or arguments */
	KCN_EDATA,	/* bad data: corrupt, truncated, invalid, undecodable */
	KCN_ENOINPUT,	/* an input cannot be opened */
	KCN_EDRIVER,	/* a needed GDAL driver is missing */
	KCN_ECRS,	/* bad CRS or configuration */
	KCN_ECREATE,	/* an output cannot be created */
	KCN_EIO,	/* read or write error (disk full, closed stream) */
	KCN_EOS,	/* the system failed us (out of memory, no temp space) */
	KCN_EINTERNAL	/* a bug or an unexpected library exception */
};

/* The process exit code for a status (sysexits numbers; see kcn(7)). */
int kcn_exit_code(enum kcn_status st);

/* A short lower-case name for a status ("bad data", ...).  Static string. */
const char *kcn_status_name(enum kcn_status st);

/* The more severe of two statuses. */
enum kcn_status kcn_status_worst(enum kcn_status a, enum kcn_status b);

/* ---- context ------------------------------------------------------- */

struct kcn_ctx;

enum kcn_level {
	KCN_MSG_ERROR,		/* an error that ends the operation */
	KCN_MSG_WARNING,	/* something the user must know; work goes on */
	KCN_MSG_INFO,		/* what was decided (shown with -v) */
	KCN_MSG_DEBUG		/* library chatter (GDAL/PROJ/GEOS notices) */
};

/*
 * A message sink: WHERE is a file, file:feature or option name, WHAT the
 * message, both without trailing newline.  Called from the context's thread.
 */
typedef void (*kcn_sink_fn)(void *ud, enum kcn_level level,
    const char *where, const char *what);

/*
 * Progress callback: DONE units of TOTAL (TOTAL 0 when unknown) of the work
 * named LABEL.  DONE == TOTAL, or DONE < 0, means the work is finished.
 * Called at most about ten times a second.
 */
typedef void (*kcn_progress_fn)(void *ud, const char *label,
    double done, double total);

/*
 * Returns a new context owning a GEOS handle, a PROJ context and the error
 * state, and routes GDAL's (this thread's), PROJ's and GEOS's messages into
 * it.  Registers GDAL drivers on first use.  Caller frees with
 * kcn_ctx_free().  NULL when out of memory.
 */
struct kcn_ctx *kcn_ctx_new(void);

/* Frees the context.  NULL is accepted.  Same thread as kcn_ctx_new(). */
void kcn_ctx_free(struct kcn_ctx *ctx);

/* Installs the message sink (NULL: messages are kept only as errors). */
void kcn_ctx_set_sink(struct kcn_ctx *ctx, kcn_sink_fn fn, void *ud);

/* Installs the progress callback (NULL: none). */
void kcn_ctx_set_progress(struct kcn_ctx *ctx, kcn_progress_fn fn, void *ud);

/*
 * The last error: its status, WHERE and WHAT.  Borrowed strings, valid
 * until the next call on the context that fails or kcn_ctx_clear().
 * "" when there is none.
 */
enum kcn_status kcn_ctx_status(const struct kcn_ctx *ctx);
const char *kcn_ctx_where(const struct kcn_ctx *ctx);
const char *kcn_ctx_errmsg(const struct kcn_ctx *ctx);

/* Forgets the last error. */
void kcn_ctx_clear(struct kcn_ctx *ctx);

/* Borrowed handles, valid while the context lives. */
GEOSContextHandle_t kcn_ctx_geos(struct kcn_ctx *ctx);
PJ_CONTEXT *kcn_ctx_proj(struct kcn_ctx *ctx);

/* Frees memory that the library returned as "free with kcn_free()". */
void kcn_free(void *p);

/* ---- CRS ------------------------------------------------------------ */

/*
 * Parses a CRS given by the user: "EPSG:n" (or any authority:code), WKT,
 * PROJJSON, a PROJ string, or one of the data-driven names
 *   "utm"   the UTM zone (north or south) of the centre of LONLAT,
 *   "laea"  a Lambert azimuthal equal-area projection centred on LONLAT,
 *   "local" the metric CRS kcn uses for distances: "utm" when LONLAT lies
 *           in one UTM zone between 80S and 84N, otherwise "laea".
 * LONLAT is the data's extent {west, south, east, north} in degrees (west >
 * east when it crosses the antimeridian); it may be NULL unless a
 * data-driven name is used.  Returns a new SRS with longitude-first axis
 * order; caller frees with OSRRelease().  NULL and KCN_ECRS on error.
 */
OGRSpatialReferenceH kcn_crs_parse(struct kcn_ctx *ctx, const char *text,
    const double lonlat[4]);

/* The UTM zone (1..60) of a longitude; Norway/Svalbard exceptions ignored. */
int kcn_utm_zone(double lon);

/*
 * Transforms the extent EXT {minx, miny, maxx, maxy} in SRS to lon/lat
 * degrees in OUT, following the edges (not just the corners).  KCN_ECRS
 * when it cannot be transformed.
 */
enum kcn_status kcn_extent_lonlat(struct kcn_ctx *ctx,
    OGRSpatialReferenceH srs, const double ext[4], double out[4]);

/*
 * Returns a new EPSG:4326 SRS in longitude-first order.  Caller frees with
 * OSRRelease().
 */
OGRSpatialReferenceH kcn_crs_wgs84(void);

/*
 * Describes SRS: a new string "NAME (EPSG:n)" or "NAME" when no EPSG code
 * is known.  Caller frees with kcn_free().
 */
char *kcn_crs_label(OGRSpatialReferenceH srs);

/* The EPSG code of SRS, identified from its definition; 0 when unknown. */
int kcn_crs_epsg(OGRSpatialReferenceH srs);

/* A CRS that data without one may be in. */
struct kcn_crs_guess {
	int epsg;
	char name[128];
	double score;		/* overlap with the reference area, 0..1 */
};

/*
 * Suggests projected CRSs for data without one: those whose area of use
 * holds the middle of REF (a lon/lat extent the data should fall in, such
 * as that of the other layers of the delivery) and that bring the data's
 * NATIVE extent onto REF, best overlap first.  Fills at most MAX entries
 * of OUT; returns how many.
 */
int kcn_crs_suggest(struct kcn_ctx *ctx, const double native[4],
    const double ref[4], struct kcn_crs_guess *out, int max);

/* ---- coordinate operations ----------------------------------------- */

/* What a chosen coordinate operation is. */
struct kcn_op_info {
	char name[512];		/* PROJ's name of the operation */
	double accuracy;	/* metres; 0 exact; -1 unknown */
	int exact;		/* conversions only: no datum change */
	int ballpark;		/* a ballpark (datum-less) transformation */
	char grids[512];	/* grids it uses, comma separated, or "" */
	/* A better operation that needs grids not installed, or "". */
	char better[512], missing[512];
	double better_accuracy;
};

struct kcn_transform;

/*
 * Chooses the operation from FROM to TO for data in AREA (a lon/lat
 * extent {west, south, east, north}; NULL: the CRSs' areas): the first
 * PROJ lists for that area among those whose grids are installed, used
 * for every point.  A ballpark operation is refused (KCN_ECRS, saying why
 * and naming a missing grid) unless ALLOW_BALLPARK.  Returns a new
 * transform for CTX's thread; free with kcn_transform_free().  NULL and
 * KCN_ECRS on error.
 */
struct kcn_transform *kcn_transform_new(struct kcn_ctx *ctx,
    OGRSpatialReferenceH from, OGRSpatialReferenceH to, const double area[4],
    int allow_ballpark);
/* The same operation for another thread's context CTX. */
struct kcn_transform *kcn_transform_clone(struct kcn_ctx *ctx,
    const struct kcn_transform *t);
/* What the operation is.  Borrowed. */
const struct kcn_op_info *kcn_transform_info(const struct kcn_transform *t);
/*
 * Transforms every coordinate of G in place (Z too when G has it), one
 * batch per line or ring.  KCN_REJECTED, with G partly transformed, when a
 * point falls outside the operation's domain; the message names it.
 */
enum kcn_status kcn_transform_geom(struct kcn_ctx *ctx,
    struct kcn_transform *t, OGRGeometryH g);
/* Frees T.  NULL is accepted. */
void kcn_transform_free(struct kcn_transform *t);

/* ---- reading -------------------------------------------------------- */

struct kcn_source;

enum kcn_open_flags {
	KCN_OPEN_VECTOR = 1,
	KCN_OPEN_RASTER = 2,
	KCN_OPEN_SEEKABLE = 4,	/* spool standard input even when it is
				   FlatGeobuf: the caller reads twice */
	KCN_OPEN_RAW_TEXT = 8	/* shapefiles: no recoding by .cpg or
				   language driver id; the caller decodes */
};

/*
 * Opens PATH ("-" for standard input; /vsizip/ and other GDAL virtual
 * paths accepted) as a GDAL dataset of the kinds in FLAGS.  Standard
 * input is streamed when it holds FlatGeobuf and otherwise spooled to an
 * unlinked temporary file first, so that no driver ever sees a truncated
 * stream; its layer is then named "stdin".  CSV files get their point
 * geometry from columns named like lon/lat or x/y.  Returns a new source; caller closes with kcn_source_close().
 * NULL and KCN_ENOINPUT (or KCN_EDATA, KCN_EDRIVER) on error.
 */
struct kcn_source *kcn_source_open(struct kcn_ctx *ctx, const char *path,
    int flags);

/*
 * kcn_source_open with the names of a CSV source's coordinate columns:
 * X and Y (longitude/easting and latitude/northing), or WKT (a column of
 * WKT geometries).  NULL keeps the usual guesses; the names are ignored
 * for sources that are not CSV.
 */
struct kcn_source *kcn_source_open_csv(struct kcn_ctx *ctx, const char *path,
    int flags, const char *x, const char *y, const char *wkt);

/* The name to use in messages ("-" for standard input).  Borrowed. */
const char *kcn_source_name(const struct kcn_source *src);

/* The GDAL dataset.  Borrowed; valid until kcn_source_close(). */
GDALDatasetH kcn_source_dataset(const struct kcn_source *src);

/* Closes the source and checks GDAL's error state.  NULL is accepted. */
enum kcn_status kcn_source_close(struct kcn_ctx *ctx, struct kcn_source *src);

struct kcn_reader;

/*
 * Starts reading layer LAYER (NULL: the first) of SRC from the beginning.
 * Returns a new reader; caller frees with kcn_reader_free(), before
 * closing SRC.  NULL and KCN_EUSAGE when there is no such layer.
 */
struct kcn_reader *kcn_reader_new(struct kcn_ctx *ctx,
    struct kcn_source *src, const char *layer);

/* The OGR layer being read.  Borrowed. */
OGRLayerH kcn_reader_layer(const struct kcn_reader *rd);

/*
 * Reads the next feature into *FEAT (a new feature; caller destroys with
 * OGR_F_Destroy()).  At the end *FEAT is NULL and KCN_OK is returned, but
 * only after checking that nothing was lost: a GDAL failure during the
 * loop, or fewer features than the layer's header promised, is KCN_EDATA.
 * A feature that GDAL read with an error is returned too, with KCN_EDATA,
 * so that the caller can report it by feature and go on or stop.
 */
enum kcn_status kcn_reader_next(struct kcn_ctx *ctx, struct kcn_reader *rd,
    OGRFeatureH *feat);

/* Features returned so far. */
long long kcn_reader_count(const struct kcn_reader *rd);

/* Frees the reader.  NULL is accepted. */
void kcn_reader_free(struct kcn_reader *rd);

/* ---- writing -------------------------------------------------------- */

struct kcn_writer_opts {
	const char *path;	/* NULL or "-": standard output */
	const char *format;	/* NULL: by extension, FlatGeobuf on stdout;
				   else a kcn name (fgb, geojsonseq, geojsonl,
				   geojson, gpkg, shp, csv) or a GDAL driver */
	int allow_tty;		/* write binary to a terminal anyway */
	int stdout_is_tty;	/* set by the caller: isatty(1) */
	int explode;		/* each part of a multi-part geometry is a
				   feature of its own */
};

struct kcn_writer;

/*
 * Opens an output for one layer named NAME with geometry type GTYPE, CRS
 * SRS (may be NULL) and the fields of DEFN (may be NULL).  Files are
 * written under a temporary name in the target's folder and renamed by
 * kcn_writer_close().  Binary output to a terminal is refused (KCN_EUSAGE)
 * unless allowed.  Returns a new writer; caller ends it with
 * kcn_writer_close() or kcn_writer_abort().  NULL and KCN_ECREATE,
 * KCN_EDRIVER or KCN_EUSAGE on error.
 */
struct kcn_writer *kcn_writer_open(struct kcn_ctx *ctx,
    const struct kcn_writer_opts *opts, const char *name,
    OGRwkbGeometryType gtype, OGRSpatialReferenceH srs,
    OGRFeatureDefnH defn);

/* Features written so far (parts, when exploding). */
long long kcn_writer_count(const struct kcn_writer *wr);

/* The output layer (to create more fields before writing).  Borrowed. */
OGRLayerH kcn_writer_layer(const struct kcn_writer *wr);

/*
 * Writes FEAT: its fields are copied (matched by name) and its geometry is
 * moved to the output, so FEAT is left without geometry; FEAT stays the
 * caller's to destroy.
 * A single geometry in a layer declared Multi is written as a Multi of
 * one part.  KCN_REJECTED, with nothing written, for a feature without geometry (null
 * or empty) in FlatGeobuf, which GDAL 3.6 cannot write; the caller reports
 * and counts it.  KCN_EIO when the driver fails (disk full, closed stream).
 */
enum kcn_status kcn_writer_write(struct kcn_ctx *ctx, struct kcn_writer *wr,
    OGRFeatureH feat);

/*
 * Finishes the output: closes the dataset, checks GDAL's error state and,
 * for files, renames the temporary files into place.  Frees WR in every
 * case.  On failure nothing is left at the target path.  KCN_EDATA for
 * FlatGeobuf without features, which GDAL 3.6 cannot write readably.
 */
enum kcn_status kcn_writer_close(struct kcn_ctx *ctx, struct kcn_writer *wr);

/* Discards the output and frees WR.  NULL is accepted. */
void kcn_writer_abort(struct kcn_writer *wr);

/* The GDAL driver short name a writer would use for OPTS, or NULL. */
const char *kcn_writer_driver(const struct kcn_writer_opts *opts);

/* ---- geometry ------------------------------------------------------- */

/*
 * Converts an OGR geometry to a new GEOS geometry (curves are linearised,
 * M is dropped, Z kept).  Caller destroys with GEOSGeom_destroy_r().  NULL
 * and KCN_EDATA on error; NULL without error for a NULL input.
 */
GEOSGeometry *kcn_geom_to_geos(struct kcn_ctx *ctx, OGRGeometryH g);

/*
 * Converts a GEOS geometry to a new OGR geometry.  Caller destroys with
 * OGR_G_DestroyGeometry().  NULL and KCN_EDATA on error.
 */
OGRGeometryH kcn_geom_from_geos(struct kcn_ctx *ctx, const GEOSGeometry *g);

/*
 * Returns a new valid geometry made from G (GEOS make-valid).  DIM keeps
 * only the parts of that dimension (2: areas, 1: lines, 0: points; -1:
 * all), so that a polygon layer stays polygonal; the result may be empty
 * when nothing of that dimension is left.  Caller destroys with
 * GEOSGeom_destroy_r().  NULL and KCN_EDATA when GEOS fails.
 */
GEOSGeometry *kcn_geom_repair(struct kcn_ctx *ctx, const GEOSGeometry *g,
    int dim);

/* ---- progress ------------------------------------------------------- */

/*
 * Formats a one-line progress bar into BUF (at most SIZE bytes, NUL
 * terminated, no newline) for WIDTH terminal columns: label, bar, percent
 * or count, rate and ELAPSED seconds.  Returns BUF.
 */
char *kcn_progress_format(char *buf, size_t size, int width,
    const char *label, double done, double total, double elapsed);

/* ---- kcn-info ------------------------------------------------------- */

struct kcn_info_opts {
	int json;	/* one JSON object per source instead of text */
	int check;	/* read every feature: geometry types, invalid, empty */
	int stats;	/* exact raster statistics instead of approximate */
};

/*
 * Describes the GDAL source PATH ("-" for standard input) on OUT, as text
 * or JSON.  Problems found in the data (no CRS, no encoding, invalid
 * geometries) are part of the description, not errors.  Returns KCN_OK,
 * or the status of what prevented the description (in JSON mode an error
 * object is still written).
 */
enum kcn_status kcn_info_run(struct kcn_ctx *ctx, const char *path,
    const struct kcn_info_opts *opts, FILE *out);

/* ---- kcn-ingest ----------------------------------------------------- */

enum kcn_on_invalid {
	KCN_INVALID_REPAIR,		/* make valid, keep the layer's kind */
	KCN_INVALID_SKIP,		/* skip the feature, reported */
	KCN_INVALID_FAIL		/* stop the run (KCN_EDATA) */
};

struct kcn_ingest_opts {
	char **layers;			/* layer names, NULL-ended; NULL:
					   the first layer */
	int all_layers;			/* every layer with geometry */
	enum kcn_on_invalid on_invalid;
	int keep_empty;			/* keep null and empty geometries */
	int force_2d;			/* drop Z */
	const char *s_srs;		/* assign this CRS (NULL: keep) */
	int guess_crs;			/* no CRS: take the best candidate */
	const char *x, *y, *wkt;	/* CSV coordinate or WKT columns */
	const char *fields;		/* "a,b,c": keep these, in this order */
	char **rename;			/* "old=new" entries, NULL-ended */
	char **add;			/* "name=value" entries, NULL-ended */
	int snake_case;			/* field names in snake_case */
	const char *report;		/* write a JSON report here */
	const char *encoding;		/* text encoding of the source (any
					   iconv name); NULL: UTF-8, or what
					   a shapefile's .cpg says */
	int threads;			/* threads in all, one of them
					   reading and writing; 0: one
					   per core */
	struct kcn_writer_opts out;
};

/*
 * Copies one layer of PATH ("-" for standard input), or the several that
 * OPTS names (then with a "layer" field), to the output of OPTS, each geometry passing through GEOS and all text decoded to UTF-8.
 * Invalid geometries are repaired, skipped or fatal as OPTS says; null and
 * empty ones are skipped unless kept.  A source without CRS is refused
 * (KCN_ECRS) unless OPTS assigns one.
 * Features that cannot be read, converted or decoded, or that the output
 * cannot hold, are reported through the sink, skipped and counted: the
 * result is then KCN_REJECTED.  A source that fails as a whole (truncated,
 * unreadable) gives its error and leaves no output file.  With a report
 * path, a JSON report of counts (by reason), decisions and messages is
 * written there in every case.
 */
enum kcn_status kcn_ingest_run(struct kcn_ctx *ctx, const char *path,
    const struct kcn_ingest_opts *opts);

/* ---- kcn-reproject ------------------------------------------------- */

struct kcn_reproject_opts {
	const char *layer;		/* NULL: the first layer */
	const char *t_srs;		/* target CRS (kcn_crs_parse forms) */
	const char *s_srs;		/* assign this source CRS (NULL: keep) */
	int allow_ballpark;		/* accept a ballpark transformation */
	double densify;			/* metres between vertices; 0: none */
	int force_2d;			/* drop Z */
	int threads;			/* threads in all; 0: one per core */
	struct kcn_writer_opts out;
};

/*
 * Reprojects one layer of PATH ("-" for standard input) to OPTS->t_srs,
 * in input order, with the one operation PROJ ranks best for the data's
 * extent (said at KCN_MSG_INFO: name, accuracy, grids).  A ballpark
 * operation is refused (KCN_ECRS) unless allowed.  Longitudes past the
 * antimeridian are cut there for projected targets, and latitudes at
 * Web Mercator's limit for Mercator targets (noted per feature).  A
 * feature with a point outside the operation's domain is reported,
 * skipped and counted (KCN_REJECTED); nothing infinite is written.
 */
enum kcn_status kcn_reproject_run(struct kcn_ctx *ctx, const char *path,
    const struct kcn_reproject_opts *opts);

/* ---- kcn-buffer ---------------------------------------------------- */

enum kcn_cap { KCN_CAP_ROUND = 1, KCN_CAP_FLAT, KCN_CAP_SQUARE };
enum kcn_join { KCN_JOIN_ROUND = 1, KCN_JOIN_MITRE, KCN_JOIN_BEVEL };

struct kcn_buffer_opts {
	const char *layer;		/* NULL: the first layer */
	const char *s_srs;		/* assign this source CRS (NULL: keep) */
	double radius;			/* metres; negative shrinks areas */
	const char *radius_field;	/* or the radius of each feature */
	int segments;			/* per quarter circle */
	enum kcn_cap cap;		/* line ends */
	enum kcn_join join;		/* line and polygon corners */
	double mitre_limit;
	int dissolve;			/* merge the buffers (kcn_dissolve_run) */
	const char *dissolve_field;	/* ... by this field (NULL: all) */
	int threads;			/* threads in all; 0: one per core */
	struct kcn_writer_opts out;
};

/*
 * Buffers every feature of one layer of PATH by OPTS->radius metres (or
 * its OPTS->radius_field), true on the ellipsoid anywhere: each in an
 * azimuthal equidistant projection centred near it, the result in the
 * layer's CRS, fields kept, feature order kept.  A feature that cannot be
 * buffered (no geometry, no radius, nothing left of a shrunk area) is
 * reported, skipped and counted (KCN_REJECTED).  With OPTS->dissolve the
 * buffers are merged, all or by a field, with a count, through a
 * temporary FlatGeobuf file.
 */
enum kcn_status kcn_buffer_run(struct kcn_ctx *ctx, const char *path,
    const struct kcn_buffer_opts *opts);

/* ---- kcn-dissolve -------------------------------------------------- */

struct kcn_dissolve_opts {
	const char *layer;		/* NULL: the first layer */
	char **by;			/* group by these fields (NULL-ended;
					   NULL: all features into one) */
	int count;			/* add "count" */
	char **sum, **min, **max;	/* numeric fields: sum_F, min_F, max_F */
	char **first;			/* fields: first_F, the first value */
	const char *label;		/* the source in messages (NULL:
					   PATH) */
	int valid;			/* the geometries are known valid (a
					   tool's own output): not tested */
	struct kcn_writer_opts out;	/* explode: one feature per part */
};

/*
 * Merges the features of one layer of PATH that share the values of the
 * fields OPTS->by into one feature each, in order of first appearance,
 * with the aggregates asked for.  Polygons that do not overlap are merged
 * by coverage union, others by the general union; invalid geometries are
 * repaired first.  Features without geometry are reported, skipped and
 * counted (KCN_REJECTED).  The layer is read whole: every geometry of a
 * group must be at hand to merge it.
 */
enum kcn_status kcn_dissolve_run(struct kcn_ctx *ctx, const char *path,
    const struct kcn_dissolve_opts *opts);

/* ---- kcn-overlay --------------------------------------------------- */

enum kcn_overlay_op {
	KCN_OVERLAY_CLIP,		/* A inside B, A's fields */
	KCN_OVERLAY_ERASE,		/* A outside B, A's fields */
	KCN_OVERLAY_INTERSECT,		/* A and B: one piece a pair */
	KCN_OVERLAY_IDENTITY,		/* intersect, then A outside B */
	KCN_OVERLAY_UNION,		/* identity, then B outside A */
	KCN_OVERLAY_SYMDIFFERENCE	/* A outside B, then B outside A */
};

struct kcn_overlay_opts {
	enum kcn_overlay_op op;
	const char *layer;		/* of the stream; NULL: the first */
	const char *b_path, *b_layer;	/* the areas to cut with */
	char **b_fields;		/* B's fields kept by intersect, identity,
					   union, symdifference (NULL-ended;
					   NULL: all; empty: none) */
	double min_area;		/* cut areas smaller are dropped (square
					   metres; projected CRS); 0: none */
	int threads;			/* threads in all; 0: one per core */
	struct kcn_writer_opts out;
};

/* The operation named NAME ("clip", ...); -1 when there is none. */
int kcn_overlay_op_parse(const char *name);

/* The name of OP. */
const char *kcn_overlay_op_name(enum kcn_overlay_op op);

/*
 * The features of PATH ("-": standard input), A, cut by the areas of
 * OPTS->b_path, B, brought into A's CRS.  Clip keeps the parts of A inside
 * B, erase those outside, with A's fields.  Intersect writes one piece
 * for each pair of an A feature and a B area that share some of A's
 * dimension, with the fields of both (B's renamed b_NAME where A has the
 * name); identity adds the parts of A outside B (B's fields null); union
 * adds to those the parts of B outside A (A's fields null), written after
 * the stream; symdifference writes the parts of A outside B and of B
 * outside A.  Union and symdifference need areas in A, and hold the parts
 * of A inside B in memory until the stream ends.  Output order follows
 * A, then B.  Features wholly outside (clip, intersect) or inside (erase,
 * symdifference) and cut areas below OPTS->min_area (slivers) are left
 * out and counted; a feature GEOS cannot cut, even on snapped geometries,
 * is reported, skipped and counted (KCN_REJECTED).
 */
enum kcn_status kcn_overlay_run(struct kcn_ctx *ctx, const char *path,
    const struct kcn_overlay_opts *opts);

/* ---- kcn-coverage -------------------------------------------------- */

/* A layer given on the command line as NAME=PATH[:r=METRES]. */
struct kcn_coverage_layer {
	const char *name;		/* category, or points or lines name */
	const char *path;		/* "-": standard input */
	double radius;			/* metres around points and lines;
					   0: the layer holds the areas */
};

enum kcn_coverage_format {
	KCN_COVERAGE_CSV,
	KCN_COVERAGE_JSON,
	KCN_COVERAGE_MARKDOWN
};

struct kcn_coverage_opts {
	const char *zones;		/* the districts */
	const char *zone_id;		/* their id field (NULL: feature
					   number, from 1) */
	const char *zone_name;		/* their name field (NULL: none) */
	const struct kcn_coverage_layer *cats;	/* the plan, by category */
	int ncats;
	const struct kcn_coverage_layer *base;	/* existing infrastructure,
					   by the category it adds to */
	int nbase;
	const struct kcn_coverage_layer *points;	/* counted */
	int npoints;
	int by_area;			/* areas among the points: counted by
					   the share of their area, not by
					   their centroid */
	const struct kcn_coverage_layer *lines;	/* measured in metres */
	int nlines;
	const char *pop;		/* population raster, or NULL */
	const char *pop_layer;		/* or population areas ... */
	const char *pop_field;		/* ... with this field */
	int segments;			/* per quarter circle of a buffer */
	enum kcn_coverage_format format;
	const char *output;		/* the table (NULL or "-": OUT) */
	const char *gaps;		/* uncovered part of each zone, or NULL */
	const char *covered;		/* covered part by zone and category,
					   or NULL */
	int threads;			/* threads in all; 0: one per core */
};

/*
 * Parses ARG, "NAME=PATH" or "NAME=PATH:r=METRES", into *L (pointing
 * into ARG).  KCN_EUSAGE, saying why, when it is not one.
 */
enum kcn_status kcn_coverage_layer_parse(struct kcn_ctx *ctx, char *arg,
    struct kcn_coverage_layer *l);

/*
 * The coverage report of a plan: for each zone of OPTS->zones, and for
 * the city as a whole (the zones unioned; "TOTAL"), and for each category
 * of OPTS->cats and all of them together ("all", when there are two or
 * more): the zone's area, the area the category's service areas cover
 * (overlaps counted once) and the area two or more of them cover, in
 * square metres on a Lambert azimuthal equal-area projection centred on
 * the zones; the population in the zone and covered, from a raster by
 * the exact share of each cell inside, or from areas by the share of
 * their area; the points inside and covered, and the length of lines
 * inside and covered (geodesic metres).  Points, lines and areas given
 * with a radius are buffered by it, true on the ellipsoid: circles drawn
 * through the projection's local distortion at each point, other
 * buffers in an azimuthal equidistant projection centred on each
 * feature.  With OPTS->base, the
 * existing coverage and the plan's gain over it.  The table is written
 * to OPTS->output, or OUT, as CSV, JSON or Markdown; the same numbers
 * and bytes for any number of threads.
 */
enum kcn_status kcn_coverage_run(struct kcn_ctx *ctx,
    const struct kcn_coverage_opts *opts, FILE *out);

/* ---- styles (kcn-tile) ---------------------------------------------- */

enum kcn_symbol { KCN_SYMBOL_CIRCLE, KCN_SYMBOL_SQUARE, KCN_SYMBOL_NONE };

/* How raster tiles below the highest zoom show a layer of areas: chosen
   by the size of its features, drawn afresh, or averaged from the zoom
   above (four pixels to one, as gdal2tiles does). */
enum kcn_zoomout { KCN_ZOOMOUT_AUTO, KCN_ZOOMOUT_DRAW, KCN_ZOOMOUT_AVERAGE };

/* A class of a layer coloured by a field: a break or a value. */
struct kcn_style_class {
	double value;		/* graduated: this value and up */
	char *text;		/* categorical: this value */
	unsigned rgba;		/* 0xRRGGBBAA */
};

/* How a layer is drawn; see kcn-tile(1), STYLES. */
struct kcn_style {
	char *name;		/* the layer's name in tiles, or NULL */
	unsigned fill, stroke;	/* 0xRRGGBBAA; alpha 0: none */
	double width;		/* stroke width, pixels */
	double opacity;		/* 0..1, applied to fill and stroke */
	int symbol;		/* enum kcn_symbol, for points */
	double size;		/* symbol diameter, pixels */
	char *label;		/* a field to label with, or NULL */
	char *by;		/* a field that picks the fill, or NULL */
	int graduated;		/* classes are breaks, else values */
	struct kcn_style_class *classes;
	int nclasses;
	int zoomout;		/* enum kcn_zoomout */
};

/* The default style of the INDEXth layer (a colour of its own). */
void kcn_style_default(struct kcn_style *s, int index);

/* Parses a colour: #RGB, #RRGGBB, #RRGGBBAA or none (0); -1 if not one. */
int kcn_style_color(const char *text, unsigned *rgba);

/* Sets one KEY to VAL in S; KCN_EUSAGE, naming WHERE, when invalid. */
enum kcn_status kcn_style_set(struct kcn_ctx *ctx, struct kcn_style *s,
    const char *where, const char *key, const char *val);

/* Applies "key=value,key=value..." to S. */
enum kcn_status kcn_style_parse(struct kcn_ctx *ctx, struct kcn_style *s,
    const char *where, const char *text);

/*
 * Applies the sections "[LAYER]" and "[*]" of the style file PATH to S,
 * in the file's order; *FOUND (may be NULL) says whether "[LAYER]" was
 * there.  Errors name the file and line.
 */
enum kcn_status kcn_style_file(struct kcn_ctx *ctx, const char *path,
    const char *layer, struct kcn_style *s, int *found);

/* The fill for a feature whose BY field holds TEXT (VALUE as a number
   when HAS_VALUE): its class's colour, else the style's fill. */
unsigned kcn_style_pick(const struct kcn_style *s, const char *text,
    double value, int has_value);

/* Frees what S holds.  NULL is accepted. */
void kcn_style_free(struct kcn_style *s);

/* ---- kcn-tile -------------------------------------------------------- */

struct kcn_tile_layer {
	const char *path;
	struct kcn_style style;	/* style.name: the layer's name */
};

struct kcn_tile_opts {
	struct kcn_tile_layer *layers;
	int nlayers;
	int zmin, zmax;		/* 0..24 */
	const char *output;	/* a folder, NAME.mbtiles or NAME.pmtiles */
	int vector;		/* Mapbox Vector Tiles, else PNG */
	int scale;		/* PNG: 1 (256 px) or 2 (512 px) */
	int force;		/* replace an existing output */
	int allow_ballpark;	/* accept datum-less transformations */
	int preview;		/* write index.html next to the tiles */
	int threads;		/* 0: one per core */
	size_t max_bytes;	/* vector tile limit; 0: 500 KB */
	long max_features;	/* vector tile limit; 0: 200,000 */
};

/* Parses "Z" or "ZMIN-ZMAX" (0..24). */
enum kcn_status kcn_tile_zoom_parse(struct kcn_ctx *ctx, const char *text,
    int *zmin, int *zmax);

/*
 * Parses ARG, "PATH" or "PATH:STYLE", into *L (pointing into ARG): the
 * style is the INDEXth default, then the sections of STYLE_FILE (may be
 * NULL) for the layer's name, then STYLE.  The name is the style's name=,
 * else the file's base name.  Free L's style with kcn_style_free().
 */
enum kcn_status kcn_tile_layer_parse(struct kcn_ctx *ctx, char *arg,
    int index, const char *style_file, struct kcn_tile_layer *l);

/*
 * Web map tiles of the layers of OPTS, from zoom zmin to zmax, brought
 * to Web Mercator: PNG drawn with the layers' styles, or Mapbox Vector
 * Tiles 2.1 (extent 4096, clipped with a buffer, polygons wound as the
 * specification says, tiny polygons gathered into squares of a pixel,
 * features dropped where a tile would pass the limits, each drop
 * counted).  Written to a folder (z/x/y), an MBTiles or a PMTiles file,
 * atomically; the same bytes for any number of threads.
 */
enum kcn_status kcn_tile_run(struct kcn_ctx *ctx,
    const struct kcn_tile_opts *opts);

#endif /* KCN_H */
