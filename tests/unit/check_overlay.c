/*
 * check_overlay.c: properties of kcn-overlay's operations on random
 * layers.  A is a grid of random star-shaped polygons, some with holes
 * (not overlapping each other); B is a Voronoi partition of random points
 * with cells dropped and shrunk, so A has parts inside and outside it.
 * Then, within 1e-9 relative: clip + erase = A, intersect = clip,
 * identity = A and covers it exactly, union = A + B - A∩B, symdifference
 * = A + B - 2 A∩B; every output geometry is valid, and the bytes are the
 * same for one and two threads.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_kcn.h"
#include "kcn_internal.h"

#define TOL 1e-9

/* A uniform double in [0, 1) from a 64-bit xorshift state. */
static double
rnd(unsigned long long *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (double)(*s >> 11) / 9007199254740992.0;
}

/* A star-shaped ring around (CX, CY), radii in [R0, R1). */
static GEOSGeometry *
star(GEOSContextHandle_t h, unsigned long long *s, double cx, double cy,
    double r0, double r1, int ccw)
{
	int n = 5 + (int)(rnd(s) * 16);
	GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, n + 1, 2);
	double x0 = 0, y0 = 0;

	for (int i = 0; i < n; i++) {
		double a = 2 * M_PI * i / n * (ccw ? 1 : -1);
		double r = r0 + (r1 - r0) * rnd(s);
		double x = cx + r * cos(a), y = cy + r * sin(a);

		if (i == 0)
			x0 = x, y0 = y;
		GEOSCoordSeq_setXY_r(h, cs, i, x, y);
	}
	GEOSCoordSeq_setXY_r(h, cs, n, x0, y0);
	return GEOSGeom_createLinearRing_r(h, cs);
}

/* Writes GS[0..N) with fields id and NAME (text) to PATH, EPSG:32649. */
static void
write_layer(const char *path, const char *name, GEOSGeometry **gs, int n)
{
	GEOSContextHandle_t h = kcn_ctx_geos(kt_ctx);
	GDALDriverH drv = GDALGetDriverByName("GPKG");
	OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
	GDALDatasetH ds;
	OGRLayerH l;
	OGRFieldDefnH fd;

	OSRImportFromEPSG(srs, 32649);
	ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
	ck_assert_ptr_nonnull(ds);
	l = GDALDatasetCreateLayer(ds, name, srs, wkbMultiPolygon, NULL);
	ck_assert_ptr_nonnull(l);
	fd = OGR_Fld_Create("id", OFTInteger);
	OGR_L_CreateField(l, fd, TRUE);
	OGR_Fld_Destroy(fd);
	fd = OGR_Fld_Create(name, OFTString);
	OGR_L_CreateField(l, fd, TRUE);
	OGR_Fld_Destroy(fd);
	for (int i = 0; i < n; i++) {
		OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
		char label[32];

		OGR_F_SetGeometryDirectly(f, kcn_geom_from_geos(kt_ctx,
		    gs[i]));
		OGR_F_SetFieldInteger(f, 0, i + 1);
		snprintf(label, sizeof(label), "%s %d", name, i + 1);
		OGR_F_SetFieldString(f, 1, label);
		ck_assert_int_eq(OGR_L_CreateFeature(l, f), OGRERR_NONE);
		OGR_F_Destroy(f);
		GEOSGeom_destroy_r(h, gs[i]);
	}
	GDALClose(ds);
	OSRRelease(srs);
}

/* Random layers A (a.gpkg) and B (b.gpkg) from SEED; B of rectangles
   (cut by GEOS's rectangle clipping) for every third seed. */
