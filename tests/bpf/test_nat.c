// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_nat.c - BPF_PROG_TEST_RUN table for published ports: DNAT of what
 * arrives on the uplink, through both uplink programs - tc (sl_up_ingress,
 * bpf/sl_uplink.bpf.c) and XDP (sl_xdp_uplink, bpf/sl_xdp.bpf.c) - reverse
 * NAT of the containers' replies and hairpin (sl_ep_ingress,
 * bpf/sl_endpoint.bpf.c), and what a Docker bridge sends to the host
 * (sl_br_ingress, bpf/sl_uplink.bpf.c: replies of flows to external
 * backends, bridge hairpin), i.e. the decisions of bpf/lib/publish.h, the
 * rewrites of bpf/lib/nat_tc.h, nat_fwd_tc.h and nat_xdp.h and the conntrack
 * of bpf/lib/ct.h; and the ICMP errors about published-port flows
 * (bpf/lib/icmp.h): a router's error about a reply we sent, into the
 * container (icmp_in), and a container's error about a packet it received,
 * out to the client (icmp_out), both translated to the other half of the
 * NAT, and everything that looks like one but is not to be translated.
 *
 * A case is a map setup (the fixture below, changed by SETUP_* flags) and a
 * list of steps. Each step sends one frame through one of the programs and
 * states what must come out:
 *  - the tc verdict (for XDP its equivalent: TC_ACT_REDIRECT = XDP_REDIRECT,
 *    TC_ACT_OK = XDP_PASS, TC_ACT_SHOT = XDP_DROP);
 *  - the one counter that rose, by one packet and the frame's length in bytes
 *    (a second one, ct_expired or ct_reused, may rise alongside when the step
 *    says so); every other counter unchanged;
 *  - the redirect (ifindex, and bpf_redirect_peer, plain bpf_redirect or
 *    bpf_redirect_neigh), recorded by the -DSL_TEST_HOOKS build, or none;
 *  - the output frame, byte for byte: a redirected frame, or one rewritten
 *    and passed on (DNAT to an external backend, routed by the host stack),
 *    is compared with an expected frame built from scratch by the table
 *    (pkt_finish computes its checksums), and its IPv4 and TCP/UDP checksums
 *    are verified as a receiver would; every other frame must come out as
 *    it went in;
 *  - for NAT verdicts: both conntrack entries of the flow, field by field,
 *    and the mapping's sl_svc_stats (packets, bytes, flows); for any other
 *    verdict no new conntrack entry and no sl_svc_stats change; for an ICMP
 *    error (FK_ICMP_ERR, translated or not) the whole conntrack exactly as
 *    before, last_seen included: an error is read against its flow, never
 *    counted as one of its packets (the step first waits for the coarse
 *    clock to tick past every last_seen, so a refresh would show).
 * ICMP error frames (FK_ICMP_ERR) quote another frame description: that
 * packet is built whole first (pkt_finish computes its IPv4 and TCP/UDP
 * checksums over its whole segment, payload included), then cut after
 * .quote bytes of its L4 segment, and the ICMP checksum is computed over
 * the result. The expected output is built the same way around the
 * translated packet, so equal bytes prove the incremental updates of the
 * quoted IPv4, the quoted TCP/UDP (or its absence: a partial quote, UDP's
 * 0) and the ICMP checksums equal to a recomputation. A translated error is
 * also verified as its receiver would: ICMP checksum, quoted IPv4 header
 * checksum, and the quoted TCP/UDP checksum when the whole segment is in.
 * Cases are independent: every map is reset to the fixture before each.
 *
 * tc and XDP are one table: a result that differs between them is a
 * failure. A case with an uplink step (P_UP, P_UP_SHORT) runs twice, each
 * time from a freshly loaded fixture: first with every uplink step through
 * tc, then with every uplink step through XDP; endpoint and bridge steps go
 * through sl_ep_ingress and sl_br_ingress both times. Running the whole
 * case again is simpler than replaying a case's earlier steps before each
 * XDP step, and equally exact:
 * every step of both runs is checked against the same table, so step k of
 * the XDP run starts from the map state step k of the tc run started from
 * (only last_seen times differ). It also covers a flow that changes hooks,
 * as in production (XDP DNATs, tc reverse-NATs the reply, and a flow may
 * move between XDP and tc): the XDP run's replies find the conntrack
 * entries XDP wrote. On top of the table, the XDP run is compared with the
 * tc run directly, step by step: verdict, whole output frame, redirect
 * target, the rise of every counter and of sl_svc_stats, and the whole
 * conntrack (last_seen aside). Identical frames also prove the incremental
 * checksum code of nat_xdp.h equal to the kernel's skb helpers (IPv4 header,
 * TCP, UDP, UDP checksum 0, IP options, TTL, a bad checksum carried over).
 * (ICMP errors use the same incremental code, csum.h, in both hooks: there
 * the comparison with the recomputed frame is what proves it.)
 * The one allowed difference is the redirect kind: tc DNAT uses
 * bpf_redirect_peer, XDP has only bpf_redirect; each run asserts its own.
 * Flows to external backends (SL_SVC_F_EXTERNAL: Docker containers behind
 * sluice-proxy) need the host stack, so XDP passes their packets to tc
 * untouched and uncounted: the XDP run of such a step (SF_XDP_TO_TC) checks
 * exactly that, then runs the step through tc, as the kernel would, and
 * that tc half is what is compared with the tc run.
 *
 * Frame lengths: test_run refuses frames shorter than the Ethernet header
 * (14 bytes) for both hooks (bpf_test_init), and for tc also an IPv4
 * EtherType with fewer than 20 bytes after the Ethernet header. The XDP
 * run therefore adds the steps tc cannot run (SF_XDP_ONLY: an Ethernet
 * header with nothing after it, a cut IPv4 header); a truncated Ethernet
 * header is tried on both (SF_MAY_REFUSE) and noted as not run when the
 * kernel refuses it, as 6.18 does.
 *
 * All programs share one set of maps (the conntrack especially): the
 * endpoint skeleton creates them, the uplink and XDP skeletons reuse their
 * fds. Only the named maps are shared; .rodata and .bss stay per object,
 * which is what lets a second set of skeletons, loaded with
 * sl_ct_tcp_new_s = 1, show expiry while every other case runs with the
 * default timeouts. No map is pinned.
 *
 * Everything runs in a private network namespace. test_run accepts only
 * ifindex 1 (loopback) or a real device for the skb, and XDP's
 * ingress_ifindex must name a device too, so the "uplink" and the sending
 * container's veth are all ifindex 1: sl_ifaces[1] describes the sending
 * container for P_EP steps (the uplink programs do not read sl_ifaces).
 * The Docker bridge of P_BR steps is a real one, created in the namespace
 * with a fixed ifindex (BRIDGE_IFINDEX) and MAC, so that the REPLY entries
 * of its flows can be told from the uplink's.
 * Hairpin flows need two containers on one interface: sl_ifaces[1] starts
 * as web (10.77.0.2), or as the second container (SETUP_IF_CT2), and a
 * step's .iface rewrites it before the step runs, as the sender changes.
 * A 0.0.0.0 mapping serves the host's own addresses only: the fixture puts
 * 10.200.0.1 into sl_hostaddrs, as the CLI does with the host's addresses.
 * (An earlier version asked bpf_fib_lookup, which also calls unroutable and
 * broadcast destinations "not forwarded", and every destination when
 * forwarding is off; the wildcard_* cases below keep that regression out,
 * with forwarding both off and on.)
 *
 * Not covered: CHECKSUM_PARTIAL. test_run builds its skb with CHECKSUM_NONE
 * and offers no way to set ip_summed/csum_start, so the pseudo-header-only
 * path of bpf_l4_csum_replace (TCP over veth) cannot be produced here; only
 * real traffic over veths (an integration test) exercises it. For the same
 * reason nothing here notices a missing BPF_F_PSEUDO_HDR in nat_tc.h: with
 * CHECKSUM_NONE the kernel updates the checksum field the same way with or
 * without it.
 *
 * Exit 77 ("skipped") without root.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pkt.h"
#include <linux/pkt_cls.h>

#include "sluice_abi.h"
#include "test/sl_endpoint.skel.h"
#include "test/sl_uplink.skel.h"
#include "test/sl_xdp.skel.h"
#include "test.h"

/* ---- fixture -------------------------------------------------------------- */

#define HOST_IP	      "10.200.0.1"   /* the host's uplink address (on lo) */
#define HOST_OTHER_IP "10.200.0.5"   /* not an address of the host */
#define ROUTED_IP     "198.51.100.7" /* not the host's; routed via lo when set up */
#define UNROUTED_IP   "203.0.113.7"  /* not the host's; no route at all */
#define BCAST_IP      "255.255.255.255"
#define CLIENT_IP     "10.200.0.2"
#define CLIENT_PORT   40000
#define ROUTER_IP     "10.200.0.254" /* a router between the host and the client */
/*
 * Client ports whose UDP checksum (8-byte payload) computes to 0, sent as
 * 0xffff: with web:53 (PORT_CSUM_CT), or with host:5353 (PORT_CSUM_HOST).
 */
#define PORT_CSUM_CT   7600
#define PORT_CSUM_HOST 2178
#define ALLOWED_IP     "10.9.1.1"   /* inside mapping 4's --allow 10.9.0.0/16 */
#define CT_IP	       "10.77.0.2"  /* the container */
#define CT_GW_IP       "10.77.0.1"  /* its network's gateway */
#define CT_MISSING_IP  "10.77.0.99" /* backend of mapping 5: not connected */
#define CT_IFINDEX     42	    /* the container's host-side veth */
#define CT2_IP	       "10.77.0.3"  /* a second container on web's network: hairpin client */
#define CT2_IFINDEX    43	    /* its host-side veth */
#define CT_NET	       1
#define UPLINK_IFINDEX 1 /* test_run's skb device and XDP ingress_ifindex, lo */
#define VETH_IFINDEX   1 /* the sending container's veth in P_EP steps: lo as well */
/* A Docker bridge (docker0) with containers sluice does not manage, as sluice-proxy sees it. */
#define BRIDGE_NAME    "sl-test-br0"
#define BRIDGE_IFINDEX 7	   /* created with this ifindex (netns_setup) */
#define DK_GW_IP       "10.90.0.1" /* the bridge's address: a host address too */
#define DK_IP	       "10.90.0.2" /* a container on it: the hairpin client */
#define DK_WEB_IP      "10.90.0.3" /* another: the backend of the external mappings */

static const __u8 mac_client[ETH_ALEN] = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0x02};
static const __u8 mac_uplink[ETH_ALEN] = {0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0x01};
static const __u8 mac_ct[ETH_ALEN] = {0x02, 0x42, 0x0a, 0x4d, 0x00, 0x02};
static const __u8 mac_ct_gw[ETH_ALEN] = {0x02, 0x5c, 0x0a, 0x4d, 0x00, 0x02};
static const __u8 mac_ct2[ETH_ALEN] = {0x02, 0x42, 0x0a, 0x4d, 0x00, 0x03};
static const __u8 mac_ct2_gw[ETH_ALEN] = {0x02, 0x5c, 0x0a, 0x4d, 0x00, 0x03};
#define BRIDGE_MAC "02:42:ac:5a:00:01" /* mac_br, for ip(8) */
static const __u8 mac_br[ETH_ALEN] = {0x02, 0x42, 0xac, 0x5a, 0x00, 0x01};
static const __u8 mac_dk[ETH_ALEN] = {0x02, 0x42, 0x0a, 0x5a, 0x00, 0x02};
static const __u8 mac_dk_web[ETH_ALEN] = {0x02, 0x42, 0x0a, 0x5a, 0x00, 0x03};

/* sl_svc: the published ports. */
static const struct {
	const char *addr; /* host address, "0.0.0.0" for every address */
	__u16 port;
	__u8 proto;
	const char *backend;
	__u16 backend_port;
	__u16 flags;
	__u32 id;
} fx_svcs[] = {
	{"0.0.0.0", 8080, IPPROTO_TCP, CT_IP, 80, 0, 1},
	{HOST_IP, 8081, IPPROTO_TCP, CT_IP, 81, 0, 2},
	{"0.0.0.0", 5353, IPPROTO_UDP, CT_IP, 53, 0, 3},
	{"0.0.0.0", 9090, IPPROTO_TCP, CT_IP, 90, SL_SVC_F_ALLOWLIST, 4},
	{"0.0.0.0", 7070, IPPROTO_TCP, CT_MISSING_IP, 70, 0, 5},
	/* sluice-proxy's: Docker containers on the bridge, reached through the host stack */
	{"0.0.0.0", 8088, IPPROTO_TCP, DK_WEB_IP, 80, SL_SVC_F_EXTERNAL, 6},
	{"0.0.0.0", 8089, IPPROTO_UDP, DK_WEB_IP, 53, SL_SVC_F_EXTERNAL, 7},
};

/*
 * sl_allow: mapping 4 admits 10.9.0.0/16. The trie key's prefix length counts
 * the id's 32 bits too (32 + 16); lookups use 64.
 */
#define ALLOW_ID     4
#define ALLOW_NET    "10.9.0.0"
#define ALLOW_PREFIX 16

/* Mapping ids the fixture uses: sl_svc_stats is reset and checked for 0..7 only. */
#define SVC_IDS 8

/* Changes to the fixture, per case. */
#define SETUP_FWD_ON (1U << 0) /* net.ipv4.conf.lo.forwarding = 1 */
#define SETUP_IF_CT2 (1U << 1) /* sl_ifaces[1] describes CT2_IP, not CT_IP, at the start */

/* What sl_ifaces[1] describes: the container sending through P_EP. */
enum iface_sel {
	IF_KEEP = 0, /* unchanged: the fixture's, or the last step's */
	IF_CT,	     /* web, CT_IP */
	IF_CT2,	     /* the second container, CT2_IP */
};

/* ---- the table ------------------------------------------------------------ */

enum fkind {
	FK_TCP = 0,   /* Ethernet + IPv4 + TCP (16 payload bytes) */
	FK_UDP,	      /* Ethernet + IPv4 + UDP (8 payload bytes) */
	FK_ICMP,      /* Ethernet + IPv4 + ICMP echo */
	FK_ARP,	      /* ARP request: who has daddr, tell saddr */
	FK_IPV6,      /* Ethernet + IPv6 + TCP SYN */
	FK_TCP_TRUNC, /* IPv4 protocol TCP, but only 10 bytes follow the header */
	FK_ICMP_ERR,  /* Ethernet + IPv4 + ICMP error (.icmp_type...) quoting .inner */
};

struct frame {
	enum fkind kind;
	const __u8 *eth_dst, *eth_src;
	const char *saddr, *daddr; /* IPv4 dotted quads */
	__u16 sport, dport;
	__u8 flags;	  /* TCP flags byte, PKT_TCP_* */
	__u8 ttl;	  /* 0: 64 */
	__u16 frag_off;	  /* IPv4 frag_off field, host order; 0: DF only */
	__u8 opt_len;	  /* IPv4 options (Router Alert): ihl = 5 + opt_len / 4 */
	bool udp_no_csum; /* UDP checksum field 0: "no checksum" */
	__u16 csum_err;	  /* added to the TCP/UDP checksum field: a corrupt segment */
	__u16 trim;	  /* 0: the whole frame; else cut to this many bytes (pkt_trim) */
	/*
	 * FK_ICMP_ERR: the quoted packet is built whole from *inner (its
	 * Ethernet header left out), then cut after .quote bytes of its L4
	 * segment; .csum_err then corrupts the ICMP checksum.
	 */
	const struct frame *inner;
	__u8 icmp_type, icmp_code;
	__u32 icmp_rest; /* ICMP bytes 4-7, host order: type 3 code 4: the MTU (low 16 bits) */
	__u16 quote;	 /* bytes of the inner L4 segment quoted; 0: all of it (with payload) */
};

enum prog {
	P_END = 0,  /* no more steps */
	P_UP,	    /* sl_up_ingress, default timeouts */
	P_EP,	    /* sl_ep_ingress, default timeouts */
	P_UP_SHORT, /* sl_up_ingress loaded with sl_ct_tcp_new_s = 1 */
	P_EP_SHORT, /* sl_ep_ingress loaded with sl_ct_tcp_new_s = 1 */
	P_BR,	    /* sl_br_ingress (sl_uplink's object), arriving on BRIDGE_IFINDEX */
};

/* The XDP run of an uplink step expects bpf_redirect for either: XDP has no redirect_peer. */
enum redir {
	RD_NONE = 0, /* no redirect helper called */
	RD_PEER,     /* bpf_redirect_peer (into the container's netns) */
	RD_EGRESS,   /* bpf_redirect, egress (out of the uplink, or of the bridge) */
	RD_NEIGH,    /* bpf_redirect_neigh (out of the bridge, the kernel fills in L2) */
};

/*
 * The conntrack entries of a flow that the frames of a step cannot tell:
 * hairpin flows. Without one, a step's flow is an uplink one: derived from
 * its input and expected output frames, no flags, replies out of the uplink.
 */
struct ct_want {
	const char *client;   /* ORIG key source, and the REPLY's final destination */
	__u16 client_port;    /* ORIG key source port, REPLY key destination port */
	const char *host;     /* ORIG key destination, REPLY nat_addr */
	__u16 host_port;      /* ORIG key destination port, REPLY nat_port */
	const char *ct;	      /* ORIG nat_addr, REPLY key source */
	__u16 ct_port;	      /* ORIG nat_port, REPLY key source port */
	const char *snat;     /* SL_CT_F_SNAT: ORIG snat_addr and REPLY key destination; or NULL */
	__u8 flags;	      /* SL_CT_F_* of both entries */
	__u32 reply_ifindex;  /* REPLY ifindex */
	const __u8 *peer_mac; /* REPLY peer_mac */
	const __u8 *host_mac; /* REPLY host_mac */
};

/* Step flags. */
#define SF_XDP_ONLY   (1U << 0) /* an uplink step tc's test_run refuses: XDP run only */
#define SF_MAY_REFUSE (1U << 1) /* test_run may refuse the frame (EINVAL): noted, not run */
#define SF_XDP_TO_TC  (1U << 2) /* an uplink step XDP passes to tc untouched (external backends) */

#define CTR_NONE SL_CTR_MAX /* .ctr of a step that no counter counts (sl_br_ingress passing) */

#define ST(s)	    ((s) + 1) /* expected SL_CT_STATE_* of both entries; 0: not checked */
#define CT_COUNT(n) ((n) + 1) /* expected number of sl_ct entries; 0: not checked */
#define ALSO(c)	    ((c) + 1) /* a second counter that rose with the first */

struct step {
	enum prog prog;
	unsigned int flags;    /* SF_* */
	enum iface_sel iface;  /* rewrite sl_ifaces[1] before sending, or IF_KEEP */
	unsigned int sleep_ms; /* wait this long before sending */
	struct frame in;
	int retval;		    /* TC_ACT_* (the XDP run expects its XDP_* equivalent) */
	int ctr;		    /* enum sl_ctr that counts this frame, or CTR_NONE */
	int also;		    /* ALSO(enum sl_ctr) that rose by the same, or 0 */
	enum redir redirect;	    /* RD_* */
	__u32 ifindex;		    /* redirect target */
	struct frame out;	    /* expected when redirected, or rewritten (.out.saddr set) */
	__u32 svc_id;		    /* NAT verdicts: the mapping of the flow */
	int state;		    /* NAT verdicts: ST(SL_CT_STATE_*) afterwards, or 0 */
	int ct_count;		    /* CT_COUNT(n) afterwards, or 0 */
	const struct ct_want *flow; /* NAT verdicts of hairpin flows: the entries; or NULL */
	bool ct_gone;		    /* web (CT_IP) removed from sl_endpoints before sending */
};

