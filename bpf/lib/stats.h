/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stats.h - per-reason packet and byte counters (map sl_stats).
 */
#ifndef SL_BPF_STATS_H
#define SL_BPF_STATS_H

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_CTR_SLOTS);
	__type(key, __u32);
	__type(value, struct sl_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_stats SEC(".maps");

static __always_inline void sl_count(enum sl_ctr ctr, const struct sl_pkt *pkt)
{
	__u32 key = ctr;
	struct sl_counter *c = bpf_map_lookup_elem(&sl_stats, &key);

	if (c) {
		c->packets++;
		c->bytes += pkt->len;
	}
}

#endif /* SL_BPF_STATS_H */
