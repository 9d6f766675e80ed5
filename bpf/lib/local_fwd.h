/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * local_fwd.h - container-to-container forwarding and network isolation.
 *
 * A packet leaving a container arrives on the host side of its veth. The
 * entry program has already checked the sender (sl_ifaces), parsed the
 * IPv4 header and the source address, and handled replies of published
 * ports; what is left depends only on the sender's network and the IPv4
 * destination:
 *
 *   destination is the network's gateway     -> SL_CTR_PASS_HOST (host stack)
 *   destination endpoint, same network       -> SL_CTR_FWD_LOCAL (redirect)
 *   destination endpoint, other network      -> SL_CTR_DROP_ISOLATED
 *   destination in a subnet, no endpoint:
 *       same network                         -> SL_CTR_DROP_NO_ENDPOINT
 *       other network                        -> SL_CTR_DROP_ISOLATED
 *   destination outside every subnet:
 *       sender on an --internal network      -> SL_CTR_DROP_INTERNAL
 *       otherwise                            -> SL_CTR_PASS_HOST (host stack)
 *
 * Containers route their whole subnet via the gateway (the host-side veth
 * MAC), so same-network traffic always reaches this hook; it stays an L2
 * hop for the containers: the TTL is not decremented.
 */
#ifndef SL_BPF_LOCAL_FWD_H
#define SL_BPF_LOCAL_FWD_H

static __always_inline enum sl_ctr
sl_local_decide(const struct sl_iface *src, const struct sl_flow *f, struct sl_endpoint **dst_ep)
{
	struct sl_endpoint_key ekey = {.addr = f->daddr};
	struct sl_subnet_key skey = {.prefixlen = 32, .addr = f->daddr};
	struct sl_endpoint *ep;
	struct sl_subnet *sn;

	/* The gateway lives inside the subnet but is the host itself. */
	if (f->daddr == src->gateway)
		return SL_CTR_PASS_HOST;

	ep = bpf_map_lookup_elem(&sl_endpoints, &ekey);
	if (ep) {
		if (ep->net_id != src->net_id)
			return SL_CTR_DROP_ISOLATED;
		*dst_ep = ep;
		return SL_CTR_FWD_LOCAL;
	}

	sn = bpf_map_lookup_elem(&sl_subnets, &skey);
	if (sn)
		return sn->net_id == src->net_id ? SL_CTR_DROP_NO_ENDPOINT : SL_CTR_DROP_ISOLATED;

	if (src->flags & SL_NET_F_INTERNAL)
		return SL_CTR_DROP_INTERNAL;
	return SL_CTR_PASS_HOST;
}

/* Rewrite the Ethernet addresses as if the gateway had switched the frame. */
static __always_inline void sl_local_rewrite(const struct sl_pkt *pkt, const struct sl_endpoint *ep)
{
	struct ethhdr *eth = pkt->data;

	if ((void *)(eth + 1) > pkt->data_end)
		return;
	__builtin_memcpy(eth->h_dest, ep->mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, ep->gw_mac, ETH_ALEN);
}

#endif /* SL_BPF_LOCAL_FWD_H */