#define MAX_STEPS 6

struct nat_case {
	const char *name;
	unsigned int setup; /* SETUP_* */
	struct step steps[MAX_STEPS];
};

#define F_SYN PKT_TCP_SYN
#define F_SA  (PKT_TCP_SYN | PKT_TCP_ACK)
#define F_ACK PKT_TCP_ACK
#define F_FA  (PKT_TCP_FIN | PKT_TCP_ACK)
#define F_RST PKT_TCP_RST
#define F_RA  (PKT_TCP_RST | PKT_TCP_ACK)

/* Layer 2 of each direction. */
#define ETH_FROM_CLIENT .eth_dst = mac_uplink, .eth_src = mac_client /* arriving on the uplink */
#define ETH_TO_CT	.eth_dst = mac_ct, .eth_src = mac_ct_gw	     /* DNATed into the container */
#define ETH_FROM_CT	.eth_dst = mac_ct_gw, .eth_src = mac_ct	     /* a reply, leaving it */
#define ETH_TO_CLIENT	.eth_dst = mac_client, .eth_src = mac_uplink /* reverse NATed out */

/* Any IPv4 frame: Ethernet destination and source, then src:sp -> dst:dp. */
#define FRAME(k, mac_dst, mac_src, src, sp, dst, dp, fl, ...)                                      \
	{                                                                                          \
		.kind = k, .eth_dst = mac_dst, .eth_src = mac_src, .saddr = src, .daddr = dst,     \
		.sport = sp, .dport = dp, .flags = fl, __VA_ARGS__                                 \
	}
/* Any frame on the uplink, from the client's MAC. */
#define UP_FRAME(k, src, dst, sp, dp, fl, ...)                                                     \
	{                                                                                          \
		.kind = k, ETH_FROM_CLIENT, .saddr = src, .daddr = dst, .sport = sp, .dport = dp,  \
		.flags = fl, __VA_ARGS__                                                           \
	}
/* A DNATed frame, into the container (the TTL is the caller's: 63 normally). */
#define DN_FRAME(k, src, sp, dp, fl, ...)                                                          \
	{                                                                                          \
		.kind = k, ETH_TO_CT, .saddr = src, .daddr = CT_IP, .sport = sp, .dport = dp,      \
		.flags = fl, __VA_ARGS__                                                           \
	}
/* client:40000 -> host:hport, as it arrives. */
#define C2H(k, hport, fl, ...) UP_FRAME(k, CLIENT_IP, HOST_IP, CLIENT_PORT, hport, fl, __VA_ARGS__)
/* client:40000 -> container:cport after DNAT, TTL 63. */
#define C2CT(k, cport, fl, ...)                                                                    \
	DN_FRAME(k, CLIENT_IP, CLIENT_PORT, cport, fl, .ttl = 63, __VA_ARGS__)
/* container:cport -> client:40000, a reply as it leaves the container. */
#define CT2C(k, cport, fl, ...)                                                                    \
	{                                                                                          \
		.kind = k, ETH_FROM_CT, .saddr = CT_IP, .daddr = CLIENT_IP, .sport = cport,        \
		.dport = CLIENT_PORT, .flags = fl, __VA_ARGS__                                     \
	}
/* host:hport -> client:40000 after reverse NAT, TTL 63. */
#define H2C(k, hport, fl, ...)                                                                     \
	{                                                                                          \
		.kind = k, ETH_TO_CLIENT, .saddr = HOST_IP, .daddr = CLIENT_IP, .sport = hport,    \
		.dport = CLIENT_PORT, .flags = fl, .ttl = 63, __VA_ARGS__                          \
	}

/* Steps used by many cases. */
#define STEP_SYN_8080                                                                              \
	{                                                                                          \
		.prog = P_UP, .in = C2H(FK_TCP, 8080, F_SYN), .retval = TC_ACT_REDIRECT,           \
		.ctr = SL_CTR_NAT_NEW, .redirect = RD_PEER, .ifindex = CT_IFINDEX,                 \
		.out = C2CT(FK_TCP, 80, F_SYN), .svc_id = 1, .state = ST(SL_CT_STATE_NEW),         \
		.ct_count = CT_COUNT(2),                                                           \
	}
/* The same after the 4-tuple's flow was closed: a fresh flow replaces it. */
#define STEP_SYN_8080_REUSE                                                                        \
	{                                                                                          \
		.prog = P_UP, .in = C2H(FK_TCP, 8080, F_SYN), .retval = TC_ACT_REDIRECT,           \
		.ctr = SL_CTR_NAT_NEW, .also = ALSO(SL_CTR_CT_REUSED), .redirect = RD_PEER,        \
		.ifindex = CT_IFINDEX, .out = C2CT(FK_TCP, 80, F_SYN), .svc_id = 1,                \
		.state = ST(SL_CT_STATE_NEW), .ct_count = CT_COUNT(2),                             \
	}
#define STEP_SYNACK_REPLY                                                                          \
	{                                                                                          \
		.prog = P_EP, .in = CT2C(FK_TCP, 80, F_SA), .retval = TC_ACT_REDIRECT,             \
		.ctr = SL_CTR_NAT_REPLY, .redirect = RD_EGRESS, .ifindex = UPLINK_IFINDEX,         \
		.out = H2C(FK_TCP, 8080, F_SA), .svc_id = 1, .state = ST(SL_CT_STATE_ESTABLISHED), \
		.ct_count = CT_COUNT(2),                                                           \
	}
/* A frame the uplink hands to the host stack untouched. */
#define STEP_UPLINK_PASS(...) STEP_UPLINK_PASS_F(0, __VA_ARGS__)
#define STEP_UPLINK_PASS_F(sf, ...)                                                                \
	{                                                                                          \
		.prog = P_UP, .flags = sf, .in = __VA_ARGS__, .retval = TC_ACT_OK,                 \
		.ctr = SL_CTR_UPLINK_PASS, .ct_count = CT_COUNT(0),                                \
	}

/* UDP to 5353, DNATed to web:53, and web's reply; args: more frame fields of both. */
#define STEP_UDP_5353(...)                                                                         \
	{                                                                                          \
		.prog = P_UP, .in = C2H(FK_UDP, 5353, 0, __VA_ARGS__), .retval = TC_ACT_REDIRECT,  \
		.ctr = SL_CTR_NAT_NEW, .redirect = RD_PEER, .ifindex = CT_IFINDEX,                 \
		.out = C2CT(FK_UDP, 53, 0, __VA_ARGS__), .svc_id = 3,                              \
		.state = ST(SL_CT_STATE_NEW), .ct_count = CT_COUNT(2),                             \
	}
#define STEP_UDP_5353_REPLY(...)                                                                   \
	{                                                                                          \
		.prog = P_EP, .in = CT2C(FK_UDP, 53, 0, __VA_ARGS__), .retval = TC_ACT_REDIRECT,   \
		.ctr = SL_CTR_NAT_REPLY, .redirect = RD_EGRESS, .ifindex = UPLINK_IFINDEX,         \
		.out = H2C(FK_UDP, 5353, 0, __VA_ARGS__), .svc_id = 3,                             \
		.state = ST(SL_CT_STATE_ESTABLISHED), .ct_count = CT_COUNT(2),                     \
	}

/*
 * ICMP errors (bpf/lib/icmp.h): src -> dst, type typ, code cod, quoting the
 * packet q (a frame macro: built whole, then cut after .quote bytes of its
 * L4 segment, 0 for all of it). A braced frame passed on to another macro
 * would be split at its commas: the macros below hand it on in parentheses
 * (pq), which ICMP_ERR_P strips.
 */
#define UNPAREN(...) __VA_ARGS__
#define ICMP_ERR_P(mac_dst, mac_src, src, dst, typ, cod, pq, ...)                                  \
	{                                                                                          \
		.kind = FK_ICMP_ERR, .eth_dst = mac_dst, .eth_src = mac_src, .saddr = src,         \
		.daddr = dst, .icmp_type = typ, .icmp_code = cod,                                  \
		.inner = &(const struct frame)UNPAREN pq, __VA_ARGS__                              \
	}
#define ICMP_ERR(mac_dst, mac_src, src, dst, typ, cod, q, ...)                                     \
	ICMP_ERR_P(mac_dst, mac_src, src, dst, typ, cod, (q), __VA_ARGS__)
/* From a router on the client's path (next hop: the client's MAC here) to dst, on the uplink. */
#define RT_ERR(dst, typ, cod, q, ...)                                                              \
	ICMP_ERR_P(mac_uplink, mac_client, ROUTER_IP, dst, typ, cod, (q), __VA_ARGS__)
/* From web to dst (as web's kernel sends it: the whole packet quoted, unless .quote). */
#define CT_ERR(dst, typ, cod, q, ...)                                                              \
	ICMP_ERR_P(mac_ct_gw, mac_ct, CT_IP, dst, typ, cod, (q), __VA_ARGS__)

#define ICMP_UNREACH	    3
#define ICMP_TIME_EXCEEDED  11
#define ICMP_PARAM_PROBLEM  12
#define CODE_PORT_UNREACH   3
#define CODE_FRAG_NEEDED    4
#define CODE_ADMIN_PROHIBIT 13
#define QUOTE_PORTS	    8  /* the least an ICMP error quotes (RFC 792) */
#define QUOTE_TCP_CSUM	    18 /* TCP up to its checksum field */
#define QUOTE_TCP_HDR	    20

/*
 * A router's error about a reply we sent (host:hport -> client), translated
 * into web: about web:cport -> client. q, qt: the quoted packet before and
 * after; args: more fields of both ICMP frames.
 */
#define STEP_ICMP_IN(typ, cod, q, qt, ...)                                                         \
	{                                                                                          \
		.prog = P_UP,                                                                      \
		.in = ICMP_ERR_P(mac_uplink, mac_client, ROUTER_IP, HOST_IP, typ, cod, (q),        \
				 __VA_ARGS__),                                                     \
		.retval = TC_ACT_REDIRECT, .ctr = SL_CTR_ICMP_IN, .redirect = RD_PEER,             \
		.ifindex = CT_IFINDEX,                                                             \
		.out = ICMP_ERR_P(mac_ct, mac_ct_gw, ROUTER_IP, CT_IP, typ, cod, (qt), .ttl = 63,  \
				  __VA_ARGS__),                                                    \
		.ct_count = CT_COUNT(2),                                                           \
	}
/*
 * web's error about a packet of an uplink flow it received (client ->
 * web:cport), translated: about client -> host:hport, out of the uplink.
 */
#define STEP_ICMP_OUT(typ, cod, q, qt, ...)                                                        \
	{                                                                                          \
		.prog = P_EP,                                                                      \
		.in = ICMP_ERR_P(mac_ct_gw, mac_ct, CT_IP, CLIENT_IP, typ, cod, (q), __VA_ARGS__), \
		.retval = TC_ACT_REDIRECT, .ctr = SL_CTR_ICMP_OUT, .redirect = RD_EGRESS,          \
		.ifindex = UPLINK_IFINDEX,                                                         \
		.out = ICMP_ERR_P(mac_client, mac_uplink, HOST_IP, CLIENT_IP, typ, cod, (qt),      \
				  .ttl = 63, __VA_ARGS__),                                         \
		.ct_count = CT_COUNT(2),                                                           \
	}
/* An ICMP error the uplink leaves to the host stack untouched (n sl_ct entries). */
#define STEP_ICMP_UPLINK_PASS(n, ...)                                                              \
	{                                                                                          \
		.prog = P_UP, .in = __VA_ARGS__, .retval = TC_ACT_OK, .ctr = SL_CTR_UPLINK_PASS,   \
		.ct_count = CT_COUNT(n),                                                           \
	}
/* A container's ICMP error not translated: the host stack's, as any packet to dst. */
#define STEP_ICMP_EP_PASS(n, ...)                                                                  \
	{                                                                                          \
		.prog = P_EP, .in = __VA_ARGS__, .retval = TC_ACT_OK, .ctr = SL_CTR_PASS_HOST,     \
		.ct_count = CT_COUNT(n),                                                           \
	}

/* The reply of a TCP flow to 8080 as it left the host, and as web sent it. */
#define Q_H2C_SA  H2C(FK_TCP, 8080, F_SA)
#define Q_CT2C_SA CT2C(FK_TCP, 80, F_SA, .ttl = 63)

/*
 * Hairpin flows (P_EP steps; sl_ifaces[1] names the sender, so its REPLY
 * entry records ifindex 1 as the client's veth). CT2 reaches web through the
 * host's published port 8080: replies go back into CT2 (SL_CT_F_PEER).
 */
static const struct ct_want hp_peer = {
	.client = CT2_IP,
	.client_port = CLIENT_PORT,
	.host = HOST_IP,
	.host_port = 8080,
	.ct = CT_IP,
	.ct_port = 80,
	.flags = SL_CT_F_PEER,
	.reply_ifindex = VETH_IFINDEX,
	.peer_mac = mac_ct2,
	.host_mac = mac_ct2_gw,
};

/* CT2's SYN to 10.200.0.1:8080 (sl_ifaces[1] = CT2): DNATed into web. */
#define STEP_HP_PEER_SYN                                                                           \
	{                                                                                          \
		.prog = P_EP,                                                                      \
		.in = FRAME(FK_TCP, mac_ct2_gw, mac_ct2, CT2_IP, CLIENT_PORT, HOST_IP, 8080,       \
			    F_SYN),                                                                \
		.retval = TC_ACT_REDIRECT, .ctr = SL_CTR_NAT_NEW, .redirect = RD_PEER,             \
		.ifindex = CT_IFINDEX,                                                             \
		.out = FRAME(FK_TCP, mac_ct, mac_ct_gw, CT2_IP, CLIENT_PORT, CT_IP, 80, F_SYN,     \
			     .ttl = 63),                                                           \
		.svc_id = 1, .state = ST(SL_CT_STATE_NEW), .ct_count = CT_COUNT(2),                \
		.flow = &hp_peer,                                                                  \
	}

/* web reaches itself through port 8080: source-NATed to its gateway (SL_CT_F_SNAT). */
static const struct ct_want hp_self = {
	.client = CT_IP,
	.client_port = CLIENT_PORT,
	.host = HOST_IP,
	.host_port = 8080,
	.ct = CT_IP,
	.ct_port = 80,
	.snat = CT_GW_IP,
	.flags = SL_CT_F_PEER | SL_CT_F_SNAT,
	.reply_ifindex = VETH_IFINDEX,
	.peer_mac = mac_ct,
	.host_mac = mac_ct_gw,
};

/* The same over UDP, port 5353 -> 53. */
static const struct ct_want hp_self_udp = {
	.client = CT_IP,
	.client_port = CLIENT_PORT,
	.host = HOST_IP,
	.host_port = 5353,
	.ct = CT_IP,
	.ct_port = 53,
	.snat = CT_GW_IP,
	.flags = SL_CT_F_PEER | SL_CT_F_SNAT,
	.reply_ifindex = VETH_IFINDEX,
	.peer_mac = mac_ct,
	.host_mac = mac_ct_gw,
};

/* web's self-hairpin SYN: DNAT to itself, SNAT to the gateway, into web again. */
#define STEP_SELF_HAIRPIN_SYN                                                                      \
	{                                                                                          \
		.prog = P_EP,                                                                      \
		.in = FRAME(FK_TCP, mac_ct_gw, mac_ct, CT_IP, CLIENT_PORT, HOST_IP, 8080, F_SYN),  \
		.retval = TC_ACT_REDIRECT, .ctr = SL_CTR_NAT_NEW, .redirect = RD_PEER,             \
		.ifindex = CT_IFINDEX,                                                             \
		.out = FRAME(FK_TCP, mac_ct, mac_ct_gw, CT_GW_IP, CLIENT_PORT, CT_IP, 80, F_SYN,   \
			     .ttl = 63),                                                           \
		.svc_id = 1, .state = ST(SL_CT_STATE_NEW), .ct_count = CT_COUNT(2),                \
		.flow = &hp_self,                                                                  \
	}

/*
 * External backends (mappings 6 and 7: Docker containers behind
 * sluice-proxy). From the uplink: DNATed by tc and routed by the host stack;
 * the backend's reply, arriving on its bridge, goes out of the uplink.
 */
static const struct ct_want ext_up = {
	.client = CLIENT_IP,
	.client_port = CLIENT_PORT,
	.host = HOST_IP,
	.host_port = 8088,
	.ct = DK_WEB_IP,
	.ct_port = 80,
	.flags = SL_CT_F_EXTERNAL,
	.reply_ifindex = UPLINK_IFINDEX,
	.peer_mac = mac_client,
	.host_mac = mac_uplink,
};

/*
 * Bridge hairpin (P_BR): a container on the bridge (cl, MAC mac) ->
 * h:hport -> dk_web:bport on the same bridge, source-NATed to the host
 * address h the client used, both ways out of the bridge.
 */
#define BR_HP_FLOW(cl, mac, h, hport, bport)                                                       \
	{                                                                                          \
		.client = cl, .client_port = CLIENT_PORT, .host = h, .host_port = hport,           \
		.ct = DK_WEB_IP, .ct_port = bport, .snat = h,                                      \
		.flags = SL_CT_F_EXTERNAL | SL_CT_F_PEER | SL_CT_F_SNAT,                           \
		.reply_ifindex = BRIDGE_IFINDEX, .peer_mac = mac, .host_mac = mac_br,              \
	}
static const struct ct_want br_hp = BR_HP_FLOW(DK_IP, mac_dk, HOST_IP, 8088, 80);
/* through the bridge's own address: the SNAT source follows */
static const struct ct_want br_hp_gw = BR_HP_FLOW(DK_IP, mac_dk, DK_GW_IP, 8088, 80);
/* dk_web reaching itself: the same SNAT */
static const struct ct_want br_hp_self = BR_HP_FLOW(DK_WEB_IP, mac_dk_web, HOST_IP, 8088, 80);
static const struct ct_want br_hp_udp = BR_HP_FLOW(DK_IP, mac_dk, HOST_IP, 8089, 53);

/*
 * A SYN from the uplink for an external backend: DNATed, MACs and TTL
 * untouched, and passed on (TC_ACT_OK) for the host stack to route. XDP
 * passes it to tc.
 */
#define STEP_EXT_SYN                                                                               \
	{                                                                                          \
		.prog = P_UP, .flags = SF_XDP_TO_TC, .in = C2H(FK_TCP, 8088, F_SYN),               \
		.retval = TC_ACT_OK, .ctr = SL_CTR_NAT_NEW,                                        \
		.out = UP_FRAME(FK_TCP, CLIENT_IP, DK_WEB_IP, CLIENT_PORT, 80, F_SYN),             \
		.svc_id = 6, .state = ST(SL_CT_STATE_NEW), .ct_count = CT_COUNT(2),                \
		.flow = &ext_up,                                                                   \
	}

