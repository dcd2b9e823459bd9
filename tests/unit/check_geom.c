/* check_geom.c: OGR <-> GEOS conversion. */
#include <math.h>
#include <string.h>

#include <cpl_conv.h>

#include "check_kcn.h"
#include "kcn_internal.h"

static const char *roundtrip_wkt[] = {
	"POINT (1 2)",
	"POINT Z (1 2 3)",
	"LINESTRING (0 0,1 1,2 0)",
	"LINESTRING Z (0 0 1,1 1 2)",
	"POLYGON ((0 0,10 0,10 10,0 10,0 0),(2 2,2 3,3 3,2 2))",
	"MULTIPOINT ((0 0),(1 1))",
	"MULTILINESTRING ((0 0,1 1),(2 2,3 3))",
	"MULTIPOLYGON (((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))",
	"GEOMETRYCOLLECTION (POINT (1 1),LINESTRING (0 0,1 1))",
	"POINT EMPTY",
	"LINESTRING EMPTY",
	"POLYGON EMPTY",
	"MULTIPOLYGON EMPTY",
	/* Invalid but convertible: validity is the caller's business. */
	"POLYGON ((0 0,10 10,10 0,0 10,0 0))",
};

START_TEST(roundtrip)
{
	GEOSContextHandle_t h = kcn_ctx_geos(kt_ctx);
	OGRGeometryH g = NULL, back;
	char *in = (char *)roundtrip_wkt[_i], *w1 = NULL, *w2 = NULL;
	GEOSGeometry *gg, *ref;

	ck_assert_int_eq(OGR_G_CreateFromWkt(&in, NULL, &g), OGRERR_NONE);
	gg = kcn_geom_to_geos(kt_ctx, g);
	ck_assert_ptr_nonnull(gg);
	/* Same as GEOS's own reading of the WKT. */
	ref = kt_wkt(roundtrip_wkt[_i]);
	ck_assert_int_eq(GEOSEqualsExact_r(h, gg, ref, 0), 1);
	ck_assert_int_eq(GEOSHasZ_r(h, gg), GEOSHasZ_r(h, ref));
	back = kcn_geom_from_geos(kt_ctx, gg);
	ck_assert_ptr_nonnull(back);
	ck_assert(OGR_G_Equals(g, back) || (OGR_G_IsEmpty(g) &&
	    OGR_G_IsEmpty(back)));
	OGR_G_ExportToIsoWkt(g, &w1);
	OGR_G_ExportToIsoWkt(back, &w2);
	ck_assert_str_eq(w1, w2);
	CPLFree(w1);
	CPLFree(w2);
	GEOSGeom_destroy_r(h, gg);
	GEOSGeom_destroy_r(h, ref);
	OGR_G_DestroyGeometry(g);
	OGR_G_DestroyGeometry(back);
}
END_TEST

START_TEST(curves_linearised)
{
	GEOSContextHandle_t h = kcn_ctx_geos(kt_ctx);
	OGRGeometryH g = NULL;
	char *in = "CIRCULARSTRING (0 0,1 1,2 0)";
	GEOSGeometry *gg;
	double len = 0;

	OGR_G_CreateFromWkt(&in, NULL, &g);
	gg = kcn_geom_to_geos(kt_ctx, g);
	ck_assert_ptr_nonnull(gg);
	ck_assert_int_eq(GEOSGeomTypeId_r(h, gg), GEOS_LINESTRING);
	GEOSLength_r(h, gg, &len);
	/* Half a circle of radius 1. */
	ck_assert_double_eq_tol(len, 3.14159, 0.01);
	GEOSGeom_destroy_r(h, gg);
	OGR_G_DestroyGeometry(g);
}
END_TEST

START_TEST(bad_geometry)
{
	OGRGeometryH g = OGR_G_CreateGeometry(wkbLineString);

	/* A one-point line cannot exist in GEOS. */
	OGR_G_AddPoint_2D(g, 1, 1);
	ck_assert_ptr_null(kcn_geom_to_geos(kt_ctx, g));
	ck_assert_int_eq(kcn_ctx_status(kt_ctx), KCN_EDATA);
	ck_assert_ptr_nonnull(strstr(kcn_ctx_errmsg(kt_ctx), "LINESTRING"));
	OGR_G_DestroyGeometry(g);
	ck_assert_ptr_null(kcn_geom_to_geos(kt_ctx, NULL));
}
END_TEST

