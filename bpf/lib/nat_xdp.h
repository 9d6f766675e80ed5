/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nat_xdp.h - header rewrites for XDP, where no skb helpers exist: the
 * checksums are updated incrementally (csum.h).
 *
 * XDP sees frames as they came off the wire, with complete checksums; a UDP
 * checksum of 0 (none) stays 0.
 */
#ifndef SL_BPF_NAT_XDP_H
#define SL_BPF_NAT_XDP_H

/*
 * DNAT, TTL decrement and MAC rewrite of a parsed TCP/UDP packet in place.
 * Returns 0, or -1 when a header is no longer within bounds (never expected
 * after sl_parse_flow; the verifier needs the checks).
 */
static __always_inline int sl_xdp_dnat(const struct sl_pkt *pkt, const struct sl_flow *f,
				       const struct sl_nat_target *t)
{
	void *data = pkt->data, *end = pkt->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	__u16 *l4_csum, *dport;
	__u32 l3 = f->l3_off & 0xff, l4 = f->l4_off & 0x1ff;

	ip = data + l3;
	if ((void *)(eth + 1) > end || (void *)(ip + 1) > end)
		return -1;
	if (f->proto == IPPROTO_TCP) {
		struct tcphdr *th = data + l4;

		if ((void *)(th + 1) > end)
			return -1;
		l4_csum = &th->check;
		dport = &th->dest;
	} else {
		struct udphdr *uh = data + l4;

		if ((void *)(uh + 1) > end)
			return -1;
		l4_csum = &uh->check;
		dport = &uh->dest;
	}

	/* L4: the destination address is in the pseudo-header; then the port. */
	if (f->proto == IPPROTO_TCP || *l4_csum) {
		__u16 c = sl_csum_replace4(*l4_csum, ip->daddr, t->addr);

		c = sl_csum_replace2(c, *dport, t->port);
		if (f->proto == IPPROTO_UDP && c == 0)
			c = 0xffff; /* 0 means "no checksum" for UDP */
		*l4_csum = c;
	}
	*dport = t->port;

	/* L3: TTL and address. */
	sl_ip_dec_ttl(ip);
	ip->check = sl_csum_replace4(ip->check, ip->daddr, t->addr);
	ip->daddr = t->addr;

	__builtin_memcpy(eth->h_dest, t->dst_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, t->src_mac, ETH_ALEN);
	return 0;
}

#endif /* SL_BPF_NAT_XDP_H */
