/*
 * tilestore.c: where tiles go: a z/x/y folder, an MBTiles 1.3 file or a
 * PMTiles v3 archive.  Tiles may come in any order (a raster pyramid
 * comes from its highest zoom down); a PMTiles archive is laid out in
 * ascending tile id at the end.  Everything is written under a
 * temporary name next to the target and renamed when complete.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>
#include <zlib.h>

#include "kcn_internal.h"

#define PMT_HEADER 127
#define PMT_ROOT_MAX 16384	/* header and root directory together */

struct pmt_entry {
	uint64_t id, offset;
	uint32_t length, run;
};

/* A slot of the table of tile contents written, for sharing repeats. */
struct pmt_seen {
	uint64_t hash, offset;
	uint32_t length;
};

struct kcni_store {
	int kind;
	char *path, *tmp;	/* the target and the temporary name */
	const char *ext;	/* "png" or "pbf", for folders */
	int gzip;		/* tiles gzipped in archives (vector) */
	int force;
	long long ntiles;
	/* folder */
	int zdir;		/* the zoom whose folder is made */
	unsigned char *xmade;	/* its z/x folders made, a bit each */
	/* MBTiles */
	sqlite3 *db;
	sqlite3_stmt *ins;
	/* PMTiles */
	int data_fd;		/* unlinked temporary file of tile data */
	uint64_t data_len;
	struct pmt_entry *ent;
	size_t nent, capent;
	struct pmt_seen *seen;
	size_t nseen, capseen;	/* capseen: a power of two */
	uint64_t ncontents, naddressed;
	struct kcni_buf zbuf;	/* a gzipped tile */
};

int
kcni_store_kind(const char *path)
{
	size_t n = strlen(path);

	if (n > 8 && strcmp(path + n - 8, ".mbtiles") == 0)
		return KCNI_STORE_MBTILES;
	if (n > 8 && strcmp(path + n - 8, ".pmtiles") == 0)
		return KCNI_STORE_PMTILES;
	return KCNI_STORE_DIR;
}

/* ---- helpers ---------------------------------------------------------- */

int
kcni_gzip(const void *d, size_t n, struct kcni_buf *out)
{
	z_stream z;
	int rc;

	memset(&z, 0, sizeof(z));
	out->n = 0;
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	if (kcni_buf_grow(out, deflateBound(&z, (uLong)n) + 32) != 0) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *)(uintptr_t)d;
	z.avail_in = (uInt)n;
	z.next_out = out->p;
	z.avail_out = (uInt)out->cap;
	rc = deflate(&z, Z_FINISH);
	out->n = z.total_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -1;
}

/* Rotates/flips a quadrant for the Hilbert curve. */
static void
hilbert_rot(uint64_t n, uint64_t *x, uint64_t *y, uint64_t rx, uint64_t ry)
{
	if (ry == 0) {
		uint64_t t;

		if (rx == 1) {
			*x = n - 1 - *x;
			*y = n - 1 - *y;
		}
		t = *x;
		*x = *y;
		*y = t;
	}
}

uint64_t
kcni_tile_id(int z, uint32_t x, uint32_t y)
{
	uint64_t base = 0, n = (uint64_t)1 << z, d = 0, tx = x, ty = y;

	for (int k = 0; k < z; k++)
		base += (uint64_t)1 << (2 * k);
	for (uint64_t s = n / 2; s > 0; s /= 2) {
		uint64_t rx = (tx & s) > 0, ry = (ty & s) > 0;

		d += s * s * ((3 * rx) ^ ry);
		hilbert_rot(n, &tx, &ty, rx, ry);
	}
	return base + d;
}

