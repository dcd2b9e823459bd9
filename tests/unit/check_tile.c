/*
 * check_tile.c: kcn-tile's pieces: styles, tile ids, the MVT encoding,
 * and whole runs read back through a decoder of the tests' own, SQLite,
 * zlib and libpng.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <png.h>
#include <proj.h>
#include <sqlite3.h>
#include <zlib.h>

#include "check_kcn.h"
#include "kcn_internal.h"

/* ---- a small MVT decoder ---------------------------------------------- */

struct dec {
	const unsigned char *p, *end;
};

static uint64_t
dec_varint(struct dec *d)
{
	uint64_t v = 0;

	for (int s = 0; d->p < d->end && s < 64; s += 7) {
		unsigned char b = *d->p++;

		v |= (uint64_t)(b & 0x7f) << s;
		if (!(b & 0x80))
			return v;
	}
	ck_abort_msg("truncated varint");
	return 0;
}

/* The next field: its number, wire type, and for length-delimited ones
   the bytes in *SUB. */
static int
dec_field(struct dec *d, int *wire, struct dec *sub, uint64_t *val)
{
	uint64_t key;

	if (d->p >= d->end)
		return 0;
	key = dec_varint(d);
	*wire = (int)(key & 7);
	if (*wire == 0) {
		*val = dec_varint(d);
	} else if (*wire == 2) {
		uint64_t n = dec_varint(d);

		ck_assert_uint_le(n, (uint64_t)(d->end - d->p));
		sub->p = d->p;
		sub->end = d->p + n;
		d->p += n;
	} else if (*wire == 1) {
		ck_assert_int_ge(d->end - d->p, 8);
		memcpy(val, d->p, 8);
		d->p += 8;
	} else {
		ck_abort_msg("wire type %d", *wire);
	}
	return (int)(key >> 3);
}

/* What a decoded tile holds, summed over its layers. */
struct tile_sum {
	int nlayers, nfeatures, npoly, nline, npoint;
	int bad_winding, outside, bad_tags, nverts;
	double area;		/* polygons, square units */
	char names[8][64];
	int counts[8];
};

static int32_t
unzig(uint32_t v)
{
	return (int32_t)((v >> 1) ^ -(v & 1));
}

/* Checks a feature's geometry commands and adds up its area. */
static void
dec_geometry(const uint32_t *g, size_t n, int type, struct tile_sum *s)
{
	int32_t x = 0, y = 0;
	double ring[4096 * 2], a;
	size_t nr = 0, i = 0;
	int first_ring = 1;

	while (i < n) {
		uint32_t id = g[i] & 7, count = g[i] >> 3;

		i++;
		if (id == 7) {
			ck_assert_int_eq(type, 3);
			a = 0;
			for (size_t k = 0, j = nr - 1; k < nr; j = k++)
				a += (ring[2 * j] - ring[2 * k]) *
				    (ring[2 * j + 1] + ring[2 * k + 1]);
			/* Exterior rings first and positive (y down). */
			if (first_ring && a <= 0)
				s->bad_winding++;
			if (a > 0)
				first_ring = 0;
			s->area += a / 2;
			nr = 0;
			continue;
		}
		ck_assert(id == 1 || id == 2);
		for (uint32_t c = 0; c < count; c++) {
			ck_assert_uint_lt(i + 1, n);
			x += unzig(g[i++]);
			y += unzig(g[i++]);
			s->nverts++;
			if (x < -64 || x > 4160 || y < -64 || y > 4160)
				s->outside++;
			if (id == 1 && type == 3)
				nr = 0;
			if (nr < 4096) {
				ring[2 * nr] = x;
				ring[2 * nr + 1] = y;
				nr++;
			}
		}
	}
}

static void
dec_tile(const unsigned char *p, size_t n, struct tile_sum *s)
{
	struct dec t = { p, p + n }, l;
	int wire, f;
	uint64_t v;

	memset(s, 0, sizeof(*s));
	while ((f = dec_field(&t, &wire, &l, &v)) != 0) {
		int nkeys = 0, nvals = 0, feats = 0, li = s->nlayers;
		struct dec m, fe;
		uint32_t tags[4096], geom[65536];

		ck_assert_int_eq(f, 3);
		s->nlayers++;
		/* Keys and values come after the features: count first. */
		m = l;
		while ((f = dec_field(&m, &wire, &fe, &v)) != 0) {
			nkeys += f == 3;
			nvals += f == 4;
			if (f == 15)
				ck_assert_uint_eq(v, 2);
			if (f == 5)
				ck_assert_uint_eq(v, 4096);
			if (f == 1 && li < 8)
				snprintf(s->names[li], sizeof(s->names[0]),
				    "%.*s", (int)(fe.end - fe.p), fe.p);
		}
		m = l;
		while ((f = dec_field(&m, &wire, &fe, &v)) != 0) {
			size_t nt = 0, ng = 0;
			int type = 0;
			struct dec x;

			if (f != 2)
				continue;
			feats++;
			while ((f = dec_field(&fe, &wire, &x, &v)) != 0) {
				if (f == 3)
					type = (int)v;
				if (f == 2)
					while (x.p < x.end && nt < 4096)
						tags[nt++] = (uint32_t)
						    dec_varint(&x);
				if (f == 4)
					while (x.p < x.end && ng < 65536)
						geom[ng++] = (uint32_t)
						    dec_varint(&x);
			}
			for (size_t k = 0; k < nt; k += 2)
				if (nt % 2 || (int)tags[k] >= nkeys ||
				    (int)tags[k + 1] >= nvals)
					s->bad_tags++;
			s->npoly += type == 3;
			s->nline += type == 2;
			s->npoint += type == 1;
			dec_geometry(geom, ng, type, s);
		}
		if (li < 8)
			s->counts[li] = feats;
		s->nfeatures += feats;
	}
}

/* ---- helpers ---------------------------------------------------------- */

