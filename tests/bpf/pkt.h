/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pkt.h - build test frames header by header for BPF_PROG_TEST_RUN tables.
 *
 *   struct pkt p;
 *   pkt_init(&p);
 *   pkt_eth(&p, dst_mac, src_mac, ETH_P_IP);
 *   pkt_ipv4(&p, "10.1.0.2", "10.1.0.3", IPPROTO_TCP, NULL, 0);
 *   pkt_tcp(&p, 40000, 80, 16);
 *   pkt_finish(&p);
 *
 * pkt_finish() fills in every length and checksum (IPv4 header, TCP, UDP,
 * ICMP and UDP over IPv6), so a frame is valid unless a test breaks it on
 * purpose afterwards (pkt_l4_csum_corrupt, pkt_trim); pkt_ipv4_csum() then
 * refreshes the IPv4 header checksum so the intended fault is the only one.
 * Payloads are a counting byte pattern, so a comparison of whole frames
 * notices any byte that moved.
 *
 * An ICMP error quotes another packet: build that one whole first (its own
 * struct pkt, finished, so its IPv4 and TCP/UDP checksums cover the whole
 * segment), then pkt_icmp_err() copies its IPv4 header and the first bytes
 * of its L4 segment after an 8-byte ICMP header; pkt_finish() of the outer
 * packet then computes the ICMP checksum over all of it.
 *
 * pkt_frame_ip4_sum(), pkt_frame_l4_sum() and pkt_frame_icmp_sum() verify
 * the checksums of a frame that came out of a program, as its receiver
 * would; pkt_ip4_sum() and pkt_ip4_l4_sum() do the same for an IPv4 packet
 * anywhere in memory (the one an ICMP error quotes).
 *
 * All fields are written in network byte order; arguments are host order.
 * Building past PKT_MAX bytes aborts: that is a bug in the test, not a result.
 */
#ifndef SL_TEST_PKT_H
#define SL_TEST_PKT_H

/* <arpa/inet.h> first: the uapi headers then skip what glibc defines. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/icmp.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#define PKT_MAX 512

#define PKT_NONE SIZE_MAX /* offset of a layer the frame does not have */

struct pkt {
	/*
	 * Like the kernel's NET_IP_ALIGN: data starts 2 bytes past an 8-byte
	 * boundary, so the L3 header after a 14-byte (or 18-byte tagged)
	 * Ethernet header is 4-byte aligned and struct iphdr stores are legal.
	 */
	uint8_t ip_align[2];
	uint8_t data[PKT_MAX];
	size_t len;	   /* bytes built so far */
	size_t l3;	   /* offset of the IPv4 or IPv6 header, or PKT_NONE */
	size_t l3_len;	   /* IPv4: header length with options as built (not the ihl field) */
	size_t l4;	   /* offset of the TCP/UDP/ICMP header, or PKT_NONE */
	uint16_t l3_proto; /* ETH_P_IP or ETH_P_IPV6, host order */
	uint8_t l4_proto;  /* IPPROTO_*, 0 for none */
};

_Static_assert(__builtin_offsetof(struct pkt, data) == 2, "struct pkt: data must follow ip_align");
_Static_assert(_Alignof(struct pkt) >= 4, "struct pkt: L3 header alignment");

static inline void pkt_init(struct pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->l3 = PKT_NONE;
	p->l4 = PKT_NONE;
}

/* Append n zeroed bytes and return them. */
static inline void *pkt_put(struct pkt *p, size_t n)
{
	void *at;

	if (n > PKT_MAX - p->len) {
		fprintf(stderr, "pkt: frame longer than PKT_MAX (%d bytes)\n", PKT_MAX);
		abort();
	}
	at = p->data + p->len;
	memset(at, 0, n);
	p->len += n;
	return at;
}

/* Append n payload bytes: a counting pattern, not zeros. */
static inline void pkt_payload(struct pkt *p, size_t n)
{
	uint8_t *b = pkt_put(p, n);
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(0x30 + i);
}