/* Its SYN-ACK from the Docker container, reverse-NATed out of the uplink. */
#define STEP_EXT_SYNACK_REPLY                                                                      \
	{                                                                                          \
		.prog = P_BR,                                                                      \
		.in = FRAME(FK_TCP, mac_br, mac_dk_web, DK_WEB_IP, 80, CLIENT_IP, CLIENT_PORT,     \
			    F_SA),                                                                 \
		.retval = TC_ACT_REDIRECT, .ctr = SL_CTR_NAT_REPLY, .redirect = RD_EGRESS,         \
		.ifindex = UPLINK_IFINDEX, .out = H2C(FK_TCP, 8088, F_SA), .svc_id = 6,            \
		.state = ST(SL_CT_STATE_ESTABLISHED), .ct_count = CT_COUNT(2), .flow = &ext_up,    \
	}

/* A frame from the bridge: to the bridge's MAC (the sender's gateway). */
#define BR_IN(k, mac, src, dst, dport, fl, ...)                                                    \
	FRAME(k, mac_br, mac, src, CLIENT_PORT, dst, dport, fl, __VA_ARGS__)
/*
 * A client -> backend frame of a bridge hairpin flow (src, MAC mac, to
 * dst:hport): DNATed to dk_web:bport, source-NATed to dst, TTL 63, MACs
 * untouched (redirect_neigh fills them in) and out of the bridge.
 */
#define STEP_BR_HAIRPIN(k, mac, src, dst, hport, bport, fl, verdict, st, svc, w)                   \
	{                                                                                          \
		.prog = P_BR, .in = BR_IN(k, mac, src, dst, hport, fl), .retval = TC_ACT_REDIRECT, \
		.ctr = verdict, .redirect = RD_NEIGH, .ifindex = BRIDGE_IFINDEX,                   \
		.out = FRAME(k, mac_br, mac, dst, CLIENT_PORT, DK_WEB_IP, bport, fl, .ttl = 63),   \
		.svc_id = svc, .state = ST(st), .ct_count = CT_COUNT(2), .flow = w,                \
	}
/* dk's SYN to 10.200.0.1:8088: a new bridge hairpin flow. */
#define STEP_BR_HAIRPIN_SYN                                                                        \
	STEP_BR_HAIRPIN(FK_TCP, mac_dk, DK_IP, HOST_IP, 8088, 80, F_SYN, SL_CTR_NAT_NEW,           \
			SL_CT_STATE_NEW, 6, &br_hp)
/*
 * dk_web's reply to the host address: from host:hport to the client again,
 * with the client's MAC, plain redirect out of the bridge.
 */
#define STEP_BR_HAIRPIN_REPLY(k, mac, dst, hport, bport, fl, st, svc, w)                           \
	{                                                                                          \
		.prog = P_BR,                                                                      \
		.in = FRAME(k, mac_br, mac_dk_web, DK_WEB_IP, bport, HOST_IP, CLIENT_PORT, fl),    \
		.retval = TC_ACT_REDIRECT, .ctr = SL_CTR_NAT_REPLY, .redirect = RD_EGRESS,         \
		.ifindex = BRIDGE_IFINDEX,                                                         \
		.out = FRAME(k, mac, mac_br, HOST_IP, hport, dst, CLIENT_PORT, fl, .ttl = 63),     \
		.svc_id = svc, .state = ST(st), .ct_count = CT_COUNT(2), .flow = w,                \
	}
/* What sl_br_ingress leaves to the host stack: untouched, uncounted, n sl_ct entries. */
#define STEP_BR_PASS(n, ...)                                                                       \
	{                                                                                          \
		.prog = P_BR, .in = __VA_ARGS__, .retval = TC_ACT_OK, .ctr = CTR_NONE,             \
		.ct_count = CT_COUNT(n),                                                           \
	}

/* Router Alert: a harmless 4-byte IPv4 option. */
static const __u8 opt_router_alert[4] = {0x94, 0x04, 0x00, 0x00};

