/*
 * kcn-overlay: cut a stream with the areas of a second layer.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
    "usage: kcn-overlay [-qv] [-f format] [-i file] [-j threads] [-l layer]\n"
    "                   [-o file] [--b-layer layer] [--min-area m2] [--force-tty]\n"
    "                   [--progress | --no-progress] clip | erase layer\n";

static const char help[] =
    "Cut the features of one layer (-i, or standard input) with the areas of\n"
    "LAYER (any GDAL vector source, brought into the stream's CRS): clip keeps\n"
    "what lies inside them, erase what lies outside.  Fields and order are the\n"
    "stream's.  Writes a kcn stream: FlatGeobuf on standard output, or the\n"
    "format of -o FILE.\n"
    "\n"
    "  -i file          the stream's source (default: standard input)\n"
    KCN_CLI_OUT_HELP
    "  -l layer         the stream's layer to read (default: the first)\n"
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
	OPT_B_LAYER = KCN_OPT_FIRST_TOOL,
	OPT_MIN_AREA
};

static const struct option longopts[] = {
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
	const char *path = "-";
	char *end;
	int ch, rc;

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
	if (strcmp(argv[optind], "clip") == 0)
		opts.op = KCN_OVERLAY_CLIP;
	else if (strcmp(argv[optind], "erase") == 0)
		opts.op = KCN_OVERLAY_ERASE;
	else
		return kcn_cli_usage_error(&cli, "'%s': the operations are "
		    "clip and erase (intersect, union, identity and "
		    "symdifference are not there yet)", argv[optind]);
	opts.b_path = argv[optind + 1];
	opts.out.stdout_is_tty = isatty(STDOUT_FILENO);
	if ((ctx = kcn_cli_ctx(&cli)) == NULL)
		return EX_OSERR;
	st = kcn_overlay_run(ctx, path, &opts);
	if (st != KCN_OK && st != KCN_REJECTED)
		kcn_cli_report(&cli, ctx);
	return kcn_cli_exit(&cli, ctx, st);
}
