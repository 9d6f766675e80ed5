// SPDX-License-Identifier: GPL-2.0-only
/*
 * sl_endpoint.bpf.c - tc ingress on the host side of every endpoint veth:
 * what a container sends. Replies of published-port flows are reverse-NATed
 * out of the uplink they came from, and so are the container's ICMP errors
 * about their packets (icmp.h); a container reaching a published port of
 * its own host is DNATed like an uplink packet (hairpin); same-network traffic is redirected
 * straight into the destination container; other networks are isolated; the
 * rest goes to the host stack untouched. sl_dns_lo, on each container's lo,
 * maps 127.0.0.11:53 to sluice-dnsd's port.
 */
#include "common.h"
#include "lib/nat_tc.h"
#include "lib/nat_fwd_tc.h"

/* A published port of the host itself (hairpin), else local forwarding. */
static __always_inline enum sl_ctr
sl_hairpin_or_local(const struct sl_pkt *pkt, const struct sl_flow *f, const struct sl_iface *src,
		    struct sl_nat_target *t, struct sl_endpoint **dst)
{
	struct sl_hairpin hp = {.gateway = src->gateway};
	enum sl_ctr verdict = sl_dnat_decide(pkt, f, &hp, false, t);

	if (verdict != SL_CTR_UPLINK_PASS && verdict != SL_CTR_PASS_NO_FLOW)
		return verdict;
	return sl_local_decide(src, f, dst);
}

SEC("tc")
int sl_ep_ingress(struct __sk_buff *skb)
{
	struct sl_iface_key ikey = {.ifindex = skb->ifindex};
	struct sl_endpoint *dst = NULL;
	struct sl_nat_target t;
	struct sl_icmp_err e;
	struct sl_iface *src;
	enum sl_ctr verdict;
	struct sl_flow f;
	struct sl_pkt pkt;

	sl_pkt_from_skb(&pkt, skb);
	src = bpf_map_lookup_elem(&sl_ifaces, &ikey);
	if (!src)
		verdict = SL_CTR_PASS_NO_IFACE;
	else
		switch (sl_parse_flow(&pkt, &f)) {
		case SL_PARSE_NOT_IPV4:
			verdict = SL_CTR_PASS_NOT_IP;
			break;
		case SL_PARSE_MALFORMED:
			verdict = SL_CTR_DROP_MALFORMED;
			break;
		default:
			/* Each step either decides or says "not mine" (SL_CTR_MAX). */
			verdict = f.saddr != src->addr ? SL_CTR_DROP_SPOOFED : SL_CTR_MAX;
			if (verdict == SL_CTR_MAX && sl_tc_icmp_err(skb, &pkt, &f, &e))
				verdict = sl_icmp_out_decide(&pkt, &f, &e, &t);
			if (verdict == SL_CTR_MAX)
				verdict = sl_reply_decide(&pkt, &f, &t);
			if (verdict == SL_CTR_MAX)
				verdict = sl_hairpin_or_local(&pkt, &f, src, &t, &dst);
		}
	sl_count(verdict, &pkt);

	switch (verdict) {
	case SL_CTR_ICMP_OUT:
		return sl_tc_icmp_forward(&pkt, &f, &e, &t, true);
	case SL_CTR_NAT_REPLY:
		return sl_tc_nat_forward(skb, &f, &t, true);
	case SL_CTR_NAT_NEW:
	case SL_CTR_NAT_FWD:
		return sl_tc_nat_forward(skb, &f, &t, false);
	case SL_CTR_FWD_LOCAL:
		if (!dst)
			return TC_ACT_SHOT;
		sl_local_rewrite(&pkt, dst);
		return sl_redirect_peer(dst->ifindex);
	case SL_CTR_PASS_HOST:
	case SL_CTR_PASS_NOT_IP:
	case SL_CTR_PASS_NO_IFACE:
		return TC_ACT_OK;
	default:
		return TC_ACT_SHOT;
	}
}

/*
 * tc ingress on the lo of every connected container. Loopback packets pass
 * lo's ingress once, whichever way they go: a query to 127.0.0.11:53 gets
 * sluice-dnsd's inner port as destination, an answer from that port gets 53
 * back as its source (sluice_abi.h, Container DNS). Nothing else is touched.
 */
SEC("tc")
int sl_dns_lo(struct __sk_buff *skb)
{
	const __be32 dns_addr = bpf_htonl(SL_DNS_ADDR);
	struct sl_flow f;
	struct sl_pkt pkt;

	sl_pkt_from_skb(&pkt, skb);
	if (sl_parse_flow(&pkt, &f) != SL_PARSE_OK || !f.has_ports ||
	    (f.proto != IPPROTO_UDP && f.proto != IPPROTO_TCP))
		return TC_ACT_OK;
	if (f.daddr == dns_addr && f.dport == bpf_htons(SL_DNS_PORT))
		sl_tc_nat(skb, &f, false, f.daddr, bpf_htons(SL_DNS_INNER_PORT));
	else if (f.saddr == dns_addr && f.sport == bpf_htons(SL_DNS_INNER_PORT))
		sl_tc_nat(skb, &f, true, f.saddr, bpf_htons(SL_DNS_PORT));
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
