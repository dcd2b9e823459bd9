/*
 * style.c: the small style format that kcn-tile (and kcn-render) draw
 * layers with: "key=value" pairs, given inline ("fill=#f00,width=2") or
 * in a file of "[layer]" sections with one "key = value" a line.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcn_internal.h"

/* Colours for layers without one, by their place on the command line. */
static const unsigned style_palette[] = {
	0x1f78b4ff, 0xe31a1cff, 0x33a02cff, 0xff7f00ff, 0x6a3d9aff,
	0xb15928ff, 0xa6cee3ff, 0xfb9a99ff
};

void
kcn_style_default(struct kcn_style *s, int index)
{
	unsigned c = style_palette[index % (int)(sizeof(style_palette) /
	    sizeof(style_palette[0]))];

	memset(s, 0, sizeof(*s));
	s->fill = (c & 0xffffff00u) | 0x66;	/* 40% opaque */
	s->stroke = c;
	s->width = 1;
	s->opacity = 1;
	s->symbol = KCN_SYMBOL_CIRCLE;
	s->size = 6;
}

void
kcn_style_free(struct kcn_style *s)
{
	if (s == NULL)
		return;
	free(s->name);
	free(s->label);
	free(s->by);
	for (int i = 0; i < s->nclasses; i++)
		free(s->classes[i].text);
	free(s->classes);
	memset(s, 0, sizeof(*s));
}

int
kcn_style_color(const char *text, unsigned *rgba)
{
	size_t n;
	unsigned v = 0;

	if (strcmp(text, "none") == 0) {
		*rgba = 0;
		return 0;
	}
	if (text[0] != '#')
		return -1;
	n = strlen(++text);
	if (n != 3 && n != 6 && n != 8)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int d = text[i];

		if (!isxdigit(d))
			return -1;
		d = isdigit(d) ? d - '0' : tolower(d) - 'a' + 10;
		v = n == 3 ? (v << 8) | (unsigned)(d * 17) : (v << 4) | (unsigned)d;
	}
	*rgba = n == 8 ? v : (v << 8) | 0xff;
	return 0;
}

/* Parses "V:#colour V:#colour ..." into S's classes. */
static enum kcn_status
style_classes(struct kcn_ctx *ctx, struct kcn_style *s, const char *where,
    const char *key, const char *val, int graduated)
{
	char *copy = kcni_strdup(ctx, val), *save = NULL, *tok;
	enum kcn_status st = KCN_OK;

	if (copy == NULL)
		return KCN_EOS;
	for (int i = 0; i < s->nclasses; i++)
		free(s->classes[i].text);
	free(s->classes);
	s->classes = NULL;
	s->nclasses = 0;
	s->graduated = graduated;
	for (tok = strtok_r(copy, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save)) {
		char *colon = strrchr(tok, ':'), *end;
		struct kcn_style_class c = { 0 }, *grown;

		if (colon == NULL || colon == tok ||
		    kcn_style_color(colon + 1, &c.rgba) != 0) {
			st = kcni_error(ctx, KCN_EUSAGE, where, "%s: '%s' is not "
			    "VALUE:#RRGGBB", key, tok);
			break;
		}
		*colon = '\0';
		if (graduated) {
			errno = 0;
			c.value = strtod(tok, &end);
			if (*end != '\0' || errno != 0 || !isfinite(c.value) ||
			    (s->nclasses > 0 &&
			    c.value <= s->classes[s->nclasses - 1].value)) {
				st = kcni_error(ctx, KCN_EUSAGE, where, "%s: '%s' "
				    "is not a number above the break before it",
				    key, tok);
				break;
			}
		} else if ((c.text = kcni_strdup(ctx, tok)) == NULL) {
			st = KCN_EOS;
			break;
		}
		grown = realloc(s->classes, (size_t)(s->nclasses + 1) *
		    sizeof(*grown));
		if (grown == NULL) {
			free(c.text);
			st = kcni_error(ctx, KCN_EOS, where, "out of memory");
			break;
		}
		s->classes = grown;
		s->classes[s->nclasses++] = c;
	}
	if (st == KCN_OK && s->nclasses == 0)
		st = kcni_error(ctx, KCN_EUSAGE, where, "%s: no classes", key);
	free(copy);
	return st;
}

