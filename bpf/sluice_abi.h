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
#define SL_MAP_IFACES	 "sl_ifaces"
#define SL_MAP_SUBNETS	 "sl_subnets"
#define SL_MAP_STATS	 "sl_stats"
#define SL_MAP_SVC	 "sl_svc"
#define SL_MAP_ALLOW	 "sl_allow"
#define SL_MAP_CT	 "sl_ct"
#define SL_MAP_SVC_STATS "sl_svc_stats"
#define SL_MAP_HOSTADDRS "sl_hostaddrs"
#define SL_MAP_SOCK_REV	 "sl_sock_rev"

/* Program names, as pinned under <pin dir>/progs/. */
#define SL_PROG_ENDPOINT   "sl_ep_ingress"
#define SL_PROG_UPLINK	   "sl_up_ingress"
#define SL_PROG_XDP_UPLINK "sl_xdp_uplink"
#define SL_PROG_XDP_PASS   "sl_xdp_pass"
#define SL_PROG_BRIDGE	   "sl_br_ingress"
#define SL_PROG_DNS_LO	   "sl_dns_lo"
/*
 * Container DNS. Containers ask 127.0.0.11:53, as under Docker; sluice-dnsd
 * listens on 127.0.0.11:SL_DNS_INNER_PORT in their namespace, and sl_dns_lo
 * on the container's lo maps one port to the other, so that port 53 stays
 * free for a DNS server of the container's own. The inner port lies in
 * Linux's ephemeral range: the kernel never picks a bound port for another
 * socket, and fixed-port servers rarely sit there.
 */
#define SL_DNS_ADDR	  0x7f00000bU /* 127.0.0.11, host order */
#define SL_DNS_PORT	  53
#define SL_DNS_INNER_PORT 53053

/* cgroup socket hooks (pinned as links under <pin dir>/links/). */
#define SL_PROG_CONNECT4 "sl_connect4"
#define SL_PROG_SENDMSG4 "sl_sendmsg4"
#define SL_PROG_RECVMSG4 "sl_recvmsg4"
#define SL_PROG_GETPEER4 "sl_getpeer4"
#define SL_PROG_BIND4	 "sl_bind4"
#define SL_PROG_CONNECT6 "sl_connect6"
#define SL_PROG_SENDMSG6 "sl_sendmsg6"
#define SL_PROG_RECVMSG6 "sl_recvmsg6"
#define SL_PROG_GETPEER6 "sl_getpeer6"

#define SL_MAX_ENDPOINTS 65536
#define SL_MAX_NETWORKS	 4096
#define SL_MAX_SVC	 65536	/* published host ports (address, port, protocol) */
#define SL_MAX_ALLOW	 16384	/* --allow CIDRs over all mappings */
#define SL_CT_MAX	 262144 /* conntrack entries: two per flow */
#define SL_MAX_HOSTADDRS 1024	/* IPv4 addresses of the host */
#define SL_SOCK_REV_MAX	 65536	/* translated sockets remembered for getpeername/recvmsg */

/*
 * sl_endpoints: one entry per container address, keyed by that address.
 * Subnets of one instance never overlap, so an IPv4 address names exactly
 * one endpoint. Used to deliver a packet to its destination container.
 */
struct sl_endpoint_key {
	__be32 addr; /* container IPv4 address, network byte order */
};

struct sl_endpoint {
	__u32 ifindex;	/* host-side veth ifindex (redirect_peer target), host order */
	__u32 net_id;	/* network the endpoint belongs to, host order, never 0 */
	__u8 mac[6];	/* container-side MAC (eth0 inside the container) */
	__u8 gw_mac[6]; /* host-side veth MAC: the container's gateway MAC */
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
	__u32 net_id;	/* network of this endpoint, host order, never 0 */
	__be32 addr;	/* the only source address the container may use, network order */
	__u32 flags;	/* SL_NET_F_* of the endpoint's network, host order */
	__be32 gateway; /* the network's gateway (the host), network order */
};

/*
 * sl_subnets: LPM trie of every network's subnet. A destination inside a
 * sluice subnet that is no endpoint is never handed to the host stack (it
 * would route it out of the default route); it is dropped and counted.
 */
