/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * csum.h - incremental Internet checksum updates (RFC 1624) for rewrites
 * done with direct packet access, where no skb helper keeps the checksums:
 * everything in XDP, and ICMP errors in tc as well (icmp.h). The 16-bit
 * words are read as stored, which keeps the one's complement sums byte-order
 * neutral.
 */
#ifndef SL_BPF_CSUM_H
#define SL_BPF_CSUM_H

/* Fold a 32-bit one's complement sum to 16 bits. */
static __always_inline __u16 sl_csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* The checksum after a 32-bit field changed from old to new. */
static __always_inline __u16 sl_csum_replace4(__u16 check, __u32 old, __u32 new)
{
	__u32 sum = (__u16)~check;

	sum += (__u16)~old + (__u16) ~(old >> 16);
	sum += (__u16) new + (__u16)(new >> 16);
	return ~sl_csum_fold(sum);
}

/* The checksum after a 16-bit field changed from old to new. */
static __always_inline __u16 sl_csum_replace2(__u16 check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~check;

	sum += (__u16)~old + new;
	return ~sl_csum_fold(sum);
}

/* Decrement the TTL of a header the caller checked, fixing its checksum. */
static __always_inline void sl_ip_dec_ttl(struct iphdr *ip)
{
	/* TTL and protocol share one 16-bit word of the header. */
	__u16 old_word = *(__u16 *)&ip->ttl, new_word;

	ip->ttl--;
	new_word = *(__u16 *)&ip->ttl;
	ip->check = sl_csum_replace2(ip->check, old_word, new_word);
}

#endif /* SL_BPF_CSUM_H */
