/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * redirect.h - the one place programs redirect packets.
 *
 * BPF_PROG_TEST_RUN returns the verdict of a redirect but performs none, so
 * a test build (-DSL_TEST_HOOKS) also records the target for the test to
 * read; the production objects have no such globals.
 */
#ifndef SL_BPF_REDIRECT_H
#define SL_BPF_REDIRECT_H

#ifdef SL_TEST_HOOKS
__u32 sl_test_redirect_ifindex;
__u32 sl_test_redirect_peer; /* 1: redirect_peer, 0: plain redirect (egress), 2: redirect_neigh */
#endif

/* Deliver straight into the netns of ifindex's veth peer (tc ingress only). */
static __always_inline long sl_redirect_peer(__u32 ifindex)
{
#ifdef SL_TEST_HOOKS
	sl_test_redirect_ifindex = ifindex;
	sl_test_redirect_peer = 1;
#endif
	return bpf_redirect_peer(ifindex, 0);
}

/* Transmit out of ifindex (its egress). */
static __always_inline long sl_redirect_egress(__u32 ifindex)
{
#ifdef SL_TEST_HOOKS
	sl_test_redirect_ifindex = ifindex;
	sl_test_redirect_peer = 0;
#endif
	return bpf_redirect(ifindex, 0);
}

/* Transmit out of ifindex with the kernel's neighbour lookup for the L2 header. */
static __always_inline long sl_redirect_neigh(__u32 ifindex)
{
#ifdef SL_TEST_HOOKS
	sl_test_redirect_ifindex = ifindex;
	sl_test_redirect_peer = 2;
#endif
	return bpf_redirect_neigh(ifindex, NULL, 0, 0);
}

/* XDP: transmit out of ifindex (for a veth: into its peer's receive queue). */
static __always_inline long sl_redirect_xdp(__u32 ifindex)
{
#ifdef SL_TEST_HOOKS
	sl_test_redirect_ifindex = ifindex;
	sl_test_redirect_peer = 0;
#endif
	return bpf_redirect(ifindex, 0);
}

#endif /* SL_BPF_REDIRECT_H */