struct sl_subnet_key {
	__u32 prefixlen; /* LPM prefix length in bits, host order (0..32) */
	__be32 addr;	 /* subnet address, network byte order */
};

struct sl_subnet {
	__u32 net_id; /* host order, never 0 */
	__u32 flags;  /* SL_NET_F_*, host order */
};

#define SL_NET_F_INTERNAL (1U << 0) /* no traffic to or from outside the network */

/*
 * sl_svc: published ports, keyed by the host side. A mapping bound to every
 * host address (0.0.0.0) has addr 0; the datapath tries the exact address
 * first, then 0.
 */
struct sl_svc_key {
	__be32 addr; /* host address, network order; 0 = every address of the host */
	__be16 port; /* host port, network order */
	__u8 proto;  /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;    /* zero */
};

struct sl_svc {
	__be32 backend_addr; /* container address, network order */
	__be16 backend_port; /* container port, network order */
	__u16 flags;	     /* SL_SVC_F_*, host order */
	__u32 id;	     /* mapping id 1..SL_MAX_SVC-1: sl_svc_stats index, sl_allow key */
};

#define SL_SVC_F_ALLOWLIST (1U << 0) /* only sources in sl_allow for this id may connect */
/*
 * The backend is not a sluice endpoint but a container the host stack routes
 * to (Docker's bridge, through sluice-proxy): DNAT on the uplink, then the
 * host stack delivers; replies are caught on that bridge (sl_br_ingress).
 */
#define SL_SVC_F_EXTERNAL (1U << 1)

/*
 * sl_allow: LPM trie of the source networks a mapping admits (--allow).
 * prefixlen counts the id's 32 bits plus the CIDR's prefix length.
 */
struct sl_allow_key {
	__u32 prefixlen; /* 32 + CIDR prefix length, host order */
	__be32 id;	 /* mapping id, network order (LPM matches bytes from the left) */
	__be32 addr;	 /* source network address, network order */
};

/*
 * sl_ct: connection tracking for published ports, an LRU hash with two
 * entries per flow:
 *   ORIG   client -> host address:port (as it arrives on the uplink);
 *          nat_addr/nat_port = the container address:port to DNAT to.
 *   REPLY  container address:port -> client (as it leaves the container);
 *          nat_addr/nat_port = the host address:port to SNAT back to,
 *          ifindex/peer_mac/host_mac = where and how to send it out.
 * Each entry's key can be rebuilt from the other's (see bpf/lib/ct.h).
 */
struct sl_ct_key {
	__be32 saddr; /* network order */
	__be32 daddr; /* network order */
	__be16 sport; /* network order */
	__be16 dport; /* network order */
	__u8 proto;   /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 dir;     /* SL_CT_DIR_* */
	__u16 pad;    /* zero */
};

#define SL_CT_DIR_ORIG	0
#define SL_CT_DIR_REPLY 1

struct sl_ct {
	__u64 last_seen;  /* bpf_ktime_get_coarse_ns() of this direction's latest packet */
	__be32 nat_addr;  /* network order, see above */
	__be16 nat_port;  /* network order */
	__u8 state;	  /* SL_CT_STATE_*, kept equal in both entries */
	__u8 flags;	  /* SL_CT_F_*, equal in both entries */
	__u32 svc_id;	  /* mapping that created the flow, host order */
	__u32 ifindex;	  /* REPLY: where replies go (uplink, or the client container's
			    * host-side veth for hairpin), host order; ORIG: 0 */
	__u8 peer_mac[6]; /* REPLY: L2 next hop towards the client */
	__u8 host_mac[6]; /* REPLY: our MAC on that link (uplink, or the client's gateway) */
	__be32 snat_addr; /* SL_CT_F_SNAT: ORIG: the source the backend sees;
			   * REPLY: the client's address, restored as the reply's
			   * destination; else 0 */
};

/*
 * Hairpin: a container reaching a published port of its own host. Replies
 * go back to the client container (redirect_peer into a sluice endpoint, or
 * out of the Docker bridge it sits on) instead of out of an uplink. The flow
 * is also source-NATed where the backend would otherwise answer the client
 * directly, bypassing the reverse NAT: a container reaching itself (SNAT to
 * its network's gateway, as Docker masquerades it), and a container on a
 * Docker bridge reaching a container on the same bridge (SNAT to the host
 * address it connected to).
 */
