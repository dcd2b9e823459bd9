/*
 * tile.c: kcn-tile's work.  Every layer is read once into compact arrays
 * in Web Mercator metres; then, zoom by zoom, each feature is listed
 * under the tiles its box (with the tile buffer) touches, the list is
 * sorted along the tiles' Hilbert curve, and windows of tiles are made
 * on all threads (PNG drawn with Cairo, or Mapbox Vector Tiles) and
 * written in that order, so the output is the same for any thread count.
 *
 * PNG tiles of layers of small areas (buildings: see tl_groups) are
 * drawn at the highest zoom only; each lower zoom is made from the one
 * above, four pixels averaged to one, as gdal2tiles does, so the zooms
 * then go from the highest down.  Other layers are drawn at every zoom.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairo.h>

#include "kcn_internal.h"

#define TL_W 20037508.342789244	/* half the side of Web Mercator's square */
#define TL_MERC_LAT 85.0511287798066
#define TL_A 6378137.0		/* Web Mercator's sphere: WGS 84's a */
#define TL_EXTENT 4096		/* vector tile units a side */
#define TL_BUFFER 64		/* units kept beyond a vector tile's edge */
#define TL_TINY 256.0		/* a pixel of a 256 px tile, in square units */
#define TL_OUTER 0x80000000u	/* a ring that starts a polygon */
#define TL_WINDOW 512		/* tiles made between writes */
#define TL_MAX_PAIRS 60000000	/* feature-in-tile entries a zoom may need */
#define TL_MAX_BYTES 500000
#define TL_MAX_FEATURES 200000
#define TL_SIMPLIFY 1.0		/* units a simplified shape may move */
#ifndef TL_BATCH
#define TL_BATCH 1000		/* features drawn in one Cairo path at most */
#endif
#define TL_SMALL 32		/* auto zoomout: a median feature under this
				   many pixels at the highest zoom: averaged */

enum { TL_POINT = 1, TL_LINE = 2, TL_POLY = 3 };
enum { TV_STRING, TV_INT, TV_DOUBLE };

/* One feature of a layer (a geometry collection's members are each
   one, sharing the attributes). */
struct tl_feat {
	double bb[4];		/* in metres */
	size_t xy;		/* its first point in the layer's xy */
	uint32_t ring, nring;	/* its parts in the layer's rings */
	uint32_t attr, nattr;	/* its key, value pairs in the layer's attr */
	int64_t fid;		/* -1: none */
	uint32_t fill;		/* 0xRRGGBBAA, by the style's field */
	uint8_t kind;
};

struct tl_val {
	int type;
	union {
		int64_t i;
		double d;
		size_t s;	/* offset in the layer's string pool */
	} u;
};

struct tl_layer {
	const char *path, *name;
	const struct kcn_style *style;
	struct tl_feat *f;
	size_t nf, capf;
	double *xy;		/* points, x y x y ... */
	size_t nxy, capxy;	/* in points */
	uint32_t *rings;	/* points a part, TL_OUTER on exteriors */
	size_t nrings, caprings;
	uint32_t *attr;		/* key index, value index, ... */
	size_t nattr, capattr;
	char **keys;
	int *knum;		/* the key's field holds numbers */
	int nkeys;
	struct tl_val *vals;
	size_t nvals, capvals;
	uint32_t *vhash;	/* value index + 1; 0 empty */
	size_t vcap;
	char *pool;
	size_t npool, cappool;
	int kinds;		/* 1 << kind of each kind present */
	double margin;		/* PNG: pixels drawn beyond a feature */
	int group;		/* PNG: its group of averaged layers, or -1 */
	long long read, skipped, cut;
};

/* A feature listed under a tile. */
struct tl_pair {
	uint64_t key;		/* the tile's place along its Hilbert curve */
	uint32_t x, y, l, i;
};

/* A tile to make: its features are pairs[p0 .. p0 + np). */
struct tl_tile {
	uint64_t key;
	uint32_t x, y;
	size_t p0, np;
};

/* A made tile, waiting to be written. */
struct tl_out {
	unsigned char *p;
	size_t n;
	uint32_t x, y;
};

/* A group's drawing of a tile, halved for the zoom below: premultiplied
   ARGB, (px / 2) pixels a side. */
struct tl_half {
	uint64_t id;
	uint32_t x, y;
	uint32_t *px;
};

/* The halves of a zoom, one list a group, in ascending tile id. */
struct tl_halves {
	struct tl_half *h;
	size_t n, cap;
};

/* A feature kept in a vector tile: its commands in the worker's cmds. */
struct tl_cand {
	uint32_t l, i;
	size_t cmd0, ncmd;
	double weight;		/* what is dropped last */
	int type, keep, square;
};

struct tl_run;

struct tl_worker {
	struct tl_run *r;
	struct kcn_ctx *ctx;
	/* the feature at hand, in tile coordinates */
	double *pts;
	size_t npts, cappts;
	struct kcni_u32v parts;
	int32_t *q;
	size_t capq;
	unsigned char *keep;	/* simplification: points kept */
	size_t *stack;
	size_t capkeep, capstack;
	int simplify;		/* below the highest zoom */
	/* vector */
	struct tl_cand *cand;
	size_t ncand, capcand;
	struct kcni_u32v cmds, tags;
	struct kcni_mvt_geom g;
	struct kcni_mvt_layer ml;
	struct kcni_buf tile;
	uint32_t *kstamp, *kloc, *vstamp, *vloc, stamp;
	double *acc;		/* tiny polygon area gathered, a layer */
	/* raster */
	cairo_surface_t *surf, *gsurf;	/* gsurf: a group of layers */
	cairo_t *cr, *gcr;
	unsigned char *scratch;
	/* counts */
	long long features, dropped, tiny, squares;
	long long over;		/* tiles left over the limits */
	size_t biggest;
};

/* A window of tiles being made. */
struct tl_job {
	int z;
	const struct tl_pair *pairs;
	const struct tl_tile *tiles;
	struct tl_out *out;
	uint32_t **half;	/* a tile's halves: ngroups a tile */
	size_t n;
	atomic_size_t next;
	int quit;
	unsigned gen;		/* windows posted */
	int active;		/* threads still at the window */
	pthread_mutex_t mu;
	pthread_cond_t posted, done;
	enum kcn_status st;
	char where[256], what[1024];
};

struct tl_run {
	struct kcn_ctx *ctx;
	const struct kcn_tile_opts *o;
	struct tl_layer *layers;
	int nlayers;
	double ll[4];		/* lon/lat bounds of everything */
	size_t maxvals;
	int maxkeys, px;	/* px: a PNG tile's side */
	size_t max_bytes;
	long max_features;
	struct tl_job job;
	int ngroups;		/* groups of averaged layers (PNG) */
	struct tl_halves *above, *here;	/* halves of zoom z + 1 and z */
	uint64_t *runs;		/* tiles written, as runs of tile ids: start,
				   count, ... (for a folder's preview) */
	size_t nruns, capruns;
};

static void tl_layer_free(struct tl_layer *);

/* ---- small helpers ---------------------------------------------------- */

static int
tl_grow(void *pp, size_t *cap, size_t need, size_t size)
{
	void **p = pp, *np;
	size_t c;

	if (need <= *cap)
		return 0;
	c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	if ((np = realloc(*p, c * size)) == NULL)
		return -1;
	*p = np;
	*cap = c;
	return 0;
}

static uint64_t
tl_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

enum kcn_status
kcn_tile_zoom_parse(struct kcn_ctx *ctx, const char *text, int *zmin,
    int *zmax)
{
	char *end;
	long a, b;

	a = strtol(text, &end, 10);
	b = a;
	if (end != text && *end == '-' && end[1] != '\0')
		b = strtol(end + 1, &end, 10);
	if (end == text || *end != '\0' || a < 0 || b > 24 || a > b)
		return kcni_error(ctx, KCN_EUSAGE, "-z", "'%s' is not a zoom "
		    "or range of zooms from 0 to 24 (such as 10-16)", text);
	*zmin = (int)a;
	*zmax = (int)b;
	return KCN_OK;
}

enum kcn_status
kcn_tile_layer_parse(struct kcn_ctx *ctx, char *arg, int index,
    const char *style_file, struct kcn_tile_layer *l)
{
	char *colon, *style = NULL, *base, *dot, name[256];
	enum kcn_status st;

	memset(l, 0, sizeof(*l));
	/* The style starts at the first colon followed by "key=". */
	for (colon = strchr(arg, ':'); colon != NULL;
	    colon = strchr(colon + 1, ':')) {
		size_t k = strspn(colon + 1, "abcdefghijklmnopqrstuvwxyz");

		if (k > 0 && colon[1 + k] == '=') {
			*colon = '\0';
			style = colon + 1;
			break;
		}
	}
	l->path = arg;
	if (*arg == '\0')
		return kcni_error(ctx, KCN_EUSAGE, style ? style : arg,
		    "no layer before the style");
	kcn_style_default(&l->style, index);
	/* The name first: the style file's sections go by it. */
	if (style != NULL && (st = kcn_style_parse(ctx, &l->style, arg,
	    style)) != KCN_OK)
		return st;
	if (l->style.name == NULL) {
		base = strrchr(arg, '/') ? strrchr(arg, '/') + 1 : arg;
		snprintf(name, sizeof(name), "%s", strcmp(arg, "-") == 0 ?
		    "stdin" : base);
		if ((dot = strrchr(name, '.')) != NULL && dot != name)
			*dot = '\0';
		if ((st = kcn_style_set(ctx, &l->style, arg, "name", name)) !=
		    KCN_OK)
			return st;
	}
	if (style_file != NULL) {
		struct kcn_style s;
		char *keep = kcni_strdup(ctx, l->style.name);

		if (keep == NULL)
			return KCN_EOS;
		kcn_style_default(&s, index);
		s.name = keep;
		kcn_style_free(&l->style);
		l->style = s;
		if ((st = kcn_style_file(ctx, style_file, keep, &l->style,
		    NULL)) != KCN_OK)
			return st;
		if (style != NULL && (st = kcn_style_parse(ctx, &l->style, arg,
		    style)) != KCN_OK)
			return st;
	}
	for (const char *c = l->style.name; *c != '\0'; c++)
		if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
			return kcni_error(ctx, KCN_EUSAGE, arg, "a layer name "
			    "without quotes, backslashes or control "
			    "characters, please (name=)");
	return KCN_OK;
}

/* ---- reading ---------------------------------------------------------- */

static uint64_t
tl_val_hash(const struct tl_layer *L, const struct tl_val *v)
{
	uint64_t h = (uint64_t)v->type * 0x100000001b3ULL;

	if (v->type == TV_STRING) {
		for (const char *s = L->pool + v->u.s; *s != '\0'; s++)
			h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
		return tl_mix(h);
	}
	return tl_mix(h ^ (uint64_t)v->u.i);
}

static int
tl_val_same(const struct tl_layer *L, const struct tl_val *a,
    const struct tl_val *b)
{
	if (a->type != b->type)
		return 0;
	if (a->type == TV_STRING)
		return strcmp(L->pool + a->u.s, L->pool + b->u.s) == 0;
	return a->u.i == b->u.i;	/* doubles: the same bits */
}

/* The index of value V (a string: at the pool's end, taken or dropped)
   in L's table; -1 when out of memory. */
static long long
tl_val_add(struct tl_layer *L, struct tl_val *v, size_t pool_end)
{
	uint64_t h;
	size_t j;

	if ((L->nvals + 1) * 2 > L->vcap) {
		size_t cap = L->vcap ? L->vcap * 2 : 1024;
		uint32_t *t = calloc(cap, sizeof(*t));

		if (t == NULL)
			return -1;
		for (size_t i = 0; i < L->nvals; i++) {
			for (j = tl_val_hash(L, &L->vals[i]) & (cap - 1); t[j];
			    j = (j + 1) & (cap - 1))
				;
			t[j] = (uint32_t)i + 1;
		}
		free(L->vhash);
		L->vhash = t;
		L->vcap = cap;
	}
	h = tl_val_hash(L, v);
	for (j = h & (L->vcap - 1); L->vhash[j]; j = (j + 1) & (L->vcap - 1))
		if (tl_val_same(L, &L->vals[L->vhash[j] - 1], v)) {
			L->npool = pool_end;	/* a string seen before */
			return L->vhash[j] - 1;
		}
	if (tl_grow(&L->vals, &L->capvals, L->nvals + 1, sizeof(*L->vals)))
		return -1;
	L->vals[L->nvals] = *v;
	L->vhash[j] = (uint32_t)++L->nvals;
	return (long long)L->nvals - 1;
}

/* The attributes of F into L's tables; the feature's first pair into
   *FIRST and their number into *N. */
static int
tl_attrs(struct tl_layer *L, OGRFeatureH f, uint32_t *first, uint32_t *n)
{
	*first = (uint32_t)(L->nattr / 2);
	*n = 0;
	for (int k = 0; k < L->nkeys; k++) {
		struct tl_val v;
		OGRFieldType t;
		long long idx;
		size_t start = L->npool;

		if (!OGR_F_IsFieldSetAndNotNull(f, k))
			continue;
		t = OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, k));
		if (t == OFTInteger || t == OFTInteger64) {
			v.type = TV_INT;
			v.u.i = OGR_F_GetFieldAsInteger64(f, k);
		} else if (t == OFTReal) {
			v.type = TV_DOUBLE;
			v.u.d = OGR_F_GetFieldAsDouble(f, k);
		} else {
			const char *s = OGR_F_GetFieldAsString(f, k);
			size_t len = strlen(s) + 1;

			if (tl_grow(&L->pool, &L->cappool, L->npool + len, 1))
				return -1;
			memcpy(L->pool + L->npool, s, len);
			v.type = TV_STRING;
			v.u.s = L->npool;
			L->npool += len;
		}
		if ((idx = tl_val_add(L, &v, start)) < 0 ||
		    tl_grow(&L->attr, &L->capattr, L->nattr + 2,
		    sizeof(*L->attr)))
			return -1;
		L->attr[L->nattr++] = (uint32_t)k;
		L->attr[L->nattr++] = (uint32_t)idx;
		(*n)++;
	}
	return 0;
}