/* A number in [LO, HI], or an error naming KEY. */
static enum kcn_status
style_number(struct kcn_ctx *ctx, const char *where, const char *key,
    const char *val, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(val, &end);
	if (end == val || *end != '\0' || errno != 0 || !(v >= lo && v <= hi))
		return kcni_error(ctx, KCN_EUSAGE, where, "%s: '%s' is not a "
		    "number from %g to %g", key, val, lo, hi);
	*out = v;
	return KCN_OK;
}

/* Replaces the string *P by a copy of VAL ("" or "none": no string). */
static enum kcn_status
style_string(struct kcn_ctx *ctx, char **p, const char *val)
{
	free(*p);
	*p = NULL;
	if (*val == '\0' || strcmp(val, "none") == 0)
		return KCN_OK;
	return (*p = kcni_strdup(ctx, val)) == NULL ? KCN_EOS : KCN_OK;
}

enum kcn_status
kcn_style_set(struct kcn_ctx *ctx, struct kcn_style *s, const char *where,
    const char *key, const char *val)
{
	unsigned c;

	if (strcmp(key, "fill") == 0 || strcmp(key, "stroke") == 0) {
		if (kcn_style_color(val, &c) != 0)
			return kcni_error(ctx, KCN_EUSAGE, where, "%s: '%s' is "
			    "not a colour: #RGB, #RRGGBB, #RRGGBBAA or none",
			    key, val);
		*(key[0] == 'f' ? &s->fill : &s->stroke) = c;
		return KCN_OK;
	}
	if (strcmp(key, "width") == 0)
		return style_number(ctx, where, key, val, 0, 100, &s->width);
	if (strcmp(key, "opacity") == 0)
		return style_number(ctx, where, key, val, 0, 1, &s->opacity);
	if (strcmp(key, "size") == 0)
		return style_number(ctx, where, key, val, 0, 200, &s->size);
	if (strcmp(key, "symbol") == 0) {
		if (strcmp(val, "circle") == 0)
			s->symbol = KCN_SYMBOL_CIRCLE;
		else if (strcmp(val, "square") == 0)
			s->symbol = KCN_SYMBOL_SQUARE;
		else if (strcmp(val, "none") == 0)
			s->symbol = KCN_SYMBOL_NONE;
		else
			return kcni_error(ctx, KCN_EUSAGE, where, "symbol: '%s' "
			    "is not circle, square or none", val);
		return KCN_OK;
	}
	if (strcmp(key, "zoomout") == 0) {
		if (strcmp(val, "auto") == 0)
			s->zoomout = KCN_ZOOMOUT_AUTO;
		else if (strcmp(val, "draw") == 0)
			s->zoomout = KCN_ZOOMOUT_DRAW;
		else if (strcmp(val, "average") == 0)
			s->zoomout = KCN_ZOOMOUT_AVERAGE;
		else
			return kcni_error(ctx, KCN_EUSAGE, where, "zoomout: "
			    "'%s' is not auto, draw or average", val);
		return KCN_OK;
	}
	if (strcmp(key, "name") == 0) {
		if (*val == '\0')
			return kcni_error(ctx, KCN_EUSAGE, where, "name: empty");
		return style_string(ctx, &s->name, val);
	}
	if (strcmp(key, "label") == 0)
		return style_string(ctx, &s->label, val);
	if (strcmp(key, "by") == 0)
		return style_string(ctx, &s->by, val);
	if (strcmp(key, "classes") == 0)
		return style_classes(ctx, s, where, key, val, 1);
	if (strcmp(key, "colors") == 0 || strcmp(key, "colours") == 0)
		return style_classes(ctx, s, where, key, val, 0);
	return kcni_error(ctx, KCN_EUSAGE, where, "unknown style key '%s' "
	    "(fill, stroke, width, opacity, symbol, size, label, by, classes, "
	    "colors, zoomout, name)", key);
}