START_TEST(large_polygon)
{
	/* Scratch arrays grow past their first size. */
	GEOSContextHandle_t h = kcn_ctx_geos(kt_ctx);
	OGRGeometryH g = OGR_G_CreateGeometry(wkbPolygon);
	OGRGeometryH r = OGR_G_CreateGeometry(wkbLinearRing), back;
	GEOSGeometry *gg;
	double area = 0;

	for (int i = 0; i < 10000; i++)
		OGR_G_AddPoint_2D(r, i, (i % 2) ? 1 : 0);
	OGR_G_AddPoint_2D(r, 9999, 100);
	OGR_G_AddPoint_2D(r, 0, 100);
	OGR_G_AddPoint_2D(r, 0, 0);
	OGR_G_AddGeometryDirectly(g, r);
	gg = kcn_geom_to_geos(kt_ctx, g);
	ck_assert_ptr_nonnull(gg);
	GEOSArea_r(h, gg, &area);
	ck_assert_double_eq_tol(area, OGR_G_Area(g), 1e-6);
	back = kcn_geom_from_geos(kt_ctx, gg);
	ck_assert_int_eq(OGR_G_GetPointCount(OGR_G_GetGeometryRef(back, 0)),
	    10003);
	ck_assert(OGR_G_Equals(g, back));
	GEOSGeom_destroy_r(h, gg);
	OGR_G_DestroyGeometry(g);
	OGR_G_DestroyGeometry(back);
}
END_TEST

static const struct {
	const char *wkt;
	int dim;
	double area;		/* of the result */
	int empty;		/* nothing of dimension dim left */
} repair_cases[] = {
	/* A bowtie becomes two triangles, area kept. */
	{ "POLYGON ((0 0,10 10,10 0,0 10,0 0))", 2, 50.0, 0 },
	/* A spike: the area stays, the spike goes. */
	{ "POLYGON ((0 0,10 0,10 10,5 10,5 20,5 10,0 10,0 0))", 2, 100.0, 0 },
	/* Collapsed to a line: no area is left. */
	{ "POLYGON ((0 0,10 0,20 0,0 0))", 2, 0.0, 1 },
	/* Valid input comes back the same. */
	{ "POLYGON ((0 0,4 0,4 4,0 4,0 0))", 2, 16.0, 0 },
	/* Any dimension: the collapsed polygon keeps its line. */
	{ "POLYGON ((0 0,10 0,20 0,0 0))", -1, 0.0, 0 },
};

START_TEST(repair)
{
	GEOSContextHandle_t h = kcn_ctx_geos(kt_ctx);
	GEOSGeometry *g = kt_wkt(repair_cases[_i].wkt);
	GEOSGeometry *r = kcn_geom_repair(kt_ctx, g, repair_cases[_i].dim);
	double area = 0;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(GEOSisValid_r(h, r), 1);
	ck_assert_int_eq(GEOSisEmpty_r(h, r), repair_cases[_i].empty);
	GEOSArea_r(h, r, &area);
	ck_assert_double_eq_tol(area, repair_cases[_i].area, 1e-9);
	if (repair_cases[_i].dim == 2 && !repair_cases[_i].empty)
		ck_assert_int_eq(GEOSGeom_getDimensions_r(h, r), 2);
	GEOSGeom_destroy_r(h, g);
	GEOSGeom_destroy_r(h, r);
}
END_TEST

/* The quick validity test answers "valid" only where GEOS agrees. */
static double
cov_area_of(GEOSContextHandle_t h, const GEOSGeometry *g)
{
	double a = 0;

	GEOSArea_r(h, g, &a);
	return a;
}

