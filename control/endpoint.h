/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * endpoint.h - build and tear down one endpoint (a container's attachment to
 * a network): the veth pair, addresses, routes, neighbours, the tc program
 * and the map entries. Also finds what a killed run left behind.
 */
#ifndef SL_ENDPOINT_H
#define SL_ENDPOINT_H

#include "ctl.h"
#include "datapath.h"
#include "nl.h"

/* The host-side veth name and alias sluice gives this endpoint. */
void ep_host_ifname(const struct sl_instance *inst, const char *network, const char *container,
		    char out[SL_IFNAME_MAX]);
void ep_alias(const struct sl_instance *inst, const struct sl_ep *ep, char *out, size_t len);
/* Container-side MAC 02:42:a.b.c.d and host-side MAC 02:5c:a.b.c.d, as Docker derives them. */
void ep_macs(__be32 addr, __u8 container_mac[6], __u8 host_mac[6]);

/*
 * Create everything for ep in the container's netns (netns_fd) and the host
 * netns (host, where the CLI runs); xdp: the instance runs XDP on its uplinks. All or nothing: on failure what was made
 * is removed again and the error recorded.
 */
int ep_plumb(const struct sl_instance *inst, struct sl_nl *host, const struct sl_dp *dp,
	     const struct sl_network *net, const struct sl_ep *ep, int netns_fd, bool xdp);

/*
 * In XDP mode the container side of the veth carries sl_xdp_pass: a veth
 * receives XDP_REDIRECTed frames only when its peer runs NAPI, which an
 * attached XDP program turns on. cnl is a socket in the container's netns.
 */
int ep_set_xdp_pass(struct sl_nl *cnl, const struct sl_dp *dp, const struct sl_ep *ep, int netns_fd,
		    bool on);

/*
 * The container's DNS: sl_dns_lo on its lo maps 127.0.0.11:53 to
 * sluice-dnsd's inner port (sluice_abi.h), so that the container may run a
 * DNS server of its own on port 53. Attached at connect and `up`; released
 * when the last endpoint in that namespace goes (ep_dns_lo_release).
 */
int ep_dns_lo_attach(const struct sl_dp *dp, const struct sl_ep *ep, int netns_fd);
/*
 * Detach sl_dns_lo from gone's namespace unless another endpoint of st
 * (gone itself aside) lives there. A vanished namespace is fine.
 */
int ep_dns_lo_release(const struct sl_state *st, const struct sl_ep *gone);
/* gone's namespace, if it is still the one it was connected in; else < 0. */
int ep_netns_open(const struct sl_ep *ep);

/*
 * For an endpoint whose veth exists: attach the current program again and
 * rewrite its map entries (after a reload). -ENODEV when the veth is gone.
 */
int ep_refresh(struct sl_nl *host, const struct sl_dp *dp, const struct sl_network *net,
	       const struct sl_ep *ep);

/* Remove the veth (both ends) and the map entries; a vanished veth is fine. */
int ep_unplumb(struct sl_nl *host, const struct sl_dp *dp, const struct sl_ep *ep);

/*
 * Remove what a killed command left: host links with this instance's alias
 * that no endpoint of st owns, and (dp may be NULL when down) map entries no
 * endpoint or network of st owns. Returns the number of objects removed.
 */
int ep_reconcile(const struct sl_instance *inst, struct sl_nl *host, const struct sl_dp *dp,
		 const struct sl_state *st);

#endif /* SL_ENDPOINT_H */
