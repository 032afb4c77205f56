/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * A minimal test harness: named cases, assertions that print what differed,
 * a summary line and an exit code (77 when every case skipped).
 */

#ifndef MANA_MTEST_H
#define MANA_MTEST_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MTEST_SUCCESS	0
#define MTEST_FAILED	-1
#define MTEST_SKIPPED	77

struct mtest_case {
	const char *name;
	int (*fn)(void);
};

/*
 * The case names of a program whose first @p eal_used arguments EAL took:
 * argv[0] then the names, EAL's closing "--" skipped. Count in @p nargs.
 */
static inline char **
mtest_case_args(int argc, char **argv, int eal_used, int *nargs)
{
	char **args = argv + eal_used;

	*nargs = argc - eal_used;
	if (*nargs > 1 && strcmp(args[1], "--") == 0) {
		args[1] = args[0];
		args++;
		(*nargs)--;
	}
	return args;
}

#define MTEST_FAIL(fmt, ...) do { \
	fprintf(stderr, "  %s:%d: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__); \
	return MTEST_FAILED; \
} while (0)

#define MTEST_ASSERT(cond, fmt, ...) do { \
	if (!(cond)) \
		MTEST_FAIL("assertion '%s' failed: " fmt, #cond, ##__VA_ARGS__); \
} while (0)

#define MTEST_ASSERT_EQ(a, b) do { \
	uint64_t a__ = (uint64_t)(a), b__ = (uint64_t)(b); \
	if (a__ != b__) \
		MTEST_FAIL("%s == %s: got %#" PRIx64 ", expected %#" PRIx64, \
			   #a, #b, a__, b__); \
} while (0)

static inline void
mtest_hexdump(const char *what, const uint8_t *p, size_t n)
{
	size_t i;

	fprintf(stderr, "  %s:", what);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s%02x", (i % 16) ? " " : "\n    ", p[i]);
	fprintf(stderr, "\n");
}

#define MTEST_ASSERT_MEM_EQ(got, want, n) do { \
	if (memcmp((got), (want), (n)) != 0) { \
		mtest_hexdump("got", (const uint8_t *)(got), (n)); \
		mtest_hexdump("expected", (const uint8_t *)(want), (n)); \
		MTEST_FAIL("%s differs from %s", #got, #want); \
	} \
} while (0)

/** Run every case (or those named in argv), print a summary, return exit code. */
static inline int
mtest_run(const char *suite, const struct mtest_case *cases, size_t n,
	  int argc, char **argv)
{
	unsigned int passed = 0, failed = 0, skipped = 0;
	size_t i;
	int j;

	for (i = 0; i < n; i++) {
		int selected = argc <= 1;
		int rc;

		for (j = 1; j < argc; j++)
			if (strcmp(argv[j], cases[i].name) == 0)
				selected = 1;
		if (!selected)
			continue;
		rc = cases[i].fn();
		if (rc == MTEST_SUCCESS)
			passed++;
		else if (rc == MTEST_SKIPPED)
			skipped++;
		else
			failed++;
		printf("%s %s/%s\n", rc == MTEST_SUCCESS ? "PASS" :
		       rc == MTEST_SKIPPED ? "SKIP" : "FAIL", suite, cases[i].name);
		fflush(stdout);
	}
	printf("%s: %u passed, %u failed, %u skipped\n", suite, passed, failed, skipped);
	if (failed)
		return 1;
	if (passed == 0 && skipped > 0)
		return MTEST_SKIPPED;
	return 0;
}

#define MTEST_N(a) (sizeof(a) / sizeof((a)[0]))

#endif /* MANA_MTEST_H */
