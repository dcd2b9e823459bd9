/*
 * ctx.c: the context (GEOS handle, PROJ context, error state), the routing
 * of GDAL, PROJ and GEOS messages into it, and the status to exit code map.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <cpl_conv.h>
#include <cpl_error.h>

#include "kcn_internal.h"

#define MSGLEN 1024

struct kcn_ctx {
	GEOSContextHandle_t geos;
	PJ_CONTEXT *proj;

	enum kcn_status status;
	char where[MSGLEN];
	char what[MSGLEN];

	int gdal_failed;
	char gdal_msg[MSGLEN];
	char geos_msg[MSGLEN];

	kcn_sink_fn sink;
	void *sink_ud;
	kcn_progress_fn progress;
	void *progress_ud;
	double progress_last;
	double progress_start;
	int progress_shown;

	struct kcni_coords coords;
	char note[MSGLEN];	/* what a stage did to the current feature */
	OGRFeatureH *more;	/* further output features of it */
	int nmore, capmore;
};

static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static void
ctx_global_init(void)
{
	GDALAllRegister();
	/*
	 * Same input, same bytes: GeoPackage otherwise stamps the current
	 * time into its metadata.  A user who sets the option keeps theirs.
	 */
	if (CPLGetConfigOption("OGR_CURRENT_DATE", NULL) == NULL)
		CPLSetConfigOption("OGR_CURRENT_DATE", "2000-01-01T00:00:00.000Z");
}

