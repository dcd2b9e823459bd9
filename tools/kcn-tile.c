/*
 * kcn-tile: web map tiles of styled layers, PNG or vector, into a z/x/y
 * folder, an MBTiles or a PMTiles file.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"

static const char usage[] =
    "usage: kcn-tile [-qv] [-j threads] -z zooms -o output [--allow-ballpark]\n"
    "                [--force] [--format png | mvt] [--preview] [--scale 1 | 2]\n"
    "                [--style file] [--progress | --no-progress]\n"
    "                layer[:style] ...\n";

static const char help[] =
    "Make web map tiles of the layers (any GDAL vector source, any CRS;\n"
    "'-' is standard input) from the lowest zoom to the highest: PNG drawn\n"
    "with each layer's style, or Mapbox Vector Tiles.  OUTPUT is a folder\n"
    "of z/x/y files (XYZ), an .mbtiles or a .pmtiles file.\n"
    "\n"
    "  -z zooms         a zoom or a range, from 0 to 24: 12, 10-16\n"
    "  -o output        folder, NAME.mbtiles or NAME.pmtiles\n"
    "  -j, --threads n  threads (default: one per core)\n"
    "      --format f   png (default) or mvt\n"
    "      --preview    write index.html next to the tiles: a web map of them\n"
    "                   that works offline (not for .mbtiles)\n"
    "      --scale n    PNG tiles of 256 (1, default) or 512 pixels (2)\n"
    "      --style file styles by layer: [name] sections of key = value\n"
    "      --force      replace an output that exists\n"
    "      --allow-ballpark\n"
    "                   accept a transformation without datum information\n"
    "  layer:style      a layer's style inline: fill=#RRGGBB,stroke=...,\n"
    "                   width=, opacity=, symbol=, size=, by=FIELD,\n"
    "                   classes=0:#c00 0.5:#fc0, colors=A:#c00 B:#00c, name=,\n"
    "                   zoomout=auto|draw|average (PNG below the highest zoom)\n"
    KCN_CLI_HELP
    "\n"
    "Exit status: 0 success, 1 some features skipped (each reported), 64 usage,\n"
    "65 bad data, 66 cannot open input, 69 driver missing, 70 internal error,\n"
    "71 system error, 73 cannot create output, 74 I/O error, 78 bad CRS.\n"
    "See kcn-tile(1) and kcn(7).\n";

enum {
	OPT_ALLOW_BALLPARK = KCN_OPT_FIRST_TOOL,
	OPT_FORCE,
	OPT_FORMAT,
	OPT_PREVIEW,
	OPT_SCALE,
	OPT_STYLE
};

static const struct option longopts[] = {
	{ "allow-ballpark", no_argument, NULL, OPT_ALLOW_BALLPARK },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "preview", no_argument, NULL, OPT_PREVIEW },
	{ "scale", required_argument, NULL, OPT_SCALE },
	{ "style", required_argument, NULL, OPT_STYLE },
	{ "threads", required_argument, NULL, 'j' },
	KCN_CLI_LONGOPTS
};

int
main(int argc, char **argv)
{
	struct kcn_cli cli;
	struct kcn_tile_opts opts = { 0 };
	struct kcn_tile_layer *layers = NULL;
	struct kcn_ctx *ctx;
	enum kcn_status st = KCN_OK;
	const char *zooms = NULL, *style = NULL;
	int ch, rc = KCN_CLI_GO_ON, nl = 0;
	long n;

	kcn_cli_init(&cli, "kcn-tile", usage, help);
	opts.scale = 1;
	if ((ctx = kcn_cli_ctx(&cli)) == NULL)
		return EX_OSERR;
	while (rc == KCN_CLI_GO_ON && (ch = getopt_long(argc, argv,
	    "j:o:z:" KCN_CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			if ((n = kcn_cli_number(&cli, "-j", optarg, 1, 64)) < 0)
				rc = EX_USAGE;
			opts.threads = (int)n;
			break;
		case 'o':
			opts.output = optarg;
			break;
		case 'z':
			zooms = optarg;
			break;
		case OPT_ALLOW_BALLPARK:
			opts.allow_ballpark = 1;
			break;
		case OPT_FORCE:
			opts.force = 1;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "png") == 0)
				opts.vector = 0;
			else if (strcmp(optarg, "mvt") == 0 ||
			    strcmp(optarg, "pbf") == 0)
				opts.vector = 1;
			else
				rc = kcn_cli_usage_error(&cli, "--format: '%s' "
				    "is not png or mvt", optarg);
			break;
		case OPT_PREVIEW:
			opts.preview = 1;
			break;
		case OPT_SCALE:
			if ((n = kcn_cli_number(&cli, "--scale", optarg, 1,
			    2)) < 0)
				rc = EX_USAGE;
			opts.scale = (int)n;
			break;
		case OPT_STYLE:
			style = optarg;
			break;
		default:
			rc = kcn_cli_option(&cli, ch);
			break;
		}
	}
	if (rc == KCN_CLI_GO_ON && zooms == NULL)
		rc = kcn_cli_usage_error(&cli, "-z: the zooms, please (such as "
		    "-z 10-16)");
	if (rc == KCN_CLI_GO_ON && opts.output == NULL)
		rc = kcn_cli_usage_error(&cli, "-o: where the tiles go, please");
	if (rc == KCN_CLI_GO_ON && optind == argc)
		rc = kcn_cli_usage_error(&cli, "a layer to tile, please");
	if (rc == KCN_CLI_GO_ON && kcn_tile_zoom_parse(ctx, zooms, &opts.zmin,
	    &opts.zmax) != KCN_OK)
		rc = kcn_cli_usage_error(&cli, "%s: %s", kcn_ctx_where(ctx),
		    kcn_ctx_errmsg(ctx));
	if (rc != KCN_CLI_GO_ON) {
		kcn_ctx_free(ctx);
		return rc;
	}
	if ((layers = calloc((size_t)(argc - optind), sizeof(*layers))) ==
	    NULL) {
		kcn_ctx_free(ctx);
		return EX_OSERR;
	}
	for (int i = optind; i < argc && st == KCN_OK; i++, nl++)
		st = kcn_tile_layer_parse(ctx, argv[i], nl, style, &layers[nl]);
	if (st == KCN_OK) {
		opts.layers = layers;
		opts.nlayers = nl;
		st = kcn_tile_run(ctx, &opts);
	}
	for (int i = 0; i < nl; i++)
		kcn_style_free(&layers[i].style);
	free(layers);
	return kcn_cli_finish(&cli, ctx, st);
}
