/* check_progress.c: the progress bar text. */
#include <string.h>

#include "check_kcn.h"

START_TEST(known_total)
{
	char buf[128];

	kcn_progress_format(buf, sizeof(buf), 60, "roads", 50, 200, 2.0);
	ck_assert_ptr_nonnull(strstr(buf, " 25%"));
	ck_assert_ptr_nonnull(strstr(buf, "50/200"));
	ck_assert_ptr_nonnull(strstr(buf, "25/s"));
	ck_assert_ptr_nonnull(strstr(buf, "[#"));
	ck_assert_int_le(strlen(buf), 60);
	ck_assert(strncmp(buf, "roads ", 6) == 0);
}
END_TEST

START_TEST(unknown_total)
{
	char buf[128];

	kcn_progress_format(buf, sizeof(buf), 60, "-", 1500000, 0, 3.0);
	ck_assert_ptr_nonnull(strstr(buf, "1.5M"));
	ck_assert_ptr_null(strchr(buf, '['));
	ck_assert_ptr_null(strchr(buf, '%'));
}
END_TEST

START_TEST(small_buffer)
{
	char buf[8];

	kcn_progress_format(buf, sizeof(buf), 80, "a long label", 1, 2, 1);
	ck_assert_int_lt(strlen(buf), sizeof(buf));
	/* Past the total (a header that lied) is shown as done. */
	{
		char b2[128];

		kcn_progress_format(b2, sizeof(b2), 60, "x", 300, 200, 1);
		ck_assert_ptr_nonnull(strstr(b2, "100%"));
	}
}
END_TEST

Suite *
progress_suite(void)
{
	Suite *s = suite_create("progress");
	TCase *tc = tcase_create("progress");

	tcase_add_test(tc, known_total);
	tcase_add_test(tc, unknown_total);
	tcase_add_test(tc, small_buffer);
	suite_add_tcase(s, tc);
	return s;
}
