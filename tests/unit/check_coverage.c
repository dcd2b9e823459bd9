/*
 * check_coverage.c: kcn-coverage on cases whose answers are known: a disc
 * in a square, overlapping squares, a raster cell half covered, points
 * and lines; and population against brute-force supersampling of random
 * stars over a random raster.  The layers are written in the Lambert
 * azimuthal equal-area projection kcn chooses for them, so the planar
 * areas of the test are the answers.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <geodesic.h>

#include "check_kcn.h"

#define LAEA "+proj=laea +lat_0=10 +lon_0=100 +x_0=0 +y_0=0 +datum=WGS84 " \
    "+units=m +no_defs"

static OGRSpatialReferenceH
laea(void)
{
	OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);

	OSRImportFromProj4(srs, LAEA);
	return srs;
}

/* Writes the N WKT geometries to PATH (GeoPackage), field id = i + 1. */
static void
write_wkt(const char *path, const char *const *wkt, int n)
{
	GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GPKG"), path, 0, 0,
	    0, GDT_Unknown, NULL);
	OGRSpatialReferenceH srs = laea();
	OGRLayerH l;
	OGRFieldDefnH fd;

	ck_assert_ptr_nonnull(ds);
	l = GDALDatasetCreateLayer(ds, "l", srs, wkbUnknown, NULL);
	fd = OGR_Fld_Create("id", OFTInteger);
	OGR_L_CreateField(l, fd, TRUE);
	OGR_Fld_Destroy(fd);
	for (int i = 0; i < n; i++) {
		OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
		OGRGeometryH g = NULL;
		char *w = (char *)wkt[i];

		ck_assert_int_eq(OGR_G_CreateFromWkt(&w, NULL, &g),
		    OGRERR_NONE);
		OGR_F_SetGeometryDirectly(f, g);
		OGR_F_SetFieldInteger(f, 0, i + 1);
		ck_assert_int_eq(OGR_L_CreateFeature(l, f), OGRERR_NONE);
		OGR_F_Destroy(f);
	}
	GDALClose(ds);
	OSRRelease(srs);
}

/* A regular N-gon of radius R around X, Y, as WKT (static buffer). */
static const char *
ngon(double x, double y, double r, int n)
{
	static char buf[8][8192];
	static int k;
	char *b = buf[k++ % 8];
	int len = snprintf(b, 8192, "POLYGON((");

	for (int i = 0; i <= n; i++)
		len += snprintf(b + len, 8192 - len, "%s%.17g %.17g", i ? "," :
		    "", x + r * cos(2 * M_PI * (i % n) / n), y + r *
		    sin(2 * M_PI * (i % n) / n));
	snprintf(b + len, 8192 - len, "))");
	return b;
}

/* Writes a raster of NX x NY cells of 100 m from (X0, Y0) down, value
   V(i, j) = 1 + i + 10 j, one cell (NODI, NODJ) nodata (-1). */
static void
write_raster(const char *path, int nx, int ny, double x0, double y0,
    int nodi, int nodj, const double *vals)
{
	GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GTiff"), path, nx,
	    ny, 1, GDT_Float32, NULL);
	double gt[6] = { x0, 100, 0, y0, 0, -100 };
	float *v = malloc(sizeof(float) * nx * ny);
	OGRSpatialReferenceH srs = laea();
	GDALRasterBandH b;

	ck_assert_ptr_nonnull(ds);
	GDALSetGeoTransform(ds, gt);
	GDALSetSpatialRef(ds, srs);
	for (int j = 0; j < ny; j++)
		for (int i = 0; i < nx; i++)
			v[j * nx + i] = vals ? (float)vals[j * nx + i] :
			    (float)(1 + i + 10 * j);
	if (nodi >= 0)
		v[nodj * nx + nodi] = -1;
	b = GDALGetRasterBand(ds, 1);
	GDALSetRasterNoDataValue(b, -1);
	ck_assert_int_eq(GDALRasterIO(b, GF_Write, 0, 0, nx, ny, v, nx, ny,
	    GDT_Float32, 0, 0), CE_None);
	GDALClose(ds);
	OSRRelease(srs);
	free(v);
}

/* Runs the report of OPTS into a CSV file; returns its text. */
static char *
run(struct kcn_coverage_opts *o)
{
	o->output = kt_path("report.csv");
	if (o->segments == 0)
		o->segments = 8;
	ck_assert_msg(kcn_coverage_run(kt_ctx, o, NULL) == KCN_OK, "%s: %s",
	    kcn_ctx_where(kt_ctx), kcn_ctx_errmsg(kt_ctx));
	return kt_slurp(o->output, NULL);
}