START_TEST(quick_valid_agrees)
{
	GEOSContextHandle_t h = kcn_ctx_geos(kt_ctx);
	GEOSGeometry *g;
	unsigned seed = 12345;
	long said = 0, valid = 0;

	g = kt_wkt("POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))");
	ck_assert_int_eq(kcni_geom_surely_valid(h, g), 1);
	GEOSGeom_destroy_r(h, g);
	g = kt_wkt("POLYGON ((0 0, 10 10, 10 0, 0 10, 0 0))");	/* bowtie */
	ck_assert_int_eq(kcni_geom_surely_valid(h, g), 0);
	GEOSGeom_destroy_r(h, g);
	g = kt_wkt("POLYGON ((0 0, 10 0, 20 0, 10 0, 10 10, 0 0))");	/* spike */
	ck_assert_int_eq(kcni_geom_surely_valid(h, g), 0);
	GEOSGeom_destroy_r(h, g);
	/* Random rings on a coarse grid: crossings, touches, collinear runs
	   and repeated points are common. */
	for (int k = 0; k < 20000; k++) {
		double xy[2 * 13];
		int n = 3 + (int)(rand_r(&seed) % 8);
		GEOSCoordSequence *cs;

		for (int i = 0; i < 2 * n; i++)
			xy[i] = (double)(rand_r(&seed) % 7) +
			    (k % 2 ? rand_r(&seed) / (double)RAND_MAX : 0);
		xy[2 * n] = xy[0];
		xy[2 * n + 1] = xy[1];
		cs = GEOSCoordSeq_copyFromBuffer_r(h, xy, (unsigned)n + 1, 0,
		    0);
		g = GEOSGeom_createPolygon_r(h, GEOSGeom_createLinearRing_r(h,
		    cs), NULL, 0);
		ck_assert_ptr_nonnull(g);
		if (kcni_geom_surely_valid(h, g)) {
			said++;
			ck_assert_int_eq(GEOSisValid_r(h, g), 1);
		}
		valid += GEOSisValid_r(h, g) == 1;
		GEOSGeom_destroy_r(h, g);
	}
	/* It takes on most of them, or it is no shortcut. */
	ck_assert_int_gt(said, valid / 2);
}
END_TEST

/*
 * The share of each pixel a polygon covers, against GEOS's area of its
 * intersection with the pixel, for random polygons with a hole, turning
 * either way, in windows that cut them on every side and in bands.
 */
START_TEST(pixel_shares_exact)
{
	GEOSContextHandle_t h = kcn_ctx_geos(kt_ctx);
	unsigned seed = 777;
	enum { W = 6, H = 5 };

	for (int k = 0; k < 300; k++) {
		double ring[2][2 * 26], a[W * H], f[W * (H + 1)], cx, cy, sum = 0;
		int n = 3 + (int)(rand_r(&seed) % 22), ox, oy, bh;
		GEOSGeometry *g, *rings[2];

		/* A star around (cx, cy), its hole inside its inner radius;
		   some vertices on whole numbers, as on a pixel's edge. */
		cx = 1 + 4.0 * rand_r(&seed) / RAND_MAX;
		cy = 1 + 4.0 * rand_r(&seed) / RAND_MAX;
		for (int r = 0; r < 2; r++) {
			int m = r ? 4 : n, back = rand_r(&seed) % 2;

			for (int i = 0; i < m; i++) {
				double t = 2 * M_PI * (back ? m - i : i) / m;
				double rad = r ? 0.9 : 1 + 5.0 * rand_r(&seed) /
				    RAND_MAX;

				ring[r][2 * i] = cx + rad * cos(t);
				ring[r][2 * i + 1] = cy + rad * sin(t);
				if (k % 3 == 0)
					ring[r][2 * i] = round(ring[r][2 * i]);
			}
			ring[r][2 * m] = ring[r][0];
			ring[r][2 * m + 1] = ring[r][1];
			rings[r] = GEOSGeom_createLinearRing_r(h,
			    GEOSCoordSeq_copyFromBuffer_r(h, ring[r],
			    (unsigned)m + 1, 0, 0));
		}
		g = GEOSGeom_createPolygon_r(h, rings[0], &rings[1], 1);
		ck_assert_ptr_nonnull(g);
		if (GEOSisValid_r(h, g) != 1) {
			GEOSGeom_destroy_r(h, g);
			continue;
		}
		/* The window, and a band of it from row oy. */
		ox = (int)(rand_r(&seed) % 5) - 2;
		oy = (int)(rand_r(&seed) % 5) - 2;
		bh = 1 + (int)(rand_r(&seed) % H);
		memset(a, 0, sizeof(a));
		memset(f, 0, sizeof(f));
		for (int r = 0; r < 2; r++)
			sum += kcni_ring_shares(ring[r], r ? 5 : (unsigned)n + 1,
			    r, ox, oy, a, f, W, bh);
		kcni_shares_end(a, f, W, bh);
		ck_assert_double_eq_tol(sum, cov_area_of(h, g), 1e-9);
		for (int j = 0; j < bh; j++)
			for (int i = 0; i < W; i++) {
				double x0 = i == 0 ? -1e3 : ox + i;
				double x1 = i == W - 1 ? 1e3 : ox + i + 1;
				GEOSGeometry *c = GEOSClipByRect_r(h, g, x0,
				    oy + j, x1, oy + j + 1);
				double want = 0;

				ck_assert_ptr_nonnull(c);
				GEOSArea_r(h, c, &want);
				GEOSGeom_destroy_r(h, c);
				ck_assert_double_eq_tol(a[j * W + i], want,
				    1e-9);
			}
		GEOSGeom_destroy_r(h, g);
	}
}
END_TEST