/* Adds the points of line or ring G (FLAG on the part) to L. */
static int
tl_part(struct tl_layer *L, OGRGeometryH g, uint32_t flag, double bb[4])
{
	int n = OGR_G_GetPointCount(g);

	if (n <= 0)
		return 0;
	if (tl_grow(&L->xy, &L->capxy, L->nxy + (size_t)n, 2 * sizeof(double))
	    || tl_grow(&L->rings, &L->caprings, L->nrings + 1,
	    sizeof(*L->rings)))
		return -1;
	OGR_G_GetPoints(g, L->xy + 2 * L->nxy, 2 * sizeof(double),
	    L->xy + 2 * L->nxy + 1, 2 * sizeof(double), NULL, 0);
	for (int i = 0; i < n; i++) {
		double x = L->xy[2 * (L->nxy + (size_t)i)];
		double y = L->xy[2 * (L->nxy + (size_t)i) + 1];

		bb[0] = fmin(bb[0], x), bb[1] = fmin(bb[1], y);
		bb[2] = fmax(bb[2], x), bb[3] = fmax(bb[3], y);
	}
	L->nxy += (size_t)n;
	L->rings[L->nrings++] = (uint32_t)n | flag;
	return 1;
}

/* Adds G as one feature like TMPL (a collection: each member one). */
static int
tl_geom(struct tl_layer *L, OGRGeometryH g, const struct tl_feat *tmpl)
{
	OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
	struct tl_feat f = *tmpl;
	int n = OGR_G_GetGeometryCount(g), rc = 0;

	if (t == wkbGeometryCollection) {
		for (int i = 0; i < n && rc == 0; i++)
			rc = tl_geom(L, OGR_G_GetGeometryRef(g, i), tmpl);
		return rc;
	}
	f.xy = L->nxy;
	f.ring = (uint32_t)L->nrings;
	f.bb[0] = f.bb[1] = INFINITY;
	f.bb[2] = f.bb[3] = -INFINITY;
	switch (t) {
	case wkbPoint:
	case wkbLineString:
		f.kind = t == wkbPoint ? TL_POINT : TL_LINE;
		rc = tl_part(L, g, 0, f.bb);
		break;
	case wkbMultiPoint:
		/* One part of all the points. */
		f.kind = TL_POINT;
		if (tl_grow(&L->xy, &L->capxy, L->nxy + (size_t)n,
		    2 * sizeof(double)) || tl_grow(&L->rings, &L->caprings,
		    L->nrings + 1, sizeof(*L->rings)))
			return -1;
		for (int i = 0; i < n; i++) {
			OGRGeometryH p = OGR_G_GetGeometryRef(g, i);

			if (OGR_G_IsEmpty(p))
				continue;
			L->xy[2 * L->nxy] = OGR_G_GetX(p, 0);
			L->xy[2 * L->nxy + 1] = OGR_G_GetY(p, 0);
			f.bb[0] = fmin(f.bb[0], OGR_G_GetX(p, 0));
			f.bb[1] = fmin(f.bb[1], OGR_G_GetY(p, 0));
			f.bb[2] = fmax(f.bb[2], OGR_G_GetX(p, 0));
			f.bb[3] = fmax(f.bb[3], OGR_G_GetY(p, 0));
			L->nxy++;
		}
		rc = L->nxy > f.xy;
		if (rc)
			L->rings[L->nrings++] = (uint32_t)(L->nxy - f.xy);
		break;
	case wkbMultiLineString:
		f.kind = TL_LINE;
		for (int i = 0; i < n && rc >= 0; i++)
			rc = tl_part(L, OGR_G_GetGeometryRef(g, i), 0, f.bb);
		break;
	case wkbPolygon:
	case wkbMultiPolygon:
		f.kind = TL_POLY;
		for (int i = 0; i < (t == wkbPolygon ? 1 : n) && rc >= 0; i++) {
			OGRGeometryH p = t == wkbPolygon ? g :
			    OGR_G_GetGeometryRef(g, i);
			int nr = OGR_G_GetGeometryCount(p);

			for (int j = 0; j < nr && rc >= 0; j++) {
				int k = tl_part(L, OGR_G_GetGeometryRef(p, j),
				    j == 0 ? TL_OUTER : 0, f.bb);

				if (j == 0 && k == 0)
					break;	/* no exterior: no holes */
				rc = k < 0 ? k : rc;
			}
		}
		break;
	default:
		return 0;	/* nothing else is left by then */
	}
	if (rc < 0)
		return -1;
	f.nring = (uint32_t)L->nrings - f.ring;
	if (f.nring == 0)
		return 0;
	if (tl_grow(&L->f, &L->capf, L->nf + 1, sizeof(*L->f)))
		return -1;
	L->f[L->nf++] = f;
	L->kinds |= 1 << f.kind;
	return 0;
}

/* The extent EXT of LAYER in its CRS SRS, and LL in lon/lat, when it is
   quick to know. */
static int
tl_area(struct kcn_ctx *ctx, OGRLayerH layer, OGRSpatialReferenceH srs,
    double ext[4], double ll[4])
{
	OGREnvelope e;

	if (!OGR_L_TestCapability(layer, OLCFastGetExtent) ||
	    OGR_L_GetExtent(layer, &e, FALSE) != OGRERR_NONE)
		return 0;
	ext[0] = e.MinX, ext[1] = e.MinY, ext[2] = e.MaxX, ext[3] = e.MaxY;
	if (kcn_extent_lonlat(ctx, srs, ext, ll) != KCN_OK) {
		kcn_ctx_clear(ctx);
		return 0;
	}
	return 1;
}

/* The fill of feature F of layer L: its class by the style's field. */
static uint32_t
tl_fill(const struct kcn_style *s, OGRFeatureH f, int by)
{
	OGRFieldType t;

	if (by < 0 || !OGR_F_IsFieldSetAndNotNull(f, by))
		return kcn_style_pick(s, NULL, 0, 0);
	t = OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, by));
	return kcn_style_pick(s, OGR_F_GetFieldAsString(f, by),
	    OGR_F_GetFieldAsDouble(f, by), t == OFTInteger ||
	    t == OFTInteger64 || t == OFTReal);
}

/* A feature read, on its way to the layer's arrays. */
struct tl_item {
	OGRGeometryH g;		/* taken; NULL once appended or dropped */
	struct tl_feat tmpl;	/* its fid, fill and fields */
	long long n;		/* its number in the source */
	enum kcn_status st;	/* KCN_OK, or why it is skipped */
	char *msg;		/* the reason, or the note on a cut */
};

/*
 * Threads that bring batches of geometries to Web Mercator (through
 * lon/lat, cut at the latitude limit and the antimeridian) while the
 * calling thread reads the next batches and adds the finished ones to
 * the layer in order: GDAL's reading and PROJ's arithmetic on all cores.
 */
#define TL_RING 6		/* batches in flight */
#define TL_XMAX 8		/* transforming threads at most */

enum { TL_FREE, TL_POSTED, TL_TAKEN, TL_DONE };

struct tl_xbatch {
	struct tl_item *it;
	int n, state;
	struct tl_layer sink;	/* the shapes of its items, done */
};

struct tl_xpool {
	pthread_t tid[TL_XMAX];
	int nthreads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const struct kcn_transform *src_ll;	/* to clone */
	const double *ext;	/* the layer's extent, for kcni_approx_new */
	double tol;		/* and its tolerance; 0: no approximation */
	struct tl_xbatch ring[TL_RING];
	int quit, failed;	/* failed: a thread could not start */
	double ll[4];		/* lon/lat bounds of what they did */
};

#define TL_READ_BATCH 2048
#define TL_CELLS 256		/* across a layer, for kcni_approx_new */

/*
 * Web Mercator (EPSG:3857) of a longitude and latitude in degrees, WGS 84
 * (within the latitude limit).  The projection is defined as this
 * formula on a sphere of WGS 84's semi-major axis, which is what PROJ's
 * webmerc computes too (a test compares them); written out, it takes a
 * tenth of the time PROJ's pipeline spends a point on it.
 */
void
kcni_webmerc(double lon, double lat, double *x, double *y)
{
	*x = TL_A * lon * (M_PI / 180);
	*y = TL_A * asinh(tan(lat * (M_PI / 180)));
}

/*
 * Brings the shape just added to SINK (from point X0 and feature F0)
 * from lon/lat to Web Mercator, and sets its boxes; -1 when a point
 * cannot be.
 */
static int
tl_sink_merc(struct tl_layer *sink, size_t x0, size_t f0)
{
	for (size_t j = x0; j < sink->nxy; j++)
		kcni_webmerc(sink->xy[2 * j], sink->xy[2 * j + 1],
		    &sink->xy[2 * j], &sink->xy[2 * j + 1]);
	for (size_t i = f0; i < sink->nf; i++) {
		struct tl_feat *f = &sink->f[i];
		size_t m = 0;

		for (uint32_t k = 0; k < f->nring; k++)
			m += sink->rings[f->ring + k] & ~TL_OUTER;
		f->bb[0] = f->bb[1] = INFINITY;
		f->bb[2] = f->bb[3] = -INFINITY;
		for (size_t j = f->xy; j < f->xy + m; j++) {
			double x = sink->xy[2 * j], y = sink->xy[2 * j + 1];

			if (!isfinite(x) || !isfinite(y))
				return -1;
			f->bb[0] = fmin(f->bb[0], x), f->bb[1] = fmin(f->bb[1], y);
			f->bb[2] = fmax(f->bb[2], x), f->bb[3] = fmax(f->bb[3], y);
		}
	}
	return 0;
}

/*
 * Brings the points of the shapes just added to SINK (from point X0 and
 * ring R0) from the layer's CRS to lon/lat through AP, or OP when it is
 * NULL, a closed ring's last point as its first, and sets E to their
 * bounds: 0 when they are all within what Web Mercator shows, 1 when
 * some are not (or cannot be brought), -1 when out of memory.
 */
static int
tl_sink_ll(struct tl_layer *sink, size_t x0, size_t r0, PJ *op,
    struct kcni_approx *ap, double e[4])
{
	size_t o = x0;

	for (size_t r = r0; r < sink->nrings; r++) {
		size_t m = sink->rings[r] & ~TL_OUTER, k = m;
		double *p = sink->xy + 2 * o;

		if (m > 2 && p[0] == p[2 * (m - 1)] && p[1] == p[2 * m - 1])
			k = m - 1;
		if (ap != NULL) {
			if (kcni_approx_xy(ap, p, k) != 0)
				return -1;
		} else
			proj_trans_generic(op, PJ_FWD, p, 2 * sizeof(double),
			    k, p + 1, 2 * sizeof(double), k, NULL, 0, 0, NULL,
			    0, 0);
		if (k < m)
			p[2 * (m - 1)] = p[0], p[2 * m - 1] = p[1];
		o += m;
	}
	e[0] = e[1] = INFINITY;
	e[2] = e[3] = -INFINITY;
	for (size_t j = x0; j < sink->nxy; j++) {
		double x = sink->xy[2 * j], y = sink->xy[2 * j + 1];

		if (!isfinite(x) || !isfinite(y))
			return 1;
		e[0] = fmin(e[0], x), e[1] = fmin(e[1], y);
		e[2] = fmax(e[2], x), e[3] = fmax(e[3], y);
	}
	return e[0] < -180 || e[2] > 180 || e[1] < -KCNI_MERC_LAT ||
	    e[3] > KCNI_MERC_LAT;
}

/*
 * Brings items IT[0..N) to lon/lat with TO_LL (through AP when it is not
 * NULL), cut to what Web Mercator shows, widening LL by their bounds, and
 * adds their shapes to SINK in order, in Web Mercator; an item that
 * cannot be is marked.  A flat shape that needs no cutting goes straight
 * into SINK, and is transformed there.
 */
static void
tl_fit_items(struct kcn_ctx *ctx, struct kcn_transform *to_ll,
    struct kcni_approx *ap, struct tl_item *it, int n, double ll[4],
    struct tl_layer *sink)
{
	for (int i = 0; i < n; i++) {
		struct tl_item *t = &it[i];
		size_t x0 = sink->nxy, r0 = sink->nrings, f0 = sink->nf;
		int k0 = sink->kinds;
		enum kcn_status rs;
		OGREnvelope e;
		char *note;

		if (t->g == NULL)
			continue;
		if (OGR_G_HasCurveGeometry(t->g, TRUE)) {
			OGRGeometryH lin = OGR_G_GetLinearGeometry(t->g, 0, NULL);

			OGR_G_DestroyGeometry(t->g);
			t->g = lin;
		}
		if (t->g != NULL && !OGR_G_Is3D(t->g)) {
			double b[4];
			int rc = tl_geom(sink, t->g, &t->tmpl) != 0 ? -1 :
			    tl_sink_ll(sink, x0, r0, kcni_transform_pj(to_ll),
			    ap, b);

			if (rc == 0 && tl_sink_merc(sink, x0, f0) == 0) {
				ll[0] = fmin(ll[0], b[0]);
				ll[1] = fmin(ll[1], b[1]);
				ll[2] = fmax(ll[2], b[2]);
				ll[3] = fmax(ll[3], b[3]);
				OGR_G_DestroyGeometry(t->g);
				t->g = NULL;
				continue;
			}
			/* Else the long way, which says what is wrong. */
			sink->nxy = x0, sink->nrings = r0;
			sink->nf = f0, sink->kinds = k0;
		}
		rs = t->g == NULL ? kcni_error(ctx, KCN_REJECTED, "geometry",
		    "cannot make it linear") : ap != NULL ? kcni_approx_geom(
		    ctx, ap, kcn_transform_info(to_ll)->name, t->g) :
		    kcn_transform_geom(ctx, to_ll, t->g);
		if (rs == KCN_OK)
			rs = kcni_fit_lonlat(ctx, &t->g, 1, 0, 1);
		if ((note = kcni_note_take(ctx)) != NULL)
			t->msg = note;
		if (rs == KCN_OK) {
			OGR_G_GetEnvelope(t->g, &e);
			ll[0] = fmin(ll[0], e.MinX), ll[1] = fmin(ll[1], e.MinY);
			ll[2] = fmax(ll[2], e.MaxX), ll[3] = fmax(ll[3], e.MaxY);
			/* Its points, straight from lon/lat into the sink's
			   arrays, there brought to Web Mercator at once. */
			if (tl_geom(sink, t->g, &t->tmpl) != 0)
				rs = kcni_error(ctx, KCN_EOS, "tiles", "out of "
				    "memory");
			else if (tl_sink_merc(sink, x0, f0) != 0)
				rs = kcni_error(ctx, KCN_REJECTED, "transform",
				    "a point cannot be brought to Web "
				    "Mercator");
			if (rs != KCN_OK) {
				sink->nxy = x0, sink->nrings = r0;
				sink->nf = f0, sink->kinds = k0;
			}
		}
		if (rs != KCN_OK) {
			free(t->msg);
			t->msg = strdup(kcn_ctx_errmsg(ctx));
			t->st = rs;
		}
		if (t->g != NULL)
			OGR_G_DestroyGeometry(t->g);
		t->g = NULL;
	}
}