/* The value of column COL in the row of ZONE and CATEGORY of CSV. */
static double
cell(const char *csv, const char *zone, const char *cat, const char *col)
{
	char *text = strdup(csv), *save = NULL, *line, *hdr;
	int want = -1, k = 0;
	double v = NAN;

	hdr = strtok_r(text, "\n", &save);
	for (char *p = hdr, *q; p != NULL; p = q, k++) {
		q = strchr(p, ',');
		if (q != NULL)
			*q++ = '\0';
		if (strcmp(p, col) == 0)
			want = k;
	}
	ck_assert_msg(want >= 0, "no column %s", col);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		char *f[64];
		int n = 0;

		for (char *p = line, *q; p != NULL && n < 64; p = q) {
			q = strchr(p, ',');
			if (q != NULL)
				*q++ = '\0';
			f[n++] = p;
		}
		if (n > want && strcmp(f[0], zone) == 0 && strcmp(f[2], cat) ==
		    0) {
			v = *f[want] ? atof(f[want]) : NAN;
			break;
		}
	}
	free(text);
	return v;
}

#define NEAR(a, b, rel) ck_assert_msg(fabs((a) - (b)) <= (rel) * \
    fmax(1, fabs((double)(b))), "%s = %.9f, not %.9f", #a, (double)(a), (double)(b))

START_TEST(disc_in_square)
{
	const char *zones[] = { "POLYGON((-500 -500,500 -500,500 500,-500 500,"
	    "-500 -500))" };
	const char *disc[2];
	struct kcn_coverage_layer cats[2] = { { "one", NULL, 0 },
	    { "two", NULL, 0 } };
	struct kcn_coverage_opts o = { 0 };
	double a = 64 / 2.0 * 200 * 200 * sin(2 * M_PI / 64);
	char *csv;

	write_wkt(kt_path("zones.gpkg"), zones, 1);
	disc[0] = ngon(0, 0, 200, 64);
	write_wkt(kt_path("one.gpkg"), disc, 1);
	disc[1] = ngon(0, 0, 200, 64);
	write_wkt(kt_path("two.gpkg"), disc, 2);
	cats[0].path = kt_path("one.gpkg");
	cats[1].path = kt_path("two.gpkg");
	o.zones = kt_path("zones.gpkg");
	o.cats = cats;
	o.ncats = 2;
	csv = run(&o);
	NEAR(cell(csv, "1", "one", "zone_m2"), 1e6, 1e-9);
	NEAR(cell(csv, "1", "one", "covered_m2"), a, 1e-8);
	NEAR(cell(csv, "1", "one", "covered_share"), a / 1e6, 1e-6);
	NEAR(cell(csv, "1", "one", "redundant_m2"), 0, 1e-9);
	/* The same disc twice: covered once, and twice all over. */
	NEAR(cell(csv, "1", "two", "covered_m2"), a, 1e-8);
	NEAR(cell(csv, "1", "two", "redundant_m2"), a, 1e-8);
	NEAR(cell(csv, "1", "all", "redundant_m2"), a, 1e-8);
	NEAR(cell(csv, "TOTAL", "all", "covered_m2"), a, 1e-8);
	free(csv);
}
END_TEST

START_TEST(nested_squares)
{
	const char *zones[] = {
	    "POLYGON((-500 -500,0 -500,0 500,-500 500,-500 -500))",
	    "POLYGON((0 -500,500 -500,500 500,0 500,0 -500))" };
	const char *svc[] = {
	    "POLYGON((-400 -400,0 -400,0 400,-400 400,-400 -400))",
	    "POLYGON((-200 -300,300 -300,300 300,-200 300,-200 -300))",
	    "POLYGON((400 0,700 0,700 100,400 100,400 0))",
	    "POLYGON((-100 -100,100 -100,100 100,-100 100,-100 -100))" };
	struct kcn_coverage_layer cat = { "sq", NULL, 0 };
	struct kcn_coverage_opts o = { 0 };
	char *csv, *csv2;

	write_wkt(kt_path("zones.gpkg"), zones, 2);
	write_wkt(kt_path("sq.gpkg"), svc, 4);
	cat.path = kt_path("sq.gpkg");
	o.zones = kt_path("zones.gpkg");
	o.cats = &cat;
	o.ncats = 1;
	o.threads = 1;
	csv = run(&o);
	/* West: A (400 x 800) and B's west part (200 x 600) overlap in
	   200 x 600, the small square inside both. */
	NEAR(cell(csv, "1", "sq", "covered_m2"), 320000, 1e-9);
	NEAR(cell(csv, "1", "sq", "redundant_m2"), 120000, 1e-9);
	/* East: B's east part (300 x 600), C's inside part (100 x 100),
	   the small square's east half twice. */
	NEAR(cell(csv, "2", "sq", "covered_m2"), 190000, 1e-9);
	NEAR(cell(csv, "2", "sq", "redundant_m2"), 20000, 1e-9);
	NEAR(cell(csv, "TOTAL", "sq", "covered_m2"), 510000, 1e-9);
	NEAR(cell(csv, "TOTAL", "sq", "zone_m2"), 1e6, 1e-9);
	/* The same bytes on two threads. */
	o.threads = 2;
	csv2 = run(&o);
	ck_assert_str_eq(csv, csv2);
	free(csv);
	free(csv2);
}
END_TEST

