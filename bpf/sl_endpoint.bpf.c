// SPDX-License-Identifier: GPL-2.0-only
/*
 * sl_endpoint.bpf.c - tc ingress on the host side of every endpoint veth:
 * what a container sends. Same-network traffic is redirected straight into
 * the destination container, other networks are isolated, the rest goes to
 * the host stack untouched.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "sluice_abi.h"
#include "lib/compat.h"
#include "lib/ctx.h"
#include "lib/parse.h"
#include "lib/maps.h"
#include "lib/stats.h"
#include "lib/redirect.h"
#include "lib/local_fwd.h"

const volatile __u32 sl_abi_version = SLUICE_ABI_VERSION;

SEC("tc")
int sl_ep_ingress(struct __sk_buff *skb)
{
	struct sl_endpoint *dst = NULL;
	struct sl_pkt pkt;
	enum sl_ctr verdict;

	sl_pkt_from_skb(&pkt, skb);
	verdict = sl_local_decide(&pkt, &dst);
	sl_count(verdict, &pkt);

	switch (verdict) {
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

char LICENSE[] SEC("license") = "GPL";