/* The temporary name: TARGET's folder, a name that says what it is. */
static char *
store_tmpname(struct kcn_ctx *ctx, const char *path)
{
	size_t n = strlen(path) + 32;
	char *t = malloc(n);

	if (t == NULL) {
		kcni_error(ctx, KCN_EOS, path, "out of memory");
		return NULL;
	}
	snprintf(t, n, "%s.kcn-XXXXXX", path);
	return t;
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* Removes the file or folder tree P; quiet when it is not there. */
static void
store_remove(const char *p)
{
	struct stat sb;

	if (lstat(p, &sb) != 0)
		return;
	if (S_ISDIR(sb.st_mode))
		nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	else
		unlink(p);
}

/* *D and *N, the tile, gzipped in S's buffer when S gzips. */
static enum kcn_status
store_gzip(struct kcn_ctx *ctx, struct kcni_store *s, const void **d,
    size_t *n)
{
	if (kcni_gzip(*d, *n, &s->zbuf) != 0)
		return kcni_error(ctx, KCN_EOS, s->path, "cannot compress a "
		    "tile");
	*d = s->zbuf.p;
	*n = s->zbuf.n;
	return KCN_OK;
}

/* ---- folder ----------------------------------------------------------- */

static enum kcn_status
dir_put(struct kcn_ctx *ctx, struct kcni_store *s, int z, uint32_t x,
    uint32_t y, const void *d, size_t n)
{
	char p[4096];
	FILE *fp;
	int bad;

	if (z != s->zdir) {
		snprintf(p, sizeof(p), "%s/%d", s->tmp, z);
		if (mkdir(p, 0777) != 0 && errno != EEXIST)
			return kcni_error(ctx, KCN_EIO, p, "%s",
			    strerror(errno));
		/* Tiles of a zoom come along a curve: a column's folder is
		   remembered, not made again at each return to it. */
		free(s->xmade);
		if ((s->xmade = calloc(((size_t)1 << z) / 8 + 1, 1)) == NULL)
			return kcni_error(ctx, KCN_EOS, p, "out of memory");
		s->zdir = z;
	}
	if (!(s->xmade[x / 8] & 1 << (x % 8))) {
		snprintf(p, sizeof(p), "%s/%d/%u", s->tmp, z, x);
		if (mkdir(p, 0777) != 0 && errno != EEXIST)
			return kcni_error(ctx, KCN_EIO, p, "%s",
			    strerror(errno));
		s->xmade[x / 8] |= (unsigned char)(1 << (x % 8));
	}
	snprintf(p, sizeof(p), "%s/%d/%u/%u.%s", s->tmp, z, x, y, s->ext);
	if ((fp = fopen(p, "wb")) == NULL)
		return kcni_error(ctx, KCN_EIO, p, "%s", strerror(errno));
	bad = fwrite(d, 1, n, fp) != n;
	bad |= fclose(fp) != 0;
	if (bad)
		return kcni_error(ctx, KCN_EIO, p, "%s", strerror(errno));
	return KCN_OK;
}

/* ---- metadata --------------------------------------------------------- */

/* Appends S to B as a JSON string. */
static void
json_str(struct kcni_buf *b, const char *s)
{
	kcni_buf_put(b, "\"", 1);
	for (; *s != '\0'; s++) {
		char esc[8];

		if (*s == '"' || *s == '\\') {
			esc[0] = '\\';
			esc[1] = *s;
			kcni_buf_put(b, esc, 2);
		} else if ((unsigned char)*s < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", *s);
			kcni_buf_put(b, esc, 6);
		} else {
			kcni_buf_put(b, s, 1);
		}
	}
	kcni_buf_put(b, "\"", 1);
}

static void
json_kv(struct kcni_buf *b, const char *k, const char *v, int first)
{
	if (!first)
		kcni_buf_put(b, ",", 1);
	json_str(b, k);
	kcni_buf_put(b, ":", 1);
	json_str(b, v);
}

/* The TileJSON-like metadata of M, as a JSON object in B. */
static void
store_json(struct kcni_buf *b, const struct kcni_tilemeta *m)
{
	char t[256];

	kcni_buf_put(b, "{", 1);
	json_kv(b, "name", m->name, 1);
	json_kv(b, "format", m->format, 0);
	json_kv(b, "type", "overlay", 0);
	json_kv(b, "description", m->description, 0);
	snprintf(t, sizeof(t), "%.7f,%.7f,%.7f,%.7f", m->bounds[0],
	    m->bounds[1], m->bounds[2], m->bounds[3]);
	json_kv(b, "bounds", t, 0);
	snprintf(t, sizeof(t), "%.7f,%.7f,%d", (m->bounds[0] + m->bounds[2]) /
	    2, (m->bounds[1] + m->bounds[3]) / 2, m->minzoom);
	json_kv(b, "center", t, 0);
	snprintf(t, sizeof(t), "%d", m->minzoom);
	json_kv(b, "minzoom", t, 0);
	snprintf(t, sizeof(t), "%d", m->maxzoom);
	json_kv(b, "maxzoom", t, 0);
	if (m->vector_layers != NULL) {
		const char *k = ",\"vector_layers\":";

		kcni_buf_put(b, k, strlen(k));
		kcni_buf_put(b, m->vector_layers, strlen(m->vector_layers));
	}
	kcni_buf_put(b, "}", 2);	/* with its NUL */
	b->n--;
}

/* ---- MBTiles ---------------------------------------------------------- */

static enum kcn_status
mb_error(struct kcn_ctx *ctx, struct kcni_store *s, const char *what)
{
	return kcni_error(ctx, KCN_EIO, s->path, "%s: %s", what,
	    s->db != NULL ? sqlite3_errmsg(s->db) : "cannot open");
}

static enum kcn_status
mb_exec(struct kcn_ctx *ctx, struct kcni_store *s, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		enum kcn_status st = kcni_error(ctx, KCN_EIO, s->path, "%s",
		    err != NULL ? err : "SQLite failed");

		sqlite3_free(err);
		return st;
	}
	return KCN_OK;
}

