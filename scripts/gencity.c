/*
 * kcn-gencity - generates test data for the kcn toolkit.
 *
 *   kcn-gencity sample DIR     the sample partner city (Da Nang, Hai Chau and
 *                              Thanh Khe), delivered the messy way real
 *                              partners deliver: mixed formats, CRSs and
 *                              encodings, with deliberate defects.
 *   kcn-gencity synth [--invalid FRACTION] N DIR
 *                              a synthetic city of N buildings near Seoul
 *                              (FlatGeobuf) for benchmarks: buildings,
 *                              300 districts, N/10 points, and for the
 *                              coverage benchmark about N/20 road segments,
 *                              N sites and a 100 m population raster
 *                              (GeoTIFF), all in EPSG:32652.  With --invalid,
 *                              round(N * FRACTION) footprints, picked at
 *                              random, are broken the ways partner data is
 *                              broken (see invalid_footprint); every one is
 *                              checked to be invalid for GEOS, and to keep
 *                              an area once GEOS makes it valid.  Without
 *                              the flag (or with 0) the files are the same
 *                              bytes as before the flag existed.
 *
 * Everything is driven by a fixed seed and our own PRNG, and the GDAL options
 * that would embed dates are pinned, so the output is identical byte for byte
 * from one run to the next.
 *
 * The sample city is built in one frame, WGS 84 / UTM zone 49N (EPSG:32649),
 * with coordinates relative to a frame origin (FX, FY); each layer is then
 * transformed with PROJ into the CRS it is delivered in.
 */

#include <errno.h>
#include <iconv.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <geos_c.h>
#include <proj.h>

#define PROG "kcn-gencity"

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

static char g_gdal_msg[1024];
static unsigned long g_gdal_failures;
static char g_geos_msg[1024];

static _Noreturn void die(const char *where, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static _Noreturn void die(const char *where, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, PROG ": %s: ", where);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void CPL_STDCALL gdal_handler(CPLErr cls, CPLErrorNum num, const char *msg)
{
    (void)num;
    if (cls == CE_Failure || cls == CE_Fatal) {
        g_gdal_failures++;
        snprintf(g_gdal_msg, sizeof g_gdal_msg, "%s", msg ? msg : "");
    } else if (cls == CE_Warning) {
        fprintf(stderr, PROG ": gdal: warning: %s\n", msg ? msg : "");
    }
}

static _Noreturn void gdal_fail(const char *where, const char *what)
{
    if (g_gdal_msg[0])
        die(where, "%s: %s", what, g_gdal_msg);
    die(where, "%s", what);
}

static void geos_handler(const char *msg, void *user)
{
    (void)user;
    snprintf(g_geos_msg, sizeof g_geos_msg, "%s", msg ? msg : "");
}

static _Noreturn void geos_fail(const char *where, const char *what)
{
    if (g_geos_msg[0])
        die(where, "%s: %s", what, g_geos_msg);
    die(where, "%s", what);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("memory", "out of memory");
    return p;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        die("memory", "out of memory");
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        die("memory", "out of memory");
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = xmalloc(n);
    memcpy(d, s, n);
    return d;
}

/* ------------------------------------------------------------------------ */
/* Deterministic random numbers (splitmix64)                                 */
/* ------------------------------------------------------------------------ */

#define MASTER_SEED 0x6b636e2d63697479ULL /* "kcn-city" */

typedef struct {
    uint64_t s;
} Rng;

static uint64_t rng_u64(Rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Each layer draws from its own stream so that changing one layer does not
 * shift the others. */
static Rng rng_stream(uint64_t stream)
{
    Rng r;
    r.s = MASTER_SEED ^ (stream * 0xD1B54A32D192ED03ULL);
    (void)rng_u64(&r);
    return r;
}

static double rng_unif(Rng *r) /* [0, 1) */
{
    return (double)(rng_u64(r) >> 11) * 0x1.0p-53;
}

static double rng_range(Rng *r, double a, double b)
{
    return a + (b - a) * rng_unif(r);
}

static int rng_below(Rng *r, int n)
{
    int k = (int)(rng_unif(r) * n);
    return k < n ? k : n - 1;
}

static double rng_gauss(Rng *r)
{
    double u1 = rng_unif(r), u2 = rng_unif(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------ */

typedef struct {
    double *xy; /* x0 y0 x1 y1 ... */
    int n, cap;
} Pts;

static void pts_add(Pts *p, double x, double y)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 16;
        p->xy = xrealloc(p->xy, (size_t)p->cap * 2 * sizeof(double));
    }
    p->xy[2 * p->n] = x;
    p->xy[2 * p->n + 1] = y;
    p->n++;
}

static void pts_free(Pts *p)
{
    free(p->xy);
    p->xy = NULL;
    p->n = p->cap = 0;
}

static double sq(double a) { return a * a; }

static double round_to(double v, double step) { return round(v / step) * step; }

static char *path_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = xmalloc(a + b + 2);
    memcpy(p, dir, a);
    if (a && dir[a - 1] != '/')
        p[a++] = '/';
    memcpy(p + a, name, b + 1);
    return p;
}

/* mkdir -p */
static void make_dir(const char *dir)
{
    char *tmp = xstrdup(dir);
    size_t n = strlen(tmp);
    struct stat st;
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] == '/' || tmp[i] == '\0') {
            char c = tmp[i];
            tmp[i] = '\0';
            if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
                die(dir, "cannot create directory: %s", strerror(errno));
            tmp[i] = c;
        }
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        die(dir, "not a directory");
    free(tmp);
}

static void remove_if_exists(const char *path)
{
    if (unlink(path) != 0 && errno != ENOENT)
        die(path, "cannot remove: %s", strerror(errno));
}

static long file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        die(path, "missing after write: %s", strerror(errno));
    return (long)st.st_size;
}

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        die(path, "cannot open for writing: %s", strerror(errno));
    return f;
}

static void close_out(FILE *f, const char *path)
{
    if (ferror(f)) {
        fclose(f);
        die(path, "write error");
    }
    if (fclose(f) != 0)
        die(path, "write error: %s", strerror(errno));
}

/* Converts UTF-8 text to another code page with iconv; fails on any
 * character the code page cannot hold. */
static char *to_codepage(const char *utf8, const char *codepage)
{
    iconv_t cd = iconv_open(codepage, "UTF-8");
    if (cd == (iconv_t)-1)
        die("iconv", "no converter from UTF-8 to %s: %s", codepage, strerror(errno));
    size_t inlen = strlen(utf8), outcap = inlen * 4 + 8, outlen = outcap;
    char *out = xmalloc(outcap);
    char *in = (char *)utf8, *op = out;
    if (iconv(cd, &in, &inlen, &op, &outlen) == (size_t)-1)
        die("iconv", "cannot convert \"%s\" to %s: %s", utf8, codepage, strerror(errno));
    if (iconv(cd, NULL, NULL, &op, &outlen) == (size_t)-1)
        die("iconv", "cannot finish conversion to %s: %s", codepage, strerror(errno));
    iconv_close(cd);
    *op = '\0';
    return out;
}

/* Text buffer used to build the README. */
typedef struct {
    char *s;
    size_t n, cap;
} Buf;

static void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void buf_printf(Buf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        size_t room = b->cap - b->n;
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->n : NULL, room, fmt, ap);
        va_end(ap);
        if (k < 0)
            die("readme", "formatting failed");
        if ((size_t)k < room) {
            b->n += (size_t)k;
            return;
        }
        b->cap = (b->cap + (size_t)k + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
}

/* ------------------------------------------------------------------------ */
/* GEOS, PROJ and GDAL plumbing                                              */
/* ------------------------------------------------------------------------ */

static GEOSContextHandle_t G;
static PJ_CONTEXT *g_pc;

/* Frame origin of the sample city, EPSG:32649 metres (about 108.196 E,
 * 16.055 N). All internal coordinates are relative to it. */
#define FX 200000.0
#define FY 1777000.0

typedef enum { OUT_FRAME, OUT_WGS84, OUT_VN2000 } OutCrs;

static PJ *g_pj_wgs; /* EPSG:32649 -> EPSG:4326, lon/lat order */
static PJ *g_pj_vn;  /* EPSG:32649 -> EPSG:3406, easting/northing */

static PJ *make_transform(const char *src, const char *dst)
{
    PJ *p = proj_create_crs_to_crs(g_pc, src, dst, NULL);
    if (!p)
        die("proj", "cannot create transformation %s -> %s: %s", src, dst,
            proj_context_errno_string(g_pc, proj_context_errno(g_pc)));
    PJ *n = proj_normalize_for_visualization(g_pc, p);
    proj_destroy(p);
    if (!n)
        die("proj", "cannot normalise axis order of %s -> %s: %s", src, dst,
            proj_context_errno_string(g_pc, proj_context_errno(g_pc)));
    return n;
}

static void proj_apply(PJ *p, double x, double y, double *ox, double *oy)
{
    proj_errno_reset(p);
    PJ_COORD o = proj_trans(p, PJ_FWD, proj_coord(x, y, 0, 0));
    int e = proj_errno(p);
    if (e || !isfinite(o.xy.x) || !isfinite(o.xy.y) || o.xy.x == HUGE_VAL)
        die("proj", "cannot transform %.3f %.3f: %s", x, y,
            e ? proj_context_errno_string(g_pc, e) : "non-finite result");
    *ox = o.xy.x;
    *oy = o.xy.y;
}

/* Frame-relative coordinates to the output CRS. */
static void out_xy(OutCrs crs, double x, double y, double *ox, double *oy)
{
    double X = FX + x, Y = FY + y;
    if (crs == OUT_FRAME) {
        *ox = X;
        *oy = Y;
        return;
    }
    proj_apply(crs == OUT_WGS84 ? g_pj_wgs : g_pj_vn, X, Y, ox, oy);
    if (crs == OUT_WGS84 && (*ox < 107.9 || *ox > 108.6 || *oy < 15.8 || *oy > 16.3))
        die("proj", "WGS 84 result %.6f %.6f is outside Da Nang", *ox, *oy);
}

static void setup_proj(void)
{
    g_pc = proj_context_create();
    if (!g_pc)
        die("proj", "cannot create context");
    proj_context_set_enable_network(g_pc, 0);
    g_pj_wgs = make_transform("EPSG:32649", "EPSG:4326");
    g_pj_vn = make_transform("EPSG:32649", "EPSG:3406");

    /* Sanity checks: longitude comes first, and VN-2000 really applies the
     * datum shift (a few hundred metres here), not a plain relabelling. */
    double lon, lat, e, n;
    out_xy(OUT_WGS84, 0, 0, &lon, &lat);
    if (fabs(lon - 108.196) > 0.01 || fabs(lat - 16.055) > 0.01)
        die("proj", "unexpected WGS 84 position of the frame origin: %.6f %.6f", lon, lat);
    out_xy(OUT_VN2000, 0, 0, &e, &n);
    double shift = hypot(e - FX, n - FY);
    if (shift < 100.0 || shift > 600.0)
        die("proj", "VN-2000 datum shift of %.1f m is implausible (is the Helmert shift missing?)",
            shift);
}

static OGRSpatialReferenceH make_srs(int epsg)
{
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
    if (!s)
        gdal_fail("srs", "cannot create spatial reference");
    if (OSRImportFromEPSG(s, epsg) != OGRERR_NONE) {
        char what[64];
        snprintf(what, sizeof what, "cannot import EPSG:%d", epsg);
        gdal_fail("srs", what);
    }
    OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    return s;
}

static GDALDatasetH create_vector(const char *driver, const char *path, char **opts)
{
    GDALDriverH d = GDALGetDriverByName(driver);
    if (!d) {
        char what[128];
        snprintf(what, sizeof what, "GDAL driver %s is not available", driver);
        gdal_fail(path, what);
    }
    GDALDatasetH ds = GDALCreate(d, path, 0, 0, 0, GDT_Unknown, opts);
    if (!ds)
        gdal_fail(path, "cannot create dataset");
    return ds;
}

static OGRLayerH create_layer(GDALDatasetH ds, const char *path, const char *name,
                              OGRSpatialReferenceH srs, OGRwkbGeometryType type, char **opts)
{
    OGRLayerH l = GDALDatasetCreateLayer(ds, name, srs, type, opts);
    if (!l)
        gdal_fail(path, "cannot create layer");
    return l;
}

static void add_field(OGRLayerH l, const char *path, const char *name, OGRFieldType t,
                      int width, int prec)
{
    OGRFieldDefnH f = OGR_Fld_Create(name, t);
    if (width > 0)
        OGR_Fld_SetWidth(f, width);
    if (prec > 0)
        OGR_Fld_SetPrecision(f, prec);
    if (OGR_L_CreateField(l, f, TRUE) != OGRERR_NONE) {
        char what[128];
        snprintf(what, sizeof what, "cannot create field %s", name);
        OGR_Fld_Destroy(f);
        gdal_fail(path, what);
    }
    OGR_Fld_Destroy(f);
}

static int field_index(OGRLayerH l, const char *path, const char *name)
{
    int i = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(l), name);
    if (i < 0) {
        char what[128];
        snprintf(what, sizeof what, "field %s missing after creation", name);
        gdal_fail(path, what);
    }
    return i;
}

static void write_feature(OGRLayerH l, OGRFeatureH f, const char *path)
{
    OGR_F_SetFID(f, OGRNullFID);
    if (OGR_L_CreateFeature(l, f) != OGRERR_NONE)
        gdal_fail(path, "cannot write feature");
}

static void close_dataset(GDALDatasetH ds, const char *path)
{
    unsigned long before = g_gdal_failures;
    GDALClose(ds);
    if (g_gdal_failures != before)
        gdal_fail(path, "error while closing dataset");
    if (file_size(path) <= 0)
        die(path, "empty file after write");
}

static void add_point(OGRGeometryH g, OutCrs crs, double x, double y)
{
    double ox, oy;
    out_xy(crs, x, y, &ox, &oy);
    if (crs != OUT_WGS84) {
        ox = round_to(ox, 0.001);
        oy = round_to(oy, 0.001);
    }
    OGR_G_AddPoint_2D(g, ox, oy);
}

static void add_geometry(OGRGeometryH parent, OGRGeometryH child, const char *where)
{
    if (OGR_G_AddGeometryDirectly(parent, child) != OGRERR_NONE)
        gdal_fail(where, "cannot assemble geometry");
}

static OGRGeometryH ogr_from_seq(const GEOSCoordSequence *seq, OGRwkbGeometryType t, OutCrs crs)
{
    unsigned int n;
    if (!GEOSCoordSeq_getSize_r(G, seq, &n))
        geos_fail("geos", "cannot read coordinate sequence");
    OGRGeometryH g = OGR_G_CreateGeometry(t);
    if (!g)
        gdal_fail("ogr", "cannot create geometry");
    for (unsigned int i = 0; i < n; i++) {
        double x, y;
        if (!GEOSCoordSeq_getXY_r(G, seq, i, &x, &y))
            geos_fail("geos", "cannot read coordinate");
        add_point(g, crs, x, y);
    }
    return g;
}

static OGRGeometryH ogr_polygon_from_geos(const GEOSGeometry *p, OutCrs crs)
{
    OGRGeometryH poly = OGR_G_CreateGeometry(wkbPolygon);
    const GEOSGeometry *ext = GEOSGetExteriorRing_r(G, p);
    if (!poly || !ext)
        geos_fail("geos", "cannot read polygon");
    const GEOSCoordSequence *s = GEOSGeom_getCoordSeq_r(G, ext);
    if (!s)
        geos_fail("geos", "cannot read ring");
    add_geometry(poly, ogr_from_seq(s, wkbLinearRing, crs), "ogr");
    int nh = GEOSGetNumInteriorRings_r(G, p);
    if (nh < 0)
        geos_fail("geos", "cannot count holes");
    for (int i = 0; i < nh; i++) {
        const GEOSGeometry *h = GEOSGetInteriorRingN_r(G, p, i);
        const GEOSCoordSequence *hs = h ? GEOSGeom_getCoordSeq_r(G, h) : NULL;
        if (!hs)
            geos_fail("geos", "cannot read hole");
        add_geometry(poly, ogr_from_seq(hs, wkbLinearRing, crs), "ogr");
    }
    return poly;
}

/* Polygon or MultiPolygon from GEOS to OGR, transformed. */
static OGRGeometryH ogr_areal_from_geos(const GEOSGeometry *g, OutCrs crs)
{
    int t = GEOSGeomTypeId_r(G, g);
    if (t == GEOS_POLYGON)
        return ogr_polygon_from_geos(g, crs);
    if (t != GEOS_MULTIPOLYGON)
        die("geos", "expected a polygon, got geometry type %d", t);
    OGRGeometryH mp = OGR_G_CreateGeometry(wkbMultiPolygon);
    int n = GEOSGetNumGeometries_r(G, g);
    for (int i = 0; i < n; i++)
        add_geometry(mp, ogr_polygon_from_geos(GEOSGetGeometryN_r(G, g, i), crs), "ogr");
    return mp;
}

