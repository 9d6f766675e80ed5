// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_state.c - libFuzzer target for the state file parser: any input either
 * fails cleanly or yields a state whose canonical text parses back to it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_state st, st2;
	char err[256], *out, *out2;
	size_t len, len2;

	/* libFuzzer's buffer is exactly size bytes: ASan catches any over-read. */
	if (sl_state_parse((const char *)data, size, &st, err, sizeof(err))) {
		/* A rejected input leaves the state empty and says which line. */
		if (st.n_networks || st.n_endpoints || st.n_uplinks || st.networks ||
		    st.endpoints || strncmp(err, "line ", 5))
			abort();
		return 0;
	}
	/* Whatever parse accepts, format must write. */
	if (sl_state_format(&st, &out, &len))
		abort();
	if (strlen(out) != len)
		abort();
	/* parse(format(st)) == st ... */
	if (sl_state_parse(out, len, &st2, err, sizeof(err)))
		abort();
	if (!sl_state_equal(&st, &st2))
		abort();
	/* ... and format(parse(x)) == x for the canonical text x. */
	if (sl_state_format(&st2, &out2, &len2))
		abort();
	if (len2 != len || memcmp(out, out2, len))
		abort();
	free(out2);
	free(out);
	sl_state_free(&st2);
	sl_state_free(&st);
	return 0;
}
