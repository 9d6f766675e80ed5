// SPDX-License-Identifier: BSD-2-Clause
/* ports.c - published ports between the state file and the datapath maps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "log.h"
#include "ports.h"

int port_apply(const struct sl_dp *dp, const struct sl_state *st, const struct sl_port *p)
{
	struct sl_svc svc = {.id = p->id};
	const struct sl_ep *ep = NULL;
	int err;

	for (unsigned int i = 0; i < st->n_endpoints && !ep; i++)
		if (!strcmp(st->endpoints[i].network, p->network) &&
		    !strcmp(st->endpoints[i].container, p->container))
			ep = &st->endpoints[i];
	if (!ep)
		return sl_errf(-ENOENT, "mapping %u: container '%s' is not on network '%s'", p->id,
			       p->container, p->network);
	svc.backend_addr = ep->addr;
	svc.backend_port = htons(p->container_port);
	svc.flags = p->n_allow ? SL_SVC_F_ALLOWLIST : 0;
	/* Counters of a reused id start from zero; the allow list goes in before the mapping. */
	if ((err = sl_dp_svc_stats_reset(dp, p->id)))
		return err;
	for (unsigned int i = 0; i < p->n_allow; i++)
		if ((err = sl_dp_allow_put(dp, p->id, p->allow[i].addr, p->allow[i].prefixlen)))
			goto undo;
	if ((err = sl_dp_svc_put(dp, p->host_addr, p->host_port, p->proto, &svc)))
		goto undo;
	return 0;
undo:
	port_unapply(dp, p);
	return err;
}

void port_unapply(const struct sl_dp *dp, const struct sl_port *p)
{
	sl_dp_svc_del(dp, p->host_addr, p->host_port, p->proto);
	for (unsigned int i = 0; i < p->n_allow; i++)
		sl_dp_allow_del(dp, p->id, p->allow[i].addr, p->allow[i].prefixlen);
	sl_err_clear();
}

static bool ct_of_ids(const void *key, const void *value, void *arg)
{
	const struct sl_ct *ct = value;
	const __u8 *ids = arg;

	(void)key;
	return ct->svc_id < 65536 && (ids[ct->svc_id / 8] & (1U << (ct->svc_id % 8)));
}

int ports_flush_flows(const struct sl_dp *dp, const __u8 *ids)
{
	int n = sl_dp_map_delete_if(dp->map_ct, sizeof(struct sl_ct_key), sizeof(struct sl_ct),
				    ct_of_ids, (void *)ids);

	if (n > 0)
		sl_dp_stats_add(dp, SL_CTR_CT_FLUSHED, n);
	return n;
}

int ports_take_endpoint(struct sl_state *st, const char *network, const char *container,
			struct sl_port **out)
{
	unsigned int n = 0;

	*out = calloc(st->n_ports + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (unsigned int i = 0; i < st->n_ports;) {
		struct sl_port *p = &st->ports[i];

		if (strcmp(p->network, network) || strcmp(p->container, container)) {
			i++;
			continue;
		}
		(*out)[n++] = *p;
		sl_state_del_port(st, i);
	}
	return n;
}

void ports_unapply_all(const struct sl_dp *dp, const struct sl_port *ports, unsigned int n)
{
	__u8 *ids;

	if (!n)
		return;
	ids = calloc(1, SL_PORT_ID_BITMAP_BYTES);
	for (unsigned int i = 0; i < n; i++) {
		port_unapply(dp, &ports[i]);
		if (ids)
			ids[ports[i].id / 8] |= 1U << (ports[i].id % 8);
	}
	if (ids)
		ports_flush_flows(dp, ids);
	free(ids);
}