static OGRGeometryH ogr_line(const Pts *p, OutCrs crs)
{
    OGRGeometryH g = OGR_G_CreateGeometry(wkbLineString);
    if (!g)
        gdal_fail("ogr", "cannot create line");
    for (int i = 0; i < p->n; i++)
        add_point(g, crs, p->xy[2 * i], p->xy[2 * i + 1]);
    return g;
}

static OGRGeometryH ogr_point(OutCrs crs, double x, double y)
{
    double ox, oy;
    out_xy(crs, x, y, &ox, &oy);
    if (crs != OUT_WGS84) {
        ox = round_to(ox, 0.001);
        oy = round_to(oy, 0.001);
    }
    OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
    if (!g)
        gdal_fail("ogr", "cannot create point");
    OGR_G_SetPoint_2D(g, 0, ox, oy);
    return g;
}

static GEOSCoordSequence *geos_seq(const Pts *p)
{
    GEOSCoordSequence *s = GEOSCoordSeq_create_r(G, (unsigned)p->n, 2);
    if (!s)
        geos_fail("geos", "cannot create coordinate sequence");
    for (int i = 0; i < p->n; i++)
        if (!GEOSCoordSeq_setXY_r(G, s, (unsigned)i, p->xy[2 * i], p->xy[2 * i + 1]))
            geos_fail("geos", "cannot set coordinate");
    return s;
}

static GEOSGeometry *geos_polygon(const Pts *ring)
{
    GEOSGeometry *lr = GEOSGeom_createLinearRing_r(G, geos_seq(ring));
    if (!lr)
        geos_fail("geos", "cannot create ring");
    GEOSGeometry *p = GEOSGeom_createPolygon_r(G, lr, NULL, 0);
    if (!p)
        geos_fail("geos", "cannot create polygon");
    return p;
}

static GEOSGeometry *geos_line(const Pts *p)
{
    GEOSGeometry *g = GEOSGeom_createLineString_r(G, geos_seq(p));
    if (!g)
        geos_fail("geos", "cannot create line");
    return g;
}

static GEOSGeometry *geos_point(double x, double y)
{
    GEOSGeometry *g = GEOSGeom_createPointFromXY_r(G, x, y);
    if (!g)
        geos_fail("geos", "cannot create point");
    return g;
}

static int geos_valid(const GEOSGeometry *g)
{
    char v = GEOSisValid_r(G, g);
    if (v == 2)
        geos_fail("geos", "validity check failed");
    return v == 1;
}

static double geos_area(const GEOSGeometry *g)
{
    double a;
    if (!GEOSArea_r(G, g, &a))
        geos_fail("geos", "area failed");
    return a;
}

static double geos_length(const GEOSGeometry *g)
{
    double a;
    if (!GEOSLength_r(G, g, &a))
        geos_fail("geos", "length failed");
    return a;
}

static void ring_bbox(const Pts *p, double *minx, double *miny, double *maxx, double *maxy)
{
    *minx = *miny = HUGE_VAL;
    *maxx = *maxy = -HUGE_VAL;
    for (int i = 0; i < p->n; i++) {
        double x = p->xy[2 * i], y = p->xy[2 * i + 1];
        if (x < *minx) *minx = x;
        if (x > *maxx) *maxx = x;
        if (y < *miny) *miny = y;
        if (y > *maxy) *maxy = y;
    }
}

/* Point in ring (even-odd rule). */
static int ring_contains(const double *xy, int n, double x, double y)
{
    int c = 0;
    for (int i = 0, j = n - 1; i < n; j = i++) {
        double xi = xy[2 * i], yi = xy[2 * i + 1], xj = xy[2 * j], yj = xy[2 * j + 1];
        if (((yi > y) != (yj > y)) && (x < (xj - xi) * (y - yi) / (yj - yi) + xi))
            c = !c;
    }
    return c;
}

static double seg_dist(double px, double py, double ax, double ay, double bx, double by)
{
    double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
    double t = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    return hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/* ------------------------------------------------------------------------ */
/* Sample city geography (frame-relative metres; the sea is east)            */
/* ------------------------------------------------------------------------ */

#define CITY_W (-3700.0)
#define CITY_S (-3300.0)
#define CITY_N 3350.0
#define RIVER_HALF 70.0

static double coast_x(double y)
{
    return 3250.0 + 230.0 * sin(y / 950.0 + 0.6) + 90.0 * sin(y / 340.0 + 1.9);
}

static double river_x(double y)
{
    return 1850.0 + 260.0 * sin(y / 1400.0 - 0.4) + 0.07 * y;
}

/* Street grid, slightly rotated. */
#define GRID_ROT 0.21
#define GRID_SU 260.0
#define GRID_SV 200.0
#define GRID_OU 37.0
#define GRID_OV 11.0
#define GRID_KMAX 22 /* grid lines with |index| <= this cover the city */

static void to_uv(double x, double y, double *u, double *v)
{
    *u = x * cos(GRID_ROT) + y * sin(GRID_ROT);
    *v = -x * sin(GRID_ROT) + y * cos(GRID_ROT);
}

static void from_uv(double u, double v, double *x, double *y)
{
    *x = u * cos(GRID_ROT) - v * sin(GRID_ROT);
    *y = u * sin(GRID_ROT) + v * cos(GRID_ROT);
}

static double grid_dist(double x, double y)
{
    double u, v;
    to_uv(x, y, &u, &v);
    double du = fabs(remainder(u - GRID_OU, GRID_SU));
    double dv = fabs(remainder(v - GRID_OV, GRID_SV));
    return du < dv ? du : dv;
}

typedef struct {
    Pts ring;              /* city boundary, closed, counter-clockwise */
    double minx, miny, maxx, maxy;
    GEOSGeometry *poly;    /* city polygon */
    GEOSGeometry *land;    /* city minus the river */
    const GEOSPreparedGeometry *land_prep;
} City;

static City C;

static int in_city(double x, double y)
{
    /* Fast path for the interior, exact test near the edges. */
    if (x > CITY_W + 250 && x < coast_x(y) - 60 && y > CITY_S + 250 && y < CITY_N - 250)
        return 1;
    if (x < C.minx || x > C.maxx || y < C.miny || y > C.maxy)
        return 0;
    return ring_contains(C.ring.xy, C.ring.n, x, y);
}

static int on_land(double x, double y)
{
    return in_city(x, y) && fabs(x - river_x(y)) > RIVER_HALF;
}

static void build_city(void)
{
    Rng r = rng_stream(1);
    Pts *ring = &C.ring;
    double xe_s = coast_x(CITY_S), xe_n = coast_x(CITY_N);

    int n = (int)ceil((xe_s - CITY_W) / 150.0);
    for (int i = 0; i < n; i++) { /* south edge, west to east */
        double t = (double)i / n, x = CITY_W + (xe_s - CITY_W) * t;
        double y = CITY_S + sin(M_PI * t) * (120.0 * sin(x / 1100.0) + rng_range(&r, -35, 35));
        pts_add(ring, x, y);
    }
    n = (int)ceil((CITY_N - CITY_S) / 60.0);
    for (int i = 0; i < n; i++) { /* coast, south to north */
        double t = (double)i / n, y = CITY_S + (CITY_N - CITY_S) * t;
        double x = coast_x(y) + (i ? rng_range(&r, -4, 4) : 0);
        pts_add(ring, x, y);
    }
    n = (int)ceil((xe_n - CITY_W) / 150.0);
    for (int i = 0; i < n; i++) { /* north edge, east to west */
        double t = (double)i / n, x = xe_n - (xe_n - CITY_W) * t;
        double y = CITY_N + sin(M_PI * t) * (100.0 * sin(x / 900.0 + 1.0) + rng_range(&r, -35, 35));
        pts_add(ring, x, y);
    }
    n = (int)ceil((CITY_N - CITY_S) / 150.0);
    for (int i = 0; i < n; i++) { /* west edge, north to south */
        double t = (double)i / n, y = CITY_N - (CITY_N - CITY_S) * t;
        double x = CITY_W + sin(M_PI * t) * (140.0 * sin(y / 1200.0) + rng_range(&r, -35, 35));
        pts_add(ring, x, y);
    }
    for (int i = 0; i < ring->n; i++) {
        ring->xy[2 * i] = round_to(ring->xy[2 * i], 0.01);
        ring->xy[2 * i + 1] = round_to(ring->xy[2 * i + 1], 0.01);
    }
    pts_add(ring, ring->xy[0], ring->xy[1]);
    ring_bbox(ring, &C.minx, &C.miny, &C.maxx, &C.maxy);

    C.poly = geos_polygon(ring);
    if (!geos_valid(C.poly))
        die("city", "generated city boundary is not a valid polygon");

    /* The river as a strip polygon running through the whole city. */
    Pts river = {0};
    for (double y = CITY_S - 400; y <= CITY_N + 400; y += 50)
        pts_add(&river, river_x(y) - RIVER_HALF, y);
    for (double y = CITY_N + 400; y >= CITY_S - 400; y -= 50)
        pts_add(&river, river_x(y) + RIVER_HALF, y);
    pts_add(&river, river.xy[0], river.xy[1]);
    GEOSGeometry *rp = geos_polygon(&river);
    pts_free(&river);
    C.land = GEOSDifference_r(G, C.poly, rp);
    GEOSGeom_destroy_r(G, rp);
    if (!C.land || !geos_valid(C.land))
        geos_fail("city", "cannot cut the river out of the city");
    C.land_prep = GEOSPrepare_r(G, C.land);
    if (!C.land_prep)
        geos_fail("city", "cannot prepare land polygon");
}

/* ------------------------------------------------------------------------ */
/* Population raster                                                         */
/* ------------------------------------------------------------------------ */

#define CELL 100.0
#define NODATA (-9999.0)

typedef struct {
    double left, top; /* frame-relative */
    int nx, ny;
    float *v;
    double total, vmax;
    int ndata;
} PopGrid;

static PopGrid P;

static double smoothstep(double t) { return t * t * (3 - 2 * t); }

static void build_population(void)
{
    Rng r = rng_stream(2);
    P.left = floor(C.minx / CELL) * CELL;
    P.top = ceil(C.maxy / CELL) * CELL;
    P.nx = (int)(ceil(C.maxx / CELL) * CELL - P.left) / (int)CELL;
    P.ny = (int)(P.top - floor(C.miny / CELL) * CELL) / (int)CELL;
    P.v = xcalloc((size_t)P.nx * P.ny, sizeof(float));

    /* Smooth value noise on a 600 m lattice. */
    const double step = 600.0;
    int lx = (int)((P.nx * CELL) / step) + 3, ly = (int)((P.ny * CELL) / step) + 3;
    double *lat = xmalloc((size_t)lx * ly * sizeof(double));
    for (int i = 0; i < lx * ly; i++)
        lat[i] = rng_unif(&r);

    for (int j = 0; j < P.ny; j++) {
        for (int i = 0; i < P.nx; i++) {
            double x = P.left + CELL * (i + 0.5), y = P.top - CELL * (j + 0.5);
            float *out = &P.v[(size_t)j * P.nx + i];
            if (!in_city(x, y)) {
                *out = (float)NODATA;
                continue;
            }
            double gx = (x - P.left) / step, gy = (P.top - y) / step;
            int ix = (int)gx, iy = (int)gy;
            double fx = smoothstep(gx - ix), fy = smoothstep(gy - iy);
            double n00 = lat[iy * lx + ix], n10 = lat[iy * lx + ix + 1];
            double n01 = lat[(iy + 1) * lx + ix], n11 = lat[(iy + 1) * lx + ix + 1];
            double noise = (n00 * (1 - fx) + n10 * fx) * (1 - fy) + (n01 * (1 - fx) + n11 * fx) * fy;

            double dc2 = sq(x - 900) + sq(y - 300);    /* Hai Chau centre */
            double dt2 = sq(x + 1700) + sq(y - 1100);  /* Thanh Khe centre */
            double dr = x - river_x(y);
            double d = 20.0 + 120.0 * exp(-dc2 / (2 * 1700.0 * 1700.0)) +
                       75.0 * exp(-dt2 / (2 * 1400.0 * 1400.0)) +
                       60.0 * exp(-dr * dr / (2 * 600.0 * 600.0));
            d *= 0.7 + 0.6 * noise;
            d *= exp(0.12 * rng_gauss(&r));
            if (fabs(dr) < RIVER_HALF)
                d *= 0.03;
            if (coast_x(y) - x < 150)
                d *= 0.6;
            *out = (float)round_to(d, 0.01);
            P.total += (double)*out;
            if (*out > P.vmax)
                P.vmax = *out;
            P.ndata++;
        }
    }
    free(lat);
}

static double pop_at(double x, double y)
{
    int i = (int)floor((x - P.left) / CELL), j = (int)floor((P.top - y) / CELL);
    if (i < 0 || j < 0 || i >= P.nx || j >= P.ny)
        return NODATA;
    return P.v[(size_t)j * P.nx + i];
}

static void write_population(const char *dir)
{
    char *path = path_join(dir, "pop_100m.tif");
    remove_if_exists(path);
    GDALDriverH d = GDALGetDriverByName("GTiff");
    if (!d)
        gdal_fail(path, "GDAL driver GTiff is not available");
    char **opts = NULL;
    opts = CSLSetNameValue(opts, "COMPRESS", "DEFLATE");
    opts = CSLSetNameValue(opts, "PREDICTOR", "3");
    GDALDatasetH ds = GDALCreate(d, path, P.nx, P.ny, 1, GDT_Float32, opts);
    CSLDestroy(opts);
    if (!ds)
        gdal_fail(path, "cannot create raster");
    double gt[6] = {FX + P.left, CELL, 0, FY + P.top, 0, -CELL};
    if (GDALSetGeoTransform(ds, gt) != CE_None)
        gdal_fail(path, "cannot set geotransform");
    OGRSpatialReferenceH srs = make_srs(32649);
    if (GDALSetSpatialRef(ds, srs) != CE_None)
        gdal_fail(path, "cannot set CRS");
    OSRDestroySpatialReference(srs);
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    if (!b)
        gdal_fail(path, "no band");
    if (GDALSetRasterNoDataValue(b, NODATA) != CE_None)
        gdal_fail(path, "cannot set nodata");
    if (GDALRasterIO(b, GF_Write, 0, 0, P.nx, P.ny, P.v, P.nx, P.ny, GDT_Float32, 0, 0) != CE_None)
        gdal_fail(path, "cannot write pixels");
    close_dataset(ds, path);
    free(path);
}

/* ------------------------------------------------------------------------ */
/* Wards                                                                     */
/* ------------------------------------------------------------------------ */

typedef struct {
    const char *code, *name;
} WardName;

/* Ordered roughly north to south within each district. The codes are in the
 * style of the national administrative codes; they are illustrative. */
static const WardName THANH_KHE[] = {
    {"20206", "Thanh Khê Tây"}, {"20207", "Thanh Khê Đông"}, {"20209", "Xuân Hà"},
    {"20203", "Tam Thuận"},     {"20215", "Chính Gián"},     {"20212", "Tân Chính"},
    {"20218", "Vĩnh Trung"},    {"20221", "Thạc Gián"},      {"20224", "An Khê"},
};
static const WardName HAI_CHAU[] = {
    {"20230", "Thuận Phước"},   {"20227", "Thanh Bình"},     {"20233", "Thạch Thang"},
    {"20236", "Hải Châu 1"},    {"20239", "Hải Châu 2"},     {"20242", "Phước Ninh"},
    {"20248", "Nam Dương"},     {"20251", "Bình Hiên"},      {"20254", "Bình Thuận"},
    {"20245", "Hòa Thuận Tây"}, {"20246", "Hòa Thuận Đông"}, {"20257", "Hòa Cường Bắc"},
    {"20258", "Hòa Cường Nam"},
};
#define N_TK ((int)(sizeof THANH_KHE / sizeof THANH_KHE[0]))
#define N_HC ((int)(sizeof HAI_CHAU / sizeof HAI_CHAU[0]))
#define N_WARDS (N_TK + N_HC)

typedef struct {
    double sx, sy; /* seed */
    const char *code, *name;
    GEOSGeometry *geom; /* frame-relative */
    const GEOSPreparedGeometry *prep;
    double cellsum;
    long dan_so;
    double area_ha;
    int ncells;
} Ward;

static Ward W[N_WARDS];

static int cmp_x(const void *a, const void *b)
{
    const Ward *p = a, *q = b;
    return (p->sx > q->sx) - (p->sx < q->sx);
}

static int cmp_y_desc(const void *a, const void *b)
{
    const Ward *p = a, *q = b;
    return (p->sy < q->sy) - (p->sy > q->sy);
}

static int cmp_code(const void *a, const void *b)
{
    const Ward *p = a, *q = b;
    return strcmp(p->code, q->code);
}

static void build_wards(void)
{
    Rng r = rng_stream(3);
    double mind = 1150.0;
    int count = 0;
    for (;;) {
        count = 0;
        for (int att = 0; att < 20000 && count < N_WARDS; att++) {
            double x = rng_range(&r, C.minx, C.maxx), y = rng_range(&r, C.miny, C.maxy);
            if (!in_city(x, y) || coast_x(y) - x < 250)
                continue;
            int ok = 1;
            for (int k = 0; k < count && ok; k++)
                if (hypot(W[k].sx - x, W[k].sy - y) < mind)
                    ok = 0;
            if (!ok)
                continue;
            W[count].sx = round_to(x, 0.01);
            W[count].sy = round_to(y, 0.01);
            count++;
        }
        if (count == N_WARDS)
            break;
        mind *= 0.95;
    }

    /* Thanh Khe is the western part, Hai Chau the eastern part. */
    qsort(W, N_WARDS, sizeof W[0], cmp_x);
    qsort(W, N_TK, sizeof W[0], cmp_y_desc);
    qsort(W + N_TK, N_HC, sizeof W[0], cmp_y_desc);
    for (int i = 0; i < N_TK; i++) {
        W[i].code = THANH_KHE[i].code;
        W[i].name = THANH_KHE[i].name;
    }
    for (int i = 0; i < N_HC; i++) {
        W[N_TK + i].code = HAI_CHAU[i].code;
        W[N_TK + i].name = HAI_CHAU[i].name;
    }
    qsort(W, N_WARDS, sizeof W[0], cmp_code);

    GEOSGeometry *pts[N_WARDS];
    for (int i = 0; i < N_WARDS; i++)
        pts[i] = geos_point(W[i].sx, W[i].sy);
    GEOSGeometry *mp = GEOSGeom_createCollection_r(G, GEOS_MULTIPOINT, pts, N_WARDS);
    if (!mp)
        geos_fail("wards", "cannot build seed points");
    GEOSGeometry *vor = GEOSVoronoiDiagram_r(G, mp, C.poly, 0.0, 0);
    if (!vor)
        geos_fail("wards", "Voronoi diagram failed");
    int nc = GEOSGetNumGeometries_r(G, vor);
    if (nc != N_WARDS)
        die("wards", "Voronoi diagram has %d cells, expected %d", nc, N_WARDS);
    for (int c = 0; c < nc; c++) {
        const GEOSGeometry *cell = GEOSGetGeometryN_r(G, vor, c);
        int owner = -1;
        for (int i = 0; i < N_WARDS; i++) {
            char in = GEOSContains_r(G, cell, GEOSGetGeometryN_r(G, mp, i));
            if (in == 2)
                geos_fail("wards", "contains test failed");
            if (in) {
                owner = i;
                break;
            }
        }
        if (owner < 0 || W[owner].geom)
            die("wards", "cannot match Voronoi cell %d to its seed", c);
        GEOSGeometry *g = GEOSIntersection_r(G, cell, C.poly);
        if (!g)
            geos_fail("wards", "clipping to the city failed");
        if (!geos_valid(g)) {
            GEOSGeometry *v = GEOSMakeValid_r(G, g);
            GEOSGeom_destroy_r(G, g);
            if (!v || !geos_valid(v))
                geos_fail("wards", "cannot make ward valid");
            g = v;
        }
        int t = GEOSGeomTypeId_r(G, g);
        if ((t != GEOS_POLYGON && t != GEOS_MULTIPOLYGON) || GEOSisEmpty_r(G, g))
            die("wards", "ward %s is not polygonal after clipping", W[owner].name);
        W[owner].geom = g;
        W[owner].prep = GEOSPrepare_r(G, g);
        if (!W[owner].prep)
            geos_fail("wards", "cannot prepare ward");
        W[owner].area_ha = round_to(geos_area(g) / 10000.0, 0.01);
    }
    GEOSGeom_destroy_r(G, vor);
    GEOSGeom_destroy_r(G, mp);

    /* DAN_SO: sum of the raster cells whose centre lies in the ward. */
    for (int j = 0; j < P.ny; j++) {
        for (int i = 0; i < P.nx; i++) {
            float v = P.v[(size_t)j * P.nx + i];
            if (v == (float)NODATA)
                continue;
            double x = P.left + CELL * (i + 0.5), y = P.top - CELL * (j + 0.5);
            GEOSGeometry *pt = geos_point(x, y);
            int hits = 0;
            for (int k = 0; k < N_WARDS; k++) {
                char in = GEOSPreparedContains_r(G, W[k].prep, pt);
                if (in == 2)
                    geos_fail("wards", "contains test failed");
                if (in) {
                    W[k].cellsum += (double)v;
                    W[k].ncells++;
                    hits++;
                }
            }
            GEOSGeom_destroy_r(G, pt);
            if (hits != 1)
                die("wards", "raster cell %d,%d centre lies in %d wards", i, j, hits);
        }
    }
    for (int k = 0; k < N_WARDS; k++)
        W[k].dan_so = lround(W[k].cellsum);
}

static void write_wards(const char *dir)
{
    const char *exts[] = {"shp", "shx", "dbf", "prj", "cpg"};
    char name[32];
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        snprintf(name, sizeof name, "wards.%s", exts[i]);
        char *p = path_join(dir, name);
        remove_if_exists(p);
        free(p);
    }
    char *path = path_join(dir, "wards.shp");
    GDALDatasetH ds = create_vector("ESRI Shapefile", path, NULL);
    char **lco = NULL;
    lco = CSLAddString(lco, "ENCODING="); /* write the CP1258 bytes as they are */
    lco = CSLSetNameValue(lco, "DBF_DATE_LAST_UPDATE", "2026-01-01");
    OGRLayerH l = create_layer(ds, path, "wards", NULL, wkbPolygon, lco);
    CSLDestroy(lco);
    add_field(l, path, "MA_PHUONG", OFTString, 5, 0);
    add_field(l, path, "TEN_PHUONG", OFTString, 40, 0);
    add_field(l, path, "DAN_SO", OFTInteger, 9, 0);
    add_field(l, path, "DIEN_TICH", OFTReal, 12, 2);
    int f_code = field_index(l, path, "MA_PHUONG"), f_name = field_index(l, path, "TEN_PHUONG");
    int f_pop = field_index(l, path, "DAN_SO"), f_area = field_index(l, path, "DIEN_TICH");
    for (int k = 0; k < N_WARDS; k++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
        char *cp = to_codepage(W[k].name, "CP1258");
        OGR_F_SetFieldString(f, f_code, W[k].code);
        OGR_F_SetFieldString(f, f_name, cp);
        OGR_F_SetFieldInteger(f, f_pop, (int)W[k].dan_so);
        OGR_F_SetFieldDouble(f, f_area, W[k].area_ha);
        free(cp);
        if (OGR_F_SetGeometryDirectly(f, ogr_areal_from_geos(W[k].geom, OUT_VN2000)) != OGRERR_NONE)
            gdal_fail(path, "cannot set geometry");
        write_feature(l, f, path);
        OGR_F_Destroy(f);
    }
    close_dataset(ds, path);

    /* The delivery has no .prj and no .cpg, and a zero language driver id. */
    for (int i = 3; i < 5; i++) {
        snprintf(name, sizeof name, "wards.%s", exts[i]);
        char *p = path_join(dir, name);
        remove_if_exists(p);
        free(p);
    }
    char *dbf = path_join(dir, "wards.dbf");
    FILE *fp = fopen(dbf, "r+b");
    if (!fp)
        die(dbf, "cannot reopen: %s", strerror(errno));
    if (fseek(fp, 29, SEEK_SET) != 0 || fputc(0, fp) == EOF)
        die(dbf, "cannot patch language driver byte");
    close_out(fp, dbf);
    free(dbf);
    free(path);
}

