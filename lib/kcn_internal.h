/*
 * kcn_internal.h: shared inside libkcn only; tools never include it.
 */
#ifndef KCN_INTERNAL_H
#define KCN_INTERNAL_H

#include <stdint.h>

#include "kcn.h"

#if defined(__GNUC__)
#define KCNI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define KCNI_PRINTF(a, b)
#endif

/*
 * Records an error in the context (replacing any earlier one) and returns
 * ST, so that callers can write "return kcni_error(ctx, ...)".
 */
enum kcn_status kcni_error(struct kcn_ctx *ctx, enum kcn_status st,
    const char *where, const char *fmt, ...) KCNI_PRINTF(4, 5);

/* Sends a warning, info or debug message to the sink. */
void kcni_msg(struct kcn_ctx *ctx, enum kcn_level level, const char *where,
    const char *fmt, ...) KCNI_PRINTF(4, 5);

/*
 * GDAL's error state, as our handler saw it since kcni_gdal_reset():
 * nonzero when a CE_Failure or CE_Fatal was raised, with its message.
 */
void kcni_gdal_reset(struct kcn_ctx *ctx);
int kcni_gdal_failed(const struct kcn_ctx *ctx);
const char *kcni_gdal_msg(const struct kcn_ctx *ctx);

/* The last GEOS error message, "" when none. */
const char *kcni_geos_msg(const struct kcn_ctx *ctx);
void kcni_geos_reset(struct kcn_ctx *ctx);

/*
 * Reports progress through the context's callback, at most about ten times
 * a second (FORCE: always, for the final call).
 */
void kcni_progress(struct kcn_ctx *ctx, const char *label, double done,
    double total, int force);

/* Seconds on a monotonic clock. */
double kcni_now(void);

/*
 * The length a shapefile's .shp header states, when the file at PATH (any
 * extension of the set) is shorter, else 0: a partial copy or download.
 */
long long kcni_shp_truncated(const char *path);

/*
 * A text decoder from ENCODING (any iconv name) to UTF-8.  New; free with
 * kcni_text_free().  NULL and KCN_EUSAGE for an unknown encoding.
 */
struct kcni_text *kcni_text_new(struct kcn_ctx *ctx, const char *encoding);
void kcni_text_free(struct kcni_text *t);

/* Whether GDAL driver DRIVER reads a format that is UTF-8 by definition. */
int kcni_driver_utf8(const char *driver);

/* The decoder's source encoding, NULL when it is UTF-8.  Borrowed. */
const char *kcni_text_encoding(const struct kcni_text *t);

/*
 * IN decoded to UTF-8, in a buffer the decoder owns until its next call
 * (or IN itself when it is plain ASCII); NULL when IN is not valid text
 * in the decoder's encoding.
 */
const char *kcni_text_decode(struct kcni_text *t, const char *in);

/*
 * kcn_writer_write in two halves, for threads.  Prepare makes the output
 * feature for FEAT (moving FEAT's geometry into it), or returns FEAT
 * itself when it can go out as it is; it may run in any thread, with that
 * thread's context.  Put writes it, in the thread that opened the writer,
 * in the output's order; the caller destroys it afterwards.
 */
enum kcn_status kcni_writer_prepare(struct kcn_ctx *ctx,
    const struct kcn_writer *wr, OGRFeatureH feat, OGRFeatureH *out);
enum kcn_status kcni_writer_put(struct kcn_ctx *ctx, struct kcn_writer *wr,
    OGRFeatureH out);

/*
 * A per-feature step run by kcni_pipeline on worker threads.  INIT makes
 * a worker's state from UD in the worker's own context (NULL INIT: the
 * state is UD); APPLY changes *F in place, or replaces it with a new
 * feature (destroying the old one), or destroys it and sets *F to NULL to
 * drop it as its job is (a clip's outside: counted, not an error), and
 * may add further output features with kcni_emit(); or it returns a status other than KCN_OK with a message in WCTX, which
 * rejects it; FINI frees the state.
 */
