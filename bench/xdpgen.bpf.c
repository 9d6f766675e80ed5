// SPDX-License-Identifier: GPL-2.0
/*
 * xdpgen.bpf.c - the frame generator's XDP program (bench/xdpgen.c). It runs
 * under BPF_PROG_RUN in live-frames mode: every run writes one UDP/IPv4
 * frame's headers from the template userspace filled in, with the source
 * port of the next flow, and returns XDP_TX, which the kernel turns into a
 * transmit on the generator's interface (ndo_xdp_xmit). On a veth that puts
 * the frame straight into the peer's receive ring, as a NIC's DMA would: no
 * socket, no skb on the sending side.
 *
 * The whole header is written every time because the frame's page comes
 * back from the page pool as the receiver left it (NATed).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Filled in by userspace before load: the frame's first 40 bytes (Ethernet,
 * IPv4, UDP up to its checksum), copied in 8-byte words. */
const volatile __u64 xg_hdr[5];
const volatile __u16 xg_sport_base; /* host order */
const volatile __u16 xg_csum_base;  /* UDP checksum (as on the wire) at xg_sport_base */
const volatile __u32 xg_flows = 1;

__u64 xg_seq;

/* RFC 1624 eqn. 3: the checksum after one 16-bit word changed from old to new. */
static __always_inline __u16 csum_replace16(__u16 check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~check + (__u16)~old + new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

SEC("xdp")
int xdpgen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u16 sport, check;
	__u32 flow;

	if (data + 42 > data_end)
		return XDP_ABORTED;
#pragma unroll
	for (int i = 0; i < 5; i++)
		((__u64 *)p)[i] = xg_hdr[i];
	flow = xg_seq++ % xg_flows;
	sport = bpf_htons(xg_sport_base + flow);
	check = csum_replace16(xg_csum_base, bpf_htons(xg_sport_base), sport);
	if (!check)
		check = 0xffff; /* 0 means "no checksum" in UDP over IPv4 */
	*(__u16 *)(p + 34) = sport;
	*(__u16 *)(p + 40) = check;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
