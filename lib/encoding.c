/*
 * encoding.c: finding the code page of text that is not UTF-8, by
 * decoding it with each likely candidate and judging the letters that
 * come out.  Single-byte code pages decode any bytes, so the judgement is
 * what matters: letters of the code page's own script count for it;
 * symbols, control characters, and capitals inside lower-case words (how
 * Vietnamese tone marks look when read as CP1252) count against it.
 */
#include <iconv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcn_internal.h"

enum script { S_OTHER, S_LATIN, S_VIET, S_HANGUL, S_CJK, S_KANA, S_THAI,
    S_CYRILLIC };

static const struct {
	const char *name;
	enum script want, also;
} enc_candidates[] = {
	/* On a tie the earlier one wins. */
	{ "CP1252", S_LATIN, S_LATIN },
	{ "CP1258", S_VIET, S_LATIN },
	{ "CP949", S_HANGUL, S_CJK },
	{ "SHIFT_JIS", S_KANA, S_CJK },
	{ "GB18030", S_CJK, S_CJK },
	{ "BIG5", S_CJK, S_CJK },
	{ "CP874", S_THAI, S_THAI },
	{ "CP1251", S_CYRILLIC, S_CYRILLIC },
};

#define NCAND (sizeof(enc_candidates) / sizeof(enc_candidates[0]))

static enum script
enc_script(unsigned cp)
{
	if (cp >= 0xAC00 && cp <= 0xD7A3)
		return S_HANGUL;
	if ((cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0x3130 && cp <= 0x318F))
		return S_HANGUL;
	if (cp >= 0x4E00 && cp <= 0x9FFF)
		return S_CJK;
	if (cp >= 0x3040 && cp <= 0x30FF)
		return S_KANA;
	if (cp >= 0x0E01 && cp <= 0x0E5B)
		return S_THAI;
	if (cp >= 0x0400 && cp <= 0x04FF)
		return S_CYRILLIC;
	/* Letters only Vietnamese writes: ơ ư đ and the stacked tones. */
	if ((cp >= 0x1EA0 && cp <= 0x1EF9) || cp == 0x01A0 || cp == 0x01A1 ||
	    cp == 0x01AF || cp == 0x01B0 || cp == 0x0110 || cp == 0x0111)
		return S_VIET;
	if ((cp >= 0x00C0 && cp <= 0x00FF && cp != 0xD7 && cp != 0xF7) ||
	    (cp >= 0x0100 && cp <= 0x024F) || (cp >= 0x0300 && cp <= 0x036F))
		return S_LATIN;
	return S_OTHER;
}

/* The next code point of UTF-8 text S (valid, as iconv made it). */
static unsigned
enc_next(const unsigned char **s)
{
	const unsigned char *p = *s;
	unsigned cp;
	int n;

	if (p[0] < 0x80) {
		*s = p + 1;
		return p[0];
	}
	n = p[0] >= 0xF0 ? 3 : p[0] >= 0xE0 ? 2 : 1;
	cp = p[0] & (0x3F >> n);
	for (int i = 1; i <= n && p[i]; i++)
		cp = cp << 6 | (p[i] & 0x3F);
	*s = p + n + 1;
	return cp;
}

static int
enc_lower(unsigned cp)
{
	return (cp >= 'a' && cp <= 'z') || (cp >= 0xDF && cp <= 0xFF &&
	    cp != 0xF7);
}

static int
enc_upper(unsigned cp)
{
	return (cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE &&
	    cp != 0xD7);
}

/*
 * The score of decoded text for candidate C: good minus bad letters, per
 * non-ASCII letter; -1e9 when nothing non-ASCII was seen.
 */
static int
enc_ascii_letter(unsigned cp)
{
	return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
}

