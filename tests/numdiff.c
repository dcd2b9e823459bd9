/*
 * numdiff: compare two text files, numbers within a tolerance.
 *
 *   numdiff [-a ABS] [-r REL] expected actual
 *
 * Text between numbers must match exactly; two numbers match when
 * |a - b| <= ABS or |a - b| <= REL * max(|a|, |b|).  Prints the first
 * difference with its line and exits 1; 0 when the files match; 2 on
 * usage or I/O errors.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
		perror(path);
		exit(2);
	}
	rewind(f);
	if ((buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(2);
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Whether a number may start at P (not inside a word such as "utm49"). */
static int
num_start(const char *base, const char *p)
{
	if (p > base && (isalnum((unsigned char)p[-1]) || p[-1] == '_' ||
	    p[-1] == '.'))
		return 0;
	if (isdigit((unsigned char)*p))
		return 1;
	return (*p == '-' || *p == '+' || *p == '.') &&
	    (isdigit((unsigned char)p[1]) ||
	    (p[1] == '.' && isdigit((unsigned char)p[2])));
}

static double
num_read(const char *p, char **end)
{
	double v = strtod(p, end);

	/* Do not swallow words like "inf" or hex that strtod accepts. */
	if (*end > p && isalpha((unsigned char)(*end)[-1]))
		*end = (char *)p;
	return v;
}

int
main(int argc, char **argv)
{
	double abs_tol = 1e-9, rel_tol = 1e-9;
	const char *a, *b, *pa, *pb;
	int ch, line = 1;

	while ((ch = getopt(argc, argv, "a:r:")) != -1) {
		switch (ch) {
		case 'a':
			abs_tol = atof(optarg);
			break;
		case 'r':
			rel_tol = atof(optarg);
			break;
		default:
			fprintf(stderr, "usage: numdiff [-a abs] [-r rel] "
			    "expected actual\n");
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: numdiff [-a abs] [-r rel] expected "
		    "actual\n");
		return 2;
	}
	pa = a = slurp(argv[optind]);
	pb = b = slurp(argv[optind + 1]);
	while (*pa || *pb) {
		if (num_start(a, pa) && num_start(b, pb)) {
			char *ea, *eb;
			double va = num_read(pa, &ea), vb = num_read(pb, &eb);

			if (ea > pa && eb > pb) {
				double d = fabs(va - vb);
				double m = fmax(fabs(va), fabs(vb));

				if (!(d <= abs_tol || d <= rel_tol * m)) {
					printf("line %d: %.*s != %.*s\n", line,
					    (int)(ea - pa), pa, (int)(eb - pb),
					    pb);
					goto differ;
				}
				pa = ea;
				pb = eb;
				continue;
			}
		}
		if (*pa != *pb) {
			const char *la = pa, *lb = pb;

			while (la > a && la[-1] != '\n')
				la--;
			while (lb > b && lb[-1] != '\n')
				lb--;
			printf("line %d:\n- %.*s\n+ %.*s\n", line,
			    (int)strcspn(la, "\n"), la, (int)strcspn(lb, "\n"),
			    lb);
			goto differ;
		}
		if (*pa == '\n')
			line++;
		pa++;
		pb++;
	}
	free((char *)a);
	free((char *)b);
	return 0;
differ:
	free((char *)a);
	free((char *)b);
	return 1;
}