#define SL_CT_F_PEER	 (1U << 0) /* REPLY delivered to a container, not out of an uplink */
#define SL_CT_F_SNAT	 (1U << 1) /* source-NATed to snat_addr (see struct sl_ct) */
#define SL_CT_F_EXTERNAL (1U << 2) /* backend reached through the host stack (SL_SVC_F_EXTERNAL) */

/* TCP and UDP flow states; the timeouts below apply per state. */
enum sl_ct_state {
	SL_CT_STATE_NEW = 0,	     /* TCP SYN or first UDP datagram, no reply yet */
	SL_CT_STATE_ESTABLISHED = 1, /* a reply was seen */
	SL_CT_STATE_CLOSING = 2,     /* TCP FIN seen in either direction */
	SL_CT_STATE_CLOSED = 3,	     /* TCP RST seen */
};

/* Default timeouts in seconds (tunable per load through const volatile globals). */
#define SL_CT_TIMEOUT_TCP_NEW	      60
#define SL_CT_TIMEOUT_TCP_ESTABLISHED 432000 /* 5 days, as netfilter */
#define SL_CT_TIMEOUT_TCP_CLOSING     120
#define SL_CT_TIMEOUT_TCP_CLOSED      10
#define SL_CT_TIMEOUT_UDP_NEW	      30
#define SL_CT_TIMEOUT_UDP_ESTABLISHED 180

/*
 * sl_hostaddrs: the host's own IPv4 addresses (hash of __be32 -> __u32 1),
 * written by the CLI at `up` and `port publish`. A local connect() to one of
 * them, or to 127.0.0.0/8, matches 0.0.0.0 mappings at the socket level.
 */

/*
 * sl_sock_rev: for a socket whose connect()/sendmsg() was translated, the
 * address it asked for, so getpeername() and recvmsg() show it (LRU).
 */
struct sl_sock_rev_key {
	__u64 cookie; /* socket cookie */
	__be32 addr;  /* container address the socket talks to, network order */
	__be16 port;  /* container port, network order */
	__u16 pad;    /* zero */
};

struct sl_sock_rev {
	__be32 addr; /* published address the application used, network order */
	__be16 port; /* published port, network order */
	__u16 pad;   /* zero */
};

/* sl_svc_stats: per-CPU array indexed by mapping id. */
struct sl_svc_counter {
	__u64 packets; /* both directions */
	__u64 bytes;   /* both directions, L2 length */
	__u64 flows;   /* flows created */
};

/*
 * sl_stats: per-CPU array indexed by enum sl_ctr. Each slot counts packets
 * and bytes (L2 length as seen by the program). The map has SL_CTR_SLOTS
 * slots, more than there are counters: a new counter leaves its layout, and
 * so the pinned map of a running instance, unchanged.
 */
#define SL_CTR_SLOTS 64

struct sl_counter {
	__u64 packets;
	__u64 bytes;
};

