/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ct.h - connection tracking for published ports (map sl_ct, see the ABI
 * header for the two entries of a flow).
 *
 * A flow's state moves NEW -> ESTABLISHED on the first reply, -> CLOSING on
 * a FIN, -> CLOSED on a RST; the timeout of the state decides when an idle
 * entry counts as gone. Expired entries are deleted when met; the LRU map
 * evicts the least recently used ones when it is full.
 */
#ifndef SL_BPF_CT_H
#define SL_BPF_CT_H

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SL_CT_MAX);
	__type(key, struct sl_ct_key);
	__type(value, struct sl_ct);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_ct SEC(".maps");

/* Timeouts in seconds; userspace may set them before load (tests shorten them). */
const volatile __u32 sl_ct_tcp_new_s = SL_CT_TIMEOUT_TCP_NEW;
const volatile __u32 sl_ct_tcp_est_s = SL_CT_TIMEOUT_TCP_ESTABLISHED;
const volatile __u32 sl_ct_tcp_closing_s = SL_CT_TIMEOUT_TCP_CLOSING;
const volatile __u32 sl_ct_tcp_closed_s = SL_CT_TIMEOUT_TCP_CLOSED;
const volatile __u32 sl_ct_udp_new_s = SL_CT_TIMEOUT_UDP_NEW;
const volatile __u32 sl_ct_udp_est_s = SL_CT_TIMEOUT_UDP_ESTABLISHED;

#define SL_NSEC_PER_SEC 1000000000ULL

static __always_inline __u64 sl_ct_timeout_ns(__u8 proto, __u8 state)
{
	__u32 s;

	if (proto == IPPROTO_UDP)
		s = state == SL_CT_STATE_NEW ? sl_ct_udp_new_s : sl_ct_udp_est_s;
	else if (state == SL_CT_STATE_NEW)
		s = sl_ct_tcp_new_s;
	else if (state == SL_CT_STATE_ESTABLISHED)
		s = sl_ct_tcp_est_s;
	else if (state == SL_CT_STATE_CLOSING)
		s = sl_ct_tcp_closing_s;
	else
		s = sl_ct_tcp_closed_s;
	return (__u64)s * SL_NSEC_PER_SEC;
}

/*
 * Signed: another CPU may have refreshed last_seen with a timestamp later
 * than our now; an unsigned difference would wrap and expire a busy flow.
 */
static __always_inline bool sl_ct_expired(const struct sl_ct *ct, __u8 proto, __u64 now)
{
	return (__s64)(now - ct->last_seen) > (__s64)sl_ct_timeout_ns(proto, ct->state);
}

/* The state after a packet with tcp_flags in direction dir. */
static __always_inline __u8 sl_ct_next_state(__u8 state, __u8 proto, __u8 tcp_flags, __u8 dir)
{
	if (proto == IPPROTO_TCP) {
		if (tcp_flags & TCP_FLAG_RST)
			return SL_CT_STATE_CLOSED;
		if (state == SL_CT_STATE_CLOSED)
			return state;
		if (tcp_flags & TCP_FLAG_FIN)
			return SL_CT_STATE_CLOSING;
	}
	if (dir == SL_CT_DIR_REPLY && state == SL_CT_STATE_NEW)
		return SL_CT_STATE_ESTABLISHED;
	return state;
}

/*
 * The key of the flow's other entry. From ORIG (client -> host:port, nat =
 * container:port) the REPLY key is container:port -> client; from REPLY
 * (container -> client, nat = host:port) the ORIG key is client -> host:port.
 */
static __always_inline void sl_ct_other_key(const struct sl_ct_key *k, const struct sl_ct *ct,
					    struct sl_ct_key *other)
{
	other->proto = k->proto;
	other->pad = 0;
	if (k->dir == SL_CT_DIR_ORIG) {
		/* The container replies to the client, or to its gateway after a SNAT. */
		other->dir = SL_CT_DIR_REPLY;
		other->saddr = ct->nat_addr;
		other->sport = ct->nat_port;
		other->daddr = ct->snat_addr ? ct->snat_addr : k->saddr;
		other->dport = k->sport;
	} else {
		/* The client is the reply's destination, or was, before a SNAT. */
		other->dir = SL_CT_DIR_ORIG;
		other->saddr = ct->flags & SL_CT_F_SNAT ? ct->snat_addr : k->daddr;
		other->sport = k->dport;
		other->daddr = ct->nat_addr;
		other->dport = ct->nat_port;
	}
}

/*
 * Look up a live entry. Each direction refreshes only its own entry, so an
 * entry that looks expired asks its twin: a flow lives while either
 * direction is active (one timer per flow, as netfilter has). A flow idle
 * in both directions is deleted and counted; the caller then sees a miss.
 */
static __always_inline struct sl_ct *sl_ct_lookup(const struct sl_ct_key *k,
						  const struct sl_pkt *pkt, __u64 now)
{
	struct sl_ct *ct = bpf_map_lookup_elem(&sl_ct, k);
	struct sl_ct_key other;
	struct sl_ct *twin;

	if (!ct || !sl_ct_expired(ct, k->proto, now))
		return ct;
	sl_ct_other_key(k, ct, &other);
	twin = bpf_map_lookup_elem(&sl_ct, &other);
	if (twin && !sl_ct_expired(twin, k->proto, now)) {
		ct->last_seen = twin->last_seen;
		return ct;
	}
	bpf_map_delete_elem(&sl_ct, &other);
	bpf_map_delete_elem(&sl_ct, k);
	sl_count(SL_CTR_CT_EXPIRED, pkt);
	return NULL;
}

/*
 * Account a packet of a tracked flow: refresh this entry, and on a state
 * change write the new state to the twin as well, so both expire alike.
 */
static __always_inline void sl_ct_update(const struct sl_ct_key *k, struct sl_ct *ct,
					 __u8 tcp_flags, __u64 now)
{
	__u8 next = sl_ct_next_state(ct->state, k->proto, tcp_flags, k->dir);
	struct sl_ct_key other;
	struct sl_ct *twin;

	ct->last_seen = now;
	if (next == ct->state)
		return;
	ct->state = next;
	sl_ct_other_key(k, ct, &other);
	twin = bpf_map_lookup_elem(&sl_ct, &other);
	if (twin) {
		twin->state = next;
		twin->last_seen = now;
	}
}

#endif /* SL_BPF_CT_H */