static enum kcn_status
mb_open(struct kcn_ctx *ctx, struct kcni_store *s)
{
	enum kcn_status st;

	if (sqlite3_open_v2(s->tmp, &s->db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		return mb_error(ctx, s, "cannot open");
	if ((st = mb_exec(ctx, s, "PRAGMA journal_mode=OFF;"
	    "PRAGMA synchronous=OFF;PRAGMA page_size=4096;"
	    "CREATE TABLE metadata (name TEXT, value TEXT);"
	    "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, "
	    "tile_row INTEGER, tile_data BLOB);BEGIN;")) != KCN_OK)
		return st;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO tiles VALUES (?,?,?,?)", -1,
	    &s->ins, NULL) != SQLITE_OK)
		return mb_error(ctx, s, "cannot prepare");
	return KCN_OK;
}

static enum kcn_status
mb_put(struct kcn_ctx *ctx, struct kcni_store *s, int z, uint32_t x,
    uint32_t y, const void *d, size_t n)
{
	if (s->gzip && store_gzip(ctx, s, &d, &n) != KCN_OK)
		return KCN_EOS;
	sqlite3_bind_int(s->ins, 1, z);
	sqlite3_bind_int64(s->ins, 2, x);
	/* MBTiles counts rows from the south (TMS). */
	sqlite3_bind_int64(s->ins, 3, (((int64_t)1 << z) - 1) - y);
	sqlite3_bind_blob64(s->ins, 4, d, n, SQLITE_STATIC);
	if (sqlite3_step(s->ins) != SQLITE_DONE) {
		sqlite3_reset(s->ins);
		return mb_error(ctx, s, "cannot insert a tile");
	}
	sqlite3_reset(s->ins);
	return KCN_OK;
}

static enum kcn_status
mb_meta(struct kcn_ctx *ctx, struct kcni_store *s, const char *k,
    const char *v)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(s->db, "INSERT INTO metadata VALUES (?,?)", -1,
	    &q, NULL) != SQLITE_OK)
		return mb_error(ctx, s, "cannot prepare");
	sqlite3_bind_text(q, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, v, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? KCN_OK : mb_error(ctx, s, "cannot insert "
	    "metadata");
}

