/*
 * preview.c: kcn-tile's preview page: the web map page of the project's
 * web/ folder (built from npm packages by scripts/install-web.sh) copied
 * next to the tiles, with the tile set and its styles filled in, so that
 * a browser shows them without a network.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kcn_internal.h"

#define PV_MARK "/*KCN_CONFIG*/"

#ifndef KCN_WEBDIR
#define KCN_WEBDIR "web/dist"
#endif
#ifndef KCN_WEBDIR_INSTALLED
#define KCN_WEBDIR_INSTALLED "/usr/local/share/kcn/web"
#endif

/* The folder of the page's files: $KCN_WEBDIR, the build's, the
   installed one; NULL when none holds the page. */
static const char *
pv_webdir(void)
{
	const char *env = getenv("KCN_WEBDIR"), *dirs[3];
	char p[4200];

	dirs[0] = env != NULL && *env != '\0' ? env : NULL;
	dirs[1] = KCN_WEBDIR;
	dirs[2] = KCN_WEBDIR_INSTALLED;
	for (int i = 0; i < 3; i++) {
		if (dirs[i] == NULL)
			continue;
		snprintf(p, sizeof(p), "%s/index.html", dirs[i]);
		if (access(p, R_OK) == 0)
			return dirs[i];
		if (i == 0)
			return NULL;	/* asked for, not there: no guessing */
	}
	return NULL;
}

enum kcn_status
kcni_preview_check(struct kcn_ctx *ctx, const char *output)
{
	if (kcni_store_kind(output) == KCNI_STORE_MBTILES)
		return kcni_error(ctx, KCN_EUSAGE, "--preview", "browsers "
		    "cannot read MBTiles without a server: a folder or "
		    ".pmtiles, please");
	if (pv_webdir() == NULL)
		return kcni_error(ctx, KCN_ECRS, "--preview", "the page's "
		    "files are not installed (scripts/install-web.sh, which "
		    "make runs, puts them in web/dist; KCN_WEBDIR names "
		    "another folder)");
	return KCN_OK;
}

/* Copies file FROM to TO. */
static enum kcn_status
pv_copy(struct kcn_ctx *ctx, const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out;
	char buf[65536];
	size_t n;
	int bad = 0;

	if (in == NULL)
		return kcni_error(ctx, KCN_ENOINPUT, from, "%s", strerror(errno));
	if ((out = fopen(to, "wb")) == NULL) {
		fclose(in);
		return kcni_error(ctx, KCN_ECREATE, to, "%s", strerror(errno));
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		bad |= fwrite(buf, 1, n, out) != n;
	bad |= ferror(in);
	fclose(in);
	if ((fclose(out) != 0) | bad)
		return kcni_error(ctx, KCN_EIO, to, "%s", strerror(errno));
	return KCN_OK;
}

static void
pv_str(struct kcni_buf *b, const char *s)
{
	kcni_buf_put(b, "\"", 1);
	for (; s != NULL && *s != '\0'; s++) {
		char esc[8];

		if (*s == '"' || *s == '\\' || *s == '<' ||
		    (unsigned char)*s < 0x20) {
			/* "<" too: the JSON sits in a script element. */
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned char)*s);
			kcni_buf_put(b, esc, 6);
		} else {
			kcni_buf_put(b, s, 1);
		}
	}
	kcni_buf_put(b, "\"", 1);
}

static void
pv_printf(struct kcni_buf *b, const char *fmt, ...) KCNI_PRINTF(2, 3);

static void
pv_printf(struct kcni_buf *b, const char *fmt, ...)
{
	char t[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t, sizeof(t), fmt, ap);
	va_end(ap);
	if (n > 0)
		kcni_buf_put(b, t, (size_t)n < sizeof(t) ? (size_t)n :
		    sizeof(t) - 1);
}

static void
pv_color(struct kcni_buf *b, unsigned c)
{
	if ((c & 0xff) == 0)
		kcni_buf_put(b, "null", 4);
	else
		pv_printf(b, "\"#%08x\"", c);
}