static const struct nat_case cases[] = {
	/* new flows through a 0.0.0.0 mapping */
	{
		/* ORIG and REPLY entries, svc_stats[1] = 1 packet, 1 flow: checked for
		 * every NAT_NEW step by check_nat_step() */
		.name = "tcp_syn_wildcard_dnat",
		.steps = {STEP_SYN_8080},
	},
	{
		.name = "tcp_handshake_reply_then_ack",
		.steps =
			{
				STEP_SYN_8080,
				STEP_SYNACK_REPLY,
				{
					.prog = P_UP,
					.in = C2H(FK_TCP, 8080, F_ACK),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_FWD,
					.redirect = RD_PEER,
					.ifindex = CT_IFINDEX,
					.out = C2CT(FK_TCP, 80, F_ACK),
					.svc_id = 1,
					.state = ST(SL_CT_STATE_ESTABLISHED),
					.ct_count = CT_COUNT(2),
				},
			},
	},
	{
		/* a client packet does not establish the flow: only a reply does */
		.name = "tcp_ack_before_reply_stays_new",
		.steps =
			{
				STEP_SYN_8080,
				{
					.prog = P_UP,
					.in = C2H(FK_TCP, 8080, F_ACK),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_FWD,
					.redirect = RD_PEER,
					.ifindex = CT_IFINDEX,
					.out = C2CT(FK_TCP, 80, F_ACK),
					.svc_id = 1,
					.state = ST(SL_CT_STATE_NEW),
					.ct_count = CT_COUNT(2),
				},
			},
	},
	{
		/* a retransmitted SYN belongs to the open flow: no second flow counted */
		.name = "tcp_syn_retransmit_same_flow",
		.steps =
			{
				STEP_SYN_8080,
				{
					.prog = P_UP,
					.in = C2H(FK_TCP, 8080, F_SYN),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_FWD,
					.redirect = RD_PEER,
					.ifindex = CT_IFINDEX,
					.out = C2CT(FK_TCP, 80, F_SYN),
					.svc_id = 1,
					.state = ST(SL_CT_STATE_NEW),
					.ct_count = CT_COUNT(2),
				},
			},
	},
	/* a mapping bound to one host address */
	{
		.name = "exact_addr_mapping",
		.steps = {{
			.prog = P_UP,
			.in = C2H(FK_TCP, 8081, F_SYN),
			.retval = TC_ACT_REDIRECT,
			.ctr = SL_CTR_NAT_NEW,
			.redirect = RD_PEER,
			.ifindex = CT_IFINDEX,
			.out = C2CT(FK_TCP, 81, F_SYN),
			.svc_id = 2,
			.state = ST(SL_CT_STATE_NEW),
			.ct_count = CT_COUNT(2),
		}},
	},
	{
		.name = "exact_addr_mapping_other_daddr_passes",
		.steps = {STEP_UPLINK_PASS(
			UP_FRAME(FK_TCP, CLIENT_IP, HOST_OTHER_IP, CLIENT_PORT, 8081, F_SYN))},
	},
	/* UDP */
	{
		.name = "udp_wildcard_dnat",
		.steps = {{
			.prog = P_UP,
			.in = C2H(FK_UDP, 5353, 0),
			.retval = TC_ACT_REDIRECT,
			.ctr = SL_CTR_NAT_NEW,
			.redirect = RD_PEER,
			.ifindex = CT_IFINDEX,
			.out = C2CT(FK_UDP, 53, 0),
			.svc_id = 3,
			.state = ST(SL_CT_STATE_NEW),
			.ct_count = CT_COUNT(2),
		}},
	},
	{
		/* "no checksum" must not turn into a (wrong) checksum */
		.name = "udp_zero_checksum_stays_zero",
		.steps = {{
			.prog = P_UP,
			.in = C2H(FK_UDP, 5353, 0, .udp_no_csum = true),
			.retval = TC_ACT_REDIRECT,
			.ctr = SL_CTR_NAT_NEW,
			.redirect = RD_PEER,
			.ifindex = CT_IFINDEX,
			.out = C2CT(FK_UDP, 53, 0, .udp_no_csum = true),
			.svc_id = 3,
			.state = ST(SL_CT_STATE_NEW),
			.ct_count = CT_COUNT(2),
		}},
	},
	{
		.name = "udp_reply_nat",
		.steps =
			{
				{
					.prog = P_UP,
					.in = C2H(FK_UDP, 5353, 0),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_NEW,
					.redirect = RD_PEER,
					.ifindex = CT_IFINDEX,
					.out = C2CT(FK_UDP, 53, 0),
					.svc_id = 3,
					.state = ST(SL_CT_STATE_NEW),
					.ct_count = CT_COUNT(2),
				},
				{
					.prog = P_EP,
					.in = CT2C(FK_UDP, 53, 0),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_REPLY,
					.redirect = RD_EGRESS,
					.ifindex = UPLINK_IFINDEX,
					.out = H2C(FK_UDP, 5353, 0),
					.svc_id = 3,
					.state = ST(SL_CT_STATE_ESTABLISHED),
					.ct_count = CT_COUNT(2),
				},
			},
	},
	/* TCP without a flow */
	{
		.name = "tcp_ack_without_flow_passes",
		.steps = {{
			.prog = P_UP,
			.in = C2H(FK_TCP, 8080, F_ACK),
			.retval = TC_ACT_OK,
			.ctr = SL_CTR_PASS_NO_FLOW,
			.ct_count = CT_COUNT(0),
		}},
	},
	/* closing and reusing a 4-tuple */
	{
		.name = "tcp_rst_closes_then_new_syn",
		.steps =
			{
				STEP_SYN_8080,
				STEP_SYNACK_REPLY,
				{
					.prog = P_UP,
					.in = C2H(FK_TCP, 8080, F_RST),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_FWD,
					.redirect = RD_PEER,
					.ifindex = CT_IFINDEX,
					.out = C2CT(FK_TCP, 80, F_RST),
					.svc_id = 1,
					.state = ST(SL_CT_STATE_CLOSED),
					.ct_count = CT_COUNT(2),
				},
				/* a fresh flow: NAT_NEW, state NEW, flows +1 */
				STEP_SYN_8080_REUSE,
			},
	},
	{
		.name = "tcp_fin_closing_then_new_syn",
		.steps =
			{
				STEP_SYN_8080,
				STEP_SYNACK_REPLY,
				{
					.prog = P_UP,
					.in = C2H(FK_TCP, 8080, F_FA),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_FWD,
					.redirect = RD_PEER,
					.ifindex = CT_IFINDEX,
					.out = C2CT(FK_TCP, 80, F_FA),
					.svc_id = 1,
					.state = ST(SL_CT_STATE_CLOSING),
					.ct_count = CT_COUNT(2),
				},
				{
					.prog = P_EP,
					.in = CT2C(FK_TCP, 80, F_FA),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_REPLY,
					.redirect = RD_EGRESS,
					.ifindex = UPLINK_IFINDEX,
					.out = H2C(FK_TCP, 8080, F_FA),
					.svc_id = 1,
					.state = ST(SL_CT_STATE_CLOSING),
					.ct_count = CT_COUNT(2),
				},
				STEP_SYN_8080_REUSE,
			},
	},
	{
		/* the container's port is closed: it answers the SYN with RST|ACK */
		.name = "tcp_reply_rst_closes",
		.steps =
			{
				STEP_SYN_8080,
				{
					.prog = P_EP,
					.in = CT2C(FK_TCP, 80, F_RA),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_REPLY,
					.redirect = RD_EGRESS,
					.ifindex = UPLINK_IFINDEX,
					.out = H2C(FK_TCP, 8080, F_RA),
					.svc_id = 1,
					.state = ST(SL_CT_STATE_CLOSED),
					.ct_count = CT_COUNT(2),
				},
			},
	},
	/* --allow */
	{
		.name = "allow_source_in_list",
		.steps = {{
			.prog = P_UP,
			.in = UP_FRAME(FK_TCP, ALLOWED_IP, HOST_IP, CLIENT_PORT, 9090, F_SYN),
			.retval = TC_ACT_REDIRECT,
			.ctr = SL_CTR_NAT_NEW,
			.redirect = RD_PEER,
			.ifindex = CT_IFINDEX,
			.out = DN_FRAME(FK_TCP, ALLOWED_IP, CLIENT_PORT, 90, F_SYN, .ttl = 63),
			.svc_id = 4,
			.state = ST(SL_CT_STATE_NEW),
			.ct_count = CT_COUNT(2),
		}},
	},
	{
		.name = "allow_source_not_in_list",
		.steps = {{
			.prog = P_UP,
			.in = C2H(FK_TCP, 9090, F_SYN),
			.retval = TC_ACT_SHOT,
			.ctr = SL_CTR_DROP_NOT_ALLOWED,
			.ct_count = CT_COUNT(0),
		}},
	},
	/* the container is gone */
	{
		.name = "no_backend_dropped",
		.steps = {{
			.prog = P_UP,
			.in = C2H(FK_TCP, 7070, F_SYN),
			.retval = TC_ACT_SHOT,
			.ctr = SL_CTR_DROP_NO_BACKEND,
			.ct_count = CT_COUNT(0),
		}},
	},
	/* TTL: the host routes, so it decrements */
	{
		.name = "ttl_1_dropped",
		.steps = {{
			.prog = P_UP,
			.in = C2H(FK_TCP, 8080, F_SYN, .ttl = 1),
			.retval = TC_ACT_SHOT,
			.ctr = SL_CTR_DROP_TTL,
			.ct_count = CT_COUNT(0),
		}},
	},
	{
		.name = "ttl_2_forwarded_with_ttl_1",
		.steps = {{
			.prog = P_UP,
			.in = C2H(FK_TCP, 8080, F_SYN, .ttl = 2),
			.retval = TC_ACT_REDIRECT,
			.ctr = SL_CTR_NAT_NEW,
			.redirect = RD_PEER,
			.ifindex = CT_IFINDEX,
			.out = DN_FRAME(FK_TCP, CLIENT_IP, CLIENT_PORT, 80, F_SYN, .ttl = 1),
			.svc_id = 1,
			.state = ST(SL_CT_STATE_NEW),
			.ct_count = CT_COUNT(2),
		}},
	},
	{
		.name = "tracked_flow_ttl_1_dropped",
		.steps =
			{
				STEP_SYN_8080,
				{
					.prog = P_UP,
					.in = C2H(FK_TCP, 8080, F_ACK, .ttl = 1),
					.retval = TC_ACT_SHOT,
					.ctr = SL_CTR_DROP_TTL,
					.ct_count = CT_COUNT(2),
				},
			},
	},
	{
		.name = "reply_ttl_1_dropped",
		.steps =
			{
				STEP_SYN_8080,
				{
					.prog = P_EP,
					.in = CT2C(FK_TCP, 80, F_SA, .ttl = 1),
					.retval = TC_ACT_SHOT,
					.ctr = SL_CTR_DROP_TTL,
					.ct_count = CT_COUNT(2),
				},
			},
	},
	/* fragments */
	{
		.name = "first_fragment_dropped",
		.steps = {{
			.prog = P_UP,
			.in = C2H(FK_TCP, 8080, F_SYN, .frag_off = 0x2000 /* MF, offset 0 */),
			.retval = TC_ACT_SHOT,
			.ctr = SL_CTR_DROP_FRAGMENT,
			.ct_count = CT_COUNT(0),
		}},
	},
	{
		/* offset 1480: no L4 header, whatever its bytes look like */
		.name = "later_fragment_passes",
		.steps = {STEP_UPLINK_PASS(C2H(FK_TCP, 8080, F_SYN, .frag_off = 0x00b9))},
	},
	/* IPv4 options: L4 at offset 14 + 24 */
	{
		.name = "ip_options_dnat",
		.steps = {{
			.prog = P_UP,
			.in = C2H(FK_TCP, 8080, F_SYN, .opt_len = 4),
			.retval = TC_ACT_REDIRECT,
			.ctr = SL_CTR_NAT_NEW,
			.redirect = RD_PEER,
			.ifindex = CT_IFINDEX,
			.out = C2CT(FK_TCP, 80, F_SYN, .opt_len = 4),
			.svc_id = 1,
			.state = ST(SL_CT_STATE_NEW),
			.ct_count = CT_COUNT(2),
		}},
	},
	{
		.name = "ip_options_reply_nat",
		.steps =
			{
				STEP_SYN_8080,
				{
					.prog = P_EP,
					.in = CT2C(FK_TCP, 80, F_SA, .opt_len = 4),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_REPLY,
					.redirect = RD_EGRESS,
					.ifindex = UPLINK_IFINDEX,
					.out = H2C(FK_TCP, 8080, F_SA, .opt_len = 4),
					.svc_id = 1,
					.state = ST(SL_CT_STATE_ESTABLISHED),
					.ct_count = CT_COUNT(2),
				},
			},
	},
	/* not for a published port */
	{
		.name = "unmapped_port_passes",
		.steps = {STEP_UPLINK_PASS(C2H(FK_TCP, 9999, F_SYN))},
	},
	{
		.name = "udp_to_tcp_only_port_passes",
		.steps = {STEP_UPLINK_PASS(C2H(FK_UDP, 8080, 0))},
	},
	{
		.name = "icmp_passes",
		.steps = {STEP_UPLINK_PASS(C2H(FK_ICMP, 0, 0))},
	},
	{
		.name = "arp_passes",
		.steps = {STEP_UPLINK_PASS(C2H(FK_ARP, 0, 0))},
	},
	{
		.name = "ipv6_passes",
		.steps = {STEP_UPLINK_PASS(C2H(FK_IPV6, 8080, F_SYN))},
	},
	{
		.name = "truncated_tcp_passes",
		.steps = {STEP_UPLINK_PASS(C2H(FK_TCP_TRUNC, 8080, 0))},
	},
	{
		/* IHL 6, but the frame ends after 20 header bytes */
		.name = "ip_options_cut_off_passes",
		.steps = {STEP_UPLINK_PASS(
			C2H(FK_TCP, 8080, F_SYN, .opt_len = 4, .trim = ETH_HLEN + 20))},
	},
	/*
	 * Shorter still. tc's test_run refuses an IPv4 frame with fewer than 20
	 * bytes after the Ethernet header (EINVAL), XDP's takes any frame of 14
	 * bytes or more: these run through XDP only. Under 14 bytes both refuse
	 * (6.18); the step runs wherever a kernel accepts it.
	 */
	{
		.name = "eth_header_only_passes",
		.steps = {STEP_UPLINK_PASS_F(SF_XDP_ONLY,
					     C2H(FK_TCP, 8080, F_SYN, .trim = ETH_HLEN))},
	},
	{
		.name = "ipv4_header_cut_passes",
		.steps = {STEP_UPLINK_PASS_F(SF_XDP_ONLY,
					     C2H(FK_TCP, 8080, F_SYN, .trim = ETH_HLEN + 10))},
	},
	{
		.name = "eth_header_cut_passes",
		.steps = {STEP_UPLINK_PASS_F(SF_MAY_REFUSE, C2H(FK_TCP, 8080, F_SYN, .trim = 10))},
	},
	/*
	 * A corrupt segment is forwarded with its error intact (the incremental
	 * update carries it over), so the receiver drops it: never "fixed".
	 */
	{
		.name = "bad_tcp_checksum_preserved",
		.steps = {{
			.prog = P_UP,
			.in = C2H(FK_TCP, 8080, F_SYN, .csum_err = 0x0101),
			.retval = TC_ACT_REDIRECT,
			.ctr = SL_CTR_NAT_NEW,
			.redirect = RD_PEER,
			.ifindex = CT_IFINDEX,
			.out = C2CT(FK_TCP, 80, F_SYN, .csum_err = 0x0101),
			.svc_id = 1,
			.state = ST(SL_CT_STATE_NEW),
			.ct_count = CT_COUNT(2),
		}},
	},
	{
		.name = "bad_tcp_checksum_reply_preserved",
		.steps =
			{
				STEP_SYN_8080,
				{
					.prog = P_EP,
					.in = CT2C(FK_TCP, 80, F_SA, .csum_err = 0x0101),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_REPLY,
					.redirect = RD_EGRESS,
					.ifindex = UPLINK_IFINDEX,
					.out = H2C(FK_TCP, 8080, F_SA, .csum_err = 0x0101),
					.svc_id = 1,
					.state = ST(SL_CT_STATE_ESTABLISHED),
					.ct_count = CT_COUNT(2),
				},
			},
	},
	/* replies that are not ours: sl_local_decide, here the host stack */
	{
		.name = "reply_without_flow_to_host",
		.steps = {{
			.prog = P_EP,
			.in = CT2C(FK_TCP, 80, F_SA),
			.retval = TC_ACT_OK,
			.ctr = SL_CTR_PASS_HOST,
			.ct_count = CT_COUNT(0),
		}},
	},
	{
		.name = "reply_from_other_port_to_host",
		.steps =
			{
				STEP_SYN_8080,
				{
					.prog = P_EP,
					.in = CT2C(FK_TCP, 81, F_SA),
					.retval = TC_ACT_OK,
					.ctr = SL_CTR_PASS_HOST,
					.ct_count = CT_COUNT(2),
				},
			},
	},
	/* is the destination of a 0.0.0.0 mapping a host address? (sl_hostaddrs) */
	{
		.name = "wildcard_nonlocal_dst_fwd_off_passes",
		.steps = {STEP_UPLINK_PASS(
			UP_FRAME(FK_TCP, CLIENT_IP, HOST_OTHER_IP, CLIENT_PORT, 8080, F_SYN))},
	},
	{
		.name = "wildcard_local_dst_fwd_on",
		.setup = SETUP_FWD_ON,
		.steps = {STEP_SYN_8080},
	},
	{
		.name = "wildcard_routed_dst_fwd_on_passes",
		.setup = SETUP_FWD_ON,
		.steps = {STEP_UPLINK_PASS(
			UP_FRAME(FK_TCP, CLIENT_IP, ROUTED_IP, CLIENT_PORT, 8080, F_SYN))},
	},
	{
		.name = "wildcard_unroutable_dst_fwd_on_passes",
		.setup = SETUP_FWD_ON,
		.steps = {STEP_UPLINK_PASS(
			UP_FRAME(FK_TCP, CLIENT_IP, UNROUTED_IP, CLIENT_PORT, 8080, F_SYN))},
	},
	{
		.name = "wildcard_broadcast_dst_fwd_on_passes",
		.setup = SETUP_FWD_ON,
		.steps = {STEP_UPLINK_PASS(
			UP_FRAME(FK_TCP, CLIENT_IP, BCAST_IP, CLIENT_PORT, 8080, F_SYN))},
	},
	/*
	 * Hairpin: a container reaches a published port of its own host. The
	 * sender's veth is ifindex 1 (lo) whichever container sends, so the
	 * sl_ifaces[1] entry is switched (.iface) each time the sender changes.
	 */
	{
		/* CT2 -> 10.200.0.1:8080 -> web; the reply goes back into CT2 */
		.name = "hairpin_container_to_published_port",
		.setup = SETUP_IF_CT2,
		.steps =
			{
				{
					.prog = P_EP,
					.in = FRAME(FK_TCP, mac_ct2_gw, mac_ct2,
						    CT2_IP, CLIENT_PORT, HOST_IP, 8080, F_SYN),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_NEW,
					.redirect = RD_PEER,
					.ifindex = CT_IFINDEX,
					.out = FRAME(FK_TCP, mac_ct, mac_ct_gw,
						     CT2_IP, CLIENT_PORT, CT_IP, 80,
						     F_SYN, .ttl = 63),
					.svc_id = 1,
					.state = ST(SL_CT_STATE_NEW),
					.ct_count = CT_COUNT(2),
					.flow = &hp_peer,
				},
				{
					/* web's SYN-ACK: into CT2 (redirect_peer), not the uplink */
					.prog = P_EP,
					.iface = IF_CT,
					.in = FRAME(FK_TCP, mac_ct_gw, mac_ct, CT_IP,
						    80, CT2_IP, CLIENT_PORT, F_SA),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_REPLY,
					.redirect = RD_PEER,
					.ifindex = VETH_IFINDEX,
					.out = FRAME(FK_TCP, mac_ct2, mac_ct2_gw, HOST_IP, 8080,
						     CT2_IP, CLIENT_PORT, F_SA, .ttl = 63),
					.svc_id = 1,
					.state = ST(SL_CT_STATE_ESTABLISHED),
					.ct_count = CT_COUNT(2),
					.flow = &hp_peer,
				},
				{
					/* CT2's ACK: a tracked flow now */
					.prog = P_EP,
					.iface = IF_CT2,
					.in = FRAME(FK_TCP, mac_ct2_gw, mac_ct2,
						    CT2_IP, CLIENT_PORT, HOST_IP, 8080, F_ACK),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_FWD,
					.redirect = RD_PEER,
					.ifindex = CT_IFINDEX,
					.out = FRAME(FK_TCP, mac_ct, mac_ct_gw,
						     CT2_IP, CLIENT_PORT, CT_IP, 80,
						     F_ACK, .ttl = 63),
					.svc_id = 1,
					.state = ST(SL_CT_STATE_ESTABLISHED),
					.ct_count = CT_COUNT(2),
					.flow = &hp_peer,
				},
			},
	},
	{
		/*
		 * web -> 10.200.0.1:8080 -> web: seen from 10.77.0.1 (the
		 * gateway), and the reply to 10.77.0.1 goes back to web from
		 * 10.200.0.1:8080
		 */
		.name = "hairpin_self_snat_to_gateway",
		.steps =
			{
				STEP_SELF_HAIRPIN_SYN,
				{
					.prog = P_EP,
					.in = FRAME(FK_TCP, mac_ct_gw, mac_ct, CT_IP, 80, CT_GW_IP,
						    CLIENT_PORT, F_SA),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_REPLY,
					.redirect = RD_PEER,
					.ifindex = VETH_IFINDEX,
					.out = FRAME(FK_TCP, mac_ct, mac_ct_gw, HOST_IP, 8080,
						     CT_IP, CLIENT_PORT, F_SA, .ttl = 63),
					.svc_id = 1,
					.state = ST(SL_CT_STATE_ESTABLISHED),
					.ct_count = CT_COUNT(2),
					.flow = &hp_self,
				},
				{
					.prog = P_EP,
					.in = FRAME(FK_TCP, mac_ct_gw, mac_ct, CT_IP, CLIENT_PORT,
						    HOST_IP, 8080, F_ACK),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_FWD,
					.redirect = RD_PEER,
					.ifindex = CT_IFINDEX,
					.out = FRAME(FK_TCP, mac_ct, mac_ct_gw, CT_GW_IP,
						     CLIENT_PORT, CT_IP, 80, F_ACK, .ttl = 63),
					.svc_id = 1,
					.state = ST(SL_CT_STATE_ESTABLISHED),
					.ct_count = CT_COUNT(2),
					.flow = &hp_self,
				},
			},
	},
	{
		/* both addresses of a UDP datagram rewritten: one checksum, two updates */
		.name = "hairpin_self_udp",
		.steps =
			{
				{
					.prog = P_EP,
					.in = FRAME(FK_UDP, mac_ct_gw, mac_ct, CT_IP, CLIENT_PORT,
						    HOST_IP, 5353, 0),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_NEW,
					.redirect = RD_PEER,
					.ifindex = CT_IFINDEX,
					.out = FRAME(FK_UDP, mac_ct, mac_ct_gw, CT_GW_IP,
						     CLIENT_PORT, CT_IP, 53, 0, .ttl = 63),
					.svc_id = 3,
					.state = ST(SL_CT_STATE_NEW),
					.ct_count = CT_COUNT(2),
					.flow = &hp_self_udp,
				},
				{
					.prog = P_EP,
					.in = FRAME(FK_UDP, mac_ct_gw, mac_ct, CT_IP, 53, CT_GW_IP,
						    CLIENT_PORT, 0),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_REPLY,
					.redirect = RD_PEER,
					.ifindex = VETH_IFINDEX,
					.out = FRAME(FK_UDP, mac_ct, mac_ct_gw, HOST_IP, 5353,
						     CT_IP, CLIENT_PORT, 0, .ttl = 63),
					.svc_id = 3,
					.state = ST(SL_CT_STATE_ESTABLISHED),
					.ct_count = CT_COUNT(2),
					.flow = &hp_self_udp,
				},
			},
	},
	{
		/*
		 * A self-hairpin flow's ORIG key, met on the uplink (a source
		 * spoofed as web's address): the tracked flow is continued. The
		 * right outcome for such a packet is open (it could as well be
		 * refused), but tc and XDP must agree on it: tc performs the
		 * flow's whole NAT, source to the gateway included, and so must
		 * XDP.
		 */
		/*
		 * A hairpin flow belongs to the container that opened it: an
		 * uplink packet with its 4-tuple (a spoofed source) is not
		 * part of it, and both hooks leave it to the host stack.
		 */
		.name = "self_hairpin_flow_on_uplink",
		.steps =
			{
				STEP_SELF_HAIRPIN_SYN,
				{
					.prog = P_UP,
					.in = UP_FRAME(FK_TCP, CT_IP, HOST_IP, CLIENT_PORT,
						       8080, F_ACK),
					.retval = TC_ACT_OK,
					.ctr = SL_CTR_UPLINK_PASS,
					.ct_count = CT_COUNT(2),
				},
			},
	},
	/*
	 * External backends: a Docker container behind sluice-proxy, on a
	 * bridge running sl_br_ingress (P_BR). From the uplink, tc DNATs and
	 * the host stack routes; XDP leaves the flow to tc (SF_XDP_TO_TC).
	 */
	{
		/* the backend's SYN-ACK, arriving on the bridge, leaves by the uplink */
		.name = "ext_uplink_syn_reply_ack",
		.steps =
			{
				STEP_EXT_SYN,
				STEP_EXT_SYNACK_REPLY,
				{
					.prog = P_UP,
					.flags = SF_XDP_TO_TC,
					.in = C2H(FK_TCP, 8088, F_ACK),
					.retval = TC_ACT_OK,
					.ctr = SL_CTR_NAT_FWD,
					.out = UP_FRAME(FK_TCP, CLIENT_IP, DK_WEB_IP, CLIENT_PORT,
							80, F_ACK),
					.svc_id = 6,
					.state = ST(SL_CT_STATE_ESTABLISHED),
					.ct_count = CT_COUNT(2),
					.flow = &ext_up,
				},
			},
	},
	{
		/*
		 * An uplink flow belongs to its remote client: its 4-tuple sent
		 * from the bridge (a forged source) is not part of it.
		 */
		.name = "ext_uplink_flow_from_bridge_passes",
		.steps =
			{
				STEP_EXT_SYN,
				STEP_BR_PASS(
					2, BR_IN(FK_TCP, mac_dk, CLIENT_IP, HOST_IP, 8088, F_ACK)),
			},
	},
	/*
	 * Bridge hairpin: a container on the bridge reaches a published port of
	 * the host whose backend is on that bridge. DNAT, and SNAT to the host
	 * address it used, so that the backend answers through us; both
	 * directions go back out of the bridge.
	 */
	{
		.name = "br_hairpin_tcp_handshake",
		.steps =
			{
				STEP_BR_HAIRPIN_SYN,
				STEP_BR_HAIRPIN_REPLY(FK_TCP, mac_dk, DK_IP, 8088, 80, F_SA,
						      SL_CT_STATE_ESTABLISHED, 6, &br_hp),
				/* dk's ACK: a tracked flow now */
				STEP_BR_HAIRPIN(FK_TCP, mac_dk, DK_IP, HOST_IP, 8088, 80, F_ACK,
						SL_CTR_NAT_FWD, SL_CT_STATE_ESTABLISHED, 6, &br_hp),
			},
	},
	{
		/* by the bridge's own address, 10.90.0.1: the backend sees that one */
		.name = "br_hairpin_via_bridge_address",
		.steps = {STEP_BR_HAIRPIN(FK_TCP, mac_dk, DK_IP, DK_GW_IP, 8088, 80, F_SYN,
					  SL_CTR_NAT_NEW, SL_CT_STATE_NEW, 6, &br_hp_gw)},
	},
	{
		/* dk_web -> 10.200.0.1:8088 -> dk_web: seen from 10.200.0.1 */
		.name = "br_hairpin_self",
		.steps =
			{
				STEP_BR_HAIRPIN(FK_TCP, mac_dk_web, DK_WEB_IP, HOST_IP, 8088, 80,
						F_SYN, SL_CTR_NAT_NEW, SL_CT_STATE_NEW, 6,
						&br_hp_self),
				STEP_BR_HAIRPIN_REPLY(FK_TCP, mac_dk_web, DK_WEB_IP, 8088, 80, F_SA,
						      SL_CT_STATE_ESTABLISHED, 6, &br_hp_self),
			},
	},
	{
		.name = "br_hairpin_udp",
		.steps =
			{
				STEP_BR_HAIRPIN(FK_UDP, mac_dk, DK_IP, HOST_IP, 8089, 53, 0,
						SL_CTR_NAT_NEW, SL_CT_STATE_NEW, 7, &br_hp_udp),
				STEP_BR_HAIRPIN_REPLY(FK_UDP, mac_dk, DK_IP, 8089, 53, 0,
						      SL_CT_STATE_ESTABLISHED, 7, &br_hp_udp),
			},
	},
	{
		/* a hairpin flow belongs to its container: its 4-tuple on the uplink is forged */
		.name = "br_hairpin_flow_on_uplink_passes",
		.steps =
			{
				STEP_BR_HAIRPIN_SYN,
				{
					.prog = P_UP,
					.in = UP_FRAME(FK_TCP, DK_IP, HOST_IP, CLIENT_PORT,
						       8088, F_ACK),
					.retval = TC_ACT_OK,
					.ctr = SL_CTR_UPLINK_PASS,
					.ct_count = CT_COUNT(2),
				},
			},
	},
	{
		.name = "br_hairpin_ttl_1_dropped",
		.steps = {{
			.prog = P_BR,
			.in = BR_IN(FK_TCP, mac_dk, DK_IP, HOST_IP, 8088, F_SYN, .ttl = 1),
			.retval = TC_ACT_SHOT,
			.ctr = SL_CTR_DROP_TTL,
			.ct_count = CT_COUNT(0),
		}},
	},
	/* what the bridge sends that is not sluice's: to the host stack, uncounted */
	{
		/* a sluice endpoint cannot be reached from a Docker bridge by redirect_peer */
		.name = "br_to_sluice_backend_passes",
		.steps = {STEP_BR_PASS(0, BR_IN(FK_TCP, mac_dk, DK_IP, HOST_IP, 8080, F_SYN))},
	},
	{
		.name = "br_unmapped_passes",
		.steps =
			{
				STEP_BR_PASS(0, BR_IN(FK_TCP, mac_dk, DK_IP, HOST_IP, 9999, F_SYN)),
				STEP_BR_PASS(0, BR_IN(FK_ICMP, mac_dk, DK_IP, HOST_IP, 0, 0)),
				STEP_BR_PASS(0, BR_IN(FK_ARP, mac_dk, DK_IP, DK_GW_IP, 0, 0)),
			},
	},
	{
		.name = "br_ack_without_flow_passes",
		.steps = {STEP_BR_PASS(0, BR_IN(FK_TCP, mac_dk, DK_IP, HOST_IP, 8088, F_ACK))},
	},
	/*
	 * ICMP errors about published-port flows (bpf/lib/icmp.h), as
	 * netfilter translates the errors RELATED to a NATed connection. In: a
	 * router's (or the client's) error about a reply we sent as
	 * host:hport -> client goes to web as about web:cport -> client. Out:
	 * web's error about a packet it received as client -> web:cport goes
	 * to the client as about client -> host:hport, from the host. The
	 * expected frame is built from scratch around a quote cut from a
	 * recomputed packet: equal bytes prove the incremental updates of the
	 * quoted IPv4, TCP/UDP and the ICMP checksums. Conntrack is checked
	 * unchanged, last_seen included (ct_frozen), and no sl_svc_stats rise.
	 */
	{
		/* path MTU discovery: the container must learn the MTU, or its TCP stalls */
		.name = "icmp_in_frag_needed_tcp",
		.steps =
			{
				STEP_SYN_8080,
				STEP_SYNACK_REPLY,
				STEP_ICMP_IN(ICMP_UNREACH, CODE_FRAG_NEEDED, Q_H2C_SA, Q_CT2C_SA,
					     .icmp_rest = 1280, .quote = QUOTE_TCP_HDR),
			},
	},
	{
		/* the TCP checksum is not in the frame: ports, IPv4 and ICMP checksums only */
		.name = "icmp_in_frag_needed_tcp_8_bytes",
		.steps =
			{
				STEP_SYN_8080,
				STEP_SYNACK_REPLY,
				STEP_ICMP_IN(ICMP_UNREACH, CODE_FRAG_NEEDED, Q_H2C_SA, Q_CT2C_SA,
					     .icmp_rest = 1280, .quote = QUOTE_PORTS),
			},
	},
	{
		/* the quote ends right after the TCP checksum: it is updated */
		.name = "icmp_in_frag_needed_tcp_18_bytes",
		.steps =
			{
				STEP_SYN_8080,
				STEP_SYNACK_REPLY,
				STEP_ICMP_IN(ICMP_UNREACH, CODE_FRAG_NEEDED, Q_H2C_SA, Q_CT2C_SA,
					     .icmp_rest = 1280, .quote = QUOTE_TCP_CSUM),
			},
	},
	{
		/* the whole segment quoted: its TCP checksum verifies in the output */
		.name = "icmp_in_time_exceeded_tcp",
		.steps =
			{
				STEP_SYN_8080,
				STEP_SYNACK_REPLY,
				STEP_ICMP_IN(ICMP_TIME_EXCEEDED, 0,
					     FRAME(FK_TCP, mac_client, mac_uplink, HOST_IP,
						   8080, CLIENT_IP, CLIENT_PORT, F_SA, .ttl = 1),
					     CT2C(FK_TCP, 80, F_SA, .ttl = 1)),
			},
	},
	{
		/* the client's host refuses our reply: from the client itself, whole datagram */
		.name = "icmp_in_port_unreach_udp",
		.steps =
			{
				STEP_UDP_5353(),
				STEP_UDP_5353_REPLY(),
				{
					.prog = P_UP,
					.in = ICMP_ERR(mac_uplink, mac_client, CLIENT_IP, HOST_IP,
						       ICMP_UNREACH, CODE_PORT_UNREACH,
						       H2C(FK_UDP, 5353, 0)),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_ICMP_IN,
					.redirect = RD_PEER,
					.ifindex = CT_IFINDEX,
					.out = ICMP_ERR(mac_ct, mac_ct_gw, CLIENT_IP,
							CT_IP, ICMP_UNREACH, CODE_PORT_UNREACH,
							CT2C(FK_UDP, 53, 0, .ttl = 63), .ttl = 63),
					.ct_count = CT_COUNT(2),
				},
			},
	},
	{
		/* "no checksum" in the quoted datagram stays 0 */
		.name = "icmp_in_port_unreach_udp_zero_checksum",
		.steps =
			{
				STEP_UDP_5353(.udp_no_csum = true),
				STEP_UDP_5353_REPLY(.udp_no_csum = true),
				STEP_ICMP_IN(ICMP_UNREACH, CODE_PORT_UNREACH,
					     H2C(FK_UDP, 5353, 0, .udp_no_csum = true),
					     CT2C(FK_UDP, 53, 0, .ttl = 63, .udp_no_csum = true)),
			},
	},
	{
		/* type 12, pointer 8 (the TTL byte), 8 bytes of UDP: the checksum is in them */
		.name = "icmp_in_param_problem_udp_8_bytes",
		.steps =
			{
				STEP_UDP_5353(),
				STEP_UDP_5353_REPLY(),
				STEP_ICMP_IN(ICMP_PARAM_PROBLEM, 0, H2C(FK_UDP, 5353, 0),
					     CT2C(FK_UDP, 53, 0, .ttl = 63),
					     .icmp_rest = 0x08000000, .quote = QUOTE_PORTS),
			},
	},
	{
		/* the quoted header has options: the ports are 24 bytes in */
		.name = "icmp_in_inner_ip_options",
		.steps =
			{
				STEP_SYN_8080,
				STEP_SYNACK_REPLY,
				STEP_ICMP_IN(ICMP_UNREACH, CODE_FRAG_NEEDED,
					     H2C(FK_TCP, 8080, F_SA, .opt_len = 4),
					     CT2C(FK_TCP, 80, F_SA, .ttl = 63, .opt_len = 4),
					     .icmp_rest = 1280),
			},
	},
	{
		.name = "icmp_in_outer_ip_options",
		.steps =
			{
				STEP_SYN_8080,
				STEP_SYNACK_REPLY,
				STEP_ICMP_IN(ICMP_UNREACH, CODE_FRAG_NEEDED, Q_H2C_SA, Q_CT2C_SA,
					     .icmp_rest = 1280, .opt_len = 4),
			},
	},
	{
		/* a first fragment (offset 0, MF) carries the ports: translated */
		.name = "icmp_in_inner_first_fragment",
		.steps =
			{
				STEP_UDP_5353(),
				STEP_UDP_5353_REPLY(),
				STEP_ICMP_IN(ICMP_TIME_EXCEEDED, 1,
					     H2C(FK_UDP, 5353, 0, .frag_off = 0x2000),
					     CT2C(FK_UDP, 53, 0, .ttl = 63, .frag_off = 0x2000)),
			},
	},
	{
		/* a corrupt quoted segment stays corrupt: updated, never recomputed */
		.name = "icmp_in_bad_inner_checksum_preserved",
		.steps =
			{
				STEP_SYN_8080,
				STEP_SYNACK_REPLY,
				STEP_ICMP_IN(ICMP_UNREACH, CODE_FRAG_NEEDED,
					     H2C(FK_TCP, 8080, F_SA, .csum_err = 0x0101),
					     CT2C(FK_TCP, 80, F_SA, .ttl = 63, .csum_err = 0x0101),
					     .icmp_rest = 1280),
			},
	},
	{
		/*
		 * The translated quote's UDP checksum computes to 0: it must be
		 * sent as 0xffff, as 0 would mean "none" (the flow's DNAT meets
		 * the same on the way in)
		 */
		.name = "icmp_in_udp_checksum_becomes_ffff",
		.steps =
			{
				{
					.prog = P_UP,
					.in = UP_FRAME(FK_UDP, CLIENT_IP, HOST_IP, PORT_CSUM_CT,
						       5353, 0),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_NEW,
					.redirect = RD_PEER,
					.ifindex = CT_IFINDEX,
					.out = DN_FRAME(FK_UDP, CLIENT_IP, PORT_CSUM_CT, 53,
							0, .ttl = 63),
					.svc_id = 3,
					.state = ST(SL_CT_STATE_NEW),
					.ct_count = CT_COUNT(2),
				},
				{
					.prog = P_EP,
					.in = FRAME(FK_UDP, mac_ct_gw, mac_ct, CT_IP, 53, CLIENT_IP,
						    PORT_CSUM_CT, 0),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_REPLY,
					.redirect = RD_EGRESS,
					.ifindex = UPLINK_IFINDEX,
					.out = FRAME(FK_UDP, mac_client, mac_uplink, HOST_IP, 5353,
						     CLIENT_IP, PORT_CSUM_CT, 0, .ttl = 63),
					.svc_id = 3,
					.state = ST(SL_CT_STATE_ESTABLISHED),
					.ct_count = CT_COUNT(2),
				},
				STEP_ICMP_IN(ICMP_UNREACH, CODE_PORT_UNREACH,
					     FRAME(FK_UDP, mac_client, mac_uplink, HOST_IP,
						   5353, CLIENT_IP, PORT_CSUM_CT, 0, .ttl = 63),
					     FRAME(FK_UDP, mac_ct_gw, mac_ct, CT_IP,
						   53, CLIENT_IP, PORT_CSUM_CT, 0, .ttl = 63)),
			},
	},
	{
		.name = "icmp_in_ttl_1_dropped",
		.steps =
			{
				STEP_SYN_8080,
				STEP_SYNACK_REPLY,
				{
					.prog = P_UP,
					.in = RT_ERR(HOST_IP, ICMP_UNREACH, CODE_FRAG_NEEDED,
						     Q_H2C_SA, .icmp_rest = 1280, .ttl = 1),
					.retval = TC_ACT_SHOT,
					.ctr = SL_CTR_DROP_TTL,
					.ct_count = CT_COUNT(2),
				},
			},
	},
	/* inbound ICMP that is not translated: the host stack's, untouched */
	{
		.name = "icmp_in_no_flow_passes",
		.steps = {STEP_ICMP_UPLINK_PASS(0, RT_ERR(HOST_IP, ICMP_UNREACH, CODE_FRAG_NEEDED,
							  Q_H2C_SA, .icmp_rest = 1280))},
	},
	{
		/* the quoted packet did not come from the error's destination */
		.name = "icmp_in_other_daddr_passes",
		.steps =
			{
				STEP_SYN_8080,
				STEP_SYNACK_REPLY,
				STEP_ICMP_UPLINK_PASS(2, RT_ERR(HOST_OTHER_IP, ICMP_UNREACH,
								CODE_FRAG_NEEDED,
								Q_H2C_SA, .icmp_rest = 1280)),
			},
	},
	{
		/* not an error type: an echo request or a redirect whose body quotes a flow */
		.name = "icmp_in_not_an_error_type_passes",
		.steps =
			{
				STEP_SYN_8080,
				STEP_SYNACK_REPLY,
				STEP_ICMP_UPLINK_PASS(
					2, RT_ERR(HOST_IP, 8 /* echo request */, 0, Q_H2C_SA)),
				STEP_ICMP_UPLINK_PASS(2, RT_ERR(HOST_IP, 5 /* redirect */, 1,
								Q_H2C_SA, .icmp_rest = 0x0ac80001)),
				STEP_ICMP_UPLINK_PASS(
					2, RT_ERR(HOST_IP, 0 /* echo reply */, 0, Q_H2C_SA)),
			},
	},
	{
		.name = "icmp_in_inner_icmp_passes",
		.steps =
			{
				STEP_SYN_8080,
				STEP_ICMP_UPLINK_PASS(
					2, RT_ERR(HOST_IP, ICMP_UNREACH, CODE_FRAG_NEEDED,
						  H2C(FK_ICMP, 0, 0), .icmp_rest = 1280)),
			},
	},
	{
		/* 4 bytes of TCP: the ports, but not the 8 bytes an error must quote */
		.name = "icmp_in_inner_l4_short_passes",
		.steps =
			{
				STEP_SYN_8080,
				STEP_SYNACK_REPLY,
				STEP_ICMP_UPLINK_PASS(
					2, RT_ERR(HOST_IP, ICMP_UNREACH, CODE_FRAG_NEEDED, Q_H2C_SA,
						  .icmp_rest = 1280, .quote = 4)),
			},
	},
	{
		/* the quoted header's options run past the end of the frame */
		.name = "icmp_in_inner_header_cut_passes",
		.steps =
			{
				STEP_SYN_8080,
				STEP_SYNACK_REPLY,
				STEP_ICMP_UPLINK_PASS(
					2,
					RT_ERR(HOST_IP, ICMP_UNREACH, CODE_FRAG_NEEDED,
					       H2C(FK_TCP, 8080, F_SA, .opt_len = 40),
					       .icmp_rest = 1280, .trim = ETH_HLEN + 20 + 8 + 40)),
			},
	},
	{
		/* a later fragment's first bytes are no ports, whatever they look like */
		.name = "icmp_in_inner_later_fragment_passes",
		.steps =
			{
				STEP_SYN_8080,
				STEP_SYNACK_REPLY,
				STEP_ICMP_UPLINK_PASS(
					2, RT_ERR(HOST_IP, ICMP_UNREACH, CODE_FRAG_NEEDED,
						  H2C(FK_TCP, 8080, F_SA, .frag_off = 0x00b9),
						  .icmp_rest = 1280)),
			},
	},
	{
		/* a fragmented error (first, then later fragment): never reassembled here */
		.name = "icmp_in_outer_fragment_passes",
		.steps =
			{
				STEP_SYN_8080,
				STEP_SYNACK_REPLY,
				STEP_ICMP_UPLINK_PASS(
					2, RT_ERR(HOST_IP, ICMP_UNREACH, CODE_FRAG_NEEDED, Q_H2C_SA,
						  .icmp_rest = 1280, .frag_off = 0x2000)),
				STEP_ICMP_UPLINK_PASS(
					2, RT_ERR(HOST_IP, ICMP_UNREACH, CODE_FRAG_NEEDED, Q_H2C_SA,
						  .icmp_rest = 1280, .frag_off = 0x00b9)),
			},
	},
	{
		/*
		 * a flow to a Docker container behind sluice-proxy: translated,
		 * then routed by the host stack as the flow's DNATed packets
		 * are (TTL and MACs left to it); XDP leaves it to tc
		 */
		.name = "icmp_in_external_flow",
		.steps =
			{
				STEP_EXT_SYN,
				STEP_EXT_SYNACK_REPLY,
				{
					.prog = P_UP,
					.flags = SF_XDP_TO_TC,
					.in = RT_ERR(HOST_IP, ICMP_UNREACH, CODE_FRAG_NEEDED,
						     H2C(FK_TCP, 8088, F_SA), .icmp_rest = 1280),
					.retval = TC_ACT_OK,
					.ctr = SL_CTR_ICMP_IN,
					.out = RT_ERR(DK_WEB_IP, ICMP_UNREACH, CODE_FRAG_NEEDED,
						      FRAME(FK_TCP, mac_client, mac_uplink,
							    DK_WEB_IP, 80, CLIENT_IP, CLIENT_PORT,
							    F_SA, .ttl = 63),
						      .icmp_rest = 1280),
					.ct_count = CT_COUNT(2),
				},
			},
	},
	{
		/* the Docker container refuses the SYN: out of the uplink, from the host */
		.name = "icmp_out_external_flow",
		.steps =
			{
				STEP_EXT_SYN,
				{
					.prog = P_BR,
					.in = ICMP_ERR(mac_br, mac_dk_web, DK_WEB_IP, CLIENT_IP,
						       ICMP_UNREACH, CODE_ADMIN_PROHIBIT,
						       FRAME(FK_TCP, mac_dk_web, mac_br, CLIENT_IP,
							     CLIENT_PORT, DK_WEB_IP, 80, F_SYN,
							     .ttl = 63)),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_ICMP_OUT,
					.redirect = RD_EGRESS,
					.ifindex = UPLINK_IFINDEX,
					.out = ICMP_ERR(mac_client, mac_uplink, HOST_IP, CLIENT_IP,
							ICMP_UNREACH, CODE_ADMIN_PROHIBIT,
							C2H(FK_TCP, 8088, F_SYN, .ttl = 63),
							.ttl = 63),
					.ct_count = CT_COUNT(2),
				},
			},
	},
	{
		/* a hairpin flow's replies never left by the uplink: its tuple there is forged */
		.name = "icmp_in_hairpin_flow_passes",
		.setup = SETUP_IF_CT2,
		.steps =
			{
				STEP_HP_PEER_SYN,
				STEP_ICMP_UPLINK_PASS(
					2, RT_ERR(HOST_IP, ICMP_UNREACH, CODE_FRAG_NEEDED,
						  FRAME(
							  FK_TCP, mac_ct2, mac_ct2_gw, HOST_IP, 8080,
							  CT2_IP, CLIENT_PORT, F_SA, .ttl = 63),
						  .icmp_rest = 1280)),
			},
	},
	{
		/* web disconnected since: nowhere to deliver (the flow is left alone) */
		.name = "icmp_in_container_gone_passes",
		.steps =
			{
				STEP_SYN_8080,
				STEP_SYNACK_REPLY,
				{
					.prog = P_UP,
					.ct_gone = true,
					.in = RT_ERR(HOST_IP, ICMP_UNREACH, CODE_FRAG_NEEDED,
						     Q_H2C_SA, .icmp_rest = 1280),
					.retval = TC_ACT_OK,
					.ctr = SL_CTR_UPLINK_PASS,
					.ct_count = CT_COUNT(2),
				},
			},
	},
	/* outbound: web's errors about what it received */
	{
		/* the client learns ECONNREFUSED instead of waiting for a timeout */
		.name = "icmp_out_udp_port_unreachable",
		.steps =
			{
				STEP_UDP_5353(),
				STEP_ICMP_OUT(ICMP_UNREACH, CODE_PORT_UNREACH, C2CT(FK_UDP, 53, 0),
					      C2H(FK_UDP, 5353, 0, .ttl = 63)),
			},
	},
	{
		.name = "icmp_out_udp_zero_checksum",
		.steps =
			{
				STEP_UDP_5353(.udp_no_csum = true),
				STEP_ICMP_OUT(ICMP_UNREACH, CODE_PORT_UNREACH,
					      C2CT(FK_UDP, 53, 0, .udp_no_csum = true),
					      C2H(FK_UDP, 5353, 0, .ttl = 63, .udp_no_csum = true)),
			},
	},
	{
		/* a firewall in web rejecting with admin-prohibited; the whole SYN quoted */
		.name = "icmp_out_tcp_admin_prohibited",
		.steps =
			{
				STEP_SYN_8080,
				STEP_ICMP_OUT(ICMP_UNREACH, CODE_ADMIN_PROHIBIT,
					      C2CT(FK_TCP, 80, F_SYN),
					      C2H(FK_TCP, 8080, F_SYN, .ttl = 63)),
			},
	},
	{
		/* web routes on (a tunnel, say): the packet's TTL ran out there */
		.name = "icmp_out_tcp_time_exceeded_8_bytes",
		.steps =
			{
				STEP_SYN_8080,
				STEP_SYNACK_REPLY,
				STEP_ICMP_OUT(ICMP_TIME_EXCEEDED, 0,
					      DN_FRAME(FK_TCP, CLIENT_IP, CLIENT_PORT, 80, F_ACK,
						       .ttl = 1),
					      UP_FRAME(FK_TCP, CLIENT_IP, HOST_IP, CLIENT_PORT,
						       8080, F_ACK, .ttl = 1),
					      .quote = QUOTE_PORTS),
			},
	},
	{
		.name = "icmp_out_tcp_frag_needed",
		.steps =
			{
				STEP_SYN_8080,
				STEP_SYNACK_REPLY,
				STEP_ICMP_OUT(ICMP_UNREACH, CODE_FRAG_NEEDED,
					      C2CT(FK_TCP, 80, F_ACK),
					      C2H(FK_TCP, 8080, F_ACK, .ttl = 63),
					      .icmp_rest = 1400, .quote = QUOTE_TCP_HDR),
			},
	},
	{
		/* a hairpin client (CT2): back into it as its flow's replies go */
		.name = "icmp_out_hairpin_peer",
		.setup = SETUP_IF_CT2,
		.steps =
			{
				STEP_HP_PEER_SYN,
				{
					.prog = P_EP,
					.iface = IF_CT,
					.in = CT_ERR(CT2_IP, ICMP_UNREACH, CODE_ADMIN_PROHIBIT,
						     FRAME(FK_TCP, mac_ct, mac_ct_gw,
							   CT2_IP, CLIENT_PORT, CT_IP, 80, F_SYN,
							   .ttl = 63)),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_ICMP_OUT,
					.redirect = RD_PEER,
					.ifindex = VETH_IFINDEX,
					.out = ICMP_ERR(mac_ct2, mac_ct2_gw, HOST_IP,
							CT2_IP, ICMP_UNREACH, CODE_ADMIN_PROHIBIT,
							FRAME(FK_TCP, mac_ct2_gw, mac_ct2,
							      CT2_IP, CLIENT_PORT, HOST_IP,
							      8080, F_SYN, .ttl = 63),
							.ttl = 63),
					.ct_count = CT_COUNT(2),
				},
			},
	},
	{
		/* the same on the way out: client -> host:5353 sums to 0 */
		.name = "icmp_out_udp_checksum_becomes_ffff",
		.steps =
			{
				{
					.prog = P_UP,
					.in = UP_FRAME(FK_UDP, CLIENT_IP, HOST_IP, PORT_CSUM_HOST,
						       5353, 0),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_NEW,
					.redirect = RD_PEER,
					.ifindex = CT_IFINDEX,
					.out = DN_FRAME(FK_UDP, CLIENT_IP, PORT_CSUM_HOST, 53,
							0, .ttl = 63),
					.svc_id = 3,
					.state = ST(SL_CT_STATE_NEW),
					.ct_count = CT_COUNT(2),
				},
				STEP_ICMP_OUT(ICMP_UNREACH, CODE_PORT_UNREACH,
					      DN_FRAME(FK_UDP, CLIENT_IP, PORT_CSUM_HOST, 53, 0,
						       .ttl = 63),
					      UP_FRAME(FK_UDP, CLIENT_IP, HOST_IP, PORT_CSUM_HOST,
						       5353, 0, .ttl = 63)),
			},
	},
	{
		.name = "icmp_out_ttl_1_dropped",
		.steps =
			{
				STEP_UDP_5353(),
				{
					.prog = P_EP,
					.in = CT_ERR(CLIENT_IP, ICMP_UNREACH, CODE_PORT_UNREACH,
						     C2CT(FK_UDP, 53, 0), .ttl = 1),
					.retval = TC_ACT_SHOT,
					.ctr = SL_CTR_DROP_TTL,
					.ct_count = CT_COUNT(2),
				},
			},
	},
	/* outbound ICMP that is not translated: what any such packet gets */
	{
		.name = "icmp_out_no_flow_to_host",
		.steps = {STEP_ICMP_EP_PASS(0, CT_ERR(CLIENT_IP, ICMP_UNREACH, CODE_PORT_UNREACH,
						      C2CT(FK_UDP, 53, 0)))},
	},
	{
		/* CT2 quoting web's flow: not a packet CT2 received */
		.name = "icmp_out_other_container_flow_to_host",
		.steps =
			{
				STEP_UDP_5353(),
				{
					.prog = P_EP,
					.iface = IF_CT2,
					.in = ICMP_ERR(mac_ct2_gw, mac_ct2, CT2_IP, CLIENT_IP,
						       ICMP_UNREACH, CODE_PORT_UNREACH,
						       C2CT(FK_UDP, 53, 0)),
					.retval = TC_ACT_OK,
					.ctr = SL_CTR_PASS_HOST,
					.ct_count = CT_COUNT(2),
				},
			},
	},
	{
		/* the self-hairpin flow is source-NATed: its errors are not translated */
		.name = "icmp_out_self_hairpin_to_host",
		.steps =
			{
				STEP_SELF_HAIRPIN_SYN,
				STEP_ICMP_EP_PASS(
					2,
					CT_ERR(CT_GW_IP, ICMP_UNREACH, CODE_ADMIN_PROHIBIT,
					       FRAME(FK_TCP, mac_ct, mac_ct_gw, CT_GW_IP,
						     CLIENT_PORT, CT_IP, 80, F_SYN, .ttl = 63))),
			},
	},
	{
		/* not an error: an echo request quoting the flow is left alone */
		.name = "icmp_out_echo_request_to_host",
		.steps =
			{
				STEP_UDP_5353(),
				STEP_ICMP_EP_PASS(2, CT_ERR(CLIENT_IP, 8, 0, C2CT(FK_UDP, 53, 0))),
			},
	},
	{
		/* the source check comes first */
		.name = "icmp_out_spoofed_source_dropped",
		.steps =
			{
				STEP_UDP_5353(),
				{
					.prog = P_EP,
					.in = ICMP_ERR(mac_ct_gw, mac_ct, HOST_IP, CLIENT_IP,
						       ICMP_UNREACH, CODE_PORT_UNREACH,
						       C2H(FK_UDP, 5353, 0, .ttl = 63)),
					.retval = TC_ACT_SHOT,
					.ctr = SL_CTR_DROP_SPOOFED,
					.ct_count = CT_COUNT(2),
				},
			},
	},
	/*
	 * Expiry: the *_SHORT programs were loaded with a TCP NEW timeout of
	 * 1 s, the others keep 60 s; all share one conntrack. Three flows (client
	 * ports 40000, 40001, 40002) start together; after 1.1 s the default
	 * timeout still forwards flow 2, while the short one expires flow 1 on
	 * the uplink (a non-SYN: pass_no_flow) and flow 3 on a reply (not NATed:
	 * the host stack), deleting both entries of each.
	 */
	{
		.name = "ct_expiry_tcp_new",
		.steps =
			{
				STEP_SYN_8080,
				{
					.prog = P_UP,
					.in = UP_FRAME(FK_TCP, CLIENT_IP, HOST_IP, 40001,
						       8080, F_SYN),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_NEW,
					.redirect = RD_PEER,
					.ifindex = CT_IFINDEX,
					.out = DN_FRAME(FK_TCP, CLIENT_IP, 40001, 80,
							F_SYN, .ttl = 63),
					.svc_id = 1,
					.state = ST(SL_CT_STATE_NEW),
					.ct_count = CT_COUNT(4),
				},
				{
					.prog = P_UP,
					.in = UP_FRAME(FK_TCP, CLIENT_IP, HOST_IP,
						       40002, 8080, F_SYN),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_NEW,
					.redirect = RD_PEER,
					.ifindex = CT_IFINDEX,
					.out = DN_FRAME(FK_TCP, CLIENT_IP, 40002, 80,
							F_SYN, .ttl = 63),
					.svc_id = 1,
					.state = ST(SL_CT_STATE_NEW),
					.ct_count = CT_COUNT(6),
				},
				{
					.prog = P_UP,
					.sleep_ms = 1100,
					.in = UP_FRAME(FK_TCP, CLIENT_IP, HOST_IP,
						       40001, 8080, F_ACK),
					.retval = TC_ACT_REDIRECT,
					.ctr = SL_CTR_NAT_FWD,
					.redirect = RD_PEER,
					.ifindex = CT_IFINDEX,
					.out = DN_FRAME(FK_TCP, CLIENT_IP, 40001, 80,
							F_ACK, .ttl = 63),
					.svc_id = 1,
					.state = ST(SL_CT_STATE_NEW),
					.ct_count = CT_COUNT(6),
				},
				{
					.prog = P_UP_SHORT,
					.in = C2H(FK_TCP, 8080, F_ACK),
					.retval = TC_ACT_OK,
					.ctr = SL_CTR_PASS_NO_FLOW,
					.also = ALSO(SL_CTR_CT_EXPIRED),
					.ct_count = CT_COUNT(4),
				},
				{
					.prog = P_EP_SHORT,
					.in =
						{.kind = FK_TCP,
						 ETH_FROM_CT,
						 .saddr = CT_IP,
						 .daddr = CLIENT_IP,
						 .sport = 80,
						 .dport = 40002,
						 .flags = F_SA},
					.retval = TC_ACT_OK,
					.ctr = SL_CTR_PASS_HOST,
					.also = ALSO(SL_CTR_CT_EXPIRED),
					.ct_count = CT_COUNT(2),
				},
			},
	},
};