/* ------------------------------------------------------------------------ */
/* Roads                                                                     */
/* ------------------------------------------------------------------------ */

typedef struct {
    Pts line;
    char name[96];
    const char *highway;
    int lanes; /* -1 = unknown */
} Road;

static Road *g_roads;
static int g_nroads, g_caproads;

static Road *new_road(void)
{
    if (g_nroads == g_caproads) {
        g_caproads = g_caproads ? 2 * g_caproads : 256;
        g_roads = xrealloc(g_roads, (size_t)g_caproads * sizeof(Road));
    }
    Road *r = &g_roads[g_nroads++];
    memset(r, 0, sizeof *r);
    return r;
}

static const char *STREETS[] = {
    "Lê Lợi", "Trần Phú", "Phan Châu Trinh", "Hoàng Diệu", "Nguyễn Chí Thanh",
    "Ông Ích Khiêm", "Hải Phòng", "Quang Trung", "Lý Tự Trọng", "Đống Đa",
    "Lê Đình Dương", "Hoàng Văn Thụ", "Trưng Nữ Vương", "Núi Thành", "Duy Tân",
    "Lê Thanh Nghị", "Nguyễn Hoàng", "Hà Huy Tập", "Trần Cao Vân", "Thái Thị Bôi",
    "Lê Độ", "Tôn Đức Thắng", "Phan Đăng Lưu", "Phan Thanh", "Lê Hồng Phong",
    "Pasteur", "Yên Bái", "Thái Phiên", "Nguyễn Thị Minh Khai", "Lý Thường Kiệt",
    "Đinh Tiên Hoàng", "Lê Lai", "Trần Quốc Toản", "Phạm Hồng Thái", "Nguyễn Du",
    "Đào Duy Từ", "Ngô Gia Tự", "Triệu Nữ Vương", "Tiểu La", "Xô Viết Nghệ Tĩnh",
    "Cách Mạng Tháng Tám", "Phan Bội Châu", "Nguyễn Tri Phương", "Lê Trọng Tấn", "Hải Hồ",
    "Trần Bình Trọng", "Hoàng Hoa Thám", "Tản Đà", "Huỳnh Ngọc Huệ", "Dũng Sĩ Thanh Khê",
    "Kỳ Đồng", "Lý Thái Tổ", "Ông Ích Đường", "Chu Văn An", "Nguyễn Văn Trỗi",
    "Lê Văn Hiến", "Nguyễn Hữu Thọ", "Phan Đình Phùng", "Hồ Xuân Hương", "Trần Kế Xương",
};
#define N_STREETS ((int)(sizeof STREETS / sizeof STREETS[0]))

/* Long roads that do not follow the grid. Control points are frame-relative;
 * kind 1 follows the west river bank, 2 the east bank, 3 the coast. */
typedef struct {
    const char *name, *highway;
    int lanes, kind;
    double y0, y1; /* extent of bank/coast roads */
    int n;
    double p[6][2];
} Arterial;

static const Arterial ARTERIALS[] = {
    {"Đường Nguyễn Văn Linh", "primary", 6, 0, 0, 0, 5,
     {{-4000, -900}, {-1500, -820}, {800, -700}, {2000, -650}, {3700, -520}}},
    {"Đường Điện Biên Phủ", "primary", 6, 0, 0, 0, 4,
     {{-4000, 1700}, {-2000, 1520}, {-300, 1300}, {600, 1250}}},
    {"Đường Trường Chinh", "primary", 4, 0, 0, 0, 4,
     {{-4000, -3650}, {-2800, -2400}, {-1800, -1300}, {-1500, -820}}},
    {"Đường Hùng Vương", "secondary", 4, 0, 0, 0, 3, {{-1000, 250}, {500, 350}, {1760, 400}}},
    {"Đường Lê Duẩn", "secondary", 4, 0, 0, 0, 3, {{-1800, 800}, {0, 750}, {1790, 820}}},
    {"Đường Hàm Nghi", "secondary", 4, 0, 0, 0, 3, {{-900, -3700}, {-800, -1500}, {-700, 1300}}},
    {"Đường 2 Tháng 9", "primary", 6, 1, -3700, 0, 0, {{0, 0}}},
    {"Đường Bạch Đằng", "secondary", 4, 1, 0, 3800, 0, {{0, 0}}},
    {"Đường Trần Hưng Đạo", "secondary", 4, 2, -3700, 3800, 0, {{0, 0}}},
    {"Đường Võ Nguyên Giáp", "primary", 6, 3, -3700, 3800, 0, {{0, 0}}},
};
#define N_ART ((int)(sizeof ARTERIALS / sizeof ARTERIALS[0]))

static Pts g_art[N_ART]; /* densified arterial centre lines (unclipped) */

typedef struct {
    double x1, y1, x2, y2;
} Seg;

static Seg *g_alleys;
static int g_nalleys;

static void densify_arterial(const Arterial *a, Pts *out)
{
    if (a->kind) {
        for (double y = a->y0; y <= a->y1 + 1e-9; y += 40.0) {
            double x = a->kind == 1 ? river_x(y) - 130 : a->kind == 2 ? river_x(y) + 130
                                                                       : coast_x(y) - 110;
            pts_add(out, x, y);
        }
        return;
    }
    /* Catmull-Rom through the control points. */
    for (int s = 0; s + 1 < a->n; s++) {
        const double *p0 = a->p[s > 0 ? s - 1 : s], *p1 = a->p[s], *p2 = a->p[s + 1];
        const double *p3 = a->p[s + 2 < a->n ? s + 2 : s + 1];
        double len = hypot(p2[0] - p1[0], p2[1] - p1[1]);
        int steps = (int)ceil(len / 40.0);
        for (int k = 0; k < steps; k++) {
            double t = (double)k / steps, t2 = t * t, t3 = t2 * t;
            double x = 0.5 * (2 * p1[0] + (-p0[0] + p2[0]) * t +
                              (2 * p0[0] - 5 * p1[0] + 4 * p2[0] - p3[0]) * t2 +
                              (-p0[0] + 3 * p1[0] - 3 * p2[0] + p3[0]) * t3);
            double y = 0.5 * (2 * p1[1] + (-p0[1] + p2[1]) * t +
                              (2 * p0[1] - 5 * p1[1] + 4 * p2[1] - p3[1]) * t2 +
                              (-p0[1] + 3 * p1[1] - 3 * p2[1] + p3[1]) * t3);
            pts_add(out, x, y);
        }
    }
    pts_add(out, a->p[a->n - 1][0], a->p[a->n - 1][1]);
}

/* Clips a line to an area and appends the pieces as roads, each at most
 * max_vertices long. */
static int clip_and_split(const Pts *line, const GEOSGeometry *area, int max_vertices,
                          double min_len, const char *name, const char *highway, int lanes,
                          double null_lanes_p, Rng *r)
{
    GEOSGeometry *g = geos_line(line);
    GEOSGeometry *c = GEOSIntersection_r(G, g, area);
    GEOSGeom_destroy_r(G, g);
    if (!c)
        geos_fail("roads", "clipping failed");
    int added = 0, n = GEOSGetNumGeometries_r(G, c);
    for (int i = 0; i < n; i++) {
        const GEOSGeometry *part = GEOSGetGeometryN_r(G, c, i);
        if (GEOSGeomTypeId_r(G, part) != GEOS_LINESTRING || geos_length(part) < min_len)
            continue;
        const GEOSCoordSequence *s = GEOSGeom_getCoordSeq_r(G, part);
        unsigned int m;
        if (!s || !GEOSCoordSeq_getSize_r(G, s, &m))
            geos_fail("roads", "cannot read clipped line");
        for (unsigned int start = 0; start + 1 < m; start += (unsigned)max_vertices - 1) {
            unsigned int end = start + (unsigned)max_vertices - 1;
            if (end >= m)
                end = m - 1;
            /* Do not leave a tiny one-segment tail. */
            if (m - 1 - end == 1)
                end = m - 1;
            Road *rd = new_road();
            for (unsigned int k = start; k <= end; k++) {
                double x, y;
                if (!GEOSCoordSeq_getXY_r(G, s, k, &x, &y))
                    geos_fail("roads", "cannot read coordinate");
                pts_add(&rd->line, x, y);
            }
            snprintf(rd->name, sizeof rd->name, "%s", name);
            rd->highway = highway;
            rd->lanes = rng_unif(r) < null_lanes_p ? -1 : lanes;
            added++;
            if (end == m - 1)
                break;
        }
    }
    GEOSGeom_destroy_r(G, c);
    return added;
}