enum sl_ctr {
	SL_CTR_FWD_LOCAL = 0,	      /* redirected into a container of the same network */
	SL_CTR_PASS_HOST = 1,	      /* IPv4 not for a sluice endpoint: handed to the host stack */
	SL_CTR_PASS_NOT_IP = 2,	      /* ARP, IPv6 and other non-IPv4 frames: host stack */
	SL_CTR_PASS_NO_IFACE = 3,     /* arrived on an interface sluice does not manage */
	SL_CTR_DROP_ISOLATED = 4,     /* destination on a network the sender is not on */
	SL_CTR_DROP_NO_ENDPOINT = 5,  /* destination inside a subnet but no such endpoint */
	SL_CTR_DROP_SPOOFED = 6,      /* source address is not the sending endpoint's */
	SL_CTR_DROP_MALFORMED = 7,    /* truncated or invalid IPv4 header */
	SL_CTR_DROP_INTERNAL = 8,     /* leaving an --internal network */
	SL_CTR_NAT_NEW = 9,	      /* uplink: first packet of a flow, DNATed to a container */
	SL_CTR_NAT_FWD = 10,	      /* uplink: packet of a tracked flow, DNATed */
	SL_CTR_NAT_REPLY = 11,	      /* endpoint: reply reverse-NATed out of the uplink */
	SL_CTR_UPLINK_PASS = 12,      /* uplink: not for a published port, host stack */
	SL_CTR_PASS_NO_FLOW = 13,     /* uplink: TCP without SYN for an unknown flow, host stack */
	SL_CTR_DROP_NOT_ALLOWED = 14, /* uplink: source not in the mapping's --allow list */
	SL_CTR_DROP_FRAGMENT = 15,    /* uplink: first fragment of a datagram to a published port */
	SL_CTR_DROP_TTL = 16,	      /* uplink: TTL too low to be forwarded */
	SL_CTR_DROP_NO_BACKEND = 17,  /* uplink: mapping whose container is not connected */
	SL_CTR_CT_EXPIRED = 18,	      /* flows whose two entries were removed on timeout */
	SL_CTR_CT_REUSED = 19,	      /* closed flows replaced by a new SYN on the same 4-tuple */
	SL_CTR_CT_FLUSHED = 20,	      /* entries userspace removed (unpublish); userspace-written */
	SL_CTR_SOCK_XLATE = 21,	      /* local connect()/sendmsg() sent straight to a container */
	SL_CTR_BIND_DENIED = 22,      /* local bind() to a published host port refused */
	SL_CTR_ICMP_IN = 23,	      /* ICMP error about a published flow's reply, translated in */
	SL_CTR_ICMP_OUT = 24,	      /* a container's ICMP error about such a flow, out */
	SL_CTR_MAX
};

/* Names for userspace (sluice stats). Index by enum sl_ctr. */
#define SL_CTR_NAMES                                                                               \
	{                                                                                          \
		"fwd_local", "pass_host", "pass_not_ip", "pass_no_iface", "drop_isolated",         \
			"drop_no_endpoint", "drop_spoofed", "drop_malformed", "drop_internal",     \
			"nat_new", "nat_fwd", "nat_reply", "uplink_pass", "pass_no_flow",          \
			"drop_not_allowed", "drop_fragment", "drop_ttl", "drop_no_backend",        \
			"ct_expired", "ct_reused", "ct_flushed", "sock_xlate", "bind_denied",      \
			"icmp_in", "icmp_out",                                                     \
	}

#ifndef __cplusplus
_Static_assert(SL_CTR_MAX <= SL_CTR_SLOTS, "sl_stats has a slot for every counter");
_Static_assert(sizeof(struct sl_endpoint_key) == 4, "sl_endpoint_key layout");
_Static_assert(sizeof(struct sl_endpoint) == 20, "sl_endpoint layout");
_Static_assert(__builtin_offsetof(struct sl_endpoint, gw_mac) == 14, "sl_endpoint layout");
_Static_assert(sizeof(struct sl_iface_key) == 4, "sl_iface_key layout");
_Static_assert(sizeof(struct sl_iface) == 16, "sl_iface layout");
_Static_assert(sizeof(struct sl_subnet_key) == 8, "sl_subnet_key layout");
_Static_assert(sizeof(struct sl_subnet) == 8, "sl_subnet layout");
_Static_assert(sizeof(struct sl_counter) == 16, "sl_counter layout");
_Static_assert(sizeof(struct sl_svc_key) == 8, "sl_svc_key layout");
_Static_assert(sizeof(struct sl_svc) == 12, "sl_svc layout");
_Static_assert(sizeof(struct sl_allow_key) == 12, "sl_allow_key layout");
_Static_assert(sizeof(struct sl_ct_key) == 16, "sl_ct_key layout");
_Static_assert(sizeof(struct sl_ct) == 40, "sl_ct layout");
_Static_assert(__builtin_offsetof(struct sl_ct, peer_mac) == 24, "sl_ct layout");
_Static_assert(sizeof(struct sl_svc_counter) == 24, "sl_svc_counter layout");
_Static_assert(sizeof(struct sl_sock_rev_key) == 16, "sl_sock_rev_key layout");
_Static_assert(sizeof(struct sl_sock_rev) == 8, "sl_sock_rev layout");
#endif

#endif /* SLUICE_ABI_H */
