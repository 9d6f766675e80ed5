/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nat_tc.h - header rewrites for tc programs through the skb helpers, which
 * keep checksums right for every skb state: for CHECKSUM_PARTIAL packets
 * (TCP on veth) only the pseudo-header part of the L4 checksum is touched;
 * a UDP checksum of 0 (none) stays 0.
 *
 * Every helper here may move skb->data: callers re-read packet pointers.
 */
#ifndef SL_BPF_NAT_TC_H
#define SL_BPF_NAT_TC_H

#define SL_IP_CSUM_OFF	10
#define SL_IP_SADDR_OFF 12
#define SL_IP_DADDR_OFF 16
#define SL_TCP_CSUM_OFF 16
#define SL_UDP_CSUM_OFF 6

/*
 * Rewrite the source (src = true) or destination address and port of a
 * TCP/UDP packet, fixing the IPv4 and L4 checksums. Returns 0 or a negative
 * error from the helpers.
 */
static __always_inline int sl_tc_nat(struct __sk_buff *skb, const struct sl_flow *f, bool src,
				     __be32 new_addr, __be16 new_port)
{
	__u32 addr_off = f->l3_off + (src ? SL_IP_SADDR_OFF : SL_IP_DADDR_OFF);
	__u32 port_off = f->l4_off + (src ? 0 : 2);
	__be32 old_addr = src ? f->saddr : f->daddr;
	__be16 old_port = src ? f->sport : f->dport;
	__u64 mangled = 0;
	__u32 csum_off;
	int err;

	if (f->proto == IPPROTO_TCP) {
		csum_off = f->l4_off + SL_TCP_CSUM_OFF;
	} else {
		csum_off = f->l4_off + SL_UDP_CSUM_OFF;
		mangled = BPF_F_MARK_MANGLED_0;
	}
	err = bpf_l4_csum_replace(skb, csum_off, old_addr, new_addr,
				  BPF_F_PSEUDO_HDR | mangled | sizeof(new_addr));
	if (!err)
		err = bpf_l4_csum_replace(skb, csum_off, old_port, new_port,
					  mangled | sizeof(new_port));
	if (!err)
		err = bpf_l3_csum_replace(skb, f->l3_off + SL_IP_CSUM_OFF, old_addr, new_addr,
					  sizeof(new_addr));
	if (!err)
		err = bpf_skb_store_bytes(skb, addr_off, &new_addr, sizeof(new_addr), 0);
	if (!err)
		err = bpf_skb_store_bytes(skb, port_off, &new_port, sizeof(new_port), 0);
	return err;
}

/* Decrement the TTL as a router does (the caller checked it is > 1). */
static __always_inline int sl_tc_dec_ttl(struct __sk_buff *skb, const struct sl_flow *f)
{
	/* TTL and protocol form one 16-bit word of the header checksum. */
	__be16 old_word = bpf_htons((__u16)f->ttl << 8 | f->proto);
	__be16 new_word = bpf_htons((__u16)(f->ttl - 1) << 8 | f->proto);
	__u8 ttl = f->ttl - 1;
	int err;

	err = bpf_l3_csum_replace(skb, f->l3_off + SL_IP_CSUM_OFF, old_word, new_word,
				  sizeof(new_word));
	if (!err)
		err = bpf_skb_store_bytes(skb, f->l3_off + 8, &ttl, 1, 0);
	return err;
}

static __always_inline int sl_tc_set_macs(struct __sk_buff *skb, const __u8 *dst, const __u8 *src)
{
	int err = bpf_skb_store_bytes(skb, 0, dst, ETH_ALEN, 0);

	if (!err)
		err = bpf_skb_store_bytes(skb, ETH_ALEN, src, ETH_ALEN, 0);
	return err;
}

#endif /* SL_BPF_NAT_TC_H */