/* The page's configuration: the tile set and its layers' styles. */
static void
pv_config(struct kcni_buf *b, const struct kcn_tile_opts *o,
    const char *name, const char *url, const double ll[4], const int *kinds,
    const uint64_t *runs, size_t nruns)
{
	static const char *const kind[] = { "mixed", "point", "line",
	    "polygon" };
	static const char *const sym[] = { "circle", "square", "none" };

	kcni_buf_put(b, "window.KCN_CONFIG = {\"name\":", 28);
	pv_str(b, name);
	pv_printf(b, ",\"format\":\"%s\",\"store\":\"%s\",\"url\":",
	    o->vector ? "pbf" : "png", kcni_store_kind(o->output) ==
	    KCNI_STORE_DIR ? "folder" : "pmtiles");
	pv_str(b, url);
	pv_printf(b, ",\"bounds\":[%.7f,%.7f,%.7f,%.7f],\"minzoom\":%d,"
	    "\"maxzoom\":%d,\"scale\":%d,\"layers\":[", ll[0], ll[1], ll[2],
	    ll[3], o->zmin, o->zmax, o->scale == 2 ? 2 : 1);
	for (int l = 0; l < o->nlayers; l++) {
		const struct kcn_style *s = &o->layers[l].style;

		kcni_buf_put(b, l ? ",{\"name\":" : "{\"name\":", l ? 9 : 8);
		pv_str(b, s->name);
		pv_printf(b, ",\"kind\":\"%s\",\"fill\":", kind[kinds[l]]);
		pv_color(b, s->fill);
		kcni_buf_put(b, ",\"stroke\":", 10);
		pv_color(b, s->stroke);
		pv_printf(b, ",\"width\":%g,\"opacity\":%g,\"symbol\":\"%s\","
		    "\"size\":%g,\"label\":", s->width, s->opacity,
		    sym[s->symbol], s->size);
		if (s->label != NULL)
			pv_str(b, s->label);
		else
			kcni_buf_put(b, "null", 4);
		kcni_buf_put(b, ",\"by\":", 6);
		if (s->by != NULL)
			pv_str(b, s->by);
		else
			kcni_buf_put(b, "null", 4);
		pv_printf(b, ",\"graduated\":%s,\"classes\":[", s->graduated ?
		    "true" : "false");
		for (int c = 0; c < s->nclasses; c++) {
			if (c)
				kcni_buf_put(b, ",", 1);
			if (s->graduated) {
				pv_printf(b, "{\"value\":%.17g", s->classes[c].value);
			} else {
				kcni_buf_put(b, "{\"text\":", 8);
				pv_str(b, s->classes[c].text);
			}
			kcni_buf_put(b, ",\"color\":", 9);
			pv_color(b, s->classes[c].rgba);
			kcni_buf_put(b, "}", 1);
		}
		kcni_buf_put(b, "]}", 2);
	}
	kcni_buf_put(b, "]", 1);
	if (kcni_store_kind(o->output) == KCNI_STORE_DIR) {
		/* The tiles there: start and length of each run of ids. */
		kcni_buf_put(b, ",\"tiles\":[", 10);
		for (size_t i = 0; i < nruns; i++)
			pv_printf(b, "%s%llu,%llu", i ? "," : "",
			    (unsigned long long)runs[2 * i],
			    (unsigned long long)runs[2 * i + 1]);
		kcni_buf_put(b, "]", 1);
	}
	kcni_buf_put(b, "};\n", 3);
}

enum kcn_status
kcni_preview_write(struct kcn_ctx *ctx, const struct kcn_tile_opts *o,
    const char *name, const double ll[4], const int *kinds,
    const uint64_t *runs, size_t nruns)
{
	const char *web = pv_webdir(), *slash;
	char dir[4096], p[4400], q[4400], url[1100], line[65536];
	struct kcni_buf cfg = { 0 }, page = { 0 };
	enum kcn_status st = KCN_OK;
	struct dirent *de;
	FILE *fp;
	DIR *d;
	int found = 0, bad;

	if (web == NULL)
		return kcni_preview_check(ctx, o->output);
	if (kcni_store_kind(o->output) == KCNI_STORE_DIR) {
		snprintf(dir, sizeof(dir), "%s", o->output);
		snprintf(url, sizeof(url), "{z}/{x}/{y}.%s", o->vector ? "pbf" :
		    "png");
	} else {
		slash = strrchr(o->output, '/');
		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash -
		    o->output) : 1, slash ? o->output : ".");
		if (*dir == '\0')
			snprintf(dir, sizeof(dir), "/");
		snprintf(url, sizeof(url), "%s", slash ? slash + 1 : o->output);
	}
	pv_config(&cfg, o, name, url, ll, kinds, runs, nruns);
	/* The page's files. */
	snprintf(p, sizeof(p), "%s/kcn-web", dir);
	if (mkdir(p, 0777) != 0 && errno != EEXIST)
		return kcni_error(ctx, KCN_ECREATE, p, "%s", strerror(errno));
	if ((d = opendir(web)) == NULL)
		return kcni_error(ctx, KCN_ENOINPUT, web, "%s", strerror(errno));
	while (st == KCN_OK && (de = readdir(d)) != NULL) {
		struct stat sb;

		snprintf(p, sizeof(p), "%s/%s", web, de->d_name);
		if (de->d_name[0] == '.' || strcmp(de->d_name, "index.html") ==
		    0 || stat(p, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		snprintf(q, sizeof(q), "%s/kcn-web/%s", dir, de->d_name);
		st = pv_copy(ctx, p, q);
	}
	closedir(d);
	if (st != KCN_OK)
		goto out;
	/* The page, its marked line replaced by the configuration. */
	snprintf(p, sizeof(p), "%s/index.html", web);
	if ((fp = fopen(p, "r")) == NULL) {
		st = kcni_error(ctx, KCN_ENOINPUT, p, "%s", strerror(errno));
		goto out;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (!found && strstr(line, PV_MARK) != NULL) {
			kcni_buf_put(&page, cfg.p, cfg.n);
			found = 1;
		} else {
			kcni_buf_put(&page, line, strlen(line));
		}
	}
	fclose(fp);
	if (!found || cfg.oom || page.oom) {
		st = kcni_error(ctx, found ? KCN_EOS : KCN_EINTERNAL, p, "%s",
		    found ? "out of memory" : "no " PV_MARK " line");
		goto out;
	}
	snprintf(p, sizeof(p), "%s/.index.html.kcn", dir);
	snprintf(q, sizeof(q), "%s/index.html", dir);
	if ((fp = fopen(p, "w")) == NULL) {
		st = kcni_error(ctx, KCN_ECREATE, q, "%s", strerror(errno));
		goto out;
	}
	bad = fwrite(page.p, 1, page.n, fp) != page.n;
	if ((fclose(fp) != 0) | bad || rename(p, q) != 0) {
		unlink(p);
		st = kcni_error(ctx, KCN_EIO, q, "%s", strerror(errno));
		goto out;
	}
	kcni_msg(ctx, KCN_MSG_INFO, q, "preview page written");
out:
	kcni_buf_free(&cfg);
	kcni_buf_free(&page);
	return st;
}