static void *
tl_xform_thread(void *ud)
{
	struct tl_xpool *x = ud;
	struct kcn_ctx *ctx = kcn_ctx_new();
	struct kcn_transform *a = NULL;
	struct kcni_approx *ap = NULL;
	double ll[4] = { INFINITY, INFINITY, -INFINITY, -INFINITY };

	if (ctx != NULL)
		a = kcn_transform_clone(ctx, x->src_ll);
	if (a != NULL && x->tol > 0)
		ap = kcni_approx_new(kcni_transform_pj(a), x->ext, TL_CELLS,
		    x->tol);
	pthread_mutex_lock(&x->mu);
	if (a == NULL)
		x->failed = 1;
	while (a != NULL && !x->quit) {
		struct tl_xbatch *t = NULL;

		for (int i = 0; i < TL_RING && t == NULL; i++)
			if (x->ring[i].state == TL_POSTED)
				t = &x->ring[i];
		if (t == NULL) {
			pthread_cond_wait(&x->cv, &x->mu);
			continue;
		}
		t->state = TL_TAKEN;
		pthread_mutex_unlock(&x->mu);
		tl_fit_items(ctx, a, ap, t->it, t->n, ll, &t->sink);
		pthread_mutex_lock(&x->mu);
		t->state = TL_DONE;
		pthread_cond_broadcast(&x->cv);
	}
	x->ll[0] = fmin(x->ll[0], ll[0]), x->ll[1] = fmin(x->ll[1], ll[1]);
	x->ll[2] = fmax(x->ll[2], ll[2]), x->ll[3] = fmax(x->ll[3], ll[3]);
	pthread_cond_broadcast(&x->cv);
	pthread_mutex_unlock(&x->mu);
	kcni_approx_free(ap);
	kcn_transform_free(a);
	kcn_ctx_free(ctx);
	return NULL;
}

/* Frees the geometries and messages of items IT[0..N). */
static void
tl_items_clear(struct tl_item *it, int n)
{
	for (int i = 0; i < n; i++) {
		if (it[i].g != NULL)
			OGR_G_DestroyGeometry(it[i].g);
		free(it[i].msg);
		memset(&it[i], 0, sizeof(it[i]));
	}
}

/* Reads up to TL_READ_BATCH features of RD into IT (*N of them), their
   fields into L; KCN_OK at the end too (*N 0), else what stops it. */
static enum kcn_status
tl_read_batch(struct kcn_ctx *ctx, struct kcn_reader *rd, struct tl_layer *L,
    int by, int attrs, struct tl_item *it, int *n)
{
	OGRFeatureH f;
	enum kcn_status rs;

	*n = 0;
	while (*n < TL_READ_BATCH) {
		struct tl_item *t = &it[*n];
		OGRGeometryH g;

		if ((rs = kcn_reader_next(ctx, rd, &f)) != KCN_OK && f == NULL)
			return rs;
		if (f == NULL)
			break;
		L->read++;
		if (rs != KCN_OK) {
			/* Read with an error: said in its turn, skipped. */
			t->n = kcn_reader_count(rd);
			t->st = rs;
			t->msg = strdup(kcn_ctx_errmsg(ctx));
			(*n)++;
			OGR_F_Destroy(f);
			continue;
		}
		if ((g = OGR_F_StealGeometry(f)) == NULL || OGR_G_IsEmpty(g)) {
			if (g != NULL)
				OGR_G_DestroyGeometry(g);
			OGR_F_Destroy(f);
			continue;
		}
		t->g = g;
		t->n = kcn_reader_count(rd);
		t->tmpl.fid = OGR_F_GetFID(f);
		t->tmpl.fill = tl_fill(L->style, f, by);
		(*n)++;
		if (attrs && tl_attrs(L, f, &t->tmpl.attr, &t->tmpl.nattr) !=
		    0) {
			OGR_F_Destroy(f);
			return kcni_error(ctx, KCN_EOS, L->path, "out of memory");
		}
		OGR_F_Destroy(f);
	}
	return KCN_OK;
}

/* Moves the shapes of SINK to the end of L, and empties it. */
static int
tl_merge(struct tl_layer *L, struct tl_layer *sink)
{
	if (tl_grow(&L->xy, &L->capxy, L->nxy + sink->nxy, 2 *
	    sizeof(double)) || tl_grow(&L->rings, &L->caprings, L->nrings +
	    sink->nrings, sizeof(*L->rings)) || tl_grow(&L->f, &L->capf,
	    L->nf + sink->nf, sizeof(*L->f)))
		return -1;
	if (sink->nxy > 0)
		memcpy(L->xy + 2 * L->nxy, sink->xy, sink->nxy * 2 *
		    sizeof(double));
	if (sink->nrings > 0)
		memcpy(L->rings + L->nrings, sink->rings, sink->nrings *
		    sizeof(*L->rings));
	for (size_t i = 0; i < sink->nf; i++) {
		struct tl_feat f = sink->f[i];

		f.xy += L->nxy;
		f.ring += (uint32_t)L->nrings;
		L->f[L->nf++] = f;
	}
	L->nxy += sink->nxy;
	L->nrings += sink->nrings;
	L->kinds |= sink->kinds;
	sink->nxy = sink->nrings = sink->nf = 0;
	sink->kinds = 0;
	return 0;
}

/* Adds the items IT[0..N), their shapes in SINK, to L in order, saying
   why those skipped were. */
static enum kcn_status
tl_append(struct kcn_ctx *ctx, struct tl_layer *L, struct tl_item *it, int n,
    struct tl_layer *sink)
{
	char where[1100];

	for (int i = 0; i < n; i++) {
		struct tl_item *t = &it[i];

		if (t->st == KCN_EOS)
			return kcni_error(ctx, KCN_EOS, L->path, "out of memory");
		if (t->msg != NULL) {
			snprintf(where, sizeof(where), "%s:%lld", L->path, t->n);
			kcni_msg(ctx, t->st == KCN_OK ? KCN_MSG_INFO :
			    KCN_MSG_WARNING, where, "%s", t->msg);
		}
		if (t->st != KCN_OK) {
			L->skipped++;
			continue;
		}
		if (t->msg != NULL)
			L->cut++;
	}
	if (tl_merge(L, sink) != 0)
		return kcni_error(ctx, KCN_EOS, L->path, "out of memory");
	return KCN_OK;
}

static enum kcn_status
tl_read(struct tl_run *r, struct tl_layer *L, const struct kcn_tile_layer *in)
{
	struct kcn_ctx *ctx = r->ctx;
	struct kcn_source *src;
	struct kcn_reader *rd = NULL;
	struct kcn_transform *to_ll = NULL;
	struct kcni_approx *ap = NULL;
	OGRSpatialReferenceH srs = NULL, wgs = kcn_crs_wgs84();
	OGRFeatureDefnH defn;
	struct tl_xpool x;
	double ext[4], area[4];
	int by = -1, have_area, ncores, eof = 0, head = 0, inflight = 0;
	enum kcn_status st = KCN_OK;

	memset(&x, 0, sizeof(x));
	L->path = in->path;
	L->name = in->style.name;
	L->style = &in->style;
	if ((src = kcn_source_open(ctx, in->path, KCN_OPEN_VECTOR)) == NULL) {
		OSRRelease(wgs);
		return kcn_ctx_status(ctx);
	}
	if ((rd = kcn_reader_new(ctx, src, NULL)) == NULL ||
	    (st = kcni_layer_crs(ctx, in->path, kcn_reader_layer(rd), NULL, 0,
	    &srs)) != KCN_OK) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	have_area = tl_area(ctx, kcn_reader_layer(rd), srs, ext, area);
	if ((to_ll = kcn_transform_new(ctx, srs, wgs, have_area ? area : NULL,
	    r->o->allow_ballpark)) == NULL) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", kcn_ctx_errmsg(ctx));
		st = kcni_error(ctx, kcn_ctx_status(ctx), in->path, "%s", msg);
		goto out;
	}
	kcni_msg(ctx, KCN_MSG_INFO, in->path, "layer \"%s\", to Web Mercator "
	    "through %s", L->name, kcn_transform_info(to_ll)->name);
	defn = OGR_L_GetLayerDefn(kcn_reader_layer(rd));
	L->nkeys = OGR_FD_GetFieldCount(defn);
	if (L->nkeys > 0 && ((L->keys = calloc((size_t)L->nkeys,
	    sizeof(*L->keys))) == NULL || (L->knum = calloc((size_t)L->nkeys,
	    sizeof(*L->knum))) == NULL)) {
		st = kcni_error(ctx, KCN_EOS, in->path, "out of memory");
		goto out;
	}
	for (int k = 0; k < L->nkeys; k++) {
		OGRFieldDefnH fd = OGR_FD_GetFieldDefn(defn, k);
		OGRFieldType ft = OGR_Fld_GetType(fd);

		if ((L->keys[k] = kcni_strdup(ctx, OGR_Fld_GetNameRef(fd))) ==
		    NULL) {
			st = KCN_EOS;
			goto out;
		}
		L->knum[k] = ft == OFTInteger || ft == OFTInteger64 ||
		    ft == OFTReal;
	}
	if (in->style.by != NULL &&
	    (by = OGR_FD_GetFieldIndex(defn, in->style.by)) < 0) {
		st = kcni_error(ctx, KCN_EUSAGE, in->path, "by=%s: no such "
		    "field", in->style.by);
		goto out;
	}
	/* PNG tiles show no fields but the style's: the others are not
	   even read. */
	if (!r->o->vector && kcni_ignore_fields(kcn_reader_layer(rd), by) !=
	    0) {
		st = kcni_error(ctx, KCN_EOS, in->path, "out of memory");
		goto out;
	}
	/* PNG tiles: the layer's CRS to lon/lat interpolated within a
	   thousandth of a pixel at the highest zoom, where it can be. */
	if (!r->o->vector && have_area) {
		x.ext = ext;
		x.tol = 360 / (double)(1u << r->o->zmax) / r->px / 1000;
		ap = kcni_approx_new(kcni_transform_pj(to_ll), ext, TL_CELLS,
		    x.tol);
	}
	/* Transforming threads, when there are cores to share. */
	x.src_ll = to_ll;
	x.ll[0] = x.ll[1] = INFINITY;
	x.ll[2] = x.ll[3] = -INFINITY;
	pthread_mutex_init(&x.mu, NULL);
	pthread_cond_init(&x.cv, NULL);
	for (int i = 0; i < TL_RING; i++)
		if ((x.ring[i].it = calloc(TL_READ_BATCH,
		    sizeof(*x.ring[i].it))) == NULL) {
			st = kcni_error(ctx, KCN_EOS, in->path, "out of memory");
			goto join;
		}
	ncores = r->o->threads > 0 ? r->o->threads :
	    (int)sysconf(_SC_NPROCESSORS_ONLN);
	for (int i = 0; ncores > 1 && i < ncores && i < TL_XMAX; i++)
		if (pthread_create(&x.tid[x.nthreads], NULL, tl_xform_thread,
		    &x) == 0)
			x.nthreads++;
	while (st == KCN_OK && (!eof || inflight > 0)) {
		struct tl_xbatch *t;
		int posted;

		/* Read ahead while there is room. */
		while (st == KCN_OK && !eof && inflight < TL_RING) {
			t = &x.ring[(head + inflight) % TL_RING];
			st = tl_read_batch(ctx, rd, L, by, r->o->vector, t->it,
			    &t->n);
			if (st != KCN_OK || t->n == 0) {
				eof = 1;
				break;
			}
			pthread_mutex_lock(&x.mu);
			posted = x.nthreads > 0 && !x.failed;
			if (posted) {
				t->state = TL_POSTED;
				pthread_cond_broadcast(&x.cv);
			}
			pthread_mutex_unlock(&x.mu);
			if (!posted) {
				tl_fit_items(ctx, to_ll, ap, t->it, t->n,
				    r->ll, &t->sink);
				t->state = TL_DONE;
			}
			inflight++;
		}
		if (st != KCN_OK || inflight == 0)
			break;
		/* Add the oldest batch once it is done. */
		t = &x.ring[head];
		pthread_mutex_lock(&x.mu);
		while (t->state != TL_DONE) {
			if (t->state == TL_POSTED && x.failed) {
				t->state = TL_TAKEN;	/* do it here */
				pthread_mutex_unlock(&x.mu);
				tl_fit_items(ctx, to_ll, ap, t->it, t->n,
				    r->ll, &t->sink);
				pthread_mutex_lock(&x.mu);
				t->state = TL_DONE;
				break;
			}
			pthread_cond_wait(&x.cv, &x.mu);
		}
		pthread_mutex_unlock(&x.mu);
		st = tl_append(ctx, L, t->it, t->n, &t->sink);
		tl_items_clear(t->it, t->n);
		t->n = 0;
		t->state = TL_FREE;
		head = (head + 1) % TL_RING;
		inflight--;
		kcni_progress(ctx, L->name, (double)L->read, 0, 0);
	}
