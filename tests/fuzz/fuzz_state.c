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

/* Every accepted port is on an endpoint, and no two share an id or a host port. */
static void check_ports(struct sl_state *st)
{
	const struct sl_port *a, *b;
	unsigned int i, j;

	for (i = 0; i < st->n_ports; i++) {
		a = &st->ports[i];
		if (!sl_state_endpoint(st, a->network, a->container) || !a->id || a->id > 65535 ||
		    !a->host_port || !a->container_port || a->n_allow > SL_MAX_PORT_ALLOW)
			abort();
		for (j = 0; j < i; j++) {
			b = &st->ports[j];
			if (a->id == b->id)
				abort();
			if (a->proto == b->proto && a->host_port == b->host_port &&
			    (a->host_addr == b->host_addr || !a->host_addr || !b->host_addr))
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_state st, st2;
	char err[256], *out, *out2;
	size_t len, len2;

	/* libFuzzer's buffer is exactly size bytes: ASan catches any over-read. */
	if (sl_state_parse((const char *)data, size, &st, err, sizeof(err))) {
		/* A rejected input leaves the state empty and says which line. */
		if (st.n_networks || st.n_endpoints || st.n_ports || st.n_uplinks || st.networks ||
		    st.endpoints || st.ports || strncmp(err, "line ", 5))
			abort();
		return 0;
	}
	check_ports(&st);
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