/* Trims white space off both ends of S, in place. */
static char *
style_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Sets "KEY=VALUE" (or "KEY = VALUE"), the pair in PAIR (changed). */
static enum kcn_status
style_pair(struct kcn_ctx *ctx, struct kcn_style *s, const char *where,
    char *pair)
{
	char *eq = strchr(pair, '=');

	if (eq == NULL)
		return kcni_error(ctx, KCN_EUSAGE, where, "'%s' is not "
		    "KEY=VALUE", style_trim(pair));
	*eq = '\0';
	return kcn_style_set(ctx, s, where, style_trim(pair),
	    style_trim(eq + 1));
}

enum kcn_status
kcn_style_parse(struct kcn_ctx *ctx, struct kcn_style *s, const char *where,
    const char *text)
{
	char *copy = kcni_strdup(ctx, text), *p, *comma;
	enum kcn_status st = KCN_OK;

	if (copy == NULL)
		return KCN_EOS;
	for (p = copy; st == KCN_OK; p = comma + 1) {
		if ((comma = strchr(p, ',')) != NULL)
			*comma = '\0';
		if (*style_trim(p) != '\0')
			st = style_pair(ctx, s, where, p);
		if (comma == NULL)
			break;
	}
	free(copy);
	return st;
}

enum kcn_status
kcn_style_file(struct kcn_ctx *ctx, const char *path, const char *layer,
    struct kcn_style *s, int *found)
{
	FILE *fp = fopen(path, "r");
	char line[4096], where[1200], *l;
	int lineno = 0, in = 0;
	enum kcn_status st = KCN_OK;

	if (found != NULL)
		*found = 0;
	if (fp == NULL)
		return kcni_error(ctx, KCN_ENOINPUT, path, "%s",
		    strerror(errno));
	while (st == KCN_OK && fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			st = kcni_error(ctx, KCN_EUSAGE, where, "line too long");
			break;
		}
		l = style_trim(line);
		if (*l == '\0' || *l == '#' || *l == ';')
			continue;
		if (*l == '[') {
			char *end = strchr(l, ']');

			if (end == NULL || end[1] != '\0') {
				st = kcni_error(ctx, KCN_EUSAGE, where, "'%s' is "
				    "not a [layer] heading", l);
				break;
			}
			*end = '\0';
			in = strcmp(style_trim(l + 1), layer) == 0 ||
			    strcmp(style_trim(l + 1), "*") == 0;
			if (in && found != NULL && strcmp(l + 1, "*") != 0)
				*found = 1;
			continue;
		}
		if (!strchr(l, '='))
			st = kcni_error(ctx, KCN_EUSAGE, where, "'%s' is not "
			    "KEY = VALUE", l);
		else if (in)
			st = style_pair(ctx, s, where, l);
	}
	if (st == KCN_OK && ferror(fp))
		st = kcni_error(ctx, KCN_EIO, path, "%s", strerror(errno));
	fclose(fp);
	return st;
}

unsigned
kcn_style_pick(const struct kcn_style *s, const char *text, double value,
    int has_value)
{
	if (s->nclasses == 0)
		return s->fill;
	if (!s->graduated) {
		for (int i = 0; text != NULL && i < s->nclasses; i++)
			if (strcmp(s->classes[i].text, text) == 0)
				return s->classes[i].rgba;
		return s->fill;
	}
	if (!has_value || value < s->classes[0].value)
		return s->fill;
	for (int i = s->nclasses - 1; i >= 0; i--)
		if (value >= s->classes[i].value)
			return s->classes[i].rgba;
	return s->fill;
}