static void
make_layers(unsigned long long seed)
{
	GEOSContextHandle_t h = kcn_ctx_geos(kt_ctx);
	unsigned long long s = seed * 2654435761ULL + 88172645463325252ULL;
	GEOSGeometry *a[36], *b[64], *pts[24], *coll, *box, *vor;
	int na = 0, nb = 0, np = 10 + (int)(rnd(&s) * 14);

	for (int i = 0; i < 6; i++)
		for (int j = 0; j < 6; j++) {
			double cx = 50 + 100 * i, cy = 50 + 100 * j;
			double r1 = 15 + 33 * rnd(&s);
			GEOSGeometry *shell = star(h, &s, cx, cy, r1 * 0.6, r1,
			    1), *hole = NULL;

			if (rnd(&s) < 0.3)
				hole = star(h, &s, cx, cy, r1 * 0.1, r1 * 0.5,
				    0);
			a[na++] = GEOSGeom_createPolygon_r(h, shell,
			    hole ? &hole : NULL, hole ? 1 : 0);
		}
	if (seed % 3 == 0) {
		/* A grid of 6 by 6 cells, some left out, each shrunk. */
		for (int i = 0; i < 6; i++)
			for (int j = 0; j < 6; j++) {
				double x = -20 + 110 * i, y = -20 + 110 * j;

				if (rnd(&s) < 0.3)
					continue;
				b[nb++] = GEOSGeom_createRectangle_r(h, x + 30 *
				    rnd(&s), y + 30 * rnd(&s), x + 110 - 30 *
				    rnd(&s), y + 110 - 30 * rnd(&s));
			}
		write_layer(kt_path("a.gpkg"), "a", a, na);
		write_layer(kt_path("b.gpkg"), "b", b, nb);
		return;
	}
	for (int i = 0; i < np; i++)
		pts[i] = GEOSGeom_createPointFromXY_r(h, -50 + 700 * rnd(&s),
		    -50 + 700 * rnd(&s));
	coll = GEOSGeom_createCollection_r(h, GEOS_MULTIPOINT, pts, np);
	box = kt_wkt("POLYGON ((-60 -60, 660 -60, 660 660, -60 660, "
	    "-60 -60))");
	vor = GEOSVoronoiDiagram_r(h, coll, box, 0, 0);
	ck_assert_ptr_nonnull(vor);
	for (int i = 0; i < GEOSGetNumGeometries_r(h, vor); i++) {
		GEOSGeometry *c, *shrunk;

		if (rnd(&s) < 0.3)
			continue;	/* a gap */
		c = GEOSIntersection_r(h, GEOSGetGeometryN_r(h, vor, i), box);
		shrunk = GEOSBuffer_r(h, c, -3 - 12 * rnd(&s), 8);
		GEOSGeom_destroy_r(h, c);
		if (GEOSisEmpty_r(h, shrunk))
			GEOSGeom_destroy_r(h, shrunk);
		else
			b[nb++] = shrunk;
	}
	GEOSGeom_destroy_r(h, vor);
	GEOSGeom_destroy_r(h, coll);
	GEOSGeom_destroy_r(h, box);
	ck_assert_int_gt(nb, 0);
	write_layer(kt_path("a.gpkg"), "a", a, na);
	write_layer(kt_path("b.gpkg"), "b", b, nb);
}

/* Runs OP on the random layers into OUT; returns its status. */
static enum kcn_status
run(enum kcn_overlay_op op, const char *out, int threads, char **b_fields)
{
	struct kcn_overlay_opts o = { 0 };

	o.op = op;
	o.b_path = kt_path("b.gpkg");
	o.b_fields = b_fields;
	o.threads = threads;
	o.out.path = out;
	return kcn_overlay_run(kt_ctx, kt_path("a.gpkg"), &o);
}

/*
 * The total area of PATH's features, all of which must be valid; with
 * U, their union.
 */
static double
area_of(const char *path, GEOSGeometry **u)
{
	GEOSContextHandle_t h = kcn_ctx_geos(kt_ctx);
	GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
	GEOSGeometry **all = NULL, *coll;
	OGRFeatureH f;
	OGRLayerH l;
	double sum = 0;
	int n = 0;

	ck_assert_ptr_nonnull(ds);
	l = GDALDatasetGetLayer(ds, 0);
	while ((f = OGR_L_GetNextFeature(l)) != NULL) {
		GEOSGeometry *g = kcn_geom_to_geos(kt_ctx,
		    OGR_F_GetGeometryRef(f));
		double a;

		ck_assert_ptr_nonnull(g);
		ck_assert_msg(GEOSisValid_r(h, g) == 1, "%s: feature %d is "
		    "invalid", path, n + 1);
		ck_assert_int_eq(GEOSArea_r(h, g, &a), 1);
		sum += a;
		all = realloc(all, (n + 1) * sizeof(*all));
		all[n++] = g;
		OGR_F_Destroy(f);
	}
	GDALClose(ds);
	coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, all, n);
	free(all);
	if (u != NULL)
		*u = GEOSUnaryUnion_r(h, coll);
	GEOSGeom_destroy_r(h, coll);
	return sum;
}

