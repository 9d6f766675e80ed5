/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * svc.h - published ports: the mapping table, the --allow lists and the
 * per-mapping counters.
 */
#ifndef SL_BPF_SVC_H
#define SL_BPF_SVC_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SL_MAX_SVC);
	__type(key, struct sl_svc_key);
	__type(value, struct sl_svc);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_svc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SL_MAX_ALLOW);
	__type(key, struct sl_allow_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_allow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_MAX_SVC);
	__type(key, __u32);
	__type(value, struct sl_svc_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_svc_stats SEC(".maps");

/*
 * The mapping for daddr:dport/proto: an exact host address first, then
 * 0.0.0.0 (*wildcard tells which matched).
 */
static __always_inline struct sl_svc *sl_svc_lookup(const struct sl_flow *f, bool *wildcard)
{
	struct sl_svc_key key = {.addr = f->daddr, .port = f->dport, .proto = f->proto};
	struct sl_svc *svc;

	*wildcard = false;
	svc = bpf_map_lookup_elem(&sl_svc, &key);
	if (svc)
		return svc;
	key.addr = 0;
	*wildcard = true;
	return bpf_map_lookup_elem(&sl_svc, &key);
}

/* true when the mapping admits saddr (no --allow list admits everyone). */
static __always_inline bool sl_svc_allows(const struct sl_svc *svc, __be32 saddr)
{
	struct sl_allow_key key = {.prefixlen = 64, .id = bpf_htonl(svc->id), .addr = saddr};

	if (!(svc->flags & SL_SVC_F_ALLOWLIST))
		return true;
	return bpf_map_lookup_elem(&sl_allow, &key) != NULL;
}

static __always_inline void sl_svc_count(__u32 id, const struct sl_pkt *pkt, bool new_flow)
{
	struct sl_svc_counter *c = bpf_map_lookup_elem(&sl_svc_stats, &id);

	if (c) {
		c->packets++;
		c->bytes += pkt->len;
		c->flows += new_flow;
	}
}

#endif /* SL_BPF_SVC_H */