struct kcni_stage {
	void *(*init)(struct kcn_ctx *wctx, void *ud);
	enum kcn_status (*apply)(struct kcn_ctx *wctx, void *state,
	    OGRFeatureH *f);
	void (*fini)(void *state);
	void *ud;
};

/* A count of one reason. */
struct kcni_reason {
	char *text;		/* "invalid geometry: Self-intersection" */
	long long n;
};

/* What a pipeline did besides writing. */
struct kcni_tally {
	long long rejected;	/* skipped, each reported */
	long long noted;	/* written after a change, each noted (-v) */
	long long dropped;	/* left out by the stage, as its job is */
	struct kcni_reason *skipped_by, *noted_by;	/* by reason */
	int nskipped_by, nnoted_by;
};

/* Frees the reason lists of a tally.  NULL is accepted. */
void kcni_tally_free(struct kcni_tally *t);

/* The message sink of CTX, to wrap it. */
void kcni_ctx_sink(const struct kcn_ctx *ctx, kcn_sink_fn *fn, void **ud);

/*
 * Reads every feature of RD, applies STAGE and writes the result to WR,
 * in input order, with THREADS threads in all (0: one per core; 1: all
 * in the calling thread).  A feature that GDAL read with an error, or that
 * STAGE or the output refuses with KCN_REJECTED, is reported through the
 * sink as LABEL:N, skipped and counted; a note left by STAGE with
 * kcni_note() is reported as an info message the same way.  Any other
 * status from STAGE stops the run.  Returns the first error that stops
 * the run, else KCN_OK.  The counts are added to *TALLY (zeroed before the
 * first run) in either case.
 */
enum kcn_status kcni_pipeline(struct kcn_ctx *ctx, struct kcn_reader *rd,
    struct kcn_writer *wr, const struct kcni_stage *stage, int threads,
    const char *label, struct kcni_tally *tally);

/*
 * kcni_pipeline, then the writer finished: the skipped features said,
 * WR closed (aborted after an error; freed either way) and "N features
 * read, M WRITTEN" said.  KCN_REJECTED when features were skipped and
 * all else went well.
 */
enum kcn_status kcni_pipeline_finish(struct kcn_ctx *ctx,
    struct kcn_reader *rd, struct kcn_writer *wr,
    const struct kcni_stage *stage, int threads, const char *label,
    struct kcni_tally *tally, const char *written);

/* The second half of kcni_pipeline_finish, after a kcni_pipeline that
   returned ST and any writing of one's own. */
enum kcn_status kcni_pipeline_close(struct kcn_ctx *ctx,
    struct kcn_reader *rd, struct kcn_writer *wr, enum kcn_status st,
    const char *label, const struct kcni_tally *tally, const char *written);

/* Leaves a note on what a stage did to the current feature. */
void kcni_note(struct kcn_ctx *ctx, const char *fmt, ...) KCNI_PRINTF(2, 3);

/* The note left since the last call (new; free()), or NULL. */
char *kcni_note_take(struct kcn_ctx *ctx);

/*
 * Hands the pipeline one more output feature F for the current input
 * feature, written after the stage's own *F, in the order given (a
 * stage that makes several features of one).  F is taken, even on
 * failure (KCN_EOS).
 */
enum kcn_status kcni_emit(struct kcn_ctx *ctx, OGRFeatureH f);

/* The features emitted since the last call (*V new, free() it; the
   features are the caller's), and their number. */
int kcni_emit_take(struct kcn_ctx *ctx, OGRFeatureH **v);

/* Copies the message sink of PARENT into CTX (for worker contexts). */
void kcni_ctx_inherit(struct kcn_ctx *ctx, const struct kcn_ctx *parent);

/* Coordinate scratch arrays, owned by a context and reused. */
struct kcni_coords {
	double *x, *y, *z;
	size_t cap;
};

