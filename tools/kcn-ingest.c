/*
 * kcn-ingest: bring a partner layer into a kcn stream.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <cpl_string.h>

#include "cli.h"

static const char usage[] =
    "usage: kcn-ingest [-qv] [-f format] [-j threads] [-l layer ... | --all-layers]\n"
    "                  [-o file] [-s srs] [--encoding name] [--explode]\n"
    "                  [--force-2d] [--force-tty] [--guess-crs]\n"
    "                  [--keep-empty] [--on-invalid repair | skip | fail]\n"
    "                  [--x column --y column | --wkt column]\n"
    "                  [--fields name,...] [--rename old=new] [--add name=value]\n"
    "                  [--snake-case] [--report file.json]\n"
    "                  [--progress | --no-progress] [file]\n";

static const char help[] =
    "Read one layer (or several) of any GDAL vector source (file, /vsizip/ path, or - for\n"
    "standard input), pass every geometry through GEOS and write a kcn stream:\n"
    "FlatGeobuf on standard output, or the format of -o FILE.\n"
    "\n"
    KCN_CLI_OUT_HELP
    "  -l layer         the layer to read (default: the first); repeated,\n"
    "                   the layers named, into one with a field \"layer\"\n"
    "      --all-layers every layer with geometry, into one with a field\n"
    "                   \"layer\" (\"source_layer\" if a layer has \"layer\")\n"
    "  -s srs           assign this CRS to the source (EPSG:n, WKT, PROJ);\n"
    "                   a source without CRS is refused unless -s is given,\n"
    "                   with the CRSs its coordinates fit\n"
    "      --encoding name\n"
    "                   the source's text encoding (CP1258, CP949, any iconv\n"
    "                   name); text that is not valid in it, or in UTF-8 by\n"
    "                   default, is reported and its feature skipped\n"
    "      --explode    write each part of a multi-part geometry as a feature\n"
    "      --force-2d   drop Z coordinates\n"
    "      --guess-crs  no CRS and no -s: take the best fitting one, and say so\n"
    "      --keep-empty keep features with null or empty geometry (dropped\n"
    "                   and counted by default)\n"
    "      --on-invalid repair | skip | fail\n"
    "                   invalid geometries: made valid, keeping the layer's\n"
    "                   kind (default); skipped and counted; or fatal\n"
    "      --x column, --y column\n"
    "                   CSV: the coordinate columns (default: names like\n"
    "                   lon/lng/long/x/easting and lat/y/northing)\n"
    "      --wkt column CSV: a column of WKT or hex WKB geometries\n"
    "      --fields name,...\n"
    "                   keep only these fields, in this order\n"
    "      --rename old=new\n"
    "                   rename a field (repeatable)\n"
    "      --add name=value\n"
    "                   add a text field with a constant value (repeatable)\n"
    "      --snake-case field names in snake_case (MA_PHUONG -> ma_phuong)\n"
    "      --report file.json\n"
    "                   write what was read, written, repaired and skipped\n"
    "                   (by reason), the encoding and CRS decided, and every\n"
    "                   warning, even when the run fails\n"
    KCN_CLI_HELP
    "\n"
    "Exit status: 0 success, 1 some features skipped (each reported), 64 usage,\n"
    "65 bad data, 66 cannot open input, 69 driver missing, 70 internal error,\n"
    "71 system error, 73 cannot create output, 74 I/O error, 78 bad or\n"
    "missing CRS.\n"
    "See kcn-ingest(1) and kcn(7).\n";

enum {
	OPT_ENCODING = KCN_OPT_FIRST_TOOL,
	OPT_FORCE_2D,
	OPT_KEEP_EMPTY,
	OPT_ON_INVALID,
	OPT_X,
	OPT_Y,
	OPT_WKT,
	OPT_FIELDS,
	OPT_RENAME,
	OPT_ADD,
	OPT_SNAKE_CASE,
	OPT_REPORT,
	OPT_GUESS_CRS,
	OPT_EXPLODE,
	OPT_ALL_LAYERS
};

static const struct option longopts[] = {
	{ "add", required_argument, NULL, OPT_ADD },
	{ "encoding", required_argument, NULL, OPT_ENCODING },
	{ "all-layers", no_argument, NULL, OPT_ALL_LAYERS },
	{ "explode", no_argument, NULL, OPT_EXPLODE },
	{ "fields", required_argument, NULL, OPT_FIELDS },
	{ "force-2d", no_argument, NULL, OPT_FORCE_2D },
	{ "guess-crs", no_argument, NULL, OPT_GUESS_CRS },
	{ "keep-empty", no_argument, NULL, OPT_KEEP_EMPTY },
	{ "on-invalid", required_argument, NULL, OPT_ON_INVALID },
	{ "rename", required_argument, NULL, OPT_RENAME },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "snake-case", no_argument, NULL, OPT_SNAKE_CASE },
	{ "wkt", required_argument, NULL, OPT_WKT },
	{ "x", required_argument, NULL, OPT_X },
	{ "y", required_argument, NULL, OPT_Y },
	KCN_CLI_OUT_LONGOPTS
	KCN_CLI_LONGOPTS
};

int
main(int argc, char **argv)
{
	struct kcn_cli cli;
	struct kcn_ingest_opts opts = { 0 };
	struct kcn_ctx *ctx;
	enum kcn_status st;
	const char *path = "-";
	int ch, rc;

	kcn_cli_init(&cli, "kcn-ingest", usage, help);
	kcn_cli_outputs(&cli, &opts.out, &opts.threads);
	while ((ch = getopt_long(argc, argv, KCN_CLI_OUT_SHORTOPTS "l:s:"
	    KCN_CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			opts.layers = CSLAddString(opts.layers, optarg);
			break;
		case OPT_ENCODING:
			opts.encoding = optarg;
			break;
		case OPT_FORCE_2D:
			opts.force_2d = 1;
			break;
		case OPT_KEEP_EMPTY:
			opts.keep_empty = 1;
			break;
		case OPT_ON_INVALID:
			if (strcmp(optarg, "repair") == 0)
				opts.on_invalid = KCN_INVALID_REPAIR;
			else if (strcmp(optarg, "skip") == 0)
				opts.on_invalid = KCN_INVALID_SKIP;
			else if (strcmp(optarg, "fail") == 0)
				opts.on_invalid = KCN_INVALID_FAIL;
			else {
				rc = kcn_cli_usage_error(&cli, "--on-invalid: "
				    "'%s' is not repair, skip or fail", optarg);
				goto out;
			}
			break;
		case OPT_FIELDS:
			opts.fields = optarg;
			break;
		case OPT_RENAME:
			opts.rename = CSLAddString(opts.rename, optarg);
			break;
		case OPT_ADD:
			opts.add = CSLAddString(opts.add, optarg);
			break;
		case OPT_ALL_LAYERS:
			opts.all_layers = 1;
			break;
		case OPT_EXPLODE:
			opts.out.explode = 1;
			break;
		case OPT_GUESS_CRS:
			opts.guess_crs = 1;
			break;
		case OPT_REPORT:
			opts.report = optarg;
			break;
		case OPT_SNAKE_CASE:
			opts.snake_case = 1;
			break;
		case OPT_X:
			opts.x = optarg;
			break;
		case OPT_Y:
			opts.y = optarg;
			break;
		case OPT_WKT:
			opts.wkt = optarg;
			break;
		case 's':
			opts.s_srs = optarg;
			break;
		default:
			if ((rc = kcn_cli_option(&cli, ch)) != KCN_CLI_GO_ON)
				goto out;
			break;
		}
	}
	if ((opts.x != NULL) != (opts.y != NULL)) {
		rc = kcn_cli_usage_error(&cli, "--x and --y go together");
		goto out;
	}
	if (opts.wkt != NULL && opts.x != NULL) {
		rc = kcn_cli_usage_error(&cli,
		    "--wkt or --x/--y, not both");
		goto out;
	}
	if (opts.all_layers && opts.layers != NULL) {
		rc = kcn_cli_usage_error(&cli,
		    "-l or --all-layers, not both");
		goto out;
	}
	if (argc - optind > 1) {
		rc = kcn_cli_usage_error(&cli,
		    "one input at a time (got %d)", argc - optind);
		goto out;
	}
	if (argc > optind)
		path = argv[optind];
	if ((ctx = kcn_cli_ctx(&cli)) == NULL) {
		rc = EX_OSERR;
		goto out;
	}
	st = kcn_ingest_run(ctx, path, &opts);
	rc = kcn_cli_finish(&cli, ctx, st);
out:
	CSLDestroy(opts.layers);
	CSLDestroy(opts.rename);
	CSLDestroy(opts.add);
	return rc;
}
