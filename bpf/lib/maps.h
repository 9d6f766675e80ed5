/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * maps.h - the endpoint, interface and subnet maps. Pinned by name so that a
 * reload of the programs keeps their contents (see sluice_abi.h for layouts).
 */
#ifndef SL_BPF_MAPS_H
#define SL_BPF_MAPS_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SL_MAX_ENDPOINTS);
	__type(key, struct sl_endpoint_key);
	__type(value, struct sl_endpoint);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_endpoints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SL_MAX_ENDPOINTS);
	__type(key, struct sl_iface_key);
	__type(value, struct sl_iface);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SL_MAX_NETWORKS);
	__type(key, struct sl_subnet_key);
	__type(value, struct sl_subnet);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_subnets SEC(".maps");

/*
 * The socket-level hooks' maps live here too, so that every object creates
 * them and the loader finds all pins once any object is loaded.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SL_MAX_HOSTADDRS);
	__type(key, __be32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_hostaddrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SL_SOCK_REV_MAX);
	__type(key, struct sl_sock_rev_key);
	__type(value, struct sl_sock_rev);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_sock_rev SEC(".maps");

/* An IPv4 address of the host (sl_hostaddrs, kept current by the CLI). */
static __always_inline bool sl_is_host_addr(__be32 addr)
{
	return bpf_map_lookup_elem(&sl_hostaddrs, &addr) != NULL;
}

#endif /* SL_BPF_MAPS_H */
