/*
 * progress.c: the text of the progress bar.  The library only formats it;
 * the program decides where and whether to draw it.
 */
#include <stdio.h>
#include <string.h>

#include "kcn_internal.h"

/* 1234567 -> "1.2M": counts shown in at most five characters. */
static void
progress_count(char *buf, size_t size, double v)
{
	if (v >= 1e9)
		snprintf(buf, size, "%.1fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, size, "%.1fM", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, size, "%.0fk", v / 1e3);
	else
		snprintf(buf, size, "%.0f", v);
}

char *
kcn_progress_format(char *buf, size_t size, int width, const char *label,
    double done, double total, double elapsed)
{
	char tail[96], cnt[16], tot[16], rate[16];
	int barw, fill, len;

	if (size == 0)
		return buf;
	if (done < 0)
		done = 0;
	progress_count(cnt, sizeof(cnt), done);
	progress_count(rate, sizeof(rate), elapsed > 0 ? done / elapsed : 0);
	if (total > 0) {
		if (done > total)
			done = total;
		progress_count(tot, sizeof(tot), total);
		snprintf(tail, sizeof(tail), " %3.0f%% %s/%s %s/s %.0fs",
		    100.0 * done / total, cnt, tot, rate, elapsed);
	} else {
		snprintf(tail, sizeof(tail), " %s %s/s %.0fs", cnt, rate,
		    elapsed);
	}
	len = snprintf(buf, size, "%s ", label ? label : "");
	if (len < 0 || (size_t)len >= size)
		return buf;
	barw = width - len - (int)strlen(tail) - 2;
	if (total > 0 && barw >= 10) {
		fill = (int)(barw * done / total);
		buf[len++] = '[';
		for (int i = 0; i < barw && (size_t)len < size - 1; i++)
			buf[len++] = i < fill ? '#' : '.';
		if ((size_t)len < size - 1)
			buf[len++] = ']';
		buf[len] = '\0';
	}
	snprintf(buf + len, size - len, "%s", tail);
	return buf;
}