/*
 * TOTAL is the zones' union: merged by their shared edges when they tile
 * the city, by an overlay when they overlap, even by a sliver too thin
 * for GEOS's coverage union to notice (1 square metre in 2 million).
 */
START_TEST(zones_total)
{
	const char *tiled[] = {
	    "POLYGON((0 0,1000 0,1000 1000,0 1000,0 0))",
	    "POLYGON((1000 0,2000 0,2000 1000,1000 1000,1000 0))" };
	const char *sliver[] = {
	    "POLYGON((0 0,1000 0,1000 1000,0 1000,0 0))",
	    "POLYGON((999.999 0,2000 0,2000 1000,999.999 1000,999.999 0))" };
	const char *svc[] = {
	    "POLYGON((500 250,1500 250,1500 750,500 750,500 250))" };
	struct kcn_coverage_layer cat = { "c", NULL, 0 };
	struct kcn_coverage_opts o = { 0 };
	char *csv;

	write_wkt(kt_path("c.gpkg"), svc, 1);
	cat.path = kt_path("c.gpkg");
	o.zones = kt_path("zones.gpkg");
	o.cats = &cat;
	o.ncats = 1;
	o.threads = 1;
	write_wkt(kt_path("zones.gpkg"), tiled, 2);
	csv = run(&o);
	NEAR(cell(csv, "TOTAL", "c", "zone_m2"), cell(csv, "1", "c",
	    "zone_m2") + cell(csv, "2", "c", "zone_m2"), 1e-12);
	NEAR(cell(csv, "TOTAL", "c", "covered_m2"), cell(csv, "1", "c",
	    "covered_m2") + cell(csv, "2", "c", "covered_m2"), 1e-12);
	free(csv);
	write_wkt(kt_path("zones.gpkg"), sliver, 2);
	csv = run(&o);
	NEAR(cell(csv, "TOTAL", "c", "zone_m2"), cell(csv, "1", "c",
	    "zone_m2") + cell(csv, "2", "c", "zone_m2") - 1, 1e-9);
	NEAR(cell(csv, "TOTAL", "c", "covered_m2"), cell(csv, "1", "c",
	    "covered_m2") + cell(csv, "2", "c", "covered_m2") - 0.5, 1e-9);
	free(csv);
}
END_TEST

/*
 * People under a staircase of 14 squares: cells crossed by many of their
 * corners are quartered, and quarters that two squares hold are covered
 * whole, within cells that the zone holds whole.  Against GEOS's areas of
 * the squares' union in each raster cell.
 */
START_TEST(staircase_population)
{
	const char *zones[] = {
	    "POLYGON((0 0,1000 0,1000 1000,0 1000,0 0))" };
	char svc[14][160], *csv;
	const char *csvc[14];
	struct kcn_coverage_layer cat = { "c", NULL, 0 };
	struct kcn_coverage_opts o = { 0 };
	GEOSContextHandle_t h = kcn_ctx_geos(kt_ctx);
	GEOSGeometry *sq[14], *all, *u;
	double want = 0;

	for (int i = 0; i < 14; i++) {
		double a = 7.0 * i, b = 300 + 7.0 * i;

		snprintf(svc[i], sizeof(svc[i]), "POLYGON((%g %g,%g %g,%g %g,"
		    "%g %g,%g %g))", a, a, b, a, b, b, a, b, a, a);
		csvc[i] = svc[i];
		sq[i] = kt_wkt(svc[i]);
	}
	all = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, sq, 14);
	u = GEOSUnaryUnion_r(h, all);
	for (int j = 0; j < 10; j++)
		for (int i = 0; i < 10; i++) {
			GEOSGeometry *c = GEOSClipByRect_r(h, u, 100 * i,
			    900 - 100 * j, 100 * i + 100, 1000 - 100 * j);
			double a = 0;

			GEOSArea_r(h, c, &a);
			want += a / 1e4 * (1 + i + 10 * j);
			GEOSGeom_destroy_r(h, c);
		}
	GEOSGeom_destroy_r(h, u);
	GEOSGeom_destroy_r(h, all);
	write_wkt(kt_path("zones.gpkg"), zones, 1);
	write_wkt(kt_path("c.gpkg"), csvc, 14);
	write_raster(kt_path("pop.tif"), 10, 10, 0, 1000, -1, 0, NULL);
	cat.path = kt_path("c.gpkg");
	o.zones = kt_path("zones.gpkg");
	o.cats = &cat;
	o.ncats = 1;
	o.pop = kt_path("pop.tif");
	csv = run(&o);
	/* To the report's printed digits. */
	NEAR(cell(csv, "1", "c", "pop_covered"), want, 1e-6);
	free(csv);
}
END_TEST