static enum kcn_status
mb_close(struct kcn_ctx *ctx, struct kcni_store *s,
    const struct kcni_tilemeta *m)
{
	char t[256];
	enum kcn_status st;

	sqlite3_finalize(s->ins);
	s->ins = NULL;
	st = mb_meta(ctx, s, "name", m->name);
	if (st == KCN_OK)
		st = mb_meta(ctx, s, "format", m->format);
	if (st == KCN_OK)
		st = mb_meta(ctx, s, "type", "overlay");
	if (st == KCN_OK)
		st = mb_meta(ctx, s, "version", "1");
	if (st == KCN_OK)
		st = mb_meta(ctx, s, "description", m->description);
	snprintf(t, sizeof(t), "%.7f,%.7f,%.7f,%.7f", m->bounds[0],
	    m->bounds[1], m->bounds[2], m->bounds[3]);
	if (st == KCN_OK)
		st = mb_meta(ctx, s, "bounds", t);
	snprintf(t, sizeof(t), "%.7f,%.7f,%d", (m->bounds[0] + m->bounds[2]) /
	    2, (m->bounds[1] + m->bounds[3]) / 2, m->minzoom);
	if (st == KCN_OK)
		st = mb_meta(ctx, s, "center", t);
	snprintf(t, sizeof(t), "%d", m->minzoom);
	if (st == KCN_OK)
		st = mb_meta(ctx, s, "minzoom", t);
	snprintf(t, sizeof(t), "%d", m->maxzoom);
	if (st == KCN_OK)
		st = mb_meta(ctx, s, "maxzoom", t);
	if (st == KCN_OK && m->vector_layers != NULL) {
		struct kcni_buf j = { 0 };
		const char *a = "{\"vector_layers\":";

		kcni_buf_put(&j, a, strlen(a));
		kcni_buf_put(&j, m->vector_layers, strlen(m->vector_layers));
		kcni_buf_put(&j, "}", 2);
		st = j.oom ? kcni_error(ctx, KCN_EOS, s->path, "out of memory") :
		    mb_meta(ctx, s, "json", (char *)j.p);
		kcni_buf_free(&j);
	}
	if (st == KCN_OK)
		st = mb_exec(ctx, s, "CREATE UNIQUE INDEX tile_index ON tiles "
		    "(zoom_level, tile_column, tile_row);COMMIT;");
	if (sqlite3_close(s->db) != SQLITE_OK && st == KCN_OK)
		st = mb_error(ctx, s, "cannot close");
	s->db = NULL;
	return st;
}

/* ---- PMTiles ---------------------------------------------------------- */

static uint64_t
pmt_hash(const void *d, size_t n)
{
	const unsigned char *p = d;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h ^ n;
}

/* Whether the LEN bytes at OFFSET of the data file are D. */
static int
pmt_same(struct kcni_store *s, uint64_t offset, const void *d, size_t len)
{
	unsigned char buf[65536];
	const unsigned char *p = d;

	while (len > 0) {
		size_t k = len < sizeof(buf) ? len : sizeof(buf);

		if (pread(s->data_fd, buf, k, (off_t)offset) != (ssize_t)k ||
		    memcmp(buf, p, k) != 0)
			return 0;
		offset += k;
		p += k;
		len -= k;
	}
	return 1;
}

/* Grows the table of contents seen to twice its size. */
static int
pmt_rehash(struct kcni_store *s)
{
	size_t cap = s->capseen ? s->capseen * 2 : 1024;
	struct pmt_seen *t = calloc(cap, sizeof(*t));

	if (t == NULL)
		return -1;
	for (size_t i = 0; i < s->capseen; i++) {
		size_t j;

		if (s->seen[i].length == 0)
			continue;
		for (j = s->seen[i].hash & (cap - 1); t[j].length != 0;
		    j = (j + 1) & (cap - 1))
			;
		t[j] = s->seen[i];
	}
	free(s->seen);
	s->seen = t;
	s->capseen = cap;
	return 0;
}

