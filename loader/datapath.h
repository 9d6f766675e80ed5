/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * datapath.h - load, pin, attach and program the BPF datapath.
 *
 * Layout under the instance's pin dir:
 *   sl_endpoints sl_ifaces sl_subnets sl_stats   maps, pinned by name by libbpf
 *   sl_svc sl_allow sl_ct sl_svc_stats           published ports
 *   progs/sl_ep_ingress                          the endpoint tc program
 *   progs/sl_up_ingress                          the uplink tc program
 * Loading again reuses the pinned maps (their contents survive an upgrade)
 * and atomically replaces the pinned program.
 */
#ifndef SL_DATAPATH_H
#define SL_DATAPATH_H

#include <stdbool.h>
#include <linux/types.h>

#include "instance.h"
#include "sluice_abi.h"

/* Open handles on a live instance's pinned objects (all ints: see sl_dp_fds). */
struct sl_dp {
	int prog_ep;	     /* sl_ep_ingress: endpoint veths */
	int prog_uplink;     /* sl_up_ingress: uplinks */
	int prog_xdp_uplink; /* sl_xdp_uplink: XDP on uplinks */
	int prog_xdp_pass;   /* sl_xdp_pass: container side of endpoint veths in XDP mode */
	int prog_dns_lo;     /* sl_dns_lo: lo of connected containers (DNS port) */
	int map_endpoints;
	int map_ifaces;
	int map_subnets;
	int map_stats;
	int map_svc;
	int map_allow;
	int map_ct;
	int map_svc_stats;
	int map_hostaddrs;
};

#define SL_DP_NFDS (sizeof(struct sl_dp) / sizeof(int))
static inline int *sl_dp_fds(struct sl_dp *dp)
{
	return (int *)dp;
}

/* Load the programs (reusing pinned maps) and pin them. Idempotent. */
int sl_dp_load(const struct sl_instance *inst);
/*
 * Bounds of the conntrack table's size (sl_ct max_entries, two entries per
 * flow), `sluice up --ct-max`. The kernel preallocates an LRU hash, so the
 * size is memory taken at `up` (about 120 bytes an entry), full or not.
 */
#define SL_CT_MAX_MIN 1024
#define SL_CT_MAX_MAX (16U << 20)
/*
 * sl_dp_load with the conntrack table's size: ct_max entries when the table
 * is created (0: SL_CT_MAX). A pinned table keeps its size: 0 adopts it, and
 * any other size fails with -EEXIST ("run 'sluice down' first"), before
 * anything is loaded or pinned.
 */
int sl_dp_load_ct(const struct sl_instance *inst, unsigned int ct_max);
/* true when the instance's programs are pinned (the instance is up). */
bool sl_dp_is_up(const struct sl_instance *inst);
/* Open every pinned object; -ENOENT with a "run 'sluice up'" message when not up. */
int sl_dp_open(const struct sl_instance *inst, struct sl_dp *dp);
void sl_dp_close(struct sl_dp *dp);
/* Remove every pin of the instance (programs stay attached until detached). */
int sl_dp_unpin(const struct sl_instance *inst);

/* The cookie of the caller's network namespace. */
int sl_netns_cookie(__u64 *cookie);
/*
 * Load the socket hooks for the caller's netns and attach them to the
 * cgroup through links pinned under <pin dir>/links (an existing link gets
 * the new program atomically). sl_dp_detach_sock removes the links.
 */
int sl_dp_attach_sock(const struct sl_instance *inst, const char *cgroup);
int sl_dp_detach_sock(const struct sl_instance *inst);
/* Make sl_hostaddrs exactly addrs[0..n). */
int sl_dp_hostaddrs_sync(const struct sl_dp *dp, const __be32 *addrs, unsigned int n);