START_TEST(half_a_cell)
{
	const char *zones[] = { "POLYGON((-500 -500,500 -500,500 500,-500 500,"
	    "-500 -500))" };
	/* Half of the top-left cell (value 1), by a triangle; the cell
	   below it (value 11) whole; a quarter of cell 3, 1 (value 4). */
	const char *svc[] = {
	    "POLYGON((-500 500,-400 500,-500 400,-500 500))",
	    "POLYGON((-500 300,-400 300,-400 400,-500 400,-500 300))",
	    "POLYGON((-200 450,-150 450,-150 500,-200 500,-200 450))" };
	struct kcn_coverage_layer cat = { "c", NULL, 0 };
	struct kcn_coverage_opts o = { 0 };
	double total = 0;
	char *csv;

	write_wkt(kt_path("zones.gpkg"), zones, 1);
	write_wkt(kt_path("c.gpkg"), svc, 3);
	/* 10 x 10 cells over the zone; cell 9, 9 has no data. */
	write_raster(kt_path("pop.tif"), 10, 10, -500, 500, 9, 9, NULL);
	for (int j = 0; j < 10; j++)
		for (int i = 0; i < 10; i++)
			total += i == 9 && j == 9 ? 0 : 1 + i + 10 * j;
	cat.path = kt_path("c.gpkg");
	o.zones = kt_path("zones.gpkg");
	o.cats = &cat;
	o.ncats = 1;
	o.pop = kt_path("pop.tif");
	csv = run(&o);
	NEAR(cell(csv, "1", "c", "pop"), total, 1e-9);
	NEAR(cell(csv, "1", "c", "pop_covered"), 0.5 * 1 + 11 + 0.25 * 4,
	    1e-9);
	NEAR(cell(csv, "1", "c", "pop_unknown_m2"), 10000, 1e-9);
	free(csv);
	/* A zone past the raster's edge: its outside part unknown. */
	write_raster(kt_path("pop.tif"), 5, 10, -500, 500, -1, 0, NULL);
	csv = run(&o);
	NEAR(cell(csv, "1", "c", "pop_unknown_m2"), 500000, 1e-9);
	free(csv);
}
END_TEST

/*
 * Writes the zones Z[NZ], category c's service areas S[NS], the points
 * P[NP] (layer p) and the lines L[NL] (layer r), and sets O to measure
 * them.
 */
static void
points_lines_case(struct kcn_coverage_opts *o, const char *const *z, int nz,
    const char *const *s, int ns, const char *const *p, int np,
    const char *const *l, int nl)
{
	static struct kcn_coverage_layer cat = { "c", NULL, 0 };
	static struct kcn_coverage_layer pl = { "p", NULL, 0 };
	static struct kcn_coverage_layer ll = { "r", NULL, 0 };

	write_wkt(kt_path("zones.gpkg"), z, nz);
	write_wkt(kt_path("c.gpkg"), s, ns);
	write_wkt(kt_path("p.gpkg"), p, np);
	write_wkt(kt_path("r.gpkg"), l, nl);
	cat.path = kt_path("c.gpkg");
	pl.path = kt_path("p.gpkg");
	ll.path = kt_path("r.gpkg");
	memset(o, 0, sizeof(*o));
	o->zones = kt_path("zones.gpkg");
	o->cats = &cat;
	o->ncats = 1;
	o->points = &pl;
	o->npoints = 1;
	o->lines = &ll;
	o->nlines = 1;
}