static inline uint32_t pkt_addr4(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "pkt: bad IPv4 address '%s'\n", s);
		abort();
	}
	return a.s_addr; /* network order */
}

/* One's complement sum of buf, folded into sum (not yet complemented). */
static inline uint32_t pkt_sum(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *b = buf;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* The Internet checksum, in network byte order, ready to store. */
static inline uint16_t pkt_csum_fold(uint32_t sum)
{
	return htons((uint16_t)~sum);
}

static inline void pkt_eth(struct pkt *p, const uint8_t dst[ETH_ALEN], const uint8_t src[ETH_ALEN],
			   uint16_t proto)
{
	struct ethhdr *eth = pkt_put(p, sizeof(*eth));

	memcpy(eth->h_dest, dst, ETH_ALEN);
	memcpy(eth->h_source, src, ETH_ALEN);
	eth->h_proto = htons(proto);
}

/* An 802.1Q tag after an Ethernet header of type ETH_P_8021Q. */
static inline void pkt_vlan(struct pkt *p, uint16_t tci, uint16_t proto)
{
	uint16_t *tag = pkt_put(p, 4);

	tag[0] = htons(tci);
	tag[1] = htons(proto);
}

/*
 * IPv4 header with opt_len bytes of options (a multiple of 4, at most 40).
 * tot_len and the checksum are set by pkt_finish().
 */
static inline void pkt_ipv4(struct pkt *p, const char *saddr, const char *daddr, uint8_t proto,
			    const uint8_t *opts, size_t opt_len)
{
	struct iphdr *ip;

	if (opt_len % 4 || opt_len > 40) {
		fprintf(stderr, "pkt: IPv4 options must be 0..40 bytes in words\n");
		abort();
	}
	p->l3 = p->len;
	p->l3_len = sizeof(*ip) + opt_len;
	p->l3_proto = ETH_P_IP;
	p->l4_proto = proto;
	ip = pkt_put(p, p->l3_len);
	ip->version = 4;
	ip->ihl = (uint8_t)(p->l3_len / 4);
	ip->id = htons(0x1234);
	ip->frag_off = htons(0x4000); /* DF */
	ip->ttl = 64;
	ip->protocol = proto;
	ip->saddr = pkt_addr4(saddr);
	ip->daddr = pkt_addr4(daddr);
	if (opt_len)
		memcpy(ip + 1, opts, opt_len);
}

static inline struct iphdr *pkt_ip4hdr(struct pkt *p)
{
	return (struct iphdr *)(p->data + p->l3);
}

/* Recompute the IPv4 header checksum over the header as built. */
static inline void pkt_ipv4_csum(struct pkt *p)
{
	struct iphdr *ip = pkt_ip4hdr(p);

	ip->check = 0;
	ip->check = pkt_csum_fold(pkt_sum(0, ip, p->l3_len));
}

/* IPv6 header; payload_len and an upper-layer checksum are set by pkt_finish(). */
static inline void pkt_ipv6(struct pkt *p, const char *saddr, const char *daddr, uint8_t nexthdr)
{
	struct ipv6hdr *ip6;

	p->l3 = p->len;
	p->l3_len = sizeof(*ip6);
	p->l3_proto = ETH_P_IPV6;
	p->l4_proto = nexthdr;
	ip6 = pkt_put(p, sizeof(*ip6));
	ip6->version = 6;
	ip6->nexthdr = nexthdr;
	ip6->hop_limit = 64;
	if (inet_pton(AF_INET6, saddr, &ip6->saddr) != 1 ||
	    inet_pton(AF_INET6, daddr, &ip6->daddr) != 1) {
		fprintf(stderr, "pkt: bad IPv6 address '%s' or '%s'\n", saddr, daddr);
		abort();
	}
}

/* TCP flags byte (offset 13 of the header); <linux/tcp.h>'s TCP_FLAG_* are 32-bit words. */
#define PKT_TCP_FIN 0x01
#define PKT_TCP_SYN 0x02
#define PKT_TCP_RST 0x04
#define PKT_TCP_PSH 0x08
#define PKT_TCP_ACK 0x10

/* A TCP segment with the given flags byte (PKT_TCP_*), seq 1, no options. */
static inline void pkt_tcp_flags(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags,
				 size_t payload)
{
	struct tcphdr *th;

	p->l4 = p->len;
	th = pkt_put(p, sizeof(*th));
	th->source = htons(sport);
	th->dest = htons(dport);
	th->seq = htonl(1);
	th->doff = sizeof(*th) / 4;
	((uint8_t *)th)[13] = flags;
	th->window = htons(64240);
	pkt_payload(p, payload);
}

/* A TCP SYN. */
static inline void pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport, size_t payload)
{
	pkt_tcp_flags(p, sport, dport, PKT_TCP_SYN, payload);
}