static double
enc_score(const char *utf8, int c, long *good, long *bad, long *chars)
{
	const unsigned char *p = (const unsigned char *)utf8;
	unsigned prev = 0, cp;
	int latin = enc_candidates[c].want == S_LATIN ||
	    enc_candidates[c].want == S_VIET;
	long word_ascii = 0, word_other = 0;

	for (;;) {
		enum script s;

		cp = *p ? enc_next(&p) : 0;
		/*
		 * Latin-script words are mostly plain letters with a few
		 * accented ones; a word of three or more letters that is
		 * mostly accented is another script read as Latin.
		 */
		if (cp < 0x80 && !enc_ascii_letter(cp)) {
			if (latin && word_ascii + word_other >= 3 &&
			    word_other * 3 > (word_ascii + word_other) * 2)
				(*bad) += word_other;
			word_ascii = word_other = 0;
		}
		if (cp == 0)
			break;
		if (cp < 0x80) {
			/* Control characters do not belong in names. */
			if (cp < 0x20 && cp != '\t')
				(*bad) += 2;
			word_ascii += enc_ascii_letter(cp);
			prev = cp;
			continue;
		}
		word_other++;
		(*chars)++;
		s = enc_script(cp);
		if (s == enc_candidates[c].want ||
		    s == enc_candidates[c].also ||
		    (s == S_LATIN && enc_candidates[c].want == S_VIET))
			(*good)++;
		else
			(*bad)++;
		/* "HaÒi": a capital inside a lower-case word. */
		if (enc_upper(cp) && enc_lower(prev))
			(*bad) += 2;
		/* Thai: digits are rare in names, and a vowel or tone mark
		   sits on a consonant or on another mark. */
		if (s == S_THAI && ((cp >= 0x0E50 && cp <= 0x0E59) ||
		    ((cp == 0x0E31 || (cp >= 0x0E34 && cp <= 0x0E3A) ||
		    (cp >= 0x0E47 && cp <= 0x0E4E)) && !(prev >= 0x0E01 &&
		    prev <= 0x0E4E))))
			(*bad) += 2;
		/* A tone mark with no letter to sit on. */
		if (cp >= 0x0300 && cp <= 0x036F && !enc_lower(prev) &&
		    !enc_upper(prev))
			(*bad) += 2;
		/* Letters only one language writes are strong evidence. */
		if ((s == S_VIET || s == S_KANA) && s == enc_candidates[c].want)
			(*good)++;
		prev = cp;
	}
	return 0;
}

/* Other names of the candidates, as .cpg files and iconv spell them. */
static const struct {
	const char *alias;
	int c;
} enc_aliases[] = {
	{ "WINDOWS1252", 0 }, { "ISO88591", 0 }, { "LATIN1", 0 },
	{ "ISO885915", 0 }, { "CP1250", 0 }, { "WINDOWS1250", 0 },
	{ "ISO88592", 0 }, { "CP437", 0 }, { "CP850", 0 },
	{ "WINDOWS1258", 1 }, { "UHC", 2 }, { "EUCKR", 2 }, { "KSC5601", 2 },
	{ "SJIS", 3 }, { "CP932", 3 }, { "GBK", 4 }, { "GB2312", 4 },
	{ "CP936", 4 }, { "CP950", 5 }, { "BIG5HKSCS", 5 }, { "TIS620", 6 },
	{ "ISO885911", 6 }, { "WINDOWS874", 6 }, { "WINDOWS1251", 7 },
	{ "KOI8R", 7 }, { "ISO88595", 7 },
};

int
kcni_text_candidate(const char *encoding)
{
	char norm[32];
	size_t k = 0;

	for (const char *p = encoding; *p && k + 1 < sizeof(norm); p++)
		if (*p != '-' && *p != '_' && *p != ' ')
			norm[k++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 :
			    *p);
	norm[k] = '\0';
	for (size_t c = 0; c < NCAND; c++) {
		char cn[32];
		size_t m = 0;

		for (const char *p = enc_candidates[c].name; *p; p++)
			if (*p != '_')
				cn[m++] = *p;
		cn[m] = '\0';
		if (strcmp(norm, cn) == 0)
			return (int)c;
	}
	for (size_t i = 0; i < sizeof(enc_aliases) / sizeof(enc_aliases[0]);
	    i++)
		if (strcmp(norm, enc_aliases[i].alias) == 0)
			return enc_aliases[i].c;
	return -1;
}

