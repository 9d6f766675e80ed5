/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * publish.h - published ports: the decisions for a packet arriving on the
 * uplink (DNAT into a container) and for a reply leaving a container
 * (reverse NAT out of the uplink). Pure decisions over the maps; the hook's
 * entry program performs the rewrite and the redirect.
 */
#ifndef SL_BPF_PUBLISH_H
#define SL_BPF_PUBLISH_H

/* Where and how to deliver a packet after NAT. */
struct sl_nat_target {
	__be32 addr; /* new destination (DNAT) or source (reverse NAT) address */
	__be16 port; /* new destination or source port */
	__u8 flags;  /* SL_CT_F_* of the flow */
	__u8 pad;
	__u32 ifindex; /* DNAT: container's host-side veth; reverse: uplink or client veth */
	__u32 svc_id;
	__u8 dst_mac[6];  /* new Ethernet destination */
	__u8 src_mac[6];  /* new Ethernet source */
	__be32 snat_addr; /* SL_CT_F_SNAT: DNAT: the new source; reply: the client, restored */
};

/*
 * Where a hairpin packet comes from: a sluice endpoint (its network's
 * gateway is the SNAT source of a self-hairpin), or a Docker bridge.
 */
struct sl_hairpin {
	__be32 gateway;
	bool bridge;
};

/*
 * New flow: both conntrack entries. The REPLY entry remembers where the
 * flow came from (uplink or client container) and the MACs to answer with.
 */
