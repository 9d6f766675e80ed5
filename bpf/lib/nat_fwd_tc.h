/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nat_fwd_tc.h - perform a NAT decision of publish.h in a tc program:
 * rewrite, decrement the TTL as the router the host is, set the MACs and
 * redirect. On a helper failure the packet is dropped: a half-rewritten
 * packet must never travel on.
 */
#ifndef SL_BPF_NAT_FWD_TC_H
#define SL_BPF_NAT_FWD_TC_H

/* DNAT (src = false) into a container, or reverse NAT (src = true) out of the uplink. */
static __always_inline int sl_tc_nat_forward(struct __sk_buff *skb, const struct sl_flow *f,
					     const struct sl_nat_target *t, bool src)
{
	if (sl_tc_nat(skb, f, src, t->addr, t->port) || sl_tc_dec_ttl(skb, f) ||
	    sl_tc_set_macs(skb, t->dst_mac, t->src_mac))
		return TC_ACT_SHOT;
	return src ? sl_redirect_egress(t->ifindex) : sl_redirect_peer(t->ifindex);
}

#endif /* SL_BPF_NAT_FWD_TC_H */
