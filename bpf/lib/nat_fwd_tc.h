/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nat_fwd_tc.h - perform a NAT decision of publish.h in a tc program:
 * rewrite, decrement the TTL as the router the host is, set the MACs and
 * redirect. On a helper failure the packet is dropped: a half-rewritten
 * packet must never travel on.
 */
#ifndef SL_BPF_NAT_FWD_TC_H
#define SL_BPF_NAT_FWD_TC_H

/*
 * Deliver a rewritten packet: into a sluice container by redirect_peer (DNAT,
 * and replies to a hairpin client), else out of t->ifindex (the uplink).
 */
static __always_inline int sl_tc_deliver(const struct sl_nat_target *t, bool reply)
{
	if (!reply || (t->flags & (SL_CT_F_PEER | SL_CT_F_EXTERNAL)) == SL_CT_F_PEER)
		return sl_redirect_peer(t->ifindex);
	return sl_redirect_egress(t->ifindex);
}

/*
 * DNAT (reply = false) into a container, or reverse NAT (reply = true) out
 * of the uplink or, for hairpin flows, back to the client container. A
 * source-NATed hairpin also rewrites the other address: the source to
 * snat_addr on the way in, the destination back to the client on the way
 * out (t->snat_addr of a reply is the client's address).
 *
 * Delivery: a sluice container by redirect_peer into its namespace; a
 * container on a Docker bridge (hairpin to an external backend) out of the
 * bridge: with the neighbour lookup on the way in, as the bridge knows the
 * backend's MAC and we do not; with the client's MAC on the way back.
 */
static __always_inline int sl_tc_nat_forward(struct __sk_buff *skb, const struct sl_flow *f,
					     const struct sl_nat_target *t, bool reply)
{
	if (sl_tc_nat(skb, f, reply, t->addr, t->port))
		return TC_ACT_SHOT;
	if (t->flags & SL_CT_F_SNAT) {
		if (reply ? sl_tc_nat(skb, f, false, t->snat_addr, f->dport)
			  : sl_tc_nat(skb, f, true, t->snat_addr, f->sport))
			return TC_ACT_SHOT;
	}
	if (sl_tc_dec_ttl(skb, f))
		return TC_ACT_SHOT;
	if (!reply && (t->flags & SL_CT_F_EXTERNAL))
		return sl_redirect_neigh(t->ifindex);
	if (sl_tc_set_macs(skb, t->dst_mac, t->src_mac))
		return TC_ACT_SHOT;
	return sl_tc_deliver(t, reply);
}

/*
 * tc: an ICMP protocol packet's headers made writable for direct access
 * (the first bytes pulled into the linear part, the skb uncloned), pkt
 * refreshed, and the ICMP error parsed (icmp.h). False when it is not one.
 */
static __always_inline bool sl_tc_icmp_err(struct __sk_buff *skb, struct sl_pkt *pkt,
					   const struct sl_flow *f, struct sl_icmp_err *e)
{
	__u32 len = skb->len < SL_ICMP_ERR_MAX_LEN ? skb->len : SL_ICMP_ERR_MAX_LEN;
	long err;

	if (f->proto != IPPROTO_ICMP)
		return false;
	err = bpf_skb_pull_data(skb, len);
	/* The pull invalidates every packet pointer, whether it worked or not. */
	sl_pkt_from_skb(pkt, skb);
	return !err && sl_parse_icmp_err(pkt, f, e);
}

/*
 * Translate a decided ICMP error (icmp.h) and deliver it as its flow's
 * packets go: redirected, or (t->ifindex 0, an external backend) on to the
 * host stack, which routes it.
 */
static __always_inline int sl_tc_icmp_forward(const struct sl_pkt *pkt, const struct sl_flow *f,
					      const struct sl_icmp_err *e,
					      const struct sl_nat_target *t, bool out)
{
	if (sl_icmp_nat(pkt, f, e, t, out))
		return TC_ACT_SHOT;
	return t->ifindex ? sl_tc_deliver(t, out) : TC_ACT_OK;
}

#endif /* SL_BPF_NAT_FWD_TC_H */