static void build_roads(void)
{
    Rng r = rng_stream(4);

    /* Shuffle the street names. */
    int order[N_STREETS];
    for (int i = 0; i < N_STREETS; i++)
        order[i] = i;
    for (int i = N_STREETS - 1; i > 0; i--) {
        int j = rng_below(&r, i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    int next_name = 0, next_number = 1;

    /* Street names per grid line, remembered for the alleys. */
    char gridname[2][2 * GRID_KMAX + 1][80];
    int present[2][2 * GRID_KMAX + 1];
    memset(present, 0, sizeof present);

    for (int fam = 0; fam < 2; fam++) {
        for (int k = -GRID_KMAX; k <= GRID_KMAX; k++) {
            Pts line = {0};
            double c = fam == 0 ? GRID_OU + k * GRID_SU : GRID_OV + k * GRID_SV;
            for (int m = -GRID_KMAX - 6; m <= GRID_KMAX + 6; m++) {
                double x, y, t = fam == 0 ? GRID_OV + m * GRID_SV : GRID_OU + m * GRID_SU;
                if (fam == 0)
                    from_uv(c, t, &x, &y);
                else
                    from_uv(t, c, &x, &y);
                pts_add(&line, x, y);
            }
            char name[80];
            if (next_name < N_STREETS)
                snprintf(name, sizeof name, "Đường %s", STREETS[order[next_name]]);
            else
                snprintf(name, sizeof name, "Đường số %d", next_number);
            int idx = k + GRID_KMAX;
            const char *hw = (idx % 6 == 0) ? "secondary" : (idx % 2 == 0) ? "tertiary" : "residential";
            int lanes = (idx % 6 == 0) ? 4 : 2;
            int added = clip_and_split(&line, C.land, 5, 40.0, name, hw, lanes,
                                       hw[0] == 's' ? 0.05 : 0.2, &r);
            pts_free(&line);
            if (added) {
                present[fam][idx] = 1;
                /* Alleys are named after the street: "Kiệt 12 Hải Phòng",
                 * but "Kiệt 12 Đường số 3". */
                snprintf(gridname[fam][idx], sizeof gridname[fam][idx], "%s",
                         next_name < N_STREETS ? name + strlen("Đường ") : name);
                if (next_name < N_STREETS)
                    next_name++;
                else
                    next_number++;
            }
        }
    }

    for (int a = 0; a < N_ART; a++) {
        densify_arterial(&ARTERIALS[a], &g_art[a]);
        clip_and_split(&g_art[a], C.poly, 25, 40.0, ARTERIALS[a].name, ARTERIALS[a].highway,
                       ARTERIALS[a].lanes, 0.05, &r);
    }

    /* Alleys ("kiet"): short dead ends from a grid street into the block. */
    int alley_no[2][2 * GRID_KMAX + 1];
    for (int i = 0; i < 2 * GRID_KMAX + 1; i++)
        alley_no[0][i] = alley_no[1][i] = 0;
    g_alleys = xmalloc(400 * sizeof(Seg));
    for (int att = 0; att < 20000 && g_nalleys < 360; att++) {
        int fam = rng_below(&r, 2), idx = rng_below(&r, 2 * GRID_KMAX + 1);
        if (!present[fam][idx])
            continue;
        int k = idx - GRID_KMAX;
        double c = fam == 0 ? GRID_OU + k * GRID_SU : GRID_OV + k * GRID_SV;
        double along = fam == 0 ? GRID_SV : GRID_SU, across = fam == 0 ? GRID_SU : GRID_SV;
        double t0 = (fam == 0 ? GRID_OV : GRID_OU) + rng_range(&r, -GRID_KMAX, GRID_KMAX) * along;
        double side = rng_unif(&r) < 0.5 ? -1.0 : 1.0;
        double len = rng_range(&r, 35.0, across / 2 - 25.0);
        double x1, y1, x2, y2;
        if (fam == 0) {
            from_uv(c, t0, &x1, &y1);
            from_uv(c + side * len, t0, &x2, &y2);
        } else {
            from_uv(t0, c, &x1, &y1);
            from_uv(t0, c + side * len, &x2, &y2);
        }
        /* Not too close to a crossing street. */
        double dcross = fabs(remainder(t0 - (fam == 0 ? GRID_OV : GRID_OU), along));
        if (dcross < 30.0)
            continue;
        if (!on_land(x1, y1) || !on_land(x2, y2) || !on_land((x1 + x2) / 2, (y1 + y2) / 2))
            continue;
        int clash = 0;
        for (int i = 0; i < g_nalleys && !clash; i++)
            if (hypot(g_alleys[i].x1 - x1, g_alleys[i].y1 - y1) < 40.0)
                clash = 1;
        for (int a = 0; a < N_ART && !clash; a++)
            for (int i = 0; i + 1 < g_art[a].n && !clash; i++) {
                const double *q = &g_art[a].xy[2 * i];
                if (seg_dist(x2, y2, q[0], q[1], q[2], q[3]) < 25.0 ||
                    seg_dist((x1 + x2) / 2, (y1 + y2) / 2, q[0], q[1], q[2], q[3]) < 25.0)
                    clash = 1;
            }
        if (clash)
            continue;
        g_alleys[g_nalleys++] = (Seg){x1, y1, x2, y2};
        alley_no[fam][idx] += 2 + rng_below(&r, 8);
        Road *rd = new_road();
        pts_add(&rd->line, x1, y1);
        pts_add(&rd->line, x2, y2);
        snprintf(rd->name, sizeof rd->name, "Kiệt %d %s", alley_no[fam][idx], gridname[fam][idx]);
        rd->highway = "residential";
        rd->lanes = rng_unif(&r) < 0.6 ? -1 : 1;
    }
}

static void write_roads(const char *dir)
{
    char *path = path_join(dir, "roads.geojson");
    remove_if_exists(path);
    GDALDatasetH ds = create_vector("GeoJSON", path, NULL);
    OGRSpatialReferenceH srs = make_srs(4326);
    char **lco = CSLSetNameValue(NULL, "RFC7946", "YES");
    OGRLayerH l = create_layer(ds, path, "roads", srs, wkbLineString, lco);
    CSLDestroy(lco);
    OSRDestroySpatialReference(srs);
    add_field(l, path, "name", OFTString, 0, 0);
    add_field(l, path, "highway", OFTString, 0, 0);
    add_field(l, path, "lanes", OFTInteger, 0, 0);
    int fn = field_index(l, path, "name"), fh = field_index(l, path, "highway");
    int fl = field_index(l, path, "lanes");
    for (int i = 0; i < g_nroads; i++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
        OGR_F_SetFieldString(f, fn, g_roads[i].name);
        OGR_F_SetFieldString(f, fh, g_roads[i].highway);
        if (g_roads[i].lanes < 0)
            OGR_F_SetFieldNull(f, fl);
        else
            OGR_F_SetFieldInteger(f, fl, g_roads[i].lanes);
        if (OGR_F_SetGeometryDirectly(f, ogr_line(&g_roads[i].line, OUT_WGS84)) != OGRERR_NONE)
            gdal_fail(path, "cannot set geometry");
        write_feature(l, f, path);
        OGR_F_Destroy(f);
    }
    close_dataset(ds, path);
    free(path);
}

/* ------------------------------------------------------------------------ */
/* Buildings                                                                 */
/* ------------------------------------------------------------------------ */

#define N_BUILDINGS 20000

/* Deliberate defects, listed in the README. */
static const int BOWTIE_IDS[4] = {1207, 5519, 10298, 16412};
static const int SELFX_IDS[4] = {2841, 7763, 13054, 18876};
static const int EMPTY_IDS[5] = {3333, 8081, 11111, 14560, 19999};

static int id_in(const int *ids, int n, int id)
{
    for (int i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

typedef struct {
    int n_use[4];
} BuildingStats;

static BuildingStats g_bstats;
static const char *USES[4] = {"residential", "commercial", "public", "industrial"};

static void write_buildings(const char *dir)
{
    Rng r = rng_stream(5);
    char *path = path_join(dir, "buildings.gpkg");
    remove_if_exists(path);
    GDALDatasetH ds = create_vector("GPKG", path, NULL);
    OGRSpatialReferenceH srs = make_srs(32649);
    char **lco = NULL;
    lco = CSLSetNameValue(lco, "GEOMETRY_NAME", "geom");
    lco = CSLSetNameValue(lco, "FID", "fid");
    OGRLayerH l = create_layer(ds, path, "buildings", srs, wkbPolygon, lco);
    CSLDestroy(lco);
    OSRDestroySpatialReference(srs);
    add_field(l, path, "bld_id", OFTInteger, 0, 0);
    add_field(l, path, "levels", OFTInteger, 0, 0);
    add_field(l, path, "use", OFTString, 12, 0);
    int fid_i = field_index(l, path, "bld_id"), flev = field_index(l, path, "levels");
    int fuse = field_index(l, path, "use");
    if (GDALDatasetStartTransaction(ds, FALSE) != OGRERR_NONE)
        gdal_fail(path, "cannot start transaction");

    /* Spatial hash of placed footprints (centre and radius) to avoid overlaps. */
    const double hc = 60.0;
    int hx = (int)ceil((C.maxx - C.minx) / hc) + 1, hy = (int)ceil((C.maxy - C.miny) / hc) + 1;
    int *head = xmalloc((size_t)hx * hy * sizeof(int));
    for (int i = 0; i < hx * hy; i++)
        head[i] = -1;
    int *next = xmalloc(N_BUILDINGS * sizeof(int));
    double *bx = xmalloc(N_BUILDINGS * sizeof(double)), *by = xmalloc(N_BUILDINGS * sizeof(double));
    double *br = xmalloc(N_BUILDINGS * sizeof(double));

    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
    long attempts = 0;
    for (int placed = 0; placed < N_BUILDINGS;) {
        if (++attempts > 20000000L)
            die("buildings", "could only place %d of %d footprints", placed, N_BUILDINGS);
        double x = rng_range(&r, C.minx, C.maxx), y = rng_range(&r, C.miny, C.maxy);
        double pop = pop_at(x, y);
        if (pop <= 0 || rng_unif(&r) * P.vmax > pop)
            continue;

        /* Footprint: rotated rectangle, sometimes an L-shape. */
        double w = 6.0 + 34.0 * pow(rng_unif(&r), 2.6);
        double h = w * rng_range(&r, 0.6, 1.8);
        if (h < 6.0) h = 6.0;
        if (h > 40.0) h = 40.0;
        double rot = rng_unif(&r) < 0.85 ? GRID_ROT + rng_below(&r, 4) * M_PI / 2 + 0.03 * rng_gauss(&r)
                                         : rng_range(&r, 0, M_PI);
        int lshape = rng_unif(&r) < 0.25 && w > 10 && h > 10;
        double ca = w * rng_range(&r, 0.35, 0.6), cb = h * rng_range(&r, 0.35, 0.6);
        double rad = 0.5 * hypot(w, h);

        if (fabs(x - river_x(y)) < RIVER_HALF + 15 + rad || coast_x(y) - x < 40 + rad)
            continue;
        if (grid_dist(x, y) < rad + 6)
            continue;
        int clash = 0;
        for (int a = 0; a < N_ART && !clash; a++) {
            const Pts *p = &g_art[a];
            for (int i = 0; i + 1 < p->n && !clash; i++) {
                const double *q = &p->xy[2 * i];
                if (fabs(q[0] - x) > 200 || fabs(q[1] - y) > 200)
                    continue;
                if (seg_dist(x, y, q[0], q[1], q[2], q[3]) < rad + 12)
                    clash = 1;
            }
        }
        for (int i = 0; i < g_nalleys && !clash; i++) {
            const Seg *s = &g_alleys[i];
            if (seg_dist(x, y, s->x1, s->y1, s->x2, s->y2) < rad + 3)
                clash = 1;
        }
        int cx = (int)((x - C.minx) / hc), cy = (int)((y - C.miny) / hc);
        for (int jy = cy - 1; jy <= cy + 1 && !clash; jy++)
            for (int jx = cx - 1; jx <= cx + 1 && !clash; jx++) {
                if (jx < 0 || jy < 0 || jx >= hx || jy >= hy)
                    continue;
                for (int b = head[jy * hx + jx]; b >= 0 && !clash; b = next[b])
                    if (hypot(bx[b] - x, by[b] - y) < br[b] + rad + 1.5)
                        clash = 1;
            }
        if (clash)
            continue;

        double local[7][2];
        int nv;
        if (lshape) {
            double L[6][2] = {{-w / 2, -h / 2}, {w / 2, -h / 2}, {w / 2, h / 2 - cb},
                              {w / 2 - ca, h / 2 - cb}, {w / 2 - ca, h / 2}, {-w / 2, h / 2}};
            memcpy(local, L, sizeof L);
            nv = 6;
        } else {
            double R[4][2] = {{-w / 2, -h / 2}, {w / 2, -h / 2}, {w / 2, h / 2}, {-w / 2, h / 2}};
            memcpy(local, R, sizeof R);
            nv = 4;
        }
        Pts ring = {0};
        for (int i = 0; i < nv; i++) {
            double px = x + local[i][0] * cos(rot) - local[i][1] * sin(rot);
            double py = y + local[i][0] * sin(rot) + local[i][1] * cos(rot);
            pts_add(&ring, round_to(px, 0.01), round_to(py, 0.01));
        }
        int inside = 1;
        for (int i = 0; i < nv && inside; i++)
            inside = in_city(ring.xy[2 * i], ring.xy[2 * i + 1]);
        if (!inside) {
            pts_free(&ring);
            continue;
        }
        pts_add(&ring, ring.xy[0], ring.xy[1]);

        /* Accepted. */
        int id = placed + 1;
        bx[placed] = x;
        by[placed] = y;
        br[placed] = rad;
        next[placed] = head[cy * hx + cx];
        head[cy * hx + cx] = placed;
        placed++;

        /* Use and height: commercial towards the centre, industry in the
         * south-west, public buildings scattered. */
        double dc = hypot(x - 900, y - 300);
        double p_com = 0.05 + 0.35 * exp(-dc * dc / (2 * 1500.0 * 1500.0));
        double p_ind = (x < -1500 && y < -1500) ? 0.45 : 0.02;
        double u = rng_unif(&r);
        int use = u < p_ind ? 3 : u < p_ind + p_com ? 1 : u < p_ind + p_com + 0.04 ? 2 : 0;
        int levels;
        double q = rng_unif(&r);
        switch (use) {
        case 1: levels = 2 + (int)(q * q * (dc < 1500 ? 24 : 8)); break;
        case 2: levels = 1 + (int)(q * 6); break;
        case 3: levels = 1 + (int)(q * 2); break;
        default: levels = 1 + (int)(5 * pow(q, 1.3)); break;
        }
        g_bstats.n_use[use]++;

        /* Replace a few footprints with broken geometry on purpose. */
        if (id_in(BOWTIE_IDS, 4, id)) {
            double a = w / 2, b = h / 2;
            ring.n = 0;
            pts_add(&ring, x - a, y - b);
            pts_add(&ring, x + a, y + b);
            pts_add(&ring, x + a, y - b);
            pts_add(&ring, x - a, y + b);
            pts_add(&ring, x - a, y - b);
            for (int i = 0; i < ring.n * 2; i++)
                ring.xy[i] = round_to(ring.xy[i], 0.01);
        } else if (id_in(SELFX_IDS, 4, id)) {
            double a = w / 2, b = h / 2;
            ring.n = 0;
            if (id == SELFX_IDS[0] || id == SELFX_IDS[2]) {
                /* a spike: out to a point and back along the same line */
                pts_add(&ring, x - a, y - b);
                pts_add(&ring, x + a, y - b);
                pts_add(&ring, x + a, y);
                pts_add(&ring, x + a + 15, y + 1);
                pts_add(&ring, x + a, y);
                pts_add(&ring, x + a, y + b);
                pts_add(&ring, x - a, y + b);
                pts_add(&ring, x - a, y - b);
            } else {
                /* the last corner pushed through the opposite edge */
                pts_add(&ring, x - a, y - b);
                pts_add(&ring, x + a, y - b);
                pts_add(&ring, x + a, y + b);
                pts_add(&ring, x - a, y + b);
                pts_add(&ring, x + 0.2 * a, y - 1.6 * b);
                pts_add(&ring, x - a, y - b);
            }
            for (int i = 0; i < ring.n * 2; i++)
                ring.xy[i] = round_to(ring.xy[i], 0.01);
        }

        OGRGeometryH g = OGR_G_CreateGeometry(wkbPolygon);
        if (!g)
            gdal_fail(path, "cannot create polygon");
        if (!id_in(EMPTY_IDS, 5, id)) {
            GEOSGeometry *gg = geos_polygon(&ring);
            int valid = geos_valid(gg);
            GEOSGeom_destroy_r(G, gg);
            int want_invalid = id_in(BOWTIE_IDS, 4, id) || id_in(SELFX_IDS, 4, id);
            if (valid == want_invalid)
                die("buildings", "footprint %d is %s, expected the opposite", id,
                    valid ? "valid" : "invalid");
            OGRGeometryH lr = OGR_G_CreateGeometry(wkbLinearRing);
            for (int i = 0; i < ring.n; i++)
                add_point(lr, OUT_FRAME, ring.xy[2 * i], ring.xy[2 * i + 1]);
            add_geometry(g, lr, path);
        }
        pts_free(&ring);

        OGR_F_SetFieldInteger(f, fid_i, id);
        OGR_F_SetFieldInteger(f, flev, levels);
        OGR_F_SetFieldString(f, fuse, USES[use]);
        if (OGR_F_SetGeometryDirectly(f, g) != OGRERR_NONE)
            gdal_fail(path, "cannot set geometry");
        write_feature(l, f, path);
    }
    OGR_F_Destroy(f);
    if (GDALDatasetCommitTransaction(ds) != OGRERR_NONE)
        gdal_fail(path, "cannot commit");
    close_dataset(ds, path);
    free(head);
    free(next);
    free(bx);
    free(by);
    free(br);
    free(path);
}

/* ------------------------------------------------------------------------ */
/* Facilities (CSV with BOM, as a spreadsheet exports it)                    */
/* ------------------------------------------------------------------------ */

#define N_FACILITIES 120
static const int FAC_BLANK[2] = {37, 88};
static const int FAC_SWAPPED = 61;

typedef struct {
    char name[128];
    const char *type;
    int capacity;
    double x, y;
} Facility;

/* Random point on land, weighted by population; optionally inside a ward. */
static void random_site(Rng *r, const Ward *ward, double *ox, double *oy)
{
    double minx = C.minx, miny = C.miny, maxx = C.maxx, maxy = C.maxy;
    if (ward) {
        if (!GEOSGeom_getXMin_r(G, ward->geom, &minx) || !GEOSGeom_getYMin_r(G, ward->geom, &miny) ||
            !GEOSGeom_getXMax_r(G, ward->geom, &maxx) || !GEOSGeom_getYMax_r(G, ward->geom, &maxy))
            geos_fail("facilities", "cannot read ward extent");
    }
    for (int att = 0; att < 1000000; att++) {
        double x = rng_range(r, minx, maxx), y = rng_range(r, miny, maxy);
        if (!on_land(x, y) || grid_dist(x, y) < 15)
            continue;
        double p = pop_at(x, y);
        if (p <= 0 || rng_unif(r) * P.vmax > p * 1.5)
            continue;
        if (ward) {
            GEOSGeometry *pt = geos_point(x, y);
            char in = GEOSPreparedContains_r(G, ward->prep, pt);
            GEOSGeom_destroy_r(G, pt);
            if (in == 2)
                geos_fail("facilities", "contains test failed");
            if (!in)
                continue;
        }
        *ox = x;
        *oy = y;
        return;
    }
    die("sites", "cannot find a site on land");
}

static const char *PERSONS[] = {
    "Lê Văn Tám", "Nguyễn Huệ", "Trần Hưng Đạo", "Kim Đồng", "Nguyễn Trãi", "Lê Quý Đôn",
    "Phù Đổng", "Võ Thị Sáu", "Trần Quốc Toản", "Chu Văn An", "Nguyễn Khuyến", "Tây Sơn",
    "Huỳnh Thúc Kháng", "Phan Đình Phùng", "Nguyễn Bỉnh Khiêm", "Lê Hồng Phong", "Hoàng Văn Thụ",
    "Nguyễn Văn Cừ", "Trưng Vương", "Lý Công Uẩn", "Đinh Bộ Lĩnh", "Ngô Quyền", "Phan Bội Châu",
    "Lương Thế Vinh", "Nguyễn Du", "Hùng Vương", "Điện Biên", "Quang Trung", "Tô Hiến Thành",
    "Hoàng Diệu",
};
static const char *KINDERGARTENS[] = {
    "Hoa Sen", "Hoa Hồng", "Sơn Ca", "Họa Mi", "Vành Khuyên", "Bình Minh", "Ánh Dương",
    "Tuổi Thơ", "Hoa Mai", "Bông Sen", "Sao Mai", "Măng Non", "Hướng Dương", "Thiên Thần Nhỏ",
    "Ngôi Sao",
};
static const char *CLINICS[] = {"Hòa Hảo", "Thiện Nhân", "Vĩnh Toàn", "An Phước", "Bình An",
                                "Medic Đà Nẵng"};

static void write_facilities(const char *dir)
{
    Rng r = rng_stream(6);
    Facility fac[N_FACILITIES];
    int n = 0;
    for (int i = 0; i < 15; i++, n++) {
        snprintf(fac[n].name, sizeof fac[n].name, "Trường Mầm non %s", KINDERGARTENS[i]);
        fac[n].type = "school";
        fac[n].capacity = 10 * (15 + rng_below(&r, 26));
    }
    for (int i = 0; i < 30; i++, n++) {
        snprintf(fac[n].name, sizeof fac[n].name, "Trường Tiểu học %s", PERSONS[i]);
        fac[n].type = "school";
        fac[n].capacity = 10 * (60 + rng_below(&r, 91));
    }
    for (int i = 0; i < 30; i++, n++) {
        snprintf(fac[n].name, sizeof fac[n].name, "Trường THCS %s", PERSONS[(i + 10) % 30]);
        fac[n].type = "school";
        fac[n].capacity = 10 * (80 + rng_below(&r, 81));
    }
    for (int i = 0; i < 17; i++, n++) {
        snprintf(fac[n].name, sizeof fac[n].name, "Trường THPT %s", PERSONS[(i + 20) % 30]);
        fac[n].type = "school";
        fac[n].capacity = 10 * (100 + rng_below(&r, 101));
    }
    for (int i = 0; i < n; i++)
        random_site(&r, NULL, &fac[i].x, &fac[i].y);
    for (int k = 0; k < N_WARDS; k++, n++) {
        snprintf(fac[n].name, sizeof fac[n].name, "Trạm Y tế phường %s", W[k].name);
        fac[n].type = "clinic";
        fac[n].capacity = 5 + rng_below(&r, 11);
        random_site(&r, &W[k], &fac[n].x, &fac[n].y);
    }
    for (int i = 0; i < 6; i++, n++) {
        snprintf(fac[n].name, sizeof fac[n].name, "Phòng khám Đa khoa %s", CLINICS[i]);
        fac[n].type = "clinic";
        fac[n].capacity = 20 + rng_below(&r, 41);
        random_site(&r, NULL, &fac[n].x, &fac[n].y);
    }
    if (n != N_FACILITIES)
        die("facilities", "built %d rows, expected %d", n, N_FACILITIES);
    for (int i = n - 1; i > 0; i--) {
        int j = rng_below(&r, i + 1);
        Facility t = fac[i];
        fac[i] = fac[j];
        fac[j] = t;
    }

    char *path = path_join(dir, "facilities.csv");
    FILE *fp = open_out(path);
    fputs("\xEF\xBB\xBF", fp);
    fputs("id,name,type,Longitude,Latitude,capacity\r\n", fp);
    for (int i = 0; i < n; i++) {
        int id = i + 1;
        double lon, lat;
        out_xy(OUT_WGS84, fac[i].x, fac[i].y, &lon, &lat);
        if (id == FAC_BLANK[0] || id == FAC_BLANK[1])
            fprintf(fp, "%d,%s,%s,,,%d\r\n", id, fac[i].name, fac[i].type, fac[i].capacity);
        else if (id == FAC_SWAPPED)
            fprintf(fp, "%d,%s,%s,%.6f,%.6f,%d\r\n", id, fac[i].name, fac[i].type, lat, lon,
                    fac[i].capacity);
        else
            fprintf(fp, "%d,%s,%s,%.6f,%.6f,%d\r\n", id, fac[i].name, fac[i].type, lon, lat,
                    fac[i].capacity);
    }
    close_out(fp, path);
    free(path);
}

/* ------------------------------------------------------------------------ */
/* Proposed infrastructure                                                   */
/* ------------------------------------------------------------------------ */

#define N_CCTV 400
#define N_EV 60
#define N_CELLS 200
#define N_POLES 300

/* A point beside a random arterial. */
static void arterial_site(Rng *r, double offset, double *ox, double *oy, int *which)
{
    for (int att = 0; att < 100000; att++) {
        int a = rng_below(r, N_ART);
        const Pts *p = &g_art[a];
        int i = rng_below(r, p->n - 1);
        double t = rng_unif(r);
        double x1 = p->xy[2 * i], y1 = p->xy[2 * i + 1], x2 = p->xy[2 * i + 2], y2 = p->xy[2 * i + 3];
        double len = hypot(x2 - x1, y2 - y1);
        if (len <= 0)
            continue;
        double s = rng_unif(r) < 0.5 ? -1 : 1;
        double x = x1 + t * (x2 - x1) - s * offset * (y2 - y1) / len;
        double y = y1 + t * (y2 - y1) + s * offset * (x2 - x1) / len;
        if (!on_land(x, y))
            continue;
        *ox = x;
        *oy = y;
        if (which)
            *which = a;
        return;
    }
    die("sites", "cannot find a site beside an arterial");
}

static void write_cctv(const char *dir)
{
    Rng r = rng_stream(7);
    char *path = path_join(dir, "cctv.csv");
    FILE *fp = open_out(path);
    fputs("cam_id,Lat,Long,kind\n", fp);
    /* Most cameras at grid crossings, the rest along arterials. */
    unsigned char used[2 * GRID_KMAX + 1][2 * GRID_KMAX + 1];
    memset(used, 0, sizeof used);
    for (int n = 0, att = 0; n < N_CCTV; att++) {
        if (att > 1000000)
            die("cctv", "cannot place cameras");
        double x, y;
        const char *kind;
        if (n < 300) {
            int ku = rng_below(&r, 2 * GRID_KMAX + 1), kv = rng_below(&r, 2 * GRID_KMAX + 1);
            if (used[ku][kv])
                continue;
            double u = GRID_OU + (ku - GRID_KMAX) * GRID_SU + (rng_unif(&r) < 0.5 ? -9 : 9);
            double v = GRID_OV + (kv - GRID_KMAX) * GRID_SV + (rng_unif(&r) < 0.5 ? -9 : 9);
            from_uv(u, v, &x, &y);
            if (!on_land(x, y))
                continue;
            used[ku][kv] = 1;
            kind = rng_unif(&r) < 0.35 ? "ptz" : "fixed";
        } else {
            arterial_site(&r, 12.0, &x, &y, NULL);
            kind = rng_unif(&r) < 0.15 ? "ptz" : "fixed";
        }
        double lon, lat;
        out_xy(OUT_WGS84, x, y, &lon, &lat);
        n++;
        fprintf(fp, "CAM-%04d,%.6f,%.6f,%s\n", n, lat, lon, kind);
    }
    close_out(fp, path);
    free(path);
}

static void xml_escaped(FILE *fp, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", fp); break;
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        default: fputc(*s, fp);
        }
    }
}

static void write_ev(const char *dir)
{
    Rng r = rng_stream(8);
    static const char *providers[] = {"VinFast", "EVN", "Petrolimex"};
    static const int powers[] = {11, 22, 30, 60, 120, 150};
    char *path = path_join(dir, "ev_chargers.kml");
    FILE *fp = open_out(path);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n"
          "<Document>\n"
          "  <name>Đề xuất trạm sạc xe điện - Hải Châu, Thanh Khê</name>\n"
          "  <Folder>\n"
          "    <name>ev_chargers</name>\n",
          fp);
    for (int i = 0; i < N_EV; i++) {
        double x, y;
        int a = -1;
        if (i % 3 != 2)
            arterial_site(&r, 20.0, &x, &y, &a);
        else
            random_site(&r, NULL, &x, &y);
        double lon, lat;
        out_xy(OUT_WGS84, x, y, &lon, &lat);
        int kw = powers[rng_below(&r, 6)], ports = 2 + 2 * rng_below(&r, 3);
        char name[160], desc[200];
        snprintf(name, sizeof name, "Trạm sạc %s %02d%s%s", providers[rng_below(&r, 3)], i + 1,
                 a >= 0 ? " - " : "", a >= 0 ? ARTERIALS[a].name : "");
        snprintf(desc, sizeof desc, "Sạc %s, công suất %d kW, %d cổng", kw >= 30 ? "nhanh DC" : "AC",
                 kw, ports);
        fputs("    <Placemark>\n      <name>", fp);
        xml_escaped(fp, name);
        fputs("</name>\n      <description>", fp);
        xml_escaped(fp, desc);
        fprintf(fp, "</description>\n      <Point><coordinates>%.6f,%.6f,0</coordinates></Point>\n"
                    "    </Placemark>\n",
                lon, lat);
    }
    fputs("  </Folder>\n</Document>\n</kml>\n", fp);
    close_out(fp, path);
    free(path);
}

static void write_small_cells(const char *dir)
{
    Rng r = rng_stream(9);
    static const char *ops[] = {"Viettel", "VNPT VinaPhone", "MobiFone"};
    const char *exts[] = {"shp", "shx", "dbf", "prj", "cpg"};
    char name[40];
    for (size_t i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "small_cells_5g.%s", exts[i]);
        char *p = path_join(dir, name);
        remove_if_exists(p);
        free(p);
    }
    char *path = path_join(dir, "small_cells_5g.shp");
    GDALDatasetH ds = create_vector("ESRI Shapefile", path, NULL);
    OGRSpatialReferenceH srs = make_srs(32649);
    char **lco = NULL;
    lco = CSLSetNameValue(lco, "ENCODING", "UTF-8");
    lco = CSLSetNameValue(lco, "DBF_DATE_LAST_UPDATE", "2026-01-01");
    OGRLayerH l = create_layer(ds, path, "small_cells_5g", srs, wkbPoint, lco);
    CSLDestroy(lco);
    OSRDestroySpatialReference(srs);
    add_field(l, path, "cell_id", OFTString, 12, 0);
    add_field(l, path, "operator", OFTString, 20, 0);
    add_field(l, path, "height_m", OFTReal, 6, 1);
    int fc = field_index(l, path, "cell_id"), fo = field_index(l, path, "operator");
    int fh = field_index(l, path, "height_m");
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
    for (int i = 0; i < N_CELLS; i++) {
        double x, y;
        random_site(&r, NULL, &x, &y);
        double u = rng_unif(&r);
        char id[24];
        snprintf(id, sizeof id, "5G-DN-%04d", i + 1);
        OGR_F_SetFieldString(f, fc, id);
        OGR_F_SetFieldString(f, fo, ops[u < 0.45 ? 0 : u < 0.8 ? 1 : 2]);
        OGR_F_SetFieldDouble(f, fh, round_to(rng_range(&r, 8.0, 30.0), 0.1));
        if (OGR_F_SetGeometryDirectly(f, ogr_point(OUT_FRAME, x, y)) != OGRERR_NONE)
            gdal_fail(path, "cannot set geometry");
        write_feature(l, f, path);
    }
    OGR_F_Destroy(f);
    close_dataset(ds, path);
    for (size_t i = 3; i < 5; i++) {
        snprintf(name, sizeof name, "small_cells_5g.%s", exts[i]);
        char *p = path_join(dir, name);
        if (file_size(p) <= 0)
            die(p, "expected a non-empty sidecar file");
        free(p);
    }
    free(path);
}

