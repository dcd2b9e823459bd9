/*
 * mvt.c: Mapbox Vector Tile 2.1 encoding: the few protocol buffer
 * messages of the format (Tile, Layer, Feature, Value), written straight
 * into byte buffers.
 */
#include <stdlib.h>
#include <string.h>

#include "kcn_internal.h"

enum { PBF_VARINT = 0, PBF_I64 = 1, PBF_LEN = 2 };

int
kcni_buf_grow(struct kcni_buf *b, size_t more)
{
	unsigned char *p;
	size_t cap;

	if (b->oom)
		return -1;
	if (b->n + more <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->n + more)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL) {
		b->oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void
kcni_buf_put(struct kcni_buf *b, const void *d, size_t n)
{
	if (n == 0 || kcni_buf_grow(b, n) != 0)
		return;
	memcpy(b->p + b->n, d, n);
	b->n += n;
}

void
kcni_buf_free(struct kcni_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void
kcni_pbf_varint(struct kcni_buf *b, uint64_t v)
{
	unsigned char tmp[10];
	size_t n = 0;

	do {
		tmp[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
	kcni_buf_put(b, tmp, n);
}

static void
pbf_key(struct kcni_buf *b, unsigned field, unsigned wire)
{
	kcni_pbf_varint(b, (uint64_t)field << 3 | wire);
}

static void
pbf_bytes(struct kcni_buf *b, unsigned field, const void *d, size_t n)
{
	pbf_key(b, field, PBF_LEN);
	kcni_pbf_varint(b, n);
	kcni_buf_put(b, d, n);
}

static void
pbf_packed(struct kcni_buf *b, unsigned field, const uint32_t *v, size_t n)
{
	size_t len = 0;

	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++)
		for (uint32_t x = v[i]; ; x >>= 7) {
			len++;
			if (x <= 0x7f)
				break;
		}
	pbf_key(b, field, PBF_LEN);
	kcni_pbf_varint(b, len);
	for (size_t i = 0; i < n; i++)
		kcni_pbf_varint(b, v[i]);
}

static uint32_t
zigzag(int32_t v)
{
	return ((uint32_t)v << 1) ^ (uint32_t)(v >> 31);
}

void
kcni_mvt_value_string(struct kcni_mvt_layer *l, const char *s)
{
	l->msg.n = 0;
	pbf_bytes(&l->msg, 1, s, strlen(s));
	pbf_bytes(&l->values, 4, l->msg.p, l->msg.n);
	l->oom |= l->msg.oom;
}

void
kcni_mvt_value_double(struct kcni_mvt_layer *l, double d)
{
	unsigned char v[11];
	uint64_t bits;

	memcpy(&bits, &d, 8);
	v[0] = 3 << 3 | PBF_I64;
	for (int i = 0; i < 8; i++)
		v[1 + i] = (unsigned char)(bits >> (8 * i));
	pbf_bytes(&l->values, 4, v, 9);
}

void
kcni_mvt_value_int(struct kcni_mvt_layer *l, int64_t i)
{
	/* sint_value: zigzag, small either side of zero. */
	l->msg.n = 0;
	pbf_key(&l->msg, 6, PBF_VARINT);
	kcni_pbf_varint(&l->msg, ((uint64_t)i << 1) ^ (uint64_t)(i >> 63));
	pbf_bytes(&l->values, 4, l->msg.p, l->msg.n);
	l->oom |= l->msg.oom;
}

void
kcni_mvt_key(struct kcni_mvt_layer *l, const char *name)
{
	pbf_bytes(&l->keys, 3, name, strlen(name));
}

int
kcni_u32_push(struct kcni_u32v *v, uint32_t x)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		uint32_t *p = realloc(v->v, cap * sizeof(*p));

		if (p == NULL) {
			v->oom = 1;
			return -1;
		}
		v->v = p;
		v->cap = cap;
	}
	v->v[v->n++] = x;
	return 0;
}

void
kcni_u32_free(struct kcni_u32v *v)
{
	free(v->v);
	memset(v, 0, sizeof(*v));
}

void
kcni_mvt_geom_begin(struct kcni_mvt_geom *g)
{
	g->cmd.n = 0;
	g->cx = g->cy = 0;
}

/* Adds command ID with COUNT repeats. */
static void
mvt_cmd(struct kcni_mvt_geom *g, uint32_t id, uint32_t count)
{
	kcni_u32_push(&g->cmd, (count << 3) | id);
}

static void
mvt_xy(struct kcni_mvt_geom *g, int32_t x, int32_t y)
{
	kcni_u32_push(&g->cmd, zigzag(x - g->cx));
	kcni_u32_push(&g->cmd, zigzag(y - g->cy));
	g->cx = x;
	g->cy = y;
}

void
kcni_mvt_geom_points(struct kcni_mvt_geom *g, const int32_t *xy, size_t n)
{
	if (n == 0)
		return;
	mvt_cmd(g, 1, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		mvt_xy(g, xy[2 * i], xy[2 * i + 1]);
}

/* MoveTo the first of N points, LineTo the others. */
static void
mvt_path(struct kcni_mvt_geom *g, const int32_t *xy, size_t n)
{
	mvt_cmd(g, 1, 1);
	mvt_xy(g, xy[0], xy[1]);
	mvt_cmd(g, 2, (uint32_t)(n - 1));
	for (size_t i = 1; i < n; i++)
		mvt_xy(g, xy[2 * i], xy[2 * i + 1]);
}

void
kcni_mvt_geom_line(struct kcni_mvt_geom *g, const int32_t *xy, size_t n)
{
	if (n >= 2)
		mvt_path(g, xy, n);
}

void
kcni_mvt_geom_ring(struct kcni_mvt_geom *g, const int32_t *xy, size_t n)
{
	/* N points without the closing one; ClosePath draws back. */
	if (n < 3)
		return;
	mvt_path(g, xy, n);
	mvt_cmd(g, 7, 1);
}

size_t
kcni_mvt_feature(struct kcni_mvt_layer *l, uint64_t id, int has_id,
    const uint32_t *tags, size_t ntags, int type,
    const struct kcni_mvt_geom *g)
{
	struct kcni_buf *f = &l->msg;
	size_t before = l->features.n;

	f->n = 0;
	if (has_id) {
		pbf_key(f, 1, PBF_VARINT);
		kcni_pbf_varint(f, id);
	}
	pbf_packed(f, 2, tags, ntags);
	pbf_key(f, 3, PBF_VARINT);
	kcni_pbf_varint(f, (uint64_t)type);
	pbf_packed(f, 4, g->cmd.v, g->cmd.n);
	pbf_bytes(&l->features, 2, f->p, f->n);
	l->oom |= f->oom || g->cmd.oom;
	l->nfeatures++;
	return l->features.n - before;
}

void
kcni_mvt_layer_reset(struct kcni_mvt_layer *l)
{
	l->features.n = l->keys.n = l->values.n = 0;
	l->nfeatures = 0;
	l->oom = 0;
}

void
kcni_mvt_layer_free(struct kcni_mvt_layer *l)
{
	kcni_buf_free(&l->features);
	kcni_buf_free(&l->keys);
	kcni_buf_free(&l->values);
	kcni_buf_free(&l->msg);
}

void
kcni_mvt_layer_end(struct kcni_buf *tile, const struct kcni_mvt_layer *l,
    const char *name, unsigned extent)
{
	struct kcni_buf m = { 0 };

	pbf_key(&m, 15, PBF_VARINT);
	kcni_pbf_varint(&m, 2);
	pbf_bytes(&m, 1, name, strlen(name));
	kcni_buf_put(&m, l->features.p, l->features.n);
	kcni_buf_put(&m, l->keys.p, l->keys.n);
	kcni_buf_put(&m, l->values.p, l->values.n);
	pbf_key(&m, 5, PBF_VARINT);
	kcni_pbf_varint(&m, extent);
	pbf_bytes(tile, 3, m.p, m.n);
	tile->oom |= m.oom || l->oom;
	kcni_buf_free(&m);
}
