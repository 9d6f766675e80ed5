/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sluice_abi.h - the contract between the BPF programs and userspace.
 *
 * Every map key and value, every counter index and every constant that both
 * sides must agree on lives here and nowhere else. BPF code includes it after
 * vmlinux.h; userspace includes it after <linux/types.h>.
 *
 * Rules for changing this file:
 *  - never renumber a counter; retire it by renaming it SL_CTR_UNUSED_<n>;
 *  - a layout change of a pinned map's key or value bumps SLUICE_ABI_VERSION
 *    and gives the map a new name (sl_xxx_v2) so an upgrade can migrate;
 *  - every struct has explicit padding and _Static_asserts on its size.
 */
#ifndef SLUICE_ABI_H
#define SLUICE_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define SLUICE_ABI_VERSION 1

/* Map names, as pinned under the instance's bpffs directory (max 15 chars). */
#define SL_MAP_ENDPOINTS "sl_endpoints"
#define SL_MAP_IFACES    "sl_ifaces"
#define SL_MAP_SUBNETS   "sl_subnets"
#define SL_MAP_STATS     "sl_stats"

/* Program names, as pinned under <pin dir>/progs/. */
#define SL_PROG_ENDPOINT "sl_ep_ingress"

#define SL_MAX_ENDPOINTS 65536
#define SL_MAX_NETWORKS  4096

/*
 * sl_endpoints: one entry per container address, keyed by that address.
 * Subnets of one instance never overlap, so an IPv4 address names exactly
 * one endpoint. Used to deliver a packet to its destination container.
 */
struct sl_endpoint_key {
	__be32 addr; /* container IPv4 address, network byte order */
};

struct sl_endpoint {
	__u32 ifindex;         /* host-side veth ifindex (redirect_peer target), host order */
	__u32 net_id;          /* network the endpoint belongs to, host order, never 0 */
	__u8 mac[6];           /* container-side MAC (eth0 inside the container) */
	__u8 gw_mac[6];        /* host-side veth MAC: the container's gateway MAC */
};

/*
 * sl_ifaces: one entry per host-side endpoint veth, keyed by its ifindex.
 * Tells the ingress program which network (and which address) a packet
 * arriving from a container belongs to.
 */
struct sl_iface_key {
	__u32 ifindex; /* host-side veth ifindex, host order */
};

struct sl_iface {
	__u32 net_id;  /* network of this endpoint, host order, never 0 */
	__be32 addr;   /* the only source address the container may use, network order */
	__u32 flags;   /* SL_NET_F_* of the endpoint's network, host order */
	__be32 gateway; /* the network's gateway (the host), network order */
};

/*
 * sl_subnets: LPM trie of every network's subnet. A destination inside a
 * sluice subnet that is no endpoint is never handed to the host stack (it
 * would route it out of the default route); it is dropped and counted.
 */
struct sl_subnet_key {
	__u32 prefixlen; /* LPM prefix length in bits, host order (0..32) */
	__be32 addr;     /* subnet address, network byte order */
};

struct sl_subnet {
	__u32 net_id; /* host order, never 0 */
	__u32 flags;  /* SL_NET_F_*, host order */
};

#define SL_NET_F_INTERNAL (1U << 0) /* no traffic to or from outside the network */

/*
 * sl_stats: per-CPU array indexed by enum sl_ctr. Each slot counts packets
 * and bytes (L2 length as seen by the program).
 */
struct sl_counter {
	__u64 packets;
	__u64 bytes;
};

enum sl_ctr {
	SL_CTR_FWD_LOCAL = 0,    /* redirected into a container of the same network */
	SL_CTR_PASS_HOST = 1,    /* IPv4 not for a sluice endpoint: handed to the host stack */
	SL_CTR_PASS_NOT_IP = 2,  /* ARP, IPv6 and other non-IPv4 frames: host stack */
	SL_CTR_PASS_NO_IFACE = 3,/* arrived on an interface sluice does not manage */
	SL_CTR_DROP_ISOLATED = 4,/* destination on a network the sender is not on */
	SL_CTR_DROP_NO_ENDPOINT = 5, /* destination inside a subnet but no such endpoint */
	SL_CTR_DROP_SPOOFED = 6, /* source address is not the sending endpoint's */
	SL_CTR_DROP_MALFORMED = 7,   /* truncated or invalid IPv4 header */
	SL_CTR_DROP_INTERNAL = 8,    /* leaving an --internal network */
	SL_CTR_MAX
};

/* Names for userspace (sluice stats). Index by enum sl_ctr. */
#define SL_CTR_NAMES                                                                               \
	{                                                                                          \
		"fwd_local", "pass_host", "pass_not_ip", "pass_no_iface", "drop_isolated",         \
			"drop_no_endpoint", "drop_spoofed", "drop_malformed", "drop_internal",     \
	}

#ifndef __cplusplus
_Static_assert(sizeof(struct sl_endpoint_key) == 4, "sl_endpoint_key layout");
_Static_assert(sizeof(struct sl_endpoint) == 20, "sl_endpoint layout");
_Static_assert(__builtin_offsetof(struct sl_endpoint, gw_mac) == 14, "sl_endpoint layout");
_Static_assert(sizeof(struct sl_iface_key) == 4, "sl_iface_key layout");
_Static_assert(sizeof(struct sl_iface) == 16, "sl_iface layout");
_Static_assert(sizeof(struct sl_subnet_key) == 8, "sl_subnet_key layout");
_Static_assert(sizeof(struct sl_subnet) == 8, "sl_subnet layout");
_Static_assert(sizeof(struct sl_counter) == 16, "sl_counter layout");
#endif

#endif /* SLUICE_ABI_H */