/* ---- building frames ------------------------------------------------------ */

static void build_frame(struct pkt *p, const struct frame *f)
{
	__u8 proto;

	pkt_init(p);
	switch (f->kind) {
	case FK_ARP:
		pkt_eth(p, f->eth_dst, f->eth_src, ETH_P_ARP);
		pkt_arp_request(p, f->eth_src, f->saddr, f->daddr);
		pkt_finish(p);
		return;
	case FK_IPV6:
		pkt_eth(p, f->eth_dst, f->eth_src, ETH_P_IPV6);
		pkt_ipv6(p, "2001:db8::2", "2001:db8::1", IPPROTO_TCP);
		pkt_tcp_flags(p, f->sport, f->dport, f->flags, 16);
		pkt_finish(p);
		return;
	case FK_UDP:
		proto = IPPROTO_UDP;
		break;
	case FK_ICMP:
	case FK_ICMP_ERR:
		proto = IPPROTO_ICMP;
		break;
	default:
		proto = IPPROTO_TCP;
		break;
	}

	pkt_eth(p, f->eth_dst, f->eth_src, ETH_P_IP);
	pkt_ipv4(p, f->saddr, f->daddr, proto, opt_router_alert, f->opt_len);
	if (f->ttl)
		pkt_ip4hdr(p)->ttl = f->ttl;
	if (f->frag_off)
		pkt_ip4hdr(p)->frag_off = htons(f->frag_off);
	switch (f->kind) {
	case FK_TCP:
		pkt_tcp_flags(p, f->sport, f->dport, f->flags, 16);
		break;
	case FK_UDP:
		pkt_udp(p, f->sport, f->dport, 8);
		break;
	case FK_ICMP:
		pkt_icmp_echo(p, 0x77, 1, 24);
		break;
	case FK_ICMP_ERR: {
		/* whole and finished first: its checksums cover its whole segment */
		struct pkt inner;

		build_frame(&inner, f->inner);
		pkt_icmp_err(p, f->icmp_type, f->icmp_code, f->icmp_rest, &inner,
			     f->quote ? f->quote : SIZE_MAX);
		break;
	}
	default: /* FK_TCP_TRUNC: 10 bytes where a 20-byte TCP header should be */
		pkt_payload(p, 10);
		break;
	}
	pkt_finish(p);
	if (f->udp_no_csum)
		((struct udphdr *)(p->data + p->l4))->check = 0;
	if (f->csum_err)
		pkt_l4_csum_corrupt(p, f->csum_err);
	if (f->trim)
		pkt_trim(p, f->trim);
}

