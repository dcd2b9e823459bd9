/*
 * cli.h: what every kcn program does the same way around its one library
 * call: program name, messages on stderr, the progress bar, the common
 * options and the checked exit.
 */
#ifndef KCN_CLI_H
#define KCN_CLI_H

#include "kcn.h"

struct kcn_cli {
	const char *prog;	/* "kcn-info" */
	const char *usage;	/* the usage lines, as in the man page */
	const char *help;	/* the rest of --help */
	int quiet;		/* -q: errors only */
	int verbose;		/* -v: decisions too; -vv: library chatter */
	int progress;		/* draw a progress bar on stderr */
	int bar_shown;		/* a bar is on the screen and must be cleared */
	struct kcn_writer_opts *out;	/* output options go here, or NULL */
	int *threads;
	double t0;
};

/* Common long options, for getopt_long tables. */
enum {
	KCN_OPT_PROGRESS = 0x100,
	KCN_OPT_NO_PROGRESS,
	KCN_OPT_FORCE_TTY,
	KCN_OPT_FIRST_TOOL	/* tools number their own from here */
};

/* Sets the name, SIGPIPE to its default and progress by terminal. */
void kcn_cli_init(struct kcn_cli *cli, const char *prog, const char *usage,
    const char *help);

/* The short options every tool takes, for its getopt string. */
#define KCN_CLI_SHORTOPTS "hqVv"

/* The long options every tool takes, to end its getopt_long table. */
#define KCN_CLI_LONGOPTS \
	{ "help", no_argument, NULL, 'h' }, \
	{ "no-progress", no_argument, NULL, KCN_OPT_NO_PROGRESS }, \
	{ "progress", no_argument, NULL, KCN_OPT_PROGRESS }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "version", no_argument, NULL, 'V' }, \
	{ NULL, 0, NULL, 0 }

/* The --help lines of the common options, in every tool's help text. */
#define KCN_CLI_HELP \
    "  -q, --quiet      errors only\n" \
    "  -v, --verbose    say more (twice: GDAL, PROJ and GEOS messages)\n" \
    "      --progress   progress bar on stderr (default when a terminal)\n" \
    "      --no-progress\n" \
    "  -h, --help       this help\n" \
    "  -V, --version    version\n"

/*
 * The options of every tool that writes a stream (-f, -j, -o,
 * --force-tty, --threads): for its getopt string, its getopt_long table
 * (before KCN_CLI_LONGOPTS) and its --help.
 */
#define KCN_CLI_OUT_SHORTOPTS "f:j:o:"
#define KCN_CLI_OUT_LONGOPTS \
	{ "force-tty", no_argument, NULL, KCN_OPT_FORCE_TTY }, \
	{ "threads", required_argument, NULL, 'j' },
#define KCN_CLI_OUT_HELP \
    "  -f format        output format: fgb, geojsonseq, geojsonl, geojson, csv,\n" \
    "                   gpkg, shp or a GDAL driver name\n" \
    "  -j, --threads n  threads, one of them reading and writing (default:\n" \
    "                   one per core)\n" \
    "  -o file          write FILE atomically; format from its extension\n" \
    "      --force-tty  write binary output even to a terminal\n"

/*
 * Makes kcn_cli_option() take the output options too, into OUT and
 * *THREADS: for tools that write a stream.
 */
void kcn_cli_outputs(struct kcn_cli *cli, struct kcn_writer_opts *out,
    int *threads);

#define KCN_CLI_GO_ON (-1)

/*
 * Handles a common option CH (-h, -V, -q, -v, --progress, --no-progress,
 * and after kcn_cli_outputs() -f, -j, -o, --force-tty) with its OPTARG,
 * or an unknown one.  Returns KCN_CLI_GO_ON, or the exit code to return
 * now: 0 after --help or --version, EX_USAGE after a bad option.
 */
int kcn_cli_option(struct kcn_cli *cli, int ch);

/* Creates the context with the sink and progress bar installed. */
struct kcn_ctx *kcn_cli_ctx(struct kcn_cli *cli);

/* Prints "prog: WHERE: WHAT" for the context's last error. */
void kcn_cli_report(struct kcn_cli *cli, struct kcn_ctx *ctx);

/*
 * ARG as a whole number from MIN to MAX, or -1 after printing
 * "prog: OPT: ..." and the usage line (strtonum's habit).
 */
long kcn_cli_number(struct kcn_cli *cli, const char *opt, const char *arg,
    long min, long max);

/* Prints "prog: MESSAGE" and the usage line; returns the usage exit code. */
int kcn_cli_usage_error(struct kcn_cli *cli, const char *fmt, ...);

/*
 * kcn_cli_exit after one run of the library: its error reported first,
 * unless it only skipped features (KCN_REJECTED: each was reported).
 */
int kcn_cli_finish(struct kcn_cli *cli, struct kcn_ctx *ctx,
    enum kcn_status st);

/*
 * Ends the program: flushes and checks standard output (a write error is
 * EX_IOERR), clears the progress bar, frees CTX and returns the exit code
 * for ST.
 */
int kcn_cli_exit(struct kcn_cli *cli, struct kcn_ctx *ctx,
    enum kcn_status st);

#endif /* KCN_CLI_H */