static void write_smart_poles(const char *dir)
{
    Rng r = rng_stream(10);
    static const char *extra[] = {"wifi", "sensor", "camera", "speaker", "display", "ev"};
    static const double extra_p[] = {0.6, 0.5, 0.35, 0.15, 0.1, 0.05};
    char *path = path_join(dir, "smart_poles.geojson");
    remove_if_exists(path);
    GDALDatasetH ds = create_vector("GeoJSON", path, NULL);
    OGRSpatialReferenceH srs = make_srs(4326);
    char **lco = CSLSetNameValue(NULL, "RFC7946", "YES");
    OGRLayerH l = create_layer(ds, path, "smart_poles", srs, wkbPoint, lco);
    CSLDestroy(lco);
    OSRDestroySpatialReference(srs);
    add_field(l, path, "pole_id", OFTString, 0, 0);
    add_field(l, path, "functions", OFTString, 0, 0);
    int fp_ = field_index(l, path, "pole_id"), ff = field_index(l, path, "functions");
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
    for (int n = 0, att = 0; n < N_POLES; att++) {
        if (att > 1000000)
            die("smart_poles", "cannot place poles");
        /* Beside a grid street, away from the crossings. */
        int fam = rng_below(&r, 2), k = rng_below(&r, 2 * GRID_KMAX + 1) - GRID_KMAX;
        double c = fam == 0 ? GRID_OU + k * GRID_SU : GRID_OV + k * GRID_SV;
        double along = fam == 0 ? GRID_SV : GRID_SU;
        double t = (fam == 0 ? GRID_OV : GRID_OU) + rng_range(&r, -GRID_KMAX, GRID_KMAX) * along;
        if (fabs(remainder(t - (fam == 0 ? GRID_OV : GRID_OU), along)) < 20)
            continue;
        double off = rng_unif(&r) < 0.5 ? -9.0 : 9.0, x, y;
        if (fam == 0)
            from_uv(c + off, t, &x, &y);
        else
            from_uv(t, c + off, &x, &y);
        if (!on_land(x, y))
            continue;
        char id[16], fn[80] = "light";
        snprintf(id, sizeof id, "SP-%04d", ++n);
        for (int e = 0; e < 6; e++)
            if (rng_unif(&r) < extra_p[e]) {
                strcat(fn, ";");
                strcat(fn, extra[e]);
            }
        OGR_F_SetFieldString(f, fp_, id);
        OGR_F_SetFieldString(f, ff, fn);
        if (OGR_F_SetGeometryDirectly(f, ogr_point(OUT_WGS84, x, y)) != OGRERR_NONE)
            gdal_fail(path, "cannot set geometry");
        write_feature(l, f, path);
    }
    OGR_F_Destroy(f);
    close_dataset(ds, path);
    free(path);
}

