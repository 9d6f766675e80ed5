// SPDX-License-Identifier: GPL-2.0-only
/*
 * sl_uplink.bpf.c - tc ingress on every uplink: packets for a published
 * host port are DNATed to their container and delivered straight into its
 * namespace, and so are ICMP errors about the replies of their flows
 * (icmp.h); everything else continues to the host stack untouched.
 */
#include "common.h"
#include "lib/nat_tc.h"
#include "lib/nat_fwd_tc.h"

SEC("tc")
int sl_up_ingress(struct __sk_buff *skb)
{
	struct sl_nat_target t;
	struct sl_icmp_err e;
	enum sl_ctr verdict;
	struct sl_flow f;
	struct sl_pkt pkt;

	sl_pkt_from_skb(&pkt, skb);
	if (sl_parse_flow(&pkt, &f) != SL_PARSE_OK)
		verdict = SL_CTR_UPLINK_PASS;
	else if (sl_tc_icmp_err(skb, &pkt, &f, &e))
		verdict = sl_icmp_in_decide(&pkt, &f, &e, false, &t);
	else
		verdict = sl_dnat_decide(&pkt, &f, NULL, false, &t);
	sl_count(verdict, &pkt);

	switch (verdict) {
	case SL_CTR_ICMP_IN:
		return sl_tc_icmp_forward(&pkt, &f, &e, &t, false);
	case SL_CTR_NAT_NEW:
	case SL_CTR_NAT_FWD:
		/* External backends: rewritten here, routed by the host stack. */
		if (t.flags & SL_CT_F_EXTERNAL)
			return sl_tc_nat(skb, &f, false, t.addr, t.port) ? TC_ACT_SHOT : TC_ACT_OK;
		return sl_tc_nat_forward(skb, &f, &t, false);
	case SL_CTR_UPLINK_PASS:
	case SL_CTR_PASS_NO_FLOW:
		return TC_ACT_OK;
	default:
		return TC_ACT_SHOT;
	}
}

/*
 * tc ingress on a bridge whose containers sluice does not manage (Docker's
 * docker0, with sluice-proxy): what its containers send to the host.
 * Replies of published-port flows DNATed on the uplink to such containers
 * are reverse-NATed and sent out of the uplink before netfilter sees them,
 * and so are the containers' ICMP errors about those flows (icmp.h).
 * A container reaching a published port of the host (hairpin, as
 * docker-proxy serves it) is DNATed to the backend and source-NATed to the
 * host address it used, and both directions go back out of the bridge.
 * Everything else continues untouched, uncounted.
 */
SEC("tc")
int sl_br_ingress(struct __sk_buff *skb)
{
	struct sl_hairpin bridge = {.bridge = true};
	struct sl_nat_target t;
	struct sl_icmp_err e;
	enum sl_ctr verdict;
	struct sl_flow f;
	struct sl_pkt pkt;

	sl_pkt_from_skb(&pkt, skb);
	if (sl_parse_flow(&pkt, &f) != SL_PARSE_OK)
		return TC_ACT_OK;
	verdict = SL_CTR_MAX;
	if (sl_tc_icmp_err(skb, &pkt, &f, &e))
		verdict = sl_icmp_out_decide(&pkt, &f, &e, &t);
	if (verdict == SL_CTR_MAX)
		verdict = sl_reply_decide(&pkt, &f, &t);
	if (verdict == SL_CTR_MAX) {
		/*
		 * A hairpin goes to one of the host's own addresses: the
		 * containers' traffic to anywhere else (most of it) costs one
		 * lookup here, not the conntrack and mapping lookups.
		 */
		if (!sl_is_host_addr(f.daddr))
			return TC_ACT_OK;
		verdict = sl_dnat_decide(&pkt, &f, &bridge, false, &t);
	}
	if (verdict == SL_CTR_UPLINK_PASS || verdict == SL_CTR_PASS_NO_FLOW)
		return TC_ACT_OK;
	sl_count(verdict, &pkt);
	switch (verdict) {
	case SL_CTR_ICMP_OUT:
		return sl_tc_icmp_forward(&pkt, &f, &e, &t, true);
	case SL_CTR_NAT_REPLY:
		return sl_tc_nat_forward(skb, &f, &t, true);
	case SL_CTR_NAT_NEW:
	case SL_CTR_NAT_FWD:
		return sl_tc_nat_forward(skb, &f, &t, false);
	default:
		return TC_ACT_SHOT;
	}
}

char LICENSE[] SEC("license") = "GPL";