START_TEST(points_and_lines)
{
	const char *zones[] = { "POLYGON((-500 -500,500 -500,500 500,-500 500,"
	    "-500 -500))" };
	const char *svc[] = {
	    "POLYGON((-300 -300,0 -300,0 300,-300 300,-300 -300))" };
	const char *pts[] = { "POINT(-100 0)", "POINT(-299 299)",
	    "POINT(100 0)", "POINT(600 0)",
	    "POLYGON((-10 -10,10 -10,10 10,-10 10,-10 -10))" };
	const char *lines[] = { "LINESTRING(-600 0,600 0)" };
	struct kcn_coverage_opts o;
	char *csv;

	points_lines_case(&o, zones, 1, svc, 1, pts, 5, lines, 1);
	csv = run(&o);
	/* The square's centroid (0, 0) is on the cover's edge: covered. */
	NEAR(cell(csv, "1", "c", "p_n"), 4, 0);
	NEAR(cell(csv, "1", "c", "p_covered"), 3, 0);
	/* Geodesic metres: the projection's scale is 1 at its centre. */
	NEAR(cell(csv, "1", "c", "r_m"), 1000, 1e-5);
	NEAR(cell(csv, "1", "c", "r_covered_m"), 300, 1e-5);
	free(csv);
	/* By area: the square is half covered. */
	o.by_area = 1;
	csv = run(&o);
	NEAR(cell(csv, "1", "c", "p_covered"), 2.5, 1e-9);
	free(csv);
}
END_TEST

/* A uniform double in [0, 1). */
static double
rnd(unsigned long long *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (double)(*s >> 11) / 9007199254740992.0;
}

/*
 * Zones and a cover whose pieces are triangles: lines and points on
 * either side of their slanting edges, inside the pieces' envelopes (a
 * piece that holds or misses them whole is told without an overlay).
 */
START_TEST(across_slanting_edges)
{
	const char *zones[] = {
	    "POLYGON((-500 -500,500 -500,500 500,-500 -500))",
	    "POLYGON((-500 -500,500 500,-500 500,-500 -500))" };
	const char *svc[] = { "POLYGON((-300 -300,300 -300,300 300,"
	    "-300 -300))" };
	const char *pts[] = { "POINT(100 -50)", "POINT(-100 50)",
	    "POINT(50 -100)" };
	const char *lines[] = { "LINESTRING(0 -250,0 250)",
	    "LINESTRING(-200 -100,-100 -200)" };
	struct kcn_coverage_opts o;
	char *csv;

	points_lines_case(&o, zones, 2, svc, 1, pts, 3, lines, 2);
	csv = run(&o);
	NEAR(cell(csv, "1", "c", "p_n"), 2, 0);
	NEAR(cell(csv, "1", "c", "p_covered"), 2, 0);
	NEAR(cell(csv, "2", "c", "p_n"), 1, 0);
	NEAR(cell(csv, "2", "c", "p_covered"), 0, 0);
	/* Each line is half in each zone, crossing the diagonal (at 0, 0
	   and at -150, -150), and covered where it is below it. */
	NEAR(cell(csv, "1", "c", "r_m"), 250 + 100 * M_SQRT2 / 2, 1e-4);
	NEAR(cell(csv, "2", "c", "r_m"), 250 + 100 * M_SQRT2 / 2, 1e-4);
	NEAR(cell(csv, "1", "c", "r_covered_m"), 250 + 100 * M_SQRT2 / 2,
	    1e-4);
	NEAR(cell(csv, "2", "c", "r_covered_m"), 0, 1e-4);
	free(csv);
}
END_TEST