/* ---- maps ----------------------------------------------------------------- */

/* Both sets of skeletons: [0] default timeouts, [1] sl_ct_tcp_new_s = 1. */
struct env {
	struct sl_endpoint_test *ep[2];
	struct sl_uplink_test *up[2];
	struct sl_xdp_test *xdp[2];
	int ncpu;
};

/* Delete every entry; works for hash, LRU hash and LPM trie maps alike. */
static int map_clear(int fd)
{
	__u8 key[64];

	while (bpf_map_get_next_key(fd, NULL, key) == 0) {
		if (bpf_map_delete_elem(fd, key))
			return -errno;
	}
	return errno == ENOENT ? 0 : -errno;
}

static int map_count(int fd, size_t *n)
{
	__u8 key[64], next[64];
	void *prev = NULL;

	*n = 0;
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		(*n)++;
		memcpy(key, next, sizeof(key));
		prev = key;
	}
	return errno == ENOENT ? 0 : -errno;
}

/* Zero keys 0..n-1 of a per-CPU array whose values are val_size bytes. */
static int percpu_zero(int fd, __u32 n, size_t val_size, int ncpu)
{
	void *zero = calloc(ncpu, val_size);
	__u32 k;
	int err = 0;

	if (!zero)
		return -ENOMEM;
	for (k = 0; k < n && !err; k++) {
		if (bpf_map_update_elem(fd, &k, zero, BPF_ANY))
			err = -errno;
	}
	free(zero);
	return err;
}

/* Every sl_stats counter, summed over the CPUs. */
static int stats_snapshot(const struct env *e, struct sl_counter snap[SL_CTR_MAX])
{
	int fd = bpf_map__fd(e->ep[0]->maps.sl_stats);
	struct sl_counter *vals = calloc(e->ncpu, sizeof(*vals));
	__u32 k;
	int i;

	if (!vals)
		return -ENOMEM;
	for (k = 0; k < SL_CTR_MAX; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals)) {
			free(vals);
			return -errno;
		}
		memset(&snap[k], 0, sizeof(snap[k]));
		for (i = 0; i < e->ncpu; i++) {
			snap[k].packets += vals[i].packets;
			snap[k].bytes += vals[i].bytes;
		}
	}
	free(vals);
	return 0;
}

/* sl_svc_stats of ids 0..SVC_IDS-1, summed over the CPUs. */
static int svc_snapshot(const struct env *e, struct sl_svc_counter snap[SVC_IDS])
{
	int fd = bpf_map__fd(e->ep[0]->maps.sl_svc_stats);
	struct sl_svc_counter *vals = calloc(e->ncpu, sizeof(*vals));
	__u32 k;
	int i;

	if (!vals)
		return -ENOMEM;
	for (k = 0; k < SVC_IDS; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals)) {
			free(vals);
			return -errno;
		}
		memset(&snap[k], 0, sizeof(snap[k]));
		for (i = 0; i < e->ncpu; i++) {
			snap[k].packets += vals[i].packets;
			snap[k].bytes += vals[i].bytes;
			snap[k].flows += vals[i].flows;
		}
	}
	free(vals);
	return 0;
}

static int set_forwarding(bool on)
{
	int fd = open("/proc/sys/net/ipv4/conf/lo/forwarding", O_WRONLY);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, on ? "1\n" : "0\n", 2) != 2)
		err = -errno;
	close(fd);
	return err;
}

/* Point sl_ifaces[1] (the sending veth of P_EP steps) at web or the second container. */
static int iface_set(const struct env *e, enum iface_sel which)
{
	struct sl_iface_key k = {.ifindex = VETH_IFINDEX};
	struct sl_iface v = {.net_id = CT_NET,
			     .addr = pkt_addr4(which == IF_CT2 ? CT2_IP : CT_IP),
			     .gateway = pkt_addr4(CT_GW_IP)};

	if (bpf_map_update_elem(bpf_map__fd(e->ep[0]->maps.sl_ifaces), &k, &v, BPF_ANY))
		return -errno;
	return 0;
}

/* Reset every map to the fixture (maps are shared: one skeleton's fds serve all). */
static int fixture_load(const struct env *e, unsigned int setup)
{
	struct sl_endpoint_test *s = e->ep[0];
	int svc_fd = bpf_map__fd(s->maps.sl_svc);
	struct sl_endpoint_key ek = {.addr = pkt_addr4(CT_IP)};
	struct sl_endpoint ev = {.ifindex = CT_IFINDEX, .net_id = CT_NET};
	struct sl_endpoint_key ek2 = {.addr = pkt_addr4(CT2_IP)};
	struct sl_endpoint ev2 = {.ifindex = CT2_IFINDEX, .net_id = CT_NET};
	struct sl_subnet_key sk = {.prefixlen = 24, .addr = pkt_addr4("10.77.0.0")};
	struct sl_subnet sv = {.net_id = CT_NET};
	struct sl_allow_key ak = {.prefixlen = 32 + ALLOW_PREFIX,
				  .id = htonl(ALLOW_ID),
				  .addr = pkt_addr4(ALLOW_NET)};
	__u32 av = 1;
	struct bpf_map *maps[] = {s->maps.sl_endpoints, s->maps.sl_ifaces, s->maps.sl_subnets,
				  s->maps.sl_svc,	s->maps.sl_allow,  s->maps.sl_ct,
				  s->maps.sl_hostaddrs};
	__be32 host_addrs[] = {pkt_addr4(HOST_IP), pkt_addr4(DK_GW_IP)};
	size_t i;
	int err = 0;

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]) && !err; i++)
		err = map_clear(bpf_map__fd(maps[i]));
	if (!err)
		err = percpu_zero(bpf_map__fd(s->maps.sl_stats), SL_CTR_MAX,
				  sizeof(struct sl_counter), e->ncpu);
	if (!err)
		err = percpu_zero(bpf_map__fd(s->maps.sl_svc_stats), SVC_IDS,
				  sizeof(struct sl_svc_counter), e->ncpu);
	if (!err)
		err = set_forwarding(setup & SETUP_FWD_ON);
	if (err)
		return err;

	memcpy(ev.mac, mac_ct, ETH_ALEN);
	memcpy(ev.gw_mac, mac_ct_gw, ETH_ALEN);
	memcpy(ev2.mac, mac_ct2, ETH_ALEN);
	memcpy(ev2.gw_mac, mac_ct2_gw, ETH_ALEN);
	err = iface_set(e, setup & SETUP_IF_CT2 ? IF_CT2 : IF_CT);
	if (err)
		return err;
	if (bpf_map_update_elem(bpf_map__fd(s->maps.sl_endpoints), &ek, &ev, BPF_NOEXIST) ||
	    bpf_map_update_elem(bpf_map__fd(s->maps.sl_endpoints), &ek2, &ev2, BPF_NOEXIST) ||
	    bpf_map_update_elem(bpf_map__fd(s->maps.sl_subnets), &sk, &sv, BPF_NOEXIST) ||
	    bpf_map_update_elem(bpf_map__fd(s->maps.sl_allow), &ak, &av, BPF_NOEXIST))
		return -errno;
	for (i = 0; i < sizeof(host_addrs) / sizeof(host_addrs[0]); i++) {
		if (bpf_map_update_elem(bpf_map__fd(s->maps.sl_hostaddrs), &host_addrs[i], &av,
					BPF_NOEXIST))
			return -errno;
	}
	for (i = 0; i < sizeof(fx_svcs) / sizeof(fx_svcs[0]); i++) {
		struct sl_svc_key k = {.addr = pkt_addr4(fx_svcs[i].addr),
				       .port = htons(fx_svcs[i].port),
				       .proto = fx_svcs[i].proto};
		struct sl_svc v = {.backend_addr = pkt_addr4(fx_svcs[i].backend),
				   .backend_port = htons(fx_svcs[i].backend_port),
				   .flags = fx_svcs[i].flags,
				   .id = fx_svcs[i].id};

		if (bpf_map_update_elem(svc_fd, &k, &v, BPF_NOEXIST))
			return -errno;
	}
	return 0;
}

/* ---- checks --------------------------------------------------------------- */

static const char *const ctr_names[] = SL_CTR_NAMES;

/*
 * Conntrack times are bpf_ktime_get_coarse_ns(): CLOCK_MONOTONIC_COARSE,
 * which trails CLOCK_MONOTONIC by up to a tick. A test run's stamps lie
 * between the coarse clock before it and the fine one after it.
 */
static __u64 now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static void check_bytes(const __u8 *got, const __u8 *want, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (got[i] != want[i]) {
			printf("  %s: first differing byte at offset %zu: 0x%02x, expected "
			       "0x%02x\n",
			       sl_t_cur, i, got[i], want[i]);
			break;
		}
	}
	SL_ASSERT(i == len, "output frame == expected bytes");
}

/*
 * The packet an ICMP error quotes (the frame's ICMP message is complete:
 * pkt_frame_icmp_sum() >= 0), and its length in the frame.
 */
static const __u8 *icmp_quote(const __u8 *frame, size_t *qlen)
{
	const struct iphdr *ip = (const struct iphdr *)(frame + ETH_HLEN);
	size_t hlen = (size_t)ip->ihl * 4;

	*qlen = ntohs(ip->tot_len) - hlen - sizeof(struct icmphdr);
	return frame + ETH_HLEN + hlen + sizeof(struct icmphdr);
}

/*
 * A translated ICMP error, verified as its receiver would: the ICMP checksum
 * over the whole message, the quoted IPv4 header's checksum and, when the
 * whole quoted segment is in the frame, its TCP/UDP checksum. (A partial
 * quote's L4 checksum no receiver can verify: the comparison with the
 * expected frame, whose quote was cut from a recomputed packet, does.)
 */
static void check_icmp_checksums(const __u8 *out, size_t len, const struct pkt *in,
				 const struct frame *want)
{
	const struct frame *wq = want->inner;
	int in_sum = pkt_frame_icmp_sum(in->data, in->len);
	int sum = pkt_frame_icmp_sum(out, len);
	const __u8 *q, *in_q;
	size_t qlen, in_qlen;

	SL_ASSERT(sum >= 0, "output has a complete ICMP message");
	if (want->csum_err) {
		SL_ASSERT(in_sum != 0xffff, "input ICMP checksum invalid (as built)");
		SL_ASSERT(sum != 0xffff, "output ICMP checksum still invalid");
		SL_ASSERT_EQ(sum, in_sum, "output ICMP checksum off by exactly the input's error");
	} else {
		SL_ASSERT_EQ(in_sum, 0xffff, "input ICMP checksum valid (as built)");
		SL_ASSERT_EQ(sum, 0xffff, "output ICMP checksum valid");
	}
	if (sum < 0 || in_sum < 0)
		return;
	q = icmp_quote(out, &qlen);
	in_q = icmp_quote(in->data, &in_qlen);
	SL_ASSERT_EQ(pkt_ip4_sum(q, qlen), 0xffff, "output quoted IPv4 header checksum valid");
	if (want->quote)
		return;
	if (wq->udp_no_csum) {
		const struct iphdr *qip = (const struct iphdr *)q;
		const struct udphdr *uh = (const struct udphdr *)(q + qip->ihl * 4);

		SL_ASSERT_EQ(uh->check, 0, "output quoted UDP checksum still 0 (none)");
	} else if (wq->csum_err) {
		sum = pkt_ip4_l4_sum(q, qlen);
		SL_ASSERT(sum != 0xffff, "output quoted TCP/UDP checksum still invalid");
		SL_ASSERT_EQ(sum, pkt_ip4_l4_sum(in_q, in_qlen),
			     "output quoted checksum off by exactly the input's error");
	} else {
		SL_ASSERT_EQ(pkt_ip4_l4_sum(in_q, in_qlen), 0xffff,
			     "input quoted TCP/UDP checksum valid (as built)");
		SL_ASSERT_EQ(pkt_ip4_l4_sum(q, qlen), 0xffff,
			     "output quoted TCP/UDP checksum valid (whole segment quoted)");
	}
}