static __always_inline void sl_ct_create(const struct sl_pkt *pkt, const struct sl_flow *f,
					 const struct sl_nat_target *t, __u64 now)
{
	struct sl_ct_key ok = {.saddr = f->saddr,
			       .daddr = f->daddr,
			       .sport = f->sport,
			       .dport = f->dport,
			       .proto = f->proto,
			       .dir = SL_CT_DIR_ORIG};
	struct sl_ct_key rk = {.saddr = t->addr,
			       .daddr = t->snat_addr ? t->snat_addr : f->saddr,
			       .sport = t->port,
			       .dport = f->sport,
			       .proto = f->proto,
			       .dir = SL_CT_DIR_REPLY};
	struct sl_ct orig = {.last_seen = now,
			     .nat_addr = t->addr,
			     .nat_port = t->port,
			     .state = SL_CT_STATE_NEW,
			     .flags = t->flags,
			     .svc_id = t->svc_id,
			     .snat_addr = t->snat_addr};
	struct sl_ct reply = {.last_seen = now,
			      .nat_addr = f->daddr,
			      .nat_port = f->dport,
			      .state = SL_CT_STATE_NEW,
			      .flags = t->flags,
			      .svc_id = t->svc_id,
			      .ifindex = pkt->ifindex,
			      .snat_addr = t->snat_addr ? f->saddr : 0};
	struct ethhdr *eth = pkt->data;

	if ((void *)(eth + 1) > pkt->data_end)
		return;
	__builtin_memcpy(reply.peer_mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(reply.host_mac, eth->h_dest, ETH_ALEN);
	bpf_map_update_elem(&sl_ct, &rk, &reply, BPF_ANY);
	bpf_map_update_elem(&sl_ct, &ok, &orig, BPF_ANY);
}

/*
 * A packet for a published port: arriving on the uplink (hp NULL), or sent
 * by a container to its own host (hp: where from; hairpin). f is parsed.
 * Outcomes:
 *   not TCP/UDP with ports, later fragment,
 *     or no mapping for daddr:dport/proto        -> SL_CTR_UPLINK_PASS
 *   first fragment of a tracked or mapped flow   -> SL_CTR_DROP_FRAGMENT
 *   tracked flow                                 -> SL_CTR_NAT_FWD, *t filled
 *   a container's hairpin flow seen on an uplink,
 *     or an uplink flow's tuple from a container -> SL_CTR_UPLINK_PASS (forged)
 *   external backend (SL_SVC_F_EXTERNAL) in XDP,
 *     or reached from a sluice endpoint,
 *     or a sluice backend from a Docker bridge   -> SL_CTR_UPLINK_PASS (tc / not served)
 *   external backend on tc                       -> NAT_NEW/NAT_FWD, t->ifindex 0:
 *                                                   DNAT, then the host stack routes
 *   external backend from a Docker bridge        -> NAT_NEW/NAT_FWD, t->ifindex =
 *                                                   the bridge: DNAT + SNAT to the
 *                                                   host address, out of the bridge
 *   mapping, source not in its --allow list      -> SL_CTR_DROP_NOT_ALLOWED
 *   mapping, TCP segment that is not a bare SYN  -> SL_CTR_PASS_NO_FLOW
 *   0.0.0.0 mapping, daddr not a host address    -> SL_CTR_UPLINK_PASS
 *   mapping (new flow, conntrack created)        -> SL_CTR_NAT_NEW, *t filled
 *   TTL <= 1 (tracked or new)                    -> SL_CTR_DROP_TTL
 *   mapping whose container is not connected     -> SL_CTR_DROP_NO_BACKEND
 * Fragments: a datagram split into fragments cannot be matched safely (only
 * the first carries the ports), so its first fragment is dropped and later
 * ones go to the host, which discards the incomplete datagram.
 */
static __always_inline enum sl_ctr sl_dnat_decide(const struct sl_pkt *pkt, const struct sl_flow *f,
						  const struct sl_hairpin *hp, bool xdp,
						  struct sl_nat_target *t)
{
	struct sl_ct_key key;
	struct sl_endpoint_key ekey;
	struct sl_endpoint *ep;
	struct sl_svc *svc;
	struct sl_ct *ct;
	bool wildcard;
	enum sl_ctr verdict;
	__u64 now;

	if (!f->has_ports || (f->proto != IPPROTO_TCP && f->proto != IPPROTO_UDP))
		return SL_CTR_UPLINK_PASS;

	now = bpf_ktime_get_coarse_ns();
	__builtin_memset(&key, 0, sizeof(key));
	key.saddr = f->saddr;
	key.daddr = f->daddr;
	key.sport = f->sport;
	key.dport = f->dport;
	key.proto = f->proto;
	key.dir = SL_CT_DIR_ORIG;
	ct = sl_ct_lookup(&key, pkt, now);
	/*
	 * A hairpin flow belongs to the container that opened it, an uplink
	 * flow to its remote client: a packet from the other side with its
	 * 4-tuple has a forged source.
	 */
	if (ct && !hp != !(ct->flags & SL_CT_F_PEER))
		return SL_CTR_UPLINK_PASS;
	/* A new SYN on a closed 4-tuple starts a new flow (port reuse). */
	if (ct && f->proto == IPPROTO_TCP && ct->state >= SL_CT_STATE_CLOSING &&
	    (f->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN) {
		sl_count(SL_CTR_CT_REUSED, pkt);
		ct = NULL;
	}

	/* XDP leaves flows to external backends to tc: they need the host stack. */
	if (ct && xdp && (ct->flags & SL_CT_F_EXTERNAL))
		return SL_CTR_UPLINK_PASS;

	if (ct) {
		if (f->frag)
			return SL_CTR_DROP_FRAGMENT;
		if (f->ttl <= 1)
			return SL_CTR_DROP_TTL;
		sl_ct_update(&key, ct, f->tcp_flags, now);
		t->addr = ct->nat_addr;
		t->port = ct->nat_port;
		t->svc_id = ct->svc_id;
		t->flags = ct->flags;
		t->snat_addr = ct->snat_addr;
		verdict = SL_CTR_NAT_FWD;
	} else {
		svc = sl_svc_lookup(f, &wildcard);
		if (!svc)
			return SL_CTR_UPLINK_PASS;
		if (f->frag)
			return SL_CTR_DROP_FRAGMENT;
		if (!sl_svc_allows(svc, f->saddr))
			return SL_CTR_DROP_NOT_ALLOWED;
		if (f->proto == IPPROTO_TCP &&
		    (f->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK | TCP_FLAG_RST)) != TCP_FLAG_SYN)
			return SL_CTR_PASS_NO_FLOW;
		/* 0.0.0.0 means the host's own addresses, not traffic routed through it. */
		if (wildcard && !sl_is_host_addr(f->daddr))
			return SL_CTR_UPLINK_PASS;
		if (f->ttl <= 1)
			return SL_CTR_DROP_TTL;
		t->addr = svc->backend_addr;
		t->port = svc->backend_port;
		t->svc_id = svc->id;
		t->flags = 0;
		t->snat_addr = 0;
		if (svc->flags & SL_SVC_F_EXTERNAL) {
			/* XDP: tc does it. From a sluice endpoint: not served. */
			if (xdp || (hp && !hp->bridge))
				return SL_CTR_UPLINK_PASS;
			t->flags = SL_CT_F_EXTERNAL;
			/*
			 * From the backend's own bridge: it would answer the
			 * client directly over the bridge; make it answer the
			 * host address the client used, through us.
			 */
			if (hp) {
				t->flags |= SL_CT_F_PEER | SL_CT_F_SNAT;
				t->snat_addr = f->daddr;
			}
		} else if (hp) {
			/* A Docker bridge cannot be reached by redirect_peer. */
			if (hp->bridge)
				return SL_CTR_UPLINK_PASS;
			t->flags = SL_CT_F_PEER;
			if (t->addr == f->saddr) {
				t->flags |= SL_CT_F_SNAT;
				t->snat_addr = hp->gateway;
			}
		}
		verdict = SL_CTR_NAT_NEW;
	}

	if (t->flags & SL_CT_F_EXTERNAL) {
		/* Back out of the bridge it came from, or routed by the host stack. */
		t->ifindex = t->flags & SL_CT_F_PEER ? pkt->ifindex : 0;
	} else {
		ekey.addr = t->addr;
		ep = bpf_map_lookup_elem(&sl_endpoints, &ekey);
		if (!ep)
			return SL_CTR_DROP_NO_BACKEND;
		t->ifindex = ep->ifindex;
		__builtin_memcpy(t->dst_mac, ep->mac, ETH_ALEN);
		__builtin_memcpy(t->src_mac, ep->gw_mac, ETH_ALEN);
	}
	if (verdict == SL_CTR_NAT_NEW)
		sl_ct_create(pkt, f, t, now);
	sl_svc_count(t->svc_id, pkt, verdict == SL_CTR_NAT_NEW);
	return verdict;
}

/*
 * A packet leaving a container (already parsed, source checked). Outcomes:
 *   not a reply of a tracked published-port flow -> SL_CTR_MAX (not ours)
 *   TTL <= 1                                     -> SL_CTR_DROP_TTL
 *   reply                                        -> SL_CTR_NAT_REPLY, *t filled:
 *     out of the uplink, or (SL_CT_F_PEER) to the client container; for
 *     SL_CT_F_SNAT the destination goes back to the client (t->snat_addr)
 */
static __always_inline enum sl_ctr sl_reply_decide(const struct sl_pkt *pkt,
						   const struct sl_flow *f, struct sl_nat_target *t)
{
	struct sl_ct_key key;
	struct sl_ct *ct;
	__u64 now;

	if (!f->has_ports || f->frag || (f->proto != IPPROTO_TCP && f->proto != IPPROTO_UDP))
		return SL_CTR_MAX;
	__builtin_memset(&key, 0, sizeof(key));
	key.saddr = f->saddr;
	key.daddr = f->daddr;
	key.sport = f->sport;
	key.dport = f->dport;
	key.proto = f->proto;
	key.dir = SL_CT_DIR_REPLY;
	now = bpf_ktime_get_coarse_ns();
	ct = sl_ct_lookup(&key, pkt, now);
	if (!ct)
		return SL_CTR_MAX;
	if (f->ttl <= 1)
		return SL_CTR_DROP_TTL;
	sl_ct_update(&key, ct, f->tcp_flags, now);
	t->addr = ct->nat_addr;
	t->port = ct->nat_port;
	t->svc_id = ct->svc_id;
	t->flags = ct->flags;
	t->snat_addr = ct->snat_addr;
	t->ifindex = ct->ifindex;
	__builtin_memcpy(t->dst_mac, ct->peer_mac, ETH_ALEN);
	__builtin_memcpy(t->src_mac, ct->host_mac, ETH_ALEN);
	sl_svc_count(t->svc_id, pkt, false);
	return SL_CTR_NAT_REPLY;
}

#endif /* SL_BPF_PUBLISH_H */