START_TEST(population_supersampled)
{
	GEOSContextHandle_t h = kcn_ctx_geos(kt_ctx);
	const char *zones[] = { "POLYGON((-480 -470,490 -500,470 480,-500 490,"
	    "-480 -470))" };
	unsigned long long s = 88172645463325252ULL + (unsigned)_i;
	char *wkt[6], *csv;
	const char *w[6];
	double vals[100], brute = 0;
	const GEOSPreparedGeometry *pz, *pu;
	GEOSGeometry *z, *u, *parts[6], *coll;
	struct kcn_coverage_layer cat = { "c", NULL, 0 };
	struct kcn_coverage_opts o = { 0 };
	const int k = 40;	/* samples per cell side */

	for (int i = 0; i < 100; i++)
		vals[i] = floor(rnd(&s) * 100);
	for (int i = 0; i < 6; i++) {
		w[i] = ngon(-400 + 800 * rnd(&s), -400 + 800 * rnd(&s), 60 +
		    200 * rnd(&s), 5 + (int)(rnd(&s) * 12));
		wkt[i] = strdup(w[i]);
		parts[i] = kt_wkt(wkt[i]);
	}
	write_wkt(kt_path("zones.gpkg"), zones, 1);
	write_wkt(kt_path("c.gpkg"), (const char *const *)wkt, 6);
	write_raster(kt_path("pop.tif"), 10, 10, -500, 500, -1, 0, vals);
	cat.path = kt_path("c.gpkg");
	o.zones = kt_path("zones.gpkg");
	o.cats = &cat;
	o.ncats = 1;
	o.pop = kt_path("pop.tif");
	csv = run(&o);
	/* Brute force: K x K sample points a cell. */
	coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts,
	    6);
	u = GEOSUnaryUnion_r(h, coll);
	z = kt_wkt(zones[0]);
	pz = GEOSPrepare_r(h, z);
	pu = GEOSPrepare_r(h, u);
	for (int j = 0; j < 10; j++)
		for (int i = 0; i < 10; i++) {
			int in = 0;

			for (int b = 0; b < k; b++)
				for (int a = 0; a < k; a++) {
					double x = -500 + 100 * i + 100 * (a +
					    0.5) / k, y = 500 - 100 * j - 100 *
					    (b + 0.5) / k;
					GEOSGeometry *p =
					    GEOSGeom_createPointFromXY_r(h, x,
					    y);

					in += GEOSPreparedContains_r(h, pz, p) &&
					    GEOSPreparedContains_r(h, pu, p);
					GEOSGeom_destroy_r(h, p);
				}
			brute += vals[j * 10 + i] * in / (double)(k * k);
		}
	/* Supersampling errs by about a sample's share on the edges. */
	NEAR(cell(csv, "1", "c", "pop_covered"), brute, 5e-3);
	GEOSPreparedGeom_destroy_r(h, pz);
	GEOSPreparedGeom_destroy_r(h, pu);
	GEOSGeom_destroy_r(h, z);
	GEOSGeom_destroy_r(h, u);
	GEOSGeom_destroy_r(h, coll);
	for (int i = 0; i < 6; i++)
		free(wkt[i]);
	free(csv);
}
END_TEST

/*
 * Ten random polygons piled on each other: the covered and the redundant
 * areas (covered two or more times) against GEOS's overlays of the same
 * polygons, the union and the union of every pair's intersection.
 */
START_TEST(many_overlaps)
{
	GEOSContextHandle_t h = kcn_ctx_geos(kt_ctx);
	const char *zones[] = { "POLYGON((-500 -500,500 -500,500 500,"
	    "-500 500,-500 -500))" };
	unsigned long long s = 7640891576956012809ULL + (unsigned)_i;
	enum { N = 10 };
	char *wkt[N], *csv;
	GEOSGeometry *parts[N], *pairs[N * N], *coll, *u, *t;
	struct kcn_coverage_layer cat = { "c", NULL, 0 };
	struct kcn_coverage_opts o = { 0 };
	int np = 0;
	double au, at;

	for (int i = 0; i < N; i++) {
		wkt[i] = strdup(ngon(-200 + 400 * rnd(&s), -200 + 400 *
		    rnd(&s), 60 + 200 * rnd(&s), 5 + (int)(rnd(&s) * 30)));
		parts[i] = kt_wkt(wkt[i]);
	}
	for (int i = 0; i < N; i++)
		for (int j = i + 1; j < N; j++)
			pairs[np++] = GEOSIntersection_r(h, parts[i], parts[j]);
	coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, pairs,
	    (unsigned)np);
	t = GEOSUnaryUnion_r(h, coll);
	GEOSArea_r(h, t, &at);
	GEOSGeom_destroy_r(h, coll);
	GEOSGeom_destroy_r(h, t);
	coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts,
	    N);
	u = GEOSUnaryUnion_r(h, coll);
	GEOSArea_r(h, u, &au);
	GEOSGeom_destroy_r(h, coll);
	GEOSGeom_destroy_r(h, u);
	write_wkt(kt_path("zones.gpkg"), zones, 1);
	write_wkt(kt_path("c.gpkg"), (const char *const *)wkt, N);
	cat.path = kt_path("c.gpkg");
	o.zones = kt_path("zones.gpkg");
	o.cats = &cat;
	o.ncats = 1;
	csv = run(&o);
	/* Printed to the millimetre. */
	NEAR(cell(csv, "1", "c", "covered_m2"), au, 1e-8);
	NEAR(cell(csv, "1", "c", "redundant_m2"), at, 1e-8);
	for (int i = 0; i < N; i++)
		free(wkt[i]);
	free(csv);
}
END_TEST

/*
 * Circles drawn around points (NAME=LAYER:r=METRES) against the true
 * geodesic polygon through the same 32 azimuths (its area by
 * geod_polygonarea), at the projection's centre and 300 km from it.
 */
