/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * icmp.h - ICMP errors of published-port flows, translated as netfilter
 * translates the errors RELATED to a NATed connection.
 *
 * An ICMP error quotes the header of the packet that caused it. For a
 * published port, both sides only ever see their own half of the NAT:
 *  - in:  a router on the way to the client answers a reply we sent as
 *         host:hport -> client (a too-big "fragmentation needed", a time
 *         exceeded, a port unreachable) to the host address. The container
 *         must get it, as container:port -> client, or its TCP never learns
 *         the path MTU (a black hole) and its UDP never hears of a refusal.
 *  - out: the container refuses a datagram (port unreachable) or drops a
 *         packet it received as client -> container:port. The client must
 *         get it as client -> host:hport from the host address, or its
 *         socket cannot match it (it waits for a timeout instead of seeing
 *         ECONNREFUSED).
 * Translating rewrites the outer address of the container side and the
 * quoted packet's address and port to the other half, fixes the outer IPv4,
 * the quoted IPv4, the quoted TCP/UDP (when it is in the frame) and the ICMP
 * checksums, and delivers the error as the flow's packets of that direction
 * are delivered. The conntrack entries are read, never refreshed: an error
 * keeps no flow alive.
 *
 * The rewrite uses direct packet access and incremental checksums (csum.h)
 * in tc too: the ICMP checksum covers no pseudo-header, so every change
 * inside the ICMP message is balanced by the ICMP checksum and every change
 * to the outer header by the IPv4 checksum. The one's complement sum of the
 * packet is unchanged and a CHECKSUM_COMPLETE skb's csum stays true.
 */
#ifndef SL_BPF_ICMP_H
#define SL_BPF_ICMP_H

#define SL_ICMP_DEST_UNREACH  3
#define SL_ICMP_TIME_EXCEEDED 11
#define SL_ICMP_PARAMETERPROB 12

/* The longest frame prefix an ICMP error's translation reads or writes. */
#define SL_ICMP_ERR_MAX_LEN (14 + 60 + 8 + 60 + 18)

/* An ICMP error quoting a TCP or UDP packet: where its parts are. */
struct sl_icmp_err {
	__u16 icmp_off;	   /* ICMP header, from the frame start */
	__u16 in_l3_off;   /* the quoted IPv4 header */
	__u16 in_l4_off;   /* the quoted TCP/UDP header */
	__u16 in_csum_off; /* the quoted TCP/UDP checksum; 0: not in the frame, or UDP's 0 */
	__be32 in_saddr, in_daddr;
	__be16 in_sport, in_dport;
	__u8 in_proto;
	__u8 pad[3];
};

/*
 * Outcomes: true and e filled for an unfragmented ICMP destination
 * unreachable, time exceeded or parameter problem that quotes an IPv4
 * header (options allowed) of TCP or UDP, not a later fragment, with at
 * least the 8 bytes of ports after it; false for anything else, which the
 * caller then handles as it would without this file.
 */
static __always_inline bool sl_parse_icmp_err(const struct sl_pkt *pkt, const struct sl_flow *f,
					      struct sl_icmp_err *e)
{
	void *data = pkt->data, *end = pkt->data_end;
	struct icmphdr *icmp;
	struct iphdr *in_ip;
	__u32 off, in_hlen;
	__be16 *ports;

	if (f->proto != IPPROTO_ICMP || f->frag != SL_FRAG_NONE)
		return false;
	off = f->l4_off & 0xff;
	icmp = data + off;
	if ((void *)(icmp + 1) > end)
		return false;
	if (icmp->type != SL_ICMP_DEST_UNREACH && icmp->type != SL_ICMP_TIME_EXCEEDED &&
	    icmp->type != SL_ICMP_PARAMETERPROB)
		return false;
	in_ip = (void *)(icmp + 1);
	if ((void *)(in_ip + 1) > end || in_ip->version != 4 || in_ip->ihl < 5)
		return false;
	if (in_ip->protocol != IPPROTO_TCP && in_ip->protocol != IPPROTO_UDP)
		return false;
	if (bpf_ntohs(in_ip->frag_off) & IP_OFFSET)
		return false;
	in_hlen = in_ip->ihl * 4;
	ports = (void *)in_ip + in_hlen;
	if ((void *)ports + 8 > end)
		return false;