static unsigned char *
gunzip(const unsigned char *p, size_t n, size_t *out)
{
	size_t cap = n * 8 + 1024;
	unsigned char *b = malloc(cap);
	z_stream z;

	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(inflateInit2(&z, 15 + 32), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	for (;;) {
		int rc;

		z.next_out = b + z.total_out;
		z.avail_out = (uInt)(cap - z.total_out);
		rc = inflate(&z, Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			break;
		ck_assert_int_eq(rc, Z_OK);
		cap *= 2;
		b = realloc(b, cap);
	}
	*out = z.total_out;
	inflateEnd(&z);
	return b;
}

/* Writes a GeoJSON layer of the N WKT geometries in lon/lat, each with
   fields id, kind (text) and share (real). */
static void
tt_layer(const char *path, const char *const *wkt, int n)
{
	GDALDriverH drv = GDALGetDriverByName("GeoJSON");
	GDALDatasetH ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
	OGRSpatialReferenceH srs = kcn_crs_wgs84();
	OGRLayerH l;
	OGRFieldDefnH fd;

	ck_assert_ptr_nonnull(ds);
	l = GDALDatasetCreateLayer(ds, "t", srs, wkbUnknown, NULL);
	fd = OGR_Fld_Create("id", OFTInteger);
	OGR_L_CreateField(l, fd, TRUE);
	OGR_Fld_Destroy(fd);
	fd = OGR_Fld_Create("kind", OFTString);
	OGR_L_CreateField(l, fd, TRUE);
	OGR_Fld_Destroy(fd);
	fd = OGR_Fld_Create("share", OFTReal);
	OGR_L_CreateField(l, fd, TRUE);
	OGR_Fld_Destroy(fd);
	for (int i = 0; i < n; i++) {
		OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
		OGRGeometryH g = NULL;
		char *p = (char *)wkt[i];

		ck_assert_int_eq(OGR_G_CreateFromWkt(&p, NULL, &g), OGRERR_NONE);
		OGR_F_SetGeometryDirectly(f, g);
		OGR_F_SetFieldInteger(f, 0, i);
		OGR_F_SetFieldString(f, 1, i % 2 ? "school" : "clinic");
		OGR_F_SetFieldDouble(f, 2, i / (double)n);
		ck_assert_int_eq(OGR_L_CreateFeature(l, f), OGRERR_NONE);
		OGR_F_Destroy(f);
	}
	OSRRelease(srs);
	GDALClose(ds);
}

/* The layer PATH of the NFIXED shapes FIXED then NSMALL squares of
   about 11 m, 33 m apart, PERROW a row, in lon/lat. */
static void
tt_with_squares(const char *path, const char *const *fixed, int nfixed,
    int nsmall, int perrow)
{
	const char **w = calloc((size_t)(nfixed + nsmall) + 1, sizeof(*w));
	char **own = calloc((size_t)nsmall + 1, sizeof(*own));
	int n = 0;

	for (int i = 0; i < nfixed; i++)
		w[n++] = fixed[i];
	for (int i = 0; i < nsmall; i++) {
		double x = 108.2005 + (i % perrow) * 0.0003, y = 16.0405 +
		    (i / perrow) * 0.0003;

		own[i] = malloc(256);
		snprintf(own[i], 256, "POLYGON ((%.6f %.6f,%.6f %.6f,%.6f %.6f,"
		    "%.6f %.6f,%.6f %.6f))", x, y, x + 0.0001, y, x + 0.0001,
		    y + 0.0001, x, y + 0.0001, x, y);
		w[n++] = own[i];
	}
	tt_layer(path, w, n);
	for (int i = 0; i < nsmall; i++)
		free(own[i]);
	free(own);
	free(w);
}

/* A district of Da Nang: a ward with a hole, a road, clinics and many
   small footprints, in lon/lat. */
static void
tt_city(const char *path, int nsmall)
{
	static const char *const city[] = {
		"POLYGON ((108.20 16.04,108.24 16.04,108.24 16.08,108.20 16.08,"
		"108.20 16.04),(108.21 16.05,108.215 16.05,108.215 16.055,"
		"108.21 16.055,108.21 16.05))",
		"LINESTRING (108.19 16.05,108.25 16.07,108.23 16.09)",
		"POINT (108.222 16.061)",
		"MULTIPOINT ((108.205 16.045),(108.235 16.075))",
	};

	tt_with_squares(path, city, 4, nsmall, 100);
}

/* N small squares alone in a layer: buildings. */
static void
tt_squares(const char *path, int n)
{
	tt_with_squares(path, NULL, 0, n, 50);
}

/* *O for the layer ARG ("PATH:STYLE", kept alive by the caller) into
   OUT, zooms ZMIN to ZMAX, PNG tiles of SCALE. */
static void
tt_styled(struct kcn_tile_opts *o, struct kcn_tile_layer *l, char *arg,
    const char *out, int zmin, int zmax, int scale)
{
	memset(o, 0, sizeof(*o));
	ck_assert_int_eq(kcn_tile_layer_parse(kt_ctx, arg, 0, NULL, l), KCN_OK);
	o->layers = l;
	o->nlayers = 1;
	o->zmin = zmin;
	o->zmax = zmax;
	o->scale = scale;
	o->output = out;
}

static void
tt_opts(struct kcn_tile_opts *o, struct kcn_tile_layer *l, const char *in,
    const char *out, int zmin, int zmax, int vector)
{
	char arg[4096];

	snprintf(arg, sizeof(arg), "%s", in);
	tt_styled(o, l, arg, out, zmin, zmax, 1);
	l->path = in;	/* not into ARG, gone on return */
	o->vector = vector;
}

static uint64_t
le64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* A PMTiles entry, and a reader of the archive's directories. */
struct pm_entry {
	uint64_t id, offset, length, run;
};

static size_t
pm_dir(const unsigned char *file, uint64_t off, uint64_t len,
    uint64_t leaf0, struct pm_entry *out, size_t max)
{
	size_t rawn, n = 0, k;
	unsigned char *raw = gunzip(file + off, len, &rawn);
	struct dec d = { raw, raw + rawn };
	uint64_t cnt = dec_varint(&d), id = 0;
	struct pm_entry *e = calloc(cnt + 1, sizeof(*e));

	ck_assert_uint_gt(cnt, 0);
	for (k = 0; k < cnt; k++)
		e[k].id = id += dec_varint(&d);
	for (k = 0; k < cnt; k++)
		e[k].run = dec_varint(&d);
	for (k = 0; k < cnt; k++)
		e[k].length = dec_varint(&d);
	for (k = 0; k < cnt; k++) {
		uint64_t o = dec_varint(&d);

		ck_assert(o > 0 || k > 0);
		e[k].offset = o == 0 ? e[k - 1].offset + e[k - 1].length : o - 1;
	}
	ck_assert_ptr_eq(d.p, d.end);
	for (k = 0; k < cnt; k++) {
		if (e[k].run == 0)
			n += pm_dir(file, leaf0 + e[k].offset, e[k].length,
			    leaf0, out + n, max - n);
		else if (n < max)
			out[n++] = e[k];
	}
	free(e);
	free(raw);
	return n;
}

/* The zoom, x and y of PMTiles tile id ID: the inverse of the Hilbert
   curve, written apart from the library's forward one. */
static void
pm_zxy(uint64_t id, int *z, uint32_t *x, uint32_t *y)
{
	uint64_t base = 0, t, n;

	for (*z = 0; base + ((uint64_t)1 << (2 * *z)) <= id; (*z)++)
		base += (uint64_t)1 << (2 * *z);
	n = (uint64_t)1 << *z;
	t = id - base;
	*x = *y = 0;
	for (uint64_t s = 1; s < n; s *= 2) {
		uint64_t rx = 1 & (t / 2), ry = 1 & (t ^ rx);

		if (ry == 0) {
			uint32_t tmp;

			if (rx == 1) {
				*x = (uint32_t)(s - 1 - *x);
				*y = (uint32_t)(s - 1 - *y);
			}
			tmp = *x;
			*x = *y;
			*y = tmp;
		}
		*x += (uint32_t)(s * rx);
		*y += (uint32_t)(s * ry);
		t /= 4;
	}
	ck_assert_uint_eq(kcni_tile_id(*z, *x, *y), id);
}

/* Decodes vector tile DIR/ZXY.pbf into *S; returns its size. */
static size_t
tt_tile(const char *dir, const char *zxy, struct tile_sum *s)
{
	char p[4400], *t;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s.pbf", dir, zxy);
	t = kt_slurp(p, &n);
	ck_assert_msg(t != NULL, "no tile %s", zxy);
	dec_tile((unsigned char *)t, n, s);
	free(t);
	return n;
}

/* ---- tests ------------------------------------------------------------ */

START_TEST(test_style)
{
	struct kcn_style s;
	char *file;
	FILE *fp;
	int found;

	kcn_style_default(&s, 0);
	ck_assert_int_eq(kcn_style_parse(kt_ctx, &s, "x", "fill=#f00, "
	    "stroke=#00ff0080,width=2.5,by=share,classes=0:#000 0.5:#fff"),
	    KCN_OK);
	ck_assert_uint_eq(s.fill, 0xff0000ffu);
	ck_assert_uint_eq(s.stroke, 0x00ff0080u);
	ck_assert_double_eq(s.width, 2.5);
	ck_assert_str_eq(s.by, "share");
	ck_assert_int_eq(s.nclasses, 2);
	ck_assert_uint_eq(kcn_style_pick(&s, "0.7", 0.7, 1), 0xffffffffu);
	ck_assert_uint_eq(kcn_style_pick(&s, "0.2", 0.2, 1), 0x000000ffu);
	ck_assert_uint_eq(kcn_style_pick(&s, "", -1, 1), 0xff0000ffu);
	ck_assert_uint_eq(kcn_style_pick(&s, NULL, 0, 0), 0xff0000ffu);
	ck_assert_int_eq(kcn_style_parse(kt_ctx, &s, "x",
	    "colors=school:#123 clinic:#456"), KCN_OK);
	ck_assert_uint_eq(kcn_style_pick(&s, "clinic", 0, 0), 0x445566ffu);
	ck_assert_uint_eq(kcn_style_pick(&s, "park", 0, 0), 0xff0000ffu);
	ck_assert_int_eq(kcn_style_parse(kt_ctx, &s, "x", "fill=red"),
	    KCN_EUSAGE);
	ck_assert_int_eq(kcn_style_parse(kt_ctx, &s, "x", "fil=#000"),
	    KCN_EUSAGE);
	ck_assert_int_eq(kcn_style_parse(kt_ctx, &s, "x",
	    "classes=1:#000 0.5:#fff"), KCN_EUSAGE);
	ck_assert_int_eq(kcn_style_parse(kt_ctx, &s, "x", "opacity=2"),
	    KCN_EUSAGE);
	kcn_style_free(&s);

	file = strdup(kt_path("plan.style"));
	fp = fopen(file, "w");
	fputs("# the plan\n[*]\nwidth = 3\n[wards]\nfill = #ccc\n"
	    "[cctv]\nsymbol = square\nsize = 9\n", fp);
	fclose(fp);
	kcn_style_default(&s, 1);
	ck_assert_int_eq(kcn_style_file(kt_ctx, file, "cctv", &s, &found),
	    KCN_OK);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(s.symbol, KCN_SYMBOL_SQUARE);
	ck_assert_double_eq(s.size, 9);
	ck_assert_double_eq(s.width, 3);
	ck_assert_uint_ne(s.fill, 0xccccccffu);
	kcn_style_free(&s);
	fp = fopen(file, "w");
	fputs("[wards]\nfill: #ccc\n", fp);
	fclose(fp);
	kcn_style_default(&s, 1);
	ck_assert_int_eq(kcn_style_file(kt_ctx, file, "wards", &s, NULL),
	    KCN_EUSAGE);
	ck_assert_ptr_nonnull(strstr(kcn_ctx_where(kt_ctx), ":2"));
	kcn_style_free(&s);
	free(file);
}
END_TEST

START_TEST(test_tile_id)
{
	static uint32_t at[1024][2];
	uint64_t base = kcni_tile_id(5, 0, 0);

	/* PMTiles' own examples. */
	ck_assert_uint_eq(kcni_tile_id(0, 0, 0), 0);
	ck_assert_uint_eq(kcni_tile_id(1, 0, 0), 1);
	ck_assert_uint_eq(kcni_tile_id(1, 0, 1), 2);
	ck_assert_uint_eq(kcni_tile_id(1, 1, 1), 3);
	ck_assert_uint_eq(kcni_tile_id(1, 1, 0), 4);
	ck_assert_uint_eq(kcni_tile_id(2, 0, 0), 5);
	ck_assert_uint_eq(base, 341);
	/* Each zoom's ids are a Hilbert curve: every step one tile over. */
	memset(at, 0xff, sizeof(at));
	for (uint32_t x = 0; x < 32; x++)
		for (uint32_t y = 0; y < 32; y++) {
			uint64_t d = kcni_tile_id(5, x, y) - base;

			ck_assert_uint_lt(d, 1024);
			ck_assert_uint_eq(at[d][0], 0xffffffffu);
			at[d][0] = x;
			at[d][1] = y;
		}
	for (int d = 1; d < 1024; d++)
		ck_assert_int_eq(abs((int)at[d][0] - (int)at[d - 1][0]) +
		    abs((int)at[d][1] - (int)at[d - 1][1]), 1);
	ck_assert_uint_eq(kcni_tile_id(24, 0, 0), 93824992236885ULL);
}
END_TEST

START_TEST(test_mvt_encoding)
{
	struct kcni_mvt_layer l = { 0 };
	struct kcni_mvt_geom g = { 0 };
	struct kcni_buf tile = { 0 };
	struct tile_sum s;
	int32_t sq[] = { 10, 10, 110, 10, 110, 110, 10, 110 };
	int32_t hole[] = { 20, 20, 20, 40, 40, 40, 40, 20 };
	int32_t line[] = { 0, 0, 4096, 4096, 4100, 0 };
	uint32_t tags[] = { 0, 0, 1, 1 };

	kcni_mvt_key(&l, "kind");
	kcni_mvt_key(&l, "n");
	kcni_mvt_value_string(&l, "school");
	kcni_mvt_value_int(&l, -3);
	kcni_mvt_value_double(&l, 0.25);
	kcni_mvt_geom_begin(&g);
	kcni_mvt_geom_ring(&g, sq, 4);
	kcni_mvt_geom_ring(&g, hole, 4);
	kcni_mvt_feature(&l, 7, 1, tags, 4, 3, &g);
	kcni_mvt_geom_begin(&g);
	kcni_mvt_geom_line(&g, line, 3);
	kcni_mvt_feature(&l, 0, 0, tags, 2, 2, &g);
	kcni_mvt_geom_begin(&g);
	kcni_mvt_geom_points(&g, line, 2);
	kcni_mvt_feature(&l, 0, 0, NULL, 0, 1, &g);
	kcni_mvt_layer_end(&tile, &l, "plan", 4096);
	ck_assert_int_eq(tile.oom, 0);
	dec_tile(tile.p, tile.n, &s);
	ck_assert_int_eq(s.nlayers, 1);
	ck_assert_str_eq(s.names[0], "plan");
	ck_assert_int_eq(s.nfeatures, 3);
	ck_assert_int_eq(s.npoly, 1);
	ck_assert_int_eq(s.nline, 1);
	ck_assert_int_eq(s.npoint, 1);
	ck_assert_int_eq(s.bad_tags, 0);
	ck_assert_int_eq(s.bad_winding, 0);
	ck_assert_double_eq(s.area, 100 * 100 - 20 * 20);
	ck_assert_int_eq(s.outside, 0);
	kcni_mvt_layer_free(&l);
	kcni_u32_free(&g.cmd);
	kcni_buf_free(&tile);
}
END_TEST

/* The folder, MBTiles and PMTiles outputs of one run hold the same
   tiles, in their own numbering, and the PMTiles ones make sense. */
START_TEST(test_three_stores)
{
	struct kcn_tile_opts o;
	struct kcn_tile_layer l;
	const char *in = kt_path("city.geojson");
	char *pm = strdup(kt_path("plan.pmtiles"));
	char *mb = strdup(kt_path("plan.mbtiles"));
	char *dir = strdup(kt_path("plan"));
	static struct pm_entry e[4096];
	unsigned char *file;
	size_t len, n, checked = 0;
	sqlite3 *db;
	sqlite3_stmt *q;
	uint64_t ntiles = 0;

	tt_city(in, 400);
	for (int k = 0; k < 3; k++) {
		tt_opts(&o, &l, in, k == 0 ? dir : k == 1 ? mb : pm, 9, 15, 1);
		ck_assert_int_eq(kcn_tile_run(kt_ctx, &o), KCN_OK);
		kcn_style_free(&l.style);
	}
	file = (unsigned char *)kt_slurp(pm, &len);
	ck_assert_uint_ge(len, 127);
	ck_assert_int_eq(memcmp(file, "PMTiles\3", 8), 0);
	ck_assert_int_eq(file[96], 1);		/* clustered */
	ck_assert_int_eq(file[97], 2);		/* gzip directories */
	ck_assert_int_eq(file[98], 2);		/* gzip tiles */
	ck_assert_int_eq(file[99], 1);		/* MVT */
	ck_assert_int_eq(file[100], 9);
	ck_assert_int_eq(file[101], 15);
	ck_assert_uint_le(le64(file + 8) + le64(file + 16), 16384);
	n = pm_dir(file, le64(file + 8), le64(file + 16), le64(file + 40), e,
	    4096);
	ck_assert_uint_gt(n, 10);
	ck_assert_int_eq(sqlite3_open_v2(mb, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT tile_data FROM tiles "
	    "WHERE zoom_level=? AND tile_column=? AND tile_row=?", -1, &q,
	    NULL), SQLITE_OK);
	for (size_t i = 0; i < n; i++) {
		for (uint64_t r = 0; r < e[i].run; r++) {
			size_t tn, mn, fn;
			unsigned char *t, *m;
			char *f, p[4300];
			int z;
			uint32_t x, y;
			struct tile_sum s;

			pm_zxy(e[i].id + r, &z, &x, &y);
			ck_assert(i == 0 || e[i].id > e[i - 1].id);
			t = gunzip(file + le64(file + 56) + e[i].offset,
			    e[i].length, &tn);
			snprintf(p, sizeof(p), "%s/%d/%u/%u.pbf", dir, z, x, y);
			f = kt_slurp(p, &fn);
			ck_assert_ptr_nonnull(f);
			ck_assert_uint_eq(fn, tn);
			ck_assert_int_eq(memcmp(f, t, tn), 0);
			sqlite3_bind_int(q, 1, z);
			sqlite3_bind_int(q, 2, (int)x);
			sqlite3_bind_int(q, 3, (int)((1u << z) - 1 - y));
			ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
			m = gunzip(sqlite3_column_blob(q, 0),
			    (size_t)sqlite3_column_bytes(q, 0), &mn);
			ck_assert_uint_eq(mn, tn);
			ck_assert_int_eq(memcmp(m, t, tn), 0);
			sqlite3_reset(q);
			dec_tile(t, tn, &s);
			ck_assert_int_eq(s.nlayers, 1);
			ck_assert_str_eq(s.names[0], "city");
			ck_assert_int_eq(s.bad_winding, 0);
			ck_assert_int_eq(s.bad_tags, 0);
			ck_assert_int_eq(s.outside, 0);
			checked++;
			free(t);
			free(m);
			free(f);
		}
		ntiles += e[i].run;
	}
	ck_assert_uint_eq(ntiles, le64(file + 72));
	sqlite3_finalize(q);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM tiles",
	    -1, &q, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	ck_assert_uint_eq((uint64_t)sqlite3_column_int(q, 0), checked);
	sqlite3_finalize(q);
	sqlite3_close(db);
	free(file);
	free(pm);
	free(mb);
	free(dir);
}
END_TEST

/* PMTiles given tiles out of order: directories in ascending id, runs
   joined, repeats stored once, the data laid out in directory order;
   a tile given twice is refused. */
START_TEST(test_pmtiles_order)
{
	static const struct { int z; uint32_t x, y; char c; } t[] = {
		{ 3, 2, 3, 'a' }, { 3, 2, 2, 'a' }, { 2, 1, 1, 'b' },
		{ 3, 3, 3, 'a' }, { 3, 3, 2, 'a' }, { 0, 0, 0, 'c' },
		{ 2, 0, 0, 'd' }, { 1, 1, 0, 'b' },
	};
	static struct pm_entry e[64];
	struct kcni_tilemeta m = { "t", "png", "", { -1, -1, 1, 1 }, 0, 3,
	    NULL };
	char *pm = strdup(kt_path("order.pmtiles"));
	struct kcni_store *s = kcni_store_open(kt_ctx, pm, 0, 1);
	unsigned char *file, data[4];
	size_t len, n;
	uint64_t prev_end = 0, total = 0;

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(data, t[i].c, sizeof(data));
		ck_assert_int_eq(kcni_store_put(kt_ctx, s, t[i].z, t[i].x,
		    t[i].y, data, (size_t)(t[i].c - 'a' + 1)), KCN_OK);
	}
	ck_assert_int_eq(kcni_store_close(kt_ctx, s, &m), KCN_OK);
	file = (unsigned char *)kt_slurp(pm, &len);
	n = pm_dir(file, le64(file + 8), le64(file + 16), le64(file + 40), e,
	    64);
	ck_assert_uint_eq(le64(file + 72), 8);		/* addressed */
	ck_assert_uint_eq(le64(file + 88), 4);		/* contents */
	ck_assert_uint_eq(le64(file + 64), 1 + 2 + 3 + 4);
	ck_assert_int_eq(file[96], 1);
	for (size_t i = 0; i < n; i++) {
		const unsigned char *d = file + le64(file + 56) + e[i].offset;

		ck_assert(i == 0 || e[i].id >= e[i - 1].id + e[i - 1].run);
		/* Clustered: each content first met right after the last. */
		if (e[i].offset + e[i].length > prev_end) {
			ck_assert_uint_eq(e[i].offset, prev_end);
			prev_end += e[i].length;
		}
		for (uint64_t r = 0; r < e[i].run; r++) {
			int z;
			uint32_t x, y;
			size_t k;

			pm_zxy(e[i].id + r, &z, &x, &y);
			for (k = 0; k < sizeof(t) / sizeof(t[0]); k++)
				if (t[k].z == z && t[k].x == x && t[k].y == y)
					break;
			ck_assert_uint_lt(k, sizeof(t) / sizeof(t[0]));
			ck_assert_uint_eq(e[i].length,
			    (uint64_t)(t[k].c - 'a' + 1));
			ck_assert_int_eq(d[0], t[k].c);
		}
		total += e[i].run;
	}
	ck_assert_uint_eq(total, 8);
	ck_assert_uint_lt(n, 8);	/* the four 'a' tiles: runs joined */
	free(file);
	s = kcni_store_open(kt_ctx, pm, 0, 1);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(kcni_store_put(kt_ctx, s, 1, 0, 0, "x", 1), KCN_OK);
	ck_assert_int_eq(kcni_store_put(kt_ctx, s, 1, 1, 0, "y", 1), KCN_OK);
	ck_assert_int_eq(kcni_store_put(kt_ctx, s, 1, 0, 0, "x", 1), KCN_OK);
	ck_assert_int_eq(kcni_store_close(kt_ctx, s, &m), KCN_EINTERNAL);
	kcn_ctx_clear(kt_ctx);
	free(pm);
}
END_TEST

/* Polygons under a pixel become pixel squares of about the same total
   area below the highest zoom; at it, they stay as they are. */
START_TEST(test_tiny_polygons)
{
	struct kcn_tile_opts o;
	struct kcn_tile_layer l;
	const char *in = kt_path("city.geojson");
	struct tile_sum s;
	double one;

	tt_city(in, 2000);
	tt_opts(&o, &l, in, kt_path("t"), 10, 16, 1);
	ck_assert_int_eq(kcn_tile_run(kt_ctx, &o), KCN_OK);
	kcn_style_free(&l.style);
	/* Zoom 10 (tile 819/465 holds the city): 2,000 squares of 0.0001
	   degrees, each about 0.11 square units, in about 220 units. */
	tt_tile(kt_path("t"), "10/819/465", &s);
	one = pow(4096.0 / 360 * 1024 * 0.0001, 2) / cos(16.06 * M_PI / 180);
	ck_assert_int_ge(s.npoly, 1 + (int)(2000 * one / 256) - 2);
	ck_assert_int_le(s.npoly, 1 + (int)(2000 * one / 256) + 2);
	/* Zoom 16, the highest: every footprint of a tile as drawn. */
	tt_tile(kt_path("t"), "16/52467/29808", &s);
	ck_assert_int_gt(s.npoly, 100);
	ck_assert_int_eq(s.bad_winding, 0);
}
END_TEST

/* A line of many points along a straight road keeps its ends below
   the highest zoom, and every point at it. */
START_TEST(test_simplify)
{
	struct kcn_tile_opts o;
	struct kcn_tile_layer l;
	const char *in = kt_path("road.geojson");
	char wkt[40000], *p = wkt;
	const char *w[1] = { wkt };
	struct tile_sum s;

	p += sprintf(p, "LINESTRING (");
	for (int i = 0; i <= 1000; i++)
		p += sprintf(p, "%s%.7f 16.05", i ? "," : "", 108.2 + i * 1e-5);
	sprintf(p, ")");
	tt_layer(in, w, 1);
	tt_opts(&o, &l, in, kt_path("t"), 13, 14, 1);
	ck_assert_int_eq(kcn_tile_run(kt_ctx, &o), KCN_OK);
	kcn_style_free(&l.style);
	tt_tile(kt_path("t"), "13/6558/3725", &s);
	ck_assert_int_eq(s.nline, 1);
	ck_assert_int_eq(s.nverts, 2);
	tt_tile(kt_path("t"), "14/13116/7451", &s);
	ck_assert_int_eq(s.nline, 1);
	ck_assert_int_gt(s.nverts, 500);
}
END_TEST

/* A tile over the limits keeps under them, dropping the smallest. */
START_TEST(test_limits)
{
	struct kcn_tile_opts o;
	struct kcn_tile_layer l;
	const char *in = kt_path("city.geojson");
	struct tile_sum s;

	tt_city(in, 2000);
	tt_opts(&o, &l, in, kt_path("t"), 14, 14, 1);
	o.max_features = 300;
	o.max_bytes = 6000;
	ck_assert_int_eq(kcn_tile_run(kt_ctx, &o), KCN_OK);
	kcn_style_free(&l.style);
	ck_assert_uint_le(tt_tile(kt_path("t"), "14/13116/7452", &s), 6000);
	ck_assert_int_le(s.nfeatures, 300);
	ck_assert_int_gt(s.nfeatures, 10);
}
END_TEST

/* The same bytes whatever the number of threads. */
START_TEST(test_threads)
{
	struct kcn_tile_opts o;
	struct kcn_tile_layer l;
	const char *in = kt_path("city.geojson");
	char *a, *b;
	size_t na, nb;

	tt_city(in, 3000);
	/* The same names: the name is in the metadata. */
	mkdir(kt_path("a"), 0777);
	mkdir(kt_path("b"), 0777);
	for (int k = 0; k < 2; k++) {
		tt_opts(&o, &l, in, kt_path(k ? "b/plan.pmtiles" : "a/plan.pmtiles"), 8,
		    17, 1);
		o.threads = k ? 2 : 1;
		ck_assert_int_eq(kcn_tile_run(kt_ctx, &o), KCN_OK);
		kcn_style_free(&l.style);
		tt_opts(&o, &l, in, kt_path(k ? "b/plan.mbtiles" : "a/plan.mbtiles"), 13,
		    17, 0);
		o.threads = k ? 2 : 1;
		ck_assert_int_eq(kcn_tile_run(kt_ctx, &o), KCN_OK);
		kcn_style_free(&l.style);
	}
	a = kt_slurp(kt_path("a/plan.pmtiles"), &na);
	b = kt_slurp(kt_path("b/plan.pmtiles"), &nb);
	ck_assert_uint_eq(na, nb);
	ck_assert_int_eq(memcmp(a, b, na), 0);
	free(a);
	free(b);
	a = kt_slurp(kt_path("a/plan.mbtiles"), &na);
	b = kt_slurp(kt_path("b/plan.mbtiles"), &nb);
	ck_assert_uint_eq(na, nb);
	ck_assert_int_eq(memcmp(a, b, na), 0);
	free(a);
	free(b);
}
END_TEST

/* Reads PNG file PATH into RGBA rows. */
static unsigned char *
read_png(const char *path, int *w, int *h, int *color_type)
{
	png_image img;
	unsigned char *buf;
	FILE *fp = fopen(path, "rb");
	png_structp png;
	png_infop info;

	ck_assert_ptr_nonnull(fp);
	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png_create_info_struct(png);
	png_init_io(png, fp);
	png_read_info(png, info);
	*color_type = png_get_color_type(png, info);
	png_destroy_read_struct(&png, &info, NULL);
	fclose(fp);
	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	ck_assert(png_image_begin_read_from_file(&img, path));
	img.format = PNG_FORMAT_RGBA;
	buf = malloc(PNG_IMAGE_SIZE(img));
	ck_assert(png_image_finish_read(&img, NULL, buf, 0, NULL));
	*w = (int)img.width;
	*h = (int)img.height;
	png_image_free(&img);
	return buf;
}

/* PNG tiles: the fill where the ward is, its hole empty, nothing where
   there is nothing; 512 pixels at scale 2; indexed colours. */
START_TEST(test_png)
{
	struct kcn_tile_opts o;
	struct kcn_tile_layer l;
	const char *in = kt_path("ward.geojson");
	const char *ward[] = { "POLYGON ((108.20 16.04,108.24 16.04,108.24 "
	    "16.08,108.20 16.08,108.20 16.04),(108.21 16.05,108.23 16.05,"
	    "108.23 16.07,108.21 16.07,108.21 16.05))" };
	char arg[4300], p[4300];
	unsigned char *px;
	int w, h, ct;
	struct stat sb;

	tt_layer(in, ward, 1);
	snprintf(arg, sizeof(arg), "%s:fill=#ff0000,stroke=none", in);
	tt_styled(&o, &l, arg, kt_path("png"), 12, 12, 2);
	ck_assert_int_eq(kcn_tile_run(kt_ctx, &o), KCN_OK);
	/* Tile 12/3279/1862 holds the ward's north east: (108.23, 16.07)
	   is pixel (x, y) at 512 px a tile. */
	snprintf(p, sizeof(p), "%s/12/3279/1862.png", kt_path("png"));
	px = read_png(p, &w, &h, &ct);
	ck_assert_int_eq(w, 512);
	ck_assert_int_eq(h, 512);
	ck_assert_int_eq(ct, PNG_COLOR_TYPE_PALETTE);
	{
		double X = (108.235 + 180) / 360 * 4096 - 3279;
		double Y = (1 - log(tan(M_PI / 4 + 16.075 * M_PI / 360)) /
		    M_PI) / 2 * 4096 - 1862;
		int i = (int)(Y * 512), j = (int)(X * 512);
		unsigned char *c;

		ck_assert(i > 0 && i < 512 && j > 0 && j < 512);
		c = px + 4 * ((size_t)i * 512 + (size_t)j);
		ck_assert_int_eq(c[0], 255);
		ck_assert_int_eq(c[1], 0);
		ck_assert_int_eq(c[3], 255);
		/* In the hole. */
		X = (108.225 + 180) / 360 * 4096 - 3279;
		Y = (1 - log(tan(M_PI / 4 + 16.065 * M_PI / 360)) / M_PI) / 2 *
		    4096 - 1862;
		if (X > 0 && Y > 0 && Y < 1) {
			c = px + 4 * ((size_t)(Y * 512) * 512 +
			    (size_t)(X * 512));
			ck_assert_int_eq(c[3], 0);
		}
	}
	free(px);
	/* Tiles beyond the ward are not written. */
	snprintf(p, sizeof(p), "%s/12/3270/1862.png", kt_path("png"));
	ck_assert_int_ne(stat(p, &sb), 0);
	/* Refused: the output is there. */
	ck_assert_int_eq(kcn_tile_run(kt_ctx, &o), KCN_ECREATE);
	o.force = 1;
	ck_assert_int_eq(kcn_tile_run(kt_ctx, &o), KCN_OK);
	kcn_style_free(&l.style);
}
END_TEST

/*
 * A drawn tile against a reference image (data/tile-ref.png, looked at
 * when it was made): a ward with a hole, a road and two kinds of
 * points, each styled.  Antialiasing may differ by a few shades between
 * Cairo builds: every channel within 24 of the reference, and on
 * average within 1.  KCN_BLESS=1 writes a new reference.
 */
START_TEST(test_reference_image)
{
	const char *ward[] = { "POLYGON ((108.20 16.04,108.24 16.04,108.24 "
	    "16.08,108.20 16.08,108.20 16.04),(108.21 16.05,108.23 16.05,"
	    "108.23 16.07,108.21 16.07,108.21 16.05))" };
	const char *road[] = { "LINESTRING (108.19 16.05,108.25 16.07,"
	    "108.23 16.09)" };
	const char *pts[] = { "POINT (108.222 16.061)",
	    "MULTIPOINT ((108.205 16.045),(108.235 16.075))" };
	char a0[4300], a1[4300], a2[4300], p[4300];
	struct kcn_tile_layer l[3];
	struct kcn_tile_opts o;
	unsigned char *got, *want;
	int w, h, ct, rw, rh, worst = 0;
	double sum = 0;

	tt_layer(kt_path("ward.geojson"), ward, 1);
	tt_layer(kt_path("road.geojson"), road, 1);
	tt_layer(kt_path("pts.geojson"), pts, 2);
	snprintf(a0, sizeof(a0), "%s:fill=#ff000080,stroke=#000000,width=2",
	    kt_path("ward.geojson"));
	snprintf(a1, sizeof(a1), "%s:stroke=#0000ff,width=3",
	    kt_path("road.geojson"));
	snprintf(a2, sizeof(a2), "%s:by=kind,colors=school:#00c000 "
	    "clinic:#ffa500,stroke=#000000,size=12,symbol=square",
	    kt_path("pts.geojson"));
	ck_assert_int_eq(kcn_tile_layer_parse(kt_ctx, a0, 0, NULL, &l[0]),
	    KCN_OK);
	ck_assert_int_eq(kcn_tile_layer_parse(kt_ctx, a1, 1, NULL, &l[1]),
	    KCN_OK);
	ck_assert_int_eq(kcn_tile_layer_parse(kt_ctx, a2, 2, NULL, &l[2]),
	    KCN_OK);
	memset(&o, 0, sizeof(o));
	o.layers = l;
	o.nlayers = 3;
	o.zmin = o.zmax = 13;
	o.scale = 1;
	o.output = kt_path("ref");
	ck_assert_int_eq(kcn_tile_run(kt_ctx, &o), KCN_OK);
	for (int i = 0; i < 3; i++)
		kcn_style_free(&l[i].style);
	snprintf(p, sizeof(p), "%s/13/6558/3725.png", kt_path("ref"));
	if (getenv("KCN_BLESS") != NULL) {
		char *d;
		size_t n;
		FILE *fp = fopen("data/tile-ref.png", "wb");

		ck_assert_ptr_nonnull(fp);
		d = kt_slurp(p, &n);
		fwrite(d, 1, n, fp);
		fclose(fp);
		free(d);
	}
	got = read_png(p, &w, &h, &ct);
	want = read_png("data/tile-ref.png", &rw, &rh, &ct);
	ck_assert_int_eq(w, rw);
	ck_assert_int_eq(h, rh);
	for (size_t i = 0; i < (size_t)w * (size_t)h * 4; i++) {
		int d = abs((int)got[i] - (int)want[i]);

		worst = d > worst ? d : worst;
		sum += d;
	}
	ck_assert_int_le(worst, 24);
	ck_assert_double_le(sum / ((double)w * h * 4), 1.0);
	free(got);
	free(want);
}
END_TEST

/* Premultiplied channel C of RGBA pixel P (0 when it is missing). */
static int
tt_pm(const unsigned char *p, int c)
{
	if (p == NULL)
		return 0;
	return c == 3 ? p[3] : (p[c] * p[3] + 127) / 255;
}

/* One colour at many opacities, off by a unit here and there (as the
   average of four pixels is): a palette, within 2 of 255; two colours
   at many opacities: RGBA, exact. */
START_TEST(test_png_one_colour)
{
	static uint32_t px[256 * 256];
	static unsigned char scratch[256 * 256];
	const unsigned rgb[2][3] = { { 30, 120, 200 }, { 200, 40, 10 } };
	char p[4300];

	for (int two = 0; two < 2; two++) {
		struct kcni_buf b = { 0 };
		unsigned char *got;
		int w, h, ct, worst = 0;
		FILE *fp;

		for (int y = 0; y < 256; y++)
			for (int x = 0; x < 256; x++) {
				unsigned a = (unsigned)x, v = a << 24;
				const unsigned *c = rgb[two && y % 2];

				for (int k = 0; k < 3; k++) {
					unsigned e = (c[k] * a + 127) / 255;

					/* The noise of averaging, under alpha. */
					if (k == 0 && (x + y) % 3 == 0 && e < a)
						e++;
					v |= e << (16 - 8 * k);
				}
				px[y * 256 + x] = v;
			}
		ck_assert_int_eq(kcni_png_encode(px, 256, 256, 256, &b, scratch),
		    0);
		snprintf(p, sizeof(p), "%s", kt_path("one.png"));
		fp = fopen(p, "wb");
		ck_assert_ptr_nonnull(fp);
		fwrite(b.p, 1, b.n, fp);
		fclose(fp);
		kcni_buf_free(&b);
		got = read_png(p, &w, &h, &ct);
		ck_assert_int_eq(ct, two ? PNG_COLOR_TYPE_RGBA :
		    PNG_COLOR_TYPE_PALETTE);
		for (int i = 0; i < 256 * 256; i++)
			for (int k = 0; k < 4; k++) {
				unsigned want = k == 3 ? px[i] >> 24 :
				    (px[i] >> (16 - 8 * k)) & 0xff;
				int d = abs(tt_pm(got + 4 * i, k) - (int)want);

				worst = d > worst ? d : worst;
			}
		ck_assert_int_le(worst, two ? 1 : 3);
		free(got);
	}
}
END_TEST

/*
 * A layer of small squares: drawn at the highest zoom, each lower tile
 * the average of its four tiles above, the same in a folder (one thread)
 * and in PMTiles (two threads, tiles given from the highest zoom down);
 * zoomout=draw draws every zoom instead.
 */
START_TEST(test_pyramid)
{
	struct kcn_tile_opts o;
	struct kcn_tile_layer l;
	const char *in = kt_path("squares.geojson");
	char *dir = strdup(kt_path("pyr")), *pm = strdup(kt_path("pyr.pmtiles"));
	char arg[4400], p[4400];
	static struct pm_entry e[1024];
	unsigned char *file;
	size_t len, n, lower = 0;

	tt_squares(in, 2000);
	tt_opts(&o, &l, in, dir, 14, 16, 0);
	o.threads = 1;
	ck_assert_int_eq(kcn_tile_run(kt_ctx, &o), KCN_OK);
	kcn_style_free(&l.style);
	tt_opts(&o, &l, in, pm, 14, 16, 0);
	o.threads = 2;
	ck_assert_int_eq(kcn_tile_run(kt_ctx, &o), KCN_OK);
	kcn_style_free(&l.style);
	file = (unsigned char *)kt_slurp(pm, &len);
	ck_assert_int_eq(file[96], 1);
	n = pm_dir(file, le64(file + 8), le64(file + 16), le64(file + 40), e,
	    1024);
	ck_assert_uint_gt(n, 0);
	for (size_t i = 0; i < n; i++) {
		ck_assert(i == 0 || e[i].id >= e[i - 1].id + e[i - 1].run);
		for (uint64_t r = 0; r < e[i].run; r++) {
			int z, w, h, ct, cw, ch, worst = 0;
			uint32_t x, y;
			size_t fn;
			char *f;
			unsigned char *got, *kid[4] = { 0 };

			pm_zxy(e[i].id + r, &z, &x, &y);
			snprintf(p, sizeof(p), "%s/%d/%u/%u.png", dir, z, x, y);
			f = kt_slurp(p, &fn);
			ck_assert_ptr_nonnull(f);
			ck_assert_uint_eq(fn, e[i].length);
			ck_assert_int_eq(memcmp(f, file + le64(file + 56) +
			    e[i].offset, fn), 0);
			free(f);
			if (z == 16)
				continue;
			got = read_png(p, &w, &h, &ct);
			/* One colour at many opacities: still a palette. */
			ck_assert_int_eq(ct, PNG_COLOR_TYPE_PALETTE);
			for (int q = 0; q < 4; q++) {
				snprintf(p, sizeof(p), "%s/%d/%u/%u.png", dir,
				    z + 1, 2 * x + (q & 1), 2 * y + (q >> 1));
				if (access(p, F_OK) == 0) {
					kid[q] = read_png(p, &cw, &ch, &ct);
					ck_assert_int_eq(cw, w);
				}
			}
			for (int py = 0; py < h; py++)
				for (int px = 0; px < w; px++) {
					int q = (py >= h / 2) * 2 + (px >= w / 2);
					int kx = 2 * (px % (w / 2)), ky = 2 *
					    (py % (h / 2));

					for (int c = 0; c < 4; c++) {
						int sum = 0, d;

						for (int k = 0; k < 4; k++)
							sum += tt_pm(kid[q] ?
							    kid[q] + 4 * ((ky +
							    k / 2) * w + kx +
							    k % 2) : NULL, c);
						d = abs(tt_pm(got + 4 * (py * w +
						    px), c) - (sum + 2) / 4);
						worst = d > worst ? d : worst;
					}
				}
			ck_assert_int_le(worst, 3);
			lower++;
			free(got);
			for (int q = 0; q < 4; q++)
				free(kid[q]);
		}
	}
	ck_assert_uint_gt(lower, 1);
	free(file);
	/* Over a ward drawn at every zoom, the averaged squares are laid
	   as they are alone: tile = squares OVER ward, pixel by pixel. */
	{
		const char *ward[] = { "POLYGON ((108.19 16.03,108.23 16.03,"
		    "108.23 16.06,108.19 16.06,108.19 16.03))" };
		struct kcn_tile_layer two[2];
		char a0[4400], a1[4400];
		int worst = 0, z = 14, seen = 0;

		tt_layer(kt_path("bigward.geojson"), ward, 1);
		snprintf(a0, sizeof(a0), "%s:fill=#00ff0080,stroke=#000000",
		    kt_path("bigward.geojson"));
		snprintf(a1, sizeof(a1), "%s", in);
		ck_assert_int_eq(kcn_tile_layer_parse(kt_ctx, a0, 0, NULL,
		    &two[0]), KCN_OK);
		ck_assert_int_eq(kcn_tile_layer_parse(kt_ctx, a1, 0, NULL,
		    &two[1]), KCN_OK);
		memset(&o, 0, sizeof(o));
		o.layers = two;
		o.nlayers = 2;
		o.zmin = 14;
		o.zmax = 16;
		o.scale = 1;
		o.output = kt_path("both");
		ck_assert_int_eq(kcn_tile_run(kt_ctx, &o), KCN_OK);
		o.layers = &two[0];
		o.nlayers = 1;
		o.output = kt_path("wardonly");
		ck_assert_int_eq(kcn_tile_run(kt_ctx, &o), KCN_OK);
		kcn_style_free(&two[0].style);
		kcn_style_free(&two[1].style);
		for (size_t i = 0; i < n; i++)
			for (uint64_t rr = 0; rr < e[i].run; rr++) {
				uint32_t x, y;
				int tz, w, h, ct;
				unsigned char *sq, *wd, *bo;

				/* (e was read before: the squares' tiles) */
				pm_zxy(e[i].id + rr, &tz, &x, &y);
				if (tz != z)
					continue;
				snprintf(p, sizeof(p), "%s/%d/%u/%u.png", dir, z,
				    x, y);
				sq = read_png(p, &w, &h, &ct);
				snprintf(p, sizeof(p), "%s/%d/%u/%u.png",
				    kt_path("wardonly"), z, x, y);
				wd = access(p, F_OK) == 0 ? read_png(p, &w, &h,
				    &ct) : NULL;
				snprintf(p, sizeof(p), "%s/%d/%u/%u.png",
				    kt_path("both"), z, x, y);
				bo = read_png(p, &w, &h, &ct);
				for (int q = 0; q < w * h; q++)
					for (int c = 0; c < 4; c++) {
						int sa = sq[4 * q + 3];
						int want = tt_pm(sq + 4 * q, c) +
						    (tt_pm(wd ? wd + 4 * q : NULL,
						    c) * (255 - sa) + 127) / 255;
						int d = abs(tt_pm(bo + 4 * q, c) -
						    want);

						worst = d > worst ? d : worst;
					}
				free(sq);
				free(wd);
				free(bo);
				seen++;
			}
		ck_assert_int_gt(seen, 0);
		ck_assert_int_le(worst, 3);
	}
	/* Drawn afresh, a zoom 15 tile is not the average. */
	snprintf(arg, sizeof(arg), "%s:zoomout=draw", in);
	tt_styled(&o, &l, arg, kt_path("drawn"), 15, 16, 1);
	ck_assert_int_eq(kcn_tile_run(kt_ctx, &o), KCN_OK);
	kcn_style_free(&l.style);
	{
		/* The tile of the first square, at zoom 15. */
		double lat = 16.0406 * M_PI / 180;
		unsigned tx = (unsigned)((108.2006 + 180) / 360 * 32768);
		unsigned ty = (unsigned)((1 - log(tan(lat) + 1 / cos(lat)) /
		    M_PI) / 2 * 32768);
		size_t na, nb;
		char *a, *b;

		snprintf(p, sizeof(p), "%s/15/%u/%u.png", dir, tx, ty);
		a = kt_slurp(p, &na);
		snprintf(p, sizeof(p), "%s/15/%u/%u.png", kt_path("drawn"), tx,
		    ty);
		b = kt_slurp(p, &nb);
		ck_assert_ptr_nonnull(a);
		ck_assert_ptr_nonnull(b);
		ck_assert(na != nb || memcmp(a, b, na) != 0);
		free(a);
		free(b);
	}
	free(dir);
	free(pm);
}
END_TEST

/* The Web Mercator formula against PROJ's EPSG:4326 to EPSG:3857, up
   to the latitude limit, across the antimeridian's neighbourhood. */
START_TEST(test_webmerc)
{
	PJ_CONTEXT *pc = proj_context_create();
	PJ *raw = proj_create_crs_to_crs(pc, "EPSG:4326", "EPSG:3857", NULL);
	PJ *op = proj_normalize_for_visualization(pc, raw);
	double worst = 0;

	ck_assert_ptr_nonnull(op);
	for (double lat = -85.05; lat <= 85.05; lat += 0.35)
		for (double lon = -179.99; lon <= 180; lon += 1.37) {
			PJ_COORD c = proj_trans(op, PJ_FWD, proj_coord(lon, lat, 0,
			    0));
			double x, y;

			kcni_webmerc(lon, lat, &x, &y);
			worst = fmax(worst, fmax(fabs(x - c.xy.x), fabs(y -
			    c.xy.y)));
		}
	ck_assert_double_le(worst, 1e-6);
	proj_destroy(op);
	proj_destroy(raw);
	proj_context_destroy(pc);
}
END_TEST

START_TEST(test_bad_input)
{
	struct kcn_tile_opts o;
	struct kcn_tile_layer l;
	const char *polar[] = { "POINT (10 89)" };
	const char *empty[] = { "POINT (10 10)" };
	int a, b;
	char arg[64];

	ck_assert_int_eq(kcn_tile_zoom_parse(kt_ctx, "10-16", &a, &b), KCN_OK);
	ck_assert_int_eq(a, 10);
	ck_assert_int_eq(b, 16);
	ck_assert_int_eq(kcn_tile_zoom_parse(kt_ctx, "7", &a, &b), KCN_OK);
	ck_assert_int_eq(a + b, 14);
	ck_assert_int_eq(kcn_tile_zoom_parse(kt_ctx, "10-25", &a, &b),
	    KCN_EUSAGE);
	ck_assert_int_eq(kcn_tile_zoom_parse(kt_ctx, "16-10", &a, &b),
	    KCN_EUSAGE);
	ck_assert_int_eq(kcn_tile_zoom_parse(kt_ctx, "-1", &a, &b),
	    KCN_EUSAGE);
	ck_assert_int_eq(kcn_tile_zoom_parse(kt_ctx, "x", &a, &b), KCN_EUSAGE);
	snprintf(arg, sizeof(arg), "roads.gpkg:width=x");
	ck_assert_int_eq(kcn_tile_layer_parse(kt_ctx, arg, 0, NULL, &l),
	    KCN_EUSAGE);
	kcn_style_free(&l.style);
	/* Beyond Web Mercator's latitudes: skipped, and nothing left. */
	tt_layer(kt_path("polar.geojson"), polar, 1);
	tt_opts(&o, &l, kt_path("polar.geojson"), kt_path("p"), 3, 5, 1);
	ck_assert_int_eq(kcn_tile_run(kt_ctx, &o), KCN_EDATA);
	kcn_style_free(&l.style);
	/* Cut at the latitude limit, and across the antimeridian: tiles
	   on both edges of the world. */
	{
		const char *cut[] = { "POLYGON ((10 80,20 80,20 89,10 89,10 80))",
		    "POLYGON ((179 10,181 10,181 11,179 11,179 10))" };
		struct stat sb;
		char p[4300];

		tt_layer(kt_path("cut.geojson"), cut, 2);
		tt_opts(&o, &l, kt_path("cut.geojson"), kt_path("c"), 2, 2, 1);
		ck_assert_int_eq(kcn_tile_run(kt_ctx, &o), KCN_OK);
		kcn_style_free(&l.style);
		snprintf(p, sizeof(p), "%s/2/2/0.pbf", kt_path("c"));
		ck_assert_int_eq(stat(p, &sb), 0);
		snprintf(p, sizeof(p), "%s/2/3/1.pbf", kt_path("c"));
		ck_assert_int_eq(stat(p, &sb), 0);
		snprintf(p, sizeof(p), "%s/2/0/1.pbf", kt_path("c"));
		ck_assert_int_eq(stat(p, &sb), 0);
	}
	/* Empty layer. */
	tt_layer(kt_path("empty.geojson"), empty, 0);
	tt_opts(&o, &l, kt_path("empty.geojson"), kt_path("e"), 3, 5, 1);
	ck_assert_int_eq(kcn_tile_run(kt_ctx, &o), KCN_EDATA);
	kcn_style_free(&l.style);
	/* Missing file; unwritable output. */
	tt_opts(&o, &l, kt_path("nothere.gpkg"), kt_path("n"), 3, 5, 1);
	ck_assert_int_eq(kcn_tile_run(kt_ctx, &o), KCN_ENOINPUT);
	kcn_style_free(&l.style);
	tt_layer(kt_path("one.geojson"), empty, 1);
	tt_opts(&o, &l, kt_path("one.geojson"), "/proc/kcn.pmtiles", 3, 5, 1);
	ck_assert_int_eq(kcn_tile_run(kt_ctx, &o), KCN_ECREATE);
	kcn_style_free(&l.style);
}
END_TEST

Suite *
tile_suite(void)
{
	Suite *s = suite_create("tile");
	TCase *tc = tcase_create("tile");

	tcase_add_checked_fixture(tc, kt_setup, kt_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_style);
	tcase_add_test(tc, test_tile_id);
	tcase_add_test(tc, test_webmerc);
	tcase_add_test(tc, test_mvt_encoding);
	tcase_add_test(tc, test_three_stores);
	tcase_add_test(tc, test_pmtiles_order);
	tcase_add_test(tc, test_tiny_polygons);
	tcase_add_test(tc, test_simplify);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_png);
	tcase_add_test(tc, test_reference_image);
	tcase_add_test(tc, test_pyramid);
	tcase_add_test(tc, test_png_one_colour);
	tcase_add_test(tc, test_bad_input);
	suite_add_tcase(s, tc);
	return s;
}