static inline void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport, size_t payload)
{
	struct udphdr *uh;

	p->l4 = p->len;
	uh = pkt_put(p, sizeof(*uh));
	uh->source = htons(sport);
	uh->dest = htons(dport);
	pkt_payload(p, payload);
}

static inline void pkt_icmp_echo(struct pkt *p, uint16_t id, uint16_t seq, size_t payload)
{
	struct icmphdr *ih;

	p->l4 = p->len;
	ih = pkt_put(p, sizeof(*ih));
	ih->type = ICMP_ECHO;
	ih->un.echo.id = htons(id);
	ih->un.echo.sequence = htons(seq);
	pkt_payload(p, payload);
}

/*
 * An ICMP message of the error format: type, code, the 4 bytes after the
 * checksum (rest, host order: for type 3 code 4 the next-hop MTU in its low
 * 16 bits, for type 12 the pointer in its top 8), then the quoted packet:
 * the IPv4 header of inner (options included) and the first l4_bytes bytes
 * of its L4 segment (SIZE_MAX: all of it). inner must be finished
 * (pkt_finish) and IPv4; it keeps the lengths and checksums of the whole
 * packet, as a quote does. The ICMP checksum is set by pkt_finish().
 */
static inline void pkt_icmp_err(struct pkt *p, uint8_t type, uint8_t code, uint32_t rest,
				const struct pkt *inner, size_t l4_bytes)
{
	struct icmphdr *ih;
	size_t l4_avail, n;

	if (inner->l3 == PKT_NONE || inner->l3_proto != ETH_P_IP) {
		fprintf(stderr, "pkt: an ICMP error quotes an IPv4 packet\n");
		abort();
	}
	l4_avail = inner->l4 == PKT_NONE ? 0 : inner->len - inner->l4;
	n = inner->l3_len + (l4_bytes < l4_avail ? l4_bytes : l4_avail);
	p->l4 = p->len;
	ih = pkt_put(p, sizeof(*ih));
	ih->type = type;
	ih->code = code;
	ih->un.gateway = htonl(rest);
	memcpy(pkt_put(p, n), inner->data + inner->l3, n);
}

/* An ARP request (Ethernet/IPv4): who has tpa? tell spa at sha. */
static inline void pkt_arp_request(struct pkt *p, const uint8_t sha[ETH_ALEN], const char *spa,
				   const char *tpa)
{
	struct arphdr *ah = pkt_put(p, sizeof(*ah));
	uint8_t *body = pkt_put(p, 2 * ETH_ALEN + 2 * 4);
	uint32_t a;

	ah->ar_hrd = htons(ARPHRD_ETHER);
	ah->ar_pro = htons(ETH_P_IP);
	ah->ar_hln = ETH_ALEN;
	ah->ar_pln = 4;
	ah->ar_op = htons(ARPOP_REQUEST);
	memcpy(body, sha, ETH_ALEN);
	a = pkt_addr4(spa);
	memcpy(body + ETH_ALEN, &a, 4);
	/* target hardware address stays zero */
	a = pkt_addr4(tpa);
	memcpy(body + 2 * ETH_ALEN + 4, &a, 4);
}

