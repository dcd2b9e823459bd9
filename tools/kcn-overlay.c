/*
 * kcn-overlay: overlay a stream with the areas of a second layer.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <cpl_string.h>

#include "cli.h"

static const char usage[] =
    "usage: kcn-overlay [-qv] [-f format] [-i file] [-j threads] [-l layer]\n"
    "                   [-o file] [--b-fields list] [--b-layer layer]\n"
    "                   [--min-area m2] [--force-tty] [--progress | --no-progress]\n"
    "                   operation layer\n";

static const char help[] =
    "Cut the features of one layer (A: -i, or standard input) with the areas of\n"
    "LAYER (B: any GDAL vector source, brought into A's CRS).  OPERATION is:\n"
    "  clip           the parts of A inside B, with A's fields\n"
    "  erase          the parts of A outside B, with A's fields\n"
    "  intersect      a piece for each A feature and B area that meet, with the\n"
    "                 fields of both (B's renamed b_NAME where A has NAME)\n"
    "  identity       intersect, and the parts of A outside B\n"
    "  union          identity, and the parts of B outside A (areas only)\n"
    "  symdifference  the parts of A outside B and of B outside A (areas only)\n"
    "Order is A's, then B's.  Writes a kcn stream: FlatGeobuf on standard\n"
    "output, or the format of -o FILE.\n"
    "\n"
    "  -i file          the stream's source (default: standard input)\n"
    KCN_CLI_OUT_HELP
    "  -l layer         the stream's layer to read (default: the first)\n"
    "      --b-fields list\n"
    "                   B's fields to keep, separated by commas (default: all;\n"
    "                   '' for none)\n"
    "      --b-layer layer\n"
    "                   LAYER's layer to read (default: the first)\n"
    "      --min-area m2\n"
    "                   drop cut areas smaller than this, in square metres\n"
    "                   (slivers), counted; needs a CRS in metres\n"
    KCN_CLI_HELP
    "\n"
    "Exit status: 0 success, 1 some features skipped (each reported), 64 usage,\n"
    "65 bad data, 66 cannot open input, 69 driver missing, 70 internal error,\n"
    "71 system error, 73 cannot create output, 74 I/O error, 78 bad or\n"
    "missing CRS.\n"
    "See kcn-overlay(1) and kcn(7).\n";

enum {
	OPT_B_FIELDS = KCN_OPT_FIRST_TOOL,
	OPT_B_LAYER,
	OPT_MIN_AREA
};

static const struct option longopts[] = {
	{ "b-fields", required_argument, NULL, OPT_B_FIELDS },
	{ "b-layer", required_argument, NULL, OPT_B_LAYER },
	{ "min-area", required_argument, NULL, OPT_MIN_AREA },
	KCN_CLI_OUT_LONGOPTS
	KCN_CLI_LONGOPTS
};

int
main(int argc, char **argv)
{
	struct kcn_cli cli;
	struct kcn_overlay_opts opts = { 0 };
	struct kcn_ctx *ctx;
	enum kcn_status st;
	const char *path = "-", *b_fields = NULL;
	char *end;
	int ch, rc, op;

	kcn_cli_init(&cli, "kcn-overlay", usage, help);
	kcn_cli_outputs(&cli, &opts.out, &opts.threads);
	while ((ch = getopt_long(argc, argv, KCN_CLI_OUT_SHORTOPTS "i:l:"
	    KCN_CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			path = optarg;
			break;
		case 'l':
			opts.layer = optarg;
			break;
		case OPT_B_FIELDS:
			b_fields = optarg;
			break;
		case OPT_B_LAYER:
			opts.b_layer = optarg;
			break;
		case OPT_MIN_AREA:
			opts.min_area = strtod(optarg, &end);
			if (end == optarg || *end != '\0' ||
			    !(opts.min_area > 0 && opts.min_area < 1e15))
				return kcn_cli_usage_error(&cli, "--min-area: "
				    "'%s' is not a positive number of square "
				    "metres", optarg);
			break;
		default:
			if ((rc = kcn_cli_option(&cli, ch)) != KCN_CLI_GO_ON)
				return rc;
			break;
		}
	}
	if (argc - optind != 2)
		return kcn_cli_usage_error(&cli, "an operation and a layer, "
		    "please (got %d arguments)", argc - optind);
	if ((op = kcn_overlay_op_parse(argv[optind])) < 0)
		return kcn_cli_usage_error(&cli, "'%s': the operations are "
		    "clip, erase, intersect, identity, union and "
		    "symdifference", argv[optind]);
	opts.op = op;
	opts.b_path = argv[optind + 1];
	if ((ctx = kcn_cli_ctx(&cli)) == NULL)
		return EX_OSERR;
	if (b_fields != NULL)
		opts.b_fields = CSLTokenizeString2(b_fields, ",",
		    CSLT_STRIPLEADSPACES | CSLT_STRIPENDSPACES);
	st = kcn_overlay_run(ctx, path, &opts);
	CSLDestroy(opts.b_fields);
	return kcn_cli_finish(&cli, ctx, st);
}