join:
	pthread_mutex_lock(&x.mu);
	x.quit = 1;
	pthread_cond_broadcast(&x.cv);
	pthread_mutex_unlock(&x.mu);
	for (int i = 0; i < x.nthreads; i++)
		pthread_join(x.tid[i], NULL);
	r->ll[0] = fmin(r->ll[0], x.ll[0]);
	r->ll[1] = fmin(r->ll[1], x.ll[1]);
	r->ll[2] = fmax(r->ll[2], x.ll[2]);
	r->ll[3] = fmax(r->ll[3], x.ll[3]);
	for (int i = 0; i < TL_RING; i++) {
		if (x.ring[i].it != NULL)
			tl_items_clear(x.ring[i].it, x.ring[i].n);
		free(x.ring[i].it);
		tl_layer_free(&x.ring[i].sink);
	}
	pthread_cond_destroy(&x.cv);
	pthread_mutex_destroy(&x.mu);
	if (st == KCN_OK && L->nf == 0)
		kcni_msg(ctx, KCN_MSG_WARNING, in->path, "no features to tile");
	if (L->cut > 0)
		kcni_msg(ctx, KCN_MSG_WARNING, in->path, "%lld features cut at "
		    "Web Mercator's latitude limit or the antimeridian (-v "
		    "lists them)", L->cut);
	if (L->skipped > 0)
		kcni_msg(ctx, KCN_MSG_WARNING, in->path, "%lld features "
		    "skipped (each reported)", L->skipped);
out:
	kcni_approx_free(ap);
	kcn_transform_free(to_ll);
	kcn_reader_free(rd);
	if (srs != NULL)
		OSRRelease(srs);
	OSRRelease(wgs);
	if (kcn_source_close(ctx, src) != KCN_OK && st == KCN_OK)
		st = kcn_ctx_status(ctx);
	return st;
}

static void
tl_layer_free(struct tl_layer *L)
{
	for (int k = 0; k < L->nkeys; k++)
		free(L->keys[k]);
	free(L->keys);
	free(L->knum);
	free(L->f);
	free(L->xy);
	free(L->rings);
	free(L->attr);
	free(L->vals);
	free(L->vhash);
	free(L->pool);
}

/* ---- a feature in tile coordinates ------------------------------------ */

static int
tl_pts_grow(struct tl_worker *w, size_t n)
{
	return tl_grow(&w->pts, &w->cappts, n, 2 * sizeof(double));
}

/* The GEOS geometry of the parts in W (of KIND), NULL on failure. */
static GEOSGeometry *
tl_to_geos(struct tl_worker *w, int kind)
{
	GEOSContextHandle_t h = kcn_ctx_geos(w->ctx);
	GEOSGeometry **polys = NULL, **holes = NULL, *shell = NULL, *g = NULL;
	size_t off = 0, np = 0, nh = 0;
	int ok = 1;

	if ((polys = calloc(w->parts.n, sizeof(*polys))) == NULL ||
	    (holes = calloc(w->parts.n, sizeof(*holes))) == NULL)
		goto out;
	for (size_t i = 0; i <= w->parts.n && ok; i++) {
		uint32_t n = i < w->parts.n ? w->parts.v[i] & ~TL_OUTER : 0;
		GEOSCoordSequence *cs;
		GEOSGeometry *ring;

		if (kind == TL_POLY && (i == w->parts.n ||
		    (w->parts.v[i] & TL_OUTER)) && shell != NULL) {
			if ((polys[np] = GEOSGeom_createPolygon_r(h, shell,
			    holes, (unsigned)nh)) == NULL)
				ok = 0;
			else
				np++;
			shell = NULL;
			nh = 0;
		}
		if (i == w->parts.n || !ok)
			break;
		cs = GEOSCoordSeq_copyFromBuffer_r(h, w->pts + 2 * off, n, 0, 0);
		off += n;
		if (cs == NULL) {
			ok = 0;
			break;
		}
		if (kind == TL_LINE) {
			if ((polys[np] = GEOSGeom_createLineString_r(h, cs)) ==
			    NULL)
				ok = 0;
			else
				np++;
			continue;
		}
		if (n < 4 || (ring = GEOSGeom_createLinearRing_r(h, cs)) ==
		    NULL) {
			if (n < 4)
				GEOSCoordSeq_destroy_r(h, cs);
			continue;	/* too few points: left out */
		}
		if (w->parts.v[i] & TL_OUTER)
			shell = ring;
		else if (shell != NULL)
			holes[nh++] = ring;
		else
			GEOSGeom_destroy_r(h, ring);
	}
	if (shell != NULL)
		GEOSGeom_destroy_r(h, shell);
	for (size_t i = 0; i < nh; i++)
		if (!ok || shell != NULL)
			GEOSGeom_destroy_r(h, holes[i]);
	if (ok)
		g = GEOSGeom_createCollection_r(h, kind == TL_POLY ?
		    GEOS_MULTIPOLYGON : GEOS_MULTILINESTRING, polys,
		    (unsigned)np);
	if (g == NULL)
		for (size_t i = 0; i < np; i++)
			GEOSGeom_destroy_r(h, polys[i]);
out:
	free(polys);
	free(holes);
	return g;
}

/* Appends the points of line or ring G to W's parts with FLAG. */
static int
tl_from_seq(struct tl_worker *w, const GEOSGeometry *g, uint32_t flag)
{
	GEOSContextHandle_t h = kcn_ctx_geos(w->ctx);
	const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, g);
	unsigned n = 0;

	if (cs == NULL || !GEOSCoordSeq_getSize_r(h, cs, &n) || n == 0)
		return 0;
	if (tl_pts_grow(w, w->npts + n) ||
	    !GEOSCoordSeq_copyToBuffer_r(h, cs, w->pts + 2 * w->npts, 0, 0) ||
	    kcni_u32_push(&w->parts, n | flag))
		return -1;
	w->npts += n;
	return 0;
}

/* Replaces W's parts by those of G (polygons or lines, any nesting). */
static int
tl_from_geos(struct tl_worker *w, const GEOSGeometry *g)
{
	GEOSContextHandle_t h = kcn_ctx_geos(w->ctx);
	int t = GEOSGeomTypeId_r(h, g), n;

	switch (t) {
	case GEOS_LINESTRING:
	case GEOS_LINEARRING:
		return tl_from_seq(w, g, 0);
	case GEOS_POLYGON:
		if (tl_from_seq(w, GEOSGetExteriorRing_r(h, g), TL_OUTER))
			return -1;
		n = GEOSGetNumInteriorRings_r(h, g);
		for (int i = 0; i < n; i++)
			if (tl_from_seq(w, GEOSGetInteriorRingN_r(h, g, i), 0))
				return -1;
		return 0;
	case GEOS_MULTILINESTRING:
	case GEOS_MULTIPOLYGON:
	case GEOS_GEOMETRYCOLLECTION:
		n = GEOSGetNumGeometries_r(h, g);
		for (int i = 0; i < n; i++)
			if (tl_from_geos(w, GEOSGetGeometryN_r(h, g, i)))
				return -1;
		return 0;
	default:
		return 0;	/* points of a cut line: nothing to draw */
	}
}

/* Twice the signed area of N points P (a closed or open ring). */
static double
tl_area2(const double *p, size_t n)
{
	double a = 0;

	for (size_t i = 0, j = n - 1; i < n; j = i++)
		a += (p[2 * j] - p[2 * i]) * (p[2 * j + 1] + p[2 * i + 1]);
	return a;
}

static void
tl_reverse(double *p, size_t n)
{
	for (size_t i = 0, j = n - 1; i < j; i++, j--) {
		double x = p[2 * i], y = p[2 * i + 1];

		p[2 * i] = p[2 * j], p[2 * i + 1] = p[2 * j + 1];
		p[2 * j] = x, p[2 * j + 1] = y;
	}
}

/*
 * Feature F of L in the coordinates of the tile whose top left corner is
 * X0, Y1 at K units a metre, into W's points and parts: cut to the
 * square [LO, HI] when it reaches beyond it, polygon rings wound with
 * exteriors positive in those (y down) coordinates.  0: nothing left.
 */
static int
tl_shape(struct tl_worker *w, const struct tl_layer *L,
    const struct tl_feat *F, double x0, double y1, double k, double lo,
    double hi)
{
	const double *src = L->xy + 2 * F->xy;
	size_t n = 0;
	int inside;

	w->npts = 0;
	w->parts.n = 0;
	for (uint32_t i = 0; i < F->nring; i++) {
		uint32_t m = L->rings[F->ring + i];

		n += m & ~TL_OUTER;
		if (kcni_u32_push(&w->parts, m))
			return -1;
	}
	if (tl_pts_grow(w, n))
		return -1;
	for (size_t i = 0; i < n; i++) {
		w->pts[2 * i] = (src[2 * i] - x0) * k;
		w->pts[2 * i + 1] = (y1 - src[2 * i + 1]) * k;
	}
	w->npts = n;
	inside = (F->bb[0] - x0) * k >= lo && (F->bb[2] - x0) * k <= hi &&
	    (y1 - F->bb[3]) * k >= lo && (y1 - F->bb[1]) * k <= hi;
	if (F->kind == TL_POINT) {
		size_t j = 0;

		for (size_t i = 0; i < n; i++) {
			double x = w->pts[2 * i], y = w->pts[2 * i + 1];

			if (x >= lo && x <= hi && y >= lo && y <= hi) {
				w->pts[2 * j] = x, w->pts[2 * j + 1] = y;
				j++;
			}
		}
		w->npts = j;
		w->parts.v[0] = (uint32_t)j;
		w->parts.n = j > 0;
		return j > 0;
	}
	if (!inside) {
		GEOSContextHandle_t h = kcn_ctx_geos(w->ctx);
		GEOSGeometry *g = tl_to_geos(w, F->kind), *c = NULL;

		if (g != NULL)
			c = GEOSClipByRect_r(h, g, lo, lo, hi, hi);
		if (c != NULL) {
			w->npts = 0;
			w->parts.n = 0;
			if (tl_from_geos(w, c) != 0) {
				GEOSGeom_destroy_r(h, c);
				GEOSGeom_destroy_r(h, g);
				return -1;
			}
			GEOSGeom_destroy_r(h, c);
		}
		/* Else (an invalid shape GEOS cannot cut) it goes whole. */
		if (g != NULL)
			GEOSGeom_destroy_r(h, g);
	}
	if (F->kind == TL_POLY)
		for (size_t i = 0, o = 0; i < w->parts.n; i++) {
			uint32_t m = w->parts.v[i] & ~TL_OUTER;
			double a = m >= 3 ? tl_area2(w->pts + 2 * o, m) : 0;

			if ((w->parts.v[i] & TL_OUTER) ? a < 0 : a > 0)
				tl_reverse(w->pts + 2 * o, m);
			o += m;
		}
	return w->parts.n > 0;
}

/* ---- vector tiles ----------------------------------------------------- */

/* The distance of point P from the segment A B, all in tile units. */
static double
tl_seg_dist(const int32_t *p, const int32_t *a, const int32_t *b)
{
	double dx = (double)b[0] - a[0], dy = (double)b[1] - a[1];
	double px = (double)p[0] - a[0], py = (double)p[1] - a[1];
	double l2 = dx * dx + dy * dy, t;

	if (l2 == 0)
		return hypot(px, py);
	t = fmax(0, fmin(1, (px * dx + py * dy) / l2));
	return hypot(px - t * dx, py - t * dy);
}

/*
 * Simplifies the N points at W->q[START...] in place (Douglas and
 * Peucker: a point goes when the line without it stays within TOL of
 * it); the ends stay, so a closed ring stays closed.  Returns the points
 * left, or 0 when out of memory.
 */
static size_t
tl_simplify(struct tl_worker *w, size_t start, size_t n, double tol)
{
	int32_t *q = w->q + 2 * start;
	size_t top = 0, j = 0;

	if (n < 4)
		return n;
	if (tl_grow(&w->keep, &w->capkeep, n, 1) ||
	    tl_grow(&w->stack, &w->capstack, 2 * n, sizeof(*w->stack)))
		return 0;
	memset(w->keep, 0, n);
	w->keep[0] = w->keep[n - 1] = 1;
	w->stack[top++] = 0;
	w->stack[top++] = n - 1;
	while (top > 0) {
		size_t b = w->stack[--top], a = w->stack[--top], far = a;
		double dmax = tol;

		for (size_t i = a + 1; i < b; i++) {
			double d = tl_seg_dist(q + 2 * i, q + 2 * a, q + 2 * b);

			if (d > dmax) {
				dmax = d;
				far = i;
			}
		}
		if (far == a)
			continue;
		w->keep[far] = 1;
		w->stack[top++] = a;
		w->stack[top++] = far;
		w->stack[top++] = far;
		w->stack[top++] = b;
	}
	for (size_t i = 0; i < n; i++)
		if (w->keep[i]) {
			q[2 * j] = q[2 * i];
			q[2 * j + 1] = q[2 * i + 1];
			j++;
		}
	return j;
}

/* Rounds W's points to whole units into W->q; the parts' sizes shrink
   as repeated points go (rings lose their closing point), and rings
   that rounding flattens or turns over go, with the holes of an
   exterior that goes.  *MEASURE: twice the area (polygons: exteriors
   less holes) or the length.  -1 when out of memory. */