/* Upper-layer checksum with the IPv4 or IPv6 pseudo-header. */
static inline uint16_t pkt_l4_csum(const struct pkt *p, size_t l4_len)
{
	const uint8_t *l3 = p->data + p->l3;
	uint32_t sum = 0;

	if (p->l3_proto == ETH_P_IP) {
		const struct iphdr *ip = (const struct iphdr *)l3;
		uint8_t ph[4] = {0, p->l4_proto, (uint8_t)(l4_len >> 8), (uint8_t)l4_len};

		sum = pkt_sum(sum, &ip->saddr, 8); /* saddr and daddr */
		sum = pkt_sum(sum, ph, sizeof(ph));
	} else {
		const struct ipv6hdr *ip6 = (const struct ipv6hdr *)l3;
		uint8_t tail[4] = {0, 0, 0, p->l4_proto};
		uint32_t len = htonl((uint32_t)l4_len);

		sum = pkt_sum(sum, &ip6->saddr, 32); /* saddr and daddr */
		sum = pkt_sum(sum, &len, 4);
		sum = pkt_sum(sum, tail, sizeof(tail));
	}
	return pkt_csum_fold(pkt_sum(sum, p->data + p->l4, l4_len));
}

/* Fill in lengths and checksums of every layer built. Call once, last. */
static inline void pkt_finish(struct pkt *p)
{
	size_t l4_len = p->l4 == PKT_NONE ? 0 : p->len - p->l4;
	uint8_t *l4 = p->data + p->l4;

	if (p->l3 == PKT_NONE)
		return;
	if (p->l3_proto == ETH_P_IP)
		pkt_ip4hdr(p)->tot_len = htons((uint16_t)(p->len - p->l3));
	else
		((struct ipv6hdr *)(p->data + p->l3))->payload_len =
			htons((uint16_t)(p->len - p->l3 - p->l3_len));
	if (l4_len) {
		switch (p->l4_proto) {
		case IPPROTO_TCP:
			((struct tcphdr *)l4)->check = pkt_l4_csum(p, l4_len);
			break;
		case IPPROTO_UDP:
			((struct udphdr *)l4)->len = htons((uint16_t)l4_len);
			((struct udphdr *)l4)->check = pkt_l4_csum(p, l4_len);
			/* 0 means "no checksum" in UDP; a computed 0 is sent as ~0 */
			if (!((struct udphdr *)l4)->check)
				((struct udphdr *)l4)->check = 0xffff;
			break;
		case IPPROTO_ICMP:
			((struct icmphdr *)l4)->checksum = pkt_csum_fold(pkt_sum(0, l4, l4_len));
			break;
		}
	}
	if (p->l3_proto == ETH_P_IP)
		pkt_ipv4_csum(p);
}

/*
 * Fault injection after pkt_finish(): add delta (one's complement, so the
 * error survives any correct incremental update) to the TCP, UDP or ICMP
 * checksum field. A receiver's verification sum (pkt_frame_l4_sum,
 * pkt_frame_icmp_sum) then comes out as delta instead of 0xffff.
 */
static inline void pkt_l4_csum_corrupt(struct pkt *p, uint16_t delta)
{
	uint8_t *l4 = p->data + p->l4;
	uint16_t *field = p->l4_proto == IPPROTO_TCP   ? &((struct tcphdr *)l4)->check
			  : p->l4_proto == IPPROTO_UDP ? &((struct udphdr *)l4)->check
						       : &((struct icmphdr *)l4)->checksum;
	uint32_t v = (uint32_t)ntohs(*field) + delta;

	*field = htons((uint16_t)((v & 0xffff) + (v >> 16)));
}

/*
 * Fault injection after pkt_finish(): cut the frame to its first len bytes,
 * as a truncated capture would be. The headers that remain keep the lengths
 * and checksums of the whole frame; a layer that no longer starts within the
 * frame is forgotten (its offset becomes PKT_NONE).
 */
