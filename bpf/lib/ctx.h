/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctx.h - a small shim so that packet helpers serve tc (struct __sk_buff)
 * and, later, XDP (struct xdp_md) without a copy of their logic.
 *
 * A helper takes a struct sl_pkt: the packet bounds and the hook's context.
 */
#ifndef SL_BPF_CTX_H
#define SL_BPF_CTX_H

struct sl_pkt {
	void *data;	/* first byte of the frame (Ethernet header) */
	void *data_end; /* one past the last byte the program may read */
	__u32 len;	/* L2 length in bytes, for counters */
	__u32 ifindex;	/* interface the packet arrived on */
};

static __always_inline void sl_pkt_from_skb(struct sl_pkt *pkt, struct __sk_buff *skb)
{
	pkt->data = (void *)(long)skb->data;
	pkt->data_end = (void *)(long)skb->data_end;
	pkt->len = skb->len;
	pkt->ifindex = skb->ifindex;
}

#endif /* SL_BPF_CTX_H */
