/*
 * kcn-reproject: reproject a kcn stream with one honest PROJ operation.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
    "usage: kcn-reproject [-qv] -t srs [-f format] [-j threads] [-l layer]\n"
    "                     [-o file] [-s srs] [--allow-ballpark]\n"
    "                     [--densify metres] [--force-2d] [--force-tty]\n"
    "                     [--progress | --no-progress] [file]\n";

static const char help[] =
    "Reproject one layer of any GDAL vector source (or - for standard input)\n"
    "to the CRS of -t, with the one coordinate operation PROJ ranks best for\n"
    "the data's extent, and write a kcn stream: FlatGeobuf on standard output,\n"
    "or the format of -o FILE.  Feature order is kept.\n"
    "\n"
    "  -t srs           target CRS: EPSG:n, WKT, PROJ string, or utm, laea,\n"
    "                   local (chosen from the data's extent)\n"
    KCN_CLI_OUT_HELP
    "  -l layer         the layer to read (default: the first)\n"
    "  -s srs           the source's CRS, replacing what it says\n"
    "      --allow-ballpark\n"
    "                   accept a ballpark transformation (no datum shift\n"
    "                   known: positions may be off by 100 m or more)\n"
    "      --densify metres\n"
    "                   add vertices so that no edge is longer, before\n"
    "                   transforming, so edges follow the projection\n"
    "      --force-2d   drop Z coordinates\n"
    KCN_CLI_HELP
    "\n"
    "-v says the operation used: its name, accuracy in metres and grids.\n"
    "\n"
    "Exit status: 0 success, 1 some features skipped (each reported), 64 usage,\n"
    "65 bad data, 66 cannot open input, 69 driver missing, 70 internal error,\n"
    "71 system error, 73 cannot create output, 74 I/O error, 78 bad or\n"
    "missing CRS, or only a ballpark transformation.\n"
    "See kcn-reproject(1) and kcn(7).\n";

enum {
	OPT_ALLOW_BALLPARK = KCN_OPT_FIRST_TOOL,
	OPT_DENSIFY,
	OPT_FORCE_2D
};

static const struct option longopts[] = {
	{ "allow-ballpark", no_argument, NULL, OPT_ALLOW_BALLPARK },
	{ "densify", required_argument, NULL, OPT_DENSIFY },
	{ "force-2d", no_argument, NULL, OPT_FORCE_2D },
	KCN_CLI_OUT_LONGOPTS
	KCN_CLI_LONGOPTS
};

int
main(int argc, char **argv)
{
	struct kcn_cli cli;
	struct kcn_reproject_opts opts = { 0 };
	struct kcn_ctx *ctx;
	enum kcn_status st;
	const char *path = "-";
	char *end;
	int ch, rc;

	kcn_cli_init(&cli, "kcn-reproject", usage, help);
	kcn_cli_outputs(&cli, &opts.out, &opts.threads);
	while ((ch = getopt_long(argc, argv, KCN_CLI_OUT_SHORTOPTS "l:s:t:"
	    KCN_CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			opts.layer = optarg;
			break;
		case 's':
			opts.s_srs = optarg;
			break;
		case 't':
			opts.t_srs = optarg;
			break;
		case OPT_ALLOW_BALLPARK:
			opts.allow_ballpark = 1;
			break;
		case OPT_DENSIFY:
			opts.densify = strtod(optarg, &end);
			if (end == optarg || *end != '\0' ||
			    !isfinite(opts.densify) || opts.densify <= 0)
				return kcn_cli_usage_error(&cli, "--densify: "
				    "'%s' is not a positive number of metres",
				    optarg);
			break;
		case OPT_FORCE_2D:
			opts.force_2d = 1;
			break;
		default:
			if ((rc = kcn_cli_option(&cli, ch)) != KCN_CLI_GO_ON)
				return rc;
			break;
		}
	}
	if (opts.t_srs == NULL)
		return kcn_cli_usage_error(&cli, "-t: the target CRS is "
		    "required");
	if (argc - optind > 1)
		return kcn_cli_usage_error(&cli,
		    "one input at a time (got %d)", argc - optind);
	if (argc > optind)
		path = argv[optind];
	if ((ctx = kcn_cli_ctx(&cli)) == NULL)
		return EX_OSERR;
	st = kcn_reproject_run(ctx, path, &opts);
	return kcn_cli_finish(&cli, ctx, st);
}