/* The context's scratch arrays, grown to at least N; NULL when out of
   memory.  Borrowed; valid until the next call. */
struct kcni_coords *kcni_coords(struct kcn_ctx *ctx, size_t n);

/*
 * The likely code page of the N raw text SAMPLES (none valid UTF-8), out
 * of the usual legacy ones (CP1258, CP949, CP1252, CP874, CP1251, GB18030,
 * Shift-JIS, Big5); a static name, or NULL when none fits.  EVIDENCE says
 * why, in a sentence.
 */
const char *kcni_text_detect(struct kcn_ctx *ctx, char *const *samples,
    size_t n, char *evidence, size_t size);

/*
 * How well the N raw SAMPLES read as ENCODING: the share of their letters
 * that fit its script, from -3 to 1 (0.5 and up reads as text); NAN when
 * they decode but kcn does not know the encoding's script or they hold no
 * letters; -INFINITY when some sample does not decode.  EVIDENCE says so
 * in a sentence.
 */
double kcni_text_fit(struct kcn_ctx *ctx, const char *encoding,
    char *const *samples, size_t n, char *evidence, size_t size);

/* The index of ENCODING (or an alias of it) among the detected code pages,
   or -1. */
int kcni_text_candidate(const char *encoding);

/* How well UTF8 (already decoded) reads as text of candidate C's script,
   as kcni_text_fit; NAN without letters beyond ASCII or for C < 0. */
double kcni_text_fit_utf8(int c, const char *utf8);

/* Tells GDAL to skip every field of LAYER but KEEP (or -1): reading
   then costs less.  -1 when out of memory. */
int kcni_ignore_fields(OGRLayerH layer, int keep);

/*
 * Reads up to N features ahead (kcn_reader_next() serves them first, a
 * read error included) and sets EXT {minx, miny, maxx, maxy} to the
 * envelope of their geometries; returns how many had one.  Once per
 * reader, before reading.
 */
int kcni_reader_peek(struct kcn_ctx *ctx, struct kcn_reader *rd, int n,
    double ext[4]);

/*
 * Transforms every coordinate of G in place with OP in direction DIR, one
 * batch per line or ring.  KCN_REJECTED, naming the point and NAME (the
 * operation), when one cannot be transformed.
 */
enum kcn_status kcni_trans_geom(struct kcn_ctx *ctx, PJ *op,
    PJ_DIRECTION dir, const char *name, OGRGeometryH g);

/*
 * An operation OP to lon/lat (borrowed) interpolated on a grid of CELLS
 * cells across the longer side of EXT {minx, miny, maxx, maxy} (the data's
 * extent in OP's source CRS; the grid goes on beyond it), used where it
 * is within TOL degrees of OP (transform.c says how that is checked),
 * else OP itself.  NULL when the extent is empty or out of memory: use
 * OP.  One per thread.
 */
struct kcni_approx *kcni_approx_new(PJ *op, const double ext[4], int cells,
    double tol);
void kcni_approx_free(struct kcni_approx *a);

/* Points XY[0..2N) (x and y in turn) through A; -1 when out of memory. */
int kcni_approx_xy(struct kcni_approx *a, double *xy, size_t n);

/* kcni_trans_geom() forward through A. */
enum kcn_status kcni_approx_geom(struct kcn_ctx *ctx, struct kcni_approx *a,
    const char *name, OGRGeometryH g);

/* The PROJ operation of T, normalised to x-first order.  Borrowed. */
PJ *kcni_transform_pj(struct kcn_transform *t);

/*
 * 1 when G is certainly valid by a quick test, 0 when GEOSisValid_r must
 * decide.  Only a polygon of one ring of at most 64 points is judged: no
 * two segments meet but neighbours at their shared point, and no turn is
 * straight or backwards, each within double precision's error bound;
 * anything doubtful is left to GEOS.  Six times faster than GEOS on
 * building footprints, which are mostly such polygons.
 */
