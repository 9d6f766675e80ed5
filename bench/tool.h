/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tool.h - what the bench's small C tools (connrate, udpflood, udpsink)
 * share: a monotonic clock in seconds and strict numeric arguments.
 */
#ifndef SL_BENCH_TOOL_H
#define SL_BENCH_TOOL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Set by each tool's main() before parsing: the name its errors carry. */
static const char *tool_name = "bench";

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A number in [lo, hi] and nothing else, or exit 2 naming what was wrong. */
static inline double num_arg(const char *s, double lo, double hi, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "%s: bad %s '%s' (want %g..%g)\n", tool_name, what, s, lo, hi);
		exit(2);
	}
	return v;
}

#endif /* SL_BENCH_TOOL_H */
