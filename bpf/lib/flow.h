/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * flow.h - parse a frame once into the fields every decision needs: the
 * IPv4 addresses, the TCP/UDP ports and flags, and header offsets for
 * rewriting. Bounds are checked with the cursor helpers of parse.h.
 */
#ifndef SL_BPF_FLOW_H
#define SL_BPF_FLOW_H

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

enum sl_frag {
	SL_FRAG_NONE = 0,  /* not fragmented */
	SL_FRAG_FIRST = 1, /* offset 0, more fragments follow: has the L4 header */
	SL_FRAG_LATER = 2, /* offset > 0: no L4 header */
};

struct sl_flow {
	__be32 saddr, daddr; /* network order */
	__be16 sport, dport; /* network order; 0 unless has_ports */
	__u8 proto;	     /* IP protocol */
	__u8 tcp_flags;	     /* TCP flags byte (FIN, SYN, RST, ACK...), 0 for UDP */
	__u8 ttl;
	__u8 frag;	/* enum sl_frag */
	__u8 has_ports; /* a complete TCP or UDP header is present */
	__u8 pad[3];
	__u16 l3_off; /* IPv4 header offset from the frame start */
	__u16 l4_off; /* L4 header offset from the frame start */
};

enum sl_parse_res {
	SL_PARSE_OK = 0,	/* IPv4 with a valid header; ports when has_ports */
	SL_PARSE_NOT_IPV4 = 1,	/* not an IPv4 frame (ARP, IPv6, VLAN...) */
	SL_PARSE_MALFORMED = 2, /* truncated Ethernet or invalid IPv4 header */
};

/*
 * Outcomes:
 *  - SL_PARSE_NOT_IPV4 / SL_PARSE_MALFORMED: f is not filled;
 *  - SL_PARSE_OK: addresses, protocol, TTL and offsets filled; ports and
 *    TCP flags only when has_ports (TCP with a whole header of doff >= 5, or
 *    UDP with 8 bytes, and not a later fragment).
 */
static __always_inline enum sl_parse_res sl_parse_flow(const struct sl_pkt *pkt, struct sl_flow *f)
{
	struct sl_cursor cur = {.pos = pkt->data, .end = pkt->data_end};
	struct ethhdr *eth;
	struct iphdr *ip;
	__u16 frag;

	eth = sl_parse_eth(&cur);
	if (!eth)
		return SL_PARSE_MALFORMED;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return SL_PARSE_NOT_IPV4;
	ip = sl_parse_ipv4(&cur);
	if (!ip)
		return SL_PARSE_MALFORMED;

	__builtin_memset(f, 0, sizeof(*f));
	f->saddr = ip->saddr;
	f->daddr = ip->daddr;
	f->proto = ip->protocol;
	f->ttl = ip->ttl;
	f->l3_off = (void *)ip - pkt->data;
	f->l4_off = cur.pos - pkt->data;
	frag = bpf_ntohs(ip->frag_off);
	if (frag & IP_OFFSET)
		f->frag = SL_FRAG_LATER;
	else if (frag & IP_MF)
		f->frag = SL_FRAG_FIRST;
	if (f->frag == SL_FRAG_LATER)
		return SL_PARSE_OK;

	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *th = cur.pos;

		if ((void *)(th + 1) > cur.end || th->doff < 5)
			return SL_PARSE_OK;
		f->sport = th->source;
		f->dport = th->dest;
		/* The flags byte follows doff/res1 at offset 13. */
		f->tcp_flags = ((__u8 *)th)[13];
		f->has_ports = 1;
	} else if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *uh = cur.pos;

		if ((void *)(uh + 1) > cur.end)
			return SL_PARSE_OK;
		f->sport = uh->source;
		f->dport = uh->dest;
		f->has_ports = 1;
	}
	return SL_PARSE_OK;
}

#endif /* SL_BPF_FLOW_H */
