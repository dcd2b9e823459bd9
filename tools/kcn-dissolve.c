/*
 * kcn-dissolve: merge features by the values of some fields.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <cpl_string.h>

#include "cli.h"

static const char usage[] =
    "usage: kcn-dissolve [-qv] [-f format] [-j threads] [-l layer] [-o file]\n"
    "                    [--count] [--explode] [--first field] [--max field]\n"
    "                    [--min field] [--sum field] [--force-tty]\n"
    "                    [--progress | --no-progress] [-i file] [field ...]\n";

static const char help[] =
    "Merge the features of one layer of any GDAL vector source (-i, or\n"
    "standard input) that share the values of the fields named (all features\n"
    "into one when none is), with aggregates, and write a kcn stream:\n"
    "FlatGeobuf on standard output, or the format of -o FILE.\n"
    "\n"
    "  -i file          the source (default: standard input)\n"
    KCN_CLI_OUT_HELP
    "  -l layer         the layer to read (default: the first)\n"
    "      --count      add the number of features merged (\"count\")\n"
    "      --explode    write each part of a merged geometry as a feature\n"
    "      --first field\n"
    "                   add the group's first value of FIELD (\"first_FIELD\")\n"
    "      --max field, --min field, --sum field\n"
    "                   add the largest, smallest or total value of a number\n"
    "                   field (\"max_FIELD\"...); each repeatable\n"
    KCN_CLI_HELP
    "\n"
    "Exit status: 0 success, 1 some features skipped (each reported), 64 usage,\n"
    "65 bad data, 66 cannot open input, 69 driver missing, 70 internal error,\n"
    "71 system error, 73 cannot create output, 74 I/O error.\n"
    "See kcn-dissolve(1) and kcn(7).\n";

enum {
	OPT_COUNT = KCN_OPT_FIRST_TOOL,
	OPT_EXPLODE,
	OPT_FIRST,
	OPT_MAX,
	OPT_MIN,
	OPT_SUM
};

static const struct option longopts[] = {
	{ "count", no_argument, NULL, OPT_COUNT },
	{ "explode", no_argument, NULL, OPT_EXPLODE },
	{ "first", required_argument, NULL, OPT_FIRST },
	{ "max", required_argument, NULL, OPT_MAX },
	{ "min", required_argument, NULL, OPT_MIN },
	{ "sum", required_argument, NULL, OPT_SUM },
	KCN_CLI_OUT_LONGOPTS
	KCN_CLI_LONGOPTS
};

static void
opts_free(struct kcn_dissolve_opts *o)
{
	CSLDestroy(o->by);
	CSLDestroy(o->sum);
	CSLDestroy(o->min);
	CSLDestroy(o->max);
	CSLDestroy(o->first);
}

int
main(int argc, char **argv)
{
	struct kcn_cli cli;
	struct kcn_dissolve_opts opts = { 0 };
	struct kcn_ctx *ctx;
	enum kcn_status st;
	const char *path = "-";
	int ch, rc, threads = 0;

	kcn_cli_init(&cli, "kcn-dissolve", usage, help);
	kcn_cli_outputs(&cli, &opts.out, &threads);
	while ((ch = getopt_long(argc, argv, KCN_CLI_OUT_SHORTOPTS "i:l:"
	    KCN_CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			path = optarg;
			break;
		case 'l':
			opts.layer = optarg;
			break;
		case OPT_COUNT:
			opts.count = 1;
			break;
		case OPT_EXPLODE:
			opts.out.explode = 1;
			break;
		case OPT_FIRST:
			opts.first = CSLAddString(opts.first, optarg);
			break;
		case OPT_MAX:
			opts.max = CSLAddString(opts.max, optarg);
			break;
		case OPT_MIN:
			opts.min = CSLAddString(opts.min, optarg);
			break;
		case OPT_SUM:
			opts.sum = CSLAddString(opts.sum, optarg);
			break;
		default:
			if ((rc = kcn_cli_option(&cli, ch)) != KCN_CLI_GO_ON)
				goto out;
			break;
		}
	}
	for (int i = optind; i < argc; i++)
		opts.by = CSLAddString(opts.by, argv[i]);
	if ((ctx = kcn_cli_ctx(&cli)) == NULL) {
		rc = EX_OSERR;
		goto out;
	}
	st = kcn_dissolve_run(ctx, path, &opts);
	rc = kcn_cli_finish(&cli, ctx, st);
out:
	opts_free(&opts);
	return rc;
}