static int
tl_quantize(struct tl_worker *w, int kind, double *measure)
{
	size_t in = 0, out = 0;
	int dropped_outer = 0;

	*measure = 0;
	if (tl_grow(&w->q, &w->capq, w->npts + 1, 2 * sizeof(int32_t)))
		return -1;
	for (size_t i = 0; i < w->parts.n; i++) {
		uint32_t m = w->parts.v[i] & ~TL_OUTER, flag =
		    w->parts.v[i] & TL_OUTER;
		size_t start = out;

		for (uint32_t j = 0; j < m; j++) {
			double x = w->pts[2 * (in + j)], y = w->pts[2 * (in +
			    j) + 1];
			int32_t qx = (int32_t)floor(fmax(fmin(x, 1 << 28),
			    -(1 << 28)) + 0.5);
			int32_t qy = (int32_t)floor(fmax(fmin(y, 1 << 28),
			    -(1 << 28)) + 0.5);

			if (kind != TL_POINT && out > start &&
			    w->q[2 * (out - 1)] == qx &&
			    w->q[2 * (out - 1) + 1] == qy)
				continue;
			w->q[2 * out] = qx;
			w->q[2 * out + 1] = qy;
			out++;
		}
		in += m;
		if (w->simplify && kind != TL_POINT && out - start >= 4) {
			size_t left = tl_simplify(w, start, out - start,
			    TL_SIMPLIFY);

			if (left == 0)
				return -1;
			out = start + left;
		}
		if (kind == TL_POLY && out - start >= 2 &&
		    w->q[2 * start] == w->q[2 * (out - 1)] &&
		    w->q[2 * start + 1] == w->q[2 * (out - 1) + 1])
			out--;	/* the closing point: ClosePath draws it */
		if (kind == TL_POLY) {
			double a = 0;

			for (size_t s = start, t = out - 1; s < out; t = s++)
				a += ((double)w->q[2 * t] - w->q[2 * s]) *
				    ((double)w->q[2 * t + 1] + w->q[2 * s + 1]);
			/* Exteriors positive, holes negative. */
			if (flag)
				dropped_outer = 0;
			if (out - start < 3 || (flag ? a <= 0 : a >= 0) ||
			    dropped_outer) {
				out = start;
				dropped_outer |= flag != 0;
			} else {
				*measure += a;
			}
		} else if (kind == TL_LINE) {
			if (out - start < 2)
				out = start;
			for (size_t s = start + 1; s < out; s++)
				*measure += hypot((double)w->q[2 * s] -
				    w->q[2 * s - 2], (double)w->q[2 * s + 1] -
				    w->q[2 * s - 1]);
		}
		w->parts.v[i] = (uint32_t)(out - start) | flag;
	}
	return 0;
}

/* Adds a candidate of layer L, feature I, with W->g's commands. */
static int
tl_cand_add(struct tl_worker *w, uint32_t l, uint32_t i, int type,
    double weight, int square)
{
	struct tl_cand *c;

	if (w->g.cmd.n == 0)
		return 0;
	if (tl_grow(&w->cand, &w->capcand, w->ncand + 1, sizeof(*w->cand)))
		return -1;
	c = &w->cand[w->ncand++];
	c->l = l;
	c->i = i;
	c->type = type;
	c->weight = weight;
	c->square = square;
	c->keep = 1;
	c->cmd0 = w->cmds.n;
	c->ncmd = w->g.cmd.n;
	for (size_t j = 0; j < w->g.cmd.n; j++)
		if (kcni_u32_push(&w->cmds, w->g.cmd.v[j]))
			return -1;
	return 0;
}

/* The candidate feature F (index I of layer number LI) of a tile. */
static int
tl_candidate(struct tl_worker *w, uint32_t li, uint32_t i, double x0,
    double y1, double k)
{
	const struct tl_layer *L = &w->r->layers[li];
	const struct tl_feat *F = &L->f[i];
	double measure;
	int rc;

	rc = tl_shape(w, L, F, x0, y1, k, -TL_BUFFER, TL_EXTENT + TL_BUFFER);
	if (rc <= 0)
		return rc;
	kcni_mvt_geom_begin(&w->g);
	if (F->kind == TL_POLY && w->r->job.z < w->r->o->zmax) {
		double area = 0;

		for (size_t p = 0, o = 0; p < w->parts.n; p++) {
			uint32_t m = w->parts.v[p] & ~TL_OUTER;

			area += m >= 3 ? tl_area2(w->pts + 2 * o, m) / 2 : 0;
			o += m;
		}
		if (area < TL_TINY) {
			/* Too small to draw: its area is gathered, and
			   every pixel's worth becomes a square of one
			   pixel where the last of it lies. */
			int32_t sq[8], cx, cy, hs = (int32_t)(sqrt(TL_TINY) /
			    2);

			w->tiny++;
			w->acc[li] += fmax(area, 0);
			if (w->acc[li] < TL_TINY)
				return 0;
			w->acc[li] -= TL_TINY;
			cx = (int32_t)floor(w->pts[0] + 0.5);
			cy = (int32_t)floor(w->pts[1] + 0.5);
			sq[0] = cx - hs, sq[1] = cy - hs;
			sq[2] = cx + hs, sq[3] = cy - hs;
			sq[4] = cx + hs, sq[5] = cy + hs;
			sq[6] = cx - hs, sq[7] = cy + hs;
			kcni_mvt_geom_ring(&w->g, sq, 4);
			w->squares++;
			return tl_cand_add(w, li, i, 3, TL_TINY, 1);
		}
	}
	if (tl_quantize(w, F->kind, &measure) != 0)
		return -1;
	for (size_t p = 0, o = 0; p < w->parts.n; p++) {
		uint32_t m = w->parts.v[p] & ~TL_OUTER;

		if (F->kind == TL_POINT)
			kcni_mvt_geom_points(&w->g, w->q + 2 * o, m);
		else if (F->kind == TL_LINE)
			kcni_mvt_geom_line(&w->g, w->q + 2 * o, m);
		else
			kcni_mvt_geom_ring(&w->g, w->q + 2 * o, m);
		o += m;
	}
	if (w->g.cmd.oom)
		return -1;
	return tl_cand_add(w, li, i, F->kind, F->kind == TL_POINT ?
	    (double)(tl_mix((uint64_t)F->fid ^ ((uint64_t)i << 32)) >> 11) :
	    measure, 0);
}

/* Encodes the kept candidates as the tile in W->tile. */
static int
tl_encode(struct tl_worker *w)
{
	struct tl_run *r = w->r;
	size_t c = 0;

	w->tile.n = 0;
	for (int li = 0; li < r->nlayers; li++) {
		const struct tl_layer *L = &r->layers[li];
		uint32_t nk = 0, nv = 0;

		kcni_mvt_layer_reset(&w->ml);
		w->stamp++;
		for (; c < w->ncand && w->cand[c].l == (uint32_t)li; c++) {
			const struct tl_cand *cd = &w->cand[c];
			const struct tl_feat *F = &L->f[cd->i];
			struct kcni_mvt_geom g = { 0 };

			if (!cd->keep)
				continue;
			w->tags.n = 0;
			for (uint32_t a = 0; a < F->nattr; a++) {
				uint32_t key = L->attr[2 * (F->attr + a)];
				uint32_t val = L->attr[2 * (F->attr + a) + 1];
				const struct tl_val *v = &L->vals[val];

				if (w->kstamp[key] != w->stamp) {
					w->kstamp[key] = w->stamp;
					w->kloc[key] = nk++;
					kcni_mvt_key(&w->ml, L->keys[key]);
				}
				if (w->vstamp[val] != w->stamp) {
					w->vstamp[val] = w->stamp;
					w->vloc[val] = nv++;
					if (v->type == TV_STRING)
						kcni_mvt_value_string(&w->ml,
						    L->pool + v->u.s);
					else if (v->type == TV_INT)
						kcni_mvt_value_int(&w->ml,
						    v->u.i);
					else
						kcni_mvt_value_double(&w->ml,
						    v->u.d);
				}
				kcni_u32_push(&w->tags, w->kloc[key]);
				kcni_u32_push(&w->tags, w->vloc[val]);
			}
			g.cmd.v = w->cmds.v + cd->cmd0;
			g.cmd.n = cd->ncmd;
			kcni_mvt_feature(&w->ml, (uint64_t)F->fid, F->fid >= 0,
			    w->tags.v, w->tags.n, cd->type, &g);
		}
		if (w->ml.nfeatures > 0)
			kcni_mvt_layer_end(&w->tile, &w->ml, L->name,
			    TL_EXTENT);
	}
	return w->tile.oom || w->tags.oom ? -1 : 0;
}

/* A candidate's place and weight, for sorting. */
struct tl_rank {
	double weight;
	size_t i;
};

static int
tl_by_weight(const void *a, const void *b)
{
	const struct tl_rank *x = a, *y = b;

	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	return x->i < y->i ? -1 : 1;
}

/* Keeps the share FRAC of each layer's candidates, the heaviest. */
static int
tl_thin(struct tl_worker *w, double frac)
{
	struct tl_rank *rk = malloc((w->ncand + 1) * sizeof(*rk));
	size_t a = 0;

	if (rk == NULL)
		return -1;
	while (a < w->ncand) {
		size_t b = a, keep;

		while (b < w->ncand && w->cand[b].l == w->cand[a].l)
			b++;
		for (size_t i = a; i < b; i++) {
			rk[i - a].weight = w->cand[i].weight;
			rk[i - a].i = i;
		}
		qsort(rk, b - a, sizeof(*rk), tl_by_weight);
		keep = (size_t)ceil(frac * (double)(b - a));
		for (size_t i = 0; i < b - a; i++)
			w->cand[rk[i].i].keep = i < keep;
		a = b;
	}
	free(rk);
	return 0;
}

static int
tl_vector_tile(struct tl_worker *w, int z, uint32_t x, uint32_t y,
    const struct tl_pair *p, size_t n)
{
	struct tl_run *r = w->r;
	double size = 2 * TL_W / (double)(1u << z), x0 = -TL_W + x * size;
	double y1 = TL_W - y * size, k = TL_EXTENT / size, frac = 1;
	size_t kept;

	w->ncand = 0;
	w->cmds.n = 0;
	w->simplify = z < r->o->zmax;
	for (int l = 0; l < r->nlayers; l++)
		w->acc[l] = 0;
	for (size_t j = 0; j < n; j++)
		if (tl_candidate(w, p[j].l, p[j].i, x0, y1, k) < 0)
			return -1;
	if (w->cmds.oom)
		return -1;
	for (int round = 0; ; round++) {
		if (tl_encode(w) != 0)
			return -1;
		kept = 0;
		for (size_t c = 0; c < w->ncand; c++)
			kept += (size_t)w->cand[c].keep;
		if (w->tile.n <= r->max_bytes && kept <= (size_t)
		    r->max_features)
			break;
		if (round == 12) {
			/* One feature a layer left, still too big. */
			w->over++;
			break;
		}
		frac *= 0.95 * fmin((double)r->max_bytes / (double)w->tile.n,
		    (double)r->max_features / (double)kept);
		if (tl_thin(w, frac) != 0)
			return -1;
	}
	w->features += (long long)kept;
	w->dropped += (long long)(w->ncand - kept);
	return 0;
}

/* ---- raster tiles ----------------------------------------------------- */

static void
tl_rgba(cairo_t *cr, uint32_t c, double opacity)
{
	cairo_set_source_rgba(cr, (c >> 24) / 255.0, ((c >> 16) & 0xff) /
	    255.0, ((c >> 8) & 0xff) / 255.0, (c & 0xff) / 255.0 * opacity);
}

/* Adds W's shape of a feature of L (of KIND) to CR's path. */
static void
tl_path(struct tl_worker *w, cairo_t *cr, const struct tl_layer *L, int kind)
{
	const struct kcn_style *s = L->style;

	if (kind == TL_POINT) {
		double rad = s->size * w->r->o->scale / 2;

		if (s->symbol == KCN_SYMBOL_NONE)
			return;
		for (size_t i = 0; i < w->npts; i++) {
			double x = w->pts[2 * i], y = w->pts[2 * i + 1];

			cairo_new_sub_path(cr);
			if (s->symbol == KCN_SYMBOL_CIRCLE)
				cairo_arc(cr, x, y, rad, 0, 2 * M_PI);
			else
				cairo_rectangle(cr, x - rad, y - rad, 2 * rad,
				    2 * rad);
		}
		return;
	}
	for (size_t p = 0, o = 0; p < w->parts.n; p++) {
		uint32_t m = w->parts.v[p] & ~TL_OUTER;

		for (uint32_t j = 0; j < m; j++)
			(j ? cairo_line_to : cairo_move_to)(cr,
			    w->pts[2 * (o + j)], w->pts[2 * (o + j) + 1]);
		if (kind == TL_POLY)
			cairo_close_path(cr);
		o += m;
	}
}

/*
 * Fills and strokes the path of features of L (of KIND, with fill FILL)
 * at once: one pass of Cairo's rasteriser for many features, and where
 * features of a layer overlap, their union drawn once.
 */