/* Smart zones as a planner's CAD drawing: R2000 DXF, Korean layer names in
 * CP949, EPSG:32649 metres with no CRS in the file. */
typedef struct {
    int layer;
    double cx, cy, radius;
    int nv;
} Zone;

static const char *ZONE_LAYERS[] = {"스마트존_주거", "스마트존_상업", "스마트존_교통", "스마트존_관광"};
static const int ZONE_COLORS[] = {3, 1, 5, 4};
static const Zone ZONES[] = {
    {0, -1800, 1200, 480, 9}, {0, 500, -2200, 450, 8}, {1, 900, 300, 420, 10},
    {1, -300, -800, 380, 8},  {2, -2600, -1800, 400, 7}, {2, 1400, 2600, 350, 8},
    {3, 2900, 800, 330, 9},
};
#define N_ZONES ((int)(sizeof ZONES / sizeof ZONES[0]))
static const char *ZONE_LABEL = "스마트시티 시범지구";

static void dxf_pair(FILE *fp, int code, const char *value)
{
    fprintf(fp, "%3d\r\n%s\r\n", code, value);
}

static void dxf_int(FILE *fp, int code, int v)
{
    fprintf(fp, "%3d\r\n%6d\r\n", code, v);
}

static void dxf_real(FILE *fp, int code, double v)
{
    fprintf(fp, "%3d\r\n%.3f\r\n", code, v);
}

static void dxf_handle(FILE *fp, unsigned *h)
{
    fprintf(fp, "  5\r\n%X\r\n", (*h)++);
}

static void write_zones(const char *dir)
{
    Rng r = rng_stream(11);
    Pts rings[N_ZONES];
    double minx = HUGE_VAL, miny = HUGE_VAL, maxx = -HUGE_VAL, maxy = -HUGE_VAL;
    for (int z = 0; z < N_ZONES; z++) {
        const Zone *Z = &ZONES[z];
        rings[z] = (Pts){0};
        double a0 = rng_range(&r, 0, 2 * M_PI);
        for (int i = 0; i < Z->nv; i++) {
            double a = a0 + 2 * M_PI * (i + rng_range(&r, -0.2, 0.2)) / Z->nv;
            double rr = Z->radius * rng_range(&r, 0.8, 1.15);
            double x = FX + Z->cx + rr * cos(a), y = FY + Z->cy + rr * sin(a);
            x = round_to(x, 0.001);
            y = round_to(y, 0.001);
            if (!in_city(x - FX, y - FY))
                die("smart_zones", "zone %d leaves the city", z + 1);
            pts_add(&rings[z], x, y);
            if (x < minx) minx = x;
            if (x > maxx) maxx = x;
            if (y < miny) miny = y;
            if (y > maxy) maxy = y;
        }
        Pts closed = {0};
        for (int i = 0; i < rings[z].n; i++)
            pts_add(&closed, rings[z].xy[2 * i], rings[z].xy[2 * i + 1]);
        pts_add(&closed, closed.xy[0], closed.xy[1]);
        GEOSGeometry *g = geos_polygon(&closed);
        if (!geos_valid(g))
            die("smart_zones", "zone %d is not a simple polygon", z + 1);
        GEOSGeom_destroy_r(G, g);
        pts_free(&closed);
    }

    char *path = path_join(dir, "smart_zones.dxf");
    FILE *fp = open_out(path);
    unsigned h = 0x20;
    char *layers[4];
    for (int i = 0; i < 4; i++)
        layers[i] = to_codepage(ZONE_LAYERS[i], "CP949");
    char *label = to_codepage(ZONE_LABEL, "CP949");

    dxf_pair(fp, 0, "SECTION");
    dxf_pair(fp, 2, "HEADER");
    dxf_pair(fp, 9, "$ACADVER");
    dxf_pair(fp, 1, "AC1015");
    dxf_pair(fp, 9, "$DWGCODEPAGE");
    dxf_pair(fp, 3, "ANSI_949");
    dxf_pair(fp, 9, "$INSUNITS");
    dxf_int(fp, 70, 6);
    dxf_pair(fp, 9, "$EXTMIN");
    dxf_real(fp, 10, minx);
    dxf_real(fp, 20, miny);
    dxf_real(fp, 30, 0);
    dxf_pair(fp, 9, "$EXTMAX");
    dxf_real(fp, 10, maxx);
    dxf_real(fp, 20, maxy);
    dxf_real(fp, 30, 0);
    dxf_pair(fp, 9, "$HANDSEED");
    fprintf(fp, "  5\r\n%X\r\n", 0x1000u);
    dxf_pair(fp, 0, "ENDSEC");

    dxf_pair(fp, 0, "SECTION");
    dxf_pair(fp, 2, "TABLES");
    dxf_pair(fp, 0, "TABLE");
    dxf_pair(fp, 2, "LTYPE");
    dxf_handle(fp, &h);
    dxf_pair(fp, 100, "AcDbSymbolTable");
    dxf_int(fp, 70, 1);
    dxf_pair(fp, 0, "LTYPE");
    dxf_handle(fp, &h);
    dxf_pair(fp, 100, "AcDbSymbolTableRecord");
    dxf_pair(fp, 100, "AcDbLinetypeTableRecord");
    dxf_pair(fp, 2, "CONTINUOUS");
    dxf_int(fp, 70, 0);
    dxf_pair(fp, 3, "Solid line");
    dxf_int(fp, 72, 65);
    dxf_int(fp, 73, 0);
    dxf_real(fp, 40, 0);
    dxf_pair(fp, 0, "ENDTAB");
    dxf_pair(fp, 0, "TABLE");
    dxf_pair(fp, 2, "LAYER");
    dxf_handle(fp, &h);
    dxf_pair(fp, 100, "AcDbSymbolTable");
    dxf_int(fp, 70, 5);
    for (int i = -1; i < 4; i++) {
        dxf_pair(fp, 0, "LAYER");
        dxf_handle(fp, &h);
        dxf_pair(fp, 100, "AcDbSymbolTableRecord");
        dxf_pair(fp, 100, "AcDbLayerTableRecord");
        dxf_pair(fp, 2, i < 0 ? "0" : layers[i]);
        dxf_int(fp, 70, 0);
        dxf_int(fp, 62, i < 0 ? 7 : ZONE_COLORS[i]);
        dxf_pair(fp, 6, "CONTINUOUS");
    }
    dxf_pair(fp, 0, "ENDTAB");
    dxf_pair(fp, 0, "ENDSEC");

    dxf_pair(fp, 0, "SECTION");
    dxf_pair(fp, 2, "ENTITIES");
    for (int z = 0; z < N_ZONES; z++) {
        dxf_pair(fp, 0, "LWPOLYLINE");
        dxf_handle(fp, &h);
        dxf_pair(fp, 100, "AcDbEntity");
        dxf_pair(fp, 8, layers[ZONES[z].layer]);
        dxf_pair(fp, 100, "AcDbPolyline");
        dxf_int(fp, 90, rings[z].n);
        dxf_int(fp, 70, 1);
        dxf_real(fp, 43, 0);
        for (int i = 0; i < rings[z].n; i++) {
            dxf_real(fp, 10, rings[z].xy[2 * i]);
            dxf_real(fp, 20, rings[z].xy[2 * i + 1]);
        }
    }
    dxf_pair(fp, 0, "TEXT");
    dxf_handle(fp, &h);
    dxf_pair(fp, 100, "AcDbEntity");
    dxf_pair(fp, 8, layers[1]);
    dxf_pair(fp, 100, "AcDbText");
    dxf_real(fp, 10, round_to(FX + ZONES[2].cx - 120, 0.001));
    dxf_real(fp, 20, round_to(FY + ZONES[2].cy, 0.001));
    dxf_real(fp, 30, 0);
    dxf_real(fp, 40, 25);
    dxf_pair(fp, 1, label);
    dxf_pair(fp, 100, "AcDbText");
    dxf_pair(fp, 0, "ENDSEC");
    dxf_pair(fp, 0, "EOF");
    close_out(fp, path);

    for (int i = 0; i < 4; i++)
        free(layers[i]);
    free(label);
    for (int z = 0; z < N_ZONES; z++)
        pts_free(&rings[z]);
    free(path);
}

/* ------------------------------------------------------------------------ */
/* README                                                                    */
/* ------------------------------------------------------------------------ */

static void write_readme(const char *dir)
{
    Buf b = {0};
    long pop_sum = 0;
    for (int k = 0; k < N_WARDS; k++)
        pop_sum += W[k].dan_so;
    int n_primary = 0, n_named = 0, n_null = 0;
    for (int i = 0; i < g_nroads; i++) {
        if (!strcmp(g_roads[i].highway, "primary"))
            n_primary++;
        if (g_roads[i].lanes < 0)
            n_null++;
        n_named++;
    }
    (void)n_named;

    buf_printf(&b,
        "# Sample partner city: Da Nang (Hai Chau and Thanh Khe)\n"
        "\n"
        "A made-up delivery from a partner city, used by the kcn tools' tests and\n"
        "examples. It is messy on purpose, the way real deliveries are: every layer\n"
        "comes in its own format, CRS and text encoding, some say nothing about\n"
        "either, and a few records are broken. Ward and street names are real; all\n"
        "geometry, counts and figures are invented.\n"
        "\n"
        "All layers were built in one frame, WGS 84 / UTM zone 49N (EPSG:32649), and\n"
        "then written in the CRS each one is delivered in. The city lies at about\n"
        "108.16-108.23 E, 16.02-16.09 N; the sea is to the east and a river runs\n"
        "north-south through the eastern part.\n"
        "\n"
        "| File | Format | CRS (declared?) | Encoding | Features | Quirks |\n"
        "| --- | --- | --- | --- | --- | --- |\n");
    buf_printf(&b,
        "| `wards.shp` `.shx` `.dbf` | ESRI Shapefile, polygons | VN-2000 / UTM zone 49N, "
        "EPSG:3406 (not declared) | CP1258 (not declared) | %d | no `.prj`, no `.cpg`, DBF "
        "language driver byte 0; names are CP1258 with combining tone marks; VN-2000 needs "
        "a datum shift, so positions are about 225 m off if read as WGS 84 / UTM 49N |\n",
        N_WARDS);
    buf_printf(&b,
        "| `pop_100m.tif` | GeoTIFF, Float32, DEFLATE | EPSG:32649 (declared) | - | "
        "%d x %d cells of 100 m | people per cell; nodata -9999 outside the city |\n",
        P.nx, P.ny);
    buf_printf(&b,
        "| `roads.geojson` | GeoJSON LineString | WGS 84 lon/lat (RFC 7946) | UTF-8 | %d | "
        "`lanes` is null on %d features; grid streets have a vertex at every crossing and come "
        "in pieces of up to four blocks; arterials and alleys are not noded with them |\n",
        g_nroads, n_null);
    buf_printf(&b,
        "| `buildings.gpkg` | GeoPackage, layer `buildings`, Polygon | EPSG:32649 (declared) | "
        "UTF-8 | %d | 8 invalid and 5 empty geometries, listed below |\n",
        N_BUILDINGS);
    buf_printf(&b,
        "| `facilities.csv` | CSV | WGS 84 degrees (not declared) | UTF-8 with BOM, CRLF | %d | "
        "columns `Longitude`,`Latitude`; rows with blank or swapped coordinates, listed "
        "below |\n",
        N_FACILITIES);
    buf_printf(&b,
        "| `cctv.csv` | CSV | WGS 84 degrees (not declared) | UTF-8 | %d | latitude comes "
        "first: columns `Lat`,`Long` |\n",
        N_CCTV);
    buf_printf(&b,
        "| `ev_chargers.kml` | KML, Placemarks in one Folder | WGS 84 (KML) | UTF-8 | %d | power "
        "only inside the free-text `description` (\"... công suất 60 kW ...\") |\n",
        N_EV);
    buf_printf(&b,
        "| `small_cells_5g.shp` `.shx` `.dbf` `.prj` `.cpg` | ESRI Shapefile, points | "
        "EPSG:32649 (declared in `.prj`) | UTF-8 (declared in `.cpg`) | %d | the one tidy "
        "shapefile |\n",
        N_CELLS);
    buf_printf(&b,
        "| `smart_poles.geojson` | GeoJSON Point | WGS 84 lon/lat (RFC 7946) | UTF-8 | %d | "
        "`functions` is a `;`-separated list |\n",
        N_POLES);
    buf_printf(&b,
        "| `smart_zones.dxf` | DXF R2000 (AC1015), closed LWPOLYLINE | EPSG:32649 metres "
        "(not declared) | CP949 (`$DWGCODEPAGE` = `ANSI_949`) | %d polylines, 1 text | zone "
        "type is only in the Korean layer name (스마트존_주거 residential, 스마트존_상업 "
        "commercial, 스마트존_교통 transport, 스마트존_관광 tourism); GDAL reads the closed "
        "polylines as closed LineStrings (GDAL 3.6 has no option to read them as polygons; kcn-ingest does) |\n",
        N_ZONES);

    buf_printf(&b,
        "\n"
        "## Rules that tie the layers together\n"
        "\n"
        "- `DAN_SO` (ward population) = round(sum of the `pop_100m.tif` cells whose\n"
        "  centre lies inside the ward), with the ward in EPSG:32649. Every data cell\n"
        "  belongs to exactly one ward. Total: %ld people in %d cells (raster sum %.2f).\n"
        "  To check it, transform the wards from EPSG:3406 to EPSG:32649 first.\n"
        "- `DIEN_TICH` is the ward area in hectares, measured in EPSG:32649, rounded to\n"
        "  0.01 ha.\n"
        "- `MA_PHUONG` codes are illustrative, in the style of the national ward codes.\n"
        "- Reading the wards: GDAL 3.6 with `ENCODING=CP1258` (or `SHAPE_ENCODING`) on\n"
        "  glibc drops the last character of every string, field names included,\n"
        "  because glibc's CP1258 decoder holds a character back to combine it with a\n"
        "  following tone mark. Open with `ENCODING=\"\"` and convert the raw bytes\n"
        "  with iconv instead (glibc recomposes to NFC).\n"
        "- Buildings are denser where the raster is denser and keep off the river,\n"
        "  the sea and the streets.\n",
        pop_sum, P.ndata, P.total);

    buf_printf(&b,
        "\n"
        "## Deliberate defects\n"
        "\n"
        "- `buildings.gpkg`, invalid geometry (`bld_id`): bowties %d, %d, %d, %d;\n"
        "  self-intersecting rings with a spike %d, %d; rings with a corner pushed\n"
        "  through the opposite edge %d, %d.\n"
        "- `buildings.gpkg`, empty geometry (POLYGON EMPTY), `bld_id`: %d, %d, %d, %d, %d.\n"
        "- `facilities.csv`: rows `id` %d and %d have blank `Longitude` and `Latitude`;\n"
        "  row `id` %d has them swapped (the latitude is in `Longitude`).\n",
        BOWTIE_IDS[0], BOWTIE_IDS[1], BOWTIE_IDS[2], BOWTIE_IDS[3], SELFX_IDS[0], SELFX_IDS[2],
        SELFX_IDS[1], SELFX_IDS[3], EMPTY_IDS[0], EMPTY_IDS[1], EMPTY_IDS[2], EMPTY_IDS[3],
        EMPTY_IDS[4], FAC_BLANK[0], FAC_BLANK[1], FAC_SWAPPED);

    buf_printf(&b,
        "\n"
        "## Fields\n"
        "\n"
        "- wards: `MA_PHUONG` ward code, `TEN_PHUONG` ward name, `DAN_SO` population,\n"
        "  `DIEN_TICH` area (ha).\n"
        "- roads: `name`, `highway` (primary, secondary, tertiary, residential), `lanes`.\n"
        "  Alleys are named \"Kiệt N <street>\".\n"
        "- buildings: `bld_id`, `levels`, `use` (residential %d, commercial %d, public %d,\n"
        "  industrial %d).\n"
        "- facilities: `id`, `name`, `type` (school or clinic), `Longitude`, `Latitude`,\n"
        "  `capacity` (pupils for schools, beds for clinics).\n"
        "- cctv: `cam_id`, `Lat`, `Long`, `kind` (fixed or ptz).\n"
        "- ev_chargers: Placemark `name` and `description`.\n"
        "- small_cells_5g: `cell_id`, `operator`, `height_m`.\n"
        "- smart_poles: `pole_id`, `functions`.\n",
        g_bstats.n_use[0], g_bstats.n_use[1], g_bstats.n_use[2], g_bstats.n_use[3]);

    buf_printf(&b,
        "\n"
        "## Licence and regeneration\n"
        "\n"
        "Generated data, released under CC0 1.0 (public domain dedication).\n"
        "\n"
        "Regenerate with `make sample-data`, which runs\n"
        "`kcn-gencity sample sample-data`. The output is the same byte for byte on\n"
        "every run.\n");

    char *path = path_join(dir, "README.md");
    FILE *fp = open_out(path);
    fwrite(b.s, 1, b.n, fp);
    close_out(fp, path);
    free(path);
    free(b.s);
}