int kcni_geom_surely_valid(GEOSContextHandle_t h, const GEOSGeometry *g);

/* The same test of a ring of N points RAW (x and y in turn), closed; at
   most KCNI_QUICK_MAX points are judged. */
#define KCNI_QUICK_MAX 64
int kcni_ring_surely_valid(const double *raw, unsigned n);

/*
 * Adds to A (W x H pixels, row by row) the share of each unit pixel that
 * the ring XY of N points (x and y in turn, closed) covers, the window's
 * pixel (0, 0) being [OX, OX + 1) x [OY, OY + 1): a hole's share taken
 * away, whichever way the ring turns.  F is scratch of W x (H + 1), zero
 * at first; after the last ring, kcni_shares_end(A, F, W, H) completes A.
 * Parts of the ring left or right of the window count in its first or
 * last column, parts above or below it nowhere.  Returns the ring's
 * area, negative for a hole.
 */
double kcni_ring_shares(const double *xy, unsigned n, int hole, double ox,
    double oy, double *a, double *f, int w, int h);
void kcni_shares_end(double *a, double *f, int w, int h);

/* *P grown to room for N doubles (*CAP of them); NULL when out of
   memory, *P then unchanged. */
double *kcni_grow(double **p, size_t *cap, size_t n);

/*
 * The points of every ring of polygonal G into *XY (x and y in turn, a
 * ring after another, its room *XYCAP grown as needed) and their number
 * into *NXY; where each ring ends, negative for a hole, into *END
 * (*ENDCAP, *NEND).  -1 when G is not polygonal or out of memory.
 */
int kcni_rings(GEOSContextHandle_t h, const GEOSGeometry *g, double **xy,
    size_t *xycap, size_t *nxy, double **end, size_t *endcap, size_t *nend);

/*
 * The parts of LINE (a line or lines) in polygonal AREA, its boundary
 * included, as new lines; LINE itself when all of it is in; NULL when
 * none is, or with *ERR set when GEOS fails.  PA is AREA prepared.  Each
 * segment is cut where it meets an edge and each part judged by its
 * middle: what GEOS's intersection gives, without building its graph,
 * but for a line that runs over itself, whose stretch drawn twice GEOS
 * counts once and this as often as drawn, as the line's own length does.
 */
GEOSGeometry *kcni_line_in_area(GEOSContextHandle_t h,
    const GEOSGeometry *line, const GEOSGeometry *area,
    const GEOSPreparedGeometry *pa, int *err);

/*
 * The union *U of the N convex areas P (each one polygon without holes)
 * and, when T is not NULL, the part *T that two or more of them cover
 * (NULL when none is), from their edges cut where they meet (convex.c).
 * Edges on one line running the same way, as the sides of a rectangle
 * the areas were clipped to, are shared exactly.  -1 when an area is not
 * such a polygon, when anything lies within TOL of a degenerate case that
 * is not exactly one, or out of memory: the caller overlays them instead.
 */
int kcni_convex_cover(GEOSContextHandle_t h, GEOSGeometry *const *p,
    size_t n, double tol, GEOSGeometry **u, GEOSGeometry **t);

/*
 * The type a layer of type T is written as: polygon and line layers as
 * Multi, since shapefiles declare Polygon for layers holding
 * MultiPolygons too, and a repaired or cut shape may come in parts.
 */
OGRwkbGeometryType kcni_gtype_multi(OGRwkbGeometryType t);

/* The parts of G of dimension DIM, as a new geometry (maybe empty);
   NULL when out of memory. */
GEOSGeometry *kcni_geom_keep_dim(GEOSContextHandle_t h,
    const GEOSGeometry *g, int dim);

/*
 * The CRS of LAYER of PATH into *SRS (new, longitude first): S_SRS when
 * given (a warning when it replaces the layer's), else the layer's; a
 * layer without one is KCN_ECRS, its message naming -s when HAS_S (the
 * tool has the option).
 */