static void
near(double got, double want, double scale, const char *what,
    unsigned long long seed)
{
	ck_assert_msg(fabs(got - want) <= TOL * scale, "seed %llu: %s: "
	    "%.12g, expected %.12g", seed, what, got, want);
}

START_TEST(properties)
{
	GEOSContextHandle_t h = kcn_ctx_geos(kt_ctx);
	unsigned long long seed = 1 + (unsigned long long)_i;
	int threads = 1 + _i % 2;
	GEOSGeometry *ua, *uid, *x;
	double aa, ab, ac, ae, ai, aid, au, as, ax;

	make_layers(seed);
	aa = area_of(kt_path("a.gpkg"), &ua);
	ab = area_of(kt_path("b.gpkg"), NULL);
	ck_assert_int_eq(run(KCN_OVERLAY_CLIP, kt_path("c.gpkg"), threads,
	    NULL), KCN_OK);
	ck_assert_int_eq(run(KCN_OVERLAY_ERASE, kt_path("e.gpkg"), threads,
	    NULL), KCN_OK);
	ck_assert_int_eq(run(KCN_OVERLAY_INTERSECT, kt_path("i.gpkg"), threads,
	    NULL), KCN_OK);
	ck_assert_int_eq(run(KCN_OVERLAY_IDENTITY, kt_path("id.gpkg"),
	    threads, NULL), KCN_OK);
	ck_assert_int_eq(run(KCN_OVERLAY_UNION, kt_path("u.gpkg"), threads,
	    NULL), KCN_OK);
	ck_assert_int_eq(run(KCN_OVERLAY_SYMDIFFERENCE, kt_path("s.gpkg"),
	    threads, NULL), KCN_OK);
	ac = area_of(kt_path("c.gpkg"), NULL);
	ae = area_of(kt_path("e.gpkg"), NULL);
	ai = area_of(kt_path("i.gpkg"), NULL);
	aid = area_of(kt_path("id.gpkg"), &uid);
	au = area_of(kt_path("u.gpkg"), NULL);
	as = area_of(kt_path("s.gpkg"), NULL);
	/* Not trivial: A has parts both inside and outside B. */
	ck_assert_msg(ac > 0.05 * aa && ae > 0.05 * aa, "seed %llu: clip %g, "
	    "erase %g of %g", seed, ac, ae, aa);
	near(ac + ae, aa, aa, "clip + erase", seed);
	near(ai, ac, aa, "intersect", seed);
	near(aid, aa, aa, "identity", seed);
	near(au, aa + ab - ai, aa + ab, "union", seed);
	near(as, aa + ab - 2 * ai, aa + ab, "symdifference", seed);
	/* Identity covers A exactly, not just by the sum of areas. */
	x = GEOSSymDifference_r(h, ua, uid);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(GEOSArea_r(h, x, &ax), 1);
	near(ax, 0, aa, "identity's difference from A", seed);
	GEOSGeom_destroy_r(h, x);
	GEOSGeom_destroy_r(h, ua);
	GEOSGeom_destroy_r(h, uid);
}
END_TEST

/* The same bytes with one thread and with two, B's leftovers included. */
START_TEST(threads_same_bytes)
{
	size_t n1, n2;
	char *b1, *b2;

	make_layers(99);
	ck_assert_int_eq(run(KCN_OVERLAY_UNION, kt_path("u1.fgb"), 1, NULL),
	    KCN_OK);
	ck_assert_int_eq(run(KCN_OVERLAY_UNION, kt_path("u2.fgb"), 2, NULL),
	    KCN_OK);
	b1 = kt_slurp(kt_path("u1.fgb"), &n1);
	b2 = kt_slurp(kt_path("u2.fgb"), &n2);
	ck_assert_uint_eq(n1, n2);
	ck_assert(memcmp(b1, b2, n1) == 0);
	free(b1);
	free(b2);
}
END_TEST

/* The field names of the first layer of PATH, joined by commas. */
static void
fields_of(const char *path, char *buf, size_t size)
{
	GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
	OGRFeatureDefnH d;

	ck_assert_ptr_nonnull(ds);
	d = OGR_L_GetLayerDefn(GDALDatasetGetLayer(ds, 0));
	buf[0] = '\0';
	for (int i = 0; i < OGR_FD_GetFieldCount(d); i++) {
		size_t n = strlen(buf);

		snprintf(buf + n, size - n, "%s%s", i ? "," : "",
		    OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(d, i)));
	}
	GDALClose(ds);
}