/* A redirected frame, verified as its receiver would. */
static void check_checksums(const __u8 *out, size_t len, const struct pkt *in,
			    const struct frame *want)
{
	const struct iphdr *ip = (const struct iphdr *)(out + ETH_HLEN);
	int in_sum = pkt_frame_l4_sum(in->data, in->len);
	int sum;

	SL_ASSERT_EQ(pkt_frame_ip4_sum(out, len), 0xffff, "output IPv4 header checksum valid");
	if (want->kind == FK_ICMP_ERR) {
		check_icmp_checksums(out, len, in, want);
		return;
	}
	sum = pkt_frame_l4_sum(out, len);
	SL_ASSERT(sum >= 0, "output has a complete TCP/UDP segment");
	if (want->udp_no_csum) {
		const struct udphdr *uh = (const struct udphdr *)((const __u8 *)ip + ip->ihl * 4);

		SL_ASSERT_EQ(uh->check, 0, "output UDP checksum still 0 (none)");
	} else if (want->csum_err) {
		/* the input's error, carried over unchanged */
		SL_ASSERT(in_sum != 0xffff, "input TCP/UDP checksum invalid (as built)");
		SL_ASSERT(sum != 0xffff, "output TCP/UDP checksum still invalid");
		SL_ASSERT_EQ(sum, in_sum, "output checksum off by exactly the input's error");
	} else {
		SL_ASSERT_EQ(in_sum, 0xffff, "input TCP/UDP checksum valid (as built)");
		SL_ASSERT_EQ(sum, 0xffff, "output TCP/UDP checksum valid");
	}
}

/* The conntrack entries a NAT step must leave: struct ct_want in network order. */
struct flow_view {
	__be32 client, host, ct, snat;
	__be16 client_port, host_port, ct_port;
	__u8 proto, flags;
	__u32 reply_ifindex;
	const __u8 *peer_mac, *host_mac;
};

static bool prog_is_uplink(enum prog p)
{
	return p == P_UP || p == P_UP_SHORT;
}

/* A hairpin step names its flow; an uplink flow follows from the step's frames. */
static void flow_of_step(const struct step *s, struct flow_view *v)
{
	const struct ct_want *w = s->flow;

	v->proto = s->in.kind == FK_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	if (w) {
		v->client = pkt_addr4(w->client);
		v->client_port = htons(w->client_port);
		v->host = pkt_addr4(w->host);
		v->host_port = htons(w->host_port);
		v->ct = pkt_addr4(w->ct);
		v->ct_port = htons(w->ct_port);
		v->snat = w->snat ? pkt_addr4(w->snat) : 0;
		v->flags = w->flags;
		v->reply_ifindex = w->reply_ifindex;
		v->peer_mac = w->peer_mac;
		v->host_mac = w->host_mac;
		return;
	}
	if (prog_is_uplink(s->prog)) {
		v->client = pkt_addr4(s->in.saddr);
		v->client_port = htons(s->in.sport);
		v->host = pkt_addr4(s->in.daddr);
		v->host_port = htons(s->in.dport);
		v->ct = pkt_addr4(s->out.daddr);
		v->ct_port = htons(s->out.dport);
	} else {
		v->ct = pkt_addr4(s->in.saddr);
		v->ct_port = htons(s->in.sport);
		v->client = pkt_addr4(s->in.daddr);
		v->client_port = htons(s->in.dport);
		v->host = pkt_addr4(s->out.saddr);
		v->host_port = htons(s->out.sport);
	}
	v->snat = 0;
	v->flags = 0;
	v->reply_ifindex = UPLINK_IFINDEX;
	v->peer_mac = mac_client;
	v->host_mac = mac_uplink;
}

/*
 * One conntrack entry, every field. fresh: last_seen must fall within this
 * step's test run [t0, t1].
 */
static void check_ct_entry(int fd, bool reply, const struct flow_view *v, const struct step *s,
			   bool fresh, __u64 t0, __u64 t1)
{
	static const __u8 zero_mac[ETH_ALEN];
	struct sl_ct_key k = {.proto = v->proto};
	struct sl_ct ct;

	if (reply) {
		/* a self-hairpin's container answers its gateway */
		k.saddr = v->ct;
		k.sport = v->ct_port;
		k.daddr = v->snat ? v->snat : v->client;
		k.dport = v->client_port;
		k.dir = SL_CT_DIR_REPLY;
	} else {
		k.saddr = v->client;
		k.sport = v->client_port;
		k.daddr = v->host;
		k.dport = v->host_port;
		k.dir = SL_CT_DIR_ORIG;
	}
	if (bpf_map_lookup_elem(fd, &k, &ct)) {
		SL_ASSERT(0, reply ? "REPLY entry exists" : "ORIG entry exists");
		return;
	}
	if (reply) {
		SL_ASSERT_EQ(ct.nat_addr, v->host, "REPLY nat_addr = host address");
		SL_ASSERT_EQ(ct.nat_port, v->host_port, "REPLY nat_port = host port");
		SL_ASSERT_EQ(
			ct.ifindex, v->reply_ifindex,
			"REPLY ifindex = where the flow came from (uplink, client veth, bridge)");
		SL_ASSERT(!memcmp(ct.peer_mac, v->peer_mac, ETH_ALEN),
			  "REPLY peer_mac = client MAC");
		SL_ASSERT(!memcmp(ct.host_mac, v->host_mac, ETH_ALEN),
			  "REPLY host_mac = our MAC on the client's link");
	} else {
		SL_ASSERT_EQ(ct.nat_addr, v->ct, "ORIG nat_addr = container address");
		SL_ASSERT_EQ(ct.nat_port, v->ct_port, "ORIG nat_port = container port");
		SL_ASSERT_EQ(ct.ifindex, 0, "ORIG ifindex = 0");
		SL_ASSERT(!memcmp(ct.peer_mac, zero_mac, ETH_ALEN), "ORIG peer_mac zero");
		SL_ASSERT(!memcmp(ct.host_mac, zero_mac, ETH_ALEN), "ORIG host_mac zero");
	}
	SL_ASSERT_EQ(ct.svc_id, s->svc_id, reply ? "REPLY svc_id" : "ORIG svc_id");
	if (s->state)
		SL_ASSERT_EQ(ct.state, s->state - 1, reply ? "REPLY state" : "ORIG state");
	SL_ASSERT_EQ(ct.flags, v->flags,
		     reply ? "REPLY flags (SL_CT_F_*)" : "ORIG flags (SL_CT_F_*)");
	if (reply)
		SL_ASSERT_EQ(ct.snat_addr, v->snat ? v->client : 0,
			     "REPLY snat_addr = the client, after a SNAT");
	else
		SL_ASSERT_EQ(ct.snat_addr, v->snat, "ORIG snat_addr = the SNAT source");
	if (fresh)
		SL_ASSERT(ct.last_seen >= t0 && ct.last_seen <= t1,
			  reply ? "REPLY last_seen = this packet" : "ORIG last_seen = this packet");
}

static bool is_nat(int ctr)
{
	return ctr == SL_CTR_NAT_NEW || ctr == SL_CTR_NAT_FWD || ctr == SL_CTR_NAT_REPLY;
}

/* Conntrack and per-mapping counters after a step. */
static void check_maps(const struct env *e, const struct step *s, const struct pkt *in,
		       const struct sl_svc_counter before[SVC_IDS], size_t ct_before, __u64 t0,
		       __u64 t1)
{
	int ct_fd = bpf_map__fd(e->ep[0]->maps.sl_ct);
	struct sl_svc_counter after[SVC_IDS];
	struct flow_view v;
	size_t ct_after;
	__u32 id;
	int err;

	err = map_count(ct_fd, &ct_after);
	SL_ASSERT_EQ(err, 0, "count sl_ct entries");
	if (s->ct_count)
		SL_ASSERT_EQ(ct_after, s->ct_count - 1, "number of sl_ct entries");
	if (!is_nat(s->ctr))
		SL_ASSERT(ct_after <= ct_before, "no conntrack entry created");

	if (is_nat(s->ctr)) {
		/* a new flow writes both entries; a packet refreshes its direction's */
		bool orig_fresh = s->ctr != SL_CTR_NAT_REPLY;
		bool reply_fresh = s->ctr != SL_CTR_NAT_FWD;

		flow_of_step(s, &v);
		check_ct_entry(ct_fd, false, &v, s, orig_fresh, t0, t1);
		check_ct_entry(ct_fd, true, &v, s, reply_fresh, t0, t1);
	}

	err = svc_snapshot(e, after);
	SL_ASSERT_EQ(err, 0, "read sl_svc_stats");
	if (err)
		return;
	for (id = 0; id < SVC_IDS; id++) {
		bool hit = is_nat(s->ctr) && id == s->svc_id;
		__u64 flows = hit && s->ctr == SL_CTR_NAT_NEW;

		if (after[id].packets - before[id].packets != hit ||
		    after[id].bytes - before[id].bytes != (hit ? in->len : 0) ||
		    after[id].flows - before[id].flows != flows)
			printf("  %s: svc_stats[%u] rose by %llu packets %llu bytes %llu flows, "
			       "expected %d, %zu, %llu\n",
			       sl_t_cur, id,
			       (unsigned long long)(after[id].packets - before[id].packets),
			       (unsigned long long)(after[id].bytes - before[id].bytes),
			       (unsigned long long)(after[id].flows - before[id].flows), hit,
			       hit ? in->len : 0, (unsigned long long)flows);
		SL_ASSERT_EQ(after[id].packets - before[id].packets, hit, "svc_stats packets");
		SL_ASSERT_EQ(after[id].bytes - before[id].bytes, hit ? in->len : 0,
			     "svc_stats bytes");
		SL_ASSERT_EQ(after[id].flows - before[id].flows, flows, "svc_stats flows");
	}
}

/*
 * What XDP passes on, tc sees next and counts: XDP does not count its own
 * pass verdicts, so a counter is not bumped twice for one packet.
 */
static bool xdp_uncounted(int ctr)
{
	return ctr == SL_CTR_UPLINK_PASS || ctr == SL_CTR_PASS_NO_FLOW;
}

static void check_counters(const struct step *s, const struct pkt *in, bool xdp,
			   const struct sl_counter before[SL_CTR_MAX],
			   const struct sl_counter after[SL_CTR_MAX])
{
	__u32 k;

	for (k = 0; k < SL_CTR_MAX; k++) {
		bool hit = ((int)k == s->ctr && !(xdp && xdp_uncounted(s->ctr))) ||
			   (s->also && (int)k == s->also - 1);
		__u64 dp = after[k].packets - before[k].packets;
		__u64 db = after[k].bytes - before[k].bytes;

		if (dp != (hit ? 1 : 0) || db != (hit ? in->len : 0))
			printf("  %s: counter %s rose by %llu packets %llu bytes, expected %d and "
			       "%zu\n",
			       sl_t_cur, ctr_names[k], (unsigned long long)dp,
			       (unsigned long long)db, hit ? 1 : 0, hit ? in->len : 0);
		SL_ASSERT_EQ(dp, hit ? 1 : 0, "counter packets");
		SL_ASSERT_EQ(db, hit ? in->len : 0, "counter bytes");
	}
}

/* ---- tc and XDP --------------------------------------------------------- */

/* Which program runs the uplink steps of a case. */
enum hook {
	HOOK_TC = 0, /* sl_up_ingress */
	HOOK_XDP,    /* sl_xdp_uplink */
};

static const char *const hook_names[] = {"tc", "xdp"};

/* The XDP verdict of a tc verdict. */
static int tc_to_xdp(int tc)
{
	switch (tc) {
	case TC_ACT_REDIRECT:
		return XDP_REDIRECT;
	case TC_ACT_OK:
		return XDP_PASS;
	case TC_ACT_SHOT:
		return XDP_DROP;
	default:
		return -1; /* no XDP equivalent: never a right answer */
	}
}

/* The tc verdict of an XDP verdict; XDP_ABORTED, XDP_TX have none. */
static int xdp_to_tc(__u32 xdp)
{
	switch (xdp) {
	case XDP_REDIRECT:
		return TC_ACT_REDIRECT;
	case XDP_PASS:
		return TC_ACT_OK;
	case XDP_DROP:
		return TC_ACT_SHOT;
	default:
		return -100 - (int)xdp;
	}
}

/* One sl_ct entry. */
struct ct_entry {
	struct sl_ct_key k;
	struct sl_ct v;
};

#define OBS_CT_MAX 16 /* more than any case creates */

/* What a step did, for comparing the XDP run of a case with its tc run. */
struct obs {
	bool valid;    /* the step ran */
	int verdict;   /* TC_ACT_*; an XDP verdict as its tc equivalent */
	__u32 out_len; /* output frame */
	__u8 out[PKT_MAX * 2];
	__u32 rd_ifindex; /* redirect target, 0 for none (the kind differs by design) */
	struct sl_counter ctr[SL_CTR_MAX];  /* rise of every sl_stats counter */
	struct sl_svc_counter svc[SVC_IDS]; /* rise of every mapping's sl_svc_stats */
	size_t n_ct;			    /* sl_ct after the step: */
	struct ct_entry ct[OBS_CT_MAX];	    /* sorted by key, last_seen zeroed */
};

static int ct_entry_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct ct_entry *)a)->k, &((const struct ct_entry *)b)->k,
		      sizeof(struct sl_ct_key));
}

/* The whole conntrack (at most OBS_CT_MAX entries) sorted by key, last_seen zeroed unless times. */
static int ct_read(int fd, struct ct_entry *tab, size_t *n, bool times)
{
	struct sl_ct_key key, next;
	void *prev = NULL;

	*n = 0;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct ct_entry *c;

		if (*n == OBS_CT_MAX)
			return -E2BIG;
		c = &tab[*n];
		memset(c, 0, sizeof(*c));
		c->k = next;
		if (bpf_map_lookup_elem(fd, &next, &c->v))
			return -errno;
		if (!times)
			c->v.last_seen = 0;
		(*n)++;
		key = next;
		prev = &key;
	}
	if (errno != ENOENT)
		return -errno;
	qsort(tab, *n, sizeof(tab[0]), ct_entry_cmp);
	return 0;
}

/* The whole conntrack, without the times (two runs never share a clock reading). */
static int ct_dump(int fd, struct obs *o)
{
	return ct_read(fd, o->ct, &o->n_ct, false);
}

/*
 * Steps after which conntrack must be exactly as before, last_seen
 * included: ICMP errors, translated or not, are read against the flows,
 * never counted as their packets (an error keeps no flow alive).
 */
static bool ct_frozen(const struct step *s)
{
	return !s->also &&
	       (s->in.kind == FK_ICMP_ERR || s->ctr == SL_CTR_ICMP_IN || s->ctr == SL_CTR_ICMP_OUT);
}

/*
 * Wait until the coarse clock has passed every entry's last_seen, so that a
 * refresh by the coming step cannot write the value already there.
 */
static void ct_wait_tick(const struct ct_entry *tab, size_t n)
{
	const struct timespec ms = {.tv_nsec = 1000000L};
	__u64 latest = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (tab[i].v.last_seen > latest)
			latest = tab[i].v.last_seen;
	while (now_ns(CLOCK_MONOTONIC_COARSE) <= latest)
		nanosleep(&ms, NULL);
}

static void check_ct_unchanged(int fd, const struct ct_entry *before, size_t n_before)
{
	static struct ct_entry after[OBS_CT_MAX];
	size_t n_after, i;
	int err;

	err = ct_read(fd, after, &n_after, true);
	SL_ASSERT_EQ(err, 0, "read sl_ct after the run");
	if (err)
		return;
	SL_ASSERT_EQ(n_after, n_before, "sl_ct entries unchanged in number");
	if (n_after != n_before)
		return;
	for (i = 0; i < n_after; i++) {
		if (!memcmp(&after[i], &before[i], sizeof(after[i])))
			continue;
		printf("  %s: sl_ct entry %zu (dir %u) changed: state %u -> %u, last_seen %llu -> "
		       "%llu\n",
		       sl_t_cur, i, before[i].k.dir, before[i].v.state, after[i].v.state,
		       (unsigned long long)before[i].v.last_seen,
		       (unsigned long long)after[i].v.last_seen);
		SL_ASSERT(0, "sl_ct unchanged, last_seen included");
		break;
	}
}

/* A result that differs between XDP and tc is a failure. */
static void compare_runs(const struct obs *tc, const struct obs *xdp)
{
	size_t i;

	SL_ASSERT_EQ(xdp->verdict, tc->verdict, "xdp verdict = tc verdict");
	SL_ASSERT_EQ(xdp->out_len, tc->out_len, "xdp output length = tc output length");
	if (xdp->out_len == tc->out_len && memcmp(xdp->out, tc->out, tc->out_len)) {
		for (i = 0; i < tc->out_len && xdp->out[i] == tc->out[i]; i++)
			;
		printf("  %s: xdp output differs from tc output at offset %zu: 0x%02x, tc 0x%02x\n",
		       sl_t_cur, i, xdp->out[i], tc->out[i]);
		SL_ASSERT(0, "xdp output frame = tc output frame");
	}
	SL_ASSERT_EQ(xdp->rd_ifindex, tc->rd_ifindex, "xdp redirect ifindex = tc redirect ifindex");
	for (i = 0; i < SL_CTR_MAX; i++)
		if (!xdp_uncounted(i))
			SL_ASSERT(!memcmp(&xdp->ctr[i], &tc->ctr[i], sizeof(tc->ctr[i])),
				  "xdp counters rose as tc's did (but its own pass verdicts)");
	SL_ASSERT(!memcmp(xdp->svc, tc->svc, sizeof(tc->svc)), "xdp sl_svc_stats rose as tc's did");
	SL_ASSERT_EQ(xdp->n_ct, tc->n_ct, "xdp conntrack entries = tc conntrack entries");
	if (xdp->n_ct == tc->n_ct)
		SL_ASSERT(!memcmp(xdp->ct, tc->ct, tc->n_ct * sizeof(tc->ct[0])),
			  "xdp conntrack = tc conntrack (but last_seen)");
}

/* ---- running a case ------------------------------------------------------- */

#define REDIR_UNSET 0xdeadU /* sl_test_redirect_peer before a run */