START_TEST(circles_true)
{
	static const double r[] = { 150, 5000 };
	const char *zones[] = { "POLYGON((-400000 -400000,400000 -400000,"
	    "400000 400000,-400000 400000,-400000 -400000))" };
	char pt[64];
	const char *pts[] = { pt };
	struct geod_geodesic g;
	struct kcn_coverage_layer cat = { "c", NULL, 0 };
	struct kcn_coverage_opts o = { 0 };
	OGRSpatialReferenceH a = laea(), ll = OSRNewSpatialReference(NULL);
	OGRCoordinateTransformationH ct;
	double x = _i == 0 ? 0 : 300000, y = _i == 0 ? 0 : -150000;

	OSRImportFromEPSG(ll, 4326);
	OSRSetAxisMappingStrategy(ll, OAMS_TRADITIONAL_GIS_ORDER);
	OSRSetAxisMappingStrategy(a, OAMS_TRADITIONAL_GIS_ORDER);
	ct = OCTNewCoordinateTransformation(a, ll);
	geod_init(&g, 6378137, 1 / 298.257223563);
	snprintf(pt, sizeof(pt), "POINT(%.3f %.3f)", x, y);
	write_wkt(kt_path("zones.gpkg"), zones, 1);
	write_wkt(kt_path("p.gpkg"), pts, 1);
	OCTTransform(ct, 1, &x, &y, NULL);
	for (int k = 0; k < 2; k++) {
		struct geod_polygon poly;
		double area, perim, lat, lon;
		char *csv;

		geod_polygon_init(&poly, 0);
		for (int i = 0; i < 32; i++) {
			/* GEOS's vertices: from east, anticlockwise. */
			geod_direct(&g, y, x, 90 - 360.0 * i / 32, r[k], &lat,
			    &lon, NULL);
			geod_polygon_addpoint(&g, &poly, lat, lon);
		}
		geod_polygon_compute(&g, &poly, 0, 1, &area, &perim);
		cat.path = kt_path("p.gpkg");
		cat.radius = r[k];
		o.zones = kt_path("zones.gpkg");
		o.cats = &cat;
		o.ncats = 1;
		csv = run(&o);
		NEAR(cell(csv, "1", "c", "covered_m2"), fabs(area), 2e-8);
		free(csv);
	}
	OCTDestroyCoordinateTransformation(ct);
	OSRRelease(a);
	OSRRelease(ll);
}
END_TEST

/* A line buffered (NAME=LAYER:r=METRES): a rectangle and two half
   circles, true to the metre near the projection's centre. */
START_TEST(line_buffer)
{
	const char *zones[] = { "POLYGON((-5000 -5000,5000 -5000,5000 5000,"
	    "-5000 5000,-5000 -5000))" };
	const char *lines[] = { "LINESTRING(-200 0,200 0)",
	    "LINESTRING(-200 2000,200 2000)" };
	struct kcn_coverage_layer cat = { "c", NULL, 50 };
	struct kcn_coverage_opts o = { 0 };
	double want = 2 * 2 * 50 * 400 + 2 * 16 * 50 * 50 * sin(M_PI / 16);
	char *csv;

	write_wkt(kt_path("zones.gpkg"), zones, 1);
	write_wkt(kt_path("l.gpkg"), lines, 2);
	cat.path = kt_path("l.gpkg");
	o.zones = kt_path("zones.gpkg");
	o.cats = &cat;
	o.ncats = 1;
	csv = run(&o);
	NEAR(cell(csv, "1", "c", "covered_m2"), want, 1e-7);
	NEAR(cell(csv, "1", "c", "redundant_m2"), 0, 0);
	free(csv);
}
END_TEST