static enum kcn_status
pmt_put(struct kcn_ctx *ctx, struct kcni_store *s, int z, uint32_t x,
    uint32_t y, const void *d, size_t n)
{
	uint64_t id = kcni_tile_id(z, x, y), h, offset = UINT64_MAX;
	struct pmt_entry *last = s->nent ? &s->ent[s->nent - 1] : NULL;
	size_t j;

	if (s->gzip && store_gzip(ctx, s, &d, &n) != KCN_OK)
		return KCN_EOS;
	if ((s->nseen + 1) * 2 > s->capseen && pmt_rehash(s) != 0)
		return kcni_error(ctx, KCN_EOS, s->path, "out of memory");
	h = pmt_hash(d, n);
	for (j = h & (s->capseen - 1); s->seen[j].length != 0;
	    j = (j + 1) & (s->capseen - 1))
		if (s->seen[j].hash == h && s->seen[j].length == n &&
		    pmt_same(s, s->seen[j].offset, d, n)) {
			offset = s->seen[j].offset;
			break;
		}
	if (offset == UINT64_MAX) {
		const unsigned char *p = d;
		size_t left = n;

		while (left > 0) {
			ssize_t w = write(s->data_fd, p, left);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return kcni_error(ctx, KCN_EIO, s->path, "%s",
				    strerror(w < 0 ? errno : ENOSPC));
			p += w;
			left -= (size_t)w;
		}
		offset = s->data_len;
		s->data_len += n;
		s->seen[j].hash = h;
		s->seen[j].offset = offset;
		s->seen[j].length = (uint32_t)n;
		s->nseen++;
		s->ncontents++;
	}
	s->naddressed++;
	if (last != NULL && last->id + last->run == id &&
	    last->offset == offset && last->length == n) {
		last->run++;
		return KCN_OK;
	}
	if (s->nent == s->capent) {
		size_t cap = s->capent ? s->capent * 2 : 1024;
		struct pmt_entry *e = realloc(s->ent, cap * sizeof(*e));

		if (e == NULL)
			return kcni_error(ctx, KCN_EOS, s->path, "out of "
			    "memory");
		s->ent = e;
		s->capent = cap;
	}
	s->ent[s->nent].id = id;
	s->ent[s->nent].offset = offset;
	s->ent[s->nent].length = (uint32_t)n;
	s->ent[s->nent].run = 1;
	s->nent++;
	return KCN_OK;
}