/*
 * Lines in an area, against GEOS's intersection: random lines over a
 * grid-aligned polygon with a hole, through its vertices and along its
 * edges, and over a random star.
 */
START_TEST(line_in_area_agrees)
{
	GEOSContextHandle_t h = kcn_ctx_geos(kt_ctx);
	GEOSGeometry *area[2];
	unsigned seed = 4242;

	area[0] = kt_wkt("MULTIPOLYGON (((0 0, 6 0, 6 6, 0 6, 0 0), "
	    "(2 2, 2 4, 4 4, 4 2, 2 2)), ((7 0, 9 3, 7 6, 7 0)))");
	area[1] = kt_wkt("POLYGON ((5 0, 6 4, 10 5, 6 6, 5 10, 4 6, 0 5, "
	    "4 4, 5 0))");
	for (int k = 0; k < 4000; k++) {
		const GEOSGeometry *ar = area[k % 2];
		const GEOSPreparedGeometry *pa = GEOSPrepare_r(h, ar);
		double xy[2 * 5], got = 0, want = 0;
		int n = 2 + (int)(rand_r(&seed) % 4), err;
		GEOSGeometry *l, *m, *ref;

		/* Whole coordinates often: lines through vertices and along
		   edges. */
		for (int i = 0; i < 2 * n; i++)
			xy[i] = k % 3 ? (double)(rand_r(&seed) % 11) - 0.5 :
			    -1 + 11.0 * rand_r(&seed) / RAND_MAX;
		if (k % 3 == 1)
			for (int i = 0; i < 2 * n; i++)
				xy[i] = round(xy[i]);
		l = GEOSGeom_createLineString_r(h,
		    GEOSCoordSeq_copyFromBuffer_r(h, xy, (unsigned)n, 0, 0));
		if (GEOSisSimple_r(h, l) != 1) {
			/* GEOS's overlay counts a stretch drawn twice once. */
			GEOSGeom_destroy_r(h, l);
			GEOSPreparedGeom_destroy_r(h, pa);
			continue;
		}
		m = kcni_line_in_area(h, l, ar, pa, &err);
		ck_assert_int_eq(err, 0);
		ref = GEOSIntersection_r(h, l, ar);
		ck_assert_ptr_nonnull(ref);
		GEOSLength_r(h, ref, &want);
		if (m != NULL)
			GEOSLength_r(h, m, &got);
		ck_assert_msg(fabs(got - want) <= 1e-9 * (1 + want),
		    "line %d: %.12g, GEOS %.12g", k, got, want);
		if (m == l) {	/* all of it in */
			GEOSLength_r(h, l, &got);
			ck_assert_double_eq_tol(got, want, 1e-9);
		} else if (m != NULL)
			GEOSGeom_destroy_r(h, m);
		GEOSGeom_destroy_r(h, ref);
		GEOSGeom_destroy_r(h, l);
		GEOSPreparedGeom_destroy_r(h, pa);
	}
	GEOSGeom_destroy_r(h, area[0]);
	GEOSGeom_destroy_r(h, area[1]);
}
END_TEST

static double
kt_area_of(GEOSContextHandle_t h, const GEOSGeometry *g)
{
	double a = 0;

	if (g != NULL)
		ck_assert_int_eq(GEOSArea_r(h, g, &a), 1);
	return a;
}