/* ------------------------------------------------------------------------ */
/* Synthetic benchmark city                                                  */
/* ------------------------------------------------------------------------ */

#define SX 323000.0 /* EPSG:32652, about 127.0 E, 37.55 N */
#define SY 4157000.0
#define S_DCOLS 20
#define S_DROWS 15

typedef struct {
    double vx[S_DCOLS + 1][S_DROWS + 1], vy[S_DCOLS + 1][S_DROWS + 1];
    double pop[S_DCOLS][S_DROWS];
    double dw, dh;
} Districts;

static void district_ring(const Districts *D, int i, int j, double xy[10])
{
    const int ci[5] = {0, 1, 1, 0, 0}, cj[5] = {0, 0, 1, 1, 0};
    for (int k = 0; k < 5; k++) {
        xy[2 * k] = D->vx[i + ci[k]][j + cj[k]];
        xy[2 * k + 1] = D->vy[i + ci[k]][j + cj[k]];
    }
}

static void district_add(Districts *D, double x, double y, double pop)
{
    int ci = (int)floor(x / D->dw), cj = (int)floor(y / D->dh);
    double xy[10];
    for (int dj = -1; dj <= 1; dj++)
        for (int di = -1; di <= 1; di++) {
            int i = ci + di, j = cj + dj;
            if (i < 0 || j < 0 || i >= S_DCOLS || j >= S_DROWS)
                continue;
            district_ring(D, i, j, xy);
            if (ring_contains(xy, 5, x, y)) {
                D->pop[i][j] += pop;
                return;
            }
        }
    if (ci < 0) ci = 0;
    if (cj < 0) cj = 0;
    if (ci >= S_DCOLS) ci = S_DCOLS - 1;
    if (cj >= S_DROWS) cj = S_DROWS - 1;
    D->pop[ci][cj] += pop;
}

/* Invalid footprints for `synth --invalid`: the ways partner footprints come
 * broken.  Each kind is one every GEOS validity test rejects, and one that
 * GEOS make-valid turns back into an area (nothing that collapses to a line
 * or to nothing, such as a ring repeated exactly as its own hole), so that a
 * tool that repairs keeps every feature. */
enum {
    BAD_BOWTIE,       /* two corners swapped: the ring crosses itself */
    BAD_SPIKE,        /* out from an edge to a point and back the same way */
    BAD_HOLE_OUTSIDE, /* a shed next door recorded as an inner ring */
    BAD_DOUBLED,      /* outline digitised twice, the copy shifted, as a hole */
    BAD_PINCHED,      /* courtyard drawn into the shell through one corner */
    N_BAD_KINDS
};

static void pts_add_r(Pts *p, double x, double y)
{
    pts_add(p, round_to(x, 0.01), round_to(y, 0.01));
}

/* Footprint `fp` has `nv` corners, counter-clockwise, without the closing
 * one (coordinates already rounded).  Writes the shell of broken kind `kind`
 * to `shell` and its inner ring, if the kind has one, to `hole`, both closed
 * and rounded to 1 cm like every other coordinate.  Draws from `r` only. */
static void invalid_footprint(Rng *r, int kind, const double *fp, int nv, Pts *shell, Pts *hole)
{
    shell->n = hole->n = 0;
    int e = rng_below(r, nv); /* the corner or edge (e, e + 1) broken */
    const double *a = &fp[2 * e], *b = &fp[2 * ((e + 1) % nv)];
    double len = hypot(b[0] - a[0], b[1] - a[1]);
    double tx = (b[0] - a[0]) / len, ty = (b[1] - a[1]) / len; /* along edge */
    double nx = ty, ny = -tx; /* outward normal of a counter-clockwise ring */

    switch (kind) {
    case BAD_BOWTIE:
        /* corners e and e + 1 digitised in the wrong order */
        for (int i = 0; i < nv; i++) {
            int q = i == e ? (e + 1) % nv : i == (e + 1) % nv ? e : i;
            pts_add(shell, fp[2 * q], fp[2 * q + 1]);
        }
        break;
    case BAD_SPIKE: {
        /* from a point of edge e out (or in) to a point and back to it */
        double t = rng_range(r, 0.3, 0.7) * len;
        double mx = round_to(a[0] + t * tx, 0.01), my = round_to(a[1] + t * ty, 0.01);
        double d = rng_unif(r) < 0.7 ? rng_range(r, 3, 15) : -rng_range(r, 1, 2.5);
        double skew = rng_range(r, -0.5, 0.5);
        for (int i = 0; i < nv; i++) {
            pts_add(shell, fp[2 * i], fp[2 * i + 1]);
            if (i == e) {
                pts_add(shell, mx, my);
                pts_add_r(shell, mx + d * nx + skew * tx, my + d * ny + skew * ty);
                pts_add(shell, mx, my);
            }
        }
        break;
    }
    case BAD_HOLE_OUTSIDE: {
        /* a 2-4 m shed 1-3 m beyond edge e, clockwise as a hole should be;
         * the footprints are convex, so it lies wholly outside */
        for (int i = 0; i < nv; i++)
            pts_add(shell, fp[2 * i], fp[2 * i + 1]);
        double s1 = rng_range(r, 2, 4), s2 = rng_range(r, 2, 4), gap = rng_range(r, 1, 3);
        double t = rng_range(r, 0.3, 0.7) * len;
        double cx = a[0] + t * tx + (gap + s2 / 2) * nx, cy = a[1] + t * ty + (gap + s2 / 2) * ny;
        const int sg[4][2] = {{-1, -1}, {1, -1}, {1, 1}, {-1, 1}}; /* (t, n) is left-handed */
        for (int i = 0; i < 4; i++)
            pts_add_r(hole, cx + sg[i][0] * s1 / 2 * tx + sg[i][1] * s2 / 2 * nx,
                      cy + sg[i][0] * s1 / 2 * ty + sg[i][1] * s2 / 2 * ny);
        break;
    }
    case BAD_DOUBLED: {
        /* the same outline again, shifted 0.3-1 m, stored as an inner ring */
        double sh = rng_range(r, 0.3, 1.0), ang = rng_range(r, 0, 2 * M_PI);
        for (int i = 0; i < nv; i++)
            pts_add(shell, fp[2 * i], fp[2 * i + 1]);
        for (int i = nv - 1; i >= 0; i--)
            pts_add_r(hole, fp[2 * i] + sh * cos(ang), fp[2 * i + 1] + sh * sin(ang));
        break;
    }
    case BAD_PINCHED: {
        /* an "inverted" courtyard: from corner e the ring runs round a
         * triangle inside the building, back to the same corner, then round
         * the outline; the ring touches itself at that corner */
        double cx = 0, cy = 0;
        for (int i = 0; i < nv; i++) {
            cx += fp[2 * i] / nv;
            cy += fp[2 * i + 1] / nv;
        }
        double dx = cx - a[0], dy = cy - a[1], dl = hypot(dx, dy);
        double px = -dy / dl, py = dx / dl, wd = rng_range(r, 0.06, 0.1) * dl;
        double f1 = rng_range(r, 0.35, 0.5), f2 = rng_range(r, 0.7, 0.85);
        pts_add(shell, a[0], a[1]);
        pts_add_r(shell, a[0] + f1 * dx + wd * px, a[1] + f1 * dy + wd * py); /* clockwise */
        pts_add_r(shell, a[0] + f2 * dx, a[1] + f2 * dy);
        pts_add_r(shell, a[0] + f1 * dx - wd * px, a[1] + f1 * dy - wd * py);
        for (int i = 0; i < nv; i++) {
            int q = (e + i) % nv;
            pts_add(shell, fp[2 * q], fp[2 * q + 1]);
        }
        break;
    }
    default:
        die("synth", "no invalid kind %d", kind);
    }
    pts_add(shell, shell->xy[0], shell->xy[1]);
    if (hole->n)
        pts_add(hole, hole->xy[0], hole->xy[1]);
}

/* Dies unless shell (and hole) make a polygon GEOS finds invalid and whose
 * make-valid keeps an area, with either method: linework (GEOSMakeValid, as
 * ogr2ogr -makevalid uses) and structure (as kcn-ingest uses for areas). */
static void check_invalid(const Pts *shell, const Pts *hole, long id, int kind)
{
    GEOSGeometry *lr = GEOSGeom_createLinearRing_r(G, geos_seq(shell));
    GEOSGeometry *h = hole->n ? GEOSGeom_createLinearRing_r(G, geos_seq(hole)) : NULL;
    if (!lr || (hole->n && !h))
        geos_fail("synth", "cannot create ring");
    GEOSGeometry *p = GEOSGeom_createPolygon_r(G, lr, h ? &h : NULL, h ? 1 : 0);
    if (!p)
        geos_fail("synth", "cannot create polygon");
    if (geos_valid(p))
        die("synth", "building %ld (invalid kind %d) came out valid", id, kind);
    GEOSMakeValidParams *mp = GEOSMakeValidParams_create_r(G);
    if (!mp)
        geos_fail("synth", "cannot create make-valid parameters");
    for (int method = 0; method < 2; method++) {
        GEOSMakeValidParams_setMethod_r(G, mp, method ? GEOS_MAKE_VALID_STRUCTURE
                                                      : GEOS_MAKE_VALID_LINEWORK);
        GEOSGeometry *v = GEOSMakeValidWithParams_r(G, p, mp);
        if (!v)
            geos_fail("synth", "make-valid failed");
        double area = geos_area(v);
        if (!(area > 1.0))
            die("synth", "building %ld (invalid kind %d): make-valid (%s) leaves %.2f m2", id,
                kind, method ? "structure" : "linework", area);
        GEOSGeom_destroy_r(G, v);
    }
    GEOSMakeValidParams_destroy_r(G, mp);
    GEOSGeom_destroy_r(G, p);
}

/* The population raster of the synthetic city: 100 m cells on multiples
 * of 100 m of EPSG:32652, covering the city's extent; each cell the sum of
 * the `pop` of the buildings whose centre falls in it. */
#define S_POP_CELL 100.0
#define S_POP_NODATA (-1.0)

typedef struct {
    double left, top; /* EPSG:32652 */
    int nx, ny;
    double *v;
} SynthPop;

static void synth_pop_init(SynthPop *sp, double x0, double y0, double width, double height)
{
    sp->left = floor(x0 / S_POP_CELL) * S_POP_CELL;
    sp->top = ceil((y0 + height) / S_POP_CELL) * S_POP_CELL;
    sp->nx = (int)lround((ceil((x0 + width) / S_POP_CELL) * S_POP_CELL - sp->left) / S_POP_CELL);
    sp->ny = (int)lround((sp->top - floor(y0 / S_POP_CELL) * S_POP_CELL) / S_POP_CELL);
    sp->v = xcalloc((size_t)sp->nx * sp->ny, sizeof(double));
}

static void synth_pop_add(SynthPop *sp, double x, double y, double pop)
{
    int i = (int)floor((x - sp->left) / S_POP_CELL), j = (int)floor((sp->top - y) / S_POP_CELL);
    if (i < 0 || j < 0 || i >= sp->nx || j >= sp->ny)
        die("synth", "building centre %.2f %.2f outside the population grid", x, y);
    sp->v[(size_t)j * sp->nx + i] += pop;
}

static void synth_pop_write(const SynthPop *sp, const char *dir, OGRSpatialReferenceH srs)
{
    char *path = path_join(dir, "pop.tif");
    remove_if_exists(path);
    GDALDriverH d = GDALGetDriverByName("GTiff");
    if (!d)
        gdal_fail(path, "GDAL driver GTiff is not available");
    char **opts = NULL;
    opts = CSLSetNameValue(opts, "COMPRESS", "DEFLATE");
    opts = CSLSetNameValue(opts, "PREDICTOR", "3");
    GDALDatasetH ds = GDALCreate(d, path, sp->nx, sp->ny, 1, GDT_Float32, opts);
    CSLDestroy(opts);
    if (!ds)
        gdal_fail(path, "cannot create raster");
    double gt[6] = {sp->left, S_POP_CELL, 0, sp->top, 0, -S_POP_CELL};
    if (GDALSetGeoTransform(ds, gt) != CE_None)
        gdal_fail(path, "cannot set geotransform");
    if (GDALSetSpatialRef(ds, srs) != CE_None)
        gdal_fail(path, "cannot set CRS");
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    if (!b)
        gdal_fail(path, "no band");
    if (GDALSetRasterNoDataValue(b, S_POP_NODATA) != CE_None)
        gdal_fail(path, "cannot set nodata");
    /* Sums of values rounded to 0.1, rounded again so that the order of
     * the additions leaves no trace. */
    size_t nc = (size_t)sp->nx * sp->ny;
    float *row = xmalloc(nc * sizeof *row);
    for (size_t k = 0; k < nc; k++)
        row[k] = (float)round_to(sp->v[k], 0.1);
    if (GDALRasterIO(b, GF_Write, 0, 0, sp->nx, sp->ny, row, sp->nx, sp->ny, GDT_Float32, 0, 0) !=
        CE_None)
        gdal_fail(path, "cannot write pixels");
    free(row);
    close_dataset(ds, path);
    free(path);
}

/* Appends one straight road from (ax, ay) to (bx, by), city-relative. */
static void synth_road(OGRLayerH l, OGRFeatureH f, int fid, long *id, double x0, double y0,
                       double ax, double ay, double bx, double by, const char *path)
{
    OGRGeometryH g = OGR_G_CreateGeometry(wkbLineString);
    if (!g)
        gdal_fail(path, "cannot create line");
    OGR_G_AddPoint_2D(g, round_to(x0 + ax, 0.01), round_to(y0 + ay, 0.01));
    OGR_G_AddPoint_2D(g, round_to(x0 + bx, 0.01), round_to(y0 + by, 0.01));
    OGR_F_SetFieldInteger(f, fid, (int)++*id);
    if (OGR_F_SetGeometryDirectly(f, g) != OGRERR_NONE)
        gdal_fail(path, "cannot set geometry");
    write_feature(l, f, path);
}

/* Street positions across one axis of the city: every S_ROAD_BLOCK metres,
 * each street moved by up to 15 m, none nearer the edge than half a block. */
#define S_ROAD_BLOCK 120.0
#define S_ROAD_DIAG 1500.0

static int synth_streets(Rng *r, double extent, double *pos, int cap)
{
    int n = 0;
    for (int i = 1; i * S_ROAD_BLOCK <= extent - S_ROAD_BLOCK / 2 && n < cap; i++)
        pos[n++] = i * S_ROAD_BLOCK + rng_range(r, -15, 15);
    return n;
}

/* roads.fgb: a street grid with blocks of about 120 m, each street cut at
 * its crossings into segments of one or two blocks, and diagonal avenues
 * every 1.5 km in both directions, cut into segments of 200 to 500 m (the
 * last one 50 m or more).  About N/20 segments. */
static void synth_roads(const char *dir, OGRSpatialReferenceH srs, char **lco, double x0,
                        double y0, double width, double height)
{
    Rng r = rng_stream(102);
    char *path = path_join(dir, "roads.fgb");
    remove_if_exists(path);
    GDALDatasetH ds = create_vector("FlatGeobuf", path, NULL);
    OGRLayerH l = create_layer(ds, path, "roads", srs, wkbLineString, lco);
    add_field(l, path, "road_id", OFTInteger, 0, 0);
    int fid = field_index(l, path, "road_id");
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
    int cap = (int)(fmax(width, height) / S_ROAD_BLOCK) + 1;
    double *xs = xmalloc((size_t)cap * sizeof *xs), *ys = xmalloc((size_t)cap * sizeof *ys);
    int nxs = synth_streets(&r, width, xs, cap), nys = synth_streets(&r, height, ys, cap);
    long id = 0;
    for (int axis = 0; axis < 2; axis++) {
        /* axis 0: streets running north (at xs, cut at ys); 1: east */
        int ns = axis ? nys : nxs, nc = axis ? nxs : nys;
        const double *at = axis ? ys : xs, *cut = axis ? xs : ys;
        for (int s = 0; s < ns; s++)
            for (int a = 0; a < nc - 1;) {
                int b = a + 1 + rng_below(&r, 2);
                if (b > nc - 1)
                    b = nc - 1;
                if (axis)
                    synth_road(l, f, fid, &id, x0, y0, cut[a], at[s], cut[b], at[s], path);
                else
                    synth_road(l, f, fid, &id, x0, y0, at[s], cut[a], at[s], cut[b], path);
                a = b;
            }
    }
    /* Diagonals: y = x + c (south-west to north-east) and y = -x + c,
     * clipped to the city less a 10 m margin. */
    const double m = 10;
    for (int sense = 0; sense < 2; sense++) {
        double c = sense ? S_ROAD_DIAG / 2 : -width + S_ROAD_DIAG / 2;
        double cmax = sense ? width + height : height;
        for (; c < cmax; c += S_ROAD_DIAG) {
            /* the line's part from x = ta to x = tb */
            double ta, tb;
            if (!sense) {
                ta = fmax(m, m - c);
                tb = fmin(width - m, height - m - c);
            } else {
                ta = fmax(m, c - (height - m));
                tb = fmin(width - m, c - m);
            }
            double len = (tb - ta) * M_SQRT2;
            if (len < 50)
                continue;
            double t = 0;
            while (t < len) {
                double piece = rng_range(&r, 200, 500);
                if (len - t - piece < 50)
                    piece = len - t <= 500 ? len - t : (len - t) / 2;
                double u0 = ta + t / M_SQRT2, u1 = ta + (t + piece) / M_SQRT2;
                double v0 = sense ? c - u0 : u0 + c, v1 = sense ? c - u1 : u1 + c;
                synth_road(l, f, fid, &id, x0, y0, u0, v0, u1, v1, path);
                t += piece;
            }
        }
    }
    OGR_F_Destroy(f);
    close_dataset(ds, path);
    free(path);
    free(xs);
    free(ys);
}

