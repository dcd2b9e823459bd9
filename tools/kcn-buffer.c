/*
 * kcn-buffer: service areas in metres, true anywhere on Earth.
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
    "usage: kcn-buffer [-qv] -r metres | -r field [-f format] [-j threads]\n"
    "                  [-l layer] [-o file] [-s srs] [--cap round | flat | square]\n"
    "                  [--join round | mitre | bevel] [--mitre-limit n]\n"
    "                  [--segments n] [--dissolve[=field]] [--force-tty]\n"
    "                  [--progress | --no-progress] [file]\n";

static const char help[] =
    "Buffer every feature of one layer of any GDAL vector source (or - for\n"
    "standard input) by a distance in metres, true on the ellipsoid anywhere:\n"
    "each feature in an azimuthal equidistant projection centred near it, the\n"
    "result in the layer's own CRS, fields kept.  Writes a kcn stream:\n"
    "FlatGeobuf on standard output, or the format of -o FILE.\n"
    "\n"
    "  -r metres        the radius; negative shrinks areas\n"
    "  -r field         or each feature's radius, in metres, from this field\n"
    KCN_CLI_OUT_HELP
    "  -l layer         the layer to read (default: the first)\n"
    "  -s srs           the source's CRS, replacing what it says\n"
    "      --cap round | flat | square\n"
    "                   line ends (default round)\n"
    "      --join round | mitre | bevel\n"
    "                   corners of lines and areas (default round)\n"
    "      --mitre-limit n\n"
    "                   how far a mitre may reach, in radii (default 5)\n"
    "      --segments n segments per quarter circle (default 8)\n"
    "      --dissolve[=field]\n"
    "                   merge the buffers (overlaps once), all or by FIELD,\n"
    "                   with a count, as kcn-dissolve does\n"
    KCN_CLI_HELP
    "\n"
    "Exit status: 0 success, 1 some features skipped (each reported), 64 usage,\n"
    "65 bad data, 66 cannot open input, 69 driver missing, 70 internal error,\n"
    "71 system error, 73 cannot create output, 74 I/O error, 78 bad or\n"
    "missing CRS.\n"
    "See kcn-buffer(1) and kcn(7).\n";

enum {
	OPT_CAP = KCN_OPT_FIRST_TOOL,
	OPT_DISSOLVE,
	OPT_JOIN,
	OPT_MITRE_LIMIT,
	OPT_SEGMENTS
};

static const struct option longopts[] = {
	{ "cap", required_argument, NULL, OPT_CAP },
	{ "dissolve", optional_argument, NULL, OPT_DISSOLVE },
	{ "join", required_argument, NULL, OPT_JOIN },
	{ "mitre-limit", required_argument, NULL, OPT_MITRE_LIMIT },
	{ "segments", required_argument, NULL, OPT_SEGMENTS },
	KCN_CLI_OUT_LONGOPTS
	KCN_CLI_LONGOPTS
};

/* The index of ARG in WORDS (NULL-ended) plus one, or 0. */
static int
word(const char *arg, const char *const *words)
{
	for (int i = 0; words[i] != NULL; i++)
		if (strcmp(arg, words[i]) == 0)
			return i + 1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const char *const caps[] = { "round", "flat", "square", NULL };
	static const char *const joins[] = { "round", "mitre", "bevel", NULL };
	struct kcn_cli cli;
	struct kcn_buffer_opts opts = { 0 };
	struct kcn_ctx *ctx;
	enum kcn_status st;
	const char *path = "-", *radius = NULL;
	char *end;
	int ch, rc;
	long n;

	opts.segments = 8;
	opts.cap = KCN_CAP_ROUND;
	opts.join = KCN_JOIN_ROUND;
	opts.mitre_limit = 5;
	kcn_cli_init(&cli, "kcn-buffer", usage, help);
	kcn_cli_outputs(&cli, &opts.out, &opts.threads);
	while ((ch = getopt_long(argc, argv, KCN_CLI_OUT_SHORTOPTS "l:r:s:"
	    KCN_CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			opts.layer = optarg;
			break;
		case 'r':
			radius = optarg;
			break;
		case 's':
			opts.s_srs = optarg;
			break;
		case OPT_CAP:
			if ((opts.cap = word(optarg, caps)) == 0)
				return kcn_cli_usage_error(&cli, "--cap: '%s' "
				    "is not round, flat or square", optarg);
			break;
		case OPT_DISSOLVE:
			opts.dissolve = 1;
			opts.dissolve_field = optarg;
			break;
		case OPT_JOIN:
			if ((opts.join = word(optarg, joins)) == 0)
				return kcn_cli_usage_error(&cli, "--join: '%s' "
				    "is not round, mitre or bevel", optarg);
			break;
		case OPT_MITRE_LIMIT:
			opts.mitre_limit = strtod(optarg, &end);
			if (end == optarg || *end != '\0' ||
			    !(opts.mitre_limit > 0 && opts.mitre_limit < 1e6))
				return kcn_cli_usage_error(&cli, "--mitre-limit: "
				    "'%s' is not a positive number", optarg);
			break;
		case OPT_SEGMENTS:
			if ((n = kcn_cli_number(&cli, "--segments", optarg, 1,
			    1000)) < 0)
				return EX_USAGE;
			opts.segments = (int)n;
			break;
		default:
			if ((rc = kcn_cli_option(&cli, ch)) != KCN_CLI_GO_ON)
				return rc;
			break;
		}
	}
	if (radius == NULL)
		return kcn_cli_usage_error(&cli, "-r: the radius in metres (or "
		    "a field holding it) is required");
	opts.radius = strtod(radius, &end);
	if (end == radius || *end != '\0')
		opts.radius_field = radius;	/* a field name */
	else if (!isfinite(opts.radius) || opts.radius == 0 ||
	    fabs(opts.radius) > 2e7)
		return kcn_cli_usage_error(&cli, "-r: %s m is not a radius",
		    radius);
	if (argc - optind > 1)
		return kcn_cli_usage_error(&cli,
		    "one input at a time (got %d)", argc - optind);
	if (argc > optind)
		path = argv[optind];
	if ((ctx = kcn_cli_ctx(&cli)) == NULL)
		return EX_OSERR;
	st = kcn_buffer_run(ctx, path, &opts);
	return kcn_cli_finish(&cli, ctx, st);
}