/* Area of what A and B (either may be NULL) do not share. */
static double
kt_apart(GEOSContextHandle_t h, const GEOSGeometry *a, const GEOSGeometry *b)
{
	GEOSGeometry *d;
	double r;

	if (a == NULL || b == NULL)
		return kt_area_of(h, a != NULL ? a : b);
	d = GEOSSymDifference_r(h, a, b);
	ck_assert_ptr_nonnull(d);
	r = kt_area_of(h, d);
	GEOSGeom_destroy_r(h, d);
	return r;
}

/* The union of the N areas P and what two of them cover, by GEOS. */
static void
kt_cover_ref(GEOSContextHandle_t h, GEOSGeometry **p, int n,
    GEOSGeometry **u, GEOSGeometry **t)
{
	GEOSGeometry *all[64], *two[64 * 63 / 2], *c;
	int nt = 0;

	for (int i = 0; i < n; i++) {
		all[i] = GEOSGeom_clone_r(h, p[i]);
		for (int j = i + 1; j < n; j++)
			two[nt++] = GEOSIntersection_r(h, p[i], p[j]);
	}
	c = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, all,
	    (unsigned)n);
	*u = GEOSUnaryUnion_r(h, c);
	GEOSGeom_destroy_r(h, c);
	c = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, two,
	    (unsigned)nt);
	*t = GEOSUnaryUnion_r(h, c);
	GEOSGeom_destroy_r(h, c);
}

/*
 * The union of convex areas and the part two of them cover, from their
 * edges, against GEOS's overlays: a frame of four rectangles with shared
 * sides and corners (a hole in the union, one ring turning clockwise), a
 * frame inside another's hole (a hole in two shells), a triangle whose
 * corner is on a square's side; then random circles of 32 segments
 * clipped to a rectangle far from the origin, some drawn twice and some
 * holding the whole rectangle.
 */
static const struct {
	const char *wkt[9];
	double u, t;
} fixed[] = {
	{ { "POLYGON ((0 0, 3 0, 3 1, 0 1, 0 0))",
	    "POLYGON ((2 0, 3 0, 3 3, 2 3, 2 0))",
	    "POLYGON ((0 3, 0 2, 3 2, 3 3, 0 3))",
	    "POLYGON ((0 0, 1 0, 1 3, 0 3, 0 0))", NULL }, 8, 4 },
	{ { "POLYGON ((0 0, 5 0, 5 1, 0 1, 0 0))",
	    "POLYGON ((4 0, 5 0, 5 5, 4 5, 4 0))",
	    "POLYGON ((0 4, 5 4, 5 5, 0 5, 0 4))",
	    "POLYGON ((0 0, 1 0, 1 5, 0 5, 0 0))",
	    "POLYGON ((1.5 1.5, 3.5 1.5, 3.5 2, 1.5 2, 1.5 1.5))",
	    "POLYGON ((3 1.5, 3.5 1.5, 3.5 3.5, 3 3.5, 3 1.5))",
	    "POLYGON ((1.5 3, 3.5 3, 3.5 3.5, 1.5 3.5, 1.5 3))",
	    "POLYGON ((1.5 1.5, 2 1.5, 2 3.5, 1.5 3.5, 1.5 1.5))", NULL },
	    19, 5 },
	{ { "POLYGON ((0 0, 2 0, 2 2, 0 2, 0 0))",
	    "POLYGON ((1 2, 3 1, 3 3, 1 2))", NULL }, 5.75, 0.25 },
};

