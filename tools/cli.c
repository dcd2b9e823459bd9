/*
 * cli.c: the shared shell of the kcn programs (see cli.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static double
cli_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void
kcn_cli_init(struct kcn_cli *cli, const char *prog, const char *usage,
    const char *help)
{
	memset(cli, 0, sizeof(*cli));
	cli->prog = prog;
	cli->usage = usage;
	cli->help = help;
	/* "kcn-info x | head -1" must end quietly, even if the caller
	   ignored SIGPIPE for us. */
	signal(SIGPIPE, SIG_DFL);
	cli->progress = isatty(STDERR_FILENO);
}

int
kcn_cli_option(struct kcn_cli *cli, int ch)
{
	if (cli->out != NULL)
		switch (ch) {
		case 'f':
			cli->out->format = optarg;
			return KCN_CLI_GO_ON;
		case 'j':
			return (*cli->threads = kcn_cli_number(cli, "-j", optarg,
			    1, 256)) < 0 ? EX_USAGE : KCN_CLI_GO_ON;
		case 'o':
			cli->out->path = optarg;
			return KCN_CLI_GO_ON;
		case KCN_OPT_FORCE_TTY:
			cli->out->allow_tty = 1;
			return KCN_CLI_GO_ON;
		}
	switch (ch) {
	case 'h':
		printf("%s\n%s", cli->usage, cli->help);
		return 0;
	case 'V':
		printf("%s %s\n", cli->prog, KCN_VERSION);
		return 0;
	case 'q':
		cli->quiet = 1;
		return KCN_CLI_GO_ON;
	case 'v':
		cli->verbose++;
		return KCN_CLI_GO_ON;
	case KCN_OPT_PROGRESS:
		cli->progress = 1;
		return KCN_CLI_GO_ON;
	case KCN_OPT_NO_PROGRESS:
		cli->progress = 0;
		return KCN_CLI_GO_ON;
	default:
		/* getopt has said what was wrong. */
		fputs(cli->usage, stderr);
		return EX_USAGE;
	}
}

static void
cli_clear_bar(struct kcn_cli *cli)
{
	if (cli->bar_shown) {
		fputs("\r\033[K", stderr);
		cli->bar_shown = 0;
	}
}

static void
cli_sink(void *ud, enum kcn_level level, const char *where, const char *what)
{
	struct kcn_cli *cli = ud;

	if (level == KCN_MSG_WARNING && cli->quiet)
		return;
	if (level == KCN_MSG_INFO && cli->verbose < 1)
		return;
	if (level == KCN_MSG_DEBUG && cli->verbose < 2)
		return;
	cli_clear_bar(cli);
	if (where != NULL && *where)
		fprintf(stderr, "%s: %s: %s\n", cli->prog, where, what);
	else
		fprintf(stderr, "%s: %s\n", cli->prog, what);
}

static void
cli_progress(void *ud, const char *label, double done, double total)
{
	struct kcn_cli *cli = ud;
	struct winsize ws;
	char buf[512];
	int width = 80;

	if (!cli->progress)
		return;
	if (cli->t0 == 0)
		cli->t0 = cli_now();
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		width = ws.ws_col < sizeof(buf) ? ws.ws_col : sizeof(buf) - 1;
	kcn_progress_format(buf, sizeof(buf), width - 1,
	    label, done, total, cli_now() - cli->t0);
	fprintf(stderr, "\r%s\033[K", buf);
	cli->bar_shown = 1;
	if (done < 0 || (total > 0 && done >= total)) {
		fputc('\n', stderr);
		cli->bar_shown = 0;
		cli->t0 = 0;
	}
}

struct kcn_ctx *
kcn_cli_ctx(struct kcn_cli *cli)
{
	struct kcn_ctx *ctx = kcn_ctx_new();

	if (ctx == NULL) {
		fprintf(stderr, "%s: cannot initialise: out of memory\n",
		    cli->prog);
		return NULL;
	}
	kcn_ctx_set_sink(ctx, cli_sink, cli);
	kcn_ctx_set_progress(ctx, cli_progress, cli);
	return ctx;
}

void
kcn_cli_report(struct kcn_cli *cli, struct kcn_ctx *ctx)
{
	const char *where = kcn_ctx_where(ctx), *what = kcn_ctx_errmsg(ctx);

	cli_clear_bar(cli);
	if (*what == '\0')
		what = kcn_status_name(kcn_ctx_status(ctx));
	if (*where)
		fprintf(stderr, "%s: %s: %s\n", cli->prog, where, what);
	else
		fprintf(stderr, "%s: %s\n", cli->prog, what);
	kcn_ctx_clear(ctx);
}

int
kcn_cli_usage_error(struct kcn_cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", cli->usage);
	return EX_USAGE;
}

long
kcn_cli_number(struct kcn_cli *cli, const char *opt, const char *arg,
    long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "%s: %s: '%s' is not a number from %ld to %ld\n"
		    "%s", cli->prog, opt, arg, min, max, cli->usage);
		return -1;
	}
	return v;
}

int
kcn_cli_exit(struct kcn_cli *cli, struct kcn_ctx *ctx, enum kcn_status st)
{
	cli_clear_bar(cli);
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: stdout: write error: %s\n", cli->prog,
		    strerror(errno ? errno : EIO));
		st = kcn_status_worst(st, KCN_EIO);
	}
	kcn_ctx_free(ctx);
	return kcn_exit_code(st);
}

int
kcn_cli_finish(struct kcn_cli *cli, struct kcn_ctx *ctx, enum kcn_status st)
{
	if (st != KCN_OK && st != KCN_REJECTED)
		kcn_cli_report(cli, ctx);
	return kcn_cli_exit(cli, ctx, st);
}

void
kcn_cli_outputs(struct kcn_cli *cli, struct kcn_writer_opts *out,
    int *threads)
{
	cli->out = out;
	cli->threads = threads;
	out->stdout_is_tty = isatty(STDOUT_FILENO);
}