static void
tl_paint(struct tl_worker *w, cairo_t *cr, const struct tl_layer *L, int kind,
    uint32_t fill)
{
	const struct kcn_style *s = L->style;
	double sc = w->r->o->scale, lw = s->width * sc;
	int stroke = (s->stroke & 0xff) != 0 && lw > 0;

	/* Round joins and ends show on lines of two pixels and more; on
	   thinner ones they look the same as mitred ones and cost a fifth
	   of the drawing of zoom 16 of a million buildings. */
	cairo_set_line_join(cr, lw >= 2 ? CAIRO_LINE_JOIN_ROUND :
	    CAIRO_LINE_JOIN_MITER);
	cairo_set_line_cap(cr, lw >= 2 ? CAIRO_LINE_CAP_ROUND :
	    CAIRO_LINE_CAP_BUTT);

	if (kind != TL_LINE && (fill & 0xff) != 0) {
		/* Under an opaque stroke of a pixel or more, the fill's edge
		   does not show: it is filled without antialiasing, a tenth
		   less work on zoom 16 of a million buildings. */
		int hidden = kind == TL_POLY && stroke && lw >= 1 &&
		    (s->stroke & 0xff) == 0xff && s->opacity >= 1;

		tl_rgba(cr, fill, s->opacity);
		if (hidden)
			cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
		cairo_fill_preserve(cr);
		if (hidden)
			cairo_set_antialias(cr, CAIRO_ANTIALIAS_FAST);
	}
	if (kind == TL_LINE && (!stroke || (s->by != NULL &&
	    s->nclasses > 0)) && (fill & 0xff) != 0) {
		/* A line takes its fill's colour, opaque, when it has no
		   stroke colour or is coloured by a field. */
		tl_rgba(cr, fill | 0xff, s->opacity);
		cairo_set_line_width(cr, fmax(lw, sc));
		cairo_stroke(cr);
	} else if (stroke) {
		tl_rgba(cr, s->stroke, s->opacity);
		cairo_set_line_width(cr, lw);
		cairo_stroke(cr);
	}
	cairo_new_path(cr);
}

/* Draws the features of pairs P[0..N) of tile Z/X/Y on CR. */
static int
tl_draw(struct tl_worker *w, cairo_t *cr, int z, uint32_t x, uint32_t y,
    const struct tl_pair *p, size_t n)
{
	struct tl_run *r = w->r;
	double size = 2 * TL_W / (double)(1u << z), x0 = -TL_W + x * size;
	double y1 = TL_W - y * size, k = r->px / size;
	const struct tl_layer *cl = NULL;
	uint32_t cfill = 0;
	int ckind = 0, batched = 0;

	cairo_new_path(cr);
	for (size_t j = 0; j < n; j++) {
		const struct tl_layer *L = &r->layers[p[j].l];
		const struct tl_feat *F = &L->f[p[j].i];
		double m = L->margin * r->o->scale;
		int rc = tl_shape(w, L, F, x0, y1, k, -m, r->px + m);

		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		/* Features of a layer drawn alike go in one path. */
		if (cl != NULL && (cl != L || cfill != F->fill ||
		    ckind != F->kind || batched == TL_BATCH)) {
			tl_paint(w, cr, cl, ckind, cfill);
			batched = 0;
		}
		cl = L, cfill = F->fill, ckind = F->kind;
		tl_path(w, cr, L, F->kind);
		batched++;
	}
	if (cl != NULL)
		tl_paint(w, cr, cl, ckind, cfill);
	return 0;
}

static void
tl_clear(cairo_t *cr)
{
	cairo_save(cr);
	cairo_set_operator(cr, CAIRO_OPERATOR_CLEAR);
	cairo_paint(cr);
	cairo_restore(cr);
}

/* Whether surface S (PX pixels a side) holds anything. */
static int
tl_inked(cairo_surface_t *s, int px)
{
	const uint32_t *d;
	int stride;

	cairo_surface_flush(s);
	d = (const uint32_t *)cairo_image_surface_get_data(s);
	stride = cairo_image_surface_get_stride(s) / 4;
	for (int i = 0; i < px; i++)
		for (int j = 0; j < px; j++)
			if (d[(size_t)i * (size_t)stride + (size_t)j] != 0)
				return 1;
	return 0;
}

/* S (PX pixels a side) at half its size, each pixel the average of
   four (premultiplied, so colours and coverage average alike). */
static uint32_t *
tl_halve(cairo_surface_t *s, int px)
{
	const unsigned char *d = cairo_image_surface_get_data(s);
	int stride = cairo_image_surface_get_stride(s), h = px / 2;
	uint32_t *out = malloc((size_t)h * (size_t)h * sizeof(*out));

	if (out == NULL)
		return NULL;
	for (int i = 0; i < h; i++) {
		const uint32_t *a = (const uint32_t *)(d + (size_t)(2 * i) *
		    (size_t)stride), *b = (const uint32_t *)(d +
		    (size_t)(2 * i + 1) * (size_t)stride);

		for (int j = 0; j < h; j++) {
			uint32_t p0 = a[2 * j], p1 = a[2 * j + 1];
			uint32_t p2 = b[2 * j], p3 = b[2 * j + 1];
			/* Two channels at once, 16 bits apart: four sums of
			   bytes fit. */
			uint32_t lo = (p0 & 0xff00ff) + (p1 & 0xff00ff) +
			    (p2 & 0xff00ff) + (p3 & 0xff00ff) + 0x20002;
			uint32_t hi = (p0 >> 8 & 0xff00ff) + (p1 >> 8 &
			    0xff00ff) + (p2 >> 8 & 0xff00ff) + (p3 >> 8 &
			    0xff00ff) + 0x20002;

			out[(size_t)i * (size_t)h + (size_t)j] =
			    (lo >> 2 & 0xff00ff) | (hi >> 2 & 0xff00ff) << 8;
		}
	}
	return out;
}

/* The half of tile ID in halves H, or NULL. */
static const uint32_t *
tl_half_find(const struct tl_halves *h, uint64_t id)
{
	size_t lo = 0, hi = h->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h->h[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < h->n && h->h[lo].id == id ? h->h[lo].px : NULL;
}

/* Group G of tile Z/X/Y on the clear surface SURF: the halves of its
   four tiles at zoom Z + 1 side by side. */
static void
tl_compose(struct tl_worker *w, cairo_surface_t *surf, int z, uint32_t x,
    uint32_t y, int g)
{
	struct tl_run *r = w->r;
	int h = r->px / 2, stride;
	unsigned char *d;

	cairo_surface_flush(surf);
	d = cairo_image_surface_get_data(surf);
	stride = cairo_image_surface_get_stride(surf);
	for (int q = 0; q < 4; q++) {
		uint32_t cx = 2 * x + (uint32_t)(q & 1), cy = 2 * y +
		    (uint32_t)(q >> 1);
		const uint32_t *src = tl_half_find(&r->above[g],
		    kcni_tile_id(z + 1, cx, cy));

		if (src == NULL)
			continue;
		for (int i = 0; i < h; i++)
			memcpy(d + (size_t)((q >> 1) * h + i) * (size_t)stride +
			    (size_t)(q & 1) * (size_t)h * 4, src + (size_t)i *
			    (size_t)h, (size_t)h * 4);
	}
	cairo_surface_mark_dirty(surf);
}

/*
 * PNG tile Z/X/Y (the job's tile T) from pairs P[0..N), layer by layer:
 * a group of averaged layers drawn (at the highest zoom) or made of the
 * zoom above, on a surface of its own unless it is the first thing on
 * the tile, halved for the zoom below and laid over what is under it;
 * the other layers drawn on the tile.
 */
static int
tl_raster_tile(struct tl_worker *w, int z, uint32_t x, uint32_t y,
    const struct tl_pair *p, size_t n, size_t t)
{
	struct tl_run *r = w->r;
	struct tl_job *jb = &r->job;
	size_t j = 0;
	int ink = -1;	/* whether the tile holds anything, when known */

	tl_clear(w->cr);
	for (int l = 0, fresh = 1; l < r->nlayers; fresh = 0) {
		int g = r->layers[l].group, l2 = l;
		size_t k = j;
		cairo_surface_t *gs = fresh ? w->surf : w->gsurf;
		cairo_t *gc = fresh ? w->cr : w->gcr;

		while (l2 < r->nlayers && r->layers[l2].group == g)
			l2++;
		while (k < n && p[k].l < (uint32_t)l2)
			k++;
		if (g < 0) {
			if (tl_draw(w, w->cr, z, x, y, p + j, k - j) != 0)
				return -1;
			ink = -1;
		} else {
			if (gs != w->surf)
				tl_clear(gc);
			if (z < r->o->zmax)
				tl_compose(w, gs, z, x, y, g);
			else if (tl_draw(w, gc, z, x, y, p + j, k - j) != 0)
				return -1;
			if (tl_inked(gs, r->px)) {
				if (z > r->o->zmin && (jb->half[t *
				    (size_t)r->ngroups + (size_t)g] =
				    tl_halve(gs, r->px)) == NULL)
					return -1;
				if (gs != w->surf) {
					cairo_set_source_surface(w->cr, gs, 0,
					    0);
					cairo_paint(w->cr);
				}
				ink = gs == w->surf ? 1 : -1;
			} else if (gs == w->surf)
				ink = 0;
		}
		j = k;
		l = l2;
	}
	w->tile.n = 0;
	if (ink == 0 || (ink < 0 && !tl_inked(w->surf, r->px)))
		return 0;	/* empty tiles are left out */
	w->features += (long long)n;
	return kcni_png_encode((const uint32_t *)cairo_image_surface_get_data(
	    w->surf), r->px, r->px, cairo_image_surface_get_stride(w->surf) /
	    4, &w->tile, w->scratch);
}

/* ---- threads ---------------------------------------------------------- */

static void
tl_cairo_setup(cairo_t *cr)
{
	/* Fewer shades on edges: a third faster, and more tiles fit in a
	   palette. */
	cairo_set_antialias(cr, CAIRO_ANTIALIAS_FAST);
	cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
}

static int
tl_worker_init(struct tl_worker *w, struct tl_run *r, struct kcn_ctx *ctx)
{
	memset(w, 0, sizeof(*w));
	w->r = r;
	w->ctx = ctx;
	if ((w->acc = calloc((size_t)r->nlayers, sizeof(*w->acc))) == NULL)
		return -1;
	if (r->o->vector) {
		if ((w->kstamp = calloc((size_t)r->maxkeys + 1, 4)) == NULL ||
		    (w->kloc = calloc((size_t)r->maxkeys + 1, 4)) == NULL ||
		    (w->vstamp = calloc(r->maxvals + 1, 4)) == NULL ||
		    (w->vloc = calloc(r->maxvals + 1, 4)) == NULL)
			return -1;
		return 0;
	}
	w->surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, r->px, r->px);
	if (cairo_surface_status(w->surf) != CAIRO_STATUS_SUCCESS)
		return -1;
	w->cr = cairo_create(w->surf);
	if (cairo_status(w->cr) != CAIRO_STATUS_SUCCESS ||
	    (w->scratch = malloc((size_t)r->px * (size_t)r->px)) == NULL)
		return -1;
	tl_cairo_setup(w->cr);
	if (r->ngroups == 0)
		return 0;
	w->gsurf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, r->px,
	    r->px);
	if (cairo_surface_status(w->gsurf) != CAIRO_STATUS_SUCCESS)
		return -1;
	w->gcr = cairo_create(w->gsurf);
	if (cairo_status(w->gcr) != CAIRO_STATUS_SUCCESS)
		return -1;
	tl_cairo_setup(w->gcr);
	return 0;
}

static void
tl_worker_free(struct tl_worker *w)
{
	free(w->pts);
	kcni_u32_free(&w->parts);
	free(w->q);
	free(w->keep);
	free(w->stack);
	free(w->cand);
	kcni_u32_free(&w->cmds);
	kcni_u32_free(&w->tags);
	kcni_u32_free(&w->g.cmd);
	kcni_mvt_layer_free(&w->ml);
	kcni_buf_free(&w->tile);
	free(w->kstamp);
	free(w->kloc);
	free(w->vstamp);
	free(w->vloc);
	free(w->acc);
	if (w->cr != NULL)
		cairo_destroy(w->cr);
	if (w->surf != NULL)
		cairo_surface_destroy(w->surf);
	if (w->gcr != NULL)
		cairo_destroy(w->gcr);
	if (w->gsurf != NULL)
		cairo_surface_destroy(w->gsurf);
	free(w->scratch);
}

/* Makes tiles of the job until none is left or one fails. */
static void
tl_work(struct tl_worker *w)
{
	struct tl_job *j = &w->r->job;
	size_t t;

	while (j->st == KCN_OK && (t = atomic_fetch_add(&j->next, 1)) < j->n) {
		const struct tl_tile *tt = &j->tiles[t];
		const struct tl_pair *p = j->pairs + tt->p0;
		struct tl_out *o = &j->out[t];
		int rc;

		o->x = tt->x;
		o->y = tt->y;
		rc = w->r->o->vector ? tl_vector_tile(w, j->z, tt->x, tt->y, p,
		    tt->np) : tl_raster_tile(w, j->z, tt->x, tt->y, p, tt->np,
		    t);
		if (rc == 0 && w->tile.n > 0) {
			if ((o->p = malloc(w->tile.n)) == NULL)
				rc = -1;
			else
				memcpy(o->p, w->tile.p, w->tile.n);
			o->n = w->tile.n;
			if (o->n > w->biggest)
				w->biggest = o->n;
		}
		if (rc != 0) {
			pthread_mutex_lock(&j->mu);
			if (j->st == KCN_OK) {
				j->st = KCN_EOS;
				snprintf(j->where, sizeof(j->where), "tile "
				    "%d/%u/%u", j->z, p->x, p->y);
				snprintf(j->what, sizeof(j->what), "out of "
				    "memory or a drawing failure");
			}
			pthread_mutex_unlock(&j->mu);
		}
	}
}

static void *
tl_thread(void *ud)
{
	struct tl_worker *w = ud;
	struct tl_run *r = w->r;
	struct tl_job *j = &r->job;
	struct kcn_ctx *ctx = kcn_ctx_new();
	int ok = ctx != NULL && tl_worker_init(w, r, ctx) == 0;
	unsigned seen = 0;

	for (;;) {
		pthread_mutex_lock(&j->mu);
		while (j->gen == seen && !j->quit)
			pthread_cond_wait(&j->posted, &j->mu);
		seen = j->gen;
		if (j->quit) {
			pthread_mutex_unlock(&j->mu);
			break;
		}
		if (!ok && j->st == KCN_OK) {
			j->st = KCN_EOS;
			snprintf(j->where, sizeof(j->where), "threads");
			snprintf(j->what, sizeof(j->what), "out of memory");
		}
		pthread_mutex_unlock(&j->mu);
		if (ok)
			tl_work(w);
		pthread_mutex_lock(&j->mu);
		if (--j->active == 0)
			pthread_cond_signal(&j->done);
		pthread_mutex_unlock(&j->mu);
	}
	tl_worker_free(w);
	kcn_ctx_free(ctx);
	return NULL;
}