/* Population areas (--pop-layer): people spread evenly over each. */
START_TEST(population_areas)
{
	const char *zones[] = { "POLYGON((-500 -500,500 -500,500 500,-500 500,"
	    "-500 -500))" };
	const char *svc[] = {
	    "POLYGON((-250 -500,250 -500,250 500,-250 500,-250 -500))" };
	const char *units[] = {
	    "POLYGON((-500 -500,0 -500,0 500,-500 500,-500 -500))",
	    "POLYGON((0 -500,1000 -500,1000 500,0 500,0 -500))" };
	struct kcn_coverage_layer cat = { "c", NULL, 0 };
	struct kcn_coverage_opts o = { 0 };
	GDALDatasetH ds;
	OGRLayerH l;
	OGRFieldDefnH fd;
	char *csv;

	write_wkt(kt_path("zones.gpkg"), zones, 1);
	write_wkt(kt_path("c.gpkg"), svc, 1);
	write_wkt(kt_path("u.gpkg"), units, 2);
	/* People: 1000 in the first unit, 500 in the second. */
	ds = GDALOpenEx(kt_path("u.gpkg"), GDAL_OF_VECTOR | GDAL_OF_UPDATE,
	    NULL, NULL, NULL);
	ck_assert_ptr_nonnull(ds);
	l = GDALDatasetGetLayer(ds, 0);
	fd = OGR_Fld_Create("people", OFTReal);
	OGR_L_CreateField(l, fd, TRUE);
	OGR_Fld_Destroy(fd);
	for (int i = 1; i <= 2; i++) {
		OGRFeatureH f = OGR_L_GetFeature(l, i);

		OGR_F_SetFieldDouble(f, OGR_F_GetFieldIndex(f, "people"),
		    i == 1 ? 1000 : 500);
		ck_assert_int_eq(OGR_L_SetFeature(l, f), OGRERR_NONE);
		OGR_F_Destroy(f);
	}
	GDALClose(ds);
	cat.path = kt_path("c.gpkg");
	o.zones = kt_path("zones.gpkg");
	o.cats = &cat;
	o.ncats = 1;
	o.pop_layer = kt_path("u.gpkg");
	o.pop_field = "people";
	csv = run(&o);
	NEAR(cell(csv, "1", "c", "pop"), 1000 + 500 * 0.5, 1e-9);
	NEAR(cell(csv, "1", "c", "pop_covered"), 1000 * 0.5 + 500 * 0.25,
	    1e-9);
	ck_assert(isnan(cell(csv, "1", "c", "pop_unknown_m2")));
	free(csv);
	o.pop_field = "nosuch";
	o.output = kt_path("r.csv");
	ck_assert_int_eq(kcn_coverage_run(kt_ctx, &o, NULL), KCN_EUSAGE);
}
END_TEST

START_TEST(bad_input)
{
	const char *zones[] = {
	    "POLYGON((0 0,10 0,10 10,0 10,0 0))",
	    "POLYGON((5 0,15 0,15 10,5 10,5 0))" };
	struct kcn_coverage_layer cat = { "c", NULL, 0 };
	struct kcn_coverage_opts o = { 0 };
	char arg[] = "cctv=a.fgb:r=150", bad[] = "cctv=a.fgb:r=x";
	struct kcn_coverage_layer l;

	ck_assert_int_eq(kcn_coverage_layer_parse(kt_ctx, arg, &l), KCN_OK);
	ck_assert_str_eq(l.name, "cctv");
	ck_assert_str_eq(l.path, "a.fgb");
	ck_assert(l.radius == 150);
	ck_assert_int_eq(kcn_coverage_layer_parse(kt_ctx, bad, &l),
	    KCN_EUSAGE);
	write_wkt(kt_path("zones.gpkg"), zones, 2);
	write_wkt(kt_path("c.gpkg"), zones, 1);
	cat.path = kt_path("c.gpkg");
	o.zones = kt_path("zones.gpkg");
	o.cats = &cat;
	o.ncats = 1;
	o.segments = 8;
	o.output = kt_path("r.csv");
	/* Duplicate ids: the id field holds 1 and 2, so use a constant. */
	o.zone_id = "nosuch";
	ck_assert_int_eq(kcn_coverage_run(kt_ctx, &o, NULL), KCN_EUSAGE);
	o.zone_id = NULL;
	o.pop = kt_path("nosuch.tif");
	ck_assert_int_eq(kcn_coverage_run(kt_ctx, &o, NULL), KCN_ENOINPUT);
	ck_assert_int_eq(access(kt_path("r.csv"), F_OK), -1);
}
END_TEST

Suite *
coverage_suite(void)
{
	Suite *s = suite_create("coverage");
	TCase *tc = tcase_create("coverage");

	tcase_add_checked_fixture(tc, kt_setup, kt_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, disc_in_square);
	tcase_add_test(tc, nested_squares);
	tcase_add_test(tc, half_a_cell);
	tcase_add_test(tc, points_and_lines);
	tcase_add_test(tc, across_slanting_edges);
	tcase_add_loop_test(tc, population_supersampled, 0, 3);
	tcase_add_loop_test(tc, many_overlaps, 0, 3);
	tcase_add_test(tc, zones_total);
	tcase_add_test(tc, staircase_population);
	tcase_add_loop_test(tc, circles_true, 0, 2);
	tcase_add_test(tc, line_buffer);
	tcase_add_test(tc, population_areas);
	tcase_add_test(tc, bad_input);
	suite_add_tcase(s, tc);
	return s;
}