enum kcn_status kcni_layer_crs(struct kcn_ctx *ctx, const char *path,
    OGRLayerH layer, const char *s_srs, int has_s,
    OGRSpatialReferenceH *srs);

/* Starts reading again from the first feature (not for streams). */
void kcni_reader_rewind(struct kcn_reader *rd);

/* strdup that records KCN_EOS on failure. */
char *kcni_strdup(struct kcn_ctx *ctx, const char *s);

/*
 * The union of the areas PARTS[0..N) (valid polygons, taken and
 * destroyed), fast on heavily overlapping parts: those that lie within
 * grid cells other parts contain are left out first (*DROPPED of them).
 * NULL on a GEOS failure, its message in CTX.
 */
GEOSGeometry *kcni_union_areas(struct kcn_ctx *ctx, GEOSGeometry **parts,
    size_t n, size_t *dropped);

/* ---- tiles (mvt.c, tilestore.c, tile.c) ---------------------------- */

/* A growing byte buffer; OOM is set, and further puts ignored, when
   memory runs out. */
struct kcni_buf {
	unsigned char *p;
	size_t n, cap;
	int oom;
};
int kcni_buf_grow(struct kcni_buf *b, size_t more);
void kcni_buf_put(struct kcni_buf *b, const void *d, size_t n);
void kcni_buf_free(struct kcni_buf *b);

/* A growing array of 32-bit numbers, the same way. */
struct kcni_u32v {
	uint32_t *v;
	size_t n, cap;
	int oom;
};
int kcni_u32_push(struct kcni_u32v *v, uint32_t x);
void kcni_u32_free(struct kcni_u32v *v);

/* A protocol buffer varint. */
void kcni_pbf_varint(struct kcni_buf *b, uint64_t v);

/* B's N bytes at D gzipped into OUT (replacing its content); -1 when out
   of memory. */
int kcni_gzip(const void *d, size_t n, struct kcni_buf *out);

/* One layer of a vector tile being made: its encoded features, keys and
   values, in the order added. */
struct kcni_mvt_layer {
	struct kcni_buf features, keys, values;
	struct kcni_buf msg;	/* a message being made, reused */
	size_t nfeatures;
	int oom;
};

/* A feature's geometry commands, with the cursor they move. */
struct kcni_mvt_geom {
	struct kcni_u32v cmd;
	int32_t cx, cy;
};

void kcni_mvt_key(struct kcni_mvt_layer *l, const char *name);
void kcni_mvt_value_string(struct kcni_mvt_layer *l, const char *s);
void kcni_mvt_value_double(struct kcni_mvt_layer *l, double d);
void kcni_mvt_value_int(struct kcni_mvt_layer *l, int64_t i);
void kcni_mvt_geom_begin(struct kcni_mvt_geom *g);
/* N points XY[0..2N) in tile coordinates: a multipoint, a line, or a
   polygon ring given without its closing point. */
void kcni_mvt_geom_points(struct kcni_mvt_geom *g, const int32_t *xy,
    size_t n);
void kcni_mvt_geom_line(struct kcni_mvt_geom *g, const int32_t *xy,
    size_t n);
void kcni_mvt_geom_ring(struct kcni_mvt_geom *g, const int32_t *xy,
    size_t n);
/* Adds a feature of TYPE (1 point, 2 line, 3 polygon) with the key/value
   index pairs TAGS; returns the bytes it took. */
size_t kcni_mvt_feature(struct kcni_mvt_layer *l, uint64_t id, int has_id,
    const uint32_t *tags, size_t ntags, int type,
    const struct kcni_mvt_geom *g);
void kcni_mvt_layer_reset(struct kcni_mvt_layer *l);
void kcni_mvt_layer_free(struct kcni_mvt_layer *l);
/* Appends L as a layer NAME of the tile message TILE. */
void kcni_mvt_layer_end(struct kcni_buf *tile, const struct kcni_mvt_layer *l,
    const char *name, unsigned extent);

