/*
 * kcn-info: describe vector and raster sources.
 */
#include <getopt.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
    "usage: kcn-info [-cqv] [--json] [--progress | --no-progress] "
    "[file ...]\n";

static const char help[] =
    "Describe GIS sources: driver, layers, CRS, extent (native and lon/lat),\n"
    "feature count, geometry types, fields, text encoding, raster bands.\n"
    "With no file, or -, read standard input.\n"
    "\n"
    "  -c, --check      read every feature: geometry types, invalid, empty\n"
    "                   and null geometries; exact raster statistics\n"
    "      --json       one JSON object per source\n"
    KCN_CLI_HELP
    "\n"
    "Exit status: 0 success, 64 usage, 65 bad data, 66 cannot open input,\n"
    "70 internal error, 71 system error, 74 I/O error.\n"
    "See kcn-info(1) and kcn(7).\n";

enum { OPT_JSON = KCN_OPT_FIRST_TOOL };

static const struct option longopts[] = {
	{ "check", no_argument, NULL, 'c' },
	{ "json", no_argument, NULL, OPT_JSON },
	KCN_CLI_LONGOPTS
};

static int
has_wildcard(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

int
main(int argc, char **argv)
{
	struct kcn_cli cli;
	struct kcn_info_opts opts = { 0 };
	struct kcn_ctx *ctx;
	enum kcn_status worst = KCN_OK;
	char *stdin_only[] = { "-" };
	char **files;
	int ch, nfiles, rc;

	kcn_cli_init(&cli, "kcn-info", usage, help);
	while ((ch = getopt_long(argc, argv, "c" KCN_CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			opts.check = 1;
			break;
		case OPT_JSON:
			opts.json = 1;
			break;
		default:
			if ((rc = kcn_cli_option(&cli, ch)) != KCN_CLI_GO_ON)
				return rc;
			break;
		}
	}
	files = argc > optind ? argv + optind : stdin_only;
	nfiles = argc > optind ? argc - optind : 1;
	if ((ctx = kcn_cli_ctx(&cli)) == NULL)
		return EX_OSERR;
	for (int i = 0; i < nfiles; i++) {
		enum kcn_status st;
		glob_t g;

		/* A quoted pattern, or one the shell left alone. */
		if (has_wildcard(files[i]) && access(files[i], F_OK) != 0 &&
		    strncmp(files[i], "/vsi", 4) != 0) {
			if (glob(files[i], 0, NULL, &g) != 0) {
				fprintf(stderr, "%s: %s: no file matches\n",
				    cli.prog, files[i]);
				worst = kcn_status_worst(worst, KCN_ENOINPUT);
				continue;
			}
			for (size_t j = 0; j < g.gl_pathc; j++) {
				st = kcn_info_run(ctx, g.gl_pathv[j], &opts,
				    stdout);
				if (st != KCN_OK)
					kcn_cli_report(&cli, ctx);
				worst = kcn_status_worst(worst, st);
			}
			globfree(&g);
			continue;
		}
		st = kcn_info_run(ctx, files[i], &opts, stdout);
		if (st != KCN_OK)
			kcn_cli_report(&cli, ctx);
		worst = kcn_status_worst(worst, st);
	}
	return kcn_cli_exit(&cli, ctx, worst);
}