static void
ctx_copy_msg(char *dst, const char *src)
{
	size_t n;

	snprintf(dst, MSGLEN, "%s", src ? src : "");
	/* Messages are one line: GDAL and GEOS sometimes end with newlines. */
	n = strlen(dst);
	while (n > 0 && (dst[n - 1] == '\n' || dst[n - 1] == '\r' ||
	    dst[n - 1] == ' ' || dst[n - 1] == '.'))
		dst[--n] = '\0';
	for (char *p = dst; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

static void CPL_STDCALL
ctx_gdal_handler(CPLErr cls, CPLErrorNum num, const char *msg)
{
	struct kcn_ctx *ctx = CPLGetErrorHandlerUserData();
	char buf[MSGLEN];

	(void)num;
	if (ctx == NULL)
		return;
	ctx_copy_msg(buf, msg);
	switch (cls) {
	case CE_Failure:
	case CE_Fatal:
		ctx->gdal_failed = 1;
		memcpy(ctx->gdal_msg, buf, MSGLEN);
		kcni_msg(ctx, KCN_MSG_DEBUG, "gdal", "%s", buf);
		break;
	case CE_Warning:
		kcni_msg(ctx, KCN_MSG_WARNING, "gdal", "%s", buf);
		break;
	default:
		kcni_msg(ctx, KCN_MSG_DEBUG, "gdal", "%s", buf);
		break;
	}
}

static void
ctx_geos_error(const char *msg, void *ud)
{
	struct kcn_ctx *ctx = ud;

	ctx_copy_msg(ctx->geos_msg, msg);
}

static void
ctx_geos_notice(const char *msg, void *ud)
{
	kcni_msg(ud, KCN_MSG_DEBUG, "geos", "%s", msg);
}

static void
ctx_proj_log(void *ud, int level, const char *msg)
{
	(void)level;
	kcni_msg(ud, KCN_MSG_DEBUG, "proj", "%s", msg);
}

struct kcn_ctx *
kcn_ctx_new(void)
{
	struct kcn_ctx *ctx;

	pthread_once(&ctx_once, ctx_global_init);
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return NULL;
	ctx->geos = GEOS_init_r();
	ctx->proj = proj_context_create();
	if (ctx->geos == NULL || ctx->proj == NULL) {
		kcn_ctx_free(ctx);
		return NULL;
	}
	GEOSContext_setErrorMessageHandler_r(ctx->geos, ctx_geos_error, ctx);
	GEOSContext_setNoticeMessageHandler_r(ctx->geos, ctx_geos_notice, ctx);
	proj_log_func(ctx->proj, ctx, ctx_proj_log);
	CPLPushErrorHandlerEx(ctx_gdal_handler, ctx);
	return ctx;
}

void
kcn_ctx_free(struct kcn_ctx *ctx)
{
	if (ctx == NULL)
		return;
	if (ctx->geos != NULL && ctx->proj != NULL)
		CPLPopErrorHandler();
	if (ctx->geos != NULL)
		GEOS_finish_r(ctx->geos);
	if (ctx->proj != NULL)
		proj_context_destroy(ctx->proj);
	free(ctx->coords.x);
	free(ctx->coords.y);
	free(ctx->coords.z);
	for (int i = 0; i < ctx->nmore; i++)
		OGR_F_Destroy(ctx->more[i]);
	free(ctx->more);
	free(ctx);
}

void
kcn_ctx_set_sink(struct kcn_ctx *ctx, kcn_sink_fn fn, void *ud)
{
	ctx->sink = fn;
	ctx->sink_ud = ud;
}

void
kcni_ctx_sink(const struct kcn_ctx *ctx, kcn_sink_fn *fn, void **ud)
{
	*fn = ctx->sink;
	*ud = ctx->sink_ud;
}

void
kcni_ctx_inherit(struct kcn_ctx *ctx, const struct kcn_ctx *parent)
{
	ctx->sink = parent->sink;
	ctx->sink_ud = parent->sink_ud;
}

void
kcn_ctx_set_progress(struct kcn_ctx *ctx, kcn_progress_fn fn, void *ud)
{
	ctx->progress = fn;
	ctx->progress_ud = ud;
}

enum kcn_status
kcn_ctx_status(const struct kcn_ctx *ctx)
{
	return ctx->status;
}

const char *
kcn_ctx_where(const struct kcn_ctx *ctx)
{
	return ctx->where;
}

const char *
kcn_ctx_errmsg(const struct kcn_ctx *ctx)
{
	return ctx->what;
}

void
kcn_ctx_clear(struct kcn_ctx *ctx)
{
	ctx->status = KCN_OK;
	ctx->where[0] = ctx->what[0] = '\0';
}

GEOSContextHandle_t
kcn_ctx_geos(struct kcn_ctx *ctx)
{
	return ctx->geos;
}

PJ_CONTEXT *
kcn_ctx_proj(struct kcn_ctx *ctx)
{
	return ctx->proj;
}

void
kcn_free(void *p)
{
	free(p);
}

enum kcn_status
kcni_error(struct kcn_ctx *ctx, enum kcn_status st, const char *where,
    const char *fmt, ...)
{
	char buf[MSGLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ctx->status = st;
	ctx_copy_msg(ctx->where, where);
	ctx_copy_msg(ctx->what, buf);
	return st;
}

void
kcni_msg(struct kcn_ctx *ctx, enum kcn_level level, const char *where,
    const char *fmt, ...)
{
	char buf[MSGLEN];
	va_list ap;

	if (ctx->sink == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ctx->sink(ctx->sink_ud, level, where, buf);
}

void
kcni_gdal_reset(struct kcn_ctx *ctx)
{
	CPLErrorReset();
	ctx->gdal_failed = 0;
	ctx->gdal_msg[0] = '\0';
}

int
kcni_gdal_failed(const struct kcn_ctx *ctx)
{
	return ctx->gdal_failed || CPLGetLastErrorType() >= CE_Failure;
}

const char *
kcni_gdal_msg(const struct kcn_ctx *ctx)
{
	if (ctx->gdal_msg[0] != '\0')
		return ctx->gdal_msg;
	if (CPLGetLastErrorMsg()[0] != '\0')
		return CPLGetLastErrorMsg();
	return "unknown GDAL error";
}

const char *
kcni_geos_msg(const struct kcn_ctx *ctx)
{
	return ctx->geos_msg;
}

void
kcni_geos_reset(struct kcn_ctx *ctx)
{
	ctx->geos_msg[0] = '\0';
}

double
kcni_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void
kcni_progress(struct kcn_ctx *ctx, const char *label, double done,
    double total, int force)
{
	double now;

	if (ctx->progress == NULL)
		return;
	now = kcni_now();
	if (ctx->progress_start == 0)
		ctx->progress_start = now;
	if (force) {
		/* Work too short to have shown a bar needs no last one. */
		if (ctx->progress_shown)
			ctx->progress(ctx->progress_ud, label, done, total);
		ctx->progress_shown = 0;
		ctx->progress_start = 0;
		return;
	}
	/* Nothing for the first half second, then ten times a second. */
	if (now - ctx->progress_start < 0.5 || now - ctx->progress_last < 0.1)
		return;
	ctx->progress_last = now;
	ctx->progress_shown = 1;
	ctx->progress(ctx->progress_ud, label, done, total);
}

struct kcni_coords *
kcni_coords(struct kcn_ctx *ctx, size_t n)
{
	struct kcni_coords *c = &ctx->coords;
	size_t cap;
	double *p;

	if (n <= c->cap)
		return c;
	cap = c->cap ? c->cap : 256;
	while (cap < n)
		cap *= 2;
	if ((p = realloc(c->x, cap * sizeof(double))) == NULL)
		return NULL;
	c->x = p;
	if ((p = realloc(c->y, cap * sizeof(double))) == NULL)
		return NULL;
	c->y = p;
	if ((p = realloc(c->z, cap * sizeof(double))) == NULL)
		return NULL;
	c->z = p;
	c->cap = cap;
	return c;
}

void
kcni_note(struct kcn_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->note, sizeof(ctx->note), fmt, ap);
	va_end(ap);
}

char *
kcni_note_take(struct kcn_ctx *ctx)
{
	char *n;

	if (ctx->note[0] == '\0')
		return NULL;
	n = strdup(ctx->note);
	ctx->note[0] = '\0';
	return n;
}

enum kcn_status
kcni_emit(struct kcn_ctx *ctx, OGRFeatureH f)
{
	if (ctx->nmore == ctx->capmore) {
		int cap = ctx->capmore ? ctx->capmore * 2 : 8;
		OGRFeatureH *n = realloc(ctx->more, cap * sizeof(*n));

		if (n == NULL) {
			OGR_F_Destroy(f);
			return kcni_error(ctx, KCN_EOS, "emit", "out of memory");
		}
		ctx->more = n;
		ctx->capmore = cap;
	}
	ctx->more[ctx->nmore++] = f;
	return KCN_OK;
}

int
kcni_emit_take(struct kcn_ctx *ctx, OGRFeatureH **v)
{
	int n = ctx->nmore;

	*v = ctx->more;
	ctx->more = NULL;
	ctx->nmore = ctx->capmore = 0;
	return n;
}

char *
kcni_strdup(struct kcn_ctx *ctx, const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		kcni_error(ctx, KCN_EOS, "memory", "out of memory");
	return p;
}

/* ---- status ---------------------------------------------------------- */

static const struct {
	int code;
	const char *name;
} status_table[] = {
	[KCN_OK] = { 0, "success" },
	[KCN_REJECTED] = { 1, "some features rejected" },
	[KCN_EUSAGE] = { EX_USAGE, "usage error" },
	[KCN_EDATA] = { EX_DATAERR, "bad data" },
	[KCN_ENOINPUT] = { EX_NOINPUT, "cannot open input" },
	[KCN_EDRIVER] = { EX_UNAVAILABLE, "driver missing" },
	[KCN_ECRS] = { EX_CONFIG, "bad CRS or configuration" },
	[KCN_ECREATE] = { EX_CANTCREAT, "cannot create output" },
	[KCN_EIO] = { EX_IOERR, "input/output error" },
	[KCN_EOS] = { EX_OSERR, "system error" },
	[KCN_EINTERNAL] = { EX_SOFTWARE, "internal error" },
};

int
kcn_exit_code(enum kcn_status st)
{
	if ((unsigned)st >= sizeof(status_table) / sizeof(status_table[0]))
		return EX_SOFTWARE;
	return status_table[st].code;
}

const char *
kcn_status_name(enum kcn_status st)
{
	if ((unsigned)st >= sizeof(status_table) / sizeof(status_table[0]))
		return "unknown status";
	return status_table[st].name;
}

enum kcn_status
kcn_status_worst(enum kcn_status a, enum kcn_status b)
{
	return a > b ? a : b;
}