/* Where tiles go, by the output's name. */
enum { KCNI_STORE_DIR, KCNI_STORE_MBTILES, KCNI_STORE_PMTILES };
int kcni_store_kind(const char *path);

/* The PMTiles tile id of Z/X/Y: its place along the Hilbert curves of
   zooms 0, 1, ... Z. */
uint64_t kcni_tile_id(int z, uint32_t x, uint32_t y);
/* Web Mercator (EPSG:3857) X, Y of LON, LAT in degrees (WGS 84). */
void kcni_webmerc(double lon, double lat, double *x, double *y);

/* What a tile set is, for its metadata. */
struct kcni_tilemeta {
	const char *name, *format, *description;	/* format: png, pbf */
	double bounds[4];		/* lon/lat */
	int minzoom, maxzoom;
	const char *vector_layers;	/* a JSON array, or NULL */
};

struct kcni_store;

/* A new tile store for PATH (a folder, or by extension .mbtiles or
   .pmtiles); VECTOR: MVT tiles, else PNG.  An existing PATH is refused
   (KCN_ECREATE) unless FORCE.  NULL on error. */
struct kcni_store *kcni_store_open(struct kcn_ctx *ctx, const char *path,
    int vector, int force);
/* Adds tile Z/X/Y (XYZ numbering), in any order, each tile once. */
enum kcn_status kcni_store_put(struct kcn_ctx *ctx, struct kcni_store *s,
    int z, uint32_t x, uint32_t y, const void *d, size_t n);
long long kcni_store_count(const struct kcni_store *s);
/* Finishes the set with metadata M and renames it into place; frees S
   in any case. */
enum kcn_status kcni_store_close(struct kcn_ctx *ctx, struct kcni_store *s,
    const struct kcni_tilemeta *m);
/* Throws the unfinished set away.  NULL is accepted. */
void kcni_store_abort(struct kcni_store *s);

/* The W x H Cairo image PX (premultiplied native ARGB, STRIDE pixels a
   row) as PNG bytes into OUT, indexed when it has at most 256 colours;
   SCRATCH holds W * H bytes.  -1 on failure. */
int kcni_png_encode(const uint32_t *px, int w, int h, int stride,
    struct kcni_buf *out, unsigned char *scratch);

/* Whether kcn-tile can write a preview page next to OUTPUT: not for
   MBTiles, and only with the page's files installed. */
enum kcn_status kcni_preview_check(struct kcn_ctx *ctx, const char *output);

/* Writes the preview page of the tile set of O (NAME, lon/lat bounds LL,
   the kind of each layer: 1 points, 2 lines, 3 polygons, 0 mixed) next
   to O->output, with its files in kcn-web/; a folder's page gets the
   NRUNS runs of tile ids written, RUNS (start, count, ...), so that it
   asks for no tile that is not there. */
enum kcn_status kcni_preview_write(struct kcn_ctx *ctx,
    const struct kcn_tile_opts *o, const char *name, const double ll[4],
    const int *kinds, const uint64_t *runs, size_t nruns);

/* Web Mercator's latitude limit: atan(sinh(pi)), in degrees. */
#define KCNI_MERC_LAT 85.0511287798066

/*
 * A lon/lat geometry *G made fit for a projected target: parts beyond
 * its edges (180 degrees either side of LON0) are cut and moved by whole
 * turns when WRAP, points just moved; latitudes are cut at the poles, or
 * at Web Mercator's limit when MERCATOR.  KCN_OK with *G replaced when it
 * changed (and a note left); KCN_REJECTED when nothing is left.
 */
enum kcn_status kcni_fit_lonlat(struct kcn_ctx *ctx, OGRGeometryH *g,
    int wrap, double lon0, int mercator);

#endif /* KCN_INTERNAL_H */