/* sites.fgb: N points for the coverage benchmark, at random over the city
 * but outside "gaps" (parks, a port, rail yards: discs of 400 to 1,200 m
 * radius, one per 4 km2 of city, at least two), so that 300 m service
 * areas around them leave holes.  No gap is wider than 0.3 of the city,
 * so that the gaps of a small city cannot cover all of it. */
static void synth_sites(long n, const char *dir, OGRSpatialReferenceH srs, char **lco, double x0,
                        double y0, double width, double height)
{
    Rng rg = rng_stream(103), r = rng_stream(104);
    int ngap = (int)lround(width * height / 4e6);
    if (ngap < 2)
        ngap = 2;
    double *gap = xmalloc((size_t)ngap * 3 * sizeof *gap);
    for (int g = 0; g < ngap; g++) {
        gap[3 * g] = rng_range(&rg, 0, width);
        gap[3 * g + 1] = rng_range(&rg, 0, height);
        gap[3 * g + 2] = fmin(rng_range(&rg, 400, 1200), 0.3 * fmin(width, height));
    }
    char *path = path_join(dir, "sites.fgb");
    remove_if_exists(path);
    GDALDatasetH ds = create_vector("FlatGeobuf", path, NULL);
    OGRLayerH l = create_layer(ds, path, "sites", srs, wkbPoint, lco);
    add_field(l, path, "site_id", OFTInteger, 0, 0);
    int fi = field_index(l, path, "site_id");
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
    for (long k = 0; k < n;) {
        double x = rng_range(&r, 0, width), y = rng_range(&r, 0, height);
        int in_gap = 0;
        for (int g = 0; g < ngap && !in_gap; g++)
            in_gap = sq(x - gap[3 * g]) + sq(y - gap[3 * g + 1]) < sq(gap[3 * g + 2]);
        if (in_gap)
            continue;
        OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
        if (!pt)
            gdal_fail(path, "cannot create point");
        OGR_G_SetPoint_2D(pt, 0, round_to(x0 + x, 0.01), round_to(y0 + y, 0.01));
        OGR_F_SetFieldInteger(f, fi, (int)++k);
        if (OGR_F_SetGeometryDirectly(f, pt) != OGRERR_NONE)
            gdal_fail(path, "cannot set geometry");
        write_feature(l, f, path);
    }
    OGR_F_Destroy(f);
    close_dataset(ds, path);
    free(path);
    free(gap);
}

static void synth(long n, double invalid, const char *dir)
{
    Rng r = rng_stream(100);
    const double cell = sqrt(1e6 / 2000.0); /* ~2,000 buildings per km2 */
    long nx = (long)ceil(sqrt((double)n)), ny = (n + nx - 1) / nx;
    double width = nx * cell, height = ny * cell;
    double x0 = floor(SX - width / 2), y0 = floor(SY - height / 2);

    make_dir(dir);
    OGRSpatialReferenceH srs = make_srs(32652);
    char **lco = CSLSetNameValue(NULL, "SPATIAL_INDEX", "NO");

    /* District grid with jittered shared corners; edge corners only slide
     * along the edge, so the districts partition the extent exactly. */
    Districts *D = xcalloc(1, sizeof *D);
    D->dw = width / S_DCOLS;
    D->dh = height / S_DROWS;
    for (int i = 0; i <= S_DCOLS; i++)
        for (int j = 0; j <= S_DROWS; j++) {
            double jx = (i > 0 && i < S_DCOLS) ? rng_range(&r, -0.25, 0.25) * D->dw : 0;
            double jy = (j > 0 && j < S_DROWS) ? rng_range(&r, -0.25, 0.25) * D->dh : 0;
            D->vx[i][j] = round_to(i * D->dw + jx, 0.01);
            D->vy[i][j] = round_to(j * D->dh + jy, 0.01);
        }

    /* Buildings, streamed: one footprint per grid cell, row by row. The
     * district population is the sum of `pop` of the buildings whose centre
     * lies in the district. */
    char *path = path_join(dir, "buildings.fgb");
    remove_if_exists(path);
    GDALDatasetH ds = create_vector("FlatGeobuf", path, NULL);
    OGRLayerH l = create_layer(ds, path, "buildings", srs, wkbPolygon, lco);
    add_field(l, path, "bld_id", OFTInteger, 0, 0);
    add_field(l, path, "levels", OFTInteger, 0, 0);
    add_field(l, path, "use", OFTString, 0, 0);
    add_field(l, path, "pop", OFTReal, 0, 0);
    int fb = field_index(l, path, "bld_id"), fl = field_index(l, path, "levels");
    int fu = field_index(l, path, "use"), fpop = field_index(l, path, "pop");

    /* With --invalid: exactly round(n * invalid) buildings, picked at random
     * (Floyd's sampling), broken in turn in each of the N_BAD_KINDS ways. */
    unsigned char *bad = NULL;
    long m = lround((double)n * invalid), n_bad = 0;
    Rng rb = rng_stream(101);
    Pts shell = {0}, hole = {0};
    if (m > 0) {
        bad = xcalloc((size_t)n, 1);
        for (long j = n - m; j < n; j++) {
            long t = (long)(rng_unif(&rb) * (double)(j + 1));
            if (t > j)
                t = j;
            bad[bad[t] ? j : t] = 1;
        }
    }
    SynthPop sp;
    synth_pop_init(&sp, x0, y0, width, height);
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
    for (long k = 0; k < n; k++) {
        long i = k % nx, j = k / nx;
        double cx = (i + 0.5) * cell + rng_range(&r, -1.5, 1.5);
        double cy = (j + 0.5) * cell + rng_range(&r, -1.5, 1.5);
        double w = rng_range(&r, 5, 12), h = rng_range(&r, 5, 12), rot = rng_range(&r, 0, M_PI);
        int gable = rng_unif(&r) < 0.4;
        double g = gable ? rng_range(&r, 1, 3) : 0;
        double loc[5][2] = {{-w / 2, -h / 2}, {w / 2, -h / 2}, {w / 2, h / 2}, {0, h / 2 + g},
                            {-w / 2, h / 2}};
        OGRGeometryH poly = OGR_G_CreateGeometry(wkbPolygon);
        OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
        if (!poly || !ring)
            gdal_fail(path, "cannot create polygon");
        double fp[12];
        int nv = 0;
        for (int v = 0; v <= 5; v++) {
            int q = v % 5;
            if (!gable && q == 3)
                continue;
            double px = cx + loc[q][0] * cos(rot) - loc[q][1] * sin(rot);
            double py = cy + loc[q][0] * sin(rot) + loc[q][1] * cos(rot);
            fp[2 * nv] = round_to(x0 + px, 0.01);
            fp[2 * nv + 1] = round_to(y0 + py, 0.01);
            nv++;
        }
        if (bad && bad[k]) {
            /* drawn from its own stream: the other buildings do not change */
            int kind = (int)(n_bad++ % N_BAD_KINDS);
            invalid_footprint(&rb, kind, fp, nv - 1, &shell, &hole);
            check_invalid(&shell, &hole, k + 1, kind);
            for (int v = 0; v < shell.n; v++)
                OGR_G_AddPoint_2D(ring, shell.xy[2 * v], shell.xy[2 * v + 1]);
            add_geometry(poly, ring, path);
            if (hole.n) {
                OGRGeometryH in = OGR_G_CreateGeometry(wkbLinearRing);
                if (!in)
                    gdal_fail(path, "cannot create ring");
                for (int v = 0; v < hole.n; v++)
                    OGR_G_AddPoint_2D(in, hole.xy[2 * v], hole.xy[2 * v + 1]);
                add_geometry(poly, in, path);
            }
        } else {
            for (int v = 0; v < nv; v++)
                OGR_G_AddPoint_2D(ring, fp[2 * v], fp[2 * v + 1]);
            add_geometry(poly, ring, path);
        }
        double u = rng_unif(&r);
        int use = u < 0.7 ? 0 : u < 0.88 ? 1 : u < 0.95 ? 2 : 3;
        int levels = use == 1 ? 2 + rng_below(&r, 20) : use == 3 ? 1 + rng_below(&r, 2)
                                                                 : 1 + rng_below(&r, 8);
        double area = w * h + 0.5 * w * g;
        double pop = use == 0 ? round_to(area * levels / 35.0, 0.1) : 0.0;
        district_add(D, cx, cy, pop);
        synth_pop_add(&sp, x0 + cx, y0 + cy, pop);
        OGR_F_SetFieldInteger(f, fb, (int)(k + 1));
        OGR_F_SetFieldInteger(f, fl, levels);
        OGR_F_SetFieldString(f, fu, USES[use]);
        OGR_F_SetFieldDouble(f, fpop, pop);
        if (OGR_F_SetGeometryDirectly(f, poly) != OGRERR_NONE)
            gdal_fail(path, "cannot set geometry");
        write_feature(l, f, path);
    }
    OGR_F_Destroy(f);
    close_dataset(ds, path);
    free(path);
    if (n_bad != m)
        die("synth", "broke %ld footprints, meant %ld", n_bad, m);
    free(bad);
    pts_free(&shell);
    pts_free(&hole);

    path = path_join(dir, "districts.fgb");
    remove_if_exists(path);
    ds = create_vector("FlatGeobuf", path, NULL);
    l = create_layer(ds, path, "districts", srs, wkbPolygon, lco);
    add_field(l, path, "dist_id", OFTInteger, 0, 0);
    add_field(l, path, "name", OFTString, 0, 0);
    add_field(l, path, "pop", OFTReal, 0, 0);
    int fd = field_index(l, path, "dist_id"), fn = field_index(l, path, "name");
    int fp2 = field_index(l, path, "pop");
    f = OGR_F_Create(OGR_L_GetLayerDefn(l));
    int id = 0;
    for (int j = 0; j < S_DROWS; j++)
        for (int i = 0; i < S_DCOLS; i++) {
            double xy[10];
            district_ring(D, i, j, xy);
            OGRGeometryH poly = OGR_G_CreateGeometry(wkbPolygon);
            OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
            if (!poly || !ring)
                gdal_fail(path, "cannot create polygon");
            for (int k = 0; k < 5; k++)
                OGR_G_AddPoint_2D(ring, x0 + xy[2 * k], y0 + xy[2 * k + 1]);
            add_geometry(poly, ring, path);
            char name[32];
            snprintf(name, sizeof name, "District %03d", ++id);
            OGR_F_SetFieldInteger(f, fd, id);
            OGR_F_SetFieldString(f, fn, name);
            OGR_F_SetFieldDouble(f, fp2, round_to(D->pop[i][j], 0.1));
            if (OGR_F_SetGeometryDirectly(f, poly) != OGRERR_NONE)
                gdal_fail(path, "cannot set geometry");
            write_feature(l, f, path);
        }
    OGR_F_Destroy(f);
    close_dataset(ds, path);
    free(path);

    static const char *kinds[] = {"cctv", "streetlight", "bus_stop", "sensor", "ev_charger"};
    path = path_join(dir, "points.fgb");
    remove_if_exists(path);
    ds = create_vector("FlatGeobuf", path, NULL);
    l = create_layer(ds, path, "points", srs, wkbPoint, lco);
    add_field(l, path, "pt_id", OFTInteger, 0, 0);
    add_field(l, path, "kind", OFTString, 0, 0);
    int fi = field_index(l, path, "pt_id"), fk = field_index(l, path, "kind");
    f = OGR_F_Create(OGR_L_GetLayerDefn(l));
    for (long k = 0; k < n / 10; k++) {
        OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
        if (!pt)
            gdal_fail(path, "cannot create point");
        OGR_G_SetPoint_2D(pt, 0, round_to(x0 + rng_range(&r, 0, width), 0.01),
                          round_to(y0 + rng_range(&r, 0, height), 0.01));
        OGR_F_SetFieldInteger(f, fi, (int)(k + 1));
        OGR_F_SetFieldString(f, fk, kinds[rng_below(&r, 5)]);
        if (OGR_F_SetGeometryDirectly(f, pt) != OGRERR_NONE)
            gdal_fail(path, "cannot set geometry");
        write_feature(l, f, path);
    }
    OGR_F_Destroy(f);
    close_dataset(ds, path);
    free(path);

    /* The layers added for kcn-coverage, each from streams of its own, so
     * the files above are the same bytes as before they existed. */
    synth_pop_write(&sp, dir, srs);
    free(sp.v);
    synth_roads(dir, srs, lco, x0, y0, width, height);
    synth_sites(n, dir, srs, lco, x0, y0, width, height);

    CSLDestroy(lco);
    OSRDestroySpatialReference(srs);
    free(D);
}

/* ------------------------------------------------------------------------ */
/* Main                                                                      */
/* ------------------------------------------------------------------------ */

static void sample(const char *dir)
{
    make_dir(dir);
    setup_proj();
    build_city();
    build_population();
    build_wards();
    build_roads();

    write_population(dir);
    write_wards(dir);
    write_roads(dir);
    write_buildings(dir);
    write_facilities(dir);
    write_cctv(dir);
    write_ev(dir);
    write_small_cells(dir);
    write_smart_poles(dir);
    write_zones(dir);
    write_readme(dir);
}

static void usage(FILE *fp)
{
    fputs("usage: kcn-gencity sample DIR\n"
          "       kcn-gencity synth [--invalid FRACTION] N DIR\n"
          "       kcn-gencity -h\n"
          "\n"
          "  sample DIR   write the sample partner city (Da Nang) into DIR\n"
          "  synth N DIR  write a synthetic city of N buildings (1000 to 1000000)\n"
          "               into DIR, for benchmarks: buildings, districts, points,\n"
          "               roads and sites (FlatGeobuf) and pop.tif (GeoTIFF)\n"
          "  --invalid FRACTION\n"
          "               make round(N * FRACTION) footprints (FRACTION from 0 to 1,\n"
          "               such as 0.01), picked at random, invalid for GEOS: bowties,\n"
          "               spikes, holes outside the shell, doubled outlines and\n"
          "               rings that touch themselves, in turn\n"
          "\n"
          "Output is deterministic: the same command writes the same bytes.\n",
          fp);
}

int main(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        return 0;
    }
    int is_sample = argc == 3 && !strcmp(argv[1], "sample");
    int with_invalid = argc == 6 && !strcmp(argv[1], "synth") && !strcmp(argv[2], "--invalid");
    int is_synth = (argc == 4 && !strcmp(argv[1], "synth")) || with_invalid;
    if (!is_sample && !is_synth) {
        fprintf(stderr, PROG ": usage: kcn-gencity sample DIR | synth [--invalid FRACTION] N DIR"
                             " | -h\n");
        return 2;
    }
    long n = 0;
    double invalid = 0;
    if (is_synth) {
        char *end;
        const char *ns = argv[with_invalid ? 4 : 2];
        errno = 0;
        n = strtol(ns, &end, 10);
        if (errno || end == ns || *end || n < 1000 || n > 1000000)
            die("synth", "N must be an integer from 1000 to 1000000, got \"%s\"", ns);
        if (with_invalid) {
            errno = 0;
            invalid = strtod(argv[3], &end);
            if (errno || end == argv[3] || *end || !(invalid >= 0 && invalid <= 1))
                die("synth", "--invalid takes a fraction from 0 to 1, such as 0.01, got \"%s\"",
                    argv[3]);
        }
    }

    /* Pin everything that would otherwise vary from run to run. */
    CPLSetConfigOption("OGR_CURRENT_DATE", "2026-01-01T00:00:00.000Z");
    CPLSetConfigOption("GDAL_PAM_ENABLED", "NO");
    CPLSetConfigOption("CPL_DEBUG", "OFF");
    CPLSetErrorHandler(gdal_handler);
    GDALAllRegister();

    G = GEOS_init_r();
    if (!G)
        die("geos", "cannot initialise");
    GEOSContext_setErrorMessageHandler_r(G, geos_handler, NULL);
    GEOSContext_setNoticeMessageHandler_r(G, NULL, NULL);

    if (is_sample)
        sample(argv[2]);
    else
        synth(n, invalid, argv[argc - 1]);

    GEOS_finish_r(G);
    if (g_pc)
        proj_context_destroy(g_pc);
    return 0;
}
