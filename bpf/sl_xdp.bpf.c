// SPDX-License-Identifier: GPL-2.0-only
/*
 * sl_xdp.bpf.c - XDP on the uplinks: published-port packets, and ICMP errors
 * about their flows' replies, are DNATed and redirected into their container
 * before the kernel allocates an skb.
 * Drops (--allow refusals, fragments, TTL) happen here too, the cheapest
 * place. Everything else, and anything that cannot be redirected, passes to
 * the tc program and the host stack unchanged. The decision is the tc
 * program's (publish.h): a flow may start in one and continue in the other.
 *
 * sl_xdp_pass sits on the container side of each endpoint veth: a veth only
 * receives XDP_REDIRECTed frames when its peer runs NAPI, which an attached
 * XDP program turns on.
 */
#include "common.h"
#include "lib/nat_xdp.h"

static __always_inline void sl_pkt_from_xdp(struct sl_pkt *pkt, struct xdp_md *ctx)
{
	pkt->data = (void *)(long)ctx->data;
	pkt->data_end = (void *)(long)ctx->data_end;
	pkt->len = pkt->data_end - pkt->data;
	pkt->ifindex = ctx->ingress_ifindex;
}

SEC("xdp")
int sl_xdp_uplink(struct xdp_md *ctx)
{
	struct sl_nat_target t;
	struct sl_icmp_err e;
	enum sl_ctr verdict;
	struct sl_flow f;
	struct sl_pkt pkt;

	sl_pkt_from_xdp(&pkt, ctx);
	if (sl_parse_flow(&pkt, &f) != SL_PARSE_OK)
		verdict = SL_CTR_UPLINK_PASS;
	else if (sl_parse_icmp_err(&pkt, &f, &e))
		verdict = sl_icmp_in_decide(&pkt, &f, &e, true, &t);
	else
		verdict = sl_dnat_decide(&pkt, &f, NULL, true, &t);
	/* What XDP passes on, tc sees and counts: count it once. */
	if (verdict != SL_CTR_UPLINK_PASS && verdict != SL_CTR_PASS_NO_FLOW)
		sl_count(verdict, &pkt);

	switch (verdict) {
	case SL_CTR_ICMP_IN:
		if (sl_icmp_nat(&pkt, &f, &e, &t, false))
			return XDP_DROP;
		return sl_redirect_xdp(t.ifindex);
	case SL_CTR_NAT_NEW:
	case SL_CTR_NAT_FWD:
		if (sl_xdp_dnat(&pkt, &f, &t))
			return XDP_DROP;
		return sl_redirect_xdp(t.ifindex);
	case SL_CTR_UPLINK_PASS:
	case SL_CTR_PASS_NO_FLOW:
		return XDP_PASS;
	default:
		return XDP_DROP;
	}
}

SEC("xdp")
int sl_xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
