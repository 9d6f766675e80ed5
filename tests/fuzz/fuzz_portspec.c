// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_portspec.c - libFuzzer target for loader/portspec.c.
 *
 * Any bytes go in as a NUL-terminated string. Checks, each an abort():
 *   parse succeeds -> count is 1..65535, fmt fits SL_PORTSPEC_STRLEN and is
 *                     not cut short, and parse(fmt(x)) == x (canonical form
 *                     round-trips, and formatting it again is a fixed point)
 *   parse fails    -> -EINVAL, a one-line message that fits SL_PORTSPEC_ERRLEN
 *                     and starts by quoting the spec
 * The range file parser and `docker port` formatter are driven from the same
 * input, since every parser gets a fuzz target.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iloader -Ibpf \
 *         tests/fuzz/fuzz_portspec.c loader/portspec.c loader/addr.c -o build/fuzz_portspec
 *   build/fuzz_portspec -max_total_time=60 tests/fuzz/corpus/portspec
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "portspec.h"

static void check_parsed(const struct sl_portspec *ps)
{
	char buf[SL_PORTSPEC_STRLEN], buf2[SL_PORTSPEC_STRLEN], err[SL_PORTSPEC_ERRLEN];
	char line[SL_PORT_DOCKER_STRLEN];
	struct sl_portspec back;
	unsigned int n = sl_portspec_count(ps);
	size_t len;

	if (n < 1 || n > 65535)
		abort();
	if (sl_portspec_fmt(ps, buf, sizeof(buf)))
		abort();
	len = strlen(buf);
	/* -ENOSPC exactly when the text and its NUL do not fit. */
	if (sl_portspec_fmt(ps, buf2, len) != -ENOSPC || sl_portspec_fmt(ps, buf2, len + 1))
		abort();
	if (sl_portspec_parse(buf, &back, err, sizeof(err)))
		abort();
	if (!sl_portspec_equal(ps, &back))
		abort();
	if (sl_portspec_fmt(&back, buf2, sizeof(buf2)) || strcmp(buf, buf2))
		abort();
	if (sl_port_fmt_docker(ps->container_port_last, ps->proto, ps->family,
			       ps->family == AF_INET ? (const void *)&ps->host_ip4
						     : (const void *)ps->host_ip6,
			       ps->host_port_last ? ps->host_port_last : 32768, line, sizeof(line)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[SL_PORTSPEC_ERRLEN];
	struct sl_portspec ps;
	__u16 lo = 0, hi = 0;
	char *s;
	int ret;

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	memset(err, 'X', sizeof(err));
	ret = sl_portspec_parse(s, &ps, err, sizeof(err));
	if (ret == 0) {
		if (err[0] != '\0')
			abort();
		check_parsed(&ps);
	} else {
		if (ret != -EINVAL || strncmp(err, "port spec \"", 11))
			abort();
		/* Never truncated, never more than one line. */
		if (strlen(err) >= sizeof(err) - 1 || strchr(err, '\n'))
			abort();
	}

	if (sl_port_range_parse(s, &lo, &hi) == 0 && (lo < 1 || lo > hi))
		abort();

	free(s);
	return 0;
}
