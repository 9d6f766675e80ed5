/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ports.h - put published ports of the state into the datapath and take
 * them out again; shared by `port`, `network disconnect` and `up`.
 */
#ifndef SL_PORTS_H
#define SL_PORTS_H

#include "datapath.h"
#include "state.h"

/* Install one mapping (its backend is its endpoint's address). */
int port_apply(const struct sl_dp *dp, const struct sl_state *st, const struct sl_port *p);
/* Remove one mapping's map entries (not its flows: see ports_flush_flows). */
void port_unapply(const struct sl_dp *dp, const struct sl_port *p);
/* Delete the conntrack entries of the mappings whose id is set in ids (bit per id). */
int ports_flush_flows(const struct sl_dp *dp, const __u8 *ids);
/*
 * Take out of st every mapping served by the endpoint (network, container);
 * *out (malloc'ed, caller frees) receives copies. Returns how many, or -ENOMEM.
 */
int ports_take_endpoint(struct sl_state *st, const char *network, const char *container,
			struct sl_port **out);
/* Remove mappings from the datapath and flush their flows. */
void ports_unapply_all(const struct sl_dp *dp, const struct sl_port *ports, unsigned int n);

#define SL_PORT_ID_BITMAP_BYTES (65536 / 8)

#endif /* SL_PORTS_H */
