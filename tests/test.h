/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test.h - a minimal test harness: named asserts, one summary line.
 *
 *   SL_TEST(name) { ... SL_ASSERT(cond, "what"); SL_ASSERT_EQ(a, b, "what"); }
 *   int main(void) { SL_RUN(name); ...; return sl_test_summary("suite"); }
 *
 * Every failed assert prints the test, the assert's name, file:line and the
 * values. A test counts as failed when any of its asserts failed. The summary
 * line "suite: N passed, N failed" is what tests/run.sh adds up.
 */
#ifndef SL_TEST_H
#define SL_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int sl_t_passed, sl_t_failed, sl_t_cur_failed;
static const char *sl_t_cur;

#define SL_TEST(name) static void test_##name(void)

#define SL_RUN(name)                                                                               \
	do {                                                                                       \
		sl_t_cur = #name;                                                                  \
		sl_t_cur_failed = 0;                                                               \
		test_##name();                                                                     \
		if (sl_t_cur_failed)                                                               \
			sl_t_failed++;                                                             \
		else                                                                               \
			sl_t_passed++;                                                             \
		printf("%s %s\n", sl_t_cur_failed ? "FAIL" : "ok  ", #name);                       \
	} while (0)

#define SL_ASSERT(cond, what)                                                                      \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("  %s: assert '%s' failed (%s) at %s:%d\n", sl_t_cur, what, #cond,  \
			       __FILE__, __LINE__);                                                \
			sl_t_cur_failed = 1;                                                       \
		}                                                                                  \
	} while (0)

#define SL_ASSERT_EQ(a, b, what)                                                                   \
	do {                                                                                       \
		long long sl_a_ = (long long)(a), sl_b_ = (long long)(b);                          \
		if (sl_a_ != sl_b_) {                                                              \
			printf("  %s: assert '%s' failed: %s == %lld, expected %s == %lld at "     \
			       "%s:%d\n",                                                          \
			       sl_t_cur, what, #a, sl_a_, #b, sl_b_, __FILE__, __LINE__);          \
			sl_t_cur_failed = 1;                                                       \
		}                                                                                  \
	} while (0)

#define SL_ASSERT_STR(a, b, what)                                                                  \
	do {                                                                                       \
		const char *sl_a_ = (a), *sl_b_ = (b);                                             \
		if (!sl_a_ || !sl_b_ || strcmp(sl_a_, sl_b_) != 0) {                               \
			printf("  %s: assert '%s' failed: \"%s\", expected \"%s\" at %s:%d\n",     \
			       sl_t_cur, what, sl_a_ ? sl_a_ : "(null)", sl_b_ ? sl_b_ : "(null)", \
			       __FILE__, __LINE__);                                                \
			sl_t_cur_failed = 1;                                                       \
		}                                                                                  \
	} while (0)

static inline int sl_test_summary(const char *suite)
{
	printf("%s: %d passed, %d failed\n", suite, sl_t_passed, sl_t_failed);
	return sl_t_failed ? 1 : 0;
}

#endif /* SL_TEST_H */