START_TEST(convex_cover_agrees)
{
	GEOSContextHandle_t h = kcn_ctx_geos(kt_ctx);
	GEOSGeometry *p[16], *u, *t, *ru, *rt;
	unsigned seed = 777;
	int done = 0, tries = 600;

	for (size_t f = 0; f < sizeof(fixed) / sizeof(fixed[0]); f++) {
		int n = 0;

		while (n < 8 && fixed[f].wkt[n] != NULL) {
			p[n] = kt_wkt(fixed[f].wkt[n]);
			n++;
		}
		ck_assert_int_eq(kcni_convex_cover(h, p, (size_t)n, 1e-9, &u,
		    &t), 0);
		ck_assert_int_eq(GEOSisValid_r(h, u), 1);
		ck_assert_int_eq(GEOSisValid_r(h, t), 1);
		ck_assert_double_eq_tol(kt_area_of(h, u), fixed[f].u, 1e-12);
		ck_assert_double_eq_tol(kt_area_of(h, t), fixed[f].t, 1e-12);
		kt_cover_ref(h, p, n, &ru, &rt);
		ck_assert_double_le(kt_apart(h, u, ru), 1e-12);
		ck_assert_double_le(kt_apart(h, t, rt), 1e-12);
		GEOSGeom_destroy_r(h, u);
		GEOSGeom_destroy_r(h, t);
		GEOSGeom_destroy_r(h, ru);
		GEOSGeom_destroy_r(h, rt);
		for (int i = 0; i < n; i++)
			GEOSGeom_destroy_r(h, p[i]);
	}
	for (int k = 0; k < tries; k++) {
		double x0 = 320000, y0 = 4150000, s = 1 + rand_r(&seed) % 40;
		int n = 0, want = 2 + (int)(rand_r(&seed) % 12), rc;

		while (n < want) {
			double cx = x0 + s * (-0.5 + 2.0 * rand_r(&seed) /
			    RAND_MAX), cy = y0 + s * (-0.5 + 2.0 *
			    rand_r(&seed) / RAND_MAX);
			double r = s * (0.2 + 1.5 * rand_r(&seed) / RAND_MAX);
			double xy[2 * 33];
			GEOSGeometry *c, *q;

			if (n > 0 && rand_r(&seed) % 8 == 0) {
				/* The same circle again. */
				p[n] = GEOSGeom_clone_r(h, p[n - 1]);
				n++;
				continue;
			}
			for (int i = 0; i <= 32; i++) {
				double a = 2 * M_PI * (i % 32) / 32;

				xy[2 * i] = cx + r * cos(a);
				xy[2 * i + 1] = cy + 0.8 * r * sin(a);
			}
			c = GEOSGeom_createPolygon_r(h,
			    GEOSGeom_createLinearRing_r(h,
			    GEOSCoordSeq_copyFromBuffer_r(h, xy, 33, 0, 0)),
			    NULL, 0);
			q = GEOSClipByRect_r(h, c, x0, y0, x0 + s, y0 + s);
			GEOSGeom_destroy_r(h, c);
			ck_assert_ptr_nonnull(q);
			if (GEOSGeomTypeId_r(h, q) != GEOS_POLYGON ||
			    GEOSisEmpty_r(h, q)) {
				GEOSGeom_destroy_r(h, q);
				continue;
			}
			p[n++] = q;
		}
		rc = kcni_convex_cover(h, p, (size_t)n, s * 1e-9, &u, &t);
		if (rc == 0) {
			double d;

			done++;
			kt_cover_ref(h, p, n, &ru, &rt);
			ck_assert_int_eq(GEOSisValid_r(h, u), 1);
			ck_assert(t == NULL || GEOSisValid_r(h, t) == 1);
			d = kt_apart(h, u, ru);
			ck_assert_msg(d <= 1e-9 * s * s, "case %d: union apart "
			    "by %g", k, d);
			d = kt_apart(h, t, rt);
			ck_assert_msg(d <= 1e-9 * s * s, "case %d: twice apart "
			    "by %g", k, d);
			GEOSGeom_destroy_r(h, u);
			if (t != NULL)
				GEOSGeom_destroy_r(h, t);
			GEOSGeom_destroy_r(h, ru);
			GEOSGeom_destroy_r(h, rt);
		}
		for (int i = 0; i < n; i++)
			GEOSGeom_destroy_r(h, p[i]);
	}
	/* Giving up is for the rare degenerate case only. */
	ck_assert_msg(done >= tries * 95 / 100, "%d of %d done", done, tries);
}
END_TEST

Suite *
geom_suite(void)
{
	Suite *s = suite_create("geom");
	TCase *tc = tcase_create("geom");

	tcase_add_checked_fixture(tc, kt_setup, kt_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, roundtrip, 0,
	    sizeof(roundtrip_wkt) / sizeof(roundtrip_wkt[0]));
	tcase_add_test(tc, curves_linearised);
	tcase_add_test(tc, bad_geometry);
	tcase_add_test(tc, large_polygon);
	tcase_add_test(tc, quick_valid_agrees);
	tcase_add_test(tc, pixel_shares_exact);
	tcase_add_test(tc, line_in_area_agrees);
	tcase_add_test(tc, convex_cover_agrees);
	tcase_add_loop_test(tc, repair, 0,
	    sizeof(repair_cases) / sizeof(repair_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}