/* Hands the job's tiles to the STARTED threads besides this one. */
static void
tl_post_job(struct tl_run *r, int started)
{
	struct tl_job *j = &r->job;

	pthread_mutex_lock(&j->mu);
	j->gen++;
	j->active = started;
	pthread_cond_broadcast(&j->posted);
	pthread_mutex_unlock(&j->mu);
}

/* Makes the job's tiles left with MAIN_W, then waits for the others. */
static void
tl_finish_job(struct tl_run *r, struct tl_worker *main_w)
{
	struct tl_job *j = &r->job;

	tl_work(main_w);
	pthread_mutex_lock(&j->mu);
	while (j->active > 0)
		pthread_cond_wait(&j->done, &j->mu);
	pthread_mutex_unlock(&j->mu);
}

/* ---- zooms ------------------------------------------------------------ */

/*
 * Sorts pairs P[0..N) by their tile's key, of BITS bits, keeping the
 * order of pairs of a tile (layer by layer, feature by feature, as they
 * are listed): a radix sort, 11 bits a pass.
 */
static int
tl_sort_pairs(struct tl_pair *p, size_t n, int bits)
{
	struct tl_pair *tmp, *src = p, *dst;
	size_t count[2048];

	if (n < 2 || bits == 0)
		return 0;
	if ((tmp = malloc(n * sizeof(*tmp))) == NULL)
		return -1;
	dst = tmp;
	for (int shift = 0; shift < bits; shift += 11) {
		size_t sum = 0;

		memset(count, 0, sizeof(count));
		for (size_t i = 0; i < n; i++)
			count[(src[i].key >> shift) & 2047]++;
		for (size_t d = 0; d < 2048; d++) {
			size_t c = count[d];

			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i].key >> shift) & 2047]++] = src[i];
		tmp = src, src = dst, dst = tmp;
	}
	if (src != p)
		memcpy(p, src, n * sizeof(*p));
	free(src == p ? dst : src);
	return 0;
}

/* Lists every feature under the tiles of zoom Z it reaches. */
static enum kcn_status
tl_pairs(struct tl_run *r, int z, struct tl_pair **out, size_t *nout)
{
	double size = 2 * TL_W / (double)(1u << z);
	long long max = (1LL << z) - 1;
	struct tl_pair *p = NULL;
	size_t n = 0, cap = 0;
	uint64_t base = kcni_tile_id(z, 0, 0);

	for (int l = 0; l < r->nlayers; l++) {
		const struct tl_layer *L = &r->layers[l];
		double m = r->o->vector ? size * TL_BUFFER / TL_EXTENT :
		    size * L->margin * r->o->scale / r->px;

		/* Averaged layers are drawn at the highest zoom only. */
		if (L->group >= 0 && z < r->o->zmax)
			continue;

		for (size_t i = 0; i < L->nf; i++) {
			const double *bb = L->f[i].bb;
			long long x0 = (long long)floor((bb[0] - m + TL_W) /
			    size), x1 = (long long)floor((bb[2] + m + TL_W) /
			    size), y0 = (long long)floor((TL_W - bb[3] - m) /
			    size), y1 = (long long)floor((TL_W - bb[1] + m) /
			    size);

			x0 = x0 < 0 ? 0 : x0, y0 = y0 < 0 ? 0 : y0;
			x1 = x1 > max ? max : x1, y1 = y1 > max ? max : y1;
			if (x1 < x0 || y1 < y0)
				continue;
			if (n + (size_t)((x1 - x0 + 1) * (y1 - y0 + 1)) >
			    TL_MAX_PAIRS) {
				free(p);
				return kcni_error(r->ctx, KCN_EUSAGE, "-z",
				    "zoom %d needs more than %d feature "
				    "tiles; lower the highest zoom", z,
				    TL_MAX_PAIRS);
			}
			if (tl_grow(&p, &cap, n + (size_t)((x1 - x0 + 1) *
			    (y1 - y0 + 1)), sizeof(*p))) {
				free(p);
				return kcni_error(r->ctx, KCN_EOS, "tiles",
				    "out of memory");
			}
			for (long long ty = y0; ty <= y1; ty++)
				for (long long tx = x0; tx <= x1; tx++) {
					p[n].key = kcni_tile_id(z, (uint32_t)tx,
					    (uint32_t)ty) - base;
					p[n].x = (uint32_t)tx;
					p[n].y = (uint32_t)ty;
					p[n].l = (uint32_t)l;
					p[n].i = (uint32_t)i;
					n++;
				}
		}
	}
	if (tl_sort_pairs(p, n, 2 * z) != 0) {
		free(p);
		return kcni_error(r->ctx, KCN_EOS, "tiles", "out of memory");
	}
	*out = p;
	*nout = n;
	return KCN_OK;
}

/* Adds tile ID to the runs of tiles written (runs sorted at the end). */
static int
tl_run_add(struct tl_run *r, uint64_t id)
{
	if (r->nruns > 0 && r->runs[r->nruns - 2] + r->runs[r->nruns - 1] ==
	    id) {
		r->runs[r->nruns - 1]++;
		return 0;
	}
	if (tl_grow(&r->runs, &r->capruns, r->nruns + 2, sizeof(*r->runs)))
		return -1;
	r->runs[r->nruns++] = id;
	r->runs[r->nruns++] = 1;
	return 0;
}