/* Forget every program's redirect record. */
static void redirect_reset(const struct env *e)
{
	int i;

	for (i = 0; i < 2; i++) {
		e->ep[i]->bss->sl_test_redirect_ifindex = 0;
		e->ep[i]->bss->sl_test_redirect_peer = REDIR_UNSET;
		e->up[i]->bss->sl_test_redirect_ifindex = 0;
		e->up[i]->bss->sl_test_redirect_peer = REDIR_UNSET;
		e->xdp[i]->bss->sl_test_redirect_ifindex = 0;
		e->xdp[i]->bss->sl_test_redirect_peer = REDIR_UNSET;
	}
}

/* The program that runs step s when the case's uplink steps go through hook. */
struct runner {
	int prog_fd;
	bool xdp;
	__u32 ifindex;		     /* the device it runs on: the skb's ifindex */
	__u32 *rd_ifindex, *rd_peer; /* its redirect record (.bss) */
};

static void runner_of(const struct env *e, const struct step *s, enum hook hook, struct runner *r)
{
	int i = s->prog == P_UP_SHORT || s->prog == P_EP_SHORT;

	r->xdp = prog_is_uplink(s->prog) && hook == HOOK_XDP;
	r->ifindex = s->prog == P_BR ? BRIDGE_IFINDEX : UPLINK_IFINDEX;
	if (s->prog == P_BR) {
		r->prog_fd = bpf_program__fd(e->up[0]->progs.sl_br_ingress);
		r->rd_ifindex = &e->up[0]->bss->sl_test_redirect_ifindex;
		r->rd_peer = &e->up[0]->bss->sl_test_redirect_peer;
	} else if (!prog_is_uplink(s->prog)) {
		r->prog_fd = bpf_program__fd(e->ep[i]->progs.sl_ep_ingress);
		r->rd_ifindex = &e->ep[i]->bss->sl_test_redirect_ifindex;
		r->rd_peer = &e->ep[i]->bss->sl_test_redirect_peer;
	} else if (!r->xdp) {
		r->prog_fd = bpf_program__fd(e->up[i]->progs.sl_up_ingress);
		r->rd_ifindex = &e->up[i]->bss->sl_test_redirect_ifindex;
		r->rd_peer = &e->up[i]->bss->sl_test_redirect_peer;
	} else {
		r->prog_fd = bpf_program__fd(e->xdp[i]->progs.sl_xdp_uplink);
		r->rd_ifindex = &e->xdp[i]->bss->sl_test_redirect_ifindex;
		r->rd_peer = &e->xdp[i]->bss->sl_test_redirect_peer;
	}
}

/* Run step s (uplink steps through hook), check it against the table, record it in *o. */
static void run_step(const struct env *e, const struct step *s, enum hook hook, struct obs *o)
{
	struct sl_counter ctr_before[SL_CTR_MAX], ctr_after[SL_CTR_MAX];
	struct sl_svc_counter svc_before[SVC_IDS], svc_after[SVC_IDS];
	static struct ct_entry ct_tab_before[OBS_CT_MAX];
	int ct_fd = bpf_map__fd(e->ep[0]->maps.sl_ct);
	struct __sk_buff skb_ctx = {0};
	struct xdp_md xdp_ctx = {.ingress_ifindex = UPLINK_IFINDEX};
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	__u32 rd_ifindex, rd_peer;
	struct pkt in, want;
	struct runner r;
	bool rewritten;
	size_t ct_before;
	int retval, k;
	__u64 t0, t1;
	int err;

	o->valid = false;
	runner_of(e, s, hook, &r);
	if (s->iface) {
		err = iface_set(e, s->iface);
		SL_ASSERT_EQ(err, 0, "switch sl_ifaces[1] to the step's sender");
		if (err)
			return;
	}
	if (s->ct_gone) {
		struct sl_endpoint_key k = {.addr = pkt_addr4(CT_IP)};

		err = bpf_map_delete_elem(bpf_map__fd(e->ep[0]->maps.sl_endpoints), &k) ? -errno
											: 0;
		SL_ASSERT_EQ(err, 0, "remove web from sl_endpoints");
		if (err)
			return;
	}
	if (s->sleep_ms) {
		struct timespec ts = {.tv_sec = s->sleep_ms / 1000,
				      .tv_nsec = (long)(s->sleep_ms % 1000) * 1000000L};

		nanosleep(&ts, NULL);
	}

	build_frame(&in, &s->in);
	rewritten = s->redirect != RD_NONE || s->out.saddr;
	if (rewritten)
		build_frame(&want, &s->out);
	else
		want = in;

	redirect_reset(e);
	err = stats_snapshot(e, ctr_before);
	if (!err)
		err = svc_snapshot(e, svc_before);
	if (!err)
		err = ct_read(ct_fd, ct_tab_before, &ct_before, true);
	SL_ASSERT_EQ(err, 0, "read the maps before the run");
	if (err)
		return;
	if (ct_frozen(s))
		ct_wait_tick(ct_tab_before, ct_before);

	memset(o->out, 0xa5, sizeof(o->out));
	opts.data_in = in.data;
	opts.data_size_in = (__u32)in.len;
	opts.data_out = o->out;
	opts.data_size_out = sizeof(o->out);
	if (r.xdp) {
		/* data_end must equal data_size_in; ingress_ifindex must be a device */
		xdp_ctx.data_end = (__u32)in.len;
		opts.ctx_in = &xdp_ctx;
		opts.ctx_size_in = sizeof(xdp_ctx);
	} else {
		skb_ctx.ifindex = r.ifindex;
		opts.ctx_in = &skb_ctx;
		opts.ctx_size_in = sizeof(skb_ctx);
	}
	opts.repeat = 1;
	t0 = now_ns(CLOCK_MONOTONIC_COARSE);
	err = bpf_prog_test_run_opts(r.prog_fd, &opts);
	t1 = now_ns(CLOCK_MONOTONIC);
	if (err == -EINVAL && (s->flags & SF_MAY_REFUSE)) {
		printf("  %s: note: this kernel's %s test_run refuses the %zu-byte frame (EINVAL): "
		       "not run\n",
		       sl_t_cur, r.xdp ? "XDP" : "tc", in.len);
		return;
	}
	SL_ASSERT_EQ(err, 0, "BPF_PROG_TEST_RUN result");
	if (err)
		return;

	if (r.xdp) {
		SL_ASSERT_EQ(opts.retval, tc_to_xdp(s->retval), "XDP verdict");
		retval = xdp_to_tc(opts.retval);
	} else {
		SL_ASSERT_EQ(opts.retval, s->retval, "tc verdict");
		retval = (int)opts.retval;
	}
	SL_ASSERT_EQ(opts.data_size_out, want.len, "output frame length");
	if (opts.data_size_out == want.len)
		check_bytes(o->out, want.data, want.len);
	if (rewritten && opts.data_size_out == want.len)
		check_checksums(o->out, want.len, &in, &s->out);

	rd_ifindex = *r.rd_ifindex;
	rd_peer = *r.rd_peer;
	switch (s->redirect) {
	case RD_NONE:
		SL_ASSERT_EQ(rd_ifindex, 0, "no redirect");
		SL_ASSERT_EQ(rd_peer, REDIR_UNSET, "no redirect helper called");
		break;
	case RD_PEER:
		SL_ASSERT_EQ(rd_ifindex, s->ifindex, "redirect ifindex");
		if (r.xdp)
			SL_ASSERT_EQ(rd_peer, 0, "XDP redirect is bpf_redirect (no peer in XDP)");
		else
			SL_ASSERT_EQ(rd_peer, 1, "redirect is bpf_redirect_peer");
		break;
	case RD_EGRESS:
		SL_ASSERT_EQ(rd_ifindex, s->ifindex, "redirect ifindex");
		SL_ASSERT_EQ(rd_peer, 0, "redirect is bpf_redirect (egress), not peer");
		break;
	case RD_NEIGH:
		SL_ASSERT_EQ(rd_ifindex, s->ifindex, "redirect ifindex");
		SL_ASSERT_EQ(rd_peer, 2, "redirect is bpf_redirect_neigh");
		break;
	}

	err = stats_snapshot(e, ctr_after);
	SL_ASSERT_EQ(err, 0, "read sl_stats");
	if (err)
		return;
	check_counters(s, &in, r.xdp, ctr_before, ctr_after);
	check_maps(e, s, &in, svc_before, ct_before, t0, t1);
	if (ct_frozen(s))
		check_ct_unchanged(ct_fd, ct_tab_before, ct_before);

	err = svc_snapshot(e, svc_after);
	if (!err)
		err = ct_dump(ct_fd, o);
	SL_ASSERT_EQ(err, 0, "record the step's results");
	if (err)
		return;
	o->verdict = retval;
	o->out_len = opts.data_size_out;
	o->rd_ifindex = rd_ifindex;
	for (k = 0; k < SL_CTR_MAX; k++) {
		o->ctr[k].packets = ctr_after[k].packets - ctr_before[k].packets;
		o->ctr[k].bytes = ctr_after[k].bytes - ctr_before[k].bytes;
	}
	for (k = 0; k < SVC_IDS; k++) {
		o->svc[k].packets = svc_after[k].packets - svc_before[k].packets;
		o->svc[k].bytes = svc_after[k].bytes - svc_before[k].bytes;
		o->svc[k].flows = svc_after[k].flows - svc_before[k].flows;
	}
	o->valid = true;
}

/* Does step s run when the case's uplink steps go through hook? */
static bool step_runs(const struct step *s, enum hook hook)
{
	return hook == HOOK_XDP || !(s->flags & SF_XDP_ONLY);
}

/* tc: any step tc can run; XDP: any uplink step (else the XDP run repeats the tc run). */
static bool case_runs(const struct nat_case *c, enum hook hook)
{
	int i;

	for (i = 0; i < MAX_STEPS && c->steps[i].prog != P_END; i++) {
		if (hook == HOOK_TC ? step_runs(&c->steps[i], hook)
				    : prog_is_uplink(c->steps[i].prog))
			return true;
	}
	return false;
}

/*
 * XDP's half of an SF_XDP_TO_TC step: the frame passes untouched and
 * uncounted, nothing in the maps changes. Returns the hook of the other
 * half: tc, which the frame reaches next.
 */
static enum hook run_xdp_to_tc(const struct env *e, const struct step *s, struct obs *o)
{
	struct step pass = {.prog = s->prog,
			    .flags = s->flags,
			    .in = s->in,
			    .retval = TC_ACT_OK,
			    .ctr = SL_CTR_UPLINK_PASS};

	run_step(e, &pass, HOOK_XDP, o);
	return HOOK_TC;
}

/*
 * The whole case through tc, then the whole case through XDP, each from a
 * fresh fixture (see the top of the file). Returns the hooks that ran, as a
 * bit set of 1 << HOOK_*.
 */
static unsigned int run_case(const struct env *e, const struct nat_case *c)
{
	static struct obs tc_obs[MAX_STEPS], xdp_obs;
	int failed_before = sl_t_cur_failed;
	unsigned int ran = 0;
	char label[160];
	enum hook hook;
	int err, i;

	for (i = 0; i < MAX_STEPS; i++)
		tc_obs[i].valid = false;
	for (hook = HOOK_TC; hook <= HOOK_XDP; hook++) {
		if (!case_runs(c, hook))
			continue;
		ran |= 1U << hook;
		sl_t_cur_failed = 0;
		snprintf(label, sizeof(label), "%s [%s]", c->name, hook_names[hook]);
		sl_t_cur = label;
		err = fixture_load(e, c->setup);
		SL_ASSERT_EQ(err, 0, "load the map fixture");
		for (i = 0; !err && i < MAX_STEPS && c->steps[i].prog != P_END; i++) {
			const struct step *s = &c->steps[i];
			enum hook step_hook = hook;

			if (!step_runs(s, hook))
				continue;
			snprintf(label, sizeof(label), "%s [%s] step %d", c->name, hook_names[hook],
				 i + 1);
			if (hook == HOOK_XDP && (s->flags & SF_XDP_TO_TC))
				step_hook = run_xdp_to_tc(e, s, &xdp_obs);
			/* XDP did not pass it on: no tc half, nothing to compare */
			if (sl_t_cur_failed)
				xdp_obs.valid = false;
			else
				run_step(e, s, step_hook, hook == HOOK_TC ? &tc_obs[i] : &xdp_obs);
			if (hook == HOOK_XDP && tc_obs[i].valid && xdp_obs.valid)
				compare_runs(&tc_obs[i], &xdp_obs);
			if (sl_t_cur_failed) {
				if (i + 1 < MAX_STEPS && c->steps[i + 1].prog != P_END)
					printf("  %s: later steps skipped\n", label);
				break;
			}
		}
		failed_before |= sl_t_cur_failed;
	}
	sl_t_cur = c->name;
	sl_t_cur_failed = failed_before;
	return ran;
}

/* ---- loading -------------------------------------------------------------- */

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int skip_needs_root(void)
{
	printf("skipped: needs root\n");
	return 77;
}

/* Never pin: a test must not touch /sys/fs/bpf. */
static int unpin_all(struct bpf_object *obj)
{
	struct bpf_map *m;
	int err;

	bpf_object__for_each_map(m, obj)
	{
		err = bpf_map__set_pin_path(m, NULL);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Make dst use src's maps. Internal maps (.rodata, .bss) stay per object: they
 * hold each object's timeouts and redirect record.
 */
static int reuse_maps(struct bpf_object *dst, struct bpf_object *src)
{
	struct bpf_map *m, *from;
	int err;

	bpf_object__for_each_map(m, dst)
	{
		if (bpf_map__is_internal(m))
			continue;
		from = bpf_object__find_map_by_name(src, bpf_map__name(m));
		if (!from)
			return -ENOENT;
		err = bpf_map__reuse_fd(m, bpf_map__fd(from));
		if (err)
			return err;
	}
	return 0;
}

static __u32 map_id(struct bpf_map *m)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_map__fd(m), &info, &len))
		return 0;
	return info.id;
}

/* The maps of every named map of obj: the same kernel maps as ref's? */
static bool same_maps(struct bpf_object *obj, struct bpf_object *ref)
{
	struct bpf_map *m, *r;

	bpf_object__for_each_map(m, obj)
	{
		if (bpf_map__is_internal(m))
			continue;
		r = bpf_object__find_map_by_name(ref, bpf_map__name(m));
		if (!r || !map_id(m) || map_id(m) != map_id(r))
			return false;
	}
	return true;
}

/*
 * Load set i: the endpoint skeleton (creating the maps, or reusing those of
 * `maps` when given), then the uplink and XDP skeletons on the same maps.
 */
static int load_set(struct env *e, int i, struct bpf_object *maps, __u32 tcp_new_s)
{
	int err;

	e->ep[i] = sl_endpoint_test__open();
	if (!e->ep[i])
		return -errno;
	e->up[i] = sl_uplink_test__open();
	if (!e->up[i])
		return -errno;
	e->xdp[i] = sl_xdp_test__open();
	if (!e->xdp[i])
		return -errno;
	err = unpin_all(e->ep[i]->obj);
	if (!err)
		err = unpin_all(e->up[i]->obj);
	if (!err)
		err = unpin_all(e->xdp[i]->obj);
	if (err)
		return err;
	if (tcp_new_s) {
		/* three objects, three .rodata: all programs must agree */
		e->ep[i]->rodata->sl_ct_tcp_new_s = tcp_new_s;
		e->up[i]->rodata->sl_ct_tcp_new_s = tcp_new_s;
		e->xdp[i]->rodata->sl_ct_tcp_new_s = tcp_new_s;
	}
	if (maps) {
		err = reuse_maps(e->ep[i]->obj, maps);
		if (err)
			return err;
	}
	err = sl_endpoint_test__load(e->ep[i]);
	if (!err)
		err = reuse_maps(e->up[i]->obj, e->ep[i]->obj);
	if (!err)
		err = sl_uplink_test__load(e->up[i]);
	if (!err)
		err = reuse_maps(e->xdp[i]->obj, e->ep[i]->obj);
	if (!err)
		err = sl_xdp_test__load(e->xdp[i]);
	if (err)
		return err;
	/* the same kernel maps behind all, or replies would never find their flow */
	if (!same_maps(e->up[i]->obj, e->ep[i]->obj) || !same_maps(e->xdp[i]->obj, e->ep[i]->obj)) {
		printf("the maps of sl_uplink or sl_xdp are not those of sl_endpoint\n");
		return -EINVAL;
	}
	return 0;
}

#define STR_(x) #x
#define STR(x)	STR_(x)

/*
 * The host side of the netns: the host address on lo, a route for ROUTED_IP,
 * and the Docker bridge of P_BR steps.
 */
static int netns_setup(void)
{
	int rc = system("ip link set lo up && ip addr add " HOST_IP "/32 dev lo && "
			"ip route add 198.51.100.0/24 dev lo && "
			"ip link add name " BRIDGE_NAME
			" index " STR(BRIDGE_IFINDEX) " address " BRIDGE_MAC " type bridge");

	if (rc != 0) {
		printf("netns setup with ip(8) failed (status %d): is iproute2 installed, and "
		       "can this kernel create a bridge?\n",
		       rc);
		return -1;
	}
	return 0;
}

int main(void)
{
	struct env e = {0};
	size_t i;
	int err, i_set;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (unshare(CLONE_NEWNET)) {
		if (errno == EPERM)
			return skip_needs_root();
		printf("unshare(CLONE_NEWNET): %s\n", strerror(errno));
		sl_t_failed++;
		return sl_test_summary("bpf/nat");
	}
	libbpf_set_print(libbpf_print);
	if (netns_setup()) {
		sl_t_failed++;
		return sl_test_summary("bpf/nat");
	}

	e.ncpu = libbpf_num_possible_cpus();
	if (e.ncpu <= 0) {
		printf("libbpf_num_possible_cpus: %s\n", strerror(-e.ncpu));
		sl_t_failed++;
		return sl_test_summary("bpf/nat");
	}
	err = load_set(&e, 0, NULL, 0);
	if (!err)
		err = load_set(&e, 1, e.ep[0]->obj, 1);
	if (err)
		goto load_failed;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		static const char *const ran_names[] = {"", "[tc]", "[xdp]", "[tc, xdp]"};
		unsigned int ran;

		sl_t_cur = cases[i].name;
		sl_t_cur_failed = 0;
		ran = run_case(&e, &cases[i]);
		if (sl_t_cur_failed)
			sl_t_failed++;
		else
			sl_t_passed++;
		printf("%s %s %s\n", sl_t_cur_failed ? "FAIL" : "ok  ", cases[i].name,
		       ran_names[ran & 3]);
	}
	goto out;

load_failed:
	if (err == -EPERM) {
		err = skip_needs_root();
		goto destroy;
	}
	printf("open/load BPF objects sl_endpoint + sl_uplink + sl_xdp (test build): %s\n",
	       strerror(-err));
	sl_t_failed++;
out:
	err = sl_test_summary("bpf/nat");
destroy:
	for (i_set = 1; i_set >= 0; i_set--) {
		sl_xdp_test__destroy(e.xdp[i_set]);
		sl_uplink_test__destroy(e.up[i_set]);
		sl_endpoint_test__destroy(e.ep[i_set]);
	}
	return err;
}
