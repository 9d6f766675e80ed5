/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * parse.h - header parsing with a cursor. Each parser checks its bounds
 * against data_end, advances the cursor past the header and returns a
 * pointer to it, or NULL when the header is truncated or invalid.
 */
#ifndef SL_BPF_PARSE_H
#define SL_BPF_PARSE_H

struct sl_cursor {
	void *pos;
	void *end;
};

static __always_inline struct ethhdr *sl_parse_eth(struct sl_cursor *c)
{
	struct ethhdr *eth = c->pos;

	if ((void *)(eth + 1) > c->end)
		return NULL;
	c->pos = eth + 1;
	return eth;
}

/*
 * Outcomes:
 *  - NULL: truncated, not version 4, IHL < 5, header longer than the frame,
 *    or total length shorter than the header;
 *  - otherwise the header, with the cursor past its options.
 * The header checksum is not verified here: the receiving stack does it,
 * and a forwarded packet is only rewritten at L2.
 */
static __always_inline struct iphdr *sl_parse_ipv4(struct sl_cursor *c)
{
	struct iphdr *ip = c->pos;
	__u32 hlen;

	if ((void *)(ip + 1) > c->end)
		return NULL;
	if (ip->version != 4 || ip->ihl < 5)
		return NULL;
	hlen = ip->ihl * 4;
	if (c->pos + hlen > c->end)
		return NULL;
	if (bpf_ntohs(ip->tot_len) < hlen)
		return NULL;
	c->pos += hlen;
	return ip;
}

#endif /* SL_BPF_PARSE_H */