static int
pmt_cmp(const void *a, const void *b)
{
	const struct pmt_entry *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * The entries in ascending tile id, runs joined, and the tile data laid
 * out in that order (a clustered archive): *MOVE gets pairs of (old
 * offset, length) to copy, in the new order.  -1: out of memory, -2: a
 * tile given twice.
 */
static int
pmt_order(struct kcni_store *s, uint64_t **move, size_t *nmove)
{
	size_t cap = 16, n = 0, k = 0;
	uint64_t *key, *val, next = 0;

	while (cap < 2 * s->ncontents + 2)
		cap *= 2;
	*move = NULL;
	*nmove = 0;
	qsort(s->ent, s->nent, sizeof(*s->ent), pmt_cmp);
	for (size_t i = 0; i < s->nent; i++) {
		struct pmt_entry *e = &s->ent[i];

		if (k > 0 && e->id < s->ent[k - 1].id + s->ent[k - 1].run)
			return -2;
		s->ent[k++] = *e;
	}
	s->nent = k;
	key = malloc(cap * sizeof(*key));
	val = malloc(cap * sizeof(*val));
	if (key == NULL || val == NULL ||
	    (*move = malloc(2 * s->ncontents * sizeof(**move) + 1)) == NULL) {
		free(key);
		free(val);
		return -1;
	}
	memset(key, 0xff, cap * sizeof(*key));
	k = 0;
	for (size_t i = 0; i < s->nent; i++) {
		struct pmt_entry *e = &s->ent[i];
		size_t j;

		for (j = (size_t)((e->offset * 0x9e3779b97f4a7c15u) >> 32) &
		    (cap - 1);
		    key[j] != UINT64_MAX && key[j] != e->offset;
		    j = (j + 1) & (cap - 1))
			;
		if (key[j] == UINT64_MAX) {
			key[j] = e->offset;
			val[j] = next;
			(*move)[n++] = e->offset;
			(*move)[n++] = e->length;
			next += e->length;
		}
		e->offset = val[j];
		/* Runs split by the order of arrival join again. */
		if (k > 0 && s->ent[k - 1].id + s->ent[k - 1].run == e->id &&
		    s->ent[k - 1].offset == e->offset &&
		    s->ent[k - 1].length == e->length)
			s->ent[k - 1].run += e->run;
		else
			s->ent[k++] = *e;
	}
	s->nent = k;
	*nmove = n / 2;
	free(key);
	free(val);
	return 0;
}

/* Entries E[0..N) as a directory, gzipped into OUT. */
static int
pmt_dir(const struct pmt_entry *e, size_t n, struct kcni_buf *out)
{
	struct kcni_buf raw = { 0 };
	uint64_t last = 0;
	int rc;

	kcni_pbf_varint(&raw, n);
	for (size_t i = 0; i < n; i++) {
		kcni_pbf_varint(&raw, e[i].id - last);
		last = e[i].id;
	}
	for (size_t i = 0; i < n; i++)
		kcni_pbf_varint(&raw, e[i].run);
	for (size_t i = 0; i < n; i++)
		kcni_pbf_varint(&raw, e[i].length);
	for (size_t i = 0; i < n; i++)
		kcni_pbf_varint(&raw, i > 0 && e[i].offset == e[i - 1].offset +
		    e[i - 1].length ? 0 : e[i].offset + 1);
	rc = raw.oom ? -1 : kcni_gzip(raw.p, raw.n, out);
	kcni_buf_free(&raw);
	return rc;
}

/*
 * The root directory into ROOT and leaf directories into LEAVES: all
 * entries in the root when it fits, else leaves of ever more entries
 * until the root of their pointers does.
 */
static int
pmt_dirs(struct kcni_store *s, struct kcni_buf *root, struct kcni_buf *leaves)
{
	struct pmt_entry *ptr = NULL;
	size_t per = 4096;
	int rc = -1;

	if (pmt_dir(s->ent, s->nent, root) != 0)
		return -1;
	if (root->n <= PMT_ROOT_MAX - PMT_HEADER)
		return 0;
	for (;; per *= 2) {
		size_t nleaf = (s->nent + per - 1) / per;
		struct kcni_buf one = { 0 };

		free(ptr);
		if ((ptr = calloc(nleaf, sizeof(*ptr))) == NULL)
			break;
		leaves->n = 0;
		for (size_t i = 0; i < nleaf; i++) {
			size_t a = i * per, k = s->nent - a < per ?
			    s->nent - a : per;

			if (pmt_dir(s->ent + a, k, &one) != 0)
				break;
			ptr[i].id = s->ent[a].id;
			ptr[i].offset = leaves->n;
			ptr[i].length = (uint32_t)one.n;
			ptr[i].run = 0;
			kcni_buf_put(leaves, one.p, one.n);
		}
		kcni_buf_free(&one);
		if (leaves->oom || pmt_dir(ptr, nleaf, root) != 0)
			break;
		if (root->n <= PMT_ROOT_MAX - PMT_HEADER) {
			rc = 0;
			break;
		}
	}
	free(ptr);
	return rc;
}

static void
le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static int32_t
e7(double deg)
{
	return (int32_t)(deg * 1e7 + (deg < 0 ? -0.5 : 0.5));
}

static enum kcn_status
pmt_close(struct kcn_ctx *ctx, struct kcni_store *s,
    const struct kcni_tilemeta *m)
{
	struct kcni_buf root = { 0 }, leaves = { 0 }, json = { 0 }, meta = { 0 };
	unsigned char h[PMT_HEADER], buf[65536];
	uint64_t off, *move = NULL;
	size_t nmove = 0;
	enum kcn_status st = KCN_OK;
	FILE *fp = NULL;
	int rc;

	if (s->nent == 0)
		return kcni_error(ctx, KCN_EDATA, s->path, "no tiles to write");
	if ((rc = pmt_order(s, &move, &nmove)) != 0)
		return kcni_error(ctx, rc == -1 ? KCN_EOS : KCN_EINTERNAL,
		    s->path, rc == -1 ? "out of memory" : "a tile given twice");
	store_json(&json, m);
	if (pmt_dirs(s, &root, &leaves) != 0 || json.oom ||
	    kcni_gzip(json.p, json.n, &meta) != 0) {
		st = kcni_error(ctx, KCN_EOS, s->path, "out of memory");
		goto out;
	}
	memset(h, 0, sizeof(h));
	memcpy(h, "PMTiles", 7);
	h[7] = 3;
	off = PMT_HEADER;
	le(h + 8, off, 8);
	le(h + 16, root.n, 8);
	off += root.n;
	le(h + 24, off, 8);
	le(h + 32, meta.n, 8);
	off += meta.n;
	le(h + 40, off, 8);
	le(h + 48, leaves.n, 8);
	off += leaves.n;
	le(h + 56, off, 8);
	le(h + 64, s->data_len, 8);
	le(h + 72, s->naddressed, 8);
	le(h + 80, s->nent, 8);
	le(h + 88, s->ncontents, 8);
	h[96] = 1;			/* clustered */
	h[97] = 2;			/* directories gzipped */
	h[98] = s->gzip ? 2 : 1;
	h[99] = strcmp(m->format, "png") == 0 ? 2 : 1;
	h[100] = (unsigned char)m->minzoom;
	h[101] = (unsigned char)m->maxzoom;
	le(h + 102, (uint32_t)e7(m->bounds[0]), 4);
	le(h + 106, (uint32_t)e7(m->bounds[1]), 4);
	le(h + 110, (uint32_t)e7(m->bounds[2]), 4);
	le(h + 114, (uint32_t)e7(m->bounds[3]), 4);
	h[118] = (unsigned char)m->minzoom;
	le(h + 119, (uint32_t)e7((m->bounds[0] + m->bounds[2]) / 2), 4);
	le(h + 123, (uint32_t)e7((m->bounds[1] + m->bounds[3]) / 2), 4);
	if ((fp = fopen(s->tmp, "wb")) == NULL) {
		st = kcni_error(ctx, KCN_ECREATE, s->path, "%s", strerror(errno));
		goto out;
	}
	fwrite(h, 1, sizeof(h), fp);
	fwrite(root.p, 1, root.n, fp);
	fwrite(meta.p, 1, meta.n, fp);
	if (leaves.n > 0)
		fwrite(leaves.p, 1, leaves.n, fp);
	/* The tile data in the order of the directories. */
	for (size_t i = 0; i < nmove; i++) {
		uint64_t from = move[2 * i], end = from + move[2 * i + 1];

		for (off = from; off < end; ) {
			size_t want = end - off < sizeof(buf) ?
			    (size_t)(end - off) : sizeof(buf);
			ssize_t r = pread(s->data_fd, buf, want, (off_t)off);

			if (r <= 0) {
				st = kcni_error(ctx, KCN_EIO, s->path, "cannot "
				    "read back the tile data");
				goto out;
			}
			if (fwrite(buf, 1, (size_t)r, fp) != (size_t)r)
				break;
			off += (uint64_t)r;
		}
	}
	if (ferror(fp) | (fclose(fp) != 0))
		st = kcni_error(ctx, KCN_EIO, s->path, "%s", strerror(errno));
	fp = NULL;
out:
	if (fp != NULL)
		fclose(fp);
	kcni_buf_free(&root);
	kcni_buf_free(&leaves);
	kcni_buf_free(&json);
	kcni_buf_free(&meta);
	free(move);
	return st;
}

/* ---- the store -------------------------------------------------------- */

struct kcni_store *
kcni_store_open(struct kcn_ctx *ctx, const char *path, int vector, int force)
{
	struct kcni_store *s = calloc(1, sizeof(*s));
	struct stat sb;
	int fd;

	if (s == NULL) {
		kcni_error(ctx, KCN_EOS, path, "out of memory");
		return NULL;
	}
	s->kind = kcni_store_kind(path);
	s->ext = vector ? "pbf" : "png";
	s->gzip = vector && s->kind != KCNI_STORE_DIR;
	s->force = force;
	s->zdir = -1;
	s->data_fd = -1;
	if (!force && lstat(path, &sb) == 0) {
		kcni_error(ctx, KCN_ECREATE, path, "exists (--force replaces "
		    "it)");
		goto fail;
	}
	if ((s->path = kcni_strdup(ctx, path)) == NULL ||
	    (s->tmp = store_tmpname(ctx, path)) == NULL)
		goto fail;
	if (s->kind == KCNI_STORE_DIR) {
		if (mkdtemp(s->tmp) == NULL) {
			kcni_error(ctx, KCN_ECREATE, path, "cannot create a "
			    "folder next to it: %s", strerror(errno));
			goto fail;
		}
		return s;
	}
	if ((fd = mkstemp(s->tmp)) < 0) {
		kcni_error(ctx, KCN_ECREATE, path, "cannot create a file next "
		    "to it: %s", strerror(errno));
		goto fail;
	}
	close(fd);
	if (s->kind == KCNI_STORE_MBTILES) {
		if (mb_open(ctx, s) != KCN_OK) {
			kcni_store_abort(s);
			return NULL;
		}
		return s;
	}
	{
		/* The tile data, gathered beside the target until the
		   directories are known. */
		char *t = store_tmpname(ctx, path);

		if (t == NULL || (s->data_fd = mkstemp(t)) < 0) {
			if (t != NULL)
				kcni_error(ctx, KCN_ECREATE, path, "cannot "
				    "create a file next to it: %s",
				    strerror(errno));
			free(t);
			kcni_store_abort(s);
			return NULL;
		}
		unlink(t);
		free(t);
	}
	return s;
fail:
	free(s->path);
	free(s->tmp);
	free(s);
	return NULL;
}

enum kcn_status
kcni_store_put(struct kcn_ctx *ctx, struct kcni_store *s, int z, uint32_t x,
    uint32_t y, const void *d, size_t n)
{
	enum kcn_status st;

	if (s->kind == KCNI_STORE_DIR)
		st = dir_put(ctx, s, z, x, y, d, n);
	else if (s->kind == KCNI_STORE_MBTILES)
		st = mb_put(ctx, s, z, x, y, d, n);
	else
		st = pmt_put(ctx, s, z, x, y, d, n);
	if (st == KCN_OK)
		s->ntiles++;
	return st;
}

long long
kcni_store_count(const struct kcni_store *s)
{
	return s->ntiles;
}

enum kcn_status
kcni_store_close(struct kcn_ctx *ctx, struct kcni_store *s,
    const struct kcni_tilemeta *m)
{
	enum kcn_status st = KCN_OK;
	char *old = NULL;
	struct stat sb;

	if (s->kind == KCNI_STORE_DIR) {
		struct kcni_buf j = { 0 };
		char p[4096];
		FILE *fp;

		store_json(&j, m);
		snprintf(p, sizeof(p), "%s/metadata.json", s->tmp);
		if (j.oom || (fp = fopen(p, "w")) == NULL) {
			st = kcni_error(ctx, KCN_EIO, p, "cannot write");
		} else {
			int bad = fwrite(j.p, 1, j.n, fp) != j.n;

			bad |= fputc('\n', fp) == EOF;
			if ((fclose(fp) != 0) | bad)
				st = kcni_error(ctx, KCN_EIO, p, "%s",
				    strerror(errno));
		}
		kcni_buf_free(&j);
		/* mkdtemp's folder is private; tiles are for serving. */
		chmod(s->tmp, 0777 & ~(mode_t)0022);
	} else if (s->kind == KCNI_STORE_MBTILES) {
		st = mb_close(ctx, s, m);
	} else {
		st = pmt_close(ctx, s, m);
	}
	if (st == KCN_OK && s->kind != KCNI_STORE_DIR)
		chmod(s->tmp, 0644);
	if (st == KCN_OK && lstat(s->path, &sb) == 0) {
		/* --force: the old one out of the way, the new one in. */
		if ((old = store_tmpname(ctx, s->path)) == NULL) {
			st = KCN_EOS;
		} else {
			int fd = S_ISDIR(sb.st_mode) ? (mkdtemp(old) ? 0 : -1) :
			    mkstemp(old);

			if (fd > 0)
				close(fd);
			if (fd < 0 || rename(s->path, old) != 0)
				st = kcni_error(ctx, KCN_ECREATE, s->path,
				    "cannot move the old one away: %s",
				    strerror(errno));
		}
	}
	if (st == KCN_OK && rename(s->tmp, s->path) != 0)
		st = kcni_error(ctx, KCN_ECREATE, s->path, "%s", strerror(errno));
	if (old != NULL) {
		if (st != KCN_OK && access(s->path, F_OK) != 0)
			rename(old, s->path);
		store_remove(old);
		free(old);
	}
	if (st == KCN_OK) {
		free(s->tmp);
		s->tmp = NULL;
	}
	kcni_store_abort(s);
	return st;
}

void
kcni_store_abort(struct kcni_store *s)
{
	if (s == NULL)
		return;
	if (s->ins != NULL)
		sqlite3_finalize(s->ins);
	if (s->db != NULL)
		sqlite3_close(s->db);
	if (s->data_fd >= 0)
		close(s->data_fd);
	if (s->tmp != NULL)
		store_remove(s->tmp);
	free(s->tmp);
	free(s->path);
	free(s->ent);
	free(s->seen);
	free(s->xmade);
	kcni_buf_free(&s->zbuf);
	free(s);
}