static int
tl_u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
tl_tile_cmp(const void *a, const void *b)
{
	const struct tl_tile *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

/* The runs of tiles written in ascending id, touching runs joined. */
static void
tl_runs_sort(struct tl_run *r)
{
	size_t k = 0;

	qsort(r->runs, r->nruns / 2, 2 * sizeof(*r->runs), tl_u64_cmp);
	for (size_t i = 0; i < r->nruns; i += 2) {
		if (k > 0 && r->runs[k - 2] + r->runs[k - 1] == r->runs[i])
			r->runs[k - 1] += r->runs[i + 1];
		else {
			r->runs[k] = r->runs[i];
			r->runs[k + 1] = r->runs[i + 1];
			k += 2;
		}
	}
	r->nruns = k;
}

static void
tl_halves_free(struct tl_halves *h, int n)
{
	for (int g = 0; h != NULL && g < n; g++) {
		for (size_t i = 0; i < h[g].n; i++)
			free(h[g].h[i].px);
		free(h[g].h);
		memset(&h[g], 0, sizeof(h[g]));
	}
}

/*
 * The tiles of zoom Z: those with pairs P[0..NP) (sorted), and below the
 * highest zoom of a pyramid, those over the halves of zoom Z + 1.
 */
static enum kcn_status
tl_tiles(struct tl_run *r, int z, const struct tl_pair *p, size_t np,
    struct tl_tile **out, size_t *nout)
{
	uint64_t base = kcni_tile_id(z, 0, 0);
	size_t nup = 0, nt = 0, cap = 0, a = 0, b = 0;
	struct tl_tile *t = NULL, *up = NULL;

	*out = NULL;
	*nout = 0;
	if (r->ngroups > 0 && z < r->o->zmax) {
		for (int g = 0; g < r->ngroups; g++)
			nup += r->above[g].n;
		if (nup > 0 && (up = malloc(nup * sizeof(*up))) == NULL)
			return kcni_error(r->ctx, KCN_EOS, "tiles", "out of "
			    "memory");
		nup = 0;
		for (int g = 0; g < r->ngroups; g++)
			for (size_t i = 0; i < r->above[g].n; i++) {
				up[nup].x = r->above[g].h[i].x / 2;
				up[nup].y = r->above[g].h[i].y / 2;
				up[nup].key = kcni_tile_id(z, up[nup].x,
				    up[nup].y) - base;
				nup++;
			}
		qsort(up, nup, sizeof(*up), tl_tile_cmp);
	}
	while (a < np || b < nup) {
		uint64_t key = a < np && (b == nup || p[a].key <= up[b].key) ?
		    p[a].key : up[b].key;

		if (tl_grow(&t, &cap, nt + 1, sizeof(*t))) {
			free(t);
			free(up);
			return kcni_error(r->ctx, KCN_EOS, "tiles", "out of "
			    "memory");
		}
		t[nt].key = key;
		t[nt].p0 = a;
		while (a < np && p[a].key == key)
			a++;
		t[nt].np = a - t[nt].p0;
		if (t[nt].np > 0) {
			t[nt].x = p[t[nt].p0].x;
			t[nt].y = p[t[nt].p0].y;
		} else {
			t[nt].x = up[b].x;
			t[nt].y = up[b].y;
		}
		while (b < nup && up[b].key == key)
			b++;
		nt++;
	}
	free(up);
	*out = t;
	*nout = nt;
	return KCN_OK;
}

/*
 * Writes the CNT tiles made in OUT (of zoom Z) to S, in order, and keeps
 * their halves HALF for the zoom below; frees both.
 */
static enum kcn_status
tl_put_window(struct tl_run *r, struct kcni_store *s, int z,
    struct tl_out *out, uint32_t **half, size_t cnt, enum kcn_status st,
    long long *written)
{
	size_t ng = (size_t)r->ngroups;

	for (size_t i = 0; i < cnt; i++) {
		uint64_t id = kcni_tile_id(z, out[i].x, out[i].y);

		if (st == KCN_OK && out[i].n > 0) {
			st = kcni_store_put(r->ctx, s, z, out[i].x, out[i].y,
			    out[i].p, out[i].n);
			(*written)++;
			if (st == KCN_OK && r->o->preview &&
			    tl_run_add(r, id) != 0)
				st = kcni_error(r->ctx, KCN_EOS, "tiles",
				    "out of memory");
		}
		free(out[i].p);
		out[i].p = NULL;
		out[i].n = 0;
		/* Halves kept for the zoom below, in tile order. */
		for (size_t g = 0; g < ng; g++) {
			struct tl_halves *h = &r->here[g];
			uint32_t **hp = &half[i * ng + g];

			if (*hp != NULL && st == KCN_OK &&
			    tl_grow(&h->h, &h->cap, h->n + 1, sizeof(*h->h)) ==
			    0) {
				h->h[h->n].id = id;
				h->h[h->n].x = out[i].x;
				h->h[h->n].y = out[i].y;
				h->h[h->n++].px = *hp;
				*hp = NULL;
			}
			if (*hp != NULL && st == KCN_OK)
				st = kcni_error(r->ctx, KCN_EOS, "tiles",
				    "out of memory");
			free(*hp);
			*hp = NULL;
		}
	}
	return st;
}

/*
 * Makes and writes the tiles of zoom Z, a window of tiles at a time:
 * while the threads make one, this thread writes the one before, then
 * helps.
 */
static enum kcn_status
tl_zoom(struct tl_run *r, struct tl_worker *main_w, int started,
    struct kcni_store *s, int z, long long *ntiles)
{
	struct tl_job *j = &r->job;
	struct tl_pair *p = NULL;
	struct tl_tile *tiles = NULL;
	size_t np = 0, nt = 0, ng = (size_t)r->ngroups, prev = 0, last = 0;
	struct tl_out *out[2] = { NULL, NULL };
	uint32_t **half[2] = { NULL, NULL };
	enum kcn_status st;
	char label[32];
	long long written = 0;

	if ((st = tl_pairs(r, z, &p, &np)) != KCN_OK ||
	    (st = tl_tiles(r, z, p, np, &tiles, &nt)) != KCN_OK)
		goto done;
	for (int b = 0; b < 2; b++)
		if ((out[b] = calloc(TL_WINDOW, sizeof(*out[b]))) == NULL ||
		    (ng > 0 && (half[b] = calloc(TL_WINDOW * ng,
		    sizeof(*half[b]))) == NULL)) {
			st = kcni_error(r->ctx, KCN_EOS, "tiles", "out of "
			    "memory");
			goto done;
		}
	snprintf(label, sizeof(label), "zoom %d", z);
	for (size_t w0 = 0, k = 0; w0 < nt && st == KCN_OK; w0 += TL_WINDOW,
	    k++) {
		size_t cnt = nt - w0 < TL_WINDOW ? nt - w0 : TL_WINDOW;

		j->z = z;
		j->pairs = p;
		j->tiles = tiles + w0;
		j->out = out[k % 2];
		j->half = half[k % 2];
		j->n = cnt;
		atomic_store(&j->next, 0);
		tl_post_job(r, started);
		if (k > 0)
			st = tl_put_window(r, s, z, out[(k + 1) % 2],
			    half[(k + 1) % 2], prev, st, &written);
		tl_finish_job(r, main_w);
		if (st == KCN_OK && (st = j->st) != KCN_OK)
			kcni_error(r->ctx, st, j->where, "%s", j->what);
		prev = cnt;
		last = k % 2;
		kcni_progress(r->ctx, label, (double)(w0 + cnt), (double)nt,
		    0);
	}
	/* The last window, or what is left after a failure. */
	st = tl_put_window(r, s, z, out[last], half[last], prev, st,
	    &written);
	kcni_progress(r->ctx, label, (double)nt, (double)nt, 1);
	*ntiles += written;
	/* This zoom's halves make the next one down. */
	tl_halves_free(r->above, r->ngroups);
	for (int g = 0; g < r->ngroups; g++) {
		r->above[g] = r->here[g];
		memset(&r->here[g], 0, sizeof(r->here[g]));
	}
done:
	for (int b = 0; b < 2; b++) {
		free(half[b]);
		free(out[b]);
	}
	free(tiles);
	free(p);
	return st;
}

/* The counts of the N workers W: features, dropped, tiny polygons,
   squares, tiles over the limits. */
static void
tl_counts(const struct tl_worker *w, int n, long long c[5])
{
	memset(c, 0, 5 * sizeof(*c));
	for (int i = 0; i < n; i++) {
		c[0] += w[i].features, c[1] += w[i].dropped;
		c[2] += w[i].tiny, c[3] += w[i].squares, c[4] += w[i].over;
	}
}

/* The layers and their fields as TileJSON's vector_layers. */
static char *
tl_vector_layers(struct tl_run *r)
{
	struct kcni_buf b = { 0 };
	char t[128];

	kcni_buf_put(&b, "[", 1);
	for (int l = 0; l < r->nlayers; l++) {
		const struct tl_layer *L = &r->layers[l];

		kcni_buf_put(&b, l ? ",{\"id\":\"" : "{\"id\":\"", l ? 8 : 7);
		kcni_buf_put(&b, L->name, strlen(L->name));
		kcni_buf_put(&b, "\",\"fields\":{", 12);
		for (int k = 0; k < L->nkeys; k++) {
			if (k)
				kcni_buf_put(&b, ",", 1);
			kcni_buf_put(&b, "\"", 1);
			for (const char *c = L->keys[k]; *c; c++) {
				if (*c == '"' || *c == '\\')
					kcni_buf_put(&b, "\\", 1);
				if ((unsigned char)*c >= 0x20)
					kcni_buf_put(&b, c, 1);
			}
			snprintf(t, sizeof(t), "\":\"%s\"", L->knum[k] ?
			    "Number" : "String");
			kcni_buf_put(&b, t, strlen(t));
		}
		snprintf(t, sizeof(t), "},\"minzoom\":%d,\"maxzoom\":%d}",
		    r->o->zmin, r->o->zmax);
		kcni_buf_put(&b, t, strlen(t));
	}
	kcni_buf_put(&b, "]", 2);
	if (b.oom) {
		kcni_buf_free(&b);
		return NULL;
	}
	return (char *)b.p;
}

/* The tile set's name: the output's base name without extension. */
static void
tl_setname(const char *path, char *name, size_t size)
{
	const char *b = strrchr(path, '/');
	char *dot;

	while (b != NULL && b[1] == '\0' && b > path) {
		/* "out/tiles/": the folder's own name */
		const char *c = b - 1;

		while (c > path && *c != '/')
			c--;
		snprintf(name, size, "%.*s", (int)(b - c - (*c == '/')),
		    c + (*c == '/'));
		return;
	}
	snprintf(name, size, "%s", b != NULL ? b + 1 : path);
	if ((dot = strrchr(name, '.')) != NULL && dot != name)
		*dot = '\0';
}

static int
tl_float_cmp(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

/*
 * Which PNG layers are averaged below the highest zoom (zoomout=average;
 * zoomout=auto, the default: layers of areas only, whose median feature
 * is under TL_SMALL pixels at the highest zoom, such as buildings), in
 * groups of layers next to each other.  Returns the number of groups.
 */
static int
tl_groups(struct tl_run *r)
{
	double px = r->px / (2 * TL_W / (double)(1u << r->o->zmax));
	int ng = 0;

	for (int l = 0; l < r->nlayers; l++) {
		struct tl_layer *L = &r->layers[l];
		int avg = L->style->zoomout == KCN_ZOOMOUT_AVERAGE;

		L->group = -1;
		if (r->o->vector || r->o->zmin == r->o->zmax ||
		    L->style->zoomout == KCN_ZOOMOUT_DRAW || L->nf == 0)
			continue;
		if (L->style->zoomout == KCN_ZOOMOUT_AUTO &&
		    L->kinds == 1 << TL_POLY) {
			/* The median of up to 10,001 features, evenly picked. */
			size_t n = L->nf < 10001 ? L->nf : 10001;
			float *v = malloc(n * sizeof(*v));

			if (v == NULL)
				return -1;
			for (size_t i = 0; i < n; i++) {
				const double *bb = L->f[i * L->nf / n].bb;

				v[i] = (float)(fmax(bb[2] - bb[0], bb[3] - bb[1]) *
				    px);
			}
			qsort(v, n, sizeof(*v), tl_float_cmp);
			avg = v[n / 2] < TL_SMALL;
			free(v);
		}
		if (avg)
			L->group = l > 0 && r->layers[l - 1].group >= 0 ?
			    r->layers[l - 1].group : ng++;
	}
	return ng;
}

enum kcn_status
kcn_tile_run(struct kcn_ctx *ctx, const struct kcn_tile_opts *o)
{
	struct tl_run r;
	struct tl_worker *w = NULL;
	pthread_t tid[64];
	struct kcni_store *s = NULL;
	struct kcni_tilemeta m;
	char name[256], desc[1024], *vl = NULL;
	long long ntiles = 0, total = 0, skipped = 0;
	int nthreads, started = 0;
	enum kcn_status st = KCN_OK;
	double t0 = kcni_now();

	memset(&r, 0, sizeof(r));
	r.ctx = ctx;
	r.o = o;
	r.nlayers = o->nlayers;
	r.ll[0] = r.ll[1] = INFINITY;
	r.ll[2] = r.ll[3] = -INFINITY;
	r.px = 256 * (o->scale == 2 ? 2 : 1);
	r.max_bytes = o->max_bytes ? o->max_bytes : TL_MAX_BYTES;
	r.max_features = o->max_features ? o->max_features : TL_MAX_FEATURES;
	if (o->nlayers < 1 || o->nlayers > 64)
		return kcni_error(ctx, KCN_EUSAGE, "layers", "%d layers: from "
		    "1 to 64, please", o->nlayers);
	if (o->zmin < 0 || o->zmax > 24 || o->zmin > o->zmax)
		return kcni_error(ctx, KCN_EUSAGE, "-z", "zooms %d-%d: from 0 "
		    "to 24, please", o->zmin, o->zmax);
	if (o->output == NULL || *o->output == '\0')
		return kcni_error(ctx, KCN_EUSAGE, "-o", "no output given");
	if ((r.layers = calloc((size_t)o->nlayers, sizeof(*r.layers))) ==
	    NULL)
		return kcni_error(ctx, KCN_EOS, "layers", "out of memory");
	/* Refused before the reading, not after. */
	if (o->preview && (st = kcni_preview_check(ctx, o->output)) != KCN_OK)
		goto out;
	if (!o->force && access(o->output, F_OK) == 0) {
		st = kcni_error(ctx, KCN_ECREATE, o->output, "exists (--force "
		    "replaces it)");
		goto out;
	}
	for (int l = 0; l < o->nlayers && st == KCN_OK; l++) {
		struct tl_layer *L = &r.layers[l];
		const struct kcn_style *sy = &o->layers[l].style;

		for (int k = 0; k < l; k++)
			if (strcmp(r.layers[k].name, sy->name) == 0)
				st = kcni_error(ctx, KCN_EUSAGE, o->layers[l].path,
				    "a second layer named \"%s\" (name= "
				    "gives another)", sy->name);
		if (st == KCN_OK)
			st = tl_read(&r, L, &o->layers[l]);
		L->margin = fmax(sy->width, sy->size + sy->width) / 2 + 2;
		total += (long long)L->nf;
		skipped += L->skipped;
		if ((size_t)L->nvals > r.maxvals)
			r.maxvals = L->nvals;
		if (L->nkeys > r.maxkeys)
			r.maxkeys = L->nkeys;
	}
	if (st != KCN_OK)
		goto out;
	if (total == 0) {
		st = kcni_error(ctx, KCN_EDATA, "layers", "no features to tile");
		goto out;
	}
	kcni_msg(ctx, KCN_MSG_INFO, "layers", "%lld features read in %.1f s",
	    total, kcni_now() - t0);
	if ((r.ngroups = tl_groups(&r)) < 0 || (r.ngroups > 0 &&
	    ((r.above = calloc((size_t)r.ngroups, sizeof(*r.above))) == NULL ||
	    (r.here = calloc((size_t)r.ngroups, sizeof(*r.here))) == NULL))) {
		st = kcni_error(ctx, KCN_EOS, "layers", "out of memory");
		goto out;
	}
	for (int l = 0; l < r.nlayers; l++)
		if (r.layers[l].group >= 0)
			kcni_msg(ctx, KCN_MSG_INFO, r.layers[l].path, "drawn at "
			    "zoom %d, averaged for the zooms below", o->zmax);
	if ((s = kcni_store_open(ctx, o->output, o->vector, o->force)) ==
	    NULL) {
		st = kcn_ctx_status(ctx);
		goto out;
	}
	nthreads = o->threads > 0 ? o->threads : (int)sysconf(
	    _SC_NPROCESSORS_ONLN);
	nthreads = nthreads < 1 ? 1 : nthreads > 64 ? 64 : nthreads;
	if ((w = calloc((size_t)nthreads, sizeof(*w))) == NULL ||
	    tl_worker_init(&w[0], &r, ctx) != 0) {
		st = kcni_error(ctx, KCN_EOS, "tiles", "out of memory");
		goto out;
	}
	pthread_mutex_init(&r.job.mu, NULL);
	pthread_cond_init(&r.job.posted, NULL);
	pthread_cond_init(&r.job.done, NULL);
	for (int i = 1; i < nthreads; i++) {
		w[i].r = &r;
		if (pthread_create(&tid[started], NULL, tl_thread, &w[i]) != 0)
			break;	/* fewer threads, that is all */
		started++;
	}
	/* A pyramid is made from its highest zoom down. */
	for (int i = 0; i <= o->zmax - o->zmin && st == KCN_OK; i++) {
		int z = r.ngroups > 0 ? o->zmax - i : o->zmin + i;
		long long before = ntiles, c0[5], c[5];
		double tz = kcni_now();

		tl_counts(w, nthreads, c0);
		st = tl_zoom(&r, &w[0], started, s, z, &ntiles);
		if (st != KCN_OK)
			break;
		tl_counts(w, nthreads, c);
		kcni_msg(ctx, KCN_MSG_INFO, "tiles", "zoom %d: %lld tiles, %lld "
		    "features in %.1f s", z, ntiles - before, c[0] - c0[0],
		    kcni_now() - tz);
		if (c[2] > c0[2])
			kcni_msg(ctx, KCN_MSG_INFO, "tiles", "zoom %d: %lld "
			    "polygons smaller than a pixel gathered into %lld "
			    "squares", z, c[2] - c0[2], c[3] - c0[3]);
		if (c[1] > c0[1])
			kcni_msg(ctx, KCN_MSG_WARNING, "tiles", "zoom %d: %lld "
			    "features dropped to keep tiles under %zu bytes "
			    "and %ld features", z, c[1] - c0[1], r.max_bytes,
			    r.max_features);
		if (c[4] > c0[4])
			kcni_msg(ctx, KCN_MSG_WARNING, "tiles", "zoom %d: %lld "
			    "tiles still over the limits with one feature of "
			    "each layer left", z, c[4] - c0[4]);
	}
	pthread_mutex_lock(&r.job.mu);
	r.job.quit = 1;
	pthread_cond_broadcast(&r.job.posted);
	pthread_mutex_unlock(&r.job.mu);
	for (int i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	pthread_cond_destroy(&r.job.posted);
	pthread_cond_destroy(&r.job.done);
	pthread_mutex_destroy(&r.job.mu);
	if (st != KCN_OK)
		goto out;
	if (ntiles == 0) {
		st = kcni_error(ctx, KCN_EDATA, o->output, "no tiles: nothing "
		    "was drawn at zooms %d-%d", o->zmin, o->zmax);
		goto out;
	}
	tl_setname(o->output, name, sizeof(name));
	snprintf(desc, sizeof(desc), "kcn-tile %s:", KCN_VERSION);
	for (int l = 0; l < r.nlayers; l++) {
		size_t n = strlen(desc);

		snprintf(desc + n, sizeof(desc) - n, " %s", r.layers[l].name);
	}
	if (o->vector && (vl = tl_vector_layers(&r)) == NULL) {
		st = kcni_error(ctx, KCN_EOS, "tiles", "out of memory");
		goto out;
	}
	memset(&m, 0, sizeof(m));
	m.name = name;
	m.description = desc;
	m.format = o->vector ? "pbf" : "png";
	m.bounds[0] = fmax(r.ll[0], -180);
	m.bounds[1] = fmax(r.ll[1], -TL_MERC_LAT);
	m.bounds[2] = fmin(r.ll[2], 180);
	m.bounds[3] = fmin(r.ll[3], TL_MERC_LAT);
	m.minzoom = o->zmin;
	m.maxzoom = o->zmax;
	m.vector_layers = vl;
	st = kcni_store_close(ctx, s, &m);
	s = NULL;
	if (st == KCN_OK && o->preview) {
		int kinds[64];

		tl_runs_sort(&r);
		for (int l = 0; l < r.nlayers && l < 64; l++) {
			int k = r.layers[l].kinds;

			kinds[l] = k == 1 << TL_POINT ? 1 : k == 1 << TL_LINE ?
			    2 : k == 1 << TL_POLY ? 3 : 0;
		}
		st = kcni_preview_write(ctx, o, name, m.bounds, kinds,
		    r.runs, r.nruns / 2);
	}
	if (st == KCN_OK) {
		kcni_msg(ctx, KCN_MSG_INFO, o->output, "%lld tiles written in "
		    "%.1f s", ntiles, kcni_now() - t0);
		if (skipped > 0)
			st = KCN_REJECTED;
	}
out:
	kcni_store_abort(s);
	if (w != NULL) {
		tl_worker_free(&w[0]);
		free(w);
	}
	free(vl);
	free(r.runs);
	tl_halves_free(r.above, r.ngroups);
	tl_halves_free(r.here, r.ngroups);
	free(r.above);
	free(r.here);
	for (int l = 0; l < o->nlayers; l++)
		tl_layer_free(&r.layers[l]);
	free(r.layers);
	return st;
}