static inline void pkt_trim(struct pkt *p, size_t len)
{
	if (len > p->len) {
		fprintf(stderr, "pkt: cannot trim a %zu-byte frame to %zu bytes\n", p->len, len);
		abort();
	}
	memset(p->data + len, 0, p->len - len);
	p->len = len;
	if (p->l4 != PKT_NONE && p->l4 >= len)
		p->l4 = PKT_NONE;
	if (p->l3 != PKT_NONE && p->l3 >= len)
		p->l3 = PKT_NONE;
}

/*
 * Verify an IPv4 packet as a receiver does: ip points at its header, len
 * bytes of it are at hand. Both return the folded one's complement sum over
 * the covered bytes with the checksum field included: 0xffff when the
 * checksum is right. -1 when there is no complete IPv4 header (or, for L4,
 * no complete TCP/UDP segment of the length tot_len announces).
 */
static inline int pkt_ip4_sum(const uint8_t *ip, size_t len)
{
	const struct iphdr *h = (const struct iphdr *)ip;
	size_t hlen;

	if (len < sizeof(*h))
		return -1;
	hlen = (size_t)h->ihl * 4;
	if (hlen < sizeof(*h) || len < hlen)
		return -1;
	return (int)pkt_sum(0, ip, hlen);
}

/* Over the IPv4 pseudo-header and the whole TCP or UDP segment. */
static inline int pkt_ip4_l4_sum(const uint8_t *ip, size_t len)
{
	const struct iphdr *h = (const struct iphdr *)ip;
	size_t hlen, tot_len, l4_len;
	uint8_t ph[4];
	uint32_t sum;

	if (pkt_ip4_sum(ip, len) < 0)
		return -1;
	hlen = (size_t)h->ihl * 4;
	tot_len = ntohs(h->tot_len);
	if (tot_len < hlen || len < tot_len)
		return -1;
	l4_len = tot_len - hlen;
	if ((h->protocol == IPPROTO_TCP && l4_len < sizeof(struct tcphdr)) ||
	    (h->protocol == IPPROTO_UDP && l4_len < sizeof(struct udphdr)) ||
	    (h->protocol != IPPROTO_TCP && h->protocol != IPPROTO_UDP))
		return -1;
	ph[0] = 0;
	ph[1] = h->protocol;
	ph[2] = (uint8_t)(l4_len >> 8);
	ph[3] = (uint8_t)l4_len;
	sum = pkt_sum(0, &h->saddr, 8); /* saddr and daddr */
	sum = pkt_sum(sum, ph, sizeof(ph));
	return (int)pkt_sum(sum, ip + hlen, l4_len);
}

/* The same for a frame: Ethernet (no tag) + IPv4 at offset 14. */
static inline int pkt_frame_ip4_sum(const uint8_t *frame, size_t len)
{
	if (len < ETH_HLEN)
		return -1;
	return pkt_ip4_sum(frame + ETH_HLEN, len - ETH_HLEN);
}

static inline int pkt_frame_l4_sum(const uint8_t *frame, size_t len)
{
	if (len < ETH_HLEN)
		return -1;
	return pkt_ip4_l4_sum(frame + ETH_HLEN, len - ETH_HLEN);
}

/*
 * Over the whole ICMP message (no pseudo-header): -1 unless the frame holds
 * an IPv4 packet of protocol ICMP with at least an 8-byte ICMP header, as
 * long as its tot_len announces.
 */
static inline int pkt_frame_icmp_sum(const uint8_t *frame, size_t len)
{
	const struct iphdr *ip = (const struct iphdr *)(frame + ETH_HLEN);
	size_t hlen, tot_len;

	if (pkt_frame_ip4_sum(frame, len) < 0 || ip->protocol != IPPROTO_ICMP)
		return -1;
	hlen = (size_t)ip->ihl * 4;
	tot_len = ntohs(ip->tot_len);
	if (tot_len < hlen + sizeof(struct icmphdr) || len < ETH_HLEN + tot_len)
		return -1;
	return (int)pkt_sum(0, frame + ETH_HLEN + hlen, tot_len - hlen);
}

#endif /* SL_TEST_PKT_H */
