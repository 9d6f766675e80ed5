// SPDX-License-Identifier: GPL-2.0-only
/*
 * sl_uplink.bpf.c - tc ingress on every uplink: packets for a published
 * host port are DNATed to their container and delivered straight into its
 * namespace; everything else continues to the host stack untouched.
 */
#include "common.h"
#include "lib/nat_tc.h"
#include "lib/nat_fwd_tc.h"

SEC("tc")
int sl_up_ingress(struct __sk_buff *skb)
{
	struct sl_nat_target t;
	enum sl_ctr verdict;
	struct sl_flow f;
	struct sl_pkt pkt;

	sl_pkt_from_skb(&pkt, skb);
	if (sl_parse_flow(&pkt, &f) != SL_PARSE_OK)
		verdict = SL_CTR_UPLINK_PASS;
	else
		verdict = sl_dnat_decide(&pkt, &f, NULL, &t);
	sl_count(verdict, &pkt);

	switch (verdict) {
	case SL_CTR_NAT_NEW:
	case SL_CTR_NAT_FWD:
		return sl_tc_nat_forward(skb, &f, &t, false);
	case SL_CTR_UPLINK_PASS:
	case SL_CTR_PASS_NO_FLOW:
		return TC_ACT_OK;
	default:
		return TC_ACT_SHOT;
	}
}

char LICENSE[] SEC("license") = "GPL";