	e->icmp_off = off;
	e->in_l3_off = off + sizeof(*icmp);
	e->in_l4_off = e->in_l3_off + in_hlen;
	e->in_csum_off = 0;
	if (in_ip->protocol == IPPROTO_UDP) {
		if (ports[3])
			e->in_csum_off = e->in_l4_off + 6;
	} else if ((void *)ports + 18 <= end) {
		e->in_csum_off = e->in_l4_off + 16;
	}
	e->in_saddr = in_ip->saddr;
	e->in_daddr = in_ip->daddr;
	e->in_sport = ports[0];
	e->in_dport = ports[1];
	e->in_proto = in_ip->protocol;
	return true;
}

/*
 * The live conntrack entry of direction dir for the flow the quoted packet
 * belongs to. The quoted packet went the other way: its tuple is reversed.
 */
static __always_inline struct sl_ct *sl_icmp_flow(const struct sl_pkt *pkt,
						  const struct sl_icmp_err *e, __u8 dir)
{
	struct sl_ct_key key = {
		.saddr = e->in_daddr,
		.daddr = e->in_saddr,
		.sport = e->in_dport,
		.dport = e->in_sport,
		.proto = e->in_proto,
		.dir = dir,
	};

	return sl_ct_lookup(&key, pkt, bpf_ktime_get_coarse_ns());
}

/* The address and port an error is translated to: the entry's NAT side. */
static __always_inline void sl_icmp_target(const struct sl_ct *ct, struct sl_nat_target *t)
{
	t->addr = ct->nat_addr;
	t->port = ct->nat_port;
	t->flags = ct->flags;
	t->svc_id = ct->svc_id;
	t->snat_addr = 0;
}

/*
 * An ICMP error arriving on an uplink (f and e parsed); xdp: the XDP
 * program asks. Outcomes:
 *   not to the address the quoted packet came from, no live flow of the
 *     quoted packet, a hairpin flow, or its container
 *     not connected                                  -> SL_CTR_UPLINK_PASS
 *   about a flow to an external backend, in XDP      -> SL_CTR_UPLINK_PASS (tc's)
 *   TTL <= 1                                         -> SL_CTR_DROP_TTL
 *   an error about a reply we sent                   -> SL_CTR_ICMP_IN, *t:
 *     the container's address and port; its host-side veth and MACs, or
 *     for an external backend t->ifindex 0: the host stack routes it, as it
 *     routes the flow's DNATed packets
 */
static __always_inline enum sl_ctr sl_icmp_in_decide(const struct sl_pkt *pkt,
						     const struct sl_flow *f,
						     const struct sl_icmp_err *e, bool xdp,
						     struct sl_nat_target *t)
{
	struct sl_endpoint_key ekey;
	struct sl_endpoint *ep = NULL;
	struct sl_ct *ct;

	if (f->daddr != e->in_saddr)
		return SL_CTR_UPLINK_PASS;
	ct = sl_icmp_flow(pkt, e, SL_CT_DIR_ORIG);
	if (!ct || (ct->flags & SL_CT_F_PEER))
		return SL_CTR_UPLINK_PASS;
	if (ct->flags & SL_CT_F_EXTERNAL) {
		if (xdp)
			return SL_CTR_UPLINK_PASS;
	} else {
		ekey.addr = ct->nat_addr;
		ep = bpf_map_lookup_elem(&sl_endpoints, &ekey);
		if (!ep)
			return SL_CTR_UPLINK_PASS;
	}
	if (f->ttl <= 1)
		return SL_CTR_DROP_TTL;
	sl_icmp_target(ct, t);
	t->ifindex = 0;
	if (ep) {
		t->ifindex = ep->ifindex;
		__builtin_memcpy(t->dst_mac, ep->mac, ETH_ALEN);
		__builtin_memcpy(t->src_mac, ep->gw_mac, ETH_ALEN);
	}
	return SL_CTR_ICMP_IN;
}

/*
 * An ICMP error a container sends (f and e parsed): a sluice container,
 * whose source the endpoint program checked, or a container on a Docker
 * bridge (sl_br_ingress) about a flow to an external backend. Outcomes:
 *   not about a packet this container received, no live flow of the quoted
 *     packet, or a source-NATed hairpin flow        -> SL_CTR_MAX (not ours)
 *   TTL <= 1                                         -> SL_CTR_DROP_TTL
 *   an error about a packet of a published port     -> SL_CTR_ICMP_OUT, *t:
 *     the host address and port, and where and how the flow's replies go
 */