/* B's fields follow A's, renamed on a clash; --b-fields chooses them. */
START_TEST(fields)
{
	char names[256], *zone[] = { "b", NULL }, *none[] = { NULL };
	char *bad[] = { "nope", NULL };
	static const struct {
		enum kcn_overlay_op op;
		int list;	/* 0: all, 1: "b", 2: none */
		const char *want;
	} cases[] = {
		{ KCN_OVERLAY_INTERSECT, 0, "id,a,b_id,b" },
		{ KCN_OVERLAY_IDENTITY, 1, "id,a,b" },
		{ KCN_OVERLAY_UNION, 2, "id,a" },
	};

	make_layers(7);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char **list = cases[i].list == 1 ? zone : cases[i].list == 2 ?
		    none : NULL;

		ck_assert_int_eq(run(cases[i].op, kt_path("f.gpkg"), 1, list),
		    KCN_OK);
		fields_of(kt_path("f.gpkg"), names, sizeof(names));
		ck_assert_str_eq(names, cases[i].want);
		remove(kt_path("f.gpkg"));
	}
	ck_assert_int_eq(run(KCN_OVERLAY_INTERSECT, kt_path("bad.gpkg"), 1,
	    bad), KCN_EUSAGE);
	ck_assert_str_eq(kcn_ctx_where(kt_ctx), "--b-fields");
}
END_TEST

/*
 * kcni_union_areas, which leaves out parts inside cells other parts
 * contain, gives GEOS's unary union: on dense random stars (some with
 * holes, so a part's envelope is not the part) and on sparse ones.
 */
START_TEST(union_areas_exact)
{
	GEOSContextHandle_t h = kcn_ctx_geos(kt_ctx);
	unsigned long long s = 4242 + (unsigned long long)_i;
	double spread = _i == 0 ? 2000 : _i == 1 ? 6000 : 60000;
	size_t n = 3000, dropped;
	GEOSGeometry **p = calloc(n, sizeof(*p)), **q = calloc(n, sizeof(*q));
	GEOSGeometry *coll, *want, *got, *x;
	double aw, ad;

	for (size_t i = 0; i < n; i++) {
		double cx = spread * rnd(&s), cy = spread * rnd(&s);
		double r1 = 100 + 200 * rnd(&s);
		GEOSGeometry *shell = star(h, &s, cx, cy, r1 * 0.5, r1, 1);
		GEOSGeometry *hole = rnd(&s) < 0.3 ? star(h, &s, cx, cy,
		    r1 * 0.05, r1 * 0.4, 0) : NULL;

		p[i] = GEOSGeom_createPolygon_r(h, shell, hole ? &hole : NULL,
		    hole ? 1 : 0);
		q[i] = GEOSGeom_clone_r(h, p[i]);
	}
	coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, q,
	    (unsigned)n);
	want = GEOSUnaryUnion_r(h, coll);
	got = kcni_union_areas(kt_ctx, p, n, &dropped);
	ck_assert_ptr_nonnull(want);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(GEOSisValid_r(h, got), 1);
	x = GEOSSymDifference_r(h, want, got);
	ck_assert_int_eq(GEOSArea_r(h, want, &aw), 1);
	ck_assert_int_eq(GEOSArea_r(h, x, &ad), 1);
	ck_assert_msg(ad <= 1e-9 * aw, "spread %g: the unions differ by %g "
	    "of %g", spread, ad, aw);
	/* Dense: most parts left out; sparse: none worth it. */
	if (_i == 0)
		ck_assert_uint_gt(dropped, n / 2);
	if (_i == 2)
		ck_assert_uint_eq(dropped, 0);
	GEOSGeom_destroy_r(h, x);
	GEOSGeom_destroy_r(h, got);
	GEOSGeom_destroy_r(h, want);
	GEOSGeom_destroy_r(h, coll);
	free(p);
	free(q);
}
END_TEST

Suite *
overlay_suite(void)
{
	Suite *s = suite_create("overlay");
	TCase *tc = tcase_create("properties");

	tcase_add_checked_fixture(tc, kt_setup, kt_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, properties, 0, 12);
	tcase_add_test(tc, threads_same_bytes);
	tcase_add_test(tc, fields);
	tcase_add_loop_test(tc, union_areas_exact, 0, 3);
	suite_add_tcase(s, tc);
	return s;
}
