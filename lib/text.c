/*
 * text.c: attribute text to UTF-8 through iconv.  Decoding from "UTF-8"
 * itself is the validity check: iconv refuses malformed sequences.
 */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kcn_internal.h"

struct kcni_text {
	iconv_t cd;
	char *encoding;		/* NULL for UTF-8 */
	char *buf;
	size_t cap;
};

struct kcni_text *
kcni_text_new(struct kcn_ctx *ctx, const char *encoding)
{
	struct kcni_text *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		kcni_error(ctx, KCN_EOS, "encoding", "out of memory");
		return NULL;
	}
	t->cd = iconv_open("UTF-8", encoding);
	if (t->cd == (iconv_t)-1 || (strcasecmp(encoding, "UTF-8") != 0 &&
	    (t->encoding = strdup(encoding)) == NULL)) {
		if (t->cd != (iconv_t)-1)
			iconv_close(t->cd);
		free(t);
		kcni_error(ctx, KCN_EUSAGE, encoding,
		    "unknown text encoding (see iconv -l)");
		return NULL;
	}
	return t;
}

void
kcni_text_free(struct kcni_text *t)
{
	if (t == NULL)
		return;
	iconv_close(t->cd);
	free(t->encoding);
	free(t->buf);
	free(t);
}

const char *
kcni_text_encoding(const struct kcni_text *t)
{
	return t->encoding;
}

const char *
kcni_text_decode(struct kcni_text *t, const char *in)
{
	size_t inlen = strlen(in), need = inlen * 4 + 16;
	char *ip, *op;
	size_t il = inlen, ol;

	/* Plain ASCII is the same in every encoding kcn meets, and comes back
	   as IN itself. */
	for (ip = (char *)in; *ip && !(*ip & 0x80); ip++)
		;
	if (*ip == '\0')
		return in;
	ip = (char *)in;
	if (need > t->cap) {
		char *b = realloc(t->buf, need);

		if (b == NULL)
			return NULL;
		t->buf = b;
		t->cap = need;
	}
	op = t->buf;
	ol = t->cap - 1;
	iconv(t->cd, NULL, NULL, NULL, NULL);
	if (iconv(t->cd, &ip, &il, &op, &ol) == (size_t)-1)
		return NULL;
	/* Flush: some decoders (CP1258) hold a character back, waiting for
	   a combining tone mark that may follow. */
	if (iconv(t->cd, NULL, NULL, &op, &ol) == (size_t)-1)
		return NULL;
	*op = '\0';
	return t->buf;
}

int
kcni_driver_utf8(const char *driver)
{
	static const char *utf8[] = { "FlatGeobuf", "GPKG", "GeoJSON",
	    "GeoJSONSeq", "KML", "LIBKML", "GPX", "SQLite" };

	for (size_t i = 0; i < sizeof(utf8) / sizeof(utf8[0]); i++)
		if (strcmp(driver, utf8[i]) == 0)
			return 1;
	return 0;
}
