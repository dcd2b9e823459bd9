/*
 * kcn-coverage: the coverage report of a plan, per zone and category.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"

static const char usage[] =
    "usage: kcn-coverage [-qv] [-j threads] [-o file] [--json | --markdown]\n"
    "                    --zones layer [--zone-id field] [--zone-name field]\n"
    "                    [--pop raster | --pop-layer layer --pop-field field]\n"
    "                    [--points name=layer]... [--by-area]\n"
    "                    [--lines name=layer]... [--baseline category=layer]...\n"
    "                    [--segments n] [--gaps file] [--covered file]\n"
    "                    [--progress | --no-progress]\n"
    "                    category=layer[:r=metres] ...\n";

static const char help[] =
    "For each zone (district) and each category of proposed infrastructure,\n"
    "and for all of them together: the zone's area, the area its service areas\n"
    "cover (overlaps counted once) and cover twice or more, the population,\n"
    "points and line lengths inside and covered; then the same for the whole\n"
    "city (TOTAL).  A category's layer holds service areas, or points and lines\n"
    "with :r=METRES to buffer them as kcn-buffer does; '-' is standard input.\n"
    "Areas in square metres on an equal-area projection centred on the zones.\n"
    "Writes CSV (one row per zone and category) to standard output or -o FILE.\n"
    "\n"
    "  -j, --threads n  threads (default: one per core)\n"
    "  -o file          write the table to FILE atomically\n"
    "      --json       JSON: the table's rows, with the method in \"meta\"\n"
    "      --markdown   a Markdown table for the report\n"
    "      --zones layer\n"
    "                   the zones (any GDAL vector source; required)\n"
    "      --zone-id field\n"
    "                   the zones' unique id (default: feature number from 1)\n"
    "      --zone-name field\n"
    "                   the zones' name, copied to the rows\n"
    "      --pop raster population per cell, weighted by the exact share of\n"
    "                   each cell covered\n"
    "      --pop-layer layer, --pop-field field\n"
    "                   or population areas (census units), weighted by area\n"
    "      --points name=layer\n"
    "                   points to count (areas such as buildings count by\n"
    "                   their centroid); repeatable\n"
    "      --by-area    count areas by the share of their area instead\n"
    "      --lines name=layer\n"
    "                   lines to measure in metres (roads); repeatable\n"
    "      --baseline category=layer[:r=metres]\n"
    "                   existing infrastructure of a category: adds its\n"
    "                   coverage and the plan's gain; repeatable\n"
    "      --segments n segments per quarter circle of a buffer (default 8)\n"
    "      --gaps file  write the uncovered part of each zone (all categories)\n"
    "      --covered file\n"
    "                   write the covered part of each zone and category\n"
    KCN_CLI_HELP
    "\n"
    "Exit status: 0 success, 1 some features skipped (each reported), 64 usage,\n"
    "65 bad data, 66 cannot open input, 69 driver missing, 70 internal error,\n"
    "71 system error, 73 cannot create output, 74 I/O error, 78 bad or\n"
    "missing CRS.\n"
    "See kcn-coverage(1) and kcn(7).\n";

enum {
	OPT_JSON = KCN_OPT_FIRST_TOOL,
	OPT_MARKDOWN,
	OPT_ZONES,
	OPT_ZONE_ID,
	OPT_ZONE_NAME,
	OPT_POP,
	OPT_POP_LAYER,
	OPT_POP_FIELD,
	OPT_POINTS,
	OPT_BY_AREA,
	OPT_LINES,
	OPT_BASELINE,
	OPT_SEGMENTS,
	OPT_GAPS,
	OPT_COVERED
};

static const struct option longopts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "markdown", no_argument, NULL, OPT_MARKDOWN },
	{ "zones", required_argument, NULL, OPT_ZONES },
	{ "zone-id", required_argument, NULL, OPT_ZONE_ID },
	{ "zone-name", required_argument, NULL, OPT_ZONE_NAME },
	{ "pop", required_argument, NULL, OPT_POP },
	{ "pop-layer", required_argument, NULL, OPT_POP_LAYER },
	{ "pop-field", required_argument, NULL, OPT_POP_FIELD },
	{ "points", required_argument, NULL, OPT_POINTS },
	{ "by-area", no_argument, NULL, OPT_BY_AREA },
	{ "lines", required_argument, NULL, OPT_LINES },
	{ "baseline", required_argument, NULL, OPT_BASELINE },
	{ "segments", required_argument, NULL, OPT_SEGMENTS },
	{ "gaps", required_argument, NULL, OPT_GAPS },
	{ "covered", required_argument, NULL, OPT_COVERED },
	{ "threads", required_argument, NULL, 'j' },
	KCN_CLI_LONGOPTS
};

/* Parses ARG into the next of the ARGC layers of *V. */
static int
layer_arg(struct kcn_cli *cli, struct kcn_ctx *ctx, char *arg,
    struct kcn_coverage_layer *v, int *n, const char *opt)
{
	if (kcn_coverage_layer_parse(ctx, arg, &v[*n]) != KCN_OK)
		return kcn_cli_usage_error(cli, "%s: %s: %s", opt,
		    kcn_ctx_where(ctx), kcn_ctx_errmsg(ctx));
	if (opt[0] == '-' && v[*n].radius > 0 &&
	    strcmp(opt, "--baseline") != 0)
		return kcn_cli_usage_error(cli, "%s: no radius here", opt);
	(*n)++;
	return KCN_CLI_GO_ON;
}