enum sl_xdp_mode {
	SL_XDP_OFF = 0,
	SL_XDP_NATIVE = 1,  /* in the driver (veth, most NICs) */
	SL_XDP_GENERIC = 2, /* after skb allocation: any device, for testing */
};
const char *sl_xdp_mode_name(enum sl_xdp_mode mode);
int sl_xdp_mode_parse(const char *s, enum sl_xdp_mode *mode);
/* Attach (replacing, also across modes) or, for SL_XDP_OFF, detach. */
int sl_dp_xdp_attach(int ifindex, const char *ifname, int prog_fd, enum sl_xdp_mode mode);
int sl_dp_xdp_detach(int ifindex);
enum sl_xdp_mode sl_dp_xdp_query(int ifindex);
/* Attach prog natively to ifindex inside another netns (the container's). */
int sl_dp_xdp_attach_netns(int netns_fd, const char *ifname, int ifindex, int prog_fd);
int sl_dp_xdp_detach_netns(int netns_fd, int ifindex);
/* sluice's tc ingress program on ifindex of the namespace behind netns_fd, or none. */
int sl_dp_tc_attach_netns(int netns_fd, const char *ifname, int ifindex, int prog_fd);
int sl_dp_tc_detach_netns(int netns_fd, const char *ifname, int ifindex);

/* tc clsact ingress, direct action; replaces what sluice attached before. */
int sl_dp_attach_tc_ingress(int ifindex, const char *ifname, int prog_fd);
/* Remove sluice's ingress filter from ifindex; a vanished link is fine. */
int sl_dp_detach_tc_ingress(int ifindex);

int sl_dp_endpoint_put(const struct sl_dp *dp, __be32 addr, const struct sl_endpoint *ep);
int sl_dp_endpoint_del(const struct sl_dp *dp, __be32 addr);
int sl_dp_iface_put(const struct sl_dp *dp, __u32 ifindex, const struct sl_iface *ifc);
int sl_dp_iface_del(const struct sl_dp *dp, __u32 ifindex);
int sl_dp_subnet_put(const struct sl_dp *dp, __be32 addr, unsigned int prefixlen,
		     const struct sl_subnet *sn);
int sl_dp_subnet_del(const struct sl_dp *dp, __be32 addr, unsigned int prefixlen);

/* Published ports: port in host order, addresses in network order. */
int sl_dp_svc_put(const struct sl_dp *dp, __be32 addr, __u16 port, __u8 proto,
		  const struct sl_svc *svc);
int sl_dp_svc_del(const struct sl_dp *dp, __be32 addr, __u16 port, __u8 proto);
int sl_dp_allow_put(const struct sl_dp *dp, __u32 id, __be32 addr, unsigned int prefixlen);
int sl_dp_allow_del(const struct sl_dp *dp, __u32 id, __be32 addr, unsigned int prefixlen);
#define SL_CT_STATE_COUNT 4
struct sl_ct_summary {
	unsigned int entries;				/* live entries (two per flow) */
	unsigned int max;				/* capacity of sl_ct */
	unsigned int flows_by_state[SL_CT_STATE_COUNT]; /* ORIG entries per enum sl_ct_state */
};
/* Walk the conntrack map. */
int sl_dp_ct_summary(const struct sl_dp *dp, struct sl_ct_summary *sum);
/* Add to a userspace-owned counter (e.g. SL_CTR_CT_FLUSHED). */
int sl_dp_stats_add(const struct sl_dp *dp, enum sl_ctr ctr, __u64 packets);
/* Per-mapping counters summed over CPUs; reset zeroes them for a reused id. */
int sl_dp_svc_stats_read(const struct sl_dp *dp, __u32 id, struct sl_svc_counter *out);
int sl_dp_svc_stats_reset(const struct sl_dp *dp, __u32 id);

/*
 * Call fn(key, value, arg) for every entry of a map (value NULL when
 * value_size is 0), in batches where the map type has them; a non-zero
 * return of fn stops the walk and is returned. Else 0 or a negative errno.
 */
typedef int (*sl_dp_walk_fn)(const void *key, const void *value, void *arg);
int sl_dp_map_walk(int fd, size_t key_size, size_t value_size, sl_dp_walk_fn fn, void *arg);
/*
 * Delete every entry of a hash/LPM map for which del(key, value, arg) is
 * true (value is NULL when value_size is 0: keys only). Returns how many
 * (a walk that failed half-way still deletes what it found), or a negative
 * errno when it deleted nothing and failed.
 */
int sl_dp_map_delete_if(int fd, size_t key_size, size_t value_size,
			bool (*del)(const void *key, const void *value, void *arg), void *arg);

/* Sum the per-CPU counters into out[SL_CTR_MAX]. */
int sl_dp_stats_read(const struct sl_dp *dp, struct sl_counter *out);

#endif /* SL_DATAPATH_H */