static __always_inline enum sl_ctr sl_icmp_out_decide(const struct sl_pkt *pkt,
						      const struct sl_flow *f,
						      const struct sl_icmp_err *e,
						      struct sl_nat_target *t)
{
	struct sl_ct *ct;

	if (e->in_daddr != f->saddr)
		return SL_CTR_MAX;
	ct = sl_icmp_flow(pkt, e, SL_CT_DIR_REPLY);
	if (!ct || (ct->flags & SL_CT_F_SNAT))
		return SL_CTR_MAX;
	if (f->ttl <= 1)
		return SL_CTR_DROP_TTL;
	sl_icmp_target(ct, t);
	t->ifindex = ct->ifindex;
	__builtin_memcpy(t->dst_mac, ct->peer_mac, ETH_ALEN);
	__builtin_memcpy(t->src_mac, ct->host_mac, ETH_ALEN);
	return SL_CTR_ICMP_OUT;
}

/*
 * Translate a decided ICMP error in place: in (out = false) the outer
 * destination and the quoted source become t's address and port; out
 * (out = true) the outer source and the quoted destination. The outer TTL
 * drops by one and the MACs become t's, as for the flow's own packets;
 * with t->ifindex 0 the host stack forwards the error and does both.
 * Returns 0, or -1 when a header is out of bounds (never after
 * sl_parse_icmp_err on the same data; the verifier needs the checks).
 */
static __always_inline int sl_icmp_nat(const struct sl_pkt *pkt, const struct sl_flow *f,
				       const struct sl_icmp_err *e, const struct sl_nat_target *t,
				       bool out)
{
	void *data = pkt->data, *end = pkt->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + (f->l3_off & 0xff);
	struct icmphdr *icmp = data + (e->icmp_off & 0xff);
	struct iphdr *in_ip = data + (e->in_l3_off & 0xff);
	__be16 *ports = data + (e->in_l4_off & 0x1ff);
	__be32 *in_addr, old_addr;
	__be16 *in_port, old_port, old_check;
	__u16 check;

	if ((void *)(eth + 1) > end || (void *)(ip + 1) > end || (void *)(icmp + 1) > end ||
	    (void *)(in_ip + 1) > end || (void *)(ports + 2) > end)
		return -1;

	/* The outer header, as for any packet we forward. */
	if (t->ifindex)
		sl_ip_dec_ttl(ip);
	if (out) {
		ip->check = sl_csum_replace4(ip->check, ip->saddr, t->addr);
		ip->saddr = t->addr;
	} else {
		ip->check = sl_csum_replace4(ip->check, ip->daddr, t->addr);
		ip->daddr = t->addr;
	}

	/* The quoted packet went the other way: its other end is rewritten. */
	in_addr = out ? &in_ip->daddr : &in_ip->saddr;
	in_port = out ? &ports[1] : &ports[0];
	old_addr = *in_addr;
	old_port = *in_port;
	check = icmp->checksum;
	old_check = in_ip->check;
	in_ip->check = sl_csum_replace4(in_ip->check, old_addr, t->addr);
	check = sl_csum_replace4(check, old_addr, t->addr);
	check = sl_csum_replace2(check, old_check, in_ip->check);
	check = sl_csum_replace2(check, old_port, t->port);
	*in_addr = t->addr;
	*in_port = t->port;
	if (e->in_csum_off) {
		__u16 *l4_check = data + (e->in_csum_off & 0x1ff);
		__u16 c;

		if ((void *)(l4_check + 1) > end)
			return -1;
		/* The address is in the quoted segment's pseudo-header. */
		c = sl_csum_replace4(*l4_check, old_addr, t->addr);
		c = sl_csum_replace2(c, old_port, t->port);
		if (e->in_proto == IPPROTO_UDP && c == 0)
			c = 0xffff; /* 0 means "no checksum" for UDP */
		check = sl_csum_replace2(check, *l4_check, c);
		*l4_check = c;
	}
	icmp->checksum = check;

	if (t->ifindex) {
		__builtin_memcpy(eth->h_dest, t->dst_mac, ETH_ALEN);
		__builtin_memcpy(eth->h_source, t->src_mac, ETH_ALEN);
	}
	return 0;
}

#endif /* SL_BPF_ICMP_H */