int
main(int argc, char **argv)
{
	struct kcn_cli cli;
	struct kcn_coverage_opts opts = { 0 };
	struct kcn_coverage_layer *cats, *base, *points, *lines;
	struct kcn_ctx *ctx;
	enum kcn_status st;
	int ch, rc = KCN_CLI_GO_ON, nc = 0, nb = 0, np = 0, nl = 0;
	long n;

	kcn_cli_init(&cli, "kcn-coverage", usage, help);
	opts.segments = 8;
	/* Every argument at most once each: room enough. */
	cats = calloc((size_t)argc + 1, sizeof(*cats));
	base = calloc((size_t)argc + 1, sizeof(*base));
	points = calloc((size_t)argc + 1, sizeof(*points));
	lines = calloc((size_t)argc + 1, sizeof(*lines));
	if (cats == NULL || base == NULL || points == NULL || lines == NULL ||
	    (ctx = kcn_cli_ctx(&cli)) == NULL) {
		free(cats);
		free(base);
		free(points);
		free(lines);
		return EX_OSERR;
	}
	while (rc == KCN_CLI_GO_ON && (ch = getopt_long(argc, argv,
	    "j:o:" KCN_CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			if ((n = kcn_cli_number(&cli, "-j", optarg, 1, 256)) < 0)
				rc = EX_USAGE;
			opts.threads = (int)n;
			break;
		case 'o':
			opts.output = optarg;
			break;
		case OPT_JSON:
			opts.format = KCN_COVERAGE_JSON;
			break;
		case OPT_MARKDOWN:
			opts.format = KCN_COVERAGE_MARKDOWN;
			break;
		case OPT_ZONES:
			opts.zones = optarg;
			break;
		case OPT_ZONE_ID:
			opts.zone_id = optarg;
			break;
		case OPT_ZONE_NAME:
			opts.zone_name = optarg;
			break;
		case OPT_POP:
			opts.pop = optarg;
			break;
		case OPT_POP_LAYER:
			opts.pop_layer = optarg;
			break;
		case OPT_POP_FIELD:
			opts.pop_field = optarg;
			break;
		case OPT_POINTS:
			rc = layer_arg(&cli, ctx, optarg, points, &np,
			    "--points");
			break;
		case OPT_BY_AREA:
			opts.by_area = 1;
			break;
		case OPT_LINES:
			rc = layer_arg(&cli, ctx, optarg, lines, &nl, "--lines");
			break;
		case OPT_BASELINE:
			rc = layer_arg(&cli, ctx, optarg, base, &nb,
			    "--baseline");
			break;
		case OPT_SEGMENTS:
			if ((n = kcn_cli_number(&cli, "--segments", optarg, 1,
			    1000)) < 0)
				rc = EX_USAGE;
			opts.segments = (int)n;
			break;
		case OPT_GAPS:
			opts.gaps = optarg;
			break;
		case OPT_COVERED:
			opts.covered = optarg;
			break;
		default:
			rc = kcn_cli_option(&cli, ch);
			break;
		}
	}
	if (rc == KCN_CLI_GO_ON && opts.zones == NULL)
		rc = kcn_cli_usage_error(&cli, "--zones: the zones, please");
	if (rc == KCN_CLI_GO_ON && optind == argc)
		rc = kcn_cli_usage_error(&cli, "a category, please: "
		    "NAME=LAYER or NAME=LAYER:r=METRES");
	for (int i = optind; i < argc && rc == KCN_CLI_GO_ON; i++)
		rc = layer_arg(&cli, ctx, argv[i], cats, &nc, "category");
	if (rc != KCN_CLI_GO_ON) {
		/* Usage, --help or --version: nothing run. */
		kcn_ctx_free(ctx);
		free(cats);
		free(base);
		free(points);
		free(lines);
		return rc;
	}
	opts.cats = cats, opts.ncats = nc;
	opts.base = base, opts.nbase = nb;
	opts.points = points, opts.npoints = np;
	opts.lines = lines, opts.nlines = nl;
	st = kcn_coverage_run(ctx, &opts, stdout);
	free(cats);
	free(base);
	free(points);
	free(lines);
	return kcn_cli_finish(&cli, ctx, st);
}