static double
enc_share(long good, long bad)
{
	return (double)(good - 3 * bad) / (double)(good + bad);
}

double
kcni_text_fit_utf8(int c, const char *utf8)
{
	long good = 0, bad = 0, chars = 0;

	if (c < 0 || c >= (int)NCAND)
		return NAN;
	enc_score(utf8, c, &good, &bad, &chars);
	return good + bad ? enc_share(good, bad) : NAN;
}

/*
 * Decodes the N SAMPLES as candidate C and judges the letters.  Returns 0
 * and the counts, or -1 when some sample does not decode.
 */
static int
enc_judge(struct kcn_ctx *ctx, const char *encoding, int c,
    char *const *samples, size_t n, long *good, long *bad, long *chars)
{
	struct kcni_text *t = kcni_text_new(ctx, encoding);
	size_t i;

	*good = *bad = *chars = 0;
	if (t == NULL) {
		kcn_ctx_clear(ctx);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *u = kcni_text_decode(t, samples[i]);

		if (u == NULL)
			break;
		if (c >= 0)
			enc_score(u, c, good, bad, chars);
	}
	kcni_text_free(t);
	return i < n ? -1 : 0;
}

double
kcni_text_fit(struct kcn_ctx *ctx, const char *encoding,
    char *const *samples, size_t n, char *evidence, size_t size)
{
	int c = kcni_text_candidate(encoding);
	long good, bad, chars;

	if (enc_judge(ctx, encoding, c, samples, n, &good, &bad, &chars) != 0) {
		snprintf(evidence, size, "some of the %zu values are not valid "
		    "%s", n, encoding);
		return -INFINITY;
	}
	if (c < 0 || good + bad == 0) {
		snprintf(evidence, size, "%s decodes all %zu values", encoding,
		    n);
		return NAN;
	}
	snprintf(evidence, size, "%s decodes all %zu values; %ld of %ld "
	    "letters fit its script", encoding, n, good, good + bad);
	return enc_share(good, bad);
}

const char *
kcni_text_detect(struct kcn_ctx *ctx, char *const *samples, size_t n,
    char *evidence, size_t size)
{
	double best = -1e18;
	int bestc = -1;
	long bestgood = 0, bestbad = 0, bestchars = 0;

	for (size_t c = 0; c < NCAND; c++) {
		long good, bad, chars;
		double score;

		if (enc_judge(ctx, enc_candidates[c].name, (int)c, samples, n,
		    &good, &bad, &chars) != 0 || good + bad == 0)
			continue;	/* undecodable: not this one */
		score = enc_share(good, bad);
		/*
		 * Equal shares: the denser decoding wins (a two-byte code
		 * page read as a one-byte one makes twice the letters), then
		 * the one with more letters only its language writes.
		 */
		if (score > best + 1e-9 || (score > best - 1e-9 &&
		    (chars < bestchars || (chars == bestchars &&
		    good > bestgood)))) {
			best = score;
			bestc = (int)c;
			bestgood = good;
			bestbad = bad;
			bestchars = chars;
		}
	}
	if (bestc < 0 || best < 0.5) {
		snprintf(evidence, size, "no likely code page decodes the text "
		    "into letters of one script");
		return NULL;
	}
	snprintf(evidence, size, "%s decodes all %zu non-UTF-8 values; %ld "
	    "of %ld letters fit its script", enc_candidates[bestc].name, n,
	    bestgood, bestgood + bestbad);
	return enc_candidates[bestc].name;
}
